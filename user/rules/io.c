/* SPDX-License-Identifier: Apache-2.0 */
/*
 * io.c - reading rule files and directories for the pure engine (io.h).
 */
#include "rules/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/vec.h"

#define RULE_FILE_MAX (16u << 20)

/*
 * The agent refuses rules that someone other than root (or the agent's own
 * user) could change: whoever can write them decides what custos watches.
 */
static int check_owner_mode(const char *path, const struct stat *st, const char *what,
			    char *err, size_t errlen)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errlen, "%s: error: refusing %s owned by uid %u: whoever owns "
			 "them decides what custos watches; chown root %s", path, what,
			 (unsigned)st->st_uid, path);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: error: refusing %s writable by %s (mode %04o): "
			 "whoever can write them decides what custos watches; chmod go-w %s",
			 path, what, st->st_mode & S_IWOTH ? "everyone" : "its group",
			 (unsigned)(st->st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

int trusted_path_check(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: error: cannot read: %s", path, strerror(errno));
		return -errno;
	}
	return check_owner_mode(path, &st, "configuration", err, errlen);
}

static int add_file(struct rule_files *f, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *data = NULL, *name = NULL;
	ssize_t got;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot read rule file: %s", path, strerror(-rc));
		goto err_close;
	}
	if (f->strict && (rc = check_owner_mode(path, &st, "rules", err, errlen)))
		goto err_close;
	if ((size_t)st.st_size > RULE_FILE_MAX) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: rule file larger than %u bytes", path, RULE_FILE_MAX);
		goto err_close;
	}
	data = malloc((size_t)st.st_size + 1);
	name = strdup(path);
	if (!data || !name || vec_grow((void **)&f->srcs, f->n, &f->cap, sizeof(*f->srcs))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto err_close;
	}
	while (len < (size_t)st.st_size) {
		got = read(fd, data + len, (size_t)st.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	data[len] = '\0';
	close(fd);
	f->srcs[f->n].name = name;
	f->srcs[f->n].data = data;
	f->srcs[f->n].len = len;
	f->n++;
	return 0;

err_close:
	free(data);
	free(name);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int yaml_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

/* Byte order, whatever the locale: the load order (and the digest) must not
 * depend on the environment. */
static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int rules_dir_files(const char *dir, char ***paths, size_t *n)
{
	size_t cap = 0, dlen = strlen(dir);
	const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
	struct dirent **names;
	int count, rc = 0;

	*paths = NULL;
	*n = 0;
	count = scandir(dir, &names, yaml_name, byte_order);
	if (count < 0)
		return -errno;
	for (int i = 0; i < count; i++) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s%s%s", dir, sep, names[i]->d_name);
		free(names[i]);
		if (rc || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		rc = vec_grow((void **)paths, *n, &cap, sizeof(**paths));
		if (!rc && !((*paths)[*n] = strdup(path)))
			rc = -ENOMEM;
		if (!rc)
			(*n)++;
	}
	free(names);
	if (rc) {
		rules_dir_free(*paths, *n);
		*paths = NULL;
		*n = 0;
	}
	return rc;
}

void rules_dir_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static int add_dir(struct rule_files *f, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char **paths;
	size_t n;
	int rc;

	if (f->strict && stat(dir, &st) == 0 && (rc = check_owner_mode(dir, &st, "rules", err, errlen)))
		return rc;
	rc = rules_dir_files(dir, &paths, &n);
	if (rc) {
		snprintf(err, errlen, "%s: cannot list rule directory: %s", dir, strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_file(f, paths[i], err, errlen);
	rules_dir_free(paths, n);
	return rc;
}

int rule_files_read(const char *const *paths, size_t n, int strict, struct rule_files *out,
		    char *err, size_t errlen)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->strict = strict;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat st;

		if (stat(paths[i], &st) != 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot read rules: %s", paths[i], strerror(-rc));
		} else if (S_ISDIR(st.st_mode)) {
			rc = add_dir(out, paths[i], err, errlen);
		} else {
			rc = add_file(out, paths[i], err, errlen);
		}
	}
	if (rc)
		rule_files_free(out);
	return rc;
}

void rule_files_free(struct rule_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free((char *)f->srcs[i].name);
		free((char *)f->srcs[i].data);
	}
	free(f->srcs);
	memset(f, 0, sizeof(*f));
}

int rules_resolve_user(const char *name, uint32_t *uid, void *ctx)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	*uid = pw.pw_uid;
	return 0;
}

int rules_load_paths(const char *const *paths, size_t n, int strict,
		     const struct rule_load_opts *opts, struct rule_set **out,
		     struct rule_diags *diags, char *err, size_t errlen)
{
	struct rule_load_opts def = { .resolve_user = rules_resolve_user };
	struct rule_files files;
	int rc;

	*out = NULL;
	rc = rule_files_read(paths, n, strict, &files, err, errlen);
	if (rc)
		return rc;
	rc = rule_set_load(files.srcs, files.n, opts ? opts : &def, out, diags);
	rule_files_free(&files);
	return rc;
}
