/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * filter_maps.h - the rule->map contract: what the agent's rule compilers
 * write into BPF maps and what the BPF programs read, key and value types
 * shared by both sides.  The kernel side is a conservative pre-filter: it may
 * let an event through that no rule matches (the agent's matcher decides),
 * but it must never drop one that a rule could match.
 *
 * exec: no pre-filter.  Every exec is sent, because the agent's process
 *       cache needs each program's path for parent_exe / ancestor_exe.
 */
#ifndef CUSTOS_FILTER_MAPS_H
#define CUSTOS_FILTER_MAPS_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#endif
