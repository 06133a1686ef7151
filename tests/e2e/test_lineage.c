/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lineage.c - end to end for the exec evasions (bpf/exec.bpf.c, the
 * per-process state, agent/classes.c, agent/exe.c): a server that execs
 * away from itself, a shell 33 processes below it, one whose parents died
 * and were evicted, hardlinks of a listed shell, another program bind
 * mounted over an exempt one, fileless programs, copies of a shell, the
 * dynamic loader running a shell.  Each ran unreported before; each test
 * asserts the record's fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define WAIT_MS 8000
#define CHURN 4200	/* more exits than the agent's graveyard keeps (4096) */

struct env {
	struct agent_run r;
	char server[512];	/* evade at DIR/opt/vllm/bin/vllm-serve */
	char hop[512];		/* evade at DIR/bin/hop: not a server */
	char pidfile[512];
	char policy[80];
	char sh[PATH_MAX];	/* /bin/sh resolved */
};

static const char rules_fmt[] =
	"custos: 1\n"
	"lists:\n"
	"  servers: [\"%s/opt/vllm/**\"]\n"
	"  shells: [\"%s\", \"%s/bin/myshell\"]\n"
	"rules:\n"
	"  - id: e2e-shell-under-server\n"
	"    on: exec\n"
	"    severity: high\n"
	"    when:\n"
	"      exe: $shells\n"
	"      ancestor_exe: $servers\n"
	"  - id: e2e-shell-copy\n"
	"    on: exec\n"
	"    severity: high\n"
	"    when:\n"
	"      exe_content: [\"%s\", \"%s/bin/myshell\"]\n"
	"      ancestor_exe: $servers\n"
	"  - id: e2e-fileless\n"
	"    on: exec\n"
	"    severity: critical\n"
	"    when:\n"
	"      exe: [\"memfd:*\", \"** (deleted)\"]\n"
	"  - id: e2e-secret\n"
	"    on: file\n"
	"    severity: critical\n"
	"    when:\n"
	"      path: \"%s/secret/**\"\n"
	"    unless:\n"
	"      - exe: \"%s/bin/reader\"\n";

static void install(struct env *e, const char *helper, const char *rel, const char *name,
		    char *out, size_t size)
{
	char src[PATH_MAX];

	harness_mkdirs(e->r.dir, rel);
	snprintf(out, size, "%s/%s/%s", e->r.dir, rel, name);
	assert_int_equal(harness_copy_file(harness_helper(helper, src, sizeof(src)), out, 0755), 0);
}

static void start(struct env *e)
{
	char yaml[6 * PATH_MAX + sizeof(rules_fmt)];
	const char *d = e->r.dir;

	assert_non_null(realpath("/bin/sh", e->sh));
	snprintf(yaml, sizeof(yaml), rules_fmt, d, e->sh, d, e->sh, d, d, d);
	assert_int_equal(harness_write_rules(&e->r, yaml), 0);
	assert_int_equal(policy_of(e->r.rules, e->policy, sizeof(e->policy)), 0);
	install(e, "evade", "opt/vllm/bin", "vllm-serve", e->server, sizeof(e->server));
	install(e, "evade", "bin", "hop", e->hop, sizeof(e->hop));
	snprintf(e->pidfile, sizeof(e->pidfile), "%s/child.pid", e->r.dir);
	assert_int_equal(harness_start(&e->r, NULL), 0);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e || harness_setup(&e->r, NULL))
		return -1;
	*state = e;
	start(e);
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	harness_stop(&e->r);
	harness_cleanup(&e->r);
	free(e);
	return 0;
}

/* Runs the server (argv after its path) and returns the pid its helper wrote. */
static pid_t via_server(struct env *e, char *const *args)
{
	char *argv[16] = { e->server };
	pid_t srv;
	int i;

	for (i = 0; args[i] && i < 14; i++)
		argv[1 + i] = args[i];
	unlink(e->pidfile);
	srv = harness_spawn(e->server, argv);
	assert_int_equal(harness_wait(srv), 0);
	return harness_read_pid(e->pidfile);
}

static json_t *wait_rule(struct env *e, pid_t pid, const char *rule)
{
	struct kind_pid kp = { "exec", pid, rule };
	json_t *rec = harness_wait_record(&e->r, pred_kind_pid, &kp, WAIT_MS);

	assert_non_null(rec);
	return rec;
}

/* The fields every shell record here has. */
static void assert_shell(struct env *e, json_t *rec, pid_t pid, long long t0)
{
	assert_common_fields(rec, "exec", "e2e-shell-under-server", "high", "alert", e->policy);
	assert_time_recent(rec, t0);
	assert_int_equal(jint(rec, "process.pid"), pid);
	assert_int_equal(jint(rec, "process.tid"), pid);
	assert_int_equal(jint(rec, "process.uid"), 0);
	/* the kernel names it after the file exec'd: /bin/sh resolved */
	assert_string_equal(jstr(rec, "process.comm"), strrchr(e->sh, '/') + 1);
	assert_string_equal(jstr(rec, "process.exe"), e->sh);
	assert_args(json_object_get(json_object_get(rec, "process"), "args"),
		    (const char *[]){ "sh", "-c", "exit 0", NULL });
	assert_null(json_object_get(json_object_get(rec, "process"), "exe_flags"));
	assert_string_equal(jstr(rec, "exec.exe"), e->sh);
	assert_false(json_is_true(json_object_get(json_object_get(rec, "exec"), "blocked")));
}

/* The server execv()s a shell itself: its former program is the server. */
static void test_server_execs_away(void **state)
{
	struct env *e = *state;
	char self[PATH_MAX];
	long long t0 = now_realtime_ns();
	pid_t pid;
	json_t *rec;

	pid = via_server(e, (char *[]){ "exec", e->pidfile, e->sh, "sh", "-c", "exit 0", NULL });
	rec = wait_rule(e, pid, "e2e-shell-under-server");
	assert_shell(e, rec, pid, t0);
	assert_string_equal(jstr(rec, "process.prev_exe"), e->server);
	assert_int_equal(jint(rec, "process.ppid"), getpid());
	assert_int_equal(jint(rec, "parent.pid"), getpid());
	assert_non_null(realpath("/proc/self/exe", self));
	assert_string_equal(jstr(rec, "parent.exe"), self);
	/* the server is nowhere among the ancestors */
	for (size_t i = 0; i < json_array_size(json_object_get(rec, "ancestors")); i++)
		assert_string_not_equal(json_string_value(json_array_get(
						json_object_get(rec, "ancestors"), i)), e->server);
	json_decref(rec);
}

/* 33 processes below the server: past the 32 ancestors a record lists. */
static void test_deep_chain(void **state)
{
	struct env *e = *state;
	long long t0 = now_realtime_ns();
	json_t *rec, *anc;
	pid_t pid;

	pid = via_server(e, (char *[]){ "chain", "34", e->hop, e->pidfile, e->sh, "sh", "-c",
					"exit 0", NULL });
	rec = wait_rule(e, pid, "e2e-shell-under-server");
	assert_shell(e, rec, pid, t0);
	assert_string_equal(jstr(rec, "parent.exe"), e->hop);
	assert_string_equal(jstr(rec, "process.prev_exe"), e->hop);
	anc = json_object_get(rec, "ancestors");
	assert_int_equal(json_array_size(anc), 32);
	for (size_t i = 0; i < 32; i++)
		assert_string_equal(json_string_value(json_array_get(anc, i)), e->hop);
	json_decref(rec);
}

/*
 * The shell's parent died, then 4200 processes started and exited: the
 * agent's cache no longer knows the parent (no ancestors, no parent), the
 * kernel's lineage still says the server.
 */
static void test_orphan_after_churn(void **state)
{
	struct env *e = *state;
	char n[16];
	long long t0 = now_realtime_ns();
	json_t *rec;
	pid_t pid;

	snprintf(n, sizeof(n), "%d", CHURN);
	pid = via_server(e, (char *[]){ "churn", n, e->pidfile, e->sh, "sh", "-c", "exit 0",
					NULL });
	rec = wait_rule(e, pid, "e2e-shell-under-server");
	assert_shell(e, rec, pid, t0);
	assert_int_not_equal(jint(rec, "process.ppid"), getpid());
	assert_int_equal(json_array_size(json_object_get(rec, "ancestors")), 0);
	assert_null(json_object_get(rec, "parent"));
	json_decref(rec);
}

/* A hardlink of a listed shell under another name; a copy is another file (content only). */
static void test_hardlink_of_shell(void **state)
{
	struct env *e = *state;
	char shell[512], link_path[600], copy[600];
	long long t0 = now_realtime_ns();
	json_t *rec, *all;
	pid_t pid, other;

	install(e, "evade", "bin", "myshell", shell, sizeof(shell));
	harness_mkdirs(e->r.dir, "elsewhere");
	snprintf(link_path, sizeof(link_path), "%s/elsewhere/innocent-name", e->r.dir);
	snprintf(copy, sizeof(copy), "%s/elsewhere/a-copy", e->r.dir);
	assert_int_equal(link(shell, link_path), 0);
	assert_int_equal(harness_copy_file(shell, copy, 0755), 0);
	/* the shell was listed before it existed: a reload resolves it */
	kill(e->r.pid, SIGHUP);
	assert_true(harness_log_contains(&e->r, "reload: ", WAIT_MS));

	other = via_server(e, (char *[]){ "spawn", e->pidfile, copy, "a-copy", "open",
					  "/dev/null", NULL });
	pid = via_server(e, (char *[]){ "spawn", e->pidfile, link_path, "innocent-name", "open",
					"/dev/null", NULL });
	rec = wait_rule(e, pid, "e2e-shell-under-server");
	assert_common_fields(rec, "exec", "e2e-shell-under-server", "high", "alert", e->policy);
	assert_time_recent(rec, t0);
	assert_string_equal(jstr(rec, "process.exe"), link_path);
	assert_string_equal(jstr(rec, "process.comm"), "innocent-name");
	assert_null(json_object_get(json_object_get(rec, "process"), "exe_flags"));
	assert_string_equal(jstr(rec, "parent.exe"), e->server);
	assert_string_equal(jstr(rec, "exec.exe"), link_path);
	json_decref(rec);
	/* the copy is another file: only the content rule knows it */
	{
		struct kind_pid kp = { "exec", other, "e2e-shell-under-server" };

		all = harness_records(&e->r, pred_kind_pid, &kp);
		assert_int_equal(json_array_size(all), 0);
		json_decref(all);
		rec = wait_rule(e, other, "e2e-shell-copy");
		assert_string_equal(jstr(rec, "process.exe"), copy);
		json_decref(rec);
	}
}

/*
 * An exempt reader opens the secret: quiet.  Another program bind mounted
 * over the exempt reader's path in a private mount namespace reports under
 * that path, flagged elsewhere: the path is not the exempt program.
 */
static void test_bind_mount_over_exempt(void **state)
{
	struct env *e = *state;
	char reader[512], evil[512], secret[600], evade[PATH_MAX];
	long long t0 = now_realtime_ns();
	struct kind_pid kp = { "file", 0, "e2e-secret" };
	json_t *rec, *all;
	pid_t ok, runner;
	FILE *f;

	install(e, "evade", "bin", "reader", reader, sizeof(reader));
	install(e, "evade", "bin", "evil", evil, sizeof(evil));
	harness_mkdirs(e->r.dir, "secret");
	snprintf(secret, sizeof(secret), "%s/secret/token", e->r.dir);
	f = fopen(secret, "w");
	assert_non_null(f);
	fputs("t0ken\n", f);
	assert_int_equal(fclose(f), 0);
	harness_helper("evade", evade, sizeof(evade));

	ok = harness_spawn(reader, (char *[]){ reader, "open", secret, NULL });
	assert_int_equal(harness_wait(ok), 0);
	unlink(e->pidfile);
	runner = harness_spawn(evade, (char *[]){ evade, "bind", evil, reader, e->pidfile,
						  "reader", "open", secret, NULL });
	assert_int_equal(harness_wait(runner), 0);
	kp.pid = harness_read_pid(e->pidfile);
	rec = harness_wait_record(&e->r, pred_kind_pid, &kp, WAIT_MS);
	assert_non_null(rec);
	assert_common_fields(rec, "file", "e2e-secret", "critical", "alert", e->policy);
	assert_time_recent(rec, t0);
	assert_int_equal(jint(rec, "process.ppid"), runner);
	assert_string_equal(jstr(rec, "process.exe"), reader);
	assert_args(json_object_get(json_object_get(rec, "process"), "exe_flags"),
		    (const char *[]){ "elsewhere", NULL });
	assert_args(json_object_get(json_object_get(rec, "process"), "args"),
		    (const char *[]){ "reader", "open", secret, NULL });
	assert_string_equal(jstr(rec, "file.path"), secret);
	assert_args(json_object_get(json_object_get(rec, "file"), "access"),
		    (const char *[]){ "read", NULL });
	json_decref(rec);
	/* records are in order: the exempt reader's would be in by now */
	all = harness_records(&e->r, pred_pid, &ok);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
}

/* memfd_create + fexecve: exe memfd:NAME, flagged; the shipped kind of rule catches it. */
static void test_memfd_exec(void **state)
{
	struct env *e = *state;
	char noop[PATH_MAX], evade[PATH_MAX], real[PATH_MAX];
	long long t0 = now_realtime_ns();
	json_t *rec;
	pid_t runner, pid;

	harness_helper("noop", noop, sizeof(noop));
	harness_helper("evade", evade, sizeof(evade));
	assert_non_null(realpath(evade, real));
	unlink(e->pidfile);
	runner = harness_spawn(evade, (char *[]){ evade, "memfd", "e2e-mem", noop, e->pidfile,
						  "noop", "--quiet", NULL });
	assert_int_equal(harness_wait(runner), 0);
	pid = harness_read_pid(e->pidfile);
	rec = wait_rule(e, pid, "e2e-fileless");
	assert_common_fields(rec, "exec", "e2e-fileless", "critical", "alert", e->policy);
	assert_time_recent(rec, t0);
	assert_int_equal(jint(rec, "process.pid"), pid);
	assert_int_equal(jint(rec, "process.ppid"), runner);
	assert_string_equal(jstr(rec, "process.exe"), "memfd:e2e-mem");
	assert_args(json_object_get(json_object_get(rec, "process"), "exe_flags"),
		    (const char *[]){ "memfd", NULL });
	assert_args(json_object_get(json_object_get(rec, "process"), "args"),
		    (const char *[]){ "noop", "--quiet", NULL });
	assert_string_equal(jstr(rec, "exec.exe"), "memfd:e2e-mem");
	assert_args(json_object_get(json_object_get(rec, "exec"), "exe_flags"),
		    (const char *[]){ "memfd", NULL });
	assert_string_equal(jstr(rec, "parent.exe"), real);
	json_decref(rec);
}

/* A program whose file was unlinked before its exec: "PATH (deleted)", flagged. */
static void test_deleted_exec(void **state)
{
	struct env *e = *state;
	char noop[PATH_MAX], evade[PATH_MAX];
	long long t0 = now_realtime_ns();
	const char *exe;
	json_t *rec;
	pid_t runner, pid;

	harness_helper("noop", noop, sizeof(noop));
	harness_helper("evade", evade, sizeof(evade));
	unlink(e->pidfile);
	runner = harness_spawn(evade, (char *[]){ evade, "deleted", noop, e->pidfile, "noop",
						  NULL });
	assert_int_equal(harness_wait(runner), 0);
	pid = harness_read_pid(e->pidfile);
	rec = wait_rule(e, pid, "e2e-fileless");
	assert_common_fields(rec, "exec", "e2e-fileless", "critical", "alert", e->policy);
	assert_time_recent(rec, t0);
	exe = jstr(rec, "process.exe");
	assert_non_null(exe);
	assert_int_equal(strncmp(exe, "/tmp/evade-deleted-", 19), 0);
	assert_string_equal(exe + strlen(exe) - 10, " (deleted)");
	assert_int_equal(strlen(exe), 19 + 6 + 10);
	assert_args(json_object_get(json_object_get(rec, "process"), "exe_flags"),
		    (const char *[]){ "deleted", NULL });
	assert_string_equal(jstr(rec, "exec.exe"), exe);
	assert_args(json_object_get(json_object_get(rec, "exec"), "exe_flags"),
		    (const char *[]){ "deleted", NULL });
	json_decref(rec);
}

/*
 * A copy of the shell under the server: the content rule holds, the path
 * rule does not; a tampered copy (same size and first bytes) is another
 * program.  A memfd holding the shell's bytes is a copy too.
 */
static void test_copies_of_shell(void **state)
{
	struct env *e = *state;
	char copy[600], tampered[600];
	long long t0 = now_realtime_ns();
	struct kind_pid kp = { "exec", 0, "e2e-fileless" };
	json_t *rec, *all;
	pid_t pid, bad;

	harness_mkdirs(e->r.dir, "tmp");
	snprintf(copy, sizeof(copy), "%s/tmp/innocent", e->r.dir);
	snprintf(tampered, sizeof(tampered), "%s/tmp/tampered", e->r.dir);
	assert_int_equal(harness_copy_file(e->sh, copy, 0755), 0);
	assert_int_equal(harness_copy_file(e->sh, tampered, 0755), 0);
	{
		int fd = open(tampered, O_RDWR);
		off_t end = lseek(fd, 0, SEEK_END);
		unsigned char c;

		assert_int_equal(pread(fd, &c, 1, end - 1), 1);
		c ^= 0x5a;
		assert_int_equal(pwrite(fd, &c, 1, end - 1), 1);
		close(fd);
	}
	/* each lives a moment, so the agent reads it whole */
	bad = via_server(e, (char *[]){ "spawn", e->pidfile, tampered, "sh", "-c", "sleep 0.3",
					NULL });
	pid = via_server(e, (char *[]){ "spawn", e->pidfile, copy, "sh", "-c", "sleep 0.3",
					NULL });
	rec = wait_rule(e, pid, "e2e-shell-copy");
	assert_common_fields(rec, "exec", "e2e-shell-copy", "high", "alert", e->policy);
	assert_time_recent(rec, t0);
	assert_string_equal(jstr(rec, "process.exe"), copy);
	assert_string_equal(jstr(rec, "process.comm"), "innocent");
	assert_null(json_object_get(json_object_get(rec, "process"), "exe_flags"));
	assert_args(json_object_get(json_object_get(rec, "process"), "args"),
		    (const char *[]){ "sh", "-c", "sleep 0.3", NULL });
	assert_string_equal(jstr(rec, "parent.exe"), e->server);
	json_decref(rec);
	/* not the path rule (busybox's sh may exec itself again for sleep:
	 * more records of the copy rule, same pid) */
	kp.pid = pid;
	kp.rule = "e2e-shell-under-server";
	all = harness_records(&e->r, pred_kind_pid, &kp);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	kp.rule = "e2e-fileless";
	all = harness_records(&e->r, pred_pid, &bad);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);

	/* the shell's bytes in a memfd, run by the server */
	t0 = now_realtime_ns();
	pid = via_server(e, (char *[]){ "memfd", "e2e-sh", e->sh, e->pidfile, "sh", "-c",
					"sleep 0.3", NULL });
	rec = wait_rule(e, pid, "e2e-shell-copy");
	assert_time_recent(rec, t0);
	assert_string_equal(jstr(rec, "process.exe"), "memfd:e2e-sh");
	assert_args(json_object_get(json_object_get(rec, "process"), "exe_flags"),
		    (const char *[]){ "memfd", NULL });
	assert_string_equal(jstr(rec, "parent.exe"), e->server);
	json_decref(rec);
	kp.pid = pid;
	rec = harness_wait_record(&e->r, pred_kind_pid, &kp, WAIT_MS);
	assert_non_null(rec);
	json_decref(rec);
}

/* ld.so run directly on a listed shell: the record names the shell, flagged loader. */
static void test_loader_runs_shell(void **state)
{
	struct env *e = *state;
	char shell[512], ldso[PATH_MAX];
	long long t0 = now_realtime_ns();
	json_t *rec;
	pid_t pid;

	install(e, "evade", "bin", "myshell", shell, sizeof(shell));
	kill(e->r.pid, SIGHUP);
	assert_true(harness_log_contains(&e->r, "reload: ", WAIT_MS));
	assert_non_null(realpath("/lib64/ld-linux-x86-64.so.2", ldso));
	pid = via_server(e, (char *[]){ "spawn", e->pidfile, ldso, "ld.so", shell, "wait", "300",
					NULL });
	rec = wait_rule(e, pid, "e2e-shell-under-server");
	assert_common_fields(rec, "exec", "e2e-shell-under-server", "high", "alert", e->policy);
	assert_time_recent(rec, t0);
	assert_string_equal(jstr(rec, "process.exe"), shell);
	assert_args(json_object_get(json_object_get(rec, "process"), "exe_flags"),
		    (const char *[]){ "loader", NULL });
	assert_args(json_object_get(json_object_get(rec, "process"), "args"),
		    (const char *[]){ "ld.so", shell, "wait", "300", NULL });
	assert_string_equal(jstr(rec, "exec.exe"), shell);
	assert_args(json_object_get(json_object_get(rec, "exec"), "exe_flags"),
		    (const char *[]){ "loader", NULL });
	assert_string_equal(jstr(rec, "parent.exe"), e->server);
	json_decref(rec);

	/* the shell's bytes in a memfd, through the loader: ld.so /proc/self/fd/N */
	t0 = now_realtime_ns();
	pid = via_server(e, (char *[]){ "memfd-ld", ldso, "e2e-ld", shell, e->pidfile, "ld.so",
					"wait", "300", NULL });
	rec = wait_rule(e, pid, "e2e-shell-copy");
	assert_time_recent(rec, t0);
	assert_string_equal(jstr(rec, "process.exe"), "memfd:e2e-ld");
	assert_args(json_object_get(json_object_get(rec, "process"), "exe_flags"),
		    (const char *[]){ "memfd", "loader", NULL });
	json_decref(rec);
	rec = wait_rule(e, pid, "e2e-fileless");
	json_decref(rec);
}

static const char block_fmt[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: e2e-no-tool-copies\n"
	"    on: exec\n"
	"    severity: critical\n"
	"    action: block\n"
	"    when:\n"
	"      exe_content: \"%s/bin/tool\"\n"
	"      parent_exe: \"%s/opt/vllm/bin/vllm-serve\"\n";

/* One refused (BPF LSM) or reported exec of a form of the tool: its record. */
static void expect_tool(struct env *e, int lsm, int st, pid_t pid, const char *exe,
			const char *flag, long long t0)
{
	json_t *rec;

	assert_int_equal(st, lsm ? 100 + EPERM : 0);
	rec = wait_rule(e, pid, "e2e-no-tool-copies");
	assert_common_fields(rec, "exec", "e2e-no-tool-copies", "critical", lsm ? "block" : "alert",
			     e->policy);
	assert_time_recent(rec, t0);
	assert_int_equal(jint(rec, "process.pid"), pid);
	assert_string_equal(jstr(rec, "process.exe"), exe);
	assert_string_equal(jstr(rec, "exec.exe"), exe);
	assert_int_equal(json_is_true(json_object_get(json_object_get(rec, "exec"), "blocked")), lsm);
	if (flag)
		assert_args(json_object_get(json_object_get(rec, "exec"), "exe_flags"),
			    (const char *[]){ flag, NULL });
	else
		assert_null(json_object_get(json_object_get(rec, "exec"), "exe_flags"));
	assert_string_equal(jstr(rec, "parent.exe"), e->server);
	json_decref(rec);
}

/*
 * An exec block rule on a program's content: under BPF LSM its hardlink,
 * its copy and a memfd holding it are refused in the kernel (EPERM, nothing
 * ran); elsewhere they run and are reported.  Another program runs.
 */
static void test_block_copies(void **state)
{
	struct env *e = *state;
	char yaml[2 * PATH_MAX + sizeof(block_fmt)], tool[512], hl[600], copy[600], other[512];
	long long t0;
	json_t *all;
	pid_t pid;
	int lsm, st;

	install(e, "noop", "bin", "tool", tool, sizeof(tool));
	install(e, "evade", "bin", "other", other, sizeof(other));
	snprintf(hl, sizeof(hl), "%s/bin/hardlink", e->r.dir);
	snprintf(copy, sizeof(copy), "%s/bin/copy", e->r.dir);
	assert_int_equal(link(tool, hl), 0);
	assert_int_equal(harness_copy_file(tool, copy, 0755), 0);
	snprintf(yaml, sizeof(yaml), block_fmt, e->r.dir, e->r.dir);
	assert_int_equal(harness_write_rules(&e->r, yaml), 0);
	assert_int_equal(policy_of(e->r.rules, e->policy, sizeof(e->policy)), 0);
	kill(e->r.pid, SIGHUP);
	assert_true(harness_log_contains(&e->r, "reload: 1 rules in force", WAIT_MS));
	lsm = harness_lsm_hook(&e->r, "opt_execguard__lsm");
	print_message("exec guard %s\n", lsm ? "attached: copies are refused" : "not attached");

	t0 = now_realtime_ns();
	unlink(e->pidfile);
	st = harness_wait(harness_spawn(e->server, (char *[]){ e->server, "spawn", e->pidfile,
						      hl, "hardlink", NULL }));
	expect_tool(e, lsm, st, harness_read_pid(e->pidfile), hl, NULL, t0);
	unlink(e->pidfile);
	st = harness_wait(harness_spawn(e->server, (char *[]){ e->server, "spawn", e->pidfile,
						      copy, "copy", NULL }));
	expect_tool(e, lsm, st, harness_read_pid(e->pidfile), copy, NULL, t0);
	unlink(e->pidfile);
	st = harness_wait(harness_spawn(e->server, (char *[]){ e->server, "memfd", "e2e-tool",
						      tool, e->pidfile, "tool", NULL }));
	expect_tool(e, lsm, st, harness_read_pid(e->pidfile), "memfd:e2e-tool", "memfd", t0);
	/* another program from the server runs, unreported */
	pid = via_server(e, (char *[]){ "spawn", e->pidfile, other, "other", "open", "/dev/null",
					NULL });
	/* the first record after it: the tool itself, refused (or reported) */
	unlink(e->pidfile);
	st = harness_wait(harness_spawn(e->server, (char *[]){ e->server, "spawn", e->pidfile,
						      tool, "tool", NULL }));
	expect_tool(e, lsm, st, harness_read_pid(e->pidfile), tool, NULL, t0);
	all = harness_records(&e->r, pred_pid, &pid);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_execs_away, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphan_after_churn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hardlink_of_shell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_mount_over_exempt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memfd_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copies_of_shell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loader_runs_shell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_copies, setup, teardown),
	};

	return cmocka_run_group_tests_name("e2e lineage", tests, NULL, NULL);
}
