/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lossby.c - a loss record's severities and rules from rule masks (lossby.h).
 */
#include "agent/lossby.h"

#include <string.h>

void lossby_init(struct lossby *b)
{
	memset(b, 0, sizeof(*b));
}

void lossby_unknown(struct lossby *b, uint64_t n)
{
	b->by_severity[CEV_LOSS_SEV_UNKNOWN] += n;
}

/* r's count grows by n (a rule once in b->rules). */
static void rule_add(struct lossby *b, const struct rule *r, uint64_t n)
{
	uint32_t i;

	for (i = 0; i < b->n_rules; i++)
		if (b->rules[i].rule == r)
			break;
	if (i == b->n_rules) {
		if (b->n_rules == LOSSBY_MAX_RULES)
			return;		/* more rules than three families have slots */
		b->rules[b->n_rules].rule = r;
		b->rules[b->n_rules++].lost = 0;
	}
	b->rules[i].lost += n;
}

void lossby_add(struct lossby *b, uint16_t type, uint64_t mask, uint16_t gen,
		const struct filter_slots *s, uint64_t n)
{
	int worst = -1;

	if (!n)
		return;
	if (type == EV_FORK || type == EV_EXIT) {
		b->by_severity[CEV_LOSS_SEV_NONE] += n;
		return;
	}
	if (mask && s && gen == s->gen) {
		for (int i = 0; i < FILTER_MAX_SLOTS; i++) {
			const struct rule *r = s->rule[i];

			if (!(mask & (1ULL << i)) || !r)
				continue;
			rule_add(b, r, n);
			if ((int)r->severity > worst)
				worst = (int)r->severity;
		}
	}
	if (worst < 0 || worst > CEV_LOSS_SEV_CRITICAL)
		lossby_unknown(b, n);
	else
		b->by_severity[worst] += n;
}

/* Is rule entry a before b: more lost, then by id? */
static int rule_before(const struct lossby *b, uint32_t x, uint32_t y)
{
	if (b->rules[x].lost != b->rules[y].lost)
		return b->rules[x].lost > b->rules[y].lost;
	return strcmp(b->rules[x].rule->id, b->rules[y].rule->id) < 0;
}

void lossby_finish(struct lossby *b, struct cev_loss *l)
{
	uint32_t idx[CEV_LOSS_TOP_RULES], n = 0;

	memcpy(l->by_severity, b->by_severity, sizeof(l->by_severity));
	for (uint32_t i = 0; i < b->n_rules; i++) {
		uint32_t at;

		if (n == CEV_LOSS_TOP_RULES && !rule_before(b, i, idx[n - 1]))
			continue;
		at = n < CEV_LOSS_TOP_RULES ? n++ : n - 1;
		while (at > 0 && rule_before(b, i, idx[at - 1])) {
			idx[at] = idx[at - 1];
			at--;
		}
		idx[at] = i;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct rule *r = b->rules[idx[i]].rule;

		b->top[i].rule = r->id;
		b->top[i].severity = rule_severity_name(r->severity);
		b->top[i].lost = b->rules[idx[i]].lost;
	}
	l->rules = n ? b->top : NULL;
	l->n_rules = n;
}
