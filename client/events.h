/* SPDX-License-Identifier: BSD-3-Clause */
/* events.h -- libdaxmr: the notifications queued for daxmr_client_process and their callbacks */
#ifndef DAXMR_CLIENT_EVENTS_H
#define DAXMR_CLIENT_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "daxmr.h"

/*
 * Server notifications (REVOKE, AVAILABLE) and the connection's death are handled when they
 * arrive, inside whatever call drains the completion queue; what the caller must be told waits
 * here, in arrival order, until daxmr_client_process delivers it through the callbacks. An
 * eventfd is readable while anything is queued, so the client's epoll fd wakes the caller.
 */
struct daxmr_events;

/* An empty queue with its eventfd and no callbacks. 0 or -errno (eventfd, -ENOMEM). */
int daxmr_events_new(struct daxmr_events **events_ptr);

/* Frees the queue, what is still in it, and the eventfd. NULL-safe; NULLs *events_ptr. */
void daxmr_events_delete(struct daxmr_events **events_ptr);

/* The eventfd: readable while events are queued. */
int daxmr_events_fd(const struct daxmr_events *events);

/* Sets (or with cbs NULL clears) the callbacks; cbs is copied, arg borrowed. */
void daxmr_events_set_callbacks(struct daxmr_events *events, const struct daxmr_callbacks *cbs,
				void *arg);

/* Queues on_revoke for region (borrowed until delivered or dropped); info is copied. -ENOMEM. */
int daxmr_events_push_revoke(struct daxmr_events *events, struct daxmr_region *region,
			     const struct daxmr_revoke_info *info);

/* Queues on_available for export_id, now generation; name is copied. -ENOMEM. */
int daxmr_events_push_available(struct daxmr_events *events, uint32_t export_id, const char *name,
				uint64_t generation);

/* Queues on_disconnect with err (a negative errno). -ENOMEM. */
int daxmr_events_push_disconnect(struct daxmr_events *events, int err);

/* Drops the undelivered events of region (it is being closed). */
void daxmr_events_drop_region(struct daxmr_events *events, struct daxmr_region *region);

/* Whether an event waits for daxmr_events_deliver. */
bool daxmr_events_pending(const struct daxmr_events *events);

/*
 * Empties the eventfd, then delivers every queued event through the callbacks, oldest first.
 * A callback may queue more (they are delivered in this call, and leave the eventfd readable
 * for one spurious wakeup) or close regions (their events are dropped).
 */
void daxmr_events_deliver(struct daxmr_events *events);

#endif /* DAXMR_CLIENT_EVENTS_H */
