/* SPDX-License-Identifier: BSD-3-Clause */
/* keys.c -- per-connection and per-segment keys end to end: raw rdma_cm + proto/ clients */

/*
 * Usage: daxmr-e2e-keys close|revoke ADDR:PORT EXPORT
 *        daxmr-e2e-keys seg ADDR:PORT EXPORT LENGTH DATAFILE
 *        daxmr-e2e-keys down ADDR:PORT EXPORT
 *
 * Three connections A, B and X open EXPORT rw. Checks, printing "ok: ..." for each:
 *   - every descriptor has key kind mw and its own rkey;
 *   - A writes and reads through its key on its QP; B reads A's bytes through its own key;
 *   - X uses A's key on X's QP: IBV_WC_REM_ACCESS_ERR (a window's key works on its QP only);
 *   - A's key still works on A's QP afterwards.
 * close:  A CLOSEs; A's key then fails (REM_ACCESS_ERR) while B's still works; B CLOSEs.
 * revoke: prints "ready", waits for REVOKE on A and B (the script sends daxmrd SIGTERM); A acks,
 *         A's key then fails while B's, not yet acked, still works; B acks.
 * seg (protocol version 3): EXPORT must be LENGTH bytes in several segments. Checks the
 *         descriptor (whole length, nseg, rkey = keys[0]), KEYS (the last segment's key, and
 *         OUT_OF_RANGE / STALE_GENERATION with reasons), then RDMA WRITEs the first 4 KiB of
 *         DATAFILE (12 KiB) to the export's last 4 KiB and the other 8 KiB across the last
 *         segment boundary (two WRs, one per segment key), reads both back and compares. Prints
 *         "wrote OFFSET LEN DATAFILE-OFFSET" for each range, for a check through the file. Then,
 *         on a new connection X, segment 0's key on the last segment: IBV_WC_REM_ACCESS_ERR.
 *         Where the keys are memory windows (key kind mw: daxmrd binds one per segment per
 *         connection for exports of up to 4 segments, and the export has no more): every
 *         segment's key differs, A's last-segment key fails on another connection Y's QP, a
 *         connection B gets keys of its own; then "ready", and it waits for REVOKE on A and B
 *         (the script breaks the lease or sends daxmrd SIGTERM): A acks, A's last-segment key
 *         then fails while B's keys, not yet acked, still work; B acks. With MR keys, A CLOSEs
 *         instead (and no "ready").
 * down:   EXPORT is down for good (e.g. its file has a hole): a version-3 OPEN gets UNAVAILABLE
 *         with a reason "down: ...", a version-2 OPEN gets REVOKING with no payload.
 * Ends with "PASS" (exit 0), or "FAIL: why" (exit 1).
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "proto.h"

#define KC_RECVS 16
#define KC_SENDS 8
#define KC_DATA (32u << 10) /* 12 KiB written, 12 KiB read back; the 64-byte ops use the start */
#define KC_SLOTS (KC_RECVS + KC_SENDS)
#define KC_WR_SEND (1ull << 32)
#define KC_WR_RDMA (1ull << 33)
#define KC_INBOX 16
#define KC_TIMEOUT_MS 10000
#define KC_LEN 64

/* One raw daxmr connection. */
struct kc {
	const char *name;
	struct rdma_event_channel *ch;
	struct rdma_cm_id *id;
	struct ibv_cq *cq;
	uint8_t *buf; /* KC_SLOTS messages, then KC_DATA bytes for RDMA */
	struct ibv_mr *mr;
	unsigned int send_next;
	uint64_t next_req;
	struct daxmr_proto_msg inbox[KC_INBOX];
	unsigned int ninbox;
	struct daxmr_proto_desc desc;
};

static struct ibv_pd *kc_pd;
static uint16_t kc_version = 1; /* the protocol version every connection offers (1..kc_version) */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	exit(1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void kc_cm_wait(struct kc *c, enum rdma_cm_event_type want)
{
	struct rdma_cm_event *ev;
	enum rdma_cm_event_type got;
	int status;

	if (rdma_get_cm_event(c->ch, &ev))
		die("%s: rdma_get_cm_event: %s", c->name, strerror(errno));
	got = ev->event;
	status = ev->status;
	rdma_ack_cm_event(ev);
	if (got != want)
		die("%s: rdma_cm %s (status %d), expected %s", c->name, rdma_event_str(got), status,
		    rdma_event_str(want));
}

static void kc_post_recv(struct kc *c, unsigned int slot)
{
	struct ibv_sge sge = { .addr = (uintptr_t)(c->buf + (size_t)slot * DAXMR_PROTO_MSG_MAX),
			       .length = DAXMR_PROTO_MSG_MAX,
			       .lkey = c->mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = slot, .sg_list = &sge, .num_sge = 1 }, *bad;

	if (ibv_post_recv(c->id->qp, &wr, &bad))
		die("%s: ibv_post_recv failed", c->name);
}

/* Connects to server (ADDR:PORT). */
static void kc_connect(struct kc *c, const char *name, const char *server)
{
	struct daxmr_proto_cm_connect cm = { .version_min = 1, .version_max = kc_version };
	struct ibv_qp_init_attr qpa;
	struct rdma_conn_param param;
	struct addrinfo *ai;
	uint8_t pdata[DAXMR_PROTO_CM_CONNECT_SIZE];
	char host[128], *colon;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->name = name;
	snprintf(host, sizeof(host), "%s", server);
	colon = strrchr(host, ':');
	if (!colon)
		die("server %s: expected ADDR:PORT", server);
	*colon = '\0';
	if (getaddrinfo(host, colon + 1, NULL, &ai))
		die("getaddrinfo %s", server);
	c->ch = rdma_create_event_channel();
	if (!c->ch || rdma_create_id(c->ch, &c->id, c, RDMA_PS_TCP))
		die("%s: rdma_create_id: %s", name, strerror(errno));
	if (rdma_resolve_addr(c->id, NULL, ai->ai_addr, 2000))
		die("%s: rdma_resolve_addr: %s", name, strerror(errno));
	freeaddrinfo(ai);
	kc_cm_wait(c, RDMA_CM_EVENT_ADDR_RESOLVED);
	if (rdma_resolve_route(c->id, 2000))
		die("%s: rdma_resolve_route: %s", name, strerror(errno));
	kc_cm_wait(c, RDMA_CM_EVENT_ROUTE_RESOLVED);
	if (!kc_pd)
		kc_pd = ibv_alloc_pd(c->id->verbs);
	if (!kc_pd)
		die("ibv_alloc_pd failed");
	c->cq = ibv_create_cq(c->id->verbs, 2 * KC_SLOTS + 4, NULL, NULL, 0);
	if (!c->cq)
		die("%s: ibv_create_cq failed", name);
	memset(&qpa, 0, sizeof(qpa));
	qpa.qp_type = IBV_QPT_RC;
	qpa.send_cq = c->cq;
	qpa.recv_cq = c->cq;
	qpa.cap.max_send_wr = KC_SENDS + 4;
	qpa.cap.max_recv_wr = KC_RECVS;
	qpa.cap.max_send_sge = 1;
	qpa.cap.max_recv_sge = 1;
	if (rdma_create_qp(c->id, kc_pd, &qpa))
		die("%s: rdma_create_qp: %s", name, strerror(errno));
	if (posix_memalign((void **)&c->buf, 4096,
			   (size_t)KC_SLOTS * DAXMR_PROTO_MSG_MAX + KC_DATA))
		die("out of memory");
	c->mr = ibv_reg_mr(kc_pd, c->buf, (size_t)KC_SLOTS * DAXMR_PROTO_MSG_MAX + KC_DATA,
			   IBV_ACCESS_LOCAL_WRITE);
	if (!c->mr)
		die("%s: ibv_reg_mr: %s", name, strerror(errno));
	for (i = 0; i < KC_RECVS; i++)
		kc_post_recv(c, i);
	daxmr_proto_cm_connect_encode(&cm, pdata, sizeof(pdata));
	memset(&param, 0, sizeof(param));
	param.private_data = pdata;
	param.private_data_len = sizeof(pdata);
	param.initiator_depth = 4;
	param.responder_resources = 4;
	param.retry_count = 7;
	param.rnr_retry_count = 7;
	if (rdma_connect(c->id, &param))
		die("%s: rdma_connect: %s", name, strerror(errno));
	kc_cm_wait(c, RDMA_CM_EVENT_ESTABLISHED);
}

/*
 * Polls within the timeout until a message arrives (decoded into the inbox, its receive reposted:
 * 2) or an RDMA operation completes (*out: 1); sends are dropped. 0 on timeout.
 */
static int kc_poll(struct kc *c, struct ibv_wc *out, uint64_t deadline)
{
	struct ibv_wc wc;
	unsigned int slot;
	int n;

	for (;;) {
		n = ibv_poll_cq(c->cq, 1, &wc);
		if (n < 0)
			die("%s: ibv_poll_cq failed", c->name);
		if (n == 0) {
			if (now_ms() > deadline)
				return 0;
			usleep(100);
			continue;
		}
		if (wc.wr_id & KC_WR_RDMA) {
			*out = wc;
			return 1;
		}
		if (wc.wr_id & KC_WR_SEND)
			continue;
		if (wc.status != IBV_WC_SUCCESS)
			continue; /* flushed receives of a dead QP */
		slot = (unsigned int)wc.wr_id;
		if (c->ninbox == KC_INBOX)
			die("%s: inbox full", c->name);
		if (daxmr_proto_msg_decode(c->buf + (size_t)slot * DAXMR_PROTO_MSG_MAX, wc.byte_len,
					   &c->inbox[c->ninbox]))
			die("%s: undecodable message", c->name);
		c->ninbox++;
		kc_post_recv(c, slot);
		return 2;
	}
}

/* The next message with opcode (and request id, if not 0), within the timeout. */
static void kc_recv(struct kc *c, enum daxmr_proto_opcode op, uint64_t req_id,
		    struct daxmr_proto_msg *out)
{
	uint64_t deadline = now_ms() + KC_TIMEOUT_MS;
	struct ibv_wc wc;
	unsigned int i;

	for (;;) {
		for (i = 0; i < c->ninbox; i++)
			if (c->inbox[i].hdr.opcode == op &&
			    (!req_id || c->inbox[i].hdr.request_id == req_id)) {
				*out = c->inbox[i];
				memmove(&c->inbox[i], &c->inbox[i + 1],
					(c->ninbox - i - 1) * sizeof(c->inbox[0]));
				c->ninbox--;
				return;
			}
		if (!kc_poll(c, &wc, deadline))
			die("%s: no %s within %d ms", c->name, daxmr_proto_opcode_str(op),
			    KC_TIMEOUT_MS);
	}
}

static void kc_send(struct kc *c, struct daxmr_proto_msg *msg)
{
	unsigned int slot = KC_RECVS + c->send_next++ % KC_SENDS;
	uint8_t *p = c->buf + (size_t)slot * DAXMR_PROTO_MSG_MAX;
	struct ibv_sge sge = { .addr = (uintptr_t)p, .lkey = c->mr->lkey };
	struct ibv_send_wr wr = { .wr_id = KC_WR_SEND | slot,
				  .sg_list = &sge,
				  .num_sge = 1,
				  .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_SIGNALED },
			   *bad;
	int n;

	msg->hdr.version = kc_version;
	n = daxmr_proto_msg_encode(msg, p, DAXMR_PROTO_MSG_MAX);
	if (n < 0)
		die("%s: encode %s: %d", c->name, daxmr_proto_opcode_str(msg->hdr.opcode), n);
	sge.length = (uint32_t)n;
	if (ibv_post_send(c->id->qp, &wr, &bad))
		die("%s: ibv_post_send SEND failed", c->name);
}

/* A request and its reply's status. */
static enum daxmr_proto_status kc_request(struct kc *c, struct daxmr_proto_msg *req,
					  struct daxmr_proto_msg *reply)
{
	req->hdr.request_id = ++c->next_req;
	kc_send(c, req);
	kc_recv(c, req->hdr.opcode, req->hdr.request_id, reply);
	return reply->hdr.status;
}

/* HELLO, then OPEN export rw: its reply's status, the reply in *rep. */
static enum daxmr_proto_status kc_hello_try_open(struct kc *c, const char *export,
						 struct daxmr_proto_msg *rep)
{
	struct daxmr_proto_msg req;

	memset(&req, 0, sizeof(req));
	req.hdr.opcode = DAXMR_PROTO_OP_HELLO;
	req.hello.version_min = 1;
	req.hello.version_max = kc_version;
	snprintf(req.hello.name, sizeof(req.hello.name), "keys-%s", c->name);
	if (kc_request(c, &req, rep) != DAXMR_PROTO_STATUS_OK)
		die("%s: HELLO answered %s", c->name, daxmr_proto_status_str(rep->hdr.status));
	memset(&req, 0, sizeof(req));
	req.hdr.opcode = DAXMR_PROTO_OP_OPEN;
	req.open.access = DAXMR_PROTO_ACCESS_RW;
	snprintf(req.open.name, sizeof(req.open.name), "%s", export);
	return kc_request(c, &req, rep);
}

static void kc_hello_open(struct kc *c, const char *export)
{
	struct daxmr_proto_msg rep;

	if (kc_hello_try_open(c, export, &rep) != DAXMR_PROTO_STATUS_OK)
		die("%s: OPEN %s rw answered %s", c->name, export,
		    daxmr_proto_status_str(rep.hdr.status));
	c->desc = rep.desc;
	printf("%s: opened %s rw: generation %" PRIu64 ", rkey 0x%x, key kind %s\n", c->name,
	       export, c->desc.generation, c->desc.rkey,
	       c->desc.key_kind == DAXMR_PROTO_KEY_MW ? "mw" : "mr");
}

/* One RDMA READ or WRITE of len bytes at local data offset loc, remote addr with rkey. */
static enum ibv_wc_status kc_rdma_at(struct kc *c, enum ibv_wr_opcode op, uint32_t rkey,
				     uint64_t addr, size_t loc, uint32_t len)
{
	struct ibv_sge sge = { .addr = (uintptr_t)(c->buf + (size_t)KC_SLOTS * DAXMR_PROTO_MSG_MAX +
						   loc),
			       .length = len,
			       .lkey = c->mr->lkey };
	struct ibv_send_wr wr = { .wr_id = KC_WR_RDMA,
				  .sg_list = &sge,
				  .num_sge = 1,
				  .opcode = op,
				  .send_flags = IBV_SEND_SIGNALED },
			   *bad;
	struct ibv_wc wc;
	uint64_t deadline;
	int n;

	wr.wr.rdma.remote_addr = addr;
	wr.wr.rdma.rkey = rkey;
	if (ibv_post_send(c->id->qp, &wr, &bad))
		die("%s: ibv_post_send RDMA failed", c->name);
	deadline = now_ms() + KC_TIMEOUT_MS;
	while ((n = kc_poll(c, &wc, deadline)) == 2)
		; /* a message (e.g. REVOKE) stays in the inbox */
	if (n == 0)
		die("%s: no RDMA completion within %d ms", c->name, KC_TIMEOUT_MS);
	return wc.status;
}

/* One RDMA READ or WRITE of KC_LEN bytes at the start of the data area; its status. */
static enum ibv_wc_status kc_rdma(struct kc *c, enum ibv_wr_opcode op, uint32_t rkey, uint64_t addr)
{
	return kc_rdma_at(c, op, rkey, addr, 0, KC_LEN);
}

static uint8_t *kc_data(struct kc *c)
{
	return c->buf + (size_t)KC_SLOTS * DAXMR_PROTO_MSG_MAX;
}

/* RDMA with rkey must end with status want. */
static void expect_rdma(struct kc *c, enum ibv_wr_opcode op, uint32_t rkey, uint64_t addr,
			enum ibv_wc_status want, const char *what)
{
	enum ibv_wc_status got = kc_rdma(c, op, rkey, addr);

	if (got != want)
		die("%s: %s: %s, expected %s", c->name, what, ibv_wc_status_str(got),
		    ibv_wc_status_str(want));
	printf("ok: %s: %s\n", what, ibv_wc_status_str(got));
}

static void kc_ref(struct kc *c, enum daxmr_proto_opcode op, uint64_t req_id)
{
	struct daxmr_proto_msg req, rep;

	memset(&req, 0, sizeof(req));
	req.hdr.opcode = op;
	req.close.export_id = c->desc.export_id;
	req.close.generation = c->desc.generation;
	if (op == DAXMR_PROTO_OP_REVOKE_ACK) {
		req.hdr.request_id = req_id;
		kc_send(c, &req);
		return;
	}
	if (kc_request(c, &req, &rep) != DAXMR_PROTO_STATUS_OK)
		die("%s: %s answered %s", c->name, daxmr_proto_opcode_str(op),
		    daxmr_proto_status_str(rep.hdr.status));
}

/* Tears a connection down and frees what kc_connect made (LeakSanitizer checks the test too). */
static void kc_close(struct kc *c)
{
	(void)rdma_disconnect(c->id); /* the server may have gone first: nothing to do then */
	rdma_destroy_qp(c->id);
	if (c->mr)
		ibv_dereg_mr(c->mr);
	free(c->buf);
	if (c->cq)
		ibv_destroy_cq(c->cq);
	rdma_destroy_id(c->id);
	rdma_destroy_event_channel(c->ch);
	memset(c, 0, sizeof(*c));
}

/* A KEYS request; its status, the reply in *rep. */
static enum daxmr_proto_status kc_keys(struct kc *c, uint64_t gen, uint32_t first,
				       struct daxmr_proto_msg *rep)
{
	struct daxmr_proto_msg req;

	memset(&req, 0, sizeof(req));
	req.hdr.opcode = DAXMR_PROTO_OP_KEYS;
	req.keys.export_id = c->desc.export_id;
	req.keys.generation = gen;
	req.keys.first = first;
	return kc_request(c, &req, rep);
}

/* The key of the segment holding export offset off (the descriptor's, else a KEYS). */
static uint32_t kc_seg_key(struct kc *c, uint64_t off)
{
	uint32_t seg = (uint32_t)(off >> c->desc.seg_shift);
	struct daxmr_proto_msg rep;

	if (seg < c->desc.nkeys)
		return c->desc.keys[seg];
	if (kc_keys(c, c->desc.generation, seg, &rep) != DAXMR_PROTO_STATUS_OK)
		die("%s: KEYS %u answered %s", c->name, seg,
		    daxmr_proto_status_str(rep.hdr.status));
	return rep.keys_reply.keys[0];
}

/* WRITE (or READ) len bytes at export offset off from local offset loc, split per segment. */
static void kc_rdma_split(struct kc *c, enum ibv_wr_opcode op, uint64_t off, size_t loc,
			  uint32_t len, const char *what)
{
	uint64_t seg_size = 1ull << c->desc.seg_shift, end;
	enum ibv_wc_status st;
	uint32_t n;

	while (len) {
		end = (off / seg_size + 1) * seg_size;
		n = end - off < len ? (uint32_t)(end - off) : len;
		st = kc_rdma_at(c, op, kc_seg_key(c, off), c->desc.addr + off, loc, n);
		if (st != IBV_WC_SUCCESS)
			die("%s: %s: %u bytes at offset %" PRIu64 ": %s", c->name, what, n, off,
			    ibv_wc_status_str(st));
		printf("ok: %s: %u bytes at offset %" PRIu64 " (segment %" PRIu64 ")\n", what, n,
		       off, off / seg_size);
		off += n;
		loc += n;
		len -= n;
	}
}

/*
 * The down mode (see the top of the file): OPEN of a down export, version 3 then version 2.
 * Prints "reason: TEXT".
 */
static int kc_down(const char *server, const char *export)
{
	struct daxmr_proto_msg rep;
	enum daxmr_proto_status st;
	struct kc a, b;

	kc_version = DAXMR_PROTO_VERSION_SEG;
	kc_connect(&a, "A", server);
	st = kc_hello_try_open(&a, export, &rep);
	if (st != DAXMR_PROTO_STATUS_UNAVAILABLE || strncmp(rep.reason, "down: ", 6) != 0)
		die("version 3 OPEN of %s: %s, reason \"%s\"; expected UNAVAILABLE, \"down: ...\"",
		    export, daxmr_proto_status_str(st), rep.reason);
	printf("ok: version 3: UNAVAILABLE\nreason: %s\n", rep.reason);
	kc_version = DAXMR_PROTO_VERSION_AUTH;
	kc_connect(&b, "B", server);
	st = kc_hello_try_open(&b, export, &rep);
	if (st != DAXMR_PROTO_STATUS_REVOKING || rep.reason[0] || rep.hdr.length != 0)
		die("version 2 OPEN of %s: %s, reason \"%s\"; expected REVOKING and no payload",
		    export, daxmr_proto_status_str(st), rep.reason);
	printf("ok: version 2: REVOKING, no reason\n");
	rdma_disconnect(a.id);
	rdma_disconnect(b.id);
	printf("PASS\n");
	kc_close(&a);
	kc_close(&b);
	ibv_dealloc_pd(kc_pd);
	return 0;
}

/* daxmrd's DAXMR_EXPORT_MW_SEGS_MAX: up to this many segments, a window per segment */
#define KC_MW_SEGS_MAX 4

/*
 * seg mode with memory windows: per-segment and per-connection keys, and a revocation that
 * cuts off the client that acked while one that did not still gets through. last: an offset
 * in the last segment. A failed RDMA takes its QP to the error state, so each refusal is
 * tried on a connection of its own, disconnected at once (which counts as its ack).
 */
static void kc_seg_windows(struct kc *a, const char *server, const char *export, uint64_t last)
{
	struct daxmr_proto_msg rva, rvb;
	uint32_t i, j, a_last = kc_seg_key(a, last), b_last;
	struct kc b, y;

	for (i = 0; i < a->desc.nkeys; i++)
		for (j = 0; j < i; j++)
			if (a->desc.keys[i] == a->desc.keys[j])
				die("segments %u and %u share the key 0x%x", j, i, a->desc.keys[i]);
	kc_connect(&y, "Y", server);
	kc_hello_open(&y, export);
	expect_rdma(&y, IBV_WR_RDMA_READ, a_last, y.desc.addr + last, IBV_WC_REM_ACCESS_ERR,
		    "Y reads the last segment with A's window key on Y's QP");
	rdma_disconnect(y.id);
	kc_connect(&b, "B", server);
	kc_hello_open(&b, export);
	if (b.desc.key_kind != DAXMR_PROTO_KEY_MW)
		die("B got key kind mr where A got mw");
	for (i = 0; i < a->desc.nkeys && i < b.desc.nkeys; i++)
		if (a->desc.keys[i] == b.desc.keys[i])
			die("A and B share the key 0x%x of segment %u", a->desc.keys[i], i);
	printf("ok: key kind mw: a window per segment per connection (%u keys each)\n",
	       a->desc.nkeys);
	b_last = kc_seg_key(&b, last);
	expect_rdma(&b, IBV_WR_RDMA_READ, b_last, b.desc.addr + last, IBV_WC_SUCCESS,
		    "B reads the last segment with its own window key");
	printf("ready\n");
	kc_recv(a, DAXMR_PROTO_OP_REVOKE, 0, &rva);
	kc_recv(&b, DAXMR_PROTO_OP_REVOKE, 0, &rvb);
	printf("ok: REVOKE on A and B (deadline %u ms)\n", rva.revoke.deadline_ms);
	kc_ref(a, DAXMR_PROTO_OP_REVOKE_ACK, rva.hdr.request_id);
	usleep(300 * 1000); /* the server invalidates A's windows when the ack arrives */
	expect_rdma(a, IBV_WR_RDMA_READ, a_last, a->desc.addr + last, IBV_WC_REM_ACCESS_ERR,
		    "A's last-segment window key after A's REVOKE_ACK");
	expect_rdma(&b, IBV_WR_RDMA_READ, b_last, b.desc.addr + last, IBV_WC_SUCCESS,
		    "B's last-segment window key before B's REVOKE_ACK");
	expect_rdma(&b, IBV_WR_RDMA_READ, b.desc.keys[0], b.desc.addr, IBV_WC_SUCCESS,
		    "B's segment-0 window key before B's REVOKE_ACK");
	kc_ref(&b, DAXMR_PROTO_OP_REVOKE_ACK, rvb.hdr.request_id);
	printf("ok: B acked\n");
	rdma_disconnect(b.id);
	kc_close(&b);
	kc_close(&y);
}

/* The seg mode (see the top of the file). */
static int kc_seg(const char *server, const char *export, uint64_t length, const char *datafile)
{
	struct daxmr_proto_msg rep;
	uint64_t last_bound, off[2];
	uint32_t len[2] = { 4096, 8192 };
	size_t loc[2] = { 0, 4096 };
	struct kc a, x;
	bool mw;
	FILE *f;
	int i;

	kc_version = DAXMR_PROTO_VERSION_SEG;
	f = fopen(datafile, "rb");
	if (!f)
		die("%s: %s", datafile, strerror(errno));
	kc_connect(&a, "A", server);
	if (fread(kc_data(&a), 1, 12288, f) != 12288)
		die("%s: fewer than 12288 bytes", datafile);
	fclose(f);
	kc_hello_open(&a, export);
	if (a.desc.length != length)
		die("descriptor length %" PRIu64 ", expected %" PRIu64, a.desc.length, length);
	if (a.desc.nseg < 2 || a.desc.nseg != ((length - 1) >> a.desc.seg_shift) + 1)
		die("nseg %u with seg_shift %u for %" PRIu64 " bytes: not segmented", a.desc.nseg,
		    a.desc.seg_shift, length);
	if (a.desc.rkey != a.desc.keys[0])
		die("rkey 0x%x is not keys[0] 0x%x", a.desc.rkey, a.desc.keys[0]);
	printf("ok: %" PRIu64 " bytes in %u segments of 2^%u bytes, %u keys in the OPEN reply\n",
	       length, a.desc.nseg, a.desc.seg_shift, a.desc.nkeys);
	if (kc_keys(&a, a.desc.generation, a.desc.nseg - 1, &rep) != DAXMR_PROTO_STATUS_OK ||
	    rep.keys_reply.count != 1 ||
	    (a.desc.nseg <= a.desc.nkeys && rep.keys_reply.keys[0] != a.desc.keys[a.desc.nseg - 1]))
		die("KEYS of the last segment: %s", daxmr_proto_status_str(rep.hdr.status));
	printf("ok: KEYS of segment %u: its key\n", a.desc.nseg - 1);
	if (kc_keys(&a, a.desc.generation, a.desc.nseg, &rep) != DAXMR_PROTO_STATUS_OUT_OF_RANGE ||
	    !rep.reason[0])
		die("KEYS past the last segment: %s, reason \"%s\"",
		    daxmr_proto_status_str(rep.hdr.status), rep.reason);
	printf("ok: KEYS past the end: OUT_OF_RANGE (\"%s\")\n", rep.reason);
	if (kc_keys(&a, a.desc.generation + 1, 0, &rep) != DAXMR_PROTO_STATUS_STALE_GENERATION)
		die("KEYS of another generation: %s", daxmr_proto_status_str(rep.hdr.status));
	printf("ok: KEYS of another generation: STALE_GENERATION (\"%s\")\n", rep.reason);

	last_bound = (uint64_t)(a.desc.nseg - 1) << a.desc.seg_shift;
	off[0] = length - 4096;
	off[1] = last_bound - 4096; /* 4 KiB on each side of the last segment boundary */
	for (i = 0; i < 2; i++) {
		kc_rdma_split(&a, IBV_WR_RDMA_WRITE, off[i], loc[i], len[i], "WRITE");
		printf("wrote %" PRIu64 " %u %zu\n", off[i], len[i], loc[i]);
	}
	memset(kc_data(&a) + 16384, 0, 12288);
	for (i = 0; i < 2; i++)
		kc_rdma_split(&a, IBV_WR_RDMA_READ, off[i], 16384 + loc[i], len[i], "READ");
	if (memcmp(kc_data(&a), kc_data(&a) + 16384, 12288))
		die("the read-back differs from what was written");
	printf("ok: read back what was written (RDMA only: the script checks the file too)\n");
	mw = a.desc.key_kind == DAXMR_PROTO_KEY_MW;
	if (!mw && a.desc.nseg <= KC_MW_SEGS_MAX)
		die("key kind mr for %u segments: daxmrd binds windows per segment up to %d",
		    a.desc.nseg, KC_MW_SEGS_MAX);
	if (!mw)
		kc_ref(&a, DAXMR_PROTO_OP_CLOSE, 0);

	/* a segment's key covers only its segment: rxe checks an MR's bounds */
	kc_connect(&x, "X", server);
	kc_hello_open(&x, export);
	if (kc_rdma(&x, IBV_WR_RDMA_READ, x.desc.keys[0], x.desc.addr + off[0]) !=
	    IBV_WC_REM_ACCESS_ERR)
		die("segment 0's key read the last segment");
	printf("ok: segment 0's key on the last segment: REM_ACCESS_ERR\n");
	rdma_disconnect(x.id); /* its QP is in error now */
	if (mw)
		kc_seg_windows(&a, server, export, off[0]);
	rdma_disconnect(a.id);
	printf("PASS\n");
	kc_close(&a);
	kc_close(&x);
	ibv_dealloc_pd(kc_pd);
	return 0;
}

int main(int argc, char **argv)
{
	struct kc a, b, x;
	struct daxmr_proto_msg rva, rvb;
	unsigned int i;
	bool revoke;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && strcmp(argv[1], "seg") == 0)
		return kc_seg(argv[2], argv[3], strtoull(argv[4], NULL, 0), argv[5]);
	if (argc == 4 && strcmp(argv[1], "down") == 0)
		return kc_down(argv[2], argv[3]);
	if (argc != 4 || (strcmp(argv[1], "close") && strcmp(argv[1], "revoke"))) {
		fprintf(stderr,
			"usage: %s close|revoke ADDR:PORT EXPORT\n"
			"       %s seg ADDR:PORT EXPORT LENGTH DATAFILE\n"
			"       %s down ADDR:PORT EXPORT\n",
			argv[0], argv[0], argv[0]);
		return 2;
	}
	revoke = strcmp(argv[1], "revoke") == 0;
	kc_connect(&a, "A", argv[2]);
	kc_connect(&b, "B", argv[2]);
	kc_connect(&x, "X", argv[2]);
	kc_hello_open(&a, argv[3]);
	kc_hello_open(&b, argv[3]);
	kc_hello_open(&x, argv[3]);
	if (a.desc.key_kind != DAXMR_PROTO_KEY_MW || b.desc.key_kind != DAXMR_PROTO_KEY_MW ||
	    x.desc.key_kind != DAXMR_PROTO_KEY_MW)
		die("expected key kind mw for every connection");
	if (a.desc.rkey == b.desc.rkey || a.desc.rkey == x.desc.rkey || b.desc.rkey == x.desc.rkey)
		die("two connections share an rkey");
	printf("ok: three connections, three memory-window keys\n");

	for (i = 0; i < KC_LEN; i++)
		kc_data(&a)[i] = (uint8_t)(0xa5 ^ i ^ (unsigned int)getpid());
	expect_rdma(&a, IBV_WR_RDMA_WRITE, a.desc.rkey, a.desc.addr, IBV_WC_SUCCESS,
		    "A writes through its own key");
	memset(kc_data(&b), 0, KC_LEN);
	expect_rdma(&b, IBV_WR_RDMA_READ, b.desc.rkey, b.desc.addr, IBV_WC_SUCCESS,
		    "B reads through its own key");
	if (memcmp(kc_data(&a), kc_data(&b), KC_LEN))
		die("B did not read what A wrote");
	printf("ok: B read A's bytes\n");
	expect_rdma(&x, IBV_WR_RDMA_READ, a.desc.rkey, a.desc.addr, IBV_WC_REM_ACCESS_ERR,
		    "X reads with A's key on X's QP");
	rdma_disconnect(x.id);
	expect_rdma(&a, IBV_WR_RDMA_READ, a.desc.rkey, a.desc.addr, IBV_WC_SUCCESS,
		    "A's key still works on A's QP");

	if (!revoke) {
		kc_ref(&a, DAXMR_PROTO_OP_CLOSE, 0);
		printf("ok: A closed\n");
		expect_rdma(&a, IBV_WR_RDMA_READ, a.desc.rkey, a.desc.addr, IBV_WC_REM_ACCESS_ERR,
			    "A's key after A's CLOSE");
		expect_rdma(&b, IBV_WR_RDMA_READ, b.desc.rkey, b.desc.addr, IBV_WC_SUCCESS,
			    "B's key after A's CLOSE");
		kc_ref(&b, DAXMR_PROTO_OP_CLOSE, 0);
		printf("ok: B closed\n");
	} else {
		printf("ready\n");
		kc_recv(&a, DAXMR_PROTO_OP_REVOKE, 0, &rva);
		kc_recv(&b, DAXMR_PROTO_OP_REVOKE, 0, &rvb);
		printf("ok: REVOKE on A and B (deadline %u ms)\n", rva.revoke.deadline_ms);
		kc_ref(&a, DAXMR_PROTO_OP_REVOKE_ACK, rva.hdr.request_id);
		usleep(300 * 1000); /* the server invalidates A's window when the ack arrives */
		expect_rdma(&a, IBV_WR_RDMA_READ, a.desc.rkey, a.desc.addr, IBV_WC_REM_ACCESS_ERR,
			    "A's key after A's REVOKE_ACK");
		expect_rdma(&b, IBV_WR_RDMA_READ, b.desc.rkey, b.desc.addr, IBV_WC_SUCCESS,
			    "B's key before B's REVOKE_ACK");
		kc_ref(&b, DAXMR_PROTO_OP_REVOKE_ACK, rvb.hdr.request_id);
		printf("ok: B acked\n");
	}
	rdma_disconnect(a.id);
	rdma_disconnect(b.id);
	printf("PASS\n");
	kc_close(&a);
	kc_close(&b);
	kc_close(&x);
	ibv_dealloc_pd(kc_pd);
	return 0;
}
