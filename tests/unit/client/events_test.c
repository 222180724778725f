/* SPDX-License-Identifier: BSD-3-Clause */
/* events_test.c -- events: arrival order, the eventfd's readiness, dropped regions, callbacks */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"

/* Regions are only pointers to the queue: two distinct fake ones. */
static struct daxmr_region *const region_a = (struct daxmr_region *)(uintptr_t)0x1000;
static struct daxmr_region *const region_b = (struct daxmr_region *)(uintptr_t)0x2000;

/* What the callbacks saw, in order. */
static struct {
	char seen[16][64];
	unsigned int n;
	struct daxmr_events *events; /* for the callbacks that queue or drop */
	bool push_from_callback;
	bool drop_b_from_callback;
} cb;

static void cb_revoke(struct daxmr_region *region, const struct daxmr_revoke_info *info, void *arg)
{
	assert_ptr_equal(arg, &cb);
	snprintf(cb.seen[cb.n++], sizeof(cb.seen[0]), "revoke %s %u %llu %d %u %s",
		 region == region_a ? "a" : "b", info->export_id,
		 (unsigned long long)info->generation, (int)info->reason, info->deadline_ms,
		 info->name);
	if (cb.drop_b_from_callback)
		daxmr_events_drop_region(cb.events, region_b);
}

static void cb_available(uint32_t export_id, const char *name, uint64_t generation, void *arg)
{
	assert_ptr_equal(arg, &cb);
	snprintf(cb.seen[cb.n++], sizeof(cb.seen[0]), "available %u %s %llu", export_id, name,
		 (unsigned long long)generation);
	if (cb.push_from_callback) {
		cb.push_from_callback = false;
		assert_int_equal(daxmr_events_push_disconnect(cb.events, -ECONNRESET), 0);
	}
}

static void cb_disconnect(int reason, void *arg)
{
	assert_ptr_equal(arg, &cb);
	snprintf(cb.seen[cb.n++], sizeof(cb.seen[0]), "disconnect %d", reason);
}

static const struct daxmr_callbacks cbs = { .on_revoke = cb_revoke,
					    .on_available = cb_available,
					    .on_disconnect = cb_disconnect };

/* Whether fd is readable now. */
static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* A REVOKE for region of export 7 (generation gen) named name. */
static void push_revoke(struct daxmr_events *events, struct daxmr_region *region, uint64_t gen,
			const char *name)
{
	struct daxmr_revoke_info info = { .export_id = 7,
					  .generation = gen,
					  .name = name,
					  .reason = DAXMR_REVOKE_LEASE_BREAK,
					  .deadline_ms = 500 };

	assert_int_equal(daxmr_events_push_revoke(events, region, &info), 0);
}

static int setup(void **state)
{
	memset(&cb, 0, sizeof(cb));
	assert_int_equal(daxmr_events_new(&cb.events), 0);
	daxmr_events_set_callbacks(cb.events, &cbs, &cb);
	*state = cb.events;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daxmr_events_delete(&cb.events);
	assert_null(cb.events);
	daxmr_events_delete(&cb.events); /* NULL-safe */
	daxmr_events_delete(NULL);
	return 0;
}

/* Delivered oldest first, names copied; the eventfd is readable exactly while any are queued. */
static void events_deliver__in_order(void **state)
{
	struct daxmr_events *events = *state;
	char name[] = "db";

	assert_false(readable(daxmr_events_fd(events)));
	push_revoke(events, region_a, 42, name);
	name[0] = 'X'; /* the queue holds its own copy */
	assert_int_equal(daxmr_events_push_available(events, 7, "db", 43), 0);
	assert_int_equal(daxmr_events_push_disconnect(events, -EIO), 0);
	assert_true(readable(daxmr_events_fd(events)));
	daxmr_events_deliver(events);
	assert_false(readable(daxmr_events_fd(events)));
	assert_int_equal(cb.n, 3);
	assert_string_equal(cb.seen[0], "revoke a 7 42 1 500 db");
	assert_string_equal(cb.seen[1], "available 7 db 43");
	assert_string_equal(cb.seen[2], "disconnect -5");
	daxmr_events_deliver(events); /* nothing left */
	assert_int_equal(cb.n, 3);
}

/* A closed region's undelivered events go; the others stay, in order. */
static void events_drop_region__only_its_own(void **state)
{
	struct daxmr_events *events = *state;

	push_revoke(events, region_a, 1, "a");
	push_revoke(events, region_b, 2, "b");
	push_revoke(events, region_a, 3, "a");
	daxmr_events_drop_region(events, region_a);
	daxmr_events_deliver(events);
	assert_int_equal(cb.n, 1);
	assert_string_equal(cb.seen[0], "revoke b 7 2 1 500 b");
}

/* A callback may queue more (delivered in the same call) and close other regions. */
static void events_deliver__callbacks_queue_and_drop(void **state)
{
	struct daxmr_events *events = *state;

	cb.push_from_callback = true;
	cb.drop_b_from_callback = true;
	push_revoke(events, region_a, 1, "a");
	push_revoke(events, region_b, 2, "b");
	assert_int_equal(daxmr_events_push_available(events, 7, "a", 2), 0);
	daxmr_events_deliver(events);
	assert_int_equal(cb.n, 3);
	assert_string_equal(cb.seen[0], "revoke a 7 1 1 500 a");
	assert_string_equal(cb.seen[1], "available 7 a 2");
	assert_string_equal(cb.seen[2], "disconnect -104");
	/* the event a callback queued set the eventfd again: one spurious wakeup, nothing more */
	assert_true(readable(daxmr_events_fd(events)));
	daxmr_events_deliver(events);
	assert_int_equal(cb.n, 3);
	assert_false(readable(daxmr_events_fd(events)));
}

/* Without callbacks the events are consumed silently; cleared callbacks likewise. */
static void events_deliver__no_callbacks(void **state)
{
	struct daxmr_events *events = *state;

	daxmr_events_set_callbacks(events, NULL, NULL);
	push_revoke(events, region_a, 1, "a");
	assert_int_equal(daxmr_events_push_disconnect(events, -EIO), 0);
	daxmr_events_deliver(events);
	assert_int_equal(cb.n, 0);
	assert_false(readable(daxmr_events_fd(events)));
}

/* Events still queued at delete are freed (ASan would report them otherwise). */
static void events_delete__frees_queued(void **state)
{
	struct daxmr_events *events = *state;

	push_revoke(events, region_a, 1, "a");
	assert_int_equal(daxmr_events_push_available(events, 7, "a", 2), 0);
	assert_int_equal(cb.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(events_deliver__in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(events_drop_region__only_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(events_deliver__callbacks_queue_and_drop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(events_deliver__no_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(events_delete__frees_queued, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
