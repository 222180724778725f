/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_rdma.h -- an in-memory RC device for the stateful fuzz targets: CQ, QP, MR, MW, cm_id */
#ifndef DAXMR_FAKE_RDMA_H
#define DAXMR_FAKE_RDMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

/*
 * The fake follows what a real RC queue pair promises and nothing more: receives complete in the
 * order they were posted, so do sends (SEND, BIND_MW, LOCAL_INV); a completion with an error
 * takes the QP to the error state, after which everything outstanding completes with
 * IBV_WC_WR_FLUSH_ERR; a CQ raises one channel event per arming. What the peer does and when the
 * device completes is the fuzzer's choice (fake_rdma_deliver, fake_rdma_complete_send, ...).
 * Every object is allocated on the heap, so a double destroy or a leak is ASan's to report, and
 * counted, so a target can require that everything is gone.
 */

#define FAKE_RDMA_WR_MAX 256 /* per queue; a QP asks for fewer */
#define FAKE_RDMA_MW_MAX 160 /* 32 windows a connection, 4 connections, and slack */

/* One-shot failures the next call of a kind meets (fake_rdma_fail). */
enum fake_rdma_call {
	FAKE_RDMA_REG_MR = 0,
	FAKE_RDMA_CREATE_CQ,
	FAKE_RDMA_CREATE_QP,
	FAKE_RDMA_ACCEPT,
	FAKE_RDMA_POST_RECV,
	FAKE_RDMA_POST_SEND,
	FAKE_RDMA_NOTIFY_CQ,
	FAKE_RDMA_ALLOC_MW,
	FAKE_RDMA_DISCONNECT,
	FAKE_RDMA_POLL_CQ,
	FAKE_RDMA_FUZZ_CALLS, /* the failures above are the fuzzer's to arm; those below leak for
			       * real (the object stays), so a target arms them on purpose only */
	FAKE_RDMA_DEREG_MR = FAKE_RDMA_FUZZ_CALLS,
	FAKE_RDMA_DESTROY_ID,
	FAKE_RDMA_NCALLS,
};

struct fake_rdma_cq {
	struct ibv_cq cq; /* first: the library's pointer is this */
	int cqe;
	struct ibv_wc wc[FAKE_RDMA_WR_MAX * 2];
	unsigned int head, tail;
	bool armed;
	unsigned int events, events_acked; /* channel events raised, acked by the consumer */
};

struct fake_rdma_send {
	uint64_t wr_id;
	enum ibv_wr_opcode opcode;
	struct ibv_mw *mw;  /* BIND_MW: the window */
	unsigned int epoch; /* BIND_MW: the window's allocation it was posted for */
	uint32_t rkey;	    /* BIND_MW: the new key; LOCAL_INV: the key invalidated */
	struct ibv_mr *mr;  /* BIND_MW: the MR bound over */
	uint32_t len;	    /* SEND, RDMA */
	uint32_t rdma_rkey; /* RDMA READ/WRITE */
	bool signaled;
	uint64_t laddr; /* RDMA, atomics: the local buffer the device reads or writes (0: inline) */
};

struct fake_rdma_qp {
	struct ibv_qp qp; /* first */
	struct rdma_cm_id *id;
	struct fake_rdma_cq *cq;
	struct ibv_qp_cap cap;
	struct {
		uint64_t wr_id;
		uint8_t *addr;
		uint32_t len;
	} rq[FAKE_RDMA_WR_MAX];
	unsigned int rq_head, rq_tail;
	struct fake_rdma_send sq[FAKE_RDMA_WR_MAX];
	unsigned int sq_head, sq_tail;
	bool error; /* a WR failed or the connection was disconnected: everything flushes */
};

struct fake_rdma_mw {
	struct ibv_mw mw; /* first */
	bool live;
	unsigned int epoch;	 /* allocations of this slot so far */
	bool bound;		 /* a BIND_MW completed and nothing invalidated it since */
	struct ibv_mr *mr;	 /* bound over */
	struct fake_rdma_qp *qp; /* bound on */
};

/* Called for every RDMA READ/WRITE posted (the harness checks key and range). */
typedef void (*fake_rdma_on_rdma_fn)(void *arg, struct fake_rdma_qp *qp, bool write, uint64_t raddr,
				     uint32_t rkey, uint32_t len);
/* Called for every completion a consumer polls. */
typedef void (*fake_rdma_on_polled_fn)(void *arg, const struct ibv_wc *wc);
/*
 * The active side's waits (fake_rdma_client.c): called from poll(2) before it answers, so the
 * harness can act as the peer and the device; returns false when nothing more will ever happen
 * (the fake clock is then moved past the poll's timeout).
 */
typedef bool (*fake_rdma_on_wait_fn)(void *arg);
/* The active side's rdma_resolve_addr, _route and rdma_connect: the harness queues the event. */
enum fake_rdma_cm_call {
	FAKE_RDMA_CM_RESOLVE_ADDR,
	FAKE_RDMA_CM_RESOLVE_ROUTE,
	FAKE_RDMA_CM_CONNECT
};
typedef void (*fake_rdma_on_cm_fn)(void *arg, struct rdma_cm_id *id, enum fake_rdma_cm_call call);

/* Called for every SEND posted, with its bytes (the harness decodes and checks them). */
typedef void (*fake_rdma_on_send_fn)(void *arg, struct fake_rdma_qp *qp, const uint8_t *buf,
				     uint32_t len);

struct fake_rdma {
	struct ibv_context ctx;
	struct ibv_pd pd;
	struct ibv_comp_channel cc;
	int fail[FAKE_RDMA_NCALLS]; /* errno the next call of the kind fails with, 0: none */
	int live_mrs, live_cqs, live_qps, live_ids, live_mws;
	unsigned int accepts, rejects, disconnects;
	uint8_t accept_pdata[256]; /* the last rdma_accept's private data */
	uint8_t accept_len;
	struct fake_rdma_mw mws[FAKE_RDMA_MW_MAX];
	fake_rdma_on_send_fn on_send;
	void *on_send_arg;
	/* the active side (fake_rdma_client.c); hooks are the harness's, all with on_send_arg */
	fake_rdma_on_rdma_fn on_rdma;
	fake_rdma_on_polled_fn on_polled;
	fake_rdma_on_wait_fn on_wait;
	fake_rdma_on_cm_fn on_cm;
	int live_channels, live_pds, live_ccs;
	struct rdma_event_channel *channel; /* the one event channel (borrowed) */
	struct fake_rdma_cq *event_cq;	    /* a CQ event poll(2) reported, for ibv_get_cq_event */
	struct {
		enum rdma_cm_event_type type;
		int status;
		uint8_t pdata[64];
		uint8_t pdata_len;
	} cm[16];
	unsigned int cm_head, cm_tail;
	struct rdma_cm_id *cm_id;  /* the active side's one cm_id */
	uint8_t connect_pdata[64]; /* the last rdma_connect's private data */
	uint8_t connect_len;
};

extern struct fake_rdma fake_rdma;

/* Resets the device: nothing live, no failure armed; on_send(arg, ...) sees every SEND. */
void fake_rdma_reset(fake_rdma_on_send_fn on_send, void *arg);

/* Arms a one-shot failure: the next call of kind fails with err (a positive errno). */
void fake_rdma_fail(enum fake_rdma_call kind, int err);

/* A cm_id as a CONNECT_REQUEST brings it, the peer at 10.0.2.15:port (freed by rdma_destroy_id). */
struct rdma_cm_id *fake_rdma_new_id(uint16_t port);

/* The fake QP behind a cm_id, NULL if none. */
struct fake_rdma_qp *fake_rdma_qp_of(const struct rdma_cm_id *id);

/* Receives posted and not yet completed. */
unsigned int fake_rdma_recvs_posted(const struct fake_rdma_qp *qp);

/* Send-queue WRs (SEND, BIND_MW, LOCAL_INV) posted and not yet completed. */
unsigned int fake_rdma_sends_posted(const struct fake_rdma_qp *qp);

/*
 * The peer's SEND of len bytes lands in the oldest posted receive: a successful receive
 * completion on the QP's CQ. Returns false (nothing happens) if no receive is posted, len is
 * larger than it, or the QP is in the error state.
 */
bool fake_rdma_deliver(struct fake_rdma_qp *qp, const void *buf, uint32_t len);

/* The oldest posted receive completes with status (an error: the QP goes to the error state). */
bool fake_rdma_fail_recv(struct fake_rdma_qp *qp, enum ibv_wc_status status);

/*
 * The oldest send-queue WR completes with status (IBV_WC_WR_FLUSH_ERR once the QP is in the error
 * state): a BIND_MW that succeeds binds its window, a LOCAL_INV that succeeds unbinds it.
 * Unsignaled successful WRs complete silently. Returns false if none is outstanding.
 */
bool fake_rdma_complete_send(struct fake_rdma_qp *qp, enum ibv_wc_status status);
/*
 * The device completes a burst: the first n outstanding work requests (modulo how many are)
 * succeed, the next gets status, all in one go before the consumer polls. In order: an RC
 * queue pair completes its send queue in order, and a signalled completion tells that every
 * unsignalled request before it is done (the library relies on it). False if none is queued.
 */
bool fake_rdma_complete_send_nth(struct fake_rdma_qp *qp, unsigned int n,
				 enum ibv_wc_status status);

/* The QP goes to the error state; every outstanding WR completes with IBV_WC_WR_FLUSH_ERR. */
void fake_rdma_flush(struct fake_rdma_qp *qp);

/*
 * Whether the CQ owes its consumer a channel event: it holds completions and is armed. The event
 * disarms it (the caller then calls the consumer's handler).
 */
bool fake_rdma_take_event(struct fake_rdma_cq *cq);

/* Memory windows bound over mr (on any QP, or on qp if not NULL) and not deallocated. */
unsigned int fake_rdma_mws_bound(const struct ibv_mr *mr, const struct fake_rdma_qp *qp);

/* Queues an rdma_cm event for the active side's channel (its poll(2) sees it). */
void fake_rdma_cm_push(enum rdma_cm_event_type type, int status, const void *pdata,
		       uint8_t pdata_len);

#endif /* DAXMR_FAKE_RDMA_H */
