/* SPDX-License-Identifier: BSD-3-Clause */
/* holder.c -- daxmr-e2e-holder: an application holding a region through a lease break */
/*
 * Usage: daxmr-e2e-holder SERVER EXPORT EXPECT
 *        daxmr-e2e-holder --fence GO_FILE SERVER EXPORT
 * Opens EXPORT read-write and prints "holding export=NAME generation=G". Then, while a test
 * breaks the lease, it waits for the revocation, checks that a read through the old descriptor
 * fails with -ESTALE, waits for the export to come back (AVAILABLE), opens it again and checks
 * that the new generation is newer and its first bytes are EXPECT (what the breaker wrote).
 * Exit 0 if all holds, 1 otherwise. Every wait is bounded.
 * --fence: a client that ignores revocation (libdaxmr's use_revoked). After the REVOKE it waits
 * for GO_FILE to exist (the test creates it once the lease breaker has returned, i.e. once
 * daxmrd released the export), then reads through the revoked key: the read must fail with a
 * remote access error (-EACCES) or, where rxe lost the NAK, a reset connection.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daxmr.h"

#define HOLDER_WAIT_MS 30000

struct holder {
	bool revoked;
	bool available;
	uint64_t revoked_generation;
	uint64_t available_generation;
};

/* Prints one progress line at once: the test script reads it through a file. */
__attribute__((format(printf, 1, 2))) static void holder_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* on_revoke: remembers the revocation; the region stays open so its staleness can be tested. */
static void holder_on_revoke(struct daxmr_region *region, const struct daxmr_revoke_info *info,
			     void *arg)
{
	struct holder *h = arg;

	(void)region;
	h->revoked = true;
	h->revoked_generation = info->generation;
	holder_say("revoked export=%s generation=%llu reason=%s", info->name,
		   (unsigned long long)info->generation, daxmr_revoke_reason_str(info->reason));
}

/* on_available: remembers that the export is back. */
static void holder_on_available(uint32_t export_id, const char *name, uint64_t generation,
				void *arg)
{
	struct holder *h = arg;

	(void)export_id;
	h->available = true;
	h->available_generation = generation;
	holder_say("available export=%s generation=%llu", name, (unsigned long long)generation);
}

/* Milliseconds of a monotonic clock. */
static long long holder_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the client's events until *flag is set; -ETIMEDOUT after HOLDER_WAIT_MS. */
static int holder_wait(struct daxmr_client *client, const bool *flag, const char *what)
{
	long long end = holder_now_ms() + HOLDER_WAIT_MS;
	struct pollfd pfd = { .fd = daxmr_client_fd(client), .events = POLLIN };
	int ret;

	while (!*flag) {
		long long left = end - holder_now_ms();

		if (left <= 0) {
			holder_say("FAIL: no %s within %d ms", what, HOLDER_WAIT_MS);
			return -ETIMEDOUT;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		ret = daxmr_client_process(client);
		if (ret) {
			holder_say("FAIL: connection lost waiting for %s: %s", what, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* --fence: the revoked key, used anyway once the server let go, must hit a remote access error. */
static int holder_fence(const char *go_file, const char *server, const char *name)
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	struct holder h = { 0 };
	const struct daxmr_callbacks cbs = { .on_revoke = holder_on_revoke };
	struct daxmr_client *client = NULL;
	struct daxmr_region *region = NULL;
	char buf[4096];
	long long end;
	int ret, rc = 1;

	opts.use_revoked = 1;
	ret = daxmr_client_connect(server, &opts, &client);
	if (ret) {
		holder_say("FAIL: connect %s: %s", server, strerror(-ret));
		return 1;
	}
	daxmr_client_set_callbacks(client, &cbs, &h);
	ret = daxmr_region_open(client, name, DAXMR_RW, &region);
	if (!ret)
		ret = daxmr_region_read(region, 0, buf, sizeof(buf));
	if (ret) {
		holder_say("FAIL: open and read %s: %s", name, strerror(-ret));
		goto out;
	}
	holder_say("holding export=%s generation=%llu registration=%s", name,
		   (unsigned long long)daxmr_region_desc(region)->generation,
		   daxmr_registration_str(daxmr_region_desc(region)->registration));
	if (holder_wait(client, &h.revoked, "REVOKE"))
		goto out;
	for (end = holder_now_ms() + HOLDER_WAIT_MS; access(go_file, F_OK) != 0;) {
		if (holder_now_ms() > end) {
			holder_say("FAIL: %s did not appear", go_file);
			goto out;
		}
		usleep(10000);
	}
	/*
	 * The responder NAKs the bad key (remote access error: -EACCES) and its QP goes to error.
	 * Under load rxe may drop that NAK: the requester then exhausts its retries against the
	 * errored QP, or sees the server's disconnect first (-ECONNRESET). Either way no byte moved.
	 */
	ret = daxmr_region_read(region, 0, buf, sizeof(buf));
	if (ret != -EACCES && ret != -ECONNRESET) {
		holder_say("FAIL: read through the revoked key returned %d (%s), expected a remote "
			   "access error (or, if the NAK was lost, a reset connection)",
			   ret, ret ? strerror(-ret) : "success");
		goto out;
	}
	holder_say("ok: read through the revoked key failed: %s",
		   ret == -EACCES ? "remote access error" : "connection reset (NAK lost)");
	rc = 0;
out:
	daxmr_region_close(&region);
	daxmr_client_disconnect(&client);
	return rc;
}

int main(int argc, char **argv)
{
	struct holder h = { 0 };
	const struct daxmr_callbacks cbs = { .on_revoke = holder_on_revoke,
					     .on_available = holder_on_available };
	struct daxmr_client *client = NULL;
	struct daxmr_region *region = NULL, *again = NULL;
	char buf[256];
	uint64_t gen;
	size_t want;
	int ret, rc = 1;

	if (argc == 5 && strcmp(argv[1], "--fence") == 0)
		return holder_fence(argv[2], argv[3], argv[4]);
	if (argc != 4) {
		fprintf(stderr, "usage: %s SERVER EXPORT EXPECT | --fence GO_FILE SERVER EXPORT\n",
			argv[0]);
		return 2;
	}
	want = strlen(argv[3]);
	if (want == 0 || want > sizeof(buf)) {
		fprintf(stderr, "EXPECT must be 1 to %zu bytes\n", sizeof(buf));
		return 2;
	}
	ret = daxmr_client_connect(argv[1], NULL, &client);
	if (ret) {
		holder_say("FAIL: connect %s: %s", argv[1], strerror(-ret));
		return 1;
	}
	daxmr_client_set_callbacks(client, &cbs, &h);
	ret = daxmr_region_open(client, argv[2], DAXMR_RW, &region);
	if (ret) {
		holder_say("FAIL: open %s: %s", argv[2], strerror(-ret));
		goto out;
	}
	gen = daxmr_region_desc(region)->generation;
	holder_say("holding export=%s generation=%llu", argv[2], (unsigned long long)gen);

	if (holder_wait(client, &h.revoked, "REVOKE"))
		goto out;
	if (h.revoked_generation != gen) {
		holder_say("FAIL: revoked generation %llu, held %llu",
			   (unsigned long long)h.revoked_generation, (unsigned long long)gen);
		goto out;
	}
	ret = daxmr_region_read(region, 0, buf, want);
	if (ret != -ESTALE) {
		holder_say("FAIL: read through the revoked descriptor returned %d, expected -ESTALE",
			   ret);
		goto out;
	}
	holder_say("ok: read through the old descriptor fails with -ESTALE");

	/* Keep the revoked region until AVAILABLE: closing it says we do not want the export back. */
	if (holder_wait(client, &h.available, "AVAILABLE"))
		goto out;
	daxmr_region_close(&region);
	ret = daxmr_region_open(client, argv[2], DAXMR_RW, &again);
	if (ret) {
		holder_say("FAIL: open %s again: %s", argv[2], strerror(-ret));
		goto out;
	}
	if (daxmr_region_desc(again)->generation <= gen) {
		holder_say("FAIL: reopened generation %llu is not newer than %llu",
			   (unsigned long long)daxmr_region_desc(again)->generation,
			   (unsigned long long)gen);
		goto out;
	}
	ret = daxmr_region_read(again, 0, buf, want);
	if (ret) {
		holder_say("FAIL: read from the new generation: %s", strerror(-ret));
		goto out;
	}
	if (memcmp(buf, argv[3], want) != 0) {
		holder_say("FAIL: the new generation does not hold the breaker's write \"%s\"",
			   argv[3]);
		goto out;
	}
	holder_say("ok: generation %llu sees the breaker's write",
		   (unsigned long long)daxmr_region_desc(again)->generation);
	rc = 0;
out:
	daxmr_region_close(&again);
	daxmr_region_close(&region);
	daxmr_client_disconnect(&client);
	return rc;
}
