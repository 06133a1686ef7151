/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events_read.c - audit files as lines, rotations, following (events_read.h).
 *
 * Streaming: one line in memory at a time.
 */
#include "cmd/events_read.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	GZ_BUFFER = 128 << 10,		/* zlib's input buffer */
	FOLLOW_SLEEP_US = 200 * 1000,	/* between two looks at a followed file */
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int reader_open(struct reader *r, const char *path)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->path = path;
	if (ends_with(path, ".gz")) {
		r->gz = gzopen(path, "rb");
		if (!r->gz)
			return errno ? -errno : -ENOMEM;
		gzbuffer(r->gz, GZ_BUFFER);
		return 0;
	}
	r->f = fopen(path, "rb");
	if (!r->f)
		return -errno;
	if (fstat(fileno(r->f), &st) == 0)
		r->ino = st.st_ino;
	return 0;
}

/* Refills r->buf: bytes read, 0 at the end for now. */
static size_t fill(struct reader *r)
{
	int n;

	r->pos = 0;
	if (r->gz) {
		n = gzread(r->gz, r->buf, sizeof(r->buf));
		r->end = n > 0 ? (size_t)n : 0;
	} else {
		r->end = fread(r->buf, 1, sizeof(r->buf), r->f);
		if (!r->end)
			clearerr(r->f);	/* at the end for now: --follow reads on */
	}
	return r->end;
}

/*
 * Byte-exact: a line is every byte up to its '\n', NUL bytes included, so
 * a NUL makes its own line malformed and never hides the next one.  Bytes
 * past EVENTS_LINE_MAX are dropped and the line marked overlong.
 */
int reader_next(struct reader *r, int final)
{
	if (r->done) {
		sbuf_reset(&r->line);
		r->done = r->overlong = 0;
	}
	for (;;) {
		const char *p, *nl;
		size_t n, room;

		if (r->pos == r->end && !fill(r))
			break;
		p = r->buf + r->pos;
		nl = memchr(p, '\n', r->end - r->pos);
		n = nl ? (size_t)(nl - p) : r->end - r->pos;
		room = EVENTS_LINE_MAX - r->line.len;
		if (n > room)
			r->overlong = 1;
		sbuf_add(&r->line, p, n > room ? room : n);
		r->pos += n + (nl != NULL);
		if (nl) {
			r->lineno++;
			r->done = 1;
			return 1;
		}
	}
	if (final && (r->line.len || r->overlong)) {
		r->lineno++;
		r->done = 1;
		return 1;
	}
	return 0;
}

void reader_close(struct reader *r)
{
	if (r->gz)
		gzclose(r->gz);
	if (r->f)
		fclose(r->f);
	sbuf_free(&r->line);
	memset(r, 0, sizeof(*r));
}

int reader_follow(struct reader *r, reader_line_fn on_line, void *ctx)
{
	for (;;) {
		struct stat st;
		int rc;

		while (reader_next(r, 0) == 1) {
			rc = on_line(r, ctx);
			if (rc)
				return rc;
		}
		fflush(stdout);
		usleep(FOLLOW_SLEEP_US);
		if (r->f && stat(r->path, &st) == 0 &&
		    (st.st_ino != r->ino || st.st_size < ftell(r->f))) {
			const char *path = r->path;

			while (reader_next(r, 1) == 1)	/* the rest of the old file */
				on_line(r, ctx);
			reader_close(r);
			if (reader_open(r, path))
				return -errno;
		}
	}
}

static int list_add(struct events_files *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], path) == 0)
			return 0;
	if (l->n == EVENTS_MAX_FILES)
		return -E2BIG;
	l->v[l->n] = strdup(path);
	return l->v[l->n++] ? 0 : -ENOMEM;
}

int events_files_add(struct events_files *l, const char *path)
{
	char buf[PATH_MAX];
	struct stat st;
	int last = 0, rc;

	for (int n = 1; n <= EVENTS_MAX_ROTATIONS; n++) {
		snprintf(buf, sizeof(buf), "%s.%d.gz", path, n);
		if (stat(buf, &st) == 0) {
			last = n;
			continue;
		}
		snprintf(buf, sizeof(buf), "%s.%d", path, n);
		if (stat(buf, &st) == 0)
			last = n;
		else
			break;
	}
	for (int n = last; n >= 1; n--) {
		snprintf(buf, sizeof(buf), "%s.%d.gz", path, n);
		if (stat(buf, &st) != 0)
			snprintf(buf, sizeof(buf), "%s.%d", path, n);
		rc = list_add(l, buf);
		if (rc)
			return rc;
	}
	return list_add(l, path);
}

void events_files_free(struct events_files *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}
