/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exe.c - a process's program examined on the host (exe.h).
 */
#include "agent/exe.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filters/family.h"
#include "host/ldso.h"

#define PROC_ROOT "/proc"

static uint64_t start_of(const struct proc_cache *procs, const struct proc_entry *e)
{
	return e->coarse ? e->start * procs->ns_per_tick : e->start;
}

/*
 * The loader run directly: its program, from its argv, becomes the exe, with
 * the program's identity and fingerprint.  A program that cannot be resolved
 * keeps the path as written (its identity unknown).
 */
static void loader_program(struct agent *a, const struct proc_entry *e,
			   struct proc_exe_info *info)
{
	char path[PATH_MAX];
	size_t off, len;
	int fd;

	if (!ldso_is(&a->ldso, &info->id, info->size, info->head) ||
	    ldso_program(e->args, e->args_len, &off, &len))
		return;
	memset(info, 0, sizeof(*info));
	info->flags = PROC_EXE_LOADER;
	if (ldso_resolve(PROC_ROOT, e->pid, e->args + off, len, path, sizeof(path)) == 0) {
		fsid_at(path, 0, &info->id);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			filter_exe_fingerprint(fd, &info->size, &info->head);
			close(fd);
		}
	}
	proc_cache_set_exe(&a->procs, e->pid, start_of(&a->procs, e), path, strlen(path));
}

void exe_examine(struct agent *a, const struct proc_entry *e)
{
	struct ident found[CEV_MAX_COPIES];
	struct proc_exe_info info;
	uint64_t start;
	size_t n;

	if (!e)
		return;
	start = start_of(&a->procs, e);
	info = e->exe_info;
	loader_program(a, e, &info);
	info.flags &= ~(uint32_t)PROC_EXE_ELSEWHERE;
	if (!(info.flags & (PROC_EXE_MEMFD | PROC_EXE_DELETED)) &&
	    !fsid_path_is(&a->devs, e->exe, e->exe_len, &info.id))
		info.flags |= PROC_EXE_ELSEWHERE;
	n = copies_any(&a->copies) ? copies_find(&a->copies, PROC_ROOT, e, &info, found,
						  CEV_MAX_COPIES) : 0;
	proc_cache_set_exe_info(&a->procs, e->pid, start, &info);
	proc_cache_set_copies(&a->procs, e->pid, start, found, n);
}

void exe_examine_all(struct agent *a)
{
	size_t n = proc_cache_count(&a->procs);
	const struct proc_entry **live = calloc(n + 1, sizeof(*live));

	if (!live)
		return;
	n = proc_cache_snapshot(&a->procs, live, n, 0);
	for (size_t i = 0; i < n; i++)
		exe_examine(a, live[i]);
	free(live);
}
