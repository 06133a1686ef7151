/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileguard.h - the file guard: file block rules in, the contents of
 * fileguard_ids / fileguard_names / fileguard_uids / fileguard_conf out
 * (bpf/filter_maps.h, "The guards", says what they mean and which rules the
 * kernel can decide: path, access, exe, parent_exe, uid).  The compiler and
 * apply step are the guards' shared ones (filters/guard.h) with the file
 * guard's rules and diagnostics.
 */
#ifndef CUSTOS_FILTER_FILEGUARD_H
#define CUSTOS_FILTER_FILEGUARD_H

#include <stddef.h>

#include "filters/family.h"
#include "filters/guard.h"
#include "kernel/loader.h"
#include "rules/rules.h"

/*
 * Compiles the file block rules of rs (filter_guard_compile, guard.h: a
 * block rule the kernel cannot decide, or too many of them, is appended to
 * diags and makes it return -EINVAL).  Free out with filter_guard_free().
 */
int filter_fileguard_compile(const struct rule_set *rs, guard_resolve_fn resolve, void *ctx,
			     struct filter_guard *out, struct rule_diags *diags);
/* The compile with no files and no maps, for `custos rules check`. */
int filter_fileguard_check(const struct rule_set *rs, struct rule_diags *diags);
/* The file guard's maps in l (filter_guard_apply, guard.h). */
int filter_fileguard_apply(struct loader *l, const struct rule_set *rs,
			   struct filter_slots *slots, char *err, size_t errlen);

#endif
