/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_rdma.c -- an in-memory RC device for the stateful fuzz targets: CQ, QP, MR, MW, cm_id */
#include "fake_rdma.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

struct fake_rdma fake_rdma;

/* The armed failure of kind, consumed: 0 or a positive errno. */
static int fake_take_fail(enum fake_rdma_call kind)
{
	int err = fake_rdma.fail[kind];

	fake_rdma.fail[kind] = 0;
	return err;
}

static struct fake_rdma_qp *fake_qp(struct ibv_qp *qp)
{
	return (struct fake_rdma_qp *)(void *)qp;
}

static struct fake_rdma_cq *fake_cq(struct ibv_cq *cq)
{
	return (struct fake_rdma_cq *)(void *)cq;
}

/* Queues a completion; the CQ must have room (the consumer sized it for its WRs). */
static void fake_push_wc(struct fake_rdma_cq *cq, uint64_t wr_id, enum ibv_wc_opcode op,
			 enum ibv_wc_status st, uint32_t len)
{
	struct ibv_wc *wc;

	FUZZ_CHECK(cq->tail - cq->head < (unsigned int)cq->cqe, "CQ of %d entries overrun",
		   cq->cqe);
	wc = &cq->wc[cq->tail++ % (sizeof(cq->wc) / sizeof(cq->wc[0]))];
	memset(wc, 0, sizeof(*wc));
	wc->wr_id = wr_id;
	wc->opcode = op;
	wc->status = st;
	wc->byte_len = len;
}

/* ---- the static-inline verbs, through the context's ops -------------------------------- */

static int fake_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad)
{
	struct fake_rdma_qp *qp = fake_qp(ibqp);
	int err = fake_take_fail(FAKE_RDMA_POST_RECV);

	if (err) {
		*bad = wr;
		return err;
	}
	for (; wr; wr = wr->next) {
		FUZZ_CHECK(wr->num_sge == 1, "receive with %d SGEs", wr->num_sge);
		if (qp->rq_tail - qp->rq_head >= qp->cap.max_recv_wr) {
			*bad = wr;
			return ENOMEM; /* what a full receive queue answers */
		}
		qp->rq[qp->rq_tail % FAKE_RDMA_WR_MAX].wr_id = wr->wr_id;
		qp->rq[qp->rq_tail % FAKE_RDMA_WR_MAX].addr =
			(uint8_t *)(uintptr_t)wr->sg_list[0].addr;
		qp->rq[qp->rq_tail % FAKE_RDMA_WR_MAX].len = wr->sg_list[0].length;
		qp->rq_tail++;
	}
	return 0;
}

static int fake_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr, struct ibv_send_wr **bad)
{
	struct fake_rdma_qp *qp = fake_qp(ibqp);
	struct fake_rdma_send *s;
	int err = fake_take_fail(FAKE_RDMA_POST_SEND);

	if (err) {
		*bad = wr;
		return err;
	}
	for (; wr; wr = wr->next) {
		if (qp->sq_tail - qp->sq_head >= qp->cap.max_send_wr) {
			*bad = wr;
			return ENOMEM; /* a full send queue */
		}
		s = &qp->sq[qp->sq_tail % FAKE_RDMA_WR_MAX];
		memset(s, 0, sizeof(*s));
		s->wr_id = wr->wr_id;
		s->opcode = wr->opcode;
		s->signaled = (wr->send_flags & IBV_SEND_SIGNALED) != 0;
		switch (wr->opcode) {
		case IBV_WR_SEND:
			FUZZ_CHECK(wr->num_sge == 1, "SEND with %d SGEs", wr->num_sge);
			s->len = wr->sg_list[0].length;
			if (fake_rdma.on_send)
				fake_rdma.on_send(fake_rdma.on_send_arg, qp,
						  (const uint8_t *)(uintptr_t)wr->sg_list[0].addr,
						  s->len);
			break;
		case IBV_WR_BIND_MW: {
			struct fake_rdma_mw *mw = (struct fake_rdma_mw *)(void *)wr->bind_mw.mw;

			FUZZ_CHECK(mw->live, "BIND_MW of a deallocated window");
			/* rxe executes a bind again when a retry rewinds to an earlier WR */
			FUZZ_CHECK(qp->sq_tail == qp->sq_head,
				   "BIND_MW posted behind %u work requests not completed",
				   (unsigned int)(qp->sq_tail - qp->sq_head));
			s->mw = wr->bind_mw.mw;
			s->epoch = mw->epoch;
			s->rkey = wr->bind_mw.rkey;
			s->mr = wr->bind_mw.bind_info.mr;
			break;
		}
		case IBV_WR_LOCAL_INV:
			s->rkey = wr->invalidate_rkey;
			break;
		case IBV_WR_RDMA_READ:
		case IBV_WR_RDMA_WRITE:
			FUZZ_CHECK(wr->num_sge == 1, "RDMA with %d SGEs", wr->num_sge);
			s->len = wr->sg_list[0].length;
			s->rdma_rkey = wr->wr.rdma.rkey;
			if (!(wr->send_flags & IBV_SEND_INLINE))
				s->laddr = wr->sg_list[0].addr;
			if (fake_rdma.on_rdma)
				fake_rdma.on_rdma(
					fake_rdma.on_send_arg, qp, wr->opcode == IBV_WR_RDMA_WRITE,
					wr->wr.rdma.remote_addr, wr->wr.rdma.rkey, s->len);
			break;
		case IBV_WR_ATOMIC_CMP_AND_SWP:
		case IBV_WR_ATOMIC_FETCH_AND_ADD:
			/* an 8-byte remote write as far as the harness's checks go */
			FUZZ_CHECK(wr->num_sge == 1 && wr->sg_list[0].length == 8,
				   "atomic with %d SGEs, %u bytes", wr->num_sge,
				   wr->num_sge ? wr->sg_list[0].length : 0);
			FUZZ_CHECK(wr->wr.atomic.remote_addr % 8 == 0, "atomic at 0x%llx",
				   (unsigned long long)wr->wr.atomic.remote_addr);
			s->len = 8;
			s->rdma_rkey = wr->wr.atomic.rkey;
			s->laddr = wr->sg_list[0].addr;
			if (fake_rdma.on_rdma)
				fake_rdma.on_rdma(fake_rdma.on_send_arg, qp, true,
						  wr->wr.atomic.remote_addr, wr->wr.atomic.rkey, 8);
			break;
		default:
			FUZZ_CHECK(false, "unexpected send opcode %d", wr->opcode);
		}
		qp->sq_tail++;
	}
	return 0;
}

static int fake_poll_cq(struct ibv_cq *ibcq, int n, struct ibv_wc *wc)
{
	struct fake_rdma_cq *cq = fake_cq(ibcq);
	int i = 0;

	if (fake_take_fail(FAKE_RDMA_POLL_CQ))
		return -1;
	while (i < n && cq->head != cq->tail) {
		wc[i] = cq->wc[cq->head++ % (sizeof(cq->wc) / sizeof(cq->wc[0]))];
		if (fake_rdma.on_polled)
			fake_rdma.on_polled(fake_rdma.on_send_arg, &wc[i]);
		i++;
	}
	return i;
}

static int fake_req_notify_cq(struct ibv_cq *ibcq, int solicited)
{
	int err = fake_take_fail(FAKE_RDMA_NOTIFY_CQ);

	(void)solicited;
	if (err)
		return err;
	fake_cq(ibcq)->armed = true;
	return 0;
}

static struct ibv_mw *fake_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type)
{
	int err = fake_take_fail(FAKE_RDMA_ALLOC_MW);
	size_t i;

	if (err) {
		errno = err;
		return NULL;
	}
	for (i = 0; i < FAKE_RDMA_MW_MAX; i++) {
		struct fake_rdma_mw *mw = &fake_rdma.mws[i];

		if (mw->live)
			continue;
		mw->live = true;
		mw->epoch++;
		mw->bound = false;
		mw->mr = NULL;
		mw->qp = NULL;
		mw->mw.context = &fake_rdma.ctx;
		mw->mw.pd = pd;
		mw->mw.type = type;
		mw->mw.rkey = (uint32_t)(i + 1) << 8;
		fake_rdma.live_mws++;
		return &mw->mw;
	}
	errno = ENOMEM;
	return NULL;
}

static int fake_dealloc_mw(struct ibv_mw *ibmw)
{
	struct fake_rdma_mw *mw = (struct fake_rdma_mw *)(void *)ibmw;

	FUZZ_CHECK(mw >= fake_rdma.mws && mw < fake_rdma.mws + FAKE_RDMA_MW_MAX && mw->live,
		   "ibv_dealloc_mw of a window that is not allocated");
	mw->live = false;
	mw->bound = false;
	fake_rdma.live_mws--;
	return 0;
}

/* ---- wrapped librdmacm / ibverbs ------------------------------------------------------- */

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
int __wrap_rdma_create_qp(struct rdma_cm_id *id, struct ibv_pd *pd, struct ibv_qp_init_attr *a);
void __wrap_rdma_destroy_qp(struct rdma_cm_id *id);
int __wrap_rdma_disconnect(struct rdma_cm_id *id);
int __wrap_rdma_destroy_id(struct rdma_cm_id *id);
int __wrap_ibv_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask,
			struct ibv_qp_init_attr *init);

/* What a QP got (daxmrd logs its timeouts): rdma_cm's defaults on rxe, as measured. */
int __wrap_ibv_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask,
			struct ibv_qp_init_attr *init)
{
	FUZZ_CHECK(qp && attr && init && attr_mask, "ibv_query_qp without a QP or attributes");
	memset(attr, 0, sizeof(*attr));
	memset(init, 0, sizeof(*init));
	attr->timeout = 17;
	attr->retry_cnt = 6;
	attr->rnr_retry = 7;
	return 0;
}

struct ibv_mr *__wrap_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	struct ibv_mr *mr;
	int err = fake_take_fail(FAKE_RDMA_REG_MR);

	FUZZ_CHECK(pd == &fake_rdma.pd && addr && length, "ibv_reg_mr(%p, %p, %zu)", (void *)pd,
		   addr, length);
	if (err) {
		errno = err;
		return NULL;
	}
	mr = calloc(1, sizeof(*mr));
	FUZZ_CHECK(mr, "out of memory");
	mr->pd = pd;
	mr->context = &fake_rdma.ctx;
	mr->addr = addr;
	mr->length = length;
	mr->lkey = mr->rkey = 0x55;
	(void)access;
	fake_rdma.live_mrs++;
	return mr;
}

struct ibv_mr *__wrap_ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
				       unsigned int access)
{
	(void)iova;
	return __wrap_ibv_reg_mr(pd, addr, length, (int)access);
}

int __wrap_ibv_dereg_mr(struct ibv_mr *mr)
{
	int err = fake_take_fail(FAKE_RDMA_DEREG_MR);

	FUZZ_CHECK(fake_rdma.live_mrs > 0, "ibv_dereg_mr with no MR registered");
	if (err)
		return err; /* the MR stays registered: the caller leaks it, as it would for real */
	fake_rdma.live_mrs--;
	free(mr);
	return 0;
}

struct ibv_cq *__wrap_ibv_create_cq(struct ibv_context *ctx, int cqe, void *cq_context,
				    struct ibv_comp_channel *cc, int comp_vector)
{
	struct fake_rdma_cq *cq;
	int err = fake_take_fail(FAKE_RDMA_CREATE_CQ);

	FUZZ_CHECK(ctx == &fake_rdma.ctx && cc == &fake_rdma.cc && cqe > 0 &&
			   cqe <= FAKE_RDMA_WR_MAX * 2,
		   "ibv_create_cq(cqe %d)", cqe);
	(void)comp_vector;
	if (err) {
		errno = err;
		return NULL;
	}
	cq = calloc(1, sizeof(*cq));
	FUZZ_CHECK(cq, "out of memory");
	cq->cq.context = ctx;
	cq->cq.channel = cc;
	cq->cq.cq_context = cq_context;
	cq->cq.cqe = cqe;
	cq->cqe = cqe;
	fake_rdma.live_cqs++;
	return &cq->cq;
}

int __wrap_ibv_destroy_cq(struct ibv_cq *ibcq)
{
	struct fake_rdma_cq *cq = fake_cq(ibcq);

	/* libibverbs waits in ibv_destroy_cq until every event is acked: a hang for real */
	FUZZ_CHECK(cq->events_acked == cq->events, "ibv_destroy_cq with %u of %u events unacked",
		   cq->events - cq->events_acked, cq->events);
	fake_rdma.live_cqs--;
	free(cq);
	return 0;
}

void __wrap_ibv_ack_cq_events(struct ibv_cq *ibcq, unsigned int nevents)
{
	struct fake_rdma_cq *cq = fake_cq(ibcq);

	FUZZ_CHECK(cq->events_acked + nevents <= cq->events, "acked %u events, %u were raised",
		   cq->events_acked + nevents, cq->events);
	cq->events_acked += nevents;
}

int __wrap_rdma_reject(struct rdma_cm_id *id, const void *pdata, uint8_t len)
{
	FUZZ_CHECK(id && (len == 0 || pdata), "rdma_reject");
	fake_rdma.rejects++;
	return 0;
}

int __wrap_rdma_accept(struct rdma_cm_id *id, struct rdma_conn_param *param)
{
	int err = fake_take_fail(FAKE_RDMA_ACCEPT);

	FUZZ_CHECK(id->qp && param, "rdma_accept without a QP");
	if (err) {
		errno = err;
		return -1;
	}
	fake_rdma.accepts++;
	fake_rdma.accept_len = param->private_data_len;
	if (param->private_data_len)
		memcpy(fake_rdma.accept_pdata, param->private_data, param->private_data_len);
	return 0;
}

int __wrap_rdma_create_qp(struct rdma_cm_id *id, struct ibv_pd *pd, struct ibv_qp_init_attr *a)
{
	struct fake_rdma_qp *qp;
	int err = fake_take_fail(FAKE_RDMA_CREATE_QP);

	FUZZ_CHECK(pd == &fake_rdma.pd && a->send_cq && a->send_cq == a->recv_cq &&
			   a->qp_type == IBV_QPT_RC && !id->qp,
		   "rdma_create_qp");
	FUZZ_CHECK(a->cap.max_send_wr <= FAKE_RDMA_WR_MAX && a->cap.max_recv_wr <= FAKE_RDMA_WR_MAX,
		   "QP of %u/%u WRs", a->cap.max_send_wr, a->cap.max_recv_wr);
	if (err) {
		errno = err;
		return -1;
	}
	qp = calloc(1, sizeof(*qp));
	FUZZ_CHECK(qp, "out of memory");
	qp->qp.context = &fake_rdma.ctx;
	qp->qp.pd = pd;
	qp->qp.send_cq = a->send_cq;
	qp->qp.recv_cq = a->recv_cq;
	qp->qp.qp_type = IBV_QPT_RC;
	qp->id = id;
	qp->cq = fake_cq(a->send_cq);
	qp->cap = a->cap;
	id->qp = &qp->qp;
	fake_rdma.live_qps++;
	return 0;
}

void __wrap_rdma_destroy_qp(struct rdma_cm_id *id)
{
	struct fake_rdma_qp *qp = fake_rdma_qp_of(id);
	size_t i;

	FUZZ_CHECK(qp, "rdma_destroy_qp without a QP");
	/* a window bound on this QP dies with it */
	for (i = 0; i < FAKE_RDMA_MW_MAX; i++)
		if (fake_rdma.mws[i].qp == qp) {
			fake_rdma.mws[i].bound = false;
			fake_rdma.mws[i].qp = NULL;
		}
	id->qp = NULL;
	fake_rdma.live_qps--;
	free(qp);
}

int __wrap_rdma_disconnect(struct rdma_cm_id *id)
{
	int err = fake_take_fail(FAKE_RDMA_DISCONNECT);
	struct fake_rdma_qp *qp = fake_rdma_qp_of(id);

	fake_rdma.disconnects++;
	if (err) {
		errno = err;
		return -1;
	}
	if (qp)
		qp->error = true; /* rdma_disconnect moves the QP to the error state */
	if (id == fake_rdma.cm_id)
		fake_rdma_cm_push(RDMA_CM_EVENT_DISCONNECTED, 0, NULL, 0); /* our own side's */
	return 0;
}

int __wrap_rdma_destroy_id(struct rdma_cm_id *id)
{
	int err = fake_take_fail(FAKE_RDMA_DESTROY_ID);

	FUZZ_CHECK(!id->qp, "rdma_destroy_id with its QP still there");
	if (err) {
		errno = err;
		return -1; /* for real: EBUSY-like, the id stays; nothing here holds more than
			      memory */
	}
	if (id == fake_rdma.cm_id)
		fake_rdma.cm_id = NULL;
	fake_rdma.live_ids--;
	free(id);
	return 0;
}

/* ---- the harness's side ---------------------------------------------------------------- */

void fake_rdma_reset(fake_rdma_on_send_fn on_send, void *arg)
{
	memset(&fake_rdma, 0, sizeof(fake_rdma));
	fake_rdma.ctx.ops.post_send = fake_post_send;
	fake_rdma.ctx.ops.post_recv = fake_post_recv;
	fake_rdma.ctx.ops.poll_cq = fake_poll_cq;
	fake_rdma.ctx.ops.req_notify_cq = fake_req_notify_cq;
	fake_rdma.ctx.ops.alloc_mw = fake_alloc_mw;
	fake_rdma.ctx.ops.dealloc_mw = fake_dealloc_mw;
	fake_rdma.pd.context = &fake_rdma.ctx;
	fake_rdma.cc.context = &fake_rdma.ctx;
	fake_rdma.on_send = on_send;
	fake_rdma.on_send_arg = arg;
}

void fake_rdma_fail(enum fake_rdma_call kind, int err)
{
	if (kind < FAKE_RDMA_NCALLS)
		fake_rdma.fail[kind] = err;
}

struct rdma_cm_id *fake_rdma_new_id(uint16_t port)
{
	struct rdma_cm_id *id = calloc(1, sizeof(*id));
	struct sockaddr_in *sin;

	FUZZ_CHECK(id, "out of memory");
	id->verbs = &fake_rdma.ctx;
	id->pd = &fake_rdma.pd;
	sin = (struct sockaddr_in *)&id->route.addr.dst_addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(0x0a00020f);
	sin = (struct sockaddr_in *)&id->route.addr.src_addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(7471);
	sin->sin_addr.s_addr = htonl(0x0a000202);
	fake_rdma.live_ids++;
	return id;
}

struct fake_rdma_qp *fake_rdma_qp_of(const struct rdma_cm_id *id)
{
	return id && id->qp ? fake_qp(id->qp) : NULL;
}

unsigned int fake_rdma_recvs_posted(const struct fake_rdma_qp *qp)
{
	return qp->rq_tail - qp->rq_head;
}

unsigned int fake_rdma_sends_posted(const struct fake_rdma_qp *qp)
{
	return qp->sq_tail - qp->sq_head;
}

bool fake_rdma_deliver(struct fake_rdma_qp *qp, const void *buf, uint32_t len)
{
	unsigned int i = qp->rq_head % FAKE_RDMA_WR_MAX;

	if (qp->error || qp->rq_head == qp->rq_tail || len > qp->rq[i].len)
		return false;
	memcpy(qp->rq[i].addr, buf, len);
	fake_push_wc(qp->cq, qp->rq[i].wr_id, IBV_WC_RECV, IBV_WC_SUCCESS, len);
	qp->rq_head++;
	return true;
}

bool fake_rdma_fail_recv(struct fake_rdma_qp *qp, enum ibv_wc_status status)
{
	unsigned int i = qp->rq_head % FAKE_RDMA_WR_MAX;

	if (qp->rq_head == qp->rq_tail)
		return false;
	if (qp->error || status == IBV_WC_SUCCESS)
		status = IBV_WC_WR_FLUSH_ERR;
	fake_push_wc(qp->cq, qp->rq[i].wr_id, IBV_WC_RECV, status, 0);
	qp->rq_head++;
	qp->error = true;
	return true;
}

bool fake_rdma_complete_send(struct fake_rdma_qp *qp, enum ibv_wc_status status)
{
	struct fake_rdma_send *s;
	enum ibv_wc_opcode op;

	if (qp->sq_head == qp->sq_tail)
		return false;
	s = &qp->sq[qp->sq_head++ % FAKE_RDMA_WR_MAX];
	if (qp->error)
		status = IBV_WC_WR_FLUSH_ERR;
	if (status != IBV_WC_SUCCESS)
		qp->error = true;
	switch (s->opcode) {
	case IBV_WR_BIND_MW:
		op = IBV_WC_BIND_MW;
		if (status == IBV_WC_SUCCESS) {
			struct fake_rdma_mw *mw = (struct fake_rdma_mw *)(void *)s->mw;

			/* a window deallocated meanwhile (or reallocated) is not bound by it */
			if (mw->live && mw->epoch == s->epoch) {
				mw->bound = true;
				mw->mr = s->mr;
				mw->qp = qp;
				mw->mw.rkey = s->rkey;
			}
		}
		break;
	case IBV_WR_LOCAL_INV:
		op = IBV_WC_LOCAL_INV;
		if (status == IBV_WC_SUCCESS) {
			size_t i;

			for (i = 0; i < FAKE_RDMA_MW_MAX; i++)
				if (fake_rdma.mws[i].live && fake_rdma.mws[i].bound &&
				    fake_rdma.mws[i].mw.rkey == s->rkey)
					fake_rdma.mws[i].bound = false;
		}
		break;
	case IBV_WR_RDMA_READ:
		op = IBV_WC_RDMA_READ;
		break;
	case IBV_WR_RDMA_WRITE:
		op = IBV_WC_RDMA_WRITE;
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
		op = IBV_WC_COMP_SWAP;
		break;
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		op = IBV_WC_FETCH_ADD;
		break;
	default:
		op = IBV_WC_SEND;
		break;
	}
	if (s->signaled || status != IBV_WC_SUCCESS)
		fake_push_wc(qp->cq, s->wr_id, op, status, 0);
	return true;
}

bool fake_rdma_complete_send_nth(struct fake_rdma_qp *qp, unsigned int n, enum ibv_wc_status status)
{
	unsigned int queued = qp->sq_tail - qp->sq_head;

	if (!queued)
		return false;
	for (n %= queued; n; n--)
		(void)fake_rdma_complete_send(qp, IBV_WC_SUCCESS);
	return fake_rdma_complete_send(qp, status);
}

void fake_rdma_flush(struct fake_rdma_qp *qp)
{
	qp->error = true;
	while (fake_rdma_fail_recv(qp, IBV_WC_WR_FLUSH_ERR))
		;
	while (fake_rdma_complete_send(qp, IBV_WC_WR_FLUSH_ERR))
		;
}

bool fake_rdma_take_event(struct fake_rdma_cq *cq)
{
	if (!cq->armed || cq->head == cq->tail)
		return false;
	cq->armed = false;
	cq->events++;
	return true;
}

unsigned int fake_rdma_mws_bound(const struct ibv_mr *mr, const struct fake_rdma_qp *qp)
{
	unsigned int n = 0;
	size_t i;

	if (fake_rdma.live_mws == 0)
		return 0;
	for (i = 0; i < FAKE_RDMA_MW_MAX; i++)
		if (fake_rdma.mws[i].live && fake_rdma.mws[i].bound &&
		    (!mr || fake_rdma.mws[i].mr == mr) && (!qp || fake_rdma.mws[i].qp == qp))
			n++;
	return n;
}
