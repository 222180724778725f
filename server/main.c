/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c -- daxmrd: wiring only (args, secret, limits, the server, exit status) */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <systemd/sd-daemon.h>

#include "args.h"
#include "auth.h"
#include "check.h"
#include "cidr.h"
#include "daxmr_version.h"
#include "ctl.h"
#include "log.h"
#include "server.h"

#define MAIN_EXIT_OK 0
#define MAIN_EXIT_STARTUP 1
#define MAIN_EXIT_USAGE 2 /* also a configuration error: exports file, listen, secret file */
/* fds besides the exports': the daemon's own (~14) and room for clients' and libraries' */
#define MAIN_FDS_SPARE 320

/* What a key loader said (ret, why): printed as "daxmrd: WHAT: WHY" on failure; ret. */
static int main_loaded(const char *what, int ret, const char *why)
{
	if (ret)
		fprintf(stderr, "daxmrd: %s: %s\n", what, why);
	return ret;
}

/* daxmrd --check: every export's file against the rules, no RDMA; the exit status. */
static int main_check(const struct daxmr_args *args)
{
	size_t failed = daxmr_check_exports(args->exports, args->opts.nexports, stdout);

	if (failed)
		fprintf(stderr, "daxmrd: --check: %zu of %zu exports fail\n", failed,
			args->opts.nexports);
	return failed ? MAIN_EXIT_STARTUP : MAIN_EXIT_OK;
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

/* SIGHUP: re-read the configuration (nothing changes if it has an error; logged either way). */
static void main_on_hup(void *arg)
{
	struct daxmr_reload **rl = arg;
	struct daxmr_reload_summary sum;
	char why[DAXMR_CONFIG_WHY_MAX];

	if (*rl)
		(void)daxmr_reload_run(*rl, &sum, why, sizeof(why));
}

/*
 * The reload state and the control socket, once the server runs. A socket that cannot be made
 * fails the startup when --ctl-socket or 'set ctl-socket' asked for it; the default one only
 * warns (daxmrd serves on without daxmrctl).
 */
static int main_ctl(struct daxmr_server *srv, struct daxmr_args *args, struct daxmr_reload **rl,
		    struct daxmr_ctl **ctl)
{
	struct daxmr_ctl_opts copts = { .path = args->ctl_socket, .group = args->ctl_group };
	int ret = daxmr_reload_new(srv, args, rl);

	if (ret || args->no_ctl)
		return ret;
	ret = daxmr_ctl_new(srv, *rl, &copts, ctl);
	if (ret && !args->cli_ctl_socket && !args->cfg_ctl_socket) {
		DAXMR_LOG_WRN("no control socket (%s): daxmrctl cannot reach this daxmrd",
			      daxmr_log_strerror(ret));
		return 0;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct daxmr_reload *rl = NULL;
	struct daxmr_ctl *ctl = NULL;
	struct daxmr_server *srv = NULL;
	struct daxmr_auth_keyring keys = { NULL, 0 };
	char why[PATH_MAX + 128];
	struct daxmr_auth_key key;
	struct daxmr_args args;
	int ret, rc = MAIN_EXIT_OK;

	daxmr_log_set_ident("daxmrd");
	ret = daxmr_args_parse(argc, argv, stderr, &args);
	if (ret)
		return ret == -EINVAL ? MAIN_EXIT_USAGE : MAIN_EXIT_STARTUP;
	if (args.help) {
		daxmr_args_usage(stdout);
		daxmr_args_free(&args);
		return MAIN_EXIT_OK;
	}
	if (args.version) {
		printf("daxmrd %s\n", DAXMR_PROJECT_VERSION);
		daxmr_args_free(&args);
		return MAIN_EXIT_OK;
	}
	daxmr_log_set_level(args.verbose >= 2 ? DAXMR_LOG_DEBUG :
			    args.verbose == 1 ? DAXMR_LOG_INFO :
						DAXMR_LOG_NOTICE);
	if (args.check) {
		rc = main_check(&args);
		daxmr_args_free(&args);
		return rc;
	}
	if (args.secret_file) {
		ret = main_loaded("secret file",
				  daxmr_auth_key_load(args.secret_file, &key, why, sizeof(why)),
				  why);
		if (ret) {
			daxmr_args_free(&args);
			return ret == -ENOMEM ? MAIN_EXIT_STARTUP : MAIN_EXIT_USAGE;
		}
		args.opts.key = &key;
	}
	if (args.keys_dir) {
		ret = main_loaded("keys directory",
				  daxmr_auth_keyring_load(args.keys_dir, &keys, why, sizeof(why)),
				  why);
		if (ret) {
			rc = ret == -ENOMEM ? MAIN_EXIT_STARTUP : MAIN_EXIT_USAGE;
			goto out;
		}
		args.opts.keys = &keys;
	}
	main_log_allowlists(args.exports, args.opts.nexports);
	if (main_raise_nofile(args.opts.nexports)) {
		rc = MAIN_EXIT_STARTUP;
		goto out;
	}
	args.opts.on_hup = main_on_hup;
	args.opts.hup_arg = &rl;
	ret = daxmr_server_new(&args.opts, &srv);
	if (ret) {
		DAXMR_LOG_ERR("startup failed: %s", daxmr_log_strerror(ret));
		rc = ret == -EINVAL ? MAIN_EXIT_USAGE : MAIN_EXIT_STARTUP;
		goto out;
	}
	/* the control socket first: systemd starts what depends on daxmrd at READY=1 */
	ret = main_ctl(srv, &args, &rl, &ctl);
	/* Type=notify: outside systemd this does nothing */
	if (ret == 0)
		(void)sd_notifyf(0, "READY=1\nSTATUS=listening on %s, %zu exports",
				 args.opts.listen, args.opts.nexports);
	if (ret || daxmr_server_run(srv))
		rc = MAIN_EXIT_STARTUP;
	daxmr_ctl_delete(&ctl);
	ret = daxmr_server_delete(&srv);
	if (ret) {
		DAXMR_LOG_ERR("teardown failed: %s (the first error; each is logged above)",
			      daxmr_log_strerror(ret));
		rc = MAIN_EXIT_STARTUP;
	}
out:
	daxmr_reload_delete(&rl);
	if (args.opts.key)
		daxmr_auth_key_wipe(&key);
	daxmr_auth_keyring_free(&keys);
	daxmr_args_free(&args);
	return rc;
}
