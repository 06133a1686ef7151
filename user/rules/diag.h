/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag.h - the diagnostics a load collects: every problem of every file,
 * handed to the caller sorted, as struct rule_diags (rules.h), at the end.
 * The public side (rule_diag_add, rule_diag_format, rule_diags_free) is
 * declared in rules.h and lives in diag.c too.
 */
#ifndef CUSTOS_RULES_DIAG_H
#define CUSTOS_RULES_DIAG_H

#include <stddef.h>

#include "rules/rules.h"

struct idiag {
	size_t src;		/* index into the sources */
	int line, col;		/* 1-based */
	size_t seq;		/* order of discovery, for a stable sort */
	char *msg;
};

/* diagnostics kept; the rest are counted and said in one last line */
#define DIAG_MAX 1000

struct diag_list {
	struct idiag *v;
	size_t n, cap;
	size_t dropped;		/* past DIAG_MAX */
	struct idiag first_dropped;	/* where (its msg unused) */
	int oom;
};

void diag_add(struct diag_list *d, size_t src, int line, int col,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A diagnostic at a node of the parsed tree (anything with src, line, col). */
#define diag_at(d, node, ...) \
	diag_add((d), (node)->src, (node)->line, (node)->col, __VA_ARGS__)
/* Sorts by (source, line, col, discovery), drops exact repeats, and moves
 * the diagnostics to out (appended).  Returns 0 or -ENOMEM. */
int diag_export(struct diag_list *d, const struct rule_source *srcs,
		struct rule_diags *out);
void diag_list_free(struct diag_list *d);

#endif
