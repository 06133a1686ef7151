/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc_cache.c - the process cache: a chained hash table by pid holding
 * every generation of a pid, plus two intrusive lists (live LRU, exited
 * FIFO) that decide what to evict.  See proc_cache.h for the model.
 */
#include "host/proc_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NS_PER_SEC 1000000000ull
#define MIN_BUCKETS 64

/* --- lists ----------------------------------------------------------------- */

static void list_del(struct proc_list *l, struct proc_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
	l->n--;
}

static void list_add_tail(struct proc_list *l, struct proc_entry *e)
{
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
	l->n++;
}

static struct proc_list *list_of(struct proc_cache *c, struct proc_entry *e)
{
	return e->exited ? &c->exited : &c->live;
}

/* --- hash ------------------------------------------------------------------ */

static size_t bucket_of(size_t nbuckets, uint32_t pid)
{
	return (size_t)((pid * 2654435761u) & (nbuckets - 1));
}

static void hash_del(struct proc_cache *c, struct proc_entry *e)
{
	struct proc_entry **pp = &c->buckets[bucket_of(c->nbuckets, e->pid)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	e->hnext = NULL;
}

static void hash_add(struct proc_cache *c, struct proc_entry *e)
{
	size_t b = bucket_of(c->nbuckets, e->pid);

	e->hnext = c->buckets[b];
	c->buckets[b] = e;
}

/* Doubles the table; on allocation failure the chains just get longer. */
static void hash_grow(struct proc_cache *c)
{
	size_t n = c->nbuckets * 2, i;
	struct proc_entry **nb = calloc(n, sizeof(*nb));
	struct proc_entry *e, *next;

	if (!nb)
		return;
	for (i = 0; i < c->nbuckets; i++) {
		for (e = c->buckets[i]; e; e = next) {
			size_t b = bucket_of(n, e->pid);

			next = e->hnext;
			e->hnext = nb[b];
			nb[b] = e;
		}
	}
	free(c->buckets);
	c->buckets = nb;
	c->nbuckets = n;
}

/* --- entries --------------------------------------------------------------- */

static void labels_free(struct proc_entry *e)
{
	for (uint32_t i = 0; i < e->n_labels; i++) {
		free(e->labels[i].rule);
		free(e->labels[i].via);
	}
	free(e->labels);
	e->labels = NULL;
	e->n_labels = 0;
}

static void entry_free(struct proc_entry *e)
{
	free(e->exe);
	free(e->args);
	free(e->prev_exe);
	free(e->copies);
	labels_free(e);
	free(e);
}

/* dst[i] = a deep copy of src; -ENOMEM (dst[i] then empty). */
static int copy_label(struct proc_label_src *dst, const struct proc_label_src *src)
{
	*dst = *src;
	dst->rule = src->rule ? strdup(src->rule) : NULL;
	dst->via = src->via ? strdup(src->via) : NULL;
	if ((src->rule && !dst->rule) || (src->via && !dst->via)) {
		free(dst->rule);
		free(dst->via);
		memset(dst, 0, sizeof(*dst));
		return -ENOMEM;
	}
	return 0;
}

/* A child's labels: copies of its parent's sources. */
static int inherit_labels(struct proc_entry *e, const struct proc_entry *parent)
{
	if (!parent->n_labels)
		return 0;
	e->labels = calloc(parent->n_labels, sizeof(*e->labels));
	if (!e->labels)
		return -ENOMEM;
	for (uint32_t i = 0; i < parent->n_labels; i++) {
		if (copy_label(&e->labels[e->n_labels], &parent->labels[i]))
			return -ENOMEM;
		e->n_labels++;
	}
	return 0;
}

static void entry_drop(struct proc_cache *c, struct proc_entry *e)
{
	hash_del(c, e);
	list_del(list_of(c, e), e);
	entry_free(e);
}

/* Replaces e's copies with ids[0..n). */
static int set_copies(struct proc_entry *e, const struct ident *ids, size_t n)
{
	struct ident *v = NULL;

	if (n) {
		v = malloc(n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memcpy(v, ids, n * sizeof(*v));
	}
	free(e->copies);
	e->copies = v;
	e->n_copies = (uint32_t)n;
	return 0;
}

/* Replaces *dst with a NUL-terminated copy of src[0..len). */
static int set_bytes(char **dst, uint32_t *dst_len, const char *src, size_t len);

/*
 * e execs exe: the program it exec'd itself (not one inherited at fork)
 * becomes prev_exe, its classes join the lineage, and what was known of it
 * goes.  On -ENOMEM e is unchanged.
 */
static int replace_program(struct proc_entry *e, const char *exe, size_t exe_len)
{
	char *old = e->exe;
	uint32_t old_len = e->exe_len;

	e->exe = NULL;
	if (set_bytes(&e->exe, &e->exe_len, exe, exe_len)) {
		e->exe = old;
		e->exe_len = old_len;
		return -ENOMEM;
	}
	free(e->prev_exe);
	e->prev_exe = NULL;
	e->prev_exe_len = 0;
	if (e->exe_execd && old_len) {
		e->prev_exe = old;
		e->prev_exe_len = old_len;
	} else {
		free(old);
	}
	e->exe_execd = 1;
	e->lineage |= e->self;
	e->self = 0;
	memset(&e->exe_info, 0, sizeof(e->exe_info));
	e->copies_known = 0;
	set_copies(e, NULL, 0);
	return 0;
}

/* Replaces *dst with a NUL-terminated copy of src[0..len). */
static int set_bytes(char **dst, uint32_t *dst_len, const char *src, size_t len)
{
	char *p;

	if (len > UINT32_MAX)
		return -EINVAL;
	p = malloc(len + 1);
	if (!p)
		return -ENOMEM;
	if (len)
		memcpy(p, src, len);
	p[len] = '\0';
	free(*dst);
	*dst = p;
	*dst_len = (uint32_t)len;
	return 0;
}

static uint64_t start_ticks(const struct proc_cache *c, const struct proc_entry *e)
{
	return e->coarse ? e->start : e->start / c->ns_per_tick;
}

/* Is e the process that a kernel event with start_ns names? */
static int matches(const struct proc_cache *c, const struct proc_entry *e, uint64_t start_ns)
{
	if (e->coarse)
		return start_ns / c->ns_per_tick == e->start;
	return start_ns == e->start;
}

/* Is a the same process as b (both may be either precision)? */
static int same_process(const struct proc_cache *c, const struct proc_entry *a,
			const struct proc_entry *b)
{
	if (!a->coarse && !b->coarse)
		return a->start == b->start;
	return start_ticks(c, a) == start_ticks(c, b);
}

/* Did a start no later than b? */
static int started_by(const struct proc_cache *c, const struct proc_entry *a,
		      const struct proc_entry *b)
{
	if (!a->coarse && !b->coarse)
		return a->start <= b->start;
	return start_ticks(c, a) <= start_ticks(c, b);
}

static struct proc_entry *find(struct proc_cache *c, uint32_t pid, uint64_t start_ns)
{
	struct proc_entry *e;

	for (e = c->buckets[bucket_of(c->nbuckets, pid)]; e; e = e->hnext)
		if (e->pid == pid && matches(c, e, start_ns))
			return e;
	return NULL;
}

static struct proc_entry *find_live(struct proc_cache *c, uint32_t pid)
{
	struct proc_entry *e;

	for (e = c->buckets[bucket_of(c->nbuckets, pid)]; e; e = e->hnext)
		if (e->pid == pid && !e->exited)
			return e;
	return NULL;
}

static void touch(struct proc_cache *c, struct proc_entry *e)
{
	struct proc_list *l = list_of(c, e);

	if (!e->exited && l->tail != e) {
		list_del(l, e);
		list_add_tail(l, e);
	}
}

/*
 * Evicts until `room` more entries fit, exited entries first, then the least
 * recently used live ones, never `keep`.
 */
static void enforce_limits(struct proc_cache *c, size_t room, const struct proc_entry *keep)
{
	struct proc_entry *victim;

	while (c->exited.n && (c->exited.n > c->max_exited ||
			       proc_cache_count(c) + room > c->max_entries)) {
		entry_drop(c, c->exited.head);
		c->evicted++;
	}
	while (proc_cache_count(c) + room > c->max_entries) {
		victim = c->live.head;
		if (victim && victim == keep)
			victim = victim->next;
		if (!victim)
			break;
		entry_drop(c, victim);
		c->evicted++;
	}
}

static void retire(struct proc_cache *c, struct proc_entry *e)
{
	if (e->exited)
		return;
	list_del(&c->live, e);
	e->exited = 1;
	list_add_tail(&c->exited, e);
	enforce_limits(c, 0, NULL);
}

/*
 * A new live entry for pid; the pid's previous live generation, if any, has
 * evidently exited.  Eviction to make room spares `keep`.  Returns NULL on
 * allocation failure.
 */
static struct proc_entry *entry_new(struct proc_cache *c, uint32_t pid,
				    const struct proc_entry *keep)
{
	struct proc_entry *e, *old;

	old = find_live(c, pid);
	if (old)
		retire(c, old);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (set_bytes(&e->exe, &e->exe_len, "", 0)) {
		free(e);
		return NULL;
	}
	enforce_limits(c, 1, keep);
	if (proc_cache_count(c) >= c->nbuckets)
		hash_grow(c);
	e->pid = pid;
	hash_add(c, e);
	list_add_tail(&c->live, e);
	return e;
}

/* --- verbs ----------------------------------------------------------------- */

void proc_cache_set_clk_tck(struct proc_cache *c, long ticks_per_sec)
{
	if (ticks_per_sec <= 0 || (uint64_t)ticks_per_sec > NS_PER_SEC)
		ticks_per_sec = 100;	/* USER_HZ on every Linux architecture */
	c->ns_per_tick = NS_PER_SEC / (uint64_t)ticks_per_sec;
}

int proc_cache_init(struct proc_cache *c, size_t hint)
{
	size_t n = MIN_BUCKETS;

	memset(c, 0, sizeof(*c));
	while (n < hint && n < ((size_t)1 << 24))
		n *= 2;
	c->buckets = calloc(n, sizeof(*c->buckets));
	if (!c->buckets)
		return -ENOMEM;
	c->nbuckets = n;
	c->max_entries = hint > PROC_CACHE_MAX_ENTRIES ? hint : PROC_CACHE_MAX_ENTRIES;
	c->max_exited = PROC_CACHE_MAX_EXITED;
	proc_cache_set_clk_tck(c, sysconf(_SC_CLK_TCK));
	return 0;
}

void proc_cache_free(struct proc_cache *c)
{
	struct proc_entry *e, *next;

	for (e = c->live.head; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	for (e = c->exited.head; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

void proc_cache_set_limits(struct proc_cache *c, size_t max_entries, size_t max_exited)
{
	c->max_entries = max_entries ? max_entries : 1;
	c->max_exited = max_exited ? max_exited : 1;
	if (c->max_exited > c->max_entries)
		c->max_exited = c->max_entries;
	enforce_limits(c, 0, NULL);
}

int proc_cache_fork(struct proc_cache *c, uint32_t pid, uint32_t ppid, uint64_t start_ns)
{
	struct proc_entry *e, *parent;

	e = find(c, pid, start_ns);
	if (e) {			/* seen already (seeded, or exec came first) */
		e->ppid = ppid;
		return 0;
	}
	parent = ppid != pid ? find_live(c, ppid) : NULL;
	e = entry_new(c, pid, parent);
	if (!e)
		return -ENOMEM;
	e->ppid = ppid;
	e->start = start_ns;
	if (parent) {
		touch(c, parent);
		if (set_bytes(&e->exe, &e->exe_len, parent->exe, parent->exe_len) ||
		    set_bytes(&e->args, &e->args_len, parent->args, parent->args_len))
			return -ENOMEM;	/* the entry stays, with what it has */
		e->exe_truncated = parent->exe_truncated;
		e->args_truncated = parent->args_truncated;
		e->uid = parent->uid;
		e->cgroup_id = parent->cgroup_id;
		memcpy(e->comm, parent->comm, sizeof(e->comm));
		e->exe_info = parent->exe_info;
		e->copies_known = parent->copies_known;
		e->self = parent->self;
		e->lineage = parent->lineage | parent->self;
		if (set_copies(e, parent->copies, parent->n_copies) || inherit_labels(e, parent))
			return -ENOMEM;
	}
	return 0;
}

int proc_cache_exec(struct proc_cache *c, uint32_t pid, uint64_t start_ns,
		    const char *exe, size_t exe_len, int exe_trunc,
		    const char *args, size_t args_len, int args_trunc, uint32_t uid)
{
	struct proc_entry *e = find(c, pid, start_ns);
	const char *base;
	size_t n;

	if (!e) {
		e = entry_new(c, pid, NULL);
		if (!e)
			return -ENOMEM;
	}
	touch(c, e);
	e->start = start_ns;
	e->coarse = 0;
	if (replace_program(e, exe, exe_len) ||
	    set_bytes(&e->args, &e->args_len, args, args_len))
		return -ENOMEM;
	e->exe_truncated = exe_trunc ? 1 : 0;
	e->args_truncated = args_trunc ? 1 : 0;
	e->uid = uid;

	base = exe_len ? memrchr(exe, '/', exe_len) : NULL;
	base = base ? base + 1 : exe;
	n = exe_len - (size_t)(base - exe);
	if (n) {
		if (n > PROC_COMM_LEN - 1)
			n = PROC_COMM_LEN - 1;
		memcpy(e->comm, base, n);
		e->comm[n] = '\0';
	}
	return 0;
}

int proc_cache_exit(struct proc_cache *c, uint32_t pid, uint64_t start_ns)
{
	struct proc_entry *e = find(c, pid, start_ns);

	if (!e)
		return -ENOENT;
	retire(c, e);
	return 0;
}

int proc_cache_insert(struct proc_cache *c, const struct proc_entry *tmpl)
{
	struct proc_entry *e = find_live(c, tmpl->pid);

	if (e && same_process(c, e, tmpl)) {
		if (!e->coarse && tmpl->coarse)
			return 0;	/* events know better than /proc */
	} else {
		e = entry_new(c, tmpl->pid, NULL);
		if (!e)
			return -ENOMEM;
	}
	e->ppid = tmpl->ppid;
	e->start = tmpl->start;
	e->coarse = tmpl->coarse ? 1 : 0;
	e->uid = tmpl->uid;
	e->cgroup_id = tmpl->cgroup_id;
	memcpy(e->comm, tmpl->comm, sizeof(e->comm));
	e->comm[PROC_COMM_LEN - 1] = '\0';
	e->exe_truncated = tmpl->exe_truncated;
	e->args_truncated = tmpl->args_truncated;
	e->exe_info = tmpl->exe_info;
	e->exe_execd = 1;
	if (set_bytes(&e->exe, &e->exe_len, tmpl->exe ? tmpl->exe : "",
		      tmpl->exe ? tmpl->exe_len : 0) ||
	    set_bytes(&e->args, &e->args_len, tmpl->args, tmpl->args ? tmpl->args_len : 0))
		return -ENOMEM;
	return 0;
}

int proc_cache_set_comm(struct proc_cache *c, uint32_t pid, uint64_t start_ns, const char *comm)
{
	struct proc_entry *e = find(c, pid, start_ns);

	if (!e)
		return -ENOENT;
	strncpy(e->comm, comm, sizeof(e->comm) - 1);
	e->comm[sizeof(e->comm) - 1] = '\0';
	return 0;
}

int proc_cache_set_cgroup(struct proc_cache *c, uint32_t pid, uint64_t start_ns,
			  uint64_t cgroup_id)
{
	struct proc_entry *e = find(c, pid, start_ns);

	if (!e)
		return -ENOENT;
	e->cgroup_id = cgroup_id;
	return 0;
}

int proc_cache_set_exe_info(struct proc_cache *c, uint32_t pid, uint64_t start_ns,
			    const struct proc_exe_info *info)
{
	struct proc_entry *e = find(c, pid, start_ns);

	if (!e)
		return -ENOENT;
	e->exe_info = *info;
	return 0;
}

int proc_cache_set_exe(struct proc_cache *c, uint32_t pid, uint64_t start_ns, const char *exe,
		       size_t len)
{
	struct proc_entry *e = find(c, pid, start_ns);

	if (!e)
		return -ENOENT;
	return set_bytes(&e->exe, &e->exe_len, exe, len);
}

int proc_cache_set_copies(struct proc_cache *c, uint32_t pid, uint64_t start_ns,
			  const struct ident *ids, size_t n)
{
	struct proc_entry *e = find(c, pid, start_ns);

	if (!e)
		return -ENOENT;
	e->copies_known = 1;
	return set_copies(e, ids, n);
}

int proc_cache_set_classes(struct proc_cache *c, uint32_t pid, uint64_t start_ns, uint64_t self,
			   uint64_t lineage)
{
	struct proc_entry *e = find(c, pid, start_ns);

	if (!e)
		return -ENOENT;
	e->self = self;
	e->lineage = lineage;
	return 0;
}

const struct proc_label_src *proc_cache_label(const struct proc_entry *e, uint32_t slot)
{
	for (uint32_t i = 0; e && i < e->n_labels; i++)
		if (e->labels[i].slot == slot)
			return &e->labels[i];
	return NULL;
}

int proc_cache_set_label(struct proc_cache *c, uint32_t pid, uint64_t start_ns,
			 const struct proc_label_src *src)
{
	struct proc_entry *e = find(c, pid, start_ns);
	struct proc_label_src *grown, *old;

	if (!e)
		return -ENOENT;
	old = (struct proc_label_src *)proc_cache_label(e, src->slot);
	if (old) {
		free(old->rule);
		free(old->via);
		return copy_label(old, src);
	}
	grown = realloc(e->labels, (e->n_labels + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	e->labels = grown;
	if (copy_label(&e->labels[e->n_labels], src))
		return -ENOMEM;
	e->n_labels++;
	return 0;
}

const struct proc_entry *proc_cache_lookup(struct proc_cache *c, uint32_t pid, uint64_t start_ns)
{
	struct proc_entry *e = find(c, pid, start_ns);

	if (e)
		touch(c, e);
	return e;
}

const struct proc_entry *proc_cache_lookup_pid(struct proc_cache *c, uint32_t pid)
{
	struct proc_entry *e, *best = find_live(c, pid);

	if (best) {
		touch(c, best);
		return best;
	}
	for (e = c->buckets[bucket_of(c->nbuckets, pid)]; e; e = e->hnext)
		if (e->pid == pid && (!best || started_by(c, best, e)))
			best = e;
	return best;
}

/* The newest generation of child->ppid that started no later than child. */
static struct proc_entry *find_parent(struct proc_cache *c, const struct proc_entry *child)
{
	struct proc_entry *e, *best = NULL;

	for (e = c->buckets[bucket_of(c->nbuckets, child->ppid)]; e; e = e->hnext) {
		if (e->pid != child->ppid || e == child || !started_by(c, e, child))
			continue;
		if (!best || started_by(c, best, e))
			best = e;
	}
	return best;
}

size_t proc_cache_lineage(struct proc_cache *c, const struct proc_entry *e,
			  const struct proc_entry **out, size_t max)
{
	const struct proc_entry *cur = e;
	struct proc_entry *p;
	size_t n = 0, i;

	while (n < max && cur->ppid && cur->pid != 1) {
		p = find_parent(c, cur);
		if (!p || p == e)
			break;
		for (i = 0; i < n; i++)
			if (out[i] == p)
				return n;	/* a loop: stop before repeating */
		touch(c, p);
		out[n++] = p;
		cur = p;
	}
	return n;
}

size_t proc_cache_snapshot(const struct proc_cache *c, const struct proc_entry **out, size_t max,
			   int exited)
{
	const struct proc_entry *e;
	size_t n = 0;

	for (e = c->live.head; e && n < max; e = e->next)
		out[n++] = e;
	for (e = exited ? c->exited.head : NULL; e && n < max; e = e->next)
		out[n++] = e;
	return n;
}
