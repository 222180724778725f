/* SPDX-License-Identifier: BSD-3-Clause */
/* region.c -- libdaxmr: one open export: its descriptor, its revocation state machine, its checks
 */
#include "region.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

struct daxmr_region {
	struct daxmr_client *client; /* borrowed: the connection the descriptor belongs to */
	TAILQ_ENTRY(daxmr_region) entry;
	struct daxmr_desc desc;
	char name[DAXMR_NAME_MAX + 1];
	enum daxmr_region_state state;
	unsigned int busy; /* RDMA operations on it in flight: a REVOKE's ACK waits for 0 */
	bool ack_kept;	   /* a REVOKE came while busy: its ACK is due when the transfer ends */
	uint32_t *keys;	   /* owned: desc.nseg keys, keys[0 .. nkeys) known */
	uint32_t nkeys;
	uint64_t ack_request_id; /* that REVOKE's request id, echoed in the ACK */
};

/* The region's state. */
enum daxmr_region_state daxmr_region_state(const struct daxmr_region *region)
{
	return region->state;
}

/* Whether the region's descriptor was revoked and not yet released. */
static bool region_is_revoked_held(const struct daxmr_region *region)
{
	return region->state == DAXMR_REGION_REVOKING || region->state == DAXMR_REGION_REVOKED;
}

/* Whether RDMA may be issued on the region: open, or revoked under opts.use_revoked. */
bool daxmr_region_usable(const struct daxmr_region *region)
{
	return region->state == DAXMR_REGION_OPEN ||
	       (region_is_revoked_held(region) && daxmr_client_uses_revoked(region->client));
}

/* What refuses an operation on the region before anything is sent (0: nothing). */
int daxmr_region_op_error(const struct daxmr_region *region, uint64_t offset, uint64_t len,
			  bool write)
{
	if (!daxmr_region_usable(region))
		return -ESTALE;
	if (write && region->desc.access != DAXMR_RW)
		return -EACCES;
	if (offset > region->desc.length || len > region->desc.length - offset)
		return -ERANGE;
	return 0;
}

/* Whether a descriptor is one this library can use: the decoder's rules and ours on top. */
int daxmr_region_desc_check(const struct daxmr_proto_desc *desc)
{
	uint32_t nseg = desc->nseg ? desc->nseg : 1;

	if (desc->length == 0 || desc->addr + desc->length < desc->addr)
		return -EPROTO; /* nothing to address, or a remote range that wraps */
	if (nseg > DAXMR_REGION_NSEG_MAX)
		return -EPROTO;
	if (desc->nseg &&
	    (desc->seg_shift < DAXMR_PROTO_SEG_SHIFT_MIN || desc->seg_shift > 63 ||
	     desc->nkeys == 0 || desc->nkeys > desc->nseg || desc->nkeys > DAXMR_PROTO_KEYS_MAX ||
	     ((desc->length - 1) >> desc->seg_shift) + 1 != desc->nseg ||
	     desc->keys[0] != desc->rkey))
		return -EPROTO; /* the decoder refuses these too: peer input is checked twice */
	return 0;
}

/* Takes the OK reply's descriptor, becomes OPEN, joins the connection's list. */
int daxmr_region_attach(struct daxmr_region_list *list, struct daxmr_region *region,
			const struct daxmr_proto_desc *desc)
{
	struct daxmr_desc *d = &region->desc;
	uint32_t nseg = desc->nseg ? desc->nseg : 1;
	uint32_t *keys;
	int ret;

	ret = daxmr_region_desc_check(desc);
	if (ret)
		return ret;
	keys = calloc(nseg, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	free(region->keys);
	region->keys = keys;
	if (desc->nseg) {
		memcpy(keys, desc->keys, (size_t)desc->nkeys * sizeof(*keys));
		region->nkeys = desc->nkeys;
	} else {
		keys[0] = desc->rkey;
		region->nkeys = 1;
	}

	d->export_id = desc->export_id;
	d->generation = desc->generation;
	d->addr = desc->addr;
	d->length = desc->length;
	d->rkey = desc->rkey;
	d->persist_granularity = desc->persist_granularity;
	d->access = (enum daxmr_access)desc->access;
	d->memory = (enum daxmr_memory)desc->memory;
	d->registration = (enum daxmr_registration)desc->registration;
	d->key_kind = (enum daxmr_key_kind)desc->key_kind;
	d->seg_shift = desc->nseg ? desc->seg_shift : 63;
	d->nseg = desc->nseg ? desc->nseg : 1;
	d->atomic = (desc->flags & DAXMR_PROTO_DESC_F_ATOMIC) != 0;
	region->state = DAXMR_REGION_OPEN;
	TAILQ_INSERT_TAIL(list, region, entry);
	return 0;
}

/* The first segment whose key is not known yet; nseg when every key is. */
uint32_t daxmr_region_keys_missing(const struct daxmr_region *region)
{
	return region->nkeys;
}

/* A KEYS reply's keys for segments first ..: -EPROTO unless exactly the next ones. */
int daxmr_region_keys_add(struct daxmr_region *region, uint32_t first, uint32_t count,
			  const uint32_t *keys)
{
	uint32_t want = region->desc.nseg - region->nkeys;

	if (first != region->nkeys || count == 0 ||
	    count != (want < DAXMR_PROTO_KEYS_MAX ? want : DAXMR_PROTO_KEYS_MAX))
		return -EPROTO;
	memcpy(region->keys + first, keys, (size_t)count * sizeof(*keys));
	region->nkeys += count;
	return 0;
}

/*
 * The piece of [offset, offset + len) that one work request may carry: at most max bytes, not
 * across a segment boundary. *rkey_ptr is that segment's key. The caller checked the range.
 */
size_t daxmr_region_piece(const struct daxmr_region *region, uint64_t offset, size_t len,
			  size_t max, uint32_t *rkey_ptr)
{
	uint32_t shift = region->desc.seg_shift;
	uint64_t seg_left = (1ull << shift) - (offset & ((1ull << shift) - 1));
	uint64_t seg = offset >> shift;
	size_t n = len < max ? len : max;

	if (n > seg_left)
		n = (size_t)seg_left;
	*rkey_ptr = seg < region->nkeys ? region->keys[seg] : 0;
	return n;
}

/* Joins list again as RELEASED: its descriptor did not survive a reconnect. */
void daxmr_region_attach_lost(struct daxmr_region_list *list, struct daxmr_region *region)
{
	region->state = DAXMR_REGION_RELEASED;
	TAILQ_INSERT_TAIL(list, region, entry);
}

/* Leaves the connection's list. */
void daxmr_region_detach(struct daxmr_region_list *list, struct daxmr_region *region)
{
	TAILQ_REMOVE(list, region, entry);
}

/* The next region on list (the first for NULL). */
struct daxmr_region *daxmr_region_next(const struct daxmr_region_list *list,
				       const struct daxmr_region *region)
{
	return region ? TAILQ_NEXT(region, entry) : TAILQ_FIRST(list);
}

/* Frees the regions the caller never closed. */
void daxmr_region_list_free(struct daxmr_region_list *list)
{
	struct daxmr_region *region;

	while ((region = TAILQ_FIRST(list))) {
		TAILQ_REMOVE(list, region, entry);
		free(region->keys);
		free(region);
	}
}

/* Whether the REVOKE is for the descriptor this region holds open. */
bool daxmr_region_revoke_matches(const struct daxmr_region *region, uint32_t export_id,
				 uint64_t generation)
{
	return region->state == DAXMR_REGION_OPEN && region->desc.export_id == export_id &&
	       region->desc.generation == generation;
}

/* OPEN -> REVOKED, or REVOKING (keeping the ACK) while a transfer is in flight. */
void daxmr_region_revoke(struct daxmr_region *region, uint64_t request_id)
{
	if (!region->busy) {
		region->state = DAXMR_REGION_REVOKED;
		return;
	}
	/* its transfer is in flight: the server may not fence until it ends */
	region->state = DAXMR_REGION_REVOKING;
	region->ack_kept = true;
	region->ack_request_id = request_id;
}

/* Whether the AVAILABLE releases one of this export's revoked descriptors. */
bool daxmr_region_available_matches(const struct daxmr_region *region, uint32_t export_id)
{
	return region_is_revoked_held(region) && region->desc.export_id == export_id;
}

/* -> RELEASED. */
void daxmr_region_release(struct daxmr_region *region)
{
	region->state = DAXMR_REGION_RELEASED;
}

/* An operation starts. */
void daxmr_region_transfer_begin(struct daxmr_region *region)
{
	region->busy++;
}

/* An operation ended: with the last one, REVOKING -> REVOKED and a kept ACK is due. */
void daxmr_region_transfer_end(struct daxmr_region *region)
{
	if (region->busy)
		region->busy--;
	if (!region->busy && region->state == DAXMR_REGION_REVOKING)
		region->state = DAXMR_REGION_REVOKED;
}

/* RDMA operations on the region not yet completed. */
unsigned int daxmr_region_busy(const struct daxmr_region *region)
{
	return region->busy;
}

/* The client the region belongs to. */
struct daxmr_client *daxmr_region_client(const struct daxmr_region *region)
{
	return region->client;
}

/* Whether a kept ACK is due. */
bool daxmr_region_has_ack_due(const struct daxmr_region *region)
{
	return region->ack_kept && !region->busy;
}

bool daxmr_region_keeps_ack(const struct daxmr_region *region)
{
	return region->ack_kept;
}

/* Hands the due ACK over. */
uint64_t daxmr_region_ack_take(struct daxmr_region *region)
{
	region->ack_kept = false;
	return region->ack_request_id;
}

/* Opens export name: OPEN to the server, which hands out a descriptor. */
int daxmr_region_open(struct daxmr_client *client, const char *name, enum daxmr_access access,
		      struct daxmr_region **region_ptr)
{
	struct daxmr_region *region;
	size_t n;
	int ret;

	if (!client || !name || !region_ptr || (access != DAXMR_RO && access != DAXMR_RW))
		return -EINVAL;
	n = strlen(name);
	if (n == 0 || n > DAXMR_NAME_MAX)
		return -EINVAL;
	region = calloc(1, sizeof(*region));
	if (!region)
		return -ENOMEM;
	region->client = client;
	memcpy(region->name, name, n + 1);
	ret = daxmr_client_open_desc(client, region, access);
	if (ret)
		goto err_free;
	*region_ptr = region;
	return 0;

err_free:
	/* only an OK reply attaches the region, and a failure after it detached it again */
	free(region->keys);
	free(region);
	return ret;
}

/* Closes the region and frees it. */
int daxmr_region_close(struct daxmr_region **region_ptr)
{
	struct daxmr_region *region;
	int ret;

	if (!region_ptr || !*region_ptr)
		return 0;
	region = *region_ptr;
	*region_ptr = NULL;
	ret = daxmr_client_close_desc(region->client, region);
	free(region->keys);
	free(region);
	return ret;
}

/* The region's descriptor. */
const struct daxmr_desc *daxmr_region_desc(const struct daxmr_region *region)
{
	return &region->desc;
}

/* The export's name. */
const char *daxmr_region_name(const struct daxmr_region *region)
{
	return region->name;
}

/* Whether the region was revoked. */
int daxmr_region_is_revoked(const struct daxmr_region *region)
{
	return region->state != DAXMR_REGION_OPEN;
}

/*
 * What refuses an operation now: the connection's state (a dead connection also revokes its
 * regions: -ENOTCONN says why), then the region's own checks.
 */
static int region_op_refused(const struct daxmr_region *region, uint64_t offset, uint64_t len,
			     bool write)
{
	int ret = daxmr_client_error(region->client);

	return ret ? ret : daxmr_region_op_error(region, offset, len, write);
}

/* Read and write: the checks, then the transfer (a zero-length one only checks). */
static int region_transfer(struct daxmr_region *region, bool write, uint64_t offset, void *buf,
			   size_t len)
{
	int ret;

	if (!region || (!buf && len))
		return -EINVAL;
	ret = region_op_refused(region, offset, len, write);
	if (ret || len == 0)
		return ret;
	return daxmr_client_transfer(region->client, region, write, offset, buf, len);
}

/* One-sided READ into buf. */
int daxmr_region_read(struct daxmr_region *region, uint64_t offset, void *buf, size_t len)
{
	return region_transfer(region, false, offset, buf, len);
}

/* One-sided WRITE from buf. */
int daxmr_region_write(struct daxmr_region *region, uint64_t offset, const void *buf, size_t len)
{
	/* the transfer only reads buf when writing: the cast drops const for the shared path */
	return region_transfer(region, true, offset, (void *)(uintptr_t)buf, len);
}

/* FLUSH a range to persistence. */
int daxmr_region_flush(struct daxmr_region *region, uint64_t offset, uint64_t len)
{
	int ret;

	if (!region)
		return -EINVAL;
	ret = region_op_refused(region, offset, len, false);
	if (ret)
		return ret;
	return daxmr_client_flush_desc(region->client, region, offset, len);
}
