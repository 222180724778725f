/* SPDX-License-Identifier: BSD-3-Clause */
/* qp.c -- libdaxmr: one connection's verbs: PD, CQ, QP, message slots and the bounce buffer */
#include "qp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fd.h"
#include "log.h"
#include "verbs.h"
#include "wrid.h"

#define QP_RECV_SLOTS 64  /* receives: bounds the descriptors one connection can hold */
#define QP_SEND_SLOTS 16  /* sends in flight: one request plus REVOKE_ACKs */
#define QP_INLINE_WANT 64 /* WRITE bytes we ask to send inline (a cache line: 8-byte values) */

struct daxmr_qp {
	struct rdma_cm_id *id;		       /* borrowed: owns the QP once created */
	const char *peer;		       /* borrowed: for log lines */
	struct ibv_pd *pd;		       /* owned */
	struct ibv_comp_channel *comp_channel; /* owned */
	struct ibv_cq *cq;		       /* owned: sends, receives and RDMA */
	bool qp_created;
	bool cq_armed;
	uint8_t *buf; /* owned: mmap of recv slots, send slots, bounce buffer */
	size_t buf_len;
	struct ibv_mr *mr; /* owned: buf, LOCAL_WRITE */
	bool recv_posted[QP_RECV_SLOTS];
	unsigned int recvs_posted;
	bool send_busy[QP_SEND_SLOTS];
	unsigned int sends_busy;
	unsigned int rdma_depth; /* send-queue room for RDMA work requests (the ops ring) */
	uint32_t max_inline;	 /* what the QP accepts inline */
	bool atomics;		 /* the device does RC atomics */
};

/* Where receive slot i lives. */
static uint8_t *qp_recv_buf(struct daxmr_qp *qp, unsigned int i)
{
	return qp->buf + (size_t)i * DAXMR_PROTO_MSG_MAX;
}

/* Where send slot i lives. */
static uint8_t *qp_send_buf(struct daxmr_qp *qp, unsigned int i)
{
	return qp->buf + (size_t)(QP_RECV_SLOTS + i) * DAXMR_PROTO_MSG_MAX;
}

/* The bounce buffer. */
uint8_t *daxmr_qp_bounce(struct daxmr_qp *qp)
{
	return qp->buf + (size_t)(QP_RECV_SLOTS + QP_SEND_SLOTS) * DAXMR_PROTO_MSG_MAX;
}

/* The errno of a NULL-returning verb: errno, or -ENOMEM when the provider left none. */
static int qp_errno_or_enomem(void)
{
	return errno ? -errno : -ENOMEM;
}

/* The CQ and the QP on it. */
static int qp_create_cq_qp(struct daxmr_qp *qp)
{
	struct ibv_qp_init_attr attr = { 0 };
	int ret;

	qp->cq = ibv_create_cq(qp->id->verbs,
			       2 * (QP_RECV_SLOTS + QP_SEND_SLOTS) + (int)qp->rdma_depth, NULL,
			       qp->comp_channel, 0);
	if (!qp->cq) {
		ret = qp_errno_or_enomem();
		DAXMR_LOG_CALL_ERR("ibv_create_cq", ret, "connection %s", qp->peer);
		return ret;
	}
	attr.send_cq = qp->cq;
	attr.recv_cq = qp->cq;
	attr.qp_type = IBV_QPT_RC;
	attr.cap.max_send_wr = QP_SEND_SLOTS + qp->rdma_depth;
	attr.cap.max_recv_wr = QP_RECV_SLOTS;
	attr.cap.max_send_sge = 1;
	attr.cap.max_recv_sge = 1;
	attr.cap.max_inline_data = QP_INLINE_WANT;
	if (rdma_create_qp(qp->id, qp->pd, &attr)) {
		/* a device without inline sends refuses the request: ask for none */
		attr.cap.max_inline_data = 0;
		if (rdma_create_qp(qp->id, qp->pd, &attr)) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("rdma_create_qp", ret,
					   "connection %s (%u send work requests)", qp->peer,
					   attr.cap.max_send_wr);
			return ret;
		}
	}
	qp->qp_created = true;
	qp->max_inline = attr.cap.max_inline_data; /* what the device granted */
	return 0;
}

/* Whether the device does RC atomics (the QP is made with remote atomic access). */
static int qp_query_atomics(struct daxmr_qp *qp)
{
	struct ibv_device_attr dev;
	int ret = ibv_query_device(qp->id->verbs, &dev);

	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_query_device", -ret, "connection %s", qp->peer);
		return -ret;
	}
	qp->atomics = dev.atomic_cap != IBV_ATOMIC_NONE;
	if (qp->rdma_depth + QP_SEND_SLOTS > (unsigned int)dev.max_qp_wr &&
	    dev.max_qp_wr > QP_SEND_SLOTS) {
		DAXMR_LOG_NTC("connection %s: queue depth %u lowered to the device's %d", qp->peer,
			      qp->rdma_depth, dev.max_qp_wr - QP_SEND_SLOTS);
		qp->rdma_depth = (unsigned int)dev.max_qp_wr - QP_SEND_SLOTS;
	}
	return 0;
}

/* The message slots and the bounce buffer, mapped and registered. */
static int qp_buf_new(struct daxmr_qp *qp)
{
	int ret;

	qp->buf_len = (size_t)(QP_RECV_SLOTS + QP_SEND_SLOTS) * DAXMR_PROTO_MSG_MAX +
		      DAXMR_QP_BOUNCE_SIZE;
	qp->buf =
		mmap(NULL, qp->buf_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (qp->buf == MAP_FAILED) {
		ret = -errno;
		qp->buf = NULL;
		DAXMR_LOG_CALL_ERR("mmap", ret, "%zu bytes of message and bounce buffers",
				   qp->buf_len);
		return ret;
	}
	return daxmr_verbs_reg(qp->pd, qp->buf, qp->buf_len, IBV_ACCESS_LOCAL_WRITE,
			       DAXMR_VERBS_PINNED, "libdaxmr message and bounce buffers", &qp->mr,
			       NULL);
}

/* PD, completion channel, CQ, QP and the registered buffers on id's device. */
int daxmr_qp_new(struct rdma_cm_id *id, const char *peer, unsigned int rdma_depth,
		 struct daxmr_qp **qp_ptr)
{
	struct daxmr_qp *qp;
	int ret;

	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return -ENOMEM;
	qp->id = id;
	qp->peer = peer;
	qp->rdma_depth = rdma_depth;
	ret = qp_query_atomics(qp);
	if (ret)
		goto err_delete;
	qp->pd = ibv_alloc_pd(id->verbs);
	if (!qp->pd) {
		ret = qp_errno_or_enomem();
		DAXMR_LOG_CALL_ERR("ibv_alloc_pd", ret, "device %s",
				   ibv_get_device_name(id->verbs->device));
		goto err_delete;
	}
	qp->comp_channel = ibv_create_comp_channel(id->verbs);
	if (!qp->comp_channel) {
		ret = qp_errno_or_enomem();
		DAXMR_LOG_CALL_ERR("ibv_create_comp_channel", ret, "connection %s", peer);
		goto err_delete;
	}
	ret = daxmr_fd_set_nonblock(qp->comp_channel->fd, true, "completion channel");
	if (ret)
		goto err_delete;
	ret = qp_create_cq_qp(qp);
	if (ret)
		goto err_delete;
	ret = qp_buf_new(qp);
	if (ret)
		goto err_delete;
	*qp_ptr = qp;
	return 0;

err_delete:
	/* each resource is released only if it was made: the one teardown, in reverse order */
	daxmr_qp_delete(&qp);
	return ret;
}

/* Keeps the first error: ret if set, else the verb's positive r as -r (logged). */
static int qp_teardown_err(int ret, int r, const char *call, const char *peer)
{
	if (!r)
		return ret;
	DAXMR_LOG_CALL_ERR(call, -r, "connection %s", peer);
	return ret ? ret : -r;
}

/* Everything, in reverse order of creation; each only if it was made. */
int daxmr_qp_delete(struct daxmr_qp **qp_ptr)
{
	struct daxmr_qp *qp;
	int ret = 0;

	if (!qp_ptr || !*qp_ptr)
		return 0;
	qp = *qp_ptr;
	*qp_ptr = NULL;
	if (qp->qp_created)
		rdma_destroy_qp(qp->id);
	if (qp->mr)
		ret = qp_teardown_err(ret, ibv_dereg_mr(qp->mr), "ibv_dereg_mr", qp->peer);
	if (qp->buf)
		munmap(qp->buf, qp->buf_len);
	if (qp->cq)
		ret = qp_teardown_err(ret, ibv_destroy_cq(qp->cq), "ibv_destroy_cq", qp->peer);
	if (qp->comp_channel)
		ret = qp_teardown_err(ret, ibv_destroy_comp_channel(qp->comp_channel),
				      "ibv_destroy_comp_channel", qp->peer);
	if (qp->pd)
		ret = qp_teardown_err(ret, ibv_dealloc_pd(qp->pd), "ibv_dealloc_pd", qp->peer);
	free(qp);
	return ret;
}

/* The completion channel's fd. */
int daxmr_qp_fd(const struct daxmr_qp *qp)
{
	return qp->comp_channel->fd;
}

/* Posts receive slot i. */
static int qp_post_recv(struct daxmr_qp *qp, unsigned int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)qp_recv_buf(qp, i),
		.length = DAXMR_PROTO_MSG_MAX,
		.lkey = qp->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = daxmr_wrid(DAXMR_QP_WR_RECV, i),
				  .sg_list = &sge,
				  .num_sge = 1 };
	struct ibv_recv_wr *bad = NULL;
	int ret;

	ret = ibv_post_recv(qp->id->qp, &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_recv", -ret, "connection %s slot %u", qp->peer, i);
		return -ret;
	}
	qp->recv_posted[i] = true;
	qp->recvs_posted++;
	return 0;
}

/* Posts receives until want are posted. */
int daxmr_qp_post_recvs(struct daxmr_qp *qp, unsigned int want)
{
	unsigned int i;
	int ret;

	if (want > QP_RECV_SLOTS) {
		DAXMR_LOG_ERR("connection %s: %u receives needed, %u slots: too many regions open",
			      qp->peer, want, QP_RECV_SLOTS);
		return -ENOBUFS;
	}
	for (i = 0; i < QP_RECV_SLOTS && qp->recvs_posted < want; i++) {
		if (qp->recv_posted[i])
			continue;
		ret = qp_post_recv(qp, i);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether a send slot is free. */
bool daxmr_qp_has_send_slot(const struct daxmr_qp *qp)
{
	return qp->sends_busy < QP_SEND_SLOTS;
}

/* Posts one signaled send work request of sge; its opcode and RDMA fields from wr. */
static int qp_post_send(struct daxmr_qp *qp, struct ibv_send_wr *wr, struct ibv_sge *sge)
{
	struct ibv_send_wr *bad = NULL;

	sge->lkey = qp->mr->lkey;
	wr->sg_list = sge;
	wr->num_sge = 1;
	wr->send_flags = IBV_SEND_SIGNALED;
	return ibv_post_send(qp->id->qp, wr, &bad);
}

/* Encodes msg into a free send slot and posts it. */
int daxmr_qp_post_msg(struct daxmr_qp *qp, struct daxmr_proto_msg *msg, uint16_t version)
{
	struct ibv_send_wr wr = { .opcode = IBV_WR_SEND };
	struct ibv_sge sge;
	unsigned int i;
	int len, ret;

	for (i = 0; i < QP_SEND_SLOTS && qp->send_busy[i]; i++)
		;
	if (i == QP_SEND_SLOTS)
		return -EAGAIN;
	msg->hdr.version = version;
	len = daxmr_proto_msg_encode(msg, qp_send_buf(qp, i), DAXMR_PROTO_MSG_MAX);
	if (len < 0) {
		DAXMR_LOG_ERR("encoding %s: %s", daxmr_proto_opcode_str(msg->hdr.opcode),
			      daxmr_log_strerror(len));
		return len;
	}
	sge = (struct ibv_sge){ .addr = (uintptr_t)qp_send_buf(qp, i), .length = (uint32_t)len };
	wr.wr_id = daxmr_wrid(DAXMR_QP_WR_SEND, i);
	ret = qp_post_send(qp, &wr, &sge);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_send", -ret, "SEND %s to %s",
				   daxmr_proto_opcode_str(msg->hdr.opcode), qp->peer);
		return -ret;
	}
	qp->send_busy[i] = true;
	qp->sends_busy++;
	return 0;
}

/* The QP for the ops ring's posts. */
struct ibv_qp *daxmr_qp_ibv(const struct daxmr_qp *qp)
{
	return qp->id->qp;
}

/* The PD (caller memory registers on it). */
struct ibv_pd *daxmr_qp_pd(const struct daxmr_qp *qp)
{
	return qp->pd;
}

/* The local key of the message and bounce buffers. */
uint32_t daxmr_qp_lkey(const struct daxmr_qp *qp)
{
	return qp->mr->lkey;
}

/* RDMA work requests the send queue has room for. */
unsigned int daxmr_qp_rdma_depth(const struct daxmr_qp *qp)
{
	return qp->rdma_depth;
}

/* Bytes a WRITE may send inline. */
uint32_t daxmr_qp_max_inline(const struct daxmr_qp *qp)
{
	return qp->max_inline;
}

/* Whether the device does RC atomics. */
bool daxmr_qp_atomics(const struct daxmr_qp *qp)
{
	return qp->atomics;
}

/* Moves the QP to the error state: nothing posted on it touches memory any more. */
void daxmr_qp_set_error(struct daxmr_qp *qp)
{
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_ERR };
	int ret;

	if (!qp->qp_created)
		return;
	ret = ibv_modify_qp(qp->id->qp, &attr, IBV_QP_STATE);
	if (ret)
		DAXMR_LOG_CALL_ERR("ibv_modify_qp", -ret, "connection %s to the error state",
				   qp->peer);
}

/* Polls up to n completions. */
int daxmr_qp_poll(struct daxmr_qp *qp, struct ibv_wc *wc, int n)
{
	int got = ibv_poll_cq(qp->cq, n, wc);

	if (got < 0) {
		DAXMR_LOG_CALL_ERR("ibv_poll_cq", -EIO, "connection %s", qp->peer);
		return -EIO;
	}
	return got;
}

/* Frees the completion's slot; what it completed. */
enum daxmr_qp_wr daxmr_qp_complete(struct daxmr_qp *qp, const struct ibv_wc *wc,
				   const uint8_t **recv_ptr)
{
	enum daxmr_qp_wr kind = (enum daxmr_qp_wr)daxmr_wrid_kind(wc->wr_id);
	uint32_t slot = daxmr_wrid_slot(wc->wr_id);

	*recv_ptr = NULL;
	if (kind == DAXMR_QP_WR_RECV && slot < QP_RECV_SLOTS) {
		qp->recv_posted[slot] = false;
		qp->recvs_posted--;
		*recv_ptr = qp_recv_buf(qp, slot);
	} else if (kind == DAXMR_QP_WR_SEND && slot < QP_SEND_SLOTS) {
		qp->send_busy[slot] = false;
		qp->sends_busy--;
	}
	return kind;
}

/* Takes the completion channel's pending events: the CQ is unarmed. */
void daxmr_qp_take_events(struct daxmr_qp *qp)
{
	struct ibv_cq *cq;
	void *ctx;

	while (ibv_get_cq_event(qp->comp_channel, &cq, &ctx) == 0) {
		ibv_ack_cq_events(cq, 1);
		qp->cq_armed = false;
	}
}

/* Whether the CQ is armed. */
bool daxmr_qp_is_armed(const struct daxmr_qp *qp)
{
	return qp->cq_armed;
}

/* Arms the CQ. */
int daxmr_qp_arm(struct daxmr_qp *qp)
{
	int ret = ibv_req_notify_cq(qp->cq, 0);

	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_req_notify_cq", -ret, "connection %s", qp->peer);
		return -ret;
	}
	qp->cq_armed = true;
	return 0;
}
