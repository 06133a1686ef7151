/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lossby.c - a loss record's by.severity and by.rules from the rule
 * masks of the records lost (user/agent/lossby.c): each record once under
 * its highest severity, every rule it names counted, the top five, and the
 * counts adding up to what was lost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "agent/lossby.h"

static struct rule mk(const char *id, enum rule_severity sev)
{
	struct rule r;

	memset(&r, 0, sizeof(r));
	r.id = (char *)id;
	r.severity = sev;
	return r;
}

static uint64_t sum(const struct cev_loss *l)
{
	uint64_t n = 0;

	for (int s = 0; s < CEV_LOSS_SEV__COUNT; s++)
		n += l->by_severity[s];
	return n;
}

/* A record naming a low and a critical rule: once under critical, both rules count it. */
static void test_highest_severity_once(void **state)
{
	struct rule low = mk("dotenv", SEV_LOW), crit = mk("secret", SEV_CRITICAL);
	struct filter_slots s = { .gen = 7 };
	struct lossby b;
	struct cev_loss l = { 0 };

	(void)state;
	s.rule[0] = &low;
	s.rule[5] = &crit;
	lossby_init(&b);
	lossby_add(&b, EV_FILE, 1ULL << 0 | 1ULL << 5, 7, &s, 30);
	lossby_add(&b, EV_FILE, 1ULL << 0, 7, &s, 12);
	lossby_finish(&b, &l);
	assert_int_equal(l.by_severity[CEV_LOSS_SEV_CRITICAL], 30);
	assert_int_equal(l.by_severity[CEV_LOSS_SEV_LOW], 12);
	assert_int_equal(sum(&l), 42);
	assert_int_equal(l.n_rules, 2);
	assert_string_equal(l.rules[0].rule, "dotenv");
	assert_string_equal(l.rules[0].severity, "low");
	assert_int_equal(l.rules[0].lost, 42);
	assert_string_equal(l.rules[1].rule, "secret");
	assert_string_equal(l.rules[1].severity, "critical");
	assert_int_equal(l.rules[1].lost, 30);
}

/* fork and exit: "none"; no mask, another rule set, an empty slot, no table: "unknown". */
static void test_none_and_unknown(void **state)
{
	struct rule r = mk("egress", SEV_HIGH);
	struct filter_slots s = { .gen = 3 };
	struct lossby b;
	struct cev_loss l = { 0 };

	(void)state;
	s.rule[1] = &r;
	lossby_init(&b);
	lossby_add(&b, EV_FORK, 0, 0, NULL, 4);
	lossby_add(&b, EV_EXIT, 0, 0, NULL, 5);
	lossby_add(&b, EV_FILE, 0, 0, &s, 100);		/* a file monitor record */
	lossby_add(&b, EV_CONNECT, 1ULL << 1, 2, &s, 6);	/* numbered by gen 2 */
	lossby_add(&b, EV_CONNECT, 1ULL << 2, 3, &s, 7);	/* slot 2 is no rule */
	lossby_add(&b, EV_IOURING, 0, 0, NULL, 8);
	lossby_add(&b, EV_CONNECT, 1ULL << 1, 3, &s, 9);
	lossby_add(&b, EV_CONNECT, 1ULL << 1, 3, &s, 0);	/* nothing */
	lossby_unknown(&b, 10);
	lossby_finish(&b, &l);
	assert_int_equal(l.by_severity[CEV_LOSS_SEV_NONE], 9);
	assert_int_equal(l.by_severity[CEV_LOSS_SEV_UNKNOWN], 100 + 6 + 7 + 8 + 10);
	assert_int_equal(l.by_severity[CEV_LOSS_SEV_HIGH], 9);
	assert_int_equal(sum(&l), 4 + 5 + 100 + 6 + 7 + 8 + 9 + 10);
	assert_int_equal(l.n_rules, 1);
	assert_string_equal(l.rules[0].rule, "egress");
	assert_int_equal(l.rules[0].lost, 9);

	lossby_init(&b);
	memset(&l, 0, sizeof(l));
	lossby_finish(&b, &l);
	assert_int_equal(sum(&l), 0);
	assert_int_equal(l.n_rules, 0);
	assert_null(l.rules);
}

/* Seven rules: the five that lost most, most first, ties by id. */
static void test_top_five(void **state)
{
	struct rule r[7] = {
		mk("a", SEV_INFO), mk("b", SEV_LOW), mk("c", SEV_MEDIUM), mk("d", SEV_HIGH),
		mk("e", SEV_CRITICAL), mk("f", SEV_LOW), mk("g", SEV_LOW),
	};
	static const uint64_t lost[7] = { 5, 50, 20, 20, 1, 70, 20 };
	struct filter_slots s = { .gen = 1 };
	struct lossby b;
	struct cev_loss l = { 0 };

	(void)state;
	lossby_init(&b);
	for (int i = 0; i < 7; i++) {
		s.rule[10 + i] = &r[i];
		lossby_add(&b, EV_EXEC, 1ULL << (10 + i), 1, &s, lost[i]);
	}
	lossby_finish(&b, &l);
	assert_int_equal(l.n_rules, CEV_LOSS_TOP_RULES);
	assert_string_equal(l.rules[0].rule, "f");
	assert_int_equal(l.rules[0].lost, 70);
	assert_string_equal(l.rules[1].rule, "b");
	assert_string_equal(l.rules[2].rule, "c");
	assert_string_equal(l.rules[3].rule, "d");
	assert_string_equal(l.rules[3].severity, "high");
	assert_string_equal(l.rules[4].rule, "g");
	assert_int_equal(l.rules[4].lost, 20);
	assert_int_equal(l.by_severity[CEV_LOSS_SEV_LOW], 140);
	assert_int_equal(l.by_severity[CEV_LOSS_SEV_INFO], 5);
	assert_int_equal(l.by_severity[CEV_LOSS_SEV_CRITICAL], 1);
	assert_int_equal(sum(&l), 186);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_highest_severity_once),
		cmocka_unit_test(test_none_and_unknown),
		cmocka_unit_test(test_top_five),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
