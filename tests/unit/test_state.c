/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_state.c - what one agent run leaves to the next (user/agent/state.c):
 * the state line round trip, a damaged line refused, the directory's lock,
 * and a run id.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/state.h"

static void test_line_round_trip(void **state)
{
	struct state_rec r = { .seq = 12345, .alive_ns = 1795417923123456789ull, .clean = 1 };
	struct state_rec back;
	char line[512];

	(void)state;
	strcpy(r.chain, "sha256:00ff");
	strcpy(r.run, "0123456789abcdef0123456789abcdef");
	strcpy(r.boot, "3f959951-04f4-40df-8d83-46e45a2d746f");
	assert_int_equal(state_format(&r, line, sizeof(line)), 0);
	assert_int_equal(line[sizeof(line) - 1], '\n');
	assert_int_equal(state_parse(line, sizeof(line), &back), 0);
	assert_int_equal(back.seq, 12345);
	assert_int_equal(back.alive_ns, 1795417923123456789ull);
	assert_int_equal(back.clean, 1);
	assert_string_equal(back.chain, "sha256:00ff");
	assert_string_equal(back.run, r.run);
	assert_string_equal(back.boot, r.boot);
	/* a run that has not stopped, before its first record */
	memset(&r, 0, sizeof(r));
	assert_int_equal(state_format(&r, line, sizeof(line)), 0);
	assert_int_equal(state_parse(line, sizeof(line), &back), 0);
	assert_int_equal(back.clean, 0);
	assert_string_equal(back.chain, "");
	/* one byte changed: the sum refuses the line */
	strcpy(r.chain, "sha256:00ff");
	r.seq = 7;
	assert_int_equal(state_format(&r, line, sizeof(line)), 0);
	*strstr(line, "seq=7") = 'x';
	assert_int_equal(state_parse(line, sizeof(line), &back), -EINVAL);
	assert_int_equal(state_parse("garbage", 7, &back), -EINVAL);
}

static void test_dir_lock_and_continuation(void **state)
{
	char top[] = "/tmp/custos-state-XXXXXX", dir[128], err[512];
	struct state a, b;
	struct state_rec r = { .seq = 41 };

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s/var/lib/custos", top);	/* parents made too */
	assert_int_equal(state_open(&a, dir, err, sizeof(err)), 0);
	assert_false(a.found);
	strcpy(r.chain, "sha256:aa");
	assert_int_equal(state_save(&a, &r), 0);
	/* a second agent on the same directory is refused */
	assert_int_equal(state_open(&b, dir, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "another custos agent uses the state directory"));
	state_free(&a);
	/* the next run finds what the last one left */
	assert_int_equal(state_open(&b, dir, err, sizeof(err)), 0);
	assert_true(b.found);
	assert_int_equal(b.prev.seq, 41);
	assert_string_equal(b.prev.chain, "sha256:aa");
	assert_false(b.prev.clean);
	state_free(&b);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		assert_int_equal(system(cmd), 0);
	}
}

static void test_run_id(void **state)
{
	char a[STATE_RUN_SIZE], b[STATE_RUN_SIZE];

	(void)state;
	assert_int_equal(state_new_run_id(a), 0);
	assert_int_equal(state_new_run_id(b), 0);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_round_trip),
		cmocka_unit_test(test_dir_lock_and_continuation),
		cmocka_unit_test(test_run_id),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
