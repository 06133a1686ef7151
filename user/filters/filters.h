/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters.h - from compiled rules to the kernel filters (bpf/filter_maps.h).
 *
 * Four families, each with a pure compiler (rules in, map contents out) and
 * an apply step that writes its maps: file (the open pre-filter,
 * filters/file.h), net (the egress decision, filters/net.h), exec and
 * fileguard (the exec and file guards, filters/exec.h, filters/fileguard.h,
 * sharing filters/guard.h).  The agent calls filters_apply() after load and
 * before attach, and again on every reload (new contents first, then the new
 * rule set replaces the old); it gets back, per deciding family, the slot
 * table the kernel's records are numbered by.  filters_check() is what
 * `custos rules check` adds to parsing: rules the kernel side cannot honour
 * (e.g. a block rule it cannot decide).
 *
 * This file also declares what the families share on the I/O side: the
 * identity of a file as the kernel sees it, and the map writer.
 */
#ifndef CUSTOS_FILTERS_H
#define CUSTOS_FILTERS_H

#include <stddef.h>
#include <stdint.h>

#include "filters/family.h"
#include "filters/filewatch.h"
#include "kernel/loader.h"
#include "rules/rules.h"

/* What filters_apply() hands the agent: the slot tables of the rule set. */
struct filters {
	struct filter_slots net, exec, fileguard;
};

/*
 * Compiles rs for every family and writes the maps of l; fills *out on
 * success (on failure *out is unspecified); walks the files the file rules
 * name into w (the identity watch, filters/filewatch.h; NULL: none).  l
 * NULL or not loaded: no maps, only *out and w's table (an agent without
 * BPF).  0, or -errno with err set (FILE:LINE:COL: error: ... for a rule).
 */
int filters_apply(struct filters *out, struct loader *l, const struct rule_set *rs,
		  struct filewatch *w, char *err, size_t errlen);
/* After the programs are attached: what the families turn on only then
 * (the file pre-filter's directory verdict cache). */
void filters_attached(struct loader *l);
/* Appends diagnostics for rules the kernel side cannot honour; -EINVAL if
 * any, -ENOMEM when memory ran out. */
int filters_check(const struct rule_set *rs, struct rule_diags *diags);

#endif
