/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emit.c - rendering, the sinks, and loss records (emit.h).
 */
#include "agent/emit.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "record/json.h"
#include "record/ocsf.h"
#include "sinks/sink.h"

enum {
	SINK_LOSS_EVERY_MS = 1000,	/* a sink's loss is reported at most this often */
	NO_SINK = -1,
};

/* The line to every sink but skip (NO_SINK: to all). */
static void write_line(struct agent *a, int skip)
{
	for (size_t i = 0; i < a->n_sinks; i++) {
		int rc;

		if ((int)i == skip)
			continue;
		rc = sink_write(a->sinks[i], a->line.p, a->line.len);

		if (rc) {
			a->counters.sink_errors++;
			log_debug("sink %s: write failed: %s", sink_name(a->sinks[i]),
				  strerror(-rc));
		}
	}
}

/* Did the kernel refuse the call ev reports? */
static int kernel_refused(const struct cev_event *ev)
{
	return (ev->kind == CEV_CONNECT && ev->conn.blocked) ||
	       (ev->kind == CEV_SOCKET && ev->sock.blocked) ||
	       (ev->kind == CEV_EXEC && ev->exec.blocked) ||
	       (ev->kind == CEV_FILE && ev->file.blocked);
}

/* One line for ev and r, to every sink but skip. */
static void emit_record(struct agent *a, const struct cev_event *ev, const struct rule *r,
			int skip)
{
	struct json_meta meta = { .host = a->host, .policy = a->rules->digest, .run = a->run,
				  .cache = &a->json_cache };
	struct json_rule jr;

	if (r && r->action == ACT_LABEL) {	/* it sets labels and reports nothing */
		a->rule_hits[r - a->rules->rules]++;
		return;
	}
	if (r) {
		jr.id = r->id;
		jr.severity = rule_severity_name(r->severity);
		jr.action = rule_action_name(r->action);
		/* events-v1: "block" only when the kernel refused the call */
		if (ev->kind != CEV_CONNECT && !kernel_refused(ev))
			jr.action = rule_action_name(ACT_ALERT);
		jr.tags = (const char *const *)r->tags;
		jr.n_tags = r->n_tags;
	}
	meta.seq = a->seq + 1;
	sbuf_reset(&a->line);
	if ((a->opts.ocsf ? ocsf_render_event : json_render_event)(&a->line, ev, r ? &jr : NULL,
								    &meta)) {
		log_warn("agent: rendering a record failed (out of memory?); dropped");
		return;
	}
	/* OCSF: unmapped.chain, the last member of the last object */
	if (chain_seal(&a->chain, &a->line, 0, a->opts.ocsf ? 2 : 1)) {
		log_warn("agent: sealing a record into the chain failed (out of memory?); dropped");
		return;
	}
	a->seq++;
	a->run_records++;
	a->counters.events_out++;
	if (r)
		a->rule_hits[r - a->rules->rules]++;
	write_line(a, skip);
}

void emit_event(struct agent *a, const struct cev_event *ev, const struct rule *r)
{
	emit_record(a, ev, r, NO_SINK);
}

/*
 * Rules among hits that set labels: their sources go on the acting process
 * before any line of ev is rendered, so a record names the label it set
 * with its own seq (each hit that reports gets the next seq, in order).
 */
static void note_labels(struct agent *a, struct cev_event *ev, const struct rule **hits,
			size_t n)
{
	uint64_t seq = a->seq;
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		const struct rule *r = hits[i];

		if (r->action != ACT_LABEL)
			seq++;
		/* an open whose file is unknown labelled nothing in the kernel */
		if (!r->set_labels || (ev->kind == CEV_FILE && ev->file.unresolved))
			continue;
		if (ev->kind != CEV_FILE) {	/* the kernel has it from now on */
			uint64_t slots = labels_slots(&a->labels, r->set_labels);

			if (labels_set_kernel(&a->labels, ev->proc.pid, a->acting_start, slots,
					      clock_ns(CLOCK_BOOTTIME)))
				log_warn("agent: rule '%s': setting labels on process %u in the "
					 "kernel failed", r->id, ev->proc.pid);
			ev->labels |= r->set_labels;
		}
		labels_fired(&a->labels, &a->procs, a->acting, a->acting_start, r,
			     r->action == ACT_LABEL ? 0 : seq, ev->time_ns,
			     ev->kind == CEV_FILE ? &ev->file.path : NULL);
		any = 1;
	}
	if (any)
		ev->n_label_info = labels_describe(&a->labels, a->acting, ev->labels,
						   a->label_info, RULE_MAX_LABELS);
}

/* The matcher's hits for ev, block rules left out when skip_block. */
static void emit_hits(struct agent *a, struct cev_event *ev, int skip_block)
{
	size_t n = rule_set_match(a->rules, ev, a->hits, AGENT_MAX_HITS), k = 0;

	if (n > AGENT_MAX_HITS) {
		log_warn("agent: %zu rules matched one event; reporting the first %d",
			 n, AGENT_MAX_HITS);
		n = AGENT_MAX_HITS;
	}
	for (size_t i = 0; i < n; i++)
		if (!skip_block || a->hits[i]->action != ACT_BLOCK)
			a->hits[k++] = a->hits[i];
	note_labels(a, ev, a->hits, k);
	for (size_t i = 0; i < k; i++)
		emit_event(a, ev, a->hits[i]);
}

void emit_matches(struct agent *a, struct cev_event *ev)
{
	emit_hits(a, ev, 0);
}

void emit_matches_unblocked(struct agent *a, struct cev_event *ev)
{
	emit_hits(a, ev, 1);
}

/*
 * A slot the kernel decides exactly (dest, proto, exe identity; every guard
 * slot) is reported as the kernel decided: so a renamed binary does not
 * pass as an exempt one, and a refused call names the block rule that
 * refused it.  A slot it decided loosely is checked by the matcher.  A
 * record decided under the rule set a reload just replaced (another gen)
 * goes through the matcher over the rules s numbers.  A block rule is
 * reported only for a refused call.
 */
void emit_kernel_verdict(struct agent *a, const struct cev_event *ev, uint64_t rule_mask,
			 uint16_t gen, const struct filter_slots *s)
{
	int refused = kernel_refused(ev);
	struct cev_event e = *ev;	/* the labels its rules set go on its lines */
	size_t n = 0;

	if (gen != s->gen) {
		for (size_t i = 0; i < a->rules->n_rules && n < AGENT_MAX_HITS; i++) {
			const struct rule *r = &a->rules->rules[i];

			if (!rule_matches(r, ev) ||
			    (r->action == ACT_BLOCK ? !refused : s->block_only))
				continue;
			a->hits[n++] = r;
		}
	} else {
		for (int i = 0; i < FILTER_MAX_SLOTS && n < AGENT_MAX_HITS; i++) {
			const struct rule *r = s->rule[i];

			if (!(rule_mask & (1ULL << i)) || !r)
				continue;
			if (r->action == ACT_BLOCK && !refused)
				continue;
			if ((s->exact & (1ULL << i)) || rule_matches(r, ev))
				a->hits[n++] = r;
		}
	}
	note_labels(a, &e, a->hits, n);
	for (size_t i = 0; i < n; i++)
		emit_event(a, &e, a->hits[i]);
}

/* A loss record to every sink but skip (the one that lost, when it is a sink's). */
static void emit_loss_to(struct agent *a, uint64_t lost, const char *where, int skip)
{
	struct cev_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_LOSS;
	ev.time_ns = clock_ns(CLOCK_REALTIME);
	ev.loss.lost = lost;
	ev.loss.where = where;
	emit_record(a, &ev, NULL, skip);
	a->run_lost += lost;
}

void emit_loss(struct agent *a, uint64_t lost, const char *where)
{
	emit_loss_to(a, lost, where, NO_SINK);
}

void emit_loss_record(struct agent *a, const struct cev_loss *l)
{
	struct cev_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_LOSS;
	ev.time_ns = clock_ns(CLOCK_REALTIME);
	ev.loss = *l;
	emit_record(a, &ev, NULL, NO_SINK);
	a->run_lost += l->lost;
}

void emit_gap(struct agent *a, const struct cev_gap *gap)
{
	struct cev_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_GAP;
	ev.time_ns = gap->to_ns;
	ev.gap = *gap;
	emit_event(a, &ev, NULL);
}

void emit_checkpoint(struct agent *a, int final)
{
	struct cev_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_CHECKPOINT;
	ev.time_ns = clock_ns(CLOCK_REALTIME);
	ev.checkpoint.records = a->run_records + 1;	/* this one too */
	ev.checkpoint.lost = a->run_lost;
	ev.checkpoint.final = (uint8_t)final;
	emit_event(a, &ev, NULL);
}

void emit_state_losses(struct agent *a, const uint64_t *stats)
{
	if (stats[STAT_PROC_FULL] > a->proc_full_seen) {
		uint64_t lost = stats[STAT_PROC_FULL] - a->proc_full_seen;

		a->proc_full_seen = stats[STAT_PROC_FULL];
		log_warn("agent: the kernel's per-process state is full: %llu new processes have "
			 "no lineage there (the agent's process cache still has it)",
			 (unsigned long long)lost);
		emit_loss(a, lost, "process-state");
	}
}

/*
 * A sink that could not take records (a forward sink's full queue, a failed
 * write) says so in its stats; what it lost becomes, at most once a second,
 * a loss record with where "sink:NAME" that the OTHER sinks carry: written
 * to the sink that lost, it would be lost there too and reported again,
 * forever.  The sink's own counters (custos status) have its losses.
 */
static int report_sink_loss(struct agent *a, int now)
{
	int emitted = 0;

	if (!now && a->last_sink_loss_ms && now_ms() - a->last_sink_loss_ms < SINK_LOSS_EVERY_MS)
		return 0;
	for (size_t i = 0; i < a->n_sinks; i++) {
		struct sink_stats st;
		char where[300];
		uint64_t lost;

		sink_get_stats(a->sinks[i], &st);
		if (st.lines_lost <= a->sink_lost_seen[i])
			continue;
		lost = st.lines_lost - a->sink_lost_seen[i];
		a->sink_lost_seen[i] = st.lines_lost;
		snprintf(where, sizeof(where), "sink:%s", sink_name(a->sinks[i]));
		log_warn("agent: output %s lost %llu records", sink_name(a->sinks[i]),
			 (unsigned long long)lost);
		emit_loss_to(a, lost, where, (int)i);
		emitted++;
	}
	if (emitted)
		a->last_sink_loss_ms = now_ms();
	return emitted;
}

/* Sinks gather lines until flushed: flush, then report what a flush could
 * not write, and flush that report too. */
void emit_flush(struct agent *a, int final)
{
	for (size_t i = 0; i < a->n_sinks; i++)
		sink_flush(a->sinks[i]);
	if (!report_sink_loss(a, final))
		return;
	for (size_t i = 0; i < a->n_sinks; i++)
		sink_flush(a->sinks[i]);
}

void emit_close(struct agent *a)
{
	emit_flush(a, 1);
	emit_checkpoint(a, 1);
	for (size_t i = 0; i < a->n_sinks; i++)
		sink_flush(a->sinks[i]);
}

void emit_log_sinks(struct agent *a)
{
	for (size_t i = 0; i < a->n_sinks; i++) {
		struct sink_stats st;

		sink_get_stats(a->sinks[i], &st);
		log_info("status: output %s: written %llu, sent %llu, acked %llu, spooled %llu, "
			 "dropped %llu, errors %llu", sink_name(a->sinks[i]),
			 (unsigned long long)st.lines_written, (unsigned long long)st.sent,
			 (unsigned long long)st.acked, (unsigned long long)st.spooled,
			 (unsigned long long)st.lines_lost, (unsigned long long)st.errors);
	}
}
