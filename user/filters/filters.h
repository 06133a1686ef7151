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
#include <sys/types.h>

#include "filter_maps.h"
#include "kernel/loader.h"
#include "rules/rules.h"

#define FILTER_MAX_SLOTS 64	/* NET_MAX_RULES, GUARD_MAX_RULES */

/*
 * The rule slots of one deciding family (net, exec, fileguard): how the
 * kernel numbers the rules in the rule_mask of the records it decides (a
 * flagged ev_connect, a refused ev_exec or ev_file), under the rule set
 * whose rule_set_gen() is gen.
 */
struct filter_slots {
	const struct rule *rule[FILTER_MAX_SLOTS];	/* slot -> rule; NULL: unused */
	uint64_t exact;		/* slots the kernel decides exactly; the matcher
				 * checks the others */
	uint16_t gen;
	uint8_t block_only;	/* only block rules get slots (the guards) */
};

/* What filters_apply() hands the agent: the slot tables of the rule set. */
struct filters {
	struct filter_slots net, exec, fileguard;
};

/*
 * Compiles rs for every family and writes the maps of l; fills *out on
 * success (on failure *out is unspecified).  l NULL or not loaded: no
 * maps, no file is looked at, only *out (an agent without BPF).  0, or
 * -errno with err set (FILE:LINE:COL: error: ... for a rule).
 */
int filters_apply(struct filters *out, struct loader *l, const struct rule_set *rs, char *err,
		  size_t errlen);
/* Appends diagnostics for rules the kernel side cannot honour; -EINVAL if
 * any, -ENOMEM when memory ran out. */
int filters_check(const struct rule_set *rs, struct rule_diags *diags);

/*
 * The identity (dev in the kernel's encoding, ino) of the file at path when
 * path is its resolved path (no symlink on the way) and, unless type is 0,
 * its type is type (S_IFREG, S_IFDIR); else -ENOENT.
 */
int filter_ident_at(const char *path, unsigned int type, struct file_ident *k);
/*
 * The device the kernel's i_sb->s_dev holds for a file at the resolved path
 * real whose stat() said st_dev (major << 20 | minor): the superblock's, from
 * mountinfo, which stat() does not report on btrfs.
 */
uint64_t filter_kernel_dev(const char *real, dev_t st_dev);

/* One BPF hash map of a family and its compiled contents. */
struct filter_table {
	int fd;
	const void *keys, *vals;	/* n of key_size / val_size bytes each */
	size_t n, key_size, val_size;
};

/*
 * Writes a deciding family's maps as filter_maps.h says: the conf map's
 * entry 0 switched off (conf_size zero bytes) first, the tables emptied and
 * refilled, conf written last: never a half-written decision.  0 or -errno.
 */
int filter_guard_write(int fd_conf, const void *conf, size_t conf_size,
		       const struct filter_table *t, size_t n_tables);

/*
 * The apply steps' error for a compile that returned rc: the first
 * diagnostic as FILE:LINE:COL: error: MSG, else "WHAT: compiling failed".
 * Frees diags; returns rc.
 */
int filter_compile_error(int rc, struct rule_diags *diags, const char *what, char *err,
			 size_t errlen);

#endif
