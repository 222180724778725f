/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_loop.c -- the stateful fuzz targets' time: a fake clock, timers on it, quiet logs */
#include "fake_loop.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include "fuzz_check.h"
#include "log.h"

#define FAKE_LOOP_START_US 1000000000ull /* not 0: "0 ms since" bugs would hide there */

/* A timer: what event_new made (the library only ever sees the pointer). */
struct fake_timer {
	event_callback_fn cb;
	void *arg;
	short what;
	bool pending;
	uint64_t due_us;
	struct fake_timer *next; /* every live timer */
};

static struct {
	uint64_t now_us;
	struct fake_timer *timers;
	unsigned int live;
	uint64_t random_ctr;
	bool fail_add; /* the next event_add fails */
	int log;       /* -1: not looked up yet */
} fl = { .now_us = FAKE_LOOP_START_US, .log = -1 };

struct event *__wrap_event_new(struct event_base *base, evutil_socket_t fd, short what,
			       event_callback_fn cb, void *arg);
void __wrap_event_free(struct event *ev);
int __wrap_event_add(struct event *ev, const struct timeval *tv);
int __wrap_event_del(struct event *ev);
uint64_t __wrap_daxmr_clock_us(void);
int64_t __wrap_daxmr_clock_ms(void);
void __wrap_daxmr_log(enum daxmr_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void __wrap_daxmr_auth_random(void *buf, size_t len);

struct event *__wrap_event_new(struct event_base *base, evutil_socket_t fd, short what,
			       event_callback_fn cb, void *arg)
{
	struct fake_timer *t = calloc(1, sizeof(*t));

	(void)base;
	FUZZ_CHECK(fd == -1, "event_new on fd %d: only timers are faked", (int)fd);
	if (!t)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	t->what = what;
	t->next = fl.timers;
	fl.timers = t;
	fl.live++;
	return (struct event *)(void *)t;
}

void __wrap_event_free(struct event *ev)
{
	struct fake_timer *t = (struct fake_timer *)(void *)ev, **pp;

	if (!t)
		return;
	for (pp = &fl.timers; *pp && *pp != t; pp = &(*pp)->next)
		;
	FUZZ_CHECK(*pp, "event_free of a timer that is not allocated");
	*pp = t->next;
	fl.live--;
	free(t);
}

int __wrap_event_add(struct event *ev, const struct timeval *tv)
{
	struct fake_timer *t = (struct fake_timer *)(void *)ev;

	FUZZ_CHECK(tv, "event_add of a timer without a timeout");
	if (fl.fail_add) {
		fl.fail_add = false;
		return -1;
	}
	t->pending = true;
	t->due_us = fl.now_us + (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
	return 0;
}

int __wrap_event_del(struct event *ev)
{
	((struct fake_timer *)(void *)ev)->pending = false;
	return 0;
}

uint64_t __wrap_daxmr_clock_us(void)
{
	return fl.now_us;
}

int64_t __wrap_daxmr_clock_ms(void)
{
	return (int64_t)(fl.now_us / 1000u);
}

void __wrap_daxmr_log(enum daxmr_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (fl.log < 0)
		fl.log = getenv("DAXMR_FUZZ_LOG") != NULL;
	if (!fl.log)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "[%llu us] %d: ", (unsigned long long)fl.now_us, (int)level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void __wrap_daxmr_auth_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(fl.random_ctr >> (8 * (i % 8)));
	fl.random_ctr++;
}

void fake_loop_reset(void)
{
	FUZZ_CHECK(fl.live == 0, "%u timers not freed", fl.live);
	fl.now_us = FAKE_LOOP_START_US;
	fl.random_ctr = 0;
	fl.fail_add = false;
}

uint64_t fake_loop_now_us(void)
{
	return fl.now_us;
}

void fake_loop_advance(uint64_t us)
{
	uint64_t end = fl.now_us + us;

	for (;;) {
		struct fake_timer *t, *first = NULL;

		for (t = fl.timers; t; t = t->next)
			if (t->pending && t->due_us <= end && (!first || t->due_us < first->due_us))
				first = t;
		if (!first)
			break;
		if (first->due_us > fl.now_us)
			fl.now_us = first->due_us;
		first->pending =
			false; /* a persistent timer would need its interval: none is faked */
		first->cb(-1, EV_TIMEOUT, first->arg);
	}
	fl.now_us = end;
}

void fake_loop_fail_add(void)
{
	fl.fail_add = true;
}

unsigned int fake_loop_live_timers(void)
{
	return fl.live;
}
