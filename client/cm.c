/* SPDX-License-Identifier: BSD-3-Clause */
/* cm.c -- libdaxmr: the rdma_cm side of one connection: resolution, connect data, disconnect */
#include "cm.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "clock.h"
#include "daxmr.h"
#include "fd.h"
#include "hostport.h"
#include "log.h"

/* RDMA READs and atomics in flight we ask for (the device's max, up to this): READs pipeline */
#define CM_RD_ATOM_MAX 128
/*
 * The QP's ACK timeout, 4.096 us x 2^14 = 67 ms: a lost packet is retransmitted after that,
 * 7 times (retry_count) before the QP fails, so a dead peer shows within about 0.5 s of a post.
 */
#define CM_ACK_TIMEOUT 14
#define CM_DISCONNECT_WAIT_MS 1000

struct daxmr_cm {
	struct rdma_event_channel *channel; /* owned */
	struct rdma_cm_id *id;		    /* owned; owns the QP once created */
	int timeout_ms;
	bool connected; /* ESTABLISHED seen: rdma_disconnect is due */
	char peer[300]; /* "host:port" for messages */
};

/* A copy of one rdma_cm event, taken before it is acked. */
struct cm_event {
	enum rdma_cm_event_type type;
	int status;
	uint8_t pdata[256];
	size_t pdata_len;
};

/* The event channel and the id on it. */
int daxmr_cm_new(const char *addr, int timeout_ms, struct daxmr_cm **cm_ptr)
{
	struct daxmr_cm *cm;
	int ret;

	cm = calloc(1, sizeof(*cm));
	if (!cm)
		return -ENOMEM;
	cm->timeout_ms = timeout_ms;
	snprintf(cm->peer, sizeof(cm->peer), "%s", addr);
	cm->channel = rdma_create_event_channel();
	if (!cm->channel) {
		ret = errno ? -errno : -ENODEV;
		DAXMR_LOG_CALL_ERR("rdma_create_event_channel", ret,
				   "connection %s (is the rdma_ucm module loaded?)", addr);
		goto err_free;
	}
	ret = daxmr_fd_set_nonblock(cm->channel->fd, true, "rdma_cm channel");
	if (ret)
		goto err_destroy_channel;
	if (rdma_create_id(cm->channel, &cm->id, cm, RDMA_PS_TCP)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_create_id", ret, "connection %s", addr);
		goto err_destroy_channel;
	}
	*cm_ptr = cm;
	return 0;

err_destroy_channel:
	rdma_destroy_event_channel(cm->channel);
err_free:
	free(cm);
	return ret;
}

/* Destroys the id, then the channel. */
int daxmr_cm_delete(struct daxmr_cm **cm_ptr)
{
	struct daxmr_cm *cm;
	int ret = 0;

	if (!cm_ptr || !*cm_ptr)
		return 0;
	cm = *cm_ptr;
	*cm_ptr = NULL;
	if (rdma_destroy_id(cm->id)) {
		ret = -errno; /* before the log line, which may call into libc */
		DAXMR_LOG_CALL_ERR("rdma_destroy_id", ret, "connection %s", cm->peer);
	}
	rdma_destroy_event_channel(cm->channel);
	free(cm);
	return ret;
}

/* The id. */
struct rdma_cm_id *daxmr_cm_id(const struct daxmr_cm *cm)
{
	return cm->id;
}

/* The channel's fd. */
int daxmr_cm_fd(const struct daxmr_cm *cm)
{
	return cm->channel->fd;
}

/* The server's "host:port". */
const char *daxmr_cm_peer(const struct daxmr_cm *cm)
{
	return cm->peer;
}

/* Gets one rdma_cm event without blocking, copies and acks it; -EAGAIN if none. */
static int cm_get(struct daxmr_cm *cm, struct cm_event *out)
{
	struct rdma_cm_event *ev;

	memset(out, 0, sizeof(*out));
	if (rdma_get_cm_event(cm->channel, &ev)) {
		int err = errno > 0 ? errno : EIO; /* never report success without an event */

		if (err == EAGAIN || err == EWOULDBLOCK)
			return -EAGAIN;
		DAXMR_LOG_CALL_ERR("rdma_get_cm_event", -err, "connection %s", cm->peer);
		return -err;
	}
	out->type = ev->event;
	out->status = ev->status;
	if (ev->param.conn.private_data && ev->param.conn.private_data_len) {
		out->pdata_len = ev->param.conn.private_data_len;
		if (out->pdata_len > sizeof(out->pdata))
			out->pdata_len = sizeof(out->pdata);
		memcpy(out->pdata, ev->param.conn.private_data, out->pdata_len);
	}
	rdma_ack_cm_event(ev);
	return 0;
}

/* The errno of an event that ended a connection attempt, logged; -ECONNREFUSED for REJECTED. */
static int cm_event_errno(const struct daxmr_cm *cm, const struct cm_event *ev)
{
	/* the failure events: what failed, and the errno when the event's status carries none */
	static const struct {
		enum rdma_cm_event_type type;
		const char *what;
		int err;
	} failures[] = {
		{ RDMA_CM_EVENT_ADDR_ERROR, "cannot resolve the address to an RDMA device",
		  -EHOSTUNREACH },
		{ RDMA_CM_EVENT_ROUTE_ERROR, "cannot resolve a route", -ENETUNREACH },
		{ RDMA_CM_EVENT_UNREACHABLE, "unreachable", -EHOSTUNREACH },
		{ RDMA_CM_EVENT_CONNECT_ERROR, "connect error", -ECONNREFUSED },
	};
	size_t i;
	int ret;

	if (ev->type == RDMA_CM_EVENT_REJECTED)
		return -ECONNREFUSED; /* the caller decodes the reject data */
	for (i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		if (failures[i].type != ev->type)
			continue;
		ret = ev->status < 0 ? ev->status : failures[i].err;
		DAXMR_LOG_ERR("connecting to %s: %s: %s", cm->peer, failures[i].what,
			      daxmr_log_strerror(ret));
		return ret;
	}
	DAXMR_LOG_ERR("connecting to %s: unexpected rdma_cm event %s (status %d)", cm->peer,
		      rdma_event_str(ev->type), ev->status);
	return -EPROTO;
}

/* Waits for one rdma_cm event during connect; other events are failures. */
static int cm_expect(struct daxmr_cm *cm, enum rdma_cm_event_type want, int64_t deadline,
		     struct cm_event *ev)
{
	struct pollfd pfd = { .fd = cm->channel->fd, .events = POLLIN };
	int64_t left;
	int ret;

	for (;;) {
		ret = cm_get(cm, ev);
		if (ret == 0)
			break;
		if (ret != -EAGAIN)
			return ret;
		left = deadline - daxmr_clock_ms();
		if (left <= 0) {
			DAXMR_LOG_ERR("connecting to %s: no %s within %d ms", cm->peer,
				      rdma_event_str(want), cm->timeout_ms);
			return -ETIMEDOUT;
		}
		ret = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("poll", ret, "rdma_cm channel of %s", cm->peer);
			return ret;
		}
	}
	return ev->type == want ? 0 : cm_event_errno(cm, ev);
}

/*
 * The negative errno a getaddrinfo error means; err is errno as getaddrinfo left it (EAI_SYSTEM's
 * cause). A name that does not resolve is -ENXIO, a resolver that cannot answer now -EAGAIN,
 * one that failed for good -EIO: none of them says the host is unreachable.
 */
static int cm_gai_errno(int eai, int err)
{
	switch (eai) {
	case EAI_SYSTEM:
		return err > 0 ? -err : -EIO;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return -ENXIO;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SERVICE:
	case EAI_FAMILY:
	case EAI_SOCKTYPE:
	case EAI_BADFLAGS:
		return -EINVAL;
	case EAI_FAIL:
	default:
		return -EIO;
	}
}

/* Parses and resolves addr, then has rdma_cm bind it to a device. */
int daxmr_cm_resolve_addr(struct daxmr_cm *cm, const char *addr, int64_t deadline)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	struct cm_event ev;
	char host[256], port[16];
	unsigned int portnum;
	int ret;

	ret = daxmr_hostport_parse(addr, DAXMR_DEFAULT_PORT, host, sizeof(host), &portnum);
	if (ret) {
		DAXMR_LOG_ERR("bad server address '%s': want host[:port] or [ipv6]:port, port "
			      "1..65535",
			      addr);
		return ret;
	}
	snprintf(port, sizeof(port), "%u", portnum);
	snprintf(cm->peer, sizeof(cm->peer), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret) {
		int err = cm_gai_errno(ret, errno); /* errno now: EAI_SYSTEM's cause */

		DAXMR_LOG_ERR("getaddrinfo %s: %s", cm->peer,
			      ret == EAI_SYSTEM ? daxmr_log_strerror(err) : gai_strerror(ret));
		return err;
	}
	if (rdma_resolve_addr(cm->id, NULL, ai->ai_addr, cm->timeout_ms)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_resolve_addr", ret, "%s", cm->peer);
		freeaddrinfo(ai);
		return ret;
	}
	freeaddrinfo(ai);
	return cm_expect(cm, RDMA_CM_EVENT_ADDR_RESOLVED, deadline, &ev);
}

/* Resolves the route. */
int daxmr_cm_resolve_route(struct daxmr_cm *cm, int64_t deadline)
{
	struct cm_event ev;
	int ret;

	if (rdma_resolve_route(cm->id, cm->timeout_ms)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_resolve_route", ret, "%s", cm->peer);
		return ret;
	}
	return cm_expect(cm, RDMA_CM_EVENT_ROUTE_RESOLVED, deadline, &ev);
}

/* Explains a reject: the server's status and versions when it sent daxmr reject data. */
static int cm_reject_errno(const struct daxmr_cm *cm, const struct cm_event *ev)
{
	struct daxmr_proto_cm_reject rej;

	if (daxmr_proto_cm_reject_decode(ev->pdata, ev->pdata_len, &rej)) {
		DAXMR_LOG_ERR(
			"connecting to %s: rejected (reason %d) without daxmr reject data: is "
			"daxmrd listening there?",
			cm->peer, ev->status);
		return -ECONNREFUSED;
	}
	DAXMR_LOG_ERR("connecting to %s: daxmrd rejected us: %s (server speaks versions %u..%u, "
		      "we speak %u..%u)",
		      cm->peer, daxmr_proto_status_str(rej.status), rej.version_min,
		      rej.version_max, DAXMR_PROTO_VERSION_MIN, DAXMR_PROTO_VERSION_CLIENT_MAX);
	if (rej.reason[0])
		DAXMR_LOG_ERR("connecting to %s: daxmrd says why: %s", cm->peer, rej.reason);
	if (rej.status == DAXMR_PROTO_STATUS_UNSUPPORTED_VERSION)
		return -EPROTONOSUPPORT;
	if (rej.status == DAXMR_PROTO_STATUS_BUSY)
		return -EBUSY;
	if (rej.status == DAXMR_PROTO_STATUS_ACCESS_DENIED) {
		DAXMR_LOG_ERR("connecting to %s: no export there admits this client's address",
			      cm->peer);
		return -EACCES;
	}
	return -ECONNREFUSED;
}

/* The connect parameters: our version range, RDMA READ depths the device allows. */
static int cm_conn_param(struct daxmr_cm *cm, uint8_t *pdata, size_t pdata_size,
			 struct rdma_conn_param *param)
{
	struct daxmr_proto_cm_connect cc = { .version_min = DAXMR_PROTO_VERSION_MIN,
					     .version_max = DAXMR_PROTO_VERSION_CLIENT_MAX };
	struct ibv_device_attr dev;
	int ret;

	ret = daxmr_proto_cm_connect_encode(&cc, pdata, pdata_size);
	if (ret < 0)
		return ret;
	*param =
		(struct rdma_conn_param){ .private_data = pdata, .private_data_len = (uint8_t)ret };
	ret = ibv_query_device(cm->id->verbs, &dev);
	if (ret) {
		DAXMR_LOG_CALL_ERR("ibv_query_device", -ret, "connection %s", cm->peer);
		return -ret;
	}
	param->initiator_depth =
		(uint8_t)(dev.max_qp_init_rd_atom < CM_RD_ATOM_MAX ? dev.max_qp_init_rd_atom :
								     CM_RD_ATOM_MAX);
	param->responder_resources =
		(uint8_t)(dev.max_qp_rd_atom < CM_RD_ATOM_MAX ? dev.max_qp_rd_atom :
								CM_RD_ATOM_MAX);
	param->retry_count = 7;
	param->rnr_retry_count = 7; /* infinite: a server reposts receives before it replies */
	return 0;
}

/* The QP's ACK timeout (before rdma_connect moves it to RTS); a kernel without the option
 * keeps its default, said once in the log. */
static void cm_set_ack_timeout(struct daxmr_cm *cm)
{
	uint8_t timeout = CM_ACK_TIMEOUT;

	if (rdma_set_option(cm->id, RDMA_OPTION_ID, RDMA_OPTION_ID_ACK_TIMEOUT, &timeout,
			    sizeof(timeout)))
		DAXMR_LOG_NTC("rdma_set_option(RDMA_OPTION_ID_ACK_TIMEOUT, %u) on %s: %s: keeping "
			      "the kernel's ACK timeout",
			      (unsigned int)timeout, cm->peer, daxmr_log_strerror(errno));
}

/* rdma_connect; waits for ESTABLISHED and checks the accept data. */
int daxmr_cm_connect(struct daxmr_cm *cm, int64_t deadline, struct daxmr_proto_cm_accept *acc)
{
	uint8_t pdata[DAXMR_PROTO_CM_CONNECT_SIZE];
	struct rdma_conn_param param;
	struct cm_event ev = { 0 };
	int ret;

	ret = cm_conn_param(cm, pdata, sizeof(pdata), &param);
	if (ret)
		return ret;
	cm_set_ack_timeout(cm);
	if (rdma_connect(cm->id, &param)) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("rdma_connect", ret, "%s", cm->peer);
		return ret;
	}
	ret = cm_expect(cm, RDMA_CM_EVENT_ESTABLISHED, deadline, &ev);
	if (ret == -ECONNREFUSED && ev.type == RDMA_CM_EVENT_REJECTED)
		return cm_reject_errno(cm, &ev);
	if (ret)
		return ret;
	cm->connected = true;
	ret = daxmr_proto_cm_accept_decode(ev.pdata, ev.pdata_len, acc);
	if (ret) {
		DAXMR_LOG_ERR("connecting to %s: bad accept data (%zu bytes): %s", cm->peer,
			      ev.pdata_len, daxmr_log_strerror(ret));
		return ret == -EPROTONOSUPPORT ? ret : -EPROTO;
	}
	if (acc->credits < 1) {
		DAXMR_LOG_ERR("connecting to %s: server grants 0 credits", cm->peer);
		return -EPROTO;
	}
	return 0;
}

/* rdma_disconnect if connected. */
void daxmr_cm_disconnect(struct daxmr_cm *cm)
{
	if (cm->connected && rdma_disconnect(cm->id))
		DAXMR_LOG_DBG("rdma_disconnect %s: %s", cm->peer, daxmr_log_strerror(errno));
}

/* rdma_disconnect, then a bounded wait for DISCONNECTED. */
void daxmr_cm_disconnect_wait(struct daxmr_cm *cm)
{
	int64_t deadline = daxmr_clock_ms() + CM_DISCONNECT_WAIT_MS;
	struct pollfd pfd = { .fd = cm->channel->fd, .events = POLLIN };
	struct cm_event ev;
	int64_t left;

	if (!cm->connected)
		return;
	if (rdma_disconnect(cm->id)) {
		DAXMR_LOG_DBG("rdma_disconnect %s: %s", cm->peer, daxmr_log_strerror(errno));
		return;
	}
	while (cm->connected) {
		if (cm_get(cm, &ev) == 0) {
			if (ev.type == RDMA_CM_EVENT_DISCONNECTED)
				cm->connected = false;
			continue;
		}
		left = deadline - daxmr_clock_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) < 0)
			return;
	}
}

/* The established connection's events: only its end matters. */
int daxmr_cm_poll(struct daxmr_cm *cm)
{
	struct cm_event ev;
	int ret = 0;

	while (cm_get(cm, &ev) == 0) {
		DAXMR_LOG_DBG("rdma_cm event %s on %s", rdma_event_str(ev.type), cm->peer);
		switch (ev.type) {
		case RDMA_CM_EVENT_DISCONNECTED:
			cm->connected = false;
			ret = ret ? ret : -ECONNRESET;
			break;
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
			ret = ret ? ret : -ENODEV;
			break;
		default:
			break;
		}
	}
	return ret;
}
