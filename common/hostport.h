/* SPDX-License-Identifier: BSD-3-Clause */
/* hostport.h -- the one parser of "HOST[:PORT]" addresses, for daxmrd's --listen and clients' -s */
#ifndef DAXMR_HOSTPORT_H
#define DAXMR_HOSTPORT_H

#include <stddef.h>

/*
 * Splits s into a host and a port. Accepted forms: "HOST", "HOST:PORT", "[IPV6]", "[IPV6]:PORT"
 * and a bare IPv6 address (two or more colons, no port). PORT is 1..65535 in decimal digits only
 * (no sign, no space, no leading "+"); without one, *port_ptr is default_port. The host is copied
 * without brackets. Returns 0, or -EINVAL (empty host, host longer than host_size - 1, a bad or
 * out-of-range port, junk after "]"); *port_ptr and host are untouched on error.
 */
int daxmr_hostport_parse(const char *s, unsigned int default_port, char *host, size_t host_size,
			 unsigned int *port_ptr);

#endif /* DAXMR_HOSTPORT_H */
