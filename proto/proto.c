/* SPDX-License-Identifier: BSD-3-Clause */
/* proto.c -- daxmr wire protocol: field-by-field little-endian encode, decode and validation */
#include "proto.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* LIST reply: start u32, count u16, flags u16 */
#define LIST_REPLY_FIXED 8
/* LIST entry: export_id u32, generation u64, length u64, 3 x u8, name length u16 */
#define LIST_ENTRY_FIXED 25
/* OPEN reply, version >= 3: the 40 bytes of version 1, seg_shift, flags, nseg, nkeys */
#define DESC_V3_FIXED 48
/* KEYS reply: first u32, count u16 */
#define KEYS_REPLY_FIXED 6
#define HDR_LENGTH_OFFSET 8 /* where the header's payload length sits */

_Static_assert(DAXMR_PROTO_HDR_SIZE + LIST_REPLY_FIXED +
			       DAXMR_PROTO_LIST_MAX * (LIST_ENTRY_FIXED + DAXMR_PROTO_NAME_MAX) <=
		       DAXMR_PROTO_MSG_MAX,
	       "a LIST reply of maximal entries must fit in one message");
_Static_assert(DAXMR_PROTO_HDR_SIZE + DESC_V3_FIXED + 4 * DAXMR_PROTO_KEYS_MAX <=
		       DAXMR_PROTO_MSG_MAX,
	       "an OPEN reply of maximal keys must fit in one message");
_Static_assert(DAXMR_PROTO_HDR_SIZE + KEYS_REPLY_FIXED + 4 * DAXMR_PROTO_KEYS_MAX <=
		       DAXMR_PROTO_MSG_MAX,
	       "a KEYS reply of maximal keys must fit in one message");
_Static_assert(DAXMR_PROTO_HDR_SIZE + 2 + DAXMR_PROTO_REASON_MAX <= DAXMR_PROTO_MSG_MAX,
	       "a reason must fit in one message");
_Static_assert(DAXMR_PROTO_CM_CONNECT_SIZE <= DAXMR_PROTO_CM_CONNECT_LIMIT, "connect pdata");
_Static_assert(DAXMR_PROTO_CM_ACCEPT_SIZE <= DAXMR_PROTO_CM_ACCEPT_LIMIT, "accept pdata");
_Static_assert(DAXMR_PROTO_CM_REJECT_SIZE + 2 + DAXMR_PROTO_CM_REASON_MAX <=
		       DAXMR_PROTO_CM_REJECT_LIMIT,
	       "reject pdata with its reason");

/* A bounded write cursor; the first overflow sticks, so encoders check once at the end. */
struct proto_wbuf {
	uint8_t *buf; /* borrowed: the caller's output buffer */
	size_t len;
	size_t off;
	int err;
};

/* A bounded read cursor; a short read sticks as -EBADMSG and yields zeros. */
struct proto_rbuf {
	const uint8_t *buf; /* borrowed: the caller's input buffer */
	size_t len;
	size_t off;
	int err;
};

/* Appends n bytes, or records -ENOBUFS. */
static void proto_put(struct proto_wbuf *w, const void *src, size_t n)
{
	if (w->err || n > w->len - w->off) {
		w->err = -ENOBUFS;
		return;
	}
	memcpy(w->buf + w->off, src, n);
	w->off += n;
}

/* Appends one byte. */
static void proto_put_u8(struct proto_wbuf *w, uint8_t v)
{
	proto_put(w, &v, sizeof(v));
}

/* Appends a little-endian u16. */
static void proto_put_u16(struct proto_wbuf *w, uint16_t v)
{
	v = htole16(v);
	proto_put(w, &v, sizeof(v));
}

/* Appends a little-endian u32. */
static void proto_put_u32(struct proto_wbuf *w, uint32_t v)
{
	v = htole32(v);
	proto_put(w, &v, sizeof(v));
}

/* Appends a little-endian u64. */
static void proto_put_u64(struct proto_wbuf *w, uint64_t v)
{
	v = htole64(v);
	proto_put(w, &v, sizeof(v));
}

/* Appends a name already checked by daxmr_proto_name_valid: u16 length, then the bytes. */
static void proto_put_name(struct proto_wbuf *w, const char *name)
{
	size_t n = strlen(name);

	proto_put_u16(w, (uint16_t)n);
	proto_put(w, name, n);
}

/* Takes n bytes into dst, or records -EBADMSG and zeroes dst. */
static void proto_get(struct proto_rbuf *r, void *dst, size_t n)
{
	if (r->err || n > r->len - r->off) {
		r->err = -EBADMSG;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->buf + r->off, n);
	r->off += n;
}

/* Takes one byte. */
static uint8_t proto_get_u8(struct proto_rbuf *r)
{
	uint8_t v;

	proto_get(r, &v, sizeof(v));
	return v;
}

/* Takes a little-endian u16. */
static uint16_t proto_get_u16(struct proto_rbuf *r)
{
	uint16_t v;

	proto_get(r, &v, sizeof(v));
	return le16toh(v);
}

/* Takes a little-endian u32. */
static uint32_t proto_get_u32(struct proto_rbuf *r)
{
	uint32_t v;

	proto_get(r, &v, sizeof(v));
	return le32toh(v);
}

/* Takes a little-endian u64. */
static uint64_t proto_get_u64(struct proto_rbuf *r)
{
	uint64_t v;

	proto_get(r, &v, sizeof(v));
	return le64toh(v);
}

/*
 * Takes a length-prefixed name into a NUL-terminated copy. Rejects a length over
 * DAXMR_PROTO_NAME_MAX before reading, and a NUL inside; daxmr_proto_name_valid does the rest.
 */
static void proto_get_name(struct proto_rbuf *r, char name[static DAXMR_PROTO_NAME_MAX + 1])
{
	uint16_t n = proto_get_u16(r);

	if (n > DAXMR_PROTO_NAME_MAX) {
		r->err = -EBADMSG;
		n = 0;
	}
	proto_get(r, name, n);
	name[n] = '\0';
	if (memchr(name, '\0', n))
		r->err = -EBADMSG;
}

/*
 * Takes a reason: u16 length n, 1 <= n <= DAXMR_PROTO_REASON_MAX, then n bytes, copied with a
 * NUL; a NUL inside is rejected here, proto_reason_check does the rest.
 */
static void proto_get_reason(struct proto_rbuf *r, char reason[static DAXMR_PROTO_REASON_MAX + 1])
{
	uint16_t n = proto_get_u16(r);

	if (n > DAXMR_PROTO_REASON_MAX) {
		r->err = -EBADMSG;
		reason[0] = '\0';
		return;
	}
	proto_get(r, reason, n);
	reason[n] = '\0';
	if (!r->err && (n == 0 || memchr(reason, '\0', n)))
		r->err = -EBADMSG;
}

/* Whether a reason has 1..max bytes, all printable ASCII (space too). */
static bool proto_reason_check_max(const char *reason, size_t max)
{
	size_t n = strnlen(reason, max + 1);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (reason[i] < 0x20 || reason[i] > 0x7e)
			return false;
	return true;
}

/* Whether a reply's reason has 1..DAXMR_PROTO_REASON_MAX bytes, all printable ASCII. */
static bool proto_reason_check(const char *reason)
{
	return proto_reason_check_max(reason, DAXMR_PROTO_REASON_MAX);
}

/* Whether a name has 1..DAXMR_PROTO_NAME_MAX bytes, all printable ASCII but space. */
bool daxmr_proto_name_valid(const char *name)
{
	size_t n = strnlen(name, DAXMR_PROTO_NAME_MAX + 1);

	if (n == 0 || n > DAXMR_PROTO_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			return false;
	return true;
}

/* Checks that an access value is one of enum daxmr_proto_access. */
static bool proto_access_check(enum daxmr_proto_access a)
{
	return a == DAXMR_PROTO_ACCESS_RO || a == DAXMR_PROTO_ACCESS_RW;
}

/* Checks that a memory kind is one of enum daxmr_proto_memory. */
static bool proto_memory_check(enum daxmr_proto_memory m)
{
	return m >= DAXMR_PROTO_MEMORY_FSDAX && m <= DAXMR_PROTO_MEMORY_PAGECACHE;
}

/* Checks that a registration is one of enum daxmr_proto_registration. */
static bool proto_registration_check(enum daxmr_proto_registration g)
{
	return g == DAXMR_PROTO_REG_PINNED || g == DAXMR_PROTO_REG_ODP;
}

/* Checks that a status is one of enum daxmr_proto_status known in version: UNAVAILABLE from 3. */
static bool proto_status_check(enum daxmr_proto_status s, uint16_t version)
{
	if (s == DAXMR_PROTO_STATUS_UNAVAILABLE)
		return version >= DAXMR_PROTO_VERSION_SEG;
	return (unsigned int)s <= DAXMR_PROTO_STATUS_INTERNAL;
}

/* Checks a version range: 1 <= min <= max. */
static bool proto_range_check(uint16_t version_min, uint16_t version_max)
{
	return version_min >= 1 && version_min <= version_max;
}

/* Checks that an opcode is known in the given version: AUTH from version 2 on, KEYS from 3. */
static bool proto_opcode_check(enum daxmr_proto_opcode op, uint16_t version)
{
	if (op == DAXMR_PROTO_OP_AUTH)
		return version >= DAXMR_PROTO_VERSION_AUTH;
	if (op == DAXMR_PROTO_OP_KEYS)
		return version >= DAXMR_PROTO_VERSION_SEG;
	return op >= DAXMR_PROTO_OP_HELLO && op <= DAXMR_PROTO_OP_AVAILABLE;
}

/*
 * Checks the header rules that need no payload: version spoken, opcode known in that version,
 * no unknown flag, status known, requests carry OK, REVOKE/REVOKE_ACK/AVAILABLE are never
 * replies, ERROR always is one and never OK. Returns 0, -EPROTONOSUPPORT, -EOPNOTSUPP or -EPROTO.
 */
static int proto_hdr_check(const struct daxmr_proto_hdr *hdr)
{
	bool reply = hdr->flags & DAXMR_PROTO_F_REPLY;

	if (hdr->version < DAXMR_PROTO_VERSION_MIN || hdr->version > DAXMR_PROTO_VERSION_CODEC_MAX)
		return -EPROTONOSUPPORT;
	if (!proto_opcode_check(hdr->opcode, hdr->version))
		return -EOPNOTSUPP;
	if (hdr->flags & ~DAXMR_PROTO_F_REPLY)
		return -EPROTO;
	if (!proto_status_check(hdr->status, hdr->version))
		return -EPROTO;
	if (!reply && hdr->status != DAXMR_PROTO_STATUS_OK)
		return -EPROTO;
	if (reply &&
	    (hdr->opcode == DAXMR_PROTO_OP_REVOKE || hdr->opcode == DAXMR_PROTO_OP_REVOKE_ACK ||
	     hdr->opcode == DAXMR_PROTO_OP_AVAILABLE))
		return -EPROTO;
	if (hdr->opcode == DAXMR_PROTO_OP_ERROR && hdr->status == DAXMR_PROTO_STATUS_OK)
		return -EPROTO;
	return 0;
}

/* Checks a HELLO: a version range holding the header's version, no flags, a valid name. */
static bool proto_hello_check(const struct daxmr_proto_hello *h, uint16_t version)
{
	return proto_range_check(h->version_min, h->version_max) && h->version_min <= version &&
	       version <= h->version_max && h->flags == 0 && daxmr_proto_name_valid(h->name);
}

/* Checks a HELLO reply: the header's version, only flag AUTH and only from version 2, a name. */
static bool proto_hello_reply_check(const struct daxmr_proto_hello_reply *h, uint16_t version)
{
	uint16_t known = version >= DAXMR_PROTO_VERSION_AUTH ? DAXMR_PROTO_HELLO_F_AUTH : 0;

	return h->version == version && !(h->flags & ~known) && daxmr_proto_name_valid(h->name);
}

/* Checks one LIST reply entry. */
static bool proto_export_check(const struct daxmr_proto_export *e)
{
	return proto_access_check(e->access) && proto_memory_check(e->memory) &&
	       proto_registration_check(e->registration) && daxmr_proto_name_valid(e->name);
}

/* Checks a LIST reply: count within DAXMR_PROTO_LIST_MAX, known flags, valid entries. */
static bool proto_list_reply_check(const struct daxmr_proto_list_reply *l)
{
	if (l->count > DAXMR_PROTO_LIST_MAX || (l->flags & ~DAXMR_PROTO_LIST_F_MORE))
		return false;
	for (uint16_t i = 0; i < l->count; i++)
		if (!proto_export_check(&l->entries[i]))
			return false;
	return true;
}

/*
 * Checks the segment fields of a version-3 descriptor: a segment size of 2^12..2^63, known
 * flags, a non-empty export cut into exactly nseg segments, 1..min(nseg, KEYS_MAX) keys of
 * which the first is rkey.
 */
static bool proto_desc_seg_check(const struct daxmr_proto_desc *d)
{
	uint64_t nseg;

	if (d->seg_shift < DAXMR_PROTO_SEG_SHIFT_MIN || d->seg_shift > DAXMR_PROTO_SEG_SHIFT_MAX ||
	    (d->flags & ~DAXMR_PROTO_DESC_F_ATOMIC) || d->length == 0)
		return false;
	nseg = ((d->length - 1) >> d->seg_shift) + 1;
	return d->nseg == nseg && d->nkeys >= 1 && d->nkeys <= DAXMR_PROTO_KEYS_MAX &&
	       d->nkeys <= d->nseg && d->keys[0] == d->rkey;
}

/*
 * Checks an OPEN reply: known enums, granularity 0 or a power of two, range not wrapping;
 * from version 3 also the segments.
 */
static bool proto_desc_check(const struct daxmr_proto_desc *d, uint16_t version)
{
	uint32_t g = d->persist_granularity;

	return proto_access_check(d->access) && proto_memory_check(d->memory) &&
	       proto_registration_check(d->registration) &&
	       (d->key_kind == DAXMR_PROTO_KEY_MR || d->key_kind == DAXMR_PROTO_KEY_MW) &&
	       (g & (g - 1)) == 0 && d->length <= UINT64_MAX - d->addr &&
	       (version < DAXMR_PROTO_VERSION_SEG || proto_desc_seg_check(d));
}

/*
 * Checks the payload of a message whose header passed proto_hdr_check.
 * Returns 0, -EBADMSG, or -ERANGE for a FLUSH range that wraps around.
 */
static int proto_payload_check(const struct daxmr_proto_msg *msg)
{
	const struct daxmr_proto_hdr *hdr = &msg->hdr;
	bool reply = hdr->flags & DAXMR_PROTO_F_REPLY;
	bool ok;

	if (hdr->status != DAXMR_PROTO_STATUS_OK) {
		if (!msg->reason[0])
			return 0;
		return hdr->version >= DAXMR_PROTO_VERSION_SEG && proto_reason_check(msg->reason) ?
			       0 :
			       -EBADMSG;
	}
	switch (hdr->opcode) {
	case DAXMR_PROTO_OP_HELLO:
		ok = reply ? proto_hello_reply_check(&msg->hello_reply, hdr->version) :
			     proto_hello_check(&msg->hello, hdr->version);
		break;
	case DAXMR_PROTO_OP_LIST:
		ok = !reply || proto_list_reply_check(&msg->list_reply);
		break;
	case DAXMR_PROTO_OP_OPEN:
		if (reply)
			ok = proto_desc_check(&msg->desc, hdr->version);
		else
			ok = proto_access_check(msg->open.access) &&
			     daxmr_proto_name_valid(msg->open.name);
		break;
	case DAXMR_PROTO_OP_FLUSH:
		if (!reply && msg->flush.length > UINT64_MAX - msg->flush.offset)
			return -ERANGE;
		ok = true;
		break;
	case DAXMR_PROTO_OP_REVOKE:
		ok = msg->revoke.reason >= DAXMR_PROTO_REVOKE_LEASE_BREAK &&
		     msg->revoke.reason <= DAXMR_PROTO_REVOKE_ERROR;
		break;
	case DAXMR_PROTO_OP_KEYS:
		ok = !reply ||
		     (msg->keys_reply.count >= 1 && msg->keys_reply.count <= DAXMR_PROTO_KEYS_MAX);
		break;
	case DAXMR_PROTO_OP_AUTH: /* nonce and proof: opaque bytes; the identity: a name or "" */
		ok = reply || !msg->auth.identity[0] ||
		     (hdr->version >= DAXMR_PROTO_VERSION_ID &&
		      daxmr_proto_name_valid(msg->auth.identity));
		break;
	default: /* CLOSE, REVOKE_ACK, AVAILABLE: any ids; ERROR: never OK */
		ok = true;
		break;
	}
	return ok ? 0 : -EBADMSG;
}

/* Writes the header with length 0; daxmr_proto_msg_encode patches the length in. */
static void proto_hdr_put(struct proto_wbuf *w, const struct daxmr_proto_hdr *hdr)
{
	proto_put_u32(w, DAXMR_PROTO_MAGIC);
	proto_put_u16(w, hdr->version);
	proto_put_u16(w, (uint16_t)hdr->opcode);
	proto_put_u32(w, 0);
	proto_put_u16(w, (uint16_t)hdr->status);
	proto_put_u16(w, hdr->flags);
	proto_put_u64(w, hdr->request_id);
}

/* Writes the payload of a checked message. */
static void proto_payload_put(struct proto_wbuf *w, const struct daxmr_proto_msg *msg)
{
	bool reply = msg->hdr.flags & DAXMR_PROTO_F_REPLY;

	if (msg->hdr.status != DAXMR_PROTO_STATUS_OK) {
		if (msg->reason[0])
			proto_put_name(w, msg->reason); /* same layout as a name: u16 n, n bytes */
		return;
	}
	switch (msg->hdr.opcode) {
	case DAXMR_PROTO_OP_HELLO:
		if (reply) {
			proto_put_u16(w, msg->hello_reply.version);
			proto_put_u16(w, msg->hello_reply.flags);
			if (msg->hello_reply.flags & DAXMR_PROTO_HELLO_F_AUTH)
				proto_put(w, msg->hello_reply.challenge,
					  sizeof(msg->hello_reply.challenge));
			proto_put_name(w, msg->hello_reply.name);
		} else {
			proto_put_u16(w, msg->hello.version_min);
			proto_put_u16(w, msg->hello.version_max);
			proto_put_u16(w, msg->hello.flags);
			proto_put_name(w, msg->hello.name);
		}
		break;
	case DAXMR_PROTO_OP_LIST:
		if (!reply) {
			proto_put_u32(w, msg->list.start);
			break;
		}
		proto_put_u32(w, msg->list_reply.start);
		proto_put_u16(w, msg->list_reply.count);
		proto_put_u16(w, msg->list_reply.flags);
		for (uint16_t i = 0; i < msg->list_reply.count; i++) {
			const struct daxmr_proto_export *e = &msg->list_reply.entries[i];

			proto_put_u32(w, e->export_id);
			proto_put_u64(w, e->generation);
			proto_put_u64(w, e->length);
			proto_put_u8(w, (uint8_t)e->access);
			proto_put_u8(w, (uint8_t)e->memory);
			proto_put_u8(w, (uint8_t)e->registration);
			proto_put_name(w, e->name);
		}
		break;
	case DAXMR_PROTO_OP_OPEN:
		if (!reply) {
			proto_put_u8(w, (uint8_t)msg->open.access);
			proto_put_name(w, msg->open.name);
			break;
		}
		proto_put_u32(w, msg->desc.export_id);
		proto_put_u64(w, msg->desc.generation);
		proto_put_u64(w, msg->desc.addr);
		proto_put_u64(w, msg->desc.length);
		proto_put_u32(w, msg->desc.rkey);
		proto_put_u32(w, msg->desc.persist_granularity);
		proto_put_u8(w, (uint8_t)msg->desc.access);
		proto_put_u8(w, (uint8_t)msg->desc.memory);
		proto_put_u8(w, (uint8_t)msg->desc.registration);
		proto_put_u8(w, (uint8_t)msg->desc.key_kind);
		if (msg->hdr.version < DAXMR_PROTO_VERSION_SEG)
			break;
		proto_put_u8(w, msg->desc.seg_shift);
		proto_put_u8(w, msg->desc.flags);
		proto_put_u32(w, msg->desc.nseg);
		proto_put_u16(w, msg->desc.nkeys);
		for (uint16_t i = 0; i < msg->desc.nkeys; i++)
			proto_put_u32(w, msg->desc.keys[i]);
		break;
	case DAXMR_PROTO_OP_CLOSE:
		if (!reply) {
			proto_put_u32(w, msg->close.export_id);
			proto_put_u64(w, msg->close.generation);
		}
		break;
	case DAXMR_PROTO_OP_FLUSH:
		if (!reply) {
			proto_put_u32(w, msg->flush.export_id);
			proto_put_u64(w, msg->flush.generation);
			proto_put_u64(w, msg->flush.offset);
			proto_put_u64(w, msg->flush.length);
		}
		break;
	case DAXMR_PROTO_OP_REVOKE:
		proto_put_u32(w, msg->revoke.export_id);
		proto_put_u64(w, msg->revoke.generation);
		proto_put_u32(w, msg->revoke.deadline_ms);
		proto_put_u8(w, (uint8_t)msg->revoke.reason);
		break;
	case DAXMR_PROTO_OP_REVOKE_ACK:
		proto_put_u32(w, msg->revoke_ack.export_id);
		proto_put_u64(w, msg->revoke_ack.generation);
		break;
	case DAXMR_PROTO_OP_AVAILABLE:
		proto_put_u32(w, msg->available.export_id);
		proto_put_u64(w, msg->available.generation);
		break;
	case DAXMR_PROTO_OP_AUTH:
		if (reply) {
			proto_put(w, msg->auth_reply.proof, sizeof(msg->auth_reply.proof));
		} else {
			proto_put(w, msg->auth.nonce, sizeof(msg->auth.nonce));
			proto_put(w, msg->auth.proof, sizeof(msg->auth.proof));
			if (msg->hdr.version >= DAXMR_PROTO_VERSION_ID)
				proto_put_name(w, msg->auth.identity); /* n = 0: anonymous */
		}
		break;
	case DAXMR_PROTO_OP_KEYS:
		if (!reply) {
			proto_put_u32(w, msg->keys.export_id);
			proto_put_u64(w, msg->keys.generation);
			proto_put_u32(w, msg->keys.first);
			break;
		}
		proto_put_u32(w, msg->keys_reply.first);
		proto_put_u16(w, msg->keys_reply.count);
		for (uint16_t i = 0; i < msg->keys_reply.count; i++)
			proto_put_u32(w, msg->keys_reply.keys[i]);
		break;
	case DAXMR_PROTO_OP_ERROR: /* never OK */
		break;
	}
}

/* Reads the payload selected by msg->hdr into a zeroed msg; the caller checks it afterwards. */
static void proto_payload_get(struct proto_rbuf *r, struct daxmr_proto_msg *msg)
{
	bool reply = msg->hdr.flags & DAXMR_PROTO_F_REPLY;

	if (msg->hdr.status != DAXMR_PROTO_STATUS_OK) {
		if (r->len) /* only version >= 3 gets here with a payload: the header decoder */
			proto_get_reason(r, msg->reason);
		return;
	}
	switch (msg->hdr.opcode) {
	case DAXMR_PROTO_OP_HELLO:
		if (reply) {
			msg->hello_reply.version = proto_get_u16(r);
			msg->hello_reply.flags = proto_get_u16(r);
			/* without the flag the challenge stays as the caller zeroed it */
			if (msg->hello_reply.flags & DAXMR_PROTO_HELLO_F_AUTH)
				proto_get(r, msg->hello_reply.challenge,
					  sizeof(msg->hello_reply.challenge));
			proto_get_name(r, msg->hello_reply.name);
		} else {
			msg->hello.version_min = proto_get_u16(r);
			msg->hello.version_max = proto_get_u16(r);
			msg->hello.flags = proto_get_u16(r);
			proto_get_name(r, msg->hello.name);
		}
		break;
	case DAXMR_PROTO_OP_LIST:
		if (!reply) {
			msg->list.start = proto_get_u32(r);
			break;
		}
		msg->list_reply.start = proto_get_u32(r);
		msg->list_reply.count = proto_get_u16(r);
		msg->list_reply.flags = proto_get_u16(r);
		if (msg->list_reply.count > DAXMR_PROTO_LIST_MAX) {
			r->err = -EBADMSG; /* before the loop writes past entries[] */
			break;
		}
		for (uint16_t i = 0; i < msg->list_reply.count; i++) {
			struct daxmr_proto_export *e = &msg->list_reply.entries[i];

			e->export_id = proto_get_u32(r);
			e->generation = proto_get_u64(r);
			e->length = proto_get_u64(r);
			e->access = proto_get_u8(r);
			e->memory = proto_get_u8(r);
			e->registration = proto_get_u8(r);
			proto_get_name(r, e->name);
		}
		break;
	case DAXMR_PROTO_OP_OPEN:
		if (!reply) {
			msg->open.access = proto_get_u8(r);
			proto_get_name(r, msg->open.name);
			break;
		}
		msg->desc.export_id = proto_get_u32(r);
		msg->desc.generation = proto_get_u64(r);
		msg->desc.addr = proto_get_u64(r);
		msg->desc.length = proto_get_u64(r);
		msg->desc.rkey = proto_get_u32(r);
		msg->desc.persist_granularity = proto_get_u32(r);
		msg->desc.access = proto_get_u8(r);
		msg->desc.memory = proto_get_u8(r);
		msg->desc.registration = proto_get_u8(r);
		msg->desc.key_kind = proto_get_u8(r);
		if (msg->hdr.version < DAXMR_PROTO_VERSION_SEG)
			break;
		msg->desc.seg_shift = proto_get_u8(r);
		msg->desc.flags = proto_get_u8(r);
		msg->desc.nseg = proto_get_u32(r);
		msg->desc.nkeys = proto_get_u16(r);
		if (msg->desc.nkeys > DAXMR_PROTO_KEYS_MAX) {
			r->err = -EBADMSG; /* before the loop writes past keys[] */
			break;
		}
		for (uint16_t i = 0; i < msg->desc.nkeys; i++)
			msg->desc.keys[i] = proto_get_u32(r);
		break;
	case DAXMR_PROTO_OP_CLOSE:
		if (!reply) {
			msg->close.export_id = proto_get_u32(r);
			msg->close.generation = proto_get_u64(r);
		}
		break;
	case DAXMR_PROTO_OP_FLUSH:
		if (!reply) {
			msg->flush.export_id = proto_get_u32(r);
			msg->flush.generation = proto_get_u64(r);
			msg->flush.offset = proto_get_u64(r);
			msg->flush.length = proto_get_u64(r);
		}
		break;
	case DAXMR_PROTO_OP_REVOKE:
		msg->revoke.export_id = proto_get_u32(r);
		msg->revoke.generation = proto_get_u64(r);
		msg->revoke.deadline_ms = proto_get_u32(r);
		msg->revoke.reason = proto_get_u8(r);
		break;
	case DAXMR_PROTO_OP_REVOKE_ACK:
		msg->revoke_ack.export_id = proto_get_u32(r);
		msg->revoke_ack.generation = proto_get_u64(r);
		break;
	case DAXMR_PROTO_OP_AVAILABLE:
		msg->available.export_id = proto_get_u32(r);
		msg->available.generation = proto_get_u64(r);
		break;
	case DAXMR_PROTO_OP_AUTH:
		if (reply) {
			proto_get(r, msg->auth_reply.proof, sizeof(msg->auth_reply.proof));
		} else {
			proto_get(r, msg->auth.nonce, sizeof(msg->auth.nonce));
			proto_get(r, msg->auth.proof, sizeof(msg->auth.proof));
			if (msg->hdr.version >= DAXMR_PROTO_VERSION_ID)
				proto_get_name(r, msg->auth.identity);
		}
		break;
	case DAXMR_PROTO_OP_KEYS:
		if (!reply) {
			msg->keys.export_id = proto_get_u32(r);
			msg->keys.generation = proto_get_u64(r);
			msg->keys.first = proto_get_u32(r);
			break;
		}
		msg->keys_reply.first = proto_get_u32(r);
		msg->keys_reply.count = proto_get_u16(r);
		if (msg->keys_reply.count > DAXMR_PROTO_KEYS_MAX) {
			r->err = -EBADMSG; /* before the loop writes past keys[] */
			break;
		}
		for (uint16_t i = 0; i < msg->keys_reply.count; i++)
			msg->keys_reply.keys[i] = proto_get_u32(r);
		break;
	case DAXMR_PROTO_OP_ERROR: /* never OK */
		break;
	}
}

/* Encodes header + payload and patches the payload length into the header. */
int daxmr_proto_msg_encode(const struct daxmr_proto_msg *msg, void *buf, size_t len)
{
	struct proto_wbuf w = { .buf = buf, .len = len };
	uint32_t length;

	if (proto_hdr_check(&msg->hdr) < 0 || proto_payload_check(msg) < 0)
		return -EINVAL;
	proto_hdr_put(&w, &msg->hdr);
	proto_payload_put(&w, msg);
	if (w.err)
		return w.err;
	length = htole32((uint32_t)(w.off - DAXMR_PROTO_HDR_SIZE));
	memcpy(w.buf + HDR_LENGTH_OFFSET, &length, sizeof(length));
	return (int)w.off;
}

/* Decodes the header, checks it alone and its length against the message size limit and len. */
int daxmr_proto_hdr_decode(const void *buf, size_t len, struct daxmr_proto_hdr *hdr)
{
	struct proto_rbuf r = { .buf = buf, .len = len };
	struct daxmr_proto_hdr h;
	int ret;

	if (len < DAXMR_PROTO_HDR_SIZE)
		return -EBADMSG;
	if (proto_get_u32(&r) != DAXMR_PROTO_MAGIC)
		return -EPROTO;
	h.version = proto_get_u16(&r);
	h.opcode = proto_get_u16(&r);
	h.length = proto_get_u32(&r);
	h.status = proto_get_u16(&r);
	h.flags = proto_get_u16(&r);
	h.request_id = proto_get_u64(&r);
	ret = proto_hdr_check(&h);
	if (ret < 0)
		return ret;
	if (h.length > DAXMR_PROTO_MSG_MAX - DAXMR_PROTO_HDR_SIZE)
		return -EMSGSIZE;
	if (h.length != len - DAXMR_PROTO_HDR_SIZE)
		return -EBADMSG; /* one SEND carries exactly one message */
	/* a failed reply has no payload; from version 3 it may carry a reason (checked with it) */
	if (h.status != DAXMR_PROTO_STATUS_OK && h.length != 0 &&
	    h.version < DAXMR_PROTO_VERSION_SEG)
		return -EBADMSG;
	*hdr = h;
	return 0;
}

/* Decodes the header, then the payload it announces, which must use up exactly its length. */
int daxmr_proto_msg_decode(const void *buf, size_t len, struct daxmr_proto_msg *msg)
{
	struct daxmr_proto_msg m;
	struct proto_rbuf r;
	int ret;

	memset(&m, 0, sizeof(m));
	ret = daxmr_proto_hdr_decode(buf, len, &m.hdr);
	if (ret < 0)
		return ret;
	r = (struct proto_rbuf){ .buf = (const uint8_t *)buf + DAXMR_PROTO_HDR_SIZE,
				 .len = m.hdr.length };
	proto_payload_get(&r, &m);
	if (r.err)
		return r.err;
	if (r.off != r.len)
		return -EBADMSG;
	ret = proto_payload_check(&m);
	if (ret < 0)
		return ret;
	*msg = m;
	return 0;
}

/* Maps a decode error to the status a reply carries. */
enum daxmr_proto_status daxmr_proto_status_from_err(int err)
{
	switch (err) {
	case -EPROTONOSUPPORT:
		return DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION;
	case -EOPNOTSUPP:
		return DAXMR_PROTO_STATUS_UNKNOWN_OPCODE;
	case -ERANGE:
		return DAXMR_PROTO_STATUS_OUT_OF_RANGE;
	default:
		return DAXMR_PROTO_STATUS_BAD_MESSAGE;
	}
}

/* Picks the newest version both a peer's range and this build speak. */
int daxmr_proto_version_pick(uint16_t version_min, uint16_t version_max)
{
	uint16_t v = version_max < DAXMR_PROTO_VERSION_MAX ? version_max : DAXMR_PROTO_VERSION_MAX;

	if (version_min > version_max || v < version_min || v < DAXMR_PROTO_VERSION_MIN)
		return -EPROTONOSUPPORT;
	return v;
}

/* Checks connect private data. */
static int proto_cm_connect_check(const struct daxmr_proto_cm_connect *cm)
{
	return proto_range_check(cm->version_min, cm->version_max) ? 0 : -EBADMSG;
}

/* Checks accept private data: a version we speak, at least one credit. */
static int proto_cm_accept_check(const struct daxmr_proto_cm_accept *cm)
{
	if (cm->version < DAXMR_PROTO_VERSION_MIN || cm->version > DAXMR_PROTO_VERSION_MAX)
		return -EPROTONOSUPPORT;
	return cm->credits >= 1 ? 0 : -EBADMSG;
}

/* Checks reject private data: a known status other than OK, a version range. */
static int proto_cm_reject_check(const struct daxmr_proto_cm_reject *cm)
{
	if (cm->status == DAXMR_PROTO_STATUS_OK ||
	    !proto_status_check(cm->status, DAXMR_PROTO_VERSION_AUTH))
		return -EBADMSG;
	if (cm->reason[0] && !proto_reason_check_max(cm->reason, DAXMR_PROTO_CM_REASON_MAX))
		return -EBADMSG;
	return proto_range_check(cm->version_min, cm->version_max) ? 0 : -EBADMSG;
}

/*
 * Starts decoding private data of the given size: checks len and the magic.
 * Returns 0, -EBADMSG (short) or -EPROTO (magic).
 */
static int proto_cm_get_magic(struct proto_rbuf *r, size_t size)
{
	if (r->len < size)
		return -EBADMSG;
	return proto_get_u32(r) == DAXMR_PROTO_MAGIC ? 0 : -EPROTO;
}

/* Encodes the client's version range for rdma_connect. */
int daxmr_proto_cm_connect_encode(const struct daxmr_proto_cm_connect *cm, void *buf, size_t len)
{
	struct proto_wbuf w = { .buf = buf, .len = len };

	if (proto_cm_connect_check(cm) < 0)
		return -EINVAL;
	if (len < DAXMR_PROTO_CM_CONNECT_SIZE)
		return -ENOBUFS;
	proto_put_u32(&w, DAXMR_PROTO_MAGIC);
	proto_put_u16(&w, cm->version_min);
	proto_put_u16(&w, cm->version_max);
	return (int)w.off;
}

/* Decodes and checks the private data of a connect request. */
int daxmr_proto_cm_connect_decode(const void *buf, size_t len, struct daxmr_proto_cm_connect *cm)
{
	struct proto_rbuf r = { .buf = buf, .len = len };
	struct daxmr_proto_cm_connect c;
	int ret = proto_cm_get_magic(&r, DAXMR_PROTO_CM_CONNECT_SIZE);

	if (ret < 0)
		return ret;
	c.version_min = proto_get_u16(&r);
	c.version_max = proto_get_u16(&r);
	ret = proto_cm_connect_check(&c);
	if (ret < 0)
		return ret;
	*cm = c;
	return 0;
}

/* Encodes the chosen version and credits for rdma_accept. */
int daxmr_proto_cm_accept_encode(const struct daxmr_proto_cm_accept *cm, void *buf, size_t len)
{
	struct proto_wbuf w = { .buf = buf, .len = len };

	if (proto_cm_accept_check(cm) < 0)
		return -EINVAL;
	if (len < DAXMR_PROTO_CM_ACCEPT_SIZE)
		return -ENOBUFS;
	proto_put_u32(&w, DAXMR_PROTO_MAGIC);
	proto_put_u16(&w, cm->version);
	proto_put_u16(&w, cm->credits);
	return (int)w.off;
}

/* Decodes and checks the private data of an accept. */
int daxmr_proto_cm_accept_decode(const void *buf, size_t len, struct daxmr_proto_cm_accept *cm)
{
	struct proto_rbuf r = { .buf = buf, .len = len };
	struct daxmr_proto_cm_accept c;
	int ret = proto_cm_get_magic(&r, DAXMR_PROTO_CM_ACCEPT_SIZE);

	if (ret < 0)
		return ret;
	c.version = proto_get_u16(&r);
	c.credits = proto_get_u16(&r);
	ret = proto_cm_accept_check(&c);
	if (ret < 0)
		return ret;
	*cm = c;
	return 0;
}

/* Encodes the reason and the server's version range for rdma_reject. */
int daxmr_proto_cm_reject_encode(const struct daxmr_proto_cm_reject *cm, void *buf, size_t len)
{
	struct proto_wbuf w = { .buf = buf, .len = len };

	if (proto_cm_reject_check(cm) < 0)
		return -EINVAL;
	if (len < DAXMR_PROTO_CM_REJECT_SIZE)
		return -ENOBUFS;
	proto_put_u32(&w, DAXMR_PROTO_MAGIC);
	proto_put_u16(&w, (uint16_t)cm->status);
	proto_put_u16(&w, cm->version_min);
	proto_put_u16(&w, cm->version_max);
	if (cm->reason[0])
		proto_put_name(&w, cm->reason); /* same layout as a name: u16 n, n bytes */
	return w.err ? w.err : (int)w.off;
}

/* Decodes and checks the private data of a reject. */
int daxmr_proto_cm_reject_decode(const void *buf, size_t len, struct daxmr_proto_cm_reject *cm)
{
	struct proto_rbuf r = { .buf = buf, .len = len };
	struct daxmr_proto_cm_reject c;
	int ret = proto_cm_get_magic(&r, DAXMR_PROTO_CM_REJECT_SIZE);

	if (ret < 0)
		return ret;
	c.status = proto_get_u16(&r);
	c.version_min = proto_get_u16(&r);
	c.version_max = proto_get_u16(&r);
	c.reason[0] = '\0';
	if (len >= r.off + 2) {
		uint16_t n = proto_get_u16(&r);

		/* 0: none (or an older server's zero padding); else n bytes, all there */
		if (n > DAXMR_PROTO_CM_REASON_MAX || len < r.off + n)
			return -EBADMSG;
		proto_get(&r, c.reason, n);
		c.reason[n] = '\0';
		if (memchr(c.reason, '\0', n))
			return -EBADMSG;
	}
	ret = proto_cm_reject_check(&c);
	if (ret < 0)
		return ret;
	*cm = c;
	return 0;
}

/* Names a status for logs. */
const char *daxmr_proto_status_str(enum daxmr_proto_status status)
{
	static const char *const names[] = {
		[DAXMR_PROTO_STATUS_OK] = "OK",
		[DAXMR_PROTO_STATUS_BAD_MESSAGE] = "BAD_MESSAGE",
		[DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION] = "UNSUPPORTED_VERSION",
		[DAXMR_PROTO_STATUS_UNKNOWN_OPCODE] = "UNKNOWN_OPCODE",
		[DAXMR_PROTO_STATUS_BAD_STATE] = "BAD_STATE",
		[DAXMR_PROTO_STATUS_NO_SUCH_EXPORT] = "NO_SUCH_EXPORT",
		[DAXMR_PROTO_STATUS_ACCESS_DENIED] = "ACCESS_DENIED",
		[DAXMR_PROTO_STATUS_NOT_OPEN] = "NOT_OPEN",
		[DAXMR_PROTO_STATUS_STALE_GENERATION] = "STALE_GENERATION",
		[DAXMR_PROTO_STATUS_REVOKING] = "REVOKING",
		[DAXMR_PROTO_STATUS_OUT_OF_RANGE] = "OUT_OF_RANGE",
		[DAXMR_PROTO_STATUS_BUSY] = "BUSY",
		[DAXMR_PROTO_STATUS_INTERNAL] = "INTERNAL",
		[DAXMR_PROTO_STATUS_UNAVAILABLE] = "UNAVAILABLE",
	};

	return proto_status_check(status, DAXMR_PROTO_VERSION_CODEC_MAX) ? names[status] :
									   "UNKNOWN";
}

/* Names an opcode for logs. */
const char *daxmr_proto_opcode_str(enum daxmr_proto_opcode opcode)
{
	static const char *const names[] = {
		[DAXMR_PROTO_OP_HELLO] = "HELLO",
		[DAXMR_PROTO_OP_LIST] = "LIST",
		[DAXMR_PROTO_OP_OPEN] = "OPEN",
		[DAXMR_PROTO_OP_CLOSE] = "CLOSE",
		[DAXMR_PROTO_OP_FLUSH] = "FLUSH",
		[DAXMR_PROTO_OP_REVOKE] = "REVOKE",
		[DAXMR_PROTO_OP_REVOKE_ACK] = "REVOKE_ACK",
		[DAXMR_PROTO_OP_ERROR] = "ERROR",
		[DAXMR_PROTO_OP_AVAILABLE] = "AVAILABLE",
		[DAXMR_PROTO_OP_KEYS] = "KEYS",
		[DAXMR_PROTO_OP_AUTH] = "AUTH",
	};

	if (opcode < DAXMR_PROTO_OP_HELLO || opcode > DAXMR_PROTO_OP_AUTH || !names[opcode])
		return "UNKNOWN";
	return names[opcode];
}
