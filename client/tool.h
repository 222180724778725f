/* SPDX-License-Identifier: BSD-3-Clause */
/* tool.h -- the daxmr tool's testable parts: command line, sizes, ranges, exit codes, messages */
#ifndef DAXMR_TOOL_H
#define DAXMR_TOOL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, documented in --help. */
enum daxmr_tool_exit {
	DAXMR_TOOL_EXIT_OK = 0,
	DAXMR_TOOL_EXIT_FAILED = 1,  /* the operation failed: server status, RDMA error, I/O */
	DAXMR_TOOL_EXIT_USAGE = 2,   /* bad command line */
	DAXMR_TOOL_EXIT_CONNECT = 3, /* cannot connect to the server */
	DAXMR_TOOL_EXIT_NOENT = 4,   /* no such export */
	DAXMR_TOOL_EXIT_ACCESS = 5,  /* access denied */
	DAXMR_TOOL_EXIT_REVOKED = 6, /* revoked, or being revoked (-ESTALE, -EAGAIN) */
};

enum daxmr_tool_cmd {
	DAXMR_TOOL_NONE = 0,
	DAXMR_TOOL_LS,
	DAXMR_TOOL_GET,
	DAXMR_TOOL_PUT,
	DAXMR_TOOL_WATCH,
};

/* The parsed command line; strings are borrowed from argv. */
struct daxmr_tool_args {
	const char *server;	 /* -s ADDR[:PORT]; NULL: none given */
	int verbose;		 /* -v, repeatable */
	int timeout_ms;		 /* -t MS; 0: the library's default */
	const char *secret_file; /* -k FILE; NULL: none given */
	bool help;		 /* --help / -h (for cmd if one was given) */
	enum daxmr_tool_cmd cmd;
	const char *name; /* get/put/watch: the export */
	uint64_t offset;  /* --offset */
	uint64_t length;  /* get --length */
	bool has_length;
	const char *output; /* get -o; NULL: stdout */
	const char *input;  /* put -i; NULL: stdin */
	bool ro;	    /* watch --ro */
	bool ignore_revoke; /* watch --ignore-revoke */
};

/*
 * Parses a size: decimal digits with an optional binary suffix K, M, G, T (case-insensitive,
 * optionally followed by "iB" or "B"): "4096", "64K", "1MiB", "2g". -EINVAL for anything else,
 * -ERANGE when it does not fit in 64 bits.
 */
int daxmr_tool_size_parse(const char *s, uint64_t *v_ptr);

/*
 * Parses argv (argv[0] is the program). On -EINVAL (usage error) err holds a one-line message.
 * *args is zeroed first.
 */
int daxmr_tool_args_parse(int argc, char *const argv[], struct daxmr_tool_args *args, char *err,
			  size_t err_len);

/*
 * The byte count get transfers: length if given, else the rest of the export. -ERANGE if offset
 * is past the end or offset + length passes it.
 */
int daxmr_tool_get_range(uint64_t export_len, uint64_t offset, bool has_length, uint64_t length,
			 uint64_t *len_ptr);

/* Whether [offset, offset + len) fits an export of export_len bytes for put: 0 or -ERANGE. */
int daxmr_tool_put_range(uint64_t export_len, uint64_t offset, uint64_t len);

/* The exit status for a failed operation's negative errno (connect failures are EXIT_CONNECT). */
int daxmr_tool_exit_code(int err);

/* The exit status for a failed RDMA READ/WRITE: a remote access error there is exit 1. */
int daxmr_tool_transfer_exit_code(int err);

/* A short cause for a failed RDMA READ/WRITE. */
const char *daxmr_tool_transfer_strerror(int err);

/* A short cause for a negative errno, in the words of daxmr ("no such export", ...). */
const char *daxmr_tool_strerror(int err);

/* The exit status for a failed connect: EXIT_ACCESS when refused access, else EXIT_CONNECT. */
int daxmr_tool_connect_exit_code(int err);

/*
 * A short cause for a failed connect: -ENOENT there is the secret file's, not an export's;
 * -ENXIO and -EAGAIN are the host name's (no such host; the resolver cannot answer now).
 */
const char *daxmr_tool_connect_strerror(int err);

/* One message line of the tools on f: "<prog>: <fmt, ap>\n" (daxmr and daxmr-bench). */
void daxmr_tool_vmsg(FILE *f, const char *prog, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif /* DAXMR_TOOL_H */
