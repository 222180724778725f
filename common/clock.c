/* SPDX-License-Identifier: BSD-3-Clause */
/* clock.c -- the monotonic clock every timeout and timing in daxmr is measured on */
#include "clock.h"

#include <time.h>

/* Microseconds on CLOCK_MONOTONIC (which cannot fail with a valid clock id and pointer). */
uint64_t daxmr_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t daxmr_clock_ms(void)
{
	return (int64_t)(daxmr_clock_us() / 1000u);
}

/* ms milliseconds as a struct timeval. */
struct timeval daxmr_clock_ms_tv(unsigned int ms)
{
	return (struct timeval){ .tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
}
