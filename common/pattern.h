/* SPDX-License-Identifier: BSD-3-Clause */
/* pattern.h -- position-hash byte streams: fill a buffer, verify it, find the first bad byte */
#ifndef DAXMR_PATTERN_H
#define DAXMR_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/*
 * The pattern byte at position pos of the stream named by seed (distinct streams per seed).
 * Neighbouring bytes differ, so shifted or misplaced data never matches by accident.
 */
uint8_t daxmr_pattern_byte(uint32_t seed, size_t pos);

/* Fills buf[from, to) with stream seed, starting at stream position first_pos. */
void daxmr_pattern_fill(uint8_t *buf, size_t from, size_t to, uint32_t seed, size_t first_pos);

/*
 * Counts the bytes of buf[from, to) that differ from stream seed starting at position first_pos;
 * *first_bad_ptr (if not NULL) gets the offset in buf of the first one (unchanged if none).
 */
size_t daxmr_pattern_count_bad(const uint8_t *buf, size_t from, size_t to, uint32_t seed,
			       size_t first_pos, size_t *first_bad_ptr);

/*
 * Checks buf[from, to) holds stream seed starting at position first_pos. On a mismatch logs the
 * first differing offset of buf (named by what), the number of bad bytes, and returns -EILSEQ.
 */
int daxmr_pattern_verify(const char *what, const uint8_t *buf, size_t from, size_t to,
			 uint32_t seed, size_t first_pos);

#endif /* DAXMR_PATTERN_H */
