/* SPDX-License-Identifier: BSD-3-Clause */
/* datacheck.c -- trust, but verify: loopback placement check of a registration mode on a device */
#include "datacheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "loopback.h"
#include "pattern.h"

#define DATACHECK_PAGES 16 /* both buffers; the offsets below stay inside them */
#define DATACHECK_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)

/* One operation of the check; offsets and lengths in bytes, or pages where it says so. */
struct datacheck_step {
	enum daxmr_datacheck_op op;
	size_t local_off;  /* in the reader's / writer's pinned buffer */
	size_t remote_off; /* in the scratch buffer under test */
	size_t len;
	bool aligned; /* the page-aligned, page-multiple ones, reported separately */
	uint32_t seed, guard;
};

/* A buffer and its MR. */
struct datacheck_buf {
	uint8_t *addr; /* owned: mmap of size bytes */
	size_t size;
	struct ibv_mr *mr; /* owned */
};

/* "PASS", "FAIL", "UNSUPPORTED". */
const char *daxmr_datacheck_verdict_str(enum daxmr_datacheck_verdict verdict)
{
	switch (verdict) {
	case DAXMR_DATACHECK_PASS:
		return "PASS";
	case DAXMR_DATACHECK_FAIL:
		return "FAIL";
	case DAXMR_DATACHECK_UNSUPPORTED:
		return "UNSUPPORTED";
	}
	return "unknown";
}

/* The operation's name and where it went, as the symptom starts. */
static int datacheck_op_str(const struct daxmr_datacheck_expect *exp, char *buf, size_t size)
{
	if (exp->op == DAXMR_DATACHECK_WRITE)
		return snprintf(buf, size, "RDMA WRITE of %zu bytes at offset %zu", exp->len,
				exp->off);
	return snprintf(buf, size, "RDMA READ of %zu bytes from offset %zu", exp->len,
			exp->first_pos);
}

/*
 * What the checked buffer would hold under the rxe ODP bug of Debian's 7.x kernels (measured in
 * the guest): each packet is copied page by page, every piece to (WRITE) or from (READ) the
 * *start* of its page, and the packet side's pointer is not advanced between pieces. So a WRITE
 * packet's pieces all start with the packet's first bytes; a READ packet gets each source page's
 * first bytes at its own start, and its bytes past the first piece's length are never written
 * (care[] = 0 there: anything goes).
 */
static void datacheck_page_start_image(const struct daxmr_datacheck_expect *exp, uint8_t *img,
				       uint8_t *care, size_t buf_len)
{
	size_t k, j, at, plen, rem, bytes, pg_off, page_at, iova;

	daxmr_pattern_fill(img, 0, buf_len, exp->guard, 0);
	memset(care, 1, buf_len);
	for (k = 0; k * exp->mtu < exp->len; k++) {
		plen = exp->len - k * exp->mtu < exp->mtu ? exp->len - k * exp->mtu : exp->mtu;
		iova = (exp->op == DAXMR_DATACHECK_WRITE ? exp->off : exp->first_pos) +
		       k * exp->mtu;
		pg_off = iova % exp->page;
		page_at = iova - pg_off;
		if (exp->op == DAXMR_DATACHECK_READ)
			for (j = 0; j < plen && exp->off + k * exp->mtu + j < buf_len; j++)
				care[exp->off + k * exp->mtu + j] = 0;
		for (rem = plen; rem > 0; rem -= bytes, page_at += exp->page, pg_off = 0) {
			bytes = exp->page - pg_off < rem ? exp->page - pg_off : rem;
			for (j = 0; j < bytes; j++) {
				if (exp->op == DAXMR_DATACHECK_WRITE) {
					at = page_at + j;
					if (at < buf_len)
						img[at] = daxmr_pattern_byte(
							exp->seed,
							exp->first_pos + k * exp->mtu + j);
				} else {
					at = exp->off + k * exp->mtu + j;
					if (at < buf_len) {
						img[at] =
							daxmr_pattern_byte(exp->seed, page_at + j);
						care[at] = 1;
					}
				}
			}
		}
	}
}

/* Whether buf equals img wherever care[] says it matters. */
static bool datacheck_image_matches(const uint8_t *buf, const uint8_t *img, const uint8_t *care,
				    size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (care[i] && buf[i] != img[i])
			return false;
	return true;
}

/* Checks the placement of one operation's data; see datacheck.h. */
int daxmr_datacheck_analyze(const struct daxmr_datacheck_expect *exp, const uint8_t *buf,
			    size_t buf_len, char *symptom, size_t symptom_size)
{
	size_t end = exp->off + exp->len, first_bad = 0, first_out = 0, bad, out;
	uint8_t want;
	uint8_t *img;
	int n;

	bad = daxmr_pattern_count_bad(buf, exp->off, end, exp->seed, exp->first_pos, &first_bad);
	out = daxmr_pattern_count_bad(buf, 0, exp->off, exp->guard, 0, &first_out);
	out += daxmr_pattern_count_bad(buf, end, buf_len, exp->guard, end, out ? NULL : &first_out);
	if (bad == 0 && out == 0)
		return 0;

	n = datacheck_op_str(exp, symptom, symptom_size);
	if (n >= 0 && (size_t)n < symptom_size)
		n += snprintf(symptom + n, symptom_size - (size_t)n, ": %zu bytes misplaced", bad);
	if (out && n >= 0 && (size_t)n < symptom_size)
		n += snprintf(symptom + n, symptom_size - (size_t)n,
			      ", %zu bytes outside it overwritten", out);
	if (n < 0 || (size_t)n >= symptom_size)
		return -EILSEQ;

	if (exp->mtu && exp->page) {
		img = malloc(2 * buf_len);
		if (!img)
			return -ENOMEM;
		datacheck_page_start_image(exp, img, img + buf_len, buf_len);
		if (datacheck_image_matches(buf, img, img + buf_len, buf_len)) {
			snprintf(
				symptom + n, symptom_size - (size_t)n,
				"; each %u-byte packet %s the start of its %zu KiB page (one piece "
				"per page it spans)",
				exp->mtu,
				exp->op == DAXMR_DATACHECK_WRITE ? "landed at" : "was read from",
				exp->page >> 10);
			free(img);
			return -EILSEQ;
		}
		free(img);
	}
	if (bad) {
		want = daxmr_pattern_byte(exp->seed, exp->first_pos + (first_bad - exp->off));
	} else {
		first_bad = first_out;
		want = daxmr_pattern_byte(exp->guard, first_bad);
	}
	snprintf(symptom + n, symptom_size - (size_t)n,
		 "; first bad byte at %soffset %zu (0x%02x, expected 0x%02x)",
		 exp->op == DAXMR_DATACHECK_READ ? "destination " : "", first_bad, buf[first_bad],
		 want);
	return -EILSEQ;
}

/* Unregisters and unmaps one buffer; NULL-safe. */
static void datacheck_buf_delete(struct datacheck_buf *b, const char *what)
{
	int ret;

	if (b->mr && (ret = -ibv_dereg_mr(b->mr)))
		DAXMR_LOG_CALL_ERR("ibv_dereg_mr", ret, "%s", what);
	b->mr = NULL;
	if (b->addr && munmap(b->addr, b->size) < 0)
		DAXMR_LOG_CALL_ERR("munmap", -errno, "%s, %zu bytes", what, b->size);
	b->addr = NULL;
}

/*
 * Maps size bytes: anonymous private memory for PINNED, a memfd (shmem) MAP_SHARED mapping for ODP
 * -- file-backed like an export, yet never a user's file. 0 or -errno (logged).
 */
static int datacheck_map(enum daxmr_verbs_mode mode, size_t size, uint8_t **addr_ptr)
{
	void *addr;
	int fd, ret;

	if (mode == DAXMR_VERBS_PINNED) {
		addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (addr == MAP_FAILED) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("mmap", ret, "anonymous, %zu bytes", size);
			return ret;
		}
		*addr_ptr = addr;
		return 0;
	}
	fd = memfd_create("daxmr-datacheck", MFD_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("memfd_create", ret, "daxmr-datacheck");
		return ret;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ftruncate", ret, "memfd daxmr-datacheck to %zu bytes", size);
		goto err_close;
	}
	addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("mmap", ret, "memfd daxmr-datacheck, %zu bytes, MAP_SHARED",
				   size);
		goto err_close;
	}
	close(fd); /* the mapping keeps the memfd alive */
	*addr_ptr = addr;
	return 0;

err_close:
	close(fd);
	return ret;
}

/* Maps and registers one buffer in mode. 0 or -errno (logged). */
static int datacheck_buf_new(struct ibv_pd *pd, enum daxmr_verbs_mode mode, size_t size,
			     const char *what, struct datacheck_buf *b)
{
	int ret;

	b->size = size;
	ret = datacheck_map(mode, size, &b->addr);
	if (ret)
		return ret;
	ret = daxmr_verbs_reg(pd, b->addr, size, DATACHECK_ACCESS, mode, what, &b->mr, NULL);
	if (ret) {
		munmap(b->addr, size);
		b->addr = NULL;
		return ret;
	}
	return 0;
}

/* Sets the verdict FAIL and, if it is the first failure of its kind, its symptom. */
static void datacheck_fail(struct daxmr_datacheck_result *res, bool aligned, const char *symptom)
{
	res->verdict = DAXMR_DATACHECK_FAIL;
	if (aligned && !res->aligned_symptom[0])
		snprintf(res->aligned_symptom, sizeof(res->aligned_symptom), "%s", symptom);
	if (!res->symptom[0])
		snprintf(res->symptom, sizeof(res->symptom), "%s", symptom);
}

/*
 * Runs one step: fills both buffers, does the operation, checks the buffer the data went into
 * and (READ) that the source is unchanged. 0 (the verdict in res), or the operation's -errno:
 * the QPs are unusable after it.
 */
static int datacheck_step(struct daxmr_loopback *lb, struct datacheck_buf *local,
			  struct datacheck_buf *remote, const struct datacheck_step *s,
			  struct daxmr_datacheck_result *res)
{
	struct daxmr_datacheck_expect exp = {
		.op = s->op,
		.len = s->len,
		.seed = s->seed,
		.guard = s->guard,
		.mtu = res->path_mtu,
		.page = res->page,
	};
	struct ibv_sge sge = {
		.addr = (uintptr_t)(local->addr + s->local_off),
		.length = (uint32_t)s->len,
		.lkey = local->mr->lkey,
	};
	uint64_t raddr = (uintptr_t)(remote->addr + s->remote_off);
	char symptom[DAXMR_DATACHECK_SYMPTOM_MAX];
	size_t bad;
	int ret;

	if (s->op == DAXMR_DATACHECK_WRITE) {
		daxmr_pattern_fill(local->addr, 0, local->size, s->seed, 0);
		daxmr_pattern_fill(remote->addr, 0, remote->size, s->guard, 0);
		exp.off = s->remote_off;
		exp.first_pos = s->local_off;
		ret = daxmr_loopback_write(lb, &sge, raddr, remote->mr->rkey);
	} else {
		daxmr_pattern_fill(local->addr, 0, local->size, s->guard, 0);
		daxmr_pattern_fill(remote->addr, 0, remote->size, s->seed, 0);
		exp.off = s->local_off;
		exp.first_pos = s->remote_off;
		ret = daxmr_loopback_read(lb, &sge, raddr, remote->mr->rkey);
	}
	if (ret) {
		datacheck_op_str(&exp, symptom, sizeof(symptom));
		snprintf(symptom + strlen(symptom), sizeof(symptom) - strlen(symptom),
			 ": failed: %s", daxmr_log_strerror(ret));
		datacheck_fail(res, s->aligned, symptom);
		return ret;
	}
	ret = daxmr_datacheck_analyze(&exp,
				      s->op == DAXMR_DATACHECK_WRITE ? remote->addr : local->addr,
				      s->op == DAXMR_DATACHECK_WRITE ? remote->size : local->size,
				      symptom, sizeof(symptom));
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		DAXMR_LOG_INF("data-path check (%s): %s", daxmr_verbs_mode_str(res->mode), symptom);
		datacheck_fail(res, s->aligned, symptom);
		return 0;
	}
	if (s->op == DAXMR_DATACHECK_READ) {
		bad = daxmr_pattern_count_bad(remote->addr, 0, remote->size, s->seed, 0, NULL);
		if (bad) {
			datacheck_op_str(&exp, symptom, sizeof(symptom));
			snprintf(symptom + strlen(symptom), sizeof(symptom) - strlen(symptom),
				 ": changed %zu bytes of its source", bad);
			datacheck_fail(res, s->aligned, symptom);
		}
	}
	return 0;
}

/* The device lacks ODP for RC READ/WRITE: UNSUPPORTED, no scratch buffer. */
static int datacheck_odp_supported(struct ibv_context *ctx, struct daxmr_datacheck_result *res)
{
	bool odp = false;
	int ret;

	ret = daxmr_verbs_odp_caps(ctx, &odp);
	if (ret)
		return ret;
	if (!odp) {
		res->verdict = DAXMR_DATACHECK_UNSUPPORTED;
		snprintf(res->symptom, sizeof(res->symptom),
			 "%s has no On-Demand Paging for RC READ/WRITE (needs rxe on Linux >= "
			 "6.15, or mlx5)",
			 ibv_get_device_name(ctx->device));
	}
	return 0;
}

/* The data-path check; see datacheck.h. */
int daxmr_datacheck_run(struct ibv_context *ctx, struct ibv_pd *pd, enum daxmr_verbs_mode mode,
			struct daxmr_datacheck_result *res)
{
	const struct daxmr_loopback_opts opts = DAXMR_LOOPBACK_OPTS_DEFAULT;
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	/* odd offsets and lengths: neither end page- or packet-aligned, several packets at MTU 4096
	 */
	const struct datacheck_step steps[] = {
		{ DAXMR_DATACHECK_WRITE, 777, pg + 1000, 5 * pg + 1234, false, 0xdc000002u,
		  0xdc000001u },
		{ DAXMR_DATACHECK_READ, 2049, 8 * pg + 123, 6 * pg + 321, false, 0xdc000004u,
		  0xdc000003u },
		{ DAXMR_DATACHECK_WRITE, pg, 2 * pg, 2 * pg, true, 0xdc000006u, 0xdc000005u },
		{ DAXMR_DATACHECK_READ, 3 * pg, 4 * pg, 2 * pg, true, 0xdc000008u, 0xdc000007u },
	};
	struct datacheck_buf scratch = { 0 }, local = { 0 };
	struct daxmr_loopback *lb = NULL;
	char what[96];
	size_t i;
	int ret;

	memset(res, 0, sizeof(*res));
	res->mode = mode;
	res->page = pg;
	if (mode != DAXMR_VERBS_PINNED && mode != DAXMR_VERBS_ODP) {
		DAXMR_LOG_ERR("data-path check: mode %s: checks run on PINNED or ODP only",
			      daxmr_verbs_mode_str(mode));
		return -EINVAL;
	}
	if (mode == DAXMR_VERBS_ODP) {
		ret = datacheck_odp_supported(ctx, res);
		if (ret || res->verdict == DAXMR_DATACHECK_UNSUPPORTED)
			return ret;
	}

	snprintf(what, sizeof(what), "data-path check scratch buffer (%s, %s)",
		 daxmr_verbs_mode_str(mode), mode == DAXMR_VERBS_ODP ? "memfd" : "anonymous");
	ret = datacheck_buf_new(pd, mode, DATACHECK_PAGES * pg, what, &scratch);
	if (ret == -EOPNOTSUPP && mode == DAXMR_VERBS_ODP) {
		/* the caps said yes, the registration said no (e.g. the kernel lacks it) */
		res->verdict = DAXMR_DATACHECK_UNSUPPORTED;
		snprintf(res->symptom, sizeof(res->symptom),
			 "%s: ibv_reg_mr with IBV_ACCESS_ON_DEMAND refused (EOPNOTSUPP)",
			 ibv_get_device_name(ctx->device));
		return 0;
	}
	if (ret)
		return ret;
	ret = datacheck_buf_new(pd, DAXMR_VERBS_PINNED, DATACHECK_PAGES * pg,
				"data-path check client buffer (pinned, anonymous)", &local);
	if (ret)
		goto err_scratch;
	ret = daxmr_loopback_new(ctx, pd, &opts, &lb);
	if (ret)
		goto err_local;
	res->path_mtu = daxmr_loopback_path_mtu(lb);
	res->verdict = DAXMR_DATACHECK_PASS;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ret = datacheck_step(lb, &local, &scratch, &steps[i], res);
		if (ret == -ENOMEM)
			goto err_loopback;
		if (ret) {
			ret = 0; /* a verdict: FAIL, with the failed operation as its symptom */
			break;
		}
	}
	/* true only if the aligned steps ran (no earlier operation failed) and placed exactly */
	res->aligned_ok = i == sizeof(steps) / sizeof(steps[0]) && !res->aligned_symptom[0];
	if (!res->aligned_ok && !res->aligned_symptom[0])
		snprintf(res->aligned_symptom, sizeof(res->aligned_symptom),
			 "not run: an earlier operation failed");
	DAXMR_LOG_INF("data-path check on %s, %s, path MTU %u: %s%s%s; page-aligned I/O: %s",
		      ibv_get_device_name(ctx->device), daxmr_verbs_mode_str(mode), res->path_mtu,
		      daxmr_datacheck_verdict_str(res->verdict), res->symptom[0] ? ": " : "",
		      res->symptom, res->aligned_ok ? "exact" : res->aligned_symptom);

err_loopback:
	daxmr_loopback_delete(&lb);
err_local:
	datacheck_buf_delete(&local, "data-path check client buffer");
err_scratch:
	datacheck_buf_delete(&scratch, "data-path check scratch buffer");
	return ret;
}

/* A gate with no verdict yet. */
void daxmr_datacheck_gate_init(struct daxmr_datacheck_gate *g, struct ibv_context *ctx,
			       struct ibv_pd *pd, const char *devname, bool warn,
			       int (*run)(struct ibv_context *ctx, struct ibv_pd *pd,
					  enum daxmr_verbs_mode mode,
					  struct daxmr_datacheck_result *res))
{
	memset(g, 0, sizeof(*g));
	g->ctx = ctx;
	g->pd = pd;
	g->devname = devname;
	g->warn = warn;
	g->run = run;
}

/* The exports' gate: runs the check of mode once, then answers from its verdict. */
int daxmr_datacheck_gate(void *arg, enum daxmr_verbs_mode mode, char *why, size_t why_size)
{
	struct daxmr_datacheck_gate *g = arg;
	struct daxmr_datacheck_result *res;
	int ret;

	if (mode != DAXMR_VERBS_PINNED && mode != DAXMR_VERBS_ODP)
		return 0;
	res = &g->mode[mode].res;
	if (!g->mode[mode].known) {
		memset(res, 0, sizeof(*res));
		ret = g->run(g->ctx, g->pd, mode, res);
		if (ret) {
			res->verdict = DAXMR_DATACHECK_FAIL;
			snprintf(res->symptom, sizeof(res->symptom), "the check could not run: %s",
				 daxmr_log_strerror(ret));
		}
		g->mode[mode].known = true;
		DAXMR_LOG_NTC("data-path check on %s, registration %s: %s%s%s", g->devname,
			      daxmr_verbs_mode_str(mode), daxmr_datacheck_verdict_str(res->verdict),
			      res->symptom[0] ? ": " : "", res->symptom);
	}
	if (res->verdict != DAXMR_DATACHECK_FAIL)
		return 0;
	if (g->warn) {
		DAXMR_LOG_WRN("!!! device %s, registration %s FAILED the data-path check (%s): "
			      "using it anyway because of --odp-check=warn: remote reads and "
			      "writes may land at the wrong offsets !!!",
			      g->devname, daxmr_verbs_mode_str(mode), res->symptom);
		return 0;
	}
	snprintf(why, why_size,
		 "device %s, registration %s failed the data-path check: %s (see "
		 "docs/rxe-fix.md for a fixed rdma_rxe module; --odp-check=warn uses it anyway)",
		 g->devname, daxmr_verbs_mode_str(mode), res->symptom);
	return -EIO;
}
