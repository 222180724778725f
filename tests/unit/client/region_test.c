/* SPDX-License-Identifier: BSD-3-Clause */
/* region_test.c -- region: its checks before anything reaches the wire, its revocation states */
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
#define EXPORT_ID 7
#define GEN 42

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

/* The fake connection's attached regions. */
static struct daxmr_region_list fake_regions = TAILQ_HEAD_INITIALIZER(fake_regions);

/* Fake OPEN: attaches the region with a descriptor of LEN bytes and access, or fails. */
int daxmr_client_open_desc(struct daxmr_client *client, struct daxmr_region *region,
			   enum daxmr_access access)
{
	struct daxmr_proto_desc desc = { .export_id = EXPORT_ID,
					 .generation = GEN,
					 .length = LEN,
					 .access = (enum daxmr_proto_access)access };

	assert_ptr_equal(client, fake_client);
	if (fake.open_ret)
		return fake.open_ret;
	daxmr_region_attach(&fake_regions, region, &desc);
	return 0;
}

int daxmr_client_close_desc(struct daxmr_client *client, struct daxmr_region *region)
{
	assert_ptr_equal(client, fake_client);
	daxmr_region_detach(&fake_regions, region);
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
	daxmr_region_revoke(r, 1);
	assert_int_equal(daxmr_region_state(r), DAXMR_REGION_REVOKED);
	assert_true(daxmr_region_is_revoked(r));
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ESTALE);
	assert_int_equal(daxmr_region_write(r, 0, buf, sizeof(buf)), -ESTALE);
	assert_int_equal(daxmr_region_flush(r, 0, 1), -ESTALE);
	daxmr_region_release(r);
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
	daxmr_region_revoke(r, 1);
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), 0);
	assert_int_equal(daxmr_region_write(r, 8, buf, sizeof(buf)), 0);
	assert_int_equal(fake.transfers, 2);
	assert_true(fake.last_write);
	daxmr_region_release(r);
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

/* A REVOKE on an idle region: REVOKED at once, no ACK kept; AVAILABLE releases it. */
static void region_revoke__idle_REVOKED(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RW);

	(void)state;
	assert_int_equal(daxmr_region_state(r), DAXMR_REGION_OPEN);
	assert_int_equal(daxmr_region_desc(r)->export_id, EXPORT_ID);
	assert_true(daxmr_region_revoke_matches(r, EXPORT_ID, GEN));
	assert_false(daxmr_region_revoke_matches(r, EXPORT_ID, GEN + 1));
	assert_false(daxmr_region_revoke_matches(r, EXPORT_ID + 1, GEN));
	assert_false(daxmr_region_available_matches(r, EXPORT_ID)); /* not revoked */
	daxmr_region_revoke(r, 5);
	assert_int_equal(daxmr_region_state(r), DAXMR_REGION_REVOKED);
	assert_false(daxmr_region_has_ack_due(r));
	assert_false(daxmr_region_revoke_matches(r, EXPORT_ID, GEN)); /* once */
	assert_true(daxmr_region_available_matches(r, EXPORT_ID));
	assert_false(daxmr_region_available_matches(r, EXPORT_ID + 1));
	daxmr_region_release(r);
	assert_int_equal(daxmr_region_state(r), DAXMR_REGION_RELEASED);
	assert_false(daxmr_region_available_matches(r, EXPORT_ID));
	assert_true(daxmr_region_is_revoked(r));
	daxmr_region_close(&r);
}

/* A REVOKE during a transfer: REVOKING, the ACK kept until the transfer ends, then due once. */
static void region_revoke__busy_REVOKING_keeps_ack(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RW);
	char buf[16] = { 0 };

	(void)state;
	daxmr_region_transfer_begin(r);
	daxmr_region_revoke(r, 99);
	assert_int_equal(daxmr_region_state(r), DAXMR_REGION_REVOKING);
	assert_true(daxmr_region_is_revoked(r));
	assert_false(daxmr_region_usable(r));
	assert_false(daxmr_region_has_ack_due(r)); /* the transfer is still in flight */
	assert_true(daxmr_region_available_matches(r, EXPORT_ID));
	daxmr_region_transfer_end(r);
	assert_int_equal(daxmr_region_state(r), DAXMR_REGION_REVOKED);
	assert_true(daxmr_region_has_ack_due(r));
	assert_int_equal(daxmr_region_ack_take(r), 99);
	assert_false(daxmr_region_has_ack_due(r));
	assert_int_equal(daxmr_region_read(r, 0, buf, sizeof(buf)), -ESTALE);
	daxmr_region_close(&r);
}

/* AVAILABLE while REVOKING: RELEASED, and the kept ACK is still due when the transfer ends. */
static void region_revoke__busy_then_available_ack_due(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RO);

	(void)state;
	fake.use_revoked = true;
	daxmr_region_transfer_begin(r);
	daxmr_region_revoke(r, 77);
	assert_true(daxmr_region_usable(r)); /* use_revoked: REVOKING still issues RDMA */
	daxmr_region_release(r);
	assert_false(daxmr_region_usable(r));
	daxmr_region_transfer_end(r);
	assert_int_equal(daxmr_region_state(r), DAXMR_REGION_RELEASED);
	assert_true(daxmr_region_has_ack_due(r));
	assert_int_equal(daxmr_region_ack_take(r), 77);
	daxmr_region_close(&r);
}

/* A transfer with no REVOKE keeps no ACK; a REVOKE after it ends is an idle one. */
static void region_transfer__no_revoke_no_ack(void **state)
{
	struct daxmr_region *r = open_region(DAXMR_RW);

	(void)state;
	daxmr_region_transfer_begin(r);
	daxmr_region_transfer_end(r);
	assert_int_equal(daxmr_region_state(r), DAXMR_REGION_OPEN);
	assert_false(daxmr_region_has_ack_due(r));
	daxmr_region_revoke(r, 3);
	assert_int_equal(daxmr_region_state(r), DAXMR_REGION_REVOKED);
	assert_false(daxmr_region_has_ack_due(r));
	daxmr_region_close(&r);
}

/* The connection's list: walked in attach order, detach on close, list_free frees the rest. */
static void region_list__walk_detach_free(void **state)
{
	struct daxmr_region *a = open_region(DAXMR_RW), *b = open_region(DAXMR_RO);

	(void)state;
	assert_ptr_equal(daxmr_region_next(&fake_regions, NULL), a);
	assert_ptr_equal(daxmr_region_next(&fake_regions, a), b);
	assert_null(daxmr_region_next(&fake_regions, b));
	daxmr_region_close(&a);
	assert_ptr_equal(daxmr_region_next(&fake_regions, NULL), b);
	/* b is never closed: the list frees it (ASan would report the leak otherwise) */
	daxmr_region_list_free(&fake_regions);
	assert_null(daxmr_region_next(&fake_regions, NULL));
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
		cmocka_unit_test_setup(region_revoke__idle_REVOKED, setup),
		cmocka_unit_test_setup(region_revoke__busy_REVOKING_keeps_ack, setup),
		cmocka_unit_test_setup(region_revoke__busy_then_available_ack_due, setup),
		cmocka_unit_test_setup(region_transfer__no_revoke_no_ack, setup),
		cmocka_unit_test_setup(region_list__walk_detach_free, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
