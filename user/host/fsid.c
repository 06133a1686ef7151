/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsid.c - file identities as the kernel sees them (fsid.h).
 */
#include "host/fsid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/vec.h"
#include "host/mounts.h"

uint64_t fsid_kernel_dev(const char *real, dev_t st_dev)
{
	uint64_t dev = ((uint64_t)major(st_dev) << 20) | minor(st_dev);
	struct mounts m;

	/* the superblock's device (sb->s_dev, what the BPF side reads) of the
	 * mount real lies on: stat()'s st_dev is not always it (btrfs reports
	 * each subvolume's own device); stat()'s when mountinfo has none */
	mounts_init(&m);
	if (mounts_load(&m, NULL) == 0)
		mounts_sb_dev(&m, real, &dev);
	mounts_free(&m);
	return dev;
}

int fsid_at(const char *path, unsigned int type, struct ident *out)
{
	char real[PATH_MAX];
	struct stat st;

	if (!realpath(path, real) || strcmp(real, path) != 0)
		return -ENOENT;
	if (stat(path, &st) || (type && (st.st_mode & S_IFMT) != type))
		return -ENOENT;
	out->dev = fsid_kernel_dev(real, st.st_dev);
	out->ino = st.st_ino;
	return 0;
}

int fsid_glob_each(const char *glob, int (*fn)(const char *path, const struct ident *id,
					       void *ctx), void *ctx)
{
	const char *slash = strrchr(glob, '/');
	char dir[PATH_MAX], path[PATH_MAX + 256 + 2];
	struct dirent *de;
	struct ident id;
	int n = 0;
	DIR *d;

	if (glob[0] != '/' || !slash)
		return 0;
	if (!strpbrk(slash, "*?[\\")) {	/* a literal path */
		if (fsid_at(glob, S_IFREG, &id))
			return 0;
		fn(glob, &id, ctx);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - glob), glob);
	d = opendir(dir[0] ? dir : "/");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fnmatch(slash + 1, de->d_name, 0) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);	/* dir "" is the root */
		if (fsid_at(path, S_IFREG, &id))
			continue;
		n++;
		if (fn(path, &id, ctx))
			break;
	}
	closedir(d);
	return n;
}

struct collect {
	struct ident *out;
	size_t max, n;
};

static int collect_one(const char *path, const struct ident *id, void *ctx)
{
	struct collect *c = ctx;

	if (c->n < c->max)
		c->out[c->n] = *id;
	c->n++;
	return 0;
}

int fsid_glob(const char *glob, struct ident *out, size_t max)
{
	struct collect c = { out, max, 0 };

	fsid_glob_each(glob, collect_one, &c);
	return (int)c.n;
}

/* The device (major << 20 | minor) of mount id in the mountinfo at path; -ENOENT. */
static int mount_id_dev(const char *path, uint64_t id, uint64_t *dev)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long mid;
		unsigned int maj, min;

		if (sscanf(line, "%llu %*d %u:%u", &mid, &maj, &min) == 3 && mid == id) {
			*dev = ((uint64_t)maj << 20) | min;
			rc = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

int fsid_proc_exe(const char *proc_root, uint32_t pid, struct ident *out, int *internal)
{
	char path[PATH_MAX];
	struct statx sx;

	*internal = 0;
	snprintf(path, sizeof(path), "%s/%u/exe", proc_root, pid);
	if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_MNT_ID, &sx))
		return -errno;
	out->ino = sx.stx_ino;
	out->dev = ((uint64_t)sx.stx_dev_major << 20) | sx.stx_dev_minor;
	if (!(sx.stx_mask & STATX_MNT_ID))
		return 0;	/* before 5.8: stat()'s device */
	snprintf(path, sizeof(path), "%s/%u/mountinfo", proc_root, pid);
	if (mount_id_dev(path, sx.stx_mnt_id, &out->dev) == -ENOENT)
		*internal = 1;
	return 0;
}

void fsid_devs_free(struct fsid_devs *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

int fsid_path_is(struct fsid_devs *d, const char *path, size_t len, const struct ident *id)
{
	char buf[PATH_MAX], real[PATH_MAX];
	struct stat st;
	size_t i;

	if (!ident_known(id) || len == 0 || len >= sizeof(buf) || path[0] != '/')
		return 0;
	memcpy(buf, path, len);
	buf[len] = '\0';
	if (strlen(buf) != len || stat(buf, &st) || st.st_ino != id->ino)
		return 0;
	for (i = 0; i < d->n; i++)
		if (d->v[i].st == st.st_dev)
			return d->v[i].kdev == id->dev;
	if (!realpath(buf, real) || vec_grow((void **)&d->v, d->n, &d->cap, sizeof(*d->v)))
		return fsid_kernel_dev(buf, st.st_dev) == id->dev;
	d->v[d->n].st = st.st_dev;
	d->v[d->n].kdev = fsid_kernel_dev(real, st.st_dev);
	return d->v[d->n++].kdev == id->dev;
}
