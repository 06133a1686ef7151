/* SPDX-License-Identifier: Apache-2.0 */
/* filehelp.c - what the file suites share (filehelp.h). */
#include "filehelp.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"

void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

int pred_file(json_t *rec, void *arg)
{
	struct file_pred *fp = arg;
	const char *kind = jstr(rec, "kind"), *path = jstr(rec, "file.path");
	const char *rule = jstr(rec, "rule");

	return kind && strcmp(kind, "file") == 0 && (!fp->pid || jint(rec, "process.pid") == fp->pid) &&
	       (!fp->path || (path && strcmp(path, fp->path) == 0)) &&
	       (!fp->rule || (rule && strcmp(rule, fp->rule) == 0));
}

/* The counter idx of the map fd when it is the agent's "stats"; -1 if not. */
static long long stat_of(int fd, unsigned int idx)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int ncpu = libbpf_num_possible_cpus();
	long long total = -1;

	memset(&info, 0, sizeof(info));
	if (ncpu > 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	    strcmp(info.name, "stats") == 0) {
		__u64 vals[ncpu];
		__u32 key = idx;

		if (bpf_map_lookup_elem(fd, &key, vals) == 0) {
			total = 0;
			for (int c = 0; c < ncpu; c++)
				total += (long long)vals[c];
		}
	}
	return total;
}

long long agent_stat(pid_t agent, unsigned int idx)
{
	char dir[64], path[320], line[256];
	long long total = -1;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)agent);
	d = opendir(dir);
	if (!d)
		return -1;
	while (total < 0 && (de = readdir(d))) {
		unsigned int id = 0;
		FILE *f;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "map_id: %u", &id) == 1)
				break;
		fclose(f);
		if (!id || (fd = bpf_map_get_fd_by_id(id)) < 0)
			continue;
		total = stat_of(fd, idx);
		close(fd);
	}
	closedir(d);
	return total;
}
