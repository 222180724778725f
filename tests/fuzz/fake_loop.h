/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_loop.h -- the stateful fuzz targets' time: a fake clock, timers on it, quiet logs */
#ifndef DAXMR_FAKE_LOOP_H
#define DAXMR_FAKE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Wraps event_new/event_add/event_del/event_free (timers only: fd -1), daxmr_clock_us/_ms,
 * daxmr_log (silent unless DAXMR_FUZZ_LOG is set in the environment) and daxmr_auth_random
 * (a counter: an input replays the same). Time moves only when the harness says so.
 */

/* Resets the clock to a fixed start; every timer must have been freed. */
void fake_loop_reset(void);

/* Now on the fake clock, microseconds. */
uint64_t fake_loop_now_us(void);

/* Advances the clock by us, firing every timer that falls due, in deadline order. */
void fake_loop_advance(uint64_t us);

/* The next event_add fails (libevent could not grow its timer heap). */
void fake_loop_fail_add(void);

/* Timers allocated and not freed. */
unsigned int fake_loop_live_timers(void);

#endif /* DAXMR_FAKE_LOOP_H */
