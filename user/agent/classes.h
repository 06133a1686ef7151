/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classes.h - the lineage classes (rules.h, struct rule_class) as the kernel
 * numbers them, and the agent's part in the per-process state
 * (bpf/filter_maps.h, "Per-process state").
 *
 * A rule set numbers its classes in load order; the kernel's bits must
 * keep their meaning across reloads, because a process's lineage was built
 * when its ancestors ran.  So each class gets a kernel slot by its values
 * (the same `ancestor_exe` list keeps its slot while a rule names it); a
 * slot no rule names any more is cleared everywhere before it is given to
 * another class.
 *
 * The kernel copies, folds and drops the state on its own; the agent says
 * which classes a program is of (self) after its exec record, and adds to
 * lineage what the kernel could not know: a child forked before that write,
 * a process that started before the agent.  The header of a fork or exec
 * record says what the kernel had; the process cache (host/proc_cache.h)
 * mirrors the state in the same numbering.
 */
#ifndef CUSTOS_AGENT_CLASSES_H
#define CUSTOS_AGENT_CLASSES_H

#include <stdint.h>

#include "host/proc_cache.h"
#include "rules/rules.h"

struct classes {
	char *key[RULE_MAX_CLASSES];	/* slot -> its values, as classes_key(); NULL: free */
	int slot_of[RULE_MAX_CLASSES];	/* the rule set's class -> slot; -1: none */
	const struct rule_set *rs;	/* the rule set slot_of is for */
	int map_fd;			/* proc_class; -1: no kernel */
	uint64_t writes;		/* entries written (status) */
	uint64_t write_errors;		/* writes the kernel refused (its map is full) */
};

void classes_init(struct classes *k, int map_fd);
void classes_free(struct classes *k);

/*
 * Gives rs's classes their slots in rs->class_slot (a class keeps the slot
 * its values had; the kernel filters compile with them), changing nothing
 * yet: a reload whose filters fail keeps the running numbering.  0 or
 * -ENOMEM.
 */
int classes_plan(const struct classes *k, struct rule_set *rs);
/*
 * Makes rs's numbering (classes_plan) the one in force: the slots that leave
 * their class are cleared from the kernel's entries and from procs first.
 * 0 or -ENOMEM.
 */
int classes_commit(struct classes *k, struct rule_set *rs, struct proc_cache *procs);

/* Kernel slots -> the loaded rule set's class bits (cev_event.lineage). */
uint64_t classes_local(const struct classes *k, uint64_t slots);

/* The slots of the classes the program process e runs is of. */
uint64_t classes_of(const struct classes *k, const struct proc_entry *e);

/*
 * After a fork or exec record of e (the kernel had `kernel` as lineage):
 * works out e's own classes when it exec'd (exec 1), and writes e's entry
 * in the kernel when the kernel lacks something the cache knows.
 */
void classes_after(struct classes *k, struct proc_cache *procs, const struct proc_entry *e,
		   uint64_t kernel, int exec);

/* After an exit record: drops an entry the agent wrote for that process. */
void classes_exit(struct classes *k, uint32_t pid, uint64_t start_ns);

/*
 * Every live process of procs (seeded from /proc, or after a reload): its
 * own classes, its lineage from the cache's ancestors, written where it has
 * any.
 */
void classes_sync(struct classes *k, struct proc_cache *procs);

#endif
