/* SPDX-License-Identifier: BSD-3-Clause */
/* export.h -- one exported file: open once, lease, seal checks, map, register; generations */
#ifndef DAXMR_EXPORT_H
#define DAXMR_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>
#include <sys/socket.h>

#include "cidr.h"
#include "proto.h"
#include "verbs.h"

struct daxmr_export;

/* The export state machine; the diagram is at the top of export.c. */
enum daxmr_export_state {
	DAXMR_EXPORT_CONFIGURED = 0, /* never established yet */
	DAXMR_EXPORT_AVAILABLE,	     /* leased, sealed, mapped, registered: OPEN hands out keys */
	DAXMR_EXPORT_REVOKING,	     /* holders are being told; resources still held */
	DAXMR_EXPORT_RELEASED,	     /* resources gone; waits to be re-established */
	DAXMR_EXPORT_UNAVAILABLE,    /* the last attempt failed; retried after the backoff */
};

/*
 * The data-path gate: may registration mode be used on the server's device? 0 (use it), or a
 * negative errno to refuse, with why (NUL-terminated) naming device, mode and symptom.
 */
typedef int (*daxmr_export_gate_fn)(void *arg, enum daxmr_verbs_mode mode, char *why,
				    size_t why_size);

/* What every export needs from the server; all borrowed and outliving the export. */
struct daxmr_export_env {
	struct ibv_pd *pd;	    /* borrowed: the server's one protection domain */
	int lease_sig;		    /* the lease-break signal (daxmr_lease_signal_block) */
	daxmr_export_gate_fn gate;  /* NULL: every mode may be used */
	void *gate_arg;		    /* borrowed: passed to gate */
	bool mw;		    /* the device binds type-2 memory windows: MRs get MW_BIND */
	bool atomic;		    /* the device does RC atomics: rw MRs get REMOTE_ATOMIC */
	uint64_t max_mr_size;	    /* the device's ibv_device_attr max_mr_size; 0: unknown */
	unsigned int seg_shift_cap; /* 0, or the largest segment (2^cap) known to register */
	const char *devname;	    /* borrowed: the device's name, for the fallback's log line */
};

#define DAXMR_EXPORT_NSEG_MAX 65536u /* segments of one export (64 TiB in 1 GiB segments) */
/* an export of more segments gets MR keys: a window per segment per client would not fit */
#define DAXMR_EXPORT_MW_SEGS_MAX 4
#define DAXMR_EXPORT_MW_SEGS_MAX_STR "4"
/*
 * The largest MR rxe registers is 1 GiB pinned and 2 GiB - 4 KiB with ODP (measured on Linux
 * 7.3.4, docs/reliability.md): 2^30 is the largest power of two both take.
 */
#define DAXMR_EXPORT_RXE_SEG_SHIFT 30
#define DAXMR_EXPORT_RXE_VENDOR_ID 0xffffffu /* rxe's ibv_device_attr vendor_id */

/* One --export NAME=PATH[,ro|,rw][,allow=NET]... (args.c parses it). */
struct daxmr_export_cfg {
	const char *name;   /* borrowed: copied by daxmr_export_new; a valid protocol name */
	const char *path;   /* borrowed: copied */
	bool ro;	    /* export read-only (O_RDONLY, F_RDLCK, no remote write) */
	bool allow_non_dax; /* accept page-cache files */
	const struct daxmr_cidr *allow; /* borrowed: copied; nallow client networks, none: all */
	size_t nallow;
	/* borrowed: copied; "A+B": only these identities see and open it; NULL: every client */
	const char *identities;
	bool has_ack_budget; /* ack_budget_ms is this export's (else the server's) */
	int ack_budget_ms;   /* the export's revocation ack budget (server.c reads it) */
};

#define DAXMR_EXPORT_BACKOFF_MIN_MS 100u
#define DAXMR_EXPORT_BACKOFF_MAX_MS 10000u

/* "configured", "available", "revoking", "released", "unavailable". */
const char *daxmr_export_state_str(enum daxmr_export_state state);

/* Makes an export in state CONFIGURED (nothing opened). 0, -EINVAL (bad name/path), -ENOMEM. */
int daxmr_export_new(const struct daxmr_export_cfg *cfg, uint32_t id,
		     const struct daxmr_export_env *env, struct daxmr_export **exp_ptr);

/* Whether a client at sa may see and open the export: its allowlist is empty or holds sa. */
bool daxmr_export_admits(const struct daxmr_export *exp, const struct sockaddr *sa);

/*
 * Whether a client authenticated as identity ("" anonymous, or none) may see and open the
 * export: it has no identity list, or the list names identity.
 */
bool daxmr_export_admits_identity(const struct daxmr_export *exp, const char *identity);

/* Releases whatever the export holds (no clients are told: revoke first), frees it. */
int daxmr_export_delete(struct daxmr_export **exp_ptr);

/*
 * CONFIGURED/RELEASED/UNAVAILABLE -> AVAILABLE: opens the file once (O_NONBLOCK, so that another
 * lease holder gives -EWOULDBLOCK instead of blocking), takes the lease, runs the seal checks,
 * maps it with libpmem2, registers it and passes the data-path gate; the generation goes up by
 * one and the backoff resets. On failure everything taken is undone, the state is UNAVAILABLE,
 * the backoff doubles (100 ms .. 10 s), the reason is kept (daxmr_export_reason) and logged.
 * Returns 0 or the failing step's -errno; -EBUSY in any other state.
 */
int daxmr_export_establish(struct daxmr_export *exp);

/* AVAILABLE -> REVOKING. 0, or -EBUSY in any other state. */
int daxmr_export_revoke_begin(struct daxmr_export *exp);

/*
 * REVOKING -> RELEASED: deregisters (remote keys dead from here), unmaps, unlocks the lease and
 * closes the file, in that order, always completing every step. Returns the first error (logged),
 * -EBUSY when not REVOKING.
 */
int daxmr_export_release(struct daxmr_export *exp);

/* How long the steps of the last release (daxmr_export_release) took, for the revocation's log. */
struct daxmr_export_times {
	uint64_t dereg_us;  /* every MR deregistered */
	uint64_t unmap_us;  /* munmap */
	uint64_t unlock_us; /* F_UNLCK and close */
};
const struct daxmr_export_times *daxmr_export_times(const struct daxmr_export *exp);

/* Milliseconds to wait before the next establish attempt (100 ms, doubling, capped at 10 s). */
unsigned int daxmr_export_backoff_ms(const struct daxmr_export *exp);

/*
 * Whether another establish attempt is worth making: false after the device refused the
 * registration (that does not change by retrying; restarting daxmrd tries again).
 */
bool daxmr_export_retries(const struct daxmr_export *exp);

/*
 * Whether the export is UNAVAILABLE for a reason waiting will not remove (its file fails the
 * export rules, it cannot be mapped or registered): OPEN answers UNAVAILABLE in version 3. False
 * for another lease holder (open or F_SETLEASE would block: that passes).
 */
bool daxmr_export_down(const struct daxmr_export *exp);

/*
 * The segment plan of an export of length bytes: the exponent of the first segment size to try
 * (length rounded up to a power of two, cut to max_mr_size and shift_cap when not 0, at least
 * 2^DAXMR_PROTO_SEG_SHIFT_MIN) and the number of segments. 0, -EINVAL (length 0), -EFBIG (more
 * than DAXMR_EXPORT_NSEG_MAX segments).
 */
int daxmr_export_seg_plan(uint64_t length, uint64_t max_mr_size, unsigned int shift_cap,
			  unsigned int *shift_ptr, uint32_t *nseg_ptr);

/* The segments of the current (or last) registration; 0 when nothing is registered. */
uint32_t daxmr_export_nseg(const struct daxmr_export *exp);

enum daxmr_export_state daxmr_export_state(const struct daxmr_export *exp);
const char *daxmr_export_name(const struct daxmr_export *exp);
const char *daxmr_export_path(const struct daxmr_export *exp);
uint32_t daxmr_export_id(const struct daxmr_export *exp);
/* 0 before the first establishment; then the current (or last) registration's generation. */
uint64_t daxmr_export_generation(const struct daxmr_export *exp);
/* Whether the export is read-only (--export NAME=PATH,ro). */
bool daxmr_export_ro(const struct daxmr_export *exp);
/* The file descriptor the lease is on, -1 when not held. */
int daxmr_export_fd(const struct daxmr_export *exp);
/* Why the last establish attempt failed, "" if it did not. */
const char *daxmr_export_reason(const struct daxmr_export *exp);

/* What LIST says about an AVAILABLE or REVOKING export; -EAGAIN otherwise. */
int daxmr_export_entry(const struct daxmr_export *exp, struct daxmr_proto_export *entry);

/*
 * The descriptor for an OPEN with access, segment fields and the first keys included (version
 * 3; rkey is keys[0]): a ro OPEN of a rw export gets the keys of read-only MRs over the same
 * segments, registered on first use. 0, -EACCES (rw of a ro export), -EAGAIN (not AVAILABLE),
 * or -errno of the registration.
 */
int daxmr_export_desc(struct daxmr_export *exp, enum daxmr_proto_access access,
		      struct daxmr_proto_desc *desc);

/*
 * The MR keys of segments first .. (at most DAXMR_PROTO_KEYS_MAX) for access, into kr (first,
 * count, keys). 0, -EACCES, -EAGAIN (neither AVAILABLE nor REVOKING), -ERANGE (first >= nseg),
 * or -errno of the read-only registration.
 */
int daxmr_export_keys(struct daxmr_export *exp, enum daxmr_proto_access access, uint32_t first,
		      struct daxmr_proto_keys_reply *kr);

/*
 * Per-connection keys for an OPEN with access, one window per segment: the descriptor (key_kind
 * MW, rkey and keys 0: the windows' rkeys go there once bound) and what to bind segment seg's
 * type-2 window to, that segment's MR and range with access's remote rights. 0, -EOPNOTSUPP (no
 * windows on this device, or an export of more than DAXMR_EXPORT_MW_SEGS_MAX segments: use
 * daxmr_export_desc), -EACCES (rw of a ro export), -EAGAIN (not AVAILABLE), -ERANGE (seg >=
 * nseg).
 */
int daxmr_export_window(struct daxmr_export *exp, enum daxmr_proto_access access, uint32_t seg,
			struct daxmr_proto_desc *desc, struct ibv_mw_bind_info *bind);

/* Allocating or binding a window for exp failed (why): logs the MR-key fallback, once per export.
 */
void daxmr_export_window_failed(struct daxmr_export *exp, const char *why);

/*
 * Makes [off, off + len) persistent: libpmem2's persist function on DAX, msync on page cache.
 * 0, -ERANGE (outside the export), -EAGAIN (not mapped), or -errno of msync.
 */
int daxmr_export_flush(struct daxmr_export *exp, uint64_t off, uint64_t len);

#endif /* DAXMR_EXPORT_H */
