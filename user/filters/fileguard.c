/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileguard.c - file block rules -> the file guard maps (filter_maps.h,
 * "The guards"): which rules the file guard decides, what it says about the
 * others, and which maps are its own.
 */
#include "filters/fileguard.h"

#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "custos.skel.h"
#include "filters/filewalk.h"
#include "host/mounts.h"

static void warn_missing(const struct guard_missing *m, size_t n)
{
	const struct rule *r = m->rule;

	if (r->action != ACT_BLOCK) {	/* a label rule: a site has some of its paths */
		log_info("%s:%d:%d: rule '%s': %zu of its paths name no file now ('%s'%s): opens "
			 "of them set no label until a reload (SIGHUP) after they exist", r->file,
			 r->line, r->col, r->id, n, m->path, n > 1 ? ", ..." : "");
		return;
	}
	for (size_t i = 0; i < n; i++)
		log_warn("%s:%d:%d: warning: rule '%s': '%s' names no file now (missing, "
			 "reached through a symlink, or not of the kind it needs); nothing is "
			 "refused for it until a reload (SIGHUP) after it exists; its opens are "
			 "reported as alert", r->file, r->line, r->col, r->id, m[i].path);
}

static void maps(const struct loader *l, int fd[4])
{
	fd[0] = bpf_map__fd(l->skel->maps.fileguard_conf);
	fd[1] = bpf_map__fd(l->skel->maps.fileguard_ids);
	fd[2] = bpf_map__fd(l->skel->maps.fileguard_names);
	fd[3] = bpf_map__fd(l->skel->maps.fileguard_uids);
}

struct tree_walk {
	struct filter_guard *g;
	struct file_ident dir;
	struct mounts mounts;	/* read once for the walk's devices */
	int full;
};

/* One file below DIR: its identity gets DIR's tree bits. */
static int tree_file(const char *path, size_t len, const struct stat *st, void *arg)
{
	struct tree_walk *t = arg;
	struct file_ident id = { .ino = st->st_ino };
	uint64_t dev = ((uint64_t)major(st->st_dev) << 20) | minor(st->st_dev);
	int rc;

	(void)len;
	mounts_sb_dev(&t->mounts, path, &dev);
	id.dev = dev;
	rc = filter_guard_tree_file(t->g, &t->dir, &id);
	if (rc == -E2BIG)
		t->full = 1;
	return rc == -E2BIG ? 1 : rc;
}

/*
 * The files below every `DIR/STARSTAR` of the block rules, by identity (the
 * tree walk in the kernel sees a file's directories, not its other names):
 * a hard link to one, or the file renamed out of DIR, is refused as it
 * is.  Files created later are added by file__lsm (fileguard.bpf.h).
 */
static int expand_trees(struct filter_guard *g, const struct rule_set *rs)
{
	size_t budget = GUARD_MAP_MAX * 4;
	struct tree_walk t = { .g = g };
	int rc = 0;

	mounts_init(&t.mounts);
	mounts_load(&t.mounts, NULL);

	for (size_t i = 0; i < rs->n_rules && rc >= 0; i++) {
		const struct rule *r = &rs->rules[i];
		const struct cond *conds[1 + 64];
		size_t nc = 0;

		if (!r->enabled || r->on != RULE_ON_FILE || r->action != ACT_BLOCK)
			continue;
		conds[nc++] = &r->when;
		for (size_t u = 0; u < r->n_unless && nc < 1 + 64; u++)
			conds[nc++] = &r->unless[u];
		for (size_t c = 0; c < nc && rc >= 0; c++) {
			const struct cond_field *cf = &conds[c]->f[F_PATH];

			for (size_t j = 0; cf->present && j < cf->n && rc >= 0; j++) {
				size_t dl = 0;
				char *dir;

				if (filter_guard_path_kernel(cf->globs[j], &dl, NULL) != GUARD_PATH_TREE)
					continue;
				dir = strndup(cf->globs[j], dl);
				if (!dir) {
					rc = -ENOMEM;
					break;
				}
				if (filter_ident_at(dir, S_IFDIR, &t.dir) == 0)
					rc = filewalk_glob(cf->globs[j], &budget, tree_file, &t);
				free(dir);
				if (rc == 1 || rc == -EINVAL)
					rc = 0;
			}
		}
	}
	if (t.full || !budget)
		log_warn("filter: file block rules: more files below their DIR/** than the file "
			 "guard holds (%d entries): a hard link to one of the others, or one "
			 "renamed out, is reported but not refused", GUARD_MAP_MAX);
	mounts_free(&t.mounts);
	return rc < 0 ? rc : 0;
}

/*
 * ids_watched (filter_maps.h, guard_conf): is every identity a rule's
 * `path` names (path_when bits) one the file pre-filter watches, as a file
 * or a directory?  Then an open the pre-filter sends for a directory above
 * the file alone is of none of them, and file_labels looks none up.  Read
 * from file_watch_ids as filters_apply() has just written it; one identity
 * missing there (a walk cut short by its budget, a file replaced between the
 * two stat()s) leaves it 0, and the kernel then looks the identity up.
 */
static void seal_ids(const struct loader *l, struct filter_guard *g)
{
	int fd = bpf_map__fd(l->skel->maps.file_watch_ids);
	struct file_watch w;

	g->conf.ids_watched = 0;
	for (size_t i = 0; i < g->n_ids; i++) {
		if (!g->ivals[i].path_when)
			continue;
		if (bpf_map_lookup_elem(fd, &g->ikeys[i], &w) ||
		    !(w.what & (FILE_WATCH_FILE | FILE_WATCH_SCOPE))) {
			log_info("filter: file guard: %zu identities, one of them not watched by "
				 "the pre-filter: opens below watched directories look theirs up",
				 g->n_ids);
			return;
		}
	}
	g->conf.ids_watched = 1;
}

static const struct guard_family fileguard = {
	.on = RULE_ON_FILE,
	.fields = GUARD_FIELD(F_PATH) | GUARD_FIELD(F_ACCESS) | GUARD_FIELD(F_EXE) |
		  GUARD_FIELD(F_PARENT_EXE) | GUARD_FIELD(F_UID),
	.need = GUARD_FIELD(F_PATH),
	.what = "file",
	.rules = "file block and label rules",
	.can = "path, access, exe, parent_exe, uid, labels, ancestor_exe",
	.can_unless = "path as an absolute path without wildcards, 'DIR/**' with DIR one, or "
		      "'**/NAME'; access; exe, parent_exe as an absolute path without "
		      "wildcards, or '**/NAME'; uid; labels; ancestor_exe",
	.no_need = "without `path` in `when` would refuse every open its other conditions "
		   "allow; name the files to refuse",
	.warn_missing = warn_missing,
	.maps = maps,
	.expand = expand_trees,
	.seal = seal_ids,
};

int filter_fileguard_compile(const struct rule_set *rs, guard_resolve_fn resolve, void *ctx,
			     struct filter_guard *out, struct rule_diags *diags)
{
	return filter_guard_compile(rs, &fileguard, resolve, ctx, out, diags);
}

int filter_fileguard_check(const struct rule_set *rs, struct rule_diags *diags)
{
	struct filter_guard g;
	int rc = filter_fileguard_compile(rs, NULL, NULL, &g, diags);

	filter_guard_free(&g);
	return rc;
}

int filter_fileguard_apply(struct loader *l, const struct rule_set *rs,
			   struct filter_slots *slots, char *err, size_t errlen)
{
	return filter_guard_apply(&fileguard, l, rs, slots, err, errlen);
}
