/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exe.h - what the agent works out about the program a process runs, beyond
 * what its exec record says (record/event.h, CEV_EXE_*):
 *   - the dynamic loader run directly: the program it loads becomes the
 *     process's exe (CEV_EXE_LOADER), found in the loader's argv (host/ldso.h);
 *   - whether its path leads to it on the host (else CEV_EXE_ELSEWHERE:
 *     exemptions by path do not apply, rules.h);
 *   - which `exe_content` programs it is a copy of (agent/copies.h).
 */
#ifndef CUSTOS_AGENT_EXE_H
#define CUSTOS_AGENT_EXE_H

#include "agent/agent.h"

/* After an exec record (or for a process read from /proc): e's program examined. */
void exe_examine(struct agent *a, const struct proc_entry *e);

/* Every live process in the cache examined again (after the /proc seed, a reload). */
void exe_examine_all(struct agent *a);

#endif
