/* SPDX-License-Identifier: BSD-3-Clause */
/* mem.c -- libdaxmr: caller memory registered for zero-copy operations (stubs) */
#include <errno.h>
#include <stddef.h>

#include "daxmr.h"

/* Registers caller memory (not yet implemented). */
int daxmr_mem_reg(struct daxmr_client *client, void *ptr, size_t len, struct daxmr_mem **mem_ptr)
{
	(void)client, (void)ptr, (void)len, (void)mem_ptr;
	return -ENOSYS;
}

/* Deregisters caller memory (not yet implemented). */
int daxmr_mem_dereg(struct daxmr_mem **mem_ptr)
{
	return mem_ptr && *mem_ptr ? -ENOSYS : 0;
}

/* The registered range's start (none yet). */
void *daxmr_mem_ptr(const struct daxmr_mem *mem)
{
	(void)mem;
	return NULL;
}

/* The registered range's length (none yet). */
size_t daxmr_mem_len(const struct daxmr_mem *mem)
{
	(void)mem;
	return 0;
}
