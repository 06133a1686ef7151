/* SPDX-License-Identifier: Apache-2.0 */
/*
 * label_keys.h - a rule's data-flow label keys (rules.h, "Labels"): set_labels,
 * label_ttl, and what action: label needs.  Part of rule_set_load's third
 * pass (compile.c), with the label names in the condition context's table.
 */
#ifndef CUSTOS_RULES_LABEL_KEYS_H
#define CUSTOS_RULES_LABEL_KEYS_H

#include "rules/cond.h"
#include "rules/parse.h"
#include "rules/rules.h"

/*
 * set_labels (a list of names, or one) and label_ttl (a duration) of rule r
 * into r; on its `on` (< 0: unknown), action the `action` node (may be
 * NULL).  Diagnostics at the offending node.
 */
void labels_compile_rule(struct cond_ctx *x, struct rule *r, int on, const struct ynode *set,
			 const struct ynode *ttl, const struct ynode *action);

/* After an override set r's action (at node): action label needs set_labels. */
void labels_check_action(struct cond_ctx *x, const struct rule *r, const struct ynode *node);

#endif
