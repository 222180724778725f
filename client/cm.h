/* SPDX-License-Identifier: BSD-3-Clause */
/* cm.h -- libdaxmr: the rdma_cm side of one connection: resolution, connect data, disconnect */
#ifndef DAXMR_CLIENT_CM_H
#define DAXMR_CLIENT_CM_H

#include <stdint.h>

#include <rdma/rdma_cma.h>

#include "proto.h"

/*
 * One rdma_cm event channel (non-blocking) and one id on it, for one connection to daxmrd:
 * address and route resolution, rdma_connect with our version range and the accept data's
 * check, then the events of the established connection. Every wait is bounded by a deadline
 * on daxmr_clock_ms. The id owns the QP once qp.c creates it, so the QP must go before
 * daxmr_cm_delete.
 */
struct daxmr_cm;

/*
 * The event channel and the id; addr (the caller's "host[:port]") names the peer in log lines
 * until daxmr_cm_resolve rewrites it. timeout_ms bounds each rdma_cm step. 0 or -errno
 * (-ENODEV without the rdma_ucm module).
 */
int daxmr_cm_new(const char *addr, int timeout_ms, struct daxmr_cm **cm_ptr);

/* Destroys the id and the channel; NULL-safe, NULLs *cm_ptr, returns the first error. */
int daxmr_cm_delete(struct daxmr_cm **cm_ptr);

/* The id (borrowed: the QP is created on it). */
struct rdma_cm_id *daxmr_cm_id(const struct daxmr_cm *cm);

/* The channel's fd, readable when rdma_cm has an event. */
int daxmr_cm_fd(const struct daxmr_cm *cm);

/* "host:port" (or "[v6]:port") of the server, for log lines. */
const char *daxmr_cm_peer(const struct daxmr_cm *cm);

/*
 * Parses addr (port 1..65535, DAXMR_DEFAULT_PORT without one; -EINVAL), resolves it with
 * getaddrinfo (its EAI_* errors mapped: a name that does not resolve -ENXIO, a resolver that
 * cannot answer now -EAGAIN, EAI_SYSTEM its errno, ...) and asks rdma_cm to bind it to an RDMA
 * device. 0, -ETIMEDOUT, or the cause (the ADDR_ERROR event's).
 */
int daxmr_cm_resolve_addr(struct daxmr_cm *cm, const char *addr, int64_t deadline);

/* Resolves a route to the resolved address. 0, -ETIMEDOUT or the cause. */
int daxmr_cm_resolve_route(struct daxmr_cm *cm, int64_t deadline);

/*
 * rdma_connect with our version range as private data and initiator depth / responder
 * resources from the device (at most 4); waits for ESTABLISHED and decodes the accept data into
 * *acc (credits >= 1). A daxmrd reject is explained: -EPROTONOSUPPORT, -EBUSY, -EACCES, else
 * -ECONNREFUSED. Bad accept data: -EPROTONOSUPPORT (its version) or -EPROTO.
 */
int daxmr_cm_connect(struct daxmr_cm *cm, int64_t deadline, struct daxmr_proto_cm_accept *acc);

/* rdma_disconnect if connected (a failure is only logged: the QP goes with the id anyway). */
void daxmr_cm_disconnect(struct daxmr_cm *cm);

/* rdma_disconnect, then waits (at most 1 s) for DISCONNECTED, so the server sees a clean end. */
void daxmr_cm_disconnect_wait(struct daxmr_cm *cm);

/*
 * Drains the events of the established connection without blocking: 0 while it lives,
 * -ECONNRESET once DISCONNECTED arrived, -ENODEV when the device went away.
 */
int daxmr_cm_poll(struct daxmr_cm *cm);

#endif /* DAXMR_CLIENT_CM_H */
