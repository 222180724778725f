/* SPDX-License-Identifier: BSD-3-Clause */
/* cidr.c -- IPv4/IPv6 address prefixes ("10.0.2.0/24"): parse, match a peer address, print */
#include "cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes the reason for a rejection into why (if there is room) and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int cidr_fail(char *why, size_t why_size,
							   const char *fmt, ...)
{
	va_list ap;

	if (why && why_size) {
		va_start(ap, fmt);
		vsnprintf(why, why_size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The bits of address byte i that a prefix of the given length covers. */
static uint8_t cidr_mask_byte(unsigned int prefix, unsigned int i)
{
	if (prefix >= 8 * (i + 1))
		return 0xff;
	if (prefix <= 8 * i)
		return 0;
	return (uint8_t)(0xff << (8 - (prefix - 8 * i)));
}

/* Whether the first prefix bits of a and b are equal. */
static bool cidr_prefix_equal(const uint8_t *a, const uint8_t *b, unsigned int prefix)
{
	for (unsigned int i = 0; 8 * i < prefix; i++)
		if ((a[i] ^ b[i]) & cidr_mask_byte(prefix, i))
			return false;
	return true;
}

/* Address, then optional "/prefix" in decimal; the host bits must be zero. */
int daxmr_cidr_parse(const char *s, struct daxmr_cidr *out, char *why, size_t why_size)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash;
	struct daxmr_cidr c;
	unsigned int max;
	size_t len;

	if (!s || !*s)
		return cidr_fail(why, why_size, "empty");
	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len == 0)
		return cidr_fail(why, why_size, "no address before the /");
	if (len >= sizeof(addr))
		return cidr_fail(why, why_size, "not an IPv4 or IPv6 address");
	memcpy(addr, s, len);
	addr[len] = '\0';

	memset(&c, 0, sizeof(c));
	if (inet_pton(AF_INET, addr, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else {
		return cidr_fail(why, why_size, "not an IPv4 or IPv6 address");
	}

	c.prefix = max;
	if (slash) {
		const char *p = slash + 1;
		char *end;
		unsigned long v;

		if (!*p)
			return cidr_fail(why, why_size, "no prefix length after the /");
		/* strtoul alone would take " 24", "+24" and "-1" */
		if (*p < '0' || *p > '9')
			return cidr_fail(why, why_size, "prefix %s is not a number", p);
		errno = 0;
		v = strtoul(p, &end, 10);
		if (*end)
			return cidr_fail(why, why_size, "prefix %s is not a number", p);
		if (errno == ERANGE || v > max)
			return cidr_fail(why, why_size, "prefix %s is longer than %u", p, max);
		c.prefix = (unsigned int)v;
	}

	for (unsigned int i = 0; i < max / 8; i++)
		if (c.addr[i] & ~cidr_mask_byte(c.prefix, i))
			return cidr_fail(why, why_size, "host bits set past /%u", c.prefix);
	*out = c;
	return 0;
}

/* Compares the address family by family; a v4-mapped v6 peer is compared as IPv4. */
bool daxmr_cidr_match(const struct daxmr_cidr *c, const struct sockaddr *sa)
{
	const struct sockaddr_in6 *sin6;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		return c->family == AF_INET &&
		       cidr_prefix_equal(c->addr, (const uint8_t *)&sin->sin_addr, c->prefix);
	}
	if (sa->sa_family != AF_INET6)
		return false;
	sin6 = (const struct sockaddr_in6 *)sa;
	if (c->family == AF_INET6)
		return cidr_prefix_equal(c->addr, sin6->sin6_addr.s6_addr, c->prefix);
	return c->family == AF_INET && IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
	       cidr_prefix_equal(c->addr, sin6->sin6_addr.s6_addr + 12, c->prefix);
}

/* inet_ntop of the address, then the prefix length. */
int daxmr_cidr_str(const struct daxmr_cidr *c, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if ((c->family != AF_INET && c->family != AF_INET6) ||
	    !inet_ntop(c->family, c->addr, addr, sizeof(addr)))
		return -EINVAL;
	return snprintf(buf, size, "%s/%u", addr, c->prefix);
}
