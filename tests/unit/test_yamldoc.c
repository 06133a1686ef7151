/* SPDX-License-Identifier: Apache-2.0 */
/* test_yamldoc.c - a YAML file as a document (user/base/yamldoc.h): the
 * accessors, and the FILE:LINE:COL form of its errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/yamldoc.h"

/* reads text as the document of a file named "t.yaml" */
static int read_text(struct yamldoc *d, const char *text, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = yamldoc_read(d, f, "t.yaml", err, errlen);
	fclose(f);
	return rc;
}

static void test_accessors(void **state)
{
	struct yamldoc d;
	char err[256] = "";
	yaml_node_t *root, *list;

	(void)state;
	assert_int_equal(read_text(&d, "a: 1\nb: [x, \"y\\0z\"]\nc: {d: e}\n", err,
				   sizeof(err)), 0);
	root = yamldoc_root(&d);
	assert_non_null(root);
	assert_string_equal(yamldoc_scalar(yamldoc_get(&d, root, "a")), "1");
	assert_null(yamldoc_get(&d, root, "z"));
	assert_null(yamldoc_scalar(yamldoc_get(&d, root, "b")));	/* a list */
	list = yamldoc_get(&d, root, "b");
	assert_int_equal(list->type, YAML_SEQUENCE_NODE);
	assert_true(yamldoc_scalar_is(yamldoc_node(&d, list->data.sequence.items.start[0]), "x"));
	/* "y\0z": strcmp would see "y"; byte for byte it is not */
	assert_false(yamldoc_scalar_is(yamldoc_node(&d, list->data.sequence.items.start[1]), "y"));
	assert_string_equal(yamldoc_scalar(yamldoc_get(&d, yamldoc_get(&d, root, "c"), "d")), "e");
	assert_null(yamldoc_get(&d, list, "x"));	/* not a mapping */
	assert_null(yamldoc_scalar(NULL));
	yamldoc_free(&d);
}

static void test_errors_name_file_line_col(void **state)
{
	struct yamldoc d;
	char err[256] = "";

	(void)state;
	assert_int_equal(read_text(&d, "a: 1\nb: [x\n", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:3:1: error: did not find expected ',' or ']'");

	assert_int_equal(read_text(&d, "a: 1\nb: 2\n", err, sizeof(err)), 0);
	assert_int_equal(yamldoc_fail(&d, yamldoc_root(&d), err, sizeof(err), "bad %s", "thing"),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:1:1: error: bad thing");
	yamldoc_free(&d);

	assert_int_equal(read_text(&d, "\n\nkey:   value\n", err, sizeof(err)), 0);
	yamldoc_fail(&d, yamldoc_get(&d, yamldoc_root(&d), "key"), err, sizeof(err), "no");
	assert_string_equal(err, "t.yaml:3:8: error: no");
	yamldoc_fail(&d, NULL, err, sizeof(err), "empty");
	assert_string_equal(err, "t.yaml:1:1: error: empty");
	yamldoc_free(&d);
}

static void test_empty_file_has_no_root(void **state)
{
	struct yamldoc d;
	char err[64] = "";

	(void)state;
	assert_int_equal(read_text(&d, "", err, sizeof(err)), 0);
	assert_null(yamldoc_root(&d));
	assert_null(yamldoc_get(&d, yamldoc_root(&d), "a"));
	yamldoc_free(&d);
}

/* n levels of flow sequences, "[[...]]" */
static char *nested(size_t n)
{
	char *s = malloc(2 * n + 1);

	assert_non_null(s);
	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	return s;
}

/* 64 levels load; 65 are refused at the 65th; 40,000 (80 KB, 5.9 s for the
 * loader) are refused as fast, before any document is built */
static void test_nesting_is_bounded(void **state)
{
	struct yamldoc d;
	char err[256] = "";
	char *s = nested(YAMLDOC_MAX_DEPTH);
	struct timespec t0, t1;

	(void)state;
	assert_int_equal(read_text(&d, s, err, sizeof(err)), 0);
	yamldoc_free(&d);
	free(s);
	s = nested(YAMLDOC_MAX_DEPTH + 1);
	assert_int_equal(read_text(&d, s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:65: error: nesting deeper than 64 levels");
	free(s);
	s = nested(40000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(read_text(&d, s, err, sizeof(err)), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
	free(s);
}

/* an alias can multiply a few bytes into gigabytes of walking: refused */
static void test_aliases_refused(void **state)
{
	struct yamldoc d;
	char err[256] = "";

	(void)state;
	assert_int_equal(read_text(&d, "a: &x [1, 2]\nb: [*x, *x]\n", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:2:5: error: yaml aliases are not supported (write the value out)");
}

/* a million nodes load, one more is refused before the document is built */
static void test_nodes_are_bounded(void **state)
{
	struct yamldoc d;
	char err[256] = "";
	size_t n = YAMLDOC_MAX_NODES;	/* the list itself and n - 1 values */
	char *s = malloc(2 * n + 2);

	(void)state;
	assert_non_null(s);
	s[0] = '[';
	for (size_t i = 0; i < n - 1; i++) {
		s[1 + 2 * i] = 'x';
		s[2 + 2 * i] = i + 2 < n ? ',' : ']';
	}
	s[2 * n - 1] = '\0';
	assert_int_equal(read_text(&d, s, err, sizeof(err)), 0);
	yamldoc_free(&d);
	s[2 * n - 2] = ',';
	s[2 * n - 1] = 'x';
	s[2 * n] = ']';
	s[2 * n + 1] = '\0';
	assert_int_equal(read_text(&d, s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:2000000: error: more than 1000000 values, lists and mappings");
	free(s);
}

/* a file past YAMLDOC_MAX_BYTES is refused without being parsed */
static void test_size_is_bounded(void **state)
{
	struct yamldoc d;
	char err[256] = "";
	size_t n = (size_t)YAMLDOC_MAX_BYTES + 1;
	char *s = malloc(n + 1);
	FILE *f;

	(void)state;
	assert_non_null(s);
	memset(s, '#', n);
	s[n] = '\0';
	f = fmemopen(s, n, "r");
	assert_non_null(f);
	assert_int_equal(yamldoc_read(&d, f, "t.yaml", err, sizeof(err)), -EINVAL);
	fclose(f);
	assert_string_equal(err, "t.yaml: error: larger than 16777216 bytes");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_errors_name_file_line_col),
		cmocka_unit_test(test_empty_file_has_no_root),
		cmocka_unit_test(test_nesting_is_bounded),
		cmocka_unit_test(test_aliases_refused),
		cmocka_unit_test(test_size_is_bounded),
		cmocka_unit_test(test_nodes_are_bounded),
	};

	return cmocka_run_group_tests_name("yamldoc", tests, NULL, NULL);
}
