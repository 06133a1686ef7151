/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters.h - from compiled rules to the kernel pre-filters (bpf/filter_maps.h).
 *
 * Each hook family that filters in the kernel has a compiler (pure: rules in,
 * map contents out) and an apply step that writes the maps.  The agent calls
 * filters_apply() after load and before attach, and again on every reload
 * (new contents first, then the new rule set replaces the old).
 * filters_check() is what `custos rules check` adds to parsing: rules the
 * kernel side cannot honour (e.g. a block rule it cannot decide).
 */
#ifndef CUSTOS_FILTERS_H
#define CUSTOS_FILTERS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/loader.h"
#include "rules/rules.h"

int filter_file_apply(struct loader *l, const struct rule_set *rs, char *err, size_t errlen);
int filter_net_apply(struct loader *l, const struct rule_set *rs, char *err, size_t errlen);
/* Appends diagnostics for rules the kernel side cannot honour; -EINVAL if any. */
int filter_net_check(const struct rule_set *rs, struct rule_diags *diags);
/* exec block rules -> the exec guard maps (filter_exec.h); check as above. */
int filter_exec_apply(struct loader *l, const struct rule_set *rs, char *err, size_t errlen);
int filter_exec_check(const struct rule_set *rs, struct rule_diags *diags);
/* file block rules -> the file guard maps (filter_fileguard.h); check as above. */
int filter_fileguard_apply(struct loader *l, const struct rule_set *rs, char *err,
			   size_t errlen);
int filter_fileguard_check(const struct rule_set *rs, struct rule_diags *diags);

/*
 * The identity (dev in the kernel's encoding, ino) of the file at path when
 * path is its resolved path (no symlink on the way) and, unless type is 0,
 * its type is type (S_IFREG, S_IFDIR); else -ENOENT.  filter_exec.c.
 */
struct file_ident;
int filter_ident_at(const char *path, unsigned int type, struct file_ident *k);
/*
 * The device the kernel's i_sb->s_dev holds for a file at the resolved path
 * real whose stat() said st_dev (major << 20 | minor): the superblock's, from
 * mountinfo, which stat() does not report on btrfs.  filter_file.c.
 */
uint64_t filter_kernel_dev(const char *real, dev_t st_dev);
/* One BPF hash map of a guard (exec, file) and its compiled contents. */
struct guard_table {
	int fd;
	const void *keys, *vals;	/* n of key_size / val_size bytes each */
	size_t n, key_size, val_size;
};

/*
 * Writes a guard's maps as filter_maps.h says: conf[0] = off first, the
 * tables emptied and refilled, conf[0] = conf last.  0 or -errno.
 * filter_exec.c.
 */
int filter_guard_write(int fd_conf, const void *off, const void *conf,
		       const struct guard_table *t, size_t n_tables);

static inline int filters_apply(struct loader *l, const struct rule_set *rs, char *err,
				size_t errlen)
{
	int rc = filter_file_apply(l, rs, err, errlen);

	if (!rc)
		rc = filter_net_apply(l, rs, err, errlen);
	if (!rc)
		rc = filter_exec_apply(l, rs, err, errlen);
	return rc ? rc : filter_fileguard_apply(l, rs, err, errlen);
}

static inline int filters_check(const struct rule_set *rs, struct rule_diags *diags)
{
	int rc = filter_net_check(rs, diags);
	int rc_exec = filter_exec_check(rs, diags);
	int rc_file = filter_fileguard_check(rs, diags);

	if (rc == -ENOMEM || rc_exec == -ENOMEM || rc_file == -ENOMEM)
		return -ENOMEM;
	return rc ? rc : rc_exec ? rc_exec : rc_file;
}

#endif
