/* SPDX-License-Identifier: BSD-3-Clause */
/* client.h -- libdaxmr: the connection (rdma_cm, QP, control messages, events) as region.c uses it
 */
#ifndef DAXMR_CLIENT_CLIENT_H
#define DAXMR_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daxmr.h"
#include "region.h"

/*
 * Sends OPEN for region->name with access and waits for the reply. On OK the descriptor is
 * copied into region->desc and the region is attached to the client (before any later message is
 * handled, so a REVOKE right behind the reply finds it). 0 or -errno (status mapped).
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
