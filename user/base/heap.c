/* SPDX-License-Identifier: Apache-2.0 */
/*
 * heap.c - big blocks kept in the heap for a phase, or given back (see
 * heap.h).
 */
#include "base/heap.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

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

long heap_self_kib(const char *field)
{
	size_t n = strlen(field);
	char line[256];
	long kib = -ENOENT;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':' &&
		    sscanf(line + n + 1, "%ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}
