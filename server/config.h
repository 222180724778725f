/* SPDX-License-Identifier: BSD-3-Clause */
/* config.h -- daxmrd's exports file (daxmr.exports(5)): exports, daemon settings, where each is */
#ifndef DAXMR_CONFIG_H
#define DAXMR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "export.h"

#define DAXMR_CONFIG_DEFAULT_FILE "/etc/daxmr/exports"
#define DAXMR_CONFIG_WHY_MAX 512 /* room for "FILE:LINE:COL: cause" */

/* One export as configured, with the place that defined it. */
struct daxmr_config_export {
	char *name;		  /* owned */
	char *path;		  /* owned: absolute */
	bool ro;		  /* ro given (rw is the default) */
	bool allow_non_dax;	  /* allow-non-dax given */
	int ack_budget_ms;	  /* ack-budget-ms=N, -1 when not given */
	struct daxmr_cidr *allow; /* owned: nallow networks, none: every client */
	size_t nallow;
	char *identities; /* owned: identity=A+B..., "A+B" (each a valid identity); NULL: every one
			   */
	char *where;	  /* owned: "FILE:LINE" or "--export", for messages */
};

/* Daemon settings a file may hold ("set KEY VALUE" lines); NULL / -1 when not given. */
struct daxmr_config_daemon {
	char *listen;		     /* owned: set listen ADDR[:PORT] */
	char *secret_file;	     /* owned: set secret-file PATH */
	char *keys_dir;		     /* owned: set keys-dir PATH */
	int max_conns_per_addr;	     /* set max-conns-per-addr N (0: no limit) */
	int max_handshakes_per_addr; /* set max-handshakes-per-addr N (0: no limit) */
	char *ctl_socket;	     /* owned: set ctl-socket PATH */
	char *ctl_group;	     /* owned: set ctl-group GROUP */
	char *metrics;	    /* owned: set metrics ADDR:PORT (served by the metrics module) */
	int ack_budget_ms;  /* set ack-budget-ms N: the default of every export */
	int odp_check_warn; /* set odp-check enforce|warn: 0 or 1 */
	bool allow_non_dax; /* set allow-non-dax yes|no: the default of every export */
};

/* A whole configuration: every export in the order defined, the daemon settings. */
struct daxmr_config {
	struct daxmr_config_export *exports; /* owned: nexports */
	size_t nexports;
	size_t cap;
	struct daxmr_config_daemon daemon;
};

/* An empty configuration (nothing to free yet). */
void daxmr_config_init(struct daxmr_config *cfg);

/* Frees everything cfg holds and leaves it empty; idempotent. */
void daxmr_config_free(struct daxmr_config *cfg);

/*
 * Parses the text of one exports file (file names it in messages) into cfg, appending exports and
 * setting daemon keys. Stops at the first bad line: returns -EINVAL with why set to
 * "FILE:LINE:COL: cause", -ENOMEM; what came before the bad line stays in cfg (callers parse into
 * a scratch configuration and throw it away on error).
 */
int daxmr_config_parse_text(struct daxmr_config *cfg, const char *file, const char *text, char *why,
			    size_t why_size);

/*
 * Reads and parses FILE, then every FILE.d/NAME.exports in name order (a missing FILE.d is
 * fine; NAME starting with '.' is skipped). 0, -EINVAL (a bad line, a duplicate name, a file
 * that is not a regular file or too big), -errno of open/read/opendir (why names the file).
 */
int daxmr_config_load(struct daxmr_config *cfg, const char *file, char *why, size_t why_size);

/*
 * Parses one --export NAME=PATH[,OPTION...] (the same options as a file's line) into cfg.
 * 0, -EINVAL (why: the cause, prefixed "--export ARG: "), -ENOMEM.
 */
int daxmr_config_parse_export_arg(struct daxmr_config *cfg, const char *arg, char *why,
				  size_t why_size);

/*
 * Fills n export configurations for daxmr_server_opts from cfg (views into cfg: they live as
 * long as it), each allow-non-dax either its own or the daemon's default. *out_ptr is
 * malloc'd; free() it. 0 or -ENOMEM.
 */
int daxmr_config_export_cfgs(const struct daxmr_config *cfg, struct daxmr_export_cfg **out_ptr);

/* The export called name, or NULL. */
const struct daxmr_config_export *daxmr_config_find(const struct daxmr_config *cfg,
						    const char *name);

/* Whether a and b configure the same export the same way (name, path, options, allowlist). */
bool daxmr_config_export_equal(const struct daxmr_config_export *a,
			       const struct daxmr_config_export *b);

#endif /* DAXMR_CONFIG_H */
