/* SPDX-License-Identifier: BSD-3-Clause */
/* ops.c -- libdaxmr: asynchronous zero-copy RDMA operations and their completions (stubs) */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "daxmr.h"

/* Posts an RDMA READ into registered memory (not yet implemented). */
int daxmr_region_read_async(struct daxmr_region *region, struct daxmr_mem *mem, size_t local_off,
			    uint64_t remote_off, size_t len, void *op_ctx, unsigned int flags)
{
	(void)region, (void)mem, (void)local_off, (void)remote_off, (void)len, (void)op_ctx;
	(void)flags;
	return -ENOSYS;
}

/* Posts an RDMA WRITE from registered memory (not yet implemented). */
int daxmr_region_write_async(struct daxmr_region *region, struct daxmr_mem *mem, size_t local_off,
			     uint64_t remote_off, size_t len, void *op_ctx, unsigned int flags)
{
	(void)region, (void)mem, (void)local_off, (void)remote_off, (void)len, (void)op_ctx;
	(void)flags;
	return -ENOSYS;
}

/* Posts an 8-byte compare-and-swap (not yet implemented). */
int daxmr_region_cas_async(struct daxmr_region *region, struct daxmr_mem *mem, size_t local_off,
			   uint64_t remote_off, uint64_t compare, uint64_t swap, void *op_ctx,
			   unsigned int flags)
{
	(void)region, (void)mem, (void)local_off, (void)remote_off, (void)compare, (void)swap;
	(void)op_ctx, (void)flags;
	return -ENOSYS;
}

/* Posts an 8-byte fetch-and-add (not yet implemented). */
int daxmr_region_faa_async(struct daxmr_region *region, struct daxmr_mem *mem, size_t local_off,
			   uint64_t remote_off, uint64_t add, void *op_ctx, unsigned int flags)
{
	(void)region, (void)mem, (void)local_off, (void)remote_off, (void)add, (void)op_ctx;
	(void)flags;
	return -ENOSYS;
}

/* Synchronous compare-and-swap (not yet implemented). */
int daxmr_region_cas(struct daxmr_region *region, uint64_t remote_off, uint64_t compare,
		     uint64_t swap, uint64_t *old_ptr)
{
	(void)region, (void)remote_off, (void)compare, (void)swap, (void)old_ptr;
	return -ENOSYS;
}

/* Synchronous fetch-and-add (not yet implemented). */
int daxmr_region_faa(struct daxmr_region *region, uint64_t remote_off, uint64_t add,
		     uint64_t *old_ptr)
{
	(void)region, (void)remote_off, (void)add, (void)old_ptr;
	return -ENOSYS;
}

/* Posts what DAXMR_OP_F_MORE queued (not yet implemented). */
int daxmr_client_submit(struct daxmr_client *client)
{
	(void)client;
	return -ENOSYS;
}

/* Collects finished operations (not yet implemented). */
int daxmr_client_poll(struct daxmr_client *client, struct daxmr_completion *out, int max)
{
	(void)client, (void)out, (void)max;
	return -ENOSYS;
}

/* Operations in flight (none yet). */
unsigned int daxmr_client_inflight(const struct daxmr_client *client)
{
	(void)client;
	return 0;
}

/* Waits for completions or events (not yet implemented). */
int daxmr_client_wait(struct daxmr_client *client, int timeout_ms)
{
	(void)client, (void)timeout_ms;
	return -ENOSYS;
}

/* The server's last reason (none yet). */
const char *daxmr_client_last_reason(const struct daxmr_client *client)
{
	(void)client;
	return "";
}

/* The running library's version. */
const char *daxmr_version(int *major, int *minor, int *patch)
{
	if (major)
		*major = DAXMR_VERSION_MAJOR;
	if (minor)
		*minor = DAXMR_VERSION_MINOR;
	if (patch)
		*patch = DAXMR_VERSION_PATCH;
	return DAXMR_VERSION_STRING;
}
