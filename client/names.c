/* SPDX-License-Identifier: BSD-3-Clause */
/* names.c -- libdaxmr: the words its enums are printed as ("rw", "fs-dax", "lease-break", ...) */
#include "names.h"

#include <stddef.h>

#define NAMES_COUNT(words) (sizeof(words) / sizeof((words)[0]))

/* words[value], or "unknown" for a value with no word (outside the array, or a hole in it). */
static const char *names_word(const char *const *words, size_t count, int value)
{
	if (value < 0 || (size_t)value >= count || !words[value])
		return "unknown";
	return words[value];
}

/* "ro", "rw". */
const char *daxmr_access_str(enum daxmr_access access)
{
	static const char *const words[] = { [DAXMR_RO] = "ro", [DAXMR_RW] = "rw" };

	return names_word(words, NAMES_COUNT(words), (int)access);
}

/* "fs-dax", "devdax", "page-cache". */
const char *daxmr_memory_str(enum daxmr_memory memory)
{
	static const char *const words[] = { [DAXMR_MEMORY_FSDAX] = "fs-dax",
					     [DAXMR_MEMORY_DEVDAX] = "devdax",
					     [DAXMR_MEMORY_PAGECACHE] = "page-cache" };

	return names_word(words, NAMES_COUNT(words), (int)memory);
}

/* "pinned", "odp". */
const char *daxmr_registration_str(enum daxmr_registration registration)
{
	static const char *const words[] = {
		[DAXMR_REG_PINNED] = "pinned", [DAXMR_REG_ODP] = "odp"
	};

	return names_word(words, NAMES_COUNT(words), (int)registration);
}

/* "lease-break", "shutdown", "admin", "error", "connection-lost". */
const char *daxmr_revoke_reason_str(enum daxmr_revoke_reason reason)
{
	static const char *const words[] = { [DAXMR_REVOKE_LEASE_BREAK] = "lease-break",
					     [DAXMR_REVOKE_SHUTDOWN] = "shutdown",
					     [DAXMR_REVOKE_ADMIN] = "admin",
					     [DAXMR_REVOKE_ERROR] = "error" };

	if (reason == DAXMR_REVOKE_CONNECTION_LOST)
		return "connection-lost"; /* the library's own: never on the wire */
	return names_word(words, NAMES_COUNT(words), (int)reason);
}
