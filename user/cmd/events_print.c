/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events_print.c - table, JSON lines, summary and lineage of `custos events`
 * (events_print.h).  Record bytes reach the terminal only through add_safe:
 * control bytes and invalid UTF-8 are shown as \xNN.
 */
#include "cmd/events_print.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/events_filter.h"
#include "rules/rules.h"

enum {
	COUNTS_FIRST_CAP = 64,
	COL_EXE = 30,		/* the EXE column's width, indentation included */
	NS_PER_SEC = 1000000000,
};

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

/* --- summary counters ------------------------------------------------------ */

static uint64_t fnv(const char *s)
{
	uint64_t h = FNV_OFFSET;

	while (*s)
		h = (h ^ (unsigned char)*s++) * FNV_PRIME;
	return h;
}

/* Doubles the table once it is half full. */
static int counts_grow(struct events_counts *c)
{
	size_t cap = c->cap ? c->cap * 2 : COUNTS_FIRST_CAP, i;
	struct events_count *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t j = 0; j < c->cap; j++) {
		if (!c->v[j].key)
			continue;
		for (i = fnv(c->v[j].key) & (cap - 1); v[i].key; i = (i + 1) & (cap - 1))
			;
		v[i] = c->v[j];
	}
	free(c->v);
	c->v = v;
	c->cap = cap;
	return 0;
}

static int counts_add(struct events_counts *c, const char *key)
{
	size_t i;

	if ((c->n + 1) * 2 > c->cap && counts_grow(c))
		return -ENOMEM;
	for (i = fnv(key) & (c->cap - 1); c->v[i].key; i = (i + 1) & (c->cap - 1)) {
		if (strcmp(c->v[i].key, key) == 0) {
			c->v[i].n++;
			return 0;
		}
	}
	c->v[i].key = strdup(key);
	if (!c->v[i].key)
		return -ENOMEM;
	c->v[i].n = 1;
	c->n++;
	return 0;
}

/* most first, then by key; the empty slots last */
static int count_cmp(const void *a, const void *b)
{
	const struct events_count *x = a, *y = b;

	if (!x->key || !y->key)
		return !x->key - !y->key;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void counts_print(struct events_counts *c, const char *title)
{
	printf("\n%s:\n", title);
	if (!c->n) {
		printf("  (none)\n");
		return;
	}
	qsort(c->v, c->cap, sizeof(*c->v), count_cmp);
	for (size_t i = 0; i < c->n; i++)
		printf("  %8lu  %s\n", c->v[i].n, c->v[i].key);
}

static void counts_free(struct events_counts *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->v[i].key);
	free(c->v);
}

/* --- bytes for a terminal -------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

	if (!len || len > n || p[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

/* Bytes for a terminal: controls and invalid UTF-8 bytes as \xNN. */
static void add_safe(struct sbuf *b, const char *p, size_t n, int nul_as_space)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		size_t len;

		if (c == 0 && nul_as_space) {
			sbuf_addc(b, ' ');
		} else if (c < 0x20 || c == 0x7f) {
			sbuf_addf(b, "\\x%02x", c);
		} else if (c < 0x80) {
			sbuf_addc(b, (char)c);
		} else if ((len = utf8_len((const unsigned char *)p + i, n - i)) != 0) {
			sbuf_add(b, p + i, len);
			i += len - 1;
		} else {
			sbuf_addf(b, "\\x%02x", c);
		}
	}
}

/* --- the table ------------------------------------------------------------- */

static const char *sev_color(const char *sev)
{
	switch (record_severity_rank(sev)) {
	case SEV_CRITICAL: return "\033[1;31m";
	case SEV_HIGH: return "\033[31m";
	case SEV_MEDIUM: return "\033[33m";
	case SEV_LOW: return "\033[36m";
	default: return "";
	}
}

/* the WHAT column: the access and path, the destination, argv, or the loss */
static void what(struct sbuf *b, const struct record *r)
{
	const struct cev_event *ev = &r->ev;

	switch (ev->kind) {
	case CEV_FILE:
		sbuf_adds(b, ev->file.access & CEV_ACC_WRITE ? "write " :
			  ev->file.access & CEV_ACC_CREATE ? "create " : "read ");
		add_safe(b, ev->file.path.p, ev->file.path.len, 0);
		if (ev->file.blocked)
			sbuf_adds(b, " (blocked)");
		break;
	case CEV_CONNECT:
		sbuf_addf(b, "%s %s%s%s:%u%s", cev_proto_name(ev->conn.proto) ?
			  cev_proto_name(ev->conn.proto) : "?",
			  strchr(r->dest, ':') ? "[" : "", r->dest,
			  strchr(r->dest, ':') ? "]" : "", ev->conn.port,
			  ev->conn.blocked ? " (blocked)" : "");
		break;
	case CEV_EXEC:
		sbuf_adds(b, "exec ");
		if (ev->proc.args.len)
			add_safe(b, ev->proc.args.buf, ev->proc.args.len - 1, 1);
		break;
	case CEV_LOSS:
		sbuf_addf(b, "%llu events lost at %s", (unsigned long long)ev->loss.lost,
			  ev->loss.where ? ev->loss.where : "?");
		break;
	case CEV_GAP:
		sbuf_addf(b, "no agent read for %.3f s (previous end %s, %s)",
			  (double)(ev->gap.to_ns - ev->gap.from_ns) / NS_PER_SEC,
			  ev->gap.clean ? "clean" : "unclean",
			  ev->gap.enforced ? "enforced" : "not enforced");
		break;
	case CEV_CHECKPOINT:
		sbuf_addf(b, "checkpoint: %llu records%s", (unsigned long long)ev->checkpoint.records,
			  ev->checkpoint.final ? ", run ended" : "");
		break;
	}
	if (ev->repeat.count)
		sbuf_addf(b, " (x%llu)", (unsigned long long)ev->repeat.count);
}

static void print_header(void)
{
	printf("%-19s  %-8s  %-38s  %7s  %-30s  %s\n", "TIME (UTC)", "SEVERITY", "RULE",
	       "PID", "EXE", "WHAT");
}

static void print_row(struct events_out *o, const struct record *r, int depth)
{
	struct sbuf *b = &o->line;
	char when[32] = "-";
	const char *sev = r->severity ? r->severity : "-";
	size_t start;

	if (!o->header_shown) {
		print_header();
		o->header_shown = 1;
	}
	sbuf_reset(b);
	if (r->has_time) {
		time_t t = (time_t)(r->ev.time_ns / NS_PER_SEC);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	sbuf_addf(b, "%-19s  ", when);
	if (o->color)
		sbuf_addf(b, "%s%-8s\033[0m  ", sev_color(sev), sev);
	else
		sbuf_addf(b, "%-8s  ", sev);
	sbuf_addf(b, "%-38s  ", r->rule ? r->rule : events_kind_name(r->ev.kind));
	if (cev_kind_is_stream(r->ev.kind))
		sbuf_addf(b, "%7s  ", "-");
	else
		sbuf_addf(b, "%7u  ", r->ev.proc.pid);
	start = b->len;
	for (int i = 0; i < depth; i++)
		sbuf_adds(b, "  ");
	if (!cev_kind_is_stream(r->ev.kind) && r->ev.proc.exe.len)
		add_safe(b, r->ev.proc.exe.p, r->ev.proc.exe.len, 0);
	else
		sbuf_adds(b, "-");
	while (b->len - start < COL_EXE)
		sbuf_addc(b, ' ');
	sbuf_adds(b, "  ");
	what(b, r);
	sbuf_addc(b, '\n');
	if (!sbuf_err(b))
		fwrite(b->p, 1, b->len, stdout);
}

/*
 * "lineage of PID: /usr/lib/systemd/systemd > /opt/x/python3 [PID]", from
 * the first record of PID's tree: a record at depth d names PID's
 * executable as its d-th ancestor, and PID's own ancestors after it.
 */
static void print_lineage(struct events_out *o, const struct record *r, int depth)
{
	const struct cev_event *ev = &r->ev;
	struct sbuf *b = &o->line;
	uint32_t d = (uint32_t)depth;

	sbuf_reset(b);
	sbuf_addf(b, "lineage of %u: ", o->tree_pid);
	if (d > ev->n_ancestors) {
		sbuf_adds(b, "(not recorded)\n");
		goto out;
	}
	for (uint32_t i = ev->n_ancestors; i-- > d;) {
		add_safe(b, ev->ancestors[i].p, ev->ancestors[i].len, 0);
		if (i == 0 && ev->parent.pid)
			sbuf_addf(b, " [%u]", ev->parent.pid);
		sbuf_adds(b, " > ");
	}
	if (d == 0)
		add_safe(b, ev->proc.exe.p, ev->proc.exe.len, 0);
	else
		add_safe(b, ev->ancestors[d - 1].p, ev->ancestors[d - 1].len, 0);
	sbuf_addf(b, " [%u]\n", o->tree_pid);
out:
	if (!sbuf_err(b))
		fwrite(b->p, 1, b->len, stdout);
}

/* --- one record ------------------------------------------------------------ */

static int count(struct events_out *o, const struct record *r)
{
	struct sbuf exe = SBUF_INIT;
	int rc;

	if (!cev_kind_is_stream(r->ev.kind) && r->ev.proc.exe.len)
		add_safe(&exe, r->ev.proc.exe.p, r->ev.proc.exe.len, 0);
	else
		sbuf_adds(&exe, "-");
	rc = counts_add(&o->by_rule, r->rule ? r->rule : events_kind_name(r->ev.kind));
	rc = rc ? rc : counts_add(&o->by_sev, r->severity ? r->severity : "-");
	rc = rc ? rc : counts_add(&o->by_exe, sbuf_cstr(&exe));
	sbuf_free(&exe);
	return rc;
}

int events_show(struct events_out *o, const struct record *r, const char *line, size_t len,
		int depth)
{
	o->shown++;
	if (r->has_time) {
		if (!o->first_ns || r->ev.time_ns < o->first_ns)
			o->first_ns = r->ev.time_ns;
		if (r->ev.time_ns > o->last_ns)
			o->last_ns = r->ev.time_ns;
	}
	switch (o->mode) {
	case EVENTS_SUMMARY:
		if (count(o, r))
			return -ENOMEM;
		break;
	case EVENTS_JSON:
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		break;
	case EVENTS_TABLE:
		if (o->tree_pid && !o->lineage_shown) {
			print_lineage(o, r, depth);
			o->lineage_shown = 1;
		}
		print_row(o, r, depth);
		break;
	}
	if (o->flush)
		fflush(stdout);
	return 0;
}

static void utc(char *buf, size_t size, uint64_t ns)
{
	time_t t = (time_t)(ns / NS_PER_SEC);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void events_print_summary(struct events_out *o, unsigned long files)
{
	char a[32] = "-", b[32] = "-";

	if (o->first_ns) {
		utc(a, sizeof(a), o->first_ns);
		utc(b, sizeof(b), o->last_ns);
	}
	printf("%lu records from %lu file(s), %s .. %s", o->shown, files, a, b);
	if (o->malformed)
		printf(" (%lu malformed lines skipped)", o->malformed);
	printf("\n");
	counts_print(&o->by_rule, "by rule");
	counts_print(&o->by_sev, "by severity");
	counts_print(&o->by_exe, "by exe");
}

void events_out_free(struct events_out *o)
{
	counts_free(&o->by_rule);
	counts_free(&o->by_sev);
	counts_free(&o->by_exe);
	sbuf_free(&o->line);
}
