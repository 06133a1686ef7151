/* SPDX-License-Identifier: Apache-2.0 */
/*
 * heap.c - big blocks kept in the heap for a phase, or given back (see
 * heap.h).
 */
#include "base/heap.h"

#include <malloc.h>

enum {
	BIG = 128 << 10,	/* glibc's default mmap and trim thresholds */
	KEEP_MMAP = 32 << 20,	/* the largest mmap threshold glibc takes */
	KEEP_TRIM = 64 << 20,
};

void heap_keep(void)
{
	mallopt(M_MMAP_THRESHOLD, KEEP_MMAP);
	mallopt(M_TRIM_THRESHOLD, KEEP_TRIM);
}

void heap_give_back(void)
{
	/* set, these also stop glibc raising the threshold past a freed block */
	mallopt(M_TRIM_THRESHOLD, BIG);
	mallopt(M_MMAP_THRESHOLD, BIG);
	malloc_trim(0);
}
