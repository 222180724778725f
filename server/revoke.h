/* SPDX-License-Identifier: BSD-3-Clause */
/* revoke.h -- the revocation pipeline of one export and its two deadlines */
#ifndef DAXMR_REVOKE_H
#define DAXMR_REVOKE_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "export.h"
#include "proto.h"

struct daxmr_revoke;

struct daxmr_revoke_opts {
	unsigned int ack_budget_ms; /* B: release once every holder acked, or after B */
	unsigned int watchdog_ms;   /* W: release now, whatever happened (W < lease-break-time) */
	unsigned int break_time_ms; /* T: /proc/sys/fs/lease-break-time, for the log line */
};

/* What the pipeline needs from the server. */
struct daxmr_revoke_ops {
	/*
	 * Sends REVOKE{export, gen, reason, deadline_ms} to every connection holding generation gen
	 * of exp; returns how many were sent (each is answered by one daxmr_revoke_ack, or by the
	 * deadline).
	 */
	unsigned int (*notify)(void *arg, struct daxmr_export *exp, uint64_t gen,
			       enum daxmr_proto_revoke_reason reason, uint32_t deadline_ms);
	/*
	 * Right before the release deregisters exp's MR: deallocate every memory window still
	 * bound over it (holders that did not ack in time); dereg fails while windows are bound.
	 * May be NULL.
	 */
	void (*fence)(void *arg, struct daxmr_export *exp);
	/* exp is RELEASED: schedule its re-establishment (or the exit, on shutdown). May be NULL.
	 */
	void (*released)(void *arg, struct daxmr_export *exp,
			 enum daxmr_proto_revoke_reason reason);
	/* Monotonic microseconds; NULL: CLOCK_MONOTONIC. Lets tests drive the timings. */
	uint64_t (*now_us)(void *arg);
};

/* How the last revocation went: what the NOTICE line says. */
struct daxmr_revoke_report {
	uint64_t generation;
	enum daxmr_proto_revoke_reason reason;
	unsigned int holders; /* REVOKEs sent */
	unsigned int acked;   /* REVOKE_ACKs (or CLOSEs, or disconnects) counted */
	uint64_t sent_us;     /* break -> every REVOKE sent */
	uint64_t last_ack_us; /* break -> last ack; 0 if none */
	uint64_t fenced_us;   /* break -> the windows left invalidated (ops->fence done) */
	uint64_t released_us; /* break -> released (F_UNLCK done) */
	const char *cause;    /* "all acked", "no holders", "ack budget", "watchdog" */
	int release_err;      /* daxmr_export_release's result */
};

/* "lease-break", "shutdown", "admin", "error". */
const char *daxmr_revoke_reason_str(enum daxmr_proto_revoke_reason reason);

/*
 * The pipeline for exp (borrowed: outlives it), its timers on base (borrowed). ops is copied;
 * arg is passed to each op. 0, -EINVAL, -ENOMEM.
 */
int daxmr_revoke_new(struct event_base *base, struct daxmr_export *exp,
		     const struct daxmr_revoke_opts *opts, const struct daxmr_revoke_ops *ops,
		     void *arg, struct daxmr_revoke **rv_ptr);

/* Frees the pipeline (a revocation in progress is abandoned, the export untouched). */
int daxmr_revoke_delete(struct daxmr_revoke **rv_ptr);

/*
 * Starts revoking the AVAILABLE export: REVOKING, REVOKE to every holder, then the ack budget
 * and the watchdog. With no holders the export is released at once (ops->released is called
 * before this returns). 0, or -EBUSY if the export is not AVAILABLE or a revocation runs.
 */
int daxmr_revoke_start(struct daxmr_revoke *rv, enum daxmr_proto_revoke_reason reason);

/*
 * One holder of generation gen is done (REVOKE_ACK, CLOSE or disconnect). The last one releases
 * the export. Acks for another generation, or when no revocation runs, are ignored.
 */
void daxmr_revoke_ack(struct daxmr_revoke *rv, uint64_t gen);

/* Whether a revocation is in progress. */
bool daxmr_revoke_active(const struct daxmr_revoke *rv);

/* The last finished revocation's report (zeroed before the first). */
const struct daxmr_revoke_report *daxmr_revoke_last(const struct daxmr_revoke *rv);

/* The deadline sent in REVOKE: the ack budget, but never past the watchdog. */
uint32_t daxmr_revoke_deadline_ms(const struct daxmr_revoke_opts *opts);

/* The defaults of docs/architecture.md for lease-break-time T: B = min(1 s, T/4), W = min(B + 250
 * ms, T/2). */
void daxmr_revoke_opts_default(unsigned int break_time_ms, int ack_budget_ms,
			       struct daxmr_revoke_opts *opts);

#endif /* DAXMR_REVOKE_H */
