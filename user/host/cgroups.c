/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

struct cgroup_entry {
	uint64_t id;
	char path[];
};

#define CGROUP_SCAN_DEPTH 32

static int grow(struct cgroups *c)
{
	size_t n = c->n_slots ? c->n_slots * 2 : 256;
	struct cgroup_entry **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_slots; i++) {
		struct cgroup_entry *e = c->slots[i];
		size_t j;

		if (!e)
			continue;
		for (j = e->id & (n - 1); slots[j]; j = (j + 1) & (n - 1))
			;
		slots[j] = e;
	}
	free(c->slots);
	c->slots = slots;
	c->n_slots = n;
	return 0;
}

static int insert(struct cgroups *c, uint64_t id, const char *path)
{
	struct cgroup_entry *e;
	size_t j, len = strlen(path);

	if ((c->n_used + 1) * 2 > c->n_slots && grow(c))
		return -ENOMEM;
	for (j = id & (c->n_slots - 1); c->slots[j]; j = (j + 1) & (c->n_slots - 1)) {
		if (c->slots[j]->id != id)
			continue;
		if (strcmp(c->slots[j]->path, path) == 0)
			return 0;
		e = realloc(c->slots[j], sizeof(*e) + len + 1);	/* id reused by a new cgroup */
		if (!e)
			return -ENOMEM;
		memcpy(e->path, path, len + 1);
		c->slots[j] = e;
		return 0;
	}
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	e->id = id;
	memcpy(e->path, path, len + 1);
	c->slots[j] = e;
	c->n_used++;
	return 0;
}

/* rel: path below the root, "" for the root itself */
static void scan(struct cgroups *c, int fd0, char *rel, size_t rel_len, int depth)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (fstat(fd0, &st) == 0)
		insert(c, (uint64_t)st.st_ino, rel_len ? rel : "/");
	if (depth >= CGROUP_SCAN_DEPTH)
		return;
	d = fdopendir(fd0);
	if (!d) {
		close(fd0);
		return;
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (rel_len + 1 + n >= 4096)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		rel[rel_len] = '/';
		memcpy(rel + rel_len + 1, de->d_name, n + 1);
		scan(c, fd, rel, rel_len + 1 + n, depth + 1);
		rel[rel_len] = '\0';
	}
	closedir(d);
}

static void rescan(struct cgroups *c)
{
	char rel[4096] = "";
	int fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	c->last_scan_ms = now_ms();
	c->rescans++;
	if (fd >= 0)
		scan(c, fd, rel, 0, 0);
}

int cgroups_init(struct cgroups *c, const char *root)
{
	memset(c, 0, sizeof(*c));
	c->min_rescan_ms = 50;
	if (!root || !root[0])
		return 0;
	snprintf(c->root, sizeof(c->root), "%s", root);
	if (grow(c))
		return -ENOMEM;
	rescan(c);
	return 0;
}

static const char *find(const struct cgroups *c, uint64_t id)
{
	if (!c->n_slots)
		return NULL;
	for (size_t j = id & (c->n_slots - 1); c->slots[j]; j = (j + 1) & (c->n_slots - 1))
		if (c->slots[j]->id == id)
			return c->slots[j]->path;
	return NULL;
}

const char *cgroups_lookup(struct cgroups *c, uint64_t id)
{
	const char *p = find(c, id);

	if (p || !c->root[0])
		return p;
	if (now_ms() - c->last_scan_ms < c->min_rescan_ms)
		return NULL;
	rescan(c);
	return find(c, id);
}

void cgroups_free(struct cgroups *c)
{
	for (size_t i = 0; i < c->n_slots; i++)
		free(c->slots[i]);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}
