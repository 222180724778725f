/* SPDX-License-Identifier: BSD-3-Clause */
/* region.c -- libdaxmr: one open export: bounds and access checks, read/write/flush */
#include "region.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* Whether RDMA may be issued on the region: open, or revoked under opts.use_revoked. */
bool daxmr_region_usable(const struct daxmr_region *region)
{
	return region->state == DAXMR_REGION_OPEN ||
	       (region->state == DAXMR_REGION_REVOKED && daxmr_client_uses_revoked(region->client));
}

/* What refuses an operation on the region before anything is sent (0: nothing). */
int daxmr_region_op_error(const struct daxmr_region *region, uint64_t offset, uint64_t len,
			  bool write)
{
	if (!daxmr_region_usable(region))
		return -ESTALE;
	if (write && region->desc.access != DAXMR_RW)
		return -EACCES;
	if (offset > region->desc.length || len > region->desc.length - offset)
		return -ERANGE;
	return 0;
}

/* Opens export name: OPEN to the server, which hands out a descriptor. */
int daxmr_region_open(struct daxmr_client *client, const char *name, enum daxmr_access access,
		      struct daxmr_region **region_ptr)
{
	struct daxmr_region *region;
	size_t n;
	int ret;

	if (!client || !name || !region_ptr || (access != DAXMR_RO && access != DAXMR_RW))
		return -EINVAL;
	n = strlen(name);
	if (n == 0 || n > DAXMR_NAME_MAX)
		return -EINVAL;
	region = calloc(1, sizeof(*region));
	if (!region)
		return -ENOMEM;
	region->client = client;
	memcpy(region->name, name, n + 1);
	ret = daxmr_client_open_desc(client, region, access);
	if (ret)
		goto err_free;
	*region_ptr = region;
	return 0;

err_free:
	/* only an OK reply attaches the region, so a failed one is not on the client's list */
	free(region);
	return ret;
}

/* Closes the region and frees it. */
int daxmr_region_close(struct daxmr_region **region_ptr)
{
	struct daxmr_region *region;
	int ret;

	if (!region_ptr || !*region_ptr)
		return 0;
	region = *region_ptr;
	*region_ptr = NULL;
	ret = daxmr_client_close_desc(region->client, region);
	free(region);
	return ret;
}

/* The region's descriptor. */
const struct daxmr_desc *daxmr_region_desc(const struct daxmr_region *region)
{
	return &region->desc;
}

/* The export's name. */
const char *daxmr_region_name(const struct daxmr_region *region)
{
	return region->name;
}

/* Whether the region was revoked. */
int daxmr_region_is_revoked(const struct daxmr_region *region)
{
	return region->state != DAXMR_REGION_OPEN;
}

/* One-sided READ into buf. */
int daxmr_region_read(struct daxmr_region *region, uint64_t offset, void *buf, size_t len)
{
	int ret;

	if (!region || (!buf && len))
		return -EINVAL;
	ret = daxmr_region_op_error(region, offset, len, false);
	if (ret)
		return ret;
	ret = daxmr_client_error(region->client);
	if (ret || len == 0)
		return ret;
	return daxmr_client_transfer(region->client, region, false, offset, buf, len);
}

/* One-sided WRITE from buf. */
int daxmr_region_write(struct daxmr_region *region, uint64_t offset, const void *buf, size_t len)
{
	int ret;

	if (!region || (!buf && len))
		return -EINVAL;
	ret = daxmr_region_op_error(region, offset, len, true);
	if (ret)
		return ret;
	ret = daxmr_client_error(region->client);
	if (ret || len == 0)
		return ret;
	/* the transfer only reads buf when writing: the cast drops const for the shared path */
	return daxmr_client_transfer(region->client, region, true, offset, (void *)(uintptr_t)buf,
				     len);
}

/* FLUSH a range to persistence. */
int daxmr_region_flush(struct daxmr_region *region, uint64_t offset, uint64_t len)
{
	int ret;

	if (!region)
		return -EINVAL;
	ret = daxmr_region_op_error(region, offset, len, false);
	if (ret)
		return ret;
	ret = daxmr_client_error(region->client);
	if (ret)
		return ret;
	return daxmr_client_flush_desc(region->client, region, offset, len);
}
