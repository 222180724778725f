/* SPDX-License-Identifier: BSD-3-Clause */
/* stats.h -- what the benchmark programs of bench/ share: a monotonic clock, sorting, percentiles
 */
#ifndef DAXMR_BENCH_STATS_H
#define DAXMR_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in us. */
static inline uint64_t bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts n values in place, ascending. */
static inline void bench_sort_u64(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_u64);
}

/* Nearest-rank percentile p of n >= 1 sorted values (bench/ops.py computes it the same way). */
static inline uint64_t bench_pct(const uint64_t *v, size_t n, unsigned int p)
{
	size_t k = (n * p + 99) / 100;

	return v[k ? k - 1 : 0];
}

#endif
