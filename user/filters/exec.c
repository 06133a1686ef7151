/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter_exec.c - exec block rules -> the exec guard maps (filter_maps.h).
 *
 * exec_compile() is pure; filter_exec_apply() resolves absolute paths with
 * stat() and writes the maps; filter_exec_check() is the compile with no
 * maps, for `custos rules check`.
 */
#include "filters/exec.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "custos.skel.h"
#include "filters/guard.h"
#include "filters/net.h"
#include "filters/filters.h"
#include "rules/glob.h"
#include "base/log.h"

/* --- pure compiler ----------------------------------------------------------- */

enum exec_value_kind exec_value_kernel(const char *glob, struct file_name_key *name)
{
	size_t n;

	if (glob[0] == '/' && !glob_has_wildcard(glob))
		return EXEC_VALUE_PATH;
	if (strncmp(glob, "**/", 3) != 0)
		return EXEC_VALUE_NONE;
	glob += 3;
	n = strlen(glob);
	if (n == 0 || n >= EXEC_NAME_KEY || strchr(glob, '/') || glob_has_wildcard(glob) ||
	    strcmp(glob, ".") == 0 || strcmp(glob, "..") == 0)
		return EXEC_VALUE_NONE;
	if (name) {
		memset(name, 0, sizeof(*name));
		memcpy(name->name, glob, n);
	}
	return EXEC_VALUE_NAME;
}

size_t exec_block_rules(const struct rule_set *rs)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n_rules; i++)
		n += rs->rules[i].enabled && rs->rules[i].on == RULE_ON_EXEC &&
		     rs->rules[i].action == ACT_BLOCK;
	return n;
}

/* The first field of c the kernel cannot decide (F__COUNT: none); *bad_value
 * is set when it is exe / parent_exe with a value it cannot decide. */
static enum rule_field kernel_blind(const struct cond *c, const char **bad_value)
{
	*bad_value = NULL;
	for (int f = 0; f < F__COUNT; f++) {
		if (!c->f[f].present || f == F_UID)
			continue;
		if (f == F_EXE || f == F_PARENT_EXE) {
			for (size_t i = 0; i < c->f[f].n; i++) {
				if (exec_value_kernel(c->f[f].globs[i], NULL) == EXEC_VALUE_NONE) {
					*bad_value = c->f[f].globs[i];
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

/* The word of struct exec_bits for one exe / parent_exe value. */
static size_t bits_word(int parent, int unless)
{
	return (parent ? offsetof(struct exec_bits, parent_when) :
		offsetof(struct exec_bits, exe_when)) / 8 + (unless ? 1 : 0);
}

static int add_ident(struct exec_compiled *o, struct caps *cp, const struct file_ident *k,
		     int parent, int unless, uint64_t bit)
{
	return filter_bits_set((void **)&o->ikeys, (void **)&o->ivals, &o->n_ids, cp->ids, k,
			       sizeof(*k), sizeof(*o->ivals), bits_word(parent, unless), bit);
}

static int add_name(struct exec_compiled *o, struct caps *cp, const struct file_name_key *k,
		    int parent, int unless, uint64_t bit)
{
	return filter_bits_set((void **)&o->nkeys, (void **)&o->nvals, &o->n_names, cp->names,
			       k, sizeof(*k), sizeof(*o->nvals), bits_word(parent, unless), bit);
}

static int add_uid(struct exec_compiled *o, struct caps *cp, uint32_t uid, int unless,
		   uint64_t bit)
{
	return filter_bits_set((void **)&o->ukeys, (void **)&o->uvals, &o->n_uids, cp->uids,
			       &uid, sizeof(uid), sizeof(*o->uvals),
			       unless ? offsetof(struct exec_uid_bits, unless) / 8 : 0, bit);
}

/* Every value of one decidable condition into the maps. */
static int compile_cond(const struct cond *c, const struct rule *r, int unless, uint64_t bit,
			exec_ident_resolve_fn resolve, void *ctx, struct exec_compiled *o,
			struct caps *cp)
{
	static const enum rule_field fields[2] = { F_EXE, F_PARENT_EXE };
	int rc;

	for (int p = 0; p < 2; p++) {
		const struct cond_field *cf = &c->f[fields[p]];

		for (size_t i = 0; cf->present && i < cf->n; i++) {
			struct file_name_key nk;
			struct file_ident id;

			if (exec_value_kernel(cf->globs[i], &nk) == EXEC_VALUE_NAME) {
				if ((rc = add_name(o, cp, &nk, p, unless, bit)))
					return rc;
				continue;
			}
			if (!resolve)
				continue;
			rc = resolve(cf->globs[i], &id, ctx);
			if (rc == -ENOENT) {
				if (vec_grow((void **)&o->missing, o->n_missing, &cp->missing,
					 sizeof(*o->missing)))
					return -ENOMEM;
				o->missing[o->n_missing++] = (struct exec_missing){ r, cf->globs[i] };
				continue;
			}
			if (rc)
				return rc;
			if ((rc = add_ident(o, cp, &id, p, unless, bit)))
				return rc;
		}
	}
	for (size_t i = 0; c->f[F_UID].present && i < c->f[F_UID].n; i++)
		if ((rc = add_uid(o, cp, c->f[F_UID].uids[i], unless, bit)))
			return rc;
	return 0;
}

static void need_bits(const struct cond *c, uint64_t bit, __u64 *exe, __u64 *parent,
		      __u64 *uid)
{
	if (c->f[F_EXE].present)
		*exe |= bit;
	if (c->f[F_PARENT_EXE].present)
		*parent |= bit;
	if (c->f[F_UID].present)
		*uid |= bit;
}

int exec_compile(const struct rule_set *rs, exec_ident_resolve_fn resolve, void *ctx,
		 struct exec_compiled *out, struct rule_diags *diags)
{
	struct exec_conf *c = &out->conf;
	struct caps cp = { 0 };
	size_t n_conds = 0;
	int rc, bad = 0;

	memset(out, 0, sizeof(*out));
	c->gen = rule_set_gen(rs);
	for (size_t ri = 0; ri < rs->n_rules; ri++) {
		const struct rule *r = &rs->rules[ri];
		const char *value;
		enum rule_field f;
		uint64_t bit;
		int ok = 1;

		if (!r->enabled || r->on != RULE_ON_EXEC || r->action != ACT_BLOCK)
			continue;
		f = kernel_blind(&r->when, &value);
		if (f != F__COUNT) {
			ok = 0;
			if (value)
				bad = rule_diag_add(diags, r, "rule '%s': action block needs a condition the "
					   "kernel decides, but `when.%s` has '%s', which it cannot "
					   "(it can: an absolute path without wildcards, or '**/NAME')",
					   r->id, rule_field_name(f), value);
			else
				bad = rule_diag_add(diags, r, "rule '%s': action block needs a condition the "
					   "kernel decides, but `when` uses '%s', which the kernel "
					   "cannot evaluate (it can: exe, parent_exe, uid)", r->id,
					   rule_field_name(f));
		} else if (!r->when.f[F_EXE].present && !r->when.f[F_PARENT_EXE].present &&
			   !r->when.f[F_UID].present) {
			ok = 0;
			bad = rule_diag_add(diags, r, "rule '%s': action block with none of exe, parent_exe, "
				   "uid in `when` would refuse every exec; name what to refuse",
				   r->id);
		}
		for (size_t u = 0; u < r->n_unless; u++) {
			f = kernel_blind(&r->unless[u], &value);
			if (f == F__COUNT)
				continue;
			ok = 0;
			bad = rule_diag_add(diags, r, "rule '%s': action block needs every `unless` "
				   "condition decided in the kernel, but one uses '%s'%s%s%s (the "
				   "kernel can: exe, parent_exe as an absolute path without "
				   "wildcards or '**/NAME', uid)", r->id, rule_field_name(f),
				   value ? " with '" : "", value ? value : "", value ? "'" : "");
			if (bad == -ENOMEM)
				goto err;
		}
		if (bad == -ENOMEM)
			goto err;
		if (!ok)
			continue;
		if (out->n_slots == EXEC_MAX_RULES || n_conds + r->n_unless > EXEC_MAX_CONDS) {
			bad = rule_diag_add(diags, r, "rule '%s': more than %d exec block rules or %d `unless` "
				   "conditions across them; the kernel filter has no more slots",
				   r->id, EXEC_MAX_RULES, EXEC_MAX_CONDS);
			if (bad == -ENOMEM)
				goto err;
			continue;
		}
		bit = 1ULL << out->n_slots;
		out->slot[out->n_slots++] = r;
		c->active |= bit;
		need_bits(&r->when, bit, &c->need_exe, &c->need_parent, &c->need_uid);
		if ((rc = compile_cond(&r->when, r, 0, bit, resolve, ctx, out, &cp)))
			goto fail;
		for (size_t u = 0; u < r->n_unless; u++) {
			uint64_t cbit = 1ULL << n_conds;

			c->cond_owner[n_conds++] = bit;
			c->cond_valid |= cbit;
			need_bits(&r->unless[u], cbit, &c->cond_need_exe, &c->cond_need_parent,
				  &c->cond_need_uid);
			if ((rc = compile_cond(&r->unless[u], r, 1, cbit, resolve, ctx, out, &cp)))
				goto fail;
		}
	}
	return bad;
err:
	rc = -ENOMEM;
fail:
	exec_compiled_free(out);
	return rc;
}

void exec_compiled_free(struct exec_compiled *c)
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

int filter_ident_at(const char *path, unsigned int type, struct file_ident *k)
{
	char real[PATH_MAX];
	struct stat st;

	if (!realpath(path, real) || strcmp(real, path) != 0)
		return -ENOENT;
	if (stat(path, &st) || (type && (st.st_mode & S_IFMT) != type))
		return -ENOENT;
	k->dev = filter_kernel_dev(real, st.st_dev);
	k->ino = st.st_ino;
	return 0;
}

/*
 * The identity of the regular file at path.  As in the matcher, `exe` names
 * the resolved path: a path through a symlink names nothing.
 */
static int resolve_path(const char *path, struct file_ident *k, void *ctx)
{
	(void)ctx;
	return filter_ident_at(path, S_IFREG, k);
}

int filter_exec_check(const struct rule_set *rs, struct rule_diags *diags)
{
	struct exec_compiled c;
	int rc = exec_compile(rs, NULL, NULL, &c, diags);

	exec_compiled_free(&c);
	return rc;
}

static void clear_map(int fd, size_t key_size)
{
	char k[64], next[64];
	int more;

	if (key_size > sizeof(k))
		return;
	for (more = bpf_map_get_next_key(fd, NULL, k) == 0; more;) {
		more = bpf_map_get_next_key(fd, k, next) == 0;
		bpf_map_delete_elem(fd, k);
		memcpy(k, next, key_size);
	}
}

int filter_guard_write(int fd_conf, const void *off, const void *conf,
		       const struct guard_table *t, size_t n_tables)
{
	__u32 zero = 0;
	int rc;

	/* off, empty, refill, on (filter_maps.h): never a half-written decision */
	rc = bpf_map_update_elem(fd_conf, &zero, off, BPF_ANY) ? -errno : 0;
	for (size_t i = 0; !rc && i < n_tables; i++)
		clear_map(t[i].fd, t[i].key_size);
	for (size_t i = 0; !rc && i < n_tables; i++)
		for (size_t k = 0; !rc && k < t[i].n; k++)
			rc = bpf_map_update_elem(t[i].fd, (const char *)t[i].keys + k * t[i].key_size,
						 (const char *)t[i].vals + k * t[i].val_size,
						 BPF_ANY) ? -errno : 0;
	if (!rc)
		rc = bpf_map_update_elem(fd_conf, &zero, conf, BPF_ANY) ? -errno : 0;
	return rc;
}

int filter_exec_apply(struct loader *l, const struct rule_set *rs, char *err, size_t errlen)
{
	struct rule_diags diags = { 0 };
	struct exec_conf off = { 0 };
	struct exec_compiled c;
	int rc;

	rc = exec_compile(rs, resolve_path, NULL, &c, &diags);
	if (rc) {
		if (diags.n)
			snprintf(err, errlen, "%s:%d:%d: error: %s", diags.v[0].file,
				 diags.v[0].line, diags.v[0].col, diags.v[0].msg);
		else
			snprintf(err, errlen, "exec rules: compiling failed: %s", strerror(-rc));
		rule_diags_free(&diags);
		exec_compiled_free(&c);
		return rc;
	}
	for (size_t i = 0; i < c.n_missing; i++) {
		char real[PATH_MAX];
		const struct rule *r = c.missing[i].rule;

		if (realpath(c.missing[i].path, real) && strcmp(real, c.missing[i].path) != 0)
			log_warn("%s:%d:%d: warning: rule '%s': '%s' is not a resolved path (it "
				 "leads to '%s'); exe and parent_exe name resolved paths, so "
				 "nothing is refused for it", r->file, r->line, r->col, r->id,
				 c.missing[i].path, real);
		else
			log_warn("%s:%d:%d: warning: rule '%s': '%s' is not a regular file now; "
				 "nothing is refused for it until a reload (SIGHUP) after it "
				 "exists", r->file, r->line, r->col, r->id, c.missing[i].path);
	}
	{
		const struct guard_table t[] = {
			{ bpf_map__fd(l->skel->maps.exec_ids), c.ikeys, c.ivals, c.n_ids,
			  sizeof(*c.ikeys), sizeof(*c.ivals) },
			{ bpf_map__fd(l->skel->maps.exec_names), c.nkeys, c.nvals, c.n_names,
			  sizeof(*c.nkeys), sizeof(*c.nvals) },
			{ bpf_map__fd(l->skel->maps.exec_uids), c.ukeys, c.uvals, c.n_uids,
			  sizeof(*c.ukeys), sizeof(*c.uvals) },
		};

		rc = filter_guard_write(bpf_map__fd(l->skel->maps.exec_conf), &off, &c.conf, t, 3);
	}
	if (rc)
		snprintf(err, errlen, "exec rules: writing the kernel filter failed: %s",
			 strerror(-rc));
	exec_compiled_free(&c);
	return rc;
}
