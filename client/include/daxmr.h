/* SPDX-License-Identifier: BSD-3-Clause */
/* daxmr.h -- libdaxmr: one-sided RDMA access to files exported by daxmrd (public API) */
#ifndef DAXMR_H
#define DAXMR_H

/*
 * Usage:
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
 * Every function that can fail returns 0 or a negative errno. The library is not thread-safe:
 * one thread uses one client (and its regions) at a time. Requests are synchronous: each call
 * sends its request and waits (up to the timeout) for the reply; server notifications that
 * arrive meanwhile (revocations) are handled at once and their callbacks are delivered by
 * daxmr_client_process(), never from inside another call.
 *
 * Errors worth knowing:
 *   -ENOENT   no such export             -EACCES  access denied (or a remote access error)
 *   -ESTALE   the descriptor was revoked -EAGAIN  the export is being revoked: open again later
 *   -ERANGE   past the export's end      -EBUSY   the server is out of resources for now
 *   -EPROTO   the server misbehaved      -EIO     the server or the RDMA transfer failed
 *   -ENOTCONN the connection is dead (after a failed transfer, a disconnect or a protocol error)
 *   -ETIMEDOUT no reply within timeout_ms
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

#define DAXMR_DEFAULT_PORT 7471
#define DAXMR_DEFAULT_TIMEOUT_MS 5000
#define DAXMR_NAME_MAX 255 /* bytes in an export name */

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
};

#define DAXMR_CLIENT_OPTS_DEFAULT                                                      \
	{                                                                              \
		.name = NULL, .timeout_ms = DAXMR_DEFAULT_TIMEOUT_MS, .ack_revoke = 1, \
		.use_revoked = 0, .verbose = 0, .secret_file = NULL                    \
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
	/* the connection is dead (reason: a negative errno); every later call fails. */
	void (*on_disconnect)(int reason, void *arg);
};

/*
 * Connects to daxmrd at addr ("host", "host:port", "[v6addr]:port"; port 1..65535, 7471 by
 * default; -EINVAL otherwise): rdma_cm address and route resolution, queue pair, connect private
 * data, HELLO. opts may be NULL. A server's reject says why: -EPROTONOSUPPORT (no common version),
 * -EBUSY, -EACCES (no export admits our address), else -ECONNREFUSED; -ETIMEDOUT, -EHOSTUNREACH
 * for rdma_cm resolution failures; a host name that does not resolve -ENXIO, a resolver that
 * cannot answer now -EAGAIN, one that fails -EIO. Authentication: -EACCES when the server requires
 * a secret and none was given, when either side's proof fails, or when a secret was given and the
 * server did not ask for it; the secret file's own errors (-ENOENT, -EPERM for a mode readable by
 * others, -EINVAL for its size).
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
 * daxmr_client_process(). Owned by the client; do not close it.
 */
DAXMR_API int daxmr_client_fd(const struct daxmr_client *client);

/*
 * Handles everything pending without blocking: connection events, server notifications
 * (REVOKE is acknowledged here), then delivers the callbacks. 0, or -ENOTCONN once the
 * connection is dead (on_disconnect has then been called once).
 */
DAXMR_API int daxmr_client_process(struct daxmr_client *client);

/* Opens export name with access DAXMR_RO or DAXMR_RW: the server hands out a descriptor. */
DAXMR_API int daxmr_region_open(struct daxmr_client *client, const char *name,
				enum daxmr_access access, struct daxmr_region **region_ptr);

/*
 * Closes the region (CLOSE to the server, which also acknowledges a pending revocation) and
 * frees it. NULL-safe; always frees; returns the first error.
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

/* Makes [offset, offset + len) of the export persistent (FLUSH to the server). */
DAXMR_API int daxmr_region_flush(struct daxmr_region *region, uint64_t offset, uint64_t len);

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
