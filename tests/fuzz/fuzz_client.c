/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_client.c -- libFuzzer target fuzz_client: libdaxmr against a server the input plays */

/*
 * The real libdaxmr (every module of client/), through its public header only, over fake_rdma's
 * active side. The input is a sequence of events (fuzz_events.h): API calls (open, read, write,
 * flush, close, list, process; the async path: mem_reg/dereg, *_async reads, writes and
 * atomics with their flags, the synchronous atomics, submit, poll) and, whenever the library
 * waits, the server's and the device's moves: replies (right, refused, mutated, unsolicited),
 * REVOKE, AVAILABLE, ERROR, send and receive completions with any status and in any order, a
 * disconnect, time passing. The server speaks version 3 when the setup picks it: exp1 then has
 * four segments, each with its own key. When the input runs out the server turns well-behaved
 * (answers, completes), then silent, so every call returns.
 *
 * Invariants, checked as the library acts: no RDMA (or atomic) on a region after its REVOKE was
 * taken from the CQ, none outside the descriptor the server handed out, across a segment
 * boundary, with another segment's key, or beyond its access; no REVOKE_ACK while an RDMA on
 * that descriptor is outstanding; no more requests in flight than the credits the server
 * granted; an *_async call accepted only with room on the queue (never past queue_depth),
 * -EAGAIN only with operations in flight; every completion one posted, reported once, with its
 * op and length; no registered memory released while the device may still use it; callbacks
 * only for regions that exist; and at the end everything freed.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "daxmr.h"
#include "fake_loop.h"
#include "fake_rdma.h"
#include "fuzz_check.h"
#include "fuzz_events.h"
#include "proto.h"

#define FC_NEXP 2
#define FC_REGIONS 4
#define FC_DESCS 64   /* descriptors the server handed out, remembered */
#define FC_PENDING 16 /* requests the client has in flight, remembered */
#define FC_REVOKES 16 /* REVOKEs delivered and not yet polled */
#define FC_EXPORT_LEN (1u << 20)
#define FC_SEGS 4	      /* exp1's segments in version 3 */
#define FC_SEG_SHIFT 18	      /* ... of 256 KiB */
#define FC_MEMS 2	      /* registered buffers the application holds */
#define FC_TAGS 64	      /* async operations remembered (their op_ctx) */
#define FC_QUEUE_DEPTH 8      /* opts.queue_depth: a full queue is reachable */
#define FC_MAX_WR_BYTES 4096u /* opts.max_wr_bytes: long operations take several slots */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Events (application calls and server moves) over the whole process, for the long runs. */
static uint64_t fuzz_events_run;

struct fc_desc {
	struct daxmr_proto_desc d; /* only the fixed fields are used */
	bool revoked;		   /* its REVOKE was taken from the CQ by the library */
	uint32_t nseg;		   /* 1 below version 3 */
	unsigned int shift;	   /* segment size 2^shift (63: one segment) */
	uint32_t keys[FC_SEGS];	   /* the first keys the reply carried (nkeys of them) */
	unsigned int nkeys;
};

/* An async operation posted: its op_ctx is the tag's address. */
struct fc_tag {
	bool live;     /* posted, not reported yet */
	bool on_error; /* DAXMR_OP_F_ON_ERROR: reported only if it fails */
	enum daxmr_op op;
	uint64_t len;
};

static struct {
	const uint8_t *p, *end;
	uint16_t version, credits;
	uint64_t gen[FC_NEXP];
	struct {
		uint64_t id;
		enum daxmr_proto_opcode op;
		uint32_t list_start;
		enum daxmr_proto_access access;
		char name[DAXMR_PROTO_NAME_MAX + 1];
		uint8_t nonce[DAXMR_PROTO_AUTH_NONCE_SIZE]; /* AUTH */
	} pending[FC_PENDING];
	unsigned int npending;
	struct fc_desc descs[FC_DESCS];
	unsigned int ndescs;
	struct {
		uint64_t wr_id;
		uint32_t export_id;
		uint64_t gen;
	} revokes[FC_REVOKES];
	unsigned int nrevokes;
	struct daxmr_client *client;
	struct daxmr_region *regions[FC_REGIONS];
	struct daxmr_mem *mems[FC_MEMS];
	struct fc_tag tags[FC_TAGS];
	unsigned int disconnect_cbs;
	uint64_t server_req;
	uint8_t buf[8192];
	uint8_t abuf[FC_MEMS][64u << 10]; /* what the application registers */
} fc;

/* The input's setup byte (fuzz_events.h), the secret both sides share and its file. */
static uint8_t fc_setup;
static struct daxmr_auth_key fc_key;
static char fc_secret_path[] = "/tmp/daxmr-fuzz-secret-XXXXXX";

static uint8_t in_u8(void)
{
	return fc.p < fc.end ? *fc.p++ : 0;
}

static bool in_left(void)
{
	return fc.p < fc.end;
}

static struct fake_rdma_qp *fc_qp(void)
{
	return fake_rdma.cm_id ? fake_rdma_qp_of(fake_rdma.cm_id) : NULL;
}

/* ---- what the library does, checked as it does it ---------------------------------------- */

/* Whether an RDMA on rkey is posted and not completed, or completed and not yet polled. */
static bool rdma_outstanding(const struct fake_rdma_qp *qp, uint32_t rkey)
{
	unsigned int i;

	for (i = qp->sq_head; i != qp->sq_tail; i++) {
		const struct fake_rdma_send *s = &qp->sq[i % FAKE_RDMA_WR_MAX];

		if ((s->opcode == IBV_WR_RDMA_READ || s->opcode == IBV_WR_RDMA_WRITE ||
		     s->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
		     s->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) &&
		    s->rdma_rkey == rkey)
			return true;
	}
	for (i = qp->cq->head; i != qp->cq->tail; i++) {
		const struct ibv_wc *wc =
			&qp->cq->wc[i % (sizeof(qp->cq->wc) / sizeof(qp->cq->wc[0]))];

		if (wc->opcode == IBV_WC_RDMA_READ || wc->opcode == IBV_WC_RDMA_WRITE ||
		    wc->opcode == IBV_WC_COMP_SWAP || wc->opcode == IBV_WC_FETCH_ADD)
			return true; /* its key is not in the completion: any will do */
	}
	return false;
}

/* Whether a work request the device has not completed yet reads or writes [p, p + len). */
static bool mem_in_use(const struct fake_rdma_qp *qp, const void *p, size_t len)
{
	uint64_t lo = (uint64_t)(uintptr_t)p;
	unsigned int i;

	if (!qp || qp->error)
		return false; /* a QP in error touches no memory: what is left only flushes */
	for (i = qp->sq_head; i != qp->sq_tail; i++) {
		const struct fake_rdma_send *s = &qp->sq[i % FAKE_RDMA_WR_MAX];

		if (s->laddr && s->laddr < lo + len && s->laddr + s->len > lo)
			return true;
	}
	return false;
}

/* A descriptor's segment key for seg; false if the reply did not carry it. */
static bool desc_key(const struct fc_desc *d, uint32_t seg, uint32_t *key)
{
	if (seg >= d->nkeys)
		return false;
	*key = d->keys[seg];
	return true;
}

/*
 * An RDMA must fall inside a descriptor the server handed out with that key (a mutated reply
 * may have handed the same key twice: any of them will do), with its access, not revoked.
 */
static void on_rdma(void *arg, struct fake_rdma_qp *qp, bool write, uint64_t raddr, uint32_t rkey,
		    uint32_t len)
{
	bool keyed = false, inside = false, allowed = false, live = false;
	unsigned int i;

	(void)arg;
	(void)qp;
	for (i = 0; i < fc.ndescs; i++) {
		const struct fc_desc *d = &fc.descs[i];
		bool in = raddr >= d->d.addr && len >= 1 && len <= d->d.length &&
			  raddr - d->d.addr <= d->d.length - len;
		bool ok;
		uint32_t seg = 0, key = 0;

		if (in && d->shift < 63) {
			/* one work request stays in one segment, and takes that segment's key */
			seg = (uint32_t)((raddr - d->d.addr) >> d->shift);
			in = ((raddr - d->d.addr + len - 1) >> d->shift) == seg;
		}
		ok = in && (!write || d->d.access == DAXMR_PROTO_ACCESS_RW);
		if (!in || !desc_key(d, seg, &key)) {
			/* outside: any key of the descriptor tells the RDMA was meant for it */
			uint32_t k;
			bool any = false;

			for (k = 0; k < d->nkeys; k++)
				any |= d->keys[k] == rkey;
			if (!any)
				continue;
			keyed = true;
			continue;
		}
		if (key != rkey)
			continue;
		keyed = true;
		inside |= in;
		allowed |= ok;
		live |= ok && !d->revoked;
	}
	FUZZ_CHECK(keyed, "RDMA with key 0x%x, which the server never handed out", rkey);
	FUZZ_CHECK(inside, "RDMA of %u bytes at 0x%llx outside every descriptor of key 0x%x", len,
		   (unsigned long long)raddr, rkey);
	FUZZ_CHECK(allowed, "RDMA WRITE through a read-only descriptor (key 0x%x)", rkey);
	FUZZ_CHECK(live, "RDMA %s with key 0x%x after its descriptor's REVOKE was taken",
		   write ? "WRITE" : "READ", rkey);
}

/*
 * Whether another descriptor (a mutated reply's) has d's key: an RDMA on the key is then not
 * known to be d's.
 */
static bool key_shared(const struct daxmr_proto_desc *d)
{
	unsigned int i;

	for (i = 0; i < fc.ndescs; i++)
		if (fc.descs[i].d.rkey == d->rkey && (fc.descs[i].d.export_id != d->export_id ||
						      fc.descs[i].d.generation != d->generation))
			return true;
	return false;
}

static void on_send(void *arg, struct fake_rdma_qp *qp, const uint8_t *buf, uint32_t len)
{
	struct daxmr_proto_msg *msg = malloc(sizeof(*msg));
	unsigned int i, nreq = 0;

	(void)arg;
	FUZZ_CHECK(msg, "out of memory");
	FUZZ_CHECK(daxmr_proto_msg_decode(buf, len, msg) == 0,
		   "the library sent a %u-byte message that does not decode", len);
	FUZZ_CHECK(msg->hdr.version == fc.version, "sent with header version %u, accepted %u",
		   msg->hdr.version, fc.version);
	if (msg->hdr.opcode == DAXMR_PROTO_OP_REVOKE_ACK) {
		for (i = 0; i < fc.ndescs; i++) {
			const struct daxmr_proto_desc *d = &fc.descs[i].d;

			if (d->export_id == msg->revoke_ack.export_id &&
			    d->generation == msg->revoke_ack.generation && !key_shared(d))
				FUZZ_CHECK(
					!rdma_outstanding(qp, d->rkey),
					"REVOKE_ACK of export %u generation %llu with an RDMA on "
					"it still outstanding",
					d->export_id, (unsigned long long)d->generation);
		}
	} else {
		for (i = 0; i < fc.npending; i++)
			nreq++;
		FUZZ_CHECK(nreq + 1 <= fc.credits, "a request beyond the %u credits granted",
			   fc.credits);
		if (fc.npending < FC_PENDING) {
			fc.pending[fc.npending].id = msg->hdr.request_id;
			fc.pending[fc.npending].op = msg->hdr.opcode;
			if (msg->hdr.opcode == DAXMR_PROTO_OP_OPEN) {
				fc.pending[fc.npending].access = msg->open.access;
				snprintf(fc.pending[fc.npending].name,
					 sizeof(fc.pending[fc.npending].name), "%s",
					 msg->open.name);
			}
			if (msg->hdr.opcode == DAXMR_PROTO_OP_LIST)
				fc.pending[fc.npending].list_start = msg->list.start;
			if (msg->hdr.opcode == DAXMR_PROTO_OP_AUTH)
				memcpy(fc.pending[fc.npending].nonce, msg->auth.nonce,
				       sizeof(msg->auth.nonce));
			fc.npending++;
		}
	}
	free(msg);
}

static void on_polled(void *arg, const struct ibv_wc *wc)
{
	unsigned int i, k;

	(void)arg;
	if (wc->opcode != IBV_WC_RECV)
		return;
	for (i = 0; i < fc.nrevokes; i++) {
		if (fc.revokes[i].wr_id != wc->wr_id)
			continue;
		if (wc->status == IBV_WC_SUCCESS)
			for (k = 0; k < fc.ndescs; k++)
				if (fc.descs[k].d.export_id == fc.revokes[i].export_id &&
				    fc.descs[k].d.generation == fc.revokes[i].gen)
					fc.descs[k].revoked = true;
		fc.revokes[i] = fc.revokes[--fc.nrevokes];
		return;
	}
}

/* ---- the server ------------------------------------------------------------------------- */

/* Whether two remembered descriptors are the same grant (fields the checks use). */
static bool fc_desc_same(const struct fc_desc *a, const struct fc_desc *b)
{
	return a->d.export_id == b->d.export_id && a->d.generation == b->d.generation &&
	       a->d.addr == b->d.addr && a->d.length == b->d.length && a->d.access == b->d.access &&
	       a->nseg == b->nseg && a->shift == b->shift && a->nkeys == b->nkeys &&
	       memcmp(a->keys, b->keys, sizeof(a->keys[0]) * a->nkeys) == 0;
}

/* Delivers bytes as the server's SEND; remembers what the library will learn from them. */
static void server_deliver(const uint8_t *buf, uint32_t len)
{
	struct fake_rdma_qp *qp = fc_qp();
	struct daxmr_proto_msg *msg;
	struct fc_desc nd;
	uint64_t wr_id;
	bool open_ok;
	unsigned int k = 0;

	if (!qp || qp->rq_head == qp->rq_tail)
		return;
	wr_id = qp->rq[qp->rq_head % FAKE_RDMA_WR_MAX].wr_id;
	msg = malloc(sizeof(*msg));
	FUZZ_CHECK(msg, "out of memory");
	/* whatever the bytes became, the library decodes them the same way */
	if (daxmr_proto_msg_decode(buf, len, msg) != 0) {
		free(msg);
		(void)fake_rdma_deliver(qp, buf, len);
		return;
	}
	open_ok = msg->hdr.opcode == DAXMR_PROTO_OP_OPEN &&
		  (msg->hdr.flags & DAXMR_PROTO_F_REPLY) &&
		  msg->hdr.status == DAXMR_PROTO_STATUS_OK;
	if (open_ok) {
		nd = (struct fc_desc){ .d = msg->desc, .nseg = 1, .shift = 63, .nkeys = 1 };
		nd.keys[0] = msg->desc.rkey;
		if (msg->hdr.version >= DAXMR_PROTO_VERSION_SEG && msg->desc.nseg) {
			nd.nseg = msg->desc.nseg;
			nd.shift = msg->desc.seg_shift;
			nd.nkeys = msg->desc.nkeys < FC_SEGS ? msg->desc.nkeys : FC_SEGS;
			for (k = 0; k < nd.nkeys; k++)
				nd.keys[k] = msg->desc.keys[k];
		}
		/* the same descriptor again (the export opened twice) is remembered once */
		for (k = 0; k < fc.ndescs; k++)
			if (!fc.descs[k].revoked && fc_desc_same(&fc.descs[k], &nd))
				break;
		if (k == fc.ndescs && fc.ndescs == FC_DESCS) {
			/* the harness remembers FC_DESCS: past that the reply is lost on the way */
			free(msg);
			return;
		}
	}
	if (!fake_rdma_deliver(qp, buf, len)) {
		free(msg);
		return;
	}
	if (open_ok && k == fc.ndescs)
		fc.descs[fc.ndescs++] = nd;
	/* a revoked generation is never handed out again: OPENs get the next one */
	if (msg->hdr.opcode == DAXMR_PROTO_OP_REVOKE && msg->revoke.export_id >= 1 &&
	    msg->revoke.export_id <= FC_NEXP &&
	    msg->revoke.generation >= fc.gen[msg->revoke.export_id - 1])
		fc.gen[msg->revoke.export_id - 1] = msg->revoke.generation + 1;
	if (msg->hdr.opcode == DAXMR_PROTO_OP_REVOKE && fc.nrevokes < FC_REVOKES) {
		fc.revokes[fc.nrevokes].wr_id = wr_id;
		fc.revokes[fc.nrevokes].export_id = msg->revoke.export_id;
		fc.revokes[fc.nrevokes].gen = msg->revoke.generation;
		fc.nrevokes++;
	}
	free(msg);
}

static int export_index(const char *name)
{
	int i;

	for (i = 0; i < FC_NEXP; i++) {
		char n[8];

		snprintf(n, sizeof(n), "exp%d", i);
		if (strcmp(n, name) == 0)
			return i;
	}
	return -1;
}

/* The right answer to the oldest request in flight, into msg; false if none is. */
static bool server_reply(struct daxmr_proto_msg *msg)
{
	int i;

	if (!fc.npending)
		return false;
	memset(msg, 0, sizeof(*msg));
	msg->hdr.version = fc.version;
	msg->hdr.opcode = fc.pending[0].op;
	msg->hdr.flags = DAXMR_PROTO_F_REPLY;
	msg->hdr.request_id = fc.pending[0].id;
	switch (fc.pending[0].op) {
	case DAXMR_PROTO_OP_HELLO:
		msg->hello_reply.version = fc.version;
		snprintf(msg->hello_reply.name, sizeof(msg->hello_reply.name), "daxmrd@fuzz");
		if (fc_setup & 2) {
			msg->hello_reply.flags = DAXMR_PROTO_HELLO_F_AUTH;
			memset(msg->hello_reply.challenge, 0xc5,
			       sizeof(msg->hello_reply.challenge));
		}
		break;
	case DAXMR_PROTO_OP_AUTH:
		memset(fc.buf, 0xc5, DAXMR_PROTO_AUTH_CHALLENGE_SIZE);
		/* version 4: the proof binds the version and the (anonymous) identity */
		if (fc.version >= DAXMR_PROTO_VERSION_ID)
			daxmr_auth_proof_id(&fc_key, DAXMR_AUTH_SERVER, fc.version, "", fc.buf,
					    fc.pending[0].nonce, msg->auth_reply.proof);
		else
			daxmr_auth_proof(&fc_key, DAXMR_AUTH_SERVER, fc.buf, fc.pending[0].nonce,
					 msg->auth_reply.proof);
		break;
	case DAXMR_PROTO_OP_LIST:
		msg->list_reply.start = fc.pending[0].list_start;
		for (i = (int)fc.pending[0].list_start; i < FC_NEXP; i++) {
			struct daxmr_proto_export *e =
				&msg->list_reply.entries[msg->list_reply.count++];

			e->export_id = (uint32_t)i + 1;
			e->generation = fc.gen[i];
			e->length = FC_EXPORT_LEN;
			e->access = DAXMR_PROTO_ACCESS_RW;
			e->memory = DAXMR_PROTO_MEMORY_FSDAX;
			e->registration = DAXMR_PROTO_REG_ODP;
			snprintf(e->name, sizeof(e->name), "exp%d", i);
		}
		break;
	case DAXMR_PROTO_OP_OPEN:
		i = export_index(fc.pending[0].name);
		if (i < 0) {
			msg->hdr.status = DAXMR_PROTO_STATUS_NO_SUCH_EXPORT;
			break;
		}
		msg->desc.export_id = (uint32_t)i + 1;
		msg->desc.generation = fc.gen[i];
		msg->desc.addr = 0x7f0000000000ull + ((uint64_t)i << 32);
		msg->desc.length = FC_EXPORT_LEN;
		msg->desc.rkey = (uint32_t)((i + 1) << 24) | (uint32_t)(fc.gen[i] << 8) |
				 (uint32_t)fc.pending[0].access;
		msg->desc.access = fc.pending[0].access;
		msg->desc.memory = DAXMR_PROTO_MEMORY_FSDAX;
		msg->desc.registration = DAXMR_PROTO_REG_ODP;
		msg->desc.key_kind = DAXMR_PROTO_KEY_MR;
		if (fc.version >= DAXMR_PROTO_VERSION_SEG) {
			uint32_t nseg = i == 1 ? FC_SEGS : 1, k;

			msg->desc.seg_shift = i == 1 ? FC_SEG_SHIFT : 20;
			msg->desc.nseg = nseg;
			msg->desc.nkeys = (uint16_t)nseg;
			for (k = 0; k < nseg; k++)
				msg->desc.keys[k] = msg->desc.rkey | (k << 4);
			if (msg->desc.access == DAXMR_PROTO_ACCESS_RW)
				msg->desc.flags = DAXMR_PROTO_DESC_F_ATOMIC;
		}
		break;
	case DAXMR_PROTO_OP_CLOSE:
	case DAXMR_PROTO_OP_FLUSH:
		break;
	default:
		msg->hdr.status = DAXMR_PROTO_STATUS_BAD_MESSAGE;
		break;
	}
	fc.pending[0] = fc.pending[--fc.npending];
	return true;
}

/* Encodes msg and delivers it, after mut (bit 7: flip byte pos by val; bit 6: truncate). */
static void server_send(struct daxmr_proto_msg *msg, uint8_t mut, uint8_t pos, uint8_t val)
{
	int n = daxmr_proto_msg_encode(msg, fc.buf, sizeof(fc.buf));

	if (n <= 0)
		return;
	if (mut & 0x80) {
		if (mut & 0x40)
			n = pos % (n + 1);
		else
			fc.buf[pos % n] ^= val ? val : 1;
	}
	server_deliver(fc.buf, (uint32_t)n);
}

/* The descriptor a REVOKE or AVAILABLE names: one handed out, or any export id. */
static void in_export_ref(uint32_t *id, uint64_t *gen)
{
	uint8_t a = in_u8(), b = in_u8();

	if (fc.ndescs && !(a & 0x80)) {
		const struct daxmr_proto_desc *d = &fc.descs[a % fc.ndescs].d;

		*id = d->export_id;
		*gen = d->generation + (b & 3) - ((b & 3) == 3 ? 4 : 0);
	} else {
		*id = a & 3;
		*gen = b;
	}
}

static enum ibv_wc_status in_status(uint8_t b)
{
	static const enum ibv_wc_status errs[] = {
		IBV_WC_LOC_LEN_ERR,	  IBV_WC_LOC_PROT_ERR,	  IBV_WC_WR_FLUSH_ERR,
		IBV_WC_REM_ACCESS_ERR,	  IBV_WC_REM_OP_ERR,	  IBV_WC_RETRY_EXC_ERR,
		IBV_WC_RNR_RETRY_EXC_ERR, IBV_WC_REM_INV_REQ_ERR, IBV_WC_GENERAL_ERR,
	};

	return b < 4 ? IBV_WC_SUCCESS : errs[b % (sizeof(errs) / sizeof(errs[0]))];
}

/* What a well-behaved server and device do next; false when there is nothing to do. */
static bool server_behave(void)
{
	struct fake_rdma_qp *qp = fc_qp();
	struct daxmr_proto_msg *msg;
	bool did;

	if (!qp)
		return false;
	if (fake_rdma_complete_send(qp, IBV_WC_SUCCESS))
		return true;
	msg = malloc(sizeof(*msg));
	FUZZ_CHECK(msg, "out of memory");
	did = server_reply(msg);
	if (did)
		server_send(msg, 0, 0, 0);
	free(msg);
	return did;
}

/* One move of the server or the device, from the input; false: time passes instead. */
static bool server_step(void *arg)
{
	struct fake_rdma_qp *qp = fc_qp();
	struct daxmr_proto_msg *msg;
	uint8_t ev, a, b, c;
	bool ret = true;

	(void)arg;
	if (!in_left())
		return server_behave();
	fuzz_events_run++;
	ev = in_u8();
	msg = calloc(1, sizeof(*msg));
	FUZZ_CHECK(msg, "out of memory");
	msg->hdr.version = fc.version;
	switch (ev % FUZZ_CLI_SRV_NEVENTS) {
	case FUZZ_CLI_SRV_REPLY:
		if (server_reply(msg))
			server_send(msg, 0, 0, 0);
		break;
	case FUZZ_CLI_SRV_REFUSE:
		a = in_u8();
		if (server_reply(msg)) {
			msg->hdr.status = (enum daxmr_proto_status)(1 + a % 13);
			server_send(msg, 0, 0, 0);
		}
		break;
	case FUZZ_CLI_SRV_MUTATE:
		a = in_u8();
		b = in_u8();
		c = in_u8();
		if (server_reply(msg))
			server_send(msg, (uint8_t)(a | 0x80), b, c);
		break;
	case FUZZ_CLI_SRV_WRONG:
		a = in_u8();
		if (server_reply(msg)) {
			if (a & 1)
				msg->hdr.request_id += 1 + (a >> 1);
			else
				msg->hdr.opcode = (enum daxmr_proto_opcode)(1 + (a >> 1) % 9);
			server_send(msg, 0, 0, 0);
		}
		break;
	case FUZZ_CLI_SRV_REVOKE:
		msg->hdr.opcode = DAXMR_PROTO_OP_REVOKE;
		msg->hdr.request_id = ++fc.server_req;
		in_export_ref(&msg->revoke.export_id, &msg->revoke.generation);
		msg->revoke.deadline_ms = 1000;
		msg->revoke.reason = (enum daxmr_proto_revoke_reason)(1 + in_u8() % 4);
		server_send(msg, 0, 0, 0);
		break;
	case FUZZ_CLI_SRV_AVAILABLE:
		msg->hdr.opcode = DAXMR_PROTO_OP_AVAILABLE;
		msg->hdr.request_id = ++fc.server_req;
		in_export_ref(&msg->available.export_id, &msg->available.generation);
		if (msg->available.export_id >= 1 && msg->available.export_id <= FC_NEXP) {
			/* a new generation of that export from now on */
			fc.gen[msg->available.export_id - 1]++;
			msg->available.generation = fc.gen[msg->available.export_id - 1];
		}
		server_send(msg, 0, 0, 0);
		break;
	case FUZZ_CLI_SRV_ERROR:
		msg->hdr.opcode = DAXMR_PROTO_OP_ERROR;
		msg->hdr.flags = DAXMR_PROTO_F_REPLY;
		msg->hdr.status = (enum daxmr_proto_status)(1 + in_u8() % 13);
		server_send(msg, 0, 0, 0);
		break;
	case FUZZ_CLI_SRV_SEND_WC:
		a = in_u8();
		if (qp)
			(void)fake_rdma_complete_send(qp, in_status(a));
		break;
	case FUZZ_CLI_SRV_SEND_WC_ANY:
		a = in_u8();
		b = in_u8();
		if (qp)
			(void)fake_rdma_complete_send_nth(qp, a, in_status(b));
		break;
	case FUZZ_CLI_SRV_RECV_ERR:
		a = in_u8();
		if (qp)
			(void)fake_rdma_fail_recv(qp, in_status((uint8_t)(a | 4)));
		break;
	case FUZZ_CLI_SRV_DISCONNECT:
		if (qp)
			qp->error = true;
		fake_rdma_cm_push(RDMA_CM_EVENT_DISCONNECTED, 0, NULL, 0);
		break;
	case FUZZ_CLI_SRV_TICK:
		fake_loop_advance(((uint64_t)in_u8() * 50 + 1) * 1000u);
		ret = false;
		break;
	case FUZZ_CLI_SRV_RAW:
		a = in_u8();
		for (b = 0; b < a; b++)
			fc.buf[b] = in_u8();
		server_deliver(fc.buf, a);
		break;
	default:
		break;
	}
	free(msg);
	return ret;
}

/* rdma_cm's answers while connecting: the setup byte decides (fuzz_events.h). */

static void on_cm(void *arg, struct rdma_cm_id *id, enum fake_rdma_cm_call call)
{
	struct daxmr_proto_cm_connect c;
	struct daxmr_proto_cm_accept acc;
	struct daxmr_proto_cm_reject rej;
	uint8_t pd[DAXMR_PROTO_CM_REJECT_LIMIT]; /* a reject with its reason; an accept */
	int n;

	(void)arg;
	(void)id;
	switch (call) {
	case FAKE_RDMA_CM_RESOLVE_ADDR:
		fake_rdma_cm_push((fc_setup & 0x32) == 0x30 ? RDMA_CM_EVENT_ADDR_ERROR :
							      RDMA_CM_EVENT_ADDR_RESOLVED,
				  -ENODEV, NULL, 0);
		break;
	case FAKE_RDMA_CM_RESOLVE_ROUTE:
		fake_rdma_cm_push((fc_setup & 0x30) == 0x30 && (fc_setup & 2) ?
					  RDMA_CM_EVENT_ROUTE_ERROR :
					  RDMA_CM_EVENT_ROUTE_RESOLVED,
				  -ETIMEDOUT, NULL, 0);
		break;
	case FAKE_RDMA_CM_CONNECT:
		FUZZ_CHECK(daxmr_proto_cm_connect_decode(fake_rdma.connect_pdata,
							 fake_rdma.connect_len, &c) == 0,
			   "connect private data that does not decode");
		fc.version = (fc_setup & 1) ? c.version_max : c.version_min;
		if ((fc_setup & 0x30) == 0x10) {
			rej = (struct daxmr_proto_cm_reject){ DAXMR_PROTO_STATUS_BUSY, 1, 2,
							      "too busy" };
			n = daxmr_proto_cm_reject_encode(&rej, pd, sizeof(pd));
			fake_rdma_cm_push(RDMA_CM_EVENT_REJECTED, 28, pd, n > 0 ? (uint8_t)n : 0);
			break;
		}
		acc = (struct daxmr_proto_cm_accept){ fc.version, fc.credits };
		n = daxmr_proto_cm_accept_encode(&acc, pd, sizeof(pd));
		if ((fc_setup & 0x30) == 0x20)
			n = 3; /* truncated accept data */
		fake_rdma_cm_push(RDMA_CM_EVENT_ESTABLISHED, 0, pd, n > 0 ? (uint8_t)n : 0);
		break;
	}
}

/* ---- the application -------------------------------------------------------------------- */

static void cb_revoke(struct daxmr_region *region, const struct daxmr_revoke_info *info, void *arg)
{
	unsigned int i;
	bool known = false;

	(void)arg;
	for (i = 0; i < FC_REGIONS; i++)
		known |= fc.regions[i] == region;
	FUZZ_CHECK(known, "on_revoke for a region the application does not have");
	FUZZ_CHECK(info && info->name && daxmr_region_desc(region)->generation == info->generation,
		   "on_revoke for generation %llu of a region of generation %llu",
		   info ? (unsigned long long)info->generation : 0ull,
		   (unsigned long long)daxmr_region_desc(region)->generation);
	FUZZ_CHECK(daxmr_region_is_revoked(region), "on_revoke for a region not revoked");
}

static void cb_available(uint32_t export_id, const char *name, uint64_t generation, void *arg)
{
	(void)arg;
	(void)generation;
	FUZZ_CHECK(name && export_id, "on_available without a name");
}

static void cb_disconnect(int reason, void *arg)
{
	(void)arg;
	FUZZ_CHECK(reason < 0, "on_disconnect with reason %d", reason);
	fc.disconnect_cbs++;
	FUZZ_CHECK(fc.disconnect_cbs == 1, "on_disconnect twice");
}

static struct daxmr_region **in_region(void)
{
	return &fc.regions[in_u8() % FC_REGIONS];
}

/* Completions the application polls: each one posted, reported once, as posted. */
static void app_poll(int max)
{
	struct daxmr_completion done[16];
	unsigned int before = daxmr_client_inflight(fc.client);
	int n = daxmr_client_poll(fc.client, done, max), i;

	FUZZ_CHECK(n >= -ENOTCONN && n <= max && (n < 0 ? n == -ENOTCONN : 1),
		   "daxmr_client_poll returned %d for %d", n, max);
	for (i = 0; i < n; i++) {
		struct fc_tag *t = done[i].op_ctx;

		FUZZ_CHECK(t >= fc.tags && t < fc.tags + FC_TAGS && t->live,
			   "a completion for op_ctx %p, never posted or reported already",
			   done[i].op_ctx);
		FUZZ_CHECK(done[i].op == t->op, "completion of op %d for an op %d", (int)done[i].op,
			   (int)t->op);
		FUZZ_CHECK(done[i].status <= 0 &&
				   (done[i].status == 0 || done[i].status == -EACCES ||
				    done[i].status == -ECONNRESET || done[i].status == -EIO ||
				    done[i].status == -ENOTCONN || done[i].status == -ESTALE),
			   "completion status %d", done[i].status);
		FUZZ_CHECK(done[i].status || !t->on_error,
			   "an ON_ERROR operation reported without an error");
		FUZZ_CHECK(done[i].status || done[i].len == t->len,
			   "completion of %llu bytes for an operation of %llu",
			   (unsigned long long)done[i].len, (unsigned long long)t->len);
		t->live = false;
	}
	FUZZ_CHECK(n < 0 || daxmr_client_inflight(fc.client) <= before,
		   "polling raised the operations in flight from %u to %u", before,
		   daxmr_client_inflight(fc.client));
}

static struct fc_tag *tag_free(void)
{
	unsigned int i;

	for (i = 0; i < FC_TAGS; i++)
		if (!fc.tags[i].live)
			return &fc.tags[i];
	return NULL;
}

/* One async (or synchronous atomic) call, checked against the queue's room. */
static void app_async(void)
{
	struct daxmr_region **r = in_region();
	uint8_t b = in_u8(), c = in_u8(), d = in_u8(), e = in_u8(), f = in_u8(), g = in_u8();
	struct daxmr_mem *mem = fc.mems[(b >> 4) & 1];
	enum daxmr_op op = (enum daxmr_op)(DAXMR_OP_READ + (b & 3));
	unsigned int flags = ((b & 4) ? DAXMR_OP_F_ON_ERROR : 0) | ((b & 8) ? DAXMR_OP_F_MORE : 0);
	size_t loff = (size_t)c * 8;
	uint64_t roff = (uint64_t)d << (e % 21), old;
	size_t len = op == DAXMR_OP_READ || op == DAXMR_OP_WRITE ? (size_t)f << (g % 17) : 8;
	struct fc_tag *t = tag_free();
	unsigned int before;
	int ret;

	if (!*r || !t)
		return;
	if ((b & 0xc0) == 0x40)
		mem = NULL;
	else if ((b & 0xc0) == 0x80)
		flags |= 0x80;
	if (b & 0x20) {
		/* the synchronous calls on the library's own buffer */
		if (op == DAXMR_OP_CAS)
			(void)daxmr_region_cas(*r, roff, d, e, &old);
		else if (op == DAXMR_OP_FAA)
			(void)daxmr_region_faa(*r, roff, d, &old);
		else if (op == DAXMR_OP_READ && len <= sizeof(fc.buf))
			(void)daxmr_region_read(*r, roff, fc.buf, len);
		return;
	}
	before = daxmr_client_inflight(fc.client);
	switch (op) {
	case DAXMR_OP_READ:
		ret = daxmr_region_read_async(*r, mem, loff, roff, len, t, flags);
		break;
	case DAXMR_OP_WRITE:
		ret = daxmr_region_write_async(*r, mem, loff, roff, len, t, flags);
		break;
	case DAXMR_OP_CAS:
		ret = daxmr_region_cas_async(*r, mem, loff, roff, d, e, t, flags);
		break;
	default:
		ret = daxmr_region_faa_async(*r, mem, loff, roff, f, t, flags);
		break;
	}
	/* a full queue is -EAGAIN, and only a queue with something in it is full */
	FUZZ_CHECK(ret != -EAGAIN || before > 0, "-EAGAIN with no operation in flight");
	FUZZ_CHECK(ret != 0 || daxmr_client_inflight(fc.client) <= FC_QUEUE_DEPTH,
		   "%u operations in flight, queue depth %u", daxmr_client_inflight(fc.client),
		   FC_QUEUE_DEPTH);
	FUZZ_CHECK(ret != 0 || mem, "an operation accepted without a buffer");
	FUZZ_CHECK(ret != 0 || !(flags & 0x80), "an operation accepted with unknown flags");
	if (ret == 0)
		*t = (struct fc_tag){ .live = true,
				      .on_error = (flags & DAXMR_OP_F_ON_ERROR) != 0,
				      .op = op,
				      .len = len };
}

static void app_step(uint8_t ev)
{
	static const char *const names[] = { "exp0", "exp1", "nosuch", "bad name" };
	struct daxmr_region **r;
	struct daxmr_export_info *infos;
	uint64_t off;
	size_t len, count;
	uint8_t a;

	switch (ev % FUZZ_CLI_NEVENTS) {
	case FUZZ_CLI_OPEN:
		r = in_region();
		a = in_u8();
		if (!*r)
			(void)daxmr_region_open(fc.client, names[a % 4],
						(a & 4) ? DAXMR_RW : DAXMR_RO, r);
		break;
	case FUZZ_CLI_READ:
	case FUZZ_CLI_WRITE:
	case FUZZ_CLI_FLUSH:
		r = in_region();
		off = (uint64_t)in_u8() << (in_u8() % 24);
		len = (size_t)in_u8() << (in_u8() % 13);
		if (len > sizeof(fc.buf))
			len = sizeof(fc.buf);
		if (!*r)
			break;
		if (ev % FUZZ_CLI_NEVENTS == FUZZ_CLI_READ)
			(void)daxmr_region_read(*r, off, fc.buf, len);
		else if (ev % FUZZ_CLI_NEVENTS == FUZZ_CLI_WRITE)
			(void)daxmr_region_write(*r, off, fc.buf, len);
		else
			(void)daxmr_region_flush(*r, off, len);
		break;
	case FUZZ_CLI_CLOSE:
		r = in_region();
		if (*r)
			(void)daxmr_region_close(r);
		FUZZ_CHECK(!*r, "daxmr_region_close left the pointer");
		break;
	case FUZZ_CLI_LIST:
		if (daxmr_client_list(fc.client, &infos, &count) == 0)
			daxmr_client_list_free(infos);
		break;
	case FUZZ_CLI_PROCESS:
		(void)server_step(NULL);
		(void)daxmr_client_process(fc.client);
		break;
	case FUZZ_CLI_MEM_REG:
		a = in_u8();
		len = (in_u8() & 1) ? 4096 : sizeof(fc.abuf[0]);
		if (!fc.mems[a % FC_MEMS]) {
			int ret = daxmr_mem_reg(fc.client, fc.abuf[a % FC_MEMS], len,
						&fc.mems[a % FC_MEMS]);

			FUZZ_CHECK(!ret == !!fc.mems[a % FC_MEMS], "daxmr_mem_reg returned %d",
				   ret);
		}
		break;
	case FUZZ_CLI_MEM_DEREG:
		a = in_u8() % FC_MEMS;
		if (fc.mems[a]) {
			void *p = daxmr_mem_ptr(fc.mems[a]);
			size_t n = daxmr_mem_len(fc.mems[a]);
			int ret = daxmr_mem_dereg(&fc.mems[a]);

			/* the device must be done with memory the library lets go */
			FUZZ_CHECK(ret != 0 || !mem_in_use(fc_qp(), p, n),
				   "memory deregistered while the device may still use it");
			FUZZ_CHECK(!ret == !fc.mems[a] && (ret == 0 || ret == -EBUSY),
				   "daxmr_mem_dereg returned %d", ret);
		}
		break;
	case FUZZ_CLI_ASYNC:
		app_async();
		break;
	case FUZZ_CLI_POLL:
		app_poll(1 + in_u8() % 16);
		break;
	case FUZZ_CLI_SUBMIT:
		(void)daxmr_client_submit(fc.client);
		break;
	default:
		(void)server_step(NULL);
		break;
	}
}

static void fuzz_print_events(void)
{
	fprintf(stderr, "fuzz_client: %llu events\n", (unsigned long long)fuzz_events_run);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

static void fuzz_remove_secret(void)
{
	unlink(fc_secret_path);
}

/* The secret file the library loads when the setup asks for one (mode 0600, 32 bytes). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t secret[32];
	int fd = mkstemp(fc_secret_path);

	(void)argc;
	(void)argv;
	memset(secret, 0x3c, sizeof(secret));
	FUZZ_CHECK(fd >= 0 && write(fd, secret, sizeof(secret)) == (ssize_t)sizeof(secret) &&
			   fchmod(fd, 0600) == 0 && close(fd) == 0,
		   "cannot write the secret file %s", fc_secret_path);
	FUZZ_CHECK(daxmr_auth_key_from_bytes(secret, sizeof(secret), &fc_key) == 0, "secret");
	atexit(fuzz_remove_secret);
	atexit(fuzz_print_events);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daxmr_client_opts opts = DAXMR_CLIENT_OPTS_DEFAULT;
	struct daxmr_callbacks cbs = { .on_revoke = cb_revoke,
				       .on_available = cb_available,
				       .on_disconnect = cb_disconnect };
	static const uint16_t credits[] = { 8, 1, 2, 64 };
	int ret;

	memset(&fc, 0, sizeof(fc));
	fc.p = data;
	fc.end = data + size;
	fc_setup = in_u8();
	fc.credits = credits[(fc_setup >> 2) & 3];
	fc.gen[0] = fc.gen[1] = 1;
	fake_rdma_reset(on_send, NULL);
	fake_rdma.on_rdma = on_rdma;
	fake_rdma.on_polled = on_polled;
	fake_rdma.on_wait = server_step;
	fake_rdma.on_cm = on_cm;
	fake_loop_reset();
	opts.name = "fuzz";
	opts.queue_depth = FC_QUEUE_DEPTH;
	opts.max_wr_bytes = FC_MAX_WR_BYTES;
	opts.ack_revoke = !(fc_setup & 0x40);
	opts.secret_file = (fc_setup & 0x80) ? fc_secret_path : NULL;
	ret = daxmr_client_connect("10.0.2.2", &opts, &fc.client);
	if (ret == 0) {
		FUZZ_CHECK(fc.client, "connected without a client");
		daxmr_client_set_callbacks(fc.client, &cbs, NULL);
		while (in_left()) {
			fuzz_events_run++;
			app_step(in_u8());
		}
		/* the application ends: half its regions closed, the rest with the client */
		if (fc.regions[0])
			(void)daxmr_region_close(&fc.regions[0]);
		(void)daxmr_client_disconnect(&fc.client);
		FUZZ_CHECK(!fc.client, "daxmr_client_disconnect left the pointer");
	}
	FUZZ_CHECK(fake_rdma.live_mrs == 0 && fake_rdma.live_cqs == 0 && fake_rdma.live_qps == 0 &&
			   fake_rdma.live_ids == 0 && fake_rdma.live_pds == 0 &&
			   fake_rdma.live_ccs == 0 && fake_rdma.live_channels == 0,
		   "left behind: %d MRs, %d CQs, %d QPs, %d cm_ids, %d PDs, %d completion "
		   "channels, %d event channels",
		   fake_rdma.live_mrs, fake_rdma.live_cqs, fake_rdma.live_qps, fake_rdma.live_ids,
		   fake_rdma.live_pds, fake_rdma.live_ccs, fake_rdma.live_channels);
	FUZZ_CHECK(fake_loop_live_timers() == 0, "%u timers left", fake_loop_live_timers());
	return 0;
}
