/* SPDX-License-Identifier: BSD-3-Clause */
/* cmreq.c -- a connect request's rdma_cm side: its private data, version, admission, answer */
#include "cmreq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

/* "ADDR:PORT" of the peer of id. */
static void cmreq_peer_str(struct rdma_cm_id *id, char *buf, size_t size)
{
	struct sockaddr *sa = rdma_get_peer_addr(id);
	char addr[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (sa && sa->sa_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(buf, size, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

/* The oldest version this server accepts: AUTH is version 2's, identities version 4's. */
static uint16_t cmreq_version_min(const struct daxmr_cmreq *r)
{
	return r->version_min;
}

/* Starts answering a request. */
void daxmr_cmreq_init(struct daxmr_cmreq *r, struct rdma_cm_id *id, bool keyed, bool ids)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->version_min = ids   ? DAXMR_PROTO_VERSION_ID :
			 keyed ? DAXMR_PROTO_VERSION_AUTH :
				 DAXMR_PROTO_VERSION_MIN;
	cmreq_peer_str(id, r->peer, sizeof(r->peer));
}

/* Rejects with reject private data. */
void daxmr_cmreq_reject(const struct daxmr_cmreq *r, enum daxmr_proto_status status,
			const char *why)
{
	struct daxmr_proto_cm_reject rej = {
		.status = status,
		.version_min = cmreq_version_min(r),
		.version_max = DAXMR_PROTO_VERSION_MAX,
	};
	uint8_t pdata[DAXMR_PROTO_CM_REJECT_LIMIT];
	size_t i;
	int n, ret;

	DAXMR_LOG_WRN("connection from %s rejected (%s): %s", r->peer,
		      daxmr_proto_status_str(status), why);
	daxmr_metrics_conn_rejected(daxmr_proto_status_str(status));
	snprintf(rej.reason, sizeof(rej.reason), "%s", why);
	for (i = 0; rej.reason[i]; i++)
		if (rej.reason[i] < 0x20 || rej.reason[i] > 0x7e)
			rej.reason[i] = '?'; /* a peer's bytes or a path: never a control byte */
	n = daxmr_proto_cm_reject_encode(&rej, pdata, sizeof(pdata));
	if (n <= 0)
		DAXMR_LOG_ERR("connection from %s: cannot encode the reject private data (%s): %s: "
			      "rejecting without it",
			      r->peer, daxmr_proto_status_str(status),
			      daxmr_log_strerror(n < 0 ? n : -EINVAL));
	if (rdma_reject(r->id, n > 0 ? pdata : NULL, n > 0 ? (uint8_t)n : 0)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_reject", ret, "connection from %s", r->peer);
	}
}

/* Picks the version and checks the address and the device before anything is allocated. */
int daxmr_cmreq_screen(struct daxmr_cmreq *r, const void *pdata, size_t pdata_len,
		       const struct ibv_context *verbs,
		       bool (*admits)(const void *arg, const struct sockaddr *sa), const void *arg)
{
	char why[128];
	int ret;

	ret = daxmr_proto_cm_connect_decode(pdata, pdata_len, &r->cm);
	if (ret) {
		daxmr_cmreq_reject(r, DAXMR_PROTO_STATUS_BAD_MESSAGE,
				   "no valid daxmr connect private data");
		return ret;
	}
	ret = daxmr_proto_version_pick(r->cm.version_min, r->cm.version_max);
	if (ret >= 0 && ret < cmreq_version_min(r))
		ret = -EPROTONOSUPPORT;
	if (ret < 0) {
		snprintf(why, sizeof(why), "client speaks versions %u..%u, we speak %u..%u%s",
			 r->cm.version_min, r->cm.version_max, (unsigned int)cmreq_version_min(r),
			 (unsigned int)DAXMR_PROTO_VERSION_MAX,
			 r->version_min >= DAXMR_PROTO_VERSION_ID ?
				 " (clients must name an identity, which needs version 4)" :
			 r->version_min >= DAXMR_PROTO_VERSION_AUTH ?
				 " (clients must authenticate, which needs version 2)" :
				 "");
		daxmr_cmreq_reject(r, DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION, why);
		return ret;
	}
	r->version = (uint16_t)ret;
	if (!admits(arg, rdma_get_peer_addr(r->id))) {
		daxmr_cmreq_reject(r, DAXMR_PROTO_STATUS_ACCESS_DENIED,
				   "no export's allowlist holds its address");
		return -EACCES;
	}
	if (r->id->verbs != verbs) {
		daxmr_cmreq_reject(r, DAXMR_PROTO_STATUS_BUSY,
				   "it arrived on another RDMA device than the one daxmrd serves");
		return -ENODEV;
	}
	return 0;
}

/* The accept parameters, with the accept private data. */
int daxmr_cmreq_accept_param(const struct daxmr_cmreq *r, uint16_t credits,
			     const struct rdma_conn_param *req, int max_rd_atom,
			     uint8_t pdata[DAXMR_PROTO_CM_ACCEPT_SIZE],
			     struct rdma_conn_param *param)
{
	struct daxmr_proto_cm_accept acc = { .version = r->version, .credits = credits };
	int n, ret;

	n = daxmr_proto_cm_accept_encode(&acc, pdata, DAXMR_PROTO_CM_ACCEPT_SIZE);
	if (n <= 0) {
		/* a client cannot use an accept without it: refuse rather than send none */
		ret = n < 0 ? n : -EINVAL;
		DAXMR_LOG_ERR("connection %s: cannot encode the accept private data (version %u, "
			      "%u credits): %s",
			      r->peer, acc.version, credits, daxmr_log_strerror(ret));
		return ret;
	}
	memset(param, 0, sizeof(*param));
	param->private_data = pdata;
	param->private_data_len = (uint8_t)n;
	/* the client READs from us: take as many reads in flight as it asks, up to the device's */
	param->responder_resources =
		req && req->responder_resources ? req->responder_resources : (uint8_t)max_rd_atom;
	if (max_rd_atom > 0 && param->responder_resources > max_rd_atom)
		param->responder_resources = (uint8_t)max_rd_atom;
	param->initiator_depth = 0; /* we issue no RDMA READ */
	/* rdma_cm takes our QP's retry count from the client's request: this is only what we ask */
	param->retry_count = 6;
	param->rnr_retry_count = DAXMR_CMREQ_RNR_RETRY;
	return 0;
}

/* Our QP's ACK timeout, chosen rather than rdma_cm's (see cmreq.h). */
int daxmr_cmreq_set_ack_timeout(const struct daxmr_cmreq *r)
{
	uint8_t timeout = DAXMR_CMREQ_ACK_TIMEOUT;
	int ret;

	if (rdma_set_option(r->id, RDMA_OPTION_ID, RDMA_OPTION_ID_ACK_TIMEOUT, &timeout,
			    sizeof(timeout))) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_set_option", ret,
				   "connection %s: ACK timeout %u: keeping rdma_cm's", r->peer,
				   (unsigned int)timeout);
		return ret;
	}
	return 0;
}

/* What the QP got: the log is where the timeouts of a live connection can be read. */
void daxmr_cmreq_log_qp(const struct daxmr_cmreq *r, struct ibv_qp *qp)
{
	struct ibv_qp_attr attr;
	struct ibv_qp_init_attr init;
	int ret;

	if (!qp)
		return;
	ret = -ibv_query_qp(qp, &attr, IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY, &init);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_query_qp", ret, "connection %s", r->peer);
		return;
	}
	/* 4.096 us * 2^timeout, in ms */
	DAXMR_LOG_INF("connection %s: QP ACK timeout %u (%llu ms), retry count %u, RNR retry %u",
		      r->peer, (unsigned int)attr.timeout,
		      attr.timeout ? (4096ULL << attr.timeout) / 1000000ULL : 0ULL,
		      (unsigned int)attr.retry_cnt, (unsigned int)attr.rnr_retry);
}
