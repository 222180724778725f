/* SPDX-License-Identifier: BSD-3-Clause */
/* client.c -- libdaxmr: one connection to daxmrd: rdma_cm, QP, control messages, events */

/*
 * Connection states (enum daxmr_client_state):
 *
 *   INIT --rdma_resolve_addr--> ADDR_RESOLVING --ADDR_RESOLVED, rdma_resolve_route-->
 *   ROUTE_RESOLVING --ROUTE_RESOLVED, PD/CQ/QP, receives, rdma_connect--> CONNECTING
 *   CONNECTING --ESTABLISHED + valid accept data, HELLO sent--> HELLO --HELLO reply--> READY
 *   CONNECTING --REJECTED / UNREACHABLE / timeout--> (connect fails, client freed)
 *
 *   READY --DISCONNECTED, a failed completion, a protocol violation, a reply timeout--> DEAD
 *   READY / DEAD --daxmr_client_disconnect--> CLOSED (freed)
 *
 * In DEAD the QP is unusable: every request and transfer fails with -ENOTCONN, on_disconnect is
 * delivered once. Requests are synchronous: at most one is outstanding, so the server's credits
 * (>= 1) are always respected; the receive accounting of docs/protocol.md is in credit.c.
 */
#include "client.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "auth.h"
#include "clock.h"
#include "credit.h"
#include "fd.h"
#include "hostport.h"
#include "log.h"
#include "proto.h"
#include "status.h"
#include "verbs.h"
#include "wrid.h"

#define CLIENT_RECV_SLOTS 64	      /* receives: bounds the descriptors one connection can hold */
#define CLIENT_SEND_SLOTS 16	      /* sends in flight: one request plus REVOKE_ACKs */
#define CLIENT_BOUNCE_SIZE (1u << 20) /* RDMA chunk; well under rxe's 8 MiB message limit */
#define CLIENT_RD_ATOM_MAX 4	      /* RDMA READs we ask to have outstanding (we use one) */
#define CLIENT_DISCONNECT_WAIT_MS 1000
#define CLIENT_LIST_PAGES_MAX 65536 /* a server that keeps saying MORE is broken */

/* What a work request id names: kind in the high 32 bits, slot (or sequence) in the low. */
enum client_wr_kind {
	CLIENT_WR_RECV = 1,
	CLIENT_WR_SEND = 2,
	CLIENT_WR_RDMA = 3,
};

enum daxmr_client_state {
	DAXMR_CLIENT_INIT = 0,
	DAXMR_CLIENT_ADDR_RESOLVING,
	DAXMR_CLIENT_ROUTE_RESOLVING,
	DAXMR_CLIENT_CONNECTING,
	DAXMR_CLIENT_HELLO,
	DAXMR_CLIENT_READY,
	DAXMR_CLIENT_DEAD,
	DAXMR_CLIENT_CLOSED,
};

enum client_event_type {
	CLIENT_EV_REVOKE = 1,
	CLIENT_EV_AVAILABLE,
	CLIENT_EV_DISCONNECT,
};

/* A notification waiting for daxmr_client_process to deliver it. */
struct client_event {
	TAILQ_ENTRY(client_event) entry;
	enum client_event_type type;
	struct daxmr_region *region; /* borrowed: REVOKE only; NULLed events are dropped on close */
	uint32_t export_id;
	uint64_t generation;
	enum daxmr_revoke_reason reason;
	uint32_t deadline_ms;
	int err; /* DISCONNECT: why */
	char name[DAXMR_NAME_MAX + 1];
};

/* A REVOKE_ACK waiting for a free send slot. */
struct client_ack {
	TAILQ_ENTRY(client_ack) entry;
	uint32_t export_id;
	uint64_t generation;
	uint64_t request_id;
};

/* The one request in flight. */
struct client_pending {
	bool active;
	bool done;
	uint64_t request_id;
	enum daxmr_proto_opcode opcode;
	struct daxmr_proto_msg *reply; /* borrowed: the waiting caller's */
	struct daxmr_region *opening;  /* borrowed: OPEN only, attached when the reply is OK */
};

/* A copy of one rdma_cm event, taken before it is acked. */
struct client_cm_event {
	enum rdma_cm_event_type type;
	int status;
	uint8_t pdata[256];
	size_t pdata_len;
};

struct daxmr_client {
	enum daxmr_client_state state;
	int dead_err;			       /* DEAD: why (negative errno) */
	struct rdma_event_channel *cm_channel; /* owned */
	struct rdma_cm_id *id;		       /* owned; owns the QP once created */
	struct ibv_pd *pd;		       /* owned */
	struct ibv_comp_channel *comp_channel; /* owned */
	struct ibv_cq *cq;		       /* owned: sends, receives and RDMA */
	bool qp_created;
	bool cq_armed;
	bool connected; /* ESTABLISHED seen: rdma_disconnect is due */
	bool auth;	/* opts.secret_file was given: key holds its key */
	struct daxmr_auth_key key;

	uint8_t *buf; /* owned: mmap of recv slots, send slots, bounce buffer */
	size_t buf_len;
	struct ibv_mr *mr; /* owned: buf, LOCAL_WRITE */
	bool recv_posted[CLIENT_RECV_SLOTS];
	unsigned int recvs_posted;
	bool send_busy[CLIENT_SEND_SLOTS];
	unsigned int sends_busy;

	uint16_t version;
	struct daxmr_credit credit;
	uint64_t next_request_id;
	struct client_pending pending;
	bool rdma_active;
	bool rdma_done;
	int rdma_err;
	uint64_t rdma_seq;

	int epoll_fd; /* owned: daxmr_client_fd */
	int event_fd; /* owned: readable while events are queued */
	bool in_process;
	bool disconnect_delivered;

	struct daxmr_client_opts opts;
	char name[DAXMR_NAME_MAX + 1];
	char server_name[DAXMR_NAME_MAX + 1];
	char peer[300]; /* "host:port" for messages */
	struct daxmr_callbacks cbs;
	void *cbs_arg; /* borrowed: the caller's */

	TAILQ_HEAD(, daxmr_region) regions; /* borrowed: the caller owns its regions */
	TAILQ_HEAD(, client_event) events;  /* owned */
	TAILQ_HEAD(, client_ack) acks;	    /* owned */
};

static int client_drain_cq(struct daxmr_client *client);
static void client_fail(struct daxmr_client *client, int err, const char *why);

/* Where receive slot i lives. */
static uint8_t *client_recv_buf(struct daxmr_client *client, unsigned int i)
{
	return client->buf + (size_t)i * DAXMR_PROTO_MSG_MAX;
}

/* Where send slot i lives. */
static uint8_t *client_send_buf(struct daxmr_client *client, unsigned int i)
{
	return client->buf + (size_t)(CLIENT_RECV_SLOTS + i) * DAXMR_PROTO_MSG_MAX;
}

/* The bounce buffer every RDMA transfer goes through. */
static uint8_t *client_bounce(struct daxmr_client *client)
{
	return client->buf + (size_t)(CLIENT_RECV_SLOTS + CLIENT_SEND_SLOTS) * DAXMR_PROTO_MSG_MAX;
}

/* Queues a notification and makes the client's fd readable. */
static void client_event_push(struct daxmr_client *client, struct client_event *ev)
{
	uint64_t one = 1;

	TAILQ_INSERT_TAIL(&client->events, ev, entry);
	/* an eventfd write only fails on counter overflow: it is readable then anyway */
	if (write(client->event_fd, &one, sizeof(one)) < 0)
		DAXMR_LOG_DBG("eventfd write: %s", daxmr_log_strerror(errno));
}

/* Makes the connection DEAD (once): tells the server, queues on_disconnect. */
static void client_fail(struct daxmr_client *client, int err, const char *why)
{
	struct client_event *ev;

	if (client->state == DAXMR_CLIENT_DEAD || client->state == DAXMR_CLIENT_CLOSED)
		return;
	if (client->state != DAXMR_CLIENT_READY) {
		/* still connecting: the caller of connect gets err */
		client->state = DAXMR_CLIENT_DEAD;
		client->dead_err = err;
		return;
	}
	DAXMR_LOG_ERR("connection to %s lost: %s (%s)", client->peer, why, daxmr_log_strerror(err));
	client->state = DAXMR_CLIENT_DEAD;
	client->dead_err = err;
	if (client->connected && rdma_disconnect(client->id))
		DAXMR_LOG_DBG("rdma_disconnect %s: %s", client->peer, daxmr_log_strerror(errno));
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return; /* daxmr_client_process still reports -ENOTCONN */
	ev->type = CLIENT_EV_DISCONNECT;
	ev->err = err;
	client_event_push(client, ev);
}

/* Whether revoked regions stay usable (opts.use_revoked, fault tests only). */
bool daxmr_client_uses_revoked(const struct daxmr_client *client)
{
	return client->opts.use_revoked != 0;
}

/* What stops the connection from carrying requests: 0 while nothing does. */
int daxmr_client_error(const struct daxmr_client *client)
{
	if (client->state == DAXMR_CLIENT_READY || client->state == DAXMR_CLIENT_HELLO)
		return 0;
	return -ENOTCONN;
}

/* Posts receive slot i. */
static int client_post_recv(struct daxmr_client *client, unsigned int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)client_recv_buf(client, i),
		.length = DAXMR_PROTO_MSG_MAX,
		.lkey = client->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = daxmr_wrid(CLIENT_WR_RECV, i),
				  .sg_list = &sge,
				  .num_sge = 1 };
	struct ibv_recv_wr *bad = NULL;
	int ret;

	ret = ibv_post_recv(client->id->qp, &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_recv", -ret, "connection %s slot %u", client->peer, i);
		return -ret;
	}
	client->recv_posted[i] = true;
	client->recvs_posted++;
	return 0;
}

/* Posts receives until want are posted; -ENOBUFS if the slots run out. */
static int client_post_recvs(struct daxmr_client *client, unsigned int want)
{
	unsigned int i;
	int ret;

	if (want > CLIENT_RECV_SLOTS) {
		DAXMR_LOG_ERR("connection %s: %u receives needed, %u slots: too many regions open",
			      client->peer, want, CLIENT_RECV_SLOTS);
		return -ENOBUFS;
	}
	for (i = 0; i < CLIENT_RECV_SLOTS && client->recvs_posted < want; i++) {
		if (client->recv_posted[i])
			continue;
		ret = client_post_recv(client, i);
		if (ret)
			return ret;
	}
	return 0;
}

/* Encodes msg into a free send slot and posts it; -EAGAIN if no slot is free. */
static int client_post_msg(struct daxmr_client *client, struct daxmr_proto_msg *msg)
{
	struct ibv_send_wr wr = { 0 };
	struct ibv_send_wr *bad = NULL;
	struct ibv_sge sge;
	unsigned int i;
	int len, ret;

	for (i = 0; i < CLIENT_SEND_SLOTS && client->send_busy[i]; i++)
		;
	if (i == CLIENT_SEND_SLOTS)
		return -EAGAIN;
	msg->hdr.version = client->version;
	len = daxmr_proto_msg_encode(msg, client_send_buf(client, i), DAXMR_PROTO_MSG_MAX);
	if (len < 0) {
		DAXMR_LOG_ERR("encoding %s: %s", daxmr_proto_opcode_str(msg->hdr.opcode),
			      daxmr_log_strerror(len));
		return len;
	}
	sge = (struct ibv_sge){ .addr = (uintptr_t)client_send_buf(client, i),
				.length = (uint32_t)len,
				.lkey = client->mr->lkey };
	wr.wr_id = daxmr_wrid(CLIENT_WR_SEND, i);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	ret = ibv_post_send(client->id->qp, &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_send", -ret, "SEND %s to %s",
				   daxmr_proto_opcode_str(msg->hdr.opcode), client->peer);
		return -ret;
	}
	client->send_busy[i] = true;
	client->sends_busy++;
	return 0;
}

/* Sends the REVOKE_ACKs that have a free slot; the rest wait for send completions. */
static void client_flush_acks(struct daxmr_client *client)
{
	struct client_ack *ack;
	struct daxmr_proto_msg msg;
	int ret;

	while (client->state == DAXMR_CLIENT_READY && !TAILQ_EMPTY(&client->acks)) {
		/* each ack is unlinked before it is freed; the analyzer loses track in TAILQ_REMOVE
		 */
		ack = TAILQ_FIRST(&client->acks);
		memset(&msg, 0, sizeof(msg));
		msg.hdr.opcode = DAXMR_PROTO_OP_REVOKE_ACK;
		msg.hdr.status = DAXMR_PROTO_STATUS_OK;
		msg.hdr.request_id = ack->request_id; /* NOLINT(clang-analyzer-unix.Malloc) */
		msg.revoke_ack.export_id = ack->export_id;
		msg.revoke_ack.generation = ack->generation;
		ret = client_post_msg(client, &msg);
		if (ret == -EAGAIN)
			return;
		if (ret) {
			client_fail(client, ret, "cannot send REVOKE_ACK");
			return;
		}
		DAXMR_LOG_INF("REVOKE_ACK export %u generation %llu sent", ack->export_id,
			      (unsigned long long)ack->generation);
		TAILQ_REMOVE(&client->acks, ack, entry);
		free(ack);
	}
}

/* Queues a REVOKE_ACK (unless the caller asked never to acknowledge). */
static void client_ack_queue(struct daxmr_client *client, uint32_t export_id, uint64_t generation,
			     uint64_t request_id)
{
	struct client_ack *ack;

	if (!client->opts.ack_revoke) {
		DAXMR_LOG_NTC(
			"not acknowledging REVOKE of export %u generation %llu (ack_revoke off)",
			export_id, (unsigned long long)generation);
		return;
	}
	ack = calloc(1, sizeof(*ack));
	if (!ack) {
		client_fail(client, -ENOMEM, "cannot queue REVOKE_ACK");
		return;
	}
	ack->export_id = export_id;
	ack->generation = generation;
	ack->request_id = request_id;
	TAILQ_INSERT_TAIL(&client->acks, ack, entry);
}

/* REVOKE: the matching open regions become REVOKED; ACK now, or once their transfer ends. */
static void client_on_revoke(struct daxmr_client *client, const struct daxmr_proto_msg *msg)
{
	const struct daxmr_proto_revoke *rv = &msg->revoke;
	struct daxmr_region *region;
	struct client_event *ev;
	bool deferred = false;

	DAXMR_LOG_INF("REVOKE export %u generation %llu reason %d deadline %u ms", rv->export_id,
		      (unsigned long long)rv->generation, (int)rv->reason, rv->deadline_ms);
	TAILQ_FOREACH(region, &client->regions, entry) {
		if (region->desc.export_id != rv->export_id ||
		    region->desc.generation != rv->generation || region->state != DAXMR_REGION_OPEN)
			continue;
		region->state = DAXMR_REGION_REVOKED;
		daxmr_credit_on_revoke(&client->credit);
		if (region->busy) {
			/* its transfer is in flight: the server may not fence until it ends */
			region->ack_deferred = true;
			region->ack_request_id = msg->hdr.request_id;
			deferred = true;
		}
		ev = calloc(1, sizeof(*ev));
		if (!ev) {
			client_fail(client, -ENOMEM, "cannot queue a revocation");
			return;
		}
		ev->type = CLIENT_EV_REVOKE;
		ev->region = region;
		ev->export_id = rv->export_id;
		ev->generation = rv->generation;
		ev->reason = (enum daxmr_revoke_reason)rv->reason;
		ev->deadline_ms = rv->deadline_ms;
		memcpy(ev->name, region->name, sizeof(ev->name));
		client_event_push(client, ev);
	}
	/* no region at all: it crossed our CLOSE; the server ignores an ACK it does not need */
	if (!deferred)
		client_ack_queue(client, rv->export_id, rv->generation, msg->hdr.request_id);
}

/* AVAILABLE: revoked regions of the export are released; tell the caller once. */
static void client_on_available(struct daxmr_client *client, const struct daxmr_proto_msg *msg)
{
	const struct daxmr_proto_export_ref *av = &msg->available;
	struct daxmr_region *region;
	struct client_event *ev = NULL;

	DAXMR_LOG_INF("AVAILABLE export %u generation %llu", av->export_id,
		      (unsigned long long)av->generation);
	TAILQ_FOREACH(region, &client->regions, entry) {
		if (region->desc.export_id != av->export_id ||
		    region->state != DAXMR_REGION_REVOKED)
			continue;
		region->state = DAXMR_REGION_RELEASED;
		daxmr_credit_on_available(&client->credit);
		if (ev)
			continue;
		ev = calloc(1, sizeof(*ev));
		if (!ev) {
			client_fail(client, -ENOMEM, "cannot queue an AVAILABLE");
			return;
		}
		ev->type = CLIENT_EV_AVAILABLE;
		ev->export_id = av->export_id;
		ev->generation = av->generation;
		memcpy(ev->name, region->name, sizeof(ev->name));
	}
	if (ev)
		client_event_push(client, ev);
	else
		DAXMR_LOG_DBG("AVAILABLE for export %u: no revoked region of it", av->export_id);
}

/* Copies a descriptor off the wire into the public struct. */
static void client_desc_from_proto(struct daxmr_desc *d, const struct daxmr_proto_desc *p)
{
	d->export_id = p->export_id;
	d->generation = p->generation;
	d->addr = p->addr;
	d->length = p->length;
	d->rkey = p->rkey;
	d->persist_granularity = p->persist_granularity;
	d->access = (enum daxmr_access)p->access;
	d->memory = (enum daxmr_memory)p->memory;
	d->registration = (enum daxmr_registration)p->registration;
	d->key_kind = (enum daxmr_key_kind)p->key_kind;
}

/* A reply: it must answer the request in flight. */
static void client_on_reply(struct daxmr_client *client, const struct daxmr_proto_msg *msg)
{
	struct client_pending *p = &client->pending;
	bool open, opened;

	if (!p->active || p->done || msg->hdr.request_id != p->request_id ||
	    msg->hdr.opcode != p->opcode) {
		DAXMR_LOG_ERR("%s reply (request %llu) from %s answers nothing we sent",
			      daxmr_proto_opcode_str(msg->hdr.opcode),
			      (unsigned long long)msg->hdr.request_id, client->peer);
		client_fail(client, -EPROTO, "unsolicited reply");
		return;
	}
	open = p->opcode == DAXMR_PROTO_OP_OPEN;
	opened = open && msg->hdr.status == DAXMR_PROTO_STATUS_OK;
	daxmr_credit_on_reply(&client->credit, open, opened);
	if (opened && p->opening) {
		/* attach now: a REVOKE right behind this reply must find the region */
		client_desc_from_proto(&p->opening->desc, &msg->desc);
		p->opening->state = DAXMR_REGION_OPEN;
		TAILQ_INSERT_TAIL(&client->regions, p->opening, entry);
	}
	*p->reply = *msg;
	p->done = true;
}

/* One received message: decode, then dispatch by opcode. */
static void client_on_recv(struct daxmr_client *client, unsigned int slot, uint32_t byte_len)
{
	struct daxmr_proto_msg *msg;
	int ret;

	msg = malloc(sizeof(*msg));
	if (!msg) {
		client_fail(client, -ENOMEM, "cannot decode a message");
		return;
	}
	ret = daxmr_proto_msg_decode(client_recv_buf(client, slot), byte_len, msg);
	if (ret) {
		DAXMR_LOG_ERR("bad message (%u bytes) from %s: %s", byte_len, client->peer,
			      daxmr_log_strerror(ret));
		client_fail(client, ret, "protocol violation");
		goto out;
	}
	if (msg->hdr.opcode == DAXMR_PROTO_OP_ERROR) {
		DAXMR_LOG_ERR("server %s sent ERROR %s", client->peer,
			      daxmr_proto_status_str(msg->hdr.status));
		client_fail(client, daxmr_status_errno(msg->hdr.status), "server sent ERROR");
		goto out;
	}
	if (msg->hdr.flags & DAXMR_PROTO_F_REPLY) {
		client_on_reply(client, msg);
		goto out;
	}
	switch (msg->hdr.opcode) {
	case DAXMR_PROTO_OP_REVOKE:
		client_on_revoke(client, msg);
		break;
	case DAXMR_PROTO_OP_AVAILABLE:
		client_on_available(client, msg);
		break;
	default:
		DAXMR_LOG_ERR("server %s sent a %s request: wrong direction", client->peer,
			      daxmr_proto_opcode_str(msg->hdr.opcode));
		client_fail(client, -EPROTO, "protocol violation");
		break;
	}
out:
	free(msg);
}

/* The errno a failed RDMA completion means. */
static int client_wc_errno(enum ibv_wc_status status)
{
	switch (status) {
	case IBV_WC_REM_ACCESS_ERR:
	case IBV_WC_LOC_PROT_ERR:
		return -EACCES;
	case IBV_WC_RETRY_EXC_ERR:
	case IBV_WC_RNR_RETRY_EXC_ERR:
		return -ECONNRESET;
	default:
		return -EIO;
	}
}

/* One work completion. */
static void client_on_wc(struct daxmr_client *client, const struct ibv_wc *wc)
{
	enum client_wr_kind kind = (enum client_wr_kind)daxmr_wrid_kind(wc->wr_id);
	unsigned int slot = daxmr_wrid_slot(wc->wr_id);

	switch (kind) {
	case CLIENT_WR_RECV:
		if (slot >= CLIENT_RECV_SLOTS)
			break;
		client->recv_posted[slot] = false;
		client->recvs_posted--;
		if (wc->status != IBV_WC_SUCCESS)
			break;
		client_on_recv(client, slot, wc->byte_len);
		return;
	case CLIENT_WR_SEND:
		if (slot >= CLIENT_SEND_SLOTS)
			break;
		client->send_busy[slot] = false;
		client->sends_busy--;
		if (wc->status == IBV_WC_SUCCESS)
			return;
		break;
	case CLIENT_WR_RDMA:
		client->rdma_done = true;
		client->rdma_err = wc->status == IBV_WC_SUCCESS ? 0 : client_wc_errno(wc->status);
		if (wc->status == IBV_WC_SUCCESS)
			return;
		break;
	}
	if (wc->status == IBV_WC_SUCCESS)
		return; /* an id we never posted: nothing to do */
	if (wc->status == IBV_WC_WR_FLUSH_ERR && client->state != DAXMR_CLIENT_READY)
		return; /* the QP is already in error: the rest flushes out */
	DAXMR_LOG_ERR("%s completion failed on connection %s: %s (vendor error 0x%x)",
		      kind == CLIENT_WR_RDMA ? "RDMA" :
		      kind == CLIENT_WR_SEND ? "SEND" :
					       "RECV",
		      client->peer, ibv_wc_status_str(wc->status), wc->vendor_err);
	client_fail(client, client_wc_errno(wc->status), ibv_wc_status_str(wc->status));
}

/* Polls the CQ until it is empty, then sends queued ACKs and tops up the receives. */
static int client_drain_cq(struct daxmr_client *client)
{
	struct ibv_wc wc[16];
	int n, i;

	do {
		n = ibv_poll_cq(client->cq, 16, wc);
		if (n < 0) {
			DAXMR_LOG_CALL_ERR("ibv_poll_cq", -EIO, "connection %s", client->peer);
			client_fail(client, -EIO, "cannot poll the CQ");
			return -EIO;
		}
		for (i = 0; i < n; i++)
			client_on_wc(client, &wc[i]);
	} while (n == 16);
	if (client->state != DAXMR_CLIENT_READY && client->state != DAXMR_CLIENT_HELLO)
		return 0;
	client_flush_acks(client);
	if (client->state == DAXMR_CLIENT_READY || client->state == DAXMR_CLIENT_HELLO) {
		int ret = client_post_recvs(client, daxmr_credit_recvs_needed(&client->credit));

		if (ret)
			client_fail(client, ret, "cannot post receives");
	}
	return 0;
}

/* Takes the completion channel's pending events (non-blocking), acks them: the CQ is unarmed. */
static void client_take_cq_events(struct daxmr_client *client)
{
	struct ibv_cq *cq;
	void *ctx;

	while (ibv_get_cq_event(client->comp_channel, &cq, &ctx) == 0) {
		ibv_ack_cq_events(cq, 1);
		client->cq_armed = false;
	}
}

/* Arms the CQ for the next completion, then drains what raced with arming. */
static int client_arm_cq(struct daxmr_client *client)
{
	int ret;

	if (client->cq_armed)
		return 0;
	ret = ibv_req_notify_cq(client->cq, 0);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_req_notify_cq", -ret, "connection %s", client->peer);
		client_fail(client, -ret, "cannot arm the CQ");
		return -ret;
	}
	client->cq_armed = true;
	return client_drain_cq(client);
}

/* Gets one rdma_cm event without blocking, copies and acks it; -EAGAIN if none. */
static int client_cm_get(struct daxmr_client *client, struct client_cm_event *out)
{
	struct rdma_cm_event *ev;

	memset(out, 0, sizeof(*out));
	if (rdma_get_cm_event(client->cm_channel, &ev)) {
		int err = errno > 0 ? errno : EIO; /* never report success without an event */

		if (err == EAGAIN || err == EWOULDBLOCK)
			return -EAGAIN;
		DAXMR_LOG_CALL_ERR("rdma_get_cm_event", -err, "connection %s", client->peer);
		return -err;
	}
	out->type = ev->event;
	out->status = ev->status;
	if (ev->param.conn.private_data && ev->param.conn.private_data_len) {
		out->pdata_len = ev->param.conn.private_data_len;
		if (out->pdata_len > sizeof(out->pdata))
			out->pdata_len = sizeof(out->pdata);
		memcpy(out->pdata, ev->param.conn.private_data, out->pdata_len);
	}
	rdma_ack_cm_event(ev);
	return 0;
}

/* rdma_cm events on an established connection: only the end of it matters. */
static void client_on_cm_events(struct daxmr_client *client)
{
	struct client_cm_event ev;

	while (client_cm_get(client, &ev) == 0) {
		DAXMR_LOG_DBG("rdma_cm event %s on %s", rdma_event_str(ev.type), client->peer);
		switch (ev.type) {
		case RDMA_CM_EVENT_DISCONNECTED:
			client->connected = false;
			client_fail(client, -ECONNRESET, "server disconnected");
			break;
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
			client_fail(client, -ENODEV, "RDMA device removed");
			break;
		default:
			break;
		}
	}
}

/*
 * Runs the connection until done(client, arg) or the deadline: drains the CQ, arms it, sleeps
 * in poll(2) on the completion channel and the rdma_cm channel. -ETIMEDOUT, or the death cause.
 */
static int client_wait(struct daxmr_client *client, bool (*done)(struct daxmr_client *, void *),
		       void *arg, int64_t deadline)
{
	struct pollfd pfd[2];
	int64_t left;
	int ret;

	for (;;) {
		ret = client_drain_cq(client);
		if (ret)
			return ret;
		if (done(client, arg))
			return 0;
		if (daxmr_client_error(client))
			return client->dead_err ? client->dead_err : -ENOTCONN;
		if (!client->cq_armed) {
			ret = client_arm_cq(client);
			if (ret)
				return ret;
			continue;
		}
		left = deadline - daxmr_clock_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		pfd[0] = (struct pollfd){ .fd = client->comp_channel->fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = client->cm_channel->fd, .events = POLLIN };
		ret = poll(pfd, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("poll", ret, "connection %s", client->peer);
			return ret;
		}
		if (ret > 0 && pfd[0].revents)
			client_take_cq_events(client);
		if (ret > 0 && pfd[1].revents)
			client_on_cm_events(client);
	}
}

/* client_wait predicate: the request in flight got its reply. */
static bool client_reply_arrived(struct daxmr_client *client, void *arg)
{
	(void)arg;
	return client->pending.done;
}

/* client_wait predicate: a send slot is free. */
static bool client_send_slot_free(struct daxmr_client *client, void *arg)
{
	(void)arg;
	return client->sends_busy < CLIENT_SEND_SLOTS;
}

/* client_wait predicate: the RDMA transfer in flight completed. */
static bool client_rdma_completed(struct daxmr_client *client, void *arg)
{
	(void)arg;
	return client->rdma_done;
}

/* client_wait predicate: every queued REVOKE_ACK went out. */
static bool client_acks_sent(struct daxmr_client *client, void *arg)
{
	(void)arg;
	return TAILQ_EMPTY(&client->acks);
}

/*
 * Sends a request and waits for its reply (any status) into *reply. opening: the region an OPEN
 * is for. A timeout kills the connection: a reply that comes later could not be matched.
 */
static int client_request(struct daxmr_client *client, struct daxmr_proto_msg *req,
			  struct daxmr_proto_msg *reply, struct daxmr_region *opening)
{
	bool open = req->hdr.opcode == DAXMR_PROTO_OP_OPEN;
	int64_t deadline = daxmr_clock_ms() + client->opts.timeout_ms;
	int ret;

	ret = daxmr_client_error(client);
	if (ret)
		return ret;
	if (client->pending.active || !daxmr_credit_can_send(&client->credit))
		return -EBUSY; /* a callback issuing a request from inside one: not supported */
	ret = client_post_recvs(client, daxmr_credit_recvs_before_send(&client->credit, open));
	if (ret)
		return ret;
	ret = client_wait(client, client_send_slot_free, NULL, deadline);
	if (ret)
		return ret;
	req->hdr.status = DAXMR_PROTO_STATUS_OK;
	req->hdr.flags = 0;
	req->hdr.request_id = client->next_request_id++;
	client->pending = (struct client_pending){ .active = true,
						   .request_id = req->hdr.request_id,
						   .opcode = req->hdr.opcode,
						   .reply = reply,
						   .opening = opening };
	ret = client_post_msg(client, req);
	if (ret) {
		client->pending.active = false;
		client_fail(client, ret, "cannot send a request");
		return ret;
	}
	daxmr_credit_on_send(&client->credit, open);
	ret = client_wait(client, client_reply_arrived, NULL, deadline);
	client->pending.active = false;
	if (ret == -ETIMEDOUT) {
		DAXMR_LOG_ERR("no %s reply from %s within %d ms",
			      daxmr_proto_opcode_str(req->hdr.opcode), client->peer,
			      client->opts.timeout_ms);
		client_fail(client, -ETIMEDOUT, "request timed out");
	}
	if (ret)
		return ret;
	if (reply->hdr.status != DAXMR_PROTO_STATUS_OK)
		DAXMR_LOG_INF("%s: server %s says %s", daxmr_proto_opcode_str(req->hdr.opcode),
			      client->peer, daxmr_proto_status_str(reply->hdr.status));
	return 0;
}

/* Before returning to the caller: ACKs out, CQ armed, so the fd tells of anything new. */
static void client_settle(struct daxmr_client *client)
{
	if (daxmr_client_error(client))
		return;
	if (!TAILQ_EMPTY(&client->acks) &&
	    client_wait(client, client_acks_sent, NULL, daxmr_clock_ms() + client->opts.timeout_ms))
		return;
	client_arm_cq(client);
}

/* Sends OPEN for region->name and attaches the region on OK. */
int daxmr_client_open_desc(struct daxmr_client *client, struct daxmr_region *region,
			   enum daxmr_access access)
{
	struct daxmr_proto_msg *req, *reply;
	int ret;

	if (!daxmr_proto_name_valid(region->name))
		return -EINVAL;
	req = calloc(2, sizeof(*req));
	if (!req)
		return -ENOMEM;
	reply = req + 1;
	req->hdr.opcode = DAXMR_PROTO_OP_OPEN;
	req->open.access = (enum daxmr_proto_access)access;
	memcpy(req->open.name, region->name, sizeof(req->open.name));
	ret = client_request(client, req, reply, region);
	if (!ret)
		ret = daxmr_status_errno(reply->hdr.status);
	free(req);
	client_settle(client);
	return ret;
}

/* Drops the undelivered events that point at region. */
static void client_events_drop_region(struct daxmr_client *client, struct daxmr_region *region)
{
	struct client_event *ev, *next;

	for (ev = TAILQ_FIRST(&client->events); ev; ev = next) {
		next = TAILQ_NEXT(ev, entry);
		if (ev->region != region)
			continue;
		TAILQ_REMOVE(&client->events, ev, entry);
		free(ev);
	}
}

/* CLOSE unless RELEASED; always detaches. */
int daxmr_client_close_desc(struct daxmr_client *client, struct daxmr_region *region)
{
	struct daxmr_proto_msg *req = NULL, *reply;
	int ret = 0;

	if (region->state != DAXMR_REGION_RELEASED && !daxmr_client_error(client)) {
		req = calloc(2, sizeof(*req));
		if (!req) {
			ret = -ENOMEM;
		} else {
			reply = req + 1;
			req->hdr.opcode = DAXMR_PROTO_OP_CLOSE;
			req->close.export_id = region->desc.export_id;
			req->close.generation = region->desc.generation;
			ret = client_request(client, req, reply, NULL);
			if (!ret && reply->hdr.status != DAXMR_PROTO_STATUS_NOT_OPEN &&
			    reply->hdr.status != DAXMR_PROTO_STATUS_STALE_GENERATION)
				ret = daxmr_status_errno(reply->hdr.status);
			free(req);
		}
	}
	/* the state is read after the reply: an AVAILABLE may have crossed the CLOSE */
	if (region->state != DAXMR_REGION_RELEASED)
		daxmr_credit_on_close(&client->credit, region->state == DAXMR_REGION_REVOKED);
	TAILQ_REMOVE(&client->regions, region, entry);
	client_events_drop_region(client, region);
	client_settle(client);
	return ret;
}

/* FLUSH a range of the region's descriptor. */
int daxmr_client_flush_desc(struct daxmr_client *client, struct daxmr_region *region,
			    uint64_t offset, uint64_t len)
{
	struct daxmr_proto_msg *req, *reply;
	int ret;

	req = calloc(2, sizeof(*req));
	if (!req)
		return -ENOMEM;
	reply = req + 1;
	req->hdr.opcode = DAXMR_PROTO_OP_FLUSH;
	req->flush.export_id = region->desc.export_id;
	req->flush.generation = region->desc.generation;
	req->flush.offset = offset;
	req->flush.length = len;
	ret = client_request(client, req, reply, NULL);
	if (!ret)
		ret = daxmr_status_errno(reply->hdr.status);
	free(req);
	client_settle(client);
	return ret;
}

/* Posts one RDMA READ/WRITE of n bytes between the bounce buffer and raddr. */
static int client_post_rdma(struct daxmr_client *client, bool write, uint64_t raddr, uint32_t rkey,
			    size_t n)
{
	struct ibv_sge sge = { .addr = (uintptr_t)client_bounce(client),
			       .length = (uint32_t)n,
			       .lkey = client->mr->lkey };
	struct ibv_send_wr wr = { 0 };
	struct ibv_send_wr *bad = NULL;
	int ret;

	wr.wr_id = daxmr_wrid(CLIENT_WR_RDMA, (uint32_t)client->rdma_seq++);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	ret = ibv_post_send(client->id->qp, &wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_send", -ret, "RDMA %s of %zu bytes at 0x%llx",
				   write ? "WRITE" : "READ", n, (unsigned long long)raddr);
		return -ret;
	}
	client->rdma_done = false;
	client->rdma_err = 0;
	return 0;
}

/* Chunked one-sided transfer through the bounce buffer. */
int daxmr_client_transfer(struct daxmr_client *client, struct daxmr_region *region, bool write,
			  uint64_t offset, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0, n;
	int ret = 0;

	if (client->rdma_active)
		return -EBUSY;
	client->rdma_active = true;
	region->busy = true;
	while (done < len) {
		if (!daxmr_region_usable(region)) {
			ret = -ESTALE;
			break;
		}
		ret = daxmr_client_error(client);
		if (ret)
			break;
		n = len - done < CLIENT_BOUNCE_SIZE ? len - done : CLIENT_BOUNCE_SIZE;
		if (write)
			memcpy(client_bounce(client), p + done, n);
		ret = client_post_rdma(client, write, region->desc.addr + offset + done,
				       region->desc.rkey, n);
		if (ret) {
			client_fail(client, ret, "cannot post an RDMA transfer");
			break;
		}
		ret = client_wait(client, client_rdma_completed, NULL,
				  daxmr_clock_ms() + client->opts.timeout_ms);
		if (!ret)
			ret = client->rdma_err;
		if (ret == -ETIMEDOUT)
			client_fail(client, ret, "RDMA transfer timed out");
		if (ret) {
			DAXMR_LOG_ERR("RDMA %s of export %s (%zu bytes at offset %llu) failed: %s",
				      write ? "WRITE" : "READ", region->name, n,
				      (unsigned long long)(offset + done), daxmr_log_strerror(ret));
			break;
		}
		if (!write)
			memcpy(p + done, client_bounce(client), n);
		done += n;
	}
	region->busy = false;
	client->rdma_active = false;
	if (region->ack_deferred) {
		/* the revoked region's last transfer is over: now the server may fence */
		region->ack_deferred = false;
		client_ack_queue(client, region->desc.export_id, region->desc.generation,
				 region->ack_request_id);
	}
	client_settle(client);
	return ret;
}

/* Waits for one rdma_cm event during connect; other events are failures. */
static int client_cm_expect(struct daxmr_client *client, enum rdma_cm_event_type want,
			    int64_t deadline, struct client_cm_event *ev)
{
	struct pollfd pfd = { .fd = client->cm_channel->fd, .events = POLLIN };
	int64_t left;
	int ret;

	for (;;) {
		ret = client_cm_get(client, ev);
		if (ret == 0)
			break;
		if (ret != -EAGAIN)
			return ret;
		left = deadline - daxmr_clock_ms();
		if (left <= 0) {
			DAXMR_LOG_ERR("connecting to %s: no %s within %d ms", client->peer,
				      rdma_event_str(want), client->opts.timeout_ms);
			return -ETIMEDOUT;
		}
		ret = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("poll", ret, "rdma_cm channel of %s", client->peer);
			return ret;
		}
	}
	if (ev->type == want)
		return 0;
	switch (ev->type) {
	case RDMA_CM_EVENT_ADDR_ERROR:
		ret = ev->status < 0 ? ev->status : -EHOSTUNREACH;
		DAXMR_LOG_ERR("connecting to %s: cannot resolve the address to an RDMA device: %s",
			      client->peer, daxmr_log_strerror(ret));
		return ret;
	case RDMA_CM_EVENT_ROUTE_ERROR:
		ret = ev->status < 0 ? ev->status : -ENETUNREACH;
		DAXMR_LOG_ERR("connecting to %s: cannot resolve a route: %s", client->peer,
			      daxmr_log_strerror(ret));
		return ret;
	case RDMA_CM_EVENT_UNREACHABLE:
		ret = ev->status < 0 ? ev->status : -EHOSTUNREACH;
		DAXMR_LOG_ERR("connecting to %s: unreachable: %s", client->peer,
			      daxmr_log_strerror(ret));
		return ret;
	case RDMA_CM_EVENT_CONNECT_ERROR:
		ret = ev->status < 0 ? ev->status : -ECONNREFUSED;
		DAXMR_LOG_ERR("connecting to %s: connect error: %s", client->peer,
			      daxmr_log_strerror(ret));
		return ret;
	case RDMA_CM_EVENT_REJECTED:
		return -ECONNREFUSED; /* the caller decodes the reject data */
	default:
		DAXMR_LOG_ERR("connecting to %s: unexpected rdma_cm event %s (status %d)",
			      client->peer, rdma_event_str(ev->type), ev->status);
		return -EPROTO;
	}
}

/*
 * The negative errno a getaddrinfo error means; err is errno as getaddrinfo left it (EAI_SYSTEM's
 * cause). A name that does not resolve is -ENXIO, a resolver that cannot answer now -EAGAIN,
 * one that failed for good -EIO: none of them says the host is unreachable.
 */
static int client_gai_errno(int eai, int err)
{
	switch (eai) {
	case EAI_SYSTEM:
		return err > 0 ? -err : -EIO;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return -ENXIO;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SERVICE:
	case EAI_FAMILY:
	case EAI_SOCKTYPE:
	case EAI_BADFLAGS:
		return -EINVAL;
	case EAI_FAIL:
	default:
		return -EIO;
	}
}

/* Resolves addr with getaddrinfo and asks rdma_cm to bind it to a device, then a route. */
static int client_resolve(struct daxmr_client *client, const char *addr, int64_t deadline)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	struct client_cm_event ev;
	char host[256], port[16];
	unsigned int portnum;
	int ret;

	ret = daxmr_hostport_parse(addr, DAXMR_DEFAULT_PORT, host, sizeof(host), &portnum);
	if (ret) {
		DAXMR_LOG_ERR("bad server address '%s': want host[:port] or [ipv6]:port, port "
			      "1..65535",
			      addr);
		return ret;
	}
	snprintf(port, sizeof(port), "%u", portnum);
	snprintf(client->peer, sizeof(client->peer), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
		 port);
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret) {
		int err = client_gai_errno(ret, errno); /* errno now: EAI_SYSTEM's cause */

		DAXMR_LOG_ERR("getaddrinfo %s: %s", client->peer,
			      ret == EAI_SYSTEM ? daxmr_log_strerror(err) : gai_strerror(ret));
		return err;
	}
	client->state = DAXMR_CLIENT_ADDR_RESOLVING;
	if (rdma_resolve_addr(client->id, NULL, ai->ai_addr, client->opts.timeout_ms)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_resolve_addr", ret, "%s", client->peer);
		freeaddrinfo(ai);
		return ret;
	}
	freeaddrinfo(ai);
	ret = client_cm_expect(client, RDMA_CM_EVENT_ADDR_RESOLVED, deadline, &ev);
	if (ret)
		return ret;
	client->state = DAXMR_CLIENT_ROUTE_RESOLVING;
	if (rdma_resolve_route(client->id, client->opts.timeout_ms)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_resolve_route", ret, "%s", client->peer);
		return ret;
	}
	return client_cm_expect(client, RDMA_CM_EVENT_ROUTE_RESOLVED, deadline, &ev);
}

/* PD, completion channel, CQ, QP and the registered buffers on the device rdma_cm picked. */
static int client_verbs_new(struct daxmr_client *client)
{
	struct ibv_qp_init_attr attr = { 0 };
	int ret;

	client->pd = ibv_alloc_pd(client->id->verbs);
	if (!client->pd) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_alloc_pd", ret, "device %s",
				   ibv_get_device_name(client->id->verbs->device));
		return ret;
	}
	client->comp_channel = ibv_create_comp_channel(client->id->verbs);
	if (!client->comp_channel) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_create_comp_channel", ret, "connection %s", client->peer);
		return ret;
	}
	ret = daxmr_fd_set_nonblock(client->comp_channel->fd, true, "completion channel");
	if (ret)
		return ret;
	client->cq = ibv_create_cq(client->id->verbs, 2 * (CLIENT_RECV_SLOTS + CLIENT_SEND_SLOTS),
				   NULL, client->comp_channel, 0);
	if (!client->cq) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_create_cq", ret, "connection %s", client->peer);
		return ret;
	}
	attr.send_cq = client->cq;
	attr.recv_cq = client->cq;
	attr.qp_type = IBV_QPT_RC;
	attr.cap.max_send_wr = CLIENT_SEND_SLOTS + 2;
	attr.cap.max_recv_wr = CLIENT_RECV_SLOTS;
	attr.cap.max_send_sge = 1;
	attr.cap.max_recv_sge = 1;
	if (rdma_create_qp(client->id, client->pd, &attr)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_create_qp", ret, "connection %s", client->peer);
		return ret;
	}
	client->qp_created = true;
	client->buf_len = (size_t)(CLIENT_RECV_SLOTS + CLIENT_SEND_SLOTS) * DAXMR_PROTO_MSG_MAX +
			  CLIENT_BOUNCE_SIZE;
	client->buf = mmap(NULL, client->buf_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (client->buf == MAP_FAILED) {
		ret = -errno;
		client->buf = NULL;
		DAXMR_LOG_CALL_ERR("mmap", ret, "%zu bytes of message and bounce buffers",
				   client->buf_len);
		return ret;
	}
	return daxmr_verbs_reg(client->pd, client->buf, client->buf_len, IBV_ACCESS_LOCAL_WRITE,
			       DAXMR_VERBS_PINNED, "libdaxmr message and bounce buffers",
			       &client->mr, NULL);
}

/* Explains a reject: the server's status and versions when it sent daxmr reject data. */
static int client_on_reject(struct daxmr_client *client, const struct client_cm_event *ev)
{
	struct daxmr_proto_cm_reject rej;

	if (daxmr_proto_cm_reject_decode(ev->pdata, ev->pdata_len, &rej)) {
		DAXMR_LOG_ERR(
			"connecting to %s: rejected (reason %d) without daxmr reject data: is "
			"daxmrd listening there?",
			client->peer, ev->status);
		return -ECONNREFUSED;
	}
	DAXMR_LOG_ERR("connecting to %s: daxmrd rejected us: %s (server speaks versions %u..%u, "
		      "we speak %u..%u)",
		      client->peer, daxmr_proto_status_str(rej.status), rej.version_min,
		      rej.version_max, DAXMR_PROTO_VERSION_MIN, DAXMR_PROTO_VERSION_MAX);
	if (rej.status == DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION)
		return -EPROTONOSUPPORT;
	if (rej.status == DAXMR_PROTO_STATUS_BUSY)
		return -EBUSY;
	if (rej.status == DAXMR_PROTO_STATUS_ACCESS_DENIED) {
		DAXMR_LOG_ERR("connecting to %s: no export there admits this client's address",
			      client->peer);
		return -EACCES;
	}
	return -ECONNREFUSED;
}

/* rdma_connect with our version range; waits for ESTABLISHED and checks the accept data. */
static int client_establish(struct daxmr_client *client, int64_t deadline)
{
	struct daxmr_proto_cm_connect cm = { .version_min = DAXMR_PROTO_VERSION_MIN,
					     .version_max = DAXMR_PROTO_VERSION_MAX };
	struct rdma_conn_param param = { 0 };
	struct daxmr_proto_cm_accept acc;
	struct ibv_device_attr dev;
	struct client_cm_event ev = { 0 };
	uint8_t pdata[DAXMR_PROTO_CM_CONNECT_SIZE];
	int ret;

	ret = daxmr_proto_cm_connect_encode(&cm, pdata, sizeof(pdata));
	if (ret < 0)
		return ret;
	param.private_data = pdata;
	param.private_data_len = (uint8_t)ret;
	param.initiator_depth = 1;
	param.responder_resources = 1;
	ret = ibv_query_device(client->id->verbs, &dev);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_query_device", -ret, "connection %s", client->peer);
		return -ret;
	}
	param.initiator_depth =
		(uint8_t)(dev.max_qp_init_rd_atom < CLIENT_RD_ATOM_MAX ? dev.max_qp_init_rd_atom :
									 CLIENT_RD_ATOM_MAX);
	param.responder_resources =
		(uint8_t)(dev.max_qp_rd_atom < CLIENT_RD_ATOM_MAX ? dev.max_qp_rd_atom :
								    CLIENT_RD_ATOM_MAX);
	param.retry_count = 7;
	param.rnr_retry_count = 7; /* infinite: a server reposts receives before it replies */
	client->state = DAXMR_CLIENT_CONNECTING;
	if (rdma_connect(client->id, &param)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_connect", ret, "%s", client->peer);
		return ret;
	}
	ret = client_cm_expect(client, RDMA_CM_EVENT_ESTABLISHED, deadline, &ev);
	if (ret == -ECONNREFUSED && ev.type == RDMA_CM_EVENT_REJECTED)
		return client_on_reject(client, &ev);
	if (ret)
		return ret;
	client->connected = true;
	ret = daxmr_proto_cm_accept_decode(ev.pdata, ev.pdata_len, &acc);
	if (ret) {
		DAXMR_LOG_ERR("connecting to %s: bad accept data (%zu bytes): %s", client->peer,
			      ev.pdata_len, daxmr_log_strerror(ret));
		return ret == -EPROTONOSUPPORT ? ret : -EPROTO;
	}
	if (acc.credits < 1) {
		DAXMR_LOG_ERR("connecting to %s: server grants 0 credits", client->peer);
		return -EPROTO;
	}
	client->version = acc.version;
	daxmr_credit_init(&client->credit, acc.credits);
	DAXMR_LOG_INF("connected to %s: version %u, %u credits", client->peer, acc.version,
		      acc.credits);
	return 0;
}

/*
 * AUTH after a HELLO reply that asks for it (docs/protocol.md, section 7): our nonce and proof
 * over the server's challenge, and the server's proof checked in return. A client with a secret
 * refuses a server that does not ask: one that does not know the secret would not.
 */
static int client_auth(struct daxmr_client *client, const struct daxmr_proto_hello_reply *hello)
{
	struct daxmr_proto_msg *req, *reply;
	int ret;

	if (!(hello->flags & DAXMR_PROTO_HELLO_F_AUTH)) {
		if (!client->auth)
			return 0;
		DAXMR_LOG_ERR("connecting to %s: a secret file was given but the server did not "
			      "ask us to authenticate: it cannot prove it shares the secret, so it "
			      "is not trusted",
			      client->peer);
		return -EACCES;
	}
	if (!client->auth) {
		DAXMR_LOG_ERR("connecting to %s: the server requires authentication: give the "
			      "secret file it shares (daxmr --secret-file FILE, or "
			      "opts.secret_file)",
			      client->peer);
		return -EACCES;
	}
	req = calloc(2, sizeof(*req));
	if (!req)
		return -ENOMEM;
	reply = req + 1;
	req->hdr.opcode = DAXMR_PROTO_OP_AUTH;
	daxmr_auth_random(req->auth.nonce, sizeof(req->auth.nonce));
	daxmr_auth_proof(&client->key, DAXMR_AUTH_CLIENT, hello->challenge, req->auth.nonce,
			 req->auth.proof);
	ret = client_request(client, req, reply, NULL);
	if (!ret && reply->hdr.status != DAXMR_PROTO_STATUS_OK) {
		DAXMR_LOG_ERR("AUTH to %s: server says %s%s", client->peer,
			      daxmr_proto_status_str(reply->hdr.status),
			      reply->hdr.status == DAXMR_PROTO_STATUS_ACCESS_DENIED ?
				      ": our secret is not the server's" :
				      "");
		ret = daxmr_status_errno(reply->hdr.status);
	} else if (!ret && !daxmr_auth_verify(&client->key, DAXMR_AUTH_SERVER, hello->challenge,
					      req->auth.nonce, reply->auth_reply.proof)) {
		DAXMR_LOG_ERR("AUTH to %s: the server's proof does not match our secret: it is "
			      "not the server we share it with",
			      client->peer);
		ret = -EACCES;
	} else if (!ret) {
		DAXMR_LOG_INF("authenticated to %s, and it to us", client->peer);
	}
	free(req);
	return ret;
}

/* HELLO with our range and name; the reply names the server. */
static int client_hello(struct daxmr_client *client)
{
	struct daxmr_proto_msg *req, *reply;
	int ret;

	req = calloc(2, sizeof(*req));
	if (!req)
		return -ENOMEM;
	reply = req + 1;
	req->hdr.opcode = DAXMR_PROTO_OP_HELLO;
	req->hello.version_min = DAXMR_PROTO_VERSION_MIN;
	req->hello.version_max = DAXMR_PROTO_VERSION_MAX;
	memcpy(req->hello.name, client->name, sizeof(req->hello.name));
	client->state = DAXMR_CLIENT_HELLO;
	ret = client_request(client, req, reply, NULL);
	if (!ret && reply->hdr.status != DAXMR_PROTO_STATUS_OK) {
		DAXMR_LOG_ERR("HELLO to %s: server says %s", client->peer,
			      daxmr_proto_status_str(reply->hdr.status));
		ret = daxmr_status_errno(reply->hdr.status);
	} else if (!ret && reply->hello_reply.version != client->version) {
		DAXMR_LOG_ERR("HELLO to %s: reply names version %u, connection has %u",
			      client->peer, reply->hello_reply.version, client->version);
		ret = -EPROTO;
	}
	if (!ret)
		memcpy(client->server_name, reply->hello_reply.name, sizeof(client->server_name));
	if (!ret)
		ret = client_auth(client, &reply->hello_reply);
	free(req);
	return ret;
}

/* Our default name "daxmr@host:pid", squeezed into the wire's name alphabet. */
static void client_default_name(char *name, size_t len)
{
	char host[128] = "localhost";
	size_t i;

	if (gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(name, len, "daxmr@%s:%ld", host, (long)getpid());
	for (i = 0; name[i]; i++)
		if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
			name[i] = '_';
}

/* The epoll fd over the rdma_cm channel, the completion channel and the event eventfd. */
static int client_epoll_new(struct daxmr_client *client)
{
	int fds[3] = { client->cm_channel->fd, client->comp_channel->fd, client->event_fd };
	struct epoll_event ev = { .events = EPOLLIN };
	int i, ret;

	client->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (client->epoll_fd < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("epoll_create1", ret, "connection %s", client->peer);
		return ret;
	}
	for (i = 0; i < 3; i++) {
		ev.data.fd = fds[i];
		if (epoll_ctl(client->epoll_fd, EPOLL_CTL_ADD, fds[i], &ev)) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("epoll_ctl", ret, "fd %d", fds[i]);
			return ret;
		}
	}
	return 0;
}

/* Frees everything the client holds, in reverse order of creation; NULL-safe per resource. */
static int client_free(struct daxmr_client *client)
{
	struct client_event *ev;
	struct client_ack *ack;
	struct daxmr_region *region;
	int ret = 0, r;

	daxmr_auth_key_wipe(&client->key);
	while ((region = TAILQ_FIRST(&client->regions))) {
		/* the caller did not close it: free it, its pointer dies with the client */
		TAILQ_REMOVE(&client->regions, region, entry);
		free(region);
	}
	while ((ev = TAILQ_FIRST(&client->events))) {
		TAILQ_REMOVE(&client->events, ev, entry);
		free(ev);
	}
	while ((ack = TAILQ_FIRST(&client->acks))) {
		TAILQ_REMOVE(&client->acks, ack, entry);
		free(ack);
	}
	if (client->qp_created)
		rdma_destroy_qp(client->id);
	if (client->mr) {
		r = ibv_dereg_mr(client->mr);
		if (r) {
			DAXMR_LOG_CALL_ERR("ibv_dereg_mr", -r, "libdaxmr buffers");
			ret = ret ? ret : -r;
		}
	}
	if (client->buf)
		munmap(client->buf, client->buf_len);
	if (client->cq) {
		r = ibv_destroy_cq(client->cq);
		if (r) {
			DAXMR_LOG_CALL_ERR("ibv_destroy_cq", -r, "connection %s", client->peer);
			ret = ret ? ret : -r;
		}
	}
	if (client->comp_channel) {
		r = ibv_destroy_comp_channel(client->comp_channel);
		if (r) {
			DAXMR_LOG_CALL_ERR("ibv_destroy_comp_channel", -r, "connection %s",
					   client->peer);
			ret = ret ? ret : -r;
		}
	}
	if (client->pd) {
		r = ibv_dealloc_pd(client->pd);
		if (r) {
			DAXMR_LOG_CALL_ERR("ibv_dealloc_pd", -r, "connection %s", client->peer);
			ret = ret ? ret : -r;
		}
	}
	if (client->id && rdma_destroy_id(client->id)) {
		r = -errno; /* before the log line, which may call into libc */
		DAXMR_LOG_CALL_ERR("rdma_destroy_id", r, "connection %s", client->peer);
		ret = ret ? ret : r;
	}
	if (client->cm_channel)
		rdma_destroy_event_channel(client->cm_channel);
	if (client->epoll_fd >= 0)
		close(client->epoll_fd);
	if (client->event_fd >= 0)
		close(client->event_fd);
	free(client);
	return ret;
}

/* Connects to daxmrd at addr: resolution, QP, connect data, HELLO. */
int daxmr_client_connect(const char *addr, const struct daxmr_client_opts *opts,
			 struct daxmr_client **client_ptr)
{
	const struct daxmr_client_opts defaults = DAXMR_CLIENT_OPTS_DEFAULT;
	struct daxmr_client *client;
	int64_t deadline;
	int ret;

	if (!addr || !client_ptr)
		return -EINVAL;
	client = calloc(1, sizeof(*client));
	if (!client)
		return -ENOMEM;
	client->epoll_fd = -1;
	client->event_fd = -1;
	client->next_request_id = 1;
	TAILQ_INIT(&client->regions);
	TAILQ_INIT(&client->events);
	TAILQ_INIT(&client->acks);
	client->opts = opts ? *opts : defaults;
	if (client->opts.timeout_ms <= 0)
		client->opts.timeout_ms = DAXMR_DEFAULT_TIMEOUT_MS;
	daxmr_log_set_ident("libdaxmr");
	daxmr_log_set_level(client->opts.verbose >= 2 ? DAXMR_LOG_DEBUG :
			    client->opts.verbose == 1 ? DAXMR_LOG_INFO :
							DAXMR_LOG_WARN);
	if (client->opts.name) {
		if (!daxmr_proto_name_valid(client->opts.name)) {
			DAXMR_LOG_ERR(
				"client name '%s': want 1..255 printable characters, no space",
				client->opts.name);
			ret = -EINVAL;
			goto err_free;
		}
		snprintf(client->name, sizeof(client->name), "%s", client->opts.name);
	} else {
		client_default_name(client->name, sizeof(client->name));
	}
	client->opts.name = NULL; /* the caller's string is not kept */
	if (client->opts.secret_file) {
		char why[PATH_MAX + 128];

		ret = daxmr_auth_key_load(client->opts.secret_file, &client->key, why, sizeof(why));
		if (ret) {
			DAXMR_LOG_ERR("secret file: %s", why);
			goto err_free;
		}
		client->auth = true;
	}
	client->opts.secret_file = NULL; /* nor is this one */
	snprintf(client->peer, sizeof(client->peer), "%s", addr);
	deadline = daxmr_clock_ms() + client->opts.timeout_ms;

	client->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (client->event_fd < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("eventfd", ret, "connection %s", addr);
		goto err_free;
	}
	client->cm_channel = rdma_create_event_channel();
	if (!client->cm_channel) {
		ret = errno ? -errno : -ENODEV;
		DAXMR_LOG_CALL_ERR("rdma_create_event_channel", ret,
				   "connection %s (is the rdma_ucm module loaded?)", addr);
		goto err_free;
	}
	ret = daxmr_fd_set_nonblock(client->cm_channel->fd, true, "rdma_cm channel");
	if (ret)
		goto err_free;
	if (rdma_create_id(client->cm_channel, &client->id, client, RDMA_PS_TCP)) {
		ret = -errno;
		client->id = NULL;
		DAXMR_LOG_CALL_ERR("rdma_create_id", ret, "connection %s", addr);
		goto err_free;
	}
	ret = client_resolve(client, addr, deadline);
	if (ret)
		goto err_free;
	ret = client_verbs_new(client);
	if (ret)
		goto err_free;
	/* the HELLO reply's receive (and the slack) must be there before the server can send */
	ret = client_post_recvs(client, DAXMR_CREDIT_SLACK + 1);
	if (ret)
		goto err_free;
	ret = client_establish(client, deadline);
	if (ret)
		goto err_disconnect;
	ret = client_epoll_new(client);
	if (ret)
		goto err_disconnect;
	ret = client_hello(client);
	if (ret)
		goto err_disconnect;
	client->state = DAXMR_CLIENT_READY;
	ret = client_arm_cq(client);
	if (ret)
		goto err_disconnect;
	DAXMR_LOG_INF("connected to %s (server '%s') as '%s'", client->peer, client->server_name,
		      client->name);
	*client_ptr = client;
	return 0;

err_disconnect:
	if (client->connected && rdma_disconnect(client->id))
		DAXMR_LOG_DBG("rdma_disconnect %s: %s", client->peer, daxmr_log_strerror(errno));
err_free:
	client_free(client);
	return ret;
}

/* client_wait-like wait for DISCONNECTED on the rdma_cm channel, bounded. */
static void client_wait_disconnected(struct daxmr_client *client)
{
	int64_t deadline = daxmr_clock_ms() + CLIENT_DISCONNECT_WAIT_MS;
	struct pollfd pfd = { .fd = client->cm_channel->fd, .events = POLLIN };
	struct client_cm_event ev;
	int64_t left;

	while (client->connected) {
		if (client_cm_get(client, &ev) == 0) {
			if (ev.type == RDMA_CM_EVENT_DISCONNECTED)
				client->connected = false;
			continue;
		}
		left = deadline - daxmr_clock_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) < 0)
			return;
	}
}

/* Disconnects and frees the client and its remaining regions. */
int daxmr_client_disconnect(struct daxmr_client **client_ptr)
{
	struct daxmr_client *client;

	if (!client_ptr || !*client_ptr)
		return 0;
	client = *client_ptr;
	*client_ptr = NULL;
	if (client->connected) {
		if (rdma_disconnect(client->id))
			DAXMR_LOG_DBG("rdma_disconnect %s: %s", client->peer,
				      daxmr_log_strerror(errno));
		else
			client_wait_disconnected(client);
	}
	client->state = DAXMR_CLIENT_CLOSED;
	return client_free(client);
}

/* The server's name from HELLO. */
const char *daxmr_client_server_name(const struct daxmr_client *client)
{
	return client->server_name;
}

/* Appends one LIST page's entries that are new (by export id). */
static int client_list_append(const struct daxmr_proto_list_reply *page,
			      struct daxmr_export_info **infos, size_t *count, size_t *cap)
{
	const struct daxmr_proto_export *e;
	struct daxmr_export_info *grown;
	size_t i, j;

	for (i = 0; i < page->count; i++) {
		e = &page->entries[i];
		for (j = 0; j < *count && (*infos)[j].export_id != e->export_id; j++)
			;
		if (j < *count)
			continue; /* seen on an earlier page: pages are not a snapshot */
		if (*count == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			grown = realloc(*infos, *cap * sizeof(**infos));
			if (!grown)
				return -ENOMEM;
			*infos = grown;
		}
		(*infos)[*count] = (struct daxmr_export_info){
			.export_id = e->export_id,
			.generation = e->generation,
			.length = e->length,
			.access = (enum daxmr_access)e->access,
			.memory = (enum daxmr_memory)e->memory,
			.registration = (enum daxmr_registration)e->registration,
		};
		memcpy((*infos)[*count].name, e->name, sizeof((*infos)[*count].name));
		(*count)++;
	}
	return 0;
}

/* Every export, through paged LIST. */
int daxmr_client_list(struct daxmr_client *client, struct daxmr_export_info **infos_ptr,
		      size_t *count_ptr)
{
	struct daxmr_export_info *infos = NULL;
	struct daxmr_proto_msg *req, *reply;
	size_t count = 0, cap = 0;
	uint32_t start = 0;
	unsigned int pages;
	int ret = 0;

	if (!client || !infos_ptr || !count_ptr)
		return -EINVAL;
	req = calloc(2, sizeof(*req));
	if (!req)
		return -ENOMEM;
	reply = req + 1;
	for (pages = 0;; pages++) {
		if (pages == CLIENT_LIST_PAGES_MAX) {
			DAXMR_LOG_ERR("LIST from %s: still MORE after %u pages", client->peer,
				      pages);
			ret = -EPROTO;
			break;
		}
		memset(req, 0, sizeof(*req));
		req->hdr.opcode = DAXMR_PROTO_OP_LIST;
		req->list.start = start;
		ret = client_request(client, req, reply, NULL);
		if (!ret)
			ret = daxmr_status_errno(reply->hdr.status);
		if (ret)
			break;
		if (reply->list_reply.start != start) {
			DAXMR_LOG_ERR("LIST from %s: asked for start %u, got %u", client->peer,
				      start, reply->list_reply.start);
			ret = -EPROTO;
			break;
		}
		ret = client_list_append(&reply->list_reply, &infos, &count, &cap);
		if (ret)
			break;
		if (!(reply->list_reply.flags & DAXMR_PROTO_LIST_F_MORE))
			break;
		if (reply->list_reply.count == 0) {
			DAXMR_LOG_ERR("LIST from %s: empty page says MORE", client->peer);
			ret = -EPROTO;
			break;
		}
		start += reply->list_reply.count;
	}
	free(req);
	client_settle(client);
	if (ret) {
		free(infos);
		return ret;
	}
	*infos_ptr = infos;
	*count_ptr = count;
	return 0;
}

/* Frees a LIST result. */
void daxmr_client_list_free(struct daxmr_export_info *infos)
{
	free(infos);
}

/* Sets or clears the callbacks. */
void daxmr_client_set_callbacks(struct daxmr_client *client, const struct daxmr_callbacks *cbs,
				void *arg)
{
	if (cbs)
		client->cbs = *cbs;
	else
		memset(&client->cbs, 0, sizeof(client->cbs));
	client->cbs_arg = arg;
}

/* The fd for the caller's event loop. */
int daxmr_client_fd(const struct daxmr_client *client)
{
	return client->epoll_fd;
}

/* Delivers one queued event through the callbacks. */
static void client_deliver(struct daxmr_client *client, struct client_event *ev)
{
	struct daxmr_revoke_info info;

	switch (ev->type) {
	case CLIENT_EV_REVOKE:
		if (!client->cbs.on_revoke || !ev->region)
			return;
		info = (struct daxmr_revoke_info){ .export_id = ev->export_id,
						   .generation = ev->generation,
						   .name = ev->name,
						   .reason = ev->reason,
						   .deadline_ms = ev->deadline_ms };
		client->cbs.on_revoke(ev->region, &info, client->cbs_arg);
		return;
	case CLIENT_EV_AVAILABLE:
		if (client->cbs.on_available)
			client->cbs.on_available(ev->export_id, ev->name, ev->generation,
						 client->cbs_arg);
		return;
	case CLIENT_EV_DISCONNECT:
		client->disconnect_delivered = true;
		if (client->cbs.on_disconnect)
			client->cbs.on_disconnect(ev->err, client->cbs_arg);
		return;
	}
}

/* Handles everything pending without blocking, then delivers the callbacks. */
int daxmr_client_process(struct daxmr_client *client)
{
	struct client_event *ev;
	uint64_t count;

	if (!client)
		return -EINVAL;
	if (client->in_process)
		return -EBUSY;
	client->in_process = true;
	client_on_cm_events(client);
	if (!daxmr_client_error(client)) {
		client_take_cq_events(client);
		client_drain_cq(client);
		client_settle(client);
	}
	/* read the eventfd before delivering: an event queued by a callback sets it again */
	if (read(client->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		DAXMR_LOG_DBG("eventfd read: %s", daxmr_log_strerror(errno));
	while ((ev = TAILQ_FIRST(&client->events))) {
		TAILQ_REMOVE(&client->events, ev, entry);
		client_deliver(client, ev);
		free(ev);
	}
	client->in_process = false;
	return daxmr_client_error(client);
}
