/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

long long now_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

const char *harness_custos(void)
{
	const char *p = getenv("CUSTOS_BIN");

	return p ? p : "build/custos";
}

const char *harness_helper(const char *name, char *buf, size_t size)
{
	const char *dir = getenv("CUSTOS_E2E_BIN");

	snprintf(buf, size, "%s/%s", dir ? dir : "build/tests/e2e/bin", name);
	return buf;
}

static int write_file(const char *path, const char *text, const char *dir)
{
	FILE *f = fopen(path, "w");
	const char *p = text, *at;

	if (!f)
		return -errno;
	while ((at = strstr(p, "@DIR@"))) {
		fwrite(p, 1, (size_t)(at - p), f);
		fputs(dir, f);
		p = at + 5;
	}
	fputs(p, f);
	return fclose(f) ? -errno : 0;
}

int harness_setup(struct agent_run *r, const char *rules_yaml)
{
	memset(r, 0, sizeof(*r));
	r->pid = -1;
	snprintf(r->dir, sizeof(r->dir), "/tmp/custos-e2e-XXXXXX");
	if (!mkdtemp(r->dir))
		return -errno;
	chmod(r->dir, 0755);
	snprintf(r->rules, sizeof(r->rules), "%s/rules.yaml", r->dir);
	snprintf(r->events, sizeof(r->events), "%s/events.jsonl", r->dir);
	snprintf(r->log, sizeof(r->log), "%s/agent.log", r->dir);
	return rules_yaml ? write_file(r->rules, rules_yaml, r->dir) : 0;
}

int harness_write_rules(struct agent_run *r, const char *rules_yaml)
{
	char tmp[320];

	snprintf(tmp, sizeof(tmp), "%s.tmp", r->rules);
	if (write_file(tmp, rules_yaml, r->dir))
		return -1;
	return rename(tmp, r->rules) ? -errno : 0;
}

int harness_log_contains(struct agent_run *r, const char *needle, int timeout_ms)
{
	for (int waited = 0;; waited += 20) {
		char buf[65536];
		FILE *f = fopen(r->log, "r");
		size_t n = 0;

		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if (strstr(buf, needle))
			return 1;
		if (waited >= timeout_ms)
			return 0;
		sleep_ms(20);
	}
}

int harness_hook_attached(struct agent_run *r, const char *prog)
{
	char needle[128];

	snprintf(needle, sizeof(needle), " %s", prog);
	return harness_log_contains(r, needle, 0);
}

int harness_lsm_hook(struct agent_run *r, const char *prog)
{
	const char *forced = getenv("CUSTOS_E2E_ARGS");
	char tail[8192] = "";
	FILE *f;
	long n;

	if (harness_hook_attached(r, prog))
		return 1;
	if (!harness_log_contains(r, " lsm=yes ", 0) ||
	    (forced && strstr(forced, "--backend") && !strstr(forced, "--backend lsm")))
		return 0;
	f = fopen(r->log, "r");
	if (f) {
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		fseek(f, n > (long)sizeof(tail) - 1 ? n - (long)sizeof(tail) + 1 : 0, SEEK_SET);
		tail[fread(tail, 1, sizeof(tail) - 1, f)] = '\0';
		fclose(f);
	}
	fail_msg("BPF LSM is offered but %s is not attached (run the agent with --backend lsm "
		 "--log-level debug for the verifier's log); agent log:\n%s", prog, tail);
	return 0;
}

int harness_start(struct agent_run *r, const char *const *extra_args)
{
	char out_spec[320], status_sock[320], state_dir[320], env_args[256], *save = NULL, *tok;
	const char *argv[32];
	int n = 0, fd, pinned = 0;

	snprintf(out_spec, sizeof(out_spec), "jsonl:%s", r->events);
	argv[n++] = harness_custos();
	argv[n++] = "run";
	argv[n++] = "--rules";
	argv[n++] = r->rules;
	argv[n++] = "--output";
	argv[n++] = out_spec;
	snprintf(status_sock, sizeof(status_sock), "%s/status.sock", r->dir);
	argv[n++] = "--status-socket";
	argv[n++] = status_sock;
	/* seq and the chain continue across the test's own restarts only */
	snprintf(state_dir, sizeof(state_dir), "%s/state", r->dir);
	argv[n++] = "--state-dir";
	argv[n++] = state_dir;
	for (int i = 0; extra_args && extra_args[i] && n < 29; i++) {
		argv[n++] = extra_args[i];
		pinned |= strcmp(extra_args[i], "--pin-dir") == 0;
	}
	/* pinned programs outlive the agent: only a test that cleans up pins */
	if (!pinned)
		argv[n++] = "--no-pin";
	/* CUSTOS_E2E_ARGS="--backend tracepoint": the whole suite on one backend */
	snprintf(env_args, sizeof(env_args), "%s", getenv("CUSTOS_E2E_ARGS") ?: "");
	for (tok = strtok_r(env_args, " ", &save); tok && n < 31; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;

	/* a restart: the last run's "ready" must not be taken for this one's */
	fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (r->pid == 0) {
		/* a failed assertion skips harness_stop: the agent must not outlive the test */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	long long t0 = now_realtime_ns();

	for (int waited = 0; waited < HARNESS_START_MS; waited += 20) {
		int status;

		if (harness_log_contains(r, "custos: ready\n", 0)) {
			/* where a suite's time goes (the kernel matrix under TCG) */
			fprintf(stderr, "harness: agent ready after %lld ms\n",
				(now_realtime_ns() - t0) / 1000000);
			return 0;
		}
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			r->pid = -1;
			return -ECHILD;
		}
		sleep_ms(20);
	}
	return -ETIMEDOUT;
}

int harness_stop(struct agent_run *r)
{
	int status;

	if (r->pid <= 0)
		return -1;
	kill(r->pid, SIGTERM);
	if (waitpid(r->pid, &status, 0) != r->pid)
		return -1;
	r->pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void harness_cleanup(struct agent_run *r)
{
	if (r->pid > 0)
		harness_stop(r);
	if (r->dir[0] && !getenv("CUSTOS_E2E_KEEP"))
		nftw(r->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Calls fn on every complete line of the events file; stops when fn returns 1. */
static json_t *scan_records(struct agent_run *r, record_pred pred, void *arg, json_t *all)
{
	FILE *f = fopen(r->events, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	json_t *found = NULL;

	if (!f)
		return NULL;
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t jerr;
		json_t *rec;

		if (line[n - 1] != '\n')
			break;	/* a line still being written */
		rec = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &jerr);
		if (!rec) {
			fail_msg("events file: line is not JSON (%s): %s", jerr.text, line);
			break;
		}
		if (pred(rec, arg)) {
			if (all) {
				json_array_append_new(all, rec);
				continue;
			}
			found = rec;
			break;
		}
		json_decref(rec);
	}
	free(line);
	fclose(f);
	return found;
}

json_t *harness_wait_record(struct agent_run *r, record_pred pred, void *arg, int timeout_ms)
{
	for (int waited = 0;; waited += 20) {
		json_t *rec = scan_records(r, pred, arg, NULL);

		if (rec || waited >= timeout_ms)
			return rec;
		sleep_ms(20);
	}
}

json_t *harness_records(struct agent_run *r, record_pred pred, void *arg)
{
	json_t *all = json_array();

	scan_records(r, pred, arg, all);
	return all;
}

int pred_any_record(json_t *rec, void *arg)
{
	return 1;
}

int pred_pid(json_t *rec, void *pid_ptr)
{
	return jint(rec, "process.pid") == *(pid_t *)pid_ptr;
}

int pred_kind_pid(json_t *rec, void *kp)
{
	struct kind_pid *k = kp;
	const char *kind = jstr(rec, "kind");
	const char *rule = jstr(rec, "rule");

	return kind && strcmp(kind, k->kind) == 0 && jint(rec, "process.pid") == k->pid &&
	       (!k->rule || (rule && strcmp(rule, k->rule) == 0));
}

pid_t harness_spawn(const char *path, char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(path, argv);
		_exit(127);
	}
	return pid;
}

int harness_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int harness_capture(char *const argv[], char *out, size_t size)
{
	int pfd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while (len + 1 < size && (n = read(pfd[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static json_t *jget(json_t *obj, const char *path)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	/* "a.0.b": a number indexes an array */
	for (tok = strtok_r(buf, ".", &save); tok && obj; tok = strtok_r(NULL, ".", &save))
		obj = json_is_array(obj) ? json_array_get(obj, strtoul(tok, NULL, 10))
					 : json_object_get(obj, tok);
	return obj;
}

const char *jstr(json_t *obj, const char *path)
{
	json_t *v = jget(obj, path);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

long long jint(json_t *obj, const char *path)
{
	json_t *v = jget(obj, path);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

void assert_time_recent(json_t *rec, long long not_before_ns)
{
	const char *t = jstr(rec, "time");
	regex_t re;
	struct tm tm = { 0 };
	long long ns;
	char frac[10];

	assert_non_null(t);
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
				 "\\.[0-9]{9}Z$", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, t, 0, NULL, 0), 0);
	regfree(&re);
	assert_non_null(strptime(t, "%Y-%m-%dT%H:%M:%S", &tm));
	memcpy(frac, t + 20, 9);
	frac[9] = '\0';
	ns = (long long)timegm(&tm) * 1000000000ll + atoll(frac);
	/* the kernel saw it after the test started and before now (clock skew 50 ms) */
	assert_true(ns >= not_before_ns - 50000000ll);
	assert_true(ns <= now_realtime_ns() + 50000000ll);
}

void assert_common_fields(json_t *rec, const char *kind, const char *rule,
			  const char *severity, const char *action, const char *policy)
{
	char host[256] = "";
	regex_t re;

	gethostname(host, sizeof(host) - 1);
	assert_string_equal(jstr(rec, "schema"), "custos.event/1");
	assert_true(jint(rec, "seq") >= 1);
	assert_string_equal(jstr(rec, "host"), host);
	assert_string_equal(jstr(rec, "kind"), kind);
	assert_string_equal(jstr(rec, "rule"), rule);
	assert_string_equal(jstr(rec, "severity"), severity);
	assert_string_equal(jstr(rec, "action"), action);
	assert_non_null(jstr(rec, "policy"));
	assert_int_equal(regcomp(&re, "^sha256:[0-9a-f]{64}$", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, jstr(rec, "policy"), 0, NULL, 0), 0);
	regfree(&re);
	if (policy)
		assert_string_equal(jstr(rec, "policy"), policy);
	assert_true(json_is_array(json_object_get(rec, "tags")));
}

int self_cgroup(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[4096];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "%s", line + 3);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

int harness_cgroup2_mount(char *buf, size_t size)
{
	FILE *f = fopen("/proc/mounts", "r");
	char dev[256], dir[4096], type[64];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(buf, size, "%s", dir);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

int policy_of(const char *rules_path, char *buf, size_t size)
{
	char out[4096];
	char *argv[] = { (char *)harness_custos(), "rules", "check", (char *)rules_path, NULL };
	const char *p;

	if (harness_capture(argv, out, sizeof(out)) != 0)
		return -1;
	p = strstr(out, "sha256:");
	if (!p || strlen(p) < 71)
		return -1;
	snprintf(buf, size, "%.71s", p);
	return 0;
}

int harness_copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0)
		rc = -errno;
	close(in);
	if (close(out) && !rc)
		rc = -errno;
	return rc;
}

void harness_mkdirs(const char *dir, const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

pid_t harness_read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = -1;

	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return pid;
}

void assert_args(json_t *arr, const char *const *want)
{
	size_t i;

	assert_true(json_is_array(arr));
	for (i = 0; want[i]; i++) {
		assert_true(i < json_array_size(arr));
		assert_string_equal(json_string_value(json_array_get(arr, i)), want[i]);
	}
	assert_int_equal(json_array_size(arr), i);
}

void harness_noop_copy(const char *dir, const char *name, char *out, size_t size)
{
	char noop[512];

	snprintf(out, size, "%s/%s", dir, name);
	if (access(out, X_OK) == 0)
		return;
	assert_int_equal(harness_copy_file(harness_helper("noop", noop, sizeof(noop)), out, 0755), 0);
}

static int pred_nested_file_loss(json_t *rec, void *arg)
{
	const char *kind = jstr(rec, "kind"), *where = jstr(rec, "loss.where");

	(void)arg;
	return kind && where && strcmp(kind, "loss") == 0 && strcmp(where, "nested") == 0 &&
	       jint(rec, "loss.by.kind.file") > 0;
}

size_t harness_nested_file_losses(struct agent_run *r)
{
	json_t *all = harness_records(r, pred_nested_file_loss, NULL);
	size_t n = json_array_size(all);

	json_decref(all);
	return n;
}

json_t *harness_act_record(struct agent_run *r, harness_act act, void *ctx, record_pred pred,
			   void *arg, int timeout_ms)
{
	for (int tries = 0;; tries++) {
		size_t skipped = harness_nested_file_losses(r);
		json_t *rec;

		act(ctx, tries);
		rec = harness_wait_record(r, pred, arg, timeout_ms);
		if (rec || tries == 2 || harness_nested_file_losses(r) == skipped)
			return rec;
		print_message("the kernel skipped a run of the file program (a nested loss record): "
			      "the open again\n");
	}
}
