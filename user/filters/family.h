/* SPDX-License-Identifier: Apache-2.0 */
/*
 * family.h - what every filter family (file, net, exec, fileguard) uses on
 * the I/O side: how the kernel numbers a family's rules (filter_slots), a
 * file's identity as the kernel sees it, the map writer, the compile error.
 * filters.h, above the families, runs them all.
 */
#ifndef CUSTOS_FILTER_FAMILY_H
#define CUSTOS_FILTER_FAMILY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "filter_maps.h"
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
	uint8_t names;		/* net: a rule names a destination by DNS name */
};

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

/* A program's fingerprint (filter_maps.h) from its open file: 0 and *size, *head; -errno. */
int filter_exe_fingerprint(int fd, uint64_t *size, uint64_t *head);

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
/* The conf map's entry 0 as it is now, into conf (conf_size bytes); 0 or
 * -errno (then conf is zeroed). */
int filter_conf_read(int fd_conf, void *conf, size_t conf_size);
/* The same, with then(ctx) run after the refill, before conf goes on (its
 * error stops the write there, the decision left off). */
int filter_guard_write_then(int fd_conf, const void *conf, size_t conf_size,
			    const struct filter_table *t, size_t n_tables,
			    int (*then)(void *ctx), void *ctx);

/*
 * The apply steps' error for a compile that returned rc: the first
 * diagnostic as FILE:LINE:COL: error: MSG, else "WHAT: compiling failed".
 * Frees diags; returns rc.
 */
int filter_compile_error(int rc, struct rule_diags *diags, const char *what, char *err,
			 size_t errlen);

#endif
