/* SPDX-License-Identifier: BSD-3-Clause */
/* verbs.c -- ibverbs helpers: device ODP caps, registration pinned first then On-Demand Paging */
#include "verbs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"

/* ibv_sge.length is 32 bits: prefetch a large MR in chunks of this many bytes. */
#define VERBS_ADVISE_CHUNK (1u << 30)

/* "pinned", "ODP", "auto". */
const char *daxmr_verbs_mode_str(enum daxmr_verbs_mode mode)
{
	switch (mode) {
	case DAXMR_VERBS_PINNED:
		return "pinned";
	case DAXMR_VERBS_ODP:
		return "ODP";
	case DAXMR_VERBS_AUTO:
		return "auto";
	}
	return "unknown";
}

/* The device's name for messages. */
static const char *verbs_dev_name(struct ibv_context *ctx)
{
	const char *name = ctx && ctx->device ? ibv_get_device_name(ctx->device) : NULL;

	return name ? name : "?";
}

/* General ODP support and RC READ + WRITE on ODP MRs, from ibv_query_device_ex. */
int daxmr_verbs_odp_caps(struct ibv_context *ctx, bool *rc_rw_odp_ptr)
{
	const uint32_t rc_rw = IBV_ODP_SUPPORT_READ | IBV_ODP_SUPPORT_WRITE;
	struct ibv_device_attr_ex attr;
	int ret;

	memset(&attr, 0, sizeof(attr));
	ret = -ibv_query_device_ex(ctx, NULL, &attr);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_query_device_ex", ret, "%s", verbs_dev_name(ctx));
		return ret;
	}
	*rc_rw_odp_ptr = (attr.odp_caps.general_caps & IBV_ODP_SUPPORT) &&
			 (attr.odp_caps.per_transport_caps.rc_odp_caps & rc_rw) == rc_rw;
	DAXMR_LOG_DBG("%s: ODP general caps 0x%" PRIx64 ", RC ODP caps 0x%" PRIx32 ": %s",
		      verbs_dev_name(ctx), (uint64_t)attr.odp_caps.general_caps,
		      attr.odp_caps.per_transport_caps.rc_odp_caps,
		      *rc_rw_odp_ptr ? "RC READ/WRITE on ODP MRs" : "no RC READ/WRITE ODP");
	return 0;
}

/* RLIMIT_MEMLOCK as text: "<n> bytes", "unlimited" or "unknown". */
static void verbs_memlock_str(char *buf, size_t size)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		snprintf(buf, size, "unknown (getrlimit: %s)", daxmr_log_strerror(errno));
	else if (rl.rlim_cur == RLIM_INFINITY)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)rl.rlim_cur);
}

/* One ibv_reg_mr; NULL and -errno in *err_ptr on failure (not logged: the caller knows why). */
static struct ibv_mr *verbs_reg_mr(struct ibv_pd *pd, void *addr, size_t len, int access,
				   int *err_ptr)
{
	struct ibv_mr *mr;

	errno = 0;
	mr = ibv_reg_mr(pd, addr, len, access);
	if (!mr)
		*err_ptr = errno ? -errno : -EIO; /* a provider that forgot errno */
	return mr;
}

/* Logs a failed pinned registration with the cause an operator can act on. */
static void verbs_log_pinned_err(struct ibv_pd *pd, void *addr, size_t len, int access, int err,
				 const char *what)
{
	char memlock[64];

	if (err == -ENOMEM || err == -EPERM || err == -EAGAIN) {
		verbs_memlock_str(memlock, sizeof(memlock));
		DAXMR_LOG_ERR("%s: ibv_reg_mr(%s, %p, %zu bytes, access 0x%x) failed: %s: pinned "
			      "memory counts against RLIMIT_MEMLOCK (now %s) unless the process "
			      "has CAP_IPC_LOCK: raise the limit (ulimit -l, systemd "
			      "LimitMEMLOCK=) or grant CAP_IPC_LOCK",
			      what, verbs_dev_name(pd->context), addr, len, access,
			      daxmr_log_strerror(err), memlock);
		return;
	}
	DAXMR_LOG_CALL_ERR("ibv_reg_mr", err, "%s: %s, %p, %zu bytes, access 0x%x, pinned", what,
			   verbs_dev_name(pd->context), addr, len, access);
}

/*
 * Prefetches an ODP MR's pages (never call it on a pinned MR: rxe's advise path can crash the
 * kernel there). A device without advise support is fine. 0 or -errno (logged).
 */
static int verbs_prefetch(struct ibv_pd *pd, struct ibv_mr *mr, void *addr, size_t len, int access,
			  const char *what)
{
	enum ibv_advise_mr_advice advice =
		access & (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE) ?
			IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE :
			IBV_ADVISE_MR_ADVICE_PREFETCH;
	struct ibv_sge sge;
	size_t done = 0;
	int ret;

	while (done < len) {
		sge.addr = (uintptr_t)addr + done;
		sge.length = len - done > VERBS_ADVISE_CHUNK ? VERBS_ADVISE_CHUNK :
							       (uint32_t)(len - done);
		sge.lkey = mr->lkey;
		/* FLUSH: return once the pages are mapped, so the first remote access is fast */
		ret = -ibv_advise_mr(pd, advice, IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
		if (ret == -EOPNOTSUPP || ret == -ENOSYS) {
			DAXMR_LOG_DBG("%s: %s cannot prefetch ODP MRs (ibv_advise_mr: %s): the "
				      "first accesses will fault",
				      what, verbs_dev_name(pd->context), daxmr_log_strerror(ret));
			return 0;
		}
		if (ret) {
			DAXMR_LOG_CALL_ERR(
				"ibv_advise_mr", ret,
				"%s: %s, PREFETCH%s|FLUSH, %" PRIu32 " bytes at %p", what,
				verbs_dev_name(pd->context),
				advice == IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE ? "_WRITE" : "",
				sge.length, (void *)(uintptr_t)sge.addr);
			return ret;
		}
		done += sge.length;
	}
	return 0;
}

/* Registers with IBV_ACCESS_ON_DEMAND and prefetches; the caller checked the device's caps. */
static int verbs_reg_odp(struct ibv_pd *pd, void *addr, size_t len, int access, const char *what,
			 struct ibv_mr **mr_ptr)
{
	struct ibv_mr *mr;
	int ret = 0, ret2;

	mr = verbs_reg_mr(pd, addr, len, access | IBV_ACCESS_ON_DEMAND, &ret);
	if (!mr) {
		DAXMR_LOG_CALL_ERR("ibv_reg_mr", ret, "%s: %s, %p, %zu bytes, access 0x%x, ODP",
				   what, verbs_dev_name(pd->context), addr, len,
				   access | IBV_ACCESS_ON_DEMAND);
		return ret;
	}
	ret = verbs_prefetch(pd, mr, addr, len, access, what);
	if (ret)
		goto err_dereg;
	*mr_ptr = mr;
	return 0;

err_dereg:
	ret2 = -ibv_dereg_mr(mr);
	if (ret2)
		DAXMR_LOG_CALL_ERR("ibv_dereg_mr", ret2, "%s (after the failed prefetch)", what);
	return ret;
}

/* Logs why memory that cannot be pinned cannot be registered at all on this device. */
static void verbs_log_no_odp(struct ibv_pd *pd, int pin_err, int access, const char *what)
{
	const char *dev = verbs_dev_name(pd->context);

	/* Measured: rxe on Linux 6.1 pins no read-only mapping (EFAULT), 7.x does; 7.x refuses
	 * writable long-term pins of page-cache files (EFAULT) */
	if (pin_err == -EFAULT && !(access & (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE)))
		DAXMR_LOG_ERR("%s: cannot register: the kernel refuses to pin this read-only "
			      "mapping (EFAULT: rxe before Linux 6.15 pins only writable mappings) "
			      "and %s has no On-Demand Paging; export it read-write, or use a "
			      "kernel with ODP on rxe (>= 6.15) or mlx5",
			      what, dev);
	else if (pin_err == -EFAULT)
		DAXMR_LOG_ERR("%s: cannot register: this mapping cannot be pinned (EFAULT: the "
			      "kernel refuses writable long-term pins of page-cache files) and %s "
			      "has no On-Demand Paging (needs rxe on Linux >= 6.15, or mlx5); "
			      "export a DAX file or a devdax device instead",
			      what, dev);
	else
		DAXMR_LOG_ERR("%s: cannot register: fs-DAX memory cannot be pinned and %s has no "
			      "On-Demand Paging (needs rxe on Linux >= 6.15, or mlx5); export a "
			      "devdax device instead",
			      what, dev);
}

/* Pinned, ODP, or pinned then ODP; see verbs.h. */
int daxmr_verbs_reg(struct ibv_pd *pd, void *addr, size_t len, int access,
		    enum daxmr_verbs_mode want, const char *what, struct ibv_mr **mr_ptr,
		    enum daxmr_verbs_mode *got_ptr)
{
	struct ibv_mr *mr = NULL;
	bool odp = false;
	int ret = 0, pin_err = 0;

	if (want != DAXMR_VERBS_ODP) {
		mr = verbs_reg_mr(pd, addr, len, access, &ret);
		if (mr) {
			*mr_ptr = mr;
			if (got_ptr)
				*got_ptr = DAXMR_VERBS_PINNED;
			return 0;
		}
		if (want == DAXMR_VERBS_PINNED || (ret != -EOPNOTSUPP && ret != -EFAULT)) {
			verbs_log_pinned_err(pd, addr, len, access, ret, what);
			return ret;
		}
		pin_err = ret;
		DAXMR_LOG_INF("%s: %s refuses to pin it (%s); trying On-Demand Paging", what,
			      verbs_dev_name(pd->context), daxmr_log_strerror(ret));
	}

	ret = daxmr_verbs_odp_caps(pd->context, &odp);
	if (ret)
		return ret;
	if (!odp) {
		if (want == DAXMR_VERBS_ODP) {
			DAXMR_LOG_ERR("%s: cannot register with On-Demand Paging: %s has no RC "
				      "READ/WRITE ODP (needs rxe on Linux >= 6.15, or mlx5)",
				      what, verbs_dev_name(pd->context));
			return -EOPNOTSUPP;
		}
		verbs_log_no_odp(pd, pin_err, access, what);
		return pin_err;
	}
	ret = verbs_reg_odp(pd, addr, len, access, what, &mr);
	if (ret)
		return ret;
	*mr_ptr = mr;
	if (got_ptr)
		*got_ptr = DAXMR_VERBS_ODP;
	return 0;
}
