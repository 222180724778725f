/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_desc.c -- libFuzzer target: libdaxmr's handling of a server's descriptor (client/region.c)
 * on any bytes: an OPEN reply decoded as version 3, taken by daxmr_region_attach, then KEYS
 * replies and the split of operations into pieces.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "proto.h"
#include "region.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the connection, as region.c sees it: OPEN attaches the fuzzed descriptor ---- */

static struct daxmr_region_list fuzz_regions = TAILQ_HEAD_INITIALIZER(fuzz_regions);
static const struct daxmr_proto_desc *fuzz_desc;

int daxmr_client_open_desc(struct daxmr_client *client, struct daxmr_region *region,
			   enum daxmr_access access)
{
	(void)client;
	(void)access;
	return daxmr_region_attach(&fuzz_regions, region, fuzz_desc);
}

int daxmr_client_close_desc(struct daxmr_client *client, struct daxmr_region *region)
{
	(void)client;
	daxmr_region_detach(&fuzz_regions, region);
	return 0;
}

int daxmr_client_flush_desc(struct daxmr_client *client, struct daxmr_region *region,
			    uint64_t offset, uint64_t len)
{
	(void)client, (void)region, (void)offset, (void)len;
	return 0;
}

int daxmr_client_transfer(struct daxmr_client *client, struct daxmr_region *region, bool write,
			  uint64_t offset, void *buf, size_t len)
{
	(void)client, (void)region, (void)write, (void)offset, (void)buf, (void)len;
	return 0;
}

bool daxmr_client_uses_revoked(const struct daxmr_client *client)
{
	(void)client;
	return false;
}

int daxmr_client_error(const struct daxmr_client *client)
{
	(void)client;
	return 0;
}

/* Reads a little-endian u64 from the input's tail (0 past its end). */
static uint64_t fuzz_u64(const uint8_t *data, size_t size, size_t at)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && at + i < size; i++)
		v |= (uint64_t)data[at + i] << (8 * i);
	return v;
}

/* The size of the message at data (its header's length field + the header); 0 if none fits. */
static size_t fuzz_msg_size(const uint8_t *data, size_t size)
{
	uint64_t n;

	if (size < DAXMR_PROTO_HDR_SIZE)
		return 0;
	n = DAXMR_PROTO_HDR_SIZE + ((uint64_t)data[8] | (uint64_t)data[9] << 8 |
				    (uint64_t)data[10] << 16 | (uint64_t)data[11] << 24);
	return n <= size ? (size_t)n : 0;
}

/*
 * Every piece of [off, off + len) stays inside one segment, carries that segment's key (or 0
 * for one not known yet) and at most max bytes; the pieces cover the range exactly.
 */
static void fuzz_pieces(const struct daxmr_region *region, const uint32_t *keys, uint32_t nkeys,
			uint64_t off, uint64_t len, size_t max)
{
	const struct daxmr_desc *d = daxmr_region_desc(region);
	uint64_t end = off + len;
	uint32_t rkey;
	size_t n;
	int guard = 0;

	if (daxmr_region_op_error(region, off, len, false))
		return;
	while (off < end && guard++ < 4096) {
		n = daxmr_region_piece(region, off, (size_t)(end - off), max, &rkey);
		if (n == 0 || n > max || n > end - off)
			abort();
		if ((off >> d->seg_shift) != ((off + n - 1) >> d->seg_shift))
			abort(); /* a piece across a segment boundary */
		if ((off >> d->seg_shift) < nkeys ? rkey != keys[off >> d->seg_shift] : rkey != 0)
			abort();
		off += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daxmr_proto_msg msg, keys_msg;
	static uint32_t keys[DAXMR_REGION_NSEG_MAX];
	struct daxmr_region *region = NULL;
	size_t used, klen;
	uint32_t nkeys;
	uint64_t off;

	used = fuzz_msg_size(data, size);
	if (!used || daxmr_proto_msg_decode(data, used, &msg) ||
	    msg.hdr.opcode != DAXMR_PROTO_OP_OPEN || !(msg.hdr.flags & DAXMR_PROTO_F_REPLY) ||
	    msg.hdr.status != DAXMR_PROTO_STATUS_OK)
		return 0;
	fuzz_desc = &msg.desc;
	if (daxmr_region_open((struct daxmr_client *)(uintptr_t)1, "fuzz", DAXMR_RW, &region))
		return 0; /* refused: fine, as long as nothing crashed or leaked */
	if (daxmr_region_desc_check(&msg.desc))
		abort(); /* attach must refuse what the check refuses */
	nkeys = msg.desc.nseg ? msg.desc.nkeys : 1;
	memcpy(keys, msg.desc.nseg ? msg.desc.keys : &msg.desc.rkey, nkeys * sizeof(keys[0]));
	/* what may follow the OPEN reply: one KEYS reply, then offsets and lengths to split */
	klen = fuzz_msg_size(data + used, size - used);
	if (klen && !daxmr_proto_msg_decode(data + used, klen, &keys_msg) &&
	    keys_msg.hdr.opcode == DAXMR_PROTO_OP_KEYS &&
	    (keys_msg.hdr.flags & DAXMR_PROTO_F_REPLY) &&
	    keys_msg.hdr.status == DAXMR_PROTO_STATUS_OK &&
	    !daxmr_region_keys_add(region, keys_msg.keys_reply.first, keys_msg.keys_reply.count,
				   keys_msg.keys_reply.keys)) {
		if (keys_msg.keys_reply.first != nkeys)
			abort();
		memcpy(keys + nkeys, keys_msg.keys_reply.keys,
		       keys_msg.keys_reply.count * sizeof(keys[0]));
		nkeys += keys_msg.keys_reply.count;
		used += klen;
	}
	if (daxmr_region_keys_missing(region) != nkeys)
		abort();
	off = fuzz_u64(data, size, used);
	if (msg.desc.length < UINT64_MAX)
		off %= msg.desc.length + 1;
	fuzz_pieces(region, keys, nkeys, off, fuzz_u64(data, size, used + 8) % (64u << 20),
		    4096 + fuzz_u64(data, size, used + 16) % (1u << 20));
	daxmr_region_close(&region);
	return 0;
}
