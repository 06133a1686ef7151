/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events_filter.h - which records `custos events` shows: the filters of its
 * options (--rule, --kind, --severity, --since/--until, --pid, --ppid,
 * --uid, --user, --host, --container, --tag, --blocked, --exe, --path,
 * --dest), and --tree PID, which keeps PID and its descendants.
 */
#ifndef CUSTOS_CMD_EVENTS_FILTER_H
#define CUSTOS_CMD_EVENTS_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "record/record.h"
#include "rules/dest.h"

struct events_filter {
	const char *rule, *kind, *exe, *path;	/* NULL: any */
	const char *host, *user, *container, *tag;	/* globs; NULL: any */
	int min_sev;				/* record_severity_rank; -1: any */
	int has_since, has_until, has_pid, has_ppid, has_uid, has_dest;
	int blocked;				/* only what the kernel refused */
	uint64_t since, until;			/* ns since the epoch */
	uint32_t pid, ppid, uid;
	struct dest_pat dest;
};

/* Does r pass every filter set in f? */
int events_filter_keep(const struct events_filter *f, const struct record *r);

/* WHEN of --since/--until, in UTC: RFC 3339, "YYYY-MM-DD[ HH:MM[:SS]]",
 * now, today, yesterday (midnight), or a duration before now (90s, 30m,
 * 2h, 7d).  0, or -EINVAL. */
int events_parse_when(const char *s, uint64_t *ns);

/* Was the call the record reports refused by the kernel? */
int events_blocked(const struct record *r);

/* The kind as records name it ("file", "connect", ...; "?" when unknown). */
const char *events_kind_name(enum cev_kind k);

struct events_tree_node {
	uint32_t pid;
	int depth;		/* 0: the tree's root, 1: its children, ... */
};

/* --tree PID: the processes known to descend from PID, learnt in reading order. */
struct events_tree {
	uint32_t pid;		/* 0: no --tree */
	struct events_tree_node *v;
	size_t n, cap;
};

/* Starts the tree at pid (not 0).  0 or -ENOMEM. */
int events_tree_init(struct events_tree *t, uint32_t pid);
/*
 * The depth of r's process in the tree, or -1 when r is outside it.  A
 * process whose parent is in the tree joins it, one level deeper.
 */
int events_tree_depth(struct events_tree *t, const struct record *r);
void events_tree_free(struct events_tree *t);

#endif
