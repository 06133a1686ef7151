/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter_bits.h - what the block-rule compilers share (filter_exec.c, the
 * exec guard; filter_fileguard.c, the file guard): tables of map keys with
 * bit-mask values over rule/condition slots.  Pure.  (Their diagnostics go
 * through rule_diag_add, rules.h, like filter_net.c's.)
 */
#ifndef CUSTOS_FILTER_BITS_H
#define CUSTOS_FILTER_BITS_H

#include <stddef.h>
#include <stdint.h>

#include "base/vec.h"
#include "rules/rules.h"


/*
 * Ors bit into 64-bit word `word` of the value of key in a table of keys
 * (*keys, key_size bytes each) and values (*vals, val_size bytes each, a
 * multiple of 8), *n entries; a new key gets a zero value.  caps[0] and
 * caps[1] are the allocated counts of keys and vals.  0 or -ENOMEM.
 */
int filter_bits_set(void **keys, void **vals, size_t *n, size_t caps[2], const void *key,
		    size_t key_size, size_t val_size, size_t word, uint64_t bit);

#endif
