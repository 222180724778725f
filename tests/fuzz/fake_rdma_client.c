/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_rdma_client.c -- fake_rdma's active side: event channel, cm_id, PD, channel, poll */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake_loop.h"
#include "fake_rdma.h"
#include "fuzz_check.h"

/*
 * What libdaxmr calls on top of what daxmrd does (fake_rdma.c): its waits are poll(2) on the
 * rdma_cm channel and the completion channel, so poll is faked too. Each poll first lets the
 * harness act (fake_rdma.on_wait: the server answers, the device completes, rdma_cm reports),
 * then reports what became readable; when nothing is, the fake clock jumps past the timeout,
 * so every wait ends. The channels' fds are real eventfds (the library puts them in an epoll
 * set), never written: readiness is the fake's to say.
 */

struct rdma_event_channel *__wrap_rdma_create_event_channel(void);
void __wrap_rdma_destroy_event_channel(struct rdma_event_channel *channel);
int __wrap_rdma_create_id(struct rdma_event_channel *channel, struct rdma_cm_id **id, void *context,
			  enum rdma_port_space ps);
int __wrap_rdma_resolve_addr(struct rdma_cm_id *id, struct sockaddr *src, struct sockaddr *dst,
			     int timeout_ms);
int __wrap_rdma_resolve_route(struct rdma_cm_id *id, int timeout_ms);
int __wrap_rdma_connect(struct rdma_cm_id *id, struct rdma_conn_param *param);
int __wrap_rdma_get_cm_event(struct rdma_event_channel *channel, struct rdma_cm_event **event);
int __wrap_rdma_ack_cm_event(struct rdma_cm_event *event);
struct ibv_pd *__wrap_ibv_alloc_pd(struct ibv_context *context);
int __wrap_ibv_dealloc_pd(struct ibv_pd *pd);
struct ibv_comp_channel *__wrap_ibv_create_comp_channel(struct ibv_context *context);
int __wrap_ibv_destroy_comp_channel(struct ibv_comp_channel *channel);
int __wrap_ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr);
int __wrap_ibv_get_cq_event(struct ibv_comp_channel *channel, struct ibv_cq **cq, void **ctx);
const char *__wrap_ibv_get_device_name(struct ibv_device *device);
int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __wrap_ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask);
int __wrap_rdma_set_option(struct rdma_cm_id *id, int level, int optname, void *optval,
			   size_t optlen);

/* The client moves its QP to the error state when it gives up: everything outstanding flushes. */
int __wrap_ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask)
{
	FUZZ_CHECK(qp && attr, "ibv_modify_qp without a QP or attributes");
	if ((attr_mask & IBV_QP_STATE) && attr->qp_state == IBV_QPS_ERR)
		fake_rdma_flush((struct fake_rdma_qp *)(void *)qp);
	return 0;
}

/* The ACK timeout either side asks for: taken (the fake has no transport timeouts). */
int __wrap_rdma_set_option(struct rdma_cm_id *id, int level, int optname, void *optval,
			   size_t optlen)
{
	FUZZ_CHECK(id && optval && optlen, "rdma_set_option without an id or a value");
	(void)level;
	(void)optname;
	return 0;
}

void fake_rdma_cm_push(enum rdma_cm_event_type type, int status, const void *pdata,
		       uint8_t pdata_len)
{
	unsigned int i = fake_rdma.cm_tail % (sizeof(fake_rdma.cm) / sizeof(fake_rdma.cm[0]));

	if (fake_rdma.cm_tail - fake_rdma.cm_head >= sizeof(fake_rdma.cm) / sizeof(fake_rdma.cm[0]))
		return; /* the peer floods: the kernel's queue would hold more, ours drops */
	if (pdata_len > sizeof(fake_rdma.cm[i].pdata))
		pdata_len = sizeof(fake_rdma.cm[i].pdata);
	fake_rdma.cm[i].type = type;
	fake_rdma.cm[i].status = status;
	fake_rdma.cm[i].pdata_len = pdata_len;
	if (pdata_len)
		memcpy(fake_rdma.cm[i].pdata, pdata, pdata_len);
	fake_rdma.cm_tail++;
}

struct rdma_event_channel *__wrap_rdma_create_event_channel(void)
{
	struct rdma_event_channel *ch = calloc(1, sizeof(*ch));

	FUZZ_CHECK(ch, "out of memory");
	ch->fd = eventfd(0, EFD_CLOEXEC);
	FUZZ_CHECK(ch->fd >= 0, "eventfd");
	fake_rdma.channel = ch;
	fake_rdma.live_channels++;
	return ch;
}

void __wrap_rdma_destroy_event_channel(struct rdma_event_channel *channel)
{
	FUZZ_CHECK(channel == fake_rdma.channel, "rdma_destroy_event_channel of another channel");
	FUZZ_CHECK(!fake_rdma.cm_id, "event channel destroyed before its cm_id");
	close(channel->fd);
	free(channel);
	fake_rdma.channel = NULL;
	fake_rdma.live_channels--;
}

int __wrap_rdma_create_id(struct rdma_event_channel *channel, struct rdma_cm_id **id, void *context,
			  enum rdma_port_space ps)
{
	struct rdma_cm_id *nid;

	FUZZ_CHECK(channel == fake_rdma.channel && ps == RDMA_PS_TCP && !fake_rdma.cm_id,
		   "rdma_create_id");
	nid = fake_rdma_new_id(7471);
	nid->verbs = NULL; /* known once the address is resolved */
	nid->channel = channel;
	nid->context = context;
	fake_rdma.cm_id = nid;
	*id = nid;
	return 0;
}

int __wrap_rdma_resolve_addr(struct rdma_cm_id *id, struct sockaddr *src, struct sockaddr *dst,
			     int timeout_ms)
{
	FUZZ_CHECK(id == fake_rdma.cm_id && dst && timeout_ms > 0, "rdma_resolve_addr");
	(void)src;
	id->verbs = &fake_rdma.ctx;
	if (fake_rdma.on_cm)
		fake_rdma.on_cm(fake_rdma.on_send_arg, id, FAKE_RDMA_CM_RESOLVE_ADDR);
	return 0;
}

int __wrap_rdma_resolve_route(struct rdma_cm_id *id, int timeout_ms)
{
	FUZZ_CHECK(id == fake_rdma.cm_id && timeout_ms > 0, "rdma_resolve_route");
	if (fake_rdma.on_cm)
		fake_rdma.on_cm(fake_rdma.on_send_arg, id, FAKE_RDMA_CM_RESOLVE_ROUTE);
	return 0;
}

int __wrap_rdma_connect(struct rdma_cm_id *id, struct rdma_conn_param *param)
{
	FUZZ_CHECK(id == fake_rdma.cm_id && id->qp, "rdma_connect without a QP");
	fake_rdma.connect_len = param->private_data_len < sizeof(fake_rdma.connect_pdata) ?
					param->private_data_len :
					(uint8_t)sizeof(fake_rdma.connect_pdata);
	if (fake_rdma.connect_len)
		memcpy(fake_rdma.connect_pdata, param->private_data, fake_rdma.connect_len);
	if (fake_rdma.on_cm)
		fake_rdma.on_cm(fake_rdma.on_send_arg, id, FAKE_RDMA_CM_CONNECT);
	return 0;
}

int __wrap_rdma_get_cm_event(struct rdma_event_channel *channel, struct rdma_cm_event **event)
{
	struct rdma_cm_event *ev;
	unsigned int i;

	FUZZ_CHECK(channel == fake_rdma.channel, "rdma_get_cm_event on another channel");
	if (fake_rdma.cm_head == fake_rdma.cm_tail) {
		errno = EAGAIN;
		return -1;
	}
	i = fake_rdma.cm_head++ % (sizeof(fake_rdma.cm) / sizeof(fake_rdma.cm[0]));
	ev = calloc(1, sizeof(*ev) + sizeof(fake_rdma.cm[i].pdata));
	FUZZ_CHECK(ev, "out of memory");
	ev->id = fake_rdma.cm_id;
	ev->event = fake_rdma.cm[i].type;
	ev->status = fake_rdma.cm[i].status;
	if (fake_rdma.cm[i].pdata_len) {
		memcpy(ev + 1, fake_rdma.cm[i].pdata, fake_rdma.cm[i].pdata_len);
		ev->param.conn.private_data = ev + 1;
		ev->param.conn.private_data_len = fake_rdma.cm[i].pdata_len;
	}
	*event = ev;
	return 0;
}

int __wrap_rdma_ack_cm_event(struct rdma_cm_event *event)
{
	free(event);
	return 0;
}

struct ibv_pd *__wrap_ibv_alloc_pd(struct ibv_context *context)
{
	FUZZ_CHECK(context == &fake_rdma.ctx, "ibv_alloc_pd on another device");
	fake_rdma.live_pds++;
	return &fake_rdma.pd;
}

int __wrap_ibv_dealloc_pd(struct ibv_pd *pd)
{
	FUZZ_CHECK(pd == &fake_rdma.pd && fake_rdma.live_pds > 0, "ibv_dealloc_pd");
	/* EBUSY for real while anything is still on it */
	FUZZ_CHECK(fake_rdma.live_mrs == 0 && fake_rdma.live_qps == 0 && fake_rdma.live_mws == 0,
		   "ibv_dealloc_pd with %d MRs, %d QPs, %d windows on it", fake_rdma.live_mrs,
		   fake_rdma.live_qps, fake_rdma.live_mws);
	fake_rdma.live_pds--;
	return 0;
}

struct ibv_comp_channel *__wrap_ibv_create_comp_channel(struct ibv_context *context)
{
	FUZZ_CHECK(context == &fake_rdma.ctx && fake_rdma.live_ccs == 0, "ibv_create_comp_channel");
	fake_rdma.cc.fd = eventfd(0, EFD_CLOEXEC);
	FUZZ_CHECK(fake_rdma.cc.fd >= 0, "eventfd");
	fake_rdma.live_ccs++;
	return &fake_rdma.cc;
}

int __wrap_ibv_destroy_comp_channel(struct ibv_comp_channel *channel)
{
	FUZZ_CHECK(channel == &fake_rdma.cc && fake_rdma.live_ccs == 1, "ibv_destroy_comp_channel");
	/* EBUSY for real while a CQ uses it */
	FUZZ_CHECK(fake_rdma.live_cqs == 0, "completion channel destroyed before its CQ");
	close(channel->fd);
	channel->fd = -1;
	fake_rdma.live_ccs--;
	return 0;
}

int __wrap_ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr)
{
	FUZZ_CHECK(context == &fake_rdma.ctx, "ibv_query_device");
	memset(attr, 0, sizeof(*attr));
	attr->max_qp_wr = 4096;
	attr->max_cqe = 4096;
	attr->max_qp_rd_atom = 16;
	attr->max_qp_init_rd_atom = 16;
	attr->max_mr_size = UINT64_MAX;
	attr->atomic_cap = IBV_ATOMIC_HCA;
	return 0;
}

int __wrap_ibv_get_cq_event(struct ibv_comp_channel *channel, struct ibv_cq **cq, void **ctx)
{
	FUZZ_CHECK(channel == &fake_rdma.cc, "ibv_get_cq_event on another channel");
	if (!fake_rdma.event_cq) {
		errno = EAGAIN;
		return -1;
	}
	*cq = &fake_rdma.event_cq->cq;
	*ctx = fake_rdma.event_cq->cq.cq_context;
	fake_rdma.event_cq = NULL;
	return 0;
}

const char *__wrap_ibv_get_device_name(struct ibv_device *device)
{
	(void)device;
	return "fake0";
}

/* The active side's QP (its one cm_id's). */
static struct fake_rdma_qp *fake_client_qp(void)
{
	return fake_rdma.cm_id ? fake_rdma_qp_of(fake_rdma.cm_id) : NULL;
}

int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct fake_rdma_qp *qp;
	bool more = true;
	int ready = 0;
	nfds_t i;

	for (;;) {
		qp = fake_client_qp();
		for (i = 0; i < nfds; i++) {
			fds[i].revents = 0;
			if (fake_rdma.channel && fds[i].fd == fake_rdma.channel->fd &&
			    fake_rdma.cm_head != fake_rdma.cm_tail)
				fds[i].revents = POLLIN;
			if (qp && fds[i].fd == fake_rdma.cc.fd &&
			    (fake_rdma.event_cq || fake_rdma_take_event(qp->cq))) {
				fake_rdma.event_cq = qp->cq;
				fds[i].revents = POLLIN;
			}
			ready += fds[i].revents != 0;
		}
		if (ready || !more)
			break;
		/* nothing readable yet: the peer's turn */
		more = fake_rdma.on_wait && fake_rdma.on_wait(fake_rdma.on_send_arg);
	}
	if (!ready && timeout > 0)
		fake_loop_advance((uint64_t)timeout * 1000u);
	return ready;
}
