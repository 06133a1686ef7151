// SPDX-License-Identifier: Apache-2.0
/*
 * rules_case.c - a `rules test` case's event (rules_case.h).
 */
#include "cmd/rules_case.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/vec.h"
#include "record/json.h"
#include "rules/glob.h"

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

/* --- programs: made-up identities (rules_case.h) -------------------------- */

#define CASE_DEV (1ull << 20)	/* "1:0": no real device */

static struct ident made_up(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return (struct ident){ CASE_DEV, h ? h : 1 };
}

int rules_case_resolve(const char *glob, struct ident *out, size_t max, void *ctx)
{
	const struct case_world *w = ctx;
	size_t n = 0;

	if (!strpbrk(glob, "*?[\\")) {
		if (max)
			out[0] = made_up(glob, strlen(glob));
		return 1;
	}
	for (size_t i = 0; w && i < w->n; i++) {
		if (!glob_match(glob, w->paths[i], strlen(w->paths[i])))
			continue;
		if (n < max)
			out[n] = made_up(w->paths[i], strlen(w->paths[i]));
		n++;
	}
	return (int)n;
}

static int world_add(struct case_world *w, const char *path)
{
	if (!path)
		return 0;
	if (vec_grow((void **)&w->paths, w->n, &w->cap, sizeof(*w->paths)))
		return -ENOMEM;
	w->paths[w->n++] = path;
	return 0;
}

int rules_case_world(struct case_world *w, struct yamldoc *d)
{
	yaml_node_t *list = yamldoc_get(d, yamldoc_root(d), "cases");
	int rc = 0;

	if (!list || list->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     !rc && it < list->data.sequence.items.top; it++) {
		yaml_node_t *ev = yamldoc_get(d, yamldoc_node(d, *it), "event");
		yaml_node_t *p = yamldoc_get(d, ev, "process");
		yaml_node_t *copies = yamldoc_get(d, p, "copy_of");

		rc = world_add(w, yamldoc_scalar(yamldoc_get(d, p, "same_as")));
		if (!copies || copies->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *c = copies->data.sequence.items.start;
		     !rc && c < copies->data.sequence.items.top; c++)
			rc = world_add(w, yamldoc_scalar(yamldoc_node(d, *c)));
	}
	return rc;
}

void rules_case_world_free(struct case_world *w)
{
	free(w->paths);
	memset(w, 0, sizeof(*w));
}

static struct ident id_of(const struct cev_str *s)
{
	return s->len ? made_up(s->p, s->len) : (struct ident){ 0, 0 };
}

/* exe_flags: [memfd, deleted, loader, elsewhere] */
static int get_exe_flags(struct built *b, struct yamldoc *d, yaml_node_t *n, uint32_t *out)
{
	if (!n)
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(b, n, "exe_flags: expected a list, e.g. [memfd]");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *f = yamldoc_node(d, *it);
		unsigned int i;

		for (i = 0; json_exe_flag_name(i); i++)
			if (yamldoc_scalar_is(f, json_exe_flag_name(i)))
				break;
		if (!json_exe_flag_name(i))
			return bad(b, f, "exe_flags: expected memfd, deleted, loader or elsewhere");
		*out |= 1u << i;
	}
	return 0;
}

/* copy_of: [PATH...]: the programs the process's program is a copy of */
static int get_copies(struct built *b, struct yamldoc *d, yaml_node_t *n)
{
	struct cev_process *pr = &b->ev.proc;

	if (!n)
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(b, n, "copy_of: expected a list of programs");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const char *s = yamldoc_scalar(yamldoc_node(d, *it));

		if (!s)
			return bad(b, n, "copy_of: expected a list of programs");
		if (pr->n_copies == CEV_MAX_COPIES)
			return bad(b, n, "copy_of: too many");
		pr->copies[pr->n_copies++] = made_up(s, strlen(s));
	}
	return 0;
}

/*
 * labels: [NAME...]: the data-flow labels the process carries (their
 * sources are the agent's; a case names the labels only).  A name no
 * loaded rule uses is carried but matches nothing.
 */
static int get_labels(struct built *b, struct yamldoc *d, yaml_node_t *n,
		      const struct rule_set *set)
{
	if (!n)
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(b, n, "labels: expected a list of label names");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const char *name = yamldoc_scalar(yamldoc_node(d, *it));

		if (!name)
			return bad(b, n, "labels: expected a list of label names");
		if (b->ev.n_label_info == RULE_MAX_LABELS)
			return bad(b, n, "labels: too many");
		b->labels[b->ev.n_label_info++].name = name;
		b->ev.labels |= set ? rule_set_label_bit(set, name) : 0;
	}
	b->ev.label_info = b->labels;
	return 0;
}

/* What a case says of the process's program beyond its path. */
static int build_program(struct built *b, struct yamldoc *d, yaml_node_t *p)
{
	struct cev_process *pr = &b->ev.proc;
	yaml_node_t *t = yamldoc_get(d, p, "args_truncated"), *same = yamldoc_get(d, p, "same_as");
	struct cev_str file = { 0 };
	int rc;

	/* the file it runs: the exe's own, or (same_as) another's under this name */
	rc = get_str(b, same ? same : yamldoc_get(d, p, "exe"), &file);
	pr->exe_prog.id = id_of(&file);
	rc = rc ? rc : get_str(b, yamldoc_get(d, p, "prev_exe"), &pr->prev_exe);
	rc = rc ? rc : get_exe_flags(b, d, yamldoc_get(d, p, "exe_flags"), &pr->exe_prog.flags);
	rc = rc ? rc : get_copies(b, d, yamldoc_get(d, p, "copy_of"));
	if (rc)
		return rc;
	if (t && !yamldoc_scalar_is(t, "true") && !yamldoc_scalar_is(t, "false"))
		return bad(b, t, "args_truncated: expected true or false");
	pr->args.truncated = yamldoc_scalar_is(t, "true");
	return 0;
}

static int build_process(struct built *b, struct yamldoc *d, yaml_node_t *p,
			 const struct rule_set *set)
{
	static const char *const keys[] = { "exe", "args", "uid", "user", "comm", "cgroup",
					    "pid", "tid", "ppid", "exe_flags", "prev_exe",
					    "same_as", "copy_of", "args_truncated", "labels", NULL };
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
	rc = rc ? rc : build_program(b, d, p);
	rc = rc ? rc : get_labels(b, d, yamldoc_get(d, p, "labels"), set);
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
		b->ev.parent.exe_prog.id = id_of(&b->ev.parent.exe);
	}
	n = yamldoc_get(d, e, "ancestors");
	if (n) {
		if (n->type != YAML_SEQUENCE_NODE)
			return bad(b, n, "ancestors: expected a list of executables, nearest first");
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			if (b->ev.n_ancestors == CASE_MAX_ANC)
				return bad(b, n, "ancestors: too many");
			rc = get_str(b, yamldoc_node(d, *it), &b->anc[b->ev.n_ancestors]);
			if (rc)
				return rc;
			b->anc_progs[b->ev.n_ancestors].id = id_of(&b->anc[b->ev.n_ancestors]);
			b->ev.n_ancestors++;
		}
	}
	b->ev.ancestors = b->anc;
	b->ev.ancestor_progs = b->anc_progs;
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
	static const char *const fkeys[] = { "path", "access", "flags", "via", "op", "host_path",
					     "watched_path", "truncated", NULL };
	yaml_node_t *n = yamldoc_get(d, e, "file"), *t;
	int rc;

	if (!n)
		return bad(b, e, "a file event needs file: {path, access}");
	rc = check_keys(b, d, n, fkeys, "file: expected a mapping");
	if (rc == 0 && yamldoc_get(d, n, "via"))
		return build_unresolved(b, d, n);
	rc = rc ? rc : get_str(b, yamldoc_get(d, n, "path"), &b->ev.file.path);
	/* the other views (docs/EVENTS.md): a chroot's, a hard link's */
	rc = rc ? rc : get_str(b, yamldoc_get(d, n, "host_path"), &b->ev.file.host_path);
	rc = rc ? rc : get_str(b, yamldoc_get(d, n, "watched_path"), &b->ev.file.watched_path);
	rc = rc ? rc : get_uint(b, yamldoc_get(d, n, "flags"), &b->ev.file.flags);
	t = yamldoc_get(d, n, "truncated");
	if (!rc && t && !yamldoc_scalar_is(t, "true") && !yamldoc_scalar_is(t, "false"))
		return bad(b, t, "truncated: expected true or false");
	if (t && yamldoc_scalar_is(t, "true"))
		b->ev.file.path.truncated = b->ev.file.path_partial = 1;
	return rc ? rc : get_access(b, d, yamldoc_get(d, n, "access"));
}

/* proto: a name of rules' `proto` (default tcp) into *out */
static int get_proto(struct built *b, yaml_node_t *proto, uint8_t *out)
{
	*out = CEV_PROTO_TCP;
	if (!proto)
		return 0;
	for (uint8_t p = 0; p < CEV_PROTO__COUNT; p++) {
		if (cev_proto_name(p) && yamldoc_scalar_is(proto, cev_proto_name(p))) {
			*out = p;
			return 0;
		}
	}
	return bad(b, proto, "proto: expected tcp, udp, udplite, sctp, raw, icmp or packet");
}

/* an IPv4 or IPv6 address into addr; its family, or 0 */
static int get_addr(yaml_node_t *n, uint8_t *addr)
{
	const char *s = yamldoc_scalar(n);

	if (s && inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (s && inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return 0;
}

static int build_connect(struct built *b, struct yamldoc *d, yaml_node_t *e)
{
	static const char *const ckeys[] = { "proto", "dest", "port", "dest_name", NULL };
	yaml_node_t *n = yamldoc_get(d, e, "connect"), *dest;
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
	rc = get_proto(b, yamldoc_get(d, n, "proto"), &b->ev.conn.proto);
	if (rc)
		return rc;
	b->ev.conn.ipproto = cev_proto_number(b->ev.conn.proto);
	dest = yamldoc_get(d, n, "dest");
	b->ev.conn.family = (uint8_t)get_addr(dest, b->ev.conn.addr);
	if (!b->ev.conn.family)
		return bad(b, dest ? dest : n, "dest: expected an IPv4 or IPv6 address");
	/* the name the address was learned from (a DNS answer), for name patterns */
	b->ev.conn.dest_name = yamldoc_scalar(yamldoc_get(d, n, "dest_name"));
	return 0;
}

/* socket: {proto, family, hop}: a socket made, or (hop) a source route set */
static int build_socket(struct built *b, struct yamldoc *d, yaml_node_t *e)
{
	static const char *const skeys[] = { "proto", "family", "hop", NULL };
	yaml_node_t *n = yamldoc_get(d, e, "socket"), *fam, *hop;
	struct cev_socket *k = &b->ev.sock;
	int rc;

	if (!n)
		return bad(b, e, "a socket event needs socket: {proto, family, hop}");
	rc = check_keys(b, d, n, skeys, "socket: expected a mapping");
	rc = rc ? rc : get_proto(b, yamldoc_get(d, n, "proto"), &k->proto);
	if (rc)
		return rc;
	fam = yamldoc_get(d, n, "family");
	k->family = k->proto == CEV_PROTO_PACKET ? AF_PACKET :
		    yamldoc_scalar_is(fam, "inet6") ? AF_INET6 : AF_INET;
	k->op = CEV_SOCK_CREATE;
	hop = yamldoc_get(d, n, "hop");
	if (hop) {
		k->hop_family = (uint8_t)get_addr(hop, k->hop);
		if (!k->hop_family)
			return bad(b, hop, "hop: expected an IPv4 or IPv6 address");
		k->op = k->hop_family == AF_INET ? CEV_SOCK_IP_OPTIONS : CEV_SOCK_IPV6_RTHDR;
	}
	return 0;
}

int build_event(struct built *b, struct yamldoc *d, yaml_node_t *e, const struct rule_set *set)
{
	static const char *const keys[] = { "kind", "process", "parent", "ancestors",
					    "file", "connect", "socket", NULL };
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
	else if (yamldoc_scalar_is(kind, "socket"))
		b->ev.kind = CEV_SOCKET;
	else
		return bad(b, kind ? kind : e, "event: kind must be exec, file, connect or socket");
	rc = build_process(b, d, yamldoc_get(d, e, "process"), set);
	rc = rc ? rc : build_lineage(b, d, e);
	if (rc)
		return rc;
	if (b->ev.kind == CEV_FILE)
		return build_file(b, d, e);
	if (b->ev.kind == CEV_CONNECT)
		return build_connect(b, d, e);
	if (b->ev.kind == CEV_SOCKET)
		return build_socket(b, d, e);
	return 0;
}

void built_free(struct built *b)
{
	for (size_t i = 0; i < b->n_bufs; i++)
		free(b->bufs[i]);
	b->n_bufs = 0;
}

