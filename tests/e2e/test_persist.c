/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_persist.c - enforcement and evidence that survive the agent
 * (user/kernel/pin.c, user/agent/stream.c), with the real agent:
 *
 *   - SIGKILL during a block rule: the next connect is still refused, the
 *     restart opens with a gap record that counted it, seq goes on, the
 *     refused connect's own record is delivered; `custos unload` then
 *     leaves nothing pinned or attached;
 *   - a restart adopts the pinned programs (same link ids: no window), with
 *     the same policy or a new one; another ring size swaps them;
 *   - `custos unload` refuses while an agent runs;
 *   - --no-pin: nothing outlives the agent;
 *   - `custos events verify` on the stream of a run with rotations and a
 *     restart: whole; a changed byte, a removed line, two swapped lines and
 *     a cut tail, each found where it is; the keyed chain needs its key.
 *
 * Every test pins under its own /sys/fs/bpf/custos-e2e-PID-N and its
 * teardown unloads it, whatever happened: pinned block rules would outlive
 * the test and break every other suite on the host.  The addresses blocked
 * (127.0.0.77, .78) are used by no other suite.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "harness.h"

enum {
	WAIT_MS = 10000,
	MAX_LINKS = 64,
	EXIT_EPERM = 1,		/* netpoke exits with the errno */
	EXIT_ECONNREFUSED = 111,
};

#define PIN_PREFIX "/sys/fs/bpf/custos-e2e-"

struct persist {
	struct agent_run r;
	char pin[128];
};

/* a connect block rule on DEST (the %s), and an exec of @DIR@/marker reported */
static const char block_rules_fmt[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: e2e-persist-block\n"
	"    on: connect\n"
	"    severity: critical\n"
	"    action: block\n"
	"    when:\n"
	"      dest: %s\n"
	"  - id: e2e-persist-exec\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when:\n"
	"      exe: \"@DIR@/marker\"\n";

static char block_rules[sizeof(block_rules_fmt) + 64];
/* the same, and a second address blocked: another policy */
static char block_rules2[sizeof(block_rules_fmt) + 64];

/*
 * Does this kernel refuse connects (the cgroup egress programs, 5.17+)?
 * Where it does not, what survives the agent is shown with execs: they are
 * counted and their records kept by the pinned programs all the same.
 */
static int egress_on(struct agent_run *r)
{
	if (!harness_log_contains(r, "connect rules will NOT fire", 0))
		return 1;
	print_message("egress hooks do not load on this kernel: the connect checks are left out\n");
	return 0;
}

static int unload(const char *pin, char *out, size_t size)
{
	char *argv[] = { (char *)harness_custos(), "unload", "--pin-dir", (char *)pin, NULL };

	return harness_capture(argv, out, size);
}

/* `custos unload` of p's pins succeeds, or the test fails with what it said. */
static void assert_unloaded(const char *pin, char *out, size_t size)
{
	int rc = unload(pin, out, size);

	if (rc != 0)
		fail_msg("custos unload --pin-dir %s: exit %d:\n%s", pin, rc, out);
}

/* Whatever a crashed earlier run of this suite left pinned; the rules. */
static int group_setup(void **state)
{
	char path[300], out[512];
	struct dirent *de;
	DIR *d = opendir("/sys/fs/bpf");

	snprintf(block_rules, sizeof(block_rules), block_rules_fmt, "\"127.0.0.77:4477\"");
	snprintf(block_rules2, sizeof(block_rules2), block_rules_fmt,
		 "[\"127.0.0.77:4477\", \"127.0.0.78:4477\"]");

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "custos-e2e-", 11))
			continue;
		snprintf(path, sizeof(path), "/sys/fs/bpf/%s", de->d_name);
		unload(path, out, sizeof(out));
	}
	if (d)
		closedir(d);
	return 0;
}

static int setup(void **state)
{
	static int n;
	struct persist *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	p->r.pid = -1;
	snprintf(p->pin, sizeof(p->pin), PIN_PREFIX "%d-%d", (int)getpid(), ++n);
	*state = p;
	return 0;
}

/* The agent stopped, then everything it pinned unloaded: nothing outlives the test. */
static int teardown(void **state)
{
	struct persist *p = *state;
	char out[512];

	harness_cleanup(&p->r);
	unload(p->pin, out, sizeof(out));
	free(p);
	return 0;
}

static int netpoke(const char *addr)
{
	char bin[512];
	char *argv[] = { (char *)harness_helper("netpoke", bin, sizeof(bin)), "tcp", (char *)addr,
			 "4477", NULL };

	return harness_wait(harness_spawn(argv[0], argv));
}

static int start_pinned(struct persist *p, const char *extra)
{
	const char *args[] = { "--pin-dir", p->pin, extra, extra ? "16M" : NULL, NULL };

	return harness_start(&p->r, args);
}

/* The ids of the links pinned in p->pin, in name order. */
static int link_ids(const struct persist *p, __u32 *ids)
{
	char dir[200], path[500];
	struct dirent **names;
	int n, k = 0;

	snprintf(dir, sizeof(dir), "%s/links", p->pin);
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		fd = names[i]->d_name[0] == '.' ? -1 : bpf_obj_get(path);
		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && k < MAX_LINKS)
			ids[k++] = info.id;
		if (fd >= 0)
			close(fd);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return k;
}

/* Does any of ids still exist as a link, 3 s on (an unpinned link may be
 * freed after an RCU grace period)? */
static int any_link_left(const __u32 *ids, int n)
{
	for (int waited = 0; waited <= 3000; waited += 20) {
		int left = 0;

		for (int i = 0; i < n; i++) {
			int fd = bpf_link_get_fd_by_id(ids[i]);

			if (fd >= 0) {
				close(fd);
				left = 1;
			}
		}
		if (!left)
			return 0;
		usleep(20000);
	}
	return 1;
}

static int pred_kind(json_t *rec, void *kind)
{
	const char *k = jstr(rec, "kind");

	return k && !strcmp(k, kind);
}

static int pred_blocked_pid(json_t *rec, void *pid)
{
	struct kind_pid k = { "connect", *(pid_t *)pid, "e2e-persist-block" };

	return pred_kind_pid(rec, &k);
}

static long long time_ns(json_t *rec, const char *path)
{
	const char *t = jstr(rec, path);
	struct tm tm = { 0 };

	if (!t || !strptime(t, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (long long)timegm(&tm) * 1000000000ll + atoll(t + 20);
}

/* A copy of noop at DIR/marker, the exec rule's program; its path in out. */
static void install_marker(struct persist *p, char *out, size_t size)
{
	char noop[512], cmd[1200];

	snprintf(out, size, "%s/marker", p->r.dir);
	if (access(out, X_OK) == 0)
		return;
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", harness_helper("noop", noop, sizeof(noop)),
		 out);
	assert_int_equal(system(cmd), 0);
}

static pid_t run_marker(const char *marker)
{
	pid_t pid = harness_spawn(marker, (char *[]){ (char *)marker, NULL });

	assert_int_equal(harness_wait(pid), 0);
	return pid;
}

static int pred_marker_pid(json_t *rec, void *pid)
{
	struct kind_pid k = { "exec", *(pid_t *)pid, "e2e-persist-exec" };

	return pred_kind_pid(rec, &k);
}

/* A record the pinned ring kept while no agent read: after the gap, in its time. */
static void assert_kept(json_t *rec, json_t *gap, long long seq)
{
	assert_non_null(rec);
	assert_true(jint(rec, "seq") > seq);
	assert_true(time_ns(rec, "time") >= time_ns(gap, "gap.from") &&
		    time_ns(rec, "time") <= time_ns(gap, "gap.to"));
	assert_string_equal(jstr(rec, "run"), jstr(gap, "run"));
}

/*
 * The run after a SIGKILL: its gap record first (what the kernel counted
 * meanwhile), then the records the pinned ring kept: the marker's exec
 * (mpid) and, where egress runs, the refused connect (pid).
 */
static void assert_gap_after_kill(struct persist *p, long long last_seq, pid_t mpid, pid_t pid)
{
	json_t *gap = harness_wait_record(&p->r, pred_kind, "gap", WAIT_MS), *rec;

	assert_non_null(gap);
	assert_int_equal(jint(gap, "seq"), last_seq + 1);
	assert_string_equal(jstr(gap, "gap.previous_end"), "unclean");
	assert_true(json_is_true(json_object_get(json_object_get(gap, "gap"), "enforced")));
	assert_true(jint(gap, "gap.counted.exec") >= 1);	/* the host's execs too */
	assert_int_equal(jint(gap, "gap.counted.connect_refused"), pid ? 1 : 0);
	assert_int_equal(jint(gap, "gap.counted.connect"), pid ? 1 : 0);
	assert_non_null(jstr(gap, "run"));
	rec = harness_wait_record(&p->r, pred_marker_pid, &mpid, WAIT_MS);
	assert_kept(rec, gap, last_seq);
	json_decref(rec);
	if (pid) {
		rec = harness_wait_record(&p->r, pred_blocked_pid, &pid, WAIT_MS);
		assert_kept(rec, gap, last_seq);
		assert_string_equal(jstr(rec, "action"), "block");
		json_decref(rec);
	}
	json_decref(gap);
}

/*
 * A classic tracepoint before 5.15 has no link to pin (docs/KERNELS.md): a
 * set with one stays incomplete and a later agent swaps in its own instead
 * of adopting it.  1, after saying so and stopping the agent, when that is
 * the case of the agent just started.
 */
static int partly_pinned(struct persist *p)
{
	char out[512];

	if (!harness_log_contains(&p->r, "cannot be pinned on this kernel", 0))
		return 0;
	print_message("some programs cannot be pinned on this kernel and backend: no "
		      "adoption to test\n");
	harness_stop(&p->r);
	unload(p->pin, out, sizeof(out));
	return 1;
}

static void test_sigkill_keeps_enforcing(void **state)
{
	struct persist *p = *state;
	__u32 ids[MAX_LINKS];
	char out[1024], np[512], marker[400];
	json_t *rec, *all;
	long long last_seq;
	int n, status, egress;
	pid_t pid = 0, mpid;

	assert_int_equal(harness_setup(&p->r, block_rules), 0);
	install_marker(p, marker, sizeof(marker));
	assert_int_equal(start_pinned(p, NULL), 0);
	if (partly_pinned(p))
		return;
	assert_true(harness_log_contains(&p->r, "stay attached when the agent stops", 0));
	egress = egress_on(&p->r);
	mpid = run_marker(marker);
	rec = harness_wait_record(&p->r, pred_marker_pid, &mpid, WAIT_MS);
	assert_non_null(rec);
	json_decref(rec);
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	all = harness_wait_record(&p->r, pred_kind, egress ? "connect" : "exec", WAIT_MS);
	json_decref(all);
	all = harness_records(&p->r, pred_any_record, NULL);
	last_seq = jint(json_array_get(all, json_array_size(all) - 1), "seq");
	json_decref(all);
	/* a heartbeat (every 100 ms) after the records: the gap counts from it */
	usleep(300000);

	kill(p->r.pid, SIGKILL);
	assert_int_equal(waitpid(p->r.pid, &status, 0), p->r.pid);
	p->r.pid = -1;
	/* no agent: the pinned programs still refuse, count and keep records */
	if (egress) {
		pid = harness_spawn(harness_helper("netpoke", np, sizeof(np)),
				    (char *[]){ np, "tcp", "127.0.0.77", "4477", NULL });
		assert_int_equal(harness_wait(pid), EXIT_EPERM);
	}
	mpid = run_marker(marker);

	assert_int_equal(start_pinned(p, NULL), 0);
	assert_true(harness_log_contains(&p->r, "pin: adopted the programs pinned", 0));
	assert_gap_after_kill(p, last_seq, mpid, egress ? pid : 0);
	assert_int_equal(harness_stop(&p->r), 0);

	/* a clean stop leaves the programs; unload takes them */
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	n = link_ids(p, ids);
	assert_true(n >= 3);
	assert_unloaded(p->pin, out, sizeof(out));
	assert_non_null(strstr(out, "programs detached"));
	assert_false(any_link_left(ids, n));
	assert_int_equal(access(p->pin, F_OK), -1);
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_ECONNREFUSED);
	/* the whole stream, both runs, still verifies */
	{
		char *argv[] = { (char *)harness_custos(), "events", "verify", p->r.events, NULL };

		assert_int_equal(harness_capture(argv, out, sizeof(out)), 0);
	}
	all = harness_records(&p->r, pred_any_record, NULL);
	assert_string_equal(jstr(json_array_get(all, json_array_size(all) - 1), "kind"),
			    "checkpoint");
	json_decref(all);
}

static void test_restart_adopts_or_swaps(void **state)
{
	struct persist *p = *state;
	__u32 ids[MAX_LINKS], again[MAX_LINKS];
	json_t *gap;
	int n, egress;

	assert_int_equal(harness_setup(&p->r, block_rules), 0);
	assert_int_equal(start_pinned(p, NULL), 0);
	if (partly_pinned(p))
		return;
	n = link_ids(p, ids);
	assert_true(n >= 3);
	assert_int_equal(harness_stop(&p->r), 0);

	/* same build, same policy: the same links, never detached */
	assert_int_equal(start_pinned(p, NULL), 0);
	egress = egress_on(&p->r);
	assert_true(harness_log_contains(&p->r, "pin: adopted the programs pinned", 0));
	assert_int_equal(link_ids(p, again), n);
	assert_memory_equal(again, ids, n * sizeof(ids[0]));
	gap = harness_wait_record(&p->r, pred_kind, "gap", WAIT_MS);
	assert_non_null(gap);
	assert_string_equal(jstr(gap, "gap.previous_end"), "clean");
	json_decref(gap);
	if (egress)
		assert_int_equal(netpoke("127.0.0.78"), EXIT_ECONNREFUSED);
	assert_int_equal(harness_stop(&p->r), 0);

	/* a new policy: the same links, the maps refilled */
	assert_int_equal(harness_write_rules(&p->r, block_rules2), 0);
	assert_int_equal(start_pinned(p, NULL), 0);
	assert_true(harness_log_contains(&p->r, "pin: adopted the programs pinned", 0));
	assert_int_equal(link_ids(p, again), n);
	assert_memory_equal(again, ids, n * sizeof(ids[0]));
	if (egress) {
		assert_int_equal(netpoke("127.0.0.78"), EXIT_EPERM);
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	}
	assert_int_equal(harness_stop(&p->r), 0);

	/* another ring size: this agent's programs in, the old ones out */
	assert_int_equal(start_pinned(p, "--ring-size"), 0);
	assert_true(harness_log_contains(&p->r, "loaded with another ring size", 0));
	assert_int_equal(link_ids(p, again), n);
	assert_false(any_link_left(ids, n));
	if (egress)
		assert_int_equal(netpoke("127.0.0.78"), EXIT_EPERM);
	assert_int_equal(harness_stop(&p->r), 0);
}

static void test_unload_waits_for_the_agent(void **state)
{
	struct persist *p = *state;
	char out[1024];

	int egress;

	assert_int_equal(harness_setup(&p->r, block_rules), 0);
	assert_int_equal(start_pinned(p, NULL), 0);
	egress = egress_on(&p->r);
	assert_int_equal(unload(p->pin, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "a custos agent runs on it"));
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	assert_int_equal(harness_stop(&p->r), 0);
	assert_unloaded(p->pin, out, sizeof(out));
	assert_int_equal(access(p->pin, F_OK), -1);
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_ECONNREFUSED);
	/* again: nothing left to unload */
	assert_unloaded(p->pin, out, sizeof(out));
	assert_non_null(strstr(out, "nothing pinned"));
}

static void test_no_pin_leaves_nothing(void **state)
{
	struct persist *p = *state;
	int status, egress;

	assert_int_equal(harness_setup(&p->r, block_rules), 0);
	assert_int_equal(harness_start(&p->r, NULL), 0);	/* the harness adds --no-pin */
	egress = egress_on(&p->r);
	assert_false(harness_log_contains(&p->r, "stay attached", 0));
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	kill(p->r.pid, SIGKILL);
	assert_int_equal(waitpid(p->r.pid, &status, 0), p->r.pid);
	p->r.pid = -1;
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_ECONNREFUSED);
	assert_int_equal(access(p->pin, F_OK), -1);
}

/* --- events verify on a real stream ------------------------------------------ */

static const char exec_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: e2e-persist-exec\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when:\n"
	"      exe: \"@DIR@/marker\"\n";

static void run_markers(struct persist *p, int n)
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
	struct persist *p = *state;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigkill_keeps_enforcing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_adopts_or_swaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unload_waits_for_the_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_pin_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_real_stream, setup, teardown),
	};

	return cmocka_run_group_tests_name("e2e persist", tests, group_setup, NULL);
}
