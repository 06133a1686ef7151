/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rules_labels.c - data-flow labels in rule files: set_labels,
 * label_ttl, action: label, the labels field, what is refused and where.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

static struct rule_set *load(const char *yaml)
{
	struct rule_source s = { "t.yaml", yaml, strlen(yaml) };
	struct rule_set *set = NULL;

	assert_int_equal(rule_set_load(&s, 1, NULL, &set, NULL), 0);
	return set;
}

/* The first diagnostic of a file that must not load. */
static void assert_error(const char *yaml, const char *want)
{
	struct rule_source s = { "t.yaml", yaml, strlen(yaml) };
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;
	char buf[512];

	assert_int_equal(rule_set_load(&s, 1, NULL, &set, &d), -EINVAL);
	assert_null(set);
	assert_true(d.n >= 1);
	rule_diag_format(&d.v[0], buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("got:  %s\nwant: %s", buf, want);
	rule_diags_free(&d);
}

static const char flows[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: eval-read\n"
	"    on: file\n"
	"    severity: info\n"
	"    action: label\n"
	"    set_labels: [eval-reader]\n"
	"    label_ttl: 1h\n"
	"    when:\n"
	"      path: /srv/eval/**\n"
	"  - id: secret-read\n"
	"    on: file\n"
	"    severity: high\n"
	"    set_labels: secret-reader\n"
	"    when:\n"
	"      path: /srv/secret\n"
	"  - id: eval-egress\n"
	"    on: connect\n"
	"    severity: critical\n"
	"    when:\n"
	"      labels: [eval-reader, secret-reader]\n"
	"      dest: 0.0.0.0/0\n"
	"    unless:\n"
	"      - labels: [cleared]\n";

static void test_keys_and_numbering(void **state)
{
	struct rule_set *set = load(flows);

	assert_int_equal(set->n_labels, 3);
	assert_string_equal(set->labels[0], "eval-reader");
	assert_string_equal(set->labels[1], "secret-reader");
	assert_string_equal(set->labels[2], "cleared");
	assert_int_equal(set->rules[0].action, ACT_LABEL);
	assert_int_equal(set->rules[0].set_labels, 1);
	assert_int_equal(set->rules[0].label_ttl_ns, 3600ull * 1000000000ull);
	assert_int_equal(set->rules[1].set_labels, 2);
	assert_int_equal(set->rules[1].label_ttl_ns, 0);
	assert_int_equal(set->rules[2].when.f[F_LABELS].labels, 3);
	assert_int_equal(set->rules[2].unless[0].f[F_LABELS].labels, 4);
	assert_int_equal(rule_set_label_bit(set, "secret-reader"), 2);
	assert_int_equal(rule_set_label_bit(set, "nope"), 0);
	assert_int_equal(set->label_slot[2], 2);	/* the set's own numbering */
	assert_int_equal(set->label_slot[3], -1);
	assert_string_equal(rule_action_name(ACT_LABEL), "label");
	rule_set_free(set);
}

/* labels holds when the process carries any of them; in unless too. */
static void test_matching(void **state)
{
	struct rule_set *set = load(flows);
	struct cev_event ev = { .kind = CEV_CONNECT };
	const struct rule *h[4];

	ev.conn.family = 2;
	ev.conn.proto = 6;
	ev.conn.addr[0] = 203;
	assert_int_equal(rule_set_match(set, &ev, h, 4), 0);
	ev.labels = 2;	/* secret-reader */
	assert_int_equal(rule_set_match(set, &ev, h, 4), 1);
	assert_string_equal(h[0]->id, "eval-egress");
	ev.labels = 2 | 4;	/* and cleared */
	assert_int_equal(rule_set_match(set, &ev, h, 4), 0);
	rule_set_free(set);
}

#define RULE_HEAD "custos: 1\nrules:\n  - id: r\n    severity: low\n"

/* set_labels on a rule of every kind: exec and connect rules' labels are the agent's to set. */
static void test_any_rule_sets_labels(void **state)
{
	struct rule_set *set = load(RULE_HEAD "    on: exec\n    set_labels: [ran-shell]\n"
				    "    when: {exe: /bin/sh}\n"
				    "  - id: c\n    on: connect\n    severity: low\n    action: label\n"
				    "    set_labels: [contacted]\n    label_ttl: 1h\n"
				    "    when: {dest: 127.0.0.5}\n");

	assert_int_equal(set->n_rules, 2);
	assert_int_equal(set->rules[0].set_labels, rule_set_label_bit(set, "ran-shell"));
	assert_int_equal(set->rules[1].set_labels, rule_set_label_bit(set, "contacted"));
	assert_int_equal(set->rules[1].action, ACT_LABEL);
	assert_true(set->rules[1].label_ttl_ns == 3600ull * 1000000000ull);
	rule_set_free(set);
}

static void test_refused(void **state)
{
	assert_error(RULE_HEAD "    on: file\n    action: label\n    when: {path: /x}\n",
		     "t.yaml:6:13: error: rule 'r': action label sets labels and reports nothing: "
		     "it needs set_labels");
	assert_error(RULE_HEAD "    on: file\n    set_labels: [x]\n    label_ttl: 1w\n"
		     "    when: {path: /x}\n",
		     "t.yaml:7:16: error: label_ttl '1w' is not a duration (e.g. 30s, 15m, 1h, 7d)");
	assert_error(RULE_HEAD "    on: file\n    label_ttl: 1h\n    when: {path: /x}\n",
		     "t.yaml:6:16: error: label_ttl without set_labels: the rule sets no label");
	assert_error(RULE_HEAD "    on: file\n    set_labels: [Bad_Name]\n    when: {path: /x}\n",
		     "t.yaml:6:18: error: label 'Bad_Name' is invalid (use lowercase letters, "
		     "digits and '-', starting with a letter or digit)");
	assert_error(RULE_HEAD "    on: file\n    set_labels: [a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q]\n"
		     "    when: {path: /x}\n",
		     "t.yaml:6:50: error: label 'q': more than 16 labels across the rules (the "
		     "kernel keeps 16 per process)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_and_numbering),
		cmocka_unit_test(test_any_rule_sets_labels),
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
