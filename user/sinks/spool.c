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

#include "base/be.h"
#include "base/fdio.h"
#include "base/vec.h"

enum {
	/* a record: "CS", u16 tag length, u32 data length, then tag and data */
	HDR = 8,
	HDR_TAG_LEN = 2,		/* offset of the tag length */
	HDR_DATA_LEN = 4,		/* offset of the data length */
	TAG_LEN_MAX = 0xffff,
	/* spool.pos: u64 inode of spool.dat, u64 offset of the oldest live record */
	POS_SIZE = 16,
	/* consumed offsets are dropped from the front of sp->off past this many */
	OFF_TRIM_MIN = 4096,
	PATH_BUF = 512,
	COPY_BUF = 64 * 1024,
	DIR_MODE = 0700,
	FILE_MODE = 0600,
};
static const char rec_magic[2] = { 'C', 'S' };

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
	} else if (sp->first > OFF_TRIM_MIN && sp->first * 2 > sp->n_off) {
		memmove(sp->off, sp->off + sp->first, (sp->n_off - sp->first) * sizeof(*sp->off));
		sp->n_off -= sp->first;
		sp->first = 0;
	}
	if (vec_grow((void **)&sp->off, sp->n_off, &sp->cap, sizeof(*sp->off)))
		return -ENOMEM;
	sp->off[sp->n_off++] = o;
	return 0;
}

static int write_pos(struct spool *sp)
{
	unsigned char b[POS_SIZE];

	be_put64(b, sp->ino);
	be_put64(b + 8, live_start(sp));
	return pwrite(sp->pos_fd, b, POS_SIZE, 0) == POS_SIZE ? 0 : -EIO;
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
	if (memcmp(h, rec_magic, sizeof(rec_magic)))
		return -EINVAL;
	*size = HDR + be_get16(h + HDR_TAG_LEN) + (uint64_t)be_get32(h + HDR_DATA_LEN);
	if (o + *size > sp->end)
		return -EINVAL;
	return 0;
}

/* Copies the live records to a new spool.dat when the dead prefix is large. */
static int compact(struct spool *sp)
{
	char dat[PATH_BUF], tmp[PATH_BUF];
	uint64_t start = live_start(sp), o;
	struct stat st;
	char buf[COPY_BUF];
	int fd;

	if (path_in(sp, "spool.dat", dat, sizeof(dat)) || path_in(sp, "spool.tmp", tmp, sizeof(tmp)))
		return -ENAMETOOLONG;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, FILE_MODE);
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
	if (tl > TAG_LEN_MAX || len > UINT32_MAX || size > sp->max_bytes)
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
	memcpy(h, rec_magic, sizeof(rec_magic));
	be_put16(h + HDR_TAG_LEN, (uint16_t)tl);
	be_put32(h + HDR_DATA_LEN, (uint32_t)len);
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
		tl = be_get16(h + HDR_TAG_LEN);
		len = be_get32(h + HDR_DATA_LEN);
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

/*
 * Finds the live records of the spool.dat just opened: from the offset in
 * spool.pos when it belongs to this file, else from the start; a record cut
 * short at the end is truncated away.  0 or -ENOMEM.
 */
static int load_live(struct spool *sp)
{
	unsigned char b[POS_SIZE];
	uint64_t o = 0, pino = 0, size;
	int ret;

	if (pread(sp->pos_fd, b, POS_SIZE, 0) == POS_SIZE) {
		pino = be_get64(b);
		o = be_get64(b + 8);
	}
	/* an offset that belongs to another file means: everything is live */
	if (pino != sp->ino || o > sp->end)
		o = 0;
	while (o < sp->end && !rec_size(sp, o, &size)) {
		ret = push_off(sp, o);
		if (ret)
			return ret;
		o += size;
	}
	if (o < sp->end) {
		/* a record cut short by a crash */
		if (ftruncate(sp->fd, (off_t)o)) { /* read-only disk: records stay */ }
		sp->end = o;
	}
	write_pos(sp);
	return 0;
}

int spool_open(const char *dir, uint64_t max_bytes, struct spool **out, char *err,
	       size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	char dat[PATH_BUF], pos[PATH_BUF];
	struct stat st;
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
	ret = dir_make(sp->dir, DIR_MODE);
	if (ret) {
		errbuf_set(err, errlen, "spool %s: cannot create it: %s", dir, strerror(-ret));
		goto fail;
	}
	if (path_in(sp, "spool.dat", dat, sizeof(dat)) || path_in(sp, "spool.pos", pos, sizeof(pos))) {
		ret = -ENAMETOOLONG;
		errbuf_set(err, errlen, "spool %s: path too long", dir);
		goto fail;
	}
	sp->fd = open(dat, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE);
	sp->pos_fd = open(pos, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE);
	if (sp->fd < 0 || sp->pos_fd < 0 || fstat(sp->fd, &st)) {
		ret = -errno;
		errbuf_set(err, errlen, "spool %s: cannot open it: %s", dir, strerror(-ret));
		goto fail;
	}
	sp->ino = (uint64_t)st.st_ino;
	sp->end = (uint64_t)st.st_size;
	ret = load_live(sp);
	if (ret)
		goto fail;
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
