/* SPDX-License-Identifier: BSD-3-Clause */
/* clock.h -- the monotonic clock every timeout and timing in daxmr is measured on */
#ifndef DAXMR_CLOCK_H
#define DAXMR_CLOCK_H

#include <stdint.h>
#include <sys/time.h>

/* Microseconds on CLOCK_MONOTONIC. */
uint64_t daxmr_clock_us(void);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t daxmr_clock_ms(void);

/* ms milliseconds as a struct timeval, for libevent timers. */
struct timeval daxmr_clock_ms_tv(unsigned int ms);

#endif /* DAXMR_CLOCK_H */
