/* SPDX-License-Identifier: BSD-3-Clause */
/* app.c -- a libdaxmr application built against an installed daxmr (pkg-config or CMake) */
/*
 * Usage: app SERVER EXPORT PATTERN OFFSET
 * Lists the exports (EXPORT must be there), opens EXPORT read-write, writes PATTERN at OFFSET,
 * flushes it, reads it back and prints "ok: wrote N bytes at OFFSET, version V". Exit 0 if all
 * holds, 1 otherwise (saying which call failed). Only <daxmr.h>: what an installed copy offers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <daxmr.h>

/* Prints what failed; returns 1 for main. */
static int app_fail(const char *call, int ret)
{
	fprintf(stderr, "app: %s: %s\n", call, strerror(-ret));
	return 1;
}

int main(int argc, char **argv)
{
	struct daxmr_client *client = NULL;
	struct daxmr_region *region = NULL;
	struct daxmr_export_info *infos = NULL;
	size_t n = 0, i, len;
	unsigned long long off;
	char back[256];
	int ret, found = 0, rc = 1;

	if (argc != 5 || strlen(argv[3]) >= sizeof(back)) {
		fprintf(stderr, "usage: app SERVER EXPORT PATTERN OFFSET\n");
		return 2;
	}
	len = strlen(argv[3]);
	off = strtoull(argv[4], NULL, 0);
	ret = daxmr_client_connect(argv[1], NULL, &client);
	if (ret)
		return app_fail("daxmr_client_connect", ret);
	ret = daxmr_client_list(client, &infos, &n);
	if (ret) {
		rc = app_fail("daxmr_client_list", ret);
		goto out;
	}
	for (i = 0; i < n; i++)
		found |= strcmp(infos[i].name, argv[2]) == 0;
	daxmr_client_list_free(infos);
	if (!found) {
		fprintf(stderr, "app: export %s not listed (%zu exports)\n", argv[2], n);
		goto out;
	}
	ret = daxmr_region_open(client, argv[2], DAXMR_RW, &region);
	if (ret) {
		rc = app_fail("daxmr_region_open", ret);
		goto out;
	}
	if ((ret = daxmr_region_write(region, off, argv[3], len)) != 0) {
		rc = app_fail("daxmr_region_write", ret);
		goto out;
	}
	if ((ret = daxmr_region_flush(region, off, len)) != 0) {
		rc = app_fail("daxmr_region_flush", ret);
		goto out;
	}
	memset(back, 0, sizeof(back));
	if ((ret = daxmr_region_read(region, off, back, len)) != 0) {
		rc = app_fail("daxmr_region_read", ret);
		goto out;
	}
	if (memcmp(back, argv[3], len) != 0) {
		fprintf(stderr, "app: read back '%.*s', wrote '%s'\n", (int)len, back, argv[3]);
		goto out;
	}
	printf("ok: wrote %zu bytes at %llu\n", len, off);
	rc = 0;
out:
	daxmr_region_close(&region);
	daxmr_client_disconnect(&client);
	return rc;
}
