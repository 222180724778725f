/* SPDX-License-Identifier: BSD-3-Clause */
/* revoke.c -- daxmr-bench-revoke: lease breaks against libdaxmr holders, timed from the breaker */
/*
 * The parent process is the breaker: it forks --procs workers that hold the exports through
 * libdaxmr and acknowledge every REVOKE (the library does), then breaks the leases one at a time
 * with open(O_RDWR) of the exported file and times each open() from call to return ("breaker
 * unblocked"). Break i goes to export i mod E, and only once every holder of that export holds
 * its new generation (the workers report each generation all their holders hold over a pipe),
 * so every break meets every holder. daxmrd's side of each revocation is in its own log
 * (bench/ops.py joins the two).
 *
 *   parent: fork workers -> wait READY -> [wait HELD(e, g) from all -> open(e) timed -> close]
 *           x breaks -> close the control pipes -> reap
 *   worker: connect its clients, open their exports -> READY -> loop { process events,
 *           reopen on AVAILABLE, report HELD } until the control pipe closes
 *
 * A connection holds at most 16 exports (daxmrd's DAXMR_CONN_HOLD_MAX): a client holding more
 * uses several connections, ceil(E / 16). --hold one: client i holds export i mod E only.
 * --silent: one more client (in worker 0) that holds the same exports and never acknowledges.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daxmr.h"
#include "stats.h"

#define RB_CONN_HOLDS 16    /* daxmrd's DAXMR_CONN_HOLD_MAX */
#define RB_WAIT_MS 60000    /* every wait is bounded */
#define RB_RETRY_MS 10	    /* a reopen that got -EAGAIN is tried again after this */
#define RB_CONNECT_MS 60000 /* TCG, and one daemon serving all of us */

enum rb_msg_kind { RB_READY = 1, RB_HELD = 2, RB_FAIL = 3 };

/* Worker -> parent, over the worker's pipe. */
struct rb_msg {
	uint32_t kind;
	uint32_t export; /* RB_HELD: which export */
	uint64_t gen;	 /* RB_HELD: every holder of it in this worker holds this generation */
};

struct rb_opts {
	const char *server;
	const char *dir;
	unsigned int exports;
	unsigned int clients;
	unsigned int breaks;
	unsigned int procs;
	bool silent;
	bool hold_one;
	const char *samples; /* one unblock time in us per line */
	const char *detail;  /* "export generation unblock_us" per line */
	const char *pause;   /* once all hold: wait for this file before breaking */
};

/* One libdaxmr connection of a worker and the exports [first, first + n) it holds. */
struct rb_conn {
	struct daxmr_client *client; /* owned */
	struct daxmr_region *regions[RB_CONN_HOLDS];
	uint64_t gen[RB_CONN_HOLDS];
	bool reopen[RB_CONN_HOLDS];
	long long retry_at[RB_CONN_HOLDS]; /* ms: when a reopen that got -EAGAIN is due */
	unsigned int first, n;
	bool dead;
};

struct rb_worker {
	struct rb_conn *conns; /* owned */
	size_t nconns;
	uint64_t *reported; /* owned: per export, the generation last reported HELD (0: none) */
	unsigned int exports;
	int out; /* the pipe to the parent */
};

static long long rb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes one message to the parent (a pipe write of 16 bytes is atomic). */
static void rb_send(struct rb_worker *w, uint32_t kind, uint32_t export, uint64_t gen)
{
	struct rb_msg m = { .kind = kind, .export = export, .gen = gen };

	if (write(w->out, &m, sizeof(m)) != (ssize_t)sizeof(m))
		_exit(1); /* the parent is gone */
}

/* on_revoke: nothing to do here; the library acknowledged it (or not, for the silent one). */
static void rb_on_revoke(struct daxmr_region *region, const struct daxmr_revoke_info *info,
			 void *arg)
{
	(void)region;
	(void)info;
	(void)arg;
}

/* on_available: the export can be opened again as its next generation. */
static void rb_on_available(uint32_t export_id, const char *name, uint64_t generation, void *arg)
{
	struct rb_conn *c = arg;
	unsigned int e, k;

	(void)export_id;
	(void)generation;
	if (sscanf(name, "e%u", &e) != 1 || e < c->first || e >= c->first + c->n)
		return;
	k = e - c->first;
	c->reopen[k] = true;
	c->retry_at[k] = 0;
}

static void rb_on_disconnect(int reason, void *arg)
{
	struct rb_conn *c = arg;

	fprintf(stderr, "daxmr-bench-revoke: a connection died: %s\n", strerror(-reason));
	c->dead = true;
}

/* Opens slot k of c (export c->first + k); -EAGAIN: not yet, try again later. */
static int rb_open(struct rb_conn *c, unsigned int k)
{
	char name[32];
	int ret;

	daxmr_region_close(&c->regions[k]);
	snprintf(name, sizeof(name), "e%u", c->first + k);
	ret = daxmr_region_open(c->client, name, DAXMR_RW, &c->regions[k]);
	if (ret == -EAGAIN) {
		c->retry_at[k] = rb_now_ms() + RB_RETRY_MS;
		return ret;
	}
	if (ret) {
		fprintf(stderr, "daxmr-bench-revoke: open %s: %s\n", name, strerror(-ret));
		return ret;
	}
	c->gen[k] = daxmr_region_desc(c->regions[k])->generation;
	c->reopen[k] = false;
	return 0;
}

/* Reports HELD for export e when every holder of it in this worker holds a newer generation. */
static void rb_report(struct rb_worker *w, unsigned int e)
{
	uint64_t min = UINT64_MAX;
	size_t i;

	for (i = 0; i < w->nconns; i++) {
		struct rb_conn *c = &w->conns[i];

		if (e < c->first || e >= c->first + c->n)
			continue;
		if (c->reopen[e - c->first])
			return;
		if (c->gen[e - c->first] < min)
			min = c->gen[e - c->first];
	}
	if (min != UINT64_MAX && min > w->reported[e]) {
		w->reported[e] = min;
		rb_send(w, RB_HELD, e, min);
	}
}

/* Connects conn c for exports [first, first + n) and opens them all. */
static int rb_conn_start(const struct rb_opts *o, struct rb_conn *c, unsigned int first,
			 unsigned int n, bool silent, unsigned int id)
{
	struct daxmr_client_opts copts = DAXMR_CLIENT_OPTS_DEFAULT;
	const struct daxmr_callbacks cbs = { .on_revoke = rb_on_revoke,
					     .on_available = rb_on_available,
					     .on_disconnect = rb_on_disconnect };
	char name[48];
	unsigned int k;
	int ret;

	snprintf(name, sizeof(name), "bench-revoke-%u%s", id, silent ? "-silent" : "");
	copts.name = name;
	copts.timeout_ms = RB_CONNECT_MS;
	copts.ack_revoke = silent ? 0 : 1;
	copts.queue_depth = 1; /* no RDMA here: keep the send queue (and its memory) small */
	ret = daxmr_client_connect(o->server, &copts, &c->client);
	if (ret) {
		fprintf(stderr, "daxmr-bench-revoke: connect %s (connection %u): %s\n", o->server,
			id, strerror(-ret));
		return ret;
	}
	daxmr_client_set_callbacks(c->client, &cbs, c);
	c->first = first;
	c->n = n;
	for (k = 0; k < n; k++) {
		ret = rb_open(c, k);
		if (ret == -EAGAIN)
			c->reopen[k] = true;
		else if (ret)
			return ret;
	}
	return 0;
}

/* Adds to w the connections of one client: every export, or only export `only`. */
static int rb_client_start(const struct rb_opts *o, struct rb_worker *w, bool silent, int only,
			   unsigned int *id)
{
	unsigned int first = only >= 0 ? (unsigned int)only : 0;
	unsigned int end = only >= 0 ? first + 1 : o->exports;
	int ret;

	for (; first < end; first += RB_CONN_HOLDS) {
		unsigned int n = end - first < RB_CONN_HOLDS ? end - first : RB_CONN_HOLDS;

		ret = rb_conn_start(o, &w->conns[w->nconns], first, n, silent, (*id)++);
		w->nconns++;
		if (ret)
			return ret;
	}
	return 0;
}

/* Connections a client needs. */
static unsigned int rb_conns_per_client(const struct rb_opts *o)
{
	return o->hold_one ? 1 : (o->exports + RB_CONN_HOLDS - 1) / RB_CONN_HOLDS;
}

/* A worker: clients k, k + procs, ...; runs until the parent closes ctl. Never returns. */
static void rb_worker_run(const struct rb_opts *o, unsigned int widx, int out, int ctl)
{
	struct rb_worker w = { .exports = o->exports, .out = out };
	unsigned int i, k, e, id = widx * 100000;
	struct pollfd *pfds;
	size_t j;
	int ret;

	w.conns = calloc((size_t)(o->clients / o->procs + 2) * rb_conns_per_client(o),
			 sizeof(*w.conns));
	w.reported = calloc(o->exports, sizeof(*w.reported));
	if (!w.conns || !w.reported)
		goto fail;
	for (i = widx; i < o->clients; i += o->procs)
		if (rb_client_start(o, &w, false, o->hold_one ? (int)(i % o->exports) : -1, &id))
			goto fail;
	if (o->silent && widx == 0 && rb_client_start(o, &w, true, o->hold_one ? 0 : -1, &id))
		goto fail;
	pfds = calloc(w.nconns + 1, sizeof(*pfds));
	if (!pfds)
		goto fail;
	for (j = 0; j < w.nconns; j++)
		pfds[j] = (struct pollfd){ .fd = daxmr_client_fd(w.conns[j].client),
					   .events = POLLIN };
	pfds[w.nconns] = (struct pollfd){ .fd = ctl, .events = POLLIN };
	for (e = 0; e < o->exports; e++)
		rb_report(&w, e);
	rb_send(&w, RB_READY, 0, 0);

	for (;;) {
		long long now = rb_now_ms(), due = now + 1000;

		for (j = 0; j < w.nconns; j++)
			for (k = 0; k < w.conns[j].n; k++)
				if (w.conns[j].reopen[k] && w.conns[j].retry_at[k] < due)
					due = w.conns[j].retry_at[k];
		ret = poll(pfds, w.nconns + 1, due > now ? (int)(due - now) : 0);
		if (ret < 0 && errno != EINTR)
			goto fail;
		if (pfds[w.nconns].revents)
			break; /* the parent is done (EOF) */
		for (j = 0; j < w.nconns; j++) {
			struct rb_conn *c = &w.conns[j];

			if ((pfds[j].revents & POLLIN) && daxmr_client_process(c->client)) {
				fprintf(stderr, "daxmr-bench-revoke: connection lost\n");
				goto fail;
			}
			if (c->dead)
				goto fail;
			now = rb_now_ms();
			for (k = 0; k < c->n; k++) {
				if (!c->reopen[k] || c->retry_at[k] > now)
					continue;
				ret = rb_open(c, k);
				if (ret == 0)
					rb_report(&w, c->first + k);
				else if (ret != -EAGAIN)
					goto fail;
			}
		}
	}
	for (j = 0; j < w.nconns; j++)
		daxmr_client_disconnect(&w.conns[j].client); /* closes its regions */
	_exit(0);
fail:
	rb_send(&w, RB_FAIL, 0, 0);
	_exit(1);
}

struct rb_parent {
	const struct rb_opts *o;
	int *in;	/* per worker: its pipe */
	uint64_t *held; /* per worker x export: the generation it reported */
	unsigned int ready;
};

/* Reads whatever the workers sent within timeout_ms; -1 if one failed or died. */
static int rb_parent_read(struct rb_parent *p, int timeout_ms)
{
	struct pollfd pfds[256];
	struct rb_msg m;
	unsigned int i;

	for (i = 0; i < p->o->procs; i++)
		pfds[i] = (struct pollfd){ .fd = p->in[i], .events = POLLIN };
	if (poll(pfds, p->o->procs, timeout_ms) < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < p->o->procs; i++) {
		if (!pfds[i].revents)
			continue;
		if (read(p->in[i], &m, sizeof(m)) != (ssize_t)sizeof(m) || m.kind == RB_FAIL) {
			fprintf(stderr, "daxmr-bench-revoke: worker %u failed (see above)\n", i);
			return -1;
		}
		if (m.kind == RB_READY)
			p->ready++;
		else if (m.kind == RB_HELD && m.export < p->o->exports)
			p->held[(size_t)i * p->o->exports + m.export] = m.gen;
	}
	return 0;
}

/* Whether every worker holding export e reported generation gen (workers holding none count). */
static bool rb_all_hold(const struct rb_parent *p, unsigned int e, uint64_t gen)
{
	const struct rb_opts *o = p->o;
	unsigned int i, c;

	for (i = 0; i < o->procs; i++) {
		bool holds = o->silent && i == 0 && (!o->hold_one || e == 0);

		for (c = i; c < o->clients && !holds; c += o->procs)
			holds = !o->hold_one || c % o->exports == e;
		if (holds && p->held[(size_t)i * o->exports + e] < gen)
			return false;
	}
	return true;
}

/* Waits until cond holds, reading the workers' reports; -1 on a failure or after RB_WAIT_MS. */
static int rb_parent_wait(struct rb_parent *p, unsigned int e, uint64_t gen, const char *what)
{
	long long end = rb_now_ms() + RB_WAIT_MS;

	while (gen ? !rb_all_hold(p, e, gen) : p->ready < p->o->procs) {
		if (rb_now_ms() > end) {
			fprintf(stderr, "daxmr-bench-revoke: %s: not within %d ms\n", what,
				RB_WAIT_MS);
			return -1;
		}
		if (rb_parent_read(p, 100))
			return -1;
	}
	return 0;
}

/* The breaks themselves; unblock[i] gets break i's time in us. */
static int rb_breaks(struct rb_parent *p, uint64_t *unblock, uint32_t *exp_of, uint64_t *gen_of)
{
	const struct rb_opts *o = p->o;
	long long t_start = rb_now_ms();
	char path[4096], what[64];
	unsigned int i;

	for (i = 0; i < o->breaks; i++) {
		unsigned int e = i % o->exports;
		uint64_t gen = i / o->exports + 1, t0;
		int fd;

		snprintf(what, sizeof(what), "every holder of e%u at generation %" PRIu64, e, gen);
		if (rb_parent_wait(p, e, gen, what))
			return -1;
		snprintf(path, sizeof(path), "%s/e%u", o->dir, e);
		t0 = bench_now_us();
		fd = open(path, O_RDWR | O_CLOEXEC); /* blocks until daxmrd releases its lease */
		unblock[i] = bench_now_us() - t0;
		if (fd < 0) {
			fprintf(stderr, "daxmr-bench-revoke: open %s: %s\n", path, strerror(errno));
			return -1;
		}
		close(fd);
		exp_of[i] = e;
		gen_of[i] = gen;
		if ((i + 1) % 100 == 0)
			fprintf(stderr, "daxmr-bench-revoke: %u of %u breaks, %.1f s\n", i + 1,
				o->breaks, (double)(rb_now_ms() - t_start) / 1000);
	}
	return 0;
}

/* Writes the samples (and the detail) files. */
static int rb_write(const struct rb_opts *o, const uint64_t *unblock, const uint32_t *exp_of,
		    const uint64_t *gen_of)
{
	FILE *s = fopen(o->samples, "w"), *d = o->detail ? fopen(o->detail, "w") : NULL;
	unsigned int i;
	int ret = 0;

	if (!s || (o->detail && !d)) {
		fprintf(stderr, "daxmr-bench-revoke: cannot write %s: %s\n",
			!s ? o->samples : o->detail, strerror(errno));
		ret = -1;
		goto out;
	}
	for (i = 0; i < o->breaks; i++) {
		fprintf(s, "%" PRIu64 "\n", unblock[i]);
		if (d)
			fprintf(d, "e%u %" PRIu64 " %" PRIu64 "\n", exp_of[i], gen_of[i],
				unblock[i]);
	}
out:
	if (s && fclose(s))
		ret = -1;
	if (d && fclose(d))
		ret = -1;
	return ret;
}

/* Many connections need more than a soft limit of 1024 fds. */
static void rb_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			fprintf(stderr, "daxmr-bench-revoke: setrlimit(RLIMIT_NOFILE): %s\n",
				strerror(errno));
	}
}

static void rb_usage(FILE *f)
{
	fprintf(f,
		"Usage: daxmr-bench-revoke --server ADDR[:PORT] --dir DIR --exports E --clients N\n"
		"                          [--breaks B] [--silent] [--hold all|one] [--procs P]\n"
		"                          [--samples FILE] [--detail FILE] [--pause FILE]\n"
		"\n"
		"Lease-break benchmark against a running daxmrd that exports DIR/e0 .. DIR/e<E-1>\n"
		"as e0 .. e<E-1>. N libdaxmr clients (in P worker processes, default 1) hold every\n"
		"export (--hold one: client i holds e<i mod E> only), reopening each new generation;\n"
		"--silent adds one client that holds them too and never acknowledges REVOKE. Then B\n"
		"breaks (default 1000), one at a time: break i opens DIR/e<i mod E> O_RDWR once every\n"
		"holder holds its current generation, and times open() from call to return (the\n"
		"breaker unblocked). A client holds at most 16 exports per connection: it uses\n"
		"ceil(E/16) connections.\n"
		"  --samples FILE  one unblock time in us per line (default revoke-samples.txt)\n"
		"  --detail FILE   'EXPORT GENERATION UNBLOCK_US' per break, to join daxmrd's log\n"
		"  --pause FILE    once all hold, print 'holding ...' and wait for FILE to exist\n"
		"                  (up to 10 min) before the breaks: for measuring daxmrd meanwhile\n"
		"Prints one summary line (unblock us p50/p90/p99/max). Exit 0, 1 on any failure,\n"
		"2 on bad usage. Every wait is bounded (60 s).\n");
}

/* Parses the command line into o; -1 on bad usage. */
static int rb_parse(int argc, char **argv, struct rb_opts *o)
{
	static const struct option lopts[] = { { "server", required_argument, NULL, 's' },
					       { "dir", required_argument, NULL, 'd' },
					       { "exports", required_argument, NULL, 'e' },
					       { "clients", required_argument, NULL, 'n' },
					       { "breaks", required_argument, NULL, 'b' },
					       { "procs", required_argument, NULL, 'p' },
					       { "silent", no_argument, NULL, 'S' },
					       { "hold", required_argument, NULL, 'H' },
					       { "samples", required_argument, NULL, 'o' },
					       { "detail", required_argument, NULL, 'D' },
					       { "pause", required_argument, NULL, 'P' },
					       { "help", no_argument, NULL, 'h' },
					       { NULL, 0, NULL, 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->server = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'e':
			o->exports = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o->clients = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			o->breaks = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			o->procs = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'S':
			o->silent = true;
			break;
		case 'H':
			if (strcmp(optarg, "one") && strcmp(optarg, "all"))
				return -1;
			o->hold_one = strcmp(optarg, "one") == 0;
			break;
		case 'o':
			o->samples = optarg;
			break;
		case 'D':
			o->detail = optarg;
			break;
		case 'P':
			o->pause = optarg;
			break;
		case 'h':
			rb_usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc || !o->server || !o->dir || o->exports == 0 || o->clients == 0 ||
	    o->procs == 0 || o->procs > 256 || o->procs > o->clients) {
		fprintf(stderr, "daxmr-bench-revoke: --server, --dir, --exports >= 1, --clients "
				"and 1 <= --procs <= min(256, clients) are needed\n");
		return -1;
	}
	return 0;
}

/* Waits up to 10 min for the pause file. */
static int rb_pause(const char *path)
{
	long long end = rb_now_ms() + 600000;

	while (access(path, F_OK) != 0) {
		if (rb_now_ms() > end)
			return -1;
		usleep(20000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rb_opts o = { .breaks = 1000, .procs = 1, .samples = "revoke-samples.txt" };
	struct rb_parent p = { .o = &o };
	uint64_t *unblock = NULL, *gen_of = NULL, *sorted = NULL;
	uint32_t *exp_of = NULL;
	int *ctl = NULL, rc = 1, status;
	unsigned int i, started = 0;
	long long t0;

	if (rb_parse(argc, argv, &o)) {
		rb_usage(stderr);
		return 2;
	}
	rb_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	p.in = calloc(o.procs, sizeof(*p.in));
	ctl = calloc(o.procs, sizeof(*ctl));
	p.held = calloc((size_t)o.procs * o.exports, sizeof(*p.held));
	unblock = calloc(o.breaks + 1, sizeof(*unblock));
	sorted = calloc(o.breaks + 1, sizeof(*sorted));
	gen_of = calloc(o.breaks + 1, sizeof(*gen_of));
	exp_of = calloc(o.breaks + 1, sizeof(*exp_of));
	if (!p.in || !ctl || !p.held || !unblock || !sorted || !gen_of || !exp_of)
		goto out;

	t0 = rb_now_ms();
	for (i = 0; i < o.procs; i++) {
		int up[2], down[2];
		pid_t pid;

		if (pipe2(up, O_CLOEXEC) || pipe2(down, O_CLOEXEC)) {
			perror("daxmr-bench-revoke: pipe2");
			goto out;
		}
		pid = fork();
		if (pid < 0) {
			perror("daxmr-bench-revoke: fork");
			goto out;
		}
		if (pid == 0) {
			unsigned int k;

			close(up[0]);
			close(down[1]);
			for (k = 0; k < i; k++) /* earlier workers' control pipes are not ours */
				close(ctl[k]);
			rb_worker_run(&o, i, up[1], down[0]);
		}
		close(up[1]);
		close(down[0]);
		p.in[i] = up[0];
		ctl[i] = down[1];
		started++;
	}
	if (rb_parent_wait(&p, 0, 0, "the workers' connections"))
		goto out;
	printf("holding clients=%u silent=%d exports=%u connections=%u procs=%u connect_ms=%lld\n",
	       o.clients, o.silent, o.exports,
	       (o.clients + (o.silent ? 1 : 0)) * rb_conns_per_client(&o), o.procs,
	       rb_now_ms() - t0);
	fflush(stdout);
	if (o.pause && rb_pause(o.pause)) {
		fprintf(stderr, "daxmr-bench-revoke: %s did not appear\n", o.pause);
		goto out;
	}
	if (o.breaks == 0) {
		rc = 0;
		goto out;
	}
	if (rb_breaks(&p, unblock, exp_of, gen_of) || rb_write(&o, unblock, exp_of, gen_of))
		goto out;
	memcpy(sorted, unblock, o.breaks * sizeof(*sorted));
	bench_sort_u64(sorted, o.breaks);
	printf("breaks=%u clients=%u silent=%d exports=%u unblock_us p50=%" PRIu64 " p90=%" PRIu64
	       " p99=%" PRIu64 " max=%" PRIu64 "\n",
	       o.breaks, o.clients, o.silent, o.exports, bench_pct(sorted, o.breaks, 50),
	       bench_pct(sorted, o.breaks, 90), bench_pct(sorted, o.breaks, 99),
	       sorted[o.breaks - 1]);
	rc = 0;
out:
	for (i = 0; i < started; i++)
		close(ctl[i]); /* EOF: the workers disconnect and exit */
	for (i = 0; i < started; i++) {
		if (wait(&status) < 0)
			break;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = 1;
	}
	free(exp_of);
	free(gen_of);
	free(sorted);
	free(unblock);
	free(p.held);
	free(ctl);
	free(p.in);
	return rc;
}
