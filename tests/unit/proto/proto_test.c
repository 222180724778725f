/* SPDX-License-Identifier: BSD-3-Clause */
/* proto_test.c -- proto: golden vectors of docs/protocol.md, round trips, every rejection */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#define GEN 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 /* generation 0x1122334455667788 */
#define RID 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 /* request id 0x0102030405060708 */
#define MAGIC 0x44, 0x58, 0x4d, 0x52

/* A message kind pinned by hand-written bytes and the struct they stand for. */
struct golden {
	const uint8_t *bytes; /* borrowed: a static array */
	size_t len;
	void (*fill)(struct daxmr_proto_msg *msg);
};

#define GOLDEN(kind)                                                                     \
	static const struct golden golden_##kind = { kind##_bytes, sizeof(kind##_bytes), \
						     kind##_fill }

/* Fills the header every golden message shares but for opcode, flags and status. */
static void hdr_fill(struct daxmr_proto_msg *msg, enum daxmr_proto_opcode op, uint16_t flags,
		     enum daxmr_proto_status status)
{
	memset(msg, 0, sizeof(*msg));
	msg->hdr.version = 1;
	msg->hdr.opcode = op;
	msg->hdr.flags = flags;
	msg->hdr.status = status;
	msg->hdr.request_id = 0x0102030405060708;
}

/*
 * Each golden header row: magic, version, opcode, length (u32), status, flags, request id,
 * as in docs/protocol.md section 2; payload rows follow section 5.
 */
static const uint8_t hello_bytes[] = {
	MAGIC, 0x01, 0x00, 0x01, 0x00, 0x0b, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, 0x00, RID,  0x01, 0x00, /* version_min 1 */
	0x02,  0x00,					 /* version_max 2 */
	0x00,  0x00,					 /* flags */
	0x03,  0x00, 'c',  'l',	 'i',			 /* name */
};

/* HELLO from client "cli" speaking versions 1..2. */
static void hello_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_HELLO, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 11;
	msg->hello.version_min = 1;
	msg->hello.version_max = 2;
	strcpy(msg->hello.name, "cli");
}
GOLDEN(hello);

static const uint8_t hello_reply_bytes[] = {
	MAGIC, 0x01, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x01, 0x00, RID,  0x01, 0x00, /* version 1 */
	0x00,  0x00,					 /* flags */
	0x06,  0x00, 'd',  'a',	 'x',  'm',  'r',  'd',	 /* name */
};

/* HELLO reply from server "daxmrd". */
static void hello_reply_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_HELLO, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 12;
	msg->hello_reply.version = 1;
	strcpy(msg->hello_reply.name, "daxmrd");
}
GOLDEN(hello_reply);

static const uint8_t list_bytes[] = {
	MAGIC, 0x01, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, RID,  0x10, 0x00, 0x00, 0x00, /* start 16 */
};

/* LIST from index 16. */
static void list_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_LIST, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 4;
	msg->list.start = 16;
}
GOLDEN(list);

static const uint8_t list_reply_bytes[] = {
	MAGIC, 0x01, 0x00, 0x02, 0x00, 0x45, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x01, 0x00, RID,  0x10, 0x00, 0x00, 0x00, /* start 16 */
	0x02,  0x00,					       /* count 2 */
	0x01,  0x00,					       /* flags MORE */
	0x07,  0x00, 0x00, 0x00,			       /* [0] export_id 7 (at payload 8) */
	GEN,						       /*     generation */
	0x00,  0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,       /*     length 1 GiB */
	0x02,  0x01, 0x02,				       /*     rw, fs-dax, odp */
	0x05,  0x00, 'p',  'm',	 'e',  'm',  '0',	       /*     name */
	0x08,  0x00, 0x00, 0x00,			       /* [1] export_id 8 (at payload 38) */
	0x01,  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,       /*     generation 1 */
	0x00,  0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,       /*     length 4096 */
	0x01,  0x02, 0x01,				       /*     ro, devdax, pinned */
	0x06,  0x00, 'd',  'a',	 'x',  '0',  '.',  '0',	       /*     name */
};

/* LIST reply: two exports, more to come. */
static void list_reply_fill(struct daxmr_proto_msg *msg)
{
	struct daxmr_proto_export *e = msg->list_reply.entries;

	hdr_fill(msg, DAXMR_PROTO_OP_LIST, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 69;
	msg->list_reply.start = 16;
	msg->list_reply.count = 2;
	msg->list_reply.flags = DAXMR_PROTO_LIST_F_MORE;
	e[0] = (struct daxmr_proto_export){ 7,
					    0x1122334455667788,
					    1u << 30,
					    DAXMR_PROTO_ACCESS_RW,
					    DAXMR_PROTO_MEMORY_FSDAX,
					    DAXMR_PROTO_REG_ODP,
					    "pmem0" };
	e[1] = (struct daxmr_proto_export){ 8,
					    1,
					    4096,
					    DAXMR_PROTO_ACCESS_RO,
					    DAXMR_PROTO_MEMORY_DEVDAX,
					    DAXMR_PROTO_REG_PINNED,
					    "dax0.0" };
}
GOLDEN(list_reply);

static const uint8_t open_bytes[] = {
	MAGIC, 0x01, 0x00, 0x03, 0x00, 0x08, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, 0x00, RID,  0x02, /* access rw */
	0x05,  0x00, 'p',  'm',	 'e',  'm',  '0',  /* name */
};

/* OPEN pmem0 rw. */
static void open_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_OPEN, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 8;
	msg->open.access = DAXMR_PROTO_ACCESS_RW;
	strcpy(msg->open.name, "pmem0");
}
GOLDEN(open);

static const uint8_t open_reply_bytes[] = {
	MAGIC, 0x01, 0x00, 0x03, 0x00, 0x28, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x01, 0x00, RID,  0x07, 0x00, 0x00, 0x00, /* export_id 7 */
	GEN,						       /* generation */
	0x00,  0x00, 0x00, 0x00, 0x00, 0x7f, 0x00, 0x00,       /* addr 0x7f0000000000 */
	0x00,  0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,       /* length 1 GiB */
	0xef,  0xbe, 0xad, 0xde,			       /* rkey 0xdeadbeef */
	0x00,  0x10, 0x00, 0x00,			       /* persist_granularity 4096 */
	0x02,  0x03, 0x02, 0x01,			       /* rw, page-cache, odp, mr */
};

/* OPEN reply: the descriptor of a page-cache export. */
static void open_reply_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_OPEN, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 40;
	msg->desc = (struct daxmr_proto_desc){
		.export_id = 7,
		.generation = 0x1122334455667788,
		.addr = 0x7f0000000000,
		.length = 1u << 30,
		.rkey = 0xdeadbeef,
		.persist_granularity = 4096,
		.access = DAXMR_PROTO_ACCESS_RW,
		.memory = DAXMR_PROTO_MEMORY_PAGECACHE,
		.registration = DAXMR_PROTO_REG_ODP,
		.key_kind = DAXMR_PROTO_KEY_MR,
	};
}
GOLDEN(open_reply);

static const uint8_t open_denied_bytes[] = {
	MAGIC, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x01, 0x00, RID,
};

/* OPEN reply ACCESS_DENIED: status only. */
static void open_denied_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_OPEN, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_ACCESS_DENIED);
}
GOLDEN(open_denied);

static const uint8_t close_bytes[] = {
	MAGIC, 0x01, 0x00, 0x04, 0x00, 0x0c, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, RID,  0x07, 0x00, 0x00, 0x00, /* export_id 7 */
	GEN,						       /* generation */
};

/* CLOSE export 7. */
static void close_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_CLOSE, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 12;
	msg->close = (struct daxmr_proto_export_ref){ 7, 0x1122334455667788 };
}
GOLDEN(close);

static const uint8_t close_reply_bytes[] = {
	MAGIC, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, RID,
};

/* CLOSE reply OK: no payload. */
static void close_reply_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_CLOSE, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
}
GOLDEN(close_reply);

static const uint8_t flush_bytes[] = {
	MAGIC, 0x01, 0x00, 0x05, 0x00, 0x1c, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, RID,  0x07, 0x00, 0x00, 0x00, /* export_id 7 */
	GEN,						       /* generation */
	0x00,  0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,       /* offset 4096 (at payload 12) */
	0x00,  0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,       /* length 8192 (at payload 20) */
};

/* FLUSH [4096, 12288) of export 7. */
static void flush_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_FLUSH, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 28;
	msg->flush = (struct daxmr_proto_flush){ 7, 0x1122334455667788, 4096, 8192 };
}
GOLDEN(flush);

static const uint8_t flush_reply_bytes[] = {
	MAGIC, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, RID,
};

/* FLUSH reply OK: no payload. */
static void flush_reply_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_FLUSH, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
}
GOLDEN(flush_reply);

static const uint8_t revoke_bytes[] = {
	MAGIC, 0x01, 0x00, 0x06, 0x00, 0x11, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, RID,  0x07, 0x00, 0x00, 0x00, /* export_id 7 */
	GEN,						       /* generation */
	0x88,  0x13, 0x00, 0x00,			       /* deadline_ms 5000 */
	0x01, /* reason lease-break (at payload 16) */
};

/* REVOKE export 7 on a lease break, 5 s to acknowledge. */
static void revoke_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_REVOKE, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 17;
	msg->revoke = (struct daxmr_proto_revoke){ 7, 0x1122334455667788, 5000,
						   DAXMR_PROTO_REVOKE_LEASE_BREAK };
}
GOLDEN(revoke);

static const uint8_t revoke_ack_bytes[] = {
	MAGIC, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, RID,  0x07, 0x00, 0x00, 0x00, /* export_id 7 */
	GEN,						       /* generation */
};

/* REVOKE_ACK of export 7. */
static void revoke_ack_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_REVOKE_ACK, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 12;
	msg->revoke_ack = (struct daxmr_proto_export_ref){ 7, 0x1122334455667788 };
}
GOLDEN(revoke_ack);

static const uint8_t available_bytes[] = {
	MAGIC, 0x01, 0x00, 0x09, 0x00, 0x0c, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, RID,  0x07, 0x00, 0x00, 0x00, /* export_id 7 */
	GEN,						       /* generation */
};

/* AVAILABLE: export 7 is back as a new generation. */
static void available_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_AVAILABLE, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.length = 12;
	msg->available = (struct daxmr_proto_export_ref){ 7, 0x1122334455667788 };
}
GOLDEN(available);

static const uint8_t error_bytes[] = {
	MAGIC, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00,
	0x01,  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* request id 0 */
};

/* ERROR UNKNOWN_OPCODE. */
static void error_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_ERROR, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_UNKNOWN_OPCODE);
	msg->hdr.request_id = 0;
}
GOLDEN(error);

/*
 * Version 2. The challenge, nonce and proofs are the worked example of docs/protocol.md
 * section 8.1: secret "correct horse battery staple\n", challenge 0x00..0x1f, nonce
 * 0x20..0x3f. proto treats them as opaque bytes; the example pins them for the server's and
 * client's tests.
 */
static const uint8_t proof_c[DAXMR_PROTO_AUTH_PROOF_SIZE] = {
	0xfa, 0x3f, 0x98, 0xdb, 0x97, 0xc3, 0x77, 0xa1, 0x71, 0x94, 0xd8,
	0x42, 0xd5, 0x16, 0x09, 0x4b, 0x66, 0xfb, 0x19, 0x5d, 0x63, 0x87,
	0x4f, 0x9c, 0x7f, 0xc6, 0x89, 0xa6, 0x04, 0x12, 0x2c, 0x91,
};
static const uint8_t proof_s[DAXMR_PROTO_AUTH_PROOF_SIZE] = {
	0x5b, 0xfb, 0xeb, 0x0a, 0x94, 0xf3, 0x11, 0x78, 0x98, 0x3e, 0xdc,
	0x87, 0x4b, 0x5b, 0x63, 0xd0, 0xee, 0x4e, 0xf1, 0xcf, 0x6a, 0x88,
	0x57, 0x82, 0xcb, 0x83, 0x99, 0x34, 0x4a, 0xec, 0x61, 0x05,
};

/* Fills n bytes with first, first + 1, ...: the example's challenge and nonce. */
static void fill_counting(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static const uint8_t hello_v2_bytes[] = {
	MAGIC, 0x02, 0x00, 0x01, 0x00, 0x0b, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, 0x00, RID,  0x01, 0x00, /* version_min 1 */
	0x02,  0x00,					 /* version_max 2 */
	0x00,  0x00,					 /* flags */
	0x03,  0x00, 'c',  'l',	 'i',			 /* name */
};

/* HELLO from client "cli" speaking versions 1..2, after version 2 was chosen at connect. */
static void hello_v2_fill(struct daxmr_proto_msg *msg)
{
	hello_fill(msg);
	msg->hdr.version = 2;
}
GOLDEN(hello_v2);

static const uint8_t hello_reply_auth_bytes[] = {
	MAGIC, 0x02, 0x00, 0x01, 0x00, 0x2c, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x01, 0x00, RID,  0x02, 0x00, /* version 2 */
	0x01,  0x00,					 /* flags AUTH */
	0x00,  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, /* challenge[0..7] (at payload 4) */
	0x08,  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, /* challenge[8..15] */
	0x10,  0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, /* challenge[16..23] */
	0x18,  0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, /* challenge[24..31] */
	0x06,  0x00, 'd',  'a',	 'x',  'm',  'r',  'd',	 /* name (at payload 36) */
};

/* Version-2 HELLO reply from server "daxmrd", which requires AUTH: flag and challenge. */
static void hello_reply_auth_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_HELLO, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 2;
	msg->hdr.length = 44;
	msg->hello_reply.version = 2;
	msg->hello_reply.flags = DAXMR_PROTO_HELLO_F_AUTH;
	fill_counting(msg->hello_reply.challenge, DAXMR_PROTO_AUTH_CHALLENGE_SIZE, 0x00);
	strcpy(msg->hello_reply.name, "daxmrd");
}
GOLDEN(hello_reply_auth);

static const uint8_t hello_reply_v2_bytes[] = {
	MAGIC, 0x02, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x01, 0x00, RID,  0x02, 0x00, /* version 2 */
	0x00,  0x00,					 /* flags: no AUTH, so no challenge */
	0x06,  0x00, 'd',  'a',	 'x',  'm',  'r',  'd',	 /* name */
};

/* Version-2 HELLO reply from a server without a secret: no flag, no challenge. */
static void hello_reply_v2_fill(struct daxmr_proto_msg *msg)
{
	hello_reply_fill(msg);
	msg->hdr.version = 2;
	msg->hello_reply.version = 2;
}
GOLDEN(hello_reply_v2);

static const uint8_t auth_bytes[] = {
	MAGIC, 0x02, 0x00, 0x10, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,  0x00, RID,  0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, /* nonce[0..7] */
	0x28,  0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,		   /* nonce[8..15] */
	0x30,  0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,		   /* nonce[16..23] */
	0x38,  0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,		   /* nonce[24..31] */
	0xfa,  0x3f, 0x98, 0xdb, 0x97, 0xc3, 0x77, 0xa1, /* proof[0..7] (at payload 32) */
	0x71,  0x94, 0xd8, 0x42, 0xd5, 0x16, 0x09, 0x4b, /* proof[8..15] */
	0x66,  0xfb, 0x19, 0x5d, 0x63, 0x87, 0x4f, 0x9c, /* proof[16..23] */
	0x7f,  0xc6, 0x89, 0xa6, 0x04, 0x12, 0x2c, 0x91, /* proof[24..31] */
};

/* AUTH: the example's nonce and client proof. */
static void auth_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_AUTH, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 2;
	msg->hdr.length = 64;
	fill_counting(msg->auth.nonce, DAXMR_PROTO_AUTH_NONCE_SIZE, 0x20);
	memcpy(msg->auth.proof, proof_c, sizeof(proof_c));
}
GOLDEN(auth);

static const uint8_t auth_reply_bytes[] = {
	MAGIC, 0x02, 0x00, 0x10, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01,  0x00, RID,  0x5b, 0xfb, 0xeb, 0x0a, 0x94, 0xf3, 0x11, 0x78, /* proof[0..7] */
	0x98,  0x3e, 0xdc, 0x87, 0x4b, 0x5b, 0x63, 0xd0,		   /* proof[8..15] */
	0xee,  0x4e, 0xf1, 0xcf, 0x6a, 0x88, 0x57, 0x82,		   /* proof[16..23] */
	0xcb,  0x83, 0x99, 0x34, 0x4a, 0xec, 0x61, 0x05,		   /* proof[24..31] */
};

/* AUTH reply OK: the example's server proof. */
static void auth_reply_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_AUTH, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 2;
	msg->hdr.length = 32;
	memcpy(msg->auth_reply.proof, proof_s, sizeof(proof_s));
}
GOLDEN(auth_reply);

static const uint8_t auth_denied_bytes[] = {
	MAGIC, 0x02, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x01, 0x00, RID,
};

/* AUTH reply ACCESS_DENIED (wrong proof): status only. */
static void auth_denied_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_AUTH, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_ACCESS_DENIED);
	msg->hdr.version = 2;
}
GOLDEN(auth_denied);

/* ---- version 4: identities (docs/protocol.md section 10) ---- */

/* The example's version-4 proofs for identity "tenant-a" (section 10.4). */
static const uint8_t proof_c_v4[] = {
	0x17, 0xb3, 0xcc, 0x89, 0x64, 0xbb, 0x98, 0x33, 0x58, 0x80, 0xdc,
	0xc8, 0x51, 0x2b, 0xaa, 0x50, 0xa8, 0x4c, 0x37, 0xfb, 0x74, 0x06,
	0x7e, 0x87, 0xca, 0xca, 0xf5, 0xaa, 0xb9, 0xdf, 0x74, 0xcf,
};

static const uint8_t auth_v4_bytes[] = {
	MAGIC, 0x04, 0x00, 0x10, 0x00, 0x4a, 0x00, 0x00, 0x00, 0x00, 0x00, /* length 74 */
	0x00,  0x00, RID,  0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, /* nonce[0..7] */
	0x28,  0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,		   /* nonce[8..15] */
	0x30,  0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,		   /* nonce[16..23] */
	0x38,  0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,		   /* nonce[24..31] */
	0x17,  0xb3, 0xcc, 0x89, 0x64, 0xbb, 0x98, 0x33, /* proof[0..7] (at payload 32) */
	0x58,  0x80, 0xdc, 0xc8, 0x51, 0x2b, 0xaa, 0x50, /* proof[8..15] */
	0xa8,  0x4c, 0x37, 0xfb, 0x74, 0x06, 0x7e, 0x87, /* proof[16..23] */
	0xca,  0xca, 0xf5, 0xaa, 0xb9, 0xdf, 0x74, 0xcf, /* proof[24..31] */
	0x08,  0x00, 't',  'e',	 'n',  'a',  'n',  't',	 '-',  'a', /* identity (at payload 64) */
};

/* Version-4 AUTH: nonce, proof, then the identity the proof was made for. */
static void auth_v4_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_AUTH, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 4;
	msg->hdr.length = 74;
	fill_counting(msg->auth.nonce, DAXMR_PROTO_AUTH_NONCE_SIZE, 0x20);
	memcpy(msg->auth.proof, proof_c_v4, sizeof(proof_c_v4));
	snprintf(msg->auth.identity, sizeof(msg->auth.identity), "tenant-a");
}
GOLDEN(auth_v4);

static const uint8_t auth_v4_anonymous_bytes[] = {
	MAGIC, 0x04, 0x00, 0x10, 0x00, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00, /* length 66 */
	0x00,  0x00, RID,  0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, /* nonce[0..7] */
	0x28,  0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,		   /* nonce[8..15] */
	0x30,  0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,		   /* nonce[16..23] */
	0x38,  0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,		   /* nonce[24..31] */
	0x0b,  0x6c, 0x6d, 0xfb, 0x18, 0x55, 0x5d, 0x52,		   /* proof[0..7] */
	0x17,  0x58, 0x6e, 0x6e, 0x56, 0x31, 0x72, 0xb6,		   /* proof[8..15] */
	0xb7,  0x2c, 0x95, 0x77, 0x3e, 0x57, 0xfd, 0x58,		   /* proof[16..23] */
	0xff,  0xe9, 0x9d, 0x34, 0x68, 0xb0, 0x7b, 0xbe,		   /* proof[24..31] */
	0x00,  0x00, /* identity: none (the anonymous identity, the server's secret) */
};

/* Version-4 AUTH of the anonymous identity: a zero-length identity. */
static void auth_v4_anonymous_fill(struct daxmr_proto_msg *msg)
{
	static const uint8_t p[] = {
		0x0b, 0x6c, 0x6d, 0xfb, 0x18, 0x55, 0x5d, 0x52, 0x17, 0x58, 0x6e,
		0x6e, 0x56, 0x31, 0x72, 0xb6, 0xb7, 0x2c, 0x95, 0x77, 0x3e, 0x57,
		0xfd, 0x58, 0xff, 0xe9, 0x9d, 0x34, 0x68, 0xb0, 0x7b, 0xbe,
	};

	hdr_fill(msg, DAXMR_PROTO_OP_AUTH, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 4;
	msg->hdr.length = 66;
	fill_counting(msg->auth.nonce, DAXMR_PROTO_AUTH_NONCE_SIZE, 0x20);
	memcpy(msg->auth.proof, p, sizeof(p));
}
GOLDEN(auth_v4_anonymous);

static const uint8_t auth_reply_v4_bytes[] = {
	MAGIC, 0x04, 0x00, 0x10, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01,  0x00, RID,  0x20, 0xeb, 0x1b, 0xde, 0xc3, 0xf5, 0x8f, 0xbc, /* proof[0..7] */
	0x5c,  0x76, 0x70, 0xd1, 0x33, 0x3d, 0xd5, 0x6f,		   /* proof[8..15] */
	0xa4,  0xc1, 0x65, 0x72, 0x0c, 0x85, 0x03, 0xcf,		   /* proof[16..23] */
	0x0d,  0x63, 0x95, 0x3d, 0xb0, 0x6e, 0x0a, 0x32,		   /* proof[24..31] */
};

/* Version-4 AUTH reply OK: the same layout as version 2's, the example's v4 server proof. */
static void auth_reply_v4_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_AUTH, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 4;
	msg->hdr.length = 32;
	memcpy(msg->auth_reply.proof, auth_reply_v4_bytes + 24, DAXMR_PROTO_AUTH_PROOF_SIZE);
}
GOLDEN(auth_reply_v4);

/* ---- version 3: segments, KEYS, reasons, UNAVAILABLE (docs/protocol.md section 9) ---- */

static const uint8_t open_reply_v3_bytes[] = {
	MAGIC, 0x03, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x01, 0x00, RID,  0x07, 0x00, 0x00, 0x00, /* export_id 7 */
	GEN,						       /* generation */
	0x00,  0x00, 0x00, 0x00, 0x00, 0x7f, 0x00, 0x00,       /* addr 0x7f0000000000 */
	0x00,  0x10, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00,       /* length 3 GiB + 4 KiB */
	0xef,  0xbe, 0xad, 0xde,			       /* rkey = keys[0] */
	0x00,  0x00, 0x00, 0x00,			       /* persist_granularity 0 */
	0x02,  0x01, 0x02, 0x02,			       /* rw, fs-dax, odp, mw */
	0x1e,						       /* seg_shift 30: 1 GiB segments */
	0x01,						       /* flags ATOMIC */
	0x04,  0x00, 0x00, 0x00,			       /* nseg 4 */
	0x04,  0x00,					       /* nkeys 4 */
	0xef,  0xbe, 0xad, 0xde, 0x04, 0x03, 0x02, 0x01,       /* keys[0], keys[1] */
	0x0d,  0x0c, 0x0b, 0x0a, 0x0d, 0xf0, 0xed, 0xfe,       /* keys[2], keys[3] */
};

/* OPEN reply, version 3: a 3 GiB + 4 KiB fs-DAX export in four 1 GiB segments, all keys. */
static void open_reply_v3_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_OPEN, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 3;
	msg->hdr.length = 64;
	msg->desc = (struct daxmr_proto_desc){
		.export_id = 7,
		.generation = 0x1122334455667788,
		.addr = 0x7f0000000000,
		.length = (3ull << 30) + 4096,
		.rkey = 0xdeadbeef,
		.access = DAXMR_PROTO_ACCESS_RW,
		.memory = DAXMR_PROTO_MEMORY_FSDAX,
		.registration = DAXMR_PROTO_REG_ODP,
		.key_kind = DAXMR_PROTO_KEY_MW,
		.seg_shift = 30,
		.flags = DAXMR_PROTO_DESC_F_ATOMIC,
		.nseg = 4,
		.nkeys = 4,
		.keys = { 0xdeadbeef, 0x01020304, 0x0a0b0c0d, 0xfeedf00d },
	};
}
GOLDEN(open_reply_v3);

static const uint8_t open_reply_v3_partial_bytes[] = {
	MAGIC, 0x03, 0x00, 0x03, 0x00, 0x38, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x01, 0x00, RID,  0x07, 0x00, 0x00, 0x00, /* export_id 7 */
	GEN,						       /* generation */
	0x00,  0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,       /* addr 0x200000 */
	0x00,  0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,       /* length 12 KiB */
	0x11,  0x11, 0x11, 0x11,			       /* rkey = keys[0] */
	0x00,  0x00, 0x00, 0x00,			       /* persist_granularity 0 */
	0x01,  0x02, 0x01, 0x01,			       /* ro, devdax, pinned, mr */
	0x0c,						       /* seg_shift 12: 4 KiB segments */
	0x00,						       /* flags */
	0x03,  0x00, 0x00, 0x00,			       /* nseg 3 */
	0x02,  0x00,					       /* nkeys 2: KEYS fetches the third */
	0x11,  0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,       /* keys[0], keys[1] */
};

/* OPEN reply, version 3: three 4 KiB segments, of which the reply carries two keys. */
static void open_reply_v3_partial_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_OPEN, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 3;
	msg->hdr.length = 56;
	msg->desc = (struct daxmr_proto_desc){
		.export_id = 7,
		.generation = 0x1122334455667788,
		.addr = 0x200000,
		.length = 3 * 4096,
		.rkey = 0x11111111,
		.access = DAXMR_PROTO_ACCESS_RO,
		.memory = DAXMR_PROTO_MEMORY_DEVDAX,
		.registration = DAXMR_PROTO_REG_PINNED,
		.key_kind = DAXMR_PROTO_KEY_MR,
		.seg_shift = 12,
		.nseg = 3,
		.nkeys = 2,
		.keys = { 0x11111111, 0x22222222 },
	};
}
GOLDEN(open_reply_v3_partial);

static const uint8_t keys_bytes[] = {
	MAGIC, 0x03, 0x00, 0x0a, 0x00, 0x10, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x00, 0x00, RID,  0x07, 0x00, 0x00, 0x00, /* export_id 7 */
	GEN,						       /* generation */
	0x02,  0x00, 0x00, 0x00,			       /* first 2 */
};

/* KEYS: the keys of export 7 from segment 2 on. */
static void keys_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_KEYS, 0, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 3;
	msg->hdr.length = 16;
	msg->keys = (struct daxmr_proto_keys){ .export_id = 7,
					       .generation = 0x1122334455667788,
					       .first = 2 };
}
GOLDEN(keys);

static const uint8_t keys_reply_bytes[] = {
	MAGIC, 0x03, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x00, 0x00,
	0x00,  0x00, 0x01, 0x00, RID,  0x02, 0x00, 0x00, 0x00, /* first 2 */
	0x01,  0x00,					       /* count 1 */
	0x33,  0x33, 0x33, 0x33,			       /* keys[0]: segment 2's */
};

/* KEYS reply: the one key left of the partial descriptor above. */
static void keys_reply_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_KEYS, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_OK);
	msg->hdr.version = 3;
	msg->hdr.length = 10;
	msg->keys_reply.first = 2;
	msg->keys_reply.count = 1;
	msg->keys_reply.keys[0] = 0x33333333;
}
GOLDEN(keys_reply);

static const uint8_t open_unavailable_bytes[] = {
	MAGIC, 0x03, 0x00, 0x03, 0x00, 0x15, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x01,
	0x00,  RID,  0x13, 0x00, 'h',  'o',  'l',  'e',	 ' ',  'a',  't',  ' ',
	'o',   'f',  'f',  's',	 'e',  't',  ' ',  '4',	 '0',  '9',  '6', /* reason, 19 bytes */
};

/* OPEN reply UNAVAILABLE, version 3, with the reason the export is down. */
static void open_unavailable_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_OPEN, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_UNAVAILABLE);
	msg->hdr.version = 3;
	msg->hdr.length = 21;
	strcpy(msg->reason, "hole at offset 4096");
}
GOLDEN(open_unavailable);

static const uint8_t open_revoking_v3_bytes[] = {
	MAGIC, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x01, 0x00, RID,
};

/* OPEN reply REVOKING, version 3, without a reason: status only, as in version 1. */
static void open_revoking_v3_fill(struct daxmr_proto_msg *msg)
{
	hdr_fill(msg, DAXMR_PROTO_OP_OPEN, DAXMR_PROTO_F_REPLY, DAXMR_PROTO_STATUS_REVOKING);
	msg->hdr.version = 3;
}
GOLDEN(open_revoking_v3);

/* Asserts two names are equal and NUL-terminated. */
static void assert_name_equal(const char *a, const char *b)
{
	assert_non_null(memchr(b, '\0', DAXMR_PROTO_NAME_MAX + 1));
	assert_string_equal(a, b);
}

/* Asserts two LIST entries are equal field by field. */
static void assert_export_equal(const struct daxmr_proto_export *a,
				const struct daxmr_proto_export *b)
{
	assert_int_equal(a->export_id, b->export_id);
	assert_int_equal(a->generation, b->generation);
	assert_int_equal(a->length, b->length);
	assert_int_equal(a->access, b->access);
	assert_int_equal(a->memory, b->memory);
	assert_int_equal(a->registration, b->registration);
	assert_name_equal(a->name, b->name);
}

/* Asserts two messages are equal in the header and in the payload member the header selects. */
static void assert_msg_equal(const struct daxmr_proto_msg *a, const struct daxmr_proto_msg *b)
{
	bool reply = a->hdr.flags & DAXMR_PROTO_F_REPLY;

	assert_int_equal(a->hdr.version, b->hdr.version);
	assert_int_equal(a->hdr.opcode, b->hdr.opcode);
	assert_int_equal(a->hdr.length, b->hdr.length);
	assert_int_equal(a->hdr.status, b->hdr.status);
	assert_int_equal(a->hdr.flags, b->hdr.flags);
	assert_int_equal(a->hdr.request_id, b->hdr.request_id);
	if (a->hdr.status != DAXMR_PROTO_STATUS_OK) {
		assert_string_equal(a->reason, b->reason);
		return;
	}
	switch (a->hdr.opcode) {
	case DAXMR_PROTO_OP_HELLO:
		if (reply) {
			assert_int_equal(a->hello_reply.version, b->hello_reply.version);
			assert_int_equal(a->hello_reply.flags, b->hello_reply.flags);
			assert_memory_equal(a->hello_reply.challenge, b->hello_reply.challenge,
					    DAXMR_PROTO_AUTH_CHALLENGE_SIZE);
			assert_name_equal(a->hello_reply.name, b->hello_reply.name);
		} else {
			assert_int_equal(a->hello.version_min, b->hello.version_min);
			assert_int_equal(a->hello.version_max, b->hello.version_max);
			assert_int_equal(a->hello.flags, b->hello.flags);
			assert_name_equal(a->hello.name, b->hello.name);
		}
		break;
	case DAXMR_PROTO_OP_LIST:
		if (!reply) {
			assert_int_equal(a->list.start, b->list.start);
			break;
		}
		assert_int_equal(a->list_reply.start, b->list_reply.start);
		assert_int_equal(a->list_reply.count, b->list_reply.count);
		assert_int_equal(a->list_reply.flags, b->list_reply.flags);
		for (int i = 0; i < a->list_reply.count; i++)
			assert_export_equal(&a->list_reply.entries[i], &b->list_reply.entries[i]);
		break;
	case DAXMR_PROTO_OP_OPEN:
		if (!reply) {
			assert_int_equal(a->open.access, b->open.access);
			assert_name_equal(a->open.name, b->open.name);
			break;
		}
		assert_int_equal(a->desc.export_id, b->desc.export_id);
		assert_int_equal(a->desc.generation, b->desc.generation);
		assert_int_equal(a->desc.addr, b->desc.addr);
		assert_int_equal(a->desc.length, b->desc.length);
		assert_int_equal(a->desc.rkey, b->desc.rkey);
		assert_int_equal(a->desc.persist_granularity, b->desc.persist_granularity);
		assert_int_equal(a->desc.access, b->desc.access);
		assert_int_equal(a->desc.memory, b->desc.memory);
		assert_int_equal(a->desc.registration, b->desc.registration);
		assert_int_equal(a->desc.key_kind, b->desc.key_kind);
		assert_int_equal(a->desc.seg_shift, b->desc.seg_shift);
		assert_int_equal(a->desc.flags, b->desc.flags);
		assert_int_equal(a->desc.nseg, b->desc.nseg);
		assert_int_equal(a->desc.nkeys, b->desc.nkeys);
		assert_memory_equal(a->desc.keys, b->desc.keys, a->desc.nkeys * sizeof(uint32_t));
		break;
	case DAXMR_PROTO_OP_CLOSE:
		if (!reply) {
			assert_int_equal(a->close.export_id, b->close.export_id);
			assert_int_equal(a->close.generation, b->close.generation);
		}
		break;
	case DAXMR_PROTO_OP_FLUSH:
		if (!reply) {
			assert_int_equal(a->flush.export_id, b->flush.export_id);
			assert_int_equal(a->flush.generation, b->flush.generation);
			assert_int_equal(a->flush.offset, b->flush.offset);
			assert_int_equal(a->flush.length, b->flush.length);
		}
		break;
	case DAXMR_PROTO_OP_REVOKE:
		assert_int_equal(a->revoke.export_id, b->revoke.export_id);
		assert_int_equal(a->revoke.generation, b->revoke.generation);
		assert_int_equal(a->revoke.deadline_ms, b->revoke.deadline_ms);
		assert_int_equal(a->revoke.reason, b->revoke.reason);
		break;
	case DAXMR_PROTO_OP_REVOKE_ACK:
		assert_int_equal(a->revoke_ack.export_id, b->revoke_ack.export_id);
		assert_int_equal(a->revoke_ack.generation, b->revoke_ack.generation);
		break;
	case DAXMR_PROTO_OP_AVAILABLE:
		assert_int_equal(a->available.export_id, b->available.export_id);
		assert_int_equal(a->available.generation, b->available.generation);
		break;
	case DAXMR_PROTO_OP_AUTH:
		if (reply) {
			assert_memory_equal(a->auth_reply.proof, b->auth_reply.proof,
					    DAXMR_PROTO_AUTH_PROOF_SIZE);
		} else {
			assert_memory_equal(a->auth.nonce, b->auth.nonce,
					    DAXMR_PROTO_AUTH_NONCE_SIZE);
			assert_memory_equal(a->auth.proof, b->auth.proof,
					    DAXMR_PROTO_AUTH_PROOF_SIZE);
			assert_string_equal(a->auth.identity, b->auth.identity);
		}
		break;
	case DAXMR_PROTO_OP_KEYS:
		if (!reply) {
			assert_int_equal(a->keys.export_id, b->keys.export_id);
			assert_int_equal(a->keys.generation, b->keys.generation);
			assert_int_equal(a->keys.first, b->keys.first);
			break;
		}
		assert_int_equal(a->keys_reply.first, b->keys_reply.first);
		assert_int_equal(a->keys_reply.count, b->keys_reply.count);
		assert_memory_equal(a->keys_reply.keys, b->keys_reply.keys,
				    a->keys_reply.count * sizeof(uint32_t));
		break;
	case DAXMR_PROTO_OP_ERROR:
		fail_msg("ERROR with status OK");
	}
}

/* Encoding the golden struct gives exactly the golden bytes. */
static void msg_encode__golden(void **state)
{
	const struct golden *g = *state;
	struct daxmr_proto_msg msg;
	uint8_t buf[DAXMR_PROTO_MSG_MAX];

	g->fill(&msg);
	msg.hdr.length = 0xffff; /* ignored: the encoder computes it */
	assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)), g->len);
	assert_memory_equal(buf, g->bytes, g->len);
}

/* Decoding the golden bytes gives exactly the golden struct. */
static void msg_decode__golden(void **state)
{
	const struct golden *g = *state;
	struct daxmr_proto_msg want, got;

	g->fill(&want);
	memset(&got, 0xa5, sizeof(got));
	assert_int_equal(daxmr_proto_msg_decode(g->bytes, g->len, &got), 0);
	assert_msg_equal(&want, &got);
}

/* The header decoder alone agrees with the golden bytes too. */
static void hdr_decode__golden(void **state)
{
	const struct golden *g = *state;
	struct daxmr_proto_msg want;
	struct daxmr_proto_hdr got;

	g->fill(&want);
	assert_int_equal(daxmr_proto_hdr_decode(g->bytes, g->len, &got), 0);
	assert_int_equal(got.version, want.hdr.version);
	assert_int_equal(got.opcode, want.hdr.opcode);
	assert_int_equal(got.length, want.hdr.length);
	assert_int_equal(got.status, want.hdr.status);
	assert_int_equal(got.flags, want.hdr.flags);
	assert_int_equal(got.request_id, want.hdr.request_id);
}

/* One byte less than the message needs: -ENOBUFS, nothing written past the buffer. */
static void msg_encode__short_buffer(void **state)
{
	const struct golden *g = *state;
	struct daxmr_proto_msg msg;
	uint8_t buf[DAXMR_PROTO_MSG_MAX];

	g->fill(&msg);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(daxmr_proto_msg_encode(&msg, buf, g->len - 1), -ENOBUFS);
	assert_int_equal(buf[g->len - 1], 0x5a);
}

/* Every proper prefix of a golden message is rejected, by both decoders. */
static void msg_decode__every_truncation(void **state)
{
	const struct golden *g = *state;
	struct daxmr_proto_msg msg;
	struct daxmr_proto_hdr hdr;

	for (size_t n = 0; n < g->len; n++) {
		assert_int_equal(daxmr_proto_msg_decode(g->bytes, n, &msg), -EBADMSG);
		assert_int_equal(daxmr_proto_hdr_decode(g->bytes, n, &hdr), -EBADMSG);
	}
}

/*
 * A golden message spoilt in up to two fields, maybe resized; the decoder must return err.
 * Offsets are absolute (payload offset + 24). A resize adds zero bytes or cuts the end, and
 * rewrites the header length to match unless keep_length. The header decoder alone must
 * return err too for a fault in the header, and 0 for one in the payload.
 */
struct spoilt {
	const struct golden *base;
	struct {
		size_t at;
		unsigned int width; /* 0: no patch */
		uint64_t value;
	} patch[2];
	int resize;
	bool keep_length;
	bool in_header;
	int err;
};

/* Writes v as a little-endian integer of width bytes. */
static void put_le(uint8_t *p, unsigned int width, uint64_t v)
{
	for (unsigned int i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Builds the spoilt message; returns its length. */
static size_t spoil(const struct spoilt *s, uint8_t *buf, size_t size)
{
	size_t len = s->base->len + s->resize;

	assert_true(len <= size);
	memset(buf, 0, size);
	memcpy(buf, s->base->bytes, s->resize < 0 ? len : s->base->len);
	if (s->resize && !s->keep_length)
		put_le(buf + 8, 4, len - DAXMR_PROTO_HDR_SIZE);
	for (int i = 0; i < 2; i++)
		put_le(buf + s->patch[i].at, s->patch[i].width, s->patch[i].value);
	return len;
}

/* Decoding a spoilt message fails with the expected error and leaves the output untouched. */
static void msg_decode__spoilt(void **state)
{
	const struct spoilt *s = *state;
	uint8_t buf[DAXMR_PROTO_MSG_MAX + 64];
	size_t len = spoil(s, buf, sizeof(buf));
	struct daxmr_proto_msg msg, untouched;
	struct daxmr_proto_hdr hdr;

	memset(&msg, 0xa5, sizeof(msg));
	memset(&untouched, 0xa5, sizeof(untouched));
	assert_int_equal(daxmr_proto_msg_decode(buf, len, &msg), s->err);
	assert_memory_equal(&msg, &untouched, sizeof(msg));
	assert_int_equal(daxmr_proto_hdr_decode(buf, len, &hdr), s->in_header ? s->err : 0);
}

#define P(at_, width_, value_)                                    \
	{                                                         \
		.at = (at_), .width = (width_), .value = (value_) \
	}
#define PL(off) (DAXMR_PROTO_HDR_SIZE + (off)) /* payload offset to absolute */
#define SPOILT(name, ...) static const struct spoilt spoilt_##name = { __VA_ARGS__ }
#define SPOILT_HDR(name, ...) SPOILT(name, __VA_ARGS__, .in_header = true)

/* header: section 2, each rule in the order the decoder applies them */
SPOILT_HDR(bad_magic, &golden_hello, { P(0, 4, 0x524d5845) }, .err = -EPROTO);
SPOILT_HDR(version_0, &golden_hello, { P(4, 2, 0) }, .err = -EPROTONOSUPPORT);
SPOILT_HDR(version_past_codec_max, &golden_hello, { P(4, 2, DAXMR_PROTO_VERSION_CODEC_MAX + 1) },
	   .err = -EPROTONOSUPPORT);
SPOILT_HDR(version_ffff, &golden_auth, { P(4, 2, 0xffff) }, .err = -EPROTONOSUPPORT);
SPOILT_HDR(opcode_0, &golden_list, { P(6, 2, 0) }, .err = -EOPNOTSUPP);
SPOILT_HDR(opcode_10, &golden_list, { P(6, 2, 10) }, .err = -EOPNOTSUPP);
SPOILT_HDR(opcode_auth_version_1, &golden_list, { P(6, 2, 0x10) }, .err = -EOPNOTSUPP);
SPOILT_HDR(auth_version_1, &golden_auth, { P(4, 2, 1) }, .err = -EOPNOTSUPP);
SPOILT_HDR(auth_reply_version_1, &golden_auth_reply, { P(4, 2, 1) }, .err = -EOPNOTSUPP);
SPOILT_HDR(auth_denied_version_1, &golden_auth_denied, { P(4, 2, 1) }, .err = -EOPNOTSUPP);
SPOILT_HDR(opcode_0f_version_2, &golden_auth, { P(6, 2, 0x0f) }, .err = -EOPNOTSUPP);
SPOILT_HDR(opcode_11_version_1, &golden_list, { P(6, 2, 0x11) }, .err = -EOPNOTSUPP);
SPOILT_HDR(opcode_11_version_2, &golden_auth, { P(6, 2, 0x11) }, .err = -EOPNOTSUPP);
SPOILT_HDR(opcode_1f_version_2, &golden_auth, { P(6, 2, 0x1f) }, .err = -EOPNOTSUPP);
SPOILT_HDR(opcode_20_version_2, &golden_auth, { P(6, 2, 0x20) }, .err = -EOPNOTSUPP);
SPOILT_HDR(opcode_ffff, &golden_list, { P(6, 2, 0xffff) }, .err = -EOPNOTSUPP);
SPOILT_HDR(unknown_flag, &golden_list, { P(14, 2, 0x0002) }, .err = -EPROTO);
SPOILT_HDR(unknown_flag_high, &golden_list_reply, { P(14, 2, 0x8001) }, .err = -EPROTO);
SPOILT_HDR(unknown_status, &golden_open_denied, { P(12, 2, 13) }, .err = -EPROTO);
SPOILT_HDR(request_with_status, &golden_list, { P(12, 2, 1) }, .err = -EPROTO);
SPOILT_HDR(revoke_as_reply, &golden_revoke, { P(14, 2, 1) }, .err = -EPROTO);
SPOILT_HDR(revoke_ack_as_reply, &golden_revoke_ack, { P(14, 2, 1) }, .err = -EPROTO);
SPOILT_HDR(available_as_reply, &golden_available, { P(14, 2, 1) }, .err = -EPROTO);
SPOILT_HDR(error_not_reply, &golden_error, { P(14, 2, 0) }, .err = -EPROTO);
SPOILT_HDR(error_ok, &golden_error, { P(12, 2, 0) }, .err = -EPROTO);
SPOILT_HDR(length_over_max, &golden_list, { P(8, 4, DAXMR_PROTO_MSG_MAX - 23) }, .err = -EMSGSIZE);
SPOILT_HDR(length_huge, &golden_list, { P(8, 4, 0xffffffff) }, .err = -EMSGSIZE);
SPOILT_HDR(length_over_buffer, &golden_list, { P(8, 4, 5) }, .err = -EBADMSG);
SPOILT_HDR(length_under_buffer, &golden_list, { P(8, 4, 3) }, .err = -EBADMSG);
SPOILT_HDR(trailing_bytes, &golden_list, .resize = 1, .keep_length = true, .err = -EBADMSG);
SPOILT_HDR(error_reply_with_payload, &golden_open_denied, .resize = 4, .err = -EBADMSG);
SPOILT_HDR(auth_denied_with_proof, &golden_auth_denied, .resize = 32, .err = -EBADMSG);
SPOILT_HDR(auth_request_with_status, &golden_auth, { P(12, 2, 6) }, .err = -EPROTO);
/* payloads: section 5 */
SPOILT(ok_reply_with_payload, &golden_close_reply, .resize = 1, .err = -EBADMSG);
SPOILT(hello_min_0, &golden_hello, { P(PL(0), 2, 0) }, .err = -EBADMSG);
SPOILT(hello_min_over_max, &golden_hello, { P(PL(0), 2, 3), P(PL(2), 2, 2) }, .err = -EBADMSG);
SPOILT(hello_range_without_version, &golden_hello, { P(PL(0), 2, 2) }, .err = -EBADMSG);
SPOILT(hello_flags, &golden_hello, { P(PL(4), 2, 1) }, .err = -EBADMSG);
SPOILT(hello_name_empty, &golden_hello, { P(PL(6), 2, 0) }, .resize = -3, .err = -EBADMSG);
SPOILT(hello_name_nul, &golden_hello, { P(PL(9), 1, 0) }, .err = -EBADMSG);
SPOILT(hello_name_space, &golden_hello, { P(PL(9), 1, ' ') }, .err = -EBADMSG);
SPOILT(hello_name_control, &golden_hello, { P(PL(8), 1, '\n') }, .err = -EBADMSG);
SPOILT(hello_name_del, &golden_hello, { P(PL(8), 1, 0x7f) }, .err = -EBADMSG);
SPOILT(hello_name_high, &golden_hello, { P(PL(8), 1, 0xc3) }, .err = -EBADMSG);
SPOILT(hello_name_overlong, &golden_hello, { P(PL(6), 2, 256) }, .resize = 253, .err = -EBADMSG);
SPOILT(hello_name_past_payload, &golden_hello, { P(PL(6), 2, 4) }, .err = -EBADMSG);
SPOILT(hello_name_short_of_payload, &golden_hello, { P(PL(6), 2, 2) }, .err = -EBADMSG);
SPOILT(hello_reply_version, &golden_hello_reply, { P(PL(0), 2, 2) }, .err = -EBADMSG);
SPOILT(hello_reply_flags, &golden_hello_reply, { P(PL(2), 2, 0x100) }, .err = -EBADMSG);
SPOILT(hello_reply_name_nul, &golden_hello_reply, { P(PL(6), 1, 0) }, .err = -EBADMSG);
/* AUTH flag and challenge in a message that is version 1 in header and payload alike */
SPOILT(hello_reply_auth_flag_version_1, &golden_hello_reply_auth, { P(4, 2, 1), P(PL(0), 2, 1) },
       .err = -EBADMSG);
SPOILT(hello_reply_flag_1_version_2, &golden_hello_reply_auth, { P(PL(2), 2, 0x0003) },
       .err = -EBADMSG);
SPOILT(hello_reply_flag_1_alone_version_2, &golden_hello_reply_v2, { P(PL(2), 2, 0x0002) },
       .err = -EBADMSG);
SPOILT(hello_reply_flag_15_version_2, &golden_hello_reply_auth, { P(PL(2), 2, 0x8001) },
       .err = -EBADMSG);
SPOILT(hello_reply_auth_version_1_in_payload, &golden_hello_reply_auth, { P(PL(0), 2, 1) },
       .err = -EBADMSG);
SPOILT(hello_reply_auth_no_challenge, &golden_hello_reply_auth, { P(PL(2), 2, 0) },
       .err = -EBADMSG); /* the challenge bytes then read as a name of length 256 */
SPOILT(hello_reply_auth_challenge_cut, &golden_hello_reply_auth, .resize = -9,
       .err = -EBADMSG); /* the name and the challenge's last byte gone */
SPOILT(hello_reply_auth_name_nul, &golden_hello_reply_auth, { P(PL(38), 1, 0) }, .err = -EBADMSG);
SPOILT(hello_v2_flags, &golden_hello_v2, { P(PL(4), 2, 1) }, .err = -EBADMSG);
SPOILT(hello_v2_range_without_version, &golden_hello_v2, { P(PL(2), 2, 1) }, .err = -EBADMSG);
SPOILT(list_truncated, &golden_list, .resize = -1, .err = -EBADMSG);
SPOILT(list_trailing, &golden_list, .resize = 1, .err = -EBADMSG);
SPOILT(list_reply_count_over_max, &golden_list_reply, { P(PL(4), 2, DAXMR_PROTO_LIST_MAX + 1) },
       .err = -EBADMSG);
SPOILT(list_reply_count_ffff, &golden_list_reply, { P(PL(4), 2, 0xffff) }, .err = -EBADMSG);
SPOILT(list_reply_count_over_entries, &golden_list_reply, { P(PL(4), 2, 3) }, .err = -EBADMSG);
SPOILT(list_reply_count_under_entries, &golden_list_reply, { P(PL(4), 2, 1) }, .err = -EBADMSG);
SPOILT(list_reply_count_0_with_entries, &golden_list_reply, { P(PL(4), 2, 0) }, .err = -EBADMSG);
SPOILT(list_reply_last_entry_cut, &golden_list_reply, .resize = -1, .err = -EBADMSG);
SPOILT(list_reply_flags, &golden_list_reply, { P(PL(6), 2, 3) }, .err = -EBADMSG);
SPOILT(list_reply_access_0, &golden_list_reply, { P(PL(8 + 20), 1, 0) }, .err = -EBADMSG);
SPOILT(list_reply_access_3, &golden_list_reply, { P(PL(38 + 20), 1, 3) }, .err = -EBADMSG);
SPOILT(list_reply_memory_0, &golden_list_reply, { P(PL(8 + 21), 1, 0) }, .err = -EBADMSG);
SPOILT(list_reply_memory_4, &golden_list_reply, { P(PL(38 + 21), 1, 4) }, .err = -EBADMSG);
SPOILT(list_reply_registration_0, &golden_list_reply, { P(PL(8 + 22), 1, 0) }, .err = -EBADMSG);
SPOILT(list_reply_registration_3, &golden_list_reply, { P(PL(38 + 22), 1, 3) }, .err = -EBADMSG);
SPOILT(list_reply_name_nul, &golden_list_reply, { P(PL(38 + 27), 1, 0) }, .err = -EBADMSG);
SPOILT(list_reply_name_overlong, &golden_list_reply, { P(PL(8 + 23), 2, 300) }, .err = -EBADMSG);
SPOILT(open_access_0, &golden_open, { P(PL(0), 1, 0) }, .err = -EBADMSG);
SPOILT(open_access_3, &golden_open, { P(PL(0), 1, 3) }, .err = -EBADMSG);
SPOILT(open_name_nul_last, &golden_open, { P(PL(7), 1, 0) }, .err = -EBADMSG);
SPOILT(open_name_control, &golden_open, { P(PL(3), 1, 0x1f) }, .err = -EBADMSG);
SPOILT(open_name_empty, &golden_open, { P(PL(1), 2, 0) }, .resize = -5, .err = -EBADMSG);
SPOILT(open_reply_truncated, &golden_open_reply, .resize = -1, .err = -EBADMSG);
SPOILT(open_reply_trailing, &golden_open_reply, .resize = 1, .err = -EBADMSG);
SPOILT(open_reply_access_0, &golden_open_reply, { P(PL(36), 1, 0) }, .err = -EBADMSG);
SPOILT(open_reply_memory_4, &golden_open_reply, { P(PL(37), 1, 4) }, .err = -EBADMSG);
SPOILT(open_reply_registration_3, &golden_open_reply, { P(PL(38), 1, 3) }, .err = -EBADMSG);
SPOILT(open_reply_key_kind_0, &golden_open_reply, { P(PL(39), 1, 0) }, .err = -EBADMSG);
SPOILT(open_reply_key_kind_3, &golden_open_reply, { P(PL(39), 1, 3) }, .err = -EBADMSG);
SPOILT(open_reply_granularity_3000, &golden_open_reply, { P(PL(32), 4, 3000) }, .err = -EBADMSG);
SPOILT(open_reply_range_wraps, &golden_open_reply, { P(PL(12), 8, UINT64_MAX - 0x3fffffff + 1) },
       .err = -EBADMSG);
SPOILT(close_truncated, &golden_close, .resize = -1, .err = -EBADMSG);
SPOILT(close_trailing, &golden_close, .resize = 1, .err = -EBADMSG);
SPOILT(flush_truncated, &golden_flush, .resize = -8, .err = -EBADMSG);
SPOILT(flush_range_wraps, &golden_flush, { P(PL(12), 8, UINT64_MAX - 8191) }, .err = -ERANGE);
SPOILT(revoke_reason_0, &golden_revoke, { P(PL(16), 1, 0) }, .err = -EBADMSG);
SPOILT(revoke_reason_5, &golden_revoke, { P(PL(16), 1, 5) }, .err = -EBADMSG);
SPOILT(revoke_truncated, &golden_revoke, .resize = -1, .err = -EBADMSG);
SPOILT(revoke_ack_trailing, &golden_revoke_ack, .resize = 1, .err = -EBADMSG);
SPOILT(available_short, &golden_available, .resize = -1, .err = -EBADMSG);
SPOILT(auth_63, &golden_auth, .resize = -1, .err = -EBADMSG);
SPOILT(auth_65, &golden_auth, .resize = 1, .err = -EBADMSG);
/* version 4: the identity field must be there and be a name (or empty) */
SPOILT(auth_v4_no_identity, &golden_auth_v4, .resize = -10, .err = -EBADMSG);
SPOILT(auth_v4_identity_space, &golden_auth_v4, { P(PL(66 + 6), 1, ' ') }, .err = -EBADMSG);
SPOILT(auth_v4_identity_nul, &golden_auth_v4, { P(PL(66 + 2), 1, 0) }, .err = -EBADMSG);
SPOILT(auth_v4_identity_ctrl, &golden_auth_v4, { P(PL(66), 1, 0x1b) }, .err = -EBADMSG);
SPOILT(auth_v4_identity_long, &golden_auth_v4, { P(PL(64), 2, 9) }, .err = -EBADMSG);
SPOILT(auth_v4_identity_256, &golden_auth_v4, { P(PL(64), 2, 256) }, .err = -EBADMSG);
SPOILT(auth_v4_trailing, &golden_auth_v4_anonymous, .resize = 1, .err = -EBADMSG);
SPOILT(auth_nonce_only, &golden_auth, .resize = -32, .err = -EBADMSG);
SPOILT(auth_empty, &golden_auth, .resize = -64, .err = -EBADMSG);
SPOILT(auth_reply_31, &golden_auth_reply, .resize = -1, .err = -EBADMSG);
SPOILT(auth_reply_33, &golden_auth_reply, .resize = 1, .err = -EBADMSG);
SPOILT(auth_reply_64, &golden_auth_reply, .resize = 32, .err = -EBADMSG);
SPOILT(auth_reply_empty, &golden_auth_reply, .resize = -32, .err = -EBADMSG);
/* version 3: section 9 */
SPOILT_HDR(keys_version_2, &golden_keys, { P(4, 2, 2) }, .err = -EOPNOTSUPP);
SPOILT_HDR(keys_reply_version_1, &golden_keys_reply, { P(4, 2, 1) }, .err = -EOPNOTSUPP);
SPOILT_HDR(unavailable_version_2, &golden_open_revoking_v3, { P(4, 2, 2), P(12, 2, 13) },
	   .err = -EPROTO);
SPOILT_HDR(status_14_version_3, &golden_open_revoking_v3, { P(12, 2, 14) }, .err = -EPROTO);
SPOILT_HDR(reason_version_2, &golden_open_unavailable, { P(4, 2, 2), P(12, 2, 9) },
	   .err = -EBADMSG);
SPOILT(reason_empty, &golden_open_unavailable, { P(PL(0), 2, 0) }, .resize = -19, .err = -EBADMSG);
SPOILT(reason_control, &golden_open_unavailable, { P(PL(6), 1, '\t') }, .err = -EBADMSG);
SPOILT(reason_nul, &golden_open_unavailable, { P(PL(6), 1, 0) }, .err = -EBADMSG);
SPOILT(reason_del, &golden_open_unavailable, { P(PL(2), 1, 0x7f) }, .err = -EBADMSG);
SPOILT(reason_overlong, &golden_open_unavailable, { P(PL(0), 2, 256) }, .resize = 237,
       .err = -EBADMSG);
SPOILT(reason_past_payload, &golden_open_unavailable, { P(PL(0), 2, 20) }, .err = -EBADMSG);
SPOILT(reason_short_of_payload, &golden_open_unavailable, { P(PL(0), 2, 18) }, .err = -EBADMSG);
SPOILT(reason_one_byte, &golden_open_unavailable, .resize = -20, .err = -EBADMSG);
SPOILT(open_reply_v3_as_v2_size, &golden_open_reply_v3, .resize = -24, .err = -EBADMSG);
SPOILT(open_reply_v3_in_v2_header, &golden_open_reply_v3, { P(4, 2, 2) }, .err = -EBADMSG);
SPOILT(open_reply_v3_shift_11, &golden_open_reply_v3, { P(PL(40), 1, 11) }, .err = -EBADMSG);
SPOILT(open_reply_v3_shift_64, &golden_open_reply_v3, { P(PL(40), 1, 64) }, .err = -EBADMSG);
SPOILT(open_reply_v3_shift_31, &golden_open_reply_v3, { P(PL(40), 1, 31) }, .err = -EBADMSG);
SPOILT(open_reply_v3_flag_2, &golden_open_reply_v3, { P(PL(41), 1, 3) }, .err = -EBADMSG);
SPOILT(open_reply_v3_nseg_3, &golden_open_reply_v3, { P(PL(42), 4, 3) }, .err = -EBADMSG);
SPOILT(open_reply_v3_nseg_5, &golden_open_reply_v3, { P(PL(42), 4, 5) }, .err = -EBADMSG);
SPOILT(open_reply_v3_nkeys_0, &golden_open_reply_v3, { P(PL(46), 2, 0) }, .resize = -16,
       .err = -EBADMSG);
SPOILT(open_reply_v3_nkeys_over_nseg, &golden_open_reply_v3, { P(PL(46), 2, 5) }, .resize = 4,
       .err = -EBADMSG);
SPOILT(open_reply_v3_nkeys_over_max, &golden_open_reply_v3,
       { P(PL(42), 4, 2000), P(PL(46), 2, DAXMR_PROTO_KEYS_MAX + 1) }, .err = -EBADMSG);
SPOILT(open_reply_v3_nkeys_ffff, &golden_open_reply_v3, { P(PL(46), 2, 0xffff) }, .err = -EBADMSG);
SPOILT(open_reply_v3_nkeys_past_payload, &golden_open_reply_v3, { P(PL(46), 2, 3) },
       .err = -EBADMSG);
SPOILT(open_reply_v3_rkey_not_key_0, &golden_open_reply_v3, { P(PL(28), 4, 0x01020304) },
       .err = -EBADMSG);
SPOILT(open_reply_v3_length_0, &golden_open_reply_v3, { P(PL(20), 8, 0) }, .err = -EBADMSG);
SPOILT(open_reply_v3_length_3g, &golden_open_reply_v3, { P(PL(20), 8, 3ull << 30) },
       .err = -EBADMSG); /* exactly three segments, not four */
SPOILT(open_reply_v3_partial_nkeys_3, &golden_open_reply_v3_partial, { P(PL(46), 2, 3) },
       .err = -EBADMSG); /* claims a key more than it carries */
SPOILT(keys_truncated, &golden_keys, .resize = -1, .err = -EBADMSG);
SPOILT(keys_trailing, &golden_keys, .resize = 1, .err = -EBADMSG);
SPOILT(keys_reply_count_0, &golden_keys_reply, { P(PL(4), 2, 0) }, .resize = -4, .err = -EBADMSG);
SPOILT(keys_reply_count_over_max, &golden_keys_reply, { P(PL(4), 2, DAXMR_PROTO_KEYS_MAX + 1) },
       .err = -EBADMSG);
SPOILT(keys_reply_count_over_keys, &golden_keys_reply, { P(PL(4), 2, 2) }, .err = -EBADMSG);
SPOILT(keys_reply_trailing, &golden_keys_reply, .resize = 1, .err = -EBADMSG);

/* A message that just fits: 14 entries with 255-byte names in one LIST reply, both ways. */
static void msg_encode__list_reply_full(void **state)
{
	struct daxmr_proto_msg msg, got;
	uint8_t buf[DAXMR_PROTO_MSG_MAX];
	int len;

	(void)state;
	list_reply_fill(&msg);
	msg.list_reply.count = DAXMR_PROTO_LIST_MAX;
	for (int i = 0; i < DAXMR_PROTO_LIST_MAX; i++) {
		msg.list_reply.entries[i] = msg.list_reply.entries[0];
		msg.list_reply.entries[i].export_id = i;
		memset(msg.list_reply.entries[i].name, 'a' + i, DAXMR_PROTO_NAME_MAX);
		msg.list_reply.entries[i].name[DAXMR_PROTO_NAME_MAX] = '\0';
	}
	len = daxmr_proto_msg_encode(&msg, buf, sizeof(buf));
	assert_int_equal(len, DAXMR_PROTO_HDR_SIZE + 8 + DAXMR_PROTO_LIST_MAX * (25 + 255));
	assert_int_equal(daxmr_proto_msg_decode(buf, len, &got), 0);
	msg.hdr.length = len - DAXMR_PROTO_HDR_SIZE;
	assert_msg_equal(&msg, &got);
}

/* Exactly DAXMR_PROTO_MSG_MAX bytes pass the header checks; one more is -EMSGSIZE. */
static void hdr_decode__length_at_max(void **state)
{
	uint8_t buf[DAXMR_PROTO_MSG_MAX + 1] = { 0 };
	struct daxmr_proto_hdr hdr;

	(void)state;
	memcpy(buf, list_bytes, DAXMR_PROTO_HDR_SIZE);
	put_le(buf + 8, 4, DAXMR_PROTO_MSG_MAX - DAXMR_PROTO_HDR_SIZE);
	assert_int_equal(daxmr_proto_hdr_decode(buf, DAXMR_PROTO_MSG_MAX, &hdr), 0);
	assert_int_equal(hdr.length, DAXMR_PROTO_MSG_MAX - DAXMR_PROTO_HDR_SIZE);
	put_le(buf + 8, 4, DAXMR_PROTO_MSG_MAX + 1 - DAXMR_PROTO_HDR_SIZE);
	assert_int_equal(daxmr_proto_hdr_decode(buf, sizeof(buf), &hdr), -EMSGSIZE);
}

/* A bad payload leaves the header decodable, so the receiver can answer its request id. */
static void hdr_decode__bad_payload_answerable(void **state)
{
	uint8_t buf[sizeof(open_bytes)];
	struct daxmr_proto_msg msg;
	struct daxmr_proto_hdr hdr;

	(void)state;
	memcpy(buf, open_bytes, sizeof(buf));
	buf[PL(0)] = 7; /* access */
	assert_int_equal(daxmr_proto_msg_decode(buf, sizeof(buf), &msg), -EBADMSG);
	assert_int_equal(daxmr_proto_hdr_decode(buf, sizeof(buf), &hdr), 0);
	assert_int_equal(hdr.request_id, 0x0102030405060708);
}

/* Names of every length 1..255 and every allowed byte round-trip through OPEN. */
static void msg_encode__open_names_round_trip(void **state)
{
	struct daxmr_proto_msg msg, got;
	uint8_t buf[DAXMR_PROTO_MSG_MAX];

	(void)state;
	open_fill(&msg);
	for (size_t n = 1; n <= DAXMR_PROTO_NAME_MAX; n++) {
		for (size_t i = 0; i < n; i++)
			msg.open.name[i] = (char)(0x21 + (n + i) % (0x7f - 0x21));
		msg.open.name[n] = '\0';
		msg.hdr.length = 3 + n;
		assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)),
				 DAXMR_PROTO_HDR_SIZE + 3 + n);
		assert_int_equal(daxmr_proto_msg_decode(buf, DAXMR_PROTO_HDR_SIZE + 3 + n, &got),
				 0);
		assert_msg_equal(&msg, &got);
	}
}

/*
 * Every status-only reply of every opcode that has replies round-trips with no payload, in
 * every version that knows the opcode (AUTH: version 2 only).
 */
static void msg_encode__status_only_round_trip(void **state)
{
	static const enum daxmr_proto_opcode ops[] = {
		DAXMR_PROTO_OP_HELLO, DAXMR_PROTO_OP_LIST,  DAXMR_PROTO_OP_OPEN,
		DAXMR_PROTO_OP_CLOSE, DAXMR_PROTO_OP_FLUSH, DAXMR_PROTO_OP_ERROR,
		DAXMR_PROTO_OP_AUTH,  DAXMR_PROTO_OP_KEYS,
	};
	struct daxmr_proto_msg msg, got;
	uint8_t buf[DAXMR_PROTO_HDR_SIZE];

	(void)state;
	for (uint16_t v = DAXMR_PROTO_VERSION_MIN; v <= DAXMR_PROTO_VERSION_CODEC_MAX; v++) {
		int last = v >= DAXMR_PROTO_VERSION_SEG ? DAXMR_PROTO_STATUS_UNAVAILABLE :
							  DAXMR_PROTO_STATUS_INTERNAL;

		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			if (ops[i] == DAXMR_PROTO_OP_AUTH && v < DAXMR_PROTO_VERSION_AUTH)
				continue;
			if (ops[i] == DAXMR_PROTO_OP_KEYS && v < DAXMR_PROTO_VERSION_SEG)
				continue;
			for (int st = DAXMR_PROTO_STATUS_BAD_MESSAGE; st <= last; st++) {
				hdr_fill(&msg, ops[i], DAXMR_PROTO_F_REPLY, st);
				msg.hdr.version = v;
				assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)),
						 DAXMR_PROTO_HDR_SIZE);
				assert_int_equal(daxmr_proto_msg_decode(buf, sizeof(buf), &got), 0);
				assert_msg_equal(&msg, &got);
			}
		}
	}
}

/* Any nonce and proof bytes round-trip: AUTH carries them opaque, all zeros or all ones. */
static void msg_encode__auth_opaque_round_trip(void **state)
{
	struct daxmr_proto_msg msg, got;
	uint8_t buf[DAXMR_PROTO_MSG_MAX];

	(void)state;
	for (int fill = 0x00; fill <= 0xff; fill += 0xff) {
		auth_fill(&msg);
		memset(msg.auth.nonce, fill, sizeof(msg.auth.nonce));
		memset(msg.auth.proof, fill, sizeof(msg.auth.proof));
		assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)),
				 DAXMR_PROTO_HDR_SIZE + 64);
		assert_int_equal(daxmr_proto_msg_decode(buf, DAXMR_PROTO_HDR_SIZE + 64, &got), 0);
		assert_msg_equal(&msg, &got);
		auth_reply_fill(&msg);
		memset(msg.auth_reply.proof, fill, sizeof(msg.auth_reply.proof));
		assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)),
				 DAXMR_PROTO_HDR_SIZE + 32);
		assert_int_equal(daxmr_proto_msg_decode(buf, DAXMR_PROTO_HDR_SIZE + 32, &got), 0);
		assert_msg_equal(&msg, &got);
	}
}

/*
 * The challenge goes on the wire only with the AUTH flag: without it the encoder ignores the
 * array (the golden bytes come out) and the decoder leaves it zero.
 */
static void msg_encode__hello_reply_challenge_only_with_auth(void **state)
{
	struct daxmr_proto_msg msg, got;
	uint8_t buf[DAXMR_PROTO_MSG_MAX];

	(void)state;
	hello_reply_v2_fill(&msg);
	memset(msg.hello_reply.challenge, 0xff, sizeof(msg.hello_reply.challenge));
	assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)),
			 sizeof(hello_reply_v2_bytes));
	assert_memory_equal(buf, hello_reply_v2_bytes, sizeof(hello_reply_v2_bytes));
	memset(&got, 0xa5, sizeof(got));
	assert_int_equal(daxmr_proto_msg_decode(buf, sizeof(hello_reply_v2_bytes), &got), 0);
	for (size_t i = 0; i < sizeof(got.hello_reply.challenge); i++)
		assert_int_equal(got.hello_reply.challenge[i], 0);
}

/* Expects daxmr_proto_msg_encode to refuse msg with -EINVAL. */
static void expect_encode_einval(const struct daxmr_proto_msg *msg)
{
	uint8_t buf[DAXMR_PROTO_MSG_MAX];

	assert_int_equal(daxmr_proto_msg_encode(msg, buf, sizeof(buf)), -EINVAL);
}

/* The encoder applies the header rules of section 2. */
static void msg_encode__bad_header(void **state)
{
	struct daxmr_proto_msg msg;

	(void)state;
	list_fill(&msg);
	msg.hdr.version = 0;
	expect_encode_einval(&msg);
	list_fill(&msg);
	msg.hdr.version = DAXMR_PROTO_VERSION_CODEC_MAX + 1;
	expect_encode_einval(&msg);
	list_fill(&msg);
	msg.hdr.opcode = 0x11;
	expect_encode_einval(&msg);
	auth_fill(&msg);
	msg.hdr.opcode = 0x1f;
	expect_encode_einval(&msg);
	auth_fill(&msg);
	msg.hdr.status = DAXMR_PROTO_STATUS_ACCESS_DENIED; /* request with a status */
	expect_encode_einval(&msg);
	list_fill(&msg);
	msg.hdr.flags = 2;
	expect_encode_einval(&msg);
	list_fill(&msg);
	msg.hdr.status = DAXMR_PROTO_STATUS_BUSY; /* request with a status */
	expect_encode_einval(&msg);
	open_denied_fill(&msg);
	msg.hdr.status = 99;
	expect_encode_einval(&msg);
	revoke_fill(&msg);
	msg.hdr.flags = DAXMR_PROTO_F_REPLY;
	expect_encode_einval(&msg);
	error_fill(&msg);
	msg.hdr.status = DAXMR_PROTO_STATUS_OK;
	expect_encode_einval(&msg);
}

/* The largest descriptor and KEYS reply: DAXMR_PROTO_KEYS_MAX keys each, both ways. */
static void msg_encode__v3_keys_full(void **state)
{
	struct daxmr_proto_msg msg, got;
	uint8_t buf[DAXMR_PROTO_MSG_MAX];
	int len;

	(void)state;
	open_reply_v3_fill(&msg); /* 1 TiB + 1 byte in 1 GiB segments: 1025 of them */
	msg.desc.length = (1ull << 40) + 1;
	msg.desc.nseg = 1025;
	msg.desc.nkeys = DAXMR_PROTO_KEYS_MAX;
	for (uint32_t i = 0; i < DAXMR_PROTO_KEYS_MAX; i++)
		msg.desc.keys[i] = 0xdeadbeef + i;
	len = daxmr_proto_msg_encode(&msg, buf, sizeof(buf));
	assert_int_equal(len, DAXMR_PROTO_HDR_SIZE + 48 + 4 * DAXMR_PROTO_KEYS_MAX);
	assert_int_equal(daxmr_proto_msg_decode(buf, (size_t)len, &got), 0);
	msg.hdr.length = (uint32_t)len - DAXMR_PROTO_HDR_SIZE;
	assert_msg_equal(&msg, &got);
	msg.desc.nkeys = DAXMR_PROTO_KEYS_MAX + 1; /* would not fit: refused, not truncated */
	assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)), -EINVAL);

	keys_reply_fill(&msg);
	msg.keys_reply.count = DAXMR_PROTO_KEYS_MAX;
	for (uint32_t i = 0; i < DAXMR_PROTO_KEYS_MAX; i++)
		msg.keys_reply.keys[i] = i;
	len = daxmr_proto_msg_encode(&msg, buf, sizeof(buf));
	assert_int_equal(len, DAXMR_PROTO_HDR_SIZE + 6 + 4 * DAXMR_PROTO_KEYS_MAX);
	assert_int_equal(daxmr_proto_msg_decode(buf, (size_t)len, &got), 0);
	msg.hdr.length = (uint32_t)len - DAXMR_PROTO_HDR_SIZE;
	assert_msg_equal(&msg, &got);
	msg.keys_reply.count = 0;
	assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)), -EINVAL);
}

/* In version 2 the segment fields are not on the wire: the 40-byte descriptor, decoded as 0. */
static void msg_encode__v2_desc_ignores_segments(void **state)
{
	struct daxmr_proto_msg msg, got;
	uint8_t buf[DAXMR_PROTO_MSG_MAX], v2[DAXMR_PROTO_MSG_MAX];
	int len;

	(void)state;
	open_reply_fill(&msg);
	assert_int_equal(daxmr_proto_msg_encode(&msg, v2, sizeof(v2)), golden_open_reply.len);
	msg.desc.seg_shift = 30;
	msg.desc.nseg = 1;
	msg.desc.nkeys = 1;
	msg.desc.keys[0] = msg.desc.rkey;
	len = daxmr_proto_msg_encode(&msg, buf, sizeof(buf));
	assert_int_equal(len, golden_open_reply.len);
	assert_memory_equal(buf, v2, (size_t)len);
	assert_int_equal(daxmr_proto_msg_decode(buf, (size_t)len, &got), 0);
	assert_int_equal(got.desc.seg_shift, 0);
	assert_int_equal(got.desc.nseg, 0);
	assert_int_equal(got.desc.nkeys, 0);
}

/* Reasons: only on failed replies of version 3, 1..255 printable bytes; UNAVAILABLE from 3. */
static void msg_encode__v3_reason_rules(void **state)
{
	struct daxmr_proto_msg msg, got;
	uint8_t buf[DAXMR_PROTO_MSG_MAX];
	int len;

	(void)state;
	open_unavailable_fill(&msg);
	memset(msg.reason, 'r', DAXMR_PROTO_REASON_MAX);
	msg.reason[DAXMR_PROTO_REASON_MAX] = '\0';
	len = daxmr_proto_msg_encode(&msg, buf, sizeof(buf));
	assert_int_equal(len, DAXMR_PROTO_HDR_SIZE + 2 + DAXMR_PROTO_REASON_MAX);
	assert_int_equal(daxmr_proto_msg_decode(buf, (size_t)len, &got), 0);
	assert_string_equal(got.reason, msg.reason);
	msg.reason[0] = '\n';
	expect_encode_einval(&msg);
	open_unavailable_fill(&msg);
	msg.hdr.version = 2; /* no reasons and no UNAVAILABLE before version 3 */
	expect_encode_einval(&msg);
	msg.hdr.status = DAXMR_PROTO_STATUS_REVOKING;
	expect_encode_einval(&msg);
	msg.reason[0] = '\0';
	assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)), DAXMR_PROTO_HDR_SIZE);
	error_fill(&msg); /* ERROR may say why too */
	msg.hdr.version = 3;
	strcpy(msg.reason, "opcode 66 unknown");
	len = daxmr_proto_msg_encode(&msg, buf, sizeof(buf));
	assert_int_equal(len, DAXMR_PROTO_HDR_SIZE + 2 + 17);
	assert_int_equal(daxmr_proto_msg_decode(buf, (size_t)len, &got), 0);
	assert_string_equal(got.reason, "opcode 66 unknown");
	keys_fill(&msg); /* a reason on a request, or an OK reply, is not encoded */
	strcpy(msg.reason, "ignored");
	assert_int_equal(daxmr_proto_msg_encode(&msg, buf, sizeof(buf)), golden_keys.len);
}

/* AUTH, request or reply, and the HELLO reply flag AUTH do not exist in version 1. */
static void msg_encode__auth_version_1(void **state)
{
	struct daxmr_proto_msg msg;

	(void)state;
	auth_fill(&msg);
	msg.hdr.version = 1;
	expect_encode_einval(&msg);
	auth_reply_fill(&msg);
	msg.hdr.version = 1;
	expect_encode_einval(&msg);
	auth_denied_fill(&msg);
	msg.hdr.version = 1;
	expect_encode_einval(&msg);
	hello_reply_auth_fill(&msg);
	msg.hdr.version = 1;
	msg.hello_reply.version = 1;
	expect_encode_einval(&msg);
}

/* A name without NUL in its array is refused, not read past. */
static void msg_encode__name_unterminated(void **state)
{
	struct daxmr_proto_msg msg;

	(void)state;
	open_fill(&msg);
	memset(msg.open.name, 'x', sizeof(msg.open.name));
	expect_encode_einval(&msg);
}

/* Names that are empty or hold a byte outside 0x21-0x7e are refused. */
static void msg_encode__name_bad(void **state)
{
	struct daxmr_proto_msg msg;

	(void)state;
	hello_fill(&msg);
	msg.hello.name[0] = '\0';
	expect_encode_einval(&msg);
	hello_reply_fill(&msg);
	strcpy(msg.hello_reply.name, "dax mrd");
	expect_encode_einval(&msg);
	list_reply_fill(&msg);
	msg.list_reply.entries[1].name[0] = '\t';
	expect_encode_einval(&msg);
}

/* Enum fields outside their lists, and a count over DAXMR_PROTO_LIST_MAX, are refused. */
static void msg_encode__bad_fields(void **state)
{
	struct daxmr_proto_msg msg;

	(void)state;
	hello_fill(&msg);
	msg.hello.flags = 1;
	expect_encode_einval(&msg);
	hello_fill(&msg);
	msg.hello.version_min = 2;
	expect_encode_einval(&msg);
	hello_reply_fill(&msg);
	msg.hello_reply.version = 2;
	expect_encode_einval(&msg);
	hello_reply_fill(&msg);
	msg.hello_reply.flags = 0x0002;
	expect_encode_einval(&msg);
	hello_reply_auth_fill(&msg);
	msg.hello_reply.flags |= 0x0002;
	expect_encode_einval(&msg);
	hello_reply_auth_fill(&msg);
	msg.hello_reply.version = 1;
	expect_encode_einval(&msg);
	hello_v2_fill(&msg);
	msg.hello.flags = DAXMR_PROTO_HELLO_F_AUTH; /* HELLO request flags stay 0 */
	expect_encode_einval(&msg);
	list_reply_fill(&msg);
	msg.list_reply.count = DAXMR_PROTO_LIST_MAX + 1;
	expect_encode_einval(&msg);
	list_reply_fill(&msg);
	msg.list_reply.entries[0].memory = 0;
	expect_encode_einval(&msg);
	open_fill(&msg);
	msg.open.access = 0;
	expect_encode_einval(&msg);
	open_reply_fill(&msg);
	msg.desc.key_kind = 3;
	expect_encode_einval(&msg);
	open_reply_fill(&msg);
	msg.desc.persist_granularity = 4095;
	expect_encode_einval(&msg);
	flush_fill(&msg);
	msg.flush.length = UINT64_MAX;
	expect_encode_einval(&msg);
	revoke_fill(&msg);
	msg.revoke.reason = 0;
	expect_encode_einval(&msg);
}

static const uint8_t cm_connect_bytes[] = { MAGIC, 0x01, 0x00, 0x03, 0x00 };
static const uint8_t cm_accept_bytes[] = { MAGIC, 0x01, 0x00, 0x10, 0x00 };
static const uint8_t cm_reject_bytes[] = { MAGIC, 0x02, 0x00, 0x01, 0x00, 0x01, 0x00 };

/* Connect private data: versions 1..3, pinned bytes both ways. */
static void cm_connect_encode__golden(void **state)
{
	struct daxmr_proto_cm_connect cm = { .version_min = 1, .version_max = 3 };
	uint8_t buf[DAXMR_PROTO_CM_CONNECT_LIMIT];

	(void)state;
	assert_int_equal(daxmr_proto_cm_connect_encode(&cm, buf, sizeof(buf)),
			 DAXMR_PROTO_CM_CONNECT_SIZE);
	assert_memory_equal(buf, cm_connect_bytes, sizeof(cm_connect_bytes));
	assert_int_equal(daxmr_proto_cm_connect_encode(&cm, buf, DAXMR_PROTO_CM_CONNECT_SIZE - 1),
			 -ENOBUFS);
}

/* The decoder takes the golden bytes, also padded to the 56 bytes rdma_cm hands over. */
static void cm_connect_decode__golden(void **state)
{
	uint8_t padded[DAXMR_PROTO_CM_CONNECT_LIMIT] = { 0 };
	struct daxmr_proto_cm_connect cm;

	(void)state;
	memcpy(padded, cm_connect_bytes, sizeof(cm_connect_bytes));
	padded[sizeof(padded) - 1] = 0xff;
	assert_int_equal(daxmr_proto_cm_connect_decode(padded, sizeof(padded), &cm), 0);
	assert_int_equal(cm.version_min, 1);
	assert_int_equal(cm.version_max, 3);
	memset(&cm, 0, sizeof(cm));
	assert_int_equal(
		daxmr_proto_cm_connect_decode(cm_connect_bytes, sizeof(cm_connect_bytes), &cm), 0);
	assert_int_equal(cm.version_min, 1);
	assert_int_equal(cm.version_max, 3);
}

/* Connect private data: short, bad magic, version 0, empty range; output untouched. */
static void cm_connect_decode__rejects(void **state)
{
	uint8_t buf[DAXMR_PROTO_CM_CONNECT_SIZE];
	struct daxmr_proto_cm_connect cm = { 0xaaaa, 0xaaaa };

	(void)state;
	assert_int_equal(daxmr_proto_cm_connect_decode(NULL, 0, &cm), -EBADMSG);
	assert_int_equal(daxmr_proto_cm_connect_decode(cm_connect_bytes, 7, &cm), -EBADMSG);
	memcpy(buf, cm_connect_bytes, sizeof(buf));
	buf[3] = 'S';
	assert_int_equal(daxmr_proto_cm_connect_decode(buf, sizeof(buf), &cm), -EPROTO);
	memcpy(buf, cm_connect_bytes, sizeof(buf));
	buf[4] = 0;
	assert_int_equal(daxmr_proto_cm_connect_decode(buf, sizeof(buf), &cm), -EBADMSG);
	memcpy(buf, cm_connect_bytes, sizeof(buf));
	buf[4] = 4;
	assert_int_equal(daxmr_proto_cm_connect_decode(buf, sizeof(buf), &cm), -EBADMSG);
	assert_int_equal(cm.version_min, 0xaaaa);
	assert_int_equal(cm.version_max, 0xaaaa);
}

/* Connect encoder refuses an empty range. */
static void cm_connect_encode__bad_range(void **state)
{
	struct daxmr_proto_cm_connect cm = { .version_min = 2, .version_max = 1 };
	uint8_t buf[DAXMR_PROTO_CM_CONNECT_SIZE];

	(void)state;
	assert_int_equal(daxmr_proto_cm_connect_encode(&cm, buf, sizeof(buf)), -EINVAL);
	cm.version_min = 0;
	assert_int_equal(daxmr_proto_cm_connect_encode(&cm, buf, sizeof(buf)), -EINVAL);
}

/* Accept private data: version 1, 16 credits, pinned bytes both ways, padded to 196. */
static void cm_accept__golden(void **state)
{
	struct daxmr_proto_cm_accept cm = { .version = 1, .credits = 16 }, got;
	uint8_t buf[DAXMR_PROTO_CM_ACCEPT_LIMIT] = { 0 };

	(void)state;
	assert_int_equal(daxmr_proto_cm_accept_encode(&cm, buf, sizeof(buf)),
			 DAXMR_PROTO_CM_ACCEPT_SIZE);
	assert_memory_equal(buf, cm_accept_bytes, sizeof(cm_accept_bytes));
	assert_int_equal(daxmr_proto_cm_accept_decode(buf, sizeof(buf), &got), 0);
	assert_int_equal(got.version, 1);
	assert_int_equal(got.credits, 16);
	assert_int_equal(daxmr_proto_cm_accept_encode(&cm, buf, DAXMR_PROTO_CM_ACCEPT_SIZE - 1),
			 -ENOBUFS);
}

/* Accept private data choosing version 2: pinned bytes both ways. */
static void cm_accept__golden_version_2(void **state)
{
	static const uint8_t bytes[] = {
		MAGIC, 0x02, 0x00, /* version 2 */
		0x08,  0x00,	   /* credits 8 */
	};
	struct daxmr_proto_cm_accept cm = { .version = 2, .credits = 8 }, got;
	uint8_t buf[DAXMR_PROTO_CM_ACCEPT_SIZE];

	(void)state;
	assert_int_equal(daxmr_proto_cm_accept_encode(&cm, buf, sizeof(buf)),
			 DAXMR_PROTO_CM_ACCEPT_SIZE);
	assert_memory_equal(buf, bytes, sizeof(bytes));
	assert_int_equal(daxmr_proto_cm_accept_decode(bytes, sizeof(bytes), &got), 0);
	assert_int_equal(got.version, 2);
	assert_int_equal(got.credits, 8);
}

/* Accept private data: short, bad magic, unsupported version, no credits. */
static void cm_accept_decode__rejects(void **state)
{
	uint8_t buf[DAXMR_PROTO_CM_ACCEPT_SIZE];
	struct daxmr_proto_cm_accept cm = { 0xaaaa, 0xaaaa };

	(void)state;
	assert_int_equal(daxmr_proto_cm_accept_decode(cm_accept_bytes, 7, &cm), -EBADMSG);
	memcpy(buf, cm_accept_bytes, sizeof(buf));
	buf[0] = 0;
	assert_int_equal(daxmr_proto_cm_accept_decode(buf, sizeof(buf), &cm), -EPROTO);
	memcpy(buf, cm_accept_bytes, sizeof(buf));
	buf[4] = DAXMR_PROTO_VERSION_MAX + 1;
	assert_int_equal(daxmr_proto_cm_accept_decode(buf, sizeof(buf), &cm), -EPROTONOSUPPORT);
	buf[4] = 0;
	assert_int_equal(daxmr_proto_cm_accept_decode(buf, sizeof(buf), &cm), -EPROTONOSUPPORT);
	memcpy(buf, cm_accept_bytes, sizeof(buf));
	buf[6] = 0;
	assert_int_equal(daxmr_proto_cm_accept_decode(buf, sizeof(buf), &cm), -EBADMSG);
	assert_int_equal(cm.version, 0xaaaa);
	assert_int_equal(cm.credits, 0xaaaa);
}

/* Accept encoder refuses a version this build does not speak, and zero credits. */
static void cm_accept_encode__bad_fields(void **state)
{
	struct daxmr_proto_cm_accept cm = { .version = DAXMR_PROTO_VERSION_MAX + 1, .credits = 1 };
	uint8_t buf[DAXMR_PROTO_CM_ACCEPT_SIZE];

	(void)state;
	assert_int_equal(daxmr_proto_cm_accept_encode(&cm, buf, sizeof(buf)), -EINVAL);
	cm.version = 0;
	assert_int_equal(daxmr_proto_cm_accept_encode(&cm, buf, sizeof(buf)), -EINVAL);
	cm = (struct daxmr_proto_cm_accept){ .version = 1, .credits = 0 };
	assert_int_equal(daxmr_proto_cm_accept_encode(&cm, buf, sizeof(buf)), -EINVAL);
}

/* Reject private data: UNSUPPORTED_VERSION, range 1..1, pinned bytes both ways. */
static void cm_reject__golden(void **state)
{
	struct daxmr_proto_cm_reject cm = { DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, 1, 1, "" }, got;
	uint8_t buf[64] = { 0 };

	(void)state;
	assert_int_equal(daxmr_proto_cm_reject_encode(&cm, buf, sizeof(buf)),
			 DAXMR_PROTO_CM_REJECT_SIZE);
	assert_memory_equal(buf, cm_reject_bytes, sizeof(cm_reject_bytes));
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &got), 0);
	assert_int_equal(got.status, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION);
	assert_int_equal(got.version_min, 1);
	assert_int_equal(got.version_max, 1);
	assert_int_equal(daxmr_proto_cm_reject_encode(&cm, buf, DAXMR_PROTO_CM_REJECT_SIZE - 1),
			 -ENOBUFS);
}

/*
 * Reject private data of version 2 servers: ACCESS_DENIED (no export admits the client's
 * address) from a server speaking 1..2, and UNSUPPORTED_VERSION from one with a secret,
 * which speaks only 2..2. Pinned bytes both ways.
 */
static void cm_reject__golden_version_2(void **state)
{
	static const struct {
		struct daxmr_proto_cm_reject cm;
		uint8_t bytes[DAXMR_PROTO_CM_REJECT_SIZE];
	} cases[] = {
		{ { DAXMR_PROTO_STATUS_ACCESS_DENIED, 1, 2, "" },
		  {
			  MAGIC, 0x06, 0x00, /* status ACCESS_DENIED */
			  0x01, 0x00,	     /* version_min 1 */
			  0x02, 0x00,	     /* version_max 2 */
		  } },
		{ { DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, 2, 2, "" },
		  {
			  MAGIC, 0x02, 0x00, /* status UNSUPPORTED_VERSION */
			  0x02, 0x00,	     /* version_min 2 */
			  0x02, 0x00,	     /* version_max 2 */
		  } },
	};
	uint8_t buf[DAXMR_PROTO_CM_REJECT_LIMIT];
	struct daxmr_proto_cm_reject got;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 0, sizeof(buf));
		assert_int_equal(daxmr_proto_cm_reject_encode(&cases[i].cm, buf, sizeof(buf)),
				 DAXMR_PROTO_CM_REJECT_SIZE);
		assert_memory_equal(buf, cases[i].bytes, DAXMR_PROTO_CM_REJECT_SIZE);
		assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &got), 0);
		assert_int_equal(got.status, cases[i].cm.status);
		assert_int_equal(got.version_min, cases[i].cm.version_min);
		assert_int_equal(got.version_max, cases[i].cm.version_max);
	}
}

/*
 * Version 4's reject reason: after the 10 bytes, u16 n and n bytes (here BUSY from the per-address
 * limit); pinned bytes both ways. IB CM zero padding after an older server's 10 bytes decodes as
 * no reason; a reason cut short, too long, or with a control byte or NUL is -EBADMSG.
 */
static void cm_reject__golden_reason(void **state)
{
	static const uint8_t bytes[] = {
		MAGIC, 0x0b, 0x00,		       /* status BUSY */
		0x01,  0x00,			       /* version_min 1 */
		0x04,  0x00,			       /* version_max 4 */
		0x0c,  0x00, 'a',  ' ', 'l', 'i', 'm', /* reason: 12 bytes */
		'i',   't',  ' ',  'o', 'f', ' ', '3',
	};
	struct daxmr_proto_cm_reject cm = { DAXMR_PROTO_STATUS_BUSY, 1, 4, "a limit of 3" }, got;
	uint8_t buf[DAXMR_PROTO_CM_REJECT_LIMIT];

	(void)state;
	snprintf(cm.reason, sizeof(cm.reason), "a limit of 3");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(daxmr_proto_cm_reject_encode(&cm, buf, sizeof(buf)), (int)sizeof(bytes));
	assert_memory_equal(buf, bytes, sizeof(bytes));
	/* the kernel hands over the whole padded area */
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &got), 0);
	assert_int_equal(got.status, DAXMR_PROTO_STATUS_BUSY);
	assert_int_equal(got.version_max, 4);
	assert_string_equal(got.reason, "a limit of 3");
	assert_int_equal(daxmr_proto_cm_reject_encode(&cm, buf, sizeof(bytes) - 1), -ENOBUFS);
	/* an older server's 10 bytes, padded with zeros: no reason */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, bytes, DAXMR_PROTO_CM_REJECT_SIZE);
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &got), 0);
	assert_string_equal(got.reason, "");
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, DAXMR_PROTO_CM_REJECT_SIZE, &got), 0);
	/* spoilt: cut short, past the limit, a control byte, a NUL */
	memcpy(buf, bytes, sizeof(bytes));
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(bytes) - 1, &got), -EBADMSG);
	buf[10] = DAXMR_PROTO_CM_REASON_MAX + 1;
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &got), -EBADMSG);
	buf[10] = 0x0c;
	buf[13] = '\n';
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &got), -EBADMSG);
	buf[13] = '\0';
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &got), -EBADMSG);
	/* the encoder refuses what the decoder would */
	snprintf(cm.reason, sizeof(cm.reason), "two\nlines");
	assert_int_equal(daxmr_proto_cm_reject_encode(&cm, buf, sizeof(buf)), -EINVAL);
}

/* Reject private data: short, bad magic, status OK or unknown, empty range. */
static void cm_reject_decode__rejects(void **state)
{
	uint8_t buf[DAXMR_PROTO_CM_REJECT_SIZE];
	struct daxmr_proto_cm_reject cm = { 0xaaaa, 0xaaaa, 0xaaaa, "" };

	(void)state;
	assert_int_equal(daxmr_proto_cm_reject_decode(cm_reject_bytes, 9, &cm), -EBADMSG);
	memcpy(buf, cm_reject_bytes, sizeof(buf));
	buf[1] = 0;
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &cm), -EPROTO);
	memcpy(buf, cm_reject_bytes, sizeof(buf));
	buf[4] = 0;
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &cm), -EBADMSG);
	buf[4] = 13;
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &cm), -EBADMSG);
	memcpy(buf, cm_reject_bytes, sizeof(buf));
	buf[6] = 2;
	assert_int_equal(daxmr_proto_cm_reject_decode(buf, sizeof(buf), &cm), -EBADMSG);
	assert_int_equal(cm.status, 0xaaaa);
}

/* Reject encoder refuses status OK. */
static void cm_reject_encode__status_ok(void **state)
{
	struct daxmr_proto_cm_reject cm = { DAXMR_PROTO_STATUS_OK, 1, 1, "" };
	uint8_t buf[DAXMR_PROTO_CM_REJECT_SIZE];

	(void)state;
	assert_int_equal(daxmr_proto_cm_reject_encode(&cm, buf, sizeof(buf)), -EINVAL);
}

/* The version pick takes the newest common version, or none. */
static void version_pick__ranges(void **state)
{
	(void)state;
	assert_int_equal(daxmr_proto_version_pick(1, 1), 1);
	assert_int_equal(daxmr_proto_version_pick(1, 2), 2);
	assert_int_equal(daxmr_proto_version_pick(1, 3), 3);
	assert_int_equal(daxmr_proto_version_pick(1, 4), 4);
	assert_int_equal(daxmr_proto_version_pick(1, 7), 4);
	assert_int_equal(daxmr_proto_version_pick(0, 1), 1);
	assert_int_equal(daxmr_proto_version_pick(2, 2), 2);
	assert_int_equal(daxmr_proto_version_pick(2, 7), 4);
	assert_int_equal(daxmr_proto_version_pick(3, 7), 4);
	assert_int_equal(daxmr_proto_version_pick(4, 7), 4);
	assert_int_equal(daxmr_proto_version_pick(5, 7), -EPROTONOSUPPORT);
	assert_int_equal(daxmr_proto_version_pick(0, 0), -EPROTONOSUPPORT);
	assert_int_equal(daxmr_proto_version_pick(1, 0), -EPROTONOSUPPORT);
}

/* Decode errors map to the statuses of section 4. */
static void status_from_err__mapping(void **state)
{
	(void)state;
	assert_int_equal(daxmr_proto_status_from_err(-EPROTONOSUPPORT),
			 DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION);
	assert_int_equal(daxmr_proto_status_from_err(-EOPNOTSUPP),
			 DAXMR_PROTO_STATUS_UNKNOWN_OPCODE);
	assert_int_equal(daxmr_proto_status_from_err(-ERANGE), DAXMR_PROTO_STATUS_OUT_OF_RANGE);
	assert_int_equal(daxmr_proto_status_from_err(-EBADMSG), DAXMR_PROTO_STATUS_BAD_MESSAGE);
	assert_int_equal(daxmr_proto_status_from_err(-EPROTO), DAXMR_PROTO_STATUS_BAD_MESSAGE);
	assert_int_equal(daxmr_proto_status_from_err(-EMSGSIZE), DAXMR_PROTO_STATUS_BAD_MESSAGE);
}

/* Every status and opcode has its name; values outside the enums are "UNKNOWN". */
static void str__names(void **state)
{
	(void)state;
	assert_string_equal(daxmr_proto_status_str(DAXMR_PROTO_STATUS_OK), "OK");
	assert_string_equal(daxmr_proto_status_str(DAXMR_PROTO_STATUS_STALE_GENERATION),
			    "STALE_GENERATION");
	assert_string_equal(daxmr_proto_status_str(DAXMR_PROTO_STATUS_INTERNAL), "INTERNAL");
	assert_string_equal(daxmr_proto_status_str(DAXMR_PROTO_STATUS_UNAVAILABLE), "UNAVAILABLE");
	assert_string_equal(daxmr_proto_status_str(14), "UNKNOWN");
	assert_string_equal(daxmr_proto_status_str((enum daxmr_proto_status) - 1), "UNKNOWN");
	for (int s = DAXMR_PROTO_STATUS_OK; s <= DAXMR_PROTO_STATUS_UNAVAILABLE; s++)
		assert_string_not_equal(daxmr_proto_status_str(s), "UNKNOWN");
	assert_string_equal(daxmr_proto_opcode_str(DAXMR_PROTO_OP_HELLO), "HELLO");
	assert_string_equal(daxmr_proto_opcode_str(DAXMR_PROTO_OP_REVOKE_ACK), "REVOKE_ACK");
	assert_string_equal(daxmr_proto_opcode_str(DAXMR_PROTO_OP_ERROR), "ERROR");
	assert_string_equal(daxmr_proto_opcode_str(DAXMR_PROTO_OP_AVAILABLE), "AVAILABLE");
	assert_string_equal(daxmr_proto_opcode_str(DAXMR_PROTO_OP_AUTH), "AUTH");
	assert_string_equal(daxmr_proto_opcode_str(0), "UNKNOWN");
	assert_string_equal(daxmr_proto_opcode_str(DAXMR_PROTO_OP_KEYS), "KEYS");
	assert_string_equal(daxmr_proto_opcode_str(0x0b), "UNKNOWN");
	assert_string_equal(daxmr_proto_opcode_str(0x0f), "UNKNOWN");
	assert_string_equal(daxmr_proto_opcode_str(0x11), "UNKNOWN");
	assert_string_equal(daxmr_proto_opcode_str(0x1f), "UNKNOWN");
	assert_string_equal(daxmr_proto_opcode_str((enum daxmr_proto_opcode) - 1), "UNKNOWN");
	for (int op = DAXMR_PROTO_OP_HELLO; op <= DAXMR_PROTO_OP_AVAILABLE; op++)
		assert_string_not_equal(daxmr_proto_opcode_str(op), "UNKNOWN");
}

#define T(name) cmocka_unit_test(name)
#define GOLDEN_TESTS(kind)                                                                       \
	{ "msg_encode__golden_" #kind, msg_encode__golden, NULL, NULL, (void *)&golden_##kind }, \
		{ "msg_decode__golden_" #kind, msg_decode__golden, NULL, NULL,                   \
		  (void *)&golden_##kind },                                                      \
		{ "hdr_decode__golden_" #kind, hdr_decode__golden, NULL, NULL,                   \
		  (void *)&golden_##kind },                                                      \
		{ "msg_encode__short_buffer_" #kind, msg_encode__short_buffer, NULL, NULL,       \
		  (void *)&golden_##kind },                                                      \
	{                                                                                        \
		"msg_decode__every_truncation_" #kind, msg_decode__every_truncation, NULL, NULL, \
			(void *)&golden_##kind                                                   \
	}
#define SPOILT_TEST(name)                                                                    \
	{                                                                                    \
		"msg_decode__" #name, msg_decode__spoilt, NULL, NULL, (void *)&spoilt_##name \
	}

/* Runs the proto tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		GOLDEN_TESTS(hello),
		GOLDEN_TESTS(hello_reply),
		GOLDEN_TESTS(list),
		GOLDEN_TESTS(list_reply),
		GOLDEN_TESTS(open),
		GOLDEN_TESTS(open_reply),
		GOLDEN_TESTS(open_denied),
		GOLDEN_TESTS(close),
		GOLDEN_TESTS(close_reply),
		GOLDEN_TESTS(flush),
		GOLDEN_TESTS(flush_reply),
		GOLDEN_TESTS(revoke),
		GOLDEN_TESTS(revoke_ack),
		GOLDEN_TESTS(available),
		GOLDEN_TESTS(error),
		GOLDEN_TESTS(hello_v2),
		GOLDEN_TESTS(hello_reply_auth),
		GOLDEN_TESTS(hello_reply_v2),
		GOLDEN_TESTS(auth),
		GOLDEN_TESTS(auth_reply),
		GOLDEN_TESTS(auth_denied),
		GOLDEN_TESTS(auth_v4),
		GOLDEN_TESTS(auth_v4_anonymous),
		GOLDEN_TESTS(auth_reply_v4),
		GOLDEN_TESTS(open_reply_v3),
		GOLDEN_TESTS(open_reply_v3_partial),
		GOLDEN_TESTS(keys),
		GOLDEN_TESTS(keys_reply),
		GOLDEN_TESTS(open_unavailable),
		GOLDEN_TESTS(open_revoking_v3),
		SPOILT_TEST(bad_magic),
		SPOILT_TEST(version_0),
		SPOILT_TEST(version_past_codec_max),
		SPOILT_TEST(version_ffff),
		SPOILT_TEST(opcode_0),
		SPOILT_TEST(opcode_10),
		SPOILT_TEST(opcode_auth_version_1),
		SPOILT_TEST(auth_version_1),
		SPOILT_TEST(auth_reply_version_1),
		SPOILT_TEST(auth_denied_version_1),
		SPOILT_TEST(opcode_0f_version_2),
		SPOILT_TEST(opcode_11_version_1),
		SPOILT_TEST(opcode_11_version_2),
		SPOILT_TEST(opcode_1f_version_2),
		SPOILT_TEST(opcode_20_version_2),
		SPOILT_TEST(opcode_ffff),
		SPOILT_TEST(unknown_flag),
		SPOILT_TEST(unknown_flag_high),
		SPOILT_TEST(unknown_status),
		SPOILT_TEST(request_with_status),
		SPOILT_TEST(revoke_as_reply),
		SPOILT_TEST(revoke_ack_as_reply),
		SPOILT_TEST(available_as_reply),
		SPOILT_TEST(available_short),
		SPOILT_TEST(error_not_reply),
		SPOILT_TEST(error_ok),
		SPOILT_TEST(length_over_max),
		SPOILT_TEST(length_huge),
		SPOILT_TEST(length_over_buffer),
		SPOILT_TEST(length_under_buffer),
		SPOILT_TEST(trailing_bytes),
		SPOILT_TEST(error_reply_with_payload),
		SPOILT_TEST(auth_denied_with_proof),
		SPOILT_TEST(auth_request_with_status),
		SPOILT_TEST(ok_reply_with_payload),
		SPOILT_TEST(hello_min_0),
		SPOILT_TEST(hello_min_over_max),
		SPOILT_TEST(hello_range_without_version),
		SPOILT_TEST(hello_flags),
		SPOILT_TEST(hello_name_empty),
		SPOILT_TEST(hello_name_nul),
		SPOILT_TEST(hello_name_space),
		SPOILT_TEST(hello_name_control),
		SPOILT_TEST(hello_name_del),
		SPOILT_TEST(hello_name_high),
		SPOILT_TEST(hello_name_overlong),
		SPOILT_TEST(hello_name_past_payload),
		SPOILT_TEST(hello_name_short_of_payload),
		SPOILT_TEST(hello_reply_version),
		SPOILT_TEST(hello_reply_flags),
		SPOILT_TEST(hello_reply_name_nul),
		SPOILT_TEST(hello_reply_auth_flag_version_1),
		SPOILT_TEST(hello_reply_flag_1_version_2),
		SPOILT_TEST(hello_reply_flag_1_alone_version_2),
		SPOILT_TEST(hello_reply_flag_15_version_2),
		SPOILT_TEST(hello_reply_auth_version_1_in_payload),
		SPOILT_TEST(hello_reply_auth_no_challenge),
		SPOILT_TEST(hello_reply_auth_challenge_cut),
		SPOILT_TEST(hello_reply_auth_name_nul),
		SPOILT_TEST(hello_v2_flags),
		SPOILT_TEST(hello_v2_range_without_version),
		SPOILT_TEST(list_truncated),
		SPOILT_TEST(list_trailing),
		SPOILT_TEST(list_reply_count_over_max),
		SPOILT_TEST(list_reply_count_ffff),
		SPOILT_TEST(list_reply_count_over_entries),
		SPOILT_TEST(list_reply_count_under_entries),
		SPOILT_TEST(list_reply_count_0_with_entries),
		SPOILT_TEST(list_reply_last_entry_cut),
		SPOILT_TEST(list_reply_flags),
		SPOILT_TEST(list_reply_access_0),
		SPOILT_TEST(list_reply_access_3),
		SPOILT_TEST(list_reply_memory_0),
		SPOILT_TEST(list_reply_memory_4),
		SPOILT_TEST(list_reply_registration_0),
		SPOILT_TEST(list_reply_registration_3),
		SPOILT_TEST(list_reply_name_nul),
		SPOILT_TEST(list_reply_name_overlong),
		SPOILT_TEST(open_access_0),
		SPOILT_TEST(open_access_3),
		SPOILT_TEST(open_name_nul_last),
		SPOILT_TEST(open_name_control),
		SPOILT_TEST(open_name_empty),
		SPOILT_TEST(open_reply_truncated),
		SPOILT_TEST(open_reply_trailing),
		SPOILT_TEST(open_reply_access_0),
		SPOILT_TEST(open_reply_memory_4),
		SPOILT_TEST(open_reply_registration_3),
		SPOILT_TEST(open_reply_key_kind_0),
		SPOILT_TEST(open_reply_key_kind_3),
		SPOILT_TEST(open_reply_granularity_3000),
		SPOILT_TEST(open_reply_range_wraps),
		SPOILT_TEST(close_truncated),
		SPOILT_TEST(close_trailing),
		SPOILT_TEST(flush_truncated),
		SPOILT_TEST(flush_range_wraps),
		SPOILT_TEST(revoke_reason_0),
		SPOILT_TEST(revoke_reason_5),
		SPOILT_TEST(revoke_truncated),
		SPOILT_TEST(revoke_ack_trailing),
		SPOILT_TEST(auth_63),
		SPOILT_TEST(auth_65),
		SPOILT_TEST(auth_v4_no_identity),
		SPOILT_TEST(auth_v4_identity_space),
		SPOILT_TEST(auth_v4_identity_nul),
		SPOILT_TEST(auth_v4_identity_ctrl),
		SPOILT_TEST(auth_v4_identity_long),
		SPOILT_TEST(auth_v4_identity_256),
		SPOILT_TEST(auth_v4_trailing),
		SPOILT_TEST(auth_nonce_only),
		SPOILT_TEST(auth_empty),
		SPOILT_TEST(auth_reply_31),
		SPOILT_TEST(auth_reply_33),
		SPOILT_TEST(auth_reply_64),
		SPOILT_TEST(auth_reply_empty),
		SPOILT_TEST(keys_version_2),
		SPOILT_TEST(keys_reply_version_1),
		SPOILT_TEST(unavailable_version_2),
		SPOILT_TEST(status_14_version_3),
		SPOILT_TEST(reason_version_2),
		SPOILT_TEST(reason_empty),
		SPOILT_TEST(reason_control),
		SPOILT_TEST(reason_nul),
		SPOILT_TEST(reason_del),
		SPOILT_TEST(reason_overlong),
		SPOILT_TEST(reason_past_payload),
		SPOILT_TEST(reason_short_of_payload),
		SPOILT_TEST(reason_one_byte),
		SPOILT_TEST(open_reply_v3_as_v2_size),
		SPOILT_TEST(open_reply_v3_in_v2_header),
		SPOILT_TEST(open_reply_v3_shift_11),
		SPOILT_TEST(open_reply_v3_shift_64),
		SPOILT_TEST(open_reply_v3_shift_31),
		SPOILT_TEST(open_reply_v3_flag_2),
		SPOILT_TEST(open_reply_v3_nseg_3),
		SPOILT_TEST(open_reply_v3_nseg_5),
		SPOILT_TEST(open_reply_v3_nkeys_0),
		SPOILT_TEST(open_reply_v3_nkeys_over_nseg),
		SPOILT_TEST(open_reply_v3_nkeys_over_max),
		SPOILT_TEST(open_reply_v3_nkeys_ffff),
		SPOILT_TEST(open_reply_v3_nkeys_past_payload),
		SPOILT_TEST(open_reply_v3_rkey_not_key_0),
		SPOILT_TEST(open_reply_v3_length_0),
		SPOILT_TEST(open_reply_v3_length_3g),
		SPOILT_TEST(open_reply_v3_partial_nkeys_3),
		SPOILT_TEST(keys_truncated),
		SPOILT_TEST(keys_trailing),
		SPOILT_TEST(keys_reply_count_0),
		SPOILT_TEST(keys_reply_count_over_max),
		SPOILT_TEST(keys_reply_count_over_keys),
		SPOILT_TEST(keys_reply_trailing),
		T(msg_encode__v3_keys_full),
		T(msg_encode__v2_desc_ignores_segments),
		T(msg_encode__v3_reason_rules),
		T(msg_encode__list_reply_full),
		T(hdr_decode__length_at_max),
		T(hdr_decode__bad_payload_answerable),
		T(msg_encode__open_names_round_trip),
		T(msg_encode__status_only_round_trip),
		T(msg_encode__auth_opaque_round_trip),
		T(msg_encode__hello_reply_challenge_only_with_auth),
		T(msg_encode__bad_header),
		T(msg_encode__auth_version_1),
		T(msg_encode__name_unterminated),
		T(msg_encode__name_bad),
		T(msg_encode__bad_fields),
		T(cm_connect_encode__golden),
		T(cm_connect_decode__golden),
		T(cm_connect_decode__rejects),
		T(cm_connect_encode__bad_range),
		T(cm_accept__golden),
		T(cm_accept__golden_version_2),
		T(cm_accept_decode__rejects),
		T(cm_accept_encode__bad_fields),
		T(cm_reject__golden),
		T(cm_reject__golden_version_2),
		T(cm_reject__golden_reason),
		T(cm_reject_decode__rejects),
		T(cm_reject_encode__status_ok),
		T(version_pick__ranges),
		T(status_from_err__mapping),
		T(str__names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
