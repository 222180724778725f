/* SPDX-License-Identifier: BSD-3-Clause */
/* events.c -- libdaxmr: the notifications queued for daxmr_client_process and their callbacks */
#include "events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <unistd.h>

#include "log.h"

enum events_type {
	EVENTS_REVOKE = 1,
	EVENTS_AVAILABLE,
	EVENTS_DISCONNECT,
};

/* One notification waiting for delivery. */
struct events_event {
	TAILQ_ENTRY(events_event) entry;
	enum events_type type;
	struct daxmr_region *region;   /* borrowed: REVOKE only; dropped when the region closes */
	struct daxmr_revoke_info info; /* REVOKE; AVAILABLE: export_id and generation */
	int err;		       /* DISCONNECT: why */
	char name[DAXMR_NAME_MAX + 1];
};

struct daxmr_events {
	int fd; /* owned: eventfd, readable while events are queued */
	struct daxmr_callbacks cbs;
	void *cbs_arg;			  /* borrowed: the caller's */
	TAILQ_HEAD(, events_event) queue; /* owned */
};

/* An empty queue with its eventfd. */
int daxmr_events_new(struct daxmr_events **events_ptr)
{
	struct daxmr_events *events;
	int ret;

	events = calloc(1, sizeof(*events));
	if (!events)
		return -ENOMEM;
	events->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (events->fd < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("eventfd", ret, "libdaxmr's event queue");
		free(events);
		return ret;
	}
	TAILQ_INIT(&events->queue);
	*events_ptr = events;
	return 0;
}

/* Frees the queue and what is left in it. */
void daxmr_events_delete(struct daxmr_events **events_ptr)
{
	struct daxmr_events *events;
	struct events_event *ev;

	if (!events_ptr || !*events_ptr)
		return;
	events = *events_ptr;
	*events_ptr = NULL;
	while ((ev = TAILQ_FIRST(&events->queue))) {
		TAILQ_REMOVE(&events->queue, ev, entry);
		free(ev);
	}
	close(events->fd);
	free(events);
}

/* The eventfd. */
int daxmr_events_fd(const struct daxmr_events *events)
{
	return events->fd;
}

/* Sets or clears the callbacks. */
void daxmr_events_set_callbacks(struct daxmr_events *events, const struct daxmr_callbacks *cbs,
				void *arg)
{
	if (cbs)
		events->cbs = *cbs;
	else
		memset(&events->cbs, 0, sizeof(events->cbs));
	events->cbs_arg = arg;
}

/* A new event of type with name copied, or NULL (out of memory). */
static struct events_event *events_event_new(enum events_type type, const char *name)
{
	struct events_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->type = type;
	if (name)
		snprintf(ev->name, sizeof(ev->name), "%s", name);
	return ev;
}

/* Queues ev and makes the eventfd readable. */
static void events_push(struct daxmr_events *events, struct events_event *ev)
{
	uint64_t one = 1;

	TAILQ_INSERT_TAIL(&events->queue, ev, entry);
	/* an eventfd write only fails on counter overflow: it is readable then anyway */
	if (write(events->fd, &one, sizeof(one)) < 0)
		DAXMR_LOG_DBG("eventfd write: %s", daxmr_log_strerror(errno));
}

/* Queues on_revoke. */
int daxmr_events_push_revoke(struct daxmr_events *events, struct daxmr_region *region,
			     const struct daxmr_revoke_info *info)
{
	struct events_event *ev = events_event_new(EVENTS_REVOKE, info->name);

	if (!ev)
		return -ENOMEM;
	ev->region = region;
	ev->info = *info;
	ev->info.name = NULL; /* the copy in ev->name is lent out at delivery */
	events_push(events, ev);
	return 0;
}

/* Queues on_available. */
int daxmr_events_push_available(struct daxmr_events *events, uint32_t export_id, const char *name,
				uint64_t generation)
{
	struct events_event *ev = events_event_new(EVENTS_AVAILABLE, name);

	if (!ev)
		return -ENOMEM;
	ev->info.export_id = export_id;
	ev->info.generation = generation;
	events_push(events, ev);
	return 0;
}

/* Queues on_disconnect. */
int daxmr_events_push_disconnect(struct daxmr_events *events, int err)
{
	struct events_event *ev = events_event_new(EVENTS_DISCONNECT, NULL);

	if (!ev)
		return -ENOMEM;
	ev->err = err;
	events_push(events, ev);
	return 0;
}

/* Drops the undelivered events that point at region. */
void daxmr_events_drop_region(struct daxmr_events *events, struct daxmr_region *region)
{
	struct events_event *ev, *next;

	for (ev = TAILQ_FIRST(&events->queue); ev; ev = next) {
		next = TAILQ_NEXT(ev, entry);
		if (ev->region != region)
			continue;
		TAILQ_REMOVE(&events->queue, ev, entry);
		free(ev);
	}
}

/* Delivers one event through the callbacks. */
static void events_deliver_one(struct daxmr_events *events, struct events_event *ev)
{
	struct daxmr_revoke_info info;

	switch (ev->type) {
	case EVENTS_REVOKE:
		if (!events->cbs.on_revoke || !ev->region)
			return;
		info = ev->info;
		info.name = ev->name;
		events->cbs.on_revoke(ev->region, &info, events->cbs_arg);
		return;
	case EVENTS_AVAILABLE:
		if (events->cbs.on_available)
			events->cbs.on_available(ev->info.export_id, ev->name, ev->info.generation,
						 events->cbs_arg);
		return;
	case EVENTS_DISCONNECT:
		if (events->cbs.on_disconnect)
			events->cbs.on_disconnect(ev->err, events->cbs_arg);
		return;
	}
}

/* Whether anything waits for delivery. */
bool daxmr_events_pending(const struct daxmr_events *events)
{
	return !TAILQ_EMPTY(&events->queue);
}

/* Empties the eventfd, then delivers everything queued. */
void daxmr_events_deliver(struct daxmr_events *events)
{
	struct events_event *ev;
	uint64_t count;

	/* read the eventfd before delivering: an event queued by a callback sets it again */
	if (read(events->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		DAXMR_LOG_DBG("eventfd read: %s", daxmr_log_strerror(errno));
	while ((ev = TAILQ_FIRST(&events->queue))) {
		/* unlinked before delivery: a callback closing a region walks the queue */
		TAILQ_REMOVE(&events->queue, ev, entry);
		events_deliver_one(events, ev);
		free(ev);
	}
}
