/* SPDX-License-Identifier: BSD-3-Clause */
/* ops.c -- libdaxmr: the RDMA work-request engine and the asynchronous zero-copy calls */
#include "ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "mem.h"
#include "qp.h"
#include "region.h"
#include "wrid.h"

#define OPS_DEPTH_MAX 4096u
#define OPS_KNOWN_FLAGS (DAXMR_OP_F_ON_ERROR | DAXMR_OP_F_MORE)

/* One work-request slot. The operation's fields are set on every piece; `last` marks its end. */
struct ops_slot {
	struct ibv_send_wr wr;
	struct ibv_sge sge;
	struct daxmr_region *region; /* borrowed: NULL once the region closed */
	struct daxmr_mem *mem;	     /* borrowed: NULL for the library's buffer */
	void *op_ctx;		     /* borrowed: the caller's */
	uint64_t op_len;
	enum daxmr_op op;
	bool last;     /* the operation's last piece: it is reported when this slot retires */
	bool report;   /* reported on success too (not DAXMR_OP_F_ON_ERROR) */
	bool internal; /* the library's own: sets internal_done instead of reporting */
};

/* A request in flight whose reply is an operation's completion (an asynchronous FLUSH). */
struct ops_msg {
	uint64_t request_id;
	void *op_ctx; /* borrowed: the caller's */
	uint64_t len;
	enum daxmr_op op;
	bool report; /* reported on success too (not DAXMR_OP_F_ON_ERROR) */
};

struct daxmr_ops {
	struct ibv_qp *qp; /* borrowed */
	const char *peer;  /* borrowed */
	unsigned int depth;
	unsigned int signal_every;
	uint32_t max_wr_bytes;
	uint32_t max_inline;
	bool atomics;
	struct ops_slot *slots; /* owned: depth of them */
	uint32_t head, posted, tail;
	unsigned int since_signal; /* pieces queued since the last signalled one */
	int op_status;		   /* first failure among the retired pieces of the current op */
	unsigned int ops_open;	   /* operations queued or posted, not yet retired */
	struct daxmr_completion *done; /* owned: depth of them, a ring */
	unsigned int done_head, done_count;
	bool internal_done;
	int internal_status;
	struct ops_msg msgs[DAXMR_OPS_MSG_MAX]; /* requests whose replies are completions */
	unsigned int nmsgs;
};

/* The slot of sequence number seq. */
static struct ops_slot *ops_slot(struct daxmr_ops *ops, uint32_t seq)
{
	return &ops->slots[seq % ops->depth];
}

/* The ring, empty. */
int daxmr_ops_new(const struct daxmr_ops_params *params, struct daxmr_ops **ops_ptr)
{
	struct daxmr_ops *ops;

	if (!params->depth || params->depth > OPS_DEPTH_MAX || !params->max_wr_bytes)
		return -EINVAL;
	ops = calloc(1, sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	ops->slots = calloc(params->depth, sizeof(*ops->slots));
	ops->done = calloc(params->depth, sizeof(*ops->done));
	if (!ops->slots || !ops->done) {
		free(ops->slots);
		free(ops->done);
		free(ops);
		return -ENOMEM;
	}
	ops->qp = params->qp;
	ops->peer = params->peer;
	ops->depth = params->depth;
	/* a quarter of the ring per signal: the send queue recycles well before it fills */
	ops->signal_every = params->depth >= 4 ? params->depth / 4 : 1;
	ops->max_wr_bytes = params->max_wr_bytes;
	ops->max_inline = params->max_inline;
	ops->atomics = params->atomics;
	ops->internal_done = true;
	*ops_ptr = ops;
	return 0;
}

/* Frees the ring. */
void daxmr_ops_delete(struct daxmr_ops **ops_ptr)
{
	if (!ops_ptr || !*ops_ptr)
		return;
	free((*ops_ptr)->slots);
	free((*ops_ptr)->done);
	free(*ops_ptr);
	*ops_ptr = NULL;
}

/* The errno a failed work completion means. */
int daxmr_ops_wc_errno(enum ibv_wc_status status)
{
	switch (status) {
	case IBV_WC_SUCCESS:
		return 0;
	case IBV_WC_REM_ACCESS_ERR:
	case IBV_WC_LOC_PROT_ERR:
		return -EACCES;
	case IBV_WC_RETRY_EXC_ERR:
	case IBV_WC_RNR_RETRY_EXC_ERR:
		return -ECONNRESET;
	case IBV_WC_WR_FLUSH_ERR:
		return -ENOTCONN;
	default:
		return -EIO;
	}
}

/* How many pieces req becomes. */
static uint32_t ops_count_pieces(const struct daxmr_ops *ops, const struct daxmr_ops_req *req)
{
	uint64_t off = req->remote_off;
	size_t left = req->len;
	uint32_t rkey, n = 0;

	if (req->op == DAXMR_OP_CAS || req->op == DAXMR_OP_FAA)
		return 1;
	while (left) {
		size_t piece = daxmr_region_piece(req->region, off, left, ops->max_wr_bytes, &rkey);

		off += piece;
		left -= piece;
		if (++n > ops->depth)
			break; /* it never fits: the caller says -EMSGSIZE */
	}
	return n;
}

/* Queues a completion for daxmr_ops_take (room was reserved when the op was queued). */
static void ops_report(struct daxmr_ops *ops, void *op_ctx, int status, enum daxmr_op op,
		       uint64_t len)
{
	struct daxmr_completion *c = &ops->done[(ops->done_head + ops->done_count) % ops->depth];

	*c = (struct daxmr_completion){ .op_ctx = op_ctx, .status = status, .op = op, .len = len };
	ops->done_count++;
}

/* Fills the slot of sequence seq with one piece of req; the next piece's offset after it. */
static void ops_fill(struct daxmr_ops *ops, const struct daxmr_ops_req *req, uint32_t seq,
		     size_t local_off, uint64_t remote_off, size_t n, uint32_t rkey, bool last)
{
	struct ops_slot *s = ops_slot(ops, seq);
	uint64_t raddr = daxmr_region_desc(req->region)->addr + remote_off;

	memset(s, 0, sizeof(*s));
	s->sge = (struct ibv_sge){ .addr = req->laddr + local_off,
				   .length = (uint32_t)n,
				   .lkey = req->lkey };
	s->wr.wr_id = daxmr_wrid(DAXMR_QP_WR_OP, seq);
	s->wr.sg_list = &s->sge;
	s->wr.num_sge = 1;
	switch (req->op) {
	case DAXMR_OP_READ:
		s->wr.opcode = IBV_WR_RDMA_READ;
		break;
	case DAXMR_OP_WRITE:
		s->wr.opcode = IBV_WR_RDMA_WRITE;
		/* the device copies it at post time: no lkey needed, the buffer free at once */
		if (n <= ops->max_inline)
			s->wr.send_flags |= IBV_SEND_INLINE;
		break;
	case DAXMR_OP_CAS:
		s->wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
		break;
	case DAXMR_OP_FAA:
		s->wr.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
		break;
	case DAXMR_OP_FLUSH:
		break; /* a message (daxmr_ops_msg_begin), never a work request */
	}
	if (req->op == DAXMR_OP_CAS || req->op == DAXMR_OP_FAA) {
		s->wr.wr.atomic.remote_addr = raddr;
		s->wr.wr.atomic.rkey = rkey;
		s->wr.wr.atomic.compare_add = req->compare_add;
		s->wr.wr.atomic.swap = req->swap;
	} else {
		s->wr.wr.rdma.remote_addr = raddr;
		s->wr.wr.rdma.rkey = rkey;
	}
	if (++ops->since_signal >= ops->signal_every) {
		s->wr.send_flags |= IBV_SEND_SIGNALED;
		ops->since_signal = 0;
	}
	/* chain it behind the previous queued piece: one ibv_post_send takes them all */
	if (seq != ops->posted)
		ops_slot(ops, seq - 1)->wr.next = &s->wr;
	s->region = req->region;
	s->mem = req->mem;
	s->op_ctx = req->op_ctx;
	s->op_len = req->len;
	s->op = req->op;
	s->last = last;
	s->report = !(req->flags & DAXMR_OP_F_ON_ERROR);
	s->internal = req->internal;
}

/* Queues req's pieces and, unless DAXMR_OP_F_MORE, posts them. */
int daxmr_ops_post(struct daxmr_ops *ops, const struct daxmr_ops_req *req)
{
	uint32_t k, i, rkey, seq = ops->head;
	uint64_t off = req->remote_off;
	size_t done = 0, n;

	if ((req->op == DAXMR_OP_CAS || req->op == DAXMR_OP_FAA) && !ops->atomics)
		return -EOPNOTSUPP;
	k = req->len ? ops_count_pieces(ops, req) : 0;
	if (k > ops->depth)
		return -EMSGSIZE;
	if (ops->ops_open + ops->done_count + 1 > ops->depth)
		return -EAGAIN; /* every op may end up reported: keep room for its completion */
	if (!req->len) {
		if (req->internal) {
			ops->internal_done = true;
			ops->internal_status = 0;
		} else if (!(req->flags & DAXMR_OP_F_ON_ERROR)) {
			ops_report(ops, req->op_ctx, 0, req->op, 0);
		}
		return 0;
	}
	if (ops->head - ops->tail + k > ops->depth)
		return -EAGAIN;
	for (i = 0; i < k; i++, seq++) {
		if (req->op == DAXMR_OP_CAS || req->op == DAXMR_OP_FAA)
			n = daxmr_region_piece(req->region, off, 8, 8, &rkey);
		else
			n = daxmr_region_piece(req->region, off, req->len - done, ops->max_wr_bytes,
					       &rkey);
		ops_fill(ops, req, seq, done, off, n, rkey, i + 1 == k);
		off += n;
		done += n;
	}
	ops->head = seq;
	ops->ops_open++;
	if (req->internal) {
		ops->internal_done = false;
		ops->internal_status = 0;
	}
	daxmr_region_transfer_begin(req->region);
	if (req->mem)
		daxmr_mem_op_begin(req->mem);
	if (req->flags & DAXMR_OP_F_MORE)
		return 0;
	return daxmr_ops_submit(ops);
}

/* Posts the queued chain [posted, head), its last piece signalled. */
int daxmr_ops_submit(struct daxmr_ops *ops)
{
	struct ibv_send_wr *bad = NULL;
	struct ops_slot *last;
	int ret;

	if (ops->posted == ops->head)
		return 0;
	last = ops_slot(ops, ops->head - 1);
	/* the batch's end is signalled: its operations complete without waiting for more */
	last->wr.send_flags |= IBV_SEND_SIGNALED;
	last->wr.next = NULL;
	ops->since_signal = 0;
	ret = ibv_post_send(ops->qp, &ops_slot(ops, ops->posted)->wr, &bad);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_post_send", -ret, "%u RDMA work requests to %s",
				   ops->head - ops->posted, ops->peer);
		return -ret;
	}
	ops->posted = ops->head;
	return 0;
}

/* Retires the slot at the tail with status (0 or -errno): its op is reported if it was last. */
static void ops_retire_one(struct daxmr_ops *ops, int status)
{
	struct ops_slot *s = ops_slot(ops, ops->tail);
	struct daxmr_region *region = s->region;

	ops->tail++;
	if (status && !ops->op_status)
		ops->op_status = status;
	if (!s->last)
		return;
	status = ops->op_status;
	ops->op_status = 0;
	ops->ops_open--;
	if (s->mem)
		daxmr_mem_op_end(s->mem);
	if (s->internal) {
		ops->internal_done = true;
		ops->internal_status = status;
	} else if (s->report || status) {
		ops_report(ops, s->op_ctx, status, s->op, s->op_len);
	}
	if (!region)
		return;
	daxmr_region_transfer_end(region);
	/* the region's last operation is over: a REVOKE's kept ACK may go now */
	if (daxmr_region_has_ack_due(region))
		daxmr_client_region_idle(daxmr_region_client(region), region);
}

/* A completion of ours: retires everything up to its slot. */
int daxmr_ops_on_wc(struct daxmr_ops *ops, const struct ibv_wc *wc)
{
	uint32_t seq = daxmr_wrid_slot(wc->wr_id);
	int err = daxmr_ops_wc_errno(wc->status);

	if (seq - ops->tail >= ops->posted - ops->tail)
		return 0; /* not in flight: it was failed already */
	/*
	 * Reliable and ordered: every slot before a completed one has finished well. The window
	 * is checked each time: a retirement may kill the connection (out of memory queueing an
	 * ACK), and daxmr_ops_fail_all then retires everything itself.
	 */
	while (seq - ops->tail < ops->posted - ops->tail) {
		bool last = ops->tail == seq;

		ops_retire_one(ops, last ? err : 0);
		if (last)
			break;
	}
	return wc->status == IBV_WC_SUCCESS || wc->status == IBV_WC_WR_FLUSH_ERR ? 0 : err;
}

/* Every slot in flight or queued fails with err, and every request. */
void daxmr_ops_fail_all(struct daxmr_ops *ops, int err)
{
	ops->posted = ops->head;
	while (ops->tail != ops->head)
		ops_retire_one(ops, err);
	while (ops->nmsgs)
		(void)daxmr_ops_msg_end(ops, ops->msgs[0].request_id, err);
}

/* A request in flight whose reply will be reported. */
int daxmr_ops_msg_begin(struct daxmr_ops *ops, uint64_t request_id, enum daxmr_op op, void *op_ctx,
			uint64_t len, unsigned int flags)
{
	if (ops->nmsgs == DAXMR_OPS_MSG_MAX || ops->ops_open + ops->done_count + 1 > ops->depth)
		return -EAGAIN;
	ops->msgs[ops->nmsgs++] = (struct ops_msg){ .request_id = request_id,
						    .op_ctx = op_ctx,
						    .len = len,
						    .op = op,
						    .report = !(flags & DAXMR_OP_F_ON_ERROR) };
	ops->ops_open++;
	return 0;
}

/* Its reply: reported, in the order replies come. */
bool daxmr_ops_msg_end(struct daxmr_ops *ops, uint64_t request_id, int status)
{
	struct ops_msg m;
	unsigned int i;

	for (i = 0; i < ops->nmsgs && ops->msgs[i].request_id != request_id; i++)
		;
	if (i == ops->nmsgs)
		return false;
	m = ops->msgs[i];
	memmove(&ops->msgs[i], &ops->msgs[i + 1], (ops->nmsgs - i - 1) * sizeof(ops->msgs[0]));
	ops->nmsgs--;
	ops->ops_open--;
	if (m.report || status)
		ops_report(ops, m.op_ctx, status, m.op, m.len);
	return true;
}

/* Up to max reported completions into out. */
int daxmr_ops_take(struct daxmr_ops *ops, struct daxmr_completion *out, int max)
{
	int n = 0;

	while (n < max && ops->done_count) {
		out[n++] = ops->done[ops->done_head];
		ops->done_head = (ops->done_head + 1) % ops->depth;
		ops->done_count--;
	}
	return n;
}

/* Operations not yet taken. */
unsigned int daxmr_ops_inflight(const struct daxmr_ops *ops)
{
	return ops->ops_open + ops->done_count;
}

/* Completions waiting. */
unsigned int daxmr_ops_done_count(const struct daxmr_ops *ops)
{
	return ops->done_count;
}

/* Free slots. */
unsigned int daxmr_ops_free_slots(const struct daxmr_ops *ops)
{
	return ops->depth - (ops->head - ops->tail);
}

/* Whether the last internal operation finished. */
bool daxmr_ops_internal_done(const struct daxmr_ops *ops, int *status_ptr)
{
	if (ops->internal_done && status_ptr)
		*status_ptr = ops->internal_status;
	return ops->internal_done;
}

/* Slots naming region forget it. */
void daxmr_ops_drop_region(struct daxmr_ops *ops, const struct daxmr_region *region)
{
	uint32_t seq;

	for (seq = ops->tail; seq != ops->head; seq++)
		if (ops_slot(ops, seq)->region == region)
			ops_slot(ops, seq)->region = NULL;
}

/* The queued, unposted operations of region fail with -ESTALE; the rest move up in order. */
void daxmr_ops_cancel_region(struct daxmr_ops *ops, struct daxmr_region *region)
{
	uint32_t seq, to = ops->posted;

	for (seq = ops->posted; seq != ops->head; seq++) {
		struct ops_slot *s = ops_slot(ops, seq);

		if (s->region != region) {
			if (to != seq) {
				struct ops_slot *d = ops_slot(ops, to);

				*d = *s;
				d->wr.sg_list = &d->sge;
				d->wr.wr_id = daxmr_wrid(DAXMR_QP_WR_OP, to);
			}
			if (to != ops->posted)
				ops_slot(ops, to - 1)->wr.next = &ops_slot(ops, to)->wr;
			to++;
			continue;
		}
		if (!s->last)
			continue;
		ops->ops_open--;
		if (s->mem)
			daxmr_mem_op_end(s->mem);
		if (s->internal) {
			ops->internal_done = true;
			ops->internal_status = -ESTALE;
		} else {
			ops_report(ops, s->op_ctx, -ESTALE, s->op, s->op_len);
		}
		daxmr_region_transfer_end(region);
	}
	ops->head = to;
}

/* ---- the public asynchronous calls ---- */

/*
 * What refuses an operation of len bytes between mem at local_off and remote_off of region
 * before anything is queued: the caller's arguments (-EINVAL), the connection (-ENOTCONN), the
 * region (-ESTALE, -EACCES, -ERANGE).
 */
static int ops_refused(struct daxmr_region *region, const struct daxmr_mem *mem, size_t local_off,
		       uint64_t remote_off, size_t len, bool write, unsigned int flags)
{
	int ret;

	if (!region || (flags & ~OPS_KNOWN_FLAGS))
		return -EINVAL;
	ret = daxmr_mem_range_check(mem, daxmr_region_client(region), local_off, len);
	if (ret)
		return ret;
	ret = daxmr_client_error(daxmr_region_client(region));
	if (ret)
		return ret;
	return daxmr_region_op_error(region, remote_off, len, write);
}

/* What refuses an atomic at remote_off beyond the common checks: alignment, support. */
static int ops_atomic_refused(const struct daxmr_region *region, uint64_t laddr,
			      uint64_t remote_off)
{
	if ((remote_off | laddr) & 7)
		return -EINVAL;
	if (!daxmr_region_desc(region)->atomic)
		return -EOPNOTSUPP;
	return 0;
}

/*
 * An operation between mem at local_off and the export, req filled but for its local side:
 * the checks (atomics' too), then posted.
 */
static int ops_async(struct daxmr_region *region, struct daxmr_mem *mem, size_t local_off,
		     struct daxmr_ops_req *req)
{
	bool atomic = req->op == DAXMR_OP_CAS || req->op == DAXMR_OP_FAA;
	int ret = ops_refused(region, mem, local_off, req->remote_off, req->len,
			      req->op != DAXMR_OP_READ, req->flags);

	if (ret)
		return ret;
	req->region = region;
	req->mem = mem;
	req->laddr = daxmr_mem_addr(mem, local_off);
	req->lkey = daxmr_mem_lkey(mem);
	if (atomic) {
		ret = ops_atomic_refused(region, req->laddr, req->remote_off);
		if (ret)
			return ret;
	}
	return daxmr_client_post(daxmr_region_client(region), req);
}

/* Posts an RDMA READ into registered memory. */
int daxmr_region_read_async(struct daxmr_region *region, struct daxmr_mem *mem, size_t local_off,
			    uint64_t remote_off, size_t len, void *op_ctx, unsigned int flags)
{
	struct daxmr_ops_req req = { .op = DAXMR_OP_READ,
				     .remote_off = remote_off,
				     .len = len,
				     .op_ctx = op_ctx,
				     .flags = flags };

	return ops_async(region, mem, local_off, &req);
}

/* Posts an RDMA WRITE from registered memory. */
int daxmr_region_write_async(struct daxmr_region *region, struct daxmr_mem *mem, size_t local_off,
			     uint64_t remote_off, size_t len, void *op_ctx, unsigned int flags)
{
	struct daxmr_ops_req req = { .op = DAXMR_OP_WRITE,
				     .remote_off = remote_off,
				     .len = len,
				     .op_ctx = op_ctx,
				     .flags = flags };

	return ops_async(region, mem, local_off, &req);
}

/* Posts an 8-byte compare-and-swap. */
int daxmr_region_cas_async(struct daxmr_region *region, struct daxmr_mem *mem, size_t local_off,
			   uint64_t remote_off, uint64_t compare, uint64_t swap, void *op_ctx,
			   unsigned int flags)
{
	struct daxmr_ops_req req = { .op = DAXMR_OP_CAS,
				     .remote_off = remote_off,
				     .len = 8,
				     .compare_add = compare,
				     .swap = swap,
				     .op_ctx = op_ctx,
				     .flags = flags };

	return ops_async(region, mem, local_off, &req);
}

/* Posts an 8-byte fetch-and-add. */
int daxmr_region_faa_async(struct daxmr_region *region, struct daxmr_mem *mem, size_t local_off,
			   uint64_t remote_off, uint64_t add, void *op_ctx, unsigned int flags)
{
	struct daxmr_ops_req req = { .op = DAXMR_OP_FAA,
				     .remote_off = remote_off,
				     .len = 8,
				     .compare_add = add,
				     .op_ctx = op_ctx,
				     .flags = flags };

	return ops_async(region, mem, local_off, &req);
}

/* Posts a FLUSH whose reply is a completion. */
int daxmr_region_flush_async(struct daxmr_region *region, uint64_t offset, uint64_t len,
			     void *op_ctx, unsigned int flags)
{
	struct daxmr_client *client;
	int ret;

	if (!region || (flags & ~DAXMR_OP_F_ON_ERROR))
		return -EINVAL;
	client = daxmr_region_client(region);
	ret = daxmr_client_error(client);
	if (!ret)
		ret = daxmr_region_op_error(region, offset, len, false);
	if (ret)
		return ret;
	return daxmr_client_flush_post(client, region, offset, len, op_ctx, flags);
}

/* A synchronous atomic through the library's own buffer. */
static int ops_atomic_sync(struct daxmr_region *region, struct daxmr_ops_req *req,
			   uint64_t *old_ptr)
{
	struct daxmr_client *client;
	uint64_t *result;
	int ret;

	if (!region)
		return -EINVAL;
	client = daxmr_region_client(region);
	ret = daxmr_client_error(client);
	if (!ret)
		ret = daxmr_region_op_error(region, req->remote_off, 8, true);
	if (ret)
		return ret;
	result = daxmr_client_scratch(client, &req->lkey);
	req->laddr = (uint64_t)(uintptr_t)result;
	req->internal = true;
	req->region = region;
	req->len = 8;
	ret = ops_atomic_refused(region, req->laddr, req->remote_off);
	if (!ret)
		ret = daxmr_client_post(client, req);
	if (!ret)
		ret = daxmr_client_wait_internal(client);
	if (!ret && old_ptr)
		*old_ptr = *result;
	return ret;
}

/* Synchronous compare-and-swap. */
int daxmr_region_cas(struct daxmr_region *region, uint64_t remote_off, uint64_t compare,
		     uint64_t swap, uint64_t *old_ptr)
{
	struct daxmr_ops_req req = {
		.op = DAXMR_OP_CAS, .remote_off = remote_off, .compare_add = compare, .swap = swap
	};

	return ops_atomic_sync(region, &req, old_ptr);
}

/* Synchronous fetch-and-add. */
int daxmr_region_faa(struct daxmr_region *region, uint64_t remote_off, uint64_t add,
		     uint64_t *old_ptr)
{
	struct daxmr_ops_req req = { .op = DAXMR_OP_FAA,
				     .remote_off = remote_off,
				     .compare_add = add };

	return ops_atomic_sync(region, &req, old_ptr);
}

#ifdef DAXMR_PROJECT_MAJOR
_Static_assert(DAXMR_VERSION_MAJOR == DAXMR_PROJECT_MAJOR &&
		       DAXMR_VERSION_MINOR == DAXMR_PROJECT_MINOR &&
		       DAXMR_VERSION_PATCH == DAXMR_PROJECT_PATCH,
	       "daxmr.h's DAXMR_VERSION_* differ from the project version in CMakeLists.txt");
#endif

/* The running library's version. */
const char *daxmr_version(int *major, int *minor, int *patch)
{
	if (major)
		*major = DAXMR_VERSION_MAJOR;
	if (minor)
		*minor = DAXMR_VERSION_MINOR;
	if (patch)
		*patch = DAXMR_VERSION_PATCH;
	return DAXMR_VERSION_STRING;
}
