/* SPDX-License-Identifier: BSD-3-Clause */
/* loopback.h -- two RC QPs on one device connected to each other, with synchronous operations */
#ifndef DAXMR_LOOPBACK_H
#define DAXMR_LOOPBACK_H

#include <stdint.h>

#include <infiniband/verbs.h>

struct daxmr_loopback;

struct daxmr_loopback_opts {
	uint8_t port;	/* the port both QPs use */
	int gid_index;	/* -1: the RoCE v2 GID with an IPv4-mapped address (what rdma_cm uses) */
	int timeout_ms; /* each operation fails with -ETIMEDOUT after this long */
};

#define DAXMR_LOOPBACK_OPTS_DEFAULT                             \
	{                                                       \
		.port = 1, .gid_index = -1, .timeout_ms = 10000 \
	}

/*
 * Checks the port is ACTIVE, finds the GID, makes a completion channel, one CQ and two RC QPs
 * (A and B) on pd and connects them to each other at the port's active MTU. opts may be NULL
 * (defaults). 0 or -errno (logged): -ENETDOWN port not active, -ENOENT no suitable GID,
 * -EINVAL bad gid_index. *lb_ptr is untouched on failure.
 */
int daxmr_loopback_new(struct ibv_context *ctx, struct ibv_pd *pd,
		       const struct daxmr_loopback_opts *opts, struct daxmr_loopback **lb_ptr);

/* Destroys the QPs, CQ and channel; NULL-safe; NULLs *lb_ptr; returns the first error. */
int daxmr_loopback_delete(struct daxmr_loopback **lb_ptr);

/* The path MTU the QPs were connected with, in bytes (1024 for rxe on a 1500-byte netdev). */
unsigned int daxmr_loopback_path_mtu(const struct daxmr_loopback *lb);

/* The GID index the QPs address each other through. */
uint32_t daxmr_loopback_gid_index(const struct daxmr_loopback *lb);

/* QP numbers of side A (the requester of every operation) and side B. */
uint32_t daxmr_loopback_qp_num_a(const struct daxmr_loopback *lb);
uint32_t daxmr_loopback_qp_num_b(const struct daxmr_loopback *lb);

/*
 * QP A writes local (an address, length and lkey registered on the loopback's pd) to
 * remote_addr/rkey with one RDMA WRITE and waits for its completion. 0 or -errno (logged):
 * -EIO for a completion with an error status, -ETIMEDOUT. After a failed operation the QPs are
 * unusable (-EPIPE).
 */
int daxmr_loopback_write(struct daxmr_loopback *lb, const struct ibv_sge *local,
			 uint64_t remote_addr, uint32_t rkey);

/* QP A reads remote_addr/rkey into local with one RDMA READ; as daxmr_loopback_write. */
int daxmr_loopback_read(struct daxmr_loopback *lb, const struct ibv_sge *local,
			uint64_t remote_addr, uint32_t rkey);

/*
 * B posts a receive into dst, A sends src; waits for both completions. *byte_len_ptr gets the
 * receive completion's byte_len. As daxmr_loopback_write.
 */
int daxmr_loopback_send(struct daxmr_loopback *lb, const struct ibv_sge *src,
			const struct ibv_sge *dst, uint32_t *byte_len_ptr);

#endif /* DAXMR_LOOPBACK_H */
