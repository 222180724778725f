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
	const char *metrics; /* borrowed: "ADDR:PORT" to serve /metrics on; NULL: none */
};

#define DAXMR_SERVER_OPTS_DEFAULT                                                    \
	{                                                                            \
		.listen = NULL, .exports = NULL, .nexports = 0, .ack_budget_ms = -1, \
		.odp_check_warn = false, .key = NULL, .metrics = NULL                \
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

#endif /* DAXMR_SERVER_H */
