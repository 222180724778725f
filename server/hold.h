/* SPDX-License-Identifier: BSD-3-Clause */
/* hold.h -- one connection's descriptors: one per export, held, being revoked, revoked */
#ifndef DAXMR_HOLD_H
#define DAXMR_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "export.h"
#include "proto.h"
#include "window.h"

/* A descriptor's state; the diagram is at the top of hold.c. */
enum daxmr_hold_state {
	DAXMR_HOLD_HELD = 0,	/* OPENed: the client may use its key */
	DAXMR_HOLD_REVOKE_SENT, /* REVOKE sent: its ack (or CLOSE, or a disconnect) is awaited */
	DAXMR_HOLD_REVOKED,	/* acked: AVAILABLE will follow when the export is back */
};

/* One descriptor a connection holds. */
struct daxmr_hold {
	TAILQ_ENTRY(daxmr_hold) link;
	struct daxmr_export *exp; /* borrowed: exports outlive connections */
	uint32_t export_id;
	uint64_t gen;
	enum daxmr_proto_access access;
	enum daxmr_hold_state state;
	uint64_t revoke_req_id; /* REVOKE_SENT: the REVOKE's request id */
};

TAILQ_HEAD(daxmr_hold_list, daxmr_hold);

/*
 * The descriptors of one connection. Embedded in the connection (its fields are hold.c's; read
 * them freely): set it up with daxmr_hold_set_init.
 */
struct daxmr_hold_set {
	struct daxmr_hold_list list;	  /* owned: the descriptors */
	size_t n;			  /* in the list */
	unsigned int revokes_unacked;	  /* REVOKE_SENT descriptors whose ack receive is posted */
	struct daxmr_window_set *windows; /* borrowed: the connection's windows (the keys) */
	/* a holder is done with generation gen of exp's REVOKE (ack, CLOSE, disconnect) */
	void (*ack)(void *arg, struct daxmr_export *exp, uint64_t gen);
	void *ack_arg; /* borrowed: passed to ack */
};

/* An empty set whose keys are windows' windows; acks go to ack(ack_arg, ...), not NULL. */
void daxmr_hold_set_init(struct daxmr_hold_set *hs, struct daxmr_window_set *windows,
			 void (*ack)(void *arg, struct daxmr_export *exp, uint64_t gen),
			 void *ack_arg);

/* The descriptor of export export_id, or NULL. */
struct daxmr_hold *daxmr_hold_find(struct daxmr_hold_set *hs, uint32_t export_id);

/*
 * Records an OPEN's descriptor desc of exp (new, re-opened, or of a new generation: the old
 * generation's keys are invalidated); HELD. w (may be NULL): the window whose key desc carries,
 * attached to the descriptor (its window of the same access goes). A ro re-OPEN of the same
 * generation keeps the rw access. A REVOKE awaiting its ack no longer matters. Returns 0 or
 * -ENOMEM (nothing recorded).
 */
int daxmr_hold_record(struct daxmr_hold_set *hs, struct daxmr_export *exp,
		      const struct daxmr_proto_desc *desc, struct daxmr_window *w);

/* A REVOKE with request id req_id is going out for h (HELD): REVOKE_SENT. */
void daxmr_hold_revoke_sent(struct daxmr_hold_set *hs, struct daxmr_hold *h, uint64_t req_id);

/* The REVOKE for h could not be sent (the connection is going down): HELD again. */
void daxmr_hold_revoke_unsent(struct daxmr_hold_set *hs, struct daxmr_hold *h);

/*
 * h's REVOKE_ACK (h is REVOKE_SENT): REVOKED, its keys invalidated; the ack is reported once the
 * last invalidation completes (at once if none is in flight).
 */
void daxmr_hold_ack(struct daxmr_hold_set *hs, struct daxmr_hold *h);

/* CLOSE, or the connection's end: h goes, its keys invalidated; REVOKE_SENT counts as acked. */
void daxmr_hold_drop(struct daxmr_hold_set *hs, struct daxmr_hold *h);

/* Every descriptor goes (daxmr_hold_drop each). */
void daxmr_hold_drop_all(struct daxmr_hold_set *hs);

/* The connection is gone: every REVOKE_SENT descriptor is REVOKED and its ack reported. */
void daxmr_hold_disconnected(struct daxmr_hold_set *hs);

/*
 * Export export_id is back as generation gen: drops this connection's revoked (or still unacked)
 * descriptor of an older generation, whose holder is then told AVAILABLE. Returns 0 if one was
 * dropped, -ENOENT if there is none (nothing held, held, or already of generation gen).
 */
int daxmr_hold_drop_revoked(struct daxmr_hold_set *hs, uint32_t export_id, uint64_t gen);

#endif /* DAXMR_HOLD_H */
