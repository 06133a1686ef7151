/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc_seed.c - read /proc into the process cache (see proc_seed.h).
 *
 * Everything here races with processes exiting: a file that cannot be
 * opened means the process is gone, and it is skipped.
 */
#include "host/proc_seed.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/fsid.h"

/*
 * Reads up to size bytes of dirfd/name into buf.  *len gets the byte count,
 * *more whether the file had more.  Returns 0 or -errno.
 */
static int read_small(int dirfd, const char *name, char *buf, size_t size,
		      size_t *len, int *more)
{
	size_t n = 0;
	ssize_t r;
	char extra;
	int fd, err = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < size) {
		r = read(fd, buf + n, size - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto close_fd;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	if (more) {
		do
			r = read(fd, &extra, 1);
		while (r < 0 && errno == EINTR);
		*more = r > 0;
	}
close_fd:
	close(fd);
	return err;
}

int proc_parse_stat(const char *line, size_t len, char comm[PROC_COMM_LEN],
		    uint32_t *ppid, uint64_t *start_ticks)
{
	const char *open_paren, *close_paren, *p, *end = line + len;
	unsigned long long v;
	char *num_end;
	size_t n;
	int field;

	open_paren = memchr(line, '(', len);
	close_paren = memrchr(line, ')', len);
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -EINVAL;
	n = (size_t)(close_paren - open_paren - 1);
	if (n > PROC_COMM_LEN - 1)
		n = PROC_COMM_LEN - 1;
	memcpy(comm, open_paren + 1, n);
	comm[n] = '\0';

	/* after ") ": field 3 (state), 4 (ppid), ... 22 (starttime) */
	p = close_paren + 1;
	for (field = 3; field <= 22; field++) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			return -EINVAL;
		if (field == 4 || field == 22) {
			char tmp[32];
			size_t m = 0;

			while (p + m < end && p[m] != ' ' && p[m] != '\n' && m < sizeof(tmp) - 1) {
				tmp[m] = p[m];
				m++;
			}
			tmp[m] = '\0';
			errno = 0;
			v = strtoull(tmp, &num_end, 10);
			if (!m || *num_end || errno)
				return -EINVAL;
			if (field == 4) {
				if (v > UINT32_MAX)
					return -EINVAL;
				*ppid = (uint32_t)v;
			} else {
				*start_ticks = v;
			}
		}
		while (p < end && *p != ' ')
			p++;
	}
	return 0;
}

/* The real uid from status ("Uid:\treal\teffective\tsaved\tfs"). */
static int parse_status_uid(const char *buf, size_t len, uint32_t *uid)
{
	const char *p = buf, *end = buf + len, *nl;
	char tmp[32];
	char *num_end;
	unsigned long v;
	size_t m;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if ((size_t)(nl - p) < 5 || memcmp(p, "Uid:", 4))
			continue;
		p += 4;
		while (p < nl && (*p == '\t' || *p == ' '))
			p++;
		for (m = 0; p + m < nl && p[m] >= '0' && p[m] <= '9' && m < sizeof(tmp) - 1; m++)
			tmp[m] = p[m];
		tmp[m] = '\0';
		errno = 0;
		v = strtoul(tmp, &num_end, 10);
		if (!m || errno || v > UINT32_MAX)
			return -EINVAL;
		*uid = (uint32_t)v;
		return 0;
	}
	return -ENOENT;
}

static int is_pid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

#define DELETED_SUFFIX " (deleted)"
#define MEMFD_PREFIX "/memfd:"

/*
 * The identity and flags of t's program, and its exe as the kernel's exec
 * records write it: /proc shows a memfd as "/memfd:NAME (deleted)", the
 * kernel "memfd:NAME" (a file of that name would lie on a mount of the
 * process's own, a memfd's does not).
 */
static void exe_facts(int procfd, uint32_t pid, struct proc_entry *t)
{
	size_t n = t->exe_len, sl = sizeof(DELETED_SUFFIX) - 1;
	char root[32];
	int internal = 0;

	snprintf(root, sizeof(root), "/proc/self/fd/%d", procfd);
	if (fsid_proc_exe(root, pid, &t->exe_info.id, &internal))
		memset(&t->exe_info.id, 0, sizeof(t->exe_info.id));
	if (n <= sl || memcmp(t->exe + n - sl, DELETED_SUFFIX, sl) != 0)
		return;
	if (internal && n > sl + sizeof(MEMFD_PREFIX) - 1 &&
	    memcmp(t->exe, MEMFD_PREFIX, sizeof(MEMFD_PREFIX) - 1) == 0) {
		t->exe_info.flags = PROC_EXE_MEMFD;
		t->exe++;	/* "memfd:NAME" */
		t->exe_len = (uint32_t)(n - sl - 1);
		return;
	}
	t->exe_info.flags = PROC_EXE_DELETED;
}

/* Reads one /proc/PID into the cache: 1 seeded, 0 skipped, -ENOMEM. */
static int seed_one(struct proc_cache *c, int procfd, const char *name,
		    char *args, char *exe, char *text, size_t text_size)
{
	struct proc_entry t;
	unsigned long pid;
	size_t len;
	ssize_t r;
	int dirfd, more, ret = 0;

	pid = strtoul(name, NULL, 10);
	if (pid == 0 || pid > UINT32_MAX)
		return 0;
	dirfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 0;
	memset(&t, 0, sizeof(t));
	t.pid = (uint32_t)pid;
	t.coarse = 1;

	if (read_small(dirfd, "stat", text, text_size, &len, NULL) ||
	    proc_parse_stat(text, len, t.comm, &t.ppid, &t.start))
		goto close_dir;
	if (read_small(dirfd, "status", text, text_size, &len, NULL) ||
	    parse_status_uid(text, len, &t.uid))
		goto close_dir;

	r = readlinkat(dirfd, "exe", exe, PATH_MAX);
	if (r > 0) {
		t.exe = exe;
		t.exe_len = (uint32_t)r;
		t.exe_truncated = r >= PATH_MAX;
		exe_facts(procfd, (uint32_t)pid, &t);
	}
	if (!read_small(dirfd, "cmdline", args, PROC_SEED_ARGS_MAX, &len, &more)) {
		t.args = args;
		t.args_len = (uint32_t)len;
		t.args_truncated = more ? 1 : 0;
	}
	ret = proc_cache_insert(c, &t) ? -ENOMEM : 1;
close_dir:
	close(dirfd);
	return ret;
}

int proc_seed_from_proc(struct proc_cache *c, const char *proc_root)
{
	char *args, *exe, *text;
	const size_t text_size = 8192;	/* stat and status are ~1.5 KiB */
	struct dirent *de;
	int procfd, count = 0, ret;
	DIR *dir;

	args = malloc(PROC_SEED_ARGS_MAX);
	exe = malloc(PATH_MAX);
	text = malloc(text_size);
	if (!args || !exe || !text) {
		count = -ENOMEM;
		goto free_bufs;
	}
	dir = opendir(proc_root);
	if (!dir) {
		count = -errno;
		goto free_bufs;
	}
	procfd = dirfd(dir);
	while ((de = readdir(dir))) {
		if (!is_pid_name(de->d_name))
			continue;
		ret = seed_one(c, procfd, de->d_name, args, exe, text, text_size);
		if (ret < 0) {
			count = ret;
			break;
		}
		count += ret;
	}
	closedir(dir);
free_bufs:
	free(args);
	free(exe);
	free(text);
	return count;
}

int proc_seed_one(struct proc_cache *c, const char *proc_root, uint32_t pid)
{
	char name[16], *args = malloc(PROC_SEED_ARGS_MAX), *exe = malloc(PATH_MAX);
	char text[8192];
	int procfd, ret = -ENOMEM;

	if (!args || !exe)
		goto free_bufs;
	procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0) {
		ret = -errno;
		goto free_bufs;
	}
	snprintf(name, sizeof(name), "%u", pid);
	ret = seed_one(c, procfd, name, args, exe, text, sizeof(text));
	ret = ret == 1 ? 0 : ret == 0 ? -ENOENT : ret;
	close(procfd);
free_bufs:
	free(args);
	free(exe);
	return ret;
}

int proc_read_cgroup_path_at(const char *proc_root, pid_t pid, char *buf, size_t size)
{
	char path[PATH_MAX];
	char *line = NULL;
	size_t cap = 0, n;
	FILE *f;
	int ret = -ENOENT;

	if (snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root, (int)pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		if (strncmp(line, "0::", 3))
			continue;
		n = strcspn(line + 3, "\n");
		if (n + 1 > size) {
			ret = -ENAMETOOLONG;
			break;
		}
		memcpy(buf, line + 3, n);
		buf[n] = '\0';
		ret = 0;
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

int proc_read_cgroup_path(pid_t pid, char *buf, size_t size)
{
	return proc_read_cgroup_path_at("/proc", pid, buf, size);
}
