/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_stream.c - the stream's own evidence (user/agent/emit.c,
 * user/record/chain.c, user/cmd/events_verify.c), with the real agent:
 *
 *   - periodic checkpoints (--checkpoint-every 1): one a second, each with
 *     the run's records and losses so far, final only at the clean stop;
 *     the stream verifies;
 *   - `custos events verify` on the stream of a run with rotations and a
 *     restart: whole; a changed byte, a removed line, two swapped lines and
 *     a cut tail, each found where it is; the keyed chain needs its key.
 *
 * The agent runs unpinned (the harness's --no-pin).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pinhelp.h"

struct stream {
	struct agent_run r;
};

static int setup(void **state)
{
	struct stream *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	p->r.pid = -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct stream *p = *state;

	harness_cleanup(&p->r);
	free(p);
	return 0;
}

/* A copy of noop at DIR/marker, the exec rule's program; its path in out. */
static void install_marker(struct stream *p, char *out, size_t size)
{
	harness_noop_copy(p->r.dir, "marker", out, size);
}

static void run_marker(const char *marker)
{
	pid_t pid = harness_spawn(marker, (char *[]){ (char *)marker, NULL });

	assert_int_equal(harness_wait(pid), 0);
}

static const char exec_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: e2e-persist-exec\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when:\n"
	"      exe: \"@DIR@/marker\"\n";

static void run_markers(struct stream *p, int n)
{
	char marker[400];

	install_marker(p, marker, sizeof(marker));
	for (int i = 0; i < n; i++)
		run_marker(marker);
}

/* `custos events verify ARGS... FILE`: exit status, output in out. */
static int verify(const char *key, const char *file, char *out, size_t size)
{
	char *argv[] = { (char *)harness_custos(), "events", "verify", key ? "--key" : (char *)file,
			 (char *)key, (char *)file, NULL };

	if (!key)
		argv[4] = NULL;
	return harness_capture(argv, out, size);
}

/* dst: the lines of src (a plain file), edited by fn. */
static void copy_edited(const char *src, const char *dst, void (*fn)(char **lines, int *n))
{
	char *lines[512], *line = NULL;
	size_t cap = 0;
	int n = 0;
	FILE *in = fopen(src, "r"), *out;

	assert_non_null(in);
	while (n < 512 && getline(&line, &cap, in) > 0)
		lines[n++] = strdup(line);
	fclose(in);
	free(line);
	fn(lines, &n);
	out = fopen(dst, "w");
	assert_non_null(out);
	for (int i = 0; i < n; i++) {
		fputs(lines[i], out);
		free(lines[i]);
	}
	fclose(out);
}

static void change_byte(char **l, int *n)
{
	char *p = strstr(l[3], "\"pid\":");

	p[6] = p[6] == '9' ? '1' : p[6] + 1;
}

static void remove_line(char **l, int *n)
{
	free(l[4]);
	memmove(l + 4, l + 5, (size_t)(*n - 5) * sizeof(*l));
	(*n)--;
}

static void swap_lines(char **l, int *n)
{
	char *t = l[5];

	l[5] = l[6];
	l[6] = t;
}

static void cut_tail(char **l, int *n)
{
	free(l[--(*n)]);
	free(l[--(*n)]);
}

/* Expects verify to find what at FILE:line (seq). */
static void expect_break(const char *file, const char *what, int line, const char *out)
{
	char want[600];

	snprintf(want, sizeof(want), "%s:%d: seq %d: %s:", file, line, line, what);
	if (!strstr(out, want))
		fail_msg("wanted '%s' in:\n%s", want, out);
}

static void test_verify_real_stream(void **state)
{
	struct stream *p = *state;
	char out[4096], spec[400], key[400], edited[400], cmd[1000];
	FILE *f;

	assert_int_equal(harness_setup(&p->r, exec_rules), 0);
	/* rotations every ~2 KB: the stream spans several .gz files */
	snprintf(spec, sizeof(spec), "jsonl:%s/audit.jsonl,max-size=2K,keep=50", p->r.dir);
	assert_int_equal(harness_start(&p->r, (const char *[]){ "--output", spec, NULL }), 0);
	run_markers(p, 6);
	assert_int_equal(harness_stop(&p->r), 0);
	assert_int_equal(harness_start(&p->r, (const char *[]){ "--output", spec, NULL }), 0);
	run_markers(p, 6);
	assert_int_equal(harness_stop(&p->r), 0);
	snprintf(spec, sizeof(spec), "%s/audit.jsonl", p->r.dir);
	assert_int_equal(verify(NULL, spec, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "OK: 15 records, seq 1..15, 1 restart(s)"));
	assert_non_null(strstr(out, "closed by a clean stop"));
	snprintf(cmd, sizeof(cmd), "%s/audit.jsonl.1.gz", p->r.dir);
	assert_int_equal(access(cmd, F_OK), 0);

	/* the second copy of the stream (events.jsonl, no rotation) edited four ways */
	snprintf(edited, sizeof(edited), "%s/edited.jsonl", p->r.dir);
	copy_edited(p->r.events, edited, change_byte);
	assert_int_equal(verify(NULL, edited, out, sizeof(out)), 1);
	expect_break(edited, "edited", 4, out);
	copy_edited(p->r.events, edited, remove_line);
	assert_int_equal(verify(NULL, edited, out, sizeof(out)), 1);
	snprintf(cmd, sizeof(cmd), "%s:5: seq 6: removed: 1 record missing before it (seq 5)",
		 edited);
	assert_non_null(strstr(out, cmd));
	copy_edited(p->r.events, edited, swap_lines);
	assert_int_equal(verify(NULL, edited, out, sizeof(out)), 1);
	snprintf(cmd, sizeof(cmd), "%s:6: seq 7: reordered: out of order: seq 6 is at %s:7",
		 edited, edited);
	assert_non_null(strstr(out, cmd));
	copy_edited(p->r.events, edited, cut_tail);
	assert_int_equal(verify(NULL, edited, out, sizeof(out)), 1);
	snprintf(cmd, sizeof(cmd), "%s:13: seq 13: open:", edited);
	assert_non_null(strstr(out, cmd));

	/* keyed: whole with the key, a forgery without */
	snprintf(key, sizeof(key), "%s/chain.key", p->r.dir);
	f = fopen(key, "w");
	assert_non_null(f);
	fputs("0123456789abcdef0123456789abcdef", f);
	fclose(f);
	chmod(key, 0400);
	assert_int_equal(harness_start(&p->r, (const char *[]){ "--chain-key", key, NULL }), 0);
	run_markers(p, 2);
	assert_int_equal(harness_stop(&p->r), 0);
	assert_int_equal(verify(key, p->r.events, out, sizeof(out)), 1);
	/* the plain records before the key are what the keyed check refuses */
	snprintf(cmd, sizeof(cmd), "%s:1: seq 1: key:", p->r.events);
	assert_non_null(strstr(out, cmd));
	snprintf(cmd, sizeof(cmd), "%s:16: seq 16:", p->r.events);
	assert_null(strstr(out, cmd));	/* the keyed run's gap record links */
	chmod(key, 0644);
	assert_int_equal(verify(key, p->r.events, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "refusing a key"));
}

/* A record's checkpoint.final: 1 true, 0 false, -1 absent. */
static int checkpoint_final(json_t *rec)
{
	json_t *v = json_object_get(json_object_get(rec, "checkpoint"), "final");

	return json_is_true(v) ? 1 : json_is_false(v) ? 0 : -1;
}

static void test_periodic_checkpoints(void **state)
{
	struct stream *p = *state;
	char marker[400], out[4096], want[200], prev_chain[200] = "";
	char *argv[] = { (char *)harness_custos(), "events", "verify", p->r.events, NULL };
	long long last_ns = -1, nested = 0;
	size_t n, periodic = 0;
	json_t *all;

	assert_int_equal(harness_setup(&p->r, exec_rules), 0);
	install_marker(p, marker, sizeof(marker));
	assert_int_equal(harness_start(&p->r, (const char *[]){ "--checkpoint-every", "1",
								 NULL }), 0);
	for (int i = 0; i < 5; i++) {
		run_marker(marker);
		usleep(900000);
	}
	assert_int_equal(harness_stop(&p->r), 0);

	all = harness_records(&p->r, pred_any_record, NULL);
	n = json_array_size(all);
	for (size_t i = 0; i < n; i++) {
		json_t *rec = json_array_get(all, i);
		const char *chain = jstr(rec, "chain");

		assert_int_equal(jint(rec, "seq"), (long long)i + 1);
		assert_non_null(chain);
		assert_string_not_equal(chain, prev_chain);	/* every record its own link */
		snprintf(prev_chain, sizeof(prev_chain), "%s", chain);
		if (strcmp(jstr(rec, "kind"), "loss") == 0) {
			/* only a 7.x kernel's skipped (preempted) runs, said so */
			assert_string_equal(jstr(rec, "loss.where"), "nested");
			nested += jint(rec, "loss.lost");
			continue;
		}
		if (strcmp(jstr(rec, "kind"), "checkpoint") != 0)
			continue;
		/* this run's records so far, this one included; none lost but
		 * what the loss records before it said */
		assert_int_equal(jint(rec, "checkpoint.records"), (long long)i + 1);
		assert_int_equal(jint(rec, "checkpoint.lost"), nested);
		assert_string_equal(jstr(rec, "run"), jstr(json_array_get(all, 0), "run"));
		assert_int_equal(checkpoint_final(rec), i + 1 == n);
		if (i + 1 == n)
			break;
		/* one a second (the poll loop's granularity on top) */
		if (last_ns >= 0) {
			long long d = record_time_ns(rec, "time") - last_ns;

			if (d < 950000000ll || d > 2500000000ll)
				fail_msg("checkpoints %lld ms apart", d / 1000000);
		}
		last_ns = record_time_ns(rec, "time");
		periodic++;
	}
	assert_int_equal(checkpoint_final(json_array_get(all, n - 1)), 1);
	print_message("%zu records, %zu periodic checkpoints\n", n, periodic);
	assert_true(periodic >= 3);
	json_decref(all);
	assert_int_equal(harness_capture(argv, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "OK: %zu records, seq 1..%zu", n, n);
	if (!strstr(out, want) || !strstr(out, "closed by a clean stop"))
		fail_msg("wanted '%s' and a clean stop in:\n%s", want, out);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_periodic_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_real_stream, setup, teardown),
	};

	return cmocka_run_group_tests_name("e2e stream", tests, NULL, NULL);
}
