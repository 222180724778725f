/* SPDX-License-Identifier: BSD-3-Clause */
/* export.c -- one exported file: open once, lease, seal checks, map, register; generations */

/*
 * The export state machine (docs/architecture.md):
 *
 *   CONFIGURED --establish ok--> AVAILABLE (generation g+1) --revoke_begin--> REVOKING
 *       |                            ^                                           |
 *       | establish fails            | establish ok                       release (dereg,
 *       v                            |                                    munmap, F_UNLCK,
 *   UNAVAILABLE <--establish fails-- +------------ RELEASED <------------ close)
 *       |  ^                                          |
 *       +--+ establish fails again (backoff doubles)  +-- establish fails --> UNAVAILABLE
 *
 * establish = open once (O_NONBLOCK) -> lease -> seal checks -> pmem2 map -> register -> gate.
 * The timers that call establish again and the revocation's deadlines live in server.c and
 * revoke.c; this file only holds the resources and enforces the transitions.
 */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpmem2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "lease.h"
#include "log.h"
#include "seal.h"

#define EXPORT_ACCESS_RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)
#define EXPORT_ACCESS_RO IBV_ACCESS_REMOTE_READ
#define EXPORT_PAGE 4096u
#define EXPORT_SEG_SHIFT_FLOOR 24 /* segments are never cut below 16 MiB for the MR size */

struct daxmr_export {
	enum daxmr_export_state state;
	uint32_t id;
	char *name;		  /* owned */
	char *path;		  /* owned */
	char *what;		  /* owned: "export NAME (PATH)" for messages */
	struct daxmr_cidr *allow; /* owned: nallow client networks; none admits every client */
	size_t nallow;
	bool ro;
	bool allow_non_dax;
	struct daxmr_export_env env; /* its pointers borrowed: see struct daxmr_export_env */
	uint64_t generation;
	unsigned int retry_ms;	 /* delay before the next establish attempt */
	unsigned int backoff_ms; /* retry_ms after the next failure: doubles up to the cap */
	bool devdax_lease_noted; /* "device-DAX has no lease" logged once */
	bool mw_noted;		 /* "memory windows unavailable" logged once */
	bool mw;	  /* windows are bound over mrs[0]: the device has them, rw, one segment */
	bool atomic;	  /* the rw MRs allow remote atomics: the device has them, rw export */
	char reason[512]; /* why the last establish attempt failed */
	bool down;	  /* that failure will not go away by waiting (UNAVAILABLE on the wire) */
	bool final;	  /* ... nor by retrying: registration; no further attempt is made */

	/* The current generation's resources: held in AVAILABLE and REVOKING only. */
	int fd;
	struct pmem2_source *src; /* owned */
	struct pmem2_map *map;	  /* owned */
	void *addr;		  /* borrowed: the start of map */
	size_t length;		  /* bytes registered and exported (<= the mapping) */
	size_t align;		  /* the mapping unit: length stays a multiple of it */
	pmem2_persist_fn persist; /* borrowed: libpmem2's, for map */
	uint32_t persist_gran;	  /* 0 (byte/cache line) or 4096 (page) */
	struct ibv_mr **mrs;	  /* owned: nseg MRs, access as the export allows */
	struct ibv_mr **mrs_ro; /* owned: nseg read-only MRs for ro OPENs of a rw export; lazily */
	unsigned int seg_shift; /* segment i is [i << seg_shift, (i + 1) << seg_shift) */
	uint32_t nseg;		/* segments (MRs) the mapping is registered as */
	enum daxmr_verbs_mode reg; /* PINNED or ODP: how mr was registered */
	enum daxmr_seal_mem mem;
	bool leased;			 /* a lease is held on fd (never on device-DAX) */
	uint64_t gate_us;		 /* the last establish's data-path check (in register) */
	struct daxmr_export_times times; /* the last release's steps */
};

/* Names of the states, for logs. */
const char *daxmr_export_state_str(enum daxmr_export_state state)
{
	switch (state) {
	case DAXMR_EXPORT_CONFIGURED:
		return "configured";
	case DAXMR_EXPORT_AVAILABLE:
		return "available";
	case DAXMR_EXPORT_REVOKING:
		return "revoking";
	case DAXMR_EXPORT_RELEASED:
		return "released";
	case DAXMR_EXPORT_UNAVAILABLE:
		return "unavailable";
	}
	return "unknown";
}

/* Makes an export in state CONFIGURED. */
int daxmr_export_new(const struct daxmr_export_cfg *cfg, uint32_t id,
		     const struct daxmr_export_env *env, struct daxmr_export **exp_ptr)
{
	struct daxmr_export *exp;
	int n;

	if (!cfg || !cfg->name || !cfg->path || !env || !exp_ptr)
		return -EINVAL;
	if (!daxmr_proto_name_valid(cfg->name)) {
		DAXMR_LOG_ERR("export \"%s\": not a valid name (1..255 printable ASCII characters, "
			      "no space)",
			      cfg->name);
		return -EINVAL;
	}
	if (cfg->path[0] == '\0') {
		DAXMR_LOG_ERR("export %s: empty path", cfg->name);
		return -EINVAL;
	}
	exp = calloc(1, sizeof(*exp));
	if (!exp)
		return -ENOMEM;
	exp->name = strdup(cfg->name);
	exp->path = strdup(cfg->path);
	n = exp->name && exp->path ? asprintf(&exp->what, "export %s (%s)", cfg->name, cfg->path) :
				     -1;
	if (n >= 0 && cfg->nallow) {
		exp->allow = calloc(cfg->nallow, sizeof(*exp->allow));
		if (exp->allow) {
			memcpy(exp->allow, cfg->allow, cfg->nallow * sizeof(*exp->allow));
			exp->nallow = cfg->nallow;
		} else {
			free(exp->what);
			n = -1;
		}
	}
	if (n < 0) {
		free(exp->name);
		free(exp->path);
		free(exp);
		return -ENOMEM;
	}
	exp->state = DAXMR_EXPORT_CONFIGURED;
	exp->id = id;
	exp->ro = cfg->ro;
	exp->allow_non_dax = cfg->allow_non_dax;
	exp->env = *env;
	exp->retry_ms = DAXMR_EXPORT_BACKOFF_MIN_MS;
	exp->backoff_ms = DAXMR_EXPORT_BACKOFF_MIN_MS;
	exp->fd = -1;
	*exp_ptr = exp;
	return 0;
}

/* An empty allowlist admits every client; otherwise one of its networks must hold sa. */
bool daxmr_export_admits(const struct daxmr_export *exp, const struct sockaddr *sa)
{
	size_t i;

	if (exp->nallow == 0)
		return true;
	for (i = 0; i < exp->nallow; i++)
		if (daxmr_cidr_match(&exp->allow[i], sa))
			return true;
	return false;
}

/* Maps a libpmem2 error code (negative errno, or PMEM2_E_*) to a negative errno. */
static int export_pmem2_err(int ret)
{
	switch (ret) {
	case PMEM2_E_NOSUPP:
	case PMEM2_E_GRANULARITY_NOT_SUPPORTED:
	case PMEM2_E_SOURCE_TYPE_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case PMEM2_E_INVALID_FILE_TYPE:
	case PMEM2_E_INVALID_FILE_HANDLE:
		return -ENODEV;
	case PMEM2_E_NO_ACCESS:
		return -EACCES;
	case PMEM2_E_SOURCE_EMPTY:
	case PMEM2_E_LENGTH_UNALIGNED:
	case PMEM2_E_LENGTH_OUT_OF_RANGE:
	case PMEM2_E_MAP_RANGE:
		return -EINVAL;
	case PMEM2_E_IO_FAIL:
		return -EIO;
	default:
		break;
	}
	if (ret > PMEM2_E_UNKNOWN && ret < 0)
		return ret; /* libpmem2 passes system errors on as -errno */
	return -EINVAL;
}

/* Logs a failed libpmem2 call with its own message. */
static int export_pmem2_fail(struct daxmr_export *exp, const char *call, int ret)
{
	int err = export_pmem2_err(ret);

	DAXMR_LOG_ERR("%s: %s: %s: %s (%s)", exp->what, call, "failed", pmem2_errormsg(),
		      daxmr_log_strerror(err));
	snprintf(exp->reason, sizeof(exp->reason), "%s failed: %s", call, pmem2_errormsg());
	return err;
}

/* Maps the one open fd with libpmem2: shared, protection per ro/rw, page granularity allowed. */
static int export_map(struct daxmr_export *exp)
{
	enum pmem2_granularity gran;
	struct pmem2_config *cfg = NULL;
	size_t size = 0, align = 0, len;
	int ret;

	ret = pmem2_source_from_fd(&exp->src, exp->fd);
	if (ret)
		return export_pmem2_fail(exp, "pmem2_source_from_fd", ret);
	ret = pmem2_source_size(exp->src, &size);
	if (ret) {
		ret = export_pmem2_fail(exp, "pmem2_source_size", ret);
		goto err_src;
	}
	ret = pmem2_source_alignment(exp->src, &align);
	if (ret) {
		ret = export_pmem2_fail(exp, "pmem2_source_alignment", ret);
		goto err_src;
	}
	if (align == 0)
		align = EXPORT_PAGE;
	exp->align = align;
	len = size / align * align;
	if (len == 0) {
		DAXMR_LOG_ERR("%s: refused: %zu bytes, less than one %zu-byte mapping unit",
			      exp->what, size, align);
		snprintf(exp->reason, sizeof(exp->reason), "smaller than one mapping unit");
		ret = -EINVAL;
		goto err_src;
	}
	if (len != size)
		DAXMR_LOG_WRN("%s: size %zu is not a multiple of %zu: the last %zu bytes are not "
			      "exported",
			      exp->what, size, align, size - len);
	ret = pmem2_config_new(&cfg);
	if (ret) {
		ret = export_pmem2_fail(exp, "pmem2_config_new", ret);
		goto err_src;
	}
	/* PAGE is the weakest: page-cache exports map too; the effective one is reported */
	ret = pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE);
	if (!ret)
		ret = pmem2_config_set_sharing(cfg, PMEM2_SHARED);
	if (!ret)
		ret = pmem2_config_set_protection(
			cfg, exp->ro ? PMEM2_PROT_READ : PMEM2_PROT_READ | PMEM2_PROT_WRITE);
	if (!ret)
		ret = pmem2_config_set_length(cfg, len);
	if (ret) {
		ret = export_pmem2_fail(exp, "pmem2_config_set_*", ret);
		goto err_cfg;
	}
	ret = pmem2_map_new(&exp->map, cfg, exp->src);
	if (ret) {
		ret = export_pmem2_fail(exp, "pmem2_map_new", ret);
		goto err_cfg;
	}
	pmem2_config_delete(&cfg);
	exp->addr = pmem2_map_get_address(exp->map);
	exp->length = pmem2_map_get_size(exp->map);
	exp->persist = pmem2_get_persist_fn(exp->map);
	gran = pmem2_map_get_store_granularity(exp->map);
	exp->persist_gran = gran == PMEM2_GRANULARITY_PAGE ? EXPORT_PAGE : 0;
	return 0;

err_cfg:
	pmem2_config_delete(&cfg);
err_src:
	pmem2_source_delete(&exp->src);
	return ret;
}

/* Unmaps; always leaves map and src NULL. */
static int export_unmap(struct daxmr_export *exp)
{
	int ret = 0, r;

	if (exp->map) {
		r = pmem2_map_delete(&exp->map);
		if (r) {
			ret = export_pmem2_fail(exp, "pmem2_map_delete", r);
			exp->map = NULL;
		}
	}
	if (exp->src)
		pmem2_source_delete(&exp->src);
	exp->addr = NULL;
	exp->length = 0;
	exp->persist = NULL;
	return ret;
}

/* Deregisters one MR pointer, NULLs it, logs a failure. */
static int export_dereg(struct daxmr_export *exp, struct ibv_mr **mr_ptr, const char *which)
{
	int ret;

	if (!*mr_ptr)
		return 0;
	ret = -ibv_dereg_mr(*mr_ptr);
	*mr_ptr = NULL;
	if (ret)
		DAXMR_LOG_CALL_ERR("ibv_dereg_mr", ret, "%s, %s MR", exp->what, which);
	return ret;
}

/* Opens the file once, without blocking on another lease holder, close-on-exec. */
static int export_open(struct daxmr_export *exp)
{
	int ret;

	exp->fd = open(exp->path, (exp->ro ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_CLOEXEC);
	if (exp->fd < 0) {
		ret = -errno;
		exp->fd = -1;
		if (ret == -EWOULDBLOCK)
			DAXMR_LOG_WRN("%s: open: another process holds a lease on it; will retry",
				      exp->what);
		else
			DAXMR_LOG_CALL_ERR("open", ret, "%s, %s", exp->what,
					   exp->ro ? "O_RDONLY" : "O_RDWR");
		snprintf(exp->reason, sizeof(exp->reason), "open failed: %s",
			 daxmr_log_strerror(ret));
		return ret;
	}
	/* O_NONBLOCK was only for the open: later I/O on fd has no business being non-blocking */
	ret = daxmr_fd_set_nonblock(exp->fd, false, exp->what);
	if (ret) {
		snprintf(exp->reason, sizeof(exp->reason), "fcntl failed: %s",
			 daxmr_log_strerror(ret));
		close(exp->fd);
		exp->fd = -1;
		return ret;
	}
	return 0;
}

/* Takes the lease before any check, so that nothing changes underneath the checks. */
static int export_lease(struct daxmr_export *exp)
{
	struct stat st;
	int ret;

	if (fstat(exp->fd, &st) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("fstat", ret, "%s (fd %d)", exp->what, exp->fd);
		snprintf(exp->reason, sizeof(exp->reason), "fstat failed: %s",
			 daxmr_log_strerror(ret));
		return ret;
	}
	if (S_ISCHR(st.st_mode)) {
		/* F_SETLEASE is EINVAL on character devices; seal.c checks it is device-DAX */
		if (!exp->devdax_lease_noted)
			DAXMR_LOG_NTC("%s: a character device has no file lease (F_SETLEASE is "
				      "EINVAL there): nothing tells daxmrd about other users of "
				      "the device; only shutdown revokes it",
				      exp->what);
		exp->devdax_lease_noted = true;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		DAXMR_LOG_ERR("%s: refused: neither a regular file nor a device-DAX device",
			      exp->what);
		snprintf(exp->reason, sizeof(exp->reason),
			 "neither a regular file nor a device-DAX device");
		return -ENODEV;
	}
	ret = daxmr_lease_may_lease(&st, exp->what);
	if (ret == -EPERM) {
		snprintf(exp->reason, sizeof(exp->reason),
			 "owned by uid %u: not our fsuid and no CAP_LEASE", (unsigned)st.st_uid);
		return ret;
	}
	if (ret) {
		/* capget failed: whether we hold CAP_LEASE is unknown, so say that, not "no" */
		snprintf(exp->reason, sizeof(exp->reason),
			 "owned by uid %u, not our fsuid, and capget failed (%s): cannot tell "
			 "whether we hold CAP_LEASE",
			 (unsigned)st.st_uid, daxmr_log_strerror(ret));
		return ret;
	}
	ret = daxmr_lease_take(exp->fd, exp->ro ? F_RDLCK : F_WRLCK, exp->env.lease_sig, exp->what);
	if (ret) {
		snprintf(exp->reason, sizeof(exp->reason), "F_SETLEASE %s failed: %s",
			 exp->ro ? "F_RDLCK" : "F_WRLCK", daxmr_log_strerror(ret));
		return ret;
	}
	exp->leased = true;
	return 0;
}

/* The smallest power-of-two exponent e with 2^e >= len (len >= 1). */
static unsigned int export_ceil_log2(uint64_t len)
{
	unsigned int e = 0;

	while (e < 63 && (1ull << e) < len)
		e++;
	return e;
}

/* The largest e with 2^e <= v (v >= 1). */
static unsigned int export_floor_log2(uint64_t v)
{
	unsigned int e = 63;

	while (e > 0 && (1ull << e) > v)
		e--;
	return e;
}

/* The segment size to try first for an export of length bytes. */
int daxmr_export_seg_plan(uint64_t length, uint64_t max_mr_size, unsigned int shift_cap,
			  unsigned int *shift_ptr, uint32_t *nseg_ptr)
{
	unsigned int shift;
	uint64_t nseg;

	if (length == 0)
		return -EINVAL;
	shift = export_ceil_log2(length);
	if (max_mr_size && export_floor_log2(max_mr_size) < shift)
		shift = export_floor_log2(max_mr_size);
	if (shift_cap && shift_cap < shift)
		shift = shift_cap;
	if (shift < DAXMR_PROTO_SEG_SHIFT_MIN)
		shift = DAXMR_PROTO_SEG_SHIFT_MIN;
	nseg = ((length - 1) >> shift) + 1;
	if (nseg > DAXMR_EXPORT_NSEG_MAX)
		return -EFBIG;
	*shift_ptr = shift;
	*nseg_ptr = (uint32_t)nseg;
	return 0;
}

/* Deregisters the first n MRs of mrs (NULLs skipped); returns the first error. */
static int export_dereg_segs(struct daxmr_export *exp, struct ibv_mr **mrs, uint32_t n,
			     const char *which)
{
	int ret = 0, r;
	uint32_t i;

	for (i = 0; mrs && i < n; i++) {
		r = export_dereg(exp, &mrs[i], which);
		ret = ret ? ret : r;
	}
	return ret;
}

/*
 * Registers the mapping as nseg segments of 2^shift bytes into mrs (nseg slots), every one in
 * the mode want (AUTO: what segment 0 gets, which is then forced on the others, so the data-path
 * gate's verdict of that mode covers them all). On failure all are deregistered again and
 * *failed_seg_ptr says which segment failed.
 */
static int export_reg_segs(struct daxmr_export *exp, struct ibv_mr **mrs, unsigned int shift,
			   uint32_t nseg, int access, enum daxmr_verbs_mode want,
			   enum daxmr_verbs_mode *got_ptr, uint32_t *failed_seg_ptr)
{
	enum daxmr_verbs_mode got = want == DAXMR_VERBS_AUTO ? DAXMR_VERBS_PINNED : want;
	uint64_t off, len;
	uint32_t i;
	int ret;

	for (i = 0; i < nseg; i++) {
		off = (uint64_t)i << shift;
		len = exp->length - off < (1ull << shift) ? exp->length - off : 1ull << shift;
		ret = daxmr_verbs_reg(exp->env.pd, (char *)exp->addr + off, len, access,
				      i == 0 ? want : got, exp->what, &mrs[i],
				      i == 0 ? &got : NULL);
		if (ret) {
			export_dereg_segs(exp, mrs, i, "segment");
			*failed_seg_ptr = i;
			return ret;
		}
	}
	*got_ptr = got;
	return 0;
}

/* Writes the reason of a failed registration. */
static void export_reg_reason(struct daxmr_export *exp, int ret, unsigned int shift, uint32_t seg)
{
	if (ret == -EOPNOTSUPP && exp->mem == DAXMR_SEAL_MEM_FSDAX) {
		snprintf(exp->reason, sizeof(exp->reason),
			 "fs-DAX cannot be pinned and the device has no On-Demand Paging: fs-DAX "
			 "needs ODP (rxe on Linux >= 6.15, or mlx5) or a device-DAX export");
		DAXMR_LOG_ERR("%s: refused: %s", exp->what, exp->reason);
	} else if (ret == -EFBIG) {
		snprintf(exp->reason, sizeof(exp->reason),
			 "%zu bytes need more than %u segments of the largest size the device "
			 "registers",
			 exp->length, (unsigned)DAXMR_EXPORT_NSEG_MAX);
		DAXMR_LOG_ERR("%s: refused: %s", exp->what, exp->reason);
	} else {
		snprintf(exp->reason, sizeof(exp->reason),
			 "registration of segment %" PRIu32 " (%llu-byte segments) failed: %s%s",
			 seg, 1ull << shift, daxmr_log_strerror(ret),
			 ret == -ENOMEM ? " (RLIMIT_MEMLOCK, or the device's MR size limit)" : "");
	}
}

/*
 * Registers the whole mapping (pinned, else ODP) as segments of one power-of-two size, and asks
 * the data-path gate about the mode. The first size tried is the export's length rounded up, cut
 * to the device's max_mr_size and the env's cap (rxe's measured limit); when the first segment
 * fails with ENOMEM or EINVAL (what rxe answers past its MR size limit) the segment size halves,
 * down to EXPORT_SEG_SHIFT_FLOOR. A later segment failing is not about the size (the first one of
 * the same size registered): RLIMIT_MEMLOCK or the like, so no smaller size is tried. Atomic
 * access, when asked for, is dropped once if it is what the device refuses (EINVAL).
 */
static int export_register(struct daxmr_export *exp)
{
	enum daxmr_verbs_mode got = DAXMR_VERBS_PINNED;
	char why[sizeof(exp->reason)] = "";
	unsigned int shift = 0;
	uint32_t nseg = 0, failed = 0;
	struct ibv_mr **mrs;
	int access, ret;

	/*
	 * Windows are bound over this MR (ODP MRs need the flag too). Not for a ro export: the
	 * kernel pins an MW_BIND registration writable (ib_access_writable), and a read-only
	 * mapping then fails with EFAULT; its MR has no remote write to share anyway.
	 */
	exp->mw = exp->env.mw && !exp->ro;
	exp->atomic = exp->env.atomic && !exp->ro;
	ret = daxmr_export_seg_plan(exp->length, exp->env.max_mr_size, exp->env.seg_shift_cap,
				    &shift, &nseg);
	if (ret) {
		export_reg_reason(exp, ret, shift, 0);
		return ret;
	}
	for (;;) {
		access = (exp->ro ? EXPORT_ACCESS_RO : EXPORT_ACCESS_RW) |
			 (exp->mw ? IBV_ACCESS_MW_BIND : 0) |
			 (exp->atomic ? IBV_ACCESS_REMOTE_ATOMIC : 0);
		mrs = calloc(nseg, sizeof(struct ibv_mr *));
		if (!mrs) {
			snprintf(exp->reason, sizeof(exp->reason), "out of memory");
			return -ENOMEM;
		}
		ret = export_reg_segs(exp, mrs, shift, nseg, access, DAXMR_VERBS_AUTO, &got,
				      &failed);
		if (ret == 0)
			break;
		free(mrs);
		if (ret == -EINVAL && exp->atomic && failed == 0) {
			DAXMR_LOG_WRN("%s: %s refuses remote atomic access on it: exported without "
				      "atomics",
				      exp->what,
				      exp->env.devname ? exp->env.devname : "the device");
			exp->atomic = false;
			continue;
		}
		if ((ret != -ENOMEM && ret != -EINVAL) || failed != 0 ||
		    shift <= EXPORT_SEG_SHIFT_FLOOR ||
		    ((exp->length - 1) >> (shift - 1)) + 1 > DAXMR_EXPORT_NSEG_MAX) {
			export_reg_reason(exp, ret, shift, failed);
			return ret;
		}
		shift--;
		nseg = (uint32_t)(((exp->length - 1) >> shift) + 1);
		DAXMR_LOG_WRN("%s: the device cannot register %llu bytes in one MR (%s): trying "
			      "%" PRIu32 " segments of %llu bytes",
			      exp->what, 2ull << shift, daxmr_log_strerror(ret), nseg,
			      1ull << shift);
	}
	exp->mrs = mrs;
	exp->seg_shift = shift;
	exp->nseg = nseg;
	exp->reg = got;
	if (nseg > 1)
		exp->mw = false; /* MR keys: one window per segment is not done yet */
	exp->gate_us = 0;
	if (exp->env.gate) {
		uint64_t t0 = daxmr_clock_us();

		ret = exp->env.gate(exp->env.gate_arg, got, why, sizeof(why));
		exp->gate_us = daxmr_clock_us() - t0;
		if (ret) {
			DAXMR_LOG_ERR("%s: refused: %s", exp->what, why);
			snprintf(exp->reason, sizeof(exp->reason), "%s", why);
			export_dereg_segs(exp, exp->mrs, exp->nseg, "segment");
			return ret;
		}
	}
	return 0;
}

/* Gives back whatever establish took so far, in reverse order; returns the first error. */
static int export_unwind(struct daxmr_export *exp)
{
	uint64_t t0 = daxmr_clock_us(), t1, t2;
	int ret = 0, r;

	/* every segment's MR before the unmap: remote access to any of them ends here */
	r = export_dereg_segs(exp, exp->mrs_ro, exp->nseg, "read-only segment");
	ret = ret ? ret : r;
	r = export_dereg_segs(exp, exp->mrs, exp->nseg, "segment");
	ret = ret ? ret : r;
	free(exp->mrs_ro);
	free(exp->mrs);
	exp->mrs_ro = NULL;
	exp->mrs = NULL;
	exp->nseg = 0;
	t1 = daxmr_clock_us();
	r = export_unmap(exp);
	ret = ret ? ret : r;
	t2 = daxmr_clock_us();
	if (exp->leased) {
		/* munmap first: the lease only protects what we no longer touch after this */
		r = daxmr_lease_release(exp->fd, exp->what);
		ret = ret ? ret : r;
		exp->leased = false;
	}
	if (exp->fd >= 0) {
		if (close(exp->fd) < 0) {
			r = -errno;
			DAXMR_LOG_CALL_ERR("close", r, "%s (fd %d)", exp->what, exp->fd);
			ret = ret ? ret : r;
		}
		exp->fd = -1;
	}
	exp->times.dereg_us = t1 - t0;
	exp->times.unmap_us = t2 - t1;
	exp->times.unlock_us = daxmr_clock_us() - t2;
	return ret;
}

/* Name of a memory kind as LIST and the log say it. */
static const char *export_mem_str(enum daxmr_seal_mem mem)
{
	switch (mem) {
	case DAXMR_SEAL_MEM_FSDAX:
		return "fs-dax";
	case DAXMR_SEAL_MEM_DEVDAX:
		return "devdax";
	case DAXMR_SEAL_MEM_PAGE_CACHE:
		return "page-cache";
	default:
		return "unknown";
	}
}

/* The steps of establish whose times the info line reports, in order. */
enum export_step {
	EXPORT_STEP_LEASE, /* open + F_SETLEASE */
	EXPORT_STEP_SEAL,  /* the export rules: statx, FIEMAP */
	EXPORT_STEP_MAP,
	EXPORT_STEP_REG,     /* every segment's MR, the data-path check included */
	EXPORT_STEP_WINDOWS, /* whether windows are bound (they are bound at each OPEN) */
	EXPORT_STEP_N,
};

/* One info line: how long each step of establish took (t: EXPORT_STEP_N + 1 clock readings). */
static void export_log_steps(const struct daxmr_export *exp, const uint64_t *t)
{
	uint64_t reg = t[EXPORT_STEP_REG + 1] - t[EXPORT_STEP_REG] - exp->gate_us;

#define EXPORT_MS(us) (us) / 1000, (us) % 1000
	DAXMR_LOG_INF("export %s: generation %" PRIu64 " established in %" PRIu64 ".%03" PRIu64
		      " ms: lease %" PRIu64 ".%03" PRIu64 ", seal %" PRIu64 ".%03" PRIu64
		      ", map %" PRIu64 ".%03" PRIu64 ", register %" PRIu64 ".%03" PRIu64
		      " (%s, %" PRIu32 " MR%s), datacheck %" PRIu64 ".%03" PRIu64
		      ", windows %" PRIu64 ".%03" PRIu64 " ms",
		      exp->name, exp->generation, EXPORT_MS(t[EXPORT_STEP_N] - t[0]),
		      EXPORT_MS(t[1] - t[0]), EXPORT_MS(t[2] - t[1]), EXPORT_MS(t[3] - t[2]),
		      EXPORT_MS(reg), exp->reg == DAXMR_VERBS_ODP ? "odp" : "pinned", exp->nseg,
		      exp->nseg == 1 ? "" : "s", EXPORT_MS(exp->gate_us),
		      EXPORT_MS(t[EXPORT_STEP_N] - t[EXPORT_STEP_WINDOWS]));
#undef EXPORT_MS
}

/* Establishes a new generation: open, lease, seal, map, register, gate. */
int daxmr_export_establish(struct daxmr_export *exp)
{
	struct daxmr_seal_opts sopts = DAXMR_SEAL_OPTS_DEFAULT;
	struct daxmr_seal_report report;
	uint64_t t[EXPORT_STEP_N + 1];
	int ret;

	if (exp->state != DAXMR_EXPORT_CONFIGURED && exp->state != DAXMR_EXPORT_RELEASED &&
	    exp->state != DAXMR_EXPORT_UNAVAILABLE)
		return -EBUSY;
	exp->reason[0] = '\0';
	exp->down = false;
	exp->final = false;
	t[0] = daxmr_clock_us();
	ret = export_open(exp);
	if (ret)
		goto err;
	ret = export_lease(exp);
	if (ret)
		goto err_unwind;
	t[1] = daxmr_clock_us();
	/* from here on a failure is the file's or the device's: waiting will not fix it */
	exp->down = true;
	memset(&report, 0, sizeof(report));
	sopts.allow_non_dax = exp->allow_non_dax;
	ret = daxmr_seal_check(exp->fd, exp->path, &sopts, &report);
	if (ret) {
		snprintf(exp->reason, sizeof(exp->reason), "%s", report.reason);
		goto err_unwind;
	}
	t[2] = daxmr_clock_us();
	exp->mem = report.mem;
	if (report.mem == DAXMR_SEAL_MEM_PAGE_CACHE)
		DAXMR_LOG_WRN("%s: not DAX: exported from the page cache (--allow-non-dax)%s%s",
			      exp->what, report.reason[0] ? ": " : "", report.reason);
	ret = export_map(exp);
	if (ret)
		goto err_unwind;
	t[3] = daxmr_clock_us();
	ret = export_register(exp);
	if (ret) {
		exp->final = true; /* the device keeps refusing it: do not try every 10 s */
		goto err_unwind;
	}
	t[4] = daxmr_clock_us();
	exp->down = false;
	if (!exp->env.mw)
		daxmr_export_window_failed(exp, "the device reports no type-2 windows");
	else if (exp->ro)
		daxmr_export_window_failed(exp,
					   "a read-only export: IBV_ACCESS_MW_BIND would need a "
					   "writable pin of its read-only mapping");
	else if (!exp->mw)
		daxmr_export_window_failed(exp, "an export of several segments: per-segment "
						"windows are not implemented");
	t[5] = daxmr_clock_us();
	exp->generation++;
	exp->retry_ms = DAXMR_EXPORT_BACKOFF_MIN_MS;
	exp->backoff_ms = DAXMR_EXPORT_BACKOFF_MIN_MS;
	exp->state = DAXMR_EXPORT_AVAILABLE;
	DAXMR_LOG_NTC("export %s: path %s, %s, %s, %s, %zu bytes in %" PRIu32
		      " segment%s of %llu bytes, generation %" PRIu64
		      ", rkey 0x%x, persist granularity %u%s",
		      exp->name, exp->path, export_mem_str(exp->mem),
		      exp->reg == DAXMR_VERBS_ODP ? "odp" : "pinned", exp->ro ? "ro" : "rw",
		      exp->length, exp->nseg, exp->nseg == 1 ? "" : "s", 1ull << exp->seg_shift,
		      exp->generation, exp->mrs[0]->rkey, exp->persist_gran,
		      exp->atomic ? ", atomics" : "");
	export_log_steps(exp, t);
	return 0;

err_unwind:
	export_unwind(exp);
err:
	if (!exp->reason[0])
		snprintf(exp->reason, sizeof(exp->reason), "%s", daxmr_log_strerror(ret));
	exp->mem = DAXMR_SEAL_MEM_UNKNOWN;
	exp->state = DAXMR_EXPORT_UNAVAILABLE;
	exp->retry_ms = exp->backoff_ms;
	exp->backoff_ms = exp->backoff_ms > DAXMR_EXPORT_BACKOFF_MAX_MS / 2 ?
				  DAXMR_EXPORT_BACKOFF_MAX_MS :
				  exp->backoff_ms * 2;
	if (exp->final)
		DAXMR_LOG_ERR("%s: unavailable: %s; no further attempt (a registration the "
			      "device refuses stays refused: restart daxmrd once that changed)",
			      exp->what, exp->reason);
	else
		DAXMR_LOG_WRN("%s: unavailable: %s; next attempt in %u ms", exp->what, exp->reason,
			      exp->retry_ms);
	return ret;
}

/* Delay before the next attempt. */
unsigned int daxmr_export_backoff_ms(const struct daxmr_export *exp)
{
	return exp->retry_ms;
}

/* Whether another establish attempt may succeed. */
bool daxmr_export_retries(const struct daxmr_export *exp)
{
	return !exp->final;
}

/* Whether the export is down for a reason waiting will not remove. */
bool daxmr_export_down(const struct daxmr_export *exp)
{
	return exp->state == DAXMR_EXPORT_UNAVAILABLE && exp->down;
}

uint32_t daxmr_export_nseg(const struct daxmr_export *exp)
{
	return exp->nseg;
}

/* AVAILABLE -> REVOKING. */
int daxmr_export_revoke_begin(struct daxmr_export *exp)
{
	if (exp->state != DAXMR_EXPORT_AVAILABLE)
		return -EBUSY;
	exp->state = DAXMR_EXPORT_REVOKING;
	return 0;
}

/* How long the last release's steps took. */
const struct daxmr_export_times *daxmr_export_times(const struct daxmr_export *exp)
{
	return &exp->times;
}

/* REVOKING -> RELEASED: dereg, munmap, F_UNLCK, close. */
int daxmr_export_release(struct daxmr_export *exp)
{
	int ret;

	if (exp->state != DAXMR_EXPORT_REVOKING)
		return -EBUSY;
	ret = export_unwind(exp);
	exp->mem = DAXMR_SEAL_MEM_UNKNOWN;
	exp->state = DAXMR_EXPORT_RELEASED;
	return ret;
}

/* Releases everything and frees the export. */
int daxmr_export_delete(struct daxmr_export **exp_ptr)
{
	struct daxmr_export *exp;
	int ret;

	if (!exp_ptr || !*exp_ptr)
		return 0;
	exp = *exp_ptr;
	ret = export_unwind(exp);
	free(exp->allow);
	free(exp->what);
	free(exp->name);
	free(exp->path);
	free(exp);
	*exp_ptr = NULL;
	return ret;
}

enum daxmr_export_state daxmr_export_state(const struct daxmr_export *exp)
{
	return exp->state;
}

const char *daxmr_export_name(const struct daxmr_export *exp)
{
	return exp->name;
}

const char *daxmr_export_path(const struct daxmr_export *exp)
{
	return exp->path;
}

uint32_t daxmr_export_id(const struct daxmr_export *exp)
{
	return exp->id;
}

uint64_t daxmr_export_generation(const struct daxmr_export *exp)
{
	return exp->generation;
}

bool daxmr_export_ro(const struct daxmr_export *exp)
{
	return exp->ro;
}

int daxmr_export_fd(const struct daxmr_export *exp)
{
	return exp->fd;
}

const char *daxmr_export_reason(const struct daxmr_export *exp)
{
	return exp->reason;
}

/* Wire enum of the memory kind. */
static enum daxmr_proto_memory export_proto_mem(enum daxmr_seal_mem mem)
{
	switch (mem) {
	case DAXMR_SEAL_MEM_DEVDAX:
		return DAXMR_PROTO_MEMORY_DEVDAX;
	case DAXMR_SEAL_MEM_PAGE_CACHE:
		return DAXMR_PROTO_MEMORY_PAGECACHE;
	default:
		return DAXMR_PROTO_MEMORY_FSDAX;
	}
}

/* The LIST entry of a held export. */
int daxmr_export_entry(const struct daxmr_export *exp, struct daxmr_proto_export *entry)
{
	if (exp->state != DAXMR_EXPORT_AVAILABLE && exp->state != DAXMR_EXPORT_REVOKING)
		return -EAGAIN;
	memset(entry, 0, sizeof(*entry));
	entry->export_id = exp->id;
	entry->generation = exp->generation;
	entry->length = exp->length;
	entry->access = exp->ro ? DAXMR_PROTO_ACCESS_RO : DAXMR_PROTO_ACCESS_RW;
	entry->memory = export_proto_mem(exp->mem);
	entry->registration =
		exp->reg == DAXMR_VERBS_ODP ? DAXMR_PROTO_REG_ODP : DAXMR_PROTO_REG_PINNED;
	snprintf(entry->name, sizeof(entry->name), "%s", exp->name);
	return 0;
}

/* The fields every descriptor of the current generation shares; keys are the caller's. */
static void export_desc_fill(const struct daxmr_export *exp, enum daxmr_proto_access access,
			     enum daxmr_proto_key_kind kind, struct daxmr_proto_desc *desc)
{
	memset(desc, 0, offsetof(struct daxmr_proto_desc, keys));
	desc->export_id = exp->id;
	desc->generation = exp->generation;
	desc->addr = (uint64_t)(uintptr_t)exp->addr;
	desc->length = exp->length;
	desc->persist_granularity = exp->persist_gran;
	desc->access = access;
	desc->memory = export_proto_mem(exp->mem);
	desc->registration =
		exp->reg == DAXMR_VERBS_ODP ? DAXMR_PROTO_REG_ODP : DAXMR_PROTO_REG_PINNED;
	desc->key_kind = kind;
	desc->seg_shift = (uint8_t)exp->seg_shift;
	desc->flags =
		exp->atomic && access == DAXMR_PROTO_ACCESS_RW ? DAXMR_PROTO_DESC_F_ATOMIC : 0;
	desc->nseg = exp->nseg;
	desc->nkeys =
		(uint16_t)(exp->nseg < DAXMR_PROTO_KEYS_MAX ? exp->nseg : DAXMR_PROTO_KEYS_MAX);
}

/*
 * The MRs whose keys an access gets: the export's own, or (ro access to a rw export: its keys
 * would let a ro client write) read-only ones over the same segments, registered on first use.
 */
static int export_mrs_for(struct daxmr_export *exp, enum daxmr_proto_access access,
			  struct ibv_mr ***mrs_ptr)
{
	enum daxmr_verbs_mode got;
	uint32_t failed;
	int ret;

	if (access == DAXMR_PROTO_ACCESS_RW || exp->ro) {
		*mrs_ptr = exp->mrs;
		return 0;
	}
	if (!exp->mrs_ro) {
		exp->mrs_ro = calloc(exp->nseg, sizeof(struct ibv_mr *));
		if (!exp->mrs_ro)
			return -ENOMEM;
		ret = export_reg_segs(exp, exp->mrs_ro, exp->seg_shift, exp->nseg, EXPORT_ACCESS_RO,
				      exp->reg, &got, &failed);
		if (ret) {
			free(exp->mrs_ro);
			exp->mrs_ro = NULL;
			return ret;
		}
	}
	*mrs_ptr = exp->mrs_ro;
	return 0;
}

/* The descriptor for an OPEN. */
int daxmr_export_desc(struct daxmr_export *exp, enum daxmr_proto_access access,
		      struct daxmr_proto_desc *desc)
{
	struct ibv_mr **mrs;
	uint16_t i;
	int ret;

	if (access == DAXMR_PROTO_ACCESS_RW && exp->ro)
		return -EACCES;
	if (exp->state != DAXMR_EXPORT_AVAILABLE)
		return -EAGAIN;
	ret = export_mrs_for(exp, access, &mrs);
	if (ret)
		return ret;
	export_desc_fill(exp, access, DAXMR_PROTO_KEY_MR, desc);
	for (i = 0; i < desc->nkeys; i++)
		desc->keys[i] = mrs[i]->rkey;
	desc->rkey = desc->keys[0];
	return 0;
}

/* The keys of segments first .. for a KEYS request. */
int daxmr_export_keys(struct daxmr_export *exp, enum daxmr_proto_access access, uint32_t first,
		      struct daxmr_proto_keys_reply *kr)
{
	struct ibv_mr **mrs;
	uint32_t n;
	uint16_t i;
	int ret;

	if (access == DAXMR_PROTO_ACCESS_RW && exp->ro)
		return -EACCES;
	if (exp->state != DAXMR_EXPORT_AVAILABLE && exp->state != DAXMR_EXPORT_REVOKING)
		return -EAGAIN;
	if (first >= exp->nseg)
		return -ERANGE;
	ret = export_mrs_for(exp, access, &mrs);
	if (ret)
		return ret;
	n = exp->nseg - first;
	kr->first = first;
	kr->count = (uint16_t)(n < DAXMR_PROTO_KEYS_MAX ? n : DAXMR_PROTO_KEYS_MAX);
	for (i = 0; i < kr->count; i++)
		kr->keys[i] = mrs[first + i]->rkey;
	return 0;
}

/* The descriptor and bind parameters of a per-connection window over the whole export. */
int daxmr_export_window(struct daxmr_export *exp, enum daxmr_proto_access access,
			struct daxmr_proto_desc *desc, struct ibv_mw_bind_info *bind)
{
	if (access == DAXMR_PROTO_ACCESS_RW && exp->ro)
		return -EACCES;
	if (exp->state != DAXMR_EXPORT_AVAILABLE)
		return -EAGAIN;
	if (!exp->mw)
		return -EOPNOTSUPP;
	export_desc_fill(exp, access, DAXMR_PROTO_KEY_MW, desc);
	desc->rkey = 0;
	desc->keys[0] = 0;
	memset(bind, 0, sizeof(*bind));
	bind->mr = exp->mrs[0]; /* exp->mw: one segment */
	bind->addr = desc->addr;
	/* rxe does not enforce a window's bounds: the window is a per-QP key, not a fence */
	bind->length = exp->length;
	bind->mw_access_flags = access == DAXMR_PROTO_ACCESS_RW ?
					IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE :
					IBV_ACCESS_REMOTE_READ;
	if (desc->flags & DAXMR_PROTO_DESC_F_ATOMIC)
		bind->mw_access_flags |= IBV_ACCESS_REMOTE_ATOMIC;
	return 0;
}

/* The MR-key fallback, said once per export. */
void daxmr_export_window_failed(struct daxmr_export *exp, const char *why)
{
	if (exp->mw_noted)
		return;
	exp->mw_noted = true;
	DAXMR_LOG_WRN("%s: memory windows unavailable on %s: clients share the MR key (%s)",
		      exp->what, exp->env.devname ? exp->env.devname : "the device", why);
}

/* Persists a range: CPU cache flush on DAX (MAP_SYNC: no metadata to flush), msync otherwise. */
int daxmr_export_flush(struct daxmr_export *exp, uint64_t off, uint64_t len)
{
	uint64_t start, end;
	int ret;

	if (exp->state != DAXMR_EXPORT_AVAILABLE && exp->state != DAXMR_EXPORT_REVOKING)
		return -EAGAIN;
	if (off > exp->length || len > exp->length - off)
		return -ERANGE;
	if (len == 0)
		return 0;
	if (exp->mem != DAXMR_SEAL_MEM_PAGE_CACHE) {
		exp->persist((char *)exp->addr + off, len);
		return 0;
	}
	start = off / EXPORT_PAGE * EXPORT_PAGE;
	end = off + len;
	if (msync((char *)exp->addr + start, end - start, MS_SYNC) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("msync", ret,
				   "%s, offset %" PRIu64 ", %" PRIu64 " bytes, MS_SYNC", exp->what,
				   start, end - start);
		return ret;
	}
	return 0;
}
