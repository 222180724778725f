/* SPDX-License-Identifier: BSD-3-Clause */
/* datacheck.h -- trust, but verify: does a registration mode place one-sided RDMA data exactly? */
#ifndef DAXMR_DATACHECK_H
#define DAXMR_DATACHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "verbs.h"

#define DAXMR_DATACHECK_SYMPTOM_MAX 256

enum daxmr_datacheck_verdict {
	DAXMR_DATACHECK_PASS = 0,	 /* every byte where it belongs, neighbours untouched */
	DAXMR_DATACHECK_FAIL = 1,	 /* data misplaced or an operation failed: see symptom */
	DAXMR_DATACHECK_UNSUPPORTED = 2, /* the device cannot register memory in this mode */
};

struct daxmr_datacheck_result {
	enum daxmr_datacheck_verdict verdict;
	enum daxmr_verbs_mode mode;
	unsigned int path_mtu; /* bytes; 0 if the check did not get as far as connecting */
	size_t page;	       /* the page size the offsets were chosen against */
	/* the page-aligned, page-multiple WRITE and READ placed exactly (false if not run) */
	bool aligned_ok;
	char symptom[DAXMR_DATACHECK_SYMPTOM_MAX];	   /* why not PASS; "" on PASS */
	char aligned_symptom[DAXMR_DATACHECK_SYMPTOM_MAX]; /* the aligned ops' failure, or "" */
};

/* "PASS", "FAIL", "UNSUPPORTED". */
const char *daxmr_datacheck_verdict_str(enum daxmr_datacheck_verdict verdict);

/*
 * The data-path check of one registration mode (PINNED or ODP) on ctx's device: registers a
 * scratch buffer in that mode (PINNED: anonymous memory; ODP: a memfd mapping, never a user's
 * file) on pd, connects two RC QPs to each other (common/loopback) and lets QP A, standing in
 * for a client with ordinary pinned memory, RDMA WRITE into and READ from the scratch buffer:
 * first at unaligned offsets spanning several packets and pages, then one page-aligned,
 * page-multiple WRITE and READ (reported separately in aligned_ok: at path MTU 4096 these may
 * place right where unaligned ones do not). Every byte of both buffers is checked through the
 * CPU. Returns 0 with *res filled when a verdict was reached (UNSUPPORTED when the device lacks
 * RC READ/WRITE ODP caps for mode ODP), or -errno (logged) when the check could not run.
 */
int daxmr_datacheck_run(struct ibv_context *ctx, struct ibv_pd *pd, enum daxmr_verbs_mode mode,
			struct daxmr_datacheck_result *res);

/* What an RDMA operation should have left in the buffer it placed data into. */
enum daxmr_datacheck_op {
	DAXMR_DATACHECK_WRITE = 0, /* the checked buffer is the MR under test (the target) */
	DAXMR_DATACHECK_READ =
		1, /* the checked buffer is the reader's; the MR under test the source */
};

struct daxmr_datacheck_expect {
	enum daxmr_datacheck_op op;
	size_t off;	  /* where the data belongs in the checked buffer */
	size_t len;	  /* bytes in the message */
	uint32_t seed;	  /* the data is pattern stream seed ... */
	size_t first_pos; /* ... from this position; for READ also the source offset (the source
			   * buffer holds stream seed at its own offsets, from a page boundary) */
	uint32_t guard;	  /* the rest of the checked buffer holds stream guard at its offsets */
	unsigned int mtu; /* packet payload size */
	size_t page;	  /* page size of the MR under test */
};

/*
 * Checks buf (buf_len bytes, starting on a page boundary) after the operation exp describes:
 * 0 if every byte is right; -EILSEQ with a symptom (NUL-terminated, at most symptom_size bytes)
 * such as (rxe ODP on Linux 7.3, MTU 1024) "RDMA WRITE of 21714 bytes at offset 5096: 21639
 * bytes misplaced, 998 bytes outside it overwritten; each 1024-byte packet landed at the start of
 * its 4 KiB page (one piece per page it spans)" or "...; first bad
 * byte at offset N (0x.., expected 0x..)"; -ENOMEM. Pure: no I/O, no logging.
 */
int daxmr_datacheck_analyze(const struct daxmr_datacheck_expect *exp, const uint8_t *buf,
			    size_t buf_len, char *symptom, size_t symptom_size);

/*
 * The data-path gate of the exports on one device: each registration mode (PINNED, ODP) is
 * checked once, at the first export that needs it, and the verdict kept for the others.
 */
struct daxmr_datacheck_gate {
	struct ibv_context *ctx; /* borrowed: the device */
	struct ibv_pd *pd;	 /* borrowed: its protection domain */
	const char *devname;	 /* borrowed: the device's name, for logs and refusals */
	bool warn;		 /* --odp-check=warn: a failing mode is used anyway, loudly */
	/* the check: daxmr_datacheck_run (a unit test of the caller passes its fake) */
	int (*run)(struct ibv_context *ctx, struct ibv_pd *pd, enum daxmr_verbs_mode mode,
		   struct daxmr_datacheck_result *res);
	struct {
		bool known;
		struct daxmr_datacheck_result res;
	} mode[2]; /* by enum daxmr_verbs_mode: PINNED, ODP */
};

/* A gate with no verdict yet; run is daxmr_datacheck_run outside tests. */
void daxmr_datacheck_gate_init(struct daxmr_datacheck_gate *g, struct ibv_context *ctx,
			       struct ibv_pd *pd, const char *devname, bool warn,
			       int (*run)(struct ibv_context *ctx, struct ibv_pd *pd,
					  enum daxmr_verbs_mode mode,
					  struct daxmr_datacheck_result *res));

/*
 * The exports' gate (daxmr_export_gate_fn; arg: the struct daxmr_datacheck_gate): may mode be
 * used on the device? Runs the check of mode once (logged; a check that cannot run counts as
 * FAIL) and answers from its verdict: 0 (PASS, UNSUPPORTED, a mode without a check of its own,
 * or FAIL with warn, logged loudly), or -EIO with why (why_size bytes) saying which mode failed
 * and how, pointing to docs/rxe-fix.md and --odp-check=warn.
 */
int daxmr_datacheck_gate(void *arg, enum daxmr_verbs_mode mode, char *why, size_t why_size);

#endif /* DAXMR_DATACHECK_H */
