/* SPDX-License-Identifier: BSD-3-Clause */
/* cidr.h -- IPv4/IPv6 address prefixes ("10.0.2.0/24"): parse, match a peer address, print */
#ifndef DAXMR_CIDR_H
#define DAXMR_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct daxmr_cidr {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; the first 4 bytes for AF_INET */
	unsigned int prefix;
};

/*
 * Parses "10.0.2.0/24", "10.0.2.15" (= /32), "fd00::/8", "::1" (= /128). Host bits set past the
 * prefix are an error (as in `ip route`): a typo must not silently widen or narrow a list.
 * Returns 0 or -EINVAL with a short reason in why (if not NULL); *out is untouched on failure.
 */
int daxmr_cidr_parse(const char *s, struct daxmr_cidr *out, char *why, size_t why_size);

/*
 * Whether sa (a sockaddr_in or sockaddr_in6; anything else: false) lies in c. An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d) matches IPv4 entries as its IPv4 address.
 */
bool daxmr_cidr_match(const struct daxmr_cidr *c, const struct sockaddr *sa);

/* Prints c as "10.0.2.0/24", always with the prefix. Returns what snprintf would, or -EINVAL. */
int daxmr_cidr_str(const struct daxmr_cidr *c, char *buf, size_t size);

#endif /* DAXMR_CIDR_H */
