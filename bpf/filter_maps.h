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

/*
 * file: the open pre-filter (bpf/file.bpf.c reads, user/filter_file.c writes).
 *
 * The compiler turns each enabled `on: file` rule's `path` globs into one of:
 *   - a watched directory: the glob's longest literal directory prefix
 *     ("/root/.aws/credentials" -> /root/.aws, "/home/STAR/.ssh/id_STAR" -> /home).
 *     The agent stat()s it; when it does not exist yet, the basename or
 *     suffix below is used if the glob has one, else the nearest existing
 *     ancestor is watched (over-reports a little, never misses a directory
 *     created later).  Its identity goes into file_watch_ids.  When the
 *     prefix lies more than one level above the file and the glob has a
 *     basename or suffix ("/home/STAR/.aws/credentials"), that is used instead.
 *   - a basename ("STARSTAR/.env" -> ".env") in file_watch_names, when the glob
 *     has no useful prefix (or only "/" exists of it) and its last component
 *     is a literal of less than FILE_NAME_KEY bytes;
 *   - a suffix ("STARSTAR/STAR.pem" -> ".pem") in file_watch_suffixes, when the
 *     last component is STAR followed by a literal; a literal longer than
 *     FILE_SUFFIX_MAX keeps its last FILE_SUFFIX_MAX bytes (still a superset);
 *   - a directory name ("STARSTAR/.ssh/id_STAR" -> ".ssh") in file_watch_dirnames,
 *     when the last component gives neither: the last literal whole
 *     component before it, which every matching path has as a directory;
 *   - otherwise (a rule without `path`, or a glob none of these covers)
 *     file_cfg.match_all: every open is sent, and the agent warns.
 * (STAR stands for '*': a C comment cannot hold the glob.)
 *
 * The BPF side sends an open when match_all is set, or the opened file's
 * name is in file_watch_names, or ends with one of file_watch_suffixes, or
 * the identity of the file or of any directory on its path up to the task's
 * root (crossing mounts, as the reported path does) is in file_watch_ids,
 * or the name of one of them is in file_watch_dirnames.
 * A walk cut at FILE_WALK_DEPTH levels before reaching the root sends the
 * open (it cannot prove that no watched directory lies above).
 * The agent's rule matcher makes the decision on the reported path.
 *
 * Reload: the agent adds the new entries first, then deletes the stale
 * ones, and updates file_cfg last, so no open is missed in between.
 */
#define FILE_WALK_DEPTH 32
#define FILE_NAME_KEY 32	/* basename key, NUL padded: names < 32 bytes */
#define FILE_SUFFIX_MAX 16

/* file_watch_ids key.  dev is the kernel's encoding (sb->s_dev,
 * MAJOR << 20 | MINOR), not st_dev: the agent converts with major()/minor().
 * stat()'s st_dev is not always the superblock's (btrfs gives each subvolume
 * its own), so the agent writes two entries when they differ: one with
 * st_dev, one with the device /proc/self/mountinfo shows for the mount. */
struct file_ident {
	__u64 dev;
	__u64 ino;
};

/* file_watch_names and file_watch_dirnames key: a name, NUL padded. */
struct file_name_key {
	char name[FILE_NAME_KEY];
};

/* file_watch_suffixes key: the last len bytes of a name, NUL padded. */
struct file_suffix_key {
	__u32 len;		/* 1 .. FILE_SUFFIX_MAX */
	char s[FILE_SUFFIX_MAX];
};

/* file_cfg[0] */
struct file_cfg {
	__u32 match_all;	/* 1: send every open */
	__u32 suffix_lens;	/* bit n set: some suffix of n bytes is watched */
	__u32 any_ids;		/* file_watch_ids is not empty */
	__u32 any_names;	/* file_watch_names is not empty */
	__u32 any_dirnames;	/* file_watch_dirnames is not empty */
	__u32 pad;
};

#define FILE_WATCH_MAX 4096	/* entries per map */

#endif
