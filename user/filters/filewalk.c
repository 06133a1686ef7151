/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filewalk.c - the files that a path glob names now (filewalk.h).
 */
#include "filters/filewalk.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rules/glob.h"

enum { FILEWALK_MAX_COMPONENTS = 128 };

struct walk {
	const char *glob;
	char *comp[FILEWALK_MAX_COMPONENTS];	/* the glob's components */
	size_t n;
	size_t *budget;
	filewalk_fn fn;
	void *ctx;
	char path[PATH_MAX];
};

/* "a**b", "**": a component that may span directories */
static int spans(const char *comp)
{
	return strstr(comp, "**") != NULL;
}

/* path + "/" + name, when it fits; its length, or 0. */
static size_t join(struct walk *w, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len + 1 + n >= sizeof(w->path))
		return 0;
	w->path[len] = '/';
	memcpy(w->path + len + 1, name, n + 1);
	return len + 1 + n;
}

/* One more directory entry looked at; 0 when the budget is spent. */
static int spend(struct walk *w)
{
	if (!*w->budget)
		return 0;
	(*w->budget)--;
	return 1;
}

/* Reports path (lstat st) when it is a file the whole glob matches. */
static int report(struct walk *w, size_t len, const struct stat *st)
{
	if (S_ISDIR(st->st_mode) || S_ISLNK(st->st_mode) || !glob_match(w->glob, w->path, len))
		return 0;
	return w->fn(w->path, len, st, w->ctx);
}

/*
 * Calls on(w, n, name) for each entry of the directory path[0..len) whose
 * name matches comp (NULL: every one), with path[0..n) its path; stops at
 * a non-zero return, or with 1 when the budget runs out.  Directories that
 * cannot be read are empty.
 */
static int each_entry(struct walk *w, size_t len, const char *comp,
		      int (*on)(struct walk *w, size_t n, size_t ci), size_t ci)
{
	DIR *d = opendir(len ? w->path : "/");
	struct dirent *de;
	int rc = 0;

	if (!d)
		return 0;
	while (rc == 0 && (de = readdir(d))) {
		size_t n;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!spend(w)) {
			rc = 1;
			break;
		}
		if (comp && !glob_match(comp, de->d_name, strlen(de->d_name)))
			continue;
		n = join(w, len, de->d_name);
		if (n)
			rc = on(w, n, ci);
		w->path[len] = '\0';
	}
	closedir(d);
	return rc;
}

static int subtree(struct walk *w, size_t len);

/* An entry below a "STARSTAR": a directory is walked, a file matched whole. */
static int subtree_entry(struct walk *w, size_t n, size_t ci)
{
	struct stat st;

	(void)ci;
	if (lstat(w->path, &st))
		return 0;
	return S_ISDIR(st.st_mode) ? subtree(w, n) : report(w, n, &st);
}

/* Every file below the directory path[0..len), matched whole. */
static int subtree(struct walk *w, size_t len)
{
	return each_entry(w, len, NULL, subtree_entry, 0);
}

static int step(struct walk *w, size_t len, size_t ci);

/* Follows path[0..n) to component ci, or reports it at the end. */
static int descend(struct walk *w, size_t n, size_t ci)
{
	struct stat st;

	if (lstat(w->path, &st))
		return 0;
	if (ci == w->n)
		return report(w, n, &st);
	return S_ISDIR(st.st_mode) ? step(w, n, ci) : 0;
}

/* The directory path[0..len) holds component ci of the glob. */
static int step(struct walk *w, size_t len, size_t ci)
{
	const char *comp = w->comp[ci];
	size_t n;
	int rc = 0;

	if (spans(comp))
		return subtree(w, len);
	if (glob_has_wildcard(comp))
		return each_entry(w, len, comp, descend, ci + 1);
	if (!spend(w))
		return 1;
	n = join(w, len, comp);
	if (n)
		rc = descend(w, n, ci + 1);
	w->path[len] = '\0';
	return rc;
}

int filewalk_glob(const char *glob, size_t *budget, filewalk_fn fn, void *ctx)
{
	struct walk w = { .glob = glob, .budget = budget, .fn = fn, .ctx = ctx };
	char *copy, *c, *save = NULL;
	int rc;

	if (glob[0] != '/')
		return -EINVAL;
	copy = strdup(glob);
	if (!copy)
		return -ENOMEM;
	for (c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (w.n == FILEWALK_MAX_COMPONENTS) {
			free(copy);
			return 1;
		}
		w.comp[w.n++] = c;
	}
	w.path[0] = '\0';
	rc = w.n ? step(&w, 0, 0) : 0;
	free(copy);
	return rc;
}
