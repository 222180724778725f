/* SPDX-License-Identifier: BSD-3-Clause */
/* reload.h -- apply a new configuration to a running server: added, removed, changed, kept */
#ifndef DAXMR_RELOAD_H
#define DAXMR_RELOAD_H

#include <stddef.h>

#include "args.h"
#include "config.h"
#include "server.h"

/* What a reload (or a run-time export) does to the server; the server's API in daxmrd. */
struct daxmr_reload_ops {
	int (*add)(void *arg, const struct daxmr_export_cfg *cfg);
	int (*remove)(void *arg, const char *name);
};

/* How a reload went. */
struct daxmr_reload_summary {
	size_t added, removed, changed, unchanged, failed;
};

/*
 * Applies the difference between old and new: each export only in old is removed, each only in
 * new added, each in both but configured otherwise (daxmr_config_export_equal) removed and added
 * again, the others left alone. Pure but for the ops; counts into *sum. Returns 0, or the first
 * error of an op (the others are still tried; each is logged).
 */
int daxmr_reload_apply(const struct daxmr_config *old, const struct daxmr_config *new_cfg,
		       const struct daxmr_reload_ops *ops, void *arg,
		       struct daxmr_reload_summary *sum);

struct daxmr_reload;

/*
 * The reload state of a running server: takes over args->cfg as the configuration in force
 * (args->exports must not be used afterwards). 0 or -ENOMEM.
 */
int daxmr_reload_new(struct daxmr_server *srv, struct daxmr_args *args,
		     struct daxmr_reload **rl_ptr);

void daxmr_reload_delete(struct daxmr_reload **rl_ptr);

/*
 * Re-reads the configuration (daxmr_args_reload) and applies it. A configuration with an error
 * changes nothing: -EINVAL (or the read's -errno) with why "FILE:LINE:COL: cause". An export the
 * file defines that daxmrctl exported at run time is such an error too. 0 with *sum filled.
 */
int daxmr_reload_run(struct daxmr_reload *rl, struct daxmr_reload_summary *sum, char *why,
		     size_t why_size);

/*
 * daxmrctl export NAME PATH [OPTIONS...]: the same syntax as an exports file's line (options
 * in one or more fields). 0, -EINVAL (why: the cause), -EEXIST (the name is exported), -errno.
 */
int daxmr_reload_export(struct daxmr_reload *rl, const char *const *fields, size_t n, char *why,
			size_t why_size);

/* daxmrctl unexport NAME (from the file too, until the next reload). 0, -ENOENT, -errno. */
int daxmr_reload_unexport(struct daxmr_reload *rl, const char *name, char *why, size_t why_size);

#endif /* DAXMR_RELOAD_H */
