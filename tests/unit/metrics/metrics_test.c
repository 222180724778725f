/* SPDX-License-Identifier: BSD-3-Clause */
/* metrics_test.c -- metrics: the text exposition of each family, and a real scrape over loopback */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "daxmr_version.h"
#include "metrics.h"

/* Formats into a NUL-terminated string (free it). */
static char *format(const struct daxmr_metrics_gauges *g)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *s;

	assert_non_null(b);
	assert_int_equal(daxmr_metrics_format(g, b), 0);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	assert_non_null(s);
	assert_int_equal(evbuffer_remove(b, s, n), (int)n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

/* The exposition has this exact line. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

static int reset(void **state)
{
	(void)state;
	daxmr_metrics_reset();
	return 0;
}

/* Nothing happened yet: build info, the gauges as given, every reason at 0, empty histograms. */
static void format__initial(void **state)
{
	struct daxmr_metrics_gauges g = { .nstates = 2, .clients = 3 };
	char *t;

	(void)state;
	g.exports[0].state = "available";
	g.exports[0].n = 5;
	g.exports[1].state = "unavailable";
	g.exports[1].n = 1;
	t = format(&g);
	has_line(t, "# TYPE daxmr_build_info gauge");
	has_line(t, "daxmr_build_info{version=\"" DAXMR_PROJECT_VERSION "\"} 1");
	has_line(t, "daxmr_exports{state=\"available\"} 5");
	has_line(t, "daxmr_exports{state=\"unavailable\"} 1");
	has_line(t, "daxmr_clients 3");
	has_line(t, "# TYPE daxmr_revocations_total counter");
	has_line(t, "daxmr_revocations_total{reason=\"lease-break\"} 0");
	has_line(t, "daxmr_revocations_total{reason=\"admin\"} 0");
	has_line(t, "# TYPE daxmr_revocation_duration_seconds histogram");
	has_line(t, "daxmr_revocation_duration_seconds_bucket{le=\"+Inf\"} 0");
	has_line(t, "daxmr_revocation_duration_seconds_count 0");
	has_line(t, "daxmr_revocation_ack_wait_seconds_sum 0.000000");
	has_line(t, "daxmr_flushed_bytes_total 0");
	assert_null(strstr(t, "reason=\"unknown\"")); /* only once one happened */
	free(t);
}

/* One revocation, all acked: each histogram's cumulative buckets, sums in seconds. */
static void format__revocation_buckets(void **state)
{
	struct daxmr_metrics_gauges g = { 0 };
	char *t;

	(void)state;
	daxmr_metrics_revoked("lease-break", "all acked", 2, 3000, 4500, 3000);
	t = format(&g);
	has_line(t, "daxmr_revocations_total{reason=\"lease-break\"} 1");
	has_line(t, "daxmr_revocation_duration_seconds_bucket{le=\"0.002500\"} 0");
	has_line(t, "daxmr_revocation_duration_seconds_bucket{le=\"0.005000\"} 1");
	has_line(t, "daxmr_revocation_duration_seconds_bucket{le=\"60.000000\"} 1");
	has_line(t, "daxmr_revocation_duration_seconds_bucket{le=\"+Inf\"} 1");
	has_line(t, "daxmr_revocation_duration_seconds_sum 0.004500");
	has_line(t, "daxmr_revocation_duration_seconds_count 1");
	has_line(t, "daxmr_revocation_ack_wait_seconds_bucket{le=\"0.002500\"} 0");
	has_line(t, "daxmr_revocation_ack_wait_seconds_bucket{le=\"0.005000\"} 1");
	has_line(t, "daxmr_revocation_ack_wait_seconds_sum 0.003000");
	has_line(t, "daxmr_revocation_ack_budget_expiries_total 0");
	has_line(t, "daxmr_revocation_deadline_misses_total 0");
	free(t);
}

/* Budget, watchdog, a deadline miss, no holders, a value past every bound, an unknown reason. */
static void format__revocation_outcomes(void **state)
{
	struct daxmr_metrics_gauges g = { 0 };
	char *t;

	(void)state;
	daxmr_metrics_revoked("lease-break", "ack budget", 1, 0, 1000000, 45000);
	daxmr_metrics_revoked("shutdown", "watchdog", 1, 0, 1250000, 45000);
	daxmr_metrics_revoked("admin", "no holders", 0, 0, 100, 45000);
	daxmr_metrics_revoked("error", "watchdog", 3, 0, 61000000, 45000); /* past T and 60 s */
	daxmr_metrics_revoked("martian", "all acked", 0, 0, 1, 45000);
	t = format(&g);
	has_line(t, "daxmr_revocations_total{reason=\"lease-break\"} 1");
	has_line(t, "daxmr_revocations_total{reason=\"shutdown\"} 1");
	has_line(t, "daxmr_revocations_total{reason=\"admin\"} 1");
	has_line(t, "daxmr_revocations_total{reason=\"error\"} 1");
	has_line(t, "daxmr_revocations_total{reason=\"unknown\"} 1");
	has_line(t, "daxmr_revocation_ack_budget_expiries_total 1");
	has_line(t, "daxmr_revocation_watchdog_releases_total 2");
	has_line(t, "daxmr_revocation_deadline_misses_total 1");
	has_line(t, "daxmr_revocation_duration_seconds_bucket{le=\"0.000500\"} 2");
	has_line(t, "daxmr_revocation_duration_seconds_bucket{le=\"1.000000\"} 3");
	has_line(t, "daxmr_revocation_duration_seconds_bucket{le=\"60.000000\"} 4");
	has_line(t, "daxmr_revocation_duration_seconds_bucket{le=\"+Inf\"} 5");
	/* ack waits only where there were holders: budget, watchdog, watchdog */
	has_line(t, "daxmr_revocation_ack_wait_seconds_count 3");
	has_line(t, "daxmr_revocation_ack_wait_seconds_sum 63.250000");
	free(t);
}

/* Causes: errno names, counted; label values escaped; past the table's size, "other". */
static void format__causes(void **state)
{
	struct daxmr_metrics_gauges g = { 0 };
	char cause[32], *t;
	int i;

	(void)state;
	daxmr_metrics_establish_failed(-EOPNOTSUPP);
	daxmr_metrics_establish_failed(-EOPNOTSUPP);
	daxmr_metrics_establish_failed(-ENOENT);
	daxmr_metrics_conn_rejected("ACCESS_DENIED");
	daxmr_metrics_conn_rejected("a\"b\\c\nd");
	daxmr_metrics_conn_rejected(NULL);
	for (i = 0; i < 30; i++) {
		snprintf(cause, sizeof(cause), "C%d", i);
		daxmr_metrics_conn_rejected(cause);
	}
	daxmr_metrics_flushed(4096);
	daxmr_metrics_flushed(17);
	t = format(&g);
	has_line(t, "daxmr_registration_failures_total{cause=\"EOPNOTSUPP\"} 2");
	has_line(t, "daxmr_registration_failures_total{cause=\"ENOENT\"} 1");
	has_line(t, "daxmr_connection_rejects_total{cause=\"ACCESS_DENIED\"} 1");
	has_line(t, "daxmr_connection_rejects_total{cause=\"a\\\"b\\\\c\\nd\"} 1");
	has_line(t, "daxmr_connection_rejects_total{cause=\"unknown\"} 1");
	has_line(t, "daxmr_connection_rejects_total{cause=\"C19\"} 1");
	/* 3 slots taken above, 20 more named C0..C19, the 24th is "other" for C20..C29 */
	assert_null(strstr(t, "cause=\"C20\""));
	has_line(t, "daxmr_connection_rejects_total{cause=\"other\"} 10");
	has_line(t, "daxmr_flushed_bytes_total 4113");
	free(t);
}

/* Every line is a comment (HELP or TYPE) or "name[{labels}] value"; each family typed once. */
static void format__line_syntax(void **state)
{
	struct daxmr_metrics_gauges g = { .nstates = 1, .clients = 1 };
	char *t, *line, *save = NULL;
	int types = 0, helps = 0;

	(void)state;
	g.exports[0].state = "available";
	g.exports[0].n = 1;
	daxmr_metrics_revoked("lease-break", "all acked", 1, 10, 20, 3000);
	daxmr_metrics_conn_rejected("BUSY");
	daxmr_metrics_establish_failed(-EAGAIN);
	t = format(&g);
	assert_true(strlen(t) > 0 && t[strlen(t) - 1] == '\n');
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			types++;
			continue;
		}
		if (strncmp(line, "# HELP ", 7) == 0) {
			helps++;
			continue;
		}
		assert_true(strncmp(line, "daxmr_", 6) == 0);
		assert_non_null(strchr(line, ' '));
		assert_null(strchr(strchr(line, '}') ? strchr(line, '}') : line, '\t'));
	}
	assert_int_equal(types, 13);
	assert_int_equal(helps, types);
	free(t);
}

/* A bad --metrics address is refused before anything is bound. */
static void http_new__bad_address(void **state)
{
	static const char *const bad[] = { "127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999",
					   ":80",	"[::1",	       "" };
	struct event_base *base = event_base_new();
	struct daxmr_metrics_http *mh = (void *)&bad; /* must stay untouched */
	size_t i;

	(void)state;
	assert_non_null(base);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(daxmr_metrics_http_new(base, bad[i], NULL, NULL, &mh), -EINVAL);
	assert_ptr_equal(mh, (void *)&bad);
	assert_int_equal(daxmr_metrics_http_delete(NULL), 0);
	event_base_free(base);
}

static unsigned int gauge_calls;

/* The gauges a scrape reads: counts the calls. */
static void gauges(void *arg, struct daxmr_metrics_gauges *g)
{
	(void)arg;
	gauge_calls++;
	g->nstates = 1;
	g->exports[0].state = "revoking";
	g->exports[0].n = 2;
	g->clients = 7;
}

/* A free loopback port (bound, read back, closed: the server binds it next). */
static unsigned int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	close(s);
	return ntohs(sa.sin_port);
}

/* Sends req to 127.0.0.1:port and runs base until the server closes; the answer (free it). */
static char *http_exchange(struct event_base *base, unsigned int port, const char *req)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons((uint16_t)port) };
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int s = socket(AF_INET, SOCK_STREAM, 0), i;
	ssize_t n;

	assert_non_null(buf);
	assert_true(s >= 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(s, req, strlen(req)), (ssize_t)strlen(req));
	for (i = 0; i < 500; i++) { /* 5 s at most */
		struct pollfd p = { .fd = s, .events = POLLIN };

		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&p, 1, 10) <= 0)
			continue;
		n = read(s, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(s);
	buf[len] = '\0';
	return buf;
}

/* GET /metrics over real loopback TCP: 200, the exposition's content type, the gauges read now. */
static void http__scrape(void **state)
{
	struct event_base *base = event_base_new();
	struct daxmr_metrics_http *mh = NULL;
	unsigned int port = free_port();
	char listen[32], *r;

	(void)state;
	assert_non_null(base);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	assert_int_equal(daxmr_metrics_http_new(base, listen, gauges, NULL, &mh), 0);
	assert_non_null(mh);
	daxmr_metrics_revoked("admin", "no holders", 0, 0, 10, 3000);
	gauge_calls = 0;
	r = http_exchange(base, port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.0 200", 12) == 0 || strncmp(r, "HTTP/1.1 200", 12) == 0);
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "\ndaxmr_exports{state=\"revoking\"} 2\n"));
	assert_non_null(strstr(r, "\ndaxmr_clients 7\n"));
	assert_non_null(strstr(r, "\ndaxmr_revocations_total{reason=\"admin\"} 1\n"));
	assert_int_equal(gauge_calls, 1);
	free(r);
	r = http_exchange(base, port, "GET /other HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 404 "));
	free(r);
	r = http_exchange(base, port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
	if (!strstr(r, " 405 ") && !strstr(r, " 501 ")) /* libevent answers 501 Not Implemented */
		fail_msg("POST was not refused: %.80s", r);
	free(r);
	assert_int_equal(gauge_calls, 1);
	/* the port is taken now: a second server on it fails with the bind's errno */
	{
		struct daxmr_metrics_http *mh2 = NULL;

		assert_int_equal(daxmr_metrics_http_new(base, listen, gauges, NULL, &mh2),
				 -EADDRINUSE);
		assert_null(mh2);
	}
	assert_int_equal(daxmr_metrics_http_delete(&mh), 0);
	assert_null(mh);
	event_base_free(base);
}

/* --dump: an exposition with every family populated, for promtool. */
static int dump(void)
{
	struct daxmr_metrics_gauges g = { .nstates = 2, .clients = 2 };
	struct evbuffer *b = evbuffer_new();

	g.exports[0].state = "available";
	g.exports[0].n = 3;
	g.exports[1].state = "unavailable";
	g.exports[1].n = 1;
	daxmr_metrics_revoked("lease-break", "all acked", 2, 1500, 2500, 45000);
	daxmr_metrics_revoked("shutdown", "ack budget", 1, 0, 1000000, 45000);
	daxmr_metrics_establish_failed(-EOPNOTSUPP);
	daxmr_metrics_conn_rejected("ACCESS_DENIED");
	daxmr_metrics_flushed(4096);
	if (!b || daxmr_metrics_format(&g, b) || evbuffer_write(b, STDOUT_FILENO) < 0)
		return 1;
	evbuffer_free(b);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(format__initial, reset),
		cmocka_unit_test_setup(format__revocation_buckets, reset),
		cmocka_unit_test_setup(format__revocation_outcomes, reset),
		cmocka_unit_test_setup(format__causes, reset),
		cmocka_unit_test_setup(format__line_syntax, reset),
		cmocka_unit_test_setup(http_new__bad_address, reset),
		cmocka_unit_test_setup(http__scrape, reset),
	};

	if (argc == 2 && strcmp(argv[1], "--dump") == 0)
		return dump();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
