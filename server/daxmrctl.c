/* SPDX-License-Identifier: BSD-3-Clause */
/* daxmrctl.c -- the administrator's tool: asks daxmrd over its control socket (docs/daxmrctl.md) */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "args.h"
#include "daxmr_version.h"

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAILED 1 /* daxmrd answered with an error */
#define CTL_EXIT_USAGE 2
#define CTL_EXIT_UNREACHABLE 3 /* daxmrd not running, permission denied, broken reply */

/* --help. */
static void ctl_usage(FILE *f)
{
	fprintf(f,
		"Usage: daxmrctl [--socket PATH] [--json] COMMAND [ARGUMENTS]\n"
		"\n"
		"Asks a running daxmrd over its control socket (default %s).\n"
		"\n"
		"Commands:\n"
		"  status                     the daemon: listen address, device, counts, timings\n"
		"  exports                    every export: state, generation, access, memory,\n"
		"                             registration mode, length, holders, the last\n"
		"                             revocation (reason, ack and release times) and why an\n"
		"                             unavailable export is down\n"
		"  clients                    every connection: address, name, authenticated,\n"
		"                             identity (anonymous: the secret file's; -: none),\n"
		"                             the regions it holds and their keys\n"
		"  revoke EXPORT              revoke EXPORT from its holders (reason admin); it comes\n"
		"                             back as a new generation\n"
		"  disconnect CLIENT          disconnect the client(s) at ADDR:PORT, named CLIENT\n"
		"                             or authenticated as identity CLIENT\n"
		"  reload                     re-read the exports file (as SIGHUP does); a file with\n"
		"                             an error changes nothing and the error is shown\n"
		"  export NAME PATH [OPTIONS] export PATH as NAME now (options as in\n"
		"                             daxmr.exports(5): ro, rw, allow=NET, identity=NAME,\n"
		"                             ack-budget-ms=N,\n"
		"                             allow-non-dax); kept until unexport or a restart\n"
		"  unexport NAME              revoke NAME (reason admin), release it and forget it\n"
		"                             (one from the exports file comes back at a reload)\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH  daxmrd's control socket\n"
		"  -j, --json         print daxmrd's JSON reply as it is (one object a line)\n"
		"  -h, --help         this text\n"
		"      --version      print daxmrctl's version and exit\n"
		"\n"
		"Only root and members of the socket's group (daxmrd --ctl-group, 'set ctl-group')\n"
		"may connect: the socket is mode 0660.\n"
		"\n"
		"Exit status: 0 done, 1 daxmrd refused the request (the reason is printed),\n"
		"2 usage error, 3 daxmrd cannot be reached (not running, permission denied).\n",
		DAXMR_CTL_SOCKET_DEFAULT);
}

/* Connects to path; the fd, or -1 with the reason printed. */
static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "daxmrctl: %s: socket path too long\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "daxmrctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	err = errno;
	close(fd);
	if (err == ENOENT || err == ECONNREFUSED)
		fprintf(stderr, "daxmrctl: daxmrd is not running (%s: %s)\n", path, strerror(err));
	else if (err == EACCES || err == EPERM)
		fprintf(stderr,
			"daxmrctl: permission denied: %s (root or the socket's group may use it)\n",
			path);
	else
		fprintf(stderr, "daxmrctl: connect %s: %s\n", path, strerror(err));
	return -1;
}

/* Sends req, reads one reply line; the parsed reply or NULL (said why). */
static struct json_object *ctl_call(int fd, struct json_object *req)
{
	const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text), off = 0, cap = 4096;
	char *buf = malloc(cap), *nl = NULL;
	struct json_object *reply;
	ssize_t r;

	if (!buf)
		return NULL;
	while (off < len + 1) {
		r = write(fd, off < len ? text + off : "\n", off < len ? len - off : 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "daxmrctl: write to daxmrd: %s\n", strerror(errno));
			free(buf);
			return NULL;
		}
		off += (size_t)r;
	}
	off = 0;
	while (!nl) {
		if (off + 1 >= cap) {
			char *grown = realloc(buf, cap * 2);

			if (!grown) {
				free(buf);
				return NULL;
			}
			buf = grown;
			cap *= 2;
		}
		r = read(fd, buf + off, cap - off - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr,
				"daxmrctl: daxmrd closed the connection without a reply%s%s\n",
				r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
			free(buf);
			return NULL;
		}
		off += (size_t)r;
		buf[off] = '\0';
		nl = strchr(buf, '\n');
	}
	*nl = '\0';
	reply = json_tokener_parse(buf);
	if (!reply || !json_object_is_type(reply, json_type_object))
		fprintf(stderr, "daxmrctl: daxmrd's reply is not a JSON object: %.200s\n", buf);
	free(buf);
	return reply;
}

/* Member key of o as a string ("-" for null or missing). */
static const char *ctl_s(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return "-";
	return json_object_get_string(v);
}

static int64_t ctl_i(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : 0;
}

/* status, as "key: value" lines. */
static void ctl_print_status(struct json_object *r)
{
	static const char *const keys[] = { "state",
					    "pid",
					    "listen",
					    "device",
					    "keys",
					    "auth",
					    "identities",
					    "exports",
					    "available",
					    "clients",
					    "lease_break_time_ms",
					    "ack_budget_ms",
					    "watchdog_ms" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("%-20s %s\n", keys[i], ctl_s(r, keys[i]));
}

/* The last revocation in a few words: "admin 2 of 2 acked, released 1.2 ms". */
static void ctl_revoke_words(struct json_object *e, char *buf, size_t size)
{
	struct json_object *rv;

	if (!json_object_object_get_ex(e, "last_revocation", &rv) || !rv) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%s g%" PRId64 " %" PRId64 "/%" PRId64 " acked, %.1f ms (%s)",
		 ctl_s(rv, "reason"), ctl_i(rv, "generation"), ctl_i(rv, "acked"),
		 ctl_i(rv, "holders"), (double)ctl_i(rv, "released_us") / 1000.0,
		 ctl_s(rv, "cause"));
}

/* exports, as a table. */
static void ctl_print_exports(struct json_object *r)
{
	struct json_object *a, *e;
	char last[128];
	size_t i;

	if (!json_object_object_get_ex(r, "exports", &a))
		return;
	printf("%-16s %-11s %4s %-3s %-10s %-6s %12s %7s  %-36s %s\n", "NAME", "STATE", "GEN",
	       "ACC", "MEMORY", "REG", "LENGTH", "HOLDERS", "LAST REVOCATION", "PATH / WHY DOWN");
	for (i = 0; i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		ctl_revoke_words(e, last, sizeof(last));
		printf("%-16s %-11s %4" PRId64 " %-3s %-10s %-6s %12s %7" PRId64 "  %-36s %s%s%s\n",
		       ctl_s(e, "name"), ctl_s(e, "state"), ctl_i(e, "generation"),
		       ctl_s(e, "access"), ctl_s(e, "memory"), ctl_s(e, "registration"),
		       ctl_s(e, "length"), ctl_i(e, "holders"), last, ctl_s(e, "path"),
		       strcmp(ctl_s(e, "reason"), "-") ? ": " : "",
		       strcmp(ctl_s(e, "reason"), "-") ? ctl_s(e, "reason") : "");
	}
}

/* clients, as a table: one line per client, its regions after it. */
static void ctl_print_clients(struct json_object *r)
{
	struct json_object *a, *c, *regions, *h;
	size_t i, j;

	if (!json_object_object_get_ex(r, "clients", &a))
		return;
	printf("%-24s %-24s %-10s %-13s %-16s %s\n", "ADDRESS", "NAME", "STATE", "AUTHENTICATED",
	       "IDENTITY", "REGIONS (EXPORT GEN ACCESS STATE KEY)");
	for (i = 0; i < json_object_array_length(a); i++) {
		c = json_object_array_get_idx(a, i);
		regions = NULL;
		json_object_object_get_ex(c, "regions", &regions);
		printf("%-24s %-24s %-10s %-13s %-16s %zu\n", ctl_s(c, "address"), ctl_s(c, "name"),
		       ctl_s(c, "state"), ctl_s(c, "authenticated"), ctl_s(c, "identity"),
		       regions ? json_object_array_length(regions) : 0);
		for (j = 0; regions && j < json_object_array_length(regions); j++) {
			h = json_object_array_get_idx(regions, j);
			printf("    %-20s g%-4" PRId64 " %-3s %-12s %s", ctl_s(h, "export"),
			       ctl_i(h, "generation"), ctl_s(h, "access"), ctl_s(h, "state"),
			       ctl_s(h, "key"));
			if (ctl_i(h, "rkey"))
				printf(" rkey 0x%08" PRIx64, ctl_i(h, "rkey"));
			printf("\n");
		}
	}
}

/* The request for argv's command; NULL (said why) on a usage error. */
static struct json_object *ctl_request(int argc, char **argv)
{
	static const struct {
		const char *cmd, *arg; /* arg: the member its one argument goes to */
	} cmds[] = {
		{ "status", NULL },	    { "exports", NULL },    { "clients", NULL },
		{ "reload", NULL },	    { "revoke", "export" }, { "unexport", "export" },
		{ "disconnect", "client" },
	};
	struct json_object *req = json_object_new_object(), *args;
	const char *cmd = argv[0];
	size_t i;
	int k;

	if (!req)
		return NULL;
	json_object_object_add(req, "command", json_object_new_string(cmd));
	if (strcmp(cmd, "export") == 0) {
		if (argc < 3) {
			fprintf(stderr, "daxmrctl: export: expected NAME PATH [OPTIONS...]\n");
			json_object_put(req);
			return NULL;
		}
		args = json_object_new_array();
		for (k = 1; k < argc; k++)
			json_object_array_add(args, json_object_new_string(argv[k]));
		json_object_object_add(req, "args", args);
		return req;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmd, cmds[i].cmd) != 0)
			continue;
		if (argc != (cmds[i].arg ? 2 : 1)) {
			fprintf(stderr, "daxmrctl: %s: %s\n", cmd,
				cmds[i].arg ? "expected one argument" : "takes no arguments");
			json_object_put(req);
			return NULL;
		}
		if (cmds[i].arg)
			json_object_object_add(req, cmds[i].arg, json_object_new_string(argv[1]));
		return req;
	}
	fprintf(stderr,
		"daxmrctl: unknown command '%s' (status, exports, clients, revoke, disconnect, "
		"reload, export, unexport)\n",
		cmd);
	json_object_put(req);
	return NULL;
}

/* Prints a successful reply for cmd. */
static void ctl_print(const char *cmd, struct json_object *r)
{
	if (strcmp(cmd, "status") == 0)
		ctl_print_status(r);
	else if (strcmp(cmd, "exports") == 0)
		ctl_print_exports(r);
	else if (strcmp(cmd, "clients") == 0)
		ctl_print_clients(r);
	else if (strcmp(cmd, "reload") == 0)
		printf("reloaded: %" PRId64 " added, %" PRId64 " removed, %" PRId64
		       " changed, %" PRId64 " unchanged\n",
		       ctl_i(r, "added"), ctl_i(r, "removed"), ctl_i(r, "changed"),
		       ctl_i(r, "unchanged"));
	else if (strcmp(cmd, "disconnect") == 0)
		printf("disconnected %" PRId64 " connection(s)\n", ctl_i(r, "disconnected"));
	else
		printf("%s: done\n", cmd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DAXMR_CTL_SOCKET_DEFAULT;
	struct json_object *req, *reply, *ok;
	bool json = false;
	int c, fd, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			ctl_usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("daxmrctl %s\n", DAXMR_PROJECT_VERSION);
			return CTL_EXIT_OK;
		case ':':
			fprintf(stderr, "daxmrctl: option %s needs a value\n", argv[optind - 1]);
			fprintf(stderr, "Try 'daxmrctl --help'.\n");
			return CTL_EXIT_USAGE;
		default:
			fprintf(stderr, "daxmrctl: unknown option %s\n", argv[optind - 1]);
			fprintf(stderr, "Try 'daxmrctl --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "daxmrctl: a command is missing\nTry 'daxmrctl --help'.\n");
		return CTL_EXIT_USAGE;
	}
	req = ctl_request(argc - optind, argv + optind);
	if (!req) {
		fprintf(stderr, "Try 'daxmrctl --help'.\n");
		return CTL_EXIT_USAGE;
	}
	fd = ctl_connect(path);
	if (fd < 0) {
		json_object_put(req);
		return CTL_EXIT_UNREACHABLE;
	}
	reply = ctl_call(fd, req);
	close(fd);
	json_object_put(req);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		json_object_put(reply);
		return CTL_EXIT_UNREACHABLE;
	}
	rc = json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok) ?
		     CTL_EXIT_OK :
		     CTL_EXIT_FAILED;
	if (json)
		printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	else if (rc == CTL_EXIT_OK)
		ctl_print(argv[optind], reply);
	if (rc != CTL_EXIT_OK)
		fprintf(stderr, "daxmrctl: %s: %s\n", argv[optind], ctl_s(reply, "error"));
	json_object_put(reply);
	return rc;
}
