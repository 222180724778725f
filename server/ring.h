/* SPDX-License-Identifier: BSD-3-Clause */
/* ring.h -- one connection's message buffers: registered receive and send slots */
#ifndef DAXMR_RING_H
#define DAXMR_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#define DAXMR_RING_RECV_SLOTS                                                                    \
	24			 /* a connection's credits, plus one per REVOKE awaiting its ack \
				  */
#define DAXMR_RING_SEND_SLOTS 32 /* replies and server messages in flight */

/*
 * The buffers of one connection: DAXMR_RING_RECV_SLOTS receive and DAXMR_RING_SEND_SLOTS send
 * slots of DAXMR_PROTO_MSG_MAX bytes in one pinned registration, fixed at accept time, and the
 * stacks of the slots not posted. Embedded in the connection (its fields are ring.c's); a
 * zeroed ring holds nothing and daxmr_ring_fini is safe on it.
 */
struct daxmr_ring {
	uint8_t *buf;				  /* owned: receive slots first, then send slots */
	struct ibv_mr *mr;			  /* owned: over buf */
	uint8_t recv_free[DAXMR_RING_RECV_SLOTS]; /* stack of receive slots not posted */
	unsigned int recv_nfree;
	unsigned int recv_posted;
	uint8_t send_free[DAXMR_RING_SEND_SLOTS]; /* stack of free send slots */
	unsigned int send_nfree;
	uint32_t recv_kind, send_kind; /* the daxmr_wrid kinds of its receives and sends */
	const char *peer;	       /* borrowed: the connection's "ADDR:PORT", for logs */
};

/*
 * Allocates and registers (pinned, IBV_ACCESS_LOCAL_WRITE) the buffers on pd; every slot is
 * free. Receives and sends carry daxmr_wrid(recv_kind / send_kind, slot). Returns 0, or the
 * -errno of posix_memalign or of the registration (logged; -ENOMEM, -EPERM or -EAGAIN mean
 * RLIMIT_MEMLOCK, and the log says so). On failure call daxmr_ring_fini.
 */
int daxmr_ring_init(struct daxmr_ring *r, struct ibv_pd *pd, uint32_t recv_kind, uint32_t send_kind,
		    const char *peer);

/* Deregisters and frees the buffers. Returns 0 or the -errno of ibv_dereg_mr (logged). */
int daxmr_ring_fini(struct daxmr_ring *r);

/*
 * Posts receives on qp until want are posted or no slot is left. Returns 0 or the -errno of
 * ibv_post_recv (logged).
 */
int daxmr_ring_post_recvs(struct daxmr_ring *r, struct ibv_qp *qp, unsigned int want);

/* The buffer of the next free send slot (DAXMR_PROTO_MSG_MAX bytes), or NULL if all are out. */
uint8_t *daxmr_ring_send_buf(struct daxmr_ring *r);

/*
 * Posts len bytes of the send buffer daxmr_ring_send_buf returned on qp, signaled; what names
 * the message in the log. Returns 0, -ENOBUFS (no free slot), or the -errno of ibv_post_send
 * (logged; the slot stays free).
 */
int daxmr_ring_post_send(struct daxmr_ring *r, struct ibv_qp *qp, uint32_t len, const char *what);

/*
 * A completion of this ring's wr_id (kind, slot): gives the slot back. Returns the received
 * message's buffer for a receive (the slot is free again: read it before the next post), NULL
 * for a send; -EINVAL in *ret_ptr for a wr_id that is not this ring's (nothing changes).
 */
const uint8_t *daxmr_ring_complete(struct daxmr_ring *r, uint32_t kind, uint32_t slot,
				   int *ret_ptr);

/* Whether no send is in flight (every send slot free). */
bool daxmr_ring_is_send_idle(const struct daxmr_ring *r);

#endif /* DAXMR_RING_H */
