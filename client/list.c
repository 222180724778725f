/* SPDX-License-Identifier: BSD-3-Clause */
/* list.c -- libdaxmr: the server's exports through paged LIST (daxmr_client_list) */
#include "list.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"

#define LIST_PAGES_MAX 65536 /* a server that keeps saying MORE is broken */

/* Whether list already holds export_id. */
static bool list_has(const struct daxmr_list *list, uint32_t export_id)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (list->infos[i].export_id == export_id)
			return true;
	return false;
}

/* Appends the page's new entries. */
int daxmr_list_append(struct daxmr_list *list, const struct daxmr_proto_list_reply *page)
{
	const struct daxmr_proto_export *e;
	struct daxmr_export_info *grown;
	size_t i;

	for (i = 0; i < page->count; i++) {
		e = &page->entries[i];
		if (list_has(list, e->export_id))
			continue; /* seen on an earlier page */
		if (list->count == list->cap) {
			grown = realloc(list->infos,
					(list->cap ? list->cap * 2 : 16) * sizeof(*grown));
			if (!grown)
				return -ENOMEM;
			list->infos = grown;
			list->cap = list->cap ? list->cap * 2 : 16;
		}
		list->infos[list->count] = (struct daxmr_export_info){
			.export_id = e->export_id,
			.generation = e->generation,
			.length = e->length,
			.access = (enum daxmr_access)e->access,
			.memory = (enum daxmr_memory)e->memory,
			.registration = (enum daxmr_registration)e->registration,
		};
		memcpy(list->infos[list->count].name, e->name,
		       sizeof(list->infos[list->count].name));
		list->count++;
	}
	return 0;
}

/* One LIST page from start, appended to list. 0 or -errno. */
static int list_page(struct daxmr_client *client, struct daxmr_client_call *call, uint32_t start,
		     struct daxmr_list *list)
{
	const struct daxmr_proto_list_reply *page = &call->reply.list_reply;
	int ret;

	memset(call, 0, sizeof(*call));
	call->req.hdr.opcode = DAXMR_PROTO_OP_LIST;
	call->req.list.start = start;
	ret = daxmr_client_call(client, call, NULL);
	if (ret)
		return ret;
	if (page->start != start) {
		DAXMR_LOG_ERR("LIST from %s: asked for start %u, got %u", daxmr_client_peer(client),
			      start, page->start);
		return -EPROTO;
	}
	ret = daxmr_list_append(list, page);
	if (ret)
		return ret;
	if ((page->flags & DAXMR_PROTO_LIST_F_MORE) && page->count == 0) {
		DAXMR_LOG_ERR("LIST from %s: empty page says MORE", daxmr_client_peer(client));
		return -EPROTO;
	}
	return 0;
}

/* Every export, through paged LIST. */
int daxmr_client_list(struct daxmr_client *client, struct daxmr_export_info **infos_ptr,
		      size_t *count_ptr)
{
	struct daxmr_list list = { 0 };
	struct daxmr_client_call *call;
	uint32_t start = 0;
	unsigned int pages;
	int ret = 0;

	if (!client || !infos_ptr || !count_ptr)
		return -EINVAL;
	call = daxmr_client_call_new(DAXMR_PROTO_OP_LIST);
	if (!call)
		return -ENOMEM;
	for (pages = 0;; pages++) {
		if (pages == LIST_PAGES_MAX) {
			DAXMR_LOG_ERR("LIST from %s: still MORE after %u pages",
				      daxmr_client_peer(client), pages);
			ret = -EPROTO;
			break;
		}
		ret = list_page(client, call, start, &list);
		if (ret || !(call->reply.list_reply.flags & DAXMR_PROTO_LIST_F_MORE))
			break;
		start += call->reply.list_reply.count;
	}
	free(call);
	daxmr_client_settle(client);
	if (ret) {
		free(list.infos);
		return ret;
	}
	*infos_ptr = list.infos;
	*count_ptr = list.count;
	return 0;
}

/* Frees a LIST result. */
void daxmr_client_list_free(struct daxmr_export_info *infos)
{
	free(infos);
}
