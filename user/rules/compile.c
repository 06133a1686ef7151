/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compile.c - rule files (as trees) -> one immutable struct rule_set.
 *
 * rule_set_load works in passes over all the sources, so that a later file
 * can extend or tune an earlier one:
 *
 *   1. parse every source; collect its lists, lists_append, rules and
 *      overrides (file order, then document order)
 *   2. apply every lists_append to its list, then resolve each list to a
 *      flat sequence of values ($refs expanded, nesting flattened, cycles
 *      refused; lists.c).  So a list's value is final before any rule reads
 *      it: an append in any file is seen by every rule that names the list.
 *   3. compile every rule; values are typed and checked here, where the
 *      field they are used for is known (an error inside a list points at
 *      the list's item; cond.c)
 *   4. apply the overrides, in file order: a later override of the same key
 *      wins.  The target may be defined in any file.
 *
 * Any diagnostic from any pass means no rule set at all (-EINVAL).
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"
#include "rules/arena.h"
#include "rules/cond.h"
#include "rules/diag.h"
#include "rules/label_keys.h"
#include "rules/lists.h"
#include "rules/names.h"
#include "rules/parse.h"
#include "rules/rules.h"

struct rule_set_priv {
	struct rule_set pub;
	struct arena a;
	struct label_table labels;	/* pub.labels points into it */
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

	struct lists lists;
	struct nodes rule_nodes;
	struct nodes override_nodes;

	struct rule_set_priv *set;
	struct cond_ctx cond;		/* for the rules' conditions, in the set's arena */
	const char **file_names;	/* per source, in the set's arena */
	const struct ynode **id_nodes;	/* per compiled rule */
	struct strmap rule_ids;		/* id -> index in set->pub.rules */
};

#define ERR(L, node, ...) diag_at(&(L)->d, node, __VA_ARGS__)

static void push(struct loader *L, struct nodes *v, const struct ynode *n)
{
	if (nodes_push(v, n))
		L->oom = 1;
}

/* --- values of a rule or override ----------------------------------------- */

static const char *const on_names[] = { "file", "connect", "exec" };
static const enum rule_on on_values[] = {
	RULE_ON_FILE, RULE_ON_CONNECT, RULE_ON_EXEC,
};
static const char *const sev_names[] = {
	"info", "low", "medium", "high", "critical",
};
static const char *const act_names[] = { "alert", "block", "label" };

/* The index of v's text in names, or -1 after a diagnostic. */
static int parse_enum(struct loader *L, const struct ynode *v, const char *what,
		      const char *const *names, size_t n)
{
	char all[128];
	const char *s = ynode_want_scalar(&L->d, v, what);
	int i;

	if (!s)
		return -1;
	i = names_index(s, names, n);
	if (i < 0)
		ERR(L, v, "%s '%s' is not one of %s", what, s,
		    names_join(all, sizeof(all), names, n));
	return i;
}

static int parse_bool(struct loader *L, const struct ynode *v, const char *what)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	const char *s = ynode_want_scalar(&L->d, v, what);

	if (!s)
		return -1;
	if (names_index(s, yes, N_NAMES(yes)) >= 0)
		return 1;
	if (names_index(s, no, N_NAMES(no)) >= 0)
		return 0;
	ERR(L, v, "%s '%s' is not a boolean (expected true or false)", what, s);
	return -1;
}

/* --- rules --------------------------------------------------------------- */

enum {
	RK_ID, RK_DESCRIPTION, RK_ON, RK_SEVERITY, RK_ACTION, RK_ENABLED,
	RK_TAGS, RK_WHEN, RK_UNLESS, RK_SET_LABELS, RK_LABEL_TTL, RK__COUNT,
};

static const char *const rule_keys[RK__COUNT] = {
	"id", "description", "on", "severity", "action", "enabled", "tags",
	"when", "unless", "set_labels", "label_ttl",
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

	return strmap_get(&L->rule_ids, id, &i) ? &L->set->pub.rules[i] : NULL;
}

/* Checks the id; returns it, or NULL (diagnostic out) when unusable. */
static const char *rule_id(struct loader *L, const struct ynode *v)
{
	const char *id = ynode_want_scalar(&L->d, v, "id");
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

	if (!ynode_want_seq(&L->d, v, "tags") || v->kind != YN_SEQ || v->n == 0)
		return;
	r->tags = arena_alloc(&L->set->a, v->n * sizeof(*r->tags));
	if (!r->tags)
		return;
	for (i = 0; i < v->n; i++) {
		const char *t = ynode_want_scalar(&L->d, v->kids[i], "tags");

		if (t)
			r->tags[r->n_tags++] = arena_strdup(&L->set->a, t);
	}
}

/*
 * The keys of rule mapping m into val[] (of duplicate keys the first
 * counts); reports unknown and missing keys.  Returns the rule's id, or
 * NULL when it has none that can be used.
 */
static const char *rule_collect(struct loader *L, const struct ynode *m,
				const struct ynode **val)
{
	static const int required[] = { RK_ID, RK_ON, RK_SEVERITY, RK_WHEN };
	const char *id = NULL;
	char all[128], where[300];
	size_t k;
	int i;

	for (k = 0; k + 1 < m->n; k += 2) {
		i = names_index(m->kids[k]->s, rule_keys, RK__COUNT);
		if (i >= 0 && !val[i])
			val[i] = m->kids[k + 1];
	}
	if (val[RK_ID])
		id = rule_id(L, val[RK_ID]);
	if (id)
		snprintf(where, sizeof(where), "rule '%s'", id);
	else
		snprintf(where, sizeof(where), "rule");
	for (k = 0; k + 1 < m->n; k += 2)
		if (names_index(m->kids[k]->s, rule_keys, RK__COUNT) < 0)
			ERR(L, m->kids[k], "unknown key '%s' in %s (expected one of: %s)",
			    m->kids[k]->s, where,
			    names_join(all, sizeof(all), rule_keys, RK__COUNT));
	for (k = 0; k < N_NAMES(required); k++)
		if (!val[required[k]])
			ERR(L, m, "%s is missing required key '%s'",
			    where, rule_keys[required[k]]);
	return id;
}

/* Every value but the id into r; returns `on` (RULE_ON_*), or -1 when it is
 * missing or unknown. */
static int rule_values(struct loader *L, struct rule *r, const struct ynode **val)
{
	int on = -1, i;

	if (val[RK_ON]) {
		i = parse_enum(L, val[RK_ON], "on", on_names, N_NAMES(on_names));
		if (i >= 0)
			on = (int)on_values[i];
	}
	if (val[RK_SEVERITY]) {
		i = parse_enum(L, val[RK_SEVERITY], "severity", sev_names,
			       N_NAMES(sev_names));
		r->severity = i >= 0 ? (enum rule_severity)i : SEV_INFO;
	}
	if (val[RK_ACTION]) {
		i = parse_enum(L, val[RK_ACTION], "action", act_names,
			       N_NAMES(act_names));
		r->action = i >= 0 ? (enum rule_action)i : ACT_ALERT;
	}
	if (val[RK_ENABLED])
		r->enabled = parse_bool(L, val[RK_ENABLED], "enabled") != 0;
	if (val[RK_DESCRIPTION] && !ynode_is_null(val[RK_DESCRIPTION])) {
		const char *s = ynode_want_scalar(&L->d, val[RK_DESCRIPTION], "description");

		r->description = s ? arena_strdup(&L->set->a, s) : NULL;
	}
	if (val[RK_TAGS])
		compile_tags(L, r, val[RK_TAGS]);
	if (val[RK_WHEN] && ynode_want_map(&L->d, val[RK_WHEN], "when", 0))
		cond_compile(&L->cond, &r->when, val[RK_WHEN], on);
	if (val[RK_UNLESS])
		r->n_unless = cond_compile_list(&L->cond, val[RK_UNLESS], on, "unless",
						&r->unless);
	labels_compile_rule(&L->cond, r, on, val[RK_SET_LABELS], val[RK_LABEL_TTL],
			    val[RK_ACTION]);
	return on;
}

static void compile_rule(struct loader *L, const struct ynode *m)
{
	const struct ynode *val[RK__COUNT] = { 0 };
	struct rule r = { .enabled = 1, .action = ACT_ALERT };
	const char *id;
	int on;

	if (m->kind != YN_MAP) {
		ERR(L, m, "each rule must be a mapping, not %s",
		    ynode_kind_name(m));
		return;
	}
	id = rule_collect(L, m, val);
	r.id = id ? arena_strdup(&L->set->a, id) : NULL;	/* the values' diagnostics name it */
	on = rule_values(L, &r, val);
	if (!id)
		return;	/* nothing can refer to it; the load fails anyway */
	r.on = on >= 0 ? (enum rule_on)on : RULE_ON_FILE;
	r.file = L->file_names[m->src];
	r.line = m->line;
	r.col = m->col;
	if (strmap_put(&L->rule_ids, r.id ? r.id : "", L->set->pub.n_rules))
		L->oom = 1;
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
		i = names_index(m->kids[k]->s, override_keys, OK__COUNT);
		if (i < 0)
			ERR(L, m->kids[k], "unknown key '%s' in override (expected one of: %s)",
			    m->kids[k]->s,
			    names_join(all, sizeof(all), override_keys, OK__COUNT));
		else if (!val[i])	/* of duplicate keys the first counts */
			val[i] = m->kids[k + 1];
	}
	if (!val[OK_RULE]) {
		ERR(L, m, "override is missing required key 'rule'");
	} else {
		const char *id = ynode_want_scalar(&L->d, val[OK_RULE], "rule");

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
			       N_NAMES(sev_names));
		if (r && i >= 0)
			r->severity = (enum rule_severity)i;
	}
	if (val[OK_ACTION]) {
		i = parse_enum(L, val[OK_ACTION], "action", act_names,
			       N_NAMES(act_names));
		if (r && i >= 0) {
			r->action = (enum rule_action)i;
			labels_check_action(&L->cond, r, val[OK_ACTION]);
		}
	}
	if (!val[OK_UNLESS_APPEND])
		return;
	n = cond_compile_list(&L->cond, val[OK_UNLESS_APPEND], r ? (int)r->on : -1,
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

/* --- classes ------------------------------------------------------------- */

static int same_values(const struct cond_field *a, const struct cond_field *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!a->globs[i] || !b->globs[i] || strcmp(a->globs[i], b->globs[i]) != 0)
			return 0;
	return 1;
}

/* The class of one ancestor_exe field: an equal one's, or a new one. */
static void assign_class(struct loader *L, struct rule_class *cls, struct cond_field *cf,
			 int unless)
{
	struct rule_set *pub = &L->set->pub;

	for (size_t i = 0; i < pub->n_classes; i++) {
		if (cls[i].unless == unless && same_values(cls[i].cf, cf)) {
			cf->cls = (int)i;
			return;
		}
	}
	if (pub->n_classes == RULE_MAX_CLASSES)
		return;	/* the process cache's lineage alone decides it */
	cls[pub->n_classes] = (struct rule_class){ cf, unless };
	cf->cls = (int)pub->n_classes++;
}

/*
 * Every `ancestor_exe` field gets a class (rules.h): after the overrides,
 * so that unless_append's conditions have theirs too.
 */
static void assign_classes(struct loader *L)
{
	struct rule_set *pub = &L->set->pub;
	struct rule_class *cls = arena_alloc(&L->set->a, RULE_MAX_CLASSES * sizeof(*cls));

	if (!cls)
		return;
	pub->classes = cls;
	for (size_t r = 0; r < pub->n_rules; r++) {
		struct rule *rl = &pub->rules[r];

		if (!rl->enabled)
			continue;
		if (rl->when.f[F_ANCESTOR_EXE].present)
			assign_class(L, cls, &rl->when.f[F_ANCESTOR_EXE], 0);
		for (size_t u = 0; u < rl->n_unless; u++)
			if (rl->unless[u].f[F_ANCESTOR_EXE].present)
				assign_class(L, cls, &rl->unless[u].f[F_ANCESTOR_EXE], 1);
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
		i = names_index(root->kids[k]->s, top_keys, TK__COUNT);
		if (i < 0)
			ERR(L, root->kids[k], "unknown top-level key '%s' (expected one of: %s)",
			    root->kids[k]->s,
			    names_join(all, sizeof(all), top_keys, TK__COUNT));
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
	if (val[TK_LISTS] && ynode_want_map(&L->d, val[TK_LISTS], "lists", 1))
		for (k = 0; k + 1 < val[TK_LISTS]->n; k += 2)
			lists_define(&L->lists, val[TK_LISTS]->kids[k],
				     val[TK_LISTS]->kids[k + 1]);
	if (val[TK_LISTS_APPEND] &&
	    ynode_want_map(&L->d, val[TK_LISTS_APPEND], "lists_append", 1))
		for (k = 0; k + 1 < val[TK_LISTS_APPEND]->n; k += 2)
			lists_append(&L->lists, val[TK_LISTS_APPEND]->kids[k],
				     val[TK_LISTS_APPEND]->kids[k + 1]);
	if (val[TK_RULES] && ynode_want_seq(&L->d, val[TK_RULES], "rules"))
		for (k = 0; k < val[TK_RULES]->n; k++)
			push(L, &L->rule_nodes, val[TK_RULES]->kids[k]);
	if (val[TK_OVERRIDES] && ynode_want_seq(&L->d, val[TK_OVERRIDES], "overrides"))
		for (k = 0; k < val[TK_OVERRIDES]->n; k++)
			push(L, &L->override_nodes, val[TK_OVERRIDES]->kids[k]);
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
	lists_free(&L->lists);
	free(L->rule_nodes.v);
	free(L->override_nodes.v);
	free(L->id_nodes);
	strmap_free(&L->rule_ids);
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
	L->cond = (struct cond_ctx){
		.d = &L->d, .a = &set->a, .lists = &L->lists, .opts = L->opts,
		.labels = &set->labels,
	};
	set->pub.labels = set->labels.name;
	return set->a.err;
}

int rule_set_load(const struct rule_source *srcs, size_t n,
		  const struct rule_load_opts *opts,
		  struct rule_set **out, struct rule_diags *diags)
{
	struct loader L = {
		.srcs = srcs, .nsrc = n, .opts = opts,
		.lists = { .d = &L.d, .srcs = srcs },
	};
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
	r = L.oom || L.lists.oom ? -ENOMEM : prepare_set(&L);
	if (r == 0) {
		L.lists.partial = L.partial;	/* known once every file is read */
		lists_resolve(&L.lists);
		for (i = 0; i < L.rule_nodes.n; i++)
			compile_rule(&L, L.rule_nodes.v[i]);
		for (i = 0; i < L.override_nodes.n; i++)
			apply_override(&L, L.override_nodes.v[i]);
		assign_classes(&L);
		L.set->pub.n_labels = L.set->labels.n;
		for (i = 0; i < RULE_MAX_CLASSES; i++)
			L.set->pub.class_slot[i] = i < L.set->pub.n_classes ? (int)i : -1;
		for (i = 0; i < RULE_MAX_LABELS; i++)
			L.set->pub.label_slot[i] = i < L.set->pub.n_labels ? (int)i : -1;
		if (L.oom || L.lists.oom || L.set->a.err || L.ast.err)
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

size_t rule_set_enabled(const struct rule_set *set, size_t per_on[4])
{
	size_t n = 0;

	if (per_on)
		memset(per_on, 0, 4 * sizeof(*per_on));
	for (size_t i = 0; i < set->n_rules; i++) {
		if (!set->rules[i].enabled)
			continue;
		n++;
		if (per_on)
			per_on[set->rules[i].on & 3]++;
	}
	return n;
}
