/* SPDX-License-Identifier: BSD-3-Clause */
/* async_write.c -- example: write a file into an export with libdaxmr's asynchronous path */
/*
 * Usage: async_write SERVER EXPORT OFFSET IN
 *
 * Connects to daxmrd at SERVER, opens EXPORT read-write and writes the bytes of the file IN at
 * OFFSET straight from one registered buffer (no copy in the library): 64 KiB writes, as many
 * in flight as the queue takes. Once every write is posted it sends one asynchronous FLUSH of
 * the whole range: the FLUSH follows the writes on the connection, so it covers all of them,
 * and its completion (collected like the writes') says the bytes are persistent. Prints the
 * bytes written and the time to persistence.
 *
 * Build against an installed libdaxmr:  cc async_write.c $(pkg-config --cflags --libs daxmr)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <daxmr.h>

#define PIECE (64u << 10)
#define FLUSH_CTX ((void *)(uintptr_t)UINT64_MAX) /* no write has this offset */

/* Seconds since an arbitrary start. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Collects completions until none is outstanding; 0, or the first failure's status. */
static int collect(struct daxmr_client *client, int *flushed)
{
	struct daxmr_completion done[32];
	int n, i, ret;

	n = daxmr_client_poll(client, done, 32);
	if (n < 0)
		return n;
	if (n == 0) {
		/* nothing finished yet: sleep on the client's fd instead of spinning */
		ret = daxmr_client_wait(client, 1000);
		return ret == -ETIMEDOUT ? 0 : ret;
	}
	for (i = 0; i < n; i++) {
		if (done[i].status) {
			fprintf(stderr, "%s failed: %s\n",
				done[i].op == DAXMR_OP_FLUSH ? "flush" : "write",
				strerror(-done[i].status));
			return done[i].status;
		}
		if (done[i].op == DAXMR_OP_FLUSH && done[i].op_ctx == FLUSH_CTX)
			*flushed = 1;
	}
	return 0;
}

/* Writes [0, len) of mem at off of region, then flushes it; returns once it is persistent. */
static int write_all(struct daxmr_client *client, struct daxmr_region *region,
		     struct daxmr_mem *mem, uint64_t off, size_t len)
{
	size_t next = 0;
	int flushed = 0, posted_flush = 0, ret;

	while (!flushed) {
		/* post until the queue is full (-EAGAIN) or everything is posted */
		while (next < len) {
			size_t piece = len - next < PIECE ? len - next : PIECE;

			/* only failures are reported: the flush's completion is the one we want */
			ret = daxmr_region_write_async(region, mem, next, off + next, piece,
						       (void *)(uintptr_t)next,
						       DAXMR_OP_F_ON_ERROR);
			if (ret == -EAGAIN)
				break;
			if (ret) {
				fprintf(stderr, "write_async at %zu: %s\n", next, strerror(-ret));
				return ret;
			}
			next += piece;
		}
		if (next == len && !posted_flush) {
			/* covers every write posted before it, completed or not */
			ret = daxmr_region_flush_async(region, off, len, FLUSH_CTX, 0);
			if (ret && ret != -EAGAIN) {
				fprintf(stderr, "flush_async: %s\n", strerror(-ret));
				return ret;
			}
			posted_flush = ret == 0;
		}
		ret = collect(client, &flushed);
		if (ret)
			return ret;
	}
	return 0;
}

/* The whole of path in a malloc'd buffer, its size in *len_ptr; NULL if it cannot be read. */
static uint8_t *slurp(const char *path, size_t *len_ptr)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len_ptr = (size_t)n;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct daxmr_client *client = NULL;
	struct daxmr_region *region = NULL;
	struct daxmr_mem *mem = NULL;
	uint8_t *buf;
	uint64_t off;
	size_t len = 0;
	double t0, dt;
	int ret;

	if (argc != 5) {
		fprintf(stderr, "usage: %s SERVER EXPORT OFFSET IN\n", argv[0]);
		return 2;
	}
	off = strtoull(argv[3], NULL, 0);
	buf = slurp(argv[4], &len);
	if (!buf) {
		fprintf(stderr, "%s: cannot read it (or it is empty)\n", argv[4]);
		return 1;
	}
	ret = daxmr_client_connect(argv[1], NULL, &client);
	if (ret) {
		fprintf(stderr, "connect %s: %s\n", argv[1], strerror(-ret));
		free(buf);
		return 1;
	}
	ret = daxmr_region_open(client, argv[2], DAXMR_RW, &region);
	if (ret) {
		fprintf(stderr, "open %s: %s %s\n", argv[2], strerror(-ret),
			daxmr_client_last_reason(client));
		goto out;
	}
	ret = daxmr_mem_reg(client, buf, len, &mem);
	if (ret) {
		fprintf(stderr, "register %zu bytes: %s\n", len, strerror(-ret));
		goto out;
	}
	t0 = now();
	ret = write_all(client, region, mem, off, len);
	dt = now() - t0;
	if (!ret)
		printf("%s: %zu bytes written at %llu and flushed in %.3f s\n", argv[2], len,
		       (unsigned long long)off, dt);
out:
	daxmr_mem_dereg(&mem);
	daxmr_region_close(&region);
	daxmr_client_disconnect(&client);
	free(buf);
	return ret ? 1 : 0;
}
