/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_compile.c - rule files (as trees) -> one immutable struct rule_set.
 *
 * rule_set_load works in passes over all the sources, so that a later file
 * can extend or tune an earlier one:
 *
 *   1. parse every source; collect its lists, lists_append, rules and
 *      overrides (file order, then document order)
 *   2. apply every lists_append to its list, then resolve each list to a
 *      flat sequence of values ($refs expanded, nesting flattened, cycles
 *      refused).  So a list's value is final before any rule reads it: an
 *      append in any file is seen by every rule that names the list.
 *   3. compile every rule; values are typed and checked here, where the
 *      field they are used for is known (an error inside a list points at
 *      the list's item)
 *   4. apply the overrides, in file order: a later override of the same key
 *      wins.  The target may be defined in any file.
 *
 * Any diagnostic from any pass means no rule set at all (-EINVAL).
 */
#include "rules/internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/glob.h"

#define MAX_VALUES 100000	/* values of one field or list, lists expanded */
#define MAX_LIST_DEPTH 32	/* lists naming lists naming lists ... */

struct rule_set_priv {
	struct rule_set pub;
	struct arena a;
};

struct list_def {
	const char *name;
	const struct ynode *key;
	const struct ynode **vals;	/* the definition, then each append */
	size_t n_vals, cap_vals;
	enum { LIST_NEW, LIST_BUSY, LIST_DONE, LIST_FAILED } state;
	const struct ynode **items;	/* resolved: scalars */
	size_t n_items;
};

struct nodes {
	const struct ynode **v;
	size_t n, cap;
};

struct loader {
	const struct rule_source *srcs;
	size_t nsrc;
	const struct rule_load_opts *opts;
	struct arena ast;
	struct diag_list d;
	int oom;
	/* some file is not valid YAML: a reference to a list or rule that is
	 * missing may be defined there, so it is not reported */
	int partial;

	struct list_def *lists;
	size_t n_lists, cap_lists;
	struct nodes appends;		/* key, value pairs of lists_append */
	struct nodes rule_nodes;
	struct nodes override_nodes;

	const char *resolving[MAX_LIST_DEPTH];
	size_t depth;

	struct rule_set_priv *set;
	const char **file_names;	/* per source, in the set's arena */
	const struct ynode **id_nodes;	/* per compiled rule */
};

#define ERR(L, node, ...) \
	diag_add(&(L)->d, (node)->src, (node)->line, (node)->col, __VA_ARGS__)

static void nodes_push(struct loader *L, struct nodes *v, const struct ynode *n)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		const struct ynode **p = realloc(v->v, cap * sizeof(*p));

		if (!p) {
			L->oom = 1;
			return;
		}
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = n;
}

static const char *join(char *buf, size_t size, const char *const *names,
			size_t n)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
					i ? ", " : "", names[i]);
	return buf;
}

/* The scalar text of v, or NULL after a diagnostic naming `what`. */
static const char *want_scalar(struct loader *L, const struct ynode *v,
			       const char *what)
{
	if (v->kind == YN_SCALAR)
		return v->s;
	ERR(L, v, "'%s' must be a string, not %s", what, ynode_kind_name(v));
	return NULL;
}

/* 1 if v is a list (or null, meaning empty); else 0 after a diagnostic. */
static int want_seq(struct loader *L, const struct ynode *v, const char *what)
{
	if (v->kind == YN_SEQ || ynode_is_null(v))
		return 1;
	ERR(L, v, "'%s' must be a list, not %s", what, ynode_kind_name(v));
	return 0;
}

static int want_map(struct loader *L, const struct ynode *v, const char *what,
		    int null_ok)
{
	if (v->kind == YN_MAP || (null_ok && ynode_is_null(v)))
		return 1;
	ERR(L, v, "'%s' must be a mapping, not %s", what, ynode_kind_name(v));
	return 0;
}

static int key_index(const char *key, const char *const *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(key, keys[i]) == 0)
			return (int)i;
	return -1;
}

/* --- enums --------------------------------------------------------------- */

static const char *const on_names[] = { "file", "connect", "exec" };
static const enum rule_on on_values[] = {
	RULE_ON_FILE, RULE_ON_CONNECT, RULE_ON_EXEC,
};
static const char *const sev_names[] = {
	"info", "low", "medium", "high", "critical",
};
static const char *const act_names[] = { "alert", "block" };
static const char *const acc_names[] = { "read", "write", "create" };
static const uint32_t acc_values[] = {
	CEV_ACC_READ, CEV_ACC_WRITE, CEV_ACC_CREATE,
};
static const char *const proto_names[] = { "tcp", "udp", "raw" };
static const uint32_t proto_values[] = {
	PROTO_BIT(IPPROTO_TCP), PROTO_BIT(IPPROTO_UDP), PROTO_BIT(CEV_PROTO_RAW),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The index of v's text in names, or -1 after a diagnostic. */
static int parse_enum(struct loader *L, const struct ynode *v, const char *what,
		      const char *const *names, size_t n)
{
	char all[128];
	const char *s = want_scalar(L, v, what);
	int i;

	if (!s)
		return -1;
	i = key_index(s, names, n);
	if (i < 0)
		ERR(L, v, "%s '%s' is not one of %s", what, s,
		    join(all, sizeof(all), names, n));
	return i;
}

static int parse_bool(struct loader *L, const struct ynode *v, const char *what)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	const char *s = want_scalar(L, v, what);

	if (!s)
		return -1;
	if (key_index(s, yes, N(yes)) >= 0)
		return 1;
	if (key_index(s, no, N(no)) >= 0)
		return 0;
	ERR(L, v, "%s '%s' is not a boolean (expected true or false)", what, s);
	return -1;
}

/* --- lists --------------------------------------------------------------- */

static struct list_def *find_list(struct loader *L, const char *name)
{
	size_t i;

	for (i = 0; i < L->n_lists; i++)
		if (strcmp(L->lists[i].name, name) == 0)
			return &L->lists[i];
	return NULL;
}

static int valid_list_name(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      s[0] == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static void list_add_val(struct loader *L, struct list_def *ld,
			 const struct ynode *v)
{
	struct nodes tmp = { ld->vals, ld->n_vals, ld->cap_vals };

	nodes_push(L, &tmp, v);
	ld->vals = tmp.v;
	ld->n_vals = tmp.n;
	ld->cap_vals = tmp.cap;
}

static void define_list(struct loader *L, const struct ynode *key,
			const struct ynode *val)
{
	struct list_def *ld = find_list(L, key->s);

	if (!valid_list_name(key->s)) {
		ERR(L, key, "list name '%s' is invalid (use letters, digits, '_' and '-', starting with a letter or '_')",
		    key->s);
		return;
	}
	if (ld) {
		ERR(L, key, "list '%s' is already defined at %s:%d:%d (use lists_append to extend it)",
		    key->s, L->srcs[ld->key->src].name, ld->key->line,
		    ld->key->col);
		return;
	}
	if (val->kind == YN_MAP) {
		ERR(L, val, "list '%s' must be a list of values, not a mapping",
		    key->s);
		return;
	}
	if (L->n_lists == L->cap_lists) {
		size_t cap = L->cap_lists ? L->cap_lists * 2 : 16;
		struct list_def *p = realloc(L->lists, cap * sizeof(*p));

		if (!p) {
			L->oom = 1;
			return;
		}
		L->lists = p;
		L->cap_lists = cap;
	}
	ld = &L->lists[L->n_lists++];
	*ld = (struct list_def){ .name = key->s, .key = key };
	list_add_val(L, ld, val);
}

static int resolve_list(struct loader *L, struct list_def *ld,
			const struct ynode *ref);

/*
 * Appends the scalars of v to out: a `$name` expands to the list's values,
 * a nested list is flattened.  Returns 0, or -1 if anything failed (the
 * diagnostic is already out).
 */
static int flatten(struct loader *L, const struct ynode *v, struct nodes *out)
{
	size_t i;
	int r = 0;

	if (v->kind == YN_MAP) {
		ERR(L, v, "values must be strings or lists, not a mapping");
		return -1;
	}
	if (v->kind == YN_SEQ) {
		for (i = 0; i < v->n; i++)
			if (flatten(L, v->kids[i], out) < 0)
				r = -1;
		return r;
	}
	if (ynode_is_null(v))
		return 0;	/* `- ` in a list, or `path:` with nothing */
	if (v->s[0] == '$') {
		struct list_def *ld = find_list(L, v->s + 1);

		if (!ld) {
			if (!L->partial)
				ERR(L, v, "unknown list '%s'", v->s);
			return -1;
		}
		if (resolve_list(L, ld, v) < 0)
			return -1;
		for (i = 0; i < ld->n_items; i++) {
			if (out->n >= MAX_VALUES)
				break;
			nodes_push(L, out, ld->items[i]);
		}
	} else if (out->n < MAX_VALUES) {
		nodes_push(L, out, v);
	}
	if (out->n >= MAX_VALUES) {
		ERR(L, v, "more than %d values after expanding lists",
		    MAX_VALUES);
		return -1;
	}
	return 0;
}

static int resolve_list(struct loader *L, struct list_def *ld,
			const struct ynode *ref)
{
	struct nodes items = { 0 };
	size_t i;
	int r = 0;

	switch (ld->state) {
	case LIST_DONE:
		return 0;
	case LIST_FAILED:
		return -1;
	case LIST_BUSY: {
		char path[512];
		size_t off = 0;

		for (i = 0; i < L->depth && off < sizeof(path); i++)
			if (strcmp(L->resolving[i], ld->name) == 0)
				break;
		for (; i < L->depth && off < sizeof(path); i++)
			off += (size_t)snprintf(path + off, sizeof(path) - off,
						"$%s -> ", L->resolving[i]);
		ERR(L, ref, "list cycle: %s$%s", path, ld->name);
		return -1;
	}
	case LIST_NEW:
		break;
	}
	if (L->depth == MAX_LIST_DEPTH) {
		ERR(L, ref, "lists nested more than %d deep", MAX_LIST_DEPTH);
		return -1;
	}
	ld->state = LIST_BUSY;
	L->resolving[L->depth++] = ld->name;
	for (i = 0; i < ld->n_vals; i++)
		if (flatten(L, ld->vals[i], &items) < 0)
			r = -1;
	L->depth--;
	ld->items = items.v;
	ld->n_items = items.n;
	ld->state = r < 0 ? LIST_FAILED : LIST_DONE;
	return r;
}

static void resolve_lists(struct loader *L)
{
	size_t i;

	for (i = 0; i < L->appends.n; i += 2) {
		const struct ynode *key = L->appends.v[i];
		const struct ynode *val = L->appends.v[i + 1];
		struct list_def *ld = find_list(L, key->s);

		if (!ld) {
			if (!L->partial)
				ERR(L, key, "lists_append to unknown list '%s'",
				    key->s);
		} else if (val->kind == YN_MAP) {
			ERR(L, val, "lists_append '%s' must be a list of values, not a mapping",
			    key->s);
		} else {
			list_add_val(L, ld, val);
		}
	}
	/* every list, used or not, so that each error is reported */
	for (i = 0; i < L->n_lists; i++)
		resolve_list(L, &L->lists[i], L->lists[i].key);
}

/* --- conditions ---------------------------------------------------------- */

static int parse_uid(struct loader *L, const struct ynode *v, uint32_t *uid)
{
	const char *s = v->s;
	char *end;
	unsigned long long n;

	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+') {
		errno = 0;
		n = strtoull(s, &end, 10);
		if (s[0] < '0' || s[0] > '9' || *end || errno ||
		    n > UINT32_MAX - 1) {
			ERR(L, v, "uid '%s' is not a valid uid (expected 0..4294967294 or a user name)",
			    s);
			return -1;
		}
		*uid = (uint32_t)n;
		return 0;
	}
	if (!L->opts || !L->opts->resolve_user ||
	    L->opts->resolve_user(s, uid, L->opts->resolve_ctx) != 0) {
		ERR(L, v, "unknown user '%s'", s);
		return -1;
	}
	return 0;
}

/*
 * For a field with many globs (the shipped secret-file lists have ~80),
 * group them by the last byte of their literal end, so that the matcher
 * tries only the group of the subject's last byte and the globs that end
 * in a wildcard.  Not for `args` (its NULs read as spaces).
 */
#define INDEX_MIN_GLOBS 8

static void index_by_last(struct arena *a, struct cond_field *cf)
{
	uint32_t *ix, *order, fill[257];

	ix = arena_alloc(a, (258 + cf->n) * sizeof(*ix));
	if (!ix)
		return;
	order = ix + 258;
	for (size_t k = 0; k < cf->n; k++) {
		const struct glob_ends *e = &cf->ends[k];
		unsigned b = e->literal || e->tail ? (unsigned char)cf->globs[k][e->plen - 1] : 256;

		if (e->plen == 0)
			b = 256;
		ix[b + 1]++;
	}
	for (unsigned b = 0; b < 257; b++) {
		ix[b + 1] += ix[b];
		fill[b] = ix[b];
	}
	for (size_t k = 0; k < cf->n; k++) {
		const struct glob_ends *e = &cf->ends[k];
		unsigned b = e->literal || e->tail ? (unsigned char)cf->globs[k][e->plen - 1] : 256;

		if (e->plen == 0)
			b = 256;
		order[fill[b]++] = (uint32_t)k;
	}
	cf->by_last = ix;
}

static int is_glob_field(enum rule_field f)
{
	return f == F_EXE || f == F_COMM || f == F_PARENT_EXE ||
	       f == F_ANCESTOR_EXE || f == F_CGROUP || f == F_PATH ||
	       f == F_ARGS || f == F_CONTAINER;
}

static void compile_value(struct loader *L, struct cond_field *cf,
			  enum rule_field f, size_t k, const struct ynode *v)
{
	const char *name = rule_field_name(f);
	struct arena *a = &L->set->a;
	char why[160], all[64];
	int i;

	if (is_glob_field(f)) {
		const char *reason;

		if (v->len == 0)
			ERR(L, v, "%s pattern is empty", name);
		else if (glob_validate(v->s, &reason) < 0)
			ERR(L, v, "%s pattern '%s' is invalid: %s", name, v->s,
			    reason);
		else if ((cf->globs[k] = arena_strdup(a, v->s)) != NULL)
			glob_ends_of(cf->globs[k], &cf->ends[k]);
		return;
	}
	switch (f) {
	case F_UID:
		parse_uid(L, v, &cf->uids[k]);
		break;
	case F_ACCESS:
		i = key_index(v->s, acc_names, N(acc_names));
		if (i < 0)
			ERR(L, v, "access '%s' is not one of %s", v->s,
			    join(all, sizeof(all), acc_names, N(acc_names)));
		else
			cf->mask |= acc_values[i];
		break;
	case F_PROTO:
		i = key_index(v->s, proto_names, N(proto_names));
		if (i < 0)
			ERR(L, v, "proto '%s' is not one of %s", v->s,
			    join(all, sizeof(all), proto_names, N(proto_names)));
		else
			cf->mask |= proto_values[i];
		break;
	case F_DEST:
		if (dest_parse(v->s, &cf->dests[k], why, sizeof(why)) < 0)
			ERR(L, v, "dest '%s' is invalid: %s", v->s, why);
		break;
	default:
		break;
	}
}

static void compile_field(struct loader *L, struct cond_field *cf,
			  enum rule_field f, const struct ynode *val)
{
	struct arena *a = &L->set->a;
	struct nodes vals = { 0 };
	size_t k;

	cf->present = 1;
	/* on a failed $ref, still check the values that did expand */
	flatten(L, val, &vals);
	if (vals.n == 0) {
		free(vals.v);
		return;	/* an empty value list never holds */
	}
	if (is_glob_field(f)) {
		cf->globs = arena_alloc(a, vals.n * sizeof(*cf->globs));
		cf->ends = arena_alloc(a, vals.n * sizeof(*cf->ends));
	}
	else if (f == F_UID)
		cf->uids = arena_alloc(a, vals.n * sizeof(*cf->uids));
	else if (f == F_DEST)
		cf->dests = arena_alloc(a, vals.n * sizeof(*cf->dests));
	if (a->err) {
		free(vals.v);
		return;
	}
	cf->n = vals.n;
	for (k = 0; k < vals.n; k++)
		compile_value(L, cf, f, k, vals.v[k]);
	free(vals.v);
	if (is_glob_field(f) && f != F_ARGS && cf->n >= INDEX_MIN_GLOBS && !L->set->a.err) {
		for (k = 0; k < cf->n; k++)
			if (!cf->globs[k])
				return;	/* an invalid glob: the load fails anyway */
		index_by_last(a, cf);
	}
}

static const char *field_home(enum rule_field f)
{
	switch (f) {
	case F_PATH:
	case F_ACCESS:
		return "file";
	case F_DEST:
	case F_PROTO:
		return "connect";
	default:
		return "exec";
	}
}

/* on < 0: the rule's `on` is unknown, skip the applicability check. */
static void compile_cond(struct loader *L, struct cond *c,
			 const struct ynode *map, int on)
{
	const char *names[F__COUNT];
	char all[160];
	size_t i;
	int f;

	for (f = 0; f < F__COUNT; f++)
		names[f] = rule_field_name((enum rule_field)f);
	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *key = map->kids[i];

		f = key_index(key->s, names, F__COUNT);
		if (f < 0) {
			ERR(L, key, "unknown field '%s' (expected one of: %s)",
			    key->s, join(all, sizeof(all), names, F__COUNT));
			continue;
		}
		if (on >= 0 && !rule_field_applies((enum rule_field)f,
						   (enum rule_on)on)) {
			ERR(L, key, "field '%s' does not apply to on: %s (only to on: %s)",
			    key->s, rule_on_name((enum rule_on)on),
			    field_home((enum rule_field)f));
			continue;
		}
		compile_field(L, &c->f[f], (enum rule_field)f, map->kids[i + 1]);
	}
}

/* Compiles a list of conditions (`unless`, `unless_append`) into *out. */
static size_t compile_conds(struct loader *L, const struct ynode *seq, int on,
			    const char *what, struct cond **out)
{
	size_t i, n = 0;

	*out = NULL;
	if (!want_seq(L, seq, what) || seq->kind != YN_SEQ || seq->n == 0)
		return 0;
	*out = arena_alloc(&L->set->a, seq->n * sizeof(**out));
	if (!*out)
		return 0;
	for (i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->kids[i];

		if (m->kind != YN_MAP) {
			ERR(L, m, "each condition in '%s' must be a mapping, not %s",
			    what, ynode_kind_name(m));
			continue;
		}
		if (m->n == 0) {
			ERR(L, m, "an empty condition in '%s' would match every event",
			    what);
			continue;
		}
		compile_cond(L, &(*out)[n++], m, on);
	}
	return n;
}

/* --- rules --------------------------------------------------------------- */

enum {
	RK_ID, RK_DESCRIPTION, RK_ON, RK_SEVERITY, RK_ACTION, RK_ENABLED,
	RK_TAGS, RK_WHEN, RK_UNLESS, RK__COUNT,
};

static const char *const rule_keys[RK__COUNT] = {
	"id", "description", "on", "severity", "action", "enabled", "tags",
	"when", "unless",
};

static int valid_rule_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		int ok = (s[i] >= 'a' && s[i] <= 'z') ||
			 (s[i] >= '0' && s[i] <= '9') || (s[i] == '-' && i > 0);

		if (!ok)
			return 0;
	}
	return i > 0;
}

static struct rule *find_rule(struct loader *L, const char *id)
{
	size_t i;

	for (i = 0; i < L->set->pub.n_rules; i++)
		if (strcmp(L->set->pub.rules[i].id, id) == 0)
			return &L->set->pub.rules[i];
	return NULL;
}

/* Checks the id; returns it, or NULL (diagnostic out) when unusable. */
static const char *rule_id(struct loader *L, const struct ynode *v)
{
	const char *id = want_scalar(L, v, "id");
	struct rule *dup;

	if (!id)
		return NULL;
	if (!valid_rule_id(id)) {
		ERR(L, v, "rule id '%s' is invalid (use lowercase letters, digits and '-', starting with a letter or digit)",
		    id);
		return NULL;
	}
	dup = find_rule(L, id);
	if (dup) {
		const struct ynode *first = L->id_nodes[dup - L->set->pub.rules];

		ERR(L, v, "duplicate rule id '%s' (first defined at %s:%d:%d)",
		    id, L->srcs[first->src].name, first->line, first->col);
		return NULL;
	}
	return id;
}

static void compile_tags(struct loader *L, struct rule *r,
			 const struct ynode *v)
{
	size_t i;

	if (!want_seq(L, v, "tags") || v->kind != YN_SEQ || v->n == 0)
		return;
	r->tags = arena_alloc(&L->set->a, v->n * sizeof(*r->tags));
	if (!r->tags)
		return;
	for (i = 0; i < v->n; i++) {
		const char *t = want_scalar(L, v->kids[i], "tags");

		if (t)
			r->tags[r->n_tags++] = arena_strdup(&L->set->a, t);
	}
}

static void compile_rule(struct loader *L, const struct ynode *m)
{
	const struct ynode *val[RK__COUNT] = { 0 };
	struct rule r = { .enabled = 1, .action = ACT_ALERT };
	const char *id = NULL, *label;
	char all[128], where[300];
	int on = -1, i;
	size_t k;

	if (m->kind != YN_MAP) {
		ERR(L, m, "each rule must be a mapping, not %s",
		    ynode_kind_name(m));
		return;
	}
	for (k = 0; k + 1 < m->n; k += 2) {
		i = key_index(m->kids[k]->s, rule_keys, RK__COUNT);
		if (i >= 0 && !val[i])	/* of duplicate keys the first counts */
			val[i] = m->kids[k + 1];
	}
	if (val[RK_ID])
		id = rule_id(L, val[RK_ID]);
	if (id)
		snprintf(where, sizeof(where), "rule '%s'", id);
	else
		snprintf(where, sizeof(where), "rule");
	label = where;
	for (k = 0; k + 1 < m->n; k += 2)
		if (key_index(m->kids[k]->s, rule_keys, RK__COUNT) < 0)
			ERR(L, m->kids[k], "unknown key '%s' in %s (expected one of: %s)",
			    m->kids[k]->s, label,
			    join(all, sizeof(all), rule_keys, RK__COUNT));
	{
		static const int required[] = { RK_ID, RK_ON, RK_SEVERITY, RK_WHEN };

		for (k = 0; k < N(required); k++)
			if (!val[required[k]])
				ERR(L, m, "%s is missing required key '%s'",
				    label, rule_keys[required[k]]);
	}
	if (val[RK_ON]) {
		i = parse_enum(L, val[RK_ON], "on", on_names, N(on_names));
		if (i >= 0)
			on = (int)on_values[i];
	}
	if (val[RK_SEVERITY]) {
		i = parse_enum(L, val[RK_SEVERITY], "severity", sev_names,
			       N(sev_names));
		r.severity = i >= 0 ? (enum rule_severity)i : SEV_INFO;
	}
	if (val[RK_ACTION]) {
		i = parse_enum(L, val[RK_ACTION], "action", act_names,
			       N(act_names));
		r.action = i >= 0 ? (enum rule_action)i : ACT_ALERT;
	}
	if (val[RK_ENABLED])
		r.enabled = parse_bool(L, val[RK_ENABLED], "enabled") != 0;
	if (val[RK_DESCRIPTION] && !ynode_is_null(val[RK_DESCRIPTION])) {
		const char *s = want_scalar(L, val[RK_DESCRIPTION], "description");

		r.description = s ? arena_strdup(&L->set->a, s) : NULL;
	}
	if (val[RK_TAGS])
		compile_tags(L, &r, val[RK_TAGS]);
	if (val[RK_WHEN] && want_map(L, val[RK_WHEN], "when", 0))
		compile_cond(L, &r.when, val[RK_WHEN], on);
	if (val[RK_UNLESS])
		r.n_unless = compile_conds(L, val[RK_UNLESS], on, "unless",
					   &r.unless);
	if (!id)
		return;	/* nothing can refer to it; the load fails anyway */
	r.id = arena_strdup(&L->set->a, id);
	r.on = on >= 0 ? (enum rule_on)on : RULE_ON_FILE;
	r.file = L->file_names[m->src];
	r.line = m->line;
	r.col = m->col;
	L->id_nodes[L->set->pub.n_rules] = val[RK_ID];
	L->set->pub.rules[L->set->pub.n_rules++] = r;
}

/* --- overrides ----------------------------------------------------------- */

enum { OK_RULE, OK_ENABLED, OK_SEVERITY, OK_ACTION, OK_UNLESS_APPEND, OK__COUNT };

static const char *const override_keys[OK__COUNT] = {
	"rule", "enabled", "severity", "action", "unless_append",
};

static void apply_override(struct loader *L, const struct ynode *m)
{
	const struct ynode *val[OK__COUNT] = { 0 };
	struct rule *r = NULL;
	struct cond *more;
	char all[96];
	size_t k, n;
	int i;

	if (m->kind != YN_MAP) {
		ERR(L, m, "each override must be a mapping, not %s",
		    ynode_kind_name(m));
		return;
	}
	for (k = 0; k + 1 < m->n; k += 2) {
		i = key_index(m->kids[k]->s, override_keys, OK__COUNT);
		if (i < 0)
			ERR(L, m->kids[k], "unknown key '%s' in override (expected one of: %s)",
			    m->kids[k]->s,
			    join(all, sizeof(all), override_keys, OK__COUNT));
		else if (!val[i])	/* of duplicate keys the first counts */
			val[i] = m->kids[k + 1];
	}
	if (!val[OK_RULE]) {
		ERR(L, m, "override is missing required key 'rule'");
	} else {
		const char *id = want_scalar(L, val[OK_RULE], "rule");

		r = id ? find_rule(L, id) : NULL;
		if (id && !r && !L->partial)
			ERR(L, val[OK_RULE], "override of unknown rule '%s'", id);
	}
	/* values are checked even without a target */
	if (val[OK_ENABLED]) {
		i = parse_bool(L, val[OK_ENABLED], "enabled");
		if (r && i >= 0)
			r->enabled = i;
	}
	if (val[OK_SEVERITY]) {
		i = parse_enum(L, val[OK_SEVERITY], "severity", sev_names,
			       N(sev_names));
		if (r && i >= 0)
			r->severity = (enum rule_severity)i;
	}
	if (val[OK_ACTION]) {
		i = parse_enum(L, val[OK_ACTION], "action", act_names,
			       N(act_names));
		if (r && i >= 0)
			r->action = (enum rule_action)i;
	}
	if (!val[OK_UNLESS_APPEND])
		return;
	n = compile_conds(L, val[OK_UNLESS_APPEND], r ? (int)r->on : -1,
			  "unless_append", &more);
	if (!r || n == 0)
		return;
	{
		struct cond *all_conds = arena_alloc(&L->set->a,
			(r->n_unless + n) * sizeof(*all_conds));

		if (!all_conds)
			return;
		if (r->n_unless)
			memcpy(all_conds, r->unless, r->n_unless * sizeof(*all_conds));
		memcpy(all_conds + r->n_unless, more, n * sizeof(*all_conds));
		r->unless = all_conds;
		r->n_unless += n;
	}
}

/* --- files --------------------------------------------------------------- */

enum { TK_CUSTOS, TK_LISTS, TK_RULES, TK_OVERRIDES, TK_LISTS_APPEND, TK__COUNT };

static const char *const top_keys[TK__COUNT] = {
	"custos", "lists", "rules", "overrides", "lists_append",
};

static void read_file(struct loader *L, size_t src, const struct ynode *root)
{
	const struct ynode *val[TK__COUNT] = { 0 };
	char all[96];
	size_t k;
	int i;

	if (!root) {
		diag_add(&L->d, src, 1, 1, "empty file (expected custos: 1)");
		return;
	}
	if (root->kind != YN_MAP) {
		ERR(L, root, "the top level must be a mapping (custos: 1, lists, rules, ...), not %s",
		    ynode_kind_name(root));
		return;
	}
	for (k = 0; k + 1 < root->n; k += 2) {
		i = key_index(root->kids[k]->s, top_keys, TK__COUNT);
		if (i < 0)
			ERR(L, root->kids[k], "unknown top-level key '%s' (expected one of: %s)",
			    root->kids[k]->s,
			    join(all, sizeof(all), top_keys, TK__COUNT));
		else if (!val[i])	/* of duplicate keys the first counts */
			val[i] = root->kids[k + 1];
	}
	if (!val[TK_CUSTOS]) {
		diag_add(&L->d, src, 1, 1,
			 "missing required key 'custos' (expected custos: 1)");
	} else if (val[TK_CUSTOS]->kind != YN_SCALAR ||
		   strcmp(val[TK_CUSTOS]->s, "1") != 0) {
		ERR(L, val[TK_CUSTOS], "unsupported custos version '%s' (expected 1)",
		    val[TK_CUSTOS]->kind == YN_SCALAR ? val[TK_CUSTOS]->s
						      : ynode_kind_name(val[TK_CUSTOS]));
		L->partial = 1;	/* its meaning is unknown: skip the rest */
		return;
	}
	if (val[TK_LISTS] && want_map(L, val[TK_LISTS], "lists", 1))
		for (k = 0; k + 1 < val[TK_LISTS]->n; k += 2)
			define_list(L, val[TK_LISTS]->kids[k],
				    val[TK_LISTS]->kids[k + 1]);
	if (val[TK_LISTS_APPEND] &&
	    want_map(L, val[TK_LISTS_APPEND], "lists_append", 1))
		for (k = 0; k < val[TK_LISTS_APPEND]->n; k++)
			nodes_push(L, &L->appends, val[TK_LISTS_APPEND]->kids[k]);
	if (val[TK_RULES] && want_seq(L, val[TK_RULES], "rules"))
		for (k = 0; k < val[TK_RULES]->n; k++)
			nodes_push(L, &L->rule_nodes, val[TK_RULES]->kids[k]);
	if (val[TK_OVERRIDES] && want_seq(L, val[TK_OVERRIDES], "overrides"))
		for (k = 0; k < val[TK_OVERRIDES]->n; k++)
			nodes_push(L, &L->override_nodes,
				   val[TK_OVERRIDES]->kids[k]);
}

/*
 * The digest identifies the exact input: SHA-256 over, for each source in
 * order, its name, a NUL, its length in decimal, a NUL, then its bytes.
 * The same files in the same order give the same digest; any changed byte,
 * name or order gives another.  Written as "sha256:" + 64 lowercase hex.
 */
static int compute_digest(const struct rule_source *srcs, size_t n,
			  char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, j;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (i = 0; ok && i < n; i++) {
		const char *name = srcs[i].name ? srcs[i].name : "";
		char len[32];

		snprintf(len, sizeof(len), "%zu", srcs[i].len);
		ok = EVP_DigestUpdate(ctx, name, strlen(name) + 1) &&
		     EVP_DigestUpdate(ctx, len, strlen(len) + 1) &&
		     EVP_DigestUpdate(ctx, srcs[i].data, srcs[i].len);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -ENOMEM;
	memcpy(out, "sha256:", 7);
	for (j = 0; j < mdlen; j++)
		snprintf(out + 7 + 2 * j, 3, "%02x", md[j]);
	return 0;
}

static void loader_free(struct loader *L)
{
	size_t i;

	for (i = 0; i < L->n_lists; i++) {
		free(L->lists[i].vals);
		free(L->lists[i].items);
	}
	free(L->lists);
	free(L->appends.v);
	free(L->rule_nodes.v);
	free(L->override_nodes.v);
	free(L->id_nodes);
	arena_free(&L->ast);
	diag_list_free(&L->d);
}

static int prepare_set(struct loader *L)
{
	struct rule_set_priv *set = calloc(1, sizeof(*set));
	size_t i, n = L->rule_nodes.n;

	if (!set)
		return -ENOMEM;
	L->set = set;
	L->id_nodes = calloc(n ? n : 1, sizeof(*L->id_nodes));
	set->pub.rules = arena_alloc(&set->a, (n ? n : 1) * sizeof(struct rule));
	L->file_names = arena_alloc(&set->a, (L->nsrc ? L->nsrc : 1) *
					     sizeof(*L->file_names));
	if (!L->id_nodes || set->a.err)
		return -ENOMEM;
	for (i = 0; i < L->nsrc; i++)
		L->file_names[i] = arena_strdup(&set->a, L->srcs[i].name ?
							 L->srcs[i].name : "<input>");
	return set->a.err;
}

int rule_set_load(const struct rule_source *srcs, size_t n,
		  const struct rule_load_opts *opts,
		  struct rule_set **out, struct rule_diags *diags)
{
	struct loader L = { .srcs = srcs, .nsrc = n, .opts = opts };
	size_t i;
	int r;

	*out = NULL;
	for (i = 0; i < n; i++) {
		struct ynode *root = NULL;

		r = rules_yaml_parse(&L.ast, &L.d, i, srcs[i].data, srcs[i].len,
				     &root);
		if (r == -ENOMEM) {
			L.oom = 1;
			break;
		}
		if (r < 0 && !root)
			L.partial = 1;	/* not YAML: nothing to read */
		else
			read_file(&L, i, root);
	}
	r = L.oom ? -ENOMEM : prepare_set(&L);
	if (r == 0) {
		resolve_lists(&L);
		for (i = 0; i < L.rule_nodes.n; i++)
			compile_rule(&L, L.rule_nodes.v[i]);
		for (i = 0; i < L.override_nodes.n; i++)
			apply_override(&L, L.override_nodes.v[i]);
		if (L.oom || L.set->a.err || L.ast.err)
			r = -ENOMEM;
	}
	if (r == 0 && L.d.n == 0 && !L.d.oom)
		r = compute_digest(srcs, n, L.set->pub.digest);
	if (r == 0 && (L.d.n || L.d.oom))
		r = -EINVAL;
	if (diag_export(&L.d, srcs, diags) < 0 && r == -EINVAL)
		r = -ENOMEM;
	if (r == 0)
		*out = &L.set->pub;
	else
		rule_set_free(L.set ? &L.set->pub : NULL);
	loader_free(&L);
	return r;
}

void rule_set_free(struct rule_set *set)
{
	struct rule_set_priv *p = (struct rule_set_priv *)set;

	if (!p)
		return;
	arena_free(&p->a);
	free(p);
}
