/* SPDX-License-Identifier: Apache-2.0 */
/* spool.c - see spool.h for the file format and the guarantees. */
#include "sinks/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/fdio.h"

#define HDR 8

struct spool {
	char *dir;
	int fd, pos_fd;
	uint64_t ino;
	uint64_t max_bytes;
	uint64_t end;		/* size of spool.dat */
	/* offsets of live records, [first, n_off) */
	uint64_t *off;
	size_t first, n_off, cap;
};

static void be16(unsigned char *p, unsigned v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}
static unsigned rd16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* mkdir -p, mode 0700; 0 or -1 with errno */
static int mkdir_p(char *dir)
{
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(dir, 0700);
}

static uint64_t live_start(const struct spool *sp)
{
	return sp->first < sp->n_off ? sp->off[sp->first] : sp->end;
}

size_t spool_count(const struct spool *sp)
{
	return sp->n_off - sp->first;
}

static int push_off(struct spool *sp, uint64_t o)
{
	if (sp->first && sp->first == sp->n_off) {
		sp->first = sp->n_off = 0;
	} else if (sp->first > 4096 && sp->first * 2 > sp->n_off) {
		memmove(sp->off, sp->off + sp->first, (sp->n_off - sp->first) * sizeof(*sp->off));
		sp->n_off -= sp->first;
		sp->first = 0;
	}
	if (sp->n_off == sp->cap) {
		size_t nc = sp->cap ? sp->cap * 2 : 1024;
		uint64_t *n = realloc(sp->off, nc * sizeof(*n));

		if (!n)
			return -ENOMEM;
		sp->off = n;
		sp->cap = nc;
	}
	sp->off[sp->n_off++] = o;
	return 0;
}

static int write_pos(struct spool *sp)
{
	unsigned char b[16];
	uint64_t o = live_start(sp);

	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(sp->ino >> (56 - 8 * i));
		b[8 + i] = (unsigned char)(o >> (56 - 8 * i));
	}
	return pwrite(sp->pos_fd, b, 16, 0) == 16 ? 0 : -EIO;
}

static int path_in(const struct spool *sp, const char *name, char *buf, size_t size)
{
	return snprintf(buf, size, "%s/%s", sp->dir, name) < (int)size ? 0 : -ENAMETOOLONG;
}

/* Reads the record header at o; 0 and its total size, or -EINVAL if torn/bad. */
static int rec_size(struct spool *sp, uint64_t o, uint64_t *size)
{
	unsigned char h[HDR];

	if (o + HDR > sp->end || pread(sp->fd, h, HDR, (off_t)o) != HDR)
		return -EINVAL;
	if (h[0] != 'C' || h[1] != 'S')
		return -EINVAL;
	*size = HDR + rd16(h + 2) + (uint64_t)rd32(h + 4);
	if (o + *size > sp->end)
		return -EINVAL;
	return 0;
}

/* Copies the live records to a new spool.dat when the dead prefix is large. */
static int compact(struct spool *sp)
{
	char dat[512], tmp[512];
	uint64_t start = live_start(sp), o;
	struct stat st;
	char buf[65536];
	int fd;

	if (path_in(sp, "spool.dat", dat, sizeof(dat)) || path_in(sp, "spool.tmp", tmp, sizeof(tmp)))
		return -ENAMETOOLONG;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (o = start; o < sp->end;) {
		size_t want = sp->end - o > sizeof(buf) ? sizeof(buf) : (size_t)(sp->end - o);
		ssize_t r = pread(sp->fd, buf, want, (off_t)o);

		if (r <= 0 || write(fd, buf, (size_t)r) != r) {
			close(fd);
			unlink(tmp);
			return -EIO;
		}
		o += (uint64_t)r;
	}
	if (fstat(fd, &st) || rename(tmp, dat)) {
		close(fd);
		unlink(tmp);
		return -errno;
	}
	close(sp->fd);
	sp->fd = fd;
	sp->ino = (uint64_t)st.st_ino;
	for (size_t i = sp->first; i < sp->n_off; i++)
		sp->off[i] -= start;
	sp->end -= start;
	return write_pos(sp);
}

int spool_append(struct spool *sp, const char *tag, const void *data, size_t len,
		 uint64_t *dropped)
{
	size_t tl = strlen(tag);
	uint64_t size = HDR + tl + len;
	unsigned char h[HDR];
	struct iovec iov[3];
	int err;

	*dropped = 0;
	if (tl > 0xffff || len > 0xffffffffu || size > sp->max_bytes)
		return -EFBIG;
	while (spool_count(sp) && sp->end - live_start(sp) + size > sp->max_bytes) {
		sp->first++;
		(*dropped)++;
	}
	if (*dropped) {
		write_pos(sp);
		if (live_start(sp) > sp->max_bytes / 2)
			compact(sp);
	} else if (!spool_count(sp) && sp->end) {
		/* everything was consumed: start the file over */
		if (ftruncate(sp->fd, 0))
			return -errno;
		sp->end = 0;
		sp->first = sp->n_off = 0;
		write_pos(sp);
	}
	h[0] = 'C';
	h[1] = 'S';
	be16(h + 2, (unsigned)tl);
	be32(h + 4, (uint32_t)len);
	iov[0] = (struct iovec){ h, HDR };
	iov[1] = (struct iovec){ (void *)tag, tl };
	iov[2] = (struct iovec){ (void *)data, len };
	if (pwritev(sp->fd, iov, 3, (off_t)sp->end) != (ssize_t)size) {
		err = -errno;
		if (ftruncate(sp->fd, (off_t)sp->end)) { /* keep the file whole */ }
		return err ? err : -EIO;
	}
	err = push_off(sp, sp->end);
	if (err)
		return err;
	sp->end += size;
	return 0;
}

int spool_peek(struct spool *sp, struct spool_rec *recs, size_t max, size_t max_bytes,
	       size_t *n)
{
	size_t k = 0, bytes = 0;

	*n = 0;
	for (size_t i = sp->first; i < sp->n_off && k < max; i++) {
		unsigned char h[HDR];
		uint64_t o = sp->off[i];
		size_t tl, len;
		struct spool_rec r;

		if (pread(sp->fd, h, HDR, (off_t)o) != HDR)
			goto fail;
		tl = rd16(h + 2);
		len = rd32(h + 4);
		if (k && bytes + len > max_bytes)
			break;
		r.tag = malloc(tl + 1);
		r.data = malloc(len ? len : 1);
		r.len = len;
		if (!r.tag || !r.data ||
		    pread(sp->fd, r.tag, tl, (off_t)(o + HDR)) != (ssize_t)tl ||
		    pread(sp->fd, r.data, len, (off_t)(o + HDR + tl)) != (ssize_t)len) {
			free(r.tag);
			free(r.data);
			goto fail;
		}
		r.tag[tl] = '\0';
		if (k && strcmp(r.tag, recs[0].tag)) {
			free(r.tag);
			free(r.data);
			break;
		}
		recs[k++] = r;
		bytes += len;
	}
	*n = k;
	return 0;
fail:
	while (k--) {
		free(recs[k].tag);
		free(recs[k].data);
	}
	return -EIO;
}

int spool_consume(struct spool *sp, size_t n)
{
	if (n > spool_count(sp))
		n = spool_count(sp);
	sp->first += n;
	return write_pos(sp);
}

int spool_open(const char *dir, uint64_t max_bytes, struct spool **out, char *err,
	       size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	char dat[512], pos[512];
	unsigned char b[16];
	struct stat st;
	uint64_t o = 0, pino = 0, size;
	int ret;

	*out = NULL;
	if (!sp)
		return -ENOMEM;
	sp->fd = sp->pos_fd = -1;
	sp->max_bytes = max_bytes;
	sp->dir = strdup(dir);
	if (!sp->dir) {
		ret = -ENOMEM;
		goto fail;
	}
	if (mkdir_p(sp->dir) && errno != EEXIST) {
		ret = -errno;
		errbuf_set(err, errlen, "spool %s: cannot create it: %s", dir, strerror(-ret));
		goto fail;
	}
	if (path_in(sp, "spool.dat", dat, sizeof(dat)) || path_in(sp, "spool.pos", pos, sizeof(pos))) {
		ret = -ENAMETOOLONG;
		errbuf_set(err, errlen, "spool %s: path too long", dir);
		goto fail;
	}
	sp->fd = open(dat, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	sp->pos_fd = open(pos, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->fd < 0 || sp->pos_fd < 0 || fstat(sp->fd, &st)) {
		ret = -errno;
		errbuf_set(err, errlen, "spool %s: cannot open it: %s", dir, strerror(-ret));
		goto fail;
	}
	sp->ino = (uint64_t)st.st_ino;
	sp->end = (uint64_t)st.st_size;
	if (pread(sp->pos_fd, b, 16, 0) == 16) {
		for (int i = 0; i < 8; i++) {
			pino = pino << 8 | b[i];
			o = o << 8 | b[8 + i];
		}
	}
	/* an offset that belongs to another file means: everything is live */
	if (pino != sp->ino || o > sp->end)
		o = 0;
	while (o < sp->end && !rec_size(sp, o, &size)) {
		ret = push_off(sp, o);
		if (ret)
			goto fail;
		o += size;
	}
	if (o < sp->end) {
		/* a record cut short by a crash */
		if (ftruncate(sp->fd, (off_t)o)) { /* read-only disk: records stay */ }
		sp->end = o;
	}
	write_pos(sp);
	*out = sp;
	return 0;
fail:
	spool_close(sp);
	return ret;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->pos_fd >= 0)
		close(sp->pos_fd);
	free(sp->off);
	free(sp->dir);
	free(sp);
}
