/* SPDX-License-Identifier: BSD-3-Clause */
/* args.h -- daxmrd's command line: options and --export specs into struct daxmr_server_opts */
#ifndef DAXMR_ARGS_H
#define DAXMR_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include "export.h"
#include "server.h"

/* What the command line asked for. */
struct daxmr_args {
	struct daxmr_server_opts opts;	  /* listen, exports, ack budget, --odp-check (no key) */
	struct daxmr_export_cfg *exports; /* owned: opts.nexports of them, their allowlists too */
	const char *secret_file;	  /* borrowed: from argv; NULL without --secret-file */
	int verbose;			  /* -v given this many times */
	bool help;			  /* -h/--help: print daxmr_args_usage and exit 0 */
	bool version;			  /* --version: print the version and exit 0 */
};

/* --help: every option, the export rules, the exit codes. */
void daxmr_args_usage(FILE *f);

/*
 * Parses daxmrd's argv (the --export arguments are split in place: *a points into argv).
 * -h stops parsing with a->help set. Returns 0 with *a filled (daxmr_args_free it), or
 * -EINVAL (a usage error: what is wrong, then "Try 'daxmrd --help'.", written to err) or
 * -ENOMEM ("out of memory" written to err); on failure *a holds nothing to free.
 */
int daxmr_args_parse(int argc, char **argv, FILE *err, struct daxmr_args *a);

/* Frees what daxmr_args_parse allocated; NULL-safe fields, idempotent. */
void daxmr_args_free(struct daxmr_args *a);

#endif /* DAXMR_ARGS_H */
