/* SPDX-License-Identifier: Apache-2.0 */
/*
 * duration.h - one grammar for spans of time in rule files (label_ttl):
 *
 *     DIGITS (s | m | h | d)      seconds, minutes, hours, days
 *
 * e.g. "30s", "15m", "1h", "7d".  No sign, no spaces, no fractions.
 */
#ifndef CUSTOS_DURATION_H
#define CUSTOS_DURATION_H

#include <stdint.h>

/* *ns = the span s says: 0, or -EINVAL when s is not of the grammar, is 0,
 * or is longer than 100 years. */
int duration_parse(const char *s, uint64_t *ns);

#endif
