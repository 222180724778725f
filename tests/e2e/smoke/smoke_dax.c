/* SPDX-License-Identifier: BSD-3-Clause */
/* smoke_dax.c -- the DAX half: MAP_SYNC is refused off DAX and works, byte-exact, on a DAX file */
#include "smoke.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "log.h"
#include "pattern.h"

#define DAX_DEFAULT_DIR "/mnt/pmem"
#define DAX_FILE_SIZE (2u << 20) /* one 2 MiB extent-sized file: room for a PMD fault */
#define DAX_NONDAX_DIR "/dev/shm"
#define DAX_SEED_PWRITE 0x0da70001u
#define DAX_SEED_MAP 0x0da70002u
#define DAX_MAP_FLAGS (MAP_SHARED_VALIDATE | MAP_SYNC)

/* Writes all of buf at offset off, retrying short writes; 0 or -errno (logged). */
static int dax_pwrite_all(int fd, const char *path, const uint8_t *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		n = pwrite(fd, buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int ret = n < 0 ? -errno : -EIO;

			DAXMR_LOG_CALL_ERR("pwrite", ret, "%s, %zu bytes at %lld", path, len - done,
					   (long long)(off + (off_t)done));
			return ret;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Reads all of buf from offset off, retrying short reads; 0 or -errno (logged). */
static int dax_pread_all(int fd, const char *path, uint8_t *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		n = pread(fd, buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int ret = n < 0 ? -errno : -EIO;

			DAXMR_LOG_CALL_ERR("pread", ret, "%s, %zu bytes at %lld%s", path, len - done,
					   (long long)(off + (off_t)done),
					   n == 0 ? " (unexpected end of file)" : "");
			return ret;
		}
		done += (size_t)n;
	}
	return 0;
}

/* statx of an open file: its attributes, the mask of attributes the fs reports, allocated bytes. */
static int dax_statx(int fd, const char *path, struct statx *stx)
{
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, stx) < 0) {
		int ret = -errno;

		DAXMR_LOG_CALL_ERR("statx", ret, "%s (AT_EMPTY_PATH, STATX_BASIC_STATS)", path);
		return ret;
	}
	return 0;
}

/*
 * The negative check: a MAP_SHARED_VALIDATE|MAP_SYNC map of a non-DAX (tmpfs) file must fail with
 * EOPNOTSUPP, proving the positive check below tells DAX from non-DAX. Uses /dev/shm when it is a
 * tmpfs, else a memfd (shmem: the same code). 0 if refused as expected, else -errno (logged).
 */
static int dax_check_nondax_refused(void)
{
	char path[PATH_MAX] = "memfd:daxmr-smoke";
	struct statfs sfs;
	struct statx stx;
	void *addr;
	int fd, ret, map_errno;
	int in_shm = statfs(DAX_NONDAX_DIR, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;

	if (in_shm) {
		snprintf(path, sizeof(path), "%s/daxmr-smoke-nondax.XXXXXX", DAX_NONDAX_DIR);
		fd = mkstemp(path);
		if (fd < 0) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("mkstemp", ret, "%s", path);
			return ret;
		}
	} else {
		fd = memfd_create("daxmr-smoke", MFD_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			DAXMR_LOG_CALL_ERR("memfd_create", ret, "daxmr-smoke (%s is not a tmpfs)",
					   DAX_NONDAX_DIR);
			return ret;
		}
	}
	if (ftruncate(fd, DAX_FILE_SIZE) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ftruncate", ret, "%s to %u bytes", path, DAX_FILE_SIZE);
		goto err_close;
	}
	ret = dax_statx(fd, path, &stx);
	if (ret)
		goto err_close;
	if (stx.stx_attributes & STATX_ATTR_DAX) {
		DAXMR_LOG_ERR("%s: statx says STATX_ATTR_DAX on a tmpfs file: cannot run the "
			      "negative check", path);
		ret = -EINVAL;
		goto err_close;
	}

	addr = mmap(NULL, DAX_FILE_SIZE, PROT_READ | PROT_WRITE, DAX_MAP_FLAGS, fd, 0);
	map_errno = errno;
	if (addr != MAP_FAILED) {
		DAXMR_LOG_ERR("mmap(%s, %u bytes, PROT_READ|PROT_WRITE, MAP_SHARED_VALIDATE|MAP_SYNC) "
			      "succeeded on a non-DAX file: the kernel does not validate MAP_SYNC, "
			      "so a successful map proves nothing", path, DAX_FILE_SIZE);
		munmap(addr, DAX_FILE_SIZE);
		ret = -EINVAL;
		goto err_close;
	}
	if (map_errno != EOPNOTSUPP) {
		DAXMR_LOG_CALL_ERR("mmap", -map_errno,
				   "%s, MAP_SHARED_VALIDATE|MAP_SYNC: expected EOPNOTSUPP", path);
		ret = -map_errno;
		goto err_close;
	}
	daxmr_smoke_say("dax: non-DAX %s %s: statx without STATX_ATTR_DAX, MAP_SYNC map refused "
			"with EOPNOTSUPP (as it must be)",
			in_shm ? "tmpfs file" : "memfd", path);
	ret = 0;

err_close:
	close(fd);
	if (in_shm && unlink(path) < 0 && ret == 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("unlink", ret, "%s", path);
	}
	return ret;
}

/* Maps the DAX file with MAP_SYNC, checks it reads what pwrite wrote, then writes a new pattern. */
static int dax_check_map_sync(int fd, const char *path)
{
	uint8_t *addr;
	int ret;

	addr = mmap(NULL, DAX_FILE_SIZE, PROT_READ | PROT_WRITE, DAX_MAP_FLAGS, fd, 0);
	if (addr == MAP_FAILED) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("mmap", ret,
				   "%s, %u bytes, PROT_READ|PROT_WRITE, MAP_SHARED_VALIDATE|MAP_SYNC "
				   "(errno %d%s)", path, DAX_FILE_SIZE, -ret,
				   ret == -EOPNOTSUPP ? ": the file is not DAX-mapped" : "");
		return ret;
	}
	daxmr_smoke_say("dax: mmap MAP_SHARED_VALIDATE|MAP_SYNC PROT_READ|PROT_WRITE of %u bytes ok",
			DAX_FILE_SIZE);

	ret = daxmr_pattern_verify("read through the MAP_SYNC mapping", addr, 0, DAX_FILE_SIZE,
				   DAX_SEED_PWRITE, 0);
	if (ret)
		goto err_unmap;
	daxmr_pattern_fill(addr, 0, DAX_FILE_SIZE, DAX_SEED_MAP, 0);
	/* on DAX msync writes the CPU caches back to the media; it must simply work */
	if (msync(addr, DAX_FILE_SIZE, MS_SYNC) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("msync", ret, "%s, %u bytes, MS_SYNC", path, DAX_FILE_SIZE);
		goto err_unmap;
	}
	daxmr_smoke_say("dax: mapping reads the pwrite pattern; wrote a new pattern through it");

err_unmap:
	if (munmap(addr, DAX_FILE_SIZE) < 0 && ret == 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("munmap", ret, "%s, %u bytes", path, DAX_FILE_SIZE);
	}
	return ret;
}

/*
 * The positive check on a fresh file in dir: fully written (no holes), statx STATX_ATTR_DAX,
 * MAP_SYNC map, pattern written through the map equals what pread returns. 0 or -errno (logged).
 */
static int dax_check_dax_file(const char *dir)
{
	char path[PATH_MAX];
	struct statx stx;
	uint8_t *buf;
	int fd, ret;

	buf = malloc(DAX_FILE_SIZE);
	if (!buf) {
		DAXMR_LOG_CALL_ERR("malloc", -ENOMEM, "%u bytes", DAX_FILE_SIZE);
		return -ENOMEM;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/daxmr-smoke.XXXXXX", dir) >= sizeof(path)) {
		DAXMR_LOG_ERR("DAX directory name too long: %s", dir);
		ret = -ENAMETOOLONG;
		goto err_free;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("mkstemp", ret, "%s", path);
		goto err_free;
	}

	/* written, not fallocated: fallocate leaves unwritten extents, and we want no holes */
	daxmr_pattern_fill(buf, 0, DAX_FILE_SIZE, DAX_SEED_PWRITE, 0);
	ret = dax_pwrite_all(fd, path, buf, DAX_FILE_SIZE, 0);
	if (ret)
		goto err_unlink;
	if (fsync(fd) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("fsync", ret, "%s", path);
		goto err_unlink;
	}

	ret = dax_statx(fd, path, &stx);
	if (ret)
		goto err_unlink;
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX)) {
		DAXMR_LOG_ERR("%s: statx does not report STATX_ATTR_DAX at all (attributes_mask "
			      "0x%llx): the kernel or file system cannot say whether it is DAX",
			      path, (unsigned long long)stx.stx_attributes_mask);
		ret = -EOPNOTSUPP;
		goto err_unlink;
	}
	if (!(stx.stx_attributes & STATX_ATTR_DAX)) {
		DAXMR_LOG_ERR("%s: not DAX: statx attributes 0x%llx lack STATX_ATTR_DAX (is %s on "
			      "a pmem device mounted with -o dax=always?)",
			      path, (unsigned long long)stx.stx_attributes, dir);
		ret = -EOPNOTSUPP;
		goto err_unlink;
	}
	if (stx.stx_size != DAX_FILE_SIZE || stx.stx_blocks * 512 < DAX_FILE_SIZE) {
		DAXMR_LOG_ERR("%s: size %llu, %llu bytes allocated: expected %u fully allocated",
			      path, (unsigned long long)stx.stx_size,
			      (unsigned long long)stx.stx_blocks * 512, DAX_FILE_SIZE);
		ret = -EIO;
		goto err_unlink;
	}
	daxmr_smoke_say("dax: %s: %llu bytes written and allocated, statx STATX_ATTR_DAX set", path,
			(unsigned long long)stx.stx_size);

	ret = dax_check_map_sync(fd, path);
	if (ret)
		goto err_unlink;

	memset(buf, 0, DAX_FILE_SIZE);
	ret = dax_pread_all(fd, path, buf, DAX_FILE_SIZE, 0);
	if (ret)
		goto err_unlink;
	ret = daxmr_pattern_verify("pread after writing through the MAP_SYNC mapping", buf, 0,
				   DAX_FILE_SIZE, DAX_SEED_MAP, 0);
	if (ret)
		goto err_unlink;
	daxmr_smoke_say("dax: pread returns, byte for byte, the %u bytes written through the mapping",
			DAX_FILE_SIZE);

err_unlink:
	close(fd);
	if (unlink(path) < 0 && ret == 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("unlink", ret, "%s", path);
	}
err_free:
	free(buf);
	return ret;
}

/* The DAX half of the smoke test; an exit status, not an errno. */
enum daxmr_smoke_result daxmr_smoke_dax_run(void)
{
	const char *dir = getenv("DAXMR_TEST_DAX_DIR");
	struct stat st;
	int ret;

	if (!dir || !*dir)
		dir = DAX_DEFAULT_DIR;

	/* runs anywhere (tmpfs), so it runs first, even where the DAX part will be skipped */
	if (dax_check_nondax_refused())
		return DAXMR_SMOKE_FAIL;

	if (stat(dir, &st) < 0) {
		ret = -errno;
		if (ret == -ENOENT) {
			printf("SKIP: DAX directory %s does not exist (set DAXMR_TEST_DAX_DIR)\n",
			       dir);
			return DAXMR_SMOKE_SKIP;
		}
		DAXMR_LOG_CALL_ERR("stat", ret, "DAX directory %s", dir);
		return DAXMR_SMOKE_FAIL;
	}
	if (!S_ISDIR(st.st_mode)) {
		DAXMR_LOG_ERR("DAX directory %s is not a directory", dir);
		return DAXMR_SMOKE_FAIL;
	}
	if (dax_check_dax_file(dir))
		return DAXMR_SMOKE_FAIL;
	daxmr_smoke_say("dax: all DAX checks passed in %s", dir);
	return DAXMR_SMOKE_PASS;
}
