/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flow.h - the agent's half of flood-proof delivery (bpf/delivery.h): it
 * tells the kernel side who the agent is and the limits, turns the counts
 * of coalesced events into `repeat` records, and reports what the kernel
 * side could not deliver as loss records that say what was lost (kind, the
 * severities and rules, lossby.h; the top processes) within a tenth of a
 * second, flood or not.
 *
 *   decode.c   flow_remember(): the first record of each coalescing key
 *   agent.c    flow_report() on every stats tick: closed windows become
 *              repeat records (through the caller's function), counter
 *              growth becomes loss records
 */
#ifndef CUSTOS_AGENT_FLOW_H
#define CUSTOS_AGENT_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "delivery.h"
#include "events.h"
#include "record/event.h"

struct agent;
struct loader;

/* The first record of a coalescing key, to report its windows' counts with. */
struct flow_head {
	struct repeat_key key;	/* win 0 */
	uint32_t win;		/* the window it came in */
	uint32_t size, cap;
	uint8_t *rec;		/* NULL: the way is empty */
};

/* A process's limit counters as of the last look. */
struct flow_proc {
	struct limit_key key;
	uint64_t suppressed, dropped;
};

/* A key of loss_rules and how much of its count loss records reported. */
struct flow_loss {
	struct loss_key key;
	uint64_t reported;
};

struct flow {
	struct agent_conf conf;		/* as written to the kernel */
	struct flow_head *heads;	/* FLOW_SETS x FLOW_WAYS, NULL: no coalescing */
	struct flow_proc *procs;	/* sorted by key */
	size_t n_procs, cap_procs;
	struct repeat_key *gone;	/* closed windows to delete (scratch) */
	size_t n_gone, cap_gone;
	struct flow_loss *losses;	/* loss_rules as reported, sorted by key */
	size_t n_losses, cap_losses;
	uint64_t unkeyed[2];		/* STAT_LOSS_UNKEYED_RING, _LIMIT reported */
	uint64_t lost_repeat[CEV_LOST__COUNT];	/* counted, their first record never came */
	uint64_t seen[STAT__COUNT];	/* the counters as of the last report */
	uint64_t skipped[CEV_LOST__COUNT];	/* the programs' skipped runs, as reported */
	int skipped_known;		/* skipped[] holds a first reading */
};

/* Calls with a record that stands for rep's events (times in CLOCK_BOOTTIME). */
typedef void (*flow_repeat_fn)(void *ctx, const void *rec, size_t size,
			       const struct cev_repeat *rep);

/*
 * The conf for this agent: its pid and start time, the per-process limit
 * (records per second, 0: none), the coalescing window (ms, 0: none) and
 * the ring's reserve (percent).  0 or -errno.
 */
int flow_init(struct flow *f, uint32_t limit, uint32_t repeat_ms, uint32_t reserve_pct);
void flow_free(struct flow *f);

/* Writes f->conf into the agent_conf map (fd).  0 or -errno. */
int flow_write_conf(const struct flow *f, int conf_fd);

/* Keeps rec (a record as the ring gave it) when it can be a window's first. */
void flow_remember(struct flow *f, const void *rec, size_t size);

/*
 * The closed windows of the repeats map (fd) with a count: each through fn
 * with the first record of its key, or counted in lost_repeat when there is
 * none; all closed windows are deleted.  now_boot: CLOCK_BOOTTIME in ns.
 */
void flow_sweep_repeats(struct flow *f, int fd, uint64_t now_boot, flow_repeat_fn fn,
			void *ctx);

/*
 * Where the losses count from: the counters stats, the processes' counts
 * in the limits map (fd) and the rule slots' in loss_rules as they are now, e.g. in programs an earlier agent
 * pinned, whose losses before this one are the gap record's.
 */
void flow_baseline(struct flow *f, struct agent *a, const uint64_t *stats, int limits_fd);

/*
 * The kernel side's losses since the last call, from the counters in stats
 * (enum stat_idx), for the top processes the limits map (fd), for the
 * severities and rules loss_rules (lossby.h): one loss record each for
 * "ring", "ratelimit" and "repeat" that grew, and "unjudged" for what the
 * guards let through without a verdict, through the agent's emit.
 * Sets f->seen to stats.
 */
void flow_report_losses(struct flow *f, struct agent *a, const uint64_t *stats, int limits_fd);

/*
 * Runs of the attached programs the kernel skipped since the last look
 * (bpf_prog_info.recursion_misses: a tracing or raw tracepoint program does
 * not run while a run of it on that CPU is unfinished, e.g. preempted), as
 * a loss record (where "nested"), whether the programs loaded whole, split
 * or were adopted pinned.  The first call takes the baseline.
 */
void flow_report_skipped(struct flow *f, struct agent *a, const struct loader *ld);

#endif
