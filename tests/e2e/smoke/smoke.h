/* SPDX-License-Identifier: BSD-3-Clause */
/* smoke.h -- the smoke test's parts (RDMA, DAX) and the byte patterns they check data with */
#ifndef DAXMR_SMOKE_H
#define DAXMR_SMOKE_H

#include <stddef.h>
#include <stdint.h>

/* Process exit statuses, as ctest reads them (SKIP_RETURN_CODE 77); not errnos. */
enum daxmr_smoke_result {
	DAXMR_SMOKE_PASS = 0,
	DAXMR_SMOKE_FAIL = 1,
	DAXMR_SMOKE_SKIP = 77,
};

/* Device, port 1, RoCE v2 GID, then SEND/RECV, RDMA WRITE and READ between two looped RC QPs. */
enum daxmr_smoke_result daxmr_smoke_rdma_run(void);

/* MAP_SYNC refused on a non-DAX file, then statx DAX + MAP_SYNC map + write/pread on a DAX file. */
enum daxmr_smoke_result daxmr_smoke_dax_run(void);

/* Prints one narrated step line "smoke: ..." to stdout (the test log). */
void daxmr_smoke_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The pattern byte at position pos of the stream named by seed (distinct streams per seed). */
uint8_t daxmr_smoke_pattern(uint32_t seed, size_t pos);

/* Fills buf[from, to) with stream seed, starting at stream position first_pos. */
void daxmr_smoke_fill(uint8_t *buf, size_t from, size_t to, uint32_t seed, size_t first_pos);

/*
 * Checks buf[from, to) holds stream seed starting at position first_pos. On a mismatch logs the
 * first differing offset of buf (named by what), the number of bad bytes, and returns -EILSEQ.
 */
int daxmr_smoke_verify(const char *what, const uint8_t *buf, size_t from, size_t to,
		       uint32_t seed, size_t first_pos);

#endif /* DAXMR_SMOKE_H */
