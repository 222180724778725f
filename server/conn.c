/* SPDX-License-Identifier: BSD-3-Clause */
/* conn.c -- one client connection: cm_id, QP, CQ, buffers, request dispatch, state machine */

/*
 * Connection states (docs/architecture.md, "Connections"):
 *
 *   CONNECT_REQUEST --daxmr_conn_new: bad private data, no common version, an address no
 *        |                           export admits, no resources--> rejected (no conn)
 *        |
 *        | accept (receives posted)
 *        v
 *   ACCEPTING --rdma_cm ESTABLISHED, or a first receive--> WAIT_HELLO --HELLO ok--> READY
 *        |                                                     |  (secret)        ^   |
 *        |                                                     +-> WAIT_AUTH --AUTH ok
 *        |                                                     |   |  (bad proof: ACCESS_DENIED,
 *        |                                                     |   |   disconnect once sent)
 *        +-----------------------+-----------------------------+---+-----------------+
 *                                | protocol error (ERROR, then rdma_disconnect), send ring
 *                                | full, completion error, server shutdown
 *                                v
 *                             CLOSING --rdma_cm DISCONNECTED--> CLOSED --> deleted by server
 *   (any state) --rdma_cm DISCONNECTED--> CLOSED
 *
 * Descriptors (holds) of a connection, one per export:
 *   HELD --REVOKE sent--> REVOKE_SENT --REVOKE_ACK--> REVOKED --AVAILABLE sent--> (gone)
 *   CLOSE in any state removes it (and counts as the ack in REVOKE_SENT); a disconnect counts
 *   as the ack too. REVOKE_SENT past the deadline stays until AVAILABLE or CLOSE.
 *
 * Keys (docs/architecture.md, "Per-connection keys"): where the device binds type-2 memory
 * windows, each OPEN gets a window bound on this connection's QP over the export's MR, and the
 * reply waits for the bind's completion. A window (one slot of mws[]):
 *   FREE --OPEN: alloc + post BIND_MW--> BINDING --completion: OPEN reply--> BOUND (to a hold)
 *   BOUND --REVOKE_ACK / CLOSE / re-OPEN: post LOCAL_INV--> INVALIDATING --completion--> dealloc,
 *         FREE (a REVOKE_ACK or CLOSE under revocation is reported to the server only now)
 *   any --disconnect, or the export's release (daxmr_conn_fence)--> deallocated at once; a slot
 *         with a WR still out stays BINDING/INVALIDATING until its completion frees it.
 * Without windows (or when alloc or post fails) the OPEN gets the export's MR key at once.
 *
 * Receives: DAXMR_CONN_CREDITS for requests, plus one per REVOKE awaiting its ack, reposted
 * before the reply is sent (docs/protocol.md, flow control). Memory is fixed at accept time:
 * (credits + DAXMR_CONN_HOLD_MAX) receive buffers and DAXMR_CONN_SEND_SLOTS send buffers.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "auth.h"
#include "clock.h"
#include "log.h"
#include "verbs.h"

_Static_assert(DAXMR_PROTO_AUTH_CHALLENGE_SIZE == DAXMR_AUTH_NONCE_SIZE &&
		       DAXMR_PROTO_AUTH_NONCE_SIZE == DAXMR_AUTH_NONCE_SIZE &&
		       DAXMR_PROTO_AUTH_PROOF_SIZE == DAXMR_AUTH_PROOF_SIZE,
	       "the wire's AUTH fields are the sizes common/auth works with");

#define CONN_RECV_SLOTS (DAXMR_CONN_CREDITS + DAXMR_CONN_HOLD_MAX)
#define CONN_SLOTS (CONN_RECV_SLOTS + DAXMR_CONN_SEND_SLOTS)
#define CONN_WR_SEND (1ull << 32) /* wr_id: send slots have this bit, receive slots do not */
#define CONN_WR_MW (1ull << 33)	  /* wr_id: a window's BIND_MW or LOCAL_INV; low bits: its slot */
#define CONN_MW_SLOTS (2 * DAXMR_CONN_HOLD_MAX) /* a ro and a rw window per descriptor */
/* at most one WR per window is out at a time (BINDING, INVALIDATING) */
#define CONN_SEND_WRS (DAXMR_CONN_SEND_SLOTS + CONN_MW_SLOTS)
#define CONN_CQES (CONN_RECV_SLOTS + CONN_SEND_WRS)
#define CONN_CQ_ACK_BATCH 16u
#define CONN_POLL_BATCH 16

enum conn_hold_state {
	CONN_HOLD_HELD = 0,
	CONN_HOLD_REVOKE_SENT,
	CONN_HOLD_REVOKED,
};

/* One descriptor this connection holds. */
struct conn_hold {
	TAILQ_ENTRY(conn_hold) link;
	struct daxmr_export *exp; /* borrowed: exports outlive connections */
	uint32_t export_id;
	uint64_t gen;
	enum daxmr_proto_access access;
	enum conn_hold_state state;
	uint64_t revoke_req_id;
};

TAILQ_HEAD(conn_hold_list, conn_hold);

enum conn_mw_state {
	CONN_MW_FREE = 0,
	CONN_MW_BINDING,
	CONN_MW_BOUND,
	CONN_MW_INVALIDATING,
};

/* One memory window of this connection: bound on its QP over an export's MR. */
struct conn_mw {
	enum conn_mw_state state;
	struct ibv_mw *mw;	  /* owned; NULL once deallocated while its WR is still out */
	struct daxmr_export *exp; /* borrowed: exports outlive connections */
	struct conn_hold *hold;	  /* borrowed: BOUND: the descriptor whose key it is */
	uint64_t gen;
	uint32_t rkey; /* the bound window's key (ibv_inc_rkey of the allocated one) */
	enum daxmr_proto_access access;
	bool ack;		      /* INVALIDATING: the completion is (exp, gen)'s revoke ack */
	uint64_t req_id;	      /* BINDING: the OPEN answered when the bind completes */
	struct daxmr_proto_desc desc; /* BINDING: its descriptor, rkey still 0 */
};

struct daxmr_conn {
	enum daxmr_conn_state state;
	struct daxmr_conn_env env; /* its pointers borrowed: see struct daxmr_conn_env */
	struct rdma_cm_id *id;	   /* owned */
	struct ibv_cq *cq;	   /* owned */
	struct ibv_qp *qp;	   /* borrowed: id->qp, destroyed with rdma_destroy_qp */
	uint8_t *buf;		   /* owned: CONN_SLOTS x DAXMR_PROTO_MSG_MAX, receives first */
	struct ibv_mr *mr;	   /* owned: over buf */
	unsigned int cq_unacked;   /* completion events taken but not yet acked */
	uint16_t version;	   /* chosen at connect */
	uint16_t cm_version_min, cm_version_max; /* the connect private data's range */
	uint8_t recv_free[CONN_RECV_SLOTS];	 /* stack of receive slots not posted */
	unsigned int recv_nfree;
	unsigned int recv_posted;
	uint8_t send_free[DAXMR_CONN_SEND_SLOTS]; /* stack of free send slots */
	unsigned int send_nfree;
	unsigned int revokes_unacked; /* holds in REVOKE_SENT whose receive we posted */
	uint64_t next_req_id;
	struct conn_hold_list holds;
	size_t nholds;
	struct conn_mw mws[CONN_MW_SLOTS];
	unsigned int nbinding; /* windows BINDING: OPENs that will become holds */
	bool dead_reported;    /* ops.dead called */
	bool denied;	     /* a failed AUTH: disconnect once its reply is sent, ignore the rest */
	int64_t accepted_ms; /* daxmr_clock_ms() at accept: the handshake deadline counts from it */
	uint8_t challenge[DAXMR_PROTO_AUTH_CHALLENGE_SIZE]; /* WAIT_AUTH: sent in the HELLO reply */
	char peer[64];					    /* "ADDR:PORT" for logs */
	char client[DAXMR_PROTO_NAME_MAX + 1];		    /* the HELLO name, for logs */
};

/* Names of the states, for logs. */
const char *daxmr_conn_state_str(enum daxmr_conn_state state)
{
	switch (state) {
	case DAXMR_CONN_ACCEPTING:
		return "accepting";
	case DAXMR_CONN_WAIT_HELLO:
		return "wait-hello";
	case DAXMR_CONN_WAIT_AUTH:
		return "wait-auth";
	case DAXMR_CONN_READY:
		return "ready";
	case DAXMR_CONN_CLOSING:
		return "closing";
	case DAXMR_CONN_CLOSED:
		return "closed";
	}
	return "unknown";
}

/* "ADDR:PORT" of the peer of id. */
static void conn_peer_str(struct rdma_cm_id *id, char *buf, size_t size)
{
	struct sockaddr *sa = rdma_get_peer_addr(id);
	char addr[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (sa && sa->sa_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(buf, size, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

/* The oldest version this server accepts: 2 when clients must authenticate (AUTH is v2). */
static uint16_t conn_version_min(const struct daxmr_conn_env *env)
{
	return env->key ? DAXMR_PROTO_VERSION_AUTH : DAXMR_PROTO_VERSION_MIN;
}

/* Rejects a connect request with reject private data; logs why. */
static void conn_reject(const struct daxmr_conn_env *env, struct rdma_cm_id *id, const char *peer,
			enum daxmr_proto_status status, const char *why)
{
	struct daxmr_proto_cm_reject rej = {
		.status = status,
		.version_min = conn_version_min(env),
		.version_max = DAXMR_PROTO_VERSION_MAX,
	};
	uint8_t pdata[DAXMR_PROTO_CM_REJECT_SIZE];
	int n, ret;

	DAXMR_LOG_WRN("connection from %s rejected (%s): %s", peer, daxmr_proto_status_str(status),
		      why);
	n = daxmr_proto_cm_reject_encode(&rej, pdata, sizeof(pdata));
	if (rdma_reject(id, n > 0 ? pdata : NULL, n > 0 ? (uint8_t)n : 0)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_reject", ret, "connection from %s", peer);
	}
}

void daxmr_conn_reject(const struct daxmr_conn_env *env, struct rdma_cm_id *id,
		       enum daxmr_proto_status status, const char *why)
{
	char peer[64];

	conn_peer_str(id, peer, sizeof(peer));
	conn_reject(env, id, peer, status, why);
}

/* Posts receives until credits + unacked REVOKEs are posted (or no buffer is left). */
static int conn_post_recvs(struct daxmr_conn *conn)
{
	unsigned int want = DAXMR_CONN_CREDITS + conn->revokes_unacked;
	struct ibv_recv_wr wr, *bad = NULL;
	struct ibv_sge sge;
	unsigned int slot;
	int ret;

	while (conn->recv_posted < want && conn->recv_nfree > 0) {
		slot = conn->recv_free[conn->recv_nfree - 1];
		sge.addr = (uint64_t)(uintptr_t)(conn->buf + (size_t)slot * DAXMR_PROTO_MSG_MAX);
		sge.length = DAXMR_PROTO_MSG_MAX;
		sge.lkey = conn->mr->lkey;
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = slot;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		ret = -ibv_post_recv(conn->qp, &wr, &bad);
		if (ret) {
			DAXMR_LOG_CALL_ERR("ibv_post_recv", ret, "connection %s, slot %u",
					   conn->peer, slot);
			return ret;
		}
		conn->recv_nfree--;
		conn->recv_posted++;
	}
	return 0;
}

/* Tells the server to delete a connection rdma_cm will say nothing more about. */
static void conn_report_dead(struct daxmr_conn *conn)
{
	if (conn->dead_reported)
		return;
	conn->dead_reported = true;
	if (conn->env.ops.dead)
		conn->env.ops.dead(conn->env.arg, conn);
}

/* Deallocates a window now: from here its rkey is dead. NULL-safe. */
static void conn_mw_dealloc(struct daxmr_conn *conn, struct conn_mw *w)
{
	int ret;

	if (!w->mw)
		return;
	ret = -ibv_dealloc_mw(w->mw);
	if (ret)
		DAXMR_LOG_CALL_ERR("ibv_dealloc_mw", ret, "connection %s, rkey 0x%x", conn->peer,
				   w->rkey);
	w->mw = NULL;
}

/*
 * Cuts the client off every window at once (ibv_dealloc_mw: no completion to wait for), for a
 * connection going or gone. report: also report the revoke acks that invalidations in flight
 * were carrying. Slots with a WR still out stay until its completion (or the QP's end).
 */
static void conn_mw_drop_all(struct daxmr_conn *conn, bool report)
{
	struct conn_mw *w;
	unsigned int i;

	for (i = 0; i < CONN_MW_SLOTS; i++) {
		w = &conn->mws[i];
		if (w->state == CONN_MW_FREE)
			continue;
		conn_mw_dealloc(conn, w);
		if (w->state == CONN_MW_BOUND) {
			memset(w, 0, sizeof(*w));
			continue;
		}
		if (report && w->ack) {
			w->ack = false;
			if (conn->env.ops.revoke_ack)
				conn->env.ops.revoke_ack(conn->env.arg, w->exp, w->gen);
		}
	}
}

/* Disconnects: CLOSING; the server deletes the connection on DISCONNECTED. */
int daxmr_conn_check_handshake(struct daxmr_conn *conn, int64_t now_ms)
{
	if (conn->state != DAXMR_CONN_ACCEPTING && conn->state != DAXMR_CONN_WAIT_HELLO &&
	    conn->state != DAXMR_CONN_WAIT_AUTH)
		return 0;
	if (now_ms - conn->accepted_ms < DAXMR_CONN_HANDSHAKE_MS)
		return 0;
	DAXMR_LOG_WRN("connection %s (%s): still %s %d ms after accept: disconnecting", conn->peer,
		      conn->client, daxmr_conn_state_str(conn->state), DAXMR_CONN_HANDSHAKE_MS);
	daxmr_conn_disconnect(conn);
	return 1;
}

void daxmr_conn_disconnect(struct daxmr_conn *conn)
{
	int ret;

	if (conn->state == DAXMR_CONN_CLOSING || conn->state == DAXMR_CONN_CLOSED)
		return;
	conn->state = DAXMR_CONN_CLOSING;
	/* a misbehaving or departing client loses its keys now, not when rdma_cm says so */
	conn_mw_drop_all(conn, false);
	if (rdma_disconnect(conn->id)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_disconnect", ret, "connection %s", conn->peer);
		/* no DISCONNECTED event will come: let the server delete it from the loop */
		conn_report_dead(conn);
	}
}

/* Encodes msg into a free send slot and posts it; a full ring disconnects the client. */
static int conn_send(struct daxmr_conn *conn, const struct daxmr_proto_msg *msg)
{
	struct ibv_send_wr wr, *bad = NULL;
	struct ibv_sge sge;
	unsigned int slot;
	uint8_t *p;
	int n, ret;

	if (conn->state == DAXMR_CONN_CLOSING || conn->state == DAXMR_CONN_CLOSED)
		return -ENOTCONN;
	if (conn->send_nfree == 0) {
		DAXMR_LOG_WRN("connection %s (%s): send ring of %d full (the client does not keep "
			      "receives posted): disconnecting",
			      conn->peer, conn->client, DAXMR_CONN_SEND_SLOTS);
		daxmr_conn_disconnect(conn);
		return -ENOBUFS;
	}
	slot = conn->send_free[conn->send_nfree - 1];
	p = conn->buf + (size_t)(CONN_RECV_SLOTS + slot) * DAXMR_PROTO_MSG_MAX;
	n = daxmr_proto_msg_encode(msg, p, DAXMR_PROTO_MSG_MAX);
	if (n < 0) {
		DAXMR_LOG_ERR("connection %s: cannot encode %s (status %s): %s", conn->peer,
			      daxmr_proto_opcode_str(msg->hdr.opcode),
			      daxmr_proto_status_str(msg->hdr.status), daxmr_log_strerror(n));
		return n;
	}
	sge.addr = (uint64_t)(uintptr_t)p;
	sge.length = (uint32_t)n;
	sge.lkey = conn->mr->lkey;
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = CONN_WR_SEND | slot;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	ret = -ibv_post_send(conn->qp, &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_send", ret, "connection %s, %s, %d bytes", conn->peer,
				   daxmr_proto_opcode_str(msg->hdr.opcode), n);
		daxmr_conn_disconnect(conn);
		return ret;
	}
	conn->send_nfree--;
	return 0;
}

/* A reply header for req with status (payload filled by the caller when OK). */
static void conn_reply_init(const struct daxmr_conn *conn, const struct daxmr_proto_hdr *req,
			    enum daxmr_proto_status status, struct daxmr_proto_msg *reply)
{
	memset(reply, 0, sizeof(*reply));
	reply->hdr.version = conn->version;
	reply->hdr.opcode = req->opcode;
	reply->hdr.status = status;
	reply->hdr.flags = DAXMR_PROTO_F_REPLY;
	reply->hdr.request_id = req->request_id;
}

/* Protocol violation: ERROR (best effort), then disconnect. */
static void conn_protocol_error(struct daxmr_conn *conn, enum daxmr_proto_status status,
				const char *why)
{
	struct daxmr_proto_msg err;

	DAXMR_LOG_WRN("connection %s (%s): protocol error: %s: sending ERROR %s and disconnecting",
		      conn->peer, conn->client, why, daxmr_proto_status_str(status));
	memset(&err, 0, sizeof(err));
	err.hdr.version = conn->version;
	err.hdr.opcode = DAXMR_PROTO_OP_ERROR;
	err.hdr.status = status;
	err.hdr.flags = DAXMR_PROTO_F_REPLY;
	err.hdr.request_id = 0;
	(void)conn_send(conn, &err);
	daxmr_conn_disconnect(conn);
}

/* This connection's descriptor of export id, or NULL. */
static struct conn_hold *conn_hold_find(struct daxmr_conn *conn, uint32_t export_id)
{
	struct conn_hold *h;

	for (h = TAILQ_FIRST(&conn->holds); h; h = TAILQ_NEXT(h, link))
		if (h->export_id == export_id)
			return h;
	return NULL;
}

/*
 * Posts LOCAL_INV of a BOUND window (its completion deallocates it); deallocates it at once when
 * the connection is going down or the post fails. Returns 1 if a completion will follow, else 0.
 */
static int conn_mw_invalidate(struct daxmr_conn *conn, struct conn_mw *w)
{
	struct ibv_send_wr wr, *bad = NULL;
	int ret;

	w->hold = NULL;
	if (w->mw && conn->state != DAXMR_CONN_CLOSING && conn->state != DAXMR_CONN_CLOSED) {
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = CONN_WR_MW | (uint64_t)(w - conn->mws);
		wr.opcode = IBV_WR_LOCAL_INV;
		wr.send_flags = IBV_SEND_SIGNALED;
		wr.invalidate_rkey = w->rkey;
		ret = -ibv_post_send(conn->qp, &wr, &bad);
		if (ret == 0) {
			w->state = CONN_MW_INVALIDATING;
			w->ack = false;
			return 1;
		}
		DAXMR_LOG_CALL_ERR("ibv_post_send", ret,
				   "connection %s, LOCAL_INV of rkey 0x%x: deallocating it",
				   conn->peer, w->rkey);
	}
	conn_mw_dealloc(conn, w);
	memset(w, 0, sizeof(*w));
	return 0;
}

/*
 * The per-client cut-off of one descriptor: invalidates its windows (CLOSE, REVOKE_ACK, a new
 * generation). ack: the holder's revoke ack is reported once the last invalidation completes;
 * returns true if it was deferred so, false if the caller reports it (no window in flight).
 */
static bool conn_hold_cut(struct daxmr_conn *conn, struct conn_hold *h, bool ack)
{
	struct conn_mw *last = NULL;
	unsigned int i;

	for (i = 0; i < CONN_MW_SLOTS; i++)
		if (conn->mws[i].state == CONN_MW_BOUND && conn->mws[i].hold == h &&
		    conn_mw_invalidate(conn, &conn->mws[i]))
			last = &conn->mws[i];
	if (!last || !ack)
		return false;
	/* completions of one send queue come in order: the last one means all are done */
	last->ack = true;
	last->exp = h->exp;
	last->gen = h->gen;
	return true;
}

/* Removes and frees a descriptor; one awaiting its ack counts as acked. */
static void conn_hold_drop(struct daxmr_conn *conn, struct conn_hold *h)
{
	bool deferred = conn_hold_cut(conn, h, h->state == CONN_HOLD_REVOKE_SENT);

	if (h->state == CONN_HOLD_REVOKE_SENT) {
		conn->revokes_unacked--;
		if (!deferred && conn->env.ops.revoke_ack)
			conn->env.ops.revoke_ack(conn->env.arg, h->exp, h->gen);
	}
	TAILQ_REMOVE(&conn->holds, h, link);
	conn->nholds--;
	free(h);
}

/* HELLO: the version range must contain the header version and repeat the connect data. */
static enum daxmr_proto_status conn_do_hello(struct daxmr_conn *conn,
					     const struct daxmr_proto_msg *req,
					     struct daxmr_proto_msg *reply)
{
	const struct daxmr_proto_hello *h = &req->hello;

	if (conn->state != DAXMR_CONN_WAIT_HELLO)
		return DAXMR_PROTO_STATUS_BAD_STATE;
	if (req->hdr.version != conn->version || h->version_min > conn->version ||
	    h->version_max < conn->version || h->version_min != conn->cm_version_min ||
	    h->version_max != conn->cm_version_max)
		return DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION;
	snprintf(conn->client, sizeof(conn->client), "%s", h->name);
	DAXMR_LOG_INF("connection %s: HELLO from %s, version %u%s", conn->peer, conn->client,
		      conn->version, conn->env.key ? ", must authenticate" : "");
	reply->hello_reply.version = conn->version;
	reply->hello_reply.flags = 0;
	if (conn->env.key) {
		daxmr_auth_random(conn->challenge, sizeof(conn->challenge));
		memcpy(reply->hello_reply.challenge, conn->challenge, sizeof(conn->challenge));
		reply->hello_reply.flags = DAXMR_PROTO_HELLO_F_AUTH;
		conn->state = DAXMR_CONN_WAIT_AUTH;
	} else {
		conn->state = DAXMR_CONN_READY;
	}
	snprintf(reply->hello_reply.name, sizeof(reply->hello_reply.name), "%s",
		 conn->env.server_name);
	return DAXMR_PROTO_STATUS_OK;
}

/*
 * AUTH: the client's proof over our challenge and its nonce, checked in constant time; ours goes
 * back in the reply. A wrong proof is answered ACCESS_DENIED and the connection is closed once
 * that reply is sent: one attempt per connection.
 */
static enum daxmr_proto_status conn_do_auth(struct daxmr_conn *conn,
					    const struct daxmr_proto_msg *req,
					    struct daxmr_proto_msg *reply)
{
	const struct daxmr_proto_auth *a = &req->auth;

	if (conn->state != DAXMR_CONN_WAIT_AUTH)
		return DAXMR_PROTO_STATUS_BAD_STATE;
	if (!daxmr_auth_verify(conn->env.key, DAXMR_AUTH_CLIENT, conn->challenge, a->nonce,
			       a->proof)) {
		DAXMR_LOG_WRN("connection %s (%s): AUTH failed: the client's proof does not match "
			      "our secret; disconnecting",
			      conn->peer, conn->client);
		conn->denied = true;
		return DAXMR_PROTO_STATUS_ACCESS_DENIED;
	}
	daxmr_auth_proof(conn->env.key, DAXMR_AUTH_SERVER, conn->challenge, a->nonce,
			 reply->auth_reply.proof);
	conn->state = DAXMR_CONN_READY;
	DAXMR_LOG_INF("connection %s (%s): authenticated", conn->peer, conn->client);
	return DAXMR_PROTO_STATUS_OK;
}

/* Whether this connection's peer address may see and open exp (its allowlist). */
static bool conn_admitted(const struct daxmr_conn *conn, const struct daxmr_export *exp)
{
	return daxmr_export_admits(exp, rdma_get_peer_addr(conn->id));
}

/* LIST: one page of the exports that can be opened (or are being revoked). */
static enum daxmr_proto_status conn_do_list(struct daxmr_conn *conn,
					    const struct daxmr_proto_msg *req,
					    struct daxmr_proto_msg *reply)
{
	struct daxmr_proto_list_reply *lr = &reply->list_reply;
	struct daxmr_proto_export entry;
	struct daxmr_export *exp;
	uint64_t listed = 0;
	size_t i;

	lr->start = req->list.start;
	lr->count = 0;
	lr->flags = 0;
	for (i = 0; (exp = conn->env.ops.nth(conn->env.arg, i)) != NULL; i++) {
		if (!conn_admitted(conn, exp) || daxmr_export_entry(exp, &entry))
			continue; /* not for this client, or not established: nothing to list */
		if (listed++ < req->list.start)
			continue;
		if (lr->count == DAXMR_PROTO_LIST_MAX) {
			lr->flags |= DAXMR_PROTO_LIST_F_MORE;
			break;
		}
		lr->entries[lr->count++] = entry;
	}
	return DAXMR_PROTO_STATUS_OK;
}

/*
 * Records an OPEN's descriptor (new, re-opened, or of a new generation); w: the window whose key
 * desc carries, attached to the descriptor (a window of the same access it had is invalidated).
 */
static enum daxmr_proto_status conn_open_finish(struct daxmr_conn *conn, struct daxmr_export *exp,
						const struct daxmr_proto_desc *desc,
						struct conn_mw *w)
{
	struct conn_hold *h = conn_hold_find(conn, desc->export_id);
	unsigned int i;

	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return DAXMR_PROTO_STATUS_BUSY;
		h->exp = exp;
		h->export_id = desc->export_id;
		TAILQ_INSERT_TAIL(&conn->holds, h, link);
		conn->nholds++;
	} else if (h->state == CONN_HOLD_REVOKE_SENT) {
		/* the export is AVAILABLE again: the old REVOKE's ack will never matter */
		conn->revokes_unacked--;
	}
	if (h->gen != desc->generation)
		(void)conn_hold_cut(conn, h, false); /* an old generation's keys */
	if (w) {
		for (i = 0; i < CONN_MW_SLOTS; i++)
			if (&conn->mws[i] != w && conn->mws[i].state == CONN_MW_BOUND &&
			    conn->mws[i].hold == h && conn->mws[i].access == w->access)
				(void)conn_mw_invalidate(conn, &conn->mws[i]);
		w->state = CONN_MW_BOUND;
		w->hold = h;
	}
	if (h->state != CONN_HOLD_HELD || h->gen != desc->generation ||
	    desc->access == DAXMR_PROTO_ACCESS_RW)
		h->access = desc->access; /* a ro re-OPEN leaves an earlier rw key valid */
	h->gen = desc->generation;
	h->state = CONN_HOLD_HELD;
	DAXMR_LOG_INF("connection %s (%s): OPEN %s %s: generation %" PRIu64 ", rkey 0x%x (%s)",
		      conn->peer, conn->client, daxmr_export_name(exp),
		      desc->access == DAXMR_PROTO_ACCESS_RW ? "rw" : "ro", desc->generation,
		      desc->rkey,
		      desc->key_kind == DAXMR_PROTO_KEY_MW ? "memory window" : "MR key");
	return DAXMR_PROTO_STATUS_OK;
}

/*
 * A window for an OPEN: the one this descriptor already has for this access and generation
 * (0, desc->rkey set, *w_ptr it), or a new one allocated and its bind posted (1: the reply waits
 * for the completion). -ENOBUFS: no free slot; another -errno: fall back to the MR key.
 */
static int conn_open_window(struct daxmr_conn *conn, struct daxmr_export *exp, uint64_t req_id,
			    const struct ibv_mw_bind_info *bind, struct daxmr_proto_desc *desc,
			    struct conn_mw **w_ptr)
{
	struct conn_hold *h = conn_hold_find(conn, desc->export_id);
	struct ibv_send_wr wr, *bad = NULL;
	struct conn_mw *w = NULL, *x;
	char why[96];
	unsigned int i;
	int ret;

	for (i = 0; i < CONN_MW_SLOTS; i++) {
		x = &conn->mws[i];
		if (h && h->state == CONN_HOLD_HELD && h->gen == desc->generation &&
		    x->state == CONN_MW_BOUND && x->hold == h && x->access == desc->access) {
			desc->rkey = x->rkey;
			*w_ptr = x;
			return 0;
		}
		if (!w && x->state == CONN_MW_FREE)
			w = x;
	}
	if (!w)
		return -ENOBUFS;
	w->mw = ibv_alloc_mw(conn->env.pd, IBV_MW_TYPE_2);
	if (!w->mw) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_alloc_mw", ret, "connection %s, type 2, export %u",
				   conn->peer, desc->export_id);
		snprintf(why, sizeof(why), "ibv_alloc_mw failed: %s", daxmr_log_strerror(ret));
		daxmr_export_window_failed(exp, why);
		return ret;
	}
	w->rkey = ibv_inc_rkey(w->mw->rkey);
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = CONN_WR_MW | (uint64_t)(w - conn->mws);
	wr.opcode = IBV_WR_BIND_MW;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.bind_mw.mw = w->mw;
	wr.bind_mw.rkey = w->rkey;
	wr.bind_mw.bind_info = *bind;
	ret = -ibv_post_send(conn->qp, &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_send", ret, "connection %s, BIND_MW for export %u",
				   conn->peer, desc->export_id);
		snprintf(why, sizeof(why), "posting BIND_MW failed: %s", daxmr_log_strerror(ret));
		daxmr_export_window_failed(exp, why);
		conn_mw_dealloc(conn, w);
		memset(w, 0, sizeof(*w));
		return ret;
	}
	w->state = CONN_MW_BINDING;
	w->exp = exp;
	w->gen = desc->generation;
	w->access = desc->access;
	w->req_id = req_id;
	w->desc = *desc;
	conn->nbinding++;
	return 1;
}

/* OPEN: a descriptor with the access asked for; *deferred: answered when its window is bound. */
static enum daxmr_proto_status conn_do_open(struct daxmr_conn *conn,
					    const struct daxmr_proto_msg *req,
					    struct daxmr_proto_msg *reply, bool *deferred)
{
	struct daxmr_export *exp = conn->env.ops.find_name(conn->env.arg, req->open.name);
	struct ibv_mw_bind_info bind;
	struct conn_mw *w = NULL;
	struct conn_hold *h;
	int ret;

	if (!exp)
		return DAXMR_PROTO_STATUS_NO_SUCH_EXPORT;
	if (!conn_admitted(conn, exp)) {
		DAXMR_LOG_NTC("connection %s (%s): OPEN %s denied: the export's allowlist does "
			      "not hold the client's address",
			      conn->peer, conn->client, daxmr_export_name(exp));
		return DAXMR_PROTO_STATUS_ACCESS_DENIED;
	}
	h = conn_hold_find(conn, daxmr_export_id(exp));
	if (!h && conn->nholds + conn->nbinding >= DAXMR_CONN_HOLD_MAX)
		return DAXMR_PROTO_STATUS_BUSY;
	ret = daxmr_export_window(exp, req->open.access, &reply->desc, &bind);
	if (ret == 0) {
		ret = conn_open_window(conn, exp, req->hdr.request_id, &bind, &reply->desc, &w);
		if (ret == 1) {
			*deferred = true;
			return DAXMR_PROTO_STATUS_OK;
		}
		if (ret == 0)
			return conn_open_finish(conn, exp, &reply->desc, w);
		if (ret == -ENOBUFS)
			return DAXMR_PROTO_STATUS_BUSY;
		ret = -EOPNOTSUPP; /* no window for this one: the MR key, logged once */
	}
	if (ret == -EOPNOTSUPP)
		ret = daxmr_export_desc(exp, req->open.access, &reply->desc);
	if (ret == -EACCES)
		return DAXMR_PROTO_STATUS_ACCESS_DENIED;
	if (ret == -EAGAIN)
		return DAXMR_PROTO_STATUS_REVOKING;
	if (ret)
		return DAXMR_PROTO_STATUS_INTERNAL;
	return conn_open_finish(conn, exp, &reply->desc, NULL);
}

/* The status for a request naming a descriptor this connection does not hold. */
static enum daxmr_proto_status conn_not_held(struct daxmr_conn *conn, uint32_t export_id)
{
	return conn->env.ops.find_id(conn->env.arg, export_id) ? DAXMR_PROTO_STATUS_NOT_OPEN :
								 DAXMR_PROTO_STATUS_NO_SUCH_EXPORT;
}

/* CLOSE: drop the descriptor; under revocation it is the ack. */
static enum daxmr_proto_status conn_do_close(struct daxmr_conn *conn,
					     const struct daxmr_proto_msg *req)
{
	struct conn_hold *h = conn_hold_find(conn, req->close.export_id);

	if (!h)
		return conn_not_held(conn, req->close.export_id);
	if (h->gen != req->close.generation)
		return DAXMR_PROTO_STATUS_STALE_GENERATION;
	DAXMR_LOG_INF("connection %s (%s): CLOSE export %u generation %" PRIu64, conn->peer,
		      conn->client, h->export_id, h->gen);
	conn_hold_drop(conn, h);
	return DAXMR_PROTO_STATUS_OK;
}

/* FLUSH: persist a range of a descriptor still mapped. */
static enum daxmr_proto_status conn_do_flush(struct daxmr_conn *conn,
					     const struct daxmr_proto_msg *req)
{
	const struct daxmr_proto_flush *f = &req->flush;
	struct conn_hold *h = conn_hold_find(conn, f->export_id);
	int ret;

	if (!h)
		return conn_not_held(conn, f->export_id);
	if (h->gen != f->generation || h->state == CONN_HOLD_REVOKED ||
	    daxmr_export_generation(h->exp) != f->generation)
		return DAXMR_PROTO_STATUS_STALE_GENERATION;
	ret = daxmr_export_flush(h->exp, f->offset, f->length);
	if (ret == -ERANGE)
		return DAXMR_PROTO_STATUS_OUT_OF_RANGE;
	if (ret == -EAGAIN)
		return DAXMR_PROTO_STATUS_STALE_GENERATION;
	if (ret)
		return DAXMR_PROTO_STATUS_INTERNAL;
	return DAXMR_PROTO_STATUS_OK;
}

/* REVOKE_ACK: the client stopped using the descriptor. Never answered. */
static void conn_do_revoke_ack(struct daxmr_conn *conn, const struct daxmr_proto_msg *msg)
{
	const struct daxmr_proto_export_ref *ref = &msg->revoke_ack;
	struct conn_hold *h = conn_hold_find(conn, ref->export_id);

	if (!h || h->gen != ref->generation || h->state != CONN_HOLD_REVOKE_SENT) {
		DAXMR_LOG_DBG("connection %s: REVOKE_ACK of export %u generation %" PRIu64
			      " matches no REVOKE: ignored",
			      conn->peer, ref->export_id, ref->generation);
		return;
	}
	if (msg->hdr.request_id != h->revoke_req_id)
		DAXMR_LOG_DBG("connection %s: REVOKE_ACK carries request id %" PRIu64
			      ", the REVOKE had %" PRIu64,
			      conn->peer, msg->hdr.request_id, h->revoke_req_id);
	h->state = CONN_HOLD_REVOKED;
	conn->revokes_unacked--;
	DAXMR_LOG_INF("connection %s (%s): REVOKE_ACK export %u generation %" PRIu64, conn->peer,
		      conn->client, h->export_id, h->gen);
	/* the release must not come before this client's windows are invalidated */
	if (!conn_hold_cut(conn, h, true) && conn->env.ops.revoke_ack)
		conn->env.ops.revoke_ack(conn->env.arg, h->exp, h->gen);
}

/* Whether opcode is a request a client may send. */
static bool conn_is_request(enum daxmr_proto_opcode op)
{
	return op == DAXMR_PROTO_OP_HELLO || op == DAXMR_PROTO_OP_LIST ||
	       op == DAXMR_PROTO_OP_OPEN || op == DAXMR_PROTO_OP_CLOSE ||
	       op == DAXMR_PROTO_OP_FLUSH || op == DAXMR_PROTO_OP_AUTH;
}

/*
 * Decodes and answers one received message. The receive buffer is free again before this runs
 * (the message was copied out by the decoder), and receives are reposted before the reply.
 */
static void conn_dispatch(struct daxmr_conn *conn, const void *buf, size_t len)
{
	struct daxmr_proto_msg msg, reply;
	enum daxmr_proto_status st;
	bool deferred = false;
	char why[96];
	int ret;

	if (conn->denied) {
		daxmr_conn_disconnect(conn); /* more after a failed AUTH: no need to wait */
		return;
	}
	ret = daxmr_proto_hdr_decode(buf, len, &msg.hdr);
	if (ret) {
		snprintf(why, sizeof(why), "%zu-byte message with a bad header (%s)", len,
			 daxmr_log_strerror(ret));
		conn_protocol_error(conn, daxmr_proto_status_from_err(ret), why);
		return;
	}
	if ((msg.hdr.flags & DAXMR_PROTO_F_REPLY) ||
	    (!conn_is_request(msg.hdr.opcode) && msg.hdr.opcode != DAXMR_PROTO_OP_REVOKE_ACK)) {
		snprintf(why, sizeof(why), "%s%s from a client",
			 daxmr_proto_opcode_str(msg.hdr.opcode),
			 (msg.hdr.flags & DAXMR_PROTO_F_REPLY) ? " reply" : "");
		conn_protocol_error(conn, DAXMR_PROTO_STATUS_BAD_MESSAGE, why);
		return;
	}
	if (msg.hdr.version != conn->version) {
		snprintf(why, sizeof(why), "header version %u, version %u was chosen",
			 msg.hdr.version, conn->version);
		conn_protocol_error(conn, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, why);
		return;
	}
	ret = daxmr_proto_msg_decode(buf, len, &msg);
	if (ret && msg.hdr.opcode == DAXMR_PROTO_OP_REVOKE_ACK) {
		snprintf(why, sizeof(why), "malformed REVOKE_ACK (%s)", daxmr_log_strerror(ret));
		conn_protocol_error(conn, daxmr_proto_status_from_err(ret), why);
		return;
	}
	if (msg.hdr.opcode == DAXMR_PROTO_OP_REVOKE_ACK) {
		if (conn->state == DAXMR_CONN_READY)
			conn_do_revoke_ack(conn, &msg);
		conn_post_recvs(conn);
		return;
	}
	conn_reply_init(conn, &msg.hdr, DAXMR_PROTO_STATUS_OK, &reply);
	if (ret) {
		st = daxmr_proto_status_from_err(ret);
		DAXMR_LOG_INF("connection %s (%s): malformed %s payload (%s): answered %s",
			      conn->peer, conn->client, daxmr_proto_opcode_str(msg.hdr.opcode),
			      daxmr_log_strerror(ret), daxmr_proto_status_str(st));
	} else if (msg.hdr.opcode == DAXMR_PROTO_OP_HELLO) {
		st = conn_do_hello(conn, &msg, &reply);
	} else if (msg.hdr.opcode == DAXMR_PROTO_OP_AUTH) {
		st = conn_do_auth(conn, &msg, &reply);
	} else if (conn->state == DAXMR_CONN_WAIT_AUTH) {
		st = DAXMR_PROTO_STATUS_ACCESS_DENIED; /* authenticate first */
	} else if (conn->state != DAXMR_CONN_READY) {
		st = DAXMR_PROTO_STATUS_BAD_STATE;
	} else {
		switch (msg.hdr.opcode) {
		case DAXMR_PROTO_OP_LIST:
			st = conn_do_list(conn, &msg, &reply);
			break;
		case DAXMR_PROTO_OP_OPEN:
			st = conn_do_open(conn, &msg, &reply, &deferred);
			break;
		case DAXMR_PROTO_OP_CLOSE:
			st = conn_do_close(conn, &msg);
			break;
		case DAXMR_PROTO_OP_FLUSH:
			st = conn_do_flush(conn, &msg);
			break;
		default:
			st = DAXMR_PROTO_STATUS_BAD_MESSAGE; /* unreachable: filtered above */
			break;
		}
	}
	if (st != DAXMR_PROTO_STATUS_OK) {
		conn_reply_init(conn, &msg.hdr, st, &reply);
		DAXMR_LOG_DBG("connection %s: %s answered %s", conn->peer,
			      daxmr_proto_opcode_str(msg.hdr.opcode), daxmr_proto_status_str(st));
	}
	/* the request's buffer goes back before its reply: the client may send again at once */
	if (conn_post_recvs(conn)) {
		daxmr_conn_disconnect(conn);
		return;
	}
	if (!deferred && conn_send(conn, &reply) == 0)
		return;
	if (conn->denied)
		daxmr_conn_disconnect(conn);
}

/* A BIND_MW completed: the OPEN waiting for it is answered now. */
static void conn_on_bind_wc(struct daxmr_conn *conn, struct conn_mw *w, const struct ibv_wc *wc)
{
	struct daxmr_proto_hdr req = { .version = conn->version,
				       .opcode = DAXMR_PROTO_OP_OPEN,
				       .request_id = w->req_id };
	struct daxmr_proto_msg reply;
	struct daxmr_proto_desc now;
	struct ibv_mw_bind_info bind;
	enum daxmr_proto_status st = DAXMR_PROTO_STATUS_REVOKING;

	conn->nbinding--;
	if (wc->status != IBV_WC_SUCCESS) {
		/* a failed WR takes the QP to the error state: no fallback on this connection */
		if (conn->state != DAXMR_CONN_CLOSING && conn->state != DAXMR_CONN_CLOSED)
			DAXMR_LOG_WRN("connection %s (%s): BIND_MW for export %u failed: %s: "
				      "disconnecting",
				      conn->peer, conn->client, w->desc.export_id,
				      ibv_wc_status_str(wc->status));
		conn_mw_dealloc(conn, w);
		memset(w, 0, sizeof(*w));
		daxmr_conn_disconnect(conn);
		return;
	}
	if (conn->state != DAXMR_CONN_READY) {
		conn_mw_dealloc(conn, w);
		memset(w, 0, sizeof(*w));
		return;
	}
	conn_reply_init(conn, &req, DAXMR_PROTO_STATUS_OK, &reply);
	/* revoked while the bind was out (no REVOKE reached this OPEN), or fenced: not handed out
	 */
	if (w->mw && daxmr_export_window(w->exp, w->access, &now, &bind) == 0 &&
	    now.generation == w->desc.generation) {
		reply.desc = w->desc;
		reply.desc.rkey = w->rkey;
		st = conn_open_finish(conn, w->exp, &reply.desc, w);
	}
	if (st != DAXMR_PROTO_STATUS_OK) {
		conn_mw_dealloc(conn, w);
		memset(w, 0, sizeof(*w));
		conn_reply_init(conn, &req, st, &reply);
		DAXMR_LOG_DBG("connection %s: OPEN answered %s after its bind", conn->peer,
			      daxmr_proto_status_str(st));
	}
	(void)conn_send(conn, &reply);
}

/* A window's BIND_MW or LOCAL_INV completed. */
static void conn_on_mw_wc(struct daxmr_conn *conn, struct conn_mw *w, const struct ibv_wc *wc)
{
	struct daxmr_export *exp = w->exp;
	uint64_t gen = w->gen;
	bool ack = w->ack;

	if (w->state == CONN_MW_BINDING) {
		conn_on_bind_wc(conn, w, wc);
		return;
	}
	if (w->state != CONN_MW_INVALIDATING) {
		DAXMR_LOG_ERR("connection %s: window completion for a slot in state %d", conn->peer,
			      (int)w->state);
		return;
	}
	conn_mw_dealloc(conn, w); /* invalidated, or the QP failed: dealloc ends it either way */
	memset(w, 0, sizeof(*w));
	if (ack && conn->env.ops.revoke_ack)
		conn->env.ops.revoke_ack(conn->env.arg, exp, gen);
	if (wc->status != IBV_WC_SUCCESS && conn->state != DAXMR_CONN_CLOSING &&
	    conn->state != DAXMR_CONN_CLOSED) {
		DAXMR_LOG_WRN("connection %s (%s): LOCAL_INV failed: %s: disconnecting", conn->peer,
			      conn->client, ibv_wc_status_str(wc->status));
		daxmr_conn_disconnect(conn);
	}
}

/* One completion. */
static void conn_on_wc(struct daxmr_conn *conn, const struct ibv_wc *wc)
{
	unsigned int slot = (unsigned int)(wc->wr_id & 0xffffffffu);
	bool send = (wc->wr_id & CONN_WR_SEND) != 0;

	if ((wc->wr_id & CONN_WR_MW) && !send && slot < CONN_MW_SLOTS) {
		conn_on_mw_wc(conn, &conn->mws[slot], wc);
		return;
	}
	if ((wc->wr_id & CONN_WR_MW) || (send && slot >= DAXMR_CONN_SEND_SLOTS) ||
	    (!send && slot >= CONN_RECV_SLOTS)) {
		DAXMR_LOG_ERR("connection %s: completion with unknown wr_id 0x%" PRIx64, conn->peer,
			      wc->wr_id);
		return;
	}
	if (send) {
		conn->send_free[conn->send_nfree++] = (uint8_t)slot;
	} else {
		conn->recv_posted--;
		conn->recv_free[conn->recv_nfree++] = (uint8_t)slot;
	}
	if (wc->status != IBV_WC_SUCCESS) {
		if (conn->state != DAXMR_CONN_CLOSING && conn->state != DAXMR_CONN_CLOSED) {
			DAXMR_LOG_WRN("connection %s (%s): %s completion failed: %s: disconnecting",
				      conn->peer, conn->client, send ? "send" : "receive",
				      ibv_wc_status_str(wc->status));
			daxmr_conn_disconnect(conn);
		}
		return;
	}
	if (send && conn->denied && conn->send_nfree == DAXMR_CONN_SEND_SLOTS) {
		daxmr_conn_disconnect(conn); /* the ACCESS_DENIED of a failed AUTH is out */
		return;
	}
	if (send || conn->state == DAXMR_CONN_CLOSING || conn->state == DAXMR_CONN_CLOSED)
		return;
	if (conn->state == DAXMR_CONN_ACCEPTING)
		conn->state = DAXMR_CONN_WAIT_HELLO; /* the client's side was established first */
	/* the slot is already free: the decoder copies everything it keeps */
	conn_dispatch(conn, conn->buf + (size_t)slot * DAXMR_PROTO_MSG_MAX, wc->byte_len);
}

/* Completion channel event of this CQ: ack in batches, re-arm, poll until empty. */
void daxmr_conn_on_cq_event(struct daxmr_conn *conn)
{
	struct ibv_wc wc[CONN_POLL_BATCH];
	int n, i, ret;

	if (++conn->cq_unacked >= CONN_CQ_ACK_BATCH) {
		ibv_ack_cq_events(conn->cq, conn->cq_unacked);
		conn->cq_unacked = 0;
	}
	ret = -ibv_req_notify_cq(conn->cq, 0);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_req_notify_cq", ret, "connection %s", conn->peer);
		daxmr_conn_disconnect(conn);
	}
	do {
		n = ibv_poll_cq(conn->cq, CONN_POLL_BATCH, wc);
		if (n < 0) {
			DAXMR_LOG_CALL_ERR("ibv_poll_cq", -EIO, "connection %s", conn->peer);
			daxmr_conn_disconnect(conn);
			return;
		}
		for (i = 0; i < n; i++)
			conn_on_wc(conn, &wc[i]);
	} while (n > 0);
}

/* Undoes daxmr_conn_new's resources in reverse order; NULL-safe per field. */
static int conn_destroy_resources(struct daxmr_conn *conn)
{
	int ret = 0, r;

	if (conn->qp) {
		rdma_destroy_qp(conn->id);
		conn->qp = NULL;
	}
	if (conn->mr) {
		r = -ibv_dereg_mr(conn->mr);
		if (r) {
			DAXMR_LOG_CALL_ERR("ibv_dereg_mr", r, "connection %s buffers", conn->peer);
			ret = ret ? ret : r;
		}
		conn->mr = NULL;
	}
	if (conn->cq) {
		if (conn->cq_unacked)
			ibv_ack_cq_events(conn->cq, conn->cq_unacked);
		conn->cq_unacked = 0;
		r = -ibv_destroy_cq(conn->cq);
		if (r) {
			DAXMR_LOG_CALL_ERR("ibv_destroy_cq", r, "connection %s", conn->peer);
			ret = ret ? ret : r;
		}
		conn->cq = NULL;
	}
	free(conn->buf);
	conn->buf = NULL;
	return ret;
}

/* Whether some export admits a client at sa (so a connection can be of any use to it). */
static bool conn_any_admits(const struct daxmr_conn_env *env, const struct sockaddr *sa)
{
	struct daxmr_export *exp;
	size_t i;

	for (i = 0; (exp = env->ops.nth(env->arg, i)) != NULL; i++)
		if (daxmr_export_admits(exp, sa))
			return true;
	return false;
}

/* Picks the version and checks the address and the device before anything is allocated. */
static int conn_check_request(const struct daxmr_conn_env *env, struct rdma_cm_id *id,
			      const char *peer, const void *pdata, size_t pdata_len,
			      struct daxmr_proto_cm_connect *cm, uint16_t *version_ptr)
{
	int ret;

	ret = daxmr_proto_cm_connect_decode(pdata, pdata_len, cm);
	if (ret) {
		conn_reject(env, id, peer, DAXMR_PROTO_STATUS_BAD_MESSAGE,
			    "no valid daxmr connect private data");
		return ret;
	}
	ret = daxmr_proto_version_pick(cm->version_min, cm->version_max);
	if (ret >= 0 && ret < conn_version_min(env))
		ret = -EPROTONOSUPPORT;
	if (ret < 0) {
		char why[128];

		snprintf(why, sizeof(why), "client speaks versions %u..%u, we speak %u..%u%s",
			 cm->version_min, cm->version_max, (unsigned int)conn_version_min(env),
			 (unsigned int)DAXMR_PROTO_VERSION_MAX,
			 env->key ? " (clients must authenticate, which needs version 2)" : "");
		conn_reject(env, id, peer, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, why);
		return ret;
	}
	*version_ptr = (uint16_t)ret;
	if (!conn_any_admits(env, rdma_get_peer_addr(id))) {
		conn_reject(env, id, peer, DAXMR_PROTO_STATUS_ACCESS_DENIED,
			    "no export's allowlist holds its address");
		return -EACCES;
	}
	if (id->verbs != env->pd->context) {
		conn_reject(env, id, peer, DAXMR_PROTO_STATUS_BUSY,
			    "it arrived on another RDMA device than the one daxmrd serves");
		return -ENODEV;
	}
	return 0;
}

/* Accepts a connect request: CQ, QP, buffers, receives, accept private data. */
int daxmr_conn_new(const struct daxmr_conn_env *env, struct rdma_cm_id *id, const void *pdata,
		   size_t pdata_len, const struct rdma_conn_param *req,
		   struct daxmr_conn **conn_ptr)
{
	struct daxmr_proto_cm_accept acc = { .credits = DAXMR_CONN_CREDITS };
	uint8_t acc_pdata[DAXMR_PROTO_CM_ACCEPT_SIZE];
	struct daxmr_proto_cm_connect cm;
	struct ibv_qp_init_attr qpa;
	struct rdma_conn_param param;
	struct daxmr_conn *conn;
	size_t size = (size_t)CONN_SLOTS * DAXMR_PROTO_MSG_MAX;
	enum daxmr_proto_status rej = DAXMR_PROTO_STATUS_BUSY;
	const char *rej_why = "no resources for the connection";
	char peer[64], what[128];
	unsigned int i;
	int ret, n;

	conn_peer_str(id, peer, sizeof(peer));
	ret = conn_check_request(env, id, peer, pdata, pdata_len, &cm, &acc.version);
	if (ret)
		return ret;
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		conn_reject(env, id, peer, DAXMR_PROTO_STATUS_BUSY, "out of memory");
		return -ENOMEM;
	}
	conn->env = *env;
	conn->id = id;
	conn->version = acc.version;
	conn->cm_version_min = cm.version_min;
	conn->cm_version_max = cm.version_max;
	conn->state = DAXMR_CONN_ACCEPTING;
	conn->accepted_ms = daxmr_clock_ms();
	TAILQ_INIT(&conn->holds);
	snprintf(conn->peer, sizeof(conn->peer), "%s", peer);
	snprintf(conn->client, sizeof(conn->client), "before HELLO");

	ret = posix_memalign((void **)&conn->buf, 4096, size);
	if (ret) {
		conn->buf = NULL;
		ret = -ret;
		DAXMR_LOG_CALL_ERR("posix_memalign", ret, "connection %s, %zu bytes", peer, size);
		goto err_reject;
	}
	memset(conn->buf, 0, size);
	snprintf(what, sizeof(what), "connection %s buffers (%zu bytes)", peer, size);
	/* pinned: counts against RLIMIT_MEMLOCK, and the helper names the limit when it is hit */
	ret = daxmr_verbs_reg(env->pd, conn->buf, size, IBV_ACCESS_LOCAL_WRITE, DAXMR_VERBS_PINNED,
			      what, &conn->mr, NULL);
	if (ret) {
		if (ret == -ENOMEM || ret == -EPERM || ret == -EAGAIN) {
			/* not a passing shortage: retrying will not help until the limit changes */
			rej = DAXMR_PROTO_STATUS_INTERNAL;
			rej_why = "cannot pin the connection's buffers (RLIMIT_MEMLOCK)";
		}
		goto err_reject;
	}
	conn->cq = ibv_create_cq(id->verbs, CONN_CQES, conn, env->cc, 0);
	if (!conn->cq) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_create_cq", ret, "connection %s, %d entries", peer,
				   CONN_CQES);
		goto err_reject;
	}
	ret = -ibv_req_notify_cq(conn->cq, 0);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_req_notify_cq", ret, "connection %s", peer);
		goto err_reject;
	}
	memset(&qpa, 0, sizeof(qpa));
	qpa.qp_type = IBV_QPT_RC;
	qpa.send_cq = conn->cq;
	qpa.recv_cq = conn->cq;
	qpa.cap.max_send_wr = CONN_SEND_WRS; /* the send ring and one WR per window */
	qpa.cap.max_recv_wr = CONN_RECV_SLOTS;
	qpa.cap.max_send_sge = 1;
	qpa.cap.max_recv_sge = 1;
	if (rdma_create_qp(id, env->pd, &qpa)) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("rdma_create_qp", ret, "connection %s, RC, %d send / %d recv",
				   peer, CONN_SEND_WRS, CONN_RECV_SLOTS);
		goto err_reject;
	}
	conn->qp = id->qp;
	for (i = 0; i < CONN_RECV_SLOTS; i++)
		conn->recv_free[conn->recv_nfree++] = (uint8_t)(CONN_RECV_SLOTS - 1 - i);
	for (i = 0; i < DAXMR_CONN_SEND_SLOTS; i++)
		conn->send_free[conn->send_nfree++] = (uint8_t)(DAXMR_CONN_SEND_SLOTS - 1 - i);
	ret = conn_post_recvs(conn);
	if (ret)
		goto err_reject;

	n = daxmr_proto_cm_accept_encode(&acc, acc_pdata, sizeof(acc_pdata));
	memset(&param, 0, sizeof(param));
	param.private_data = acc_pdata;
	param.private_data_len = n > 0 ? (uint8_t)n : 0;
	/* the client READs from us: take as many reads in flight as it asks, up to the device's */
	param.responder_resources = req && req->responder_resources ? req->responder_resources :
								      (uint8_t)env->max_rd_atom;
	if (env->max_rd_atom > 0 && param.responder_resources > env->max_rd_atom)
		param.responder_resources = (uint8_t)env->max_rd_atom;
	param.initiator_depth = 0; /* we issue no RDMA READ */
	param.retry_count = 7;
	param.rnr_retry_count = 7;
	id->context = conn;
	if (rdma_accept(id, &param)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_accept", ret, "connection %s", peer);
		id->context = NULL;
		goto err_destroy; /* a failed accept leaves nothing to reject */
	}
	DAXMR_LOG_INF("connection %s: accepted, version %u, %d credits", peer, conn->version,
		      DAXMR_CONN_CREDITS);
	*conn_ptr = conn;
	return 0;

err_reject:
	conn_reject(env, id, peer, rej, rej_why);
err_destroy:
	conn_destroy_resources(conn);
	free(conn);
	return ret;
}

/* rdma_cm ESTABLISHED. */
void daxmr_conn_on_established(struct daxmr_conn *conn)
{
	int ret;

	if (conn->state == DAXMR_CONN_ACCEPTING)
		conn->state = DAXMR_CONN_WAIT_HELLO;
	DAXMR_LOG_DBG("connection %s: established", conn->peer);
	if (conn->state != DAXMR_CONN_CLOSING)
		return;
	/*
	 * We disconnected on a message that arrived before rdma_cm reported ESTABLISHED; an
	 * rdma_disconnect then sends the peer nothing, so it would wait on a dead QP. Say it again.
	 */
	if (rdma_disconnect(conn->id)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_disconnect", ret, "connection %s (once established)",
				   conn->peer);
		conn_report_dead(conn);
	}
}

/* rdma_cm DISCONNECTED: the QP can issue nothing more, so REVOKEs in flight are answered. */
void daxmr_conn_on_disconnected(struct daxmr_conn *conn)
{
	struct conn_hold *h;

	if (conn->state != DAXMR_CONN_CLOSING && conn->state != DAXMR_CONN_CLOSED)
		(void)rdma_disconnect(conn->id); /* complete our side; failure changes nothing */
	conn->state = DAXMR_CONN_CLOSED;
	/* windows first: a reported ack may release an export, whose MR must have none bound */
	conn_mw_drop_all(conn, true);
	for (h = TAILQ_FIRST(&conn->holds); h; h = TAILQ_NEXT(h, link))
		if (h->state == CONN_HOLD_REVOKE_SENT) {
			h->state = CONN_HOLD_REVOKED;
			conn->revokes_unacked--;
			if (conn->env.ops.revoke_ack)
				conn->env.ops.revoke_ack(conn->env.arg, h->exp, h->gen);
		}
	DAXMR_LOG_INF("connection %s (%s): disconnected", conn->peer, conn->client);
}

/* Tears the connection down. */
int daxmr_conn_delete(struct daxmr_conn **conn_ptr)
{
	struct daxmr_conn *conn;
	struct conn_hold *h;
	int ret;

	if (!conn_ptr || !*conn_ptr)
		return 0;
	conn = *conn_ptr;
	conn_mw_drop_all(conn, true); /* before the acks below can release an export */
	/* each hold is unlinked before it is freed; the analyzer loses track in TAILQ_REMOVE */
	while ((h = TAILQ_FIRST(&conn->holds)) != NULL)
		conn_hold_drop(conn, h); /* NOLINT(clang-analyzer-unix.Malloc) */
	ret = conn_destroy_resources(conn);
	if (conn->id) {
		conn->id->context = NULL;
		if (rdma_destroy_id(conn->id)) {
			int r = -errno;

			DAXMR_LOG_CALL_ERR("rdma_destroy_id", r, "connection %s", conn->peer);
			ret = ret ? ret : r;
		}
	}
	free(conn);
	*conn_ptr = NULL;
	return ret;
}

/* REVOKE to this connection if it holds generation gen of exp. */
int daxmr_conn_revoke(struct daxmr_conn *conn, struct daxmr_export *exp, uint64_t gen,
		      enum daxmr_proto_revoke_reason reason, uint32_t deadline_ms)
{
	struct conn_hold *h = conn_hold_find(conn, daxmr_export_id(exp));
	struct daxmr_proto_msg msg;

	if (!h || h->gen != gen || h->state != CONN_HOLD_HELD || conn->state != DAXMR_CONN_READY)
		return 0;
	h->state = CONN_HOLD_REVOKE_SENT;
	h->revoke_req_id = ++conn->next_req_id;
	conn->revokes_unacked++;
	/* the ack needs a receive of its own: post it before the REVOKE can be answered */
	if (conn_post_recvs(conn))
		goto err;
	memset(&msg, 0, sizeof(msg));
	msg.hdr.version = conn->version;
	msg.hdr.opcode = DAXMR_PROTO_OP_REVOKE;
	msg.hdr.request_id = h->revoke_req_id;
	msg.revoke.export_id = h->export_id;
	msg.revoke.generation = gen;
	msg.revoke.deadline_ms = deadline_ms;
	msg.revoke.reason = reason;
	if (conn_send(conn, &msg))
		goto err;
	DAXMR_LOG_INF("connection %s (%s): REVOKE export %u generation %" PRIu64 " (%s), "
		      "deadline %u ms",
		      conn->peer, conn->client, h->export_id, gen,
		      reason == DAXMR_PROTO_REVOKE_SHUTDOWN ? "shutdown" : "lease-break or other",
		      deadline_ms);
	return 1;

err:
	/* the connection is going down: its disconnect, not an ack, ends its access */
	h->state = CONN_HOLD_HELD;
	conn->revokes_unacked--;
	daxmr_conn_disconnect(conn);
	return 0;
}

/* AVAILABLE for every revoked descriptor of exp this connection still has. */
void daxmr_conn_available(struct daxmr_conn *conn, struct daxmr_export *exp)
{
	struct conn_hold *h = conn_hold_find(conn, daxmr_export_id(exp));
	struct daxmr_proto_msg msg;

	if (!h || h->state == CONN_HOLD_HELD || h->gen == daxmr_export_generation(exp))
		return;
	if (h->state == CONN_HOLD_REVOKE_SENT)
		conn->revokes_unacked--;     /* its receive stays posted; a late ack will use it */
	(void)conn_hold_cut(conn, h, false); /* normally fenced already, at the release */
	TAILQ_REMOVE(&conn->holds, h, link);
	conn->nholds--;
	free(h);
	if (conn->state != DAXMR_CONN_READY)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.hdr.version = conn->version;
	msg.hdr.opcode = DAXMR_PROTO_OP_AVAILABLE;
	msg.hdr.request_id = ++conn->next_req_id;
	msg.available.export_id = daxmr_export_id(exp);
	msg.available.generation = daxmr_export_generation(exp);
	if (conn_send(conn, &msg) == 0)
		DAXMR_LOG_INF("connection %s (%s): AVAILABLE export %u generation %" PRIu64,
			      conn->peer, conn->client, msg.available.export_id,
			      msg.available.generation);
}

/* exp is about to be deregistered: deallocate every window of this connection over it. */
void daxmr_conn_fence(struct daxmr_conn *conn, struct daxmr_export *exp)
{
	struct conn_mw *w;
	unsigned int i;

	for (i = 0; i < CONN_MW_SLOTS; i++) {
		w = &conn->mws[i];
		if (w->state == CONN_MW_FREE || w->exp != exp)
			continue;
		if (w->mw)
			DAXMR_LOG_INF(
				"connection %s (%s): window 0x%x of export %u generation %" PRIu64
				" deallocated at the release",
				conn->peer, conn->client, w->rkey, w->desc.export_id, w->gen);
		conn_mw_dealloc(conn, w);
		w->ack = false; /* the revocation is finishing: its acks no longer matter */
		if (w->state == CONN_MW_BOUND)
			memset(w, 0, sizeof(*w));
	}
}

/* The number of windows allocated (any state but FREE with a window not yet deallocated). */
size_t daxmr_conn_windows(const struct daxmr_conn *conn)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < CONN_MW_SLOTS; i++)
		if (conn->mws[i].mw)
			n++;
	return n;
}

enum daxmr_conn_state daxmr_conn_state(const struct daxmr_conn *conn)
{
	return conn->state;
}

struct rdma_cm_id *daxmr_conn_id(const struct daxmr_conn *conn)
{
	return conn->id;
}

size_t daxmr_conn_holds(const struct daxmr_conn *conn)
{
	return conn->nholds;
}
