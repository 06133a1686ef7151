/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events_read.h - the input side of `custos events`: audit files as lines,
 * plain or gzip, each named file after its logrotate-style rotations, and
 * the last one followed as it grows.
 */
#ifndef CUSTOS_CMD_EVENTS_READ_H
#define CUSTOS_CMD_EVENTS_READ_H

#include <stdio.h>
#include <sys/types.h>
#include <zlib.h>

#include "base/sbuf.h"

enum {
	EVENTS_MAX_FILES = 1024,	/* files read in one run, rotations included */
	EVENTS_MAX_ROTATIONS = 100,	/* FILE.1 .. FILE.100 are looked for */
	EVENTS_LINE_MAX = 8 << 20,	/* bytes of one line kept; a longer one is malformed */
	EVENTS_READ_CHUNK = 8192,	/* bytes read per call */
};

struct reader {
	const char *path;
	FILE *f;		/* plain files (followable) */
	gzFile gz;		/* *.gz */
	struct sbuf line;	/* the current line, newline stripped, NULs kept */
	int overlong;		/* the line had more than EVENTS_LINE_MAX bytes */
	unsigned long lineno;
	ino_t ino;
	/* private */
	char buf[EVENTS_READ_CHUNK];
	size_t pos, end;	/* unread bytes: buf[pos..end) */
	int done;		/* line holds a complete line, cleared by the next call */
};

/* 0, or -errno; *.gz files are read through zlib. */
int reader_open(struct reader *r, const char *path);
/*
 * Next complete line into r->line (newline stripped, every other byte kept:
 * a NUL makes only its own line malformed): 1, or 0 at the end for now.  A
 * last line without its newline is kept pending (it may still be being
 * written) unless final is set.  The line stays until the next call.
 */
int reader_next(struct reader *r, int final);
void reader_close(struct reader *r);

/* Called for each line; a non-zero return stops reading with it. */
typedef int (*reader_line_fn)(struct reader *r, void *ctx);

/*
 * Reads r (the last file) as it grows until killed, reopening it when it is
 * rotated (another inode, or shorter than what was read).  Returns only on
 * an error: on_line's, or -errno when the new file cannot be opened.
 */
int reader_follow(struct reader *r, reader_line_fn on_line, void *ctx);

/* The files to read, each once, in reading order. */
struct events_files {
	char *v[EVENTS_MAX_FILES];
	size_t n;
};

/* FILE's rotations that exist (FILE.N.gz or FILE.N, highest N first, i.e.
 * oldest first), then FILE; a path already listed is skipped.  0, -E2BIG or
 * -ENOMEM. */
int events_files_add(struct events_files *l, const char *path);
void events_files_free(struct events_files *l);

#endif
