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
#include "record/json.h"
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

/* the acting process's exe, "-" for a loss record or when not known */
static void add_exe_or_dash(struct sbuf *b, const struct record *r)
{
	if (r->ev.kind != CEV_LOSS && r->ev.proc.exe.len)
		termstr_add(b, r->ev.proc.exe.p, r->ev.proc.exe.len, 0);
	else
		sbuf_adds(b, "-");
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

/* every access of an open, "write+create"; "open" when none is known */
static void add_access(struct sbuf *b, uint32_t access)
{
	static const struct { uint32_t bit; const char *name; } acc[] = {
		{ CEV_ACC_READ, "read" }, { CEV_ACC_WRITE, "write" }, { CEV_ACC_CREATE, "create" },
	};
	size_t start = b->len;

	for (size_t i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		if (!(access & acc[i].bit))
			continue;
		if (b->len != start)
			sbuf_addc(b, '+');
		sbuf_adds(b, acc[i].name);
	}
	if (b->len == start)
		sbuf_adds(b, "open");
}

/* "203.0.113.7:80", "[2001:db8::7]:443"; a raw socket has no port */
static void dest_key(struct sbuf *b, const struct record *r)
{
	int v6 = strchr(r->dest, ':') != NULL;

	if (r->ev.conn.proto == CEV_PROTO_RAW) {
		termstr_adds(b, r->dest, "");
		sbuf_addf(b, " (raw %u)", r->ev.conn.ipproto);
	} else {
		sbuf_adds(b, v6 ? "[" : "");
		termstr_adds(b, r->dest, "");
		sbuf_addf(b, "%s:%u", v6 ? "]" : "", r->ev.conn.port);
	}
}

/* the WHAT column: the access and path, the destination, argv, or the loss */
static void what(struct sbuf *b, const struct record *r)
{
	const struct cev_event *ev = &r->ev;

	switch (ev->kind) {
	case CEV_FILE:
		add_access(b, ev->file.access);
		sbuf_addc(b, ' ');
		if (ev->file.unresolved)
			sbuf_addf(b, "(%s %s, file unknown)", ev->file.via ? ev->file.via : "?",
				  ev->file.op ? ev->file.op : "open");
		else
			termstr_add(b, ev->file.path.p, ev->file.path.len, 0);
		if (ev->file.blocked)
			sbuf_adds(b, " (blocked)");
		break;
	case CEV_CONNECT:
		if (ev->conn.proto == CEV_PROTO_RAW) {	/* no port: the IP protocol */
			sbuf_adds(b, "raw ");
			termstr_adds(b, r->dest, "");
			sbuf_addf(b, " (ip proto %u)", ev->conn.ipproto);
		} else {
			sbuf_addf(b, "%s ", cev_proto_name(ev->conn.proto) ?
				  cev_proto_name(ev->conn.proto) : "?");
			dest_key(b, r);
		}
		if (ev->conn.blocked)
			sbuf_adds(b, " (blocked)");
		break;
	case CEV_EXEC:
		sbuf_adds(b, "exec ");
		if (ev->proc.args.len)
			termstr_add(b, ev->proc.args.buf, ev->proc.args.len - 1, TERMSTR_NUL_AS_SPACE);
		if (ev->exec.blocked)
			sbuf_adds(b, " (blocked)");
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
	add_exe_or_dash(b, r);
	while (b->len - start < COL_EXE)
		sbuf_addc(b, ' ');
	sbuf_adds(b, "  ");
	what(b, r);
	sbuf_addc(b, '\n');
	if (!sbuf_err(b))
		fwrite(b->p, 1, b->len, stdout);
}

/* an executable for a terminal, "?" when not known */
static void add_exe(struct sbuf *b, const struct cev_str *exe)
{
	if (exe->len)
		termstr_add(b, exe->p, exe->len, 0);
	else
		sbuf_addc(b, '?');
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
	for (uint32_t i = ev->n_ancestors, shown = 0; i-- > d;) {
		/* an ancestor whose exe was not known (a kernel thread, a process
		 * gone before the agent started): left out at the top, "?" below */
		if (!ev->ancestors[i].len && !shown)
			continue;
		add_exe(b, &ev->ancestors[i]);
		if (i == 0 && ev->parent.pid)
			sbuf_addf(b, " [%u]", ev->parent.pid);
		sbuf_adds(b, " > ");
		shown = 1;
	}
	add_exe(b, d == 0 ? &ev->proc.exe : &ev->ancestors[d - 1]);
	sbuf_addf(b, " [%u]\n", o->tree_pid);
out:
	if (!sbuf_err(b))
		fwrite(b->p, 1, b->len, stdout);
}

/* --- one record ------------------------------------------------------------ */

/* "svc (1000)", "uid 1000", or "-" for a loss record */
static void user_key(struct sbuf *b, const struct record *r)
{
	if (r->ev.kind == CEV_LOSS)
		sbuf_adds(b, "-");
	else if (r->ev.proc.user) {
		termstr_adds(b, r->ev.proc.user, "");
		sbuf_addf(b, " (%u)", r->ev.proc.uid);
	}
	else
		sbuf_addf(b, "uid %u", r->ev.proc.uid);
}


/* one key into counts: 0 or -ENOMEM */
static int count_key(struct events_counts *c, struct sbuf *key)
{
	int rc = sbuf_err(key) ? -ENOMEM : counts_add(c, sbuf_cstr(key));

	sbuf_reset(key);
	return rc;
}

static int count(struct events_out *o, const struct record *r)
{
	struct sbuf k = SBUF_INIT;
	int rc;

	/* --summary's keys are shown on the terminal too: counted made safe */
	termstr_adds(&k, r->rule, events_kind_name(r->ev.kind));
	rc = count_key(&o->by_rule, &k);
	termstr_adds(&k, r->severity, "-");
	rc = rc ? rc : count_key(&o->by_sev, &k);
	termstr_adds(&k, r->host, "-");
	rc = rc ? rc : count_key(&o->by_host, &k);
	user_key(&k, r);
	rc = rc ? rc : count_key(&o->by_user, &k);
	add_exe_or_dash(&k, r);
	rc = rc ? rc : count_key(&o->by_exe, &k);
	if (r->ev.kind == CEV_FILE && r->ev.file.path.len) {
		termstr_add(&k, r->ev.file.path.p, r->ev.file.path.len, 0);
		rc = rc ? rc : count_key(&o->by_file, &k);
	}
	if (r->ev.kind == CEV_CONNECT && r->dest[0]) {
		dest_key(&k, r);
		rc = rc ? rc : count_key(&o->by_dest, &k);
	}
	sbuf_free(&k);
	return rc;
}

/* --- CSV and TSV ----------------------------------------------------------- */

/* one field: TSV as is (termstr_add left no tab or newline), CSV quoted when needed */
static void sep_field(struct events_out *o, const char *p, size_t n, int last)
{
	struct sbuf *b = &o->line;

	if (o->mode == EVENTS_CSV && (memchr(p, ',', n) || memchr(p, '"', n))) {
		sbuf_addc(b, '"');
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"')
				sbuf_addc(b, '"');
			sbuf_addc(b, p[i]);
		}
		sbuf_addc(b, '"');
	} else {
		sbuf_add(b, p, n);
	}
	sbuf_addc(b, last ? '\n' : o->mode == EVENTS_CSV ? ',' : '\t');
}

static const char *const sep_columns[] = {
	"time", "host", "seq", "kind", "rule", "severity", "action", "blocked", "pid", "ppid",
	"uid", "user", "container", "exe", "what",
};

static void print_sep_row(struct events_out *o, const struct record *r)
{
	enum { N_COLUMNS = sizeof(sep_columns) / sizeof(sep_columns[0]) };
	struct sbuf f = SBUF_INIT;
	int proc = r->ev.kind != CEV_LOSS;
	char when[JSON_TIME_SIZE] = "";

	sbuf_reset(&o->line);
	if (!o->header_shown) {
		for (int i = 0; i < N_COLUMNS; i++)
			sep_field(o, sep_columns[i], strlen(sep_columns[i]), i == N_COLUMNS - 1);
		o->header_shown = 1;
	}
	if (r->has_time)
		json_format_time(when, sizeof(when), r->ev.time_ns);
	for (int i = 0; i < N_COLUMNS; i++) {
		sbuf_reset(&f);
		switch (i) {
		case 0: sbuf_adds(&f, when); break;
		case 1: if (r->host) termstr_add(&f, r->host, strlen(r->host), 0); break;
		case 2: sbuf_addf(&f, "%llu", (unsigned long long)r->seq); break;
		case 3: sbuf_adds(&f, events_kind_name(r->ev.kind)); break;
		case 4: if (r->rule) termstr_add(&f, r->rule, strlen(r->rule), 0); break;
		case 5: if (r->severity) sbuf_adds(&f, r->severity); break;
		case 6: if (r->action) sbuf_adds(&f, r->action); break;
		case 7: if (proc) sbuf_adds(&f, events_blocked(r) ? "yes" : "no"); break;
		case 8: if (proc) sbuf_addf(&f, "%u", r->ev.proc.pid); break;
		case 9: if (proc) sbuf_addf(&f, "%u", r->ev.proc.ppid ? r->ev.proc.ppid
								: r->ev.parent.pid); break;
		case 10: if (proc) sbuf_addf(&f, "%u", r->ev.proc.uid); break;
		case 11: if (proc && r->ev.proc.user) termstr_add(&f, r->ev.proc.user,
							       strlen(r->ev.proc.user), 0); break;
		case 12: if (proc && r->ev.proc.container_id) sbuf_adds(&f, r->ev.proc.container_id);
			 break;
		case 13: if (proc) termstr_add(&f, r->ev.proc.exe.p, r->ev.proc.exe.len, 0); break;
		case 14: what(&f, r); break;
		}
		sep_field(o, f.p ? f.p : "", f.len, i == N_COLUMNS - 1);
	}
	sbuf_free(&f);
	if (!sbuf_err(&o->line))
		fwrite(o->line.p, 1, o->line.len, stdout);
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
	case EVENTS_CSV:
	case EVENTS_TSV:
		print_sep_row(o, r);
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
	counts_print(&o->by_host, "by host");
	counts_print(&o->by_user, "by user");
	counts_print(&o->by_exe, "by exe");
	counts_print(&o->by_file, "by file");
	counts_print(&o->by_dest, "by destination");
}

void events_out_free(struct events_out *o)
{
	counts_free(&o->by_rule);
	counts_free(&o->by_sev);
	counts_free(&o->by_host);
	counts_free(&o->by_user);
	counts_free(&o->by_exe);
	counts_free(&o->by_file);
	counts_free(&o->by_dest);
	sbuf_free(&o->line);
}
