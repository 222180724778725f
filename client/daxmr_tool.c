/* SPDX-License-Identifier: BSD-3-Clause */
/* daxmr_tool.c -- the daxmr command-line tool: ls, get, put, watch, cas, faa on top of libdaxmr */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daxmr.h"
#include "fd.h"
#include "tool.h"

#define TOOL_CHUNK (4u << 20)	      /* bytes per read/write call into libdaxmr */
#define TOOL_PROGRESS_MIN (16u << 20) /* transfers at least this big show progress on a tty */
#define TOOL_REOPEN_BACKOFF_MS 100
#define TOOL_RECONNECTS 8	 /* get/put: reconnects per 4 MiB call (opts.reconnect) */
#define TOOL_WATCH_TICK_MS 1000	 /* how often a quiet watch looks at its connection */
#define TOOL_WATCH_IDLE_MS 2000	 /* silence after which it asks the server (liveness check) */
#define TOOL_WATCH_CHECK_MS 5000 /* and how long it waits for the answer (at most; -t if less) */

static const char tool_usage_main[] =
	"usage: daxmr [-s ADDR[:PORT]] [-k FILE] [-t MS] [-v] COMMAND [ARGS]\n"
	"\n"
	"One-sided RDMA access to files exported by daxmrd.\n"
	"\n"
	"commands:\n"
	"  ls                                      list the server's exports\n"
	"  get NAME [--offset N] [--length N] [-o FILE]\n"
	"                                          read an export (default: all of it to stdout)\n"
	"  put NAME [--offset N] [-i FILE]         write FILE (default stdin) at offset, then flush\n"
	"  watch NAME [--ro] [--ignore-revoke]     hold the export open and print its events\n"
	"  cas NAME --offset O --compare C --swap S\n"
	"                                          8-byte RDMA compare-and-swap; prints the old value\n"
	"  faa NAME --offset O --add A             8-byte RDMA fetch-and-add; prints the old value\n"
	"\n"
	"options:\n"
	"  -s, --server ADDR[:PORT]  daxmrd's address on the RDMA network (default: $DAXMR_SERVER;\n"
	"                            port 7471); IPv6 as [ADDR]:PORT\n"
	"  -k, --secret-file FILE    the secret shared with daxmrd (default: $DAXMR_SECRET_FILE):\n"
	"                            proves we know it, without sending it, and insists that\n"
	"                            the server proves it back; mode 0600 or stricter\n"
	"  -I, --identity NAME       the identity whose key -k FILE is, on a daxmrd with a keys\n"
	"                            directory (default: $DAXMR_IDENTITY); without it the\n"
	"                            secret is the server's anonymous one\n"
	"  -t, --timeout MS          connect and per-request timeout (default 5000)\n"
	"  -v, --verbose             say more (repeat for debug output)\n"
	"  -h, --help                this help; 'daxmr COMMAND --help' for a command's\n"
	"      --version             the tool's and libdaxmr's versions\n"
	"\n"
	"Sizes (N) are bytes, with an optional K, M, G or T suffix (powers of 1024).\n"
	"\n"
	"exit status:\n"
	"  0  success\n"
	"  1  the operation failed (server status, RDMA error, I/O error, range past the end,\n"
	"     connection lost)\n"
	"  2  usage error\n"
	"  3  cannot connect to the server\n"
	"  4  no such export\n"
	"  5  access denied (also at connect: address not admitted, authentication failed\n"
	"     or required)\n"
	"  6  the export was revoked or is being revoked (try again)\n"
	"  7  the export is unavailable: down (the server says why) until its operator fixes\n"
	"     it; retrying will not help\n";

static const char tool_usage_ls[] =
	"usage: daxmr [-s ADDR[:PORT]] ls\n"
	"\n"
	"Lists the server's exports, one per line: NAME, SIZE (bytes), ACCESS (ro/rw: the most the\n"
	"export allows), MEMORY (fs-dax, devdax, page-cache), REGISTRATION (pinned, odp),\n"
	"GENERATION.\n"
	"Exit status: 0 ok, 1 failed, 2 usage, 3 cannot connect, 5 access denied at connect\n"
	"(address not admitted, authentication failed or required).\n";

static const char tool_usage_get[] =
	"usage: daxmr [-s ADDR[:PORT]] get NAME [--offset N] [--length N] [-o FILE]\n"
	"\n"
	"Reads LENGTH bytes (default: to the end of the export) at OFFSET (default 0) of export\n"
	"NAME with one-sided RDMA READs and writes them to FILE (default stdout). Shows progress\n"
	"on stderr for large transfers when stderr is a terminal. A connection lost mid-transfer\n"
	"is re-established (up to 8 times per 4 MiB, each within -t MS) and the unfinished range\n"
	"read again, as long as the export keeps the generation it had (else exit 6).\n"
	"Exit status: 0 ok, 1 failed (or range past the end), 2 usage, 3 cannot connect,\n"
	"4 no such export, 5 access denied, 6 revoked, 7 unavailable.\n";

static const char tool_usage_put[] =
	"usage: daxmr [-s ADDR[:PORT]] put NAME [--offset N] [-i FILE]\n"
	"\n"
	"Writes FILE (default stdin) at OFFSET (default 0) of export NAME with one-sided RDMA\n"
	"WRITEs, then FLUSHes the range so it is persistent. Refuses input that would pass the\n"
	"export's end (checked before writing for a regular file; for a pipe, before the chunk\n"
	"that would pass it). A connection lost mid-transfer is re-established (up to 8 times per\n"
	"4 MiB, each within -t MS) and the unfinished range written again, as long as the export\n"
	"keeps the generation it had: never into a newer one (exit 6 then).\n"
	"Exit status: 0 ok, 1 failed (or range past the end), 2 usage, 3 cannot connect,\n"
	"4 no such export, 5 access denied (read-only export), 6 revoked, 7 unavailable.\n";

static const char tool_usage_watch[] =
	"usage: daxmr [-s ADDR[:PORT]] watch NAME [--ro] [--ignore-revoke]\n"
	"\n"
	"Opens export NAME (read-write if allowed, else read-only; --ro: read-only) and prints one\n"
	"line per event on stdout:\n"
	"  opened export=NAME generation=G length=L registration=R\n"
	"  revoked export=NAME generation=G reason=REASON deadline_ms=D\n"
	"  available export=NAME generation=G\n"
	"After 'available' it opens the export again (and prints 'opened' again).\n"
	"--ignore-revoke never acknowledges a revocation (simulates a client that does not answer).\n"
	"After 2 s without a word from the server it checks that the server still answers (an\n"
	"empty LIST; the reply is waited for 5 s, or -t MS if less): a server that dropped the\n"
	"connection unnoticed, or cannot be reached, ends the watch with 'revoked ...\n"
	"reason=connection-lost' and 'connection lost: ...' on stderr.\n"
	"Runs until SIGINT or SIGTERM (exit 0); exits 1 if the connection drops.\n"
	"Exit status: 0, 1, 2 usage, 3 cannot connect, 4 no such export, 5 access denied,\n"
	"6 revoked while opening, 7 unavailable.\n";

static const char tool_usage_cas[] =
	"usage: daxmr [-s ADDR[:PORT]] cas NAME --offset O --compare C --swap S\n"
	"\n"
	"One RDMA compare-and-swap on the 8-byte word at offset O of export NAME (opened\n"
	"read-write): if the word equals C it becomes S, atomically with respect to other RDMA\n"
	"atomics on the export (not to plain RDMA WRITEs or the server's own stores). Prints the\n"
	"word's old value, in decimal, on stdout: the swap happened exactly when it equals C.\n"
	"The word is in the host byte order of the server, as the NIC reads it (x86: little endian).\n"
	"O must be a multiple of 8; C and S are decimal or 0x-hexadecimal 64-bit numbers.\n"
	"Exit status: 0 ok (swapped or not), 1 failed (no atomics on the device or the export,\n"
	"range), 2 usage (also an unaligned offset), 3 cannot connect, 4 no such export, 5 access\n"
	"denied (read-only export), 6 revoked, 7 unavailable.\n";

static const char tool_usage_faa[] =
	"usage: daxmr [-s ADDR[:PORT]] faa NAME --offset O --add A\n"
	"\n"
	"One RDMA fetch-and-add on the 8-byte word at offset O of export NAME (opened read-write):\n"
	"the word becomes word + A (modulo 2^64), atomically with respect to other RDMA atomics.\n"
	"Prints the word's old value, in decimal, on stdout. A is decimal or 0x-hexadecimal; a\n"
	"leading '-' subtracts. O must be a multiple of 8.\n"
	"Exit status: as for cas (daxmr cas --help).\n";

static int tool_verbose;

/* One error line on stderr: "daxmr: <message>". */
__attribute__((format(printf, 1, 2))) static void tool_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	daxmr_tool_vmsg(stderr, "daxmr", fmt, ap);
	va_end(ap);
}

/* One informational line on stderr with -v. */
__attribute__((format(printf, 1, 2))) static void tool_info(const char *fmt, ...)
{
	va_list ap;

	if (!tool_verbose)
		return;
	va_start(ap, fmt);
	daxmr_tool_vmsg(stderr, "daxmr", fmt, ap);
	va_end(ap);
}

/* Prints the usage of cmd (or the tool) to f. */
static void tool_usage(FILE *f, enum daxmr_tool_cmd cmd)
{
	switch (cmd) {
	case DAXMR_TOOL_LS:
		fputs(tool_usage_ls, f);
		break;
	case DAXMR_TOOL_GET:
		fputs(tool_usage_get, f);
		break;
	case DAXMR_TOOL_PUT:
		fputs(tool_usage_put, f);
		break;
	case DAXMR_TOOL_WATCH:
		fputs(tool_usage_watch, f);
		break;
	case DAXMR_TOOL_CAS:
		fputs(tool_usage_cas, f);
		break;
	case DAXMR_TOOL_FAA:
		fputs(tool_usage_faa, f);
		break;
	default:
		fputs(tool_usage_main, f);
		break;
	}
}

/* Writes all of buf to fd. 0 or -errno. */
static int tool_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until buf is full or EOF; *got_ptr bytes. 0 or -errno. */
static int tool_read_full(int fd, void *buf, size_t len, size_t *got_ptr)
{
	char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*got_ptr = got;
	return 0;
}

/* Progress on stderr: "\rget NAME: 12/64 MiB". */
static void tool_progress(const char *what, const char *name, uint64_t done, uint64_t total,
			  bool on)
{
	if (!on)
		return;
	fprintf(stderr, "\r%s %s: %" PRIu64 "/%" PRIu64 " MiB", what, name, done >> 20,
		total >> 20);
	if (done == total)
		fputc('\n', stderr);
}

/* ls: the export table. */
static int tool_ls(struct daxmr_client *client)
{
	struct daxmr_export_info *infos = NULL;
	size_t count = 0, i;
	int w = 4, ret;

	ret = daxmr_client_list(client, &infos, &count);
	if (ret) {
		tool_err("ls: %s", daxmr_tool_strerror(ret));
		return daxmr_tool_exit_code(ret);
	}
	for (i = 0; i < count; i++)
		if ((int)strlen(infos[i].name) > w)
			w = (int)strlen(infos[i].name);
	printf("%-*s %14s %-6s %-10s %-12s %s\n", w, "NAME", "SIZE", "ACCESS", "MEMORY",
	       "REGISTRATION", "GENERATION");
	for (i = 0; i < count; i++)
		printf("%-*s %14" PRIu64 " %-6s %-10s %-12s %" PRIu64 "\n", w, infos[i].name,
		       infos[i].length, daxmr_access_str(infos[i].access),
		       daxmr_memory_str(infos[i].memory),
		       daxmr_registration_str(infos[i].registration), infos[i].generation);
	daxmr_client_list_free(infos);
	if (fflush(stdout)) {
		tool_err("ls: writing stdout: %s", strerror(errno));
		return DAXMR_TOOL_EXIT_FAILED;
	}
	return DAXMR_TOOL_EXIT_OK;
}

/* Opens export name with access; the error line names the export and the cause. */
static int tool_open(struct daxmr_client *client, const char *cmd, const char *name,
		     enum daxmr_access access, struct daxmr_region **region_ptr)
{
	int ret = daxmr_region_open(client, name, access, region_ptr);
	const char *why;

	if (ret) {
		why = daxmr_client_last_reason(client);
		tool_err("%s %s: cannot open %s: %s%s%s%s", cmd, name, daxmr_access_str(access),
			 daxmr_tool_strerror(ret), why && *why ? " (server: " : "",
			 why && *why ? why : "", why && *why ? ")" : "");
	}
	return ret;
}

/* get or put at an offset past the export's end: the refusal line; the exit status (1). */
static int tool_refuse_offset(const char *cmd, const char *name, uint64_t offset, uint64_t length)
{
	tool_err("%s %s: refusing: offset %" PRIu64 " is past the export's end (length %" PRIu64
		 ")",
		 cmd, name, offset, length);
	return DAXMR_TOOL_EXIT_FAILED;
}

/* The chunk buffer get and put move data through; NULL (and said so) when out of memory. */
static char *tool_chunk_new(const char *cmd, const char *name)
{
	char *buf = malloc(TOOL_CHUNK);

	if (!buf)
		tool_err("%s %s: out of memory", cmd, name);
	return buf;
}

/* A failed daxmr_region_read (write false) or _write of get or put: the line; the exit status. */
static int tool_transfer_failed(const char *cmd, const char *name, bool write, size_t n,
				uint64_t offset, int err)
{
	tool_err("%s %s: RDMA %s of %zu bytes at offset %" PRIu64 ": %s", cmd, name,
		 write ? "WRITE" : "READ", n, offset, daxmr_tool_transfer_strerror(err));
	return daxmr_tool_transfer_exit_code(err);
}

/* get: export range -> file or stdout. */
static int tool_get(struct daxmr_client *client, const struct daxmr_tool_args *a)
{
	struct daxmr_region *region = NULL;
	const struct daxmr_desc *desc;
	uint64_t total, done = 0;
	char *buf = NULL;
	bool progress;
	int fd = STDOUT_FILENO, ret, code;
	size_t n;

	ret = tool_open(client, "get", a->name, DAXMR_RO, &region);
	if (ret)
		return daxmr_tool_exit_code(ret);
	desc = daxmr_region_desc(region);
	ret = daxmr_tool_get_range(desc->length, a->offset, a->has_length, a->length, &total);
	if (ret) {
		code = DAXMR_TOOL_EXIT_FAILED;
		if (a->has_length)
			tool_err("get %s: refusing: %" PRIu64 " bytes at offset %" PRIu64
				 " would pass the export's end (length %" PRIu64 ")",
				 a->name, a->length, a->offset, desc->length);
		else
			code = tool_refuse_offset("get", a->name, a->offset, desc->length);
		goto out;
	}
	if (a->output && strcmp(a->output, "-") != 0) {
		fd = open(a->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			tool_err("get %s: cannot create %s: %s", a->name, a->output,
				 strerror(errno));
			code = DAXMR_TOOL_EXIT_FAILED;
			goto out;
		}
	}
	buf = tool_chunk_new("get", a->name);
	if (!buf) {
		code = DAXMR_TOOL_EXIT_FAILED;
		goto out;
	}
	progress = total >= TOOL_PROGRESS_MIN && isatty(STDERR_FILENO);
	while (done < total) {
		n = total - done < TOOL_CHUNK ? (size_t)(total - done) : TOOL_CHUNK;
		ret = daxmr_region_read(region, a->offset + done, buf, n);
		if (ret) {
			code = tool_transfer_failed("get", a->name, false, n, a->offset + done,
						    ret);
			goto out;
		}
		ret = tool_write_all(fd, buf, n);
		if (ret) {
			tool_err("get %s: writing %s: %s", a->name,
				 a->output ? a->output : "stdout", strerror(-ret));
			code = DAXMR_TOOL_EXIT_FAILED;
			goto out;
		}
		done += n;
		tool_progress("get", a->name, done, total, progress);
	}
	tool_info("get %s: %" PRIu64 " bytes at offset %" PRIu64, a->name, total, a->offset);
	code = DAXMR_TOOL_EXIT_OK;
out:
	free(buf);
	if (fd != STDOUT_FILENO && fd >= 0 && close(fd) && code == DAXMR_TOOL_EXIT_OK) {
		tool_err("get %s: closing %s: %s", a->name, a->output, strerror(errno));
		code = DAXMR_TOOL_EXIT_FAILED;
	}
	daxmr_region_close(&region);
	return code;
}

/* put: file or stdin -> export range, then FLUSH. */
static int tool_put(struct daxmr_client *client, const struct daxmr_tool_args *a)
{
	struct daxmr_region *region = NULL;
	const struct daxmr_desc *desc;
	uint64_t done = 0, size = 0;
	bool known = false, progress = false;
	const char *in = a->input ? a->input : "stdin";
	char *buf = NULL;
	int fd = STDIN_FILENO, ret, code;
	struct stat st;
	size_t n = 0;

	if (a->input && strcmp(a->input, "-") != 0) {
		fd = open(a->input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			tool_err("put %s: cannot open %s: %s", a->name, a->input, strerror(errno));
			return DAXMR_TOOL_EXIT_FAILED;
		}
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		/* the bytes still to read: a regular stdin may be positioned past 0 */
		off_t pos = lseek(fd, 0, SEEK_CUR);

		size = (uint64_t)st.st_size - (pos > 0 && pos <= st.st_size ? (uint64_t)pos : 0);
		known = true;
	}
	ret = tool_open(client, "put", a->name, DAXMR_RW, &region);
	if (ret) {
		code = daxmr_tool_exit_code(ret);
		goto out;
	}
	desc = daxmr_region_desc(region);
	if (known && daxmr_tool_put_range(desc->length, a->offset, size)) {
		tool_err("put %s: refusing: %" PRIu64 " bytes of %s at offset %" PRIu64
			 " would pass the export's end (length %" PRIu64 ")",
			 a->name, size, in, a->offset, desc->length);
		code = DAXMR_TOOL_EXIT_FAILED;
		goto out;
	}
	if (!known && a->offset > desc->length) {
		code = tool_refuse_offset("put", a->name, a->offset, desc->length);
		goto out;
	}
	buf = tool_chunk_new("put", a->name);
	if (!buf) {
		code = DAXMR_TOOL_EXIT_FAILED;
		goto out;
	}
	progress = known && size >= TOOL_PROGRESS_MIN && isatty(STDERR_FILENO);
	for (;;) {
		ret = tool_read_full(fd, buf, TOOL_CHUNK, &n);
		if (ret) {
			tool_err("put %s: reading %s: %s", a->name, in, strerror(-ret));
			code = DAXMR_TOOL_EXIT_FAILED;
			goto out;
		}
		if (n == 0)
			break;
		if (daxmr_tool_put_range(desc->length, a->offset, done + n)) {
			tool_err("put %s: refusing: %s holds more than the %" PRIu64
				 " bytes from offset %" PRIu64
				 " to the export's end (length %" PRIu64 "); %" PRIu64
				 " bytes were written (not flushed)",
				 a->name, in, desc->length - a->offset, a->offset, desc->length,
				 done);
			code = DAXMR_TOOL_EXIT_FAILED;
			goto out;
		}
		ret = daxmr_region_write(region, a->offset + done, buf, n);
		if (ret) {
			code = tool_transfer_failed("put", a->name, true, n, a->offset + done, ret);
			goto out;
		}
		done += n;
		tool_progress("put", a->name, done, size, progress);
		if (n < TOOL_CHUNK)
			break;
	}
	ret = daxmr_region_flush(region, a->offset, done);
	if (ret) {
		tool_err("put %s: FLUSH of %" PRIu64 " bytes at offset %" PRIu64 ": %s", a->name,
			 done, a->offset, daxmr_tool_strerror(ret));
		code = daxmr_tool_exit_code(ret);
		goto out;
	}
	tool_info("put %s: %" PRIu64 " bytes at offset %" PRIu64 ", flushed", a->name, done,
		  a->offset);
	code = DAXMR_TOOL_EXIT_OK;
out:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	ret = daxmr_region_close(&region);
	if (ret && code == DAXMR_TOOL_EXIT_OK) {
		tool_err("put %s: CLOSE: %s", a->name, daxmr_tool_strerror(ret));
		code = daxmr_tool_exit_code(ret);
	}
	return code;
}

/* cas and faa: one 8-byte atomic on a region opened read-write; the old value on stdout. */
static int tool_atomic(struct daxmr_client *client, const struct daxmr_tool_args *a)
{
	struct daxmr_region *region = NULL;
	const char *cmd = daxmr_tool_cmd_name(a->cmd);
	const struct daxmr_desc *desc;
	uint64_t old = 0;
	int ret, code;

	ret = tool_open(client, cmd, a->name, DAXMR_RW, &region);
	if (ret)
		return daxmr_tool_exit_code(ret);
	desc = daxmr_region_desc(region);
	if (a->offset > desc->length || desc->length - a->offset < 8) {
		tool_err("%s %s: refusing: the 8-byte word at offset %" PRIu64
			 " passes the export's end (length %" PRIu64 ")",
			 cmd, a->name, a->offset, desc->length);
		code = DAXMR_TOOL_EXIT_FAILED;
		goto out;
	}
	if (a->cmd == DAXMR_TOOL_CAS)
		ret = daxmr_region_cas(region, a->offset, a->compare, a->swap, &old);
	else
		ret = daxmr_region_faa(region, a->offset, a->add, &old);
	if (ret) {
		if (ret == -EOPNOTSUPP)
			tool_err("%s %s: no RDMA atomics here: %s", cmd, a->name,
				 desc->atomic ? "the RDMA device does not support them" :
						"the server does not allow atomics on this export");
		else if (ret == -EINVAL)
			tool_err("%s %s: offset %" PRIu64 ": refused as invalid (atomics need an "
				 "8-byte aligned offset)",
				 cmd, a->name, a->offset);
		else
			tool_err("%s %s: RDMA %s at offset %" PRIu64 ": %s", cmd, a->name,
				 a->cmd == DAXMR_TOOL_CAS ? "compare-and-swap" : "fetch-and-add",
				 a->offset, daxmr_tool_transfer_strerror(ret));
		code = ret == -EOPNOTSUPP ? DAXMR_TOOL_EXIT_FAILED :
					    daxmr_tool_transfer_exit_code(ret);
		goto out;
	}
	printf("%" PRIu64 "\n", old);
	if (a->cmd == DAXMR_TOOL_CAS)
		tool_info("cas %s: offset %" PRIu64 ": %s", a->name, a->offset,
			  old == a->compare ? "swapped" : "not swapped (the word differs)");
	code = DAXMR_TOOL_EXIT_OK;
	if (fflush(stdout)) {
		tool_err("%s %s: writing stdout: %s", cmd, a->name, strerror(errno));
		code = DAXMR_TOOL_EXIT_FAILED;
	}
out:
	daxmr_region_close(&region);
	return code;
}

/* What watch's callbacks leave for its loop. */
struct tool_watch {
	const struct daxmr_tool_args *args; /* borrowed */
	struct daxmr_region *region;	    /* owned: the current open region, or NULL */
	bool reopen;			    /* AVAILABLE came: open the new generation */
	bool dead;
	int dead_err;
	bool out_err; /* stdout failed */
};

/* Prints one event line and pushes it out at once: tests read stdout through a pipe. */
__attribute__((format(printf, 2, 3))) static void tool_line(struct tool_watch *w, const char *fmt,
							    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (fflush(stdout))
		w->out_err = true;
}

/* watch: REVOKE -> "revoked ..." (the library has acknowledged, unless --ignore-revoke). */
static void tool_on_revoke(struct daxmr_region *region, const struct daxmr_revoke_info *info,
			   void *arg)
{
	struct tool_watch *w = arg;

	(void)region;
	tool_line(w, "revoked export=%s generation=%" PRIu64 " reason=%s deadline_ms=%u",
		  info->name, info->generation, daxmr_revoke_reason_str(info->reason),
		  info->deadline_ms);
}

/* watch: AVAILABLE -> "available ...", then the loop opens the export again. */
static void tool_on_available(uint32_t export_id, const char *name, uint64_t generation, void *arg)
{
	struct tool_watch *w = arg;

	(void)export_id;
	tool_line(w, "available export=%s generation=%" PRIu64, name, generation);
	w->reopen = true;
}

/* watch: the connection died. */
static void tool_on_disconnect(int reason, void *arg)
{
	struct tool_watch *w = arg;

	w->dead = true;
	w->dead_err = reason;
}

/* Opens the watched export (rw if allowed unless --ro) and prints "opened ...". */
static int tool_watch_open(struct daxmr_client *client, struct tool_watch *w)
{
	const struct daxmr_tool_args *a = w->args;
	const struct daxmr_desc *d;
	int ret;

	if (a->ro) {
		ret = daxmr_region_open(client, a->name, DAXMR_RO, &w->region);
	} else {
		ret = daxmr_region_open(client, a->name, DAXMR_RW, &w->region);
		if (ret == -EACCES)
			ret = daxmr_region_open(client, a->name, DAXMR_RO, &w->region);
	}
	if (ret)
		return ret;
	d = daxmr_region_desc(w->region);
	tool_line(w, "opened export=%s generation=%" PRIu64 " length=%" PRIu64 " registration=%s",
		  a->name, d->generation, d->length, daxmr_registration_str(d->registration));
	tool_info("watch %s: %s, %s, rkey 0x%x", a->name, daxmr_access_str(d->access),
		  daxmr_memory_str(d->memory), d->rkey);
	return 0;
}

/* Opens the export's new generation, retrying while the server still says REVOKING. */
static int tool_watch_reopen(struct daxmr_client *client, struct tool_watch *w, int sig_fd)
{
	struct pollfd pfd = { .fd = sig_fd, .events = POLLIN };
	int ret, tries;

	daxmr_region_close(&w->region);
	for (tries = 0; tries < 100; tries++) {
		ret = tool_watch_open(client, w);
		if (ret != -EAGAIN)
			return ret;
		/* sleep, but wake for SIGINT/SIGTERM */
		if (poll(&pfd, 1, TOOL_REOPEN_BACKOFF_MS) > 0)
			return 0;
	}
	return ret;
}

/* watch: hold the region, print events until a signal or the connection's end. */
static int tool_watch(struct daxmr_client *client, const struct daxmr_tool_args *a, int sig_fd)
{
	struct tool_watch w = { .args = a };
	const struct daxmr_callbacks cbs = { .on_revoke = tool_on_revoke,
					     .on_available = tool_on_available,
					     .on_disconnect = tool_on_disconnect };
	int check_ms = a->timeout_ms > 0 && a->timeout_ms < TOOL_WATCH_CHECK_MS ?
			       a->timeout_ms :
			       TOOL_WATCH_CHECK_MS;
	struct pollfd pfd[2];
	struct signalfd_siginfo si;
	int ret, code;

	daxmr_client_set_callbacks(client, &cbs, &w);
	ret = tool_watch_open(client, &w);
	if (ret) {
		tool_err("watch %s: cannot open: %s", a->name, daxmr_tool_strerror(ret));
		return daxmr_tool_exit_code(ret);
	}
	pfd[0] = (struct pollfd){ .fd = daxmr_client_fd(client), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
	for (;;) {
		ret = poll(pfd, 2, TOOL_WATCH_TICK_MS);
		if (ret < 0 && errno != EINTR) {
			tool_err("watch %s: poll: %s", a->name, strerror(errno));
			code = DAXMR_TOOL_EXIT_FAILED;
			break;
		}
		if (ret > 0 && pfd[1].revents) {
			if (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				tool_info("watch %s: signal %u: closing", a->name, si.ssi_signo);
			code = DAXMR_TOOL_EXIT_OK;
			break;
		}
		/*
		 * quiet for a while: is the server still there? (a connection it dropped, whose
		 * disconnect never arrived, would leave us believing we hold the export.) A failed
		 * check kills the connection, which daxmr_client_process then reports.
		 */
		if (ret == 0 && daxmr_client_check(client, TOOL_WATCH_IDLE_MS, check_ms) == 0)
			continue;
		ret = daxmr_client_process(client);
		if (w.out_err) {
			tool_err("watch %s: writing stdout: %s", a->name, strerror(errno));
			code = DAXMR_TOOL_EXIT_FAILED;
			break;
		}
		if (ret || w.dead) {
			tool_err("watch %s: connection lost: %s", a->name,
				 daxmr_tool_strerror(w.dead_err ? w.dead_err : ret));
			code = DAXMR_TOOL_EXIT_FAILED;
			break;
		}
		if (w.reopen) {
			w.reopen = false;
			ret = tool_watch_reopen(client, &w, sig_fd);
			if (ret) {
				tool_err("watch %s: cannot open again: %s", a->name,
					 daxmr_tool_strerror(ret));
				code = daxmr_tool_exit_code(ret);
				break;
			}
		}
	}
	daxmr_region_close(&w.region);
	return code;
}

int main(int argc, char *argv[])
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	struct daxmr_client *client = NULL;
	struct daxmr_tool_args a;
	const char *server, *secret;
	char err[512];
	int ret, code, sig_fd = -1;

	ret = daxmr_tool_args_parse(argc, argv, &a, err, sizeof(err));
	if (ret) {
		tool_err("%s", err);
		fputs("Try 'daxmr --help'.\n", stderr);
		return DAXMR_TOOL_EXIT_USAGE;
	}
	if (a.help) {
		tool_usage(stdout, a.cmd);
		return DAXMR_TOOL_EXIT_OK;
	}
	if (a.version) {
		printf("daxmr %s (libdaxmr %s)\n", DAXMR_TOOL_VERSION,
		       daxmr_version(NULL, NULL, NULL));
		return fflush(stdout) ? DAXMR_TOOL_EXIT_FAILED : DAXMR_TOOL_EXIT_OK;
	}
	tool_verbose = a.verbose;
	if (daxmr_tool_conn_pick(a.server, a.secret_file, "-s", &server, &secret, err,
				 sizeof(err))) {
		tool_err("%s", err);
		return DAXMR_TOOL_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN); /* a closed stdout shows up as EPIPE from write */
	if (a.cmd == DAXMR_TOOL_WATCH) {
		/* before connecting: a SIGINT from now on ends the watch cleanly */
		static const int sigs[] = { SIGINT, SIGTERM };

		ret = daxmr_fd_signalfd(sigs, sizeof(sigs) / sizeof(sigs[0]), &sig_fd);
		if (ret) {
			tool_err("watch %s: signalfd: %s", a.name, strerror(-ret));
			return DAXMR_TOOL_EXIT_FAILED;
		}
	}
	opts.timeout_ms = a.timeout_ms ? a.timeout_ms : DAXMR_DEFAULT_TIMEOUT_MS;
	opts.ack_revoke = !a.ignore_revoke;
	opts.verbose = a.verbose;
	opts.secret_file = secret;
	if (a.cmd == DAXMR_TOOL_GET || a.cmd == DAXMR_TOOL_PUT)
		opts.reconnect = TOOL_RECONNECTS;
	opts.identity = a.identity ? a.identity : getenv("DAXMR_IDENTITY");
	if (opts.identity && !opts.identity[0])
		opts.identity = NULL;
	ret = daxmr_client_connect(server, &opts, &client);
	if (ret) {
		tool_err("cannot connect to %s: %s", server, daxmr_tool_connect_strerror(ret));
		if (sig_fd >= 0)
			close(sig_fd);
		return daxmr_tool_connect_exit_code(ret);
	}
	tool_info("connected to %s (%s)", server, daxmr_client_server_name(client));
	switch (a.cmd) {
	case DAXMR_TOOL_LS:
		code = tool_ls(client);
		break;
	case DAXMR_TOOL_GET:
		code = tool_get(client, &a);
		break;
	case DAXMR_TOOL_PUT:
		code = tool_put(client, &a);
		break;
	case DAXMR_TOOL_WATCH:
		code = tool_watch(client, &a, sig_fd);
		break;
	case DAXMR_TOOL_CAS:
	case DAXMR_TOOL_FAA:
		code = tool_atomic(client, &a);
		break;
	default:
		code = DAXMR_TOOL_EXIT_USAGE;
		break;
	}
	daxmr_client_disconnect(&client);
	if (sig_fd >= 0)
		close(sig_fd);
	return code;
}
