/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_seed_events.c -- writes seed event sequences (fuzz_events.h) for the stateful targets */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_events.h"

/* Shorthands for the scripts below: each expands to an event byte and its arguments. */
#define CONNECT(v) FUZZ_SRV_CONNECT, (v), 0
#define EST(s) FUZZ_SRV_ESTABLISHED, (s)
#define DISC(s) FUZZ_SRV_DISCONNECTED, (s)
#define WC(s) FUZZ_SRV_SEND_WC, (s), 0
#define WC_ERR(s) FUZZ_SRV_SEND_WC, (s), 9
#define HELLO(s) FUZZ_SRV_MSG, (s), FUZZ_MSG_HELLO, 0, 0
#define AUTH(s) FUZZ_SRV_MSG, (s), FUZZ_MSG_AUTH, 0, 0
/* version 4: C bits 1-2 the identity named, 3-4 the one whose key signs (fuzz_server.c) */
#define AUTH_AS(s, named, signer) \
	FUZZ_SRV_MSG, (s), FUZZ_MSG_AUTH, ((named) << 1 | (signer) << 3), 0
#define LIST(s) FUZZ_SRV_MSG, (s), FUZZ_MSG_LIST, 0, 0
#define OPEN(s, e, rw) FUZZ_SRV_MSG, (s), FUZZ_MSG_OPEN, (e), (rw), 0
#define CLOSE(s, e) FUZZ_SRV_MSG, (s), FUZZ_MSG_CLOSE, (e), 0, 0
#define FLUSH(s, e) FUZZ_SRV_MSG, (s), FUZZ_MSG_FLUSH, (e), 0, 1, 4, 0
#define ACK(s, e) FUZZ_SRV_MSG, (s), FUZZ_MSG_ACK, (e), 0, 0
#define KEYS(s, e, first) FUZZ_SRV_MSG, (s), FUZZ_MSG_KEYS, (e), 0, (first) / 8, 0
#define BREAK(e) FUZZ_SRV_LEASE_BREAK, (e)
#define TICK_MS(ms) FUZZ_SRV_TICK, (uint8_t)((ms) / 10 % 256), (uint8_t)((ms) / 2560)
#define REESTABLISH(e) FUZZ_SRV_ESTABLISH, (e), 0
#define DOWN(e) FUZZ_SRV_ESTABLISH, (e), 3 /* the attempt fails for a reason that stays */
#define SIGTERM FUZZ_SRV_SIGTERM
#define FAIL(call) FUZZ_SRV_FAIL, (call), 0
/* a client through HELLO (and AUTH when keyed) */
#define UP(s) EST(s), HELLO(s), WC(s)
#define UP_AUTH(s) UP(s), AUTH(s), WC(s)

/* setup bytes (fuzz_events.h) */
#define PLAIN 0
#define KEYED 1
#define WINDOWS 2
#define IDS (KEYED | 8) /* a secret and identities tenant-a, tenant-b; export 0 is tenant-a's */
#define SEG3 0x40	/* the first export has 3 segments */
#define SEG1001 0x80	/* ... 1001: more keys than one reply holds */

/* fuzz_client: the application's calls and, while each waits, the server's moves */
#define C_OK FUZZ_CLI_SRV_SEND_WC, 0, FUZZ_CLI_SRV_REPLY /* our SEND completes, the reply */
#define C_WC FUZZ_CLI_SRV_SEND_WC, 0			 /* our SEND or RDMA completes */
#define C_OPEN(slot, rw) FUZZ_CLI_OPEN, (slot), (rw) ? 4 : 0
#define C_READ(slot) FUZZ_CLI_READ, (slot), 0, 0, 64, 0
#define C_WRITE(slot) FUZZ_CLI_WRITE, (slot), 1, 12, 1, 12
#define C_FLUSH(slot) FUZZ_CLI_FLUSH, (slot), 0, 0, 1, 12
#define C_REVOKE FUZZ_CLI_SRV_REVOKE, 0, 0, 1
#define C_AVAILABLE FUZZ_CLI_SRV_AVAILABLE, 0, 0
/* the async path: buffer slot 0 (64 KiB); B of FUZZ_CLI_ASYNC (fuzz_events.h) */
#define C_MEM_REG FUZZ_CLI_MEM_REG, 0, 0
#define C_MEM_DEREG FUZZ_CLI_MEM_DEREG, 0
#define C_ASYNC(slot, b, len_kib) FUZZ_CLI_ASYNC, (slot), (b), 0, 0, 0, (len_kib), 10
#define C_POLL FUZZ_CLI_POLL, 15
#define C_BURST FUZZ_CLI_SRV_SEND_WC_ANY, 7, 0 /* eight completions at once */

struct seed {
	const char *target; /* fuzz_conn, fuzz_revoke, fuzz_client */
	const char *name;
	const uint8_t *bytes;
	size_t len;
};

#define SEED(t, n, ...)                                                                          \
	{                                                                                        \
		t, n, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }) \
	}

static const struct seed seeds[] = {
	/* fuzz_conn: one connection at a time */
	SEED("fuzz_conn", "v1-session", PLAIN, CONNECT(0x11), UP(0), LIST(0), WC(0), OPEN(0, 0, 1),
	     WC(0), FLUSH(0, 0), WC(0), CLOSE(0, 0), WC(0), DISC(0)),
	SEED("fuzz_conn", "v2-auth-revoke", KEYED, CONNECT(0x22), UP_AUTH(0), OPEN(0, 1, 0), WC(0),
	     BREAK(1), WC(0), ACK(0, 1), TICK_MS(1000), REESTABLISH(1), WC(0), OPEN(0, 1, 0), WC(0),
	     SIGTERM, WC(0), ACK(0, 1), DISC(0)),
	SEED("fuzz_conn", "v4-identity-own-export", IDS, CONNECT(0x41), UP(0), AUTH_AS(0, 1, 1),
	     WC(0), LIST(0), WC(0), OPEN(0, 0, 1), WC(0), CLOSE(0, 0), WC(0), DISC(0)),
	SEED("fuzz_conn", "v4-identity-refused", IDS, CONNECT(0x41), UP(0), AUTH_AS(0, 2, 1), WC(0),
	     DISC(0), CONNECT(0x41), UP(0), AUTH_AS(0, 3, 0), WC(0), DISC(0), CONNECT(0x31), UP(0),
	     CONNECT(0x41), UP(0), AUTH_AS(0, 2, 2), WC(0), OPEN(0, 0, 1), WC(0), AUTH_AS(0, 1, 1),
	     WC(0), DISC(0)),
	SEED("fuzz_conn", "windows-revoke", WINDOWS, CONNECT(0x11), UP(0), OPEN(0, 0, 1), WC(0),
	     WC(0), BREAK(0), WC(0), ACK(0, 0), WC(0), TICK_MS(200), REESTABLISH(0), WC(0),
	     OPEN(0, 0, 0), WC(0), WC(0), CLOSE(0, 0), WC(0), WC(0), DISC(0)),
	SEED("fuzz_conn", "ignores-revoke", WINDOWS, CONNECT(0x11), UP(0), OPEN(0, 0, 1), WC(0),
	     WC(0), BREAK(0), WC(0), TICK_MS(1500), REESTABLISH(0), WC(0), FLUSH(0, 0), WC(0)),
	SEED("fuzz_conn", "handshake-timeout", KEYED, CONNECT(0x22), EST(0), HELLO(0), WC(0),
	     TICK_MS(10000), TICK_MS(10000), DISC(0)),
	SEED("fuzz_conn", "send-error", PLAIN, CONNECT(0x11), UP(0), OPEN(0, 0, 1), WC_ERR(0),
	     FUZZ_SRV_QP_FLUSH, 0, DISC(0)),
	SEED("fuzz_conn", "post-fails", WINDOWS, CONNECT(0x11), UP(0), FAIL(5), OPEN(0, 0, 1),
	     FAIL(4), LIST(0), DISC(0)),
	SEED("fuzz_conn", "hostile", PLAIN, CONNECT(0x11), EST(0), FUZZ_SRV_RAW, 0, 24, 'D', 'X',
	     'M', 'R', 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, HELLO(0), WC(0),
	     FUZZ_SRV_MSG, 0, FUZZ_MSG_OPEN, 0, 1, 0x80, 20, 0xff, WC(0)),
	/* version 3: segments, KEYS, reasons, UNAVAILABLE */
	SEED("fuzz_conn", "v3-keys", SEG1001, CONNECT(0x33), UP(0), OPEN(0, 0, 1), WC(0),
	     KEYS(0, 0, 1000), WC(0), KEYS(0, 0, 1008), WC(0), BREAK(0), WC(0), KEYS(0, 0, 0),
	     WC(0), ACK(0, 0), KEYS(0, 0, 0), WC(0), REESTABLISH(0), WC(0), OPEN(0, 0, 0), WC(0)),
	SEED("fuzz_conn", "v3-unavailable", SEG3, CONNECT(0x33), UP(0), OPEN(0, 1, 0), WC(0),
	     BREAK(1), WC(0), ACK(0, 1), DOWN(1), OPEN(0, 1, 0), WC(0), OPEN(0, 0, 1), WC(0)),
	SEED("fuzz_conn", "v2-segmented", SEG3 | WINDOWS, CONNECT(0x22), UP(0), OPEN(0, 0, 1),
	     WC(0), OPEN(0, 1, 1), WC(0), WC(0), KEYS(0, 1, 0), WC(0)),
	/* fuzz_revoke: several connections on one export */
	SEED("fuzz_revoke", "three-holders", WINDOWS, CONNECT(0x11), CONNECT(0x11), CONNECT(0x11),
	     UP(0), UP(1), UP(2), OPEN(0, 0, 1), WC(0), WC(0), OPEN(1, 0, 0), WC(1), WC(1),
	     OPEN(2, 0, 1), WC(2), WC(2), BREAK(0), WC(0), WC(1), WC(2), ACK(0, 0), WC(0),
	     CLOSE(1, 0), WC(1), WC(1), DISC(2), TICK_MS(100), REESTABLISH(0), WC(0), WC(1)),
	SEED("fuzz_revoke", "one-silent", PLAIN, CONNECT(0x11), CONNECT(0x11), UP(0), UP(1),
	     OPEN(0, 0, 1), WC(0), OPEN(1, 0, 1), WC(1), BREAK(0), WC(0), WC(1), ACK(0, 0),
	     TICK_MS(1000), REESTABLISH(0), WC(0), WC(1), OPEN(1, 0, 1), WC(1)),
	SEED("fuzz_revoke", "shutdown", KEYED, CONNECT(0x22), CONNECT(0x22), UP_AUTH(0), UP_AUTH(1),
	     OPEN(0, 0, 1), WC(0), OPEN(1, 1, 0), WC(1), SIGTERM, WC(0), WC(1), ACK(0, 0),
	     ACK(1, 1), WC(0), WC(1), DISC(0), DISC(1)),
	SEED("fuzz_revoke", "v3-segments", SEG1001 | 0x40, CONNECT(0x33), CONNECT(0x13), UP(0),
	     UP(1), OPEN(0, 0, 1), WC(0), OPEN(1, 1, 0), WC(1), KEYS(0, 0, 8), WC(0), BREAK(0),
	     BREAK(1), WC(0), WC(1), KEYS(0, 0, 16), WC(0), ACK(0, 0), ACK(1, 1), DOWN(0),
	     OPEN(0, 0, 0), WC(0), REESTABLISH(1), WC(1)),
	SEED("fuzz_revoke", "watchdog", WINDOWS, CONNECT(0x11), CONNECT(0x11), UP(0), UP(1),
	     OPEN(0, 0, 1), WC(0), WC(0), OPEN(1, 0, 1), WC(1), WC(1), BREAK(0), TICK_MS(1250),
	     WC(0), WC(1), ACK(0, 0), ACK(1, 0), REESTABLISH(0)),
	/* fuzz_client: a connection of each kind */
	SEED("fuzz_client", "session", 0x00, C_OK, FUZZ_CLI_LIST, C_OK, C_OPEN(0, 1), C_OK,
	     C_READ(0), C_WC, C_WRITE(0), C_WC, C_FLUSH(0), C_OK, FUZZ_CLI_CLOSE, 0, C_OK),
	SEED("fuzz_client", "revoke-available", 0x01, C_OK, C_OPEN(0, 1), C_OK, FUZZ_CLI_SERVER,
	     C_REVOKE, FUZZ_CLI_PROCESS, C_WC, FUZZ_CLI_SERVER, C_AVAILABLE, FUZZ_CLI_PROCESS, C_WC,
	     FUZZ_CLI_CLOSE, 0, C_OPEN(0, 0), C_OK, C_READ(0), C_WC),
	SEED("fuzz_client", "revoke-during-read", 0x00, C_OK, C_OPEN(1, 1), C_OK, C_READ(1),
	     C_REVOKE, C_WC, C_WC, FUZZ_CLI_PROCESS, C_WC, C_READ(1)),
	SEED("fuzz_client", "no-ack", 0x40, C_OK, C_OPEN(0, 0), C_OK, FUZZ_CLI_SERVER, C_REVOKE,
	     FUZZ_CLI_PROCESS, FUZZ_CLI_CLOSE, 0),
	SEED("fuzz_client", "server-dies", 0x04, C_OK, C_OPEN(0, 1), C_OK, C_WRITE(0),
	     FUZZ_CLI_SRV_DISCONNECT, FUZZ_CLI_PROCESS, C_READ(0)),
	SEED("fuzz_client", "refused-and-wrong", 0x01, C_OK, C_OPEN(0, 1), C_WC,
	     FUZZ_CLI_SRV_REFUSE, 8, C_OPEN(0, 1), C_WC, FUZZ_CLI_SRV_WRONG, 1),
	SEED("fuzz_client", "rejected", 0x10),
	SEED("fuzz_client", "auth", 0x83, C_OK, C_OK, C_OPEN(0, 1), C_OK, C_READ(0), C_WC),
	SEED("fuzz_client", "auth-unasked", 0x81, C_OK),
	/* the async path, version 3 (setup bit 0: exp1 in four segments) */
	SEED("fuzz_client", "async-v3-segments", 0x01, C_OK, C_OPEN(1, 1), C_OK, C_MEM_REG,
	     C_ASYNC(1, 0, 32), C_ASYNC(1, 1, 16), C_ASYNC(1, 2, 0), C_ASYNC(1, 3, 0),
	     FUZZ_CLI_SERVER, C_BURST, FUZZ_CLI_SERVER, C_BURST, C_POLL, C_MEM_DEREG),
	SEED("fuzz_client", "async-more-revoke", 0x01, C_OK, C_OPEN(0, 1), C_OK, C_MEM_REG,
	     C_ASYNC(0, 0x08, 4), C_ASYNC(0, 0x0d, 4), FUZZ_CLI_SERVER, C_REVOKE, FUZZ_CLI_PROCESS,
	     C_WC, FUZZ_CLI_SUBMIT, C_POLL, C_ASYNC(0, 0, 4), C_MEM_DEREG),
	SEED("fuzz_client", "async-full-queue", 0x01, C_OK, C_OPEN(0, 1), C_OK, C_MEM_REG,
	     C_ASYNC(0, 0, 4), C_ASYNC(0, 0, 4), C_ASYNC(0, 0, 4), C_ASYNC(0, 0, 4),
	     C_ASYNC(0, 0, 4), C_MEM_DEREG, FUZZ_CLI_SERVER, C_WC, C_POLL, C_MEM_DEREG),
	/* regressions (found by fuzz_client): F_MORE ops posted after the REVOKE; the ACK of a
	 * descriptor two regions hold sent when the first drained */
	SEED("fuzz_client", "regress-more-after-revoke", 0x00, 0x00, 0x09, 0x7a, 0x00, 0x01, 0x07,
	     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x2c, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x00,
	     0x07, 0x00, 0x00, 0xd8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	     0x00, 0x00, 0x00, 0x00, 0x00, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0x00, 0x05,
	     0x07, 0x00, 0x06, 0x78, 0x04, 0x00, 0x00, 0x20, 0x00, 0x04, 0x00, 0x00, 0x04, 0x00,
	     0x04, 0x00, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0x00, 0x00, 0x20, 0x00, 0x40),
	SEED("fuzz_client", "regress-two-regions-available", 0x00, 0x00, 0x00, 0x01, 0x0c, 0x00,
	     0x00, 0x07, 0x00, 0x00, 0xd8, 0x00, 0x00, 0xcd, 0xcd, 0xcd, 0x04, 0xcd, 0x00, 0xcd,
	     0xcd, 0xcd, 0x07, 0x00, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0x7a, 0x04, 0x00, 0x00, 0x05,
	     0x05),
	SEED("fuzz_client", "regress-two-regions-ack", 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
	     0x07, 0x00, 0x00, 0xd8, 0x00, 0x00, 0xcd, 0x07, 0x00, 0x00, 0x05, 0x00, 0xcd, 0x07,
	     0x01, 0x04, 0xb1, 0xb1, 0xb1, 0x04, 0x04),
	/*
	 * regression (found by fuzz_client): a copying read waits for room on the ring and takes
	 * a REVOKE meanwhile; it must not post its chunk on the revoked region
	 */
	SEED("fuzz_client", "regress-revoke-while-waiting", 0x40, 0x07, 0x00, 0x00, 0x00, 0x1f,
	     0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x07, 0x04, 0x54, 0x54, 0x54, 0x54,
	     0x09, 0x41, 0x00, 0x00, 0x89, 0x89, 0x89, 0x89, 0x89, 0x89, 0x00, 0x00, 0x00, 0x00,
	     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x54, 0x04, 0x04, 0x01, 0x00, 0x00, 0x00, 0x04,
	     0x07, 0x00, 0x00, 0x00, 0x01, 0x06, 0x04, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
	     0x00, 0x00, 0x07, 0x04, 0x54, 0x54, 0x54, 0x54, 0x80, 0x9b, 0xdc, 0x75, 0xff, 0x7f,
	     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x54, 0x04, 0x04, 0x01, 0x00, 0x00, 0x00,
	     0x04, 0x07, 0x00, 0x00, 0x00),
};

/* Writes one seed to dir/seed-<name>; 0 or -1 after saying why. */
static int seed_events_write(const char *dir, const struct seed *s)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, s->name);
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "fuzz_seed_events: fopen %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fwrite(s->bytes, 1, s->len, f) == s->len;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* Writes the seeds of each target into CORPUS/<target>. */
int main(int argc, char **argv)
{
	char dir[4096];
	size_t i;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr,
			"usage: fuzz_seed_events CORPUS_DIR (seeds go to CORPUS_DIR/<target>)\n");
		return 2;
	}
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", argv[1], seeds[i].target);
		err |= seed_events_write(dir, &seeds[i]);
	}
	return err ? 1 : 0;
}
