/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream.h - the agent's own record stream across runs: the run's id, the
 * chain of digests, seq continued from the state directory, the gap record
 * that opens a run after a time no agent read (with what the pinned kernel
 * side counted meanwhile), and the heartbeat that the next run's gap record
 * starts from.  agent.c calls these around its lifecycle.
 */
#ifndef CUSTOS_AGENT_STREAM_H
#define CUSTOS_AGENT_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

struct agent;

/* The run id, the chain (keyed: opts.chain_key) and the previous run's
 * state (opts.state_dir).  0, or -errno with err set. */
int stream_init(struct agent *a, char *err, size_t errlen);
/* When a previous run or a pinned set is known: the gap record, flushed. */
void stream_gap(struct agent *a);
/* The state file: seq and chain of the last record; clean at a clean stop. */
void stream_save(struct agent *a, int clean);
/* The pinned heartbeat (run_state): now, and the counters stats as seen. */
void stream_heartbeat(struct agent *a, const uint64_t *stats, int clean);

#endif
