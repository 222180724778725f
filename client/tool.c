/* SPDX-License-Identifier: BSD-3-Clause */
/* tool.c -- the daxmr tool's testable parts: command line, sizes, ranges, exit codes, messages */
#include "tool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "hostport.h"
#include "log.h"

/* Parses a size with an optional K/M/G/T suffix. */
int daxmr_tool_size_parse(const char *s, uint64_t *v_ptr)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;
	unsigned int shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		p++;
		if (!strcmp(p, "iB") || !strcmp(p, "B") || !strcmp(p, "ib") || !strcmp(p, "b"))
			p += strlen(p);
		if (*p)
			return -EINVAL;
		mult = (uint64_t)1 << shift;
		if (v > UINT64_MAX / mult)
			return -ERANGE;
	}
	*v_ptr = v * mult;
	return 0;
}

/* Records a usage error and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int tool_usage_err(char *err, size_t err_len,
								const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The option's value: "--opt=VALUE" inline, else the next argument. NULL if missing. */
static const char *tool_opt_value(int argc, char *const argv[], int *i, const char *inline_val)
{
	if (inline_val)
		return inline_val;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* Whether arg is opt or "opt=...": *inline_val gets what follows '='. */
static bool tool_opt_is(const char *arg, const char *opt, const char **inline_val)
{
	size_t n = strlen(opt);

	*inline_val = NULL;
	if (strncmp(arg, opt, n) != 0)
		return false;
	if (arg[n] == '\0')
		return true;
	if (arg[n] == '=' && opt[1] == '-') {
		*inline_val = arg + n + 1;
		return true;
	}
	return false;
}

/* Parses a size option's value into *v. */
static int tool_size_opt(const char *opt, const char *val, uint64_t *v, char *err, size_t err_len)
{
	int ret;

	if (!val)
		return tool_usage_err(err, err_len, "%s needs a value", opt);
	ret = daxmr_tool_size_parse(val, v);
	if (ret == -ERANGE) {
		snprintf(err, err_len, "%s %s: too large", opt, val);
		return -EINVAL;
	}
	if (ret) {
		snprintf(err, err_len, "%s %s: not a size (digits with an optional K, M, G, T)",
			 opt, val);
		return -EINVAL;
	}
	return 0;
}

/* A string option's value (not empty) into *val_ptr; need says what it takes, for the error. */
static int tool_str_opt(int argc, char *const argv[], int *i, const char *inline_val,
			const char *need, const char **val_ptr, char *err, size_t err_len)
{
	const char *arg = argv[*i]; /* before tool_opt_value moves *i on to the value */
	const char *val = tool_opt_value(argc, argv, i, inline_val);

	if (!val || !*val)
		return tool_usage_err(err, err_len, "%s needs %s", arg, need);
	*val_ptr = val;
	return 0;
}

/* Parses a cas/faa operand option's value into *v, setting *has. */
static int tool_u64_opt(const char *opt, const char *val, bool allow_negative, uint64_t *v,
			bool *has, char *err, size_t err_len)
{
	int ret;

	if (!val)
		return tool_usage_err(err, err_len, "%s needs a value", opt);
	ret = daxmr_tool_u64_parse(val, allow_negative, v);
	if (ret == -ERANGE)
		return tool_usage_err(err, err_len, "%s %s: does not fit in 64 bits", opt, val);
	if (ret)
		return tool_usage_err(err, err_len,
				      "%s %s: not a number (decimal, or hex with 0x%s)", opt, val,
				      allow_negative ? "; '-' for a negative addend" : "");
	*has = true;
	return 0;
}

/* Whether cmd is one of the atomics (cas, faa). */
static bool tool_cmd_is_atomic(enum daxmr_tool_cmd cmd)
{
	return cmd == DAXMR_TOOL_CAS || cmd == DAXMR_TOOL_FAA;
}

/* Parses one command option; -ENOENT if arg is none of cmd's options. */
static int tool_cmd_opt(int argc, char *const argv[], int *i, struct daxmr_tool_args *a, char *err,
			size_t err_len)
{
	const char *arg = argv[*i], *iv;

	if (a->cmd != DAXMR_TOOL_LS && a->cmd != DAXMR_TOOL_WATCH &&
	    tool_opt_is(arg, "--offset", &iv)) {
		a->has_offset = true;
		return tool_size_opt("--offset", tool_opt_value(argc, argv, i, iv), &a->offset, err,
				     err_len);
	}
	if (a->cmd == DAXMR_TOOL_CAS && tool_opt_is(arg, "--compare", &iv))
		return tool_u64_opt("--compare", tool_opt_value(argc, argv, i, iv), false,
				    &a->compare, &a->has_compare, err, err_len);
	if (a->cmd == DAXMR_TOOL_CAS && tool_opt_is(arg, "--swap", &iv))
		return tool_u64_opt("--swap", tool_opt_value(argc, argv, i, iv), false, &a->swap,
				    &a->has_swap, err, err_len);
	if (a->cmd == DAXMR_TOOL_FAA && tool_opt_is(arg, "--add", &iv))
		return tool_u64_opt("--add", tool_opt_value(argc, argv, i, iv), true, &a->add,
				    &a->has_add, err, err_len);
	if (a->cmd == DAXMR_TOOL_GET && tool_opt_is(arg, "--length", &iv)) {
		a->has_length = true;
		return tool_size_opt("--length", tool_opt_value(argc, argv, i, iv), &a->length, err,
				     err_len);
	}
	if (a->cmd == DAXMR_TOOL_GET &&
	    (tool_opt_is(arg, "-o", &iv) || tool_opt_is(arg, "--output", &iv)))
		return tool_str_opt(argc, argv, i, iv, "a file name", &a->output, err, err_len);
	if (a->cmd == DAXMR_TOOL_PUT &&
	    (tool_opt_is(arg, "-i", &iv) || tool_opt_is(arg, "--input", &iv)))
		return tool_str_opt(argc, argv, i, iv, "a file name", &a->input, err, err_len);
	if (a->cmd == DAXMR_TOOL_WATCH && !strcmp(arg, "--ro")) {
		a->ro = true;
		return 0;
	}
	if (a->cmd == DAXMR_TOOL_WATCH && !strcmp(arg, "--ignore-revoke")) {
		a->ignore_revoke = true;
		return 0;
	}
	return -ENOENT;
}

/* Parses one global option (before or after the command); -ENOENT if arg is none. */
static int tool_global_opt(int argc, char *const argv[], int *i, struct daxmr_tool_args *a,
			   char *err, size_t err_len)
{
	const char *arg = argv[*i], *iv, *val;
	uint64_t ms;
	int ret;

	if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
		a->help = true;
		return 0;
	}
	if (!strcmp(arg, "--version")) {
		a->version = true;
		return 0;
	}
	if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
		a->verbose++;
		return 0;
	}
	if (!strcmp(arg, "-vv")) {
		a->verbose += 2;
		return 0;
	}
	if (tool_opt_is(arg, "-s", &iv) || tool_opt_is(arg, "--server", &iv))
		return tool_str_opt(argc, argv, i, iv, "ADDR[:PORT]", &a->server, err, err_len);
	if (tool_opt_is(arg, "-k", &iv) || tool_opt_is(arg, "--secret-file", &iv))
		return tool_str_opt(argc, argv, i, iv, "a file name", &a->secret_file, err,
				    err_len);
	if (tool_opt_is(arg, "-I", &iv) || tool_opt_is(arg, "--identity", &iv))
		return tool_str_opt(argc, argv, i, iv, "an identity name", &a->identity, err,
				    err_len);
	if (tool_opt_is(arg, "-t", &iv) || tool_opt_is(arg, "--timeout", &iv)) {
		val = tool_opt_value(argc, argv, i, iv);
		if (!val)
			return tool_usage_err(err, err_len, "%s needs milliseconds", arg);
		ret = daxmr_tool_size_parse(val, &ms);
		if (ret || ms == 0 || ms > 3600000)
			return tool_usage_err(err, err_len, "timeout %s: want 1..3600000 ms", val);
		a->timeout_ms = (int)ms;
		return 0;
	}
	return -ENOENT;
}

/* cas and faa: the operands they need, an 8-byte aligned offset, nothing they do not take. */
static int tool_atomic_args_check(const struct daxmr_tool_args *a, char *err, size_t err_len)
{
	const char *cmd = a->cmd == DAXMR_TOOL_CAS ? "cas" : "faa";

	if (!a->has_offset)
		return tool_usage_err(err, err_len, "%s needs --offset (of the 8-byte word)", cmd);
	if (a->offset % 8)
		return tool_usage_err(
			err, err_len,
			"%s --offset %llu: RDMA atomics need an 8-byte aligned offset", cmd,
			(unsigned long long)a->offset);
	if (a->cmd == DAXMR_TOOL_CAS && (!a->has_compare || !a->has_swap))
		return tool_usage_err(err, err_len, "cas needs --compare C and --swap S");
	if (a->cmd == DAXMR_TOOL_FAA && !a->has_add)
		return tool_usage_err(err, err_len, "faa needs --add A");
	return 0;
}

/* Parses the whole command line. */
int daxmr_tool_args_parse(int argc, char *const argv[], struct daxmr_tool_args *a, char *err,
			  size_t err_len)
{
	static const struct {
		const char *word;
		enum daxmr_tool_cmd cmd;
	} cmds[] = { { "ls", DAXMR_TOOL_LS },	{ "get", DAXMR_TOOL_GET },
		     { "put", DAXMR_TOOL_PUT }, { "watch", DAXMR_TOOL_WATCH },
		     { "cas", DAXMR_TOOL_CAS }, { "faa", DAXMR_TOOL_FAA } };
	bool opts_done = false;
	size_t c;
	int i, ret;

	memset(a, 0, sizeof(*a));
	if (err_len)
		err[0] = '\0';
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!opts_done && !strcmp(arg, "--")) {
			opts_done = true;
			continue;
		}
		if (!opts_done && arg[0] == '-' && arg[1]) {
			ret = tool_global_opt(argc, argv, &i, a, err, err_len);
			if (ret == -ENOENT && a->cmd != DAXMR_TOOL_NONE)
				ret = tool_cmd_opt(argc, argv, &i, a, err, err_len);
			if (ret == -ENOENT)
				return tool_usage_err(err, err_len, "unknown option %s", arg);
			if (ret)
				return ret;
			continue;
		}
		if (a->cmd == DAXMR_TOOL_NONE) {
			for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
				if (!strcmp(arg, cmds[c].word))
					a->cmd = cmds[c].cmd;
			if (a->cmd == DAXMR_TOOL_NONE)
				return tool_usage_err(err, err_len,
						      "unknown command '%s' (ls, get, put, watch, "
						      "cas, faa)",
						      arg);
			continue;
		}
		if (a->cmd != DAXMR_TOOL_LS && !a->name) {
			a->name = arg;
			continue;
		}
		return tool_usage_err(err, err_len, "unexpected argument '%s'", arg);
	}
	if (a->help || a->version)
		return 0;
	if (a->cmd == DAXMR_TOOL_NONE)
		return tool_usage_err(err, err_len, "%s",
				      "no command (ls, get, put, watch, cas, faa)");
	if (a->cmd != DAXMR_TOOL_LS && !a->name)
		return tool_usage_err(err, err_len, "%s needs an export NAME",
				      daxmr_tool_cmd_name(a->cmd));
	if (a->name && (strlen(a->name) > 255 || !a->name[0]))
		return tool_usage_err(err, err_len, "export name '%.40s...': 1..255 characters",
				      a->name);
	if (tool_cmd_is_atomic(a->cmd))
		return tool_atomic_args_check(a, err, err_len);
	return 0;
}

/* The command's word ("get", ...); "daxmr" for none. */
const char *daxmr_tool_cmd_name(enum daxmr_tool_cmd cmd)
{
	switch (cmd) {
	case DAXMR_TOOL_LS:
		return "ls";
	case DAXMR_TOOL_GET:
		return "get";
	case DAXMR_TOOL_PUT:
		return "put";
	case DAXMR_TOOL_WATCH:
		return "watch";
	case DAXMR_TOOL_CAS:
		return "cas";
	case DAXMR_TOOL_FAA:
		return "faa";
	default:
		return "daxmr";
	}
}

/* Parses a decimal or 0x-hexadecimal 64-bit number, optionally negative. */
int daxmr_tool_u64_parse(const char *s, bool allow_negative, uint64_t *v_ptr)
{
	unsigned int base = 10, d;
	uint64_t v = 0;
	bool neg = false;
	const char *p = s;

	if (!s)
		return -EINVAL;
	if (*p == '-' && allow_negative) {
		neg = true;
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned int)(*p - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (neg && v > (uint64_t)INT64_MAX + 1)
		return -ERANGE;
	*v_ptr = neg ? (uint64_t)0 - v : v;
	return 0;
}

/* Checks the server address with the parser daxmr_client_connect uses. */
int daxmr_tool_server_check(const char *server, char *err, size_t err_len)
{
	char host[256];
	unsigned int port;

	if (daxmr_hostport_parse(server, 7471, host, sizeof(host), &port))
		return tool_usage_err(err, err_len,
				      "server '%s': want HOST, HOST:PORT or [IPV6]:PORT with PORT "
				      "in 1..65535",
				      server);
	return 0;
}

/*
 * Loads the secret file with the loader the library uses at connect, so that its reason (open,
 * mode, size) is reported as the secret file's before any connection is tried. The key is wiped.
 */
int daxmr_tool_secret_check(const char *path, char *err, size_t err_len)
{
	struct daxmr_auth_key key;
	char why[256];
	int ret = daxmr_auth_key_load(path, &key, why, sizeof(why));

	explicit_bzero(&key, sizeof(key));
	if (ret)
		snprintf(err, err_len, "bad secret file: %s", why);
	return ret;
}

/* Options first, then the environment; both checked before connecting. */
int daxmr_tool_conn_pick(const char *server_opt, const char *secret_opt, const char *server_flag,
			 const char **server_ptr, const char **secret_ptr, char *err,
			 size_t err_len)
{
	const char *server = server_opt ? server_opt : getenv("DAXMR_SERVER");
	const char *secret = secret_opt ? secret_opt : getenv("DAXMR_SECRET_FILE");

	if (!server || !*server)
		return tool_usage_err(
			err, err_len,
			"no server: pass %s ADDR[:PORT] (daxmrd's address on the RDMA "
			"network) or set DAXMR_SERVER",
			server_flag);
	if (daxmr_tool_server_check(server, err, err_len))
		return -EINVAL;
	if (secret && !*secret)
		secret = NULL;
	if (secret && daxmr_tool_secret_check(secret, err, err_len))
		return -EINVAL;
	*server_ptr = server;
	*secret_ptr = secret;
	return 0;
}

/* The byte count get transfers. */
int daxmr_tool_get_range(uint64_t export_len, uint64_t offset, bool has_length, uint64_t length,
			 uint64_t *len_ptr)
{
	if (offset > export_len)
		return -ERANGE;
	if (!has_length) {
		*len_ptr = export_len - offset;
		return 0;
	}
	if (length > export_len - offset)
		return -ERANGE;
	*len_ptr = length;
	return 0;
}

/* Whether put's range fits the export: 0 or -ERANGE. */
int daxmr_tool_put_range(uint64_t export_len, uint64_t offset, uint64_t len)
{
	if (offset > export_len || len > export_len - offset)
		return -ERANGE;
	return 0;
}

/* Access denied at connect (allowlist, authentication) is not "cannot connect". */
int daxmr_tool_connect_exit_code(int err)
{
	return err == -EACCES ? DAXMR_TOOL_EXIT_ACCESS : DAXMR_TOOL_EXIT_CONNECT;
}

/*
 * At connect no export is named yet: -ENOENT is a missing secret file, and -ENXIO / -EAGAIN
 * are the server's host name (it does not resolve / the resolver cannot answer now).
 */
const char *daxmr_tool_connect_strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return strerror(ENOENT);
	case -ENXIO:
		return "no such host (the name does not resolve)";
	case -EAGAIN:
		return "the host name cannot be resolved now; try again later";
	case -ENODEV:
		return "no RDMA device (is the rdma_ucm module loaded, a device set up?)";
	default:
		return daxmr_tool_strerror(err);
	}
}

/* The exit status for a failed operation. */
int daxmr_tool_exit_code(int err)
{
	switch (err) {
	case 0:
		return DAXMR_TOOL_EXIT_OK;
	case -ENOENT:
		return DAXMR_TOOL_EXIT_NOENT;
	case -EACCES:
	case -EPERM:
		return DAXMR_TOOL_EXIT_ACCESS;
	case -ESTALE:
	case -EAGAIN:
		return DAXMR_TOOL_EXIT_REVOKED;
	case DAXMR_TOOL_ERR_UNAVAILABLE:
		return DAXMR_TOOL_EXIT_UNAVAILABLE;
	default:
		return DAXMR_TOOL_EXIT_FAILED;
	}
}

/*
 * The exit status for a failed RDMA READ/WRITE. There -EACCES is the remote side refusing the
 * key (IBV_WC_REM_ACCESS_ERR): the server withdrew it, by revocation or by going away. That is
 * a failed operation, not the OPEN-time "access denied".
 */
int daxmr_tool_transfer_exit_code(int err)
{
	return err == -EACCES ? DAXMR_TOOL_EXIT_FAILED : daxmr_tool_exit_code(err);
}

/* A short cause for a failed RDMA READ/WRITE. */
const char *daxmr_tool_transfer_strerror(int err)
{
	if (err == -EACCES)
		return "remote access error: the server withdrew the key (revoked, or the server "
		       "went away)";
	return daxmr_tool_strerror(err);
}

/* A short cause for a negative errno. */
const char *daxmr_tool_strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return "no such export";
	case -EACCES:
		return "access denied";
	case -ESTALE:
		return "revoked (stale generation)";
	case -EAGAIN:
		return "export is being revoked or unavailable; try again later";
	case -ERANGE:
		return "out of range: past the export's end";
	case -EBUSY:
		return "server busy; try again later";
	case -EPROTO:
		return "protocol error (the server sent something invalid)";
	case -ENOTCONN:
		return "connection lost";
	case -ETIMEDOUT:
		return "timed out";
	case -ECONNREFUSED:
		return "connection refused";
	case -EPROTONOSUPPORT:
		return "no protocol version in common with the server";
	case -EOPNOTSUPP:
		return "not supported by the RDMA device or the export";
	case DAXMR_TOOL_ERR_UNAVAILABLE:
		return "export unavailable (down until the server's operator fixes it)";
	default:
		return daxmr_log_strerror(err);
	}
}

/* One message line: the program's name, the message, a newline. */
void daxmr_tool_vmsg(FILE *f, const char *prog, const char *fmt, va_list ap)
{
	fprintf(f, "%s: ", prog);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}
