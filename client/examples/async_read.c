/* SPDX-License-Identifier: BSD-3-Clause */
/* async_read.c -- example: read a whole export with libdaxmr's zero-copy asynchronous path */
/*
 * Usage: async_read SERVER EXPORT [OUT]
 *
 * Connects to daxmrd at SERVER, opens EXPORT read-only and reads all of it straight into one
 * registered buffer (no copy in the library): 64 KiB reads, up to the queue depth (128) of
 * them in flight, each completion handed back with the op_ctx it was posted with. Prints the
 * bytes read, the time it took and a checksum; with OUT, writes the bytes there too. An
 * event loop would watch daxmr_client_fd() instead of calling daxmr_client_wait().
 *
 * Build against an installed libdaxmr:  cc async_read.c $(pkg-config --cflags --libs daxmr)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <daxmr.h>

#define PIECE (64u << 10)

/* FNV-1a over the buffer: something to compare with a checksum of the file itself. */
static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

/* Seconds since an arbitrary start. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads [0, len) of region into buf (registered as mem): post while there is room, collect. */
static int read_all(struct daxmr_client *client, struct daxmr_region *region, struct daxmr_mem *mem,
		    uint64_t len)
{
	struct daxmr_completion done[32];
	uint64_t next = 0, finished = 0;
	int n, i, ret;

	while (finished < len) {
		/* post until the queue is full (-EAGAIN) or everything is posted */
		while (next < len) {
			size_t piece = len - next < PIECE ? (size_t)(len - next) : PIECE;

			/* op_ctx carries the offset: the completion says which piece it was */
			ret = daxmr_region_read_async(region, mem, (size_t)next, next, piece,
						      (void *)(uintptr_t)next, 0);
			if (ret == -EAGAIN)
				break;
			if (ret) {
				fprintf(stderr, "read_async at %llu: %s\n",
					(unsigned long long)next, strerror(-ret));
				return ret;
			}
			next += piece;
		}
		n = daxmr_client_poll(client, done, 32);
		if (n < 0)
			return n;
		if (n == 0) {
			/* nothing finished yet: sleep on the client's fd instead of spinning */
			ret = daxmr_client_wait(client, 1000);
			if (ret && ret != -ETIMEDOUT)
				return ret;
			continue;
		}
		for (i = 0; i < n; i++) {
			if (done[i].status) {
				fprintf(stderr, "read at %llu failed: %s\n",
					(unsigned long long)(uintptr_t)done[i].op_ctx,
					strerror(-done[i].status));
				return done[i].status;
			}
			finished += done[i].len;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daxmr_client *client = NULL;
	struct daxmr_region *region = NULL;
	struct daxmr_mem *mem = NULL;
	uint8_t *buf = NULL;
	uint64_t len;
	double t0, dt;
	FILE *out;
	int ret;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s SERVER EXPORT [OUT]\n", argv[0]);
		return 2;
	}
	ret = daxmr_client_connect(argv[1], NULL, &client);
	if (ret) {
		fprintf(stderr, "connect %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	ret = daxmr_region_open(client, argv[2], DAXMR_RO, &region);
	if (ret) {
		fprintf(stderr, "open %s: %s %s\n", argv[2], strerror(-ret),
			daxmr_client_last_reason(client));
		goto out;
	}
	len = daxmr_region_desc(region)->length;
	buf = malloc(len ? (size_t)len : 1);
	ret = buf ? daxmr_mem_reg(client, buf, len ? (size_t)len : 1, &mem) : -ENOMEM;
	if (ret) {
		fprintf(stderr, "register %llu bytes: %s\n", (unsigned long long)len,
			strerror(-ret));
		goto out;
	}
	t0 = now();
	ret = read_all(client, region, mem, len);
	dt = now() - t0;
	if (ret)
		goto out;
	printf("%s: %llu bytes in %.3f s (%.1f MiB/s), %u segment(s), checksum %016llx\n", argv[2],
	       (unsigned long long)len, dt, (double)len / (1 << 20) / (dt > 0 ? dt : 1),
	       daxmr_region_desc(region)->nseg, (unsigned long long)checksum(buf, (size_t)len));
	if (argc == 4) {
		out = fopen(argv[3], "wb");
		if (!out || fwrite(buf, 1, (size_t)len, out) != len || fclose(out)) {
			fprintf(stderr, "%s: cannot write\n", argv[3]);
			ret = -EIO;
		}
	}
out:
	daxmr_mem_dereg(&mem);
	daxmr_region_close(&region);
	daxmr_client_disconnect(&client);
	free(buf);
	return ret ? 1 : 0;
}
