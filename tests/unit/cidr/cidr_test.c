/* SPDX-License-Identifier: BSD-3-Clause */
/* cidr_test.c -- daxmr_cidr_parse good and bad entries, matching at the edges, printing */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "cidr.h"

/* Any sockaddr the tests build: v4, v6 or AF_UNIX. */
union test_addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
};

/* A peer address from text: IPv4 if it parses as such, else IPv6. */
static const struct sockaddr *peer(union test_addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, &a->sin.sin_addr) == 1) {
		a->sin.sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &a->sin6.sin6_addr), 1);
		a->sin6.sin6_family = AF_INET6;
	}
	return &a->sa;
}

/* Parses an entry that must be good. */
static struct daxmr_cidr parse_ok(const char *s)
{
	struct daxmr_cidr c;
	char why[64] = "";

	assert_int_equal(daxmr_cidr_parse(s, &c, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	return c;
}

/* Whether the peer address text lies in entry s. */
static bool match(const char *s, const char *text)
{
	struct daxmr_cidr c = parse_ok(s);
	union test_addr a;

	return daxmr_cidr_match(&c, peer(&a, text));
}

/* Parses s and expects it printed back as want. */
static void assert_round_trip(const char *s, const char *want)
{
	struct daxmr_cidr c = parse_ok(s);
	char buf[64];

	assert_int_equal(daxmr_cidr_str(&c, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
}

/* Expects s rejected with a reason that contains reason; *out stays untouched. */
static void assert_bad(const char *s, const char *reason)
{
	struct daxmr_cidr c;
	char why[64] = "";

	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(daxmr_cidr_parse(s, &c, why, sizeof(why)), -EINVAL);
	if (!strstr(why, reason))
		fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", s, why, reason);
	for (size_t i = 0; i < sizeof(c); i++)
		assert_int_equal(((const uint8_t *)&c)[i], 0xa5);
}

/* IPv4 entries with and without a prefix; a bare address is a /32. */
static void cidr_parse__ipv4(void **state)
{
	struct daxmr_cidr c = parse_ok("10.0.2.0/24");
	static const uint8_t net[4] = { 10, 0, 2, 0 };

	(void)state;
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 24);
	assert_memory_equal(c.addr, net, sizeof(net));
	assert_int_equal(parse_ok("10.0.2.15").prefix, 32);
	assert_int_equal(parse_ok("0.0.0.0/0").prefix, 0);
	assert_int_equal(parse_ok("10.0.2.15/32").prefix, 32);
	assert_round_trip("10.0.2.0/24", "10.0.2.0/24");
	assert_round_trip("10.0.2.15", "10.0.2.15/32");
	assert_round_trip("0.0.0.0/0", "0.0.0.0/0");
}

/* IPv6 entries with and without a prefix; a bare address is a /128. */
static void cidr_parse__ipv6(void **state)
{
	struct daxmr_cidr c = parse_ok("fd00::/8");

	(void)state;
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(c.addr[0], 0xfd);
	assert_int_equal(parse_ok("::1").prefix, 128);
	assert_int_equal(parse_ok("::/0").prefix, 0);
	assert_round_trip("fd00::/8", "fd00::/8");
	assert_round_trip("::1", "::1/128");
	assert_round_trip("2001:db8:0:0::/64", "2001:db8::/64");
	assert_round_trip("::ffff:10.0.2.15", "::ffff:10.0.2.15/128");
}

/* Malformed entries are refused with a reason; none is read as something wider or narrower. */
static void cidr_parse__bad(void **state)
{
	(void)state;
	assert_bad("", "empty");
	assert_bad("/24", "no address");
	assert_bad("10.0.2.0/", "no prefix");
	assert_bad("10.0.2.0/x", "prefix x is not a number");
	assert_bad("10.0.2.0/24x", "not a number");
	assert_bad("10.0.2.0/ 24", "not a number");
	assert_bad("10.0.2.0/+24", "not a number");
	assert_bad("10.0.2.0/-1", "not a number");
	assert_bad("10.0.2.0/24/8", "not a number");
	assert_bad("10.0.2.0/33", "prefix 33 is longer than 32");
	assert_bad("10.0.2.0/99999999999999999999999", "longer than 32");
	assert_bad("fd00::/129", "prefix 129 is longer than 128");
	assert_bad("10.0.2.1/24", "host bits set past /24");
	assert_bad("10.0.2.0/0", "host bits set past /0");
	assert_bad("fd00::1/64", "host bits set past /64");
	assert_bad("fd80::/8", "host bits set past /8");
	assert_bad("1.2.3", "not an IPv4 or IPv6 address");
	assert_bad("1.2.3.256", "not an IPv4 or IPv6 address");
	assert_bad("10.0.2.0 /24", "not an IPv4 or IPv6 address");
	assert_bad("fe80::1%eth0", "not an IPv4 or IPv6 address");
	assert_bad("example.com", "not an IPv4 or IPv6 address");
	assert_bad("0000:0000:0000:0000:0000:0000:0000:0000:0000:0000", "not an IPv4 or IPv6");
}

/* A NULL or empty why buffer is allowed; the error code is the same. */
static void cidr_parse__no_why(void **state)
{
	struct daxmr_cidr c;
	char why[1] = { 'x' };

	(void)state;
	assert_int_equal(daxmr_cidr_parse("10.0.2.1/24", &c, NULL, 0), -EINVAL);
	assert_int_equal(daxmr_cidr_parse("10.0.2.1/24", &c, why, 0), -EINVAL);
	assert_int_equal(why[0], 'x');
	assert_int_equal(daxmr_cidr_parse(NULL, &c, NULL, 0), -EINVAL);
}

/* The first and last address of a /24 match; the neighbours on either side do not. */
static void cidr_match__ipv4_edges(void **state)
{
	(void)state;
	assert_true(match("10.0.2.0/24", "10.0.2.0"));
	assert_true(match("10.0.2.0/24", "10.0.2.255"));
	assert_false(match("10.0.2.0/24", "10.0.1.255"));
	assert_false(match("10.0.2.0/24", "10.0.3.0"));
	assert_true(match("10.0.2.0/23", "10.0.3.255"));
	assert_false(match("10.0.2.0/23", "10.0.4.0"));
	assert_true(match("10.0.2.8/29", "10.0.2.15"));
	assert_false(match("10.0.2.8/29", "10.0.2.16"));
	assert_false(match("10.0.2.8/29", "10.0.2.7"));
	assert_true(match("10.0.2.15", "10.0.2.15"));
	assert_false(match("10.0.2.15", "10.0.2.14"));
	assert_false(match("10.0.2.15", "10.0.2.16"));
	assert_true(match("128.0.0.0/1", "255.255.255.255"));
	assert_false(match("128.0.0.0/1", "127.255.255.255"));
}

/* /0 matches every address of its own family and none of the other. */
static void cidr_match__prefix_zero(void **state)
{
	(void)state;
	assert_true(match("0.0.0.0/0", "0.0.0.0"));
	assert_true(match("0.0.0.0/0", "255.255.255.255"));
	assert_true(match("0.0.0.0/0", "::ffff:192.168.1.1"));
	assert_false(match("0.0.0.0/0", "fd00::1"));
	assert_true(match("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_true(match("::/0", "::"));
	assert_false(match("::/0", "10.0.2.15"));
}

/* IPv6 at the edges: /8, /64, /127, /128. */
static void cidr_match__ipv6_edges(void **state)
{
	(void)state;
	assert_true(match("fd00::/8", "fd00::"));
	assert_true(match("fd00::/8", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(match("fd00::/8", "fe00::"));
	assert_false(match("fd00::/8", "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_true(match("2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff"));
	assert_false(match("2001:db8::/64", "2001:db8:0:1::"));
	assert_true(match("2001:db8::/127", "2001:db8::1"));
	assert_false(match("2001:db8::/127", "2001:db8::2"));
	assert_true(match("::1", "::1"));
	assert_false(match("::1", "::"));
	assert_false(match("::1", "::2"));
}

/* A v4-mapped v6 peer matches v4 entries as its v4 address; other v6 peers never do. */
static void cidr_match__v4_mapped(void **state)
{
	(void)state;
	assert_true(match("10.0.2.0/24", "::ffff:10.0.2.15"));
	assert_false(match("10.0.2.0/24", "::ffff:10.0.3.15"));
	assert_true(match("10.0.2.15", "::ffff:10.0.2.15"));
	assert_false(match("10.0.2.15", "::10.0.2.15"));	  /* v4-compatible, not mapped */
	assert_false(match("10.0.2.0/24", "::ffff:0:10.0.2.15")); /* SIIT translated, not mapped */
	assert_false(match("10.0.2.0/24", "fd00::a00:20f"));
	/* a v6 entry for the mapped range still matches as v6; a v4 peer never matches a v6 entry
	 */
	assert_true(match("::ffff:0.0.0.0/96", "::ffff:10.0.2.15"));
	assert_false(match("::ffff:0.0.0.0/96", "10.0.2.15"));
	assert_false(match("::/0", "10.0.2.15"));
}

/* Anything but AF_INET and AF_INET6 matches nothing, not even /0. */
static void cidr_match__other_families(void **state)
{
	struct daxmr_cidr v4 = parse_ok("0.0.0.0/0"), v6 = parse_ok("::/0");
	union test_addr a;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.sun.sun_family = AF_UNIX;
	strcpy(a.sun.sun_path, "/run/daxmr.sock");
	assert_false(daxmr_cidr_match(&v4, &a.sa));
	assert_false(daxmr_cidr_match(&v6, &a.sa));
	a.sa.sa_family = AF_UNSPEC;
	assert_false(daxmr_cidr_match(&v4, &a.sa));
	assert_false(daxmr_cidr_match(&v6, &a.sa));
}

/* Printing: snprintf-like length when truncated; a zeroed struct is refused. */
static void cidr_str__truncation_and_bad_family(void **state)
{
	struct daxmr_cidr c = parse_ok("10.0.2.0/24"), zero;
	char buf[6];

	(void)state;
	assert_int_equal(daxmr_cidr_str(&c, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "10.0.");
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(daxmr_cidr_str(&zero, buf, sizeof(buf)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cidr_parse__ipv4),
		cmocka_unit_test(cidr_parse__ipv6),
		cmocka_unit_test(cidr_parse__bad),
		cmocka_unit_test(cidr_parse__no_why),
		cmocka_unit_test(cidr_match__ipv4_edges),
		cmocka_unit_test(cidr_match__prefix_zero),
		cmocka_unit_test(cidr_match__ipv6_edges),
		cmocka_unit_test(cidr_match__v4_mapped),
		cmocka_unit_test(cidr_match__other_families),
		cmocka_unit_test(cidr_str__truncation_and_bad_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
