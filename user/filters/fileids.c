/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileids.c - the agent's table of watched identities (fileids.h).
 */
#include "filters/fileids.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { FILE_IDS_MIN_CAP = 64 };

void file_ids_init(struct file_ids *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
}

static size_t hash_of(uint64_t dev, uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull ^ dev * 0xc2b2ae3d27d4eb4full;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ (h >> 32));
}

/* The slot of (dev, ino), or of its first free place when absent (or NULL
 * when the table has no room at all). */
static struct file_id_entry *probe(const struct file_ids *t, uint64_t dev, uint64_t ino,
				   int *found)
{
	struct file_id_entry *free_slot = NULL;

	*found = 0;
	if (!t->cap)
		return NULL;
	for (size_t i = hash_of(dev, ino) & (t->cap - 1), step = 0; step < t->cap;
	     i = (i + 1) & (t->cap - 1), step++) {
		struct file_id_entry *e = &t->slot[i];

		if (e->state == FILE_ID_EMPTY)
			return free_slot ? free_slot : e;
		if (e->state == FILE_ID_GONE) {
			if (!free_slot)
				free_slot = e;
			continue;
		}
		if (e->dev == dev && e->ino == ino) {
			*found = 1;
			return e;
		}
	}
	return free_slot;
}

/* Rehashes into a table of cap slots. */
static int resize(struct file_ids *t, size_t cap)
{
	struct file_id_entry *old = t->slot;
	size_t old_cap = t->cap;

	t->slot = calloc(cap, sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;
		return -ENOMEM;
	}
	t->cap = cap;
	t->n_gone = 0;
	for (size_t i = 0; i < old_cap; i++) {
		int found;

		if (old[i].state == FILE_ID_USED)
			*probe(t, old[i].dev, old[i].ino, &found) = old[i];
	}
	free(old);
	return 0;
}

int file_ids_put(struct file_ids *t, uint64_t dev, uint64_t ino, uint32_t gen, uint16_t what,
		 const char *path, size_t len)
{
	struct file_id_entry *e;
	char *copy;
	int found;

	e = probe(t, dev, ino, &found);
	if (!found && t->n >= t->max) {
		t->refused++;
		return -ENOSPC;
	}
	/* at most 3/4 full, tombstones counted */
	if (!found && (t->n + t->n_gone + 1) * 4 > t->cap * 3) {
		size_t cap = t->cap ? t->cap : FILE_IDS_MIN_CAP;

		while ((t->n + 1) * 2 > cap)
			cap *= 2;
		if (resize(t, cap))
			return -ENOMEM;
		e = probe(t, dev, ino, &found);
	}
	copy = malloc(len + 1);
	if (!copy || !e) {
		free(copy);
		return -ENOMEM;
	}
	memcpy(copy, path, len);
	copy[len] = '\0';
	if (found) {
		free(e->path);
		e->what |= what;
	} else {
		if (e->state == FILE_ID_GONE)
			t->n_gone--;
		memset(e, 0, sizeof(*e));
		e->dev = dev;
		e->ino = ino;
		e->what = what;
		e->state = FILE_ID_USED;
		t->n++;
	}
	e->gen = gen;
	e->path = copy;
	e->path_len = (uint32_t)len;
	return 0;
}

struct file_id_entry *file_ids_get(const struct file_ids *t, uint64_t dev, uint64_t ino,
				   uint32_t gen)
{
	int found;
	struct file_id_entry *e = probe(t, dev, ino, &found);

	if (!found || (gen && e->gen && gen != e->gen))
		return NULL;
	return e;
}

void file_ids_del(struct file_ids *t, struct file_id_entry *e)
{
	if (!e || e->state != FILE_ID_USED)
		return;
	free(e->path);
	memset(e, 0, sizeof(*e));
	e->state = FILE_ID_GONE;
	t->n--;
	t->n_gone++;
}

struct file_id_entry *file_ids_next(const struct file_ids *t, size_t *pos)
{
	for (; *pos < t->cap; (*pos)++)
		if (t->slot[*pos].state == FILE_ID_USED)
			return &t->slot[(*pos)++];
	return NULL;
}

void file_ids_free(struct file_ids *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].state == FILE_ID_USED)
			free(t->slot[i].path);
	free(t->slot);
	file_ids_init(t, t->max);
}
