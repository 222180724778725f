/* SPDX-License-Identifier: BSD-3-Clause */
/* regmr.c -- daxmr-bench-regmr: the anchor of export cost, a raw ibv_reg_mr of the same mapping */
/*
 * Maps PATH the way daxmrd does (an fs-DAX file MAP_SHARED_VALIDATE | MAP_SYNC, a devdax device
 * or any other file MAP_SHARED), then registers LENGTH bytes of it with the first RDMA device as
 * segments of SEG bytes, pinned or ODP, with daxmrd's access flags for a rw export (windows and
 * atomics included), and prints how long the registration took; then deregisters and unmaps
 * (not timed). No lease is taken:
 * opening an exported file breaks daxmrd's lease, which is how bench/ops.sh interleaves the two.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "stats.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define REGMR_ACCESS                                                                 \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE | \
	 IBV_ACCESS_MW_BIND | IBV_ACCESS_REMOTE_ATOMIC)

int main(int argc, char **argv)
{
	struct ibv_device **devs = NULL;
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd = NULL;
	struct ibv_mr **mrs = NULL;
	unsigned long long len, seg;
	uint64_t t0, t_map, t_reg;
	int fd, n, access, rc = 1;
	size_t nseg = 0, i;
	const char *sync = "MAP_SYNC";
	void *addr;

	if (argc != 5 || (strcmp(argv[3], "pinned") && strcmp(argv[3], "odp"))) {
		fprintf(stderr, "Usage: daxmr-bench-regmr PATH LENGTH pinned|odp SEG\n"
				"Maps PATH as daxmrd would and times ibv_reg_mr of LENGTH bytes of "
				"it in segments of SEG bytes\n(pinned or IBV_ACCESS_ON_DEMAND) on "
				"the first RDMA device; prints one line.\n");
		return 2;
	}
	len = strtoull(argv[2], NULL, 0);
	seg = strtoull(argv[4], NULL, 0);
	if (len == 0 || seg == 0) {
		fprintf(stderr, "daxmr-bench-regmr: LENGTH and SEG must be positive\n");
		return 2;
	}
	access = REGMR_ACCESS | (strcmp(argv[3], "odp") == 0 ? IBV_ACCESS_ON_DEMAND : 0);
	devs = ibv_get_device_list(&n);
	if (!devs || n == 0) {
		fprintf(stderr, "daxmr-bench-regmr: no RDMA device\n");
		return 1;
	}
	ctx = ibv_open_device(devs[0]);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	if (!pd) {
		fprintf(stderr, "daxmr-bench-regmr: %s: ibv_open_device/ibv_alloc_pd: %s\n",
			ibv_get_device_name(devs[0]), strerror(errno));
		goto out_dev;
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "daxmr-bench-regmr: open %s: %s\n", argv[1], strerror(errno));
		goto out_dev;
	}
	t0 = bench_now_us();
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (addr == MAP_FAILED && errno == EOPNOTSUPP) { /* devdax, tmpfs: no MAP_SYNC there */
		sync = "no MAP_SYNC";
		addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	t_map = bench_now_us() - t0;
	if (addr == MAP_FAILED) {
		fprintf(stderr, "daxmr-bench-regmr: mmap %s, %llu bytes: %s\n", argv[1], len,
			strerror(errno));
		goto out_fd;
	}
	nseg = (size_t)((len + seg - 1) / seg);
	mrs = calloc(nseg, sizeof(*mrs));
	if (!mrs)
		goto out_unmap;
	t0 = bench_now_us();
	for (i = 0; i < nseg; i++) {
		unsigned long long off = i * seg, l = len - off < seg ? len - off : seg;

		mrs[i] = ibv_reg_mr(pd, (char *)addr + off, l, access);
		if (!mrs[i]) {
			fprintf(stderr,
				"daxmr-bench-regmr: ibv_reg_mr %s segment %zu (%llu bytes, %s): %s\n",
				argv[1], i, l, argv[3], strerror(errno));
			goto out_dereg;
		}
	}
	t_reg = bench_now_us() - t0;
	printf("regmr path=%s bytes=%llu mode=%s segments=%zu map=%s map_us=%" PRIu64
	       " reg_us=%" PRIu64 "\n",
	       argv[1], len, argv[3], nseg, sync, t_map, t_reg);
	rc = 0;
out_dereg:
	for (i = 0; i < nseg; i++)
		if (mrs[i])
			ibv_dereg_mr(mrs[i]);
	free(mrs);
out_unmap:
	munmap(addr, len);
out_fd:
	close(fd);
out_dev:
	if (pd)
		ibv_dealloc_pd(pd);
	if (ctx)
		ibv_close_device(ctx);
	ibv_free_device_list(devs);
	return rc;
}
