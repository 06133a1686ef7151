/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vec.h - growing an array of fixed-size elements by doubling.
 *
 *     struct item *v = NULL; size_t n = 0, cap = 0;
 *     if (vec_grow((void **)&v, n, &cap, sizeof(*v)))
 *             return -ENOMEM;
 *     v[n++] = item;
 *
 * Every array the agent grows goes through here, so the overflow check on
 * the element count and the doubling live in one place.
 */
#ifndef CUSTOS_VEC_H
#define CUSTOS_VEC_H

#include <stddef.h>

/* Makes room for element n (cap >= n + 1), doubling from 16: 0 or -ENOMEM
 * (*v and *cap unchanged then). */
int vec_grow(void **v, size_t n, size_t *cap, size_t elem);

#endif
