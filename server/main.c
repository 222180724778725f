/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c -- daxmrd: command line -> struct daxmr_server_opts; wiring only */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"
#include "server.h"

#define MAIN_EXIT_OK 0
#define MAIN_EXIT_STARTUP 1
#define MAIN_EXIT_USAGE 2
/* fds besides the exports': the daemon's own (~14) and room for clients' and libraries' */
#define MAIN_FDS_SPARE 320

/* --help: every option, the export rules, the exit codes. */
static void main_usage(FILE *f)
{
	fprintf(f,
		"Usage: daxmrd --listen ADDR[:PORT] --export NAME=PATH[,ro] [--export ...]\n"
		"              [--allow-non-dax] [--ack-budget-ms N] [--odp-check=enforce|warn]\n"
		"              [--foreground] [-v|-vv]\n"
		"\n"
		"Serves files on persistent memory for one-sided RDMA READ/WRITE by remote clients,\n"
		"and revokes the clients' access before anyone else may change the files' blocks.\n"
		"\n"
		"Options:\n"
		"  -l, --listen ADDR[:PORT]  address to listen on (rdma_cm, TCP port space), port %d\n"
		"                            by default; IPv6 as [ADDR]:PORT. The RDMA device behind\n"
		"                            ADDR is the one served; a wildcard address (0.0.0.0, ::)\n"
		"                            serves the first RDMA device. Required.\n"
		"  -e, --export NAME=PATH[,ro]\n"
		"                            export PATH as NAME (1-255 printable ASCII characters, no\n"
		"                            space); ',ro' exports it read-only. Repeatable; at least\n"
		"                            one. Use absolute paths.\n"
		"      --allow-non-dax       also export non-DAX regular files (e.g. on tmpfs) from the\n"
		"                            page cache; LIST and the log say 'page-cache'\n"
		"      --ack-budget-ms N     how long a revocation waits for clients' REVOKE_ACKs\n"
		"                            before it releases anyway; default min(1000,\n"
		"                            lease-break-time/4). A watchdog releases at min(N + 250,\n"
		"                            lease-break-time/2) whatever happens.\n"
		"      --odp-check=MODE      enforce (default): a registration mode (pinned, ODP) that\n"
		"                            fails the data-path check on the device is not used, and\n"
		"                            exports needing it are refused; warn: use it anyway, loudly\n"
		"  -f, --foreground          accepted for compatibility: daxmrd never forks; run it\n"
		"                            under a supervisor (systemd, runit) that keeps its stderr\n"
		"  -v, --verbose             more log: -v info, -vv debug\n"
		"  -h, --help                this text\n"
		"\n"
		"Export rules, checked in this order after the file is opened once and leased\n"
		"(F_WRLCK for rw, F_RDLCK for ro):\n"
		"  - a regular file, or a device-DAX character device (/dev/daxX.Y; such devices have\n"
		"    no file lease: only shutdown revokes them)\n"
		"  - owned by daxmrd's fsuid, unless daxmrd has CAP_LEASE\n"
		"  - DAX: statx reports STATX_ATTR_DAX and MAP_SHARED_VALIDATE|MAP_SYNC maps it\n"
		"    (--allow-non-dax lifts this one)\n"
		"  - FIEMAP: no reflinked (shared) extents, no holes, no unwritten or delayed\n"
		"    extents (preallocate and write the file first, e.g. xfs_io -c 'pwrite 0 SIZE')\n"
		"  - registrable: pinned, or On-Demand Paging for fs-DAX (rxe on Linux >= 6.15, mlx5)\n"
		"  - the registration mode passed the data-path check (see --odp-check)\n"
		"An export that fails stays unavailable and is retried (0.1 s doubling to 10 s); a\n"
		"lease break (another process opens or truncates the file) revokes it from every\n"
		"client, releases it and re-establishes it as a new generation when it can.\n"
		"SIGTERM or SIGINT revokes every export (reason shutdown) and exits.\n"
		"\n"
		"Exit status: 0 clean shutdown, 1 startup failure, 2 usage error.\n",
		DAXMR_SERVER_PORT);
}

/* Parses NAME=PATH[,ro] into cfg (pointing into arg, which it modifies). */
static int main_parse_export(char *arg, struct daxmr_export_cfg *cfg)
{
	char *eq = strchr(arg, '='), *path;
	size_t n;

	if (!eq || eq == arg || eq[1] == '\0')
		return -EINVAL;
	*eq = '\0';
	path = eq + 1;
	n = strlen(path);
	cfg->ro = false;
	if (n > 3 && strcmp(path + n - 3, ",ro") == 0) {
		path[n - 3] = '\0';
		cfg->ro = true;
	} else if (n > 3 && strcmp(path + n - 3, ",rw") == 0) {
		path[n - 3] = '\0';
	}
	cfg->name = arg;
	cfg->path = path;
	return 0;
}

/*
 * Each export keeps its file open for its lifetime: 1,000 exports plus the daemon's own fds pass
 * the usual soft RLIMIT_NOFILE of 1024, so raise the soft limit to the hard one when needed.
 */
static int main_raise_nofile(size_t nexports)
{
	rlim_t want = (rlim_t)nexports + MAIN_FDS_SPARE, old;
	struct rlimit rl;
	int err;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		err = -errno;
		DAXMR_LOG_ERR("getrlimit(RLIMIT_NOFILE): %s", daxmr_log_strerror(err));
		return err;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)nexports + MAIN_FDS_SPARE / 4) {
		DAXMR_LOG_ERR(
			"%zu exports need about %llu open files, but the hard RLIMIT_NOFILE is "
			"%llu: raise it (ulimit -Hn, LimitNOFILE=) or export fewer files",
			nexports, (unsigned long long)want, (unsigned long long)rl.rlim_max);
		return -EMFILE;
	}
	old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		err = -errno;
		DAXMR_LOG_ERR("setrlimit(RLIMIT_NOFILE, %llu): %s", (unsigned long long)rl.rlim_cur,
			      daxmr_log_strerror(err));
		return err;
	}
	DAXMR_LOG_INF("raised the soft RLIMIT_NOFILE from %llu to %llu for %zu exports",
		      (unsigned long long)old, (unsigned long long)rl.rlim_cur, nexports);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "export", required_argument, NULL, 'e' },
		{ "allow-non-dax", no_argument, NULL, 'D' },
		{ "ack-budget-ms", required_argument, NULL, 'B' },
		{ "odp-check", required_argument, NULL, 'O' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daxmr_server_opts opts = DAXMR_SERVER_OPTS_DEFAULT;
	struct daxmr_export_cfg *exports;
	struct daxmr_server *srv = NULL;
	bool allow_non_dax = false;
	int verbose = 0, c, ret, rc = MAIN_EXIT_OK;
	size_t n = 0, i;
	long v;
	char *end;

	daxmr_log_set_ident("daxmrd");
	exports = calloc((size_t)argc, sizeof(*exports));
	if (!exports) {
		fprintf(stderr, "daxmrd: out of memory\n");
		return MAIN_EXIT_STARTUP;
	}
	while ((c = getopt_long(argc, argv, "l:e:fvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			opts.listen = optarg;
			break;
		case 'e':
			if (main_parse_export(optarg, &exports[n])) {
				fprintf(stderr, "daxmrd: --export %s: expected NAME=PATH[,ro]\n",
					optarg);
				goto usage;
			}
			n++;
			break;
		case 'D':
			allow_non_dax = true;
			break;
		case 'B':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno || v < 0 || v > INT_MAX) {
				fprintf(stderr,
					"daxmrd: --ack-budget-ms %s: expected milliseconds "
					"(0 or more)\n",
					optarg);
				goto usage;
			}
			opts.ack_budget_ms = (int)v;
			break;
		case 'O':
			if (strcmp(optarg, "enforce") == 0) {
				opts.odp_check_warn = false;
			} else if (strcmp(optarg, "warn") == 0) {
				opts.odp_check_warn = true;
			} else {
				fprintf(stderr,
					"daxmrd: --odp-check %s: expected enforce or warn\n",
					optarg);
				goto usage;
			}
			break;
		case 'f':
			break; /* daxmrd never forks */
		case 'v':
			verbose++;
			break;
		case 'h':
			main_usage(stdout);
			free(exports);
			return MAIN_EXIT_OK;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "daxmrd: unexpected argument %s\n", argv[optind]);
		goto usage;
	}
	if (!opts.listen) {
		fprintf(stderr, "daxmrd: --listen is required\n");
		goto usage;
	}
	if (n == 0) {
		fprintf(stderr, "daxmrd: at least one --export is required\n");
		goto usage;
	}
	for (i = 0; i < n; i++)
		exports[i].allow_non_dax = allow_non_dax;
	opts.exports = exports;
	opts.nexports = n;
	daxmr_log_set_level(verbose >= 2 ? DAXMR_LOG_DEBUG :
			    verbose == 1 ? DAXMR_LOG_INFO :
					   DAXMR_LOG_NOTICE);

	if (main_raise_nofile(n)) {
		free(exports);
		return MAIN_EXIT_STARTUP;
	}
	ret = daxmr_server_new(&opts, &srv);
	if (ret) {
		DAXMR_LOG_ERR("startup failed: %s", daxmr_log_strerror(ret));
		free(exports);
		return ret == -EINVAL ? MAIN_EXIT_USAGE : MAIN_EXIT_STARTUP;
	}
	if (daxmr_server_run(srv))
		rc = MAIN_EXIT_STARTUP;
	daxmr_server_delete(&srv);
	free(exports);
	return rc;

usage:
	fprintf(stderr, "Try 'daxmrd --help'.\n");
	free(exports);
	return MAIN_EXIT_USAGE;
}
