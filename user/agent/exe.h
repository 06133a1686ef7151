/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exe.h - what the agent works out about the program a process runs, beyond
 * what its exec record says (record/event.h, CEV_EXE_*): whether its path
 * leads to it on the host (else CEV_EXE_ELSEWHERE: exemptions by path do
 * not apply, rules.h).
 */
#ifndef CUSTOS_AGENT_EXE_H
#define CUSTOS_AGENT_EXE_H

#include "agent/agent.h"

/* After an exec record (or for a process read from /proc): e's program examined. */
void exe_examine(struct agent *a, const struct proc_entry *e);

/* Every live process in the cache examined (after the /proc seed). */
void exe_examine_all(struct agent *a);

#endif
