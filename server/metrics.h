/* SPDX-License-Identifier: BSD-3-Clause */
/* metrics.h -- daxmrd's counters and histograms, the Prometheus text format, the /metrics server */
#ifndef DAXMR_METRICS_H
#define DAXMR_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evbuffer;

/* At most this many distinct cause labels per family; further causes count as "other". */
#define DAXMR_METRICS_CAUSES_MAX 24
#define DAXMR_METRICS_STATES_MAX 8

/* What is read at scrape time rather than counted: the server fills it in. */
struct daxmr_metrics_gauges {
	struct {
		const char *state; /* borrowed: e.g. "available" */
		unsigned int n;
	} exports[DAXMR_METRICS_STATES_MAX];
	size_t nstates;
	unsigned int clients; /* connections not yet torn down */
};

/* Fills g at each scrape (called on the event loop). */
typedef void (*daxmr_metrics_gauges_fn)(void *arg, struct daxmr_metrics_gauges *g);

/*
 * One finished revocation: reason ("lease-break", "shutdown", "admin", "error"), how it ended
 * (cause: "all acked", "no holders", "ack budget", "watchdog", "no timers"), holders, when the
 * last ack came and the release happened (microseconds after the break), and the kernel's
 * lease-break-time: a release after it is a deadline miss.
 */
void daxmr_metrics_revoked(const char *reason, const char *cause, unsigned int holders,
			   uint64_t last_ack_us, uint64_t released_us, unsigned int break_time_ms);

/* An export could not be established (err: negative errno, the label is its name: "EOPNOTSUPP"). */
void daxmr_metrics_establish_failed(int err);

/* A connection was rejected or cut during its handshake; cause names why ("ACCESS_DENIED"). */
void daxmr_metrics_conn_rejected(const char *cause);

/* A client authenticated as identity ("" : the anonymous identity, the --secret-file's). */
void daxmr_metrics_authenticated(const char *identity);

/* A FLUSH made this many bytes persistent. */
void daxmr_metrics_flushed(uint64_t bytes);

/* Forgets every count (the unit tests start each case from zero). */
void daxmr_metrics_reset(void);

/*
 * Appends the Prometheus text exposition (format 0.0.4) of every family to out: build info,
 * the gauges, the counters and histograms. 0, or -ENOMEM.
 */
int daxmr_metrics_format(const struct daxmr_metrics_gauges *g, struct evbuffer *out);

struct daxmr_metrics_http;

/*
 * Serves GET /metrics on listen ("ADDR:PORT", "[V6ADDR]:PORT") with libevent's evhttp on base
 * (borrowed). 0, or -EINVAL (malformed address, no port), -errno of the bind (logged).
 */
int daxmr_metrics_http_new(struct event_base *base, const char *listen, daxmr_metrics_gauges_fn fn,
			   void *arg, struct daxmr_metrics_http **http_ptr);

/* Stops serving; NULL-safe. */
int daxmr_metrics_http_delete(struct daxmr_metrics_http **http_ptr);

#endif /* DAXMR_METRICS_H */
