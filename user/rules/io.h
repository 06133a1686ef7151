/* SPDX-License-Identifier: Apache-2.0 */
/*
 * io.h - the I/O around the pure rule engine: reads rule files and
 * directories (a directory: its *.yaml files in byte order of their names),
 * resolves user names through the system's user database, and calls
 * rule_set_load().
 */
#ifndef CUSTOS_RULES_IO_H
#define CUSTOS_RULES_IO_H

#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

struct rule_files {
	struct rule_source *srcs;
	size_t n, cap;
	int strict;	/* refuse files and directories others could write */
};

/*
 * Reads every path; a problem reading is returned as -errno with err set.
 * strict (the agent): files and directories must be owned by root or the
 * caller and not writable by group or others (-EPERM otherwise).
 */
int rule_files_read(const char *const *paths, size_t n, int strict, struct rule_files *out,
		    char *err, size_t errlen);
void rule_files_free(struct rule_files *f);

/*
 * What a directory of rules is, for the agent and `custos rules test` alike:
 * the regular files (symlinks followed) directly in dir whose names end in
 * ".yaml" and do not start with '.', as "DIR/NAME", in byte order of NAME
 * (strcmp, whatever the locale).  0 with paths[0..n) (rules_dir_free them),
 * or -errno when dir cannot be listed.
 */
int rules_dir_files(const char *dir, char ***paths, size_t *n);
void rules_dir_free(char **paths, size_t n);

/*
 * Reads and loads paths.  opts NULL: user names resolved by
 * rules_resolve_user, programs by path only (the offline commands); the
 * agent passes its own.  Returns 0 and *out, -EINVAL with diags filled when
 * a file does not load, or another -errno with err set when one cannot be read.
 */
int rules_load_paths(const char *const *paths, size_t n, int strict,
		     const struct rule_load_opts *opts, struct rule_set **out,
		     struct rule_diags *diags, char *err, size_t errlen);

/*
 * 0 when path (rules or configuration) is owned by root or the caller and not
 * writable by group or others; else -EPERM with a message saying what to run.
 */
int trusted_path_check(const char *path, char *err, size_t errlen);

/* The user-name resolver the agent and `rules check` use (getpwnam_r). */
int rules_resolve_user(const char *name, uint32_t *uid, void *ctx);

#endif
