/* SPDX-License-Identifier: Apache-2.0 */
/*
 * labels.c - label slots, label_conf, and the labels' sources (labels.h).
 */
#include "agent/labels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "base/log.h"

void labels_init(struct labels *l, int conf_fd)
{
	memset(l, 0, sizeof(*l));
	l->conf_fd = conf_fd;
	l->proc_fd = -1;
	for (int i = 0; i < RULE_MAX_LABELS; i++)
		l->slot_of[i] = -1;
}

void labels_free(struct labels *l)
{
	for (int i = 0; i < PROC_LABEL_MAX; i++)
		free(l->name[i]);
	labels_init(l, -1);
}

/* The longest label_ttl of the rules that set local label i (0: one sets it forever). */
static uint64_t ttl_of(const struct rule_set *rs, uint64_t bit, const char **setter)
{
	uint64_t ttl = 0;
	int setters = 0;

	*setter = NULL;
	for (size_t r = 0; r < rs->n_rules; r++) {
		const struct rule *rl = &rs->rules[r];

		if (!rl->enabled || !(rl->set_labels & bit))
			continue;
		if (!setters++) {
			ttl = rl->label_ttl_ns;
			*setter = rl->id;
		} else {
			ttl = !ttl || !rl->label_ttl_ns ? 0 : ttl > rl->label_ttl_ns ? ttl
										: rl->label_ttl_ns;
			*setter = NULL;
		}
	}
	return ttl;
}

/* Does an enabled rule of rs set label bit? */
static int is_set(const struct rule_set *rs, uint64_t bit)
{
	for (size_t r = 0; r < rs->n_rules; r++)
		if (rs->rules[r].enabled && (rs->rules[r].set_labels & bit))
			return 1;
	return 0;
}

int labels_plan(const struct labels *l, struct rule_set *rs)
{
	uint64_t taken = 0;

	for (size_t i = 0; i < RULE_MAX_LABELS; i++)
		rs->label_slot[i] = -1;
	/* a name keeps its slot while a rule sets it; one no rule sets has none
	 * (a condition on it never holds, and what a dropped rule set is void) */
	for (size_t i = 0; i < rs->n_labels && i < RULE_MAX_LABELS; i++)
		for (int s = 0; s < PROC_LABEL_MAX && is_set(rs, 1ULL << i); s++)
			if (l->name[s] && strcmp(l->name[s], rs->labels[i]) == 0) {
				rs->label_slot[i] = s;
				taken |= 1ULL << s;
			}
	/* new names take slots no name keeps */
	for (size_t i = 0; i < rs->n_labels && i < RULE_MAX_LABELS; i++)
		for (int s = 0; rs->label_slot[i] < 0 && s < PROC_LABEL_MAX &&
				is_set(rs, 1ULL << i); s++)
			if (!(taken & (1ULL << s))) {
				rs->label_slot[i] = s;
				taken |= 1ULL << s;
			}
	return 0;
}

void labels_write(const struct labels *l)
{
	__u32 zero = 0;

	if (l->conf_fd >= 0 && bpf_map_update_elem(l->conf_fd, &zero, &l->conf, BPF_ANY))
		log_warn("agent: writing the labels' configuration into the kernel failed: %s",
			 strerror(errno));
}

int labels_commit(struct labels *l, struct rule_set *rs, uint64_t now)
{
	char *names[PROC_LABEL_MAX] = { 0 };

	for (size_t i = 0; i < rs->n_labels && i < RULE_MAX_LABELS; i++) {
		int s = rs->label_slot[i];

		if (s < 0)
			continue;
		names[s] = strdup(rs->labels[i]);
		if (!names[s]) {
			for (int k = 0; k < PROC_LABEL_MAX; k++)
				free(names[k]);
			return -ENOMEM;
		}
	}
	l->conf.valid = 0;
	memset(l->conf.ttl_ns, 0, sizeof(l->conf.ttl_ns));
	for (int s = 0; s < PROC_LABEL_MAX; s++) {
		/* a slot given to another name: what it held before is void */
		if (names[s] && (!l->name[s] || strcmp(l->name[s], names[s]) != 0))
			l->conf.since_ns[s] = now;
		free(l->name[s]);
		l->name[s] = names[s];
	}
	for (size_t i = 0; i < rs->n_labels && i < RULE_MAX_LABELS; i++) {
		int s = rs->label_slot[i];

		if (s < 0)
			continue;
		l->conf.valid |= 1ULL << s;
		l->conf.ttl_ns[s] = ttl_of(rs, 1ULL << i, &l->setter[i]);
	}
	memset(l->conf.name, 0, sizeof(l->conf.name));
	for (int s = 0; s < PROC_LABEL_MAX; s++)
		if (l->name[s] && strlen(l->name[s]) < LABEL_NAME_KEY)
			memcpy(l->conf.name[s], l->name[s], strlen(l->name[s]));
	memcpy(l->slot_of, rs->label_slot, sizeof(l->slot_of));
	l->rs = rs;
	labels_write(l);
	return 0;
}

int labels_adopt(struct labels *l, struct rule_set *rs, uint64_t now)
{
	struct label_conf kc;
	__u32 zero = 0;

	if (l->conf_fd < 0 || bpf_map_lookup_elem(l->conf_fd, &zero, &kc))
		return -errno ?: -ENOENT;
	for (int s = 0; s < PROC_LABEL_MAX; s++) {
		free(l->name[s]);
		l->name[s] = NULL;
		if (!((kc.valid >> s) & 1) || !kc.name[s][0])
			continue;
		l->name[s] = strndup(kc.name[s], LABEL_NAME_KEY - 1);
		if (!l->name[s])
			return -ENOMEM;
	}
	memcpy(l->conf.since_ns, kc.since_ns, sizeof(l->conf.since_ns));
	labels_plan(l, rs);
	return labels_commit(l, rs, now);
}

uint64_t labels_local(const struct labels *l, uint64_t slots)
{
	uint64_t local = 0;

	for (size_t i = 0; slots && l->rs && i < l->rs->n_labels && i < RULE_MAX_LABELS; i++)
		if (l->slot_of[i] >= 0 && ((slots >> l->slot_of[i]) & 1))
			local |= 1ULL << i;
	return local;
}

uint64_t labels_slots(const struct labels *l, uint64_t local)
{
	uint64_t slots = 0;

	for (size_t i = 0; local && l->rs && i < l->rs->n_labels && i < RULE_MAX_LABELS; i++)
		if (((local >> i) & 1) && l->slot_of[i] >= 0)
			slots |= 1ULL << l->slot_of[i];
	return slots;
}

uint32_t labels_describe(const struct labels *l, const struct proc_entry *e, uint64_t local,
			 struct cev_label *out, uint32_t max)
{
	uint32_t n = 0;

	for (size_t i = 0; l->rs && i < l->rs->n_labels && n < max; i++) {
		const struct proc_label_src *src;

		if (!((local >> i) & 1))
			continue;
		src = l->slot_of[i] >= 0 ? proc_cache_label(e, (uint32_t)l->slot_of[i]) : NULL;
		out[n] = (struct cev_label){ .name = l->rs->labels[i], .rule = l->setter[i] };
		if (src) {
			out[n].rule = src->rule;
			out[n].seq = src->seq;
			out[n].time_ns = src->time_ns;
			if (src->via)
				out[n].via = (struct cev_str){ .p = src->via,
							       .len = (uint32_t)strlen(src->via) };
		}
		n++;
	}
	return n;
}

/* Is e's source of slot s still the label the kernel holds (not expired)? */
static int live(const struct labels *l, const struct proc_label_src *src, int s,
		uint64_t now_real)
{
	uint64_t ttl = l->conf.ttl_ns[s];

	return src && (!ttl || now_real - src->time_ns < ttl);
}

void labels_fired(const struct labels *l, struct proc_cache *procs, const struct proc_entry *e,
		  uint64_t start_ns, const struct rule *r, uint64_t seq, uint64_t time_ns,
		  const struct cev_str *via)
{
	char path[4097];

	if (!e || !l->rs)
		return;
	for (size_t i = 0; i < l->rs->n_labels && i < RULE_MAX_LABELS; i++) {
		struct proc_label_src src = { .seq = seq, .time_ns = time_ns, .rule = (char *)r->id };
		int s = l->slot_of[i];

		if (!((r->set_labels >> i) & 1) || s < 0 ||
		    live(l, proc_cache_label(e, (uint32_t)s), s, time_ns))
			continue;
		src.slot = (uint32_t)s;
		if (!seq && via && via->len && via->len < sizeof(path)) {
			memcpy(path, via->p, via->len);
			path[via->len] = '\0';
			src.via = path;
		}
		proc_cache_set_label(procs, e->pid, start_ns, &src);
	}
}

int labels_set_kernel(const struct labels *l, uint32_t tgid, uint64_t start_ns, uint64_t slots,
		      uint64_t now)
{
	struct proc_label p;

	if (l->proc_fd < 0 || !slots || !tgid)
		return 0;
	if (bpf_map_lookup_elem(l->proc_fd, &tgid, &p) || p.start_ns != start_ns) {
		memset(&p, 0, sizeof(p));	/* none yet, or a dead process's */
		p.start_ns = start_ns;
	}
	for (int s = 0; s < PROC_LABEL_MAX; s++)
		if (((slots >> s) & 1) && !((p.labels >> s) & 1))
			p.set_ns[s] = now;
	p.labels |= slots;
	return bpf_map_update_elem(l->proc_fd, &tgid, &p, BPF_ANY) ? -errno : 0;
}
