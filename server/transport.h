/* SPDX-License-Identifier: BSD-3-Clause */
/* transport.h -- one connection's RC transport: CQ, QP and registered message slots */
#ifndef DAXMR_TRANSPORT_H
#define DAXMR_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

/* receive slots: a connection's credits, plus one per REVOKE awaiting its ack */
#define DAXMR_TRANSPORT_RECV_SLOTS 24
#define DAXMR_TRANSPORT_SEND_SLOTS 32 /* replies and server messages in flight */

/*
 * The transport of one connection: its CQ and QP, and DAXMR_TRANSPORT_RECV_SLOTS receive and
 * DAXMR_TRANSPORT_SEND_SLOTS send slots of DAXMR_PROTO_MSG_MAX bytes in one pinned registration,
 * fixed at accept time, with the stacks of the slots not posted. Embedded in the connection
 * (its fields are transport.c's); a zeroed one holds nothing and daxmr_transport_fini is safe.
 */
struct daxmr_transport {
	uint8_t *buf;		 /* owned: receive slots first, then send slots */
	struct ibv_mr *mr;	 /* owned: over buf */
	struct ibv_cq *cq;	 /* owned */
	struct rdma_cm_id *id;	 /* borrowed: the connection's (the QP is destroyed through it) */
	struct ibv_qp *qp;	 /* borrowed: id->qp, destroyed with rdma_destroy_qp */
	unsigned int cq_unacked; /* completion events taken but not yet acked */
	uint8_t recv_free[DAXMR_TRANSPORT_RECV_SLOTS]; /* stack of receive slots not posted */
	unsigned int recv_nfree;
	unsigned int recv_posted;
	uint8_t send_free[DAXMR_TRANSPORT_SEND_SLOTS]; /* stack of free send slots */
	unsigned int send_nfree;
	uint32_t recv_kind, send_kind; /* the daxmr_wrid kinds of its receives and sends */
	const char *peer;	       /* borrowed: the connection's "ADDR:PORT", for logs */
};

/*
 * Allocates and registers (pinned, IBV_ACCESS_LOCAL_WRITE) the buffers on pd; every slot is
 * free. Receives and sends carry daxmr_wrid(recv_kind / send_kind, slot). Returns 0, or the
 * -errno of posix_memalign or of the registration (logged; -ENOMEM, -EPERM or -EAGAIN mean
 * RLIMIT_MEMLOCK, and the log says so). On failure call daxmr_transport_fini.
 */
int daxmr_transport_init(struct daxmr_transport *t, struct ibv_pd *pd, uint32_t recv_kind,
			 uint32_t send_kind, const char *peer);

/*
 * Creates the CQ on id's device (on completion channel cc, cq_context its context, armed) and
 * the RC QP on pd (send_wrs send WRs: the send slots and whatever else the caller posts; a
 * receive WR per receive slot). Returns 0 or the -errno of ibv_create_cq, ibv_req_notify_cq or
 * rdma_create_qp (logged). On failure call daxmr_transport_fini.
 */
int daxmr_transport_connect(struct daxmr_transport *t, struct rdma_cm_id *id, struct ibv_pd *pd,
			    struct ibv_comp_channel *cc, void *cq_context, unsigned int send_wrs);

/* Destroys the QP, deregisters the buffers, destroys the CQ. Returns the first -errno (logged). */
int daxmr_transport_fini(struct daxmr_transport *t);

/*
 * A completion event of the CQ was taken from the channel: acks events in batches and re-arms.
 * Returns 0 or the -errno of ibv_req_notify_cq (logged).
 */
int daxmr_transport_on_cq_event(struct daxmr_transport *t);

/* Polls up to max completions into wc. Returns how many, or -EIO (logged). */
int daxmr_transport_poll(struct daxmr_transport *t, struct ibv_wc *wc, int max);

/*
 * Posts receives until want are posted or no slot is left. Returns 0 or the -errno of
 * ibv_post_recv (logged).
 */
int daxmr_transport_post_recvs(struct daxmr_transport *t, unsigned int want);

/* The buffer of the next free send slot (DAXMR_PROTO_MSG_MAX bytes), or NULL if all are out. */
uint8_t *daxmr_transport_send_buf(struct daxmr_transport *t);

/*
 * Posts len bytes of the send buffer daxmr_transport_send_buf returned, signaled; what names
 * the message in the log. Returns 0, -ENOBUFS (no free slot), or the -errno of ibv_post_send
 * (logged; the slot stays free).
 */
int daxmr_transport_post_send(struct daxmr_transport *t, uint32_t len, const char *what);

/*
 * A completion of this transport's wr_id (kind, slot): gives the slot back. Returns the received
 * message's buffer for a receive (the slot is free again: read it before the next post), NULL
 * for a send; -EINVAL in *ret_ptr for a wr_id that is not one of its slots (nothing changes).
 */
const uint8_t *daxmr_transport_complete(struct daxmr_transport *t, uint32_t kind, uint32_t slot,
					int *ret_ptr);

/* Whether no send is in flight (every send slot free). */
bool daxmr_transport_is_send_idle(const struct daxmr_transport *t);

#endif /* DAXMR_TRANSPORT_H */
