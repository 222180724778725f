/* SPDX-License-Identifier: BSD-3-Clause */
/* fd.h -- file descriptor helpers both sides share: O_NONBLOCK and signalfds */
#ifndef DAXMR_FD_H
#define DAXMR_FD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Sets (on) or clears O_NONBLOCK on fd. what names the fd in the log line written on failure.
 * Returns 0 or the -errno of fcntl.
 */
int daxmr_fd_set_nonblock(int fd, bool on, const char *what);

/*
 * Blocks the nsigs signals of sigs in this thread (pthread_sigmask) and opens a non-blocking,
 * close-on-exec signalfd for them. On failure the signal mask is restored as it was and
 * *sfd_ptr is untouched. Returns 0 or the -errno of the failed call (logged, naming it).
 */
int daxmr_fd_signalfd(const int *sigs, size_t nsigs, int *sfd_ptr);

#endif /* DAXMR_FD_H */
