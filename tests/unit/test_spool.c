/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_spool.c - the forward sink's durable queue (user/sinks/spool.c) in a
 * temporary directory: order and tag runs, consume and reopen, the bound,
 * a record cut short by a crash, and the exact bytes of the files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sinks/spool.h"

struct tmp {
	char dir[64];
	char dat[96];
	char pos[96];
};

static void tmp_make(struct tmp *t)
{
	strcpy(t->dir, "/tmp/custos-spool-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->dat, sizeof(t->dat), "%s/q/spool.dat", t->dir);
	snprintf(t->pos, sizeof(t->pos), "%s/q/spool.pos", t->dir);
}

static void tmp_remove(struct tmp *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static struct spool *open_q(struct tmp *t, uint64_t max)
{
	char dir[80], err[256] = "";
	struct spool *sp = NULL;

	snprintf(dir, sizeof(dir), "%s/q", t->dir);
	assert_int_equal(spool_open(dir, max, &sp, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(sp);
	return sp;
}

static void append(struct spool *sp, const char *tag, const char *data, uint64_t want_dropped)
{
	uint64_t dropped = 99;

	assert_int_equal(spool_append(sp, tag, data, strlen(data), &dropped), 0);
	assert_int_equal(dropped, want_dropped);
}

/* Peeks and checks the batch is exactly tags[i]/datas[i], then frees it. */
static void expect_peek(struct spool *sp, size_t max, size_t max_bytes, size_t n,
			const char *const *tags, const char *const *datas)
{
	struct spool_rec recs[8];
	size_t got = 99;

	assert_int_equal(spool_peek(sp, recs, max, max_bytes, &got), 0);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(recs[i].tag, tags[i]);
		assert_int_equal(recs[i].len, strlen(datas[i]));
		assert_memory_equal(recs[i].data, datas[i], recs[i].len);
		free(recs[i].tag);
		free(recs[i].data);
	}
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_order_tags_and_limits(void **state)
{
	static const char *const tags[] = { "t.a", "t.a", "t.a" };
	static const char *const datas[] = { "one", "two", "three" };
	static const char *const tag_b[] = { "t.b" };
	static const char *const data_b[] = { "four" };
	struct tmp t;
	struct spool *sp;

	(void)state;
	tmp_make(&t);
	sp = open_q(&t, 1 << 20);
	assert_int_equal(spool_count(sp), 0);
	append(sp, "t.a", "one", 0);
	append(sp, "t.a", "two", 0);
	append(sp, "t.a", "three", 0);
	append(sp, "t.b", "four", 0);
	assert_int_equal(spool_count(sp), 4);
	/* a batch stops at another tag, at max, and at max_bytes (but holds one) */
	expect_peek(sp, 8, 1 << 20, 3, tags, datas);
	expect_peek(sp, 2, 1 << 20, 2, tags, datas);
	expect_peek(sp, 8, 6, 2, tags, datas);		/* 3 + 3 fit, + 5 does not */
	expect_peek(sp, 8, 1, 1, tags, datas);
	/* peeking consumes nothing; consuming moves on */
	assert_int_equal(spool_consume(sp, 3), 0);
	assert_int_equal(spool_count(sp), 1);
	expect_peek(sp, 8, 1 << 20, 1, tag_b, data_b);
	assert_int_equal(spool_consume(sp, 5), 0);	/* more than live: all */
	assert_int_equal(spool_count(sp), 0);
	expect_peek(sp, 8, 1 << 20, 0, NULL, NULL);
	spool_close(sp);
	tmp_remove(&t);
}

static void test_file_format(void **state)
{
	static const unsigned char rec[] = {
		'C', 'S', 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 't', '.', 'a', 'h', 'i',
	};
	unsigned char got[64], pos[16];
	struct stat st;
	struct tmp t;
	struct spool *sp;
	int fd;

	(void)state;
	tmp_make(&t);
	sp = open_q(&t, 1 << 20);
	append(sp, "t.a", "hi", 0);
	append(sp, "t.a", "hi", 0);
	assert_int_equal(spool_consume(sp, 1), 0);
	spool_close(sp);
	/* two records back to back, big-endian lengths */
	fd = open(t.dat, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, sizeof(got)), 2 * sizeof(rec));
	close(fd);
	assert_memory_equal(got, rec, sizeof(rec));
	assert_memory_equal(got + sizeof(rec), rec, sizeof(rec));
	/* spool.pos: the inode of spool.dat, then the offset of the live record */
	assert_int_equal(stat(t.dat, &st), 0);
	fd = open(t.pos, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, pos, sizeof(pos)), sizeof(pos));
	close(fd);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pos[i], (unsigned char)((uint64_t)st.st_ino >> (56 - 8 * i)));
		assert_int_equal(pos[8 + i], i == 7 ? sizeof(rec) : 0);
	}
	tmp_remove(&t);
}

static void test_reopen_keeps_unconsumed_and_drops_torn(void **state)
{
	static const char *const tags[] = { "x", "x" };
	static const char *const datas[] = { "second", "third" };
	struct tmp t;
	struct spool *sp;

	(void)state;
	tmp_make(&t);
	sp = open_q(&t, 1 << 20);
	append(sp, "x", "first", 0);
	append(sp, "x", "second", 0);
	append(sp, "x", "third", 0);
	assert_int_equal(spool_consume(sp, 1), 0);
	spool_close(sp);

	sp = open_q(&t, 1 << 20);
	assert_int_equal(spool_count(sp), 2);
	expect_peek(sp, 8, 1 << 20, 2, tags, datas);
	spool_close(sp);

	/* the last record cut short, as by a crash mid-append */
	assert_int_equal(truncate(t.dat, file_size(t.dat) - 1), 0);
	sp = open_q(&t, 1 << 20);
	assert_int_equal(spool_count(sp), 1);
	expect_peek(sp, 8, 1 << 20, 1, tags, datas);
	spool_close(sp);
	assert_int_equal(file_size(t.dat), 2 * (8 + 1) + 5 + 6);	/* torn tail gone */
	tmp_remove(&t);
}

static void test_bound_drops_oldest(void **state)
{
	static const char *const tags[] = { "k", "k" };
	static const char *const datas[] = { "ccc", "ddd" };
	uint64_t dropped = 0;
	struct tmp t;
	struct spool *sp;

	(void)state;
	tmp_make(&t);
	/* a record is 8 + 1 + 3 = 12 bytes; two fit in 24 */
	sp = open_q(&t, 24);
	append(sp, "k", "aaa", 0);
	append(sp, "k", "bbb", 0);
	append(sp, "k", "ccc", 1);
	append(sp, "k", "ddd", 1);
	assert_int_equal(spool_count(sp), 2);
	expect_peek(sp, 8, 1 << 20, 2, tags, datas);
	/* larger than the whole bound: refused, nothing dropped */
	assert_int_equal(spool_append(sp, "k", "0123456789abcdef", 16, &dropped), -EFBIG);
	assert_int_equal(dropped, 0);
	assert_int_equal(spool_count(sp), 2);
	spool_close(sp);
	tmp_remove(&t);
}

static void test_many_records_grow_and_trim(void **state)
{
	enum { N = 20000 };
	struct spool_rec recs[1];
	char data[16];
	size_t got;
	struct tmp t;
	struct spool *sp;

	(void)state;
	tmp_make(&t);
	sp = open_q(&t, 1 << 20);
	for (int i = 0; i < N; i++) {
		snprintf(data, sizeof(data), "%05d", i);
		append(sp, "m", data, 0);
		if (i % 2)
			assert_int_equal(spool_consume(sp, 1), 0);
	}
	assert_int_equal(spool_count(sp), N / 2);
	assert_int_equal(spool_peek(sp, recs, 1, 1 << 20, &got), 0);
	assert_int_equal(got, 1);
	assert_memory_equal(recs[0].data, "10000", 5);	/* the oldest not consumed */
	free(recs[0].tag);
	free(recs[0].data);
	spool_close(sp);
	tmp_remove(&t);
}

static void test_open_errors(void **state)
{
	char err[256] = "";
	struct spool *sp = (struct spool *)1;

	(void)state;
	assert_int_equal(spool_open("/proc/custos-no-such/q", 1024, &sp, err, sizeof(err)),
			 -ENOENT);
	assert_null(sp);
	assert_non_null(strstr(err, "spool /proc/custos-no-such/q: cannot create it: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_tags_and_limits),
		cmocka_unit_test(test_file_format),
		cmocka_unit_test(test_reopen_keeps_unconsumed_and_drops_torn),
		cmocka_unit_test(test_bound_drops_oldest),
		cmocka_unit_test(test_many_records_grow_and_trim),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
