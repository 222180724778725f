/* SPDX-License-Identifier: BSD-3-Clause */
/* transport.c -- one connection's RC transport: CQ, QP and registered message slots */

/*
 * The CQ and the QP live as long as the connection. A receive slot: free
 * --daxmr_transport_post_recvs--> posted --its completion--> free (the message is read from it
 * before the next post). A send slot: free --daxmr_transport_send: encode + post--> in flight --its
 * completion--> free. Memory is fixed at accept time; running out of send slots means the client
 * does not keep its receives posted.
 */
#include "transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "verbs.h"
#include "wrid.h"

#define TRANSPORT_SLOTS (DAXMR_TRANSPORT_RECV_SLOTS + DAXMR_TRANSPORT_SEND_SLOTS)
#define TRANSPORT_CQ_ACK_BATCH 16u

/* Allocates and registers the buffers; every slot free. */
int daxmr_transport_init(struct daxmr_transport *t, struct ibv_pd *pd, uint32_t recv_kind,
			 uint32_t send_kind, const char *peer)
{
	size_t size = (size_t)TRANSPORT_SLOTS * DAXMR_PROTO_MSG_MAX;
	char what[128];
	unsigned int i;
	int ret;

	memset(t, 0, sizeof(*t));
	t->recv_kind = recv_kind;
	t->send_kind = send_kind;
	t->peer = peer;
	ret = posix_memalign((void **)&t->buf, 4096, size);
	if (ret) {
		t->buf = NULL;
		ret = -ret;
		DAXMR_LOG_CALL_ERR("posix_memalign", ret, "connection %s, %zu bytes", peer, size);
		return ret;
	}
	memset(t->buf, 0, size);
	snprintf(what, sizeof(what), "connection %s buffers (%zu bytes)", peer, size);
	/* pinned: counts against RLIMIT_MEMLOCK, and the helper names the limit when it is hit */
	ret = daxmr_verbs_reg(pd, t->buf, size, IBV_ACCESS_LOCAL_WRITE, DAXMR_VERBS_PINNED, what,
			      &t->mr, NULL);
	if (ret)
		return ret;
	for (i = 0; i < DAXMR_TRANSPORT_RECV_SLOTS; i++)
		t->recv_free[t->recv_nfree++] = (uint8_t)(DAXMR_TRANSPORT_RECV_SLOTS - 1 - i);
	for (i = 0; i < DAXMR_TRANSPORT_SEND_SLOTS; i++)
		t->send_free[t->send_nfree++] = (uint8_t)(DAXMR_TRANSPORT_SEND_SLOTS - 1 - i);
	return 0;
}

/* Creates the CQ and the QP. */
int daxmr_transport_connect(struct daxmr_transport *t, struct rdma_cm_id *id, struct ibv_pd *pd,
			    struct ibv_comp_channel *cc, void *cq_context, unsigned int send_wrs)
{
	int cqes = (int)(DAXMR_TRANSPORT_RECV_SLOTS + send_wrs);
	struct ibv_qp_init_attr qpa;
	int ret;

	t->id = id;
	t->cq = ibv_create_cq(id->verbs, cqes, cq_context, cc, 0);
	if (!t->cq) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_create_cq", ret, "connection %s, %d entries", t->peer,
				   cqes);
		return ret;
	}
	ret = -ibv_req_notify_cq(t->cq, 0);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_req_notify_cq", ret, "connection %s", t->peer);
		return ret;
	}
	memset(&qpa, 0, sizeof(qpa));
	qpa.qp_type = IBV_QPT_RC;
	qpa.send_cq = t->cq;
	qpa.recv_cq = t->cq;
	qpa.cap.max_send_wr = send_wrs;
	qpa.cap.max_recv_wr = DAXMR_TRANSPORT_RECV_SLOTS;
	qpa.cap.max_send_sge = 1;
	qpa.cap.max_recv_sge = 1;
	if (rdma_create_qp(id, pd, &qpa)) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("rdma_create_qp", ret, "connection %s, RC, %u send / %d recv",
				   t->peer, send_wrs, DAXMR_TRANSPORT_RECV_SLOTS);
		return ret;
	}
	t->qp = id->qp;
	return 0;
}

/* Undoes init and connect in reverse order; NULL-safe per field. */
int daxmr_transport_fini(struct daxmr_transport *t)
{
	int ret = 0, r;

	if (t->qp) {
		rdma_destroy_qp(t->id);
		t->qp = NULL;
	}
	if (t->mr) {
		r = -ibv_dereg_mr(t->mr);
		if (r) {
			DAXMR_LOG_CALL_ERR("ibv_dereg_mr", r, "connection %s buffers", t->peer);
			ret = ret ? ret : r;
		}
		t->mr = NULL;
	}
	if (t->cq) {
		if (t->cq_unacked)
			ibv_ack_cq_events(t->cq, t->cq_unacked);
		t->cq_unacked = 0;
		r = -ibv_destroy_cq(t->cq);
		if (r) {
			DAXMR_LOG_CALL_ERR("ibv_destroy_cq", r, "connection %s", t->peer);
			ret = ret ? ret : r;
		}
		t->cq = NULL;
	}
	free(t->buf);
	t->buf = NULL;
	return ret;
}

/* A completion event was taken: ack in batches, re-arm. */
int daxmr_transport_on_cq_event(struct daxmr_transport *t)
{
	int ret;

	if (++t->cq_unacked >= TRANSPORT_CQ_ACK_BATCH) {
		ibv_ack_cq_events(t->cq, t->cq_unacked);
		t->cq_unacked = 0;
	}
	ret = -ibv_req_notify_cq(t->cq, 0);
	if (ret)
		DAXMR_LOG_CALL_ERR("ibv_req_notify_cq", ret, "connection %s", t->peer);
	return ret;
}

/* Polls the CQ. */
int daxmr_transport_poll(struct daxmr_transport *t, struct ibv_wc *wc, int max)
{
	int n = ibv_poll_cq(t->cq, max, wc);

	if (n < 0) {
		DAXMR_LOG_CALL_ERR("ibv_poll_cq", -EIO, "connection %s", t->peer);
		return -EIO;
	}
	return n;
}

/* The buffer of slot i of buf: receive slots are 0.., send slots follow them. */
static uint8_t *transport_slot(const struct daxmr_transport *t, size_t i)
{
	return t->buf + i * DAXMR_PROTO_MSG_MAX;
}

/* Posts receives until want are posted (or no slot is left). */
int daxmr_transport_post_recvs(struct daxmr_transport *t, unsigned int want)
{
	struct ibv_recv_wr wr, *bad = NULL;
	struct ibv_sge sge;
	unsigned int slot;
	int ret;

	while (t->recv_posted < want && t->recv_nfree > 0) {
		slot = t->recv_free[t->recv_nfree - 1];
		sge = (struct ibv_sge){ .addr = (uint64_t)(uintptr_t)transport_slot(t, slot),
					.length = DAXMR_PROTO_MSG_MAX,
					.lkey = t->mr->lkey };
		wr = (struct ibv_recv_wr){ .wr_id = daxmr_wrid(t->recv_kind, slot),
					   .sg_list = &sge,
					   .num_sge = 1 };
		ret = -ibv_post_recv(t->qp, &wr, &bad);
		if (ret) {
			DAXMR_LOG_CALL_ERR("ibv_post_recv", ret, "connection %s, slot %u", t->peer,
					   slot);
			return ret;
		}
		t->recv_nfree--;
		t->recv_posted++;
	}
	return 0;
}

/* The next free send slot's buffer. */
uint8_t *daxmr_transport_send_buf(struct daxmr_transport *t)
{
	if (t->send_nfree == 0)
		return NULL;
	return transport_slot(t,
			      DAXMR_TRANSPORT_RECV_SLOTS + (size_t)t->send_free[t->send_nfree - 1]);
}

/* Posts the next free send slot. */
int daxmr_transport_post_send(struct daxmr_transport *t, uint32_t len, const char *what)
{
	struct ibv_send_wr wr, *bad = NULL;
	struct ibv_sge sge;
	unsigned int slot;
	int ret;

	if (t->send_nfree == 0)
		return -ENOBUFS;
	slot = t->send_free[t->send_nfree - 1];
	sge = (struct ibv_sge){ .addr = (uint64_t)(uintptr_t)transport_slot(
					t, DAXMR_TRANSPORT_RECV_SLOTS + slot),
				.length = len,
				.lkey = t->mr->lkey };
	wr = (struct ibv_send_wr){ .wr_id = daxmr_wrid(t->send_kind, slot),
				   .sg_list = &sge,
				   .num_sge = 1,
				   .opcode = IBV_WR_SEND,
				   .send_flags = IBV_SEND_SIGNALED };
	ret = -ibv_post_send(t->qp, &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_send", ret, "connection %s, %s, %u bytes", t->peer,
				   what, len);
		return ret;
	}
	t->send_nfree--;
	return 0;
}

/* A completion of one of this transport's slots: the slot is free again. */
const uint8_t *daxmr_transport_complete(struct daxmr_transport *t, uint32_t kind, uint32_t slot,
					int *ret_ptr)
{
	*ret_ptr = 0;
	if (kind == t->send_kind && slot < DAXMR_TRANSPORT_SEND_SLOTS) {
		t->send_free[t->send_nfree++] = (uint8_t)slot;
		return NULL;
	}
	if (kind == t->recv_kind && slot < DAXMR_TRANSPORT_RECV_SLOTS) {
		t->recv_posted--;
		t->recv_free[t->recv_nfree++] = (uint8_t)slot;
		return transport_slot(t, slot);
	}
	*ret_ptr = -EINVAL;
	return NULL;
}

/* Whether every send slot is free. */
bool daxmr_transport_is_send_idle(const struct daxmr_transport *t)
{
	return t->send_nfree == DAXMR_TRANSPORT_SEND_SLOTS;
}
