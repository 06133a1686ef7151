/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rules_parse.c - loading rule files: every malformed file gives the
 * exact FILE:LINE:COL diagnostics; valid files give the expected rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "base/sbuf.h"
#include "rules/rules.h"

static int resolve(const char *name, uint32_t *uid, void *ctx)
{
	int *calls = ctx;

	if (calls)
		(*calls)++;
	if (strcmp(name, "alice") == 0) {
		*uid = 1000;
		return 0;
	}
	return -ENOENT;
}

static const struct rule_load_opts opts = { .resolve_user = resolve };

/* Loads the files, expects failure, returns every diagnostic, one a line. */
static char *errors_of(const struct rule_source *srcs, size_t n)
{
	struct rule_diags d = { 0 };
	struct rule_set *set = (struct rule_set *)0x1;
	size_t i, len = 0;
	char *all = calloc(1, 1);
	int r;

	r = rule_set_load(srcs, n, &opts, &set, &d);
	assert_int_equal(r, -EINVAL);
	assert_null(set);
	assert_true(d.n > 0);
	for (i = 0; i < d.n; i++) {
		char line[1024];
		int k = rule_diag_format(&d.v[i], line, sizeof(line));

		assert_true(k > 0 && (size_t)k < sizeof(line));
		all = realloc(all, len + (size_t)k + 2);
		memcpy(all + len, line, (size_t)k);
		len += (size_t)k;
		all[len++] = '\n';
		all[len] = '\0';
	}
	rule_diags_free(&d);
	return all;
}

static void expect1(const char *yaml, const char *want)
{
	struct rule_source s = { "t.yaml", yaml, strlen(yaml) };
	char *got = errors_of(&s, 1);

	assert_string_equal(got, want);
	free(got);
}

static void expect2(const char *a, const char *b, const char *want)
{
	struct rule_source s[2] = {
		{ "a.yaml", a, strlen(a) },
		{ "b.yaml", b, strlen(b) },
	};
	char *got = errors_of(s, 2);

	assert_string_equal(got, want);
	free(got);
}

static struct rule_set *load_ok(const char *yaml)
{
	struct rule_source s = { "ok.yaml", yaml, strlen(yaml) };
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;
	int r = rule_set_load(&s, 1, &opts, &set, &d);

	if (r != 0 && d.n) {
		char line[512];

		rule_diag_format(&d.v[0], line, sizeof(line));
		print_error("unexpected: %s\n", line);
	}
	assert_int_equal(r, 0);
	assert_int_equal(d.n, 0);
	assert_non_null(set);
	return set;
}

/* --- the file as a whole ------------------------------------------------- */

static void test_yaml_syntax(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: a\n"
		"    on: file\n"
		"   severity: high\n",
		"t.yaml:5:4: error: invalid yaml: did not find expected '-' indicator\n");
	expect1("custos: 1\n"
		"lists:\n"
		"  x: [a, b\n",
		"t.yaml:4:1: error: invalid yaml: did not find expected ',' or ']'\n");
	expect1("custos: 1\n"
		"\tlists: {}\n",
		"t.yaml:2:1: error: invalid yaml: found a tab character that violates indentation\n");
}

static void test_empty_and_version(void **state)
{
	(void)state;
	expect1("", "t.yaml:1:1: error: empty file (expected custos: 1)\n");
	expect1("# only a comment\n",
		"t.yaml:1:1: error: empty file (expected custos: 1)\n");
	expect1("rules: []\n",
		"t.yaml:1:1: error: missing required key 'custos' (expected custos: 1)\n");
	expect1("lists: {}\ncustos: 2\n",
		"t.yaml:2:9: error: unsupported custos version '2' (expected 1)\n");
	expect1("custos: [1]\n",
		"t.yaml:1:9: error: unsupported custos version 'a list' (expected 1)\n");
	expect1("- custos: 1\n",
		"t.yaml:1:1: error: the top level must be a mapping (custos: 1, lists, rules, ...), not a list\n");
}

static void test_unknown_top_key(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rule: []\n",
		"t.yaml:2:1: error: unknown top-level key 'rule' (expected one of: custos, lists, rules, overrides, lists_append)\n");
}

static void test_duplicate_key(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: a\n"
		"    on: file\n"
		"    severity: high\n"
		"    when: {path: /x}\n"
		"    on: exec\n",
		"t.yaml:7:5: error: duplicate key 'on' (first at line 4)\n");
}

static void test_non_string_key(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"lists:\n"
		"  [a, b]: [/x]\n"
		"  ok: [/y]\n",
		"t.yaml:3:3: error: mapping keys must be strings, not a list\n");
}

static void test_alias(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"lists:\n"
		"  a: &x [/bin/sh]\n"
		"  b: *x\n",
		"t.yaml:4:6: error: yaml aliases (*x) are not supported\n");
}

/* --- rule keys ----------------------------------------------------------- */

static void test_unknown_rule_key(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: file\n"
		"    severity: high\n"
		"    when: {path: /x}\n"
		"    whenn: {path: /y}\n",
		"t.yaml:7:5: error: unknown key 'whenn' in rule 'x' (expected one of: id, description, on, severity, action, enabled, tags, when, unless, set_labels, label_ttl)\n");
}

static void test_missing_keys(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - on: file\n"
		"    severity: high\n"
		"    when: {path: /x}\n",
		"t.yaml:3:5: error: rule is missing required key 'id'\n");
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    description: only this\n",
		"t.yaml:3:5: error: rule 'x' is missing required key 'on'\n"
		"t.yaml:3:5: error: rule 'x' is missing required key 'severity'\n"
		"t.yaml:3:5: error: rule 'x' is missing required key 'when'\n");
}

static void test_bad_id(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: Secret_Read\n"
		"    on: file\n"
		"    severity: high\n"
		"    when: {path: /x}\n",
		"t.yaml:3:9: error: rule id 'Secret_Read' is invalid (use lowercase letters, digits and '-', starting with a letter or digit)\n");
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: -x\n"
		"    on: file\n"
		"    severity: high\n"
		"    when: {path: /x}\n",
		"t.yaml:3:9: error: rule id '-x' is invalid (use lowercase letters, digits and '-', starting with a letter or digit)\n");
}

static void test_duplicate_id_two_files(void **state)
{
	(void)state;
	expect2("custos: 1\n"
		"rules:\n"
		"  - id: dup\n"
		"    on: file\n"
		"    severity: high\n"
		"    when: {path: /x}\n",
		"custos: 1\n"
		"rules:\n"
		"  - id: other\n"
		"    on: exec\n"
		"    severity: low\n"
		"    when: {exe: /bin/sh}\n"
		"  - id: dup\n"
		"    on: exec\n"
		"    severity: low\n"
		"    when: {exe: /bin/sh}\n",
		"b.yaml:7:9: error: duplicate rule id 'dup' (first defined at a.yaml:3:9)\n");
}

static void test_bad_enums(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: process\n"
		"    severity: urgent\n"
		"    action: deny\n"
		"    enabled: yes\n"
		"    when: {exe: /bin/sh}\n",
		"t.yaml:4:9: error: on 'process' is not one of file, connect, exec\n"
		"t.yaml:5:15: error: severity 'urgent' is not one of info, low, medium, high, critical\n"
		"t.yaml:6:13: error: action 'deny' is not one of alert, block, label\n"
		"t.yaml:7:14: error: enabled 'yes' is not a boolean (expected true or false)\n");
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: [file]\n"
		"    severity: low\n"
		"    when: {exe: /bin/sh}\n",
		"t.yaml:4:9: error: 'on' must be a string, not a list\n");
}

static void test_when_unless_shapes(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: file\n"
		"    severity: low\n"
		"    when: [path, /x]\n",
		"t.yaml:6:11: error: 'when' must be a mapping, not a list\n");
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: file\n"
		"    severity: low\n"
		"    when:\n",
		"t.yaml:6:10: error: 'when' must be a mapping, not an empty value\n");
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: file\n"
		"    severity: low\n"
		"    when: {path: /x}\n"
		"    unless:\n"
		"      exe: /bin/cat\n",
		"t.yaml:8:7: error: 'unless' must be a list, not a mapping\n");
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: file\n"
		"    severity: low\n"
		"    when: {path: /x}\n"
		"    unless: [/bin/cat, {}]\n",
		"t.yaml:7:14: error: each condition in 'unless' must be a mapping, not a string\n"
		"t.yaml:7:24: error: an empty condition in 'unless' would match every event\n");
}

/* --- fields and values --------------------------------------------------- */

static void test_unknown_field(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: file\n"
		"    severity: low\n"
		"    when:\n"
		"      pth: /etc/shadow\n",
		"t.yaml:7:7: error: unknown field 'pth' (expected one of: exe, comm, parent_exe, ancestor_exe, uid, cgroup, path, access, dest, proto, args, container, exe_content, labels)\n");
}

static void test_field_not_for_kind(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: connect\n"
		"    severity: low\n"
		"    when:\n"
		"      path: /etc/shadow\n"
		"    unless:\n"
		"      - args: '* --safe'\n",
		"t.yaml:7:7: error: field 'path' does not apply to on: connect (only to on: file)\n"
		"t.yaml:9:9: error: field 'args' does not apply to on: connect (only to on: exec)\n");
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: exec\n"
		"    severity: low\n"
		"    when: {dest: 10.0.0.0/8, access: read}\n",
		"t.yaml:6:12: error: field 'dest' does not apply to on: exec (only to on: connect)\n"
		"t.yaml:6:30: error: field 'access' does not apply to on: exec (only to on: file)\n");
}

static void test_unknown_list(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"lists:\n"
		"  shells: [/bin/sh, $more_shells]\n"
		"rules:\n"
		"  - id: x\n"
		"    on: exec\n"
		"    severity: low\n"
		"    when:\n"
		"      exe: [/bin/bash, $shels]\n",
		"t.yaml:3:21: error: unknown list '$more_shells'\n"
		"t.yaml:9:24: error: unknown list '$shels'\n");
}

static void test_list_cycle(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"lists:\n"
		"  a: [/x, $b]\n"
		"  b: [$c]\n"
		"  c:\n"
		"    - [/y, $a]\n"
		"rules:\n"
		"  - id: x\n"
		"    on: exec\n"
		"    severity: low\n"
		"    when: {exe: $a}\n",
		"t.yaml:6:12: error: list cycle: $a -> $b -> $c -> $a\n");
	expect1("custos: 1\n"
		"lists:\n"
		"  self: [$self]\n",
		"t.yaml:3:10: error: list cycle: $self -> $self\n");
}

static void test_list_definitions(void **state)
{
	(void)state;
	expect2("custos: 1\n"
		"lists:\n"
		"  shells: [/bin/sh]\n"
		"  bad name: [x]\n"
		"  m: {a: b}\n",
		"custos: 1\n"
		"lists:\n"
		"  shells: [/bin/bash]\n",
		"a.yaml:4:3: error: list name 'bad name' is invalid (use letters, digits, '_' and '-', starting with a letter or '_')\n"
		"a.yaml:5:6: error: list 'm' must be a list of values, not a mapping\n"
		"b.yaml:3:3: error: list 'shells' is already defined at a.yaml:3:3 (use lists_append to extend it)\n");
}

static void test_bad_access_proto(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: file\n"
		"    severity: low\n"
		"    when: {access: [read, exec]}\n",
		"t.yaml:6:27: error: access 'exec' is not one of read, write, create\n");
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: connect\n"
		"    severity: low\n"
		"    when: {proto: gre}\n",
		"t.yaml:6:19: error: proto 'gre' is not one of tcp, udp, udplite, sctp, raw, icmp, "
		"packet\n");
}

static void test_bad_dest(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: connect\n"
		"    severity: low\n"
		"    when:\n"
		"      dest:\n"
		"        - 10.0.0.0/33\n"
		"        - 300.1.1.1\n"
		"        - ex*ample.com:443\n"
		"        - '[::1'\n"
		"        - '[::1]x'\n"
		"        - '[10.0.0.1]:80'\n"
		"        - ::/129\n"
		"        - 10.0.0.1/x\n"
		"        - '10.0.0.1:'\n"
		"        - 10.0.0.1:http\n"
		"        - /8\n",
		"t.yaml:8:11: error: dest '10.0.0.0/33' is invalid: prefix /33 is out of range 0..32\n"
		"t.yaml:9:11: error: dest '300.1.1.1' is invalid: '300.1.1.1' is not an IPv4 address\n"
		"t.yaml:10:11: error: dest 'ex*ample.com:443' is invalid: '*' is not allowed in a name "
		"(letters, digits, '-', '_' and dots; '*.' only in front)\n"
		"t.yaml:11:11: error: dest '[::1' is invalid: missing ']' after an IPv6 address\n"
		"t.yaml:12:11: error: dest '[::1]x' is invalid: unexpected 'x' after ']' (expected :PORT or nothing)\n"
		"t.yaml:13:11: error: dest '[10.0.0.1]:80' is invalid: '10.0.0.1' is not an IPv6 address\n"
		"t.yaml:14:11: error: dest '::/129' is invalid: prefix /129 is out of range 0..128\n"
		"t.yaml:15:11: error: dest '10.0.0.1/x' is invalid: prefix '/x' is not a number\n"
		"t.yaml:16:11: error: dest '10.0.0.1:' is invalid: missing port after ':'\n"
		"t.yaml:17:11: error: dest '10.0.0.1:http' is invalid: port 'http' is not a number\n"
		"t.yaml:18:11: error: dest '/8' is invalid: missing address\n");
}

static void test_bad_ports(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: connect\n"
		"    severity: low\n"
		"    when:\n"
		"      dest:\n"
		"        - 10.0.0.1:443-80\n"
		"        - 10.0.0.1:70000\n"
		"        - '[::1]:1-65536'\n"
		"        - 10.0.0.1:0\n"
		"        - 10.0.0.1:1-\n"
		"        - 10.0.0.1:0-0\n"
		"        - '[::1]:00-0'\n",
		"t.yaml:8:11: error: dest '10.0.0.1:443-80' is invalid: port range 443-80 is reversed (LO must not exceed HI)\n"
		"t.yaml:9:11: error: dest '10.0.0.1:70000' is invalid: port 70000 is out of range 0..65535\n"
		"t.yaml:10:11: error: dest '[::1]:1-65536' is invalid: port 65536 is out of range 0..65535\n"
		"t.yaml:11:11: error: dest '10.0.0.1:0' is invalid: port 0 is not a valid port (a range like 0-65535 means any port)\n"
		"t.yaml:12:11: error: dest '10.0.0.1:1-' is invalid: port range '1-' is not LO-HI\n"
		"t.yaml:13:11: error: dest '10.0.0.1:0-0' is invalid: port range 0-0 names only port 0, which is not a valid port (0-65535 means any port)\n"
		"t.yaml:14:11: error: dest '[::1]:00-0' is invalid: port range 0-0 names only port 0, which is not a valid port (0-65535 means any port)\n");
}

/* 24 KB of lists naming lists, named by 400 rules: 36 million values took
 * 1.5 GB and 4 s; the rule set's budget stops it at the rule that spends it,
 * with FILE:LINE:COL, in no time */
static void test_expansion_budget(void **state)
{
	struct sbuf y = SBUF_INIT;
	struct rule_source src;
	char *got;

	(void)state;
	sbuf_adds(&y, "custos: 1\nlists:\n  l0: [a0, a1, a2, a3, a4, a5, a6, a7, a8]\n");
	for (int l = 1; l <= 4; l++) {
		sbuf_addf(&y, "  l%d: [$l%d", l, l - 1);
		for (int k = 1; k < 10; k++)
			sbuf_addf(&y, ", $l%d", l - 1);
		sbuf_adds(&y, "]\n");
	}
	sbuf_adds(&y, "rules:\n");
	for (int i = 0; i < 400; i++)
		sbuf_addf(&y, "  - {id: r%d, on: file, severity: low, when: {path: $l4}}\n", i);
	src = (struct rule_source){ "t.yaml", sbuf_cstr(&y), y.len };
	got = errors_of(&src, 1);
	/* l1..l4 take 99,990 values, each rule 90,000 more: the 11th spends it */
	assert_string_equal(got, "t.yaml:19:53: error: more than 1000000 values in all after expanding lists (the limit of one rule set)\n");
	free(got);
	sbuf_free(&y);
}

/* 100,000 list definitions and 20,000 rules (3.5 MB) took 54 s: every
 * duplicate-key, list and rule-id lookup was a linear scan.  Hashed, it
 * loads in a fraction of a second; 5 s leaves room for a slow machine. */
static void test_many_names_load_in_linear_time(void **state)
{
	struct sbuf y = SBUF_INIT;
	struct rule_source src;
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;
	struct timespec t0, t1;

	(void)state;
	sbuf_adds(&y, "custos: 1\nlists:\n");
	for (int i = 0; i < 100000; i++)
		sbuf_addf(&y, "  list%d: [v%d]\n", i, i);
	sbuf_adds(&y, "rules:\n");
	for (int i = 0; i < 20000; i++)
		sbuf_addf(&y, "  - {id: r%d, on: file, severity: low, when: {path: $list%d}}\n", i, i);
	sbuf_adds(&y, "overrides:\n  - {rule: r19999, enabled: false}\n");
	src = (struct rule_source){ "t.yaml", sbuf_cstr(&y), y.len };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(rule_set_load(&src, 1, &opts, &set, &d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_int_equal(set->n_rules, 20000);
	assert_false(set->rules[19999].enabled);
	rule_set_free(set);
	rule_diags_free(&d);
	sbuf_free(&y);
}

/* A wide list took 1.2 GB for 5.6 MB of "x,": one tree node per value,
 * and one diagnostic for every value past 100,000.  A file holds at most a
 * million nodes; a field or list past its cap is reported once; a load keeps
 * 1000 diagnostics and says how many more there were. */
static void test_wide_files_and_many_errors_bounded(void **state)
{
	struct sbuf y = SBUF_INIT;
	struct rule_source src;
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;
	char line[256];
	char *got;

	(void)state;
	sbuf_adds(&y, "custos: 1\nlists:\n  a: [x");
	for (int i = 1; i < 100001; i++)
		sbuf_adds(&y, ",x");
	sbuf_adds(&y, "]\n");
	src = (struct rule_source){ "t.yaml", sbuf_cstr(&y), y.len };
	got = errors_of(&src, 1);
	assert_string_equal(got, "t.yaml:3:200005: error: more than 100000 values after expanding lists\n");
	free(got);
	sbuf_reset(&y);
	sbuf_adds(&y, "custos: 1\nlists:\n  a: [x");
	for (int i = 1; i < 1000000; i++)
		sbuf_adds(&y, ",x");
	sbuf_adds(&y, "]\n");
	src = (struct rule_source){ "t.yaml", sbuf_cstr(&y), y.len };
	got = errors_of(&src, 1);
	/* custos, 1, lists, a, the list: 5 nodes before the values */
	assert_string_equal(got, "t.yaml:3:1999993: error: more than 1000000 values, lists and mappings in one file\n");
	free(got);
	sbuf_reset(&y);
	sbuf_adds(&y, "custos: 1\nrules:\n");
	for (int i = 0; i < 1500; i++)
		sbuf_addf(&y, "  - {id: r%d, on: nope, severity: low, when: {path: /x}}\n", i);
	src = (struct rule_source){ "t.yaml", sbuf_cstr(&y), y.len };
	assert_int_equal(rule_set_load(&src, 1, &opts, &set, &d), -EINVAL);
	assert_int_equal(d.n, 1001);
	assert_true(rule_diag_format(&d.v[1000], line, sizeof(line)) > 0);
	assert_string_equal(line, "t.yaml:1003:21: error: 500 more errors from here on not shown (fix these first)");
	rule_diags_free(&d);
	sbuf_free(&y);
}

static void test_bad_glob(void **state)
{
	(void)state;
	expect1("custos: 1\n"
		"lists:\n"
		"  keys: ['/etc/ssl/[abc', /ok]\n"
		"rules:\n"
		"  - id: x\n"
		"    on: file\n"
		"    severity: low\n"
		"    when:\n"
		"      path: [$keys, '/x\\']\n"
		"      exe: ''\n"
		"  - id: y\n"
		"    on: file\n"
		"    severity: low\n"
		"    when: {path: $keys, comm: '[z-a]'}\n",
		"t.yaml:3:10: error: path pattern '/etc/ssl/[abc' is invalid: unclosed '['\n"
		"t.yaml:9:21: error: path pattern '/x\\' is invalid: trailing backslash\n"
		"t.yaml:10:12: error: exe pattern is empty\n"
		"t.yaml:14:31: error: comm pattern '[z-a]' is invalid: reversed range in '[...]'\n");
}

static void test_bad_uid(void **state)
{
	int calls = 0;
	struct rule_load_opts o = { .resolve_user = resolve, .resolve_ctx = &calls };
	static const char yaml[] =
		"custos: 1\n"
		"rules:\n"
		"  - id: x\n"
		"    on: exec\n"
		"    severity: low\n"
		"    when: {uid: [alice, bob, -1, 4294967295, 12ab]}\n";
	struct rule_source s = { "t.yaml", yaml, sizeof(yaml) - 1 };
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;
	char line[256];

	(void)state;
	assert_int_equal(rule_set_load(&s, 1, &o, &set, &d), -EINVAL);
	assert_int_equal(calls, 2);
	assert_int_equal(d.n, 4);
	rule_diag_format(&d.v[0], line, sizeof(line));
	assert_string_equal(line, "t.yaml:6:25: error: unknown user 'bob'");
	rule_diag_format(&d.v[1], line, sizeof(line));
	assert_string_equal(line, "t.yaml:6:30: error: uid '-1' is not a valid uid (expected 0..4294967294 or a user name)");
	rule_diag_format(&d.v[2], line, sizeof(line));
	assert_string_equal(line, "t.yaml:6:34: error: uid '4294967295' is not a valid uid (expected 0..4294967294 or a user name)");
	rule_diag_format(&d.v[3], line, sizeof(line));
	assert_string_equal(line, "t.yaml:6:46: error: uid '12ab' is not a valid uid (expected 0..4294967294 or a user name)");
	rule_diags_free(&d);

	/* without a resolver every name is unknown */
	assert_int_equal(rule_set_load(&s, 1, NULL, &set, &d), -EINVAL);
	rule_diag_format(&d.v[0], line, sizeof(line));
	assert_string_equal(line, "t.yaml:6:18: error: unknown user 'alice'");
	rule_diags_free(&d);
}

/* --- overrides and appends ----------------------------------------------- */

static const char base[] =
	"custos: 1\n"
	"lists:\n"
	"  shells: [/bin/sh]\n"
	"rules:\n"
	"  - id: shell\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when: {exe: $shells}\n";

static void test_override_errors(void **state)
{
	(void)state;
	expect2(base,
		"custos: 1\n"
		"overrides:\n"
		"  - rule: shel\n"
		"    enabled: false\n"
		"  - rule: shell\n"
		"    enable: false\n"
		"    severity: urgent\n"
		"    unless_append:\n"
		"      - path: /x\n"
		"  - enabled: false\n"
		"  - shell\n",
		"b.yaml:3:11: error: override of unknown rule 'shel'\n"
		"b.yaml:6:5: error: unknown key 'enable' in override (expected one of: rule, enabled, severity, action, unless_append)\n"
		"b.yaml:7:15: error: severity 'urgent' is not one of info, low, medium, high, critical\n"
		"b.yaml:9:9: error: field 'path' does not apply to on: exec (only to on: file)\n"
		"b.yaml:10:5: error: override is missing required key 'rule'\n"
		"b.yaml:11:5: error: each override must be a mapping, not a string\n");
}

static void test_lists_append_errors(void **state)
{
	(void)state;
	expect2(base,
		"custos: 1\n"
		"lists_append:\n"
		"  shell: [/bin/bash]\n"
		"  shells: {a: b}\n",
		"b.yaml:3:3: error: lists_append to unknown list 'shell'\n"
		"b.yaml:4:11: error: lists_append 'shells' must be a list of values, not a mapping\n");
}

/* Errors in several places are all reported, sorted by file and position. */
static void test_many_errors(void **state)
{
	(void)state;
	expect2("custos: 1\n"
		"rules:\n"
		"  - id: a\n"
		"    on: file\n"
		"    severity: hi\n"
		"    when: {path: /x}\n"
		"  - id: b\n"
		"    on: file\n"
		"    severity: high\n"
		"    when: {path: $nope}\n",
		"custos: 1\n"
		"rulez: []\n",
		"a.yaml:5:15: error: severity 'hi' is not one of info, low, medium, high, critical\n"
		"a.yaml:10:18: error: unknown list '$nope'\n"
		"b.yaml:2:1: error: unknown top-level key 'rulez' (expected one of: custos, lists, rules, overrides, lists_append)\n");
}

/* A file that is not YAML may define what others name: no noise about it. */
static void test_broken_file_no_noise(void **state)
{
	(void)state;
	expect2("custos: 1\n"
		"lists: [\n",
		"custos: 1\n"
		"overrides:\n"
		"  - rule: defined-in-a\n"
		"lists_append:\n"
		"  from_a: [x]\n",
		"a.yaml:3:1: error: invalid yaml: did not find expected node content\n");
}

static void test_diags_append(void **state)
{
	struct rule_source s = { "t.yaml", "custos: 3\n", 10 };
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;

	(void)state;
	assert_int_equal(rule_set_load(&s, 1, &opts, &set, &d), -EINVAL);
	assert_int_equal(rule_set_load(&s, 1, &opts, &set, &d), -EINVAL);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[1].file, "t.yaml");
	assert_int_equal(d.v[1].line, 1);
	assert_int_equal(d.v[1].col, 9);
	rule_diags_free(&d);
	assert_int_equal(d.n, 0);
}

/* --- valid files --------------------------------------------------------- */

static void test_valid_full(void **state)
{
	struct rule_set *set;
	const struct rule *r;
	const struct cond_field *f;

	(void)state;
	set = load_ok(
		"custos: 1\n"
		"\n"
		"lists:\n"
		"  credential_files:\n"
		"    - /root/.aws/credentials\n"
		"    - /home/*/.aws/credentials\n"
		"    - \"**/.env\"\n"
		"  secret_readers:\n"
		"    - /usr/sbin/sshd\n"
		"    - $more\n"
		"  more: [/bin/a, [/bin/b, [/bin/c]]]\n"
		"  empty: []\n"
		"\n"
		"rules:\n"
		"  - id: secret-file-access\n"
		"    description: A process outside the approved set opened a credential file\n"
		"    on: file\n"
		"    severity: critical\n"
		"    action: alert\n"
		"    enabled: true\n"
		"    tags: [soc2:CC6.1, mitre:T1552.001]\n"
		"    when:\n"
		"      path: $credential_files\n"
		"      access: [read, write]\n"
		"    unless:\n"
		"      - exe: $secret_readers\n"
		"      - uid: [0, alice]\n"
		"        comm: sshd\n"
		"  - id: egress-bypass\n"
		"    on: connect\n"
		"    severity: high\n"
		"    action: block\n"
		"    enabled: false\n"
		"    when:\n"
		"      dest: [\"0.0.0.0/0\", \"::/0\"]\n"
		"      proto: tcp\n"
		"    unless:\n"
		"      - dest: [10.1.2.3/8, \"[2001:db8::1/32]:443\", 192.0.2.10:3128, '::1', \"[::1]:1-1023\"]\n"
		"  - id: shell-2\n"
		"    on: exec\n"
		"    severity: info\n"
		"    when:\n"
		"      exe: $empty\n"
		"      args: '* -c *'\n"
		"      parent_exe: /usr/bin/python3*\n"
		"      ancestor_exe: [/usr/sbin/cron]\n"
		"      cgroup: /system.slice/**\n");
	assert_int_equal(set->n_rules, 3);
	assert_int_equal(strncmp(set->digest, "sha256:", 7), 0);
	assert_int_equal(strlen(set->digest), 71);

	r = &set->rules[0];
	assert_string_equal(r->id, "secret-file-access");
	assert_string_equal(r->description,
			    "A process outside the approved set opened a credential file");
	assert_int_equal(r->on, RULE_ON_FILE);
	assert_int_equal(r->severity, SEV_CRITICAL);
	assert_int_equal(r->action, ACT_ALERT);
	assert_int_equal(r->enabled, 1);
	assert_int_equal(r->n_tags, 2);
	assert_string_equal(r->tags[0], "soc2:CC6.1");
	assert_string_equal(r->tags[1], "mitre:T1552.001");
	assert_string_equal(r->file, "ok.yaml");
	assert_int_equal(r->line, 15);
	f = &r->when.f[F_PATH];
	assert_true(f->present);
	assert_int_equal(f->n, 3);
	assert_string_equal(f->globs[0], "/root/.aws/credentials");
	assert_string_equal(f->globs[1], "/home/*/.aws/credentials");
	assert_string_equal(f->globs[2], "**/.env");
	assert_true(r->when.f[F_ACCESS].present);
	assert_int_equal(r->when.f[F_ACCESS].mask, CEV_ACC_READ | CEV_ACC_WRITE);
	assert_false(r->when.f[F_EXE].present);
	assert_int_equal(r->n_unless, 2);
	f = &r->unless[0].f[F_EXE];
	assert_int_equal(f->n, 4);	/* nested lists flattened in order */
	assert_string_equal(f->globs[0], "/usr/sbin/sshd");
	assert_string_equal(f->globs[1], "/bin/a");
	assert_string_equal(f->globs[2], "/bin/b");
	assert_string_equal(f->globs[3], "/bin/c");
	f = &r->unless[1].f[F_UID];
	assert_int_equal(f->n, 2);
	assert_int_equal(f->uids[0], 0);
	assert_int_equal(f->uids[1], 1000);
	assert_string_equal(r->unless[1].f[F_COMM].globs[0], "sshd");

	r = &set->rules[1];
	assert_string_equal(r->id, "egress-bypass");
	assert_null(r->description);
	assert_int_equal(r->on, RULE_ON_CONNECT);
	assert_int_equal(r->action, ACT_BLOCK);
	assert_int_equal(r->enabled, 0);
	assert_int_equal(r->n_tags, 0);
	assert_int_equal(r->when.f[F_PROTO].mask, PROTO_BIT(CEV_PROTO_TCP));
	f = &r->when.f[F_DEST];
	assert_int_equal(f->n, 2);
	assert_int_equal(f->dests[0].family, AF_INET);
	assert_int_equal(f->dests[0].prefix, 0);
	assert_int_equal(f->dests[0].port_lo, 0);
	assert_int_equal(f->dests[0].port_hi, 65535);
	assert_int_equal(f->dests[1].family, AF_INET6);
	assert_int_equal(f->dests[1].prefix, 0);
	f = &r->unless[0].f[F_DEST];
	assert_int_equal(f->n, 5);
	{
		static const uint8_t ten[4] = { 10, 0, 0, 0 };
		static const uint8_t db8[16] = { 0x20, 0x01, 0x0d, 0xb8 };
		static const uint8_t proxy[4] = { 192, 0, 2, 10 };
		static const uint8_t lo6[16] = { [15] = 1 };

		assert_memory_equal(f->dests[0].addr, ten, 4);	/* host bits zeroed */
		assert_int_equal(f->dests[0].prefix, 8);
		assert_int_equal(f->dests[1].family, AF_INET6);
		assert_memory_equal(f->dests[1].addr, db8, 16);
		assert_int_equal(f->dests[1].prefix, 32);
		assert_int_equal(f->dests[1].port_lo, 443);
		assert_int_equal(f->dests[1].port_hi, 443);
		assert_memory_equal(f->dests[2].addr, proxy, 4);
		assert_int_equal(f->dests[2].prefix, 32);
		assert_int_equal(f->dests[2].port_lo, 3128);
		assert_int_equal(f->dests[3].family, AF_INET6);
		assert_memory_equal(f->dests[3].addr, lo6, 16);
		assert_int_equal(f->dests[3].prefix, 128);
		assert_int_equal(f->dests[3].port_hi, 65535);
		assert_int_equal(f->dests[4].port_lo, 1);
		assert_int_equal(f->dests[4].port_hi, 1023);
	}

	r = &set->rules[2];
	assert_int_equal(r->on, RULE_ON_EXEC);
	assert_int_equal(r->severity, SEV_INFO);
	assert_true(r->when.f[F_EXE].present);	/* an empty list: never holds */
	assert_int_equal(r->when.f[F_EXE].n, 0);
	assert_string_equal(r->when.f[F_ARGS].globs[0], "* -c *");
	assert_string_equal(r->when.f[F_PARENT_EXE].globs[0], "/usr/bin/python3*");
	assert_string_equal(r->when.f[F_ANCESTOR_EXE].globs[0], "/usr/sbin/cron");
	assert_string_equal(r->when.f[F_CGROUP].globs[0], "/system.slice/**");
	rule_set_free(set);
}

static void test_valid_minimal(void **state)
{
	struct rule_set *set;

	(void)state;
	set = load_ok("custos: 1\n");
	assert_int_equal(set->n_rules, 0);
	rule_set_free(set);
	set = load_ok("custos: 1\nlists:\nrules:\noverrides:\nlists_append:\n");
	assert_int_equal(set->n_rules, 0);
	rule_set_free(set);
	set = load_ok("---\ncustos: 1\nrules:\n"
		      "  - {id: 9lives, on: exec, severity: medium, when: {}}\n"
		      "...\n");
	assert_int_equal(set->n_rules, 1);
	assert_string_equal(set->rules[0].id, "9lives");
	assert_int_equal(set->rules[0].severity, SEV_MEDIUM);
	rule_set_free(set);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(rule_severity_name(SEV_HIGH), "high");
	assert_string_equal(rule_action_name(ACT_BLOCK), "block");
	assert_string_equal(rule_on_name(RULE_ON_CONNECT), "connect");
	assert_string_equal(rule_field_name(F_ANCESTOR_EXE), "ancestor_exe");
	assert_true(rule_field_applies(F_PATH, RULE_ON_FILE));
	assert_false(rule_field_applies(F_PATH, RULE_ON_EXEC));
	assert_true(rule_field_applies(F_UID, RULE_ON_CONNECT));
	assert_false(rule_field_applies(F_ARGS, RULE_ON_CONNECT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_syntax),
		cmocka_unit_test(test_empty_and_version),
		cmocka_unit_test(test_unknown_top_key),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_non_string_key),
		cmocka_unit_test(test_alias),
		cmocka_unit_test(test_unknown_rule_key),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_bad_id),
		cmocka_unit_test(test_duplicate_id_two_files),
		cmocka_unit_test(test_bad_enums),
		cmocka_unit_test(test_when_unless_shapes),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_field_not_for_kind),
		cmocka_unit_test(test_unknown_list),
		cmocka_unit_test(test_list_cycle),
		cmocka_unit_test(test_list_definitions),
		cmocka_unit_test(test_bad_access_proto),
		cmocka_unit_test(test_bad_dest),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_expansion_budget),
		cmocka_unit_test(test_many_names_load_in_linear_time),
		cmocka_unit_test(test_wide_files_and_many_errors_bounded),
		cmocka_unit_test(test_bad_glob),
		cmocka_unit_test(test_bad_uid),
		cmocka_unit_test(test_override_errors),
		cmocka_unit_test(test_lists_append_errors),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_broken_file_no_noise),
		cmocka_unit_test(test_diags_append),
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_valid_minimal),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
