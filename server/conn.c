/* SPDX-License-Identifier: BSD-3-Clause */
/* conn.c -- one client connection: its state machine and the requests it answers */

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
 *        |                                                     |   |
 *        |                                                     |   +--bad proof--> DENIED
 *        |                                                     |        (ACCESS_DENIED sent;
 *        |                                                     |        its send completion or
 *        |                                                     |        any message: disconnect)
 *        +-----------------------+-----------------------------+---+----------+------+
 *                                | protocol error (ERROR, then rdma_disconnect), send ring
 *                                | full, completion error, handshake past
 *                                | DAXMR_CONN_HANDSHAKE_MS, server shutdown
 *                                v
 *                             CLOSING --rdma_cm DISCONNECTED--> CLOSED --> deleted by server
 *   (any state) --rdma_cm DISCONNECTED--> CLOSED
 *
 * Descriptors (holds) of a connection, one per export: HELD, REVOKE_SENT, REVOKED (hold.c
 * has their state diagram).
 *
 * Keys: where the device binds type-2 memory windows, each OPEN gets one of the connection's
 * windows (window.c has their state diagram) and its reply waits for the bind's completion. The
 * bind itself waits in a queue (the window slots, oldest first) until the QP's send queue is
 * idle, because rxe executes a bind posted behind an unacknowledged SEND twice when it
 * retransmits (conn_serve_binds); a full queue answers the OPEN BUSY; a
 * REVOKE_ACK or CLOSE under revocation is reported to the server once the descriptor's windows
 * are invalidated. Without windows the OPEN gets the export's MR key at once.
 *
 * Receives: DAXMR_CONN_CREDITS for requests, plus one per REVOKE awaiting its ack, reposted
 * before the reply is sent (docs/protocol.md, flow control). Memory is fixed at accept time:
 * (credits + DAXMR_CONN_HOLD_MAX) receive buffers and DAXMR_CONN_SEND_SLOTS send buffers.
 */
#include "conn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "cmreq.h"
#include "hold.h"
#include "log.h"
#include "metrics.h"
#include "transport.h"
#include "window.h"
#include "wrid.h"

_Static_assert(DAXMR_TRANSPORT_RECV_SLOTS == DAXMR_CONN_CREDITS + DAXMR_CONN_HOLD_MAX &&
		       DAXMR_TRANSPORT_SEND_SLOTS == DAXMR_CONN_SEND_SLOTS,
	       "a receive for every credit and every descriptor under revocation");
_Static_assert(DAXMR_WINDOW_SLOTS == 2 * DAXMR_CONN_HOLD_MAX * DAXMR_EXPORT_MW_SEGS_MAX,
	       "a ro and a rw window per segment for every descriptor a connection may hold");
_Static_assert(DAXMR_PROTO_AUTH_CHALLENGE_SIZE == DAXMR_AUTH_NONCE_SIZE &&
		       DAXMR_PROTO_AUTH_NONCE_SIZE == DAXMR_AUTH_NONCE_SIZE &&
		       DAXMR_PROTO_AUTH_PROOF_SIZE == DAXMR_AUTH_PROOF_SIZE,
	       "the wire's AUTH fields are the sizes common/auth works with");

/* the daxmr_wrid kinds of this connection's work requests; the slot is the low 32 bits */
enum conn_wr_kind {
	CONN_WR_RECV = 0, /* a receive slot */
	CONN_WR_SEND = 1, /* a send slot */
	CONN_WR_MW = 2,	  /* a window's BIND_MW or LOCAL_INV; the slot is the window's */
};
/* at most one WR per window is out at a time (BINDING, INVALIDATING) */
#define CONN_SEND_WRS (DAXMR_CONN_SEND_SLOTS + DAXMR_WINDOW_SLOTS)
#define CONN_POLL_BATCH 16

struct daxmr_conn {
	enum daxmr_conn_state state;
	struct daxmr_conn_env env; /* its pointers borrowed: see struct daxmr_conn_env */
	struct rdma_cm_id *id;	   /* owned */
	struct daxmr_transport tp; /* CQ, QP, message buffers */
	uint16_t version;	   /* chosen at connect */
	uint16_t cm_version_min, cm_version_max; /* the connect private data's range */
	uint64_t next_req_id;
	struct daxmr_hold_set holds;	 /* its pointers borrowed: see struct daxmr_hold_set */
	struct daxmr_window_set windows; /* its pointers borrowed: see struct daxmr_window_set */
	bool dead_reported;		 /* ops.dead called */
	int64_t accepted_ms; /* daxmr_clock_ms() at accept: the handshake deadline counts from it */
	int64_t unreachable_ms; /* daxmr_clock_ms() when a REVOKE went unanswered with sends unacked
				 * by the peer's device; 0: none (see daxmr_conn_expire_unreachable)
				 */
	uint8_t challenge[DAXMR_PROTO_AUTH_CHALLENGE_SIZE]; /* WAIT_AUTH: sent in the HELLO reply */
	char peer[64];					    /* "ADDR:PORT" for logs */
	char client[DAXMR_PROTO_NAME_MAX + 1];		    /* the HELLO name, for logs */
	char identity[DAXMR_PROTO_NAME_MAX + 1]; /* READY: the identity AUTH proved; "": none */
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
	case DAXMR_CONN_DENIED:
		return "denied";
	case DAXMR_CONN_CLOSING:
		return "closing";
	case DAXMR_CONN_CLOSED:
		return "closed";
	}
	return "unknown";
}

/* Rejects a connect request without a connection. */
void daxmr_conn_reject(const struct daxmr_conn_env *env, struct rdma_cm_id *id,
		       enum daxmr_proto_status status, const char *why)
{
	struct daxmr_cmreq r;

	daxmr_cmreq_init(&r, id, env->key != NULL, env->keys != NULL);
	daxmr_cmreq_reject(&r, status, why);
}

/* Posts receives until credits + unacked REVOKEs are posted (or no buffer is left). */
static int conn_post_recvs(struct daxmr_conn *conn)
{
	return daxmr_transport_post_recvs(&conn->tp,
					  DAXMR_CONN_CREDITS + conn->holds.revokes_unacked);
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

/* Whether the connection is going or gone (CLOSING, CLOSED): nothing more is sent or posted. */
static bool conn_is_down(const struct daxmr_conn *conn)
{
	return conn->state == DAXMR_CONN_CLOSING || conn->state == DAXMR_CONN_CLOSED;
}

/* One holder of generation gen of exp is done with its REVOKE: tells the server. */
static void conn_report_ack(void *arg, struct daxmr_export *exp, uint64_t gen)
{
	struct daxmr_conn *conn = arg;

	if (conn->env.ops.revoke_ack)
		conn->env.ops.revoke_ack(conn->env.arg, exp, gen);
}

/* Disconnects a connection still short of READY past its handshake deadline. */
int daxmr_conn_expire_handshake(struct daxmr_conn *conn, int64_t now_ms)
{
	if (conn->state != DAXMR_CONN_ACCEPTING && conn->state != DAXMR_CONN_WAIT_HELLO &&
	    conn->state != DAXMR_CONN_WAIT_AUTH && conn->state != DAXMR_CONN_DENIED)
		return 0;
	if (now_ms - conn->accepted_ms < DAXMR_CONN_HANDSHAKE_MS)
		return 0;
	DAXMR_LOG_WRN("connection %s (%s): still %s %d ms after accept: disconnecting", conn->peer,
		      conn->client, daxmr_conn_state_str(conn->state), DAXMR_CONN_HANDSHAKE_MS);
	daxmr_metrics_conn_rejected("HANDSHAKE_TIMEOUT");
	daxmr_conn_disconnect(conn);
	return -ETIMEDOUT;
}

/* Disconnects: CLOSING; the server deletes the connection on DISCONNECTED. */
void daxmr_conn_disconnect(struct daxmr_conn *conn)
{
	int ret;

	if (conn_is_down(conn))
		return;
	conn->state = DAXMR_CONN_CLOSING;
	/* a misbehaving or departing client loses its keys now, not when rdma_cm says so */
	daxmr_window_drop_all(&conn->windows, false);
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
	uint8_t *p;
	int n, ret;

	if (conn_is_down(conn))
		return -ENOTCONN;
	p = daxmr_transport_send_buf(&conn->tp);
	if (!p) {
		DAXMR_LOG_WRN("connection %s (%s): send ring of %d full (the client does not keep "
			      "receives posted): disconnecting",
			      conn->peer, conn->client, DAXMR_CONN_SEND_SLOTS);
		daxmr_conn_disconnect(conn);
		return -ENOBUFS;
	}
	n = daxmr_proto_msg_encode(msg, p, DAXMR_PROTO_MSG_MAX);
	if (n < 0) {
		DAXMR_LOG_ERR("connection %s: cannot encode %s (status %s): %s", conn->peer,
			      daxmr_proto_opcode_str(msg->hdr.opcode),
			      daxmr_proto_status_str(msg->hdr.status), daxmr_log_strerror(n));
		return n;
	}
	ret = daxmr_transport_post_send(&conn->tp, (uint32_t)n,
					daxmr_proto_opcode_str(msg->hdr.opcode));
	if (ret)
		daxmr_conn_disconnect(conn);
	return ret;
}

/* A message of this connection's version: zeroed, its header set (the payload is the caller's). */
static void conn_msg_init(const struct daxmr_conn *conn, enum daxmr_proto_opcode opcode,
			  enum daxmr_proto_status status, uint16_t flags, uint64_t request_id,
			  struct daxmr_proto_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
	msg->hdr.version = conn->version;
	msg->hdr.opcode = opcode;
	msg->hdr.status = status;
	msg->hdr.flags = flags;
	msg->hdr.request_id = request_id;
}

/* A reply header for req with status (payload filled by the caller when OK). */
static void conn_reply_init(const struct daxmr_conn *conn, const struct daxmr_proto_hdr *req,
			    enum daxmr_proto_status status, struct daxmr_proto_msg *reply)
{
	conn_msg_init(conn, req->opcode, status, DAXMR_PROTO_F_REPLY, req->request_id, reply);
}

/*
 * Why a failed reply failed, in words, from version 3 on (section 9.4): printable ASCII, cut to
 * DAXMR_PROTO_REASON_MAX bytes; versions 1 and 2 carry none.
 */
__attribute__((format(printf, 3, 4))) static void
conn_reason(const struct daxmr_conn *conn, struct daxmr_proto_msg *reply, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (conn->version < DAXMR_PROTO_VERSION_SEG)
		return;
	va_start(ap, fmt);
	vsnprintf(reply->reason, sizeof(reply->reason), fmt, ap);
	va_end(ap);
	for (i = 0; reply->reason[i]; i++)
		if (reply->reason[i] < 0x20 || reply->reason[i] > 0x7e)
			reply->reason[i] =
				'?'; /* a path or a kernel's message: never a control byte */
}

/* Protocol violation: ERROR (best effort), then disconnect. */
static void conn_protocol_error(struct daxmr_conn *conn, enum daxmr_proto_status status,
				const char *why)
{
	struct daxmr_proto_msg err;

	DAXMR_LOG_WRN("connection %s (%s): protocol error: %s: sending ERROR %s and disconnecting",
		      conn->peer, conn->client, why, daxmr_proto_status_str(status));
	conn_msg_init(conn, DAXMR_PROTO_OP_ERROR, status, DAXMR_PROTO_F_REPLY, 0, &err);
	conn_reason(conn, &err, "%s", why);
	(void)conn_send(conn, &err);
	daxmr_conn_disconnect(conn);
}

/* Whether clients must AUTH: the server has a secret or identities. */
static bool conn_auth_required(const struct daxmr_conn *conn)
{
	return conn->env.key || conn->env.keys;
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
		      conn->version, conn_auth_required(conn) ? ", must authenticate" : "");
	reply->hello_reply.version = conn->version;
	reply->hello_reply.flags = 0;
	if (conn_auth_required(conn)) {
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
 * The key the AUTH's identity names: from version 4 "" is the anonymous identity (the secret's)
 * and any other name one of the keys directory's; before version 4 there is only the secret.
 * NULL (with why) when there is none: the caller checks the proof against a decoy key instead,
 * so that an unknown name costs what a wrong proof does.
 */
static const struct daxmr_auth_key *conn_auth_key(const struct daxmr_conn *conn,
						  const char *identity, const char **why)
{
	const struct daxmr_auth_identity *id;

	if (!identity[0]) {
		*why = "the anonymous identity, but daxmrd has no --secret-file";
		return conn->env.key;
	}
	id = daxmr_auth_keyring_find(conn->env.keys, identity);
	*why = "an identity daxmrd has no key for";
	return id ? &id->key : NULL;
}

/* A key no client has, made once: what an unknown identity's proof is checked against. */
static const struct daxmr_auth_key *conn_decoy_key(void)
{
	static struct daxmr_auth_key decoy;
	static bool made;

	if (!made) {
		daxmr_auth_random(decoy.bytes, sizeof(decoy.bytes));
		made = true;
	}
	return &decoy;
}

/*
 * AUTH: the client's proof over our challenge and its nonce (from version 4 also its identity and
 * the version), checked in constant time; ours goes back in the reply. A wrong proof and an
 * identity we have no key for get the same ACCESS_DENIED after the same work (the log says
 * which); the connection is closed once that reply is sent: one attempt per connection.
 */
static enum daxmr_proto_status conn_do_auth(struct daxmr_conn *conn,
					    const struct daxmr_proto_msg *req,
					    struct daxmr_proto_msg *reply)
{
	const struct daxmr_proto_auth *a = &req->auth;
	bool v4 = conn->version >= DAXMR_PROTO_VERSION_ID;
	const struct daxmr_auth_key *key;
	const char *why = "";
	bool ok;

	if (conn->state != DAXMR_CONN_WAIT_AUTH)
		return DAXMR_PROTO_STATUS_BAD_STATE;
	key = v4 ? conn_auth_key(conn, a->identity, &why) : conn->env.key;
	ok = v4 ? daxmr_auth_verify_id(key ? key : conn_decoy_key(), DAXMR_AUTH_CLIENT,
				       conn->version, a->identity, conn->challenge, a->nonce,
				       a->proof) :
		  daxmr_auth_verify(key ? key : conn_decoy_key(), DAXMR_AUTH_CLIENT,
				    conn->challenge, a->nonce, a->proof);
	if (!ok || !key) {
		if (key)
			DAXMR_LOG_WRN(
				"connection %s (%s): AUTH failed: the client's proof does not "
				"match our secret%s%s; disconnecting",
				conn->peer, conn->client, a->identity[0] ? " of identity " : "",
				a->identity);
		else
			DAXMR_LOG_WRN("connection %s (%s): AUTH failed: identity '%s' is %s; "
				      "disconnecting",
				      conn->peer, conn->client,
				      a->identity[0] ? a->identity : "anonymous", why);
		daxmr_metrics_conn_rejected(key ? "AUTH_FAILED" : "UNKNOWN_IDENTITY");
		conn->state = DAXMR_CONN_DENIED;
		return DAXMR_PROTO_STATUS_ACCESS_DENIED;
	}
	if (v4)
		daxmr_auth_proof_id(key, DAXMR_AUTH_SERVER, conn->version, a->identity,
				    conn->challenge, a->nonce, reply->auth_reply.proof);
	else
		daxmr_auth_proof(key, DAXMR_AUTH_SERVER, conn->challenge, a->nonce,
				 reply->auth_reply.proof);
	snprintf(conn->identity, sizeof(conn->identity), "%s", v4 ? a->identity : "");
	conn->state = DAXMR_CONN_READY;
	daxmr_metrics_authenticated(conn->identity);
	DAXMR_LOG_INF("connection %s (%s): authenticated as identity %s", conn->peer, conn->client,
		      conn->identity[0] ? conn->identity : "anonymous");
	return DAXMR_PROTO_STATUS_OK;
}

/* Whether this connection may see and open exp: its address and its identity are admitted. */
static bool conn_is_admitted(const struct daxmr_conn *conn, const struct daxmr_export *exp)
{
	return daxmr_export_admits(exp, rdma_get_peer_addr(conn->id)) &&
	       daxmr_export_admits_identity(exp, conn->identity);
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
		if (!conn_is_admitted(conn, exp) || daxmr_export_entry(exp, &entry))
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
						struct daxmr_window *w)
{
	if (daxmr_hold_record(&conn->holds, exp, desc, w))
		return DAXMR_PROTO_STATUS_BUSY;
	DAXMR_LOG_INF("connection %s (%s): OPEN %s %s: generation %" PRIu64 ", rkey 0x%x (%s)",
		      conn->peer, conn->client, daxmr_export_name(exp),
		      desc->access == DAXMR_PROTO_ACCESS_RW ? "rw" : "ro", desc->generation,
		      desc->rkey,
		      desc->key_kind == DAXMR_PROTO_KEY_MW ? "memory window" : "MR key");
	return DAXMR_PROTO_STATUS_OK;
}

/*
 * The keys of w's group (one window per segment) into desc: rkey and keys[0 .. nkeys). 0, or
 * -ENOENT if a segment has no window.
 */
static int conn_window_keys(struct daxmr_conn *conn, const struct daxmr_window *w,
			    struct daxmr_proto_desc *desc)
{
	const struct daxmr_window *s;
	uint16_t i;

	for (i = 0; i < desc->nkeys; i++) {
		s = daxmr_window_group_seg(&conn->windows, w, i);
		if (!s)
			return -ENOENT;
		desc->keys[i] = s->rkey;
	}
	desc->rkey = desc->keys[0];
	return 0;
}

/*
 * Windows for an OPEN, in *w_ptr (segment 0's): the ones this descriptor already has for this
 * access and generation (BOUND, desc's keys set), or new ones, one per segment, allocated and
 * queued (QUEUED: their binds are posted once the send queue is idle, and the reply waits for
 * the last bind's completion). 0, -EBUSY (DAXMR_CONN_CREDITS OPENs wait already: each holds a
 * receive the client may use again), -ENOBUFS (not enough free slots), or another -errno: fall
 * back to the MR keys.
 */
static int conn_open_window(struct daxmr_conn *conn, struct daxmr_export *exp, uint64_t req_id,
			    struct daxmr_proto_desc *desc, struct daxmr_window **w_ptr)
{
	struct daxmr_hold *h = daxmr_hold_find(&conn->holds, desc->export_id);
	struct daxmr_window *w;
	int ret;

	if (h && h->state == DAXMR_HOLD_HELD && h->gen == desc->generation) {
		w = daxmr_window_find(&conn->windows, h, desc->access, 0);
		if (w && conn_window_keys(conn, w, desc) == 0) {
			*w_ptr = w;
			return 0;
		}
	}
	/* each waits unanswered with its receive reposted: no more than the client's credits */
	if (daxmr_window_opens_pending(&conn->windows) >= DAXMR_CONN_CREDITS)
		return -EBUSY;
	ret = daxmr_window_queue(&conn->windows, exp, req_id, desc, desc->nseg, &w);
	if (ret == 0)
		*w_ptr = w; /* QUEUED: the reply waits for the bind */
	return ret;
}

/*
 * The status of an OPEN whose export has no descriptor to give (-EAGAIN): in version 3
 * UNAVAILABLE with the reason when waiting will not help, else REVOKING (retry later).
 */
static enum daxmr_proto_status conn_open_not_now(struct daxmr_conn *conn, struct daxmr_export *exp,
						 struct daxmr_proto_msg *reply)
{
	if (conn->version >= DAXMR_PROTO_VERSION_SEG && daxmr_export_down(exp)) {
		conn_reason(conn, reply, "down: %s", daxmr_export_reason(exp));
		return DAXMR_PROTO_STATUS_UNAVAILABLE;
	}
	conn_reason(conn, reply, "export %s is being revoked or re-established: retry",
		    daxmr_export_name(exp));
	return DAXMR_PROTO_STATUS_REVOKING;
}

/* OPEN: a descriptor with the access asked for; *deferred: answered when its window is bound. */
static enum daxmr_proto_status conn_do_open(struct daxmr_conn *conn,
					    const struct daxmr_proto_msg *req,
					    struct daxmr_proto_msg *reply, bool *deferred)
{
	struct daxmr_export *exp = conn->env.ops.find_name(conn->env.arg, req->open.name);
	struct ibv_mw_bind_info bind;
	struct daxmr_window *w = NULL;
	struct daxmr_hold *h;
	int ret;

	if (!exp) {
		conn_reason(conn, reply, "no export is named %s", req->open.name);
		return DAXMR_PROTO_STATUS_NO_SUCH_EXPORT;
	}
	if (!daxmr_export_admits(exp, rdma_get_peer_addr(conn->id))) {
		DAXMR_LOG_NTC("connection %s (%s): OPEN %s denied: the export's allowlist does "
			      "not hold the client's address",
			      conn->peer, conn->client, daxmr_export_name(exp));
		conn_reason(conn, reply, "the allowlist of export %s does not hold your address",
			    daxmr_export_name(exp));
		return DAXMR_PROTO_STATUS_ACCESS_DENIED;
	}
	if (!daxmr_export_admits_identity(exp, conn->identity)) {
		DAXMR_LOG_NTC("connection %s (%s): OPEN %s denied: identity %s is not on the "
			      "export's identity list",
			      conn->peer, conn->client, daxmr_export_name(exp),
			      conn->identity[0] ? conn->identity : "anonymous");
		conn_reason(conn, reply, "export %s is not open to your identity",
			    daxmr_export_name(exp));
		return DAXMR_PROTO_STATUS_ACCESS_DENIED;
	}
	if (conn->version < DAXMR_PROTO_VERSION_SEG &&
	    daxmr_export_state(exp) == DAXMR_EXPORT_AVAILABLE && daxmr_export_nseg(exp) > 1) {
		/* section 9.2: a cut descriptor would contradict LIST's length */
		DAXMR_LOG_NTC("connection %s (%s): OPEN %s refused: the export has %" PRIu32
			      " segments and the client speaks version %u (segments need 3)",
			      conn->peer, conn->client, daxmr_export_name(exp),
			      daxmr_export_nseg(exp), conn->version);
		return DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION;
	}
	h = daxmr_hold_find(&conn->holds, daxmr_export_id(exp));
	if (!h &&
	    conn->holds.n + daxmr_window_opens_pending(&conn->windows) >= DAXMR_CONN_HOLD_MAX) {
		conn_reason(conn, reply, "this connection holds %d descriptors already",
			    DAXMR_CONN_HOLD_MAX);
		return DAXMR_PROTO_STATUS_BUSY;
	}
	ret = daxmr_export_window(exp, req->open.access, 0, &reply->desc, &bind);
	if (ret == 0) {
		ret = conn_open_window(conn, exp, req->hdr.request_id, &reply->desc, &w);
		if (ret == 0 && w->state == DAXMR_WINDOW_QUEUED) {
			*deferred = true;
			return DAXMR_PROTO_STATUS_OK;
		}
		if (ret == 0)
			return conn_open_finish(conn, exp, &reply->desc, w);
		if (ret == -EBUSY) {
			conn_reason(
				conn, reply,
				"%d OPENs of this connection wait for their keys already: retry",
				DAXMR_CONN_CREDITS);
			return DAXMR_PROTO_STATUS_BUSY;
		}
		if (ret == -ENOBUFS) {
			conn_reason(conn, reply,
				    "all %d memory window slots of this connection are in use or "
				    "queued: retry",
				    DAXMR_WINDOW_SLOTS);
			return DAXMR_PROTO_STATUS_BUSY;
		}
		ret = -EOPNOTSUPP; /* no window for this one: the MR key, logged once */
	}
	if (ret == -EOPNOTSUPP)
		ret = daxmr_export_desc(exp, req->open.access, &reply->desc);
	if (ret == -EACCES) {
		conn_reason(conn, reply, "export %s is read-only", daxmr_export_name(exp));
		return DAXMR_PROTO_STATUS_ACCESS_DENIED;
	}
	if (ret == -EAGAIN)
		return conn_open_not_now(conn, exp, reply);
	if (ret) {
		conn_reason(conn, reply, "registering read-only keys of export %s failed: %s",
			    daxmr_export_name(exp), daxmr_log_strerror(ret));
		return DAXMR_PROTO_STATUS_INTERNAL;
	}
	return conn_open_finish(conn, exp, &reply->desc, NULL);
}

/* The status (and reason) for a request naming a descriptor this connection does not hold. */
static enum daxmr_proto_status conn_not_held(struct daxmr_conn *conn, uint32_t export_id,
					     struct daxmr_proto_msg *reply)
{
	struct daxmr_export *exp = conn->env.ops.find_id(conn->env.arg, export_id);

	if (!exp) {
		conn_reason(conn, reply, "no export has id %" PRIu32, export_id);
		return DAXMR_PROTO_STATUS_NO_SUCH_EXPORT;
	}
	conn_reason(conn, reply, "export %s is not open on this connection",
		    daxmr_export_name(exp));
	return DAXMR_PROTO_STATUS_NOT_OPEN;
}

/* CLOSE: drop the descriptor; under revocation it is the ack. */
static enum daxmr_proto_status conn_do_close(struct daxmr_conn *conn,
					     const struct daxmr_proto_msg *req,
					     struct daxmr_proto_msg *reply)
{
	struct daxmr_hold *h = daxmr_hold_find(&conn->holds, req->close.export_id);

	if (!h)
		return conn_not_held(conn, req->close.export_id, reply);
	if (h->gen != req->close.generation) {
		conn_reason(conn, reply, "export %s: generation %" PRIu64 " is held, not %" PRIu64,
			    daxmr_export_name(h->exp), h->gen, req->close.generation);
		return DAXMR_PROTO_STATUS_STALE_GENERATION;
	}
	DAXMR_LOG_INF("connection %s (%s): CLOSE %s generation %" PRIu64, conn->peer, conn->client,
		      daxmr_export_name(h->exp), h->gen);
	daxmr_hold_drop(&conn->holds, h);
	return DAXMR_PROTO_STATUS_OK;
}

/*
 * The descriptor export_id of generation gen that this connection holds, not revoked, of the
 * export's current generation, in *h_ptr: OK, or the status (and reason) saying why not.
 */
static enum daxmr_proto_status conn_held_current(struct daxmr_conn *conn, uint32_t export_id,
						 uint64_t gen, struct daxmr_proto_msg *reply,
						 struct daxmr_hold **h_ptr)
{
	struct daxmr_hold *h = daxmr_hold_find(&conn->holds, export_id);

	if (!h)
		return conn_not_held(conn, export_id, reply);
	if (h->gen != gen || h->state == DAXMR_HOLD_REVOKED ||
	    daxmr_export_generation(h->exp) != gen) {
		conn_reason(conn, reply, "generation %" PRIu64 " of export %s is not held here",
			    gen, daxmr_export_name(h->exp));
		return DAXMR_PROTO_STATUS_STALE_GENERATION;
	}
	*h_ptr = h;
	return DAXMR_PROTO_STATUS_OK;
}

/* FLUSH: persist a range of a descriptor still mapped. */
static enum daxmr_proto_status conn_do_flush(struct daxmr_conn *conn,
					     const struct daxmr_proto_msg *req,
					     struct daxmr_proto_msg *reply)
{
	const struct daxmr_proto_flush *f = &req->flush;
	enum daxmr_proto_status st;
	struct daxmr_hold *h = NULL;
	int ret;

	st = conn_held_current(conn, f->export_id, f->generation, reply, &h);
	if (st != DAXMR_PROTO_STATUS_OK)
		return st;
	ret = daxmr_export_flush(h->exp, f->offset, f->length);
	if (ret == -ERANGE) {
		conn_reason(conn, reply,
			    "FLUSH of %" PRIu64 " bytes at %" PRIu64 " is past the end", f->length,
			    f->offset);
		return DAXMR_PROTO_STATUS_OUT_OF_RANGE;
	}
	if (ret == -EAGAIN)
		return DAXMR_PROTO_STATUS_STALE_GENERATION;
	if (ret) {
		conn_reason(conn, reply, "flushing export %s failed: %s", daxmr_export_name(h->exp),
			    daxmr_log_strerror(ret));
		return DAXMR_PROTO_STATUS_INTERNAL;
	}
	daxmr_metrics_flushed(f->length);
	return DAXMR_PROTO_STATUS_OK;
}

/*
 * KEYS of a descriptor keyed by this connection's windows (one per segment): those of segments
 * first .. (at most DAXMR_PROTO_KEYS_MAX).
 */
static enum daxmr_proto_status conn_keys_of_windows(struct daxmr_conn *conn,
						    const struct daxmr_hold *h, uint32_t first,
						    struct daxmr_proto_msg *reply)
{
	uint32_t nseg = daxmr_export_nseg(h->exp);
	const struct daxmr_window *w;
	uint16_t i;

	if (first >= nseg) {
		conn_reason(conn, reply,
			    "export %s has %" PRIu32 " segments, segment %" PRIu32 " asked",
			    daxmr_export_name(h->exp), nseg, first);
		return DAXMR_PROTO_STATUS_OUT_OF_RANGE;
	}
	reply->keys_reply.first = first;
	reply->keys_reply.count =
		(uint16_t)(nseg - first < DAXMR_PROTO_KEYS_MAX ? nseg - first :
								 DAXMR_PROTO_KEYS_MAX);
	for (i = 0; i < reply->keys_reply.count; i++) {
		w = daxmr_window_find(&conn->windows, h, h->access, first + i);
		if (!w) {
			conn_reason(conn, reply, "export %s: no window for segment %" PRIu32,
				    daxmr_export_name(h->exp), first + i);
			return DAXMR_PROTO_STATUS_INTERNAL;
		}
		reply->keys_reply.keys[i] = w->rkey;
	}
	return DAXMR_PROTO_STATUS_OK;
}

/*
 * KEYS (version 3): more segment keys of a descriptor this connection holds, of the access it
 * holds: its windows' where it has them, else the export's MR keys.
 */
static enum daxmr_proto_status conn_do_keys(struct daxmr_conn *conn,
					    const struct daxmr_proto_msg *req,
					    struct daxmr_proto_msg *reply)
{
	const struct daxmr_proto_keys *k = &req->keys;
	enum daxmr_proto_status st;
	struct daxmr_hold *h = NULL;
	struct daxmr_window *w;
	int ret;

	st = conn_held_current(conn, k->export_id, k->generation, reply, &h);
	if (st != DAXMR_PROTO_STATUS_OK)
		return st;
	w = daxmr_window_find(&conn->windows, h, h->access, 0);
	if (w)
		return conn_keys_of_windows(conn, h, k->first, reply);
	ret = daxmr_export_keys(h->exp, h->access, k->first, &reply->keys_reply);
	if (ret == -ERANGE)
		goto out_of_range;
	if (ret == -EAGAIN)
		return DAXMR_PROTO_STATUS_STALE_GENERATION;
	if (ret) {
		conn_reason(conn, reply, "registering read-only keys of export %s failed: %s",
			    daxmr_export_name(h->exp), daxmr_log_strerror(ret));
		return DAXMR_PROTO_STATUS_INTERNAL;
	}
	return DAXMR_PROTO_STATUS_OK;

out_of_range:
	conn_reason(conn, reply, "export %s has %" PRIu32 " segments, segment %" PRIu32 " asked",
		    daxmr_export_name(h->exp), daxmr_export_nseg(h->exp), k->first);
	return DAXMR_PROTO_STATUS_OUT_OF_RANGE;
}

/* REVOKE_ACK: the client stopped using the descriptor. Never answered. */
static void conn_do_revoke_ack(struct daxmr_conn *conn, const struct daxmr_proto_msg *msg)
{
	const struct daxmr_proto_export_ref *ref = &msg->revoke_ack;
	struct daxmr_hold *h = daxmr_hold_find(&conn->holds, ref->export_id);

	if (!h || h->gen != ref->generation || h->state != DAXMR_HOLD_REVOKE_SENT) {
		DAXMR_LOG_DBG("connection %s: REVOKE_ACK of export %u generation %" PRIu64
			      " matches no REVOKE: ignored",
			      conn->peer, ref->export_id, ref->generation);
		return;
	}
	if (msg->hdr.request_id != h->revoke_req_id)
		DAXMR_LOG_DBG("connection %s: REVOKE_ACK carries request id %" PRIu64
			      ", the REVOKE had %" PRIu64,
			      conn->peer, msg->hdr.request_id, h->revoke_req_id);
	DAXMR_LOG_INF("connection %s (%s): REVOKE_ACK %s generation %" PRIu64, conn->peer,
		      conn->client, daxmr_export_name(h->exp), h->gen);
	daxmr_hold_ack(&conn->holds, h);
}

/* Whether opcode is a request a client may send. */
static bool conn_is_request(enum daxmr_proto_opcode op)
{
	return op == DAXMR_PROTO_OP_HELLO || op == DAXMR_PROTO_OP_LIST ||
	       op == DAXMR_PROTO_OP_OPEN || op == DAXMR_PROTO_OP_CLOSE ||
	       op == DAXMR_PROTO_OP_FLUSH || op == DAXMR_PROTO_OP_AUTH ||
	       op == DAXMR_PROTO_OP_KEYS; /* the decoder refuses KEYS below version 3 */
}

/*
 * Decodes a received message and validates its header: a request of the chosen version, or a
 * REVOKE_ACK (which must decode whole). Returns 0 with *msg decoded, the payload's decode error
 * (-errno, answered as a status by the request's handler), or -EPROTO after a protocol error
 * (ERROR sent, disconnecting).
 */
static int conn_decode_or_disconnect(struct daxmr_conn *conn, const void *buf, size_t len,
				     struct daxmr_proto_msg *msg)
{
	char why[96];
	int ret;

	ret = daxmr_proto_hdr_decode(buf, len, &msg->hdr);
	if (ret) {
		snprintf(why, sizeof(why), "%zu-byte message with a bad header (%s)", len,
			 daxmr_log_strerror(ret));
		conn_protocol_error(conn, daxmr_proto_status_from_err(ret), why);
		return -EPROTO;
	}
	if ((msg->hdr.flags & DAXMR_PROTO_F_REPLY) ||
	    (!conn_is_request(msg->hdr.opcode) && msg->hdr.opcode != DAXMR_PROTO_OP_REVOKE_ACK)) {
		snprintf(why, sizeof(why), "%s%s from a client",
			 daxmr_proto_opcode_str(msg->hdr.opcode),
			 (msg->hdr.flags & DAXMR_PROTO_F_REPLY) ? " reply" : "");
		conn_protocol_error(conn, DAXMR_PROTO_STATUS_BAD_MESSAGE, why);
		return -EPROTO;
	}
	if (msg->hdr.version != conn->version) {
		snprintf(why, sizeof(why), "header version %u, version %u was chosen",
			 msg->hdr.version, conn->version);
		conn_protocol_error(conn, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, why);
		return -EPROTO;
	}
	ret = daxmr_proto_msg_decode(buf, len, msg);
	if (ret && msg->hdr.opcode == DAXMR_PROTO_OP_REVOKE_ACK) {
		snprintf(why, sizeof(why), "malformed REVOKE_ACK (%s)", daxmr_log_strerror(ret));
		conn_protocol_error(conn, daxmr_proto_status_from_err(ret), why);
		return -EPROTO;
	}
	return ret;
}

/* The status a READY connection's request gets from its handler. */
static enum daxmr_proto_status conn_route_ready(struct daxmr_conn *conn,
						const struct daxmr_proto_msg *msg,
						struct daxmr_proto_msg *reply, bool *deferred)
{
	switch (msg->hdr.opcode) {
	case DAXMR_PROTO_OP_LIST:
		return conn_do_list(conn, msg, reply);
	case DAXMR_PROTO_OP_OPEN:
		return conn_do_open(conn, msg, reply, deferred);
	case DAXMR_PROTO_OP_CLOSE:
		return conn_do_close(conn, msg, reply);
	case DAXMR_PROTO_OP_FLUSH:
		return conn_do_flush(conn, msg, reply);
	case DAXMR_PROTO_OP_KEYS:
		return conn_do_keys(conn, msg, reply);
	default:
		return DAXMR_PROTO_STATUS_BAD_MESSAGE; /* unreachable: filtered by the decoder */
	}
}

/*
 * Answers the OPEN (req_id, access) of exp whose window will not be bound (already released):
 * with the MR key (mr_key: the bind could not be posted, the fallback), or the status saying
 * why not now (the export was revoked or went down while the bind was queued).
 */
static void conn_open_unbound(struct daxmr_conn *conn, struct daxmr_export *exp,
			      enum daxmr_proto_access access, uint64_t req_id, bool mr_key)
{
	struct daxmr_proto_hdr req = { .version = conn->version,
				       .opcode = DAXMR_PROTO_OP_OPEN,
				       .request_id = req_id };
	char reason[sizeof(((struct daxmr_proto_msg *)0)->reason)];
	struct daxmr_proto_msg reply;
	enum daxmr_proto_status st;
	int ret = -EAGAIN;

	conn_reply_init(conn, &req, DAXMR_PROTO_STATUS_OK, &reply);
	if (mr_key)
		ret = daxmr_export_desc(exp, access, &reply.desc);
	if (ret == 0) {
		st = conn_open_finish(conn, exp, &reply.desc, NULL);
	} else if (ret == -EAGAIN) {
		st = conn_open_not_now(conn, exp, &reply);
	} else {
		conn_reason(conn, &reply, "registering read-only keys of export %s failed: %s",
			    daxmr_export_name(exp), daxmr_log_strerror(ret));
		st = DAXMR_PROTO_STATUS_INTERNAL;
	}
	if (st != DAXMR_PROTO_STATUS_OK) {
		memcpy(reason, reply.reason, sizeof(reason));
		conn_reply_init(conn, &req, st, &reply);
		memcpy(reply.reason, reason, sizeof(reason));
		DAXMR_LOG_DBG("connection %s: OPEN %s answered %s before its bind", conn->peer,
			      daxmr_export_name(exp), daxmr_proto_status_str(st));
	}
	(void)conn_send(conn, &reply);
}

/* Drops the queued binds of exp (revoked, fenced or gone): their OPENs are answered now. */
static void conn_drop_queued(struct daxmr_conn *conn, struct daxmr_export *exp)
{
	struct daxmr_window *w;
	enum daxmr_proto_access access;
	uint64_t req_id;
	unsigned int i;

	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++) {
		w = &conn->windows.slot[i];
		if (w->state != DAXMR_WINDOW_QUEUED || w->exp != exp)
			continue;
		access = w->access;
		req_id = w->req_id;
		daxmr_window_release_group(&conn->windows, w); /* its other segments too */
		if (conn->state == DAXMR_CONN_READY)
			conn_open_unbound(conn, exp, access, req_id, false);
	}
}

/*
 * Posts the oldest queued bind once the QP's send queue is idle: no send, bind or invalidation
 * out (window.c says why a bind must never follow an unacknowledged work request). Called when
 * an OPEN queues one and at every completion of the send queue. A queued OPEN whose export is no
 * longer at its generation is answered instead; a bind that cannot be posted falls back to the
 * MR key. Each step posts something (the bind or a reply), so at most one bind is out at a time.
 */
static void conn_serve_binds(struct daxmr_conn *conn)
{
	struct ibv_mw_bind_info bind;
	struct daxmr_proto_desc now;
	struct daxmr_window *w, g;
	struct daxmr_export *exp;
	enum daxmr_proto_access access;
	uint64_t req_id;
	bool current;

	while (conn->state == DAXMR_CONN_READY && daxmr_transport_is_send_idle(&conn->tp) &&
	       daxmr_window_is_idle(&conn->windows) &&
	       (w = daxmr_window_next_queued(&conn->windows)) != NULL) {
		exp = w->exp;
		access = w->access;
		req_id = w->req_id;
		g = *w; /* names the group once w is released */
		/* the MR the bind names is looked up now: the export may have moved on */
		current = daxmr_export_window(exp, access, w->seg, &now, &bind) == 0 &&
			  now.generation == w->gen;
		if (current && daxmr_window_post_bind(&conn->windows, w, &bind) == 0)
			continue; /* BINDING: the send queue is busy until its completion */
		daxmr_window_release_group(&conn->windows, &g); /* the OPEN's other segments */
		conn_open_unbound(conn, exp, access, req_id, current);
	}
}

/*
 * Answers a decoded message (decode_ret: its payload's decode error) by state and opcode. The
 * receive buffer is free again before this runs, and receives are reposted before the reply.
 */
static void conn_route(struct daxmr_conn *conn, const struct daxmr_proto_msg *msg, int decode_ret)
{
	struct daxmr_proto_msg reply;
	enum daxmr_proto_status st;
	bool deferred = false;

	if (msg->hdr.opcode == DAXMR_PROTO_OP_REVOKE_ACK) {
		if (conn->state == DAXMR_CONN_READY)
			conn_do_revoke_ack(conn, msg);
		/* as for a request: the ack's buffer goes back, or the client runs out */
		if (conn_post_recvs(conn))
			daxmr_conn_disconnect(conn);
		return;
	}
	conn_reply_init(conn, &msg->hdr, DAXMR_PROTO_STATUS_OK, &reply);
	if (decode_ret) {
		st = daxmr_proto_status_from_err(decode_ret);
		DAXMR_LOG_INF("connection %s (%s): malformed %s payload (%s): answered %s",
			      conn->peer, conn->client, daxmr_proto_opcode_str(msg->hdr.opcode),
			      daxmr_log_strerror(decode_ret), daxmr_proto_status_str(st));
		conn_reason(conn, &reply, "malformed %s payload (%s)",
			    daxmr_proto_opcode_str(msg->hdr.opcode),
			    daxmr_log_strerror(decode_ret));
	} else if (msg->hdr.opcode == DAXMR_PROTO_OP_HELLO) {
		st = conn_do_hello(conn, msg, &reply);
	} else if (msg->hdr.opcode == DAXMR_PROTO_OP_AUTH) {
		st = conn_do_auth(conn, msg, &reply);
	} else if (conn->state == DAXMR_CONN_WAIT_AUTH) {
		st = DAXMR_PROTO_STATUS_ACCESS_DENIED; /* authenticate first */
		conn_reason(conn, &reply, "AUTH first: this server requires authentication");
	} else if (conn->state != DAXMR_CONN_READY) {
		st = DAXMR_PROTO_STATUS_BAD_STATE;
		conn_reason(conn, &reply, "HELLO first");
	} else {
		st = conn_route_ready(conn, msg, &reply, &deferred);
	}
	if (st != DAXMR_PROTO_STATUS_OK) {
		char reason[sizeof(reply.reason)];

		/* the failed reply has no payload but the reason its handler gave, if any */
		memcpy(reason, reply.reason, sizeof(reason));
		conn_reply_init(conn, &msg->hdr, st, &reply);
		memcpy(reply.reason, reason, sizeof(reason));
		DAXMR_LOG_DBG("connection %s: %s answered %s%s%s", conn->peer,
			      daxmr_proto_opcode_str(msg->hdr.opcode), daxmr_proto_status_str(st),
			      reason[0] ? ": " : "", reason);
	}
	/* the request's buffer goes back before its reply: the client may send again at once */
	if (conn_post_recvs(conn)) {
		daxmr_conn_disconnect(conn);
		return;
	}
	if (deferred) {
		conn_serve_binds(conn); /* its bind now if the send queue is idle, else later */
		return;
	}
	if (conn_send(conn, &reply) == 0)
		return;
	if (conn->state == DAXMR_CONN_DENIED)
		daxmr_conn_disconnect(conn);
}

/* Decodes and answers one received message. */
static void conn_dispatch(struct daxmr_conn *conn, const void *buf, size_t len)
{
	struct daxmr_proto_msg msg;
	int ret;

	if (conn->state == DAXMR_CONN_DENIED) {
		daxmr_conn_disconnect(conn); /* more after a failed AUTH: no need to wait */
		return;
	}
	ret = conn_decode_or_disconnect(conn, buf, len, &msg);
	if (ret != -EPROTO)
		conn_route(conn, &msg, ret);
}

/* A BIND_MW completed: the OPEN waiting for it is answered now. */
static void conn_on_bind_wc(struct daxmr_conn *conn, struct daxmr_window *w,
			    const struct ibv_wc *wc)
{
	struct daxmr_proto_hdr req = { .version = conn->version,
				       .opcode = DAXMR_PROTO_OP_OPEN,
				       .request_id = w->req_id };
	struct daxmr_proto_msg reply;
	struct daxmr_proto_desc now;
	struct ibv_mw_bind_info bind;
	enum daxmr_proto_status st = DAXMR_PROTO_STATUS_REVOKING;

	if (wc->status != IBV_WC_SUCCESS) {
		/* a failed WR takes the QP to the error state: no fallback on this connection */
		if (!conn_is_down(conn))
			DAXMR_LOG_WRN("connection %s (%s): BIND_MW for %s segment %" PRIu32
				      " failed: %s: disconnecting",
				      conn->peer, conn->client, daxmr_export_name(w->exp), w->seg,
				      ibv_wc_status_str(wc->status));
		daxmr_window_release_group(&conn->windows, w);
		daxmr_window_release(&conn->windows, w);
		daxmr_conn_disconnect(conn);
		return;
	}
	if (w->dropped) {
		daxmr_window_release(&conn->windows, w); /* its OPEN was answered without it */
		return;
	}
	if (conn->state != DAXMR_CONN_READY) {
		daxmr_window_release_group(&conn->windows, w);
		return;
	}
	if (daxmr_window_group_pending(&conn->windows, w) > 0)
		return; /* the OPEN's other segments are still queued or binding */
	conn_reply_init(conn, &req, DAXMR_PROTO_STATUS_OK, &reply);
	/* revoked while the binds were out (no REVOKE reached this OPEN), or fenced: not handed out
	 */
	if (w->mw && daxmr_export_window(w->exp, w->access, 0, &now, &bind) == 0 &&
	    now.generation == w->gen && conn_window_keys(conn, w, &now) == 0) {
		reply.desc = now; /* the generation the windows were bound for, their keys */
		st = conn_open_finish(conn, w->exp, &reply.desc, w);
	}
	if (st != DAXMR_PROTO_STATUS_OK) {
		daxmr_window_release_group(&conn->windows, w);
		conn_reply_init(conn, &req, st, &reply);
		DAXMR_LOG_DBG("connection %s: OPEN answered %s after its bind", conn->peer,
			      daxmr_proto_status_str(st));
	}
	(void)conn_send(conn, &reply);
}

/* A window's BIND_MW or LOCAL_INV completed. */
static void conn_on_mw_wc(struct daxmr_conn *conn, struct daxmr_window *w, const struct ibv_wc *wc)
{
	bool binding = w->state == DAXMR_WINDOW_BINDING;
	int ret = daxmr_window_complete(&conn->windows, w, wc->status);

	if (binding) {
		conn_on_bind_wc(conn, w, wc);
	} else if (ret == -EIO && !conn_is_down(conn)) {
		DAXMR_LOG_WRN("connection %s (%s): LOCAL_INV failed: %s: disconnecting", conn->peer,
			      conn->client, ibv_wc_status_str(wc->status));
		daxmr_conn_disconnect(conn);
	}
	conn_serve_binds(conn);
}

/* One completion. */
static void conn_on_wc(struct daxmr_conn *conn, const struct ibv_wc *wc)
{
	uint32_t kind = daxmr_wrid_kind(wc->wr_id), slot = daxmr_wrid_slot(wc->wr_id);
	bool send = kind == CONN_WR_SEND;
	struct daxmr_window *w;
	const uint8_t *msg;
	int ret;

	if (kind == CONN_WR_MW && (w = daxmr_window_at(&conn->windows, slot)) != NULL) {
		conn_on_mw_wc(conn, w, wc);
		return;
	}
	msg = daxmr_transport_complete(&conn->tp, kind, slot, &ret);
	if (ret) {
		DAXMR_LOG_ERR("connection %s: completion with unknown wr_id 0x%" PRIx64, conn->peer,
			      wc->wr_id);
		return;
	}
	if (wc->status != IBV_WC_SUCCESS) {
		if (!conn_is_down(conn)) {
			DAXMR_LOG_WRN("connection %s (%s): %s completion failed: %s: disconnecting",
				      conn->peer, conn->client, send ? "send" : "receive",
				      ibv_wc_status_str(wc->status));
			daxmr_conn_disconnect(conn);
		}
		return;
	}
	if (send && conn->state == DAXMR_CONN_DENIED && daxmr_transport_is_send_idle(&conn->tp)) {
		daxmr_conn_disconnect(conn); /* the ACCESS_DENIED of a failed AUTH is out */
		return;
	}
	if (send) {
		conn_serve_binds(conn); /* the send queue may be idle now */
		return;
	}
	if (conn_is_down(conn))
		return;
	conn->unreachable_ms = 0; /* it talks: reachable */
	if (conn->state == DAXMR_CONN_ACCEPTING)
		conn->state = DAXMR_CONN_WAIT_HELLO; /* the client's side was established first */
	/* the slot is already free: the decoder copies everything it keeps */
	conn_dispatch(conn, msg, wc->byte_len);
}

/* Completion channel event of this CQ: ack in batches, re-arm, poll until empty. */
void daxmr_conn_on_cq_event(struct daxmr_conn *conn)
{
	struct ibv_wc wc[CONN_POLL_BATCH];
	int n, i;

	if (daxmr_transport_on_cq_event(&conn->tp))
		daxmr_conn_disconnect(conn);
	do {
		n = daxmr_transport_poll(&conn->tp, wc, CONN_POLL_BATCH);
		if (n < 0) {
			daxmr_conn_disconnect(conn);
			return;
		}
		for (i = 0; i < n; i++)
			conn_on_wc(conn, &wc[i]);
	} while (n > 0);
}

/* Whether some export admits a client at sa (so a connection can be of any use to it). */
static bool conn_is_admitted_anywhere(const void *arg, const struct sockaddr *sa)
{
	const struct daxmr_conn_env *env = arg;
	struct daxmr_export *exp;
	size_t i;

	for (i = 0; (exp = env->ops.nth(env->arg, i)) != NULL; i++)
		if (daxmr_export_admits(exp, sa))
			return true;
	return false;
}

/* Accepts a connect request: CQ, QP, buffers, receives, accept private data. */
int daxmr_conn_new(const struct daxmr_conn_env *env, struct rdma_cm_id *id, const void *pdata,
		   size_t pdata_len, const struct rdma_conn_param *req,
		   struct daxmr_conn **conn_ptr)
{
	uint8_t acc_pdata[DAXMR_PROTO_CM_ACCEPT_SIZE];
	struct rdma_conn_param param;
	struct daxmr_cmreq r;
	struct daxmr_conn *conn;
	enum daxmr_proto_status rej = DAXMR_PROTO_STATUS_BUSY;
	const char *rej_why = "no resources for the connection";
	const char *peer = r.peer;
	int ret;

	daxmr_cmreq_init(&r, id, env->key != NULL, env->keys != NULL);
	ret = daxmr_cmreq_screen(&r, pdata, pdata_len, env->pd->context, conn_is_admitted_anywhere,
				 env);
	if (ret)
		return ret;
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		daxmr_cmreq_reject(&r, DAXMR_PROTO_STATUS_BUSY, "out of memory");
		return -ENOMEM;
	}
	conn->env = *env;
	conn->id = id;
	conn->version = r.version;
	conn->cm_version_min = r.cm.version_min;
	conn->cm_version_max = r.cm.version_max;
	conn->state = DAXMR_CONN_ACCEPTING;
	conn->accepted_ms = daxmr_clock_ms();
	daxmr_hold_set_init(&conn->holds, &conn->windows, conn_report_ack, conn);
	snprintf(conn->peer, sizeof(conn->peer), "%s", peer);
	snprintf(conn->client, sizeof(conn->client), "before HELLO");

	ret = daxmr_transport_init(&conn->tp, env->pd, CONN_WR_RECV, CONN_WR_SEND, conn->peer);
	if (ret) {
		if (ret == -ENOMEM || ret == -EPERM || ret == -EAGAIN) {
			/* not a passing shortage: retrying will not help until the limit changes */
			rej = DAXMR_PROTO_STATUS_INTERNAL;
			rej_why = "cannot pin the connection's buffers (RLIMIT_MEMLOCK)";
		}
		goto err_reject;
	}
	ret = daxmr_transport_connect(&conn->tp, id, env->pd, env->cc, conn, CONN_SEND_WRS);
	if (ret)
		goto err_reject;
	daxmr_window_set_init(&conn->windows, env->pd, conn->tp.qp, CONN_WR_MW, conn->peer,
			      conn->client, conn_report_ack, conn);
	ret = conn_post_recvs(conn);
	if (ret)
		goto err_reject;

	ret = daxmr_cmreq_accept_param(&r, DAXMR_CONN_CREDITS, req, env->max_rd_atom, acc_pdata,
				       &param);
	if (ret) {
		rej = DAXMR_PROTO_STATUS_INTERNAL;
		rej_why = "cannot encode the accept private data";
		goto err_reject;
	}
	id->context = conn;
	(void)daxmr_cmreq_set_ack_timeout(&r); /* logged; rdma_cm's own timeout is then used */
	if (rdma_accept(id, &param)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_accept", ret, "connection %s", peer);
		id->context = NULL;
		goto err_destroy; /* a failed accept leaves nothing to reject */
	}
	DAXMR_LOG_INF("connection %s: accepted, version %u, %d credits", peer, conn->version,
		      DAXMR_CONN_CREDITS);
	daxmr_cmreq_log_qp(&r, conn->tp.qp);
	*conn_ptr = conn;
	return 0;

err_reject:
	daxmr_cmreq_reject(&r, rej, rej_why);
err_destroy:
	daxmr_transport_fini(&conn->tp);
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
	if (!conn_is_down(conn))
		(void)rdma_disconnect(conn->id); /* complete our side; failure changes nothing */
	conn->state = DAXMR_CONN_CLOSED;
	/* windows first: a reported ack may release an export, whose MR must have none bound */
	daxmr_window_drop_all(&conn->windows, true);
	daxmr_hold_disconnected(&conn->holds);
	DAXMR_LOG_INF("connection %s (%s): disconnected", conn->peer, conn->client);
}

/* Tears the connection down. */
int daxmr_conn_delete(struct daxmr_conn **conn_ptr)
{
	struct daxmr_conn *conn;
	int ret;

	if (!conn_ptr || !*conn_ptr)
		return 0;
	conn = *conn_ptr;
	daxmr_window_drop_all(&conn->windows, true); /* before the acks below release an export */
	daxmr_hold_drop_all(&conn->holds);
	ret = daxmr_transport_fini(&conn->tp);
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
	struct daxmr_hold *h = daxmr_hold_find(&conn->holds, daxmr_export_id(exp));
	struct daxmr_proto_msg msg;
	int ret;

	/* an OPEN of exp whose bind still waits gets no key now: revocation never waits for it */
	conn_drop_queued(conn, exp);
	if (conn->state != DAXMR_CONN_READY)
		return -ENOTCONN;
	if (!h || h->gen != gen || h->state != DAXMR_HOLD_HELD)
		return -ENOENT;
	daxmr_hold_revoke_sent(&conn->holds, h, ++conn->next_req_id);
	/* the ack needs a receive of its own: post it before the REVOKE can be answered */
	ret = conn_post_recvs(conn);
	if (ret)
		goto err;
	conn_msg_init(conn, DAXMR_PROTO_OP_REVOKE, DAXMR_PROTO_STATUS_OK, 0, h->revoke_req_id,
		      &msg);
	msg.revoke.export_id = h->export_id;
	msg.revoke.generation = gen;
	msg.revoke.deadline_ms = deadline_ms;
	msg.revoke.reason = reason;
	ret = conn_send(conn, &msg);
	if (ret)
		goto err;
	DAXMR_LOG_INF("connection %s (%s): REVOKE %s generation %" PRIu64 " (%s), "
		      "deadline %u ms",
		      conn->peer, conn->client, daxmr_export_name(exp), gen,
		      reason == DAXMR_PROTO_REVOKE_SHUTDOWN ? "shutdown" : "lease-break or other",
		      deadline_ms);
	return 0;

err:
	/* the connection is going down: its disconnect, not an ack, ends its access */
	daxmr_hold_revoke_unsent(&conn->holds, h);
	daxmr_conn_disconnect(conn);
	return ret;
}

/* AVAILABLE for every revoked descriptor of exp this connection still has. */
void daxmr_conn_available(struct daxmr_conn *conn, struct daxmr_export *exp)
{
	struct daxmr_proto_msg msg;

	if (daxmr_hold_drop_revoked(&conn->holds, daxmr_export_id(exp),
				    daxmr_export_generation(exp)))
		return;
	if (conn->state != DAXMR_CONN_READY)
		return;
	conn_msg_init(conn, DAXMR_PROTO_OP_AVAILABLE, DAXMR_PROTO_STATUS_OK, 0, ++conn->next_req_id,
		      &msg);
	msg.available.export_id = daxmr_export_id(exp);
	msg.available.generation = daxmr_export_generation(exp);
	if (conn_send(conn, &msg) == 0)
		DAXMR_LOG_INF("connection %s (%s): AVAILABLE %s generation %" PRIu64, conn->peer,
			      conn->client, daxmr_export_name(exp), msg.available.generation);
}

/*
 * exp is about to be deregistered: deallocate every window of this connection over it. A holder
 * whose REVOKE is still unanswered is named, with why: sends its device never acknowledged
 * (unreachable: partitioned, or its host is gone) or a REVOKE delivered and not answered.
 */
void daxmr_conn_fence(struct daxmr_conn *conn, struct daxmr_export *exp)
{
	struct daxmr_hold *h = daxmr_hold_find(&conn->holds, daxmr_export_id(exp));

	if (h && h->exp == exp && h->state == DAXMR_HOLD_REVOKE_SENT && !conn_is_down(conn)) {
		bool unacked = !daxmr_transport_is_send_idle(&conn->tp);

		DAXMR_LOG_WRN("connection %s (%s): holder of %s generation %" PRIu64 " did not "
			      "answer REVOKE: %s; fenced%s",
			      conn->peer, conn->client, daxmr_export_name(exp), h->gen,
			      unacked ? "its RDMA device has not acknowledged our sends "
					"(unreachable: partitioned or gone)" :
					"the REVOKE was delivered, no REVOKE_ACK came",
			      unacked ? "; disconnecting it if it stays unreachable" : "");
		if (unacked && !conn->unreachable_ms)
			conn->unreachable_ms = daxmr_clock_ms();
	}
	conn_drop_queued(conn, exp);
	daxmr_window_fence(&conn->windows, exp);
}

/* Disconnects a holder that has stayed unreachable DAXMR_CONN_UNREACHABLE_MS since its fence. */
int daxmr_conn_expire_unreachable(struct daxmr_conn *conn, int64_t now_ms)
{
	if (!conn->unreachable_ms || conn_is_down(conn))
		return 0;
	if (daxmr_transport_is_send_idle(&conn->tp)) {
		conn->unreachable_ms = 0; /* its device acknowledged everything: it is back */
		return 0;
	}
	if (now_ms - conn->unreachable_ms < DAXMR_CONN_UNREACHABLE_MS)
		return 0;
	DAXMR_LOG_WRN("connection %s (%s): unreachable for %d ms since it missed a REVOKE (its "
		      "device acknowledges none of our sends): disconnecting",
		      conn->peer, conn->client, DAXMR_CONN_UNREACHABLE_MS);
	daxmr_conn_disconnect(conn);
	return -ETIMEDOUT;
}

/* The number of windows allocated. */
size_t daxmr_conn_windows(const struct daxmr_conn *conn)
{
	return daxmr_window_count(&conn->windows);
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
	return conn->holds.n;
}

/* ---- queries and hooks for daxmrctl and reload (server.c) -------------------------------- */

/* What daxmrctl shows of the connection. */
void daxmr_conn_info(const struct daxmr_conn *conn, struct daxmr_conn_info *info)
{
	info->peer = conn->peer;
	info->client = conn->client;
	info->state = conn->state;
	info->auth_required = conn_auth_required(conn);
	info->authenticated = conn_auth_required(conn) && conn->state == DAXMR_CONN_READY;
	info->identity = conn->identity;
	info->version = conn->version;
	info->holds = daxmr_conn_holds(conn);
	info->windows = daxmr_conn_windows(conn);
}

/* Each descriptor, with the key its client uses. */
void daxmr_conn_each_hold(const struct daxmr_conn *conn,
			  void (*fn)(void *arg, const struct daxmr_export *exp, uint64_t gen,
				     enum daxmr_proto_access access, const char *state,
				     uint32_t rkey),
			  void *arg)
{
	static const char *const states[] = { [DAXMR_HOLD_HELD] = "held",
					      [DAXMR_HOLD_REVOKE_SENT] = "revoke-sent",
					      [DAXMR_HOLD_REVOKED] = "revoked" };
	const struct daxmr_hold *h;
	size_t i;

	TAILQ_FOREACH(h, &conn->holds.list, link) {
		uint32_t rkey = 0;

		for (i = 0; i < DAXMR_WINDOW_SLOTS; i++) {
			const struct daxmr_window *w = &conn->windows.slot[i];

			if (w->state == DAXMR_WINDOW_BOUND && w->owner == h && w->seg == 0)
				rkey = w->rkey;
		}
		fn(arg, h->exp, h->gen, h->access, states[h->state], rkey);
	}
}

/* exp is going for good: its descriptors go. */
void daxmr_conn_forget(struct daxmr_conn *conn, struct daxmr_export *exp)
{
	struct daxmr_hold *h, *next;

	conn_drop_queued(conn, exp);
	daxmr_window_fence(&conn->windows, exp);
	for (h = TAILQ_FIRST(&conn->holds.list); h; h = next) {
		next = TAILQ_NEXT(h, link);
		if (h->exp == exp)
			daxmr_hold_drop(&conn->holds, h);
	}
}
