/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classes.c - lineage classes in the kernel's numbering, and the agent's
 * writes to the per-process state (classes.h).
 */
#include "agent/classes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "base/log.h"
#include "base/sbuf.h"
#include "filter_maps.h"

/* A class's values as one string: "u" or "w" (unless / when), then each glob and a NUL. */
static char *class_key(const struct rule_class *c)
{
	struct sbuf b = { 0 };

	sbuf_addc(&b, c->unless ? 'u' : 'w');
	for (size_t i = 0; i < c->cf->n; i++) {
		sbuf_adds(&b, c->cf->globs[i] ? c->cf->globs[i] : "");
		sbuf_addc(&b, '\0');
	}
	sbuf_addc(&b, '\0');
	if (sbuf_err(&b)) {
		sbuf_free(&b);
		return NULL;
	}
	return b.p;
}

/* keys are NUL-separated lists ending in an empty entry */
static int same_key(const char *a, const char *b)
{
	while (*a || *b) {
		if (strcmp(a, b) != 0)
			return 0;
		a += strlen(a) + 1;
		b += strlen(b) + 1;
	}
	return 1;
}

void classes_init(struct classes *k, int map_fd)
{
	memset(k, 0, sizeof(*k));
	k->map_fd = map_fd;
	for (int i = 0; i < RULE_MAX_CLASSES; i++)
		k->slot_of[i] = -1;
}

void classes_free(struct classes *k)
{
	for (int i = 0; i < RULE_MAX_CLASSES; i++)
		free(k->key[i]);
	classes_init(k, -1);
}

/* Clears the slots in mask from every kernel entry and every cache entry. */
static void clear_slots(struct classes *k, struct proc_cache *procs, uint64_t mask)
{
	const struct proc_entry **all;
	size_t n;
	__u32 key, next;
	int more;

	if (!mask)
		return;
	for (more = k->map_fd >= 0 && bpf_map_get_next_key(k->map_fd, NULL, &next) == 0; more;) {
		struct proc_class v;

		key = next;
		more = bpf_map_get_next_key(k->map_fd, &key, &next) == 0;
		if (bpf_map_lookup_elem(k->map_fd, &key, &v) || !((v.self | v.lineage) & mask))
			continue;
		v.self &= ~mask;
		v.lineage &= ~mask;
		bpf_map_update_elem(k->map_fd, &key, &v, BPF_EXIST);
	}
	all = calloc(proc_cache_count(procs) + 1, sizeof(*all));
	if (!all)
		return;
	n = proc_cache_snapshot(procs, all, proc_cache_count(procs), 1);
	for (size_t i = 0; i < n; i++)
		proc_cache_set_classes(procs, all[i]->pid, all[i]->coarse ? all[i]->start *
				       procs->ns_per_tick : all[i]->start, all[i]->self & ~mask,
				       all[i]->lineage & ~mask);
	free(all);
}

/* The slot of the class whose key is key, kept from before; -1: none. */
static int kept_slot(const struct classes *k, const char *key, uint64_t taken)
{
	for (int s = 0; s < RULE_MAX_CLASSES; s++)
		if (k->key[s] && !(taken & (1ULL << s)) && same_key(k->key[s], key))
			return s;
	return -1;
}

int classes_plan(const struct classes *k, struct rule_set *rs)
{
	uint64_t taken = 0;
	char *key;

	for (size_t c = 0; c < RULE_MAX_CLASSES; c++)
		rs->class_slot[c] = -1;
	/* a class whose values had a slot keeps it */
	for (size_t c = 0; c < rs->n_classes; c++) {
		key = class_key(&rs->classes[c]);
		if (!key)
			return -ENOMEM;
		rs->class_slot[c] = kept_slot(k, key, taken);
		if (rs->class_slot[c] >= 0)
			taken |= 1ULL << rs->class_slot[c];
		free(key);
	}
	/* the others take slots no class keeps */
	for (size_t c = 0; c < rs->n_classes; c++) {
		for (int s = 0; rs->class_slot[c] < 0 && s < RULE_MAX_CLASSES; s++) {
			if (taken & (1ULL << s))
				continue;
			rs->class_slot[c] = s;
			taken |= 1ULL << s;
		}
	}
	return 0;
}

int classes_commit(struct classes *k, struct rule_set *rs, struct proc_cache *procs)
{
	char *keys[RULE_MAX_CLASSES] = { 0 };
	uint64_t stale = 0;
	int rc = 0;

	for (size_t c = 0; c < rs->n_classes; c++) {
		int s = rs->class_slot[c];

		if (s < 0)
			continue;
		keys[s] = class_key(&rs->classes[c]);
		if (!keys[s]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	/* a slot that leaves its class: its bits mean nothing any more */
	for (int s = 0; s < RULE_MAX_CLASSES; s++)
		if (k->key[s] && (!keys[s] || !same_key(k->key[s], keys[s])))
			stale |= 1ULL << s;
	clear_slots(k, procs, stale);
	for (int s = 0; s < RULE_MAX_CLASSES; s++) {
		free(k->key[s]);
		k->key[s] = keys[s];
		keys[s] = NULL;
	}
	memcpy(k->slot_of, rs->class_slot, sizeof(k->slot_of));
	k->rs = rs;
out:
	for (int s = 0; s < RULE_MAX_CLASSES; s++)
		free(keys[s]);
	return rc;
}

uint64_t classes_local(const struct classes *k, uint64_t slots)
{
	uint64_t local = 0;

	for (size_t c = 0; slots && k->rs && c < k->rs->n_classes; c++)
		if (k->slot_of[c] >= 0 && ((slots >> k->slot_of[c]) & 1))
			local |= 1ULL << c;
	return local;
}

uint64_t classes_of(const struct classes *k, const struct proc_entry *e)
{
	struct cev_str s = { .p = e->exe, .len = e->exe_len };
	struct cev_prog prog = { .id = e->exe_info.id, .flags = e->exe_info.flags };
	uint64_t local, slots = 0;

	if (!k->rs || !k->rs->n_classes)
		return 0;
	local = rule_set_classes_of(k->rs, &s, &prog);
	for (size_t c = 0; local && c < k->rs->n_classes; c++)
		if (((local >> c) & 1) && k->slot_of[c] >= 0)
			slots |= 1ULL << k->slot_of[c];
	return slots;
}

/* The kernel's entry for e: start_ns exact, or (seeded from /proc) its tick. */
static void write_entry(struct classes *k, const struct proc_entry *e)
{
	struct proc_class v = { .self = e->self, .lineage = e->lineage };
	__u32 key = e->pid;

	if (k->map_fd < 0)
		return;
	if (e->coarse)
		v.start_tick = e->start;
	else
		v.start_ns = e->start;
	if (bpf_map_update_elem(k->map_fd, &key, &v, BPF_ANY)) {
		if (!k->write_errors++)
			log_warn("agent: writing a process's lineage into the kernel failed: %s "
				 "(its own process cache still holds it)", strerror(errno));
		return;
	}
	k->writes++;
}

static uint64_t start_of(const struct proc_cache *procs, const struct proc_entry *e)
{
	return e->coarse ? e->start * procs->ns_per_tick : e->start;
}

void classes_after(struct classes *k, struct proc_cache *procs, const struct proc_entry *e,
		   uint64_t kernel, int exec)
{
	uint64_t self, lineage;
	int need;

	if (!e || !k->rs || !k->rs->n_classes)
		return;
	self = exec ? classes_of(k, e) : e->self;
	lineage = e->lineage | kernel;
	/* the kernel set self to 0 at the exec; at a fork it copied what it had */
	need = (lineage & ~kernel) || (exec && self);
	if (self != e->self || lineage != e->lineage)
		proc_cache_set_classes(procs, e->pid, start_of(procs, e), self, lineage);
	if (need)
		write_entry(k, e);
}

void classes_exit(struct classes *k, uint32_t pid, uint64_t start_ns)
{
	struct proc_class v;
	__u32 key = pid;

	if (k->map_fd < 0 || bpf_map_lookup_elem(k->map_fd, &key, &v))
		return;
	/* an entry the agent wrote after the kernel dropped it at the exit */
	if (v.start_ns ? v.start_ns == start_ns : v.start_tick == start_ns / PROC_NS_PER_TICK)
		bpf_map_delete_elem(k->map_fd, &key);
}

void classes_sync(struct classes *k, struct proc_cache *procs)
{
	const struct proc_entry **live, *line[64];
	size_t n;

	if (!k->rs || !k->rs->n_classes)
		return;
	live = calloc(proc_cache_count(procs) + 1, sizeof(*live));
	if (!live)
		return;
	n = proc_cache_snapshot(procs, live, proc_cache_count(procs), 0);
	for (size_t i = 0; i < n; i++)
		proc_cache_set_classes(procs, live[i]->pid, start_of(procs, live[i]),
				       classes_of(k, live[i]), live[i]->lineage);
	for (size_t i = 0; i < n; i++) {
		const struct proc_entry *e = live[i];
		size_t m = proc_cache_lineage(procs, e, line, 64);
		uint64_t lineage = e->lineage;

		for (size_t j = 0; j < m; j++)
			lineage |= line[j]->self | line[j]->lineage;
		proc_cache_set_classes(procs, e->pid, start_of(procs, e), e->self, lineage);
		if (e->self | lineage)
			write_entry(k, e);
	}
	free(live);
}
