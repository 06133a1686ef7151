/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cond.h - compiling a rule's `when` and `unless` conditions: each field's
 * values ($lists expanded) typed and checked for the field they are used
 * for, so an error inside a list points at the list's item.  Part of
 * rule_set_load's third pass (compile.c).
 */
#ifndef CUSTOS_RULES_COND_H
#define CUSTOS_RULES_COND_H

#include <stddef.h>

#include "rules/arena.h"
#include "rules/diag.h"
#include "rules/lists.h"
#include "rules/parse.h"
#include "rules/rules.h"

/* The label names the rules use, numbered as they appear (rules.h, "Labels"). */
struct label_table {
	const char *name[RULE_MAX_LABELS];	/* in the rule set's arena */
	size_t n;
};

struct cond_ctx {
	struct diag_list *d;
	struct arena *a;			/* the rule set's: conditions live as long */
	struct lists *lists;			/* resolved */
	const struct rule_load_opts *opts;	/* user names in `uid:` */
	struct label_table *labels;		/* `labels:` values and set_labels */
};

/* The bit of label v's name in x->labels (added if new), or 0 after a
 * diagnostic (not a valid name, too many labels). */
uint64_t cond_label_bit(struct cond_ctx *x, const struct ynode *v);

/* One condition mapping into *c; on < 0: the rule's `on` is unknown, skip
 * the check that each field applies to it. */
void cond_compile(struct cond_ctx *x, struct cond *c, const struct ynode *map, int on);
/* A list of conditions (`unless`, `unless_append`) into *out (in x->a);
 * returns how many. */
size_t cond_compile_list(struct cond_ctx *x, const struct ynode *seq, int on, const char *what,
			 struct cond **out);

#endif
