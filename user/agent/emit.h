/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emit.h - the agent's output side: an event and the rules it violates
 * become lines (record/json.h or record/ocsf.h) that every sink gets; the
 * losses of the ring and of the sinks become `kind: loss` records.
 */
#ifndef CUSTOS_AGENT_EMIT_H
#define CUSTOS_AGENT_EMIT_H

#include <stdint.h>

#include "agent/agent.h"
#include "filters/filters.h"
#include "record/event.h"
#include "rules/rules.h"

/* One line for ev and rule r (NULL: a record of no rule, e.g. a loss). */
void emit_event(struct agent *a, const struct cev_event *ev, const struct rule *r);
/* One line per rule the matcher finds violated by ev (a rule that sets
 * labels first records their source on the process: agent/labels.h; an
 * action: label rule is counted, not rendered). */
void emit_matches(struct agent *a, struct cev_event *ev);
/* The same without the block rules (a refused call's: the kernel's verdict names those). */
void emit_matches_unblocked(struct agent *a, struct cev_event *ev);
/*
 * One line per rule the kernel decided for ev (a flagged connect, a refused
 * exec or open): rule_mask holds the slots of s that flagged it, numbered
 * by the rule set gen names.
 */
void emit_kernel_verdict(struct agent *a, const struct cev_event *ev, uint64_t rule_mask,
			 uint16_t gen, const struct filter_slots *s);
/* A `kind: loss` record: lost records, lost where ("ring", "sink:NAME"). */
void emit_loss(struct agent *a, uint64_t lost, const char *where);
/* Reads the BPF counters; ring buffer drops (and forks the per-process
 * state had no room for, where "process-state") become loss records. */
void emit_ring_losses(struct agent *a);
/* Flushes every sink; what a sink lost becomes a loss record, flushed too. */
void emit_flush(struct agent *a);
/* Logs one line per sink with its counters (SIGUSR1). */
void emit_log_sinks(struct agent *a);

#endif
