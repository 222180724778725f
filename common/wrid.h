/* SPDX-License-Identifier: BSD-3-Clause */
/* wrid.h -- the one encoding of ibverbs work-request ids: a kind in the high 32 bits, a slot low */
#ifndef DAXMR_WRID_H
#define DAXMR_WRID_H

#include <stdint.h>

/* The wr_id of slot of a kind; each side numbers its own kinds (0 is a valid kind). */
static inline uint64_t daxmr_wrid(uint32_t kind, uint32_t slot)
{
	return ((uint64_t)kind << 32) | slot;
}

/* The kind a completion's wr_id was posted with. */
static inline uint32_t daxmr_wrid_kind(uint64_t wr_id)
{
	return (uint32_t)(wr_id >> 32);
}

/* The slot a completion's wr_id was posted with. */
static inline uint32_t daxmr_wrid_slot(uint64_t wr_id)
{
	return (uint32_t)wr_id;
}

#endif /* DAXMR_WRID_H */
