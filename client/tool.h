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
	DAXMR_TOOL_EXIT_FAILED = 1,	 /* the operation failed: server status, RDMA error, I/O */
	DAXMR_TOOL_EXIT_USAGE = 2,	 /* bad command line */
	DAXMR_TOOL_EXIT_CONNECT = 3,	 /* cannot connect to the server */
	DAXMR_TOOL_EXIT_NOENT = 4,	 /* no such export */
	DAXMR_TOOL_EXIT_ACCESS = 5,	 /* access denied */
	DAXMR_TOOL_EXIT_REVOKED = 6,	 /* revoked, or being revoked (-ESTALE, -EAGAIN) */
	DAXMR_TOOL_EXIT_UNAVAILABLE = 7, /* the export is down and retrying will not help */
};

/*
 * The errno libdaxmr returns for an export the server reports UNAVAILABLE (protocol v3: down,
 * with a reason, until the operator fixes it), as opposed to -EAGAIN (being revoked: try again).
 */
#define DAXMR_TOOL_ERR_UNAVAILABLE (-ENODEV)

enum daxmr_tool_cmd {
	DAXMR_TOOL_NONE = 0,
	DAXMR_TOOL_LS,
	DAXMR_TOOL_GET,
	DAXMR_TOOL_PUT,
	DAXMR_TOOL_WATCH,
	DAXMR_TOOL_CAS,
	DAXMR_TOOL_FAA,
};

/* The parsed command line; strings are borrowed from argv. */
struct daxmr_tool_args {
	const char *server;	 /* -s ADDR[:PORT]; NULL: none given */
	int verbose;		 /* -v, repeatable */
	int timeout_ms;		 /* -t MS; 0: the library's default */
	const char *secret_file; /* -k FILE; NULL: none given */
	const char *identity;	 /* -I NAME; NULL: none given */
	bool help;		 /* --help / -h (for cmd if one was given) */
	bool version;		 /* --version */
	enum daxmr_tool_cmd cmd;
	const char *name; /* get/put/watch: the export */
	uint64_t offset;  /* --offset */
	uint64_t length;  /* get --length */
	bool has_length;
	const char *output; /* get -o; NULL: stdout */
	const char *input;  /* put -i; NULL: stdin */
	bool ro;	    /* watch --ro */
	bool ignore_revoke; /* watch --ignore-revoke */
	uint64_t compare;   /* cas --compare */
	uint64_t swap;	    /* cas --swap */
	uint64_t add;	    /* faa --add */
	bool has_offset, has_compare, has_swap, has_add;
};

/*
 * Parses a 64-bit operand of cas/faa: decimal, or hexadecimal with 0x; faa's --add also takes a
 * leading '-' (two's complement, as the NIC adds modulo 2^64). -EINVAL, -ERANGE past 64 bits.
 */
int daxmr_tool_u64_parse(const char *s, bool allow_negative, uint64_t *v_ptr);

/*
 * Checks a server address the way daxmr_client_connect reads it ("HOST", "HOST:PORT",
 * "[V6]:PORT"; port 1..65535) before connecting; -EINVAL with a one-line message in err.
 */
int daxmr_tool_server_check(const char *server, char *err, size_t err_len);

/*
 * Checks the secret file (-k, $DAXMR_SECRET_FILE) the way the library will read it at connect;
 * 0, or the loader's negative errno with a line naming the file and the cause in err.
 */
int daxmr_tool_secret_check(const char *path, char *err, size_t err_len);

/*
 * The server and secret file a tool connects with: the options given, else $DAXMR_SERVER and
 * $DAXMR_SECRET_FILE (empty: none). Checks both before any connection (server_flag: how the
 * tool spells its server option, for the message). 0, or -EINVAL with a line in err.
 */
int daxmr_tool_conn_pick(const char *server_opt, const char *secret_opt, const char *server_flag,
			 const char **server_ptr, const char **secret_ptr, char *err,
			 size_t err_len);

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

/* The command's word ("ls", "get", "put", "watch", "cas", "faa"); "daxmr" for none. */
const char *daxmr_tool_cmd_name(enum daxmr_tool_cmd cmd);

/* One message line of the tools on f: "<prog>: <fmt, ap>\n" (daxmr and daxmr-bench). */
void daxmr_tool_vmsg(FILE *f, const char *prog, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif /* DAXMR_TOOL_H */
