/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exe.c - a process's program examined on the host (exe.h).
 */
#include "agent/exe.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filters/family.h"
#include "host/fsid.h"
#include "host/ldso.h"

#define PROC_ROOT "/proc"

static uint64_t start_of(const struct proc_cache *procs, const struct proc_entry *e)
{
	return e->coarse ? e->start * procs->ns_per_tick : e->start;
}

#define DELETED_SUFFIX " (deleted)"
#define MEMFD_LINK "/memfd:"

/*
 * A loader's program opened through a process's fd (ld.so /proc/self/fd/N)
 * is named as the kernel names a memfd or a deleted file: its exe and flags.
 */
static void fd_program(char *path, size_t size, struct proc_exe_info *info)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	size_t sl = sizeof(DELETED_SUFFIX) - 1;

	if (n <= 0 || strncmp(path, PROC_ROOT "/", sizeof(PROC_ROOT)) != 0 || !strstr(path, "/fd/"))
		return;
	target[n] = '\0';
	if ((size_t)n <= sl || strcmp(target + n - sl, DELETED_SUFFIX) != 0)
		return;
	if (strncmp(target, MEMFD_LINK, sizeof(MEMFD_LINK) - 1) == 0) {
		target[n - sl] = '\0';
		snprintf(path, size, "%s", target + 1);	/* memfd:NAME */
		info->flags |= PROC_EXE_MEMFD;
	} else {
		snprintf(path, size, "%s", target);
		info->flags |= PROC_EXE_DELETED;
	}
}

/*
 * The loader run directly: its program, from its argv, becomes the exe, with
 * the program's identity and fingerprint; file gets what to open to read it.
 * A program that cannot be resolved keeps the path as written (its identity
 * unknown).  0 when e does not run a loader.
 */
static int loader_program(struct agent *a, const struct proc_entry *e,
			  struct proc_exe_info *info, char *file, size_t size)
{
	char path[PATH_MAX];
	struct stat st;
	size_t off, len;
	int fd;

	if (!ldso_is(&a->ldso, &info->id, info->size, info->head) ||
	    ldso_program(e->args, e->args_len, &off, &len))
		return 0;
	memset(info, 0, sizeof(*info));
	info->flags = PROC_EXE_LOADER;
	ldso_resolve(PROC_ROOT, e->pid, e->args + off, len, path, sizeof(path));
	snprintf(file, size, "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		info->id.ino = st.st_ino;
		info->id.dev = fsid_kernel_dev(path, st.st_dev);
		filter_exe_fingerprint(fd, &info->size, &info->head);
	}
	if (fd >= 0)
		close(fd);
	fd_program(path, sizeof(path), info);
	proc_cache_set_exe(&a->procs, e->pid, start_of(&a->procs, e), path, strlen(path));
	return 1;
}

void exe_examine(struct agent *a, const struct proc_entry *e)
{
	struct ident found[CEV_MAX_COPIES];
	struct proc_exe_info info;
	char file[PATH_MAX];
	uint64_t start;
	size_t n;
	int loader;

	if (!e)
		return;
	start = start_of(&a->procs, e);
	info = e->exe_info;
	loader = loader_program(a, e, &info, file, sizeof(file));
	info.flags &= ~(uint32_t)PROC_EXE_ELSEWHERE;
	if (!(info.flags & (PROC_EXE_MEMFD | PROC_EXE_DELETED)) &&
	    !fsid_path_is(&a->devs, e->exe, e->exe_len, &info.id))
		info.flags |= PROC_EXE_ELSEWHERE;
	n = copies_any(&a->copies) ? copies_find(&a->copies, PROC_ROOT, e, loader ? file : NULL,
						  &info, found, CEV_MAX_COPIES) : 0;
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
