/* SPDX-License-Identifier: BSD-3-Clause */
/* quitter.c -- daxmr-e2e-quitter: a client that leaves instead of acknowledging a revocation */
/*
 * Usage: daxmr-e2e-quitter exit|disconnect SERVER EXPORT
 * Connects with ack_revoke off, opens EXPORT read-write and prints "holding export=NAME
 * generation=G". On REVOKE it prints "revoked export=NAME generation=G" and, without
 * acknowledging, leaves:
 *   exit        _exit(0) at once: the kernel tears the connection down (rdma_cm DREQ)
 *   disconnect  daxmr_client_disconnect(): rdma_disconnect, no CLOSE, no REVOKE_ACK
 * daxmrd must count the disconnect as the acknowledgement and release without waiting for its
 * ack budget. Exit 0 after leaving, 1 if no REVOKE came within 30 s or something failed.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daxmr.h"

#define QUITTER_WAIT_MS 30000

/* Prints one progress line at once: the test script reads it through a file. */
__attribute__((format(printf, 1, 2))) static void quitter_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* on_revoke: says so; the caller leaves once the callback returned. */
static void quitter_on_revoke(struct daxmr_region *region, const struct daxmr_revoke_info *info,
			      void *arg)
{
	bool *revoked = arg;

	(void)region;
	*revoked = true;
	quitter_say("revoked export=%s generation=%llu", info->name,
		    (unsigned long long)info->generation);
}

/* Milliseconds of a monotonic clock. */
static long long quitter_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	const struct daxmr_callbacks cbs = { .on_revoke = quitter_on_revoke };
	struct daxmr_client *client = NULL;
	struct daxmr_region *region = NULL;
	struct pollfd pfd;
	bool revoked = false, do_exit;
	long long end;
	int ret;

	if (argc != 4 || (strcmp(argv[1], "exit") && strcmp(argv[1], "disconnect"))) {
		fprintf(stderr, "usage: %s exit|disconnect SERVER EXPORT\n", argv[0]);
		return 2;
	}
	do_exit = !strcmp(argv[1], "exit");
	opts.ack_revoke = 0;
	ret = daxmr_client_connect(argv[2], &opts, &client);
	if (ret) {
		quitter_say("FAIL: connect %s: %s", argv[2], strerror(-ret));
		return 1;
	}
	daxmr_client_set_callbacks(client, &cbs, &revoked);
	ret = daxmr_region_open(client, argv[3], DAXMR_RW, &region);
	if (ret) {
		quitter_say("FAIL: open %s: %s", argv[3], strerror(-ret));
		daxmr_client_disconnect(&client);
		return 1;
	}
	quitter_say("holding export=%s generation=%llu", argv[3],
		    (unsigned long long)daxmr_region_desc(region)->generation);
	pfd = (struct pollfd){ .fd = daxmr_client_fd(client), .events = POLLIN };
	for (end = quitter_now_ms() + QUITTER_WAIT_MS; !revoked;) {
		long long left = end - quitter_now_ms();

		if (left <= 0) {
			quitter_say("FAIL: no REVOKE within %d ms", QUITTER_WAIT_MS);
			return 1;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return 1;
		ret = daxmr_client_process(client);
		if (ret) {
			quitter_say("FAIL: connection lost before REVOKE: %s", strerror(-ret));
			return 1;
		}
	}
	if (do_exit)
		_exit(0); /* no CLOSE, no ack, no rdma_disconnect: the kernel cleans up */
	/* the region is not closed: CLOSE would acknowledge; freeing the client frees it */
	ret = daxmr_client_disconnect(&client);
	quitter_say("disconnected: %s", ret ? strerror(-ret) : "ok");
	return ret ? 1 : 0;
}
