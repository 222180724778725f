/* SPDX-License-Identifier: BSD-3-Clause */
/* seal.h -- MAP_DIRECT's "sealed block map" rules, checked in userspace before an export */
#ifndef DAXMR_SEAL_H
#define DAXMR_SEAL_H

#include <linux/fiemap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What memory an export maps. */
enum daxmr_seal_mem {
	DAXMR_SEAL_MEM_UNKNOWN = 0, /* not decided yet: the check failed before */
	DAXMR_SEAL_MEM_FSDAX,	    /* a DAX file: loads and stores reach pmem, MAP_SYNC works */
	DAXMR_SEAL_MEM_PAGE_CACHE,  /* a non-DAX file, only with allow_non_dax */
	DAXMR_SEAL_MEM_DEVDAX, /* a device-DAX character device: no file system, no block map */
};

struct daxmr_seal_opts {
	bool allow_non_dax; /* accept page-cache files (reported as DAXMR_SEAL_MEM_PAGE_CACHE) */
};

#define DAXMR_SEAL_OPTS_DEFAULT        \
	{                              \
		.allow_non_dax = false \
	}

/* What daxmr_seal_check found; filled as far as the check got, also on failure. */
struct daxmr_seal_report {
	enum daxmr_seal_mem mem;
	bool is_dax;	  /* fs-DAX file or device-DAX */
	uint64_t size;	  /* bytes: file size, or the device-DAX size from sysfs */
	size_t extents;	  /* FIEMAP extents checked (0 for device-DAX or without FIEMAP) */
	char reason[160]; /* why it was refused; on success a caveat, or "" */
};

/*
 * Checks, in this order, that the file open on fd (path names it in messages) may be exported:
 * a regular file or a device-DAX character device (/sys/dev/char/M:m/subsystem is "dax"); not
 * empty; DAX (statx STATX_ATTR_DAX and a MAP_SHARED_VALIDATE|MAP_SYNC trial map), unless
 * opts->allow_non_dax; and, for files, a FIEMAP walk over [0, size) that must find neither holes
 * nor extents that are shared, unwritten, delayed, encoded, inline or unaligned. A page-cache
 * file whose file system has no FIEMAP (tmpfs) is accepted with a caveat in report->reason.
 * opts may be NULL (defaults). Refusals and failed calls are logged once, naming path; the
 * reason (without the path, fit for a client) is left in report->reason.
 * Returns 0 (accepted), or:
 *   -ENODEV      neither a regular file nor a device-DAX character device
 *   -EINVAL      empty: nothing to map
 *   -EOPNOTSUPP  not DAX (and allow_non_dax is off), or a DAX file without FIEMAP
 *   -EBUSY       reflinked (shared) blocks
 *   -ENODATA     a hole: faults would allocate blocks
 *   -ENOMEDIUM   an unwritten extent: faults would convert it
 *   -EAGAIN      delayed allocation, or an extent whose location is unknown
 *   -EMEDIUMTYPE encoded/encrypted, inline or unaligned data: not directly addressable
 *   -EIO         the kernel answered nonsense: FIEMAP made no progress, unparseable sysfs size
 *   other        -errno of a failed call (statx, mmap, munmap, ioctl, readlink, open, read);
 *                report->reason then says "a system call failed" and the log names the call
 */
int daxmr_seal_check(int fd, const char *path, const struct daxmr_seal_opts *opts,
		     struct daxmr_seal_report *report);

/*
 * The FIEMAP rules on one batch of extents, in file order, for a file of report->size bytes:
 * each extent must start at or before *pos_ptr (else a hole at *pos_ptr) and carry no refused
 * flag. An empty batch, an extent flagged FIEMAP_EXTENT_LAST or one starting at or past size
 * ends the map: *pos_ptr must then have reached size (else a hole at *pos_ptr). Advances
 * *pos_ptr past the batch and counts the extents checked in report->extents; on refusal writes
 * report->reason and returns the code documented above. Pure (no calls, no logging), so that
 * the rules can be tested exhaustively; daxmr_seal_check runs it on each FIEMAP batch.
 */
int daxmr_seal_extents_check(const struct fiemap_extent *ext, size_t n, uint64_t *pos_ptr,
			     struct daxmr_seal_report *report);

#endif /* DAXMR_SEAL_H */
