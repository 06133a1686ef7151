/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_agent.c - agent_handle_record (user/agent/decode.h): ring records
 * built here, as the BPF programs build them (bpf/events.h), fed to an agent
 * set up without BPF (agent_opts.no_bpf); every line its jsonl sink receives
 * is parsed and its fields asserted.  The kernel's verdicts (rule_mask, gen)
 * are written here as the kernel would write them for the loaded rules.
 *
 * Processes get pids above the kernel's pid_max, so nothing of the host's
 * (/proc, cgroups) leaks into a record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/decode.h"
#include "base/clock.h"
#include "events.h"

/*
 * Connect rule slots (enabled connect rules in load order): 0 metadata
 * (exact: dest only), 1 smtp (loose: `unless: comm`), 2 exfil (block).
 * Exec guard slot 0: no-nc.  File guard slot 0: no-keys.
 */
static const char rules_yaml[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: shell-from-server\n"
	"    on: exec\n    severity: high\n    tags: [t1, \"mitre:T1059\"]\n"
	"    when:\n      exe: /usr/bin/sh\n      parent_exe: /opt/srv/vllm\n"
	"  - id: no-nc\n"
	"    on: exec\n    severity: critical\n    action: block\n"
	"    when:\n      exe: /usr/bin/nc\n"
	"  - id: secrets\n"
	"    on: file\n    severity: critical\n"
	"    when:\n      path: \"/root/.aws/**\"\n"
	"  - id: no-keys\n"
	"    on: file\n    severity: high\n    action: block\n"
	"    when:\n      path: \"/srv/keys/**\"\n"
	"  - id: key-names\n"
	"    on: file\n    severity: low\n"
	"    when:\n      path: \"**/id_*\"\n"
	"  - id: metadata\n"
	"    on: connect\n    severity: high\n"
	"    when:\n      dest: 169.254.169.254\n"
	"  - id: smtp\n"
	"    on: connect\n    severity: medium\n"
	"    when:\n      dest: \"0.0.0.0/0:25\"\n"
	"    unless:\n      - comm: postfix\n"
	"  - id: exfil\n"
	"    on: connect\n    severity: critical\n    action: block\n"
	"    when:\n      dest: 203.0.113.0/24\n";

struct fixture {
	char dir[64];
	char rules[128];
	char out[128];
	char spec[160];
	const char *paths[1], *outputs[1];	/* the agent keeps pointing at them */
	struct agent a;
	uint32_t pid0;		/* no process of the host has it */
	char policy[72];	/* the digest of the rules in force, kept by collect() */
	json_t *lines[32];
	size_t n;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static uint32_t pid_max(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	unsigned int n = 4194304;

	if (f) {
		if (fscanf(f, "%u", &n) != 1)
			n = 4194304;
		fclose(f);
	}
	return n;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct agent_opts o = { 0 };
	char err[512] = "";

	assert_non_null(f);
	strcpy(f->dir, "/tmp/custos-agent-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->rules, sizeof(f->rules), "%s/rules.yaml", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.jsonl", f->dir);
	snprintf(f->spec, sizeof(f->spec), "jsonl:%s", f->out);
	write_file(f->rules, rules_yaml);
	f->paths[0] = f->rules;
	f->outputs[0] = f->spec;
	o.rule_paths = f->paths;
	o.n_rule_paths = 1;
	o.outputs = f->outputs;
	o.n_outputs = 1;
	o.host = "test-host";
	o.status_socket = "none";
	o.no_bpf = 1;
	if (agent_init(&f->a, &o, err, sizeof(err)))
		fail_msg("agent_init: %s", err);
	f->pid0 = pid_max() + 1000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	for (size_t i = 0; i < f->n; i++)
		json_decref(f->lines[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Frees the agent (every sink flushed and closed) and parses what it wrote. */
static void collect(struct fixture *f)
{
	FILE *in;
	char *line = NULL;
	size_t cap = 0;

	snprintf(f->policy, sizeof(f->policy), "%s", f->a.rules->digest);
	agent_free(&f->a);
	in = fopen(f->out, "r");
	assert_non_null(in);
	while (getline(&line, &cap, in) > 0) {
		json_error_t e;
		json_t *j = json_loads(line, 0, &e);

		if (!j)
			fail_msg("not JSON (%s): %s", e.text, line);
		assert_true(f->n < sizeof(f->lines) / sizeof(f->lines[0]));
		f->lines[f->n++] = j;
	}
	free(line);
	fclose(in);
}

/* --- records as the kernel builds them --------------------------------------- */

static struct ev_header header(uint16_t type, uint32_t size, uint32_t pid, uint32_t ppid,
			       const char *comm)
{
	struct ev_header h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.abi = CUSTOS_ABI_VERSION;
	h.size = size;
	h.ts_boot_ns = clock_ns(CLOCK_BOOTTIME);
	h.start_ns = (uint64_t)pid * 1000;	/* one process per pid here */
	h.pid = pid;
	h.tid = pid;
	h.ppid = ppid;
	h.uid = 0;
	snprintf(h.comm, sizeof(h.comm), "%s", comm);
	return h;
}

static void feed_fork(struct fixture *f, uint32_t pid, uint32_t ppid, const char *comm)
{
	struct ev_fork k = { .h = header(EV_FORK, sizeof(k), pid, ppid, comm) };

	k.parent_start_ns = (uint64_t)ppid * 1000;
	assert_int_equal(agent_handle_record(&f->a, &k, sizeof(k)), 0);
}

/* An exec record; args is argv with its NULs, args_len bytes. */
static void feed_exec(struct fixture *f, uint32_t pid, uint32_t ppid, const char *comm,
		      const char *exe, const char *args, size_t args_len, uint64_t refused,
		      uint16_t gen)
{
	struct ev_exec *x = calloc(1, sizeof(*x));
	size_t exe_len = strlen(exe);

	assert_non_null(x);
	x->h = header(EV_EXEC, (uint32_t)(EV_EXEC_FIXED + exe_len + args_len), pid, ppid, comm);
	x->parent_start_ns = (uint64_t)ppid * 1000;
	x->exe_len = (uint16_t)exe_len;
	x->args_len = (uint16_t)args_len;
	x->blocked = refused != 0;
	x->rule_mask = refused;
	x->gen = refused ? gen : 0;
	memcpy(x->data, exe, exe_len);
	memcpy(x->data + exe_len, args, args_len);
	assert_int_equal(agent_handle_record(&f->a, x, x->h.size), 0);
	free(x);
}

static void feed_file(struct fixture *f, uint32_t pid, const char *comm, const char *path,
		      uint8_t access, uint32_t flags, uint64_t refused, uint16_t gen)
{
	struct ev_file *r = calloc(1, sizeof(*r));
	size_t len = strlen(path);

	assert_non_null(r);
	r->h = header(EV_FILE, (uint32_t)(EV_FILE_FIXED + len), pid, pid - 1, comm);
	r->flags = flags;
	r->path_len = (uint16_t)len;
	r->access = access;
	r->dev = 8;
	r->ino = 42;
	for (size_t i = 0; i < len; i++)	/* another file, another inode */
		r->ino = (r->ino * 31 + (unsigned char)path[i]) % 1000003;
	r->blocked = refused != 0;
	r->rule_mask = refused;
	r->gen = refused ? gen : 0;
	memcpy(r->data, path, len);
	assert_int_equal(agent_handle_record(&f->a, r, r->h.size), 0);
	free(r);
}

/* A connect the egress decision flagged: rule slots mask, numbered by gen. */
static void feed_connect(struct fixture *f, uint32_t pid, const char *comm, const char *ip,
			 uint16_t port, uint64_t mask, uint16_t gen, int blocked)
{
	struct ev_connect c = { .h = header(EV_CONNECT, sizeof(c), pid, pid - 1, comm) };

	c.family = AF_INET;
	c.proto = EV_PROTO_TCP;
	c.ipproto = IPPROTO_TCP;
	c.blocked = (uint8_t)blocked;
	c.op = EV_NET_CONNECT;
	c.port = port;
	c.gen = gen;
	c.rule_mask = mask;
	assert_int_equal(inet_pton(AF_INET, ip, c.addr), 1);
	assert_int_equal(agent_handle_record(&f->a, &c, sizeof(c)), 0);
}

/* --- what the lines say --------------------------------------------------------- */

/* The member at a dotted path ("process.exe"), or NULL. */
static json_t *at(json_t *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		o = json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

static void assert_str(json_t *o, const char *path, const char *want)
{
	json_t *v = at(o, path);

	if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
		fail_msg("%s: got %s, want \"%s\"", path,
			 v ? json_dumps(v, JSON_ENCODE_ANY) : "nothing", want);
}

static void assert_int_at(json_t *o, const char *path, long long want)
{
	json_t *v = at(o, path);

	if (!json_is_integer(v) || json_integer_value(v) != want)
		fail_msg("%s: got %s, want %lld", path,
			 v ? json_dumps(v, JSON_ENCODE_ANY) : "nothing", want);
}

static void assert_bool(json_t *o, const char *path, int want)
{
	json_t *v = at(o, path);

	if (!json_is_boolean(v) || json_is_true(v) != want)
		fail_msg("%s: got %s, want %s", path,
			 v ? json_dumps(v, JSON_ENCODE_ANY) : "nothing", want ? "true" : "false");
}

static void assert_absent(json_t *o, const char *path)
{
	if (at(o, path))
		fail_msg("%s: got %s, want none", path, json_dumps(at(o, path), JSON_ENCODE_ANY));
}

static void assert_null_at(json_t *o, const char *path)
{
	json_t *v = at(o, path);

	if (!json_is_null(v))
		fail_msg("%s: got %s, want null", path,
			 v ? json_dumps(v, JSON_ENCODE_ANY) : "nothing");
}

/* A JSON array of strings equal to want[0..n). */
static void assert_strs(json_t *o, const char *path, const char *const *want, size_t n)
{
	json_t *v = at(o, path);

	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(v, i)), want[i]);
}

/* time: RFC 3339 with nanoseconds, within a minute of now. */
static void assert_time_now(json_t *o)
{
	const char *t = json_string_value(at(o, "time"));
	struct tm tm = { 0 };
	const char *rest;
	time_t secs;

	assert_non_null(t);
	assert_int_equal(strlen(t), 30);
	rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	assert_non_null(rest);
	assert_int_equal(rest[0], '.');
	assert_int_equal(rest[10], 'Z');
	secs = timegm(&tm);
	assert_true(llabs((long long)(secs - time(NULL))) < 60);
}

/*
 * The fields every violation line has: schema, time, seq, host, kind, the
 * rule's id, severity, action and tags, the policy.
 */
static void assert_head(struct fixture *f, size_t i, const char *kind, const char *rule,
			const char *severity, const char *action)
{
	json_t *o = f->lines[i];

	assert_str(o, "schema", "custos.event/1");
	assert_time_now(o);
	assert_int_at(o, "seq", (long long)i + 1);
	assert_str(o, "host", "test-host");
	assert_str(o, "kind", kind);
	assert_str(o, "rule", rule);
	assert_str(o, "severity", severity);
	assert_str(o, "action", action);
	assert_str(o, "policy", f->policy);
}

/* The acting process of every record here: uid 0 ("root"), no cgroup. */
static void assert_process(json_t *o, uint32_t pid, uint32_t ppid, const char *comm,
			   const char *exe, const char *const *args, size_t n_args)
{
	assert_int_at(o, "process.pid", pid);
	assert_int_at(o, "process.tid", pid);
	assert_int_at(o, "process.ppid", ppid);
	assert_int_at(o, "process.uid", 0);
	assert_str(o, "process.user", "root");
	assert_str(o, "process.comm", comm);
	assert_str(o, "process.exe", exe);
	assert_strs(o, "process.args", args, n_args);
	assert_null_at(o, "process.cgroup");
	assert_absent(o, "process.container_id");
}

/* --- tests -------------------------------------------------------------------- */

static const char vllm_args[] = "vllm\0serve\0";
static const char *const vllm_argv[] = { "vllm", "serve" };
static const char *const vllm_ancestry[] = { "/opt/srv/vllm" };

/* A server (pid0) whose child (pid0 + 1) runs a shell: lineage from the cache. */
static void test_exec_lineage(void **state)
{
	struct fixture *f = *state;
	static const char sh_args[] = "sh\0-c\0id\0";
	static const char *const sh_argv[] = { "sh", "-c", "id" };
	static const char *const tags[] = { "t1", "mitre:T1059" };
	uint32_t srv = f->pid0, child = f->pid0 + 1;

	feed_exec(f, srv, 1, "vllm", "/opt/srv/vllm", vllm_args, sizeof(vllm_args) - 1, 0, 0);
	feed_fork(f, child, srv, "vllm");
	feed_exec(f, child, srv, "sh", "/usr/bin/sh", sh_args, sizeof(sh_args) - 1, 0, 0);
	assert_int_equal(f->a.counters.records_in, 3);
	assert_int_equal(f->a.counters.records_bad, 0);
	collect(f);

	assert_int_equal(f->n, 1);	/* the server's own exec matches nothing */
	assert_head(f, 0, "exec", "shell-from-server", "high", "alert");
	assert_strs(f->lines[0], "tags", tags, 2);
	assert_process(f->lines[0], child, srv, "sh", "/usr/bin/sh", sh_argv, 3);
	assert_int_at(f->lines[0], "parent.pid", srv);
	assert_str(f->lines[0], "parent.exe", "/opt/srv/vllm");
	assert_strs(f->lines[0], "parent.args", vllm_argv, 2);
	assert_strs(f->lines[0], "ancestors", vllm_ancestry, 1);
	assert_str(f->lines[0], "exec.exe", "/usr/bin/sh");
	assert_strs(f->lines[0], "exec.args", sh_argv, 3);
	assert_bool(f->lines[0], "exec.blocked", 0);
}

/*
 * An exec the exec guard refused: the caller's process with the refused
 * program, reported for the slots in rule_mask as the kernel decided (no
 * matcher: ncat does not match no-nc's exe); the cache keeps the caller's
 * program (a later record of the caller shows it).  Under another gen the
 * matcher decides instead.
 */
static void test_exec_refused(void **state)
{
	struct fixture *f = *state;
	static const char nc_args[] = "nc\0-e\0/bin/sh\0";
	static const char *const nc_argv[] = { "nc", "-e", "/bin/sh" };
	static const char *const ncat_argv[] = { "ncat" };
	uint32_t srv = f->pid0;
	uint16_t gen = rule_set_gen(f->a.rules);

	feed_exec(f, srv, 1, "vllm", "/opt/srv/vllm", vllm_args, sizeof(vllm_args) - 1, 0, 0);
	feed_exec(f, srv, 1, "vllm", "/usr/bin/nc", nc_args, sizeof(nc_args) - 1, 1, gen);
	feed_exec(f, srv, 1, "vllm", "/usr/bin/ncat", "ncat", 5, 1, gen);
	/* stale gen: the matcher says no-nc for nc, nothing for ncat */
	feed_exec(f, srv, 1, "vllm", "/usr/bin/ncat", "ncat", 5, 1, (uint16_t)(gen + 1));
	feed_exec(f, srv, 1, "vllm", "/usr/bin/nc", nc_args, sizeof(nc_args) - 1, 1,
		  (uint16_t)(gen + 1));
	feed_file(f, srv, "vllm", "/root/.aws/config", EV_ACC_READ, 0, 0, 0);
	collect(f);

	assert_int_equal(f->n, 4);
	for (size_t i = 0; i < 3; i++) {
		int ncat = i == 1;

		assert_head(f, i, "exec", "no-nc", "critical", "block");
		assert_process(f->lines[i], srv, 1, "vllm", ncat ? "/usr/bin/ncat" : "/usr/bin/nc",
			       ncat ? ncat_argv : nc_argv, ncat ? 1 : 3);
		assert_str(f->lines[i], "exec.exe", ncat ? "/usr/bin/ncat" : "/usr/bin/nc");
		assert_bool(f->lines[i], "exec.blocked", 1);
		assert_strs(f->lines[i], "ancestors", NULL, 0);
	}
	assert_head(f, 3, "file", "secrets", "critical", "alert");
	assert_process(f->lines[3], srv, srv - 1, "vllm", "/opt/srv/vllm", vllm_argv, 2);
}

/*
 * Opens: one that went through, of a file two rules name (the block rule is
 * reported as alert: nothing was refused); one the file guard refused, for
 * its block rule (action block) and the alert rule that matches too.
 */
static void test_file(void **state)
{
	struct fixture *f = *state;
	uint32_t srv = f->pid0;
	uint16_t gen = rule_set_gen(f->a.rules);
	static const char *const read_only[] = { "read" };
	static const char *const write_create[] = { "write", "create" };

	feed_exec(f, srv, 1, "vllm", "/opt/srv/vllm", vllm_args, sizeof(vllm_args) - 1, 0, 0);
	feed_file(f, srv, "vllm", "/root/.aws/credentials", EV_ACC_READ, 02000000, 0, 0);
	feed_file(f, srv, "vllm", "/srv/keys/id_rsa", EV_ACC_READ, 0, 0, 0);
	feed_file(f, srv, "vllm", "/srv/keys/id_ed25519", EV_ACC_WRITE | EV_ACC_CREATE,
		  01101, 1, gen);
	feed_file(f, srv, "vllm", "/tmp/innocent", EV_ACC_READ, 0, 0, 0);
	collect(f);

	assert_int_equal(f->n, 5);
	assert_head(f, 0, "file", "secrets", "critical", "alert");
	assert_process(f->lines[0], srv, srv - 1, "vllm", "/opt/srv/vllm", vllm_argv, 2);
	assert_str(f->lines[0], "file.path", "/root/.aws/credentials");
	assert_strs(f->lines[0], "file.access", read_only, 1);
	assert_str(f->lines[0], "file.flags", "O_RDONLY|O_CLOEXEC");
	assert_bool(f->lines[0], "file.blocked", 0);

	assert_head(f, 1, "file", "no-keys", "high", "alert");
	assert_head(f, 2, "file", "key-names", "low", "alert");
	for (size_t i = 1; i < 3; i++) {
		assert_str(f->lines[i], "file.path", "/srv/keys/id_rsa");
		assert_bool(f->lines[i], "file.blocked", 0);
	}

	assert_head(f, 3, "file", "no-keys", "high", "block");
	assert_head(f, 4, "file", "key-names", "low", "alert");
	for (size_t i = 3; i < 5; i++) {
		assert_str(f->lines[i], "file.path", "/srv/keys/id_ed25519");
		assert_strs(f->lines[i], "file.access", write_create, 2);
		assert_str(f->lines[i], "file.flags", "O_WRONLY|O_CREAT|O_TRUNC");
		assert_bool(f->lines[i], "file.blocked", 1);
	}
}

/*
 * Connects as the egress decision flags them: an exact slot is reported as
 * the kernel decided, a loose one only when the matcher agrees, a block
 * rule only for a refused call; under another gen the matcher decides
 * every connect rule.
 */
static void test_connect(void **state)
{
	struct fixture *f = *state;
	uint32_t p = f->pid0;
	uint16_t gen = rule_set_gen(f->a.rules), old = (uint16_t)(gen + 1);

	feed_connect(f, p, "curl", "169.254.169.254", 80, 1u << 0, gen, 0);
	feed_connect(f, p, "curl", "10.1.2.3", 443, 1u << 0, gen, 0);	/* exact: as flagged */
	feed_connect(f, p, "postfix", "198.51.100.7", 25, 1u << 1, gen, 0);	/* unless holds */
	feed_connect(f, p, "curl", "198.51.100.7", 25, 1u << 1, gen, 0);
	feed_connect(f, p, "curl", "203.0.113.9", 443, 1u << 2, gen, 0);	/* not refused */
	feed_connect(f, p, "curl", "203.0.113.9", 443, 1u << 2, gen, 1);
	feed_connect(f, p, "curl", "10.1.2.3", 443, 1u << 0, old, 0);	/* matcher: none */
	feed_connect(f, p, "curl", "169.254.169.254", 80, 0, old, 0);
	feed_connect(f, p, "curl", "203.0.113.9", 25, 0, old, 0);	/* exfil: not refused */
	collect(f);

	assert_int_equal(f->n, 6);
	assert_head(f, 0, "connect", "metadata", "high", "alert");
	assert_str(f->lines[0], "connect.dest", "169.254.169.254");
	assert_int_at(f->lines[0], "connect.port", 80);
	assert_head(f, 1, "connect", "metadata", "high", "alert");
	assert_str(f->lines[1], "connect.dest", "10.1.2.3");
	assert_head(f, 2, "connect", "smtp", "medium", "alert");
	assert_str(f->lines[2], "connect.dest", "198.51.100.7");
	assert_int_at(f->lines[2], "connect.port", 25);
	assert_bool(f->lines[2], "connect.blocked", 0);
	assert_head(f, 3, "connect", "exfil", "critical", "block");
	assert_bool(f->lines[3], "connect.blocked", 1);
	assert_head(f, 4, "connect", "metadata", "high", "alert");
	assert_head(f, 5, "connect", "smtp", "medium", "alert");
	assert_str(f->lines[5], "connect.dest", "203.0.113.9");
	assert_bool(f->lines[5], "connect.blocked", 0);
	for (size_t i = 0; i < f->n; i++) {
		assert_str(f->lines[i], "connect.proto", "tcp");
		assert_str(f->lines[i], "connect.family", "inet");
		assert_absent(f->lines[i], "connect.protocol");
		/* a process the cache does not know: no program, no lineage */
		assert_process(f->lines[i], p, p - 1, "curl", "", NULL, 0);
		assert_absent(f->lines[i], "parent");
		assert_strs(f->lines[i], "ancestors", NULL, 0);
	}
}

/* A refused connect under another gen carries both rules the matcher finds. */
static void test_connect_stale_refused(void **state)
{
	struct fixture *f = *state;
	uint16_t old = (uint16_t)(rule_set_gen(f->a.rules) + 1);

	feed_connect(f, f->pid0, "curl", "203.0.113.9", 25, 0, old, 1);
	collect(f);
	assert_int_equal(f->n, 2);
	assert_head(f, 0, "connect", "smtp", "medium", "alert");
	assert_head(f, 1, "connect", "exfil", "critical", "block");
	assert_bool(f->lines[1], "connect.blocked", 1);
}

/* An io_uring open: no file, reported for the file rules' scope. */
static void test_iouring(void **state)
{
	struct fixture *f = *state;
	struct ev_iouring u = { .h = header(EV_IOURING, sizeof(u), f->pid0, 1, "cat") };

	u.opcode = EV_IORING_OP_OPENAT2;
	assert_int_equal(agent_handle_record(&f->a, &u, sizeof(u)), 0);
	collect(f);
	assert_int_equal(f->n, 3);
	assert_head(f, 0, "file", "secrets", "critical", "alert");
	assert_head(f, 1, "file", "no-keys", "high", "alert");
	assert_head(f, 2, "file", "key-names", "low", "alert");
	for (size_t i = 0; i < f->n; i++) {
		assert_str(f->lines[i], "file.path", "");
		assert_strs(f->lines[i], "file.access", NULL, 0);
		assert_str(f->lines[i], "file.flags", "");
		assert_str(f->lines[i], "file.via", "io_uring");
		assert_str(f->lines[i], "file.op", "openat2");
		assert_bool(f->lines[i], "file.unresolved", 1);
		assert_bool(f->lines[i], "file.blocked", 0);
	}
}

/*
 * A file's identity: opened under another name, the path a rule knows it
 * by (learned from the first record that named it) comes with it and the
 * rule fires; an identity the kernel says it watches but the agent cannot
 * name is matched failing closed (every file rule in scope, unresolved).
 */
static void test_file_identity(void **state)
{
	struct fixture *f = *state;
	struct ev_file *r = calloc(1, sizeof(*r));
	static const char *const paths[] = { "/root/.aws/config", "/tmp/x", "/tmp/y" };

	assert_non_null(r);
	for (size_t i = 0; i < 3; i++) {
		size_t len = strlen(paths[i]);

		memset(r, 0, sizeof(*r));
		r->h = header(EV_FILE, (uint32_t)(EV_FILE_FIXED + len), f->pid0, 1, "cat");
		r->path_len = (uint16_t)len;
		r->access = EV_ACC_READ;
		r->dev = 8;
		r->ino = i < 2 ? 7 : 9;		/* /tmp/x: a hard link to the first */
		r->view = EV_VIEW_HOST;
		r->watch = i ? EV_WATCH_IDENT : EV_WATCH_SCOPE;
		memcpy(r->data, paths[i], len);
		assert_int_equal(agent_handle_record(&f->a, r, r->h.size), 0);
	}
	free(r);
	collect(f);
	assert_int_equal(f->n, 5);
	assert_head(f, 0, "file", "secrets", "critical", "alert");
	assert_absent(f->lines[0], "file.watched_path");
	assert_str(f->lines[0], "file.identity.dev", "0:8");
	assert_int_at(f->lines[0], "file.identity.ino", 7);
	assert_head(f, 1, "file", "secrets", "critical", "alert");
	assert_str(f->lines[1], "file.path", "/tmp/x");
	assert_str(f->lines[1], "file.watched_path", "/root/.aws/config");
	assert_absent(f->lines[1], "file.unresolved");
	for (size_t i = 2; i < 5; i++) {
		assert_str(f->lines[i], "file.path", "/tmp/y");
		assert_bool(f->lines[i], "file.unresolved", 1);
	}
	assert_head(f, 2, "file", "secrets", "critical", "alert");
	assert_head(f, 3, "file", "no-keys", "high", "alert");
	assert_head(f, 4, "file", "key-names", "low", "alert");
}

/* Records that do not hold what their header says are counted and dropped. */
static void test_malformed(void **state)
{
	struct fixture *f = *state;
	struct ev_connect c = { .h = header(EV_CONNECT, sizeof(c), f->pid0, 1, "curl") };
	struct ev_exec *x = calloc(1, sizeof(*x));
	struct ev_header h;

	assert_non_null(x);
	c.rule_mask = 1;	/* metadata: reported as it stands, were it well-formed */
	c.gen = rule_set_gen(f->a.rules);
	c.family = AF_INET;
	c.proto = EV_PROTO_TCP;
	c.h.abi = CUSTOS_ABI_VERSION + 1;	/* another ABI */
	assert_int_equal(agent_handle_record(&f->a, &c, sizeof(c)), 0);
	c.h.abi = CUSTOS_ABI_VERSION;
	assert_int_equal(agent_handle_record(&f->a, &c, sizeof(c) - 1), 0);	/* cut short */
	c.h.size = EV_CONNECT_FIXED - 8;	/* says less than an ev_connect */
	assert_int_equal(agent_handle_record(&f->a, &c, sizeof(c)), 0);
	x->h = header(EV_EXEC, EV_EXEC_FIXED + 4, f->pid0, 1, "sh");
	x->exe_len = 9;		/* more than the record holds */
	memcpy(x->data, "/bin", 4);
	assert_int_equal(agent_handle_record(&f->a, x, x->h.size), 0);
	h = header(99, sizeof(h), f->pid0, 1, "sh");	/* no such type */
	assert_int_equal(agent_handle_record(&f->a, &h, sizeof(h)), 0);
	assert_int_equal(agent_handle_record(&f->a, &h, sizeof(h) - 1), 0);
	free(x);
	assert_int_equal(f->a.counters.records_in, 6);
	assert_int_equal(f->a.counters.records_bad, 6);
	assert_int_equal(f->a.counters.events_out, 0);
	collect(f);
	assert_int_equal(f->n, 0);
}

/*
 * A reload renumbers the connect slots: a record of the old numbering (its
 * gen) goes through the matcher, one of the new is read with the new slots.
 */
static void test_reload_renumbers(void **state)
{
	struct fixture *f = *state;
	char yaml[sizeof(rules_yaml) + 128];
	uint16_t old = rule_set_gen(f->a.rules), gen;

	/* the new set: metadata disabled, so smtp is slot 0 and exfil slot 1 */
	snprintf(yaml, sizeof(yaml), "%soverrides:\n  - rule: metadata\n    enabled: false\n",
		 rules_yaml);
	write_file(f->rules, yaml);
	assert_int_equal(agent_reload(&f->a), 0);
	assert_int_equal(f->a.counters.reloads_ok, 1);
	gen = rule_set_gen(f->a.rules);
	assert_int_not_equal(gen, old);
	/* old numbering: metadata (off now), then smtp (slot 1 is exfil now) */
	feed_connect(f, f->pid0, "curl", "169.254.169.254", 80, 1u << 0, old, 0);
	feed_connect(f, f->pid0, "curl", "198.51.100.7", 25, 1u << 1, old, 0);
	/* new numbering */
	feed_connect(f, f->pid0, "curl", "10.1.2.3", 25, 1u << 0, gen, 0);
	feed_connect(f, f->pid0, "curl", "203.0.113.9", 443, 1u << 1, gen, 1);
	collect(f);
	assert_int_equal(f->n, 3);
	assert_head(f, 0, "connect", "smtp", "medium", "alert");
	assert_str(f->lines[0], "connect.dest", "198.51.100.7");
	assert_head(f, 1, "connect", "smtp", "medium", "alert");
	assert_str(f->lines[1], "connect.dest", "10.1.2.3");
	assert_head(f, 2, "connect", "exfil", "critical", "block");
	assert_bool(f->lines[2], "connect.blocked", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec_lineage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_stale_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iouring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_renumbers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
