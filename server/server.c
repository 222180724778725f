/* SPDX-License-Identifier: BSD-3-Clause */
/* server.c -- daxmrd's event loop: rdma_cm listener, completion channel, signals, export table */

/*
 * The server's own states:
 *
 *   RUNNING --SIGTERM/SIGINT--> SHUTTING_DOWN: every AVAILABLE export revoked (reason shutdown),
 *      ^                          retry timers stopped, connect requests rejected BUSY
 *      |                                   |
 *   (start)                   every export RELEASED/UNAVAILABLE: connections disconnected,
 *                             the loop exits (exit status 0)
 *
 * Events, all on one event_base: the rdma_cm channel (drained: get, copy, ack, dispatch), the
 * shared completion channel (get events; each connection acks in batches, re-arms, polls), a
 * signalfd for SIGTERM/SIGINT, a signalfd for the lease-break signal (ssi_fd names the export),
 * one retry timer per export, two revocation timers per export (revoke.c), a one-second tick
 * (connections past DAXMR_CONN_HANDSHAKE_MS without HELLO/AUTH are disconnected; retry timers
 * that could not be armed are armed again) and a reaper that deletes connections rdma_cm will
 * report nothing more about.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <event2/event.h>
#include <rdma/rdma_cma.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "conn.h"
#include "datacheck.h"
#include "fd.h"
#include "hostport.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "revoke.h"

#define SERVER_LEASE_BREAK_TIME_DEFAULT_MS 45000
#define SERVER_LISTEN_BACKLOG 64
#define SERVER_PDATA_MAX 256

/* One --export: the export, its revocation pipeline and its retry timer. */
struct server_export {
	struct daxmr_server *srv; /* borrowed: the owner */
	struct daxmr_export *exp; /* owned */
	struct daxmr_revoke *rv;  /* owned */
	struct event *retry;	  /* owned: the next establish attempt */
	bool retry_lost; /* the retry timer could not be armed: the one-second tick arms it */
	bool removing;	 /* unexported: deleted once released (server_export_finish) */
};

/* One connection in the server's list. */
struct server_conn {
	TAILQ_ENTRY(server_conn) link;
	struct daxmr_conn *conn; /* owned */
	bool dead;		 /* to be deleted by the reaper */
};

TAILQ_HEAD(server_conn_list, server_conn);

struct daxmr_server {
	struct event_base *base;	  /* owned */
	struct rdma_event_channel *cm_ch; /* owned */
	struct rdma_cm_id *listen_id;	  /* owned */
	struct ibv_context *ctx;	  /* borrowed: librdmacm's context of our device */
	struct ibv_pd *pd;		  /* owned */
	struct ibv_comp_channel *cc;	  /* owned */
	int max_rd_atom;
	bool mw;	      /* the device binds type-2 memory windows: per-connection keys */
	bool atomic;	      /* the device does RC atomics (atomic_cap not NONE) */
	uint64_t max_mr_size; /* ibv_device_attr's */
	unsigned int seg_shift_cap; /* 0, or the largest segment known to register (rxe) */
	int lease_sig;
	int lease_sfd;		/* owned */
	int term_sfd;		/* owned */
	struct event *ev_cm;	/* owned */
	struct event *ev_cc;	/* owned */
	struct event *ev_lease; /* owned */
	struct event *ev_term;	/* owned */
	struct event *ev_reap;	/* owned */
	struct event *ev_tick;	/* owned: each second: handshake deadlines, lost retry timers */
	struct daxmr_metrics_http *metrics; /* owned: NULL without --metrics */
	struct server_export **exports;	    /* owned: nexports of them (cap allocated) */
	size_t nexports, cap;
	uint32_t next_id;	   /* the id of the next export: ids are never reused */
	unsigned int break_ms;	   /* lease-break-time: per-export ack budgets derive from it */
	void (*on_hup)(void *arg); /* borrowed: SIGHUP's hook (opts.on_hup) */
	void *hup_arg;
	int hup_sfd;	      /* owned: SIGHUP's signalfd, -1 without on_hup */
	struct event *ev_hup; /* owned */
	struct server_conn_list conns;
	struct daxmr_revoke_opts ropts;
	bool auth;		   /* clients must AUTH with key */
	struct daxmr_auth_key key; /* a copy of the pre-shared secret's key; wiped at the end */
	bool ids;		   /* identities: clients must AUTH naming one (version 4) */
	struct daxmr_auth_keyring keys;	  /* the keys directory's; replaced by a reload */
	int max_conns_per_addr;		  /* 0: no limit */
	int max_handshakes_per_addr;	  /* 0: no limit */
	struct daxmr_datacheck_gate gate; /* the exports' data-path gate: verdicts by mode */
	bool shutting_down;
	bool exiting; /* the loop was told to exit */
	char devname[64];
	char name[DAXMR_PROTO_NAME_MAX + 1]; /* "daxmrd@HOST" in HELLO replies */
	char listen_str[96];
};

/* ---- exports ----------------------------------------------------------------------------- */

/* The slot of exp. */
static struct server_export *server_slot(struct daxmr_server *srv, const struct daxmr_export *exp)
{
	size_t i;

	for (i = 0; i < srv->nexports; i++)
		if (srv->exports[i]->exp == exp)
			return srv->exports[i];
	return NULL;
}

/* Arms the retry timer of a slot with the export's backoff. */
static void server_schedule_retry(struct server_export *se)
{
	unsigned int ms = daxmr_export_backoff_ms(se->exp);
	struct timeval tv = daxmr_clock_ms_tv(ms);

	if (se->srv->shutting_down || !daxmr_export_retries(se->exp))
		return;
	se->retry_lost = event_add(se->retry, &tv) != 0;
	/*
	 * A timer's event_add fails only when libevent cannot grow its timer heap (it allocates;
	 * errno is not promised). Left so, the export would stay UNAVAILABLE for good: the
	 * one-second tick, already armed, tries again.
	 */
	if (se->retry_lost)
		DAXMR_LOG_ERR("event_add: retry timer of export %s (%u ms): libevent could not "
			      "grow its timer heap (out of memory): arming it again in a second",
			      daxmr_export_name(se->exp), ms);
}

/* Establishes an export; tells former holders when it is back, or schedules a retry. */
static int server_establish(struct server_export *se)
{
	struct server_conn *sc;
	int ret;

	ret = daxmr_export_establish(se->exp);
	if (ret) {
		daxmr_metrics_establish_failed(ret);
		server_schedule_retry(se);
		return ret;
	}
	for (sc = TAILQ_FIRST(&se->srv->conns); sc; sc = TAILQ_NEXT(sc, link))
		if (!sc->dead)
			daxmr_conn_available(sc->conn, se->exp);
	return 0;
}

static void server_export_finish(struct server_export *se);
static void server_export_finish_soon(struct server_export *se);
static bool server_export_waits(const struct server_export *se);
static int server_hup_watch(struct daxmr_server *srv, const struct daxmr_server_opts *opts);

/* The retry timer: try to establish again (or finish an unexport). */
static void server_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct server_export *se = arg;

	(void)fd;
	(void)what;
	if (se->srv->shutting_down)
		return;
	if (se->removing) {
		server_export_finish(se);
		return;
	}
	if (server_export_waits(se)) {
		server_schedule_retry(se);
		return;
	}
	(void)server_establish(se);
}

/* ---- shutdown ---------------------------------------------------------------------------- */

/* Exits the loop once no export is AVAILABLE or REVOKING. */
static void server_exit_if_done(struct daxmr_server *srv)
{
	struct server_conn *sc;
	enum daxmr_export_state st;
	size_t i;

	if (!srv->shutting_down || srv->exiting)
		return;
	for (i = 0; i < srv->nexports; i++) {
		st = daxmr_export_state(srv->exports[i]->exp);
		if (st == DAXMR_EXPORT_AVAILABLE || st == DAXMR_EXPORT_REVOKING)
			return;
	}
	for (sc = TAILQ_FIRST(&srv->conns); sc; sc = TAILQ_NEXT(sc, link))
		daxmr_conn_disconnect(sc->conn);
	srv->exiting = true;
	DAXMR_LOG_NTC("every export released: exiting");
	event_base_loopexit(srv->base, NULL);
}

/* SIGTERM/SIGINT: revoke everything (reason SHUTDOWN), then exit. */
static void server_on_term(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_server *srv = arg;
	struct signalfd_siginfo si;
	size_t i;

	(void)what;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		DAXMR_LOG_NTC("%s from pid %u: %s", strsignal((int)si.ssi_signo), si.ssi_pid,
			      srv->shutting_down ? "already shutting down" :
						   "revoking every export, then exiting");
	}
	if (srv->shutting_down)
		return;
	srv->shutting_down = true;
	(void)sd_notify(0, "STOPPING=1"); /* systemd: not a failure; no-op outside a service */
	for (i = 0; i < srv->nexports; i++) {
		struct server_export *se = srv->exports[i];

		event_del(se->retry);
		if (daxmr_export_state(se->exp) == DAXMR_EXPORT_AVAILABLE)
			(void)daxmr_revoke_start(se->rv, DAXMR_PROTO_REVOKE_SHUTDOWN);
	}
	server_exit_if_done(srv);
}

/* ---- revocation ops ---------------------------------------------------------------------- */

/* REVOKE to every connection holding the generation. */
static unsigned int server_revoke_notify(void *arg, struct daxmr_export *exp, uint64_t gen,
					 enum daxmr_proto_revoke_reason reason,
					 uint32_t deadline_ms)
{
	struct server_export *se = arg;
	struct server_conn *sc;
	unsigned int n = 0;

	for (sc = TAILQ_FIRST(&se->srv->conns); sc; sc = TAILQ_NEXT(sc, link))
		if (!sc->dead)
			n += daxmr_conn_revoke(sc->conn, exp, gen, reason, deadline_ms) == 0;
	return n;
}

/* exp's MR is about to go: every connection's windows over it go first (dead ones too). */
static void server_revoke_fence(void *arg, struct daxmr_export *exp)
{
	struct server_export *se = arg;
	struct server_conn *sc;

	for (sc = TAILQ_FIRST(&se->srv->conns); sc; sc = TAILQ_NEXT(sc, link))
		daxmr_conn_fence(sc->conn, exp);
}

/* An export was released: re-establish it after the backoff, or finish the shutdown. */
static void server_revoke_released(void *arg, struct daxmr_export *exp,
				   enum daxmr_proto_revoke_reason reason)
{
	struct server_export *se = arg;

	(void)exp;
	(void)reason;
	if (se->srv->shutting_down) {
		server_exit_if_done(se->srv);
		return;
	}
	if (se->removing) {
		server_export_finish_soon(se);
		return;
	}
	/* not at once: the breaker must get its turn first, or we would lease it again under it */
	server_schedule_retry(se);
}

/* The lease-break signalfd: find the export by ssi_fd and revoke it. */
static void server_on_lease_break(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_server *srv = arg;
	int fds[32];
	size_t n, i, j;

	(void)what;
	do {
		n = 0;
		if (daxmr_lease_read_break(fd, fds, 32, &n))
			return;
		for (i = 0; i < n; i++) {
			for (j = 0; j < srv->nexports; j++) {
				struct server_export *se = srv->exports[j];

				if (daxmr_export_fd(se->exp) != fds[i] ||
				    daxmr_export_state(se->exp) != DAXMR_EXPORT_AVAILABLE)
					continue;
				/* a break queued for an earlier generation that had the same fd */
				if (daxmr_lease_is_intact(
					    fds[i], daxmr_export_ro(se->exp) ? F_RDLCK : F_WRLCK)) {
					DAXMR_LOG_DBG("export %s: stale lease-break signal ignored",
						      daxmr_export_name(se->exp));
					continue;
				}
				DAXMR_LOG_INF("export %s: lease break (fd %d)",
					      daxmr_export_name(se->exp), fds[i]);
				(void)daxmr_revoke_start(se->rv, DAXMR_PROTO_REVOKE_LEASE_BREAK);
			}
		}
	} while (n == 32);
}

/* ---- connections ------------------------------------------------------------------------- */

static struct daxmr_export *server_find_name(void *arg, const char *name)
{
	struct daxmr_server *srv = arg;
	size_t i;

	for (i = 0; i < srv->nexports; i++)
		if (!srv->exports[i]->removing &&
		    strcmp(daxmr_export_name(srv->exports[i]->exp), name) == 0)
			return srv->exports[i]->exp;
	return NULL;
}

static struct daxmr_export *server_find_id(void *arg, uint32_t id)
{
	struct daxmr_server *srv = arg;
	size_t i;

	for (i = 0; i < srv->nexports; i++)
		if (daxmr_export_id(srv->exports[i]->exp) == id)
			return srv->exports[i]->exp;
	return NULL;
}

static struct daxmr_export *server_nth(void *arg, size_t i)
{
	struct daxmr_server *srv = arg;

	return i < srv->nexports ? srv->exports[i]->exp : NULL;
}

/* A connection's holder is done with a REVOKE. */
static void server_conn_revoke_ack(void *arg, struct daxmr_export *exp, uint64_t gen)
{
	struct server_export *se = server_slot(arg, exp);

	if (se)
		daxmr_revoke_ack(se->rv, gen);
}

/* The entry of conn. */
static struct server_conn *server_conn_find(struct daxmr_server *srv, const struct daxmr_conn *conn)
{
	struct server_conn *sc;

	for (sc = TAILQ_FIRST(&srv->conns); sc; sc = TAILQ_NEXT(sc, link))
		if (sc->conn == conn)
			return sc;
	return NULL;
}

/* A connection without a DISCONNECTED to come: the reaper deletes it. */
static void server_conn_dead(void *arg, struct daxmr_conn *conn)
{
	struct daxmr_server *srv = arg;
	struct server_conn *sc = server_conn_find(srv, conn);

	if (!sc)
		return;
	sc->dead = true;
	event_active(srv->ev_reap, 0, 0);
}

/* Deletes one connection and its entry. */
static int server_conn_remove(struct daxmr_server *srv, struct server_conn *sc)
{
	int ret;

	TAILQ_REMOVE(&srv->conns, sc, link);
	ret = daxmr_conn_delete(&sc->conn); /* logged where it failed */
	free(sc);
	return ret;
}

/* The reaper: deletes dead connections outside of their own callbacks. */
static void server_on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_server *srv = arg;
	struct server_conn *sc, *next;

	(void)fd;
	(void)what;
	for (sc = TAILQ_FIRST(&srv->conns); sc; sc = next) {
		next = TAILQ_NEXT(sc, link);
		if (sc->dead)
			(void)server_conn_remove(srv, sc); /* logged; the loop goes on */
	}
}

/*
 * Each second: disconnects connections that have not finished HELLO (and AUTH) in time, and
 * holders unreachable since a missed REVOKE, and arms the retry timers that could not be armed.
 */
static void server_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_server *srv = arg;
	int64_t now = daxmr_clock_ms();
	struct server_conn *sc;
	size_t i;

	(void)fd;
	(void)what;
	for (sc = TAILQ_FIRST(&srv->conns); sc; sc = TAILQ_NEXT(sc, link))
		if (!sc->dead && daxmr_conn_expire_handshake(sc->conn, now) == 0)
			(void)daxmr_conn_expire_unreachable(sc->conn, now);
	for (i = 0; i < srv->nexports; i++)
		if (srv->exports[i]->retry_lost)
			server_schedule_retry(srv->exports[i]);
}

/* The metrics' gauges at a scrape: exports by state, connections not yet torn down. */
static void server_metrics_gauges(void *arg, struct daxmr_metrics_gauges *g)
{
	static const enum daxmr_export_state states[] = {
		DAXMR_EXPORT_CONFIGURED, DAXMR_EXPORT_AVAILABLE,   DAXMR_EXPORT_REVOKING,
		DAXMR_EXPORT_RELEASED,	 DAXMR_EXPORT_UNAVAILABLE,
	};
	struct daxmr_server *srv = arg;
	size_t i, j;

	g->nstates = sizeof(states) / sizeof(states[0]);
	for (j = 0; j < g->nstates; j++) {
		g->exports[j].state = daxmr_export_state_str(states[j]);
		g->exports[j].n = 0;
	}
	for (i = 0; i < srv->nexports; i++)
		for (j = 0; j < g->nstates; j++)
			g->exports[j].n += daxmr_export_state(srv->exports[i]->exp) == states[j];
	g->clients = daxmr_server_nconns(srv);
}

/* Whether a and b are the same IP address (ports aside). */
static bool server_same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (!a || !b || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

/*
 * Whether a new connection from sa would pass --max-conns-per-addr (live connections of that
 * address) or --max-handshakes-per-addr (those of them short of READY); why says which.
 */
static bool server_addr_over_limit(const struct daxmr_server *srv, const struct sockaddr *sa,
				   char *why, size_t why_size)
{
	const struct server_conn *sc;
	enum daxmr_conn_state st;
	int conns = 0, shaking = 0;

	if (!srv->max_conns_per_addr && !srv->max_handshakes_per_addr)
		return false;
	TAILQ_FOREACH(sc, &srv->conns, link) {
		st = daxmr_conn_state(sc->conn);
		if (sc->dead || st == DAXMR_CONN_CLOSING || st == DAXMR_CONN_CLOSED ||
		    !server_same_addr(rdma_get_peer_addr(daxmr_conn_id(sc->conn)), sa))
			continue;
		conns++;
		shaking += st != DAXMR_CONN_READY;
	}
	if (srv->max_conns_per_addr && conns >= srv->max_conns_per_addr) {
		daxmr_metrics_conn_rejected("CONN_LIMIT");
		snprintf(why, why_size,
			 "this address has %d connections, the most daxmrd allows one address "
			 "(--max-conns-per-addr)",
			 conns);
		return true;
	}
	if (srv->max_handshakes_per_addr && shaking >= srv->max_handshakes_per_addr) {
		daxmr_metrics_conn_rejected("HANDSHAKE_LIMIT");
		snprintf(why, why_size,
			 "this address has %d handshakes in progress, the most daxmrd allows "
			 "(--max-handshakes-per-addr)",
			 shaking);
		return true;
	}
	return false;
}

/* Rejects a connect request BUSY (as daxmr_conn_new would) and destroys its id. */
static void server_reject_busy(const struct daxmr_conn_env *env, struct rdma_cm_id *id,
			       const char *why)
{
	daxmr_conn_reject(env, id, DAXMR_PROTO_STATUS_BUSY, why);
	if (rdma_destroy_id(id))
		DAXMR_LOG_CALL_ERR("rdma_destroy_id", -errno, "rejected connect request");
}

/* A connect request: a new connection, or a rejection. */
static void server_on_connect_request(struct daxmr_server *srv, struct rdma_cm_id *id,
				      const void *pdata, size_t pdata_len,
				      const struct rdma_conn_param *req)
{
	struct daxmr_conn_env env = {
		.pd = srv->pd,
		.cc = srv->cc,
		.server_name = srv->name,
		.key = srv->auth ? &srv->key : NULL,
		.keys = srv->ids ? &srv->keys : NULL,
		.max_rd_atom = srv->max_rd_atom,
		.ops = { .find_name = server_find_name,
			 .find_id = server_find_id,
			 .nth = server_nth,
			 .revoke_ack = server_conn_revoke_ack,
			 .dead = server_conn_dead },
		.arg = srv,
	};
	struct server_conn *sc;
	char why[128];

	if (srv->shutting_down) {
		server_reject_busy(&env, id, "daxmrd is shutting down");
		return;
	}
	if (server_addr_over_limit(srv, rdma_get_peer_addr(id), why, sizeof(why))) {
		server_reject_busy(&env, id, why);
		return;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc || daxmr_conn_new(&env, id, pdata, pdata_len, req, &sc->conn)) {
		if (!sc)
			server_reject_busy(&env, id, "out of memory");
		else if (rdma_destroy_id(id))
			DAXMR_LOG_CALL_ERR("rdma_destroy_id", -errno, "rejected connect request");
		free(sc);
		return;
	}
	TAILQ_INSERT_TAIL(&srv->conns, sc, link);
}

/* The rdma_cm channel: drain it; copy what is needed, ack at once, then dispatch. */
static void server_on_cm_event(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_server *srv = arg;
	struct rdma_cm_event *ev;
	enum rdma_cm_event_type type;
	struct rdma_conn_param param;
	uint8_t pdata[SERVER_PDATA_MAX];
	size_t pdata_len;
	struct rdma_cm_id *id;
	struct server_conn *sc;
	int status;

	(void)fd;
	(void)what;
	while (rdma_get_cm_event(srv->cm_ch, &ev) == 0) {
		type = ev->event;
		id = ev->id;
		status = ev->status;
		param = ev->param.conn;
		pdata_len = 0;
		if (type == RDMA_CM_EVENT_CONNECT_REQUEST && ev->param.conn.private_data) {
			pdata_len = ev->param.conn.private_data_len; /* u8: fits pdata */
			memcpy(pdata, ev->param.conn.private_data, pdata_len);
		}
		param.private_data = NULL;
		param.private_data_len = 0;
		rdma_ack_cm_event(ev);

		DAXMR_LOG_DBG("rdma_cm: %s (status %d)", rdma_event_str(type), status);
		switch (type) {
		case RDMA_CM_EVENT_CONNECT_REQUEST:
			server_on_connect_request(srv, id, pdata, pdata_len, &param);
			break;
		case RDMA_CM_EVENT_ESTABLISHED:
			if (id->context)
				daxmr_conn_on_established(id->context);
			break;
		case RDMA_CM_EVENT_DISCONNECTED:
		case RDMA_CM_EVENT_CONNECT_ERROR:
		case RDMA_CM_EVENT_UNREACHABLE:
		case RDMA_CM_EVENT_REJECTED:
			if (!id->context)
				break;
			sc = server_conn_find(srv, id->context);
			daxmr_conn_on_disconnected(id->context);
			if (sc)
				(void)server_conn_remove(srv, sc); /* logged; the loop goes on */
			break;
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
			DAXMR_LOG_ERR("rdma_cm: device %s removed: connections on it are gone",
				      srv->devname);
			break;
		default:
			break;
		}
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		DAXMR_LOG_CALL_ERR("rdma_get_cm_event", -errno, "listener channel");
}

/* The shared completion channel: hand each CQ event to its connection. */
static void server_on_cq_channel(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_server *srv = arg;
	struct ibv_cq *cq;
	void *ctx;

	(void)fd;
	(void)what;
	while (ibv_get_cq_event(srv->cc, &cq, &ctx) == 0)
		daxmr_conn_on_cq_event(ctx);
}

/* ---- setup ------------------------------------------------------------------------------- */

/* Blocks SIGTERM and SIGINT into a signalfd. */
static int server_term_signal_block(int *sfd_ptr)
{
	static const int sigs[] = { SIGTERM, SIGINT };

	return daxmr_fd_signalfd(sigs, sizeof(sigs) / sizeof(sigs[0]), sfd_ptr);
}

/*
 * The -errno for a getaddrinfo error (read errno first: EAI_SYSTEM carries it). Only what
 * says the address itself is bad is -EINVAL (a usage error to main); a resolver that is down
 * (EAI_AGAIN), out of memory or failing is not.
 */
static int server_gai_errno(int eai, int err)
{
	switch (eai) {
	case EAI_SYSTEM:
		return err ? -err : -EIO;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_FAMILY:
		return -EAFNOSUPPORT;
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
		return -EADDRNOTAVAIL; /* the host has no address of the family asked for */
#endif
#ifdef EAI_NODATA
	case EAI_NODATA:
		return -ENODATA; /* the name exists but has no address */
#endif
	case EAI_NONAME:
	case EAI_SERVICE:
	case EAI_BADFLAGS:
	case EAI_SOCKTYPE:
		return -EINVAL; /* not an address or name we can listen on */
	case EAI_FAIL:
	default:
		return -EIO; /* the resolver failed for good */
	}
}

/* Binds the listen address; its device becomes ours (wildcard: the first one). */
static int server_bind(struct daxmr_server *srv, const char *listen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct ibv_context **devs;
	struct addrinfo *ai = NULL;
	char addr[80], port_s[8];
	unsigned int port;
	int ret, eai, n = 0;

	ret = daxmr_hostport_parse(listen, DAXMR_SERVER_PORT, addr, sizeof(addr), &port);
	if (ret) {
		DAXMR_LOG_ERR("--listen %s: expected ADDR[:PORT] or [IPV6ADDR][:PORT]", listen);
		return ret;
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	eai = getaddrinfo(addr, port_s, &hints, &ai);
	if (eai) {
		ret = server_gai_errno(eai, errno);
		DAXMR_LOG_ERR("getaddrinfo: --listen %s: %s%s%s", listen, gai_strerror(eai),
			      eai == EAI_SYSTEM ? ": " : "",
			      eai == EAI_SYSTEM ? daxmr_log_strerror(ret) : "");
		return ret;
	}
	srv->cm_ch = rdma_create_event_channel();
	if (!srv->cm_ch) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_create_event_channel", ret, "listener");
		goto err_ai;
	}
	if (rdma_create_id(srv->cm_ch, &srv->listen_id, srv, RDMA_PS_TCP)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_create_id", ret, "listener, RDMA_PS_TCP");
		goto err_ai;
	}
	if (rdma_bind_addr(srv->listen_id, ai->ai_addr)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_bind_addr", ret,
				   "%s port %u (is it an address of an "
				   "RDMA device's netdev?)",
				   addr, port);
		goto err_ai;
	}
	snprintf(srv->listen_str, sizeof(srv->listen_str), "%s%s%s:%u",
		 strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "", port);
	srv->ctx = srv->listen_id->verbs;
	if (!srv->ctx) {
		/* librdmacm's own contexts: the ones incoming requests' cm_ids will carry */
		devs = rdma_get_devices(&n);
		if (!devs || n < 1) {
			ret = -ENODEV;
			DAXMR_LOG_ERR("rdma_get_devices: no RDMA device: nothing to serve");
			if (devs)
				rdma_free_devices(devs);
			goto err_ai;
		}
		srv->ctx = devs[0];
		rdma_free_devices(devs);
		DAXMR_LOG_NTC(
			"wildcard listen address %s: serving the first RDMA device, %s, of %d",
			addr, ibv_get_device_name(srv->ctx->device), n);
	}
	snprintf(srv->devname, sizeof(srv->devname), "%s", ibv_get_device_name(srv->ctx->device));
	freeaddrinfo(ai);
	return 0;

err_ai:
	freeaddrinfo(ai);
	return ret;
}

/* The protection domain, the completion channel and the device limits. */
static int server_device(struct daxmr_server *srv)
{
	struct ibv_device_attr attr;
	int ret;

	srv->pd = ibv_alloc_pd(srv->ctx);
	if (!srv->pd) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_alloc_pd", ret, "%s", srv->devname);
		return ret;
	}
	srv->cc = ibv_create_comp_channel(srv->ctx);
	if (!srv->cc) {
		ret = errno ? -errno : -ENOMEM;
		DAXMR_LOG_CALL_ERR("ibv_create_comp_channel", ret, "%s", srv->devname);
		return ret;
	}
	ret = daxmr_fd_set_nonblock(srv->cc->fd, true, "completion channel");
	if (ret)
		return ret;
	ret = -ibv_query_device(srv->ctx, &attr);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_query_device", ret, "%s", srv->devname);
		return ret;
	}
	srv->max_rd_atom = attr.max_qp_rd_atom > 16 ? 16 : attr.max_qp_rd_atom;
	/* a device without them is told by ibv_alloc_mw at the first OPEN too: the MR key then */
	srv->mw = (attr.device_cap_flags &
		   (IBV_DEVICE_MEM_WINDOW_TYPE_2A | IBV_DEVICE_MEM_WINDOW_TYPE_2B)) ||
		  attr.max_mw > 0;
	DAXMR_LOG_INF("device %s: %s", srv->devname,
		      srv->mw ? "type-2 memory windows: one key per connection" :
				"no memory windows: clients share each export's MR key");
	srv->atomic = attr.atomic_cap != IBV_ATOMIC_NONE;
	srv->max_mr_size = attr.max_mr_size;
	/* rxe's max_mr_size promises more than it registers (docs/reliability.md) */
	srv->seg_shift_cap =
		attr.vendor_id == DAXMR_EXPORT_RXE_VENDOR_ID ? DAXMR_EXPORT_RXE_SEG_SHIFT : 0;
	DAXMR_LOG_INF(
		"device %s: max_mr_size %" PRIu64 "%s%s", srv->devname, (uint64_t)attr.max_mr_size,
		srv->seg_shift_cap ? ", rxe: exports registered in segments of at most 1 GiB" : "",
		srv->atomic ? ", RC atomics" : ", no RC atomics");
	return 0;
}

/* One persistent read event. */
static int server_watch(struct daxmr_server *srv, struct event **ev_ptr, int fd,
			event_callback_fn cb, const char *what)
{
	int ret;

	*ev_ptr = event_new(srv->base, fd, EV_READ | EV_PERSIST, cb, srv);
	if (!*ev_ptr) {
		/* event_new fails only when it cannot allocate the event */
		DAXMR_LOG_CALL_ERR("event_new", -ENOMEM, "%s (fd %d)", what, fd);
		return -ENOMEM;
	}
	errno = 0;
	if (event_add(*ev_ptr, NULL)) {
		/* the loop's backend (epoll_ctl) refused the fd; libevent leaves its errno, if any
		 */
		ret = errno ? -errno : -EIO;
		DAXMR_LOG_CALL_ERR("event_add", ret, "%s (fd %d): the event loop cannot watch it",
				   what, fd);
		return ret;
	}
	return 0;
}

/*
 * One export's slot: the export (id srv->next_id), its revocation pipeline (with its own ack
 * budget when cfg has one) and its retry timer, appended to the table. 0, -EINVAL, -ENOMEM.
 */
static int server_export_create(struct daxmr_server *srv, const struct daxmr_export_cfg *cfg,
				struct server_export **se_ptr)
{
	struct daxmr_export_env env = { .pd = srv->pd,
					.lease_sig = srv->lease_sig,
					.gate = daxmr_datacheck_gate,
					.gate_arg = &srv->gate,
					.mw = srv->mw,
					.atomic = srv->atomic,
					.max_mr_size = srv->max_mr_size,
					.seg_shift_cap = srv->seg_shift_cap,
					.devname = srv->devname };
	struct daxmr_revoke_ops rops = { .notify = server_revoke_notify,
					 .fence = server_revoke_fence,
					 .released = server_revoke_released };
	struct daxmr_revoke_opts ropts = srv->ropts;
	struct server_export *se, **grown;
	int ret;

	if (srv->nexports == srv->cap) {
		size_t cap = srv->cap ? srv->cap * 2 : 16;

		grown = reallocarray(srv->exports, cap, sizeof(struct server_export *));
		if (!grown)
			return -ENOMEM;
		srv->exports = grown;
		srv->cap = cap;
	}
	se = calloc(1, sizeof(*se));
	if (!se)
		return -ENOMEM;
	se->srv = srv;
	if (cfg->has_ack_budget)
		daxmr_revoke_opts_default(srv->break_ms, cfg->ack_budget_ms, &ropts);
	ret = daxmr_export_new(cfg, ++srv->next_id, &env, &se->exp);
	if (ret)
		goto err;
	ret = daxmr_revoke_new(srv->base, se->exp, &ropts, &rops, se, &se->rv);
	if (ret)
		goto err;
	se->retry = evtimer_new(srv->base, server_on_retry, se);
	if (!se->retry) {
		DAXMR_LOG_CALL_ERR("evtimer_new", -ENOMEM, "retry timer of export %s", cfg->name);
		ret = -ENOMEM;
		goto err;
	}
	srv->exports[srv->nexports++] = se;
	*se_ptr = se;
	return 0;

err:
	(void)daxmr_revoke_delete(&se->rv);
	(void)daxmr_export_delete(&se->exp);
	free(se);
	return ret;
}

/* The exports: create each, establish it (or schedule its retry). */
static int server_exports(struct daxmr_server *srv, const struct daxmr_server_opts *opts)
{
	struct server_export *se;
	size_t i, j, up = 0;
	int ret;

	for (i = 0; i < opts->nexports; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(opts->exports[i].name, opts->exports[j].name) == 0) {
				DAXMR_LOG_ERR("export %s: the name is given twice",
					      opts->exports[i].name);
				return -EINVAL;
			}
		ret = server_export_create(srv, &opts->exports[i], &se);
		if (ret)
			return ret;
	}
	for (i = 0; i < srv->nexports; i++)
		if (server_establish(srv->exports[i]) == 0)
			up++;
	if (up == 0)
		DAXMR_LOG_ERR(
			"!!! none of the %zu exports could be established: daxmrd runs on and "
			"retries them; clients get REVOKING until one comes up !!!",
			srv->nexports);
	return 0;
}

/* Sets the server up. */
int daxmr_server_new(const struct daxmr_server_opts *opts, struct daxmr_server **srv_ptr)
{
	struct daxmr_server *srv;
	char host[200] = "localhost";
	int break_ms = SERVER_LEASE_BREAK_TIME_DEFAULT_MS;
	int ret;

	if (!opts || !opts->listen || !opts->exports || opts->nexports == 0 || !srv_ptr)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->lease_sfd = -1;
	srv->term_sfd = -1;
	srv->hup_sfd = -1;
	TAILQ_INIT(&srv->conns);
	if (opts->key) {
		srv->key = *opts->key;
		srv->auth = true;
		DAXMR_LOG_NTC("clients must authenticate with the pre-shared secret (protocol "
			      "version 2 AUTH)");
	}
	if (opts->keys) {
		srv->keys = *opts->keys; /* taken over */
		memset(opts->keys, 0, sizeof(*opts->keys));
		srv->ids = true;
		DAXMR_LOG_NTC("clients must authenticate as one of %zu identities%s (protocol "
			      "version 4; older clients are refused)",
			      srv->keys.n, srv->auth ? ", or anonymously with the secret" : "");
	}
	srv->max_conns_per_addr = opts->max_conns_per_addr;
	srv->max_handshakes_per_addr = opts->max_handshakes_per_addr;
	gethostname(host, sizeof(host) - 1);
	snprintf(srv->name, sizeof(srv->name), "daxmrd@%.180s", host);
	signal(SIGPIPE, SIG_IGN);

	ret = daxmr_lease_signal_block(&srv->lease_sig, &srv->lease_sfd);
	if (ret)
		goto err;
	ret = server_term_signal_block(&srv->term_sfd);
	if (ret)
		goto err;
	if (daxmr_lease_break_time_ms(&break_ms))
		DAXMR_LOG_WRN("lease-break-time unknown: assuming %d ms", break_ms);
	srv->break_ms = (unsigned int)break_ms;
	daxmr_revoke_opts_default((unsigned int)break_ms, opts->ack_budget_ms, &srv->ropts);
	if (srv->ropts.ack_budget_ms > srv->ropts.watchdog_ms)
		DAXMR_LOG_WRN("--ack-budget-ms %u is past the watchdog (%u ms, half of "
			      "lease-break-time): the watchdog will release first",
			      srv->ropts.ack_budget_ms, srv->ropts.watchdog_ms);
	DAXMR_LOG_INF("lease-break-time %u ms: ack budget %u ms, watchdog %u ms",
		      srv->ropts.break_time_ms, srv->ropts.ack_budget_ms, srv->ropts.watchdog_ms);

	srv->base = event_base_new();
	if (!srv->base) {
		ret = -ENOMEM;
		DAXMR_LOG_CALL_ERR("event_base_new", ret, "daxmrd's loop");
		goto err;
	}
	ret = server_bind(srv, opts->listen);
	if (ret)
		goto err;
	ret = server_device(srv);
	if (ret)
		goto err;
	daxmr_datacheck_gate_init(&srv->gate, srv->ctx, srv->pd, srv->devname, opts->odp_check_warn,
				  daxmr_datacheck_run);
	ret = server_exports(srv, opts);
	if (ret)
		goto err;
	ret = daxmr_fd_set_nonblock(srv->cm_ch->fd, true, "rdma_cm channel");
	if (ret)
		goto err;
	if (rdma_listen(srv->listen_id, SERVER_LISTEN_BACKLOG)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_listen", ret, "%s, backlog %d", srv->listen_str,
				   SERVER_LISTEN_BACKLOG);
		goto err;
	}
	if ((ret = server_watch(srv, &srv->ev_cm, srv->cm_ch->fd, server_on_cm_event,
				"rdma_cm channel")) ||
	    (ret = server_watch(srv, &srv->ev_cc, srv->cc->fd, server_on_cq_channel,
				"completion channel")) ||
	    (ret = server_watch(srv, &srv->ev_lease, srv->lease_sfd, server_on_lease_break,
				"lease-break signalfd")) ||
	    (ret = server_watch(srv, &srv->ev_term, srv->term_sfd, server_on_term,
				"SIGTERM/SIGINT signalfd")) ||
	    (ret = server_hup_watch(srv, opts)))
		goto err;
	srv->ev_reap = event_new(srv->base, -1, 0, server_on_reap, srv);
	if (!srv->ev_reap) {
		ret = -ENOMEM;
		DAXMR_LOG_CALL_ERR("event_new", ret, "connection reaper");
		goto err;
	}
	srv->ev_tick = event_new(srv->base, -1, EV_PERSIST, server_on_tick, srv);
	if (!srv->ev_tick) {
		ret = -ENOMEM;
		DAXMR_LOG_CALL_ERR("event_new", ret, "one-second tick");
		goto err;
	}
	if (event_add(srv->ev_tick, &(struct timeval){ .tv_sec = 1 })) {
		/* a timer's event_add fails only when libevent cannot grow its timer heap */
		ret = -ENOMEM;
		DAXMR_LOG_ERR("event_add: one-second tick: libevent could not grow its timer heap "
			      "(out of memory)");
		goto err;
	}
	if (opts->metrics) {
		ret = daxmr_metrics_http_new(srv->base, opts->metrics, server_metrics_gauges, srv,
					     &srv->metrics);
		if (ret)
			goto err;
	}
	DAXMR_LOG_NTC("listening on %s (device %s)", srv->listen_str, srv->devname);
	*srv_ptr = srv;
	return 0;

err:
	daxmr_server_delete(&srv);
	return ret;
}

/* Runs until the shutdown has released every export. */
int daxmr_server_run(struct daxmr_server *srv)
{
	if (event_base_dispatch(srv->base) < 0) {
		DAXMR_LOG_CALL_ERR("event_base_dispatch", -EIO, "daxmrd's loop");
		return -EIO;
	}
	return 0;
}

/* Frees one event if set. */
static void server_event_free(struct event **ev)
{
	if (*ev)
		event_free(*ev);
	*ev = NULL;
}

/* Keeps the first error of a teardown in *ret_ptr. */
static void server_first_error(int *ret_ptr, int r)
{
	if (r && !*ret_ptr)
		*ret_ptr = r;
}

/* Closes one of the server's fds if open: 0 or the -errno of close (logged). */
static int server_close(int *fd_ptr, const char *what)
{
	int ret = 0;

	if (*fd_ptr >= 0 && close(*fd_ptr)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("close", ret, "%s (fd %d)", what, *fd_ptr);
	}
	*fd_ptr = -1;
	return ret;
}

/*
 * Tears everything down, connections first (their QPs use the exports' keys). Every step is
 * taken whatever failed before; the first error is returned (each is logged where it failed).
 */
int daxmr_server_delete(struct daxmr_server **srv_ptr)
{
	struct daxmr_server *srv;
	struct server_conn *sc;
	size_t i;
	int ret = 0, r;

	if (!srv_ptr || !*srv_ptr)
		return 0;
	srv = *srv_ptr;
	/* each entry is unlinked before it is freed; the analyzer loses track in TAILQ_REMOVE */
	while ((sc = TAILQ_FIRST(&srv->conns)) != NULL)
		server_first_error(
			&ret, server_conn_remove(srv, sc)); /* NOLINT(clang-analyzer-unix.Malloc) */
	for (i = 0; i < srv->nexports; i++) {
		struct server_export *se = srv->exports[i];

		if (se->retry)
			event_free(se->retry);
		server_first_error(&ret, daxmr_revoke_delete(&se->rv));
		server_first_error(&ret, daxmr_export_delete(&se->exp));
		free(se);
	}
	free(srv->exports);
	server_first_error(&ret, daxmr_metrics_http_delete(&srv->metrics));
	server_event_free(&srv->ev_hup);
	server_first_error(&ret, server_close(&srv->hup_sfd, "SIGHUP signalfd"));
	server_event_free(&srv->ev_tick);
	server_event_free(&srv->ev_reap);
	server_event_free(&srv->ev_term);
	server_event_free(&srv->ev_lease);
	server_event_free(&srv->ev_cc);
	server_event_free(&srv->ev_cm);
	if (srv->cc) {
		r = ibv_destroy_comp_channel(srv->cc); /* the value of errno on failure */
		if (r) {
			r = r > 0 ? -r : (errno ? -errno : -EIO);
			DAXMR_LOG_CALL_ERR("ibv_destroy_comp_channel", r, "%s", srv->devname);
			server_first_error(&ret, r);
		}
	}
	if (srv->pd) {
		r = -ibv_dealloc_pd(srv->pd);
		if (r)
			DAXMR_LOG_CALL_ERR("ibv_dealloc_pd", r, "%s", srv->devname);
		server_first_error(&ret, r);
	}
	if (srv->listen_id && rdma_destroy_id(srv->listen_id)) {
		r = -errno;
		DAXMR_LOG_CALL_ERR("rdma_destroy_id", r, "listener");
		server_first_error(&ret, r);
	}
	if (srv->cm_ch)
		rdma_destroy_event_channel(srv->cm_ch);
	if (srv->base)
		event_base_free(srv->base);
	server_first_error(&ret, server_close(&srv->lease_sfd, "lease-break signalfd"));
	server_first_error(&ret, server_close(&srv->term_sfd, "SIGTERM/SIGINT signalfd"));
	daxmr_auth_key_wipe(&srv->key);
	daxmr_auth_keyring_free(&srv->keys);
	free(srv);
	*srv_ptr = NULL;
	return ret;
}

/* ---- the run-time export table and queries (daxmrctl, reload) ---------------------------- */

/* SIGHUP: the reload hook. */
static void server_on_hup(evutil_socket_t fd, short what, void *arg)
{
	struct daxmr_server *srv = arg;
	struct signalfd_siginfo si;
	bool got = false;

	(void)what;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		DAXMR_LOG_NTC("SIGHUP from pid %u: reloading the configuration", si.ssi_pid);
		got = true;
	}
	if (got && !srv->shutting_down)
		srv->on_hup(srv->hup_arg);
}

/* With opts->on_hup: SIGHUP blocked into a signalfd that calls it. */
static int server_hup_watch(struct daxmr_server *srv, const struct daxmr_server_opts *opts)
{
	static const int sigs[] = { SIGHUP };
	int ret;

	if (!opts->on_hup)
		return 0;
	srv->on_hup = opts->on_hup;
	srv->hup_arg = opts->hup_arg;
	ret = daxmr_fd_signalfd(sigs, 1, &srv->hup_sfd);
	if (ret)
		return ret;
	return server_watch(srv, &srv->ev_hup, srv->hup_sfd, server_on_hup, "SIGHUP signalfd");
}

/* Whether another slot of se's name is being removed: se waits for its release. */
static bool server_export_waits(const struct server_export *se)
{
	size_t i;

	for (i = 0; i < se->srv->nexports; i++) {
		const struct server_export *o = se->srv->exports[i];

		if (o != se && o->removing &&
		    strcmp(daxmr_export_name(o->exp), daxmr_export_name(se->exp)) == 0)
			return true;
	}
	return false;
}

/* Finishes an unexport from the loop, outside the revocation's own callback. */
static void server_export_finish_soon(struct server_export *se)
{
	struct timeval now = { 0, 0 };

	se->retry_lost = event_add(se->retry, &now) != 0;
}

/* An unexported export is released (or never was up): every trace of it goes. */
static void server_export_finish(struct server_export *se)
{
	struct daxmr_server *srv = se->srv;
	struct server_conn *sc;
	size_t i;

	for (sc = TAILQ_FIRST(&srv->conns); sc; sc = TAILQ_NEXT(sc, link))
		daxmr_conn_forget(sc->conn, se->exp);
	for (i = 0; i < srv->nexports && srv->exports[i] != se; i++)
		;
	if (i < srv->nexports) {
		memmove(&srv->exports[i], &srv->exports[i + 1],
			(srv->nexports - i - 1) * sizeof(struct server_export *));
		srv->nexports--;
	}
	DAXMR_LOG_NTC("export %s: unexported", daxmr_export_name(se->exp));
	event_free(se->retry);
	(void)daxmr_revoke_delete(&se->rv);  /* logged where it failed */
	(void)daxmr_export_delete(&se->exp); /* logged where it failed */
	free(se);
	/* a replacement of the same name waits for this one: its turn */
	for (i = 0; i < srv->nexports; i++)
		if (daxmr_export_state(srv->exports[i]->exp) == DAXMR_EXPORT_CONFIGURED &&
		    !srv->exports[i]->removing && !server_export_waits(srv->exports[i])) {
			event_del(srv->exports[i]->retry);
			(void)server_establish(srv->exports[i]);
		}
}

/* The slot of the export called name that is not being removed, or NULL. */
static struct server_export *server_slot_name(struct daxmr_server *srv, const char *name)
{
	struct daxmr_export *exp = server_find_name(srv, name);

	return exp ? server_slot(srv, exp) : NULL;
}

/* The slot an administrative request on name acts on: 0, -ESHUTDOWN or -ENOENT. */
static int server_slot_for_admin(struct daxmr_server *srv, const char *name,
				 struct server_export **se_ptr)
{
	if (srv->shutting_down)
		return -ESHUTDOWN;
	*se_ptr = server_slot_name(srv, name);
	return *se_ptr ? 0 : -ENOENT;
}

/* Adds an export at run time. */
int daxmr_server_export_add(struct daxmr_server *srv, const struct daxmr_export_cfg *cfg)
{
	struct server_export *se;
	int ret;

	if (srv->shutting_down)
		return -ESHUTDOWN;
	if (server_slot_name(srv, cfg->name))
		return -EEXIST;
	ret = server_export_create(srv, cfg, &se);
	if (ret)
		return ret;
	DAXMR_LOG_NTC("export %s: added (%s%s)", cfg->name, cfg->path, cfg->ro ? ", ro" : "");
	if (server_export_waits(se))
		DAXMR_LOG_INF("export %s: waits for its old export to be released", cfg->name);
	else
		(void)server_establish(se); /* a failure is logged and retried */
	return 0;
}

/* Unexports name. */
int daxmr_server_export_remove(struct daxmr_server *srv, const char *name)
{
	struct server_export *se;
	int ret = server_slot_for_admin(srv, name, &se);

	if (ret)
		return ret;
	se->removing = true;
	event_del(se->retry);
	switch (daxmr_export_state(se->exp)) {
	case DAXMR_EXPORT_AVAILABLE:
		DAXMR_LOG_NTC("export %s: unexporting: revoking it (reason admin)", name);
		if (daxmr_revoke_start(se->rv, DAXMR_PROTO_REVOKE_ADMIN) == 0)
			return 0;
		break;
	case DAXMR_EXPORT_REVOKING:
		return 0; /* the revocation under way ends in server_revoke_released */
	default:
		break;
	}
	server_export_finish_soon(se);
	return 0;
}

/* Revokes name (reason admin); it comes back after the backoff. */
int daxmr_server_export_revoke(struct daxmr_server *srv, const char *name)
{
	struct server_export *se;
	int ret = server_slot_for_admin(srv, name, &se);

	if (ret)
		return ret;
	if (daxmr_export_state(se->exp) != DAXMR_EXPORT_AVAILABLE)
		return -EAGAIN;
	DAXMR_LOG_NTC("export %s: revoking it on request (reason admin)", name);
	return daxmr_revoke_start(se->rv, DAXMR_PROTO_REVOKE_ADMIN);
}

/* Disconnects the connections of who. */
int daxmr_server_disconnect(struct daxmr_server *srv, const char *who)
{
	struct daxmr_conn_info info;
	struct server_conn *sc;
	int n = 0;

	for (sc = TAILQ_FIRST(&srv->conns); sc; sc = TAILQ_NEXT(sc, link)) {
		if (sc->dead)
			continue;
		daxmr_conn_info(sc->conn, &info);
		if (strcmp(info.peer, who) != 0 && strcmp(info.client, who) != 0 &&
		    (!info.identity[0] || strcmp(info.identity, who) != 0))
			continue;
		DAXMR_LOG_NTC("connection %s (%s): disconnecting it on request", info.peer,
			      info.client);
		daxmr_conn_disconnect(sc->conn);
		n++;
	}
	return n ? n : -ENOENT;
}

/* The new ring in force; connections of identities it lacks, or whose key it changed, cut. */
int daxmr_server_set_keys(struct daxmr_server *srv, struct daxmr_auth_keyring *keys)
{
	const struct daxmr_auth_identity *o, *n;
	struct daxmr_auth_keyring old;
	struct daxmr_conn_info info;
	struct server_conn *sc;
	int cut = 0;

	if (!srv->ids)
		return -ENOTSUP; /* identities are a startup choice: the version floor depends on it
				  */
	old = srv->keys;
	srv->keys = *keys; /* taken over */
	memset(keys, 0, sizeof(*keys));
	TAILQ_FOREACH(sc, &srv->conns, link) {
		if (sc->dead)
			continue;
		daxmr_conn_info(sc->conn, &info);
		if (!info.identity[0] || info.state != DAXMR_CONN_READY)
			continue; /* anonymous, or not authenticated yet: the new ring decides */
		o = daxmr_auth_keyring_find(&old, info.identity);
		n = daxmr_auth_keyring_find(&srv->keys, info.identity);
		if (n && o && memcmp(&n->key, &o->key, sizeof(n->key)) == 0)
			continue;
		DAXMR_LOG_NTC("connection %s (%s): identity %s %s: disconnecting it, its keys "
			      "invalidated now",
			      info.peer, info.client, info.identity,
			      n ? "has a new key" : "was withdrawn");
		daxmr_metrics_conn_rejected("IDENTITY_WITHDRAWN");
		daxmr_conn_disconnect(sc->conn);
		cut++;
	}
	daxmr_auth_keyring_free(&old);
	return cut;
}

struct event_base *daxmr_server_base(struct daxmr_server *srv)
{
	return srv->base;
}

/* What daxmrctl status shows. */
void daxmr_server_status(const struct daxmr_server *srv, struct daxmr_server_status *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	st->listen = srv->listen_str;
	st->devname = srv->devname;
	st->mw = srv->mw;
	st->auth = srv->auth || srv->ids;
	st->identities = srv->ids ? srv->keys.n : 0;
	st->shutting_down = srv->shutting_down;
	st->exports = srv->nexports;
	for (i = 0; i < srv->nexports; i++)
		st->available += daxmr_export_state(srv->exports[i]->exp) == DAXMR_EXPORT_AVAILABLE;
	st->conns = daxmr_server_nconns(srv);
	st->break_ms = srv->ropts.break_time_ms;
	st->ack_budget_ms = srv->ropts.ack_budget_ms;
	st->watchdog_ms = srv->ropts.watchdog_ms;
}

size_t daxmr_server_nexports(const struct daxmr_server *srv)
{
	return srv->nexports;
}

struct daxmr_export *daxmr_server_export_at(const struct daxmr_server *srv, size_t i)
{
	return i < srv->nexports ? srv->exports[i]->exp : NULL;
}

bool daxmr_server_export_removing(const struct daxmr_server *srv, const struct daxmr_export *exp)
{
	const struct server_export *se = server_slot((struct daxmr_server *)srv, exp);

	return se && se->removing;
}

const struct daxmr_revoke_report *daxmr_server_export_last_revoke(const struct daxmr_server *srv,
								  const struct daxmr_export *exp)
{
	const struct server_export *se = server_slot((struct daxmr_server *)srv, exp);

	return se ? daxmr_revoke_last(se->rv) : NULL;
}

/* Counts a connection's descriptors of one export (daxmr_conn_each_hold's callback). */
struct server_hold_count {
	const struct daxmr_export *exp;
	size_t n;
};

static void server_count_hold(void *arg, const struct daxmr_export *exp, uint64_t gen,
			      enum daxmr_proto_access access, const char *state, uint32_t rkey)
{
	struct server_hold_count *c = arg;

	(void)gen;
	(void)access;
	(void)state;
	(void)rkey;
	c->n += exp == c->exp;
}

size_t daxmr_server_export_holders(const struct daxmr_server *srv, const struct daxmr_export *exp)
{
	const struct server_conn *sc;
	size_t holders = 0;

	TAILQ_FOREACH(sc, &srv->conns, link) {
		struct server_hold_count c = { .exp = exp, .n = 0 };

		if (sc->dead)
			continue;
		daxmr_conn_each_hold(sc->conn, server_count_hold, &c);
		holders += c.n > 0;
	}
	return holders;
}

size_t daxmr_server_nconns(const struct daxmr_server *srv)
{
	const struct server_conn *sc;
	size_t n = 0;

	TAILQ_FOREACH(sc, &srv->conns, link)
		n += !sc->dead;
	return n;
}

struct daxmr_conn *daxmr_server_conn_at(const struct daxmr_server *srv, size_t i)
{
	const struct server_conn *sc;

	TAILQ_FOREACH(sc, &srv->conns, link)
		if (!sc->dead && i-- == 0)
			return sc->conn;
	return NULL;
}
