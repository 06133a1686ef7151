/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filewatch.h - files watched by identity (bpf/filter_maps.h, "file"):
 * every file a file rule's path names is known to the kernel by its
 * (device, inode) and to the agent with the path the rule knows it by, so
 * that an open of it under any other name is sent and matched.
 *
 * At load and reload, filewatch_apply() walks each rule's globs
 * (filters/filewalk.h) and writes file_watch_ids: the walked files, the
 * scopes filters/file.c compiled, and what the kernel added (files created
 * under a scope) or the agent learned since, kept.  While the agent runs,
 * filewatch_learn() takes in what a record teaches: a file the kernel
 * added (its path from the record), or an identity the kernel did not know
 * whose path a rule's glob matches (then the kernel is told too).
 */
#ifndef CUSTOS_FILTER_FILEWATCH_H
#define CUSTOS_FILTER_FILEWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "filter_maps.h"
#include "filters/fileids.h"
#include "kernel/loader.h"
#include "rules/rules.h"

#define FILEWATCH_AGENT_MAX (4 * FILE_IDS_MAX)	/* identities the agent keeps */
#define FILEWATCH_VISITS (2 * FILE_IDS_MAX)	/* directory entries a load may look at */

struct filewatch_scope {
	struct file_ident id;	/* a watched directory (filters/file.c) */
	uint32_t gen;
};

struct filewatch {
	struct file_ids ids;	/* identity -> the path a rule knows it by */
	uint64_t kernel_full;	/* identities that did not fit in file_watch_ids */
	uint64_t learned;	/* identities learned from records */
	size_t walked;		/* files found by the last walk */
	int incomplete;		/* the last walk ran out of its budget */
};

void filewatch_init(struct filewatch *w);
/*
 * Walks the globs of every enabled file rule of rs, and writes
 * file_watch_ids (l loaded): the files found, the scopes, and the kept
 * entries; drops the walked and learned entries whose path no rule names
 * any more.  0, or -errno with err set.
 */
int filewatch_apply(struct filewatch *w, struct loader *l, const struct rule_set *rs,
		    const struct filewatch_scope *scopes, size_t n_scopes, char *err,
		    size_t errlen);
/*
 * A record's file (dev, ino, gen) at path[0..len), a path a rule's glob
 * matches (or one the kernel added: what FILE_WATCH_ADDED).  Adds it to
 * the table, and, unless the kernel added it, to file_watch_ids (l loaded).
 * 0 or -errno (the table or the map full: counted).
 */
int filewatch_learn(struct filewatch *w, struct loader *l, uint64_t dev, uint64_t ino,
		    uint32_t gen, uint16_t what, const char *path, size_t len);
/* The watched file (dev, ino, gen), or NULL. */
const struct file_id_entry *filewatch_lookup(const struct filewatch *w, uint64_t dev,
					     uint64_t ino, uint32_t gen);
void filewatch_free(struct filewatch *w);

#endif
