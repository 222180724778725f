/* SPDX-License-Identifier: BSD-3-Clause */
/* hostile.c -- daxmr-e2e-hostile: a raw rdma_cm client that feeds daxmrd hostile input */
/*
 * Usage: daxmr-e2e-hostile SERVER CASE [ARG...]   (CASE list: daxmr-e2e-hostile --help)
 *
 * The auth-* cases run against a daxmrd started with --secret-file and take that file as an
 * argument: they compute valid proofs (common/auth) where the case needs one, to be sure that
 * what is refused is the one thing wrong with the message.
 * Each run is one case on fresh connections to a running daxmrd. It speaks rdma_cm, ibverbs
 * and raw bytes (proto/ only to encode valid messages and decode replies), prints what it
 * sent and what it observed ("case NAME: ..."), and exits 0 when the server answered as
 * docs/protocol.md requires, 1 when it did not (or hung: every wait is bounded), 2 on usage
 * errors. Whether daxmrd survived is the driver script's check (hostile.sh), not this one's.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "auth.h"
#include "proto.h"

#define HOSTILE_RECVS 128		  /* receives posted (more than any case needs) */
#define HOSTILE_SEND_SIZE 8192		  /* the send area: room for an over-long SEND */
#define HOSTILE_RDMA_SIZE 4096		  /* the local side of RDMA READ and WRITE */
#define HOSTILE_WAIT_MS 10000		  /* bound of every wait for the server */
#define HOSTILE_QUIET_MS 1000		  /* how long "no answer" is watched for */
#define HOSTILE_QUEUE (2 * HOSTILE_RECVS) /* receive completions not yet consumed */
#define HOSTILE_PDATA_MAX 196

/* What a work request id names: kind in the high 32 bits, slot in the low. */
enum hostile_wr_kind {
	HOSTILE_WR_RECV = 1,
	HOSTILE_WR_SEND = 2,
	HOSTILE_WR_RDMA = 3,
};

/* One receive completion. */
struct hostile_rx {
	uint32_t slot;
	uint32_t len;
	enum ibv_wc_status status;
};

/* One raw connection; everything polled, nothing blocks without a bound. */
struct hostile_conn {
	struct rdma_event_channel *ch; /* owned */
	struct rdma_cm_id *id;	       /* owned; owns the QP once created */
	struct ibv_pd *pd;	       /* owned */
	struct ibv_cq *cq;	       /* owned */
	struct ibv_mr *mr;	       /* owned: over buf */
	uint8_t *buf;		       /* owned: receive slots, send area, RDMA area */
	bool qp;
	bool repost; /* repost a receive once its message is consumed */
	/* rdma_cm */
	enum rdma_cm_event_type last_ev;
	bool ev_seen;
	int ev_status;
	uint8_t pdata[HOSTILE_PDATA_MAX];
	size_t pdata_len;
	bool connected;
	bool disconnected;
	bool cm_disconnected; /* rdma_cm DISCONNECTED itself, not only a flushed receive */
	uint16_t credits;
	uint16_t version;	 /* chosen by the server (accept private data) */
	uint16_t cm_min, cm_max; /* the range our connect private data said (0: none) */
	/* completions */
	struct hostile_rx rx[HOSTILE_QUEUE];
	unsigned int rx_head, rx_tail;
	unsigned int sends_posted, sends_done;
	enum ibv_wc_status send_err; /* first failed send, IBV_WC_SUCCESS if none */
	bool rdma_done;
	enum ibv_wc_status rdma_status;
	uint64_t next_req;
};

static const char *hostile_server; /* borrowed: argv */
static const char *hostile_case;   /* borrowed: argv */
static int hostile_failures;

/* One "case NAME: ..." line on stdout, at once: the script keeps the output. */
__attribute__((format(printf, 1, 2))) static void hostile_say(const char *fmt, ...)
{
	va_list ap;

	printf("case %s: ", hostile_case);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Records a failed expectation; the run goes on so that one run shows every deviation. */
__attribute__((format(printf, 1, 2))) static void hostile_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "case %s: FAIL: ", hostile_case);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	hostile_failures++;
}

/* Milliseconds of a monotonic clock. */
static long long hostile_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms milliseconds. */
static void hostile_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void hostile_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void hostile_put32(uint8_t *p, uint32_t v)
{
	hostile_put16(p, (uint16_t)v);
	hostile_put16(p + 2, (uint16_t)(v >> 16));
}

static void hostile_put64(uint8_t *p, uint64_t v)
{
	hostile_put32(p, (uint32_t)v);
	hostile_put32(p + 4, (uint32_t)(v >> 32));
}

/* Writes a 24-byte header field by field, whatever the values: the point is to lie. */
static void hostile_hdr(uint8_t *p, uint32_t magic, uint16_t version, uint16_t opcode,
			uint32_t length, uint16_t status, uint16_t flags, uint64_t req_id)
{
	hostile_put32(p, magic);
	hostile_put16(p + 4, version);
	hostile_put16(p + 6, opcode);
	hostile_put32(p + 8, length);
	hostile_put16(p + 12, status);
	hostile_put16(p + 14, flags);
	hostile_put64(p + 16, req_id);
}

/* The receive slot i, the send area and the RDMA area of c->buf. */
static uint8_t *hostile_rx_buf(struct hostile_conn *c, uint32_t i)
{
	return c->buf + (size_t)i * DAXMR_PROTO_MSG_MAX;
}

static uint8_t *hostile_tx_buf(struct hostile_conn *c)
{
	return c->buf + (size_t)HOSTILE_RECVS * DAXMR_PROTO_MSG_MAX;
}

static uint8_t *hostile_rdma_buf(struct hostile_conn *c)
{
	return hostile_tx_buf(c) + HOSTILE_SEND_SIZE;
}

/* Posts receive slot i. */
static int hostile_post_recv(struct hostile_conn *c, uint32_t i)
{
	struct ibv_sge sge = { .addr = (uintptr_t)hostile_rx_buf(c, i),
			       .length = DAXMR_PROTO_MSG_MAX,
			       .lkey = c->mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = ((uint64_t)HOSTILE_WR_RECV << 32) | i,
				  .sg_list = &sge,
				  .num_sge = 1 };
	struct ibv_recv_wr *bad = NULL;
	int ret = ibv_post_recv(c->id->qp, &wr, &bad);

	if (ret)
		fprintf(stderr, "ibv_post_recv slot %u: %s\n", i, strerror(ret));
	return -ret;
}

/* Takes one completion into the connection's state. */
static void hostile_on_wc(struct hostile_conn *c, const struct ibv_wc *wc)
{
	enum hostile_wr_kind kind = (enum hostile_wr_kind)(wc->wr_id >> 32);
	struct hostile_rx *rx;

	switch (kind) {
	case HOSTILE_WR_RECV:
		if (c->rx_tail - c->rx_head >= HOSTILE_QUEUE)
			return; /* cannot happen: more receives completed than posted */
		rx = &c->rx[c->rx_tail++ % HOSTILE_QUEUE];
		rx->slot = (uint32_t)wc->wr_id;
		rx->len = wc->byte_len;
		rx->status = wc->status;
		break;
	case HOSTILE_WR_SEND:
		c->sends_done++;
		if (wc->status != IBV_WC_SUCCESS && c->send_err == IBV_WC_SUCCESS)
			c->send_err = wc->status;
		break;
	case HOSTILE_WR_RDMA:
		c->rdma_done = true;
		c->rdma_status = wc->status;
		break;
	}
}

/* Takes every completion and rdma_cm event there is, without blocking. */
static void hostile_poll(struct hostile_conn *c)
{
	struct rdma_cm_event *ev;
	struct ibv_wc wc[16];
	int n, i;

	if (c->cq)
		while ((n = ibv_poll_cq(c->cq, 16, wc)) > 0)
			for (i = 0; i < n; i++)
				hostile_on_wc(c, &wc[i]);
	while (rdma_get_cm_event(c->ch, &ev) == 0) {
		c->last_ev = ev->event;
		c->ev_status = ev->status;
		c->ev_seen = true;
		if (ev->event == RDMA_CM_EVENT_ESTABLISHED || ev->event == RDMA_CM_EVENT_REJECTED) {
			c->pdata_len = ev->param.conn.private_data_len;
			if (c->pdata_len > sizeof(c->pdata))
				c->pdata_len = sizeof(c->pdata);
			if (c->pdata_len && ev->param.conn.private_data)
				memcpy(c->pdata, ev->param.conn.private_data, c->pdata_len);
		}
		if (ev->event == RDMA_CM_EVENT_ESTABLISHED)
			c->connected = true;
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED)
			c->cm_disconnected = true;
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED ||
		    ev->event == RDMA_CM_EVENT_DEVICE_REMOVAL ||
		    ev->event == RDMA_CM_EVENT_TIMEWAIT_EXIT)
			c->disconnected = true;
		rdma_ack_cm_event(ev);
	}
}

/* Polls until done(c) or ms pass; true if done. */
static bool hostile_wait(struct hostile_conn *c, bool (*done)(struct hostile_conn *c), long ms)
{
	long long end = hostile_now_ms() + ms;

	for (;;) {
		hostile_poll(c);
		if (done(c))
			return true;
		if (hostile_now_ms() >= end)
			return false;
		hostile_sleep_ms(1);
	}
}

static bool hostile_cm_event_seen(struct hostile_conn *c)
{
	return c->ev_seen;
}

/* Waits for the next rdma_cm event during set-up; 0 if it is want. */
static int hostile_cm_expect(struct hostile_conn *c, enum rdma_cm_event_type want)
{
	c->ev_seen = false;
	if (!hostile_wait(c, hostile_cm_event_seen, HOSTILE_WAIT_MS)) {
		fprintf(stderr, "no rdma_cm %s within %d ms\n", rdma_event_str(want),
			HOSTILE_WAIT_MS);
		return -ETIMEDOUT;
	}
	if (c->last_ev == want)
		return 0;
	if (c->last_ev == RDMA_CM_EVENT_REJECTED)
		return -ECONNREFUSED;
	fprintf(stderr, "rdma_cm: %s (status %d) while waiting for %s\n",
		rdma_event_str(c->last_ev), c->ev_status, rdma_event_str(want));
	return -EIO;
}

/* Frees everything of c; rdma_disconnect first unless abrupt. */
static void hostile_close(struct hostile_conn *c, bool abrupt)
{
	if (c->connected && !c->disconnected && !abrupt)
		(void)rdma_disconnect(c->id);
	if (c->qp)
		rdma_destroy_qp(c->id);
	if (c->mr)
		(void)ibv_dereg_mr(c->mr);
	if (c->cq)
		(void)ibv_destroy_cq(c->cq);
	if (c->pd)
		(void)ibv_dealloc_pd(c->pd);
	if (c->id)
		(void)rdma_destroy_id(c->id);
	if (c->ch)
		rdma_destroy_event_channel(c->ch);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/* Resolves hostile_server ("ADDR:PORT", IPv6 as "[ADDR]:PORT") into *res. */
static int hostile_resolve(struct addrinfo **res)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	char host[256], *port;
	int ret;

	snprintf(host, sizeof(host), "%s", hostile_server);
	port = strrchr(host, ':');
	if (!port) {
		fprintf(stderr, "%s: not ADDR:PORT\n", hostile_server);
		return -EINVAL;
	}
	*port++ = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	ret = getaddrinfo(host, port, &hints, res);
	if (ret) {
		fprintf(stderr, "getaddrinfo %s: %s\n", hostile_server, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	return 0;
}

/*
 * Connects with the given private data: 0 once ESTABLISHED (c->credits from the accept data),
 * -ECONNREFUSED on a reject (its private data in c->pdata), another negative errno otherwise.
 * nrecv receives are posted before the connect.
 */
static int hostile_connect(struct hostile_conn *c, const void *pdata, uint8_t pdata_len,
			   unsigned int nrecv)
{
	struct ibv_qp_init_attr qpa = { 0 };
	struct rdma_conn_param param = { 0 };
	struct daxmr_proto_cm_connect cm;
	struct daxmr_proto_cm_accept acc;
	struct addrinfo *ai = NULL;
	size_t size =
		(size_t)HOSTILE_RECVS * DAXMR_PROTO_MSG_MAX + HOSTILE_SEND_SIZE + HOSTILE_RDMA_SIZE;
	unsigned int i;
	int ret;

	memset(c, 0, sizeof(*c));
	c->repost = true;
	c->next_req = 1;
	if (pdata && daxmr_proto_cm_connect_decode(pdata, pdata_len, &cm) == 0) {
		c->cm_min = cm.version_min;
		c->cm_max = cm.version_max;
	}
	c->ch = rdma_create_event_channel();
	if (!c->ch) {
		ret = -errno;
		perror("rdma_create_event_channel");
		return ret;
	}
	if (fcntl(c->ch->fd, F_SETFL, fcntl(c->ch->fd, F_GETFL) | O_NONBLOCK) < 0) {
		ret = -errno;
		perror("fcntl O_NONBLOCK");
		goto err;
	}
	if (rdma_create_id(c->ch, &c->id, c, RDMA_PS_TCP)) {
		ret = -errno;
		perror("rdma_create_id");
		goto err;
	}
	ret = hostile_resolve(&ai);
	if (ret)
		goto err;
	if (rdma_resolve_addr(c->id, NULL, ai->ai_addr, 2000)) {
		ret = -errno;
		perror("rdma_resolve_addr");
		freeaddrinfo(ai);
		goto err;
	}
	freeaddrinfo(ai);
	ret = hostile_cm_expect(c, RDMA_CM_EVENT_ADDR_RESOLVED);
	if (ret)
		goto err;
	if (rdma_resolve_route(c->id, 2000)) {
		ret = -errno;
		perror("rdma_resolve_route");
		goto err;
	}
	ret = hostile_cm_expect(c, RDMA_CM_EVENT_ROUTE_RESOLVED);
	if (ret)
		goto err;
	c->pd = ibv_alloc_pd(c->id->verbs);
	c->cq = c->pd ? ibv_create_cq(c->id->verbs, 4 * HOSTILE_RECVS, NULL, NULL, 0) : NULL;
	c->buf = calloc(1, size);
	c->mr = c->pd && c->buf ? ibv_reg_mr(c->pd, c->buf, size, IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!c->pd || !c->cq || !c->buf || !c->mr) {
		ret = errno ? -errno : -ENOMEM;
		perror("ibv_alloc_pd/ibv_create_cq/ibv_reg_mr");
		goto err;
	}
	qpa.qp_type = IBV_QPT_RC;
	qpa.send_cq = c->cq;
	qpa.recv_cq = c->cq;
	qpa.cap.max_send_wr = HOSTILE_RECVS;
	qpa.cap.max_recv_wr = HOSTILE_RECVS;
	qpa.cap.max_send_sge = 1;
	qpa.cap.max_recv_sge = 1;
	if (rdma_create_qp(c->id, c->pd, &qpa)) {
		ret = -errno;
		perror("rdma_create_qp");
		goto err;
	}
	c->qp = true;
	for (i = 0; i < nrecv && i < HOSTILE_RECVS; i++) {
		ret = hostile_post_recv(c, i);
		if (ret)
			goto err;
	}
	param.private_data = pdata;
	param.private_data_len = pdata_len;
	param.initiator_depth = 1;
	param.responder_resources = 1;
	param.retry_count = 7;
	param.rnr_retry_count = 7; /* as libdaxmr: the server reposts receives before replying */
	if (rdma_connect(c->id, &param)) {
		ret = -errno;
		perror("rdma_connect");
		goto err;
	}
	ret = hostile_cm_expect(c, RDMA_CM_EVENT_ESTABLISHED);
	if (ret)
		return ret; /* the caller looks at a reject and closes */
	if (daxmr_proto_cm_accept_decode(c->pdata, c->pdata_len, &acc) == 0) {
		c->credits = acc.credits;
		c->version = acc.version;
	}
	return 0;
err:
	hostile_close(c, true);
	return ret;
}

/*
 * Connects with valid private data saying versions vmin..vmax; 0 once accepted with the newest
 * version of that range this build speaks, else a negative errno (a failure recorded).
 */
static int hostile_connect_range(struct hostile_conn *c, unsigned int nrecv, uint16_t vmin,
				 uint16_t vmax)
{
	struct daxmr_proto_cm_connect cm = { .version_min = vmin, .version_max = vmax };
	uint8_t pdata[DAXMR_PROTO_CM_CONNECT_SIZE];
	int want = daxmr_proto_version_pick(vmin, vmax);
	int ret;

	if (daxmr_proto_cm_connect_encode(&cm, pdata, sizeof(pdata)) < 0)
		return -EINVAL;
	ret = hostile_connect(c, pdata, sizeof(pdata), nrecv);
	if (ret) {
		hostile_fail("connect to %s failed: %s", hostile_server, strerror(-ret));
		if (ret == -ECONNREFUSED)
			hostile_close(c, true);
		return ret;
	}
	if (c->version != want) {
		hostile_fail("connect with versions %u..%u: accepted with version %u, expected %d",
			     vmin, vmax, c->version, want);
		hostile_close(c, false);
		return -EPROTO;
	}
	return 0;
}

/* The newest version the cases offer: DAXMR_PROTO_VERSION_MAX, or less for a case of an older one.
 */
static uint16_t hostile_vmax = DAXMR_PROTO_VERSION_MAX;

/* Connects with our whole version range (the server picks the newest it has); 0 or -errno. */
static int hostile_connect_ok(struct hostile_conn *c, unsigned int nrecv)
{
	return hostile_connect_range(c, nrecv, DAXMR_PROTO_VERSION_MIN, hostile_vmax);
}

static bool hostile_sends_drained(struct hostile_conn *c)
{
	return c->sends_done == c->sends_posted;
}

/* Posts one SEND of len bytes at off in the send area; does not wait. */
static int hostile_post_send(struct hostile_conn *c, uint32_t off, uint32_t len)
{
	struct ibv_sge sge = { .addr = (uintptr_t)(hostile_tx_buf(c) + off),
			       .length = len,
			       .lkey = c->mr->lkey };
	struct ibv_send_wr wr = { 0 }, *bad = NULL;
	int ret;

	wr.wr_id = ((uint64_t)HOSTILE_WR_SEND << 32) | c->sends_posted;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.sg_list = len ? &sge : NULL;
	wr.num_sge = len ? 1 : 0;
	ret = ibv_post_send(c->id->qp, &wr, &bad);
	if (ret) {
		fprintf(stderr, "ibv_post_send of %u bytes: %s\n", len, strerror(ret));
		return -ret;
	}
	c->sends_posted++;
	return 0;
}

/* Sends len bytes from p (len 0: a zero-length SEND) and waits for its completion. */
static int hostile_send_raw(struct hostile_conn *c, const void *p, uint32_t len)
{
	int ret;

	if (len > HOSTILE_SEND_SIZE)
		return -EMSGSIZE;
	if (p != hostile_tx_buf(c) && len)
		memcpy(hostile_tx_buf(c), p, len);
	ret = hostile_post_send(c, 0, len);
	if (ret)
		return ret;
	if (!hostile_wait(c, hostile_sends_drained, HOSTILE_WAIT_MS)) {
		hostile_fail("the SEND of %u bytes did not complete within %d ms", len,
			     HOSTILE_WAIT_MS);
		return -ETIMEDOUT;
	}
	return c->send_err == IBV_WC_SUCCESS ? 0 : -EIO;
}

/* Encodes msg (a valid message) into the send area; returns its size or a negative errno. */
static int hostile_encode(struct hostile_conn *c, struct daxmr_proto_msg *msg)
{
	int n;

	if (!msg->hdr.version)
		msg->hdr.version = c->version;
	n = daxmr_proto_msg_encode(msg, hostile_tx_buf(c), HOSTILE_SEND_SIZE);
	if (n < 0)
		hostile_fail("cannot encode %s: %s", daxmr_proto_opcode_str(msg->hdr.opcode),
			     strerror(-n));
	return n;
}

/* Sends a valid request of opcode with the payload in msg; returns its request id or 0. */
static uint64_t hostile_request(struct hostile_conn *c, struct daxmr_proto_msg *msg,
				enum daxmr_proto_opcode opcode)
{
	int n;

	msg->hdr.opcode = opcode;
	msg->hdr.request_id = c->next_req++;
	n = hostile_encode(c, msg);
	if (n < 0 || hostile_send_raw(c, hostile_tx_buf(c), (uint32_t)n))
		return 0;
	return msg->hdr.request_id;
}

static bool hostile_rx_or_down(struct hostile_conn *c)
{
	return c->rx_head != c->rx_tail || c->disconnected;
}

/*
 * The next message the server sent: 1 (decoded into *msg, or *raw_err < 0 if it does not
 * decode), 0 if the connection went down instead, -ETIMEDOUT after ms.
 */
static int hostile_next(struct hostile_conn *c, long ms, struct daxmr_proto_msg *msg, int *raw_err)
{
	struct hostile_rx rx;

	if (!hostile_wait(c, hostile_rx_or_down, ms))
		return -ETIMEDOUT;
	if (c->rx_head == c->rx_tail)
		return 0;
	rx = c->rx[c->rx_head++ % HOSTILE_QUEUE];
	if (rx.status != IBV_WC_SUCCESS) {
		/* flushed: the QP went to the error state, the connection is over */
		c->disconnected = true;
		c->rx_head = c->rx_tail;
		return 0;
	}
	*raw_err = daxmr_proto_msg_decode(hostile_rx_buf(c, rx.slot), rx.len, msg);
	if (c->repost)
		(void)hostile_post_recv(c, rx.slot);
	return 1;
}

/* One decoded message for a log line. */
static void hostile_msg_str(const struct daxmr_proto_msg *m, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s status %s request id %llu", daxmr_proto_opcode_str(m->hdr.opcode),
		 (m->hdr.flags & DAXMR_PROTO_F_REPLY) ? " reply" : "",
		 daxmr_proto_status_str(m->hdr.status), (unsigned long long)m->hdr.request_id);
}

/* The reply to req_id must come with status want; its payload lands in *reply. */
static bool hostile_expect_reply(struct hostile_conn *c, uint64_t req_id,
				 enum daxmr_proto_opcode op, enum daxmr_proto_status want,
				 struct daxmr_proto_msg *reply, const char *what)
{
	char s[128];
	int err = 0, r;

	if (!req_id)
		return false;
	r = hostile_next(c, HOSTILE_WAIT_MS, reply, &err);
	if (r == -ETIMEDOUT) {
		hostile_fail("%s: no answer within %d ms (a hang)", what, HOSTILE_WAIT_MS);
		return false;
	}
	if (r == 0) {
		hostile_fail("%s: disconnected, expected a %s reply", what,
			     daxmr_proto_status_str(want));
		return false;
	}
	if (err) {
		hostile_fail("%s: the answer does not decode: %s", what, strerror(-err));
		return false;
	}
	hostile_msg_str(reply, s, sizeof(s));
	if (reply->hdr.opcode != op || !(reply->hdr.flags & DAXMR_PROTO_F_REPLY) ||
	    reply->hdr.request_id != req_id || reply->hdr.status != want) {
		hostile_fail("%s: got %s, expected %s reply status %s request id %llu", what, s,
			     daxmr_proto_opcode_str(op), daxmr_proto_status_str(want),
			     (unsigned long long)req_id);
		return false;
	}
	hostile_say("%s -> %s", what, s);
	return true;
}

/* HELLO repeating the connect data's range; true if answered OK (the reply in *r). */
static bool hostile_hello_reply(struct hostile_conn *c, struct daxmr_proto_msg *r)
{
	struct daxmr_proto_msg m = { 0 };

	m.hello.version_min = c->cm_min;
	m.hello.version_max = c->cm_max;
	snprintf(m.hello.name, sizeof(m.hello.name), "hostile:%s", hostile_case);
	return hostile_expect_reply(c, hostile_request(c, &m, DAXMR_PROTO_OP_HELLO),
				    DAXMR_PROTO_OP_HELLO, DAXMR_PROTO_STATUS_OK, r, "HELLO");
}

/* HELLO with our range; true if answered OK. */
static bool hostile_hello(struct hostile_conn *c)
{
	struct daxmr_proto_msg r;

	return hostile_hello_reply(c, &r);
}

/* LIST from 0 answered OK: the connection still works. */
static bool hostile_list_ok(struct hostile_conn *c, const char *what)
{
	struct daxmr_proto_msg m = { 0 }, r;

	if (!hostile_expect_reply(c, hostile_request(c, &m, DAXMR_PROTO_OP_LIST),
				  DAXMR_PROTO_OP_LIST, DAXMR_PROTO_STATUS_OK, &r, what))
		return false;
	return true;
}

/* OPEN name with access; true if answered want (the descriptor in *desc when OK). */
static bool hostile_open(struct hostile_conn *c, const char *name, enum daxmr_proto_access access,
			 enum daxmr_proto_status want, struct daxmr_proto_desc *desc)
{
	struct daxmr_proto_msg m = { 0 }, r;
	char what[320];

	m.open.access = access;
	snprintf(m.open.name, sizeof(m.open.name), "%s", name);
	snprintf(what, sizeof(what), "OPEN %s '%s'", access == DAXMR_PROTO_ACCESS_RW ? "rw" : "ro",
		 name);
	if (!hostile_expect_reply(c, hostile_request(c, &m, DAXMR_PROTO_OP_OPEN),
				  DAXMR_PROTO_OP_OPEN, want, &r, what))
		return false;
	if (want == DAXMR_PROTO_STATUS_OK && desc) {
		*desc = r.desc;
		hostile_say("descriptor: export %u generation %llu addr 0x%llx length %llu "
			    "rkey 0x%x access %s key_kind %s",
			    r.desc.export_id, (unsigned long long)r.desc.generation,
			    (unsigned long long)r.desc.addr, (unsigned long long)r.desc.length,
			    r.desc.rkey, r.desc.access == DAXMR_PROTO_ACCESS_RW ? "rw" : "ro",
			    r.desc.key_kind == DAXMR_PROTO_KEY_MW ? "mw" : "mr");
	}
	return true;
}

/*
 * After a protocol error the server MAY send ERROR (status want) and then disconnects. A
 * message other than ERROR want, or no disconnect within the bound, fails.
 */
static void hostile_expect_error_disconnect(struct hostile_conn *c, enum daxmr_proto_status want)
{
	struct daxmr_proto_msg m;
	bool got_error = false;
	char s[128];
	int err = 0, r;

	for (;;) {
		/* rdma_cm's DREQ may need retries: a longer bound than for replies */
		r = hostile_next(c, 3 * HOSTILE_WAIT_MS, &m, &err);
		if (r == -ETIMEDOUT) {
			hostile_fail("%s, still connected %d ms after the protocol error (a hang)",
				     got_error ? "ERROR received" : "no ERROR",
				     3 * HOSTILE_WAIT_MS);
			return;
		}
		if (r == 0)
			break;
		if (err) {
			hostile_fail("the server sent a message that does not decode: %s",
				     strerror(-err));
			continue;
		}
		hostile_msg_str(&m, s, sizeof(s));
		if (m.hdr.opcode != DAXMR_PROTO_OP_ERROR || m.hdr.status != want ||
		    m.hdr.request_id != 0 || got_error) {
			hostile_fail("got %s, expected one ERROR status %s request id 0", s,
				     daxmr_proto_status_str(want));
			continue;
		}
		got_error = true;
		hostile_say("got %s", s);
	}
	hostile_say("disconnected by the server%s", got_error ? " after the ERROR" : " (no ERROR)");
}

/* Nothing arrives for HOSTILE_QUIET_MS and the connection stays up. */
static void hostile_expect_quiet(struct hostile_conn *c, const char *what)
{
	if (hostile_wait(c, hostile_rx_or_down, HOSTILE_QUIET_MS)) {
		hostile_fail("%s: expected no answer, got %s", what,
			     c->rx_head != c->rx_tail ? "a message" : "a disconnect");
		return;
	}
	hostile_say("%s -> no answer in %d ms, still connected", what, HOSTILE_QUIET_MS);
}

static bool hostile_rdma_completed(struct hostile_conn *c)
{
	return c->rdma_done;
}

/*
 * One RDMA READ or WRITE of len bytes between the RDMA area and raddr with rkey. Returns the
 * completion status, or -1 if none arrived within the bound.
 */
static int hostile_rdma(struct hostile_conn *c, enum ibv_wr_opcode op, uint64_t raddr,
			uint32_t rkey, uint32_t len)
{
	struct ibv_sge sge = { .addr = (uintptr_t)hostile_rdma_buf(c),
			       .length = len,
			       .lkey = c->mr->lkey };
	struct ibv_send_wr wr = { 0 }, *bad = NULL;
	int ret;

	wr.wr_id = (uint64_t)HOSTILE_WR_RDMA << 32;
	wr.opcode = op;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	c->rdma_done = false;
	ret = ibv_post_send(c->id->qp, &wr, &bad);
	if (ret) {
		hostile_fail("ibv_post_send RDMA: %s", strerror(ret));
		return -1;
	}
	if (!hostile_wait(c, hostile_rdma_completed, HOSTILE_WAIT_MS)) {
		hostile_fail("RDMA %s did not complete within %d ms",
			     op == IBV_WR_RDMA_READ ? "READ" : "WRITE", HOSTILE_WAIT_MS);
		return -1;
	}
	return (int)c->rdma_status;
}

/* ---- cases ---------------------------------------------------------------------------- */

/*
 * A header-level violation after HELLO (or before it, as the first message): ERROR + disconnect.
 * The connection offers our whole version range (so version 2 is chosen), or only version 1
 * for a case whose name ends in "-v1".
 */
struct hostile_bad_hdr {
	const char *name;
	const char *what;
	bool before_hello;
	enum daxmr_proto_status want;
};

static const struct hostile_bad_hdr hostile_bad_hdrs[] = {
	{ "bad-magic", "magic 0x4d584444 instead of DXMR", false, DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "bad-magic-first", "bad magic as the very first message", true,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "bad-version", "header version 1 after version 3 was chosen", false,
	  DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION },
	{ "version-zero", "header version 0", false, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION },
	{ "unknown-opcode", "opcode 0x77", false, DAXMR_PROTO_STATUS_UNKNOWN_OPCODE },
	{ "opcode-zero", "opcode 0", false, DAXMR_PROTO_STATUS_UNKNOWN_OPCODE },
	{ "auth-opcode", "opcode 0x11 (reserved for authentication)", false,
	  DAXMR_PROTO_STATUS_UNKNOWN_OPCODE },
	{ "auth-opcode-last", "opcode 0x1f (reserved for authentication)", false,
	  DAXMR_PROTO_STATUS_UNKNOWN_OPCODE },
	{ "auth-opcode-v1", "AUTH (0x10) in a version-1 header, version 1 chosen", false,
	  DAXMR_PROTO_STATUS_UNKNOWN_OPCODE },
	{ "keys-opcode-v2", "KEYS (10) in a version-2 header, version 2 chosen", false,
	  DAXMR_PROTO_STATUS_UNKNOWN_OPCODE },
	{ "truncated", "10 bytes: shorter than the header", false, DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "truncated-first", "10 bytes as the very first message", true,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "length-over", "LIST header says length 100, 4 payload bytes sent", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "length-max", "4096 bytes sent, header says length 5000 (> 4072)", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "length-huge", "header says length 0xffffffff", false, DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "trailing", "LIST with length 4 and 8 more bytes after it", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "zero-length", "a zero-length SEND", false, DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "zero-length-first", "a zero-length SEND as the very first message", true,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "bad-flags", "LIST with header flags 0x8000", false, DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "request-status", "LIST request carrying status ACCESS_DENIED", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "bad-status", "LIST request carrying status 999", false, DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "client-revoke", "REVOKE from a client (wrong direction)", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "client-available", "AVAILABLE from a client (wrong direction)", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "client-error", "ERROR BAD_MESSAGE from a client", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "client-reply", "a LIST reply from a client (unsolicited reply)", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "revoke-ack-reply", "REVOKE_ACK with the REPLY flag", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
	{ "bad-revoke-ack", "REVOKE_ACK with a 5-byte payload", false,
	  DAXMR_PROTO_STATUS_BAD_MESSAGE },
};

/* Crafts the bytes of one bad-header case into p (v: the version chosen); returns their count. */
static uint32_t hostile_craft(const struct hostile_bad_hdr *b, uint16_t v, uint8_t *p)
{
	const uint32_t mg = DAXMR_PROTO_MAGIC;
	const uint16_t list = DAXMR_PROTO_OP_LIST;
	const char *n = b->name;

	memset(p, 0, HOSTILE_SEND_SIZE);
	if (!strncmp(n, "bad-magic", 9)) {
		hostile_hdr(p, 0x4d584444u, v, DAXMR_PROTO_OP_HELLO, 0, 0, 0, 7);
		return 24;
	}
	if (!strcmp(n, "bad-version") || !strcmp(n, "version-zero")) {
		/* a version the server speaks, only not the one it chose */
		hostile_hdr(p, mg, n[0] == 'b' ? (v == 1 ? 2 : 1) : 0, list, 4, 0, 0, 7);
		return 28;
	}
	if (!strcmp(n, "unknown-opcode") || !strcmp(n, "opcode-zero")) {
		hostile_hdr(p, mg, v, n[0] == 'u' ? 0x77 : 0, 0, 0, 0, 7);
		return 24;
	}
	if (!strncmp(n, "auth-opcode", 11)) {
		/* a well-formed AUTH payload: only the opcode (in this version) is wrong */
		hostile_hdr(p, mg, v,
			    !strcmp(n, "auth-opcode-v1")   ? DAXMR_PROTO_OP_AUTH :
			    !strcmp(n, "auth-opcode-last") ? 0x1f :
							     0x11,
			    64, 0, 0, 7);
		daxmr_auth_random(p + 24, 64);
		return 88;
	}
	if (!strcmp(n, "keys-opcode-v2")) {
		/* a well-formed KEYS payload: KEYS exists only from version 3 */
		hostile_hdr(p, mg, v, DAXMR_PROTO_OP_KEYS, 16, 0, 0, 7);
		return 40;
	}
	if (!strncmp(n, "truncated", 9)) {
		hostile_hdr(p, mg, v, list, 4, 0, 0, 7);
		return 10;
	}
	if (!strcmp(n, "length-over")) {
		hostile_hdr(p, mg, v, list, 100, 0, 0, 7);
		return 28;
	}
	if (!strcmp(n, "length-max")) {
		hostile_hdr(p, mg, v, list, 5000, 0, 0, 7);
		return DAXMR_PROTO_MSG_MAX;
	}
	if (!strcmp(n, "length-huge")) {
		hostile_hdr(p, mg, v, list, 0xffffffffu, 0, 0, 7);
		return 28;
	}
	if (!strcmp(n, "trailing")) {
		hostile_hdr(p, mg, v, list, 4, 0, 0, 7);
		memset(p + 28, 0xa5, 8);
		return 36;
	}
	if (!strncmp(n, "zero-length", 11))
		return 0;
	if (!strcmp(n, "bad-flags")) {
		hostile_hdr(p, mg, v, list, 4, 0, 0x8000, 7);
		return 28;
	}
	if (!strcmp(n, "request-status") || !strcmp(n, "bad-status")) {
		hostile_hdr(p, mg, v, list, 4, n[0] == 'r' ? DAXMR_PROTO_STATUS_ACCESS_DENIED : 999,
			    0, 7);
		return 28;
	}
	if (!strcmp(n, "client-revoke")) {
		hostile_hdr(p, mg, v, DAXMR_PROTO_OP_REVOKE, 17, 0, 0, 7);
		hostile_put32(p + 24, 1);
		hostile_put64(p + 28, 1);
		hostile_put32(p + 36, 1000);
		p[40] = DAXMR_PROTO_REVOKE_ADMIN;
		return 41;
	}
	if (!strcmp(n, "client-available")) {
		hostile_hdr(p, mg, v, DAXMR_PROTO_OP_AVAILABLE, 12, 0, 0, 7);
		hostile_put32(p + 24, 1);
		hostile_put64(p + 28, 2);
		return 36;
	}
	if (!strcmp(n, "client-error")) {
		hostile_hdr(p, mg, v, DAXMR_PROTO_OP_ERROR, 0, DAXMR_PROTO_STATUS_BAD_MESSAGE,
			    DAXMR_PROTO_F_REPLY, 0);
		return 24;
	}
	if (!strcmp(n, "client-reply")) {
		hostile_hdr(p, mg, v, list, 8, 0, DAXMR_PROTO_F_REPLY, 7);
		return 32; /* start 0, count 0, flags 0 */
	}
	if (!strcmp(n, "revoke-ack-reply")) {
		hostile_hdr(p, mg, v, DAXMR_PROTO_OP_REVOKE_ACK, 12, 0, DAXMR_PROTO_F_REPLY, 7);
		return 36;
	}
	/* bad-revoke-ack */
	hostile_hdr(p, mg, v, DAXMR_PROTO_OP_REVOKE_ACK, 5, 0, 0, 7);
	return 29;
}

/* One bad-header case (named by hostile_case). */
static void hostile_case_bad_hdr(const struct hostile_bad_hdr *b)
{
	size_t n = strlen(b->name);
	/* a case named ...-vN runs on a connection of version N */
	uint16_t vmax = n > 3 && !strncmp(b->name + n - 3, "-v", 2) ?
				(uint16_t)(b->name[n - 1] - '0') :
				DAXMR_PROTO_VERSION_MAX;
	struct hostile_conn c;
	uint32_t len;

	if (hostile_connect_range(&c, HOSTILE_RECVS, DAXMR_PROTO_VERSION_MIN, vmax))
		return;
	if (!b->before_hello && !hostile_hello(&c)) {
		hostile_close(&c, false);
		return;
	}
	len = hostile_craft(b, c.version, hostile_tx_buf(&c));
	hostile_say("version %u chosen", c.version);
	hostile_say("sending %s (%u bytes)", b->what, len);
	/* not waiting for the SEND's completion: the server may take the QP down before its ACK */
	if (hostile_post_send(&c, 0, len))
		hostile_fail("cannot post the SEND");
	else
		hostile_expect_error_disconnect(&c, b->want);
	/* ERROR is best effort (it races the disconnect): the server's log says what it sent */
	hostile_say("server log must say: sending ERROR %s and disconnecting",
		    daxmr_proto_status_str(b->want));
	hostile_close(&c, false);
}

/* A SEND longer than the server's 4096-byte receive buffers: its receive fails, it disconnects. */
static void hostile_case_oversized_send(void)
{
	struct hostile_conn c;
	struct daxmr_proto_msg m;
	int err = 0, r;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello(&c))
		goto out;
	hostile_hdr(hostile_tx_buf(&c), DAXMR_PROTO_MAGIC, c.version, DAXMR_PROTO_OP_LIST,
		    5000 - 24, 0, 0, 7);
	hostile_say("sending 5000 bytes into a %d-byte receive buffer", DAXMR_PROTO_MSG_MAX);
	/*
	 * Not waiting for the SEND's own completion: the responder's NAK may be lost under load
	 * (rxe), and the retries against the server's errored QP then outlast any sane wait. What
	 * matters is that the server drops the connection.
	 */
	if (hostile_post_send(&c, 0, 5000)) {
		hostile_fail("cannot post the SEND");
		goto out;
	}
	r = hostile_next(&c, HOSTILE_WAIT_MS, &m, &err);
	if (r == -ETIMEDOUT)
		hostile_fail("still connected %d ms after an over-long SEND (a hang)",
			     HOSTILE_WAIT_MS);
	else if (r == 1)
		hostile_fail("the server answered an over-long SEND instead of disconnecting");
	else
		hostile_say("connection down (QP error or disconnect), as expected");
out:
	hostile_close(&c, false);
}

/* A LIST whose payload has 8 bytes too many (header consistent): BAD_MESSAGE, connection stays. */
static void hostile_case_trailing_payload(void)
{
	struct hostile_conn c;
	struct daxmr_proto_msg r;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello(&c))
		goto out;
	hostile_hdr(hostile_tx_buf(&c), DAXMR_PROTO_MAGIC, c.version, DAXMR_PROTO_OP_LIST, 12, 0, 0,
		    40);
	memset(hostile_tx_buf(&c) + 24, 0, 12);
	if (hostile_send_raw(&c, hostile_tx_buf(&c), 36))
		goto out;
	hostile_expect_reply(&c, 40, DAXMR_PROTO_OP_LIST, DAXMR_PROTO_STATUS_BAD_MESSAGE, &r,
			     "LIST with a 12-byte payload (4 + 8 trailing)");
	hostile_hdr(hostile_tx_buf(&c), DAXMR_PROTO_MAGIC, c.version, DAXMR_PROTO_OP_FLUSH, 20, 0,
		    0, 41);
	if (hostile_send_raw(&c, hostile_tx_buf(&c), 44))
		goto out;
	hostile_expect_reply(&c, 41, DAXMR_PROTO_OP_FLUSH, DAXMR_PROTO_STATUS_BAD_MESSAGE, &r,
			     "FLUSH with a 20-byte payload (28 needed)");
	hostile_list_ok(&c, "LIST afterwards");
out:
	hostile_close(&c, false);
}

/* Requests before HELLO are BAD_STATE; a bad HELLO is answered and leaves room for a good one. */
static void hostile_case_before_hello(void)
{
	struct hostile_conn c;
	struct daxmr_proto_msg m = { 0 }, r;
	char what[96];
	uint16_t v;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_LIST), DAXMR_PROTO_OP_LIST,
			     DAXMR_PROTO_STATUS_BAD_STATE, &r, "LIST before HELLO");
	memset(&m, 0, sizeof(m));
	m.open.access = DAXMR_PROTO_ACCESS_RW;
	snprintf(m.open.name, sizeof(m.open.name), "w");
	hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_OPEN), DAXMR_PROTO_OP_OPEN,
			     DAXMR_PROTO_STATUS_BAD_STATE, &r, "OPEN rw 'w' before HELLO");
	memset(&m, 0, sizeof(m));
	m.close.export_id = 1;
	m.close.generation = 1;
	hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_CLOSE),
			     DAXMR_PROTO_OP_CLOSE, DAXMR_PROTO_STATUS_BAD_STATE, &r,
			     "CLOSE before HELLO");
	memset(&m, 0, sizeof(m));
	m.revoke_ack.export_id = 1;
	m.revoke_ack.generation = 1;
	m.hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK;
	m.hdr.request_id = 99;
	if (hostile_encode(&c, &m) > 0 && !hostile_send_raw(&c, hostile_tx_buf(&c), 36))
		hostile_expect_quiet(&c, "REVOKE_ACK before HELLO");
	/* the encoder refuses a range without the header version: craft it */
	v = c.version;
	hostile_hdr(hostile_tx_buf(&c), DAXMR_PROTO_MAGIC, v, DAXMR_PROTO_OP_HELLO, 10, 0, 0, 49);
	hostile_put16(hostile_tx_buf(&c) + 24, v + 1);
	hostile_put16(hostile_tx_buf(&c) + 26, v + 2);
	hostile_put16(hostile_tx_buf(&c) + 28, 0);
	hostile_put16(hostile_tx_buf(&c) + 30, 2);
	memcpy(hostile_tx_buf(&c) + 32, "hx", 2);
	snprintf(what, sizeof(what), "HELLO with range %u..%u in a version %u header (field rule)",
		 v + 1, v + 2, v);
	if (!hostile_send_raw(&c, hostile_tx_buf(&c), 34))
		hostile_expect_reply(&c, 49, DAXMR_PROTO_OP_HELLO, DAXMR_PROTO_STATUS_BAD_MESSAGE,
				     &r, what);
	/* a range that holds the header version but is not the one the connect data said */
	memset(&m, 0, sizeof(m));
	m.hello.version_min = v;
	m.hello.version_max = v;
	snprintf(m.hello.name, sizeof(m.hello.name), "hostile");
	snprintf(what, sizeof(what), "HELLO with range %u..%u (the connect data said %u..%u)", v, v,
		 c.cm_min, c.cm_max);
	if (c.cm_min == v && c.cm_max == v)
		hostile_fail("connected with versions %u..%u: cannot differ from them", v, v);
	else
		hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_HELLO),
				     DAXMR_PROTO_OP_HELLO, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION,
				     &r, what);
	hostile_hdr(hostile_tx_buf(&c), DAXMR_PROTO_MAGIC, v, DAXMR_PROTO_OP_HELLO, 10, 0, 0, 50);
	hostile_put16(hostile_tx_buf(&c) + 24, c.cm_min);
	hostile_put16(hostile_tx_buf(&c) + 26, c.cm_max);
	/* flag 0x1 is AUTH in a HELLO reply; a HELLO request has no flags in any version */
	hostile_put16(hostile_tx_buf(&c) + 28, 0x0001);
	hostile_put16(hostile_tx_buf(&c) + 30, 2);
	memcpy(hostile_tx_buf(&c) + 32, "hx", 2);
	if (!hostile_send_raw(&c, hostile_tx_buf(&c), 34))
		hostile_expect_reply(&c, 50, DAXMR_PROTO_OP_HELLO, DAXMR_PROTO_STATUS_BAD_MESSAGE,
				     &r, "HELLO with reserved flag 0x1");
	if (hostile_hello(&c))
		hostile_list_ok(&c, "LIST after a proper HELLO");
	hostile_close(&c, false);
}

/* A second HELLO is BAD_STATE; the connection stays usable. */
static void hostile_case_second_hello(void)
{
	struct hostile_conn c;
	struct daxmr_proto_msg m = { 0 }, r;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello(&c))
		goto out;
	m.hello.version_min = c.cm_min;
	m.hello.version_max = c.cm_max;
	snprintf(m.hello.name, sizeof(m.hello.name), "hostile-again");
	hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_HELLO),
			     DAXMR_PROTO_OP_HELLO, DAXMR_PROTO_STATUS_BAD_STATE, &r,
			     "second HELLO");
	hostile_list_ok(&c, "LIST after the second HELLO");
out:
	hostile_close(&c, false);
}

/* REVOKE_ACK for a descriptor never revoked (or never held) is ignored: no answer, no harm. */
static void hostile_case_unsolicited_ack(const char *export)
{
	struct hostile_conn c;
	struct daxmr_proto_desc d;
	struct daxmr_proto_msg m = { 0 };

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello(&c))
		goto out;
	m.hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK;
	m.hdr.request_id = 12345;
	m.revoke_ack.export_id = 0xdeadbeef;
	m.revoke_ack.generation = 77;
	if (hostile_encode(&c, &m) > 0 && !hostile_send_raw(&c, hostile_tx_buf(&c), 36))
		hostile_expect_quiet(&c, "REVOKE_ACK of export 0xdeadbeef never held");
	if (!hostile_open(&c, export, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_OK, &d))
		goto out;
	memset(&m, 0, sizeof(m));
	m.hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK;
	m.hdr.request_id = 12346;
	m.revoke_ack.export_id = d.export_id;
	m.revoke_ack.generation = d.generation;
	if (hostile_encode(&c, &m) > 0 && !hostile_send_raw(&c, hostile_tx_buf(&c), 36))
		hostile_expect_quiet(&c, "REVOKE_ACK of a held descriptor never revoked");
	if (hostile_rdma(&c, IBV_WR_RDMA_READ, d.addr, d.rkey, 64) == IBV_WC_SUCCESS)
		hostile_say("RDMA READ through the descriptor still succeeds");
	else
		hostile_fail("RDMA READ through a descriptor failed after an unsolicited "
			     "REVOKE_ACK: %s",
			     ibv_wc_status_str(c.rdma_status));
	hostile_list_ok(&c, "LIST afterwards");
out:
	hostile_close(&c, false);
}

/* An OPEN with a raw name of n bytes; the answer must be want. */
static void hostile_open_raw(struct hostile_conn *c, const void *name, uint16_t n, uint16_t wire_n,
			     uint8_t access, enum daxmr_proto_status want, const char *what)
{
	struct daxmr_proto_msg r;
	uint8_t *p = hostile_tx_buf(c);
	uint64_t id = c->next_req++;

	hostile_hdr(p, DAXMR_PROTO_MAGIC, c->version, DAXMR_PROTO_OP_OPEN, 3u + n, 0, 0, id);
	p[24] = access;
	hostile_put16(p + 25, wire_n);
	memcpy(p + 27, name, n);
	if (hostile_send_raw(c, p, 27u + n))
		return;
	hostile_expect_reply(c, id, DAXMR_PROTO_OP_OPEN, want, &r, what);
}

/* OPEN by path-like names, names with NUL/control bytes, bad lengths and a bad access byte. */
static void hostile_case_open_names(int argc, char **argv)
{
	static const char nul_name[] = { 'w', '\0', '.', '.', '/', 'x' };
	static const char ctl_name[] = { 'w', '\n' };
	static const char esc_name[] = { '\x1b', '[', '2', 'J' };
	static const char high_name[] = { 'w', '\xc3', '\xa9' };
	static const char sp_name[] = { 'w', ' ', 'x' };
	struct hostile_conn c;
	char long_name[300];
	int i;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello(&c))
		goto out;
	/* names that are paths on the server (argv: the exported files' paths and more) */
	for (i = 0; i < argc; i++)
		hostile_open(&c, argv[i], DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_NO_SUCH_EXPORT,
			     NULL);
	hostile_open_raw(&c, nul_name, sizeof(nul_name), sizeof(nul_name), DAXMR_PROTO_ACCESS_RO,
			 DAXMR_PROTO_STATUS_BAD_MESSAGE, "OPEN ro 'w\\0../x' (NUL inside)");
	hostile_open_raw(&c, nul_name, 2, 2, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_BAD_MESSAGE,
			 "OPEN ro 'w\\0' (NUL terminator on the wire)");
	hostile_open_raw(&c, ctl_name, sizeof(ctl_name), sizeof(ctl_name), DAXMR_PROTO_ACCESS_RO,
			 DAXMR_PROTO_STATUS_BAD_MESSAGE, "OPEN ro 'w\\n' (control byte)");
	hostile_open_raw(&c, esc_name, sizeof(esc_name), sizeof(esc_name), DAXMR_PROTO_ACCESS_RO,
			 DAXMR_PROTO_STATUS_BAD_MESSAGE, "OPEN ro '\\e[2J' (terminal escape)");
	hostile_open_raw(&c, high_name, sizeof(high_name), sizeof(high_name), DAXMR_PROTO_ACCESS_RO,
			 DAXMR_PROTO_STATUS_BAD_MESSAGE, "OPEN ro 'w\\xc3\\xa9' (non-ASCII)");
	hostile_open_raw(&c, sp_name, sizeof(sp_name), sizeof(sp_name), DAXMR_PROTO_ACCESS_RO,
			 DAXMR_PROTO_STATUS_BAD_MESSAGE, "OPEN ro 'w x' (space)");
	hostile_open_raw(&c, "", 0, 0, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_BAD_MESSAGE,
			 "OPEN ro '' (empty name)");
	memset(long_name, 'a', sizeof(long_name));
	hostile_open_raw(&c, long_name, 256, 256, DAXMR_PROTO_ACCESS_RO,
			 DAXMR_PROTO_STATUS_BAD_MESSAGE, "OPEN ro of a 256-byte name");
	hostile_open_raw(&c, "w", 1, 200, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_BAD_MESSAGE,
			 "OPEN ro 'w' whose name length says 200");
	hostile_open_raw(&c, "w", 1, 1, 0, DAXMR_PROTO_STATUS_BAD_MESSAGE,
			 "OPEN 'w' with access 0");
	hostile_open_raw(&c, "w", 1, 1, 3, DAXMR_PROTO_STATUS_BAD_MESSAGE,
			 "OPEN 'w' with access 3");
	hostile_list_ok(&c, "LIST afterwards");
out:
	hostile_close(&c, false);
}

/* rw OPEN of a ro export: ACCESS_DENIED; ro OPEN of it still works. */
static void hostile_case_open_ro_rw(const char *export)
{
	struct hostile_conn c;
	struct daxmr_proto_desc d;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (hostile_hello(&c) &&
	    hostile_open(&c, export, DAXMR_PROTO_ACCESS_RW, DAXMR_PROTO_STATUS_ACCESS_DENIED, NULL))
		hostile_open(&c, export, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_OK, &d);
	hostile_close(&c, false);
}

/* KEYS of export_id, generation gen, from first: true if answered want (the reply in *r). */
static bool hostile_keys(struct hostile_conn *c, uint32_t export_id, uint64_t gen, uint32_t first,
			 enum daxmr_proto_status want, struct daxmr_proto_msg *r, const char *what)
{
	struct daxmr_proto_msg m = { 0 };

	m.keys.export_id = export_id;
	m.keys.generation = gen;
	m.keys.first = first;
	if (!hostile_expect_reply(c, hostile_request(c, &m, DAXMR_PROTO_OP_KEYS),
				  DAXMR_PROTO_OP_KEYS, want, r, what))
		return false;
	if (want != DAXMR_PROTO_STATUS_OK && !r->reason[0]) {
		hostile_fail("%s: a version-3 %s reply without a reason", what,
			     daxmr_proto_status_str(want));
		return false;
	}
	if (r->reason[0])
		hostile_say("%s: reason \"%s\"", what, r->reason);
	return true;
}

/*
 * Version 3 KEYS misuse: before OPEN, of no export, of another generation, past the last
 * segment, with 15- and 17-byte payloads; each answered with its status (and a reason), the
 * connection staying up; then a good KEYS returns the descriptor's key.
 */
static void hostile_case_keys(const char *export)
{
	struct hostile_conn c;
	struct daxmr_proto_desc d;
	struct daxmr_proto_msg r;
	uint32_t id;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (c.version < DAXMR_PROTO_VERSION_SEG) {
		hostile_fail("version %u chosen, KEYS needs %d", c.version,
			     DAXMR_PROTO_VERSION_SEG);
		goto out;
	}
	if (!hostile_hello(&c) ||
	    !hostile_open(&c, export, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_OK, &d))
		goto out;
	id = d.export_id;
	if (!hostile_expect_reply(
		    &c,
		    hostile_request(&c, &(struct daxmr_proto_msg){ .close = { id, d.generation } },
				    DAXMR_PROTO_OP_CLOSE),
		    DAXMR_PROTO_OP_CLOSE, DAXMR_PROTO_STATUS_OK, &r, "CLOSE"))
		goto out;
	hostile_keys(&c, id, d.generation, 0, DAXMR_PROTO_STATUS_NOT_OPEN, &r,
		     "KEYS of an export not (or no longer) open");
	hostile_keys(&c, 0xffffffffu, 1, 0, DAXMR_PROTO_STATUS_NO_SUCH_EXPORT, &r,
		     "KEYS of export id 0xffffffff");
	if (!hostile_open(&c, export, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_OK, &d))
		goto out;
	hostile_keys(&c, id, d.generation + 1, 0, DAXMR_PROTO_STATUS_STALE_GENERATION, &r,
		     "KEYS of the next generation");
	hostile_keys(&c, id, 0, 0, DAXMR_PROTO_STATUS_STALE_GENERATION, &r, "KEYS of generation 0");
	hostile_keys(&c, id, d.generation, d.nseg, DAXMR_PROTO_STATUS_OUT_OF_RANGE, &r,
		     "KEYS from segment nseg");
	hostile_keys(&c, id, d.generation, 0xffffffffu, DAXMR_PROTO_STATUS_OUT_OF_RANGE, &r,
		     "KEYS from segment 0xffffffff");
	/* payloads of the wrong size: BAD_MESSAGE, the connection stays */
	hostile_hdr(hostile_tx_buf(&c), DAXMR_PROTO_MAGIC, c.version, DAXMR_PROTO_OP_KEYS, 15, 0, 0,
		    50);
	memset(hostile_tx_buf(&c) + 24, 0, 17);
	if (hostile_send_raw(&c, hostile_tx_buf(&c), 39))
		goto out;
	hostile_expect_reply(&c, 50, DAXMR_PROTO_OP_KEYS, DAXMR_PROTO_STATUS_BAD_MESSAGE, &r,
			     "KEYS with a 15-byte payload");
	hostile_hdr(hostile_tx_buf(&c), DAXMR_PROTO_MAGIC, c.version, DAXMR_PROTO_OP_KEYS, 17, 0, 0,
		    51);
	if (hostile_send_raw(&c, hostile_tx_buf(&c), 41))
		goto out;
	hostile_expect_reply(&c, 51, DAXMR_PROTO_OP_KEYS, DAXMR_PROTO_STATUS_BAD_MESSAGE, &r,
			     "KEYS with a 17-byte payload");
	if (hostile_keys(&c, id, d.generation, 0, DAXMR_PROTO_STATUS_OK, &r, "KEYS from 0") &&
	    (r.keys_reply.first != 0 || r.keys_reply.count != d.nseg ||
	     r.keys_reply.keys[0] != d.rkey))
		hostile_fail("KEYS from 0: first %u count %u key 0x%x, expected 0, %u, 0x%x",
			     r.keys_reply.first, r.keys_reply.count, r.keys_reply.keys[0], d.nseg,
			     d.rkey);
	hostile_list_ok(&c, "LIST afterwards");
out:
	hostile_close(&c, false);
}

static bool hostile_flood_done(struct hostile_conn *c)
{
	return c->disconnected;
}

/*
 * Sends n LISTs back to back, far more than the credits. The server may RNR-stall us (its
 * receives are the credits), answer BUSY or disconnect; it must not hang or crash. recv: how
 * many receives we keep posted (0: only one for the HELLO reply, never reposted: the server's
 * replies cannot be delivered and its send ring must fill).
 */
static void hostile_case_flood(unsigned int n, bool starve)
{
	struct hostile_conn c;
	struct daxmr_proto_msg m = { 0 };
	unsigned int i, ok = 0, busy = 0, other = 0, sent;
	long long t0;
	int err, r;
	char s[128];

	if (hostile_connect_ok(&c, starve ? 1 : HOSTILE_RECVS))
		return;
	if (starve)
		c.repost = false;
	if (!hostile_hello(&c))
		goto out;
	hostile_say("credits %u; sending %u LISTs without waiting%s", c.credits, n,
		    starve ? ", no receive posted for the replies" : "");
	m.hdr.opcode = DAXMR_PROTO_OP_LIST;
	m.hdr.version = c.version;
	if (n > HOSTILE_RECVS / 2)
		n = HOSTILE_RECVS / 2; /* the send queue's depth; each message has its own bytes */
	for (i = 0; i < n; i++) {
		m.hdr.request_id = 1000 + i;
		if (daxmr_proto_msg_encode(&m, hostile_tx_buf(&c) + i * 32, 32) < 0 ||
		    hostile_post_send(&c, i * 32, DAXMR_PROTO_HDR_SIZE + 4))
			break;
	}
	hostile_say("%u SENDs posted at once", i);
	/* a server that disconnects may leave some of them retrying: not a failure by itself */
	(void)hostile_wait(&c, hostile_sends_drained, HOSTILE_WAIT_MS);
	sent = i;
	hostile_say("%u of %u SENDs completed%s%s", c.sends_done - 1, n, /* - the HELLO */
		    c.send_err != IBV_WC_SUCCESS ? ", then " : "",
		    c.send_err != IBV_WC_SUCCESS ? ibv_wc_status_str(c.send_err) : "");
	if (starve) {
		t0 = hostile_now_ms();
		if (!hostile_wait(&c, hostile_flood_done, 3 * HOSTILE_WAIT_MS))
			hostile_fail("a client that takes no replies is still connected %d ms "
				     "after %u requests (expected a disconnect: send ring full)",
				     3 * HOSTILE_WAIT_MS, sent);
		else
			hostile_say("disconnected by the server %lld ms after the flood",
				    hostile_now_ms() - t0);
		goto out;
	}
	while (ok + busy + other < sent) {
		r = hostile_next(&c, HOSTILE_WAIT_MS, &m, &err);
		if (r == -ETIMEDOUT) {
			hostile_fail("%u of %u requests unanswered %d ms later, still connected "
				     "(a hang)",
				     sent - ok - busy - other, sent, HOSTILE_WAIT_MS);
			goto out;
		}
		if (r == 0)
			break;
		if (!err && m.hdr.opcode == DAXMR_PROTO_OP_LIST &&
		    m.hdr.status == DAXMR_PROTO_STATUS_OK)
			ok++;
		else if (!err && m.hdr.status == DAXMR_PROTO_STATUS_BUSY)
			busy++;
		else {
			other++;
			if (!err) {
				hostile_msg_str(&m, s, sizeof(s));
				hostile_say("answer: %s", s);
			}
		}
	}
	hostile_say("answers: %u OK, %u BUSY, %u other%s", ok, busy, other,
		    c.disconnected ? "; then disconnected" : "; still connected");
	if (other)
		hostile_fail("unexpected answers to a LIST flood");
	/* well-formed requests within posted receives: a server that answers none is broken,
	 * even if it then disconnects (it did so for a flood in the wrong header version) */
	if (ok + busy == 0)
		hostile_fail("none of the %u well-formed LISTs was answered", sent);
	if (!c.disconnected && ok + busy == sent)
		hostile_say("the server paced the flood through its receive credits (RNR) and "
			    "answered every request");
out:
	hostile_close(&c, false);
}

/* One connect with hostile private data: a reject (with daxmr reject data: want) or accept. */
static void hostile_case_cm(const char *kind)
{
	uint8_t p[56] = { 0 };
	uint8_t len = 8;
	struct hostile_conn c;
	struct daxmr_proto_cm_reject rej;
	bool want_accept = false;
	int want = DAXMR_PROTO_STATUS_BAD_MESSAGE, want2 = -1, ret;

	hostile_put32(p, DAXMR_PROTO_MAGIC);
	hostile_put16(p + 4, 1);
	hostile_put16(p + 6, 1);
	if (!strcmp(kind, "none")) {
		len = 0;
	} else if (!strcmp(kind, "short")) {
		len = 3;
	} else if (!strcmp(kind, "garbage")) {
		for (unsigned int i = 0; i < sizeof(p); i++)
			p[i] = (uint8_t)(i * 37 + 11);
		len = sizeof(p);
	} else if (!strcmp(kind, "bad-magic")) {
		hostile_put32(p, 0x52584d44u);
	} else if (!strcmp(kind, "version-high")) {
		hostile_put16(p + 4, DAXMR_PROTO_VERSION_MAX + 1);
		hostile_put16(p + 6, 9);
		want = DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION;
	} else if (!strcmp(kind, "version-zero")) {
		hostile_put16(p + 4, 0);
		hostile_put16(p + 6, 0);
		want2 = DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION;
	} else if (!strcmp(kind, "version-inverted")) {
		hostile_put16(p + 4, 1);
		hostile_put16(p + 6, 0);
		want2 = DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION;
	} else if (!strcmp(kind, "long")) {
		memset(p + 8, 0xee, sizeof(p) - 8); /* receivers ignore bytes past the fields */
		len = sizeof(p);
		want_accept = true;
	} else {
		hostile_fail("unknown private data kind %s", kind);
		return;
	}
	hostile_say("connecting with %u bytes of private data (%s)", len, kind);
	ret = hostile_connect(&c, len ? p : NULL, len, HOSTILE_RECVS);
	if (ret == 0) {
		if (want_accept) {
			/* the connect data said 1..1: version 1 still works */
			hostile_say("accepted, version %u, %u credits", c.version, c.credits);
			if (c.version != 1)
				hostile_fail("versions 1..1 accepted as version %u", c.version);
			else if (hostile_hello(&c))
				hostile_list_ok(&c, "LIST in version 1");
		} else {
			hostile_fail("accepted, expected a reject");
		}
		hostile_close(&c, false);
		return;
	}
	if (ret != -ECONNREFUSED) {
		hostile_fail("connect ended with %s, expected %s", strerror(-ret),
			     want_accept ? "an accept" : "a reject");
		return; /* hostile_connect closed c */
	}
	if (daxmr_proto_cm_reject_decode(c.pdata, c.pdata_len, &rej)) {
		hostile_fail("rejected (status %d) without valid daxmr reject data (%zu bytes)",
			     c.ev_status, c.pdata_len);
	} else if (want_accept) {
		hostile_fail("rejected (%s), expected an accept",
			     daxmr_proto_status_str(rej.status));
	} else if ((int)rej.status != want && (int)rej.status != want2) {
		hostile_fail("rejected with %s, expected %s", daxmr_proto_status_str(rej.status),
			     daxmr_proto_status_str(want));
	} else if (rej.version_min != DAXMR_PROTO_VERSION_MIN ||
		   rej.version_max != DAXMR_PROTO_VERSION_MAX) {
		hostile_fail("rejected: %s, but the server says it speaks %u..%u, expected %u..%u "
			     "(no secret)",
			     daxmr_proto_status_str(rej.status), rej.version_min, rej.version_max,
			     DAXMR_PROTO_VERSION_MIN, DAXMR_PROTO_VERSION_MAX);
	} else {
		hostile_say("rejected: %s, server speaks %u..%u",
			    daxmr_proto_status_str(rej.status), rej.version_min, rej.version_max);
	}
	hostile_close(&c, true);
}

/* Connects, says nothing for ms, disconnects. */
static void hostile_case_no_hello(long ms)
{
	struct hostile_conn c;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	hostile_say("connected (%u credits); silent for %ld ms", c.credits, ms);
	hostile_poll(&c);
	if (c.rx_head != c.rx_tail)
		hostile_fail("the server sent something before HELLO");
	hostile_sleep_ms(ms);
	hostile_poll(&c);
	if (c.rx_head != c.rx_tail)
		hostile_fail("the server sent something before HELLO");
	else if (c.disconnected)
		hostile_say("the server disconnected a silent client");
	else
		hostile_say("nothing received; disconnecting");
	hostile_close(&c, false);
}

/* n connections in a row, each left a different way. */
static void hostile_case_churn(unsigned int n)
{
	struct hostile_conn c;
	struct daxmr_proto_msg m = { 0 };
	unsigned int i, est = 0;
	long long t0 = hostile_now_ms();

	for (i = 0; i < n; i++) {
		if (hostile_connect_ok(&c, 4))
			continue;
		est++;
		switch (i % 4) {
		case 0: /* connect, disconnect */
			hostile_close(&c, false);
			break;
		case 1: /* HELLO, disconnect */
			hostile_hello(&c);
			hostile_close(&c, false);
			break;
		case 2: /* a request in flight, then vanish without rdma_disconnect */
			m.hdr.opcode = DAXMR_PROTO_OP_LIST;
			m.hdr.version = c.version;
			m.hdr.request_id = i;
			if (hostile_encode(&c, &m) > 0)
				(void)hostile_post_send(&c, 0, DAXMR_PROTO_HDR_SIZE + 4);
			hostile_close(&c, true);
			break;
		default: /* vanish at once */
			hostile_close(&c, true);
			break;
		}
	}
	hostile_say("%u of %u connections established and dropped in %lld ms", est, n,
		    hostile_now_ms() - t0);
}

/* A's descriptor's key used by another connection B. */
static void hostile_case_key_cross(const char *export)
{
	static const char mark[] = "CROSS-CLIENT-WRITE";
	struct hostile_conn a, b;
	struct daxmr_proto_desc d;
	int st;

	if (hostile_connect_ok(&a, HOSTILE_RECVS))
		return;
	if (!hostile_hello(&a) ||
	    !hostile_open(&a, export, DAXMR_PROTO_ACCESS_RW, DAXMR_PROTO_STATUS_OK, &d))
		goto out_a;
	if (hostile_connect_ok(&b, HOSTILE_RECVS))
		goto out_a;
	if (!hostile_hello(&b))
		goto out;
	memcpy(hostile_rdma_buf(&b), mark, sizeof(mark));
	st = hostile_rdma(&b, IBV_WR_RDMA_WRITE, d.addr, d.rkey, sizeof(mark));
	if (st < 0)
		goto out;
	hostile_say("B's RDMA WRITE with A's rkey 0x%x completed: %s", d.rkey,
		    ibv_wc_status_str((enum ibv_wc_status)st));
	if (d.key_kind == DAXMR_PROTO_KEY_MW) {
		if (st != IBV_WC_REM_ACCESS_ERR)
			hostile_fail("key_kind mw: B's write with A's window key must fail with "
				     "IBV_WC_REM_ACCESS_ERR, got %s",
				     ibv_wc_status_str((enum ibv_wc_status)st));
		else
			hostile_say("ok: per-connection window: another client's key is refused");
		st = hostile_rdma(&a, IBV_WR_RDMA_READ, d.addr, d.rkey, sizeof(mark));
		if (st == IBV_WC_SUCCESS)
			hostile_say("A's own key still works after B's failed attempt");
		else if (st >= 0)
			hostile_fail("A's RDMA READ failed after B's attempt: %s",
				     ibv_wc_status_str((enum ibv_wc_status)st));
		goto out;
	}
	if (st != IBV_WC_SUCCESS) {
		hostile_fail("key_kind mr: the shared MR key should work on any QP of the PD, "
			     "B's write failed with %s",
			     ibv_wc_status_str((enum ibv_wc_status)st));
		goto out;
	}
	st = hostile_rdma(&a, IBV_WR_RDMA_READ, d.addr, d.rkey, sizeof(mark));
	if (st == IBV_WC_SUCCESS && !memcmp(hostile_rdma_buf(&a), mark, sizeof(mark)))
		hostile_say("A reads back B's bytes");
	else if (st >= 0)
		hostile_fail("A's read-back: %s, bytes %s",
			     ibv_wc_status_str((enum ibv_wc_status)st),
			     memcmp(hostile_rdma_buf(&a), mark, sizeof(mark)) ? "differ" : "match");
	hostile_say("shared MR key: cross-client use not prevented (key_kind MR)");
out:
	hostile_close(&b, false);
out_a:
	hostile_close(&a, false);
}

/* RDMA WRITE with the key of a ro OPEN: remote access error. */
static void hostile_case_ro_key(const char *export)
{
	struct hostile_conn c;
	struct daxmr_proto_desc d;
	int st;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello(&c) ||
	    !hostile_open(&c, export, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_OK, &d))
		goto out;
	st = hostile_rdma(&c, IBV_WR_RDMA_READ, d.addr, d.rkey, 64);
	if (st != IBV_WC_SUCCESS) {
		if (st >= 0)
			hostile_fail("RDMA READ with the ro key failed: %s",
				     ibv_wc_status_str((enum ibv_wc_status)st));
		goto out;
	}
	hostile_say("RDMA READ with the ro key: success");
	memset(hostile_rdma_buf(&c), 0x5a, 64);
	st = hostile_rdma(&c, IBV_WR_RDMA_WRITE, d.addr, d.rkey, 64);
	if (st < 0)
		goto out;
	if (st != IBV_WC_REM_ACCESS_ERR)
		hostile_fail("RDMA WRITE with the ro key completed with %s, expected "
			     "IBV_WC_REM_ACCESS_ERR",
			     ibv_wc_status_str((enum ibv_wc_status)st));
	else
		hostile_say("RDMA WRITE with the ro key: %s, as expected",
			    ibv_wc_status_str((enum ibv_wc_status)st));
out:
	hostile_close(&c, false);
}

static bool hostile_file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * Holds export rw, ignores the REVOKE, and once go_file exists (the lease breaker returned:
 * daxmrd released the export) reads through the revoked key: remote access error.
 */
static void hostile_case_revoked_key(const char *export, const char *go_file)
{
	struct hostile_conn c;
	struct daxmr_proto_desc d;
	struct daxmr_proto_msg m;
	long long end;
	int err = 0, r, st;
	char s[128];

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello(&c) ||
	    !hostile_open(&c, export, DAXMR_PROTO_ACCESS_RW, DAXMR_PROTO_STATUS_OK, &d))
		goto out;
	st = hostile_rdma(&c, IBV_WR_RDMA_READ, d.addr, d.rkey, 64);
	if (st != IBV_WC_SUCCESS) {
		if (st >= 0)
			hostile_fail("RDMA READ before the revocation failed: %s",
				     ibv_wc_status_str((enum ibv_wc_status)st));
		goto out;
	}
	hostile_say("holding export=%s generation=%llu", export, (unsigned long long)d.generation);
	for (;;) {
		r = hostile_next(&c, 60000, &m, &err);
		if (r <= 0) {
			hostile_fail("%s while waiting for the REVOKE",
				     r ? "nothing within 60 s" : "disconnected");
			goto out;
		}
		if (err)
			continue;
		hostile_msg_str(&m, s, sizeof(s));
		hostile_say("got %s", s);
		if (m.hdr.opcode == DAXMR_PROTO_OP_REVOKE)
			break;
	}
	hostile_say("revoked generation=%llu deadline_ms=%u: not acknowledging it",
		    (unsigned long long)m.revoke.generation, m.revoke.deadline_ms);
	end = hostile_now_ms() + 60000;
	while (!hostile_file_exists(go_file)) {
		if (hostile_now_ms() > end) {
			hostile_fail("%s did not appear within 60 s", go_file);
			goto out;
		}
		hostile_poll(&c);
		hostile_sleep_ms(10);
	}
	st = hostile_rdma(&c, IBV_WR_RDMA_READ, d.addr, d.rkey, 64);
	if (st < 0)
		goto out;
	if (st != IBV_WC_REM_ACCESS_ERR)
		hostile_fail("RDMA READ with the revoked key completed with %s, expected "
			     "IBV_WC_REM_ACCESS_ERR",
			     ibv_wc_status_str((enum ibv_wc_status)st));
	else
		hostile_say("RDMA READ with the revoked key: %s, as expected",
			    ibv_wc_status_str((enum ibv_wc_status)st));
out:
	hostile_close(&c, false);
}

/* ---- authentication (version 2) and allowlists ----------------------------------------- */

/* Loads the secret file shared with the daemon under test; false (a failure recorded) if not. */
static bool hostile_key_load(const char *path, struct daxmr_auth_key *key)
{
	char why[320];
	int ret = daxmr_auth_key_load(path, key, why, sizeof(why));

	if (ret)
		hostile_fail("cannot load the secret: %s", why);
	return ret == 0;
}

/*
 * The identity the authentication cases speak as from version 4 on ("": the anonymous one, the
 * secret's), and the one their proofs are made for (differs only in the cross-identity cases).
 */
static const char *hostile_identity = "";
static const char *hostile_signer = "";

/* A proof as the connection's version computes it: from version 4 bound to hostile_signer. */
static void hostile_proof(const struct hostile_conn *c, const struct daxmr_auth_key *key,
			  enum daxmr_auth_role role, const uint8_t *challenge, const uint8_t *nonce,
			  uint8_t *proof)
{
	if (c->version >= DAXMR_PROTO_VERSION_ID)
		daxmr_auth_proof_id(key, role, c->version, hostile_signer, challenge, nonce, proof);
	else
		daxmr_auth_proof(key, role, challenge, nonce, proof);
}

/* HELLO to a server that requires AUTH: the reply must set AUTH and carry a challenge. */
static bool hostile_hello_auth(struct hostile_conn *c, uint8_t challenge[DAXMR_AUTH_NONCE_SIZE])
{
	static const uint8_t zero[DAXMR_AUTH_NONCE_SIZE];
	struct daxmr_proto_msg r;

	if (!hostile_hello_reply(c, &r))
		return false;
	if (r.hello_reply.version < DAXMR_PROTO_VERSION_AUTH ||
	    !(r.hello_reply.flags & DAXMR_PROTO_HELLO_F_AUTH)) {
		hostile_fail("HELLO reply: version %u flags 0x%x, a server with a secret must "
			     "answer version %u or later with flag AUTH",
			     r.hello_reply.version, r.hello_reply.flags, DAXMR_PROTO_VERSION_AUTH);
		return false;
	}
	if (!memcmp(r.hello_reply.challenge, zero, sizeof(zero))) {
		hostile_fail("the HELLO reply's challenge is all zeros");
		return false;
	}
	memcpy(challenge, r.hello_reply.challenge, DAXMR_AUTH_NONCE_SIZE);
	hostile_say("HELLO reply sets AUTH, challenge %02x%02x%02x%02x...", challenge[0],
		    challenge[1], challenge[2], challenge[3]);
	return true;
}

/* Sends AUTH with nonce and proof; returns its request id, or 0. */
static uint64_t hostile_send_auth(struct hostile_conn *c, const uint8_t *nonce,
				  const uint8_t *proof)
{
	struct daxmr_proto_msg m = { 0 };

	memcpy(m.auth.nonce, nonce, sizeof(m.auth.nonce));
	memcpy(m.auth.proof, proof, sizeof(m.auth.proof));
	if (c->version >= DAXMR_PROTO_VERSION_ID)
		snprintf(m.auth.identity, sizeof(m.auth.identity), "%s", hostile_identity);
	return hostile_request(c, &m, DAXMR_PROTO_OP_AUTH);
}

/*
 * AUTH as a legitimate client: a fresh nonce and proof_c over challenge and nonce (both handed
 * back, for a replay). True if answered OK with a server proof that verifies as role SERVER.
 */
static bool hostile_auth(struct hostile_conn *c, const struct daxmr_auth_key *key,
			 const uint8_t *challenge, uint8_t *nonce, uint8_t *proof)
{
	struct daxmr_proto_msg r;

	uint8_t want[DAXMR_AUTH_PROOF_SIZE];

	daxmr_auth_random(nonce, DAXMR_AUTH_NONCE_SIZE);
	hostile_proof(c, key, DAXMR_AUTH_CLIENT, challenge, nonce, proof);
	if (!hostile_expect_reply(c, hostile_send_auth(c, nonce, proof), DAXMR_PROTO_OP_AUTH,
				  DAXMR_PROTO_STATUS_OK, &r, "AUTH with the right proof"))
		return false;
	hostile_proof(c, key, DAXMR_AUTH_SERVER, challenge, nonce, want);
	if (memcmp(want, r.auth_reply.proof, sizeof(want)) != 0) {
		hostile_fail("the server's proof in the AUTH reply does not verify (role server)");
		return false;
	}
	hostile_say("the server's proof verifies: it knows the secret too");
	return true;
}

static bool hostile_cm_down(struct hostile_conn *c)
{
	return c->cm_disconnected;
}

/* After a denied AUTH: nothing more arrives, and rdma_cm reports DISCONNECTED within the bound. */
static void hostile_expect_disconnect(struct hostile_conn *c, const char *what)
{
	long long t0 = hostile_now_ms();
	unsigned int i;

	if (!hostile_wait(c, hostile_cm_down, HOSTILE_WAIT_MS)) {
		hostile_fail("%s: still connected %d ms later, expected the server to disconnect",
			     what, HOSTILE_WAIT_MS);
		return;
	}
	for (i = c->rx_head; i != c->rx_tail; i++)
		if (c->rx[i % HOSTILE_QUEUE].status == IBV_WC_SUCCESS)
			hostile_fail("%s: the server sent another message before disconnecting",
				     what);
	hostile_say("%s: disconnected by the server (rdma_cm DISCONNECTED) %lld ms later", what,
		    hostile_now_ms() - t0);
}

/* A connect offering vmin..vmax must be rejected with want and the server's range smin..smax. */
static void hostile_expect_reject(uint16_t vmin, uint16_t vmax, enum daxmr_proto_status want,
				  uint16_t smin, uint16_t smax)
{
	struct daxmr_proto_cm_connect cm = { .version_min = vmin, .version_max = vmax };
	uint8_t pdata[DAXMR_PROTO_CM_CONNECT_SIZE];
	struct daxmr_proto_cm_reject rej;
	struct hostile_conn c;
	int ret;

	if (daxmr_proto_cm_connect_encode(&cm, pdata, sizeof(pdata)) < 0) {
		hostile_fail("cannot encode versions %u..%u", vmin, vmax);
		return;
	}
	hostile_say("connecting with versions %u..%u", vmin, vmax);
	ret = hostile_connect(&c, pdata, sizeof(pdata), HOSTILE_RECVS);
	if (ret == 0) {
		hostile_fail("accepted (version %u), expected a reject %s", c.version,
			     daxmr_proto_status_str(want));
		hostile_close(&c, false);
		return;
	}
	if (ret != -ECONNREFUSED) {
		hostile_fail("connect ended with %s, expected a reject", strerror(-ret));
		return; /* hostile_connect closed c */
	}
	if (daxmr_proto_cm_reject_decode(c.pdata, c.pdata_len, &rej))
		hostile_fail("rejected (status %d) without valid daxmr reject data (%zu bytes)",
			     c.ev_status, c.pdata_len);
	else if (rej.status != want || rej.version_min != smin || rej.version_max != smax)
		hostile_fail("rejected: %s, server speaks %u..%u; expected %s, %u..%u",
			     daxmr_proto_status_str(rej.status), rej.version_min, rej.version_max,
			     daxmr_proto_status_str(want), smin, smax);
	else
		hostile_say("rejected: %s, server speaks %u..%u%s%s",
			    daxmr_proto_status_str(rej.status), rej.version_min, rej.version_max,
			    rej.reason[0] ? "; why: " : "", rej.reason);
	hostile_close(&c, true);
}

/* A server with a secret speaks only versions 2..: a version-1-only connect is rejected. */
static void hostile_case_auth_v1_only(void)
{
	char want[96];

	hostile_expect_reject(1, 1, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION,
			      DAXMR_PROTO_VERSION_AUTH, DAXMR_PROTO_VERSION_MAX);
	snprintf(want, sizeof(want), "we speak %d..%d (clients must authenticate",
		 DAXMR_PROTO_VERSION_AUTH, DAXMR_PROTO_VERSION_MAX);
	hostile_say("server log must say: %s", want);
}

/* Every request but AUTH is ACCESS_DENIED until AUTH succeeds; the connection stays up. */
static void hostile_case_auth_required(const char *secret, const char *export)
{
	uint8_t ch[DAXMR_AUTH_NONCE_SIZE], nonce[DAXMR_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_proto_msg m = { 0 }, r;
	struct daxmr_auth_key key;
	struct hostile_conn c;

	if (!hostile_key_load(secret, &key) || hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello_auth(&c, ch))
		goto out;
	hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_LIST), DAXMR_PROTO_OP_LIST,
			     DAXMR_PROTO_STATUS_ACCESS_DENIED, &r, "LIST before AUTH");
	hostile_open(&c, export, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_ACCESS_DENIED, NULL);
	hostile_open(&c, export, DAXMR_PROTO_ACCESS_RW, DAXMR_PROTO_STATUS_ACCESS_DENIED, NULL);
	memset(&m, 0, sizeof(m));
	m.close.export_id = 1;
	m.close.generation = 1;
	hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_CLOSE),
			     DAXMR_PROTO_OP_CLOSE, DAXMR_PROTO_STATUS_ACCESS_DENIED, &r,
			     "CLOSE before AUTH");
	memset(&m, 0, sizeof(m));
	m.flush.export_id = 1;
	m.flush.generation = 1;
	m.flush.length = 4096;
	hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_FLUSH),
			     DAXMR_PROTO_OP_FLUSH, DAXMR_PROTO_STATUS_ACCESS_DENIED, &r,
			     "FLUSH before AUTH");
	hostile_expect_quiet(&c, "after the denied requests");
	if (hostile_auth(&c, &key, ch, nonce, proof))
		hostile_list_ok(&c, "LIST once authenticated");
out:
	hostile_close(&c, false);
}

/* AUTH before HELLO (proof over the all-zero challenge no HELLO set yet): BAD_STATE. */
static void hostile_case_auth_before_hello(const char *secret)
{
	static const uint8_t zero[DAXMR_AUTH_NONCE_SIZE];
	uint8_t ch[DAXMR_AUTH_NONCE_SIZE], nonce[DAXMR_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_proto_msg m = { 0 }, r;
	struct daxmr_auth_key key;
	struct hostile_conn c;

	if (!hostile_key_load(secret, &key) || hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_LIST), DAXMR_PROTO_OP_LIST,
			     DAXMR_PROTO_STATUS_BAD_STATE, &r, "LIST before HELLO");
	daxmr_auth_random(nonce, sizeof(nonce));
	hostile_proof(&c, &key, DAXMR_AUTH_CLIENT, zero, nonce, proof);
	hostile_expect_reply(&c, hostile_send_auth(&c, nonce, proof), DAXMR_PROTO_OP_AUTH,
			     DAXMR_PROTO_STATUS_BAD_STATE, &r,
			     "AUTH before HELLO (proof over a zero challenge)");
	if (hostile_hello_auth(&c, ch) && hostile_auth(&c, &key, ch, nonce, proof))
		hostile_list_ok(&c, "LIST after HELLO and AUTH");
	hostile_close(&c, false);
}

/* A second AUTH, itself valid, after a good one: BAD_STATE; the connection stays usable. */
static void hostile_case_auth_twice(const char *secret)
{
	uint8_t ch[DAXMR_AUTH_NONCE_SIZE], nonce[DAXMR_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_auth_key key;
	struct daxmr_proto_msg r;
	struct hostile_conn c;

	if (!hostile_key_load(secret, &key) || hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello_auth(&c, ch) || !hostile_auth(&c, &key, ch, nonce, proof))
		goto out;
	daxmr_auth_random(nonce, sizeof(nonce));
	hostile_proof(&c, &key, DAXMR_AUTH_CLIENT, ch, nonce, proof);
	hostile_expect_reply(&c, hostile_send_auth(&c, nonce, proof), DAXMR_PROTO_OP_AUTH,
			     DAXMR_PROTO_STATUS_BAD_STATE, &r, "second AUTH (a valid proof)");
	hostile_list_ok(&c, "LIST after the second AUTH");
out:
	hostile_close(&c, false);
}

/* AUTH with proof (already computed by the case): ACCESS_DENIED, then the server disconnects. */
static void hostile_auth_denied(struct hostile_conn *c, const uint8_t *nonce, const uint8_t *proof,
				const char *what)
{
	struct daxmr_proto_msg r;

	if (hostile_expect_reply(c, hostile_send_auth(c, nonce, proof), DAXMR_PROTO_OP_AUTH,
				 DAXMR_PROTO_STATUS_ACCESS_DENIED, &r, what))
		hostile_expect_disconnect(c, "after the denied AUTH");
	hostile_say("server log must say: AUTH failed: the client's proof does not match");
}

/* The right proof with one bit flipped. */
static void hostile_case_auth_wrong_proof(const char *secret)
{
	uint8_t ch[DAXMR_AUTH_NONCE_SIZE], nonce[DAXMR_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_auth_key key;
	struct hostile_conn c;

	if (!hostile_key_load(secret, &key) || hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (hostile_hello_auth(&c, ch)) {
		daxmr_auth_random(nonce, sizeof(nonce));
		hostile_proof(&c, &key, DAXMR_AUTH_CLIENT, ch, nonce, proof);
		proof[DAXMR_AUTH_PROOF_SIZE - 1] ^= 0x01;
		hostile_auth_denied(&c, nonce, proof,
				    "AUTH with the right proof, last bit flipped");
	}
	hostile_close(&c, false);
}

/* Connection A's accepted (nonce, proof) replayed on B, which got another challenge. */
static void hostile_case_auth_replay(const char *secret)
{
	uint8_t cha[DAXMR_AUTH_NONCE_SIZE], chb[DAXMR_AUTH_NONCE_SIZE];
	uint8_t nonce[DAXMR_AUTH_NONCE_SIZE], proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_auth_key key;
	struct hostile_conn a, b;

	if (!hostile_key_load(secret, &key) || hostile_connect_ok(&a, HOSTILE_RECVS))
		return;
	if (!hostile_hello_auth(&a, cha) || !hostile_auth(&a, &key, cha, nonce, proof))
		goto out_a;
	if (hostile_connect_ok(&b, HOSTILE_RECVS))
		goto out_a;
	if (hostile_hello_auth(&b, chb)) {
		if (!memcmp(cha, chb, sizeof(cha)))
			hostile_fail("two connections got the same challenge");
		hostile_auth_denied(&b, nonce, proof, "AUTH replaying A's nonce and proof on B");
	}
	hostile_close(&b, false);
	hostile_list_ok(&a, "LIST on A (authenticated) after B's replay");
out_a:
	hostile_close(&a, false);
}

/* The proof computed with the server's label sent as the client's: ACCESS_DENIED. */
static void hostile_case_auth_reflect(const char *secret)
{
	uint8_t ch[DAXMR_AUTH_NONCE_SIZE], nonce[DAXMR_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_auth_key key;
	struct hostile_conn c;

	if (!hostile_key_load(secret, &key) || hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (hostile_hello_auth(&c, ch)) {
		daxmr_auth_random(nonce, sizeof(nonce));
		hostile_proof(&c, &key, DAXMR_AUTH_SERVER, ch, nonce, proof);
		hostile_auth_denied(&c, nonce, proof, "AUTH with the server-role proof");
	}
	hostile_close(&c, false);
}

/* An AUTH whose payload has n bytes (64 expected): BAD_MESSAGE, no disconnect. */
static void hostile_auth_raw(struct hostile_conn *c, uint32_t n)
{
	uint8_t *p = hostile_tx_buf(c);
	uint64_t id = c->next_req++;
	struct daxmr_proto_msg r;
	char what[64];

	hostile_hdr(p, DAXMR_PROTO_MAGIC, c->version, DAXMR_PROTO_OP_AUTH, n, 0, 0, id);
	daxmr_auth_random(p + DAXMR_PROTO_HDR_SIZE, n);
	snprintf(what, sizeof(what), "AUTH with a %u-byte payload", n);
	if (!hostile_send_raw(c, p, DAXMR_PROTO_HDR_SIZE + n))
		hostile_expect_reply(c, id, DAXMR_PROTO_OP_AUTH, DAXMR_PROTO_STATUS_BAD_MESSAGE, &r,
				     what);
}

/* Malformed AUTH payloads are answered BAD_MESSAGE and cost no attempt: a good AUTH follows. */
static void hostile_case_auth_truncated(const char *secret)
{
	uint8_t ch[DAXMR_AUTH_NONCE_SIZE], nonce[DAXMR_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_auth_key key;
	struct hostile_conn c;

	if (!hostile_key_load(secret, &key) || hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello_auth(&c, ch))
		goto out;
	hostile_auth_raw(&c, 63);
	hostile_auth_raw(&c, 65);
	hostile_auth_raw(&c, 0);
	if (hostile_auth(&c, &key, ch, nonce, proof))
		hostile_list_ok(&c, "LIST once authenticated");
out:
	hostile_close(&c, false);
}

/* Good AUTH: the server's proof verifies; LIST shows export (not hidden); export opens, reads. */
static void hostile_case_auth_good(const char *secret, const char *export, const char *hidden)
{
	uint8_t ch[DAXMR_AUTH_NONCE_SIZE], nonce[DAXMR_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_proto_msg m = { 0 }, r;
	struct daxmr_auth_key key;
	struct daxmr_proto_desc d;
	struct hostile_conn c;
	bool seen = false;
	int st;

	if (!hostile_key_load(secret, &key) || hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello_auth(&c, ch) || !hostile_auth(&c, &key, ch, nonce, proof))
		goto out;
	if (!hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_LIST),
				  DAXMR_PROTO_OP_LIST, DAXMR_PROTO_STATUS_OK, &r,
				  "LIST once authenticated"))
		goto out;
	for (unsigned int i = 0; i < r.list_reply.count; i++) {
		hostile_say("listed: %s", r.list_reply.entries[i].name);
		seen |= !strcmp(r.list_reply.entries[i].name, export);
		if (hidden && !strcmp(r.list_reply.entries[i].name, hidden))
			hostile_fail("LIST shows %s, whose allowlist excludes us", hidden);
	}
	if (!seen)
		hostile_fail("LIST does not show %s", export);
	if (!hostile_open(&c, export, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_OK, &d))
		goto out;
	st = hostile_rdma(&c, IBV_WR_RDMA_READ, d.addr, d.rkey, 64);
	if (st == IBV_WC_SUCCESS)
		hostile_say("RDMA READ through the descriptor: success");
	else if (st >= 0)
		hostile_fail("RDMA READ through the descriptor: %s",
			     ibv_wc_status_str((enum ibv_wc_status)st));
	if (hidden)
		hostile_open(&c, hidden, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_ACCESS_DENIED,
			     NULL);
out:
	hostile_close(&c, false);
}

/* ---- identities (version 4) -------------------------------------------------------------- */

/* A server with identities speaks only version 4: a 1..3 connect is rejected, told 4..4. */
static void hostile_case_id_v3_refused(void)
{
	hostile_expect_reject(1, 3, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, DAXMR_PROTO_VERSION_ID,
			      DAXMR_PROTO_VERSION_MAX);
	hostile_say("server log must say: clients must name an identity, which needs version 4");
}

/*
 * AUTH naming `named`, its proof made with key for `signer`: denied, then disconnected; the
 * server log names cause (a wrong proof, or an identity it has no key for).
 */
static void hostile_id_denied(const char *keyfile, const char *named, const char *signer,
			      enum daxmr_auth_role role, const char *what)
{
	uint8_t ch[DAXMR_AUTH_NONCE_SIZE], nonce[DAXMR_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_auth_key key;
	struct daxmr_proto_msg r = { 0 };
	struct hostile_conn c;

	if (!hostile_key_load(keyfile, &key) || hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (hostile_hello_auth(&c, ch)) {
		hostile_identity = named;
		hostile_signer = signer;
		daxmr_auth_random(nonce, sizeof(nonce));
		hostile_proof(&c, &key, role, ch, nonce, proof);
		if (hostile_expect_reply(&c, hostile_send_auth(&c, nonce, proof),
					 DAXMR_PROTO_OP_AUTH, DAXMR_PROTO_STATUS_ACCESS_DENIED, &r,
					 what))
			hostile_expect_disconnect(&c, "after the denied AUTH");
		if (r.hdr.length)
			hostile_fail(
				"the denial carries %u payload bytes: it must say nothing more",
				r.hdr.length);
	}
	hostile_close(&c, false);
}

/* An identity the server has no key for: the same ACCESS_DENIED as a wrong proof. */
static void hostile_case_id_unknown(const char *key_a)
{
	hostile_id_denied(key_a, "nobody", "nobody", DAXMR_AUTH_CLIENT,
			  "AUTH as 'nobody' (no such identity), A's key");
	hostile_say("server log must say: identity 'nobody' is an identity daxmrd has no key for");
}

/*
 * Across identities: B's own valid proof under A's name; A's key proving B's name (A posing as
 * B); A's proof made for the anonymous identity presented as A's; the server-role proof of A
 * (reflection). Each denied.
 */
static void hostile_case_id_cross(const char *key_a, const char *key_b)
{
	hostile_id_denied(key_b, "tenant-a", "tenant-b", DAXMR_AUTH_CLIENT,
			  "AUTH as tenant-a with tenant-b's proof for tenant-b");
	hostile_id_denied(key_a, "tenant-b", "tenant-b", DAXMR_AUTH_CLIENT,
			  "AUTH as tenant-b, proved with tenant-a's key");
	hostile_id_denied(key_a, "tenant-a", "", DAXMR_AUTH_CLIENT,
			  "AUTH as tenant-a with a proof made for the anonymous identity");
	hostile_id_denied(key_a, "tenant-a", "tenant-a", DAXMR_AUTH_SERVER,
			  "AUTH as tenant-a with the server-role proof (reflection)");
	hostile_say("server log must say: does not match our secret of identity tenant-a");
}

/*
 * Switching identity mid-connection: AUTH as A, then a valid AUTH as B: BAD_STATE; the
 * connection stays A's (B's export hidden and denied).
 */
static void hostile_case_id_switch(const char *key_a, const char *key_b, const char *export_b)
{
	uint8_t ch[DAXMR_AUTH_NONCE_SIZE], nonce[DAXMR_AUTH_NONCE_SIZE];
	uint8_t proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_proto_msg m = { 0 }, r;
	struct daxmr_auth_key a, b;
	struct hostile_conn c;

	if (!hostile_key_load(key_a, &a) || !hostile_key_load(key_b, &b) ||
	    hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	hostile_identity = hostile_signer = "tenant-a";
	if (!hostile_hello_auth(&c, ch) || !hostile_auth(&c, &a, ch, nonce, proof))
		goto out;
	hostile_identity = hostile_signer = "tenant-b";
	daxmr_auth_random(nonce, sizeof(nonce));
	hostile_proof(&c, &b, DAXMR_AUTH_CLIENT, ch, nonce, proof);
	hostile_expect_reply(&c, hostile_send_auth(&c, nonce, proof), DAXMR_PROTO_OP_AUTH,
			     DAXMR_PROTO_STATUS_BAD_STATE, &r, "AUTH as tenant-b after tenant-a's");
	if (hostile_expect_reply(&c, hostile_request(&c, &m, DAXMR_PROTO_OP_LIST),
				 DAXMR_PROTO_OP_LIST, DAXMR_PROTO_STATUS_OK, &r, "LIST after it"))
		for (unsigned int i = 0; i < r.list_reply.count; i++)
			if (!strcmp(r.list_reply.entries[i].name, export_b))
				hostile_fail("LIST shows %s to the connection that is tenant-a's",
					     export_b);
	hostile_open(&c, export_b, DAXMR_PROTO_ACCESS_RO, DAXMR_PROTO_STATUS_ACCESS_DENIED, NULL);
out:
	hostile_close(&c, false);
}

/*
 * --max-handshakes-per-addr n: n silent connections (no HELLO) from our address; the next is
 * rejected BUSY with the reason; once one of them is gone, a connection is accepted again.
 */
static void hostile_case_handshake_limit(unsigned int n)
{
	struct hostile_conn held[8], c;
	unsigned int i, up = 0;
	int ret = -1;

	if (n == 0 || n > 8) {
		hostile_fail("handshake-limit %u: want 1..8", n);
		return;
	}
	for (i = 0; i < n; i++)
		if (hostile_connect_ok(&held[up], 4) == 0)
			up++;
	hostile_say("%u of %u connections held short of HELLO", up, n);
	if (up == n) {
		hostile_expect_reject(DAXMR_PROTO_VERSION_MIN, DAXMR_PROTO_VERSION_MAX,
				      DAXMR_PROTO_STATUS_BUSY, DAXMR_PROTO_VERSION_ID,
				      DAXMR_PROTO_VERSION_MAX);
		hostile_say("server log must say: handshakes in progress, the most daxmrd allows");
	}
	if (up)
		hostile_close(&held[--up], false);
	for (i = 0; i < 50 && ret; i++) { /* until daxmrd has seen that one go */
		hostile_sleep_ms(100);
		ret = hostile_connect_range(&c, 4, DAXMR_PROTO_VERSION_MIN,
					    DAXMR_PROTO_VERSION_MAX);
		if (!ret)
			hostile_close(&c, false);
	}
	if (ret)
		hostile_fail("below the handshake limit again, a connect is still refused");
	else
		hostile_say("below the limit again, a connection is accepted");
	while (up)
		hostile_close(&held[--up], false);
}

/* AUTH to a server without a secret (its HELLO reply did not ask for it): BAD_STATE. */
static void hostile_case_auth_no_secret(void)
{
	uint8_t nonce[DAXMR_AUTH_NONCE_SIZE], proof[DAXMR_AUTH_PROOF_SIZE];
	struct daxmr_proto_msg r;
	struct hostile_conn c;

	if (hostile_connect_ok(&c, HOSTILE_RECVS))
		return;
	if (!hostile_hello_reply(&c, &r))
		goto out;
	if (r.hello_reply.flags & DAXMR_PROTO_HELLO_F_AUTH) {
		hostile_fail("the HELLO reply of a server without a secret sets AUTH");
		goto out;
	}
	hostile_say("version %u, HELLO reply without AUTH", c.version);
	daxmr_auth_random(nonce, sizeof(nonce));
	daxmr_auth_random(proof, sizeof(proof));
	hostile_expect_reply(&c, hostile_send_auth(&c, nonce, proof), DAXMR_PROTO_OP_AUTH,
			     DAXMR_PROTO_STATUS_BAD_STATE, &r, "AUTH to a server without a secret");
	hostile_list_ok(&c, "LIST afterwards");
out:
	hostile_close(&c, false);
}

/* A connect from an address no export's allowlist holds: rejected ACCESS_DENIED. */
static void hostile_case_allow_denied(void)
{
	hostile_expect_reject(DAXMR_PROTO_VERSION_MIN, DAXMR_PROTO_VERSION_MAX,
			      DAXMR_PROTO_STATUS_ACCESS_DENIED, DAXMR_PROTO_VERSION_MIN,
			      DAXMR_PROTO_VERSION_MAX);
	hostile_say("server log must say: rejected (ACCESS_DENIED): no export's allowlist holds "
		    "its address");
}

static void hostile_usage(FILE *f)
{
	size_t i;

	fputs("Usage: daxmr-e2e-hostile SERVER CASE [ARG...]\nCASE:\n", f);
	for (i = 0; i < sizeof(hostile_bad_hdrs) / sizeof(hostile_bad_hdrs[0]); i++)
		fprintf(f, "  %-22s %s: ERROR + disconnect\n", hostile_bad_hdrs[i].name,
			hostile_bad_hdrs[i].what);
	fputs("  oversized-send         a 5000-byte SEND\n"
	      "  trailing-payload       payload with extra bytes: BAD_MESSAGE, stays up\n"
	      "  before-hello           requests before HELLO: BAD_STATE\n"
	      "  second-hello           a second HELLO: BAD_STATE\n"
	      "  unsolicited-ack EXPORT REVOKE_ACK never asked for: ignored\n"
	      "  open-names NAME...     OPEN of path-like and malformed names\n"
	      "  open-ro-rw EXPORT      rw OPEN of a ro export: ACCESS_DENIED\n"
	      "  keys EXPORT            version 3 KEYS before OPEN, of no export, of another\n"
	      "                         generation, past the end, malformed: each its status\n"
	      "                         and a reason, stays up\n"
	      "  flood N | flood-starve N   N requests without waiting\n"
	      "  cm KIND                connect private data: none short garbage bad-magic\n"
	      "                         version-high version-zero version-inverted long\n"
	      "  no-hello MS            connect, say nothing for MS ms, leave\n"
	      "  churn N                N connects and disconnects\n"
	      "  key-cross EXPORT       another connection's rkey\n"
	      "  ro-key EXPORT          RDMA WRITE with a ro OPEN's key\n"
	      "  revoked-key EXPORT GO  RDMA READ with a revoked key once GO exists\n"
	      "  auth-no-secret         AUTH to a server without a secret: BAD_STATE\n"
	      "  allow-denied           (a server no export of which admits us) connect: reject\n"
	      "                         ACCESS_DENIED\n"
	      "A server with --secret-file (SECRET: the same file):\n"
	      "  auth-v1-only           connect offering only version 1: reject, range 2..3\n"
	      "  auth-required SECRET EXPORT   LIST, OPEN, CLOSE, FLUSH before AUTH:\n"
	      "                         ACCESS_DENIED, stays up; then AUTH and LIST work\n"
	      "  auth-before-hello SECRET   LIST and AUTH before HELLO: BAD_STATE\n"
	      "  auth-twice SECRET      a second AUTH after a good one: BAD_STATE\n"
	      "  auth-wrong-proof SECRET    a wrong proof: ACCESS_DENIED, then disconnect\n"
	      "  auth-replay SECRET     another connection's nonce and proof: ACCESS_DENIED,\n"
	      "                         disconnect\n"
	      "  auth-reflect SECRET    the server-role proof as the client's: ACCESS_DENIED,\n"
	      "                         disconnect\n"
	      "  auth-truncated SECRET  AUTH payloads of 63, 65 and 0 bytes: BAD_MESSAGE\n"
	      "  auth-good SECRET EXPORT [HIDDEN]   AUTH OK, the server's proof verifies, LIST\n"
	      "                         shows EXPORT (not HIDDEN), OPEN and READ work\n"
	      "  auth-good-v2 SECRET EXPORT [HIDDEN]   the same over protocol version 2\n"
	      "  handshake-limit N      N silent connections, then the next is rejected BUSY\n"
	      "                         (--max-handshakes-per-addr N); one fewer: accepted\n"
	      "  id-v3-refused          a server with identities rejects versions 1..3\n"
	      "  id-unknown KEY_A       AUTH as an identity the server has no key for: denied\n"
	      "  id-cross KEY_A KEY_B   proofs across identities and reflected: each denied\n"
	      "  id-switch KEY_A KEY_B EXPORT_B   a second AUTH as B after A's: BAD_STATE;\n"
	      "                         EXPORT_B stays hidden and denied\n"
	      "  id-good KEY_A EXPORT HIDDEN   auth-good as identity tenant-a\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *arg;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		hostile_usage(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	hostile_server = argv[1];
	hostile_case = argv[2];
	arg = argc > 3 ? argv[3] : NULL;
	for (i = 0; i < sizeof(hostile_bad_hdrs) / sizeof(hostile_bad_hdrs[0]); i++)
		if (!strcmp(hostile_case, hostile_bad_hdrs[i].name)) {
			hostile_case_bad_hdr(&hostile_bad_hdrs[i]);
			goto done;
		}
	if (!strcmp(hostile_case, "oversized-send"))
		hostile_case_oversized_send();
	else if (!strcmp(hostile_case, "trailing-payload"))
		hostile_case_trailing_payload();
	else if (!strcmp(hostile_case, "before-hello"))
		hostile_case_before_hello();
	else if (!strcmp(hostile_case, "second-hello"))
		hostile_case_second_hello();
	else if (!strcmp(hostile_case, "unsolicited-ack") && arg)
		hostile_case_unsolicited_ack(arg);
	else if (!strcmp(hostile_case, "open-names"))
		hostile_case_open_names(argc - 3, argv + 3);
	else if (!strcmp(hostile_case, "open-ro-rw") && arg)
		hostile_case_open_ro_rw(arg);
	else if (!strcmp(hostile_case, "keys") && arg)
		hostile_case_keys(arg);
	else if (!strncmp(hostile_case, "flood", 5) && arg)
		hostile_case_flood((unsigned int)strtoul(arg, NULL, 0),
				   !strcmp(hostile_case, "flood-starve"));
	else if (!strcmp(hostile_case, "cm") && arg)
		hostile_case_cm(arg);
	else if (!strcmp(hostile_case, "no-hello") && arg)
		hostile_case_no_hello(strtol(arg, NULL, 0));
	else if (!strcmp(hostile_case, "churn") && arg)
		hostile_case_churn((unsigned int)strtoul(arg, NULL, 0));
	else if (!strcmp(hostile_case, "key-cross") && arg)
		hostile_case_key_cross(arg);
	else if (!strcmp(hostile_case, "ro-key") && arg)
		hostile_case_ro_key(arg);
	else if (!strcmp(hostile_case, "revoked-key") && arg && argc > 4)
		hostile_case_revoked_key(arg, argv[4]);
	else if (!strcmp(hostile_case, "auth-no-secret"))
		hostile_case_auth_no_secret();
	else if (!strcmp(hostile_case, "allow-denied"))
		hostile_case_allow_denied();
	else if (!strcmp(hostile_case, "auth-v1-only"))
		hostile_case_auth_v1_only();
	else if (!strcmp(hostile_case, "auth-required") && arg && argc > 4)
		hostile_case_auth_required(arg, argv[4]);
	else if (!strcmp(hostile_case, "auth-before-hello") && arg)
		hostile_case_auth_before_hello(arg);
	else if (!strcmp(hostile_case, "auth-twice") && arg)
		hostile_case_auth_twice(arg);
	else if (!strcmp(hostile_case, "auth-wrong-proof") && arg)
		hostile_case_auth_wrong_proof(arg);
	else if (!strcmp(hostile_case, "auth-replay") && arg)
		hostile_case_auth_replay(arg);
	else if (!strcmp(hostile_case, "auth-reflect") && arg)
		hostile_case_auth_reflect(arg);
	else if (!strcmp(hostile_case, "auth-truncated") && arg)
		hostile_case_auth_truncated(arg);
	else if (!strcmp(hostile_case, "auth-good") && arg && argc > 4)
		hostile_case_auth_good(arg, argv[4], argc > 5 ? argv[5] : NULL);
	else if (!strcmp(hostile_case, "auth-good-v2") && arg && argc > 4) {
		hostile_vmax = DAXMR_PROTO_VERSION_AUTH; /* the version-2 AUTH still works */
		hostile_case_auth_good(arg, argv[4], argc > 5 ? argv[5] : NULL);
	} else if (!strcmp(hostile_case, "handshake-limit") && arg)
		hostile_case_handshake_limit((unsigned int)strtoul(arg, NULL, 0));
	else if (!strcmp(hostile_case, "id-v3-refused"))
		hostile_case_id_v3_refused();
	else if (!strcmp(hostile_case, "id-unknown") && arg)
		hostile_case_id_unknown(arg);
	else if (!strcmp(hostile_case, "id-cross") && arg && argc > 4)
		hostile_case_id_cross(arg, argv[4]);
	else if (!strcmp(hostile_case, "id-switch") && arg && argc > 5)
		hostile_case_id_switch(arg, argv[4], argv[5]);
	else if (!strcmp(hostile_case, "id-good") && arg && argc > 5) {
		hostile_identity = hostile_signer = "tenant-a";
		hostile_case_auth_good(arg, argv[4], argv[5]);
	} else {
		hostile_usage(stderr);
		return 2;
	}
done:
	if (hostile_failures) {
		printf("case %s: FAIL (%d)\n", hostile_case, hostile_failures);
		return 1;
	}
	printf("case %s: ok\n", hostile_case);
	return 0;
}
