/* SPDX-License-Identifier: BSD-3-Clause */
/* args.c -- daxmrd's command line and exports file into struct daxmr_server_opts */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostport.h"

/* --help: every option, the exports file, the export rules, the exit codes. */
void daxmr_args_usage(FILE *f)
{
	fprintf(f,
		"Usage: daxmrd [--config FILE] [--listen ADDR[:PORT]] [--export NAME=PATH[,OPTION...]]...\n"
		"              [--secret-file FILE] [--keys-dir DIR] [--max-conns-per-addr N]\n"
		"              [--max-handshakes-per-addr N] [--allow-non-dax] [--ack-budget-ms N]\n"
		"              [--odp-check=enforce|warn] [--metrics ADDR:PORT] [--ctl-socket PATH]\n"
		"              [--ctl-group GROUP] [--no-ctl] [--foreground] [-v|-vv]\n"
		"       daxmrd --check [--config FILE] [--export ...]...\n"
		"       daxmrd --help | --version\n"
		"\n"
		"Serves files on persistent memory for one-sided RDMA READ/WRITE by remote clients,\n"
		"and revokes the clients' access before anyone else may change the files' blocks.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE         the exports file (daxmr.exports(5)): one export a line,\n"
		"                            NAME PATH [OPTIONS], and 'set KEY VALUE' daemon settings;\n"
		"                            FILE.d/*.exports are read after it, in name order.\n"
		"                            Default: %s when no --export is given.\n"
		"                            Command-line options win over the file's settings.\n"
		"  -l, --listen ADDR[:PORT]  address to listen on (rdma_cm, TCP port space), port %d\n"
		"                            by default; IPv6 as [ADDR]:PORT. The RDMA device behind\n"
		"                            ADDR is the one served; a wildcard address (0.0.0.0, ::)\n"
		"                            serves the first RDMA device. Required (here or in the\n"
		"                            file: set listen ADDR[:PORT]), except with --check.\n"
		"  -e, --export NAME=PATH[,OPTION...]\n"
		"                            export PATH as NAME (1-255 printable ASCII characters, no\n"
		"                            space). Repeatable; adds to the file's exports (a name\n"
		"                            defined twice is an error). Absolute paths without commas.\n"
		"                            Options (the same as in the file):\n"
		"                              ro         read-only (no remote write); rw: the default\n"
		"                              allow=NET  only clients whose address is in NET (an\n"
		"                                         address or ADDR/PREFIX, IPv4 or IPv6) see\n"
		"                                         and open the export; repeatable. Without\n"
		"                                         allow=, every client may. A client that no\n"
		"                                         export admits is rejected at connect.\n"
		"                              identity=NAME[+NAME...]  only clients that\n"
		"                                         authenticated as one of these identities\n"
		"                                         (--keys-dir) see and open the export\n"
		"                              ack-budget-ms=N  this export's ack budget\n"
		"                              allow-non-dax    this export may be a page-cache file\n"
		"      --check               validate the configuration and every export's file\n"
		"                            against the export rules below (not the registration:\n"
		"                            no RDMA device is needed), one line per export, then\n"
		"                            exit 0 (all ok) or 1. It opens each file: a running\n"
		"                            daxmrd serving it sees a lease break and re-exports it.\n"
		"      --secret-file FILE    clients must prove they know this pre-shared secret\n"
		"                            (challenge-response at connect; the secret never crosses\n"
		"                            the wire, and daxmrd proves it back). FILE: 16-4096 bytes,\n"
		"                            mode 0600 or stricter, e.g.\n"
		"                            (umask 077; head -c 32 /dev/urandom > FILE)\n"
		"                            With --keys-dir it is the anonymous identity's secret.\n"
		"      --keys-dir DIR        one secret per identity: each file DIR/NAME (NAME: 1-64 of\n"
		"                            A-Z a-z 0-9 . _ @ -) is identity NAME's secret, with the\n"
		"                            rules of --secret-file; DIR not writable by others.\n"
		"                            Clients name their identity and prove its key (protocol\n"
		"                            version 4; older clients are refused). A reload re-reads\n"
		"                            DIR: a removed or changed key's connections are cut at\n"
		"                            once, the others are not touched\n"
		"      --max-conns-per-addr N       connections one client address may hold (0, the\n"
		"                            default: no limit); the next is rejected BUSY, with why\n"
		"      --max-handshakes-per-addr N  connections of one address still short of HELLO\n"
		"                            and AUTH (0, the default: no limit)\n"
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
		"      --ctl-socket PATH     daxmrctl's unix socket (default %s), mode 0660\n"
		"      --ctl-group GROUP     the socket's group: its members may use daxmrctl (default:\n"
		"                            daxmrd's own group; only root and that group may)\n"
		"      --no-ctl              no control socket (and no daxmrctl)\n"
		"  -f, --foreground          accepted for compatibility: daxmrd never forks; run it\n"
		"                            under a supervisor (systemd, runit) that keeps its stderr\n"
		"  -v, --verbose             more log: -v info, -vv debug\n"
		"  -h, --help                this text\n"
		"      --version             print daxmrd's version and exit\n"
		"\n"
		"Export rules, checked in this order after the file is opened once and leased\n"
		"(F_WRLCK for rw, F_RDLCK for ro); --check names the rule that fails:\n"
		"  - type: a regular file, or a device-DAX character device (/dev/daxX.Y; such\n"
		"    devices have no file lease: only shutdown revokes them)\n"
		"  - owner: owned by daxmrd's fsuid, unless daxmrd has CAP_LEASE\n"
		"  - dax: statx reports STATX_ATTR_DAX and MAP_SHARED_VALIDATE|MAP_SYNC maps it\n"
		"    (allow-non-dax lifts this one)\n"
		"  - extents: FIEMAP: no reflinked (shared) extents, no holes, no unwritten or\n"
		"    delayed extents (preallocate and write the file first, e.g.\n"
		"    xfs_io -c 'pwrite 0 SIZE')\n"
		"  - registrable: pinned, or On-Demand Paging for fs-DAX (rxe on Linux >= 6.15, mlx5);\n"
		"    one larger than the device takes in one memory region (rxe: 1 GiB) is registered\n"
		"    in segments of a power-of-two size and exported whole (protocol version 3:\n"
		"    version-1 and -2 clients cannot open it)\n"
		"  - the registration mode passed the data-path check (see --odp-check)\n"
		"An export that fails stays unavailable and is retried (0.1 s doubling to 10 s), except\n"
		"when the device refused to register it: that is final until daxmrd restarts. A\n"
		"lease break (another process opens or truncates the file) revokes it from every\n"
		"client, releases it and re-establishes it as a new generation when it can.\n"
		"SIGHUP (or daxmrctl reload) re-reads the exports file: added exports appear, removed\n"
		"ones are revoked (reason admin), changed ones are revoked and exported again, and\n"
		"unchanged ones are not touched; a file with an error changes nothing.\n"
		"SIGTERM or SIGINT revokes every export (reason shutdown) and exits.\n"
		"\n"
		"Exit status: 0 clean shutdown (--check: every export ok), 1 a failure at startup,\n"
		"in the loop or at the teardown (--check: an export fails a rule), 2 a usage or\n"
		"configuration error: a bad option, exports file line, duplicate name, relative path,\n"
		"listen address or secret file; daxmrd says which, before it touches any device.\n",
		DAXMR_CONFIG_DEFAULT_FILE, DAXMR_SERVER_PORT, DAXMR_CTL_SOCKET_DEFAULT);
}

/* Frees everything parse allocated. */
void daxmr_args_free(struct daxmr_args *a)
{
	free(a->exports);
	a->exports = NULL;
	free(a->export_args);
	a->export_args = NULL;
	a->nexport_args = 0;
	daxmr_config_free(&a->cfg);
	a->opts.exports = NULL;
	a->opts.nexports = 0;
}

/* A milliseconds or count option: 0 to INT_MAX. */
static int args_num(const char *opt, const char *arg, const char *unit, int *out, FILE *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end != '\0' || errno || v > INT_MAX) {
		fprintf(err, "daxmrd: %s %s: expected %s (0 or more)\n", opt, arg, unit);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* --odp-check ARG: enforce or warn. */
static int args_odp_check(struct daxmr_args *a, const char *arg, FILE *err)
{
	if (strcmp(arg, "enforce") == 0) {
		a->cli_odp_check_warn = 0;
	} else if (strcmp(arg, "warn") == 0) {
		a->cli_odp_check_warn = 1;
	} else {
		fprintf(err, "daxmrd: --odp-check %s: expected enforce or warn\n", arg);
		return -EINVAL;
	}
	return 0;
}

/*
 * Whether s is an address daxmrd can listen on, as far as can be told without resolving it:
 * 0, or -EINVAL with the cause in why.
 */
static int args_listen_check(const char *s, char *why, size_t why_size)
{
	const char *colon = strrchr(s, ':'), *bracket = strchr(s, ']');
	char host[80];
	unsigned int port;

	if (daxmr_hostport_parse(s, DAXMR_SERVER_PORT, host, sizeof(host), &port) == 0)
		return 0;
	if (s[0] == '\0' || s[0] == ':')
		snprintf(why, why_size, "the address is empty");
	else if (s[0] == '[' && !bracket)
		snprintf(why, why_size, "'[' without ']'");
	else if (colon && (!bracket || colon > bracket) && (s[0] == '[' || strchr(s, ':') == colon))
		snprintf(why, why_size, "port '%s': expected a number from 1 to 65535", colon + 1);
	else if (bracket && bracket[1] != '\0')
		snprintf(why, why_size, "'%s' after ']': expected :PORT", bracket + 1);
	else
		snprintf(why, why_size, "the address is longer than %zu characters",
			 sizeof(host) - 1);
	return -EINVAL;
}

/* The file's settings where the command line gave none; checks listen. */
static int args_settings(struct daxmr_args *a, FILE *err)
{
	const struct daxmr_config_daemon *d = &a->cfg.daemon;
	char why[160];

	a->opts.listen = a->cli_listen ? a->cli_listen : d->listen;
	a->secret_file = a->cli_secret_file ? a->cli_secret_file : d->secret_file;
	a->keys_dir = a->cli_keys_dir ? a->cli_keys_dir : d->keys_dir;
	a->opts.max_conns_per_addr = a->cli_max_conns_per_addr >= 0 ? a->cli_max_conns_per_addr :
				     d->max_conns_per_addr >= 0	    ? d->max_conns_per_addr :
								      0;
	a->opts.max_handshakes_per_addr =
		a->cli_max_handshakes_per_addr >= 0 ? a->cli_max_handshakes_per_addr :
		d->max_handshakes_per_addr >= 0	    ? d->max_handshakes_per_addr :
						      0;
	a->ctl_socket = a->cli_ctl_socket ? a->cli_ctl_socket :
			d->ctl_socket	  ? d->ctl_socket :
					    DAXMR_CTL_SOCKET_DEFAULT;
	a->ctl_group = a->cli_ctl_group ? a->cli_ctl_group : d->ctl_group;
	a->opts.metrics = a->cli_metrics ? a->cli_metrics : d->metrics;
	a->cfg_ctl_socket = d->ctl_socket != NULL;
	a->opts.ack_budget_ms = a->cli_ack_budget_ms >= 0 ? a->cli_ack_budget_ms : d->ack_budget_ms;
	a->opts.odp_check_warn =
		a->cli_odp_check_warn >= 0 ? a->cli_odp_check_warn == 1 : d->odp_check_warn == 1;
	if (!a->opts.listen && !a->check) {
		fprintf(err, "daxmrd: --listen is required (or 'set listen ADDR[:PORT]' in the "
			     "exports file)\n");
		return -EINVAL;
	}
	if (a->opts.listen && args_listen_check(a->opts.listen, why, sizeof(why))) {
		fprintf(err, "daxmrd: %s %s: %s\n", a->cli_listen ? "--listen" : "set listen",
			a->opts.listen, why);
		return -EINVAL;
	}
	return 0;
}

/* The exports file (if any) and then each --export, into a fresh cfg. */
static int args_build(const struct daxmr_args *a, struct daxmr_config *cfg, char *why,
		      size_t why_size)
{
	size_t i;
	int ret = 0;

	daxmr_config_init(cfg);
	if (a->config_file)
		ret = daxmr_config_load(cfg, a->config_file, why, why_size);
	for (i = 0; ret == 0 && i < a->nexport_args; i++)
		ret = daxmr_config_parse_export_arg(cfg, a->export_args[i], why, why_size);
	if (ret == 0 && a->cli_allow_non_dax)
		cfg->daemon.allow_non_dax = true;
	if (ret == 0 && cfg->nexports == 0) {
		snprintf(why, why_size,
			 "no exports: give --export NAME=PATH or an exports file (--config FILE, "
			 "default %s)",
			 DAXMR_CONFIG_DEFAULT_FILE);
		ret = -EINVAL;
	}
	if (ret)
		daxmr_config_free(cfg);
	return ret;
}

/* A reload's configuration, built as at startup. */
int daxmr_args_reload(const struct daxmr_args *a, struct daxmr_config *cfg, char *why,
		      size_t why_size)
{
	return args_build(a, cfg, why, why_size);
}

/* What must be there once every option is read: no stray argument, a config, the settings. */
static int args_finish(struct daxmr_args *a, int argc, char **argv, FILE *err)
{
	char why[DAXMR_CONFIG_WHY_MAX];
	int ret;

	if (optind < argc) {
		fprintf(err, "daxmrd: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	if (!a->config_file && a->nexport_args == 0 && access(DAXMR_CONFIG_DEFAULT_FILE, F_OK) == 0)
		a->config_file = DAXMR_CONFIG_DEFAULT_FILE;
	ret = args_build(a, &a->cfg, why, sizeof(why));
	if (ret) {
		fprintf(err, "daxmrd: %s\n", why);
		/* a file that cannot be read is a configuration error too, unless memory ran out */
		return ret == -ENOMEM ? ret : -EINVAL;
	}
	ret = args_settings(a, err);
	if (ret)
		return ret;
	ret = daxmr_config_export_cfgs(&a->cfg, &a->exports);
	if (ret) {
		fprintf(err, "daxmrd: out of memory\n");
		return ret;
	}
	a->opts.exports = a->exports;
	a->opts.nexports = a->cfg.nexports;
	return 0;
}

/* What getopt_long found wrong (c is '?' or ':'), said as "daxmrd: ...". -EINVAL. */
static int args_getopt_error(int c, char **argv, FILE *err)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		fprintf(err, "daxmrd: option %s needs a value\n", arg);
	else if (optopt && strncmp(arg, "--", 2) != 0)
		fprintf(err, "daxmrd: unknown option -%c\n", optopt);
	else
		fprintf(err, "daxmrd: unknown option %s (or a value it does not take)\n", arg);
	return -EINVAL;
}

/* Parses the command line. */
int daxmr_args_parse(int argc, char **argv, FILE *err, struct daxmr_args *a)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "export", required_argument, NULL, 'e' },
		{ "check", no_argument, NULL, 'C' },
		{ "allow-non-dax", no_argument, NULL, 'D' },
		{ "ack-budget-ms", required_argument, NULL, 'B' },
		{ "odp-check", required_argument, NULL, 'O' },
		{ "secret-file", required_argument, NULL, 'S' },
		{ "keys-dir", required_argument, NULL, 'K' },
		{ "max-conns-per-addr", required_argument, NULL, 'P' },
		{ "max-handshakes-per-addr", required_argument, NULL, 'H' },
		{ "ctl-socket", required_argument, NULL, 's' },
		{ "ctl-group", required_argument, NULL, 'g' },
		{ "no-ctl", no_argument, NULL, 'N' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daxmr_server_opts defaults = DAXMR_SERVER_OPTS_DEFAULT;
	int c, ret = 0;

	memset(a, 0, sizeof(*a));
	a->opts = defaults;
	daxmr_config_init(&a->cfg);
	a->cli_ack_budget_ms = -1;
	a->cli_odp_check_warn = -1;
	a->cli_max_conns_per_addr = -1;
	a->cli_max_handshakes_per_addr = -1;
	a->export_args = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*a->export_args));
	if (!a->export_args) {
		fprintf(err, "daxmrd: out of memory\n");
		return -ENOMEM;
	}
	optind = 0; /* glibc: start over (and rescan the environment), for each call */
	opterr = 0; /* getopt would name argv[0], the full path: args_getopt_error says it */
	while (ret == 0 && (c = getopt_long(argc, argv, ":c:l:e:fvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config_file = optarg;
			break;
		case 'l':
			a->cli_listen = optarg;
			break;
		case 'e':
			a->export_args[a->nexport_args++] = optarg;
			break;
		case 'C':
			a->check = true;
			break;
		case 'S':
			a->cli_secret_file = optarg;
			break;
		case 'K':
			a->cli_keys_dir = optarg;
			break;
		case 'P':
			ret = args_num("--max-conns-per-addr", optarg, "a count",
				       &a->cli_max_conns_per_addr, err);
			break;
		case 'H':
			ret = args_num("--max-handshakes-per-addr", optarg, "a count",
				       &a->cli_max_handshakes_per_addr, err);
			break;
		case 's':
			a->cli_ctl_socket = optarg;
			break;
		case 'g':
			a->cli_ctl_group = optarg;
			break;
		case 'N':
			a->no_ctl = true;
			break;
		case 'D':
			a->cli_allow_non_dax = true;
			break;
		case 'B':
			ret = args_num("--ack-budget-ms", optarg, "milliseconds",
				       &a->cli_ack_budget_ms, err);
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
			a->cli_metrics = optarg;
			break;
		case 'V':
			a->version = true;
			return 0;
		case 'h':
			a->help = true;
			return 0;
		default:
			ret = args_getopt_error(c, argv, err);
			break;
		}
	}
	if (ret == 0)
		ret = args_finish(a, argc, argv, err);
	if (ret) {
		if (ret == -EINVAL)
			fprintf(err, "Try 'daxmrd --help'.\n");
		daxmr_args_free(a);
		return ret;
	}
	return 0;
}
