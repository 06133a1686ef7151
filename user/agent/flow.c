/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flow.c - repeat records and the kernel side's loss records (flow.h).
 *
 * The first records are kept in a 4-way set-associative table: bounded
 * memory, and a key evicted by three others only turns its window's count
 * into a loss record (where "repeat"), never into silence.
 */
#include "agent/flow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/agent.h"
#include "agent/emit.h"
#include "agent/lossby.h"
#include "base/log.h"
#include "base/vec.h"
#include "host/proc_seed.h"
#include "kernel/loader.h"

enum {
	FLOW_SETS = 4096,	/* x FLOW_WAYS first records kept */
	FLOW_WAYS = 4,
	FLOW_BATCH = 512,	/* map entries per lookup syscall */
	FLOW_TOP = 5,		/* processes a loss record names */
	NS_PER_MS = 1000000,
	NS_PER_S = 1000000000,
};

int flow_init(struct flow *f, uint32_t limit, uint32_t repeat_ms, uint32_t reserve_pct)
{
	char stat[1024], comm[PROC_COMM_LEN];
	uint64_t ticks = 0;
	uint32_t ppid;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *in = fopen("/proc/self/stat", "r");
	size_t n = in ? fread(stat, 1, sizeof(stat) - 1, in) : 0;

	if (in)
		fclose(in);
	memset(f, 0, sizeof(*f));
	if (!n || hz <= 0 || proc_parse_stat(stat, n, comm, &ppid, &ticks))
		return -EIO;
	f->conf.self_tgid = (uint32_t)getpid();
	f->conf.self_start_ticks = ticks;
	f->conf.ns_per_tick = (uint64_t)(NS_PER_S / hz);
	f->conf.limit = limit;
	f->conf.repeat_ns = (uint64_t)repeat_ms * NS_PER_MS;
	f->conf.reserve_pct = reserve_pct;
	if (repeat_ms) {
		f->heads = calloc((size_t)FLOW_SETS * FLOW_WAYS, sizeof(*f->heads));
		if (!f->heads)
			return -ENOMEM;
	}
	return 0;
}

void flow_free(struct flow *f)
{
	if (f->heads)
		for (size_t i = 0; i < (size_t)FLOW_SETS * FLOW_WAYS; i++)
			free(f->heads[i].rec);
	free(f->heads);
	free(f->procs);
	free(f->losses);
	free(f->gone);
	memset(f, 0, sizeof(*f));
}

int flow_write_conf(const struct flow *f, int conf_fd)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(conf_fd, &zero, &f->conf, BPF_ANY) ? -errno : 0;
}

static uint32_t key_hash(const struct repeat_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* The way of k's set that holds k, or NULL. */
static struct flow_head *head_find(struct flow *f, const struct repeat_key *k)
{
	struct flow_head *set = &f->heads[(key_hash(k) & (FLOW_SETS - 1)) * FLOW_WAYS];

	for (int w = 0; w < FLOW_WAYS; w++)
		if (set[w].rec && memcmp(&set[w].key, k, sizeof(*k)) == 0)
			return &set[w];
	return NULL;
}

void flow_remember(struct flow *f, const void *rec, size_t size)
{
	const struct ev_header *h = rec;
	struct flow_head *set, *way;
	struct repeat_key k;

	if (!f->heads || !repeat_key_of(rec, size, &k))
		return;
	way = head_find(f, &k);
	if (!way) {	/* an empty way, else the one that came longest ago */
		set = &f->heads[(key_hash(&k) & (FLOW_SETS - 1)) * FLOW_WAYS];
		way = &set[0];
		for (int w = 0; w < FLOW_WAYS && way->rec; w++)
			if (!set[w].rec || set[w].win < way->win)
				way = &set[w];
	}
	if (way->cap < size) {
		uint8_t *p = realloc(way->rec, size);

		if (!p)
			return;		/* its count becomes a repeat loss */
		way->rec = p;
		way->cap = (uint32_t)size;
	}
	memcpy(way->rec, rec, size);
	way->key = k;
	way->size = (uint32_t)size;
	way->win = (uint32_t)(h->ts_boot_ns / f->conf.repeat_ns);
}

/* The loss kind a record type counts in. */
static enum cev_loss_kind loss_kind(uint16_t type)
{
	return type == EV_CONNECT ? CEV_LOST_CONNECT : CEV_LOST_FILE;
}

/* One closed window: reported through fn, or counted lost. */
static void closed_window(struct flow *f, const struct repeat_key *k,
			  const struct repeat_val *v, flow_repeat_fn fn, void *ctx)
{
	struct repeat_key head = *k;
	struct flow_head *h;

	head.win = 0;
	h = head_find(f, &head);
	if (h) {
		struct cev_repeat rep = { v->count, v->first_ns, v->last_ns };

		fn(ctx, h->rec, h->size, &rep);
	} else {
		f->lost_repeat[loss_kind(k->type)] += v->count;
	}
}

void flow_sweep_repeats(struct flow *f, int fd, uint64_t now_boot, flow_repeat_fn fn,
			void *ctx)
{
	struct repeat_key keys[FLOW_BATCH];
	struct repeat_val vals[FLOW_BATCH];
	uint64_t cur;
	uint32_t in = 0, out = 0;
	int rc = 0;

	if (!f->heads || fd < 0)
		return;
	cur = now_boot / f->conf.repeat_ns;
	f->n_gone = 0;
	for (int first = 1; rc == 0; first = 0) {
		__u32 count = FLOW_BATCH;

		rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL);
		if (rc && errno != ENOENT)
			break;
		for (__u32 i = 0; i < count; i++) {
			/* closed a whole window ago: no program still adds to it */
			if ((uint64_t)keys[i].win + 1 >= cur)
				continue;
			if (vals[i].count)
				closed_window(f, &keys[i], &vals[i], fn, ctx);
			if (vec_grow((void **)&f->gone, f->n_gone, &f->cap_gone, sizeof(*f->gone)))
				break;
			f->gone[f->n_gone++] = keys[i];
		}
		in = out;
	}
	for (size_t i = 0; i < f->n_gone; i++)
		bpf_map_delete_elem(fd, &f->gone[i]);
}

static int proc_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct flow_proc *)a)->key, &((const struct flow_proc *)b)->key,
		      sizeof(struct limit_key));
}

/* Keeps p among the FLOW_TOP largest of top[0..*n) (by lost, most first). */
static void top_add(struct cev_loss_proc *top, uint32_t *n, const struct cev_loss_proc *p)
{
	uint32_t i;

	if (*n == FLOW_TOP && top[FLOW_TOP - 1].lost >= p->lost)
		return;
	i = *n < FLOW_TOP ? (*n)++ : FLOW_TOP - 1;
	while (i > 0 && top[i - 1].lost < p->lost) {
		top[i] = top[i - 1];
		i--;
	}
	top[i] = *p;
}

/* A process of the limits map, named from the process cache. */
static void name_proc(struct agent *a, const struct limit_key *k, uint64_t lost,
		      struct cev_loss_proc *p)
{
	const struct proc_entry *e = proc_cache_lookup(&a->procs, k->tgid, k->start_ns);

	memset(p, 0, sizeof(*p));
	p->pid = k->tgid;
	p->lost = lost;
	if (e) {
		snprintf(p->comm, sizeof(p->comm), "%s", e->comm);
		p->exe.p = e->exe;
		p->exe.len = e->exe_len;
		p->exe.truncated = e->exe_truncated;
	}
}

/*
 * The processes that lost most since the last look: ring drops into
 * dropped[], suppressions into suppressed[].  The map becomes the new
 * snapshot.
 */
static void top_processes(struct flow *f, struct agent *a, int fd, struct cev_loss_proc *dropped,
			  uint32_t *n_dropped, struct cev_loss_proc *suppressed,
			  uint32_t *n_suppressed)
{
	struct limit_key keys[FLOW_BATCH];
	struct limit_val vals[FLOW_BATCH];
	struct flow_proc *now = NULL;
	size_t n = 0, cap = 0;
	uint32_t in = 0, out = 0;
	int rc = 0;

	for (int first = 1; rc == 0 && fd >= 0; first = 0) {
		__u32 count = FLOW_BATCH;

		rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL);
		if (rc && errno != ENOENT)
			break;
		for (__u32 i = 0; i < count; i++) {
			struct flow_proc p = { keys[i], vals[i].suppressed, vals[i].dropped }, *old;
			struct cev_loss_proc named;

			if (vec_grow((void **)&now, n, &cap, sizeof(*now)))
				break;
			now[n++] = p;
			old = f->n_procs ? bsearch(&p, f->procs, f->n_procs, sizeof(p), proc_cmp)
					 : NULL;
			if (p.dropped > (old ? old->dropped : 0)) {
				name_proc(a, &p.key, p.dropped - (old ? old->dropped : 0), &named);
				top_add(dropped, n_dropped, &named);
			}
			if (p.suppressed > (old ? old->suppressed : 0)) {
				name_proc(a, &p.key, p.suppressed - (old ? old->suppressed : 0), &named);
				top_add(suppressed, n_suppressed, &named);
			}
		}
		in = out;
	}
	if (n)
		qsort(now, n, sizeof(*now), proc_cmp);
	free(f->procs);
	f->procs = now;
	f->n_procs = n;
	f->cap_procs = cap;
}

/* A loss record's facts: lost, where, and the processes that lost most. */
static void loss_init(struct cev_loss *l, uint64_t lost, const char *where,
		      const struct cev_loss_proc *procs, uint32_t n_procs)
{
	memset(l, 0, sizeof(*l));
	l->lost = lost;
	l->where = where;
	l->procs = procs;
	l->n_procs = n_procs;
}

static int loss_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct flow_loss *)a)->key, &((const struct flow_loss *)b)->key,
		      sizeof(struct loss_key));
}

/* The slot table the rule_mask of a record of type is numbered in; NULL: none. */
static const struct filter_slots *slots_of_type(const struct filters *fl, uint16_t type)
{
	switch (type) {
	case EV_EXEC:
		return &fl->exec;
	case EV_FILE:
		return &fl->fileguard;
	case EV_CONNECT:
	case EV_SOCKET:
		return &fl->net;
	default:
		return NULL;
	}
}

/*
 * One key's count val: what loss records have not reported of it yet, up
 * to budget[where], into by[where] (NULL: the baseline, all of it taken).
 */
static void take_key(struct agent *a, struct flow_loss *e, uint64_t val, uint64_t *budget,
		     struct lossby *by)
{
	int w = e->key.where == LOSS_AT_LIMIT;
	uint64_t take = val > e->reported ? val - e->reported : 0;

	if (by) {
		take = take < budget[w] ? take : budget[w];
		budget[w] -= take;
		lossby_add(&by[w], e->key.type, e->key.mask, e->key.gen,
			   slots_of_type(&a->filters, e->key.type), take);
	}
	e->reported += take;
}

/*
 * A key of an earlier rule set (a reload, a swap): once reported whole it
 * is deleted, so that loss_rules does not fill with generations no record
 * can name any more.  A record of that generation lost after the delete
 * makes the key again and is reported the same way.
 */
static int key_stale(struct agent *a, const struct loss_key *k)
{
	const struct filter_slots *s = slots_of_type(&a->filters, k->type);

	return k->mask && s && k->gen != s->gen;
}

/*
 * What the ring (0) and ratelimit (1) losses of this report were, budget[w]
 * of them (bpf/delivery.h, loss_rules): taken from the counts of loss_rules
 * and the unkeyed counters not reported yet, which hold every loss the
 * counters in stats hold (the kernel counts there first); what they hold
 * beyond, the next report takes.  by NULL: the baseline, everything taken.
 */
static void attribute_losses(struct flow *f, struct agent *a, const uint64_t *stats,
			     uint64_t *budget, struct lossby *by)
{
	static const int unkeyed[2] = { STAT_LOSS_UNKEYED_RING, STAT_LOSS_UNKEYED_LIMIT };
	int fd = loader_map_fd(&a->loader, "loss_rules"), rc = 0;
	struct loss_key keys[FLOW_BATCH], in, out, *stale = NULL;
	uint64_t vals[FLOW_BATCH];
	struct flow_loss *now = NULL, *old;
	size_t n = 0, cap = 0, n_stale = 0, cap_stale = 0;

	for (int first = 1; rc == 0 && fd >= 0; first = 0) {
		__u32 count = FLOW_BATCH;

		rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL);
		if (rc && errno != ENOENT)
			break;
		for (__u32 i = 0; i < count; i++) {
			struct flow_loss e = { keys[i], 0 };

			if (keys[i].where != LOSS_AT_RING && keys[i].where != LOSS_AT_LIMIT)
				continue;
			if (vec_grow((void **)&now, n, &cap, sizeof(*now)))
				break;
			old = f->n_losses ? bsearch(&e, f->losses, f->n_losses, sizeof(e), loss_cmp)
					  : NULL;
			e.reported = old ? old->reported : 0;
			take_key(a, &e, vals[i], budget, by);
			if (e.reported >= vals[i] && key_stale(a, &e.key) &&
			    !vec_grow((void **)&stale, n_stale, &cap_stale, sizeof(*stale))) {
				stale[n_stale++] = e.key;	/* reported whole, never counted again */
				continue;
			}
			now[n++] = e;
		}
		in = out;
	}
	/* after the walk: a hash map's batch cursor is not moved under it */
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	free(stale);
	if (n)
		qsort(now, n, sizeof(*now), loss_cmp);
	free(f->losses);
	f->losses = now;
	f->n_losses = n;
	f->cap_losses = cap;
	for (int w = 0; w < 2; w++) {
		uint64_t d = stats[unkeyed[w]] > f->unkeyed[w] ? stats[unkeyed[w]] - f->unkeyed[w] : 0;

		if (by) {
			d = d < budget[w] ? d : budget[w];
			lossby_unknown(&by[w], budget[w]);	/* d, and any the map lost */
			budget[w] = 0;
		}
		f->unkeyed[w] += d;
	}
}

void flow_baseline(struct flow *f, struct agent *a, const uint64_t *stats, int limits_fd)
{
	struct cev_loss_proc ignored[FLOW_TOP];
	uint32_t n1 = 0, n2 = 0;

	memcpy(f->seen, stats, sizeof(f->seen));
	top_processes(f, a, limits_fd, ignored, &n1, ignored, &n2);
	attribute_losses(f, a, stats, NULL, NULL);
}

static uint64_t grew(const struct flow *f, const uint64_t *stats, int idx)
{
	return stats[idx] > f->seen[idx] ? stats[idx] - f->seen[idx] : 0;
}

void flow_report_losses(struct flow *f, struct agent *a, const uint64_t *stats, int limits_fd)
{
	struct cev_loss_proc dropped[FLOW_TOP], suppressed[FLOW_TOP];
	uint32_t n_dropped = 0, n_suppressed = 0;
	struct lossby by[2];
	struct cev_loss l;
	uint64_t ring = grew(f, stats, STAT_RING_DROPS);
	uint64_t limited = grew(f, stats, STAT_LIMIT_FILE) + grew(f, stats, STAT_LIMIT_CONNECT);
	uint64_t budget[2] = { ring, limited };

	if (ring || limited) {
		top_processes(f, a, limits_fd, dropped, &n_dropped, suppressed, &n_suppressed);
		lossby_init(&by[0]);
		lossby_init(&by[1]);
		attribute_losses(f, a, stats, budget, by);
	}
	if (ring) {
		loss_init(&l, ring, "ring", dropped, n_dropped);
		lossby_finish(&by[0], &l);
		l.by_kind[CEV_LOST_EXEC] = grew(f, stats, STAT_DROPS_EXEC);
		l.by_kind[CEV_LOST_FILE] = grew(f, stats, STAT_DROPS_FILE);
		l.by_kind[CEV_LOST_CONNECT] = grew(f, stats, STAT_DROPS_CONNECT);
		l.by_kind[CEV_LOST_PROCESS] = grew(f, stats, STAT_DROPS_PROC);
		l.by_kind[CEV_LOST_SOCKET] = grew(f, stats, STAT_DROPS_SOCKET);
		a->counters.ring_lost += ring;
		log_warn("agent: the ring buffer was full: %llu records lost (raise --ring-size)",
			 (unsigned long long)ring);
		emit_loss_record(a, &l);
	}
	if (limited) {
		loss_init(&l, limited, "ratelimit", suppressed, n_suppressed);
		lossby_finish(&by[1], &l);
		l.by_kind[CEV_LOST_FILE] = grew(f, stats, STAT_LIMIT_FILE);
		l.by_kind[CEV_LOST_CONNECT] = grew(f, stats, STAT_LIMIT_CONNECT);
		emit_loss_record(a, &l);
	}
	loss_init(&l, 0, "repeat", NULL, 0);
	for (int k = 0; k < CEV_LOST__COUNT; k++) {
		l.by_kind[k] = f->lost_repeat[k];
		l.lost += f->lost_repeat[k];
	}
	if (l.lost) {
		emit_loss_record(a, &l);
		memset(f->lost_repeat, 0, sizeof(f->lost_repeat));
	}
	/* what the guards let through unjudged is reported, never passed silently */
	loss_init(&l, 0, "unjudged", NULL, 0);
	l.by_kind[CEV_LOST_FILE] = grew(f, stats, STAT_UNJUDGED_FILE);
	l.by_kind[CEV_LOST_EXEC] = grew(f, stats, STAT_UNJUDGED_EXEC);
	l.lost = l.by_kind[CEV_LOST_FILE] + l.by_kind[CEV_LOST_EXEC];
	if (l.lost) {
		log_warn("agent: the guards could not fully judge %llu opens and execs (every "
			 "scratch slot of a CPU was held by preempted runs)",
			 (unsigned long long)l.lost);
		emit_loss_record(a, &l);
	}
	memcpy(f->seen, stats, sizeof(f->seen));
}

/* The loss kind of the records a program makes, from its name; -1: none. */
static int prog_loss_kind(const char *name)
{
	static const struct {
		const char *part;
		int kind;
	} kinds[] = {
		{ "filetopo", -1 }, { "dns", -1 }, { "file", CEV_LOST_FILE },
		{ "exec", CEV_LOST_EXEC }, { "fork", CEV_LOST_PROCESS },
		{ "exit", CEV_LOST_PROCESS }, { "iouring", CEV_LOST_PROCESS },
		{ "sock", CEV_LOST_SOCKET }, { "packet", CEV_LOST_SOCKET },
		{ "net", CEV_LOST_CONNECT },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strstr(name, kinds[i].part))
			return kinds[i].kind;
	return -1;
}

static void add_skipped(const char *prog, uint64_t skipped, void *ctx)
{
	uint64_t *by_kind = ctx;
	int kind = prog_loss_kind(prog);

	if (kind >= 0)
		by_kind[kind] += skipped;
}

void flow_report_skipped(struct flow *f, struct agent *a, const struct loader *ld)
{
	uint64_t now[CEV_LOST__COUNT] = { 0 };
	struct cev_loss l;

	if (!ld->skel || loader_skipped_runs(ld, add_skipped, now))
		return;
	loss_init(&l, 0, "nested", NULL, 0);
	for (int k = 0; k < CEV_LOST__COUNT; k++) {
		l.by_kind[k] = now[k] > f->skipped[k] ? now[k] - f->skipped[k] : 0;
		l.lost += l.by_kind[k];
	}
	memcpy(f->skipped, now, sizeof(now));
	if (!f->skipped_known) {
		f->skipped_known = 1;
		return;
	}
	if (l.lost) {
		log_warn("agent: the kernel skipped %llu runs of the programs (a run of the same "
			 "program on that CPU was unfinished: a preemptible kernel)",
			 (unsigned long long)l.lost);
		emit_loss_record(a, &l);
	}
}
