/* SPDX-License-Identifier: BSD-3-Clause */
/* clients.c -- daxmr-e2e-scale: many libdaxmr connections to one daxmrd from one process */
/*
 * Usage: daxmr-e2e-scale SERVER N COPY_DIR GO_FILE BREAK|-
 * Connection i (0 <= i < N) opens export "e<i>" read-write and reads 4 KiB at offset 0, which
 * must equal the bytes of COPY_DIR/e<i> (a copy made before daxmrd started). With all N open it
 * prints "holding N", waits for GO_FILE, then reads 4 KiB at offset 32 KiB on every connection
 * and prints "second read ok". Then it runs every connection's events until connection BREAK is
 * told its export was revoked (the test breaks e<BREAK>'s lease), checks that BREAK's region
 * fails with -ESTALE and that no other connection was revoked, reads once more on all the others
 * and prints "third read ok". BREAK "-": stop after the second read. Exit 0 if all holds, 1
 * otherwise; every wait is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "daxmr.h"

#define SCALE_WAIT_MS 60000
#define SCALE_IO 4096

struct scale_conn {
	struct daxmr_client *client;
	struct daxmr_region *region;
	bool revoked;
	unsigned char copy[2 * SCALE_IO]; /* the file's bytes at offset 0 and at 32 KiB */
};

/* Prints one progress line at once: the test script reads it through a file. */
__attribute__((format(printf, 1, 2))) static void scale_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static long long scale_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void scale_on_revoke(struct daxmr_region *region, const struct daxmr_revoke_info *info,
			    void *arg)
{
	struct scale_conn *c = arg;

	(void)region;
	c->revoked = true;
	scale_say("revoked export=%s generation=%llu reason=%s", info->name,
		  (unsigned long long)info->generation, daxmr_revoke_reason_str(info->reason));
}

/* Reads the copy's two 4 KiB pieces the connection will compare against. */
static int scale_load_copy(const char *dir, size_t i, struct scale_conn *c)
{
	char path[4096];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/e%zu", dir, i);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		scale_say("FAIL: open %s: %s", path, strerror(errno));
		return -1;
	}
	ok = pread(fd, c->copy, SCALE_IO, 0) == SCALE_IO &&
	     pread(fd, c->copy + SCALE_IO, SCALE_IO, 8 * SCALE_IO) == SCALE_IO;
	close(fd);
	if (!ok)
		scale_say("FAIL: short read of %s", path);
	return ok ? 0 : -1;
}

/* One 4 KiB read of piece (0: offset 0, 1: offset 32 KiB), compared with the copy. */
static int scale_read(struct scale_conn *c, size_t i, int piece)
{
	unsigned char buf[SCALE_IO];
	int ret = daxmr_region_read(c->region, piece ? 8 * SCALE_IO : 0, buf, SCALE_IO);

	if (ret) {
		scale_say("FAIL: connection %zu: read of e%zu: %s", i, i, strerror(-ret));
		return -1;
	}
	if (memcmp(buf, c->copy + (piece ? SCALE_IO : 0), SCALE_IO) != 0) {
		scale_say("FAIL: connection %zu: e%zu's bytes differ from its copy", i, i);
		return -1;
	}
	return 0;
}

/* N connections with their libdaxmr fds need more than a soft limit of 1024 fds. */
static void scale_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			scale_say("warning: setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	}
}

/* Runs every connection's events until conns[brk] is revoked; -1 on a timeout or a lost one. */
static int scale_wait_revoke(struct scale_conn *conns, size_t n, size_t brk)
{
	long long end = scale_now_ms() + SCALE_WAIT_MS;
	struct pollfd *pfds = calloc(n, sizeof(*pfds));
	size_t i;
	int ret, rc = -1;

	if (!pfds)
		return -1;
	for (i = 0; i < n; i++)
		pfds[i] =
			(struct pollfd){ .fd = daxmr_client_fd(conns[i].client), .events = POLLIN };
	while (!conns[brk].revoked) {
		long long left = end - scale_now_ms();

		if (left <= 0) {
			scale_say("FAIL: connection %zu got no REVOKE within %d ms", brk,
				  SCALE_WAIT_MS);
			goto out;
		}
		if (poll(pfds, n, (int)left) < 0 && errno != EINTR)
			goto out;
		for (i = 0; i < n; i++) {
			if (!(pfds[i].revents & POLLIN))
				continue;
			ret = daxmr_client_process(conns[i].client);
			if (ret) {
				scale_say("FAIL: connection %zu lost: %s", i, strerror(-ret));
				goto out;
			}
		}
	}
	rc = 0;
out:
	free(pfds);
	return rc;
}

int main(int argc, char **argv)
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	const struct daxmr_callbacks cbs = { .on_revoke = scale_on_revoke };
	struct scale_conn *conns;
	size_t n, brk, i;
	char name[32];
	unsigned char buf[SCALE_IO];
	long long t0, end;
	bool no_break;
	int ret, rc = 1;

	if (argc != 6) {
		fprintf(stderr, "usage: %s SERVER N COPY_DIR GO_FILE BREAK|-\n", argv[0]);
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	no_break = strcmp(argv[5], "-") == 0;
	brk = no_break ? 0 : strtoul(argv[5], NULL, 10);
	if (n == 0 || brk >= n) {
		fprintf(stderr, "N must be positive and BREAK below N\n");
		return 2;
	}
	conns = calloc(n, sizeof(*conns));
	if (!conns)
		return 1;
	scale_raise_nofile();
	opts.timeout_ms = 30000; /* TCG, and one daemon serving N of us */

	t0 = scale_now_ms();
	for (i = 0; i < n; i++) {
		if (scale_load_copy(argv[3], i, &conns[i]))
			goto out;
		ret = daxmr_client_connect(argv[1], &opts, &conns[i].client);
		if (ret) {
			scale_say("FAIL: connection %zu: connect %s: %s", i, argv[1],
				  strerror(-ret));
			goto out;
		}
		daxmr_client_set_callbacks(conns[i].client, &cbs, &conns[i]);
		snprintf(name, sizeof(name), "e%zu", i);
		ret = daxmr_region_open(conns[i].client, name, DAXMR_RW, &conns[i].region);
		if (ret) {
			scale_say("FAIL: connection %zu: open %s: %s", i, name, strerror(-ret));
			goto out;
		}
		if (scale_read(&conns[i], i, 0))
			goto out;
	}
	scale_say("holding %zu connect_open_read_ms=%lld", n, scale_now_ms() - t0);

	for (end = scale_now_ms() + SCALE_WAIT_MS; access(argv[4], F_OK) != 0; usleep(10000)) {
		if (scale_now_ms() > end) {
			scale_say("FAIL: %s did not appear", argv[4]);
			goto out;
		}
	}
	t0 = scale_now_ms();
	for (i = 0; i < n; i++)
		if (scale_read(&conns[i], i, 1))
			goto out;
	scale_say("second read ok %zu ms=%lld", n, scale_now_ms() - t0);
	if (no_break) {
		rc = 0;
		goto out;
	}

	if (scale_wait_revoke(conns, n, brk))
		goto out;
	ret = daxmr_region_read(conns[brk].region, 0, buf, SCALE_IO);
	if (ret != -ESTALE) {
		scale_say("FAIL: read through revoked e%zu returned %d, expected -ESTALE", brk,
			  ret);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (i == brk)
			continue;
		if (conns[i].revoked) {
			scale_say("FAIL: connection %zu (e%zu) was revoked too", i, i);
			goto out;
		}
		if (scale_read(&conns[i], i, i % 2))
			goto out;
	}
	scale_say("third read ok %zu (e%zu revoked, -ESTALE)", n - 1, brk);
	rc = 0;
out:
	for (i = 0; i < n; i++) { /* both NULL-safe */
		daxmr_region_close(&conns[i].region);
		daxmr_client_disconnect(&conns[i].client);
	}
	free(conns);
	return rc;
}
