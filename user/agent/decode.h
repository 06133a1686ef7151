/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decode.h - the agent's input side: one ring record (events.h) is checked
 * (ABI version, declared size against bytes received) before a field is
 * read, updates the process cache (fork, exit, exec), and becomes a struct
 * cev_event with its process, parent and ancestors (record/event.h) that
 * agent/emit.h reports.
 */
#ifndef CUSTOS_AGENT_DECODE_H
#define CUSTOS_AGENT_DECODE_H

#include <stddef.h>

#include "agent/agent.h"

/*
 * Handles one ring record of size bytes: the loader's callback, and the way
 * tests and the benchmark feed records.  A malformed record is counted
 * (counters.records_bad) and dropped.  Returns 0 (the ring goes on).
 */
int agent_handle_record(struct agent *a, const void *data, size_t size);
/*
 * The same record again, standing for rep's events (a coalescing window's
 * count, times in CLOCK_REALTIME): its lines carry `repeat` and rep's first
 * time.  Returns 0.
 */
int agent_handle_repeat(struct agent *a, const void *data, size_t size,
			const struct cev_repeat *rep);

#endif
