/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness.h - end-to-end test support: start the real agent on a rule file,
 * wait for "custos: ready", read the records it writes to a jsonl sink.
 *
 * Every test works in its own temporary directory, filters records to the
 * pids it caused, and asserts every field of what it finds.
 */
#ifndef CUSTOS_E2E_HARNESS_H
#define CUSTOS_E2E_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct agent_run {
	pid_t pid;
	char dir[256];		/* the test's temporary directory */
	char rules[300];	/* dir/rules.yaml */
	char events[300];	/* dir/events.jsonl */
	char log[300];		/* dir/agent.log (the agent's stderr) */
	size_t read_off;	/* how far events has been read */
};

/* Creates dir, writes rules_yaml to dir/rules.yaml ("@DIR@" becomes the dir). */
int harness_setup(struct agent_run *r, const char *rules_yaml);
/* Rewrites dir/rules.yaml (for reload tests). */
int harness_write_rules(struct agent_run *r, const char *rules_yaml);
/* Starts build/custos run with the rules, extra_args, then the words of env
 * CUSTOS_E2E_ARGS (e.g. "--backend tracepoint"); waits for ready.  The
 * agent's state directory is dir/state; it runs with --no-pin unless
 * extra_args has --pin-dir (then the test must `custos unload` it). */
int harness_start(struct agent_run *r, const char *const *extra_args);
/* How long harness_start waits for ready: a full load under QEMU's
 * emulation, on a loaded host, takes tens of seconds; a swap of pinned
 * programs on 5.10 with a hammering process beside it (test_persist) took
 * over 60 s. */
enum { HARNESS_START_MS = 120000 };
/* SIGTERM, wait; returns the exit status (or -1). */
int harness_stop(struct agent_run *r);
/* Removes the directory tree. */
void harness_cleanup(struct agent_run *r);

typedef int (*record_pred)(json_t *rec, void *arg);
/* The first record (from the start of the file) matching pred, waiting up to timeout_ms. */
json_t *harness_wait_record(struct agent_run *r, record_pred pred, void *arg, int timeout_ms);
/* Every record so far matching pred, as a JSON array (caller decrefs). */
json_t *harness_records(struct agent_run *r, record_pred pred, void *arg);
/* Loss records `where: nested` counting skipped file-program runs so far: a
 * 7.x kernel does not run a tracing program while a run of it is preempted
 * on that CPU, and the agent says so (docs/KERNELS.md, "Floods"). */
size_t harness_nested_file_losses(struct agent_run *r);
/*
 * The record pred matches (waiting up to timeout_ms each time) after act
 * made an open; when none came and the kernel skipped a file-program run
 * meanwhile (a nested loss record: reported, not hidden), act makes it
 * again, at most twice.  act(ctx, tries) sets what pred reads in arg (the
 * pid, a time); tries counts the opens made before.  NULL: no record, and
 * no run skipped or two opens made again.
 */
typedef void (*harness_act)(void *ctx, int tries);
json_t *harness_act_record(struct agent_run *r, harness_act act, void *ctx, record_pred pred,
			   void *arg, int timeout_ms);
/* Does the agent's log contain needle (waiting up to timeout_ms)? */
int harness_log_contains(struct agent_run *r, const char *needle, int timeout_ms);
/* Is a program whose name starts with prog among the hooks the agent
 * attached (its log line "agent: backend X; hooks: ...")? */
int harness_hook_attached(struct agent_run *r, const char *prog);
/* The same for a BPF LSM program, which must be attached where the kernel
 * offers BPF LSM (probe "lsm=yes") and CUSTOS_E2E_ARGS forces no other
 * backend: then a missing one (the verifier refused it and the agent fell
 * back) fails the test, with the agent's log. */
int harness_lsm_hook(struct agent_run *r, const char *prog);

/* Predicates */
int pred_any_record(json_t *rec, void *arg);		/* every record */
int pred_pid(json_t *rec, void *pid_ptr);		/* process.pid == *(pid_t *) */
int pred_kind_pid(json_t *rec, void *kp);		/* struct kind_pid */
struct kind_pid { const char *kind; pid_t pid; const char *rule; };

/* Runs argv (execv path argv[0]) in a child; returns its pid (not waited). */
pid_t harness_spawn(const char *path, char *const argv[]);
/* Waits for pid; returns its exit status, -1 on a signal. */
int harness_wait(pid_t pid);
/* Runs a command, captures stdout+stderr into out; returns the exit status. */
int harness_capture(char *const argv[], char *out, size_t size);

/* Path of the custos binary (env CUSTOS_BIN, default build/custos). */
const char *harness_custos(void);
/* Path of a helper from build/tests/e2e/bin (env CUSTOS_E2E_BIN). */
const char *harness_helper(const char *name, char *buf, size_t size);

/* Copies a file (mode: e.g. 0755 for a program): 0 or -errno. */
int harness_copy_file(const char *from, const char *to, mode_t mode);
/* A copy of the noop helper at DIR/NAME (made once: kept when it is there);
 * its path in out.  The test fails when it cannot be made. */
void harness_noop_copy(const char *dir, const char *name, char *out, size_t size);
/* mkdir -p of dir/rel (dir exists). */
void harness_mkdirs(const char *dir, const char *rel);
/* The pid a helper wrote to path, -1 when there is none. */
pid_t harness_read_pid(const char *path);

/* Field assertions for the parts every record has; return 0 or fail the test. */
void assert_common_fields(json_t *rec, const char *kind, const char *rule,
			  const char *severity, const char *action, const char *policy);
void assert_time_recent(json_t *rec, long long not_before_ns);
/* arr is exactly the strings want[] (NULL-terminated). */
void assert_args(json_t *arr, const char *const *want);
const char *jstr(json_t *obj, const char *path);	/* "process.exe" etc., NULL when absent */
long long jint(json_t *obj, const char *path);	/* -1 when absent */
/* This process's cgroup v2 path ("0::" line of /proc/self/cgroup). */
int self_cgroup(char *buf, size_t size);
/* Where cgroup v2 is mounted (/proc/mounts): 0, or -ENOENT. */
int harness_cgroup2_mount(char *buf, size_t size);
/* The policy digest `custos rules check FILE` prints. */
int policy_of(const char *rules_path, char *buf, size_t size);
long long now_realtime_ns(void);

#endif
