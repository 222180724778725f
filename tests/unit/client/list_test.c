/* SPDX-License-Identifier: BSD-3-Clause */
/* list_test.c -- list: paged LIST against a fake connection; pages deduplicated into infos */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"
#include "list.h"

static struct daxmr_client *const fake_client = (struct daxmr_client *)(uintptr_t)0x1000;

/* The fake connection's LIST server: pages of 2, MORE on all but the last; its faults. */
static struct {
	unsigned int pages; /* how many pages the export table spans */
	unsigned int calls;
	unsigned int settles;
	int fail_at;	  /* the call with this number (1-based) fails with -ETIMEDOUT */
	bool bad_start;	  /* replies name another start */
	bool empty_more;  /* the second page is empty yet says MORE */
	bool always_more; /* every page says MORE */
} fake;

struct daxmr_client_call *daxmr_client_call_new(enum daxmr_proto_opcode opcode)
{
	struct daxmr_client_call *call = calloc(1, sizeof(*call));

	assert_non_null(call);
	call->req.hdr.opcode = opcode;
	return call;
}

static void page_fill(struct daxmr_proto_list_reply *page, uint32_t first, uint16_t count);

int daxmr_client_call(struct daxmr_client *client, struct daxmr_client_call *call,
		      struct daxmr_region *opening)
{
	uint32_t start = call->req.list.start;
	unsigned int page = start / 2;

	assert_ptr_equal(client, fake_client);
	assert_null(opening);
	assert_int_equal(call->req.hdr.opcode, DAXMR_PROTO_OP_LIST);
	if (++fake.calls == (unsigned int)fake.fail_at)
		return -ETIMEDOUT;
	/* an endless MORE repeats the first page's exports: their dedup stays cheap */
	page_fill(&call->reply.list_reply, fake.always_more ? 1 : start + 1,
		  fake.empty_more && page == 1 ? 0 : 2);
	call->reply.list_reply.start = fake.bad_start ? start + 1 : start;
	if (page + 1 < fake.pages || fake.always_more || (fake.empty_more && page == 1))
		call->reply.list_reply.flags = DAXMR_PROTO_LIST_F_MORE;
	return 0;
}

bool daxmr_client_call_refused(const struct daxmr_client_call *call)
{
	return call->reply.hdr.status != DAXMR_PROTO_STATUS_OK;
}

void daxmr_client_settle(struct daxmr_client *client)
{
	assert_ptr_equal(client, fake_client);
	fake.settles++;
}

const char *daxmr_client_peer(const struct daxmr_client *client)
{
	(void)client;
	return "192.0.2.1:7471";
}

/* A page of count entries with ids first, first + 1, ...; ids named "eID". */
static void page_fill(struct daxmr_proto_list_reply *page, uint32_t first, uint16_t count)
{
	uint16_t i;

	memset(page, 0, sizeof(*page));
	page->count = count;
	for (i = 0; i < count; i++) {
		page->entries[i].export_id = first + i;
		page->entries[i].generation = 100 + first + i;
		page->entries[i].length = 4096ull * (first + i);
		page->entries[i].access = DAXMR_PROTO_ACCESS_RO;
		page->entries[i].memory = DAXMR_PROTO_MEMORY_DEVDAX;
		page->entries[i].registration = DAXMR_PROTO_REG_PINNED;
		snprintf(page->entries[i].name, sizeof(page->entries[i].name), "e%u", first + i);
	}
}

/* Entries are copied field by field; an id seen on an earlier page is skipped. */
static void list_append__dedup(void **state)
{
	struct daxmr_proto_list_reply page;
	struct daxmr_list list = { 0 };

	(void)state;
	page_fill(&page, 1, 3);
	assert_int_equal(daxmr_list_append(&list, &page), 0);
	page_fill(&page, 3, 3); /* 3 again: it moved across the page boundary */
	assert_int_equal(daxmr_list_append(&list, &page), 0);
	assert_int_equal(list.count, 5);
	assert_int_equal(list.infos[2].export_id, 3);
	assert_int_equal(list.infos[4].export_id, 5);
	assert_string_equal(list.infos[4].name, "e5");
	assert_int_equal(list.infos[4].generation, 105);
	assert_int_equal(list.infos[4].length, 4096 * 5);
	assert_int_equal(list.infos[4].access, DAXMR_RO);
	assert_int_equal(list.infos[4].memory, DAXMR_MEMORY_DEVDAX);
	assert_int_equal(list.infos[4].registration, DAXMR_REG_PINNED);
	free(list.infos);
}

/* An empty page adds nothing; many pages grow the array past its first 16. */
static void list_append__grows(void **state)
{
	struct daxmr_proto_list_reply page;
	struct daxmr_list list = { 0 };
	uint32_t first;

	(void)state;
	page_fill(&page, 1, 0);
	assert_int_equal(daxmr_list_append(&list, &page), 0);
	assert_int_equal(list.count, 0);
	assert_null(list.infos);
	for (first = 1; first < 100; first += DAXMR_PROTO_LIST_MAX) {
		page_fill(&page, first, DAXMR_PROTO_LIST_MAX);
		assert_int_equal(daxmr_list_append(&list, &page), 0);
	}
	assert_int_equal(list.count, 8 * DAXMR_PROTO_LIST_MAX);
	assert_true(list.cap >= list.count);
	assert_int_equal(list.infos[list.count - 1].export_id, 8 * DAXMR_PROTO_LIST_MAX);
	free(list.infos);
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	return 0;
}

/* Every page is asked for, from the start the last one ended at; settled once. */
static void client_list__pages(void **state)
{
	struct daxmr_export_info *infos = NULL;
	size_t n = 0;

	(void)state;
	fake.pages = 3;
	assert_int_equal(daxmr_client_list(fake_client, &infos, &n), 0);
	assert_int_equal(fake.calls, 3);
	assert_int_equal(n, 6);
	assert_int_equal(infos[5].export_id, 6);
	assert_int_equal(fake.settles, 1);
	daxmr_client_list_free(infos);
	daxmr_client_list_free(NULL);
}

/* A failed page, a reply for another start, an empty page saying MORE: nothing returned. */
static void client_list__failures(void **state)
{
	struct daxmr_export_info *infos = (struct daxmr_export_info *)(uintptr_t)0xdead;
	size_t n = 77;

	(void)state;
	fake.pages = 3;
	fake.fail_at = 2;
	assert_int_equal(daxmr_client_list(fake_client, &infos, &n), -ETIMEDOUT);
	setup(NULL);
	fake.pages = 3;
	fake.bad_start = true;
	assert_int_equal(daxmr_client_list(fake_client, &infos, &n), -EPROTO);
	setup(NULL);
	fake.pages = 3;
	fake.empty_more = true;
	assert_int_equal(daxmr_client_list(fake_client, &infos, &n), -EPROTO);
	assert_int_equal(fake.calls, 2);
	assert_ptr_equal(infos, (struct daxmr_export_info *)(uintptr_t)0xdead);
	assert_int_equal(n, 77);
	assert_int_equal(fake.settles, 1);
	assert_int_equal(daxmr_client_list(NULL, &infos, &n), -EINVAL);
	assert_int_equal(daxmr_client_list(fake_client, NULL, &n), -EINVAL);
}

/* A server that never stops saying MORE is cut off at 65536 pages. */
static void client_list__endless_MORE_EPROTO(void **state)
{
	struct daxmr_export_info *infos = NULL;
	size_t n = 0;

	(void)state;
	fake.always_more = true;
	assert_int_equal(daxmr_client_list(fake_client, &infos, &n), -EPROTO);
	assert_int_equal(fake.calls, 65536);
	assert_null(infos);
	assert_int_equal(fake.settles, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(list_append__dedup),
		cmocka_unit_test(list_append__grows),
		cmocka_unit_test_setup(client_list__pages, setup),
		cmocka_unit_test_setup(client_list__failures, setup),
		cmocka_unit_test_setup(client_list__endless_MORE_EPROTO, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
