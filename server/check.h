/* SPDX-License-Identifier: BSD-3-Clause */
/* check.h -- daxmrd --check: every export's file against the export rules, without RDMA */
#ifndef DAXMR_CHECK_H
#define DAXMR_CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "export.h"

/* The rule an export failed, in the order they are checked. */
enum daxmr_check_rule {
	DAXMR_CHECK_OK = 0,
	DAXMR_CHECK_OPEN,    /* the file cannot be opened (as ro/rw asks) */
	DAXMR_CHECK_TYPE,    /* neither a regular file nor a device-DAX character device */
	DAXMR_CHECK_OWNER,   /* not owned by our fsuid, and no CAP_LEASE */
	DAXMR_CHECK_LEASE,   /* the lease cannot be taken (another process has it open) */
	DAXMR_CHECK_SIZE,    /* empty: nothing to map */
	DAXMR_CHECK_DAX,     /* not DAX, and allow-non-dax not given */
	DAXMR_CHECK_EXTENTS, /* FIEMAP: a hole, shared, unwritten, delayed ... extent */
	DAXMR_CHECK_SYSCALL, /* a system call failed: the rules could not be checked */
};

/* "ok", "open", "type", "owner", "lease", "size", "dax", "extents", "syscall". */
const char *daxmr_check_rule_str(enum daxmr_check_rule rule);

/*
 * Checks one export's file the way establishing it would, up to (not including) the RDMA
 * registration: open once (O_RDONLY for ro, else O_RDWR; O_NONBLOCK), type, owner, a trial
 * lease taken and dropped at once, then daxmr_seal_check (size, DAX, extents). Returns the
 * first rule that fails (DAXMR_CHECK_OK if none) with why (the cause, with the offset for an
 * extent) and, when ok, a summary ("fs-dax, 8388608 bytes, 1 extent") in why.
 */
enum daxmr_check_rule daxmr_check_export(const struct daxmr_export_cfg *cfg, char *why,
					 size_t why_size);

/*
 * Checks n exports, writing one line for each to out: "NAME PATH: ok: SUMMARY" or
 * "NAME PATH: FAIL RULE: CAUSE". Returns how many failed.
 */
size_t daxmr_check_exports(const struct daxmr_export_cfg *exports, size_t n, FILE *out);

#endif /* DAXMR_CHECK_H */
