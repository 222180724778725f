/* SPDX-License-Identifier: BSD-3-Clause */
/* daxmr_bench.c -- daxmr-bench: libdaxmr's bandwidth and latency in perftest's terms (its flags,
 * its columns), and the raw ibv_reg_mr anchor that daxmrd's registration is compared with */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include <infiniband/verbs.h>
#include <json-c/json.h>

#include "bench_args.h"
#include "daxmr.h"
#include "tool.h"

#define BENCH_DEVDAX_ALIGN (2ull << 20)
#define BENCH_MEM_MAX (128ull << 20) /* registered memory per thread: caps depth x size */
#define BENCH_SPAN_MIN (64ull << 10) /* the default span's floor (remote bytes cycled over) */
#define BENCH_POLL_MAX 64
#define BENCH_POLLS_PER_CLOCK 1024	      /* polls between two reads of the system clock */
#define BENCH_PROGRESS_AFTER_NS 2000000000ull /* progress only for runs longer than this */

static const char bench_usage[] =
	"usage: daxmr-bench [--server ADDR[:PORT]] [OPTIONS] NAME\n"
	"       daxmr-bench reg PATH [--odp] [--length N] [-d DEV] [--iterations N]\n"
	"\n"
	"Measures libdaxmr in perftest's terms, to be printed next to ib_read_bw, ib_write_bw,\n"
	"ib_read_lat and ib_write_lat run with the same flags on the same device (scripts/bench.sh\n"
	"does that; docs/benchmarks.md explains the figures).\n"
	"\n"
	"First form: connects to daxmrd, opens export NAME (read-only for --op read, read-write\n"
	"otherwise), registers a buffer of depth x size bytes with libdaxmr (daxmr_mem_reg) and\n"
	"keeps depth operations in flight on the zero-copy path (daxmr_region_read_async /\n"
	"_write_async / _cas_async / _faa_async, collected with daxmr_client_poll, a busy poll):\n"
	"bandwidth mode. --lat: one operation at a time (depth 1), busy polling, each timed:\n"
	"latency mode, like ib_read_lat. One client (--threads 1) runs in the main thread, the\n"
	"process's only thread. Operations are timed with the cycle counter (x86: rdtsc at each post\n"
	"and completion, as perftest), converted to microseconds against CLOCK_MONOTONIC_RAW over\n"
	"the run; elsewhere with CLOCK_MONOTONIC_RAW itself. Operations go to size-aligned offsets\n"
	"cycling over the first --span bytes of the export. Options (perftest's letters where\n"
	"perftest has the flag):\n"
	"      --server ADDR[:PORT]  daxmrd's address on the RDMA network (default: $DAXMR_SERVER;\n"
	"                            port 7471). Never -s: that is the size, as in perftest\n"
	"  -s, --size N              bytes per operation (default 65536, as perftest; 1 .. 8M)\n"
	"  -a, --all                 every size from 2 B to 8 MiB in powers of two, one run each\n"
	"  -n, --iters N             operations per thread (default 5000; --lat: 1000)\n"
	"  -D, --duration S          run S seconds instead of -n (fractions allowed)\n"
	"  -t, --tx-depth N          operations in flight (default 128, as perftest's bw tests;\n"
	"                            capped so that depth x size <= 128 MiB; --lat: 1)\n"
	"      --lat                 latency mode: depth 1, busy polling\n"
	"      --op read|write|cas|faa  the operation (default read); cas/faa: 8-byte atomics\n"
	"                            (cas compares with 0 and swaps in 0: the word never changes)\n"
	"      --report_gbits        bandwidth in Gb/s (10^9 bits) instead of MB/sec (2^20 bytes)\n"
	"      --json                one JSON object per run on stdout instead of the table\n"
	"      --threads N           N clients, one connection and one thread each (default 1);\n"
	"                            figures are the sum (latencies: over all operations)\n"
	"      --span N              remote bytes cycled over (default: depth x size, at least\n"
	"                            64 KiB, at most the export)\n"
	"      --copy                the copying calls (daxmr_region_read/_write, depth 1) instead\n"
	"                            of the zero-copy path; used by itself when libdaxmr has no\n"
	"                            async path (the output says which: path zero-copy or copy)\n"
	"  -k, --secret-file FILE    the secret shared with daxmrd (default: $DAXMR_SECRET_FILE)\n"
	"      --timeout MS          connect and per-request timeout (default 5000)\n"
	"  -v, --verbose             libdaxmr's info lines on stderr (repeat for debug)\n"
	"      --version             daxmr-bench's and libdaxmr's versions\n"
	"\n"
	"Writes put a known block at offset OFF: byte i is i % 251, then the text\n"
	"\"daxmr-bench offset=OFF\\n\" over its start; after the run the written span is FLUSHed\n"
	"once (not timed). Progress goes to stderr once a second on a terminal (else every 10 s)\n"
	"for runs over 2 s.\n"
	"\n"
	"Output (table): a '#' line naming export, memory, registration, op, mode, depth, threads\n"
	"and path, then one line per size. Bandwidth mode, as ib_read_bw:\n"
	"  #bytes #iterations BW average[MB/sec] MsgRate[Mpps] t_p50[usec] t_p99[usec]\n"
	"  (iterations: operations of all threads; MB is 2^20 bytes, perftest's unit; the time runs\n"
	"  from the first post to the last completion; t_*: each operation from its post to its\n"
	"  completion, queueing included). Latency mode, as ib_read_lat:\n"
	"  #bytes #iterations t_min[usec] t_max[usec] t_typical[usec] t_avg[usec] t_stdev[usec]\n"
	"  99% percentile[usec] 99.9% percentile[usec]   (t_typical: the median)\n"
	"--json: {\"op\", \"mode\" (bw|lat), \"path\" (zero-copy|copy), \"export\", \"memory\",\n"
	"  \"registration\", \"size\", \"depth\", \"threads\", \"seconds\", \"ops\", \"bytes\", \"MiB_s\",\n"
	"  \"Gb_s\", \"Mpps\", \"lat_us\": {\"min\", \"p50\", \"p99\", \"p999\", \"max\", \"avg\"},\n"
	"  \"connect_ms\", \"open_ms\", \"flush_ms\", \"clock\" (tsc|monotonic_raw), \"clock_mhz\"}\n"
	"  (connect/open/flush and the clock's measured rate: the first thread's).\n"
	"\n"
	"Second form, the registration anchor: maps PATH (a regular file, or devdax: the length\n"
	"must be a multiple of 2 MiB) MAP_SHARED, PROT_READ|PROT_WRITE and times ibv_reg_mr and\n"
	"ibv_dereg_mr of it on the first RDMA device. Options:\n"
	"      --length N            bytes from offset 0 (default: the file's or device's size)\n"
	"      --odp                 register with IBV_ACCESS_ON_DEMAND instead of pinning\n"
	"  -d, --device DEV          the RDMA device (default: the first one)\n"
	"      --iterations N        registrations to time (default 5)\n"
	"Output: reg path=PATH length=BYTES mode=pinned|odp reg_ms first=F p50=A max=B\n"
	"        dereg_ms p50=C\n"
	"\n"
	"Sizes (N) are bytes, with an optional K, M, G or T suffix (powers of 1024).\n"
	"\n"
	"exit status:\n"
	"  0  success\n"
	"  1  the operation failed (server status, RDMA error, registration failed, range)\n"
	"  2  usage error (also a bad secret file)\n"
	"  3  cannot connect to the server\n"
	"  4  no such export\n"
	"  5  access denied\n"
	"  6  the export was revoked or is being revoked\n"
	"  7  the export is unavailable (the server says why)\n";

/* One error line on stderr: "daxmr-bench: <message>". */
__attribute__((format(printf, 1, 2))) static void bench_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	daxmr_tool_vmsg(stderr, "daxmr-bench", fmt, ap);
	va_end(ap);
}

/* Nanoseconds on CLOCK_MONOTONIC_RAW (not slewed by NTP: a rate the cycle counter is held to). */
static uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The clock that times operations: the cycle counter (x86's TSC), read at each post and each
 * completion as perftest does, and converted to nanoseconds afterwards against CLOCK_MONOTONIC_RAW
 * over the whole run (bench_ticks_cal), not from a nominal CPU frequency. Why not clock_gettime at
 * every operation: in a guest whose kernel does not trust the TSC (TCG: clocksource hpet or
 * acpi_pm), clock_gettime is a system call reading an emulated timer, microseconds each, inside
 * the interval it measures. Elsewhere: CLOCK_MONOTONIC_RAW itself (ticks are nanoseconds).
 */
static inline uint64_t bench_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return bench_now_ns();
#endif
}

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_CLOCK_NAME "tsc"
#else
#define BENCH_CLOCK_NAME "monotonic_raw"
#endif

/* A pair of readings of the cycle counter and CLOCK_MONOTONIC_RAW, for the conversion. */
struct bench_ticks_cal {
	uint64_t ticks, ns;
};

/* Reads both clocks at (nearly) the same instant. */
static struct bench_ticks_cal bench_ticks_cal_now(void)
{
	struct bench_ticks_cal c;

	c.ticks = bench_ticks();
	c.ns = bench_now_ns();
	return c;
}

/* Nanoseconds per tick between two calibration points (1 where the ticks did not move). */
static double bench_ns_per_tick(struct bench_ticks_cal from, struct bench_ticks_cal to)
{
	if (to.ticks <= from.ticks || to.ns <= from.ns)
		return 1.0;
	return (double)(to.ns - from.ns) / (double)(to.ticks - from.ticks);
}

/* qsort comparator for latencies. */
static int bench_cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* The permille-th quantile (nearest rank) of the n sorted values: 500 median, 990 p99. */
static uint64_t bench_pct(const uint64_t *sorted, size_t n, unsigned int permille)
{
	size_t rank = (n * permille + 999) / 1000; /* ceil(n * permille / 1000), 1-based */

	return sorted[rank ? rank - 1 : 0];
}

/* Writes' block content: byte i is i % 251, then "daxmr-bench offset=OFF\n" at its start. */
static void bench_block_stamp(uint8_t *buf, size_t size, uint64_t off)
{
	char hdr[48];
	int n = snprintf(hdr, sizeof(hdr), "daxmr-bench offset=%" PRIu64 "\n", off);
	size_t i;

	/* restore what a longer stamp of an earlier offset overwrote */
	for (i = 0; i < sizeof(hdr) && i < size; i++)
		buf[i] = (uint8_t)(i % 251);
	memcpy(buf, hdr, (size_t)n < size ? (size_t)n : size);
}

/* What every thread of one run shares. */
struct bench_run {
	const struct daxmr_bench_args *a; /* borrowed */
	const char *server;		  /* borrowed */
	const char *secret_file;	  /* borrowed */
	uint64_t size;
	uint64_t iters;		 /* per thread; 0: until the deadline */
	double duration;	 /* seconds; 0: by iters */
	pthread_barrier_t ready; /* every thread connected, opened and registered (or failed) */
	atomic_bool failed;	 /* a thread failed: the others stop */
	atomic_uint_fast64_t ops_done; /* for the progress line */
	sem_t done;		       /* posted by each thread as it ends */
	bool inline_progress;	       /* one thread, the main one: its loop prints progress */
	bool tty;		       /* stderr is a terminal: progress every second, else 10 s */
	bool progress_shown;
	uint64_t progress_start_ns, progress_next_ns;
};

/* One thread: one client, its result. */
struct bench_thread {
	struct bench_run *run; /* borrowed */
	pthread_t tid;
	unsigned int idx; /* 0 .. threads - 1 */
	int code;	  /* exit code */
	uint64_t start_ns, end_ns,
		ops;		     /* CLOCK_MONOTONIC_RAW: the first post, the last completion */
	struct bench_ticks_cal cal0; /* at the start of the loop */
	uint64_t end_ticks;	     /* the last completion */
	double ns_per_tick;	     /* measured over the run */
	uint64_t *lat; /* owned: one latency per operation (ticks in the loop, then ns) */
	size_t nlat, cap;
	uint64_t connect_ns, open_ns, flush_ns;
	struct daxmr_desc desc;
	unsigned int depth; /* depth used */
	bool copy;	    /* the copying calls were used */
};

/* Appends one latency; -ENOMEM. */
static int bench_lat_push(struct bench_thread *t, uint64_t ns)
{
	uint64_t *p;

	if (t->nlat == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 65536;

		p = realloc(t->lat, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		t->lat = p;
		t->cap = cap;
	}
	t->lat[t->nlat++] = ns;
	return 0;
}

/* Whether the run should stop posting: iterations done, deadline passed, or a thread failed. */
static bool bench_done_posting(struct bench_thread *t, uint64_t posted, uint64_t now,
			       uint64_t deadline)
{
	struct bench_run *r = t->run;

	if (atomic_load(&r->failed))
		return true;
	return r->iters ? posted >= r->iters : now >= deadline;
}

/* The span cycled over, and the remote offset of operation i. */
struct bench_layout {
	uint64_t blocks;    /* span / size */
	unsigned int slots; /* local blocks (= the depth used) */
};

/* Posts operation i from local slot with the given flags. */
static int bench_post(struct bench_thread *t, struct daxmr_region *region, struct daxmr_mem *mem,
		      const struct bench_layout *l, uint8_t *buf, uint64_t i, unsigned int flags)
{
	struct bench_run *r = t->run;
	unsigned int slot = (unsigned int)(i % l->slots);
	size_t local = (size_t)slot * r->size;
	uint64_t off = (i % l->blocks) * r->size;
	void *ctx = (void *)(uintptr_t)(slot + 1);

	switch (r->a->op) {
	case DAXMR_BENCH_WRITE:
		bench_block_stamp(buf + local, r->size, off);
		return daxmr_region_write_async(region, mem, local, off, r->size, ctx, flags);
	case DAXMR_BENCH_CAS:
		return daxmr_region_cas_async(region, mem, local, off, 0, 0, ctx, flags);
	case DAXMR_BENCH_FAA:
		return daxmr_region_faa_async(region, mem, local, off, 1, ctx, flags);
	default:
		return daxmr_region_read_async(region, mem, local, off, r->size, ctx, flags);
	}
}

/* The error line of a failed operation; the exit code. */
static int bench_op_failed(const struct bench_thread *t, const char *what, uint64_t i, int err)
{
	struct bench_run *r = t->run;

	bench_err("%s %s: %s of %" PRIu64 " bytes (operation %" PRIu64 ", thread %u): %s",
		  daxmr_bench_op_name(r->a->op), r->a->name, what, r->size, i, t->idx,
		  daxmr_tool_transfer_strerror(err));
	return daxmr_tool_transfer_exit_code(err);
}

/* One progress line on stderr: "daxmr-bench read 4096 B: 12 s, 3456 ops". */
static void bench_progress_print(struct bench_run *r, uint64_t now)
{
	fprintf(stderr, "%sdaxmr-bench %s %" PRIu64 " B: %.0f s, %" PRIu64 " ops%s",
		r->tty ? "\r" : "", daxmr_bench_op_name(r->a->op), r->size,
		(double)(now - r->progress_start_ns) / 1e9, (uint64_t)atomic_load(&r->ops_done),
		r->tty ? "" : "\n");
	r->progress_shown = true;
	r->progress_next_ns = now + (r->tty ? 1000000000ull : 10000000000ull);
}

/* The main thread's own loop, at each read of the system clock: progress when it is due. */
static void bench_progress_inline(struct bench_run *r, uint64_t now)
{
	if (r->inline_progress && now >= r->progress_next_ns)
		bench_progress_print(r, now);
}

/* Ends a thread's timing: the last completion's time and every latency in nanoseconds. */
static void bench_ticks_finish(struct bench_thread *t)
{
	double npt = bench_ns_per_tick(t->cal0, bench_ticks_cal_now());
	size_t k;

	t->ns_per_tick = npt;
	t->start_ns = t->cal0.ns;
	t->end_ns = t->cal0.ns + (uint64_t)((double)(t->end_ticks - t->cal0.ticks) * npt);
	for (k = 0; k < t->nlat; k++)
		t->lat[k] = (uint64_t)((double)t->lat[k] * npt + 0.5);
}

/*
 * The zero-copy loop: keep up to l->slots operations in flight, each batch of posts rung with
 * one doorbell (DAXMR_OP_F_MORE on all but its last), completions collected by busy polling.
 * Operations complete in order (one RC QP), so slot i % slots is free again when operation
 * i - slots has completed. -ENOSYS (before anything was posted): the library has no async path.
 * Timing as perftest's: the cycle counter at each batch's post and at each poll that returned
 * completions; the system clock only every BENCH_POLLS_PER_CLOCK polls (deadline, progress).
 */
static int bench_loop_async(struct bench_thread *t, struct daxmr_client *client,
			    struct daxmr_region *region, struct daxmr_mem *mem,
			    const struct bench_layout *l, uint8_t *buf)
{
	struct bench_run *r = t->run;
	struct daxmr_completion done[BENCH_POLL_MAX];
	uint64_t *posted_tk = calloc(l->slots, sizeof(*posted_tk));
	uint64_t posted = 0, completed = 0, now, deadline, want, k, tk = 0;
	unsigned int polls = 0;
	unsigned int slot;
	int n, i, ret = 0;

	if (!posted_tk) {
		bench_err("%s: out of memory", r->a->name);
		return DAXMR_TOOL_EXIT_FAILED;
	}
	t->cal0 = bench_ticks_cal_now();
	t->end_ticks = t->cal0.ticks;
	now = t->cal0.ns;
	deadline = now + (uint64_t)(r->duration * 1e9);
	for (;;) {
		if (!bench_done_posting(t, posted, now, deadline)) {
			want = l->slots - (posted - completed);
			if (r->iters && want > r->iters - posted)
				want = r->iters - posted;
			if (want)
				tk = bench_ticks(); /* the batch's post time */
			for (k = 0; k < want; k++) {
				ret = bench_post(t, region, mem, l, buf, posted,
						 k + 1 < want ? DAXMR_OP_F_MORE : 0);
				if (ret == -EAGAIN) {
					ret = daxmr_client_submit(client);
					break;
				}
				if (ret)
					break;
				posted_tk[posted % l->slots] = tk;
				posted++;
			}
			if (ret == -ENOSYS && !posted) {
				free(posted_tk);
				return -ENOSYS;
			}
			if (ret) {
				(void)daxmr_client_submit(client);
				ret = bench_op_failed(t, "posting", posted, ret);
				atomic_store(&r->failed, true);
				break;
			}
		}
		if (posted == completed)
			break;
		n = daxmr_client_poll(client, done, BENCH_POLL_MAX);
		if (n > 0)
			tk = bench_ticks();
		if (++polls >= BENCH_POLLS_PER_CLOCK) {
			now = bench_now_ns();
			polls = 0;
			bench_progress_inline(r, now);
		}
		if (n < 0) {
			ret = bench_op_failed(t, "polling", completed, n);
			atomic_store(&r->failed, true);
			break;
		}
		for (i = 0; i < n; i++) {
			slot = (unsigned int)((uintptr_t)done[i].op_ctx - 1);
			if (done[i].status) {
				ret = bench_op_failed(t, "RDMA operation", completed,
						      done[i].status);
				atomic_store(&r->failed, true);
				break;
			}
			if (slot >= l->slots || bench_lat_push(t, tk - posted_tk[slot])) {
				bench_err("%s: out of memory or a stray completion", r->a->name);
				ret = DAXMR_TOOL_EXIT_FAILED;
				atomic_store(&r->failed, true);
				break;
			}
			completed++;
		}
		if (ret)
			break;
		if (n) {
			t->end_ticks = tk;
			atomic_fetch_add(&r->ops_done, (uint_fast64_t)n);
		}
	}
	t->ops = completed;
	bench_ticks_finish(t);
	free(posted_tk);
	return ret;
}

/* The copying loop (--copy, or a library without the async path): one call after the other. */
static int bench_loop_copy(struct bench_thread *t, struct daxmr_region *region,
			   const struct bench_layout *l, uint8_t *buf)
{
	struct bench_run *r = t->run;
	uint64_t i, off, t0, t1, now, deadline;
	int ret = 0;

	t->cal0 = bench_ticks_cal_now();
	t->end_ticks = t->cal0.ticks;
	now = t->cal0.ns;
	deadline = now + (uint64_t)(r->duration * 1e9);
	for (i = 0; !bench_done_posting(t, i, now, deadline); i++) {
		off = (i % l->blocks) * r->size;
		if (r->a->op == DAXMR_BENCH_WRITE)
			bench_block_stamp(buf, r->size, off);
		t0 = bench_ticks();
		ret = r->a->op == DAXMR_BENCH_WRITE ?
			      daxmr_region_write(region, off, buf, r->size) :
			      daxmr_region_read(region, off, buf, r->size);
		t1 = bench_ticks();
		if (ret) {
			atomic_store(&r->failed, true);
			ret = bench_op_failed(t, "RDMA transfer", i, ret);
			break;
		}
		t->end_ticks = t1;
		if (bench_lat_push(t, t1 - t0)) {
			bench_err("%s: out of memory", r->a->name);
			ret = DAXMR_TOOL_EXIT_FAILED;
			break;
		}
		atomic_fetch_add(&r->ops_done, 1);
		now = bench_now_ns(); /* the copying calls make system calls anyway */
		bench_progress_inline(r, now);
	}
	t->ops = i;
	bench_ticks_finish(t);
	return ret;
}

/* Connects one client and opens the export: the thread's set-up. Returns an exit code. */
static int bench_connect(struct bench_thread *t, unsigned int depth,
			 struct daxmr_client **client_ptr, struct daxmr_region **region_ptr)
{
	struct bench_run *r = t->run;
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	bool ro = r->a->op == DAXMR_BENCH_READ;
	const char *why;
	char name[64];
	uint64_t t0;
	int ret;

	snprintf(name, sizeof(name), "daxmr-bench-%u", t->idx);
	opts.name = name;
	opts.timeout_ms = r->a->timeout_ms ? r->a->timeout_ms : DAXMR_DEFAULT_TIMEOUT_MS;
	opts.verbose = r->a->verbose;
	opts.secret_file = r->secret_file;
	opts.queue_depth = depth;
	/* one operation = one work request, as perftest posts them (same depth, same sizes) */
	opts.max_wr_bytes = r->size > DAXMR_DEFAULT_MAX_WR_BYTES ?
				    (uint32_t)((r->size + 4095) & ~4095ull) :
				    DAXMR_DEFAULT_MAX_WR_BYTES;
	t0 = bench_now_ns();
	ret = daxmr_client_connect(r->server, &opts, client_ptr);
	t->connect_ns = bench_now_ns() - t0;
	if (ret) {
		bench_err("cannot connect to %s: %s", r->server, daxmr_tool_connect_strerror(ret));
		return daxmr_tool_connect_exit_code(ret);
	}
	t0 = bench_now_ns();
	ret = daxmr_region_open(*client_ptr, r->a->name, ro ? DAXMR_RO : DAXMR_RW, region_ptr);
	t->open_ns = bench_now_ns() - t0;
	if (ret) {
		why = daxmr_client_last_reason(*client_ptr);
		bench_err("%s: cannot open %s: %s%s%s%s", r->a->name, ro ? "ro" : "rw",
			  daxmr_tool_strerror(ret), *why ? " (server: " : "", why, *why ? ")" : "");
		return daxmr_tool_exit_code(ret);
	}
	t->desc = *daxmr_region_desc(*region_ptr);
	return 0;
}

/* The slots (depth used) and the span for this size and export; an exit code. */
static int bench_layout_pick(struct bench_thread *t, unsigned int depth, struct bench_layout *l)
{
	struct bench_run *r = t->run;
	uint64_t slots = depth, span;

	if (slots * r->size > BENCH_MEM_MAX)
		slots = BENCH_MEM_MAX / r->size ? BENCH_MEM_MAX / r->size : 1;
	span = r->a->span;
	if (!span) {
		span = slots * r->size > BENCH_SPAN_MIN ? slots * r->size : BENCH_SPAN_MIN;
		if (span > t->desc.length)
			span = t->desc.length;
	}
	if (!r->size || span > t->desc.length || r->size > span) {
		bench_err("%s: -s %" PRIu64 " and --span %" PRIu64
			  " do not fit the export (length %" PRIu64 ")",
			  r->a->name, r->size, span, t->desc.length);
		return DAXMR_TOOL_EXIT_FAILED;
	}
	l->blocks = span / r->size;
	l->slots = (unsigned int)slots;
	return 0;
}

/* One thread: connect, open, register, wait for the others, run, flush the writes. */
static void *bench_thread_main(void *arg)
{
	struct bench_thread *t = arg;
	struct bench_run *r = t->run;
	struct daxmr_client *client = NULL;
	struct daxmr_region *region = NULL;
	struct daxmr_mem *mem = NULL;
	struct bench_layout l = { 0 };
	uint8_t *buf = NULL;
	uint64_t i, written, t0;
	size_t len = 0;
	int ret;

	t->depth = r->a->depth;
	t->copy = r->a->copy;
	t->code = bench_connect(t, t->depth, &client, &region);
	if (!t->code)
		t->code = bench_layout_pick(t, t->depth, &l);
	if (!t->code) {
		t->depth = t->copy ? 1 : l.slots;
		len = (size_t)l.slots * r->size;
		buf = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
		if (!buf) {
			bench_err("%s: out of memory for %zu bytes", r->a->name, len);
			t->code = DAXMR_TOOL_EXIT_FAILED;
		}
	}
	if (!t->code) {
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)((i % r->size) % 251);
		ret = t->copy ? 0 : daxmr_mem_reg(client, buf, len, &mem);
		if (ret == -ENOSYS) {
			t->copy = true;
		} else if (ret) {
			bench_err("%s: registering %zu bytes of local memory: %s", r->a->name, len,
				  daxmr_tool_strerror(ret));
			t->code = DAXMR_TOOL_EXIT_FAILED;
		}
	}
	if (t->code)
		atomic_store(&r->failed, true);
	pthread_barrier_wait(&r->ready);
	if (t->code || atomic_load(&r->failed))
		goto out;
	ret = t->copy ? -ENOSYS : bench_loop_async(t, client, region, mem, &l, buf);
	if (ret == -ENOSYS && (r->a->op == DAXMR_BENCH_CAS || r->a->op == DAXMR_BENCH_FAA)) {
		if (!t->idx)
			bench_err("%s: libdaxmr here has no async path (-ENOSYS): atomics are not "
				  "supported without it",
				  r->a->name);
		atomic_store(&r->failed, true);
		t->code = DAXMR_TOOL_EXIT_FAILED;
		goto out;
	}
	if (ret == -ENOSYS) {
		if (!t->copy && !t->idx)
			bench_err("libdaxmr here has no zero-copy path (-ENOSYS): measuring the "
				  "copying calls at depth 1");
		t->copy = true;
		t->depth = 1;
		t->nlat = 0;
		ret = bench_loop_copy(t, region, &l, buf);
	}
	t->code = ret;
	if (!t->code && r->a->op == DAXMR_BENCH_WRITE) {
		written = t->ops < l.blocks ? t->ops * r->size : l.blocks * r->size;
		t0 = bench_now_ns();
		ret = daxmr_region_flush(region, 0, written);
		t->flush_ns = bench_now_ns() - t0;
		if (ret) {
			bench_err("%s: FLUSH of %" PRIu64 " bytes: %s", r->a->name, written,
				  daxmr_tool_strerror(ret));
			t->code = daxmr_tool_exit_code(ret);
		}
	}
out:
	if (daxmr_mem_dereg(&mem) == -EBUSY)
		bench_err("%s: local memory still busy at the end (operations in flight)",
			  r->a->name);
	daxmr_region_close(&region);
	daxmr_client_disconnect(&client);
	free(buf);
	sem_post(&r->done);
	return NULL;
}

/* The merged figures of one run. */
struct bench_result {
	uint64_t ops, bytes;
	double secs;
	uint64_t *lat; /* owned: every thread's latencies, sorted */
	size_t nlat;
	double avg_ns, stdev_ns;
	unsigned int depth; /* the first thread's */
	bool copy;
};

/* Sums the threads' figures into *res (time: the first start to the last end); -ENOMEM. */
static int bench_merge(const struct bench_thread *t, unsigned int n, uint64_t size,
		       struct bench_result *res)
{
	uint64_t start = UINT64_MAX, end = 0;
	double sum = 0, sq = 0;
	size_t total = 0, k;
	unsigned int i;

	*res = (struct bench_result){ .depth = t[0].depth, .copy = t[0].copy };
	for (i = 0; i < n; i++) {
		res->ops += t[i].ops;
		total += t[i].nlat;
		if (t[i].start_ns < start)
			start = t[i].start_ns;
		if (t[i].end_ns > end)
			end = t[i].end_ns;
		res->copy = res->copy || t[i].copy;
	}
	res->bytes = res->ops * size;
	res->secs = end > start ? (double)(end - start) / 1e9 : 0;
	res->lat = malloc((total ? total : 1) * sizeof(*res->lat));
	if (!res->lat)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (t[i].nlat)
			memcpy(res->lat + res->nlat, t[i].lat, t[i].nlat * sizeof(*res->lat));
		res->nlat += t[i].nlat;
	}
	if (!res->nlat) {
		res->lat[0] = 0;
		return 0;
	}
	qsort(res->lat, res->nlat, sizeof(*res->lat), bench_cmp_u64);
	for (k = 0; k < res->nlat; k++)
		sum += (double)res->lat[k];
	res->avg_ns = sum / (double)res->nlat;
	for (k = 0; k < res->nlat; k++)
		sq += ((double)res->lat[k] - res->avg_ns) * ((double)res->lat[k] - res->avg_ns);
	res->stdev_ns = sqrt(sq / (double)res->nlat);
	return 0;
}

/* A double with the given decimals, as JSON (seconds and Mpps need 6: short runs, slow rates). */
static struct json_object *bench_json_num_p(double v, int decimals)
{
	char s[48];

	snprintf(s, sizeof(s), "%.*f", decimals, v);
	return json_object_new_double_s(v, s);
}

/* A double rounded to 3 decimals, as JSON. */
static struct json_object *bench_json_num(double v)
{
	return bench_json_num_p(v, 3);
}

/* Prints one run as one JSON object on a line of its own; -EIO. */
static int bench_print_json(const struct bench_run *r, const struct bench_thread *t0,
			    const struct bench_result *res)
{
	const struct daxmr_bench_args *a = r->a;
	struct json_object *o = json_object_new_object(), *lat = json_object_new_object();
	double s = res->secs > 0 ? res->secs : 1e-9;
	size_t n = res->nlat;
	int ret = 0;

	if (!o || !lat) {
		json_object_put(o);
		json_object_put(lat);
		return -ENOMEM;
	}
	json_object_object_add(o, "op", json_object_new_string(daxmr_bench_op_name(a->op)));
	json_object_object_add(o, "mode", json_object_new_string(a->lat ? "lat" : "bw"));
	json_object_object_add(o, "path", json_object_new_string(res->copy ? "copy" : "zero-copy"));
	json_object_object_add(o, "export", json_object_new_string(a->name));
	json_object_object_add(o, "memory",
			       json_object_new_string(daxmr_memory_str(t0->desc.memory)));
	json_object_object_add(
		o, "registration",
		json_object_new_string(daxmr_registration_str(t0->desc.registration)));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)r->size));
	json_object_object_add(o, "depth", json_object_new_int64(res->depth));
	json_object_object_add(o, "threads", json_object_new_int64(a->threads));
	json_object_object_add(o, "seconds", bench_json_num_p(res->secs, 6));
	json_object_object_add(o, "ops", json_object_new_int64((int64_t)res->ops));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)res->bytes));
	json_object_object_add(o, "MiB_s", bench_json_num((double)res->bytes / s / 1048576.0));
	json_object_object_add(o, "Gb_s", bench_json_num((double)res->bytes * 8 / s / 1e9));
	json_object_object_add(o, "Mpps", bench_json_num_p((double)res->ops / s / 1e6, 6));
	json_object_object_add(lat, "min", bench_json_num((double)res->lat[0] / 1e3));
	json_object_object_add(lat, "p50",
			       bench_json_num((double)bench_pct(res->lat, n, 500) / 1e3));
	json_object_object_add(lat, "p99",
			       bench_json_num((double)bench_pct(res->lat, n, 990) / 1e3));
	json_object_object_add(lat, "p999",
			       bench_json_num((double)bench_pct(res->lat, n, 999) / 1e3));
	json_object_object_add(lat, "max", bench_json_num((double)res->lat[n ? n - 1 : 0] / 1e3));
	json_object_object_add(lat, "avg", bench_json_num(res->avg_ns / 1e3));
	json_object_object_add(o, "lat_us", lat);
	json_object_object_add(o, "connect_ms", bench_json_num((double)t0->connect_ns / 1e6));
	json_object_object_add(o, "open_ms", bench_json_num((double)t0->open_ns / 1e6));
	json_object_object_add(o, "flush_ms", bench_json_num((double)t0->flush_ns / 1e6));
	json_object_object_add(o, "clock", json_object_new_string(BENCH_CLOCK_NAME));
	json_object_object_add(o, "clock_mhz", bench_json_num(1e3 / t0->ns_per_tick));
	if (puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) < 0)
		ret = -EIO;
	json_object_put(o);
	return ret;
}

/* Prints the table's header line(s) once, before the first size. */
static void bench_print_header(const struct bench_run *r, const struct bench_thread *t0,
			       const struct bench_result *res)
{
	const struct daxmr_bench_args *a = r->a;

	printf("# daxmr-bench %s %s: export %s (%s, %s, %" PRIu64 " bytes), depth %u, %u thread%s, "
	       "%s path\n",
	       daxmr_bench_op_name(a->op), a->lat ? "latency" : "bandwidth", a->name,
	       daxmr_memory_str(t0->desc.memory), daxmr_registration_str(t0->desc.registration),
	       t0->desc.length, res->depth, a->threads, a->threads == 1 ? "" : "s",
	       res->copy ? "copy (daxmr_region_read/_write)" : "zero-copy (async, busy poll)");
	if (a->lat)
		printf(" %-10s %-12s %-12s %-12s %-16s %-12s %-14s %-22s %s\n", "#bytes",
		       "#iterations", "t_min[usec]", "t_max[usec]", "t_typical[usec]",
		       "t_avg[usec]", "t_stdev[usec]", "99% percentile[usec]",
		       "99.9% percentile[usec]");
	else
		printf(" %-10s %-12s %-20s %-15s %-13s %s\n", "#bytes", "#iterations",
		       a->gbits ? "BW average[Gb/sec]" : "BW average[MB/sec]", "MsgRate[Mpps]",
		       "t_p50[usec]", "t_p99[usec]");
}

/* Prints one size's table line. */
static void bench_print_row(const struct bench_run *r, const struct bench_result *res)
{
	double s = res->secs > 0 ? res->secs : 1e-9, bw;
	const uint64_t *l = res->lat;
	size_t n = res->nlat;

	if (r->a->lat) {
		printf(" %-10" PRIu64 " %-12" PRIu64 " %-12.2f %-12.2f %-16.2f %-12.2f %-14.2f "
		       "%-22.2f %.2f\n",
		       r->size, res->ops, (double)l[0] / 1e3, (double)l[n ? n - 1 : 0] / 1e3,
		       (double)bench_pct(l, n, 500) / 1e3, res->avg_ns / 1e3, res->stdev_ns / 1e3,
		       (double)bench_pct(l, n, 990) / 1e3, (double)bench_pct(l, n, 999) / 1e3);
		return;
	}
	bw = r->a->gbits ? (double)res->bytes * 8 / s / 1e9 : (double)res->bytes / s / 1048576.0;
	printf(" %-10" PRIu64 " %-12" PRIu64 " %-20.2f %-15.6f %-13.2f %.2f\n", r->size, res->ops,
	       bw, (double)res->ops / s / 1e6, (double)bench_pct(l, n, 500) / 1e3,
	       (double)bench_pct(l, n, 990) / 1e3);
}

/*
 * Waits for the threads, with progress on stderr: every second on a tty, else every 10 s, for
 * runs over 2 s. Sleeps on the semaphore the threads post when they end, so that this thread
 * wakes only to print.
 */
static void bench_progress_wait(struct bench_run *r)
{
	unsigned int done = 0;
	struct timespec until;
	uint64_t now, wait_ns;

	while (done < r->a->threads) {
		/* sem_clockwait knows CLOCK_MONOTONIC, not _RAW: the same wait, from its now */
		now = bench_now_ns();
		wait_ns = r->progress_next_ns > now ? r->progress_next_ns - now : 0;
		clock_gettime(CLOCK_MONOTONIC, &until);
		wait_ns += (uint64_t)until.tv_nsec;
		until.tv_sec += (time_t)(wait_ns / 1000000000ull);
		until.tv_nsec = (long)(wait_ns % 1000000000ull);
		if (!sem_clockwait(&r->done, CLOCK_MONOTONIC, &until)) {
			done++;
			continue;
		}
		if (errno != ETIMEDOUT)
			continue; /* EINTR */
		bench_progress_print(r, bench_now_ns());
	}
}

/* One run (one size): the threads, then the output. Returns an exit code. */
static int bench_run_size(const struct daxmr_bench_args *a, const char *server,
			  const char *secret_file, uint64_t size, bool first)
{
	struct bench_run r = { .a = a, .server = server, .secret_file = secret_file, .size = size };
	struct bench_thread *t = calloc(a->threads, sizeof(*t));
	struct bench_result res = { 0 };
	unsigned int i, started = 0;
	int code = DAXMR_TOOL_EXIT_OK, ret;

	if (!t) {
		bench_err("out of memory");
		return DAXMR_TOOL_EXIT_FAILED;
	}
	r.duration = a->duration;
	r.iters = a->duration > 0 ? 0 :
		  a->iters	  ? a->iters :
		  a->lat	  ? DAXMR_BENCH_DEFAULT_ITERS_LAT :
				    DAXMR_BENCH_DEFAULT_ITERS_BW;
	atomic_init(&r.failed, false);
	atomic_init(&r.ops_done, 0);
	ret = pthread_barrier_init(&r.ready, NULL, a->threads);
	if (ret) {
		bench_err("pthread_barrier_init: %s", strerror(ret));
		free(t);
		return DAXMR_TOOL_EXIT_FAILED;
	}
	if (sem_init(&r.done, 0, 0)) {
		bench_err("sem_init: %s", strerror(errno));
		pthread_barrier_destroy(&r.ready);
		free(t);
		return DAXMR_TOOL_EXIT_FAILED;
	}
	r.tty = isatty(STDERR_FILENO);
	r.progress_start_ns = bench_now_ns();
	r.progress_next_ns = r.progress_start_ns + BENCH_PROGRESS_AFTER_NS;
	/*
	 * One client runs in this thread, as perftest's: no other thread of the process wakes
	 * during the run (a waiting one would need a vCPU, and a timer, under TCG).
	 */
	r.inline_progress = a->threads == 1;
	for (i = 0; r.inline_progress && i < 1; i++) {
		t[i].run = &r;
		(void)bench_thread_main(&t[i]);
	}
	for (i = 0; !r.inline_progress && i < a->threads; i++) {
		t[i].run = &r;
		t[i].idx = i;
		ret = pthread_create(&t[i].tid, NULL, bench_thread_main, &t[i]);
		if (ret) {
			bench_err("pthread_create (thread %u): %s", i, strerror(ret));
			/* the barrier waits for threads that will never come: fail the run */
			abort();
		}
		started++;
	}
	if (!r.inline_progress)
		bench_progress_wait(&r);
	if (r.progress_shown && r.tty)
		fputc('\n', stderr);
	for (i = 0; i < a->threads; i++) {
		if (i < started)
			pthread_join(t[i].tid, NULL);
		if (t[i].code && code == DAXMR_TOOL_EXIT_OK)
			code = t[i].code;
	}
	pthread_barrier_destroy(&r.ready);
	sem_destroy(&r.done);
	if (code == DAXMR_TOOL_EXIT_OK && bench_merge(t, a->threads, size, &res)) {
		bench_err("out of memory");
		code = DAXMR_TOOL_EXIT_FAILED;
	}
	if (code == DAXMR_TOOL_EXIT_OK && !res.nlat) {
		bench_err("%s: no operation ran", a->name);
		code = DAXMR_TOOL_EXIT_FAILED;
	}
	if (code == DAXMR_TOOL_EXIT_OK) {
		if (a->json) {
			ret = bench_print_json(&r, &t[0], &res);
		} else {
			if (first)
				bench_print_header(&r, &t[0], &res);
			bench_print_row(&r, &res);
			ret = 0;
		}
		if (ret || fflush(stdout)) {
			bench_err("writing stdout: %s", strerror(errno));
			code = DAXMR_TOOL_EXIT_FAILED;
		}
	}
	free(res.lat);
	for (i = 0; i < a->threads; i++)
		free(t[i].lat);
	free(t);
	return code;
}

/* The ops form: one run per size (-a: 2 B .. 8 MiB). Returns an exit code. */
static int bench_ops(const struct daxmr_bench_args *a)
{
	const char *server, *secret;
	char err[512];
	uint64_t size;
	int code;

	if (daxmr_tool_conn_pick(a->server, a->secret_file, "--server", &server, &secret, err,
				 sizeof(err))) {
		bench_err("%s", err);
		return DAXMR_TOOL_EXIT_USAGE;
	}
	if (!a->all)
		return bench_run_size(a, server, secret, a->size, true);
	for (size = DAXMR_BENCH_MIN_SIZE_ALL; size <= DAXMR_BENCH_MAX_SIZE; size *= 2) {
		code = bench_run_size(a, server, secret, size, size == DAXMR_BENCH_MIN_SIZE_ALL);
		if (code)
			return code;
	}
	return DAXMR_TOOL_EXIT_OK;
}

/* The size of a devdax device from sysfs (/sys/dev/char/M:m/size); -errno. */
static int bench_devdax_size(const struct stat *st, uint64_t *size_ptr)
{
	char path[96];
	unsigned long long v;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/size", major(st->st_rdev),
		 minor(st->st_rdev));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ret = fscanf(f, "%llu", &v) == 1 ? 0 : -EINVAL;
	fclose(f);
	if (!ret)
		*size_ptr = v;
	return ret;
}

/* Opens the RDMA device named dev (NULL: the first one); -ENODEV. */
static int bench_open_device(const char *dev, struct ibv_context **ctx_ptr, const char **name_ptr)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int num = 0, i, ret = -ENODEV;

	list = ibv_get_device_list(&num);
	if (!list) {
		ret = -errno;
		bench_err("reg: ibv_get_device_list: %s", strerror(-ret));
		return ret;
	}
	for (i = 0; i < num; i++) {
		if (dev && strcmp(ibv_get_device_name(list[i]), dev) != 0)
			continue;
		ctx = ibv_open_device(list[i]);
		if (!ctx) {
			ret = errno ? -errno : -ENODEV;
			bench_err("reg: ibv_open_device(%s): %s", ibv_get_device_name(list[i]),
				  strerror(-ret));
			break;
		}
		*name_ptr = strdup(ibv_get_device_name(list[i]));
		*ctx_ptr = ctx;
		ret = 0;
		break;
	}
	if (ret == -ENODEV && i == num)
		bench_err("reg: %s", dev ? "no such RDMA device" : "no RDMA device");
	ibv_free_device_list(list);
	return ret;
}

/* The reg form: map PATH, time ibv_reg_mr/ibv_dereg_mr. Returns an exit code. */
static int bench_reg(const struct daxmr_bench_args *a)
{
	const int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			   IBV_ACCESS_REMOTE_READ | (a->odp ? IBV_ACCESS_ON_DEMAND : 0);
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd = NULL;
	struct ibv_mr *mr;
	const char *devname = NULL;
	uint64_t *reg_ns = NULL, *dereg_ns = NULL, length = 0, first, t0;
	void *map = MAP_FAILED;
	struct stat st;
	unsigned int i;
	int fd, ret, code = DAXMR_TOOL_EXIT_FAILED;

	fd = open(a->name, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		bench_err("reg %s: cannot open read-write: %s", a->name, strerror(errno));
		return DAXMR_TOOL_EXIT_FAILED;
	}
	if (fstat(fd, &st)) {
		bench_err("reg %s: fstat: %s", a->name, strerror(errno));
		goto out;
	}
	if (S_ISCHR(st.st_mode)) {
		ret = a->length ? 0 : bench_devdax_size(&st, &length);
		if (ret) {
			bench_err("reg %s: cannot read the device's size from sysfs (%s): pass "
				  "--length",
				  a->name, strerror(-ret));
			goto out;
		}
		if (a->length)
			length = a->length;
		if (length % BENCH_DEVDAX_ALIGN) {
			bench_err(
				"reg %s: a devdax mapping must be a multiple of 2 MiB, not %" PRIu64
				" bytes",
				a->name, length);
			goto out;
		}
	} else if (S_ISREG(st.st_mode)) {
		length = a->length ? a->length : (uint64_t)st.st_size;
		if (length > (uint64_t)st.st_size) {
			bench_err("reg %s: --length %" PRIu64 " passes the file's end (%" PRIu64
				  " bytes)",
				  a->name, length, (uint64_t)st.st_size);
			goto out;
		}
	} else {
		bench_err("reg %s: neither a regular file nor a devdax device", a->name);
		goto out;
	}
	if (!length) {
		bench_err("reg %s: nothing to register (length 0)", a->name);
		goto out;
	}
	map = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		bench_err("reg %s: mmap of %" PRIu64 " bytes, MAP_SHARED, read-write: %s", a->name,
			  length, strerror(errno));
		goto out;
	}
	if (bench_open_device(a->dev, &ctx, &devname))
		goto out;
	pd = ibv_alloc_pd(ctx);
	if (!pd) {
		bench_err("reg %s: ibv_alloc_pd on %s: %s", a->name, devname, strerror(errno));
		goto out;
	}
	reg_ns = calloc(a->reg_iters, sizeof(*reg_ns));
	dereg_ns = calloc(a->reg_iters, sizeof(*dereg_ns));
	if (!reg_ns || !dereg_ns) {
		bench_err("reg %s: out of memory", a->name);
		goto out;
	}
	for (i = 0; i < a->reg_iters; i++) {
		t0 = bench_now_ns();
		mr = ibv_reg_mr(pd, map, length, access);
		reg_ns[i] = bench_now_ns() - t0;
		if (!mr) {
			bench_err("reg %s: ibv_reg_mr(%s, %" PRIu64 " bytes, %s) failed: %s",
				  a->name, devname, length, a->odp ? "odp" : "pinned",
				  strerror(errno));
			goto out;
		}
		t0 = bench_now_ns();
		ret = ibv_dereg_mr(mr);
		dereg_ns[i] = bench_now_ns() - t0;
		if (ret) {
			bench_err("reg %s: ibv_dereg_mr: %s", a->name, strerror(ret));
			goto out;
		}
	}
	first = reg_ns[0];
	qsort(reg_ns, a->reg_iters, sizeof(*reg_ns), bench_cmp_u64);
	qsort(dereg_ns, a->reg_iters, sizeof(*dereg_ns), bench_cmp_u64);
	printf("reg path=%s device=%s length=%" PRIu64 " mode=%s iterations=%u reg_ms first=%.2f "
	       "p50=%.2f max=%.2f dereg_ms p50=%.2f\n",
	       a->name, devname, length, a->odp ? "odp" : "pinned", a->reg_iters,
	       (double)first / 1e6, (double)bench_pct(reg_ns, a->reg_iters, 50) / 1e6,
	       (double)reg_ns[a->reg_iters - 1] / 1e6,
	       (double)bench_pct(dereg_ns, a->reg_iters, 50) / 1e6);
	code = fflush(stdout) ? DAXMR_TOOL_EXIT_FAILED : DAXMR_TOOL_EXIT_OK;
out:
	free(reg_ns);
	free(dereg_ns);
	if (pd)
		ibv_dealloc_pd(pd);
	if (ctx)
		ibv_close_device(ctx);
	free((void *)devname);
	if (map != MAP_FAILED)
		munmap(map, length);
	close(fd);
	return code;
}

int main(int argc, char *argv[])
{
	struct daxmr_bench_args a;
	char err[512];

	if (daxmr_bench_args_parse(argc, argv, &a, err, sizeof(err))) {
		bench_err("%s", err);
		fputs("Try 'daxmr-bench --help'.\n", stderr);
		return DAXMR_TOOL_EXIT_USAGE;
	}
	if (a.help) {
		fputs(bench_usage, stdout);
		return DAXMR_TOOL_EXIT_OK;
	}
	if (a.version) {
		printf("daxmr-bench %s (libdaxmr %s)\n", DAXMR_TOOL_VERSION,
		       daxmr_version(NULL, NULL, NULL));
		return DAXMR_TOOL_EXIT_OK;
	}
	return a.reg ? bench_reg(&a) : bench_ops(&a);
}
