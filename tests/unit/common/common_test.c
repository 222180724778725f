/* SPDX-License-Identifier: BSD-3-Clause */
/* common_test.c -- the shared helpers: hostport, fd, clock's timeval, wrid, log keeping errno */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "fd.h"
#include "hostport.h"
#include "log.h"
#include "wrid.h"

/* signalfd is wrapped: fails with signalfd_errno while that is non-zero. */
static int signalfd_errno;
int __real_signalfd(int fd, const sigset_t *mask, int flags);
int __wrap_signalfd(int fd, const sigset_t *mask, int flags);
int __wrap_signalfd(int fd, const sigset_t *mask, int flags)
{
	if (signalfd_errno) {
		errno = signalfd_errno;
		return -1;
	}
	return __real_signalfd(fd, mask, flags);
}

/* Every accepted form, with and without a port. */
static void hostport_parse__forms(void **state)
{
	static const struct {
		const char *in, *host;
		unsigned int port;
	} ok[] = {
		{ "10.0.2.15", "10.0.2.15", 7471 },	 { "10.0.2.15:7000", "10.0.2.15", 7000 },
		{ "host.example:1", "host.example", 1 }, { "server:65535", "server", 65535 },
		{ "[fd00::1]", "fd00::1", 7471 },	 { "[fd00::1]:9", "fd00::1", 9 },
		{ "fd00::1", "fd00::1", 7471 },		 { "::", "::", 7471 },
	};
	char host[64];
	unsigned int port;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		port = 0;
		assert_int_equal(daxmr_hostport_parse(ok[i].in, 7471, host, sizeof(host), &port),
				 0);
		assert_string_equal(host, ok[i].host);
		assert_int_equal(port, ok[i].port);
	}
}

/* Bad ports and hosts: -EINVAL, outputs untouched (":99999" no longer wraps to another port). */
static void hostport_parse__bad(void **state)
{
	static const char *const bad[] = {
		"",	      ":7000",	  "host:",	"host:0",  "host:65536",      "host:99999",
		"host:+7000", "host: 70", "host:70 ",	"host:7x", "host:-1",	      "[fd00::1]x",
		"[fd00::1",   "[]:7000",  "[fd00::1]:", "[::1]:0", "host:4294967303",
	};
	char host[64] = "untouched";
	unsigned int port = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(daxmr_hostport_parse(bad[i], 7471, host, sizeof(host), &port),
				 -EINVAL);
		assert_string_equal(host, "untouched");
		assert_int_equal(port, 42);
	}
}

/* A host that does not fit the buffer with its NUL is refused, one that just fits is taken. */
static void hostport_parse__host_size(void **state)
{
	char host[4];
	unsigned int port;

	(void)state;
	assert_int_equal(daxmr_hostport_parse("abcd:1", 7471, host, sizeof(host), &port), -EINVAL);
	assert_int_equal(daxmr_hostport_parse("abc:1", 7471, host, sizeof(host), &port), 0);
	assert_string_equal(host, "abc");
}

/* Setting and clearing O_NONBLOCK on a real pipe; a closed fd fails with EBADF. */
static void fd_set_nonblock__pipe_and_EBADF(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(daxmr_fd_set_nonblock(p[0], true, "test pipe"), 0);
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(daxmr_fd_set_nonblock(p[0], false, "test pipe"), 0);
	assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	close(p[0]);
	close(p[1]);
	assert_int_equal(daxmr_fd_set_nonblock(p[0], true, "closed pipe"), -EBADF);
}

/* Whether sig is blocked in this thread. */
static bool sig_blocked(int sig)
{
	sigset_t cur;

	assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	return sigismember(&cur, sig) == 1;
}

/* The signalfd receives a blocked signal raised at us; its flags are non-blocking, cloexec. */
static void fd_signalfd__delivers(void **state)
{
	const int sigs[] = { SIGUSR1, SIGUSR2 };
	struct signalfd_siginfo si;
	int sfd = -1;

	(void)state;
	assert_int_equal(daxmr_fd_signalfd(sigs, 2, &sfd), 0);
	assert_true(sfd >= 0);
	assert_true(sig_blocked(SIGUSR1) && sig_blocked(SIGUSR2));
	assert_true(fcntl(sfd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(sfd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(read(sfd, &si, sizeof(si)), -1); /* nothing yet, and no blocking */
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(read(sfd, &si, sizeof(si)), (ssize_t)sizeof(si));
	assert_int_equal(si.ssi_signo, SIGUSR2);
	close(sfd);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
}

/* signalfd fails: its errno comes back, the mask is as before and *sfd_ptr is untouched. */
static void fd_signalfd__fails_restores_mask(void **state)
{
	const int sigs[] = { SIGUSR1 };
	int sfd = -7;

	(void)state;
	assert_false(sig_blocked(SIGUSR1));
	signalfd_errno = EMFILE;
	assert_int_equal(daxmr_fd_signalfd(sigs, 1, &sfd), -EMFILE);
	signalfd_errno = 0;
	assert_int_equal(sfd, -7);
	assert_false(sig_blocked(SIGUSR1));
}

/* Milliseconds become seconds and microseconds, at the edges. */
static void clock_ms_tv__edges(void **state)
{
	struct timeval tv;

	(void)state;
	tv = daxmr_clock_ms_tv(0);
	assert_int_equal(tv.tv_sec, 0);
	assert_int_equal(tv.tv_usec, 0);
	tv = daxmr_clock_ms_tv(999);
	assert_int_equal(tv.tv_sec, 0);
	assert_int_equal(tv.tv_usec, 999000);
	tv = daxmr_clock_ms_tv(1000);
	assert_int_equal(tv.tv_sec, 1);
	assert_int_equal(tv.tv_usec, 0);
	tv = daxmr_clock_ms_tv(4294967295u);
	assert_int_equal(tv.tv_sec, 4294967);
	assert_int_equal(tv.tv_usec, 295000);
}

/* A kind and a slot come back as they went in, the whole 32 bits of each. */
static void wrid__roundtrip(void **state)
{
	(void)state;
	assert_int_equal(daxmr_wrid(0, 5), 5);
	assert_int_equal(daxmr_wrid(1, 0), 1ull << 32);
	assert_int_equal(daxmr_wrid_kind(daxmr_wrid(3, 0xffffffffu)), 3);
	assert_int_equal(daxmr_wrid_slot(daxmr_wrid(3, 0xffffffffu)), 0xffffffffu);
	assert_int_equal(daxmr_wrid_kind(daxmr_wrid(0xffffffffu, 1)), 0xffffffffu);
	assert_int_equal(daxmr_wrid_slot(daxmr_wrid(0xffffffffu, 1)), 1);
}

/* Logging (printed, filtered or failing to write) leaves errno as the caller had it. */
static void log__keeps_errno(void **state)
{
	(void)state;
	daxmr_log_set_level(DAXMR_LOG_DEBUG);
	errno = ENOSPC;
	DAXMR_LOG_ERR("test line, errno must survive: %s", daxmr_log_strerror(EBADF));
	assert_int_equal(errno, ENOSPC);
	daxmr_log_set_level(DAXMR_LOG_ERROR);
	errno = EAGAIN;
	DAXMR_LOG_DBG("filtered");
	assert_int_equal(errno, EAGAIN);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	close(STDERR_FILENO); /* the write fails with EBADF inside the logger */
	errno = ETIMEDOUT;
	DAXMR_LOG_ERR("nowhere to go");
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hostport_parse__forms),
		cmocka_unit_test(hostport_parse__bad),
		cmocka_unit_test(hostport_parse__host_size),
		cmocka_unit_test(fd_set_nonblock__pipe_and_EBADF),
		cmocka_unit_test(fd_signalfd__delivers),
		cmocka_unit_test(fd_signalfd__fails_restores_mask),
		cmocka_unit_test(clock_ms_tv__edges),
		cmocka_unit_test(wrid__roundtrip),
		cmocka_unit_test(log__keeps_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
