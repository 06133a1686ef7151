/* SPDX-License-Identifier: Apache-2.0 */
/*
 * size.h - one grammar for every byte count custos reads (--ring-size,
 * jsonl max-size, forward spool-max, the configuration's spool.max):
 *
 *     DIGITS [K | M | G]      binary multiples (KiB, MiB, GiB), either case
 *
 * e.g. "4096", "64K", "16m", "2G".  No sign, no spaces, no fractions.
 */
#ifndef CUSTOS_SIZE_H
#define CUSTOS_SIZE_H

#include <stdint.h>

/* *out = the bytes s says: 0, or -EINVAL when s is not of the grammar, is 0,
 * or says more than max. */
int size_parse(const char *s, uint64_t max, uint64_t *out);

#endif
