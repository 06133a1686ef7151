/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard.c - the guards' block-rule compiler and apply step (guard.h).
 *
 * filter_guard_compile() is pure; filter_guard_apply() resolves absolute
 * paths with stat() and writes the maps.
 */
#include "filters/guard.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/vec.h"
#include "record/event.h"
#include "rules/glob.h"

/* --- pure compiler ----------------------------------------------------------- */

enum guard_value_kind filter_guard_value_kernel(const char *glob, struct file_name_key *name)
{
	size_t n;

	if (glob[0] == '/' && !glob_has_wildcard(glob))
		return GUARD_VALUE_PATH;
	if (strncmp(glob, "**/", 3) != 0)
		return GUARD_VALUE_NONE;
	glob += 3;
	n = strlen(glob);
	if (n == 0 || n >= FILE_NAME_KEY || strchr(glob, '/') || glob_has_wildcard(glob) ||
	    strcmp(glob, ".") == 0 || strcmp(glob, "..") == 0)
		return GUARD_VALUE_NONE;
	if (name) {
		memset(name, 0, sizeof(*name));
		memcpy(name->name, glob, n);
	}
	return GUARD_VALUE_NAME;
}

enum guard_path_kind filter_guard_path_kernel(const char *glob, size_t *dir_len,
					      struct file_name_key *name)
{
	size_t n = strlen(glob);

	if (glob[0] == '/' && !glob_has_wildcard(glob))
		return GUARD_PATH_FILE;
	if (glob[0] == '/' && n >= 3 && strcmp(glob + n - 3, "/**") == 0) {
		/* DIR/STARSTAR: DIR literal ("/" for the glob "/STARSTAR") */
		size_t dl = n - 3;
		char *dir = strndup(glob, dl ? dl : 1);
		int literal = dir && !glob_has_wildcard(dir);

		free(dir);
		if (!literal)
			return GUARD_PATH_NONE;
		if (dir_len)
			*dir_len = dl ? dl : 1;
		return GUARD_PATH_TREE;
	}
	if (filter_guard_value_kernel(glob, name) == GUARD_VALUE_NAME)
		return GUARD_PATH_NAME;
	return GUARD_PATH_NONE;
}

/* Can the kernel decide glob for field f (path, exe, parent_exe, exe_content)? */
static int value_decidable(enum rule_field f, const char *g)
{
	if (f == F_PATH)
		return filter_guard_path_kernel(g, NULL, NULL) != GUARD_PATH_NONE;
	if (f == F_EXE_CONTENT)	/* a file to take a fingerprint of */
		return filter_guard_value_kernel(g, NULL) == GUARD_VALUE_PATH;
	return filter_guard_value_kernel(g, NULL) != GUARD_VALUE_NONE;
}

/*
 * The first field of c the kernel cannot decide (F__COUNT: none): one not in
 * fields, or a path / exe / parent_exe / exe_content with a value it cannot
 * decide (that value then goes to *bad_value, else NULL).
 */
static enum rule_field blind(const struct rule_set *rs, const struct cond *c, uint32_t fields,
			     const char **bad_value)
{
	*bad_value = NULL;
	for (int f = 0; f < F__COUNT; f++) {
		if (!c->f[f].present)
			continue;
		if (!(fields & GUARD_FIELD(f)))
			return (enum rule_field)f;
		/* the per-process state: labels, and the lineage classes the kernel keeps */
		if (f == F_ANCESTOR_EXE && (c->f[f].cls < 0 || rs->class_slot[c->f[f].cls] < 0))
			return (enum rule_field)f;
		if (f != F_PATH && f != F_EXE && f != F_PARENT_EXE && f != F_EXE_CONTENT)
			continue;
		for (size_t i = 0; i < c->f[f].n; i++) {
			const char *g = c->f[f].globs[i];

			if (!value_decidable((enum rule_field)f, g)) {
				*bad_value = g;
				return (enum rule_field)f;
			}
		}
	}
	return F__COUNT;
}

#define KERNEL_PATHS "an absolute path without wildcards, 'DIR/**' with DIR one, or '**/NAME'"
#define KERNEL_EXES "an absolute path without wildcards, or '**/NAME'"
#define KERNEL_CONTENT "an absolute path without wildcards"

/* Every guard also decides the per-process state: labels, lineage classes. */
#define STATE_FIELDS (GUARD_FIELD(F_LABELS) | GUARD_FIELD(F_ANCESTOR_EXE))

/* Diagnoses r; 1 when the kernel can decide it. */
static int decidable(const struct rule_set *rs, const struct guard_family *fam,
		     const struct rule *r, struct rule_diags *diags, int *bad)
{
	/* a block rule refuses in the kernel; a label rule labels there */
	const char *what = r->action == ACT_BLOCK ? "action block" : "set_labels";
	uint32_t fields = fam->fields | STATE_FIELDS;
	const char *value;
	enum rule_field f;
	int ok = 1, needed = 0;

	for (int i = 0; i < F__COUNT; i++)
		needed |= (fam->need & GUARD_FIELD(i)) && r->when.f[i].present;
	f = blind(rs, &r->when, fields, &value);
	if (f != F__COUNT) {
		ok = 0;
		if (value)
			*bad = rule_diag_add(diags, r, "rule '%s': %s needs a condition the "
					     "kernel decides, but `when.%s` has '%s', which it "
					     "cannot (it can: %s)", r->id, what, rule_field_name(f),
					     value, f == F_PATH ? KERNEL_PATHS : f == F_EXE_CONTENT ?
					     KERNEL_CONTENT : KERNEL_EXES);
		else
			*bad = rule_diag_add(diags, r, "rule '%s': %s needs a condition the "
					     "kernel decides, but `when` uses '%s', which the "
					     "kernel cannot evaluate (it can: %s)", r->id, what,
					     rule_field_name(f), fam->can);
	} else if (!needed) {
		ok = 0;
		*bad = rule_diag_add(diags, r, "rule '%s': %s %s", r->id, what, fam->no_need);
	} else if (r->when.f[F_EXE].present && r->when.f[F_EXE_CONTENT].present) {
		ok = 0;
		*bad = rule_diag_add(diags, r, "rule '%s': %s cannot have both `exe` and "
				     "`exe_content` in `when` (the kernel decides them as one); "
				     "list the programs under exe_content", r->id, what);
	}
	if (*bad == -ENOMEM)
		return 0;
	for (size_t u = 0; u < r->n_unless; u++) {
		f = blind(rs, &r->unless[u], fields, &value);
		if (f == F__COUNT)
			continue;
		ok = 0;
		*bad = rule_diag_add(diags, r, "rule '%s': %s needs every `unless` "
				     "condition decided in the kernel, but one uses '%s'%s%s%s (the "
				     "kernel can: %s)", r->id, what, rule_field_name(f),
				     value ? " with '" : "", value ? value : "", value ? "'" : "",
				     fam->can_unless);
		if (*bad == -ENOMEM)
			return 0;
	}
	return ok;
}

size_t filter_guard_block_rules(const struct rule_set *rs, enum rule_on on)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n_rules; i++)
		n += rs->rules[i].enabled && rs->rules[i].on == on &&
		     rs->rules[i].action == ACT_BLOCK;
	return n;
}

/* the arrays of struct filter_guard, as indexes of its cap[] */
enum {
	CAP_IKEYS, CAP_IVALS, CAP_NKEYS, CAP_NVALS, CAP_UKEYS, CAP_UVALS, CAP_MISSING,
	CAP_HKEYS, CAP_HVALS,
};

/*
 * Ors bit into 64-bit word `word` of the value of key in a table of keys
 * (*keys, key_size bytes each) and values (*vals, val_size bytes each, a
 * multiple of 8), *n entries; a new key gets a zero value.  cap[0] and
 * cap[1] are the allocated counts of keys and vals.  0 or -ENOMEM.
 */
static int set_bit(void **keys, void **vals, size_t *n, size_t cap[2], const void *key,
		   size_t key_size, size_t val_size, size_t word, uint64_t bit)
{
	uint64_t w;
	size_t i;

	for (i = 0; i < *n; i++)
		if (memcmp((char *)*keys + i * key_size, key, key_size) == 0)
			break;
	if (i == *n) {
		if (vec_grow(keys, *n, &cap[0], key_size) ||
		    vec_grow(vals, *n, &cap[1], val_size))
			return -ENOMEM;
		memcpy((char *)*keys + i * key_size, key, key_size);
		memset((char *)*vals + i * val_size, 0, val_size);
		(*n)++;
	}
	/* memcpy: the value is a struct of __u64 words, not an array */
	memcpy(&w, (char *)*vals + i * val_size + word * 8, 8);
	w |= bit;
	memcpy((char *)*vals + i * val_size + word * 8, &w, 8);
	return 0;
}

#define WORD(member) (offsetof(struct guard_bits, member) / 8)

static int add_ident(struct filter_guard *g, const struct file_ident *k, size_t word,
		     uint64_t bit)
{
	if (word == WORD(tree_when) || word == WORD(tree_unless))
		g->conf.any_tree = 1;
	return set_bit((void **)&g->ikeys, (void **)&g->ivals, &g->n_ids, &g->cap[CAP_IKEYS], k,
		       sizeof(*k), sizeof(*g->ivals), word, bit);
}

int filter_guard_tree_file(struct filter_guard *g, const struct file_ident *dir,
			   const struct file_ident *file)
{
	struct guard_bits bits = { 0 };
	int rc = 0;

	for (size_t i = 0; i < g->n_ids; i++)
		if (memcmp(&g->ikeys[i], dir, sizeof(*dir)) == 0)
			bits = g->ivals[i];
	if (!bits.tree_when && !bits.tree_unless)
		return 0;
	if (g->n_ids >= GUARD_MAP_MAX)
		return -E2BIG;
	/* add_ident ors a mask of bits in */
	if (bits.tree_when)
		rc = add_ident(g, file, WORD(tree_when), bits.tree_when);
	if (!rc && bits.tree_unless)
		rc = add_ident(g, file, WORD(tree_unless), bits.tree_unless);
	return rc;
}

static int add_name(struct filter_guard *g, const struct file_name_key *k, size_t word,
		    uint64_t bit)
{
	return set_bit((void **)&g->nkeys, (void **)&g->nvals, &g->n_names, &g->cap[CAP_NKEYS],
		       k, sizeof(*k), sizeof(*g->nvals), word, bit);
}

static int add_uid(struct filter_guard *g, uint32_t uid, int unless, uint64_t bit)
{
	return set_bit((void **)&g->ukeys, (void **)&g->uvals, &g->n_uids, &g->cap[CAP_UKEYS],
		       &uid, sizeof(uid), sizeof(*g->uvals),
		       unless ? offsetof(struct guard_uid_bits, unless) / 8 : 0, bit);
}

static int add_head(struct filter_guard *g, const struct exe_head_key *k, size_t word,
		    uint64_t bit)
{
	g->conf.any_heads = 1;
	return set_bit((void **)&g->hkeys, (void **)&g->hvals, &g->n_heads, &g->cap[CAP_HKEYS],
		       k, sizeof(*k), sizeof(*g->hvals), word, bit);
}

static int add_missing(struct filter_guard *g, const struct rule *r, const char *glob)
{
	if (vec_grow((void **)&g->missing, g->n_missing, &g->cap[CAP_MISSING],
		     sizeof(*g->missing)))
		return -ENOMEM;
	g->missing[g->n_missing++] = (struct guard_missing){ r, glob };
	return 0;
}

/* How the compile reaches files: resolve (identities), head (fingerprints). */
struct guard_io {
	guard_resolve_fn resolve;
	guard_head_fn head;
	void *ctx;
};

/* An exe_content value's fingerprint into the heads table (its identity is an exe value's). */
static int add_content(struct filter_guard *g, const char *v, const struct rule *r,
		       size_t word, uint64_t bit, const struct guard_io *io)
{
	struct exe_head_key k;
	int rc;

	if (!io->head)
		return 0;
	rc = io->head(v, &k, io->ctx);
	if (rc == -ENOENT)
		return add_missing(g, r, v);
	return rc ? rc : add_head(g, &k, word, bit);
}

/* One path / exe / parent_exe / exe_content value into the tables. */
static int add_value(struct filter_guard *g, enum rule_field f, const char *v,
		     const struct rule *r, int unless, uint64_t bit, const struct guard_io *io)
{
	size_t w_file, w_tree = WORD(tree_when) + (unless ? 1 : 0);
	enum guard_want want = GUARD_WANT_EXE;
	struct file_name_key nk;
	struct file_ident id;
	size_t dl = 0;
	char *path;
	int rc;

	if (f == F_PATH)
		w_file = WORD(path_when);
	else if (f == F_EXE || f == F_EXE_CONTENT)
		w_file = WORD(exe_when);
	else
		w_file = WORD(parent_when);
	w_file += unless ? 1 : 0;
	if (f == F_PATH) {
		switch (filter_guard_path_kernel(v, &dl, &nk)) {
		case GUARD_PATH_NAME:
			return add_name(g, &nk, w_file, bit);
		case GUARD_PATH_TREE:
			want = GUARD_WANT_DIR;
			break;
		case GUARD_PATH_FILE:
			want = GUARD_WANT_ANY;
			break;
		default:
			return 0;	/* decidable() refused the rule */
		}
	} else if (filter_guard_value_kernel(v, &nk) == GUARD_VALUE_NAME) {
		return add_name(g, &nk, w_file, bit);
	} else if (f == F_EXE_CONTENT && (rc = add_content(g, v, r, w_file, bit, io))) {
		return rc;
	}
	if (!io->resolve)
		return 0;
	path = want == GUARD_WANT_DIR ? strndup(v, dl) : (char *)v;
	if (!path)
		return -ENOMEM;
	rc = io->resolve(path, want, &id, io->ctx);
	if (path != v)
		free(path);
	if (rc == -ENOENT)
		return add_missing(g, r, v);
	if (rc)
		return rc;
	return add_ident(g, &id, want == GUARD_WANT_DIR ? w_tree : w_file, bit);
}

/* need[0..4]: path, access, exe, parent_exe, uid; acc[0..2]: read, write, create */
static void need_bits(const struct cond *c, uint64_t bit, __u64 *need[5], __u64 *acc[3])
{
	static const enum rule_field fields[5] = { F_PATH, F_ACCESS, F_EXE, F_PARENT_EXE, F_UID };

	for (int i = 0; i < 5; i++)
		if (c->f[fields[i]].present)
			*need[i] |= bit;
	if (c->f[F_EXE_CONTENT].present)	/* decided as exe, copies included */
		*need[2] |= bit;
	if (!c->f[F_ACCESS].present)
		return;
	if (c->f[F_ACCESS].mask & CEV_ACC_READ)
		*acc[0] |= bit;
	if (c->f[F_ACCESS].mask & CEV_ACC_WRITE)
		*acc[1] |= bit;
	if (c->f[F_ACCESS].mask & CEV_ACC_CREATE)
		*acc[2] |= bit;
}

/* A condition's labels and ancestor_exe (the per-process state) into conf. */
static void add_state(struct guard_conf *k, const struct rule_set *rs, const struct cond *c,
		      int unless, uint64_t bit)
{
	const struct cond_field *lf = &c->f[F_LABELS], *af = &c->f[F_ANCESTOR_EXE];

	if (lf->present) {
		*(unless ? &k->cond_need_labels : &k->need_labels) |= bit;
		for (size_t i = 0; i < rs->n_labels && i < RULE_MAX_LABELS; i++)
			if (((lf->labels >> i) & 1) && rs->label_slot[i] >= 0)
				(unless ? k->label_unless : k->label_when)[rs->label_slot[i]] |= bit;
	}
	if (af->present && af->cls >= 0 && rs->class_slot[af->cls] >= 0) {
		*(unless ? &k->cond_need_lineage : &k->need_lineage) |= bit;
		(unless ? k->lineage_unless : k->lineage_when)[rs->class_slot[af->cls]] |= bit;
	}
}

/* One decidable condition (a `when`, or an `unless` when unless) into conf and the tables. */
static int add_cond(struct filter_guard *g, const struct cond *c, const struct rule *r,
		    int unless, uint64_t bit, const struct guard_io *io)
{
	static const enum rule_field fields[4] = { F_PATH, F_EXE, F_PARENT_EXE, F_EXE_CONTENT };
	struct guard_conf *k = &g->conf;
	__u64 *need[5] = { &k->need_path, &k->need_access, &k->need_exe, &k->need_parent,
			   &k->need_uid };
	__u64 *acc[3] = { &k->acc_read, &k->acc_write, &k->acc_create };
	__u64 *cneed[5] = { &k->cond_need_path, &k->cond_need_access, &k->cond_need_exe,
			    &k->cond_need_parent, &k->cond_need_uid };
	__u64 *cacc[3] = { &k->cond_acc_read, &k->cond_acc_write, &k->cond_acc_create };
	int rc;

	need_bits(c, bit, unless ? cneed : need, unless ? cacc : acc);
	for (int p = 0; p < 4; p++) {
		const struct cond_field *cf = &c->f[fields[p]];

		for (size_t i = 0; cf->present && i < cf->n; i++)
			if ((rc = add_value(g, fields[p], cf->globs[i], r, unless, bit, io)))
				return rc;
	}
	for (size_t i = 0; c->f[F_UID].present && i < c->f[F_UID].n; i++)
		if ((rc = add_uid(g, c->f[F_UID].uids[i], unless, bit)))
			return rc;
	return 0;
}

int filter_guard_compile(const struct rule_set *rs, const struct guard_family *fam,
			 guard_resolve_fn resolve, void *ctx, struct filter_guard *out,
			 struct rule_diags *diags)
{
	return filter_guard_compile_heads(rs, fam, resolve, resolve ? fam->head : NULL, ctx, out,
					  diags);
}

int filter_guard_compile_heads(const struct rule_set *rs, const struct guard_family *fam,
			       guard_resolve_fn resolve, guard_head_fn head, void *ctx,
			       struct filter_guard *out, struct rule_diags *diags)
{
	const struct guard_io io = { resolve, head, ctx };
	struct guard_conf *c = &out->conf;
	size_t n_conds = 0;
	int rc, bad = 0;

	memset(out, 0, sizeof(*out));
	c->gen = rule_set_gen(rs);
	for (size_t ri = 0; ri < rs->n_rules; ri++) {
		const struct rule *r = &rs->rules[ri];
		uint64_t bit;

		/* block rules, and file rules that set labels (the file program sets
		 * them at the open; an exec or connect rule's labels the agent
		 * sets when its record arrives: agent/labels.h) */
		if (!r->enabled || r->on != fam->on ||
		    (r->action != ACT_BLOCK && !(r->set_labels && r->on == RULE_ON_FILE)))
			continue;
		if (!decidable(rs, fam, r, diags, &bad)) {
			if (bad == -ENOMEM)
				goto err;
			continue;
		}
		if (out->n_slots == GUARD_MAX_RULES || n_conds + r->n_unless > GUARD_MAX_CONDS) {
			bad = rule_diag_add(diags, r, "rule '%s': more than %d %s block rules or %d "
					    "`unless` conditions across them; the kernel filter has "
					    "no more slots", r->id, GUARD_MAX_RULES, fam->what,
					    GUARD_MAX_CONDS);
			if (bad == -ENOMEM)
				goto err;
			continue;
		}
		bit = 1ULL << out->n_slots;
		out->slot[out->n_slots++] = r;
		c->active |= bit;
		if (r->action == ACT_BLOCK)
			c->block |= bit;
		if (r->set_labels) {
			c->label |= bit;
			for (size_t i = 0; i < rs->n_labels && i < RULE_MAX_LABELS; i++)
				if (((r->set_labels >> i) & 1) && rs->label_slot[i] >= 0)
					c->slot_labels[out->n_slots - 1] |= 1ULL << rs->label_slot[i];
		}
		if ((rc = add_cond(out, &r->when, r, 0, bit, &io)))
			goto fail;
		add_state(c, rs, &r->when, 0, bit);
		for (size_t u = 0; u < r->n_unless; u++) {
			uint64_t cbit = 1ULL << n_conds;

			c->cond_owner[n_conds++] = bit;
			c->cond_valid |= cbit;
			if ((rc = add_cond(out, &r->unless[u], r, 1, cbit, &io)))
				goto fail;
			add_state(c, rs, &r->unless[u], 1, cbit);
		}
	}
	return bad;
err:
	rc = -ENOMEM;
fail:
	filter_guard_free(out);
	return rc;
}

void filter_guard_free(struct filter_guard *g)
{
	free(g->ikeys);
	free(g->ivals);
	free(g->nkeys);
	free(g->nvals);
	free(g->ukeys);
	free(g->uvals);
	free(g->missing);
	free(g->hkeys);
	free(g->hvals);
	g->hkeys = NULL;
	g->hvals = NULL;
	g->n_heads = 0;
	g->ikeys = NULL;
	g->ivals = NULL;
	g->nkeys = NULL;
	g->nvals = NULL;
	g->ukeys = NULL;
	g->uvals = NULL;
	g->missing = NULL;
	g->n_ids = g->n_names = g->n_uids = g->n_missing = 0;
	memset(g->cap, 0, sizeof(g->cap));
}

/* --- I/O: files, maps -------------------------------------------------------- */

/*
 * The identity of the file at path.  As in the matcher, `path`, `exe` and
 * `parent_exe` name resolved paths: a path through a symlink names nothing.
 */
static int resolve_path(const char *path, enum guard_want want, struct file_ident *k,
			void *ctx)
{
	(void)ctx;
	return filter_ident_at(path, want == GUARD_WANT_DIR ? S_IFDIR :
				     want == GUARD_WANT_EXE ? S_IFREG : 0, k);
}

static void fill_slots(const struct filter_guard *g, struct filter_slots *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->rule, g->slot, g->n_slots * sizeof(g->slot[0]));
	s->exact = g->conf.active;	/* a guard refuses any rule it cannot decide */
	s->gen = (uint16_t)g->conf.gen;
	s->block_only = 1;
}

static int write_maps(const struct guard_family *fam, const struct loader *l,
		      const struct filter_guard *g)
{
	struct filter_table t[4];
	struct guard_conf conf = g->conf, old;
	int fd[4];

	fam->maps(l, fd);
	/* a new epoch at every write: the BPF side's cached tree bits
	 * (guard_trees, filter_maps.h) were taken from the maps as they were */
	filter_conf_read(fd[0], &old, sizeof(old));
	conf.epoch = old.epoch + 1;
	t[0] = (struct filter_table){ fd[1], g->ikeys, g->ivals, g->n_ids, sizeof(*g->ikeys),
				      sizeof(*g->ivals) };
	t[1] = (struct filter_table){ fd[2], g->nkeys, g->nvals, g->n_names, sizeof(*g->nkeys),
				      sizeof(*g->nvals) };
	t[2] = (struct filter_table){ fd[3], g->ukeys, g->uvals, g->n_uids, sizeof(*g->ukeys),
				      sizeof(*g->uvals) };
	if (!fam->heads_map)
		return filter_guard_write(fd[0], &conf, sizeof(conf), t, 3);
	t[3] = (struct filter_table){ fam->heads_map(l), g->hkeys, g->hvals, g->n_heads,
				      sizeof(*g->hkeys), sizeof(*g->hvals) };
	return filter_guard_write(fd[0], &conf, sizeof(conf), t, 4);
}

int filter_guard_apply(const struct guard_family *fam, struct loader *l,
		       const struct rule_set *rs, struct filter_slots *slots, char *err,
		       size_t errlen)
{
	int loaded = l && l->skel;
	struct rule_diags diags = { 0 };
	struct filter_guard g;
	int rc;

	rc = filter_guard_compile(rs, fam, loaded ? resolve_path : NULL, NULL, &g, &diags);
	if (rc)
		return filter_compile_error(rc, &diags, fam->rules, err, errlen);
	for (size_t i = 0, n; i < g.n_missing; i += n) {
		for (n = 1; i + n < g.n_missing && g.missing[i + n].rule == g.missing[i].rule; n++)
			;
		fam->warn_missing(&g.missing[i], n);
	}
	rc = loaded && fam->expand ? fam->expand(&g, rs) : 0;
	if (!rc && loaded && fam->seal)
		fam->seal(l, &g);
	if (!rc && loaded)
		rc = write_maps(fam, l, &g);
	if (rc)
		snprintf(err, errlen, "%s: writing the kernel filter failed: %s", fam->rules,
			 strerror(-rc));
	else
		fill_slots(&g, slots);
	filter_guard_free(&g);
	return rc;
}
