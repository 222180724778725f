/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl.h -- daxmrd's control socket: daxmrctl's requests (docs/daxmrctl.md), one JSON line each */
#ifndef DAXMR_CTL_H
#define DAXMR_CTL_H

#include <json-c/json.h>

#include "reload.h"
#include "server.h"

#define DAXMR_CTL_LINE_MAX 65536 /* bytes in one request line */

struct daxmr_ctl;

struct daxmr_ctl_opts {
	const char *path;  /* borrowed: the socket's path */
	const char *group; /* borrowed: the socket's group name; NULL: daxmrd's own group */
};

/*
 * Answers one request (a parsed JSON object, see docs/daxmrctl.md) against srv and rl: returns
 * a new reply object, {"ok": true, ...} or {"ok": false, "error": "...", "errno": "ENOENT"}.
 * Never NULL but when memory runs out. The socket side calls it; tests call it directly.
 */
struct json_object *daxmr_ctl_handle(struct daxmr_server *srv, struct daxmr_reload *rl,
				     struct json_object *req);

/*
 * Creates the socket (its directory too, mode 0755, if missing), mode 0660, group opts->group,
 * listening on srv's event loop. A socket file left by a daxmrd that is gone is replaced; one a
 * live daxmrd answers on is -EADDRINUSE. 0 or -errno (logged, naming the path).
 */
int daxmr_ctl_new(struct daxmr_server *srv, struct daxmr_reload *rl,
		  const struct daxmr_ctl_opts *opts, struct daxmr_ctl **ctl_ptr);

/* Closes every control connection and the socket, unlinks it. NULL-safe. */
void daxmr_ctl_delete(struct daxmr_ctl **ctl_ptr);

#endif /* DAXMR_CTL_H */
