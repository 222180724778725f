/* SPDX-License-Identifier: BSD-3-Clause */
/* list.h -- libdaxmr: the server's exports through paged LIST (daxmr_client_list) */
#ifndef DAXMR_CLIENT_LIST_H
#define DAXMR_CLIENT_LIST_H

#include <stddef.h>

#include "daxmr.h"
#include "proto.h"

/*
 * daxmr_client_list and daxmr_client_list_free are public (daxmr.h). Pages are not a snapshot:
 * an export may move from one page to the next while they are asked for, so the entries are
 * gathered here, deduplicated by export id.
 */
struct daxmr_list {
	struct daxmr_export_info *infos; /* owned: count entries in an array of cap */
	size_t count;
	size_t cap;
};

/* Appends the entries of page whose export id is not in list yet. 0 or -ENOMEM. */
int daxmr_list_append(struct daxmr_list *list, const struct daxmr_proto_list_reply *page);

#endif /* DAXMR_CLIENT_LIST_H */
