/* SPDX-License-Identifier: BSD-3-Clause */
/* ring.c -- one connection's message buffers: registered receive and send slots */

/*
 * A receive slot: free --daxmr_ring_post_recvs--> posted --its completion--> free (the message
 * is read from it before the next post). A send slot: free --daxmr_ring_send: encode + post-->
 * in flight --its completion--> free. Memory is fixed at accept time; running out of send slots
 * means the client does not keep its receives posted.
 */
#include "ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "verbs.h"
#include "wrid.h"

#define RING_SLOTS (DAXMR_RING_RECV_SLOTS + DAXMR_RING_SEND_SLOTS)

/* Allocates and registers the buffers; every slot free. */
int daxmr_ring_init(struct daxmr_ring *r, struct ibv_pd *pd, uint32_t recv_kind, uint32_t send_kind,
		    const char *peer)
{
	size_t size = (size_t)RING_SLOTS * DAXMR_PROTO_MSG_MAX;
	char what[128];
	unsigned int i;
	int ret;

	memset(r, 0, sizeof(*r));
	r->recv_kind = recv_kind;
	r->send_kind = send_kind;
	r->peer = peer;
	ret = posix_memalign((void **)&r->buf, 4096, size);
	if (ret) {
		r->buf = NULL;
		ret = -ret;
		DAXMR_LOG_CALL_ERR("posix_memalign", ret, "connection %s, %zu bytes", peer, size);
		return ret;
	}
	memset(r->buf, 0, size);
	snprintf(what, sizeof(what), "connection %s buffers (%zu bytes)", peer, size);
	/* pinned: counts against RLIMIT_MEMLOCK, and the helper names the limit when it is hit */
	ret = daxmr_verbs_reg(pd, r->buf, size, IBV_ACCESS_LOCAL_WRITE, DAXMR_VERBS_PINNED, what,
			      &r->mr, NULL);
	if (ret)
		return ret;
	for (i = 0; i < DAXMR_RING_RECV_SLOTS; i++)
		r->recv_free[r->recv_nfree++] = (uint8_t)(DAXMR_RING_RECV_SLOTS - 1 - i);
	for (i = 0; i < DAXMR_RING_SEND_SLOTS; i++)
		r->send_free[r->send_nfree++] = (uint8_t)(DAXMR_RING_SEND_SLOTS - 1 - i);
	return 0;
}

/* Deregisters and frees the buffers. */
int daxmr_ring_fini(struct daxmr_ring *r)
{
	int ret = 0;

	if (r->mr) {
		ret = -ibv_dereg_mr(r->mr);
		if (ret)
			DAXMR_LOG_CALL_ERR("ibv_dereg_mr", ret, "connection %s buffers", r->peer);
		r->mr = NULL;
	}
	free(r->buf);
	r->buf = NULL;
	return ret;
}

/* Posts receives until want are posted (or no slot is left). */
int daxmr_ring_post_recvs(struct daxmr_ring *r, struct ibv_qp *qp, unsigned int want)
{
	struct ibv_recv_wr wr, *bad = NULL;
	struct ibv_sge sge;
	unsigned int slot;
	int ret;

	while (r->recv_posted < want && r->recv_nfree > 0) {
		slot = r->recv_free[r->recv_nfree - 1];
		sge.addr = (uint64_t)(uintptr_t)(r->buf + (size_t)slot * DAXMR_PROTO_MSG_MAX);
		sge.length = DAXMR_PROTO_MSG_MAX;
		sge.lkey = r->mr->lkey;
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = daxmr_wrid(r->recv_kind, slot);
		wr.sg_list = &sge;
		wr.num_sge = 1;
		ret = -ibv_post_recv(qp, &wr, &bad);
		if (ret) {
			DAXMR_LOG_CALL_ERR("ibv_post_recv", ret, "connection %s, slot %u", r->peer,
					   slot);
			return ret;
		}
		r->recv_nfree--;
		r->recv_posted++;
	}
	return 0;
}

/* The next free send slot's buffer. */
uint8_t *daxmr_ring_send_buf(struct daxmr_ring *r)
{
	if (r->send_nfree == 0)
		return NULL;
	return r->buf + (size_t)(DAXMR_RING_RECV_SLOTS + r->send_free[r->send_nfree - 1]) *
				DAXMR_PROTO_MSG_MAX;
}

/* Posts the next free send slot. */
int daxmr_ring_post_send(struct daxmr_ring *r, struct ibv_qp *qp, uint32_t len, const char *what)
{
	struct ibv_send_wr wr, *bad = NULL;
	struct ibv_sge sge;
	unsigned int slot;
	int ret;

	if (r->send_nfree == 0)
		return -ENOBUFS;
	slot = r->send_free[r->send_nfree - 1];
	sge.addr = (uint64_t)(uintptr_t)(r->buf + (size_t)(DAXMR_RING_RECV_SLOTS + slot) *
							  DAXMR_PROTO_MSG_MAX);
	sge.length = len;
	sge.lkey = r->mr->lkey;
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = daxmr_wrid(r->send_kind, slot);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	ret = -ibv_post_send(qp, &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_send", ret, "connection %s, %s, %u bytes", r->peer,
				   what, len);
		return ret;
	}
	r->send_nfree--;
	return 0;
}

/* A completion of one of this ring's slots: the slot is free again. */
const uint8_t *daxmr_ring_complete(struct daxmr_ring *r, uint32_t kind, uint32_t slot, int *ret_ptr)
{
	*ret_ptr = 0;
	if (kind == r->send_kind && slot < DAXMR_RING_SEND_SLOTS) {
		r->send_free[r->send_nfree++] = (uint8_t)slot;
		return NULL;
	}
	if (kind == r->recv_kind && slot < DAXMR_RING_RECV_SLOTS) {
		r->recv_posted--;
		r->recv_free[r->recv_nfree++] = (uint8_t)slot;
		return r->buf + (size_t)slot * DAXMR_PROTO_MSG_MAX;
	}
	*ret_ptr = -EINVAL;
	return NULL;
}

/* Whether every send slot is free. */
bool daxmr_ring_is_send_idle(const struct daxmr_ring *r)
{
	return r->send_nfree == DAXMR_RING_SEND_SLOTS;
}
