/* SPDX-License-Identifier: BSD-3-Clause */
/* smoke.h -- the smoke test's parts (RDMA, DAX); data is checked with common/pattern */
#ifndef DAXMR_SMOKE_H
#define DAXMR_SMOKE_H

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

#endif /* DAXMR_SMOKE_H */
