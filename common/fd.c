/* SPDX-License-Identifier: BSD-3-Clause */
/* fd.c -- file descriptor helpers both sides share: O_NONBLOCK and signalfds */
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>

#include "log.h"

int daxmr_fd_set_nonblock(int fd, bool on, const char *what)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0) {
		int ret = -errno;

		DAXMR_LOG_CALL_ERR("fcntl", ret, "F_SETFL %sO_NONBLOCK on %s (fd %d)",
				   on ? "" : "~", what, fd);
		return ret;
	}
	return 0;
}

int daxmr_fd_signalfd(const int *sigs, size_t nsigs, int *sfd_ptr)
{
	sigset_t set, old;
	size_t i;
	int ret, sfd;

	sigemptyset(&set);
	for (i = 0; i < nsigs; i++)
		sigaddset(&set, sigs[i]);
	ret = -pthread_sigmask(SIG_BLOCK, &set, &old);
	if (ret) {
		DAXMR_LOG_CALL_ERR("pthread_sigmask", ret, "SIG_BLOCK %zu signal(s), first %d",
				   nsigs, nsigs ? sigs[0] : 0);
		return ret;
	}
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("signalfd", ret, "%zu signal(s), first %d", nsigs,
				   nsigs ? sigs[0] : 0);
		/* cannot fail: SIG_SETMASK with the mask pthread_sigmask itself just returned */
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
		return ret;
	}
	*sfd_ptr = sfd;
	return 0;
}
