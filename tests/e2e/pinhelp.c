/* SPDX-License-Identifier: Apache-2.0 */
/* pinhelp.c - what the pinning suites share (pinhelp.h). */
#include "pinhelp.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"

int pin_unload_dir(const char *pin, char *out, size_t size)
{
	char *argv[] = { (char *)harness_custos(), "unload", "--pin-dir", (char *)pin, NULL };

	return harness_capture(argv, out, size);
}

void assert_unloaded(const char *pin, char *out, size_t size)
{
	int rc = pin_unload_dir(pin, out, size);

	if (rc != 0)
		fail_msg("custos unload --pin-dir %s: exit %d:\n%s", pin, rc, out);
}

void pin_unload_stale(void)
{
	char path[300], out[512];
	struct dirent *de;
	DIR *d = opendir("/sys/fs/bpf");

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "custos-e2e-", 11))
			continue;
		snprintf(path, sizeof(path), "/sys/fs/bpf/%s", de->d_name);
		pin_unload_dir(path, out, sizeof(out));
	}
	if (d)
		closedir(d);
}

int pin_link_ids(const char *pin, __u32 *ids)
{
	char dir[300], path[600];
	struct dirent **names;
	int n, k = 0;

	snprintf(dir, sizeof(dir), "%s/links", pin);
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		fd = names[i]->d_name[0] == '.' ? -1 : bpf_obj_get(path);
		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && k < PIN_MAX_LINKS)
			ids[k++] = info.id;
		if (fd >= 0)
			close(fd);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return k;
}

int pin_links_left(const __u32 *ids, int n)
{
	for (int waited = 0; waited <= 3000; waited += 20) {
		int left = 0;

		for (int i = 0; i < n; i++) {
			int fd = bpf_link_get_fd_by_id(ids[i]);

			if (fd >= 0) {
				close(fd);
				left = 1;
			}
		}
		if (!left)
			return 0;
		usleep(20000);
	}
	return 1;
}

long long record_time_ns(json_t *rec, const char *path)
{
	const char *t = jstr(rec, path);
	struct tm tm = { 0 };

	if (!t || !strptime(t, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (long long)timegm(&tm) * 1000000000ll + atoll(t + 20);
}

void pin_scratch_users(const char *pin, const char *map, uint64_t users)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int ncpu = libbpf_num_possible_cpus(), fd;
	char path[512];
	size_t stride;
	char *vals;

	snprintf(path, sizeof(path), "%s/maps/%s", pin, map);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	assert_int_equal(info.type, BPF_MAP_TYPE_PERCPU_ARRAY);
	assert_true(ncpu > 0 && info.value_size >= sizeof(uint64_t));
	stride = (info.value_size + 7) & ~(size_t)7;	/* per-CPU values, 8-aligned */
	vals = calloc((size_t)ncpu, stride);
	assert_non_null(vals);
	for (__u32 k = 0; k < info.max_entries; k++) {
		assert_int_equal(bpf_map_lookup_elem(fd, &k, vals), 0);
		for (int c = 0; c < ncpu; c++)
			memcpy(vals + (size_t)c * stride + info.value_size - sizeof(users), &users,
			       sizeof(users));
		assert_int_equal(bpf_map_update_elem(fd, &k, vals, BPF_ANY), 0);
	}
	free(vals);
	close(fd);
}

int agent_map_fd(pid_t pid, const char *name)
{
	char dir[64], path[64 + sizeof(((struct dirent *)0)->d_name)], line[128];
	struct dirent *d;
	DIR *fds;
	int found = -ENOENT;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
	fds = opendir(dir);
	if (!fds)
		return -errno;
	while (found < 0 && (d = readdir(fds)) != NULL) {
		FILE *f;
		__u32 id = 0;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "map_id: %u", &id) == 1)
				break;
		if (f)
			fclose(f);
		if (id) {
			struct bpf_map_info info;
			__u32 len = sizeof(info);
			int fd = bpf_map_get_fd_by_id(id);

			memset(&info, 0, sizeof(info));
			if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
			    strcmp(info.name, name) == 0)
				found = fd;
			else if (fd >= 0)
				close(fd);
		}
	}
	closedir(fds);
	return found;
}
