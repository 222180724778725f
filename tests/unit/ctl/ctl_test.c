/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl_test.c -- unit tests of ctl: every request and its reply, errors, the socket end to end */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "conn.h"
#include "ctl.h"
#include "revoke.h"

/* ---- a fake server: two exports, one client holding the first --------------------------- */

struct fake_export {
	const char *name, *path, *reason;
	enum daxmr_export_state state;
	uint64_t gen;
	bool ro;
};

static struct fake_export fx[2] = {
	{ "db", "/mnt/pmem/db", "", DAXMR_EXPORT_AVAILABLE, 3, false },
	{ "down", "/mnt/pmem/holey", "hole at offset 4096", DAXMR_EXPORT_UNAVAILABLE, 0, true },
};
static struct daxmr_revoke_report last = { .generation = 2,
					   .reason = DAXMR_PROTO_REVOKE_ADMIN,
					   .holders = 1,
					   .acked = 1,
					   .sent_us = 10,
					   .last_ack_us = 200,
					   .released_us = 350,
					   .cause = "all acked" };
static struct event_base *base;
static int fake_conn; /* its address is the one connection */
/* what the fakes were asked (copies: the request is freed before the test looks) */
static char revoked[64], disconnected[64], unexported[64], exported_name[64];
static int reload_ret;

#define EXP(p) ((const struct fake_export *)(const void *)(p))

struct event_base *__wrap_daxmr_server_base(struct daxmr_server *srv);
struct event_base *__wrap_daxmr_server_base(struct daxmr_server *srv)
{
	(void)srv;
	return base;
}

void __wrap_daxmr_server_status(const struct daxmr_server *srv, struct daxmr_server_status *st);
void __wrap_daxmr_server_status(const struct daxmr_server *srv, struct daxmr_server_status *st)
{
	(void)srv;
	memset(st, 0, sizeof(*st));
	st->listen = "10.0.2.15:7471";
	st->devname = "rxe0";
	st->mw = true;
	st->exports = 2;
	st->available = 1;
	st->conns = 1;
	st->break_ms = 45000;
	st->ack_budget_ms = 1000;
	st->watchdog_ms = 1250;
}

size_t __wrap_daxmr_server_nexports(const struct daxmr_server *srv);
size_t __wrap_daxmr_server_nexports(const struct daxmr_server *srv)
{
	(void)srv;
	return 2;
}

struct daxmr_export *__wrap_daxmr_server_export_at(const struct daxmr_server *srv, size_t i);
struct daxmr_export *__wrap_daxmr_server_export_at(const struct daxmr_server *srv, size_t i)
{
	(void)srv;
	return i < 2 ? (struct daxmr_export *)(void *)&fx[i] : NULL;
}

bool __wrap_daxmr_server_export_removing(const struct daxmr_server *srv,
					 const struct daxmr_export *exp);
bool __wrap_daxmr_server_export_removing(const struct daxmr_server *srv,
					 const struct daxmr_export *exp)
{
	(void)srv;
	(void)exp;
	return false;
}

size_t __wrap_daxmr_server_export_holders(const struct daxmr_server *srv,
					  const struct daxmr_export *exp);
size_t __wrap_daxmr_server_export_holders(const struct daxmr_server *srv,
					  const struct daxmr_export *exp)
{
	(void)srv;
	return EXP(exp) == &fx[0];
}

const struct daxmr_revoke_report *
__wrap_daxmr_server_export_last_revoke(const struct daxmr_server *srv,
				       const struct daxmr_export *exp);
const struct daxmr_revoke_report *
__wrap_daxmr_server_export_last_revoke(const struct daxmr_server *srv,
				       const struct daxmr_export *exp)
{
	(void)srv;
	return EXP(exp) == &fx[0] ? &last : NULL;
}

size_t __wrap_daxmr_server_nconns(const struct daxmr_server *srv);
size_t __wrap_daxmr_server_nconns(const struct daxmr_server *srv)
{
	(void)srv;
	return 1;
}

struct daxmr_conn *__wrap_daxmr_server_conn_at(const struct daxmr_server *srv, size_t i);
struct daxmr_conn *__wrap_daxmr_server_conn_at(const struct daxmr_server *srv, size_t i)
{
	(void)srv;
	return i == 0 ? (struct daxmr_conn *)(void *)&fake_conn : NULL;
}

int __wrap_daxmr_server_export_revoke(struct daxmr_server *srv, const char *name);
int __wrap_daxmr_server_export_revoke(struct daxmr_server *srv, const char *name)
{
	(void)srv;
	snprintf(revoked, sizeof(revoked), "%s", name);
	return strcmp(name, "db") == 0 ? 0 : strcmp(name, "down") == 0 ? -EAGAIN : -ENOENT;
}

int __wrap_daxmr_server_disconnect(struct daxmr_server *srv, const char *who);
int __wrap_daxmr_server_disconnect(struct daxmr_server *srv, const char *who)
{
	(void)srv;
	snprintf(disconnected, sizeof(disconnected), "%s", who);
	return strcmp(who, "10.0.2.15:40000") == 0 ? 1 : -ENOENT;
}

enum daxmr_export_state __wrap_daxmr_export_state(const struct daxmr_export *exp);
enum daxmr_export_state __wrap_daxmr_export_state(const struct daxmr_export *exp)
{
	return EXP(exp)->state;
}

int __wrap_daxmr_export_entry(const struct daxmr_export *exp, struct daxmr_proto_export *e);
int __wrap_daxmr_export_entry(const struct daxmr_export *exp, struct daxmr_proto_export *e)
{
	if (EXP(exp)->state != DAXMR_EXPORT_AVAILABLE)
		return -EAGAIN;
	memset(e, 0, sizeof(*e));
	e->length = 8 << 20;
	e->memory = DAXMR_PROTO_MEMORY_FSDAX;
	e->registration = DAXMR_PROTO_REG_ODP;
	return 0;
}

const char *__wrap_daxmr_export_name(const struct daxmr_export *exp);
const char *__wrap_daxmr_export_name(const struct daxmr_export *exp)
{
	return EXP(exp)->name;
}

uint32_t __wrap_daxmr_export_id(const struct daxmr_export *exp);
uint32_t __wrap_daxmr_export_id(const struct daxmr_export *exp)
{
	return EXP(exp) == &fx[0] ? 1 : 2;
}

const char *__wrap_daxmr_export_path(const struct daxmr_export *exp);
const char *__wrap_daxmr_export_path(const struct daxmr_export *exp)
{
	return EXP(exp)->path;
}

uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp);
uint64_t __wrap_daxmr_export_generation(const struct daxmr_export *exp)
{
	return EXP(exp)->gen;
}

bool __wrap_daxmr_export_ro(const struct daxmr_export *exp);
bool __wrap_daxmr_export_ro(const struct daxmr_export *exp)
{
	return EXP(exp)->ro;
}

const char *__wrap_daxmr_export_reason(const struct daxmr_export *exp);
const char *__wrap_daxmr_export_reason(const struct daxmr_export *exp)
{
	return EXP(exp)->reason;
}

void __wrap_daxmr_conn_info(const struct daxmr_conn *conn, struct daxmr_conn_info *info);
void __wrap_daxmr_conn_info(const struct daxmr_conn *conn, struct daxmr_conn_info *info)
{
	(void)conn;
	memset(info, 0, sizeof(*info));
	info->peer = "10.0.2.15:40000";
	info->client = "app@guest";
	info->state = DAXMR_CONN_READY;
	info->auth_required = true;
	info->authenticated = true;
	info->identity = "tenant-a";
	info->version = 4;
	info->holds = 1;
	info->windows = 1;
}

void __wrap_daxmr_conn_each_hold(const struct daxmr_conn *conn,
				 void (*fn)(void *arg, const struct daxmr_export *exp, uint64_t gen,
					    enum daxmr_proto_access access, const char *state,
					    uint32_t rkey),
				 void *arg);
void __wrap_daxmr_conn_each_hold(const struct daxmr_conn *conn,
				 void (*fn)(void *arg, const struct daxmr_export *exp, uint64_t gen,
					    enum daxmr_proto_access access, const char *state,
					    uint32_t rkey),
				 void *arg)
{
	(void)conn;
	fn(arg, (const struct daxmr_export *)(const void *)&fx[0], 3, DAXMR_PROTO_ACCESS_RW, "held",
	   0x1234);
}

int __wrap_daxmr_reload_run(struct daxmr_reload *rl, struct daxmr_reload_summary *sum, char *why,
			    size_t why_size);
int __wrap_daxmr_reload_run(struct daxmr_reload *rl, struct daxmr_reload_summary *sum, char *why,
			    size_t why_size)
{
	(void)rl;
	memset(sum, 0, sizeof(*sum));
	if (reload_ret) {
		snprintf(why, why_size, "/etc/daxmr/exports:3:7: unknown option 'bogus'");
		return reload_ret;
	}
	sum->added = 1;
	sum->unchanged = 2;
	return 0;
}

int __wrap_daxmr_reload_export(struct daxmr_reload *rl, const char *const *fields, size_t n,
			       char *why, size_t why_size);
int __wrap_daxmr_reload_export(struct daxmr_reload *rl, const char *const *fields, size_t n,
			       char *why, size_t why_size)
{
	(void)rl;
	snprintf(exported_name, sizeof(exported_name), "%s", fields[0]);
	if (n >= 3 && strcmp(fields[2], "bogus") == 0) {
		snprintf(why, why_size, "daxmrctl export:1:10: unknown option 'bogus'");
		return -EINVAL;
	}
	return 0;
}

int __wrap_daxmr_reload_unexport(struct daxmr_reload *rl, const char *name, char *why,
				 size_t why_size);
int __wrap_daxmr_reload_unexport(struct daxmr_reload *rl, const char *name, char *why,
				 size_t why_size)
{
	(void)rl;
	snprintf(unexported, sizeof(unexported), "%s", name);
	if (strcmp(name, "db") == 0)
		return 0;
	snprintf(why, why_size, "unexport %s: no such export", name);
	return -ENOENT;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static struct json_object *reply;

/* Handles the request text; the reply in reply, as a string in the return value. */
static const char *handle(const char *text)
{
	struct json_object *req = json_tokener_parse(text);

	assert_non_null(req);
	json_object_put(reply);
	reply = daxmr_ctl_handle(NULL, NULL, req);
	json_object_put(req);
	assert_non_null(reply);
	return json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
}

/* The reply's text must contain each of the NULL-terminated strings. */
static void assert_has(const char *first, ...)
{
	const char *text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN), *s;
	va_list ap;

	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *))
		if (!strstr(text, s))
			fail_msg("\"%s\" not in the reply %s", s, text);
	va_end(ap);
}

static int teardown(void **state)
{
	(void)state;
	json_object_put(reply);
	reply = NULL;
	return 0;
}

/* ---- requests ------------------------------------------------------------------------------ */

static void handle__status(void **state)
{
	(void)state;
	handle("{\"command\":\"status\"}");
	assert_has("\"ok\":true", "\"listen\":\"10.0.2.15:7471\"", "\"device\":\"rxe0\"",
		   "\"keys\":\"per-connection windows\"", "\"exports\":2", "\"available\":1",
		   "\"clients\":1", "\"lease_break_time_ms\":45000", "\"watchdog_ms\":1250", NULL);
}

static void handle__exports(void **state)
{
	(void)state;
	handle("{\"command\":\"exports\"}");
	assert_has("\"ok\":true", "\"name\":\"db\"", "\"state\":\"available\"", "\"generation\":3",
		   "\"access\":\"rw\"", "\"memory\":\"fs-dax\"", "\"registration\":\"odp\"",
		   "\"length\":8388608", "\"holders\":1",
		   "\"last_revocation\":{\"generation\":2,\"reason\":\"admin\",\"holders\":1,"
		   "\"acked\":1,\"sent_us\":10,\"last_ack_us\":200,\"released_us\":350,"
		   "\"cause\":\"all acked\"}",
		   /* the unavailable one: why it is down, no memory/length */
		   "\"name\":\"down\"", "\"state\":\"unavailable\"", "\"access\":\"ro\"",
		   "\"memory\":null", "\"length\":null", "\"reason\":\"hole at offset 4096\"",
		   NULL);
}

static void handle__clients(void **state)
{
	(void)state;
	handle("{\"command\":\"clients\"}");
	assert_has("\"address\":\"10.0.2.15:40000\"", "\"name\":\"app@guest\"",
		   "\"state\":\"ready\"", "\"authenticated\":\"yes\"", "\"identity\":\"tenant-a\"",
		   "\"version\":4",
		   "\"regions\":[{\"export\":\"db\",\"generation\":3,\"access\":\"rw\","
		   "\"state\":\"held\",\"key\":\"window\",\"rkey\":4660}]",
		   NULL);
}

static void handle__revoke_disconnect_unexport(void **state)
{
	(void)state;
	handle("{\"command\":\"revoke\",\"export\":\"db\"}");
	assert_has("\"ok\":true", NULL);
	assert_string_equal(revoked, "db");
	handle("{\"command\":\"revoke\",\"export\":\"down\"}");
	assert_has("\"ok\":false", "revoke down: not available", "\"errno\":\"EAGAIN\"", NULL);
	handle("{\"command\":\"revoke\",\"export\":\"nope\"}");
	assert_has("revoke nope: no such export", "\"errno\":\"ENOENT\"", NULL);
	handle("{\"command\":\"revoke\"}");
	assert_has("revoke: \\\"export\\\" (a name) is missing", "\"errno\":\"EINVAL\"", NULL);
	handle("{\"command\":\"disconnect\",\"client\":\"10.0.2.15:40000\"}");
	assert_has("\"ok\":true", "\"disconnected\":1", NULL);
	assert_string_equal(disconnected, "10.0.2.15:40000");
	handle("{\"command\":\"disconnect\",\"client\":\"x\"}");
	assert_has("disconnect x: no such client", "ENOENT", NULL);
	handle("{\"command\":\"disconnect\",\"client\":7}");
	assert_has("\"client\\\" (ADDR:PORT or name) is missing", NULL);
	handle("{\"command\":\"unexport\",\"export\":\"db\"}");
	assert_has("\"ok\":true", NULL);
	assert_string_equal(unexported, "db");
	handle("{\"command\":\"unexport\",\"export\":\"x\"}");
	assert_has("unexport x: no such export", "ENOENT", NULL);
}

static void handle__reload_and_export(void **state)
{
	(void)state;
	reload_ret = 0;
	handle("{\"command\":\"reload\"}");
	assert_has("\"ok\":true", "\"added\":1", "\"removed\":0", "\"unchanged\":2", NULL);
	reload_ret = -EINVAL;
	handle("{\"command\":\"reload\"}");
	assert_has("\"ok\":false",
		   "reload refused, nothing changed: \\/etc\\/daxmr\\/exports:3:7: unknown option",
		   "EINVAL", NULL);
	reload_ret = 0;
	handle("{\"command\":\"export\",\"args\":[\"new\",\"/mnt/pmem/new\",\"ro\"]}");
	assert_has("\"ok\":true", NULL);
	assert_string_equal(exported_name, "new");
	handle("{\"command\":\"export\",\"args\":[\"new\",\"/mnt/pmem/new\",\"bogus\"]}");
	assert_has("daxmrctl export:1:10: unknown option 'bogus'", "EINVAL", NULL);
	handle("{\"command\":\"export\",\"args\":[\"new\"]}");
	assert_has("export: expected NAME PATH [OPTIONS...]", NULL);
	handle("{\"command\":\"export\",\"args\":[\"new\",5]}");
	assert_has("export: argument 2 is not a string", NULL);
	handle("{\"command\":\"export\",\"args\":\"new /x\"}");
	assert_has("\\\"args\\\" must be an array", NULL);
}

static void handle__bad_requests(void **state)
{
	(void)state;
	handle("{\"command\":\"bogus\"}");
	assert_has("\"ok\":false", "unknown command 'bogus' (status, exports", "EINVAL", NULL);
	handle("{\"cmd\":\"status\"}");
	assert_has("a request is a JSON object with a \\\"command\\\" string", NULL);
	handle("[1,2]");
	assert_has("a request is a JSON object", NULL);
	handle("{\"command\":5}");
	assert_has("a request is a JSON object", NULL);
}

/* ---- the socket ---------------------------------------------------------------------------- */

/* Sends text on fd and runs the loop until a whole reply line came back; returns it. */
static char *roundtrip(int fd, const char *text)
{
	static char buf[65536 + 256];
	size_t off = 0;
	ssize_t r;
	int i;

	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	for (i = 0; i < 200 && !memchr(buf, '\n', off); i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		r = recv(fd, buf + off, sizeof(buf) - off - 1, MSG_DONTWAIT);
		if (r > 0)
			off += (size_t)r;
		else
			usleep(1000);
	}
	buf[off] = '\0';
	assert_non_null(strchr(buf, '\n'));
	return buf;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void socket__mode_requests_errors_stale_and_busy(void **state)
{
	char dir[] = "/tmp/ctl_test.XXXXXX", path[96], *big;
	struct daxmr_ctl_opts opts = { .path = path, .group = NULL };
	struct daxmr_ctl *ctl = NULL, *other = NULL;
	struct stat st;
	int fd, stale;

	(void)state;
	assert_non_null(mkdtemp(dir));
	base = event_base_new();
	assert_non_null(base);
	/* a socket file left by a daxmrd that is gone: replaced */
	snprintf(path, sizeof(path), "%s/run", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/run/daxmrd.sock", dir);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		stale = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		assert_int_equal(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(stale); /* bound, never listened: connect is refused */
	}
	assert_int_equal(daxmr_ctl_new(NULL, NULL, &opts, &ctl), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, getegid());
	/* a second daxmrd on the same path: refused, the first one's socket stays */
	assert_int_equal(daxmr_ctl_new(NULL, NULL, &opts, &other), -EADDRINUSE);
	assert_null(other);
	assert_int_equal(stat(path, &st), 0);

	fd = connect_to(path);
	assert_non_null(strstr(roundtrip(fd, "{\"command\":\"status\"}\n"),
			       "\"listen\":\"10.0.2.15:7471\""));
	/* two requests in one write: two replies, in order */
	{
		char *two = roundtrip(fd, "{\"command\":\"exports\"}\n{\"command\":\"bogus\"}\n");

		if (!strstr(two, "\"exports\":[") && !strstr(two, "unknown command"))
			fail_msg("unexpected: %s", two);
	}
	close(fd);
	fd = connect_to(path);
	assert_non_null(strstr(roundtrip(fd, "not json\n"), "not a JSON request"));
	/* the connection stays usable after a bad line */
	assert_non_null(strstr(roundtrip(fd, "{\"command\":\"clients\"}\n"), "app@guest"));
	big = malloc(70000);
	assert_non_null(big);
	memset(big, ' ', 69999);
	big[69999] = '\0';
	assert_non_null(strstr(roundtrip(fd, big), "\"errno\":\"E2BIG\""));
	free(big);
	/* and daxmrd closes that connection once the reply is out */
	{
		char b;
		ssize_t r = -1;
		int i;

		for (i = 0; i < 200 && r != 0; i++) {
			event_base_loop(base, EVLOOP_NONBLOCK);
			r = recv(fd, &b, 1, MSG_DONTWAIT);
			if (r != 0)
				usleep(1000);
		}
		assert_int_equal(r, 0);
	}
	close(fd);

	daxmr_ctl_delete(&ctl);
	assert_null(ctl);
	assert_int_equal(stat(path, &st), -1); /* unlinked */
	daxmr_ctl_delete(&ctl);		       /* NULL-safe */
	opts.group = "no-such-group-daxmr";
	assert_int_equal(daxmr_ctl_new(NULL, NULL, &opts, &ctl), -ENOENT);
	/* the socket's directory is made when missing */
	snprintf(path, sizeof(path), "%s/new/daxmrd.sock", dir);
	opts.group = NULL;
	assert_int_equal(daxmr_ctl_new(NULL, NULL, &opts, &ctl), 0);
	assert_int_equal(stat(path, &st), 0);
	daxmr_ctl_delete(&ctl);
	event_base_free(base);
	base = NULL;
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, teardown)
		T(handle__status),
		T(handle__exports),
		T(handle__clients),
		T(handle__revoke_disconnect_unexport),
		T(handle__reload_and_export),
		T(handle__bad_requests),
		T(socket__mode_requests_errors_stale_and_busy),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
