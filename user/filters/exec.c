/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec.c - exec block rules -> the exec guard maps (filter_maps.h, "The
 * guards"): which rules the exec guard decides, what it says about the
 * others, and which maps are its own.
 */
#include "filters/exec.h"

#include <limits.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "base/log.h"
#include "custos.skel.h"

static void warn_missing(const struct guard_missing *m)
{
	const struct rule *r = m->rule;
	char real[PATH_MAX];

	if (realpath(m->path, real) && strcmp(real, m->path) != 0)
		log_warn("%s:%d:%d: warning: rule '%s': '%s' is not a resolved path (it "
			 "leads to '%s'); exe and parent_exe name resolved paths, so "
			 "nothing is refused for it", r->file, r->line, r->col, r->id,
			 m->path, real);
	else
		log_warn("%s:%d:%d: warning: rule '%s': '%s' is not a regular file now; "
			 "nothing is refused for it until a reload (SIGHUP) after it "
			 "exists", r->file, r->line, r->col, r->id, m->path);
}

static void maps(const struct loader *l, int fd[4])
{
	fd[0] = bpf_map__fd(l->skel->maps.exec_conf);
	fd[1] = bpf_map__fd(l->skel->maps.exec_ids);
	fd[2] = bpf_map__fd(l->skel->maps.exec_names);
	fd[3] = bpf_map__fd(l->skel->maps.exec_uids);
}

static const struct guard_family exec_guard = {
	.on = RULE_ON_EXEC,
	.fields = GUARD_FIELD(F_EXE) | GUARD_FIELD(F_PARENT_EXE) | GUARD_FIELD(F_UID),
	.need = GUARD_FIELD(F_EXE) | GUARD_FIELD(F_PARENT_EXE) | GUARD_FIELD(F_UID),
	.what = "exec",
	.rules = "exec rules",
	.can = "exe, parent_exe, uid",
	.can_unless = "exe, parent_exe as an absolute path without wildcards or '**/NAME', uid",
	.no_need = "with none of exe, parent_exe, uid in `when` would refuse every exec; "
		   "name what to refuse",
	.warn_missing = warn_missing,
	.maps = maps,
};

int filter_exec_compile(const struct rule_set *rs, guard_resolve_fn resolve, void *ctx,
			struct filter_guard *out, struct rule_diags *diags)
{
	return filter_guard_compile(rs, &exec_guard, resolve, ctx, out, diags);
}

int filter_exec_check(const struct rule_set *rs, struct rule_diags *diags)
{
	struct filter_guard g;
	int rc = filter_exec_compile(rs, NULL, NULL, &g, diags);

	filter_guard_free(&g);
	return rc;
}

int filter_exec_apply(struct loader *l, const struct rule_set *rs, struct filter_slots *slots,
		      char *err, size_t errlen)
{
	return filter_guard_apply(&exec_guard, l, rs, slots, err, errlen);
}
