/* SPDX-License-Identifier: BSD-3-Clause */
/* revoke.c -- the revocation pipeline of one export and its two deadlines */

/*
 * One revocation (docs/architecture.md, "Revocation timeline"), t = 0 at the lease break:
 *
 *   idle --start--> export REVOKING; REVOKE to every holder (t_sent)
 *          |            |-- no holders ---------------------------------------+
 *          |            v                                                    |
 *          |        waiting --ack x holders------> release  <----------------+
 *          |            |----ack budget B fires--> release
 *          |            `----watchdog W fires----> release
 *          |                                          |
 *          +<---- idle <-- NOTICE line, ops->released <+  (ops->fence: windows left are
 *                                                          deallocated; then export RELEASED:
 *                                                          dereg, munmap, F_UNLCK, close)
 *
 * The ack is a courtesy that lets a client finish cleanly; it is never a condition for the
 * release. W = min(B + 250 ms, T/2) stays far from the kernel's lease-break-time T even when an
 * operator sets a budget that is too long.
 */
#include "revoke.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"

#define REVOKE_WATCHDOG_SLACK_MS 250u
#define REVOKE_BUDGET_MAX_MS 1000u

struct daxmr_revoke {
	struct event_base *base;  /* borrowed */
	struct daxmr_export *exp; /* borrowed: the export this pipeline revokes */
	struct daxmr_revoke_opts opts;
	struct daxmr_revoke_ops ops;
	void *arg;		/* borrowed: for ops */
	struct event *budget;	/* owned: the ack budget timer */
	struct event *watchdog; /* owned: the watchdog timer */
	bool active;
	bool notifying;			/* inside ops.notify: the holder count is not known yet */
	unsigned int early_acks;	/* acks that arrived while notifying */
	uint64_t gen;			/* the generation being revoked */
	uint64_t t0;			/* us: start (the break) */
	struct daxmr_revoke_report cur; /* the revocation in progress */
	struct daxmr_revoke_report last;
};

/* Names of the reasons, as the log and the client's tool say them. */
const char *daxmr_revoke_reason_str(enum daxmr_proto_revoke_reason reason)
{
	switch (reason) {
	case DAXMR_PROTO_REVOKE_LEASE_BREAK:
		return "lease-break";
	case DAXMR_PROTO_REVOKE_SHUTDOWN:
		return "shutdown";
	case DAXMR_PROTO_REVOKE_ADMIN:
		return "admin";
	case DAXMR_PROTO_REVOKE_ERROR:
		return "error";
	}
	return "unknown";
}

/* B = min(1 s, T/4) unless given; W = min(B + 250 ms, T/2). */
void daxmr_revoke_opts_default(unsigned int break_time_ms, int ack_budget_ms,
			       struct daxmr_revoke_opts *opts)
{
	unsigned int b =
		break_time_ms / 4 < REVOKE_BUDGET_MAX_MS ? break_time_ms / 4 : REVOKE_BUDGET_MAX_MS;

	if (ack_budget_ms >= 0)
		b = (unsigned int)ack_budget_ms;
	opts->ack_budget_ms = b;
	opts->watchdog_ms = b + REVOKE_WATCHDOG_SLACK_MS < break_time_ms / 2 ?
				    b + REVOKE_WATCHDOG_SLACK_MS :
				    break_time_ms / 2;
	opts->break_time_ms = break_time_ms;
}

/* What a client is told it has: the budget, cut to the watchdog. */
uint32_t daxmr_revoke_deadline_ms(const struct daxmr_revoke_opts *opts)
{
	return opts->ack_budget_ms < opts->watchdog_ms ? opts->ack_budget_ms : opts->watchdog_ms;
}

/* Monotonic clock, or the injected one. */
static uint64_t revoke_now_us(const struct daxmr_revoke *rv)
{
	if (rv->ops.now_us)
		return rv->ops.now_us(rv->arg);
	return daxmr_clock_us();
}

/* Releases the export, logs the revocation with its timings, hands over to the server. */
static void revoke_finish(struct daxmr_revoke *rv, const char *cause)
{
	struct daxmr_revoke_report *r = &rv->cur;
	const struct daxmr_export_times *t;
	char last_ack[32] = "-";
	uint64_t t_fence;

	evtimer_del(rv->budget);
	evtimer_del(rv->watchdog);
	t_fence = revoke_now_us(rv);
	/* windows first: an MR with windows bound over it cannot be deregistered */
	if (rv->ops.fence)
		rv->ops.fence(rv->arg, rv->exp);
	r->fenced_us = revoke_now_us(rv) - rv->t0;
	r->release_err = daxmr_export_release(rv->exp);
	r->released_us = revoke_now_us(rv) - rv->t0;
	r->cause = cause;
	rv->active = false;
	rv->last = *r;
	if (r->acked)
		snprintf(last_ack, sizeof(last_ack), "%" PRIu64 ".%03" PRIu64 " ms",
			 r->last_ack_us / 1000, r->last_ack_us % 1000);
	DAXMR_LOG_NTC("revoked export %s generation %" PRIu64 ": reason %s, holders %u, acked %u "
		      "(%s); REVOKE sent %" PRIu64 ".%03" PRIu64 " ms, last ack %s, released "
		      "%" PRIu64 ".%03" PRIu64 " ms after the break%s; lease-break-time %u ms",
		      daxmr_export_name(rv->exp), r->generation, daxmr_revoke_reason_str(r->reason),
		      r->holders, r->acked, cause, r->sent_us / 1000, r->sent_us % 1000, last_ack,
		      r->released_us / 1000, r->released_us % 1000,
		      r->release_err ? " (with errors, see above)" : "", rv->opts.break_time_ms);
	/*
	 * where the time went (bench/ops.sh reads it): in us, the first five from the break. A
	 * notice, not an info line: at -v every connection's REVOKE and AVAILABLE is logged too,
	 * which would slow down the very revocation being measured.
	 */
	t = daxmr_export_times(rv->exp);
	DAXMR_LOG_NTC("revocation timings of export %s generation %" PRIu64 ": sent %" PRIu64
		      " us, last ack %" PRIu64 " us, fence start %" PRIu64 " us, fenced %" PRIu64
		      " us, released %" PRIu64 " us; dereg %" PRIu64 " us, munmap %" PRIu64
		      " us, unlock %" PRIu64 " us",
		      daxmr_export_name(rv->exp), r->generation, r->sent_us, r->last_ack_us,
		      t_fence - rv->t0, r->fenced_us, r->released_us, t->dereg_us, t->unmap_us,
		      t->unlock_us);
	daxmr_metrics_revoked(daxmr_revoke_reason_str(r->reason), cause, r->holders, r->last_ack_us,
			      r->released_us, rv->opts.break_time_ms);
	if (rv->ops.released)
		rv->ops.released(rv->arg, rv->exp, r->reason);
}

/* The ack budget ran out: release without the missing acks. */
static void revoke_on_budget(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_revoke *rv = arg;

	(void)fd;
	(void)what;
	if (!rv->active)
		return;
	DAXMR_LOG_WRN("export %s generation %" PRIu64 ": %u of %u holders did not acknowledge "
		      "REVOKE within %u ms: releasing; their keys stop working now",
		      daxmr_export_name(rv->exp), rv->gen, rv->cur.holders - rv->cur.acked,
		      rv->cur.holders, rv->opts.ack_budget_ms);
	revoke_finish(rv, "ack budget");
}

/* The watchdog: whatever else happened, release now, well before lease-break-time. */
static void revoke_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_revoke *rv = arg;

	(void)fd;
	(void)what;
	if (!rv->active)
		return;
	DAXMR_LOG_WRN("export %s generation %" PRIu64 ": watchdog (%u ms) forces the release",
		      daxmr_export_name(rv->exp), rv->gen, rv->opts.watchdog_ms);
	revoke_finish(rv, "watchdog");
}

/* Makes the pipeline and its two timers. */
int daxmr_revoke_new(struct event_base *base, struct daxmr_export *exp,
		     const struct daxmr_revoke_opts *opts, const struct daxmr_revoke_ops *ops,
		     void *arg, struct daxmr_revoke **rv_ptr)
{
	struct daxmr_revoke *rv;

	if (!base || !exp || !opts || !ops || !ops->notify || !rv_ptr)
		return -EINVAL;
	rv = calloc(1, sizeof(*rv));
	if (!rv)
		return -ENOMEM;
	rv->base = base;
	rv->exp = exp;
	rv->opts = *opts;
	rv->ops = *ops;
	rv->arg = arg;
	rv->budget = evtimer_new(base, revoke_on_budget, rv);
	if (!rv->budget)
		goto err_free;
	rv->watchdog = evtimer_new(base, revoke_on_watchdog, rv);
	if (!rv->watchdog)
		goto err_budget;
	*rv_ptr = rv;
	return 0;

err_budget:
	event_free(rv->budget);
err_free:
	DAXMR_LOG_CALL_ERR("evtimer_new", -ENOMEM, "revocation timers of export %s",
			   daxmr_export_name(exp));
	free(rv);
	return -ENOMEM;
}

/* Frees the pipeline. */
int daxmr_revoke_delete(struct daxmr_revoke **rv_ptr)
{
	struct daxmr_revoke *rv;

	if (!rv_ptr || !*rv_ptr)
		return 0;
	rv = *rv_ptr;
	event_free(rv->watchdog);
	event_free(rv->budget);
	free(rv);
	*rv_ptr = NULL;
	return 0;
}

/* Arms a timer for ms milliseconds. */
static int revoke_arm(struct event *ev, unsigned int ms)
{
	struct timeval tv = daxmr_clock_ms_tv(ms);

	/* a timer's event_add fails only when libevent cannot grow its timer heap */
	return event_add(ev, &tv) == 0 ? 0 : -ENOMEM;
}

/* REVOKING, REVOKE to every holder, deadlines armed. */
int daxmr_revoke_start(struct daxmr_revoke *rv, enum daxmr_proto_revoke_reason reason)
{
	int ret;

	if (rv->active)
		return -EBUSY;
	ret = daxmr_export_revoke_begin(rv->exp);
	if (ret)
		return ret;
	rv->active = true;
	rv->t0 = revoke_now_us(rv);
	rv->gen = daxmr_export_generation(rv->exp);
	memset(&rv->cur, 0, sizeof(rv->cur));
	rv->cur.generation = rv->gen;
	rv->cur.reason = reason;
	/* the timers go first: a failure to arm them must not leave a revocation unbounded */
	if (revoke_arm(rv->watchdog, rv->opts.watchdog_ms) ||
	    revoke_arm(rv->budget, rv->opts.ack_budget_ms)) {
		DAXMR_LOG_CALL_ERR("event_add", -ENOMEM,
				   "revocation timers of export %s: releasing at once",
				   daxmr_export_name(rv->exp));
		rv->cur.holders = rv->ops.notify(rv->arg, rv->exp, rv->gen, reason, 0);
		rv->cur.sent_us = revoke_now_us(rv) - rv->t0;
		revoke_finish(rv, "no timers");
		return 0;
	}
	DAXMR_LOG_INF("revoking export %s generation %" PRIu64 " (%s): ack budget %u ms, watchdog "
		      "%u ms",
		      daxmr_export_name(rv->exp), rv->gen, daxmr_revoke_reason_str(reason),
		      rv->opts.ack_budget_ms, rv->opts.watchdog_ms);
	rv->notifying = true;
	rv->early_acks = 0;
	rv->cur.holders = rv->ops.notify(rv->arg, rv->exp, rv->gen, reason,
					 daxmr_revoke_deadline_ms(&rv->opts));
	rv->notifying = false;
	rv->cur.sent_us = revoke_now_us(rv) - rv->t0;
	if (rv->cur.holders == 0) {
		revoke_finish(rv, "no holders");
		return 0;
	}
	rv->cur.acked = rv->early_acks < rv->cur.holders ? rv->early_acks : rv->cur.holders;
	if (rv->cur.acked == rv->cur.holders)
		revoke_finish(rv, "all acked");
	return 0;
}

/* One holder is done. */
void daxmr_revoke_ack(struct daxmr_revoke *rv, uint64_t gen)
{
	if (!rv->active || gen != rv->gen)
		return;
	if (rv->notifying) {
		/* a holder gone while we were still counting them: settle it after the count */
		rv->early_acks++;
		rv->cur.last_ack_us = revoke_now_us(rv) - rv->t0;
		return;
	}
	if (rv->cur.acked < rv->cur.holders)
		rv->cur.acked++;
	rv->cur.last_ack_us = revoke_now_us(rv) - rv->t0;
	if (rv->cur.acked == rv->cur.holders)
		revoke_finish(rv, "all acked");
}

bool daxmr_revoke_active(const struct daxmr_revoke *rv)
{
	return rv->active;
}

const struct daxmr_revoke_report *daxmr_revoke_last(const struct daxmr_revoke *rv)
{
	return &rv->last;
}
