/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strmap.h - names to indexes in expected constant time: the lookups of
 * rule ids and list names while a rule set loads, which were linear (100,000
 * list definitions took 67 s).  Open addressing, FNV-1a, at most half full.
 * The map points at the caller's strings; they must outlive it.
 */
#ifndef CUSTOS_STRMAP_H
#define CUSTOS_STRMAP_H

#include <stddef.h>

struct strmap_slot {
	const char *key;	/* NULL: empty */
	size_t val;
};

struct strmap {
	struct strmap_slot *v;
	size_t n, cap;		/* cap: 0 or a power of two */
};

/* Sets key's value (a key already there gets the new one): 0 or -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, size_t val);
/* 1 and *val when key is there, else 0. */
int strmap_get(const struct strmap *m, const char *key, size_t *val);
void strmap_free(struct strmap *m);

#endif
