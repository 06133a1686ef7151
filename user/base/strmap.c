/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strmap.c - names to indexes (strmap.h).
 */
#include "base/strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { STRMAP_FIRST_CAP = 64 };

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

static size_t fnv(const char *s)
{
	uint64_t h = FNV_OFFSET;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return (size_t)h;
}

/* the slot of key, or the empty one where it would go */
static struct strmap_slot *slot(const struct strmap *m, const char *key)
{
	size_t i = fnv(key) & (m->cap - 1);

	while (m->v[i].key && strcmp(m->v[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

static int grow(struct strmap *m)
{
	struct strmap old = *m;
	size_t cap = m->cap ? m->cap * 2 : STRMAP_FIRST_CAP;

	if (cap > SIZE_MAX / 2 / sizeof(*m->v))
		return -ENOMEM;
	m->v = calloc(cap, sizeof(*m->v));
	if (!m->v) {
		*m = old;
		return -ENOMEM;
	}
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.v[i].key)
			*slot(m, old.v[i].key) = old.v[i];
	free(old.v);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, size_t val)
{
	struct strmap_slot *s;

	if ((m->n + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	s = slot(m, key);
	if (!s->key) {
		s->key = key;
		m->n++;
	}
	s->val = val;
	return 0;
}

int strmap_get(const struct strmap *m, const char *key, size_t *val)
{
	const struct strmap_slot *s;

	if (!m->cap)
		return 0;
	s = slot(m, key);
	if (!s->key)
		return 0;
	*val = s->val;
	return 1;
}

void strmap_free(struct strmap *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}
