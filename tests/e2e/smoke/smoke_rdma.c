/* SPDX-License-Identifier: BSD-3-Clause */
/* smoke_rdma.c -- the RDMA half: port 1 ACTIVE, RoCE v2 GID, two looped RC QPs move bytes exactly */
#include "smoke.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <infiniband/verbs.h>

#include "log.h"

#define RDMA_PORT 1
#define RDMA_BUF_SIZE (256u << 10)
#define RDMA_PAGE 4096u
#define RDMA_CQ_DEPTH 64
#define RDMA_QP_DEPTH 16
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

/* Work request ids, so a completion says which step it belongs to. */
enum rdma_wr_id {
	RDMA_WR_SEND = 1,
	RDMA_WR_RECV,
	RDMA_WR_WRITE,
	RDMA_WR_READ,
};

/* Everything the loopback needs: side A and side B each have a QP, a buffer and its MR. */
struct smoke_rdma {
	struct ibv_device **devs; /* owned: ibv_free_device_list */
	struct ibv_device *dev;	  /* borrowed: from devs */
	struct ibv_context *ctx;  /* owned */
	struct ibv_port_attr port;
	union ibv_gid gid;
	uint32_t gid_index;
	struct ibv_pd *pd;		   /* owned */
	struct ibv_comp_channel *channel;  /* owned */
	struct ibv_cq *cq;		   /* owned: shared by both QPs' send and receive queues */
	uint8_t *buf[2];		   /* owned: anonymous mmap of RDMA_BUF_SIZE */
	struct ibv_mr *mr[2];		   /* owned */
	struct ibv_qp *qp[2];		   /* owned */
};

/* One completion a step waits for. */
struct rdma_expect {
	uint64_t wr_id;
	enum ibv_wc_opcode opcode;
	const char *what;
	int done;
	struct ibv_wc wc;
};

/* IB MTU enum to bytes. */
static unsigned int rdma_mtu_bytes(enum ibv_mtu mtu)
{
	return mtu >= IBV_MTU_256 && mtu <= IBV_MTU_4096 ? 128u << mtu : 0;
}

/* Milliseconds on the monotonic clock. */
static int64_t rdma_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether a GID is an IPv4-mapped IPv6 address ::ffff:a.b.c.d. */
static int rdma_gid_is_ipv4_mapped(const union ibv_gid *gid)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(gid->raw, prefix, sizeof(prefix));
}

/* Human name of a GID type. */
static const char *rdma_gid_type_str(uint32_t type)
{
	switch (type) {
	case IBV_GID_TYPE_IB:
		return "IB";
	case IBV_GID_TYPE_ROCE_V1:
		return "RoCE v1";
	case IBV_GID_TYPE_ROCE_V2:
		return "RoCE v2";
	default:
		return "unknown type";
	}
}

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

/* Checks port 1 is ACTIVE and prints its state and active MTU. 0 or -errno (logged). */
static int rdma_check_port(struct smoke_rdma *r)
{
	const char *name = ibv_get_device_name(r->dev);
	int ret;

	ret = -ibv_query_port(r->ctx, RDMA_PORT, &r->port);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_query_port", ret, "%s port %d", name, RDMA_PORT);
		return ret;
	}
	daxmr_smoke_say("rdma: device %s port %d: state %s, active MTU %u, link layer %s", name,
			RDMA_PORT, ibv_port_state_str(r->port.state),
			rdma_mtu_bytes(r->port.active_mtu),
			r->port.link_layer == IBV_LINK_LAYER_ETHERNET ? "Ethernet" : "InfiniBand");
	if (r->port.state != IBV_PORT_ACTIVE) {
		DAXMR_LOG_ERR("%s port %d is %s, not ACTIVE (is the netdev up? `rdma link show`)",
			      name, RDMA_PORT, ibv_port_state_str(r->port.state));
		return -ENETDOWN;
	}
	return 0;
}

/*
 * Finds the RoCE v2 GID whose address is IPv4-mapped (the one rdma_cm uses for an IPv4 address),
 * or takes DAXMR_TEST_GID_INDEX as given. 0 or -errno (logged).
 */
static int rdma_find_gid(struct smoke_rdma *r)
{
	const char *name = ibv_get_device_name(r->dev);
	const char *env = getenv("DAXMR_TEST_GID_INDEX");
	struct ibv_gid_entry entry;
	char addr[INET6_ADDRSTRLEN];
	unsigned long idx;
	char *end;
	int i, ret, found = 0;

	if (env && *env) {
		errno = 0;
		idx = strtoul(env, &end, 10);
		if (errno || *end || idx >= (unsigned long)r->port.gid_tbl_len) {
			DAXMR_LOG_ERR("DAXMR_TEST_GID_INDEX=%s: not an index below %d", env,
				      r->port.gid_tbl_len);
			return -EINVAL;
		}
		ret = -ibv_query_gid_ex(r->ctx, RDMA_PORT, (uint32_t)idx, &entry, 0);
		if (ret) {
			DAXMR_LOG_CALL_ERR("ibv_query_gid_ex", ret, "%s port %d index %lu", name,
					   RDMA_PORT, idx);
			return ret;
		}
		found = 1;
	}
	for (i = 0; !found && i < r->port.gid_tbl_len; i++) {
		ret = -ibv_query_gid_ex(r->ctx, RDMA_PORT, (uint32_t)i, &entry, 0);
		if (ret == -ENODATA)
			continue; /* an empty slot */
		if (ret) {
			DAXMR_LOG_CALL_ERR("ibv_query_gid_ex", ret, "%s port %d index %d", name,
					   RDMA_PORT, i);
			return ret;
		}
		found = entry.gid_type == IBV_GID_TYPE_ROCE_V2 &&
			rdma_gid_is_ipv4_mapped(&entry.gid);
	}
	if (!found) {
		DAXMR_LOG_ERR("%s port %d: no RoCE v2 GID with an IPv4-mapped address among %d "
			      "entries (does the netdev have an IPv4 address? or set "
			      "DAXMR_TEST_GID_INDEX)", name, RDMA_PORT, r->port.gid_tbl_len);
		return -ENOENT;
	}
	r->gid = entry.gid;
	r->gid_index = entry.gid_index;
	if (!inet_ntop(AF_INET6, entry.gid.raw, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	daxmr_smoke_say("rdma: GID index %" PRIu32 "%s: %s %s", r->gid_index,
			env && *env ? " (DAXMR_TEST_GID_INDEX)" : "",
			rdma_gid_type_str(entry.gid_type), addr);
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
	r->mr[side] = ibv_reg_mr(r->pd, r->buf[side], RDMA_BUF_SIZE, RDMA_ACCESS);
	if (!r->mr[side]) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_reg_mr", ret,
				   "%p, %u bytes, LOCAL_WRITE|REMOTE_WRITE|REMOTE_READ%s",
				   (void *)r->buf[side], RDMA_BUF_SIZE,
				   ret == -ENOMEM || ret == -EPERM ? " (RLIMIT_MEMLOCK?)" : "");
		munmap(r->buf[side], RDMA_BUF_SIZE);
		r->buf[side] = NULL;
		return ret;
	}
	return 0;
}

/* Creates one RC QP on the shared CQ; every send WR is signaled so every step is checked. */
static int rdma_qp_new(struct smoke_rdma *r, enum rdma_side side)
{
	struct ibv_qp_init_attr attr = {
		.send_cq = r->cq,
		.recv_cq = r->cq,
		.cap = {
			.max_send_wr = RDMA_QP_DEPTH,
			.max_recv_wr = RDMA_QP_DEPTH,
			.max_send_sge = 1,
			.max_recv_sge = 1,
		},
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
	};

	r->qp[side] = ibv_create_qp(r->pd, &attr);
	if (!r->qp[side]) {
		int ret = -errno;

		DAXMR_LOG_CALL_ERR("ibv_create_qp", ret, "RC, %d send / %d recv WRs", RDMA_QP_DEPTH,
				   RDMA_QP_DEPTH);
		return ret;
	}
	return 0;
}

/* Moves one QP through INIT, RTR and RTS towards the peer QP, over the chosen GID. */
static int rdma_qp_connect(struct smoke_rdma *r, struct ibv_qp *qp, uint32_t peer_qpn)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = RDMA_PORT,
		.qp_access_flags = RDMA_ACCESS,
	};
	int ret;

	ret = -ibv_modify_qp(qp, &attr,
			     IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_modify_qp", ret, "QP %" PRIu32 " to INIT", qp->qp_num);
		return ret;
	}

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTR;
	attr.path_mtu = r->port.active_mtu;
	attr.dest_qp_num = peer_qpn;
	attr.rq_psn = 0;
	attr.max_dest_rd_atomic = 1;
	attr.min_rnr_timer = 12;
	attr.ah_attr.is_global = 1;
	attr.ah_attr.grh.dgid = r->gid;
	attr.ah_attr.grh.sgid_index = (uint8_t)r->gid_index;
	attr.ah_attr.grh.hop_limit = 64;
	attr.ah_attr.dlid = r->port.lid; /* 0 on RoCE; the GRH routes */
	attr.ah_attr.port_num = RDMA_PORT;
	ret = -ibv_modify_qp(qp, &attr,
			     IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
				     IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
				     IBV_QP_MIN_RNR_TIMER);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_modify_qp", ret,
				   "QP %" PRIu32 " to RTR (peer QP %" PRIu32 ", GID index %" PRIu32
				   ", path MTU %u)", qp->qp_num, peer_qpn, r->gid_index,
				   rdma_mtu_bytes(r->port.active_mtu));
		return ret;
	}

	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTS;
	attr.sq_psn = 0;
	attr.timeout = 16; /* 4.096 us * 2^16 = 268 ms: slack for an emulated guest */
	attr.retry_cnt = 7;
	attr.rnr_retry = 7;
	attr.max_rd_atomic = 1;
	ret = -ibv_modify_qp(qp, &attr,
			     IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				     IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_modify_qp", ret, "QP %" PRIu32 " to RTS", qp->qp_num);
		return ret;
	}
	return 0;
}

/* Tears down whatever rdma_open set up, in reverse order; NULL-safe per resource. */
static void rdma_close(struct smoke_rdma *r)
{
	int side, ret;

	for (side = RDMA_B; side >= RDMA_A; side--) {
		if (r->qp[side] && (ret = -ibv_destroy_qp(r->qp[side])))
			DAXMR_LOG_CALL_ERR("ibv_destroy_qp", ret, "QP %" PRIu32,
					   r->qp[side]->qp_num);
		r->qp[side] = NULL;
	}
	for (side = RDMA_B; side >= RDMA_A; side--) {
		if (r->mr[side] && (ret = -ibv_dereg_mr(r->mr[side])))
			DAXMR_LOG_CALL_ERR("ibv_dereg_mr", ret, "buffer %c", 'A' + side);
		r->mr[side] = NULL;
		if (r->buf[side])
			munmap(r->buf[side], RDMA_BUF_SIZE);
		r->buf[side] = NULL;
	}
	if (r->cq && (ret = -ibv_destroy_cq(r->cq)))
		DAXMR_LOG_CALL_ERR("ibv_destroy_cq", ret, "");
	r->cq = NULL;
	if (r->channel && (ret = -ibv_destroy_comp_channel(r->channel)))
		DAXMR_LOG_CALL_ERR("ibv_destroy_comp_channel", ret, "");
	r->channel = NULL;
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
 * Opens the device and builds the loopback: PD, completion channel, CQ, two registered buffers,
 * two RC QPs connected to each other. 0, -ENODEV when there is no device (skip), or -errno
 * (logged); on failure everything built so far is torn down.
 */
static int rdma_open(struct smoke_rdma *r)
{
	const char *name;
	int ret;

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
	ret = rdma_check_port(r);
	if (ret)
		goto err_close;
	ret = rdma_find_gid(r);
	if (ret)
		goto err_close;

	r->pd = ibv_alloc_pd(r->ctx);
	if (!r->pd) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_alloc_pd", ret, "%s", name);
		goto err_close;
	}
	r->channel = ibv_create_comp_channel(r->ctx);
	if (!r->channel) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_create_comp_channel", ret, "%s", name);
		goto err_close;
	}
	r->cq = ibv_create_cq(r->ctx, RDMA_CQ_DEPTH, NULL, r->channel, 0);
	if (!r->cq) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_create_cq", ret, "%s, %d entries", name, RDMA_CQ_DEPTH);
		goto err_close;
	}
	ret = rdma_buf_new(r, RDMA_A);
	if (ret)
		goto err_close;
	ret = rdma_buf_new(r, RDMA_B);
	if (ret)
		goto err_close;
	ret = rdma_qp_new(r, RDMA_A);
	if (ret)
		goto err_close;
	ret = rdma_qp_new(r, RDMA_B);
	if (ret)
		goto err_close;
	ret = rdma_qp_connect(r, r->qp[RDMA_A], r->qp[RDMA_B]->qp_num);
	if (ret)
		goto err_close;
	ret = rdma_qp_connect(r, r->qp[RDMA_B], r->qp[RDMA_A]->qp_num);
	if (ret)
		goto err_close;
	daxmr_smoke_say("rdma: RC QPs %" PRIu32 " (A) <-> %" PRIu32 " (B) connected on %s port %d, "
			"path MTU %u; two pinned %u KiB buffers registered",
			r->qp[RDMA_A]->qp_num, r->qp[RDMA_B]->qp_num, name, RDMA_PORT,
			rdma_mtu_bytes(r->port.active_mtu), RDMA_BUF_SIZE >> 10);
	return 0;

err_close:
	rdma_close(r);
	return ret;
}

/* Matches one completion to the step that expects it and checks its status and opcode. */
static int rdma_take_wc(struct rdma_expect *exp, int n, const struct ibv_wc *wc)
{
	int i;

	for (i = 0; i < n; i++)
		if (!exp[i].done && exp[i].wr_id == wc->wr_id)
			break;
	if (i == n) {
		DAXMR_LOG_ERR("unexpected completion: wr_id %" PRIu64 ", opcode %d, status %s",
			      wc->wr_id, wc->opcode, ibv_wc_status_str(wc->status));
		return -EPROTO;
	}
	if (wc->status != IBV_WC_SUCCESS) {
		DAXMR_LOG_ERR("%s (wr_id %" PRIu64 ", QP %" PRIu32 ") completed with status %s "
			      "(vendor_err 0x%x)", exp[i].what, wc->wr_id, wc->qp_num,
			      ibv_wc_status_str(wc->status), wc->vendor_err);
		return -EIO;
	}
	if (wc->opcode != exp[i].opcode) {
		DAXMR_LOG_ERR("%s (wr_id %" PRIu64 "): completion opcode %d, expected %d",
			      exp[i].what, wc->wr_id, wc->opcode, exp[i].opcode);
		return -EPROTO;
	}
	exp[i].wc = *wc;
	exp[i].done = 1;
	return 0;
}

/*
 * Waits, at most RDMA_TIMEOUT_MS, for the n expected completions: poll the CQ; when empty arm it,
 * poll again (a completion may have slipped in before the arm), then sleep on the channel's fd.
 */
static int rdma_wait(struct smoke_rdma *r, struct rdma_expect *exp, int n)
{
	int64_t deadline = rdma_now_ms() + RDMA_TIMEOUT_MS, left;
	struct pollfd pfd = { .fd = r->channel->fd, .events = POLLIN };
	struct ibv_cq *ev_cq;
	void *ev_ctx;
	struct ibv_wc wc;
	int got = 0, armed = 0, ret, i;

	while (got < n) {
		ret = ibv_poll_cq(r->cq, 1, &wc);
		if (ret < 0) {
			DAXMR_LOG_CALL_ERR("ibv_poll_cq", -EIO, "returned %d", ret);
			return -EIO;
		}
		if (ret == 1) {
			ret = rdma_take_wc(exp, n, &wc);
			if (ret)
				return ret;
			got++;
			continue;
		}
		if (!armed) {
			ret = -ibv_req_notify_cq(r->cq, 0);
			if (ret) {
				DAXMR_LOG_CALL_ERR("ibv_req_notify_cq", ret, "");
				return ret;
			}
			armed = 1;
			continue;
		}
		left = deadline - rdma_now_ms();
		if (left <= 0) {
			for (i = 0; i < n; i++)
				if (!exp[i].done)
					DAXMR_LOG_ERR("%s (wr_id %" PRIu64 "): no completion within "
						      "%d ms", exp[i].what, exp[i].wr_id,
						      RDMA_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("poll", ret, "completion channel fd %d", pfd.fd);
			return ret;
		}
		if (ret <= 0)
			continue;
		if (ibv_get_cq_event(r->channel, &ev_cq, &ev_ctx)) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("ibv_get_cq_event", ret, "fd %d", pfd.fd);
			return ret;
		}
		ibv_ack_cq_events(ev_cq, 1);
		armed = 0;
	}
	return 0;
}

/* Posts one receive of len bytes at off in side's buffer. */
static int rdma_post_recv(struct smoke_rdma *r, enum rdma_side side, size_t off, uint32_t len,
			  uint64_t wr_id)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)(r->buf[side] + off),
		.length = len,
		.lkey = r->mr[side]->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;
	int ret;

	ret = -ibv_post_recv(r->qp[side], &wr, &bad);
	if (ret)
		DAXMR_LOG_CALL_ERR("ibv_post_recv", ret, "QP %" PRIu32 ", %" PRIu32 " bytes at %zu",
				   r->qp[side]->qp_num, len, off);
	return ret;
}

/*
 * Posts one send-queue WR on side's QP from loff in its own buffer: SEND (roff unused), or
 * RDMA WRITE / READ against roff in the other side's buffer.
 */
static int rdma_post_send(struct smoke_rdma *r, enum rdma_side side, enum ibv_wr_opcode opcode,
			  size_t loff, size_t roff, uint32_t len, uint64_t wr_id)
{
	enum rdma_side peer = side == RDMA_A ? RDMA_B : RDMA_A;
	struct ibv_sge sge = {
		.addr = (uintptr_t)(r->buf[side] + loff),
		.length = len,
		.lkey = r->mr[side]->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = wr_id,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = opcode,
		.send_flags = IBV_SEND_SIGNALED,
	};
	struct ibv_send_wr *bad;
	int ret;

	if (opcode != IBV_WR_SEND) {
		wr.wr.rdma.remote_addr = (uintptr_t)(r->buf[peer] + roff);
		wr.wr.rdma.rkey = r->mr[peer]->rkey;
	}
	ret = -ibv_post_send(r->qp[side], &wr, &bad);
	if (ret)
		DAXMR_LOG_CALL_ERR("ibv_post_send", ret,
				   "QP %" PRIu32 ", opcode %d, %" PRIu32 " bytes at %zu, remote %zu",
				   r->qp[side]->qp_num, opcode, len, loff, roff);
	return ret;
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
	if (daxmr_smoke_verify(label, buf, 0, off, guard, 0))
		ret = -EILSEQ;
	snprintf(label, sizeof(label), "%s: the target range", what);
	if (daxmr_smoke_verify(label, buf, off, off + len, seed, first_pos))
		ret = -EILSEQ;
	snprintf(label, sizeof(label), "%s: bytes after the target range", what);
	if (daxmr_smoke_verify(label, buf, off + len, RDMA_BUF_SIZE, guard, off + len))
		ret = -EILSEQ;
	return ret;
}

/* Number of MTU-sized packets a message of len bytes takes. */
static unsigned int rdma_packets(const struct smoke_rdma *r, size_t len)
{
	unsigned int mtu = rdma_mtu_bytes(r->port.active_mtu);

	return mtu ? (unsigned int)((len + mtu - 1) / mtu) : 0;
}

/* A small SEND from A is received into B at an offset straddling a page, nothing else touched. */
static int rdma_check_send_recv(struct smoke_rdma *r)
{
	const uint32_t guard = 0x5e000001u, seed = 0x5e000002u;
	struct rdma_expect exp[] = {
		{ .wr_id = RDMA_WR_RECV, .opcode = IBV_WC_RECV, .what = "RECV on B" },
		{ .wr_id = RDMA_WR_SEND, .opcode = IBV_WC_SEND, .what = "SEND from A" },
	};
	int ret;

	daxmr_smoke_fill(r->buf[RDMA_A], 0, RDMA_BUF_SIZE, seed, 0);
	daxmr_smoke_fill(r->buf[RDMA_B], 0, RDMA_BUF_SIZE, guard, 0);
	ret = rdma_post_recv(r, RDMA_B, RDMA_SEND_DST_OFF, RDMA_RECV_LEN, RDMA_WR_RECV);
	if (ret)
		return ret;
	ret = rdma_post_send(r, RDMA_A, IBV_WR_SEND, RDMA_SEND_SRC_OFF, 0, RDMA_SEND_LEN,
			     RDMA_WR_SEND);
	if (ret)
		return ret;
	ret = rdma_wait(r, exp, 2);
	if (ret)
		return ret;
	if (exp[0].wc.byte_len != RDMA_SEND_LEN) {
		DAXMR_LOG_ERR("RECV on B: byte_len %" PRIu32 ", sent %u", exp[0].wc.byte_len,
			      RDMA_SEND_LEN);
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
	struct rdma_expect exp[] = {
		{ .wr_id = RDMA_WR_WRITE, .opcode = IBV_WC_RDMA_WRITE, .what = "RDMA WRITE A->B" },
	};
	int ret;

	daxmr_smoke_fill(r->buf[RDMA_A], 0, RDMA_BUF_SIZE, seed, 0);
	daxmr_smoke_fill(r->buf[RDMA_B], 0, RDMA_BUF_SIZE, guard, 0);
	ret = rdma_post_send(r, RDMA_A, IBV_WR_RDMA_WRITE, RDMA_WRITE_SRC_OFF, RDMA_WRITE_DST_OFF,
			     RDMA_WRITE_LEN, RDMA_WR_WRITE);
	if (ret)
		return ret;
	ret = rdma_wait(r, exp, 1);
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
	struct rdma_expect exp[] = {
		{ .wr_id = RDMA_WR_READ, .opcode = IBV_WC_RDMA_READ, .what = "RDMA READ A<-B" },
	};
	int ret;

	daxmr_smoke_fill(r->buf[RDMA_A], 0, RDMA_BUF_SIZE, guard, 0);
	daxmr_smoke_fill(r->buf[RDMA_B], 0, RDMA_BUF_SIZE, seed, 0);
	ret = rdma_post_send(r, RDMA_A, IBV_WR_RDMA_READ, RDMA_READ_DST_OFF, RDMA_READ_SRC_OFF,
			     RDMA_READ_LEN, RDMA_WR_READ);
	if (ret)
		return ret;
	ret = rdma_wait(r, exp, 1);
	if (ret)
		return ret;
	ret = rdma_verify_placed("RDMA READ into A", r->buf[RDMA_A], RDMA_READ_DST_OFF,
				 RDMA_READ_LEN, seed, RDMA_READ_SRC_OFF, guard);
	if (ret)
		return ret;
	/* the source of a READ must come through unchanged too */
	ret = daxmr_smoke_verify("RDMA READ source B", r->buf[RDMA_B], 0, RDMA_BUF_SIZE, seed, 0);
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
