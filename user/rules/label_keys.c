/* SPDX-License-Identifier: Apache-2.0 */
/*
 * label_keys.c - set_labels, label_ttl, action: label (label_keys.h).
 */
#include "rules/label_keys.h"

#include <stdlib.h>

#include "base/duration.h"

#define ERR(x, node, ...) diag_at((x)->d, node, __VA_ARGS__)

void labels_check_action(struct cond_ctx *x, const struct rule *r, const struct ynode *node)
{
	if (r->action == ACT_LABEL && !r->set_labels)
		ERR(x, node, "rule '%s': action label sets labels and reports nothing: it needs "
		    "set_labels", r->id ? r->id : "");
}

void labels_compile_rule(struct cond_ctx *x, struct rule *r, int on, const struct ynode *set,
			 const struct ynode *ttl, const struct ynode *action)
{
	struct nodes vals = { 0 };

	if (set) {
		lists_flatten(x->lists, set, &vals);
		for (size_t i = 0; i < vals.n; i++)
			r->set_labels |= cond_label_bit(x, vals.v[i]);
		free(vals.v);
		if (!vals.n)
			ERR(x, set, "set_labels: name at least one label");
	}
	if (ttl) {
		const char *s = ynode_want_scalar(x->d, ttl, "label_ttl");

		if (s && duration_parse(s, &r->label_ttl_ns))
			ERR(x, ttl, "label_ttl '%s' is not a duration (e.g. 30s, 15m, 1h, 7d)", s);
		else if (s && !set)
			ERR(x, ttl, "label_ttl without set_labels: the rule sets no label");
	}
	if (action)
		labels_check_action(x, r, action);
}
