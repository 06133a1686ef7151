/* SPDX-License-Identifier: Apache-2.0 */
/*
 * copies.c - programs by content (copies.h).
 */
#include "agent/copies.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/vec.h"
#include "filters/family.h"
#include "host/fsid.h"

/* SHA-256 of fd's whole file: 0 or -errno. */
static int digest_fd(int fd, unsigned char out[COPIES_DIGEST])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536];
	unsigned int len = 0;
	off_t off = 0;
	ssize_t n;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (ok && (n = pread(fd, buf, sizeof(buf), off)) > 0) {
		ok = EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += n;
	}
	ok = ok && n == 0 && EVP_DigestFinal_ex(ctx, out, &len) && len == COPIES_DIGEST;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

static int add_prog(const char *path, const struct ident *id, void *ctx)
{
	struct copies *c = ctx;
	struct copy_prog p = { .id = *id };
	int fd;

	for (size_t i = 0; i < c->n; i++)
		if (ident_eq(&c->progs[i].id, id))
			return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (filter_exe_fingerprint(fd, &p.size, &p.head) || digest_fd(fd, p.digest) ||
	    vec_grow((void **)&c->progs, c->n, &c->cap, sizeof(*c->progs))) {
		close(fd);
		return 0;
	}
	close(fd);
	c->progs[c->n++] = p;
	return 0;
}

static void add_field(struct copies *c, const struct cond_field *cf)
{
	for (size_t k = 0; cf->present && k < cf->n; k++)
		if (cf->globs[k] && rules_glob_resolvable(cf->globs[k]))
			fsid_glob_each(cf->globs[k], add_prog, c);
}

int copies_load(struct copies *c, const struct rule_set *rs)
{
	copies_free(c);
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct rule *r = &rs->rules[i];

		if (!r->enabled)
			continue;
		add_field(c, &r->when.f[F_EXE_CONTENT]);
		for (size_t u = 0; u < r->n_unless; u++)
			add_field(c, &r->unless[u].f[F_EXE_CONTENT]);
	}
	return 0;
}

void copies_free(struct copies *c)
{
	free(c->progs);
	memset(c, 0, sizeof(*c));
}

/* A digest remembered for this program (identity and fingerprint), or NULL. */
static const struct copy_prog *seen(const struct copies *c, const struct proc_exe_info *info)
{
	for (size_t i = 0; i < c->n_seen; i++)
		if (ident_eq(&c->seen[i].id, &info->id) && c->seen[i].size == info->size &&
		    c->seen[i].head == info->head)
			return &c->seen[i];
	return NULL;
}

/* e's program through file, or /proc/PID/exe, checked to be it: an fd, or -errno. */
static int open_exe(const char *proc_root, const struct proc_entry *e, const char *file,
		    const struct proc_exe_info *info)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (file)
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%s/%u/exe", proc_root, e->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || (ident_known(&info->id) && (uint64_t)st.st_ino != info->id.ino)) {
		close(fd);
		return -ESTALE;	/* the pid runs another program now */
	}
	return fd;
}

/* The digest of e's program (remembered, or read now); 0 or -errno. */
static int digest_of(struct copies *c, const char *proc_root, const struct proc_entry *e,
		     const char *file, const struct proc_exe_info *info,
		     unsigned char out[COPIES_DIGEST])
{
	const struct copy_prog *s = seen(c, info);
	struct copy_prog *slot;
	int fd, rc;

	if (s) {
		memcpy(out, s->digest, COPIES_DIGEST);
		return 0;
	}
	fd = open_exe(proc_root, e, file, info);
	if (fd < 0)
		return fd;
	rc = digest_fd(fd, out);
	close(fd);
	if (rc)
		return rc;
	c->hashed++;
	slot = &c->seen[c->next_seen];
	c->next_seen = (c->next_seen + 1) % COPIES_SEEN;
	if (c->n_seen < COPIES_SEEN)
		c->n_seen++;
	*slot = (struct copy_prog){ .id = info->id, .size = info->size, .head = info->head };
	memcpy(slot->digest, out, COPIES_DIGEST);
	return 0;
}

/* Same fingerprint, another file (the program itself matches by identity). */
static int candidate(const struct copy_prog *p, const struct proc_exe_info *info)
{
	return info->head && p->head == info->head && p->size == info->size &&
	       !ident_eq(&p->id, &info->id);
}

size_t copies_find(struct copies *c, const char *proc_root, const struct proc_entry *e,
		   const char *file, struct proc_exe_info *info, struct ident *out, size_t max)
{
	unsigned char digest[COPIES_DIGEST];
	int any = 0, have;
	size_t n = 0;

	if (!c->n)
		return 0;
	if (!info->head) {	/* not from an exec record: read it from /proc */
		int fd = open_exe(proc_root, e, file, info);

		if (fd < 0)
			return 0;
		filter_exe_fingerprint(fd, &info->size, &info->head);
		close(fd);
	}
	for (size_t i = 0; i < c->n; i++)
		any |= candidate(&c->progs[i], info);
	if (!any)
		return 0;
	have = digest_of(c, proc_root, e, file, info, digest) == 0;
	for (size_t i = 0; i < c->n && n < max; i++) {
		/* unreadable now: the fingerprint decides (copies.h) */
		if (candidate(&c->progs[i], info) &&
		    (!have || memcmp(c->progs[i].digest, digest, COPIES_DIGEST) == 0))
			out[n++] = c->progs[i].id;
	}
	return n;
}
