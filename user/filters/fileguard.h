/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter_fileguard.h - the pure part of the file block-rule compiler: rules
 * in, the contents of fguard_ids / fguard_names / fguard_uids / fguard_conf
 * out (bpf/filter_maps.h, "file guard", says what they mean and which rules
 * the kernel can decide).  No I/O: absolute paths are resolved to a file's
 * identity through a callback (filter_fileguard.c's own stats the file).
 * Shares the exec guard's value kinds (filter_exec.h) and the key/bit
 * tables (filter_bits.h).
 */
#ifndef CUSTOS_FILTER_FILEGUARD_H
#define CUSTOS_FILTER_FILEGUARD_H

#include <stddef.h>
#include <stdint.h>

#include "filters/exec.h"
#include "filter_maps.h"
#include "rules/rules.h"

/* What a resolved path must be. */
enum fguard_want {
	FGUARD_WANT_ANY = 0,	/* a `path` value: any file */
	FGUARD_WANT_DIR = 1,	/* the DIR of a `path: DIR/STARSTAR` value */
	FGUARD_WANT_EXE = 2,	/* an `exe` / `parent_exe` value: a regular file */
};

/*
 * Resolves an absolute path to the identity of the file there.  0 and *out;
 * -ENOENT when nothing can be named by it now (no such file, not the
 * resolved path, not what want asks): recorded in `missing`; other -errno fail.
 */
typedef int (*fguard_resolve_fn)(const char *path, enum fguard_want want,
				 struct file_ident *out, void *ctx);

struct fguard_compiled {
	struct fguard_conf conf;
	struct file_ident *ikeys;
	struct fguard_bits *ivals;
	size_t n_ids;
	struct file_name_key *nkeys;
	struct fguard_bits *nvals;
	size_t n_names;
	uint32_t *ukeys;
	struct exec_uid_bits *uvals;
	size_t n_uids;
	const struct rule *slot[FGUARD_MAX_RULES];	/* rule of each rule slot */
	size_t n_slots;
	struct exec_missing *missing;	/* path: the value as written (DIR/STARSTAR too) */
	size_t n_missing;
};

enum fguard_path_kind {
	FGUARD_PATH_NONE = 0,	/* the kernel cannot decide it */
	FGUARD_PATH_FILE = 1,	/* an absolute path without wildcards */
	FGUARD_PATH_TREE = 2,	/* DIR/STARSTAR, DIR an absolute path without wildcards */
	FGUARD_PATH_NAME = 3,	/* STARSTAR/NAME: the file's own name */
};

/*
 * How the kernel decides a `path` glob.  FGUARD_PATH_TREE: the length of
 * DIR ("/" for the glob "/STARSTAR") goes to *dir_len; FGUARD_PATH_NAME: the
 * name to *name; either may be NULL.
 */
enum fguard_path_kind fguard_path_kernel(const char *glob, size_t *dir_len,
					 struct file_name_key *name);

/* Enabled `on: file` rules with `action: block`. */
size_t fguard_block_rules(const struct rule_set *rs);

/*
 * Compiles the file block rules of rs.  A block rule the kernel cannot
 * decide, or too many of them, is appended to diags (may be NULL) and makes
 * it return -EINVAL; -ENOMEM when memory ran out; a resolve error other than
 * -ENOENT is returned as is.  resolve may be NULL: no path resolves (the
 * slot layout does not depend on it, nor is anything recorded as missing).
 */
int fguard_compile(const struct rule_set *rs, fguard_resolve_fn resolve, void *ctx,
		   struct fguard_compiled *out, struct rule_diags *diags);
void fguard_compiled_free(struct fguard_compiled *c);

#endif
