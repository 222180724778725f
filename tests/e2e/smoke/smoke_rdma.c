/* SPDX-License-Identifier: BSD-3-Clause */
/* smoke_rdma.c -- the RDMA half: port 1 ACTIVE, RoCE v2 GID, two looped RC QPs move bytes exactly */
#include "smoke.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <infiniband/verbs.h>

#include "log.h"
#include "loopback.h"
#include "pattern.h"
#include "verbs.h"

#define RDMA_PORT 1
#define RDMA_BUF_SIZE (256u << 10)
#define RDMA_PAGE 4096u
#define RDMA_TIMEOUT_MS 10000 /* a broken device fails the test instead of hanging it */
#define RDMA_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)

/*
 * Offsets and lengths: odd on purpose, so that neither end is page- or packet-aligned and every
 * transfer spans several MTU packets (even at MTU 4096) and several pages on both sides.
 */
#define RDMA_SEND_SRC_OFF 100u
#define RDMA_SEND_DST_OFF (RDMA_PAGE - 17u) /* the message straddles a page boundary */
#define RDMA_SEND_LEN 61u
#define RDMA_RECV_LEN 256u
#define RDMA_WRITE_SRC_OFF 777u
#define RDMA_WRITE_DST_OFF (RDMA_PAGE + 1000u)
#define RDMA_WRITE_LEN (5u * RDMA_PAGE + 1234u)
#define RDMA_READ_DST_OFF (17u * RDMA_PAGE + 2049u)
#define RDMA_READ_SRC_OFF (31u * RDMA_PAGE + 123u)
#define RDMA_READ_LEN (6u * RDMA_PAGE + 321u)

enum rdma_side { RDMA_A = 0, RDMA_B = 1 };

/* The device and the two buffers; the QPs live in common/loopback. */
struct smoke_rdma {
	struct ibv_device **devs; /* owned: ibv_free_device_list */
	struct ibv_device *dev;	  /* borrowed: from devs */
	struct ibv_context *ctx;  /* owned */
	struct ibv_pd *pd;	  /* owned */
	uint8_t *buf[2];	  /* owned: anonymous mmap of RDMA_BUF_SIZE */
	struct ibv_mr *mr[2];	  /* owned */
	struct daxmr_loopback *lb; /* owned: RC QP A <-> RC QP B */
};

/*
 * Picks the device: the one named by DAXMR_TEST_DEVICE, else the first. 0, -ENODEV when there is
 * none at all (the caller skips), other -errno on failure (logged).
 */
static int rdma_pick_device(struct smoke_rdma *r)
{
	const char *want = getenv("DAXMR_TEST_DEVICE");
	int i, num = 0, ret;

	r->devs = ibv_get_device_list(&num);
	if (!r->devs) {
		ret = -errno;
		/* no uverbs in the kernel at all: the same as no device */
		if (ret == -ENOSYS || ret == -ENOENT)
			return -ENODEV;
		DAXMR_LOG_CALL_ERR("ibv_get_device_list", ret, "");
		return ret;
	}
	if (num == 0)
		return -ENODEV;
	if (!want || !*want) {
		r->dev = r->devs[0];
		return 0;
	}
	for (i = 0; i < num; i++) {
		if (!strcmp(ibv_get_device_name(r->devs[i]), want)) {
			r->dev = r->devs[i];
			return 0;
		}
	}
	DAXMR_LOG_ERR("DAXMR_TEST_DEVICE=%s: no such RDMA device (%d present, first %s)", want,
		      num, ibv_get_device_name(r->devs[0]));
	return -ENXIO;
}

/* The loopback options: port 1, DAXMR_TEST_GID_INDEX if set. 0 or -EINVAL (logged). */
static int rdma_loopback_opts(struct daxmr_loopback_opts *opts)
{
	const char *env = getenv("DAXMR_TEST_GID_INDEX");
	unsigned long idx;
	char *end;

	opts->port = RDMA_PORT;
	opts->gid_index = -1;
	opts->timeout_ms = RDMA_TIMEOUT_MS;
	if (!env || !*env)
		return 0;
	errno = 0;
	idx = strtoul(env, &end, 10);
	if (errno || *end || idx > 255) {
		DAXMR_LOG_ERR("DAXMR_TEST_GID_INDEX=%s: not a GID index", env);
		return -EINVAL;
	}
	opts->gid_index = (int)idx;
	return 0;
}

/* Maps and registers one side's buffer (anonymous, populated, pinned by ibv_reg_mr). */
static int rdma_buf_new(struct smoke_rdma *r, enum rdma_side side)
{
	int ret;

	r->buf[side] = mmap(NULL, RDMA_BUF_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->buf[side] == MAP_FAILED) {
		ret = -errno;
		r->buf[side] = NULL;
		DAXMR_LOG_CALL_ERR("mmap", ret, "anonymous, %u bytes", RDMA_BUF_SIZE);
		return ret;
	}
	ret = daxmr_verbs_reg(r->pd, r->buf[side], RDMA_BUF_SIZE, RDMA_ACCESS, DAXMR_VERBS_PINNED,
			      side == RDMA_A ? "smoke buffer A" : "smoke buffer B", &r->mr[side],
			      NULL);
	if (ret) {
		munmap(r->buf[side], RDMA_BUF_SIZE);
		r->buf[side] = NULL;
		return ret;
	}
	return 0;
}

/* Tears down whatever rdma_open set up, in reverse order; NULL-safe per resource. */
static void rdma_close(struct smoke_rdma *r)
{
	int side, ret;

	daxmr_loopback_delete(&r->lb);
	for (side = RDMA_B; side >= RDMA_A; side--) {
		if (r->mr[side] && (ret = -ibv_dereg_mr(r->mr[side])))
			DAXMR_LOG_CALL_ERR("ibv_dereg_mr", ret, "buffer %c", 'A' + side);
		r->mr[side] = NULL;
		if (r->buf[side])
			munmap(r->buf[side], RDMA_BUF_SIZE);
		r->buf[side] = NULL;
	}
	if (r->pd && (ret = -ibv_dealloc_pd(r->pd)))
		DAXMR_LOG_CALL_ERR("ibv_dealloc_pd", ret, "");
	r->pd = NULL;
	if (r->ctx && (ret = -ibv_close_device(r->ctx)))
		DAXMR_LOG_CALL_ERR("ibv_close_device", ret, "");
	r->ctx = NULL;
	if (r->devs)
		ibv_free_device_list(r->devs);
	r->devs = NULL;
}

/*
 * Opens the device and builds the loopback: PD, two registered buffers, and (common/loopback)
 * port check, GID, CQ and two RC QPs connected to each other. 0, -ENODEV when there is no device
 * (skip), or -errno (logged); on failure everything built so far is torn down.
 */
static int rdma_open(struct smoke_rdma *r)
{
	struct daxmr_loopback_opts opts;
	const char *name;
	int ret;

	ret = rdma_loopback_opts(&opts);
	if (ret)
		return ret;
	ret = rdma_pick_device(r);
	if (ret)
		goto err_close;
	name = ibv_get_device_name(r->dev);
	r->ctx = ibv_open_device(r->dev);
	if (!r->ctx) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_open_device", ret, "%s", name);
		goto err_close;
	}
	r->pd = ibv_alloc_pd(r->ctx);
	if (!r->pd) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_alloc_pd", ret, "%s", name);
		goto err_close;
	}
	ret = rdma_buf_new(r, RDMA_A);
	if (ret)
		goto err_close;
	ret = rdma_buf_new(r, RDMA_B);
	if (ret)
		goto err_close;
	ret = daxmr_loopback_new(r->ctx, r->pd, &opts, &r->lb);
	if (ret)
		goto err_close;
	daxmr_smoke_say("rdma: device %s port %d ACTIVE, GID index %" PRIu32 "%s (RoCE v2, "
			"IPv4-mapped unless given)", name, RDMA_PORT,
			daxmr_loopback_gid_index(r->lb),
			opts.gid_index >= 0 ? " (DAXMR_TEST_GID_INDEX)" : "");
	daxmr_smoke_say("rdma: RC QPs %" PRIu32 " (A) <-> %" PRIu32 " (B) connected on %s port %d, "
			"path MTU %u; two pinned %u KiB buffers registered",
			daxmr_loopback_qp_num_a(r->lb), daxmr_loopback_qp_num_b(r->lb), name,
			RDMA_PORT, daxmr_loopback_path_mtu(r->lb), RDMA_BUF_SIZE >> 10);
	return 0;

err_close:
	rdma_close(r);
	return ret;
}

/* An sge of len bytes at off in side's buffer. */
static struct ibv_sge rdma_sge(const struct smoke_rdma *r, enum rdma_side side, size_t off,
			       uint32_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)(r->buf[side] + off),
		.length = len,
		.lkey = r->mr[side]->lkey,
	};

	return sge;
}

/*
 * Checks a whole buffer after a transfer: [0, off) and [off + len, end) still hold the guard
 * stream, [off, off + len) holds stream seed from position first_pos. 0 or -EILSEQ (logged).
 */
static int rdma_verify_placed(const char *what, const uint8_t *buf, size_t off, size_t len,
			      uint32_t seed, size_t first_pos, uint32_t guard)
{
	char label[128];
	int ret = 0;

	snprintf(label, sizeof(label), "%s: bytes before the target range", what);
	if (daxmr_pattern_verify(label, buf, 0, off, guard, 0))
		ret = -EILSEQ;
	snprintf(label, sizeof(label), "%s: the target range", what);
	if (daxmr_pattern_verify(label, buf, off, off + len, seed, first_pos))
		ret = -EILSEQ;
	snprintf(label, sizeof(label), "%s: bytes after the target range", what);
	if (daxmr_pattern_verify(label, buf, off + len, RDMA_BUF_SIZE, guard, off + len))
		ret = -EILSEQ;
	return ret;
}

/* Number of MTU-sized packets a message of len bytes takes. */
static unsigned int rdma_packets(const struct smoke_rdma *r, size_t len)
{
	unsigned int mtu = daxmr_loopback_path_mtu(r->lb);

	return mtu ? (unsigned int)((len + mtu - 1) / mtu) : 0;
}

/* A small SEND from A is received into B at an offset straddling a page, nothing else touched. */
static int rdma_check_send_recv(struct smoke_rdma *r)
{
	const uint32_t guard = 0x5e000001u, seed = 0x5e000002u;
	struct ibv_sge src = rdma_sge(r, RDMA_A, RDMA_SEND_SRC_OFF, RDMA_SEND_LEN);
	struct ibv_sge dst = rdma_sge(r, RDMA_B, RDMA_SEND_DST_OFF, RDMA_RECV_LEN);
	uint32_t byte_len = 0;
	int ret;

	daxmr_pattern_fill(r->buf[RDMA_A], 0, RDMA_BUF_SIZE, seed, 0);
	daxmr_pattern_fill(r->buf[RDMA_B], 0, RDMA_BUF_SIZE, guard, 0);
	ret = daxmr_loopback_send(r->lb, &src, &dst, &byte_len);
	if (ret)
		return ret;
	if (byte_len != RDMA_SEND_LEN) {
		DAXMR_LOG_ERR("RECV on B: byte_len %" PRIu32 ", sent %u", byte_len, RDMA_SEND_LEN);
		return -EPROTO;
	}
	ret = rdma_verify_placed("SEND/RECV into B", r->buf[RDMA_B], RDMA_SEND_DST_OFF,
				 RDMA_SEND_LEN, seed, RDMA_SEND_SRC_OFF, guard);
	if (ret)
		return ret;
	daxmr_smoke_say("rdma: SEND/RECV %u bytes A+%u -> B+%u: byte_len right, bytes right, "
			"rest of B untouched", RDMA_SEND_LEN, RDMA_SEND_SRC_OFF, RDMA_SEND_DST_OFF);
	return 0;
}

/* A multi-packet, multi-page RDMA WRITE from A lands in B at an unaligned offset, exactly. */
static int rdma_check_write(struct smoke_rdma *r)
{
	const uint32_t guard = 0x3e000001u, seed = 0x3e000002u;
	struct ibv_sge src = rdma_sge(r, RDMA_A, RDMA_WRITE_SRC_OFF, RDMA_WRITE_LEN);
	int ret;

	daxmr_pattern_fill(r->buf[RDMA_A], 0, RDMA_BUF_SIZE, seed, 0);
	daxmr_pattern_fill(r->buf[RDMA_B], 0, RDMA_BUF_SIZE, guard, 0);
	ret = daxmr_loopback_write(r->lb, &src, (uintptr_t)(r->buf[RDMA_B] + RDMA_WRITE_DST_OFF),
				   r->mr[RDMA_B]->rkey);
	if (ret)
		return ret;
	ret = rdma_verify_placed("RDMA WRITE into B", r->buf[RDMA_B], RDMA_WRITE_DST_OFF,
				 RDMA_WRITE_LEN, seed, RDMA_WRITE_SRC_OFF, guard);
	if (ret)
		return ret;
	daxmr_smoke_say("rdma: RDMA WRITE %u bytes A+%u -> B+%u (%u packets, pages %u-%u of B): "
			"placed exactly, the other %u bytes of B untouched",
			RDMA_WRITE_LEN, RDMA_WRITE_SRC_OFF, RDMA_WRITE_DST_OFF,
			rdma_packets(r, RDMA_WRITE_LEN), RDMA_WRITE_DST_OFF / RDMA_PAGE,
			(RDMA_WRITE_DST_OFF + RDMA_WRITE_LEN - 1) / RDMA_PAGE,
			RDMA_BUF_SIZE - RDMA_WRITE_LEN);
	return 0;
}

/* A multi-packet, multi-page RDMA READ by A of B lands in A at an unaligned offset, exactly. */
static int rdma_check_read(struct smoke_rdma *r)
{
	const uint32_t guard = 0x4e000001u, seed = 0x4e000002u;
	struct ibv_sge dst = rdma_sge(r, RDMA_A, RDMA_READ_DST_OFF, RDMA_READ_LEN);
	int ret;

	daxmr_pattern_fill(r->buf[RDMA_A], 0, RDMA_BUF_SIZE, guard, 0);
	daxmr_pattern_fill(r->buf[RDMA_B], 0, RDMA_BUF_SIZE, seed, 0);
	ret = daxmr_loopback_read(r->lb, &dst, (uintptr_t)(r->buf[RDMA_B] + RDMA_READ_SRC_OFF),
				  r->mr[RDMA_B]->rkey);
	if (ret)
		return ret;
	ret = rdma_verify_placed("RDMA READ into A", r->buf[RDMA_A], RDMA_READ_DST_OFF,
				 RDMA_READ_LEN, seed, RDMA_READ_SRC_OFF, guard);
	if (ret)
		return ret;
	/* the source of a READ must come through unchanged too */
	ret = daxmr_pattern_verify("RDMA READ source B", r->buf[RDMA_B], 0, RDMA_BUF_SIZE, seed, 0);
	if (ret)
		return ret;
	daxmr_smoke_say("rdma: RDMA READ %u bytes B+%u -> A+%u (%u packets, pages %u-%u of A): "
			"placed exactly, the other %u bytes of A untouched, B unchanged",
			RDMA_READ_LEN, RDMA_READ_SRC_OFF, RDMA_READ_DST_OFF,
			rdma_packets(r, RDMA_READ_LEN), RDMA_READ_DST_OFF / RDMA_PAGE,
			(RDMA_READ_DST_OFF + RDMA_READ_LEN - 1) / RDMA_PAGE,
			RDMA_BUF_SIZE - RDMA_READ_LEN);
	return 0;
}

/* The RDMA half of the smoke test; an exit status, not an errno. */
enum daxmr_smoke_result daxmr_smoke_rdma_run(void)
{
	struct smoke_rdma r = { 0 };
	int ret;

	ret = rdma_open(&r);
	if (ret == -ENODEV) {
		printf("SKIP: no RDMA device\n");
		return DAXMR_SMOKE_SKIP;
	}
	if (ret)
		return DAXMR_SMOKE_FAIL;

	ret = rdma_check_send_recv(&r);
	if (!ret)
		ret = rdma_check_write(&r);
	if (!ret)
		ret = rdma_check_read(&r);
	rdma_close(&r);
	if (ret)
		return DAXMR_SMOKE_FAIL;
	daxmr_smoke_say("rdma: all RDMA checks passed");
	return DAXMR_SMOKE_PASS;
}
