/* SPDX-License-Identifier: BSD-3-Clause */
/* revoke_test.c -- unit tests of revoke: transitions, acks, ack budget, watchdog, timings */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "revoke.h"

/* The fake export and the server's side; zeroed before every test. */
static struct {
	enum daxmr_export_state state;
	uint64_t gen;
	int release_err;
	int releases;
	unsigned int holders; /* what notify reports */
	uint32_t deadline_ms; /* what notify was given */
	enum daxmr_proto_revoke_reason reason;
	int notifies;
	int released_calls;
	uint64_t now;		 /* the injected clock, us */
	uint64_t notify_cost_us; /* notify advances the clock by this */
	uint64_t fence_cost_us;	 /* and fence by this */
	struct daxmr_revoke *rv;
	bool ack_in_notify; /* misbehave: ack from inside notify */
	int fences;	    /* ops.fence calls: each must come right before its release */
	bool rv_fence;	    /* the pipeline under test has a fence op */
} m;

static struct daxmr_export *const fake_exp = (struct daxmr_export *)0x1000;

int __wrap_daxmr_export_revoke_begin(struct daxmr_export *exp);
int __wrap_daxmr_export_release(struct daxmr_export *exp);
uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp);
const char *__wrap_daxmr_export_name(const struct daxmr_export *exp);
const struct daxmr_export_times *__wrap_daxmr_export_times(const struct daxmr_export *exp);

int __wrap_daxmr_export_revoke_begin(struct daxmr_export *exp)
{
	assert_ptr_equal(exp, fake_exp);
	if (m.state != DAXMR_EXPORT_AVAILABLE)
		return -EBUSY;
	m.state = DAXMR_EXPORT_REVOKING;
	return 0;
}

int __wrap_daxmr_export_release(struct daxmr_export *exp)
{
	assert_ptr_equal(exp, fake_exp);
	assert_int_equal(m.state, DAXMR_EXPORT_REVOKING);
	/* the windows over the MR were fenced before the dereg, on every path */
	if (m.rv_fence)
		assert_int_equal(m.fences, m.releases + 1);
	m.state = DAXMR_EXPORT_RELEASED;
	m.releases++;
	return m.release_err;
}

uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp)
{
	(void)exp;
	return m.gen;
}

const char *__wrap_daxmr_export_name(const struct daxmr_export *exp)
{
	(void)exp;
	return "t";
}

const struct daxmr_export_times *__wrap_daxmr_export_times(const struct daxmr_export *exp)
{
	static const struct daxmr_export_times times = { .dereg_us = 1, .unmap_us = 2,
							 .unlock_us = 3 };

	assert_ptr_equal(exp, fake_exp);
	return &times;
}

static unsigned int fake_notify(void *arg, struct daxmr_export *exp, uint64_t gen,
				enum daxmr_proto_revoke_reason reason, uint32_t deadline_ms)
{
	(void)arg;
	assert_ptr_equal(exp, fake_exp);
	assert_int_equal(gen, m.gen);
	m.notifies++;
	m.reason = reason;
	m.deadline_ms = deadline_ms;
	m.now += m.notify_cost_us;
	if (m.ack_in_notify)
		daxmr_revoke_ack(m.rv, gen); /* must be harmless: nothing counted yet */
	return m.holders;
}

static void fake_released(void *arg, struct daxmr_export *exp,
			  enum daxmr_proto_revoke_reason reason)
{
	(void)arg;
	(void)reason;
	assert_ptr_equal(exp, fake_exp);
	assert_int_equal(m.state, DAXMR_EXPORT_RELEASED);
	m.released_calls++;
}

static void fake_fence(void *arg, struct daxmr_export *exp)
{
	(void)arg;
	assert_ptr_equal(exp, fake_exp);
	assert_int_equal(m.state, DAXMR_EXPORT_REVOKING); /* still registered */
	assert_int_equal(m.fences, m.releases);
	m.fences++;
	m.now += m.fence_cost_us;
}

static uint64_t fake_now(void *arg)
{
	(void)arg;
	return m.now;
}

static const struct daxmr_revoke_ops ops = {
	.notify = fake_notify, .fence = fake_fence, .released = fake_released, .now_us = fake_now
};

struct fixture {
	struct event_base *base;
	struct daxmr_revoke *rv;
};

static int setup_with(void **state, unsigned int budget, unsigned int watchdog)
{
	struct daxmr_revoke_opts opts = { .ack_budget_ms = budget,
					  .watchdog_ms = watchdog,
					  .break_time_ms = 45000 };
	static struct fixture f;

	memset(&m, 0, sizeof(m));
	m.state = DAXMR_EXPORT_AVAILABLE;
	m.gen = 7;
	m.now = 1000000;
	f.base = event_base_new();
	assert_non_null(f.base);
	assert_int_equal(daxmr_revoke_new(f.base, fake_exp, &opts, &ops, NULL, &f.rv), 0);
	m.rv = f.rv;
	m.rv_fence = true;
	*state = &f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 1000, 1250);
}

static int setup_short_budget(void **state)
{
	return setup_with(state, 20, 5000);
}

static int setup_short_watchdog(void **state)
{
	return setup_with(state, 5000, 20);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(daxmr_revoke_delete(&f->rv), 0);
	assert_null(f->rv);
	event_base_free(f->base);
	return 0;
}

/* Runs the loop until the export is released or 3 s pass. */
static void run_until_released(struct fixture *f)
{
	struct timeval tv = { .tv_sec = 3 };

	event_base_loopexit(f->base, &tv);
	while (m.released_calls == 0 && !event_base_got_exit(f->base))
		event_base_loop(f->base, EVLOOP_ONCE);
}

static void opts_default__T45s(void **state)
{
	struct daxmr_revoke_opts o;

	(void)state;
	daxmr_revoke_opts_default(45000, -1, &o);
	assert_int_equal(o.ack_budget_ms, 1000);
	assert_int_equal(o.watchdog_ms, 1250);
	assert_int_equal(daxmr_revoke_deadline_ms(&o), 1000);
}

static void opts_default__short_break_time(void **state)
{
	struct daxmr_revoke_opts o;

	(void)state;
	daxmr_revoke_opts_default(1000, -1, &o); /* T/4 = 250, W = min(500, 500) */
	assert_int_equal(o.ack_budget_ms, 250);
	assert_int_equal(o.watchdog_ms, 500);
	daxmr_revoke_opts_default(0, -1, &o);
	assert_int_equal(o.ack_budget_ms, 0);
	assert_int_equal(o.watchdog_ms, 0);
}

static void opts_default__budget_past_half_T(void **state)
{
	struct daxmr_revoke_opts o;

	(void)state;
	daxmr_revoke_opts_default(45000, 30000, &o);
	assert_int_equal(o.ack_budget_ms, 30000);
	assert_int_equal(o.watchdog_ms, 22500); /* the watchdog stays at T/2 */
	assert_int_equal(daxmr_revoke_deadline_ms(&o), 22500);
	daxmr_revoke_opts_default(45000, 0, &o);
	assert_int_equal(o.ack_budget_ms, 0);
	assert_int_equal(o.watchdog_ms, 250);
}

static void new__bad_args(void **state)
{
	struct daxmr_revoke_opts o = { 0 };
	struct daxmr_revoke_ops no_notify = { 0 };
	struct daxmr_revoke *rv = NULL;
	struct fixture *f = *state;

	assert_int_equal(daxmr_revoke_new(NULL, fake_exp, &o, &ops, NULL, &rv), -EINVAL);
	assert_int_equal(daxmr_revoke_new(f->base, fake_exp, &o, &no_notify, NULL, &rv), -EINVAL);
	assert_null(rv);
	assert_int_equal(daxmr_revoke_delete(NULL), 0);
	assert_int_equal(daxmr_revoke_delete(&rv), 0);
}

static void start__no_holders_releases_at_once(void **state)
{
	struct fixture *f = *state;
	const struct daxmr_revoke_report *r;

	m.holders = 0;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_SHUTDOWN), 0);
	assert_int_equal(m.state, DAXMR_EXPORT_RELEASED);
	assert_int_equal(m.released_calls, 1);
	assert_false(daxmr_revoke_active(f->rv));
	r = daxmr_revoke_last(f->rv);
	assert_string_equal(r->cause, "no holders");
	assert_int_equal(r->generation, 7);
	assert_int_equal(r->reason, DAXMR_PROTO_REVOKE_SHUTDOWN);
	assert_int_equal(m.reason, DAXMR_PROTO_REVOKE_SHUTDOWN);
	assert_int_equal(m.deadline_ms, 1000);
}

static void start__not_available_EBUSY(void **state)
{
	struct fixture *f = *state;

	m.state = DAXMR_EXPORT_UNAVAILABLE;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), -EBUSY);
	assert_int_equal(m.notifies, 0);
	assert_false(daxmr_revoke_active(f->rv));
}

static void start__twice_EBUSY(void **state)
{
	struct fixture *f = *state;

	m.holders = 1;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	assert_true(daxmr_revoke_active(f->rv));
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_SHUTDOWN), -EBUSY);
	assert_int_equal(m.notifies, 1);
	daxmr_revoke_ack(f->rv, 7);
	assert_int_equal(m.released_calls, 1);
}

static void ack__all_acked_releases_with_timings(void **state)
{
	struct fixture *f = *state;
	const struct daxmr_revoke_report *r;

	m.holders = 2;
	m.notify_cost_us = 500;
	m.fence_cost_us = 200;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	assert_int_equal(m.state, DAXMR_EXPORT_REVOKING);
	m.now += 1500;
	daxmr_revoke_ack(f->rv, 7);
	assert_int_equal(m.released_calls, 0);
	assert_int_equal(m.state, DAXMR_EXPORT_REVOKING);
	m.now += 3000;
	daxmr_revoke_ack(f->rv, 7);
	assert_int_equal(m.released_calls, 1);
	r = daxmr_revoke_last(f->rv);
	assert_string_equal(r->cause, "all acked");
	assert_int_equal(r->holders, 2);
	assert_int_equal(r->acked, 2);
	assert_int_equal(r->sent_us, 500);
	assert_int_equal(r->last_ack_us, 5000);
	assert_int_equal(r->fenced_us, 5200); /* the fence's time is its own */
	assert_int_equal(r->released_us, 5200);
	assert_int_equal(r->release_err, 0);
}

static void ack__other_generation_ignored(void **state)
{
	struct fixture *f = *state;

	m.holders = 1;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	daxmr_revoke_ack(f->rv, 6);
	daxmr_revoke_ack(f->rv, 8);
	assert_int_equal(m.released_calls, 0);
	daxmr_revoke_ack(f->rv, 7);
	assert_int_equal(m.released_calls, 1);
}

static void ack__when_idle_or_late_ignored(void **state)
{
	struct fixture *f = *state;

	daxmr_revoke_ack(f->rv, 7); /* nothing runs */
	assert_int_equal(m.releases, 0);
	m.holders = 1;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	daxmr_revoke_ack(f->rv, 7);
	daxmr_revoke_ack(f->rv, 7); /* late duplicate */
	assert_int_equal(m.releases, 1);
	assert_int_equal(m.released_calls, 1);
}

static void ack__inside_notify_does_not_release_early(void **state)
{
	struct fixture *f = *state;

	m.holders = 2;
	m.ack_in_notify = true;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	/* an ack before the count is known is not lost, but cannot finish the revocation alone */
	assert_int_equal(m.released_calls, 0);
	assert_int_equal(m.state, DAXMR_EXPORT_REVOKING);
	daxmr_revoke_ack(f->rv, 7);
	assert_int_equal(m.released_calls, 1);
	assert_int_equal(daxmr_revoke_last(f->rv)->acked, 2);
	assert_int_equal(m.releases, 1);
}

static void budget__fires_releases(void **state)
{
	struct fixture *f = *state;
	const struct daxmr_revoke_report *r;

	m.holders = 3;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	assert_int_equal(m.deadline_ms, 20);
	daxmr_revoke_ack(f->rv, 7);
	run_until_released(f);
	assert_int_equal(m.released_calls, 1);
	r = daxmr_revoke_last(f->rv);
	assert_string_equal(r->cause, "ack budget");
	assert_int_equal(m.fences, 1); /* unacked holders' windows went before the dereg */
	assert_int_equal(r->holders, 3);
	assert_int_equal(r->acked, 1);
	assert_int_equal(m.state, DAXMR_EXPORT_RELEASED);
}

static void watchdog__fires_before_a_long_budget(void **state)
{
	struct fixture *f = *state;

	m.holders = 1;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	assert_int_equal(m.deadline_ms, 20); /* clients are told the watchdog, not the budget */
	run_until_released(f);
	assert_int_equal(m.released_calls, 1);
	assert_string_equal(daxmr_revoke_last(f->rv)->cause, "watchdog");
}

static void timers__disarmed_after_all_acked(void **state)
{
	struct fixture *f = *state;
	struct timeval tv = { .tv_usec = 100000 };

	m.holders = 1;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	daxmr_revoke_ack(f->rv, 7);
	assert_int_equal(m.releases, 1);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(m.releases, 1); /* the 20 ms budget did not fire afterwards */
	assert_int_equal(m.released_calls, 1);
}

static void release__error_still_released(void **state)
{
	struct fixture *f = *state;

	m.holders = 0;
	m.release_err = -EIO;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	assert_int_equal(m.released_calls, 1);
	assert_int_equal(daxmr_revoke_last(f->rv)->release_err, -EIO);
	assert_false(daxmr_revoke_active(f->rv));
}

static void restart__next_generation(void **state)
{
	struct fixture *f = *state;

	m.holders = 0;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	m.state = DAXMR_EXPORT_AVAILABLE; /* re-established */
	m.gen = 8;
	m.holders = 1;
	assert_int_equal(daxmr_revoke_start(f->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK), 0);
	daxmr_revoke_ack(f->rv, 7); /* the old generation's late ack */
	assert_int_equal(m.released_calls, 1);
	daxmr_revoke_ack(f->rv, 8);
	assert_int_equal(m.released_calls, 2);
	assert_int_equal(daxmr_revoke_last(f->rv)->generation, 8);
}

static void fence__optional(void **state)
{
	struct daxmr_revoke_opts opts = { .ack_budget_ms = 100,
					  .watchdog_ms = 200,
					  .break_time_ms = 45000 };
	struct daxmr_revoke_ops no_fence = ops;
	struct event_base *base = event_base_new();
	struct daxmr_revoke *rv = NULL;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.state = DAXMR_EXPORT_AVAILABLE;
	m.gen = 3;
	no_fence.fence = NULL;
	assert_int_equal(daxmr_revoke_new(base, fake_exp, &opts, &no_fence, NULL, &rv), 0);
	m.rv = rv;
	assert_int_equal(daxmr_revoke_start(rv, DAXMR_PROTO_REVOKE_ADMIN), 0); /* no holders */
	assert_int_equal(m.releases, 1);
	assert_int_equal(m.fences, 0);
	daxmr_revoke_delete(&rv);
	event_base_free(base);
}

static void reason_str__all(void **state)
{
	(void)state;
	assert_string_equal(daxmr_revoke_reason_str(DAXMR_PROTO_REVOKE_LEASE_BREAK), "lease-break");
	assert_string_equal(daxmr_revoke_reason_str(DAXMR_PROTO_REVOKE_SHUTDOWN), "shutdown");
	assert_string_equal(daxmr_revoke_reason_str(DAXMR_PROTO_REVOKE_ADMIN), "admin");
	assert_string_equal(daxmr_revoke_reason_str(DAXMR_PROTO_REVOKE_ERROR), "error");
	assert_string_equal(daxmr_revoke_reason_str((enum daxmr_proto_revoke_reason)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opts_default__T45s),
		cmocka_unit_test(opts_default__short_break_time),
		cmocka_unit_test(opts_default__budget_past_half_T),
		cmocka_unit_test(reason_str__all),
		cmocka_unit_test(fence__optional),
		cmocka_unit_test_setup_teardown(new__bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(start__no_holders_releases_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(start__not_available_EBUSY, setup, teardown),
		cmocka_unit_test_setup_teardown(start__twice_EBUSY, setup, teardown),
		cmocka_unit_test_setup_teardown(ack__all_acked_releases_with_timings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ack__other_generation_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(ack__when_idle_or_late_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(ack__inside_notify_does_not_release_early, setup,
						teardown),
		cmocka_unit_test_setup_teardown(budget__fires_releases, setup_short_budget,
						teardown),
		cmocka_unit_test_setup_teardown(watchdog__fires_before_a_long_budget,
						setup_short_watchdog, teardown),
		cmocka_unit_test_setup_teardown(timers__disarmed_after_all_acked,
						setup_short_budget, teardown),
		cmocka_unit_test_setup_teardown(release__error_still_released, setup, teardown),
		cmocka_unit_test_setup_teardown(restart__next_generation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
