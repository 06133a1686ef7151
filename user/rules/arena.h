/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.h - many small allocations freed at once: the parsed trees of a
 * load, and everything a compiled rule set points to.
 */
#ifndef CUSTOS_RULES_ARENA_H
#define CUSTOS_RULES_ARENA_H

#include <stddef.h>

struct arena_blk;

struct arena {
	struct arena_blk *head;
	int err;		/* 0 or -ENOMEM, sticky */
};

void *arena_alloc(struct arena *a, size_t size);	/* zeroed; NULL on failure */
char *arena_strdup(struct arena *a, const char *s);
char *arena_memdup0(struct arena *a, const void *p, size_t len); /* + NUL */
void arena_free(struct arena *a);

#endif
