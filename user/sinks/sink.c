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

#define STDOUT_BUF_MAX (64 * 1024)

/* A line sink takes exactly one line: non-empty, one '\n', at the end. */
static int check_line(const char *rec, size_t len)
{
	if (!len || rec[len - 1] != '\n' || memchr(rec, '\n', len - 1))
		return -EINVAL;
	return 0;
}

/* --- stdout: buffered, flushed by sink_flush() ------------------------------ */

struct stdout_priv {
	int fd;
	struct sbuf buf;
	uint64_t pending;	/* lines in buf */
};

static int stdout_flush(struct sink *s)
{
	struct stdout_priv *sp = s->priv;
	int err;

	if (!sp->buf.len)
		return 0;
	err = fd_write_all(sp->fd, sp->buf.p, sp->buf.len);
	if (err) {
		s->stats.errors++;
		s->stats.lines_lost += sp->pending;
	} else {
		s->stats.lines_written += sp->pending;
		s->stats.bytes += sp->buf.len;
	}
	sbuf_reset(&sp->buf);
	sp->pending = 0;
	return err;
}

static int stdout_write(struct sink *s, const char *rec, size_t len)
{
	struct stdout_priv *sp = s->priv;
	int err = check_line(rec, len);

	if (err)
		return err;
	sbuf_add(&sp->buf, rec, len);
	if (sbuf_err(&sp->buf)) {
		/* cannot grow: put out what is buffered, then this line directly */
		sp->buf.err = 0;
		err = stdout_flush(s);
		if (err)
			return err;
		err = fd_write_all(sp->fd, rec, len);
		if (err) {
			s->stats.errors++;
			s->stats.lines_lost++;
			return err;
		}
		s->stats.lines_written++;
		s->stats.bytes += len;
		return 0;
	}
	sp->pending++;
	if (sp->buf.len >= STDOUT_BUF_MAX)
		return stdout_flush(s);
	return 0;
}

static int stdout_reopen(struct sink *s)
{
	return 0;
}

static int stdout_close(struct sink *s)
{
	struct stdout_priv *sp = s->priv;
	int err;

	if (!sp)
		return 0;
	err = stdout_flush(s);
	sbuf_free(&sp->buf);
	free(sp);
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
 * costs one write(2) per JSONL_BUF_MAX bytes instead of one per line; every
 * write holds whole lines only (concurrent O_APPEND writers never tear one).
 */
#define JSONL_BUF_MAX (64 * 1024)

#define JSONL_OPEN_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)
#define JSONL_MODE 0600

static uint64_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_size;
}

struct jsonl_priv {
	int fd;
	char *path;
	/* rotation (max_size 0: off) */
	uint64_t max_size;
	unsigned keep;
	uint64_t size;		/* bytes in the current file */
	struct sbuf buf;	/* lines not written yet */
	uint64_t pending;	/* lines in buf */
	pthread_t gz;		/* compresses PATH.1 into PATH.1.gz */
	int gz_running;
};

/* gzip SRC into DST (via DST.tmp, renamed when complete), then unlink SRC. */
struct gz_job {
	char *src, *dst;
};

static void *gzip_file(void *arg)
{
	struct gz_job *j = arg;
	char buf[65536], tmp[PATH_MAX + 8];
	gzFile g;
	ssize_t n;
	int in, ok = 1;

	snprintf(tmp, sizeof(tmp), "%s.tmp", j->dst);
	in = open(j->src, O_RDONLY | O_CLOEXEC);
	g = in >= 0 ? gzopen(tmp, "wb") : NULL;
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

/*
 * PATH -> PATH.1 (compressed to PATH.1.gz by a thread), PATH.i.gz ->
 * PATH.i+1.gz, the one past keep removed; a new PATH is opened.  Runs
 * between two lines, so no line is ever split across files.
 */
static int jsonl_rotate(struct sink *s)
{
	struct jsonl_priv *jp = s->priv;
	char from[PATH_MAX + 32], to[PATH_MAX + 32];
	struct gz_job *j;
	int fd;

	gz_wait(jp);
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
	fd = open(jp->path, JSONL_OPEN_FLAGS, JSONL_MODE);
	if (fd < 0)
		return -errno;
	close(jp->fd);
	jp->fd = fd;
	jp->size = 0;
	j = calloc(1, sizeof(*j));
	if (j) {
		j->src = strdup(to);
		snprintf(from, sizeof(from), "%s.1.gz", jp->path);
		j->dst = strdup(from);
		if (j->src && j->dst && !pthread_create(&jp->gz, NULL, gzip_file, j)) {
			jp->gz_running = 1;
			return 0;
		}
		free(j->src);
		free(j->dst);
		free(j);
	}
	return 0;	/* PATH.1 stays uncompressed */
}

static int jsonl_flush(struct sink *s)
{
	struct jsonl_priv *jp = s->priv;
	int err;

	if (!jp->buf.len)
		return 0;
	err = fd_write_all(jp->fd, jp->buf.p, jp->buf.len);
	if (err) {
		s->stats.errors++;
		s->stats.lines_lost += jp->pending;
	} else {
		jp->size += jp->buf.len;
		s->stats.lines_written += jp->pending;
		s->stats.bytes += jp->buf.len;
	}
	sbuf_reset(&jp->buf);
	jp->pending = 0;
	return err;
}

static int jsonl_write(struct sink *s, const char *rec, size_t len)
{
	struct jsonl_priv *jp = s->priv;
	int err = check_line(rec, len);

	if (err)
		return err;
	if (jp->max_size && jp->size + jp->buf.len && jp->size + jp->buf.len + len > jp->max_size) {
		/* rotation happens between lines: what is gathered goes to the old file */
		jsonl_flush(s);
		if (jsonl_rotate(s))
			s->stats.errors++;	/* keep writing to the file we have */
	}
	sbuf_add(&jp->buf, rec, len);
	if (sbuf_err(&jp->buf)) {
		/* cannot grow: put out what is gathered, then this line directly */
		jp->buf.err = 0;
		jsonl_flush(s);
		err = fd_write_all(jp->fd, rec, len);
		if (err) {
			s->stats.errors++;
			s->stats.lines_lost++;
			return err;
		}
		jp->size += len;
		s->stats.lines_written++;
		s->stats.bytes += len;
		return 0;
	}
	jp->pending++;
	if (jp->buf.len >= JSONL_BUF_MAX)
		return jsonl_flush(s);
	return 0;
}

static int jsonl_reopen(struct sink *s)
{
	struct jsonl_priv *jp = s->priv;
	int fd;

	jsonl_flush(s);	/* what was gathered belongs to the old file */
	fd = open(jp->path, JSONL_OPEN_FLAGS, JSONL_MODE);
	if (fd < 0) {
		/* keep writing to the old file rather than nowhere */
		s->stats.errors++;
		return -errno;
	}
	close(jp->fd);
	jp->fd = fd;
	jp->size = file_size(fd);
	return 0;
}

static int jsonl_close(struct sink *s)
{
	struct jsonl_priv *jp = s->priv;
	int err = 0;

	if (!jp)
		return 0;
	err = jsonl_flush(s);
	gz_wait(jp);
	if (close(jp->fd) && errno != EINTR && !err)
		err = -errno;
	sbuf_free(&jp->buf);
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
	struct stdout_priv *sp = calloc(1, sizeof(*sp));

	if (!sp)
		return -ENOMEM;
	sp->fd = STDOUT_FILENO;
	s->priv = sp;
	return 0;
}

/*
 * jsonl options follow the path after a comma that starts a known option
 * (",max-size=", ",keep="), so a path with other commas still works.
 */
static const char *jsonl_opts_start(const char *arg)
{
	for (const char *c = strchr(arg, ','); c; c = strchr(c + 1, ','))
		if (!strncmp(c + 1, "max-size=", 9) || !strncmp(c + 1, "keep=", 5))
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
			if (size_parse(eq, 1ull << 50, &jp->max_size))
				goto bad;
		} else if (eq && !strcmp(opt, "keep")) {
			errno = 0;
			k = strtoul(eq, &endp, 10);
			if (errno || *endp || *eq < '1' || *eq > '9' || k > 1000)
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
	jp->keep = 5;
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
	jp->fd = open(path, JSONL_OPEN_FLAGS, JSONL_MODE);
	if (jp->fd < 0) {
		ret = -errno;
		errbuf_set(err, errlen, "output '%s': open %s: %s", s->name, path, strerror(-ret));
		goto free_path;
	}
	jp->size = file_size(jp->fd);
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
