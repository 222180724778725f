/* SPDX-License-Identifier: BSD-3-Clause */
/* client.c -- libdaxmr: one connection to daxmrd: its state machine, requests, transfers */

/*
 * Connection states (enum daxmr_client_state):
 *
 *   INIT --daxmr_cm_resolve_addr--> ADDR_RESOLVING --ADDR_RESOLVED, daxmr_cm_resolve_route-->
 *   ROUTE_RESOLVING --ROUTE_RESOLVED, PD/CQ/QP, receives, rdma_connect--> CONNECTING
 *   CONNECTING --ESTABLISHED + valid accept data, HELLO sent--> HELLO
 *   HELLO --reply without the AUTH flag (and no secret given)--> READY
 *   HELLO --reply with the AUTH flag, a secret given: AUTH sent--> AUTH
 *   AUTH --OK reply whose server proof verifies--> READY
 *   any of these --REJECTED / UNREACHABLE / a refusal / a failed proof / timeout--> (connect
 *   fails, client freed)
 *
 *   READY --DISCONNECTED, a failed completion, a protocol violation, a reply timeout--> DEAD
 *   READY / DEAD --daxmr_client_disconnect--> CLOSED (freed)
 *
 * HELLO, AUTH and READY carry requests. In DEAD the QP is unusable: every request and transfer
 * fails with -ENOTCONN; each region still open is revoked (on_revoke, reason CONNECTION_LOST: its
 * keys are gone with the connection), then on_disconnect is delivered once. Requests are
 * synchronous, at most one outstanding, except asynchronous FLUSHes (daxmr_region_flush_async),
 * which may use all but one of the server's credits (the last stays for a synchronous request),
 * their replies reported as completions by the ops ring; so the server's credits are always
 * respected; the receive accounting of docs/protocol.md is in credit.c. The rdma_cm side is
 * cm.c, the verbs resources qp.c, the queue of callbacks events.c, HELLO and AUTH handshake.c,
 * LIST list.c; each open export's revocation state is its region's (region.c).
 */
#include "client.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "auth.h"
#include "clock.h"
#include "cm.h"
#include "credit.h"
#include "events.h"
#include "handshake.h"
#include "log.h"
#include "mem.h"
#include "ops.h"
#include "proto.h"
#include "qp.h"
#include "region.h"
#include "status.h"

#define CLIENT_QUEUE_DEPTH_MAX 4096u
#define CLIENT_WR_BYTES_MIN 4096u
#define CLIENT_WR_BYTES_MAX (1u << 30)
#define CLIENT_RECONNECT_BACKOFF_MS 200 /* between failed reconnect attempts */

enum daxmr_client_state {
	DAXMR_CLIENT_INIT = 0,
	DAXMR_CLIENT_ADDR_RESOLVING,
	DAXMR_CLIENT_ROUTE_RESOLVING,
	DAXMR_CLIENT_CONNECTING,
	DAXMR_CLIENT_HELLO,
	DAXMR_CLIENT_AUTH,
	DAXMR_CLIENT_READY,
	DAXMR_CLIENT_DEAD,
	DAXMR_CLIENT_CLOSED,
};

/* A REVOKE_ACK waiting for a free send slot. */
struct client_ack {
	TAILQ_ENTRY(client_ack) entry;
	uint32_t export_id;
	uint64_t generation;
	uint64_t request_id;
};

/* The one request in flight. */
struct client_pending {
	bool active;
	bool done;
	uint64_t request_id;
	enum daxmr_proto_opcode opcode;
	struct daxmr_proto_msg *reply; /* borrowed: the waiting caller's */
	struct daxmr_region *opening;  /* borrowed: OPEN only, attached when the reply is OK */
};

struct daxmr_client {
	enum daxmr_client_state state;
	int dead_err;		     /* DEAD: why (negative errno) */
	struct daxmr_cm *cm;	     /* owned: event channel and id */
	struct daxmr_qp *qp;	     /* owned: PD, CQ, QP, buffers */
	struct daxmr_events *events; /* owned: what daxmr_client_process delivers */
	const char *peer;	     /* borrowed: the cm's "host:port" (addr before) */
	char *addr;		     /* owned: connect's addr, for a reconnect */
	bool auth;		     /* opts.secret_file was given: key holds its key */
	struct daxmr_auth_key key;
	char identity[DAXMR_PROTO_NAME_MAX + 1]; /* opts.identity, "": anonymous */

	uint16_t version;
	struct daxmr_credit credit;
	uint64_t next_request_id;
	struct client_pending pending;
	bool rdma_active;			/* the copying path is running */
	struct daxmr_ops *ops;			/* owned: every RDMA operation's work requests */
	const struct daxmr_region *draining;	/* borrowed: close waits for its operations */
	char last_reason[DAXMR_REASON_MAX + 1]; /* the server's words on the last refusal */

	int epoll_fd; /* owned: daxmr_client_fd */
	bool in_process;
	int64_t last_heard_ms; /* the last successful completion: the peer's QP answered */
	bool reconnect_armed;  /* a transfer may reconnect: its death is not reported yet */
	bool loss_pending;     /* ... and it died: client_report_loss is due */

	struct daxmr_client_opts opts;
	char name[DAXMR_NAME_MAX + 1];
	char server_name[DAXMR_NAME_MAX + 1];

	struct daxmr_region_list regions; /* the regions are the caller's; the list is ours */
	struct daxmr_mem_list mems;	  /* the mems are the caller's; the list is ours */
	TAILQ_HEAD(, client_ack) acks;	  /* owned */
};

static int client_drain_cq(struct daxmr_client *client);
static int client_establish(struct daxmr_client *client, const char *addr, int64_t deadline);
static int client_hello(struct daxmr_client *client);

/* Whether the connection carries requests: HELLO, AUTH or READY. */
static bool client_is_live(const struct daxmr_client *client)
{
	return client->state == DAXMR_CLIENT_HELLO || client->state == DAXMR_CLIENT_AUTH ||
	       client->state == DAXMR_CLIENT_READY;
}

/* What stops the connection from carrying requests: 0 while nothing does. */
int daxmr_client_error(const struct daxmr_client *client)
{
	return client_is_live(client) ? 0 : -ENOTCONN;
}

/* The server's "host:port". */
const char *daxmr_client_peer(const struct daxmr_client *client)
{
	return client->peer;
}

/* Whether revoked regions stay usable (opts.use_revoked, fault tests only). */
bool daxmr_client_uses_revoked(const struct daxmr_client *client)
{
	return client->opts.use_revoked != 0;
}

/*
 * The connection died: every region still open loses its descriptor (the server forgets a
 * connection's descriptors with it, and a new connection is a new holder), so each is revoked
 * and told so (on_revoke, DAXMR_REVOKE_CONNECTION_LOST). Nothing is acknowledged: no ACK can
 * be sent on a dead connection, and none is needed.
 */
static void client_revoke_open(struct daxmr_client *client)
{
	struct daxmr_revoke_info info = { .reason = DAXMR_REVOKE_CONNECTION_LOST };
	struct daxmr_region *region;

	for (region = daxmr_region_next(&client->regions, NULL); region;
	     region = daxmr_region_next(&client->regions, region)) {
		if (daxmr_region_state(region) != DAXMR_REGION_OPEN)
			continue; /* already revoked: its callback was queued then */
		info.export_id = daxmr_region_desc(region)->export_id;
		info.generation = daxmr_region_desc(region)->generation;
		info.name = daxmr_region_name(region);
		daxmr_region_revoke(region, 0);
		/* out of memory: the region still fails -ENOTCONN, only the callback is lost */
		(void)daxmr_events_push_revoke(client->events, region, &info);
	}
}

/* The connection is gone for good: on_revoke for the open regions, then on_disconnect. */
static void client_report_loss(struct daxmr_client *client, int err)
{
	client_revoke_open(client);
	/* out of memory: no callback, but daxmr_client_process still reports -ENOTCONN */
	(void)daxmr_events_push_disconnect(client->events, err);
}

/* Makes the connection DEAD (once): tells the server, queues on_revoke and on_disconnect. */
static void client_fail(struct daxmr_client *client, int err, const char *why)
{
	if (client->state == DAXMR_CLIENT_DEAD || client->state == DAXMR_CLIENT_CLOSED)
		return;
	if (client->state != DAXMR_CLIENT_READY) {
		/* still connecting: the caller of connect gets err */
		client->state = DAXMR_CLIENT_DEAD;
		client->dead_err = err;
		return;
	}
	DAXMR_LOG_ERR("connection to %s lost: %s (%s)", client->peer, why, daxmr_log_strerror(err));
	client->state = DAXMR_CLIENT_DEAD;
	client->dead_err = err;
	/* before any operation is reported failed, nothing posted may touch memory any more */
	daxmr_qp_set_error(client->qp);
	daxmr_cm_disconnect(client->cm);
	if (client->ops)
		daxmr_ops_fail_all(client->ops, -ENOTCONN);
	if (client->reconnect_armed) {
		client->loss_pending = true; /* the transfer reconnects, or reports it */
		return;
	}
	client_report_loss(client, err);
}

/* Sends the REVOKE_ACKs that have a free slot; the rest wait for send completions. */
static void client_flush_acks(struct daxmr_client *client)
{
	struct client_ack *ack;
	struct daxmr_proto_msg msg;
	int ret;

	while (client->state == DAXMR_CLIENT_READY && !TAILQ_EMPTY(&client->acks)) {
		/* each ack is unlinked before it is freed; the analyzer loses track in TAILQ_REMOVE
		 */
		ack = TAILQ_FIRST(&client->acks);
		memset(&msg, 0, sizeof(msg));
		msg.hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK;
		msg.hdr.status = DAXMR_PROTO_STATUS_OK;
		msg.hdr.request_id = ack->request_id; /* NOLINT(clang-analyzer-unix.Malloc) */
		msg.revoke_ack.export_id = ack->export_id;
		msg.revoke_ack.generation = ack->generation;
		ret = daxmr_qp_post_msg(client->qp, &msg, client->version);
		if (ret == -EAGAIN)
			return;
		if (ret) {
			client_fail(client, ret, "cannot send REVOKE_ACK");
			return;
		}
		DAXMR_LOG_INF("REVOKE_ACK export %u generation %llu sent", ack->export_id,
			      (unsigned long long)ack->generation);
		TAILQ_REMOVE(&client->acks, ack, entry);
		free(ack);
	}
}

/* Queues a REVOKE_ACK (unless the caller asked never to acknowledge). */
static void client_ack_queue(struct daxmr_client *client, uint32_t export_id, uint64_t generation,
			     uint64_t request_id)
{
	struct client_ack *ack;

	if (!client->opts.ack_revoke) {
		DAXMR_LOG_NTC(
			"not acknowledging REVOKE of export %u generation %llu (ack_revoke off)",
			export_id, (unsigned long long)generation);
		return;
	}
	ack = calloc(1, sizeof(*ack));
	if (!ack) {
		client_fail(client, -ENOMEM, "cannot queue REVOKE_ACK");
		return;
	}
	ack->export_id = export_id;
	ack->generation = generation;
	ack->request_id = request_id;
	TAILQ_INSERT_TAIL(&client->acks, ack, entry);
}

/*
 * The region's last operation ended: the ACK it kept for a REVOKE is due now, unless another
 * region of the same descriptor still has operations in flight (the ACK names the descriptor,
 * not the region: that region's last operation sends it; found by fuzz_client).
 */
void daxmr_client_region_idle(struct daxmr_client *client, struct daxmr_region *region)
{
	const struct daxmr_desc *desc = daxmr_region_desc(region);
	struct daxmr_region *other;
	uint64_t request_id;

	if (!daxmr_region_has_ack_due(region))
		return;
	request_id = daxmr_region_ack_take(region);
	for (other = daxmr_region_next(&client->regions, NULL); other;
	     other = daxmr_region_next(&client->regions, other))
		/* REVOKING, or RELEASED by an AVAILABLE while its operations still run */
		if (other != region && daxmr_region_keeps_ack(other) && daxmr_region_busy(other) &&
		    daxmr_region_desc(other)->export_id == desc->export_id &&
		    daxmr_region_desc(other)->generation == desc->generation)
			return;
	client_ack_queue(client, desc->export_id, desc->generation, request_id);
}

/* REVOKE: the matching open regions are revoked; ACK now, or once their transfer ends. */
static void client_on_revoke(struct daxmr_client *client, const struct daxmr_proto_msg *msg)
{
	const struct daxmr_proto_revoke *rv = &msg->revoke;
	struct daxmr_revoke_info info = { .export_id = rv->export_id,
					  .generation = rv->generation,
					  .reason = (enum daxmr_revoke_reason)rv->reason,
					  .deadline_ms = rv->deadline_ms };
	struct daxmr_region *region;
	bool kept = false;

	DAXMR_LOG_INF("REVOKE export %u generation %llu reason %d deadline %u ms", rv->export_id,
		      (unsigned long long)rv->generation, (int)rv->reason, rv->deadline_ms);
	for (region = daxmr_region_next(&client->regions, NULL); region;
	     region = daxmr_region_next(&client->regions, region)) {
		/*
		 * a repeated REVOKE of a descriptor already revoked: it was acknowledged, or its
		 * ACK is kept until its transfer ends (acknowledging now would let the server fence
		 * the RDMA still in flight)
		 */
		if (daxmr_region_state(region) != DAXMR_REGION_OPEN &&
		    daxmr_region_desc(region)->export_id == rv->export_id &&
		    daxmr_region_desc(region)->generation == rv->generation)
			kept = true;
		if (!daxmr_region_revoke_matches(region, rv->export_id, rv->generation))
			continue;
		/* what DAXMR_OP_F_MORE queued is not posted any more (found by fuzz_client) */
		daxmr_ops_cancel_region(client->ops, region);
		daxmr_region_revoke(region, msg->hdr.request_id);
		daxmr_credit_on_revoke(&client->credit);
		kept = kept || daxmr_region_state(region) == DAXMR_REGION_REVOKING;
		info.name = daxmr_region_name(region);
		if (daxmr_events_push_revoke(client->events, region, &info)) {
			client_fail(client, -ENOMEM, "cannot queue a revocation");
			return;
		}
	}
	/* no region at all: it crossed our CLOSE; the server ignores an ACK it does not need */
	if (!kept)
		client_ack_queue(client, rv->export_id, rv->generation, msg->hdr.request_id);
}

/* AVAILABLE: revoked regions of the export are released; tell the caller once. */
static void client_on_available(struct daxmr_client *client, const struct daxmr_proto_msg *msg)
{
	const struct daxmr_proto_export_ref *av = &msg->available;
	struct daxmr_region *region;
	const char *name = NULL;

	DAXMR_LOG_INF("AVAILABLE export %u generation %llu", av->export_id,
		      (unsigned long long)av->generation);
	for (region = daxmr_region_next(&client->regions, NULL); region;
	     region = daxmr_region_next(&client->regions, region)) {
		if (!daxmr_region_available_matches(region, av->export_id))
			continue;
		daxmr_region_release(region);
		daxmr_credit_on_available(&client->credit);
		if (!name)
			name = daxmr_region_name(region);
	}
	if (!name)
		DAXMR_LOG_DBG("AVAILABLE for export %u: no revoked region of it", av->export_id);
	else if (daxmr_events_push_available(client->events, av->export_id, name, av->generation))
		client_fail(client, -ENOMEM, "cannot queue an AVAILABLE");
}

/* A reply: it must answer the request in flight. */
static void client_on_reply(struct daxmr_client *client, const struct daxmr_proto_msg *msg)
{
	struct client_pending *p = &client->pending;
	bool open, opened;
	int ret;

	/* an asynchronous FLUSH's reply is its operation's completion */
	if (msg->hdr.opcode == DAXMR_PROTO_OP_FLUSH &&
	    daxmr_ops_msg_end(client->ops, msg->hdr.request_id,
			      daxmr_status_errno(msg->hdr.status))) {
		daxmr_credit_on_reply(&client->credit, false, false);
		if (msg->hdr.status != DAXMR_PROTO_STATUS_OK)
			snprintf(client->last_reason, sizeof(client->last_reason), "%s",
				 msg->reason);
		return;
	}
	if (!p->active || p->done || msg->hdr.request_id != p->request_id ||
	    msg->hdr.opcode != p->opcode) {
		DAXMR_LOG_ERR("%s reply (request %llu) from %s answers nothing we sent",
			      daxmr_proto_opcode_str(msg->hdr.opcode),
			      (unsigned long long)msg->hdr.request_id, client->peer);
		client_fail(client, -EPROTO, "unsolicited reply");
		return;
	}
	open = p->opcode == DAXMR_PROTO_OP_OPEN;
	opened = open && msg->hdr.status == DAXMR_PROTO_STATUS_OK;
	daxmr_credit_on_reply(&client->credit, open, opened);
	if (opened && p->opening) {
		ret = daxmr_region_attach(&client->regions, p->opening, &msg->desc);
		if (ret) {
			DAXMR_LOG_ERR("OPEN %s: server %s sent a descriptor we cannot use "
				      "(length %llu, %u segments of 2^%u bytes, %u keys)",
				      daxmr_region_name(p->opening), client->peer,
				      (unsigned long long)msg->desc.length, msg->desc.nseg,
				      msg->desc.seg_shift, msg->desc.nkeys);
			client_fail(client, ret, "bad descriptor");
			return;
		}
	}
	if (msg->hdr.status != DAXMR_PROTO_STATUS_OK)
		snprintf(client->last_reason, sizeof(client->last_reason), "%s", msg->reason);
	*p->reply = *msg;
	p->done = true;
}

/* One received message: decode, then dispatch by opcode. */
static void client_on_recv(struct daxmr_client *client, const uint8_t *buf, uint32_t byte_len)
{
	struct daxmr_proto_msg *msg;
	int ret;

	msg = malloc(sizeof(*msg));
	if (!msg) {
		client_fail(client, -ENOMEM, "cannot decode a message");
		return;
	}
	ret = daxmr_proto_msg_decode(buf, byte_len, msg);
	if (ret) {
		DAXMR_LOG_ERR("bad message (%u bytes) from %s: %s", byte_len, client->peer,
			      daxmr_log_strerror(ret));
		client_fail(client, ret, "protocol violation");
		goto out;
	}
	if (msg->hdr.opcode == DAXMR_PROTO_OP_ERROR) {
		DAXMR_LOG_ERR("server %s sent ERROR %s%s%s", client->peer,
			      daxmr_proto_status_str(msg->hdr.status), msg->reason[0] ? ": " : "",
			      msg->reason);
		snprintf(client->last_reason, sizeof(client->last_reason), "%s", msg->reason);
		client_fail(client, daxmr_status_errno(msg->hdr.status), "server sent ERROR");
		goto out;
	}
	if (msg->hdr.flags & DAXMR_PROTO_F_REPLY) {
		client_on_reply(client, msg);
		goto out;
	}
	switch (msg->hdr.opcode) {
	case DAXMR_PROTO_OP_REVOKE:
		client_on_revoke(client, msg);
		break;
	case DAXMR_PROTO_OP_AVAILABLE:
		client_on_available(client, msg);
		break;
	default:
		DAXMR_LOG_ERR("server %s sent a %s request: wrong direction", client->peer,
			      daxmr_proto_opcode_str(msg->hdr.opcode));
		client_fail(client, -EPROTO, "protocol violation");
		break;
	}
out:
	free(msg);
}

/* One work completion. */
static void client_on_wc(struct daxmr_client *client, const struct ibv_wc *wc)
{
	const uint8_t *recv;
	enum daxmr_qp_wr kind = daxmr_qp_complete(client->qp, wc, &recv);
	int err;

	if (wc->status == IBV_WC_SUCCESS)
		client->last_heard_ms = daxmr_clock_ms(); /* the peer's QP acknowledged or sent */

	if (kind == DAXMR_QP_WR_OP) {
		err = daxmr_ops_on_wc(client->ops, wc);
		if (!err)
			return; /* success, or a flush after the failure that killed the QP */
		/* the opcode of a failed completion is undefined: the status says it all */
		DAXMR_LOG_ERR("RDMA operation failed on connection %s: %s (vendor error 0x%x)",
			      client->peer, ibv_wc_status_str(wc->status), wc->vendor_err);
		client_fail(client, err, ibv_wc_status_str(wc->status));
		return;
	}
	if (wc->status == IBV_WC_SUCCESS) {
		if (kind == DAXMR_QP_WR_RECV && recv)
			client_on_recv(client, recv, wc->byte_len);
		return; /* a send, an RDMA, or an id we never posted: nothing more to do */
	}
	if (wc->status == IBV_WC_WR_FLUSH_ERR && client->state != DAXMR_CLIENT_READY)
		return; /* the QP is already in error: the rest flushes out */
	DAXMR_LOG_ERR("%s completion failed on connection %s: %s (vendor error 0x%x)",
		      kind == DAXMR_QP_WR_SEND ? "SEND" : "RECV", client->peer,
		      ibv_wc_status_str(wc->status), wc->vendor_err);
	client_fail(client, daxmr_ops_wc_errno(wc->status), ibv_wc_status_str(wc->status));
}

/* Polls the CQ until it is empty, then sends queued ACKs and tops up the receives. */
static int client_drain_cq(struct daxmr_client *client)
{
	struct ibv_wc wc[16];
	int n, i, ret;

	do {
		n = daxmr_qp_poll(client->qp, wc, 16);
		if (n < 0) {
			client_fail(client, n, "cannot poll the CQ");
			return n;
		}
		for (i = 0; i < n; i++)
			client_on_wc(client, &wc[i]);
	} while (n == 16);
	if (!client_is_live(client))
		return 0;
	client_flush_acks(client);
	if (!client_is_live(client))
		return 0;
	ret = daxmr_qp_post_recvs(client->qp, daxmr_credit_recvs_needed(&client->credit));
	if (ret)
		client_fail(client, ret, "cannot post receives");
	return 0;
}

/* Arms the CQ for the next completion, then drains what raced with arming. */
static int client_arm_cq(struct daxmr_client *client)
{
	int ret;

	if (daxmr_qp_is_armed(client->qp))
		return 0;
	ret = daxmr_qp_arm(client->qp);
	if (ret) {
		client_fail(client, ret, "cannot arm the CQ");
		return ret;
	}
	return client_drain_cq(client);
}

/* rdma_cm events on an established connection: only the end of it matters. */
static void client_on_cm_events(struct daxmr_client *client)
{
	int ret = daxmr_cm_poll(client->cm);

	if (ret)
		client_fail(client, ret,
			    ret == -ECONNRESET ? "server disconnected" : "RDMA device removed");
}

/*
 * Runs the connection until done(client) or the deadline: drains the CQ, arms it, sleeps in
 * poll(2) on the completion channel and the rdma_cm channel. -ETIMEDOUT, or the death cause.
 */
static int client_wait(struct daxmr_client *client, bool (*done)(const struct daxmr_client *),
		       int64_t deadline)
{
	struct pollfd pfd[2];
	int64_t left;
	int ret;

	for (;;) {
		ret = client_drain_cq(client);
		if (ret)
			return ret;
		if (done(client))
			return 0;
		if (!client_is_live(client))
			return client->dead_err ? client->dead_err : -ENOTCONN;
		if (!daxmr_qp_is_armed(client->qp)) {
			ret = client_arm_cq(client);
			if (ret)
				return ret;
			continue;
		}
		left = deadline - daxmr_clock_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		pfd[0] = (struct pollfd){ .fd = daxmr_qp_fd(client->qp), .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = daxmr_cm_fd(client->cm), .events = POLLIN };
		ret = poll(pfd, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("poll", ret, "connection %s", client->peer);
			return ret;
		}
		if (ret > 0 && pfd[0].revents)
			daxmr_qp_take_events(client->qp);
		if (ret > 0 && pfd[1].revents)
			client_on_cm_events(client);
	}
}

/* client_wait predicate: the request in flight got its reply. */
static bool client_reply_arrived(const struct daxmr_client *client)
{
	return client->pending.done;
}

/* client_wait predicate: a send slot is free. */
static bool client_send_slot_free(const struct daxmr_client *client)
{
	return daxmr_qp_has_send_slot(client->qp);
}

/* client_wait predicate: the internal RDMA operation in flight completed. */
static bool client_internal_completed(const struct daxmr_client *client)
{
	return daxmr_ops_internal_done(client->ops, NULL);
}

/* client_wait predicate: the region being closed has no operation in flight. */
static bool client_region_drained(const struct daxmr_client *client)
{
	return daxmr_region_busy(client->draining) == 0;
}

/* client_wait predicate: the ops ring has a free slot and room for a completion. */
static bool client_ops_room(const struct daxmr_client *client)
{
	return daxmr_ops_free_slots(client->ops) > 0 &&
	       daxmr_ops_inflight(client->ops) < daxmr_qp_rdma_depth(client->qp);
}

/* client_wait predicate: every queued REVOKE_ACK went out. */
static bool client_acks_sent(const struct daxmr_client *client)
{
	return TAILQ_EMPTY(&client->acks);
}

/* A zeroed request of opcode with room for its reply. */
struct daxmr_client_call *daxmr_client_call_new(enum daxmr_proto_opcode opcode)
{
	struct daxmr_client_call *call = calloc(1, sizeof(*call));

	if (call)
		call->req.hdr.opcode = opcode;
	return call;
}

/* Sends call->req and waits up to timeout_ms for call->reply; a timeout kills the connection. */
static int client_call_within(struct daxmr_client *client, struct daxmr_client_call *call,
			      struct daxmr_region *opening, int timeout_ms)
{
	struct daxmr_proto_msg *req = &call->req;
	bool open = req->hdr.opcode == DAXMR_PROTO_OP_OPEN;
	int64_t deadline = daxmr_clock_ms() + timeout_ms;
	int ret;

	ret = daxmr_client_error(client);
	if (ret)
		return ret;
	if (client->pending.active || !daxmr_credit_can_send(&client->credit))
		return -EBUSY; /* a callback issuing a request from inside one: not supported */
	ret = daxmr_qp_post_recvs(client->qp,
				  daxmr_credit_recvs_before_send(&client->credit, open));
	if (ret)
		return ret;
	ret = client_wait(client, client_send_slot_free, deadline);
	if (ret)
		return ret;
	req->hdr.status = DAXMR_PROTO_STATUS_OK;
	req->hdr.flags = 0;
	req->hdr.request_id = client->next_request_id++;
	client->pending = (struct client_pending){ .active = true,
						   .request_id = req->hdr.request_id,
						   .opcode = req->hdr.opcode,
						   .reply = &call->reply,
						   .opening = opening };
	ret = daxmr_qp_post_msg(client->qp, req, client->version);
	if (ret) {
		client->pending.active = false;
		client_fail(client, ret, "cannot send a request");
		return ret;
	}
	daxmr_credit_on_send(&client->credit, open);
	ret = client_wait(client, client_reply_arrived, deadline);
	client->pending.active = false;
	if (ret == -ETIMEDOUT) {
		DAXMR_LOG_ERR("no %s reply from %s within %d ms",
			      daxmr_proto_opcode_str(req->hdr.opcode), client->peer, timeout_ms);
		client_fail(client, -ETIMEDOUT, "request timed out");
	}
	if (ret)
		return ret;
	if (call->reply.hdr.status == DAXMR_PROTO_STATUS_OK)
		return 0;
	DAXMR_LOG_INF("%s: server %s says %s%s%s", daxmr_proto_opcode_str(req->hdr.opcode),
		      client->peer, daxmr_proto_status_str(call->reply.hdr.status),
		      call->reply.reason[0] ? ": " : "", call->reply.reason);
	return daxmr_status_errno(call->reply.hdr.status);
}

/* Sends call->req and waits (opts.timeout_ms) for call->reply. */
int daxmr_client_call(struct daxmr_client *client, struct daxmr_client_call *call,
		      struct daxmr_region *opening)
{
	return client_call_within(client, call, opening, client->opts.timeout_ms);
}

/*
 * The liveness check: after idle_ms without a successful completion, an empty LIST page (start
 * past any export: the server walks its exports and answers none) must be answered within
 * timeout_ms. The QP's own retries end it sooner where the peer's QP is gone (-ECONNRESET).
 */
int daxmr_client_check(struct daxmr_client *client, int idle_ms, int timeout_ms)
{
	struct daxmr_client_call *call;
	int64_t silent;
	int ret;

	if (!client || idle_ms < 0 || timeout_ms <= 0)
		return -EINVAL;
	ret = daxmr_client_error(client);
	if (ret)
		return ret;
	if (client->in_process || client->pending.active || client->rdma_active)
		return -EBUSY; /* from inside a callback: the caller's own call is the check */
	ret = client_drain_cq(client); /* what arrived meanwhile counts as heard */
	if (ret)
		return ret;
	silent = daxmr_clock_ms() - client->last_heard_ms;
	if (silent < idle_ms)
		return 0;
	call = daxmr_client_call_new(DAXMR_PROTO_OP_LIST);
	if (!call)
		return -ENOMEM;
	call->req.list.start = UINT32_MAX;
	DAXMR_LOG_DBG("liveness check of %s after %lld ms of silence", client->peer,
		      (long long)silent);
	ret = client_call_within(client, call, NULL, timeout_ms);
	free(call);
	if (ret && !client_is_live(client))
		DAXMR_LOG_ERR("connection to %s failed its liveness check (%lld ms silent, then "
			      "no answer within %d ms): %s",
			      client->peer, (long long)silent, timeout_ms, daxmr_log_strerror(ret));
	daxmr_client_settle(client);
	return ret;
}

/* Whether call got a reply whose status was not OK. */
bool daxmr_client_call_refused(const struct daxmr_client_call *call)
{
	return call->reply.hdr.status != DAXMR_PROTO_STATUS_OK;
}

/* Before returning to the caller: ACKs out, CQ armed, so the fd tells of anything new. */
void daxmr_client_settle(struct daxmr_client *client)
{
	if (!client_is_live(client))
		return;
	if (!TAILQ_EMPTY(&client->acks) &&
	    client_wait(client, client_acks_sent, daxmr_clock_ms() + client->opts.timeout_ms))
		return;
	client_arm_cq(client);
}

/*
 * KEYS until the region knows every segment's key (docs/protocol.md 9.3). On failure the
 * descriptor is closed again: a region that cannot address all of its export is not opened.
 */
static int client_fetch_keys(struct daxmr_client *client, struct daxmr_region *region)
{
	const struct daxmr_desc *desc = daxmr_region_desc(region);
	struct daxmr_client_call *call = NULL;
	uint32_t first;
	int ret = 0;

	while ((first = daxmr_region_keys_missing(region)) < desc->nseg) {
		if (!call)
			call = daxmr_client_call_new(DAXMR_PROTO_OP_KEYS);
		if (!call) {
			ret = -ENOMEM;
			break;
		}
		memset(&call->reply, 0, sizeof(call->reply));
		call->req.keys.export_id = desc->export_id;
		call->req.keys.generation = desc->generation;
		call->req.keys.first = first;
		ret = daxmr_client_call(client, call, NULL);
		if (ret)
			break;
		ret = daxmr_region_keys_add(region, call->reply.keys_reply.first,
					    call->reply.keys_reply.count,
					    call->reply.keys_reply.keys);
		if (ret) {
			DAXMR_LOG_ERR("KEYS of export %s from segment %u: server %s answered "
				      "segments %u.. (%u keys), want %u.. (%u segments in all)",
				      daxmr_region_name(region), first, client->peer,
				      call->reply.keys_reply.first, call->reply.keys_reply.count,
				      first, desc->nseg);
			client_fail(client, ret, "bad KEYS reply");
			break;
		}
	}
	free(call);
	if (ret) {
		DAXMR_LOG_ERR("open %s: cannot fetch the keys of its %u segments: %s",
			      daxmr_region_name(region), desc->nseg, daxmr_log_strerror(ret));
		(void)daxmr_client_close_desc(client, region);
	}
	return ret;
}

/* Sends OPEN for the region's name; the reply attaches the region when OK. */
int daxmr_client_open_desc(struct daxmr_client *client, struct daxmr_region *region,
			   enum daxmr_access access)
{
	struct daxmr_client_call *call;
	int ret;

	if (!daxmr_proto_name_valid(daxmr_region_name(region)))
		return -EINVAL;
	call = daxmr_client_call_new(DAXMR_PROTO_OP_OPEN);
	if (!call)
		return -ENOMEM;
	call->req.open.access = (enum daxmr_proto_access)access;
	snprintf(call->req.open.name, sizeof(call->req.open.name), "%s", daxmr_region_name(region));
	ret = daxmr_client_call(client, call, region);
	free(call);
	if (!ret)
		ret = client_fetch_keys(client, region);
	daxmr_client_settle(client);
	return ret;
}

/* CLOSE unless RELEASED; always detaches. */
int daxmr_client_close_desc(struct daxmr_client *client, struct daxmr_region *region)
{
	const struct daxmr_desc *desc = daxmr_region_desc(region);
	enum daxmr_region_state state;
	struct daxmr_client_call *call;
	int ret = 0;

	if (daxmr_region_busy(region) && client_is_live(client)) {
		/* the caller's memory and op contexts stay valid until these complete */
		client->draining = region;
		ret = client_wait(client, client_region_drained,
				  daxmr_clock_ms() + client->opts.timeout_ms);
		client->draining = NULL;
		if (ret == -ETIMEDOUT)
			client_fail(client, ret, "operations of a closing region never completed");
	}
	if (client->ops)
		daxmr_ops_drop_region(client->ops, region);
	if (daxmr_region_state(region) != DAXMR_REGION_RELEASED && client_is_live(client)) {
		call = daxmr_client_call_new(DAXMR_PROTO_OP_CLOSE);
		if (!call) {
			ret = -ENOMEM;
		} else {
			call->req.close.export_id = desc->export_id;
			call->req.close.generation = desc->generation;
			ret = daxmr_client_call(client, call, NULL);
			/* it crossed a revocation: the server has forgotten it already */
			if (ret && (call->reply.hdr.status == DAXMR_PROTO_STATUS_NOT_OPEN ||
				    call->reply.hdr.status == DAXMR_PROTO_STATUS_STALE_GENERATION))
				ret = 0;
			free(call);
		}
	}
	/* the state is read after the reply: an AVAILABLE may have crossed the CLOSE */
	state = daxmr_region_state(region);
	if (state != DAXMR_REGION_RELEASED)
		daxmr_credit_on_close(&client->credit, state != DAXMR_REGION_OPEN);
	daxmr_region_detach(&client->regions, region);
	daxmr_events_drop_region(client->events, region);
	daxmr_client_settle(client);
	return ret;
}

/* FLUSH a range of the region's descriptor. */
int daxmr_client_flush_desc(struct daxmr_client *client, struct daxmr_region *region,
			    uint64_t offset, uint64_t len)
{
	const struct daxmr_desc *desc = daxmr_region_desc(region);
	struct daxmr_client_call *call;
	int ret;

	call = daxmr_client_call_new(DAXMR_PROTO_OP_FLUSH);
	if (!call)
		return -ENOMEM;
	call->req.flush.export_id = desc->export_id;
	call->req.flush.generation = desc->generation;
	call->req.flush.offset = offset;
	call->req.flush.length = len;
	ret = daxmr_client_call(client, call, NULL);
	free(call);
	daxmr_client_settle(client);
	return ret;
}

/* FLUSH without waiting: its reply is reported as an operation's completion. */
int daxmr_client_flush_post(struct daxmr_client *client, struct daxmr_region *region,
			    uint64_t offset, uint64_t len, void *op_ctx, unsigned int flags)
{
	const struct daxmr_desc *desc = daxmr_region_desc(region);
	struct daxmr_proto_msg req;
	int ret;

	ret = daxmr_client_error(client);
	if (ret)
		return ret;
	if (client->credit.credits < 2)
		return -EOPNOTSUPP; /* one credit, and the synchronous calls need it */
	/* one credit always stays for the synchronous calls */
	if (client->credit.outstanding + 2 > client->credit.credits ||
	    !daxmr_qp_has_send_slot(client->qp))
		return -EAGAIN;
	/* writes queued with DAXMR_OP_F_MORE go first: the FLUSH must follow them on the QP */
	ret = daxmr_ops_submit(client->ops);
	if (ret) {
		client_fail(client, ret, "cannot post RDMA work requests");
		return -ENOTCONN;
	}
	ret = daxmr_qp_post_recvs(client->qp,
				  daxmr_credit_recvs_before_send(&client->credit, false));
	if (ret)
		return ret;
	memset(&req, 0, sizeof(req));
	req.hdr.opcode = DAXMR_PROTO_OP_FLUSH;
	req.hdr.request_id = client->next_request_id;
	req.flush.export_id = desc->export_id;
	req.flush.generation = desc->generation;
	req.flush.offset = offset;
	req.flush.length = len;
	ret = daxmr_ops_msg_begin(client->ops, req.hdr.request_id, DAXMR_OP_FLUSH, op_ctx, len,
				  flags);
	if (ret)
		return ret;
	client->next_request_id++;
	ret = daxmr_qp_post_msg(client->qp, &req, client->version);
	if (ret) {
		client_fail(client, ret, "cannot send a request"); /* it completes -ENOTCONN */
		return 0;
	}
	daxmr_credit_on_send(&client->credit, false);
	return 0;
}

/* Posts an operation on the ops ring; a failed post kills the connection (the op then fails). */
int daxmr_client_post(struct daxmr_client *client, const struct daxmr_ops_req *req)
{
	int ret = daxmr_ops_post(client->ops, req);

	if (ret == -EAGAIN || ret == -EMSGSIZE || ret == -EOPNOTSUPP || !ret)
		return ret;
	client_fail(client, ret, "cannot post RDMA work requests");
	return 0; /* queued: its completion reports -ENOTCONN */
}

/* The library's own registered scratch buffer (the bounce buffer) and its key. */
uint64_t *daxmr_client_scratch(struct daxmr_client *client, uint32_t *lkey_ptr)
{
	*lkey_ptr = daxmr_qp_lkey(client->qp);
	/* page-aligned: the 8-byte atomics' results fit aligned at its start */
	return (uint64_t *)(void *)daxmr_qp_bounce(client->qp);
}

/* Waits for the internal operation posted last; its status, or why waiting failed. */
int daxmr_client_wait_internal(struct daxmr_client *client)
{
	int status = 0;
	int ret = client_wait(client, client_internal_completed,
			      daxmr_clock_ms() + client->opts.timeout_ms);

	if (ret == -ETIMEDOUT)
		client_fail(client, ret, "RDMA operation timed out");
	if (!ret)
		(void)daxmr_ops_internal_done(client->ops, &status);
	daxmr_client_settle(client);
	return ret ? ret : status;
}

/* One chunk of the copying path through the bounce buffer: posted, then waited for. */
static int client_transfer_chunk(struct daxmr_client *client, struct daxmr_region *region,
				 bool write, uint64_t offset, size_t n)
{
	struct daxmr_ops_req req = { .op = write ? DAXMR_OP_WRITE : DAXMR_OP_READ,
				     .region = region,
				     .laddr = (uint64_t)(uintptr_t)daxmr_qp_bounce(client->qp),
				     .lkey = daxmr_qp_lkey(client->qp),
				     .remote_off = offset,
				     .len = n,
				     .internal = true };
	int ret;

	/* the caller's own operations may hold the ring: wait for a slot */
	ret = client_wait(client, client_ops_room, daxmr_clock_ms() + client->opts.timeout_ms);
	if (ret)
		return ret == -ETIMEDOUT ? -EAGAIN : ret;
	/* a REVOKE taken while waiting stops the transfer here (found by fuzz_client) */
	if (!daxmr_region_usable(region))
		return -ESTALE;
	ret = daxmr_client_post(client, &req);
	if (ret == -EAGAIN || ret == -EMSGSIZE)
		ret = -EAGAIN; /* n was sized to fit: only a full completion room gets here */
	if (ret)
		return ret;
	return daxmr_client_wait_internal(client);
}

/*
 * The most one chunk of the copying path at offset carries now: the bounce buffer, the free
 * slots of the ring, the end of offset's segment (so that it never needs more pieces than
 * there are free slots).
 */
static size_t client_chunk_max(const struct daxmr_client *client, const struct daxmr_region *region,
			       uint64_t offset)
{
	size_t ring = (size_t)daxmr_ops_free_slots(client->ops) * client->opts.max_wr_bytes;
	size_t seg_left;
	uint32_t rkey;

	if (ring < client->opts.max_wr_bytes)
		ring = client->opts.max_wr_bytes; /* none free yet: the chunk waits for one */
	seg_left = daxmr_region_piece(region, offset, SIZE_MAX, SIZE_MAX, &rkey);
	if (ring > seg_left)
		ring = seg_left;
	return ring < DAXMR_QP_BOUNCE_SIZE ? ring : DAXMR_QP_BOUNCE_SIZE;
}

/* Adds the connection's rdma_cm and completion channel fds to the caller's epoll fd. */
static int client_epoll_add(struct daxmr_client *client)
{
	int fds[2] = { daxmr_cm_fd(client->cm), daxmr_qp_fd(client->qp) };
	struct epoll_event ev = { .events = EPOLLIN };
	int i, ret;

	for (i = 0; i < 2; i++) {
		ev.data.fd = fds[i];
		if (epoll_ctl(client->epoll_fd, EPOLL_CTL_ADD, fds[i], &ev)) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("epoll_ctl", ret, "fd %d", fds[i]);
			return ret;
		}
	}
	return 0;
}

/*
 * Takes the connection's fds out of the epoll set before they close (closing would do it too,
 * unless a duplicate of one lives on somewhere); a fd not in it is fine.
 */
static void client_epoll_del(struct daxmr_client *client)
{
	if (client->cm)
		(void)epoll_ctl(client->epoll_fd, EPOLL_CTL_DEL, daxmr_cm_fd(client->cm), NULL);
	if (client->qp)
		(void)epoll_ctl(client->epoll_fd, EPOLL_CTL_DEL, daxmr_qp_fd(client->qp), NULL);
}

/*
 * One connection to addr: rdma_cm id, resolution, QP and ops, rdma_connect, its fds in the epoll
 * set, HELLO (and AUTH): READY after it. On failure the caller disconnects and frees.
 */
static int client_dial(struct daxmr_client *client, const char *addr, int64_t deadline)
{
	int ret = daxmr_cm_new(addr, client->opts.timeout_ms, &client->cm);

	if (ret)
		return ret;
	client->peer = daxmr_cm_peer(client->cm);
	ret = client_establish(client, addr, deadline);
	if (!ret)
		ret = client_epoll_add(client);
	if (!ret)
		ret = client_hello(client);
	if (ret)
		return ret;
	client->state = DAXMR_CLIENT_READY;
	client->last_heard_ms = daxmr_clock_ms(); /* the HELLO reply */
	return client_arm_cq(client);
}

/*
 * Replaces a DEAD connection's rdma_cm id, QP and ops ring with new ones to the same server and
 * says HELLO (and AUTH) on it; the caller's daxmr_client_fd stays (the old fds leave its epoll
 * set as they close). On failure the client stays DEAD, possibly without cm, qp or ops: what
 * runs on a dead client checks them. The regions are client_reopen_regions' business.
 */
static int client_reconnect(struct daxmr_client *client, int64_t deadline)
{
	struct client_ack *ack;
	int ret;

	/* the old connection's: the new server has nothing to acknowledge */
	while ((ack = TAILQ_FIRST(&client->acks))) {
		TAILQ_REMOVE(&client->acks, ack, entry);
		free(ack);
	}
	client->peer = client->addr;
	client_epoll_del(client);
	daxmr_ops_delete(&client->ops);
	(void)daxmr_qp_delete(&client->qp); /* the QP before the id that owns it */
	(void)daxmr_cm_delete(&client->cm);
	client->pending = (struct client_pending){ 0 };
	client->dead_err = 0;
	ret = client_dial(client, client->addr, deadline);
	if (ret) {
		if (client->cm)
			daxmr_cm_disconnect(client->cm); /* only once ESTABLISHED was seen */
		client->state = DAXMR_CLIENT_DEAD;
		client->dead_err = ret;
		return ret;
	}
	client->loss_pending = false; /* nothing lost after all, unless the regions are */
	return 0;
}

/* Whether a reconnect keeps desc: the very descriptor it had (not a new generation of it). */
static bool client_same_desc(const struct daxmr_desc *old, const struct daxmr_desc *now)
{
	/*
	 * A generation is only unique within one daxmrd's life (a restarted one starts at 1
	 * again); the mapping's address (and a shared MR's key) tells a restarted daemon apart.
	 */
	return old->export_id == now->export_id && old->generation == now->generation &&
	       old->addr == now->addr && old->length == now->length && old->access == now->access &&
	       (old->key_kind != DAXMR_KEY_MR || old->rkey == now->rkey);
}

/* A region whose descriptor did not survive the reconnect: RELEASED on the list, told so. */
static void client_region_lost(struct daxmr_client *client, struct daxmr_region *region,
			       const struct daxmr_desc *old)
{
	struct daxmr_revoke_info info = { .export_id = old->export_id,
					  .generation = old->generation,
					  .name = daxmr_region_name(region),
					  .reason = DAXMR_REVOKE_CONNECTION_LOST };

	daxmr_region_attach_lost(&client->regions, region);
	(void)daxmr_events_push_revoke(client->events, region, &info);
}

/*
 * After a reconnect: each region that was OPEN asks for its export again and keeps what it gets
 * only if it is the same descriptor; any other is closed again and the region RELEASED (it
 * fails -ESTALE). Regions already revoked are RELEASED: the new connection's server owes them
 * nothing. 0, or why current (the transferring region) did not get its descriptor back.
 */
static int client_reopen_regions(struct daxmr_client *client, struct daxmr_region *current)
{
	struct daxmr_region **all, *region;
	struct daxmr_desc old;
	size_t n = 0, i;
	int ret, cur = 0;

	for (region = daxmr_region_next(&client->regions, NULL); region;
	     region = daxmr_region_next(&client->regions, region))
		n++;
	all = calloc(n ? n : 1, sizeof(struct daxmr_region *));
	if (!all)
		return -ENOMEM;
	n = 0;
	for (region = daxmr_region_next(&client->regions, NULL); region;
	     region = daxmr_region_next(&client->regions, region))
		all[n++] = region;
	for (i = 0; i < n; i++) {
		region = all[i];
		if (daxmr_region_state(region) != DAXMR_REGION_OPEN) {
			daxmr_region_release(region);
			if (region == current)
				cur = -ESTALE;
			continue;
		}
		old = *daxmr_region_desc(region);
		daxmr_region_detach(&client->regions, region);
		ret = daxmr_client_open_desc(client, region, old.access);
		if (!ret && !client_same_desc(&old, daxmr_region_desc(region))) {
			DAXMR_LOG_ERR("export %s was revoked while the connection to %s was down: "
				      "we held generation %llu, the server now hands out %llu",
				      daxmr_region_name(region), client->peer,
				      (unsigned long long)old.generation,
				      (unsigned long long)daxmr_region_desc(region)->generation);
			(void)daxmr_client_close_desc(client, region); /* detaches it */
			ret = -ESTALE;
		}
		if (!ret)
			continue;
		client_region_lost(client, region, &old);
		if (region != current)
			continue;
		/* being revoked, or gone: either way not the generation we had */
		cur = ret == -EAGAIN || ret == -ENOENT ? -ESTALE : ret;
		DAXMR_LOG_ERR("export %s generation %llu did not survive the reconnect to %s (%s): "
			      "not re-issuing",
			      daxmr_region_name(region), (unsigned long long)old.generation,
			      client->peer, daxmr_log_strerror(ret));
	}
	free(all);
	return cur;
}

/* Whether a transfer that failed with err on a connection now dead may reconnect. */
static bool client_may_reconnect(const struct daxmr_client *client, int err)
{
	return !client_is_live(client) && err != -ESTALE && err != -ENOMEM && err != -EPROTO &&
	       client->dead_err != -EPROTO && client->dead_err != -ENOMEM;
}

/*
 * The connection died under a transfer: reconnects (each attempt within timeout_ms, up to
 * opts.reconnect in all for this call, *attempts counting them) and reopens the regions. 0 when
 * the transfer may re-issue its range on the new connection: region kept its descriptor.
 */
static int client_transfer_reconnect(struct daxmr_client *client, struct daxmr_region *region,
				     bool write, uint64_t offset, int err, unsigned int *attempts)
{
	int ret = err;

	while (*attempts < client->opts.reconnect) {
		++*attempts;
		DAXMR_LOG_WRN("connection to %s lost during RDMA %s of export %s at offset %llu "
			      "(%s): reconnecting (attempt %u of %u)",
			      client->peer, write ? "WRITE" : "READ", daxmr_region_name(region),
			      (unsigned long long)offset, daxmr_log_strerror(ret), *attempts,
			      client->opts.reconnect);
		ret = client_reconnect(client, daxmr_clock_ms() + client->opts.timeout_ms);
		if (ret) {
			DAXMR_LOG_WRN("reconnect to %s: %s", client->peer, daxmr_log_strerror(ret));
			/* a server that refuses at once (restarting, say) gets a moment */
			if (*attempts < client->opts.reconnect)
				(void)poll(NULL, 0, CLIENT_RECONNECT_BACKOFF_MS);
			continue;
		}
		ret = client_reopen_regions(client, region);
		if (ret)
			return ret;
		DAXMR_LOG_WRN("reconnected to %s: export %s generation %llu is still ours: "
			      "re-issuing from offset %llu",
			      client->peer, daxmr_region_name(region),
			      (unsigned long long)daxmr_region_desc(region)->generation,
			      (unsigned long long)offset);
		return 0;
	}
	return ret;
}

/*
 * Chunked one-sided transfer through the bounce buffer; with opts.reconnect, a connection that
 * dies under it is reconnected and the range from the failed chunk on re-issued.
 */
int daxmr_client_transfer(struct daxmr_client *client, struct daxmr_region *region, bool write,
			  uint64_t offset, void *buf, size_t len)
{
	uint8_t *p = buf, *bounce;
	size_t done = 0, n = 0;
	unsigned int attempts = 0;
	int ret = 0;

	if (client->rdma_active)
		return -EBUSY;
	client->rdma_active = true;
	/* registered memory and the caller's operations do not survive a new connection */
	client->reconnect_armed = client->opts.reconnect && TAILQ_EMPTY(&client->mems) &&
				  daxmr_ops_inflight(client->ops) == 0 &&
				  daxmr_ops_done_count(client->ops) == 0;
	while (done < len) {
		/* a dead connection first: it also revokes the region */
		ret = daxmr_client_error(client);
		if (ret)
			break;
		if (!daxmr_region_usable(region)) {
			ret = -ESTALE;
			break;
		}
		n = client_chunk_max(client, region, offset + done);
		if (n > len - done)
			n = len - done;
		bounce = daxmr_qp_bounce(client->qp); /* a reconnect brings a new one */
		if (write)
			memcpy(bounce, p + done, n);
		ret = client_transfer_chunk(client, region, write, offset + done, n);
		if (ret && client->reconnect_armed && client_may_reconnect(client, ret)) {
			ret = client_transfer_reconnect(client, region, write, offset + done, ret,
							&attempts);
			if (!ret)
				continue; /* the same range again, on the new connection */
		}
		if (ret) {
			DAXMR_LOG_ERR("RDMA %s of export %s (%zu bytes at offset %llu) failed: %s",
				      write ? "WRITE" : "READ", daxmr_region_name(region), n,
				      (unsigned long long)(offset + done), daxmr_log_strerror(ret));
			break;
		}
		if (!write)
			memcpy(p + done, bounce, n);
		done += n;
	}
	client->rdma_active = false;
	client->reconnect_armed = false;
	if (client->loss_pending) {
		client->loss_pending = false;
		client_report_loss(client, client->dead_err ? client->dead_err : -ENOTCONN);
	}
	daxmr_client_settle(client);
	return ret;
}

/* HELLO, then AUTH if the server asks for it: the connection is READY after them. */
static int client_hello(struct daxmr_client *client)
{
	struct daxmr_proto_hello_reply hello;
	int ret;

	client->state = DAXMR_CLIENT_HELLO;
	ret = daxmr_handshake_hello(client, client->name, client->version, &hello);
	if (ret)
		return ret;
	memcpy(client->server_name, hello.name, sizeof(client->server_name));
	if (hello.flags & DAXMR_PROTO_HELLO_F_AUTH)
		client->state = DAXMR_CLIENT_AUTH;
	return daxmr_handshake_auth(client, client->auth ? &client->key : NULL, client->version,
				    client->identity, &hello);
}

/* Our default name "daxmr@host:pid", squeezed into the wire's name alphabet. */
static void client_default_name(char *name, size_t len)
{
	char host[128] = "localhost";
	size_t i;

	if (gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(name, len, "daxmr@%s:%ld", host, (long)getpid());
	for (i = 0; name[i]; i++)
		if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
			name[i] = '_';
}

/* The epoll fd, with the events' eventfd (client_dial adds each connection's fds). */
static int client_epoll_new(struct daxmr_client *client)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = daxmr_events_fd(client->events) };
	int ret;

	client->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (client->epoll_fd < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("epoll_create1", ret, "connection %s", client->peer);
		return ret;
	}
	if (epoll_ctl(client->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("epoll_ctl", ret, "fd %d", ev.data.fd);
		return ret;
	}
	return 0;
}

/* Frees everything the client holds, in reverse order of creation; the first error. */
static int client_free(struct daxmr_client *client)
{
	struct client_ack *ack;
	int ret, r;

	daxmr_auth_key_wipe(&client->key);
	daxmr_region_list_free(&client->regions);
	daxmr_mem_list_free(&client->mems); /* the MRs before the PD */
	daxmr_ops_delete(&client->ops);
	while ((ack = TAILQ_FIRST(&client->acks))) {
		TAILQ_REMOVE(&client->acks, ack, entry);
		free(ack);
	}
	ret = daxmr_qp_delete(&client->qp); /* the QP before the id that owns it */
	r = daxmr_cm_delete(&client->cm);
	ret = ret ? ret : r;
	if (client->epoll_fd >= 0)
		close(client->epoll_fd);
	daxmr_events_delete(&client->events);
	free(client->addr);
	free(client);
	return ret;
}

/* The options taken in: defaults, the log level, our name, the secret's key. 0 or -errno. */
static int client_opts_take(struct daxmr_client *client, const struct daxmr_client_opts *opts)
{
	const struct daxmr_client_opts defaults = DAXMR_CLIENT_OPTS_DEFAULT;
	char why[PATH_MAX + 128];
	int ret;

	client->opts = opts ? *opts : defaults;
	if (client->opts.timeout_ms <= 0)
		client->opts.timeout_ms = DAXMR_DEFAULT_TIMEOUT_MS;
	if (!client->opts.queue_depth)
		client->opts.queue_depth = DAXMR_DEFAULT_QUEUE_DEPTH;
	if (!client->opts.max_wr_bytes)
		client->opts.max_wr_bytes = DAXMR_DEFAULT_MAX_WR_BYTES;
	if (client->opts.queue_depth > CLIENT_QUEUE_DEPTH_MAX ||
	    client->opts.max_wr_bytes < CLIENT_WR_BYTES_MIN ||
	    client->opts.max_wr_bytes > CLIENT_WR_BYTES_MAX) {
		DAXMR_LOG_ERR("queue_depth %u (want 1..%u), max_wr_bytes %u (want %u..%u)",
			      client->opts.queue_depth, CLIENT_QUEUE_DEPTH_MAX,
			      client->opts.max_wr_bytes, CLIENT_WR_BYTES_MIN, CLIENT_WR_BYTES_MAX);
		return -EINVAL;
	}
	client->opts.max_wr_bytes &= ~(CLIENT_WR_BYTES_MIN - 1);
	daxmr_log_set_ident("libdaxmr");
	daxmr_log_set_level(client->opts.verbose >= 2 ? DAXMR_LOG_DEBUG :
			    client->opts.verbose == 1 ? DAXMR_LOG_INFO :
							DAXMR_LOG_WARN);
	if (client->opts.name && !daxmr_proto_name_valid(client->opts.name)) {
		DAXMR_LOG_ERR("client name '%s': want 1..255 printable characters, no space",
			      client->opts.name);
		return -EINVAL;
	}
	if (client->opts.name)
		snprintf(client->name, sizeof(client->name), "%s", client->opts.name);
	else
		client_default_name(client->name, sizeof(client->name));
	client->opts.name = NULL; /* the caller's string is not kept */
	if (client->opts.secret_file) {
		ret = daxmr_auth_key_load(client->opts.secret_file, &client->key, why, sizeof(why));
		if (ret) {
			DAXMR_LOG_ERR("secret file: %s", why);
			return ret;
		}
		client->auth = true;
	}
	client->opts.secret_file = NULL; /* nor is this one */
	if (client->opts.identity &&
	    (!daxmr_auth_identity_valid(client->opts.identity) || !client->auth)) {
		DAXMR_LOG_ERR("identity '%s': %s", client->opts.identity,
			      client->auth ?
				      "want 1-64 of A-Z a-z 0-9 . _ @ -, not starting with '.'" :
				      "it needs the identity's secret file (secret_file)");
		return -EINVAL;
	}
	if (client->opts.identity)
		snprintf(client->identity, sizeof(client->identity), "%s", client->opts.identity);
	client->opts.identity = NULL; /* nor this one */
	return 0;
}

/* Resolution, verbs, rdma_connect and the accept data; the connection is then established. */
static int client_establish(struct daxmr_client *client, const char *addr, int64_t deadline)
{
	struct daxmr_proto_cm_accept acc;
	int ret;

	client->state = DAXMR_CLIENT_ADDR_RESOLVING;
	ret = daxmr_cm_resolve_addr(client->cm, addr, deadline);
	if (ret)
		return ret;
	client->state = DAXMR_CLIENT_ROUTE_RESOLVING;
	ret = daxmr_cm_resolve_route(client->cm, deadline);
	if (ret)
		return ret;
	ret = daxmr_qp_new(daxmr_cm_id(client->cm), client->peer, client->opts.queue_depth,
			   &client->qp);
	if (ret)
		return ret;
	client->opts.queue_depth = daxmr_qp_rdma_depth(client->qp);
	ret = daxmr_ops_new(
		&(struct daxmr_ops_params){ .qp = daxmr_qp_ibv(client->qp),
					    .peer = client->peer,
					    .depth = client->opts.queue_depth,
					    .max_wr_bytes = client->opts.max_wr_bytes,
					    .max_inline = daxmr_qp_max_inline(client->qp),
					    .atomics = daxmr_qp_atomics(client->qp) },
		&client->ops);
	if (ret)
		return ret;
	/* the HELLO reply's receive (and the slack) must be there before the server can send */
	ret = daxmr_qp_post_recvs(client->qp, DAXMR_CREDIT_SLACK + 1);
	if (ret)
		return ret;
	client->state = DAXMR_CLIENT_CONNECTING;
	ret = daxmr_cm_connect(client->cm, deadline, &acc);
	if (ret)
		return ret;
	client->version = acc.version;
	daxmr_credit_init(&client->credit, acc.credits);
	DAXMR_LOG_INF("connected to %s: version %u, %u credits", client->peer, acc.version,
		      acc.credits);
	return 0;
}

/* Connects to daxmrd at addr: resolution, QP, connect data, HELLO (and AUTH). */
int daxmr_client_connect(const char *addr, const struct daxmr_client_opts *opts,
			 struct daxmr_client **client_ptr)
{
	struct daxmr_client *client;
	int64_t deadline;
	int ret;

	if (!addr || !client_ptr)
		return -EINVAL;
	client = calloc(1, sizeof(*client));
	if (!client)
		return -ENOMEM;
	client->epoll_fd = -1;
	client->next_request_id = 1;
	client->peer = addr;
	client->addr = strdup(addr);
	if (!client->addr) {
		free(client);
		return -ENOMEM;
	}
	TAILQ_INIT(&client->regions);
	TAILQ_INIT(&client->mems);
	TAILQ_INIT(&client->acks);
	ret = client_opts_take(client, opts);
	if (ret)
		goto err_free;
	deadline = daxmr_clock_ms() + client->opts.timeout_ms;
	ret = daxmr_events_new(&client->events);
	if (ret)
		goto err_free;
	ret = client_epoll_new(client);
	if (ret)
		goto err_free;
	ret = client_dial(client, addr, deadline);
	if (ret)
		goto err_disconnect;
	DAXMR_LOG_INF("connected to %s (server '%s') as '%s'", client->peer, client->server_name,
		      client->name);
	*client_ptr = client;
	return 0;

err_disconnect:
	if (client->cm)
		daxmr_cm_disconnect(client->cm); /* only once ESTABLISHED was seen */
err_free:
	client_free(client);
	return ret;
}

/* Disconnects and frees the client and its remaining regions. */
int daxmr_client_disconnect(struct daxmr_client **client_ptr)
{
	struct daxmr_client *client;

	if (!client_ptr || !*client_ptr)
		return 0;
	client = *client_ptr;
	*client_ptr = NULL;
	if (client->cm) /* a failed reconnect leaves none */
		daxmr_cm_disconnect_wait(client->cm);
	client->state = DAXMR_CLIENT_CLOSED;
	return client_free(client);
}

/* The server's name from HELLO. */
const char *daxmr_client_server_name(const struct daxmr_client *client)
{
	return client->server_name;
}

/* The protocol version the connection speaks. */
unsigned int daxmr_client_protocol_version(const struct daxmr_client *client)
{
	return client->version;
}

/* Sets or clears the callbacks. */
void daxmr_client_set_callbacks(struct daxmr_client *client, const struct daxmr_callbacks *cbs,
				void *arg)
{
	daxmr_events_set_callbacks(client->events, cbs, arg);
}

/* The fd for the caller's event loop. */
int daxmr_client_fd(const struct daxmr_client *client)
{
	return client->epoll_fd;
}

/* Handles everything pending without blocking, then delivers the callbacks. */
int daxmr_client_process(struct daxmr_client *client)
{
	if (!client)
		return -EINVAL;
	if (client->in_process)
		return -EBUSY;
	client->in_process = true;
	if (client->cm)
		client_on_cm_events(client);
	if (client_is_live(client)) {
		daxmr_qp_take_events(client->qp);
		client_drain_cq(client);
		daxmr_client_settle(client);
	}
	daxmr_events_deliver(client->events);
	client->in_process = false;
	return daxmr_client_error(client);
}

/* The PD caller memory registers on. */
struct ibv_pd *daxmr_client_pd(const struct daxmr_client *client)
{
	return client->qp ? daxmr_qp_pd(client->qp) : NULL;
}

/* The client's list of registered memory. */
struct daxmr_mem_list *daxmr_client_mems(struct daxmr_client *client)
{
	return &client->mems;
}

/* Posts what DAXMR_OP_F_MORE queued. */
int daxmr_client_submit(struct daxmr_client *client)
{
	int ret;

	if (!client)
		return -EINVAL;
	ret = daxmr_client_error(client);
	if (ret)
		return ret;
	ret = daxmr_ops_submit(client->ops);
	if (ret)
		client_fail(client, ret, "cannot post RDMA work requests");
	return ret ? -ENOTCONN : 0;
}

/* Busy-poll: finished operations, without blocking. */
int daxmr_client_poll(struct daxmr_client *client, struct daxmr_completion *out, int max)
{
	int n;

	if (!client || !out || max < 1)
		return -EINVAL;
	if (client_is_live(client)) {
		if (daxmr_ops_submit(client->ops))
			client_fail(client, -EIO, "cannot post RDMA work requests");
		else
			(void)client_drain_cq(client); /* a failure is the client's death */
	}
	n = client->ops ? daxmr_ops_take(client->ops, out, max) : 0;
	if (!n && !client_is_live(client))
		return -ENOTCONN;
	return n;
}

/* Operations posted and not yet reported. */
unsigned int daxmr_client_inflight(const struct daxmr_client *client)
{
	return client && client->ops ? daxmr_ops_inflight(client->ops) : 0;
}

/* client_wait predicate: a completion or an event is waiting for the caller. */
static bool client_has_news(const struct daxmr_client *client)
{
	return (client->ops && daxmr_ops_done_count(client->ops) > 0) ||
	       daxmr_events_pending(client->events);
}

/* Blocks until poll or process has something, or timeout_ms. */
int daxmr_client_wait(struct daxmr_client *client, int timeout_ms)
{
	int64_t deadline;
	int ret;

	if (!client)
		return -EINVAL;
	if (client_has_news(client))
		return 0;
	if (!client_is_live(client))
		return -ENOTCONN;
	if (daxmr_ops_submit(client->ops)) {
		client_fail(client, -EIO, "cannot post RDMA work requests");
		return 0; /* the failed operations are news */
	}
	deadline = timeout_ms < 0 ? INT64_MAX : daxmr_clock_ms() + timeout_ms;
	ret = client_wait(client, client_has_news, deadline);
	if (ret && ret != -ETIMEDOUT)
		return client_has_news(client) ? 0 : -ENOTCONN;
	return ret;
}

/* The server's reason for the last refusal. */
const char *daxmr_client_last_reason(const struct daxmr_client *client)
{
	return client ? client->last_reason : "";
}
