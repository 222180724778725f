/* SPDX-License-Identifier: BSD-3-Clause */
/* smoke.c -- daxmr-e2e-smoke: the first e2e test, proving the machine has real RDMA and real fs-DAX */
#include "smoke.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* Prints one narrated step line; stdout is line-buffered so it interleaves with stderr's errors. */
void daxmr_smoke_say(const char *fmt, ...)
{
	va_list ap;

	fputs("smoke: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* Prints usage to stderr. */
static void smoke_usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [all|rdma|dax]\n"
		"  rdma: RDMA device, port 1 ACTIVE, RoCE v2 IPv4 GID, loopback RC SEND/RECV, WRITE, READ\n"
		"  dax:  MAP_SYNC refused on a non-DAX file; statx DAX, MAP_SYNC map, write+pread on DAX\n"
		"environment: DAXMR_TEST_DEVICE, DAXMR_TEST_GID_INDEX, DAXMR_TEST_DAX_DIR (/mnt/pmem)\n"
		"exit: 0 all checks passed, 1 a check failed, 77 skipped (no device / no DAX dir)\n",
		argv0);
}

/* Folds one part's result into the total: any failure fails, else any skip skips. */
static enum daxmr_smoke_result smoke_combine(enum daxmr_smoke_result total,
					     enum daxmr_smoke_result part)
{
	if (total == DAXMR_SMOKE_FAIL || part == DAXMR_SMOKE_FAIL)
		return DAXMR_SMOKE_FAIL;
	if (total == DAXMR_SMOKE_SKIP || part == DAXMR_SMOKE_SKIP)
		return DAXMR_SMOKE_SKIP;
	return DAXMR_SMOKE_PASS;
}

/* Runs the selected parts and maps the outcome to the exit status ctest expects. */
int main(int argc, char **argv)
{
	enum daxmr_smoke_result result = DAXMR_SMOKE_PASS;
	const char *which = argc > 1 ? argv[1] : "all";
	int all = !strcmp(which, "all");

	daxmr_log_set_ident("daxmr-e2e-smoke");
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc > 2 || (!all && strcmp(which, "rdma") && strcmp(which, "dax"))) {
		smoke_usage(argv[0]);
		return 2;
	}
	if (all || !strcmp(which, "rdma"))
		result = smoke_combine(result, daxmr_smoke_rdma_run());
	if (all || !strcmp(which, "dax"))
		result = smoke_combine(result, daxmr_smoke_dax_run());

	switch (result) {
	case DAXMR_SMOKE_PASS:
		daxmr_smoke_say("all checks passed");
		break;
	case DAXMR_SMOKE_SKIP:
		daxmr_smoke_say("skipped (exit 77): not every check could run here");
		break;
	case DAXMR_SMOKE_FAIL:
		daxmr_smoke_say("FAILED");
		break;
	}
	return (int)result;
}
