/* SPDX-License-Identifier: BSD-3-Clause */
/* seal_test.c -- unit tests of seal: extent rules, failed calls (wrapped), real files in /tmp */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include <cmocka.h>

#include "seal.h"

#define BLK 4096ULL /* one ext4/tmpfs block */

/* What the wrapped calls do; zeroed before every test, so by default they pass through. */
static struct {
	int statx_err;			 /* statx fails with this errno */
	bool statx_dax;			 /* statx reports STATX_ATTR_DAX set */
	bool statx_no_dax_mask;		 /* statx cannot tell DAX (no bit in stx_attributes_mask) */
	int mmap_err;			 /* mmap fails with this errno */
	bool map_sync_ok;		 /* mmap accepts MAP_SYNC (stripped before the real call) */
	int munmap_err;			 /* munmap unmaps, then fails with this errno */
	int ioctl_err;			 /* FS_IOC_FIEMAP fails with this errno */
	const struct fiemap_extent *ext; /* FS_IOC_FIEMAP serves this block map ... */
	size_t n_ext;			 /* ... of n_ext extents */
	unsigned ioctl_calls;
	uint32_t ioctl_flags[8]; /* fm_flags of each call */
	uint64_t ioctl_start[8]; /* fm_start of each call */
	const char *sysfs_link;	 /* readlink of /sys/dev/char/... answers this */
	int readlink_err;	 /* ... or fails with this errno */
	const char *sysfs_size;	 /* open of /sys/dev/char/.../size gives this content */
	int open_err;		 /* ... or fails with this errno */
	int read_err;		 /* read fails with this errno */
} mock;

int __real_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx);
int __wrap_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len);
int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
ssize_t __real_readlink(const char *path, char *buf, size_t len);
ssize_t __wrap_readlink(const char *path, char *buf, size_t len);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);

/* statx: optionally fails, or rewrites the DAX attribute. */
int __wrap_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	int ret;

	if (mock.statx_err) {
		errno = mock.statx_err;
		return -1;
	}
	ret = __real_statx(dirfd, path, flags, mask, stx);
	if (ret == 0 && mock.statx_dax)
		stx->stx_attributes |= STATX_ATTR_DAX;
	if (ret == 0 && mock.statx_no_dax_mask)
		stx->stx_attributes_mask &= ~(uint64_t)STATX_ATTR_DAX;
	return ret;
}

/* mmap: optionally fails, or emulates MAP_SYNC support with a plain shared map. */
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (mock.mmap_err) {
		errno = mock.mmap_err;
		return MAP_FAILED;
	}
	if (mock.map_sync_ok && (flags & MAP_SYNC))
		flags = (flags & ~(MAP_SYNC | MAP_SHARED_VALIDATE)) | MAP_SHARED;
	return __real_mmap(addr, len, prot, flags, fd, off);
}

/* munmap: really unmaps (no leak), then optionally reports failure. */
int __wrap_munmap(void *addr, size_t len)
{
	int ret = __real_munmap(addr, len);

	if (ret == 0 && mock.munmap_err) {
		errno = mock.munmap_err;
		return -1;
	}
	return ret;
}

/* Serves FS_IOC_FIEMAP from mock.ext the way the kernel does: extents overlapping the range. */
static int fake_fiemap(struct fiemap *fm)
{
	uint64_t end = fm->fm_start + fm->fm_length;
	size_t i;

	fm->fm_mapped_extents = 0;
	for (i = 0; i < mock.n_ext && fm->fm_mapped_extents < fm->fm_extent_count; i++) {
		const struct fiemap_extent *e = &mock.ext[i];

		if ((e->fe_logical >= fm->fm_start ||
		     e->fe_logical + e->fe_length > fm->fm_start) &&
		    e->fe_logical < end)
			fm->fm_extents[fm->fm_mapped_extents++] = *e;
	}
	return 0;
}

/* ioctl: records FIEMAP requests; optionally fails or serves a fake block map. */
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct fiemap *fm;
	va_list ap;

	va_start(ap, req);
	fm = va_arg(ap, struct fiemap *);
	va_end(ap);
	if (req == FS_IOC_FIEMAP) {
		if (mock.ioctl_calls < 8) {
			mock.ioctl_flags[mock.ioctl_calls] = fm->fm_flags;
			mock.ioctl_start[mock.ioctl_calls] = fm->fm_start;
		}
		mock.ioctl_calls++;
		if (mock.ioctl_err) {
			errno = mock.ioctl_err;
			return -1;
		}
		if (mock.ext)
			return fake_fiemap(fm);
	}
	return __real_ioctl(fd, req, fm);
}

/* Is path under /sys/dev/char (the device-DAX probe)? */
static bool is_sysfs_char(const char *path)
{
	return strncmp(path, "/sys/dev/char/", 14) == 0;
}

/* readlink: fakes the sysfs subsystem link of a character device. */
ssize_t __wrap_readlink(const char *path, char *buf, size_t len)
{
	if (is_sysfs_char(path) && mock.readlink_err) {
		errno = mock.readlink_err;
		return -1;
	}
	if (is_sysfs_char(path) && mock.sysfs_link) {
		size_t n = strlen(mock.sysfs_link);

		memcpy(buf, mock.sysfs_link, n < len ? n : len);
		return (ssize_t)(n < len ? n : len);
	}
	return __real_readlink(path, buf, len);
}

/* open: fakes the sysfs size attribute with a memfd holding mock.sysfs_size. */
int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	if (is_sysfs_char(path) && mock.open_err) {
		errno = mock.open_err;
		return -1;
	}
	if (is_sysfs_char(path) && mock.sysfs_size) {
		fd = memfd_create("sysfs-size", MFD_CLOEXEC);
		if (fd < 0 || write(fd, mock.sysfs_size, strlen(mock.sysfs_size)) < 0 ||
		    lseek(fd, 0, SEEK_SET) < 0)
			return -1;
		return fd;
	}
	return __real_open(path, flags, mode);
}

/* read: optionally fails. */
ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	if (mock.read_err) {
		errno = mock.read_err;
		return -1;
	}
	return __real_read(fd, buf, len);
}

/* A temporary file in /tmp (ext4 here) or dir, open O_RDWR; the path is unlinked at once. */
static int tmp_file(const char *dir)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "%s/seal_test.XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	return fd;
}

/* Writes len bytes of data at off. */
static void fill(int fd, uint64_t off, uint64_t len)
{
	char buf[4096];

	memset(buf, 0xa5, sizeof(buf));
	for (; len; off += sizeof(buf), len -= sizeof(buf))
		assert_int_equal(pwrite(fd, buf, sizeof(buf), (off_t)off), (ssize_t)sizeof(buf));
}

/* A regular file with written data: what a DAX export should look like, bar the DAX. */
static int written_file(uint64_t len)
{
	int fd = tmp_file("/tmp");

	fill(fd, 0, len);
	return fd;
}

/* Clears all mocks. */
static int reset(void **state)
{
	(void)state;
	memset(&mock, 0, sizeof(mock));
	return 0;
}

/* --- daxmr_seal_extents_check: the rules on extent arrays --- */

/* Extent of len bytes at off with flags. */
#define EXT(off, len, flags)                                                                       \
	{                                                                                          \
		.fe_logical = (off), .fe_length = (len), .fe_flags = (flags)                       \
	}

/* Runs one batch from pos over a file of size bytes; returns the code, leaves reason in r. */
static int walk(const struct fiemap_extent *ext, size_t n, uint64_t size, uint64_t *pos,
		struct daxmr_seal_report *r)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	return daxmr_seal_extents_check(ext, n, pos, r);
}

/* Contiguous extents up to EOF pass, are counted and move pos to the end. */
static void seal_extents_check__contiguous(void **state)
{
	const struct fiemap_extent ext[] = {EXT(0, 2 * BLK, 0), EXT(2 * BLK, BLK, 0),
					    EXT(3 * BLK, BLK, FIEMAP_EXTENT_LAST)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	(void)state;
	assert_int_equal(walk(ext, 3, 4 * BLK, &pos, &r), 0);
	assert_int_equal(pos, 4 * BLK);
	assert_int_equal(r.extents, 3);
	assert_string_equal(r.reason, "");
}

/* The map starts after offset 0. */
static void seal_extents_check__hole_at_start(void **state)
{
	const struct fiemap_extent ext[] = {EXT(BLK, 3 * BLK, FIEMAP_EXTENT_LAST)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	(void)state;
	assert_int_equal(walk(ext, 1, 4 * BLK, &pos, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 0: faults would allocate blocks");
}

/* A gap between two extents. */
static void seal_extents_check__hole_in_middle(void **state)
{
	const struct fiemap_extent ext[] = {EXT(0, 2 * BLK, 0),
					    EXT(3 * BLK, BLK, FIEMAP_EXTENT_LAST)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	(void)state;
	assert_int_equal(walk(ext, 2, 4 * BLK, &pos, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 8192: faults would allocate blocks");
	assert_int_equal(r.extents, 1);
}

/* The last extent ends before EOF. */
static void seal_extents_check__hole_at_end(void **state)
{
	const struct fiemap_extent ext[] = {EXT(0, 3 * BLK, FIEMAP_EXTENT_LAST)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	(void)state;
	assert_int_equal(walk(ext, 1, 4 * BLK, &pos, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 12288: faults would allocate blocks");
}

/* An empty batch ends the map: the rest of the file is a hole. */
static void seal_extents_check__empty_batch_is_hole_to_eof(void **state)
{
	struct daxmr_seal_report r;
	uint64_t pos = 5 * BLK;

	(void)state;
	assert_int_equal(walk(NULL, 0, 8 * BLK, &pos, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 20480: faults would allocate blocks");
	pos = 0;
	assert_int_equal(walk(NULL, 0, 8 * BLK, &pos, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 0: faults would allocate blocks");
}

/* An extent starting at or past EOF ends the map; its flags do not matter. */
static void seal_extents_check__extent_past_eof(void **state)
{
	const struct fiemap_extent ext[] = {EXT(0, 2 * BLK, 0),
					    EXT(2 * BLK, 2 * BLK, FIEMAP_EXTENT_UNWRITTEN)};
	const struct fiemap_extent gap[] = {EXT(0, BLK, 0), EXT(3 * BLK, BLK, 0)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	(void)state;
	assert_int_equal(walk(ext, 2, 2 * BLK, &pos, &r), 0);
	assert_int_equal(r.extents, 1);
	pos = 0;
	assert_int_equal(walk(ext, 2, BLK, &pos, &r), 0); /* EOF inside the first extent */
	assert_int_equal(pos, 2 * BLK);
	/* the next extent past EOF, but the first one ended early: hole */
	pos = 0;
	assert_int_equal(walk(gap, 2, 3 * BLK, &pos, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 4096: faults would allocate blocks");
}

/* Batches chain through pos: a gap exactly at the batch boundary is found. */
static void seal_extents_check__across_batches(void **state)
{
	const struct fiemap_extent b1[] = {EXT(0, BLK, 0), EXT(BLK, BLK, 0)};
	const struct fiemap_extent b2[] = {EXT(2 * BLK, 2 * BLK, FIEMAP_EXTENT_LAST)};
	const struct fiemap_extent b2_gap[] = {EXT(3 * BLK, BLK, FIEMAP_EXTENT_LAST)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	(void)state;
	assert_int_equal(walk(b1, 2, 4 * BLK, &pos, &r), 0);
	assert_int_equal(pos, 2 * BLK);
	assert_int_equal(daxmr_seal_extents_check(b2, 1, &pos, &r), 0);
	assert_int_equal(pos, 4 * BLK);
	assert_int_equal(r.extents, 3);
	pos = 2 * BLK;
	assert_int_equal(walk(b2_gap, 1, 4 * BLK, &pos, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 8192: faults would allocate blocks");
}

/* Overlapping extents are not holes, and pos never goes backwards. */
static void seal_extents_check__overlap(void **state)
{
	const struct fiemap_extent ext[] = {EXT(0, 3 * BLK, 0), EXT(BLK, BLK, 0),
					    EXT(3 * BLK, BLK, FIEMAP_EXTENT_LAST)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	(void)state;
	assert_int_equal(walk(ext, 3, 4 * BLK, &pos, &r), 0);
	assert_int_equal(pos, 4 * BLK);
}

/* Flags that describe, not refuse: LAST and MERGED. */
static void seal_extents_check__harmless_flags(void **state)
{
	const struct fiemap_extent ext[] = {
		EXT(0, 4 * BLK, FIEMAP_EXTENT_MERGED | FIEMAP_EXTENT_LAST)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	(void)state;
	assert_int_equal(walk(ext, 1, 4 * BLK, &pos, &r), 0);
}

/* With several refused flags the first rule (shared) wins; a hole before it wins over both. */
static void seal_extents_check__rule_order(void **state)
{
	const struct fiemap_extent ext[] = {
		EXT(0, BLK, 0),
		EXT(BLK, BLK, FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_SHARED | FIEMAP_EXTENT_LAST)};
	const struct fiemap_extent gap[] = {EXT(0, BLK, 0),
					    EXT(2 * BLK, BLK, FIEMAP_EXTENT_SHARED)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	(void)state;
	assert_int_equal(walk(ext, 2, 2 * BLK, &pos, &r), -EBUSY);
	assert_string_equal(r.reason,
			    "reflinked (shared) blocks at offset 4096: a write would unshare them");
	pos = 0;
	assert_int_equal(walk(gap, 2, 3 * BLK, &pos, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 4096: faults would allocate blocks");
}

/* One refused extent flag: its code and the message naming the offset. */
struct flag_case {
	uint32_t flag;
	int err;
	const char *reason;
};

static const struct flag_case flag_cases[] = {
	{FIEMAP_EXTENT_SHARED, -EBUSY,
	 "reflinked (shared) blocks at offset 12288: a write would unshare them"},
	{FIEMAP_EXTENT_UNWRITTEN, -ENOMEDIUM,
	 "unwritten extent at offset 12288: faults would convert it"},
	{FIEMAP_EXTENT_DELALLOC, -EAGAIN, "delayed allocation at offset 12288: no blocks yet"},
	{FIEMAP_EXTENT_UNKNOWN, -EAGAIN, "delayed allocation at offset 12288: no blocks yet"},
	{FIEMAP_EXTENT_DATA_INLINE, -EMEDIUMTYPE,
	 "inline data at offset 12288: it lives in metadata"},
	{FIEMAP_EXTENT_ENCODED, -EMEDIUMTYPE,
	 "encoded (compressed or encrypted) extent at offset 12288: not directly addressable"},
	{FIEMAP_EXTENT_DATA_ENCRYPTED, -EMEDIUMTYPE,
	 "encoded (compressed or encrypted) extent at offset 12288: not directly addressable"},
	{FIEMAP_EXTENT_NOT_ALIGNED, -EMEDIUMTYPE,
	 "unaligned extent at offset 12288: not in blocks of its own"},
	{FIEMAP_EXTENT_DATA_TAIL, -EMEDIUMTYPE,
	 "unaligned extent at offset 12288: not in blocks of its own"},
};

/* The flagged extent sits in the middle of the file, after two clean ones. */
static void seal_extents_check__flag(void **state)
{
	const struct flag_case *c = *state;
	const struct fiemap_extent ext[] = {EXT(0, 2 * BLK, 0), EXT(2 * BLK, BLK, 0),
					    EXT(3 * BLK, BLK, c->flag),
					    EXT(4 * BLK, BLK, FIEMAP_EXTENT_LAST)};
	struct daxmr_seal_report r;
	uint64_t pos = 0;

	assert_int_equal(walk(ext, 4, 5 * BLK, &pos, &r), c->err);
	assert_string_equal(r.reason, c->reason);
	assert_int_equal(r.extents, 2);
}

/* --- daxmr_seal_check with a faked DAX file or block map --- */

/* Makes a real /tmp file look like fs-DAX: STATX_ATTR_DAX and MAP_SYNC accepted. */
static void fake_dax(void)
{
	mock.statx_dax = true;
	mock.map_sync_ok = true;
}

/* A written file that looks DAX passes; FIEMAP is asked to sync first. */
static void seal_check__fsdax_file_passes(void **state)
{
	int fd = written_file(4 * BLK);
	struct daxmr_seal_report r;

	(void)state;
	fake_dax();
	assert_int_equal(daxmr_seal_check(fd, "dax-file", NULL, &r), 0);
	assert_int_equal(r.mem, DAXMR_SEAL_MEM_FSDAX);
	assert_true(r.is_dax);
	assert_int_equal(r.size, 4 * BLK);
	assert_true(r.extents >= 1);
	assert_string_equal(r.reason, "");
	assert_int_equal(mock.ioctl_calls, 1);
	assert_int_equal(mock.ioctl_flags[0], FIEMAP_FLAG_SYNC);
	close(fd);
}

/* 150 extents take three FIEMAP batches of 64; only the first syncs. */
static void seal_check__fiemap_batches(void **state)
{
	static struct fiemap_extent ext[150];
	int fd = written_file(BLK);
	struct daxmr_seal_report r;
	size_t i;

	(void)state;
	for (i = 0; i < 150; i++)
		ext[i] = (struct fiemap_extent)EXT(i * BLK, BLK, i == 149 ? FIEMAP_EXTENT_LAST : 0);
	assert_int_equal(ftruncate(fd, 150 * BLK), 0);
	fake_dax();
	mock.ext = ext;
	mock.n_ext = 150;
	assert_int_equal(daxmr_seal_check(fd, "many-extents", NULL, &r), 0);
	assert_int_equal(r.extents, 150);
	assert_int_equal(mock.ioctl_calls, 3);
	assert_int_equal(mock.ioctl_flags[0], FIEMAP_FLAG_SYNC);
	assert_int_equal(mock.ioctl_flags[1], 0);
	assert_int_equal(mock.ioctl_start[1], 64 * BLK);
	assert_int_equal(mock.ioctl_start[2], 128 * BLK);
	close(fd);
}

/* A hole right where the second batch starts, and one after the last batch. */
static void seal_check__fiemap_hole_between_batches(void **state)
{
	static struct fiemap_extent ext[100];
	int fd = written_file(BLK);
	struct daxmr_seal_report r;
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++) /* extent 64 starts one block late */
		ext[i] = (struct fiemap_extent)EXT((i + (i >= 64)) * BLK, BLK, 0);
	assert_int_equal(ftruncate(fd, 101 * BLK), 0);
	fake_dax();
	mock.ext = ext;
	mock.n_ext = 100;
	assert_int_equal(daxmr_seal_check(fd, "gap", NULL, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 262144: faults would allocate blocks");
	assert_int_equal(mock.ioctl_calls, 2);

	/* no extent flagged LAST and the map runs out early: the next, empty, batch ends it */
	for (i = 0; i < 100; i++)
		ext[i] = (struct fiemap_extent)EXT(i * BLK, BLK, 0);
	mock.ioctl_calls = 0;
	assert_int_equal(daxmr_seal_check(fd, "short", NULL, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 409600: faults would allocate blocks");
	assert_int_equal(mock.ioctl_calls, 3);
	close(fd);
}

/* Zero-length extents would loop forever: refused as -EIO. */
static void seal_check__fiemap_no_progress(void **state)
{
	static const struct fiemap_extent ext[] = {EXT(0, 0, 0)};
	int fd = written_file(BLK);
	struct daxmr_seal_report r;

	(void)state;
	fake_dax();
	mock.ext = ext;
	mock.n_ext = 1;
	assert_int_equal(daxmr_seal_check(fd, "stuck", NULL, &r), -EIO);
	assert_string_equal(r.reason, "FIEMAP made no progress at offset 0");
	close(fd);
}

/* A DAX file whose file system has no FIEMAP cannot be sealed. */
static void seal_check__ioctl_EOPNOTSUPP_dax(void **state)
{
	int fd = written_file(BLK);
	struct daxmr_seal_report r;

	(void)state;
	fake_dax();
	mock.ioctl_err = EOPNOTSUPP;
	assert_int_equal(daxmr_seal_check(fd, "no-fiemap", NULL, &r), -EOPNOTSUPP);
	assert_string_equal(r.reason, "FIEMAP unsupported: the block map cannot be checked");
	close(fd);
}

/* A page-cache file without FIEMAP is accepted with allow_non_dax, saying so. */
static void seal_check__ioctl_EOPNOTSUPP_page_cache(void **state)
{
	const struct daxmr_seal_opts opts = {.allow_non_dax = true};
	int fd = written_file(BLK);
	struct daxmr_seal_report r;

	(void)state;
	mock.ioctl_err = EOPNOTSUPP;
	assert_int_equal(daxmr_seal_check(fd, "no-fiemap", &opts, &r), 0);
	assert_int_equal(r.mem, DAXMR_SEAL_MEM_PAGE_CACHE);
	assert_string_equal(r.reason, "not DAX (statx: STATX_ATTR_DAX is clear); no block map to "
				      "seal (FIEMAP unsupported, e.g. tmpfs)");
	close(fd);
}

/* Any other FIEMAP failure is a failed call, whatever the mode. */
static void seal_check__ioctl_ENOMEM(void **state)
{
	const struct daxmr_seal_opts opts = {.allow_non_dax = true};
	int fd = written_file(BLK);
	struct daxmr_seal_report r;

	(void)state;
	mock.ioctl_err = ENOMEM;
	assert_int_equal(daxmr_seal_check(fd, "f", &opts, &r), -ENOMEM);
	assert_string_equal(r.reason, "a system call failed: Cannot allocate memory");
	fake_dax();
	assert_int_equal(daxmr_seal_check(fd, "f", NULL, &r), -ENOMEM);
	close(fd);
}

/* statx failing stops the check before anything else. */
static void seal_check__statx_fails(void **state)
{
	struct daxmr_seal_report r;
	int fd = written_file(BLK);

	(void)state;
	mock.statx_err = EACCES;
	assert_int_equal(daxmr_seal_check(fd, "f", NULL, &r), -EACCES);
	assert_string_equal(r.reason, "a system call failed: Permission denied");
	assert_int_equal(mock.ioctl_calls, 0);
	close(fd);
}

/* statx that cannot tell DAX means not DAX, even if the attribute bit is set. */
static void seal_check__statx_no_dax_mask(void **state)
{
	struct daxmr_seal_report r;
	int fd = written_file(BLK);

	(void)state;
	fake_dax();
	mock.statx_no_dax_mask = true;
	assert_int_equal(daxmr_seal_check(fd, "f", NULL, &r), -EOPNOTSUPP);
	assert_false(r.is_dax);
	assert_string_equal(r.reason, "not DAX (statx cannot tell: no STATX_ATTR_DAX in its mask)");
	assert_int_equal(mock.ioctl_calls, 0);
	close(fd);
}

/* DAX by statx but MAP_SYNC refused (virtio-pmem): not DAX for us. */
static void seal_check__mmap_EOPNOTSUPP(void **state)
{
	struct daxmr_seal_report r;
	int fd = written_file(BLK);

	(void)state;
	mock.statx_dax = true;
	mock.mmap_err = EOPNOTSUPP;
	assert_int_equal(daxmr_seal_check(fd, "f", NULL, &r), -EOPNOTSUPP);
	assert_false(r.is_dax);
	assert_string_equal(r.reason, "not DAX: MAP_SYNC refused (DAX without synchronous faults, "
				      "e.g. virtio-pmem)");
	close(fd);
}

/* Any other mmap failure is a failed call, even with allow_non_dax. */
static void seal_check__mmap_ENOMEM(void **state)
{
	const struct daxmr_seal_opts opts = {.allow_non_dax = true};
	struct daxmr_seal_report r;
	int fd = written_file(BLK);

	(void)state;
	mock.statx_dax = true;
	mock.mmap_err = ENOMEM;
	assert_int_equal(daxmr_seal_check(fd, "f", &opts, &r), -ENOMEM);
	assert_int_equal(mock.ioctl_calls, 0);
	close(fd);
}

/* munmap of the trial map failing is reported. */
static void seal_check__munmap_fails(void **state)
{
	struct daxmr_seal_report r;
	int fd = written_file(BLK);

	(void)state;
	fake_dax();
	mock.munmap_err = EINVAL;
	assert_int_equal(daxmr_seal_check(fd, "f", NULL, &r), -EINVAL);
	assert_string_equal(r.reason, "a system call failed: Invalid argument");
	close(fd);
}

/* A directory is neither a regular file nor device-DAX. */
static void seal_check__not_regular(void **state)
{
	struct daxmr_seal_report r;
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(daxmr_seal_check(fd, "/tmp", NULL, &r), -ENODEV);
	assert_string_equal(r.reason, "neither a regular file nor a device-DAX character device");
	close(fd);
}

/* An empty file has nothing to map. */
static void seal_check__empty_file(void **state)
{
	struct daxmr_seal_report r;
	int fd = tmp_file("/tmp");

	(void)state;
	fake_dax();
	assert_int_equal(daxmr_seal_check(fd, "empty", NULL, &r), -EINVAL);
	assert_string_equal(r.reason, "empty file: nothing to map");
	close(fd);
}

/* --- character devices: /dev/null for real, device-DAX through faked sysfs --- */

/* /dev/null (1:3) belongs to the mem subsystem: refused, naming it. */
static void seal_check__chardev_not_dax(void **state)
{
	struct daxmr_seal_report r;
	int fd = open("/dev/null", O_RDWR);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(daxmr_seal_check(fd, "/dev/null", NULL, &r), -ENODEV);
	assert_string_equal(r.reason, "character device 1:3 is mem, not device-DAX (dax)");
	close(fd);
}

/* Opens /dev/null and makes sysfs describe it as a device-DAX device of the given size. */
static int fake_devdax(const char *size)
{
	int fd = open("/dev/null", O_RDWR);

	assert_true(fd >= 0);
	mock.sysfs_link = "../../../../bus/dax";
	mock.sysfs_size = size;
	return fd;
}

/* Device-DAX passes with its sysfs size and no FIEMAP. */
static void seal_check__devdax_passes(void **state)
{
	struct daxmr_seal_report r;
	int fd = fake_devdax("2147483648\n");

	(void)state;
	assert_int_equal(daxmr_seal_check(fd, "/dev/dax0.0", NULL, &r), 0);
	assert_int_equal(r.mem, DAXMR_SEAL_MEM_DEVDAX);
	assert_true(r.is_dax);
	assert_int_equal(r.size, 2147483648ULL);
	assert_int_equal(r.extents, 0);
	assert_int_equal(mock.ioctl_calls, 0);
	close(fd);
}

/* A zero-sized device-DAX device is empty. */
static void seal_check__devdax_zero_size(void **state)
{
	struct daxmr_seal_report r;
	int fd = fake_devdax("0\n");

	(void)state;
	assert_int_equal(daxmr_seal_check(fd, "/dev/dax0.0", NULL, &r), -EINVAL);
	assert_string_equal(r.reason, "empty device-DAX device: nothing to map");
	close(fd);
}

/* A size attribute that is not a number. */
static void seal_check__devdax_size_unparseable(void **state)
{
	struct daxmr_seal_report r;
	int fd = fake_devdax("lots\n");

	(void)state;
	assert_int_equal(daxmr_seal_check(fd, "/dev/dax0.0", NULL, &r), -EIO);
	assert_string_equal(r.reason, "/sys/dev/char/1:3/size: not a decimal size");
	close(fd);
}

/* readlink of the subsystem link fails. */
static void seal_check__devdax_readlink_fails(void **state)
{
	struct daxmr_seal_report r;
	int fd = fake_devdax("4096\n");

	(void)state;
	mock.readlink_err = EACCES;
	assert_int_equal(daxmr_seal_check(fd, "/dev/dax0.0", NULL, &r), -EACCES);
	close(fd);
}

/* open of the size attribute fails. */
static void seal_check__devdax_open_fails(void **state)
{
	struct daxmr_seal_report r;
	int fd = fake_devdax("4096\n");

	(void)state;
	mock.open_err = ENOENT;
	assert_int_equal(daxmr_seal_check(fd, "/dev/dax0.0", NULL, &r), -ENOENT);
	close(fd);
}

/* read of the size attribute fails. */
static void seal_check__devdax_read_fails(void **state)
{
	struct daxmr_seal_report r;
	int fd = fake_devdax("4096\n");

	(void)state;
	mock.read_err = EIO;
	assert_int_equal(daxmr_seal_check(fd, "/dev/dax0.0", NULL, &r), -EIO);
	assert_string_equal(r.reason, "a system call failed: Input/output error");
	close(fd);
}

/* --- real files on this host: ext4 /tmp (not DAX) and tmpfs /dev/shm --- */

static const struct daxmr_seal_opts allow_non_dax = {.allow_non_dax = true};

/* A written ext4 file passes FIEMAP, but is refused as not DAX by default. */
static void seal_check__real_written_file(void **state)
{
	struct daxmr_seal_report r;
	int fd = written_file(16 * BLK);

	(void)state;
	assert_int_equal(daxmr_seal_check(fd, "written", NULL, &r), -EOPNOTSUPP);
	assert_string_equal(r.reason, "not DAX (statx: STATX_ATTR_DAX is clear)");
	assert_int_equal(mock.ioctl_calls, 0);
	assert_int_equal(daxmr_seal_check(fd, "written", &allow_non_dax, &r), 0);
	assert_int_equal(r.mem, DAXMR_SEAL_MEM_PAGE_CACHE);
	assert_false(r.is_dax);
	assert_int_equal(r.size, 16 * BLK);
	assert_true(r.extents >= 1);
	assert_string_equal(r.reason, "not DAX (statx: STATX_ATTR_DAX is clear)");
	close(fd);
}

/* MAP_SYNC on a real non-DAX file really fails with EOPNOTSUPP (what the probe relies on). */
static void seal_check__real_map_sync_refused(void **state)
{
	struct daxmr_seal_report r;
	int fd = written_file(BLK);

	(void)state;
	mock.statx_dax = true; /* statx lies, the real mmap does not */
	assert_int_equal(daxmr_seal_check(fd, "written", NULL, &r), -EOPNOTSUPP);
	assert_string_equal(r.reason, "not DAX: MAP_SYNC refused (DAX without synchronous faults, "
				      "e.g. virtio-pmem)");
	close(fd);
}

/* Sparse files: holes at the start, in the middle and at the end, with their offsets. */
static void seal_check__real_sparse_file(void **state)
{
	struct daxmr_seal_report r;
	int fd = tmp_file("/tmp");

	(void)state;
	assert_int_equal(ftruncate(fd, 4 * BLK), 0);
	assert_int_equal(daxmr_seal_check(fd, "sparse", &allow_non_dax, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 0: faults would allocate blocks");

	fill(fd, 0, 2 * BLK); /* hole from 8192 to EOF */
	assert_int_equal(daxmr_seal_check(fd, "sparse", &allow_non_dax, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 8192: faults would allocate blocks");

	fill(fd, 3 * BLK, BLK); /* hole at [8192, 12288) */
	assert_int_equal(daxmr_seal_check(fd, "sparse", &allow_non_dax, &r), -ENODATA);
	assert_string_equal(r.reason, "hole at offset 8192: faults would allocate blocks");

	fill(fd, 2 * BLK, BLK);
	assert_int_equal(daxmr_seal_check(fd, "sparse", &allow_non_dax, &r), 0);
	close(fd);
}

/* fallocate'd blocks are unwritten extents: faults would convert them. */
static void seal_check__real_fallocated_file(void **state)
{
	struct daxmr_seal_report r;
	int fd = tmp_file("/tmp");

	(void)state;
	assert_int_equal(fallocate(fd, 0, 0, 16 * BLK), 0);
	assert_int_equal(daxmr_seal_check(fd, "falloc", &allow_non_dax, &r), -ENOMEDIUM);
	assert_string_equal(r.reason, "unwritten extent at offset 0: faults would convert it");

	fill(fd, 0, BLK);
	assert_int_equal(daxmr_seal_check(fd, "falloc", &allow_non_dax, &r), -ENOMEDIUM);
	assert_string_equal(r.reason, "unwritten extent at offset 4096: faults would convert it");
	close(fd);
}

/* tmpfs has no FIEMAP: a page-cache export is accepted, saying there is no block map. */
static void seal_check__real_tmpfs_file(void **state)
{
	struct daxmr_seal_report r;
	int fd = tmp_file("/dev/shm");

	(void)state;
	fill(fd, 0, BLK);
	assert_int_equal(daxmr_seal_check(fd, "shm", NULL, &r), -EOPNOTSUPP);
	assert_int_equal(daxmr_seal_check(fd, "shm", &allow_non_dax, &r), 0);
	assert_int_equal(r.mem, DAXMR_SEAL_MEM_PAGE_CACHE);
	assert_int_equal(r.extents, 0);
	assert_string_equal(r.reason, "not DAX (statx: STATX_ATTR_DAX is clear); no block map to "
				      "seal (FIEMAP unsupported, e.g. tmpfs)");
	close(fd);
}

#define T(f) cmocka_unit_test_setup(f, reset)
#define FLAG(name, i)                                                                              \
	{                                                                                          \
		"seal_extents_check__" name, seal_extents_check__flag, reset, NULL,                \
			(void *)&flag_cases[i]                                                     \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(seal_extents_check__contiguous),
		T(seal_extents_check__hole_at_start),
		T(seal_extents_check__hole_in_middle),
		T(seal_extents_check__hole_at_end),
		T(seal_extents_check__empty_batch_is_hole_to_eof),
		T(seal_extents_check__extent_past_eof),
		T(seal_extents_check__across_batches),
		T(seal_extents_check__overlap),
		T(seal_extents_check__harmless_flags),
		T(seal_extents_check__rule_order),
		FLAG("SHARED", 0),
		FLAG("UNWRITTEN", 1),
		FLAG("DELALLOC", 2),
		FLAG("UNKNOWN", 3),
		FLAG("DATA_INLINE", 4),
		FLAG("ENCODED", 5),
		FLAG("DATA_ENCRYPTED", 6),
		FLAG("NOT_ALIGNED", 7),
		FLAG("DATA_TAIL", 8),
		T(seal_check__fsdax_file_passes),
		T(seal_check__fiemap_batches),
		T(seal_check__fiemap_hole_between_batches),
		T(seal_check__fiemap_no_progress),
		T(seal_check__ioctl_EOPNOTSUPP_dax),
		T(seal_check__ioctl_EOPNOTSUPP_page_cache),
		T(seal_check__ioctl_ENOMEM),
		T(seal_check__statx_fails),
		T(seal_check__statx_no_dax_mask),
		T(seal_check__mmap_EOPNOTSUPP),
		T(seal_check__mmap_ENOMEM),
		T(seal_check__munmap_fails),
		T(seal_check__not_regular),
		T(seal_check__empty_file),
		T(seal_check__chardev_not_dax),
		T(seal_check__devdax_passes),
		T(seal_check__devdax_zero_size),
		T(seal_check__devdax_size_unparseable),
		T(seal_check__devdax_readlink_fails),
		T(seal_check__devdax_open_fails),
		T(seal_check__devdax_read_fails),
		T(seal_check__real_written_file),
		T(seal_check__real_map_sync_refused),
		T(seal_check__real_sparse_file),
		T(seal_check__real_fallocated_file),
		T(seal_check__real_tmpfs_file),
	};

	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
