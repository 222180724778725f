/* SPDX-License-Identifier: BSD-3-Clause */
/* pattern.c -- position-hash byte streams: fill a buffer, verify it, find the first bad byte */
#include "pattern.h"

#include <errno.h>

#include "log.h"

/* A hash of (seed, pos) (murmur3's finaliser): neighbouring bytes differ. */
uint8_t daxmr_pattern_byte(uint32_t seed, size_t pos)
{
	uint32_t x = (uint32_t)pos * 0x9e3779b1u ^ seed;

	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return (uint8_t)x;
}

/* Fills buf[from, to) with stream seed from position first_pos. */
void daxmr_pattern_fill(uint8_t *buf, size_t from, size_t to, uint32_t seed, size_t first_pos)
{
	size_t i;

	for (i = from; i < to; i++)
		buf[i] = daxmr_pattern_byte(seed, first_pos + (i - from));
}

/* Counts the bytes of buf[from, to) that differ from the stream; notes the first one. */
size_t daxmr_pattern_count_bad(const uint8_t *buf, size_t from, size_t to, uint32_t seed,
			       size_t first_pos, size_t *first_bad_ptr)
{
	size_t i, bad = 0;

	for (i = from; i < to; i++) {
		if (buf[i] == daxmr_pattern_byte(seed, first_pos + (i - from)))
			continue;
		if (bad++ == 0 && first_bad_ptr)
			*first_bad_ptr = i;
	}
	return bad;
}

/* Checks buf[from, to) against stream seed; reports the first bad offset and how many are bad. */
int daxmr_pattern_verify(const char *what, const uint8_t *buf, size_t from, size_t to,
			 uint32_t seed, size_t first_pos)
{
	size_t bad, first_bad = 0;

	bad = daxmr_pattern_count_bad(buf, from, to, seed, first_pos, &first_bad);
	if (bad == 0)
		return 0;
	DAXMR_LOG_ERR("%s: %zu of %zu bytes in [%zu, %zu) differ; first at offset %zu: "
		      "0x%02x, expected 0x%02x",
		      what, bad, to - from, from, to, first_bad, buf[first_bad],
		      daxmr_pattern_byte(seed, first_pos + (first_bad - from)));
	return -EILSEQ;
}
