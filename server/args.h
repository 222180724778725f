/* SPDX-License-Identifier: BSD-3-Clause */
/* args.h -- daxmrd's command line and exports file into struct daxmr_server_opts */
#ifndef DAXMR_ARGS_H
#define DAXMR_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "export.h"
#include "server.h"

#define DAXMR_CTL_SOCKET_DEFAULT "/run/daxmr/daxmrd.sock"

/* What the command line (and the exports file it names) asked for. */
struct daxmr_args {
	struct daxmr_server_opts opts;	  /* listen, exports, ack budget, --odp-check (no key) */
	struct daxmr_export_cfg *exports; /* owned: opts.nexports of them, views into cfg */
	struct daxmr_config cfg;	  /* owned: the exports and settings, file and --export */
	const char *config_file;	  /* borrowed: --config, the default file, or NULL */
	char **export_args;		  /* owned array of borrowed argv strings: each --export */
	size_t nexport_args;
	const char *secret_file; /* borrowed: --secret-file or the file's; NULL: none */
	const char *keys_dir;	 /* borrowed: --keys-dir or the file's; NULL: no identities */
	const char *ctl_socket;	 /* borrowed: --ctl-socket, the file's or the default */
	const char *ctl_group;	 /* borrowed: --ctl-group or the file's; NULL: root only */
	int verbose;		 /* -v given this many times */
	bool help;		 /* -h/--help: print daxmr_args_usage and exit 0 */
	bool version;		 /* --version: print the version and exit 0 */
	bool check;		 /* --check: validate the exports without RDMA, then exit */
	bool no_ctl;		 /* --no-ctl: no control socket */
	/* command-line values that win over the file's (also at a reload) */
	const char *cli_listen, *cli_secret_file, *cli_ctl_socket, *cli_ctl_group, *cli_metrics;
	const char *cli_keys_dir;
	int cli_ack_budget_ms, cli_odp_check_warn;		 /* -1: not given */
	int cli_max_conns_per_addr, cli_max_handshakes_per_addr; /* -1: not given */
	bool cli_allow_non_dax;
	bool cfg_ctl_socket; /* the file named the control socket (set ctl-socket) */
};

/* --help: every option, the exports file, the export rules, the exit codes. */
void daxmr_args_usage(FILE *f);

/*
 * Parses daxmrd's argv, then reads the exports file (--config FILE, else /etc/daxmr/exports when
 * no --export is given and it exists) and FILE.d/\*.exports, and adds each --export: a name given
 * twice anywhere is an error. -h stops parsing with a->help set. Returns 0 with *a filled
 * (daxmr_args_free it), or -EINVAL (a usage or configuration error: what is wrong, naming
 * FILE:LINE:COL for a file, then "Try 'daxmrd --help'.", written to err) or -ENOMEM; on failure
 * *a holds nothing to free. The exports' files are not looked at (daxmrd --check does).
 */
int daxmr_args_parse(int argc, char **argv, FILE *err, struct daxmr_args *a);

/*
 * Builds the configuration afresh as daxmr_args_parse did (the file re-read, the same --export
 * arguments), for a reload: 0 with *cfg filled (daxmr_config_free it), or -errno with why (the
 * file, line, column and cause); *cfg is then empty.
 */
int daxmr_args_reload(const struct daxmr_args *a, struct daxmr_config *cfg, char *why,
		      size_t why_size);

/* Frees what daxmr_args_parse allocated; idempotent. */
void daxmr_args_free(struct daxmr_args *a);

#endif /* DAXMR_ARGS_H */
