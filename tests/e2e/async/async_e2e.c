/* SPDX-License-Identifier: BSD-3-Clause */
/* async_e2e.c -- daxmr-e2e-async: libdaxmr's zero-copy path against a real daxmrd */
/*
 * Usage: daxmr-e2e-async [--keep-posting] [--no-stream] [--base OFF] SERVER EXPORT BLOCKS MAP_FILE
 *
 * Opens EXPORT read-write (its first BLOCKS x 4 KiB are used) with queue depth 256 and
 * registers one buffer; every operation is zero-copy (daxmr_region_*_async). Then:
 *  1. round trip: BLOCKS / 2 writes of 4 KiB, all in flight at once where the queue allows,
 *     and one write of the other half (many pieces, split at max_wr_bytes and at a segment
 *     boundary if one is there), then BLOCKS reads into another part of the buffer, compared
 *     (byte i of the range is (i * 131 + i / 4096) mod 256: the test checks it through the
 *     file or device);
 *  2. atomics, if the descriptor allows them: 1000 fetch-and-adds of 1 and a compare-and-swap
 *     on the 8 bytes at offset 0, leaving 4242 there (the test reads it through the file);
 *  3. revocation under load: keeps the queue full of 4 KiB writes, write number s filling
 *     block 1 + s % (BLOCKS - 1) with the 8-byte word s, and prints "streaming" once 2000 are done;
 * the test breaks the lease. From the REVOKE on, new writes fail with -ESTALE; the ones already
 *     posted must all complete successfully (the REVOKE_ACK goes only after them, so the
 *     server's fence never hits one). Prints how many were in flight when the first -ESTALE
 *     came and writes MAP_FILE: one line per block, the last write that completed on it (what
 *     the file must hold there).
 * --keep-posting: a client that never acknowledges and keeps writing through the revoked key
 * (libdaxmr's fault-test options ack_revoke 0, use_revoked 1): it must not hold the server past
 * its ack budget, and its writes must start failing once the server has released the export.
 * --base OFF moves all of it OFF bytes into the export; --no-stream leaves phase 3 out.
 * Exit 0 if all holds, 1 otherwise (with a line saying what failed).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daxmr.h"

#define ASYNC_BLOCK 4096u
#define ASYNC_DEPTH 256u
#define ASYNC_STREAM_REPORT 2000u
#define ASYNC_WAIT_MS 60000
#define ASYNC_ATOMIC_OFF 0 /* block 0's first word: the stream starts after the atomics */

/* --base OFF: every remote offset below is OFF further into the export (a segment boundary). */
static uint64_t async_base;
/* --no-stream: no phase 3 (an export that cannot be lease-broken: devdax). */
static bool async_no_stream;

/* Prints one progress line at once: the test script reads it through a file. */
__attribute__((format(printf, 1, 2))) static void async_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Milliseconds of CLOCK_MONOTONIC. */
static int64_t async_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Collects completions until none is in flight (or the wait ends): how many failed. */
static int async_drain(struct daxmr_client *client,
		       void (*on_done)(const struct daxmr_completion *, void *), void *arg)
{
	struct daxmr_completion done[64];
	int64_t deadline = async_now_ms() + ASYNC_WAIT_MS;
	int n, i, failed = 0;

	while (daxmr_client_inflight(client) && async_now_ms() < deadline) {
		n = daxmr_client_poll(client, done, 64);
		if (n < 0) {
			async_say("FAIL: poll: %s", strerror(-n));
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (done[i].status) {
				failed++;
				async_say("FAIL: operation %p: %s", done[i].op_ctx,
					  strerror(-done[i].status));
			}
			if (on_done)
				on_done(&done[i], arg);
		}
		if (!n)
			(void)daxmr_client_wait(client, 100);
	}
	if (daxmr_client_inflight(client)) {
		async_say("FAIL: %u operations still in flight after %d ms",
			  daxmr_client_inflight(client), ASYNC_WAIT_MS);
		return -1;
	}
	return failed;
}

/* Posts an operation, polling while the queue is full. 0 or the post's error. */
static int async_post(struct daxmr_client *client, struct daxmr_region *region,
		      struct daxmr_mem *mem, bool write, size_t local_off, uint64_t remote_off,
		      void *ctx)
{
	struct daxmr_completion done[64];
	int ret, n, i;

	for (;;) {
		ret = write ? daxmr_region_write_async(region, mem, local_off, remote_off,
						       ASYNC_BLOCK, ctx, 0) :
			      daxmr_region_read_async(region, mem, local_off, remote_off,
						      ASYNC_BLOCK, ctx, 0);
		if (ret != -EAGAIN)
			return ret;
		n = daxmr_client_poll(client, done, 64);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++)
			if (done[i].status)
				return done[i].status;
	}
}

/* Phase 1: BLOCKS writes then BLOCKS reads, many in flight; the bytes compared. */
static int async_roundtrip(struct daxmr_client *client, struct daxmr_region *region,
			   struct daxmr_mem *mem, uint8_t *buf, uint32_t blocks)
{
	size_t half = (size_t)blocks * ASYNC_BLOCK, i;
	uint32_t b;
	int ret;

	for (i = 0; i < half; i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 12));
	memset(buf + half, 0, half);
	/* the first half block by block, the second half in one operation of many pieces */
	for (b = 0; b < blocks / 2; b++) {
		ret = async_post(client, region, mem, true, (size_t)b * ASYNC_BLOCK,
				 async_base + (uint64_t)b * ASYNC_BLOCK, NULL);
		if (ret) {
			async_say("FAIL: write_async block %u: %s", b, strerror(-ret));
			return 1;
		}
	}
	do
		ret = daxmr_region_write_async(region, mem, half / 2, async_base + half / 2,
					       half - half / 2, NULL, 0);
	while (ret == -EAGAIN && async_drain(client, NULL, NULL) == 0);
	if (ret) {
		async_say("FAIL: write_async of %zu bytes: %s", half - half / 2, strerror(-ret));
		return 1;
	}
	if (async_drain(client, NULL, NULL))
		return 1;
	for (b = 0; b < blocks; b++) {
		ret = async_post(client, region, mem, false, half + (size_t)b * ASYNC_BLOCK,
				 async_base + (uint64_t)b * ASYNC_BLOCK, NULL);
		if (ret) {
			async_say("FAIL: read_async block %u: %s", b, strerror(-ret));
			return 1;
		}
	}
	if (async_drain(client, NULL, NULL))
		return 1;
	if (memcmp(buf, buf + half, half)) {
		async_say("FAIL: what was read back differs from what was written");
		return 1;
	}
	async_say("ok: %u writes of 4 KiB and one of %zu bytes, %u reads of 4 KiB at offset %llu, "
		  "zero-copy, read back equal",
		  blocks / 2, half - half / 2, blocks, (unsigned long long)async_base);
	return 0;
}

/* Phase 2: 1000 FAAs of 1 from 0, then a CAS 1000 -> 4242 (read back through the file). */
static int async_atomics(struct daxmr_client *client, struct daxmr_region *region,
			 struct daxmr_mem *mem, uint64_t *word)
{
	uint64_t old = 1;
	int i, ret;

	if (!daxmr_region_desc(region)->atomic) {
		async_say("ok: the descriptor does not allow atomics: %s",
			  strerror(-daxmr_region_faa(region, 0, 1, NULL)));
		return 0;
	}
	ret = daxmr_region_cas(region, async_base + ASYNC_ATOMIC_OFF, *(uint64_t *)(void *)word, 0,
			       &old);
	if (ret) {
		async_say("FAIL: cas to 0: %s", strerror(-ret));
		return 1;
	}
	for (i = 0; i < 1000; i++) {
		ret = daxmr_region_faa_async(region, mem, 0, async_base + ASYNC_ATOMIC_OFF, 1, NULL,
					     DAXMR_OP_F_ON_ERROR);
		if (ret == -EAGAIN) {
			if (async_drain(client, NULL, NULL))
				return 1;
			i--;
			continue;
		}
		if (ret) {
			async_say("FAIL: faa_async: %s", strerror(-ret));
			return 1;
		}
	}
	if (async_drain(client, NULL, NULL))
		return 1;
	ret = daxmr_region_cas(region, async_base + ASYNC_ATOMIC_OFF, 1000, 4242, &old);
	if (ret || old != 1000) {
		async_say("FAIL: cas 1000 -> 4242: %s, found %llu", strerror(-ret),
			  (unsigned long long)old);
		return 1;
	}
	async_say("ok: atomics: 1000 fetch-and-adds then a compare-and-swap found 1000");
	return 0;
}

/* The stream's state: which write last completed on each block. */
struct async_stream {
	uint64_t *last; /* per block: the last write that completed there (0: none) */
	uint32_t blocks;
	uint64_t completed;
	int failed;
	int first_error;       /* the first failed write's status */
	uint64_t after_revoke; /* --keep-posting: writes posted once the REVOKE was in */
};

/* --keep-posting: ignore REVOKE (ack_revoke 0, use_revoked 1) and keep writing. */
static bool async_keep;

/* --keep-posting's end: the server's fence stopped us; say how. */
static int async_fenced(struct async_stream *st, int err)
{
	async_say("ok: fenced: %llu writes posted after the REVOKE, then writes failed (%s; "
		  "connection: %s)",
		  (unsigned long long)st->after_revoke, strerror(-st->first_error), strerror(-err));
	free(st->last);
	return 0;
}

/* The block stream write seq fills: 1 .. blocks - 1 (block 0 holds the atomics' word). */
static uint64_t async_block_of(uint64_t seq, uint32_t blocks)
{
	return 1 + seq % (blocks - 1);
}

/* A stream write's completion: op_ctx is its sequence number. */
static void async_stream_done(const struct daxmr_completion *c, void *arg)
{
	struct async_stream *st = arg;
	uint64_t seq = (uint64_t)(uintptr_t)c->op_ctx;

	if (c->status) {
		if (!st->failed++)
			st->first_error = c->status;
		return;
	}
	st->completed++;
	/* completions come in posting order: the later write to a block is the later one */
	st->last[async_block_of(seq, st->blocks)] = seq;
}

/* Fills the stream's slot for seq with the 8-byte word seq, repeated. */
static void async_fill(uint64_t *words, uint64_t seq)
{
	size_t i;

	for (i = 0; i < ASYNC_BLOCK / 8; i++)
		words[i] = seq;
}

/* Phase 3: writes until the REVOKE; everything posted must complete well. */
static int async_stream(struct daxmr_client *client, struct daxmr_region *region,
			struct daxmr_mem *mem, uint8_t *buf, uint32_t blocks, const char *map)
{
	struct async_stream st = { .blocks = blocks };
	struct daxmr_completion done[64];
	int64_t deadline = async_now_ms() + ASYNC_WAIT_MS;
	uint64_t seq = 1;
	unsigned int at_revoke = 0;
	bool said = false;
	FILE *f;
	int ret, n, i;
	uint32_t b;

	st.last = calloc(blocks, sizeof(*st.last));
	if (!st.last)
		return 1;
	for (;;) {
		/*
		 * Fewer than DEPTH unreported: of the last DEPTH writes one has finished, so (they
		 * finish in order) the oldest has, and its buffer slot, seq's, is free to refill.
		 */
		ret = -EAGAIN;
		if (daxmr_client_inflight(client) < ASYNC_DEPTH) {
			async_fill((uint64_t *)(void *)(buf + (seq % ASYNC_DEPTH) * ASYNC_BLOCK),
				   seq);
			ret = daxmr_region_write_async(
				region, mem, (seq % ASYNC_DEPTH) * ASYNC_BLOCK,
				async_base + async_block_of(seq, blocks) * ASYNC_BLOCK, ASYNC_BLOCK,
				(void *)(uintptr_t)seq, 0);
		}
		if (!ret) {
			if (async_keep && daxmr_region_is_revoked(region))
				st.after_revoke++;
			seq++;
			continue;
		}
		if (ret == -ESTALE)
			break;
		if (async_keep && ret == -ENOTCONN && daxmr_region_is_revoked(region)) {
			/* the connection died under us: collect what the failed writes said */
			while ((n = daxmr_client_poll(client, done, 64)) > 0)
				for (i = 0; i < n; i++)
					async_stream_done(&done[i], &st);
			if (st.failed)
				return async_fenced(&st, ret);
		}
		if (ret != -EAGAIN) {
			async_say("FAIL: write_async %llu: %s", (unsigned long long)seq,
				  strerror(-ret));
			return 1;
		}
		n = daxmr_client_poll(client, done, 64);
		if (n < 0 && async_keep && st.failed && daxmr_region_is_revoked(region))
			return async_fenced(&st, n);
		if (n < 0) {
			async_say("FAIL: poll: %s", strerror(-n));
			return 1;
		}
		for (i = 0; i < n; i++)
			async_stream_done(&done[i], &st);
		if (st.failed && !daxmr_region_is_revoked(region)) {
			async_say("FAIL: a write failed before any revocation");
			return 1;
		}
		if (!said && st.completed >= ASYNC_STREAM_REPORT) {
			async_say("streaming");
			said = true;
		}
		if (async_now_ms() > deadline) {
			async_say("FAIL: no revocation within %d ms", ASYNC_WAIT_MS);
			return 1;
		}
	}
	at_revoke = daxmr_client_inflight(client);
	if (async_keep) {
		/* released (AVAILABLE) before we saw a failure: the writes in flight must fail */
		while (daxmr_client_inflight(client) && async_now_ms() < deadline)
			if ((n = daxmr_client_poll(client, done, 64)) > 0)
				for (i = 0; i < n; i++)
					async_stream_done(&done[i], &st);
		if (st.failed)
			return async_fenced(&st, -ESTALE);
		async_say("FAIL: the region was released and no write through the old key failed");
		return 1;
	}
	if (async_drain(client, async_stream_done, &st) || st.failed) {
		async_say("FAIL: %d writes posted before the REVOKE failed", st.failed);
		return 1;
	}
	(void)daxmr_client_process(client);
	async_say("ok: revoked with %u writes in flight; all %llu completed, none failed",
		  at_revoke, (unsigned long long)st.completed);
	f = fopen(map, "w");
	if (!f)
		return 1;
	for (b = 1; b < blocks; b++)
		fprintf(f, "%u %llu\n", b, (unsigned long long)st.last[b]);
	free(st.last);
	return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	struct daxmr_client *client = NULL;
	struct daxmr_region *region = NULL;
	struct daxmr_mem *mem = NULL;
	uint32_t blocks;
	size_t len;
	uint8_t *buf;
	int ret, rc = 1;

	for (; argc > 1 && !strncmp(argv[1], "--", 2); argc--, argv++) {
		if (!strcmp(argv[1], "--keep-posting")) {
			async_keep = true;
		} else if (!strcmp(argv[1], "--no-stream")) {
			async_no_stream = true;
		} else if (!strcmp(argv[1], "--base") && argc > 2) {
			async_base = strtoull(argv[2], NULL, 0);
			argc--;
			argv++;
		} else {
			break;
		}
	}
	if (argc != 5 || atoi(argv[3]) < 16) {
		fprintf(stderr,
			"usage: daxmr-e2e-async [--keep-posting] [--no-stream] [--base OFF] "
			"SERVER EXPORT BLOCKS(>=16) MAP_FILE\n");
		return 2;
	}
	blocks = (uint32_t)atoi(argv[3]);
	len = (size_t)2 * blocks * ASYNC_BLOCK;
	if (len < (size_t)ASYNC_DEPTH * ASYNC_BLOCK)
		len = (size_t)ASYNC_DEPTH * ASYNC_BLOCK;
	buf = aligned_alloc(4096, len);
	if (!buf)
		return 1;
	opts.queue_depth = ASYNC_DEPTH;
	opts.ack_revoke = !async_keep;
	opts.use_revoked = async_keep;
	ret = daxmr_client_connect(argv[1], &opts, &client);
	if (!ret)
		ret = daxmr_region_open(client, argv[2], DAXMR_RW, &region);
	if (!ret)
		ret = daxmr_mem_reg(client, buf, len, &mem);
	if (ret) {
		async_say("FAIL: connect/open/register: %s", strerror(-ret));
		goto out;
	}
	async_say("opened export=%s generation=%llu protocol=%u segments=%u atomic=%d", argv[2],
		  (unsigned long long)daxmr_region_desc(region)->generation,
		  daxmr_client_protocol_version(client), daxmr_region_desc(region)->nseg,
		  daxmr_region_desc(region)->atomic);
	if (async_roundtrip(client, region, mem, buf, blocks) ||
	    async_atomics(client, region, mem, (uint64_t *)(void *)buf) ||
	    (!async_no_stream && async_stream(client, region, mem, buf, blocks, argv[4])))
		goto out;
	rc = 0;
out:
	ret = daxmr_mem_dereg(&mem);
	if (ret)
		async_say("FAIL: dereg: %s", strerror(-ret));
	daxmr_region_close(&region);
	daxmr_client_disconnect(&client);
	free(buf);
	return ret ? 1 : rc;
}
