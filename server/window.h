/* SPDX-License-Identifier: BSD-3-Clause */
/* window.h -- one connection's type-2 memory windows: per-client keys over the exports' MRs */
#ifndef DAXMR_WINDOW_H
#define DAXMR_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "export.h"
#include "proto.h"

/* a ro and a rw window per segment (DAXMR_EXPORT_MW_SEGS_MAX) of each descriptor of a connection */
#define DAXMR_WINDOW_SLOTS 128

/* A window slot's state; the diagram is at the top of window.c. */
enum daxmr_window_state {
	DAXMR_WINDOW_FREE = 0,	   /* nothing allocated */
	DAXMR_WINDOW_QUEUED,	   /* allocated, its BIND_MW waits for an idle send queue */
	DAXMR_WINDOW_BINDING,	   /* BIND_MW posted: an OPEN waits for its completion */
	DAXMR_WINDOW_BOUND,	   /* the key of one descriptor (owner; NULL: its OPEN's other
				    * segments are still binding) */
	DAXMR_WINDOW_INVALIDATING, /* LOCAL_INV posted: deallocated at its completion */
};

/* One memory window: bound on the connection's QP over an export's MR. */
struct daxmr_window {
	enum daxmr_window_state state;
	struct ibv_mw *mw;	  /* owned; NULL once deallocated while its WR is still out */
	struct daxmr_export *exp; /* borrowed: exports outlive connections */
	const void *owner;	  /* borrowed: BOUND: the connection's descriptor whose key it is */
	uint64_t gen;
	uint32_t rkey; /* the bound window's key (ibv_inc_rkey of the allocated one) */
	enum daxmr_proto_access access;
	bool ack;	 /* INVALIDATING: the completion is (exp, gen)'s revoke ack */
	uint64_t req_id; /* QUEUED, BINDING: the OPEN answered when the bind completes */
	uint64_t seq;	 /* QUEUED: the order of the OPENs, served oldest first */
	uint64_t group;	 /* the OPEN it is for: its windows, one per segment, share it (>= 1) */
	uint32_t seg;	 /* the segment it is the key of */
	bool dropped;	 /* BINDING: its OPEN was answered already: released at its completion */
};

/*
 * The windows of one connection. Embedded in the connection (its fields are window.c's):
 * set it up with daxmr_window_set_init once the QP exists; a zeroed set holds nothing.
 */
struct daxmr_window_set {
	struct daxmr_window slot[DAXMR_WINDOW_SLOTS];
	unsigned int nbinding; /* windows QUEUED or BINDING: OPENs that will become descriptors */
	uint64_t next_seq;     /* the seq of the next window queued */
	uint64_t next_group;   /* the group of the last OPEN queued */
	bool closed; /* the connection is going or gone: invalidating means deallocating now */
	struct ibv_pd *pd;  /* borrowed: the server's protection domain */
	struct ibv_qp *qp;  /* borrowed: the connection's QP */
	uint32_t wr_kind;   /* the daxmr_wrid kind of this set's work requests */
	const char *peer;   /* borrowed: the connection's "ADDR:PORT", for logs */
	const char *client; /* borrowed: the connection's HELLO name, for logs */
	/* a revoke ack carried by an invalidation is due: (exp, gen)'s holder is done */
	void (*ack)(void *arg, struct daxmr_export *exp, uint64_t gen);
	void *ack_arg; /* borrowed: passed to ack */
};

/* "free", "binding", "bound", "invalidating". */
const char *daxmr_window_state_str(enum daxmr_window_state state);

/* Sets ws up for a connection's QP; its WRs carry daxmr_wrid(wr_kind, slot); ack is not NULL. */
void daxmr_window_set_init(struct daxmr_window_set *ws, struct ibv_pd *pd, struct ibv_qp *qp,
			   uint32_t wr_kind, const char *peer, const char *client,
			   void (*ack)(void *arg, struct daxmr_export *exp, uint64_t gen),
			   void *ack_arg);

/* The slot a completion's daxmr_wrid_slot names, or NULL past the end. */
struct daxmr_window *daxmr_window_at(struct daxmr_window_set *ws, uint32_t slot);

/* The BOUND window of owner with access for segment seg, or NULL. */
struct daxmr_window *daxmr_window_find(struct daxmr_window_set *ws, const void *owner,
				       enum daxmr_proto_access access, uint32_t seg);

/*
 * Allocates nseg windows (1..DAXMR_EXPORT_MW_SEGS_MAX), one per segment, in free slots for an OPEN
 * (req_id) of exp, desc's generation and access: QUEUED, one group, their BIND_MWs not posted
 * yet. rxe executes a BIND_MW again when a retransmission rewinds its requester to an earlier
 * unacknowledged work request (docs/reliability.md), and the second bind kills the QP: the
 * caller posts them (daxmr_window_post_bind) only once every earlier work request of the QP has
 * completed. The slots are the queue's bound. Returns 0 with *w_ptr set to segment 0's window,
 * -ENOBUFS (fewer free slots), or the -errno of ibv_alloc_mw (logged, and told to
 * daxmr_export_window_failed); on failure nothing stays allocated.
 */
int daxmr_window_queue(struct daxmr_window_set *ws, struct daxmr_export *exp, uint64_t req_id,
		       const struct daxmr_proto_desc *desc, uint32_t nseg,
		       struct daxmr_window **w_ptr);

/* The window of segment seg in w's group (any state but FREE), or NULL. */
struct daxmr_window *daxmr_window_group_seg(struct daxmr_window_set *ws,
					    const struct daxmr_window *w, uint32_t seg);

/* How many windows of w's group are QUEUED or BINDING (its OPEN waits for them). */
unsigned int daxmr_window_group_pending(const struct daxmr_window_set *ws,
					const struct daxmr_window *w);

/*
 * w's OPEN gets no windows: its group's windows are released, a BINDING one marked dropped
 * (released at its completion: a window with a bind out is not deallocated on a live QP).
 */
void daxmr_window_release_group(struct daxmr_window_set *ws, struct daxmr_window *w);

/* OPENs waiting for their windows (groups with a window QUEUED, BINDING or not yet owned). */
unsigned int daxmr_window_opens_pending(const struct daxmr_window_set *ws);

/* The QUEUED window queued first (the next bind to post), or NULL. */
struct daxmr_window *daxmr_window_next_queued(struct daxmr_window_set *ws);

/*
 * Posts the BIND_MW of a QUEUED window over bind: BINDING. Returns 0, or the -errno of
 * ibv_post_send (logged, and told to daxmr_export_window_failed; the slot is FREE again).
 */
int daxmr_window_post_bind(struct daxmr_window_set *ws, struct daxmr_window *w,
			   const struct ibv_mw_bind_info *bind);

/* Whether none of the set's work requests (BIND_MW, LOCAL_INV) is out. */
bool daxmr_window_is_idle(const struct daxmr_window_set *ws);

/*
 * w's group becomes owner's keys (BOUND); owner's other BOUND windows of the same access are
 * invalidated: one group of keys per access.
 */
void daxmr_window_attach(struct daxmr_window_set *ws, struct daxmr_window *w, const void *owner);

/*
 * Invalidates owner's BOUND windows (CLOSE, REVOKE_ACK, a new generation). ack: the revoke ack
 * of (exp, gen) is reported through ws->ack once the last invalidation completes, or now if
 * none is in flight.
 */
void daxmr_window_cut(struct daxmr_window_set *ws, const void *owner, bool ack,
		      struct daxmr_export *exp, uint64_t gen);

/* Deallocates the window now (its rkey dies with it) and frees the slot (a QUEUED one: its OPEN is
 * the caller's to answer). */
void daxmr_window_release(struct daxmr_window_set *ws, struct daxmr_window *w);

/*
 * The WR of w completed with status. BINDING: counted; on success w is BOUND with no owner yet;
 * returns 0 and the caller, which saw BINDING, answers the OPEN once its group has no window
 * pending (and attaches or releases the group, looking at status and w->dropped itself).
 * INVALIDATING: the window is deallocated, the slot freed and a revoke ack it carried reported;
 * returns 0, or -EIO if the WR failed (the QP is in error). Another state: -EINVAL (logged).
 */
int daxmr_window_complete(struct daxmr_window_set *ws, struct daxmr_window *w,
			  enum ibv_wc_status status);

/*
 * The connection is going or gone: deallocates every window at once (no completion to wait
 * for; the QUEUED ones are dropped with their OPENs); from now on an invalidation deallocates at
 * once too. report: also report the revoke acks invalidations in flight were carrying. Slots with a
 * WR still out stay until its completion (or the QP's end).
 */
void daxmr_window_drop_all(struct daxmr_window_set *ws, bool report);

/*
 * exp's MR is about to be deregistered: deallocates every window over it now (QUEUED ones too:
 * the caller answers their OPENs first); their revoke acks no longer matter.
 */
void daxmr_window_fence(struct daxmr_window_set *ws, const struct daxmr_export *exp);

/* The number of windows allocated (a slot whose window is not yet deallocated). */
size_t daxmr_window_count(const struct daxmr_window_set *ws);

#endif /* DAXMR_WINDOW_H */
