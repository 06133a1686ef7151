/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lossby.h - what the records the kernel side lost were about: the rule
 * slots that emit() counted them under (bpf/delivery.h, loss_rules) turned
 * into a loss record's by.severity and by.rules (docs/EVENTS.md, loss.by).
 * Pure: no I/O.
 *
 *   by.severity   each lost record once, under the highest severity of the
 *                 rules its mask names; "none" for fork and exit records,
 *                 "unknown" when no rule is known (the kernel named none,
 *                 the mask is of another rule set, the map had no room),
 *                 so that the counts add up to the record's lost
 *   by.rules      every rule the masks name, with its count (a record that
 *                 names two rules counts for both); the top
 *                 CEV_LOSS_TOP_RULES, most first, go in the record
 */
#ifndef CUSTOS_AGENT_LOSSBY_H
#define CUSTOS_AGENT_LOSSBY_H

#include <stdint.h>

#include "delivery.h"
#include "filters/family.h"
#include "record/event.h"

#define LOSSBY_MAX_RULES (3 * FILTER_MAX_SLOTS)	/* exec, file guard, egress */

struct lossby {
	uint64_t by_severity[CEV_LOSS_SEV__COUNT];
	struct {
		const struct rule *rule;
		uint64_t lost;
	} rules[LOSSBY_MAX_RULES];
	uint32_t n_rules;
	struct cev_loss_rule top[CEV_LOSS_TOP_RULES];	/* lossby_finish()'s */
};

void lossby_init(struct lossby *b);

/*
 * n lost records of type (enum ev_type) that carried mask, numbered by the
 * rule set gen names; s: the slot table of the type's family (NULL when
 * the type has none).
 */
void lossby_add(struct lossby *b, uint16_t type, uint64_t mask, uint16_t gen,
		const struct filter_slots *s, uint64_t n);

/* n lost records of which nothing is known: "unknown". */
void lossby_unknown(struct lossby *b, uint64_t n);

/* l's by_severity and rules (the top ones, into b->top: b outlives l). */
void lossby_finish(struct lossby *b, struct cev_loss *l);

#endif
