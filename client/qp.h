/* SPDX-License-Identifier: BSD-3-Clause */
/* qp.h -- libdaxmr: one connection's verbs: PD, CQ, QP, message slots and the bounce buffer */
#ifndef DAXMR_CLIENT_QP_H
#define DAXMR_CLIENT_QP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "proto.h"

#define DAXMR_QP_BOUNCE_SIZE (1u << 20) /* the copying path's chunk */

/*
 * The verbs resources of one connection, on the device rdma_cm bound its id to: a PD, a
 * completion channel (non-blocking) and one CQ for sends, receives and RDMA, the RC QP, and one
 * registered buffer holding the receive slots, the send slots and the bounce buffer every RDMA
 * transfer goes through. Work request ids say what completed (enum daxmr_qp_wr) and which slot.
 */
struct daxmr_qp;

/* What a completion completed. */
enum daxmr_qp_wr {
	DAXMR_QP_WR_RECV = 1,
	DAXMR_QP_WR_SEND = 2,
	DAXMR_QP_WR_OP = 3, /* a piece of an RDMA operation: the ops ring's (ops.h) */
};

/*
 * Creates everything on id's device (id borrowed: it owns the QP; peer borrowed: names the
 * connection in log lines, lives as long as the qp), with send-queue room for rdma_depth RDMA
 * work requests besides the messages (lowered to what the device allows). 0 or the failed
 * call's -errno, logged.
 */
int daxmr_qp_new(struct rdma_cm_id *id, const char *peer, unsigned int rdma_depth,
		 struct daxmr_qp **qp_ptr);

/* Destroys the QP, the buffer, the CQ, the channel and the PD; NULL-safe; the first error. */
int daxmr_qp_delete(struct daxmr_qp **qp_ptr);

/* The completion channel's fd: readable when the armed CQ got a completion. */
int daxmr_qp_fd(const struct daxmr_qp *qp);

/* Posts receives until want are posted. -ENOBUFS (logged) if there are fewer slots. */
int daxmr_qp_post_recvs(struct daxmr_qp *qp, unsigned int want);

/* Whether a send slot is free for daxmr_qp_post_msg. */
bool daxmr_qp_has_send_slot(const struct daxmr_qp *qp);

/* Encodes msg (as version) into a free send slot and posts it. -EAGAIN if none is free. */
int daxmr_qp_post_msg(struct daxmr_qp *qp, struct daxmr_proto_msg *msg, uint16_t version);

/* The bounce buffer (DAXMR_QP_BOUNCE_SIZE bytes). */
uint8_t *daxmr_qp_bounce(struct daxmr_qp *qp);

/* The QP itself, for the ops ring's posts (borrowed). */
struct ibv_qp *daxmr_qp_ibv(const struct daxmr_qp *qp);

/* The protection domain caller memory registers on (borrowed). */
struct ibv_pd *daxmr_qp_pd(const struct daxmr_qp *qp);

/* The local key of the message and bounce buffers. */
uint32_t daxmr_qp_lkey(const struct daxmr_qp *qp);

/* RDMA work requests the send queue has room for (the requested depth, or the device's max). */
unsigned int daxmr_qp_rdma_depth(const struct daxmr_qp *qp);

/* Bytes an RDMA WRITE may carry inline on this QP (0: none). */
uint32_t daxmr_qp_max_inline(const struct daxmr_qp *qp);

/* Whether the device does RC atomics (ibv_query_device's atomic_cap). */
bool daxmr_qp_atomics(const struct daxmr_qp *qp);

/* Moves the QP to the error state (logged if that fails): no posted work touches memory after. */
void daxmr_qp_set_error(struct daxmr_qp *qp);

/* Polls up to n completions into wc: how many, or -EIO (logged). */
int daxmr_qp_poll(struct daxmr_qp *qp, struct ibv_wc *wc, int n);

/*
 * Accounts a completion (its slot is free again) and says what it completed. For a receive in
 * a slot we posted, *recv_ptr is the received bytes (wc->byte_len of them), else NULL.
 */
enum daxmr_qp_wr daxmr_qp_complete(struct daxmr_qp *qp, const struct ibv_wc *wc,
				   const uint8_t **recv_ptr);

/* Takes (and acks) the completion channel's pending events without blocking: the CQ is unarmed. */
void daxmr_qp_take_events(struct daxmr_qp *qp);

/* Whether the CQ is armed: the channel's fd will tell of the next completion. */
bool daxmr_qp_is_armed(const struct daxmr_qp *qp);

/* Arms the CQ for the next completion (callers drain it after: one may have raced). 0/-errno. */
int daxmr_qp_arm(struct daxmr_qp *qp);

#endif /* DAXMR_CLIENT_QP_H */
