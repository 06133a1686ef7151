/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink.c - output sinks: the generic verbs, spec parsing, and the two line
 * sinks (`stdout`, `jsonl:PATH`).  See sink.h for who calls what.
 */
#include "sinks/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/fdio.h"
#include "base/size.h"
#include "base/sbuf.h"
#include "sinks/forward.h"

enum {
	/* gathered lines are written once a poll round, or when this many bytes wait */
	LINES_BUF_MAX = 64 * 1024,
	JSONL_MODE = 0600,
	JSONL_KEEP_DEFAULT = 5,		/* rotated files kept */
	JSONL_KEEP_MAX = 1000,
	GZIP_COPY_BUF = 64 * 1024,
};
#define JSONL_MAX_SIZE_MAX	(1ull << 50)	/* max-size, bytes */
#define JSONL_OPEN_FLAGS	(O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)

/* A line sink takes exactly one line: non-empty, one '\n', at the end. */
static int check_line(const char *rec, size_t len)
{
	if (!len || rec[len - 1] != '\n' || memchr(rec, '\n', len - 1))
		return -EINVAL;
	return 0;
}

/* --- whole lines gathered for one write(2), shared by stdout and jsonl ------- */

struct lines {
	int fd;
	struct sbuf buf;	/* lines not written yet */
	uint64_t pending;	/* lines in buf */
	uint64_t size;		/* bytes written to fd (jsonl: of the current file) */
};

static int lines_flush(struct sink *s, struct lines *l)
{
	int err;

	if (!l->buf.len)
		return 0;
	err = fd_write_all(l->fd, l->buf.p, l->buf.len);
	if (err) {
		s->stats.errors++;
		s->stats.lines_lost += l->pending;
	} else {
		l->size += l->buf.len;
		s->stats.lines_written += l->pending;
		s->stats.bytes += l->buf.len;
	}
	sbuf_reset(&l->buf);
	l->pending = 0;
	return err;
}

/* Writes one line directly, past the buffer. */
static int lines_put(struct sink *s, struct lines *l, const char *rec, size_t len)
{
	int err = fd_write_all(l->fd, rec, len);

	if (err) {
		s->stats.errors++;
		s->stats.lines_lost++;
		return err;
	}
	l->size += len;
	s->stats.lines_written++;
	s->stats.bytes += len;
	return 0;
}

/* Gathers one line: 0, or -ENOMEM when the buffer cannot grow (the line is
 * not in it then, and the buffer takes lines again). */
static int lines_gather(struct lines *l, const char *rec, size_t len)
{
	sbuf_add(&l->buf, rec, len);
	if (sbuf_err(&l->buf)) {
		l->buf.err = 0;
		return -ENOMEM;
	}
	l->pending++;
	return 0;
}

/* --- stdout: buffered, flushed by sink_flush() ------------------------------ */

static int stdout_flush(struct sink *s)
{
	return lines_flush(s, s->priv);
}

static int stdout_write(struct sink *s, const char *rec, size_t len)
{
	struct lines *l = s->priv;
	int err = check_line(rec, len);

	if (err)
		return err;
	if (!lines_gather(l, rec, len))
		return l->buf.len >= LINES_BUF_MAX ? lines_flush(s, l) : 0;
	/* cannot grow: put out what is buffered, then this line directly */
	err = lines_flush(s, l);
	if (err)
		return err;
	return lines_put(s, l, rec, len);
}

static int stdout_reopen(struct sink *s)
{
	return 0;
}

static int stdout_close(struct sink *s)
{
	struct lines *l = s->priv;
	int err;

	if (!l)
		return 0;
	err = lines_flush(s, l);
	sbuf_free(&l->buf);
	free(l);
	s->priv = NULL;
	return err;
}

static const struct sink_ops stdout_ops = {
	.kind = "stdout",
	.write = stdout_write,
	.flush = stdout_flush,
	.reopen = stdout_reopen,
	.close = stdout_close,
};

/* --- jsonl:PATH: lines gathered, one write(2) per flush, O_APPEND --------------- */
/*
 * The agent flushes after each poll round of the ring buffer, so a burst
 * costs one write(2) per LINES_BUF_MAX bytes instead of one per line; every
 * write holds whole lines only (concurrent O_APPEND writers never tear one).
 */

static uint64_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_size;
}

struct jsonl_priv {
	struct lines l;
	char *path;
	/* rotation (max_size 0: off) */
	uint64_t max_size;
	unsigned keep;
	pthread_t gz;		/* compresses PATH.1 into PATH.1.gz */
	int gz_running;
};

/*
 * A file created for the live file's successor (the new PATH, PATH.1.gz):
 * the mode and owner of the file it replaces (st), whatever the umask, so
 * a rotation never widens (or narrows) who may read the records.
 */
static int open_like(const char *path, int flags, const struct stat *st)
{
	int fd = open(path, flags, st->st_mode & 07777);

	if (fd < 0)
		return -errno;
	/* best effort: an unprivileged agent keeps its own ownership */
	if (fchown(fd, st->st_uid, st->st_gid) && errno != EPERM) {
		close(fd);
		return -errno;
	}
	if (fchmod(fd, st->st_mode & 07777)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* gzip SRC into DST (via DST.tmp, renamed when complete), then unlink SRC. */
struct gz_job {
	char *src, *dst;
};

/* DST.tmp for writing, with SRC's mode and owner; a gzFile or NULL */
static gzFile gz_create(int in, const char *tmp)
{
	struct stat st;
	gzFile g;
	int fd;

	if (fstat(in, &st))
		return NULL;
	fd = open_like(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, &st);
	if (fd < 0)
		return NULL;
	g = gzdopen(fd, "wb");
	if (!g)
		close(fd);
	return g;
}

static void *gzip_file(void *arg)
{
	struct gz_job *j = arg;
	char buf[GZIP_COPY_BUF], tmp[PATH_MAX + 8];
	gzFile g;
	ssize_t n;
	int in, ok = 1;

	snprintf(tmp, sizeof(tmp), "%s.tmp", j->dst);
	in = open(j->src, O_RDONLY | O_CLOEXEC);
	g = in >= 0 ? gz_create(in, tmp) : NULL;
	if (!g) {
		ok = 0;
	} else {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (gzwrite(g, buf, (unsigned)n) != (int)n) {
				ok = 0;
				break;
			}
		if (n < 0)
			ok = 0;
		if (gzclose(g) != Z_OK)
			ok = 0;
	}
	if (in >= 0)
		close(in);
	if (ok && !rename(tmp, j->dst))
		unlink(j->src);
	else
		unlink(tmp);	/* PATH.1 stays, uncompressed: nothing is lost */
	free(j->src);
	free(j->dst);
	free(j);
	return NULL;
}

static void gz_wait(struct jsonl_priv *jp)
{
	if (jp->gz_running) {
		pthread_join(jp->gz, NULL);
		jp->gz_running = 0;
	}
}

/* Starts compressing PATH.1 to PATH.1.gz; when it cannot, PATH.1 stays. */
static void gz_start(struct jsonl_priv *jp, const char *src)
{
	struct gz_job *j = calloc(1, sizeof(*j));
	char dst[PATH_MAX + 32];

	if (!j)
		return;
	j->src = strdup(src);
	snprintf(dst, sizeof(dst), "%s.1.gz", jp->path);
	j->dst = strdup(dst);
	if (j->src && j->dst && !pthread_create(&jp->gz, NULL, gzip_file, j)) {
		jp->gz_running = 1;
		return;
	}
	free(j->src);
	free(j->dst);
	free(j);
}

/*
 * PATH -> PATH.1 (compressed to PATH.1.gz by a thread), PATH.i.gz ->
 * PATH.i+1.gz, the one past keep removed; a new PATH is opened.  Runs
 * between two lines, so no line is ever split across files.
 */
static int jsonl_rotate(struct sink *s)
{
	struct jsonl_priv *jp = s->priv;
	char from[PATH_MAX + 32], to[PATH_MAX + 32];
	struct stat live;
	int fd;

	gz_wait(jp);
	if (fstat(jp->l.fd, &live))
		return -errno;
	snprintf(to, sizeof(to), "%s.%u.gz", jp->path, jp->keep);
	unlink(to);
	for (unsigned i = jp->keep; i > 1; i--) {
		snprintf(from, sizeof(from), "%s.%u.gz", jp->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u.gz", jp->path, i);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", jp->path);
	if (rename(jp->path, to))
		return -errno;
	fd = open_like(jp->path, JSONL_OPEN_FLAGS, &live);
	if (fd < 0)
		return fd;
	close(jp->l.fd);
	jp->l.fd = fd;
	jp->l.size = 0;
	gz_start(jp, to);
	return 0;
}

static int jsonl_flush(struct sink *s)
{
	struct jsonl_priv *jp = s->priv;

	return lines_flush(s, &jp->l);
}

static int jsonl_write(struct sink *s, const char *rec, size_t len)
{
	struct jsonl_priv *jp = s->priv;
	struct lines *l = &jp->l;
	int err = check_line(rec, len);

	if (err)
		return err;
	if (jp->max_size && l->size + l->buf.len && l->size + l->buf.len + len > jp->max_size) {
		/* rotation happens between lines: what is gathered goes to the old file */
		lines_flush(s, l);
		if (jsonl_rotate(s))
			s->stats.errors++;	/* keep writing to the file we have */
	}
	if (!lines_gather(l, rec, len))
		return l->buf.len >= LINES_BUF_MAX ? lines_flush(s, l) : 0;
	/* cannot grow: put out what is gathered, then this line directly */
	lines_flush(s, l);
	return lines_put(s, l, rec, len);
}

static int jsonl_reopen(struct sink *s)
{
	struct jsonl_priv *jp = s->priv;
	int fd;

	lines_flush(s, &jp->l);	/* what was gathered belongs to the old file */
	fd = open(jp->path, JSONL_OPEN_FLAGS, JSONL_MODE);
	if (fd < 0) {
		/* keep writing to the old file rather than nowhere */
		s->stats.errors++;
		return -errno;
	}
	close(jp->l.fd);
	jp->l.fd = fd;
	jp->l.size = file_size(fd);
	return 0;
}

static int jsonl_close(struct sink *s)
{
	struct jsonl_priv *jp = s->priv;
	int err = 0;

	if (!jp)
		return 0;
	err = lines_flush(s, &jp->l);
	gz_wait(jp);
	if (close(jp->l.fd) && errno != EINTR && !err)
		err = -errno;
	sbuf_free(&jp->l.buf);
	free(jp->path);
	free(jp);
	s->priv = NULL;
	return err;
}

static const struct sink_ops jsonl_ops = {
	.kind = "jsonl",
	.write = jsonl_write,
	.flush = jsonl_flush,
	.reopen = jsonl_reopen,
	.close = jsonl_close,
};

/* --- opening ------------------------------------------------------------------ */

static int open_stdout(struct sink *s)
{
	struct lines *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->fd = STDOUT_FILENO;
	s->priv = l;
	return 0;
}

/*
 * jsonl options follow the path after a comma that starts a known option
 * (",max-size=", ",keep="), so a path with other commas still works.
 */
static const char *jsonl_opts_start(const char *arg)
{
	for (const char *c = strchr(arg, ','); c; c = strchr(c + 1, ','))
		if (!strncmp(c + 1, "max-size=", strlen("max-size=")) ||
		    !strncmp(c + 1, "keep=", strlen("keep=")))
			return c;
	return NULL;
}

static int jsonl_options(struct sink *s, struct jsonl_priv *jp, const char *opts,
			 char *err, size_t errlen)
{
	char *copy = strdup(opts), *opt, *save;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(opt, '=');
		char *endp;
		unsigned long k;

		if (eq)
			*eq++ = '\0';
		if (eq && !strcmp(opt, "max-size")) {
			if (size_parse(eq, JSONL_MAX_SIZE_MAX, &jp->max_size))
				goto bad;
		} else if (eq && !strcmp(opt, "keep")) {
			errno = 0;
			k = strtoul(eq, &endp, 10);
			if (errno || *endp || *eq < '1' || *eq > '9' || k > JSONL_KEEP_MAX)
				goto bad;
			jp->keep = (unsigned)k;
		} else {
			errbuf_set(err, errlen, "output '%s': unknown jsonl option '%s' "
				"(expected max-size=BYTES or keep=N)", s->name, opt);
			ret = -EINVAL;
			break;
		}
		continue;
bad:
		errbuf_set(err, errlen, "output '%s': bad value '%s' for option '%s'", s->name,
			eq, opt);
		ret = -EINVAL;
		break;
	}
	free(copy);
	return ret;
}

static int open_jsonl(struct sink *s, const char *arg, char *err, size_t errlen)
{
	struct jsonl_priv *jp = calloc(1, sizeof(*jp));
	const char *opts = jsonl_opts_start(arg);
	const char *path;
	int ret;

	if (!jp)
		return -ENOMEM;
	jp->keep = JSONL_KEEP_DEFAULT;
	jp->path = opts ? strndup(arg, (size_t)(opts - arg)) : strdup(arg);
	if (!jp->path) {
		ret = -ENOMEM;
		goto free_priv;
	}
	path = jp->path;
	if (opts) {
		ret = jsonl_options(s, jp, opts + 1, err, errlen);
		if (ret)
			goto free_path;
	}
	jp->l.fd = open(path, JSONL_OPEN_FLAGS, JSONL_MODE);
	if (jp->l.fd < 0) {
		ret = -errno;
		errbuf_set(err, errlen, "output '%s': open %s: %s", s->name, path, strerror(-ret));
		goto free_path;
	}
	jp->l.size = file_size(jp->l.fd);
	s->priv = jp;
	return 0;

free_path:
	free(jp->path);
free_priv:
	free(jp);
	return ret;
}

int sink_open(const char *spec, struct sink **out, char *err, size_t errlen)
{
	struct sink *s;
	int ret;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->name = strdup(spec);
	if (!s->name) {
		ret = -ENOMEM;
		goto free_sink;
	}
	s->format = SINK_FMT_JSONL;

	if (!strcmp(spec, "stdout")) {
		s->ops = &stdout_ops;
		ret = open_stdout(s);
	} else if (!strncmp(spec, "jsonl:", 6)) {
		if (!spec[6]) {
			errbuf_set(err, errlen, "output '%s': jsonl needs a path (jsonl:PATH)", spec);
			ret = -EINVAL;
			goto free_name;
		}
		s->ops = &jsonl_ops;
		ret = open_jsonl(s, spec + 6, err, errlen);
	} else if (!strncmp(spec, "forward:", 8)) {
		ret = forward_open(s, spec + 8, err, errlen);
	} else {
		errbuf_set(err, errlen,
			"output '%s': unknown sink (expected stdout, jsonl:PATH or forward:HOST:PORT)",
			spec);
		ret = -EINVAL;
		goto free_name;
	}
	if (ret) {
		if (ret == -ENOMEM)
			errbuf_set(err, errlen, "output '%s': out of memory", spec);
		goto free_name;
	}
	*out = s;
	return 0;

free_name:
	free(s->name);
free_sink:
	free(s);
	return ret;
}

int sink_write(struct sink *s, const char *rec, size_t len)
{
	return s->ops->write(s, rec, len);
}

int sink_flush(struct sink *s)
{
	return s->ops->flush(s);
}

int sink_reopen(struct sink *s)
{
	return s->ops->reopen(s);
}

int sink_close(struct sink *s)
{
	int err, err2;

	if (!s)
		return 0;
	err = s->ops->flush(s);
	err2 = s->ops->close(s);
	free(s->name);
	free(s);
	return err ? err : err2;
}

const char *sink_name(const struct sink *s)
{
	return s->name;
}

void sink_get_stats(const struct sink *s, struct sink_stats *out)
{
	if (s->ops->get_stats) {
		s->ops->get_stats(s, out);
		return;
	}
	*out = s->stats;
}
