/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lists.h - named lists of values in rule files: `lists:` definitions,
 * `lists_append:` extensions from any file, and `$name` references, which
 * expand to a list's values anywhere a field value is expected (nested
 * lists flatten, cycles are refused).  The second pass of rule_set_load
 * (compile.c) resolves every list once, before any rule reads one.
 */
#ifndef CUSTOS_RULES_LISTS_H
#define CUSTOS_RULES_LISTS_H

#include <stddef.h>

#include "base/strmap.h"
#include "rules/diag.h"
#include "rules/parse.h"

#define LISTS_MAX_DEPTH 32	/* lists naming lists naming lists ... */
/* values of every list and field of one rule set together, lists expanded
 * (each list is expanded once, then again where a field names it): a few
 * KB of lists naming lists must not become gigabytes */
#define LISTS_MAX_TOTAL 1000000

/* A growing array of tree nodes. */
struct nodes {
	const struct ynode **v;
	size_t n, cap;
};

/* Appends n; 0, or -ENOMEM with v unchanged. */
int nodes_push(struct nodes *v, const struct ynode *n);

struct list_def {
	const char *name;
	const struct ynode *key;
	struct nodes vals;		/* the definition, then each append */
	enum { LIST_NEW, LIST_BUSY, LIST_DONE, LIST_FAILED } state;
	const struct ynode **items;	/* resolved: scalars */
	size_t n_items;
};

struct lists {
	struct list_def *v;
	size_t n, cap;
	struct strmap names;		/* name -> index in v */
	struct nodes appends;		/* key, value pairs of lists_append */
	const char *resolving[LISTS_MAX_DEPTH];	/* the lists being resolved, outermost first */
	size_t depth;
	/* set by the caller */
	struct diag_list *d;
	const struct rule_source *srcs;	/* to say where a list was first defined */
	int partial;	/* some file is not YAML: an unknown list may be defined there,
			 * so it is not reported */
	int oom;
	size_t total;		/* values taken so far, of LISTS_MAX_TOTAL */
	int total_reported;
};

/* `lists:` KEY: VAL of one file. */
void lists_define(struct lists *ls, const struct ynode *key, const struct ynode *val);
/* `lists_append:` KEY: VAL of one file, applied by lists_resolve. */
void lists_append(struct lists *ls, const struct ynode *key, const struct ynode *val);
/* Applies every append, in file order, then resolves every list (used or
 * not, so that each error is reported). */
void lists_resolve(struct lists *ls);
/*
 * Appends the scalars of v to out: a `$name` expands to the list's values,
 * a nested list is flattened.  Returns 0, or -1 if anything failed (the
 * diagnostic is already out).
 */
int lists_flatten(struct lists *ls, const struct ynode *v, struct nodes *out);
void lists_free(struct lists *ls);

#endif
