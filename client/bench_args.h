/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_args.h -- daxmr-bench's command line: perftest's flags and meanings, testable alone */
#ifndef DAXMR_BENCH_ARGS_H
#define DAXMR_BENCH_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DAXMR_BENCH_DEFAULT_SIZE 65536u	    /* perftest's default message size */
#define DAXMR_BENCH_DEFAULT_DEPTH 128u	    /* perftest's bandwidth tests' tx depth */
#define DAXMR_BENCH_DEFAULT_ITERS_BW 5000u  /* perftest's -n for bandwidth */
#define DAXMR_BENCH_DEFAULT_ITERS_LAT 1000u /* perftest's -n for latency */
#define DAXMR_BENCH_MAX_SIZE (8u << 20)	    /* -a's largest size: rxe's max message */
#define DAXMR_BENCH_MIN_SIZE_ALL 2u	    /* -a's smallest size, as perftest */
#define DAXMR_BENCH_MAX_DEPTH 4096u
#define DAXMR_BENCH_MAX_THREADS 64u
#define DAXMR_BENCH_DEFAULT_REG_ITERS 5u

enum daxmr_bench_op {
	DAXMR_BENCH_READ = 0,
	DAXMR_BENCH_WRITE,
	DAXMR_BENCH_CAS,
	DAXMR_BENCH_FAA,
};

/* The parsed command line; strings borrowed from argv. */
struct daxmr_bench_args {
	const char *server;	 /* --server; NULL: $DAXMR_SERVER */
	const char *secret_file; /* -k */
	int timeout_ms;		 /* --timeout; 0: the library's default */
	int verbose;		 /* -v */
	bool reg;		 /* the "reg" form */
	const char *name;	 /* export, or reg's PATH */
	enum daxmr_bench_op op;	 /* --op */
	uint64_t size;		 /* -s */
	bool all;		 /* -a: every power of two from 2 B to 8 MiB */
	uint64_t iters;		 /* -n; 0: by duration, or the default */
	double duration;	 /* -D seconds; 0: by iterations */
	unsigned int depth;	 /* -t: operations in flight (latency: 1) */
	bool lat;		 /* --lat */
	bool gbits;		 /* --report_gbits */
	bool json;		 /* --json */
	unsigned int threads;	 /* --threads */
	uint64_t span;		 /* --span; 0: the default */
	bool copy;		 /* --copy: the library's copying calls instead of zero-copy */
	uint64_t length;	 /* reg --length */
	bool odp;		 /* reg --odp */
	const char *dev;	 /* reg -d */
	unsigned int reg_iters;	 /* reg --iterations */
	bool help;
	bool version;
};

/* "read", "write", "cas", "faa". */
const char *daxmr_bench_op_name(enum daxmr_bench_op op);

/*
 * Parses argv (argv[0] the program) into *a with getopt_long (options anywhere). On a usage
 * error returns -EINVAL with a one-line message in err (getopt's own messages are off).
 * --help / --version set their flag and stop there. Latency mode forces depth 1.
 */
int daxmr_bench_args_parse(int argc, char *argv[], struct daxmr_bench_args *a, char *err,
			   size_t err_len);

#endif /* DAXMR_BENCH_ARGS_H */
