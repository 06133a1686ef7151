/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard.h - what the two guards share (bpf/filter_maps.h, "The guards"):
 * the exec guard (filters/exec.h) and the file guard (filters/fileguard.h)
 * compile their block rules into one kind of tables, struct filter_guard,
 * by one compiler that a struct guard_family tells which rules are its own
 * and how to say why one cannot be decided in the kernel; and apply them by
 * one step.
 *
 * The compiler is pure: absolute paths are resolved to a file's identity
 * through a callback (the apply step's stats the file).
 */
#ifndef CUSTOS_FILTER_GUARD_H
#define CUSTOS_FILTER_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "filter_maps.h"
#include "filters/family.h"
#include "kernel/loader.h"
#include "rules/rules.h"

/* What a resolved path must be. */
enum guard_want {
	GUARD_WANT_ANY = 0,	/* a `path` value: any file */
	GUARD_WANT_DIR = 1,	/* the DIR of a `path: DIR/STARSTAR` value */
	GUARD_WANT_EXE = 2,	/* an `exe` / `parent_exe` value: a regular file */
};

/*
 * Resolves an absolute path to the identity of the file there.  0 and *out;
 * -ENOENT when nothing can be named by it now (no such file, not the
 * resolved path, not what want asks): the compile records it in `missing`
 * and goes on; other -errno fail the compile.
 */
typedef int (*guard_resolve_fn)(const char *path, enum guard_want want,
				struct file_ident *out, void *ctx);

/*
 * The fingerprint (filter_maps.h) of the program at an absolute path, for
 * an `exe_content` value.  0 and *out; -ENOENT when there is none now.
 */
typedef int (*guard_head_fn)(const char *path, struct exe_head_key *out, void *ctx);

/* A value that names no file now (a warning, not an error: see filter_maps.h). */
struct guard_missing {
	const struct rule *rule;
	const char *path;	/* the value as written (DIR/STARSTAR too); points into the rule set */
};

/* One guard's compiled block rules: the contents of its four maps. */
struct filter_guard {
	struct guard_conf conf;
	struct file_ident *ikeys;	/* PREFIX_ids */
	struct guard_bits *ivals;
	size_t n_ids;
	struct file_name_key *nkeys;	/* PREFIX_names */
	struct guard_bits *nvals;
	size_t n_names;
	uint32_t *ukeys;		/* PREFIX_uids */
	struct guard_uid_bits *uvals;
	size_t n_uids;
	struct exe_head_key *hkeys;	/* exec_heads (exe_content) */
	struct guard_bits *hvals;
	size_t n_heads;
	const struct rule *slot[GUARD_MAX_RULES];	/* rule of each rule slot */
	size_t n_slots;
	struct guard_missing *missing;
	size_t n_missing;
	size_t cap[9];			/* allocated counts of the arrays above */
};

/* The bit of a rule field in a guard's `fields` and `need` masks. */
#define GUARD_FIELD(f) (1u << (f))

/*
 * A guard: its rules (enabled, of kind `on`, action block), the fields it
 * decides, and how it says why it cannot decide a rule.
 */
struct guard_family {
	enum rule_on on;
	uint32_t fields;	/* GUARD_FIELD() of each field it decides */
	uint32_t need;		/* a `when` must have one of these */
	const char *what;	/* "exec", "file": "N exec block rules" */
	const char *rules;	/* "exec rules", "file block rules": the apply's errors */
	const char *can;	/* what it decides in a `when`: "exe, parent_exe, uid" */
	const char *can_unless;	/* in an `unless`, values included */
	const char *no_need;	/* why a `when` without `need` is refused */
	/* Logs that the value m names no file, so nothing is refused for it. */
	/* n values of one rule that name no file now, from m */
	void (*warn_missing)(const struct guard_missing *m, size_t n);
	/* The guard's maps in l: conf, ids, names, uids. */
	void (*maps)(const struct loader *l, int fd[4]);
	/* NULL, or what the apply step adds to the compiled tables before
	 * writing them (the file guard: the files below a `DIR/STARSTAR`). */
	int (*expand)(struct filter_guard *g, const struct rule_set *rs);
	/* NULL, or what it learns from l's other maps (written before its
	 * own) into g->conf, before the conf is written (the file guard:
	 * ids_watched). */
	void (*seal)(const struct loader *l, struct filter_guard *g);
	/* exe_content (the exec guard): the fingerprints' map, and how to take one. */
	int (*heads_map)(const struct loader *l);
	guard_head_fn head;
};

enum guard_value_kind {
	GUARD_VALUE_NONE = 0,	/* the kernel cannot decide it */
	GUARD_VALUE_PATH = 1,	/* an absolute path without wildcards */
	GUARD_VALUE_NAME = 2,	/* STARSTAR/NAME: the file's own name */
};

/* How the kernel decides an exe / parent_exe glob; for GUARD_VALUE_NAME the
 * name (NUL padded) goes to *name when name is not NULL. */
enum guard_value_kind filter_guard_value_kernel(const char *glob, struct file_name_key *name);

enum guard_path_kind {
	GUARD_PATH_NONE = 0,	/* the kernel cannot decide it */
	GUARD_PATH_FILE = 1,	/* an absolute path without wildcards */
	GUARD_PATH_TREE = 2,	/* DIR/STARSTAR, DIR an absolute path without wildcards */
	GUARD_PATH_NAME = 3,	/* STARSTAR/NAME: the file's own name */
};

/*
 * How the kernel decides a `path` glob.  GUARD_PATH_TREE: the length of DIR
 * ("/" for the glob "/STARSTAR") goes to *dir_len; GUARD_PATH_NAME: the name
 * to *name; either may be NULL.
 */
enum guard_path_kind filter_guard_path_kernel(const char *glob, size_t *dir_len,
					      struct file_name_key *name);

/*
 * Gives file the tree bits that the directory dir has in g: a file below a
 * `DIR/STARSTAR` value known by its own identity, so that a hard link or a
 * rename of it out of DIR is refused as it is.  0 (also when dir has no
 * tree bits), -E2BIG when the table is full (GUARD_MAP_MAX), -ENOMEM.
 */
int filter_guard_tree_file(struct filter_guard *g, const struct file_ident *dir,
			   const struct file_ident *file);

/* Enabled rules of kind on with action: block. */
size_t filter_guard_block_rules(const struct rule_set *rs, enum rule_on on);

/*
 * Compiles the block rules of fam in rs.  A rule the kernel cannot decide,
 * or too many of them, is appended to diags (may be NULL) and makes it
 * return -EINVAL; -ENOMEM when memory ran out (out is then freed); a
 * resolve error other than -ENOENT is returned as is.  resolve may be NULL:
 * no path resolves (the slot layout does not depend on it, nor is anything
 * recorded as missing).
 */
int filter_guard_compile(const struct rule_set *rs, const struct guard_family *fam,
			 guard_resolve_fn resolve, void *ctx, struct filter_guard *out,
			 struct rule_diags *diags);
/* The same with the fingerprints taken by head (NULL: none); the above
 * uses fam->head whenever it resolves. */
int filter_guard_compile_heads(const struct rule_set *rs, const struct guard_family *fam,
			       guard_resolve_fn resolve, guard_head_fn head, void *ctx,
			       struct filter_guard *out, struct rule_diags *diags);
void filter_guard_free(struct filter_guard *g);

/*
 * Compiles fam's rules resolving paths with stat(), warns about missing
 * values and writes the guard's maps (filter_guard_write); slots gets the
 * slot table.  l NULL or not loaded: nothing resolved or written.  0, or
 * -errno with err set.
 */
int filter_guard_apply(const struct guard_family *fam, struct loader *l,
		       const struct rule_set *rs, struct filter_slots *slots, char *err,
		       size_t errlen);

#endif
