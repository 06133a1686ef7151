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

int events_filter_keep(const struct events_filter *f, const struct record *r)
{
	const struct cev_event *ev = &r->ev;

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
	if (f->has_pid && (cev_kind_is_stream(ev->kind) || ev->proc.pid != f->pid))
		return 0;
	if (f->exe && (cev_kind_is_stream(ev->kind) || !ev->proc.exe.p ||
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

int events_parse_when(const char *s, uint64_t *ns)
{
	char *end;
	unsigned long long v;
	uint64_t unit;
	struct timespec now;

	if (record_parse_time(s, ns) == 0)
		return 0;
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
	clock_gettime(CLOCK_REALTIME, &now);
	v *= unit;
	if (v > (unsigned long long)now.tv_sec)
		v = (unsigned long long)now.tv_sec;
	*ns = ((uint64_t)now.tv_sec - v) * 1000000000ull + (uint64_t)now.tv_nsec;
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

	if (cev_kind_is_stream(r->ev.kind) || !pid)
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
