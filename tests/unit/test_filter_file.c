/* SPDX-License-Identifier: Apache-2.0 */
/* test_filter_file.c - the file pre-filter compiler (user/filters/file.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/file.h"
#include "filter_maps.h"
#include "rules/rules.h"

static struct rule_set *load(const char *yaml)
{
	struct rule_source src = { "t.yaml", yaml, strlen(yaml) };
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;
	int rc = rule_set_load(&src, 1, NULL, &set, &d);

	if (rc) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].col,
				d.v[i].msg);
	}
	rule_diags_free(&d);
	assert_int_equal(rc, 0);
	return set;
}

/* One file rule with these path globs (a YAML flow list body). */
static struct rule_set *load_paths(const char *paths)
{
	char yaml[2048];

	snprintf(yaml, sizeof(yaml),
		 "custos: 1\n"
		 "rules:\n"
		 "  - id: r1\n"
		 "    on: file\n"
		 "    severity: high\n"
		 "    when:\n"
		 "      path: [%s]\n", paths);
	return load(yaml);
}

static void expect_pat(const struct ff_pattern *p, const char *dir, enum ff_fallback fb,
		       const char *fb_str)
{
	if (dir) {
		assert_non_null(p->dir);
		assert_string_equal(p->dir, dir);
	} else {
		assert_null(p->dir);
	}
	assert_int_equal(p->fb, fb);
	if (fb_str)
		assert_string_equal(p->fb_str, fb_str);
	else
		assert_null(p->fb_str);
}

static void test_literal_file(void **state)
{
	struct rule_set *rs = load_paths("/root/.aws/credentials");
	struct filter_file f;

	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_int_equal(f.n, 1);
	assert_false(f.match_all);
	/* its name, not all of /root/.aws (its identity is the walk's) */
	expect_pat(&f.pats[0], NULL, FF_NAME, "credentials");
	assert_string_equal(f.pats[0].rule, "r1");
	assert_string_equal(f.pats[0].glob, "/root/.aws/credentials");
	filter_file_free(&f);
	rule_set_free(rs);
}

static void test_prefixes(void **state)
{
	struct rule_set *rs = load_paths("\"/home/*/.ssh/id_*\", \"/data/evals/**\", "
					 "\"/data/ev*/x\", \"/srv/a/b/*.pem\", \"/etc/\"");
	struct filter_file f;

	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_int_equal(f.n, 5);
	assert_false(f.match_all);
	/* ".ssh" as a directory name is narrower than all of /home */
	expect_pat(&f.pats[0], NULL, FF_DIRNAME, ".ssh");
	/* a trailing STARSTAR may match the directory itself */
	expect_pat(&f.pats[1], "/data/evals", FF_DIRNAME, "evals");
	/* the directory is two levels up: the name is narrower */
	expect_pat(&f.pats[2], NULL, FF_NAME, "x");
	expect_pat(&f.pats[3], "/srv/a/b", FF_SUFFIX, ".pem");
	expect_pat(&f.pats[4], "/etc", FF_DIRNAME, "etc");
	filter_file_free(&f);
	rule_set_free(rs);
}

static void test_no_prefix_names_and_suffixes(void **state)
{
	struct rule_set *rs = load_paths("\"**/.env\", \"**/*.pem\", \"/*.key\", "
					 "\"**/*.a-very-long-suffix-of-many-bytes\", "
					 "\"**/a-name-that-is-far-too-long-for-a-key\"");
	struct filter_file f;

	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_int_equal(f.n, 5);
	assert_false(f.match_all);
	expect_pat(&f.pats[0], NULL, FF_NAME, ".env");
	expect_pat(&f.pats[1], NULL, FF_SUFFIX, ".pem");
	/* "/" is no useful prefix */
	expect_pat(&f.pats[2], NULL, FF_SUFFIX, ".key");
	/* longer than FILE_SUFFIX_MAX: its last bytes, still a superset */
	expect_pat(&f.pats[3], NULL, FF_SUFFIX, &"ffix-of-many-bytes"[2]);
	assert_int_equal(strlen(f.pats[3].fb_str), FILE_SUFFIX_MAX);
	/* a name that does not fit the key: matched as a suffix */
	expect_pat(&f.pats[4], NULL, FF_SUFFIX, &"far-too-long-for-a-key"[6]);
	filter_file_free(&f);
	rule_set_free(rs);
}

static void test_suffix_after_last_star(void **state)
{
	struct rule_set *rs = load_paths("\"**/privkey*.pem\", \"**/a*b?c\", \"**/x*[ab]\"");
	struct filter_file f;

	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_int_equal(f.n, 3);
	expect_pat(&f.pats[0], NULL, FF_SUFFIX, ".pem");
	/* '?' or a class after the last '*': no literal suffix */
	expect_pat(&f.pats[1], NULL, FF_NONE, NULL);
	expect_pat(&f.pats[2], NULL, FF_NONE, NULL);
	assert_true(f.match_all);
	filter_file_free(&f);
	rule_set_free(rs);
}

static void test_directory_names(void **state)
{
	struct rule_set *rs = load_paths("\"**/.ssh/id_*\", \"**/.aws/**\", "
					 "\"**/.config/gcloud/*/x*[0-9]\", \"**/a*/b*[0-9]\"");
	struct filter_file f;

	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_int_equal(f.n, 4);
	expect_pat(&f.pats[0], NULL, FF_DIRNAME, ".ssh");
	expect_pat(&f.pats[1], NULL, FF_DIRNAME, ".aws");
	/* the last literal component before the last one */
	expect_pat(&f.pats[2], NULL, FF_DIRNAME, "gcloud");
	/* no literal component at all */
	expect_pat(&f.pats[3], NULL, FF_NONE, NULL);
	assert_true(f.match_all);
	filter_file_free(&f);
	rule_set_free(rs);
}

static void test_match_all(void **state)
{
	struct rule_set *rs = load_paths("\"**/id_*\"");
	struct filter_file f;

	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_true(f.match_all);
	assert_string_equal(f.match_all_rule, "r1");
	assert_string_equal(f.match_all_glob, "**/id_*");
	filter_file_free(&f);
	rule_set_free(rs);

	rs = load_paths("\"**\"");
	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_true(f.match_all);
	filter_file_free(&f);
	rule_set_free(rs);
}

static void test_rule_without_path_matches_all(void **state)
{
	struct rule_set *rs = load("custos: 1\n"
				   "rules:\n"
				   "  - id: any-write\n"
				   "    on: file\n"
				   "    severity: low\n"
				   "    when:\n"
				   "      access: [write]\n");
	struct filter_file f;

	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_true(f.match_all);
	assert_string_equal(f.match_all_rule, "any-write");
	assert_null(f.match_all_glob);
	filter_file_free(&f);
	rule_set_free(rs);
}

static void test_disabled_and_other_kinds_ignored(void **state)
{
	struct rule_set *rs = load("custos: 1\n"
				   "rules:\n"
				   "  - id: off\n"
				   "    on: file\n"
				   "    enabled: false\n"
				   "    severity: low\n"
				   "    when:\n"
				   "      access: [write]\n"
				   "  - id: ex\n"
				   "    on: exec\n"
				   "    severity: low\n"
				   "    when:\n"
				   "      exe: \"**\"\n"
				   "  - id: never\n"
				   "    on: file\n"
				   "    severity: low\n"
				   "    when:\n"
				   "      path: [relative/name, \"?x\"]\n");
	struct filter_file f;

	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_false(f.match_all);
	/* globs that can never match an absolute path cost nothing */
	assert_int_equal(f.n, 0);
	filter_file_free(&f);
	rule_set_free(rs);
}

static void test_list_expansion(void **state)
{
	struct rule_set *rs = load("custos: 1\n"
				   "lists:\n"
				   "  creds: [/root/.netrc, \"/home/*/.netrc\"]\n"
				   "rules:\n"
				   "  - id: netrc\n"
				   "    on: file\n"
				   "    severity: high\n"
				   "    when:\n"
				   "      path: $creds\n");
	struct filter_file f;

	assert_int_equal(filter_file_compile(rs, &f), 0);
	assert_int_equal(f.n, 2);
	/* a literal file in /root: its name, not every open under /root */
	expect_pat(&f.pats[0], NULL, FF_NAME, ".netrc");
	expect_pat(&f.pats[1], NULL, FF_NAME, ".netrc");
	filter_file_free(&f);
	rule_set_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_file),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_no_prefix_names_and_suffixes),
		cmocka_unit_test(test_suffix_after_last_star),
		cmocka_unit_test(test_directory_names),
		cmocka_unit_test(test_match_all),
		cmocka_unit_test(test_rule_without_path_matches_all),
		cmocka_unit_test(test_disabled_and_other_kinds_ignored),
		cmocka_unit_test(test_list_expansion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
