/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mounts.c - the agent's mount table (mounts.h).
 */
#include "host/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/vec.h"

void mounts_init(struct mounts *m)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

static void clear_entries(struct mounts *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].root);
		free(m->v[i].point);
	}
	m->n = 0;
}

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* One line "ID PARENT MAJ:MIN ROOT POINT ...": 0 added, 1 skipped, -ENOMEM. */
static int parse_line(struct mounts *m, char *line)
{
	unsigned int maj, min;
	char *root, *point;
	int at_root = 0, at_point = 0;
	struct mount_entry *e;

	if (sscanf(line, "%*d %*d %u:%u %n%*s %n%*s", &maj, &min, &at_root, &at_point) < 2 ||
	    !at_point)
		return 1;
	root = line + at_root;
	point = line + at_point;
	root[strcspn(root, " ")] = '\0';
	point[strcspn(point, " \n")] = '\0';
	unescape_octal(root);
	unescape_octal(point);
	if (vec_grow((void **)&m->v, m->n, &m->cap, sizeof(*m->v)))
		return -ENOMEM;
	e = &m->v[m->n];
	e->dev = ((uint64_t)maj << 20) | min;
	e->root = strdup(root);
	e->point = strdup(point);
	if (!e->root || !e->point) {
		free(e->root);
		free(e->point);
		return -ENOMEM;
	}
	m->n++;
	return 0;
}

int mounts_parse(struct mounts *m, const char *text, size_t len)
{
	char *copy = malloc(len + 1), *line, *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	clear_entries(m);
	for (line = strtok_r(copy, "\n", &save); line && rc >= 0;
	     line = strtok_r(NULL, "\n", &save))
		rc = parse_line(m, line);
	free(copy);
	return rc < 0 ? rc : 0;
}

/* Reads the whole file at fd (from its start) and parses it. */
static int read_fd(struct mounts *m, int fd)
{
	struct sbuf text = SBUF_INIT;
	char buf[8192];
	ssize_t n;
	int rc;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sbuf_add(&text, buf, (size_t)n);
	rc = n < 0 ? -errno : sbuf_err(&text);
	if (!rc)
		rc = mounts_parse(m, text.p ? text.p : "", text.len);
	sbuf_free(&text);
	return rc;
}

int mounts_load(struct mounts *m, const char *mountinfo)
{
	const char *path = mountinfo ? mountinfo : "/proc/self/mountinfo";

	if (m->fd >= 0)
		close(m->fd);
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	m->checked_ms = now_ms();
	return read_fd(m, m->fd);
}

int mounts_refresh(struct mounts *m, uint64_t interval_ms)
{
	struct pollfd p;
	int rc;

	if (m->fd < 0)
		return 0;
	if (interval_ms && now_ms() - m->checked_ms < interval_ms)
		return 0;
	m->checked_ms = now_ms();
	/* proc(5): the mountinfo file polls POLLPRI once the table changed */
	p.fd = m->fd;
	p.events = POLLPRI;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLPRI | POLLERR)))
		return 0;
	rc = read_fd(m, m->fd);
	return rc ? rc : 1;
}

/* Does the filesystem path fspath[0..len) lie at or below root? */
static int root_holds(const char *root, const char *fspath, size_t len, size_t *rest)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		n = 0;
	if (n > len || memcmp(root, fspath, n) != 0 || (n < len && fspath[n] != '/'))
		return 0;
	*rest = n;
	return 1;
}

int mounts_host_path(const struct mounts *m, uint64_t dev, const char *fspath, size_t len,
		     struct sbuf *out)
{
	const struct mount_entry *best = NULL;
	size_t best_root = 0, skip = 0;

	for (size_t i = 0; i < m->n; i++) {
		size_t r;

		if (m->v[i].dev != dev || !root_holds(m->v[i].root, fspath, len, &r))
			continue;
		if (!best || r < best_root) {
			best = &m->v[i];
			best_root = r;
		}
	}
	if (!best)
		return -ENOENT;
	skip = best_root;
	if (strcmp(best->point, "/") != 0)
		sbuf_adds(out, best->point);
	else if (skip == len)
		sbuf_addc(out, '/');
	sbuf_add(out, fspath + skip, len - skip);
	return sbuf_err(out);
}

int mounts_sb_dev(const struct mounts *m, const char *real, uint64_t *dev)
{
	size_t best = 0;
	int found = 0;

	for (size_t i = 0; i < m->n; i++) {
		const char *mp = m->v[i].point;
		size_t n = strcmp(mp, "/") == 0 ? 0 : strlen(mp);

		if (n && (strncmp(real, mp, n) != 0 || (real[n] != '/' && real[n] != '\0')))
			continue;
		/* the deepest mount point wins; among equals the later (on top) */
		if (!found || n >= best) {
			best = n;
			*dev = m->v[i].dev;
			found = 1;
		}
	}
	return found ? 0 : -ENOENT;
}

void mounts_free(struct mounts *m)
{
	clear_entries(m);
	free(m->v);
	if (m->fd >= 0)
		close(m->fd);
	mounts_init(m);
}
