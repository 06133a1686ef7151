/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cond.c - `when` and `unless` conditions, field by field (cond.h).
 */
#include "rules/cond.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "rules/dest.h"
#include "rules/glob.h"
#include "rules/names.h"

#define ERR(x, node, ...) diag_at((x)->d, node, __VA_ARGS__)

static const char *const acc_names[] = { "read", "write", "create" };
static const uint32_t acc_values[] = {
	CEV_ACC_READ, CEV_ACC_WRITE, CEV_ACC_CREATE,
};
static const char *const proto_names[] = {
	"tcp", "udp", "udplite", "sctp", "raw", "icmp", "packet",
};
static const uint32_t proto_values[] = {
	PROTO_BIT(CEV_PROTO_TCP), PROTO_BIT(CEV_PROTO_UDP), PROTO_BIT(CEV_PROTO_UDPLITE),
	PROTO_BIT(CEV_PROTO_SCTP), PROTO_BIT(CEV_PROTO_RAW), PROTO_BIT(CEV_PROTO_ICMP),
	PROTO_BIT(CEV_PROTO_PACKET),
};

static int parse_uid(struct cond_ctx *x, const struct ynode *v, uint32_t *uid)
{
	const char *s = v->s;
	char *end;
	unsigned long long n;

	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+') {
		errno = 0;
		n = strtoull(s, &end, 10);
		if (s[0] < '0' || s[0] > '9' || *end || errno ||
		    n > UINT32_MAX - 1) {
			ERR(x, v, "uid '%s' is not a valid uid (expected 0..4294967294 or a user name)",
			    s);
			return -1;
		}
		*uid = (uint32_t)n;
		return 0;
	}
	if (!x->opts || !x->opts->resolve_user ||
	    x->opts->resolve_user(s, uid, x->opts->resolve_ctx) != 0) {
		ERR(x, v, "unknown user '%s'", s);
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

/* The group of the k-th glob: the last byte of its literal end, or the
 * wildcard group. */
static unsigned last_group(const struct cond_field *cf, size_t k)
{
	const struct glob_ends *e = &cf->ends[k];

	if (e->plen == 0 || !(e->literal || e->tail))
		return BY_LAST_WILD;
	return (unsigned char)cf->globs[k][e->plen - 1];
}

static void index_by_last(struct arena *a, struct cond_field *cf)
{
	uint32_t *ix, *order, fill[BY_LAST_GROUPS];

	ix = arena_alloc(a, (BY_LAST_ORDER + cf->n) * sizeof(*ix));
	if (!ix)
		return;
	order = ix + BY_LAST_ORDER;
	for (size_t k = 0; k < cf->n; k++)
		ix[last_group(cf, k) + 1]++;
	for (unsigned b = 0; b < BY_LAST_GROUPS; b++) {
		ix[b + 1] += ix[b];
		fill[b] = ix[b];
	}
	for (size_t k = 0; k < cf->n; k++)
		order[fill[last_group(cf, k)]++] = (uint32_t)k;
	cf->by_last = ix;
}

static int is_program_field(enum rule_field f)
{
	return f == F_EXE || f == F_PARENT_EXE || f == F_ANCESTOR_EXE || f == F_EXE_CONTENT;
}

static int is_glob_field(enum rule_field f)
{
	return is_program_field(f) || f == F_COMM || f == F_CGROUP || f == F_PATH ||
	       f == F_ARGS || f == F_CONTAINER;
}

int rules_glob_resolvable(const char *glob)
{
	const char *slash = strrchr(glob, '/');

	if (glob[0] != '/' || !slash)
		return 0;
	for (const char *p = glob; p < slash; p++)
		if (strchr("*?[\\", *p))
			return 0;
	return strstr(slash, "**") == NULL;
}

/*
 * The identities of a program field's resolvable values, through the
 * caller's resolver (rules.h), into cf->idents.  Nothing without a resolver.
 */
#define RESOLVE_MAX 256

static void resolve_programs(struct cond_ctx *x, struct cond_field *cf)
{
	const struct rule_load_opts *o = x->opts;
	struct ident got[RESOLVE_MAX], *all = NULL;
	size_t n_all = 0, cap = 0;

	if (!o || !o->resolve_exe || !cf->n)
		return;
	for (size_t k = 0; k < cf->n; k++) {
		int n;

		if (!cf->globs[k] || !rules_glob_resolvable(cf->globs[k]))
			continue;
		n = o->resolve_exe(cf->globs[k], got, RESOLVE_MAX, o->resolve_exe_ctx);
		for (int i = 0; i < n && i < RESOLVE_MAX; i++) {
			if (vec_grow((void **)&all, n_all, &cap, sizeof(*all))) {
				x->a->err = -ENOMEM;
				free(all);
				return;
			}
			all[n_all++] = got[i];
		}
	}
	if (n_all && (cf->idents = arena_alloc(x->a, n_all * sizeof(*all))) != NULL) {
		memcpy(cf->idents, all, n_all * sizeof(*all));
		cf->n_idents = n_all;
	}
	free(all);
}

/* access, proto: the value's bit, by name, into the field's mask */
static void add_bit(struct cond_ctx *x, struct cond_field *cf, const struct ynode *v,
		    const char *what, const char *const *names, const uint32_t *bits, size_t n)
{
	char all[96];
	int i = names_index(v->s, names, n);

	if (i < 0)
		ERR(x, v, "%s '%s' is not one of %s", what, v->s, names_join(all, sizeof(all), names, n));
	else
		cf->mask |= bits[i];
}

/* Label names read like rule ids: [a-z0-9][a-z0-9-]* */
static int valid_label(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] == '-' && i > 0)))
			return 0;
	return i > 0;
}

uint64_t cond_label_bit(struct cond_ctx *x, const struct ynode *v)
{
	struct label_table *t = x->labels;
	size_t i;

	if (!t)
		return 0;
	if (!valid_label(v->s)) {
		ERR(x, v, "label '%s' is invalid (use lowercase letters, digits and '-', starting "
		    "with a letter or digit)", v->s);
		return 0;
	}
	for (i = 0; i < t->n; i++)
		if (strcmp(t->name[i], v->s) == 0)
			return 1ULL << i;
	if (t->n == RULE_MAX_LABELS) {
		ERR(x, v, "label '%s': more than %d labels across the rules (the kernel keeps %d "
		    "per process)", v->s, RULE_MAX_LABELS, RULE_MAX_LABELS);
		return 0;
	}
	t->name[t->n] = arena_strdup(x->a, v->s);
	return 1ULL << t->n++;
}

static void compile_value(struct cond_ctx *x, struct cond_field *cf,
			  enum rule_field f, size_t k, const struct ynode *v)
{
	const char *name = rule_field_name(f);
	struct arena *a = x->a;
	char why[160];

	if (is_glob_field(f)) {
		const char *reason;

		if (v->len == 0)
			ERR(x, v, "%s pattern is empty", name);
		else if (glob_validate(v->s, &reason) < 0)
			ERR(x, v, "%s pattern '%s' is invalid: %s", name, v->s,
			    reason);
		else if ((cf->globs[k] = arena_strdup(a, v->s)) != NULL)
			glob_ends_of(cf->globs[k], &cf->ends[k]);
		return;
	}
	switch (f) {
	case F_UID:
		parse_uid(x, v, &cf->uids[k]);
		break;
	case F_ACCESS:
		add_bit(x, cf, v, name, acc_names, acc_values, N_NAMES(acc_names));
		break;
	case F_PROTO:
		add_bit(x, cf, v, name, proto_names, proto_values, N_NAMES(proto_names));
		break;
	case F_DEST:
		if (dest_parse(v->s, &cf->dests[k], why, sizeof(why)) < 0)
			ERR(x, v, "dest '%s' is invalid: %s", v->s, why);
		break;
	case F_LABELS:
		cf->labels |= cond_label_bit(x, v);
		break;
	default:
		break;
	}
}

static void compile_field(struct cond_ctx *x, struct cond_field *cf,
			  enum rule_field f, const struct ynode *val)
{
	struct arena *a = x->a;
	struct nodes vals = { 0 };
	size_t k;

	cf->present = 1;
	cf->cls = -1;
	/* on a failed $ref, still check the values that did expand */
	lists_flatten(x->lists, val, &vals);
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
		compile_value(x, cf, f, k, vals.v[k]);
	free(vals.v);
	if (is_program_field(f))
		resolve_programs(x, cf);
	if (is_glob_field(f) && f != F_ARGS && cf->n >= INDEX_MIN_GLOBS && !x->a->err) {
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

void cond_compile(struct cond_ctx *x, struct cond *c, const struct ynode *map, int on)
{
	const char *names[F__COUNT];
	char all[160];
	size_t i;
	int f;

	for (f = 0; f < F__COUNT; f++)
		names[f] = rule_field_name((enum rule_field)f);
	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *key = map->kids[i];

		f = names_index(key->s, names, F__COUNT);
		if (f < 0) {
			ERR(x, key, "unknown field '%s' (expected one of: %s)",
			    key->s, names_join(all, sizeof(all), names, F__COUNT));
			continue;
		}
		if (on >= 0 && !rule_field_applies((enum rule_field)f,
						   (enum rule_on)on)) {
			ERR(x, key, "field '%s' does not apply to on: %s (only to on: %s)",
			    key->s, rule_on_name((enum rule_on)on),
			    field_home((enum rule_field)f));
			continue;
		}
		compile_field(x, &c->f[f], (enum rule_field)f, map->kids[i + 1]);
	}
}

size_t cond_compile_list(struct cond_ctx *x, const struct ynode *seq, int on, const char *what,
			 struct cond **out)
{
	size_t i, n = 0;

	*out = NULL;
	if (!ynode_want_seq(x->d, seq, what) || seq->kind != YN_SEQ || seq->n == 0)
		return 0;
	*out = arena_alloc(x->a, seq->n * sizeof(**out));
	if (!*out)
		return 0;
	for (i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->kids[i];

		if (m->kind != YN_MAP) {
			ERR(x, m, "each condition in '%s' must be a mapping, not %s",
			    what, ynode_kind_name(m));
			continue;
		}
		if (m->n == 0) {
			ERR(x, m, "an empty condition in '%s' would match every event",
			    what);
			continue;
		}
		(*out)[n].is_unless = 1;
		cond_compile(x, &(*out)[n++], m, on);
	}
	return n;
}
