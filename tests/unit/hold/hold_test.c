/* SPDX-License-Identifier: BSD-3-Clause */
/* hold_test.c -- unit tests of hold: the descriptors' state machine and when acks are reported */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hold.h"

static struct {
	int acks, posts, deallocs, post_err;
	struct daxmr_export *acked_exp;
	uint64_t acked_gen;
} m;

static struct ibv_context fake_ctx;
static struct ibv_qp fake_qp = { .context = &fake_ctx };
static struct ibv_mw fake_mw = { .context = &fake_ctx, .rkey = 0x42 };
static int exp_a; /* a stand-in export: only its address is used */
#define EXP_A ((struct daxmr_export *)(void *)&exp_a)

static struct daxmr_window_set ws;
static struct daxmr_hold_set hs;

static int fake_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad)
{
	assert_ptr_equal(qp, &fake_qp);
	assert_int_equal(wr->opcode, IBV_WR_LOCAL_INV);
	if (m.post_err) {
		*bad = wr;
		return m.post_err;
	}
	m.posts++;
	return 0;
}

static int fake_dealloc_mw(struct ibv_mw *mw)
{
	assert_ptr_equal(mw, &fake_mw);
	m.deallocs++;
	return 0;
}

static void on_ack(void *arg, struct daxmr_export *exp, uint64_t gen)
{
	assert_ptr_equal(arg, &m);
	m.acks++;
	m.acked_exp = exp;
	m.acked_gen = gen;
}

static int setup(void **state)
{
	(void)state;
	memset(&m, 0, sizeof(m));
	fake_ctx.ops.post_send = fake_post_send;
	fake_ctx.ops.dealloc_mw = fake_dealloc_mw;
	daxmr_window_set_init(&ws, NULL, &fake_qp, 2, "10.0.2.15:40000", "client@test", on_ack, &m);
	daxmr_hold_set_init(&hs, &ws, on_ack, &m);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daxmr_hold_drop_all(&hs);
	assert_int_equal(hs.n, 0);
	assert_int_equal(hs.revokes_unacked, 0);
	return 0;
}

/* Records an OPEN of EXP_A (export 1) at generation gen with access. */
static struct daxmr_hold *record(uint64_t gen, enum daxmr_proto_access access,
				 struct daxmr_window *w)
{
	struct daxmr_proto_desc desc = { .export_id = 1, .generation = gen, .access = access };

	assert_int_equal(daxmr_hold_record(&hs, EXP_A, &desc, w), 0);
	return daxmr_hold_find(&hs, 1);
}

/* A window as a completed bind leaves it, over EXP_A, ready to be attached. */
static struct daxmr_window *bound_window(enum daxmr_proto_access access)
{
	struct daxmr_window *w = &ws.slot[0];

	memset(w, 0, sizeof(*w));
	w->state = DAXMR_WINDOW_BINDING;
	w->mw = &fake_mw;
	w->exp = EXP_A;
	w->rkey = 0x43;
	w->access = access;
	return w;
}

static void record__new_then_reopened(void **state)
{
	struct daxmr_hold *h;

	(void)state;
	h = record(1, DAXMR_PROTO_ACCESS_RW, NULL);
	assert_non_null(h);
	assert_int_equal(hs.n, 1);
	assert_int_equal(h->state, DAXMR_HOLD_HELD);
	assert_int_equal(h->access, DAXMR_PROTO_ACCESS_RW);
	/* a ro re-OPEN of the same generation keeps the rw key valid */
	assert_ptr_equal(record(1, DAXMR_PROTO_ACCESS_RO, NULL), h);
	assert_int_equal(h->access, DAXMR_PROTO_ACCESS_RW);
	/* a new generation takes the access asked for */
	assert_ptr_equal(record(2, DAXMR_PROTO_ACCESS_RO, NULL), h);
	assert_int_equal(h->access, DAXMR_PROTO_ACCESS_RO);
	assert_int_equal(h->gen, 2);
	assert_int_equal(hs.n, 1);
	assert_null(daxmr_hold_find(&hs, 2));
}

static void record__new_generation_invalidates_old_keys(void **state)
{
	struct daxmr_window *w = bound_window(DAXMR_PROTO_ACCESS_RW);
	struct daxmr_hold *h;

	(void)state;
	h = record(1, DAXMR_PROTO_ACCESS_RW, w);
	assert_int_equal(w->state, DAXMR_WINDOW_BOUND);
	assert_ptr_equal(w->owner, h);
	(void)record(2, DAXMR_PROTO_ACCESS_RW, NULL);
	assert_int_equal(m.posts, 1);
	assert_int_equal(w->state, DAXMR_WINDOW_INVALIDATING);
	assert_int_equal(daxmr_window_complete(&ws, w, IBV_WC_SUCCESS), 0);
	assert_int_equal(m.acks, 0); /* no revocation: no ack */
}

static void revoke__sent_unsent_counted(void **state)
{
	struct daxmr_hold *h = record(1, DAXMR_PROTO_ACCESS_RW, NULL);

	(void)state;
	daxmr_hold_revoke_sent(&hs, h, 77);
	assert_int_equal(h->state, DAXMR_HOLD_REVOKE_SENT);
	assert_int_equal(h->revoke_req_id, 77);
	assert_int_equal(hs.revokes_unacked, 1);
	daxmr_hold_revoke_unsent(&hs, h);
	assert_int_equal(h->state, DAXMR_HOLD_HELD);
	assert_int_equal(hs.revokes_unacked, 0);
}

static void ack__reported_at_once_without_keys(void **state)
{
	struct daxmr_hold *h = record(3, DAXMR_PROTO_ACCESS_RW, NULL);

	(void)state;
	daxmr_hold_revoke_sent(&hs, h, 1);
	daxmr_hold_ack(&hs, h);
	assert_int_equal(h->state, DAXMR_HOLD_REVOKED);
	assert_int_equal(hs.revokes_unacked, 0);
	assert_int_equal(m.acks, 1);
	assert_ptr_equal(m.acked_exp, EXP_A);
	assert_int_equal(m.acked_gen, 3);
}

static void ack__deferred_until_the_key_is_invalidated(void **state)
{
	struct daxmr_window *w = bound_window(DAXMR_PROTO_ACCESS_RW);
	struct daxmr_hold *h = record(1, DAXMR_PROTO_ACCESS_RW, w);

	(void)state;
	daxmr_hold_revoke_sent(&hs, h, 1);
	daxmr_hold_ack(&hs, h);
	assert_int_equal(m.acks, 0);
	assert_int_equal(w->state, DAXMR_WINDOW_INVALIDATING);
	assert_int_equal(daxmr_window_complete(&ws, w, IBV_WC_SUCCESS), 0);
	assert_int_equal(m.acks, 1);
	assert_int_equal(m.deallocs, 1);
}

static void drop__under_revocation_counts_as_ack(void **state)
{
	struct daxmr_hold *h = record(1, DAXMR_PROTO_ACCESS_RW, NULL);

	(void)state;
	daxmr_hold_drop(&hs, record(1, DAXMR_PROTO_ACCESS_RW, NULL)); /* held: no ack */
	assert_int_equal(m.acks, 0);
	h = record(1, DAXMR_PROTO_ACCESS_RW, NULL);
	daxmr_hold_revoke_sent(&hs, h, 1);
	daxmr_hold_drop(&hs, h);
	assert_int_equal(m.acks, 1);
	assert_int_equal(hs.n, 0);
	assert_int_equal(hs.revokes_unacked, 0);
}

static void drop__local_inv_fails_ack_at_once(void **state)
{
	struct daxmr_window *w = bound_window(DAXMR_PROTO_ACCESS_RO);
	struct daxmr_hold *h = record(1, DAXMR_PROTO_ACCESS_RO, w);

	(void)state;
	daxmr_hold_revoke_sent(&hs, h, 1);
	m.post_err = ENOMEM;
	daxmr_hold_drop(&hs, h);
	assert_int_equal(m.deallocs, 1); /* deallocated at once */
	assert_int_equal(m.acks, 1);
}

static void disconnected__every_unacked_acked(void **state)
{
	struct daxmr_hold *h = record(1, DAXMR_PROTO_ACCESS_RW, NULL);

	(void)state;
	daxmr_hold_revoke_sent(&hs, h, 1);
	daxmr_hold_disconnected(&hs);
	assert_int_equal(h->state, DAXMR_HOLD_REVOKED);
	assert_int_equal(m.acks, 1);
	daxmr_hold_disconnected(&hs); /* once */
	assert_int_equal(m.acks, 1);
	assert_int_equal(hs.n, 1);
}

static void drop_revoked__only_an_older_revoked_one(void **state)
{
	struct daxmr_hold *h;

	(void)state;
	assert_int_equal(daxmr_hold_drop_revoked(&hs, 1, 2), -ENOENT); /* none */
	h = record(1, DAXMR_PROTO_ACCESS_RW, NULL);
	assert_int_equal(daxmr_hold_drop_revoked(&hs, 1, 2), -ENOENT); /* held */
	daxmr_hold_revoke_sent(&hs, h, 1);
	assert_int_equal(daxmr_hold_drop_revoked(&hs, 1, 1), -ENOENT); /* same generation */
	/* unacked: dropped, its count too, and no ack reported (the revocation is over) */
	assert_int_equal(daxmr_hold_drop_revoked(&hs, 1, 2), 0);
	assert_int_equal(hs.n, 0);
	assert_int_equal(hs.revokes_unacked, 0);
	assert_int_equal(m.acks, 0);
}

static void record__reopen_under_revocation_is_held(void **state)
{
	struct daxmr_hold *h = record(1, DAXMR_PROTO_ACCESS_RW, NULL);

	(void)state;
	daxmr_hold_revoke_sent(&hs, h, 1);
	assert_ptr_equal(record(2, DAXMR_PROTO_ACCESS_RW, NULL), h);
	assert_int_equal(h->state, DAXMR_HOLD_HELD);
	assert_int_equal(hs.revokes_unacked, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(record__new_then_reopened),
		T(record__new_generation_invalidates_old_keys),
		T(record__reopen_under_revocation_is_held),
		T(revoke__sent_unsent_counted),
		T(ack__reported_at_once_without_keys),
		T(ack__deferred_until_the_key_is_invalidated),
		T(drop__under_revocation_counts_as_ack),
		T(drop__local_inv_fails_ack_at_once),
		T(disconnected__every_unacked_acked),
		T(drop_revoked__only_an_older_revoked_one),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
