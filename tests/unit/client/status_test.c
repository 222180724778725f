/* SPDX-License-Identifier: BSD-3-Clause */
/* status_test.c -- status: every wire status maps to the errno the public header promises */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "status.h"

/* Each status of docs/protocol.md section 4 and its errno. */
static void status_errno__every_status(void **state)
{
	(void)state;
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_OK), 0);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_BAD_MESSAGE), -EPROTO);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION),
			 -EPROTONOSUPPORT);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_UNKNOWN_OPCODE), -EPROTO);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_BAD_STATE), -EPROTO);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_NO_SUCH_EXPORT), -ENOENT);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_ACCESS_DENIED), -EACCES);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_NOT_OPEN), -EBADF);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_STALE_GENERATION), -ESTALE);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_REVOKING), -EAGAIN);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_OUT_OF_RANGE), -ERANGE);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_BUSY), -EBUSY);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_INTERNAL), -EIO);
	assert_int_equal(daxmr_status_errno(DAXMR_PROTO_STATUS_UNAVAILABLE), -ENODEV);
}

/* A value outside the enum (a decoder bug) is still a protocol error, never 0. */
static void status_errno__unknown_value(void **state)
{
	(void)state;
	assert_int_equal(daxmr_status_errno((enum daxmr_proto_status)14), -EPROTO);
	assert_int_equal(daxmr_status_errno((enum daxmr_proto_status)0xffff), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_errno__every_status),
		cmocka_unit_test(status_errno__unknown_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
