/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json_cache.c - the rendered per-process parts (user/record/json_cache.c):
 * a line rendered with the cache is byte for byte the line rendered without
 * it, the parts are reused while their inputs stay the same, and rendered
 * again after an exec, a reused pid, a new parent, a change of label or of
 * anything else a part is made of.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "record/json.h"
#include "record/json_cache.h"

static const char *const tags1[] = { "t" };
static const struct json_rule rule1 = {
	.id = "r", .severity = "low", .action = "alert", .tags = tags1, .n_tags = 1,
};

/* Mutable copies of the strings an event points to: an exec rewrites them
 * in place, so a reused part cannot be told apart by its pointers. */
struct proc_bufs {
	char exe[64], args[64], pexe[64], pargs[64], anc0[64], anc1[64], prev[64];
	struct cev_str anc[2];
};

static void set_str(struct cev_str *s, char *buf, const char *v)
{
	strcpy(buf, v);
	s->p = buf;
	s->len = (uint32_t)strlen(v);
}

/* argv "a\0b\0" given as "a b" */
static void set_args(struct cev_args *a, char *buf, const char *v)
{
	size_t n = strlen(v);

	memcpy(buf, v, n + 1);
	for (size_t i = 0; i < n; i++)
		if (buf[i] == ' ')
			buf[i] = '\0';
	a->buf = buf;
	a->len = (uint32_t)n + 1;
}

static void base_event(struct cev_event *ev, struct proc_bufs *b, uint32_t pid)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = CEV_FILE;
	ev->time_ns = 1795417923123456789ull;
	ev->proc.pid = pid;
	ev->proc.tid = pid;
	ev->proc.ppid = 100;
	ev->proc.uid = 1000;
	ev->proc.user = "svc";
	strcpy(ev->proc.comm, "python3");
	set_str(&ev->proc.exe, b->exe, "/usr/bin/python3.11");
	set_args(&ev->proc.args, b->args, "python3 train.py --data /d\xc3\xa9");
	ev->proc.cgroup = "/system.slice/train.service";
	ev->has_parent = 1;
	ev->parent.pid = 100;
	set_str(&ev->parent.exe, b->pexe, "/usr/bin/bash");
	set_args(&ev->parent.args, b->pargs, "bash -c \"run\"");
	set_str(&b->anc[0], b->anc0, "/usr/bin/bash");
	set_str(&b->anc[1], b->anc1, "/usr/lib/systemd/systemd");
	ev->ancestors = b->anc;
	ev->n_ancestors = 2;
	ev->file.path = (struct cev_str){ .p = "/d/x", .len = 4 };
	ev->file.access = CEV_ACC_READ;
	ev->file.flags = O_RDONLY;
}

static char *render(const struct cev_event *ev, struct json_cache *c, uint64_t seq)
{
	struct json_meta meta = { .host = "h", .seq = seq, .policy = "sha256:00", .cache = c };
	struct sbuf b = SBUF_INIT;
	char *s;

	assert_int_equal(json_render_event(&b, ev, &rule1, &meta), 0);
	s = strdup(sbuf_cstr(&b));
	sbuf_free(&b);
	return s;
}

/* Renders ev with the cache and without: the same bytes.  Returns how many
 * of its two parts came from the cache. */
static int same_as_fresh(const struct cev_event *ev, struct json_cache *c)
{
	static uint64_t seq;
	uint64_t hits = c->hits, misses = c->misses;
	char *cached = render(ev, c, ++seq), *fresh = render(ev, NULL, seq);

	assert_string_equal(cached, fresh);
	free(cached);
	free(fresh);
	assert_int_equal((c->hits - hits) + (c->misses - misses), JSON_PART__COUNT);
	return (int)(c->hits - hits);
}

static int setup(void **state)
{
	struct json_cache *c = malloc(sizeof(*c));

	if (!c)
		return -1;
	json_cache_init(c);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	json_cache_free(*state);
	free(*state);
	return 0;
}

/* The second record of a process takes both parts from the cache; the
 * per-record members around them (tid, comm, user, cgroup) stay its own. */
static void test_reused(void **state)
{
	struct json_cache *c = *state;
	struct proc_bufs b;
	struct cev_event ev;
	char *line;

	base_event(&ev, &b, 4242);
	assert_int_equal(same_as_fresh(&ev, c), 0);
	assert_int_equal(same_as_fresh(&ev, c), 2);
	ev.proc.tid = 4243;
	strcpy(ev.proc.comm, "worker");
	ev.proc.user = NULL;
	ev.proc.cgroup = "/other";
	ev.file.path = (struct cev_str){ .p = "/d/y", .len = 4 };
	assert_int_equal(same_as_fresh(&ev, c), 2);
	line = render(&ev, c, 1);
	assert_non_null(strstr(line, "\"tid\":4243,\"ppid\":100,\"uid\":1000,\"user\":null,"
				     "\"comm\":\"worker\",\"exe\":\"/usr/bin/python3.11\""));
	assert_non_null(strstr(line, "\"cgroup\":\"/other\"},\"parent\":{\"pid\":100,"));
	free(line);
}

/* An exec rewrites the program and argv (here in the same memory): the
 * program part is rendered again, the lineage part is still good. */
static void test_exec(void **state)
{
	struct json_cache *c = *state;
	struct proc_bufs b;
	struct cev_event ev;
	char *line;

	base_event(&ev, &b, 4242);
	same_as_fresh(&ev, c);
	set_str(&ev.proc.exe, b.exe, "/usr/bin/curl");
	set_args(&ev.proc.args, b.args, "curl http://127.0.0.1/");
	set_str(&ev.proc.prev_exe, b.prev, "/usr/bin/python3.11");
	assert_int_equal(same_as_fresh(&ev, c), 1);
	line = render(&ev, c, 1);
	assert_non_null(strstr(line, "\"exe\":\"/usr/bin/curl\",\"args\":[\"curl\","
				     "\"http://127.0.0.1/\"],\"prev_exe\":\"/usr/bin/python3.11\""));
	free(line);
	assert_int_equal(same_as_fresh(&ev, c), 2);
	/* the same length, one byte changed in place */
	b.args[1] = 'X';
	assert_int_equal(same_as_fresh(&ev, c), 1);
	/* what the agent learns of the program after its exec */
	ev.proc.exe_prog.flags = CEV_EXE_DELETED;
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.proc.exe.truncated = 1;
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.proc.args.truncated = 1;
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.proc.prev_exe.len = 0;
	assert_int_equal(same_as_fresh(&ev, c), 1);
	assert_int_equal(same_as_fresh(&ev, c), 2);
}

/* A process that exited renders as it did; its pid reused by another
 * program is another program part, whatever was kept for the pid. */
static void test_exit_and_pid_reuse(void **state)
{
	struct json_cache *c = *state;
	struct proc_bufs b;
	struct cev_event ev;

	base_event(&ev, &b, 4242);
	same_as_fresh(&ev, c);
	/* a record of the exited process: nothing rendered changed */
	assert_int_equal(same_as_fresh(&ev, c), 2);
	set_str(&ev.proc.exe, b.exe, "/usr/bin/sh");
	set_args(&ev.proc.args, b.args, "sh");
	assert_int_equal(same_as_fresh(&ev, c), 1);
	/* another pid of the same slot, then back: each its own */
	ev.proc.pid += JSON_CACHE_SLOTS;
	set_str(&ev.proc.exe, b.exe, "/usr/bin/python3.11");
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.proc.pid -= JSON_CACHE_SLOTS;
	set_str(&ev.proc.exe, b.exe, "/usr/bin/sh");
	assert_int_equal(same_as_fresh(&ev, c), 1);
}

/* Labels are per record (their seq and time): never in a part, so a label
 * set between two records shows in the second while both parts are reused. */
static void test_label_change(void **state)
{
	struct json_cache *c = *state;
	struct cev_label li = { .name = "secret", .rule = "r", .seq = 7,
				.time_ns = 1795417923000000000ull };
	struct proc_bufs b;
	struct cev_event ev;
	char *line;

	base_event(&ev, &b, 4242);
	same_as_fresh(&ev, c);
	ev.labels = 1;
	ev.label_info = &li;
	ev.n_label_info = 1;
	assert_int_equal(same_as_fresh(&ev, c), 2);
	line = render(&ev, c, 1);
	assert_non_null(strstr(line, "\"labels\":[{\"label\":\"secret\",\"rule\":\"r\",\"seq\":7,"));
	free(line);
	li.seq = 9;
	assert_int_equal(same_as_fresh(&ev, c), 2);
	ev.n_label_info = 0;
	assert_int_equal(same_as_fresh(&ev, c), 2);
	line = render(&ev, c, 1);
	assert_null(strstr(line, "\"labels\""));
	free(line);
}

/* The parent execs, exits (reparented: no parent known), an ancestor goes. */
static void test_lineage_change(void **state)
{
	struct json_cache *c = *state;
	struct proc_bufs b;
	struct cev_event ev;

	base_event(&ev, &b, 4242);
	same_as_fresh(&ev, c);
	set_args(&ev.parent.args, b.pargs, "bash -c \"rum\"");
	assert_int_equal(same_as_fresh(&ev, c), 1);
	set_str(&ev.parent.exe, b.pexe, "/usr/bin/zsh");
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.parent.pid = 101;
	assert_int_equal(same_as_fresh(&ev, c), 1);
	set_str(&b.anc[1], b.anc1, "/sbin/init");
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.n_ancestors = 1;
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.has_parent = 0;
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.n_ancestors = 0;
	assert_int_equal(same_as_fresh(&ev, c), 1);
	assert_int_equal(same_as_fresh(&ev, c), 2);
	json_cache_clear(c);
	assert_int_equal(same_as_fresh(&ev, c), 0);
}

/* Strings whose bytes differ only where two inputs meet key apart. */
static void test_boundaries(void **state)
{
	struct json_cache *c = *state;
	struct proc_bufs b;
	struct cev_event ev;

	base_event(&ev, &b, 4242);
	set_str(&b.anc[0], b.anc0, "/a/b");
	set_str(&b.anc[1], b.anc1, "/c");
	same_as_fresh(&ev, c);
	set_str(&b.anc[0], b.anc0, "/a");
	set_str(&b.anc[1], b.anc1, "/b/c");
	assert_int_equal(same_as_fresh(&ev, c), 1);
	/* an exe without bytes renders "" whatever its length says */
	ev.proc.exe.p = NULL;
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.proc.exe.len = 0;
	assert_int_equal(same_as_fresh(&ev, c), 2);
	/* a prev_exe with a length and no bytes renders as "", none as nothing */
	ev.proc.prev_exe = (struct cev_str){ .p = NULL, .len = 3 };
	assert_int_equal(same_as_fresh(&ev, c), 1);
	ev.proc.prev_exe.len = 0;
	assert_int_equal(same_as_fresh(&ev, c), 1);
}

/* 0 seven times in eight, else one of 0..n-1 */
static int rare(int n)
{
	return random() % 8 ? 0 : (int)(random() % n);
}

/* Random events over a few processes, programs and parents: every line the
 * same as a fresh rendering, and most parts reused. */
static void test_random(void **state)
{
	static const char *const exes[] = { "/usr/bin/a", "/usr/bin/b\"q", "/x/\xff\xfe", "" };
	static const char *const argv[] = { "a", "a b", "b \x01", "a b c d e f" };
	struct json_cache *c = *state;
	struct proc_bufs b;
	struct cev_event ev;
	uint64_t hits = 0;

	srandom(7);
	for (int i = 0; i < 4000; i++) {
		/* five pids over two slots; each input mostly its usual value */
		base_event(&ev, &b, 1000 + (uint32_t)(random() % 5) * JSON_CACHE_SLOTS / 2);
		set_str(&ev.proc.exe, b.exe, exes[rare(4)]);
		set_args(&ev.proc.args, b.args, argv[rare(4)]);
		ev.has_parent = !rare(2);
		set_str(&ev.parent.exe, b.pexe, exes[rare(2)]);
		ev.n_ancestors = 2 - (uint32_t)rare(3);
		ev.proc.tid = ev.proc.pid + (uint32_t)(random() % 3);
		hits += (uint64_t)same_as_fresh(&ev, c);
	}
	/* of the 8000 parts, about two thirds reused (5378 with this seed) */
	assert_true(hits > 4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_and_pid_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lineage_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
