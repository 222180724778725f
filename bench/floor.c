/* SPDX-License-Identifier: BSD-3-Clause */
/* floor.c -- daxmr-bench-floor: the least a lease-break revocation can cost, with no clients */
/*
 * What daxmrd cannot avoid on a lease break, measured the same way as daxmr-bench-revoke
 * measures daxmrd: a breaker process's open(O_RDWR), from call to return. The holder (this
 * process) has the file open once, mapped MAP_SHARED and registered as one pinned MR, holds an
 * F_WRLCK lease with F_SETSIG; on the signal (sigwaitinfo) it does ibv_dereg_mr, munmap and
 * F_SETLEASE F_UNLCK, exactly daxmrd's release order, and nothing else: no clients, no
 * messages, no event loop. The setup of each round (open, mmap, reg_mr, lease) is not timed.
 *
 *   holder:  [open, mmap, reg, lease] -> "go" to the breaker -> sigwaitinfo -> dereg, munmap,
 *            F_UNLCK, close -> read the breaker's time
 *   breaker: read "go" -> t0 -> open(O_RDWR) -> t1 -> close -> write t1 - t0
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "stats.h"

#define FLOOR_SIG (SIGRTMIN + 1)
#define FLOOR_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE)

/* The breaker: one timed open per byte read from go; the times (us) written to out. */
static void floor_breaker(const char *path, int go, int out)
{
	char c;

	while (read(go, &c, 1) == 1) {
		uint64_t t0 = bench_now_us(), dt;
		int fd = open(path, O_RDWR | O_CLOEXEC);

		dt = bench_now_us() - t0;
		if (fd < 0) {
			fprintf(stderr, "daxmr-bench-floor: breaker: open %s: %s\n", path,
				strerror(errno));
			_exit(1);
		}
		close(fd);
		if (write(out, &dt, sizeof(dt)) != (ssize_t)sizeof(dt))
			_exit(1);
	}
	_exit(0);
}

/* One round: set up, let the breaker break, release on the signal. 0 or -1. */
static int floor_round(struct ibv_pd *pd, const char *path, size_t len, const sigset_t *set, int go,
		       int in, uint64_t *us, uint64_t *release_us)
{
	siginfo_t si = { 0 };
	struct ibv_mr *mr;
	uint64_t t_sig;
	void *addr;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "daxmr-bench-floor: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		fprintf(stderr, "daxmr-bench-floor: mmap %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	mr = ibv_reg_mr(pd, addr, len, FLOOR_ACCESS);
	if (!mr && errno == EOPNOTSUPP) /* fs-DAX: no long-term pin; ODP, as daxmrd does */
		mr = ibv_reg_mr(pd, addr, len, FLOOR_ACCESS | IBV_ACCESS_ON_DEMAND);
	if (!mr) {
		fprintf(stderr, "daxmr-bench-floor: ibv_reg_mr %s, %zu bytes: %s\n", path, len,
			strerror(errno));
		goto err_unmap;
	}
	if (fcntl(fd, F_SETSIG, FLOOR_SIG) || fcntl(fd, F_SETLEASE, F_WRLCK)) {
		fprintf(stderr, "daxmr-bench-floor: F_SETSIG/F_SETLEASE F_WRLCK %s: %s\n", path,
			strerror(errno));
		goto err_dereg;
	}
	if (write(go, "g", 1) != 1)
		goto err_dereg;
	do {
		if (sigwaitinfo(set, &si) < 0 && errno != EINTR)
			goto err_dereg;
	} while (si.si_signo != FLOOR_SIG || si.si_fd != fd);
	t_sig = bench_now_us();
	/* daxmrd's release order: remote access ends, then the mapping, then the lease */
	ibv_dereg_mr(mr);
	munmap(addr, len);
	fcntl(fd, F_SETLEASE, F_UNLCK);
	*release_us = bench_now_us() - t_sig;
	close(fd);
	if (read(in, us, sizeof(*us)) != (ssize_t)sizeof(*us)) {
		fprintf(stderr, "daxmr-bench-floor: the breaker failed\n");
		return -1;
	}
	return 0;

err_dereg:
	ibv_dereg_mr(mr);
err_unmap:
	munmap(addr, len);
	close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	struct ibv_device **devs = NULL;
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd = NULL;
	uint64_t *us = NULL, *rel = NULL;
	int go[2], back[2], n, rc = 1, status;
	unsigned long count;
	sigset_t set;
	struct stat st;
	FILE *out;
	pid_t pid;
	int i;

	if (argc != 4 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
			"Usage: daxmr-bench-floor FILE COUNT SAMPLES\n"
			"The floor of a lease-break revocation, no clients: COUNT rounds of (FILE\n"
			"opened, mapped, registered as one MR (pinned, else ODP) on the first RDMA device, an\n"
			"F_WRLCK lease with F_SETSIG) then a second process's open(O_RDWR), timed from\n"
			"call to return, while this one does on the signal only ibv_dereg_mr, munmap\n"
			"and F_UNLCK. Writes one breaker time in us per line to SAMPLES and prints\n"
			"p50/p90/p99/max of it and of the holder's signal-to-F_UNLCK time.\n");
		return argc == 2 ? 0 : 2;
	}
	count = strtoul(argv[2], NULL, 10);
	if (count == 0 || stat(argv[1], &st) || st.st_size <= 0) {
		fprintf(stderr, "daxmr-bench-floor: %s: need a non-empty file and COUNT >= 1\n",
			argv[1]);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, FLOOR_SIG);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (pipe(go) || pipe(back)) {
		perror("daxmr-bench-floor: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("daxmr-bench-floor: fork");
		return 1;
	}
	if (pid == 0) {
		close(go[1]);
		close(back[0]);
		floor_breaker(argv[1], go[0], back[1]);
	}
	close(go[0]);
	close(back[1]);

	devs = ibv_get_device_list(&n);
	if (!devs || n == 0) {
		fprintf(stderr, "daxmr-bench-floor: no RDMA device\n");
		goto out;
	}
	ctx = ibv_open_device(devs[0]);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	us = calloc(count, sizeof(*us));
	rel = calloc(count, sizeof(*rel));
	if (!pd || !us || !rel) {
		fprintf(stderr, "daxmr-bench-floor: %s: ibv_open_device/ibv_alloc_pd: %s\n",
			ibv_get_device_name(devs[0]), strerror(errno));
		goto out;
	}
	for (i = 0; i < (int)count; i++)
		if (floor_round(pd, argv[1], (size_t)st.st_size, &set, go[1], back[0], &us[i],
				&rel[i]))
			goto out;
	out = fopen(argv[3], "w");
	if (!out) {
		fprintf(stderr, "daxmr-bench-floor: %s: %s\n", argv[3], strerror(errno));
		goto out;
	}
	for (i = 0; i < (int)count; i++)
		fprintf(out, "%" PRIu64 "\n", us[i]);
	if (fclose(out))
		goto out;
	bench_sort_u64(us, count);
	bench_sort_u64(rel, count);
	printf("floor count=%lu bytes=%lld device=%s unblock_us p50=%" PRIu64 " p90=%" PRIu64
	       " p99=%" PRIu64 " max=%" PRIu64 " release_us p50=%" PRIu64 " p90=%" PRIu64
	       " p99=%" PRIu64 " max=%" PRIu64 "\n",
	       count, (long long)st.st_size, ibv_get_device_name(devs[0]), bench_pct(us, count, 50),
	       bench_pct(us, count, 90), bench_pct(us, count, 99), us[count - 1],
	       bench_pct(rel, count, 50), bench_pct(rel, count, 90), bench_pct(rel, count, 99),
	       rel[count - 1]);
	rc = 0;
out:
	close(go[1]); /* the breaker exits */
	waitpid(pid, &status, 0);
	free(rel);
	free(us);
	if (pd)
		ibv_dealloc_pd(pd);
	if (ctx)
		ibv_close_device(ctx);
	if (devs)
		ibv_free_device_list(devs);
	return rc;
}
