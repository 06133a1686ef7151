/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sink.c - output sinks (user/sinks/sink.c): spec parsing, jsonl append,
 * reopen after logrotate, concurrent writers, stdout buffering, errors.
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
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>
#include <zlib.h>

#include "sinks/sink.h"

struct tmpdir {
	char dir[64];
	char file[128];
	char spec[160];
};

static void tmpdir_make(struct tmpdir *t)
{
	strcpy(t->dir, "/tmp/custos-sink-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->file, sizeof(t->file), "%s/events.jsonl", t->dir);
	snprintf(t->spec, sizeof(t->spec), "jsonl:%s", t->file);
}

static void tmpdir_remove(struct tmpdir *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

/* The whole file as a NUL-terminated string (caller frees). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return p;
}

static int put(struct sink *s, const char *line)
{
	return sink_write(s, line, strlen(line));
}

static void test_spec_parsing(void **state)
{
	struct sink *s = (struct sink *)1;
	struct tmpdir t;
	char err[256];

	assert_int_equal(sink_open("stdout", &s, err, sizeof(err)), 0);
	assert_non_null(s);
	assert_string_equal(sink_name(s), "stdout");
	assert_string_equal(s->ops->kind, "stdout");
	assert_int_equal(s->format, SINK_FMT_JSONL);
	assert_int_equal(sink_close(s), 0);

	tmpdir_make(&t);
	assert_int_equal(sink_open(t.spec, &s, err, sizeof(err)), 0);
	assert_string_equal(sink_name(s), t.spec);
	assert_string_equal(s->ops->kind, "jsonl");
	assert_int_equal(sink_close(s), 0);
	tmpdir_remove(&t);

	assert_int_equal(sink_open("foo", &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, "output 'foo': unknown sink "
				 "(expected stdout, jsonl:PATH or forward:HOST:PORT)");
	assert_int_equal(sink_open("", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(sink_open("STDOUT", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(sink_open("stdout:", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(sink_open("jsonl:", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "output 'jsonl:': jsonl needs a path (jsonl:PATH)");
	/* forward: only the spec is checked here; tests/e2e/test_forward.c ships */
	assert_int_equal(sink_open("forward:127.0.0.1", &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, "output 'forward:127.0.0.1': expected forward:HOST:PORT "
				 "(IPv6 as [ADDR]:PORT, port 1-65535)");
	assert_int_equal(sink_open("jsonl:/nonexistent-custos-dir/x.jsonl", &s, err, sizeof(err)),
			 -ENOENT);
	assert_null(s);
	assert_string_equal(err, "output 'jsonl:/nonexistent-custos-dir/x.jsonl': "
				 "open /nonexistent-custos-dir/x.jsonl: No such file or directory");
	/* err is optional */
	assert_int_equal(sink_open("foo", &s, NULL, 0), -EINVAL);
	assert_int_equal(sink_close(NULL), 0);
}

static void test_jsonl_append(void **state)
{
	struct sink_stats st;
	struct tmpdir t;
	struct sink *s;
	struct stat sb;
	char err[256];
	char *got;
	int fd;

	tmpdir_make(&t);
	/* a new file is created 0600 */
	assert_int_equal(sink_open(t.spec, &s, err, sizeof(err)), 0);
	assert_int_equal(stat(t.file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(put(s, "{\"a\":1}\n"), 0);
	assert_int_equal(sink_close(s), 0);

	/* an existing file is appended to, also when written from elsewhere */
	assert_int_equal(sink_open(t.spec, &s, err, sizeof(err)), 0);
	fd = open(t.file, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "other\n", 6), 6);
	close(fd);
	assert_int_equal(put(s, "{\"b\":2}\n"), 0);
	assert_int_equal(put(s, "{\"c\":3}\n"), 0);
	/* not one line: refused, not counted */
	assert_int_equal(put(s, "no newline"), -EINVAL);
	assert_int_equal(put(s, "two\nlines\n"), -EINVAL);
	assert_int_equal(sink_write(s, "", 0), -EINVAL);
	assert_int_equal(sink_flush(s), 0);
	sink_get_stats(s, &st);
	assert_int_equal(st.lines_written, 2);
	assert_int_equal(st.bytes, 16);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.lines_lost, 0);
	assert_int_equal(sink_close(s), 0);

	got = slurp(t.file, NULL);
	assert_string_equal(got, "{\"a\":1}\nother\n{\"b\":2}\n{\"c\":3}\n");
	free(got);
	tmpdir_remove(&t);
}

static void test_jsonl_reopen_after_rename(void **state)
{
	struct sink_stats st;
	struct tmpdir t;
	struct sink *s;
	char rotated[160];
	char *got;

	tmpdir_make(&t);
	snprintf(rotated, sizeof(rotated), "%s.1", t.file);
	assert_int_equal(sink_open(t.spec, &s, NULL, 0), 0);
	assert_int_equal(put(s, "one\n"), 0);
	assert_int_equal(rename(t.file, rotated), 0);
	assert_int_equal(put(s, "two\n"), 0);		/* still the old file */
	assert_int_equal(sink_reopen(s), 0);
	assert_int_equal(put(s, "three\n"), 0);
	assert_int_equal(sink_reopen(s), 0);		/* same file again: harmless */
	assert_int_equal(put(s, "four\n"), 0);
	assert_int_equal(sink_flush(s), 0);		/* lines are gathered until a flush */
	sink_get_stats(s, &st);
	assert_int_equal(st.lines_written, 4);
	assert_int_equal(sink_close(s), 0);

	got = slurp(rotated, NULL);
	assert_string_equal(got, "one\ntwo\n");
	free(got);
	got = slurp(t.file, NULL);
	assert_string_equal(got, "three\nfour\n");
	free(got);
	tmpdir_remove(&t);
}

static void test_jsonl_reopen_failure_keeps_old_file(void **state)
{
	struct sink_stats st;
	struct tmpdir t;
	struct sink *s;

	tmpdir_make(&t);
	assert_int_equal(sink_open(t.spec, &s, NULL, 0), 0);
	assert_int_equal(unlink(t.file), 0);
	assert_int_equal(rmdir(t.dir), 0);
	assert_int_equal(sink_reopen(s), -ENOENT);
	assert_int_equal(put(s, "still\n"), 0);
	assert_int_equal(sink_flush(s), 0);
	sink_get_stats(s, &st);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.lines_written, 1);
	assert_int_equal(sink_close(s), 0);
	/* the line went to the unlinked file; nothing is left to read back */
	assert_int_equal(mkdir(t.dir, 0700), 0);
	tmpdir_remove(&t);
}

static void test_write_error_counts_loss(void **state)
{
	struct sink_stats st;
	struct sink *s;

	if (access("/dev/full", W_OK)) {
		skip();
		return;
	}
	assert_int_equal(sink_open("jsonl:/dev/full", &s, NULL, 0), 0);
	/* gathered until a flush, where the error and the loss show */
	assert_int_equal(put(s, "lost\n"), 0);
	assert_int_equal(sink_flush(s), -ENOSPC);
	assert_int_equal(put(s, "lost too\n"), 0);
	assert_int_equal(sink_flush(s), -ENOSPC);
	sink_get_stats(s, &st);
	assert_int_equal(st.lines_written, 0);
	assert_int_equal(st.errors, 2);
	assert_int_equal(st.lines_lost, 2);
	assert_int_equal(sink_close(s), 0);
}

#define WRITERS 8
#define LINES_PER_WRITER 1500

/* Line m of writer w: a header, then filler whose length varies up to ~9 KiB. */
static size_t make_line(char *buf, size_t size, int w, int m)
{
	size_t fill = (size_t)((m * 7919 + w * 104729) % 9000);
	int n = snprintf(buf, size, "{\"w\":%d,\"m\":%d,\"n\":%zu,\"x\":\"", w, m, fill);
	size_t len = (size_t)n;

	memset(buf + len, 'a' + w, fill);
	len += fill;
	memcpy(buf + len, "\"}\n", 3);
	return len + 3;
}

static void test_jsonl_concurrent_writers_never_tear(void **state)
{
	static char line[16384], want[16384];
	int next[WRITERS] = { 0 };
	struct tmpdir t;
	char *data, *p, *nl;
	size_t len, n;
	int w, m, status, lines = 0;
	pid_t pids[WRITERS];

	tmpdir_make(&t);
	for (w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			struct sink *s;

			if (sink_open(t.spec, &s, NULL, 0))
				_exit(2);
			for (m = 0; m < LINES_PER_WRITER; m++) {
				n = make_line(line, sizeof(line), w, m);
				if (sink_write(s, line, n))
					_exit(3);
			}
			_exit(sink_close(s) ? 4 : 0);
		}
	}
	for (w = 0; w < WRITERS; w++) {
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	data = slurp(t.file, &len);
	for (p = data; p < data + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(data + len - p));
		assert_non_null(nl);
		/* sscanf() would strlen() the rest of the file: parse a copy */
		n = (size_t)(nl - p) < 64 ? (size_t)(nl - p) : 63;
		memcpy(line, p, n);
		line[n] = '\0';
		if (sscanf(line, "{\"w\":%d,\"m\":%d,", &w, &m) != 2 || w < 0 || w >= WRITERS)
			fail_msg("torn line at offset %td", p - data);
		/* each writer's lines arrive whole and in its order */
		assert_int_equal(m, next[w]);
		next[w]++;
		n = make_line(want, sizeof(want), w, m);
		assert_int_equal((size_t)(nl + 1 - p), n);
		assert_memory_equal(p, want, n);
		lines++;
	}
	assert_int_equal(lines, WRITERS * LINES_PER_WRITER);
	for (w = 0; w < WRITERS; w++)
		assert_int_equal(next[w], LINES_PER_WRITER);
	free(data);
	tmpdir_remove(&t);
}

/* Reads a whole gzip file; NULL if it is not valid gzip. */
static char *gunzip_file(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *p = malloc(cap + 1);
	int r;

	assert_non_null(p);
	if (!g) {
		free(p);
		return NULL;
	}
	while ((r = gzread(g, p + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			p = realloc(p, cap + 1);
			assert_non_null(p);
		}
	}
	if (r < 0 || gzclose(g) != Z_OK) {
		free(p);
		return NULL;
	}
	p[n] = '\0';
	*len = n;
	return p;
}

/* Checks whole lines {"seq":N,...} in data, continuing from *next. */
static void check_seq_lines(const char *data, size_t len, int *next)
{
	const char *p = data, *nl;
	int seq;

	for (; p < data + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(data + len - p));
		assert_non_null(nl);	/* never a torn line */
		assert_int_equal(sscanf(p, "{\"seq\":%d,", &seq), 1);
		assert_int_equal(seq, *next);
		(*next)++;
	}
}

/* max-size rotates between lines into PATH.1.gz ..., keeping `keep` files. */
static void test_jsonl_rotation_gzip(void **state)
{
	enum { N = 400, MAX = 2000, KEEP = 3 };
	struct tmpdir t;
	char spec[256], line[128], path[256], *data;
	struct sink *s;
	size_t len, n;
	int next, first;
	struct stat st;

	tmpdir_make(&t);
	snprintf(spec, sizeof(spec), "%s,max-size=%d,keep=%d", t.spec, MAX, KEEP);
	assert_int_equal(sink_open(spec, &s, NULL, 0), 0);
	for (int i = 1; i <= N; i++) {
		n = (size_t)snprintf(line, sizeof(line), "{\"seq\":%d,\"pad\":\"%0*d\"}\n", i,
				     i % 50, 0);
		assert_int_equal(sink_write(s, line, n), 0);
	}
	assert_int_equal(sink_close(s), 0);

	/* the kept files, oldest first, then the current one: contiguous seqs */
	snprintf(path, sizeof(path), "%s.%d.gz", t.file, KEEP + 1);
	assert_int_not_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s.1", t.file);
	assert_int_not_equal(stat(path, &st), 0);	/* compressed and removed */
	next = -1;
	for (int k = KEEP; k >= 1; k--) {
		snprintf(path, sizeof(path), "%s.%d.gz", t.file, k);
		data = gunzip_file(path, &len);
		assert_non_null(data);
		assert_true(len > 0 && len <= MAX);
		if (next < 0) {
			assert_int_equal(sscanf(data, "{\"seq\":%d,", &first), 1);
			next = first;
		}
		check_seq_lines(data, len, &next);
		free(data);
	}
	data = slurp(t.file, &len);
	assert_true(len <= MAX);
	check_seq_lines(data, len, &next);
	assert_int_equal(next, N + 1);
	free(data);
	tmpdir_remove(&t);
}

/* Every rotated file and the new live file keep the live file's mode,
 * whatever the umask: 0600 as created, 0640 after an admin's chmod. */
static void check_rotation_mode(mode_t live_mode)
{
	struct tmpdir t;
	char spec[256], line[128], path[256];
	struct sink *s;
	struct stat st;
	mode_t old_umask = umask(022);
	size_t n;

	tmpdir_make(&t);
	snprintf(spec, sizeof(spec), "%s,max-size=200,keep=2", t.spec);
	assert_int_equal(sink_open(spec, &s, NULL, 0), 0);
	assert_int_equal(chmod(t.file, live_mode), 0);
	for (int i = 1; i <= 20; i++) {
		n = (size_t)snprintf(line, sizeof(line), "{\"seq\":%d,\"pad\":\"%040d\"}\n", i, 0);
		assert_int_equal(sink_write(s, line, n), 0);
	}
	assert_int_equal(sink_close(s), 0);
	umask(old_umask);
	assert_int_equal(stat(t.file, &st), 0);
	assert_int_equal(st.st_mode & 07777, live_mode);
	for (int k = 1; k <= 2; k++) {
		snprintf(path, sizeof(path), "%s.%d.gz", t.file, k);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, live_mode);
	}
	tmpdir_remove(&t);
}

static void test_jsonl_rotation_keeps_mode(void **state)
{
	check_rotation_mode(0600);
	check_rotation_mode(0640);
}

static void test_jsonl_options_rejected(void **state)
{
	struct sink *s;
	char err[256];

	assert_int_equal(sink_open("jsonl:/tmp/x.jsonl,max-size=0", &s, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "output 'jsonl:/tmp/x.jsonl,max-size=0': bad value '0' "
				 "for option 'max-size'");
	assert_int_equal(sink_open("jsonl:/tmp/x.jsonl,keep=0", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(sink_open("jsonl:/tmp/x.jsonl,max-size=1M,colour=red", &s, err,
				   sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown jsonl option 'colour'"));
}

/* stdout buffers until flushed; checked in a child whose fd 1 is a file. */
static void test_stdout_buffers_until_flush(void **state)
{
	struct tmpdir t;
	int fd, status;
	pid_t pid;
	char *got;

	tmpdir_make(&t);
	fd = open(t.file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sink_stats st;
		struct sink *s;
		struct stat sb;

		if (dup2(fd, STDOUT_FILENO) < 0 || sink_open("stdout", &s, NULL, 0))
			_exit(2);
		if (put(s, "first\n") || put(s, "second\n"))
			_exit(3);
		if (fstat(fd, &sb) || sb.st_size != 0)
			_exit(4);	/* wrote before the flush */
		sink_get_stats(s, &st);
		if (st.lines_written != 0)
			_exit(5);
		if (sink_flush(s))
			_exit(6);
		sink_get_stats(s, &st);
		if (st.lines_written != 2 || st.bytes != 13)
			_exit(7);
		if (put(s, "third\n"))
			_exit(8);
		_exit(sink_close(s) ? 9 : 0);	/* close flushes */
	}
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	got = slurp(t.file, NULL);
	assert_string_equal(got, "first\nsecond\nthird\n");
	free(got);
	tmpdir_remove(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parsing),
		cmocka_unit_test(test_jsonl_append),
		cmocka_unit_test(test_jsonl_reopen_after_rename),
		cmocka_unit_test(test_jsonl_reopen_failure_keeps_old_file),
		cmocka_unit_test(test_write_error_counts_loss),
		cmocka_unit_test(test_jsonl_concurrent_writers_never_tear),
		cmocka_unit_test(test_stdout_buffers_until_flush),
		cmocka_unit_test(test_jsonl_rotation_gzip),
		cmocka_unit_test(test_jsonl_rotation_keeps_mode),
		cmocka_unit_test(test_jsonl_options_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
