/* SPDX-License-Identifier: BSD-3-Clause */
/* loopback.c -- two RC QPs on one device connected to each other, with synchronous operations */
#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"

#define LOOPBACK_CQ_DEPTH 64
#define LOOPBACK_QP_DEPTH 16
#define LOOPBACK_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)

enum loopback_side { LOOPBACK_A = 0, LOOPBACK_B = 1 };

struct daxmr_loopback {
	struct ibv_context *ctx; /* borrowed: the caller's device */
	struct ibv_pd *pd;	 /* borrowed: the caller's, holds the buffers' MRs */
	struct daxmr_loopback_opts opts;
	struct ibv_port_attr port;
	union ibv_gid gid;
	uint32_t gid_index;
	struct ibv_comp_channel *channel; /* owned */
	struct ibv_cq *cq;		  /* owned: shared by both QPs' send and receive queues */
	struct ibv_qp *qp[2];		  /* owned */
	uint64_t next_wr_id;
	int failed; /* the -errno of the first failed operation: the QPs are unusable after it */
};

/* One completion an operation waits for. */
struct loopback_expect {
	uint64_t wr_id;
	enum ibv_wc_opcode opcode;
	const char *what;
	int done;
	struct ibv_wc wc;
};

/* IB MTU enum to bytes. */
static unsigned int loopback_mtu_bytes(enum ibv_mtu mtu)
{
	return mtu >= IBV_MTU_256 && mtu <= IBV_MTU_4096 ? 128u << mtu : 0;
}

/* The device's name for messages. */
static const char *loopback_dev_name(const struct daxmr_loopback *lb)
{
	return ibv_get_device_name(lb->ctx->device);
}

/* Whether a GID is an IPv4-mapped IPv6 address ::ffff:a.b.c.d. */
static int loopback_gid_is_ipv4_mapped(const union ibv_gid *gid)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(gid->raw, prefix, sizeof(prefix));
}

/* Human name of a GID type. */
static const char *loopback_gid_type_str(uint32_t type)
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

/* Checks the port is ACTIVE. 0 or -errno (logged). */
static int loopback_check_port(struct daxmr_loopback *lb)
{
	int ret;

	ret = -ibv_query_port(lb->ctx, lb->opts.port, &lb->port);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_query_port", ret, "%s port %u", loopback_dev_name(lb),
				   lb->opts.port);
		return ret;
	}
	DAXMR_LOG_INF("%s port %u: state %s, active MTU %u, link layer %s", loopback_dev_name(lb),
		      lb->opts.port, ibv_port_state_str(lb->port.state),
		      loopback_mtu_bytes(lb->port.active_mtu),
		      lb->port.link_layer == IBV_LINK_LAYER_ETHERNET ? "Ethernet" : "InfiniBand");
	if (lb->port.state != IBV_PORT_ACTIVE) {
		DAXMR_LOG_ERR("%s port %u is %s, not ACTIVE (is the netdev up? `rdma link show`)",
			      loopback_dev_name(lb), lb->opts.port,
			      ibv_port_state_str(lb->port.state));
		return -ENETDOWN;
	}
	return 0;
}

/*
 * Finds the RoCE v2 GID whose address is IPv4-mapped (the one rdma_cm uses for an IPv4 address),
 * or takes opts.gid_index as given. 0 or -errno (logged).
 */
static int loopback_find_gid(struct daxmr_loopback *lb)
{
	const char *name = loopback_dev_name(lb);
	struct ibv_gid_entry entry;
	char addr[INET6_ADDRSTRLEN];
	int i, ret, found = 0;

	if (lb->opts.gid_index >= 0) {
		if (lb->opts.gid_index >= lb->port.gid_tbl_len) {
			DAXMR_LOG_ERR(
				"%s port %u: GID index %d is not below the table's %d entries",
				name, lb->opts.port, lb->opts.gid_index, lb->port.gid_tbl_len);
			return -EINVAL;
		}
		ret = -ibv_query_gid_ex(lb->ctx, lb->opts.port, (uint32_t)lb->opts.gid_index,
					&entry, 0);
		if (ret) {
			DAXMR_LOG_CALL_ERR("ibv_query_gid_ex", ret, "%s port %u index %d", name,
					   lb->opts.port, lb->opts.gid_index);
			return ret;
		}
		found = 1;
	}
	for (i = 0; !found && i < lb->port.gid_tbl_len; i++) {
		ret = -ibv_query_gid_ex(lb->ctx, lb->opts.port, (uint32_t)i, &entry, 0);
		if (ret == -ENODATA)
			continue; /* an empty slot */
		if (ret) {
			DAXMR_LOG_CALL_ERR("ibv_query_gid_ex", ret, "%s port %u index %d", name,
					   lb->opts.port, i);
			return ret;
		}
		found = entry.gid_type == IBV_GID_TYPE_ROCE_V2 &&
			loopback_gid_is_ipv4_mapped(&entry.gid);
	}
	if (!found) {
		DAXMR_LOG_ERR("%s port %u: no RoCE v2 GID with an IPv4-mapped address among %d "
			      "entries (does the netdev have an IPv4 address? or give a GID index)",
			      name, lb->opts.port, lb->port.gid_tbl_len);
		return -ENOENT;
	}
	lb->gid = entry.gid;
	lb->gid_index = entry.gid_index;
	if (!inet_ntop(AF_INET6, entry.gid.raw, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	DAXMR_LOG_INF("%s port %u: GID index %" PRIu32 "%s: %s %s", name, lb->opts.port,
		      lb->gid_index, lb->opts.gid_index >= 0 ? " (given)" : "",
		      loopback_gid_type_str(entry.gid_type), addr);
	return 0;
}

/* Creates one RC QP on the shared CQ; every send WR is signaled so every step is checked. */
static int loopback_qp_new(struct daxmr_loopback *lb, enum loopback_side side)
{
	struct ibv_qp_init_attr attr = {
		.send_cq = lb->cq,
		.recv_cq = lb->cq,
		.cap = {
			.max_send_wr = LOOPBACK_QP_DEPTH,
			.max_recv_wr = LOOPBACK_QP_DEPTH,
			.max_send_sge = 1,
			.max_recv_sge = 1,
		},
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
	};

	lb->qp[side] = ibv_create_qp(lb->pd, &attr);
	if (!lb->qp[side]) {
		int ret = -errno;

		DAXMR_LOG_CALL_ERR("ibv_create_qp", ret, "%s, RC, %d send / %d recv WRs",
				   loopback_dev_name(lb), LOOPBACK_QP_DEPTH, LOOPBACK_QP_DEPTH);
		return ret;
	}
	return 0;
}

/* Moves one QP through INIT, RTR and RTS towards the peer QP, over the chosen GID. */
static int loopback_qp_connect(struct daxmr_loopback *lb, struct ibv_qp *qp, uint32_t peer_qpn)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = lb->opts.port,
		.qp_access_flags = LOOPBACK_ACCESS,
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
	attr.path_mtu = lb->port.active_mtu;
	attr.dest_qp_num = peer_qpn;
	attr.rq_psn = 0;
	attr.max_dest_rd_atomic = 1;
	attr.min_rnr_timer = 12;
	attr.ah_attr.is_global = 1;
	attr.ah_attr.grh.dgid = lb->gid;
	attr.ah_attr.grh.sgid_index = (uint8_t)lb->gid_index;
	attr.ah_attr.grh.hop_limit = 64;
	attr.ah_attr.dlid = lb->port.lid; /* 0 on RoCE; the GRH routes */
	attr.ah_attr.port_num = lb->opts.port;
	ret = -ibv_modify_qp(qp, &attr,
			     IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
				     IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
				     IBV_QP_MIN_RNR_TIMER);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_modify_qp", ret,
				   "QP %" PRIu32 " to RTR (peer QP %" PRIu32 ", GID index %" PRIu32
				   ", path MTU %u)",
				   qp->qp_num, peer_qpn, lb->gid_index,
				   loopback_mtu_bytes(lb->port.active_mtu));
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

/* Builds the loopback; see loopback.h. */
int daxmr_loopback_new(struct ibv_context *ctx, struct ibv_pd *pd,
		       const struct daxmr_loopback_opts *opts, struct daxmr_loopback **lb_ptr)
{
	const struct daxmr_loopback_opts defaults = DAXMR_LOOPBACK_OPTS_DEFAULT;
	struct daxmr_loopback *lb;
	int ret;

	lb = calloc(1, sizeof(*lb));
	if (!lb) {
		DAXMR_LOG_CALL_ERR("calloc", -ENOMEM, "%zu bytes", sizeof(*lb));
		return -ENOMEM;
	}
	lb->ctx = ctx;
	lb->pd = pd;
	lb->opts = opts ? *opts : defaults;
	if (lb->opts.timeout_ms <= 0)
		lb->opts.timeout_ms = defaults.timeout_ms;
	lb->next_wr_id = 1;

	ret = loopback_check_port(lb);
	if (ret)
		goto err_delete;
	ret = loopback_find_gid(lb);
	if (ret)
		goto err_delete;
	lb->channel = ibv_create_comp_channel(ctx);
	if (!lb->channel) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_create_comp_channel", ret, "%s", loopback_dev_name(lb));
		goto err_delete;
	}
	lb->cq = ibv_create_cq(ctx, LOOPBACK_CQ_DEPTH, NULL, lb->channel, 0);
	if (!lb->cq) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_create_cq", ret, "%s, %d entries", loopback_dev_name(lb),
				   LOOPBACK_CQ_DEPTH);
		goto err_delete;
	}
	ret = loopback_qp_new(lb, LOOPBACK_A);
	if (ret)
		goto err_delete;
	ret = loopback_qp_new(lb, LOOPBACK_B);
	if (ret)
		goto err_delete;
	ret = loopback_qp_connect(lb, lb->qp[LOOPBACK_A], lb->qp[LOOPBACK_B]->qp_num);
	if (ret)
		goto err_delete;
	ret = loopback_qp_connect(lb, lb->qp[LOOPBACK_B], lb->qp[LOOPBACK_A]->qp_num);
	if (ret)
		goto err_delete;
	DAXMR_LOG_INF("%s port %u: loopback RC QPs %" PRIu32 " (A) <-> %" PRIu32
		      " (B), path MTU %u",
		      loopback_dev_name(lb), lb->opts.port, lb->qp[LOOPBACK_A]->qp_num,
		      lb->qp[LOOPBACK_B]->qp_num, loopback_mtu_bytes(lb->port.active_mtu));
	*lb_ptr = lb;
	return 0;

err_delete:
	daxmr_loopback_delete(&lb);
	return ret;
}

/* Tears down in reverse order; NULL-safe per resource. */
int daxmr_loopback_delete(struct daxmr_loopback **lb_ptr)
{
	struct daxmr_loopback *lb = lb_ptr ? *lb_ptr : NULL;
	int side, ret, first = 0;

	if (!lb)
		return 0;
	for (side = LOOPBACK_B; side >= LOOPBACK_A; side--) {
		if (lb->qp[side] && (ret = -ibv_destroy_qp(lb->qp[side]))) {
			DAXMR_LOG_CALL_ERR("ibv_destroy_qp", ret, "QP %" PRIu32,
					   lb->qp[side]->qp_num);
			first = first ? first : ret;
		}
	}
	if (lb->cq && (ret = -ibv_destroy_cq(lb->cq))) {
		DAXMR_LOG_CALL_ERR("ibv_destroy_cq", ret, "loopback CQ");
		first = first ? first : ret;
	}
	if (lb->channel && (ret = -ibv_destroy_comp_channel(lb->channel))) {
		DAXMR_LOG_CALL_ERR("ibv_destroy_comp_channel", ret, "loopback channel");
		first = first ? first : ret;
	}
	free(lb);
	*lb_ptr = NULL;
	return first;
}

/* Path MTU in bytes. */
unsigned int daxmr_loopback_path_mtu(const struct daxmr_loopback *lb)
{
	return loopback_mtu_bytes(lb->port.active_mtu);
}

/* The GID index in use. */
uint32_t daxmr_loopback_gid_index(const struct daxmr_loopback *lb)
{
	return lb->gid_index;
}

/* QP A's number. */
uint32_t daxmr_loopback_qp_num_a(const struct daxmr_loopback *lb)
{
	return lb->qp[LOOPBACK_A]->qp_num;
}

/* QP B's number. */
uint32_t daxmr_loopback_qp_num_b(const struct daxmr_loopback *lb)
{
	return lb->qp[LOOPBACK_B]->qp_num;
}

/* Matches one completion to the step that expects it and checks its status and opcode. */
static int loopback_take_wc(struct loopback_expect *exp, int n, const struct ibv_wc *wc)
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
			      "(vendor_err 0x%x)",
			      exp[i].what, wc->wr_id, wc->qp_num, ibv_wc_status_str(wc->status),
			      wc->vendor_err);
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
 * Waits, at most opts.timeout_ms, for the n expected completions: poll the CQ; when empty arm it,
 * poll again (a completion may have slipped in before the arm), then sleep on the channel's fd.
 */
static int loopback_wait(struct daxmr_loopback *lb, struct loopback_expect *exp, int n)
{
	int64_t deadline = daxmr_clock_ms() + lb->opts.timeout_ms, left;
	struct pollfd pfd = { .fd = lb->channel->fd, .events = POLLIN };
	struct ibv_cq *ev_cq;
	void *ev_ctx;
	struct ibv_wc wc;
	int got = 0, armed = 0, ret, i;

	while (got < n) {
		ret = ibv_poll_cq(lb->cq, 1, &wc);
		if (ret < 0) {
			DAXMR_LOG_CALL_ERR("ibv_poll_cq", -EIO, "returned %d", ret);
			return -EIO;
		}
		if (ret == 1) {
			ret = loopback_take_wc(exp, n, &wc);
			if (ret)
				return ret;
			got++;
			continue;
		}
		if (!armed) {
			ret = -ibv_req_notify_cq(lb->cq, 0);
			if (ret) {
				DAXMR_LOG_CALL_ERR("ibv_req_notify_cq", ret, "loopback CQ");
				return ret;
			}
			armed = 1;
			continue;
		}
		left = deadline - daxmr_clock_ms();
		if (left <= 0) {
			for (i = 0; i < n; i++)
				if (!exp[i].done)
					DAXMR_LOG_ERR(
						"%s (wr_id %" PRIu64 "): no completion within "
						"%d ms",
						exp[i].what, exp[i].wr_id, lb->opts.timeout_ms);
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
		if (ibv_get_cq_event(lb->channel, &ev_cq, &ev_ctx)) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("ibv_get_cq_event", ret, "fd %d", pfd.fd);
			return ret;
		}
		ibv_ack_cq_events(ev_cq, 1);
		armed = 0;
	}
	return 0;
}

/* Refuses operations once one has failed: the QPs may be in error, completions may be pending. */
static int loopback_usable(const struct daxmr_loopback *lb)
{
	if (!lb->failed)
		return 0;
	DAXMR_LOG_ERR("loopback on %s: an earlier operation failed (%s): the QPs are unusable",
		      loopback_dev_name(lb), daxmr_log_strerror(lb->failed));
	return -EPIPE;
}

/* Posts one send-queue WR on QP A: SEND, or RDMA WRITE / READ against remote_addr/rkey. */
static int loopback_post_send(struct daxmr_loopback *lb, enum ibv_wr_opcode opcode,
			      const struct ibv_sge *local, uint64_t remote_addr, uint32_t rkey,
			      uint64_t wr_id)
{
	struct ibv_sge sge = *local;
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
		wr.wr.rdma.remote_addr = remote_addr;
		wr.wr.rdma.rkey = rkey;
	}
	ret = -ibv_post_send(lb->qp[LOOPBACK_A], &wr, &bad);
	if (ret)
		DAXMR_LOG_CALL_ERR("ibv_post_send", ret,
				   "QP %" PRIu32 ", opcode %d, %" PRIu32 " bytes at 0x%" PRIx64
				   ", remote 0x%" PRIx64,
				   lb->qp[LOOPBACK_A]->qp_num, opcode, local->length, local->addr,
				   remote_addr);
	return ret;
}

/* One RDMA WRITE or READ by A, waited for. */
static int loopback_rdma(struct daxmr_loopback *lb, enum ibv_wr_opcode opcode,
			 const struct ibv_sge *local, uint64_t remote_addr, uint32_t rkey)
{
	struct loopback_expect exp = {
		.wr_id = lb->next_wr_id++,
		.opcode = opcode == IBV_WR_RDMA_WRITE ? IBV_WC_RDMA_WRITE : IBV_WC_RDMA_READ,
		.what = opcode == IBV_WR_RDMA_WRITE ? "RDMA WRITE A->B" : "RDMA READ A<-B",
	};
	int ret;

	ret = loopback_usable(lb);
	if (ret)
		return ret;
	ret = loopback_post_send(lb, opcode, local, remote_addr, rkey, exp.wr_id);
	if (!ret)
		ret = loopback_wait(lb, &exp, 1);
	lb->failed = ret;
	return ret;
}

/* RDMA WRITE local -> remote. */
int daxmr_loopback_write(struct daxmr_loopback *lb, const struct ibv_sge *local,
			 uint64_t remote_addr, uint32_t rkey)
{
	return loopback_rdma(lb, IBV_WR_RDMA_WRITE, local, remote_addr, rkey);
}

/* RDMA READ remote -> local. */
int daxmr_loopback_read(struct daxmr_loopback *lb, const struct ibv_sge *local,
			uint64_t remote_addr, uint32_t rkey)
{
	return loopback_rdma(lb, IBV_WR_RDMA_READ, local, remote_addr, rkey);
}

/* SEND from A into a receive posted on B. */
int daxmr_loopback_send(struct daxmr_loopback *lb, const struct ibv_sge *src,
			const struct ibv_sge *dst, uint32_t *byte_len_ptr)
{
	struct loopback_expect exp[] = {
		{ .wr_id = lb->next_wr_id++, .opcode = IBV_WC_RECV, .what = "RECV on B" },
		{ .wr_id = lb->next_wr_id++, .opcode = IBV_WC_SEND, .what = "SEND from A" },
	};
	struct ibv_sge sge = *dst;
	struct ibv_recv_wr wr = { .wr_id = exp[0].wr_id, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;
	int ret;

	ret = loopback_usable(lb);
	if (ret)
		return ret;
	ret = -ibv_post_recv(lb->qp[LOOPBACK_B], &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_recv", ret,
				   "QP %" PRIu32 ", %" PRIu32 " bytes at 0x%" PRIx64,
				   lb->qp[LOOPBACK_B]->qp_num, dst->length, dst->addr);
		lb->failed = ret;
		return ret;
	}
	ret = loopback_post_send(lb, IBV_WR_SEND, src, 0, 0, exp[1].wr_id);
	if (!ret)
		ret = loopback_wait(lb, exp, 2);
	lb->failed = ret;
	if (!ret)
		*byte_len_ptr = exp[0].wc.byte_len;
	return ret;
}
