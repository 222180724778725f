/* SPDX-License-Identifier: BSD-3-Clause */
/* lease.c -- file leases on exported files: F_SETSIG/F_SETLEASE and the lease-break signalfd */
#include "lease.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"
#include "sysfile.h"

#define LEASE_BREAK_TIME_PATH "/proc/sys/fs/lease-break-time"

/* Name of a lease type for log lines. */
static const char *lease_type_name(int type)
{
	return type == F_WRLCK ? "F_WRLCK" : type == F_RDLCK ? "F_RDLCK" : "F_UNLCK";
}

/* Picks the lease-break signal, blocks it and opens a non-blocking signalfd for it. */
int daxmr_lease_signal_block(int *sig_ptr, int *sfd_ptr)
{
	int sig = SIGRTMIN + 1;
	int ret;

	ret = daxmr_fd_signalfd(&sig, 1, sfd_ptr);
	if (ret == 0)
		*sig_ptr = sig;
	return ret;
}

/* Tells whether CAP_LEASE is in our effective capability set (capget(2), no libcap). */
static int lease_has_cap_lease(int *has_ptr)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) < 0) {
		int ret = -errno;

		DAXMR_LOG_CALL_ERR("capget", ret, "version 3, own pid");
		return ret;
	}
	*has_ptr = !!(data[CAP_TO_INDEX(CAP_LEASE)].effective & CAP_TO_MASK(CAP_LEASE));
	return 0;
}

/* Checks the owner-or-CAP_LEASE rule of fs/locks.c before we try F_SETLEASE. */
int daxmr_lease_may_lease(const struct stat *st, const char *what)
{
	/* an invalid id changes nothing and returns the current fsuid (there is no getfsuid) */
	uid_t fsuid = (uid_t)setfsuid((uid_t)-1);
	int has_cap = 0, ret;

	if (st->st_uid == fsuid)
		return 0;
	ret = lease_has_cap_lease(&has_cap);
	if (ret)
		return ret;
	if (has_cap)
		return 0;
	DAXMR_LOG_ERR("lease: %s: owned by uid %u, our fsuid is %u and CAP_LEASE is not in our "
		      "effective set: cannot lease it",
		      what, (unsigned)st->st_uid, (unsigned)fsuid);
	return -EPERM;
}

/* Points break notification at sig, then takes the lease. */
int daxmr_lease_take(int fd, int type, int sig, const char *what)
{
	const char *hint = "";
	int ret;

	if (type != F_RDLCK && type != F_WRLCK) {
		DAXMR_LOG_ERR("lease: %s: lease type %d is neither F_RDLCK nor F_WRLCK", what,
			      type);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETSIG, sig) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("fcntl", ret, "F_SETSIG %d on %s (fd %d)", sig, what, fd);
		return ret;
	}
	if (fcntl(fd, F_SETLEASE, type) == 0)
		return 0;
	ret = -errno;
	if (ret == -EAGAIN)
		hint = ": file is open elsewhere (a write lease needs the only open file "
		       "description; a read lease needs no writer)";
	else if (ret == -EACCES)
		hint = ": we neither own the file nor hold CAP_LEASE";
	DAXMR_LOG_CALL_ERR("fcntl", ret, "F_SETLEASE %s on %s (fd %d)%s", lease_type_name(type),
			   what, fd, hint);
	return ret;
}

/* Drops the lease so that a blocked breaker may proceed. */
int daxmr_lease_release(int fd, const char *what)
{
	int ret;

	if (fcntl(fd, F_SETLEASE, F_UNLCK) == 0)
		return 0;
	ret = -errno;
	DAXMR_LOG_CALL_ERR("fcntl", ret, "F_SETLEASE F_UNLCK on %s (fd %d)", what, fd);
	return ret;
}

/* Appends fd to fds[0..*n) unless it is already there. */
static void lease_fd_add_once(int *fds, size_t *n, int fd)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (fds[i] == fd)
			return;
	fds[(*n)++] = fd;
}

/* Whether the lease on fd is still whole: a break signal for it is stale. */
bool daxmr_lease_is_intact(int fd, int type)
{
	int cur = fcntl(fd, F_GETLEASE);

	if (cur < 0) {
		DAXMR_LOG_CALL_ERR("fcntl", -errno, "F_GETLEASE on fd %d", fd);
		return false;
	}
	return cur == type;
}

/* Drains the lease-break signalfd into a set of breaking fds. */
int daxmr_lease_read_break(int sfd, int *fds, size_t max, size_t *n_ptr)
{
	struct signalfd_siginfo si[16];
	size_t n = 0, want, i;
	ssize_t r;
	int ret = 0;

	while (n < max) {
		/* each entry adds at most one fd: never read more than fds can take */
		want = max - n < sizeof(si) / sizeof(si[0]) ? max - n : sizeof(si) / sizeof(si[0]);
		r = read(sfd, si, want * sizeof(si[0]));
		if (r < 0) {
			if (errno == EAGAIN)
				break;
			ret = -errno;
			DAXMR_LOG_CALL_ERR("read", ret, "lease-break signalfd %d", sfd);
			break;
		}
		for (i = 0; i < (size_t)r / sizeof(si[0]); i++) {
			if (si[i].ssi_code != POLL_MSG) {
				DAXMR_LOG_WRN(
					"lease: signal %u from pid %u (code %d) is not a lease "
					"break: ignored",
					si[i].ssi_signo, si[i].ssi_pid, si[i].ssi_code);
				continue;
			}
			lease_fd_add_once(fds, &n, si[i].ssi_fd);
		}
	}
	*n_ptr = n;
	return ret;
}

/* Reads the kernel's lease-break timeout. */
int daxmr_lease_break_time_ms(int *ms_ptr)
{
	char buf[32], *end;
	long s;
	int ret;

	ret = daxmr_sysfile_read(LEASE_BREAK_TIME_PATH, buf, sizeof(buf));
	if (ret)
		return ret;
	s = strtol(buf, &end, 10);
	if (end == buf || (*end != '\0' && *end != '\n') || s < 0) {
		DAXMR_LOG_ERR("lease: %s: expected whole seconds, read \"%.*s\"",
			      LEASE_BREAK_TIME_PATH, (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	if (s > INT_MAX / 1000) {
		DAXMR_LOG_ERR("lease: %s: %ld s does not fit in int milliseconds",
			      LEASE_BREAK_TIME_PATH, s);
		return -ERANGE;
	}
	*ms_ptr = (int)s * 1000;
	return 0;
}
