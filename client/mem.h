/* SPDX-License-Identifier: BSD-3-Clause */
/* mem.h -- libdaxmr: caller memory registered for zero-copy operations */
#ifndef DAXMR_CLIENT_MEM_H
#define DAXMR_CLIENT_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "daxmr.h"

/* A client's registered memory (the caller holds the pointers; the list is the client's). */
TAILQ_HEAD(daxmr_mem_list, daxmr_mem);

/*
 * Whether [off, off + len) lies inside mem and mem belongs to client: 0, or -EINVAL (mem NULL,
 * another client's, or the range outside it).
 */
int daxmr_mem_range_check(const struct daxmr_mem *mem, const struct daxmr_client *client,
			  size_t off, size_t len);

/* The address of mem at off and its local key, for a work request's scatter entry. */
uint64_t daxmr_mem_addr(const struct daxmr_mem *mem, size_t off);
uint32_t daxmr_mem_lkey(const struct daxmr_mem *mem);

/* An operation on mem starts / ended (they nest): dereg refuses while any is in flight. */
void daxmr_mem_op_begin(struct daxmr_mem *mem);
void daxmr_mem_op_end(struct daxmr_mem *mem);

/* Deregisters and frees every mem still on list (at disconnect; their pointers die). */
void daxmr_mem_list_free(struct daxmr_mem_list *list);

#endif /* DAXMR_CLIENT_MEM_H */
