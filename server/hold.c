/* SPDX-License-Identifier: BSD-3-Clause */
/* hold.c -- one connection's descriptors: one per export, held, being revoked, revoked */

/*
 * Descriptors (holds) of a connection, one per export:
 *
 *   (none) --OPEN (daxmr_hold_record)--> HELD --REVOKE sent--> REVOKE_SENT
 *   REVOKE_SENT --REVOKE_ACK (daxmr_hold_ack)--> REVOKED --AVAILABLE sent
 *         (daxmr_hold_drop_revoked)--> (gone)
 *   CLOSE in any state removes it (daxmr_hold_drop; it counts as the ack in REVOKE_SENT); a
 *   disconnect counts as the ack too. REVOKE_SENT past the deadline stays until AVAILABLE or
 *   CLOSE. An OPEN of the export once it is back makes any of them HELD again.
 *
 * Each descriptor's keys are windows of the connection (window.c) owned by it; an ack is
 * reported only once those are invalidated, so that the export's release never comes first.
 */
#include "hold.h"

#include <errno.h>
#include <stdlib.h>

/* An empty set. */
void daxmr_hold_set_init(struct daxmr_hold_set *hs, struct daxmr_window_set *windows,
			 void (*ack)(void *arg, struct daxmr_export *exp, uint64_t gen),
			 void *ack_arg)
{
	TAILQ_INIT(&hs->list);
	hs->n = 0;
	hs->revokes_unacked = 0;
	hs->windows = windows;
	hs->ack = ack;
	hs->ack_arg = ack_arg;
}

/* The descriptor of an export. */
struct daxmr_hold *daxmr_hold_find(struct daxmr_hold_set *hs, uint32_t export_id)
{
	struct daxmr_hold *h;

	TAILQ_FOREACH(h, &hs->list, link)
		if (h->export_id == export_id)
			return h;
	return NULL;
}

/*
 * The per-client cut-off of one descriptor: invalidates its windows. ack: the revoke ack is
 * reported once the last invalidation completes (now if none is in flight).
 */
static void hold_cut(struct daxmr_hold_set *hs, struct daxmr_hold *h, bool ack)
{
	daxmr_window_cut(hs->windows, h, ack, h->exp, h->gen);
}

/* Unlinks and frees h. */
static void hold_remove(struct daxmr_hold_set *hs, struct daxmr_hold *h)
{
	if (h->state == DAXMR_HOLD_REVOKE_SENT)
		hs->revokes_unacked--; /* its receive stays posted; a late ack will use it */
	TAILQ_REMOVE(&hs->list, h, link);
	hs->n--;
	free(h);
}

/* Records an OPEN's descriptor. */
int daxmr_hold_record(struct daxmr_hold_set *hs, struct daxmr_export *exp,
		      const struct daxmr_proto_desc *desc, struct daxmr_window *w)
{
	struct daxmr_hold *h = daxmr_hold_find(hs, desc->export_id);

	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return -ENOMEM;
		h->exp = exp;
		h->export_id = desc->export_id;
		TAILQ_INSERT_TAIL(&hs->list, h, link);
		hs->n++;
	} else if (h->state == DAXMR_HOLD_REVOKE_SENT) {
		/* the export is AVAILABLE again: the old REVOKE's ack will never matter */
		hs->revokes_unacked--;
	}
	if (h->gen != desc->generation)
		hold_cut(hs, h, false); /* an old generation's keys */
	if (w)
		daxmr_window_attach(hs->windows, w, h);
	if (h->state != DAXMR_HOLD_HELD || h->gen != desc->generation ||
	    desc->access == DAXMR_PROTO_ACCESS_RW)
		h->access = desc->access; /* a ro re-OPEN leaves an earlier rw key valid */
	h->gen = desc->generation;
	h->state = DAXMR_HOLD_HELD;
	return 0;
}

/* A REVOKE is going out for h. */
void daxmr_hold_revoke_sent(struct daxmr_hold_set *hs, struct daxmr_hold *h, uint64_t req_id)
{
	h->state = DAXMR_HOLD_REVOKE_SENT;
	h->revoke_req_id = req_id;
	hs->revokes_unacked++;
}

/* The REVOKE could not be sent. */
void daxmr_hold_revoke_unsent(struct daxmr_hold_set *hs, struct daxmr_hold *h)
{
	h->state = DAXMR_HOLD_HELD;
	hs->revokes_unacked--;
}

/* h's REVOKE_ACK. */
void daxmr_hold_ack(struct daxmr_hold_set *hs, struct daxmr_hold *h)
{
	h->state = DAXMR_HOLD_REVOKED;
	hs->revokes_unacked--;
	/* the release must not come before this client's windows are invalidated */
	hold_cut(hs, h, true);
}

/* Removes and frees a descriptor; one awaiting its ack counts as acked. */
void daxmr_hold_drop(struct daxmr_hold_set *hs, struct daxmr_hold *h)
{
	if (h->state == DAXMR_HOLD_REVOKE_SENT) {
		hs->revokes_unacked--;
		h->state = DAXMR_HOLD_REVOKED; /* counted as acked: its ack goes with the keys */
		hold_cut(hs, h, true);
	} else {
		hold_cut(hs, h, false);
	}
	hold_remove(hs, h);
}

/* Every descriptor goes. */
void daxmr_hold_drop_all(struct daxmr_hold_set *hs)
{
	struct daxmr_hold *h;

	/* each hold is unlinked before it is freed; the analyzer loses track in TAILQ_REMOVE */
	while ((h = TAILQ_FIRST(&hs->list)) != NULL)
		daxmr_hold_drop(hs, h); /* NOLINT(clang-analyzer-unix.Malloc) */
}

/* The connection is gone: the REVOKEs in flight are answered. */
void daxmr_hold_disconnected(struct daxmr_hold_set *hs)
{
	struct daxmr_hold *h;

	TAILQ_FOREACH(h, &hs->list, link)
		if (h->state == DAXMR_HOLD_REVOKE_SENT) {
			h->state = DAXMR_HOLD_REVOKED;
			hs->revokes_unacked--;
			hs->ack(hs->ack_arg, h->exp, h->gen);
		}
}

/* exp is back as generation gen: the revoked descriptor of an older one goes. */
int daxmr_hold_drop_revoked(struct daxmr_hold_set *hs, uint32_t export_id, uint64_t gen)
{
	struct daxmr_hold *h = daxmr_hold_find(hs, export_id);

	if (!h || h->state == DAXMR_HOLD_HELD || h->gen == gen)
		return -ENOENT;
	hold_cut(hs, h, false); /* normally fenced already, at the release */
	hold_remove(hs, h);
	return 0;
}
