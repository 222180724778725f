/* SPDX-License-Identifier: BSD-3-Clause */
/* client.h -- libdaxmr: the connection as the region, the handshake and LIST use it */
#ifndef DAXMR_CLIENT_CLIENT_H
#define DAXMR_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "daxmr.h"
#include "mem.h"
#include "ops.h"
#include "proto.h"

/* A request and the room for its reply, on the heap: a LIST reply is 4 KiB. */
struct daxmr_client_call {
	struct daxmr_proto_msg req;
	struct daxmr_proto_msg reply;
};

/* A zeroed request of opcode with room for its reply (free() it); NULL when out of memory. */
struct daxmr_client_call *daxmr_client_call_new(enum daxmr_proto_opcode opcode);

/*
 * Sends call->req (its payload set) and waits for call->reply. opening: the region an OPEN is
 * for (attached when the reply is OK), else NULL. 0 for an OK reply; for another, its status's
 * errno (daxmr_client_call_refused then says so); else the transport's -errno (-ENOTCONN,
 * -EBUSY from inside a callback, -ETIMEDOUT, which kills the connection: a reply that came
 * later could not be matched).
 */
int daxmr_client_call(struct daxmr_client *client, struct daxmr_client_call *call,
		      struct daxmr_region *opening);

/* Whether call got a reply whose status was not OK (rather than no reply at all). */
bool daxmr_client_call_refused(const struct daxmr_client_call *call);

/* Before returning to the caller: queued ACKs out, the CQ armed, so the fd tells of news. */
void daxmr_client_settle(struct daxmr_client *client);

/* The server's "host:port", for log lines. */
const char *daxmr_client_peer(const struct daxmr_client *client);

/*
 * Sends OPEN for the region's name with access and waits for the reply. On OK the region takes
 * the descriptor and is attached to the client (before any later message is handled, so a
 * REVOKE right behind the reply finds it). 0 or -errno (status mapped).
 */
int daxmr_client_open_desc(struct daxmr_client *client, struct daxmr_region *region,
			   enum daxmr_access access);

/*
 * Ends the region's use of its descriptor: CLOSE unless the server already forgot it (RELEASED),
 * then detaches it and drops its undelivered events. A CLOSE answered NOT_OPEN or
 * STALE_GENERATION (it crossed a revocation) is success. Always detaches.
 */
int daxmr_client_close_desc(struct daxmr_client *client, struct daxmr_region *region);

/* FLUSH [offset, offset + len) of the region's descriptor; 0 or -errno (status mapped). */
int daxmr_client_flush_desc(struct daxmr_client *client, struct daxmr_region *region,
			    uint64_t offset, uint64_t len);

/*
 * FLUSH [offset, offset + len) of the region's descriptor without waiting: after whatever
 * DAXMR_OP_F_MORE queued is posted (the FLUSH follows those writes on the QP), its reply becomes
 * the completion (DAXMR_OP_FLUSH, op_ctx) of an operation of the ops ring. 0; -EAGAIN all but one
 * of the server's credits are in use (or no send slot is free); -EOPNOTSUPP the server grants
 * one credit; -ENOTCONN. A send that fails kills the connection and is 0 here (the completion
 * says -ENOTCONN).
 */
int daxmr_client_flush_post(struct daxmr_client *client, struct daxmr_region *region,
			    uint64_t offset, uint64_t len, void *op_ctx, unsigned int flags);

/*
 * One-sided RDMA READ (write false: into buf) or WRITE (from buf) of len bytes at offset of the
 * region, in bounce-buffer-sized chunks; stops with -ESTALE at a chunk boundary once the region is
 * revoked. A failed completion kills the connection: -EACCES (remote access error) or -EIO.
 */
int daxmr_client_transfer(struct daxmr_client *client, struct daxmr_region *region, bool write,
			  uint64_t offset, void *buf, size_t len);

/* Whether revoked regions stay usable (opts.use_revoked, fault tests only). */
bool daxmr_client_uses_revoked(const struct daxmr_client *client);

/*
 * What stops the connection from carrying requests: 0 while it can (HELLO, AUTH, READY), else
 * -ENOTCONN (connecting, dead or closed).
 */
int daxmr_client_error(const struct daxmr_client *client);

/*
 * Queues (and unless DAXMR_OP_F_MORE, posts) an RDMA operation on the connection's ring: 0,
 * -EAGAIN, -EMSGSIZE, -EOPNOTSUPP (daxmr_ops_post). A post that fails kills the connection
 * and is 0 here: the operation is reported failed (-ENOTCONN) by daxmr_client_poll.
 */
int daxmr_client_post(struct daxmr_client *client, const struct daxmr_ops_req *req);

/* Waits (timeout_ms) for the internal operation posted last: its status, or the wait's error. */
int daxmr_client_wait_internal(struct daxmr_client *client);

/* The library's registered scratch buffer (page-aligned, DAXMR_QP_BOUNCE_SIZE) and its lkey. */
uint64_t *daxmr_client_scratch(struct daxmr_client *client, uint32_t *lkey_ptr);

/* The region's last operation ended: queues the REVOKE_ACK it kept, if one is due. */
void daxmr_client_region_idle(struct daxmr_client *client, struct daxmr_region *region);

/* The protection domain caller memory registers on (borrowed). */
struct ibv_pd *daxmr_client_pd(const struct daxmr_client *client);

/* The client's list of registered memory (daxmr_mem_reg joins it, dereg leaves it). */
struct daxmr_mem_list *daxmr_client_mems(struct daxmr_client *client);

#endif /* DAXMR_CLIENT_CLIENT_H */
