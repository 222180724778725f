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

#include "auth.h"
#include "cidr.h"
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
		"Usage: daxmrd --listen ADDR[:PORT] --export NAME=PATH[,OPTION...] [--export ...]\n"
		"              [--secret-file FILE] [--allow-non-dax] [--ack-budget-ms N]\n"
		"              [--odp-check=enforce|warn] [--foreground] [-v|-vv]\n"
		"\n"
		"Serves files on persistent memory for one-sided RDMA READ/WRITE by remote clients,\n"
		"and revokes the clients' access before anyone else may change the files' blocks.\n"
		"\n"
		"Options:\n"
		"  -l, --listen ADDR[:PORT]  address to listen on (rdma_cm, TCP port space), port %d\n"
		"                            by default; IPv6 as [ADDR]:PORT. The RDMA device behind\n"
		"                            ADDR is the one served; a wildcard address (0.0.0.0, ::)\n"
		"                            serves the first RDMA device. Required.\n"
		"  -e, --export NAME=PATH[,OPTION...]\n"
		"                            export PATH as NAME (1-255 printable ASCII characters, no\n"
		"                            space). Repeatable; at least one. Use absolute paths\n"
		"                            (without commas). Options:\n"
		"                              ro         read-only (no remote write); rw: the default\n"
		"                              allow=NET  only clients whose address is in NET (an\n"
		"                                         address or ADDR/PREFIX, IPv4 or IPv6) see\n"
		"                                         and open the export; repeatable. Without\n"
		"                                         allow=, every client may. A client that no\n"
		"                                         export admits is rejected at connect.\n"
		"      --secret-file FILE    clients must prove they know this pre-shared secret\n"
		"                            (challenge-response at connect; the secret never crosses\n"
		"                            the wire, and daxmrd proves it back). FILE: 16-4096 bytes,\n"
		"                            mode 0600 or stricter, e.g.\n"
		"                            (umask 077; head -c 32 /dev/urandom > FILE)\n"
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

/*
 * Parses NAME=PATH[,ro|,rw][,allow=NET]... into cfg (pointing into arg, which it modifies; the
 * allowlist is allocated: free it with main_free_exports). 0, or -EINVAL with why filled in.
 */
static int main_parse_export(char *arg, struct daxmr_export_cfg *cfg, char *why, size_t size)
{
	char *eq = strchr(arg, '='), *opt, *next;
	struct daxmr_cidr *allow;
	size_t commas = 0;

	if (!eq || eq == arg || eq[1] == '\0' || eq[1] == ',') {
		snprintf(why, size, "expected NAME=PATH[,ro][,allow=NET]...");
		return -EINVAL;
	}
	*eq = '\0';
	cfg->name = arg;
	cfg->path = eq + 1;
	cfg->ro = false;
	for (opt = eq + 1; *opt; opt++)
		commas += *opt == ',';
	allow = commas ? calloc(commas, sizeof(*allow)) : NULL;
	if (commas && !allow) {
		snprintf(why, size, "out of memory");
		return -ENOMEM;
	}
	cfg->allow = allow;
	cfg->nallow = 0;
	next = strchr(eq + 1, ',');
	while (next) {
		*next = '\0';
		opt = next + 1;
		next = strchr(opt, ',');
		if (next)
			*next = '\0';
		if (strcmp(opt, "ro") == 0) {
			cfg->ro = true;
		} else if (strcmp(opt, "rw") == 0) {
			cfg->ro = false;
		} else if (strncmp(opt, "allow=", 6) == 0) {
			char err[96];

			if (daxmr_cidr_parse(opt + 6, &allow[cfg->nallow], err, sizeof(err))) {
				snprintf(why, size, "allow=%s: %s", opt + 6, err);
				return -EINVAL;
			}
			cfg->nallow++;
		} else {
			snprintf(why, size, "unknown option '%s' (ro, rw, allow=NET)", opt);
			return -EINVAL;
		}
	}
	return 0;
}

/* Frees what main_parse_export allocated for n exports, and the array. */
static void main_free_exports(struct daxmr_export_cfg *exports, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((void *)exports[i].allow); /* allocated by main_parse_export */
	free(exports);
}

/* Loads --secret-file into key; 0, or -errno with the reason printed. */
static int main_load_secret(const char *path, struct daxmr_auth_key *key)
{
	char why[PATH_MAX + 128];
	int ret = daxmr_auth_key_load(path, key, why, sizeof(why));

	if (ret)
		fprintf(stderr, "daxmrd: --secret-file: %s\n", why);
	return ret;
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

/* Says which clients each export with an allowlist admits. */
static void main_log_allowlists(const struct daxmr_export_cfg *exports, size_t n)
{
	char list[512], net[64];
	size_t i, j, off;

	for (i = 0; i < n; i++) {
		if (exports[i].nallow == 0)
			continue;
		list[0] = '\0';
		for (j = 0, off = 0; j < exports[i].nallow && off < sizeof(list); j++) {
			daxmr_cidr_str(&exports[i].allow[j], net, sizeof(net));
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
						j ? ", " : "", net);
		}
		DAXMR_LOG_NTC("export %s: only clients from %s", exports[i].name, list);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "export", required_argument, NULL, 'e' },
		{ "allow-non-dax", no_argument, NULL, 'D' },
		{ "ack-budget-ms", required_argument, NULL, 'B' },
		{ "odp-check", required_argument, NULL, 'O' },
		{ "secret-file", required_argument, NULL, 'S' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daxmr_server_opts opts = DAXMR_SERVER_OPTS_DEFAULT;
	struct daxmr_export_cfg *exports;
	struct daxmr_server *srv = NULL;
	struct daxmr_auth_key key;
	const char *secret_file = NULL;
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
		case 'e': {
			char why[160], *copy = strdup(optarg);

			ret = main_parse_export(optarg, &exports[n], why, sizeof(why));
			n++; /* its allowlist is freed with the others */
			if (ret) {
				fprintf(stderr, "daxmrd: --export %s: %s\n", copy ? copy : optarg,
					why);
				free(copy);
				goto usage;
			}
			free(copy);
			break;
		}
		case 'S':
			secret_file = optarg;
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
			main_free_exports(exports, n);
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

	if (secret_file) {
		if (main_load_secret(secret_file, &key)) {
			main_free_exports(exports, n);
			return MAIN_EXIT_STARTUP;
		}
		opts.key = &key;
	}
	main_log_allowlists(exports, n);
	if (main_raise_nofile(n)) {
		rc = MAIN_EXIT_STARTUP;
		goto out;
	}
	ret = daxmr_server_new(&opts, &srv);
	if (ret) {
		DAXMR_LOG_ERR("startup failed: %s", daxmr_log_strerror(ret));
		rc = ret == -EINVAL ? MAIN_EXIT_USAGE : MAIN_EXIT_STARTUP;
		goto out;
	}
	if (daxmr_server_run(srv))
		rc = MAIN_EXIT_STARTUP;
	daxmr_server_delete(&srv);
out:
	if (opts.key)
		daxmr_auth_key_wipe(&key);
	main_free_exports(exports, n);
	return rc;

usage:
	fprintf(stderr, "Try 'daxmrd --help'.\n");
	main_free_exports(exports, n);
	return MAIN_EXIT_USAGE;
}
