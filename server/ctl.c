/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl.c -- daxmrd's control socket: daxmrctl's requests (docs/daxmrctl.md), one JSON line each */

/*
 * A control connection: READING (a line is gathered; past DAXMR_CTL_LINE_MAX it is answered
 * with an error and closed) -> each complete line is answered at once with one JSON line ->
 * READING again, until the peer closes (or an I/O error): then it is freed. Requests run on
 * the server's loop and never block it: revocations they start finish later, as any other.
 */
#include "ctl.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "cidr.h"
#include "conn.h"
#include "log.h"
#include "revoke.h"

struct ctl_client {
	TAILQ_ENTRY(ctl_client) link;
	struct daxmr_ctl *ctl;	 /* borrowed: the owner */
	struct bufferevent *bev; /* owned: the connection's socket */
	char who[48];		 /* "pid N uid U" from SO_PEERCRED, for logs */
};

TAILQ_HEAD(ctl_client_list, ctl_client);

struct daxmr_ctl {
	struct daxmr_server *srv; /* borrowed */
	struct daxmr_reload *rl;  /* borrowed */
	int fd;			  /* owned: the listening socket */
	struct event *ev;	  /* owned */
	struct ctl_client_list clients;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* ---- replies --------------------------------------------------------------------------- */

/* {"ok": false, "error": why, "errno": "ENAME"}. */
static struct json_object *ctl_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct json_object *ctl_error(int err, const char *fmt, ...)
{
	struct json_object *r = json_object_new_object();
	char why[DAXMR_CONFIG_WHY_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!r)
		return NULL;
	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(why));
	json_object_object_add(
		r, "errno",
		json_object_new_string(strerrorname_np(-err) ? strerrorname_np(-err) : "EIO"));
	return r;
}

/* {"ok": true}. */
static struct json_object *ctl_ok(void)
{
	struct json_object *r = json_object_new_object();

	if (r)
		json_object_object_add(r, "ok", json_object_new_boolean(1));
	return r;
}

static const char *ctl_memory_str(enum daxmr_proto_memory m)
{
	return m == DAXMR_PROTO_MEMORY_FSDAX	 ? "fs-dax" :
	       m == DAXMR_PROTO_MEMORY_DEVDAX	 ? "devdax" :
	       m == DAXMR_PROTO_MEMORY_PAGECACHE ? "page-cache" :
						   "unknown";
}

static const char *ctl_reg_str(enum daxmr_proto_registration r)
{
	return r == DAXMR_PROTO_REG_PINNED ? "pinned" :
	       r == DAXMR_PROTO_REG_ODP	   ? "odp" :
					     "unknown";
}

/* status: the daemon. */
static struct json_object *ctl_status(struct daxmr_server *srv)
{
	struct json_object *r = ctl_ok();
	struct daxmr_server_status st;

	if (!r)
		return NULL;
	daxmr_server_status(srv, &st);
	json_object_object_add(r, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(r, "listen", json_object_new_string(st.listen));
	json_object_object_add(r, "device", json_object_new_string(st.devname));
	json_object_object_add(
		r, "keys",
		json_object_new_string(st.mw ? "per-connection windows" : "shared MR keys"));
	json_object_object_add(r, "auth", json_object_new_boolean(st.auth));
	json_object_object_add(r, "identities", json_object_new_int64((int64_t)st.identities));
	json_object_object_add(
		r, "state", json_object_new_string(st.shutting_down ? "shutting-down" : "running"));
	json_object_object_add(r, "exports", json_object_new_int64((int64_t)st.exports));
	json_object_object_add(r, "available", json_object_new_int64((int64_t)st.available));
	json_object_object_add(r, "clients", json_object_new_int64((int64_t)st.conns));
	json_object_object_add(r, "lease_break_time_ms", json_object_new_int64(st.break_ms));
	json_object_object_add(r, "ack_budget_ms", json_object_new_int64(st.ack_budget_ms));
	json_object_object_add(r, "watchdog_ms", json_object_new_int64(st.watchdog_ms));
	return r;
}

/* The last revocation of an export, or null. */
static struct json_object *ctl_revoke_json(const struct daxmr_revoke_report *rep)
{
	struct json_object *o;

	if (!rep || rep->generation == 0)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "generation", json_object_new_int64((int64_t)rep->generation));
	json_object_object_add(o, "reason",
			       json_object_new_string(daxmr_revoke_reason_str(rep->reason)));
	json_object_object_add(o, "holders", json_object_new_int64(rep->holders));
	json_object_object_add(o, "acked", json_object_new_int64(rep->acked));
	json_object_object_add(o, "sent_us", json_object_new_int64((int64_t)rep->sent_us));
	json_object_object_add(o, "last_ack_us", json_object_new_int64((int64_t)rep->last_ack_us));
	json_object_object_add(o, "released_us", json_object_new_int64((int64_t)rep->released_us));
	json_object_object_add(o, "cause", json_object_new_string(rep->cause ? rep->cause : ""));
	return o;
}

/* One export. */
static struct json_object *ctl_export_json(struct daxmr_server *srv, struct daxmr_export *exp)
{
	struct json_object *o = json_object_new_object();
	struct daxmr_proto_export entry;
	enum daxmr_export_state st = daxmr_export_state(exp);
	bool up = daxmr_export_entry(exp, &entry) == 0;

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(daxmr_export_name(exp)));
	json_object_object_add(o, "id", json_object_new_int64(daxmr_export_id(exp)));
	json_object_object_add(o, "path", json_object_new_string(daxmr_export_path(exp)));
	json_object_object_add(o, "state",
			       json_object_new_string(daxmr_server_export_removing(srv, exp) ?
							      "removing" :
							      daxmr_export_state_str(st)));
	json_object_object_add(o, "generation",
			       json_object_new_int64((int64_t)daxmr_export_generation(exp)));
	json_object_object_add(o, "access",
			       json_object_new_string(daxmr_export_ro(exp) ? "ro" : "rw"));
	json_object_object_add(o, "memory",
			       up ? json_object_new_string(ctl_memory_str(entry.memory)) : NULL);
	json_object_object_add(o, "registration",
			       up ? json_object_new_string(ctl_reg_str(entry.registration)) : NULL);
	json_object_object_add(o, "length",
			       up ? json_object_new_int64((int64_t)entry.length) : NULL);
	json_object_object_add(
		o, "holders",
		json_object_new_int64((int64_t)daxmr_server_export_holders(srv, exp)));
	json_object_object_add(o, "reason",
			       st == DAXMR_EXPORT_UNAVAILABLE ?
				       json_object_new_string(daxmr_export_reason(exp)) :
				       NULL);
	json_object_object_add(o, "last_revocation",
			       ctl_revoke_json(daxmr_server_export_last_revoke(srv, exp)));
	return o;
}

/* exports: every export. */
static struct json_object *ctl_exports(struct daxmr_server *srv)
{
	struct json_object *r = ctl_ok(), *a = json_object_new_array();
	size_t i;

	if (!r || !a) {
		json_object_put(r);
		json_object_put(a);
		return NULL;
	}
	for (i = 0; i < daxmr_server_nexports(srv); i++)
		json_object_array_add(a, ctl_export_json(srv, daxmr_server_export_at(srv, i)));
	json_object_object_add(r, "exports", a);
	return r;
}

/* One descriptor of a client (daxmr_conn_each_hold's callback). */
static void ctl_hold_json(void *arg, const struct daxmr_export *exp, uint64_t gen,
			  enum daxmr_proto_access access, const char *state, uint32_t rkey)
{
	struct json_object *h = json_object_new_object();

	if (!h)
		return;
	json_object_object_add(h, "export", json_object_new_string(daxmr_export_name(exp)));
	json_object_object_add(h, "generation", json_object_new_int64((int64_t)gen));
	json_object_object_add(
		h, "access", json_object_new_string(access == DAXMR_PROTO_ACCESS_RO ? "ro" : "rw"));
	json_object_object_add(h, "state", json_object_new_string(state));
	json_object_object_add(h, "key", json_object_new_string(rkey ? "window" : "mr"));
	json_object_object_add(h, "rkey", rkey ? json_object_new_int64(rkey) : NULL);
	json_object_array_add(arg, h);
}

/* clients: every connection. */
static struct json_object *ctl_clients(struct daxmr_server *srv)
{
	struct json_object *r = ctl_ok(), *a = json_object_new_array();
	struct daxmr_conn_info info;
	size_t i;

	if (!r || !a) {
		json_object_put(r);
		json_object_put(a);
		return NULL;
	}
	for (i = 0; i < daxmr_server_nconns(srv); i++) {
		struct daxmr_conn *conn = daxmr_server_conn_at(srv, i);
		struct json_object *c = json_object_new_object(), *holds = json_object_new_array();

		if (!c || !holds) {
			json_object_put(c);
			json_object_put(holds);
			continue;
		}
		daxmr_conn_info(conn, &info);
		json_object_object_add(c, "address", json_object_new_string(info.peer));
		json_object_object_add(c, "name", json_object_new_string(info.client));
		json_object_object_add(c, "state",
				       json_object_new_string(daxmr_conn_state_str(info.state)));
		json_object_object_add(c, "authenticated",
				       json_object_new_string(!info.auth_required ? "not required" :
							      info.authenticated  ? "yes" :
										    "no"));
		json_object_object_add(c, "identity",
				       json_object_new_string(info.identity[0]	 ? info.identity :
							      info.authenticated ? "anonymous" :
										   "-"));
		json_object_object_add(c, "version", json_object_new_int(info.version));
		json_object_object_add(c, "windows", json_object_new_int64((int64_t)info.windows));
		daxmr_conn_each_hold(conn, ctl_hold_json, holds);
		json_object_object_add(c, "regions", holds);
		json_object_array_add(a, c);
	}
	json_object_object_add(r, "clients", a);
	return r;
}

/* The string member key of req, or NULL. */
static const char *ctl_str(struct json_object *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* reload: re-read the configuration. */
static struct json_object *ctl_reload(struct daxmr_reload *rl)
{
	struct daxmr_reload_summary sum;
	char why[DAXMR_CONFIG_WHY_MAX];
	struct json_object *r;
	int ret;

	ret = daxmr_reload_run(rl, &sum, why, sizeof(why));
	if (ret && sum.added + sum.removed + sum.changed + sum.unchanged == 0)
		return ctl_error(ret, "reload refused, nothing changed: %s", why);
	r = ret ? ctl_error(ret, "reload: %s", why) : ctl_ok();
	if (!r)
		return NULL;
	json_object_object_add(r, "added", json_object_new_int64((int64_t)sum.added));
	json_object_object_add(r, "removed", json_object_new_int64((int64_t)sum.removed));
	json_object_object_add(r, "changed", json_object_new_int64((int64_t)sum.changed));
	json_object_object_add(r, "unchanged", json_object_new_int64((int64_t)sum.unchanged));
	return r;
}

/* export: {"args": ["NAME", "PATH", "OPTIONS"...]}. */
static struct json_object *ctl_export(struct daxmr_reload *rl, struct json_object *req)
{
	const char *fields[64];
	char why[DAXMR_CONFIG_WHY_MAX];
	struct json_object *args, *v;
	size_t i, n;
	int ret;

	if (!json_object_object_get_ex(req, "args", &args) ||
	    !json_object_is_type(args, json_type_array))
		return ctl_error(-EINVAL, "export: \"args\" must be an array: NAME PATH [OPTIONS]");
	n = json_object_array_length(args);
	if (n < 2 || n > sizeof(fields) / sizeof(fields[0]))
		return ctl_error(-EINVAL, "export: expected NAME PATH [OPTIONS...] (2 to %zu)",
				 sizeof(fields) / sizeof(fields[0]));
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(args, i);
		if (!json_object_is_type(v, json_type_string))
			return ctl_error(-EINVAL, "export: argument %zu is not a string", i + 1);
		fields[i] = json_object_get_string(v);
	}
	ret = daxmr_reload_export(rl, fields, n, why, sizeof(why));
	return ret ? ctl_error(ret, "%s", why) : ctl_ok();
}

/* Answers one request. */
struct json_object *daxmr_ctl_handle(struct daxmr_server *srv, struct daxmr_reload *rl,
				     struct json_object *req)
{
	const char *cmd = ctl_str(req, "command"), *arg;
	char why[DAXMR_CONFIG_WHY_MAX];
	int ret;

	if (!json_object_is_type(req, json_type_object) || !cmd)
		return ctl_error(-EINVAL, "a request is a JSON object with a \"command\" string");
	if (strcmp(cmd, "status") == 0)
		return ctl_status(srv);
	if (strcmp(cmd, "exports") == 0)
		return ctl_exports(srv);
	if (strcmp(cmd, "clients") == 0)
		return ctl_clients(srv);
	if (strcmp(cmd, "reload") == 0)
		return ctl_reload(rl);
	if (strcmp(cmd, "export") == 0)
		return ctl_export(rl, req);
	if (strcmp(cmd, "revoke") == 0 || strcmp(cmd, "unexport") == 0) {
		arg = ctl_str(req, "export");
		if (!arg)
			return ctl_error(-EINVAL, "%s: \"export\" (a name) is missing", cmd);
		if (cmd[0] == 'u') {
			ret = daxmr_reload_unexport(rl, arg, why, sizeof(why));
			return ret ? ctl_error(ret, "%s", why) : ctl_ok();
		}
		ret = daxmr_server_export_revoke(srv, arg);
		return ret ? ctl_error(ret, "revoke %s: %s", arg,
				       ret == -ENOENT ? "no such export" :
				       ret == -EAGAIN ? "not available (nothing to revoke)" :
							daxmr_log_strerror(ret)) :
			     ctl_ok();
	}
	if (strcmp(cmd, "disconnect") == 0) {
		arg = ctl_str(req, "client");
		if (!arg)
			return ctl_error(-EINVAL, "disconnect: \"client\" (ADDR:PORT or name) is "
						  "missing");
		ret = daxmr_server_disconnect(srv, arg);
		if (ret < 0)
			return ctl_error(ret, "disconnect %s: no such client", arg);
		{
			struct json_object *r = ctl_ok();

			if (r)
				json_object_object_add(r, "disconnected", json_object_new_int(ret));
			return r;
		}
	}
	return ctl_error(-EINVAL,
			 "unknown command '%s' (status, exports, clients, revoke, disconnect, "
			 "reload, export, unexport)",
			 cmd);
}

/* ---- the socket ------------------------------------------------------------------------ */

/* Frees one control connection. */
static void ctl_client_free(struct ctl_client *c)
{
	TAILQ_REMOVE(&c->ctl->clients, c, link);
	bufferevent_free(c->bev);
	free(c);
}

/* Sends one reply line. */
static void ctl_send(struct ctl_client *c, struct json_object *reply)
{
	const char *text =
		reply ? json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN) :
			"{\"ok\":false,\"error\":\"out of memory\",\"errno\":\"ENOMEM\"}";

	bufferevent_write(c->bev, text, strlen(text));
	bufferevent_write(c->bev, "\n", 1);
	json_object_put(reply);
}

/* EOF or an error: the connection goes. */
static void ctl_on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		ctl_client_free(arg);
}

/* The last reply of a connection that is no longer read is out: it goes. */
static void ctl_on_written(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		ctl_client_free(arg);
}

/* Data: answer each complete line. */
static void ctl_on_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct json_tokener *tok;
	struct json_object *req;
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		tok = json_tokener_new();
		req = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
		if (!req || json_tokener_get_error(tok) != json_tokener_success) {
			ctl_send(c, ctl_error(-EINVAL, "not a JSON request: %s",
					      tok ? json_tokener_error_desc(
							    json_tokener_get_error(tok)) :
						    "out of memory"));
		} else {
			const char *cmd = ctl_str(req, "command");

			DAXMR_LOG_INF("daxmrctl (%s): %s", c->who, cmd ? cmd : "?");
			ctl_send(c, daxmr_ctl_handle(c->ctl->srv, c->ctl->rl, req));
		}
		json_object_put(req);
		json_tokener_free(tok);
		free(line);
	}
	if (evbuffer_get_length(in) > DAXMR_CTL_LINE_MAX) {
		ctl_send(c, ctl_error(-E2BIG, "request longer than %d bytes", DAXMR_CTL_LINE_MAX));
		evbuffer_drain(in, evbuffer_get_length(in));
		/* nothing more is read: the connection goes once the reply is out */
		bufferevent_disable(bev, EV_READ);
		bufferevent_setcb(bev, NULL, ctl_on_written, ctl_on_event, c);
	}
}

/* A new control connection. */
static void ctl_on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_ctl *ctl = arg;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct ctl_client *c;
	int cfd;

	(void)what;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		c = calloc(1, sizeof(*c));
		if (c)
			c->bev = bufferevent_socket_new(daxmr_server_base(ctl->srv), cfd,
							BEV_OPT_CLOSE_ON_FREE);
		if (!c || !c->bev) {
			DAXMR_LOG_ERR("daxmrctl connection: out of memory: closed");
			free(c);
			close(cfd);
			continue;
		}
		c->ctl = ctl;
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
			snprintf(c->who, sizeof(c->who), "pid %d uid %u", (int)cred.pid,
				 (unsigned int)cred.uid);
		else
			snprintf(c->who, sizeof(c->who), "unknown peer");
		TAILQ_INSERT_TAIL(&ctl->clients, c, link);
		bufferevent_setcb(c->bev, ctl_on_read, NULL, ctl_on_event, c);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		DAXMR_LOG_CALL_ERR("accept4", -errno, "control socket %s", ctl->path);
}

/* Whether a daxmrd answers on path (then it is in use), else the stale file goes. */
static int ctl_take_path(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (ret == 0) {
		DAXMR_LOG_ERR("control socket %s: another daxmrd answers on it (--ctl-socket "
			      "another path, or --no-ctl)",
			      sa->sun_path);
		return -EADDRINUSE;
	}
	if (errno == ECONNREFUSED && unlink(sa->sun_path) == 0)
		DAXMR_LOG_INF("control socket %s: removed the one a daxmrd left", sa->sun_path);
	return 0;
}

/* The socket's directory, made if missing (one level: /run/daxmr). */
static int ctl_mkdir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	DAXMR_LOG_CALL_ERR("mkdir", -errno, "%s (the control socket's directory)", dir);
	return -errno;
}

/* The socket's group: opts->group, or our own. */
static int ctl_group(const struct daxmr_ctl_opts *opts, gid_t *gid)
{
	struct group *gr;

	*gid = getegid();
	if (!opts->group)
		return 0;
	errno = 0;
	gr = getgrnam(opts->group);
	if (!gr) {
		DAXMR_LOG_ERR("control socket: group %s: %s", opts->group,
			      errno ? daxmr_log_strerror(-errno) : "no such group");
		return errno ? -errno : -ENOENT;
	}
	*gid = gr->gr_gid;
	return 0;
}

int daxmr_ctl_new(struct daxmr_server *srv, struct daxmr_reload *rl,
		  const struct daxmr_ctl_opts *opts, struct daxmr_ctl **ctl_ptr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct daxmr_ctl *ctl;
	mode_t old_umask;
	gid_t gid;
	int ret;

	if (strlen(opts->path) >= sizeof(sa.sun_path)) {
		DAXMR_LOG_ERR("control socket %s: longer than %zu bytes", opts->path,
			      sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, opts->path, strlen(opts->path) + 1);
	ret = ctl_group(opts, &gid);
	if (ret)
		return ret;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->srv = srv;
	ctl->rl = rl;
	ctl->fd = -1;
	TAILQ_INIT(&ctl->clients);
	snprintf(ctl->path, sizeof(ctl->path), "%s", opts->path);
	ret = ctl_mkdir(opts->path);
	if (ret == 0)
		ret = ctl_take_path(&sa);
	if (ret)
		goto err;
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("socket", ret, "AF_UNIX, control socket %s", opts->path);
		goto err;
	}
	/* mode 0660 from the start: no moment where others could connect */
	old_umask = umask(0117);
	ret = bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old_umask);
	if (ret) {
		DAXMR_LOG_CALL_ERR("bind", ret, "control socket %s", opts->path);
		goto err;
	}
	if (chown(opts->path, (uid_t)-1, gid) && gid != getegid()) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("chown", ret, "control socket %s to group %s", opts->path,
				   opts->group);
		goto err_unlink;
	}
	if (listen(ctl->fd, 16)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("listen", ret, "control socket %s", opts->path);
		goto err_unlink;
	}
	ctl->ev = event_new(daxmr_server_base(srv), ctl->fd, EV_READ | EV_PERSIST, ctl_on_accept,
			    ctl);
	if (!ctl->ev || event_add(ctl->ev, NULL)) {
		ret = -ENOMEM;
		DAXMR_LOG_CALL_ERR("event_new", ret, "control socket %s", opts->path);
		goto err_unlink;
	}
	DAXMR_LOG_NTC("control socket %s (mode 0660, group %s): daxmrctl", opts->path,
		      opts->group ? opts->group : "daxmrd's");
	*ctl_ptr = ctl;
	return 0;

err_unlink:
	unlink(opts->path);
err:
	ctl->path[0] = '\0';
	daxmr_ctl_delete(&ctl);
	return ret;
}

void daxmr_ctl_delete(struct daxmr_ctl **ctl_ptr)
{
	struct daxmr_ctl *ctl;
	struct ctl_client *c;

	if (!ctl_ptr || !*ctl_ptr)
		return;
	ctl = *ctl_ptr;
	while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
		ctl_client_free(c); /* NOLINT(clang-analyzer-unix.Malloc) */
	if (ctl->ev)
		event_free(ctl->ev);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		if (ctl->path[0])
			unlink(ctl->path);
	}
	free(ctl);
	*ctl_ptr = NULL;
}
