// SPDX-License-Identifier: Apache-2.0
/*
 * rules_test.c - `custos rules test`: synthetic events from YAML case
 * files run through the agent's own matcher (rule_set_match).
 *
 * Rule files and case files are told apart by content, not by name: a case
 * file's top-level mapping has the key `custos-cases` (a rule file has
 * `custos`).  A directory argument contributes its *.yaml files as the
 * agent reads a rule directory (rules_dir_files: byte order, not its
 * subdirectories), so `custos rules test rules rules/tests` loads the packs
 * from rules/ and the cases from rules/tests/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "base/yamldoc.h"
#include "cmd/cmd.h"
#include "cmd/rules_check.h"
#include "cmd/rules_test.h"
#include "rules/io.h"
#include "rules/rules.h"

#define MAX_FILES 256
#define MAX_ANC 64
#define MAX_HITS 256

struct case_file {
	char *path;
	struct yamldoc doc;
};

struct paths {
	char *v[MAX_FILES];
	size_t n;
};

static int add_path(struct paths *p, const char *s)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i], s) == 0)
			return 0;	/* named twice: load once */
	if (p->n == MAX_FILES)
		return -E2BIG;
	p->v[p->n] = strdup(s);
	return p->v[p->n++] ? 0 : -ENOMEM;
}

/* A file as itself, a directory as the rule files the agent would read in it. */
static int expand(const char *arg, struct paths *out)
{
	struct stat st;
	char **files;
	size_t n;
	int rc;

	if (stat(arg, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return add_path(out, arg);
	rc = rules_dir_files(arg, &files, &n);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_path(out, files[i]);
	rules_dir_free(files, n);
	return rc;
}

static int load_yaml(const char *path, struct yamldoc *doc, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	rc = yamldoc_read(doc, f, path, err, errlen);
	fclose(f);
	return rc;
}

static int is_case_file(struct yamldoc *d)
{
	return yamldoc_get(d, yamldoc_root(d), "custos-cases") != NULL;
}

/* --- one case's event, borrowed from the YAML document ------------------ */

struct built {
	struct cev_event ev;
	struct cev_str anc[MAX_ANC];
	char comm[16];
	char *bufs[4];
	size_t n_bufs;
	const char *err;	/* static reason when building failed */
	size_t err_line;
};

static int bad(struct built *b, yaml_node_t *n, const char *why)
{
	b->err = why;
	b->err_line = n ? n->start_mark.line + 1 : 0;
	return -EINVAL;
}

static int get_str(struct built *b, yaml_node_t *n, struct cev_str *out)
{
	if (!n)
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return bad(b, n, "expected a string");
	out->p = (const char *)n->data.scalar.value;
	out->len = (uint32_t)n->data.scalar.length;
	return 0;
}

static int get_uint(struct built *b, yaml_node_t *n, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!n)
		return 0;
	if (!yamldoc_scalar(n))
		return bad(b, n, "expected a number");
	v = strtoul(yamldoc_scalar(n), &end, 10);
	if (*end || end == yamldoc_scalar(n) || v > UINT32_MAX)
		return bad(b, n, "expected a number");
	*out = (uint32_t)v;
	return 0;
}

/* args: [a, b] -> "a\0b\0" (a plain string is split on spaces) */
static int get_args(struct built *b, struct yamldoc *d, yaml_node_t *n, struct cev_args *out)
{
	size_t total = 0, off = 0;
	char *buf;

	if (!n)
		return 0;
	if (b->n_bufs == 4)
		return bad(b, n, "too many argument lists");
	if (n->type == YAML_SCALAR_NODE) {
		buf = strdup(yamldoc_scalar(n));
		if (!buf)
			return -ENOMEM;
		total = strlen(buf);
		for (size_t i = 0; i < total; i++)
			if (buf[i] == ' ')
				buf[i] = '\0';
		out->buf = buf;
		out->len = (uint32_t)total + 1;
		b->bufs[b->n_bufs++] = buf;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(b, n, "args: expected a list of strings");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yamldoc_node(d, *it);

		if (!yamldoc_scalar(e))
			return bad(b, e, "args: expected a list of strings");
		total += e->data.scalar.length + 1;
	}
	buf = malloc(total + 1);
	if (!buf)
		return -ENOMEM;
	b->bufs[b->n_bufs++] = buf;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yamldoc_node(d, *it);

		memcpy(buf + off, e->data.scalar.value, e->data.scalar.length);
		off += e->data.scalar.length;
		buf[off++] = '\0';
	}
	out->buf = buf;
	out->len = (uint32_t)off;
	return 0;
}

static int check_keys(struct built *b, struct yamldoc *d, yaml_node_t *m,
		      const char *const *keys, const char *what)
{
	if (!m)
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return bad(b, m, what);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yamldoc_node(d, p->key);
		int known = 0;

		for (size_t i = 0; keys[i]; i++)
			known |= yamldoc_scalar_is(k, keys[i]);
		if (!known)
			return bad(b, k, "unknown key (see docs/RULE-TESTING.md)");
	}
	return 0;
}

static int build_process(struct built *b, struct yamldoc *d, yaml_node_t *p)
{
	static const char *const keys[] = { "exe", "args", "uid", "user", "comm", "cgroup",
					    "pid", "tid", "ppid", NULL };
	struct cev_process *pr = &b->ev.proc;
	const char *comm;
	int rc;

	rc = check_keys(b, d, p, keys, "process: expected a mapping");
	if (rc || !p)
		return rc;
	rc = get_str(b, yamldoc_get(d, p, "exe"), &pr->exe);
	rc = rc ? rc : get_args(b, d, yamldoc_get(d, p, "args"), &pr->args);
	rc = rc ? rc : get_uint(b, yamldoc_get(d, p, "uid"), &pr->uid);
	rc = rc ? rc : get_uint(b, yamldoc_get(d, p, "pid"), &pr->pid);
	rc = rc ? rc : get_uint(b, yamldoc_get(d, p, "tid"), &pr->tid);
	rc = rc ? rc : get_uint(b, yamldoc_get(d, p, "ppid"), &pr->ppid);
	if (rc)
		return rc;
	pr->user = yamldoc_scalar(yamldoc_get(d, p, "user"));
	pr->cgroup = yamldoc_scalar(yamldoc_get(d, p, "cgroup"));
	comm = yamldoc_scalar(yamldoc_get(d, p, "comm"));
	if (!comm && pr->exe.len) {	/* the kernel's default: the file name */
		const char *slash = memrchr(pr->exe.p, '/', pr->exe.len);

		comm = slash ? slash + 1 : pr->exe.p;
	}
	if (comm)
		snprintf(pr->comm, sizeof(pr->comm), "%s", comm);
	return 0;
}

/*
 * file: {via: io_uring, op: openat|openat2}: an open seen at submission,
 * whose file is unknown (what the tracepoint backends report for io_uring).
 */
static int build_unresolved(struct built *b, struct yamldoc *d, yaml_node_t *n)
{
	yaml_node_t *via = yamldoc_get(d, n, "via"), *op = yamldoc_get(d, n, "op");

	if (!yamldoc_scalar_is(via, "io_uring"))
		return bad(b, via, "via: expected io_uring (an open whose file is unknown)");
	if (yamldoc_get(d, n, "path") || yamldoc_get(d, n, "access") || yamldoc_get(d, n, "flags"))
		return bad(b, n, "file: an open via io_uring has no path, access or flags "
			   "(the file is unknown); leave them out");
	if (op && !yamldoc_scalar_is(op, "openat") && !yamldoc_scalar_is(op, "openat2"))
		return bad(b, op, "op: expected openat or openat2");
	b->ev.file.unresolved = 1;
	b->ev.file.via = "io_uring";
	b->ev.file.op = op && yamldoc_scalar_is(op, "openat2") ? "openat2" : "openat";
	return 0;
}

/* parent: {exe, pid, args} and ancestors: [exe, ...], nearest first */
static int build_lineage(struct built *b, struct yamldoc *d, yaml_node_t *e)
{
	static const char *const pkeys[] = { "exe", "pid", "args", NULL };
	yaml_node_t *n = yamldoc_get(d, e, "parent");
	int rc;

	rc = check_keys(b, d, n, pkeys, "parent: expected a mapping");
	if (rc)
		return rc;
	if (n) {
		b->ev.has_parent = 1;
		rc = get_str(b, yamldoc_get(d, n, "exe"), &b->ev.parent.exe);
		rc = rc ? rc : get_uint(b, yamldoc_get(d, n, "pid"), &b->ev.parent.pid);
		rc = rc ? rc : get_args(b, d, yamldoc_get(d, n, "args"), &b->ev.parent.args);
		if (rc)
			return rc;
	}
	n = yamldoc_get(d, e, "ancestors");
	if (n) {
		if (n->type != YAML_SEQUENCE_NODE)
			return bad(b, n, "ancestors: expected a list of executables, nearest first");
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			if (b->ev.n_ancestors == MAX_ANC)
				return bad(b, n, "ancestors: too many");
			rc = get_str(b, yamldoc_node(d, *it), &b->anc[b->ev.n_ancestors++]);
			if (rc)
				return rc;
		}
	}
	b->ev.ancestors = b->anc;
	return 0;
}

/* access: [read, write, create]; absent: read */
static int get_access(struct built *b, struct yamldoc *d, yaml_node_t *acc)
{
	if (!acc) {
		b->ev.file.access = CEV_ACC_READ;
		return 0;
	}
	if (acc->type != YAML_SEQUENCE_NODE)
		return bad(b, acc, "access: expected a list, e.g. [read]");
	for (yaml_node_item_t *it = acc->data.sequence.items.start;
	     it < acc->data.sequence.items.top; it++) {
		yaml_node_t *a = yamldoc_node(d, *it);

		if (yamldoc_scalar_is(a, "read"))
			b->ev.file.access |= CEV_ACC_READ;
		else if (yamldoc_scalar_is(a, "write"))
			b->ev.file.access |= CEV_ACC_WRITE;
		else if (yamldoc_scalar_is(a, "create"))
			b->ev.file.access |= CEV_ACC_CREATE;
		else
			return bad(b, a, "access: expected read, write or create");
	}
	return 0;
}

static int build_file(struct built *b, struct yamldoc *d, yaml_node_t *e)
{
	static const char *const fkeys[] = { "path", "access", "flags", "via", "op", NULL };
	yaml_node_t *n = yamldoc_get(d, e, "file");
	int rc;

	if (!n)
		return bad(b, e, "a file event needs file: {path, access}");
	rc = check_keys(b, d, n, fkeys, "file: expected a mapping");
	if (rc == 0 && yamldoc_get(d, n, "via"))
		return build_unresolved(b, d, n);
	rc = rc ? rc : get_str(b, yamldoc_get(d, n, "path"), &b->ev.file.path);
	rc = rc ? rc : get_uint(b, yamldoc_get(d, n, "flags"), &b->ev.file.flags);
	return rc ? rc : get_access(b, d, yamldoc_get(d, n, "access"));
}

static int build_connect(struct built *b, struct yamldoc *d, yaml_node_t *e)
{
	static const char *const ckeys[] = { "proto", "dest", "port", NULL };
	yaml_node_t *n = yamldoc_get(d, e, "connect"), *dest, *proto;
	uint32_t port = 0;
	int rc;

	if (!n)
		return bad(b, e, "a connect event needs connect: {proto, dest, port}");
	rc = check_keys(b, d, n, ckeys, "connect: expected a mapping");
	rc = rc ? rc : get_uint(b, yamldoc_get(d, n, "port"), &port);
	if (rc)
		return rc;
	if (port > UINT16_MAX)
		return bad(b, yamldoc_get(d, n, "port"), "port: expected 0 to 65535");
	b->ev.conn.port = (uint16_t)port;
	proto = yamldoc_get(d, n, "proto");
	if (!proto || yamldoc_scalar_is(proto, "tcp"))
		b->ev.conn.proto = IPPROTO_TCP;
	else if (yamldoc_scalar_is(proto, "udp"))
		b->ev.conn.proto = IPPROTO_UDP;
	else if (yamldoc_scalar_is(proto, "raw"))
		b->ev.conn.proto = CEV_PROTO_RAW;
	else
		return bad(b, proto, "proto: expected tcp, udp or raw");
	dest = yamldoc_get(d, n, "dest");
	if (yamldoc_scalar(dest) && inet_pton(AF_INET, yamldoc_scalar(dest), b->ev.conn.addr) == 1)
		b->ev.conn.family = AF_INET;
	else if (yamldoc_scalar(dest) &&
		 inet_pton(AF_INET6, yamldoc_scalar(dest), b->ev.conn.addr) == 1)
		b->ev.conn.family = AF_INET6;
	else
		return bad(b, dest ? dest : n, "dest: expected an IPv4 or IPv6 address");
	return 0;
}

static int build_event(struct built *b, struct yamldoc *d, yaml_node_t *e)
{
	static const char *const keys[] = { "kind", "process", "parent", "ancestors",
					    "file", "connect", NULL };
	yaml_node_t *kind = yamldoc_get(d, e, "kind");
	int rc;

	memset(b, 0, sizeof(*b));
	if (!e)
		return bad(b, NULL, "case has no event");
	rc = check_keys(b, d, e, keys, "event: expected a mapping");
	if (rc)
		return rc;
	if (yamldoc_scalar_is(kind, "exec"))
		b->ev.kind = CEV_EXEC;
	else if (yamldoc_scalar_is(kind, "file"))
		b->ev.kind = CEV_FILE;
	else if (yamldoc_scalar_is(kind, "connect"))
		b->ev.kind = CEV_CONNECT;
	else
		return bad(b, kind ? kind : e, "event: kind must be exec, file or connect");
	rc = build_process(b, d, yamldoc_get(d, e, "process"));
	rc = rc ? rc : build_lineage(b, d, e);
	if (rc)
		return rc;
	if (b->ev.kind == CEV_FILE)
		return build_file(b, d, e);
	if (b->ev.kind == CEV_CONNECT)
		return build_connect(b, d, e);
	return 0;
}

static void built_free(struct built *b)
{
	for (size_t i = 0; i < b->n_bufs; i++)
		free(b->bufs[i]);
	b->n_bufs = 0;
}

/* --- running the cases ---------------------------------------------------- */

static int has_rule(const struct rule_set *set, const char *id)
{
	for (size_t i = 0; i < set->n_rules; i++)
		if (strcmp(set->rules[i].id, id) == 0)
			return 1;
	return 0;
}

static int in_hits(const struct rule **hits, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(hits[i]->id, id) == 0)
			return 1;
	return 0;
}

static int in_expect(struct yamldoc *d, yaml_node_t *exp, const char *id)
{
	for (yaml_node_item_t *it = exp->data.sequence.items.start; it < exp->data.sequence.items.top; it++)
		if (yamldoc_scalar_is(yamldoc_node(d, *it), id))
			return 1;
	return 0;
}

/* One case: 1 passed, 0 failed (the failure printed). */
static int run_case(const struct rule_set *set, struct case_file *cf, yaml_node_t *c)
{
	struct yamldoc *d = &cf->doc;
	yaml_node_t *name = yamldoc_get(d, c, "name"), *exp = yamldoc_get(d, c, "expect");
	const char *nm = yamldoc_scalar(name) ? yamldoc_scalar(name) : "(unnamed)";
	size_t line = c->start_mark.line + 1, n;
	const struct rule *hits[MAX_HITS];
	struct built b;
	int ok = 1;

	if (build_event(&b, d, yamldoc_get(d, c, "event"))) {
		printf("FAIL %s:%zu: %s\n     error: %s:%zu: %s\n", cf->path, line, nm,
		       cf->path, b.err_line ? b.err_line : line, b.err);
		built_free(&b);
		return 0;
	}
	if (!exp || exp->type != YAML_SEQUENCE_NODE) {
		printf("FAIL %s:%zu: %s\n     error: expect: a list of rule ids ([] for none)\n",
		       cf->path, line, nm);
		built_free(&b);
		return 0;
	}
	n = rule_set_match(set, &b.ev, hits, MAX_HITS);
	if (n > MAX_HITS)
		n = MAX_HITS;
	for (yaml_node_item_t *it = exp->data.sequence.items.start; it < exp->data.sequence.items.top; it++)
		if (!yamldoc_scalar(yamldoc_node(d, *it)) ||
		    !in_hits(hits, n, yamldoc_scalar(yamldoc_node(d, *it))))
			ok = 0;
	for (size_t i = 0; i < n; i++)
		if (!in_expect(d, exp, hits[i]->id))
			ok = 0;
	if (ok) {
		printf("ok   %s: %s\n", cf->path, nm);
	} else {
		printf("FAIL %s:%zu: %s\n", cf->path, line, nm);
		for (yaml_node_item_t *it = exp->data.sequence.items.start;
		     it < exp->data.sequence.items.top; it++) {
			const char *id = yamldoc_scalar(yamldoc_node(d, *it));

			if (id && !in_hits(hits, n, id))
				printf("     - %s  (expected, did not fire%s)\n", id,
				       has_rule(set, id) ? "" : "; no rule has this id");
		}
		for (size_t i = 0; i < n; i++)
			if (!in_expect(d, exp, hits[i]->id))
				printf("     + %s  (fired, not expected)\n", hits[i]->id);
	}
	built_free(&b);
	return ok;
}

/* The files of every argument, as case files (kept parsed) and rule files. */
struct inputs {
	struct paths files;
	struct case_file cases[MAX_FILES];
	size_t n_cases;
	const char *rules[MAX_FILES];
	size_t n_rules;
};

/* 0; or the exit status after saying why (a file that is not YAML counts
 * as a failed case) */
static int read_inputs(int argc, char **argv, struct inputs *in)
{
	char err[1024] = "";

	for (int i = 0; i < argc; i++) {
		int r = expand(argv[i], &in->files);

		if (r) {
			fprintf(stderr, "custos: rules test: %s: %s\n", argv[i], strerror(-r));
			return CMD_EXIT_FAIL;
		}
	}
	for (size_t i = 0; i < in->files.n; i++) {
		struct yamldoc doc;

		if (load_yaml(in->files.v[i], &doc, err, sizeof(err))) {
			printf("%s\n0 passed, 1 failed\n", err);
			return CMD_EXIT_FAIL;
		}
		if (is_case_file(&doc)) {
			in->cases[in->n_cases].path = in->files.v[i];
			in->cases[in->n_cases++].doc = doc;
		} else {
			yamldoc_free(&doc);
			in->rules[in->n_rules++] = in->files.v[i];
		}
	}
	return 0;
}

/* Every case of every case file against set; counts into *pass and *fail. */
static void run_cases(const struct rule_set *set, struct inputs *in, size_t *pass, size_t *fail)
{
	for (size_t i = 0; i < in->n_cases; i++) {
		struct yamldoc *d = &in->cases[i].doc;
		yaml_node_t *root = yamldoc_root(d);
		yaml_node_t *list = yamldoc_get(d, root, "cases");

		if (!yamldoc_scalar_is(yamldoc_get(d, root, "custos-cases"), "1") ||
		    !list || list->type != YAML_SEQUENCE_NODE) {
			printf("FAIL %s: expected `custos-cases: 1` and a `cases:` list\n",
			       in->cases[i].path);
			(*fail)++;
			continue;
		}
		for (yaml_node_item_t *it = list->data.sequence.items.start;
		     it < list->data.sequence.items.top; it++) {
			if (run_case(set, &in->cases[i], yamldoc_node(d, *it)))
				(*pass)++;
			else
				(*fail)++;
		}
	}
}

int cmd_rules_test(int argc, char **argv)
{
	struct inputs *in;
	struct rule_diags diags = { 0 };
	struct rule_set *set = NULL;
	size_t pass = 0, fail = 0;
	char err[1024] = "";
	int rc;

	if (argc < 1) {
		fprintf(stderr, "usage: custos rules test PATH...   (rule files and case files)\n");
		return CMD_EXIT_USAGE;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		fprintf(stderr, "custos: rules test: %s\n", strerror(ENOMEM));
		return CMD_EXIT_FAIL;
	}
	rc = read_inputs(argc, argv, in);
	if (rc)
		goto out;
	rc = CMD_EXIT_USAGE;
	if (in->n_rules == 0 || in->n_cases == 0) {
		fprintf(stderr, "custos: rules test: need rule files and case files "
			"(a case file has `custos-cases: 1`)\n");
		goto out;
	}
	rc = CMD_EXIT_FAIL;
	if (rules_load_paths(in->rules, in->n_rules, 0, NULL, &set, &diags, err, sizeof(err))) {
		rules_check_report(&diags, err);
		printf("0 passed, 1 failed\n");
		rule_diags_free(&diags);
		goto out;
	}
	run_cases(set, in, &pass, &fail);
	printf("%zu passed, %zu failed\n", pass, fail);
	rc = fail ? CMD_EXIT_FAIL : CMD_EXIT_OK;
out:
	rule_set_free(set);
	for (size_t i = 0; i < in->n_cases; i++)
		yamldoc_free(&in->cases[i].doc);
	for (size_t i = 0; i < in->files.n; i++)
		free(in->files.v[i]);
	free(in);
	return rc;
}
