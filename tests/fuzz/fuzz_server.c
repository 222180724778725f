/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_server.c -- libFuzzer targets fuzz_conn and fuzz_revoke: daxmrd's connections, revocation */

/*
 * The real conn, transport, window, hold, cmreq and revoke modules, driven through their headers
 * by a sequence of events (fuzz_events.h): what a client sends (valid messages built with the
 * proto encoders, mutated ones, raw bytes), what the device completes and with which status,
 * what rdma_cm reports, lease breaks, timers, re-establishment and SIGTERM, in any order. The
 * device is fake_rdma, time is fake_loop, the exports are fakes with a state and a generation;
 * the glue between connections and the revocation pipeline is server.c's, restated here.
 *
 * FUZZ_NCONN (1 for fuzz_conn, 4 for fuzz_revoke) is how many connections may be up at once.
 * After every event the invariants below are checked; a violation aborts.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "conn.h"
#include "export.h"
#include "fake_loop.h"
#include "fake_rdma.h"
#include "fuzz_check.h"
#include "fuzz_events.h"
#include "proto.h"
#include "revoke.h"
#include "window.h"

#ifndef FUZZ_NCONN
#define FUZZ_NCONN 1
#endif
#define FUZZ_NEXP 2
#define FUZZ_GEN_MAX 64 /* generations one export may reach in one input */
#define FUZZ_REQ_MAX 64 /* requests a connection may have unanswered (the harness's memory) */
#define FUZZ_ID_UNKNOWN (-2) /* an identity the harness cannot tell (pending_reused) */
#define FUZZ_CONNECTS_MAX (2 * FUZZ_NCONN + 1) /* CONNECT_REQUESTs one input may bring */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fake export: what conn and revoke see through the wrapped daxmr_export_* calls. */
struct fx {
	uint32_t id;
	char name[16];
	enum daxmr_export_state state;
	uint64_t gen;
	bool ro, walled;
	bool down;	 /* UNAVAILABLE for a reason waiting will not remove (daxmr_export_down) */
	char reason[32]; /* why the last establish attempt failed */
	uint64_t length;
	uint32_t nseg; /* segments of 2^seg_shift bytes (version 3; 1 otherwise) */
	uint8_t seg_shift;
	struct ibv_mr mr; /* the current registration: its rkey changes with the generation */
	int flush_err, desc_err, release_err; /* one-shot failures */
	struct daxmr_revoke *rv;
	uint64_t revoking_since_us;
	unsigned int sent[FUZZ_GEN_MAX];  /* REVOKEs counted by notify, per generation */
	unsigned int acked[FUZZ_GEN_MAX]; /* revoke_ack ops, per generation */
};

/* One connection slot: the server's entry and what the fake client knows. */
struct slot {
	struct daxmr_conn *conn;
	bool dead;
	uint16_t version;
	uint16_t vmin, vmax;
	enum daxmr_conn_state last_state;
	bool hello_ok, auth_ok;
	uint8_t challenge[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	uint64_t next_req;
	uint64_t pending[FUZZ_REQ_MAX];	    /* request ids sent, not answered */
	int pend_exp[FUZZ_REQ_MAX];	    /* ... the export an OPEN or KEYS names, -1 none */
	uint32_t pend_first[FUZZ_REQ_MAX];  /* ... a KEYS request's first segment */
	int pend_auth[FUZZ_REQ_MAX];	    /* ... an AUTH's identity (fuzz_ids index), -1: none */
	bool pend_auth_valid[FUZZ_REQ_MAX]; /* ... and whether its proof was right for it */
	int auth_next, auth_next_valid;	    /* what the AUTH being sent claims (client_send) */
	int identity;			    /* the identity AUTH established, -1: none */
	unsigned int npending;
	uint64_t handed[FUZZ_NEXP];	/* bit g: generation g of the export was handed out */
	uint64_t revoke_req[FUZZ_NEXP]; /* the last REVOKE's request id */
	uint64_t revoke_gen[FUZZ_NEXP];
	bool handed_mw[FUZZ_NEXP]; /* the last OPEN of the export answered with a window key */
};

static struct {
	const uint8_t *p, *end;
	struct fx exps[FUZZ_NEXP];
	struct slot slots[FUZZ_NCONN];
	bool mw, keyed, ids, shutting_down;
	struct daxmr_auth_key key;
	struct daxmr_auth_identity ring_ids[2]; /* tenant-a, tenant-b */
	struct daxmr_auth_keyring ring;
	struct daxmr_revoke_opts ropts;
	uint16_t next_port;
	unsigned int connects;
	struct daxmr_conn_env env;
} h;

/*
 * The identities a fuzzed AUTH may name (version 4, a server with identities): the anonymous
 * one (the secret), the two the server has keys for, and one it does not know.
 */
static const char *const fuzz_ids[] = { "", "tenant-a", "tenant-b", "nobody" };

/* ---- input ------------------------------------------------------------------------------ */

static uint8_t in_u8(void)
{
	return h.p < h.end ? *h.p++ : 0;
}

/* ---- the fake exports ------------------------------------------------------------------- */

/* The export states' names (export.c's daxmr_export_state_str is not linked: see the guard). */
static const char *fx_state_str(enum daxmr_export_state state)
{
	static const char *const names[] = { "configured", "available", "revoking", "released",
					     "unavailable" };

	return (unsigned int)state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

static struct fx *fx_of(const struct daxmr_export *exp)
{
	struct fx *e = (struct fx *)(uintptr_t)exp;

	FUZZ_CHECK(e >= h.exps && e < h.exps + FUZZ_NEXP, "not an export: %p", (const void *)exp);
	return e;
}

static struct daxmr_export *fx_exp(struct fx *e)
{
	return (struct daxmr_export *)(void *)e;
}

uint32_t __wrap_daxmr_export_id(const struct daxmr_export *exp);
uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp);
const char *__wrap_daxmr_export_name(const struct daxmr_export *exp);
bool __wrap_daxmr_export_admits(const struct daxmr_export *exp, const struct sockaddr *sa);
bool __wrap_daxmr_export_admits_identity(const struct daxmr_export *exp, const char *identity);
int __wrap_daxmr_export_entry(const struct daxmr_export *exp, struct daxmr_proto_export *entry);
int __wrap_daxmr_export_desc(struct daxmr_export *exp, enum daxmr_proto_access access,
			     struct daxmr_proto_desc *desc);
int __wrap_daxmr_export_window(struct daxmr_export *exp, enum daxmr_proto_access access,
			       uint32_t seg, struct daxmr_proto_desc *desc,
			       struct ibv_mw_bind_info *bind);
void __wrap_daxmr_export_window_failed(struct daxmr_export *exp, const char *why);
int __wrap_daxmr_export_flush(struct daxmr_export *exp, uint64_t off, uint64_t len);
int __wrap_daxmr_export_revoke_begin(struct daxmr_export *exp);
int __wrap_daxmr_export_release(struct daxmr_export *exp);
enum daxmr_export_state __wrap_daxmr_export_state(const struct daxmr_export *exp);
bool __wrap_daxmr_export_down(const struct daxmr_export *exp);
const char *__wrap_daxmr_export_reason(const struct daxmr_export *exp);
const struct daxmr_export_times *__wrap_daxmr_export_times(const struct daxmr_export *exp);
uint32_t __wrap_daxmr_export_nseg(const struct daxmr_export *exp);
int __wrap_daxmr_export_keys(struct daxmr_export *exp, enum daxmr_proto_access access,
			     uint32_t first, struct daxmr_proto_keys_reply *kr);

/*
 * The MR key of segment seg of the current registration, for access: the export, the
 * generation and the segment are in the key, so a key of another generation is told apart.
 */
static uint32_t fx_key(const struct fx *e, uint32_t seg, enum daxmr_proto_access access)
{
	return e->mr.rkey + (seg << 1) + (access == DAXMR_PROTO_ACCESS_RO ? 1 : 0);
}

static uint16_t fx_nkeys(const struct fx *e, uint32_t first)
{
	uint32_t n = e->nseg - first;

	return (uint16_t)(n < DAXMR_PROTO_KEYS_MAX ? n : DAXMR_PROTO_KEYS_MAX);
}

uint32_t __wrap_daxmr_export_id(const struct daxmr_export *exp)
{
	return fx_of(exp)->id;
}

uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp)
{
	return fx_of(exp)->gen;
}

const char *__wrap_daxmr_export_name(const struct daxmr_export *exp)
{
	return fx_of(exp)->name;
}

enum daxmr_export_state __wrap_daxmr_export_state(const struct daxmr_export *exp)
{
	return fx_of(exp)->state;
}

bool __wrap_daxmr_export_down(const struct daxmr_export *exp)
{
	const struct fx *e = fx_of(exp);

	return e->state == DAXMR_EXPORT_UNAVAILABLE && e->down;
}

const char *__wrap_daxmr_export_reason(const struct daxmr_export *exp)
{
	return fx_of(exp)->reason;
}

/* the release's steps, as revoke.c logs them: the fake release takes no time */
const struct daxmr_export_times *__wrap_daxmr_export_times(const struct daxmr_export *exp)
{
	static const struct daxmr_export_times none;

	(void)fx_of(exp);
	return &none;
}

uint32_t __wrap_daxmr_export_nseg(const struct daxmr_export *exp)
{
	const struct fx *e = fx_of(exp);

	return e->gen ? e->nseg : 0;
}

bool __wrap_daxmr_export_admits_identity(const struct daxmr_export *exp, const char *identity)
{
	/* with identities, the first export is tenant-a's only (identity=tenant-a) */
	return !h.ids || fx_of(exp) != &h.exps[0] || strcmp(identity, "tenant-a") == 0;
}

bool __wrap_daxmr_export_admits(const struct daxmr_export *exp, const struct sockaddr *sa)
{
	FUZZ_CHECK(sa && sa->sa_family == AF_INET, "admits without the peer's address");
	return !fx_of(exp)->walled;
}

int __wrap_daxmr_export_entry(const struct daxmr_export *exp, struct daxmr_proto_export *entry)
{
	const struct fx *e = fx_of(exp);

	if (e->state != DAXMR_EXPORT_AVAILABLE && e->state != DAXMR_EXPORT_REVOKING)
		return -EAGAIN;
	memset(entry, 0, sizeof(*entry));
	entry->export_id = e->id;
	entry->generation = e->gen;
	entry->length = e->length;
	entry->access = e->ro ? DAXMR_PROTO_ACCESS_RO : DAXMR_PROTO_ACCESS_RW;
	entry->memory = DAXMR_PROTO_MEMORY_FSDAX;
	entry->registration = DAXMR_PROTO_REG_ODP;
	snprintf(entry->name, sizeof(entry->name), "%s", e->name);
	return 0;
}

/* The descriptor fields every key kind shares. */
static int fx_desc_common(struct fx *e, enum daxmr_proto_access access,
			  struct daxmr_proto_desc *desc)
{
	if (access != DAXMR_PROTO_ACCESS_RO && access != DAXMR_PROTO_ACCESS_RW)
		return -EINVAL;
	if (access == DAXMR_PROTO_ACCESS_RW && e->ro)
		return -EACCES;
	if (e->state != DAXMR_EXPORT_AVAILABLE)
		return -EAGAIN;
	memset(desc, 0, sizeof(*desc));
	desc->export_id = e->id;
	desc->generation = e->gen;
	desc->addr = 0x10000;
	desc->length = e->length;
	desc->access = access;
	desc->memory = DAXMR_PROTO_MEMORY_FSDAX;
	desc->registration = DAXMR_PROTO_REG_ODP;
	desc->seg_shift = e->seg_shift;
	desc->flags = access == DAXMR_PROTO_ACCESS_RW ? DAXMR_PROTO_DESC_F_ATOMIC : 0;
	desc->nseg = e->nseg;
	desc->nkeys = fx_nkeys(e, 0);
	return 0;
}

int __wrap_daxmr_export_desc(struct daxmr_export *exp, enum daxmr_proto_access access,
			     struct daxmr_proto_desc *desc)
{
	struct fx *e = fx_of(exp);
	int ret = e->desc_err;
	uint16_t i;

	e->desc_err = 0;
	if (ret)
		return ret;
	ret = fx_desc_common(e, access, desc);
	if (ret)
		return ret;
	for (i = 0; i < desc->nkeys; i++)
		desc->keys[i] = fx_key(e, i, access);
	desc->rkey = desc->keys[0];
	desc->key_kind = DAXMR_PROTO_KEY_MR;
	return 0;
}

int __wrap_daxmr_export_keys(struct daxmr_export *exp, enum daxmr_proto_access access,
			     uint32_t first, struct daxmr_proto_keys_reply *kr)
{
	struct fx *e = fx_of(exp);
	uint16_t i;
	int ret = e->desc_err;

	e->desc_err = 0;
	if (access == DAXMR_PROTO_ACCESS_RW && e->ro)
		return -EACCES;
	if (e->state != DAXMR_EXPORT_AVAILABLE && e->state != DAXMR_EXPORT_REVOKING)
		return -EAGAIN;
	if (first >= e->nseg)
		return -ERANGE;
	if (ret)
		return ret; /* the read-only registration failed */
	kr->first = first;
	kr->count = fx_nkeys(e, first);
	for (i = 0; i < kr->count; i++)
		kr->keys[i] = fx_key(e, first + i, access);
	return 0;
}

int __wrap_daxmr_export_window(struct daxmr_export *exp, enum daxmr_proto_access access,
			       uint32_t seg, struct daxmr_proto_desc *desc,
			       struct ibv_mw_bind_info *bind)
{
	struct fx *e = fx_of(exp);
	int ret;

	if (!h.mw || e->nseg > DAXMR_EXPORT_MW_SEGS_MAX)
		return -EOPNOTSUPP;
	ret = fx_desc_common(e, access, desc);
	if (ret)
		return ret;
	if (seg >= e->nseg)
		return -ERANGE;
	desc->key_kind = DAXMR_PROTO_KEY_MW;
	memset(bind, 0, sizeof(*bind));
	bind->mr = &e->mr; /* one fake MR stands for every segment's */
	bind->addr = 0x10000 + ((uint64_t)seg << e->seg_shift);
	bind->length = e->length - ((uint64_t)seg << e->seg_shift) < (1ull << e->seg_shift) ?
			       e->length - ((uint64_t)seg << e->seg_shift) :
			       1ull << e->seg_shift;
	bind->mw_access_flags = access == DAXMR_PROTO_ACCESS_RW ?
					IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE :
					IBV_ACCESS_REMOTE_READ;
	return 0;
}

void __wrap_daxmr_export_window_failed(struct daxmr_export *exp, const char *why)
{
	FUZZ_CHECK(why, "window_failed of export %s without a reason", fx_of(exp)->name);
}

int __wrap_daxmr_export_flush(struct daxmr_export *exp, uint64_t off, uint64_t len)
{
	struct fx *e = fx_of(exp);
	int ret = e->flush_err;

	e->flush_err = 0;
	if (ret)
		return ret;
	if (e->state != DAXMR_EXPORT_AVAILABLE && e->state != DAXMR_EXPORT_REVOKING)
		return -EAGAIN;
	if (off > e->length || len > e->length - off)
		return -ERANGE;
	return 0;
}

int __wrap_daxmr_export_revoke_begin(struct daxmr_export *exp)
{
	struct fx *e = fx_of(exp);

	if (e->state != DAXMR_EXPORT_AVAILABLE)
		return -EBUSY;
	e->state = DAXMR_EXPORT_REVOKING;
	e->revoking_since_us = fake_loop_now_us();
	return 0;
}

int __wrap_daxmr_export_release(struct daxmr_export *exp)
{
	struct fx *e = fx_of(exp);
	int ret = e->release_err;

	if (e->state != DAXMR_EXPORT_REVOKING)
		return -EBUSY;
	/* ibv_dereg_mr fails with EBUSY while a window is bound over the MR: the fence's job */
	FUZZ_CHECK(fake_rdma_mws_bound(&e->mr, NULL) == 0,
		   "export %s released with %u memory windows still bound over its MR", e->name,
		   fake_rdma_mws_bound(&e->mr, NULL));
	e->release_err = 0;
	e->state = DAXMR_EXPORT_RELEASED;
	return ret; /* a failed step is logged, but every step completes: RELEASED all the same */
}

/*
 * A guard, never called: should conn.c or revoke.c come to call a daxmr_export_* function not
 * faked above (and listed in fuzz_server_wraps), the linker would pull in the real export.c,
 * which would take these fakes for its own struct. This definition makes that a link error
 * ("multiple definition of daxmr_export_new") instead of a crash.
 */
int daxmr_export_new(const struct daxmr_export_cfg *cfg, uint32_t id,
		     const struct daxmr_export_env *env, struct daxmr_export **exp_ptr)
{
	(void)cfg;
	(void)id;
	(void)env;
	(void)exp_ptr;
	FUZZ_CHECK(false, "daxmr_export_new: the exports are fakes here");
	return -ENOSYS;
}

/* ---- the server's glue (server.c's, restated) ------------------------------------------- */

static struct slot *slot_of(const struct daxmr_conn *conn)
{
	size_t i;

	for (i = 0; i < FUZZ_NCONN; i++)
		if (h.slots[i].conn == conn)
			return &h.slots[i];
	return NULL;
}

static struct daxmr_export *ops_find_name(void *arg, const char *name)
{
	size_t i;

	(void)arg;
	for (i = 0; i < FUZZ_NEXP; i++)
		if (strcmp(h.exps[i].name, name) == 0)
			return fx_exp(&h.exps[i]);
	return NULL;
}

static struct daxmr_export *ops_find_id(void *arg, uint32_t id)
{
	size_t i;

	(void)arg;
	for (i = 0; i < FUZZ_NEXP; i++)
		if (h.exps[i].id == id)
			return fx_exp(&h.exps[i]);
	return NULL;
}

static struct daxmr_export *ops_nth(void *arg, size_t i)
{
	(void)arg;
	return i < FUZZ_NEXP ? fx_exp(&h.exps[i]) : NULL;
}

/* A holder is done with a REVOKE: counted, then the pipeline's. */
static void ops_revoke_ack(void *arg, struct daxmr_export *exp, uint64_t gen)
{
	struct fx *e = fx_of(exp);

	(void)arg;
	FUZZ_CHECK(gen < FUZZ_GEN_MAX, "ack of generation %llu", (unsigned long long)gen);
	e->acked[gen]++;
	FUZZ_CHECK(e->acked[gen] <= e->sent[gen],
		   "export %s generation %llu: %u acks for %u REVOKEs sent", e->name,
		   (unsigned long long)gen, e->acked[gen], e->sent[gen]);
	daxmr_revoke_ack(e->rv, gen);
}

static void ops_dead(void *arg, struct daxmr_conn *conn)
{
	struct slot *s = slot_of(conn);

	(void)arg;
	FUZZ_CHECK(s, "dead reported for a connection the server does not have");
	s->dead = true;
}

/* The notify op: REVOKE to every live connection holding the generation. */
static unsigned int rv_notify(void *arg, struct daxmr_export *exp, uint64_t gen,
			      enum daxmr_proto_revoke_reason reason, uint32_t deadline_ms)
{
	struct fx *e = fx_of(exp);
	unsigned int n = 0;
	size_t i;

	(void)arg;
	FUZZ_CHECK(gen == e->gen && gen < FUZZ_GEN_MAX, "notify of generation %llu, current %llu",
		   (unsigned long long)gen, (unsigned long long)e->gen);
	for (i = 0; i < FUZZ_NCONN; i++) {
		struct slot *s = &h.slots[i];

		if (!s->conn || s->dead)
			continue;
		/* counted before the call: an ack may come back from inside it */
		e->sent[gen]++;
		if (daxmr_conn_revoke(s->conn, exp, gen, reason, deadline_ms) == 0)
			n++;
		else
			e->sent[gen]--;
	}
	return n;
}

static void rv_fence(void *arg, struct daxmr_export *exp)
{
	size_t i;

	(void)arg;
	for (i = 0; i < FUZZ_NCONN; i++)
		if (h.slots[i].conn)
			daxmr_conn_fence(h.slots[i].conn, exp);
}

/* Once shut down and nothing is AVAILABLE or REVOKING: every connection is disconnected. */
static void srv_exit_if_done(void)
{
	size_t i;

	if (!h.shutting_down)
		return;
	for (i = 0; i < FUZZ_NEXP; i++)
		if (h.exps[i].state == DAXMR_EXPORT_AVAILABLE ||
		    h.exps[i].state == DAXMR_EXPORT_REVOKING)
			return;
	for (i = 0; i < FUZZ_NCONN; i++)
		if (h.slots[i].conn)
			daxmr_conn_disconnect(h.slots[i].conn);
}

static void rv_released(void *arg, struct daxmr_export *exp, enum daxmr_proto_revoke_reason reason)
{
	struct fx *e = fx_of(exp);

	(void)arg;
	(void)reason;
	FUZZ_CHECK(e->state == DAXMR_EXPORT_RELEASED, "released op for export %s in state %d",
		   e->name, (int)e->state);
	srv_exit_if_done();
}

/* Deletes one connection (server_conn_remove) and forgets what its client knew. */
static void srv_remove(struct slot *s)
{
	struct fake_rdma_qp *qp = fake_rdma_qp_of(daxmr_conn_id(s->conn));
	int live_qps = fake_rdma.live_qps;

	(void)daxmr_conn_delete(&s->conn);
	FUZZ_CHECK(!s->conn, "daxmr_conn_delete left the pointer");
	FUZZ_CHECK(!qp || fake_rdma.live_qps == live_qps - 1, "the connection's QP outlived it");
	memset(s, 0, sizeof(*s));
}

/*
 * Establishes an export (server_establish): a new generation, AVAILABLE to former holders; or the
 * attempt fails, for a passing reason (another lease holder) or for one that stays (down).
 */
static void srv_establish(struct fx *e, bool fail, bool down)
{
	size_t i;

	if (h.shutting_down || e->state == DAXMR_EXPORT_AVAILABLE ||
	    e->state == DAXMR_EXPORT_REVOKING || e->gen + 1 >= FUZZ_GEN_MAX)
		return;
	if (fail) {
		e->state = DAXMR_EXPORT_UNAVAILABLE;
		e->down = down;
		snprintf(e->reason, sizeof(e->reason), "%s", down ? "fuzz: not on DAX" : "");
		return;
	}
	e->gen++;
	e->state = DAXMR_EXPORT_AVAILABLE;
	e->down = false;
	e->reason[0] = '\0';
	/* export in bits 28.., generation 20..27, segment and ro bit below (fx_key) */
	e->mr.rkey = (e->id << 28) | (uint32_t)(e->gen << 20);
	for (i = 0; i < FUZZ_NCONN; i++)
		if (h.slots[i].conn && !h.slots[i].dead)
			daxmr_conn_available(h.slots[i].conn, fx_exp(e));
}

/* ---- what the server sends, checked as it is posted ------------------------------------- */

/*
 * The invariant of the revocation for MR keys: n keys from segment first are the current
 * registration's, of the export's segments (ro or rw keys: a connection's hold may be either).
 */
static void check_keys(const struct fx *e, enum daxmr_proto_access access, uint32_t first,
		       const uint32_t *keys, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		FUZZ_CHECK((keys[i] | 1) == (fx_key(e, first + i, access) | 1),
			   "%s: key 0x%x of segment %u is not generation %llu's 0x%x", e->name,
			   keys[i], first + i, (unsigned long long)e->gen,
			   fx_key(e, first + i, access));
}

/*
 * The invariant of per-connection keys: each of n window keys (what of the reply) is a window
 * bound on this QP over the export's MR, and no two segments share one.
 */
static void check_window_keys(const struct fake_rdma_qp *qp, const struct fx *e, const char *what,
			      const uint32_t *keys, uint32_t n)
{
	uint32_t i, j;
	size_t k;
	bool found;

	for (i = 0; i < n; i++) {
		found = false;
		for (k = 0; k < FAKE_RDMA_MW_MAX; k++) {
			const struct fake_rdma_mw *mw = &fake_rdma.mws[k];

			found |= mw->live && mw->bound && mw->qp == qp && mw->mr == &e->mr &&
				 mw->mw.rkey == keys[i];
		}
		FUZZ_CHECK(found,
			   "%s of %s answered with window key 0x%x, not bound on this QP over "
			   "the export",
			   what, e->name, keys[i]);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(keys[i] != keys[j],
				   "%s of %s: segments %u and %u share window key 0x%x", what,
				   e->name, j, i, keys[i]);
	}
}

/*
 * A request id the client reused while unanswered: the server owes a reply to each copy, but
 * which reply answers which copy is not known. Where the copies asked different things, what
 * they asked is forgotten: no export (-1) and an unknown identity (FUZZ_ID_UNKNOWN).
 */
static bool pending_reused(struct slot *s, uint64_t req_id, int exp, uint32_t first, int auth,
			   bool auth_valid)
{
	bool differ = false;
	unsigned int i;

	for (i = 0; i < s->npending; i++)
		if (s->pending[i] == req_id)
			differ |= s->pend_exp[i] != exp || s->pend_first[i] != first ||
				  s->pend_auth[i] != auth || s->pend_auth_valid[i] != auth_valid;
	if (!differ)
		return false;
	for (i = 0; i < s->npending; i++)
		if (s->pending[i] == req_id) {
			s->pend_exp[i] = -1;
			s->pend_auth[i] = FUZZ_ID_UNKNOWN;
		}
	return true;
}

static void on_send(void *arg, struct fake_rdma_qp *qp, const uint8_t *buf, uint32_t len)
{
	struct daxmr_proto_msg *msg = malloc(sizeof(*msg));
	struct slot *s = NULL;
	struct fx *e = NULL;
	unsigned int i;
	int ret, exp = -1, auth = -1;
	bool auth_valid = false;
	uint32_t first = 0;

	(void)arg;
	FUZZ_CHECK(msg, "out of memory");
	for (i = 0; i < FUZZ_NCONN; i++)
		if (h.slots[i].conn && fake_rdma_qp_of(daxmr_conn_id(h.slots[i].conn)) == qp)
			s = &h.slots[i];
	FUZZ_CHECK(s, "SEND on a QP no connection has");
	ret = daxmr_proto_msg_decode(buf, len, msg);
	FUZZ_CHECK(ret == 0, "the server sent a %u-byte message that does not decode (%d)", len,
		   ret);
	FUZZ_CHECK(msg->hdr.version == s->version, "sent with header version %u, chose %u",
		   msg->hdr.version, s->version);
	if (msg->hdr.flags & DAXMR_PROTO_F_REPLY && msg->hdr.opcode != DAXMR_PROTO_OP_ERROR) {
		for (i = 0; i < s->npending && s->pending[i] != msg->hdr.request_id; i++)
			;
		FUZZ_CHECK(i < s->npending, "%s reply to request %llu, never sent or answered",
			   daxmr_proto_opcode_str(msg->hdr.opcode),
			   (unsigned long long)msg->hdr.request_id);
		exp = s->pend_exp[i];
		first = s->pend_first[i];
		auth = s->pend_auth[i];
		auth_valid = s->pend_auth_valid[i];
		s->npending--;
		s->pending[i] = s->pending[s->npending];
		s->pend_exp[i] = s->pend_exp[s->npending];
		s->pend_first[i] = s->pend_first[s->npending];
		s->pend_auth[i] = s->pend_auth[s->npending];
		s->pend_auth_valid[i] = s->pend_auth_valid[s->npending];
	}
	/* reasons are version 3's */
	FUZZ_CHECK(s->version >= DAXMR_PROTO_VERSION_SEG || !msg->reason[0],
		   "version %u %s with a reason \"%s\"", s->version,
		   daxmr_proto_opcode_str(msg->hdr.opcode), msg->reason);
	if (msg->hdr.status == DAXMR_PROTO_STATUS_UNAVAILABLE) {
		FUZZ_CHECK(s->version >= DAXMR_PROTO_VERSION_SEG && msg->reason[0],
			   "UNAVAILABLE in version %u, reason \"%s\"", s->version, msg->reason);
		FUZZ_CHECK(exp < 0 || (h.exps[exp].state == DAXMR_EXPORT_UNAVAILABLE &&
				       h.exps[exp].down),
			   "UNAVAILABLE for %s, which is %s%s", h.exps[exp].name,
			   fx_state_str(h.exps[exp].state), h.exps[exp].down ? " (down)" : "");
	}
	switch (msg->hdr.opcode) {
	case DAXMR_PROTO_OP_HELLO:
		if (msg->hdr.status == DAXMR_PROTO_STATUS_OK) {
			s->hello_ok = true;
			memcpy(s->challenge, msg->hello_reply.challenge, sizeof(s->challenge));
			FUZZ_CHECK(!!(msg->hello_reply.flags & DAXMR_PROTO_HELLO_F_AUTH) == h.keyed,
				   "HELLO reply's AUTH flag does not say whether a secret is set");
		}
		break;
	case DAXMR_PROTO_OP_AUTH:
		if (msg->hdr.status == DAXMR_PROTO_STATUS_OK) {
			FUZZ_CHECK(h.keyed && s->hello_ok, "AUTH OK without HELLO or secret");
			/* no identity is established by a proof that was not right for it */
			FUZZ_CHECK(
				auth < 0 || auth_valid,
				"AUTH as '%s' accepted with a proof not made for it (version %u)",
				fuzz_ids[auth], s->version);
			s->auth_ok = true;
			s->identity = auth;
		}
		break;
	case DAXMR_PROTO_OP_OPEN:
		if (msg->hdr.status != DAXMR_PROTO_STATUS_OK)
			break;
		FUZZ_CHECK(s->hello_ok && (!h.keyed || s->auth_ok),
			   "OPEN answered before the handshake");
		e = fx_of(ops_find_id(NULL, msg->desc.export_id));
		/* the invariant of the revocation: no key for a generation that is not current */
		FUZZ_CHECK(e->state == DAXMR_EXPORT_AVAILABLE && msg->desc.generation == e->gen,
			   "OPEN of %s handed out generation %llu; the export is %s at %llu",
			   e->name, (unsigned long long)msg->desc.generation,
			   fx_state_str(e->state), (unsigned long long)e->gen);
		FUZZ_CHECK(!e->walled, "OPEN of %s granted past its allowlist", e->name);
		FUZZ_CHECK(!h.ids || e != &h.exps[0] || s->identity == 1 ||
				   s->identity == FUZZ_ID_UNKNOWN,
			   "OPEN of %s (tenant-a's only) granted to identity '%s'", e->name,
			   s->identity >= 0 ? fuzz_ids[s->identity] : "?");
		FUZZ_CHECK(!(e->ro && msg->desc.access == DAXMR_PROTO_ACCESS_RW),
			   "rw OPEN of read-only %s granted", e->name);
		if (msg->desc.key_kind == DAXMR_PROTO_KEY_MW) {
			check_window_keys(qp, e, "OPEN", &msg->desc.rkey, 1);
			if (s->version >= DAXMR_PROTO_VERSION_SEG)
				check_window_keys(qp, e, "OPEN", msg->desc.keys, msg->desc.nkeys);
		} else {
			/* versions 1, 2: the one key is rkey; 3: rkey is keys[0] */
			check_keys(e, msg->desc.access, 0, &msg->desc.rkey, 1);
			if (s->version >= DAXMR_PROTO_VERSION_SEG)
				check_keys(e, msg->desc.access, 0, msg->desc.keys, msg->desc.nkeys);
		}
		/* the segments the descriptor names are the export's; version 1, 2 only unsegmented
		 */
		FUZZ_CHECK(s->version >= DAXMR_PROTO_VERSION_SEG ?
				   msg->desc.nseg == e->nseg &&
					   msg->desc.seg_shift == e->seg_shift &&
					   msg->desc.nkeys == fx_nkeys(e, 0) :
				   e->nseg == 1,
			   "OPEN of %s (version %u): %u segments of 2^%u, %u keys; the export has "
			   "%u of 2^%u",
			   e->name, s->version, msg->desc.nseg, msg->desc.seg_shift,
			   msg->desc.nkeys, e->nseg, e->seg_shift);
		s->handed[e - h.exps] |= 1ull << msg->desc.generation;
		s->handed_mw[e - h.exps] = msg->desc.key_kind == DAXMR_PROTO_KEY_MW;
		break;
	case DAXMR_PROTO_OP_KEYS:
		if (msg->hdr.status != DAXMR_PROTO_STATUS_OK || exp < 0)
			break;
		e = &h.exps[exp];
		FUZZ_CHECK(s->version >= DAXMR_PROTO_VERSION_SEG, "KEYS answered in version %u",
			   s->version);
		/* more keys only of a generation this client holds, and still registered */
		FUZZ_CHECK(
			(e->state == DAXMR_EXPORT_AVAILABLE || e->state == DAXMR_EXPORT_REVOKING) &&
				(s->handed[exp] & (1ull << e->gen)),
			"KEYS of %s answered while it is %s at %llu, never handed to this client",
			e->name, fx_state_str(e->state), (unsigned long long)e->gen);
		FUZZ_CHECK(msg->keys_reply.first == first &&
				   msg->keys_reply.count == fx_nkeys(e, first),
			   "KEYS of %s from segment %u: %u keys from %u", e->name, first,
			   msg->keys_reply.count, msg->keys_reply.first);
		if (s->handed_mw[exp])
			check_window_keys(qp, e, "KEYS", msg->keys_reply.keys,
					  msg->keys_reply.count);
		else
			check_keys(e, e->ro ? DAXMR_PROTO_ACCESS_RO : DAXMR_PROTO_ACCESS_RW, first,
				   msg->keys_reply.keys, msg->keys_reply.count);
		break;
	case DAXMR_PROTO_OP_REVOKE:
		e = fx_of(ops_find_id(NULL, msg->revoke.export_id));
		FUZZ_CHECK(e->state == DAXMR_EXPORT_REVOKING && msg->revoke.generation == e->gen,
			   "REVOKE of %s generation %llu while it is %s at %llu", e->name,
			   (unsigned long long)msg->revoke.generation, fx_state_str(e->state),
			   (unsigned long long)e->gen);
		FUZZ_CHECK(s->handed[e - h.exps] & (1ull << msg->revoke.generation),
			   "REVOKE of %s generation %llu to a client never given it", e->name,
			   (unsigned long long)msg->revoke.generation);
		FUZZ_CHECK(msg->revoke.deadline_ms <= h.ropts.watchdog_ms,
			   "REVOKE deadline %u ms past the watchdog %u ms", msg->revoke.deadline_ms,
			   h.ropts.watchdog_ms);
		s->revoke_req[e - h.exps] = msg->hdr.request_id;
		s->revoke_gen[e - h.exps] = msg->revoke.generation;
		break;
	case DAXMR_PROTO_OP_AVAILABLE:
		e = fx_of(ops_find_id(NULL, msg->available.export_id));
		FUZZ_CHECK(e->state == DAXMR_EXPORT_AVAILABLE &&
				   msg->available.generation == e->gen,
			   "AVAILABLE of %s generation %llu while it is %s at %llu", e->name,
			   (unsigned long long)msg->available.generation, fx_state_str(e->state),
			   (unsigned long long)e->gen);
		break;
	default:
		break;
	}
	free(msg);
}

/* ---- invariants after every event ------------------------------------------------------- */

static bool state_is_down(enum daxmr_conn_state st)
{
	return st == DAXMR_CONN_CLOSING || st == DAXMR_CONN_CLOSED;
}

static void check_slot(struct slot *s)
{
	enum daxmr_conn_state st = daxmr_conn_state(s->conn);
	struct fake_rdma_qp *qp = fake_rdma_qp_of(daxmr_conn_id(s->conn));
	unsigned int recvs, queued;
	size_t holds = daxmr_conn_holds(s->conn);

	FUZZ_CHECK(s->last_state != DAXMR_CONN_CLOSED || st == DAXMR_CONN_CLOSED,
		   "connection left CLOSED for %s", daxmr_conn_state_str(st));
	FUZZ_CHECK(s->last_state != DAXMR_CONN_CLOSING || state_is_down(st),
		   "connection left CLOSING for %s", daxmr_conn_state_str(st));
	FUZZ_CHECK(st != DAXMR_CONN_READY || (s->hello_ok && (!h.keyed || s->auth_ok)),
		   "READY without a HELLO (and AUTH) answered OK");
	s->last_state = st;
	FUZZ_CHECK(holds <= DAXMR_CONN_HOLD_MAX, "%zu descriptors held", holds);
	FUZZ_CHECK(daxmr_conn_windows(s->conn) <= DAXMR_WINDOW_SLOTS, "%zu windows",
		   daxmr_conn_windows(s->conn));
	FUZZ_CHECK(qp, "a connection without its QP");
	recvs = fake_rdma_recvs_posted(qp);
	/*
	 * credits: the client's DAXMR_CONN_CREDITS, plus one per REVOKE awaiting its ack (one may
	 * stay posted after its descriptor went another way: a CLOSE, a new generation)
	 */
	FUZZ_CHECK(recvs <= DAXMR_CONN_CREDITS + DAXMR_CONN_HOLD_MAX,
		   "%u receives posted for %zu descriptors", recvs, holds);
	FUZZ_CHECK(state_is_down(st) || recvs >= DAXMR_CONN_CREDITS,
		   "connection %s with %u receives posted: the client's credits are %d",
		   daxmr_conn_state_str(st), recvs, DAXMR_CONN_CREDITS);
	queued = qp->cq->tail - qp->cq->head;
	FUZZ_CHECK(recvs + fake_rdma_sends_posted(qp) + queued <= (unsigned int)qp->cq->cqe,
		   "%u receives, %u sends outstanding and %u completions queued on a CQ of %d",
		   recvs, fake_rdma_sends_posted(qp), queued, qp->cq->cqe);
	/* a live connection must hear of its next completion */
	FUZZ_CHECK(state_is_down(st) || qp->cq->armed, "connection %s with its CQ not armed",
		   daxmr_conn_state_str(st));
	/* a departing client loses its keys at once */
	FUZZ_CHECK(!state_is_down(st) || fake_rdma_mws_bound(NULL, qp) == 0,
		   "connection %s with %u windows still bound", daxmr_conn_state_str(st),
		   fake_rdma_mws_bound(NULL, qp));
}

static void check_all(void)
{
	uint64_t now = fake_loop_now_us();
	size_t i;

	for (i = 0; i < FUZZ_NCONN; i++)
		if (h.slots[i].conn)
			check_slot(&h.slots[i]);
	for (i = 0; i < FUZZ_NEXP; i++) {
		struct fx *e = &h.exps[i];

		FUZZ_CHECK(e->state != DAXMR_EXPORT_REVOKING ||
				   now - e->revoking_since_us <= h.ropts.watchdog_ms * 1000ull,
			   "export %s still REVOKING %llu us after the break, watchdog %u ms",
			   e->name, (unsigned long long)(now - e->revoking_since_us),
			   h.ropts.watchdog_ms);
		/* the last ack releases at once: nobody waits for the budget in vain */
		FUZZ_CHECK(e->state != DAXMR_EXPORT_REVOKING || e->acked[e->gen] < e->sent[e->gen],
			   "export %s still REVOKING with all %u holders acked", e->name,
			   e->sent[e->gen]);
		FUZZ_CHECK((e->state == DAXMR_EXPORT_REVOKING) == daxmr_revoke_active(e->rv),
			   "export %s %s, its revocation %s", e->name, fx_state_str(e->state),
			   daxmr_revoke_active(e->rv) ? "active" : "idle");
		FUZZ_CHECK(e->state == DAXMR_EXPORT_AVAILABLE ||
				   e->state == DAXMR_EXPORT_REVOKING ||
				   fake_rdma_mws_bound(&e->mr, NULL) == 0,
			   "export %s %s with windows bound over its MR", e->name,
			   fx_state_str(e->state));
	}
}

/* ---- events ----------------------------------------------------------------------------- */

static struct slot *in_slot(void)
{
	struct slot *s = &h.slots[in_u8() % FUZZ_NCONN];

	return s->conn ? s : NULL;
}

static struct fake_rdma_qp *slot_qp(const struct slot *s)
{
	return fake_rdma_qp_of(daxmr_conn_id(s->conn));
}

/* The completion channel: every armed CQ with completions gets its event (server_on_cq_channel). */
static void drain_channel(void)
{
	bool more = true;
	size_t i;

	while (more) {
		more = false;
		for (i = 0; i < FUZZ_NCONN; i++) {
			struct slot *s = &h.slots[i];

			if (s->conn && fake_rdma_take_event(slot_qp(s)->cq)) {
				daxmr_conn_on_cq_event(s->conn);
				more = true;
			}
		}
	}
}

/* The reaper: connections reported dead are deleted from the loop. */
static void reap(void)
{
	size_t i;

	for (i = 0; i < FUZZ_NCONN; i++)
		if (h.slots[i].conn && h.slots[i].dead)
			srv_remove(&h.slots[i]);
}

static void ev_connect(void)
{
	uint8_t a = in_u8(), b = in_u8();
	struct daxmr_proto_cm_connect c = { .version_min = a & 0xf, .version_max = a >> 4 };
	struct rdma_conn_param req = { .responder_resources = 4, .initiator_depth = 4 };
	struct daxmr_proto_cm_accept acc;
	uint8_t pdata[DAXMR_PROTO_CM_CONNECT_LIMIT] = { 0 };
	size_t len = DAXMR_PROTO_CM_CONNECT_LIMIT, i;
	struct rdma_cm_id *id;
	struct slot *s = NULL;
	bool valid;
	int ret;

	for (i = 0; i < FUZZ_NCONN && !s; i++)
		if (!h.slots[i].conn)
			s = &h.slots[i];
	/* each accept costs some 400 KiB of fresh pages: a few per input keep the target fast */
	if (!s || h.connects >= FUZZ_CONNECTS_MAX)
		return;
	h.connects++;
	if (b & 1) {
		len = in_u8() % (DAXMR_PROTO_CM_CONNECT_LIMIT + 1);
		for (i = 0; i < len; i++)
			pdata[i] = in_u8();
	} else if (daxmr_proto_cm_connect_encode(&c, pdata, sizeof(pdata)) < 0) {
		return;
	}
	/* the range the server must answer: what the private data says, if anything */
	valid = daxmr_proto_cm_connect_decode(pdata, len, &c) == 0;
	id = fake_rdma_new_id(h.next_port++);
	ret = daxmr_conn_new(&h.env, id, pdata, len, &req, &s->conn);
	if (ret) {
		FUZZ_CHECK(!s->conn && !id->qp && !id->context,
			   "a failed accept left its resources");
		(void)rdma_destroy_id(id); /* the caller's on failure */
		return;
	}
	FUZZ_CHECK(s->conn && id->context == s->conn, "accepted without the connection");
	FUZZ_CHECK(valid, "accepted a connect request whose private data does not decode");
	FUZZ_CHECK(daxmr_proto_cm_accept_decode(fake_rdma.accept_pdata, fake_rdma.accept_len,
						&acc) == 0,
		   "accept private data that does not decode");
	FUZZ_CHECK(acc.credits == DAXMR_CONN_CREDITS && acc.version >= c.version_min &&
			   acc.version <= c.version_max,
		   "accepted version %u of %u..%u, %u credits", acc.version, c.version_min,
		   c.version_max, acc.credits);
	FUZZ_CHECK(!h.keyed || acc.version >= DAXMR_PROTO_VERSION_AUTH,
		   "version %u accepted although the server has a secret", acc.version);
	FUZZ_CHECK(!h.ids || acc.version >= DAXMR_PROTO_VERSION_ID,
		   "version %u accepted although the server has identities", acc.version);
	s->version = acc.version;
	s->identity = -1;
	s->auth_next = -1;
	s->vmin = c.version_min;
	s->vmax = c.version_max;
	s->next_req = 1;
}

/* Generation choice of a client message: the current one, an older, a newer, or any. */
static uint64_t in_gen(const struct fx *e)
{
	uint8_t d = in_u8();

	switch (d) {
	case 0:
		return e->gen;
	case 1:
		return e->gen - 1;
	case 2:
		return e->gen + 1;
	default:
		return d;
	}
}

/*
 * The client's SEND; false if it did not land (no receive posted). A request's reply is awaited;
 * exp (-1: none) and first are what an OPEN or KEYS asked, for the reply's check.
 */
static bool client_send(struct slot *s, const uint8_t *buf, uint32_t len, uint64_t req_id,
			bool request, int exp, uint32_t first)
{
	if (!fake_rdma_deliver(slot_qp(s), buf, len))
		return false;
	if (request && s->npending < FUZZ_REQ_MAX) {
		if (pending_reused(s, req_id, exp, first, s->auth_next, s->auth_next_valid)) {
			exp = -1; /* forgotten, as the other copies */
			s->auth_next = FUZZ_ID_UNKNOWN;
		}
		s->pend_exp[s->npending] = exp;
		s->pend_first[s->npending] = first;
		s->pend_auth[s->npending] = s->auth_next;
		s->pend_auth_valid[s->npending] = s->auth_next_valid;
		s->pending[s->npending++] = req_id;
	}
	s->auth_next = -1;
	return true;
}

/*
 * A version-4 AUTH: C bits 1-2 pick the identity named (fuzz_ids), bits 3-4 the identity whose
 * key and name the proof is made with (a cross-identity replay when they differ), bit 5 a
 * server-role proof (reflection). What it claims goes with the request, for the reply's check.
 */
static void fuzz_auth_v4(struct slot *s, uint8_t c, struct daxmr_proto_msg *msg)
{
	unsigned int named = (c >> 1) & 3, signer = (c >> 3) & 3;
	const struct daxmr_auth_key *key =
		signer == 0 ? &h.key :
		signer <= 2 ? &h.ring_ids[signer - 1].key :
			      &h.ring_ids[0].key; /* "nobody" signs with A's */
	enum daxmr_auth_role role = (c & 0x20) ? DAXMR_AUTH_SERVER : DAXMR_AUTH_CLIENT;

	snprintf(msg->auth.identity, sizeof(msg->auth.identity), "%s", fuzz_ids[named]);
	daxmr_auth_proof_id(key, role, s->version, fuzz_ids[signer], s->challenge, msg->auth.nonce,
			    msg->auth.proof);
	s->auth_next = (int)named;
	/* right only if made by the named identity itself, as a client, with a key the server has
	 */
	s->auth_next_valid = named == signer && role == DAXMR_AUTH_CLIENT && named != 3 &&
			     (named != 0 || h.keyed);
}

static void ev_msg(void)
{
	struct slot *s = in_slot();
	uint8_t kind = in_u8(), c = in_u8(), d, mut, pos, val;
	struct daxmr_proto_msg *msg;
	uint8_t buf[DAXMR_PROTO_MSG_MAX];
	struct fx *e = &h.exps[c % FUZZ_NEXP];
	bool request = true, no_such = (c % (FUZZ_NEXP + 1)) == FUZZ_NEXP;
	int n, exp = -1;

	if (!s)
		return;
	msg = calloc(1, sizeof(*msg));
	FUZZ_CHECK(msg, "out of memory");
	msg->hdr.version = s->version;
	msg->hdr.request_id = s->next_req++;
	s->auth_next = -1;
	s->auth_next_valid = true;
	switch (kind % FUZZ_MSG_NKINDS) {
	case FUZZ_MSG_HELLO:
		msg->hdr.opcode = DAXMR_PROTO_OP_HELLO;
		msg->hello.version_min = s->vmin;
		msg->hello.version_max = (c & 1) ? (uint16_t)(s->vmax + 1) : s->vmax;
		if (c & 2)
			msg->hdr.version = (uint16_t)(s->version ^ 3);
		snprintf(msg->hello.name, sizeof(msg->hello.name), "fuzz-%u", (unsigned int)c);
		break;
	case FUZZ_MSG_AUTH:
		msg->hdr.opcode = DAXMR_PROTO_OP_AUTH;
		memset(msg->auth.nonce, c, sizeof(msg->auth.nonce));
		if (s->version >= DAXMR_PROTO_VERSION_ID)
			fuzz_auth_v4(s, c, msg);
		else
			daxmr_auth_proof(&h.key, DAXMR_AUTH_CLIENT, s->challenge, msg->auth.nonce,
					 msg->auth.proof);
		if (c & 1)
			msg->auth.proof[c % DAXMR_PROTO_AUTH_PROOF_SIZE] ^= 1;
		if (c & 1)
			s->auth_next_valid = false;
		break;
	case FUZZ_MSG_LIST:
		msg->hdr.opcode = DAXMR_PROTO_OP_LIST;
		msg->list.start = c % 4;
		break;
	case FUZZ_MSG_OPEN:
		msg->hdr.opcode = DAXMR_PROTO_OP_OPEN;
		msg->open.access = (in_u8() & 1) ? DAXMR_PROTO_ACCESS_RW : DAXMR_PROTO_ACCESS_RO;
		snprintf(msg->open.name, sizeof(msg->open.name), "%s",
			 no_such ? "nosuch" : e->name);
		exp = no_such ? -1 : (int)(e - h.exps);
		break;
	case FUZZ_MSG_CLOSE:
		msg->hdr.opcode = DAXMR_PROTO_OP_CLOSE;
		msg->close.export_id = no_such ? 77 : e->id;
		msg->close.generation = in_gen(e);
		break;
	case FUZZ_MSG_FLUSH:
		msg->hdr.opcode = DAXMR_PROTO_OP_FLUSH;
		msg->flush.export_id = no_such ? 77 : e->id;
		msg->flush.generation = in_gen(e);
		msg->flush.offset = (uint64_t)in_u8() << 10;
		msg->flush.length = (uint64_t)in_u8() << 10;
		break;
	case FUZZ_MSG_ACK:
		msg->hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK;
		msg->revoke_ack.export_id = no_such ? 77 : e->id;
		d = in_u8();
		msg->revoke_ack.generation = d == 0 ? s->revoke_gen[e - h.exps] : (uint64_t)d - 1;
		msg->hdr.request_id = s->revoke_req[e - h.exps];
		request = false;
		break;
	case FUZZ_MSG_KEYS:
		msg->hdr.opcode = DAXMR_PROTO_OP_KEYS;
		msg->keys.export_id = e->id;
		msg->keys.generation = in_gen(e);
		msg->keys.first = (uint32_t)in_u8() * 8; /* 0 .. 2040: within 1001 segments, past */
		exp = (int)(e - h.exps);
		break;
	default:
		msg->hdr.opcode = (enum daxmr_proto_opcode)c;
		msg->hdr.flags = in_u8();
		break;
	}
	n = daxmr_proto_msg_encode(msg, buf, sizeof(buf));
	if (n <= 0) {
		/* what the encoder refuses (an opcode of another version): the header alone */
		memset(&msg->hello, 0, sizeof(msg->hello));
		msg->hdr.version = s->version;
		msg->hdr.opcode = DAXMR_PROTO_OP_LIST;
		msg->hdr.status = DAXMR_PROTO_STATUS_OK;
		msg->hdr.flags = 0;
		n = daxmr_proto_msg_encode(msg, buf, sizeof(buf));
		FUZZ_CHECK(n > 0, "the encoder refuses a LIST");
	}
	mut = in_u8();
	if (mut & 0x80) {
		pos = in_u8();
		val = in_u8();
		if (mut & 0x40)
			n = pos % (n + 1); /* truncated */
		else
			buf[pos % n] ^= val;
		/* whatever it became, a reply to the request id it carries may come */
		request = n >= DAXMR_PROTO_HDR_SIZE;
		exp = -1; /* not necessarily what it asked any more */
		s->auth_next = -1;
		if (request) {
			memcpy(&msg->hdr.request_id, buf + 16, sizeof(msg->hdr.request_id));
			msg->hdr.request_id = le64toh(msg->hdr.request_id);
		}
	}
	(void)client_send(s, buf, (uint32_t)n, msg->hdr.request_id, request, exp, msg->keys.first);
	free(msg);
}

static void ev_raw(void)
{
	struct slot *s = in_slot();
	uint8_t buf[256];
	size_t len = in_u8(), i;

	for (i = 0; i < len; i++)
		buf[i] = in_u8();
	if (!s)
		return;
	/* whatever it claims to be, a reply to its request id is allowed */
	if (len >= DAXMR_PROTO_HDR_SIZE) {
		uint64_t id;

		memcpy(&id, buf + 16, sizeof(id));
		(void)client_send(s, buf, (uint32_t)len, le64toh(id), true, -1, 0);
	} else {
		(void)client_send(s, buf, (uint32_t)len, 0, false, -1, 0);
	}
}

/* An error status for a completion (b above the success range). */
static enum ibv_wc_status in_status(uint8_t b)
{
	static const enum ibv_wc_status errs[] = {
		IBV_WC_LOC_LEN_ERR,    IBV_WC_LOC_QP_OP_ERR,	IBV_WC_LOC_PROT_ERR,
		IBV_WC_WR_FLUSH_ERR,   IBV_WC_MW_BIND_ERR,	IBV_WC_BAD_RESP_ERR,
		IBV_WC_LOC_ACCESS_ERR, IBV_WC_REM_INV_REQ_ERR,	IBV_WC_REM_ACCESS_ERR,
		IBV_WC_REM_OP_ERR,     IBV_WC_RETRY_EXC_ERR,	IBV_WC_RNR_RETRY_EXC_ERR,
		IBV_WC_FATAL_ERR,      IBV_WC_RESP_TIMEOUT_ERR, IBV_WC_GENERAL_ERR,
	};

	return b < 4 ? IBV_WC_SUCCESS : errs[b % (sizeof(errs) / sizeof(errs[0]))];
}

static void ev_fail(void)
{
	static const int errs[] = { ENOMEM, EAGAIN, EINVAL, EIO, EPERM, ENODEV, EBUSY };
	uint8_t a = in_u8(), b = in_u8();

	fake_rdma_fail((enum fake_rdma_call)(a % FAKE_RDMA_FUZZ_CALLS),
		       errs[b % (sizeof(errs) / sizeof(errs[0]))]);
}

static void ev_export_fail(void)
{
	struct fx *e = &h.exps[in_u8() % FUZZ_NEXP];

	switch (in_u8() % 5) {
	case 0:
		e->flush_err = -EIO;
		break;
	case 4:
		fake_loop_fail_add(); /* the revocation's timers cannot be armed */
		break;
	case 1:
		e->desc_err = -ENOMEM;
		break;
	case 2:
		e->release_err = -EIO;
		break;
	default:
		e->desc_err = -EAGAIN;
		break;
	}
}

static void ev_sigterm(void)
{
	size_t i;

	if (h.shutting_down)
		return;
	h.shutting_down = true;
	for (i = 0; i < FUZZ_NEXP; i++)
		if (h.exps[i].state == DAXMR_EXPORT_AVAILABLE)
			(void)daxmr_revoke_start(h.exps[i].rv, DAXMR_PROTO_REVOKE_SHUTDOWN);
	srv_exit_if_done();
}

static void ev_tick(void)
{
	uint64_t ms = (uint64_t)in_u8() * 10 + (uint64_t)in_u8() * 2560;
	size_t i;

	fake_loop_advance(ms * 1000);
	/* the server's one-second tick: handshake deadlines */
	for (i = 0; i < FUZZ_NCONN; i++)
		if (h.slots[i].conn && !h.slots[i].dead)
			(void)daxmr_conn_expire_handshake(h.slots[i].conn, daxmr_clock_ms());
}

static void run_event(uint8_t ev)
{
	struct slot *s;
	uint8_t b, c;

	switch (ev % FUZZ_SRV_NEVENTS) {
	case FUZZ_SRV_CONNECT:
		ev_connect();
		break;
	case FUZZ_SRV_ESTABLISHED:
		if ((s = in_slot()) != NULL)
			daxmr_conn_on_established(s->conn);
		break;
	case FUZZ_SRV_DISCONNECTED:
		if ((s = in_slot()) != NULL) {
			daxmr_conn_on_disconnected(s->conn);
			srv_remove(s);
		}
		break;
	case FUZZ_SRV_MSG:
		ev_msg();
		break;
	case FUZZ_SRV_RAW:
		ev_raw();
		break;
	case FUZZ_SRV_SEND_WC:
		s = in_slot();
		b = in_u8();
		if (s)
			(void)fake_rdma_complete_send(slot_qp(s), in_status(b));
		break;
	case FUZZ_SRV_RECV_WC_ERR:
		s = in_slot();
		b = in_u8();
		if (s)
			(void)fake_rdma_fail_recv(slot_qp(s), in_status((uint8_t)(b | 4)));
		break;
	case FUZZ_SRV_QP_FLUSH:
		if ((s = in_slot()) != NULL)
			fake_rdma_flush(slot_qp(s));
		break;
	case FUZZ_SRV_TICK:
		ev_tick();
		break;
	case FUZZ_SRV_LEASE_BREAK:
		b = in_u8();
		if (h.exps[b % FUZZ_NEXP].state == DAXMR_EXPORT_AVAILABLE)
			(void)daxmr_revoke_start(h.exps[b % FUZZ_NEXP].rv,
						 DAXMR_PROTO_REVOKE_LEASE_BREAK);
		break;
	case FUZZ_SRV_ESTABLISH:
		b = in_u8();
		c = in_u8();
		srv_establish(&h.exps[b % FUZZ_NEXP], c & 1, c & 2);
		break;
	case FUZZ_SRV_SIGTERM:
		ev_sigterm();
		break;
	case FUZZ_SRV_FAIL:
		ev_fail();
		break;
	case FUZZ_SRV_DISCONNECT:
		if ((s = in_slot()) != NULL)
			daxmr_conn_disconnect(s->conn);
		break;
	case FUZZ_SRV_EXPORT_FAIL:
		ev_export_fail();
		break;
	default:
		break;
	}
	drain_channel();
	reap();
}

/* ---- setup and teardown ----------------------------------------------------------------- */

static void setup(uint8_t flags)
{
	static const struct daxmr_revoke_ops rops = { .notify = rv_notify,
						      .fence = rv_fence,
						      .released = rv_released };
	size_t i;

	fake_rdma_reset(on_send, NULL);
	fake_loop_reset();
	memset(&h.exps, 0, sizeof(h.exps));
	memset(&h.slots, 0, sizeof(h.slots));
	h.mw = flags & 2;
	h.keyed = flags & 1;
	/* identities ride on a secret with the walled export (bits 0 and 3): version 4 only */
	h.ids = (flags & 1) && (flags & 8);
	h.shutting_down = false;
	h.next_port = 40000;
	h.connects = 0;
	memset(&h.key, 0x5a, sizeof(h.key));
	snprintf(h.ring_ids[0].name, sizeof(h.ring_ids[0].name), "tenant-a");
	memset(&h.ring_ids[0].key, 0xa1, sizeof(h.ring_ids[0].key));
	snprintf(h.ring_ids[1].name, sizeof(h.ring_ids[1].name), "tenant-b");
	memset(&h.ring_ids[1].key, 0xb2, sizeof(h.ring_ids[1].key));
	h.ring = (struct daxmr_auth_keyring){ h.ring_ids, 2 };
	/*
	 * lease-break-time T and --ack-budget B: the defaults (45 s: B = 1 s, W = 1.25 s), a budget
	 * past the watchdog (an operator's 30 s: W = 22.5 s fires first), a short T (1 s: B = 250
	 * ms, W = 500 ms), no budget at all (B = 0, W = 250 ms)
	 */
	static const struct {
		unsigned int t;
		int b;
	} timings[] = { { 45000, -1 }, { 45000, 30000 }, { 1000, -1 }, { 45000, 0 } };
	static const uint32_t nsegs[4][FUZZ_NEXP] = {
		{ 1, 1 }, { 3, 1 }, { 1001, 1 }, { 3, 1001 }
	};

	daxmr_revoke_opts_default(timings[(flags >> 4) & 3].t, timings[(flags >> 4) & 3].b,
				  &h.ropts);
	h.env = (struct daxmr_conn_env){
		.pd = &fake_rdma.pd,
		.cc = &fake_rdma.cc,
		.server_name = "daxmrd@fuzz",
		.key = h.keyed ? &h.key : NULL,
		.keys = h.ids ? &h.ring : NULL,
		.max_rd_atom = 16,
		.ops = { .find_name = ops_find_name,
			 .find_id = ops_find_id,
			 .nth = ops_nth,
			 .revoke_ack = ops_revoke_ack,
			 .dead = ops_dead },
	};
	for (i = 0; i < FUZZ_NEXP; i++) {
		struct fx *e = &h.exps[i];

		e->id = (uint32_t)(i + 1);
		snprintf(e->name, sizeof(e->name), "exp%zu", i);
		/*
		 * segments (bits 6-7): none, 3 of 64 KiB on the first export, 1001 of 4 KiB on the
		 * first (more than one reply's keys), 3 and 1001; the last segment is short
		 */
		e->nseg = nsegs[flags >> 6][i];
		e->seg_shift = e->nseg == 1 ? 20 : e->nseg == 3 ? 16 : DAXMR_PROTO_SEG_SHIFT_MIN;
		e->length = e->nseg == 1 ? 1 << 20 : ((uint64_t)e->nseg << e->seg_shift) - 512;
		e->ro = i == 1 && (flags & 4);
		e->walled = i == 1 && (flags & 8);
		FUZZ_CHECK(daxmr_revoke_new((struct event_base *)(void *)&h, fx_exp(e), &h.ropts,
					    &rops, e, &e->rv) == 0,
			   "daxmr_revoke_new");
		srv_establish(e, false, false);
	}
}

/* daxmr_server_delete's order: every connection deleted, then the pipelines. */
static void teardown(void)
{
	size_t i, g;

	for (i = 0; i < FUZZ_NCONN; i++)
		if (h.slots[i].conn)
			srv_remove(&h.slots[i]);
	for (i = 0; i < FUZZ_NEXP; i++) {
		struct fx *e = &h.exps[i];

		/* no REVOKE acked twice, whatever ended it (ack, CLOSE, disconnect, teardown) */
		for (g = 0; g < FUZZ_GEN_MAX; g++)
			FUZZ_CHECK(e->acked[g] <= e->sent[g],
				   "export %s generation %zu: %u REVOKEs sent, %u acked", e->name,
				   g, e->sent[g], e->acked[g]);
		(void)daxmr_revoke_delete(&e->rv);
	}
	FUZZ_CHECK(fake_rdma.live_mrs == 0 && fake_rdma.live_cqs == 0 && fake_rdma.live_qps == 0 &&
			   fake_rdma.live_ids == 0 && fake_rdma.live_mws == 0,
		   "left behind: %d MRs, %d CQs, %d QPs, %d cm_ids, %d windows", fake_rdma.live_mrs,
		   fake_rdma.live_cqs, fake_rdma.live_qps, fake_rdma.live_ids, fake_rdma.live_mws);
	FUZZ_CHECK(fake_loop_live_timers() == 0, "%u timers left", fake_loop_live_timers());
}

/* Events run over the whole process: what the long runs report (docs/testing.md). */
static uint64_t fuzz_events_run;

static void fuzz_print_events(void)
{
	fprintf(stderr, "fuzz_server: %llu events\n", (unsigned long long)fuzz_events_run);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	atexit(fuzz_print_events);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	h.p = data;
	h.end = data + size;
	daxmr_window_orphans_reset(); /* each input from the same start */
	setup(in_u8());
	check_all();
	while (h.p < h.end) {
		run_event(in_u8());
		check_all();
		fuzz_events_run++;
	}
	/* failures armed but never met must not leak into the teardown's calls */
	memset(fake_rdma.fail, 0, sizeof(fake_rdma.fail));
	teardown();
	return 0;
}
