/* SPDX-License-Identifier: BSD-3-Clause */
/* export_test.c -- unit tests of export: state machine, generations, backoff, failed calls */
#include <errno.h>
#include <fcntl.h>
#include <libpmem2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "export.h"
#include "seal.h"

#define FAKE_FD 42
#define FAKE_ADDR ((void *)(uintptr_t)0x7f0000000000ull)
#define MIB (1u << 20)
#define GIB (1ull << 30)

/* What the fakes do and saw; zeroed before every test. */
static struct {
	int open_errno, fstat_errno, setfl_errno, close_errno, msync_errno;
	mode_t mode; /* fstat's st_mode */
	int open_flags;
	int may_lease_ret, lease_take_ret, lease_release_ret, lease_type;
	int seal_ret;
	enum daxmr_seal_mem seal_mem;
	int src_ret, size_ret, align_ret, cfg_ret, set_ret, map_ret, map_delete_ret;
	size_t size, align;
	enum pmem2_granularity gran;
	unsigned int prot;
	size_t cfg_length;
	int reg_ret;	/* daxmr_verbs_reg fails with this */
	size_t reg_max; /* ... or with reg_max_err (-ENOMEM if 0) past this length (0: no limit) */
	int reg_max_err;
	int reg_fail_call;  /* the reg_fail_call-th call (1-based) fails with -ENOMEM */
	int reg_atomic_err; /* a registration with REMOTE_ATOMIC fails with this */
	enum daxmr_verbs_mode reg_want[32]; /* the mode each call asked for */
	uint64_t reg_off[32];		    /* the offset into the mapping each call registered */
	enum daxmr_verbs_mode reg_got;
	int reg_calls;
	int last_reg_access;
	size_t last_reg_len;
	int gate_ret, gate_calls;
	enum daxmr_verbs_mode gate_mode;
	int live_fds, live_srcs, live_cfgs, live_maps, live_mrs, leases;
	char trace[512]; /* the order of the calls that matter */
	const void *persisted;
	size_t persisted_len;
	void *msync_addr;
	size_t msync_len;
} m;

static struct ibv_pd fake_pd;
#define FAKE_MRS 16
static struct ibv_mr fake_mrs[FAKE_MRS];
static bool fake_mr_live[FAKE_MRS];
static int fake_pmem2_src, fake_pmem2_cfg, fake_pmem2_map;

static void trace(const char *what)
{
	if (m.trace[0])
		strcat(m.trace, ",");
	strcat(m.trace, what);
}

int __wrap_open(const char *path, int flags, ...);
int __wrap_fcntl(int fd, int cmd, ...);
int __wrap_fstat(int fd, struct stat *st);
int __wrap_close(int fd);
int __wrap_msync(void *addr, size_t len, int flags);
int __wrap_daxmr_lease_may_lease(const struct stat *st, const char *what);
int __wrap_daxmr_lease_take(int fd, int type, int sig, const char *what);
int __wrap_daxmr_lease_release(int fd, const char *what);
int __wrap_daxmr_seal_check(int fd, const char *path, const struct daxmr_seal_opts *opts,
			    struct daxmr_seal_report *report);
int __wrap_daxmr_verbs_reg(struct ibv_pd *pd, void *addr, size_t len, int access,
			   enum daxmr_verbs_mode want, const char *what, struct ibv_mr **mr_ptr,
			   enum daxmr_verbs_mode *got_ptr);
int __wrap_ibv_dereg_mr(struct ibv_mr *mr);
int __wrap_pmem2_source_from_fd(struct pmem2_source **src, int fd);
int __wrap_pmem2_source_size(const struct pmem2_source *src, size_t *size);
int __wrap_pmem2_source_alignment(const struct pmem2_source *src, size_t *align);
int __wrap_pmem2_source_delete(struct pmem2_source **src);
int __wrap_pmem2_config_new(struct pmem2_config **cfg);
int __wrap_pmem2_config_delete(struct pmem2_config **cfg);
int __wrap_pmem2_config_set_required_store_granularity(struct pmem2_config *cfg,
						       enum pmem2_granularity g);
int __wrap_pmem2_config_set_sharing(struct pmem2_config *cfg, enum pmem2_sharing_type type);
int __wrap_pmem2_config_set_protection(struct pmem2_config *cfg, unsigned int prot);
int __wrap_pmem2_config_set_length(struct pmem2_config *cfg, size_t length);
int __wrap_pmem2_map_new(struct pmem2_map **map, const struct pmem2_config *cfg,
			 const struct pmem2_source *src);
int __wrap_pmem2_map_delete(struct pmem2_map **map);
void *__wrap_pmem2_map_get_address(struct pmem2_map *map);
size_t __wrap_pmem2_map_get_size(struct pmem2_map *map);
enum pmem2_granularity __wrap_pmem2_map_get_store_granularity(struct pmem2_map *map);
pmem2_persist_fn __wrap_pmem2_get_persist_fn(struct pmem2_map *map);
const char *__wrap_pmem2_errormsg(void);

int __wrap_open(const char *path, int flags, ...)
{
	assert_non_null(path);
	m.open_flags = flags;
	assert_true(flags & O_NONBLOCK); /* a lease holder must not block the loop */
	assert_true(flags & O_CLOEXEC);
	trace("open");
	if (m.open_errno) {
		errno = m.open_errno;
		return -1;
	}
	m.live_fds++;
	return FAKE_FD;
}

int __wrap_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	assert_int_equal(fd, FAKE_FD);
	if (cmd == F_GETFL)
		return O_RDWR | O_NONBLOCK;
	assert_int_equal(cmd, F_SETFL);
	assert_false(arg & O_NONBLOCK);
	if (m.setfl_errno) {
		errno = m.setfl_errno;
		return -1;
	}
	return 0;
}

int __wrap_fstat(int fd, struct stat *st)
{
	assert_int_equal(fd, FAKE_FD);
	if (m.fstat_errno) {
		errno = m.fstat_errno;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->st_mode = m.mode;
	return 0;
}

int __wrap_close(int fd)
{
	assert_int_equal(fd, FAKE_FD);
	trace("close");
	m.live_fds--;
	if (m.close_errno) {
		errno = m.close_errno;
		return -1;
	}
	return 0;
}

int __wrap_msync(void *addr, size_t len, int flags)
{
	assert_int_equal(flags, MS_SYNC);
	m.msync_addr = addr;
	m.msync_len = len;
	if (m.msync_errno) {
		errno = m.msync_errno;
		return -1;
	}
	return 0;
}

int __wrap_daxmr_lease_may_lease(const struct stat *st, const char *what)
{
	(void)st;
	(void)what;
	return m.may_lease_ret;
}

int __wrap_daxmr_lease_take(int fd, int type, int sig, const char *what)
{
	assert_int_equal(fd, FAKE_FD);
	assert_int_equal(sig, 35);
	(void)what;
	trace("lease");
	m.lease_type = type;
	if (m.lease_take_ret)
		return m.lease_take_ret;
	m.leases++;
	return 0;
}

int __wrap_daxmr_lease_release(int fd, const char *what)
{
	assert_int_equal(fd, FAKE_FD);
	(void)what;
	trace("unlock");
	m.leases--;
	return m.lease_release_ret;
}

int __wrap_daxmr_seal_check(int fd, const char *path, const struct daxmr_seal_opts *opts,
			    struct daxmr_seal_report *report)
{
	assert_int_equal(fd, FAKE_FD);
	(void)path;
	(void)opts;
	trace("seal");
	report->mem = m.seal_mem;
	if (m.seal_ret)
		snprintf(report->reason, sizeof(report->reason), "hole at offset 8192");
	return m.seal_ret;
}

int __wrap_daxmr_verbs_reg(struct ibv_pd *pd, void *addr, size_t len, int access,
			   enum daxmr_verbs_mode want, const char *what, struct ibv_mr **mr_ptr,
			   enum daxmr_verbs_mode *got_ptr)
{
	int i;

	assert_ptr_equal(pd, &fake_pd);
	assert_true((uintptr_t)addr >= (uintptr_t)FAKE_ADDR &&
		    (uintptr_t)addr + len <= (uintptr_t)FAKE_ADDR + m.size);
	(void)what;
	if (m.reg_calls < 32) {
		m.reg_want[m.reg_calls] = want;
		m.reg_off[m.reg_calls] = (uintptr_t)addr - (uintptr_t)FAKE_ADDR;
	}
	m.reg_calls++;
	m.last_reg_access = access;
	m.last_reg_len = len;
	if (addr == FAKE_ADDR) /* segment 0: once per registration of the whole mapping */
		trace(want == DAXMR_VERBS_AUTO ? "reg" : "reg-ro");
	if (m.reg_ret)
		return m.reg_ret;
	if (m.reg_max && len > m.reg_max)
		return m.reg_max_err ? m.reg_max_err : -ENOMEM;
	if (m.reg_fail_call == m.reg_calls)
		return -ENOMEM;
	if (m.reg_atomic_err && (access & IBV_ACCESS_REMOTE_ATOMIC))
		return m.reg_atomic_err;
	for (i = 0; i < FAKE_MRS && fake_mr_live[i]; i++)
		;
	assert_true(i < FAKE_MRS);
	fake_mr_live[i] = true;
	*mr_ptr = &fake_mrs[i];
	fake_mrs[i].rkey = 0x1000u + (uint32_t)m.reg_calls;
	m.live_mrs++;
	if (got_ptr)
		*got_ptr = want == DAXMR_VERBS_AUTO ? m.reg_got : want;
	return 0;
}

int __wrap_ibv_dereg_mr(struct ibv_mr *mr)
{
	assert_true(mr >= fake_mrs && mr < fake_mrs + FAKE_MRS);
	assert_true(fake_mr_live[mr - fake_mrs]);
	fake_mr_live[mr - fake_mrs] = false;
	trace("dereg");
	m.live_mrs--;
	return 0;
}

int __wrap_pmem2_source_from_fd(struct pmem2_source **src, int fd)
{
	assert_int_equal(fd, FAKE_FD); /* our one fd: never a second open */
	if (m.src_ret)
		return m.src_ret;
	m.live_srcs++;
	*src = (struct pmem2_source *)&fake_pmem2_src;
	return 0;
}

int __wrap_pmem2_source_size(const struct pmem2_source *src, size_t *size)
{
	(void)src;
	*size = m.size;
	return m.size_ret;
}

int __wrap_pmem2_source_alignment(const struct pmem2_source *src, size_t *align)
{
	(void)src;
	*align = m.align;
	return m.align_ret;
}

int __wrap_pmem2_source_delete(struct pmem2_source **src)
{
	assert_non_null(*src);
	m.live_srcs--;
	*src = NULL;
	return 0;
}

int __wrap_pmem2_config_new(struct pmem2_config **cfg)
{
	if (m.cfg_ret)
		return m.cfg_ret;
	m.live_cfgs++;
	*cfg = (struct pmem2_config *)&fake_pmem2_cfg;
	return 0;
}

int __wrap_pmem2_config_delete(struct pmem2_config **cfg)
{
	if (*cfg)
		m.live_cfgs--;
	*cfg = NULL;
	return 0;
}

int __wrap_pmem2_config_set_required_store_granularity(struct pmem2_config *cfg,
						       enum pmem2_granularity g)
{
	(void)cfg;
	assert_int_equal(g, PMEM2_GRANULARITY_PAGE);
	return m.set_ret;
}

int __wrap_pmem2_config_set_sharing(struct pmem2_config *cfg, enum pmem2_sharing_type type)
{
	(void)cfg;
	assert_int_equal(type, PMEM2_SHARED);
	return 0;
}

int __wrap_pmem2_config_set_protection(struct pmem2_config *cfg, unsigned int prot)
{
	(void)cfg;
	m.prot = prot;
	return 0;
}

int __wrap_pmem2_config_set_length(struct pmem2_config *cfg, size_t length)
{
	(void)cfg;
	m.cfg_length = length;
	return 0;
}

int __wrap_pmem2_map_new(struct pmem2_map **map, const struct pmem2_config *cfg,
			 const struct pmem2_source *src)
{
	(void)cfg;
	(void)src;
	trace("map");
	if (m.map_ret)
		return m.map_ret;
	m.live_maps++;
	*map = (struct pmem2_map *)&fake_pmem2_map;
	return 0;
}

int __wrap_pmem2_map_delete(struct pmem2_map **map)
{
	assert_non_null(*map);
	trace("unmap");
	m.live_maps--;
	*map = NULL;
	return m.map_delete_ret;
}

void *__wrap_pmem2_map_get_address(struct pmem2_map *map)
{
	(void)map;
	return FAKE_ADDR;
}

size_t __wrap_pmem2_map_get_size(struct pmem2_map *map)
{
	(void)map;
	return m.cfg_length;
}

enum pmem2_granularity __wrap_pmem2_map_get_store_granularity(struct pmem2_map *map)
{
	(void)map;
	return m.gran;
}

static void fake_persist(const void *ptr, size_t size)
{
	m.persisted = ptr;
	m.persisted_len = size;
}

pmem2_persist_fn __wrap_pmem2_get_persist_fn(struct pmem2_map *map)
{
	(void)map;
	return fake_persist;
}

const char *__wrap_pmem2_errormsg(void)
{
	return "fake libpmem2 message";
}

static int fake_gate(void *arg, enum daxmr_verbs_mode mode, char *why, size_t size)
{
	(void)arg;
	m.gate_calls++;
	m.gate_mode = mode;
	if (m.gate_ret)
		snprintf(why, size,
			 "device fake0, registration ODP failed the data-path check: "
			 "misplaced");
	return m.gate_ret;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static const struct daxmr_export_env env = {
	.pd = &fake_pd, .lease_sig = 35, .gate = fake_gate, .gate_arg = NULL
};
static struct daxmr_export_env tenv; /* what make() uses: env, changed by a test */

static void reset(void)
{
	memset(&m, 0, sizeof(m));
	m.mode = S_IFREG | 0600;
	m.seal_mem = DAXMR_SEAL_MEM_FSDAX;
	m.size = 4 * MIB;
	m.align = 4096;
	m.gran = PMEM2_GRANULARITY_CACHE_LINE;
	m.reg_got = DAXMR_VERBS_ODP;
	tenv = env;
}

static struct daxmr_export *make(const char *name, bool ro)
{
	struct daxmr_export_cfg cfg = { .name = name, .path = "/mnt/pmem/f", .ro = ro };
	struct daxmr_export *exp = NULL;

	assert_int_equal(daxmr_export_new(&cfg, 3, &tenv, &exp), 0);
	assert_non_null(exp);
	assert_int_equal(daxmr_export_state(exp), DAXMR_EXPORT_CONFIGURED);
	assert_int_equal(daxmr_export_generation(exp), 0);
	assert_int_equal(daxmr_export_fd(exp), -1);
	return exp;
}

static void no_leaks(void)
{
	assert_int_equal(m.live_fds, 0);
	assert_int_equal(m.live_srcs, 0);
	assert_int_equal(m.live_cfgs, 0);
	assert_int_equal(m.live_maps, 0);
	assert_int_equal(m.live_mrs, 0);
	assert_int_equal(m.leases, 0);
}

static void drop(struct daxmr_export **exp)
{
	assert_int_equal(daxmr_export_delete(exp), 0);
	assert_null(*exp);
	no_leaks();
}

/* establish fails with want; everything is undone; the export is UNAVAILABLE. */
static void establish_fails(struct daxmr_export *exp, int want)
{
	assert_int_equal(daxmr_export_establish(exp), want);
	assert_int_equal(daxmr_export_state(exp), DAXMR_EXPORT_UNAVAILABLE);
	assert_int_equal(daxmr_export_fd(exp), -1);
	assert_true(daxmr_export_reason(exp)[0] != '\0');
	no_leaks();
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void new__bad_names(void **state)
{
	struct daxmr_export_cfg cfg = { .name = "a b", .path = "/x" };
	struct daxmr_export *exp = NULL;
	char longname[300];

	(void)state;
	reset();
	assert_int_equal(daxmr_export_new(&cfg, 1, &env, &exp), -EINVAL);
	cfg.name = "";
	assert_int_equal(daxmr_export_new(&cfg, 1, &env, &exp), -EINVAL);
	cfg.name = "tab\there";
	assert_int_equal(daxmr_export_new(&cfg, 1, &env, &exp), -EINVAL);
	memset(longname, 'x', 256);
	longname[256] = '\0';
	cfg.name = longname;
	assert_int_equal(daxmr_export_new(&cfg, 1, &env, &exp), -EINVAL);
	longname[255] = '\0';
	cfg.path = "";
	assert_int_equal(daxmr_export_new(&cfg, 1, &env, &exp), -EINVAL);
	assert_null(exp);
	cfg.path = "/x";
	assert_int_equal(daxmr_export_new(&cfg, 1, &env, &exp), 0);
	assert_string_equal(daxmr_export_path(exp), "/x");
	drop(&exp);
	assert_int_equal(daxmr_export_delete(NULL), 0);
}

static void establish__fsdax_ok_in_order(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_proto_export e;
	struct daxmr_proto_desc d;

	(void)state;
	reset();
	exp = make("db", false);
	assert_int_equal(daxmr_export_entry(exp, &e), -EAGAIN);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_string_equal(m.trace, "open,lease,seal,map,reg");
	assert_int_equal(m.open_flags & O_ACCMODE, O_RDWR);
	assert_int_equal(m.lease_type, F_WRLCK);
	assert_int_equal(m.prot, PMEM2_PROT_READ | PMEM2_PROT_WRITE);
	assert_int_equal(m.last_reg_access,
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	assert_int_equal(m.gate_calls, 1);
	assert_int_equal(m.gate_mode, DAXMR_VERBS_ODP);
	assert_int_equal(daxmr_export_state(exp), DAXMR_EXPORT_AVAILABLE);
	assert_int_equal(daxmr_export_generation(exp), 1);
	assert_int_equal(daxmr_export_fd(exp), FAKE_FD);
	assert_string_equal(daxmr_export_reason(exp), "");
	assert_int_equal(daxmr_export_entry(exp, &e), 0);
	assert_int_equal(e.export_id, 3);
	assert_int_equal(e.generation, 1);
	assert_int_equal(e.length, 4 * MIB);
	assert_int_equal(e.access, DAXMR_PROTO_ACCESS_RW);
	assert_int_equal(e.memory, DAXMR_PROTO_MEMORY_FSDAX);
	assert_int_equal(e.registration, DAXMR_PROTO_REG_ODP);
	assert_string_equal(e.name, "db");
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d), 0);
	assert_int_equal(d.addr, (uint64_t)(uintptr_t)FAKE_ADDR);
	assert_int_equal(d.length, 4 * MIB);
	assert_int_equal(d.rkey, fake_mrs[0].rkey);
	assert_int_equal(d.persist_granularity, 0);
	assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MR);
	assert_int_equal(daxmr_export_establish(exp), -EBUSY);
	drop(&exp);
}

static void establish__page_cache_reports_page_granularity(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_proto_desc d;

	(void)state;
	reset();
	m.seal_mem = DAXMR_SEAL_MEM_PAGE_CACHE;
	m.gran = PMEM2_GRANULARITY_PAGE;
	m.reg_got = DAXMR_VERBS_PINNED;
	exp = make("pc", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d), 0);
	assert_int_equal(d.persist_granularity, 4096);
	assert_int_equal(d.memory, DAXMR_PROTO_MEMORY_PAGECACHE);
	assert_int_equal(d.registration, DAXMR_PROTO_REG_PINNED);
	drop(&exp);
}

static void establish__devdax_has_no_lease(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	m.mode = S_IFCHR | 0600;
	m.seal_mem = DAXMR_SEAL_MEM_DEVDAX;
	m.align = 2 * MIB;
	m.size = 8 * MIB + 4096; /* the tail past the alignment is not exported */
	m.reg_got = DAXMR_VERBS_PINNED;
	exp = make("dax", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_string_equal(m.trace, "open,seal,map,reg");
	assert_int_equal(m.cfg_length, 8 * MIB);
	assert_int_equal(daxmr_export_revoke_begin(exp), 0);
	m.trace[0] = '\0';
	assert_int_equal(daxmr_export_release(exp), 0);
	assert_string_equal(m.trace, "dereg,unmap,close"); /* no F_UNLCK: no lease */
	drop(&exp);
}

static void establish__ro_export(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_proto_desc d;

	(void)state;
	reset();
	exp = make("ro", true);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(m.open_flags & O_ACCMODE, O_RDONLY);
	assert_int_equal(m.lease_type, F_RDLCK);
	assert_int_equal(m.prot, PMEM2_PROT_READ);
	assert_int_equal(m.last_reg_access, IBV_ACCESS_REMOTE_READ);
	assert_true(daxmr_export_ro(exp));
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d), -EACCES);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RO, &d), 0);
	assert_int_equal(d.rkey, fake_mrs[0].rkey); /* its own MR is already read-only */
	assert_int_equal(m.reg_calls, 1);
	drop(&exp);
}

static void desc__ro_open_of_rw_export_gets_second_mr_once(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_proto_desc rw, ro, ro2;

	(void)state;
	reset();
	exp = make("db", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &rw), 0);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RO, &ro), 0);
	assert_int_equal(m.reg_calls, 2);
	assert_int_equal(m.last_reg_access, IBV_ACCESS_REMOTE_READ); /* no remote write */
	assert_int_not_equal(ro.rkey, rw.rkey);
	assert_int_equal(ro.access, DAXMR_PROTO_ACCESS_RO);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RO, &ro2), 0);
	assert_int_equal(ro2.rkey, ro.rkey);
	assert_int_equal(m.reg_calls, 2);
	assert_int_equal(daxmr_export_revoke_begin(exp), 0);
	m.trace[0] = '\0';
	assert_int_equal(daxmr_export_release(exp), 0);
	assert_string_equal(m.trace, "dereg,dereg,unmap,unlock,close");
	drop(&exp);
}

static void desc__ro_mr_registration_fails(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_proto_desc d;

	(void)state;
	reset();
	exp = make("db", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	m.reg_ret = -ENOMEM;
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RO, &d), -ENOMEM);
	m.reg_ret = 0;
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d), 0);
	drop(&exp);
}

static void window__desc_and_bind_over_the_whole_export(void **state)
{
	struct daxmr_export_env mw_env = env;
	struct daxmr_export_cfg cfg = { .name = "db", .path = "/mnt/pmem/f" };
	struct daxmr_export *exp = NULL;
	struct daxmr_proto_desc d;
	struct ibv_mw_bind_info b;

	(void)state;
	reset();
	mw_env.mw = true;
	mw_env.devname = "rxe0";
	assert_int_equal(daxmr_export_new(&cfg, 3, &mw_env, &exp), 0);
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RW, 0, &d, &b), -EAGAIN);
	assert_int_equal(daxmr_export_establish(exp), 0);
	/* windows are bound over this MR: it needs MW_BIND (ODP MRs too) */
	assert_int_equal(m.last_reg_access, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
						    IBV_ACCESS_REMOTE_READ | IBV_ACCESS_MW_BIND);
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RW, 0, &d, &b), 0);
	assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MW);
	assert_int_equal(d.generation, 1);
	assert_int_equal(d.access, DAXMR_PROTO_ACCESS_RW);
	assert_int_equal(d.length, 4 * MIB);
	assert_ptr_equal(b.mr, &fake_mrs[0]);
	assert_int_equal(b.addr, (uint64_t)(uintptr_t)FAKE_ADDR);
	assert_int_equal(b.length, 4 * MIB); /* the whole export: rxe enforces no bounds */
	assert_int_equal(b.mw_access_flags, IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RO, 0, &d, &b), 0);
	assert_int_equal(b.mw_access_flags, IBV_ACCESS_REMOTE_READ);
	assert_ptr_equal(b.mr, &fake_mrs[0]); /* no second MR for ro: the window has no write */
	assert_int_equal(m.reg_calls, 1);
	daxmr_export_window_failed(exp, "test");
	daxmr_export_window_failed(exp, "test"); /* logged once */
	assert_int_equal(daxmr_export_revoke_begin(exp), 0);
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RO, 0, &d, &b), -EAGAIN);
	assert_int_equal(daxmr_export_release(exp), 0);
	drop(&exp);
}

static void window__unsupported_EOPNOTSUPP_and_ro_EACCES(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_proto_desc d;
	struct ibv_mw_bind_info b;

	(void)state;
	reset();
	exp = make("db", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(m.last_reg_access & IBV_ACCESS_MW_BIND, 0); /* no windows: no flag */
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RW, 0, &d, &b), -EOPNOTSUPP);
	drop(&exp);
	exp = make("ro", true);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RW, 0, &d, &b), -EACCES);
	drop(&exp);
}

static void window__ro_export_MR_key_no_MW_BIND(void **state)
{
	struct daxmr_export_env mw_env = env;
	struct daxmr_export_cfg cfg = { .name = "ro", .path = "/mnt/pmem/f", .ro = true };
	struct daxmr_export *exp = NULL;
	struct daxmr_proto_desc d;
	struct ibv_mw_bind_info b;

	(void)state;
	reset();
	mw_env.mw = true;
	assert_int_equal(daxmr_export_new(&cfg, 3, &mw_env, &exp), 0);
	assert_int_equal(daxmr_export_establish(exp), 0);
	/* MW_BIND pins writable: a read-only mapping would fail with EFAULT */
	assert_int_equal(m.last_reg_access, IBV_ACCESS_REMOTE_READ);
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RO, 0, &d, &b), -EOPNOTSUPP);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RO, &d), 0);
	assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MR);
	drop(&exp);
}

static void state_machine__revoke_release_reestablish(void **state)
{
	struct daxmr_export *exp;
	struct daxmr_proto_desc d1, d2;
	struct daxmr_proto_export e;

	(void)state;
	reset();
	exp = make("db", false);
	assert_int_equal(daxmr_export_revoke_begin(exp), -EBUSY); /* CONFIGURED */
	assert_int_equal(daxmr_export_release(exp), -EBUSY);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d1), 0);
	assert_int_equal(daxmr_export_release(exp), -EBUSY); /* AVAILABLE: revoke first */
	assert_int_equal(daxmr_export_revoke_begin(exp), 0);
	assert_int_equal(daxmr_export_state(exp), DAXMR_EXPORT_REVOKING);
	assert_int_equal(daxmr_export_revoke_begin(exp), -EBUSY);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d2), -EAGAIN);
	assert_int_equal(daxmr_export_entry(exp, &e), 0);      /* still listed while revoking */
	assert_int_equal(daxmr_export_flush(exp, 0, 4096), 0); /* and still mapped */
	assert_int_equal(daxmr_export_establish(exp), -EBUSY);
	m.trace[0] = '\0';
	assert_int_equal(daxmr_export_release(exp), 0);
	assert_string_equal(m.trace, "dereg,unmap,unlock,close");
	assert_int_equal(daxmr_export_state(exp), DAXMR_EXPORT_RELEASED);
	assert_int_equal(daxmr_export_fd(exp), -1);
	assert_int_equal(daxmr_export_entry(exp, &e), -EAGAIN);
	assert_int_equal(daxmr_export_flush(exp, 0, 4096), -EAGAIN);
	no_leaks();
	assert_int_equal(daxmr_export_generation(exp), 1);
	assert_int_equal(daxmr_export_backoff_ms(exp), DAXMR_EXPORT_BACKOFF_MIN_MS);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_generation(exp), 2);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d2), 0);
	assert_int_equal(d2.generation, 2);
	assert_int_not_equal(d2.rkey, d1.rkey); /* a new registration: a new key */
	drop(&exp);
}

static void backoff__doubles_caps_and_resets(void **state)
{
	static const unsigned int want[] = { 100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000 };
	struct daxmr_export *exp;
	size_t i;

	(void)state;
	reset();
	exp = make("db", false);
	m.open_errno = EWOULDBLOCK;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		establish_fails(exp, -EWOULDBLOCK);
		assert_int_equal(daxmr_export_backoff_ms(exp), want[i]);
	}
	assert_int_equal(daxmr_export_generation(exp), 0);
	m.open_errno = 0;
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_generation(exp), 1);
	assert_int_equal(daxmr_export_backoff_ms(exp), 100);
	assert_int_equal(daxmr_export_revoke_begin(exp), 0);
	assert_int_equal(daxmr_export_release(exp), 0);
	m.lease_take_ret = -EAGAIN; /* the breaker still has it open */
	establish_fails(exp, -EAGAIN);
	assert_int_equal(daxmr_export_backoff_ms(exp), 100);
	establish_fails(exp, -EAGAIN);
	assert_int_equal(daxmr_export_backoff_ms(exp), 200);
	m.lease_take_ret = 0;
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_generation(exp), 2); /* failures do not use generations */
	drop(&exp);
}

static void establish__open_fails(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.open_errno = ENOENT;
	establish_fails(exp, -ENOENT);
	assert_string_equal(m.trace, "open");
	drop(&exp);
}

static void establish__fcntl_setfl_fails(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.setfl_errno = EBADF;
	establish_fails(exp, -EBADF);
	assert_string_equal(m.trace, "open,close");
	drop(&exp);
}

static void establish__fstat_fails(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.fstat_errno = EIO;
	establish_fails(exp, -EIO);
	assert_string_equal(m.trace, "open,close");
	drop(&exp);
}

static void establish__not_regular_ENODEV(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.mode = S_IFDIR | 0700;
	establish_fails(exp, -ENODEV);
	drop(&exp);
}

static void establish__not_owner_EPERM(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.may_lease_ret = -EPERM;
	establish_fails(exp, -EPERM);
	assert_string_equal(m.trace, "open,close"); /* no lease attempted */
	assert_non_null(strstr(daxmr_export_reason(exp), "not our fsuid and no CAP_LEASE"));
	drop(&exp);
}

/* A failing capget is reported as itself, not as "no CAP_LEASE" (clients see this text). */
static void establish__capget_fails_reason_says_so(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.may_lease_ret = -EFAULT; /* daxmr_lease_may_lease passes capget's errno up */
	establish_fails(exp, -EFAULT);
	assert_string_equal(m.trace, "open,close");
	assert_non_null(strstr(daxmr_export_reason(exp), "capget failed (Bad address)"));
	assert_non_null(strstr(daxmr_export_reason(exp), "cannot tell whether we hold CAP_LEASE"));
	assert_null(strstr(daxmr_export_reason(exp), "no CAP_LEASE"));
	drop(&exp);
}

static void establish__lease_fails(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.lease_take_ret = -EAGAIN;
	establish_fails(exp, -EAGAIN);
	assert_string_equal(m.trace, "open,lease,close");
	drop(&exp);
}

static void establish__seal_fails_after_the_lease(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.seal_ret = -ENODATA;
	establish_fails(exp, -ENODATA);
	assert_string_equal(m.trace, "open,lease,seal,unlock,close");
	assert_string_equal(daxmr_export_reason(exp), "hole at offset 8192");
	drop(&exp);
}

static void establish__pmem2_calls_fail(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.src_ret = PMEM2_E_INVALID_FILE_TYPE;
	establish_fails(exp, -ENODEV);
	m.src_ret = 0;
	m.size_ret = -EIO;
	establish_fails(exp, -EIO);
	m.size_ret = 0;
	m.align_ret = PMEM2_E_INVALID_ALIGNMENT_VALUE;
	establish_fails(exp, -EINVAL);
	m.align_ret = 0;
	m.cfg_ret = -ENOMEM;
	establish_fails(exp, -ENOMEM);
	m.cfg_ret = 0;
	m.set_ret = PMEM2_E_GRANULARITY_NOT_SUPPORTED;
	establish_fails(exp, -EOPNOTSUPP);
	m.set_ret = 0;
	m.map_ret = PMEM2_E_NO_ACCESS;
	establish_fails(exp, -EACCES);
	m.map_ret = PMEM2_E_NOSUPP;
	establish_fails(exp, -EOPNOTSUPP);
	m.map_ret = PMEM2_E_MAPPING_EXISTS; /* anything else: EINVAL */
	establish_fails(exp, -EINVAL);
	assert_true(strstr(daxmr_export_reason(exp), "pmem2_map_new") != NULL);
	m.map_ret = 0;
	m.size = 100; /* less than one page */
	establish_fails(exp, -EINVAL);
	drop(&exp);
}

static void establish__fsdax_without_odp_refused(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.reg_ret = -EOPNOTSUPP;
	establish_fails(exp, -EOPNOTSUPP);
	assert_string_equal(m.trace, "open,lease,seal,map,reg,unmap,unlock,close");
	assert_non_null(strstr(daxmr_export_reason(exp), "ODP"));
	assert_non_null(strstr(daxmr_export_reason(exp), "device-DAX"));
	drop(&exp);
}

static void seg_plan__math(void **state)
{
	unsigned int shift = 0;
	uint32_t nseg = 0;

	(void)state;
	assert_int_equal(daxmr_export_seg_plan(1, 0, 0, &shift, &nseg), 0);
	assert_int_equal(shift, DAXMR_PROTO_SEG_SHIFT_MIN); /* never below 4 KiB */
	assert_int_equal(nseg, 1);
	assert_int_equal(daxmr_export_seg_plan(4 * MIB, 0, 0, &shift, &nseg), 0);
	assert_int_equal(shift, 22);
	assert_int_equal(nseg, 1);
	assert_int_equal(daxmr_export_seg_plan(4 * MIB + 1, 0, 0, &shift, &nseg), 0);
	assert_int_equal(shift, 23); /* rounded up: one segment */
	assert_int_equal(nseg, 1);
	assert_int_equal(daxmr_export_seg_plan(4 * GIB, 0, 0, &shift, &nseg), 0);
	assert_int_equal(shift, 32);
	assert_int_equal(nseg, 1);
	assert_int_equal(daxmr_export_seg_plan(4 * GIB, 0, 30, &shift, &nseg), 0);
	assert_int_equal(shift, 30); /* rxe's cap */
	assert_int_equal(nseg, 4);
	assert_int_equal(daxmr_export_seg_plan(6 * GIB + 4096, 0, 30, &shift, &nseg), 0);
	assert_int_equal(nseg, 7); /* the last segment is 4 KiB */
	assert_int_equal(daxmr_export_seg_plan(4 * GIB, 3 * GIB, 0, &shift, &nseg), 0);
	assert_int_equal(shift, 31); /* max_mr_size rounded down to a power of two */
	assert_int_equal(nseg, 2);
	assert_int_equal(daxmr_export_seg_plan(4 * GIB, UINT64_MAX, 0, &shift, &nseg), 0);
	assert_int_equal(shift, 32);
	assert_int_equal(daxmr_export_seg_plan(1ull << 40, 0, 30, &shift, &nseg), 0);
	assert_int_equal(nseg, 1024); /* 1 TiB in 1 GiB segments */
	shift = 99;
	assert_int_equal(daxmr_export_seg_plan(0, 0, 0, &shift, &nseg), -EINVAL);
	assert_int_equal(daxmr_export_seg_plan((uint64_t)DAXMR_EXPORT_NSEG_MAX * 4096 + 1, 0, 12,
					       &shift, &nseg),
			 -EFBIG);
	assert_int_equal(shift, 99); /* untouched on failure */
}

/* The descriptor of a segmented export: whole length, nseg keys, rkey = keys[0]. */
static void assert_segmented(struct daxmr_export *exp, uint64_t length, unsigned int shift,
			     uint32_t nseg)
{
	struct daxmr_proto_desc d;
	uint32_t i;

	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d), 0);
	assert_int_equal(d.length, length);
	assert_int_equal(d.seg_shift, shift);
	assert_int_equal(d.nseg, nseg);
	assert_int_equal(d.nkeys, nseg);
	assert_int_equal(d.rkey, d.keys[0]);
	for (i = 1; i < nseg; i++)
		assert_int_not_equal(d.keys[i], d.keys[i - 1]);
	assert_int_equal(daxmr_export_nseg(exp), nseg);
	assert_int_equal(daxmr_export_flush(exp, length - 1, 1), 0);
	assert_int_equal(daxmr_export_flush(exp, length, 1), -ERANGE);
}

static void establish__reg_ENOMEM_segments_the_whole_export(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	m.size = 2 * GIB - 4096;
	m.reg_max = 1 * GIB; /* rxe pinned: ENOMEM past 1 GiB */
	exp = make("big", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(m.reg_calls, 3); /* 2 GiB refused, then 2 segments of 1 GiB */
	assert_int_equal(m.reg_off[1], 0);
	assert_int_equal(m.reg_off[2], GIB);
	assert_int_equal(m.last_reg_len, GIB - 4096); /* the last segment is shorter */
	assert_int_equal(m.reg_want[1], DAXMR_VERBS_AUTO);
	assert_int_equal(m.reg_want[2], DAXMR_VERBS_ODP); /* segment 0's mode for all */
	assert_int_equal(m.live_mrs, 2);
	assert_segmented(exp, 2 * GIB - 4096, 30, 2);
	drop(&exp); /* every segment deregistered */
}

static void establish__reg_EINVAL_segments_the_whole_export(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	m.size = 4 * GIB;
	m.reg_max = 1984 * MIB; /* rxe ODP: EINVAL past 1984 MiB */
	m.reg_max_err = -EINVAL;
	exp = make("big", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(m.reg_calls, 2 + 4); /* 4 GiB, 2 GiB refused; then 4 x 1 GiB */
	assert_segmented(exp, 4 * GIB, 30, 4);
	drop(&exp);
}

static void establish__seg_shift_cap_first(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	m.size = 6 * GIB;
	tenv.seg_shift_cap = DAXMR_EXPORT_RXE_SEG_SHIFT;
	exp = make("big", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(m.reg_calls, 6); /* no refused attempt first */
	assert_segmented(exp, 6 * GIB, 30, 6);
	drop(&exp);
}

static void establish__later_segment_fails_no_halving_no_retry(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	m.size = 4 * GIB;
	tenv.seg_shift_cap = 30;
	m.reg_fail_call = 3; /* segment 2: not the size, which segments 0 and 1 had */
	exp = make("big", false);
	establish_fails(exp, -ENOMEM);
	assert_int_equal(m.reg_calls, 3);
	assert_non_null(strstr(daxmr_export_reason(exp), "segment 2"));
	assert_false(daxmr_export_retries(exp));
	assert_true(daxmr_export_down(exp));
	drop(&exp);
}

static void establish__reg_ENOMEM_small_or_never_fits(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	m.reg_ret = -ENOMEM; /* RLIMIT_MEMLOCK on a small file: no halving */
	exp = make("small", false);
	establish_fails(exp, -ENOMEM);
	assert_int_equal(m.reg_calls, 1);
	assert_false(daxmr_export_retries(exp));
	drop(&exp);
	reset();
	m.size = 2 * GIB;
	m.reg_ret = -EINVAL; /* never fits: gives up at the 16 MiB floor */
	exp = make("big", false);
	establish_fails(exp, -EINVAL);
	assert_int_equal(m.last_reg_len, 16 * MIB);
	assert_int_equal(m.reg_calls, 31 - 24 + 1);
	assert_false(daxmr_export_retries(exp));
	assert_true(daxmr_export_down(exp));
	drop(&exp);
	reset();
	m.reg_ret = -EIO; /* not a size problem: no halving */
	m.size = 2 * GIB;
	exp = make("big", false);
	establish_fails(exp, -EIO);
	assert_int_equal(m.reg_calls, 1);
	drop(&exp);
}

static void desc__ro_open_of_segmented_export_and_keys(void **state)
{
	struct daxmr_proto_keys_reply kr;
	struct daxmr_proto_desc d;
	struct daxmr_export *exp;
	struct ibv_mw_bind_info bind;
	struct ibv_mr *seg_mr[3];
	uint32_t i;

	(void)state;
	reset();
	m.size = 3 * GIB;
	tenv.seg_shift_cap = 30;
	tenv.mw = true;
	exp = make("big", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	/* several segments: a window per segment, each over its segment's MR */
	for (i = 0; i < 3; i++) {
		assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RW, i, &d, &bind), 0);
		assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MW);
		assert_int_equal(d.nseg, 3);
		assert_int_equal(d.nkeys, 3);
		assert_int_equal(d.rkey, 0);
		assert_ptr_equal(bind.mr, seg_mr[i] = bind.mr);
		assert_int_equal(bind.addr, (uint64_t)(uintptr_t)FAKE_ADDR + i * GIB);
		assert_int_equal(bind.length, GIB);
		assert_true(i == 0 || seg_mr[i] != seg_mr[i - 1]);
	}
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RW, 3, &d, &bind), -ERANGE);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RO, &d), 0);
	assert_int_equal(m.reg_calls, 6); /* three read-only segments */
	assert_int_equal(m.last_reg_access, IBV_ACCESS_REMOTE_READ);
	assert_int_equal(d.nseg, 3);
	assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MR);
	assert_int_equal(daxmr_export_keys(exp, DAXMR_PROTO_ACCESS_RO, 1, &kr), 0);
	assert_int_equal(kr.first, 1);
	assert_int_equal(kr.count, 2);
	assert_int_equal(kr.keys[0], d.keys[1]);
	assert_int_equal(kr.keys[1], d.keys[2]);
	assert_int_equal(daxmr_export_keys(exp, DAXMR_PROTO_ACCESS_RW, 2, &kr), 0);
	assert_int_equal(kr.count, 1);
	assert_int_not_equal(kr.keys[0], d.keys[2]); /* the rw segment's key */
	assert_int_equal(daxmr_export_keys(exp, DAXMR_PROTO_ACCESS_RW, 3, &kr), -ERANGE);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RO, &d), 0);
	assert_int_equal(m.reg_calls, 6); /* once */
	assert_int_equal(m.live_mrs, 6);
	assert_int_equal(daxmr_export_revoke_begin(exp), 0);
	assert_int_equal(daxmr_export_keys(exp, DAXMR_PROTO_ACCESS_RW, 0, &kr), 0);
	assert_int_equal(daxmr_export_release(exp), 0);
	assert_int_equal(m.live_mrs, 0); /* all six gone before the unmap */
	assert_int_equal(daxmr_export_keys(exp, DAXMR_PROTO_ACCESS_RW, 0, &kr), -EAGAIN);
	drop(&exp);
}

static void window__more_segments_than_windows_MR_keys(void **state)
{
	struct ibv_mw_bind_info bind;
	struct daxmr_proto_desc d;
	struct daxmr_export *exp;

	(void)state;
	reset();
	m.size = (DAXMR_EXPORT_MW_SEGS_MAX + 1) * GIB;
	tenv.seg_shift_cap = 30;
	tenv.mw = true;
	exp = make("big", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_nseg(exp), DAXMR_EXPORT_MW_SEGS_MAX + 1);
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RW, 0, &d, &bind),
			 -EOPNOTSUPP);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d), 0);
	assert_int_equal(d.key_kind, DAXMR_PROTO_KEY_MR);
	drop(&exp);
}

static void establish__atomic_access_and_flag(void **state)
{
	struct ibv_mw_bind_info bind;
	struct daxmr_proto_desc d;
	struct daxmr_export *exp;

	(void)state;
	reset();
	tenv.atomic = true;
	tenv.mw = true;
	exp = make("db", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_true(m.last_reg_access & IBV_ACCESS_REMOTE_ATOMIC);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d), 0);
	assert_int_equal(d.flags, DAXMR_PROTO_DESC_F_ATOMIC);
	assert_int_equal(daxmr_export_window(exp, DAXMR_PROTO_ACCESS_RW, 0, &d, &bind), 0);
	assert_true(bind.mw_access_flags & IBV_ACCESS_REMOTE_ATOMIC);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RO, &d), 0);
	assert_int_equal(d.flags, 0); /* a ro descriptor never allows atomics */
	assert_false(m.last_reg_access & IBV_ACCESS_REMOTE_ATOMIC);
	drop(&exp);
	reset();
	tenv.atomic = true;
	m.reg_atomic_err = -EINVAL; /* the device refuses atomic access on it: without */
	exp = make("db", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(m.reg_calls, 2);
	assert_false(m.last_reg_access & IBV_ACCESS_REMOTE_ATOMIC);
	assert_int_equal(daxmr_export_desc(exp, DAXMR_PROTO_ACCESS_RW, &d), 0);
	assert_int_equal(d.flags, 0);
	drop(&exp);
	reset();
	tenv.atomic = true;
	exp = make("db", true); /* ro export: no atomics */
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_false(m.last_reg_access & IBV_ACCESS_REMOTE_ATOMIC);
	drop(&exp);
}

static void down__transient_or_not(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	m.open_errno = EWOULDBLOCK; /* another lease holder: passes */
	exp = make("db", false);
	establish_fails(exp, -EWOULDBLOCK);
	assert_false(daxmr_export_down(exp));
	assert_true(daxmr_export_retries(exp));
	m.open_errno = 0;
	m.seal_ret = -ENODATA; /* a hole: down until the file changes, still retried */
	establish_fails(exp, -ENODATA);
	assert_true(daxmr_export_down(exp));
	assert_true(daxmr_export_retries(exp));
	assert_string_equal(daxmr_export_reason(exp), "hole at offset 8192");
	m.seal_ret = 0;
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_false(daxmr_export_down(exp));
	drop(&exp);
}

static void establish__gate_refuses(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	m.gate_ret = -EIO;
	establish_fails(exp, -EIO);
	assert_string_equal(m.trace, "open,lease,seal,map,reg,dereg,unmap,unlock,close");
	assert_non_null(strstr(daxmr_export_reason(exp), "fake0"));
	assert_int_equal(daxmr_export_generation(exp), 0);
	drop(&exp);
}

static void release__errors_still_complete(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_revoke_begin(exp), 0);
	m.map_delete_ret = -EINVAL;
	m.lease_release_ret = -EBADF;
	m.close_errno = EIO;
	m.trace[0] = '\0';
	assert_int_equal(daxmr_export_release(exp), -EINVAL);
	assert_string_equal(m.trace, "dereg,unmap,unlock,close");
	assert_int_equal(daxmr_export_state(exp), DAXMR_EXPORT_RELEASED);
	m.close_errno = 0;
	drop(&exp);
}

static void flush__ranges(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	exp = make("db", false);
	assert_int_equal(daxmr_export_flush(exp, 0, 1), -EAGAIN);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_flush(exp, 100, 50), 0);
	assert_ptr_equal(m.persisted, (char *)FAKE_ADDR + 100);
	assert_int_equal(m.persisted_len, 50);
	m.persisted = NULL;
	assert_int_equal(daxmr_export_flush(exp, 4 * MIB, 0), 0); /* empty at the end: no-op */
	assert_null(m.persisted);
	assert_int_equal(daxmr_export_flush(exp, 4 * MIB - 1, 2), -ERANGE);
	assert_int_equal(daxmr_export_flush(exp, 4 * MIB + 1, 0), -ERANGE);
	assert_int_equal(daxmr_export_flush(exp, UINT64_MAX, 2), -ERANGE);
	assert_int_equal(daxmr_export_flush(exp, 2, UINT64_MAX), -ERANGE);
	assert_null(m.msync_addr);
	drop(&exp);
}

static void flush__page_cache_msyncs_pages(void **state)
{
	struct daxmr_export *exp;

	(void)state;
	reset();
	m.seal_mem = DAXMR_SEAL_MEM_PAGE_CACHE;
	m.gran = PMEM2_GRANULARITY_PAGE;
	exp = make("pc", false);
	assert_int_equal(daxmr_export_establish(exp), 0);
	assert_int_equal(daxmr_export_flush(exp, 5000, 100), 0);
	assert_ptr_equal(m.msync_addr, (char *)FAKE_ADDR + 4096);
	assert_int_equal(m.msync_len, 5100 - 4096);
	assert_null(m.persisted);
	m.msync_errno = EIO;
	assert_int_equal(daxmr_export_flush(exp, 0, 1), -EIO);
	drop(&exp);
}

static void state_str__all(void **state)
{
	(void)state;
	assert_string_equal(daxmr_export_state_str(DAXMR_EXPORT_CONFIGURED), "configured");
	assert_string_equal(daxmr_export_state_str(DAXMR_EXPORT_AVAILABLE), "available");
	assert_string_equal(daxmr_export_state_str(DAXMR_EXPORT_REVOKING), "revoking");
	assert_string_equal(daxmr_export_state_str(DAXMR_EXPORT_RELEASED), "released");
	assert_string_equal(daxmr_export_state_str(DAXMR_EXPORT_UNAVAILABLE), "unavailable");
	assert_string_equal(daxmr_export_state_str((enum daxmr_export_state)9), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new__bad_names),
		cmocka_unit_test(establish__fsdax_ok_in_order),
		cmocka_unit_test(establish__page_cache_reports_page_granularity),
		cmocka_unit_test(establish__devdax_has_no_lease),
		cmocka_unit_test(establish__ro_export),
		cmocka_unit_test(desc__ro_open_of_rw_export_gets_second_mr_once),
		cmocka_unit_test(desc__ro_mr_registration_fails),
		cmocka_unit_test(window__desc_and_bind_over_the_whole_export),
		cmocka_unit_test(window__unsupported_EOPNOTSUPP_and_ro_EACCES),
		cmocka_unit_test(window__ro_export_MR_key_no_MW_BIND),
		cmocka_unit_test(state_machine__revoke_release_reestablish),
		cmocka_unit_test(backoff__doubles_caps_and_resets),
		cmocka_unit_test(establish__open_fails),
		cmocka_unit_test(establish__fcntl_setfl_fails),
		cmocka_unit_test(establish__capget_fails_reason_says_so),
		cmocka_unit_test(establish__fstat_fails),
		cmocka_unit_test(establish__not_regular_ENODEV),
		cmocka_unit_test(establish__not_owner_EPERM),
		cmocka_unit_test(establish__lease_fails),
		cmocka_unit_test(establish__seal_fails_after_the_lease),
		cmocka_unit_test(establish__pmem2_calls_fail),
		cmocka_unit_test(establish__fsdax_without_odp_refused),
		cmocka_unit_test(seg_plan__math),
		cmocka_unit_test(establish__reg_ENOMEM_segments_the_whole_export),
		cmocka_unit_test(establish__reg_EINVAL_segments_the_whole_export),
		cmocka_unit_test(establish__seg_shift_cap_first),
		cmocka_unit_test(establish__later_segment_fails_no_halving_no_retry),
		cmocka_unit_test(establish__reg_ENOMEM_small_or_never_fits),
		cmocka_unit_test(desc__ro_open_of_segmented_export_and_keys),
		cmocka_unit_test(window__more_segments_than_windows_MR_keys),
		cmocka_unit_test(establish__atomic_access_and_flag),
		cmocka_unit_test(down__transient_or_not),
		cmocka_unit_test(establish__gate_refuses),
		cmocka_unit_test(release__errors_still_complete),
		cmocka_unit_test(flush__ranges),
		cmocka_unit_test(flush__page_cache_msyncs_pages),
		cmocka_unit_test(state_str__all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
