/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events_print.c - table, JSON lines, summary and lineage of `custos events`
 * (events_print.h).  Every string of a record (paths, argv, and the rule,
 * severity, destination and loss fields, which a tampered file can fill
 * too) reaches the terminal only through termstr_add (base/termstr.h).
 * --json passes the lines as they are: JSON escapes every control byte.
 */
#include "cmd/events_print.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/termstr.h"
#include "cmd/events_filter.h"
#include "rules/rules.h"

enum {
	COUNTS_FIRST_CAP = 64,
	COL_SEVERITY = 8,	/* column widths */
	COL_RULE = 38,
	COL_EXE = 30,		/* indentation included */
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

/* pads the field that started at start to width columns */
static void pad(struct sbuf *b, size_t start, size_t width)
{
	while (b->len - start < width)
		sbuf_addc(b, ' ');
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
		termstr_add(b, ev->file.path.p, ev->file.path.len, 0);
		if (ev->file.blocked)
			sbuf_adds(b, " (blocked)");
		break;
	case CEV_CONNECT:
		sbuf_addf(b, "%s %s", cev_proto_name(ev->conn.proto) ?
			  cev_proto_name(ev->conn.proto) : "?", strchr(r->dest, ':') ? "[" : "");
		termstr_adds(b, r->dest, "");
		sbuf_addf(b, "%s:%u%s", strchr(r->dest, ':') ? "]" : "", ev->conn.port,
			  ev->conn.blocked ? " (blocked)" : "");
		break;
	case CEV_EXEC:
		sbuf_adds(b, "exec ");
		if (ev->proc.args.len)
			termstr_add(b, ev->proc.args.buf, ev->proc.args.len - 1, TERMSTR_NUL_AS_SPACE);
		break;
	case CEV_LOSS:
		sbuf_addf(b, "%llu events lost at ", (unsigned long long)ev->loss.lost);
		termstr_adds(b, ev->loss.where, "?");
		break;
	}
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
		sbuf_adds(b, sev_color(sev));
	start = b->len;
	termstr_adds(b, sev, "-");
	pad(b, start, COL_SEVERITY);
	sbuf_adds(b, o->color ? "\033[0m  " : "  ");
	start = b->len;
	termstr_adds(b, r->rule, events_kind_name(r->ev.kind));
	pad(b, start, COL_RULE);
	sbuf_adds(b, "  ");
	if (r->ev.kind == CEV_LOSS)
		sbuf_addf(b, "%7s  ", "-");
	else
		sbuf_addf(b, "%7u  ", r->ev.proc.pid);
	start = b->len;
	for (int i = 0; i < depth; i++)
		sbuf_adds(b, "  ");
	if (r->ev.kind != CEV_LOSS && r->ev.proc.exe.len)
		termstr_add(b, r->ev.proc.exe.p, r->ev.proc.exe.len, 0);
	else
		sbuf_adds(b, "-");
	pad(b, start, COL_EXE);
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
		termstr_add(b, ev->ancestors[i].p, ev->ancestors[i].len, 0);
		if (i == 0 && ev->parent.pid)
			sbuf_addf(b, " [%u]", ev->parent.pid);
		sbuf_adds(b, " > ");
	}
	if (d == 0)
		termstr_add(b, ev->proc.exe.p, ev->proc.exe.len, 0);
	else
		termstr_add(b, ev->ancestors[d - 1].p, ev->ancestors[d - 1].len, 0);
	sbuf_addf(b, " [%u]\n", o->tree_pid);
out:
	if (!sbuf_err(b))
		fwrite(b->p, 1, b->len, stdout);
}

/* --- one record ------------------------------------------------------------ */

/* --summary's keys are shown on the terminal too: counted made safe */
static int count(struct events_out *o, const struct record *r)
{
	struct sbuf rule = SBUF_INIT, sev = SBUF_INIT, exe = SBUF_INIT;
	int rc;

	if (r->ev.kind != CEV_LOSS && r->ev.proc.exe.len)
		termstr_add(&exe, r->ev.proc.exe.p, r->ev.proc.exe.len, 0);
	else
		sbuf_adds(&exe, "-");
	termstr_adds(&rule, r->rule, events_kind_name(r->ev.kind));
	termstr_adds(&sev, r->severity, "-");
	rc = sbuf_err(&rule) || sbuf_err(&sev) || sbuf_err(&exe) ? -ENOMEM : 0;
	rc = rc ? rc : counts_add(&o->by_rule, sbuf_cstr(&rule));
	rc = rc ? rc : counts_add(&o->by_sev, sbuf_cstr(&sev));
	rc = rc ? rc : counts_add(&o->by_exe, sbuf_cstr(&exe));
	sbuf_free(&rule);
	sbuf_free(&sev);
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
