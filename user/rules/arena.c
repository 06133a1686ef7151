/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.c - blocks of 8 KiB (or one larger allocation) handed out in order
 * and freed together (arena.h).
 */
#include "rules/arena.h"

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct arena_blk {
	struct arena_blk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

#define ARENA_BLOCK 8192

void *arena_alloc(struct arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct arena_blk *b = a->head;
	void *p;

	if (a->err)
		return NULL;
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b) {
			a->err = -ENOMEM;
			return NULL;
		}
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

char *arena_memdup0(struct arena *a, const void *p, size_t len)
{
	char *s = arena_alloc(a, len + 1);

	if (s && len)
		memcpy(s, p, len);
	return s;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_memdup0(a, s, strlen(s)) : NULL;
}

void arena_free(struct arena *a)
{
	struct arena_blk *b = a->head, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->err = 0;
}
