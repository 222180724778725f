/* SPDX-License-Identifier: BSD-3-Clause */
/* lease.h -- file leases on exported files: F_SETSIG/F_SETLEASE and the lease-break signalfd */
#ifndef DAXMR_LEASE_H
#define DAXMR_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/*
 * Picks the lease-break signal (SIGRTMIN + 1: a realtime signal queues one entry per break and
 * carries the fd), blocks it with pthread_sigmask and opens a signalfd for it, non-blocking and
 * close-on-exec, for the event loop to watch. Call before any thread is created so that every
 * thread inherits the blocked mask. On failure the mask is restored and nothing is returned.
 * Returns 0, or -errno of pthread_sigmask/signalfd.
 */
int daxmr_lease_signal_block(int *sig_ptr, int *sfd_ptr);

/*
 * Checks that this process may lease the file st describes: the file's owner must be our fsuid,
 * or we need CAP_LEASE in our effective set (what fs/locks.c checks; it answers EACCES).
 * what names the file in the log. Returns 0, -EPERM (logged, naming owner and fsuid), or
 * -errno of capget.
 */
int daxmr_lease_may_lease(const struct stat *st, const char *what);

/*
 * Takes a lease of type F_RDLCK (read-only export) or F_WRLCK (writable export) on fd, after
 * F_SETSIG has pointed its break notification at sig: the signal must be set first, or a break
 * arriving in between would be SIGIO, whose default action kills the process.
 * Returns 0, -EINVAL for another type, -EAGAIN if the file is open elsewhere (a write lease needs
 * the only open file description; a read lease needs no writer), -EACCES if we neither own the
 * file nor hold CAP_LEASE, or another -errno of fcntl. Every failure is logged naming what.
 */
int daxmr_lease_take(int fd, int type, int sig, const char *what);

/*
 * Releases the lease on fd (F_SETLEASE F_UNLCK), which lets a blocked breaker proceed. Call only
 * after remote access is stopped and the file is unmapped. Returns 0 or -errno of fcntl (logged).
 */
int daxmr_lease_release(int fd, const char *what);

/*
 * Drains the lease-break signalfd sfd: stores in fds[0..*n_ptr) the fds whose lease is
 * breaking, each once (a read-then-write breaker signals twice). Signals not sent by a lease
 * break (kill, sigqueue: ssi_code != POLL_MSG) are dropped with a warning. Stops when the
 * signalfd is empty or max fds are stored; if *n_ptr == max, call again.
 * Returns 0 or -errno of read (logged).
 */
int daxmr_lease_read_break(int sfd, int *fds, size_t max, size_t *n_ptr);

/*
 * Whether fd still holds a lease of type (F_RDLCK or F_WRLCK) with no break under way
 * (F_GETLEASE answers type itself; a breaking lease answers the type it is going to): a
 * lease-break signal for fd is then stale, queued for an earlier lease on a reused fd. An
 * F_GETLEASE that fails is logged and counts as not intact (the break is acted on).
 */
bool daxmr_lease_is_intact(int fd, int type);

/*
 * Reads /proc/sys/fs/lease-break-time (seconds): how long a breaker waits for us before the
 * kernel removes the lease itself. Returns 0 with *ms_ptr set, -errno of open/read, -EINVAL if
 * the content is not a non-negative integer, -ERANGE if it does not fit in int milliseconds.
 */
int daxmr_lease_break_time_ms(int *ms_ptr);

#endif /* DAXMR_LEASE_H */
