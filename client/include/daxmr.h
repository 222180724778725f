/* SPDX-License-Identifier: BSD-3-Clause */
/* daxmr.h -- libdaxmr: one-sided RDMA access to files exported by daxmrd (public API) */
#ifndef DAXMR_H
#define DAXMR_H

/*
 * Usage, the simple path (the library copies through its own registered buffer):
 *
 *	struct daxmr_client *client = NULL;
 *	struct daxmr_region *region = NULL;
 *	int ret = daxmr_client_connect("10.0.2.15", NULL, &client);
 *	if (!ret)
 *		ret = daxmr_region_open(client, "db", DAXMR_RW, &region);
 *	if (!ret)
 *		ret = daxmr_region_write(region, 0, buf, len);
 *	if (!ret)
 *		ret = daxmr_region_flush(region, 0, len);
 *	daxmr_region_close(&region);
 *	daxmr_client_disconnect(&client);
 *
 * The zero-copy path (client/examples/async_read.c is a whole program): register the buffer
 * once, post operations that return at once, collect their completions.
 *
 *	struct daxmr_mem *mem = NULL;
 *	ret = daxmr_mem_reg(client, buf, len, &mem);
 *	ret = daxmr_region_read_async(region, mem, 0, 0, 4096, my_ctx, 0);   // -EAGAIN: queue full
 *	struct daxmr_completion done[16];
 *	int n = daxmr_client_poll(client, done, 16);   // busy-poll; or daxmr_client_wait() first
 *	// done[i].op_ctx == my_ctx, done[i].status 0 or -errno
 *	daxmr_mem_dereg(&mem);
 *
 * Every function that can fail returns 0 (or a count) or a negative errno. Requests (OPEN,
 * LIST, FLUSH, KEYS, CLOSE) are synchronous: each call sends its request and waits (up to the
 * timeout) for the reply; RDMA operations posted with the *_async calls are not: they complete
 * in daxmr_client_poll(), and so does a FLUSH sent with daxmr_region_flush_async(). Server
 *notifications that arrive meanwhile (revocations) are handled at once and their callbacks are
 *delivered by daxmr_client_process(), never from inside another call.
 *
 * Threads. Nothing in the library is global except read-only tables: different clients may be
 * used from different threads at the same time with no locking (one client per thread scales;
 * daxmr-bench --threads does that). One client, its regions and its registered memory are NOT
 * thread-safe: every call on them (including daxmr_client_poll and the getters) must come from
 * one thread at a time; serialise with your own lock if you share them. Registered memory may
 * be read and written by any thread while no operation on it is in flight. The callbacks run
 * on the thread that called daxmr_client_process().
 *
 * Errors worth knowing:
 *   -ENOENT   no such export             -EACCES  access denied (or a remote access error)
 *   -ESTALE   the descriptor was revoked -EAGAIN  the export is being revoked: open again later
 *                                                 (for *_async: the queue is full, poll first)
 *   -ERANGE   past the export's end      -EBUSY   the server is out of resources for now
 *   -EPROTO   the server misbehaved      -EIO     the server or the RDMA transfer failed
 *   -ENOTCONN the connection is dead (after a failed transfer, a disconnect or a protocol error)
 *   -ETIMEDOUT no reply within timeout_ms
 *   -ENODEV   the export is unavailable until its server side changes (a file that fails the
 *             export rules, one the device cannot register, an administrator took it down):
 *             waiting does not help; daxmr_client_last_reason() says why in the server's words
 *   -ENOSYS   not implemented by this build
 *
 * Reliability. The queue pair retries a lost packet after the ACK timeout 4.096 us x 2^14
 * (about 67 ms, set with rdma_set_option(RDMA_OPTION_ID_ACK_TIMEOUT)), up to 7 times
 * (retry_cnt 7), and an RNR NAK up to 7 times; a dead peer is therefore noticed by a posted
 * operation within about 8 x 67 ms = 0.54 s plus the link's round trips (the device may round
 * the timeout up), and by an idle client at its next request (timeout_ms) or its next
 * daxmr_client_check (at most idle_ms + timeout_ms after it last heard the server). On rxe a
 * retry count of 7 retries without end: there the timeouts are the only bound. Long
 * transfers are cut into work requests of at most opts.max_wr_bytes so that a lost packet
 * costs a short retransmission; opts.reconnect re-issues what a dead connection left undone.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DAXMR_API __attribute__((visibility("default")))
#else
#define DAXMR_API
#endif

/* This header's library version (the project's version); daxmr_version() is the running one's. */
#define DAXMR_VERSION_MAJOR 0
#define DAXMR_VERSION_MINOR 1
#define DAXMR_VERSION_PATCH 0
#define DAXMR_VERSION_STRING "0.1.0"
/* One number that compares: (major << 16) | (minor << 8) | patch. */
#define DAXMR_VERSION_NUMBER \
	((DAXMR_VERSION_MAJOR << 16) | (DAXMR_VERSION_MINOR << 8) | DAXMR_VERSION_PATCH)

#define DAXMR_DEFAULT_PORT 7471
#define DAXMR_DEFAULT_TIMEOUT_MS 5000
#define DAXMR_NAME_MAX 255	      /* bytes in an export name */
#define DAXMR_REASON_MAX 255	      /* bytes of a server's reason text */
#define DAXMR_DEFAULT_QUEUE_DEPTH 128 /* RDMA work requests in flight, as perftest's bw tests */
#define DAXMR_DEFAULT_MAX_WR_BYTES (64u << 10) /* one RDMA work request carries at most this */

/* Access to a region; values match the wire protocol. */
enum daxmr_access {
	DAXMR_RO = 1,
	DAXMR_RW = 2,
};

/* What memory backs an export. */
enum daxmr_memory {
	DAXMR_MEMORY_FSDAX = 1,
	DAXMR_MEMORY_DEVDAX = 2,
	DAXMR_MEMORY_PAGECACHE = 3,
};

/* How the server registered it for RDMA. */
enum daxmr_registration {
	DAXMR_REG_PINNED = 1,
	DAXMR_REG_ODP = 2, /* On-Demand Paging: first touches fault on the server */
};

/* What kind of remote key a descriptor carries. */
enum daxmr_key_kind {
	DAXMR_KEY_MR = 1, /* the export's memory region key, shared by its clients */
	DAXMR_KEY_MW = 2, /* a memory window bound to this connection only */
};

/* Why the server revoked a descriptor. */
enum daxmr_revoke_reason {
	DAXMR_REVOKE_LEASE_BREAK = 1,
	DAXMR_REVOKE_SHUTDOWN = 2,
	DAXMR_REVOKE_ADMIN = 3,
	DAXMR_REVOKE_ERROR = 4,
	/* not from the server: the connection died (daxmr_client_check failed, the peer went
	 * away, a transfer failed), and every descriptor it carried with it */
	DAXMR_REVOKE_CONNECTION_LOST = 0x100,
};

/* Options of daxmr_client_connect; DAXMR_CLIENT_OPTS_DEFAULT is what NULL means. */
struct daxmr_client_opts {
	/* borrowed: the client's name in the server's logs; NULL: daxmr@host:pid */
	const char *name;
	/* connect and each request; <= 0: DAXMR_DEFAULT_TIMEOUT_MS */
	int timeout_ms;
	/* nonzero (default): answer REVOKE; 0: never (fault tests only) */
	int ack_revoke;
	/* nonzero: keep doing RDMA on revoked regions instead of failing with -ESTALE, to show
	 * that the server's fence stops them (fault tests only) */
	int use_revoked;
	/* library log level on stderr: 0 errors, 1 + info, 2 + debug */
	int verbose;
	/* borrowed: a file holding the secret shared with the server (16..4096 bytes, mode 0600
	 * or stricter), read at connect; NULL: none. With it, the client proves it knows the
	 * secret without sending it, and insists that the server proves it back. */
	const char *secret_file;
	/* RDMA work requests in flight at once (the send queue's depth for RDMA): an *_async call
	 * that needs more than are free fails with -EAGAIN. 1..4096; 0: DAXMR_DEFAULT_QUEUE_DEPTH;
	 * the device may lower it (connect fails -EINVAL if it cannot give 1). */
	unsigned int queue_depth;
	/* the most bytes one RDMA work request carries: longer operations are split (also at the
	 * export's segment boundaries), so that a lost packet costs a short retransmission. 4096..
	 * 1 GiB, rounded down to a multiple of 4096; 0: DAXMR_DEFAULT_MAX_WR_BYTES. */
	uint32_t max_wr_bytes;
	/* opt-in (0, the default: off): how many times one daxmr_region_read or _write may
	 * reconnect when the connection dies under it (a reply or completion timed out, the QP
	 * failed, the server dropped us) and re-issue the range not yet done (READ and WRITE of a
	 * range are idempotent). Each attempt is bounded by timeout_ms. Every region that was
	 * open is opened again, and kept only if the server hands out the same descriptor (same
	 * generation, mapping and length; the export's key for a shared MR): a region revoked
	 * meanwhile fails -ESTALE and nothing is written into the next generation. Logged at
	 * warning level. Only while no memory is registered (daxmr_mem_reg) and no asynchronous
	 * operation is in flight: their keys and contexts die with the connection. */
	unsigned int reconnect;
	/* borrowed: the identity whose key secret_file holds (1-64 of A-Z a-z 0-9 . _ @ -), named
	 * in AUTH (protocol version 4: a server without identities refuses it); NULL: none (the
	 * secret, if any, is the server's anonymous one). Needs secret_file. */
	const char *identity;
};

#define DAXMR_CLIENT_OPTS_DEFAULT                                                            \
	{                                                                                    \
		.name = NULL, .timeout_ms = DAXMR_DEFAULT_TIMEOUT_MS, .ack_revoke = 1,       \
		.use_revoked = 0, .verbose = 0, .secret_file = NULL,                         \
		.queue_depth = DAXMR_DEFAULT_QUEUE_DEPTH,                                    \
		.max_wr_bytes = DAXMR_DEFAULT_MAX_WR_BYTES, .reconnect = 0, .identity = NULL \
	}

/* One export, as LIST reports it. */
struct daxmr_export_info {
	uint32_t export_id;
	uint64_t generation;
	uint64_t length;
	enum daxmr_access access; /* the most the export allows */
	enum daxmr_memory memory;
	enum daxmr_registration registration;
	char name[DAXMR_NAME_MAX + 1];
};

/* The descriptor of an open region: what the server handed out for OPEN. */
struct daxmr_desc {
	uint32_t export_id;
	uint64_t generation;
	uint64_t addr;	 /* remote address of export offset 0 */
	uint64_t length; /* bytes */
	uint32_t rkey;
	uint32_t persist_granularity; /* 0, or the power of two a FLUSH rounds out to */
	enum daxmr_access access;
	enum daxmr_memory memory;
	enum daxmr_registration registration;
	enum daxmr_key_kind key_kind;
	/* protocol version 3 (0 and 1 from older servers: one segment, no atomics) */
	uint32_t seg_shift; /* segments are 2^seg_shift bytes (older servers: 63, one segment) */
	uint32_t nseg;	    /* number of segments, each with its own key */
	int atomic;	    /* nonzero: the server allows 8-byte atomics (daxmr_region_cas/faa) */
};

/* What on_revoke is told. */
struct daxmr_revoke_info {
	uint32_t export_id;
	uint64_t generation;
	const char *name; /* borrowed: valid during the callback */
	enum daxmr_revoke_reason reason;
	uint32_t deadline_ms; /* the time the server gave us to acknowledge */
};

struct daxmr_client;
struct daxmr_region;
struct daxmr_mem;

/* What an asynchronous operation was. */
enum daxmr_op {
	DAXMR_OP_READ = 1,
	DAXMR_OP_WRITE = 2,
	DAXMR_OP_CAS = 3,
	DAXMR_OP_FAA = 4,
	DAXMR_OP_FLUSH = 5, /* daxmr_region_flush_async */
};

/* Flags of the *_async calls. */
enum daxmr_op_flags {
	/* Report this operation's completion only when it failed (librpma's COMPLETION_ON_ERROR):
	 * for streams of operations where only the last one's completion matters. */
	DAXMR_OP_F_ON_ERROR = 1u << 0,
	/* Queue this operation's work requests without ringing the doorbell: the next call without
	 * this flag (or daxmr_client_submit) posts everything queued with one ibv_post_send. */
	DAXMR_OP_F_MORE = 1u << 1,
};

/*
 * One finished asynchronous operation. Operations on one client complete in the order they
 * were posted (one RC queue pair); an operation split into several work requests completes
 * once, when its last piece did, with the first failure of any piece.
 */
struct daxmr_completion {
	void *op_ctx;	  /* borrowed: what the caller passed */
	int status;	  /* 0, or why it failed: -EACCES (remote access error: the key was
			   * revoked under opts.use_revoked, or a protection error), -ECONNRESET
			   * (the peer stopped answering: retries exhausted), -EIO (another
			   * completion error), -ENOTCONN (the connection died before it finished),
			   * -ESTALE (queued with DAXMR_OP_F_MORE, the region revoked before it was
			   * posted: it never ran) */
	enum daxmr_op op; /* what it was */
	uint64_t len;	  /* bytes it covered (8 for atomics) */
};

/*
 * Callbacks, called only from daxmr_client_process(). Each may call any libdaxmr function
 * except daxmr_client_process() and daxmr_client_disconnect() on its own client.
 */
struct daxmr_callbacks {
	/*
	 * region was revoked: its operations now fail with -ESTALE and the library has already
	 * acknowledged (unless ack_revoke is 0). Close it; open the export again (after
	 * on_available, or by retrying on -EAGAIN) for the new generation.
	 */
	void (*on_revoke)(struct daxmr_region *region, const struct daxmr_revoke_info *info,
			  void *arg);
	/* the export of a region revoked earlier can be opened again, as generation. */
	void (*on_available)(uint32_t export_id, const char *name, uint64_t generation, void *arg);
	/* the connection is dead (reason: a negative errno); every later call fails. Each region
	 * still open on it got on_revoke with DAXMR_REVOKE_CONNECTION_LOST just before. */
	void (*on_disconnect)(int reason, void *arg);
};

/*
 * Connects to daxmrd at addr ("host", "host:port", "[v6addr]:port"; port 1..65535, 7471 by
 * default; -EINVAL otherwise): rdma_cm address and route resolution, queue pair, connect private
 * data, HELLO. opts may be NULL. A server's reject says why: -EPROTONOSUPPORT (no common version),
 * -EBUSY, -EACCES (no export admits our address), else -ECONNREFUSED; -ETIMEDOUT, -EHOSTUNREACH
 * for rdma_cm resolution failures; a host name that does not resolve -ENXIO, a resolver that
 * cannot answer now -EAGAIN, one that fails -EIO. Authentication: -EACCES when the server requires
 * a secret and none was given, when either side's proof fails, when a secret was given and the
 * server did not ask for it, or when an identity was given and the server has none (it speaks a
 * version below 4), or does not know it (the server's log says which); the secret file's own errors
 * (-ENOENT, -EPERM for a mode readable by others, -EINVAL for its size).
 */
DAXMR_API int daxmr_client_connect(const char *addr, const struct daxmr_client_opts *opts,
				   struct daxmr_client **client_ptr);

/* Disconnects and frees the client and every region still open on it. NULL-safe. */
DAXMR_API int daxmr_client_disconnect(struct daxmr_client **client_ptr);

/* The server's name from its HELLO reply (borrowed: lives as long as the client). */
DAXMR_API const char *daxmr_client_server_name(const struct daxmr_client *client);

/*
 * Every export of the server (paged LIST, deduplicated by export id). On success *infos_ptr is
 * an array of *count_ptr entries (NULL when 0) to be freed with daxmr_client_list_free().
 */
DAXMR_API int daxmr_client_list(struct daxmr_client *client, struct daxmr_export_info **infos_ptr,
				size_t *count_ptr);

/* Frees what daxmr_client_list returned. NULL-safe. */
DAXMR_API void daxmr_client_list_free(struct daxmr_export_info *infos);

/* Sets (or with cbs NULL clears) the event callbacks; cbs is copied. */
DAXMR_API void daxmr_client_set_callbacks(struct daxmr_client *client,
					  const struct daxmr_callbacks *cbs, void *arg);

/*
 * An fd (epoll) for the caller's event loop: readable when the client has something for
 * daxmr_client_process() or daxmr_client_poll(). When it is, call daxmr_client_process() (which
 * re-arms the completion queue), then daxmr_client_poll() until it returns 0. Owned by the
 * client; do not close it.
 */
DAXMR_API int daxmr_client_fd(const struct daxmr_client *client);

/*
 * Handles everything pending without blocking: connection events, server notifications
 * (REVOKE is acknowledged here), then delivers the callbacks. 0, or -ENOTCONN once the
 * connection is dead (on_disconnect has then been called once).
 */
DAXMR_API int daxmr_client_process(struct daxmr_client *client);

/*
 * Liveness check, for a client that may be quiet for long (a watcher that only waits for
 * notifications would otherwise never learn that its server dropped it: a disconnect request
 * lost on a flapping link, a server host gone). If nothing came from the server's queue pair
 * for idle_ms (no message, no acknowledged send or RDMA), sends a no-op request (an empty LIST
 * page) and waits up to timeout_ms for its reply; otherwise returns at once. 0: the server
 * answered (or was heard within idle_ms). On no reply (-ETIMEDOUT) or a transport failure
 * (-ECONNRESET: the queue pair's retries ran out, and so on) the connection is DEAD: the next
 * daxmr_client_process() delivers on_revoke (DAXMR_REVOKE_CONNECTION_LOST) for each open region
 * and on_disconnect, and every later call fails -ENOTCONN. -ENOTCONN when already dead; -EBUSY
 * from inside a callback; -EINVAL for idle_ms < 0 or timeout_ms <= 0. Worst case, a dead
 * server is noticed idle_ms + timeout_ms after it was last heard (sooner by the QP's retries).
 * Call it whenever daxmr_client_fd() has been quiet for a while (daxmr watch: every second,
 * idle_ms 2000, timeout_ms its -t, default 5000).
 */
DAXMR_API int daxmr_client_check(struct daxmr_client *client, int idle_ms, int timeout_ms);
/* Opens export name with access DAXMR_RO or DAXMR_RW: the server hands out a descriptor. */
DAXMR_API int daxmr_region_open(struct daxmr_client *client, const char *name,
				enum daxmr_access access, struct daxmr_region **region_ptr);

/*
 * Closes the region (CLOSE to the server, which also acknowledges a pending revocation) and
 * frees it. Operations still in flight on it are waited for first (up to timeout_ms; then the
 * connection is declared dead): their completions stay for daxmr_client_poll. NULL-safe;
 * always frees; returns the first error.
 */
DAXMR_API int daxmr_region_close(struct daxmr_region **region_ptr);

/* The region's descriptor (borrowed: lives as long as the region). */
DAXMR_API const struct daxmr_desc *daxmr_region_desc(const struct daxmr_region *region);

/* The export's name (borrowed: lives as long as the region). */
DAXMR_API const char *daxmr_region_name(const struct daxmr_region *region);

/* Whether the region was revoked (its operations fail with -ESTALE). */
DAXMR_API int daxmr_region_is_revoked(const struct daxmr_region *region);

/*
 * Copies len bytes at offset of the export into buf (one-sided RDMA READ through the library's
 * registered bounce buffer). -ERANGE past the end, -ESTALE once revoked.
 */
DAXMR_API int daxmr_region_read(struct daxmr_region *region, uint64_t offset, void *buf,
				size_t len);

/*
 * Writes len bytes from buf at offset of the export (one-sided RDMA WRITE). Not persistent until
 * daxmr_region_flush(). -EACCES on a DAXMR_RO region, -ERANGE past the end, -ESTALE once revoked.
 */
DAXMR_API int daxmr_region_write(struct daxmr_region *region, uint64_t offset, const void *buf,
				 size_t len);

/*
 * Makes [offset, offset + len) of the export persistent (FLUSH to the server). Covers every
 * write that completed before the call (and, the QP being ordered, every write posted before
 * it on this client: the server handles FLUSH after it). Synchronous; daxmr_region_flush_async
 * is the asynchronous one.
 */
DAXMR_API int daxmr_region_flush(struct daxmr_region *region, uint64_t offset, uint64_t len);

/*
 * Registers [ptr, ptr + len) with the client's device for zero-copy operations (local write,
 * so reads land in it, and the atomics' results). The memory stays the caller's; it must stay
 * mapped until daxmr_mem_dereg. len >= 1. -EINVAL for NULL or len 0, -ENOTCONN on a dead
 * client, else ibv_reg_mr's -errno (-ENOMEM: RLIMIT_MEMLOCK).
 */
DAXMR_API int daxmr_mem_reg(struct daxmr_client *client, void *ptr, size_t len,
			    struct daxmr_mem **mem_ptr);

/*
 * Deregisters and frees mem; NULL-safe (*mem_ptr NULL is 0). -EBUSY while operations posted
 * on it are in flight (nothing changes: poll them first). Memory still registered at
 * daxmr_client_disconnect is deregistered and freed there, and its pointer dies.
 */
DAXMR_API int daxmr_mem_dereg(struct daxmr_mem **mem_ptr);

/* The registered range's start and length. */
DAXMR_API void *daxmr_mem_ptr(const struct daxmr_mem *mem);
DAXMR_API size_t daxmr_mem_len(const struct daxmr_mem *mem);

/*
 * Posts an RDMA READ of len bytes at remote_off of the export into mem at local_off, and
 * returns: the data is there when its completion (with op_ctx) comes out of daxmr_client_poll.
 * No copy. The operation is split into work requests at the export's segment boundaries and at
 * opts.max_wr_bytes; all of them are posted, or none.
 * Errors (nothing is posted): -EINVAL mem NULL or registered with another client, or
 * [local_off, local_off + len) not inside mem; -ERANGE [remote_off, remote_off + len) not
 * inside the export; -ESTALE the region is revoked (or being revoked); -EAGAIN not enough of
 * the queue is free now (poll completions, then retry); -EMSGSIZE it needs more work requests
 * than opts.queue_depth (it never fits); -ENOTCONN the connection is dead; -EINVAL unknown
 * flags. len 0 completes at once (still a completion).
 */
DAXMR_API int daxmr_region_read_async(struct daxmr_region *region, struct daxmr_mem *mem,
				      size_t local_off, uint64_t remote_off, size_t len,
				      void *op_ctx, unsigned int flags);

/*
 * Posts an RDMA WRITE of len bytes from mem at local_off to remote_off of the export (small
 * pieces are sent inline where the device allows: mem may then be reused as soon as the call
 * returns; otherwise only after the completion). Not persistent until daxmr_region_flush.
 * Errors as daxmr_region_read_async, and -EACCES on a DAXMR_RO region.
 */
DAXMR_API int daxmr_region_write_async(struct daxmr_region *region, struct daxmr_mem *mem,
				       size_t local_off, uint64_t remote_off, size_t len,
				       void *op_ctx, unsigned int flags);

/*
 * Posts an 8-byte RDMA compare-and-swap at remote_off: if the export's value there is
 * compare it becomes swap; the value found before lands in mem at local_off either way. Values
 * are 64-bit integers as the device reads memory (rxe: host byte order; some HCAs read remote
 * memory big-endian: keep atomics' words to atomics).
 * Errors: -EINVAL remote_off or local_off not 8-byte aligned (and the read_async ones);
 * -EOPNOTSUPP the device or the export's descriptor does not allow atomics; -EACCES a
 * DAXMR_RO region; -ERANGE, -ESTALE, -EAGAIN, -ENOTCONN as daxmr_region_read_async.
 */
DAXMR_API int daxmr_region_cas_async(struct daxmr_region *region, struct daxmr_mem *mem,
				     size_t local_off, uint64_t remote_off, uint64_t compare,
				     uint64_t swap, void *op_ctx, unsigned int flags);

/* Posts an 8-byte RDMA fetch-and-add of add at remote_off; the old value lands in mem at
 * local_off. Errors as daxmr_region_cas_async. */
DAXMR_API int daxmr_region_faa_async(struct daxmr_region *region, struct daxmr_mem *mem,
				     size_t local_off, uint64_t remote_off, uint64_t add,
				     void *op_ctx, unsigned int flags);

/*
 * Sends FLUSH of [offset, offset + len) of the export and returns: its completion (op
 * DAXMR_OP_FLUSH, op_ctx, len) comes out of daxmr_client_poll once the server has made the range
 * persistent (status 0), or with why not (-ESTALE revoked meanwhile, -ERANGE, -EIO, -ENOTCONN
 * the connection died first: then nothing is known of the range).
 * What it covers: every RDMA WRITE (and atomic) posted on this client before the call, whether
 * or not its completion came: writes queued with DAXMR_OP_F_MORE are posted first, the FLUSH
 * follows them on the one reliable-connected QP, and the server handles it only after their
 * data is placed. In particular it covers every write whose completion the caller collected
 * before posting it. It does not cover writes posted after it, nor a write that failed. Its
 * completion may come after those of operations posted later (it is answered by the server,
 * not by the device); several flushes complete in the order they were posted.
 * flags: DAXMR_OP_F_ON_ERROR only (DAXMR_OP_F_MORE: -EINVAL; the FLUSH is a message, not a work
 * request of the ring). Errors (nothing is sent): -EINVAL region NULL or a flag; -ERANGE,
 * -ESTALE, -ENOTCONN as daxmr_region_read_async; -EAGAIN all but one of the server's request
 * credits (8 with daxmrd) are taken by flushes in flight, or the queue has no room for the
 * completion: poll first; -EOPNOTSUPP the server grants only one credit. No timeout of its
 * own: a server that stops answering is a dead connection (-ENOTCONN) once the QP or a
 * synchronous call notices.
 */
DAXMR_API int daxmr_region_flush_async(struct daxmr_region *region, uint64_t offset, uint64_t len,
				       void *op_ctx, unsigned int flags);

/* Synchronous compare-and-swap through the library's own buffer: *old_ptr (may be NULL) the
 * value found. Errors as daxmr_region_cas_async, and the completion's status. */
DAXMR_API int daxmr_region_cas(struct daxmr_region *region, uint64_t remote_off, uint64_t compare,
			       uint64_t swap, uint64_t *old_ptr);

/* Synchronous fetch-and-add; *old_ptr (may be NULL) the value before. */
DAXMR_API int daxmr_region_faa(struct daxmr_region *region, uint64_t remote_off, uint64_t add,
			       uint64_t *old_ptr);

/* Posts whatever DAXMR_OP_F_MORE queued (one ibv_post_send). 0, -ENOTCONN, or -EIO. */
DAXMR_API int daxmr_client_submit(struct daxmr_client *client);

/*
 * Busy-poll: up to max finished operations into out, without blocking. Also handles what the
 * server sent meanwhile (a REVOKE is acknowledged here once the region's operations are all
 * done; its callback waits for daxmr_client_process). Posts what DAXMR_OP_F_MORE queued first.
 * Returns how many (0..max), or -ENOTCONN once the connection is dead and every operation
 * posted on it has been reported (with -ENOTCONN as its status), -EINVAL for max < 1.
 */
DAXMR_API int daxmr_client_poll(struct daxmr_client *client, struct daxmr_completion *out, int max);

/* Operations posted and not yet reported by daxmr_client_poll. */
DAXMR_API unsigned int daxmr_client_inflight(const struct daxmr_client *client);

/*
 * Blocks until daxmr_client_poll or daxmr_client_process has something (a completion, a
 * notification, the connection's end) or timeout_ms passed (< 0: no limit). 0, -ETIMEDOUT,
 * -EINTR, -ENOTCONN. Event loops watch daxmr_client_fd() instead and call both when readable.
 */
DAXMR_API int daxmr_client_wait(struct daxmr_client *client, int timeout_ms);

/*
 * The server's reason text for the last refused request on this client (protocol version 3:
 * "hole at offset 4096", ...), or "" when it gave none. Borrowed: valid until the next call.
 */
DAXMR_API const char *daxmr_client_last_reason(const struct daxmr_client *client);

/* The protocol version the connection speaks (1..3). */
DAXMR_API unsigned int daxmr_client_protocol_version(const struct daxmr_client *client);

/* The running library's version ("0.1.0"); major/minor/patch may be NULL. */
DAXMR_API const char *daxmr_version(int *major, int *minor, int *patch);

/* "ro", "rw"; "unknown" otherwise. Never NULL. */
DAXMR_API const char *daxmr_access_str(enum daxmr_access access);

/* "fs-dax", "devdax", "page-cache"; "unknown" otherwise. Never NULL. */
DAXMR_API const char *daxmr_memory_str(enum daxmr_memory memory);

/* "pinned", "odp"; "unknown" otherwise. Never NULL. */
DAXMR_API const char *daxmr_registration_str(enum daxmr_registration registration);

/* "lease-break", "shutdown", "admin", "error"; "unknown" otherwise. Never NULL. */
DAXMR_API const char *daxmr_revoke_reason_str(enum daxmr_revoke_reason reason);

#ifdef __cplusplus
}
#endif

#endif /* DAXMR_H */
