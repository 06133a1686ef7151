/* SPDX-License-Identifier: Apache-2.0 */
/*
 * match.c - does an event violate a rule?  The agent's hot path.
 *
 * Allocation-free: globs run on the event's bytes (argv is matched in place,
 * its NULs read as spaces), and nothing is copied.
 */
#include "rules/rules.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/glob.h"

static int glob_k(const struct cond_field *cf, size_t k, const char *s, size_t len)
{
	return glob_match_ends(cf->globs[k], &cf->ends[k], s, len, 0);
}

static int any_glob(const struct cond_field *cf, const char *s, size_t len)
{
	size_t i;

	if (cf->by_last) {
		/* only the globs whose literal end fits the last byte, and those
		 * that end in a wildcard */
		const uint32_t *ix = cf->by_last, *order = cf->by_last + BY_LAST_ORDER;
		unsigned b = len ? (unsigned char)s[len - 1] : BY_LAST_WILD;

		for (i = ix[BY_LAST_WILD]; i < ix[BY_LAST_GROUPS]; i++)
			if (glob_k(cf, order[i], s, len))
				return 1;
		for (i = ix[b]; b < BY_LAST_WILD && i < ix[b + 1]; i++)
			if (glob_k(cf, order[i], s, len))
				return 1;
		return 0;
	}
	for (i = 0; i < cf->n; i++)
		if (cf->ends ? glob_match_ends(cf->globs[i], &cf->ends[i], s, len, 0)
			     : glob_match(cf->globs[i], s, len))
			return 1;
	return 0;
}

/*
 * A file's path holds in any of its views: the process's (file.path), the
 * host's (file.host_path, when it differs) or the one a rule knows it by
 * (file.watched_path: opened under another name).
 */
static int any_path(const struct cond_field *cf, const struct cev_file *f)
{
	return any_glob(cf, f->path.p, f->path.len) ||
	       (f->host_path.p && any_glob(cf, f->host_path.p, f->host_path.len)) ||
	       (f->watched_path.p && any_glob(cf, f->watched_path.p, f->watched_path.len));
}

/* Is id among the identities cf's values named when the rules loaded? */
static int ident_in(const struct cond_field *cf, const struct ident *id)
{
	for (size_t i = 0; id && i < cf->n_idents; i++)
		if (ident_eq(&cf->idents[i], id))
			return 1;
	return 0;
}

/* A path that does not lead to the program on the host lends it no exemption. */
#define PATH_NOT_HOSTS (CEV_EXE_ELSEWHERE | CEV_EXE_MEMFD | CEV_EXE_DELETED)

/*
 * A program (exe, parent_exe, one ancestor; prog what is known of it, may
 * be NULL): by identity, or by path; in `unless` a path only when it is the
 * host's (rules.h).
 */
static int program_holds(const struct cond_field *cf, int unless, const struct cev_str *exe,
			 const struct cev_prog *prog)
{
	if (prog && ident_in(cf, &prog->id))
		return 1;
	if (unless && prog && (prog->flags & PATH_NOT_HOSTS))
		return 0;
	return any_glob(cf, exe->p, exe->len);
}

/* exe_content: the program, or a copy of one the field names. */
static int content_holds(const struct cond_field *cf, int unless, const struct cev_process *p)
{
	for (uint32_t i = 0; i < p->n_copies && i < CEV_MAX_COPIES; i++)
		if (ident_in(cf, &p->copies[i]))
			return 1;
	return program_holds(cf, unless, &p->exe, &p->exe_prog);
}

/*
 * The lineage the kernel kept (the field's class), then the ancestors the
 * event lists, then the program the process ran before its last exec.
 */
static int any_ancestor(const struct cond_field *cf, int unless, const struct cev_event *ev)
{
	static const struct cev_prog unchecked = { .flags = CEV_EXE_ELSEWHERE };
	uint32_t i;

	if (cf->cls >= 0 && cf->cls < 64 && ((ev->lineage >> cf->cls) & 1))
		return 1;
	for (i = 0; i < ev->n_ancestors; i++)
		if (program_holds(cf, unless, &ev->ancestors[i],
				  ev->ancestor_progs ? &ev->ancestor_progs[i] : NULL))
			return 1;
	/* what it ran before is known by its path only */
	if (ev->proc.prev_exe.len && program_holds(cf, unless, &ev->proc.prev_exe, &unchecked))
		return 1;
	/* no lineage filled in: the parent is still an ancestor */
	if (ev->n_ancestors == 0 && ev->has_parent)
		return program_holds(cf, unless, &ev->parent.exe, &ev->parent.exe_prog);
	return 0;
}

/*
 * argv is "a\0b\0c\0": matched as "a b c".  The final NUL ends the last
 * entry; a truncated buffer may lack it.
 */
static int any_args(const struct cond_field *cf, const struct cev_args *a)
{
	size_t len = a->len, i;

	if (len && a->buf[len - 1] == '\0')
		len--;
	for (i = 0; i < cf->n; i++)
		if (cf->ends ? glob_match_ends(cf->globs[i], &cf->ends[i], a->buf, len, 1)
			     : glob_match_nul_as_space(cf->globs[i], a->buf, len))
			return 1;
	return 0;
}

static int any_uid(const struct cond_field *cf, uint32_t uid)
{
	size_t i;

	for (i = 0; i < cf->n; i++)
		if (cf->uids[i] == uid)
			return 1;
	return 0;
}

static int is_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) also matches as IPv4. */
static int any_dest(const struct cond_field *cf, const struct cev_connect *c)
{
	int mapped = c->family == AF_INET6 && is_v4_mapped(c->addr);
	size_t i;

	for (i = 0; i < cf->n; i++) {
		if (!cev_proto_has_ports(c->proto) && cf->dests[i].has_port)
			continue;	/* a raw or ping send has no port */
		if (cf->dests[i].is_name) {
			if (dest_name_match(&cf->dests[i], c->dest_name, c->port))
				return 1;
			continue;
		}
		if (dest_pat_match(&cf->dests[i], c->family, c->addr, c->port))
			return 1;
		if (mapped && dest_pat_match(&cf->dests[i], AF_INET,
					     c->addr + 12, c->port))
			return 1;
	}
	return 0;
}

/* Does dest name every address (0.0.0.0/0 or ::/0 without a port)? */
static int dest_all(const struct cond_field *cf)
{
	for (size_t i = 0; i < cf->n; i++)
		if (!cf->dests[i].is_name && cf->dests[i].prefix == 0 && !cf->dests[i].has_port)
			return 1;
	return 0;
}

/*
 * `dest` of an event without a destination (a socket made, a source route
 * set), outside a rule's `when`: it holds only where it names every
 * address, and never for a source route (the hops were not asked about).
 */
static int socket_dest(const struct cond_field *cf, const struct cev_socket *s)
{
	return s->op == CEV_SOCK_CREATE && dest_all(cf);
}

static int field_holds(enum rule_field f, const struct cond_field *cf, int unless,
		       const struct cev_event *ev)
{
	const struct cev_process *p = &ev->proc;

	switch (f) {
	case F_EXE:
		return program_holds(cf, unless, &p->exe, &p->exe_prog);
	case F_EXE_CONTENT:
		return content_holds(cf, unless, p);
	case F_COMM:
		return any_glob(cf, p->comm, strnlen(p->comm, sizeof(p->comm)));
	case F_PARENT_EXE:
		return ev->has_parent &&
		       program_holds(cf, unless, &ev->parent.exe, &ev->parent.exe_prog);
	case F_ANCESTOR_EXE:
		return any_ancestor(cf, unless, ev);
	case F_UID:
		return any_uid(cf, p->uid);
	case F_CONTAINER:
		return p->container_id &&
		       any_glob(cf, p->container_id, strlen(p->container_id));
	case F_CGROUP:
		return p->cgroup && any_glob(cf, p->cgroup, strlen(p->cgroup));
	case F_PATH:
		return ev->kind == CEV_FILE && any_path(cf, &ev->file);
	case F_ACCESS:
		return ev->kind == CEV_FILE && (ev->file.access & cf->mask);
	case F_DEST:
		return ev->kind == CEV_CONNECT ? any_dest(cf, &ev->conn) :
		       ev->kind == CEV_SOCKET && socket_dest(cf, &ev->sock);
	case F_PROTO:
		return ev->kind == CEV_CONNECT ? (cf->mask & PROTO_BIT(ev->conn.proto)) != 0 :
		       ev->kind == CEV_SOCKET && (cf->mask & PROTO_BIT(ev->sock.proto));
	case F_LABELS:
		return (ev->labels & cf->labels) != 0;
	case F_ARGS:
		/* argv cut short: the part never read may match, so a `when`
		 * holds and an `unless` cannot be shown to (fails closed) */
		if (ev->kind == CEV_EXEC && p->args.truncated)
			return !unless;
		return ev->kind == CEV_EXEC && any_args(cf, &p->args);
	case F__COUNT:
		break;
	}
	return 0;
}

int cond_holds(const struct cond *c, const struct cev_event *ev)
{
	int f;

	for (f = 0; f < F__COUNT; f++)
		if (c->f[f].present &&
		    !field_holds((enum rule_field)f, &c->f[f], c->is_unless, ev))
			return 0;
	return 1;
}

/*
 * A file event whose file is unknown (cev_file.unresolved: an io_uring open
 * seen at submission), or whose path could not be had whole
 * (cev_file.path_partial: cut at the kernel's limit, or of a detached or
 * disconnected dentry that no view or identity resolves): what is unknown
 * is taken to hold in `when` (the open may be of a watched file: fail
 * closed), and an `unless` clause that needs it cannot be shown to hold, so
 * it does not suppress.  The rest is checked as usual: the rule's scope
 * (exe, uid, cgroup, lineage...).  Unknown: path and access for an
 * unresolved file, the path alone for a partial one.
 */
int rule_field_unknown(const struct cev_event *ev, enum rule_field f)
{
	if (ev->kind != CEV_FILE)
		return 0;
	if (f == F_PATH)
		return ev->file.unresolved || ev->file.path_partial;
	return f == F_ACCESS && ev->file.unresolved;
}

int cond_needs_unknown(const struct cond *c, const struct cev_event *ev)
{
	for (int f = 0; f < F__COUNT; f++)
		if (c->f[f].present && rule_field_unknown(ev, (enum rule_field)f))
			return 1;
	return 0;
}

static int cond_holds_partly(const struct cond *c, const struct cev_event *ev)
{
	int f;

	for (f = 0; f < F__COUNT; f++) {
		if (!c->f[f].present || rule_field_unknown(ev, (enum rule_field)f))
			continue;
		if (!field_holds((enum rule_field)f, &c->f[f], c->is_unless, ev))
			return 0;
	}
	return 1;
}

/*
 * A rule's `when` for an event without a destination (docs/RULES.md,
 * "Sockets"; the kernel's computation in bpf/filter_maps.h): for a source
 * route `dest` holds (its hops may be anything); for a socket made it holds
 * where it names every address or `proto` names the socket's kind itself.
 */
static int socket_when_holds(const struct cond *c, const struct cev_event *ev)
{
	const struct cond_field *proto = &c->f[F_PROTO];

	for (int f = 0; f < F__COUNT; f++) {
		if (!c->f[f].present)
			continue;
		if (f == F_DEST && (ev->sock.op != CEV_SOCK_CREATE || dest_all(&c->f[f]) ||
				    (proto->present && (proto->mask & PROTO_BIT(ev->sock.proto)))))
			continue;
		if (!field_holds((enum rule_field)f, &c->f[f], c->is_unless, ev))
			return 0;
	}
	return 1;
}

int rule_matches(const struct rule *r, const struct cev_event *ev)
{
	int partly = ev->kind == CEV_FILE && (ev->file.unresolved || ev->file.path_partial);
	int on = ev->kind == CEV_SOCKET ? CEV_CONNECT : ev->kind;	/* `on: connect` */
	size_t i;

	if (!r->enabled || (int)r->on != on)
		return 0;
	if (partly) {
		if (!cond_holds_partly(&r->when, ev))
			return 0;
		for (i = 0; i < r->n_unless; i++)
			if (!cond_needs_unknown(&r->unless[i], ev) && cond_holds(&r->unless[i], ev))
				return 0;
		return 1;
	}
	if (!(ev->kind == CEV_SOCKET ? socket_when_holds(&r->when, ev) : cond_holds(&r->when, ev)))
		return 0;
	for (i = 0; i < r->n_unless; i++)
		if (cond_holds(&r->unless[i], ev))
			return 0;
	return 1;
}

int rule_set_path_named(const struct rule_set *set, const char *path, size_t len)
{
	for (size_t i = 0; i < set->n_rules; i++) {
		const struct rule *r = &set->rules[i];
		const struct cond_field *cf = &r->when.f[F_PATH];

		if (r->enabled && r->on == RULE_ON_FILE && cf->present && any_glob(cf, path, len))
			return 1;
	}
	return 0;
}

size_t rule_set_match(const struct rule_set *set, const struct cev_event *ev,
		      const struct rule **hits, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < set->n_rules; i++) {
		if (!rule_matches(&set->rules[i], ev))
			continue;
		if (n < max)
			hits[n] = &set->rules[i];
		n++;
	}
	return n;
}

uint64_t rule_set_classes_of(const struct rule_set *set, const struct cev_str *exe,
			     const struct cev_prog *prog)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < set->n_classes && i < RULE_MAX_CLASSES; i++)
		if (program_holds(set->classes[i].cf, set->classes[i].unless, exe, prog))
			bits |= 1ULL << i;
	return bits;
}

uint64_t rule_set_label_bit(const struct rule_set *set, const char *name)
{
	for (size_t i = 0; i < set->n_labels && i < RULE_MAX_LABELS; i++)
		if (strcmp(set->labels[i], name) == 0)
			return 1ULL << i;
	return 0;
}

uint16_t rule_set_gen(const struct rule_set *set)
{
	const char *hex = strchr(set->digest, ':');

	return hex ? (uint16_t)strtoul((char[5]){ hex[1], hex[2], hex[3], hex[4], 0 }, NULL, 16)
		   : 0;
}
