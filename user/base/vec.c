/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vec.c - array growth (vec.h).
 */
#include "base/vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int vec_grow(void **v, size_t n, size_t *cap, size_t elem)
{
	size_t next;
	void *p;

	if (n < *cap)
		return 0;
	next = *cap ? 2 * *cap : 16;
	while (next <= n) {
		if (next > SIZE_MAX / 2)
			return -ENOMEM;
		next *= 2;
	}
	if (!elem || next > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*v, next * elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = next;
	return 0;
}
