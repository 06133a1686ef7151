/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec.c - exec block rules -> the exec guard maps (filter_maps.h, "The
 * guards"): which rules the exec guard decides, what it says about the
 * others, and which maps are its own.
 */
#include "filters/exec.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/log.h"
#include "custos.skel.h"

static void warn_missing_one(const struct guard_missing *m)
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

static void warn_missing(const struct guard_missing *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		warn_missing_one(&m[i]);
}

static void maps(const struct loader *l, int fd[4])
{
	fd[0] = bpf_map__fd(l->skel->maps.exec_conf);
	fd[1] = bpf_map__fd(l->skel->maps.exec_ids);
	fd[2] = bpf_map__fd(l->skel->maps.exec_names);
	fd[3] = bpf_map__fd(l->skel->maps.exec_uids);
}

static int heads_map(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.exec_heads);
}

/* The fingerprint of the program at path (an exe_content value). */
static int head_at(const char *path, struct exe_head_key *k, void *ctx)
{
	struct file_ident id;
	uint64_t size, head;
	int fd, rc;

	if (filter_ident_at(path, S_IFREG, &id))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	rc = filter_exe_fingerprint(fd, &size, &head);
	close(fd);
	k->size = size;
	k->head = head;
	return rc ? -ENOENT : 0;
}

#define EXEC_FIELDS (GUARD_FIELD(F_EXE) | GUARD_FIELD(F_PARENT_EXE) | GUARD_FIELD(F_UID) | \
		     GUARD_FIELD(F_EXE_CONTENT))

static const struct guard_family exec_guard = {
	.on = RULE_ON_EXEC,
	.fields = EXEC_FIELDS,
	.need = EXEC_FIELDS,
	.what = "exec",
	.rules = "exec rules",
	.can = "exe, exe_content, parent_exe, uid, labels, ancestor_exe",
	.can_unless = "exe, parent_exe as an absolute path without wildcards or '**/NAME', "
		      "exe_content as an absolute path, uid, labels, ancestor_exe",
	.no_need = "with none of exe, exe_content, parent_exe, uid in `when` would refuse every "
		   "exec; name what to refuse",
	.warn_missing = warn_missing,
	.maps = maps,
	.heads_map = heads_map,
	.head = head_at,
};

int filter_exec_compile(const struct rule_set *rs, guard_resolve_fn resolve, guard_head_fn head,
			void *ctx, struct filter_guard *out, struct rule_diags *diags)
{
	return filter_guard_compile_heads(rs, &exec_guard, resolve, head, ctx, out, diags);
}

int filter_exec_check(const struct rule_set *rs, struct rule_diags *diags)
{
	struct filter_guard g;
	int rc = filter_exec_compile(rs, NULL, NULL, NULL, &g, diags);

	filter_guard_free(&g);
	return rc;
}

int filter_exec_apply(struct loader *l, const struct rule_set *rs, struct filter_slots *slots,
		      char *err, size_t errlen)
{
	return filter_guard_apply(&exec_guard, l, rs, slots, err, errlen);
}
