/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec.h - the exec guard: exec block rules in, the contents of exec_ids /
 * exec_names / exec_uids / exec_conf out (bpf/filter_maps.h, "The guards",
 * says what they mean and which rules the kernel can decide: exe,
 * exe_content, parent_exe, uid).  The compiler and apply step are the guards' shared
 * ones (filters/guard.h) with the exec guard's rules and diagnostics.
 */
#ifndef CUSTOS_FILTER_EXEC_H
#define CUSTOS_FILTER_EXEC_H

#include <stddef.h>

#include "filters/family.h"
#include "filters/guard.h"
#include "kernel/loader.h"
#include "rules/rules.h"

/*
 * Compiles the exec block rules of rs (filter_guard_compile_heads, guard.h:
 * a block rule the kernel cannot decide, or too many of them, is appended to
 * diags and makes it return -EINVAL); head takes the fingerprints of
 * exe_content programs (NULL: none).  Free out with filter_guard_free().
 */
int filter_exec_compile(const struct rule_set *rs, guard_resolve_fn resolve, guard_head_fn head,
			void *ctx, struct filter_guard *out, struct rule_diags *diags);
/* The compile with no files and no maps, for `custos rules check`. */
int filter_exec_check(const struct rule_set *rs, struct rule_diags *diags);
/* The exec guard's maps in l (filter_guard_apply, guard.h). */
int filter_exec_apply(struct loader *l, const struct rule_set *rs, struct filter_slots *slots,
		      char *err, size_t errlen);

#endif
