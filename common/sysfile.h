/* SPDX-License-Identifier: BSD-3-Clause */
/* sysfile.h -- reading the short text files the kernel publishes in /proc and /sys */
#ifndef DAXMR_SYSFILE_H
#define DAXMR_SYSFILE_H

#include <stddef.h>

/*
 * Reads at most size - 1 bytes of path into buf and NUL-terminates them (a kernel attribute
 * fits in one read). Returns 0 or the -errno of open/read, logged naming the path.
 */
int daxmr_sysfile_read(const char *path, char *buf, size_t size);

#endif /* DAXMR_SYSFILE_H */
