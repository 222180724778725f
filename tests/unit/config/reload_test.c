/* SPDX-License-Identifier: BSD-3-Clause */
/* reload_test.c -- unit tests of reload's diff: added, removed, changed, unchanged, failures */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "reload.h"

/* What the ops were asked, in order: "+name" and "-name", space-separated. */
static char calls[512];
static const char *fail_add; /* add of this name fails with -ENOMEM */

static int fake_add(void *arg, const struct daxmr_export_cfg *cfg)
{
	(void)arg;
	strcat(calls, " +");
	strcat(calls, cfg->name);
	if (cfg->has_ack_budget)
		strcat(calls, "(budget)");
	if (cfg->allow_non_dax)
		strcat(calls, "(non-dax)");
	return fail_add && strcmp(cfg->name, fail_add) == 0 ? -ENOMEM : 0;
}

static int fake_remove(void *arg, const char *name)
{
	(void)arg;
	strcat(calls, " -");
	strcat(calls, name);
	return 0;
}

static const struct daxmr_reload_ops ops = { .add = fake_add, .remove = fake_remove };

/* Parses old and new texts, applies the difference; the summary in *sum. */
static int apply(const char *old_text, const char *new_text, struct daxmr_reload_summary *sum)
{
	struct daxmr_config o, n;
	char why[DAXMR_CONFIG_WHY_MAX];
	int ret;

	daxmr_config_init(&o);
	daxmr_config_init(&n);
	assert_int_equal(daxmr_config_parse_text(&o, "old", old_text, why, sizeof(why)), 0);
	assert_int_equal(daxmr_config_parse_text(&n, "new", new_text, why, sizeof(why)), 0);
	calls[0] = '\0';
	ret = daxmr_reload_apply(&o, &n, &ops, NULL, sum);
	daxmr_config_free(&o);
	daxmr_config_free(&n);
	return ret;
}

static void apply__added_removed_changed_unchanged(void **state)
{
	struct daxmr_reload_summary sum;

	(void)state;
	fail_add = NULL;
	assert_int_equal(apply("keep /k\n"
			       "gone /g\n"
			       "path /p1\n"
			       "opts /o ro\n"
			       "nets /n allow=10.0.0.0/8\n",
			       "# reordered and commented: still unchanged\n"
			       "nets /n allow=10.0.0.0/16\n"
			       "opts /o rw\n"
			       "path /p2\n"
			       "new /x ack-budget-ms=5\n"
			       "keep /k   # the same\n",
			       &sum),
			 0);
	assert_string_equal(calls, " -gone -path +path -opts +opts -nets +nets +new(budget)");
	assert_int_equal(sum.added, 1);
	assert_int_equal(sum.removed, 1);
	assert_int_equal(sum.changed, 3);
	assert_int_equal(sum.unchanged, 1);
	assert_int_equal(sum.failed, 0);
}

static void apply__nothing_changed_nothing_done(void **state)
{
	struct daxmr_reload_summary sum;

	(void)state;
	fail_add = NULL;
	assert_int_equal(apply("a /a ro\nb /b\n", "b /b\n\na /a ro\n", &sum), 0);
	assert_string_equal(calls, "");
	assert_int_equal(sum.unchanged, 2);
}

static void apply__daemon_allow_non_dax_changes_every_export(void **state)
{
	struct daxmr_reload_summary sum;

	(void)state;
	fail_add = NULL;
	assert_int_equal(apply("a /a\nb /b allow-non-dax\n",
			       "set allow-non-dax yes\na /a\n"
			       "b /b allow-non-dax\n",
			       &sum),
			 0);
	/* a is now a page-cache export; b was one already */
	assert_string_equal(calls, " -a +a(non-dax)");
	assert_int_equal(sum.changed, 1);
	assert_int_equal(sum.unchanged, 1);
}

static void apply__a_failed_add_is_counted_the_rest_goes_on(void **state)
{
	struct daxmr_reload_summary sum;

	(void)state;
	fail_add = "b";
	assert_int_equal(apply("", "a /a\nb /b\nc /c\n", &sum), -ENOMEM);
	assert_string_equal(calls, " +a +b +c");
	assert_int_equal(sum.added, 3);
	assert_int_equal(sum.failed, 1);
	fail_add = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(apply__added_removed_changed_unchanged),
		cmocka_unit_test(apply__nothing_changed_nothing_done),
		cmocka_unit_test(apply__daemon_allow_non_dax_changes_every_export),
		cmocka_unit_test(apply__a_failed_add_is_counted_the_rest_goes_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
