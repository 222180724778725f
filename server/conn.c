/* SPDX-License-Identifier: BSD-3-Clause */
/* conn.c -- one client connection: cm_id, QP, CQ, buffers, request dispatch, state machine */

/*
 * Connection states (docs/architecture.md, "Connections"):
 *
 *   CONNECT_REQUEST --daxmr_conn_new: bad private data / no resources--> rejected (no conn)
 *        |
 *        | accept (receives posted)
 *        v
 *   ACCEPTING --rdma_cm ESTABLISHED, or a first receive--> WAIT_HELLO --HELLO ok--> READY
 *        |                                                     |                     |
 *        +-----------------------+-----------------------------+---------------------+
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

#include "log.h"

#define CONN_RECV_SLOTS (DAXMR_CONN_CREDITS + DAXMR_CONN_HOLD_MAX)
#define CONN_SLOTS (CONN_RECV_SLOTS + DAXMR_CONN_SEND_SLOTS)
#define CONN_WR_SEND (1ull << 32) /* wr_id: send slots have this bit, receive slots do not */
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
	bool dead_reported;		       /* ops.dead called */
	char peer[64];			       /* "ADDR:PORT" for logs */
	char client[DAXMR_PROTO_NAME_MAX + 1]; /* the HELLO name, for logs */
};

/* Names of the states, for logs. */
const char *daxmr_conn_state_str(enum daxmr_conn_state state)
{
	switch (state) {
	case DAXMR_CONN_ACCEPTING:
		return "accepting";
	case DAXMR_CONN_WAIT_HELLO:
		return "wait-hello";
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
	snprintf(buf, size, "%s:%u", addr, port);
}

/* Rejects a connect request with reject private data; logs why. */
static void conn_reject(struct rdma_cm_id *id, const char *peer, enum daxmr_proto_status status,
			const char *why)
{
	struct daxmr_proto_cm_reject rej = {
		.status = status,
		.version_min = DAXMR_PROTO_VERSION_MIN,
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

/* Disconnects: CLOSING; the server deletes the connection on DISCONNECTED. */
void daxmr_conn_disconnect(struct daxmr_conn *conn)
{
	int ret;

	if (conn->state == DAXMR_CONN_CLOSING || conn->state == DAXMR_CONN_CLOSED)
		return;
	conn->state = DAXMR_CONN_CLOSING;
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

/* Removes and frees a descriptor; one awaiting its ack counts as acked. */
static void conn_hold_drop(struct daxmr_conn *conn, struct conn_hold *h)
{
	if (h->state == CONN_HOLD_REVOKE_SENT) {
		conn->revokes_unacked--;
		if (conn->env.ops.revoke_ack)
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

	if (conn->state == DAXMR_CONN_READY)
		return DAXMR_PROTO_STATUS_BAD_STATE;
	if (req->hdr.version != conn->version || h->version_min > conn->version ||
	    h->version_max < conn->version || h->version_min != conn->cm_version_min ||
	    h->version_max != conn->cm_version_max)
		return DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION;
	conn->state = DAXMR_CONN_READY;
	snprintf(conn->client, sizeof(conn->client), "%s", h->name);
	DAXMR_LOG_INF("connection %s: HELLO from %s, version %u", conn->peer, conn->client,
		      conn->version);
	reply->hello_reply.version = conn->version;
	reply->hello_reply.flags = 0;
	snprintf(reply->hello_reply.name, sizeof(reply->hello_reply.name), "%s",
		 conn->env.server_name);
	return DAXMR_PROTO_STATUS_OK;
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
		if (daxmr_export_entry(exp, &entry))
			continue; /* not established: nothing to describe */
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

/* OPEN: a descriptor with the access asked for. */
static enum daxmr_proto_status conn_do_open(struct daxmr_conn *conn,
					    const struct daxmr_proto_msg *req,
					    struct daxmr_proto_msg *reply)
{
	struct daxmr_export *exp = conn->env.ops.find_name(conn->env.arg, req->open.name);
	struct conn_hold *h;
	int ret;

	if (!exp)
		return DAXMR_PROTO_STATUS_NO_SUCH_EXPORT;
	h = conn_hold_find(conn, daxmr_export_id(exp));
	if (!h && conn->nholds >= DAXMR_CONN_HOLD_MAX)
		return DAXMR_PROTO_STATUS_BUSY;
	ret = daxmr_export_desc(exp, req->open.access, &reply->desc);
	if (ret == -EACCES)
		return DAXMR_PROTO_STATUS_ACCESS_DENIED;
	if (ret == -EAGAIN)
		return DAXMR_PROTO_STATUS_REVOKING;
	if (ret)
		return DAXMR_PROTO_STATUS_INTERNAL;
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return DAXMR_PROTO_STATUS_BUSY;
		h->exp = exp;
		h->export_id = daxmr_export_id(exp);
		TAILQ_INSERT_TAIL(&conn->holds, h, link);
		conn->nholds++;
	} else if (h->state == CONN_HOLD_REVOKE_SENT) {
		/* the export is AVAILABLE again: the old REVOKE's ack will never matter */
		conn->revokes_unacked--;
	}
	if (h->state != CONN_HOLD_HELD || h->gen != reply->desc.generation ||
	    req->open.access == DAXMR_PROTO_ACCESS_RW)
		h->access = req->open.access; /* a ro re-OPEN leaves an earlier rw key valid */
	h->gen = reply->desc.generation;
	h->state = CONN_HOLD_HELD;
	DAXMR_LOG_INF("connection %s (%s): OPEN %s %s: generation %" PRIu64 ", rkey 0x%x",
		      conn->peer, conn->client, req->open.name,
		      req->open.access == DAXMR_PROTO_ACCESS_RW ? "rw" : "ro",
		      reply->desc.generation, reply->desc.rkey);
	return DAXMR_PROTO_STATUS_OK;
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
	if (conn->env.ops.revoke_ack)
		conn->env.ops.revoke_ack(conn->env.arg, h->exp, h->gen);
}

/* Whether opcode is a request a client may send. */
static bool conn_is_request(enum daxmr_proto_opcode op)
{
	return op == DAXMR_PROTO_OP_HELLO || op == DAXMR_PROTO_OP_LIST ||
	       op == DAXMR_PROTO_OP_OPEN || op == DAXMR_PROTO_OP_CLOSE ||
	       op == DAXMR_PROTO_OP_FLUSH;
}

/*
 * Decodes and answers one received message. The receive buffer is free again before this runs
 * (the message was copied out by the decoder), and receives are reposted before the reply.
 */
static void conn_dispatch(struct daxmr_conn *conn, const void *buf, size_t len)
{
	struct daxmr_proto_msg msg, reply;
	enum daxmr_proto_status st;
	char why[96];
	int ret;

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
	} else if (conn->state != DAXMR_CONN_READY) {
		st = DAXMR_PROTO_STATUS_BAD_STATE;
	} else {
		switch (msg.hdr.opcode) {
		case DAXMR_PROTO_OP_LIST:
			st = conn_do_list(conn, &msg, &reply);
			break;
		case DAXMR_PROTO_OP_OPEN:
			st = conn_do_open(conn, &msg, &reply);
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
	(void)conn_send(conn, &reply);
}

/* One completion. */
static void conn_on_wc(struct daxmr_conn *conn, const struct ibv_wc *wc)
{
	unsigned int slot = (unsigned int)(wc->wr_id & 0xffffffffu);
	bool send = (wc->wr_id & CONN_WR_SEND) != 0;

	if ((send && slot >= DAXMR_CONN_SEND_SLOTS) || (!send && slot >= CONN_RECV_SLOTS)) {
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

/* Picks the version and checks the device before anything is allocated. */
static int conn_check_request(const struct daxmr_conn_env *env, struct rdma_cm_id *id,
			      const char *peer, const void *pdata, size_t pdata_len,
			      struct daxmr_proto_cm_connect *cm, uint16_t *version_ptr)
{
	int ret;

	ret = daxmr_proto_cm_connect_decode(pdata, pdata_len, cm);
	if (ret) {
		conn_reject(id, peer, DAXMR_PROTO_STATUS_BAD_MESSAGE,
			    "no valid daxmr connect private data");
		return ret;
	}
	ret = daxmr_proto_version_pick(cm->version_min, cm->version_max);
	if (ret < 0) {
		char why[80];

		snprintf(why, sizeof(why), "client speaks versions %u..%u, we speak %u..%u",
			 cm->version_min, cm->version_max, (unsigned int)DAXMR_PROTO_VERSION_MIN,
			 (unsigned int)DAXMR_PROTO_VERSION_MAX);
		conn_reject(id, peer, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, why);
		return ret;
	}
	*version_ptr = (uint16_t)ret;
	if (id->verbs != env->pd->context) {
		conn_reject(id, peer, DAXMR_PROTO_STATUS_BUSY,
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
	char peer[64];
	unsigned int i;
	int ret, n;

	conn_peer_str(id, peer, sizeof(peer));
	ret = conn_check_request(env, id, peer, pdata, pdata_len, &cm, &acc.version);
	if (ret)
		return ret;
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		conn_reject(id, peer, DAXMR_PROTO_STATUS_BUSY, "out of memory");
		return -ENOMEM;
	}
	conn->env = *env;
	conn->id = id;
	conn->version = acc.version;
	conn->cm_version_min = cm.version_min;
	conn->cm_version_max = cm.version_max;
	conn->state = DAXMR_CONN_ACCEPTING;
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
	conn->mr = ibv_reg_mr(env->pd, conn->buf, size, IBV_ACCESS_LOCAL_WRITE);
	if (!conn->mr) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_reg_mr", ret, "connection %s buffers, %zu bytes", peer,
				   size);
		goto err_reject;
	}
	conn->cq = ibv_create_cq(id->verbs, CONN_SLOTS, conn, env->cc, 0);
	if (!conn->cq) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_create_cq", ret, "connection %s, %d entries", peer,
				   CONN_SLOTS);
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
	qpa.cap.max_send_wr = DAXMR_CONN_SEND_SLOTS;
	qpa.cap.max_recv_wr = CONN_RECV_SLOTS;
	qpa.cap.max_send_sge = 1;
	qpa.cap.max_recv_sge = 1;
	if (rdma_create_qp(id, env->pd, &qpa)) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("rdma_create_qp", ret, "connection %s, RC, %d send / %d recv",
				   peer, DAXMR_CONN_SEND_SLOTS, CONN_RECV_SLOTS);
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
	conn_reject(id, peer, DAXMR_PROTO_STATUS_BUSY, "no resources for the connection");
err_destroy:
	conn_destroy_resources(conn);
	free(conn);
	return ret;
}

/* rdma_cm ESTABLISHED. */
void daxmr_conn_on_established(struct daxmr_conn *conn)
{
	if (conn->state == DAXMR_CONN_ACCEPTING)
		conn->state = DAXMR_CONN_WAIT_HELLO;
	DAXMR_LOG_DBG("connection %s: established", conn->peer);
}

/* rdma_cm DISCONNECTED: the QP can issue nothing more, so REVOKEs in flight are answered. */
void daxmr_conn_on_disconnected(struct daxmr_conn *conn)
{
	struct conn_hold *h;

	if (conn->state != DAXMR_CONN_CLOSING && conn->state != DAXMR_CONN_CLOSED)
		(void)rdma_disconnect(conn->id); /* complete our side; failure changes nothing */
	conn->state = DAXMR_CONN_CLOSED;
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
		conn->revokes_unacked--; /* its receive stays posted; a late ack will use it */
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
