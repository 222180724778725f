/* SPDX-License-Identifier: BSD-3-Clause */
/* args.c -- daxmrd's command line: options and --export specs into struct daxmr_server_opts */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

/* --help: every option, the export rules, the exit codes. */
void daxmr_args_usage(FILE *f)
{
	fprintf(f,
		"Usage: daxmrd --listen ADDR[:PORT] --export NAME=PATH[,OPTION...] [--export ...]\n"
		"              [--secret-file FILE] [--allow-non-dax] [--ack-budget-ms N]\n"
		"              [--odp-check=enforce|warn] [--metrics ADDR:PORT] [--foreground]\n"
		"              [-v|-vv]\n"
		"       daxmrd --help | --version\n"
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
		"      --metrics ADDR:PORT   serve Prometheus metrics at http://ADDR:PORT/metrics\n"
		"                            (exports by state, clients, revocations and their\n"
		"                            latency, rejects, registration failures); off by\n"
		"                            default. No authentication: bind a loopback or\n"
		"                            management address\n"
		"  -f, --foreground          accepted for compatibility: daxmrd never forks; run it\n"
		"                            under a supervisor (systemd, runit) that keeps its stderr\n"
		"  -v, --verbose             more log: -v info, -vv debug\n"
		"  -h, --help                this text\n"
		"      --version             print daxmrd's version and exit\n"
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
		"  - registrable: pinned, or On-Demand Paging for fs-DAX (rxe on Linux >= 6.15, mlx5);\n"
		"    one larger than the device takes in one memory region (rxe: 1 GiB) is registered\n"
		"    in segments of a power-of-two size and exported whole (protocol version 3:\n"
		"    version-1 and -2 clients cannot open it)\n"
		"  - the registration mode passed the data-path check (see --odp-check)\n"
		"An export that fails stays unavailable and is retried (0.1 s doubling to 10 s), except\n"
		"when the device refused to register it: that is final until daxmrd restarts. A\n"
		"lease break (another process opens or truncates the file) revokes it from every\n"
		"client, releases it and re-establishes it as a new generation when it can.\n"
		"SIGTERM or SIGINT revokes every export (reason shutdown) and exits.\n"
		"\n"
		"Exit status: 0 clean shutdown, 1 a failure at startup, in the loop or at the teardown,\n"
		"2 usage error.\n",
		DAXMR_SERVER_PORT);
}

/*
 * Parses NAME=PATH[,ro|,rw][,allow=NET]... into cfg (pointing into arg, which it modifies; the
 * allowlist is allocated: free it with args_free_exports). 0, or -EINVAL with why filled in.
 */
static int args_parse_export(char *arg, struct daxmr_export_cfg *cfg, char *why, size_t size)
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

/* Frees what args_parse_export allocated for n exports, and the array. */
static void args_free_exports(struct daxmr_export_cfg *exports, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((void *)exports[i].allow); /* allocated by args_parse_export */
	free(exports);
}

/* Frees the exports and their allowlists. */
void daxmr_args_free(struct daxmr_args *a)
{
	args_free_exports(a->exports, a->opts.nexports);
	a->exports = NULL;
	a->opts.exports = NULL;
	a->opts.nexports = 0;
}

/* --export ARG: the next export (its allowlist is freed with the others even on error). */
static int args_export(struct daxmr_args *a, char *arg, FILE *err)
{
	char why[160], *copy = strdup(arg);
	int ret;

	ret = args_parse_export(arg, &a->exports[a->opts.nexports], why, sizeof(why));
	a->opts.nexports++;
	if (ret)
		fprintf(err, "daxmrd: --export %s: %s\n", copy ? copy : arg, why);
	free(copy);
	return ret;
}

/* --ack-budget-ms ARG: milliseconds, 0 to INT_MAX. */
static int args_ack_budget(struct daxmr_args *a, const char *arg, FILE *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno || v < 0 || v > INT_MAX) {
		fprintf(err, "daxmrd: --ack-budget-ms %s: expected milliseconds (0 or more)\n",
			arg);
		return -EINVAL;
	}
	a->opts.ack_budget_ms = (int)v;
	return 0;
}

/* --odp-check ARG: enforce or warn. */
static int args_odp_check(struct daxmr_args *a, const char *arg, FILE *err)
{
	if (strcmp(arg, "enforce") == 0) {
		a->opts.odp_check_warn = false;
	} else if (strcmp(arg, "warn") == 0) {
		a->opts.odp_check_warn = true;
	} else {
		fprintf(err, "daxmrd: --odp-check %s: expected enforce or warn\n", arg);
		return -EINVAL;
	}
	return 0;
}

/* What must be there once every option is read: no stray argument, --listen, an --export. */
static int args_require(const struct daxmr_args *a, int argc, char **argv, FILE *err)
{
	if (optind < argc) {
		fprintf(err, "daxmrd: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	if (!a->opts.listen) {
		fprintf(err, "daxmrd: --listen is required\n");
		return -EINVAL;
	}
	if (a->opts.nexports == 0) {
		fprintf(err, "daxmrd: at least one --export is required\n");
		return -EINVAL;
	}
	return 0;
}

/* Parses the command line. */
int daxmr_args_parse(int argc, char **argv, FILE *err, struct daxmr_args *a)
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
		{ "metrics", required_argument, NULL, 'M' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daxmr_server_opts defaults = DAXMR_SERVER_OPTS_DEFAULT;
	bool allow_non_dax = false;
	int c, ret = 0;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->opts = defaults;
	a->exports = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*a->exports));
	if (!a->exports) {
		fprintf(err, "daxmrd: out of memory\n");
		return -ENOMEM;
	}
	optind = 0; /* glibc: start over (and rescan the environment), for each call */
	while (ret == 0 && (c = getopt_long(argc, argv, "l:e:fvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			a->opts.listen = optarg;
			break;
		case 'e':
			ret = args_export(a, optarg, err);
			break;
		case 'S':
			a->secret_file = optarg;
			break;
		case 'D':
			allow_non_dax = true;
			break;
		case 'B':
			ret = args_ack_budget(a, optarg, err);
			break;
		case 'O':
			ret = args_odp_check(a, optarg, err);
			break;
		case 'f':
			break; /* daxmrd never forks */
		case 'v':
			a->verbose++;
			break;
		case 'M':
			a->opts.metrics = optarg;
			break;
		case 'V':
			a->version = true;
			a->opts.exports = a->exports;
			return 0;
		case 'h':
			a->help = true;
			a->opts.exports = a->exports;
			return 0;
		default:
			ret = -EINVAL; /* getopt_long said what */
			break;
		}
	}
	if (ret == 0)
		ret = args_require(a, argc, argv, err);
	if (ret) {
		if (ret == -EINVAL)
			fprintf(err, "Try 'daxmrd --help'.\n");
		daxmr_args_free(a);
		return ret;
	}
	for (i = 0; i < a->opts.nexports; i++)
		a->exports[i].allow_non_dax = allow_non_dax;
	a->opts.exports = a->exports;
	return 0;
}
