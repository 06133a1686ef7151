/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_classes.c - lineage classes in the kernel's numbering (agent/classes.h):
 * a class keeps its slot across reloads while a rule names its values; a
 * freed slot is cleared from the cache before another class takes it; the
 * cache's lineage after forks and execs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "agent/classes.h"

#define SEC 1000000000ull

static struct rule_set *load(const char *yaml)
{
	struct rule_source s = { "t.yaml", yaml, strlen(yaml) };
	struct rule_set *set = NULL;

	assert_int_equal(rule_set_load(&s, 1, NULL, &set, NULL), 0);
	return set;
}

#define RULE(id, anc) \
	"  - id: " id "\n    on: exec\n    severity: low\n    when:\n      ancestor_exe: " anc "\n"

static const char set_a[] = "custos: 1\nrules:\n" RULE("a", "\"/opt/a/**\"") RULE("b", "\"/opt/b/**\"");
static const char set_b[] = "custos: 1\nrules:\n" RULE("c", "\"/opt/c/**\"") RULE("b", "\"/opt/b/**\"");

static void test_slots_survive_reloads(void **state)
{
	struct proc_cache procs;
	struct classes k;
	struct rule_set *a = load(set_a), *b = load(set_b);
	const struct proc_entry *e;
	int slot_a, slot_b;

	assert_int_equal(proc_cache_init(&procs, 16), 0);
	classes_init(&k, -1);
	assert_int_equal(classes_plan(&k, a), 0);
	assert_int_equal(classes_commit(&k, a, &procs), 0);
	slot_a = k.slot_of[0];
	slot_b = k.slot_of[1];
	assert_true(slot_a >= 0 && slot_b >= 0 && slot_a != slot_b);

	/* a server of class b, and a process forked from it */
	assert_int_equal(proc_cache_exec(&procs, 10, SEC, "/opt/b/srv", 10, 0, "", 0, 0, 0), 0);
	e = proc_cache_lookup(&procs, 10, SEC);
	classes_after(&k, &procs, e, 0, 1);
	assert_int_equal(e->self, 1ULL << slot_b);
	assert_int_equal(proc_cache_fork(&procs, 11, 10, 2 * SEC), 0);
	e = proc_cache_lookup(&procs, 11, 2 * SEC);
	classes_after(&k, &procs, e, 0, 0);
	assert_int_equal(e->lineage, 1ULL << slot_b);
	/* the kernel's bits (say the cache forgot them) join the cache's */
	classes_after(&k, &procs, e, 1ULL << slot_a, 0);
	assert_int_equal(e->lineage, (1ULL << slot_b) | (1ULL << slot_a));
	assert_int_equal(classes_local(&k, e->lineage), 3);

	/* reload: b keeps its slot; a's slot is cleared before c may take it */
	assert_int_equal(classes_plan(&k, b), 0);
	assert_int_equal(b->class_slot[1], slot_b);	/* planned, not yet in force */
	e = proc_cache_lookup(&procs, 11, 2 * SEC);
	assert_int_equal(e->lineage, (1ULL << slot_b) | (1ULL << slot_a));
	assert_int_equal(classes_commit(&k, b, &procs), 0);
	assert_int_equal(k.slot_of[1], slot_b);
	assert_true(k.slot_of[0] >= 0 && k.slot_of[0] != slot_b);
	e = proc_cache_lookup(&procs, 11, 2 * SEC);
	assert_int_equal(e->lineage, 1ULL << slot_b);
	assert_int_equal(classes_local(&k, e->lineage), 2);	/* rule set b: class 1 */

	/* a program of class c, found by the sync of every live process */
	assert_int_equal(proc_cache_exec(&procs, 12, 3 * SEC, "/opt/c/x", 8, 0, "", 0, 0, 0), 0);
	assert_int_equal(proc_cache_fork(&procs, 13, 12, 4 * SEC), 0);
	classes_sync(&k, &procs);
	e = proc_cache_lookup(&procs, 13, 4 * SEC);
	assert_int_equal(classes_local(&k, e->lineage), 1);
	classes_free(&k);
	proc_cache_free(&procs);
	rule_set_free(a);
	rule_set_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_survive_reloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
