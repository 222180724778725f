/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * client_test.c -- client: connect's every failure branch, requests, receive accounting,
 * REVOKE / AVAILABLE, failed completions, authentication; rdma_cm and ibverbs faked at link
 * time (--wrap) and the static-inline verbs through a fake context's ops, with a scripted daxmrd
 * behind the QP.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "auth.h"
#include "client.h"
#include "credit.h"
#include "log.h"
#include "proto.h"

#define ADDR "192.0.2.1"
#define MAX_WC 512
#define MAX_RECV 256
#define MAX_SENT 64
#define EXPORT_ID 7
#define EXPORT_LEN (3u << 20)
#define GEN 42
#define REMOTE_ADDR 0x7f0000000000ull
#define KEY0 0x1234u

/* Constructor/destructor pairs the fakes count: every test ends with all of them at zero. */
enum live_obj { L_CHANNEL, L_ID, L_PD, L_CC, L_CQ, L_QP, L_MR, L_COUNT };

/* One posted receive: where its buffer is. */
struct fake_recv {
	uint64_t wr_id;
	void *addr;
	uint32_t len;
};

/* A scripted rdma_cm event. */
struct fake_cm {
	enum rdma_cm_event_type type;
	int status;
	uint8_t pdata[160];
	uint8_t pdata_len;
};

/* What the fakes do and saw; reset before every test. */
static struct {
	int live[L_COUNT];
	/* failures to inject: the named call fails with this errno (0: succeeds) */
	int channel_err, id_err, resolve_addr_err, resolve_route_err, pd_err, cc_err, cq_err;
	int qp_err, mr_err, post_recv_err, query_err, connect_err, notify_err;
	int gai_err, gai_errno; /* getaddrinfo returns gai_err (EAI_SYSTEM: errno gai_errno) */
	int destroy_id_err;	/* rdma_destroy_id fails (after destroying, for the leak count) */
	enum rdma_cm_event_type addr_event, route_event, conn_event; /* what each step yields */
	int conn_event_status;
	uint8_t conn_pdata[160];
	uint8_t conn_pdata_len;
	/* the scripted server */
	enum daxmr_proto_status hello_status, open_status, close_status, flush_status;
	uint16_t hello_version;
	enum daxmr_proto_access open_access;
	unsigned int
		list_pages; /* LIST answers this many pages of 2 entries, the last without MORE */
	bool list_dup;	    /* page 2 repeats an id of page 1 */
	enum ibv_wc_status rdma_status;
	/* the client's SENDs complete with this (0: success) */
	enum ibv_wc_status send_status;
	unsigned int reconnect;	   /* connect_client's opts.reconnect */
	unsigned int opens;	   /* OPEN requests answered */
	uint64_t reopen_gen;	   /* nonzero: OPENs after the first hand out this generation */
	int reconnect_connect_err; /* rdma_connect fails with this after the first connect */
	unsigned int connects;	   /* rdma_connect calls */
	bool revoke_during_rdma;   /* a REVOKE arrives before the RDMA completion */
	bool revoke_twice;	   /* ... and again (a repeated REVOKE) */
	bool silent;		   /* the server answers nothing (timeouts) */
	bool hold_flush;	   /* FLUSH requests wait in held_flush[] for release_flushes() */
	struct daxmr_proto_msg held_flush[8];
	unsigned int nheld_flush;
	uint16_t version; /* the header version of everything the server sends */
	/* authentication: the HELLO reply's flags and challenge, the AUTH reply */
	uint16_t hello_flags;
	uint8_t challenge[DAXMR_PROTO_AUTH_CHALLENGE_SIZE];
	struct daxmr_auth_key server_key; /* the server's proof is made with it */
	enum daxmr_proto_status auth_status;
	bool auth_bad_proof;	 /* the server's proof has one bit flipped */
	bool auth_echo;		 /* the server sends the client's own proof back */
	const char *secret_file; /* borrowed: what connect_client passes (NULL: none) */
	/* the CM event queue */
	struct fake_cm cm[8];
	unsigned int cm_head, cm_tail;
	/* the CQ */
	struct ibv_wc wc[MAX_WC];
	unsigned int wc_head, wc_tail;
	/* receives posted, in order */
	struct fake_recv recv[MAX_RECV];
	unsigned int recv_head, recv_tail;
	/* messages the client sent, decoded */
	struct daxmr_proto_msg sent[MAX_SENT];
	unsigned int nsent;
	unsigned int rdma_reads, rdma_writes, rdma_atomics; /* work requests done, by kind */
	unsigned int rdma_posts;			    /* ibv_post_send calls for RDMA */
	unsigned int rdma_wrs, rdma_signaled, rdma_inline;  /* RDMA work requests posted */
	unsigned int fail_wr;		   /* the fail_wr-th RDMA work request fails (1-based) */
	enum ibv_wc_status fail_wr_status; /* with this */
	bool qp_error;			   /* a work request failed: the rest flush */
	int post_send_err;		   /* ibv_post_send of RDMA fails with this */
	uint32_t wr_lkey;		   /* the lkey RDMA work requests must carry (0: fake_mr) */
	uint32_t max_wr_seen_limit;	   /* a work request carries at most this */
	uint8_t seg_shift;		/* OPEN replies: segments of 2^seg_shift (0: version 2) */
	uint8_t desc_flags;		/* OPEN replies' flags (ATOMIC) */
	uint16_t desc_nkeys;		/* OPEN replies carry this many keys (0: all, <= 1000) */
	enum ibv_atomic_cap atomic_cap; /* what ibv_query_device says */
	unsigned int modify_qps;	/* ibv_modify_qp calls (to the error state) */
	enum daxmr_proto_status keys_status; /* KEYS replies */
	uint32_t keys_first_skew;	     /* KEYS replies name a first this far off */
	const char *reason;		     /* failed replies carry this reason (version 3) */
	uint8_t ack_timeout;		     /* what rdma_set_option was given */
	int set_option_err;		     /* rdma_set_option fails with this */
	bool hold_rdma;			     /* RDMA completions wait in held[] (ops in flight) */
	struct ibv_wc held[MAX_WC];
	unsigned int nheld;
	unsigned int acks_at_rdma_completion; /* REVOKE_ACKs sent when the RDMA completed */
	unsigned int disconnects;
	uint64_t server_request_id;
	char log[8192];
	/* callbacks seen */
	unsigned int revokes, availables, disconnect_cbs;
	struct daxmr_revoke_info revoke_info;
	char revoke_name[256];
	uint64_t avail_gen;
	int disconnect_reason;
} mock;

static uint8_t remote[EXPORT_LEN]; /* the fake export's bytes */

/* The key the fake server gives the segment of remote address raddr. */
static uint32_t seg_key(uint64_t raddr)
{
	uint64_t off = raddr - REMOTE_ADDR;

	return mock.seg_shift ? KEY0 + (uint32_t)(off >> mock.seg_shift) : KEY0;
}

static struct ibv_context fake_ctx;
static struct ibv_device fake_dev;
static struct ibv_pd fake_pd;
static struct ibv_cq fake_cq;
static struct ibv_qp fake_qp;
static struct ibv_comp_channel fake_cc;
static struct ibv_mr fake_mr = { .lkey = 0x55, .rkey = 0x55 };
static struct rdma_cm_id fake_id;
static struct rdma_event_channel fake_channel;
static int always_readable_fd[2] = { -1, -1 }; /* eventfds with a count: poll never sleeps */

/* ---- rdma_cm fakes ---- */

struct rdma_event_channel *__wrap_rdma_create_event_channel(void);
void __wrap_rdma_destroy_event_channel(struct rdma_event_channel *channel);
int __wrap_rdma_create_id(struct rdma_event_channel *channel, struct rdma_cm_id **id, void *context,
			  enum rdma_port_space ps);
int __wrap_rdma_destroy_id(struct rdma_cm_id *id);
int __wrap_rdma_resolve_addr(struct rdma_cm_id *id, struct sockaddr *src, struct sockaddr *dst,
			     int timeout_ms);
int __wrap_rdma_resolve_route(struct rdma_cm_id *id, int timeout_ms);
int __wrap_rdma_create_qp(struct rdma_cm_id *id, struct ibv_pd *pd, struct ibv_qp_init_attr *attr);
void __wrap_rdma_destroy_qp(struct rdma_cm_id *id);
int __wrap_rdma_connect(struct rdma_cm_id *id, struct rdma_conn_param *param);
int __wrap_rdma_disconnect(struct rdma_cm_id *id);
int __wrap_rdma_get_cm_event(struct rdma_event_channel *channel, struct rdma_cm_event **event);
int __wrap_rdma_ack_cm_event(struct rdma_cm_event *event);

/* Queues an rdma_cm event for rdma_get_cm_event. */
static void cm_push(enum rdma_cm_event_type type, int status, const void *pdata, uint8_t len)
{
	struct fake_cm *ev = &mock.cm[mock.cm_tail++ % 8];

	ev->type = type;
	ev->status = status;
	ev->pdata_len = len;
	if (len)
		memcpy(ev->pdata, pdata, len);
}

struct rdma_event_channel *__wrap_rdma_create_event_channel(void)
{
	if (mock.channel_err) {
		errno = mock.channel_err;
		return NULL;
	}
	mock.live[L_CHANNEL]++;
	fake_channel.fd = always_readable_fd[0];
	return &fake_channel;
}

void __wrap_rdma_destroy_event_channel(struct rdma_event_channel *channel)
{
	assert_ptr_equal(channel, &fake_channel);
	mock.live[L_CHANNEL]--;
	mock.cm_head = mock.cm_tail; /* its undelivered events go with it */
}

int __wrap_rdma_create_id(struct rdma_event_channel *channel, struct rdma_cm_id **id, void *context,
			  enum rdma_port_space ps)
{
	assert_ptr_equal(channel, &fake_channel);
	assert_int_equal(ps, RDMA_PS_TCP);
	if (mock.id_err) {
		errno = mock.id_err;
		return -1;
	}
	memset(&fake_id, 0, sizeof(fake_id));
	fake_id.context = context;
	fake_id.channel = channel;
	*id = &fake_id;
	mock.live[L_ID]++;
	return 0;
}

int __wrap_rdma_destroy_id(struct rdma_cm_id *id)
{
	assert_ptr_equal(id, &fake_id);
	assert_null(id->qp); /* the QP must go first */
	mock.live[L_ID]--;
	if (mock.destroy_id_err) {
		errno = mock.destroy_id_err;
		return -1;
	}
	return 0;
}

int __wrap_rdma_resolve_addr(struct rdma_cm_id *id, struct sockaddr *src, struct sockaddr *dst,
			     int timeout_ms)
{
	assert_ptr_equal(id, &fake_id);
	assert_null(src);
	assert_non_null(dst);
	assert_true(timeout_ms > 0);
	if (mock.resolve_addr_err) {
		errno = mock.resolve_addr_err;
		return -1;
	}
	/* the device is known once the address is resolved */
	fake_id.verbs = &fake_ctx;
	if (mock.addr_event != (enum rdma_cm_event_type) - 1)
		cm_push(mock.addr_event, mock.addr_event == RDMA_CM_EVENT_ADDR_ERROR ? -ENODEV : 0,
			NULL, 0);
	return 0;
}

int __wrap_rdma_resolve_route(struct rdma_cm_id *id, int timeout_ms)
{
	assert_ptr_equal(id, &fake_id);
	assert_true(timeout_ms > 0);
	if (mock.resolve_route_err) {
		errno = mock.resolve_route_err;
		return -1;
	}
	cm_push(mock.route_event, mock.route_event == RDMA_CM_EVENT_ROUTE_ERROR ? -ETIMEDOUT : 0,
		NULL, 0);
	return 0;
}

int __wrap_rdma_create_qp(struct rdma_cm_id *id, struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	assert_ptr_equal(id, &fake_id);
	assert_ptr_equal(pd, &fake_pd);
	assert_ptr_equal(attr->send_cq, &fake_cq);
	assert_ptr_equal(attr->recv_cq, &fake_cq);
	assert_int_equal(attr->qp_type, IBV_QPT_RC);
	if (mock.qp_err) {
		errno = mock.qp_err;
		return -1;
	}
	fake_qp.context = &fake_ctx;
	id->qp = &fake_qp;
	mock.live[L_QP]++;
	/* a new QP (a reconnect): the old one's receives and completions went with it */
	mock.recv_head = mock.recv_tail;
	mock.wc_head = mock.wc_tail;
	mock.qp_error = false;
	return 0;
}

void __wrap_rdma_destroy_qp(struct rdma_cm_id *id)
{
	assert_ptr_equal(id->qp, &fake_qp);
	id->qp = NULL;
	mock.live[L_QP]--;
}

int __wrap_rdma_connect(struct rdma_cm_id *id, struct rdma_conn_param *param)
{
	struct daxmr_proto_cm_connect cm;

	assert_ptr_equal(id, &fake_id);
	/* the connect private data carries our version range */
	assert_int_equal(
		daxmr_proto_cm_connect_decode(param->private_data, param->private_data_len, &cm),
		0);
	assert_int_equal(cm.version_min, DAXMR_PROTO_VERSION_MIN);
	assert_true(param->initiator_depth >= 1); /* RDMA READ needs it */
	/* the HELLO reply's receive is posted before the server can send anything */
	assert_true(mock.recv_tail - mock.recv_head >= 1);
	if (mock.connect_err || (mock.connects++ && mock.reconnect_connect_err)) {
		errno = mock.connect_err ? mock.connect_err : mock.reconnect_connect_err;
		return -1;
	}
	if (mock.conn_event != (enum rdma_cm_event_type) - 1)
		cm_push(mock.conn_event, mock.conn_event_status, mock.conn_pdata,
			mock.conn_pdata_len);
	return 0;
}

int __wrap_rdma_disconnect(struct rdma_cm_id *id)
{
	assert_ptr_equal(id, &fake_id);
	mock.disconnects++;
	cm_push(RDMA_CM_EVENT_DISCONNECTED, 0, NULL, 0);
	return 0;
}

int __wrap_rdma_get_cm_event(struct rdma_event_channel *channel, struct rdma_cm_event **event)
{
	struct rdma_cm_event *ev;
	struct fake_cm *f;

	assert_ptr_equal(channel, &fake_channel);
	if (mock.cm_head == mock.cm_tail) {
		errno = EAGAIN;
		return -1;
	}
	f = &mock.cm[mock.cm_head++ % 8];
	ev = calloc(1, sizeof(*ev) + sizeof(f->pdata));
	assert_non_null(ev);
	ev->id = &fake_id;
	ev->event = f->type;
	ev->status = f->status;
	if (f->pdata_len) {
		memcpy(ev + 1, f->pdata, f->pdata_len);
		ev->param.conn.private_data = ev + 1;
		ev->param.conn.private_data_len = f->pdata_len;
	}
	*event = ev;
	return 0;
}

int __wrap_rdma_ack_cm_event(struct rdma_cm_event *event)
{
	free(event);
	return 0;
}

int __wrap_rdma_set_option(struct rdma_cm_id *id, int level, int optname, void *optval,
			   size_t optlen);

int __wrap_rdma_set_option(struct rdma_cm_id *id, int level, int optname, void *optval,
			   size_t optlen)
{
	assert_ptr_equal(id, &fake_id);
	assert_int_equal(level, RDMA_OPTION_ID);
	assert_int_equal(optname, RDMA_OPTION_ID_ACK_TIMEOUT);
	assert_int_equal(optlen, 1);
	mock.ack_timeout = *(uint8_t *)optval;
	if (mock.set_option_err) {
		errno = mock.set_option_err;
		return -1;
	}
	return 0;
}

/* ---- getaddrinfo: the real one unless a failure is injected ---- */

int __real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	if (mock.gai_err) {
		errno = mock.gai_errno;
		return mock.gai_err;
	}
	return __real_getaddrinfo(node, service, hints, res);
}

/* ---- ibverbs fakes (exported calls) ---- */

#undef ibv_reg_mr
struct ibv_pd *__wrap_ibv_alloc_pd(struct ibv_context *context);
int __wrap_ibv_dealloc_pd(struct ibv_pd *pd);
struct ibv_comp_channel *__wrap_ibv_create_comp_channel(struct ibv_context *context);
int __wrap_ibv_destroy_comp_channel(struct ibv_comp_channel *channel);
struct ibv_cq *__wrap_ibv_create_cq(struct ibv_context *context, int cqe, void *cq_context,
				    struct ibv_comp_channel *channel, int comp_vector);
int __wrap_ibv_destroy_cq(struct ibv_cq *cq);
struct ibv_mr *__wrap_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access);
struct ibv_mr *__wrap_ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
				       unsigned int access);
int __wrap_ibv_dereg_mr(struct ibv_mr *mr);
int __wrap_ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr);
int __wrap_ibv_get_cq_event(struct ibv_comp_channel *channel, struct ibv_cq **cq, void **ctx);
void __wrap_ibv_ack_cq_events(struct ibv_cq *cq, unsigned int nevents);
const char *__wrap_ibv_get_device_name(struct ibv_device *device);
int __wrap_ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask);
void __wrap_daxmr_log(enum daxmr_log_level level, const char *fmt, ...);

struct ibv_pd *__wrap_ibv_alloc_pd(struct ibv_context *context)
{
	assert_ptr_equal(context, &fake_ctx);
	if (mock.pd_err) {
		errno = mock.pd_err;
		return NULL;
	}
	mock.live[L_PD]++;
	fake_pd.context = context;
	return &fake_pd;
}

int __wrap_ibv_dealloc_pd(struct ibv_pd *pd)
{
	assert_ptr_equal(pd, &fake_pd);
	mock.live[L_PD]--;
	return 0;
}

struct ibv_comp_channel *__wrap_ibv_create_comp_channel(struct ibv_context *context)
{
	assert_ptr_equal(context, &fake_ctx);
	if (mock.cc_err) {
		errno = mock.cc_err;
		return NULL;
	}
	mock.live[L_CC]++;
	fake_cc.context = context;
	fake_cc.fd = always_readable_fd[1];
	return &fake_cc;
}

int __wrap_ibv_destroy_comp_channel(struct ibv_comp_channel *channel)
{
	assert_ptr_equal(channel, &fake_cc);
	assert_int_equal(mock.live[L_CQ], 0); /* its CQ must go first */
	mock.live[L_CC]--;
	return 0;
}

struct ibv_cq *__wrap_ibv_create_cq(struct ibv_context *context, int cqe, void *cq_context,
				    struct ibv_comp_channel *channel, int comp_vector)
{
	assert_ptr_equal(context, &fake_ctx);
	assert_ptr_equal(channel, &fake_cc);
	assert_true(cqe > 0);
	(void)cq_context;
	(void)comp_vector;
	if (mock.cq_err) {
		errno = mock.cq_err;
		return NULL;
	}
	mock.live[L_CQ]++;
	fake_cq.context = context;
	fake_cq.channel = channel;
	return &fake_cq;
}

int __wrap_ibv_destroy_cq(struct ibv_cq *cq)
{
	assert_ptr_equal(cq, &fake_cq);
	assert_int_equal(mock.live[L_QP], 0); /* the QP must go first */
	mock.live[L_CQ]--;
	return 0;
}

/* Both registration entry points land here. */
static struct ibv_mr *fake_reg(struct ibv_pd *pd, void *addr, size_t length, unsigned int access)
{
	assert_ptr_equal(pd, &fake_pd);
	assert_non_null(addr);
	assert_true(length >= 1);
	assert_true(access & IBV_ACCESS_LOCAL_WRITE); /* RDMA READ lands in it */
	assert_false(access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ));
	if (mock.mr_err) {
		errno = mock.mr_err;
		return NULL;
	}
	mock.live[L_MR]++;
	fake_mr.addr = addr;
	fake_mr.length = length;
	return &fake_mr;
}

struct ibv_mr *__wrap_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	return fake_reg(pd, addr, length, (unsigned int)access);
}

struct ibv_mr *__wrap_ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
				       unsigned int access)
{
	(void)iova;
	return fake_reg(pd, addr, length, access);
}

int __wrap_ibv_dereg_mr(struct ibv_mr *mr)
{
	assert_ptr_equal(mr, &fake_mr);
	mock.live[L_MR]--;
	return 0;
}

int __wrap_ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr)
{
	assert_ptr_equal(context, &fake_ctx);
	if (mock.query_err)
		return mock.query_err;
	memset(attr, 0, sizeof(*attr));
	attr->max_qp_init_rd_atom = 128;
	attr->max_qp_rd_atom = 128;
	attr->atomic_cap = mock.atomic_cap;
	return 0;
}

int __wrap_ibv_get_cq_event(struct ibv_comp_channel *channel, struct ibv_cq **cq, void **ctx)
{
	assert_ptr_equal(channel, &fake_cc);
	(void)cq;
	(void)ctx;
	errno = EAGAIN; /* the tests drive the CQ by polling */
	return -1;
}

void __wrap_ibv_ack_cq_events(struct ibv_cq *cq, unsigned int nevents)
{
	(void)cq;
	(void)nevents;
}

int __wrap_ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask)
{
	assert_ptr_equal(qp, &fake_qp);
	assert_int_equal(attr_mask, IBV_QP_STATE);
	assert_int_equal(attr->qp_state, IBV_QPS_ERR);
	mock.modify_qps++;
	mock.qp_error = true; /* what is still posted flushes */
	return 0;
}

const char *__wrap_ibv_get_device_name(struct ibv_device *device)
{
	(void)device;
	return "rxe0";
}

void __wrap_daxmr_log(enum daxmr_log_level level, const char *fmt, ...)
{
	size_t n = strlen(mock.log);
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(mock.log + n, sizeof(mock.log) - n, fmt, ap);
	va_end(ap);
	n = strlen(mock.log);
	if (n + 1 < sizeof(mock.log))
		strcat(mock.log, "\n");
	/* a logger may call into libc: code that reads errno after logging reads this */
	errno = EILSEQ;
}

/* ---- the fake context's ops and the scripted server behind them ---- */

/* Queues a completion. */
static void wc_push(uint64_t wr_id, enum ibv_wc_status status, enum ibv_wc_opcode op,
		    uint32_t byte_len)
{
	struct ibv_wc *wc = &mock.wc[mock.wc_tail++ % MAX_WC];

	memset(wc, 0, sizeof(*wc));
	wc->wr_id = wr_id;
	wc->status = status;
	wc->opcode = op;
	wc->byte_len = byte_len;
}

/* The server sends msg: it lands in the oldest posted receive, which must exist. */
static void server_send(struct daxmr_proto_msg *msg)
{
	struct fake_recv *r;
	int len;

	/* the protocol's receive accounting: the client always has one posted for this */
	assert_true(mock.recv_head != mock.recv_tail);
	r = &mock.recv[mock.recv_head++ % MAX_RECV];
	msg->hdr.version = mock.version;
	len = daxmr_proto_msg_encode(msg, r->addr, r->len);
	assert_true(len > 0);
	wc_push(r->wr_id, IBV_WC_SUCCESS, IBV_WC_RECV, (uint32_t)len);
}

/* Sends a REVOKE of the test export's descriptor. */
static void server_revoke(void)
{
	struct daxmr_proto_msg m = { 0 };

	m.hdr.opcode = DAXMR_PROTO_OP_REVOKE;
	m.hdr.request_id = ++mock.server_request_id + 1000;
	m.revoke.export_id = EXPORT_ID;
	m.revoke.generation = GEN;
	m.revoke.deadline_ms = 1000;
	m.revoke.reason = DAXMR_PROTO_REVOKE_LEASE_BREAK;
	server_send(&m);
}

/* Sends AVAILABLE for the test export as generation GEN + 1. */
static void server_available(void)
{
	struct daxmr_proto_msg m = { 0 };

	m.hdr.opcode = DAXMR_PROTO_OP_AVAILABLE;
	m.available.export_id = EXPORT_ID;
	m.available.generation = GEN + 1;
	server_send(&m);
}

/* One LIST entry. */
static void list_entry(struct daxmr_proto_export *e, uint32_t id)
{
	e->export_id = id;
	e->generation = 1;
	e->length = 4096ull * id;
	e->access = DAXMR_PROTO_ACCESS_RW;
	e->memory = DAXMR_PROTO_MEMORY_FSDAX;
	e->registration = DAXMR_PROTO_REG_ODP;
	snprintf(e->name, sizeof(e->name), "export%u", id);
}

/* The server's answer to one request from the client. */
static void server_on_request(const struct daxmr_proto_msg *req)
{
	struct daxmr_proto_msg r = { 0 };
	unsigned int page;

	if (mock.silent)
		return;
	if (mock.hold_flush && req->hdr.opcode == DAXMR_PROTO_OP_FLUSH) {
		assert_true(mock.nheld_flush < 8);
		mock.held_flush[mock.nheld_flush++] = *req;
		return;
	}
	r.hdr.opcode = req->hdr.opcode;
	r.hdr.flags = DAXMR_PROTO_F_REPLY;
	r.hdr.request_id = req->hdr.request_id;
	switch (req->hdr.opcode) {
	case DAXMR_PROTO_OP_HELLO:
		r.hdr.status = mock.hello_status;
		r.hello_reply.version = mock.hello_version;
		r.hello_reply.flags = mock.hello_flags;
		if (mock.hello_flags & DAXMR_PROTO_HELLO_F_AUTH)
			memcpy(r.hello_reply.challenge, mock.challenge, sizeof(mock.challenge));
		snprintf(r.hello_reply.name, sizeof(r.hello_reply.name), "daxmrd@test");
		break;
	case DAXMR_PROTO_OP_AUTH:
		r.hdr.status = mock.auth_status;
		daxmr_auth_proof(&mock.server_key, DAXMR_AUTH_SERVER, mock.challenge,
				 req->auth.nonce, r.auth_reply.proof);
		if (mock.auth_bad_proof)
			r.auth_reply.proof[0] ^= 0x80;
		if (mock.auth_echo)
			memcpy(r.auth_reply.proof, req->auth.proof, sizeof(r.auth_reply.proof));
		break;
	case DAXMR_PROTO_OP_LIST:
		page = req->list.start / 2;
		r.list_reply.start = req->list.start;
		r.list_reply.count = 2;
		list_entry(&r.list_reply.entries[0], req->list.start + 1);
		list_entry(&r.list_reply.entries[1],
			   mock.list_dup && page == 1 ? 1 : req->list.start + 2);
		if (page + 1 < mock.list_pages)
			r.list_reply.flags = DAXMR_PROTO_LIST_F_MORE;
		break;
	case DAXMR_PROTO_OP_OPEN:
		r.hdr.status = mock.open_status;
		r.desc.export_id = EXPORT_ID;
		r.desc.generation = mock.opens++ && mock.reopen_gen ? mock.reopen_gen : GEN;
		r.desc.addr = REMOTE_ADDR;
		r.desc.length = EXPORT_LEN;
		r.desc.rkey = KEY0;
		r.desc.flags = mock.desc_flags;
		if (mock.seg_shift) {
			uint32_t i;

			r.desc.seg_shift = mock.seg_shift;
			r.desc.nseg = (uint32_t)(((EXPORT_LEN - 1) >> mock.seg_shift) + 1);
			r.desc.nkeys = mock.desc_nkeys ? mock.desc_nkeys : (uint16_t)r.desc.nseg;
			for (i = 0; i < r.desc.nkeys; i++)
				r.desc.keys[i] = KEY0 + i;
		}
		r.desc.access = req->open.access;
		r.desc.memory = DAXMR_PROTO_MEMORY_FSDAX;
		r.desc.registration = DAXMR_PROTO_REG_ODP;
		r.desc.key_kind = DAXMR_PROTO_KEY_MR;
		break;
	case DAXMR_PROTO_OP_CLOSE:
		r.hdr.status = mock.close_status;
		break;
	case DAXMR_PROTO_OP_FLUSH:
		r.hdr.status = mock.flush_status;
		break;
	case DAXMR_PROTO_OP_KEYS:
		r.hdr.status = mock.keys_status;
		r.keys_reply.first = req->keys.first + mock.keys_first_skew;
		r.keys_reply.count =
			(uint16_t)(((EXPORT_LEN - 1) >> mock.seg_shift) + 1 - req->keys.first);
		if (r.keys_reply.count > DAXMR_PROTO_KEYS_MAX)
			r.keys_reply.count = DAXMR_PROTO_KEYS_MAX;
		for (page = 0; page < r.keys_reply.count; page++)
			r.keys_reply.keys[page] = KEY0 + req->keys.first + page;
		break;
	default:
		return; /* REVOKE_ACK: never answered */
	}
	if (r.hdr.status != DAXMR_PROTO_STATUS_OK && mock.reason && mock.version >= 3)
		snprintf(r.reason, sizeof(r.reason), "%s", mock.reason);
	server_send(&r);
}

/* Counts the REVOKE_ACKs the client sent. */
static unsigned int acks_sent(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < mock.nsent; i++)
		n += mock.sent[i].hdr.opcode == DAXMR_PROTO_OP_REVOKE_ACK;
	return n;
}

/* Counts the messages with opcode the client sent. */
static unsigned int sent_count(enum daxmr_proto_opcode op)
{
	unsigned int i, n = 0;

	for (i = 0; i < mock.nsent; i++)
		n += mock.sent[i].hdr.opcode == op;
	return n;
}

/* The fake export's bytes behind the RDMA fakes: what READs read and WRITEs and atomics change. */
static uint8_t *remote_mem(uint64_t raddr, uint32_t len)
{
	assert_true(raddr >= REMOTE_ADDR);
	assert_true(raddr - REMOTE_ADDR + len <= EXPORT_LEN);
	return remote + (raddr - REMOTE_ADDR);
}

/* One RDMA work request of a posted chain: done on the fake export, its completion queued. */
static void fake_rdma_one(struct ibv_send_wr *wr)
{
	uint32_t len = wr->sg_list[0].length;
	void *local = (void *)(uintptr_t)wr->sg_list[0].addr;
	enum ibv_wc_status status = mock.qp_error ? IBV_WC_WR_FLUSH_ERR : mock.rdma_status;
	enum ibv_wc_opcode op = IBV_WC_RDMA_WRITE;
	uint64_t old;

	if (!(wr->send_flags & IBV_SEND_INLINE))
		assert_int_equal(wr->sg_list[0].lkey, mock.wr_lkey ? mock.wr_lkey : fake_mr.lkey);
	else
		mock.rdma_inline++;
	mock.rdma_wrs++;
	if (wr->send_flags & IBV_SEND_SIGNALED)
		mock.rdma_signaled++;
	if (mock.fail_wr && mock.rdma_wrs == mock.fail_wr)
		status = mock.fail_wr_status;
	if (status == IBV_WC_SUCCESS) {
		switch (wr->opcode) {
		case IBV_WR_RDMA_READ:
			/* rxe's limit: one message is at most 8 MiB; ours at most max_wr_bytes */
			assert_true(len <= mock.max_wr_seen_limit);
			assert_int_equal(wr->wr.rdma.rkey, seg_key(wr->wr.rdma.remote_addr));
			assert_int_equal(wr->wr.rdma.rkey,
					 seg_key(wr->wr.rdma.remote_addr + len - 1)); /* one seg */
			mock.rdma_reads++;
			memcpy(local, remote_mem(wr->wr.rdma.remote_addr, len), len);
			op = IBV_WC_RDMA_READ;
			break;
		case IBV_WR_RDMA_WRITE:
			assert_true(len <= mock.max_wr_seen_limit);
			assert_int_equal(wr->wr.rdma.rkey, seg_key(wr->wr.rdma.remote_addr));
			assert_int_equal(wr->wr.rdma.rkey,
					 seg_key(wr->wr.rdma.remote_addr + len - 1));
			mock.rdma_writes++;
			memcpy(remote_mem(wr->wr.rdma.remote_addr, len), local, len);
			break;
		case IBV_WR_ATOMIC_CMP_AND_SWP:
		case IBV_WR_ATOMIC_FETCH_AND_ADD:
			assert_int_equal(len, 8);
			assert_int_equal(wr->wr.atomic.remote_addr % 8, 0);
			assert_int_equal(wr->wr.atomic.rkey, seg_key(wr->wr.atomic.remote_addr));
			mock.rdma_atomics++;
			memcpy(&old, remote_mem(wr->wr.atomic.remote_addr, 8), 8);
			memcpy(local, &old, 8);
			if (wr->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD)
				old += wr->wr.atomic.compare_add;
			else if (old == wr->wr.atomic.compare_add)
				old = wr->wr.atomic.swap;
			memcpy(remote_mem(wr->wr.atomic.remote_addr, 8), &old, 8);
			op = wr->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ? IBV_WC_COMP_SWAP :
								       IBV_WC_FETCH_ADD;
			break;
		default:
			fail_msg("unexpected RDMA opcode %d", wr->opcode);
		}
	} else {
		mock.qp_error = true; /* the rest flushes */
	}
	if (mock.revoke_during_rdma) {
		mock.revoke_during_rdma = false;
		server_revoke();
		if (mock.revoke_twice)
			server_revoke();
	}
	/* a device reports successes only when signalled, failures (and flushes) always */
	if (status != IBV_WC_SUCCESS || (wr->send_flags & IBV_SEND_SIGNALED)) {
		if (mock.hold_rdma) {
			assert_true(mock.nheld < MAX_WC);
			mock.held[mock.nheld++] = (struct ibv_wc){ .wr_id = wr->wr_id,
								   .status = status,
								   .opcode = op };
		} else {
			wc_push(wr->wr_id, status, op, 0);
		}
	}
}

static int fake_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad)
{
	struct daxmr_proto_msg *msg;

	assert_ptr_equal(qp, &fake_qp);
	assert_int_equal(wr->num_sge, 1);
	if (wr->opcode != IBV_WR_SEND) {
		/* one doorbell for the chain; its last work request signalled */
		mock.rdma_posts++;
		if (mock.post_send_err) {
			*bad = wr;
			return mock.post_send_err;
		}
		for (; wr; wr = wr->next) {
			assert_int_equal(wr->num_sge, 1);
			if (!wr->next)
				assert_true(wr->send_flags & IBV_SEND_SIGNALED);
			fake_rdma_one(wr);
		}
		return 0;
	}
	assert_null(wr->next);
	assert_int_equal(wr->sg_list[0].lkey, fake_mr.lkey);
	assert_true(wr->send_flags & IBV_SEND_SIGNALED);
	assert_true(mock.nsent < MAX_SENT);
	msg = &mock.sent[mock.nsent++];
	/* everything the client sends is a valid message */
	assert_int_equal(daxmr_proto_msg_decode((void *)(uintptr_t)wr->sg_list[0].addr,
						wr->sg_list[0].length, msg),
			 0);
	if (mock.send_status != IBV_WC_SUCCESS) {
		/* never acknowledged (retries exhausted, say): the server saw nothing */
		wc_push(wr->wr_id, mock.send_status, IBV_WC_SEND, 0);
		return 0;
	}
	wc_push(wr->wr_id, mock.qp_error ? IBV_WC_WR_FLUSH_ERR : IBV_WC_SUCCESS, IBV_WC_SEND, 0);
	server_on_request(msg);
	return 0;
}

static int fake_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad)
{
	struct fake_recv *r;

	assert_ptr_equal(qp, &fake_qp);
	(void)bad;
	if (mock.post_recv_err)
		return mock.post_recv_err;
	for (; wr; wr = wr->next) {
		assert_int_equal(wr->num_sge, 1);
		assert_int_equal(wr->sg_list[0].length, DAXMR_PROTO_MSG_MAX);
		r = &mock.recv[mock.recv_tail++ % MAX_RECV];
		r->wr_id = wr->wr_id;
		r->addr = (void *)(uintptr_t)wr->sg_list[0].addr;
		r->len = wr->sg_list[0].length;
	}
	return 0;
}

static int fake_poll_cq(struct ibv_cq *cq, int num, struct ibv_wc *wc)
{
	int n = 0;

	assert_ptr_equal(cq, &fake_cq);
	while (n < num && mock.wc_head != mock.wc_tail) {
		wc[n] = mock.wc[mock.wc_head++ % MAX_WC];
		if (wc[n].opcode != IBV_WC_SEND && wc[n].opcode != IBV_WC_RECV)
			mock.acks_at_rdma_completion = acks_sent();
		n++;
	}
	return n;
}

static int fake_req_notify_cq(struct ibv_cq *cq, int solicited_only)
{
	assert_ptr_equal(cq, &fake_cq);
	assert_int_equal(solicited_only, 0);
	return mock.notify_err;
}

/* ---- callbacks ---- */

static void cb_revoke(struct daxmr_region *region, const struct daxmr_revoke_info *info, void *arg)
{
	assert_ptr_equal(arg, &mock);
	assert_non_null(region);
	assert_true(daxmr_region_is_revoked(region));
	mock.revokes++;
	mock.revoke_info = *info;
	snprintf(mock.revoke_name, sizeof(mock.revoke_name), "%s", info->name);
}

static void cb_available(uint32_t export_id, const char *name, uint64_t generation, void *arg)
{
	assert_ptr_equal(arg, &mock);
	assert_int_equal(export_id, EXPORT_ID);
	assert_string_equal(name, "db");
	mock.availables++;
	mock.avail_gen = generation;
}

static void cb_disconnect(int reason, void *arg)
{
	assert_ptr_equal(arg, &mock);
	mock.disconnect_cbs++;
	mock.disconnect_reason = reason;
}

static const struct daxmr_callbacks cbs = { .on_revoke = cb_revoke,
					    .on_available = cb_available,
					    .on_disconnect = cb_disconnect };

/* ---- fixtures ---- */

/* Accept private data: version, credits. */
static void accept_data(uint16_t version, uint16_t credits)
{
	struct daxmr_proto_cm_accept acc = { .version = version, .credits = credits };

	mock.conn_pdata_len = DAXMR_PROTO_CM_ACCEPT_SIZE;
	/* encode refuses version 0 / credits 0: write those by hand */
	if (daxmr_proto_cm_accept_encode(&acc, mock.conn_pdata, sizeof(mock.conn_pdata)) < 0) {
		uint32_t magic = DAXMR_PROTO_MAGIC;

		memcpy(mock.conn_pdata, &magic, 4);
		memcpy(mock.conn_pdata + 4, &version, 2);
		memcpy(mock.conn_pdata + 6, &credits, 2);
	}
}

/* A healthy device and server. */
static int setup(void **state)
{
	(void)state;
	memset(&mock, 0, sizeof(mock));
	memset(&fake_ctx, 0, sizeof(fake_ctx));
	fake_ctx.device = &fake_dev;
	fake_ctx.ops.post_send = fake_post_send;
	fake_ctx.ops.post_recv = fake_post_recv;
	fake_ctx.ops.poll_cq = fake_poll_cq;
	fake_ctx.ops.req_notify_cq = fake_req_notify_cq;
	memset(&fake_qp, 0, sizeof(fake_qp));
	mock.addr_event = RDMA_CM_EVENT_ADDR_RESOLVED;
	mock.route_event = RDMA_CM_EVENT_ROUTE_RESOLVED;
	mock.conn_event = RDMA_CM_EVENT_ESTABLISHED;
	accept_data(1, 4);
	mock.hello_version = 1;
	mock.version = 1;
	mock.rdma_status = IBV_WC_SUCCESS;
	mock.max_wr_seen_limit = DAXMR_DEFAULT_MAX_WR_BYTES;
	mock.atomic_cap = IBV_ATOMIC_HCA;
	memset(remote, 0xab, sizeof(remote));
	return 0;
}

/* Every constructor was matched by its destructor. */
static void assert_no_leaks(void)
{
	int i;

	for (i = 0; i < L_COUNT; i++)
		if (mock.live[i])
			fail_msg("object kind %d: %d live", i, mock.live[i]);
}

/* Connect with short timeouts and the test callbacks. */
static int connect_client(struct daxmr_client **c, bool ack)
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	int ret;

	opts.timeout_ms = 200;
	opts.ack_revoke = ack;
	opts.name = "unit-test";
	opts.secret_file = mock.secret_file;
	opts.reconnect = mock.reconnect;
	ret = daxmr_client_connect(ADDR, &opts, c);
	if (!ret)
		daxmr_client_set_callbacks(*c, &cbs, &mock);
	return ret;
}

/* Connect fails with want; nothing leaks and *client_ptr is untouched. */
static void connect_fails(int want)
{
	struct daxmr_client *c = (struct daxmr_client *)(uintptr_t)0xdead;

	assert_int_equal(connect_client(&c, true), want);
	assert_ptr_equal(c, (struct daxmr_client *)(uintptr_t)0xdead);
	assert_no_leaks();
}

/* Receives posted and not yet consumed by the fake server. */
static unsigned int recvs_posted(void)
{
	return mock.recv_tail - mock.recv_head;
}

/* ---- connect ---- */

static void connect__ok(void **state)
{
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_non_null(c);
	assert_string_equal(daxmr_client_server_name(c), "daxmrd@test");
	assert_true(daxmr_client_fd(c) >= 0);
	assert_int_equal(mock.sent[0].hdr.opcode, DAXMR_PROTO_OP_HELLO);
	assert_string_equal(mock.sent[0].hello.name, "unit-test");
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(daxmr_client_disconnect(&c), 0);
	assert_null(c);
	assert_int_equal(mock.disconnects, 1);
	assert_int_equal(daxmr_client_disconnect(&c), 0); /* NULL-safe */
	assert_no_leaks();
}

static void connect__bad_addr_EINVAL(void **state)
{
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(daxmr_client_connect("[::1", NULL, &c), -EINVAL);
	assert_int_equal(daxmr_client_connect("host:", NULL, &c), -EINVAL);
	/* the port is 1..65535 in digits: 99999 used to reach getaddrinfo and wrap */
	assert_int_equal(daxmr_client_connect(ADDR ":99999", NULL, &c), -EINVAL);
	assert_int_equal(daxmr_client_connect(ADDR ":0", NULL, &c), -EINVAL);
	assert_int_equal(daxmr_client_connect(ADDR ":+7471", NULL, &c), -EINVAL);
	assert_int_equal(daxmr_client_connect("[::1]x", NULL, &c), -EINVAL);
	assert_int_equal(daxmr_client_connect(NULL, NULL, &c), -EINVAL);
	assert_null(c);
	assert_no_leaks();
}

static void connect__bad_name_EINVAL(void **state)
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	struct daxmr_client *c = NULL;

	(void)state;
	opts.name = "has space";
	assert_int_equal(daxmr_client_connect(ADDR, &opts, &c), -EINVAL);
	assert_no_leaks();
}

/* getaddrinfo's errors keep their meaning: a resolver that cannot answer now is not a dead host */
static void connect__getaddrinfo_errors(void **state)
{
	static const struct {
		int eai, err, want;
	} cases[] = {
		{ EAI_AGAIN, 0, -EAGAIN },   { EAI_NONAME, 0, -ENXIO },
		{ EAI_NODATA, 0, -ENXIO },   { EAI_ADDRFAMILY, 0, -ENXIO },
		{ EAI_FAIL, 0, -EIO },	     { EAI_MEMORY, 0, -ENOMEM },
		{ EAI_SERVICE, 0, -EINVAL }, { EAI_SYSTEM, EMFILE, -EMFILE },
		{ EAI_SYSTEM, 0, -EIO },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup(NULL);
		mock.gai_err = cases[i].eai;
		mock.gai_errno = cases[i].err;
		connect_fails(cases[i].want);
		assert_non_null(strstr(mock.log, "getaddrinfo"));
		assert_int_equal(mock.live[L_ID], 0);
	}
}

/* EAI_SYSTEM: the errno getaddrinfo left, not what the log line left behind. */
static void connect__getaddrinfo_EAI_SYSTEM_errno(void **state)
{
	(void)state;
	mock.gai_err = EAI_SYSTEM;
	mock.gai_errno = ENFILE;
	connect_fails(-ENFILE);
	assert_non_null(strstr(mock.log, strerror(ENFILE)));
}

/* A failed rdma_destroy_id at disconnect: its own errno, read before the log line. */
static void disconnect__rdma_destroy_id_EBUSY(void **state)
{
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	mock.destroy_id_err = EBUSY;
	assert_int_equal(daxmr_client_disconnect(&c), -EBUSY);
	assert_null(c);
	assert_non_null(strstr(mock.log, "rdma_destroy_id"));
	assert_no_leaks();
}

static void connect__rdma_create_event_channel_ENODEV(void **state)
{
	(void)state;
	mock.channel_err = ENODEV;
	connect_fails(-ENODEV);
	assert_non_null(strstr(mock.log, "rdma_create_event_channel"));
}

static void connect__rdma_create_id_ENOMEM(void **state)
{
	(void)state;
	mock.id_err = ENOMEM;
	connect_fails(-ENOMEM);
	assert_non_null(strstr(mock.log, "rdma_create_id"));
}

static void connect__rdma_resolve_addr_EADDRNOTAVAIL(void **state)
{
	(void)state;
	mock.resolve_addr_err = EADDRNOTAVAIL;
	connect_fails(-EADDRNOTAVAIL);
	assert_non_null(strstr(mock.log, "rdma_resolve_addr"));
}

static void connect__ADDR_ERROR(void **state)
{
	(void)state;
	mock.addr_event = RDMA_CM_EVENT_ADDR_ERROR;
	connect_fails(-ENODEV);
	assert_non_null(strstr(mock.log, "RDMA device"));
}

static void connect__addr_timeout_ETIMEDOUT(void **state)
{
	(void)state;
	mock.addr_event = (enum rdma_cm_event_type) - 1;
	connect_fails(-ETIMEDOUT);
}

static void connect__rdma_resolve_route_EINVAL(void **state)
{
	(void)state;
	mock.resolve_route_err = EINVAL;
	connect_fails(-EINVAL);
	assert_non_null(strstr(mock.log, "rdma_resolve_route"));
}

static void connect__ROUTE_ERROR(void **state)
{
	(void)state;
	mock.route_event = RDMA_CM_EVENT_ROUTE_ERROR;
	connect_fails(-ETIMEDOUT);
}

static void connect__ibv_alloc_pd_ENOMEM(void **state)
{
	(void)state;
	mock.pd_err = ENOMEM;
	connect_fails(-ENOMEM);
	assert_non_null(strstr(mock.log, "ibv_alloc_pd"));
}

static void connect__ibv_create_comp_channel_EMFILE(void **state)
{
	(void)state;
	mock.cc_err = EMFILE;
	connect_fails(-EMFILE);
	assert_non_null(strstr(mock.log, "ibv_create_comp_channel"));
}

static void connect__ibv_create_cq_ENOMEM(void **state)
{
	(void)state;
	mock.cq_err = ENOMEM;
	connect_fails(-ENOMEM);
	assert_non_null(strstr(mock.log, "ibv_create_cq"));
}

static void connect__rdma_create_qp_EINVAL(void **state)
{
	(void)state;
	mock.qp_err = EINVAL;
	connect_fails(-EINVAL);
	assert_non_null(strstr(mock.log, "rdma_create_qp"));
}

static void connect__ibv_reg_mr_ENOMEM(void **state)
{
	(void)state;
	mock.mr_err = ENOMEM;
	connect_fails(-ENOMEM);
	assert_non_null(strstr(mock.log, "ibv_reg_mr"));
}

static void connect__ibv_post_recv_ENOMEM(void **state)
{
	(void)state;
	mock.post_recv_err = ENOMEM;
	connect_fails(-ENOMEM);
	assert_non_null(strstr(mock.log, "ibv_post_recv"));
}

static void connect__ibv_query_device_EIO(void **state)
{
	(void)state;
	mock.query_err = EIO;
	connect_fails(-EIO);
	assert_non_null(strstr(mock.log, "ibv_query_device"));
}

static void connect__rdma_connect_ECONNREFUSED(void **state)
{
	(void)state;
	mock.connect_err = ECONNREFUSED;
	connect_fails(-ECONNREFUSED);
	assert_non_null(strstr(mock.log, "rdma_connect"));
}

/* A daxmrd reject names its status and versions; the errno follows the status. */
static void connect__rejected_with_data(void **state)
{
	struct daxmr_proto_cm_reject rej = { .status = DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION,
					     .version_min = 2,
					     .version_max = 3 };

	(void)state;
	mock.conn_event = RDMA_CM_EVENT_REJECTED;
	mock.conn_event_status = 28;
	/* rdma_cm hands over the whole padded area: 148 bytes */
	mock.conn_pdata_len = DAXMR_PROTO_CM_REJECT_LIMIT;
	memset(mock.conn_pdata, 0, sizeof(mock.conn_pdata));
	assert_int_equal(daxmr_proto_cm_reject_encode(&rej, mock.conn_pdata, 148),
			 DAXMR_PROTO_CM_REJECT_SIZE);
	connect_fails(-EPROTONOSUPPORT);
	assert_non_null(strstr(mock.log, "UNSUPPORTED_VERSION"));
	assert_non_null(strstr(mock.log, "versions 2..3"));

	setup(NULL);
	rej.status = DAXMR_PROTO_STATUS_BUSY;
	mock.conn_event = RDMA_CM_EVENT_REJECTED;
	mock.conn_pdata_len = DAXMR_PROTO_CM_REJECT_LIMIT;
	memset(mock.conn_pdata, 0, sizeof(mock.conn_pdata));
	daxmr_proto_cm_reject_encode(&rej, mock.conn_pdata, 148);
	connect_fails(-EBUSY);
	assert_non_null(strstr(mock.log, "BUSY"));
}

/* A reject that is not daxmrd's (nothing listening): a plain refusal. */
static void connect__rejected_without_data(void **state)
{
	(void)state;
	mock.conn_event = RDMA_CM_EVENT_REJECTED;
	mock.conn_event_status = 8;
	mock.conn_pdata_len = 148;
	memset(mock.conn_pdata, 0, sizeof(mock.conn_pdata));
	connect_fails(-ECONNREFUSED);
	assert_non_null(strstr(mock.log, "without daxmr reject data"));
}

static void connect__UNREACHABLE(void **state)
{
	(void)state;
	mock.conn_event = RDMA_CM_EVENT_UNREACHABLE;
	mock.conn_event_status = -ETIMEDOUT;
	connect_fails(-ETIMEDOUT);
}

/* CONNECT_ERROR without a status: -ECONNREFUSED; an event connect never expects: -EPROTO. */
static void connect__CONNECT_ERROR_and_unexpected_event(void **state)
{
	(void)state;
	mock.conn_event = RDMA_CM_EVENT_CONNECT_ERROR;
	connect_fails(-ECONNREFUSED);
	assert_non_null(strstr(mock.log, "connect error"));

	setup(NULL);
	mock.conn_event = RDMA_CM_EVENT_ADDR_CHANGE;
	connect_fails(-EPROTO);
	assert_non_null(strstr(mock.log, "unexpected rdma_cm event"));
}

static void connect__accept_bad_version(void **state)
{
	(void)state;
	accept_data(9, 4);
	connect_fails(-EPROTONOSUPPORT);
	assert_int_equal(mock.disconnects, 1);
}

static void connect__accept_no_credits_EPROTO(void **state)
{
	(void)state;
	accept_data(1, 0);
	connect_fails(-EPROTO);
}

static void connect__accept_short_EPROTO(void **state)
{
	(void)state;
	mock.conn_pdata_len = 0;
	connect_fails(-EPROTO);
}

static void connect__hello_refused(void **state)
{
	(void)state;
	mock.hello_status = DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION;
	connect_fails(-EPROTONOSUPPORT);
	assert_non_null(strstr(mock.log, "HELLO"));
}

static void connect__hello_timeout(void **state)
{
	(void)state;
	mock.silent = true;
	connect_fails(-ETIMEDOUT);
}

static void connect__ibv_req_notify_cq_EIO(void **state)
{
	(void)state;
	mock.notify_err = EIO;
	connect_fails(-EIO);
	assert_non_null(strstr(mock.log, "ibv_req_notify_cq"));
}

/* ---- authentication ---- */

/* The secret the tests' files hold: a trailing newline is part of it. */
static const char test_secret[] = "client_test: the secret shared with daxmrd\n";
static char secret_path[PATH_MAX];

/* Writes test_secret to a new file with mode; connect_client will pass it. */
static void secret_file(mode_t mode)
{
	const char *dir = getenv("TMPDIR");
	ssize_t len = (ssize_t)sizeof(test_secret) - 1;
	int fd;

	snprintf(secret_path, sizeof(secret_path), "%s/daxmr-client-test-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(secret_path); /* mode 0600 */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, test_secret, (size_t)len), len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	mock.secret_file = secret_path;
}

/* Removes the secret file a test wrote. */
static int teardown_secret(void **state)
{
	(void)state;
	if (secret_path[0])
		unlink(secret_path);
	secret_path[0] = '\0';
	return 0;
}

/* A version-2 daxmrd that shares test_secret and asks for AUTH with a fixed challenge. */
static void auth_server(void)
{
	size_t i;

	accept_data(2, 4);
	mock.version = 2;
	mock.hello_version = 2;
	mock.hello_flags = DAXMR_PROTO_HELLO_F_AUTH;
	for (i = 0; i < sizeof(mock.challenge); i++)
		mock.challenge[i] = (uint8_t)(0xc0 ^ (i * 13));
	assert_int_equal(
		daxmr_auth_key_from_bytes(test_secret, sizeof(test_secret) - 1, &mock.server_key),
		0);
	mock.auth_status = DAXMR_PROTO_STATUS_OK;
}

/* The client's AUTH (the second message it sent) proves the secret over our challenge. */
static void assert_auth_sent(void)
{
	const struct daxmr_proto_msg *a;

	assert_int_equal(mock.nsent, 2);
	assert_int_equal(mock.sent[0].hdr.opcode, DAXMR_PROTO_OP_HELLO);
	a = &mock.sent[1];
	assert_int_equal(a->hdr.opcode, DAXMR_PROTO_OP_AUTH);
	assert_int_equal(a->hdr.version, 2);
	assert_true(daxmr_auth_verify(&mock.server_key, DAXMR_AUTH_CLIENT, mock.challenge,
				      a->auth.nonce, a->auth.proof));
	/* a client proof, not one a server could have made */
	assert_false(daxmr_auth_verify(&mock.server_key, DAXMR_AUTH_SERVER, mock.challenge,
				       a->auth.nonce, a->auth.proof));
}

/* The server asks, the client proves the secret, the server's proof checks out: connected. */
static void connect__auth_ok_proofs_verify(void **state)
{
	uint8_t nonce[DAXMR_PROTO_AUTH_NONCE_SIZE];
	struct daxmr_client *c = NULL;

	(void)state;
	secret_file(0600);
	auth_server();
	assert_int_equal(connect_client(&c, true), 0);
	assert_auth_sent();
	memcpy(nonce, mock.sent[1].auth.nonce, sizeof(nonce));
	assert_non_null(strstr(mock.log, "authenticated"));
	assert_int_equal(daxmr_client_disconnect(&c), 0);
	assert_no_leaks();

	/* a second connection: a fresh nonce */
	setup(NULL);
	mock.secret_file = secret_path;
	auth_server();
	assert_int_equal(connect_client(&c, true), 0);
	assert_auth_sent();
	assert_memory_not_equal(mock.sent[1].auth.nonce, nonce, sizeof(nonce));
	assert_int_equal(daxmr_client_disconnect(&c), 0);
	assert_no_leaks();
}

/* A secret file group or others may read: refused before anything is sent. */
static void connect__secret_file_0644_EPERM(void **state)
{
	(void)state;
	secret_file(0644);
	auth_server();
	connect_fails(-EPERM);
	assert_int_equal(mock.nsent, 0);
	assert_int_equal(mock.disconnects, 0);
	assert_non_null(strstr(mock.log, secret_path));
}

/* The server's proof is wrong (one bit) or our own sent back: not the server we share it with. */
static void connect__auth_wrong_server_proof_EACCES(void **state)
{
	(void)state;
	secret_file(0600);
	auth_server();
	mock.auth_bad_proof = true;
	connect_fails(-EACCES);
	assert_auth_sent(); /* and nothing after it */
	assert_int_equal(mock.disconnects, 1);
	assert_non_null(strstr(mock.log, "server's proof does not match"));

	setup(NULL);
	mock.secret_file = secret_path;
	auth_server();
	mock.auth_echo = true;
	connect_fails(-EACCES);
	assert_auth_sent();
	assert_int_equal(mock.disconnects, 1);

	/* a server with another secret */
	setup(NULL);
	mock.secret_file = secret_path;
	auth_server();
	assert_int_equal(
		daxmr_auth_key_from_bytes("another secret, not the client's", 32, &mock.server_key),
		0);
	connect_fails(-EACCES);
	assert_int_equal(mock.nsent, 2);
	assert_int_equal(mock.disconnects, 1);
}

/* The server refuses our proof: ACCESS_DENIED is -EACCES; another status, its own errno. */
static void connect__auth_ACCESS_DENIED_EACCES(void **state)
{
	(void)state;
	secret_file(0600);
	auth_server();
	mock.auth_status = DAXMR_PROTO_STATUS_ACCESS_DENIED;
	connect_fails(-EACCES);
	assert_auth_sent();
	assert_int_equal(mock.disconnects, 1);
	assert_non_null(strstr(mock.log, "our secret is not the server's"));

	setup(NULL);
	mock.secret_file = secret_path;
	auth_server();
	mock.auth_status = DAXMR_PROTO_STATUS_INTERNAL;
	connect_fails(-EIO);
	assert_auth_sent();
	assert_int_equal(mock.disconnects, 1);
}

/* The server asks for AUTH and we have no secret: -EACCES, no AUTH sent. */
static void connect__auth_asked_no_secret_EACCES(void **state)
{
	(void)state;
	auth_server();
	connect_fails(-EACCES);
	assert_int_equal(mock.nsent, 1); /* HELLO only */
	assert_int_equal(sent_count(DAXMR_PROTO_OP_AUTH), 0);
	assert_int_equal(mock.disconnects, 1);
	assert_non_null(strstr(mock.log, "requires authentication"));
}

/* We have a secret and the server does not ask (version 1 or 2): an impostor, -EACCES. */
static void connect__secret_but_no_auth_asked_EACCES(void **state)
{
	(void)state;
	secret_file(0600);
	connect_fails(-EACCES); /* version 1 */
	assert_int_equal(mock.nsent, 1);
	assert_int_equal(mock.sent[0].hdr.opcode, DAXMR_PROTO_OP_HELLO);
	assert_int_equal(mock.disconnects, 1);
	assert_non_null(strstr(mock.log, "did not ask us to authenticate"));

	setup(NULL);
	mock.secret_file = secret_path;
	auth_server();
	mock.hello_flags = 0; /* version 2, no AUTH */
	connect_fails(-EACCES);
	assert_int_equal(mock.nsent, 1);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_AUTH), 0);
	assert_int_equal(mock.disconnects, 1);
}

/* Rejected at connect because no export admits our address: -EACCES. */
static void connect__rejected_ACCESS_DENIED_EACCES(void **state)
{
	struct daxmr_proto_cm_reject rej = { .status = DAXMR_PROTO_STATUS_ACCESS_DENIED,
					     .version_min = 1,
					     .version_max = 2 };

	(void)state;
	mock.conn_event = RDMA_CM_EVENT_REJECTED;
	mock.conn_event_status = 28;
	mock.conn_pdata_len = DAXMR_PROTO_CM_REJECT_LIMIT;
	memset(mock.conn_pdata, 0, sizeof(mock.conn_pdata));
	assert_int_equal(daxmr_proto_cm_reject_encode(&rej, mock.conn_pdata, 148),
			 DAXMR_PROTO_CM_REJECT_SIZE);
	connect_fails(-EACCES);
	assert_int_equal(mock.nsent, 0);
	assert_non_null(strstr(mock.log, "ACCESS_DENIED"));
	assert_non_null(strstr(mock.log, "admits"));
}

/* ---- requests ---- */

/* Paged LIST: every page asked for, duplicates dropped. */
static void list__pages(void **state)
{
	struct daxmr_export_info *infos = NULL;
	struct daxmr_client *c = NULL;
	size_t n = 0;

	(void)state;
	mock.list_pages = 3;
	mock.list_dup = true;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_client_list(c, &infos, &n), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_LIST), 3);
	assert_int_equal(n, 5); /* 6 entries, one repeated */
	assert_string_equal(infos[0].name, "export1");
	assert_int_equal(infos[4].export_id, 6);
	assert_int_equal(infos[4].memory, DAXMR_MEMORY_FSDAX);
	assert_int_equal(infos[4].registration, DAXMR_REG_ODP);
	daxmr_client_list_free(infos);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* OPEN: two receives posted before it; one kept for the descriptor after. */
static void open__receive_accounting(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	const struct daxmr_desc *d;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(recvs_posted(), DAXMR_CREDIT_SLACK);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	d = daxmr_region_desc(r);
	assert_int_equal(d->export_id, EXPORT_ID);
	assert_int_equal(d->generation, GEN);
	assert_int_equal(d->length, EXPORT_LEN);
	assert_int_equal(d->access, DAXMR_RW);
	assert_int_equal(d->key_kind, DAXMR_KEY_MR);
	/* the descriptor's receive (for its REVOKE) plus the slack */
	assert_int_equal(recvs_posted(), DAXMR_CREDIT_SLACK + 1);
	assert_int_equal(daxmr_region_close(&r), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_CLOSE), 1);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* OPEN statuses become errnos; nothing is held after a refusal. */
static void open__statuses(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	mock.open_status = DAXMR_PROTO_STATUS_NO_SUCH_EXPORT;
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RO, &r), -ENOENT);
	mock.open_status = DAXMR_PROTO_STATUS_ACCESS_DENIED;
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), -EACCES);
	mock.open_status = DAXMR_PROTO_STATUS_REVOKING;
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), -EAGAIN);
	assert_null(r);
	assert_int_equal(daxmr_region_open(c, "bad name", DAXMR_RW, &r), -EINVAL);
	assert_int_equal(recvs_posted(), DAXMR_CREDIT_SLACK + 1); /* surplus from refusals only */
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* read / write / flush go through; reads are chunked under 8 MiB, data lands in the buffer. */
static void transfer__ok(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	size_t len = (2u << 20) + 3;
	uint8_t *buf = malloc(len);

	(void)state;
	assert_non_null(buf);
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	memset(buf, 0, len);
	assert_int_equal(daxmr_region_read(r, 5, buf, len), 0);
	/* 1 MiB chunks through the bounce buffer, each 64 KiB work requests on one doorbell */
	assert_int_equal(mock.rdma_posts, 3);
	assert_int_equal(mock.rdma_reads, 16 + 16 + 1);
	assert_int_equal(buf[0], 0xab);
	assert_int_equal(buf[len - 1], 0xab);
	buf[len - 1] = 0x5a;
	assert_int_equal(daxmr_region_write(r, 0, buf, len), 0);
	assert_int_equal(mock.rdma_writes, 16 + 16 + 1);
	assert_int_equal(remote[len - 1], 0x5a); /* the bytes went where they belong */
	assert_int_equal(remote[len], 0xab);
	assert_int_equal(daxmr_region_flush(r, 7, 100), 0);
	assert_int_equal(mock.sent[mock.nsent - 1].hdr.opcode, DAXMR_PROTO_OP_FLUSH);
	assert_int_equal(mock.sent[mock.nsent - 1].flush.offset, 7);
	assert_int_equal(mock.sent[mock.nsent - 1].flush.length, 100);
	mock.flush_status = DAXMR_PROTO_STATUS_STALE_GENERATION;
	assert_int_equal(daxmr_region_flush(r, 0, 1), -ESTALE);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	free(buf);
	assert_no_leaks();
}

/* A remote access error: -EACCES with the wc status named, then the connection is dead. */
static void transfer__REM_ACCESS_ERR(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	char buf[64];

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	mock.rdma_status = IBV_WC_REM_ACCESS_ERR;
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -EACCES);
	assert_non_null(strstr(mock.log, ibv_wc_status_str(IBV_WC_REM_ACCESS_ERR)));
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ENOTCONN);
	assert_int_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), -ENOTCONN);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.disconnect_cbs, 1);
	assert_int_equal(mock.disconnect_reason, -EACCES);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.disconnect_cbs, 1); /* once */
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Any other failed completion: -EIO. */
static void transfer__RETRY_EXC_ERR(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	char buf[64] = { 0 };

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	mock.rdma_status = IBV_WC_GENERAL_ERR;
	assert_int_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), -EIO);
	assert_int_equal(daxmr_region_flush(r, 0, 1), -ENOTCONN);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* ---- revocation ---- */

/* REVOKE: ACK with the REVOKE's id, -ESTALE, the callback; AVAILABLE: callback, no CLOSE. */
static void revoke__ack_then_available(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	char buf[8];
	unsigned int closes;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	server_revoke();
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(mock.revokes, 1);
	assert_string_equal(mock.revoke_name, "db");
	assert_int_equal(mock.revoke_info.generation, GEN);
	assert_int_equal(mock.revoke_info.deadline_ms, 1000);
	assert_int_equal(mock.revoke_info.reason, DAXMR_REVOKE_LEASE_BREAK);
	assert_int_equal(acks_sent(), 1);
	assert_int_equal(mock.sent[mock.nsent - 1].hdr.request_id, 1001);
	assert_int_equal(mock.sent[mock.nsent - 1].revoke_ack.generation, GEN);
	assert_true(daxmr_region_is_revoked(r));
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ESTALE);
	/* the revoked descriptor keeps a receive for its AVAILABLE */
	assert_int_equal(recvs_posted(), DAXMR_CREDIT_SLACK + 1);
	server_available();
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(mock.availables, 1);
	assert_int_equal(mock.avail_gen, GEN + 1);
	closes = sent_count(DAXMR_PROTO_OP_CLOSE);
	assert_int_equal(daxmr_region_close(&r), 0);
	/* the server forgot the descriptor when it sent AVAILABLE */
	assert_int_equal(sent_count(DAXMR_PROTO_OP_CLOSE), closes);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* ack_revoke off: the library never answers (fault tests). */
static void revoke__ack_revoke_off(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, false), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RO, &r), 0);
	server_revoke();
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(mock.revokes, 1);
	assert_int_equal(acks_sent(), 0);
	/* closing a revoked, unreleased descriptor: the CLOSE counts as its ACK */
	mock.close_status = DAXMR_PROTO_STATUS_STALE_GENERATION;
	assert_int_equal(daxmr_region_close(&r), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_CLOSE), 1);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/*
 * A REVOKE during a transfer of the region: the ACK waits for the RDMA completion. twice: the
 * same REVOKE again (found by fuzz_client): the repeat must not be acknowledged at once as if no
 * region held the descriptor, or the server would fence the RDMA still in flight.
 */
static void revoke_during_transfer(bool twice)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	char buf[64];

	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	mock.revoke_during_rdma = true;
	mock.revoke_twice = twice;
	/* one chunk: it completes, so the read succeeds */
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), 0);
	assert_int_equal(mock.acks_at_rdma_completion, 0);
	assert_int_equal(acks_sent(), 1);
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ESTALE);
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(mock.revokes, 1);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

static void revoke__during_transfer_ack_deferred(void **state)
{
	(void)state;
	revoke_during_transfer(false);
}

static void revoke__repeated_during_transfer_ack_deferred(void **state)
{
	(void)state;
	revoke_during_transfer(true);
}

/* A REVOKE in the middle of a multi-chunk transfer stops it at the chunk boundary. */
static void revoke__stops_chunked_transfer(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	size_t len = 2u << 20;
	char *buf = malloc(len);

	(void)state;
	assert_non_null(buf);
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	mock.revoke_during_rdma = true;
	assert_int_equal(daxmr_region_write(r, 0, buf, len), -ESTALE);
	assert_int_equal(mock.rdma_posts, 1); /* the first 1 MiB chunk, none after it */
	assert_int_equal(mock.rdma_writes, 16);
	assert_int_equal(acks_sent(), 1);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	free(buf);
	assert_no_leaks();
}

/* A REVOKE for a descriptor we no longer hold (it crossed our CLOSE) is still acknowledged. */
static void revoke__unknown_descriptor_acked(void **state)
{
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	server_revoke();
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(mock.revokes, 0);
	assert_int_equal(acks_sent(), 1);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* A region closed before process(): its queued revocation is never delivered. */
static void revoke__closed_region_not_delivered(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	char buf[8];

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	server_revoke();
	/*
	 * any call drains the CQ: the REVOKE is handled inside this one, before its RDMA, which is
	 * then not posted (its ACK is out already: found by fuzz_client)
	 */
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ESTALE);
	assert_int_equal(mock.rdma_wrs, 0);
	assert_int_equal(acks_sent(), 1);
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ESTALE);
	daxmr_region_close(&r);
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(mock.revokes, 0);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* ---- protocol violations and disconnects ---- */

/* A reply that answers nothing: the connection dies with -EPROTO. */
static void recv__unsolicited_reply_EPROTO(void **state)
{
	struct daxmr_proto_msg m = { 0 };
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	m.hdr.opcode = DAXMR_PROTO_OP_CLOSE;
	m.hdr.flags = DAXMR_PROTO_F_REPLY;
	m.hdr.request_id = 999;
	server_send(&m);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.disconnect_cbs, 1);
	assert_int_equal(mock.disconnect_reason, -EPROTO);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Garbage in a receive: the decoder's error, connection dead. */
static void recv__garbage_dies(void **state)
{
	struct daxmr_client *c = NULL;
	struct fake_recv *r;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	r = &mock.recv[mock.recv_head++ % MAX_RECV];
	memset(r->addr, 0x5a, 40);
	wc_push(r->wr_id, IBV_WC_SUCCESS, IBV_WC_RECV, 40);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.disconnect_reason, -EPROTO); /* bad magic */
	assert_non_null(strstr(mock.log, "bad message"));
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* A server request in the wrong direction (OPEN from the server). */
static void recv__wrong_direction_EPROTO(void **state)
{
	struct daxmr_proto_msg m = { 0 };
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	m.hdr.opcode = DAXMR_PROTO_OP_OPEN;
	m.open.access = DAXMR_PROTO_ACCESS_RO;
	snprintf(m.open.name, sizeof(m.open.name), "x");
	server_send(&m);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.disconnect_reason, -EPROTO);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* ERROR from the server: dead with the status's errno. */
static void recv__server_ERROR(void **state)
{
	struct daxmr_proto_msg m = { 0 };
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	m.hdr.opcode = DAXMR_PROTO_OP_ERROR;
	m.hdr.flags = DAXMR_PROTO_F_REPLY;
	m.hdr.status = DAXMR_PROTO_STATUS_INTERNAL;
	server_send(&m);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.disconnect_reason, -EIO);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* DISCONNECTED from rdma_cm: on_disconnect, requests -ENOTCONN. */
static void cm__disconnected(void **state)
{
	struct daxmr_export_info *infos = NULL;
	struct daxmr_client *c = NULL;
	size_t n;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	cm_push(RDMA_CM_EVENT_DISCONNECTED, 0, NULL, 0);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.disconnect_cbs, 1);
	assert_int_equal(mock.disconnect_reason, -ECONNRESET);
	assert_int_equal(daxmr_client_list(c, &infos, &n), -ENOTCONN);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* A request that gets no reply: -ETIMEDOUT, and the connection is dead after it. */
static void request__timeout_kills(void **state)
{
	struct daxmr_export_info *infos = NULL;
	struct daxmr_client *c = NULL;
	size_t n;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	mock.silent = true;
	assert_int_equal(daxmr_client_list(c, &infos, &n), -ETIMEDOUT);
	assert_int_equal(daxmr_client_list(c, &infos, &n), -ENOTCONN);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* ---- the liveness check ---- */

/* Heard from within idle_ms (the HELLO reply just now): nothing is sent. */
static void check__recently_heard_sends_nothing(void **state)
{
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_client_check(c, 60000, 200), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_LIST), 0);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Silent for idle_ms: an empty LIST page (start past any export) is asked and answered. */
static void check__idle_sends_empty_list(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_int_equal(daxmr_client_check(c, 0, 200), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_LIST), 1);
	assert_int_equal(mock.sent[mock.nsent - 1].hdr.opcode, DAXMR_PROTO_OP_LIST);
	assert_int_equal(mock.sent[mock.nsent - 1].list.start, UINT32_MAX);
	/* the reply counts as heard: a second check right after sends nothing */
	assert_int_equal(daxmr_client_check(c, 60000, 200), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_LIST), 1);
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(mock.revokes + mock.disconnect_cbs, 0);
	assert_false(daxmr_region_is_revoked(r));
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/*
 * A server that no longer answers: -ETIMEDOUT after timeout_ms; the connection is dead, the open
 * region revoked (CONNECTION_LOST) before on_disconnect, and its operations fail -ENOTCONN.
 */
static void check__silent_server_revokes_and_kills(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	char buf[16];

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	mock.silent = true;
	assert_int_equal(daxmr_client_check(c, 0, 50), -ETIMEDOUT);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.revokes, 1);
	assert_int_equal(mock.revoke_info.reason, DAXMR_REVOKE_CONNECTION_LOST);
	assert_int_equal(mock.revoke_info.export_id, EXPORT_ID);
	assert_int_equal(mock.revoke_info.generation, GEN);
	assert_string_equal(mock.revoke_name, "db");
	assert_int_equal(mock.disconnect_cbs, 1);
	assert_int_equal(mock.disconnect_reason, -ETIMEDOUT);
	assert_true(daxmr_region_is_revoked(r));
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ENOTCONN);
	assert_int_equal(daxmr_client_check(c, 0, 50), -ENOTCONN);
	assert_int_equal(acks_sent(), 0); /* nothing to acknowledge on a dead connection */
	assert_int_equal(daxmr_region_close(&r), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_CLOSE), 0);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* The check's send is never acknowledged (the peer's QP is gone): -ECONNRESET, dead. */
static void check__RETRY_EXC_ERR_ECONNRESET(void **state)
{
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	mock.send_status = IBV_WC_RETRY_EXC_ERR;
	assert_int_equal(daxmr_client_check(c, 0, 200), -ECONNRESET);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.disconnect_cbs, 1);
	assert_int_equal(mock.disconnect_reason, -ECONNRESET);
	assert_int_equal(mock.revokes, 0); /* no region was open */
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Bad arguments -EINVAL; from inside a callback -EBUSY (and nothing is sent). */
static bool busy_check_done;
static int busy_check_ret;
static void cb_revoke_checks(struct daxmr_region *region, const struct daxmr_revoke_info *info,
			     void *arg)
{
	(void)region;
	(void)info;
	busy_check_ret = daxmr_client_check(arg, 0, 50);
	busy_check_done = true;
}

static void check__EINVAL_and_EBUSY_in_callback(void **state)
{
	const struct daxmr_callbacks cb = { .on_revoke = cb_revoke_checks };
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;

	(void)state;
	assert_int_equal(daxmr_client_check(NULL, 0, 50), -EINVAL);
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_client_check(c, -1, 50), -EINVAL);
	assert_int_equal(daxmr_client_check(c, 0, 0), -EINVAL);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	daxmr_client_set_callbacks(c, &cb, c);
	busy_check_done = false;
	server_revoke();
	assert_int_equal(daxmr_client_process(c), 0);
	assert_true(busy_check_done);
	assert_int_equal(busy_check_ret, -EBUSY);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_LIST), 0);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Any death revokes the open regions first: a DISCONNECTED from the server does too. */
static void cm__disconnected_revokes_open_regions(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RO, &r), 0);
	cm_push(RDMA_CM_EVENT_DISCONNECTED, 0, NULL, 0);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.revokes, 1);
	assert_int_equal(mock.revoke_info.reason, DAXMR_REVOKE_CONNECTION_LOST);
	assert_int_equal(mock.disconnect_cbs, 1);
	assert_string_equal(daxmr_revoke_reason_str(DAXMR_REVOKE_CONNECTION_LOST),
			    "connection-lost");
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* ---- reconnect and re-issue (opts.reconnect) ---- */

/* Opens "db" rw on a client with opts.reconnect; its third RDMA work request will fail. */
static void reconnect_fixture(struct daxmr_client **c, struct daxmr_region **r, unsigned int n,
			      enum ibv_wc_status status)
{
	mock.reconnect = n;
	assert_int_equal(connect_client(c, true), 0);
	assert_int_equal(daxmr_region_open(*c, "db", DAXMR_RW, r), 0);
	mock.fail_wr = 3;
	mock.fail_wr_status = status;
}

/* The QP dies mid-write: reconnect, the same generation again, the range re-issued, all there. */
static void reconnect__reissues_same_generation(void **state)
{
	static uint8_t buf[1u << 20];
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	reconnect_fixture(&c, &r, 2, IBV_WC_RETRY_EXC_ERR);
	if (daxmr_region_write(r, 4096, buf, sizeof(buf)))
		fail_msg("%s", mock.log);
	assert_memory_equal(remote + 4096, buf, sizeof(buf));
	assert_int_equal(sent_count(DAXMR_PROTO_OP_HELLO), 2);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_OPEN), 2);
	assert_int_equal(daxmr_region_desc(r)->generation, GEN);
	assert_false(daxmr_region_is_revoked(r));
	assert_true(strstr(mock.log, "reconnecting (attempt 1 of 2)") != NULL);
	assert_true(strstr(mock.log, "re-issuing from offset") != NULL);
	/* nothing for the caller: the connection lives, the region is still open */
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(mock.revokes + mock.disconnect_cbs, 0);
	assert_int_equal(mock.live[L_QP], 1);
	assert_int_equal(daxmr_region_read(r, 4096, buf, 4096), 0);
	assert_int_equal(daxmr_region_close(&r), 0);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/*
 * Revoked while the connection was down: the server hands out the next generation, which is
 * closed again; the write fails -ESTALE and not a byte lands after the failed piece.
 */
static void reconnect__new_generation_ESTALE_nothing_written(void **state)
{
	static uint8_t buf[1u << 20];
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	unsigned int i, closes = 0;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	reconnect_fixture(&c, &r, 2, IBV_WC_REM_ACCESS_ERR);
	mock.reopen_gen = GEN + 1;
	assert_int_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), -ESTALE);
	/* the first two 64 KiB pieces landed before the failure, nothing after them */
	assert_memory_equal(remote, buf, 2 * DAXMR_DEFAULT_MAX_WR_BYTES);
	for (i = 2 * DAXMR_DEFAULT_MAX_WR_BYTES; i < sizeof(buf); i++)
		if (remote[i] != 0xab)
			fail_msg("byte %u written into the next generation", i);
	for (i = 0; i < mock.nsent; i++)
		if (mock.sent[i].hdr.opcode == DAXMR_PROTO_OP_CLOSE) {
			assert_int_equal(mock.sent[i].close.generation, GEN + 1);
			closes++;
		}
	assert_int_equal(closes, 1);
	assert_true(strstr(mock.log, "not re-issuing") != NULL);
	assert_int_equal(daxmr_client_process(c), 0); /* the new connection lives */
	assert_int_equal(mock.revokes, 1);
	assert_int_equal(mock.revoke_info.reason, DAXMR_REVOKE_CONNECTION_LOST);
	assert_int_equal(mock.revoke_info.generation, GEN);
	assert_int_equal(mock.disconnect_cbs, 0);
	assert_true(daxmr_region_is_revoked(r));
	assert_int_equal(daxmr_region_write(r, 0, buf, 16), -ESTALE);
	assert_int_equal(daxmr_region_close(&r), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_CLOSE), 1); /* none for the lost region */
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Every attempt fails: the write's error, then the loss reported once (revoke, disconnect). */
static void reconnect__attempts_exhausted(void **state)
{
	uint8_t buf[256 << 10];
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	reconnect_fixture(&c, &r, 3, IBV_WC_RETRY_EXC_ERR);
	mock.reconnect_connect_err = ECONNREFUSED;
	assert_int_not_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), 0);
	assert_int_equal(mock.connects, 4); /* connect, then 3 attempts */
	assert_true(strstr(mock.log, "attempt 3 of 3") != NULL);
	assert_int_equal(daxmr_client_process(c), -ENOTCONN);
	assert_int_equal(mock.revokes, 1);
	assert_int_equal(mock.revoke_info.reason, DAXMR_REVOKE_CONNECTION_LOST);
	assert_int_equal(mock.disconnect_cbs, 1);
	assert_int_equal(daxmr_region_write(r, 0, buf, 16), -ENOTCONN);
	assert_int_equal(daxmr_client_check(c, 0, 50), -ENOTCONN);
	assert_int_equal(daxmr_region_close(&r), 0);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Off by default; and never with registered memory (its keys die with the connection). */
static void reconnect__off_by_default_and_with_mem(void **state)
{
	uint8_t buf[256 << 10];
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	struct daxmr_mem *m = NULL;

	(void)state;
	reconnect_fixture(&c, &r, 0, IBV_WC_RETRY_EXC_ERR);
	assert_int_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), -ECONNRESET);
	assert_int_equal(mock.connects, 1);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();

	setup(NULL);
	reconnect_fixture(&c, &r, 2, IBV_WC_RETRY_EXC_ERR);
	assert_int_equal(daxmr_mem_reg(c, buf, 4096, &m), 0);
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ECONNRESET);
	assert_int_equal(mock.connects, 1);
	assert_int_equal(daxmr_mem_dereg(&m), 0);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* ---- the asynchronous zero-copy path ---- */

/* The held RDMA completions reach the CQ: the operations in flight finish now. */
static void release_held(void)
{
	unsigned int i;

	for (i = 0; i < mock.nheld; i++)
		wc_push(mock.held[i].wr_id, mock.held[i].status, mock.held[i].opcode, 0);
	mock.nheld = 0;
	mock.hold_rdma = false;
}

/* Connects with queue_depth and max_wr_bytes (0: defaults). */
static int connect_with(struct daxmr_client **c, unsigned int depth, uint32_t max_wr)
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	int ret;

	opts.timeout_ms = 200;
	opts.name = "unit-test";
	opts.queue_depth = depth;
	opts.max_wr_bytes = max_wr;
	ret = daxmr_client_connect(ADDR, &opts, c);
	if (!ret)
		daxmr_client_set_callbacks(*c, &cbs, &mock);
	return ret;
}

/* A connected client, an open rw region "db" and buf registered: what most async tests need. */
struct afix {
	struct daxmr_client *c;
	struct daxmr_region *r;
	struct daxmr_mem *mem;
};

/* Connects (connect_with's depth and max_wr), opens "db" rw, registers [buf, buf + len). */
static void afix_open(struct afix *f, unsigned int depth, uint32_t max_wr, void *buf, size_t len)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(connect_with(&f->c, depth, max_wr), 0);
	assert_int_equal(daxmr_region_open(f->c, "db", DAXMR_RW, &f->r), 0);
	assert_int_equal(daxmr_mem_reg(f->c, buf, len, &f->mem), 0);
}

/* Deregisters, closes, disconnects; nothing may leak. */
static void afix_close(struct afix *f)
{
	assert_int_equal(daxmr_mem_dereg(&f->mem), 0);
	assert_null(f->mem);
	daxmr_region_close(&f->r);
	daxmr_client_disconnect(&f->c);
	assert_no_leaks();
}

/* The fake server speaks version 3 (segments, keys, reasons, atomics). */
static void server_v3(void)
{
	accept_data(3, 4);
	mock.version = 3;
	mock.hello_version = 3;
}

/* Polls until want completions arrived (or the connection died); how many did. */
static int poll_n(struct daxmr_client *c, struct daxmr_completion *out, int want)
{
	int got = 0, n, spins = 0;

	while (got < want && spins++ < 1000) {
		n = daxmr_client_poll(c, out + got, want - got);
		if (n < 0)
			break;
		got += n;
	}
	return got;
}

/* WRITE then READ between registered memory and the export: the bytes, no copy, one doorbell
 * per operation, only its last work request signalled, the completion's fields. */
static void async__write_read_roundtrip(void **state)
{
	struct afix f;
	struct daxmr_completion done[2];
	size_t len = 200u << 10, i;
	uint8_t *buf = malloc(2 * len);
	int ctx_w, ctx_r;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	memset(buf + len, 0, len);
	afix_open(&f, 0, 0, buf, 2 * len);
	assert_ptr_equal(daxmr_mem_ptr(f.mem), buf);
	assert_int_equal(daxmr_mem_len(f.mem), 2 * len);
	assert_int_equal(daxmr_region_write_async(f.r, f.mem, 0, 4096, len, &ctx_w, 0), 0);
	assert_int_equal(mock.rdma_posts, 1);
	assert_int_equal(mock.rdma_wrs, 4); /* 64 + 64 + 64 + 8 KiB */
	assert_int_equal(mock.rdma_signaled, 1);
	assert_int_equal(daxmr_client_inflight(f.c), 1);
	assert_int_equal(poll_n(f.c, done, 1), 1);
	assert_ptr_equal(done[0].op_ctx, &ctx_w);
	assert_int_equal(done[0].status, 0);
	assert_int_equal(done[0].op, DAXMR_OP_WRITE);
	assert_int_equal(done[0].len, len);
	assert_memory_equal(remote + 4096, buf, len);
	assert_int_equal(remote[4095], 0xab);
	assert_int_equal(remote[4096 + len], 0xab);
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, len, 4096, len, &ctx_r, 0), 0);
	assert_int_equal(poll_n(f.c, done, 1), 1);
	assert_ptr_equal(done[0].op_ctx, &ctx_r);
	assert_int_equal(done[0].op, DAXMR_OP_READ);
	assert_memory_equal(buf + len, buf, len);
	assert_int_equal(daxmr_client_inflight(f.c), 0);
	assert_int_equal(daxmr_client_poll(f.c, done, 2), 0);
	afix_close(&f);
	assert_int_equal(daxmr_mem_dereg(&f.mem), 0); /* NULL-safe */
	free(buf);
	assert_no_leaks();
}

/* DAXMR_OP_F_MORE: ten writes, one ibv_post_send, one signalled work request, inline sends,
 * completions in posting order; DAXMR_OP_F_ON_ERROR: no completion on success. */
static void async__more_one_doorbell(void **state)
{
	struct afix f;
	struct daxmr_completion done[16];
	uint64_t vals[10];
	int ctx[10], i;

	(void)state;
	afix_open(&f, 0, 0, vals, sizeof(vals));
	for (i = 0; i < 10; i++) {
		vals[i] = 0x1000u + (unsigned int)i;
		assert_int_equal(daxmr_region_write_async(f.r, f.mem, 8u * (unsigned int)i,
							  8u * (unsigned int)i, 8, &ctx[i],
							  DAXMR_OP_F_MORE),
				 0);
	}
	assert_int_equal(mock.rdma_posts, 0);
	assert_int_equal(daxmr_client_submit(f.c), 0);
	assert_int_equal(mock.rdma_posts, 1);
	assert_int_equal(mock.rdma_wrs, 10);
	assert_int_equal(mock.rdma_signaled, 1);
	assert_int_equal(mock.rdma_inline, 10);
	assert_int_equal(poll_n(f.c, done, 10), 10);
	for (i = 0; i < 10; i++) {
		assert_ptr_equal(done[i].op_ctx, &ctx[i]);
		assert_int_equal(done[i].status, 0);
	}
	assert_memory_equal(remote, vals, sizeof(vals));
	/* ON_ERROR: only the last one says it is done */
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 0, 0, 8, &ctx[0], DAXMR_OP_F_ON_ERROR),
			 0);
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 8, 8, 8, &ctx[1], 0), 0);
	assert_int_equal(poll_n(f.c, done, 2), 1);
	assert_ptr_equal(done[0].op_ctx, &ctx[1]);
	/* a zero-length operation completes at once */
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 0, 0, 0, &ctx[2], 0), 0);
	assert_int_equal(daxmr_client_poll(f.c, done, 16), 1);
	assert_ptr_equal(done[0].op_ctx, &ctx[2]);
	afix_close(&f);
}

/* A full ring is -EAGAIN (never a hang) until completions are polled; an operation that
 * needs more work requests than the ring has is -EMSGSIZE; long ones split at max_wr_bytes. */
static void async__queue_full_EAGAIN(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	struct daxmr_mem *mem = NULL;
	struct daxmr_completion done[8];
	static uint8_t buf[64u << 10];
	int i;

	(void)state;
	mock.max_wr_seen_limit = 4096;
	assert_int_equal(connect_with(&c, 4, 4096), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_int_equal(daxmr_mem_reg(c, buf, sizeof(buf), &mem), 0);
	mock.hold_rdma = true;
	for (i = 0; i < 4; i++)
		assert_int_equal(daxmr_region_read_async(r, mem, 0, 0, 4096, NULL, 0), 0);
	assert_int_equal(daxmr_region_read_async(r, mem, 0, 0, 4096, NULL, 0), -EAGAIN);
	assert_int_equal(daxmr_region_read_async(r, mem, 0, 0, 5 * 4096, NULL, 0), -EMSGSIZE);
	assert_int_equal(daxmr_client_poll(c, done, 8), 0); /* nothing finished yet */
	release_held();
	assert_int_equal(poll_n(c, done, 4), 4);
	/* 16 KiB in 4 KiB pieces: the whole ring, one doorbell */
	assert_int_equal(daxmr_region_read_async(r, mem, 0, 0, 4 * 4096, NULL, 0), 0);
	assert_int_equal(mock.rdma_posts, 5);
	assert_int_equal(poll_n(c, done, 1), 1);
	assert_int_equal(done[0].len, 4 * 4096);
	assert_int_equal(daxmr_mem_dereg(&mem), 0);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* The held FLUSH requests are answered, in order (with mock.flush_status). */
static void release_flushes(void)
{
	unsigned int i, n = mock.nheld_flush;

	mock.hold_flush = false;
	mock.nheld_flush = 0;
	for (i = 0; i < n; i++)
		server_on_request(&mock.held_flush[i]);
}

/*
 * An asynchronous FLUSH: sent after the writes before it (those queued with DAXMR_OP_F_MORE
 * too), in flight until its reply, whose status is its completion's; later operations may
 * complete first; one credit always stays for the synchronous calls.
 */
static void async__flush_after_the_writes_completion_from_the_reply(void **state)
{
	struct afix f;
	struct daxmr_completion done[8];
	static uint8_t buf[8192];
	int ctx_w, ctx_f, ctx_r, ctx_g;
	unsigned int sent;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	afix_open(&f, 0, 0, buf, sizeof(buf));
	mock.hold_flush = true;
	assert_int_equal(daxmr_region_write_async(f.r, f.mem, 0, 0, 4096, &ctx_w, DAXMR_OP_F_MORE),
			 0);
	assert_int_equal(mock.rdma_posts, 0); /* queued */
	sent = mock.nsent;
	assert_int_equal(daxmr_region_flush_async(f.r, 0, 4096, &ctx_f, 0), 0);
	/* the queued write was posted first, then the FLUSH went out */
	assert_int_equal(mock.rdma_posts, 1);
	assert_int_equal(mock.nsent, sent + 1);
	assert_int_equal(mock.sent[sent].hdr.opcode, DAXMR_PROTO_OP_FLUSH);
	assert_int_equal(mock.sent[sent].flush.export_id, EXPORT_ID);
	assert_int_equal(mock.sent[sent].flush.generation, GEN);
	assert_int_equal(mock.sent[sent].flush.offset, 0);
	assert_int_equal(mock.sent[sent].flush.length, 4096);
	assert_int_equal(daxmr_client_inflight(f.c), 2);
	/* a read posted after it completes first: the FLUSH waits for its reply */
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 4096, 0, 8, &ctx_r, 0), 0);
	assert_int_equal(poll_n(f.c, done, 3), 2);
	assert_ptr_equal(done[0].op_ctx, &ctx_w);
	assert_ptr_equal(done[1].op_ctx, &ctx_r);
	assert_int_equal(daxmr_client_inflight(f.c), 1);
	/* credits 4: two more flushes fit, the fourth credit stays for synchronous calls */
	assert_int_equal(daxmr_region_flush_async(f.r, 0, 1, &ctx_g, 0), 0);
	assert_int_equal(daxmr_region_flush_async(f.r, 1, 1, &ctx_g, DAXMR_OP_F_ON_ERROR), 0);
	assert_int_equal(daxmr_region_flush_async(f.r, 2, 1, &ctx_g, 0), -EAGAIN);
	release_flushes();
	assert_int_equal(poll_n(f.c, done, 8), 2); /* the ON_ERROR one succeeded: silent */
	assert_ptr_equal(done[0].op_ctx, &ctx_f);
	assert_int_equal(done[0].op, DAXMR_OP_FLUSH);
	assert_int_equal(done[0].status, 0);
	assert_int_equal(done[0].len, 4096);
	assert_ptr_equal(done[1].op_ctx, &ctx_g);
	assert_int_equal(done[1].len, 1);
	assert_int_equal(daxmr_client_inflight(f.c), 0);
	/* a refused FLUSH: its status in the completion */
	mock.flush_status = DAXMR_PROTO_STATUS_STALE_GENERATION;
	assert_int_equal(daxmr_region_flush_async(f.r, 0, 1, &ctx_f, DAXMR_OP_F_ON_ERROR), 0);
	assert_int_equal(poll_n(f.c, done, 1), 1);
	assert_ptr_equal(done[0].op_ctx, &ctx_f);
	assert_int_equal(done[0].status, -ESTALE);
	/* the synchronous FLUSH still works alongside */
	mock.flush_status = DAXMR_PROTO_STATUS_OK;
	assert_int_equal(daxmr_region_flush(f.r, 0, 1), 0);
	afix_close(&f);
}

/* Bad calls refused before anything is sent; a connection that dies fails a FLUSH in flight. */
static void async__flush_bad_calls_and_death(void **state)
{
	struct afix f;
	struct daxmr_completion done[2];
	static uint8_t buf[4096];
	unsigned int sent;
	int ctx;

	(void)state;
	afix_open(&f, 0, 0, buf, sizeof(buf));
	sent = mock.nsent;
	assert_int_equal(daxmr_region_flush_async(NULL, 0, 1, NULL, 0), -EINVAL);
	assert_int_equal(daxmr_region_flush_async(f.r, 0, 1, NULL, DAXMR_OP_F_MORE), -EINVAL);
	assert_int_equal(daxmr_region_flush_async(f.r, 0, 1, NULL, 1u << 7), -EINVAL);
	assert_int_equal(daxmr_region_flush_async(f.r, EXPORT_LEN - 1, 2, NULL, 0), -ERANGE);
	assert_int_equal(daxmr_region_flush_async(f.r, UINT64_MAX, 2, NULL, 0), -ERANGE);
	assert_int_equal(mock.nsent, sent);
	mock.hold_flush = true;
	assert_int_equal(daxmr_region_flush_async(f.r, 0, 1, &ctx, 0), 0);
	cm_push(RDMA_CM_EVENT_DISCONNECTED, 0, NULL, 0);
	assert_int_equal(daxmr_client_process(f.c), -ENOTCONN);
	assert_int_equal(poll_n(f.c, done, 2), 1);
	assert_ptr_equal(done[0].op_ctx, &ctx);
	assert_int_equal(done[0].status, -ENOTCONN);
	assert_int_equal(daxmr_client_poll(f.c, done, 2), -ENOTCONN);
	assert_int_equal(daxmr_region_flush_async(f.r, 0, 1, &ctx, 0), -ENOTCONN);
	mock.hold_flush = false;
	mock.nheld_flush = 0;
	afix_close(&f);
}

/* Bad calls: each its documented errno, nothing posted. */
static void async__bad_calls(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL, *ro = NULL;
	struct daxmr_mem *mem = NULL;
	struct daxmr_completion done[1];
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_int_equal(daxmr_mem_reg(NULL, buf, sizeof(buf), &mem), -EINVAL);
	assert_int_equal(daxmr_mem_reg(c, NULL, sizeof(buf), &mem), -EINVAL);
	assert_int_equal(daxmr_mem_reg(c, buf, 0, &mem), -EINVAL);
	assert_int_equal(daxmr_mem_reg(c, buf, sizeof(buf), &mem), 0);
	/* memory not registered, a local range outside it (also one that wraps) */
	assert_int_equal(daxmr_region_read_async(r, NULL, 0, 0, 8, NULL, 0), -EINVAL);
	assert_int_equal(daxmr_region_read_async(r, mem, 4090, 0, 8, NULL, 0), -EINVAL);
	assert_int_equal(daxmr_region_read_async(r, mem, SIZE_MAX, 0, 2, NULL, 0), -EINVAL);
	assert_int_equal(daxmr_region_read_async(NULL, mem, 0, 0, 8, NULL, 0), -EINVAL);
	/* unknown flags */
	assert_int_equal(daxmr_region_read_async(r, mem, 0, 0, 8, NULL, 1u << 7), -EINVAL);
	/* a remote range past the export (and one that wraps) */
	assert_int_equal(daxmr_region_read_async(r, mem, 0, EXPORT_LEN - 4, 8, NULL, 0), -ERANGE);
	assert_int_equal(daxmr_region_write_async(r, mem, 0, UINT64_MAX, 2, NULL, 0), -ERANGE);
	/* a read-only region takes no WRITE */
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RO, &ro), 0);
	assert_int_equal(daxmr_region_write_async(ro, mem, 0, 0, 8, NULL, 0), -EACCES);
	assert_int_equal(daxmr_region_read_async(ro, mem, 0, 0, 8, NULL, 0), 0);
	assert_int_equal(poll_n(c, done, 1), 1);
	assert_int_equal(mock.rdma_wrs, 1);
	assert_int_equal(daxmr_client_poll(c, NULL, 1), -EINVAL);
	assert_int_equal(daxmr_client_poll(c, done, 0), -EINVAL);
	assert_int_equal(daxmr_mem_dereg(&mem), 0);
	daxmr_region_close(&ro);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Deregistering memory with operations in flight: -EBUSY, nothing changes; then it works. A
 * failed registration leaks nothing; memory never deregistered goes at disconnect. */
static void mem__dereg_busy_EBUSY(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	struct daxmr_mem *mem = NULL, *kept = NULL, *failed = NULL;
	struct daxmr_completion done[1];
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_int_equal(daxmr_mem_reg(c, buf, sizeof(buf), &mem), 0);
	mock.hold_rdma = true;
	assert_int_equal(daxmr_region_read_async(r, mem, 0, 0, 64, NULL, 0), 0);
	assert_int_equal(daxmr_mem_dereg(&mem), -EBUSY);
	assert_non_null(mem);
	release_held();
	assert_int_equal(poll_n(c, done, 1), 1);
	assert_int_equal(daxmr_mem_dereg(&mem), 0);
	mock.mr_err = ENOMEM;
	assert_int_equal(daxmr_mem_reg(c, buf, sizeof(buf), &failed), -ENOMEM);
	assert_null(failed);
	mock.mr_err = 0;
	assert_int_equal(daxmr_mem_reg(c, buf, sizeof(buf), &kept), 0);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c); /* deregisters kept */
	assert_no_leaks();
}

/*
 * REVOKE with 200 operations in flight: the region refuses new ones at once (-ESTALE), the
 * ACK waits until every one of them completed, then goes out once with the REVOKE's id.
 */
static void async__revoke_acks_after_all_ops(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	struct daxmr_mem *mem = NULL;
	static struct daxmr_completion done[200];
	static uint8_t buf[200 * 64];
	int i;

	(void)state;
	assert_int_equal(connect_with(&c, 256, 0), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_int_equal(daxmr_mem_reg(c, buf, sizeof(buf), &mem), 0);
	mock.hold_rdma = true;
	for (i = 0; i < 200; i++)
		assert_int_equal(daxmr_region_write_async(r, mem, 64u * (unsigned int)i,
							  4096u * (unsigned int)i, 64, NULL, 0),
				 0);
	server_revoke();
	assert_int_equal(daxmr_client_poll(c, done, 200), 0);
	assert_true(daxmr_region_is_revoked(r));
	assert_int_equal(daxmr_region_read_async(r, mem, 0, 0, 8, NULL, 0), -ESTALE);
	assert_int_equal(acks_sent(), 0); /* 200 operations may still touch the export */
	assert_int_equal(daxmr_client_inflight(c), 200);
	/* half of them complete: still no ACK */
	mock.nheld = 100;
	release_held();
	assert_int_equal(poll_n(c, done, 100), 100);
	assert_int_equal(acks_sent(), 0);
	mock.nheld = 100;
	memmove(mock.held, mock.held + 100, 100 * sizeof(mock.held[0]));
	release_held();
	assert_int_equal(poll_n(c, done, 200), 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(done[i].status, 0);
	assert_int_equal(acks_sent(), 1);
	assert_int_equal(mock.sent[mock.nsent - 1].hdr.request_id, 1001);
	assert_int_equal(daxmr_client_process(c), 0);
	assert_int_equal(mock.revokes, 1);
	assert_int_equal(daxmr_mem_dereg(&mem), 0);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* An unsignalled work request fails: the ones before it succeeded, it has the error, the rest
 * flush (-ENOTCONN); the QP is put in error first and the connection is dead. */
static void async__unsignalled_failure(void **state)
{
	struct afix f;
	struct daxmr_completion done[8];
	uint8_t buf[64];
	int i;

	(void)state;
	afix_open(&f, 0, 0, buf, sizeof(buf));
	mock.fail_wr = 3;
	mock.fail_wr_status = IBV_WC_REM_ACCESS_ERR;
	for (i = 0; i < 5; i++)
		assert_int_equal(daxmr_region_read_async(f.r, f.mem, 0, 0, 8,
							 (void *)(uintptr_t)(i + 1),
							 DAXMR_OP_F_MORE),
				 0);
	assert_int_equal(daxmr_client_submit(f.c), 0);
	assert_int_equal(mock.rdma_signaled, 1);
	assert_int_equal(poll_n(f.c, done, 5), 5);
	for (i = 0; i < 5; i++)
		assert_ptr_equal(done[i].op_ctx, (void *)(uintptr_t)(i + 1));
	assert_int_equal(done[0].status, 0);
	assert_int_equal(done[1].status, 0);
	assert_int_equal(done[2].status, -EACCES);
	assert_int_equal(done[3].status, -ENOTCONN);
	assert_int_equal(done[4].status, -ENOTCONN);
	assert_int_equal(mock.modify_qps, 1);
	assert_non_null(strstr(mock.log, ibv_wc_status_str(IBV_WC_REM_ACCESS_ERR)));
	assert_int_equal(daxmr_client_poll(f.c, done, 8), -ENOTCONN);
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 0, 0, 8, NULL, 0), -ENOTCONN);
	assert_int_equal(daxmr_client_submit(f.c), -ENOTCONN);
	/* on_disconnect waits for process: news for wait; once delivered, nothing more */
	assert_int_equal(daxmr_client_wait(f.c, 10), 0);
	assert_int_equal(daxmr_client_process(f.c), -ENOTCONN);
	assert_int_equal(mock.disconnect_reason, -EACCES);
	assert_int_equal(daxmr_client_wait(f.c, 10), -ENOTCONN);
	assert_int_equal(daxmr_mem_reg(f.c, buf, sizeof(buf), &f.mem), -ENOTCONN);
	afix_close(&f);
}

/* ibv_post_send fails: the call still accepted the operation, which completes -ENOTCONN. */
static void async__post_send_fails(void **state)
{
	struct afix f;
	struct daxmr_completion done[2];
	uint8_t buf[64];

	(void)state;
	afix_open(&f, 0, 0, buf, sizeof(buf));
	mock.post_send_err = ENOMEM;
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 0, 0, 8, &done, 0), 0);
	assert_non_null(strstr(mock.log, "ibv_post_send"));
	assert_int_equal(daxmr_client_poll(f.c, done, 2), 1);
	assert_int_equal(done[0].status, -ENOTCONN);
	assert_int_equal(daxmr_client_poll(f.c, done, 2), -ENOTCONN);
	afix_close(&f);
}

/* daxmr_client_wait: times out with nothing to report, returns once a completion is there. */
static void async__wait(void **state)
{
	struct afix f;
	struct daxmr_completion done[1];
	uint8_t buf[64];

	(void)state;
	afix_open(&f, 0, 0, buf, sizeof(buf));
	assert_int_equal(daxmr_client_wait(f.c, 10), -ETIMEDOUT);
	mock.hold_rdma = true;
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 0, 0, 8, NULL, 0), 0);
	assert_int_equal(daxmr_client_wait(f.c, 10), -ETIMEDOUT);
	release_held();
	assert_int_equal(daxmr_client_wait(f.c, 100), 0);
	assert_int_equal(daxmr_client_poll(f.c, done, 1), 1);
	afix_close(&f);
}

/* Closing a region with operations in flight waits for them: their completions stay reported. */
static void async__close_drains_region(void **state)
{
	struct afix f;
	struct daxmr_completion done[4];
	uint8_t buf[64];

	(void)state;
	afix_open(&f, 0, 0, buf, sizeof(buf));
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 0, 0, 8, &done, 0), 0);
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 8, 8, 8, &done, 0), 0);
	assert_int_equal(daxmr_region_close(&f.r), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_CLOSE), 1);
	assert_int_equal(daxmr_client_poll(f.c, done, 4), 2);
	assert_int_equal(daxmr_mem_dereg(&f.mem), 0);
	daxmr_client_disconnect(&f.c);
	assert_no_leaks();
}

/* CAS and FAA, synchronous and asynchronous, on an export whose descriptor allows them. */
static void atomics__cas_faa(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	struct daxmr_mem *mem = NULL;
	struct daxmr_completion done[1];
	uint64_t v = 5, old = 0, res[2];

	(void)state;
	server_v3();
	mock.seg_shift = 30;
	mock.desc_flags = DAXMR_PROTO_DESC_F_ATOMIC;
	memcpy(remote + 64, &v, 8);
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_client_protocol_version(c), 3);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_true(daxmr_region_desc(r)->atomic);
	assert_int_equal(daxmr_region_cas(r, 64, 5, 9, &old), 0);
	assert_int_equal(old, 5);
	assert_int_equal(daxmr_region_cas(r, 64, 5, 11, &old), 0); /* compare fails: unchanged */
	assert_int_equal(old, 9);
	assert_int_equal(daxmr_region_faa(r, 64, 3, &old), 0);
	assert_int_equal(old, 9);
	memcpy(&v, remote + 64, 8);
	assert_int_equal(v, 12);
	assert_int_equal(daxmr_mem_reg(c, res, sizeof(res), &mem), 0);
	assert_int_equal(daxmr_region_faa_async(r, mem, 8, 64, 1, &done, 0), 0);
	assert_int_equal(poll_n(c, done, 1), 1);
	assert_int_equal(done[0].op, DAXMR_OP_FAA);
	assert_int_equal(done[0].len, 8);
	assert_int_equal(res[1], 12);
	assert_int_equal(daxmr_region_cas_async(r, mem, 0, 64, 13, 1, &done, 0), 0);
	assert_int_equal(poll_n(c, done, 1), 1);
	assert_int_equal(done[0].op, DAXMR_OP_CAS);
	assert_int_equal(res[0], 13);
	assert_int_equal(mock.rdma_atomics, 5);
	assert_int_equal(daxmr_mem_dereg(&mem), 0);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Atomics' errors: unaligned -EINVAL, no ATOMIC flag or no device support -EOPNOTSUPP, a
 * read-only region -EACCES, past the end -ERANGE. */
static void atomics__errors(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL, *ro = NULL;
	struct daxmr_mem *mem = NULL;
	uint64_t res[2];

	(void)state;
	server_v3();
	mock.seg_shift = 30;
	mock.desc_flags = DAXMR_PROTO_DESC_F_ATOMIC;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RO, &ro), 0);
	assert_int_equal(daxmr_mem_reg(c, res, sizeof(res), &mem), 0);
	assert_int_equal(daxmr_region_cas(r, 4, 0, 1, NULL), -EINVAL);
	assert_int_equal(daxmr_region_faa_async(r, mem, 4, 0, 1, NULL, 0), -EINVAL);
	assert_int_equal(daxmr_region_faa_async(r, mem, 0, 12, 1, NULL, 0), -EINVAL);
	assert_int_equal(daxmr_region_faa(ro, 0, 1, NULL), -EACCES);
	assert_int_equal(daxmr_region_cas_async(ro, mem, 0, 0, 0, 1, NULL, 0), -EACCES);
	assert_int_equal(daxmr_region_faa(r, EXPORT_LEN, 1, NULL), -ERANGE);
	assert_int_equal(daxmr_region_faa(NULL, 0, 1, NULL), -EINVAL);
	assert_int_equal(mock.rdma_atomics, 0);
	assert_int_equal(daxmr_mem_dereg(&mem), 0);
	daxmr_region_close(&ro);
	daxmr_region_close(&r);
	/* a descriptor without ATOMIC */
	mock.desc_flags = 0;
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_int_equal(daxmr_region_faa(r, 0, 1, NULL), -EOPNOTSUPP);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	/* a device without atomics, the descriptor saying yes */
	mock.desc_flags = DAXMR_PROTO_DESC_F_ATOMIC;
	mock.atomic_cap = IBV_ATOMIC_NONE;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_int_equal(daxmr_region_cas(r, 0, 0, 1, NULL), -EOPNOTSUPP);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* Version 3 segments: the keys past the OPEN reply come with KEYS, an operation across a
 * segment boundary is split there and each piece carries its segment's key. */
static void segments__split_and_keys(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	struct daxmr_mem *mem = NULL;
	struct daxmr_completion done[1];
	static uint8_t buf[3u << 20];
	size_t i;

	(void)state;
	server_v3();
	mock.seg_shift = 12; /* 768 segments of 4 KiB */
	mock.desc_nkeys = 10;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), 0);
	assert_int_equal(sent_count(DAXMR_PROTO_OP_KEYS), 1);
	assert_int_equal(mock.sent[mock.nsent - 1].keys.first, 10);
	assert_int_equal(daxmr_region_desc(r)->nseg, 768);
	assert_int_equal(daxmr_region_desc(r)->seg_shift, 12);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i >> 12);
	assert_int_equal(daxmr_mem_reg(c, buf, sizeof(buf), &mem), 0);
	/* 100 bytes across the boundary of segments 0 and 1: two pieces, two keys (the fake
	 * asserts each piece's key and that it stays in one segment) */
	assert_int_equal(daxmr_region_write_async(r, mem, 0, 4046, 100, NULL, 0), 0);
	assert_int_equal(mock.rdma_wrs, 2);
	assert_int_equal(poll_n(c, done, 1), 1);
	/* the copying path too: 3 MiB is 768 pieces, in chunks the ring can take */
	assert_int_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), 0);
	assert_memory_equal(remote, buf, sizeof(buf));
	assert_int_equal(mock.rdma_wrs, 2 + 768);
	assert_int_equal(daxmr_mem_dereg(&mem), 0);
	daxmr_region_close(&r);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/*
 * An export of 768 segments whose OPEN reply carries 10 keys, the KEYS reply naming a first
 * segment skew off what was asked and with status: the open must fail with want and leave
 * nothing behind; how many CLOSEs it took.
 */
static unsigned int keys_open_fails(uint32_t skew, enum daxmr_proto_status status, int want)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;
	unsigned int closes;

	server_v3();
	mock.seg_shift = 12;
	mock.desc_nkeys = 10;
	mock.keys_first_skew = skew;
	mock.keys_status = status;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), want);
	assert_null(r);
	assert_non_null(strstr(mock.log, "KEYS"));
	closes = sent_count(DAXMR_PROTO_OP_CLOSE);
	daxmr_client_disconnect(&c);
	assert_no_leaks();
	return closes;
}

/* A KEYS reply for other segments than asked: a protocol violation, the open fails. */
static void segments__keys_wrong_first_EPROTO(void **state)
{
	(void)state;
	assert_int_equal(keys_open_fails(1, DAXMR_PROTO_STATUS_OK, -EPROTO),
			 0); /* dead: no CLOSE */
}

/* A refused KEYS: the open fails with its errno and the descriptor is closed again. */
static void segments__keys_refused_closes(void **state)
{
	(void)state;
	assert_int_equal(keys_open_fails(0, DAXMR_PROTO_STATUS_STALE_GENERATION, -ESTALE), 1);
	assert_int_equal(recvs_posted(), DAXMR_CREDIT_SLACK + 1);
}

/* Version 3 refusals carry a reason: shown in the log and by daxmr_client_last_reason;
 * UNAVAILABLE is -ENODEV, distinct from REVOKING's -EAGAIN. */
static void reasons__unavailable_ENODEV(void **state)
{
	struct daxmr_client *c = NULL;
	struct daxmr_region *r = NULL;

	(void)state;
	server_v3();
	mock.open_status = DAXMR_PROTO_STATUS_UNAVAILABLE;
	mock.reason = "hole at offset 4096";
	assert_int_equal(connect_client(&c, true), 0);
	assert_string_equal(daxmr_client_last_reason(c), "");
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), -ENODEV);
	assert_string_equal(daxmr_client_last_reason(c), "hole at offset 4096");
	assert_non_null(strstr(mock.log, "hole at offset 4096"));
	mock.open_status = DAXMR_PROTO_STATUS_REVOKING;
	mock.reason = "being revoked";
	assert_int_equal(daxmr_region_open(c, "db", DAXMR_RW, &r), -EAGAIN);
	assert_string_equal(daxmr_client_last_reason(c), "being revoked");
	daxmr_client_disconnect(&c);
	assert_no_leaks();
}

/* The connection asks for the chosen ACK timeout; a kernel without the option still connects;
 * bad options are -EINVAL. */
static void connect__ack_timeout_and_opts(void **state)
{
	struct daxmr_client *c = NULL;

	(void)state;
	assert_int_equal(connect_client(&c, true), 0);
	assert_int_equal(mock.ack_timeout, 14);
	daxmr_client_disconnect(&c);
	mock.set_option_err = ENOSYS;
	assert_int_equal(connect_client(&c, true), 0);
	assert_non_null(strstr(mock.log, "RDMA_OPTION_ID_ACK_TIMEOUT"));
	daxmr_client_disconnect(&c);
	assert_int_equal(connect_with(&c, 5000, 0), -EINVAL);
	assert_int_equal(connect_with(&c, 0, 100), -EINVAL);
	assert_null(c);
	assert_no_leaks();
}

/* The version call agrees with the header's macros. */
static void version__matches_header(void **state)
{
	int major = -1, minor = -1, patch = -1;

	(void)state;
	assert_string_equal(daxmr_version(&major, &minor, &patch), DAXMR_VERSION_STRING);
	assert_int_equal(major, DAXMR_VERSION_MAJOR);
	assert_int_equal(minor, DAXMR_VERSION_MINOR);
	assert_int_equal(patch, DAXMR_VERSION_PATCH);
	assert_string_equal(daxmr_version(NULL, NULL, NULL), DAXMR_VERSION_STRING);
	assert_int_equal(DAXMR_VERSION_NUMBER, (DAXMR_VERSION_MAJOR << 16) |
						       (DAXMR_VERSION_MINOR << 8) |
						       DAXMR_VERSION_PATCH);
}

/*
 * Writes queued with DAXMR_OP_F_MORE and a REVOKE taken before the doorbell (found by
 * fuzz_client): they fail with -ESTALE, nothing is posted on the revoked region, and the ACK
 * goes at once (nothing of the region is in flight).
 */
static void async__more_queued_then_revoked_not_posted(void **state)
{
	struct afix f;
	struct daxmr_completion done[4];
	uint64_t vals[2] = { 1, 2 };
	int ctx[2];

	(void)state;
	afix_open(&f, 0, 0, vals, sizeof(vals));
	assert_int_equal(daxmr_region_write_async(f.r, f.mem, 0, 0, 8, &ctx[0], DAXMR_OP_F_MORE),
			 0);
	assert_int_equal(daxmr_region_write_async(f.r, f.mem, 8, 8, 8, &ctx[1],
						  DAXMR_OP_F_MORE | DAXMR_OP_F_ON_ERROR),
			 0);
	server_revoke();
	assert_int_equal(daxmr_client_process(f.c), 0);
	assert_int_equal(mock.revokes, 1);
	assert_int_equal(acks_sent(), 1);
	assert_int_equal(daxmr_client_submit(f.c), 0);
	assert_int_equal(mock.rdma_wrs, 0);
	assert_int_equal(poll_n(f.c, done, 2), 2);
	assert_ptr_equal(done[0].op_ctx, &ctx[0]);
	assert_ptr_equal(done[1].op_ctx, &ctx[1]);
	assert_int_equal(done[0].status, -ESTALE);
	assert_int_equal(done[1].status, -ESTALE);
	assert_int_equal(daxmr_client_inflight(f.c), 0);
	afix_close(&f);
}

/*
 * Two regions of one descriptor (the same export opened twice), each with a read in flight,
 * and a REVOKE (found by fuzz_client): the ACK names the descriptor, so it goes only when the
 * last of the two regions drained, once.
 */
static void revoke_two_regions(bool available)
{
	struct afix f;
	struct daxmr_region *r2 = NULL;
	struct daxmr_completion done[4];
	static uint8_t buf[4096];
	int ctx[2];

	afix_open(&f, 0, 0, buf, sizeof(buf));
	assert_int_equal(daxmr_region_open(f.c, "db", DAXMR_RW, &r2), 0);
	mock.hold_rdma = true;
	assert_int_equal(daxmr_region_read_async(f.r, f.mem, 0, 0, 64, &ctx[0], 0), 0);
	assert_int_equal(daxmr_region_read_async(r2, f.mem, 64, 64, 64, &ctx[1], 0), 0);
	assert_int_equal(mock.nheld, 2);
	server_revoke();
	if (available)
		server_available(); /* both regions RELEASED, their reads still running */
	assert_int_equal(daxmr_client_process(f.c), 0);
	assert_int_equal(acks_sent(), 0);
	/* the first region's read completes: the other one still reads */
	wc_push(mock.held[0].wr_id, mock.held[0].status, mock.held[0].opcode, 0);
	assert_int_equal(poll_n(f.c, done, 1), 1);
	assert_ptr_equal(done[0].op_ctx, &ctx[0]);
	assert_int_equal(acks_sent(), 0);
	wc_push(mock.held[1].wr_id, mock.held[1].status, mock.held[1].opcode, 0);
	mock.nheld = 0;
	mock.hold_rdma = false;
	assert_int_equal(poll_n(f.c, done, 1), 1);
	assert_ptr_equal(done[0].op_ctx, &ctx[1]);
	assert_int_equal(daxmr_client_poll(f.c, done, 4), 0);
	assert_int_equal(acks_sent(), 1);
	daxmr_region_close(&r2);
	afix_close(&f);
}

static void async__revoke_two_regions_ack_after_both(void **state)
{
	(void)state;
	revoke_two_regions(false);
}

/* The same with an AVAILABLE before either read ends (found by fuzz_client, again). */
static void async__revoke_available_two_regions_ack_after_both(void **state)
{
	(void)state;
	revoke_two_regions(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(connect__ok, setup),
		cmocka_unit_test_setup(connect__bad_addr_EINVAL, setup),
		cmocka_unit_test_setup(connect__bad_name_EINVAL, setup),
		cmocka_unit_test_setup(connect__getaddrinfo_errors, setup),
		cmocka_unit_test_setup(connect__getaddrinfo_EAI_SYSTEM_errno, setup),
		cmocka_unit_test_setup(disconnect__rdma_destroy_id_EBUSY, setup),
		cmocka_unit_test_setup(connect__rdma_create_event_channel_ENODEV, setup),
		cmocka_unit_test_setup(connect__rdma_create_id_ENOMEM, setup),
		cmocka_unit_test_setup(connect__rdma_resolve_addr_EADDRNOTAVAIL, setup),
		cmocka_unit_test_setup(connect__ADDR_ERROR, setup),
		cmocka_unit_test_setup(connect__addr_timeout_ETIMEDOUT, setup),
		cmocka_unit_test_setup(connect__rdma_resolve_route_EINVAL, setup),
		cmocka_unit_test_setup(connect__ROUTE_ERROR, setup),
		cmocka_unit_test_setup(connect__ibv_alloc_pd_ENOMEM, setup),
		cmocka_unit_test_setup(connect__ibv_create_comp_channel_EMFILE, setup),
		cmocka_unit_test_setup(connect__ibv_create_cq_ENOMEM, setup),
		cmocka_unit_test_setup(connect__rdma_create_qp_EINVAL, setup),
		cmocka_unit_test_setup(connect__ibv_reg_mr_ENOMEM, setup),
		cmocka_unit_test_setup(connect__ibv_post_recv_ENOMEM, setup),
		cmocka_unit_test_setup(connect__ibv_query_device_EIO, setup),
		cmocka_unit_test_setup(connect__rdma_connect_ECONNREFUSED, setup),
		cmocka_unit_test_setup(connect__rejected_with_data, setup),
		cmocka_unit_test_setup(connect__rejected_without_data, setup),
		cmocka_unit_test_setup(connect__UNREACHABLE, setup),
		cmocka_unit_test_setup(connect__CONNECT_ERROR_and_unexpected_event, setup),
		cmocka_unit_test_setup(connect__accept_bad_version, setup),
		cmocka_unit_test_setup(connect__accept_no_credits_EPROTO, setup),
		cmocka_unit_test_setup(connect__accept_short_EPROTO, setup),
		cmocka_unit_test_setup(connect__hello_refused, setup),
		cmocka_unit_test_setup(connect__hello_timeout, setup),
		cmocka_unit_test_setup(connect__ibv_req_notify_cq_EIO, setup),
		cmocka_unit_test_setup_teardown(connect__auth_ok_proofs_verify, setup,
						teardown_secret),
		cmocka_unit_test_setup_teardown(connect__secret_file_0644_EPERM, setup,
						teardown_secret),
		cmocka_unit_test_setup_teardown(connect__auth_wrong_server_proof_EACCES, setup,
						teardown_secret),
		cmocka_unit_test_setup_teardown(connect__auth_ACCESS_DENIED_EACCES, setup,
						teardown_secret),
		cmocka_unit_test_setup_teardown(connect__auth_asked_no_secret_EACCES, setup,
						teardown_secret),
		cmocka_unit_test_setup_teardown(connect__secret_but_no_auth_asked_EACCES, setup,
						teardown_secret),
		cmocka_unit_test_setup_teardown(connect__rejected_ACCESS_DENIED_EACCES, setup,
						teardown_secret),
		cmocka_unit_test_setup(list__pages, setup),
		cmocka_unit_test_setup(open__receive_accounting, setup),
		cmocka_unit_test_setup(open__statuses, setup),
		cmocka_unit_test_setup(transfer__ok, setup),
		cmocka_unit_test_setup(transfer__REM_ACCESS_ERR, setup),
		cmocka_unit_test_setup(transfer__RETRY_EXC_ERR, setup),
		cmocka_unit_test_setup(revoke__ack_then_available, setup),
		cmocka_unit_test_setup(revoke__ack_revoke_off, setup),
		cmocka_unit_test_setup(revoke__during_transfer_ack_deferred, setup),
		cmocka_unit_test_setup(revoke__repeated_during_transfer_ack_deferred, setup),
		cmocka_unit_test_setup(revoke__stops_chunked_transfer, setup),
		cmocka_unit_test_setup(revoke__unknown_descriptor_acked, setup),
		cmocka_unit_test_setup(revoke__closed_region_not_delivered, setup),
		cmocka_unit_test_setup(recv__unsolicited_reply_EPROTO, setup),
		cmocka_unit_test_setup(recv__garbage_dies, setup),
		cmocka_unit_test_setup(recv__wrong_direction_EPROTO, setup),
		cmocka_unit_test_setup(recv__server_ERROR, setup),
		cmocka_unit_test_setup(cm__disconnected, setup),
		cmocka_unit_test_setup(request__timeout_kills, setup),
		cmocka_unit_test_setup(check__recently_heard_sends_nothing, setup),
		cmocka_unit_test_setup(check__idle_sends_empty_list, setup),
		cmocka_unit_test_setup(check__silent_server_revokes_and_kills, setup),
		cmocka_unit_test_setup(check__RETRY_EXC_ERR_ECONNRESET, setup),
		cmocka_unit_test_setup(check__EINVAL_and_EBUSY_in_callback, setup),
		cmocka_unit_test_setup(cm__disconnected_revokes_open_regions, setup),
		cmocka_unit_test_setup(reconnect__reissues_same_generation, setup),
		cmocka_unit_test_setup(reconnect__new_generation_ESTALE_nothing_written, setup),
		cmocka_unit_test_setup(reconnect__attempts_exhausted, setup),
		cmocka_unit_test_setup(reconnect__off_by_default_and_with_mem, setup),
		cmocka_unit_test_setup(async__write_read_roundtrip, setup),
		cmocka_unit_test_setup(async__flush_after_the_writes_completion_from_the_reply,
				       setup),
		cmocka_unit_test_setup(async__flush_bad_calls_and_death, setup),
		cmocka_unit_test_setup(async__more_one_doorbell, setup),
		cmocka_unit_test_setup(async__more_queued_then_revoked_not_posted, setup),
		cmocka_unit_test_setup(async__revoke_two_regions_ack_after_both, setup),
		cmocka_unit_test_setup(async__revoke_available_two_regions_ack_after_both, setup),
		cmocka_unit_test_setup(async__queue_full_EAGAIN, setup),
		cmocka_unit_test_setup(async__bad_calls, setup),
		cmocka_unit_test_setup(mem__dereg_busy_EBUSY, setup),
		cmocka_unit_test_setup(async__revoke_acks_after_all_ops, setup),
		cmocka_unit_test_setup(async__unsignalled_failure, setup),
		cmocka_unit_test_setup(async__post_send_fails, setup),
		cmocka_unit_test_setup(async__wait, setup),
		cmocka_unit_test_setup(async__close_drains_region, setup),
		cmocka_unit_test_setup(atomics__cas_faa, setup),
		cmocka_unit_test_setup(atomics__errors, setup),
		cmocka_unit_test_setup(segments__split_and_keys, setup),
		cmocka_unit_test_setup(segments__keys_wrong_first_EPROTO, setup),
		cmocka_unit_test_setup(segments__keys_refused_closes, setup),
		cmocka_unit_test_setup(reasons__unavailable_ENODEV, setup),
		cmocka_unit_test_setup(connect__ack_timeout_and_opts, setup),
		cmocka_unit_test_setup(version__matches_header, setup),
	};
	uint64_t one = 1;
	int i, ret;

	for (i = 0; i < 2; i++) {
		always_readable_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (always_readable_fd[i] < 0 ||
		    write(always_readable_fd[i], &one, sizeof(one)) < 0)
			return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	close(always_readable_fd[0]);
	close(always_readable_fd[1]);
	return ret;
}
