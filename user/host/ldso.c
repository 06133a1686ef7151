/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldso.c - the dynamic loader run directly, and the program it loads (ldso.h).
 */
#include "host/ldso.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/fsid.h"

static const char *const loader_globs[] = {
	"/lib64/ld-*.so*", "/lib/ld-*.so*", "/usr/lib64/ld-*.so*", "/usr/lib/ld-*.so*",
	"/lib/x86_64-linux-gnu/ld-*.so*", "/usr/lib/x86_64-linux-gnu/ld-*.so*",
	"/lib/aarch64-linux-gnu/ld-*.so*", "/usr/lib/aarch64-linux-gnu/ld-*.so*",
};

struct find_ctx {
	struct ldso *l;
	ldso_fingerprint_fn fingerprint;
};

static int add_loader(const char *path, const struct ident *id, void *ctx)
{
	struct find_ctx *f = ctx;
	struct ldso *l = f->l;
	uint64_t size = 0, head = 0;
	int fd;

	for (size_t i = 0; i < l->n; i++)
		if (ident_eq(&l->v[i].id, id))
			return 0;
	if (l->n == LDSO_MAX)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		f->fingerprint(fd, &size, &head);
		close(fd);
	}
	l->v[l->n].id = *id;
	l->v[l->n].size = size;
	l->v[l->n].head = head;
	l->n++;
	return 0;
}

void ldso_find(struct ldso *l, ldso_fingerprint_fn fingerprint)
{
	struct find_ctx f = { l, fingerprint };

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < sizeof(loader_globs) / sizeof(loader_globs[0]); i++)
		fsid_glob_each(loader_globs[i], add_loader, &f);
}

int ldso_is(const struct ldso *l, const struct ident *id, uint64_t size, uint64_t head)
{
	for (size_t i = 0; i < l->n; i++)
		if (ident_eq(&l->v[i].id, id) || (head && l->v[i].head == head &&
						  l->v[i].size == size))
			return 1;
	return 0;
}

/* glibc's loader options that take the next argument */
static int takes_arg(const char *opt, size_t n)
{
	static const char *const with_arg[] = {
		"--library-path", "--inhibit-rpath", "--audit", "--preload", "--argv0",
		"--glibc-hwcaps-prefer", "--glibc-hwcaps-mask",
	};

	for (size_t i = 0; i < sizeof(with_arg) / sizeof(with_arg[0]); i++)
		if (strlen(with_arg[i]) == n && memcmp(opt, with_arg[i], n) == 0)
			return 1;
	return 0;
}

int ldso_program(const char *args, size_t len, size_t *off, size_t *plen)
{
	size_t pos = 0, n;
	int first = 1, skip = 0;

	while (pos < len) {
		const char *p = args + pos, *nul = memchr(p, '\0', len - pos);

		n = nul ? (size_t)(nul - p) : len - pos;
		if (first) {
			first = 0;	/* argv[0]: the loader */
		} else if (skip) {
			skip = 0;
		} else if (n >= 2 && p[0] == '-' && p[1] == '-') {
			skip = takes_arg(p, n);
		} else {
			*off = pos;
			*plen = n;
			return 0;
		}
		pos += n + 1;
	}
	return -1;
}

int ldso_resolve(const char *proc_root, uint32_t pid, const char *path, size_t plen, char *out,
		 size_t size)
{
	char link[64], root[PATH_MAX], cwd[PATH_MAX], full[2 * PATH_MAX + 2], real[PATH_MAX];
	ssize_t n;

	snprintf(out, size, "%.*s", (int)plen, path);
	if (plen == 0 || memchr(path, '\0', plen))
		return -EINVAL;
	/* the process's own /proc (a memfd: ld.so /proc/self/fd/3), not ours */
	if (plen >= 11 && memcmp(path, "/proc/self/", 11) == 0) {
		snprintf(out, size, "%s/%u/%.*s", proc_root, pid, (int)plen - 11, path + 11);
		return 0;
	}
	if (plen >= 18 && memcmp(path, "/proc/thread-self/", 18) == 0) {
		snprintf(out, size, "%s/%u/%.*s", proc_root, pid, (int)plen - 18, path + 18);
		return 0;
	}
	snprintf(link, sizeof(link), "%s/%u/root", proc_root, pid);
	n = readlink(link, root, sizeof(root) - 1);
	if (n < 0)
		return -errno;
	root[n] = '\0';
	if (path[0] == '/') {
		snprintf(full, sizeof(full), "%.*s", (int)plen, path);
	} else {
		snprintf(link, sizeof(link), "%s/%u/cwd", proc_root, pid);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n < 0)
			return -errno;
		cwd[n] = '\0';
		snprintf(full, sizeof(full), "%s/%.*s", strcmp(cwd, "/") ? cwd : "", (int)plen, path);
	}
	snprintf(out, size, "%s", full);
	if (strcmp(root, "/") != 0)
		return -EXDEV;	/* a chroot's path: left as it sees it */
	if (!realpath(full, real))
		return -errno;
	snprintf(out, size, "%s", real);
	return 0;
}
