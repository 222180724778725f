/* SPDX-License-Identifier: BSD-3-Clause */
/* conn_test.c -- unit tests of conn: dispatch over a fake transport, statuses, flow control */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "clock.h"
#include "cmreq.h"
#include "conn.h"
#include "window.h"

#define MAX_RQ 64
#define MAX_WC 512
#define MAX_SENT 128
#define NEXP 20
#define MAX_MW 40
#define MAX_MW_WR 64

/* A fake export: the test's stand-in for struct daxmr_export. */
struct fake_export {
	uint32_t id;
	uint64_t gen;
	bool ro;
	bool available; /* desc succeeds; entry lists it */
	bool listed;	/* entry succeeds */
	uint64_t length;
	int flush_ret;
	int desc_ret;	  /* forced error of desc, 0: by the rules */
	bool mw;	  /* export_window binds windows (else -EOPNOTSUPP: the MR key) */
	bool walled;	  /* its allowlist does not hold the peer's address */
	const char *only; /* its identity list holds only this identity; NULL: no list */
	bool down;	  /* UNAVAILABLE for a reason waiting will not remove */
	uint32_t nseg;	  /* segments of 1 MiB (0: one segment of the whole length) */
	char name[16];
};

/* A fake export's key of segment i for access: generation, segment and access in the bits. */
static uint32_t fake_key(const struct fake_export *e, enum daxmr_proto_access access, uint32_t i)
{
	return (uint32_t)(0x100 * e->gen + (access == DAXMR_PROTO_ACCESS_RO ? 1 : 2)) +
	       0x10000u * i;
}

/* A fake export's segment count. */
static uint32_t fake_nseg(const struct fake_export *e)
{
	return e->nseg ? e->nseg : 1;
}

/* What the fakes do and saw; zeroed before every test. */
static struct {
	struct {
		uint64_t wr_id;
		uint8_t *addr;
	} rq[MAX_RQ];
	unsigned int rq_head, rq_tail;
	struct ibv_wc wc[MAX_WC];
	unsigned int wc_head, wc_tail;
	uint8_t sent[MAX_SENT][DAXMR_PROTO_MSG_MAX];
	uint32_t sent_len[MAX_SENT];
	uint64_t sent_wr_id[MAX_SENT];
	unsigned int nsent;
	uint16_t version;	 /* the fake client's header version: the one accepted */
	uint16_t cm_min, cm_max; /* the fake client's connect range, repeated in its HELLO */
	bool hold_send_wc;
	int post_send_err, post_recv_err, notify_err, notify_fail_at, notify_calls;
	int accept_encode_err, reject_encode_err; /* the cm private-data encoders fail with these */
	int reg_mr_errno, create_cq_errno, create_qp_errno, accept_errno, disconnect_errno;
	int live_mrs, live_cqs, live_qps, live_ids;
	int rejects, accepts, disconnects;
	int ack_timeouts, ack_timeout_err, qp_logs; /* daxmr_cmreq_set_ack_timeout, _log_qp */
	uint8_t reject_pdata[DAXMR_PROTO_CM_REJECT_LIMIT];
	uint8_t reject_len;
	uint8_t accept_pdata[64];
	uint8_t accept_len;
	uint8_t responder_resources;
	int cq_events_acked;
	int acks, dead_calls, admits_calls;
	struct daxmr_export *acked_exp;
	uint64_t acked_gen;
	struct fake_export exps[NEXP];
	size_t nexps;
	/* memory windows */
	struct ibv_mw mws[MAX_MW];
	bool mw_live[MAX_MW];
	int live_mws, alloc_mw_errno, post_mw_err, window_failed, keys_calls;
	bool hold_mw_wc;		 /* BIND_MW/LOCAL_INV completions wait for flush_mw_wc */
	enum ibv_wc_status mw_wc_status; /* of the next completions */
	struct ibv_send_wr mw_wr[MAX_MW_WR];
	unsigned int nmw_wr, mw_wc_done;
	char events[64]; /* order of: D dealloc_mw, A revoke ack */
	size_t nevents;
} m;

static struct ibv_context fake_ctx, other_ctx;
static struct ibv_pd fake_pd;
static struct ibv_cq fake_cq;
static struct ibv_qp fake_qp;
static struct ibv_mr fake_mr = { .lkey = 0x55, .rkey = 0x55 };
static struct rdma_cm_id fake_id;
static struct ibv_comp_channel fake_cc;

/* ---- fake ibverbs context ops (the static-inline verbs) ---------------------------------- */

static int fake_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad)
{
	assert_ptr_equal(qp, &fake_qp);
	if (m.post_recv_err) {
		*bad = wr;
		return m.post_recv_err;
	}
	for (; wr; wr = wr->next) {
		assert_int_equal(wr->num_sge, 1);
		assert_int_equal(wr->sg_list[0].length, DAXMR_PROTO_MSG_MAX);
		assert_int_equal(wr->sg_list[0].lkey, fake_mr.lkey);
		assert_true(m.rq_tail - m.rq_head < MAX_RQ);
		m.rq[m.rq_tail % MAX_RQ].wr_id = wr->wr_id;
		m.rq[m.rq_tail % MAX_RQ].addr = (uint8_t *)(uintptr_t)wr->sg_list[0].addr;
		m.rq_tail++;
	}
	return 0;
}

static void push_wc(uint64_t wr_id, enum ibv_wc_opcode op, enum ibv_wc_status st, uint32_t len);

static void note_event(char c)
{
	assert_true(m.nevents < sizeof(m.events) - 1);
	m.events[m.nevents++] = c;
}

static struct ibv_mw *fake_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type)
{
	int i;

	assert_ptr_equal(pd, &fake_pd);
	assert_int_equal(type, IBV_MW_TYPE_2);
	if (m.alloc_mw_errno) {
		errno = m.alloc_mw_errno;
		return NULL;
	}
	for (i = 0; i < MAX_MW; i++)
		if (!m.mw_live[i]) {
			m.mw_live[i] = true;
			m.live_mws++;
			m.mws[i].context = &fake_ctx;
			m.mws[i].pd = pd;
			m.mws[i].rkey = (uint32_t)(0x1000 * (i + 1)) | 0x07;
			m.mws[i].type = IBV_MW_TYPE_2;
			return &m.mws[i];
		}
	fail();
	return NULL;
}

static int fake_dealloc_mw(struct ibv_mw *mw)
{
	long i = mw - m.mws;

	assert_true(i >= 0 && i < MAX_MW);
	assert_true(m.mw_live[i]);
	m.mw_live[i] = false;
	m.live_mws--;
	note_event('D');
	return 0;
}

/* Completes the window WRs held back by hold_mw_wc, in order. */
static void flush_mw_wc(void)
{
	for (; m.mw_wc_done < m.nmw_wr; m.mw_wc_done++)
		push_wc(m.mw_wr[m.mw_wc_done].wr_id,
			m.mw_wr[m.mw_wc_done].opcode == IBV_WR_BIND_MW ? IBV_WC_BIND_MW :
									 IBV_WC_LOCAL_INV,
			m.mw_wc_status, 0);
}

static void push_wc(uint64_t wr_id, enum ibv_wc_opcode op, enum ibv_wc_status st, uint32_t len)
{
	struct ibv_wc *wc;

	assert_true(m.wc_tail - m.wc_head < MAX_WC);
	wc = &m.wc[m.wc_tail++ % MAX_WC];
	memset(wc, 0, sizeof(*wc));
	wc->wr_id = wr_id;
	wc->opcode = op;
	wc->status = st;
	wc->byte_len = len;
}

static int fake_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad)
{
	assert_ptr_equal(qp, &fake_qp);
	if (m.post_send_err) {
		*bad = wr;
		return m.post_send_err;
	}
	if (wr->opcode == IBV_WR_BIND_MW || wr->opcode == IBV_WR_LOCAL_INV) {
		assert_true(wr->send_flags & IBV_SEND_SIGNALED);
		assert_null(wr->next);
		if (m.post_mw_err) {
			*bad = wr;
			return m.post_mw_err;
		}
		assert_true(m.nmw_wr < MAX_MW_WR);
		m.mw_wr[m.nmw_wr++] = *wr;
		if (!m.hold_mw_wc)
			flush_mw_wc();
		return 0;
	}
	assert_int_equal(wr->opcode, IBV_WR_SEND);
	assert_true(wr->send_flags & IBV_SEND_SIGNALED);
	assert_int_equal(wr->num_sge, 1);
	assert_true(wr->sg_list[0].length <= DAXMR_PROTO_MSG_MAX);
	assert_true(m.nsent < MAX_SENT);
	memcpy(m.sent[m.nsent], (void *)(uintptr_t)wr->sg_list[0].addr, wr->sg_list[0].length);
	m.sent_wr_id[m.nsent] = wr->wr_id;
	m.sent_len[m.nsent++] = wr->sg_list[0].length;
	if (!m.hold_send_wc)
		push_wc(wr->wr_id, IBV_WC_SEND, IBV_WC_SUCCESS, 0);
	return 0;
}

static int fake_poll_cq(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
	int i = 0;

	assert_ptr_equal(cq, &fake_cq);
	while (i < n && m.wc_head != m.wc_tail)
		wc[i++] = m.wc[m.wc_head++ % MAX_WC];
	return i;
}

static int fake_req_notify_cq(struct ibv_cq *cq, int solicited)
{
	assert_ptr_equal(cq, &fake_cq);
	assert_int_equal(solicited, 0);
	m.notify_calls++;
	if (m.notify_err && m.notify_calls >= m.notify_fail_at)
		return m.notify_err;
	return 0;
}

/* ---- wrapped librdmacm / ibverbs ---------------------------------------------------------- */

#undef ibv_reg_mr
struct ibv_mr *__wrap_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access);
struct ibv_mr *__wrap_ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
				       unsigned int access);
int __wrap_ibv_dereg_mr(struct ibv_mr *mr);
struct ibv_cq *__wrap_ibv_create_cq(struct ibv_context *ctx, int cqe, void *cq_context,
				    struct ibv_comp_channel *cc, int comp_vector);
int __wrap_ibv_destroy_cq(struct ibv_cq *cq);
void __wrap_ibv_ack_cq_events(struct ibv_cq *cq, unsigned int nevents);
int __wrap_rdma_reject(struct rdma_cm_id *id, const void *pdata, uint8_t len);
int __wrap_rdma_accept(struct rdma_cm_id *id, struct rdma_conn_param *param);
int __wrap_daxmr_cmreq_set_ack_timeout(const struct daxmr_cmreq *r);
void __wrap_daxmr_cmreq_log_qp(const struct daxmr_cmreq *r, struct ibv_qp *qp);
int __wrap_rdma_create_qp(struct rdma_cm_id *id, struct ibv_pd *pd, struct ibv_qp_init_attr *a);
void __wrap_rdma_destroy_qp(struct rdma_cm_id *id);
int __wrap_rdma_disconnect(struct rdma_cm_id *id);
int __wrap_rdma_destroy_id(struct rdma_cm_id *id);
int __wrap_daxmr_export_keys(struct daxmr_export *exp, enum daxmr_proto_access access,
			     uint32_t first, struct daxmr_proto_keys_reply *kr);
uint32_t __wrap_daxmr_export_nseg(const struct daxmr_export *exp);
enum daxmr_export_state __wrap_daxmr_export_state(const struct daxmr_export *exp);
bool __wrap_daxmr_export_down(const struct daxmr_export *exp);
const char *__wrap_daxmr_export_reason(const struct daxmr_export *exp);
uint32_t __wrap_daxmr_export_id(const struct daxmr_export *exp);
uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp);
int __wrap_daxmr_export_desc(struct daxmr_export *exp, enum daxmr_proto_access access,
			     struct daxmr_proto_desc *desc);
int __wrap_daxmr_export_entry(const struct daxmr_export *exp, struct daxmr_proto_export *e);
int __wrap_daxmr_export_flush(struct daxmr_export *exp, uint64_t off, uint64_t len);
int __wrap_daxmr_export_window(struct daxmr_export *exp, enum daxmr_proto_access access,
			       uint32_t seg, struct daxmr_proto_desc *desc,
			       struct ibv_mw_bind_info *bind);
void __wrap_daxmr_export_window_failed(struct daxmr_export *exp, const char *why);
const char *__wrap_daxmr_export_name(const struct daxmr_export *exp);
int __real_daxmr_proto_cm_accept_encode(const struct daxmr_proto_cm_accept *acc, void *buf,
					size_t size);
int __wrap_daxmr_proto_cm_accept_encode(const struct daxmr_proto_cm_accept *acc, void *buf,
					size_t size);
int __real_daxmr_proto_cm_reject_encode(const struct daxmr_proto_cm_reject *rej, void *buf,
					size_t size);
int __wrap_daxmr_proto_cm_reject_encode(const struct daxmr_proto_cm_reject *rej, void *buf,
					size_t size);

/* The accept private data's encoder, failable. */
int __wrap_daxmr_proto_cm_accept_encode(const struct daxmr_proto_cm_accept *acc, void *buf,
					size_t size)
{
	return m.accept_encode_err ? -m.accept_encode_err :
				     __real_daxmr_proto_cm_accept_encode(acc, buf, size);
}

/* The reject private data's encoder, failable. */
int __wrap_daxmr_proto_cm_reject_encode(const struct daxmr_proto_cm_reject *rej, void *buf,
					size_t size)
{
	return m.reject_encode_err ? -m.reject_encode_err :
				     __real_daxmr_proto_cm_reject_encode(rej, buf, size);
}
bool __wrap_daxmr_export_admits(const struct daxmr_export *exp, const struct sockaddr *sa);
bool __wrap_daxmr_export_admits_identity(const struct daxmr_export *exp, const char *identity);

struct ibv_mr *__wrap_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	assert_ptr_equal(pd, &fake_pd);
	assert_non_null(addr);
	assert_true(length > 0);
	assert_int_equal(access,
			 IBV_ACCESS_LOCAL_WRITE); /* buffers are never remotely accessible */
	if (m.reg_mr_errno) {
		errno = m.reg_mr_errno;
		return NULL;
	}
	m.live_mrs++;
	return &fake_mr;
}

struct ibv_mr *__wrap_ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
				       unsigned int access)
{
	(void)iova;
	return __wrap_ibv_reg_mr(pd, addr, length, (int)access);
}

int __wrap_ibv_dereg_mr(struct ibv_mr *mr)
{
	assert_ptr_equal(mr, &fake_mr);
	m.live_mrs--;
	return 0;
}

struct ibv_cq *__wrap_ibv_create_cq(struct ibv_context *ctx, int cqe, void *cq_context,
				    struct ibv_comp_channel *cc, int comp_vector)
{
	assert_ptr_equal(ctx, &fake_ctx);
	assert_ptr_equal(cc, &fake_cc);
	assert_non_null(cq_context); /* the connection: the server dispatches CQ events by it */
	assert_true(cqe > 0);
	assert_int_equal(comp_vector, 0);
	if (m.create_cq_errno) {
		errno = m.create_cq_errno;
		return NULL;
	}
	m.live_cqs++;
	fake_cq.cq_context = cq_context;
	return &fake_cq;
}

int __wrap_ibv_destroy_cq(struct ibv_cq *cq)
{
	assert_ptr_equal(cq, &fake_cq);
	m.live_cqs--;
	return 0;
}

void __wrap_ibv_ack_cq_events(struct ibv_cq *cq, unsigned int nevents)
{
	assert_ptr_equal(cq, &fake_cq);
	m.cq_events_acked += (int)nevents;
}

int __wrap_rdma_reject(struct rdma_cm_id *id, const void *pdata, uint8_t len)
{
	assert_ptr_equal(id, &fake_id);
	m.rejects++;
	m.reject_len = len;
	if (len)
		memcpy(m.reject_pdata, pdata, len);
	return 0;
}

/* The QP's ACK timeout: set on the accepted id, before the accept moves the QP to RTS. */
int __wrap_daxmr_cmreq_set_ack_timeout(const struct daxmr_cmreq *r)
{
	assert_ptr_equal(r->id, &fake_id);
	assert_int_equal(m.accepts, 0);
	m.ack_timeouts++;
	return m.ack_timeout_err;
}

void __wrap_daxmr_cmreq_log_qp(const struct daxmr_cmreq *r, struct ibv_qp *qp)
{
	assert_ptr_equal(r->id, &fake_id);
	assert_ptr_equal(qp, &fake_qp);
	assert_int_equal(m.accepts, 1); /* after the accept: the QP is in RTS */
	m.qp_logs++;
}

int __wrap_rdma_accept(struct rdma_cm_id *id, struct rdma_conn_param *param)
{
	assert_ptr_equal(id, &fake_id);
	assert_non_null(id->context);
	assert_int_equal(m.ack_timeouts, 1);
	if (m.accept_errno) {
		errno = m.accept_errno;
		return -1;
	}
	m.accepts++;
	m.accept_len = param->private_data_len;
	memcpy(m.accept_pdata, param->private_data, param->private_data_len);
	m.responder_resources = param->responder_resources;
	return 0;
}

int __wrap_rdma_create_qp(struct rdma_cm_id *id, struct ibv_pd *pd, struct ibv_qp_init_attr *a)
{
	assert_ptr_equal(id, &fake_id);
	assert_ptr_equal(pd, &fake_pd);
	assert_ptr_equal(a->send_cq, &fake_cq);
	assert_ptr_equal(a->recv_cq, &fake_cq);
	assert_int_equal(a->qp_type, IBV_QPT_RC);
	assert_true(a->cap.max_recv_wr >= DAXMR_CONN_CREDITS + DAXMR_CONN_HOLD_MAX);
	if (m.create_qp_errno) {
		errno = m.create_qp_errno;
		return -1;
	}
	m.live_qps++;
	id->qp = &fake_qp;
	return 0;
}

void __wrap_rdma_destroy_qp(struct rdma_cm_id *id)
{
	assert_ptr_equal(id, &fake_id);
	m.live_qps--;
	id->qp = NULL;
}

int __wrap_rdma_disconnect(struct rdma_cm_id *id)
{
	assert_ptr_equal(id, &fake_id);
	m.disconnects++;
	if (m.disconnect_errno) {
		errno = m.disconnect_errno;
		return -1;
	}
	return 0;
}

int __wrap_rdma_destroy_id(struct rdma_cm_id *id)
{
	assert_ptr_equal(id, &fake_id);
	m.live_ids--;
	return 0;
}

/* ---- wrapped export ------------------------------------------------------------------------ */

static struct fake_export *fx(const struct daxmr_export *exp)
{
	return (struct fake_export *)(uintptr_t)exp;
}

uint32_t __wrap_daxmr_export_id(const struct daxmr_export *exp)
{
	return fx(exp)->id;
}

uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp)
{
	return fx(exp)->gen;
}

int __wrap_daxmr_export_desc(struct daxmr_export *exp, enum daxmr_proto_access access,
			     struct daxmr_proto_desc *desc)
{
	struct fake_export *e = fx(exp);

	if (e->desc_ret)
		return e->desc_ret;
	if (access == DAXMR_PROTO_ACCESS_RW && e->ro)
		return -EACCES;
	if (!e->available)
		return -EAGAIN;
	memset(desc, 0, sizeof(*desc));
	desc->export_id = e->id;
	desc->generation = e->gen;
	desc->addr = 0x10000;
	desc->length = e->length;
	desc->access = access;
	desc->memory = DAXMR_PROTO_MEMORY_FSDAX;
	desc->registration = DAXMR_PROTO_REG_ODP;
	desc->key_kind = DAXMR_PROTO_KEY_MR;
	desc->seg_shift = 20; /* fake exports have segments of 1 MiB */
	desc->nseg = fake_nseg(e);
	desc->nkeys =
		(uint16_t)(desc->nseg < DAXMR_PROTO_KEYS_MAX ? desc->nseg : DAXMR_PROTO_KEYS_MAX);
	for (uint16_t i = 0; i < desc->nkeys; i++)
		desc->keys[i] = fake_key(e, access, i);
	desc->rkey = desc->keys[0];
	return 0;
}

int __wrap_daxmr_export_keys(struct daxmr_export *exp, enum daxmr_proto_access access,
			     uint32_t first, struct daxmr_proto_keys_reply *kr)
{
	struct fake_export *e = fx(exp);
	uint32_t n;

	m.keys_calls++;
	if (access == DAXMR_PROTO_ACCESS_RW && e->ro)
		return -EACCES;
	if (!e->available)
		return -EAGAIN;
	if (first >= fake_nseg(e))
		return -ERANGE;
	n = fake_nseg(e) - first;
	kr->first = first;
	kr->count = (uint16_t)(n < DAXMR_PROTO_KEYS_MAX ? n : DAXMR_PROTO_KEYS_MAX);
	for (uint16_t i = 0; i < kr->count; i++)
		kr->keys[i] = fake_key(e, access, first + i);
	return 0;
}

uint32_t __wrap_daxmr_export_nseg(const struct daxmr_export *exp)
{
	return fake_nseg(fx(exp));
}

enum daxmr_export_state __wrap_daxmr_export_state(const struct daxmr_export *exp)
{
	const struct fake_export *e = fx(exp);

	return e->available ? DAXMR_EXPORT_AVAILABLE : DAXMR_EXPORT_UNAVAILABLE;
}

bool __wrap_daxmr_export_down(const struct daxmr_export *exp)
{
	return !fx(exp)->available && fx(exp)->down;
}

const char *__wrap_daxmr_export_reason(const struct daxmr_export *exp)
{
	return fx(exp)->down ? "the file has a hole at offset 8192" : "";
}

static struct ibv_mr fake_export_mr = { .lkey = 0x77, .rkey = 0x77 };

/* The fake export's segment MRs (segment i's window binds over fake_seg_mr[i]). */
static struct ibv_mr fake_seg_mr[DAXMR_EXPORT_MW_SEGS_MAX];

int __wrap_daxmr_export_window(struct daxmr_export *exp, enum daxmr_proto_access access,
			       uint32_t seg, struct daxmr_proto_desc *desc,
			       struct ibv_mw_bind_info *bind)
{
	struct fake_export *e = fx(exp);
	uint32_t nseg = fake_nseg(e);

	if (access == DAXMR_PROTO_ACCESS_RW && e->ro)
		return -EACCES;
	if (!e->available)
		return -EAGAIN;
	if (!e->mw || nseg > DAXMR_EXPORT_MW_SEGS_MAX)
		return -EOPNOTSUPP;
	if (seg >= nseg)
		return -ERANGE;
	memset(desc, 0, sizeof(*desc));
	desc->export_id = e->id;
	desc->generation = e->gen;
	desc->addr = 0x10000;
	desc->length = e->length;
	desc->access = access;
	desc->memory = DAXMR_PROTO_MEMORY_FSDAX;
	desc->registration = DAXMR_PROTO_REG_ODP;
	desc->key_kind = DAXMR_PROTO_KEY_MW;
	desc->seg_shift = 20;
	desc->nseg = nseg;
	desc->nkeys = (uint16_t)nseg;
	bind->mr = nseg == 1 ? &fake_export_mr : &fake_seg_mr[seg];
	bind->addr = 0x10000 + ((uint64_t)seg << 20);
	bind->length = nseg == 1 ? e->length : 1u << 20;
	bind->mw_access_flags = access == DAXMR_PROTO_ACCESS_RW ?
					IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE :
					IBV_ACCESS_REMOTE_READ;
	return 0;
}

void __wrap_daxmr_export_window_failed(struct daxmr_export *exp, const char *why)
{
	(void)exp;
	assert_non_null(why);
	m.window_failed++;
}

const char *__wrap_daxmr_export_name(const struct daxmr_export *exp)
{
	return fx(exp)->name;
}

bool __wrap_daxmr_export_admits_identity(const struct daxmr_export *exp, const char *identity)
{
	return !fx(exp)->only || strcmp(fx(exp)->only, identity) == 0;
}

bool __wrap_daxmr_export_admits(const struct daxmr_export *exp, const struct sockaddr *sa)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	/* the allowlist is checked against the client's address, not ours */
	assert_non_null(sa);
	assert_int_equal(sa->sa_family, AF_INET);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x0a00020f);
	m.admits_calls++;
	return !fx(exp)->walled;
}

int __wrap_daxmr_export_entry(const struct daxmr_export *exp, struct daxmr_proto_export *entry)
{
	const struct fake_export *e = fx(exp);

	if (!e->listed)
		return -EAGAIN;
	memset(entry, 0, sizeof(*entry));
	entry->export_id = e->id;
	entry->generation = e->gen;
	entry->length = e->length;
	entry->access = e->ro ? DAXMR_PROTO_ACCESS_RO : DAXMR_PROTO_ACCESS_RW;
	entry->memory = DAXMR_PROTO_MEMORY_FSDAX;
	entry->registration = DAXMR_PROTO_REG_ODP;
	strcpy(entry->name, e->name);
	return 0;
}

int __wrap_daxmr_export_flush(struct daxmr_export *exp, uint64_t off, uint64_t len)
{
	struct fake_export *e = fx(exp);

	if (e->flush_ret)
		return e->flush_ret;
	if (off > e->length || len > e->length - off)
		return -ERANGE;
	return 0;
}

/* ---- the server's side (conn ops) --------------------------------------------------------- */

static struct daxmr_export *ops_find_name(void *arg, const char *name)
{
	size_t i;

	(void)arg;
	for (i = 0; i < m.nexps; i++)
		if (strcmp(m.exps[i].name, name) == 0)
			return (struct daxmr_export *)&m.exps[i];
	return NULL;
}

static struct daxmr_export *ops_find_id(void *arg, uint32_t id)
{
	size_t i;

	(void)arg;
	for (i = 0; i < m.nexps; i++)
		if (m.exps[i].id == id)
			return (struct daxmr_export *)&m.exps[i];
	return NULL;
}

static struct daxmr_export *ops_nth(void *arg, size_t i)
{
	(void)arg;
	return i < m.nexps ? (struct daxmr_export *)&m.exps[i] : NULL;
}

static void ops_revoke_ack(void *arg, struct daxmr_export *exp, uint64_t gen)
{
	(void)arg;
	m.acks++;
	note_event('A');
	m.acked_exp = exp;
	m.acked_gen = gen;
}

static void ops_dead(void *arg, struct daxmr_conn *conn)
{
	(void)arg;
	(void)conn;
	m.dead_calls++;
}

static const struct daxmr_conn_env env = {
	.pd = &fake_pd,
	.cc = &fake_cc,
	.server_name = "daxmrd@test",
	.max_rd_atom = 16,
	.ops = { .find_name = ops_find_name,
		 .find_id = ops_find_id,
		 .nth = ops_nth,
		 .revoke_ack = ops_revoke_ack,
		 .dead = ops_dead },
	.arg = NULL,
};

/* ---- helpers -------------------------------------------------------------------------------- */

static void add_export(const char *name, uint64_t gen, bool ro, bool available)
{
	struct fake_export *e = &m.exps[m.nexps];

	e->id = (uint32_t)(m.nexps + 1);
	e->gen = gen;
	e->ro = ro;
	e->available = available;
	e->listed = available;
	e->length = 1 << 20;
	strcpy(e->name, name);
	m.nexps++;
}

static void reset(void)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&fake_id.route.addr.dst_addr;

	memset(&m, 0, sizeof(m));
	daxmr_window_orphans_reset(); /* the device's window keys start over with the fakes */
	memset(&fake_id, 0, sizeof(fake_id));
	memset(&fake_cq, 0, sizeof(fake_cq));
	memset(&fake_qp, 0, sizeof(fake_qp));
	fake_ctx.ops.post_send = fake_post_send;
	fake_ctx.ops.post_recv = fake_post_recv;
	fake_ctx.ops.poll_cq = fake_poll_cq;
	fake_ctx.ops.req_notify_cq = fake_req_notify_cq;
	fake_ctx.ops.alloc_mw = fake_alloc_mw;
	fake_ctx.ops.dealloc_mw = fake_dealloc_mw;
	fake_pd.context = &fake_ctx;
	fake_cq.context = &fake_ctx;
	fake_qp.context = &fake_ctx;
	fake_id.verbs = &fake_ctx;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	sin->sin_addr.s_addr = htonl(0x0a00020f);
	m.live_ids = 1;
	m.version = 1;
}

static unsigned int rq_posted(void)
{
	return m.rq_tail - m.rq_head;
}

static size_t cm_connect(uint16_t vmin, uint16_t vmax, uint8_t *buf)
{
	struct daxmr_proto_cm_connect c = { .version_min = vmin, .version_max = vmax };
	int n = daxmr_proto_cm_connect_encode(&c, buf, 56);

	assert_int_equal(n, DAXMR_PROTO_CM_CONNECT_SIZE);
	return (size_t)n;
}

/* A connection accepted under e for a client speaking vmin..vmax, at version want. */
static struct daxmr_conn *make_conn_env(const struct daxmr_conn_env *e, uint16_t vmin,
					uint16_t vmax, uint16_t want)
{
	struct rdma_conn_param req = { .responder_resources = 4, .initiator_depth = 4 };
	struct daxmr_proto_cm_accept acc;
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56];
	size_t n = cm_connect(vmin, vmax, pdata);

	assert_int_equal(daxmr_conn_new(e, &fake_id, pdata, n, &req, &conn), 0);
	assert_non_null(conn);
	assert_int_equal(m.accepts, 1);
	assert_int_equal(daxmr_proto_cm_accept_decode(m.accept_pdata, m.accept_len, &acc), 0);
	assert_int_equal(acc.version, want);
	m.version = want;
	m.cm_min = vmin;
	m.cm_max = vmax;
	assert_int_equal(acc.credits, DAXMR_CONN_CREDITS);
	assert_int_equal(m.responder_resources, 4);
	assert_int_equal(rq_posted(), DAXMR_CONN_CREDITS);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_ACCEPTING);
	assert_ptr_equal(fake_id.context, conn);
	daxmr_conn_on_established(conn);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_WAIT_HELLO);
	return conn;
}

/* An accepted version-1 connection without a secret. */
static struct daxmr_conn *make_conn(void)
{
	return make_conn_env(&env, 1, 1, 1);
}

/* Deletes the connection and checks nothing leaked. */
static void drop_conn(struct daxmr_conn **conn)
{
	assert_int_equal(daxmr_conn_delete(conn), 0);
	assert_null(*conn);
	assert_int_equal(m.live_mrs, 0);
	assert_int_equal(m.live_cqs, 0);
	assert_int_equal(m.live_qps, 0);
	assert_int_equal(m.live_ids, 0);
	assert_int_equal(m.live_mws, 0);
}

/* The client's SEND lands in the oldest posted receive; the completion is dispatched. */
static void deliver(struct daxmr_conn *conn, const void *buf, size_t len)
{
	unsigned int i;

	assert_true(rq_posted() > 0);
	i = m.rq_head++ % MAX_RQ;
	memcpy(m.rq[i].addr, buf, len);
	push_wc(m.rq[i].wr_id, IBV_WC_RECV, IBV_WC_SUCCESS, (uint32_t)len);
	daxmr_conn_on_cq_event(conn);
}

static uint64_t next_req_id = 100;

/* Encodes msg as the client would and delivers it. */
static void deliver_msg(struct daxmr_conn *conn, struct daxmr_proto_msg *msg)
{
	uint8_t buf[DAXMR_PROTO_MSG_MAX];
	int n;

	msg->hdr.version = m.version;
	if (!msg->hdr.request_id)
		msg->hdr.request_id = ++next_req_id;
	n = daxmr_proto_msg_encode(msg, buf, sizeof(buf));
	assert_true(n > 0);
	deliver(conn, buf, (size_t)n);
}

/* The i-th message the server sent (negative: from the end), decoded. */
static void sent_msg(int i, struct daxmr_proto_msg *out)
{
	unsigned int k = i < 0 ? (unsigned int)((int)m.nsent + i) : (unsigned int)i;

	assert_true(k < m.nsent);
	assert_int_equal(daxmr_proto_msg_decode(m.sent[k], m.sent_len[k], out), 0);
}

/* The last message sent is the reply to request req_id with status st, decoded into *rep. */
static void expect_reply(uint64_t req_id, enum daxmr_proto_status st, struct daxmr_proto_msg *rep)
{
	sent_msg(-1, rep);
	assert_true(rep->hdr.flags & DAXMR_PROTO_F_REPLY);
	assert_int_equal(rep->hdr.request_id, req_id);
	assert_int_equal(rep->hdr.status, st);
}

/* Sends a request and returns the status of its reply (checking request id and REPLY). */
static enum daxmr_proto_status request(struct daxmr_conn *conn, struct daxmr_proto_msg *req,
				       struct daxmr_proto_msg *reply)
{
	struct daxmr_proto_msg r;
	unsigned int before = m.nsent;

	req->hdr.request_id = 0;
	deliver_msg(conn, req);
	assert_int_equal(m.nsent, before + 1);
	sent_msg(-1, reply ? reply : &r);
	if (!reply)
		reply = &r;
	assert_int_equal(reply->hdr.opcode, req->hdr.opcode);
	assert_true(reply->hdr.flags & DAXMR_PROTO_F_REPLY);
	assert_int_equal(reply->hdr.request_id, req->hdr.request_id);
	/* the request's receive was reposted before the reply went out */
	assert_true(rq_posted() >= DAXMR_CONN_CREDITS);
	return reply->hdr.status;
}

/* HELLO repeating the connect range; returns the reply's status, the reply in *rep. */
static enum daxmr_proto_status hello_reply(struct daxmr_conn *conn, struct daxmr_proto_msg *rep)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_HELLO };

	req.hello.version_min = m.cm_min;
	req.hello.version_max = m.cm_max;
	strcpy(req.hello.name, "client@test");
	return request(conn, &req, rep);
}

/* HELLO to a server without a secret: READY at once, no AUTH asked. */
static void hello(struct daxmr_conn *conn)
{
	struct daxmr_proto_msg rep;

	assert_int_equal(hello_reply(conn, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.hello_reply.version, m.version);
	assert_int_equal(rep.hello_reply.flags, 0);
	assert_string_equal(rep.hello_reply.name, "daxmrd@test");
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
}

static enum daxmr_proto_status do_open(struct daxmr_conn *conn, const char *name,
				       enum daxmr_proto_access access,
				       struct daxmr_proto_desc *desc)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_OPEN }, rep;
	enum daxmr_proto_status st;

	req.open.access = access;
	strcpy(req.open.name, name);
	st = request(conn, &req, &rep);
	if (st == DAXMR_PROTO_STATUS_OK && desc)
		*desc = rep.desc;
	return st;
}

static enum daxmr_proto_status do_ref(struct daxmr_conn *conn, enum daxmr_proto_opcode op,
				      uint32_t id, uint64_t gen)
{
	struct daxmr_proto_msg req = { .hdr.opcode = op };

	req.close.export_id = id;
	req.close.generation = gen;
	return request(conn, &req, NULL);
}

static enum daxmr_proto_status do_flush(struct daxmr_conn *conn, uint32_t id, uint64_t gen,
					uint64_t off, uint64_t len)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_FLUSH };

	req.flush.export_id = id;
	req.flush.generation = gen;
	req.flush.offset = off;
	req.flush.length = len;
	return request(conn, &req, NULL);
}

/* A READY connection of version want (client range vmin..vmax) with exports a, r, gone. */
static struct daxmr_conn *ready_conn_v(uint16_t vmin, uint16_t vmax, uint16_t want)
{
	struct daxmr_conn *conn;

	reset();
	add_export("a", 1, false, true);
	add_export("r", 1, true, true);
	add_export("gone", 3, false, false);
	conn = make_conn_env(&env, vmin, vmax, want);
	hello(conn);
	return conn;
}

static struct daxmr_conn *ready_conn(void)
{
	return ready_conn_v(1, 1, 1);
}

/* ---- tests: accept ------------------------------------------------------------------------ */

/* One reject with status want and the server's range vmin..VERSION_MAX; nothing leaked. */
static void check_reject_range(enum daxmr_proto_status want, uint16_t vmin)
{
	struct daxmr_proto_cm_reject rej;

	assert_int_equal(m.rejects, 1);
	assert_int_equal(m.accepts, 0);
	assert_int_equal(daxmr_proto_cm_reject_decode(m.reject_pdata, m.reject_len, &rej), 0);
	assert_int_equal(rej.status, want);
	assert_int_equal(rej.version_min, vmin);
	assert_int_equal(rej.version_max, DAXMR_PROTO_VERSION_MAX);
	assert_int_equal(m.live_mrs, 0);
	assert_int_equal(m.live_cqs, 0);
	assert_int_equal(m.live_qps, 0);
	assert_int_equal(m.live_ids, 1); /* the caller destroys it */
}

/* A reject by a server without a secret: its range is all this build speaks. */
static void check_reject(enum daxmr_proto_status want)
{
	check_reject_range(want, DAXMR_PROTO_VERSION_MIN);
}

static void conn_new__ok_and_delete(void **state)
{
	struct daxmr_conn *conn;

	(void)state;
	reset();
	add_export("a", 1, false, true); /* without one that admits it, the client is rejected */
	conn = make_conn();
	assert_int_equal(daxmr_conn_holds(conn), 0);
	assert_ptr_equal(daxmr_conn_id(conn), &fake_id);
	drop_conn(&conn);
	assert_int_equal(daxmr_conn_delete(NULL), 0);
	assert_int_equal(daxmr_conn_delete(&conn), 0);
}

/* A device that refuses our ACK timeout still gets the connection (rdma_cm's timeout). */
static void conn_new__rdma_set_option_fails_still_accepts(void **state)
{
	struct daxmr_conn *conn;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	m.ack_timeout_err = -ENOSYS;
	conn = make_conn();
	assert_int_equal(m.ack_timeouts, 1);
	assert_int_equal(m.accepts, 1);
	assert_int_equal(m.qp_logs, 1);
	drop_conn(&conn);
}

static void conn_new__bad_private_data(void **state)
{
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	(void)state;
	reset();
	assert_int_not_equal(daxmr_conn_new(&env, &fake_id, pdata, 8, NULL, &conn), 0);
	assert_null(conn);
	check_reject(DAXMR_PROTO_STATUS_BAD_MESSAGE);
	reset();
	assert_int_not_equal(daxmr_conn_new(&env, &fake_id, NULL, 0, NULL, &conn), 0);
	check_reject(DAXMR_PROTO_STATUS_BAD_MESSAGE);
	reset();
	assert_int_not_equal(daxmr_conn_new(&env, &fake_id, pdata, 3, NULL, &conn), 0);
	check_reject(DAXMR_PROTO_STATUS_BAD_MESSAGE);
}

static void conn_new__no_common_version(void **state)
{
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56];
	size_t n;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	n = cm_connect(DAXMR_PROTO_VERSION_MAX + 1, DAXMR_PROTO_VERSION_MAX + 4, pdata);
	assert_int_equal(daxmr_conn_new(&env, &fake_id, pdata, n, NULL, &conn), -EPROTONOSUPPORT);
	assert_null(conn);
	check_reject(DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION);
}

static void conn_new__other_device(void **state)
{
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56];
	size_t n;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	fake_id.verbs = &other_ctx;
	n = cm_connect(1, 1, pdata);
	assert_int_equal(daxmr_conn_new(&env, &fake_id, pdata, n, NULL, &conn), -ENODEV);
	check_reject(DAXMR_PROTO_STATUS_BUSY);
}

static void conn_new__padded_private_data_accepted(void **state)
{
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56] = { 0 };

	(void)state;
	reset();
	add_export("a", 1, false, true);
	cm_connect(1, 3, pdata);
	assert_int_equal(daxmr_conn_new(&env, &fake_id, pdata, sizeof(pdata), NULL, &conn), 0);
	assert_int_equal(m.responder_resources, 16); /* none asked: the device's maximum */
	drop_conn(&conn);
}

/* One failing call of the accept path: rejected BUSY (or not, for accept), nothing leaked. */
static void new_fails_status(int *knob, int err, bool rejected, enum daxmr_proto_status status)
{
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56];
	size_t n;

	reset();
	add_export("a", 1, false, true);
	*knob = err;
	n = cm_connect(1, 1, pdata);
	assert_int_equal(daxmr_conn_new(&env, &fake_id, pdata, n, NULL, &conn), -err);
	assert_null(conn);
	if (rejected) {
		check_reject(status);
	} else {
		assert_int_equal(m.rejects, 0);
		assert_int_equal(m.live_mrs + m.live_cqs + m.live_qps, 0);
	}
}

/* A failed set-up step: the client is rejected as BUSY (or not at all). */
static void new_fails(int *knob, int err, bool rejected)
{
	new_fails_status(knob, err, rejected, DAXMR_PROTO_STATUS_BUSY);
}

/* RLIMIT_MEMLOCK (ENOMEM from pinning): no "try again later", the limit must change. */
static void conn_new__ibv_reg_mr_fails(void **state)
{
	(void)state;
	new_fails_status(&m.reg_mr_errno, ENOMEM, true, DAXMR_PROTO_STATUS_INTERNAL);
}

/* Another registration failure is a passing shortage: BUSY. */
static void conn_new__ibv_reg_mr_EINVAL(void **state)
{
	(void)state;
	new_fails(&m.reg_mr_errno, EINVAL, true);
}

static void conn_new__ibv_create_cq_fails(void **state)
{
	(void)state;
	new_fails(&m.create_cq_errno, EINVAL, true);
}

static void conn_new__rdma_create_qp_fails(void **state)
{
	(void)state;
	new_fails(&m.create_qp_errno, ENOMEM, true);
}

static void conn_new__ibv_post_recv_fails(void **state)
{
	(void)state;
	new_fails(&m.post_recv_err, ENOMEM, true);
}

static void conn_new__ibv_req_notify_cq_fails(void **state)
{
	(void)state;
	m.notify_fail_at = 1;
	new_fails(&m.notify_err, EIO, true);
}

static void conn_new__rdma_accept_fails(void **state)
{
	(void)state;
	new_fails(&m.accept_errno, ECONNREFUSED, false);
}

/* ---- tests: dispatch ---------------------------------------------------------------------- */

static void hello__ok_then_second_BAD_STATE(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_HELLO };
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	req.hello.version_min = 1;
	req.hello.version_max = 1;
	strcpy(req.hello.name, "again");
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_BAD_STATE);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	drop_conn(&conn);
}

static void hello__range_differs_from_connect_UNSUPPORTED_VERSION(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_HELLO };
	struct daxmr_conn *conn;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	conn = make_conn();
	req.hello.version_min = 1;
	req.hello.version_max = 2; /* the connect data said 1..1 */
	strcpy(req.hello.name, "c");
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_WAIT_HELLO);
	hello(conn); /* and a right one still works */
	drop_conn(&conn);
}

static void request_before_hello__BAD_STATE(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_LIST };
	struct daxmr_conn *conn;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	conn = make_conn();
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_BAD_STATE);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RO, NULL),
			 DAXMR_PROTO_STATUS_BAD_STATE);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

static void first_receive_before_established(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_HELLO };
	struct rdma_conn_param p = { 0 };
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56];
	size_t n;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	n = cm_connect(1, 1, pdata);
	assert_int_equal(daxmr_conn_new(&env, &fake_id, pdata, n, &p, &conn), 0);
	req.hello.version_min = req.hello.version_max = 1;
	strcpy(req.hello.name, "fast");
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_OK);
	daxmr_conn_on_established(conn); /* late: changes nothing */
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	drop_conn(&conn);
}

/* A bad first message before ESTABLISHED: disconnect, and again once established. */
static void bad_first_receive_before_established(void **state)
{
	struct rdma_conn_param p = { 0 };
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56], junk[10] = { 0 };
	size_t n;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	n = cm_connect(1, 1, pdata);
	assert_int_equal(daxmr_conn_new(&env, &fake_id, pdata, n, &p, &conn), 0);
	deliver(conn, junk, sizeof(junk));
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	assert_int_equal(m.disconnects, 1);
	daxmr_conn_on_established(conn);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	assert_int_equal(m.disconnects, 2);
	drop_conn(&conn);
}

static void list__pages_of_14_with_MORE(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_LIST }, rep;
	struct daxmr_conn *conn;
	char name[16];
	int i;

	(void)state;
	reset();
	for (i = 0; i < NEXP; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		add_export(name, 1, false, i != 3); /* e3 is not established: not listed */
	}
	conn = make_conn();
	hello(conn);
	req.list.start = 0;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.list_reply.start, 0);
	assert_int_equal(rep.list_reply.count, DAXMR_PROTO_LIST_MAX);
	assert_int_equal(rep.list_reply.flags, DAXMR_PROTO_LIST_F_MORE);
	assert_string_equal(rep.list_reply.entries[2].name, "e2");
	assert_string_equal(rep.list_reply.entries[3].name, "e4");
	req.list.start = DAXMR_PROTO_LIST_MAX;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.list_reply.count, NEXP - 1 - DAXMR_PROTO_LIST_MAX);
	assert_int_equal(rep.list_reply.flags, 0);
	assert_string_equal(rep.list_reply.entries[0].name, "e15");
	req.list.start = 1000;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.list_reply.count, 0);
	assert_int_equal(rep.list_reply.flags, 0);
	drop_conn(&conn);
}

static void open__statuses(void **state)
{
	struct daxmr_conn *conn = ready_conn();
	struct daxmr_proto_desc d;

	(void)state;
	assert_int_equal(do_open(conn, "nope", DAXMR_PROTO_ACCESS_RO, NULL),
			 DAXMR_PROTO_STATUS_NO_SUCH_EXPORT);
	assert_int_equal(do_open(conn, "r", DAXMR_PROTO_ACCESS_RW, NULL),
			 DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(do_open(conn, "gone", DAXMR_PROTO_ACCESS_RO, NULL),
			 DAXMR_PROTO_STATUS_REVOKING);
	m.exps[0].desc_ret = -ENOMEM;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RO, NULL),
			 DAXMR_PROTO_STATUS_INTERNAL);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	m.exps[0].desc_ret = 0;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RO, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.export_id, 1);
	assert_int_equal(d.generation, 1);
	assert_int_equal(d.access, DAXMR_PROTO_ACCESS_RO);
	assert_int_equal(d.rkey, 0x101);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.rkey, 0x102);
	assert_int_equal(daxmr_conn_holds(conn), 1); /* one descriptor per export */
	assert_int_equal(do_open(conn, "r", DAXMR_PROTO_ACCESS_RO, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_holds(conn), 2);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

static void open__hold_limit_BUSY(void **state)
{
	struct daxmr_conn *conn;
	char name[16];
	int i;

	(void)state;
	reset();
	for (i = 0; i < DAXMR_CONN_HOLD_MAX + 1; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		add_export(name, 1, false, true);
	}
	conn = make_conn();
	hello(conn);
	for (i = 0; i < DAXMR_CONN_HOLD_MAX; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		assert_int_equal(do_open(conn, name, DAXMR_PROTO_ACCESS_RW, NULL),
				 DAXMR_PROTO_STATUS_OK);
	}
	snprintf(name, sizeof(name), "e%d", DAXMR_CONN_HOLD_MAX);
	assert_int_equal(do_open(conn, name, DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_BUSY);
	assert_int_equal(do_open(conn, "e0", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	drop_conn(&conn);
}

static void close__statuses(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 99, 1),
			 DAXMR_PROTO_STATUS_NO_SUCH_EXPORT);
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 1), DAXMR_PROTO_STATUS_NOT_OPEN);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 2),
			 DAXMR_PROTO_STATUS_STALE_GENERATION);
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 1), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 1), DAXMR_PROTO_STATUS_NOT_OPEN);
	assert_int_equal(m.acks, 0);
	drop_conn(&conn);
}

static void flush__statuses(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	assert_int_equal(do_flush(conn, 99, 1, 0, 1), DAXMR_PROTO_STATUS_NO_SUCH_EXPORT);
	assert_int_equal(do_flush(conn, 1, 1, 0, 1), DAXMR_PROTO_STATUS_NOT_OPEN);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_flush(conn, 1, 1, 0, 1 << 20), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_flush(conn, 1, 1, 4096, 0), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_flush(conn, 1, 1, 1, 1 << 20), DAXMR_PROTO_STATUS_OUT_OF_RANGE);
	assert_int_equal(do_flush(conn, 1, 1, (1 << 20) + 1, 0), DAXMR_PROTO_STATUS_OUT_OF_RANGE);
	assert_int_equal(do_flush(conn, 1, 2, 0, 1), DAXMR_PROTO_STATUS_STALE_GENERATION);
	m.exps[0].flush_ret = -EIO;
	assert_int_equal(do_flush(conn, 1, 1, 0, 1), DAXMR_PROTO_STATUS_INTERNAL);
	m.exps[0].flush_ret = 0;
	m.exps[0].gen = 2; /* re-registered behind the descriptor's back */
	assert_int_equal(do_flush(conn, 1, 1, 0, 1), DAXMR_PROTO_STATUS_STALE_GENERATION);
	drop_conn(&conn);
}

static void flush__wrapping_range_OUT_OF_RANGE(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_FLUSH };
	struct daxmr_conn *conn = ready_conn();
	uint8_t buf[64];
	int n;

	(void)state;
	req.hdr.version = 1;
	req.hdr.request_id = 5;
	req.flush.export_id = 1;
	req.flush.generation = 1;
	req.flush.offset = 16;
	req.flush.length = 16;
	n = daxmr_proto_msg_encode(&req, buf, sizeof(buf));
	assert_true(n > 0);
	memset(buf + 24 + 20, 0xff, 8); /* length = 2^64 - 1: wraps */
	deliver(conn, buf, (size_t)n);
	sent_msg(-1, &req);
	assert_int_equal(req.hdr.status, DAXMR_PROTO_STATUS_OUT_OF_RANGE);
	assert_int_equal(req.hdr.request_id, 5);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

/* ---- tests: malformed input ---------------------------------------------------------------- */

static void expect_error_and_disconnect(enum daxmr_proto_status st)
{
	struct daxmr_proto_msg err;

	assert_true(m.nsent >= 1);
	sent_msg(-1, &err);
	assert_int_equal(err.hdr.opcode, DAXMR_PROTO_OP_ERROR);
	assert_int_equal(err.hdr.status, st);
	assert_int_equal(err.hdr.request_id, 0);
	assert_int_equal(m.disconnects, 1);
}

static void malformed__bad_magic_ERROR_disconnect(void **state)
{
	struct daxmr_conn *conn = ready_conn();
	uint8_t buf[24] = { 0x44, 0x58, 0x4d, 0x53, 1, 0, 2, 0 };

	(void)state;
	deliver(conn, buf, sizeof(buf));
	expect_error_and_disconnect(DAXMR_PROTO_STATUS_BAD_MESSAGE);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	/* after the disconnect nothing more is answered */
	deliver(conn, buf, sizeof(buf));
	assert_int_equal(m.disconnects, 1);
	drop_conn(&conn);
}

static void malformed__short_and_unknown_opcode(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_LIST };
	struct daxmr_conn *conn = ready_conn();
	uint8_t buf[64];
	int n;

	(void)state;
	deliver(conn, "DXMR", 4);
	expect_error_and_disconnect(DAXMR_PROTO_STATUS_BAD_MESSAGE);
	drop_conn(&conn);

	conn = ready_conn();
	req.hdr.version = 1;
	n = daxmr_proto_msg_encode(&req, buf, sizeof(buf));
	buf[6] = 0x11; /* AUTH range: unknown in version 1 */
	deliver(conn, buf, (size_t)n);
	expect_error_and_disconnect(DAXMR_PROTO_STATUS_UNKNOWN_OPCODE);
	drop_conn(&conn);
}

static void malformed__bad_payload_BAD_MESSAGE_stays_up(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_OPEN };
	struct daxmr_conn *conn = ready_conn();
	uint8_t buf[64];
	int n;

	(void)state;
	req.hdr.version = 1;
	req.hdr.request_id = 77;
	req.open.access = DAXMR_PROTO_ACCESS_RW;
	strcpy(req.open.name, "a");
	n = daxmr_proto_msg_encode(&req, buf, sizeof(buf));
	buf[24] = 9; /* no such access */
	deliver(conn, buf, (size_t)n);
	sent_msg(-1, &req);
	assert_int_equal(req.hdr.opcode, DAXMR_PROTO_OP_OPEN);
	assert_int_equal(req.hdr.status, DAXMR_PROTO_STATUS_BAD_MESSAGE);
	assert_int_equal(req.hdr.request_id, 77);
	assert_int_equal(m.disconnects, 0);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	drop_conn(&conn);
}

static void wrong_direction__disconnects(void **state)
{
	static const enum daxmr_proto_opcode ops[] = { DAXMR_PROTO_OP_REVOKE,
						       DAXMR_PROTO_OP_AVAILABLE };
	struct daxmr_proto_msg msg;
	struct daxmr_conn *conn;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		conn = ready_conn();
		memset(&msg, 0, sizeof(msg));
		msg.hdr.opcode = ops[i];
		msg.revoke.export_id = 1;
		msg.revoke.generation = 1;
		msg.revoke.reason = DAXMR_PROTO_REVOKE_ADMIN;
		deliver_msg(conn, &msg);
		assert_int_equal(m.disconnects, 1);
		drop_conn(&conn);
	}
	/* a reply from the client: the server asked nothing */
	conn = ready_conn();
	memset(&msg, 0, sizeof(msg));
	msg.hdr.opcode = DAXMR_PROTO_OP_CLOSE;
	msg.hdr.flags = DAXMR_PROTO_F_REPLY;
	deliver_msg(conn, &msg);
	assert_int_equal(m.disconnects, 1);
	drop_conn(&conn);
	/* ERROR from the client */
	conn = ready_conn();
	memset(&msg, 0, sizeof(msg));
	msg.hdr.opcode = DAXMR_PROTO_OP_ERROR;
	msg.hdr.flags = DAXMR_PROTO_F_REPLY;
	msg.hdr.status = DAXMR_PROTO_STATUS_INTERNAL;
	deliver_msg(conn, &msg);
	assert_int_equal(m.disconnects, 1);
	drop_conn(&conn);
}

/* Deterministic garbage: never a crash, at worst a disconnect; nothing leaks. */
static void malformed__random_bytes_never_crash(void **state)
{
	uint8_t buf[DAXMR_PROTO_MSG_MAX];
	uint32_t x = 12345;
	int round, i;
	size_t len;

	(void)state;
	for (round = 0; round < 300; round++) {
		struct daxmr_conn *conn = ready_conn();

		for (i = 0; i < 8 && m.disconnects == 0; i++) {
			size_t k;

			x = x * 1103515245u + 12345u;
			len = x % 200;
			for (k = 0; k < len; k++) {
				x = x * 1103515245u + 12345u;
				buf[k] = (uint8_t)(x >> 16);
			}
			if (len >= 8 && (x & 1)) { /* a valid start makes it reach the payload */
				memcpy(buf, "DXMR\x01\x00", 6);
				buf[6] = (uint8_t)(1 + (x >> 8) % 9);
				buf[7] = 0;
			}
			deliver(conn, buf, len);
		}
		drop_conn(&conn);
	}
}

/* ---- tests: revocation ---------------------------------------------------------------------- */

static void revoke__sent_acked(void **state)
{
	struct daxmr_conn *conn = ready_conn();
	struct daxmr_proto_msg rv, ack;

	(void)state;
	assert_true(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
				      DAXMR_PROTO_REVOKE_LEASE_BREAK, 1000) < 0); /* not held */
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_true(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 2,
				      DAXMR_PROTO_REVOKE_LEASE_BREAK,
				      1000) < 0); /* another generation */
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 1000),
			 0);
	assert_int_equal(rq_posted(), DAXMR_CONN_CREDITS + 1); /* one for the ack */
	sent_msg(-1, &rv);
	assert_int_equal(rv.hdr.opcode, DAXMR_PROTO_OP_REVOKE);
	assert_int_equal(rv.hdr.flags, 0);
	assert_int_equal(rv.revoke.export_id, 1);
	assert_int_equal(rv.revoke.generation, 1);
	assert_int_equal(rv.revoke.deadline_ms, 1000);
	assert_int_equal(rv.revoke.reason, DAXMR_PROTO_REVOKE_LEASE_BREAK);
	/* a second REVOKE for the same descriptor is not sent */
	assert_true(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
				      DAXMR_PROTO_REVOKE_LEASE_BREAK, 1000) < 0);
	/* FLUSH still works until the release */
	assert_int_equal(do_flush(conn, 1, 1, 0, 1), DAXMR_PROTO_STATUS_OK);
	/* a wrong-generation ack is ignored */
	memset(&ack, 0, sizeof(ack));
	ack.hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK;
	ack.hdr.request_id = rv.hdr.request_id;
	ack.revoke_ack.export_id = 1;
	ack.revoke_ack.generation = 9;
	deliver_msg(conn, &ack);
	assert_int_equal(m.acks, 0);
	assert_int_equal(rq_posted(), DAXMR_CONN_CREDITS + 1);
	ack.revoke_ack.generation = 1;
	deliver_msg(conn, &ack);
	assert_int_equal(m.acks, 1);
	assert_ptr_equal(m.acked_exp, &m.exps[0]);
	assert_int_equal(m.acked_gen, 1);
	assert_int_equal(rq_posted(), DAXMR_CONN_CREDITS); /* the ack's receive is not reposted */
	deliver_msg(conn, &ack);			   /* duplicate: ignored */
	assert_int_equal(m.acks, 1);
	assert_int_equal(rq_posted(), DAXMR_CONN_CREDITS);
	/* revoked: FLUSH and CLOSE of it */
	assert_int_equal(do_flush(conn, 1, 1, 0, 1), DAXMR_PROTO_STATUS_STALE_GENERATION);
	assert_int_equal(daxmr_conn_holds(conn), 1);
	drop_conn(&conn);
	assert_int_equal(m.acks, 1); /* deleting after the ack acks nothing more */
}

static void revoke__close_counts_as_ack(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_SHUTDOWN, 500),
			 0);
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 1), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.acks, 1);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	assert_int_equal(rq_posted(), DAXMR_CONN_CREDITS);
	drop_conn(&conn);
	assert_int_equal(m.acks, 1);
}

static void revoke__disconnect_counts_as_ack(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_open(conn, "r", DAXMR_PROTO_ACCESS_RO, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 0);
	daxmr_conn_on_disconnected(conn);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSED);
	assert_int_equal(m.acks, 1);
	/* nothing is sent on a closed connection */
	assert_true(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[1], 1,
				      DAXMR_PROTO_REVOKE_LEASE_BREAK, 500) < 0);
	drop_conn(&conn);
	assert_int_equal(m.acks, 1);
}

static void revoke__delete_counts_as_ack(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 0);
	drop_conn(&conn);
	assert_int_equal(m.acks, 1);
}

static void revoke__send_fails_disconnects_not_counted(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	m.post_send_err = ENOMEM;
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 -ENOMEM);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	drop_conn(&conn);
	assert_int_equal(m.acks, 0); /* never counted as a holder: no ack either */
}

static void available__after_revocation(void **state)
{
	struct daxmr_conn *conn = ready_conn();
	struct daxmr_proto_msg msg, ack;
	unsigned int before;

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	before = m.nsent;
	daxmr_conn_available(conn, (struct daxmr_export *)&m.exps[0]); /* not revoked: nothing */
	assert_int_equal(m.nsent, before);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 0);
	sent_msg(-1, &msg);
	memset(&ack, 0, sizeof(ack));
	ack.hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK;
	ack.hdr.request_id = msg.hdr.request_id;
	ack.revoke_ack.export_id = 1;
	ack.revoke_ack.generation = 1;
	deliver_msg(conn, &ack);
	m.exps[0].gen = 2; /* re-established */
	before = m.nsent;
	daxmr_conn_available(conn, (struct daxmr_export *)&m.exps[0]);
	assert_int_equal(m.nsent, before + 1);
	sent_msg(-1, &msg);
	assert_int_equal(msg.hdr.opcode, DAXMR_PROTO_OP_AVAILABLE);
	assert_int_equal(msg.available.export_id, 1);
	assert_int_equal(msg.available.generation, 2);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	daxmr_conn_available(conn, (struct daxmr_export *)&m.exps[0]); /* once per revocation */
	assert_int_equal(m.nsent, before + 1);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	drop_conn(&conn);
}

static void available__unacked_holder_and_reopen(void **state)
{
	struct daxmr_conn *conn = ready_conn();
	struct daxmr_proto_desc d;

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 0);
	/* no ack (budget ran out); the export comes back and the client re-opens first */
	m.exps[0].gen = 2;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.generation, 2);
	daxmr_conn_available(conn, (struct daxmr_export *)&m.exps[0]); /* held: nothing */
	assert_int_equal(daxmr_conn_holds(conn), 1);
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 1),
			 DAXMR_PROTO_STATUS_STALE_GENERATION);
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 2), DAXMR_PROTO_STATUS_OK);
	drop_conn(&conn);
}

/* ---- tests: memory windows ---------------------------------------------------------------- */

/* ready_conn() with windows on export "a" (rw) and "r" (ro). */
static struct daxmr_conn *mw_conn(void)
{
	struct daxmr_conn *conn = ready_conn();

	m.exps[0].mw = true;
	m.exps[1].mw = true;
	return conn;
}

/* Sends OPEN; returns the number of replies sent by the time it was dispatched. */
static unsigned int open_async(struct daxmr_conn *conn, const char *name,
			       enum daxmr_proto_access access, uint64_t req_id)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_OPEN };
	unsigned int before = m.nsent;

	req.hdr.request_id = req_id;
	req.open.access = access;
	strcpy(req.open.name, name);
	deliver_msg(conn, &req);
	assert_true(rq_posted() >= DAXMR_CONN_CREDITS); /* reposted even though not answered */
	return m.nsent - before;
}

/* The client's REVOKE_ACK of (id, gen) answering the REVOKE rv. */
static void ack_revoke_msg(struct daxmr_conn *conn, const struct daxmr_proto_msg *rv, uint32_t id,
			   uint64_t gen)
{
	struct daxmr_proto_msg ack;

	assert_int_equal(rv->hdr.opcode, DAXMR_PROTO_OP_REVOKE);
	memset(&ack, 0, sizeof(ack));
	ack.hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK;
	ack.hdr.request_id = rv->hdr.request_id;
	ack.revoke_ack.export_id = id;
	ack.revoke_ack.generation = gen;
	deliver_msg(conn, &ack);
}

/* The client acks the last message the server sent, a REVOKE of (id, gen). */
static void ack_revoke(struct daxmr_conn *conn, uint32_t id, uint64_t gen)
{
	struct daxmr_proto_msg rv;

	sent_msg(-1, &rv);
	ack_revoke_msg(conn, &rv, id, gen);
}

static void open__window_reply_only_after_bind_completion(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_msg rep;
	const struct ibv_send_wr *wr;

	(void)state;
	m.hold_mw_wc = true;
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RW, 555), 0);
	assert_int_equal(m.live_mws, 1);
	assert_int_equal(m.nmw_wr, 1);
	wr = &m.mw_wr[0];
	assert_int_equal(wr->opcode, IBV_WR_BIND_MW);
	assert_ptr_equal(wr->bind_mw.mw, &m.mws[0]);
	assert_int_equal(wr->bind_mw.rkey, ibv_inc_rkey(m.mws[0].rkey));
	assert_ptr_equal(wr->bind_mw.bind_info.mr, &fake_export_mr);
	assert_int_equal(wr->bind_mw.bind_info.addr, 0x10000);
	assert_int_equal(wr->bind_mw.bind_info.length, 1 << 20); /* the whole export */
	assert_int_equal(wr->bind_mw.bind_info.mw_access_flags,
			 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	/* the completion answers the OPEN */
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	sent_msg(-1, &rep);
	assert_int_equal(rep.hdr.opcode, DAXMR_PROTO_OP_OPEN);
	assert_int_equal(rep.hdr.request_id, 555);
	assert_true(rep.hdr.flags & DAXMR_PROTO_F_REPLY);
	assert_int_equal(rep.hdr.status, DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.desc.key_kind, DAXMR_PROTO_KEY_MW);
	assert_int_equal(rep.desc.rkey, ibv_inc_rkey(m.mws[0].rkey));
	assert_int_equal(rep.desc.access, DAXMR_PROTO_ACCESS_RW);
	assert_int_equal(rep.desc.generation, 1);
	assert_int_equal(daxmr_conn_holds(conn), 1);
	assert_int_equal(daxmr_conn_windows(conn), 1);
	assert_int_equal(m.window_failed, 0);
	drop_conn(&conn); /* the window is deallocated with the connection */
}

static void open__ro_window_reads_only_and_same_key_again(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_desc d1, d2, d3;

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RO, &d1), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.mw_wr[0].bind_mw.bind_info.mw_access_flags, IBV_ACCESS_REMOTE_READ);
	assert_int_equal(d1.key_kind, DAXMR_PROTO_KEY_MW);
	assert_int_equal(d1.access, DAXMR_PROTO_ACCESS_RO);
	/* the same OPEN again: the same window, no second bind */
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RO, &d2), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d2.rkey, d1.rkey);
	assert_int_equal(m.nmw_wr, 1);
	/* rw as well: a second window; the ro one stays */
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d3), DAXMR_PROTO_STATUS_OK);
	assert_int_not_equal(d3.rkey, d1.rkey);
	assert_int_equal(m.live_mws, 2);
	assert_int_equal(daxmr_conn_holds(conn), 1);
	drop_conn(&conn);
}

static void open__alloc_mw_fails_MR_key_fallback(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_desc d;

	(void)state;
	m.alloc_mw_errno = ENOSYS;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MR);
	assert_int_equal(d.rkey, 0x102); /* the export's MR key (fake: gen 1, rw) */
	assert_int_equal(m.window_failed, 1);
	assert_int_equal(m.live_mws, 0);
	drop_conn(&conn);
}

static void open__bind_post_fails_MR_key_fallback(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_desc d;

	(void)state;
	m.post_mw_err = ENOMEM;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MR);
	assert_int_equal(m.window_failed, 1);
	assert_int_equal(m.live_mws, 0); /* allocated, then deallocated */
	assert_string_equal(m.events, "D");
	drop_conn(&conn);
}

static void open__no_windows_on_device_MR_key(void **state)
{
	struct daxmr_conn *conn = ready_conn(); /* fake exports without windows */
	struct daxmr_proto_desc d;

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MR);
	assert_int_equal(m.nmw_wr, 0);
	assert_int_equal(m.live_mws, 0);
	drop_conn(&conn);
}

static void open__bind_completion_error_disconnects(void **state)
{
	struct daxmr_conn *conn = mw_conn();

	(void)state;
	m.mw_wc_status = IBV_WC_MW_BIND_ERR;
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RW, 7), 0);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	drop_conn(&conn);
}

static void open__revoked_while_binding_REVOKING(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_msg rep;

	(void)state;
	m.hold_mw_wc = true;
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RW, 9), 0);
	m.exps[0].available = false; /* the export started revoking: no REVOKE reached the OPEN */
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	expect_reply(9, DAXMR_PROTO_STATUS_REVOKING, &rep);
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	drop_conn(&conn);
}

static void open__fenced_while_binding_REVOKING(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_msg rep;

	(void)state;
	m.hold_mw_wc = true;
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RW, 9), 0);
	daxmr_conn_fence(conn, (struct daxmr_export *)&m.exps[0]);
	assert_int_equal(m.live_mws, 0);
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	sent_msg(-1, &rep);
	assert_int_equal(rep.hdr.status, DAXMR_PROTO_STATUS_REVOKING);
	drop_conn(&conn);
}

/*
 * A reply whose send completion is held back (the client's device has not acknowledged it, as
 * across a lossy link): returns its index in m.sent. Later sends complete at once again.
 */
static unsigned int unacked_send(struct daxmr_conn *conn)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_LIST };

	m.hold_send_wc = true;
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_OK);
	m.hold_send_wc = false;
	return m.nsent - 1;
}

/* The held send i completes. */
static void complete_send(struct daxmr_conn *conn, unsigned int i)
{
	push_wc(m.sent_wr_id[i], IBV_WC_SEND, IBV_WC_SUCCESS, 0);
	daxmr_conn_on_cq_event(conn);
}

/*
 * mw_conn() with an unacknowledged send (its index in *held_ptr) and an OPEN of "a" rw (request
 * 7) whose bind is queued behind it: nothing posted, the window allocated.
 */
static struct daxmr_conn *queued_open_conn(unsigned int *held_ptr)
{
	struct daxmr_conn *conn = mw_conn();

	*held_ptr = unacked_send(conn);
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RW, 7), 0);
	assert_int_equal(m.nmw_wr, 0); /* not posted: the earlier reply is still out */
	assert_int_equal(m.live_mws, 1);
	return conn;
}

/*
 * rxe executes again a BIND_MW posted behind an unacknowledged SEND when it retransmits
 * (docs/reliability.md): the bind of an OPEN waits until the send queue is idle.
 */
static void open__bind_held_behind_unacked_send(void **state)
{
	unsigned int held;
	struct daxmr_conn *conn = queued_open_conn(&held);
	struct daxmr_proto_msg rep;

	(void)state;
	assert_int_equal(daxmr_conn_windows(conn), 1);
	complete_send(conn, held);
	assert_int_equal(m.nmw_wr, 1);
	assert_int_equal(m.mw_wr[0].opcode, IBV_WR_BIND_MW);
	expect_reply(7, DAXMR_PROTO_STATUS_OK, &rep);
	assert_int_equal(rep.desc.rkey, m.mw_wr[0].bind_mw.rkey);
	assert_int_equal(daxmr_conn_holds(conn), 1);
	drop_conn(&conn);
}

/* Binds go one at a time, each once the send queue is idle again, the oldest OPEN first. */
static void open__queued_binds_one_at_a_time_oldest_first(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_msg rep;

	(void)state;
	m.hold_mw_wc = true;
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RW, 7), 0);
	assert_int_equal(m.nmw_wr, 1); /* idle: posted at once */
	assert_int_equal(open_async(conn, "r", DAXMR_PROTO_ACCESS_RO, 8), 0);
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RO, 9), 0);
	assert_int_equal(m.nmw_wr, 1); /* the first bind is out */
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	/* bind 7 done, its reply sent and completed: then 8's bind, and only it */
	assert_int_equal(m.nmw_wr, 2);
	sent_msg(-1, &rep);
	assert_int_equal(rep.hdr.request_id, 7);
	assert_ptr_equal(m.mw_wr[1].bind_mw.bind_info.mr, &fake_export_mr);
	assert_int_equal(m.mw_wr[1].bind_mw.bind_info.mw_access_flags, IBV_ACCESS_REMOTE_READ);
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	sent_msg(-1, &rep);
	assert_int_equal(rep.hdr.request_id, 8);
	assert_int_equal(m.nmw_wr, 3);
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	expect_reply(9, DAXMR_PROTO_STATUS_OK, &rep);
	assert_int_equal(daxmr_conn_windows(conn), 3);
	drop_conn(&conn);
}

/*
 * Queued binds are bounded by the client's credits (each OPEN waits unanswered with its receive
 * reposted): the OPEN past them is BUSY at once, whatever the export (a re-OPEN too); the queue
 * drains in order once the send queue is idle.
 */
static void open__queue_bounded_BUSY_then_drained_in_order(void **state)
{
	struct daxmr_proto_msg rep;
	struct daxmr_conn *conn;
	unsigned int held, first, i;
	char name[16];

	(void)state;
	reset();
	for (i = 0; i < DAXMR_CONN_CREDITS + 1; i++) {
		snprintf(name, sizeof(name), "e%u", i);
		add_export(name, 1, false, true);
		m.exps[i].mw = true;
	}
	conn = make_conn_env(&env, 3, 3, 3); /* version 3: the BUSY says why */
	hello(conn);
	held = unacked_send(conn);
	for (i = 0; i < DAXMR_CONN_CREDITS; i++) {
		snprintf(name, sizeof(name), "e%u", i);
		assert_int_equal(open_async(conn, name, DAXMR_PROTO_ACCESS_RW, 1000 + i), 0);
	}
	assert_int_equal(m.nmw_wr, 0);
	snprintf(name, sizeof(name), "e%d", DAXMR_CONN_CREDITS);
	assert_int_equal(do_open(conn, name, DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_BUSY);
	assert_int_equal(do_open(conn, "e0", DAXMR_PROTO_ACCESS_RO, NULL), DAXMR_PROTO_STATUS_BUSY);
	sent_msg(-1, &rep);
	assert_non_null(strstr(rep.reason, "wait for their keys"));
	assert_int_equal(m.live_mws, DAXMR_CONN_CREDITS);
	/* those BUSY replies completed at once, but the LIST reply is still out: nothing posted */
	assert_int_equal(m.nmw_wr, 0);
	first = m.nsent;
	complete_send(conn, held);
	assert_int_equal(m.nmw_wr, DAXMR_CONN_CREDITS);
	assert_int_equal(m.nsent, first + DAXMR_CONN_CREDITS);
	for (i = 0; i < DAXMR_CONN_CREDITS; i++) {
		sent_msg((int)(first + i), &rep);
		assert_int_equal(rep.hdr.request_id, 1000 + i);
		assert_int_equal(rep.hdr.status, DAXMR_PROTO_STATUS_OK);
	}
	assert_int_equal(daxmr_conn_holds(conn), DAXMR_CONN_CREDITS);
	drop_conn(&conn);
}

/* A revocation never waits on the queue: a queued bind of the export is dropped, REVOKING. */
static void revoke__drops_queued_bind_REVOKING(void **state)
{
	unsigned int held;
	struct daxmr_conn *conn = queued_open_conn(&held);
	struct daxmr_export *a = (struct daxmr_export *)&m.exps[0];
	struct daxmr_proto_msg rep;

	(void)state;
	assert_int_equal(open_async(conn, "r", DAXMR_PROTO_ACCESS_RO, 8), 0);
	m.exps[0].available = false; /* revoking */
	/* not a holder of a: nothing to wait for; its queued OPEN is answered now */
	assert_int_equal(daxmr_conn_revoke(conn, a, 1, DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 -ENOENT);
	expect_reply(7, DAXMR_PROTO_STATUS_REVOKING, &rep);
	assert_int_equal(m.live_mws, 1); /* r's window, still queued */
	complete_send(conn, held);	 /* and the REVOKING reply's, which completed at once */
	assert_int_equal(m.nmw_wr, 1);	 /* r's bind only */
	expect_reply(8, DAXMR_PROTO_STATUS_OK, &rep);
	assert_int_equal(daxmr_conn_holds(conn), 1);
	drop_conn(&conn);
}

/* An export revoked while its bind was queued (no REVOKE for this OPEN): answered, not bound. */
static void open__revoked_while_queued_REVOKING(void **state)
{
	unsigned int held;
	struct daxmr_conn *conn = queued_open_conn(&held);
	struct daxmr_proto_msg rep;

	(void)state;
	m.exps[0].available = false;
	complete_send(conn, held);
	assert_int_equal(m.nmw_wr, 0);
	expect_reply(7, DAXMR_PROTO_STATUS_REVOKING, &rep);
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	drop_conn(&conn);
}

/* The release fences a queued bind too: dropped, its OPEN answered, nothing posted later. */
static void fence__drops_queued_bind(void **state)
{
	unsigned int held;
	struct daxmr_conn *conn = queued_open_conn(&held);
	struct daxmr_proto_msg rep;

	(void)state;
	m.exps[0].available = false;
	daxmr_conn_fence(conn, (struct daxmr_export *)&m.exps[0]);
	assert_int_equal(m.live_mws, 0);
	expect_reply(7, DAXMR_PROTO_STATUS_REVOKING, &rep);
	complete_send(conn, held);
	assert_int_equal(m.nmw_wr, 0);
	drop_conn(&conn);
}

/* A disconnect frees the queued windows at once; nothing is posted afterwards. */
static void disconnect__frees_queued_binds(void **state)
{
	unsigned int held, sent;
	struct daxmr_conn *conn = queued_open_conn(&held);

	(void)state;
	assert_int_equal(open_async(conn, "r", DAXMR_PROTO_ACCESS_RO, 8), 0);
	assert_int_equal(m.live_mws, 2);
	daxmr_conn_disconnect(conn);
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(daxmr_conn_windows(conn), 0);
	sent = m.nsent;
	complete_send(conn, held);
	assert_int_equal(m.nmw_wr, 0);
	assert_int_equal(m.nsent, sent);
	drop_conn(&conn);
}

/* A queued bind whose post fails later falls back to the MR key, as one posted at once does. */
static void open__queued_bind_post_fails_MR_key(void **state)
{
	unsigned int held;
	struct daxmr_conn *conn = queued_open_conn(&held);
	struct daxmr_proto_msg rep;

	(void)state;
	m.post_mw_err = ENOMEM;
	complete_send(conn, held);
	expect_reply(7, DAXMR_PROTO_STATUS_OK, &rep);
	assert_int_equal(rep.desc.key_kind, DAXMR_PROTO_KEY_MR);
	assert_int_equal(m.window_failed, 1);
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(daxmr_conn_holds(conn), 1);
	drop_conn(&conn);
}

static void close__invalidates_the_window(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_desc d;

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	m.hold_mw_wc = true;
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 1), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.nmw_wr, 2);
	assert_int_equal(m.mw_wr[1].opcode, IBV_WR_LOCAL_INV);
	assert_int_equal(m.mw_wr[1].invalidate_rkey, d.rkey);
	assert_int_equal(m.live_mws, 1); /* until LOCAL_INV completes */
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(m.acks, 0); /* not under revocation */
	drop_conn(&conn);
}

static void revoke_ack__reported_after_local_inv(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_desc d;

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RO, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 1000),
			 0);
	m.hold_mw_wc = true;
	ack_revoke(conn, 1, 1);
	assert_int_equal(m.acks, 0); /* both windows are being invalidated */
	assert_int_equal(m.nmw_wr, 4);
	assert_int_equal(m.mw_wr[2].opcode, IBV_WR_LOCAL_INV);
	assert_int_equal(m.mw_wr[3].opcode, IBV_WR_LOCAL_INV);
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.acks, 1);
	assert_int_equal(m.acked_gen, 1);
	assert_string_equal(m.events, "DDA"); /* windows gone, then the ack: the MR may go */
	drop_conn(&conn);
	assert_int_equal(m.acks, 1);
}

static void revoke_close__ack_after_local_inv(void **state)
{
	struct daxmr_conn *conn = mw_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_SHUTDOWN, 1000),
			 0);
	m.hold_mw_wc = true;
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 1), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.acks, 0);
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	assert_string_equal(m.events, "DA");
	drop_conn(&conn);
}

static void revoke_ack__local_inv_post_fails_dealloc(void **state)
{
	struct daxmr_conn *conn = mw_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 1000),
			 0);
	m.post_mw_err = EIO;
	ack_revoke(conn, 1, 1);
	assert_string_equal(m.events, "DA"); /* deallocated at once, then acked */
	drop_conn(&conn);
}

static void disconnect__deallocs_windows_before_acks(void **state)
{
	struct daxmr_conn *conn = mw_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_open(conn, "r", DAXMR_PROTO_ACCESS_RO, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 0);
	daxmr_conn_on_disconnected(conn);
	assert_int_equal(m.live_mws, 0);
	assert_string_equal(m.events, "DDA");
	drop_conn(&conn);
	assert_int_equal(m.acks, 1);
}

static void disconnect__cuts_off_at_once(void **state)
{
	struct daxmr_conn *conn = mw_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	daxmr_conn_disconnect(conn); /* e.g. a protocol error */
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(m.nmw_wr, 1); /* no LOCAL_INV on a QP going down: dealloc */
	drop_conn(&conn);
}

static void delete__pending_invalidation_acked(void **state)
{
	struct daxmr_conn *conn = mw_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 0);
	m.hold_mw_wc = true;
	ack_revoke(conn, 1, 1);
	assert_int_equal(m.acks, 0);
	drop_conn(&conn); /* the completion never comes: the delete deallocs, then acks */
	assert_string_equal(m.events, "DA");
}

/*
 * A ready connection holding export a, sent its REVOKE; partitioned: the REVOKE's send completion
 * never comes. Sets *exp_ptr to the export.
 */
static struct daxmr_conn *revoked_conn(bool partitioned, struct daxmr_export **exp_ptr)
{
	struct daxmr_conn *conn = ready_conn();

	*exp_ptr = (struct daxmr_export *)&m.exps[0];
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	m.hold_send_wc = partitioned;
	assert_int_equal(daxmr_conn_revoke(conn, *exp_ptr, 1, DAXMR_PROTO_REVOKE_LEASE_BREAK, 1000),
			 0);
	return conn;
}

/*
 * A holder fenced while its device acknowledged none of our sends (the REVOKE's among them) is
 * disconnected once it stays so DAXMR_CONN_UNREACHABLE_MS; not before, and only once.
 */
static void fence__unreachable_holder_disconnected_later(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_conn *conn = revoked_conn(true, &exp);
	int64_t now;

	(void)state;
	now = daxmr_clock_ms();
	/* not fenced yet: an outstanding send alone is no reason */
	assert_int_equal(daxmr_conn_expire_unreachable(conn, now + 1000000), 0);
	daxmr_conn_fence(conn, exp);
	assert_int_equal(daxmr_conn_expire_unreachable(conn, now + DAXMR_CONN_UNREACHABLE_MS / 2),
			 0);
	assert_int_equal(m.disconnects, 0);
	assert_int_equal(
		daxmr_conn_expire_unreachable(conn, now + DAXMR_CONN_UNREACHABLE_MS + 1000),
		-ETIMEDOUT);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	assert_int_equal(daxmr_conn_expire_unreachable(conn, now + 3 * DAXMR_CONN_UNREACHABLE_MS),
			 0);
	assert_int_equal(m.disconnects, 1);
	drop_conn(&conn);
}

/* A holder that got the REVOKE (its send completed) and just does not answer stays connected. */
static void fence__delivered_unanswered_holder_stays(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_conn *conn = revoked_conn(false, &exp);

	(void)state;
	daxmr_conn_on_cq_event(conn); /* the REVOKE's send completion */
	daxmr_conn_fence(conn, exp);
	assert_int_equal(daxmr_conn_expire_unreachable(
				 conn, daxmr_clock_ms() + 10 * DAXMR_CONN_UNREACHABLE_MS),
			 0);
	assert_int_equal(m.disconnects, 0);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	drop_conn(&conn);
}

/* An unreachable holder whose device acknowledges again (the partition healed) stays. */
static void fence__unreachable_holder_back_stays(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_conn *conn = revoked_conn(true, &exp);
	int64_t now;

	(void)state;
	daxmr_conn_fence(conn, exp);
	now = daxmr_clock_ms();
	push_wc(m.sent_wr_id[m.nsent - 1], IBV_WC_SEND, IBV_WC_SUCCESS, 0); /* healed */
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(daxmr_conn_expire_unreachable(conn, now + 2 * DAXMR_CONN_UNREACHABLE_MS),
			 0);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

static void fence__deallocs_only_that_exports_windows(void **state)
{
	struct daxmr_conn *conn = mw_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_open(conn, "r", DAXMR_PROTO_ACCESS_RO, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 0);
	/* no ack by the deadline: the release fences */
	daxmr_conn_fence(conn, (struct daxmr_export *)&m.exps[0]);
	assert_int_equal(m.live_mws, 1); /* "r"'s window is untouched */
	assert_int_equal(daxmr_conn_windows(conn), 1);
	assert_int_equal(m.acks, 0);
	/* a late ack finds no window: reported at once */
	ack_revoke(conn, 1, 1);
	assert_int_equal(m.acks, 1);
	assert_int_equal(m.nmw_wr, 2); /* the two binds, no LOCAL_INV */
	drop_conn(&conn);
}

static void reopen__new_generation_invalidates_old_window(void **state)
{
	struct daxmr_conn *conn = mw_conn();
	struct daxmr_proto_desc d1, d2;

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d1), DAXMR_PROTO_STATUS_OK);
	m.exps[0].gen = 2; /* revoked without this client (fake), re-established */
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d2), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d2.generation, 2);
	assert_int_equal(m.mw_wr[1].opcode, IBV_WR_BIND_MW);
	assert_int_equal(m.mw_wr[2].opcode, IBV_WR_LOCAL_INV);
	assert_int_equal(m.mw_wr[2].invalidate_rkey, d1.rkey);
	assert_int_equal(m.live_mws, 1);
	drop_conn(&conn);
}

/* ---- tests: access control (secret, allowlists) -------------------------------------------- */

static const char test_secret[] = "conn_test: the secret daxmrd and its clients share";
static const char other_secret[] = "conn_test: a secret that is not the server's one";
static struct daxmr_auth_key test_key, other_key;
static struct daxmr_conn_env key_env;

/* env with the test's secret: its clients must authenticate. */
static const struct daxmr_conn_env *keyed_env(void)
{
	assert_int_equal(daxmr_auth_key_from_bytes(test_secret, sizeof(test_secret) - 1, &test_key),
			 0);
	assert_int_equal(
		daxmr_auth_key_from_bytes(other_secret, sizeof(other_secret) - 1, &other_key), 0);
	key_env = env;
	key_env.key = &test_key;
	return &key_env;
}

/* A version-2 connection to a server with the secret, HELLO answered: WAIT_AUTH. */
static struct daxmr_conn *auth_conn(uint8_t challenge[DAXMR_PROTO_AUTH_CHALLENGE_SIZE])
{
	struct daxmr_proto_msg rep;
	struct daxmr_conn *conn;

	reset();
	add_export("a", 1, false, true);
	add_export("r", 1, true, true);
	conn = make_conn_env(keyed_env(), 1, 2, 2);
	assert_int_equal(hello_reply(conn, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.hdr.version, 2);
	assert_int_equal(rep.hello_reply.version, 2);
	assert_int_equal(rep.hello_reply.flags, DAXMR_PROTO_HELLO_F_AUTH);
	assert_string_equal(rep.hello_reply.name, "daxmrd@test");
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_WAIT_AUTH);
	memcpy(challenge, rep.hello_reply.challenge, DAXMR_PROTO_AUTH_CHALLENGE_SIZE);
	return conn;
}

/* AUTH with a nonce made from seed and the proof key computes in role over challenge. */
static void auth_msg(struct daxmr_proto_msg *msg, const struct daxmr_auth_key *key,
		     enum daxmr_auth_role role, const uint8_t *challenge, uint8_t seed)
{
	size_t i;

	memset(msg, 0, sizeof(*msg));
	msg->hdr.opcode = DAXMR_PROTO_OP_AUTH;
	for (i = 0; i < sizeof(msg->auth.nonce); i++)
		msg->auth.nonce[i] = (uint8_t)(seed + 7 * i);
	daxmr_auth_proof(key, role, challenge, msg->auth.nonce, msg->auth.proof);
}

/* Whether all n bytes of p are zero. */
static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/*
 * req is refused: ACCESS_DENIED, and rdma_disconnect follows once that reply's send has
 * completed, not before; the connection never becomes READY.
 */
static void expect_auth_denied(struct daxmr_conn *conn, struct daxmr_proto_msg *req)
{
	struct daxmr_proto_msg rep;
	unsigned int sent;

	m.hold_send_wc = true;
	assert_int_equal(request(conn, req, &rep), DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(rep.hdr.version, m.version);
	assert_int_equal(rep.hdr.length, 0); /* nothing tells a wrong key from an unknown name */
	sent = m.nsent;
	assert_int_equal(m.disconnects, 0); /* the reply is still on its way */
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_DENIED);
	push_wc(m.sent_wr_id[sent - 1], IBV_WC_SEND, IBV_WC_SUCCESS, 0);
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	assert_int_equal(m.nsent, sent);
}

/* A server with a secret speaks only version 2: a 1..1 client is told the range 2..2. */
/* daxmr_conn_reject (the server's BUSY while shutting down) sends the range this server takes. */
static void conn_reject__range_follows_the_key(void **state)
{
	(void)state;
	reset();
	daxmr_conn_reject(&env, &fake_id, DAXMR_PROTO_STATUS_BUSY, "shutting down");
	check_reject_range(DAXMR_PROTO_STATUS_BUSY, DAXMR_PROTO_VERSION_MIN);
	reset();
	daxmr_conn_reject(keyed_env(), &fake_id, DAXMR_PROTO_STATUS_BUSY, "shutting down");
	check_reject_range(DAXMR_PROTO_STATUS_BUSY, DAXMR_PROTO_VERSION_AUTH);
}

static void conn_new__key_needs_version_2(void **state)
{
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56];
	size_t n;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	n = cm_connect(1, 1, pdata);
	assert_int_equal(daxmr_conn_new(keyed_env(), &fake_id, pdata, n, NULL, &conn),
			 -EPROTONOSUPPORT);
	assert_null(conn);
	check_reject_range(DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, 2);
	/* the reason rides after the 10 bytes: the client prints it */
	{
		struct daxmr_proto_cm_reject rej;

		assert_int_equal(daxmr_proto_cm_reject_decode(m.reject_pdata, m.reject_len, &rej),
				 0);
		assert_non_null(strstr(rej.reason, "needs version 2"));
		assert_int_equal(m.reject_len, DAXMR_PROTO_CM_REJECT_SIZE + 2 + strlen(rej.reason));
	}

	reset();
	add_export("a", 1, false, true);
	conn = make_conn_env(keyed_env(), 1, 2, 2);
	assert_int_equal(m.rejects, 0);
	drop_conn(&conn);

	reset();
	add_export("a", 1, false, true);
	conn = make_conn_env(keyed_env(), 2, 2, 2);
	drop_conn(&conn);
}

/* No export's allowlist holds the client's address (or there is no export): ACCESS_DENIED. */
static void conn_new__no_export_admits_ACCESS_DENIED(void **state)
{
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56];
	size_t n;
	int i;

	(void)state;
	reset();
	for (i = 0; i < 3; i++) {
		add_export(i == 0 ? "a" : i == 1 ? "b" : "c", 1, false, true);
		m.exps[i].walled = true;
	}
	n = cm_connect(1, 2, pdata);
	assert_int_equal(daxmr_conn_new(&env, &fake_id, pdata, n, NULL, &conn), -EACCES);
	assert_null(conn);
	assert_int_equal(m.admits_calls, 3); /* every export was asked */
	check_reject(DAXMR_PROTO_STATUS_ACCESS_DENIED);

	reset();
	n = cm_connect(1, 2, pdata);
	assert_int_equal(daxmr_conn_new(&env, &fake_id, pdata, n, NULL, &conn), -EACCES);
	check_reject(DAXMR_PROTO_STATUS_ACCESS_DENIED);

	/* with a secret too: the reject carries the server's range 2..2 */
	reset();
	add_export("a", 1, false, true);
	m.exps[0].walled = true;
	n = cm_connect(1, 2, pdata);
	assert_int_equal(daxmr_conn_new(keyed_env(), &fake_id, pdata, n, NULL, &conn), -EACCES);
	check_reject_range(DAXMR_PROTO_STATUS_ACCESS_DENIED, 2);
}

/* One export among walled ones admits the client: accepted. */
static void conn_new__one_admitting_export_accepted(void **state)
{
	struct daxmr_conn *conn;

	(void)state;
	reset();
	add_export("w1", 1, false, true);
	add_export("a", 1, false, true);
	add_export("w2", 1, false, true);
	m.exps[0].walled = true;
	m.exps[2].walled = true;
	conn = make_conn();
	assert_int_equal(m.rejects, 0);
	drop_conn(&conn);
}

/* With a secret the HELLO reply asks for AUTH with a challenge fresh for each connection. */
static void hello__key_AUTH_flag_and_fresh_challenge(void **state)
{
	uint8_t c1[DAXMR_PROTO_AUTH_CHALLENGE_SIZE], c2[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_conn *conn;

	(void)state;
	conn = auth_conn(c1);
	assert_false(all_zero(c1, sizeof(c1)));
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
	conn = auth_conn(c2);
	assert_false(all_zero(c2, sizeof(c2)));
	assert_memory_not_equal(c1, c2, sizeof(c1));
	drop_conn(&conn);
}

/* Without a secret a version-2 HELLO reply asks nothing: READY at once, no challenge. */
static void hello__no_key_no_AUTH_flag(void **state)
{
	struct daxmr_proto_msg rep;
	struct daxmr_conn *conn;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	conn = make_conn_env(&env, 1, 2, 2);
	assert_int_equal(hello_reply(conn, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.hdr.version, 2);
	assert_int_equal(rep.hello_reply.flags, 0);
	assert_true(all_zero(rep.hello_reply.challenge, sizeof(rep.hello_reply.challenge)));
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	drop_conn(&conn);
}

/* Before AUTH every other request is ACCESS_DENIED; the connection stays up for the AUTH. */
static void wait_auth__requests_ACCESS_DENIED_stays_up(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_LIST }, rep;
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_conn *conn = auth_conn(ch);

	(void)state;
	m.exps[0].mw = true;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(rep.list_reply.count, 0);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL),
			 DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(do_open(conn, "r", DAXMR_PROTO_ACCESS_RO, NULL),
			 DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	assert_int_equal(m.nmw_wr, 0); /* no window was even bound */
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 1),
			 DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(do_flush(conn, 1, 1, 0, 1), DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(m.disconnects, 0);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_WAIT_AUTH);
	/* still up: the AUTH that follows is taken */
	auth_msg(&req, &test_key, DAXMR_AUTH_CLIENT, ch, 1);
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	drop_conn(&conn);
}

/* The right proof: OK with the server's proof over the same challenge and nonce; then READY. */
static void auth__right_proof_OK_server_proof(void **state)
{
	struct daxmr_proto_msg req, rep, list = { .hdr.opcode = DAXMR_PROTO_OP_LIST };
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_conn *conn = auth_conn(ch);

	(void)state;
	auth_msg(&req, &test_key, DAXMR_AUTH_CLIENT, ch, 0x40);
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.hdr.version, 2);
	assert_true(daxmr_auth_verify(&test_key, DAXMR_AUTH_SERVER, ch, req.auth.nonce,
				      rep.auth_reply.proof));
	/* not an echo of ours, nor a proof a client could have made */
	assert_memory_not_equal(rep.auth_reply.proof, req.auth.proof, DAXMR_PROTO_AUTH_PROOF_SIZE);
	assert_false(daxmr_auth_verify(&test_key, DAXMR_AUTH_CLIENT, ch, req.auth.nonce,
				       rep.auth_reply.proof));
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	assert_int_equal(request(conn, &list, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.list_reply.count, 2);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_holds(conn), 1);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

/* One bit of the proof flipped, or a proof under another secret: denied, then disconnected. */
static void auth__wrong_proof_ACCESS_DENIED_disconnect_after_send(void **state)
{
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_proto_msg req;
	struct daxmr_conn *conn;

	(void)state;
	conn = auth_conn(ch);
	auth_msg(&req, &test_key, DAXMR_AUTH_CLIENT, ch, 0x11);
	req.auth.proof[DAXMR_PROTO_AUTH_PROOF_SIZE - 1] ^= 0x01;
	expect_auth_denied(conn, &req);
	drop_conn(&conn);

	conn = auth_conn(ch);
	auth_msg(&req, &other_key, DAXMR_AUTH_CLIENT, ch, 0x11);
	expect_auth_denied(conn, &req);
	drop_conn(&conn);
}

/* A valid AUTH recorded on one connection, replayed on another (another challenge): denied. */
static void auth__replayed_proof_ACCESS_DENIED(void **state)
{
	uint8_t ch1[DAXMR_PROTO_AUTH_CHALLENGE_SIZE], ch2[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_proto_msg req, replay;
	struct daxmr_conn *conn;

	(void)state;
	conn = auth_conn(ch1);
	auth_msg(&req, &test_key, DAXMR_AUTH_CLIENT, ch1, 0x22);
	replay = req;
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_OK);
	drop_conn(&conn);

	conn = auth_conn(ch2);
	assert_memory_not_equal(ch1, ch2, sizeof(ch1));
	expect_auth_denied(conn, &replay);
	drop_conn(&conn);
}

/* A client proof computed with the server's label (reflection of a server proof): denied. */
static void auth__reflected_server_proof_ACCESS_DENIED(void **state)
{
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_proto_msg req;
	struct daxmr_conn *conn = auth_conn(ch);

	(void)state;
	auth_msg(&req, &test_key, DAXMR_AUTH_SERVER, ch, 0x33);
	expect_auth_denied(conn, &req);
	drop_conn(&conn);
}

/* After a failed AUTH, anything more (even the right AUTH) disconnects at once, unanswered. */
static void auth__denied_then_any_message_disconnects(void **state)
{
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_proto_msg req, rep;
	struct daxmr_conn *conn = auth_conn(ch);
	unsigned int sent;

	(void)state;
	m.hold_send_wc = true;
	auth_msg(&req, &other_key, DAXMR_AUTH_CLIENT, ch, 0x44);
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_ACCESS_DENIED);
	sent = m.nsent;
	assert_int_equal(m.disconnects, 0);
	auth_msg(&req, &test_key, DAXMR_AUTH_CLIENT, ch, 0x45); /* a second try */
	deliver_msg(conn, &req);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(m.nsent, sent); /* not answered */
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	/* the ACCESS_DENIED's completion comes later: no second disconnect */
	push_wc(m.sent_wr_id[sent - 1], IBV_WC_SEND, IBV_WC_SUCCESS, 0);
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	drop_conn(&conn);

	/* the same with a LIST as the next message */
	conn = auth_conn(ch);
	m.hold_send_wc = true;
	auth_msg(&req, &test_key, DAXMR_AUTH_SERVER, ch, 0x46);
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_ACCESS_DENIED);
	sent = m.nsent;
	memset(&req, 0, sizeof(req));
	req.hdr.opcode = DAXMR_PROTO_OP_LIST;
	deliver_msg(conn, &req);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(m.nsent, sent);
	drop_conn(&conn);
}

/* AUTH before HELLO: BAD_STATE, even with a proof over the (still zero) challenge. */
/* A connection short of READY is cut DAXMR_CONN_HANDSHAKE_MS after accept, one that is READY never.
 */
static void handshake__deadline(void **state)
{
	struct daxmr_proto_msg rep;
	struct daxmr_conn *conn;
	int64_t now;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	/* silent since accept: kept until the deadline, then disconnected once */
	conn = make_conn();
	now = daxmr_clock_ms();
	assert_int_equal(daxmr_conn_expire_handshake(conn, now), 0);
	assert_int_equal(daxmr_conn_expire_handshake(conn, now + DAXMR_CONN_HANDSHAKE_MS / 2), 0);
	assert_int_equal(m.disconnects, 0);
	assert_int_equal(daxmr_conn_expire_handshake(conn, now + DAXMR_CONN_HANDSHAKE_MS + 1),
			 -ETIMEDOUT);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(daxmr_conn_expire_handshake(conn, now + DAXMR_CONN_HANDSHAKE_MS + 2), 0);
	assert_int_equal(m.disconnects, 1);
	drop_conn(&conn);
	/* HELLO done but AUTH never sent: the same deadline */
	reset();
	add_export("a", 1, false, true);
	conn = make_conn_env(keyed_env(), 2, 2, 2);
	assert_int_equal(hello_reply(conn, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_WAIT_AUTH);
	now = daxmr_clock_ms();
	assert_int_equal(daxmr_conn_expire_handshake(conn, now + DAXMR_CONN_HANDSHAKE_MS + 1),
			 -ETIMEDOUT);
	assert_int_equal(m.disconnects, 1);
	drop_conn(&conn);
	/* READY: never */
	reset();
	add_export("a", 1, false, true);
	conn = make_conn();
	hello(conn);
	assert_int_equal(daxmr_conn_expire_handshake(conn, daxmr_clock_ms() + 1000000), 0);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

static void auth__before_hello_BAD_STATE(void **state)
{
	static const uint8_t zero[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_proto_msg req, rep;
	struct daxmr_conn *conn;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	conn = make_conn_env(keyed_env(), 2, 2, 2);
	auth_msg(&req, &test_key, DAXMR_AUTH_CLIENT, zero, 0x50);
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_BAD_STATE);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_WAIT_HELLO);
	assert_int_equal(m.disconnects, 0);
	/* not counted as a failed attempt: HELLO and AUTH still work */
	assert_int_equal(hello_reply(conn, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.hello_reply.flags, DAXMR_PROTO_HELLO_F_AUTH);
	auth_msg(&req, &test_key, DAXMR_AUTH_CLIENT, rep.hello_reply.challenge, 0x51);
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

/* A second AUTH after a successful one: BAD_STATE, the connection stays READY. */
static void auth__second_after_success_BAD_STATE(void **state)
{
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_proto_msg req, again, list = { .hdr.opcode = DAXMR_PROTO_OP_LIST };
	struct daxmr_conn *conn = auth_conn(ch);

	(void)state;
	auth_msg(&req, &test_key, DAXMR_AUTH_CLIENT, ch, 0x60);
	again = req;
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(request(conn, &again, NULL), DAXMR_PROTO_STATUS_BAD_STATE);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	assert_int_equal(request(conn, &list, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

/* AUTH to a server without a secret (version 2, HELLO asked nothing): BAD_STATE. */
static void auth__without_key_BAD_STATE(void **state)
{
	static const uint8_t zero[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_proto_msg req, list = { .hdr.opcode = DAXMR_PROTO_OP_LIST };
	struct daxmr_conn *conn;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	conn = make_conn_env(&env, 1, 2, 2);
	hello(conn);
	keyed_env(); /* only for test_key: this server has none */
	auth_msg(&req, &test_key, DAXMR_AUTH_CLIENT, zero, 0x70);
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_BAD_STATE);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	assert_int_equal(request(conn, &list, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

/* LIST pages count only the exports the client may see; walled ones never show. */
static void list__hides_walled_exports(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_LIST }, rep;
	/* e3 is not established; e1, e5 and e16 do not admit the client: 16 visible */
	static const int page1[DAXMR_PROTO_LIST_MAX] = { 0,  2,	 4,  6,	 7,  8,	 9,
							 10, 11, 12, 13, 14, 15, 17 };
	struct daxmr_conn *conn;
	char name[16];
	int i;

	(void)state;
	reset();
	for (i = 0; i < NEXP; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		add_export(name, 1, false, i != 3);
		m.exps[i].walled = i == 1 || i == 5 || i == 16;
	}
	conn = make_conn();
	hello(conn);
	req.list.start = 0;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.list_reply.count, DAXMR_PROTO_LIST_MAX);
	assert_int_equal(rep.list_reply.flags, DAXMR_PROTO_LIST_F_MORE);
	for (i = 0; i < DAXMR_PROTO_LIST_MAX; i++) {
		snprintf(name, sizeof(name), "e%d", page1[i]);
		assert_string_equal(rep.list_reply.entries[i].name, name);
	}
	req.list.start = DAXMR_PROTO_LIST_MAX;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.list_reply.start, DAXMR_PROTO_LIST_MAX);
	assert_int_equal(rep.list_reply.count, 2);
	assert_int_equal(rep.list_reply.flags, 0);
	assert_string_equal(rep.list_reply.entries[0].name, "e18");
	assert_string_equal(rep.list_reply.entries[1].name, "e19");
	/* exactly a page left after start 2: no MORE, though walled exports follow the 14th */
	req.list.start = 2;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.list_reply.count, DAXMR_PROTO_LIST_MAX);
	assert_int_equal(rep.list_reply.flags, 0);
	assert_string_equal(rep.list_reply.entries[0].name, "e4");
	assert_string_equal(rep.list_reply.entries[DAXMR_PROTO_LIST_MAX - 1].name, "e19");
	req.list.start = 16;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.list_reply.count, 0);
	assert_int_equal(rep.list_reply.flags, 0);
	drop_conn(&conn);
}

/* OPEN of an export whose allowlist excludes the client: ACCESS_DENIED, nothing kept. */
static void open__walled_export_ACCESS_DENIED_no_hold(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	m.exps[0].walled = true;
	m.exps[0].mw = true;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL),
			 DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RO, NULL),
			 DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(daxmr_conn_holds(conn), 0);
	assert_int_equal(m.nmw_wr, 0);
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(do_ref(conn, DAXMR_PROTO_OP_CLOSE, 1, 1), DAXMR_PROTO_STATUS_NOT_OPEN);
	assert_int_equal(do_open(conn, "r", DAXMR_PROTO_ACCESS_RO, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_holds(conn), 1);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

/* ---- tests: transport failures ------------------------------------------------------------ */

static void send_ring_full__disconnects(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_LIST };
	struct daxmr_conn *conn = ready_conn();
	int i;

	(void)state;
	m.hold_send_wc = true; /* the client takes nothing: send completions never come */
	for (i = 0; i < DAXMR_CONN_SEND_SLOTS; i++) {
		req.hdr.request_id = 0;
		deliver_msg(conn, &req);
	}
	assert_int_equal(m.disconnects, 0);
	deliver_msg(conn, &req);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	drop_conn(&conn);
}

static void completion_error__disconnects(void **state)
{
	struct daxmr_conn *conn = ready_conn();
	unsigned int i = m.rq_head++ % MAX_RQ;

	(void)state;
	push_wc(m.rq[i].wr_id, IBV_WC_RECV, IBV_WC_WR_FLUSH_ERR, 0);
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.disconnects, 1);
	/* the flushed rest while CLOSING: quiet */
	i = m.rq_head++ % MAX_RQ;
	push_wc(m.rq[i].wr_id, IBV_WC_RECV, IBV_WC_WR_FLUSH_ERR, 0);
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.disconnects, 1);
	drop_conn(&conn);
}

static void completion__unknown_wr_id_ignored(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	push_wc(0xdead, IBV_WC_RECV, IBV_WC_SUCCESS, 24);
	push_wc((1ull << 32) | 0xdead, IBV_WC_SEND, IBV_WC_SUCCESS, 0);
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

static void cq_events__acked_in_batches(void **state)
{
	struct daxmr_conn *conn = ready_conn();
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.cq_events_acked % 16, 0);
	assert_true(m.cq_events_acked >= 32);
	drop_conn(&conn); /* the remainder is acked before the CQ is destroyed */
	assert_int_equal(m.cq_events_acked, 40 + 1 /* hello */);
}

static void req_notify_fails__disconnects(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	m.notify_err = EIO;
	m.notify_fail_at = 0;
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.disconnects, 1);
	drop_conn(&conn);
}

static void post_recv_fails__disconnects(void **state)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_LIST };
	struct daxmr_conn *conn = ready_conn();
	unsigned int before = m.nsent;

	(void)state;
	m.post_recv_err = ENOMEM;
	deliver_msg(conn, &req);
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(m.nsent, before); /* no reply without its receive reposted */
	drop_conn(&conn);
}

/* A REVOKE_ACK's receive not reposted disconnects, as a request's does (it was ignored). */
static void revoke_ack__post_recv_fails_disconnects(void **state)
{
	struct daxmr_proto_msg ack = { .hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK };
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	ack.revoke_ack.export_id = 1;
	ack.revoke_ack.generation = 1;
	m.post_recv_err = ENOMEM;
	deliver_msg(conn, &ack); /* matches no REVOKE: ignored, but its buffer must go back */
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_CLOSING);
	drop_conn(&conn);
}

/* The accept's private data cannot be encoded: rejected INTERNAL, not accepted without it. */
static void new__accept_encode_fails_rejected(void **state)
{
	(void)state;
	new_fails_status(&m.accept_encode_err, EOVERFLOW, true, DAXMR_PROTO_STATUS_INTERNAL);
	assert_int_equal(m.accepts, 0);
}

/* The reject's private data cannot be encoded: still rejected, without it (and logged). */
static void reject__encode_fails_rejects_without_pdata(void **state)
{
	(void)state;
	reset();
	m.reject_encode_err = EOVERFLOW;
	daxmr_conn_reject(&env, &fake_id, DAXMR_PROTO_STATUS_BUSY, "test");
	assert_int_equal(m.rejects, 1);
	assert_int_equal(m.reject_len, 0);
}

static void disconnect_fails__reported_dead(void **state)
{
	struct daxmr_conn *conn = ready_conn();

	(void)state;
	m.disconnect_errno = EINVAL;
	daxmr_conn_disconnect(conn);
	assert_int_equal(m.dead_calls, 1);
	daxmr_conn_disconnect(conn); /* once */
	assert_int_equal(m.disconnects, 1);
	assert_int_equal(m.dead_calls, 1);
	drop_conn(&conn);
}

static void state_str__all(void **state)
{
	(void)state;
	assert_string_equal(daxmr_conn_state_str(DAXMR_CONN_ACCEPTING), "accepting");
	assert_string_equal(daxmr_conn_state_str(DAXMR_CONN_WAIT_HELLO), "wait-hello");
	assert_string_equal(daxmr_conn_state_str(DAXMR_CONN_WAIT_AUTH), "wait-auth");
	assert_string_equal(daxmr_conn_state_str(DAXMR_CONN_READY), "ready");
	assert_string_equal(daxmr_conn_state_str(DAXMR_CONN_DENIED), "denied");
	assert_string_equal(daxmr_conn_state_str(DAXMR_CONN_CLOSING), "closing");
	assert_string_equal(daxmr_conn_state_str(DAXMR_CONN_CLOSED), "closed");
	assert_string_equal(daxmr_conn_state_str((enum daxmr_conn_state)42), "unknown");
}

/* ---- tests: version 3 ---------------------------------------------------------------------- */

/* A READY version-3 connection (client range 1..3) with exports a (1500 segments), r, gone. */
static struct daxmr_conn *v3_conn(void)
{
	struct daxmr_conn *conn = ready_conn_v(1, 3, 3);

	m.exps[0].nseg = 1500;
	m.exps[0].length = 1500ull << 20;
	return conn;
}

static enum daxmr_proto_status do_keys(struct daxmr_conn *conn, uint32_t id, uint64_t gen,
				       uint32_t first, struct daxmr_proto_msg *rep)
{
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_KEYS };

	req.keys.export_id = id;
	req.keys.generation = gen;
	req.keys.first = first;
	return request(conn, &req, rep);
}

static void v3_open__segmented_descriptor_and_keys(void **state)
{
	struct daxmr_conn *conn = v3_conn();
	struct daxmr_proto_msg rep;
	struct daxmr_proto_desc d;

	(void)state;
	assert_int_equal(do_keys(conn, 1, 1, 0, &rep), DAXMR_PROTO_STATUS_NOT_OPEN);
	assert_string_equal(rep.reason, "export a is not open on this connection");
	assert_int_equal(do_keys(conn, 9, 1, 0, &rep), DAXMR_PROTO_STATUS_NO_SUCH_EXPORT);
	assert_string_equal(rep.reason, "no export has id 9");
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.length, 1500ull << 20); /* whole */
	assert_int_equal(d.seg_shift, 20);
	assert_int_equal(d.nseg, 1500);
	assert_int_equal(d.nkeys, DAXMR_PROTO_KEYS_MAX);
	assert_int_equal(d.rkey, d.keys[0]);
	assert_int_equal(d.keys[999], fake_key(&m.exps[0], DAXMR_PROTO_ACCESS_RW, 999));
	assert_int_equal(do_keys(conn, 1, 1, 1000, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.keys_reply.first, 1000);
	assert_int_equal(rep.keys_reply.count, 500);
	assert_int_equal(rep.keys_reply.keys[0], fake_key(&m.exps[0], DAXMR_PROTO_ACCESS_RW, 1000));
	assert_int_equal(rep.keys_reply.keys[499],
			 fake_key(&m.exps[0], DAXMR_PROTO_ACCESS_RW, 1499));
	assert_int_equal(do_keys(conn, 1, 1, 1499, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.keys_reply.count, 1);
	assert_int_equal(do_keys(conn, 1, 1, 1500, &rep), DAXMR_PROTO_STATUS_OUT_OF_RANGE);
	assert_string_equal(rep.reason, "export a has 1500 segments, segment 1500 asked");
	assert_int_equal(do_keys(conn, 1, 1, UINT32_MAX, &rep), DAXMR_PROTO_STATUS_OUT_OF_RANGE);
	assert_int_equal(do_keys(conn, 1, 2, 0, &rep), DAXMR_PROTO_STATUS_STALE_GENERATION);
	assert_non_null(strstr(rep.reason, "generation 2"));
	/* a ro descriptor gets the ro keys */
	assert_int_equal(do_open(conn, "r", DAXMR_PROTO_ACCESS_RO, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.nseg, 1);
	assert_int_equal(do_keys(conn, 2, 1, 0, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.keys_reply.keys[0], d.rkey);
	/* the export moved on to generation 2: the old descriptor's keys are stale */
	m.exps[0].gen = 2;
	assert_int_equal(do_keys(conn, 1, 1, 0, &rep), DAXMR_PROTO_STATUS_STALE_GENERATION);
	assert_int_equal(m.disconnects, 0);
	drop_conn(&conn);
}

static void v3_keys__after_revoke_ack_STALE_GENERATION(void **state)
{
	struct daxmr_conn *conn = v3_conn();
	struct daxmr_proto_msg rep, rv;

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(daxmr_conn_revoke(conn, (struct daxmr_export *)&m.exps[0], 1,
					   DAXMR_PROTO_REVOKE_LEASE_BREAK, 1000),
			 0);
	sent_msg(-1, &rv);
	/* until the ack the keys are still the client's (it may still finish its operations) */
	assert_int_equal(do_keys(conn, 1, 1, 1000, &rep), DAXMR_PROTO_STATUS_OK);
	ack_revoke_msg(conn, &rv, 1, 1);
	assert_int_equal(m.acks, 1);
	assert_int_equal(do_keys(conn, 1, 1, 1000, &rep), DAXMR_PROTO_STATUS_STALE_GENERATION);
	drop_conn(&conn);
}

static void v3_open__old_client_UNSUPPORTED_VERSION_for_segments(void **state)
{
	struct daxmr_conn *conn;
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_OPEN }, rep;
	struct daxmr_proto_desc d;

	(void)state;
	for (uint16_t v = 1; v <= 2; v++) {
		reset();
		add_export("a", 1, false, true);
		add_export("small", 1, false, true);
		m.exps[0].nseg = 3;
		m.exps[0].length = 3ull << 20;
		conn = make_conn_env(&env, 1, v, v);
		hello(conn);
		req.open.access = DAXMR_PROTO_ACCESS_RW;
		strcpy(req.open.name, "a");
		assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION);
		assert_string_equal(rep.reason, ""); /* no reasons below version 3 */
		assert_int_equal(rep.hdr.length, 0);
		assert_int_equal(daxmr_conn_holds(conn), 0);
		/* one segment: as before */
		assert_int_equal(do_open(conn, "small", DAXMR_PROTO_ACCESS_RW, &d),
				 DAXMR_PROTO_STATUS_OK);
		assert_int_equal(d.nseg, 0); /* not on the wire below version 3 */
		assert_int_equal(d.length, 1 << 20);
		assert_int_equal(m.disconnects, 0);
		drop_conn(&conn);
	}
	/* version 3 gets it */
	conn = v3_conn();
	m.exps[0].nseg = 3;
	m.exps[0].length = 3ull << 20;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.nseg, 3);
	assert_int_equal(d.nkeys, 3);
	drop_conn(&conn);
}

static void v3_open__UNAVAILABLE_with_reason_REVOKING_below_3(void **state)
{
	struct daxmr_conn *conn = v3_conn();
	struct daxmr_proto_msg req = { .hdr.opcode = DAXMR_PROTO_OP_OPEN }, rep;

	(void)state;
	req.open.access = DAXMR_PROTO_ACCESS_RO;
	strcpy(req.open.name, "gone");
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_REVOKING);
	assert_string_equal(rep.reason, "export gone is being revoked or re-established: retry");
	m.exps[2].down = true;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_UNAVAILABLE);
	assert_string_equal(rep.reason, "down: the file has a hole at offset 8192");
	strcpy(req.open.name, "nope");
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_NO_SUCH_EXPORT);
	assert_string_equal(rep.reason, "no export is named nope");
	strcpy(req.open.name, "r");
	req.open.access = DAXMR_PROTO_ACCESS_RW;
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_string_equal(rep.reason, "export r is read-only");
	drop_conn(&conn);
	/* version 2: REVOKING, no reason, even when down */
	conn = ready_conn();
	m.exps[2].down = true;
	req.open.access = DAXMR_PROTO_ACCESS_RO;
	strcpy(req.open.name, "gone");
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_REVOKING);
	assert_string_equal(rep.reason, "");
	drop_conn(&conn);
}

static void v3_open__window_key_is_keys0_and_KEYS(void **state)
{
	struct daxmr_conn *conn = v3_conn();
	struct daxmr_proto_msg rep;

	(void)state;
	m.exps[1].mw = true;
	m.exps[0].nseg = 0; /* one segment: windows */
	m.exps[0].length = 1 << 20;
	m.exps[0].mw = true;
	m.hold_mw_wc = true;
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RW, 777), 0);
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	sent_msg(-1, &rep); /* decodes: the encoder checked keys[0] == rkey */
	assert_int_equal(rep.hdr.status, DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.desc.key_kind, DAXMR_PROTO_KEY_MW);
	assert_int_equal(rep.desc.nkeys, 1);
	assert_int_equal(rep.desc.keys[0], ibv_inc_rkey(m.mws[0].rkey));
	assert_int_equal(do_keys(conn, 1, 1, 0, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.keys_reply.keys[0], ibv_inc_rkey(m.mws[0].rkey));
	assert_int_equal(m.keys_calls, 0); /* the window's key, not the MR's */
	assert_int_equal(do_keys(conn, 1, 1, 1, &rep), DAXMR_PROTO_STATUS_OUT_OF_RANGE);
	drop_conn(&conn);
}

/* v3_conn() with export a of 3 segments of 1 MiB, keyed by windows. */
static struct daxmr_conn *seg_mw_conn(void)
{
	struct daxmr_conn *conn = v3_conn();

	m.exps[0].nseg = 3;
	m.exps[0].length = 3u << 20;
	m.exps[0].mw = true;
	return conn;
}

/*
 * An export of several segments: a window per segment, bound one after the other (each on an
 * idle send queue), the OPEN answered once the last is bound, with every segment's key; KEYS
 * gives the same keys.
 */
static void v3_open__segmented_a_window_per_segment_and_KEYS(void **state)
{
	struct daxmr_conn *conn = seg_mw_conn();
	struct daxmr_proto_msg rep;
	uint32_t i;

	(void)state;
	m.hold_mw_wc = true;
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RW, 50), 0);
	assert_int_equal(m.live_mws, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(m.nmw_wr, i + 1); /* one bind at a time */
		assert_int_equal(m.mw_wr[i].opcode, IBV_WR_BIND_MW);
		assert_ptr_equal(m.mw_wr[i].bind_mw.bind_info.mr, &fake_seg_mr[i]);
		assert_int_equal(m.mw_wr[i].bind_mw.bind_info.addr, 0x10000 + (i << 20));
		assert_int_equal(m.mw_wr[i].bind_mw.bind_info.length, 1 << 20);
		if (i < 2) {
			unsigned int sent = m.nsent;

			flush_mw_wc();
			daxmr_conn_on_cq_event(conn);
			assert_int_equal(m.nsent, sent); /* not answered before the last */
		}
	}
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	expect_reply(50, DAXMR_PROTO_STATUS_OK, &rep);
	assert_int_equal(rep.desc.key_kind, DAXMR_PROTO_KEY_MW);
	assert_int_equal(rep.desc.nseg, 3);
	assert_int_equal(rep.desc.nkeys, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(rep.desc.keys[i], m.mw_wr[i].bind_mw.rkey);
	assert_int_not_equal(rep.desc.keys[0], rep.desc.keys[1]);
	assert_int_not_equal(rep.desc.keys[1], rep.desc.keys[2]);
	assert_int_equal(do_keys(conn, 1, 1, 1, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.keys_reply.first, 1);
	assert_int_equal(rep.keys_reply.count, 2);
	assert_int_equal(rep.keys_reply.keys[0], m.mw_wr[1].bind_mw.rkey);
	assert_int_equal(rep.keys_reply.keys[1], m.mw_wr[2].bind_mw.rkey);
	assert_int_equal(m.keys_calls, 0); /* the windows' keys, not the MRs' */
	assert_int_equal(do_keys(conn, 1, 1, 3, &rep), DAXMR_PROTO_STATUS_OUT_OF_RANGE);
	/* the same OPEN again: the same windows, no bind */
	m.hold_mw_wc = false;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &rep.desc),
			 DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.nmw_wr, 3);
	assert_int_equal(rep.desc.keys[2], m.mw_wr[2].bind_mw.rkey);
	assert_int_equal(daxmr_conn_windows(conn), 3);
	drop_conn(&conn);
}

/* The REVOKE_ACK invalidates every segment's window; the ack is reported after the last. */
static void v3_revoke_ack__invalidates_every_segment_window(void **state)
{
	struct daxmr_conn *conn = seg_mw_conn();
	struct daxmr_export *a = (struct daxmr_export *)&m.exps[0];
	struct daxmr_proto_desc d;
	unsigned int i;

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.live_mws, 3);
	m.exps[0].available = false;
	assert_int_equal(daxmr_conn_revoke(conn, a, 1, DAXMR_PROTO_REVOKE_LEASE_BREAK, 500), 0);
	m.hold_mw_wc = true;
	ack_revoke(conn, 1, 1);
	assert_int_equal(m.nmw_wr, 6);
	for (i = 0; i < 3; i++) {
		assert_int_equal(m.mw_wr[3 + i].opcode, IBV_WR_LOCAL_INV);
		assert_int_equal(m.mw_wr[3 + i].invalidate_rkey, d.keys[i]);
	}
	assert_int_equal(m.acks, 0);
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.acks, 1);
	assert_int_equal(m.live_mws, 0);
	drop_conn(&conn);
}

/* A disconnect deallocates every segment's window at once; the fence does too. */
static void v3_disconnect_and_fence__every_segment_window(void **state)
{
	struct daxmr_conn *conn = seg_mw_conn();

	(void)state;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RO, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.live_mws, 6);
	daxmr_conn_fence(conn, (struct daxmr_export *)&m.exps[0]);
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(m.live_mws, 3);
	daxmr_conn_disconnect(conn);
	assert_int_equal(m.live_mws, 0);
	drop_conn(&conn);
}

/*
 * Revoked with one segment bound, one binding and one queued: the OPEN is answered REVOKING
 * once, at once; the bound window goes, the binding one at its completion.
 */
static void v3_revoke__half_bound_segments_dropped_once(void **state)
{
	struct daxmr_conn *conn = seg_mw_conn();
	struct daxmr_export *a = (struct daxmr_export *)&m.exps[0];
	struct daxmr_proto_msg rep;
	unsigned int sent;

	(void)state;
	m.hold_mw_wc = true;
	assert_int_equal(open_async(conn, "a", DAXMR_PROTO_ACCESS_RW, 60), 0);
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn); /* segment 0 bound, segment 1's bind out */
	assert_int_equal(m.nmw_wr, 2);
	m.exps[0].available = false;
	sent = m.nsent;
	assert_int_equal(daxmr_conn_revoke(conn, a, 1, DAXMR_PROTO_REVOKE_LEASE_BREAK, 500),
			 -ENOENT);
	assert_int_equal(m.nsent, sent + 1);
	expect_reply(60, DAXMR_PROTO_STATUS_REVOKING, &rep);
	assert_int_equal(m.live_mws, 1); /* segment 1's: its bind is out */
	flush_mw_wc();
	daxmr_conn_on_cq_event(conn);
	assert_int_equal(m.live_mws, 0);
	assert_int_equal(m.nsent, sent + 1); /* answered once */
	assert_int_equal(m.nmw_wr, 2);	     /* segment 2 never bound */
	assert_int_equal(daxmr_conn_holds(conn), 0);
	drop_conn(&conn);
}

/* An export of more segments than windows go per OPEN: its MR keys. */
static void v3_open__too_many_segments_MR_keys(void **state)
{
	struct daxmr_conn *conn = v3_conn(); /* 1500 segments */
	struct daxmr_proto_desc d;

	(void)state;
	m.exps[0].mw = true;
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, &d), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MR);
	assert_int_equal(m.nmw_wr, 0);
	assert_int_equal(m.live_mws, 0);
	drop_conn(&conn);
}

static void v3_bad_state__reasons(void **state)
{
	struct daxmr_conn *conn;
	struct daxmr_proto_msg rep;

	(void)state;
	reset();
	add_export("a", 1, false, true);
	conn = make_conn_env(&env, 3, 3, 3);
	assert_int_equal(do_keys(conn, 1, 1, 0, &rep), DAXMR_PROTO_STATUS_BAD_STATE);
	assert_string_equal(rep.reason, "HELLO first");
	drop_conn(&conn);
}

/* ---- version 4: identities ---- */

static struct daxmr_auth_identity test_ids[2]; /* tenant-a, tenant-b: sorted by name */
static struct daxmr_auth_keyring test_ring = { test_ids, 2 };
static struct daxmr_auth_key key_a, key_b;

/* env with identities tenant-a and tenant-b, and the test's secret as the anonymous identity. */
static const struct daxmr_conn_env *ids_env(void)
{
	static const char sa[] = "conn_test: tenant-a's own secret",
			  sb[] = "conn_test: tenant-b's secret";

	keyed_env();
	assert_int_equal(daxmr_auth_key_from_bytes(sa, sizeof(sa) - 1, &key_a), 0);
	assert_int_equal(daxmr_auth_key_from_bytes(sb, sizeof(sb) - 1, &key_b), 0);
	strcpy(test_ids[0].name, "tenant-a");
	test_ids[0].key = key_a;
	strcpy(test_ids[1].name, "tenant-b");
	test_ids[1].key = key_b;
	key_env.keys = &test_ring;
	return &key_env;
}

/*
 * A version-4 connection to a server with identities, HELLO answered (WAIT_AUTH): exports "a"
 * (tenant-a's only), "b" (tenant-b's only) and "p" (no list).
 */
static struct daxmr_conn *id_conn(uint8_t challenge[DAXMR_PROTO_AUTH_CHALLENGE_SIZE])
{
	struct daxmr_proto_msg rep;
	struct daxmr_conn *conn;

	reset();
	add_export("a", 1, false, true);
	m.exps[0].only = "tenant-a";
	add_export("b", 1, false, true);
	m.exps[1].only = "tenant-b";
	add_export("p", 1, false, true);
	conn = make_conn_env(ids_env(), 1, 4, 4);
	assert_int_equal(hello_reply(conn, &rep), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(rep.hello_reply.flags, DAXMR_PROTO_HELLO_F_AUTH);
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_WAIT_AUTH);
	memcpy(challenge, rep.hello_reply.challenge, DAXMR_PROTO_AUTH_CHALLENGE_SIZE);
	return conn;
}

/* A version-4 AUTH naming identity, its proof made with key in role. */
static void auth_msg_id(struct daxmr_proto_msg *msg, const struct daxmr_auth_key *key,
			enum daxmr_auth_role role, const char *identity, const uint8_t *challenge,
			uint8_t seed)
{
	auth_msg(msg, key, role, challenge, seed);
	daxmr_auth_proof_id(key, role, 4, identity, challenge, msg->auth.nonce, msg->auth.proof);
	strcpy(msg->auth.identity, identity);
}

/* The names LIST shows this connection, space-separated, into buf. */
static void list_names(struct daxmr_conn *conn, char *buf, size_t size)
{
	struct daxmr_proto_msg list = { .hdr.opcode = DAXMR_PROTO_OP_LIST }, rep;
	size_t off = 0;

	assert_int_equal(request(conn, &list, &rep), DAXMR_PROTO_STATUS_OK);
	buf[0] = '\0';
	for (uint16_t i = 0; i < rep.list_reply.count; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? " " : "",
					rep.list_reply.entries[i].name);
}

/* tenant-a authenticates, the server proves back for tenant-a; LIST and OPEN see only its own. */
static void ids__tenant_sees_and_opens_only_its_exports(void **state)
{
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_conn *conn = id_conn(ch);
	struct daxmr_proto_msg req, rep;
	struct daxmr_conn_info info;
	char names[64];

	(void)state;
	auth_msg_id(&req, &key_a, DAXMR_AUTH_CLIENT, "tenant-a", ch, 0x41);
	assert_int_equal(request(conn, &req, &rep), DAXMR_PROTO_STATUS_OK);
	assert_true(daxmr_auth_verify_id(&key_a, DAXMR_AUTH_SERVER, 4, "tenant-a", ch,
					 req.auth.nonce, rep.auth_reply.proof));
	assert_false(daxmr_auth_verify_id(&key_a, DAXMR_AUTH_SERVER, 4, "tenant-b", ch,
					  req.auth.nonce, rep.auth_reply.proof));
	daxmr_conn_info(conn, &info);
	assert_string_equal(info.identity, "tenant-a");
	assert_true(info.authenticated);
	list_names(conn, names, sizeof(names));
	assert_string_equal(names, "a p");
	assert_int_equal(do_open(conn, "b", DAXMR_PROTO_ACCESS_RW, NULL),
			 DAXMR_PROTO_STATUS_ACCESS_DENIED);
	assert_int_equal(do_open(conn, "a", DAXMR_PROTO_ACCESS_RW, NULL), DAXMR_PROTO_STATUS_OK);
	assert_int_equal(do_open(conn, "p", DAXMR_PROTO_ACCESS_RO, NULL), DAXMR_PROTO_STATUS_OK);
	drop_conn(&conn);
}

/* The anonymous identity (""): the secret's key; it sees only exports without a list. */
static void ids__anonymous_identity_the_secret(void **state)
{
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_conn *conn = id_conn(ch);
	struct daxmr_proto_msg req;
	char names[64];

	(void)state;
	auth_msg_id(&req, &test_key, DAXMR_AUTH_CLIENT, "", ch, 0x42);
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_OK);
	list_names(conn, names, sizeof(names));
	assert_string_equal(names, "p");
	drop_conn(&conn);
}

/*
 * An unknown identity (with any key), a known one with another's key, the anonymous one with a
 * tenant's key: the same ACCESS_DENIED, status only, then a disconnect.
 */
static void ids__unknown_identity_and_wrong_key_denied_alike(void **state)
{
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_proto_msg req;
	struct daxmr_conn *conn;

	(void)state;
	conn = id_conn(ch);
	auth_msg_id(&req, &key_a, DAXMR_AUTH_CLIENT, "tenant-c", ch, 0x43);
	expect_auth_denied(conn, &req);
	drop_conn(&conn);
	conn = id_conn(ch);
	auth_msg_id(&req, &key_b, DAXMR_AUTH_CLIENT, "tenant-a", ch, 0x44);
	expect_auth_denied(conn, &req);
	drop_conn(&conn);
	conn = id_conn(ch);
	auth_msg_id(&req, &key_a, DAXMR_AUTH_CLIENT, "", ch, 0x45);
	expect_auth_denied(conn, &req);
	drop_conn(&conn);
}

/*
 * Replayed or reflected across identities: tenant-b's valid AUTH with its name changed to
 * tenant-a; a version-2 proof on a version-4 connection; a server-role proof; a proof recorded
 * on another connection. Each denied.
 */
static void ids__replayed_or_reflected_across_identities_denied(void **state)
{
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE], ch2[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_proto_msg req, replay;
	struct daxmr_conn *conn;

	(void)state;
	conn = id_conn(ch);
	auth_msg_id(&req, &key_b, DAXMR_AUTH_CLIENT, "tenant-b", ch, 0x46);
	strcpy(req.auth.identity, "tenant-a");
	expect_auth_denied(conn, &req);
	drop_conn(&conn);
	conn = id_conn(ch);
	auth_msg(&req, &key_a, DAXMR_AUTH_CLIENT, ch, 0x47); /* the version-2 proof */
	strcpy(req.auth.identity, "tenant-a");
	expect_auth_denied(conn, &req);
	drop_conn(&conn);
	conn = id_conn(ch);
	auth_msg_id(&req, &key_a, DAXMR_AUTH_SERVER, "tenant-a", ch, 0x48);
	expect_auth_denied(conn, &req);
	drop_conn(&conn);
	conn = id_conn(ch);
	auth_msg_id(&req, &key_a, DAXMR_AUTH_CLIENT, "tenant-a", ch, 0x49);
	replay = req;
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_OK);
	drop_conn(&conn);
	conn = id_conn(ch2);
	assert_memory_not_equal(ch, ch2, sizeof(ch));
	expect_auth_denied(conn, &replay);
	drop_conn(&conn);
}

/* Switching identity mid-connection: a second AUTH, even a valid one for B, is BAD_STATE. */
static void ids__identity_switch_mid_connection_BAD_STATE(void **state)
{
	uint8_t ch[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_conn *conn = id_conn(ch);
	struct daxmr_proto_msg req;
	struct daxmr_conn_info info;
	char names[64];

	(void)state;
	auth_msg_id(&req, &key_a, DAXMR_AUTH_CLIENT, "tenant-a", ch, 0x4a);
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_OK);
	auth_msg_id(&req, &key_b, DAXMR_AUTH_CLIENT, "tenant-b", ch, 0x4b);
	assert_int_equal(request(conn, &req, NULL), DAXMR_PROTO_STATUS_BAD_STATE);
	daxmr_conn_info(conn, &info);
	assert_string_equal(info.identity, "tenant-a");
	list_names(conn, names, sizeof(names));
	assert_string_equal(names, "a p");
	assert_int_equal(daxmr_conn_state(conn), DAXMR_CONN_READY);
	drop_conn(&conn);
}

/* With identities only version 4 is spoken: a 1..3 client is rejected, told 4..4 and why. */
static void ids__older_clients_refused_with_reason(void **state)
{
	struct daxmr_proto_cm_reject rej;
	struct daxmr_conn *conn = NULL;
	uint8_t pdata[56];
	size_t n;

	(void)state;
	reset();
	add_export("p", 1, false, true);
	n = cm_connect(1, 3, pdata);
	assert_int_equal(daxmr_conn_new(ids_env(), &fake_id, pdata, n, NULL, &conn),
			 -EPROTONOSUPPORT);
	assert_null(conn);
	check_reject_range(DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, 4);
	assert_int_equal(daxmr_proto_cm_reject_decode(m.reject_pdata, m.reject_len, &rej), 0);
	assert_non_null(strstr(rej.reason, "clients must name an identity, which needs version 4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conn_new__ok_and_delete),
		cmocka_unit_test(conn_new__rdma_set_option_fails_still_accepts),
		cmocka_unit_test(conn_new__bad_private_data),
		cmocka_unit_test(conn_new__no_common_version),
		cmocka_unit_test(conn_new__other_device),
		cmocka_unit_test(conn_new__padded_private_data_accepted),
		cmocka_unit_test(conn_new__ibv_reg_mr_fails),
		cmocka_unit_test(conn_new__ibv_reg_mr_EINVAL),
		cmocka_unit_test(conn_new__ibv_create_cq_fails),
		cmocka_unit_test(conn_new__rdma_create_qp_fails),
		cmocka_unit_test(conn_new__ibv_post_recv_fails),
		cmocka_unit_test(conn_new__ibv_req_notify_cq_fails),
		cmocka_unit_test(conn_new__rdma_accept_fails),
		cmocka_unit_test(hello__ok_then_second_BAD_STATE),
		cmocka_unit_test(hello__range_differs_from_connect_UNSUPPORTED_VERSION),
		cmocka_unit_test(request_before_hello__BAD_STATE),
		cmocka_unit_test(bad_first_receive_before_established),
		cmocka_unit_test(first_receive_before_established),
		cmocka_unit_test(list__pages_of_14_with_MORE),
		cmocka_unit_test(open__statuses),
		cmocka_unit_test(open__hold_limit_BUSY),
		cmocka_unit_test(close__statuses),
		cmocka_unit_test(flush__statuses),
		cmocka_unit_test(flush__wrapping_range_OUT_OF_RANGE),
		cmocka_unit_test(malformed__bad_magic_ERROR_disconnect),
		cmocka_unit_test(malformed__short_and_unknown_opcode),
		cmocka_unit_test(malformed__bad_payload_BAD_MESSAGE_stays_up),
		cmocka_unit_test(wrong_direction__disconnects),
		cmocka_unit_test(malformed__random_bytes_never_crash),
		cmocka_unit_test(revoke__sent_acked),
		cmocka_unit_test(revoke__close_counts_as_ack),
		cmocka_unit_test(revoke__disconnect_counts_as_ack),
		cmocka_unit_test(revoke__delete_counts_as_ack),
		cmocka_unit_test(revoke__send_fails_disconnects_not_counted),
		cmocka_unit_test(available__after_revocation),
		cmocka_unit_test(available__unacked_holder_and_reopen),
		cmocka_unit_test(open__window_reply_only_after_bind_completion),
		cmocka_unit_test(open__ro_window_reads_only_and_same_key_again),
		cmocka_unit_test(open__alloc_mw_fails_MR_key_fallback),
		cmocka_unit_test(open__bind_post_fails_MR_key_fallback),
		cmocka_unit_test(open__no_windows_on_device_MR_key),
		cmocka_unit_test(open__bind_completion_error_disconnects),
		cmocka_unit_test(open__revoked_while_binding_REVOKING),
		cmocka_unit_test(open__fenced_while_binding_REVOKING),
		cmocka_unit_test(open__bind_held_behind_unacked_send),
		cmocka_unit_test(open__queued_binds_one_at_a_time_oldest_first),
		cmocka_unit_test(open__queue_bounded_BUSY_then_drained_in_order),
		cmocka_unit_test(revoke__drops_queued_bind_REVOKING),
		cmocka_unit_test(open__revoked_while_queued_REVOKING),
		cmocka_unit_test(fence__drops_queued_bind),
		cmocka_unit_test(disconnect__frees_queued_binds),
		cmocka_unit_test(open__queued_bind_post_fails_MR_key),
		cmocka_unit_test(close__invalidates_the_window),
		cmocka_unit_test(revoke_ack__reported_after_local_inv),
		cmocka_unit_test(revoke_close__ack_after_local_inv),
		cmocka_unit_test(revoke_ack__local_inv_post_fails_dealloc),
		cmocka_unit_test(disconnect__deallocs_windows_before_acks),
		cmocka_unit_test(disconnect__cuts_off_at_once),
		cmocka_unit_test(delete__pending_invalidation_acked),
		cmocka_unit_test(fence__deallocs_only_that_exports_windows),
		cmocka_unit_test(fence__unreachable_holder_disconnected_later),
		cmocka_unit_test(fence__delivered_unanswered_holder_stays),
		cmocka_unit_test(fence__unreachable_holder_back_stays),
		cmocka_unit_test(reopen__new_generation_invalidates_old_window),
		cmocka_unit_test(conn_reject__range_follows_the_key),
		cmocka_unit_test(conn_new__key_needs_version_2),
		cmocka_unit_test(conn_new__no_export_admits_ACCESS_DENIED),
		cmocka_unit_test(conn_new__one_admitting_export_accepted),
		cmocka_unit_test(hello__key_AUTH_flag_and_fresh_challenge),
		cmocka_unit_test(hello__no_key_no_AUTH_flag),
		cmocka_unit_test(wait_auth__requests_ACCESS_DENIED_stays_up),
		cmocka_unit_test(auth__right_proof_OK_server_proof),
		cmocka_unit_test(auth__wrong_proof_ACCESS_DENIED_disconnect_after_send),
		cmocka_unit_test(auth__replayed_proof_ACCESS_DENIED),
		cmocka_unit_test(auth__reflected_server_proof_ACCESS_DENIED),
		cmocka_unit_test(auth__denied_then_any_message_disconnects),
		cmocka_unit_test(handshake__deadline),
		cmocka_unit_test(auth__before_hello_BAD_STATE),
		cmocka_unit_test(auth__second_after_success_BAD_STATE),
		cmocka_unit_test(auth__without_key_BAD_STATE),
		cmocka_unit_test(ids__tenant_sees_and_opens_only_its_exports),
		cmocka_unit_test(ids__anonymous_identity_the_secret),
		cmocka_unit_test(ids__unknown_identity_and_wrong_key_denied_alike),
		cmocka_unit_test(ids__replayed_or_reflected_across_identities_denied),
		cmocka_unit_test(ids__identity_switch_mid_connection_BAD_STATE),
		cmocka_unit_test(ids__older_clients_refused_with_reason),
		cmocka_unit_test(list__hides_walled_exports),
		cmocka_unit_test(open__walled_export_ACCESS_DENIED_no_hold),
		cmocka_unit_test(send_ring_full__disconnects),
		cmocka_unit_test(completion_error__disconnects),
		cmocka_unit_test(completion__unknown_wr_id_ignored),
		cmocka_unit_test(cq_events__acked_in_batches),
		cmocka_unit_test(req_notify_fails__disconnects),
		cmocka_unit_test(post_recv_fails__disconnects),
		cmocka_unit_test(disconnect_fails__reported_dead),
		cmocka_unit_test(state_str__all),
		cmocka_unit_test(revoke_ack__post_recv_fails_disconnects),
		cmocka_unit_test(new__accept_encode_fails_rejected),
		cmocka_unit_test(reject__encode_fails_rejects_without_pdata),
		cmocka_unit_test(v3_open__segmented_descriptor_and_keys),
		cmocka_unit_test(v3_keys__after_revoke_ack_STALE_GENERATION),
		cmocka_unit_test(v3_open__old_client_UNSUPPORTED_VERSION_for_segments),
		cmocka_unit_test(v3_open__UNAVAILABLE_with_reason_REVOKING_below_3),
		cmocka_unit_test(v3_open__window_key_is_keys0_and_KEYS),
		cmocka_unit_test(v3_open__segmented_a_window_per_segment_and_KEYS),
		cmocka_unit_test(v3_revoke_ack__invalidates_every_segment_window),
		cmocka_unit_test(v3_disconnect_and_fence__every_segment_window),
		cmocka_unit_test(v3_revoke__half_bound_segments_dropped_once),
		cmocka_unit_test(v3_open__too_many_segments_MR_keys),
		cmocka_unit_test(v3_bad_state__reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
