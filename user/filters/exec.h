/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter_exec.h - the pure part of the exec block-rule compiler: rules in,
 * the contents of exec_ids / exec_names / exec_uids / exec_conf out
 * (bpf/filter_maps.h, "exec guard", says what they mean and which rules the
 * kernel can decide).  No I/O: absolute paths are resolved to a file's
 * identity through a callback (filter_exec.c's own stats the file).
 */
#ifndef CUSTOS_FILTER_EXEC_H
#define CUSTOS_FILTER_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "filter_maps.h"
#include "rules/rules.h"

/*
 * Resolves the absolute path of an `exe` / `parent_exe` value to the
 * identity of the file there.  0 and *out; -ENOENT when nothing can be named
 * by it now (no such file, or path is not the resolved path of a regular
 * file): the compile records it in `missing` and goes on; other -errno fail.
 */
typedef int (*exec_ident_resolve_fn)(const char *path, struct file_ident *out, void *ctx);

/* A value that names no file now (a warning, not an error: see filter_maps.h). */
struct exec_missing {
	const struct rule *rule;
	const char *path;	/* points into the rule set */
};

struct exec_compiled {
	struct exec_conf conf;
	struct file_ident *ikeys;
	struct exec_bits *ivals;
	size_t n_ids;
	struct file_name_key *nkeys;
	struct exec_bits *nvals;
	size_t n_names;
	uint32_t *ukeys;
	struct exec_uid_bits *uvals;
	size_t n_uids;
	const struct rule *slot[EXEC_MAX_RULES];	/* rule of each rule slot */
	size_t n_slots;
	struct exec_missing *missing;
	size_t n_missing;
};

enum exec_value_kind {
	EXEC_VALUE_NONE = 0,	/* the kernel cannot decide it */
	EXEC_VALUE_PATH = 1,	/* an absolute path without wildcards */
	EXEC_VALUE_NAME = 2,	/* STARSTAR/NAME: the file's own name */
};

/* How the kernel decides an exe / parent_exe glob; for EXEC_VALUE_NAME the
 * name (NUL padded) goes to *name when name is not NULL. */
enum exec_value_kind exec_value_kernel(const char *glob, struct file_name_key *name);

/* Enabled `on: exec` rules with `action: block`. */
size_t exec_block_rules(const struct rule_set *rs);

/*
 * Compiles the exec block rules of rs.  A block rule the kernel cannot
 * decide, or too many of them, is appended to diags (may be NULL) and makes
 * it return -EINVAL; -ENOMEM when memory ran out; a resolve error other than
 * -ENOENT is returned as is.  resolve may be NULL: no path resolves (the
 * slot layout does not depend on it, nor is anything recorded as missing).
 */
int exec_compile(const struct rule_set *rs, exec_ident_resolve_fn resolve, void *ctx,
		 struct exec_compiled *out, struct rule_diags *diags);
void exec_compiled_free(struct exec_compiled *c);

#endif
