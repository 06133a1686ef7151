/* SPDX-License-Identifier: Apache-2.0 */
/*
 * names.h - looking words up in a table of names, and listing the table in
 * a diagnostic ("is not one of read, write, create").  The engine's own
 * names (rule_severity_name, rule_field_name, ...) are public, in rules.h,
 * and live in names.c too.
 */
#ifndef CUSTOS_RULES_NAMES_H
#define CUSTOS_RULES_NAMES_H

#include <stddef.h>

#define N_NAMES(a) (sizeof(a) / sizeof((a)[0]))

/* The index of s in names[0..n), or -1. */
int names_index(const char *s, const char *const *names, size_t n);
/* names[0..n) as "a, b, c" in buf (cut at size); returns buf. */
const char *names_join(char *buf, size_t size, const char *const *names, size_t n);

#endif
