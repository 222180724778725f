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
	uint16_t version_min;		  /* the oldest version we accept: 2 with a secret, 4 with
					   * identities (AUTH needs 2, identities 4) */
	char peer[64];			  /* "ADDR:PORT" of the client, for logs */
	struct daxmr_proto_cm_connect cm; /* daxmr_cmreq_screen: the connect private data */
	uint16_t version;		  /* daxmr_cmreq_screen: the version chosen */
};

/*
 * Starts answering the request on id: keyed, the server has a secret; ids, it has a keys
 * directory (identities, version 4).
 */
void daxmr_cmreq_init(struct daxmr_cmreq *r, struct rdma_cm_id *id, bool keyed, bool ids);

/*
 * Screens the request before anything is allocated, in this order: the connect private data
 * (pdata, pdata_len) must decode (else rejected BAD_MESSAGE, its -errno), share a version with
 * us, 2 at least when keyed, 4 with identities (UNSUPPORTED_VERSION, -EPROTONOSUPPORT), come from
 * an address some export admits (admits(arg, address); ACCESS_DENIED, -EACCES) and arrive on verbs,
 * our device (BUSY, -ENODEV). Returns 0 with r->cm and r->version set, or the -errno after the
 * rejection.
 */
int daxmr_cmreq_screen(struct daxmr_cmreq *r, const void *pdata, size_t pdata_len,
		       const struct ibv_context *verbs,
		       bool (*admits)(const void *arg, const struct sockaddr *sa), const void *arg);

/*
 * Rejects the request with reject private data (status, the version range we accept, why as the
 * reason the client prints: cut to DAXMR_PROTO_CM_REASON_MAX bytes); logs why.
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

/*
 * The local ACK timeout of the accepted connection's QP, as an exponent: 4.096 us * 2^17 = 537 ms
 * before a send that got no RDMA acknowledgement is retransmitted. Far above a round trip under
 * 5 +- 2 ms delay each way (and TCG's slowness), so it never fires on a live link; the retry
 * count is the client's (the connect request carries it), so the QP gives up on a dead client
 * after (retry_count + 1) * 537 ms -- never, on rxe, if the client asks for 7 (rxe treats 7 as
 * "retry without end"): the unreachable-holder bound of conn.c covers that case.
 */
#define DAXMR_CMREQ_ACK_TIMEOUT 17
/* RNR NAKs (our receives are posted before any reply goes out): wait for receives without end */
#define DAXMR_CMREQ_RNR_RETRY 7

/*
 * Sets the accepted id's ACK timeout (DAXMR_CMREQ_ACK_TIMEOUT) before rdma_accept moves its QP to
 * RTS. Returns 0 or the -errno of rdma_set_option (logged: the QP then keeps rdma_cm's timeout).
 */
int daxmr_cmreq_set_ack_timeout(const struct daxmr_cmreq *r);

/* Logs (info) the timeout, retry and RNR retry counts the accepted QP really has. */
void daxmr_cmreq_log_qp(const struct daxmr_cmreq *r, struct ibv_qp *qp);

#endif /* DAXMR_CMREQ_H */
