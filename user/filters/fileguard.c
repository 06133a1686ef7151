/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileguard.c - file block rules -> the file guard maps (filter_maps.h,
 * "The guards"): which rules the file guard decides, what it says about the
 * others, and which maps are its own.
 */
#include "filters/fileguard.h"

#include <bpf/libbpf.h>

#include "base/log.h"
#include "custos.skel.h"

static void warn_missing(const struct guard_missing *m)
{
	const struct rule *r = m->rule;

	log_warn("%s:%d:%d: warning: rule '%s': '%s' names no file now (missing, reached "
		 "through a symlink, or not of the kind it needs); nothing is refused for "
		 "it until a reload (SIGHUP) after it exists; its opens are reported as "
		 "alert", r->file, r->line, r->col, r->id, m->path);
}

static void maps(const struct loader *l, int fd[4])
{
	fd[0] = bpf_map__fd(l->skel->maps.fileguard_conf);
	fd[1] = bpf_map__fd(l->skel->maps.fileguard_ids);
	fd[2] = bpf_map__fd(l->skel->maps.fileguard_names);
	fd[3] = bpf_map__fd(l->skel->maps.fileguard_uids);
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
