/* SPDX-License-Identifier: Apache-2.0 */
/*
 * labels.h - data-flow labels (rules.h, "Labels") as the kernel numbers
 * them, and what the agent keeps of where each came from.
 *
 * The kernel holds which labels a process carries (bpf/filter_maps.h,
 * "Per-process state"), in slots: a label name keeps its slot across
 * reloads while a rule names it, so labels set before a reload keep their
 * meaning.  label_conf says which slots mean something, since when (a slot
 * given to another name makes the labels set in it before then void) and
 * for how long a label lasts (the longest label_ttl of the rules that set
 * it; none: forever).  Only a name some rule sets has a slot: a reload that
 * drops a label's last rule clears its effect at once, everywhere, without
 * touching a process, and a condition on it holds for nobody.
 *
 * Sources: when a rule that sets labels matches an open, the agent records
 * on the process's cache entry (host/proc_cache.h) the rule, the seq of the
 * record it emitted (none for action: label, which emits none: then the
 * file), and the time; children inherit them with the labels.  A record
 * shows the labels the kernel says the process holds, each with its source
 * when the cache still has it.
 */
#ifndef CUSTOS_AGENT_LABELS_H
#define CUSTOS_AGENT_LABELS_H

#include <stdint.h>

#include "filter_maps.h"
#include "host/proc_cache.h"
#include "record/event.h"
#include "rules/rules.h"

struct labels {
	char *name[PROC_LABEL_MAX];	/* slot -> name; NULL: free */
	int slot_of[RULE_MAX_LABELS];	/* the rule set's label -> slot; -1: none */
	const char *setter[RULE_MAX_LABELS];	/* the one rule that sets it; NULL: none, several */
	const struct rule_set *rs;
	struct label_conf conf;		/* what the kernel has */
	int conf_fd;			/* label_conf; -1: no kernel */
	int proc_fd;			/* proc_label; -1: no kernel */
};

void labels_init(struct labels *l, int conf_fd);
/*
 * Pinned programs adopted (kernel/loader.h): the slots' names and since
 * times the kernel keeps (label_conf, written by the earlier agent) become
 * this agent's, then rs is numbered and committed against them, so a name
 * keeps its slot and the labels processes hold of it.  0, or -errno.
 */
int labels_adopt(struct labels *l, struct rule_set *rs, uint64_t now);
void labels_free(struct labels *l);

/*
 * Gives rs's labels their slots in rs->label_slot (a name keeps its slot;
 * the kernel filters compile with them), changing nothing yet.  0.
 */
int labels_plan(const struct labels *l, struct rule_set *rs);
/*
 * Makes rs's numbering (labels_plan) the one in force and writes label_conf;
 * now: CLOCK_BOOTTIME ns, when a slot given to another name starts to mean
 * it.  0, -ENOMEM.
 */
int labels_commit(struct labels *l, struct rule_set *rs, uint64_t now);
/* Writes label_conf again (after the kernel side loaded). */
void labels_write(const struct labels *l);

/* Kernel slots -> the loaded rule set's label bits, and back. */
uint64_t labels_local(const struct labels *l, uint64_t slots);
uint64_t labels_slots(const struct labels *l, uint64_t local);

/*
 * The labels of a process that holds `local` (rule set bits), for a record:
 * one entry each into out (max), with the source e's cache entry has.
 */
uint32_t labels_describe(const struct labels *l, const struct proc_entry *e, uint64_t local,
			 struct cev_label *out, uint32_t max);

/*
 * Rule r (with set_labels) fired for process e (pid, start_ns), its record
 * seq (0: none), at time_ns (realtime), on file via: records the source of
 * each label r sets that e's entry has no live source for.
 */
void labels_fired(const struct labels *l, struct proc_cache *procs, const struct proc_entry *e,
		  uint64_t start_ns, const struct rule *r, uint64_t seq, uint64_t time_ns,
		  const struct cev_str *via);

/*
 * An exec or connect rule with set_labels fired for process (tgid,
 * start_ns) (boot ns, as its records say): the label slots `slots` are
 * set in the kernel's proc_label at now (boot ns), so that its next calls
 * and its children are judged with them.  The file program sets a file
 * rule's labels itself, at the open; these come the moment the agent has
 * the record (docs/RULES.md, "Flows").  0, or -errno.
 */
int labels_set_kernel(const struct labels *l, uint32_t tgid, uint64_t start_ns, uint64_t slots,
		      uint64_t now);

#endif
