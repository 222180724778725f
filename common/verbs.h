/* SPDX-License-Identifier: BSD-3-Clause */
/* verbs.h -- ibverbs helpers shared by both sides: device ODP caps, pinned-or-ODP registration */
#ifndef DAXMR_VERBS_H
#define DAXMR_VERBS_H

#include <stdbool.h>
#include <stddef.h>

#include <infiniband/verbs.h>

/* How memory is (to be) registered. */
enum daxmr_verbs_mode {
	DAXMR_VERBS_PINNED = 0, /* plain ibv_reg_mr: pages pinned (devdax, anonymous, shmem) */
	DAXMR_VERBS_ODP = 1,	/* IBV_ACCESS_ON_DEMAND: nothing pinned (fs-DAX) */
	DAXMR_VERBS_AUTO = 2,	/* pinned; ODP if pinning is refused (EOPNOTSUPP/EFAULT) */
};

/* "pinned", "ODP", "auto"; never NULL. */
const char *daxmr_verbs_mode_str(enum daxmr_verbs_mode mode);

/*
 * Whether ctx's device can serve one-sided RDMA on On-Demand Paging MRs: *rc_rw_odp_ptr is true
 * when ibv_query_device_ex reports the general IBV_ODP_SUPPORT cap and RC READ and WRITE ODP caps.
 * 0 or -errno (logged).
 */
int daxmr_verbs_odp_caps(struct ibv_context *ctx, bool *rc_rw_odp_ptr);

/*
 * Registers [addr, addr + len) on pd with access, as want says. AUTO tries pinned first and, when
 * pinning is refused with EOPNOTSUPP (fs-DAX) or EFAULT (a page-cache file on newer kernels),
 * retries with IBV_ACCESS_ON_DEMAND if the device has RC READ/WRITE ODP caps. An ODP MR (and only
 * an ODP MR: rxe can crash advising a pinned one) is then prefetched with ibv_advise_mr; a device
 * without advise support is fine (the first accesses fault). what names the memory in messages,
 * e.g. "export db (/mnt/pmem/db.img)". On success *mr_ptr is the MR and *got_ptr (if not NULL)
 * PINNED or ODP; on failure both are untouched and the cause is logged: -EOPNOTSUPP when the
 * memory cannot be pinned and the device has no ODP, the RLIMIT_MEMLOCK/CAP_IPC_LOCK story for
 * ENOMEM/EPERM/EAGAIN, otherwise the call's own -errno.
 */
int daxmr_verbs_reg(struct ibv_pd *pd, void *addr, size_t len, int access,
		    enum daxmr_verbs_mode want, const char *what, struct ibv_mr **mr_ptr,
		    enum daxmr_verbs_mode *got_ptr);

#endif /* DAXMR_VERBS_H */
