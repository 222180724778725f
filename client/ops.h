/* SPDX-License-Identifier: BSD-3-Clause */
/* ops.h -- libdaxmr: the RDMA work-request engine: pieces, one doorbell, selective signalling */
#ifndef DAXMR_CLIENT_OPS_H
#define DAXMR_CLIENT_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "daxmr.h"

/*
 * Every RDMA operation of a connection, the zero-copy ones and the copying path's chunks alike,
 * goes through one ring of opts.queue_depth work-request slots, numbered by a 32-bit sequence
 * that is also the wr_id's slot. An operation becomes one or more pieces (split at
 * max_wr_bytes and at the export's segment boundaries), queued in consecutive slots and linked
 * into one chain that one ibv_post_send posts (one doorbell), also for several operations
 * queued with DAXMR_OP_F_MORE. Only every signal_every-th work request and the last of each
 * posted chain are signalled. The queue pair being reliable-connected and ordered, a
 * completion for slot s means every slot before it finished well: they are retired with it.
 * An unsignalled piece that fails gets its own (error) completion; the QP is then in error
 * and the rest flush. An operation is reported (daxmr_ops_take) when its last piece retires,
 * with the first failure of any of its pieces.
 *
 * Sequence space: [tail, posted) are on the send queue, [posted, head) queued by
 * DAXMR_OP_F_MORE, not yet posted.
 */
struct daxmr_ops;

/* What the ring is built for. */
struct daxmr_ops_params {
	struct ibv_qp *qp;     /* borrowed: the connection's RC QP */
	const char *peer;      /* borrowed: for log lines */
	unsigned int depth;    /* work-request slots (1..4096) */
	uint32_t max_wr_bytes; /* bytes one piece carries at most */
	uint32_t max_inline;   /* WRITE pieces up to this many bytes go inline (0: never) */
	bool atomics;	       /* the device does RC atomics */
};

/* One operation to queue. */
struct daxmr_ops_req {
	enum daxmr_op op;
	struct daxmr_region *region; /* borrowed: its keys and segments; busy until retired */
	struct daxmr_mem *mem;	     /* borrowed, NULL for the library's own buffer */
	uint64_t laddr;		     /* local address of byte 0 */
	uint32_t lkey;
	uint64_t remote_off; /* export offset */
	size_t len;
	uint64_t compare_add; /* CAS compare, FAA add */
	uint64_t swap;	      /* CAS swap */
	void *op_ctx;
	unsigned int flags; /* DAXMR_OP_F_* */
	bool internal;	    /* the library's own (copying path, sync atomics): never reported */
};

/* The ring. 0, -EINVAL (depth or max_wr_bytes 0), -ENOMEM. */
int daxmr_ops_new(const struct daxmr_ops_params *params, struct daxmr_ops **ops_ptr);

/* Frees the ring (NULL-safe); what was in flight is forgotten, its regions and mems untouched. */
void daxmr_ops_delete(struct daxmr_ops **ops_ptr);

/*
 * Queues req's pieces (all or none) and, unless req asks for DAXMR_OP_F_MORE, posts every
 * queued piece with one ibv_post_send. 0; -EAGAIN the ring (or the room for unreported
 * completions) is too full now; -EMSGSIZE more pieces than the ring has slots; -EOPNOTSUPP an
 * atomic without device support; the post's -errno (logged: the connection must die, the
 * operations queued stay to be failed by daxmr_ops_fail_all).
 */
int daxmr_ops_post(struct daxmr_ops *ops, const struct daxmr_ops_req *req);

/* Posts what DAXMR_OP_F_MORE queued (one ibv_post_send); 0 or the post's -errno (logged). */
int daxmr_ops_submit(struct daxmr_ops *ops);

/*
 * A completion whose wr_id is of this ring: retires every slot up to it. One for a slot not in
 * flight (a late one after daxmr_ops_fail_all) is ignored. Returns 0, or for a failed
 * completion other than a flush the errno it means (the connection is then dead).
 */
int daxmr_ops_on_wc(struct daxmr_ops *ops, const struct ibv_wc *wc);

/* The connection died: every slot in flight or queued, and every request, retires now with err. */
void daxmr_ops_fail_all(struct daxmr_ops *ops, int err);

/* Moves up to max reported completions into out; how many. */
int daxmr_ops_take(struct daxmr_ops *ops, struct daxmr_completion *out, int max);

/* Operations posted or queued and not yet taken by daxmr_ops_take (internal ones included). */
unsigned int daxmr_ops_inflight(const struct daxmr_ops *ops);

/* Completions waiting for daxmr_ops_take. */
unsigned int daxmr_ops_done_count(const struct daxmr_ops *ops);

/* Free work-request slots (a piece of an internal operation needs one). */
unsigned int daxmr_ops_free_slots(const struct daxmr_ops *ops);

/* Whether the last internal operation finished; *status_ptr its status then. */
bool daxmr_ops_internal_done(const struct daxmr_ops *ops, int *status_ptr);

/* The region is closing: slots that still name it forget it (their retirement skips it). */
void daxmr_ops_drop_region(struct daxmr_ops *ops, const struct daxmr_region *region);

/*
 * The region is being revoked: its operations queued by DAXMR_OP_F_MORE and not posted yet
 * fail with -ESTALE and leave the queue (nothing is posted on a revoked region); the others'
 * pieces keep their order. Posted ones are untouched: they drain.
 */
void daxmr_ops_cancel_region(struct daxmr_ops *ops, struct daxmr_region *region);

/*
 * A request sent without waiting (an asynchronous FLUSH, request_id) becomes an operation of
 * the ring with no work request of its own: in flight until daxmr_ops_msg_end (its reply) or
 * daxmr_ops_fail_all (the connection died), then reported like the others (op, op_ctx, len,
 * flags' DAXMR_OP_F_ON_ERROR). 0, or -EAGAIN when there is no room for its completion or
 * DAXMR_OPS_MSG_MAX are in flight.
 */
#define DAXMR_OPS_MSG_MAX 64
int daxmr_ops_msg_begin(struct daxmr_ops *ops, uint64_t request_id, enum daxmr_op op, void *op_ctx,
			uint64_t len, unsigned int flags);

/* The reply to request_id came with status (0 or -errno): reported. false if none waits. */
bool daxmr_ops_msg_end(struct daxmr_ops *ops, uint64_t request_id, int status);

/* The errno a failed work completion means (-EACCES, -ECONNRESET, -ENOTCONN, -EIO). */
int daxmr_ops_wc_errno(enum ibv_wc_status status);

#endif /* DAXMR_CLIENT_OPS_H */
