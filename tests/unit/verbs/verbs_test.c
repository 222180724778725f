/* SPDX-License-Identifier: BSD-3-Clause */
/* verbs_test.c -- unit tests of verbs: registration pinned / ODP / auto, advise, ODP caps */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "log.h"
#include "verbs.h"

#define ACCESS_RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)
#define PINNED_LKEY 0x111u
#define ODP_LKEY 0x222u
#define FAKE_ADDR ((void *)(uintptr_t)0x7f0000000000ull)
#define FAKE_LEN (1u << 20)

/* What the fakes do and saw; zeroed before every test. */
static struct {
	int pinned_err;	      /* a pinned ibv_reg_mr fails with this errno (0: succeeds) */
	int odp_err;	      /* an ODP ibv_reg_mr fails with this errno */
	bool reg_no_errno;    /* a failing ibv_reg_mr leaves errno 0 */
	int pinned_calls, odp_calls;
	int live_mrs;	      /* registered minus deregistered */
	int query_err;	      /* query_device_ex op returns this */
	int query_calls;
	int legacy_calls;
	uint64_t general_caps;
	uint32_t rc_odp_caps;
	int advise_err;	      /* advise_mr op returns this */
	int advise_calls;
	enum ibv_advise_mr_advice advice;
	uint32_t advise_flags;
	size_t advised_bytes;
	bool memlock_unlimited;
	char log[4096];	      /* every line logged, concatenated */
} mock;

static struct verbs_context fake_vctx;
static struct ibv_device fake_dev;
static struct ibv_pd fake_pd;
static struct ibv_mr pinned_mr = { .lkey = PINNED_LKEY, .rkey = PINNED_LKEY };
static struct ibv_mr odp_mr = { .lkey = ODP_LKEY, .rkey = ODP_LKEY };

#undef ibv_reg_mr
struct ibv_mr *__wrap_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access);
struct ibv_mr *__wrap_ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length,
				       uint64_t iova, unsigned int access);
int __wrap_ibv_dereg_mr(struct ibv_mr *mr);
const char *__wrap_ibv_get_device_name(struct ibv_device *device);
int __wrap_ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr);
int __wrap_getrlimit(int resource, struct rlimit *rl);
void __wrap_daxmr_log(enum daxmr_log_level level, const char *fmt, ...);

/* Both registration entry points (the header's macro picks one by constness) come here. */
static struct ibv_mr *fake_reg(struct ibv_pd *pd, void *addr, size_t length, unsigned int access)
{
	bool odp = access & IBV_ACCESS_ON_DEMAND;
	int err = odp ? mock.odp_err : mock.pinned_err;

	assert_ptr_equal(pd, &fake_pd);
	assert_ptr_equal(addr, FAKE_ADDR);
	assert_true(length > 0);
	/* the caller's access bits are kept; ODP only adds IBV_ACCESS_ON_DEMAND */
	assert_true((access & ~(unsigned int)IBV_ACCESS_ON_DEMAND) != 0);
	if (odp)
		mock.odp_calls++;
	else
		mock.pinned_calls++;
	if (err) {
		errno = mock.reg_no_errno ? 0 : err;
		return NULL;
	}
	mock.live_mrs++;
	return odp ? &odp_mr : &pinned_mr;
}

struct ibv_mr *__wrap_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	return fake_reg(pd, addr, length, (unsigned int)access);
}

struct ibv_mr *__wrap_ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length,
				       uint64_t iova, unsigned int access)
{
	assert_int_equal(iova, (uintptr_t)addr);
	return fake_reg(pd, addr, length, access);
}

int __wrap_ibv_dereg_mr(struct ibv_mr *mr)
{
	assert_true(mr == &pinned_mr || mr == &odp_mr);
	mock.live_mrs--;
	return 0;
}

const char *__wrap_ibv_get_device_name(struct ibv_device *device)
{
	assert_ptr_equal(device, &fake_dev);
	return "rxe0";
}

/* ibv_query_device_ex falls back to this when the op says EOPNOTSUPP/ENOSYS. */
int __wrap_ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr)
{
	assert_ptr_equal(context, &fake_vctx.context);
	memset(attr, 0, sizeof(*attr));
	mock.legacy_calls++;
	return 0;
}

int __wrap_getrlimit(int resource, struct rlimit *rl)
{
	assert_int_equal(resource, RLIMIT_MEMLOCK);
	rl->rlim_cur = mock.memlock_unlimited ? RLIM_INFINITY : 65536;
	rl->rlim_max = rl->rlim_cur;
	return 0;
}

void __wrap_daxmr_log(enum daxmr_log_level level, const char *fmt, ...)
{
	size_t n = strlen(mock.log);
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(mock.log + n, sizeof(mock.log) - n, fmt, ap);
	va_end(ap);
	n = strlen(mock.log);
	if (n + 1 < sizeof(mock.log))
		strcat(mock.log, "\n");
}

/* The static-inline ibv_query_device_ex lands here through the fake context's ops. */
static int fake_query_device_ex(struct ibv_context *context,
				const struct ibv_query_device_ex_input *input,
				struct ibv_device_attr_ex *attr, size_t attr_size)
{
	assert_ptr_equal(context, &fake_vctx.context);
	assert_null(input);
	assert_int_equal(attr_size, sizeof(*attr));
	mock.query_calls++;
	if (mock.query_err)
		return mock.query_err;
	attr->odp_caps.general_caps = mock.general_caps;
	attr->odp_caps.per_transport_caps.rc_odp_caps = mock.rc_odp_caps;
	return 0;
}

/* The static-inline ibv_advise_mr lands here: it must only ever see the ODP MR. */
static int fake_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice, uint32_t flags,
			  struct ibv_sge *sg_list, uint32_t num_sge)
{
	assert_ptr_equal(pd, &fake_pd);
	assert_int_equal(num_sge, 1);
	/* rxe can crash advising a pinned MR: this is the test that it never happens */
	assert_int_equal(sg_list[0].lkey, ODP_LKEY);
	assert_int_not_equal(sg_list[0].lkey, PINNED_LKEY);
	assert_int_equal(sg_list[0].addr, (uintptr_t)FAKE_ADDR + mock.advised_bytes);
	mock.advise_calls++;
	mock.advice = advice;
	mock.advise_flags = flags;
	if (mock.advise_err)
		return mock.advise_err;
	mock.advised_bytes += sg_list[0].length;
	return 0;
}

/* Fresh fakes: a device with full RC ODP caps whose advise works. */
static int setup(void **state)
{
	(void)state;
	memset(&mock, 0, sizeof(mock));
	memset(&fake_vctx, 0, sizeof(fake_vctx));
	fake_vctx.sz = sizeof(fake_vctx);
	fake_vctx.query_device_ex = fake_query_device_ex;
	fake_vctx.advise_mr = fake_advise_mr;
	fake_vctx.context.abi_compat = __VERBS_ABI_IS_EXTENDED;
	fake_vctx.context.device = &fake_dev;
	fake_pd.context = &fake_vctx.context;
	mock.general_caps = IBV_ODP_SUPPORT;
	mock.rc_odp_caps = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV | IBV_ODP_SUPPORT_WRITE |
			   IBV_ODP_SUPPORT_READ;
	return 0;
}

/* Calls daxmr_verbs_reg with the fakes; *mr and *got start as sentinels. */
static int reg(enum daxmr_verbs_mode want, int access, size_t len, struct ibv_mr **mr,
	       enum daxmr_verbs_mode *got)
{
	*mr = (struct ibv_mr *)(uintptr_t)0xdead;
	*got = (enum daxmr_verbs_mode)99;
	return daxmr_verbs_reg(&fake_pd, FAKE_ADDR, len, access, want, "export db (/mnt/pmem/db.img)",
			       mr, got);
}

/* Checks a failed registration left the out-parameters and no MR behind. */
static void assert_untouched(struct ibv_mr *mr, enum daxmr_verbs_mode got)
{
	assert_ptr_equal(mr, (struct ibv_mr *)(uintptr_t)0xdead);
	assert_int_equal(got, 99);
	assert_int_equal(mock.live_mrs, 0);
}

static void verbs_mode_str__all(void **state)
{
	(void)state;
	assert_string_equal(daxmr_verbs_mode_str(DAXMR_VERBS_PINNED), "pinned");
	assert_string_equal(daxmr_verbs_mode_str(DAXMR_VERBS_ODP), "ODP");
	assert_string_equal(daxmr_verbs_mode_str(DAXMR_VERBS_AUTO), "auto");
	assert_string_equal(daxmr_verbs_mode_str((enum daxmr_verbs_mode)7), "unknown");
}

static void verbs_odp_caps__rc_read_write(void **state)
{
	bool odp = false;

	(void)state;
	assert_int_equal(daxmr_verbs_odp_caps(&fake_vctx.context, &odp), 0);
	assert_true(odp);
	assert_int_equal(mock.query_calls, 1);
}

static void verbs_odp_caps__no_general_support(void **state)
{
	bool odp = true;

	(void)state;
	mock.general_caps = 0;
	assert_int_equal(daxmr_verbs_odp_caps(&fake_vctx.context, &odp), 0);
	assert_false(odp);
}

static void verbs_odp_caps__rc_write_only(void **state)
{
	bool odp = true;

	(void)state;
	mock.rc_odp_caps = IBV_ODP_SUPPORT_WRITE;
	assert_int_equal(daxmr_verbs_odp_caps(&fake_vctx.context, &odp), 0);
	assert_false(odp);
}

static void verbs_odp_caps__query_device_ex_EIO(void **state)
{
	bool odp = true;

	(void)state;
	mock.query_err = EIO;
	assert_int_equal(daxmr_verbs_odp_caps(&fake_vctx.context, &odp), -EIO);
	assert_true(odp); /* untouched */
	assert_non_null(strstr(mock.log, "ibv_query_device_ex: rxe0"));
}

static void verbs_odp_caps__query_device_ex_EOPNOTSUPP_legacy(void **state)
{
	bool odp = true;

	(void)state;
	mock.query_err = EOPNOTSUPP; /* the inline falls back to ibv_query_device: no ODP there */
	assert_int_equal(daxmr_verbs_odp_caps(&fake_vctx.context, &odp), 0);
	assert_false(odp);
	assert_int_equal(mock.legacy_calls, 1);
}

static void verbs_reg__pinned_ok(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	assert_int_equal(reg(DAXMR_VERBS_PINNED, ACCESS_RW, FAKE_LEN, &mr, &got), 0);
	assert_ptr_equal(mr, &pinned_mr);
	assert_int_equal(got, DAXMR_VERBS_PINNED);
	assert_int_equal(mock.advise_calls, 0);
	assert_int_equal(mock.query_calls, 0);
}

static void verbs_reg__auto_pinned_ok(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), 0);
	assert_ptr_equal(mr, &pinned_mr);
	assert_int_equal(got, DAXMR_VERBS_PINNED);
	assert_int_equal(mock.odp_calls, 0);
	assert_int_equal(mock.advise_calls, 0); /* never advise a pinned MR */
}

static void verbs_reg__auto_pinned_EOPNOTSUPP_odp_ok(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EOPNOTSUPP;
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), 0);
	assert_ptr_equal(mr, &odp_mr);
	assert_int_equal(got, DAXMR_VERBS_ODP);
	assert_int_equal(mock.pinned_calls, 1);
	assert_int_equal(mock.odp_calls, 1);
	assert_int_equal(mock.advise_calls, 1);
	assert_int_equal(mock.advice, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE);
	assert_int_equal(mock.advise_flags, IBV_ADVISE_MR_FLAG_FLUSH);
	assert_int_equal(mock.advised_bytes, FAKE_LEN);
	assert_int_equal(mock.live_mrs, 1);
}

static void verbs_reg__auto_pinned_EFAULT_odp_ok(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EFAULT; /* a writable page-cache file mapping on Linux 7.x */
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), 0);
	assert_ptr_equal(mr, &odp_mr);
	assert_int_equal(got, DAXMR_VERBS_ODP);
}

static void verbs_reg__want_odp_ok(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	assert_int_equal(reg(DAXMR_VERBS_ODP, ACCESS_RW, FAKE_LEN, &mr, &got), 0);
	assert_ptr_equal(mr, &odp_mr);
	assert_int_equal(got, DAXMR_VERBS_ODP);
	assert_int_equal(mock.pinned_calls, 0);
	assert_int_equal(mock.advise_calls, 1);
}

static void verbs_reg__odp_read_only_prefetch(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	assert_int_equal(reg(DAXMR_VERBS_ODP, IBV_ACCESS_REMOTE_READ, FAKE_LEN, &mr, &got), 0);
	assert_int_equal(mock.advice, IBV_ADVISE_MR_ADVICE_PREFETCH);
}

static void verbs_reg__odp_large_prefetch_in_chunks(void **state)
{
	const size_t len = (5ull << 30) / 2; /* 2.5 GiB: more than one 32-bit sge length */
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	assert_int_equal(reg(DAXMR_VERBS_ODP, ACCESS_RW, len, &mr, &got), 0);
	assert_int_equal(mock.advise_calls, 3);
	assert_int_equal(mock.advised_bytes, len);
}

static void verbs_reg__advise_EOPNOTSUPP_tolerated(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EOPNOTSUPP;
	mock.advise_err = EOPNOTSUPP; /* rdma-core 44's rxe provider */
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), 0);
	assert_ptr_equal(mr, &odp_mr);
	assert_int_equal(got, DAXMR_VERBS_ODP);
	assert_int_equal(mock.live_mrs, 1);
	assert_non_null(strstr(mock.log, "first accesses will fault"));
}

static void verbs_reg__advise_op_missing_tolerated(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	fake_vctx.advise_mr = NULL; /* the inline then says EOPNOTSUPP itself */
	assert_int_equal(reg(DAXMR_VERBS_ODP, ACCESS_RW, FAKE_LEN, &mr, &got), 0);
	assert_ptr_equal(mr, &odp_mr);
	assert_int_equal(mock.advise_calls, 0);
}

static void verbs_reg__advise_ENOSYS_tolerated(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.advise_err = ENOSYS;
	assert_int_equal(reg(DAXMR_VERBS_ODP, ACCESS_RW, FAKE_LEN, &mr, &got), 0);
	assert_ptr_equal(mr, &odp_mr);
}

static void verbs_reg__advise_EFAULT(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.advise_err = EFAULT;
	assert_int_equal(reg(DAXMR_VERBS_ODP, ACCESS_RW, FAKE_LEN, &mr, &got), -EFAULT);
	assert_untouched(mr, got); /* the ODP MR was deregistered */
	assert_non_null(strstr(mock.log, "ibv_advise_mr"));
}

static void verbs_reg__auto_no_odp_caps(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EOPNOTSUPP;
	mock.rc_odp_caps = 0; /* Linux 6.1's rxe */
	mock.general_caps = 0;
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), -EOPNOTSUPP);
	assert_untouched(mr, got);
	assert_int_equal(mock.odp_calls, 0);
	assert_non_null(strstr(mock.log,
			       "export db (/mnt/pmem/db.img): cannot register: fs-DAX memory cannot "
			       "be pinned and rxe0 has no On-Demand Paging (needs rxe on Linux >= "
			       "6.15, or mlx5); export a devdax device instead"));
}

static void verbs_reg__auto_EFAULT_no_odp_caps(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EFAULT;
	mock.general_caps = 0;
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), -EFAULT);
	assert_untouched(mr, got);
	assert_non_null(strstr(mock.log, "cannot be pinned (EFAULT"));
	assert_non_null(strstr(mock.log, "rxe0 has no On-Demand Paging"));
}

/* A read-only mapping that will not pin (rxe on Linux 6.1): the message says so. */
static void verbs_reg__auto_EFAULT_read_only_no_odp_caps(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EFAULT;
	mock.general_caps = 0;
	assert_int_equal(reg(DAXMR_VERBS_AUTO, IBV_ACCESS_REMOTE_READ, FAKE_LEN, &mr, &got),
			 -EFAULT);
	assert_untouched(mr, got);
	assert_non_null(strstr(mock.log, "refuses to pin this read-only mapping (EFAULT"));
	assert_null(strstr(mock.log, "writable long-term pins"));
}

static void verbs_reg__want_odp_no_caps(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.rc_odp_caps = IBV_ODP_SUPPORT_READ;
	assert_int_equal(reg(DAXMR_VERBS_ODP, ACCESS_RW, FAKE_LEN, &mr, &got), -EOPNOTSUPP);
	assert_untouched(mr, got);
	assert_int_equal(mock.pinned_calls + mock.odp_calls, 0);
	assert_non_null(strstr(mock.log, "rxe0 has no RC READ/WRITE ODP"));
}

static void verbs_reg__odp_reg_ENOMEM(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EOPNOTSUPP;
	mock.odp_err = ENOMEM;
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), -ENOMEM);
	assert_untouched(mr, got);
	assert_int_equal(mock.advise_calls, 0);
	assert_non_null(strstr(mock.log, "ibv_reg_mr: export db (/mnt/pmem/db.img): rxe0"));
	assert_non_null(strstr(mock.log, ", ODP: "));
}

static void verbs_reg__auto_query_device_ex_EIO(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EOPNOTSUPP;
	mock.query_err = EIO;
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), -EIO);
	assert_untouched(mr, got);
	assert_int_equal(mock.odp_calls, 0);
}

/* One pinned failure that should tell the RLIMIT_MEMLOCK / CAP_IPC_LOCK story. */
static void check_memlock(int err, bool unlimited)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	mock.pinned_err = err;
	mock.memlock_unlimited = unlimited;
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), -err);
	assert_untouched(mr, got);
	assert_int_equal(mock.odp_calls, 0); /* not a reason to try ODP */
	assert_non_null(strstr(mock.log, "RLIMIT_MEMLOCK"));
	assert_non_null(strstr(mock.log, unlimited ? "(now unlimited)" : "(now 65536 bytes)"));
	assert_non_null(strstr(mock.log, "CAP_IPC_LOCK"));
}

static void verbs_reg__pinned_ENOMEM_memlock(void **state)
{
	(void)state;
	check_memlock(ENOMEM, false);
}

static void verbs_reg__pinned_EPERM_memlock_unlimited(void **state)
{
	(void)state;
	check_memlock(EPERM, true);
}

static void verbs_reg__pinned_EAGAIN_memlock(void **state)
{
	(void)state;
	check_memlock(EAGAIN, false);
}

static void verbs_reg__want_pinned_EOPNOTSUPP_no_retry(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EOPNOTSUPP;
	assert_int_equal(reg(DAXMR_VERBS_PINNED, ACCESS_RW, FAKE_LEN, &mr, &got), -EOPNOTSUPP);
	assert_untouched(mr, got);
	assert_int_equal(mock.odp_calls + mock.query_calls, 0);
	assert_non_null(strstr(mock.log, "ibv_reg_mr: export db (/mnt/pmem/db.img): rxe0"));
}

static void verbs_reg__auto_pinned_EINVAL_no_retry(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EINVAL;
	assert_int_equal(reg(DAXMR_VERBS_AUTO, ACCESS_RW, FAKE_LEN, &mr, &got), -EINVAL);
	assert_untouched(mr, got);
	assert_int_equal(mock.odp_calls + mock.query_calls, 0);
}

static void verbs_reg__provider_without_errno(void **state)
{
	enum daxmr_verbs_mode got;
	struct ibv_mr *mr;

	(void)state;
	mock.pinned_err = EINVAL;
	mock.reg_no_errno = true;
	assert_int_equal(reg(DAXMR_VERBS_PINNED, ACCESS_RW, FAKE_LEN, &mr, &got), -EIO);
	assert_untouched(mr, got);
}

static void verbs_reg__got_ptr_optional(void **state)
{
	struct ibv_mr *mr = NULL;

	(void)state;
	assert_int_equal(daxmr_verbs_reg(&fake_pd, FAKE_ADDR, FAKE_LEN, ACCESS_RW, DAXMR_VERBS_AUTO,
					 "x", &mr, NULL), 0);
	assert_ptr_equal(mr, &pinned_mr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(verbs_mode_str__all, setup),
		cmocka_unit_test_setup(verbs_odp_caps__rc_read_write, setup),
		cmocka_unit_test_setup(verbs_odp_caps__no_general_support, setup),
		cmocka_unit_test_setup(verbs_odp_caps__rc_write_only, setup),
		cmocka_unit_test_setup(verbs_odp_caps__query_device_ex_EIO, setup),
		cmocka_unit_test_setup(verbs_odp_caps__query_device_ex_EOPNOTSUPP_legacy, setup),
		cmocka_unit_test_setup(verbs_reg__pinned_ok, setup),
		cmocka_unit_test_setup(verbs_reg__auto_pinned_ok, setup),
		cmocka_unit_test_setup(verbs_reg__auto_pinned_EOPNOTSUPP_odp_ok, setup),
		cmocka_unit_test_setup(verbs_reg__auto_pinned_EFAULT_odp_ok, setup),
		cmocka_unit_test_setup(verbs_reg__want_odp_ok, setup),
		cmocka_unit_test_setup(verbs_reg__odp_read_only_prefetch, setup),
		cmocka_unit_test_setup(verbs_reg__odp_large_prefetch_in_chunks, setup),
		cmocka_unit_test_setup(verbs_reg__advise_EOPNOTSUPP_tolerated, setup),
		cmocka_unit_test_setup(verbs_reg__advise_op_missing_tolerated, setup),
		cmocka_unit_test_setup(verbs_reg__advise_ENOSYS_tolerated, setup),
		cmocka_unit_test_setup(verbs_reg__advise_EFAULT, setup),
		cmocka_unit_test_setup(verbs_reg__auto_no_odp_caps, setup),
		cmocka_unit_test_setup(verbs_reg__auto_EFAULT_read_only_no_odp_caps, setup),
		cmocka_unit_test_setup(verbs_reg__auto_EFAULT_no_odp_caps, setup),
		cmocka_unit_test_setup(verbs_reg__want_odp_no_caps, setup),
		cmocka_unit_test_setup(verbs_reg__odp_reg_ENOMEM, setup),
		cmocka_unit_test_setup(verbs_reg__auto_query_device_ex_EIO, setup),
		cmocka_unit_test_setup(verbs_reg__pinned_ENOMEM_memlock, setup),
		cmocka_unit_test_setup(verbs_reg__pinned_EPERM_memlock_unlimited, setup),
		cmocka_unit_test_setup(verbs_reg__pinned_EAGAIN_memlock, setup),
		cmocka_unit_test_setup(verbs_reg__want_pinned_EOPNOTSUPP_no_retry, setup),
		cmocka_unit_test_setup(verbs_reg__auto_pinned_EINVAL_no_retry, setup),
		cmocka_unit_test_setup(verbs_reg__provider_without_errno, setup),
		cmocka_unit_test_setup(verbs_reg__got_ptr_optional, setup),
	};

	return cmocka_run_group_tests_name("verbs", tests, NULL, NULL);
}
