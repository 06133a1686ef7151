/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter_fileguard.c - file block rules -> the file guard maps
 * (filter_maps.h, "file guard").
 *
 * fguard_compile() is pure; filter_fileguard_apply() resolves absolute paths
 * with stat() and writes the maps; filter_fileguard_check() is the compile
 * with no maps, for `custos rules check`.
 */
#include "filters/fileguard.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "custos.skel.h"
#include "record/event.h"
#include "filters/guard.h"
#include "filters/net.h"
#include "filters/filters.h"
#include "rules/glob.h"
#include "base/log.h"

/* --- pure compiler ----------------------------------------------------------- */

enum fguard_path_kind fguard_path_kernel(const char *glob, size_t *dir_len,
					 struct file_name_key *name)
{
	size_t n = strlen(glob);

	if (glob[0] == '/' && !glob_has_wildcard(glob))
		return FGUARD_PATH_FILE;
	if (glob[0] == '/' && n >= 3 && strcmp(glob + n - 3, "/**") == 0) {
		/* DIR/STARSTAR: DIR literal ("/" for the glob "/STARSTAR") */
		size_t dl = n - 3;
		char *dir = strndup(glob, dl ? dl : 1);
		int literal = dir && !glob_has_wildcard(dir);

		free(dir);
		if (!literal)
			return FGUARD_PATH_NONE;
		if (dir_len)
			*dir_len = dl ? dl : 1;
		return FGUARD_PATH_TREE;
	}
	if (exec_value_kernel(glob, name) == EXEC_VALUE_NAME)
		return FGUARD_PATH_NAME;
	return FGUARD_PATH_NONE;
}

size_t fguard_block_rules(const struct rule_set *rs)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n_rules; i++)
		n += rs->rules[i].enabled && rs->rules[i].on == RULE_ON_FILE &&
		     rs->rules[i].action == ACT_BLOCK;
	return n;
}

/* The first field of c the kernel cannot decide (F__COUNT: none); *bad_value
 * is set when it is path / exe / parent_exe with a value it cannot decide. */
static enum rule_field kernel_blind(const struct cond *c, const char **bad_value)
{
	*bad_value = NULL;
	for (int f = 0; f < F__COUNT; f++) {
		if (!c->f[f].present || f == F_UID || f == F_ACCESS)
			continue;
		if (f == F_PATH || f == F_EXE || f == F_PARENT_EXE) {
			for (size_t i = 0; i < c->f[f].n; i++) {
				const char *g = c->f[f].globs[i];

				if (f == F_PATH ? fguard_path_kernel(g, NULL, NULL) == FGUARD_PATH_NONE
						: exec_value_kernel(g, NULL) == EXEC_VALUE_NONE) {
					*bad_value = g;
					return (enum rule_field)f;
				}
			}
			continue;
		}
		return (enum rule_field)f;
	}
	return F__COUNT;
}

struct caps {
	size_t ids[2], names[2], uids[2], missing;
};

#define WORD(member) (offsetof(struct fguard_bits, member) / 8)

static int add_ident(struct fguard_compiled *o, struct caps *cp, const struct file_ident *k,
		     size_t word, uint64_t bit)
{
	if (word == WORD(tree_when) || word == WORD(tree_unless))
		o->conf.any_tree = 1;
	return filter_bits_set((void **)&o->ikeys, (void **)&o->ivals, &o->n_ids, cp->ids, k,
			       sizeof(*k), sizeof(*o->ivals), word, bit);
}

static int add_name(struct fguard_compiled *o, struct caps *cp, const struct file_name_key *k,
		    size_t word, uint64_t bit)
{
	return filter_bits_set((void **)&o->nkeys, (void **)&o->nvals, &o->n_names, cp->names,
			       k, sizeof(*k), sizeof(*o->nvals), word, bit);
}

static int add_missing(struct fguard_compiled *o, struct caps *cp, const struct rule *r,
		       const char *glob)
{
	if (vec_grow((void **)&o->missing, o->n_missing, &cp->missing, sizeof(*o->missing)))
		return -ENOMEM;
	o->missing[o->n_missing++] = (struct exec_missing){ r, glob };
	return 0;
}

/* One path / exe / parent_exe value into the maps. */
static int compile_value(enum rule_field f, const char *g, const struct rule *r, int unless,
			 uint64_t bit, fguard_resolve_fn resolve, void *ctx,
			 struct fguard_compiled *o, struct caps *cp)
{
	size_t w_file, w_tree = WORD(tree_when) + (unless ? 1 : 0);
	enum fguard_want want = FGUARD_WANT_EXE;
	struct file_name_key nk;
	struct file_ident id;
	size_t dl = 0;
	char *path;
	int rc;

	if (f == F_PATH)
		w_file = WORD(path_when);
	else if (f == F_EXE)
		w_file = WORD(exe_when);
	else
		w_file = WORD(parent_when);
	w_file += unless ? 1 : 0;
	if (f == F_PATH) {
		switch (fguard_path_kernel(g, &dl, &nk)) {
		case FGUARD_PATH_NAME:
			return add_name(o, cp, &nk, w_file, bit);
		case FGUARD_PATH_TREE:
			want = FGUARD_WANT_DIR;
			break;
		case FGUARD_PATH_FILE:
			want = FGUARD_WANT_ANY;
			break;
		default:
			return 0;	/* kernel_blind() refused the rule */
		}
	} else if (exec_value_kernel(g, &nk) == EXEC_VALUE_NAME) {
		return add_name(o, cp, &nk, w_file, bit);
	}
	if (!resolve)
		return 0;
	path = want == FGUARD_WANT_DIR ? strndup(g, dl) : (char *)g;
	if (!path)
		return -ENOMEM;
	rc = resolve(path, want, &id, ctx);
	if (path != g)
		free(path);
	if (rc == -ENOENT)
		return add_missing(o, cp, r, g);
	if (rc)
		return rc;
	return add_ident(o, cp, &id, want == FGUARD_WANT_DIR ? w_tree : w_file, bit);
}

/* Every value of one decidable condition into the maps. */
static int compile_cond(const struct cond *c, const struct rule *r, int unless, uint64_t bit,
			fguard_resolve_fn resolve, void *ctx, struct fguard_compiled *o,
			struct caps *cp)
{
	static const enum rule_field fields[3] = { F_PATH, F_EXE, F_PARENT_EXE };
	int rc;

	for (int p = 0; p < 3; p++) {
		const struct cond_field *cf = &c->f[fields[p]];

		for (size_t i = 0; cf->present && i < cf->n; i++)
			if ((rc = compile_value(fields[p], cf->globs[i], r, unless, bit, resolve, ctx,
						o, cp)))
				return rc;
	}
	for (size_t i = 0; c->f[F_UID].present && i < c->f[F_UID].n; i++) {
		uint32_t uid = c->f[F_UID].uids[i];

		rc = filter_bits_set((void **)&o->ukeys, (void **)&o->uvals, &o->n_uids, cp->uids,
				     &uid, sizeof(uid), sizeof(*o->uvals),
				     unless ? offsetof(struct exec_uid_bits, unless) / 8 : 0, bit);
		if (rc)
			return rc;
	}
	return 0;
}

/* need[0..4]: path, access, exe, parent_exe, uid; acc[0..2]: read, write, create */
static void need_bits(const struct cond *c, uint64_t bit, __u64 *need[5], __u64 *acc[3])
{
	static const enum rule_field fields[5] = { F_PATH, F_ACCESS, F_EXE, F_PARENT_EXE, F_UID };

	for (int i = 0; i < 5; i++)
		if (c->f[fields[i]].present)
			*need[i] |= bit;
	if (!c->f[F_ACCESS].present)
		return;
	if (c->f[F_ACCESS].mask & CEV_ACC_READ)
		*acc[0] |= bit;
	if (c->f[F_ACCESS].mask & CEV_ACC_WRITE)
		*acc[1] |= bit;
	if (c->f[F_ACCESS].mask & CEV_ACC_CREATE)
		*acc[2] |= bit;
}

#define KERNEL_PATHS "an absolute path without wildcards, 'DIR/**' with DIR one, or '**/NAME'"
#define KERNEL_EXES "an absolute path without wildcards, or '**/NAME'"

/* Diagnoses r; 1 when the kernel can decide it. */
static int decidable(const struct rule *r, struct rule_diags *diags, int *bad)
{
	const char *value;
	enum rule_field f;
	int ok = 1;

	f = kernel_blind(&r->when, &value);
	if (f != F__COUNT) {
		ok = 0;
		if (value)
			*bad = rule_diag_add(diags, r, "rule '%s': action block needs a condition the "
					   "kernel decides, but `when.%s` has '%s', which it cannot "
					   "(it can: %s)", r->id, rule_field_name(f), value,
					   f == F_PATH ? KERNEL_PATHS : KERNEL_EXES);
		else
			*bad = rule_diag_add(diags, r, "rule '%s': action block needs a condition the "
					   "kernel decides, but `when` uses '%s', which the kernel "
					   "cannot evaluate (it can: path, access, exe, parent_exe, "
					   "uid)", r->id, rule_field_name(f));
	} else if (!r->when.f[F_PATH].present) {
		ok = 0;
		*bad = rule_diag_add(diags, r, "rule '%s': action block without `path` in `when` "
				   "would refuse every open its other conditions allow; name the "
				   "files to refuse", r->id);
	}
	if (*bad == -ENOMEM)
		return 0;
	for (size_t u = 0; u < r->n_unless; u++) {
		f = kernel_blind(&r->unless[u], &value);
		if (f == F__COUNT)
			continue;
		ok = 0;
		*bad = rule_diag_add(diags, r, "rule '%s': action block needs every `unless` "
				   "condition decided in the kernel, but one uses '%s'%s%s%s (the "
				   "kernel can: path as %s; access; exe, parent_exe as %s; uid)",
				   r->id, rule_field_name(f), value ? " with '" : "",
				   value ? value : "", value ? "'" : "", KERNEL_PATHS, KERNEL_EXES);
		if (*bad == -ENOMEM)
			return 0;
	}
	return ok;
}

int fguard_compile(const struct rule_set *rs, fguard_resolve_fn resolve, void *ctx,
		   struct fguard_compiled *out, struct rule_diags *diags)
{
	struct fguard_conf *c = &out->conf;
	__u64 *need[5] = { &c->need_path, &c->need_access, &c->need_exe, &c->need_parent,
			   &c->need_uid };
	__u64 *acc[3] = { &c->acc_read, &c->acc_write, &c->acc_create };
	__u64 *cneed[5] = { &c->cond_need_path, &c->cond_need_access, &c->cond_need_exe,
			    &c->cond_need_parent, &c->cond_need_uid };
	__u64 *cacc[3] = { &c->cond_acc_read, &c->cond_acc_write, &c->cond_acc_create };
	struct caps cp = { 0 };
	size_t n_conds = 0;
	int rc, bad = 0;

	memset(out, 0, sizeof(*out));
	c->gen = rule_set_gen(rs);
	for (size_t ri = 0; ri < rs->n_rules; ri++) {
		const struct rule *r = &rs->rules[ri];
		uint64_t bit;

		if (!r->enabled || r->on != RULE_ON_FILE || r->action != ACT_BLOCK)
			continue;
		if (!decidable(r, diags, &bad)) {
			if (bad == -ENOMEM)
				goto err;
			continue;
		}
		if (out->n_slots == FGUARD_MAX_RULES || n_conds + r->n_unless > FGUARD_MAX_CONDS) {
			bad = rule_diag_add(diags, r, "rule '%s': more than %d file block rules or %d "
					  "`unless` conditions across them; the kernel filter has no "
					  "more slots", r->id, FGUARD_MAX_RULES, FGUARD_MAX_CONDS);
			if (bad == -ENOMEM)
				goto err;
			continue;
		}
		bit = 1ULL << out->n_slots;
		out->slot[out->n_slots++] = r;
		c->active |= bit;
		need_bits(&r->when, bit, need, acc);
		if ((rc = compile_cond(&r->when, r, 0, bit, resolve, ctx, out, &cp)))
			goto fail;
		for (size_t u = 0; u < r->n_unless; u++) {
			uint64_t cbit = 1ULL << n_conds;

			c->cond_owner[n_conds++] = bit;
			c->cond_valid |= cbit;
			need_bits(&r->unless[u], cbit, cneed, cacc);
			if ((rc = compile_cond(&r->unless[u], r, 1, cbit, resolve, ctx, out, &cp)))
				goto fail;
		}
	}
	return bad;
err:
	rc = -ENOMEM;
fail:
	fguard_compiled_free(out);
	return rc;
}

void fguard_compiled_free(struct fguard_compiled *c)
{
	free(c->ikeys);
	free(c->ivals);
	free(c->nkeys);
	free(c->nvals);
	free(c->ukeys);
	free(c->uvals);
	free(c->missing);
	c->ikeys = NULL;
	c->ivals = NULL;
	c->nkeys = NULL;
	c->nvals = NULL;
	c->ukeys = NULL;
	c->uvals = NULL;
	c->missing = NULL;
	c->n_ids = c->n_names = c->n_uids = c->n_missing = 0;
}

/* --- I/O: files, maps -------------------------------------------------------- */

static int resolve_path(const char *path, enum fguard_want want, struct file_ident *k,
			void *ctx)
{
	(void)ctx;
	return filter_ident_at(path, want == FGUARD_WANT_DIR ? S_IFDIR :
				     want == FGUARD_WANT_EXE ? S_IFREG : 0, k);
}

int filter_fileguard_check(const struct rule_set *rs, struct rule_diags *diags)
{
	struct fguard_compiled c;
	int rc = fguard_compile(rs, NULL, NULL, &c, diags);

	fguard_compiled_free(&c);
	return rc;
}

int filter_fileguard_apply(struct loader *l, const struct rule_set *rs, char *err,
			   size_t errlen)
{
	struct rule_diags diags = { 0 };
	struct fguard_conf off = { 0 };
	struct fguard_compiled c;
	int rc;

	rc = fguard_compile(rs, resolve_path, NULL, &c, &diags);
	if (rc) {
		if (diags.n)
			snprintf(err, errlen, "%s:%d:%d: error: %s", diags.v[0].file,
				 diags.v[0].line, diags.v[0].col, diags.v[0].msg);
		else
			snprintf(err, errlen, "file block rules: compiling failed: %s",
				 strerror(-rc));
		rule_diags_free(&diags);
		fguard_compiled_free(&c);
		return rc;
	}
	for (size_t i = 0; i < c.n_missing; i++) {
		const struct rule *r = c.missing[i].rule;

		log_warn("%s:%d:%d: warning: rule '%s': '%s' names no file now (missing, reached "
			 "through a symlink, or not of the kind it needs); nothing is refused for "
			 "it until a reload (SIGHUP) after it exists; its opens are reported as "
			 "alert", r->file, r->line, r->col, r->id, c.missing[i].path);
	}
	{
		const struct guard_table t[] = {
			{ bpf_map__fd(l->skel->maps.fguard_ids), c.ikeys, c.ivals, c.n_ids,
			  sizeof(*c.ikeys), sizeof(*c.ivals) },
			{ bpf_map__fd(l->skel->maps.fguard_names), c.nkeys, c.nvals, c.n_names,
			  sizeof(*c.nkeys), sizeof(*c.nvals) },
			{ bpf_map__fd(l->skel->maps.fguard_uids), c.ukeys, c.uvals, c.n_uids,
			  sizeof(*c.ukeys), sizeof(*c.uvals) },
		};

		rc = filter_guard_write(bpf_map__fd(l->skel->maps.fguard_conf), &off, &c.conf, t, 3);
	}
	if (rc)
		snprintf(err, errlen, "file block rules: writing the kernel filter failed: %s",
			 strerror(-rc));
	fguard_compiled_free(&c);
	return rc;
}
