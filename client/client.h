/* SPDX-License-Identifier: BSD-3-Clause */
/* client.h -- libdaxmr: the connection as the region, the handshake and LIST use it */
#ifndef DAXMR_CLIENT_CLIENT_H
#define DAXMR_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daxmr.h"
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

#endif /* DAXMR_CLIENT_CLIENT_H */
