/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_args.c -- daxmr-bench's command line: perftest's flags and meanings, testable alone */
#include "bench_args.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* Records a usage error and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int bench_args_err(char *err, size_t err_len,
								const char *fmt, ...)
{
	va_list ap;

	if (!err_len)
		return -EINVAL;
	va_start(ap, fmt);
	/* the analyzer loses va_start on some inlined paths of the getopt loop: a false positive */
	vsnprintf(err, err_len, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	return -EINVAL;
}

/* "read", "write", "cas", "faa". */
const char *daxmr_bench_op_name(enum daxmr_bench_op op)
{
	switch (op) {
	case DAXMR_BENCH_WRITE:
		return "write";
	case DAXMR_BENCH_CAS:
		return "cas";
	case DAXMR_BENCH_FAA:
		return "faa";
	default:
		return "read";
	}
}

/* A size option in min .. max into *v_ptr. */
static int bench_args_size(const char *opt, const char *s, uint64_t min, uint64_t max,
			   uint64_t *v_ptr, char *err, size_t err_len)
{
	uint64_t v = 0;

	if (daxmr_tool_size_parse(s, &v))
		return bench_args_err(err, err_len,
				      "%s '%s': not a size (bytes, optional K, M, G, T suffix)",
				      opt, s);
	if (v < min || v > max)
		return bench_args_err(err, err_len, "%s %s: want %llu .. %llu", opt, s,
				      (unsigned long long)min, (unsigned long long)max);
	*v_ptr = v;
	return 0;
}

/* Which options belong to which form, for the check after parsing. */
enum bench_args_form {
	BENCH_FORM_OPS = 1, /* everything that connects */
	BENCH_FORM_REG = 2, /* --length, --odp, -d, --iterations */
};

/* Parses one option c (its argument in optarg) into *a; -EINVAL with err set. */
static int bench_args_one(int c, const char *arg, struct daxmr_bench_args *a, unsigned int *forms,
			  char *err, size_t err_len)
{
	uint64_t v = 0;
	char *end;

	*forms |= BENCH_FORM_OPS;
	switch (c) {
	case 'S':
		if (!*arg)
			return bench_args_err(err, err_len, "--server needs ADDR[:PORT]");
		a->server = arg;
		return daxmr_tool_server_check(arg, err, err_len);
	case 'k':
		a->secret_file = arg;
		return 0;
	case 'T':
		if (bench_args_size("--timeout", arg, 1, 3600000, &v, err, err_len))
			return -EINVAL;
		a->timeout_ms = (int)v;
		return 0;
	case 's':
		return bench_args_size("-s", arg, 1, DAXMR_BENCH_MAX_SIZE, &a->size, err, err_len);
	case 'n':
		return bench_args_size("-n", arg, 1, 1ull << 32, &a->iters, err, err_len);
	case 't':
		if (bench_args_size("-t", arg, 1, DAXMR_BENCH_MAX_DEPTH, &v, err, err_len))
			return -EINVAL;
		a->depth = (unsigned int)v;
		return 0;
	case 'D':
		errno = 0;
		a->duration = strtod(arg, &end);
		if (errno || *end || end == arg || !(a->duration > 0) || a->duration > 86400)
			return bench_args_err(
				err, err_len,
				"-D '%s': want seconds in (0, 86400] (fractions allowed)", arg);
		return 0;
	case 'a':
		a->all = true;
		return 0;
	case 'o':
		if (!strcmp(arg, "read"))
			a->op = DAXMR_BENCH_READ;
		else if (!strcmp(arg, "write"))
			a->op = DAXMR_BENCH_WRITE;
		else if (!strcmp(arg, "cas"))
			a->op = DAXMR_BENCH_CAS;
		else if (!strcmp(arg, "faa"))
			a->op = DAXMR_BENCH_FAA;
		else
			return bench_args_err(err, err_len,
					      "--op '%s': want read, write, cas or faa", arg);
		return 0;
	case 'L':
		a->lat = true;
		return 0;
	case 'G':
		a->gbits = true;
		return 0;
	case 'J':
		a->json = true;
		return 0;
	case 'P':
		if (bench_args_size("--threads", arg, 1, DAXMR_BENCH_MAX_THREADS, &v, err, err_len))
			return -EINVAL;
		a->threads = (unsigned int)v;
		return 0;
	case 'p':
		return bench_args_size("--span", arg, 8, UINT64_MAX, &a->span, err, err_len);
	case 'C':
		a->copy = true;
		return 0;
	}
	*forms = (*forms & ~(unsigned int)BENCH_FORM_OPS) | BENCH_FORM_REG;
	switch (c) {
	case 'l':
		return bench_args_size("--length", arg, 1, UINT64_MAX, &a->length, err, err_len);
	case 'O':
		a->odp = true;
		return 0;
	case 'd':
		a->dev = arg;
		return 0;
	case 'I':
		if (bench_args_size("--iterations", arg, 1, 10000, &v, err, err_len))
			return -EINVAL;
		a->reg_iters = (unsigned int)v;
		return 0;
	default:
		return bench_args_err(err, err_len, "internal: option %d", c);
	}
}

/* The checks across options, once all are parsed. */
static int bench_args_check(struct daxmr_bench_args *a, bool has_depth, char *err, size_t err_len)
{
	if (a->iters && a->duration > 0)
		return bench_args_err(err, err_len, "-n and -D exclude each other");
	if (a->all && (a->op == DAXMR_BENCH_CAS || a->op == DAXMR_BENCH_FAA))
		return bench_args_err(err, err_len, "-a is for read and write (atomics are 8 B)");
	if (a->copy && (a->op == DAXMR_BENCH_CAS || a->op == DAXMR_BENCH_FAA))
		return bench_args_err(err, err_len, "--copy is for read and write");
	if (a->copy && has_depth && a->depth > 1)
		return bench_args_err(err, err_len,
				      "--copy runs one call after the other: -t must be 1");
	if (a->op == DAXMR_BENCH_CAS || a->op == DAXMR_BENCH_FAA)
		a->size = 8;
	if (a->lat && has_depth && a->depth != 1)
		return bench_args_err(err, err_len, "--lat measures depth 1: drop -t %u", a->depth);
	if (a->lat || a->copy)
		a->depth = 1;
	return 0;
}

/* Parses the whole command line. */
int daxmr_bench_args_parse(int argc, char *argv[], struct daxmr_bench_args *a, char *err,
			   size_t err_len)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 'S' },
		{ "secret-file", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "size", required_argument, NULL, 's' },
		{ "iters", required_argument, NULL, 'n' },
		{ "tx-depth", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'D' },
		{ "all", no_argument, NULL, 'a' },
		{ "op", required_argument, NULL, 'o' },
		{ "lat", no_argument, NULL, 'L' },
		{ "report_gbits", no_argument, NULL, 'G' },
		{ "json", no_argument, NULL, 'J' },
		{ "threads", required_argument, NULL, 'P' },
		{ "span", required_argument, NULL, 'p' },
		{ "copy", no_argument, NULL, 'C' },
		{ "length", required_argument, NULL, 'l' },
		{ "odp", no_argument, NULL, 'O' },
		{ "device", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int forms = 0, f;
	bool has_depth = false;
	int c, npos;

	*a = (struct daxmr_bench_args){ .size = DAXMR_BENCH_DEFAULT_SIZE,
					.depth = DAXMR_BENCH_DEFAULT_DEPTH,
					.threads = 1,
					.reg_iters = DAXMR_BENCH_DEFAULT_REG_ITERS };
	if (err_len)
		err[0] = '\0';
	opterr = 0; /* our messages, with the program's short name */
	optind = 1;
	while ((c = getopt_long(argc, argv, ":k:vhs:n:t:D:ad:", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			a->verbose++;
			continue;
		case 'h':
			a->help = true;
			return 0;
		case 'V':
			a->version = true;
			return 0;
		case ':':
			return bench_args_err(err, err_len, "%s needs a value", argv[optind - 1]);
		case '?':
			if (optopt)
				return bench_args_err(err, err_len, "unknown option -%c", optopt);
			return bench_args_err(err, err_len, "unknown option %s", argv[optind - 1]);
		default:
			break;
		}
		if (c == 't')
			has_depth = true;
		f = 0;
		if (bench_args_one(c, optarg, a, &f, err, err_len))
			return -EINVAL;
		forms |= f;
	}
	npos = argc - optind;
	if (npos > 0 && !strcmp(argv[optind], "reg")) {
		a->reg = true;
		optind++;
		npos--;
	}
	if (npos < 1)
		return bench_args_err(err, err_len, "%s",
				      a->reg ? "reg: no PATH given" : "no export NAME given");
	if (npos > 1)
		return bench_args_err(err, err_len, "unexpected argument '%s'", argv[optind + 1]);
	a->name = argv[optind];
	if (a->reg && (forms & BENCH_FORM_OPS))
		return bench_args_err(err, err_len,
				      "reg takes only --length, --odp, -d and --iterations");
	if (!a->reg && (forms & BENCH_FORM_REG))
		return bench_args_err(err, err_len,
				      "--length, --odp, -d and --iterations belong to "
				      "'daxmr-bench reg'");
	return a->reg ? 0 : bench_args_check(a, has_depth, err, err_len);
}
