/* SPDX-License-Identifier: BSD-3-Clause */
/* mem.c -- libdaxmr: caller memory registered for zero-copy operations */
#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <infiniband/verbs.h>

#include "client.h"
#include "log.h"
#include "verbs.h"

struct daxmr_mem {
	struct daxmr_client *client; /* borrowed: the connection whose PD registered it */
	TAILQ_ENTRY(daxmr_mem) entry;
	void *ptr; /* borrowed: the caller's memory */
	size_t len;
	struct ibv_mr *mr; /* owned */
	unsigned int busy; /* operations on it in flight */
};

/* Registers the caller's memory on the client's PD (pinned; ODP where pinning is refused). */
int daxmr_mem_reg(struct daxmr_client *client, void *ptr, size_t len, struct daxmr_mem **mem_ptr)
{
	struct daxmr_mem *mem;
	char what[96];
	int ret;

	if (!client || !ptr || !len || !mem_ptr)
		return -EINVAL;
	ret = daxmr_client_error(client);
	if (ret)
		return ret;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->client = client;
	mem->ptr = ptr;
	mem->len = len;
	snprintf(what, sizeof(what), "caller memory %p (%zu bytes)", ptr, len);
	ret = daxmr_verbs_reg(daxmr_client_pd(client), ptr, len, IBV_ACCESS_LOCAL_WRITE,
			      DAXMR_VERBS_AUTO, what, &mem->mr, NULL);
	if (ret) {
		free(mem);
		return ret;
	}
	TAILQ_INSERT_TAIL(daxmr_client_mems(client), mem, entry);
	*mem_ptr = mem;
	return 0;
}

/* Deregisters one mem (already off its list) and frees it; the verb's -errno. */
static int mem_free(struct daxmr_mem *mem)
{
	int ret = -ibv_dereg_mr(mem->mr);

	if (ret)
		DAXMR_LOG_CALL_ERR("ibv_dereg_mr", ret, "caller memory %p (%zu bytes)", mem->ptr,
				   mem->len);
	free(mem);
	return ret;
}

/* Deregisters mem unless operations on it are in flight. */
int daxmr_mem_dereg(struct daxmr_mem **mem_ptr)
{
	struct daxmr_mem *mem;

	if (!mem_ptr || !*mem_ptr)
		return 0;
	mem = *mem_ptr;
	if (mem->busy)
		return -EBUSY;
	*mem_ptr = NULL;
	TAILQ_REMOVE(daxmr_client_mems(mem->client), mem, entry);
	return mem_free(mem);
}

/* The registered range's start. */
void *daxmr_mem_ptr(const struct daxmr_mem *mem)
{
	return mem ? mem->ptr : NULL;
}

/* The registered range's length. */
size_t daxmr_mem_len(const struct daxmr_mem *mem)
{
	return mem ? mem->len : 0;
}

/* Whether [off, off + len) is inside mem, mem being client's. */
int daxmr_mem_range_check(const struct daxmr_mem *mem, const struct daxmr_client *client,
			  size_t off, size_t len)
{
	if (!mem || mem->client != client)
		return -EINVAL;
	if (off > mem->len || len > mem->len - off)
		return -EINVAL;
	return 0;
}

/* The address of mem at off. */
uint64_t daxmr_mem_addr(const struct daxmr_mem *mem, size_t off)
{
	return (uint64_t)(uintptr_t)mem->ptr + off;
}

/* mem's local key. */
uint32_t daxmr_mem_lkey(const struct daxmr_mem *mem)
{
	return mem->mr->lkey;
}

/* An operation on mem starts. */
void daxmr_mem_op_begin(struct daxmr_mem *mem)
{
	mem->busy++;
}

/* An operation on mem ended. */
void daxmr_mem_op_end(struct daxmr_mem *mem)
{
	if (mem->busy)
		mem->busy--;
}

/* Deregisters and frees what the caller never deregistered. */
void daxmr_mem_list_free(struct daxmr_mem_list *list)
{
	struct daxmr_mem *mem;

	while ((mem = TAILQ_FIRST(list))) {
		TAILQ_REMOVE(list, mem, entry);
		(void)mem_free(mem); /* logged; the connection is going away */
	}
}
