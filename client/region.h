/* SPDX-License-Identifier: BSD-3-Clause */
/* region.h -- libdaxmr: one open export: its descriptor, its revocation state machine, its checks
 */
#ifndef DAXMR_CLIENT_REGION_H
#define DAXMR_CLIENT_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "daxmr.h"
#include "proto.h"

/*
 * A region's life (enum daxmr_region_state):
 *
 *   OPEN --REVOKE, no transfer in flight--> REVOKED --AVAILABLE--> RELEASED
 *   OPEN --REVOKE during transfers--> REVOKING --the last one ends--> REVOKED
 *   REVOKING --AVAILABLE--> RELEASED (the REVOKE's ACK is still due when the transfer ends)
 *   any state --close--> (freed; CLOSE sent unless RELEASED)
 *
 * Only OPEN regions may be used for RDMA (and, under opts.use_revoked, REVOKING and REVOKED
 * ones); the ACK of a REVOKE that finds the region idle is the connection's to send at once,
 * that of one that finds it busy the region keeps until daxmr_region_transfer_end. REVOKING
 * and REVOKED regions still owe the server's AVAILABLE a posted receive; RELEASED ones are
 * forgotten by the server.
 */
enum daxmr_region_state {
	DAXMR_REGION_OPEN = 0,
	DAXMR_REGION_REVOKING,
	DAXMR_REGION_REVOKED,
	DAXMR_REGION_RELEASED,
};

/* The connection's list of attached regions (opaque: walk it with daxmr_region_next). */
TAILQ_HEAD(daxmr_region_list, daxmr_region);

/* The region's state. */
enum daxmr_region_state daxmr_region_state(const struct daxmr_region *region);

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

/* The most segments a descriptor may have here: 4 MiB of keys (a 1 TiB export has 1024). */
#define DAXMR_REGION_NSEG_MAX (1u << 20)

/*
 * Whether desc (from a server's OPEN reply) is usable: 0, or -EPROTO for length 0, a remote
 * range that wraps, more than DAXMR_REGION_NSEG_MAX segments, or a segment table that breaks
 * docs/protocol.md 9.2 (the decoder's rules, checked again).
 */
int daxmr_region_desc_check(const struct daxmr_proto_desc *desc);

/*
 * An OK reply to the region's OPEN: takes its descriptor (and the keys it carries), becomes
 * OPEN and joins list (at once: a REVOKE right behind the reply must find it). -EPROTO for a
 * descriptor daxmr_region_desc_check refuses, -ENOMEM; the region is then not attached.
 */
int daxmr_region_attach(struct daxmr_region_list *list, struct daxmr_region *region,
			const struct daxmr_proto_desc *desc);

/* The first segment whose key is still to be fetched with KEYS; desc nseg when none is. */
uint32_t daxmr_region_keys_missing(const struct daxmr_region *region);

/*
 * Takes count keys of segments first .. (a KEYS reply): -EPROTO unless first is
 * daxmr_region_keys_missing and count is what the server must send (min(rest, 1000)).
 */
int daxmr_region_keys_add(struct daxmr_region *region, uint32_t first, uint32_t count,
			  const uint32_t *keys);

/*
 * The length of the first piece of [offset, offset + len) one work request may carry: at
 * most max, never across a segment boundary; *rkey_ptr is the key of its segment (0 if that
 * key is not known). The range must have passed daxmr_region_op_error.
 */
size_t daxmr_region_piece(const struct daxmr_region *region, uint64_t offset, size_t len,
			  size_t max, uint32_t *rkey_ptr);

/* RDMA operations on the region in flight (daxmr_region_transfer_begin minus _end). */
unsigned int daxmr_region_busy(const struct daxmr_region *region);

/* The client the region belongs to (borrowed). */
struct daxmr_client *daxmr_region_client(const struct daxmr_region *region);

/*
 * A region whose descriptor did not survive a reconnect joins list again as RELEASED: the new
 * connection's server holds nothing for it (its close sends nothing), its operations fail -ESTALE.
 */
void daxmr_region_attach_lost(struct daxmr_region_list *list, struct daxmr_region *region);
/* Leaves list (close); the region itself is the caller's to free. */
void daxmr_region_detach(struct daxmr_region_list *list, struct daxmr_region *region);

/* The region after region on list, or the first one when region is NULL; NULL at the end. */
struct daxmr_region *daxmr_region_next(const struct daxmr_region_list *list,
				       const struct daxmr_region *region);

/* Frees every region still on list: the caller never closed them, their pointers die here. */
void daxmr_region_list_free(struct daxmr_region_list *list);

/* Whether a REVOKE of export_id at generation is for this region: it holds that one open. */
bool daxmr_region_revoke_matches(const struct daxmr_region *region, uint32_t export_id,
				 uint64_t generation);

/*
 * The REVOKE (its request id) for an OPEN region arrived: REVOKED when no transfer is in flight
 * (the caller acknowledges now), else REVOKING, keeping request_id for the ACK that
 * daxmr_region_transfer_end makes due.
 */
void daxmr_region_revoke(struct daxmr_region *region, uint64_t request_id);

/* Whether an AVAILABLE of export_id releases this region: one of its revoked descriptors. */
bool daxmr_region_available_matches(const struct daxmr_region *region, uint32_t export_id);

/* The export's AVAILABLE arrived: RELEASED (the server forgot the descriptor). */
void daxmr_region_release(struct daxmr_region *region);

/* An RDMA operation on the region starts (they nest): a REVOKE from now on keeps its ACK. */
void daxmr_region_transfer_begin(struct daxmr_region *region);

/* One ended; with the last, a REVOKING region is REVOKED, and the ACK it kept is due. */
void daxmr_region_transfer_end(struct daxmr_region *region);

/* Whether the region keeps a REVOKE's ACK that is due now (its transfer has ended). */
bool daxmr_region_has_ack_due(const struct daxmr_region *region);
/* Whether a REVOKE's ACK waits for the region's operations (due or not yet). */
bool daxmr_region_keeps_ack(const struct daxmr_region *region);

/* Hands the due ACK over: the REVOKE's request id; the region keeps no ACK after this. */
uint64_t daxmr_region_ack_take(struct daxmr_region *region);

#endif /* DAXMR_CLIENT_REGION_H */
