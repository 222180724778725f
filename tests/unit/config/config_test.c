/* SPDX-License-Identifier: BSD-3-Clause */
/* config_test.c -- unit tests of config: the exports file, every kind of bad line, FILE.d */
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static struct daxmr_config cfg;
static char why[DAXMR_CONFIG_WHY_MAX];

static int setup(void **state)
{
	(void)state;
	daxmr_config_init(&cfg);
	why[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daxmr_config_free(&cfg);
	return 0;
}

/* Parses text as file "exports" into a fresh cfg. */
static int parse(const char *text)
{
	daxmr_config_free(&cfg);
	why[0] = '\0';
	return daxmr_config_parse_text(&cfg, "exports", text, why, sizeof(why));
}

/* text is refused with exactly the message said ("exports:LINE:COL: cause"). */
static void assert_bad(const char *text, const char *said)
{
	int ret = parse(text);

	if (ret != -EINVAL)
		fail_msg("accepted (%d): %s", ret, text);
	if (strncmp(why, said, strlen(said)) != 0)
		fail_msg("for:\n%s\nexpected \"%s...\", it said \"%s\"", text, said, why);
}

static void parse__exports_comments_blanks_quotes(void **state)
{
	(void)state;
	assert_int_equal(
		parse("# daxmr exports\n"
		      "\n"
		      "   \t \n"
		      "db   /mnt/pmem/db    rw,allow=10.0.2.0/24 allow=fd00::/8   # two nets\n"
		      "logs /mnt/pmem/logs  ro ack-budget-ms=250\n"
		      "tmp \"/tmp/a file\" allow-non-dax\n"
		      "set /dax/set\n" /* an export called "set": its path is absolute */
		      "q \"/x/\\\"q\\\\\"\n"
		      "last /dax/last"),
		0);
	assert_int_equal(cfg.nexports, 6);
	assert_string_equal(cfg.exports[0].name, "db");
	assert_string_equal(cfg.exports[0].path, "/mnt/pmem/db");
	assert_false(cfg.exports[0].ro);
	assert_int_equal(cfg.exports[0].nallow, 2);
	assert_int_equal(cfg.exports[0].allow[0].prefix, 24);
	assert_int_equal(cfg.exports[0].allow[1].prefix, 8);
	assert_int_equal(cfg.exports[0].ack_budget_ms, -1);
	assert_string_equal(cfg.exports[0].where, "exports:4");
	assert_true(cfg.exports[1].ro);
	assert_int_equal(cfg.exports[1].ack_budget_ms, 250);
	assert_string_equal(cfg.exports[2].path, "/tmp/a file");
	assert_true(cfg.exports[2].allow_non_dax);
	assert_string_equal(cfg.exports[3].name, "set");
	assert_string_equal(cfg.exports[4].path, "/x/\"q\\");
	assert_string_equal(cfg.exports[5].name, "last"); /* no newline at the end */
	assert_non_null(daxmr_config_find(&cfg, "logs"));
	assert_null(daxmr_config_find(&cfg, "nope"));
}

static void parse__settings(void **state)
{
	(void)state;
	assert_int_equal(parse("set listen [fd00::1]:7000\n"
			       "set secret-file /etc/daxmr/secret\n"
			       "set ctl-socket /run/daxmr/x.sock\n"
			       "set ctl-group daxmr\n"
			       "set metrics 127.0.0.1:9471\n"
			       "set ack-budget-ms 0\n"
			       "set odp-check warn\n"
			       "set allow-non-dax yes\n"
			       "set listen 10.0.2.15\n" /* the last one wins */
			       "a /a\n"),
			 0);
	assert_string_equal(cfg.daemon.listen, "10.0.2.15");
	assert_string_equal(cfg.daemon.secret_file, "/etc/daxmr/secret");
	assert_string_equal(cfg.daemon.ctl_socket, "/run/daxmr/x.sock");
	assert_string_equal(cfg.daemon.ctl_group, "daxmr");
	assert_string_equal(cfg.daemon.metrics, "127.0.0.1:9471");
	assert_int_equal(cfg.daemon.ack_budget_ms, 0);
	assert_int_equal(cfg.daemon.odp_check_warn, 1);
	assert_true(cfg.daemon.allow_non_dax);
	assert_int_equal(parse("set odp-check enforce\nset allow-non-dax no\n"), 0);
	assert_int_equal(cfg.daemon.odp_check_warn, 0);
	assert_false(cfg.daemon.allow_non_dax);
	assert_int_equal(parse(""), 0);
	assert_int_equal(cfg.daemon.odp_check_warn, -1);
	assert_int_equal(cfg.daemon.ack_budget_ms, -1);
	assert_null(cfg.daemon.listen);
}

static void parse__bad_export_lines(void **state)
{
	char longname[300], line[400];

	(void)state;
	assert_bad("a /a\nb\n", "exports:2:2: export b: a path is missing");
	assert_bad("a dax/a\n", "exports:1:3: export a: path 'dax/a' is not absolute");
	assert_bad("a ./a\n", "exports:1:3: export a: path './a' is not absolute");
	assert_bad("a /a bogus\n", "exports:1:6: unknown option 'bogus' (ro, rw, allow=NET, "
				   "identity=NAME[+NAME...], ack-budget-ms=N, allow-non-dax)");
	assert_bad("a /a ro,,rw\n", "exports:1:9: empty option");
	assert_bad("a /a ro,\n", "exports:1:9: empty option");
	assert_bad("a /a ro rw\n", "exports:1:9: both ro and rw given");
	assert_bad("a /a rw,ro\n", "exports:1:9: both ro and rw given");
	assert_bad("a /a allow=10.0.0.1/33\n", "exports:1:6: allow=10.0.0.1/33: ");
	assert_bad("a /a allow=10.0.0.1/8\n", "exports:1:6: allow=10.0.0.1/8: ");
	assert_bad("a /a allow=\n", "exports:1:6: allow=: ");
	assert_bad("a /a ro,allow=host\n", "exports:1:9: allow=host: ");
	assert_bad("a /a ack-budget-ms=-1\n",
		   "exports:1:6: ack-budget-ms=-1: expected milliseconds");
	assert_bad("a /a ack-budget-ms=\n", "exports:1:6: ack-budget-ms=: expected");
	assert_bad("a /a ack-budget-ms=1s\n", "exports:1:6: ack-budget-ms=1s: expected");
	assert_bad("a /a ack-budget-ms=2147483648\n", "exports:1:6: ack-budget-ms=2147483648");
	assert_bad("a /a RO\n", "exports:1:6: unknown option 'RO'");
	memset(longname, 'n', 256);
	longname[256] = '\0';
	snprintf(line, sizeof(line), "  %s /a\n", longname);
	assert_bad(line, "exports:1:3: export name 'nnnn");
	assert_non_null(strstr(why, "...': 1-255 printable ASCII characters"));
}

static void parse__bad_syntax(void **state)
{
	char many[400] = "a /a";
	int i;

	(void)state;
	assert_bad("a \"/a\n", "exports:1:3: a quote is not closed");
	assert_bad("a \"/a\"ro\n", "exports:1:7: a blank must follow a closing quote");
	assert_bad("a /a\xc3\xa9\n", "exports:1:5: byte 0xc3: only printable ASCII");
	assert_bad("\x01 /a\n", "exports:1:1: byte 0x01: only printable ASCII");
	assert_bad("a /a \"\x7f\"\n", "exports:1:7: byte 0x7f: only printable ASCII");
	for (i = 0; i < 70; i++)
		strcat(many, " ro");
	assert_bad(many, "exports:1:");
	assert_non_null(strstr(why, "more than 64 fields on one line"));
	/* a '#' inside a field is not a comment; at a field's start it is */
	assert_int_equal(parse("a#b /a#b # c\n"), 0);
	assert_string_equal(cfg.exports[0].name, "a#b");
	assert_string_equal(cfg.exports[0].path, "/a#b");
}

static void parse__bad_settings(void **state)
{
	(void)state;
	assert_bad("set listen\n", "exports:1:5: set listen: a value is missing");
	assert_bad("set listen a b\n", "exports:1:14: set listen: one value expected, more given");
	assert_bad("set bogus 1\n", "exports:1:5: unknown setting 'bogus' (listen, secret-file");
	assert_bad("set secret-file key\n", "exports:1:17: set secret-file: path 'key' is not "
					    "absolute");
	assert_bad("set ctl-socket run/x\n", "exports:1:16: set ctl-socket: path 'run/x'");
	assert_bad("set ack-budget-ms -5\n", "exports:1:19: set ack-budget-ms -5: expected");
	assert_bad("set odp-check off\n", "exports:1:15: set odp-check off: expected enforce or "
					  "warn");
	assert_bad("set allow-non-dax 1\n",
		   "exports:1:19: set allow-non-dax 1: expected yes or no");
}

static void parse__duplicate_names(void **state)
{
	(void)state;
	assert_bad("a /a\nb /b\n  a /c\n", "exports:3:3: export a is defined twice (first at "
					   "exports:1)");
	/* across sources: a file, then --export */
	assert_int_equal(parse("a /a\n"), 0);
	assert_int_equal(daxmr_config_parse_export_arg(&cfg, "a=/b", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "--export a=/b: export a is defined twice (first at exports:1)");
	assert_int_equal(
		daxmr_config_parse_export_arg(&cfg, "b=/b,ro,allow=10.0.0.0/8", why, sizeof(why)),
		0);
	assert_int_equal(cfg.nexports, 2);
	assert_true(cfg.exports[1].ro);
	assert_string_equal(cfg.exports[1].where, "--export");
}

/* identity=A+B, set keys-dir and the per-address limits; the bad forms named with a column. */
static void parse__identities_and_limits(void **state)
{
	(void)state;
	assert_int_equal(parse("set keys-dir /etc/daxmr/keys\n"
			       "set max-conns-per-addr 8\n"
			       "set max-handshakes-per-addr 0\n"
			       "a /a identity=tenant-a\n"
			       "b /b ro,identity=tenant-a+tenant-b,allow=10.0.0.0/8\n"
			       "c /c\n"),
			 0);
	assert_string_equal(cfg.daemon.keys_dir, "/etc/daxmr/keys");
	assert_int_equal(cfg.daemon.max_conns_per_addr, 8);
	assert_int_equal(cfg.daemon.max_handshakes_per_addr, 0);
	assert_string_equal(cfg.exports[0].identities, "tenant-a");
	assert_string_equal(cfg.exports[1].identities, "tenant-a+tenant-b");
	assert_true(cfg.exports[1].ro);
	assert_null(cfg.exports[2].identities);
	assert_int_equal(parse(""), 0);
	assert_int_equal(cfg.daemon.max_conns_per_addr, -1);
	assert_null(cfg.daemon.keys_dir);
	assert_bad(
		"a /a identity=\n",
		"exports:1:6: identity=: '' is not an identity name (1-64 of A-Z a-z 0-9 . _ @ -, "
		"not starting with '.')");
	assert_bad("a /a identity=x++y\n",
		   "exports:1:6: identity=x++y: '' is not an identity name");
	assert_bad("a /a identity=x+\n", "exports:1:6: identity=x+: '' is not an identity name");
	assert_bad("a /a identity=.x\n", "exports:1:6: identity=.x: '.x' is not an identity name");
	assert_bad("a /a identity=a/b\n",
		   "exports:1:6: identity=a/b: 'a/b' is not an identity name");
	assert_bad("a /a identity=x,identity=y\n",
		   "exports:1:17: identity= given twice: list them as A+B");
	assert_bad("set keys-dir keys\n",
		   "exports:1:14: set keys-dir: path 'keys' is not absolute");
	assert_bad("set max-conns-per-addr -1\n",
		   "exports:1:24: set max-conns-per-addr -1: expected a count");
	assert_bad("set max-handshakes-per-addr many\n",
		   "exports:1:29: set max-handshakes-per-addr many: expected a count");
}

static void export_equal__every_field(void **state)
{
	struct daxmr_config other;

	(void)state;
	daxmr_config_init(&other);
	assert_int_equal(
		parse("a /a ro,allow=10.0.0.0/8\nb /b\nc /c\nd /d\ne /e\nf /f\ng /g\nh /h\n"
		      "i /i identity=x\n"),
		0);
	assert_int_equal(daxmr_config_parse_text(&other, "other",
						 "a /a ro,allow=10.0.0.0/8\n"
						 "b /b2\nc /c ro\nd /d allow-non-dax\n"
						 "e /e ack-budget-ms=5\nf /f allow=10.0.0.1\n"
						 "g /g allow=10.0.0.0/8,allow=10.0.0.0/9\n"
						 "h /h identity=x\ni /i identity=x+y\n",
						 why, sizeof(why)),
			 0);
	assert_true(daxmr_config_export_equal(&cfg.exports[0], &other.exports[0]));
	for (size_t i = 1; i < 9; i++)
		if (daxmr_config_export_equal(&cfg.exports[i], &other.exports[i]))
			fail_msg("export %s: a change is not seen", cfg.exports[i].name);
	daxmr_config_free(&other);
}

static void export_cfgs__daemon_default(void **state)
{
	struct daxmr_export_cfg *out = NULL;

	(void)state;
	assert_int_equal(parse("a /a ro,allow=10.0.0.0/8\nb /b allow-non-dax\n"), 0);
	assert_int_equal(daxmr_config_export_cfgs(&cfg, &out), 0);
	assert_string_equal(out[0].name, "a");
	assert_true(out[0].ro);
	assert_int_equal(out[0].nallow, 1);
	assert_false(out[0].allow_non_dax);
	assert_true(out[1].allow_non_dax);
	free(out);
	cfg.daemon.allow_non_dax = true;
	assert_int_equal(daxmr_config_export_cfgs(&cfg, &out), 0);
	assert_true(out[0].allow_non_dax);
	free(out);
}

/* Writes text into dir/name. */
static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void load__file_then_dir_in_name_order(void **state)
{
	char dir[] = "/tmp/config_test.XXXXXX", path[PATH_MAX], sub[PATH_MAX], cmd[PATH_MAX + 16];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/exports", dir);
	snprintf(sub, sizeof(sub), "%s/exports.d", dir);
	put(dir, "exports", "main /m\n");
	/* no exports.d: fine */
	assert_int_equal(daxmr_config_load(&cfg, path, why, sizeof(why)), 0);
	assert_int_equal(cfg.nexports, 1);
	daxmr_config_free(&cfg);
	assert_int_equal(mkdir(sub, 0755), 0);
	put(sub, "20-b.exports", "b /b\n");
	put(sub, "10-a.exports", "a /a\n");
	put(sub, "30-c.exports.bak", "c /c\n"); /* not *.exports: skipped */
	put(sub, ".hidden.exports", "h /h\n");	/* dotfile: skipped */
	assert_int_equal(daxmr_config_load(&cfg, path, why, sizeof(why)), 0);
	assert_int_equal(cfg.nexports, 3);
	assert_string_equal(cfg.exports[0].name, "main");
	assert_string_equal(cfg.exports[1].name, "a");
	assert_string_equal(cfg.exports[2].name, "b");
	assert_non_null(strstr(cfg.exports[2].where, "exports.d/20-b.exports:1"));
	daxmr_config_free(&cfg);
	/* a duplicate in exports.d names both files */
	put(sub, "40-d.exports", "# again\nmain /other\n");
	assert_int_equal(daxmr_config_load(&cfg, path, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "exports.d/40-d.exports:2:1: export main is defined twice "
				    "(first at "));
	assert_non_null(strstr(why, "/exports:1)"));
	daxmr_config_free(&cfg);
	/* a NUL byte, a directory, a missing file */
	put(sub, "40-d.exports", "");
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fwrite("a /a\n\0b /b\n", 1, 11, f);
		fclose(f);
	}
	assert_int_equal(daxmr_config_load(&cfg, path, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "holds a NUL byte: not a text file"));
	daxmr_config_free(&cfg);
	assert_int_equal(daxmr_config_load(&cfg, sub, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "exports.d: not a regular file"));
	daxmr_config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(daxmr_config_load(&cfg, path, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "/exports: cannot open: No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(parse__exports_comments_blanks_quotes),
		T(parse__settings),
		T(parse__identities_and_limits),
		T(parse__bad_export_lines),
		T(parse__bad_syntax),
		T(parse__bad_settings),
		T(parse__duplicate_names),
		T(export_equal__every_field),
		T(export_cfgs__daemon_default),
		T(load__file_then_dir_in_name_order),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
