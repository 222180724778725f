/* SPDX-License-Identifier: BSD-3-Clause */
/* seal.c -- MAP_DIRECT's "sealed block map" rules, checked in userspace before an export */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sysfile.h"

#define SEAL_FIEMAP_BATCH 64

/* Extent flags that break the seal, first match wins: "<what> at offset N<why>". */
static const struct {
	uint32_t flags;
	int err;
	const char *what;
	const char *why;
} seal_extent_rules[] = {
	{ FIEMAP_EXTENT_SHARED, -EBUSY, "reflinked (shared) blocks",
	  ": a write would unshare them" },
	{ FIEMAP_EXTENT_UNWRITTEN, -ENOMEDIUM, "unwritten extent", ": faults would convert it" },
	{ FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN, -EAGAIN, "delayed allocation",
	  ": no blocks yet" },
	{ FIEMAP_EXTENT_DATA_INLINE, -EMEDIUMTYPE, "inline data", ": it lives in metadata" },
	{ FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_ENCRYPTED, -EMEDIUMTYPE,
	  "encoded (compressed or encrypted) extent", ": not directly addressable" },
	{ FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_TAIL, -EMEDIUMTYPE, "unaligned extent",
	  ": not in blocks of its own" },
};

/* Writes why the file is refused (or a caveat) into the report; returns err. */
__attribute__((format(printf, 3, 4))) static int seal_reason(struct daxmr_seal_report *report,
							     int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(report->reason, sizeof(report->reason), fmt, ap);
	va_end(ap);
	return err;
}

/* Applies the FIEMAP rules to one batch of extents. */
int daxmr_seal_extents_check(const struct fiemap_extent *ext, size_t n, uint64_t *pos_ptr,
			     struct daxmr_seal_report *report)
{
	uint64_t pos = *pos_ptr;
	bool end = n == 0;
	size_t i, j;

	for (i = 0; i < n && !end; i++) {
		const struct fiemap_extent *e = &ext[i];

		if (e->fe_logical >= report->size) {
			end = true;
			break;
		}
		if (e->fe_logical > pos)
			return seal_reason(report, -ENODATA,
					   "hole at offset %llu: faults would allocate blocks",
					   (unsigned long long)pos);
		for (j = 0; j < sizeof(seal_extent_rules) / sizeof(seal_extent_rules[0]); j++)
			if (e->fe_flags & seal_extent_rules[j].flags)
				return seal_reason(report, seal_extent_rules[j].err,
						   "%s at offset %llu%s", seal_extent_rules[j].what,
						   (unsigned long long)e->fe_logical,
						   seal_extent_rules[j].why);
		report->extents++;
		if (e->fe_logical + e->fe_length > pos)
			pos = e->fe_logical + e->fe_length;
		end = e->fe_flags & FIEMAP_EXTENT_LAST;
	}
	*pos_ptr = pos;
	if (end && pos < report->size)
		return seal_reason(report, -ENODATA,
				   "hole at offset %llu: faults would allocate blocks",
				   (unsigned long long)pos);
	return 0;
}

/* Walks the whole block map with FS_IOC_FIEMAP, a batch at a time; -EOPNOTSUPP is not logged. */
static int seal_fiemap_walk(int fd, const char *path, struct daxmr_seal_report *report)
{
	/* a union may hold a struct with a flexible array: room for a batch of extents */
	union {
		struct fiemap fm;
		unsigned char raw[sizeof(struct fiemap) +
				  SEAL_FIEMAP_BATCH * sizeof(struct fiemap_extent)];
	} req;
	/* the first call flushes dirty data, so that written delalloc ranges show as blocks */
	uint32_t flags = FIEMAP_FLAG_SYNC;
	uint64_t pos = 0, start;
	int ret;

	for (;;) {
		memset(&req.fm, 0, sizeof(req.fm));
		req.fm.fm_start = pos;
		req.fm.fm_length = report->size - pos;
		req.fm.fm_flags = flags;
		req.fm.fm_extent_count = SEAL_FIEMAP_BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, &req.fm) < 0) {
			ret = -errno;
			if (ret != -EOPNOTSUPP)
				DAXMR_LOG_CALL_ERR("ioctl", ret,
						   "FS_IOC_FIEMAP on %s from offset %llu", path,
						   (unsigned long long)pos);
			return ret;
		}
		flags = 0;
		start = pos;
		ret = daxmr_seal_extents_check(req.fm.fm_extents, req.fm.fm_mapped_extents, &pos,
					       report);
		if (ret || pos >= report->size)
			return ret;
		if (pos == start)
			return seal_reason(report, -EIO, "FIEMAP made no progress at offset %llu",
					   (unsigned long long)pos);
	}
}

/* Reads a decimal size from a sysfs attribute. */
static int seal_sysfs_read_u64(const char *attr, struct daxmr_seal_report *report,
			       uint64_t *val_ptr)
{
	char buf[32], *end;
	int ret;

	ret = daxmr_sysfile_read(attr, buf, sizeof(buf));
	if (ret)
		return ret;
	*val_ptr = strtoull(buf, &end, 10);
	if (end == buf || (*end != '\0' && *end != '\n'))
		return seal_reason(report, -EIO, "%s: not a decimal size", attr);
	return 0;
}

/* Sorts out a character device: device-DAX (its size from sysfs) or refused. */
static int seal_check_devdax(const struct statx *stx, const char *path,
			     struct daxmr_seal_report *report)
{
	char attr[64], link[256];
	const char *subsystem;
	ssize_t n;
	int ret;

	snprintf(attr, sizeof(attr), "/sys/dev/char/%u:%u/subsystem", stx->stx_rdev_major,
		 stx->stx_rdev_minor);
	n = readlink(attr, link, sizeof(link) - 1);
	if (n < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("readlink", ret, "%s (for %s)", attr, path);
		return ret;
	}
	link[n] = '\0';
	subsystem = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strcmp(subsystem, "dax") != 0)
		return seal_reason(report, -ENODEV,
				   "character device %u:%u is %s, not device-DAX (dax)",
				   stx->stx_rdev_major, stx->stx_rdev_minor, subsystem);
	snprintf(attr, sizeof(attr), "/sys/dev/char/%u:%u/size", stx->stx_rdev_major,
		 stx->stx_rdev_minor);
	ret = seal_sysfs_read_u64(attr, report, &report->size);
	if (ret)
		return ret;
	if (report->size == 0)
		return seal_reason(report, -EINVAL, "empty device-DAX device: nothing to map");
	report->mem = DAXMR_SEAL_MEM_DEVDAX;
	report->is_dax = true;
	return 0;
}

/* Tries a MAP_SHARED_VALIDATE|MAP_SYNC map: only DAX with synchronous faults accepts it. */
static int seal_map_sync_probe(int fd, const char *path, bool *ok_ptr)
{
	size_t len = (size_t)sysconf(_SC_PAGESIZE);
	void *addr;
	int ret;

	addr = mmap(NULL, len, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (addr == MAP_FAILED) {
		ret = -errno;
		if (ret == -EOPNOTSUPP) {
			*ok_ptr = false;
			return 0;
		}
		DAXMR_LOG_CALL_ERR("mmap", ret,
				   "%zu bytes PROT_READ MAP_SHARED_VALIDATE|MAP_SYNC of %s", len,
				   path);
		return ret;
	}
	if (munmap(addr, len) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("munmap", ret, "trial MAP_SYNC map of %s at %p", path, addr);
		return ret;
	}
	*ok_ptr = true;
	return 0;
}

/* The rules in order; refusals write report->reason, failed calls log and leave it "". */
static int seal_check_rules(int fd, const char *path, const struct daxmr_seal_opts *opts,
			    struct daxmr_seal_report *report)
{
	const char *not_dax = NULL;
	struct statx stx;
	bool map_sync = false;
	int ret;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &stx) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("statx", ret, "fd %d (%s)", fd, path);
		return ret;
	}
	if (S_ISCHR(stx.stx_mode))
		return seal_check_devdax(&stx, path, report);
	if (!S_ISREG(stx.stx_mode))
		return seal_reason(report, -ENODEV,
				   "neither a regular file nor a device-DAX character device");
	report->size = stx.stx_size;
	if (report->size == 0)
		return seal_reason(report, -EINVAL, "empty file: nothing to map");

	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX))
		not_dax = "not DAX (statx cannot tell: no STATX_ATTR_DAX in its mask)";
	else if (!(stx.stx_attributes & STATX_ATTR_DAX))
		not_dax = "not DAX (statx: STATX_ATTR_DAX is clear)";
	else {
		ret = seal_map_sync_probe(fd, path, &map_sync);
		if (ret)
			return ret;
		if (!map_sync)
			not_dax = "not DAX: MAP_SYNC refused (DAX without synchronous faults, "
				  "e.g. virtio-pmem)";
	}
	report->is_dax = !not_dax;
	if (not_dax && !opts->allow_non_dax)
		return seal_reason(report, -EOPNOTSUPP, "%s", not_dax);
	report->mem = not_dax ? DAXMR_SEAL_MEM_PAGE_CACHE : DAXMR_SEAL_MEM_FSDAX;

	ret = seal_fiemap_walk(fd, path, report);
	if (ret == -EOPNOTSUPP && !not_dax)
		return seal_reason(report, -EOPNOTSUPP,
				   "FIEMAP unsupported: the block map cannot be checked");
	if (ret == -EOPNOTSUPP)
		return seal_reason(report, 0,
				   "%s; no block map to seal (FIEMAP unsupported, e.g. tmpfs)",
				   not_dax);
	if (!ret && not_dax)
		seal_reason(report, 0, "%s", not_dax);
	return ret;
}

/* Checks the MAP_DIRECT rules; logs a refusal once, naming the file. */
int daxmr_seal_check(int fd, const char *path, const struct daxmr_seal_opts *opts,
		     struct daxmr_seal_report *report)
{
	static const struct daxmr_seal_opts defaults = DAXMR_SEAL_OPTS_DEFAULT;
	int ret;

	memset(report, 0, sizeof(*report));
	ret = seal_check_rules(fd, path, opts ? opts : &defaults, report);
	if (!ret)
		return 0;
	if (report->reason[0] == '\0')
		seal_reason(report, ret, "a system call failed: %s", daxmr_log_strerror(ret));
	else
		DAXMR_LOG_ERR("seal: %s: refused: %s", path, report->reason);
	return ret;
}
