/* SPDX-License-Identifier: BSD-3-Clause */
/* region_test.c -- region: bounds, access and revocation checks before anything reaches the wire */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"
#include "region.h"

#define LEN 8192u

/* What the fake connection saw; zeroed before every test. */
static struct {
	int conn_err;	  /* daxmr_client_error returns this */
	bool use_revoked; /* daxmr_client_uses_revoked returns this */
	int open_ret;	  /* daxmr_client_open_desc returns this */
	int transfers;	  /* daxmr_client_transfer calls */
	bool last_write;
	uint64_t last_offset;
	size_t last_len;
	int flushes;
	int closes;
} fake;

static struct daxmr_client *const fake_client = (struct daxmr_client *)(uintptr_t)0x1000;

/* Fake OPEN: fills a rw descriptor of LEN bytes, or fails. */
int daxmr_client_open_desc(struct daxmr_client *client, struct daxmr_region *region,
			   enum daxmr_access access)
{
	assert_ptr_equal(client, fake_client);
	if (fake.open_ret)
		return fake.open_ret;
	region->desc.length = LEN;
	region->desc.access = access;
	region->state = DAXMR_REGION_OPEN;
	return 0;
}

int daxmr_client_close_desc(struct daxmr_client *client, struct daxmr_region *region)
{
	assert_ptr_equal(client, fake_client);
	(void)region;
	fake.closes++;
	return 0;
}

int daxmr_client_flush_desc(struct daxmr_client *client, struct daxmr_region *region,
			    uint64_t offset, uint64_t len)
{
	(void)client;
	(void)region;
	fake.flushes++;
	fake.last_offset = offset;
	fake.last_len = len;
	return 0;
}

int daxmr_client_transfer(struct daxmr_client *client, struct daxmr_region *region, bool write,
			  uint64_t offset, void *buf, size_t len)
{
	(void)client;
	(void)region;
	(void)buf;
	fake.transfers++;
	fake.last_write = write;
	fake.last_offset = offset;
	fake.last_len = len;
	return 0;
}

int daxmr_client_error(const struct daxmr_client *client)
{
	(void)client;
	return fake.conn_err;
}

bool daxmr_client_uses_revoked(const struct daxmr_client *client)
{
	assert_ptr_equal(client, fake_client);
	return fake.use_revoked;
}

/* A region open with access. */
static struct daxmr_region *open_region(enum daxmr_access access)
{
	struct daxmr_region *r = NULL;

	assert_int_equal(daxmr_region_open(fake_client, "db", access, &r), 0);
	assert_non_null(r);
	return r;
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	return 0;
}

/* The edges of [0, length): inside is fine, one byte past is -ERANGE, wrap-around too. */
static void region_op_error__bounds(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RW);

	(void)state;
	assert_int_equal(daxmr_region_op_error(r, 0, LEN, false), 0);
	assert_int_equal(daxmr_region_op_error(r, LEN - 1, 1, true), 0);
	assert_int_equal(daxmr_region_op_error(r, LEN, 0, false), 0);
	assert_int_equal(daxmr_region_op_error(r, 0, LEN + 1, false), -ERANGE);
	assert_int_equal(daxmr_region_op_error(r, LEN, 1, false), -ERANGE);
	assert_int_equal(daxmr_region_op_error(r, LEN + 1, 0, false), -ERANGE);
	assert_int_equal(daxmr_region_op_error(r, 1, UINT64_MAX, false), -ERANGE);
	assert_int_equal(daxmr_region_op_error(r, UINT64_MAX, 2, false), -ERANGE);
	daxmr_region_close(&r);
}

/* A read-only region refuses writes locally, before the wire; reads are fine. */
static void region_write__ro_EACCES(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RO);
	char buf[16] = { 0 };

	(void)state;
	assert_int_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), -EACCES);
	assert_int_equal(fake.transfers, 0);
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), 0);
	assert_int_equal(fake.transfers, 1);
	assert_false(fake.last_write);
	daxmr_region_close(&r);
}

/* Out of range: -ERANGE and nothing sent; read, write and flush alike. */
static void region_ops__ERANGE(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RW);
	char buf[16] = { 0 };

	(void)state;
	assert_int_equal(daxmr_region_read(r, LEN - 8, buf, sizeof(buf)), -ERANGE);
	assert_int_equal(daxmr_region_write(r, LEN - 8, buf, sizeof(buf)), -ERANGE);
	assert_int_equal(daxmr_region_flush(r, LEN - 8, 16), -ERANGE);
	assert_int_equal(fake.transfers, 0);
	assert_int_equal(fake.flushes, 0);
	assert_int_equal(daxmr_region_write(r, LEN - 16, buf, sizeof(buf)), 0);
	assert_true(fake.last_write);
	assert_int_equal(fake.last_offset, LEN - 16);
	assert_int_equal(daxmr_region_flush(r, 0, LEN), 0);
	assert_int_equal(fake.flushes, 1);
	daxmr_region_close(&r);
}

/* Every operation of a revoked region is -ESTALE; the descriptor stays readable. */
static void region_ops__revoked_ESTALE(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RW);
	char buf[16] = { 0 };

	(void)state;
	r->state = DAXMR_REGION_REVOKED;
	assert_true(daxmr_region_is_revoked(r));
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ESTALE);
	assert_int_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), -ESTALE);
	assert_int_equal(daxmr_region_flush(r, 0, 1), -ESTALE);
	r->state = DAXMR_REGION_RELEASED;
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ESTALE);
	assert_int_equal(fake.transfers, 0);
	assert_int_equal(daxmr_region_desc(r)->length, LEN);
	daxmr_region_close(&r);
}

/* use_revoked (fault tests): a revoked region still issues RDMA; a released one never does. */
static void region_ops__use_revoked_transfers(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RW);
	char buf[16] = { 0 };

	(void)state;
	fake.use_revoked = true;
	r->state = DAXMR_REGION_REVOKED;
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), 0);
	assert_int_equal(daxmr_region_write(r, 8, buf, sizeof(buf)), 0);
	assert_int_equal(fake.transfers, 2);
	assert_true(fake.last_write);
	r->state = DAXMR_REGION_RELEASED;
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ESTALE);
	assert_int_equal(fake.transfers, 2);
	daxmr_region_close(&r);
}

/* A dead connection: -ENOTCONN after the local checks pass. */
static void region_ops__dead_ENOTCONN(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RW);
	char buf[16] = { 0 };

	(void)state;
	fake.conn_err = -ENOTCONN;
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ENOTCONN);
	assert_int_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), -ENOTCONN);
	assert_int_equal(daxmr_region_flush(r, 0, 1), -ENOTCONN);
	assert_int_equal(fake.transfers, 0);
	daxmr_region_close(&r);
}

/* Zero-length transfers succeed without touching the wire. */
static void region_ops__zero_length(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RW);

	(void)state;
	assert_int_equal(daxmr_region_read(r, LEN, NULL, 0), 0);
	assert_int_equal(daxmr_region_write(r, 0, NULL, 0), 0);
	assert_int_equal(fake.transfers, 0);
	daxmr_region_close(&r);
}

/* open: bad arguments refused; a failed OPEN leaves *region_ptr untouched. */
static void region_open__failures(void **state)
{
	struct daxmr_region *r = (struct daxmr_region *)(uintptr_t)0xdead;
	char long_name[300];

	(void)state;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(daxmr_region_open(fake_client, "", DAXMR_RO, &r), -EINVAL);
	assert_int_equal(daxmr_region_open(fake_client, long_name, DAXMR_RO, &r), -EINVAL);
	assert_int_equal(daxmr_region_open(fake_client, "db", (enum daxmr_access)3, &r), -EINVAL);
	assert_int_equal(daxmr_region_open(NULL, "db", DAXMR_RO, &r), -EINVAL);
	fake.open_ret = -ENOENT;
	assert_int_equal(daxmr_region_open(fake_client, "db", DAXMR_RO, &r), -ENOENT);
	assert_ptr_equal(r, (struct daxmr_region *)(uintptr_t)0xdead);
}

/* close: NULL-safe, NULLs the pointer, closes once. */
static void region_close__null_safe(void **state)
{
	struct daxmr_region *r = NULL;

	(void)state;
	assert_int_equal(daxmr_region_close(NULL), 0);
	assert_int_equal(daxmr_region_close(&r), 0);
	r = open_region(DAXMR_RO);
	assert_int_equal(daxmr_region_close(&r), 0);
	assert_null(r);
	assert_int_equal(fake.closes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(region_op_error__bounds, setup),
		cmocka_unit_test_setup(region_write__ro_EACCES, setup),
		cmocka_unit_test_setup(region_ops__ERANGE, setup),
		cmocka_unit_test_setup(region_ops__revoked_ESTALE, setup),
		cmocka_unit_test_setup(region_ops__use_revoked_transfers, setup),
		cmocka_unit_test_setup(region_ops__dead_ENOTCONN, setup),
		cmocka_unit_test_setup(region_ops__zero_length, setup),
		cmocka_unit_test_setup(region_open__failures, setup),
		cmocka_unit_test_setup(region_close__null_safe, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
