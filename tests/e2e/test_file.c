/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_file.c - end to end for bpf/file.bpf.c and its pre-filter
 * (user/filters/file.c): the real agent, real opens from children of this
 * test, every field of each record asserted.
 *
 * One agent runs for the whole group (started in the group setup) on one
 * rule file; each test works in its own part of the temporary directory:
 *   secrets/ and below       watched directory (exists at start)
 *   data/evals/ and below    does not exist at start: data/ is watched instead
 *   mnt/ and below           bind mounts placed under it by the tests
 *   .e2e-token anywhere      a basename rule
 *   .e2e-keys/id_STAR anywhere   a directory-name rule
 * The directory itself is not watched, so an open elsewhere in it is an
 * innocent one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mount.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>


#include "events.h"
#include "filehelp.h"
#include "harness.h"

#define WAIT_MS 5000
#define RULE "e2e-secret-open"
#define EVAL_RULE "e2e-eval-open"

static const char rules_yaml[] =
	"custos: 1\n"
	"lists:\n"
	"  secret_files:\n"
	"    - \"@DIR@/secrets/**\"\n"
	"    - \"@DIR@/mnt/**\"\n"
	"    - \"**/.e2e-token\"\n"
	"    - \"**/.e2e-keys/id_*\"\n"
	"    - \"@DIR@/home/.e2e-netrc\"\n"
	"  approved_readers: [\"@DIR@/approved/*\"]\n"
	"rules:\n"
	"  - id: " RULE "\n"
	"    description: a process outside the approved set opened a secret\n"
	"    on: file\n"
	"    severity: critical\n"
	"    tags: [e2e, \"mitre:T1552.001\"]\n"
	"    when:\n"
	"      path: $secret_files\n"
	"    unless:\n"
	"      - exe: $approved_readers\n"
	"  - id: " EVAL_RULE "\n"
	"    on: file\n"
	"    severity: high\n"
	"    when:\n"
	"      path: \"@DIR@/data/evals/**\"\n"
	"  - id: e2e-block-asked\n"
	"    on: file\n"
	"    severity: low\n"
	"    action: block\n"
	"    when:\n"
	"      path: \"@DIR@/blocked/**\"\n";

static struct agent_run g_r;
static char g_policy[80];
static char g_self[PATH_MAX];

static void path_in(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", g_r.dir, rel);
}

static int group_setup(void **state)
{
	char p[512];

	if (harness_setup(&g_r, rules_yaml))
		return -1;
	if (policy_of(g_r.rules, g_policy, sizeof(g_policy)))
		return -1;
	if (!realpath("/proc/self/exe", g_self))
		return -1;
	path_in(p, sizeof(p), "secrets");
	mkdir(p, 0700);
	path_in(p, sizeof(p), "secrets/api.key");
	write_text(p, "sk-test\n");
	path_in(p, sizeof(p), "data");
	mkdir(p, 0755);
	path_in(p, sizeof(p), "mnt");
	mkdir(p, 0755);
	path_in(p, sizeof(p), "other");
	mkdir(p, 0755);
	path_in(p, sizeof(p), "blocked");
	mkdir(p, 0755);
	path_in(p, sizeof(p), "home");
	mkdir(p, 0755);
	return harness_start(&g_r, NULL);
}

static int group_teardown(void **state)
{
	int rc = harness_stop(&g_r);

	harness_cleanup(&g_r);
	return rc == 0 ? 0 : -1;
}

/*
 * Waits for the record of pid's open of path and asserts every field;
 * exe NULL means this test binary (a forked child), comm likewise.
 */
static void expect_open(pid_t pid, const char *path, const char *rule, const char *severity,
			const char *const *access, const char *flags, const char *exe,
			const char *comm, long long t0)
{
	struct file_pred fp = { pid, path, rule };
	json_t *rec = harness_wait_record(&g_r, pred_file, &fp, WAIT_MS);

	if (!rec)
		fail_msg("no record for pid %d opening %s (nested file loss records: %zu)", (int)pid,
			 path, harness_nested_file_losses(&g_r));
	assert_common_fields(rec, "file", rule, severity, "alert", g_policy);
	assert_time_recent(rec, t0);
	assert_int_equal(jint(rec, "process.pid"), pid);
	assert_int_equal(jint(rec, "process.tid"), pid);
	assert_int_equal(jint(rec, "process.ppid"), getpid());
	assert_int_equal(jint(rec, "process.uid"), getuid());
	assert_string_equal(jstr(rec, "process.comm"), comm ? comm : "test_file");
	assert_string_equal(jstr(rec, "process.exe"), exe ? exe : g_self);
	assert_string_equal(jstr(rec, "file.path"), path);
	assert_args(json_object_get(json_object_get(rec, "file"), "access"), access);
	assert_string_equal(jstr(rec, "file.flags"), flags);
	assert_null(json_object_get(json_object_get(rec, "file"), "truncated"));
	json_decref(rec);
}

static const char *const R[] = { "read", NULL };
static const char *const W_C[] = { "write", "create", NULL };
static const char *const RW[] = { "read", "write", NULL };
static const char *const RW_C[] = { "read", "write", "create", NULL };

/* --- children: fork, open, _exit (exit code says what failed) ------------ */

enum how { BY_PATH, BY_CHDIR, BY_DIRFD, BY_BIND };

struct open_req {
	enum how how;
	const char *dir;	/* BY_CHDIR/BY_DIRFD: the directory; BY_BIND: source */
	const char *path;	/* the name passed to open/openat; BY_BIND: mountpoint */
	const char *bind_open;	/* BY_BIND: what to open after mounting */
	int flags;
};

static void child_do(const struct open_req *q)
{
	int fd = -1, dfd;

	switch (q->how) {
	case BY_PATH:
		fd = open(q->path, q->flags, 0600);
		break;
	case BY_CHDIR:
		if (chdir(q->dir))
			_exit(10);
		fd = open(q->path, q->flags, 0600);
		break;
	case BY_DIRFD:
		dfd = open(q->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			_exit(11);
		fd = openat(dfd, q->path, q->flags, 0600);
		break;
	case BY_BIND:
		if (unshare(CLONE_NEWNS))
			_exit(12);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(13);
		if (mount(q->dir, q->path, NULL, MS_BIND, NULL))
			_exit(14);
		fd = open(q->bind_open, q->flags);
		break;
	}
	_exit(fd >= 0 ? 0 : 20);
}

static pid_t child_open(const struct open_req *q)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		child_do(q);
	assert_int_equal(harness_wait(pid), 0);
	return pid;
}

static pid_t open_path(const char *path, int flags)
{
	struct open_req q = { BY_PATH, NULL, path, NULL, flags };

	return child_open(&q);
}

struct req_try {
	const struct open_req *q;
	const char *path;	/* the file q opens: unlinked before a create is made again */
	struct file_pred *fp;
};

/* harness_act: q's open once more */
static void req_try(void *ctx, int tries)
{
	struct req_try *t = ctx;

	if (tries && (t->q->flags & O_CREAT))
		unlink(t->path);
	t->fp->pid = child_open(t->q);
}

/*
 * expect_open() of q's open of path by a forked child of this binary.  An
 * open whose run of the file program the kernel skipped (a nested loss
 * record came meanwhile: reported, not hidden) is made again, at most twice.
 */
static void expect_req(const struct open_req *q, const char *path, const char *rule,
		       const char *severity, const char *const *access, const char *flags,
		       long long t0)
{
	struct file_pred fp = { 0, path, rule };
	struct req_try t = { q, path, &fp };

	json_decref(harness_act_record(&g_r, req_try, &t, pred_file, &fp, WAIT_MS));
	expect_open(fp.pid, path, rule, severity, access, flags, NULL, NULL, t0);
}

/* expect_req() of open(name, oflags), the record's file being path */
static void expect_path(const char *name, int oflags, const char *path, const char *rule,
			const char *severity, const char *const *access, const char *flags,
			long long t0)
{
	struct open_req q = { BY_PATH, NULL, name, NULL, oflags };

	expect_req(&q, path, rule, severity, access, flags, t0);
}

/* --- tests ---------------------------------------------------------------- */

static void test_absolute_path(void **state)
{
	char p[512];
	long long t0 = now_realtime_ns();

	path_in(p, sizeof(p), "secrets/api.key");
	expect_path(p, O_RDONLY | O_CLOEXEC, p, RULE, "critical", R,
		    "O_RDONLY|O_CLOEXEC", t0);
}

static void test_relative_path(void **state)
{
	char dir[512], p[512];
	long long t0 = now_realtime_ns();
	struct open_req q = { BY_CHDIR, dir, "./api.key", NULL, O_RDONLY };

	path_in(dir, sizeof(dir), "secrets");
	path_in(p, sizeof(p), "secrets/api.key");
	expect_req(&q, p, RULE, "critical", R, "O_RDONLY", t0);
}

static void test_symlink_elsewhere(void **state)
{
	char link[512], p[512];
	long long t0 = now_realtime_ns();

	path_in(p, sizeof(p), "secrets/api.key");
	path_in(link, sizeof(link), "other/innocent-looking");
	unlink(link);
	assert_int_equal(symlink(p, link), 0);
	expect_path(link, O_RDONLY, p, RULE, "critical", R, "O_RDONLY", t0);
}

static void test_openat_dirfd(void **state)
{
	char dir[512], p[512];
	long long t0 = now_realtime_ns();
	struct open_req q = { BY_DIRFD, dir, "api.key", NULL, O_RDONLY | O_NOFOLLOW };

	path_in(dir, sizeof(dir), "secrets");
	path_in(p, sizeof(p), "secrets/api.key");
	expect_req(&q, p, RULE, "critical", R, "O_RDONLY|O_NOFOLLOW", t0);
}

static void test_dotdot(void **state)
{
	char via[512], p[512];
	long long t0 = now_realtime_ns();

	path_in(via, sizeof(via), "other/../secrets/./api.key");
	path_in(p, sizeof(p), "secrets/api.key");
	expect_path(via, O_RDONLY, p, RULE, "critical", R, "O_RDONLY", t0);
}

/* A directory from elsewhere bind-mounted under a watched one (a private
 * mount namespace of the child): the path is the one through the mount. */
static void test_bind_mount(void **state)
{
	char src[512], secret[512], mnt[512], via[512];
	long long t0 = now_realtime_ns();
	struct open_req q = { BY_BIND, src, mnt, via, O_RDONLY };

	path_in(src, sizeof(src), "outside");
	mkdir(src, 0700);
	path_in(secret, sizeof(secret), "outside/model-token");
	write_text(secret, "hf_x\n");
	path_in(mnt, sizeof(mnt), "mnt/view");
	mkdir(mnt, 0700);
	path_in(via, sizeof(via), "mnt/view/model-token");
	expect_req(&q, via, RULE, "critical", R, "O_RDONLY", t0);
}

/* Created after the agent started, by the child: write + create. */
static void test_create_classified(void **state)
{
	char p[512];
	long long t0 = now_realtime_ns();

	path_in(p, sizeof(p), "secrets/new-after-start.pem");
	unlink(p);
	expect_path(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, p, RULE, "critical",
		    W_C, "O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC", t0);
}

/* Created after the agent started (by this process), then read by a child. */
static void test_file_created_later_read(void **state)
{
	char p[512];
	long long t0 = now_realtime_ns();

	path_in(p, sizeof(p), "secrets/later.txt");
	write_text(p, "x\n");
	expect_path(p, O_RDONLY, p, RULE, "critical", R, "O_RDONLY", t0);
}

/* data/evals did not exist when the rules loaded; written into: tampering. */
static void test_dir_created_later(void **state)
{
	char p[512];
	long long t0 = now_realtime_ns();

	path_in(p, sizeof(p), "data/evals");
	assert_int_equal(mkdir(p, 0755), 0);
	path_in(p, sizeof(p), "data/evals/mmlu");
	assert_int_equal(mkdir(p, 0755), 0);
	path_in(p, sizeof(p), "data/evals/mmlu/test.jsonl");
	write_text(p, "{}\n");
	expect_path(p, O_RDWR | O_APPEND, p, EVAL_RULE, "high", RW,
		    "O_RDWR|O_APPEND", t0);
}

/* A basename rule matches deep in a tree no directory rule covers. */
static void test_basename_deep(void **state)
{
	char p[512];
	long long t0 = now_realtime_ns();
	const char *dirs[] = { "deep", "deep/a", "deep/a/b", "deep/a/b/c", "deep/a/b/c/d" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		path_in(p, sizeof(p), dirs[i]);
		mkdir(p, 0755);
	}
	path_in(p, sizeof(p), "deep/a/b/c/d/.e2e-token");
	write_text(p, "t\n");
	expect_path(p, O_RDONLY, p, RULE, "critical", R, "O_RDONLY", t0);
}

/* A glob whose only literal is a directory name ("STARSTAR/.e2e-keys/id_STAR"),
 * in a tree created after start; the innocent test proves it did not turn
 * into "every open". */
static void test_directory_name_deep(void **state)
{
	char p[512];
	long long t0 = now_realtime_ns();
	const char *dirs[] = { "deep2", "deep2/x", "deep2/x/.e2e-keys" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		path_in(p, sizeof(p), dirs[i]);
		mkdir(p, 0755);
	}
	path_in(p, sizeof(p), "deep2/x/.e2e-keys/id_test");
	write_text(p, "k\n");
	expect_path(p, O_RDONLY, p, RULE, "critical", R, "O_RDONLY", t0);
}

/* Bytes that JSON must escape come back byte-exact. */
static void test_name_with_special_bytes(void **state)
{
	char p[512];
	long long t0 = now_realtime_ns();

	path_in(p, sizeof(p), "secrets/we\nird \"q\" back\\slash \x01.key");
	write_text(p, "x\n");
	expect_path(p, O_RDONLY, p, RULE, "critical", R, "O_RDONLY", t0);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (out < 0) {
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	return close(out);
}

/* An approved reader (exe in approved_readers) is not reported; cat is. */
static void test_exempted_reader(void **state)
{
	char dir[512], cat[512], p[512], real_cat[PATH_MAX];
	long long t0 = now_realtime_ns();
	pid_t ok, bad;
	json_t *all;
	struct file_pred fp = { 0, NULL, NULL };

	path_in(dir, sizeof(dir), "approved");
	mkdir(dir, 0755);
	path_in(cat, sizeof(cat), "approved/cat");
	assert_int_equal(copy_file("/bin/cat", cat, 0755), 0);
	assert_non_null(realpath("/bin/cat", real_cat));
	path_in(p, sizeof(p), "secrets/api.key");

	ok = harness_spawn(cat, (char *[]){ cat, p, NULL });
	assert_int_equal(harness_wait(ok), 0);
	bad = harness_spawn("/bin/cat", (char *[]){ "/bin/cat", p, NULL });
	assert_int_equal(harness_wait(bad), 0);
	expect_open(bad, p, RULE, "critical", R, "O_RDONLY", real_cat, "cat", t0);

	fp.pid = ok;
	all = harness_records(&g_r, pred_file, &fp);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
}

static int pred_path(json_t *rec, void *path)
{
	const char *p = jstr(rec, "file.path");

	return p && strcmp(p, path) == 0;
}

/* An open no rule can match is not reported, not even to the agent. */
static void test_innocent_not_reported(void **state)
{
	char plain[512], p[512];
	long long t0 = now_realtime_ns();
	pid_t innocent, culprit;
	struct file_pred fp = { 0, NULL, NULL };
	json_t *all;

	long long before, after;

	path_in(plain, sizeof(plain), "other/notes.txt");
	write_text(plain, "hello\n");
	/* nothing else on the host opens what these rules watch: the kernel
	 * must not have let the innocent open into the ring at all */
	before = agent_stat(g_r.pid, STAT_FILE_EMIT);
	assert_true(before >= 0);
	innocent = open_path(plain, O_RDONLY);
	after = agent_stat(g_r.pid, STAT_FILE_EMIT);
	assert_int_equal(after, before);
	path_in(p, sizeof(p), "secrets/api.key");
	culprit = open_path(p, O_RDONLY);
	assert_true(agent_stat(g_r.pid, STAT_FILE_EMIT) > after);	/* the counter does count */
	/* records are in order: once this one is in, the innocent one would be */
	expect_open(culprit, p, RULE, "critical", R, "O_RDONLY", NULL, NULL, t0);

	fp.pid = innocent;
	all = harness_records(&g_r, pred_file, &fp);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	all = harness_records(&g_r, pred_path, plain);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
}

/*
 * A literal file rule (home/.e2e-netrc, missing at start) watches the
 * file's name and identity, not its directory: the other opens in home/
 * stay in the kernel (a home directory holds virtualenvs, caches, model
 * weights).  Created later, the file is reported by its name, and a hard
 * link to it by the identity its creation gave it.
 */
static void test_literal_file_not_its_directory(void **state)
{
	char notes[512], netrc[512], link_[512];
	long long t0 = now_realtime_ns(), before;

	path_in(notes, sizeof(notes), "home/notes.txt");
	path_in(netrc, sizeof(netrc), "home/.e2e-netrc");
	path_in(link_, sizeof(link_), "other/netrc-link");
	write_text(notes, "hello\n");
	before = agent_stat(g_r.pid, STAT_FILE_EMIT);
	assert_true(before >= 0);
	open_path(notes, O_RDONLY);
	open_path(notes, O_RDWR);
	assert_int_equal(agent_stat(g_r.pid, STAT_FILE_EMIT), before);

	write_text(netrc, "machine x login y\n");
	expect_path(netrc, O_RDONLY, netrc, RULE, "critical", R, "O_RDONLY", t0);
	assert_int_equal(link(netrc, link_), 0);
	expect_path(link_, O_RDONLY, link_, RULE, "critical", R, "O_RDONLY", t0);
}

/* Does the agent refuse file opens (file__lsm attached: BPF LSM)? */
static int fileguard_on(struct agent_run *r)
{
	int on = harness_lsm_hook(r, "file__lsm");

	print_message("file guard %s\n", on ? "on (BPF LSM): opens are refused" :
		      "off (not the lsm backend): file block rules report only");
	return on;
}

/* A child that opens path with flags: 0, or 100 + errno when open() fails. */
static pid_t try_open(const char *path, int flags, int *status)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(path, flags, 0600);

		_exit(fd >= 0 ? 0 : 100 + (errno & 0x3f));
	}
	*status = harness_wait(pid);
	return pid;
}

struct open_try {
	const char *path;
	int flags, want, st, *redone;
	struct file_pred *fp;
};

/* harness_act: one open of t->path, a create's file unlinked before another */
static void open_try(void *ctx, int tries)
{
	struct open_try *t = ctx;

	if (tries) {
		if ((t->flags & O_CREAT) && t->st == 0)
			unlink(t->path);
		(*t->redone)++;
	}
	t->fp->pid = try_open(t->path, t->flags, &t->st);
	assert_int_equal(t->st, t->want);
}

/*
 * The record of an open of path with flags under rule, by a child that
 * exits with want; *pid the child's.  An open whose run of the file program
 * the kernel skipped (a nested loss record came meanwhile: the gap is
 * reported, not hidden) is made again, at most twice, after unlinking what
 * a create made; *redone counts those.  NULL: no record, nothing skipped.
 */
static json_t *open_record(struct agent_run *r, const char *path, int flags, const char *rule,
			   int want, pid_t *pid, int *redone)
{
	struct file_pred fp = { 0, path, rule };
	struct open_try t = { path, flags, want, 0, redone, &fp };
	json_t *rec = harness_act_record(r, open_try, &t, pred_file, &fp, WAIT_MS);

	*pid = fp.pid;
	return rec;
}

/*
 * Every field of the record of pid's open of path under a file block rule:
 * blocked (refused by the kernel: action block) or not (action alert).
 * exe/comm NULL: this test binary (a forked child); parent: this process.
 */
static void assert_block_record(json_t *rec, const char *rule, const char *sev, int blocked,
				const char *policy, long long t0, pid_t pid, const char *path,
				const char *const *access, const char *flags, const char *exe,
				const char *comm)
{
	char cgroup[4096];
	json_t *anc;

	assert_common_fields(rec, "file", rule, sev, blocked ? "block" : "alert", policy);
	assert_time_recent(rec, t0);
	assert_int_equal(jint(rec, "process.pid"), pid);
	assert_int_equal(jint(rec, "process.tid"), pid);
	assert_int_equal(jint(rec, "process.ppid"), getpid());
	assert_int_equal(jint(rec, "process.uid"), getuid());
	assert_string_equal(jstr(rec, "process.comm"), comm ? comm : "test_file");
	assert_string_equal(jstr(rec, "process.exe"), exe ? exe : g_self);
	assert_int_equal(self_cgroup(cgroup, sizeof(cgroup)), 0);
	assert_string_equal(jstr(rec, "process.cgroup"), cgroup);
	assert_int_equal(jint(rec, "parent.pid"), getpid());
	assert_string_equal(jstr(rec, "parent.exe"), g_self);
	anc = json_object_get(rec, "ancestors");
	assert_true(json_array_size(anc) >= 1);
	assert_string_equal(json_string_value(json_array_get(anc, 0)), g_self);
	assert_string_equal(jstr(rec, "file.path"), path);
	assert_args(json_object_get(json_object_get(rec, "file"), "access"), access);
	assert_string_equal(jstr(rec, "file.flags"), flags);
	assert_true(json_is_boolean(json_object_get(json_object_get(rec, "file"), "blocked")));
	assert_int_equal(json_is_true(json_object_get(json_object_get(rec, "file"), "blocked")),
			 blocked);
	assert_null(json_object_get(json_object_get(rec, "file"), "truncated"));
}

/* The group's `blocked/STARSTAR` block rule: refused under BPF LSM, else
 * the open succeeds and the record says "alert" (the agent said so at start). */
static void test_block_rule_group(void **state)
{
	struct file_pred fp = { 0, NULL, "e2e-block-asked" };
	long long t0 = now_realtime_ns();
	int on = fileguard_on(&g_r), redone = 0;
	char p[512];
	json_t *rec;

	if (on)
		assert_true(harness_log_contains(&g_r, "agent: 1 file block rule enforced in the "
						 "kernel (BPF LSM file_open)", WAIT_MS));
	else
		assert_true(harness_log_contains(&g_r, "agent: 1 file block rule report only on "
						 "the ", WAIT_MS));
	path_in(p, sizeof(p), "blocked/x");
	assert_int_equal(mknod(p, S_IFREG | 0600, 0), 0);	/* no open: not refused */
	rec = open_record(&g_r, p, O_RDONLY, "e2e-block-asked", on ? 100 + EPERM : 0, &fp.pid,
			  &redone);
	if (!rec)
		fail_msg("no record for pid %d opening %s", (int)fp.pid, p);
	assert_block_record(rec, "e2e-block-asked", "low", on, g_policy, t0, fp.pid, p, R,
			    "O_RDONLY", NULL, NULL);
	json_decref(rec);
}

/*
 * File block rules end to end, on an agent of their own: a literal secret
 * file (read access, `unless` an approved copy of cat), a `DIR/STARSTAR` tree
 * whose files are made after the start, a `STARSTAR/NAME` name.  Under BPF LSM
 * the opens fail with EPERM and are reported blocked; elsewhere they succeed
 * and are reported with action alert.  Innocent opens (another file, write
 * access to the secret, the approved reader) are neither refused nor reported.
 */
static void test_file_block_rules(void **state)
{
	static const char yaml[] =
		"custos: 1\n"
		"rules:\n"
		"  - id: e2e-block-secret\n"
		"    on: file\n"
		"    severity: critical\n"
		"    action: block\n"
		"    when:\n"
		"      path: \"@DIR@/vault/secret.txt\"\n"
		"      access: [read]\n"
		"    unless:\n"
		"      - exe: \"@DIR@/approved/cat\"\n"
		"  - id: e2e-block-drop\n"
		"    on: file\n"
		"    severity: high\n"
		"    action: block\n"
		"    when:\n"
		"      path: [\"@DIR@/drop/**\", \"**/.e2e-forbidden\"]\n";
	struct agent_run r;
	char p[512], q[512], innocent[512], named[512], cat[512], real_cat[PATH_MAX];
	char policy[80];
	struct file_pred fp = { 0, NULL, NULL };
	long long t0 = now_realtime_ns();
	pid_t pid;
	json_t *rec, *all;
	int on, st, redone = 0;

	assert_int_equal(harness_setup(&r, yaml), 0);
	assert_int_equal(policy_of(r.rules, policy, sizeof(policy)), 0);
	snprintf(p, sizeof(p), "%s/vault", r.dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/vault/secret.txt", r.dir);
	assert_int_equal(mknod(p, S_IFREG | 0644, 0), 0);
	snprintf(innocent, sizeof(innocent), "%s/vault/other.txt", r.dir);
	assert_int_equal(mknod(innocent, S_IFREG | 0644, 0), 0);
	snprintf(q, sizeof(q), "%s/drop", r.dir);
	assert_int_equal(mkdir(q, 0755), 0);
	snprintf(q, sizeof(q), "%s/approved", r.dir);
	assert_int_equal(mkdir(q, 0755), 0);
	snprintf(cat, sizeof(cat), "%s/approved/cat", r.dir);
	assert_int_equal(copy_file("/bin/cat", cat, 0755), 0);
	assert_non_null(realpath("/bin/cat", real_cat));
	assert_int_equal(harness_start(&r, NULL), 0);
	on = fileguard_on(&r);
	assert_true(harness_log_contains(&r, on ? "agent: 2 file block rules enforced in the "
					 "kernel (BPF LSM file_open): a matching open fails with "
					 "EPERM" : "agent: 2 file block rules report only on the ",
					 WAIT_MS));

	/* the secret, read: refused */
	rec = open_record(&r, p, O_RDONLY | O_CLOEXEC, "e2e-block-secret", on ? 100 + EPERM : 0,
			  &pid, &redone);
	if (!rec)
		fail_msg("no record for pid %d opening %s", (int)pid, p);
	assert_block_record(rec, "e2e-block-secret", "critical", on, policy, t0, pid, p, R,
			    "O_RDONLY|O_CLOEXEC", NULL, NULL);
	json_decref(rec);

	/* a file made in the tree after the start (mknod opens nothing), and one
	 * in a directory made after the start */
	snprintf(q, sizeof(q), "%s/drop/later.bin", r.dir);
	assert_int_equal(mknod(q, S_IFREG | 0644, 0), 0);
	rec = open_record(&r, q, O_RDWR, "e2e-block-drop", on ? 100 + EPERM : 0, &pid, &redone);
	if (!rec)
		fail_msg("no record for pid %d opening %s", (int)pid, q);
	assert_block_record(rec, "e2e-block-drop", "high", on, policy, t0, pid, q, RW, "O_RDWR",
			    NULL, NULL);
	json_decref(rec);
	snprintf(q, sizeof(q), "%s/drop/sub", r.dir);
	assert_int_equal(mkdir(q, 0755), 0);
	snprintf(q, sizeof(q), "%s/drop/sub/deep.bin", r.dir);
	assert_int_equal(mknod(q, S_IFREG | 0644, 0), 0);
	rec = open_record(&r, q, O_RDONLY, "e2e-block-drop", on ? 100 + EPERM : 0, &pid, &redone);
	if (!rec)
		fail_msg("no record for pid %d opening %s", (int)pid, q);
	assert_block_record(rec, "e2e-block-drop", "high", on, policy, t0, pid, q, R, "O_RDONLY",
			    NULL, NULL);
	json_decref(rec);

	/* a name anywhere, created by the refused open itself */
	snprintf(named, sizeof(named), "%s/vault/.e2e-forbidden", r.dir);
	rec = open_record(&r, named, O_WRONLY | O_CREAT | O_EXCL, "e2e-block-drop",
			  on ? 100 + EPERM : 0, &pid, &redone);
	if (!rec)
		fail_msg("no record for pid %d opening %s", (int)pid, named);
	assert_block_record(rec, "e2e-block-drop", "high", on, policy, t0, pid, named, W_C,
			    "O_WRONLY|O_CREAT|O_EXCL", NULL, NULL);
	json_decref(rec);

	/* innocent: another file; the secret for writing (the rule says read);
	 * the approved reader */
	pid = try_open(innocent, O_RDONLY, &st);
	assert_int_equal(st, 0);
	fp = (struct file_pred){ pid, NULL, NULL };
	all = harness_records(&r, pred_file, &fp);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	pid = try_open(p, O_WRONLY, &st);
	assert_int_equal(st, 0);
	fp = (struct file_pred){ pid, NULL, NULL };
	all = harness_records(&r, pred_file, &fp);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	pid = harness_spawn(cat, (char *[]){ cat, p, NULL });
	assert_int_equal(harness_wait(pid), 0);
	/* /bin/cat is not exempt: refused (cat exits 1 when it cannot open) */
	fp.pid = harness_spawn("/bin/cat", (char *[]){ "/bin/cat", p, NULL });
	assert_int_equal(harness_wait(fp.pid), on ? 1 : 0);
	fp.path = p;
	fp.rule = "e2e-block-secret";
	rec = harness_wait_record(&r, pred_file, &fp, WAIT_MS);
	if (!rec)
		fail_msg("no record for /bin/cat (pid %d) opening %s", (int)fp.pid, p);
	json_decref(rec);
	fp = (struct file_pred){ pid, NULL, NULL };	/* the approved reader: nothing */
	all = harness_records(&r, pred_file, &fp);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);

	/* the status counter: the five refused opens above (none elsewhere) */
	{
		char sock[512], out[65536];
		json_error_t jerr;
		json_t *status;

		snprintf(sock, sizeof(sock), "%s/status.sock", r.dir);
		assert_int_equal(harness_capture((char *[]){ (char *)harness_custos(), "status",
							     "--json", "--socket", sock, NULL },
						 out, sizeof(out)), 0);
		status = json_loads(out, 0, &jerr);
		assert_non_null(status);
		assert_int_equal(jint(status, "bpf.file_blocked"), on ? 5 + redone : 0);
		json_decref(status);
	}

	assert_int_equal(harness_stop(&r), 0);
	harness_cleanup(&r);
}

/*
 * Reload: a file block rule added by SIGHUP refuses from then on (the agent
 * says so again); removed by the next, the open goes through unreported.
 */
static void test_file_block_reload(void **state)
{
	static const char none[] =
		"custos: 1\n"
		"rules:\n"
		"  - id: e2e-watch\n"
		"    on: file\n"
		"    severity: low\n"
		"    when:\n"
		"      path: \"@DIR@/other/**\"\n";
	static const char one[] =
		"custos: 1\n"
		"rules:\n"
		"  - id: e2e-reload-block\n"
		"    on: file\n"
		"    severity: high\n"
		"    action: block\n"
		"    when:\n"
		"      path: \"@DIR@/keys/**\"\n";
	struct agent_run r;
	char p[512], policy[80];
	struct file_pred fp = { 0, NULL, NULL };
	long long t0;
	json_t *rec, *all;
	int on, st;

	assert_int_equal(harness_setup(&r, none), 0);
	snprintf(p, sizeof(p), "%s/keys", r.dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/keys/k1", r.dir);
	assert_int_equal(mknod(p, S_IFREG | 0644, 0), 0);
	assert_int_equal(harness_start(&r, NULL), 0);
	on = fileguard_on(&r);
	fp.pid = try_open(p, O_RDONLY, &st);
	assert_int_equal(st, 0);	/* no block rule yet */

	assert_int_equal(harness_write_rules(&r, one), 0);
	assert_int_equal(policy_of(r.rules, policy, sizeof(policy)), 0);
	assert_int_equal(kill(r.pid, SIGHUP), 0);
	assert_true(harness_log_contains(&r, on ? "reload: 1 file block rule enforced in the kernel"
					 : "reload: 1 file block rule report only on the ", WAIT_MS));
	t0 = now_realtime_ns();
	fp.pid = try_open(p, O_RDONLY, &st);
	assert_int_equal(st, on ? 100 + EPERM : 0);
	fp.path = p;
	fp.rule = "e2e-reload-block";
	rec = harness_wait_record(&r, pred_file, &fp, WAIT_MS);
	if (!rec)
		fail_msg("no record for pid %d opening %s after the reload", (int)fp.pid, p);
	assert_block_record(rec, "e2e-reload-block", "high", on, policy, t0, fp.pid, p, R,
			    "O_RDONLY", NULL, NULL);
	json_decref(rec);

	assert_int_equal(harness_write_rules(&r, none), 0);
	assert_int_equal(policy_of(r.rules, policy, sizeof(policy)), 0);
	assert_int_equal(kill(r.pid, SIGHUP), 0);
	{
		char want[200];

		snprintf(want, sizeof(want), "reload: 1 rules in force (0 exec, 1 file, 0 connect; "
			 "0 disabled), policy %s", policy);
		assert_true(harness_log_contains(&r, want, WAIT_MS));
	}
	fp = (struct file_pred){ try_open(p, O_RDONLY, &st), NULL, NULL };
	assert_int_equal(st, 0);
	all = harness_records(&r, pred_file, &fp);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	assert_int_equal(harness_stop(&r), 0);
	harness_cleanup(&r);
}

/* A file block rule the kernel cannot decide: rules check and run refuse it. */
static void test_file_block_undecidable(void **state)
{
	static const char bad[] =
		"custos: 1\n"
		"rules:\n"
		"  - id: ok-alert\n"
		"    on: file\n"
		"    severity: low\n"
		"    when:\n"
		"      path: \"/etc/*.conf\"\n"
		"  - id: bad-file-block\n"
		"    on: file\n"
		"    severity: high\n"
		"    action: block\n"
		"    when:\n"
		"      path: \"/srv/models/*.safetensors\"\n";
	struct agent_run r;
	char out[4096], want[1024];

	assert_int_equal(harness_setup(&r, bad), 0);
	assert_int_equal(harness_capture((char *[]){ (char *)harness_custos(), "rules", "check",
						     r.rules, NULL }, out, sizeof(out)), 1);
	snprintf(want, sizeof(want), "%s:8:5: error: rule 'bad-file-block': action block needs "
		 "a condition the kernel decides, but `when.path` has '/srv/models/*.safetensors', "
		 "which it cannot (it can: an absolute path without wildcards, 'DIR/**' with DIR "
		 "one, or '**/NAME')\n", r.rules);
	assert_string_equal(out, want);
	assert_int_equal(harness_start(&r, NULL), -ECHILD);
	want[strlen(want) - 1] = '\0';
	assert_true(harness_log_contains(&r, want, 0));
	harness_cleanup(&r);
}

/* A path longer than the kernel's 4096 bytes: the deepest part, marked. */
static void test_long_path_truncated(void **state)
{
	char comp[201], top[512], full[8192];
	long long t0 = now_realtime_ns();
	struct file_pred fp = { 0, NULL, RULE };
	json_t *rec;
	const char *path;
	pid_t pid;
	size_t flen, plen;

	memset(comp, 'd', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = '\0';
	path_in(top, sizeof(top), "long");
	mkdir(top, 0755);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* 22 levels of 200 bytes: built and opened relative to the cwd */
		if (chdir(top))
			_exit(10);
		for (int i = 0; i < 22; i++)
			if ((mkdir(comp, 0755) && errno != EEXIST) || chdir(comp))
				_exit(11);
		int fd = open(".e2e-token", O_RDWR | O_CREAT, 0600);

		_exit(fd >= 0 ? 0 : 12);
	}
	assert_int_equal(harness_wait(pid), 0);
	snprintf(full, sizeof(full), "%s", top);
	for (int i = 0; i < 22; i++)
		snprintf(full + strlen(full), sizeof(full) - strlen(full), "/%s", comp);
	strcat(full, "/.e2e-token");

	fp.pid = pid;
	rec = harness_wait_record(&g_r, pred_file, &fp, WAIT_MS);
	assert_non_null(rec);
	assert_common_fields(rec, "file", RULE, "critical", "alert", g_policy);
	assert_time_recent(rec, t0);
	assert_int_equal(jint(rec, "process.ppid"), getpid());
	assert_string_equal(jstr(rec, "process.exe"), g_self);
	assert_true(json_is_true(json_object_get(json_object_get(rec, "file"), "truncated")));
	path = jstr(rec, "file.path");
	assert_non_null(path);
	flen = strlen(full);
	plen = strlen(path);
	/* the deepest whole components that fit, starting at a '/' */
	assert_true(plen < flen && plen <= 4096 && plen > 4096 - 202);
	assert_int_equal(path[0], '/');
	assert_string_equal(path, full + (flen - plen));
	assert_args(json_object_get(json_object_get(rec, "file"), "access"), RW_C);
	assert_string_equal(jstr(rec, "file.flags"), "O_RDWR|O_CREAT");
	json_decref(rec);

	/* the harness's nftw cannot remove a tree this deep: undo it level by level */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(top))
			_exit(10);
		for (int i = 0; i < 22; i++)
			if (chdir(comp))
				_exit(11);
		unlink(".e2e-token");
		for (int i = 0; i < 22; i++)
			if (chdir("..") || rmdir(comp))
				_exit(12);
		_exit(0);
	}
	assert_int_equal(harness_wait(pid), 0);
}

/* SIGHUP: a directory the new rules name is watched, the old one is not. */
static void test_reload_moves_the_watch(void **state)
{
	static const char a_rules[] = "custos: 1\nrules:\n  - id: e2e-reload-a\n"
				      "    on: file\n    severity: low\n    when:\n"
				      "      path: \"@DIR@/a/*\"\n";
	static const char b_rules[] = "custos: 1\nrules:\n  - id: e2e-reload-b\n"
				      "    on: file\n    severity: low\n    when:\n"
				      "      path: \"@DIR@/b/*\"\n";
	struct agent_run r;
	char pa[512], pb[512];
	struct file_pred fp = { 0, NULL, NULL };
	json_t *rec, *all;
	pid_t old;

	assert_int_equal(harness_setup(&r, a_rules), 0);
	snprintf(pa, sizeof(pa), "%s/a", r.dir);
	mkdir(pa, 0755);
	snprintf(pb, sizeof(pb), "%s/b", r.dir);
	mkdir(pb, 0755);
	strcat(pa, "/x");
	strcat(pb, "/y");
	write_text(pa, "a\n");
	write_text(pb, "b\n");
	assert_int_equal(harness_start(&r, NULL), 0);

	fp.pid = open_path(pa, O_RDONLY);
	fp.path = pa;
	rec = harness_wait_record(&r, pred_file, &fp, WAIT_MS);
	assert_non_null(rec);
	assert_string_equal(jstr(rec, "rule"), "e2e-reload-a");
	json_decref(rec);

	assert_int_equal(harness_write_rules(&r, b_rules), 0);
	assert_int_equal(kill(r.pid, SIGHUP), 0);
	assert_true(harness_log_contains(&r, "reload: ", WAIT_MS));

	old = open_path(pa, O_RDONLY);
	fp.pid = open_path(pb, O_RDONLY);
	fp.path = pb;
	rec = harness_wait_record(&r, pred_file, &fp, WAIT_MS);
	assert_non_null(rec);
	assert_string_equal(jstr(rec, "rule"), "e2e-reload-b");
	assert_string_equal(jstr(rec, "file.path"), pb);
	json_decref(rec);
	fp.pid = old;
	fp.path = NULL;
	all = harness_records(&r, pred_file, &fp);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);

	assert_int_equal(harness_stop(&r), 0);
	harness_cleanup(&r);
}

enum sys_open { S_OPEN, S_CREAT, S_OPENAT2, S_BY_HANDLE };

static void child_sys_open(enum sys_open which, const char *path, const char *dir)
{
	long fd = -1;

	switch (which) {
	case S_OPEN:
		fd = syscall(SYS_open, path, O_RDONLY | O_CLOEXEC);
		break;
	case S_CREAT:
		fd = syscall(SYS_creat, path, 0600);
		break;
	case S_OPENAT2: {
		struct open_how how = { .flags = O_RDONLY | O_NOFOLLOW,
					.resolve = RESOLVE_NO_MAGICLINKS };

		fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
		break;
	}
	case S_BY_HANDLE: {
		struct { struct file_handle fh; unsigned char bytes[128]; } h;
		int mount_id, mfd = open(dir, O_RDONLY | O_DIRECTORY);

		h.fh.handle_bytes = sizeof(h.bytes);
		if (mfd < 0 || name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0))
			_exit(30);
		fd = open_by_handle_at(mfd, &h.fh, O_RDWR);
		break;
	}
	}
	_exit(fd >= 0 ? 0 : 20);
}

static pid_t run_sys_open(enum sys_open which, const char *path, const char *dir)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		child_sys_open(which, path, dir);
	assert_int_equal(harness_wait(pid), 0);
	return pid;
}

/* open, creat, openat2 and open_by_handle_at, not only openat (glibc's open). */
static void test_every_open_syscall(void **state)
{
	char dir[512], p[512], c[512];
	long long t0 = now_realtime_ns();

	path_in(dir, sizeof(dir), "secrets");
	path_in(p, sizeof(p), "secrets/api.key");
	path_in(c, sizeof(c), "secrets/creat.key");
	unlink(c);
	expect_open(run_sys_open(S_OPEN, p, dir), p, RULE, "critical", R, "O_RDONLY|O_CLOEXEC",
		    NULL, NULL, t0);
	expect_open(run_sys_open(S_CREAT, c, dir), c, RULE, "critical", W_C,
		    "O_WRONLY|O_CREAT|O_TRUNC", NULL, NULL, t0);
	expect_open(run_sys_open(S_OPENAT2, p, dir), p, RULE, "critical", R,
		    "O_RDONLY|O_NOFOLLOW", NULL, NULL, t0);
	expect_open(run_sys_open(S_BY_HANDLE, p, dir), p, RULE, "critical", RW, "O_RDWR",
		    NULL, NULL, t0);
}

/*
 * Under the tracepoint backends an io_uring open is seen at submission
 * (opt_iouring__raw_*), without its file: one record per file rule whose
 * conditions other than path/access hold, path/access/flags empty,
 * "via": "io_uring", "unresolved": true.  Every file rule of this file's
 * rules holds for the helper (its `unless` names other programs).
 */
static void expect_uring_submit(pid_t pid, const char *exe, const char *op, long long t0)
{
	static const struct { const char *rule, *severity; } want[] = {
		{ RULE, "critical" }, { EVAL_RULE, "high" }, { "e2e-block-asked", "low" },
	};
	struct file_pred fp = { pid, "", NULL };
	json_t *all;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *rec, *file;

		fp.rule = want[i].rule;
		rec = harness_wait_record(&g_r, pred_file, &fp, WAIT_MS);
		if (!rec)
			fail_msg("no io_uring record for pid %d and rule %s", (int)pid, fp.rule);
		assert_common_fields(rec, "file", want[i].rule, want[i].severity, "alert",
				     g_policy);
		assert_time_recent(rec, t0);
		assert_int_equal(jint(rec, "process.pid"), pid);
		assert_int_equal(jint(rec, "process.tid"), pid);	/* the submitting thread */
		assert_int_equal(jint(rec, "process.ppid"), getpid());
		assert_int_equal(jint(rec, "process.uid"), getuid());
		assert_string_equal(jstr(rec, "process.comm"), "uring_open");
		assert_string_equal(jstr(rec, "process.exe"), exe);
		file = json_object_get(rec, "file");
		assert_string_equal(jstr(rec, "file.path"), "");
		assert_int_equal(json_array_size(json_object_get(file, "access")), 0);
		assert_string_equal(jstr(rec, "file.flags"), "");
		assert_string_equal(jstr(rec, "file.via"), "io_uring");
		assert_string_equal(jstr(rec, "file.op"), op);
		assert_true(json_is_true(json_object_get(file, "unresolved")));
		assert_null(json_object_get(file, "truncated"));
		assert_false(json_is_true(json_object_get(file, "blocked")));
		assert_int_equal(json_object_size(file), 7);
		json_decref(rec);
	}
	fp.rule = NULL;
	fp.path = NULL;
	all = harness_records(&g_r, pred_file, &fp);
	assert_int_equal(json_array_size(all), 3);	/* one submission, three rules */
	json_decref(all);
}

/* Which io_uring report this agent gives: 2 the open itself (file__lsm,
 * file__fentry), 1 the submission (opt_iouring), 0 none (skipped). */
static int uring_report(void)
{
	if (harness_hook_attached(&g_r, "file__lsm") || harness_hook_attached(&g_r, "file__fentry"))
		return 2;
	if (harness_hook_attached(&g_r, "opt_iouring__raw_"))
		return 1;
	print_message("skipped: this agent attached no hook that sees io_uring opens "
		      "(neither file__lsm, file__fentry nor opt_iouring__raw_*)\n");
	return 0;
}

/*
 * An open through io_uring (IORING_OP_OPENAT): no open syscall is made.
 * Under the LSM and fentry backends security_file_open sees it like any
 * other open: the acting process is the submitter (inline submission), the
 * flags come from file->f_flags (no syscall arguments to read: O_CLOEXEC
 * cannot be known, docs/EVENTS.md), so the test passes none that differ.
 */
static void test_io_uring_open(void **state)
{
	char p[512], helper[PATH_MAX], exe[PATH_MAX];
	long long t0 = now_realtime_ns();
	struct file_pred fp = { 0, NULL, RULE };
	json_t *rec;
	pid_t pid;
	int rc, report = uring_report();

	if (!report)
		skip();
	assert_non_null(realpath(harness_helper("uring_open", helper, sizeof(helper)), exe));
	path_in(p, sizeof(p), "secrets/api.key");
	pid = harness_spawn(exe, (char *[]){ exe, p, "0", NULL });
	rc = harness_wait(pid);
	if (rc == 38) {
		print_message("skipped: io_uring is not available in this kernel\n");
		skip();
	}
	assert_int_equal(rc, 0);
	if (report == 1) {
		expect_uring_submit(pid, exe, "openat", t0);
		return;
	}
	fp.pid = pid;
	fp.path = p;
	rec = harness_wait_record(&g_r, pred_file, &fp, WAIT_MS);
	if (!rec) {	/* say who the kernel named instead */
		json_t *all = harness_records(&g_r, pred_path, p), *x;
		size_t i;

		json_array_foreach(all, i, x) {
			char *d = json_dumps(x, JSON_COMPACT);

			print_message("record for %s: %s\n", p, d);
			free(d);
		}
		json_decref(all);
		fail_msg("no record of the io_uring open by pid %d", (int)pid);
	}
	json_decref(rec);
	expect_open(pid, p, RULE, "critical", R, "O_RDONLY", exe, "uring_open", t0);
}

/*
 * The same open forced into an io-wq worker (IOSQE_ASYNC): a thread of the
 * submitting process ("iou-wrk-PID"), so under lsm/fentry the record names
 * the submitter's pid and exe, with the worker's tid and comm.
 */
static void test_io_uring_open_worker(void **state)
{
	char p[512], helper[PATH_MAX], exe[PATH_MAX], comm[32];
	long long t0 = now_realtime_ns();
	struct file_pred fp = { 0, NULL, RULE };
	json_t *rec;
	pid_t pid;
	int rc, report = uring_report();

	if (!report)
		skip();
	assert_non_null(realpath(harness_helper("uring_open", helper, sizeof(helper)), exe));
	path_in(p, sizeof(p), "secrets/api.key");
	pid = harness_spawn(exe, (char *[]){ exe, "-a", p, "0", NULL });
	rc = harness_wait(pid);
	if (rc == 38) {
		print_message("skipped: io_uring is not available in this kernel\n");
		skip();
	}
	assert_int_equal(rc, 0);
	if (report == 1) {	/* submitted by the process itself, whoever runs it */
		expect_uring_submit(pid, exe, "openat", t0);
		return;
	}
	fp.pid = pid;
	fp.path = p;
	rec = harness_wait_record(&g_r, pred_file, &fp, WAIT_MS);
	if (!rec)
		fail_msg("no record of the io_uring worker's open for pid %d", (int)pid);
	assert_common_fields(rec, "file", RULE, "critical", "alert", g_policy);
	assert_time_recent(rec, t0);
	assert_int_equal(jint(rec, "process.pid"), pid);
	assert_true(jint(rec, "process.tid") > 0 && jint(rec, "process.tid") != pid);
	assert_int_equal(jint(rec, "process.ppid"), getpid());
	assert_int_equal(jint(rec, "process.uid"), getuid());
	snprintf(comm, sizeof(comm), "iou-wrk-%d", (int)pid);
	assert_string_equal(jstr(rec, "process.comm"), comm);
	assert_string_equal(jstr(rec, "process.exe"), exe);
	assert_string_equal(jstr(rec, "file.path"), p);
	assert_args(json_object_get(json_object_get(rec, "file"), "access"), R);
	assert_string_equal(jstr(rec, "file.flags"), "O_RDONLY");
	assert_null(json_object_get(json_object_get(rec, "file"), "truncated"));
	json_decref(rec);
}

/* IORING_OP_OPENAT2 (flags in a struct open_how): the same, "op": "openat2". */
static void test_io_uring_openat2(void **state)
{
	char p[512], helper[PATH_MAX], exe[PATH_MAX];
	long long t0 = now_realtime_ns();
	pid_t pid;
	int rc, report = uring_report();

	if (!report)
		skip();
	assert_non_null(realpath(harness_helper("uring_open", helper, sizeof(helper)), exe));
	path_in(p, sizeof(p), "secrets/api.key");
	pid = harness_spawn(exe, (char *[]){ exe, "-2", p, "0", NULL });
	rc = harness_wait(pid);
	if (rc == 38) {
		print_message("skipped: io_uring is not available in this kernel\n");
		skip();
	}
	assert_int_equal(rc, 0);
	if (report == 1)
		expect_uring_submit(pid, exe, "openat2", t0);
	else
		expect_open(pid, p, RULE, "critical", R, "O_RDONLY", exe, "uring_open", t0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute_path),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_symlink_elsewhere),
		cmocka_unit_test(test_openat_dirfd),
		cmocka_unit_test(test_every_open_syscall),
		cmocka_unit_test(test_dotdot),
		cmocka_unit_test(test_bind_mount),
		cmocka_unit_test(test_create_classified),
		cmocka_unit_test(test_file_created_later_read),
		cmocka_unit_test(test_dir_created_later),
		cmocka_unit_test(test_basename_deep),
		cmocka_unit_test(test_directory_name_deep),
		cmocka_unit_test(test_name_with_special_bytes),
		cmocka_unit_test(test_exempted_reader),
		cmocka_unit_test(test_innocent_not_reported),
		cmocka_unit_test(test_literal_file_not_its_directory),
		cmocka_unit_test(test_block_rule_group),
		cmocka_unit_test(test_file_block_rules),
		cmocka_unit_test(test_file_block_reload),
		cmocka_unit_test(test_file_block_undecidable),
		cmocka_unit_test(test_long_path_truncated),
		cmocka_unit_test(test_reload_moves_the_watch),
		cmocka_unit_test(test_io_uring_open),
		cmocka_unit_test(test_io_uring_open_worker),
		cmocka_unit_test(test_io_uring_openat2),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
