/* SPDX-License-Identifier: BSD-3-Clause */
/* datacheck_test.c -- unit tests of datacheck: placement analysis, and the run with fakes */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "datacheck.h"
#include "loopback.h"
#include "pattern.h"

#define PG 4096u
#define BUF_LEN (16u * PG)
#define SEED 0x11110002u
#define GUARD 0x11110001u
#define FAKE_MEMFD 4242

/* What the fakes do and saw; zeroed before every test. */
static struct {
	int mmap_err, mmap_fail_at; /* the mmap_fail_at-th mmap (1-based) fails with mmap_err */
	int mmap_calls, live_maps;
	bool saw_shared_memfd;	    /* an mmap was MAP_SHARED of FAKE_MEMFD */
	int memfd_err, ftruncate_err;
	int memfd_calls, closes;
	int reg_err, reg_fail_at;   /* the reg_fail_at-th daxmr_verbs_reg fails with reg_err */
	int reg_calls, live_mrs;
	enum daxmr_verbs_mode reg_modes[4];
	int caps_err;
	bool no_odp;
	int lb_new_err, live_lbs;
	int write_err, read_err;
	unsigned int mtu;
	bool page_start_bug;	    /* the fake loopback misplaces like rxe ODP on Linux 7.x */
	struct ibv_mr *scratch_mr;  /* the first MR registered: the buffer under test */
} mock;

static struct ibv_device fake_dev;
static struct ibv_context fake_ctx = { .device = &fake_dev };
static struct ibv_pd fake_pd = { .context = &fake_ctx };
static int fake_lb_storage;

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len);
int __wrap_memfd_create(const char *name, unsigned int flags);
int __wrap_ftruncate(int fd, off_t len);
int __real_close(int fd);
int __wrap_close(int fd);
int __wrap_daxmr_verbs_reg(struct ibv_pd *pd, void *addr, size_t len, int access,
			   enum daxmr_verbs_mode want, const char *what, struct ibv_mr **mr_ptr,
			   enum daxmr_verbs_mode *got_ptr);
int __wrap_daxmr_verbs_odp_caps(struct ibv_context *ctx, bool *rc_rw_odp_ptr);
int __wrap_daxmr_loopback_new(struct ibv_context *ctx, struct ibv_pd *pd,
			      const struct daxmr_loopback_opts *opts,
			      struct daxmr_loopback **lb_ptr);
int __wrap_daxmr_loopback_delete(struct daxmr_loopback **lb_ptr);
int __wrap_daxmr_loopback_write(struct daxmr_loopback *lb, const struct ibv_sge *local,
				uint64_t remote_addr, uint32_t rkey);
int __wrap_daxmr_loopback_read(struct daxmr_loopback *lb, const struct ibv_sge *local,
			       uint64_t remote_addr, uint32_t rkey);
unsigned int __wrap_daxmr_loopback_path_mtu(const struct daxmr_loopback *lb);
int __wrap_ibv_dereg_mr(struct ibv_mr *mr);
const char *__wrap_ibv_get_device_name(struct ibv_device *device);

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	if (++mock.mmap_calls == mock.mmap_fail_at) {
		errno = mock.mmap_err;
		return MAP_FAILED;
	}
	if ((flags & MAP_SHARED) && fd == FAKE_MEMFD) {
		mock.saw_shared_memfd = true;
		fd = -1; /* the memfd is fake: serve shared anonymous memory instead */
		flags |= MAP_ANONYMOUS;
	}
	p = __real_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED)
		mock.live_maps++;
	return p;
}

int __wrap_munmap(void *addr, size_t len)
{
	mock.live_maps--;
	return __real_munmap(addr, len);
}

int __wrap_memfd_create(const char *name, unsigned int flags)
{
	assert_non_null(name);
	assert_true(flags & MFD_CLOEXEC);
	mock.memfd_calls++;
	if (mock.memfd_err) {
		errno = mock.memfd_err;
		return -1;
	}
	return FAKE_MEMFD;
}

int __wrap_ftruncate(int fd, off_t len)
{
	assert_int_equal(fd, FAKE_MEMFD);
	assert_int_equal(len, BUF_LEN);
	if (mock.ftruncate_err) {
		errno = mock.ftruncate_err;
		return -1;
	}
	return 0;
}

int __wrap_close(int fd)
{
	if (fd != FAKE_MEMFD)
		return __real_close(fd);
	mock.closes++;
	return 0;
}

int __wrap_daxmr_verbs_reg(struct ibv_pd *pd, void *addr, size_t len, int access,
			   enum daxmr_verbs_mode want, const char *what, struct ibv_mr **mr_ptr,
			   enum daxmr_verbs_mode *got_ptr)
{
	struct ibv_mr *mr;

	assert_ptr_equal(pd, &fake_pd);
	assert_non_null(what);
	assert_true(access & IBV_ACCESS_REMOTE_WRITE);
	assert_true(want == DAXMR_VERBS_PINNED || want == DAXMR_VERBS_ODP);
	mock.reg_modes[mock.reg_calls & 3] = want;
	if (++mock.reg_calls == mock.reg_fail_at)
		return mock.reg_err;
	mr = calloc(1, sizeof(*mr));
	assert_non_null(mr);
	mr->addr = addr;
	mr->length = len;
	mr->lkey = mr->rkey = (uint32_t)mock.reg_calls;
	if (!mock.scratch_mr)
		mock.scratch_mr = mr;
	mock.live_mrs++;
	*mr_ptr = mr;
	if (got_ptr)
		*got_ptr = want;
	return 0;
}

int __wrap_ibv_dereg_mr(struct ibv_mr *mr)
{
	if (mr == mock.scratch_mr)
		mock.scratch_mr = NULL;
	free(mr);
	mock.live_mrs--;
	return 0;
}

int __wrap_daxmr_verbs_odp_caps(struct ibv_context *ctx, bool *rc_rw_odp_ptr)
{
	assert_ptr_equal(ctx, &fake_ctx);
	if (mock.caps_err)
		return mock.caps_err;
	*rc_rw_odp_ptr = !mock.no_odp;
	return 0;
}

int __wrap_daxmr_loopback_new(struct ibv_context *ctx, struct ibv_pd *pd,
			      const struct daxmr_loopback_opts *opts,
			      struct daxmr_loopback **lb_ptr)
{
	assert_ptr_equal(ctx, &fake_ctx);
	assert_ptr_equal(pd, &fake_pd);
	(void)opts;
	if (mock.lb_new_err)
		return mock.lb_new_err;
	mock.live_lbs++;
	*lb_ptr = (struct daxmr_loopback *)&fake_lb_storage;
	return 0;
}

int __wrap_daxmr_loopback_delete(struct daxmr_loopback **lb_ptr)
{
	if (*lb_ptr) {
		assert_ptr_equal(*lb_ptr, &fake_lb_storage);
		mock.live_lbs--;
	}
	*lb_ptr = NULL;
	return 0;
}

unsigned int __wrap_daxmr_loopback_path_mtu(const struct daxmr_loopback *lb)
{
	assert_ptr_equal(lb, &fake_lb_storage);
	return mock.mtu;
}

/*
 * Moves len bytes packet by packet; with the bug (as rxe ODP on Linux 7.x does it, measured in
 * the guest) each packet is split at the page boundaries of the MR under test, and each piece
 * goes to (WRITE: dst_bug) or comes from (READ: src_bug) the start of its page, while the
 * packet side's pointer stays at the packet's start.
 */
static void fake_move(uint8_t *dst, const uint8_t *src, size_t len, bool dst_bug, bool src_bug)
{
	size_t k, plen, rem, bytes;
	uintptr_t page_at, pg_off;

	for (k = 0; k < len; k += mock.mtu) {
		plen = len - k < mock.mtu ? len - k : mock.mtu;
		if (!dst_bug && !src_bug) {
			memcpy(dst + k, src + k, plen);
			continue;
		}
		pg_off = (uintptr_t)(dst_bug ? dst + k : src + k) % PG;
		page_at = (uintptr_t)(dst_bug ? dst + k : src + k) - pg_off;
		for (rem = plen; rem > 0; rem -= bytes, page_at += PG, pg_off = 0) {
			bytes = PG - pg_off < rem ? PG - pg_off : rem;
			if (dst_bug)
				memcpy((uint8_t *)page_at, src + k, bytes);
			else
				memcpy(dst + k, (const uint8_t *)page_at, bytes);
		}
	}
}

int __wrap_daxmr_loopback_write(struct daxmr_loopback *lb, const struct ibv_sge *local,
				uint64_t remote_addr, uint32_t rkey)
{
	assert_ptr_equal(lb, &fake_lb_storage);
	assert_non_null(mock.scratch_mr);
	assert_int_equal(rkey, mock.scratch_mr->rkey); /* always into the buffer under test */
	if (mock.write_err)
		return mock.write_err;
	fake_move((uint8_t *)(uintptr_t)remote_addr, (const uint8_t *)(uintptr_t)local->addr,
		  local->length, mock.page_start_bug, false);
	return 0;
}

int __wrap_daxmr_loopback_read(struct daxmr_loopback *lb, const struct ibv_sge *local,
			       uint64_t remote_addr, uint32_t rkey)
{
	assert_ptr_equal(lb, &fake_lb_storage);
	assert_int_equal(rkey, mock.scratch_mr->rkey);
	if (mock.read_err)
		return mock.read_err;
	fake_move((uint8_t *)(uintptr_t)local->addr, (const uint8_t *)(uintptr_t)remote_addr,
		  local->length, false, mock.page_start_bug);
	return 0;
}

const char *__wrap_ibv_get_device_name(struct ibv_device *device)
{
	assert_ptr_equal(device, &fake_dev);
	return "rxe0";
}

/* Fresh fakes: everything works, MTU 1024, data placed exactly. */
static int setup(void **state)
{
	(void)state;
	memset(&mock, 0, sizeof(mock));
	mock.mtu = 1024;
	return 0;
}

/* Every fake resource was given back. */
static int teardown(void **state)
{
	(void)state;
	assert_int_equal(mock.live_maps, 0);
	assert_int_equal(mock.live_mrs, 0);
	assert_int_equal(mock.live_lbs, 0);
	assert_int_equal(mock.memfd_calls, mock.closes);
	return 0;
}

/* ---- daxmr_datacheck_analyze: pure function over buffers ---- */

/* A page-aligned buffer of BUF_LEN bytes holding the guard stream. */
static uint8_t *guard_buf(void)
{
	uint8_t *buf = aligned_alloc(PG, BUF_LEN);

	assert_non_null(buf);
	daxmr_pattern_fill(buf, 0, BUF_LEN, GUARD, 0);
	return buf;
}

/* An expectation: WRITE or READ of len bytes landing at off. */
static struct daxmr_datacheck_expect expect(enum daxmr_datacheck_op op, size_t off, size_t len,
					    size_t first_pos, unsigned int mtu)
{
	struct daxmr_datacheck_expect exp = {
		.op = op, .off = off, .len = len, .seed = SEED, .first_pos = first_pos,
		.guard = GUARD, .mtu = mtu, .page = PG,
	};

	return exp;
}

static void datacheck_analyze__write_exact(void **state)
{
	struct daxmr_datacheck_expect exp = expect(DAXMR_DATACHECK_WRITE, 1000, 12345, 77, 1024);
	uint8_t *buf = guard_buf();
	char sym[256] = "untouched";

	(void)state;
	daxmr_pattern_fill(buf, 1000, 1000 + 12345, SEED, 77);
	assert_int_equal(daxmr_datacheck_analyze(&exp, buf, BUF_LEN, sym, sizeof(sym)), 0);
	assert_string_equal(sym, "untouched");
	free(buf);
}

static void datacheck_analyze__write_page_start_bug(void **state)
{
	struct daxmr_datacheck_expect exp = expect(DAXMR_DATACHECK_WRITE, 1000, 12345, 77, 1024);
	uint8_t *buf = guard_buf(), *src;
	char sym[256];

	(void)state;
	/* what rxe ODP does: each packet's pieces land at the starts of their pages */
	src = malloc(BUF_LEN);
	assert_non_null(src);
	daxmr_pattern_fill(src, 0, BUF_LEN, SEED, 0);
	fake_move(buf + 1000, src + 77, 12345, true, false);
	free(src);
	assert_int_equal(daxmr_datacheck_analyze(&exp, buf, BUF_LEN, sym, sizeof(sym)), -EILSEQ);
	assert_non_null(strstr(sym, "RDMA WRITE of 12345 bytes at offset 1000: "));
	assert_non_null(strstr(sym, " bytes misplaced, "));
	assert_non_null(strstr(sym, " bytes outside it overwritten"));
	assert_non_null(strstr(sym, "; each 1024-byte packet landed at the start of its 4 KiB page"));
	free(buf);
}

static void datacheck_analyze__read_page_start_bug(void **state)
{
	struct daxmr_datacheck_expect exp = expect(DAXMR_DATACHECK_READ, 2049, 6 * PG + 321,
						   8 * PG + 123, 1024);
	uint8_t *buf = guard_buf(), *src;
	char sym[256];

	(void)state;
	/* each packet's pieces were read from the starts of their source pages */
	src = aligned_alloc(PG, BUF_LEN);
	assert_non_null(src);
	daxmr_pattern_fill(src, 0, BUF_LEN, SEED, 0);
	fake_move(buf + 2049, src + 8 * PG + 123, exp.len, false, true);
	free(src);
	assert_int_equal(daxmr_datacheck_analyze(&exp, buf, BUF_LEN, sym, sizeof(sym)), -EILSEQ);
	assert_non_null(strstr(sym, "RDMA READ of 24897 bytes from offset 32891: "));
	assert_null(strstr(sym, "outside"));
	assert_non_null(strstr(sym, "; each 1024-byte packet was read from the start of its 4 KiB "
				    "page"));
	free(buf);
}

static void datacheck_analyze__read_exact(void **state)
{
	struct daxmr_datacheck_expect exp = expect(DAXMR_DATACHECK_READ, 2049, 6 * PG + 321,
						   8 * PG + 123, 4096);
	uint8_t *buf = guard_buf();
	char sym[256];

	(void)state;
	daxmr_pattern_fill(buf, 2049, 2049 + exp.len, SEED, 8 * PG + 123);
	assert_int_equal(daxmr_datacheck_analyze(&exp, buf, BUF_LEN, sym, sizeof(sym)), 0);
	free(buf);
}

static void datacheck_analyze__aligned_mtu_4096_bug_invisible(void **state)
{
	/* page-aligned, page-multiple, one page per packet: the bug cannot misplace anything */
	struct daxmr_datacheck_expect exp = expect(DAXMR_DATACHECK_WRITE, 2 * PG, 2 * PG, PG, 4096);
	uint8_t *buf = guard_buf();
	char sym[256];

	(void)state;
	daxmr_pattern_fill(buf, 2 * PG, 4 * PG, SEED, PG);
	assert_int_equal(daxmr_datacheck_analyze(&exp, buf, BUF_LEN, sym, sizeof(sym)), 0);
	free(buf);
}

static void datacheck_analyze__random_corruption(void **state)
{
	struct daxmr_datacheck_expect exp = expect(DAXMR_DATACHECK_WRITE, 1000, 12345, 77, 1024);
	uint8_t *buf = guard_buf();
	char sym[256], want[128];
	uint8_t good;

	(void)state;
	daxmr_pattern_fill(buf, 1000, 1000 + 12345, SEED, 77);
	good = buf[5000];
	buf[5000] ^= 0x5a;
	assert_int_equal(daxmr_datacheck_analyze(&exp, buf, BUF_LEN, sym, sizeof(sym)), -EILSEQ);
	snprintf(want, sizeof(want), "RDMA WRITE of 12345 bytes at offset 1000: 1 bytes "
		 "misplaced; first bad byte at offset 5000 (0x%02x, expected 0x%02x)",
		 buf[5000], good);
	assert_string_equal(sym, want);
	free(buf);
}

static void datacheck_analyze__neighbour_overwritten(void **state)
{
	struct daxmr_datacheck_expect exp = expect(DAXMR_DATACHECK_READ, 2049, 100, 500, 1024);
	uint8_t *buf = guard_buf();
	char sym[256];

	(void)state;
	daxmr_pattern_fill(buf, 2049, 2149, SEED, 500);
	buf[2149] ^= 1; /* the byte right after the range */
	assert_int_equal(daxmr_datacheck_analyze(&exp, buf, BUF_LEN, sym, sizeof(sym)), -EILSEQ);
	assert_non_null(strstr(sym, "0 bytes misplaced, 1 bytes outside it overwritten; first bad "
				    "byte at destination offset 2149"));
	free(buf);
}

static void datacheck_analyze__tiny_symptom_buffer(void **state)
{
	struct daxmr_datacheck_expect exp = expect(DAXMR_DATACHECK_WRITE, 1000, 12345, 77, 1024);
	uint8_t *buf = guard_buf();
	char sym[16];

	(void)state;
	assert_int_equal(daxmr_datacheck_analyze(&exp, buf, BUF_LEN, sym, sizeof(sym)), -EILSEQ);
	assert_int_equal(strlen(sym), sizeof(sym) - 1); /* truncated, terminated */
	free(buf);
}

/* ---- daxmr_datacheck_run with fakes ---- */

static void datacheck_run__pinned_pass(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_PINNED, &res), 0);
	assert_int_equal(res.verdict, DAXMR_DATACHECK_PASS);
	assert_string_equal(res.symptom, "");
	assert_true(res.aligned_ok);
	assert_int_equal(res.path_mtu, 1024);
	assert_int_equal(mock.memfd_calls, 0); /* pinned: anonymous memory */
	assert_int_equal(mock.reg_modes[0], DAXMR_VERBS_PINNED);
	assert_int_equal(mock.reg_modes[1], DAXMR_VERBS_PINNED);
}

static void datacheck_run__odp_pass(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), 0);
	assert_int_equal(res.verdict, DAXMR_DATACHECK_PASS);
	assert_true(res.aligned_ok);
	assert_int_equal(mock.memfd_calls, 1);
	assert_true(mock.saw_shared_memfd);
	assert_int_equal(mock.reg_modes[0], DAXMR_VERBS_ODP);	 /* the buffer under test */
	assert_int_equal(mock.reg_modes[1], DAXMR_VERBS_PINNED); /* the "client" side */
}

static void datacheck_run__odp_page_start_bug_mtu_1024(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.page_start_bug = true;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), 0);
	assert_int_equal(res.verdict, DAXMR_DATACHECK_FAIL);
	assert_non_null(strstr(res.symptom, "RDMA WRITE of 21714 bytes at offset 5096: "));
	assert_non_null(strstr(res.symptom, "each 1024-byte packet landed at the start of its "
					    "4 KiB page"));
	assert_false(res.aligned_ok);
	assert_non_null(strstr(res.aligned_symptom, "RDMA WRITE of 8192 bytes at offset 8192"));
}

static void datacheck_run__odp_page_start_bug_mtu_4096(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.page_start_bug = true;
	mock.mtu = 4096;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), 0);
	assert_int_equal(res.verdict, DAXMR_DATACHECK_FAIL);
	assert_non_null(strstr(res.symptom, "each 4096-byte packet landed at the start"));
	assert_true(res.aligned_ok); /* --odp-check=warn with aligned I/O would be viable */
	assert_string_equal(res.aligned_symptom, "");
}

static void datacheck_run__odp_no_caps(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.no_odp = true;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), 0);
	assert_int_equal(res.verdict, DAXMR_DATACHECK_UNSUPPORTED);
	assert_non_null(strstr(res.symptom, "rxe0 has no On-Demand Paging"));
	assert_int_equal(mock.mmap_calls + mock.memfd_calls + mock.reg_calls, 0);
}

static void datacheck_run__odp_caps_EIO(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.caps_err = -EIO;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), -EIO);
}

static void datacheck_run__odp_reg_EOPNOTSUPP(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.reg_fail_at = 1;
	mock.reg_err = -EOPNOTSUPP;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), 0);
	assert_int_equal(res.verdict, DAXMR_DATACHECK_UNSUPPORTED);
	assert_non_null(strstr(res.symptom, "IBV_ACCESS_ON_DEMAND refused"));
}

static void datacheck_run__mode_auto_EINVAL(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_AUTO, &res), -EINVAL);
}

static void datacheck_run__memfd_create_EMFILE(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.memfd_err = EMFILE;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), -EMFILE);
	mock.memfd_calls = 0; /* nothing to close */
}

static void datacheck_run__ftruncate_ENOSPC(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.ftruncate_err = ENOSPC;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), -ENOSPC);
	assert_int_equal(mock.closes, 1);
}

static void datacheck_run__mmap_memfd_ENOMEM(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.mmap_fail_at = 1;
	mock.mmap_err = ENOMEM;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), -ENOMEM);
	assert_int_equal(mock.closes, 1);
}

static void datacheck_run__mmap_anonymous_ENOMEM(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.mmap_fail_at = 1;
	mock.mmap_err = ENOMEM;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_PINNED, &res),
			 -ENOMEM);
}

static void datacheck_run__mmap_client_ENOMEM(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.mmap_fail_at = 2;
	mock.mmap_err = ENOMEM;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), -ENOMEM);
}

static void datacheck_run__reg_scratch_ENOMEM(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.reg_fail_at = 1;
	mock.reg_err = -ENOMEM;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_PINNED, &res),
			 -ENOMEM);
}

static void datacheck_run__reg_client_EPERM(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.reg_fail_at = 2;
	mock.reg_err = -EPERM;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), -EPERM);
}

static void datacheck_run__loopback_new_ENETDOWN(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.lb_new_err = -ENETDOWN;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_PINNED, &res),
			 -ENETDOWN);
}

static void datacheck_run__write_EIO(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.write_err = -EIO;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_ODP, &res), 0);
	assert_int_equal(res.verdict, DAXMR_DATACHECK_FAIL);
	assert_non_null(strstr(res.symptom, "RDMA WRITE of 21714 bytes at offset 5096: failed: "));
	assert_false(res.aligned_ok);
	assert_non_null(strstr(res.aligned_symptom, "not run"));
}

static void datacheck_run__read_ETIMEDOUT(void **state)
{
	struct daxmr_datacheck_result res;

	(void)state;
	mock.read_err = -ETIMEDOUT;
	assert_int_equal(daxmr_datacheck_run(&fake_ctx, &fake_pd, DAXMR_VERBS_PINNED, &res), 0);
	assert_int_equal(res.verdict, DAXMR_DATACHECK_FAIL);
	assert_non_null(strstr(res.symptom, "RDMA READ of 24897 bytes from offset 32891: failed"));
}

static void datacheck_verdict_str__all(void **state)
{
	(void)state;
	assert_string_equal(daxmr_datacheck_verdict_str(DAXMR_DATACHECK_PASS), "PASS");
	assert_string_equal(daxmr_datacheck_verdict_str(DAXMR_DATACHECK_FAIL), "FAIL");
	assert_string_equal(daxmr_datacheck_verdict_str(DAXMR_DATACHECK_UNSUPPORTED),
			    "UNSUPPORTED");
}

/* ---- daxmr_datacheck_gate: the verdict cache the exports ask ------------------------------ */

static struct {
	int calls, ret;
	enum daxmr_datacheck_verdict verdict;
} fake_run_m;

/* A stand-in for daxmr_datacheck_run: counts, and answers fake_run_m. */
static int fake_run(struct ibv_context *ctx, struct ibv_pd *pd, enum daxmr_verbs_mode mode,
		    struct daxmr_datacheck_result *res)
{
	(void)ctx;
	(void)pd;
	fake_run_m.calls++;
	res->mode = mode;
	res->verdict = fake_run_m.verdict;
	if (fake_run_m.verdict == DAXMR_DATACHECK_FAIL)
		snprintf(res->symptom, sizeof(res->symptom), "READ landed 4096 bytes off");
	return fake_run_m.ret;
}

/* A failing mode is refused, checked once; the refusal names the fix and the override. */
static void datacheck_gate__fail_refused_once_with_the_way_out(void **state)
{
	struct daxmr_datacheck_gate g;
	char why[512];

	(void)state;
	memset(&fake_run_m, 0, sizeof(fake_run_m));
	fake_run_m.verdict = DAXMR_DATACHECK_FAIL;
	daxmr_datacheck_gate_init(&g, NULL, NULL, "rxe0", false, fake_run);
	assert_int_equal(daxmr_datacheck_gate(&g, DAXMR_VERBS_ODP, why, sizeof(why)), -EIO);
	assert_int_equal(daxmr_datacheck_gate(&g, DAXMR_VERBS_ODP, why, sizeof(why)), -EIO);
	assert_int_equal(fake_run_m.calls, 1);
	assert_string_equal(why, "device rxe0, registration ODP failed the data-path check: READ "
				 "landed 4096 bytes off (see docs/rxe-fix.md for a fixed rdma_rxe "
				 "module; --odp-check=warn uses it anyway)");
	/* another mode has a check of its own; AUTO has none */
	fake_run_m.verdict = DAXMR_DATACHECK_PASS;
	assert_int_equal(daxmr_datacheck_gate(&g, DAXMR_VERBS_PINNED, why, sizeof(why)), 0);
	assert_int_equal(daxmr_datacheck_gate(&g, DAXMR_VERBS_AUTO, why, sizeof(why)), 0);
	assert_int_equal(fake_run_m.calls, 2);
}

/* With warn a failing mode is used; a check that cannot run counts as FAIL. */
static void datacheck_gate__warn_and_check_cannot_run(void **state)
{
	struct daxmr_datacheck_gate g;
	char why[512] = "";

	(void)state;
	memset(&fake_run_m, 0, sizeof(fake_run_m));
	fake_run_m.verdict = DAXMR_DATACHECK_FAIL;
	daxmr_datacheck_gate_init(&g, NULL, NULL, "rxe0", true, fake_run);
	assert_int_equal(daxmr_datacheck_gate(&g, DAXMR_VERBS_ODP, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	fake_run_m.ret = -ENODEV;
	fake_run_m.verdict = DAXMR_DATACHECK_PASS;
	daxmr_datacheck_gate_init(&g, NULL, NULL, "rxe0", false, fake_run);
	assert_int_equal(daxmr_datacheck_gate(&g, DAXMR_VERBS_PINNED, why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "the check could not run: No such device"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(datacheck_gate__fail_refused_once_with_the_way_out),
		cmocka_unit_test(datacheck_gate__warn_and_check_cannot_run),
		T(datacheck_analyze__write_exact),
		T(datacheck_analyze__write_page_start_bug),
		T(datacheck_analyze__read_page_start_bug),
		T(datacheck_analyze__read_exact),
		T(datacheck_analyze__aligned_mtu_4096_bug_invisible),
		T(datacheck_analyze__random_corruption),
		T(datacheck_analyze__neighbour_overwritten),
		T(datacheck_analyze__tiny_symptom_buffer),
		T(datacheck_run__pinned_pass),
		T(datacheck_run__odp_pass),
		T(datacheck_run__odp_page_start_bug_mtu_1024),
		T(datacheck_run__odp_page_start_bug_mtu_4096),
		T(datacheck_run__odp_no_caps),
		T(datacheck_run__odp_caps_EIO),
		T(datacheck_run__odp_reg_EOPNOTSUPP),
		T(datacheck_run__mode_auto_EINVAL),
		T(datacheck_run__memfd_create_EMFILE),
		T(datacheck_run__ftruncate_ENOSPC),
		T(datacheck_run__mmap_memfd_ENOMEM),
		T(datacheck_run__mmap_anonymous_ENOMEM),
		T(datacheck_run__mmap_client_ENOMEM),
		T(datacheck_run__reg_scratch_ENOMEM),
		T(datacheck_run__reg_client_EPERM),
		T(datacheck_run__loopback_new_ENETDOWN),
		T(datacheck_run__write_EIO),
		T(datacheck_run__read_ETIMEDOUT),
		T(datacheck_verdict_str__all),
	};

	return cmocka_run_group_tests_name("datacheck", tests, NULL, NULL);
}
