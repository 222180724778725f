/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_args_test.c -- daxmr-bench's command line: perftest's letters and meanings, defaults,
 * latency forcing depth 1, and every usage error naming its cause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bench_args.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Parses argv; err gets the message. */
static int parse(int argc, char **argv, struct daxmr_bench_args *a, char *err)
{
	return daxmr_bench_args_parse(argc, argv, a, err, 256);
}

/* Defaults: perftest's bandwidth defaults (64 KiB, depth 128), read, one thread. */
static void bench_args__defaults(void **state)
{
	char *argv[] = { "daxmr-bench", "dev" };
	struct daxmr_bench_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_string_equal(a.name, "dev");
	assert_int_equal(a.size, 65536);
	assert_int_equal(a.depth, 128);
	assert_int_equal(a.threads, 1);
	assert_int_equal(a.op, DAXMR_BENCH_READ);
	assert_int_equal(a.iters, 0);
	assert_false(a.lat || a.json || a.all || a.gbits || a.reg);
	assert_null(a.server);
}

/* perftest's letters: -s size, -n iterations, -t tx depth, -D duration, -a, --report_gbits. */
static void bench_args__perftest_letters(void **state)
{
	char *argv[] = { "daxmr-bench", "-s", "4K", "-n", "777", "-t", "16", "--report_gbits",
			 "--server", "10.0.2.15:7000", "dev", "--op", "write", "--json",
			 "--threads", "3" };
	char *argv2[] = { "daxmr-bench", "-D", "2.5", "-a", "dev" };
	struct daxmr_bench_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_int_equal(a.size, 4096);
	assert_int_equal(a.iters, 777);
	assert_int_equal(a.depth, 16);
	assert_true(a.gbits && a.json);
	assert_string_equal(a.server, "10.0.2.15:7000");
	assert_int_equal(a.op, DAXMR_BENCH_WRITE);
	assert_int_equal(a.threads, 3);

	assert_int_equal(parse(ARGC(argv2), argv2, &a, err), 0);
	assert_true(a.duration > 2.49 && a.duration < 2.51);
	assert_true(a.all);
}

/* --lat is depth 1; atomics are 8 bytes whatever -s said. */
static void bench_args__lat_and_atomics(void **state)
{
	char *argv[] = { "daxmr-bench", "--lat", "-s", "8", "dev" };
	char *argv2[] = { "daxmr-bench", "--op", "faa", "-s", "1M", "dev" };
	struct daxmr_bench_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_true(a.lat);
	assert_int_equal(a.depth, 1);
	assert_int_equal(parse(ARGC(argv2), argv2, &a, err), 0);
	assert_int_equal(a.op, DAXMR_BENCH_FAA);
	assert_int_equal(a.size, 8);
	assert_int_equal(a.depth, 128);
}

/* Usage errors, each with a message naming the cause. */
static void bench_args__errors(void **state)
{
	struct {
		char *argv[6];
		int argc;
		const char *want;
	} cases[] = {
		{ { "daxmr-bench", "-s", "10.0.2.15", "dev" }, 4, "-s '10.0.2.15': not a size" },
		{ { "daxmr-bench", "-s", "16M", "dev" }, 4, "-s 16M: want 1 .. 8388608" },
		{ { "daxmr-bench", "-t", "0", "dev" }, 4, "-t 0" },
		{ { "daxmr-bench", "-n", "5", "-D", "1", "dev" }, 6, "exclude each other" },
		{ { "daxmr-bench", "-D", "0", "dev" }, 4, "-D '0'" },
		{ { "daxmr-bench", "--lat", "-t", "4", "dev" }, 5, "depth 1" },
		{ { "daxmr-bench", "--op", "nop", "dev" }, 4, "--op 'nop'" },
		{ { "daxmr-bench", "-a", "--op", "cas", "dev" }, 5, "-a is for read and write" },
		{ { "daxmr-bench", "--server", "h:99999", "dev" }, 4, "1..65535" },
		{ { "daxmr-bench", "--threads", "65", "dev" }, 4, "--threads 65" },
		{ { "daxmr-bench", "--copy", "-t", "8", "dev" }, 5, "-t must be 1" },
		{ { "daxmr-bench", "-x", "dev" }, 3, "unknown option -x" },
		{ { "daxmr-bench", "--frob", "dev" }, 3, "unknown option --frob" },
		{ { "daxmr-bench", "dev", "-s" }, 3, "-s needs a value" },
		{ { "daxmr-bench" }, 1, "no export NAME" },
		{ { "daxmr-bench", "a", "b" }, 3, "unexpected argument 'b'" },
		{ { "daxmr-bench", "reg", "/dev/dax1.0", "-s", "4K" }, 5, "reg takes only" },
		{ { "daxmr-bench", "--odp", "dev" }, 3, "belong to 'daxmr-bench reg'" },
	};
	struct daxmr_bench_args a;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* getopt permutes argv: each case parses its own copy */
		char *argv[6];

		memcpy(argv, cases[i].argv, sizeof(argv));
		assert_int_equal(parse(cases[i].argc, argv, &a, err), -EINVAL);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].want);
	}
}

/* The reg form keeps its own options; --help and --version stop parsing. */
static void bench_args__reg_help_version(void **state)
{
	char *argv[] = { "daxmr-bench", "reg", "/dev/dax1.0", "--odp", "--length", "16M", "-d",
			 "rxe0", "--iterations", "3" };
	char *argv2[] = { "daxmr-bench", "--help", "-s", "bogus" };
	char *argv3[] = { "daxmr-bench", "--version" };
	struct daxmr_bench_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &a, err), 0);
	assert_true(a.reg && a.odp);
	assert_string_equal(a.name, "/dev/dax1.0");
	assert_int_equal(a.length, 16u << 20);
	assert_string_equal(a.dev, "rxe0");
	assert_int_equal(a.reg_iters, 3);
	assert_int_equal(parse(ARGC(argv2), argv2, &a, err), 0);
	assert_true(a.help);
	assert_int_equal(parse(ARGC(argv3), argv3, &a, err), 0);
	assert_true(a.version);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench_args__defaults),
		cmocka_unit_test(bench_args__perftest_letters),
		cmocka_unit_test(bench_args__lat_and_atomics),
		cmocka_unit_test(bench_args__errors),
		cmocka_unit_test(bench_args__reg_help_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
