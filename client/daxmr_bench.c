/* SPDX-License-Identifier: BSD-3-Clause */
/* daxmr_bench.c -- daxmr-bench: libdaxmr read/write latency and throughput, and the raw
 * ibv_reg_mr anchor that daxmrd's own registration of an export is compared with */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "daxmr.h"
#include "tool.h"

#define BENCH_DEFAULT_SIZE 4096u
#define BENCH_DEFAULT_SECONDS 3.0
#define BENCH_DEFAULT_REG_ITERS 5
#define BENCH_PROGRESS_AFTER_NS 2000000000ull /* progress only for runs longer than this */
#define BENCH_DEVDAX_ALIGN (2ull << 20)

static const char bench_usage[] =
	"usage: daxmr-bench -s ADDR[:PORT] [-k FILE] [-t MS] [-v] NAME [--op read|write]\n"
	"                   [--size N] [--seconds S | --ops N] [--span N]\n"
	"       daxmr-bench reg PATH [--odp] [--length N] [-d DEV] [--iterations N]\n"
	"\n"
	"Measures what libdaxmr costs, to be printed next to an anchor measured in the same run\n"
	"(perftest's ib_read_bw, ib_write_bw, ib_read_lat; see docs/benchmarks.md).\n"
	"\n"
	"First form: connects to daxmrd, opens export NAME (read-only for --op read, read-write for\n"
	"--op write) and issues one daxmr_region_read or daxmr_region_write of --size bytes after\n"
	"the other, at size-aligned offsets cycling over the first --span bytes of the export, each\n"
	"timed on CLOCK_MONOTONIC. Writes put a known block at offset OFF: byte i is i % 251, then\n"
	"the text \"daxmr-bench offset=OFF\\n\" overwrites its start; after the run the written range\n"
	"is FLUSHed once (not timed). Options:\n"
	"  -s, --server ADDR[:PORT]  daxmrd's address on the RDMA network (default: $DAXMR_SERVER;\n"
	"                            port 7471)\n"
	"  -k, --secret-file FILE    the secret shared with daxmrd (default: $DAXMR_SECRET_FILE)\n"
	"  -t, --timeout MS          connect and per-request timeout (default 5000)\n"
	"  -v, --verbose             libdaxmr's info lines on stderr (repeat for debug)\n"
	"      --op read|write       the operation (default read)\n"
	"      --size N              bytes per operation (default 4K)\n"
	"      --seconds S           run for S seconds (default 3; fractions allowed)\n"
	"      --ops N               run exactly N operations instead\n"
	"      --span N              cycle over the first N bytes of the export (default: all of it)\n"
	"Output, on stdout, two lines of key=value fields:\n"
	"  daxmr export=NAME op=OP size=BYTES ops=N seconds=S MiB/s=X ops/s=Y lat_us p50=A p99=B\n"
	"        max=C\n"
	"      ops done, the time they took (sum of the timed calls' wall time from the first\n"
	"      start to the last end), throughput in MiB/s (2^20 bytes) and operations per second,\n"
	"      and the latency of one call (microseconds: median, 99th percentile, maximum)\n"
	"  daxmr connect_ms=C open_ms=O flush_ms=F\n"
	"      daxmr_client_connect (rdma_cm resolution, QP, HELLO), daxmr_region_open (OPEN\n"
	"      round trip), the final FLUSH of a write run (0 for reads)\n"
	"Progress goes to stderr, once a second, when the run lasts over 2 s and stderr is a tty.\n"
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
	"  (first: the first registration, which also faults the mapping in; p50 and max over\n"
	"  all of them)\n"
	"\n"
	"Sizes (N) are bytes, with an optional K, M, G or T suffix (powers of 1024).\n"
	"\n"
	"exit status:\n"
	"  0  success\n"
	"  1  the operation failed (server status, RDMA error, registration failed, range)\n"
	"  2  usage error\n"
	"  3  cannot connect to the server\n"
	"  4  no such export\n"
	"  5  access denied\n"
	"  6  the export was revoked or is being revoked\n";

/* The parsed command line; strings borrowed from argv. */
struct bench_args {
	const char *server;
	const char *secret_file;
	int timeout_ms;
	int verbose;
	bool reg;	   /* the "reg" form */
	const char *name;  /* export, or reg's PATH */
	bool write;	   /* --op write */
	uint64_t size;	   /* --size */
	double seconds;	   /* --seconds */
	uint64_t ops;	   /* --ops; 0: by time */
	uint64_t span;	   /* --span; 0: the export */
	uint64_t length;   /* reg --length; 0: the whole file */
	bool odp;	   /* reg --odp */
	const char *dev;   /* reg -d */
	unsigned int iter; /* reg --iterations */
	bool help;	   /* --help: print the usage, nothing else */
};

/* One error line on stderr: "daxmr-bench: <message>". */
__attribute__((format(printf, 1, 2))) static void bench_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	daxmr_tool_vmsg(stderr, "daxmr-bench", fmt, ap);
	va_end(ap);
}

/* Nanoseconds on CLOCK_MONOTONIC. */
static uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Parses a size option into *v_ptr, saying which option was wrong; -EINVAL. */
static int bench_size_opt(const char *opt, const char *s, uint64_t *v_ptr)
{
	int ret = daxmr_tool_size_parse(s, v_ptr);

	if (ret)
		bench_err("%s: '%s' is not a size (bytes, optional K, M, G, T suffix)", opt, s);
	return ret ? -EINVAL : 0;
}

/* Parses a size option that must be in 1 .. max (max_text: how the error writes max); -EINVAL. */
static int bench_count_opt(const char *opt, const char *s, uint64_t max, const char *max_text,
			   uint64_t *v_ptr)
{
	if (bench_size_opt(opt, s, v_ptr))
		return -EINVAL;
	if (!*v_ptr || *v_ptr > max) {
		bench_err("%s: %s is not in 1 .. %s", opt, s, max_text);
		return -EINVAL;
	}
	return 0;
}

/* Which options belong to which form, for the usage check. */
enum bench_form_opt {
	BENCH_OPT_OPS_FORM = 1, /* --op, --size, --seconds, --ops, --span, -s, -k, -t */
	BENCH_OPT_REG_FORM = 2, /* --length, --odp, -d, --iterations */
};

/* Parses argv into *a (options anywhere: getopt permutes); -EINVAL on a usage error (already
 * reported). --help sets a->help and stops there. */
static int bench_args_parse(int argc, char *argv[], struct bench_args *a)
{
	enum {
		OPT_OP = 256,
		OPT_SIZE,
		OPT_SECONDS,
		OPT_OPS,
		OPT_SPAN,
		OPT_LENGTH,
		OPT_ODP,
		OPT_ITER
	};
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "device", required_argument, NULL, 'd' },
		{ "op", required_argument, NULL, OPT_OP },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "ops", required_argument, NULL, OPT_OPS },
		{ "span", required_argument, NULL, OPT_SPAN },
		{ "length", required_argument, NULL, OPT_LENGTH },
		{ "odp", no_argument, NULL, OPT_ODP },
		{ "iterations", required_argument, NULL, OPT_ITER },
		{ NULL, 0, NULL, 0 },
	};
	bool has_seconds = false;
	unsigned int forms = 0;
	uint64_t v;
	char *end;
	int c, npos;

	*a = (struct bench_args){ .size = BENCH_DEFAULT_SIZE,
				  .seconds = BENCH_DEFAULT_SECONDS,
				  .iter = BENCH_DEFAULT_REG_ITERS };
	while ((c = getopt_long(argc, argv, "s:k:t:vhd:", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			a->server = optarg;
			forms |= BENCH_OPT_OPS_FORM;
			break;
		case 'k':
			a->secret_file = optarg;
			forms |= BENCH_OPT_OPS_FORM;
			break;
		case 't':
			errno = 0;
			a->timeout_ms = (int)strtol(optarg, &end, 10);
			if (errno || *end || a->timeout_ms <= 0) {
				bench_err("-t: '%s' is not a positive number of milliseconds",
					  optarg);
				return -EINVAL;
			}
			forms |= BENCH_OPT_OPS_FORM;
			break;
		case 'v':
			a->verbose++;
			break;
		case 'h':
			a->help = true;
			return 0;
		case 'd':
			a->dev = optarg;
			forms |= BENCH_OPT_REG_FORM;
			break;
		case OPT_OP:
			if (strcmp(optarg, "read") != 0 && strcmp(optarg, "write") != 0) {
				bench_err("--op: '%s' is neither read nor write", optarg);
				return -EINVAL;
			}
			a->write = !strcmp(optarg, "write");
			forms |= BENCH_OPT_OPS_FORM;
			break;
		case OPT_SIZE:
			if (bench_count_opt("--size", optarg, 1ull << 30, "1G", &a->size))
				return -EINVAL;
			forms |= BENCH_OPT_OPS_FORM;
			break;
		case OPT_SECONDS:
			errno = 0;
			a->seconds = strtod(optarg, &end);
			if (errno || *end || !(a->seconds > 0) || a->seconds > 86400) {
				bench_err("--seconds: '%s' is not a duration in (0, 86400]",
					  optarg);
				return -EINVAL;
			}
			has_seconds = true;
			forms |= BENCH_OPT_OPS_FORM;
			break;
		case OPT_OPS:
			if (bench_count_opt("--ops", optarg, 1ull << 32, "2^32", &a->ops))
				return -EINVAL;
			forms |= BENCH_OPT_OPS_FORM;
			break;
		case OPT_SPAN:
			if (bench_size_opt("--span", optarg, &a->span))
				return -EINVAL;
			forms |= BENCH_OPT_OPS_FORM;
			break;
		case OPT_LENGTH:
			if (bench_size_opt("--length", optarg, &a->length))
				return -EINVAL;
			forms |= BENCH_OPT_REG_FORM;
			break;
		case OPT_ODP:
			a->odp = true;
			forms |= BENCH_OPT_REG_FORM;
			break;
		case OPT_ITER:
			if (bench_count_opt("--iterations", optarg, 10000, "10000", &v))
				return -EINVAL;
			a->iter = (unsigned int)v;
			forms |= BENCH_OPT_REG_FORM;
			break;
		default:
			return -EINVAL; /* getopt said what */
		}
	}
	npos = argc - optind;
	if (npos > 0 && !strcmp(argv[optind], "reg")) {
		a->reg = true;
		optind++;
		npos--;
	}
	if (npos < 1) {
		bench_err(a->reg ? "reg: no PATH given" : "no export NAME given");
		return -EINVAL;
	}
	if (npos > 1) {
		bench_err("unexpected argument '%s'", argv[optind + 1]);
		return -EINVAL;
	}
	a->name = argv[optind];
	if (a->reg && (forms & BENCH_OPT_OPS_FORM)) {
		bench_err("reg takes only --length, --odp, -d and --iterations");
		return -EINVAL;
	}
	if (!a->reg && (forms & BENCH_OPT_REG_FORM)) {
		bench_err("--length, --odp, -d and --iterations belong to 'daxmr-bench reg'");
		return -EINVAL;
	}
	if (has_seconds && a->ops) {
		bench_err("--seconds and --ops exclude each other");
		return -EINVAL;
	}
	return 0;
}

/* qsort comparator for latencies. */
static int bench_cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* The pct-th percentile (nearest rank) of the n sorted values. */
static uint64_t bench_pct(const uint64_t *sorted, size_t n, unsigned int pct)
{
	size_t rank = (n * pct + 99) / 100; /* ceil(n * pct / 100), 1-based */

	return sorted[rank ? rank - 1 : 0];
}

/* Writes' block content: byte i is i % 251, then "daxmr-bench offset=OFF\n" at its start. */
static void bench_block_fill(uint8_t *buf, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		buf[i] = (uint8_t)(i % 251);
}

/* Stamps a write's offset into its block (not timed); the rest stays as bench_block_fill made. */
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

/* Appends one latency to the growable array; -ENOMEM. */
static int bench_lat_push(uint64_t **lat_ptr, size_t *n_ptr, size_t *cap_ptr, uint64_t ns)
{
	uint64_t *p;

	if (*n_ptr == *cap_ptr) {
		size_t cap = *cap_ptr ? *cap_ptr * 2 : 65536;

		p = realloc(*lat_ptr, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*lat_ptr = p;
		*cap_ptr = cap;
	}
	(*lat_ptr)[(*n_ptr)++] = ns;
	return 0;
}

/* The ops form: connect, open, timed reads or writes, one result line. Returns an exit code. */
static int bench_ops(const struct bench_args *a)
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	struct daxmr_client *client = NULL;
	struct daxmr_region *region = NULL;
	const struct daxmr_desc *desc;
	const char *op = a->write ? "write" : "read";
	const char *server = a->server ? a->server : getenv("DAXMR_SERVER");
	uint64_t t0, t1, start = 0, end = 0, deadline, next_progress, span, blocks, off, i;
	uint64_t connect_ns, open_ns, flush_ns = 0, *lat = NULL;
	size_t n = 0, cap = 0;
	uint8_t *buf = NULL;
	bool progress;
	double secs;
	int ret, code;

	if (!server || !*server) {
		bench_err("no server: pass -s ADDR[:PORT] (daxmrd's address on the RDMA network) "
			  "or set DAXMR_SERVER");
		return DAXMR_TOOL_EXIT_USAGE;
	}
	opts.timeout_ms = a->timeout_ms ? a->timeout_ms : DAXMR_DEFAULT_TIMEOUT_MS;
	opts.verbose = a->verbose;
	opts.secret_file = a->secret_file ? a->secret_file : getenv("DAXMR_SECRET_FILE");
	if (opts.secret_file && !*opts.secret_file)
		opts.secret_file = NULL;
	opts.name = "daxmr-bench";

	t0 = bench_now_ns();
	ret = daxmr_client_connect(server, &opts, &client);
	connect_ns = bench_now_ns() - t0;
	if (ret) {
		bench_err("cannot connect to %s: %s", server, daxmr_tool_connect_strerror(ret));
		return daxmr_tool_connect_exit_code(ret);
	}
	t0 = bench_now_ns();
	ret = daxmr_region_open(client, a->name, a->write ? DAXMR_RW : DAXMR_RO, &region);
	open_ns = bench_now_ns() - t0;
	if (ret) {
		bench_err("%s %s: cannot open %s: %s", op, a->name, a->write ? "rw" : "ro",
			  daxmr_tool_strerror(ret));
		code = daxmr_tool_exit_code(ret);
		goto out;
	}
	desc = daxmr_region_desc(region);
	span = a->span ? a->span : desc->length;
	if (span > desc->length || a->size > span) {
		bench_err("%s %s: --size %" PRIu64 " and --span %" PRIu64
			  " do not fit the export (length %" PRIu64 ")",
			  op, a->name, a->size, span, desc->length);
		code = DAXMR_TOOL_EXIT_FAILED;
		goto out;
	}
	blocks = span / a->size;
	buf = malloc(a->size);
	if (!buf) {
		bench_err("%s %s: out of memory for a %" PRIu64 "-byte buffer", op, a->name,
			  a->size);
		code = DAXMR_TOOL_EXIT_FAILED;
		goto out;
	}
	bench_block_fill(buf, a->size);

	progress = isatty(STDERR_FILENO);
	start = bench_now_ns();
	deadline = start + (uint64_t)(a->seconds * 1e9);
	next_progress = start + BENCH_PROGRESS_AFTER_NS;
	end = start;
	for (i = 0; a->ops ? i < a->ops : end < deadline; i++) {
		off = (i % blocks) * a->size;
		if (a->write)
			bench_block_stamp(buf, a->size, off);
		t0 = bench_now_ns();
		ret = a->write ? daxmr_region_write(region, off, buf, a->size) :
				 daxmr_region_read(region, off, buf, a->size);
		t1 = bench_now_ns();
		if (ret) {
			bench_err("%s %s: RDMA %s of %" PRIu64 " bytes at offset %" PRIu64
				  " (operation %" PRIu64 "): %s",
				  op, a->name, a->write ? "WRITE" : "READ", a->size, off, i,
				  daxmr_tool_transfer_strerror(ret));
			code = daxmr_tool_transfer_exit_code(ret);
			goto out;
		}
		end = t1;
		if (bench_lat_push(&lat, &n, &cap, t1 - t0)) {
			bench_err("%s %s: out of memory after %zu operations", op, a->name, n);
			code = DAXMR_TOOL_EXIT_FAILED;
			goto out;
		}
		if (progress && t1 >= next_progress) {
			fprintf(stderr, "\r%s %s: %.0f s, %zu ops", op, a->name,
				(double)(t1 - start) / 1e9, n);
			next_progress = t1 + 1000000000ull;
		}
	}
	if (progress && next_progress != start + BENCH_PROGRESS_AFTER_NS)
		fputc('\n', stderr);
	if (a->write) {
		uint64_t written = n * a->size < blocks * a->size ? n * a->size : blocks * a->size;

		t0 = bench_now_ns();
		ret = daxmr_region_flush(region, 0, written);
		flush_ns = bench_now_ns() - t0;
		if (ret) {
			bench_err("%s %s: FLUSH of %" PRIu64 " bytes: %s", op, a->name, written,
				  daxmr_tool_strerror(ret));
			code = daxmr_tool_exit_code(ret);
			goto out;
		}
	}
	if (!n) { /* cannot happen: the loop runs at least once; for the analyzers */
		bench_err("%s %s: no operation ran", op, a->name);
		code = DAXMR_TOOL_EXIT_FAILED;
		goto out;
	}
	qsort(lat, n, sizeof(*lat), bench_cmp_u64);
	secs = (double)(end - start) / 1e9;
	printf("daxmr export=%s op=%s size=%" PRIu64 " ops=%zu seconds=%.2f MiB/s=%.1f ops/s=%.0f "
	       "lat_us p50=%.1f p99=%.1f max=%.1f\n",
	       a->name, op, a->size, n, secs,
	       secs > 0 ? (double)n * (double)a->size / secs / (1024.0 * 1024.0) : 0.0,
	       secs > 0 ? (double)n / secs : 0.0, (double)bench_pct(lat, n, 50) / 1e3,
	       (double)bench_pct(lat, n, 99) / 1e3, (double)lat[n - 1] / 1e3);
	printf("daxmr connect_ms=%.2f open_ms=%.2f flush_ms=%.2f\n", (double)connect_ns / 1e6,
	       (double)open_ns / 1e6, (double)flush_ns / 1e6);
	code = DAXMR_TOOL_EXIT_OK;
	if (fflush(stdout)) {
		bench_err("writing stdout: %s", strerror(errno));
		code = DAXMR_TOOL_EXIT_FAILED;
	}
out:
	free(lat);
	free(buf);
	daxmr_region_close(&region);
	daxmr_client_disconnect(&client);
	return code;
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
static int bench_reg(const struct bench_args *a)
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
	reg_ns = calloc(a->iter, sizeof(*reg_ns));
	dereg_ns = calloc(a->iter, sizeof(*dereg_ns));
	if (!reg_ns || !dereg_ns) {
		bench_err("reg %s: out of memory", a->name);
		goto out;
	}
	for (i = 0; i < a->iter; i++) {
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
	qsort(reg_ns, a->iter, sizeof(*reg_ns), bench_cmp_u64);
	qsort(dereg_ns, a->iter, sizeof(*dereg_ns), bench_cmp_u64);
	printf("reg path=%s device=%s length=%" PRIu64 " mode=%s iterations=%u reg_ms first=%.2f "
	       "p50=%.2f max=%.2f dereg_ms p50=%.2f\n",
	       a->name, devname, length, a->odp ? "odp" : "pinned", a->iter, (double)first / 1e6,
	       (double)bench_pct(reg_ns, a->iter, 50) / 1e6, (double)reg_ns[a->iter - 1] / 1e6,
	       (double)bench_pct(dereg_ns, a->iter, 50) / 1e6);
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
	struct bench_args a;
	int ret = bench_args_parse(argc, argv, &a);

	if (ret) {
		fputs("Try 'daxmr-bench --help'.\n", stderr);
		return DAXMR_TOOL_EXIT_USAGE;
	}
	if (a.help) {
		fputs(bench_usage, stdout);
		return DAXMR_TOOL_EXIT_OK;
	}
	return a.reg ? bench_reg(&a) : bench_ops(&a);
}
