/* SPDX-License-Identifier: BSD-3-Clause */
/* window_test.c -- unit tests of window: the slots' state machine over a fake device */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "window.h"
#include "wrid.h"

#define KIND 2
#define MAX_WR 128

static struct {
	struct ibv_mw mws[DAXMR_WINDOW_SLOTS + 1];
	bool live[DAXMR_WINDOW_SLOTS + 1];
	int nlive, alloc_errno, post_err, dealloc_err, window_failed, acks;
	struct ibv_send_wr wr[MAX_WR];
	unsigned int nwr;
	struct daxmr_export *acked_exp;
	uint64_t acked_gen;
} m;

static struct ibv_context fake_ctx;
static struct ibv_pd fake_pd = { .context = &fake_ctx };
static struct ibv_qp fake_qp = { .context = &fake_ctx };
static int exp_a, exp_b; /* stand-ins for two exports: only their addresses are used */
#define EXP_A ((struct daxmr_export *)(void *)&exp_a)
#define EXP_B ((struct daxmr_export *)(void *)&exp_b)
static int owner1, owner2;

void __wrap_daxmr_export_window_failed(struct daxmr_export *exp, const char *why);
const char *__wrap_daxmr_export_name(const struct daxmr_export *exp);

/* The stand-ins' names, for the log lines. */
const char *__wrap_daxmr_export_name(const struct daxmr_export *exp)
{
	return exp == EXP_A ? "a" : "b";
}

void __wrap_daxmr_export_window_failed(struct daxmr_export *exp, const char *why)
{
	(void)exp;
	assert_non_null(why);
	m.window_failed++;
}

static struct ibv_mw *fake_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type)
{
	unsigned int i;

	assert_ptr_equal(pd, &fake_pd);
	assert_int_equal(type, IBV_MW_TYPE_2);
	if (m.alloc_errno) {
		errno = m.alloc_errno;
		return NULL;
	}
	for (i = 0; i < DAXMR_WINDOW_SLOTS + 1; i++)
		if (!m.live[i]) {
			m.live[i] = true;
			m.nlive++;
			m.mws[i].context = &fake_ctx;
			m.mws[i].rkey = 0x100u * (i + 1);
			return &m.mws[i];
		}
	fail_msg("too many windows");
	return NULL;
}

static int fake_dealloc_mw(struct ibv_mw *mw)
{
	unsigned int i = (unsigned int)(mw - m.mws);

	assert_true(i < DAXMR_WINDOW_SLOTS + 1 && m.live[i]);
	m.live[i] = false;
	m.nlive--;
	return m.dealloc_err;
}

static int fake_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad)
{
	assert_ptr_equal(qp, &fake_qp);
	if (m.post_err) {
		*bad = wr;
		return m.post_err;
	}
	assert_true(m.nwr < MAX_WR);
	m.wr[m.nwr++] = *wr;
	return 0;
}

static void on_ack(void *arg, struct daxmr_export *exp, uint64_t gen)
{
	assert_ptr_equal(arg, &m);
	m.acks++;
	m.acked_exp = exp;
	m.acked_gen = gen;
}

static struct daxmr_window_set ws;

static int setup(void **state)
{
	(void)state;
	memset(&m, 0, sizeof(m));
	fake_ctx.ops.alloc_mw = fake_alloc_mw;
	fake_ctx.ops.dealloc_mw = fake_dealloc_mw;
	fake_ctx.ops.post_send = fake_post_send;
	daxmr_window_set_init(&ws, &fake_pd, &fake_qp, KIND, "10.0.2.15:40000", "client@test",
			      on_ack, &m);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daxmr_window_drop_all(&ws, false);
	assert_int_equal(m.nlive, 0); /* nothing leaks */
	return 0;
}

/* Binds a window of exp, generation gen, for access; the bind WR is checked. */
static struct daxmr_window *do_bind(struct daxmr_export *exp, uint64_t gen,
				    enum daxmr_proto_access access, uint64_t req_id)
{
	struct daxmr_proto_desc desc = { .export_id = 1, .generation = gen, .access = access };
	struct ibv_mw_bind_info bi = { .addr = 0x1000, .length = 4096 };
	struct daxmr_window *w = NULL;
	unsigned int n = m.nwr;

	assert_int_equal(daxmr_window_queue(&ws, exp, req_id, &desc, 1, &w), 0);
	assert_non_null(w);
	assert_int_equal(w->state, DAXMR_WINDOW_QUEUED);
	assert_int_equal(m.nwr, n); /* nothing posted until the caller says the queue is idle */
	assert_int_equal(daxmr_window_post_bind(&ws, w, &bi), 0);
	assert_int_equal(w->state, DAXMR_WINDOW_BINDING);
	assert_int_equal(m.nwr, n + 1);
	assert_int_equal(m.wr[n].opcode, IBV_WR_BIND_MW);
	assert_int_equal(daxmr_wrid_kind(m.wr[n].wr_id), KIND);
	assert_ptr_equal(daxmr_window_at(&ws, daxmr_wrid_slot(m.wr[n].wr_id)), w);
	assert_int_equal(m.wr[n].bind_mw.rkey, w->rkey);
	assert_int_equal(w->req_id, req_id);
	return w;
}

/* A bound window of owner. */
static struct daxmr_window *bound(const void *owner, enum daxmr_proto_access access, uint64_t gen)
{
	struct daxmr_window *w = do_bind(EXP_A, gen, access, 7);

	assert_int_equal(daxmr_window_complete(&ws, w, IBV_WC_SUCCESS), 0);
	daxmr_window_attach(&ws, w, owner);
	assert_int_equal(w->state, DAXMR_WINDOW_BOUND);
	return w;
}

static void bind__binding_then_bound_and_found(void **state)
{
	struct daxmr_window *w;

	(void)state;
	w = do_bind(EXP_A, 3, DAXMR_PROTO_ACCESS_RW, 11);
	assert_int_equal(ws.nbinding, 1);
	assert_null(daxmr_window_find(&ws, &owner1, DAXMR_PROTO_ACCESS_RW, 0)); /* not yet bound */
	assert_int_equal(daxmr_window_complete(&ws, w, IBV_WC_SUCCESS), 0);
	assert_int_equal(ws.nbinding, 0);
	daxmr_window_attach(&ws, w, &owner1);
	assert_ptr_equal(daxmr_window_find(&ws, &owner1, DAXMR_PROTO_ACCESS_RW, 0), w);
	assert_null(daxmr_window_find(&ws, &owner1, DAXMR_PROTO_ACCESS_RO, 0));
	assert_null(daxmr_window_find(&ws, &owner2, DAXMR_PROTO_ACCESS_RW, 0));
	assert_int_equal(daxmr_window_count(&ws), 1);
}

static void bind__alloc_mw_fails_slot_free(void **state)
{
	struct daxmr_proto_desc desc = { .export_id = 1, .generation = 1 };
	struct daxmr_window *w = NULL;

	(void)state;
	m.alloc_errno = ENOSYS;
	assert_int_equal(daxmr_window_queue(&ws, EXP_A, 1, &desc, 1, &w), -ENOSYS);
	assert_null(w);
	assert_int_equal(m.window_failed, 1);
	assert_int_equal(ws.slot[0].state, DAXMR_WINDOW_FREE);
	assert_int_equal(ws.nbinding, 0);
}

static void bind__post_send_fails_deallocated(void **state)
{
	struct daxmr_proto_desc desc = { .export_id = 1, .generation = 1 };
	struct ibv_mw_bind_info bi = { 0 };
	struct daxmr_window *w = NULL;

	(void)state;
	m.post_err = ENOMEM;
	assert_int_equal(daxmr_window_queue(&ws, EXP_A, 1, &desc, 1, &w), 0);
	assert_int_equal(ws.nbinding, 1);
	assert_int_equal(daxmr_window_post_bind(&ws, w, &bi), -ENOMEM);
	assert_int_equal(ws.nbinding, 0);
	assert_int_equal(m.window_failed, 1);
	assert_int_equal(m.nlive, 0);
	assert_int_equal(ws.slot[0].state, DAXMR_WINDOW_FREE);
}

static void bind__full_table_ENOBUFS(void **state)
{
	struct daxmr_proto_desc desc = { .export_id = 1, .generation = 1 };
	struct daxmr_window *w = NULL;
	unsigned int i;

	(void)state;
	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++)
		(void)do_bind(EXP_A, 1, DAXMR_PROTO_ACCESS_RO, i);
	assert_int_equal(daxmr_window_queue(&ws, EXP_A, 99, &desc, 1, &w), -ENOBUFS);
	assert_int_equal(m.nlive, DAXMR_WINDOW_SLOTS);
	assert_null(daxmr_window_at(&ws, DAXMR_WINDOW_SLOTS));
}

static void attach__replaces_the_same_access_only(void **state)
{
	struct daxmr_window *ro, *rw, *rw2;
	unsigned int n;

	(void)state;
	ro = bound(&owner1, DAXMR_PROTO_ACCESS_RO, 1);
	rw = bound(&owner1, DAXMR_PROTO_ACCESS_RW, 1);
	rw2 = do_bind(EXP_A, 1, DAXMR_PROTO_ACCESS_RW, 8);
	assert_int_equal(daxmr_window_complete(&ws, rw2, IBV_WC_SUCCESS), 0);
	n = m.nwr;
	daxmr_window_attach(&ws, rw2, &owner1);
	assert_int_equal(m.nwr, n + 1);
	assert_int_equal(m.wr[n].opcode, IBV_WR_LOCAL_INV);
	assert_int_equal(m.wr[n].invalidate_rkey, rw->rkey);
	assert_int_equal(rw->state, DAXMR_WINDOW_INVALIDATING);
	assert_int_equal(ro->state, DAXMR_WINDOW_BOUND);
	assert_ptr_equal(daxmr_window_find(&ws, &owner1, DAXMR_PROTO_ACCESS_RW, 0), rw2);
}

static void cut__ack_rides_the_last_invalidation(void **state)
{
	struct daxmr_window *ro, *rw, *other;

	(void)state;
	ro = bound(&owner1, DAXMR_PROTO_ACCESS_RO, 5);
	rw = bound(&owner1, DAXMR_PROTO_ACCESS_RW, 5);
	other = bound(&owner2, DAXMR_PROTO_ACCESS_RW, 5);
	daxmr_window_cut(&ws, &owner1, true, EXP_B, 5);
	assert_int_equal(ro->state, DAXMR_WINDOW_INVALIDATING);
	assert_int_equal(rw->state, DAXMR_WINDOW_INVALIDATING);
	assert_int_equal(other->state, DAXMR_WINDOW_BOUND);
	assert_int_equal(daxmr_window_complete(&ws, ro, IBV_WC_SUCCESS), 0);
	assert_int_equal(m.acks, 0);
	assert_int_equal(ro->state, DAXMR_WINDOW_FREE);
	assert_int_equal(daxmr_window_complete(&ws, rw, IBV_WC_SUCCESS), 0);
	assert_int_equal(m.acks, 1);
	assert_ptr_equal(m.acked_exp, EXP_B);
	assert_int_equal(m.acked_gen, 5);
	assert_int_equal(daxmr_window_count(&ws), 1);
}

static void cut__nothing_bound_acked_at_once(void **state)
{
	(void)state;
	daxmr_window_cut(&ws, &owner1, true, EXP_A, 1);
	assert_int_equal(m.acks, 1); /* nothing to wait for */
	(void)bound(&owner1, DAXMR_PROTO_ACCESS_RO, 1);
	daxmr_window_cut(&ws, &owner1, false, EXP_A, 1); /* no ack asked for */
	assert_int_equal(m.acks, 1);
}

static void cut__local_inv_post_fails_deallocated_at_once(void **state)
{
	struct daxmr_window *w;

	(void)state;
	w = bound(&owner1, DAXMR_PROTO_ACCESS_RW, 1);
	m.post_err = ENOMEM;
	daxmr_window_cut(&ws, &owner1, true, EXP_A, 1);
	assert_int_equal(w->state, DAXMR_WINDOW_FREE);
	assert_int_equal(m.nlive, 0);
	assert_int_equal(m.acks, 1); /* nothing left in flight: acked at once */
}

static void complete__failed_local_inv_EIO_still_acked(void **state)
{
	struct daxmr_window *w;

	(void)state;
	w = bound(&owner1, DAXMR_PROTO_ACCESS_RW, 1);
	daxmr_window_cut(&ws, &owner1, true, EXP_A, 1);
	assert_int_equal(m.acks, 0);
	assert_int_equal(daxmr_window_complete(&ws, w, IBV_WC_WR_FLUSH_ERR), -EIO);
	assert_int_equal(m.acks, 1);
	assert_int_equal(m.nlive, 0);
}

static void complete__free_slot_EINVAL(void **state)
{
	(void)state;
	assert_int_equal(daxmr_window_complete(&ws, &ws.slot[3], IBV_WC_SUCCESS), -EINVAL);
}

static void drop_all__deallocs_and_reports_acks(void **state)
{
	struct daxmr_window *inv, *b, *binding;
	unsigned int n;

	(void)state;
	inv = bound(&owner1, DAXMR_PROTO_ACCESS_RW, 2);
	b = bound(&owner2, DAXMR_PROTO_ACCESS_RW, 2);
	binding = do_bind(EXP_A, 2, DAXMR_PROTO_ACCESS_RO, 9);
	daxmr_window_cut(&ws, &owner1, true, EXP_A, 2);
	daxmr_window_drop_all(&ws, true);
	assert_int_equal(m.nlive, 0);
	assert_int_equal(m.acks, 1);
	assert_int_equal(b->state, DAXMR_WINDOW_FREE);
	/* slots with a WR out stay until their completion */
	assert_int_equal(inv->state, DAXMR_WINDOW_INVALIDATING);
	assert_int_equal(binding->state, DAXMR_WINDOW_BINDING);
	assert_int_equal(daxmr_window_complete(&ws, inv, IBV_WC_WR_FLUSH_ERR), -EIO);
	assert_int_equal(m.acks, 1); /* reported once */
	/* closed: a new invalidation deallocates at once, no WR */
	assert_int_equal(daxmr_window_complete(&ws, binding, IBV_WC_SUCCESS), 0);
	n = m.nwr;
	daxmr_window_release(&ws, binding);
	assert_int_equal(m.nwr, n);
	assert_int_equal(daxmr_window_count(&ws), 0);
}

static void fence__only_that_exports_windows(void **state)
{
	struct daxmr_window *a, *b, *inv;

	(void)state;
	a = bound(&owner1, DAXMR_PROTO_ACCESS_RW, 1); /* over EXP_A */
	inv = bound(&owner2, DAXMR_PROTO_ACCESS_RW, 1);
	daxmr_window_cut(&ws, &owner2, true, EXP_A, 1);
	b = do_bind(EXP_B, 1, DAXMR_PROTO_ACCESS_RW, 3);
	daxmr_window_fence(&ws, EXP_A);
	assert_int_equal(a->state, DAXMR_WINDOW_FREE);
	assert_int_equal(inv->state, DAXMR_WINDOW_INVALIDATING);
	assert_null(inv->mw);
	assert_false(inv->ack); /* the release is under way: its ack no longer matters */
	assert_non_null(b->mw);
	assert_int_equal(daxmr_window_complete(&ws, inv, IBV_WC_SUCCESS), 0);
	assert_int_equal(m.acks, 0);
	assert_int_equal(daxmr_window_count(&ws), 1);
}

/* Queues a window of exp for OPEN req_id; nothing is posted. */
static struct daxmr_window *queued(struct daxmr_export *exp, uint64_t req_id)
{
	struct daxmr_proto_desc desc = { .export_id = 1,
					 .generation = 4,
					 .access = DAXMR_PROTO_ACCESS_RW };
	struct daxmr_window *w = NULL;
	unsigned int n = m.nwr;

	assert_int_equal(daxmr_window_queue(&ws, exp, req_id, &desc, 1, &w), 0);
	assert_int_equal(w->state, DAXMR_WINDOW_QUEUED);
	assert_int_equal(w->req_id, req_id);
	assert_int_equal(m.nwr, n);
	return w;
}

static void queue__served_oldest_first_and_idle_tracks_wrs(void **state)
{
	struct ibv_mw_bind_info bi = { .addr = 0x1000, .length = 4096 };
	struct daxmr_window *a, *b, *c;

	(void)state;
	assert_null(daxmr_window_next_queued(&ws));
	a = queued(EXP_A, 1);
	b = queued(EXP_B, 2);
	c = queued(EXP_A, 3);
	assert_int_equal(ws.nbinding, 3);
	assert_true(daxmr_window_is_idle(&ws)); /* queued windows have no WR out */
	assert_int_equal(daxmr_window_count(&ws), 3);
	/* the oldest first, even when a later one took a lower slot */
	daxmr_window_release(&ws, a);
	assert_int_equal(ws.nbinding, 2);
	a = queued(EXP_B, 4); /* slot 0 again, queued last */
	assert_ptr_equal(daxmr_window_next_queued(&ws), b);
	assert_int_equal(daxmr_window_post_bind(&ws, b, &bi), 0);
	assert_false(daxmr_window_is_idle(&ws));
	assert_int_equal(m.wr[m.nwr - 1].opcode, IBV_WR_BIND_MW);
	assert_int_equal(m.wr[m.nwr - 1].bind_mw.rkey, b->rkey);
	assert_ptr_equal(daxmr_window_next_queued(&ws), c);
	assert_int_equal(daxmr_window_complete(&ws, b, IBV_WC_SUCCESS), 0);
	daxmr_window_attach(&ws, b, &owner1);
	assert_true(daxmr_window_is_idle(&ws));
	assert_int_equal(ws.nbinding, 2);
	assert_ptr_equal(daxmr_window_next_queued(&ws), c);
	assert_int_equal(daxmr_window_post_bind(&ws, c, &bi), 0);
	assert_ptr_equal(daxmr_window_next_queued(&ws), a);
	/* a LOCAL_INV out is as busy as a bind */
	assert_int_equal(daxmr_window_complete(&ws, c, IBV_WC_SUCCESS), 0);
	daxmr_window_attach(&ws, c, &owner2);
	daxmr_window_cut(&ws, &owner1, false, EXP_B, 4);
	assert_int_equal(b->state, DAXMR_WINDOW_INVALIDATING);
	assert_false(daxmr_window_is_idle(&ws));
	assert_int_equal(daxmr_window_complete(&ws, b, IBV_WC_SUCCESS), 0);
	assert_true(daxmr_window_is_idle(&ws));
}

static void queue__cut_and_complete_leave_queued_alone(void **state)
{
	struct daxmr_window *q = queued(EXP_A, 1);

	(void)state;
	daxmr_window_cut(&ws, &owner1, true, EXP_A, 4); /* nothing bound: acked at once */
	assert_int_equal(m.acks, 1);
	assert_int_equal(q->state, DAXMR_WINDOW_QUEUED);
	assert_int_equal(daxmr_window_complete(&ws, q, IBV_WC_SUCCESS), -EINVAL); /* no WR out */
	assert_int_equal(q->state, DAXMR_WINDOW_QUEUED);
	assert_int_equal(ws.nbinding, 1);
}

static void queue__fence_drops_that_exports_queued(void **state)
{
	struct daxmr_window *a, *b;

	(void)state;
	a = queued(EXP_A, 1);
	b = queued(EXP_B, 2);
	daxmr_window_fence(&ws, EXP_A);
	assert_int_equal(a->state, DAXMR_WINDOW_FREE);
	assert_int_equal(b->state, DAXMR_WINDOW_QUEUED);
	assert_int_equal(ws.nbinding, 1);
	assert_int_equal(m.nlive, 1);
	assert_ptr_equal(daxmr_window_next_queued(&ws), b);
}

static void queue__drop_all_frees_queued(void **state)
{
	(void)state;
	(void)queued(EXP_A, 1);
	(void)queued(EXP_B, 2);
	assert_int_equal(m.nlive, 2);
	daxmr_window_drop_all(&ws, true);
	assert_int_equal(m.nlive, 0);
	assert_int_equal(ws.nbinding, 0);
	assert_null(daxmr_window_next_queued(&ws));
	assert_int_equal(m.acks, 0);
	assert_int_equal(m.nwr, 0); /* never posted */
}

static void queue__full_ENOBUFS_and_a_release_frees_one(void **state)
{
	struct daxmr_proto_desc desc = { .export_id = 1, .generation = 4 };
	struct daxmr_window *w = NULL, *first = NULL;
	unsigned int i;

	(void)state;
	for (i = 0; i < DAXMR_WINDOW_SLOTS; i++) {
		w = queued(EXP_A, i);
		first = first ? first : w;
	}
	assert_int_equal(ws.nbinding, DAXMR_WINDOW_SLOTS);
	w = NULL;
	assert_int_equal(daxmr_window_queue(&ws, EXP_A, 99, &desc, 1, &w), -ENOBUFS);
	assert_null(w);
	daxmr_window_release(&ws, first);
	assert_int_equal(daxmr_window_queue(&ws, EXP_A, 99, &desc, 1, &w), 0);
	assert_ptr_equal(w, first);
}

static void state_str__all(void **state)
{
	(void)state;
	assert_string_equal(daxmr_window_state_str(DAXMR_WINDOW_FREE), "free");
	assert_string_equal(daxmr_window_state_str(DAXMR_WINDOW_QUEUED), "queued");
	assert_string_equal(daxmr_window_state_str(DAXMR_WINDOW_BINDING), "binding");
	assert_string_equal(daxmr_window_state_str(DAXMR_WINDOW_BOUND), "bound");
	assert_string_equal(daxmr_window_state_str(DAXMR_WINDOW_INVALIDATING), "invalidating");
	assert_string_equal(daxmr_window_state_str((enum daxmr_window_state)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(bind__binding_then_bound_and_found),
		T(bind__alloc_mw_fails_slot_free),
		T(bind__post_send_fails_deallocated),
		T(bind__full_table_ENOBUFS),
		T(attach__replaces_the_same_access_only),
		T(cut__ack_rides_the_last_invalidation),
		T(cut__nothing_bound_acked_at_once),
		T(cut__local_inv_post_fails_deallocated_at_once),
		T(complete__failed_local_inv_EIO_still_acked),
		T(complete__free_slot_EINVAL),
		T(drop_all__deallocs_and_reports_acks),
		T(fence__only_that_exports_windows),
		T(queue__served_oldest_first_and_idle_tracks_wrs),
		T(queue__cut_and_complete_leave_queued_alone),
		T(queue__fence_drops_that_exports_queued),
		T(queue__drop_all_frees_queued),
		T(queue__full_ENOBUFS_and_a_release_frees_one),
		T(state_str__all),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
