/* SPDX-License-Identifier: Apache-2.0 */
/* test_base.c - the small utilities every module shares (user/base/): the
 * byte-count grammar (size.h) and array growth (vec.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/size.h"
#include "base/vec.h"

static uint64_t sz(const char *s, uint64_t max)
{
	uint64_t v = 0;

	assert_int_equal(size_parse(s, max, &v), 0);
	return v;
}

static void bad(const char *s, uint64_t max)
{
	uint64_t v = 77;

	assert_int_equal(size_parse(s, max, &v), -EINVAL);
	assert_int_equal(v, 77);	/* untouched */
}

static void test_size_grammar(void **state)
{
	(void)state;
	assert_int_equal(sz("4096", 1ull << 40), 4096);
	assert_int_equal(sz("64K", 1ull << 40), 64ull << 10);
	assert_int_equal(sz("64k", 1ull << 40), 64ull << 10);
	assert_int_equal(sz("16M", 1ull << 40), 16ull << 20);
	assert_int_equal(sz("16m", 1ull << 40), 16ull << 20);	/* one grammar: either case */
	assert_int_equal(sz("2G", 1ull << 40), 2ull << 30);
	assert_int_equal(sz("2g", 1ull << 40), 2ull << 30);
	bad("", 1ull << 40);
	bad("0", 1ull << 40);
	bad("0M", 1ull << 40);
	bad("-1", 1ull << 40);
	bad("+1", 1ull << 40);
	bad(" 1", 1ull << 40);
	bad("1 ", 1ull << 40);
	bad("1.5M", 1ull << 40);
	bad("1MB", 1ull << 40);
	bad("1T", 1ull << 40);
	bad("M", 1ull << 40);
	bad("99999999999999999999999", UINT64_MAX);	/* strtoull overflow */
	bad("17179869184G", UINT64_MAX);		/* 2^64 bytes */
	assert_int_equal(sz("1G", 1ull << 30), 1ull << 30);	/* max is inclusive */
	bad("1025M", 1ull << 30);
}

static void test_vec_grow(void **state)
{
	size_t n = 0, cap = 0;
	uint32_t *v = NULL;

	(void)state;
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(vec_grow((void **)&v, n, &cap, sizeof(*v)), 0);
		assert_true(cap > n);
		v[n++] = i;
	}
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(v[i], i);
	assert_int_equal(cap, 1024);
	/* room already there: nothing changes */
	assert_int_equal(vec_grow((void **)&v, 10, &cap, sizeof(*v)), 0);
	assert_int_equal(cap, 1024);
	free(v);
}

static void test_vec_overflow(void **state)
{
	size_t cap = 0;
	void *v = NULL;

	(void)state;
	/* an element count whose bytes overflow size_t is refused, not wrapped */
	assert_int_equal(vec_grow(&v, SIZE_MAX / 8, &cap, 16), -ENOMEM);
	assert_null(v);
	assert_int_equal(cap, 0);
	assert_int_equal(vec_grow(&v, SIZE_MAX, &cap, 1), -ENOMEM);
	assert_int_equal(cap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_grammar),
		cmocka_unit_test(test_vec_grow),
		cmocka_unit_test(test_vec_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
