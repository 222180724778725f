/* SPDX-License-Identifier: BSD-3-Clause */
/* names.c -- libdaxmr: the words its enums are printed as ("rw", "fs-dax", "lease-break", ...) */
#include "names.h"

/* "ro", "rw". */
const char *daxmr_access_str(enum daxmr_access access)
{
	switch (access) {
	case DAXMR_RO:
		return "ro";
	case DAXMR_RW:
		return "rw";
	}
	return "unknown";
}

/* "fs-dax", "devdax", "page-cache". */
const char *daxmr_memory_str(enum daxmr_memory memory)
{
	switch (memory) {
	case DAXMR_MEMORY_FSDAX:
		return "fs-dax";
	case DAXMR_MEMORY_DEVDAX:
		return "devdax";
	case DAXMR_MEMORY_PAGECACHE:
		return "page-cache";
	}
	return "unknown";
}

/* "pinned", "odp". */
const char *daxmr_registration_str(enum daxmr_registration registration)
{
	switch (registration) {
	case DAXMR_REG_PINNED:
		return "pinned";
	case DAXMR_REG_ODP:
		return "odp";
	}
	return "unknown";
}

/* "lease-break", "shutdown", "admin", "error". */
const char *daxmr_revoke_reason_str(enum daxmr_revoke_reason reason)
{
	switch (reason) {
	case DAXMR_REVOKE_LEASE_BREAK:
		return "lease-break";
	case DAXMR_REVOKE_SHUTDOWN:
		return "shutdown";
	case DAXMR_REVOKE_ADMIN:
		return "admin";
	case DAXMR_REVOKE_ERROR:
		return "error";
	}
	return "unknown";
}
