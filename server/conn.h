/* SPDX-License-Identifier: BSD-3-Clause */
/* conn.h -- one client connection: its state machine and the requests it answers */
#ifndef DAXMR_CONN_H
#define DAXMR_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "auth.h"
#include "export.h"
#include "proto.h"

struct daxmr_conn;

/* The connection state machine; the diagram is at the top of conn.c. */
enum daxmr_conn_state {
	DAXMR_CONN_ACCEPTING = 0, /* accepted, rdma_cm ESTABLISHED not seen yet */
	DAXMR_CONN_WAIT_HELLO,	  /* established: only HELLO is allowed */
	DAXMR_CONN_WAIT_AUTH,	  /* HELLO done, the server has a secret: only AUTH is allowed */
	DAXMR_CONN_READY,	  /* HELLO (and AUTH) done: every request */
	DAXMR_CONN_DENIED,	  /* AUTH failed: its ACCESS_DENIED goes out, then we disconnect */
	DAXMR_CONN_CLOSING, /* we disconnected (protocol error, shutdown): waiting for DISCONNECTED
			     */
	DAXMR_CONN_CLOSED,  /* DISCONNECTED: only deletion is left */
};

#define DAXMR_CONN_CREDITS 8	 /* requests a client may have outstanding */
#define DAXMR_CONN_HOLD_MAX 16	 /* descriptors one connection may hold: OPEN beyond is BUSY */
#define DAXMR_CONN_SEND_SLOTS 32 /* the send ring: full means the client is not keeping up */
/* from accept to READY (HELLO, and AUTH with a secret): a silent peer must not hold buffers */
#define DAXMR_CONN_HANDSHAKE_MS 10000
/*
 * A holder fenced while its device acknowledged none of our sends (a REVOKE among them) is
 * disconnected if it stays so this long: the QP alone may retry without end (rxe, retry count 7)
 */
#define DAXMR_CONN_UNREACHABLE_MS 10000

/* What a connection needs from the server. */
struct daxmr_conn_ops {
	/* The export called name, or NULL. */
	struct daxmr_export *(*find_name)(void *arg, const char *name);
	/* The export with id, or NULL. */
	struct daxmr_export *(*find_id)(void *arg, uint32_t id);
	/* The i-th configured export (LIST walks them in order), NULL past the end. */
	struct daxmr_export *(*nth)(void *arg, size_t i);
	/* One holder of generation gen of exp is done with its REVOKE (ack, CLOSE, disconnect). */
	void (*revoke_ack)(void *arg, struct daxmr_export *exp, uint64_t gen);
	/* The connection failed without rdma_cm to tell: delete it later, from the loop. */
	void (*dead)(void *arg, struct daxmr_conn *conn);
};

struct daxmr_conn_env {
	struct ibv_pd *pd;		  /* borrowed: the server's protection domain */
	struct ibv_comp_channel *cc;	  /* borrowed: the one completion channel of all CQs */
	const char *server_name;	  /* borrowed: for HELLO replies */
	const struct daxmr_auth_key *key; /* borrowed: NULL, or clients must AUTH with it */
	/*
	 * borrowed: the server's identities (a keys directory, even an empty one), looked up at
	 * each AUTH, so a reload's new ring applies to the next AUTH; NULL: no identities. With
	 * them clients must AUTH with version 4, naming an identity (or "" for key, if any).
	 */
	const struct daxmr_auth_keyring *keys;
	int max_rd_atom; /* the device's max_qp_rd_atom */
	struct daxmr_conn_ops ops;
	void *arg; /* borrowed: passed to ops */
};

/* "accepting", "wait-hello", "wait-auth", "ready", "denied", "closing", "closed". */
const char *daxmr_conn_state_str(enum daxmr_conn_state state);

/*
 * Answers the CONNECT_REQUEST on id (private data pdata, req the request's parameters): checks
 * the connect private data (rejects with reject private data if bad: BAD_MESSAGE,
 * UNSUPPORTED_VERSION (version 2 at least with a key), ACCESS_DENIED (no export admits the
 * peer's address), BUSY), creates the CQ on env->cc (cq_context = the connection), the QP
 * on env->pd, registers and posts the receive buffers, and accepts with accept private data.
 * On success the connection owns id (id->context = it); on failure the request was rejected
 * where possible and the caller destroys id. 0, or -errno (logged).
 */
int daxmr_conn_new(const struct daxmr_conn_env *env, struct rdma_cm_id *id, const void *pdata,
		   size_t pdata_len, const struct rdma_conn_param *req,
		   struct daxmr_conn **conn_ptr);

/*
 * Rejects a connect request without making a connection (e.g. BUSY while shutting down): reject
 * private data with the range this server accepts (2..2 with a key), the reason logged. The
 * caller still owns and destroys id.
 */
void daxmr_conn_reject(const struct daxmr_conn_env *env, struct rdma_cm_id *id,
		       enum daxmr_proto_status status, const char *why);

/*
 * Tears the connection down: releases its descriptors (a REVOKE awaiting its ack counts as
 * acked), destroys the QP, deregisters the buffers, destroys the CQ and the cm_id.
 */
int daxmr_conn_delete(struct daxmr_conn **conn_ptr);

/* rdma_cm ESTABLISHED: the client may now send HELLO. */
void daxmr_conn_on_established(struct daxmr_conn *conn);

/* rdma_cm DISCONNECTED (or an error event): CLOSED; descriptors under revocation count as acked. */
void daxmr_conn_on_disconnected(struct daxmr_conn *conn);

/*
 * A completion event of this connection's CQ was taken from the channel (ibv_get_cq_event):
 * acks events in batches, re-arms, polls until empty and dispatches every completion.
 */
void daxmr_conn_on_cq_event(struct daxmr_conn *conn);

/*
 * Sends REVOKE for generation gen of exp if this connection holds it, after posting one more
 * receive for the ack. Returns 0 if a REVOKE was sent (one daxmr_conn_ops.revoke_ack follows),
 * -ENOTCONN if the connection is not READY, -ENOENT if it holds no such generation, or the
 * -errno of the failed post (the connection is then disconnecting: its disconnect ends the
 * holder's access).
 */
int daxmr_conn_revoke(struct daxmr_conn *conn, struct daxmr_export *exp, uint64_t gen,
		      enum daxmr_proto_revoke_reason reason, uint32_t deadline_ms);

/* exp is back: AVAILABLE to this connection if it held a revoked descriptor of exp. */
void daxmr_conn_available(struct daxmr_conn *conn, struct daxmr_export *exp);

/*
 * exp's MR is about to be deregistered (the end of a revocation): deallocates every memory window
 * of this connection still bound over it (a holder that did not ack in time), at once.
 */
void daxmr_conn_fence(struct daxmr_conn *conn, struct daxmr_export *exp);

/* The number of memory windows this connection has allocated. */
size_t daxmr_conn_windows(const struct daxmr_conn *conn);

/*
 * Disconnects a connection still short of READY (accepting, waiting for HELLO or AUTH, denied)
 * DAXMR_CONN_HANDSHAKE_MS after it was accepted, now_ms being daxmr_clock_ms(). Returns
 * -ETIMEDOUT if it did, else 0. The server calls it periodically for every connection.
 */
int daxmr_conn_expire_handshake(struct daxmr_conn *conn, int64_t now_ms);

/*
 * Disconnects a connection that was fenced as an unreachable holder (daxmr_conn_fence) and whose
 * device has still not acknowledged our sends DAXMR_CONN_UNREACHABLE_MS later. Returns
 * -ETIMEDOUT if it did, else 0. The server calls it periodically for every connection.
 */
int daxmr_conn_expire_unreachable(struct daxmr_conn *conn, int64_t now_ms);

/* Disconnects (shutdown, protocol error): CLOSING; deletion follows DISCONNECTED. */
void daxmr_conn_disconnect(struct daxmr_conn *conn);

enum daxmr_conn_state daxmr_conn_state(const struct daxmr_conn *conn);

/* The connection's cm_id (borrowed). */
struct rdma_cm_id *daxmr_conn_id(const struct daxmr_conn *conn);

/* The number of descriptors held (any state). */
size_t daxmr_conn_holds(const struct daxmr_conn *conn);

/* ---- queries and hooks for daxmrctl and reload (server.c) ---- */

/* What daxmrctl's "clients" shows of a connection. */
struct daxmr_conn_info {
	const char *peer;   /* borrowed: "ADDR:PORT" */
	const char *client; /* borrowed: the HELLO name, "" before it */
	enum daxmr_conn_state state;
	bool auth_required;   /* daxmrd has a secret or identities: clients must AUTH */
	bool authenticated;   /* AUTH passed (READY with a secret) */
	const char *identity; /* borrowed: the identity AUTH proved, "" before, or anonymous */
	uint16_t version;     /* the protocol version chosen */
	size_t holds;	      /* descriptors held (any state) */
	size_t windows;	      /* memory windows allocated */
};

void daxmr_conn_info(const struct daxmr_conn *conn, struct daxmr_conn_info *info);

/*
 * Calls fn for each descriptor the connection holds: the export, generation, access, state
 * ("held", "revoke-sent", "revoked") and the remote key the client uses (its window's, or 0 when
 * it shares the export's MR key, which fn may read with daxmr_export_desc).
 */
void daxmr_conn_each_hold(const struct daxmr_conn *conn,
			  void (*fn)(void *arg, const struct daxmr_export *exp, uint64_t gen,
				     enum daxmr_proto_access access, const char *state,
				     uint32_t rkey),
			  void *arg);

/*
 * exp goes away for good (unexported, released): drops every descriptor of it, so that no
 * AVAILABLE can follow and nothing points at it. Windows over it are fenced first.
 */
void daxmr_conn_forget(struct daxmr_conn *conn, struct daxmr_export *exp);

#endif /* DAXMR_CONN_H */
