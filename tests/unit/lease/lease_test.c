/* SPDX-License-Identifier: BSD-3-Clause */
/* lease_test.c -- unit tests of lease: failed calls (wrapped), a real lease break in /tmp */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lease.h"

#define FAKE_SFD 1000 /* read() on this fd serves mock.si */

/* What the wrapped calls do; zeroed before every test, so by default they pass through. */
static struct {
	int fcntl_fail_cmd; /* fcntl with this cmd ... */
	int fcntl_err;	    /* ... fails with this errno */
	int fcntl_cmds[4];  /* cmd and arg of the first two fcntl calls */
	int fcntl_calls;
	bool fsuid_set; /* setfsuid answers fsuid */
	uid_t fsuid;
	int capget_err;	 /* capget fails with this errno ... */
	bool capget_set; /* ... or reports this effective set */
	uint32_t cap_eff;
	int capget_calls;
	const char *proc_content; /* open of /proc/sys/fs/lease-break-time gives this ... */
	int open_err;		  /* ... or fails with this errno */
	int read_err;		  /* read fails with this errno */
	const struct signalfd_siginfo *si; /* read(FAKE_SFD) serves these entries ... */
	size_t n_si;
	size_t si_next;
	int sigmask_err;  /* pthread_sigmask fails with this errno */
	int signalfd_err; /* signalfd fails with this errno */
} mock;

int __real_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...);
long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);
int __real_setfsuid(uid_t uid);
int __wrap_setfsuid(uid_t uid);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);
int __real_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);
int __wrap_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);
int __real_signalfd(int fd, const sigset_t *mask, int flags);
int __wrap_signalfd(int fd, const sigset_t *mask, int flags);

/* fcntl: records the first calls; optionally fails one command. */
int __wrap_fcntl(int fd, int cmd, ...)
{
	long arg = 0;
	va_list ap;

	va_start(ap, cmd);
	if (cmd != F_GETLEASE && cmd != F_GETSIG)
		arg = va_arg(ap, long);
	va_end(ap);
	if (mock.fcntl_calls < 2) {
		mock.fcntl_cmds[2 * mock.fcntl_calls] = cmd;
		mock.fcntl_cmds[2 * mock.fcntl_calls + 1] = (int)arg;
	}
	mock.fcntl_calls++;
	if (mock.fcntl_err && cmd == mock.fcntl_fail_cmd) {
		errno = mock.fcntl_err;
		return -1;
	}
	return __real_fcntl(fd, cmd, arg);
}

/* syscall: lease.c only calls capget; optionally fails or reports a chosen effective set. */
long __wrap_syscall(long nr, ...)
{
	struct __user_cap_header_struct *hdr;
	struct __user_cap_data_struct *data;
	va_list ap;

	assert_int_equal(nr, SYS_capget);
	va_start(ap, nr);
	hdr = va_arg(ap, struct __user_cap_header_struct *);
	data = va_arg(ap, struct __user_cap_data_struct *);
	va_end(ap);
	mock.capget_calls++;
	if (mock.capget_err) {
		errno = mock.capget_err;
		return -1;
	}
	if (mock.capget_set) {
		memset(data, 0, 2 * sizeof(*data));
		data[0].effective = mock.cap_eff;
		return 0;
	}
	return __real_syscall(nr, hdr, data);
}

/* setfsuid: optionally pretends to be another fsuid. */
int __wrap_setfsuid(uid_t uid)
{
	return mock.fsuid_set ? (int)mock.fsuid : __real_setfsuid(uid);
}

/* open: fakes /proc/sys/fs/lease-break-time with a memfd, or fails it. */
int __wrap_open(const char *path, int flags, ...)
{
	bool proc = strcmp(path, "/proc/sys/fs/lease-break-time") == 0;
	mode_t mode = 0;
	va_list ap;
	int fd;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	if (proc && mock.open_err) {
		errno = mock.open_err;
		return -1;
	}
	if (proc && mock.proc_content) {
		fd = memfd_create("lease-break-time", MFD_CLOEXEC);
		if (fd < 0 || write(fd, mock.proc_content, strlen(mock.proc_content)) < 0 ||
		    lseek(fd, 0, SEEK_SET) < 0)
			return -1;
		return fd;
	}
	return __real_open(path, flags, mode);
}

/* read: serves fake signalfd entries on FAKE_SFD (as many as fit, then EAGAIN), or fails. */
ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	size_t n;

	if (mock.read_err) {
		errno = mock.read_err;
		return -1;
	}
	if (fd != FAKE_SFD)
		return __real_read(fd, buf, len);
	n = len / sizeof(*mock.si);
	if (n > mock.n_si - mock.si_next)
		n = mock.n_si - mock.si_next;
	if (n == 0) {
		errno = EAGAIN;
		return -1;
	}
	memcpy(buf, &mock.si[mock.si_next], n * sizeof(*mock.si));
	mock.si_next += n;
	return (ssize_t)(n * sizeof(*mock.si));
}

/* pthread_sigmask: optionally fails (returns the error, like the real one). */
int __wrap_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	return mock.sigmask_err ? mock.sigmask_err : __real_pthread_sigmask(how, set, old);
}

/* signalfd: optionally fails. */
int __wrap_signalfd(int fd, const sigset_t *mask, int flags)
{
	if (mock.signalfd_err) {
		errno = mock.signalfd_err;
		return -1;
	}
	return __real_signalfd(fd, mask, flags);
}

/* Clears all mocks. */
static int reset(void **state)
{
	(void)state;
	memset(&mock, 0, sizeof(mock));
	return 0;
}

/* A new file in /tmp (ext4 here); its path is left in path. */
static int tmp_file(char *path, size_t len, int flags)
{
	int fd;

	snprintf(path, len, "/tmp/lease_test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	fd = open(path, flags);
	assert_true(fd >= 0);
	return fd;
}

/* Is sig blocked in this thread? */
static bool is_blocked(int sig)
{
	sigset_t cur;

	assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	return sigismember(&cur, sig);
}

/* --- daxmr_lease_signal_block --- */

/* Picks a realtime signal, blocks it, and the signalfd is non-blocking and close-on-exec. */
static void lease_signal_block__realtime_nonblocking(void **state)
{
	int sig = 0, sfd = -1;

	(void)state;
	assert_int_equal(daxmr_lease_signal_block(&sig, &sfd), 0);
	assert_true(sig >= SIGRTMIN && sig <= SIGRTMAX);
	assert_true(is_blocked(sig));
	assert_true(fcntl(sfd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(sfd, F_GETFD) & FD_CLOEXEC);
	close(sfd);
}

/* pthread_sigmask failing leaves the out-parameters alone. */
static void lease_signal_block__pthread_sigmask_fails(void **state)
{
	int sig = -7, sfd = -7;

	(void)state;
	mock.sigmask_err = EINVAL;
	assert_int_equal(daxmr_lease_signal_block(&sig, &sfd), -EINVAL);
	assert_int_equal(sig, -7);
	assert_int_equal(sfd, -7);
}

/* signalfd failing unblocks the signal again. */
static void lease_signal_block__signalfd_fails(void **state)
{
	int sig = -7, sfd = -7;
	sigset_t set;

	(void)state;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
	mock.signalfd_err = EMFILE;
	assert_int_equal(daxmr_lease_signal_block(&sig, &sfd), -EMFILE);
	assert_false(is_blocked(SIGRTMIN + 1));
	assert_int_equal(sfd, -7);
}

/* --- daxmr_lease_may_lease --- */

/* Owning the file is enough: no capability check. */
static void lease_may_lease__owner_is_fsuid(void **state)
{
	struct stat st = {.st_uid = 4242};

	(void)state;
	mock.fsuid_set = true;
	mock.fsuid = 4242;
	assert_int_equal(daxmr_lease_may_lease(&st, "f"), 0);
	assert_int_equal(mock.capget_calls, 0);
}

/* Someone else's file with CAP_LEASE effective. */
static void lease_may_lease__CAP_LEASE(void **state)
{
	struct stat st = {.st_uid = 1};

	(void)state;
	mock.fsuid_set = true;
	mock.fsuid = 4242;
	mock.capget_set = true;
	mock.cap_eff = 1u << CAP_LEASE;
	assert_int_equal(daxmr_lease_may_lease(&st, "f"), 0);
	assert_int_equal(mock.capget_calls, 1);
}

/* Someone else's file, every capability but CAP_LEASE. */
static void lease_may_lease__no_CAP_LEASE(void **state)
{
	struct stat st = {.st_uid = 1};

	(void)state;
	mock.fsuid_set = true;
	mock.fsuid = 4242;
	mock.capget_set = true;
	mock.cap_eff = ~(1u << CAP_LEASE);
	assert_int_equal(daxmr_lease_may_lease(&st, "f"), -EPERM);
}

/* capget failing is passed up. */
static void lease_may_lease__capget_fails(void **state)
{
	struct stat st = {.st_uid = 1};

	(void)state;
	mock.fsuid_set = true;
	mock.fsuid = 4242;
	mock.capget_err = EFAULT;
	assert_int_equal(daxmr_lease_may_lease(&st, "f"), -EFAULT);
}

/* The real capget agrees with CapEff bit 28 in /proc/self/status. */
static void lease_may_lease__real_matches_CapEff(void **state)
{
	unsigned long long eff = 0;
	char line[256];
	struct stat st;
	FILE *f;

	(void)state;
	f = fopen("/proc/self/status", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	st.st_uid = (uid_t)setfsuid((uid_t)-1) + 1; /* not ours */
	assert_int_equal(daxmr_lease_may_lease(&st, "f"), (eff >> CAP_LEASE) & 1 ? 0 : -EPERM);
	assert_int_equal(mock.capget_calls, 1);
}

/* --- daxmr_lease_take / daxmr_lease_release --- */

/* F_SETSIG comes first, with our signal, then F_SETLEASE with the type. */
static void lease_take__signal_before_lease(void **state)
{
	char path[64];
	int fd = tmp_file(path, sizeof(path), O_RDWR);

	(void)state;
	assert_int_equal(daxmr_lease_take(fd, F_WRLCK, SIGRTMIN + 1, path), 0);
	assert_int_equal(mock.fcntl_cmds[0], F_SETSIG);
	assert_int_equal(mock.fcntl_cmds[1], SIGRTMIN + 1);
	assert_int_equal(mock.fcntl_cmds[2], F_SETLEASE);
	assert_int_equal(mock.fcntl_cmds[3], F_WRLCK);
	assert_int_equal(fcntl(fd, F_GETLEASE), F_WRLCK);
	assert_int_equal(fcntl(fd, F_GETSIG), SIGRTMIN + 1);
	assert_int_equal(daxmr_lease_release(fd, path), 0);
	assert_int_equal(fcntl(fd, F_GETLEASE), F_UNLCK);
	close(fd);
	unlink(path);
}

/* A read lease on a read-only fd. */
static void lease_take__real_read_lease(void **state)
{
	char path[64];
	int fd = tmp_file(path, sizeof(path), O_RDONLY);

	(void)state;
	assert_int_equal(daxmr_lease_take(fd, F_RDLCK, SIGRTMIN + 1, path), 0);
	assert_int_equal(fcntl(fd, F_GETLEASE), F_RDLCK);
	assert_int_equal(daxmr_lease_release(fd, path), 0);
	close(fd);
	unlink(path);
}

/* Neither F_RDLCK nor F_WRLCK: refused before any fcntl. */
static void lease_take__bad_type(void **state)
{
	(void)state;
	assert_int_equal(daxmr_lease_take(0, F_UNLCK, SIGRTMIN + 1, "f"), -EINVAL);
	assert_int_equal(mock.fcntl_calls, 0);
}

/* F_SETSIG failing: no lease is attempted (a break would arrive as SIGIO). */
static void lease_take__F_SETSIG_fails(void **state)
{
	(void)state;
	mock.fcntl_fail_cmd = F_SETSIG;
	mock.fcntl_err = EINVAL;
	assert_int_equal(daxmr_lease_take(0, F_WRLCK, SIGRTMIN + 1, "f"), -EINVAL);
	assert_int_equal(mock.fcntl_calls, 1);
}

/* F_SETLEASE failures are passed up as they are. */
static void lease_take__F_SETLEASE_fails(void **state)
{
	static const int errs[] = {EAGAIN, EACCES, EBADF};
	char path[64];
	int fd = tmp_file(path, sizeof(path), O_RDWR);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		mock.fcntl_fail_cmd = F_SETLEASE;
		mock.fcntl_err = errs[i];
		assert_int_equal(daxmr_lease_take(fd, F_WRLCK, SIGRTMIN + 1, path), -errs[i]);
	}
	assert_int_equal(fcntl(fd, F_GETLEASE), F_UNLCK);
	close(fd);
	unlink(path);
}

/* Really open elsewhere: a second fd (even our own) makes a write lease EAGAIN. */
static void lease_take__real_EAGAIN_open_elsewhere(void **state)
{
	char path[64];
	int fd = tmp_file(path, sizeof(path), O_RDWR);
	int fd2 = open(path, O_RDONLY);

	(void)state;
	assert_true(fd2 >= 0);
	assert_int_equal(daxmr_lease_take(fd, F_WRLCK, SIGRTMIN + 1, path), -EAGAIN);
	/* and a writer makes a read lease EAGAIN */
	assert_int_equal(daxmr_lease_take(fd2, F_RDLCK, SIGRTMIN + 1, path), -EAGAIN);
	close(fd2);
	close(fd);
	unlink(path);
}

/* F_SETLEASE F_UNLCK failing is passed up. */
static void lease_release__fails(void **state)
{
	(void)state;
	mock.fcntl_fail_cmd = F_SETLEASE;
	mock.fcntl_err = EBADF;
	assert_int_equal(daxmr_lease_release(0, "f"), -EBADF);
	assert_int_equal(mock.fcntl_cmds[0], F_SETLEASE);
	assert_int_equal(mock.fcntl_cmds[1], F_UNLCK);
}

/*
 * The real thing: a child opening our leased file gets EWOULDBLOCK, we see the break on the
 * signalfd with our fd, release, and the child's blocking open then completes.
 */
static void lease_read_break__real_break_by_child(void **state)
{
	struct pollfd pfd;
	int sig, sfd, fd, fds[4], err, status, p[2];
	char path[64];
	size_t n = 99;
	pid_t pid;

	(void)state;
	assert_int_equal(daxmr_lease_signal_block(&sig, &sfd), 0);
	fd = tmp_file(path, sizeof(path), O_RDWR);
	assert_int_equal(daxmr_lease_take(fd, F_WRLCK, sig, path), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(3); /* a lease never released would block for lease-break-time */
		err = open(path, O_RDWR | O_NONBLOCK) < 0 ? errno : 0;
		if (write(p[1], &err, sizeof(err)) != sizeof(err))
			_exit(2);
		_exit(open(path, O_RDWR) >= 0 ? 0 : 1);
	}
	assert_int_equal(read(p[0], &err, sizeof(err)), sizeof(err));
	assert_int_equal(err, EWOULDBLOCK);
	pfd = (struct pollfd){.fd = sfd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(daxmr_lease_read_break(sfd, fds, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fds[0], fd);
	assert_int_equal(daxmr_lease_release(fd, path), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(daxmr_lease_read_break(sfd, fds, 4, &n), 0);
	assert_int_equal(n, 0);
	close(p[0]);
	close(p[1]);
	close(fd);
	close(sfd);
	unlink(path);
}

/* A signal sent with kill() is not a lease break: drained and dropped. */
static void lease_read_break__real_kill_ignored(void **state)
{
	struct signalfd_siginfo si;
	int sig, sfd, fds[4];
	size_t n = 99;

	(void)state;
	assert_int_equal(daxmr_lease_signal_block(&sig, &sfd), 0);
	assert_int_equal(kill(getpid(), sig), 0);
	assert_int_equal(daxmr_lease_read_break(sfd, fds, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(read(sfd, &si, sizeof(si)), -1);
	assert_int_equal(errno, EAGAIN);
	close(sfd);
}

/* A lease-break entry for fd. */
#define BREAK(fd)                                                                                  \
	{                                                                                          \
		.ssi_signo = 35, .ssi_code = POLL_MSG, .ssi_fd = (fd)                              \
	}

/* Duplicates collapse, kill() entries are dropped, and max is respected across calls. */
static void lease_read_break__dedup_and_max(void **state)
{
	static const struct signalfd_siginfo si[] = {
		BREAK(5), BREAK(5), {.ssi_signo = 35, .ssi_code = SI_USER, .ssi_fd = 0},
		BREAK(7), BREAK(9), BREAK(9),
	};
	int fds[2];
	size_t n;

	(void)state;
	mock.si = si;
	mock.n_si = 6;
	assert_int_equal(daxmr_lease_read_break(FAKE_SFD, fds, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fds[0], 5);
	assert_int_equal(fds[1], 7);
	assert_int_equal(mock.si_next, 4); /* never more entries than fds has room for */
	assert_int_equal(daxmr_lease_read_break(FAKE_SFD, fds, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fds[0], 9);
}

/* read failing (not EAGAIN) is passed up; what was read so far is still returned. */
static void lease_read_break__read_fails(void **state)
{
	int fds[2];
	size_t n = 99;

	(void)state;
	mock.read_err = EBADF;
	assert_int_equal(daxmr_lease_read_break(FAKE_SFD, fds, 2, &n), -EBADF);
	assert_int_equal(n, 0);
}

/* --- daxmr_lease_break_time_ms --- */

/* The real value, compared with our own reading of the file. */
static void lease_break_time_ms__real(void **state)
{
	int ms = -1, s = -1;
	FILE *f;

	(void)state;
	f = fopen("/proc/sys/fs/lease-break-time", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &s), 1);
	fclose(f);
	assert_int_equal(daxmr_lease_break_time_ms(&ms), 0);
	assert_int_equal(ms, s * 1000);
}

/* Parsing: whole seconds with or without newline; anything else refused. */
static void lease_break_time_ms__content(void **state)
{
	static const struct {
		const char *content;
		int ret, ms;
	} cases[] = {
		{"45\n", 0, 45000},
		{"0", 0, 0},
		{"2147483\n", 0, 2147483000},
		{"", -EINVAL, -1},
		{"abc\n", -EINVAL, -1},
		{"45s\n", -EINVAL, -1},
		{"-1\n", -EINVAL, -1},
		{"2147484\n", -ERANGE, -1},
		{"99999999999999999999\n", -ERANGE, -1},
	};
	size_t i;
	int ms;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mock.proc_content = cases[i].content;
		ms = -1;
		assert_int_equal(daxmr_lease_break_time_ms(&ms), cases[i].ret);
		assert_int_equal(ms, cases[i].ms);
	}
}

/* open failing is passed up. */
static void lease_break_time_ms__open_fails(void **state)
{
	int ms = -1;

	(void)state;
	mock.open_err = ENOENT;
	assert_int_equal(daxmr_lease_break_time_ms(&ms), -ENOENT);
	assert_int_equal(ms, -1);
}

/* read failing is passed up. */
static void lease_break_time_ms__read_fails(void **state)
{
	int ms = -1;

	(void)state;
	mock.read_err = EIO;
	assert_int_equal(daxmr_lease_break_time_ms(&ms), -EIO);
	assert_int_equal(ms, -1);
}

/* A lease held whole is intact (a break signal for it is stale); another type or none is not. */
static void lease_is_intact__real(void **state)
{
	char path[64];
	int fd = tmp_file(path, sizeof(path), O_RDONLY);

	(void)state;
	assert_false(daxmr_lease_is_intact(fd, F_RDLCK)); /* no lease yet */
	assert_int_equal(daxmr_lease_take(fd, F_RDLCK, SIGRTMIN + 1, path), 0);
	assert_true(daxmr_lease_is_intact(fd, F_RDLCK));
	assert_false(daxmr_lease_is_intact(fd, F_WRLCK));
	assert_int_equal(daxmr_lease_release(fd, path), 0);
	close(fd);
	unlink(path);
}

/* F_GETLEASE failing counts as not intact: the break is acted on, not ignored. */
static void lease_is_intact__F_GETLEASE_fails(void **state)
{
	(void)state;
	mock.fcntl_fail_cmd = F_GETLEASE;
	mock.fcntl_err = EBADF;
	assert_false(daxmr_lease_is_intact(0, F_RDLCK));
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(lease_signal_block__realtime_nonblocking),
		T(lease_signal_block__pthread_sigmask_fails),
		T(lease_signal_block__signalfd_fails),
		T(lease_may_lease__owner_is_fsuid),
		T(lease_may_lease__CAP_LEASE),
		T(lease_may_lease__no_CAP_LEASE),
		T(lease_may_lease__capget_fails),
		T(lease_may_lease__real_matches_CapEff),
		T(lease_take__signal_before_lease),
		T(lease_take__real_read_lease),
		T(lease_take__bad_type),
		T(lease_take__F_SETSIG_fails),
		T(lease_take__F_SETLEASE_fails),
		T(lease_take__real_EAGAIN_open_elsewhere),
		T(lease_release__fails),
		T(lease_read_break__real_break_by_child),
		T(lease_read_break__real_kill_ignored),
		T(lease_read_break__dedup_and_max),
		T(lease_read_break__read_fails),
		T(lease_break_time_ms__real),
		T(lease_break_time_ms__content),
		T(lease_break_time_ms__open_fails),
		T(lease_break_time_ms__read_fails),
		T(lease_is_intact__real),
		T(lease_is_intact__F_GETLEASE_fails),
	};

	return cmocka_run_group_tests_name("lease", tests, NULL, NULL);
}
