/* SPDX-License-Identifier: Apache-2.0 */
/* test_filewatch.c - files watched by identity: the agent's table
 * (filters/fileids.h), the glob walker (filters/filewalk.h) and the
 * identity watch without a kernel (filters/filewatch.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filter_maps.h"
#include "filters/fileids.h"
#include "filters/filewalk.h"
#include "filters/filewatch.h"
#include "rules/rules.h"

/* --- the table --------------------------------------------------------- */

static void test_ids_put_get(void **state)
{
	struct file_ids t;
	struct file_id_entry *e;

	file_ids_init(&t, 1000);
	assert_null(file_ids_get(&t, 1, 2, 0));
	assert_int_equal(file_ids_put(&t, 1, 2, 77, FILE_WATCH_FILE, "/a/b", 4), 0);
	e = file_ids_get(&t, 1, 2, 77);
	assert_non_null(e);
	assert_string_equal(e->path, "/a/b");
	assert_int_equal(e->path_len, 4);
	assert_int_equal(e->what, FILE_WATCH_FILE);
	/* another generation is another file; an unknown one matches */
	assert_null(file_ids_get(&t, 1, 2, 78));
	assert_non_null(file_ids_get(&t, 1, 2, 0));
	assert_null(file_ids_get(&t, 2, 2, 77));
	/* put again: path and generation replaced, what or-ed */
	assert_int_equal(file_ids_put(&t, 1, 2, 78, FILE_WATCH_LEARNED, "/c", 2), 0);
	e = file_ids_get(&t, 1, 2, 78);
	assert_string_equal(e->path, "/c");
	assert_int_equal(e->what, FILE_WATCH_FILE | FILE_WATCH_LEARNED);
	assert_int_equal(t.n, 1);
	file_ids_del(&t, e);
	assert_null(file_ids_get(&t, 1, 2, 0));
	assert_int_equal(t.n, 0);
	file_ids_free(&t);
}

/* Thousands of entries: growth, deletions in between, the bound. */
static void test_ids_many(void **state)
{
	struct file_ids t;
	char p[32];
	size_t pos = 0, seen = 0;

	file_ids_init(&t, 5000);
	for (uint64_t i = 0; i < 5000; i++) {
		snprintf(p, sizeof(p), "/f%llu", (unsigned long long)i);
		assert_int_equal(file_ids_put(&t, 8, i, 0, FILE_WATCH_FILE, p, strlen(p)), 0);
		if (i % 3 == 0)
			file_ids_del(&t, file_ids_get(&t, 8, i, 0));
	}
	assert_int_equal(file_ids_put(&t, 9, 1, 0, FILE_WATCH_FILE, "/x", 2), 0);
	for (uint64_t i = 0; i < 5000; i++) {
		struct file_id_entry *e = file_ids_get(&t, 8, i, 0);

		snprintf(p, sizeof(p), "/f%llu", (unsigned long long)i);
		if (i % 3 == 0) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_string_equal(e->path, p);
		}
	}
	while (file_ids_next(&t, &pos))
		seen++;
	assert_int_equal(seen, t.n);
	/* full: refused and counted, an existing one still replaced */
	while (t.n < t.max) {
		snprintf(p, sizeof(p), "/g%zu", t.n);
		assert_int_equal(file_ids_put(&t, 10, t.n, 0, FILE_WATCH_FILE, p, strlen(p)), 0);
	}
	assert_int_equal(file_ids_put(&t, 11, 1, 0, FILE_WATCH_FILE, "/y", 2), -ENOSPC);
	assert_int_equal(t.refused, 1);
	assert_int_equal(file_ids_put(&t, 9, 1, 0, FILE_WATCH_FILE, "/z", 2), 0);
	file_ids_free(&t);
}

/* --- the walker ---------------------------------------------------------- */

static char root[64];

static void touch(const char *rel)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void mk(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0700), 0);
}

static int tree_setup(void **state)
{
	char p[256], q[256];

	snprintf(root, sizeof(root), "/tmp/custos-walk-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	mk("home");
	mk("home/ann");
	mk("home/ann/.aws");
	mk("home/bob");
	mk("home/bob/.aws");
	mk("home/bob/deep");
	mk("home/bob/deep/er");
	mk("evals");
	mk("evals/mmlu");
	touch("home/ann/.aws/credentials");
	touch("home/ann/.aws/config");
	touch("home/bob/.aws/credentials");
	touch("home/bob/deep/er/.env");
	touch("evals/a.jsonl");
	touch("evals/mmlu/b.jsonl");
	/* a link into the tree is neither reported nor followed */
	snprintf(p, sizeof(p), "%s/evals/link", root);
	snprintf(q, sizeof(q), "%s/home", root);
	if (symlink(q, p))
		return -1;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static int tree_teardown(void **state)
{
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct found {
	char paths[16][256];
	size_t n;
};

static int collect(const char *path, size_t len, const struct stat *st, void *ctx)
{
	struct found *f = ctx;

	assert_true(f->n < 16);
	assert_int_equal(strlen(path), len);
	snprintf(f->paths[f->n++], 256, "%s", path + strlen(root));
	return 0;
}

static int has(const struct found *f, const char *rel)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->paths[i], rel) == 0)
			return 1;
	return 0;
}

static void walk(const char *rel_glob, struct found *f, size_t *budget, int want_rc)
{
	char g[256];

	snprintf(g, sizeof(g), "%s%s", root, rel_glob);
	memset(f, 0, sizeof(*f));
	assert_int_equal(filewalk_glob(g, budget, collect, f), want_rc);
}

static void test_walk_components(void **state)
{
	struct found f;
	size_t budget = 1000;

	walk("/home/*/.aws/credentials", &f, &budget, 0);
	assert_int_equal(f.n, 2);
	assert_true(has(&f, "/home/ann/.aws/credentials"));
	assert_true(has(&f, "/home/bob/.aws/credentials"));
	walk("/home/ann/.aws/c*", &f, &budget, 0);
	assert_int_equal(f.n, 2);
	walk("/home/[a]nn/.aws/config", &f, &budget, 0);
	assert_int_equal(f.n, 1);
	walk("/home/nobody/.aws/credentials", &f, &budget, 0);
	assert_int_equal(f.n, 0);
	/* the directory itself is not a file */
	walk("/home/ann/.aws", &f, &budget, 0);
	assert_int_equal(f.n, 0);
}

static void test_walk_subtree(void **state)
{
	struct found f;
	size_t budget = 1000;

	walk("/evals/**", &f, &budget, 0);
	assert_int_equal(f.n, 2);	/* not through the link */
	assert_true(has(&f, "/evals/a.jsonl"));
	assert_true(has(&f, "/evals/mmlu/b.jsonl"));
	walk("/home/**/.env", &f, &budget, 0);
	assert_int_equal(f.n, 1);
	assert_true(has(&f, "/home/bob/deep/er/.env"));
	/* not absolute: nothing to walk */
	assert_int_equal(filewalk_glob("**/.env", &budget, collect, &f), -EINVAL);
}

/* A budget smaller than the tree: cut, and says so. */
static void test_walk_budget(void **state)
{
	struct found f;
	size_t budget = 3;

	walk("/home/**", &f, &budget, 1);
	assert_int_equal(budget, 0);
	assert_true(f.n < 4);
}

/* --- the watch, without a kernel ----------------------------------------- */

static struct rule_set *load_rules(const char *paths)
{
	char yaml[1024];
	struct rule_source src;
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;

	snprintf(yaml, sizeof(yaml),
		 "custos: 1\nrules:\n  - id: r1\n    on: file\n    severity: high\n"
		 "    when:\n      path: [%s]\n", paths);
	src = (struct rule_source){ "t.yaml", yaml, strlen(yaml) };
	assert_int_equal(rule_set_load(&src, 1, NULL, &set, &d), 0);
	rule_diags_free(&d);
	return set;
}

static const struct file_id_entry *lookup_path(const struct filewatch *w, const char *rel)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	if (stat(p, &st))
		return NULL;
	for (size_t pos = 0;;) {
		const struct file_id_entry *e = file_ids_next(&w->ids, &pos);

		if (!e)
			return NULL;
		if (e->ino == st.st_ino)
			return e;
	}
}

/*
 * The walk fills the table with each file's path; a reload with other
 * rules drops what no rule names, keeps what was learned and is still
 * named, and drops what was learned and is not.
 */
static void test_watch_apply(void **state)
{
	char a[512], b[512], err[256];
	struct filewatch w;
	struct rule_set *rs;
	const struct file_id_entry *e;

	snprintf(a, sizeof(a), "\"%s/home/*/.aws/credentials\", \"%s/evals/**\"", root, root);
	rs = load_rules(a);
	filewatch_init(&w);
	assert_int_equal(filewatch_apply(&w, NULL, rs, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(w.walked, 4);
	assert_int_equal(w.ids.n, 4);
	e = lookup_path(&w, "/evals/mmlu/b.jsonl");
	assert_non_null(e);
	assert_string_equal(e->path + strlen(root), "/evals/mmlu/b.jsonl");
	assert_int_equal(e->what, FILE_WATCH_FILE);
	/* learned while running: one still named after the reload, one not */
	assert_int_equal(filewatch_learn(&w, NULL, 1, 100, 0, FILE_WATCH_LEARNED,
					 "/elsewhere/x", 12), 0);
	snprintf(b, sizeof(b), "%s/evals/new.jsonl", root);
	assert_int_equal(filewatch_learn(&w, NULL, 1, 101, 0, FILE_WATCH_ADDED, b, strlen(b)), 0);
	assert_non_null(filewatch_lookup(&w, 1, 100, 0));
	rule_set_free(rs);

	snprintf(a, sizeof(a), "\"%s/evals/**\"", root);
	rs = load_rules(a);
	assert_int_equal(filewatch_apply(&w, NULL, rs, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(w.walked, 2);
	assert_null(lookup_path(&w, "/home/ann/.aws/credentials"));
	assert_non_null(lookup_path(&w, "/evals/a.jsonl"));
	assert_null(filewatch_lookup(&w, 1, 100, 0));
	e = filewatch_lookup(&w, 1, 101, 0);
	assert_non_null(e);
	assert_int_equal(e->what, FILE_WATCH_ADDED);
	assert_int_equal(w.ids.n, 3);
	rule_set_free(rs);
	filewatch_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_put_get),
		cmocka_unit_test(test_ids_many),
		cmocka_unit_test(test_walk_components),
		cmocka_unit_test(test_walk_subtree),
		cmocka_unit_test(test_walk_budget),
		cmocka_unit_test(test_watch_apply),
	};

	return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
