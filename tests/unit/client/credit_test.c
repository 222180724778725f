/* SPDX-License-Identifier: BSD-3-Clause */
/* credit_test.c -- credit: the receives docs/protocol.md makes a client keep posted, step by step */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "credit.h"

#define S DAXMR_CREDIT_SLACK

/* Before HELLO: only the slack; HELLO itself needs one receive for its reply. */
static void credit__hello(void **state)
{
	struct daxmr_credit c;

	(void)state;
	daxmr_credit_init(&c, 4);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S);
	assert_int_equal(daxmr_credit_recvs_before_send(&c, false), S + 1);
	assert_true(daxmr_credit_can_send(&c));
	daxmr_credit_on_send(&c, false);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S + 1);
	daxmr_credit_on_reply(&c, false, false);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S);
}

/* OPEN posts two (reply + the descriptor's REVOKE); after OK one stays for the descriptor. */
static void credit__open_ok(void **state)
{
	struct daxmr_credit c;

	(void)state;
	daxmr_credit_init(&c, 1);
	assert_int_equal(daxmr_credit_recvs_before_send(&c, true), S + 2);
	daxmr_credit_on_send(&c, true);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S + 2);
	assert_false(daxmr_credit_can_send(&c)); /* credits 1: one request at a time */
	daxmr_credit_on_reply(&c, true, true);
	assert_int_equal(c.held, 1);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S + 1);
	assert_true(daxmr_credit_can_send(&c));
}

/* A failed OPEN holds nothing. */
static void credit__open_refused(void **state)
{
	struct daxmr_credit c;

	(void)state;
	daxmr_credit_init(&c, 2);
	daxmr_credit_on_send(&c, true);
	daxmr_credit_on_reply(&c, true, false);
	assert_int_equal(c.held, 0);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S);
}

/* REVOKE: the descriptor's receive is reposted and kept until AVAILABLE. */
static void credit__revoke_then_available(void **state)
{
	struct daxmr_credit c;

	(void)state;
	daxmr_credit_init(&c, 2);
	daxmr_credit_on_send(&c, true);
	daxmr_credit_on_reply(&c, true, true);
	daxmr_credit_on_revoke(&c);
	assert_int_equal(c.held, 0);
	assert_int_equal(c.revoked, 1);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S + 1);
	daxmr_credit_on_available(&c);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S);
}

/* CLOSE of a revoked descriptor ends the AVAILABLE owed; CLOSE of a held one its REVOKE. */
static void credit__close(void **state)
{
	struct daxmr_credit c;

	(void)state;
	daxmr_credit_init(&c, 2);
	daxmr_credit_on_send(&c, true);
	daxmr_credit_on_reply(&c, true, true);
	daxmr_credit_on_send(&c, true);
	daxmr_credit_on_reply(&c, true, true);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S + 2);
	daxmr_credit_on_revoke(&c);
	/* a CLOSE request in flight needs its reply's receive on top */
	assert_int_equal(daxmr_credit_recvs_before_send(&c, false), S + 3);
	daxmr_credit_on_close(&c, true);
	assert_int_equal(c.revoked, 0);
	assert_int_equal(c.held, 1);
	daxmr_credit_on_close(&c, false);
	assert_int_equal(daxmr_credit_recvs_needed(&c), S);
}

/* Counters never wrap below zero, whatever order a confused caller reports things in. */
static void credit__no_underflow(void **state)
{
	struct daxmr_credit c;

	(void)state;
	daxmr_credit_init(&c, 1);
	daxmr_credit_on_reply(&c, true, false);
	daxmr_credit_on_available(&c);
	daxmr_credit_on_close(&c, false);
	daxmr_credit_on_close(&c, true);
	assert_int_equal(c.outstanding, 0);
	assert_int_equal(c.opens, 0);
	assert_int_equal(c.held, 0);
	assert_int_equal(c.revoked, 0);
	daxmr_credit_on_revoke(&c); /* a REVOKE of nothing held still owes its AVAILABLE */
	assert_int_equal(c.revoked, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(credit__hello),
		cmocka_unit_test(credit__open_ok),
		cmocka_unit_test(credit__open_refused),
		cmocka_unit_test(credit__revoke_then_available),
		cmocka_unit_test(credit__close),
		cmocka_unit_test(credit__no_underflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
