/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_seed.c -- writes one valid instance of every message kind as seed corpora for the fuzzers */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

/* Writes len bytes of buf to dir/name; returns 0 or -1 after printing why. */
static int seed_write(const char *dir, const char *name, const void *buf, int len)
{
	char path[4096];
	FILE *f;
	int ok;

	if (len < 0) {
		fprintf(stderr, "fuzz_seed: encoding %s: %s\n", name, strerror(-len));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "fuzz_seed: fopen %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fwrite(buf, 1, (size_t)len, f) == (size_t)len;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* Starts a message: version 1 (callers may raise it), the given opcode, flags and status. */
static struct daxmr_proto_msg *seed_msg(struct daxmr_proto_msg *m, enum daxmr_proto_opcode op,
					uint16_t flags, enum daxmr_proto_status status)
{
	memset(m, 0, sizeof(*m));
	m->hdr = (struct daxmr_proto_hdr){ .version = 1, .opcode = op, .flags = flags,
					   .status = status, .request_id = 42 };
	return m;
}

/* Encodes m and writes it to dir/seed-<name>. */
static int seed_msg_write(const char *dir, const char *name, const struct daxmr_proto_msg *m)
{
	static unsigned char buf[DAXMR_PROTO_MSG_MAX];

	return seed_write(dir, name, buf, daxmr_proto_msg_encode(m, buf, sizeof(buf)));
}

/* Writes the message seeds into argv[1], then connect, accept, reject seeds into argv[2..4]. */
int main(int argc, char **argv)
{
	const uint16_t R = DAXMR_PROTO_F_REPLY, OK = DAXMR_PROTO_STATUS_OK;
	static struct daxmr_proto_msg m;
	unsigned char pd[DAXMR_PROTO_CM_ACCEPT_LIMIT];
	int err = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: fuzz_seed MSG_DIR CONNECT_DIR ACCEPT_DIR REJECT_DIR\n");
		return 2;
	}
	seed_msg(&m, DAXMR_PROTO_OP_HELLO, 0, OK)->hello =
		(struct daxmr_proto_hello){ 1, 1, 0, "c" };
	err |= seed_msg_write(argv[1], "hello", &m);
	seed_msg(&m, DAXMR_PROTO_OP_HELLO, R, OK)->hello_reply =
		(struct daxmr_proto_hello_reply){ .version = 1, .name = "daxmrd" };
	err |= seed_msg_write(argv[1], "hello-reply", &m);
	seed_msg(&m, DAXMR_PROTO_OP_LIST, 0, OK)->list.start = 3;
	err |= seed_msg_write(argv[1], "list", &m);
	seed_msg(&m, DAXMR_PROTO_OP_LIST, R, OK)->list_reply.count = 2;
	m.list_reply.flags = DAXMR_PROTO_LIST_F_MORE;
	m.list_reply.entries[0] = (struct daxmr_proto_export){ 1, 2, 4096, DAXMR_PROTO_ACCESS_RW,
		DAXMR_PROTO_MEMORY_FSDAX, DAXMR_PROTO_REG_ODP, "pmem0" };
	m.list_reply.entries[1] = (struct daxmr_proto_export){ 2, 1, 8192, DAXMR_PROTO_ACCESS_RO,
		DAXMR_PROTO_MEMORY_DEVDAX, DAXMR_PROTO_REG_PINNED, "dax0.0" };
	err |= seed_msg_write(argv[1], "list-reply", &m);
	seed_msg(&m, DAXMR_PROTO_OP_OPEN, 0, OK)->open = (struct daxmr_proto_open){
		DAXMR_PROTO_ACCESS_RO, "pmem0" };
	err |= seed_msg_write(argv[1], "open", &m);
	seed_msg(&m, DAXMR_PROTO_OP_OPEN, R, OK)->desc = (struct daxmr_proto_desc){ 1, 2, 1 << 20,
		4096, 7, 0, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_MEMORY_FSDAX, DAXMR_PROTO_REG_ODP,
		DAXMR_PROTO_KEY_MR, 0, 0, 0, 0, { 0 } }; /* version 1: no segments on the wire */
	err |= seed_msg_write(argv[1], "open-reply", &m);
	seed_msg(&m, DAXMR_PROTO_OP_OPEN, R, DAXMR_PROTO_STATUS_NO_SUCH_EXPORT);
	err |= seed_msg_write(argv[1], "open-failed", &m);
	seed_msg(&m, DAXMR_PROTO_OP_CLOSE, 0, OK)->close = (struct daxmr_proto_export_ref){ 1, 2 };
	err |= seed_msg_write(argv[1], "close", &m);
	seed_msg(&m, DAXMR_PROTO_OP_CLOSE, R, OK);
	err |= seed_msg_write(argv[1], "close-reply", &m);
	seed_msg(&m, DAXMR_PROTO_OP_FLUSH, 0, OK)->flush =
		(struct daxmr_proto_flush){ 1, 2, 0, 64 };
	err |= seed_msg_write(argv[1], "flush", &m);
	seed_msg(&m, DAXMR_PROTO_OP_REVOKE, 0, OK)->revoke = (struct daxmr_proto_revoke){ 1, 2, 100,
		DAXMR_PROTO_REVOKE_SHUTDOWN };
	err |= seed_msg_write(argv[1], "revoke", &m);
	seed_msg(&m, DAXMR_PROTO_OP_REVOKE_ACK, 0, OK)->revoke_ack =
		(struct daxmr_proto_export_ref){ 1, 2 };
	err |= seed_msg_write(argv[1], "revoke-ack", &m);
	seed_msg(&m, DAXMR_PROTO_OP_AVAILABLE, 0, OK)->available =
		(struct daxmr_proto_export_ref){ 1, 3 };
	err |= seed_msg_write(argv[1], "available", &m);
	seed_msg(&m, DAXMR_PROTO_OP_ERROR, R, DAXMR_PROTO_STATUS_UNKNOWN_OPCODE);
	err |= seed_msg_write(argv[1], "error", &m);

	/* version 2: HELLO, the HELLO reply asking for AUTH, AUTH and its replies */
	seed_msg(&m, DAXMR_PROTO_OP_HELLO, 0, OK)->hello =
		(struct daxmr_proto_hello){ 1, 2, 0, "c" };
	m.hdr.version = 2;
	err |= seed_msg_write(argv[1], "hello-v2", &m);
	seed_msg(&m, DAXMR_PROTO_OP_HELLO, R, OK)->hello_reply =
		(struct daxmr_proto_hello_reply){ .version = 2, .name = "daxmrd" };
	m.hdr.version = 2;
	err |= seed_msg_write(argv[1], "hello-reply-v2", &m);
	m.hello_reply.flags = DAXMR_PROTO_HELLO_F_AUTH;
	memset(m.hello_reply.challenge, 0xc5, sizeof(m.hello_reply.challenge));
	err |= seed_msg_write(argv[1], "hello-reply-auth", &m);
	seed_msg(&m, DAXMR_PROTO_OP_AUTH, 0, OK);
	m.hdr.version = 2;
	memset(m.auth.nonce, 0x4e, sizeof(m.auth.nonce));
	memset(m.auth.proof, 0x50, sizeof(m.auth.proof));
	err |= seed_msg_write(argv[1], "auth", &m);
	seed_msg(&m, DAXMR_PROTO_OP_AUTH, R, OK);
	m.hdr.version = 2;
	memset(m.auth_reply.proof, 0x53, sizeof(m.auth_reply.proof));
	err |= seed_msg_write(argv[1], "auth-reply", &m);
	seed_msg(&m, DAXMR_PROTO_OP_AUTH, R, DAXMR_PROTO_STATUS_ACCESS_DENIED);
	m.hdr.version = 2;
	err |= seed_msg_write(argv[1], "auth-denied", &m);
	/* version 4: AUTH naming an identity, and the anonymous one */
	seed_msg(&m, DAXMR_PROTO_OP_AUTH, 0, OK);
	m.hdr.version = 4;
	memset(m.auth.nonce, 0x4e, sizeof(m.auth.nonce));
	memset(m.auth.proof, 0x50, sizeof(m.auth.proof));
	snprintf(m.auth.identity, sizeof(m.auth.identity), "tenant-a");
	err |= seed_msg_write(argv[1], "auth-v4", &m);
	m.auth.identity[0] = '\0';
	err |= seed_msg_write(argv[1], "auth-v4-anonymous", &m);
	/* version 3: a segmented descriptor (all keys, and partial), KEYS, a failed reply's reason */
	seed_msg(&m, DAXMR_PROTO_OP_OPEN, R, OK)->desc = (struct daxmr_proto_desc){ 1, 2, 1 << 20,
		3 * 4096 + 1, 7, 0, DAXMR_PROTO_ACCESS_RW, DAXMR_PROTO_MEMORY_FSDAX,
		DAXMR_PROTO_REG_ODP, DAXMR_PROTO_KEY_MW, 12, DAXMR_PROTO_DESC_F_ATOMIC, 4, 4,
		{ 7, 8, 9, 10 } };
	m.hdr.version = 3;
	err |= seed_msg_write(argv[1], "open-reply-v3", &m);
	m.desc.nkeys = 2;
	err |= seed_msg_write(argv[1], "open-reply-v3-partial", &m);
	seed_msg(&m, DAXMR_PROTO_OP_KEYS, 0, OK)->keys = (struct daxmr_proto_keys){ 1, 2, 2 };
	m.hdr.version = 3;
	err |= seed_msg_write(argv[1], "keys", &m);
	seed_msg(&m, DAXMR_PROTO_OP_KEYS, R, OK)->keys_reply =
		(struct daxmr_proto_keys_reply){ 2, 2, { 9, 10 } };
	m.hdr.version = 3;
	err |= seed_msg_write(argv[1], "keys-reply", &m);
	seed_msg(&m, DAXMR_PROTO_OP_OPEN, R, DAXMR_PROTO_STATUS_UNAVAILABLE);
	m.hdr.version = 3;
	snprintf(m.reason, sizeof(m.reason), "hole at offset 4096");
	err |= seed_msg_write(argv[1], "open-unavailable-v3", &m);

	err |= seed_write(argv[2], "connect", pd, daxmr_proto_cm_connect_encode(
		&(struct daxmr_proto_cm_connect){ 1, 1 }, pd, sizeof(pd)));
	err |= seed_write(argv[2], "connect-v2", pd, daxmr_proto_cm_connect_encode(
		&(struct daxmr_proto_cm_connect){ 1, 2 }, pd, sizeof(pd)));
	err |= seed_write(argv[3], "accept", pd, daxmr_proto_cm_accept_encode(
		&(struct daxmr_proto_cm_accept){ 1, 8 }, pd, sizeof(pd)));
	err |= seed_write(argv[3], "accept-v2", pd, daxmr_proto_cm_accept_encode(
		&(struct daxmr_proto_cm_accept){ 2, 8 }, pd, sizeof(pd)));
	err |= seed_write(argv[4], "reject", pd, daxmr_proto_cm_reject_encode(
		&(struct daxmr_proto_cm_reject){ DAXMR_PROTO_STATUS_BUSY, 1, 1, "" }, pd, sizeof(pd)));
	err |= seed_write(argv[4], "reject-access-denied", pd, daxmr_proto_cm_reject_encode(
		&(struct daxmr_proto_cm_reject){ DAXMR_PROTO_STATUS_ACCESS_DENIED, 1, 2, "" }, pd,
		sizeof(pd)));
	err |= seed_write(argv[4], "reject-v2-only", pd, daxmr_proto_cm_reject_encode(
		&(struct daxmr_proto_cm_reject){ DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, 2, 2, "" },
		pd, sizeof(pd)));
	/* version 4: a reject with its reason */
	err |= seed_write(argv[4], "reject-v4-reason", pd, daxmr_proto_cm_reject_encode(
		&(struct daxmr_proto_cm_reject){ DAXMR_PROTO_STATUS_BUSY, 1, 4,
						 "this address has 4 connections" },
		pd, sizeof(pd)));
	return err ? 1 : 0;
}
