/* SPDX-License-Identifier: BSD-3-Clause */
/* check.c -- daxmrd --check: every export's file against the export rules, without RDMA */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lease.h"
#include "seal.h"

/* The rules' names, as --check prints them and the man page lists them. */
const char *daxmr_check_rule_str(enum daxmr_check_rule rule)
{
	static const char *const names[] = {
		[DAXMR_CHECK_OK] = "ok",	   [DAXMR_CHECK_OPEN] = "open",
		[DAXMR_CHECK_TYPE] = "type",	   [DAXMR_CHECK_OWNER] = "owner",
		[DAXMR_CHECK_LEASE] = "lease",	   [DAXMR_CHECK_SIZE] = "size",
		[DAXMR_CHECK_DAX] = "dax",	   [DAXMR_CHECK_EXTENTS] = "extents",
		[DAXMR_CHECK_SYSCALL] = "syscall",
	};

	return (unsigned int)rule < sizeof(names) / sizeof(names[0]) ? names[rule] : "?";
}

/* The rule behind one of daxmr_seal_check's codes (seal.h lists them). */
static enum daxmr_check_rule check_seal_rule(int err)
{
	switch (err) {
	case -ENODEV:
		return DAXMR_CHECK_TYPE;
	case -EINVAL:
		return DAXMR_CHECK_SIZE;
	case -EOPNOTSUPP:
		return DAXMR_CHECK_DAX;
	case -EBUSY:
	case -ENODATA:
	case -ENOMEDIUM:
	case -EAGAIN:
	case -EMEDIUMTYPE:
	case -EIO:
		return DAXMR_CHECK_EXTENTS;
	default:
		return DAXMR_CHECK_SYSCALL;
	}
}

/* Takes the lease an export would hold and drops it at once: does anybody else have it open? */
static enum daxmr_check_rule check_lease(int fd, bool ro, char *why, size_t why_size)
{
	int err;

	if (fcntl(fd, F_SETLEASE, ro ? F_RDLCK : F_WRLCK) == 0) {
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
		return DAXMR_CHECK_OK;
	}
	err = errno;
	if (err == EAGAIN)
		snprintf(why, why_size,
			 "F_SETLEASE %s: another process has the file open%s (a lease needs "
			 "none): daxmrd would retry until it is closed",
			 ro ? "F_RDLCK" : "F_WRLCK", ro ? " for writing" : "");
	else
		snprintf(why, why_size, "F_SETLEASE %s: %s", ro ? "F_RDLCK" : "F_WRLCK",
			 strerror(err));
	return DAXMR_CHECK_LEASE;
}

/* The rules up to the registration, on one export. */
enum daxmr_check_rule daxmr_check_export(const struct daxmr_export_cfg *cfg, char *why,
					 size_t why_size)
{
	struct daxmr_seal_opts sopts = { .allow_non_dax = cfg->allow_non_dax };
	struct daxmr_seal_report report;
	enum daxmr_check_rule rule;
	struct stat st;
	int fd, ret;

	fd = open(cfg->path, (cfg->ro ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = errno;
		snprintf(why, why_size, "open %s: %s%s", cfg->ro ? "O_RDONLY" : "O_RDWR",
			 strerror(ret),
			 ret == EWOULDBLOCK ? " (another process holds a lease on it: a running "
					      "daxmrd?)" :
					      "");
		return DAXMR_CHECK_OPEN;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, why_size, "fstat: %s", strerror(errno));
		close(fd);
		return DAXMR_CHECK_SYSCALL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		snprintf(why, why_size, "neither a regular file nor a device-DAX device");
		close(fd);
		return DAXMR_CHECK_TYPE;
	}
	if (S_ISREG(st.st_mode)) {
		ret = daxmr_lease_may_lease(&st, cfg->path);
		if (ret) {
			snprintf(why, why_size, "owned by uid %u, not our fsuid %u, %s",
				 (unsigned int)st.st_uid, (unsigned int)geteuid(),
				 ret == -EPERM ? "and no CAP_LEASE" :
						 "and capget failed: CAP_LEASE unknown");
			close(fd);
			return DAXMR_CHECK_OWNER;
		}
		rule = check_lease(fd, cfg->ro, why, why_size);
		if (rule) {
			close(fd);
			return rule;
		}
	}
	memset(&report, 0, sizeof(report));
	ret = daxmr_seal_check(fd, cfg->path, &sopts, &report);
	close(fd);
	if (ret) {
		rule = check_seal_rule(ret);
		snprintf(why, why_size, "%s", report.reason[0] ? report.reason : strerror(-ret));
		return rule;
	}
	snprintf(why, why_size, "%s, %llu bytes, %zu extent%s%s%s",
		 report.mem == DAXMR_SEAL_MEM_FSDAX	 ? "fs-dax" :
		 report.mem == DAXMR_SEAL_MEM_DEVDAX	 ? "devdax" :
		 report.mem == DAXMR_SEAL_MEM_PAGE_CACHE ? "page-cache" :
							   "?",
		 (unsigned long long)report.size, report.extents, report.extents == 1 ? "" : "s",
		 report.reason[0] ? "; " : "", report.reason);
	return DAXMR_CHECK_OK;
}

/* Every export, one line each. */
size_t daxmr_check_exports(const struct daxmr_export_cfg *exports, size_t n, FILE *out)
{
	/* a lease break while the trial lease is held would send SIGIO, whose default kills */
	void (*old)(int) = signal(SIGIO, SIG_IGN);
	enum daxmr_check_rule rule;
	char why[512];
	size_t i, failed = 0;

	for (i = 0; i < n; i++) {
		why[0] = '\0';
		rule = daxmr_check_export(&exports[i], why, sizeof(why));
		if (rule == DAXMR_CHECK_OK) {
			fprintf(out, "%s %s: ok: %s\n", exports[i].name, exports[i].path, why);
		} else {
			fprintf(out, "%s %s: FAIL %s: %s\n", exports[i].name, exports[i].path,
				daxmr_check_rule_str(rule), why);
			failed++;
		}
	}
	fflush(out);
	signal(SIGIO, old);
	return failed;
}
