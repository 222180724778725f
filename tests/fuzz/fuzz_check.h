/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_check.h -- the stateful fuzz targets' invariant check: print what broke, then abort */
#ifndef DAXMR_FUZZ_CHECK_H
#define DAXMR_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

/* Aborts (libFuzzer keeps the input as a crash) when cond is false, saying which invariant. */
#define FUZZ_CHECK(cond, fmt, ...)                                                        \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: invariant violated: " fmt "\n", __FILE__, \
				__LINE__, ##__VA_ARGS__);                                 \
			abort();                                                          \
		}                                                                         \
	} while (0)

#endif /* DAXMR_FUZZ_CHECK_H */
