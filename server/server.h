/* SPDX-License-Identifier: BSD-3-Clause */
/* server.h -- daxmrd's event loop: rdma_cm listener, completion channel, signals, export table */
#ifndef DAXMR_SERVER_H
#define DAXMR_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "export.h"

#define DAXMR_SERVER_PORT 7471

struct daxmr_server;

struct daxmr_server_opts {
	const char *listen;			/* borrowed: "ADDR[:PORT]", "[V6ADDR][:PORT]" */
	const struct daxmr_export_cfg *exports; /* borrowed: nexports of them, at least one */
	size_t nexports;
	int ack_budget_ms;   /* -1: min(1000, lease-break-time / 4) */
	bool odp_check_warn; /* a mode failing the data-path check is used anyway, loudly */
	const struct daxmr_auth_key *key; /* borrowed: copied; NULL: clients need not AUTH */
	/* borrowed: taken over (emptied) by daxmr_server_new; NULL or empty: no identities */
	struct daxmr_auth_keyring *keys;
	int max_conns_per_addr;	     /* 0: no limit */
	int max_handshakes_per_addr; /* 0: no limit */
	const char *metrics;	     /* borrowed: "ADDR:PORT" to serve /metrics on; NULL: none */
	void (*on_hup)(void *arg);   /* SIGHUP (a reload); NULL: SIGHUP is not caught */
	void *hup_arg;		     /* borrowed: passed to on_hup */
};

#define DAXMR_SERVER_OPTS_DEFAULT                                                              \
	{                                                                                      \
		.listen = NULL, .exports = NULL, .nexports = 0, .ack_budget_ms = -1,           \
		.odp_check_warn = false, .key = NULL, .keys = NULL, .max_conns_per_addr = 0,   \
		.max_handshakes_per_addr = 0, .metrics = NULL, .on_hup = NULL, .hup_arg = NULL \
	}

/*
 * Sets everything up: blocks SIGTERM/SIGINT and the lease-break signal into signalfds, binds the
 * listen address (which picks the RDMA device: a wildcard address takes the first one),
 * allocates the protection domain and the completion channel, establishes every export (one
 * that fails stays UNAVAILABLE and is retried from the loop) and listens.
 * 0, or -errno (logged): -EINVAL for a bad listen address (malformed, or a name getaddrinfo
 * says does not exist) or no exports; a resolver that fails otherwise gives its own errno
 * (-EAGAIN, -ENOMEM, EAI_SYSTEM's errno, ...), not -EINVAL.
 */
int daxmr_server_new(const struct daxmr_server_opts *opts, struct daxmr_server **srv_ptr);

/*
 * Runs the event loop until SIGTERM/SIGINT has revoked every export (reason SHUTDOWN).
 * 0 after a clean shutdown, -errno if the loop failed.
 */
int daxmr_server_run(struct daxmr_server *srv);

/*
 * Disconnects and deletes every connection, releases every export, frees the rest; every step
 * is taken whatever failed before. Returns 0 or the first -errno (each failure logged).
 */
int daxmr_server_delete(struct daxmr_server **srv_ptr);

/* ---- the run-time export table and queries (daxmrctl, reload) ---- */

struct daxmr_conn;
struct daxmr_revoke_report;
struct event_base;

/*
 * Puts a reloaded keys directory in force (keys is taken over and emptied): the connections of
 * an identity it no longer has, or whose key changed, are disconnected at once (their memory
 * windows invalidated before rdma_disconnect); the others are not touched. Returns how many were
 * cut, or -ENOTSUP if daxmrd started without --keys-dir (keys is then left as it was).
 */
int daxmr_server_set_keys(struct daxmr_server *srv, struct daxmr_auth_keyring *keys);

/* The server's event loop, for the control socket's events. */
struct event_base *daxmr_server_base(struct daxmr_server *srv);

/* What daxmrctl's "status" shows. */
struct daxmr_server_status {
	const char *listen;  /* borrowed: "ADDR:PORT" */
	const char *devname; /* borrowed: the RDMA device */
	bool mw;	     /* per-connection keys (type-2 memory windows) */
	bool auth;	     /* clients must AUTH */
	size_t identities;   /* identities in the keys directory (0: none, or no directory) */
	bool shutting_down;
	size_t exports, available, conns;
	unsigned int break_ms, ack_budget_ms, watchdog_ms;
};

void daxmr_server_status(const struct daxmr_server *srv, struct daxmr_server_status *st);

/* The number of exports in the table (those being removed too), and the i-th, or NULL. */
size_t daxmr_server_nexports(const struct daxmr_server *srv);
struct daxmr_export *daxmr_server_export_at(const struct daxmr_server *srv, size_t i);

/* Of the export exp: whether it is being removed, its holders, its last revocation (or NULL). */
bool daxmr_server_export_removing(const struct daxmr_server *srv, const struct daxmr_export *exp);
size_t daxmr_server_export_holders(const struct daxmr_server *srv, const struct daxmr_export *exp);
const struct daxmr_revoke_report *daxmr_server_export_last_revoke(const struct daxmr_server *srv,
								  const struct daxmr_export *exp);

/* The number of connections, and the i-th, or NULL. */
size_t daxmr_server_nconns(const struct daxmr_server *srv);
struct daxmr_conn *daxmr_server_conn_at(const struct daxmr_server *srv, size_t i);

/*
 * Adds an export at run time and establishes it (a failure leaves it UNAVAILABLE and
 * retrying, as at startup). If an export of that name is being removed, the new one waits for
 * its release. 0, -EEXIST (the name is exported), -EINVAL, -ENOMEM, -ESHUTDOWN.
 */
int daxmr_server_export_add(struct daxmr_server *srv, const struct daxmr_export_cfg *cfg);

/*
 * Unexports name: revokes it from its holders (reason admin), releases it, forgets it. 0
 * (done, or under way), -ENOENT (no such export), -ESHUTDOWN.
 */
int daxmr_server_export_remove(struct daxmr_server *srv, const char *name);

/*
 * Revokes name from its holders (reason admin); it is established again after the backoff,
 * as after a lease break. 0, -ENOENT, -EAGAIN (not AVAILABLE), -ESHUTDOWN.
 */
int daxmr_server_export_revoke(struct daxmr_server *srv, const char *name);

/* Disconnects every connection whose "ADDR:PORT" or HELLO name is who; how many, or -ENOENT. */
int daxmr_server_disconnect(struct daxmr_server *srv, const char *who);

#endif /* DAXMR_SERVER_H */
