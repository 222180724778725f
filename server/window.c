/* SPDX-License-Identifier: BSD-3-Clause */
/* window.c -- one connection's type-2 memory windows: per-client keys over the exports' MRs */

/*
 * Keys (docs/architecture.md, "Per-connection keys"): where the device binds type-2 memory
 * windows, each OPEN gets a window bound on the connection's QP over the export's MR, and the
 * reply waits for the bind's completion. A window (one slot of the set):
 *
 *   FREE --OPEN: alloc (daxmr_window_queue)--> QUEUED --the QP's send queue idle: post
 *         BIND_MW (daxmr_window_post_bind)--> BINDING
 *   QUEUED --revoked or fenced meanwhile, connection closing--> released: FREE
 *   BINDING --completion--> BOUND, no owner --the OPEN's last segment bound, still current: OPEN
 *         reply (daxmr_window_attach: the whole group)--> BOUND (to a hold)
 *   BINDING, BOUND with no owner --completion failed, revoked meanwhile, connection closing,
 *         its OPEN answered without it (dropped)--> released: FREE
 *
 * An OPEN of an export of several segments (at most DAXMR_EXPORT_MW_SEGS_MAX) gets a window per
 * segment, one group: queued together, bound one after the other, attached, cut and released
 * together.
 *   BOUND --REVOKE_ACK / CLOSE / re-OPEN / new generation (daxmr_window_cut): post
 *         LOCAL_INV--> INVALIDATING --completion--> deallocated, FREE (a REVOKE_ACK or CLOSE
 *         under revocation is reported to the server only now: the ack rides the last one)
 *   any --disconnect (daxmr_window_drop_all), or the export's release (daxmr_window_fence)-->
 *         deallocated at once; a slot with a WR still out stays BINDING/INVALIDATING until its
 *         completion frees it.
 *
 * Without windows (or when alloc or post fails) the OPEN gets the export's MR key at once.
 * At most one WR per window is out at a time, so the QP's send queue has room for one per slot.
 *
 * Why QUEUED: on a retransmission rxe (7.3) rewinds its requester to the oldest work request not
 * completed and walks forward, executing again a BIND_MW that was posted behind an unacknowledged
 * SEND; the window is bound already, the second bind fails (IB_WC_MW_BIND_ERR) and the QP dies
 * (docs/reliability.md, "Known problems found across the link"). So a bind is posted only when
 * nothing else of the QP is outstanding; the caller knows its sends and says when (the slots,
 * DAXMR_WINDOW_SLOTS, bound the queue; the oldest OPEN is served first). LOCAL_INV needs no such
 * care: rxe fences it behind every earlier work request.
 */
#include "window.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "wrid.h"

const char *daxmr_window_state_str(enum daxmr_window_state state)
{
	switch (state) {
	case DAXMR_WINDOW_FREE:
		return "free";
	case DAXMR_WINDOW_QUEUED:
		return "queued";
	case DAXMR_WINDOW_BINDING:
		return "binding";
	case DAXMR_WINDOW_BOUND:
		return "bound";
	case DAXMR_WINDOW_INVALIDATING:
		return "invalidating";
	}
	return "unknown";
}

/* Sets the set up for a connection's QP. */
void daxmr_window_set_init(struct daxmr_window_set *ws, struct ibv_pd *pd, struct ibv_qp *qp,
			   uint32_t wr_kind, const char *peer, const char *client,
			   void (*ack)(void *arg, struct daxmr_export *exp, uint64_t gen),
			   void *ack_arg)
{
	memset(ws, 0, sizeof(*ws));
	ws->pd = pd;
	ws->qp = qp;
	ws->wr_kind = wr_kind;
	ws->peer = peer;
	ws->client = client;
	ws->ack = ack;
	ws->ack_arg = ack_arg;
}

/* The slot of a completion, or NULL. */
struct daxmr_window *daxmr_window_at(struct daxmr_window_set *ws, uint32_t slot)
{
	return slot < DAXMR_WINDOW_SLOTS ? &ws->slot[slot] : NULL;
}

/* The BOUND window of owner with access for a segment. */
struct daxmr_window *daxmr_window_find(struct daxmr_window_set *ws, const void *owner,
				       enum daxmr_proto_access access, uint32_t seg)
{
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++)
		if (ws->slot[i].state == DAXMR_WINDOW_BOUND && ws->slot[i].owner == owner &&
		    owner && ws->slot[i].access == access && ws->slot[i].seg == seg)
			return &ws->slot[i];
	return NULL;
}

/* Whether slot i is a window of w's group. */
static bool window_in_group(const struct daxmr_window_set *ws, unsigned int i,
			    const struct daxmr_window *w)
{
	return ws->slot[i].state != DAXMR_WINDOW_FREE && ws->slot[i].group == w->group;
}

/* The window of a segment in w's group. */
struct daxmr_window *daxmr_window_group_seg(struct daxmr_window_set *ws,
					    const struct daxmr_window *w, uint32_t seg)
{
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++)
		if (window_in_group(ws, i, w) && ws->slot[i].seg == seg)
			return &ws->slot[i];
	return NULL;
}

/* Windows of w's group its OPEN still waits for. */
unsigned int daxmr_window_group_pending(const struct daxmr_window_set *ws,
					const struct daxmr_window *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++)
		if (window_in_group(ws, i, w) && (ws->slot[i].state == DAXMR_WINDOW_QUEUED ||
						  ws->slot[i].state == DAXMR_WINDOW_BINDING))
			n++;
	return n;
}

/* OPENs waiting for their windows: one segment-0 window each. */
unsigned int daxmr_window_opens_pending(const struct daxmr_window_set *ws)
{
	const struct daxmr_window *w;
	unsigned int i, n = 0;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++) {
		w = &ws->slot[i];
		if (w->seg == 0 && (w->state == DAXMR_WINDOW_QUEUED ||
				    (w->state == DAXMR_WINDOW_BINDING && !w->dropped) ||
				    (w->state == DAXMR_WINDOW_BOUND && !w->owner)))
			n++;
	}
	return n;
}

/* Deallocates a window now: from here its rkey is dead. The slot keeps its state. */
static void window_dealloc(struct daxmr_window_set *ws, struct daxmr_window *w)
{
	int ret;

	if (!w->mw)
		return;
	ret = -ibv_dealloc_mw(w->mw);
	if (ret)
		DAXMR_LOG_CALL_ERR("ibv_dealloc_mw", ret, "connection %s, rkey 0x%x", ws->peer,
				   w->rkey);
	w->mw = NULL;
}

/* Deallocates the window and frees its slot. */
void daxmr_window_release(struct daxmr_window_set *ws, struct daxmr_window *w)
{
	if (w->state == DAXMR_WINDOW_QUEUED)
		ws->nbinding--; /* its OPEN will not become a descriptor */
	window_dealloc(ws, w);
	memset(w, 0, sizeof(*w));
}

/* The wr_id of w's work requests. */
static uint64_t window_wrid(const struct daxmr_window_set *ws, const struct daxmr_window *w)
{
	return daxmr_wrid(ws->wr_kind, (uint32_t)(w - ws->slot));
}

/* Allocates a window per segment for an OPEN: QUEUED, one group. */
int daxmr_window_queue(struct daxmr_window_set *ws, struct daxmr_export *exp, uint64_t req_id,
		       const struct daxmr_proto_desc *desc, uint32_t nseg,
		       struct daxmr_window **w_ptr)
{
	struct daxmr_window *w[DAXMR_EXPORT_MW_SEGS_MAX];
	char why[96];
	unsigned int i, n = 0;
	int ret;

	if (nseg < 1 || nseg > DAXMR_EXPORT_MW_SEGS_MAX)
		return -EINVAL;
	for (i = 0; i < DAXMR_WINDOW_SLOTS && n < nseg; i++)
		if (ws->slot[i].state == DAXMR_WINDOW_FREE)
			w[n++] = &ws->slot[i];
	if (n < nseg)
		return -ENOBUFS;
	ws->next_group++;
	for (i = 0; i < nseg; i++) {
		w[i]->mw = ibv_alloc_mw(ws->pd, IBV_MW_TYPE_2);
		if (!w[i]->mw) {
			ret = errno ? -errno : -ENOMEM;
			DAXMR_LOG_CALL_ERR("ibv_alloc_mw", ret,
					   "connection %s, type 2, export %s segment %u", ws->peer,
					   daxmr_export_name(exp), i);
			snprintf(why, sizeof(why), "ibv_alloc_mw failed: %s",
				 daxmr_log_strerror(ret));
			daxmr_export_window_failed(exp, why);
			while (i-- > 0)
				daxmr_window_release(ws, w[i]);
			return ret;
		}
		w[i]->rkey = ibv_inc_rkey(w[i]->mw->rkey);
		w[i]->state = DAXMR_WINDOW_QUEUED;
		w[i]->exp = exp;
		w[i]->gen = desc->generation;
		w[i]->access = desc->access;
		w[i]->req_id = req_id;
		w[i]->seq = ws->next_seq++;
		w[i]->group = ws->next_group;
		w[i]->seg = i;
		ws->nbinding++;
	}
	*w_ptr = w[0];
	return 0;
}

/* The OPEN gets none of its group's windows. */
void daxmr_window_release_group(struct daxmr_window_set *ws, struct daxmr_window *w)
{
	const struct daxmr_window g = *w; /* w itself is among those released */
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++) {
		if (!window_in_group(ws, i, &g))
			continue;
		if (ws->slot[i].state == DAXMR_WINDOW_BINDING)
			ws->slot[i].dropped = true;
		else if (ws->slot[i].state != DAXMR_WINDOW_INVALIDATING)
			daxmr_window_release(ws, &ws->slot[i]);
	}
}

/* The oldest QUEUED window. */
struct daxmr_window *daxmr_window_next_queued(struct daxmr_window_set *ws)
{
	struct daxmr_window *w = NULL;
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++)
		if (ws->slot[i].state == DAXMR_WINDOW_QUEUED && (!w || ws->slot[i].seq < w->seq))
			w = &ws->slot[i];
	return w;
}

/* Posts a QUEUED window's bind: BINDING. */
int daxmr_window_post_bind(struct daxmr_window_set *ws, struct daxmr_window *w,
			   const struct ibv_mw_bind_info *bind)
{
	struct ibv_send_wr wr, *bad = NULL;
	char why[96];
	int ret;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = window_wrid(ws, w);
	wr.opcode = IBV_WR_BIND_MW;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.bind_mw.mw = w->mw;
	wr.bind_mw.rkey = w->rkey;
	wr.bind_mw.bind_info = *bind;
	ret = -ibv_post_send(ws->qp, &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_send", ret, "connection %s, BIND_MW for export %s",
				   ws->peer, daxmr_export_name(w->exp));
		snprintf(why, sizeof(why), "posting BIND_MW failed: %s", daxmr_log_strerror(ret));
		daxmr_export_window_failed(w->exp, why);
		daxmr_window_release(ws, w);
		return ret;
	}
	w->state = DAXMR_WINDOW_BINDING;
	return 0;
}

/* Whether no BIND_MW or LOCAL_INV of the set is out. */
bool daxmr_window_is_idle(const struct daxmr_window_set *ws)
{
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++)
		if (ws->slot[i].state == DAXMR_WINDOW_BINDING ||
		    ws->slot[i].state == DAXMR_WINDOW_INVALIDATING)
			return false;
	return true;
}

/*
 * Posts LOCAL_INV of a BOUND window (its completion deallocates it); deallocates it at once when
 * the connection is going down or the post fails. Returns 0 if a completion will follow, else
 * -ENOTCONN (going down) or the -errno of ibv_post_send (logged).
 */
static int window_invalidate(struct daxmr_window_set *ws, struct daxmr_window *w)
{
	struct ibv_send_wr wr, *bad = NULL;
	int ret = -ENOTCONN;

	w->owner = NULL;
	if (w->mw && !ws->closed) {
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = window_wrid(ws, w);
		wr.opcode = IBV_WR_LOCAL_INV;
		wr.send_flags = IBV_SEND_SIGNALED;
		wr.invalidate_rkey = w->rkey;
		ret = -ibv_post_send(ws->qp, &wr, &bad);
		if (ret == 0) {
			w->state = DAXMR_WINDOW_INVALIDATING;
			w->ack = false;
			return 0;
		}
		DAXMR_LOG_CALL_ERR("ibv_post_send", ret,
				   "connection %s, LOCAL_INV of rkey 0x%x: deallocating it",
				   ws->peer, w->rkey);
	}
	daxmr_window_release(ws, w);
	return ret;
}

/* w's group becomes owner's keys; owner's other keys of the same access go. */
void daxmr_window_attach(struct daxmr_window_set *ws, struct daxmr_window *w, const void *owner)
{
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++) {
		if (window_in_group(ws, i, w)) {
			ws->slot[i].state = DAXMR_WINDOW_BOUND;
			ws->slot[i].owner = owner;
		} else if (ws->slot[i].state == DAXMR_WINDOW_BOUND && ws->slot[i].owner == owner &&
			   ws->slot[i].access == w->access) {
			(void)window_invalidate(ws, &ws->slot[i]);
		}
	}
}

/* Invalidates owner's keys; the ack, if any, rides the last invalidation. */
void daxmr_window_cut(struct daxmr_window_set *ws, const void *owner, bool ack,
		      struct daxmr_export *exp, uint64_t gen)
{
	struct daxmr_window *last = NULL;
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++)
		if (ws->slot[i].state == DAXMR_WINDOW_BOUND && ws->slot[i].owner == owner &&
		    window_invalidate(ws, &ws->slot[i]) == 0)
			last = &ws->slot[i];
	if (!ack)
		return;
	if (!last) {
		ws->ack(ws->ack_arg, exp, gen); /* no invalidation in flight: done now */
		return;
	}
	/* completions of one send queue come in order: the last one means all are done */
	last->ack = true;
	last->exp = exp;
	last->gen = gen;
}

/* A BIND_MW or LOCAL_INV completed. */
int daxmr_window_complete(struct daxmr_window_set *ws, struct daxmr_window *w,
			  enum ibv_wc_status status)
{
	struct daxmr_export *exp = w->exp;
	uint64_t gen = w->gen;
	bool ack = w->ack;

	if (w->state == DAXMR_WINDOW_BINDING) {
		ws->nbinding--;
		if (status == IBV_WC_SUCCESS)
			w->state = DAXMR_WINDOW_BOUND; /* no owner until its OPEN is answered */
		return 0; /* the caller answers the OPEN, whatever status says */
	}
	if (w->state != DAXMR_WINDOW_INVALIDATING) {
		DAXMR_LOG_ERR("connection %s: window completion for a slot in state %s", ws->peer,
			      daxmr_window_state_str(w->state));
		return -EINVAL;
	}
	daxmr_window_release(ws, w); /* invalidated, or the QP failed: dealloc ends it either way */
	if (ack)
		ws->ack(ws->ack_arg, exp, gen);
	return status == IBV_WC_SUCCESS ? 0 : -EIO;
}

/* Cuts the client off every window at once. */
void daxmr_window_drop_all(struct daxmr_window_set *ws, bool report)
{
	struct daxmr_window *w;
	unsigned int i;

	ws->closed = true;
	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++) {
		w = &ws->slot[i];
		if (w->state == DAXMR_WINDOW_FREE)
			continue;
		if (w->state == DAXMR_WINDOW_BOUND || w->state == DAXMR_WINDOW_QUEUED) {
			daxmr_window_release(ws, w); /* no WR out */
			continue;
		}
		window_dealloc(ws, w);
		if (report && w->ack) {
			w->ack = false;
			ws->ack(ws->ack_arg, w->exp, w->gen);
		}
	}
}

/* exp is about to be deregistered: every window over it goes now. */
void daxmr_window_fence(struct daxmr_window_set *ws, const struct daxmr_export *exp)
{
	struct daxmr_window *w;
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++) {
		w = &ws->slot[i];
		if (w->state == DAXMR_WINDOW_FREE || w->exp != exp)
			continue;
		if (w->mw)
			DAXMR_LOG_INF(
				"connection %s (%s): window 0x%x of export %s generation %" PRIu64
				" deallocated at the release",
				ws->peer, ws->client, w->rkey, daxmr_export_name(exp), w->gen);
		w->ack = false; /* the revocation is finishing: its acks no longer matter */
		if (w->state == DAXMR_WINDOW_BOUND || w->state == DAXMR_WINDOW_QUEUED)
			daxmr_window_release(ws, w);
		else
			window_dealloc(ws, w);
	}
}

/* Windows not yet deallocated. */
size_t daxmr_window_count(const struct daxmr_window_set *ws)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++)
		if (ws->slot[i].mw)
			n++;
	return n;
}
