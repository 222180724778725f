/* SPDX-License-Identifier: BSD-3-Clause */
/* args_test.c -- unit tests of args: every daxmrd option, every bad input, the messages */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "args.h"

#define MAX_ARGV 32

static struct {
	char *argv[MAX_ARGV + 1];
	int argc;
	char *err; /* what daxmr_args_parse wrote to err */
	size_t err_len;
	struct daxmr_args a;
} t;

static int teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < t.argc; i++)
		free(t.argv[i]);
	free(t.err);
	memset(&t, 0, sizeof(t));
	return 0;
}

/* Parses "daxmrd" followed by the NULL-terminated arguments; the messages land in t.err. */
static int parse(const char *first, ...)
{
	const char *arg;
	va_list ap;
	FILE *err;
	int ret;

	teardown(NULL);
	t.argv[t.argc++] = strdup("daxmrd");
	va_start(ap, first);
	for (arg = first; arg; arg = va_arg(ap, const char *)) {
		assert_true(t.argc < MAX_ARGV);
		t.argv[t.argc++] = strdup(arg);
	}
	va_end(ap);
	err = open_memstream(&t.err, &t.err_len);
	assert_non_null(err);
	ret = daxmr_args_parse(t.argc, t.argv, err, &t.a);
	fclose(err);
	return ret;
}

/* A usage error whose message contains what, with the pointer to --help. */
static void assert_usage(int ret, const char *what)
{
	assert_int_equal(ret, -EINVAL);
	if (!strstr(t.err, what))
		fail_msg("\"%s\" not said; it said:\n%s", what, t.err);
	assert_non_null(strstr(t.err, "Try 'daxmrd --help'."));
	assert_null(t.a.exports); /* nothing left to free */
	assert_int_equal(t.a.opts.nexports, 0);
}

static void parse__minimal_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse("--listen", "10.0.2.15", "--export", "a=/dax/a", NULL), 0);
	assert_string_equal(t.a.opts.listen, "10.0.2.15");
	assert_int_equal(t.a.opts.nexports, 1);
	assert_ptr_equal(t.a.opts.exports, t.a.exports);
	assert_string_equal(t.a.exports[0].name, "a");
	assert_string_equal(t.a.exports[0].path, "/dax/a");
	assert_false(t.a.exports[0].ro);
	assert_false(t.a.exports[0].allow_non_dax);
	assert_int_equal(t.a.exports[0].nallow, 0);
	assert_int_equal(t.a.opts.ack_budget_ms, -1);
	assert_false(t.a.opts.odp_check_warn);
	assert_null(t.a.opts.key);
	assert_null(t.a.secret_file);
	assert_int_equal(t.a.verbose, 0);
	assert_false(t.a.help);
	assert_string_equal(t.err, "");
	daxmr_args_free(&t.a);
	daxmr_args_free(&t.a); /* idempotent */
}

static void parse__every_option(void **state)
{
	(void)state;
	assert_int_equal(parse("-l", "[fd00::1]:7000", "-e", "a=/dax/a,ro,allow=10.0.0.0/8",
			       "--export", "b=/dax/b,ro,allow=fd00::/16,allow=192.0.2.1",
			       "--secret-file", "/etc/daxmr.key", "--allow-non-dax",
			       "--ack-budget-ms", "250", "--odp-check=warn", "-f", "--foreground",
			       "-v", "--verbose", NULL),
			 0);
	assert_string_equal(t.a.opts.listen, "[fd00::1]:7000");
	assert_int_equal(t.a.opts.nexports, 2);
	assert_true(t.a.exports[0].ro);
	assert_int_equal(t.a.exports[0].nallow, 1);
	assert_int_equal(t.a.exports[0].allow[0].family, AF_INET);
	assert_int_equal(t.a.exports[0].allow[0].prefix, 8);
	assert_true(t.a.exports[1].ro);
	assert_int_equal(t.a.exports[1].nallow, 2);
	assert_int_equal(t.a.exports[1].allow[0].family, AF_INET6);
	assert_int_equal(t.a.exports[1].allow[1].prefix, 32);
	assert_true(t.a.exports[0].allow_non_dax); /* --allow-non-dax: every export */
	assert_true(t.a.exports[1].allow_non_dax);
	assert_string_equal(t.a.secret_file, "/etc/daxmr.key");
	assert_int_equal(t.a.opts.ack_budget_ms, 250);
	assert_true(t.a.opts.odp_check_warn);
	assert_int_equal(t.a.verbose, 2);
	daxmr_args_free(&t.a);
}

static void parse__odp_check_enforce_and_ack_budget_bounds(void **state)
{
	char max[32];

	(void)state;
	snprintf(max, sizeof(max), "%d", INT_MAX);
	assert_int_equal(parse("-l", "h", "-e", "a=/a", "--odp-check", "warn", "--odp-check",
			       "enforce", "--ack-budget-ms", "0", NULL),
			 0);
	assert_false(t.a.opts.odp_check_warn);
	assert_int_equal(t.a.opts.ack_budget_ms, 0);
	daxmr_args_free(&t.a);
	assert_int_equal(parse("-l", "h", "-e", "a=/a", "--ack-budget-ms", max, NULL), 0);
	assert_int_equal(t.a.opts.ack_budget_ms, INT_MAX);
	daxmr_args_free(&t.a);
}

static void parse__help_stops_parsing(void **state)
{
	(void)state;
	assert_int_equal(parse("-e", "a=/a", "-h", "--bogus", NULL), 0);
	assert_true(t.a.help);
	daxmr_args_free(&t.a);
	assert_int_equal(parse("--help", NULL), 0);
	assert_true(t.a.help);
	assert_int_equal(t.a.opts.nexports, 0);
	daxmr_args_free(&t.a);
}

static void parse__missing_listen_export_stray(void **state)
{
	(void)state;
	assert_usage(parse("-e", "a=/a", NULL), "daxmrd: --listen is required (or 'set listen");
	assert_usage(parse("-l", "h", "-c", "/dev/null", NULL),
		     "daxmrd: /dev/null: not a regular file");
	assert_usage(parse("-l", "h", "-e", "a=/a", "extra", NULL),
		     "daxmrd: unexpected argument extra");
	assert_usage(parse(NULL), "daxmrd: no exports: give --export");
}

static void parse__bad_options(void **state)
{
	(void)state;
	/* said as "daxmrd: ...", never with the binary's full path */
	assert_usage(parse("-l", "h", "-e", "a=/a", "--bogus", NULL),
		     "daxmrd: unknown option --bogus");
	assert_usage(parse("-l", "h", "-e", "a=/a", "-x", NULL), "daxmrd: unknown option -x");
	assert_usage(parse("-l", "h", "-e", "a=/a", "--listen", NULL),
		     "daxmrd: option --listen needs a value");
	assert_usage(parse("-l", "h", "-e", "a=/a", "--allow-non-dax=yes", NULL),
		     "daxmrd: unknown option --allow-non-dax=yes (or a value it does not take)");
}

static void parse__bad_listen_named(void **state)
{
	static const struct {
		const char *listen, *said;
	} bad[] = {
		{ "127.0.0.1:99999", "--listen 127.0.0.1:99999: port '99999': expected a number "
				     "from 1 to 65535" },
		{ "127.0.0.1:0", "port '0'" },
		{ "h:", "port ''" },
		{ "[fd00::1]:x", "port 'x'" },
		{ "[fd00::1", "'[' without ']'" },
		{ "[fd00::1]x", "'x' after ']'" },
		{ ":7471", "the address is empty" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_usage(parse("-l", bad[i].listen, "-e", "a=/a", NULL), bad[i].said);
	/* --check needs no listen address, but a bad one is still an error */
	assert_int_equal(parse("--check", "-e", "a=/a", NULL), 0);
	assert_true(t.a.check);
	assert_null(t.a.opts.listen);
	daxmr_args_free(&t.a);
	assert_usage(parse("--check", "-l", "h:0", "-e", "a=/a", NULL), "port '0'");
}

/* Writes text to a new temporary file; its name in path (at least 64 bytes). */
static void write_file(char *path, const char *text)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/args_test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void parse__config_file_and_command_line(void **state)
{
	char path[64];

	(void)state;
	write_file(path, "set listen 10.0.2.15\nset ack-budget-ms 300\nset odp-check warn\n"
			 "set secret-file /etc/daxmr/secret\nset ctl-group daxmr\n"
			 "a /dax/a ro\n");
	/* the file's settings */
	assert_int_equal(parse("--config", path, "-e", "b=/dax/b", NULL), 0);
	assert_string_equal(t.a.opts.listen, "10.0.2.15");
	assert_int_equal(t.a.opts.ack_budget_ms, 300);
	assert_true(t.a.opts.odp_check_warn);
	assert_string_equal(t.a.secret_file, "/etc/daxmr/secret");
	assert_string_equal(t.a.ctl_group, "daxmr");
	assert_string_equal(t.a.ctl_socket, DAXMR_CTL_SOCKET_DEFAULT);
	assert_int_equal(t.a.opts.nexports, 2);
	assert_string_equal(t.a.exports[0].name, "a");
	assert_true(t.a.exports[0].ro);
	assert_string_equal(t.a.exports[1].name, "b");
	daxmr_args_free(&t.a);
	/* the command line wins */
	assert_int_equal(parse("-c", path, "-l", "10.0.2.16:7000", "--ack-budget-ms", "5",
			       "--odp-check", "enforce", "--secret-file", "/k", "--ctl-socket",
			       "/run/x.sock", "--ctl-group", "wheel", "--allow-non-dax", NULL),
			 0);
	assert_string_equal(t.a.opts.listen, "10.0.2.16:7000");
	assert_int_equal(t.a.opts.ack_budget_ms, 5);
	assert_false(t.a.opts.odp_check_warn);
	assert_string_equal(t.a.secret_file, "/k");
	assert_string_equal(t.a.ctl_socket, "/run/x.sock");
	assert_string_equal(t.a.ctl_group, "wheel");
	assert_true(t.a.exports[0].allow_non_dax);
	daxmr_args_free(&t.a);
	/* a name in the file and on the command line */
	assert_usage(parse("-c", path, "-e", "a=/dax/other", NULL),
		     "daxmrd: --export a=/dax/other: export a is defined twice (first at ");
	assert_usage(parse("-l", "h", "-e", "a=/a", "-e", "a=/b", NULL),
		     "export a is defined twice (first at --export)");
	unlink(path);
	/* a bad line names the file, line and column; a missing file is named */
	write_file(path, "a /dax/a\n  b /dax/b rw,bogus\n");
	assert_usage(parse("-c", path, NULL), ":2:15: unknown option 'bogus'");
	assert_non_null(strstr(t.err, path));
	unlink(path);
	assert_usage(parse("-c", path, NULL), ": cannot open: No such file or directory");
	write_file(path, "# nothing but a comment\n");
	assert_usage(parse("-l", "h", "-c", path, NULL), "daxmrd: no exports: give --export");
	unlink(path);
}

static void parse__bad_ack_budget(void **state)
{
	static const char *const bad[] = { "", "-1", "10ms", "2147483648", "0x10", "1e3" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_usage(parse("-l", "h", "-e", "a=/a", "--ack-budget-ms", bad[i], NULL),
			     ": expected milliseconds (0 or more)");
	assert_usage(parse("-l", "h", "-e", "a=/a", "--ack-budget-ms", "-1", NULL),
		     "daxmrd: --ack-budget-ms -1: expected");
}

/* --keys-dir and the limits: the command line wins over the file's; bad counts refused. */
static void parse__identities_and_limits(void **state)
{
	char path[64];

	(void)state;
	write_file(path, "set listen 10.0.2.15\nset keys-dir /etc/daxmr/keys\n"
			 "set max-conns-per-addr 16\nset max-handshakes-per-addr 4\n"
			 "a /dax/a identity=tenant-a+tenant-b\n");
	assert_int_equal(parse("--config", path, NULL), 0);
	assert_string_equal(t.a.keys_dir, "/etc/daxmr/keys");
	assert_int_equal(t.a.opts.max_conns_per_addr, 16);
	assert_int_equal(t.a.opts.max_handshakes_per_addr, 4);
	assert_string_equal(t.a.exports[0].identities, "tenant-a+tenant-b");
	daxmr_args_free(&t.a);
	assert_int_equal(parse("-c", path, "--keys-dir", "/k", "--max-conns-per-addr", "0",
			       "--max-handshakes-per-addr", "2", NULL),
			 0);
	assert_string_equal(t.a.keys_dir, "/k");
	assert_int_equal(t.a.opts.max_conns_per_addr, 0);
	assert_int_equal(t.a.opts.max_handshakes_per_addr, 2);
	daxmr_args_free(&t.a);
	unlink(path);
	assert_int_equal(parse("-l", "h", "-e", "a=/a", NULL), 0);
	assert_null(t.a.keys_dir);
	assert_int_equal(t.a.opts.max_conns_per_addr, 0); /* no limit by default */
	assert_int_equal(t.a.opts.max_handshakes_per_addr, 0);
	daxmr_args_free(&t.a);
	assert_usage(parse("-l", "h", "-e", "a=/a", "--max-conns-per-addr", "-1", NULL),
		     "daxmrd: --max-conns-per-addr -1: expected a count (0 or more)");
	assert_usage(parse("-l", "h", "-e", "a=/a", "--max-handshakes-per-addr", "x", NULL),
		     "daxmrd: --max-handshakes-per-addr x: expected a count (0 or more)");
	assert_usage(parse("-l", "h", "-e", "a=/a,identity=a b", NULL),
		     "identity=a b: 'a b' is not an identity name");
}

static void parse__bad_odp_check(void **state)
{
	(void)state;
	assert_usage(parse("-l", "h", "-e", "a=/a", "--odp-check", "off", NULL),
		     "daxmrd: --odp-check off: expected enforce or warn");
	assert_usage(parse("-l", "h", "-e", "a=/a", "--odp-check=", NULL),
		     "expected enforce or warn");
}

static void parse__bad_exports(void **state)
{
	static const struct {
		const char *spec, *said;
	} bad[] = {
		{ "a", "--export a: expected NAME=PATH[,OPTION...]" },
		{ "=/a", "--export =/a: expected NAME=PATH" },
		{ "a=", "--export a=: expected NAME=PATH" },
		{ "a=,ro", "--export a=,ro: expected NAME=PATH" },
		{ "a=/a,bogus", "--export a=/a,bogus: unknown option 'bogus' (ro, rw, allow=NET, "
				"identity=NAME[+NAME...], ack-budget-ms=N, allow-non-dax)" },
		{ "a=/a,", "--export a=/a,: empty option" },
		{ "a=/a,ro,rw", "--export a=/a,ro,rw: both ro and rw given" },
		{ "a=rel", "--export a=rel: export a: path 'rel' is not absolute" },
		{ "a b=/a", "--export a b=/a: export name 'a b'" },
		{ "a=/a,ack-budget-ms=x", "ack-budget-ms=x: expected milliseconds" },
		{ "a=/a,allow=", "--export a=/a,allow=: allow=: " },
		{ "a=/a,allow=10.0.0.0/33",
		  "--export a=/a,allow=10.0.0.0/33: allow=10.0.0.0/33: " },
		{ "a=/a,allow=host", "allow=host: " },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_usage(parse("-l", "h", "-e", bad[i].spec, NULL), bad[i].said);
	/* a bad one after a good one with an allowlist: both freed (ASan checks) */
	assert_usage(parse("-l", "h", "-e", "a=/a,allow=10.0.0.1", "-e", "b", NULL),
		     "--export b: expected");
}

static void usage__every_option_and_the_exit_codes(void **state)
{
	static const char *const said[] = {
		"--listen ADDR[:PORT]",
		"--export NAME=PATH[,OPTION...]",
		"allow=NET",
		"--secret-file",
		"--keys-dir DIR",
		"identity=NAME[+NAME...]",
		"--max-conns-per-addr N",
		"--max-handshakes-per-addr N",
		"--allow-non-dax",
		"--ack-budget-ms",
		"--odp-check=MODE",
		"--foreground",
		"--verbose",
		"--help",
		"port 7471",
		"Exit status: 0",
	};
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	daxmr_args_usage(f);
	fclose(f);
	for (i = 0; i < sizeof(said) / sizeof(said[0]); i++)
		if (!strstr(text, said[i]))
			fail_msg("--help does not say \"%s\"", said[i]);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, teardown)
		T(parse__minimal_defaults),
		T(parse__every_option),
		T(parse__odp_check_enforce_and_ack_budget_bounds),
		T(parse__help_stops_parsing),
		T(parse__missing_listen_export_stray),
		T(parse__bad_options),
		T(parse__bad_listen_named),
		T(parse__config_file_and_command_line),
		T(parse__bad_ack_budget),
		T(parse__bad_odp_check),
		T(parse__identities_and_limits),
		T(parse__bad_exports),
		T(usage__every_option_and_the_exit_codes),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
