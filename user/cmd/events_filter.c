/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events_filter.c - the record filters of `custos events` (events_filter.h).
 */
#include "cmd/events_filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/vec.h"
#include "record/json.h"
#include "rules/glob.h"

enum {
	MINUTE = 60,
	HOUR = 60 * MINUTE,
	DAY = 24 * HOUR,
};
#define NS_PER_SEC 1000000000ull

int events_blocked(const struct record *r)
{
	switch (r->ev.kind) {
	case CEV_FILE: return r->ev.file.blocked;
	case CEV_CONNECT: return r->ev.conn.blocked;
	case CEV_EXEC: return r->ev.exec.blocked;
	case CEV_LOSS: return 0;
	}
	return 0;
}

static int glob_cstr(const char *pat, const char *s)
{
	return s && glob_match(pat, s, strlen(s));
}

static int any_tag(const char *pat, const struct record *r)
{
	for (size_t i = 0; i < r->n_tags; i++)
		if (glob_cstr(pat, r->tags[i]))
			return 1;
	return 0;
}

/* The filters on who did it: host, process, user, container, tags. */
static int keep_who(const struct events_filter *f, const struct record *r)
{
	const struct cev_event *ev = &r->ev;
	int proc = ev->kind != CEV_LOSS;

	if (f->host && !glob_cstr(f->host, r->host))
		return 0;
	if (f->has_pid && (!proc || ev->proc.pid != f->pid))
		return 0;
	if (f->has_ppid && (!proc || (ev->proc.ppid ? ev->proc.ppid : ev->parent.pid) != f->ppid))
		return 0;
	if (f->has_uid && (!proc || ev->proc.uid != f->uid))
		return 0;
	if (f->user && (!proc || !glob_cstr(f->user, ev->proc.user)))
		return 0;
	if (f->container && (!proc || !glob_cstr(f->container, ev->proc.container_id)))
		return 0;
	if (f->tag && !any_tag(f->tag, r))
		return 0;
	if (f->blocked && !events_blocked(r))
		return 0;
	return 1;
}

int events_filter_keep(const struct events_filter *f, const struct record *r)
{
	const struct cev_event *ev = &r->ev;

	if (!keep_who(f, r))
		return 0;
	if (f->rule && !(r->rule && glob_match(f->rule, r->rule, strlen(r->rule))))
		return 0;
	if (f->kind && strcmp(f->kind, events_kind_name(ev->kind)) != 0)
		return 0;
	if (f->min_sev >= 0 && record_severity_rank(r->severity) < f->min_sev)
		return 0;
	if ((f->has_since || f->has_until) && !r->has_time)
		return 0;
	if (f->has_since && ev->time_ns < f->since)
		return 0;
	if (f->has_until && ev->time_ns >= f->until)
		return 0;
	if (f->exe && (ev->kind == CEV_LOSS || !ev->proc.exe.p ||
		       !glob_match(f->exe, ev->proc.exe.p, ev->proc.exe.len)))
		return 0;
	if (f->path && (ev->kind != CEV_FILE || !ev->file.path.p ||
			!glob_match(f->path, ev->file.path.p, ev->file.path.len)))
		return 0;
	if (f->has_dest && (ev->kind != CEV_CONNECT || !ev->conn.family ||
			    !dest_pat_match(&f->dest, ev->conn.family, ev->conn.addr, ev->conn.port)))
		return 0;
	return 1;
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM:SS" (or with T), in UTC */
static int parse_utc_date(const char *s, uint64_t *ns)
{
	static const char *const forms[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					     "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	struct tm tm;
	time_t t;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, forms[i], &tm);
		if (!end || *end)
			continue;
		t = timegm(&tm);
		if (t < 0)
			return -EINVAL;
		*ns = (uint64_t)t * NS_PER_SEC;
		return 0;
	}
	return -EINVAL;
}

int events_parse_when(const char *s, uint64_t *ns)
{
	char *end;
	unsigned long long v;
	uint64_t unit;
	struct timespec now;

	if (record_parse_time(s, ns) == 0 || parse_utc_date(s, ns) == 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	if (!strcmp(s, "now")) {
		*ns = (uint64_t)now.tv_sec * NS_PER_SEC + (uint64_t)now.tv_nsec;
		return 0;
	}
	if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
		uint64_t midnight = (uint64_t)now.tv_sec / DAY * DAY;

		if (s[0] == 'y')
			midnight -= DAY;
		*ns = midnight * NS_PER_SEC;
		return 0;
	}
	v = strtoull(s, &end, 10);
	if (end == s || end[0] == '\0' || end[1] != '\0')
		return -EINVAL;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = MINUTE; break;
	case 'h': unit = HOUR; break;
	case 'd': unit = DAY; break;
	default: return -EINVAL;
	}
	v *= unit;
	if (v > (unsigned long long)now.tv_sec)
		v = (unsigned long long)now.tv_sec;
	*ns = ((uint64_t)now.tv_sec - v) * NS_PER_SEC + (uint64_t)now.tv_nsec;
	return 0;
}

const char *events_kind_name(enum cev_kind k)
{
	const char *n = json_kind_name(k);

	return n ? n : "?";
}

static struct events_tree_node *tree_find(struct events_tree *t, uint32_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].pid == pid)
			return &t->v[i];
	return NULL;
}

static int tree_add(struct events_tree *t, uint32_t pid, int depth)
{
	if (vec_grow((void **)&t->v, t->n, &t->cap, sizeof(*t->v)))
		return -ENOMEM;
	t->v[t->n++] = (struct events_tree_node){ .pid = pid, .depth = depth };
	return 0;
}

int events_tree_init(struct events_tree *t, uint32_t pid)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	return tree_add(t, pid, 0);
}

int events_tree_depth(struct events_tree *t, const struct record *r)
{
	uint32_t pid = r->ev.proc.pid;
	uint32_t ppid = r->ev.proc.ppid ? r->ev.proc.ppid : r->ev.parent.pid;
	struct events_tree_node *n, *parent;
	int depth;

	if (r->ev.kind == CEV_LOSS || !pid)
		return -1;
	n = tree_find(t, pid);
	if (n)
		return n->depth;
	parent = ppid ? tree_find(t, ppid) : NULL;
	if (!parent)
		return -1;
	depth = parent->depth + 1;
	return tree_add(t, pid, depth) ? -1 : depth;
}

void events_tree_free(struct events_tree *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
