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
	CHUNK = 8192,			/* bytes read per call */
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

int reader_next(struct reader *r, int final)
{
	char chunk[CHUNK];

	for (;;) {
		size_t n;

		if (r->gz) {
			if (!gzgets(r->gz, chunk, sizeof(chunk)))
				break;
			n = strlen(chunk);	/* a NUL in a .gz line ends it: malformed anyway */
		} else {
			if (!fgets(chunk, sizeof(chunk), r->f)) {
				clearerr(r->f);
				break;
			}
			n = strlen(chunk);
		}
		sbuf_add(&r->line, chunk, n);
		if (n && chunk[n - 1] == '\n') {
			r->line.len--;
			r->lineno++;
			r->partial = 0;
			return 1;
		}
	}
	if (final && r->line.len) {
		r->lineno++;
		r->partial = 1;
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
			sbuf_reset(&r->line);
			if (rc)
				return rc;
		}
		fflush(stdout);
		usleep(FOLLOW_SLEEP_US);
		if (r->f && stat(r->path, &st) == 0 &&
		    (st.st_ino != r->ino || st.st_size < ftell(r->f))) {
			const char *path = r->path;

			while (reader_next(r, 1) == 1) {	/* the rest of the old file */
				on_line(r, ctx);
				sbuf_reset(&r->line);
			}
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
