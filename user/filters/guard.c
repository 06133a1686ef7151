/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter_bits.c - the key/bit tables and diagnostics the block-rule
 * compilers share (filter_bits.h).
 */
#include "filters/guard.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int filter_bits_set(void **keys, void **vals, size_t *n, size_t caps[2], const void *key,
		    size_t key_size, size_t val_size, size_t word, uint64_t bit)
{
	uint64_t w;
	size_t i;

	for (i = 0; i < *n; i++)
		if (memcmp((char *)*keys + i * key_size, key, key_size) == 0)
			break;
	if (i == *n) {
		if (vec_grow(keys, *n, &caps[0], key_size) ||
		    vec_grow(vals, *n, &caps[1], val_size))
			return -ENOMEM;
		memcpy((char *)*keys + i * key_size, key, key_size);
		memset((char *)*vals + i * val_size, 0, val_size);
		(*n)++;
	}
	/* memcpy: the value is a struct of __u64 words, not an array */
	memcpy(&w, (char *)*vals + i * val_size + word * 8, 8);
	w |= bit;
	memcpy((char *)*vals + i * val_size + word * 8, &w, 8);
	return 0;
}
