/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filewalk.h - the files that a path glob names now.
 *
 * Walks only the directories the glob's components allow: a literal
 * component is one lstat(), a wildcard one ("STAR", "id_STAR", "[ab]") one
 * readdir() of its directory, and only a component holding "STARSTAR" walks
 * the whole tree below it ("/srv/evals/STARSTAR").  So "/home/STAR/.aws/
 * credentials" costs a listing of /home and a few lstat()s, not a walk of
 * every home directory.  Symbolic links are neither reported nor followed
 * (a rule's path names resolved paths); mount points are crossed, as the
 * kernel's path is.  (STAR stands for '*'.)
 */
#ifndef CUSTOS_FILTER_FILEWALK_H
#define CUSTOS_FILTER_FILEWALK_H

#include <stddef.h>
#include <sys/stat.h>

/* One file the glob matches: its path and lstat(); 0 to go on, else the
 * walk stops and returns it. */
typedef int (*filewalk_fn)(const char *path, size_t len, const struct stat *st, void *ctx);

/*
 * Calls fn for every file that is not a directory or a symbolic link and
 * whose path glob matches, visiting at most *budget directory entries
 * (decremented).  0 when done, 1 when the budget ran out first (the walk
 * is incomplete), -EINVAL for a glob that is not absolute (it names files
 * anywhere: nothing to walk), or fn's non-zero return.  Directories that
 * cannot be read are skipped.
 */
int filewalk_glob(const char *glob, size_t *budget, filewalk_fn fn, void *ctx);

#endif
