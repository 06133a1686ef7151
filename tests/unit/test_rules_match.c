/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rules_match.c - which rules an event violates: each field's truth
 * table, conditions, overrides and appends across files, the digest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/rules.h"

static int resolve(const char *name, uint32_t *uid, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "svc") == 0) {
		*uid = 998;
		return 0;
	}
	return -ENOENT;
}

static struct rule_set *load_n(const struct rule_source *s, size_t n)
{
	const struct rule_load_opts opts = { .resolve_user = resolve };
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;
	int r = rule_set_load(s, n, &opts, &set, &d);

	if (r != 0 && d.n) {
		char line[512];

		rule_diag_format(&d.v[0], line, sizeof(line));
		print_error("unexpected: %s\n", line);
	}
	assert_int_equal(r, 0);
	assert_non_null(set);
	rule_diags_free(&d);
	return set;
}

static struct rule_set *load(const char *yaml)
{
	struct rule_source s = { "t.yaml", yaml, strlen(yaml) };

	return load_n(&s, 1);
}

static struct rule_set *load2(const char *a, const char *b)
{
	struct rule_source s[2] = {
		{ "a.yaml", a, strlen(a) },
		{ "b.yaml", b, strlen(b) },
	};

	return load_n(s, 2);
}

/* The ids of the rules ev violates, comma-separated ("" for none). */
static const char *hits(const struct rule_set *set, const struct cev_event *ev)
{
	static char buf[512];
	const struct rule *h[16];
	size_t n = rule_set_match(set, ev, h, 16), i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && i < 16; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					i ? "," : "", h[i]->id);
	return buf;
}

static struct cev_str str(const char *s)
{
	return (struct cev_str){ .p = s, .len = s ? (uint32_t)strlen(s) : 0 };
}

static void set_proc(struct cev_event *ev, const char *exe, const char *comm,
		     uint32_t uid)
{
	ev->proc.exe = str(exe);
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "%s", comm);
	ev->proc.uid = uid;
}

static struct cev_event file_ev(const char *exe, const char *path, uint32_t acc)
{
	struct cev_event ev = { .kind = CEV_FILE };
	const char *slash = strrchr(exe, '/');

	set_proc(&ev, exe, slash ? slash + 1 : exe, 1000);
	ev.file.path = str(path);
	ev.file.access = acc;
	return ev;
}

static struct cev_event conn_ev(const char *addr, uint16_t port, uint8_t proto)
{
	struct cev_event ev = { .kind = CEV_CONNECT };
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	set_proc(&ev, "/usr/bin/curl", "curl", 1000);
	assert_int_equal(inet_pton(family, addr, ev.conn.addr), 1);
	ev.conn.family = (uint8_t)family;
	ev.conn.port = port;
	ev.conn.proto = proto;
	return ev;
}

static struct cev_event exec_ev(const char *exe, const char *argv, size_t len)
{
	struct cev_event ev = { .kind = CEV_EXEC };
	const char *slash = strrchr(exe, '/');

	set_proc(&ev, exe, slash ? slash + 1 : exe, 1000);
	ev.proc.args.buf = argv;
	ev.proc.args.len = (uint32_t)len;
	return ev;
}

/* --- file ---------------------------------------------------------------- */

static void test_file_path_access(void **state)
{
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "lists:\n"
		   "  creds: [/root/.aws/credentials, /home/*/.aws/credentials, '**/.env']\n"
		   "rules:\n"
		   "  - id: creds\n"
		   "    on: file\n"
		   "    severity: high\n"
		   "    when:\n"
		   "      path: $creds\n"
		   "      access: [read, write]\n"
		   "  - id: create-tmp\n"
		   "    on: file\n"
		   "    severity: low\n"
		   "    when: {path: /tmp/**, access: create}\n");
	ev = file_ev("/usr/bin/cat", "/root/.aws/credentials", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "creds");
	ev = file_ev("/usr/bin/cat", "/home/bob/.aws/credentials", CEV_ACC_WRITE);
	assert_string_equal(hits(set, &ev), "creds");
	ev = file_ev("/usr/bin/cat", "/srv/app/.env", CEV_ACC_READ | CEV_ACC_CREATE);
	assert_string_equal(hits(set, &ev), "creds");
	/* AND: the path holds, the access does not */
	ev = file_ev("/usr/bin/cat", "/srv/app/.env", CEV_ACC_CREATE);
	assert_string_equal(hits(set, &ev), "");
	/* * stays in one component */
	ev = file_ev("/usr/bin/cat", "/home/a/b/.aws/credentials", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");
	ev = file_ev("/usr/bin/cat", "/tmp/x/y", CEV_ACC_CREATE | CEV_ACC_WRITE);
	assert_string_equal(hits(set, &ev), "create-tmp");
	ev = file_ev("/usr/bin/cat", "/tmp/.env", CEV_ACC_CREATE | CEV_ACC_WRITE);
	assert_string_equal(hits(set, &ev), "creds,create-tmp");	/* every hit, in load order */
	ev = file_ev("/usr/bin/cat", "/tmpx/a", CEV_ACC_CREATE);
	assert_string_equal(hits(set, &ev), "");
	rule_set_free(set);
}

/* An io_uring open seen without its file (tracepoint backends). */
static struct cev_event unresolved_ev(const char *exe, uint32_t uid)
{
	struct cev_event ev = file_ev(exe, "", 0);

	ev.proc.uid = uid;
	ev.file.unresolved = 1;
	ev.file.via = "io_uring";
	ev.file.op = "openat";
	return ev;
}

/*
 * Path and access unknown: a `when` on them holds, an `unless` that needs
 * them does not suppress; the other conditions (the scope) decide.
 */
static void test_file_unresolved_scope(void **state)
{
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: keys\n"
		   "    on: file\n"
		   "    severity: high\n"
		   "    when: {path: '/srv/keys/**', access: [write]}\n"
		   "    unless:\n"
		   "      - exe: /usr/bin/vault\n"
		   "      - path: '/srv/keys/public/*'\n"
		   "      - exe: /usr/bin/backup\n"
		   "        access: [read]\n"
		   "  - id: svc-only\n"
		   "    on: file\n"
		   "    severity: low\n"
		   "    when: {path: /etc/shadow, uid: svc}\n"
		   "  - id: python-any\n"
		   "    on: file\n"
		   "    severity: low\n"
		   "    when: {exe: '/usr/bin/python*'}\n"
		   "  - id: off\n"
		   "    on: file\n"
		   "    severity: low\n"
		   "    enabled: false\n"
		   "    when: {path: /x}\n"
		   "  - id: exec-rule\n"
		   "    on: exec\n"
		   "    severity: low\n"
		   "    when: {exe: /usr/bin/cat}\n");
	/* path and access conditions taken to hold; uid 1000 is not svc */
	ev = unresolved_ev("/usr/bin/cat", 1000);
	assert_string_equal(hits(set, &ev), "keys");
	/* the scope condition decides: uid svc (998) */
	ev = unresolved_ev("/usr/bin/cat", 998);
	assert_string_equal(hits(set, &ev), "keys,svc-only");
	ev = unresolved_ev("/usr/bin/python3", 1000);
	assert_string_equal(hits(set, &ev), "keys,python-any");
	/* an unless that needs only the process suppresses */
	ev = unresolved_ev("/usr/bin/vault", 1000);
	assert_string_equal(hits(set, &ev), "");
	/* an unless that also needs access cannot be shown to hold */
	ev = unresolved_ev("/usr/bin/backup", 1000);
	assert_string_equal(hits(set, &ev), "keys");
	/* the same events with a known file are matched as usual */
	ev = file_ev("/usr/bin/cat", "/srv/keys/a", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");
	ev = file_ev("/usr/bin/backup", "/srv/keys/a", CEV_ACC_READ | CEV_ACC_WRITE);
	assert_string_equal(hits(set, &ev), "");
	ev = file_ev("/usr/bin/cat", "/srv/keys/public/a", CEV_ACC_WRITE);
	assert_string_equal(hits(set, &ev), "");
	rule_set_free(set);
}

/*
 * A file's path holds in any of its views: the process's, the host's (a
 * chroot, a container), the one a rule knows it by (a hard link, a
 * rename).  An `unless` on a path holds the same way.
 */
static void test_file_views(void **state)
{
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: secret\n"
		   "    on: file\n"
		   "    severity: high\n"
		   "    when: {path: '/srv/secrets/**'}\n"
		   "    unless:\n"
		   "      - path: '/srv/secrets/public/*'\n");
	/* chrooted at /srv: its /secrets/api is the host's /srv/secrets/api */
	ev = file_ev("/usr/bin/cat", "/secrets/api", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");
	ev.file.host_path = str("/srv/secrets/api");
	assert_string_equal(hits(set, &ev), "secret");
	/* a hard link in /tmp to a watched file */
	ev = file_ev("/usr/bin/cat", "/tmp/innocent", CEV_ACC_READ);
	ev.file.watched_path = str("/srv/secrets/api");
	assert_string_equal(hits(set, &ev), "secret");
	/* the unless too: a link to a public file is not reported */
	ev.file.watched_path = str("/srv/secrets/public/readme");
	assert_string_equal(hits(set, &ev), "");
	rule_set_free(set);
}

/*
 * A path not had whole (cut at the kernel's limit, or relative to a root
 * nothing resolves): `path` is taken to hold, an unless on a path does not
 * suppress; access and the process still decide (fail closed, as narrow
 * as the other fields allow).
 */
static void test_file_partial_path(void **state)
{
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: evals\n"
		   "    on: file\n"
		   "    severity: high\n"
		   "    when: {path: '/srv/evals/**', access: [read]}\n"
		   "    unless:\n"
		   "      - exe: /opt/eval/runner\n"
		   "      - path: '/srv/evals/public/**'\n");
	ev = file_ev("/usr/bin/cat", "/dddd/dddd/x.jsonl", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");
	ev.file.path.truncated = 1;
	ev.file.path_partial = 1;
	assert_string_equal(hits(set, &ev), "evals");
	ev.file.access = CEV_ACC_WRITE;		/* access is known: it decides */
	assert_string_equal(hits(set, &ev), "");
	ev = file_ev("/opt/eval/runner", "/x.jsonl", CEV_ACC_READ);
	ev.file.path_partial = 1;
	assert_string_equal(hits(set, &ev), "");	/* the process's unless holds */
	rule_set_free(set);
}

static void test_unless_and_disabled(void **state)
{
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: shadow\n"
		   "    on: file\n"
		   "    severity: critical\n"
		   "    when: {path: /etc/shadow}\n"
		   "    unless:\n"
		   "      - exe: [/usr/sbin/sshd, /usr/bin/passwd]\n"
		   "      - comm: cron\n"
		   "        uid: 0\n"
		   "  - id: shadow-off\n"
		   "    on: file\n"
		   "    severity: low\n"
		   "    enabled: false\n"
		   "    when: {path: /etc/shadow}\n");
	ev = file_ev("/usr/bin/cat", "/etc/shadow", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "shadow");
	ev = file_ev("/usr/sbin/sshd", "/etc/shadow", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");
	ev = file_ev("/usr/bin/passwd", "/etc/shadow", CEV_ACC_WRITE);
	assert_string_equal(hits(set, &ev), "");
	/* the second unless is an AND: comm cron and uid 0 */
	ev = file_ev("/usr/sbin/cron", "/etc/shadow", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "shadow");	/* uid 1000 */
	ev.proc.uid = 0;
	assert_string_equal(hits(set, &ev), "");
	assert_int_equal(cond_holds(&set->rules[0].unless[1], &ev), 1);
	assert_int_equal(cond_holds(&set->rules[0].unless[0], &ev), 0);
	assert_int_equal(cond_holds(&set->rules[0].when, &ev), 1);
	rule_set_free(set);
}

static void test_kind_filter(void **state)
{
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: any-file\n"
		   "    on: file\n"
		   "    severity: info\n"
		   "    when: {}\n"
		   "  - id: any-exec\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {exe: '**'}\n");
	ev = file_ev("/bin/cat", "/x", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "any-file");
	ev = exec_ev("/bin/cat", "cat\0", 4);
	assert_string_equal(hits(set, &ev), "any-exec");
	ev = conn_ev("10.0.0.1", 80, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "");
	ev.kind = CEV_LOSS;
	assert_string_equal(hits(set, &ev), "");
	/* a file field on a connect event never holds */
	ev = conn_ev("10.0.0.1", 80, CEV_PROTO_TCP);
	{
		struct cond c = { 0 };
		char *g[] = { "**" };

		c.f[F_PATH].present = 1;
		c.f[F_PATH].n = 1;
		c.f[F_PATH].globs = g;
		assert_int_equal(cond_holds(&c, &ev), 0);
		ev = file_ev("/bin/cat", "/x", 0);
		assert_int_equal(cond_holds(&c, &ev), 1);
	}
	rule_set_free(set);
}

/* --- process fields ------------------------------------------------------ */

static void test_process_fields(void **state)
{
	static const struct cev_str lineage[] = {
		{ .p = "/usr/bin/bash", .len = 13 },
		{ .p = "/usr/sbin/cron", .len = 14 },
		{ .p = "/usr/lib/systemd/systemd", .len = 24 },
	};
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: by-exe\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {exe: [/usr/bin/nc*, /usr/bin/ncat]}\n"
		   "  - id: by-comm\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {comm: 'python3.1?'}\n"
		   "  - id: by-parent\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {parent_exe: /usr/bin/bash}\n"
		   "  - id: by-ancestor\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {ancestor_exe: /usr/sbin/cron}\n"
		   "  - id: by-uid\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {uid: [0, svc]}\n"
		   "  - id: by-cgroup\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {cgroup: /system.slice/vllm.service}\n"
		   "  - id: by-container\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {container: '4f1b*'}\n");
	ev = exec_ev("/usr/bin/ncat", "ncat\0", 5);
	assert_string_equal(hits(set, &ev), "by-exe");
	ev = exec_ev("/usr/bin/nc.openbsd", "nc\0", 3);
	assert_string_equal(hits(set, &ev), "by-exe");
	ev = exec_ev("/usr/local/bin/nc", "nc\0", 3);
	assert_string_equal(hits(set, &ev), "");
	/* comm is the 15-byte task name */
	ev = exec_ev("/usr/bin/python3.11", "python3\0", 8);
	assert_string_equal(hits(set, &ev), "by-comm");
	snprintf(ev.proc.comm, sizeof(ev.proc.comm), "python3.111");
	assert_string_equal(hits(set, &ev), "");
	/* parent: none, then a matching one */
	ev = exec_ev("/usr/bin/id", "id\0", 3);
	assert_string_equal(hits(set, &ev), "");
	ev.has_parent = 1;
	ev.parent.exe = str("/usr/bin/bash");
	assert_string_equal(hits(set, &ev), "by-parent");
	ev.parent.exe = str("/usr/sbin/cron");	/* no lineage: the parent counts */
	assert_string_equal(hits(set, &ev), "by-ancestor");
	ev.parent.exe = str("/usr/bin/bash");
	ev.ancestors = lineage;
	ev.n_ancestors = 3;
	assert_string_equal(hits(set, &ev), "by-parent,by-ancestor");
	ev.n_ancestors = 1;	/* cron is not among them any more */
	assert_string_equal(hits(set, &ev), "by-parent");
	ev.parent.exe = str("/usr/bin/zsh");
	assert_string_equal(hits(set, &ev), "");
	/* uid: a number or a resolved name */
	ev = exec_ev("/usr/bin/id", "id\0", 3);
	ev.proc.uid = 0;
	assert_string_equal(hits(set, &ev), "by-uid");
	ev.proc.uid = 998;
	assert_string_equal(hits(set, &ev), "by-uid");
	ev.proc.uid = 999;
	assert_string_equal(hits(set, &ev), "");
	/* cgroup: unknown never matches */
	ev.proc.cgroup = "/system.slice/vllm.service";
	assert_string_equal(hits(set, &ev), "by-cgroup");
	ev.proc.cgroup = "/system.slice/vllm.service/x";
	assert_string_equal(hits(set, &ev), "");
	ev.proc.cgroup = NULL;
	assert_string_equal(hits(set, &ev), "");
	/* container: the id derived from the cgroup; none never matches */
	ev.proc.container_id = "4f1b3c0de3a94a2b8f6d1e2c3b4a59687766554433221100ffeeddccbbaa9988";
	assert_string_equal(hits(set, &ev), "by-container");
	ev.proc.container_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	assert_string_equal(hits(set, &ev), "");
	ev.proc.container_id = NULL;
	assert_string_equal(hits(set, &ev), "");
	rule_set_free(set);
}

static void test_args(void **state)
{
	static const char argv1[] = "python3\0-c\0import os; os.system('id')";
	static const char argv2[] = "bash\0-c\0\0x";
	static const char bytes[] = "cat\0/tmp/caf\xe9\nx";
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: py-c\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {args: 'python3 -c *'}\n"
		   "  - id: bash-c\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {args: ['bash -c  x']}\n"
		   "  - id: exact\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {args: [ls -la]}\n"
		   "  - id: bytes\n"
		   "    on: exec\n"
		   "    severity: info\n"
		   "    when: {args: 'cat /tmp/caf?*'}\n");
	/* with the final NUL */
	ev = exec_ev("/usr/bin/python3", argv1, sizeof(argv1));
	assert_string_equal(hits(set, &ev), "py-c");
	/* truncated: no final NUL */
	ev = exec_ev("/usr/bin/python3", argv1, sizeof(argv1) - 10);
	assert_string_equal(hits(set, &ev), "py-c");
	/* an empty argument gives two spaces */
	ev = exec_ev("/bin/bash", argv2, sizeof(argv2));
	assert_string_equal(hits(set, &ev), "bash-c");
	ev = exec_ev("/bin/ls", "ls\0-la\0", 7);
	assert_string_equal(hits(set, &ev), "exact");
	ev = exec_ev("/bin/ls", "ls\0-la\0-h\0", 10);
	assert_string_equal(hits(set, &ev), "");
	ev = exec_ev("/bin/ls", "ls\0", 3);
	assert_string_equal(hits(set, &ev), "");
	ev = exec_ev("/bin/ls", NULL, 0);
	assert_string_equal(hits(set, &ev), "");
	ev = exec_ev("/bin/cat", bytes, sizeof(bytes));
	assert_string_equal(hits(set, &ev), "bytes");
	rule_set_free(set);
}

/* --- connect ------------------------------------------------------------- */

static const char egress[] =
	"custos: 1\n"
	"lists:\n"
	"  approved: [10.0.0.0/8, '192.0.2.10:3128', '[2001:db8::/32]:443', '[::1]']\n"
	"rules:\n"
	"  - id: egress\n"
	"    on: connect\n"
	"    severity: high\n"
	"    when:\n"
	"      dest: ['0.0.0.0/0', '::/0']\n"
	"    unless:\n"
	"      - dest: $approved\n"
	"  - id: low-ports-udp\n"
	"    on: connect\n"
	"    severity: low\n"
	"    when:\n"
	"      dest: '0.0.0.0/0:1-1023'\n"
	"      proto: udp\n"
	"  - id: one-host\n"
	"    on: connect\n"
	"    severity: low\n"
	"    when:\n"
	"      dest: ['203.0.113.7/32', '[2001:db8:1::1/128]:22']\n"
	"      proto: [tcp, udp]\n";

static void test_dest_v4(void **state)
{
	struct rule_set *set = load(egress);
	struct cev_event ev;

	(void)state;
	ev = conn_ev("93.184.216.34", 443, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("10.20.30.40", 443, CEV_PROTO_TCP);	/* in 10/8 */
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("11.0.0.1", 443, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("192.0.2.10", 3128, CEV_PROTO_TCP);	/* /32 and the port */
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("192.0.2.10", 3129, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("192.0.2.11", 3128, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	/* port range 1-1023, udp only */
	ev = conn_ev("10.0.0.53", 53, CEV_PROTO_UDP);
	assert_string_equal(hits(set, &ev), "low-ports-udp");
	ev = conn_ev("10.0.0.53", 1023, CEV_PROTO_UDP);
	assert_string_equal(hits(set, &ev), "low-ports-udp");
	ev = conn_ev("10.0.0.53", 1024, CEV_PROTO_UDP);
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("10.0.0.53", 0, CEV_PROTO_UDP);
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("10.0.0.53", 53, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "");
	/* /32 */
	ev = conn_ev("203.0.113.7", 9, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress,one-host");
	ev = conn_ev("203.0.113.8", 9, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("203.0.113.7", 9, CEV_PROTO_ICMP);	/* proto not listed */
	assert_string_equal(hits(set, &ev), "egress");
	rule_set_free(set);
}

static void test_dest_v6(void **state)
{
	struct rule_set *set = load(egress);
	struct cev_event ev;

	(void)state;
	ev = conn_ev("2606:4700::1111", 443, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("2001:db8:ffff::1", 443, CEV_PROTO_TCP);	/* in /32, port 443 */
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("2001:db8:ffff::1", 80, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("2001:db9::1", 443, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("::1", 8080, CEV_PROTO_TCP);	/* /128, any port */
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("::2", 8080, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("2001:db8:1::1", 22, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress,one-host");	/* approved is :443 only */
	ev = conn_ev("2001:db8:1::2", 22, CEV_PROTO_TCP);	/* /128: one address */
	assert_string_equal(hits(set, &ev), "egress");
	/* IPv4-mapped: matched as IPv4 too */
	ev = conn_ev("::ffff:10.1.1.1", 443, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "");	/* in ::/0 but approved as 10/8 */
	ev = conn_ev("::ffff:8.8.8.8", 53, CEV_PROTO_UDP);
	assert_string_equal(hits(set, &ev), "egress,low-ports-udp");
	ev = conn_ev("::ffff:203.0.113.7", 1, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress,one-host");
	/* not mapped: ::fffe:... is plain IPv6 */
	ev = conn_ev("::fffe:a01:101", 443, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress");
	rule_set_free(set);
}

/* proto raw: a dest with a port never matches it; a rule without proto covers it */
static void test_dest_raw(void **state)
{
	static const char yaml[] =
		"custos: 1\n"
		"rules:\n"
		"  - id: egress\n"
		"    on: connect\n"
		"    severity: high\n"
		"    when:\n"
		"      dest: ['0.0.0.0/0', '::/0']\n"
		"    unless:\n"
		"      - dest: [10.0.0.0/8, '192.0.2.10:0-65535', '[::1]:53']\n"
		"  - id: raw-only\n"
		"    on: connect\n"
		"    severity: low\n"
		"    when:\n"
		"      proto: raw\n"
		"      dest: '203.0.113.0/24'\n"
		"  - id: raw-port\n"
		"    on: connect\n"
		"    severity: low\n"
		"    when:\n"
		"      proto: [raw, tcp]\n"
		"      dest: '203.0.113.7:1-65535'\n";
	struct rule_set *set = load(yaml);
	struct cev_event ev;

	(void)state;
	ev = conn_ev("10.1.1.1", 0, CEV_PROTO_RAW);	/* port-less approval */
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("192.0.2.10", 0, CEV_PROTO_RAW);	/* 0-65535 is a port range */
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("192.0.2.10", 0, CEV_PROTO_UDP);	/* ...which holds 0 for udp */
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("::1", 0, CEV_PROTO_RAW);
	assert_string_equal(hits(set, &ev), "egress");
	ev = conn_ev("::1", 53, CEV_PROTO_UDP);
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("203.0.113.7", 0, CEV_PROTO_RAW);
	assert_string_equal(hits(set, &ev), "egress,raw-only");
	ev = conn_ev("203.0.113.7", 22, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress,raw-port");
	ev = conn_ev("::ffff:203.0.113.9", 0, CEV_PROTO_RAW);	/* mapped */
	assert_string_equal(hits(set, &ev), "egress,raw-only");
	ev = conn_ev("203.0.113.7", 22, CEV_PROTO_UDP);
	assert_string_equal(hits(set, &ev), "egress");
	rule_set_free(set);
}

static void test_dest_prefixes(void **state)
{
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: v4-0\n"
		   "    on: connect\n"
		   "    severity: info\n"
		   "    when: {dest: '0.0.0.0/0'}\n"
		   "  - id: v4-19\n"
		   "    on: connect\n"
		   "    severity: info\n"
		   "    when: {dest: '172.16.37.1/19'}\n"	/* 172.16.32.0 - 172.16.63.255 */
		   "  - id: v6-0\n"
		   "    on: connect\n"
		   "    severity: info\n"
		   "    when: {dest: '::/0'}\n"
		   "  - id: v6-7\n"
		   "    on: connect\n"
		   "    severity: info\n"
		   "    when: {dest: 'fc00::/7'}\n");
	ev = conn_ev("172.16.32.0", 1, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "v4-0,v4-19");
	ev = conn_ev("172.16.63.255", 1, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "v4-0,v4-19");
	ev = conn_ev("172.16.64.0", 1, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "v4-0");
	ev = conn_ev("172.16.31.255", 1, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "v4-0");
	ev = conn_ev("0.0.0.0", 0, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "v4-0");
	ev = conn_ev("255.255.255.255", 65535, CEV_PROTO_UDP);
	assert_string_equal(hits(set, &ev), "v4-0");
	ev = conn_ev("fd12::1", 1, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "v6-0,v6-7");
	ev = conn_ev("fe00::1", 1, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "v6-0");
	ev = conn_ev("::", 1, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "v6-0");
	ev = conn_ev("::ffff:172.16.40.1", 1, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "v4-0,v4-19,v6-0");
	rule_set_free(set);
}

/* --- several files ------------------------------------------------------- */

static const char pack[] =
	"custos: 1\n"
	"lists:\n"
	"  approved_egress: ['10.0.0.0/8']\n"
	"  readers: [/usr/sbin/sshd]\n"
	"rules:\n"
	"  - id: secret-file-access\n"
	"    on: file\n"
	"    severity: critical\n"
	"    when: {path: /etc/shadow}\n"
	"    unless:\n"
	"      - exe: $readers\n"
	"  - id: egress-bypass\n"
	"    on: connect\n"
	"    severity: high\n"
	"    when: {dest: ['0.0.0.0/0']}\n"
	"    unless:\n"
	"      - dest: $approved_egress\n"
	"  - id: eval-dataset-read\n"
	"    on: file\n"
	"    severity: medium\n"
	"    when: {path: /data/eval/**}\n";

static void test_overrides(void **state)
{
	struct rule_set *set;
	struct cev_event ev;
	const struct rule *r;

	(void)state;
	set = load2(pack,
		    "custos: 1\n"
		    "overrides:\n"
		    "  - rule: secret-file-access\n"
		    "    enabled: false\n"
		    "  - rule: eval-dataset-read\n"
		    "    severity: low\n"
		    "    action: block\n"
		    "    unless_append:\n"
		    "      - exe: [/opt/eval/bin/runner]\n"
		    "      - exe: /opt/eval/bin/other\n"
		    "  - rule: eval-dataset-read\n"
		    "    severity: info\n");
	ev = file_ev("/usr/bin/cat", "/etc/shadow", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");	/* disabled */
	assert_int_equal(set->rules[0].enabled, 0);
	ev = file_ev("/usr/bin/cat", "/data/eval/q.jsonl", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "eval-dataset-read");
	ev = file_ev("/opt/eval/bin/runner", "/data/eval/q.jsonl", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");
	ev = file_ev("/opt/eval/bin/other", "/data/eval/q.jsonl", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");
	r = &set->rules[2];
	assert_int_equal(r->severity, SEV_INFO);	/* the later override wins */
	assert_int_equal(r->action, ACT_BLOCK);
	assert_int_equal(r->n_unless, 2);
	assert_string_equal(r->file, "a.yaml");	/* where it was defined */
	rule_set_free(set);

	/* an override may also come before its rule, even in the same file */
	set = load("custos: 1\n"
		   "overrides:\n"
		   "  - rule: late\n"
		   "    severity: critical\n"
		   "rules:\n"
		   "  - id: late\n"
		   "    on: exec\n"
		   "    severity: low\n"
		   "    when: {exe: /bin/sh}\n");
	assert_int_equal(set->rules[0].severity, SEV_CRITICAL);
	rule_set_free(set);
}

static void test_lists_append(void **state)
{
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load2(pack,
		    "custos: 1\n"
		    "lists:\n"
		    "  proxies: ['192.0.2.10:3128']\n"
		    "lists_append:\n"
		    "  approved_egress: [$proxies, '[2001:db8::/32]']\n"
		    "  readers: /usr/bin/passwd\n");
	/* a rule in the first file sees the second file's appends */
	ev = conn_ev("192.0.2.10", 3128, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "");
	ev = conn_ev("192.0.2.10", 80, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "egress-bypass");
	ev = conn_ev("10.9.9.9", 80, CEV_PROTO_TCP);
	assert_string_equal(hits(set, &ev), "");
	ev = file_ev("/usr/bin/passwd", "/etc/shadow", CEV_ACC_WRITE);
	assert_string_equal(hits(set, &ev), "");
	ev = file_ev("/usr/sbin/sshd", "/etc/shadow", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");
	ev = file_ev("/usr/bin/vi", "/etc/shadow", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "secret-file-access");
	assert_int_equal(set->rules[1].unless[0].f[F_DEST].n, 3);
	rule_set_free(set);
}

static void test_dollar_literal(void **state)
{
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: dollar\n"
		   "    on: file\n"
		   "    severity: info\n"
		   "    when: {comm: '\\$x*'}\n");	/* not a list: escaped */
	ev = file_ev("/bin/$xy", "/tmp/y", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "dollar");
	ev = file_ev("/bin/xy", "/tmp/y", CEV_ACC_READ);
	assert_string_equal(hits(set, &ev), "");
	rule_set_free(set);
}

static void test_max_hits(void **state)
{
	struct rule_set *set;
	struct cev_event ev;
	const struct rule *h[2] = { 0 };

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - {id: a, on: exec, severity: info, when: {exe: '/bin/*'}}\n"
		   "  - {id: b, on: exec, severity: info, when: {exe: '/bin/sh'}}\n"
		   "  - {id: c, on: exec, severity: info, when: {exe: '**'}}\n");
	ev = exec_ev("/bin/sh", "sh\0", 3);
	assert_int_equal(rule_set_match(set, &ev, h, 1), 3);
	assert_string_equal(h[0]->id, "a");
	assert_null(h[1]);
	assert_int_equal(rule_set_match(set, &ev, NULL, 0), 3);
	rule_set_free(set);
}

/* --- digest -------------------------------------------------------------- */

static void digest_of(const struct rule_source *s, size_t n, char out[72])
{
	struct rule_set *set = load_n(s, n);

	memcpy(out, set->digest, 72);
	rule_set_free(set);
}

static void test_digest(void **state)
{
	static const char a[] = "custos: 1\n";
	static const char a2[] = "custos: 1 \n";
	static const char b[] = "custos: 1\n# b\n";
	struct rule_source s[2] = { { "a.yaml", a, sizeof(a) - 1 },
				    { "b.yaml", b, sizeof(b) - 1 } };
	char d1[72], d2[72];
	size_t i;

	(void)state;
	digest_of(s, 2, d1);
	digest_of(s, 2, d2);
	assert_string_equal(d1, d2);
	assert_int_equal(strlen(d1), 71);
	assert_memory_equal(d1, "sha256:", 7);
	for (i = 7; i < 71; i++)
		assert_non_null(strchr("0123456789abcdef", d1[i]));

	/* a changed byte */
	s[0].data = a2;
	s[0].len = sizeof(a2) - 1;
	digest_of(s, 2, d2);
	assert_string_not_equal(d1, d2);
	s[0].data = a;
	s[0].len = sizeof(a) - 1;

	/* a changed name */
	s[1].name = "c.yaml";
	digest_of(s, 2, d2);
	assert_string_not_equal(d1, d2);
	s[1].name = "b.yaml";

	/* another order */
	{
		struct rule_source r[2] = { s[1], s[0] };

		digest_of(r, 2, d2);
		assert_string_not_equal(d1, d2);
	}

	/* the same bytes split differently between two files: another input */
	{
		static const char t0[] = "custos: 1\n#a\n", t1[] = "custos: 1\n";
		static const char u0[] = "custos: 1\n", u1[] = "#a\ncustos: 1\n";
		struct rule_source t[2] = { { "x", t0, sizeof(t0) - 1 },
					    { "y", t1, sizeof(t1) - 1 } };
		struct rule_source u[2] = { { "x", u0, sizeof(u0) - 1 },
					    { "y", u1, sizeof(u1) - 1 } };

		digest_of(t, 2, d1);
		digest_of(u, 2, d2);
		assert_string_not_equal(d1, d2);
	}

	/* the documented input: name NUL length NUL bytes; from the shell:
	 * printf 'f\00010\000custos: 1\n' | sha256sum */
	s[0] = (struct rule_source){ "f", "custos: 1\n", 10 };
	digest_of(s, 1, d1);
	assert_string_equal(d1, "sha256:"
			    "928e4856ca2092cbcfe283dd2a5f4001c9a9a3bfb2080b5e893f82b34c856164");
}

/* A field with many globs is matched through its index by last byte: every
 * kind of glob must still be found. */
static void test_many_globs_index(void **state)
{
	static const char *const yes[] = {
		"/root/.aws/credentials", "/home/bob/.aws/credentials", "/x/y/.env",
		"/srv/evals", "/srv/evals/a/b", "/etc/ssl/private/k", "/a/b.pem", "/a/b.p12",
		"/tmp/any?", "/q", "/etc/k8s/a.key",
	};
	static const char *const no[] = {
		"/root/.aws/credential", "/x/y/.envx", "/srv/eval", "/etc/ssl/private",
		"/a/b.pen", "/tmp/any", "", "/etc/k8s/a.kez",
	};
	struct rule_set *set;
	struct cev_event ev;

	(void)state;
	set = load("custos: 1\n"
		   "rules:\n"
		   "  - id: many\n"
		   "    on: file\n"
		   "    severity: info\n"
		   "    when:\n"
		   "      path: [/root/.aws/credentials, \"/home/*/.aws/credentials\", \"**/.env\",\n"
		   "             \"/srv/evals/**\", \"/etc/ssl/private/*\", \"**/*.pem\", \"**/*.p12\",\n"
		   "             \"/tmp/any[?]\", /q, \"/etc/k8s/*.key\"]\n");
	assert_non_null(set->rules[0].when.f[F_PATH].by_last);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		ev = file_ev("/bin/cat", yes[i], CEV_ACC_READ);
		if (strcmp(hits(set, &ev), "many") != 0)
			fail_msg("%s: not matched", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		ev = file_ev("/bin/cat", no[i], CEV_ACC_READ);
		if (strcmp(hits(set, &ev), "") != 0)
			fail_msg("%s: matched", no[i]);
	}
	rule_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_path_access),
		cmocka_unit_test(test_unless_and_disabled),
		cmocka_unit_test(test_kind_filter),
		cmocka_unit_test(test_many_globs_index),
		cmocka_unit_test(test_process_fields),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_dest_v4),
		cmocka_unit_test(test_dest_v6),
		cmocka_unit_test(test_dest_raw),
		cmocka_unit_test(test_dest_prefixes),
		cmocka_unit_test(test_file_unresolved_scope),
		cmocka_unit_test(test_file_views),
		cmocka_unit_test(test_file_partial_path),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_lists_append),
		cmocka_unit_test(test_dollar_literal),
		cmocka_unit_test(test_max_hits),
		cmocka_unit_test(test_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
