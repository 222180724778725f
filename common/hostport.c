/* SPDX-License-Identifier: BSD-3-Clause */
/* hostport.c -- the one parser of "HOST[:PORT]" addresses, for daxmrd's --listen and clients' -s */
#include "hostport.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Parses 1..65535 written in decimal digits only; strtoul would take "+7", " 7" and wrap. */
static bool hostport_port_parse(const char *s, unsigned int *port_ptr)
{
	unsigned long p = 0;
	size_t i;

	if (!*s)
		return false;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		p = p * 10 + (unsigned long)(s[i] - '0');
		if (p > 65535)
			return false;
	}
	if (p == 0)
		return false;
	*port_ptr = (unsigned int)p;
	return true;
}

int daxmr_hostport_parse(const char *s, unsigned int default_port, char *host, size_t host_size,
			 unsigned int *port_ptr)
{
	const char *h = s, *port = NULL, *colon, *rb;
	unsigned int p = default_port;
	size_t hlen;

	if (s[0] == '[') {
		rb = strchr(s, ']');
		if (!rb)
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(rb - h);
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0')
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') == colon) { /* one colon: IPv4 or a name, and a port */
			hlen = (size_t)(colon - s);
			port = colon + 1;
		} else {
			hlen = strlen(s); /* no colon, or a bare IPv6 address */
		}
	}
	if (hlen == 0 || hlen >= host_size)
		return -EINVAL;
	if (port && !hostport_port_parse(port, &p))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port_ptr = p;
	return 0;
}
