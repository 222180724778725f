/* SPDX-License-Identifier: BSD-3-Clause */
/* names_test.c -- names: every enum value's word, and "unknown" (never NULL) outside the enum */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "names.h"

/* The strings the tool prints. */
static void names__words(void **state)
{
	(void)state;
	assert_string_equal(daxmr_access_str(DAXMR_RW), "rw");
	assert_string_equal(daxmr_memory_str(DAXMR_MEMORY_PAGECACHE), "page-cache");
	assert_string_equal(daxmr_memory_str(DAXMR_MEMORY_FSDAX), "fs-dax");
	assert_string_equal(daxmr_registration_str(DAXMR_REG_ODP), "odp");
	assert_string_equal(daxmr_revoke_reason_str(DAXMR_REVOKE_LEASE_BREAK), "lease-break");
	assert_string_equal(daxmr_memory_str((enum daxmr_memory)0), "unknown");
}

/* Every value of every enum has its word; one past the end is "unknown". */
static void names__every_value(void **state)
{
	(void)state;
	assert_string_equal(daxmr_access_str(DAXMR_RO), "ro");
	assert_string_equal(daxmr_access_str((enum daxmr_access)3), "unknown");
	assert_string_equal(daxmr_memory_str(DAXMR_MEMORY_DEVDAX), "devdax");
	assert_string_equal(daxmr_memory_str((enum daxmr_memory)4), "unknown");
	assert_string_equal(daxmr_registration_str(DAXMR_REG_PINNED), "pinned");
	assert_string_equal(daxmr_registration_str((enum daxmr_registration)0), "unknown");
	assert_string_equal(daxmr_revoke_reason_str(DAXMR_REVOKE_SHUTDOWN), "shutdown");
	assert_string_equal(daxmr_revoke_reason_str(DAXMR_REVOKE_ADMIN), "admin");
	assert_string_equal(daxmr_revoke_reason_str(DAXMR_REVOKE_ERROR), "error");
	assert_string_equal(daxmr_revoke_reason_str((enum daxmr_revoke_reason)5), "unknown");
	/* below the enums, and far past them */
	assert_string_equal(daxmr_access_str((enum daxmr_access)-1), "unknown");
	assert_string_equal(daxmr_access_str((enum daxmr_access)0), "unknown");
	assert_string_equal(daxmr_revoke_reason_str((enum daxmr_revoke_reason)0), "unknown");
	assert_string_equal(daxmr_registration_str((enum daxmr_registration)1000), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names__words),
		cmocka_unit_test(names__every_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
