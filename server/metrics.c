/* SPDX-License-Identifier: BSD-3-Clause */
/* metrics.c -- daxmrd's counters and histograms, the Prometheus text format, the /metrics server */

/*
 * The counts are process-wide, like the log: the points where events happen (revoke.c, conn.c,
 * cmreq.c, server.c) add to them with one call and need no handle. Everything runs on daxmrd's
 * one event loop, so nothing here locks. A scrape formats the counts and the gauges the server
 * reads at that moment (exports by state, clients) into one evbuffer: the text exposition
 * format 0.0.4 (HELP and TYPE lines, then samples; histograms as cumulative _bucket{le=...},
 * _sum and _count).
 */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "daxmr_version.h"
#include "hostport.h"
#include "log.h"

/* Bucket bounds in microseconds; the label says them in seconds. */
static const uint64_t metrics_bounds_us[] = {
	500,	1000,	2500,	 5000,	  10000,   25000,    50000,    100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000, 60000000,
};
#define METRICS_NBUCKETS (sizeof(metrics_bounds_us) / sizeof(metrics_bounds_us[0]))

/* The reasons of docs/protocol.md's REVOKE; listed even at zero so that rate() sees them start. */
static const char *const metrics_reasons[] = { "lease-break", "shutdown", "admin", "error" };
#define METRICS_NREASONS (sizeof(metrics_reasons) / sizeof(metrics_reasons[0]))

struct metrics_histogram {
	uint64_t buckets[METRICS_NBUCKETS]; /* not cumulative: the one each value fell into */
	uint64_t over;			    /* above the last bound (only +Inf holds them) */
	uint64_t sum_us;
	uint64_t count;
};

/* Counts by a cause label that is not known in advance. */
struct metrics_by_cause {
	struct {
		char cause[48];
		uint64_t n;
	} c[DAXMR_METRICS_CAUSES_MAX];
	size_t n;
};

static struct {
	uint64_t revocations[METRICS_NREASONS + 1]; /* the last: a reason we do not know */
	struct metrics_histogram duration;	    /* break to release */
	struct metrics_histogram ack_wait;	    /* break to last ack, or to giving up on them */
	uint64_t budget_expiries;
	uint64_t watchdog_releases;
	uint64_t deadline_misses;
	uint64_t flushed_bytes;
	struct metrics_by_cause establish_failures;
	struct metrics_by_cause conn_rejects;
	struct metrics_by_cause authentications; /* by identity */
} metrics;

/* Adds one value to a histogram. */
static void metrics_observe(struct metrics_histogram *h, uint64_t us)
{
	size_t i;

	for (i = 0; i < METRICS_NBUCKETS && us > metrics_bounds_us[i]; i++)
		;
	if (i < METRICS_NBUCKETS)
		h->buckets[i]++;
	else
		h->over++;
	h->sum_us += us;
	h->count++;
}

/* Counts one more under cause; the table is small and fixed, so the rest goes to "other". */
static void metrics_count_cause(struct metrics_by_cause *t, const char *cause)
{
	size_t i;

	if (!cause || !*cause)
		cause = "unknown";
	for (i = 0; i < t->n; i++)
		if (strcmp(t->c[i].cause, cause) == 0)
			break;
	if (i == t->n) {
		if (t->n >= DAXMR_METRICS_CAUSES_MAX - 1)
			cause = "other"; /* the last slot is kept for everything that did not fit */
		for (i = 0; i < t->n; i++)
			if (strcmp(t->c[i].cause, cause) == 0)
				break;
		if (i == t->n) {
			snprintf(t->c[i].cause, sizeof(t->c[i].cause), "%s", cause);
			t->n++;
		}
	}
	t->c[i].n++;
}

/* One finished revocation. */
void daxmr_metrics_revoked(const char *reason, const char *cause, unsigned int holders,
			   uint64_t last_ack_us, uint64_t released_us, unsigned int break_time_ms)
{
	size_t i;

	for (i = 0; i < METRICS_NREASONS; i++)
		if (reason && strcmp(reason, metrics_reasons[i]) == 0)
			break;
	metrics.revocations[i]++;
	metrics_observe(&metrics.duration, released_us);
	if (holders > 0)
		metrics_observe(&metrics.ack_wait, cause && strcmp(cause, "all acked") == 0 ?
							   last_ack_us :
							   released_us);
	if (cause && strcmp(cause, "ack budget") == 0)
		metrics.budget_expiries++;
	if (cause && strcmp(cause, "watchdog") == 0)
		metrics.watchdog_releases++;
	if (released_us > (uint64_t)break_time_ms * 1000)
		metrics.deadline_misses++;
}

/* An export could not be established. */
void daxmr_metrics_establish_failed(int err)
{
	const char *name = strerrorname_np(err < 0 ? -err : err);

	metrics_count_cause(&metrics.establish_failures, name ? name : "unknown");
}

/* A successful AUTH, counted by identity (the table caps distinct names as for causes). */
void daxmr_metrics_authenticated(const char *identity)
{
	metrics_count_cause(&metrics.authentications, identity[0] ? identity : "anonymous");
}

/* A connection was rejected. */
void daxmr_metrics_conn_rejected(const char *cause)
{
	metrics_count_cause(&metrics.conn_rejects, cause);
}

/* A FLUSH persisted bytes. */
void daxmr_metrics_flushed(uint64_t bytes)
{
	metrics.flushed_bytes += bytes;
}

/* Forgets every count. */
void daxmr_metrics_reset(void)
{
	memset(&metrics, 0, sizeof(metrics));
}

/* ---- the text format --------------------------------------------------------------------- */

/* Appends a label value with the format's escapes (backslash, double quote, newline). */
static int metrics_label_value(struct evbuffer *out, const char *v)
{
	int ret = 0;

	for (; *v && ret == 0; v++) {
		if (*v == '\\')
			ret = evbuffer_add(out, "\\\\", 2);
		else if (*v == '"')
			ret = evbuffer_add(out, "\\\"", 2);
		else if (*v == '\n')
			ret = evbuffer_add(out, "\\n", 2);
		else
			ret = evbuffer_add(out, v, 1);
	}
	return ret;
}

/* HELP and TYPE of one family. */
static int metrics_head(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	return evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type) <
			       0 ?
		       -1 :
		       0;
}

/* One sample with a single label: name{label="value"} n. */
static int metrics_labelled(struct evbuffer *out, const char *name, const char *label,
			    const char *value, uint64_t n)
{
	if (evbuffer_add_printf(out, "%s{%s=\"", name, label) < 0 ||
	    metrics_label_value(out, value) || evbuffer_add_printf(out, "\"} %" PRIu64 "\n", n) < 0)
		return -1;
	return 0;
}

/* One unlabelled counter or gauge, with its HELP and TYPE. */
static int metrics_single(struct evbuffer *out, const char *name, const char *type,
			  const char *help, uint64_t n)
{
	if (metrics_head(out, name, type, help) ||
	    evbuffer_add_printf(out, "%s %" PRIu64 "\n", name, n) < 0)
		return -1;
	return 0;
}

/* A family counted by one label (cause, identity). */
static int metrics_by_label(struct evbuffer *out, const char *name, const char *label,
			    const char *help, const struct metrics_by_cause *t)
{
	size_t i;

	if (metrics_head(out, name, "counter", help))
		return -1;
	for (i = 0; i < t->n; i++)
		if (metrics_labelled(out, name, label, t->c[i].cause, t->c[i].n))
			return -1;
	return 0;
}

/* A family counted by cause. */
static int metrics_causes(struct evbuffer *out, const char *name, const char *help,
			  const struct metrics_by_cause *t)
{
	return metrics_by_label(out, name, "cause", help, t);
}

/* A histogram: cumulative buckets with le in seconds, +Inf, _sum in seconds, _count. */
static int metrics_histogram(struct evbuffer *out, const char *name, const char *help,
			     const struct metrics_histogram *h)
{
	uint64_t cum = 0;
	size_t i;

	if (metrics_head(out, name, "histogram", help))
		return -1;
	for (i = 0; i < METRICS_NBUCKETS; i++) {
		cum += h->buckets[i];
		if (evbuffer_add_printf(out,
					"%s_bucket{le=\"%" PRIu64 ".%06" PRIu64 "\"} %" PRIu64 "\n",
					name, metrics_bounds_us[i] / 1000000,
					metrics_bounds_us[i] % 1000000, cum) < 0)
			return -1;
	}
	if (evbuffer_add_printf(out,
				"%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %" PRIu64 ".%06" PRIu64
				"\n%s_count %" PRIu64 "\n",
				name, cum + h->over, name, h->sum_us / 1000000, h->sum_us % 1000000,
				name, h->count) < 0)
		return -1;
	return 0;
}

/* The whole exposition. */
int daxmr_metrics_format(const struct daxmr_metrics_gauges *g, struct evbuffer *out)
{
	size_t i;

	if (metrics_head(out, "daxmr_build_info", "gauge",
			 "daxmrd's version; the value is always 1") ||
	    metrics_labelled(out, "daxmr_build_info", "version", DAXMR_PROJECT_VERSION, 1))
		return -ENOMEM;
	if (metrics_head(out, "daxmr_exports", "gauge", "Exports by state"))
		return -ENOMEM;
	for (i = 0; i < g->nstates && i < DAXMR_METRICS_STATES_MAX; i++)
		if (metrics_labelled(out, "daxmr_exports", "state", g->exports[i].state,
				     g->exports[i].n))
			return -ENOMEM;
	if (metrics_single(out, "daxmr_clients", "gauge", "Connected clients", g->clients))
		return -ENOMEM;
	if (metrics_head(out, "daxmr_revocations_total", "counter",
			 "Finished revocations by reason"))
		return -ENOMEM;
	for (i = 0; i < METRICS_NREASONS; i++)
		if (metrics_labelled(out, "daxmr_revocations_total", "reason", metrics_reasons[i],
				     metrics.revocations[i]))
			return -ENOMEM;
	if (metrics.revocations[METRICS_NREASONS] &&
	    metrics_labelled(out, "daxmr_revocations_total", "reason", "unknown",
			     metrics.revocations[METRICS_NREASONS]))
		return -ENOMEM;
	if (metrics_histogram(out, "daxmr_revocation_duration_seconds",
			      "Revocation latency: from the lease break (or the shutdown, the "
			      "admin request) to the release of the export",
			      &metrics.duration) ||
	    metrics_histogram(out, "daxmr_revocation_ack_wait_seconds",
			      "Revocations with holders: from the start to the last REVOKE_ACK, "
			      "or to the release without them",
			      &metrics.ack_wait))
		return -ENOMEM;
	if (metrics_single(out, "daxmr_revocation_ack_budget_expiries_total", "counter",
			   "Revocations released because the ack budget ran out",
			   metrics.budget_expiries) ||
	    metrics_single(out, "daxmr_revocation_watchdog_releases_total", "counter",
			   "Revocations released by the watchdog", metrics.watchdog_releases) ||
	    metrics_single(out, "daxmr_revocation_deadline_misses_total", "counter",
			   "Revocations released after the kernel's lease-break-time",
			   metrics.deadline_misses))
		return -ENOMEM;
	if (metrics_causes(out, "daxmr_registration_failures_total",
			   "Failed attempts to establish an export (lease, seal checks, map, "
			   "memory registration), by errno",
			   &metrics.establish_failures) ||
	    metrics_causes(out, "daxmr_connection_rejects_total",
			   "Connections rejected or cut during the handshake, by cause",
			   &metrics.conn_rejects) ||
	    metrics_by_label(out, "daxmr_authentications_total", "identity",
			     "Successful AUTHs by identity (anonymous: the --secret-file's)",
			     &metrics.authentications))
		return -ENOMEM;
	if (metrics_single(out, "daxmr_flushed_bytes_total", "counter",
			   "Bytes made persistent by clients' FLUSH requests",
			   metrics.flushed_bytes))
		return -ENOMEM;
	return 0;
}

/* ---- the HTTP server --------------------------------------------------------------------- */

struct daxmr_metrics_http {
	struct evhttp *http; /* owned */
	daxmr_metrics_gauges_fn fn;
	void *arg; /* borrowed: for fn */
};

/* GET /metrics: the gauges read now, the counts, as text/plain version 0.0.4. */
static void metrics_on_scrape(struct evhttp_request *req, void *arg)
{
	struct daxmr_metrics_http *mh = arg;
	struct daxmr_metrics_gauges g;
	struct evbuffer *body = evbuffer_new();

	memset(&g, 0, sizeof(g));
	if (!body) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	mh->fn(mh->arg, &g);
	if (daxmr_metrics_format(&g, body)) {
		DAXMR_LOG_ERR("metrics: out of memory while formatting a scrape");
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		evbuffer_free(body);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

/* Anything but /metrics. */
static void metrics_on_other(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, HTTP_NOTFOUND, "daxmrd serves /metrics only");
}

/* Binds the listener and the two handlers. */
int daxmr_metrics_http_new(struct event_base *base, const char *listen, daxmr_metrics_gauges_fn fn,
			   void *arg, struct daxmr_metrics_http **http_ptr)
{
	struct daxmr_metrics_http *mh;
	char host[256];
	unsigned int port = 0;
	int ret;

	if (!listen || daxmr_hostport_parse(listen, 0, host, sizeof(host), &port) || port == 0) {
		DAXMR_LOG_ERR("--metrics %s: expected ADDR:PORT or [IPV6ADDR]:PORT (PORT 1-65535)",
			      listen ? listen : "(none)");
		return -EINVAL;
	}
	mh = calloc(1, sizeof(*mh));
	if (!mh)
		return -ENOMEM;
	mh->fn = fn;
	mh->arg = arg;
	mh->http = evhttp_new(base);
	if (!mh->http) {
		ret = -ENOMEM;
		DAXMR_LOG_CALL_ERR("evhttp_new", ret, "--metrics %s", listen);
		goto err_free;
	}
	evhttp_set_allowed_methods(mh->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	errno = 0;
	if (!evhttp_bind_socket_with_handle(mh->http, host, (uint16_t)port)) {
		ret = errno ? -errno : -EADDRNOTAVAIL;
		DAXMR_LOG_CALL_ERR("evhttp_bind_socket", ret, "--metrics %s", listen);
		goto err_http;
	}
	if (evhttp_set_cb(mh->http, "/metrics", metrics_on_scrape, mh)) {
		ret = -ENOMEM;
		DAXMR_LOG_CALL_ERR("evhttp_set_cb", ret, "--metrics %s", listen);
		goto err_http;
	}
	evhttp_set_gencb(mh->http, metrics_on_other, mh);
	DAXMR_LOG_NTC("metrics on http://%s/metrics", listen);
	*http_ptr = mh;
	return 0;

err_http:
	evhttp_free(mh->http);
err_free:
	free(mh);
	return ret;
}

/* Stops serving. */
int daxmr_metrics_http_delete(struct daxmr_metrics_http **http_ptr)
{
	if (!http_ptr || !*http_ptr)
		return 0;
	evhttp_free((*http_ptr)->http);
	free(*http_ptr);
	*http_ptr = NULL;
	return 0;
}
