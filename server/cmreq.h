/* SPDX-License-Identifier: BSD-3-Clause */
/* cmreq.h -- a connect request's rdma_cm side: its private data, version, admission, answer */
#ifndef DAXMR_CMREQ_H
#define DAXMR_CMREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rdma/rdma_cma.h>

#include "proto.h"

/* One CONNECT_REQUEST being answered. */
struct daxmr_cmreq {
	struct rdma_cm_id *id;		  /* borrowed: the request's cm_id */
	bool keyed;			  /* clients must AUTH: version 2 at least */
	char peer[64];			  /* "ADDR:PORT" of the client, for logs */
	struct daxmr_proto_cm_connect cm; /* daxmr_cmreq_screen: the connect private data */
	uint16_t version;		  /* daxmr_cmreq_screen: the version chosen */
};

/* Starts answering the request on id (keyed: the server has a secret). */
void daxmr_cmreq_init(struct daxmr_cmreq *r, struct rdma_cm_id *id, bool keyed);

/*
 * Screens the request before anything is allocated, in this order: the connect private data
 * (pdata, pdata_len) must decode (else rejected BAD_MESSAGE, its -errno), share a version with
 * us, 2 at least when keyed (UNSUPPORTED_VERSION, -EPROTONOSUPPORT), come from an address some
 * export admits (admits(arg, address); ACCESS_DENIED, -EACCES) and arrive on verbs, our device
 * (BUSY, -ENODEV). Returns 0 with r->cm and r->version set, or the -errno after the rejection.
 */
int daxmr_cmreq_screen(struct daxmr_cmreq *r, const void *pdata, size_t pdata_len,
		       const struct ibv_context *verbs,
		       bool (*admits)(const void *arg, const struct sockaddr *sa), const void *arg);

/*
 * Rejects the request with reject private data (status, the version range we accept); logs why.
 * A reject private data that cannot be encoded is logged and the request rejected without it.
 */
void daxmr_cmreq_reject(const struct daxmr_cmreq *r, enum daxmr_proto_status status,
			const char *why);

/*
 * The accept parameters: accept private data (r->version, credits) encoded into pdata, as many
 * RDMA READs in flight as the client asks (req, may be NULL) up to max_rd_atom, none the other
 * way. Returns 0, or the encoder's -errno (logged: the caller rejects; never accept without it).
 */
int daxmr_cmreq_accept_param(const struct daxmr_cmreq *r, uint16_t credits,
			     const struct rdma_conn_param *req, int max_rd_atom,
			     uint8_t pdata[DAXMR_PROTO_CM_ACCEPT_SIZE],
			     struct rdma_conn_param *param);

#endif /* DAXMR_CMREQ_H */
