/* SPDX-License-Identifier: BSD-3-Clause */
/* datacheck_e2e.c -- daxmr-e2e-datacheck: the data-path check's verdicts on a real device */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "datacheck.h"
#include "log.h"
#include "loopback.h"
#include "pattern.h"
#include "verbs.h"

#define E2E_PASS 0
#define E2E_FAIL 1
#define E2E_SKIP 77
#define E2E_PAGES 16
#define E2E_SEED 0xe2e00002u
#define E2E_GUARD 0xe2e00001u
#define E2E_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)

/* The device under test. */
struct e2e_dev {
	struct ibv_device **devs; /* owned */
	struct ibv_context *ctx;  /* owned */
	struct ibv_pd *pd;	  /* owned */
};

/* What the test saw with its own eyes: one unaligned multi-packet WRITE into an ODP memfd MR. */
struct e2e_observed {
	size_t off, len, bad, outside;
	unsigned int mtu;
	bool first_packet_at_page_start;
};

/* Opens DAXMR_TEST_DEVICE or the first device. 0, -ENODEV (skip) or -errno (logged). */
static int e2e_open(struct e2e_dev *d)
{
	const char *want = getenv("DAXMR_TEST_DEVICE");
	struct ibv_device *dev = NULL;
	int i, num = 0;

	d->devs = ibv_get_device_list(&num);
	if (!d->devs || num == 0)
		return -ENODEV;
	for (i = 0; i < num && !dev; i++)
		if (!want || !*want || !strcmp(ibv_get_device_name(d->devs[i]), want))
			dev = d->devs[i];
	if (!dev) {
		DAXMR_LOG_ERR("DAXMR_TEST_DEVICE=%s: no such RDMA device", want);
		return -ENXIO;
	}
	d->ctx = ibv_open_device(dev);
	if (!d->ctx) {
		DAXMR_LOG_CALL_ERR("ibv_open_device", -errno, "%s", ibv_get_device_name(dev));
		return -EIO;
	}
	d->pd = ibv_alloc_pd(d->ctx);
	if (!d->pd) {
		DAXMR_LOG_CALL_ERR("ibv_alloc_pd", -errno, "%s", ibv_get_device_name(dev));
		return -EIO;
	}
	return 0;
}

/* Closes what e2e_open opened. */
static void e2e_close(struct e2e_dev *d)
{
	if (d->pd)
		ibv_dealloc_pd(d->pd);
	if (d->ctx)
		ibv_close_device(d->ctx);
	if (d->devs)
		ibv_free_device_list(d->devs);
}

/* Prints one datacheck result. */
static void e2e_print(const struct daxmr_datacheck_result *res)
{
	printf("datacheck: mode %s, path MTU %u, page %zu: verdict %s%s%s\n",
	       daxmr_verbs_mode_str(res->mode), res->path_mtu, res->page,
	       daxmr_datacheck_verdict_str(res->verdict), res->symptom[0] ? ": " : "",
	       res->symptom);
	if (res->verdict != DAXMR_DATACHECK_UNSUPPORTED)
		printf("datacheck: page-aligned, page-multiple WRITE+READ: %s%s\n",
		       res->aligned_ok ? "placed exactly" : "WRONG: ",
		       res->aligned_ok ? "" : res->aligned_symptom);
}

/*
 * The independent observation: registers its own memfd mapping with IBV_ACCESS_ON_DEMAND (plain
 * ibv_reg_mr, not daxmr_verbs_reg), RDMA WRITEs from pinned memory at an unaligned offset across
 * several packets and pages, and compares every byte through the CPU. 0 or -errno (logged).
 */
static int e2e_observe_odp_write(struct e2e_dev *d, struct e2e_observed *obs)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE), size = E2E_PAGES * pg;
	const size_t src_off = 333;
	struct daxmr_loopback *lb = NULL;
	struct ibv_mr *odp_mr = NULL, *pin_mr = NULL;
	uint8_t *odp = MAP_FAILED, *pin = MAP_FAILED;
	struct ibv_sge sge;
	size_t i, ps;
	int fd, ret;

	obs->off = 2 * pg + 555;
	obs->len = 4 * pg + 777;
	fd = memfd_create("daxmr-e2e-datacheck", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("memfd_create/ftruncate", ret, "%zu bytes", size);
		goto out;
	}
	odp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pin = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (odp == MAP_FAILED || pin == MAP_FAILED) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("mmap", ret, "%zu bytes", size);
		goto out;
	}
	odp_mr = ibv_reg_mr(d->pd, odp, size, E2E_ACCESS | IBV_ACCESS_ON_DEMAND);
	if (!odp_mr) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_reg_mr", ret, "memfd, ODP");
		goto out;
	}
	pin_mr = ibv_reg_mr(d->pd, pin, size, E2E_ACCESS);
	if (!pin_mr) {
		ret = -errno;
		DAXMR_LOG_CALL_ERR("ibv_reg_mr", ret, "anonymous, pinned");
		goto out;
	}
	ret = daxmr_loopback_new(d->ctx, d->pd, NULL, &lb);
	if (ret)
		goto out;
	obs->mtu = daxmr_loopback_path_mtu(lb);

	daxmr_pattern_fill(pin, 0, size, E2E_SEED, 0);
	daxmr_pattern_fill(odp, 0, size, E2E_GUARD, 0);
	sge.addr = (uintptr_t)(pin + src_off);
	sge.length = (uint32_t)obs->len;
	sge.lkey = pin_mr->lkey;
	ret = daxmr_loopback_write(lb, &sge, (uintptr_t)(odp + obs->off), odp_mr->rkey);
	if (ret)
		goto out;

	obs->bad = obs->outside = 0;
	for (i = 0; i < size; i++) {
		bool in = i >= obs->off && i < obs->off + obs->len;
		uint8_t want = in ? daxmr_pattern_byte(E2E_SEED, src_off + i - obs->off) :
				    daxmr_pattern_byte(E2E_GUARD, i);

		if (odp[i] != want)
			(*(in ? &obs->bad : &obs->outside))++;
	}
	/* the rxe ODP signature: the first packet's bytes sit at the start of its page */
	ps = obs->off / pg * pg;
	obs->first_packet_at_page_start = true;
	for (i = 0; i < obs->mtu && i < obs->len; i++)
		if (odp[ps + i] != daxmr_pattern_byte(E2E_SEED, src_off + i))
			obs->first_packet_at_page_start = false;
out:
	daxmr_loopback_delete(&lb);
	if (pin_mr)
		ibv_dereg_mr(pin_mr);
	if (odp_mr)
		ibv_dereg_mr(odp_mr);
	if (pin != MAP_FAILED)
		munmap(pin, size);
	if (odp != MAP_FAILED)
		munmap(odp, size);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Pinned: the check must PASS, aligned I/O included. */
static int e2e_pinned(struct e2e_dev *d)
{
	struct daxmr_datacheck_result res;

	if (daxmr_datacheck_run(d->ctx, d->pd, DAXMR_VERBS_PINNED, &res))
		return E2E_FAIL;
	e2e_print(&res);
	if (res.verdict != DAXMR_DATACHECK_PASS || !res.aligned_ok) {
		printf("FAIL: pinned registration must place data exactly\n");
		return E2E_FAIL;
	}
	printf("ok: pinned PASS\n");
	return E2E_PASS;
}

/* ODP: UNSUPPORTED without caps; else the verdict must agree with the test's own observation. */
static int e2e_odp(struct e2e_dev *d)
{
	struct daxmr_datacheck_result res;
	struct e2e_observed obs = { 0 };
	bool caps = false, observed_ok;

	if (daxmr_verbs_odp_caps(d->ctx, &caps))
		return E2E_FAIL;
	printf("device %s: RC READ/WRITE ODP caps: %s\n", ibv_get_device_name(d->ctx->device),
	       caps ? "yes" : "no");
	if (daxmr_datacheck_run(d->ctx, d->pd, DAXMR_VERBS_ODP, &res))
		return E2E_FAIL;
	e2e_print(&res);
	if (!caps) {
		if (res.verdict != DAXMR_DATACHECK_UNSUPPORTED) {
			printf("FAIL: no ODP caps, yet the verdict is %s\n",
			       daxmr_datacheck_verdict_str(res.verdict));
			return E2E_FAIL;
		}
		printf("ok: no ODP caps, verdict UNSUPPORTED\n");
		return E2E_PASS;
	}
	if (e2e_observe_odp_write(d, &obs))
		return E2E_FAIL;
	observed_ok = obs.bad == 0 && obs.outside == 0;
	printf("observed: RDMA WRITE of %zu bytes at offset %zu into an ODP memfd MR, path MTU %u: "
	       "%zu bytes in range wrong, %zu outside it overwritten%s -> %s\n", obs.len, obs.off,
	       obs.mtu, obs.bad, obs.outside,
	       !observed_ok && obs.first_packet_at_page_start ?
		       "; the first packet sits at the start of its page" : "",
	       observed_ok ? "placed exactly" : "MISPLACED");
	if ((res.verdict == DAXMR_DATACHECK_PASS) != observed_ok) {
		printf("FAIL: datacheck says %s but the data was %s\n",
		       daxmr_datacheck_verdict_str(res.verdict),
		       observed_ok ? "placed exactly" : "misplaced");
		return E2E_FAIL;
	}
	printf("ok: datacheck verdict %s agrees with the observation\n",
	       daxmr_datacheck_verdict_str(res.verdict));
	return E2E_PASS;
}

/* One (4-byte key, stream position) pair of the diagnostic map's index. */
struct e2e_key {
	uint32_t key;
	uint32_t pos;
};

/* Orders index entries by key. */
static int e2e_key_cmp(const void *a, const void *b)
{
	const struct e2e_key *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* The 4 pattern bytes of stream seed at pos, as one key. */
static uint32_t e2e_key_at(uint32_t seed, size_t pos)
{
	return (uint32_t)daxmr_pattern_byte(seed, pos) |
	       (uint32_t)daxmr_pattern_byte(seed, pos + 1) << 8 |
	       (uint32_t)daxmr_pattern_byte(seed, pos + 2) << 16 |
	       (uint32_t)daxmr_pattern_byte(seed, pos + 3) << 24;
}

/*
 * Diagnostic: prints buf as runs -- "guard" (untouched), "src P" (stream seed from position P,
 * i.e. from source offset P), or "other" -- so a misplacement's exact shape can be read off.
 */
static void e2e_print_map(const char *what, const uint8_t *buf, size_t size, uint32_t seed)
{
	struct e2e_key *idx = calloc(size, sizeof(*idx)), k, *hit;
	size_t i = 0, n, p;

	if (!idx)
		return;
	for (p = 0; p + 4 <= size; p++) {
		idx[p].key = e2e_key_at(seed, p);
		idx[p].pos = (uint32_t)p;
	}
	qsort(idx, size - 3, sizeof(*idx), e2e_key_cmp);
	printf("map of %s:\n", what);
	while (i < size) {
		for (n = 0; i + n < size && buf[i + n] == daxmr_pattern_byte(E2E_GUARD, i + n); n++)
			;
		if (n >= 4 || i + n == size) {
			printf("  [%6zu, %6zu) guard\n", i, i + n);
			i += n;
			continue;
		}
		hit = NULL;
		if (i + 4 <= size) {
			memcpy(&k.key, buf + i, 4);
			hit = bsearch(&k, idx, size - 3, sizeof(*idx), e2e_key_cmp);
		}
		if (hit) {
			p = hit->pos;
			for (n = 0; i + n < size && p + n < size &&
				    buf[i + n] == daxmr_pattern_byte(seed, p + n); n++)
				;
			printf("  [%6zu, %6zu) src %zu..%zu\n", i, i + n, p, p + n);
			i += n;
			continue;
		}
		for (n = 1; i + n < size && n < 4096; n++) {
			if (i + n + 4 > size)
				continue;
			memcpy(&k.key, buf + i + n, 4);
			if (bsearch(&k, idx, size - 3, sizeof(*idx), e2e_key_cmp) ||
			    !memcmp(buf + i + n, (uint8_t[]){ daxmr_pattern_byte(E2E_GUARD, i + n),
				    daxmr_pattern_byte(E2E_GUARD, i + n + 1),
				    daxmr_pattern_byte(E2E_GUARD, i + n + 2),
				    daxmr_pattern_byte(E2E_GUARD, i + n + 3) }, 4))
				break;
		}
		printf("  [%6zu, %6zu) other (first 0x%02x)\n", i, i + n, buf[i]);
		i += n;
	}
	free(idx);
}

/* Diagnostic mode: one unaligned WRITE into and one READ from an ODP memfd MR, mapped. */
static int e2e_map(struct e2e_dev *d)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE), size = E2E_PAGES * pg;
	struct daxmr_loopback *lb = NULL;
	struct ibv_mr *odp_mr, *pin_mr;
	uint8_t *odp, *pin;
	struct ibv_sge sge;
	int fd;

	fd = memfd_create("daxmr-e2e-map", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return E2E_FAIL;
	odp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pin = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (odp == MAP_FAILED || pin == MAP_FAILED)
		return E2E_FAIL;
	odp_mr = ibv_reg_mr(d->pd, odp, size, E2E_ACCESS | IBV_ACCESS_ON_DEMAND);
	pin_mr = ibv_reg_mr(d->pd, pin, size, E2E_ACCESS);
	if (!odp_mr || !pin_mr || daxmr_loopback_new(d->ctx, d->pd, NULL, &lb))
		return E2E_FAIL;
	printf("path MTU %u\n", daxmr_loopback_path_mtu(lb));

	daxmr_pattern_fill(pin, 0, size, E2E_SEED, 0);
	daxmr_pattern_fill(odp, 0, size, E2E_GUARD, 0);
	sge.addr = (uintptr_t)(pin + 777);
	sge.length = (uint32_t)(5 * pg + 1234);
	sge.lkey = pin_mr->lkey;
	if (daxmr_loopback_write(lb, &sge, (uintptr_t)(odp + pg + 1000), odp_mr->rkey))
		return E2E_FAIL;
	printf("RDMA WRITE src pinned+777 -> ODP+%zu, %zu bytes\n", pg + 1000, 5 * pg + 1234);
	e2e_print_map("the ODP target", odp, size, E2E_SEED);

	daxmr_pattern_fill(pin, 0, size, E2E_GUARD, 0);
	daxmr_pattern_fill(odp, 0, size, E2E_SEED, 0);
	sge.addr = (uintptr_t)(pin + 2049);
	sge.length = (uint32_t)(6 * pg + 321);
	if (daxmr_loopback_read(lb, &sge, (uintptr_t)(odp + 8 * pg + 123), odp_mr->rkey))
		return E2E_FAIL;
	printf("RDMA READ ODP+%zu -> pinned+2049, %zu bytes\n", 8 * pg + 123, 6 * pg + 321);
	e2e_print_map("the pinned destination", pin, size, E2E_SEED);
	daxmr_loopback_delete(&lb);
	ibv_dereg_mr(pin_mr);
	ibv_dereg_mr(odp_mr);
	return E2E_PASS;
}

/* daxmr-e2e-datacheck pinned|odp|map */
int main(int argc, char **argv)
{
	struct e2e_dev d = { 0 };
	int ret, status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	daxmr_log_set_ident("daxmr-e2e-datacheck");
	daxmr_log_set_level(DAXMR_LOG_INFO);
	if (argc != 2 || (strcmp(argv[1], "pinned") && strcmp(argv[1], "odp") &&
			  strcmp(argv[1], "map"))) {
		fprintf(stderr, "usage: %s pinned|odp|map\n"
			"  map: diagnostic, prints where an ODP WRITE's and READ's bytes went\n"
			"exit: 0 pass, 1 fail, 77 skipped (no RDMA device)\n", argv[0]);
		return 2;
	}
	ret = e2e_open(&d);
	if (ret == -ENODEV) {
		printf("SKIP: no RDMA device\n");
		e2e_close(&d);
		return E2E_SKIP;
	}
	if (ret) {
		e2e_close(&d);
		return E2E_FAIL;
	}
	if (!strcmp(argv[1], "map"))
		status = e2e_map(&d);
	else
		status = !strcmp(argv[1], "pinned") ? e2e_pinned(&d) : e2e_odp(&d);
	e2e_close(&d);
	return status;
}
