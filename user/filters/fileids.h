/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileids.h - the agent's table of watched identities: a file's (device,
 * inode, generation) -> the path a file rule knows it by.  The kernel's
 * file_watch_ids (bpf/filter_maps.h) only says "send this open"; this
 * table says which watched file it is, so that a record of an open under
 * another name (a hard link, after a rename...) carries file.watched_path
 * and is matched on it.  Pure: unit-tested with structs.
 *
 * Open addressing over a power-of-two array, keyed by (dev, ino); at most
 * `max` entries (file_ids_put() refuses more and counts them).
 */
#ifndef CUSTOS_FILTER_FILEIDS_H
#define CUSTOS_FILTER_FILEIDS_H

#include <stddef.h>
#include <stdint.h>

struct file_id_entry {
	uint64_t dev;		/* the kernel's encoding (major << 20 | minor) */
	uint64_t ino;
	uint32_t gen;		/* the inode's generation; 0: unknown */
	uint16_t what;		/* FILE_WATCH_* (filter_maps.h) */
	uint8_t state;		/* FILE_ID_EMPTY / _USED / _GONE */
	uint8_t mark;		/* for the owner's sweeps (filewatch.c) */
	uint32_t path_len;
	char *path;		/* the path as the agent sees it (the host's view) */
};

enum {
	FILE_ID_EMPTY = 0,
	FILE_ID_USED = 1,
	FILE_ID_GONE = 2,	/* deleted: probing goes on past it */
};

struct file_ids {
	struct file_id_entry *slot;
	size_t cap;		/* power of two, or 0 */
	size_t n;		/* FILE_ID_USED slots */
	size_t n_gone;
	size_t max;
	uint64_t refused;	/* puts refused because n reached max */
};

void file_ids_init(struct file_ids *t, size_t max);
/*
 * Sets (dev, ino)'s entry: its generation and path replaced, what or-ed in.
 * 0, -ENOSPC (the table holds max entries: counted in refused), -ENOMEM.
 */
int file_ids_put(struct file_ids *t, uint64_t dev, uint64_t ino, uint32_t gen, uint16_t what,
		 const char *path, size_t len);
/* The entry of (dev, ino), or NULL; gen must be its generation where both
 * are known (a reused inode number is another file). */
struct file_id_entry *file_ids_get(const struct file_ids *t, uint64_t dev, uint64_t ino,
				   uint32_t gen);
/* Removes the entry e (from file_ids_get or file_ids_next). */
void file_ids_del(struct file_ids *t, struct file_id_entry *e);
/* The used entries in turn: start with *pos = 0; NULL at the end. */
struct file_id_entry *file_ids_next(const struct file_ids *t, size_t *pos);
void file_ids_free(struct file_ids *t);

#endif
