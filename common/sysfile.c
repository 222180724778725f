/* SPDX-License-Identifier: BSD-3-Clause */
/* sysfile.c -- reading the short text files the kernel publishes in /proc and /sys */
#include "sysfile.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "log.h"

/* One open, one read, NUL-terminated. */
int daxmr_sysfile_read(const char *path, char *buf, size_t size)
{
	ssize_t r;
	int fd, ret;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("open", ret, "%s", path);
		return ret;
	}
	r = read(fd, buf, size - 1);
	ret = r < 0 ? -errno : 0;
	close(fd);
	if (ret) {
		DAXMR_LOG_CALL_ERR("read", ret, "%s", path);
		return ret;
	}
	buf[r] = '\0';
	return 0;
}
