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
/* The `kind: gap` record that opens a run after a time no agent read. */
void emit_gap(struct agent *a, const struct cev_gap *gap);
/* A `kind: checkpoint` record; final: the last record of a clean stop. */
void emit_checkpoint(struct agent *a, int final);
/* A `kind: loss` record with what is known of what was lost (loss.by). */
void emit_loss_record(struct agent *a, const struct cev_loss *l);
/*
 * Flushes every sink; what a sink lost becomes a loss record for the other
 * sinks, flushed too: at most once a second, unless final (the last flush).
 */
void emit_flush(struct agent *a, int final);
/*
 * A clean stop: flushes and reports every loss, then the closing checkpoint
 * (the run's last record), flushed; what a sink cannot take of it stays in
 * that sink's counters.
 */
void emit_close(struct agent *a);
/* Forks the kernel's per-process state had no room for (stats: the BPF
 * counters just read) become a loss record, where "process-state". */
void emit_state_losses(struct agent *a, const uint64_t *stats);
/* Logs one line per sink with its counters (SIGUSR1). */
void emit_log_sinks(struct agent *a);

#endif
