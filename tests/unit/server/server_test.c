/* SPDX-License-Identifier: BSD-3-Clause */
/* server_test.c -- unit tests of server: listen parsing, failed setup calls, shutdown, retry */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/event.h>
#include <rdma/rdma_cma.h>

#include "datacheck.h"
#include "lease.h"
#include "log.h"
#include "revoke.h"
#include "server.h"

#define NEXP 4
#define FAKE_EXPORT_FD 200 /* export i's lease is on fd FAKE_EXPORT_FD + i (never a real fd) */
#define MAX_REVOKES 8

/* A fake export: the test's stand-in for struct daxmr_export. */
struct fake_export {
	char name[32];
	uint32_t id;
	bool ro;
	bool deleted;
	struct daxmr_export_env env; /* as the server passed it */
	enum daxmr_export_state state;
	uint64_t gen;
	int fail_establish; /* the next attempts that fail with -EAGAIN (a lease held elsewhere) */
	bool final;	    /* a failed attempt is final: the device refused the registration */
	int establishes, revoke_begins, releases;
	char why[256]; /* what the data-path gate said */
};

/* What the fakes do and saw; zeroed before every test. */
static struct {
	/* injected failures: an errno (a positive one where the call returns it), 0: succeed */
	int create_channel_errno, create_id_errno, bind_errno, listen_errno, alloc_pd_errno,
		create_cc_errno, query_device_ret, getaddrinfo_ret, lease_block_ret, break_time_ret,
		export_new_ret, revoke_new_ret, getaddrinfo_errno;
	int dealloc_pd_ret, destroy_listen_id_errno; /* teardown failures (after freeing) */
	bool event_base_new_fails, term_sigmask_fails, term_signalfd_fails;
	int fail_event_new_at, fail_event_add_at, fail_setfl_at; /* 1-based call number, 0: never */
	int ndevices; /* rdma_get_devices: -1 NULL, else that many devices */
	unsigned int dev_caps;
	int max_mw;
	/* live objects: each constructor fake counts up, its destructor fake down */
	int live_channels, live_ids, live_pds, live_ccs, live_exports, live_revokes, live_events,
		live_bases, live_ais, live_devlists;
	/* calls */
	int event_new_calls, event_add_calls, setfl_calls, binds, listens, backlog,
		get_devices_calls, datacheck_calls, read_break_calls, getlease_calls, getlease_fd;
	struct rdma_event_channel *channel;
	struct rdma_cm_id *listen_id;
	struct ibv_pd *pd;
	struct ibv_comp_channel *cc;
	enum rdma_port_space ps;
	struct sockaddr_storage bound;
	/* the exports */
	struct fake_export exps[NEXP];
	size_t nexps;
	unsigned int backoff_ms;
	uint32_t vendor_id;		/* ibv_query_device's */
	enum ibv_atomic_cap atomic_cap; /* ibv_query_device's */
	int gate_mode;			/* establish asks the gate about this mode; -1: no gate */
	/* the data-path check */
	int check_ret;
	enum daxmr_datacheck_verdict check_verdict;
	enum daxmr_verbs_mode check_mode;
	/* the loop */
	bool running;	    /* daxmr_server_run is under way */
	bool term_when_up;  /* an establish succeeding while running raises SIGTERM */
	bool term_on_break; /* read_break raises SIGTERM */
	int break_export;   /* read_break reports this export's fd; -1: none */
	int getlease;	    /* what F_GETLEASE says about an export's fd */
	enum daxmr_proto_revoke_reason reasons[MAX_REVOKES];
	int nrevokes;
	int fds0; /* open fds before the test */
	char log[16384];
} m;

static struct ibv_device fake_dev;
static struct ibv_context fake_ctx = { .device = &fake_dev };
static char untouched; /* srv_ptr's content that a failed daxmr_server_new must leave alone */
#define UNTOUCHED ((struct daxmr_server *)(void *)&untouched)

static struct daxmr_export_cfg cfgs[NEXP] = {
	{ .name = "alpha", .path = "/dax/alpha" },
	{ .name = "beta", .path = "/dax/beta", .ro = true },
	{ .name = "alpha", .path = "/dax/again" }, /* a duplicate of the first */
};

struct rdma_event_channel *__wrap_rdma_create_event_channel(void);
void __wrap_rdma_destroy_event_channel(struct rdma_event_channel *ch);
int __wrap_rdma_create_id(struct rdma_event_channel *ch, struct rdma_cm_id **id_ptr, void *context,
			  enum rdma_port_space ps);
int __wrap_rdma_destroy_id(struct rdma_cm_id *id);
int __wrap_rdma_bind_addr(struct rdma_cm_id *id, struct sockaddr *addr);
int __wrap_rdma_listen(struct rdma_cm_id *id, int backlog);
struct ibv_context **__wrap_rdma_get_devices(int *n);
void __wrap_rdma_free_devices(struct ibv_context **list);
const char *__wrap_ibv_get_device_name(struct ibv_device *device);
struct ibv_pd *__wrap_ibv_alloc_pd(struct ibv_context *ctx);
int __wrap_ibv_dealloc_pd(struct ibv_pd *pd);
struct ibv_comp_channel *__wrap_ibv_create_comp_channel(struct ibv_context *ctx);
int __wrap_ibv_destroy_comp_channel(struct ibv_comp_channel *cc);
int __wrap_ibv_query_device(struct ibv_context *ctx, struct ibv_device_attr *attr);
int __real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
void __real_freeaddrinfo(struct addrinfo *ai);
void __wrap_freeaddrinfo(struct addrinfo *ai);
int __real_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...);
int __real_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);
int __wrap_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);
int __real_signalfd(int fd, const sigset_t *mask, int flags);
int __wrap_signalfd(int fd, const sigset_t *mask, int flags);
struct event_base *__real_event_base_new(void);
struct event_base *__wrap_event_base_new(void);
void __real_event_base_free(struct event_base *base);
void __wrap_event_base_free(struct event_base *base);
struct event *__real_event_new(struct event_base *base, evutil_socket_t fd, short what,
			       event_callback_fn cb, void *arg);
struct event *__wrap_event_new(struct event_base *base, evutil_socket_t fd, short what,
			       event_callback_fn cb, void *arg);
void __real_event_free(struct event *ev);
void __wrap_event_free(struct event *ev);
int __real_event_add(struct event *ev, const struct timeval *tv);
int __wrap_event_add(struct event *ev, const struct timeval *tv);
void __wrap_daxmr_log(enum daxmr_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int __real_daxmr_lease_signal_block(int *sig_ptr, int *sfd_ptr);
int __wrap_daxmr_lease_signal_block(int *sig_ptr, int *sfd_ptr);
int __wrap_daxmr_lease_break_time_ms(int *ms_ptr);
int __wrap_daxmr_lease_read_break(int sfd, int *fds, size_t max, size_t *n_ptr);
int __wrap_daxmr_datacheck_run(struct ibv_context *ctx, struct ibv_pd *pd,
			       enum daxmr_verbs_mode mode, struct daxmr_datacheck_result *res);
int __real_daxmr_revoke_new(struct event_base *base, struct daxmr_export *exp,
			    const struct daxmr_revoke_opts *opts,
			    const struct daxmr_revoke_ops *ops, void *arg,
			    struct daxmr_revoke **rv_ptr);
int __wrap_daxmr_revoke_new(struct event_base *base, struct daxmr_export *exp,
			    const struct daxmr_revoke_opts *opts,
			    const struct daxmr_revoke_ops *ops, void *arg,
			    struct daxmr_revoke **rv_ptr);
int __real_daxmr_revoke_delete(struct daxmr_revoke **rv_ptr);
int __wrap_daxmr_revoke_delete(struct daxmr_revoke **rv_ptr);
int __real_daxmr_revoke_start(struct daxmr_revoke *rv, enum daxmr_proto_revoke_reason reason);
int __wrap_daxmr_revoke_start(struct daxmr_revoke *rv, enum daxmr_proto_revoke_reason reason);
int __wrap_daxmr_export_new(const struct daxmr_export_cfg *cfg, uint32_t id,
			    const struct daxmr_export_env *env, struct daxmr_export **exp_ptr);
int __wrap_daxmr_export_delete(struct daxmr_export **exp_ptr);
int __wrap_daxmr_export_establish(struct daxmr_export *exp);
int __wrap_daxmr_export_revoke_begin(struct daxmr_export *exp);
int __wrap_daxmr_export_release(struct daxmr_export *exp);
unsigned int __wrap_daxmr_export_backoff_ms(const struct daxmr_export *exp);
bool __wrap_daxmr_export_retries(const struct daxmr_export *exp);
enum daxmr_export_state __wrap_daxmr_export_state(const struct daxmr_export *exp);
const char *__wrap_daxmr_export_name(const struct daxmr_export *exp);
uint32_t __wrap_daxmr_export_id(const struct daxmr_export *exp);
uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp);
bool __wrap_daxmr_export_ro(const struct daxmr_export *exp);
int __wrap_daxmr_export_fd(const struct daxmr_export *exp);

/* ---- librdmacm ---------------------------------------------------------------------------- */

struct rdma_event_channel *__wrap_rdma_create_event_channel(void)
{
	struct rdma_event_channel *ch;

	if (m.create_channel_errno) {
		errno = m.create_channel_errno;
		return NULL;
	}
	ch = calloc(1, sizeof(*ch));
	assert_non_null(ch);
	ch->fd = eventfd(0,
			 EFD_CLOEXEC); /* a real fd: the server makes it non-blocking, watches it */
	assert_true(ch->fd >= 0);
	m.channel = ch;
	m.live_channels++;
	return ch;
}

void __wrap_rdma_destroy_event_channel(struct rdma_event_channel *ch)
{
	assert_ptr_equal(ch, m.channel);
	assert_true(m.live_channels > 0);
	close(ch->fd);
	free(ch);
	m.live_channels--;
}

int __wrap_rdma_create_id(struct rdma_event_channel *ch, struct rdma_cm_id **id_ptr, void *context,
			  enum rdma_port_space ps)
{
	struct rdma_cm_id *id;

	assert_ptr_equal(ch, m.channel);
	if (m.create_id_errno) {
		errno = m.create_id_errno;
		return -1;
	}
	id = calloc(1, sizeof(*id));
	assert_non_null(id);
	id->channel = ch;
	id->context = context;
	id->ps = ps;
	m.ps = ps;
	m.listen_id = id;
	m.live_ids++;
	*id_ptr = id;
	return 0;
}

int __wrap_rdma_destroy_id(struct rdma_cm_id *id)
{
	assert_ptr_equal(id, m.listen_id);
	assert_true(m.live_ids > 0);
	free(id);
	m.live_ids--;
	if (m.destroy_listen_id_errno) {
		errno = m.destroy_listen_id_errno;
		return -1;
	}
	return 0;
}

/* Like librdmacm: a bound specific address gives the id its device; a wildcard gives none. */
int __wrap_rdma_bind_addr(struct rdma_cm_id *id, struct sockaddr *addr)
{
	bool wildcard;

	assert_ptr_equal(id, m.listen_id);
	m.binds++;
	if (m.bind_errno) {
		errno = m.bind_errno;
		return -1;
	}
	if (addr->sa_family == AF_INET) {
		memcpy(&m.bound, addr, sizeof(struct sockaddr_in));
		wildcard = ((struct sockaddr_in *)(void *)addr)->sin_addr.s_addr == INADDR_ANY;
	} else {
		assert_int_equal(addr->sa_family, AF_INET6);
		memcpy(&m.bound, addr, sizeof(struct sockaddr_in6));
		wildcard =
			IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)(void *)addr)->sin6_addr);
	}
	id->verbs = wildcard ? NULL : &fake_ctx;
	return 0;
}

int __wrap_rdma_listen(struct rdma_cm_id *id, int backlog)
{
	assert_ptr_equal(id, m.listen_id);
	m.listens++;
	m.backlog = backlog;
	if (m.listen_errno) {
		errno = m.listen_errno;
		return -1;
	}
	return 0;
}

struct ibv_context **__wrap_rdma_get_devices(int *n)
{
	struct ibv_context **list;
	int i;

	m.get_devices_calls++;
	if (m.ndevices < 0) {
		errno = ENODEV;
		return NULL;
	}
	list = calloc((size_t)m.ndevices + 1, sizeof(*list));
	assert_non_null(list);
	for (i = 0; i < m.ndevices; i++)
		list[i] = &fake_ctx;
	*n = m.ndevices;
	m.live_devlists++;
	return list;
}

void __wrap_rdma_free_devices(struct ibv_context **list)
{
	assert_true(m.live_devlists > 0);
	free(list);
	m.live_devlists--;
}

/* ---- ibverbs ------------------------------------------------------------------------------ */

const char *__wrap_ibv_get_device_name(struct ibv_device *device)
{
	assert_ptr_equal(device, &fake_dev);
	return "fake0";
}

struct ibv_pd *__wrap_ibv_alloc_pd(struct ibv_context *ctx)
{
	struct ibv_pd *pd;

	assert_ptr_equal(ctx, &fake_ctx);
	if (m.alloc_pd_errno) {
		errno = m.alloc_pd_errno;
		return NULL;
	}
	pd = calloc(1, sizeof(*pd));
	assert_non_null(pd);
	pd->context = ctx;
	m.pd = pd;
	m.live_pds++;
	return pd;
}

int __wrap_ibv_dealloc_pd(struct ibv_pd *pd)
{
	assert_ptr_equal(pd, m.pd);
	assert_true(m.live_pds > 0);
	free(pd);
	m.live_pds--;
	return m.dealloc_pd_ret;
}

struct ibv_comp_channel *__wrap_ibv_create_comp_channel(struct ibv_context *ctx)
{
	struct ibv_comp_channel *cc;

	assert_ptr_equal(ctx, &fake_ctx);
	if (m.create_cc_errno) {
		errno = m.create_cc_errno;
		return NULL;
	}
	cc = calloc(1, sizeof(*cc));
	assert_non_null(cc);
	cc->context = ctx;
	cc->fd = eventfd(0, EFD_CLOEXEC);
	assert_true(cc->fd >= 0);
	m.cc = cc;
	m.live_ccs++;
	return cc;
}

int __wrap_ibv_destroy_comp_channel(struct ibv_comp_channel *cc)
{
	assert_ptr_equal(cc, m.cc);
	assert_true(m.live_ccs > 0);
	close(cc->fd);
	free(cc);
	m.live_ccs--;
	return 0;
}

int __wrap_ibv_query_device(struct ibv_context *ctx, struct ibv_device_attr *attr)
{
	assert_ptr_equal(ctx, &fake_ctx);
	memset(attr, 0, sizeof(*attr));
	attr->max_qp_rd_atom = 32;
	attr->device_cap_flags = m.dev_caps;
	attr->max_mw = m.max_mw;
	attr->max_mr_size = 1ull << 40;
	attr->vendor_id = m.vendor_id;
	attr->atomic_cap = m.atomic_cap;
	return m.query_device_ret;
}

/* ---- libc: resolver, fcntl, signals ------------------------------------------------------- */

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	int ret;

	if (m.getaddrinfo_ret) {
		errno = m.getaddrinfo_errno;
		return m.getaddrinfo_ret;
	}
	ret = __real_getaddrinfo(node, service, hints, res);
	if (ret == 0)
		m.live_ais++;
	return ret;
}

void __wrap_freeaddrinfo(struct addrinfo *ai)
{
	if (!ai)
		return;
	assert_true(m.live_ais > 0);
	m.live_ais--;
	__real_freeaddrinfo(ai);
}

/* F_SETFL can be failed by call number; F_GETLEASE on an export's fd says m.getlease. */
int __wrap_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;
	int flags;

	if (cmd == F_GETFL)
		return __real_fcntl(fd, cmd);
	if (cmd == F_GETLEASE && fd >= FAKE_EXPORT_FD && fd < FAKE_EXPORT_FD + NEXP) {
		m.getlease_calls++;
		m.getlease_fd = fd;
		return m.getlease;
	}
	va_start(ap, cmd);
	if (cmd == F_SETFL) {
		flags = va_arg(ap, int);
		va_end(ap);
		if (++m.setfl_calls == m.fail_setfl_at) {
			errno = EBADF;
			return -1;
		}
		return __real_fcntl(fd, cmd, flags);
	}
	arg = va_arg(ap, long);
	va_end(ap);
	return __real_fcntl(fd, cmd, arg);
}

/* Blocking SIGTERM can be failed (lease.c's own signal goes through). */
int __wrap_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (m.term_sigmask_fails && how == SIG_BLOCK && set && sigismember(set, SIGTERM))
		return EPERM;
	return __real_pthread_sigmask(how, set, old);
}

int __wrap_signalfd(int fd, const sigset_t *mask, int flags)
{
	if (m.term_signalfd_fails && sigismember(mask, SIGTERM)) {
		errno = EMFILE;
		return -1;
	}
	return __real_signalfd(fd, mask, flags);
}

/* ---- libevent: real, counted, and each constructor failable ------------------------------- */

struct event_base *__wrap_event_base_new(void)
{
	struct event_base *base;

	if (m.event_base_new_fails)
		return NULL;
	base = __real_event_base_new();
	assert_non_null(base);
	m.live_bases++;
	return base;
}

void __wrap_event_base_free(struct event_base *base)
{
	assert_true(m.live_bases > 0);
	m.live_bases--;
	__real_event_base_free(base);
}

struct event *__wrap_event_new(struct event_base *base, evutil_socket_t fd, short what,
			       event_callback_fn cb, void *arg)
{
	struct event *ev;

	if (++m.event_new_calls == m.fail_event_new_at)
		return NULL;
	ev = __real_event_new(base, fd, what, cb, arg);
	assert_non_null(ev);
	m.live_events++;
	return ev;
}

void __wrap_event_free(struct event *ev)
{
	assert_true(m.live_events > 0);
	m.live_events--;
	__real_event_free(ev);
}

int __wrap_event_add(struct event *ev, const struct timeval *tv)
{
	if (++m.event_add_calls == m.fail_event_add_at) {
		errno = tv ? 0 :
			     ENOSPC; /* a timer: no errno; an fd: epoll_ctl's (max_user_watches) */
		return -1;
	}
	return __real_event_add(ev, tv);
}

/* ---- log ---------------------------------------------------------------------------------- */

void __wrap_daxmr_log(enum daxmr_log_level level, const char *fmt, ...)
{
	size_t n = strlen(m.log);
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(m.log + n, sizeof(m.log) - n, fmt, ap);
	va_end(ap);
	n = strlen(m.log);
	if (n + 1 < sizeof(m.log))
		strcat(m.log, "\n");
}

/* ---- lease, data-path check, revoke ------------------------------------------------------- */

int __wrap_daxmr_lease_signal_block(int *sig_ptr, int *sfd_ptr)
{
	if (m.lease_block_ret)
		return m.lease_block_ret;
	return __real_daxmr_lease_signal_block(sig_ptr, sfd_ptr);
}

int __wrap_daxmr_lease_break_time_ms(int *ms_ptr)
{
	if (m.break_time_ret)
		return m.break_time_ret;
	*ms_ptr = 8000;
	return 0;
}

/* Drains the real signalfd; reports the break of m.break_export once. */
int __wrap_daxmr_lease_read_break(int sfd, int *fds, size_t max, size_t *n_ptr)
{
	struct signalfd_siginfo si;

	assert_true(max >= 1);
	m.read_break_calls++;
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	*n_ptr = 0;
	if (m.break_export >= 0) {
		fds[0] = FAKE_EXPORT_FD + m.break_export;
		*n_ptr = 1;
		m.break_export = -1;
	}
	if (m.term_on_break)
		raise(SIGTERM);
	return 0;
}

int __wrap_daxmr_datacheck_run(struct ibv_context *ctx, struct ibv_pd *pd,
			       enum daxmr_verbs_mode mode, struct daxmr_datacheck_result *res)
{
	assert_ptr_equal(ctx, &fake_ctx);
	assert_ptr_equal(pd, m.pd);
	m.datacheck_calls++;
	m.check_mode = mode;
	if (m.check_ret)
		return m.check_ret;
	res->verdict = m.check_verdict;
	res->mode = mode;
	if (m.check_verdict == DAXMR_DATACHECK_FAIL)
		snprintf(res->symptom, sizeof(res->symptom), "READ landed 4096 bytes off");
	return 0;
}

int __wrap_daxmr_revoke_new(struct event_base *base, struct daxmr_export *exp,
			    const struct daxmr_revoke_opts *opts,
			    const struct daxmr_revoke_ops *ops, void *arg,
			    struct daxmr_revoke **rv_ptr)
{
	int ret;

	if (m.revoke_new_ret)
		return m.revoke_new_ret;
	ret = __real_daxmr_revoke_new(base, exp, opts, ops, arg, rv_ptr);
	if (ret == 0)
		m.live_revokes++;
	return ret;
}

int __wrap_daxmr_revoke_delete(struct daxmr_revoke **rv_ptr)
{
	if (*rv_ptr) {
		assert_true(m.live_revokes > 0);
		m.live_revokes--;
	}
	return __real_daxmr_revoke_delete(rv_ptr);
}

int __wrap_daxmr_revoke_start(struct daxmr_revoke *rv, enum daxmr_proto_revoke_reason reason)
{
	assert_true(m.nrevokes < MAX_REVOKES);
	m.reasons[m.nrevokes++] = reason;
	return __real_daxmr_revoke_start(rv, reason);
}

/* ---- the export module -------------------------------------------------------------------- */

static struct fake_export *fake(const struct daxmr_export *exp)
{
	const struct fake_export *e = (const struct fake_export *)(const void *)exp;

	assert_true(e >= m.exps && e < m.exps + m.nexps);
	assert_false(e->deleted);
	return (struct fake_export *)(uintptr_t)e;
}

int __wrap_daxmr_export_new(const struct daxmr_export_cfg *cfg, uint32_t id,
			    const struct daxmr_export_env *env, struct daxmr_export **exp_ptr)
{
	struct fake_export *e;

	if (m.export_new_ret)
		return m.export_new_ret;
	assert_true(m.nexps < NEXP);
	e = &m.exps[m.nexps++];
	snprintf(e->name, sizeof(e->name), "%s", cfg->name);
	e->id = id;
	e->ro = cfg->ro;
	e->env = *env;
	e->state = DAXMR_EXPORT_CONFIGURED;
	m.live_exports++;
	*exp_ptr = (struct daxmr_export *)(void *)e;
	return 0;
}

int __wrap_daxmr_export_delete(struct daxmr_export **exp_ptr)
{
	if (!*exp_ptr)
		return 0;
	fake(*exp_ptr)->deleted = true;
	assert_true(m.live_exports > 0);
	m.live_exports--;
	*exp_ptr = NULL;
	return 0;
}

/* Fails while fail_establish lasts; then asks the gate (if gate_mode says so). */
int __wrap_daxmr_export_establish(struct daxmr_export *exp)
{
	struct fake_export *e = fake(exp);
	int ret = 0;

	e->establishes++;
	if (e->fail_establish > 0) {
		e->fail_establish--;
		ret = -EAGAIN;
	} else if (m.gate_mode >= 0) {
		assert_non_null(e->env.gate);
		ret = e->env.gate(e->env.gate_arg, (enum daxmr_verbs_mode)m.gate_mode, e->why,
				  sizeof(e->why));
	}
	if (ret) {
		e->state = DAXMR_EXPORT_UNAVAILABLE;
		return ret;
	}
	e->state = DAXMR_EXPORT_AVAILABLE;
	e->gen++;
	if (m.running && m.term_when_up)
		raise(SIGTERM);
	return 0;
}

int __wrap_daxmr_export_revoke_begin(struct daxmr_export *exp)
{
	struct fake_export *e = fake(exp);

	assert_int_equal(e->state, DAXMR_EXPORT_AVAILABLE);
	e->state = DAXMR_EXPORT_REVOKING;
	e->revoke_begins++;
	return 0;
}

int __wrap_daxmr_export_release(struct daxmr_export *exp)
{
	struct fake_export *e = fake(exp);

	assert_int_equal(e->state, DAXMR_EXPORT_REVOKING);
	e->state = DAXMR_EXPORT_RELEASED;
	e->releases++;
	return 0;
}

unsigned int __wrap_daxmr_export_backoff_ms(const struct daxmr_export *exp)
{
	(void)fake(exp);
	return m.backoff_ms;
}

bool __wrap_daxmr_export_retries(const struct daxmr_export *exp)
{
	return !fake(exp)->final;
}

enum daxmr_export_state __wrap_daxmr_export_state(const struct daxmr_export *exp)
{
	return fake(exp)->state;
}

const char *__wrap_daxmr_export_name(const struct daxmr_export *exp)
{
	return fake(exp)->name;
}

uint32_t __wrap_daxmr_export_id(const struct daxmr_export *exp)
{
	return fake(exp)->id;
}

uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp)
{
	return fake(exp)->gen;
}

bool __wrap_daxmr_export_ro(const struct daxmr_export *exp)
{
	return fake(exp)->ro;
}

int __wrap_daxmr_export_fd(const struct daxmr_export *exp)
{
	const struct fake_export *e = fake(exp);

	return e->state == DAXMR_EXPORT_AVAILABLE ? FAKE_EXPORT_FD + (int)(e - m.exps) : -1;
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* How many fds this process has open: a leaked signalfd, eventfd or epoll fd changes it. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Consumes any SIGTERM/SIGINT/lease signal a test left pending (they are blocked by then). */
static void drain_signals(void)
{
	struct timespec zero = { 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGRTMIN + 1);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

static int setup(void **state)
{
	(void)state;
	drain_signals();
	memset(&m, 0, sizeof(m));
	m.ndevices = 1;
	m.backoff_ms = 10000;
	m.gate_mode = -1;
	m.break_export = -1;
	m.getlease = F_UNLCK;
	m.fds0 = count_fds();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	drain_signals();
	return 0;
}

/* Every object a fake made was destroyed (exactly once: the destructors assert it was live). */
static void assert_nothing_left(void)
{
	assert_int_equal(m.live_channels, 0);
	assert_int_equal(m.live_ids, 0);
	assert_int_equal(m.live_pds, 0);
	assert_int_equal(m.live_ccs, 0);
	assert_int_equal(m.live_exports, 0);
	assert_int_equal(m.live_revokes, 0);
	assert_int_equal(m.live_events, 0);
	assert_int_equal(m.live_bases, 0);
	assert_int_equal(m.live_ais, 0);
	assert_int_equal(m.live_devlists, 0);
	assert_int_equal(count_fds(), m.fds0);
}

static void assert_logged(const char *what)
{
	if (!strstr(m.log, what))
		fail_msg("\"%s\" not logged; the log:\n%s", what, m.log);
}

/* Options listening on listen with the first n of cfgs. */
static struct daxmr_server_opts opts_for(const char *listen, size_t n)
{
	struct daxmr_server_opts o = DAXMR_SERVER_OPTS_DEFAULT;

	o.listen = listen;
	o.exports = cfgs;
	o.nexports = n;
	return o;
}

/* daxmr_server_new with two exports fails with want, leaves nothing behind, logs call. */
static void assert_new_fails(int want, const char *call)
{
	struct daxmr_server_opts o = opts_for("10.0.2.15:7000", 2);
	struct daxmr_server *srv = UNTOUCHED;

	assert_int_equal(daxmr_server_new(&o, &srv), want);
	assert_ptr_equal(srv, UNTOUCHED);
	assert_nothing_left();
	assert_logged(call);
}

/* A server over the first n of cfgs, listening on 10.0.2.15:7000. */
static struct daxmr_server *new_server(size_t n)
{
	struct daxmr_server_opts o = opts_for("10.0.2.15:7000", n);
	struct daxmr_server *srv = NULL;

	assert_int_equal(daxmr_server_new(&o, &srv), 0);
	assert_non_null(srv);
	return srv;
}

static void delete_server(struct daxmr_server **srv)
{
	assert_int_equal(daxmr_server_delete(srv), 0);
	assert_null(*srv);
	assert_nothing_left();
}

/*
 * Runs the loop, which must return on its own (SIGTERM from the test or a fake). A loop that
 * does not is a failure, not a hang: SIGALRM's default action ends the binary ("Alarm clock").
 */
static int run(struct daxmr_server *srv)
{
	int ret;

	m.running = true;
	alarm(10);
	ret = daxmr_server_run(srv);
	alarm(0);
	m.running = false;
	return ret;
}

static bool nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0);
	return (fl & O_NONBLOCK) != 0;
}

/* ---- --listen forms (daxmr_hostport_parse, with daxmrd's default port) ------------------- */

/* Each form daxmrd takes binds the address and port it names. */
static void new__listen_forms_bind_what_they_name(void **state)
{
	static const struct {
		const char *listen, *addr;
		unsigned int port;
	} ok[] = {
		{ "10.0.2.15", "10.0.2.15", DAXMR_SERVER_PORT },
		{ "10.0.2.15:7000", "10.0.2.15", 7000 },
		{ "[fd00::1]:7000", "fd00::1", 7000 },
		{ "[fd00::1]", "fd00::1", DAXMR_SERVER_PORT },
		{ "fd00::1", "fd00::1", DAXMR_SERVER_PORT }, /* bare IPv6: no port */
		{ "10.0.2.15:65535", "10.0.2.15", 65535 },
	};
	char a[INET6_ADDRSTRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct daxmr_server_opts o = opts_for(ok[i].listen, 1);
		struct daxmr_server *srv = NULL;
		const struct sockaddr_in *sin = (const void *)&m.bound;
		const struct sockaddr_in6 *sin6 = (const void *)&m.bound;

		setup(NULL);
		assert_int_equal(daxmr_server_new(&o, &srv), 0);
		if (m.bound.ss_family == AF_INET) {
			assert_int_equal(ntohs(sin->sin_port), ok[i].port);
			inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		} else {
			assert_int_equal(m.bound.ss_family, AF_INET6);
			assert_int_equal(ntohs(sin6->sin6_port), ok[i].port);
			inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		}
		assert_string_equal(a, ok[i].addr);
		delete_server(&srv);
	}
}

/* Every malformed --listen is -EINVAL before anything is bound. */
static void new__listen_bad_forms_EINVAL(void **state)
{
	static const char *const bad[] = {
		"",	  ":7000",	 "[fd00::1",	"host:99999", "host:x",	    "host:",
		"host:0", "host:-1",	 "host:70000x", "[fd00::1]x", "[fd00::1]:", "[]:7000",
		"[]",	  "host: 7000x", "host: 7000",	"host:+7000",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct daxmr_server_opts o = opts_for(bad[i], 1);
		struct daxmr_server *srv = UNTOUCHED;

		setup(NULL);
		if (daxmr_server_new(&o, &srv) != -EINVAL)
			fail_msg("--listen \"%s\" was accepted", bad[i]);
		assert_ptr_equal(srv, UNTOUCHED);
		assert_int_equal(m.binds, 0);
		assert_nothing_left();
	}
}

/* ---- daxmr_server_new: arguments ---------------------------------------------------------- */

static void new__bad_arguments_EINVAL(void **state)
{
	struct daxmr_server_opts o = opts_for("10.0.2.15:7000", 1);
	struct daxmr_server *srv = UNTOUCHED;

	(void)state;
	assert_int_equal(daxmr_server_new(NULL, &srv), -EINVAL);
	assert_int_equal(daxmr_server_new(&o, NULL), -EINVAL);
	o.listen = NULL;
	assert_int_equal(daxmr_server_new(&o, &srv), -EINVAL);
	o = opts_for("10.0.2.15:7000", 0);
	assert_int_equal(daxmr_server_new(&o, &srv), -EINVAL);
	o = opts_for("10.0.2.15:7000", 1);
	o.exports = NULL;
	assert_int_equal(daxmr_server_new(&o, &srv), -EINVAL);
	assert_ptr_equal(srv, UNTOUCHED);
	assert_int_equal(m.live_bases + m.live_channels + m.live_exports, 0);
	assert_nothing_left();
}

static void new__bad_listen_address_EINVAL(void **state)
{
	struct daxmr_server_opts o = opts_for(":7000", 1);
	struct daxmr_server *srv = UNTOUCHED;

	(void)state;
	assert_int_equal(daxmr_server_new(&o, &srv), -EINVAL);
	assert_ptr_equal(srv, UNTOUCHED);
	assert_int_equal(m.binds, 0);
	assert_nothing_left();
	assert_logged("--listen :7000");
}

static void new__duplicate_export_name_EINVAL(void **state)
{
	struct daxmr_server_opts o = opts_for("10.0.2.15:7000", 3); /* alpha, beta, alpha */
	struct daxmr_server *srv = UNTOUCHED;

	(void)state;
	assert_int_equal(daxmr_server_new(&o, &srv), -EINVAL);
	assert_ptr_equal(srv, UNTOUCHED);
	assert_int_equal(m.nexps, 2); /* the third was never made */
	assert_int_equal(m.listens, 0);
	assert_nothing_left();
	assert_logged("export alpha: the name is given twice");
}

/* ---- daxmr_server_new: each setup call failing -------------------------------------------- */

static void new__lease_signal_block_EMFILE(void **state)
{
	(void)state;
	m.lease_block_ret = -EMFILE;
	assert_new_fails(-EMFILE, ""); /* the lease module logs its own failures */
	assert_int_equal(m.live_bases + m.binds, 0);
}

static void new__pthread_sigmask_EPERM(void **state)
{
	(void)state;
	m.term_sigmask_fails = true;
	assert_new_fails(-EPERM, "pthread_sigmask");
	assert_int_equal(m.binds, 0);
}

static void new__signalfd_EMFILE(void **state)
{
	(void)state;
	m.term_signalfd_fails = true;
	assert_new_fails(-EMFILE, "signalfd: 2 signal(s), first 15");
	assert_int_equal(m.binds, 0);
}

static void new__event_base_new_ENOMEM(void **state)
{
	(void)state;
	m.event_base_new_fails = true;
	assert_new_fails(-ENOMEM, "event_base_new");
	assert_int_equal(m.binds, 0);
}

/* Each getaddrinfo error as the errno it means: only a bad address is a usage error. */
static void new__getaddrinfo_errors_keep_their_cause(void **state)
{
	static const struct {
		int eai, err, want;
	} cases[] = {
		{ EAI_NONAME, 0, -EINVAL },	 { EAI_SERVICE, 0, -EINVAL },
		{ EAI_AGAIN, 0, -EAGAIN },	 { EAI_MEMORY, 0, -ENOMEM },
		{ EAI_FAIL, 0, -EIO },		 { EAI_FAMILY, 0, -EAFNOSUPPORT },
		{ EAI_SYSTEM, EMFILE, -EMFILE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup(NULL);
		m.getaddrinfo_ret = cases[i].eai;
		m.getaddrinfo_errno = cases[i].err;
		assert_new_fails(cases[i].want, "getaddrinfo: --listen 10.0.2.15:7000");
		assert_logged(gai_strerror(cases[i].eai));
		assert_int_equal(m.binds, 0);
	}
	assert_logged("Too many open files"); /* EAI_SYSTEM says its errno */
}

static void new__rdma_create_event_channel_ENODEV(void **state)
{
	(void)state;
	m.create_channel_errno = ENODEV;
	assert_new_fails(-ENODEV, "rdma_create_event_channel");
	assert_int_equal(m.binds, 0);
}

static void new__rdma_create_id_ENOMEM(void **state)
{
	(void)state;
	m.create_id_errno = ENOMEM;
	assert_new_fails(-ENOMEM, "rdma_create_id");
	assert_int_equal(m.binds, 0);
}

static void new__rdma_bind_addr_EADDRNOTAVAIL(void **state)
{
	(void)state;
	m.bind_errno = EADDRNOTAVAIL;
	assert_new_fails(-EADDRNOTAVAIL, "rdma_bind_addr: 10.0.2.15 port 7000");
	assert_logged("Cannot assign requested address");
	assert_int_equal(m.listens, 0);
}

static void new__wildcard_without_devices_ENODEV(void **state)
{
	struct daxmr_server_opts o = opts_for("0.0.0.0:7000", 1);
	struct daxmr_server *srv = UNTOUCHED;
	int ndevices[] = { -1, 0 }; /* NULL, and an empty list (which must be freed) */
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		m.ndevices = ndevices[i];
		m.log[0] = '\0';
		assert_int_equal(daxmr_server_new(&o, &srv), -ENODEV);
		assert_ptr_equal(srv, UNTOUCHED);
		assert_nothing_left();
		assert_logged("rdma_get_devices: no RDMA device");
	}
	assert_int_equal(m.get_devices_calls, 2);
	assert_int_equal(m.live_pds, 0);
}

static void new__ibv_alloc_pd_ENOMEM(void **state)
{
	(void)state;
	m.alloc_pd_errno = ENOMEM;
	assert_new_fails(-ENOMEM, "ibv_alloc_pd: fake0");
	assert_int_equal(m.nexps, 0);
}

static void new__ibv_create_comp_channel_EMFILE(void **state)
{
	(void)state;
	m.create_cc_errno = EMFILE;
	assert_new_fails(-EMFILE, "ibv_create_comp_channel: fake0");
	assert_int_equal(m.nexps, 0);
}

static void new__ibv_query_device_EOPNOTSUPP(void **state)
{
	(void)state;
	m.query_device_ret = EOPNOTSUPP; /* int verbs return a positive errno */
	assert_new_fails(-EOPNOTSUPP, "ibv_query_device: fake0");
	assert_int_equal(m.nexps, 0);
}

static void new__export_new_fails(void **state)
{
	(void)state;
	m.export_new_ret = -ENAMETOOLONG;
	assert_new_fails(-ENAMETOOLONG, "");
	assert_int_equal(m.listens, 0);
}

static void new__revoke_new_fails(void **state)
{
	(void)state;
	m.revoke_new_ret = -ENOMEM;
	assert_new_fails(-ENOMEM, "");
	assert_int_equal(m.nexps, 1); /* the export made before its pipeline failed was deleted */
	assert_int_equal(m.listens, 0);
}

static void new__rdma_listen_EADDRINUSE(void **state)
{
	(void)state;
	m.listen_errno = EADDRINUSE;
	assert_new_fails(-EADDRINUSE, "rdma_listen: 10.0.2.15:7000, backlog 64");
	assert_int_equal(m.nexps, 2);
	assert_true(m.exps[0].deleted && m.exps[1].deleted);
}

/* Each F_SETFL O_NONBLOCK (the completion channel's, then the rdma_cm channel's) failing. */
static void new__each_fcntl_setfl_EBADF(void **state)
{
	static const char *const what[] = { "completion channel", "rdma_cm channel" };
	struct daxmr_server *srv;
	int k, n;

	(void)state;
	srv = new_server(2);
	n = m.setfl_calls;
	delete_server(&srv);
	assert_int_equal(n, 2);
	for (k = 1; k <= n; k++) {
		setup(NULL);
		m.fail_setfl_at = k;
		assert_new_fails(-EBADF, "fcntl: F_SETFL O_NONBLOCK");
		assert_logged(what[k - 1]);
		assert_int_equal(m.listens, 0);
	}
}

/* Every event_new (revocation timers, retry timers, the four watches, reaper, handshake timer). */
static void new__each_event_new_ENOMEM(void **state)
{
	struct daxmr_server *srv;
	int k, n;

	(void)state;
	srv = new_server(2);
	n = m.event_new_calls;
	delete_server(&srv);
	assert_int_equal(n, 2 * 3 + 4 + 2);
	for (k = 1; k <= n; k++) {
		setup(NULL);
		m.fail_event_new_at = k;
		assert_new_fails(-ENOMEM, "_new");
		assert_logged("Cannot allocate memory");
		if (!strstr(m.log, "event_new") && !strstr(m.log, "evtimer_new"))
			fail_msg("event_new #%d: not logged; the log:\n%s", k, m.log);
	}
}

/* Every event_add of the setup (the four watches, the handshake timer). */
/* The four fd watches fail with the backend's errno; the tick's timer as out of memory. */
static void new__each_event_add_fails_with_its_cause(void **state)
{
	struct daxmr_server *srv;
	int k, n;

	(void)state;
	srv = new_server(2);
	n = m.event_add_calls;
	delete_server(&srv);
	assert_int_equal(n, 5);
	for (k = 1; k <= 4; k++) {
		setup(NULL);
		m.fail_event_add_at = k;
		assert_new_fails(-ENOSPC, "event_add: ");
		assert_logged("the event loop cannot watch it: No space left on device");
	}
	setup(NULL);
	m.fail_event_add_at = 5;
	assert_new_fails(-ENOMEM, "event_add: one-second tick: libevent could not grow its timer");
}

/* ---- daxmr_server_new: success ------------------------------------------------------------ */

/* Teardown goes on past a failure and returns the first one. */
static void delete__returns_the_first_teardown_error(void **state)
{
	struct daxmr_server *srv = new_server(2);

	(void)state;
	m.dealloc_pd_ret = EBUSY;
	m.destroy_listen_id_errno = EINVAL;
	assert_int_equal(daxmr_server_delete(&srv), -EBUSY);
	assert_null(srv);
	assert_nothing_left(); /* everything after the failure was still torn down */
	assert_logged("ibv_dealloc_pd");
	assert_logged("rdma_destroy_id: listener");
}

static void new__ipv4_bound_listening_exports_up(void **state)
{
	struct daxmr_server *srv = new_server(2);
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&m.bound;
	char a[INET_ADDRSTRLEN];
	size_t i;

	(void)state;
	assert_int_equal(m.binds, 1);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 7000);
	assert_string_equal(inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)), "10.0.2.15");
	assert_int_equal(m.ps, RDMA_PS_TCP);
	assert_int_equal(m.listens, 1);
	assert_int_equal(m.backlog, 64);
	assert_int_equal(m.get_devices_calls, 0); /* the bound address picked the device */
	assert_true(nonblocking(m.channel->fd));
	assert_true(nonblocking(m.cc->fd));
	assert_int_equal(m.nexps, 2);
	for (i = 0; i < 2; i++) {
		struct fake_export *e = &m.exps[i];

		assert_string_equal(e->name, cfgs[i].name);
		assert_int_equal(e->id, i + 1);
		assert_ptr_equal(e->env.pd, m.pd);
		assert_int_equal(e->env.lease_sig, SIGRTMIN + 1);
		assert_string_equal(e->env.devname, "fake0");
		assert_false(e->env.mw); /* no MW caps, max_mw 0 */
		assert_non_null(e->env.gate);
		assert_int_equal(e->establishes, 1);
		assert_int_equal(e->state, DAXMR_EXPORT_AVAILABLE);
	}
	assert_int_equal(m.live_revokes, 2);
	assert_logged("listening on 10.0.2.15:7000 (device fake0)");
	assert_logged("lease-break-time 8000 ms: ack budget 1000 ms");
	assert_null(strstr(m.log, "none of the"));
	delete_server(&srv);
	assert_true(m.exps[0].deleted && m.exps[1].deleted);
	assert_int_equal(daxmr_server_delete(&srv), 0); /* NULL-safe */
	assert_int_equal(daxmr_server_delete(NULL), 0);
}

static void new__ipv6_default_port_memory_windows(void **state)
{
	struct daxmr_server_opts o = opts_for("[fd00::1]", 1);
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&m.bound;
	struct daxmr_server *srv = NULL;
	char a[INET6_ADDRSTRLEN];

	(void)state;
	m.dev_caps = IBV_DEVICE_MEM_WINDOW_TYPE_2B;
	assert_int_equal(daxmr_server_new(&o, &srv), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), DAXMR_SERVER_PORT);
	assert_string_equal(inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)), "fd00::1");
	assert_true(m.exps[0].env.mw);
	assert_logged("listening on [fd00::1]:7471 (device fake0)");
	assert_logged("type-2 memory windows: one key per connection");
	delete_server(&srv);
}

static void new__wildcard_serves_the_first_device(void **state)
{
	struct daxmr_server_opts o = opts_for("0.0.0.0:7000", 1);
	struct daxmr_server *srv = NULL;

	(void)state;
	m.ndevices = 2;
	m.max_mw = 8;
	assert_int_equal(daxmr_server_new(&o, &srv), 0);
	assert_int_equal(m.get_devices_calls, 1);
	assert_int_equal(m.live_devlists, 0); /* freed at once: the contexts are librdmacm's */
	assert_ptr_equal(m.pd->context, &fake_ctx);
	assert_true(m.exps[0].env.mw);
	assert_logged(
		"wildcard listen address 0.0.0.0: serving the first RDMA device, fake0, of 2");
	delete_server(&srv);
}

static void new__lease_break_time_unknown_assumes_45s(void **state)
{
	struct daxmr_server *srv;

	(void)state;
	m.break_time_ret = -ENOENT;
	srv = new_server(1);
	assert_logged("lease-break-time unknown: assuming 45000 ms");
	assert_logged("lease-break-time 45000 ms: ack budget 1000 ms");
	delete_server(&srv);
}

static void new__no_export_up_still_listens(void **state)
{
	struct daxmr_server *srv;

	(void)state;
	m.exps[0].fail_establish = 1;
	m.exps[1].fail_establish = 1;
	srv = new_server(2);
	assert_int_equal(m.listens, 1);
	assert_int_equal(m.exps[0].state, DAXMR_EXPORT_UNAVAILABLE);
	assert_int_equal(m.exps[1].state, DAXMR_EXPORT_UNAVAILABLE);
	assert_logged("none of the 2 exports could be established");
	assert_int_equal(m.event_add_calls, 5 + 2); /* each export's retry timer armed */
	delete_server(&srv);
}

/* ---- the data-path gate ------------------------------------------------------------------- */

static void gate__check_cannot_run_refuses_the_mode_once_checked(void **state)
{
	struct daxmr_server *srv;
	size_t i;

	(void)state;
	m.gate_mode = DAXMR_VERBS_ODP;
	m.check_ret = -ENODEV;
	srv = new_server(2);
	assert_int_equal(m.datacheck_calls, 1); /* the second export gets the cached verdict */
	assert_int_equal(m.check_mode, DAXMR_VERBS_ODP);
	for (i = 0; i < 2; i++) {
		assert_int_equal(m.exps[i].state, DAXMR_EXPORT_UNAVAILABLE);
		assert_non_null(strstr(m.exps[i].why, "device fake0, registration ODP failed the "
						      "data-path check: the check could not run"));
	}
	assert_logged("data-path check on fake0, registration ODP: ");
	assert_logged("none of the 2 exports");
	delete_server(&srv);
}

static void gate__failed_check_used_with_odp_check_warn(void **state)
{
	struct daxmr_server_opts o = opts_for("10.0.2.15:7000", 1);
	struct daxmr_server *srv = NULL;

	(void)state;
	m.gate_mode = DAXMR_VERBS_ODP;
	m.check_verdict = DAXMR_DATACHECK_FAIL;
	o.odp_check_warn = true;
	assert_int_equal(daxmr_server_new(&o, &srv), 0);
	assert_int_equal(m.exps[0].state, DAXMR_EXPORT_AVAILABLE);
	assert_logged("FAILED the data-path check (READ landed 4096 bytes off)");
	delete_server(&srv);
}

static void gate__passing_check_and_unchecked_modes(void **state)
{
	struct daxmr_server *srv;

	(void)state;
	m.gate_mode = DAXMR_VERBS_PINNED;
	m.check_verdict = DAXMR_DATACHECK_PASS;
	srv = new_server(1);
	assert_int_equal(m.datacheck_calls, 1);
	assert_int_equal(m.check_mode, DAXMR_VERBS_PINNED);
	assert_int_equal(m.exps[0].state, DAXMR_EXPORT_AVAILABLE);
	delete_server(&srv);

	setup(NULL);
	m.gate_mode = DAXMR_VERBS_AUTO; /* no check of its own: it resolves to PINNED or ODP */
	m.check_verdict = DAXMR_DATACHECK_FAIL;
	srv = new_server(1);
	assert_int_equal(m.datacheck_calls, 0);
	assert_int_equal(m.exps[0].state, DAXMR_EXPORT_AVAILABLE);
	delete_server(&srv);
}

/* ---- daxmr_server_run --------------------------------------------------------------------- */

static void run__sigterm_revokes_every_export_then_returns_0(void **state)
{
	struct daxmr_server *srv = new_server(2);

	(void)state;
	raise(SIGTERM); /* blocked by daxmr_server_new: it waits in the signalfd */
	assert_int_equal(run(srv), 0);
	assert_int_equal(m.nrevokes, 2);
	assert_int_equal(m.reasons[0], DAXMR_PROTO_REVOKE_SHUTDOWN);
	assert_int_equal(m.reasons[1], DAXMR_PROTO_REVOKE_SHUTDOWN);
	assert_int_equal(m.exps[0].releases, 1);
	assert_int_equal(m.exps[1].releases, 1);
	assert_int_equal(m.exps[0].state, DAXMR_EXPORT_RELEASED);
	assert_logged("Terminated from pid");
	assert_logged("every export released: exiting");
	delete_server(&srv);
}

static void run__sigterm_with_export_unavailable_exits_without_revoking_it(void **state)
{
	struct daxmr_server *srv;

	(void)state;
	m.exps[0].fail_establish = 1;
	srv = new_server(2);
	raise(SIGTERM);
	assert_int_equal(run(srv), 0);
	assert_int_equal(m.nrevokes, 1); /* beta only */
	assert_int_equal(m.exps[0].revoke_begins, 0);
	assert_int_equal(m.exps[0].establishes, 1); /* its 10 s retry was stopped */
	assert_int_equal(m.exps[1].releases, 1);
	assert_logged("every export released: exiting");
	delete_server(&srv);
}

/* A retry timer that could not be armed is armed by the tick: the export does come up. */
static void run__retry_timer_add_fails_rearmed_by_the_tick(void **state)
{
	struct daxmr_server *srv;

	(void)state;
	m.exps[0].fail_establish = 2;
	m.backoff_ms = 1;
	m.term_when_up = true;	 /* once up, SIGTERM ends the loop */
	m.fail_event_add_at = 1; /* the first: the retry timer after the failed establish */
	srv = new_server(1);
	assert_int_equal(m.exps[0].state, DAXMR_EXPORT_UNAVAILABLE);
	assert_logged("event_add: retry timer of export alpha (1 ms): libevent could not grow");
	assert_int_equal(run(srv), 0);
	assert_int_equal(m.exps[0].establishes, 3); /* in new, after the tick, then up */
	delete_server(&srv);
}

/* A registration the device refused: no retry timer; the other export's is armed. */
static void new__refused_registration_not_retried(void **state)
{
	struct daxmr_server *srv;

	(void)state;
	m.exps[0].fail_establish = 1;
	m.exps[0].final = true;
	m.exps[1].fail_establish = 1;
	srv = new_server(2);
	assert_int_equal(m.exps[0].state, DAXMR_EXPORT_UNAVAILABLE);
	assert_int_equal(m.event_add_calls, 5 + 1); /* only export 1's retry timer */
	delete_server(&srv);
}

/* What the device says reaches the exports: max_mr_size, rxe's 1 GiB cap, atomics. */
static void new__device_limits_reach_the_exports(void **state)
{
	struct daxmr_server *srv;

	(void)state;
	srv = new_server(1);
	assert_int_equal(m.exps[0].env.max_mr_size, 1ull << 40);
	assert_int_equal(m.exps[0].env.seg_shift_cap, 0);
	assert_false(m.exps[0].env.atomic);
	delete_server(&srv);
	setup(NULL);
	m.vendor_id = DAXMR_EXPORT_RXE_VENDOR_ID;
	m.atomic_cap = IBV_ATOMIC_HCA;
	srv = new_server(1);
	assert_int_equal(m.exps[0].env.seg_shift_cap, DAXMR_EXPORT_RXE_SEG_SHIFT);
	assert_true(m.exps[0].env.atomic);
	assert_logged("exports registered in segments of at most 1 GiB");
	delete_server(&srv);
}

static void run__retry_timer_establishes_an_unavailable_export(void **state)
{
	struct daxmr_server *srv;

	(void)state;
	m.exps[0].fail_establish = 2;
	m.backoff_ms = 1;
	m.term_when_up = true; /* once up, SIGTERM ends the loop */
	srv = new_server(1);
	assert_int_equal(m.exps[0].state, DAXMR_EXPORT_UNAVAILABLE);
	assert_int_equal(run(srv), 0);
	assert_int_equal(m.exps[0].establishes, 3); /* failed in new, failed once more, then up */
	assert_int_equal(m.nrevokes, 1);
	assert_int_equal(m.exps[0].releases, 1);
	delete_server(&srv);
}

static void run__lease_break_revokes_then_reestablishes(void **state)
{
	union sigval v = { 0 };
	struct daxmr_server *srv;

	(void)state;
	m.backoff_ms = 1;
	m.term_when_up = true; /* the re-establishment raises SIGTERM */
	srv = new_server(2);
	m.break_export = 0;
	assert_int_equal(sigqueue(getpid(), m.exps[0].env.lease_sig, v), 0);
	assert_int_equal(run(srv), 0);
	assert_true(m.read_break_calls >= 1);
	assert_int_equal(m.getlease_fd, FAKE_EXPORT_FD + 0);
	assert_int_equal(m.nrevokes, 3);
	assert_int_equal(m.reasons[0], DAXMR_PROTO_REVOKE_LEASE_BREAK);
	assert_int_equal(m.reasons[1], DAXMR_PROTO_REVOKE_SHUTDOWN);
	assert_int_equal(m.reasons[2], DAXMR_PROTO_REVOKE_SHUTDOWN);
	assert_int_equal(m.exps[0].establishes, 2);
	assert_int_equal(m.exps[0].gen, 2);
	assert_int_equal(m.exps[0].releases, 2);
	assert_int_equal(m.exps[1].releases, 1);
	assert_logged("export alpha: lease break (fd 200)");
	delete_server(&srv);
}

static void run__stale_lease_break_ignored(void **state)
{
	union sigval v = { 0 };
	struct daxmr_server *srv;

	(void)state;
	m.term_on_break = true;
	m.getlease = F_WRLCK; /* alpha (rw) still holds its write lease: the break is old */
	srv = new_server(1);
	m.break_export = 0;
	assert_int_equal(sigqueue(getpid(), m.exps[0].env.lease_sig, v), 0);
	assert_int_equal(run(srv), 0);
	assert_int_equal(m.getlease_calls, 1);
	assert_int_equal(m.nrevokes, 1);
	assert_int_equal(m.reasons[0], DAXMR_PROTO_REVOKE_SHUTDOWN);
	assert_int_equal(m.exps[0].establishes, 1);
	assert_logged("export alpha: stale lease-break signal ignored");
	delete_server(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(new__listen_forms_bind_what_they_name),
		T(new__listen_bad_forms_EINVAL),
		T(new__bad_arguments_EINVAL),
		T(new__bad_listen_address_EINVAL),
		T(new__duplicate_export_name_EINVAL),
		T(new__lease_signal_block_EMFILE),
		T(new__pthread_sigmask_EPERM),
		T(new__signalfd_EMFILE),
		T(new__event_base_new_ENOMEM),
		T(new__getaddrinfo_errors_keep_their_cause),
		T(new__rdma_create_event_channel_ENODEV),
		T(new__rdma_create_id_ENOMEM),
		T(new__rdma_bind_addr_EADDRNOTAVAIL),
		T(new__wildcard_without_devices_ENODEV),
		T(new__ibv_alloc_pd_ENOMEM),
		T(new__ibv_create_comp_channel_EMFILE),
		T(new__ibv_query_device_EOPNOTSUPP),
		T(new__export_new_fails),
		T(new__revoke_new_fails),
		T(new__rdma_listen_EADDRINUSE),
		T(new__each_fcntl_setfl_EBADF),
		T(new__each_event_new_ENOMEM),
		T(new__each_event_add_fails_with_its_cause),
		T(new__ipv4_bound_listening_exports_up),
		T(delete__returns_the_first_teardown_error),
		T(new__ipv6_default_port_memory_windows),
		T(new__wildcard_serves_the_first_device),
		T(new__lease_break_time_unknown_assumes_45s),
		T(new__no_export_up_still_listens),
		T(gate__check_cannot_run_refuses_the_mode_once_checked),
		T(gate__failed_check_used_with_odp_check_warn),
		T(gate__passing_check_and_unchecked_modes),
		T(run__sigterm_revokes_every_export_then_returns_0),
		T(run__sigterm_with_export_unavailable_exits_without_revoking_it),
		T(new__refused_registration_not_retried),
		T(new__device_limits_reach_the_exports),
		T(run__retry_timer_establishes_an_unavailable_export),
		T(run__retry_timer_add_fails_rearmed_by_the_tick),
		T(run__lease_break_revokes_then_reestablishes),
		T(run__stale_lease_break_ignored),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
