/* SPDX-License-Identifier: BSD-3-Clause */
/* region.h -- libdaxmr: one open export (descriptor, revocation state) and its bounds checks */
#ifndef DAXMR_CLIENT_REGION_H
#define DAXMR_CLIENT_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "daxmr.h"

/*
 * A region's life:
 *
 *   OPEN --REVOKE--> REVOKED --AVAILABLE--> RELEASED
 *    |                  |                      |
 *    +------------------+---- close -----------+--> (freed; CLOSE sent unless RELEASED)
 *
 * Only OPEN regions may be used for RDMA; REVOKED ones still owe the server's AVAILABLE a
 * posted receive; RELEASED ones are forgotten by the server.
 */
enum daxmr_region_state {
	DAXMR_REGION_OPEN = 0,
	DAXMR_REGION_REVOKED,
	DAXMR_REGION_RELEASED,
};

/* Internal: client.c reads and updates these; the public API keeps the struct opaque. */
struct daxmr_region {
	struct daxmr_client *client; /* borrowed: the connection the descriptor belongs to */
	TAILQ_ENTRY(daxmr_region) entry;
	struct daxmr_desc desc;
	char name[DAXMR_NAME_MAX + 1];
	enum daxmr_region_state state;
	bool busy;		 /* an RDMA transfer on it is in flight: a REVOKE's ACK must wait */
	bool ack_deferred;	 /* a REVOKE arrived while busy: ACK it when the transfer ends */
	uint64_t ack_request_id; /* the REVOKE's request id, echoed in the ACK */
};

/* Whether RDMA may be issued on the region: open, or revoked under opts.use_revoked. */
bool daxmr_region_usable(const struct daxmr_region *region);

/*
 * What refuses an operation of len bytes at offset of the region before anything is sent: 0
 * nothing, -ESTALE once revoked, -EACCES for a write on a read-only descriptor, -ERANGE when
 * [offset, offset + len) is not inside [0, desc length) (len 0 is fine at any offset up to the
 * end).
 */
int daxmr_region_op_error(const struct daxmr_region *region, uint64_t offset, uint64_t len,
			  bool write);

#endif /* DAXMR_CLIENT_REGION_H */
