/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exe.c - a process's program examined on the host (exe.h).
 */
#include "agent/exe.h"

#include <stdlib.h>

static uint64_t start_of(const struct proc_cache *procs, const struct proc_entry *e)
{
	return e->coarse ? e->start * procs->ns_per_tick : e->start;
}

void exe_examine(struct agent *a, const struct proc_entry *e)
{
	struct proc_exe_info info;

	if (!e)
		return;
	info = e->exe_info;
	info.flags &= ~(uint32_t)PROC_EXE_ELSEWHERE;
	if (!(info.flags & (PROC_EXE_MEMFD | PROC_EXE_DELETED)) &&
	    !fsid_path_is(&a->devs, e->exe, e->exe_len, &info.id))
		info.flags |= PROC_EXE_ELSEWHERE;
	proc_cache_set_exe_info(&a->procs, e->pid, start_of(&a->procs, e), &info);
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
