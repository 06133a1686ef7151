// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_events.c - `custos events`: stream audit records through filters to a
 * table, JSON lines, a summary or a process tree.
 *
 * Streaming: one line in memory at a time.  --summary keeps one counter per
 * distinct rule / severity / exe, --tree one entry per descendant process;
 * nothing else grows with the input.
 *
 * Files: each FILE is read after its logrotate-style rotations that exist
 * (FILE.N.gz or FILE.N, highest N first, i.e. oldest first), so naming the
 * current file reads the whole history in time order; a path is read once
 * even when named again.  *.gz files are read through zlib.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cmd/events.h"
#include "rules/glob.h"
#include "record/json.h"
#include "record/record.h"
#include "rules/rules.h"
#include "base/sbuf.h"

#define MAX_FILES 1024
#define MAX_ROTATIONS 100

/* --- reading lines from plain and gzip files ------------------------------- */

struct reader {
	const char *path;
	FILE *f;		/* plain files (followable) */
	gzFile gz;		/* *.gz */
	struct sbuf line;
	unsigned long lineno;
	ino_t ino;
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int reader_open(struct reader *r, const char *path)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->path = path;
	if (ends_with(path, ".gz")) {
		r->gz = gzopen(path, "rb");
		if (!r->gz)
			return errno ? -errno : -ENOMEM;
		gzbuffer(r->gz, 128 << 10);
		return 0;
	}
	r->f = fopen(path, "rb");
	if (!r->f)
		return -errno;
	if (fstat(fileno(r->f), &st) == 0)
		r->ino = st.st_ino;
	return 0;
}

/*
 * Next complete line into r->line (newline stripped): 1, or 0 at the end
 * for now.  A last line without its newline is kept pending (it may still
 * be being written) unless final is set.
 */
static int reader_next(struct reader *r, int final)
{
	char chunk[8192];

	for (;;) {
		size_t n;

		if (r->gz) {
			if (!gzgets(r->gz, chunk, sizeof(chunk)))
				break;
			n = strlen(chunk);	/* a NUL in a .gz line ends it: malformed anyway */
		} else {
			if (!fgets(chunk, sizeof(chunk), r->f)) {
				clearerr(r->f);
				break;
			}
			n = strlen(chunk);
		}
		sbuf_add(&r->line, chunk, n);
		if (n && chunk[n - 1] == '\n') {
			r->line.len--;
			r->lineno++;
			return 1;
		}
	}
	if (final && r->line.len) {
		r->lineno++;
		return 1;
	}
	return 0;
}

static void reader_close(struct reader *r)
{
	if (r->gz)
		gzclose(r->gz);
	if (r->f)
		fclose(r->f);
	sbuf_free(&r->line);
	memset(r, 0, sizeof(*r));
}

/* --- options and filters --------------------------------------------------- */

struct count {
	char *key;
	unsigned long n;
};

struct counts {
	struct count *v;
	size_t n, cap;		/* open addressing, cap a power of two */
};

struct tree_node {
	uint32_t pid;
	int depth;
};

struct ev_opts {
	const char *rule, *kind, *exe, *path;
	int min_sev;
	int has_since, has_until, has_pid, has_dest;
	uint64_t since, until;
	uint32_t pid;
	struct dest_pat dest;
	int json, summary, follow, color;
	int has_tree;
	uint32_t tree_pid;
	/* state */
	unsigned long shown, malformed;
	uint64_t first_ns, last_ns;
	struct counts by_rule, by_sev, by_exe;
	struct tree_node *tree;
	size_t n_tree, cap_tree;
	int lineage_shown, header_shown;
	struct sbuf out;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int counts_add(struct counts *c, const char *key)
{
	size_t i;

	if ((c->n + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct count *v = calloc(cap, sizeof(*v));

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
	}
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

static int count_cmp(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (!x->key || !y->key)
		return !x->key - !y->key;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void counts_print(struct counts *c, const char *title)
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

static void counts_free(struct counts *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->v[i].key);
	free(c->v);
}

/* RFC 3339, or a duration before now: 90s, 30m, 2h, 7d. */
static int parse_when(const char *s, uint64_t *ns)
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
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -EINVAL;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	v *= unit;
	if (v > (unsigned long long)now.tv_sec)
		v = (unsigned long long)now.tv_sec;
	*ns = ((uint64_t)now.tv_sec - v) * 1000000000ull + (uint64_t)now.tv_nsec;
	return 0;
}

static const char *kind_name(enum cev_kind k)
{
	const char *n = json_kind_name(k);

	return n ? n : "?";
}

static struct tree_node *tree_find(struct ev_opts *o, uint32_t pid)
{
	for (size_t i = 0; i < o->n_tree; i++)
		if (o->tree[i].pid == pid)
			return &o->tree[i];
	return NULL;
}

static struct tree_node *tree_add(struct ev_opts *o, uint32_t pid, int depth)
{
	if (o->n_tree == o->cap_tree) {
		size_t cap = o->cap_tree ? o->cap_tree * 2 : 64;
		struct tree_node *v = realloc(o->tree, cap * sizeof(*v));

		if (!v)
			return NULL;
		o->tree = v;
		o->cap_tree = cap;
	}
	o->tree[o->n_tree] = (struct tree_node){ .pid = pid, .depth = depth };
	return &o->tree[o->n_tree++];
}

/* Is the record part of PID's tree?  Learns descendants as it goes. */
static struct tree_node *in_tree(struct ev_opts *o, const struct record *r)
{
	uint32_t pid = r->ev.proc.pid;
	uint32_t ppid = r->ev.proc.ppid ? r->ev.proc.ppid : r->ev.parent.pid;
	struct tree_node *t, *p;

	if (r->ev.kind == CEV_LOSS || !pid)
		return NULL;
	t = tree_find(o, pid);
	if (t)
		return t;
	p = ppid ? tree_find(o, ppid) : NULL;
	return p ? tree_add(o, pid, p->depth + 1) : NULL;
}

static int keep(struct ev_opts *o, const struct record *r)
{
	const struct cev_event *ev = &r->ev;

	if (o->rule && !(r->rule && glob_match(o->rule, r->rule, strlen(r->rule))))
		return 0;
	if (o->kind && strcmp(o->kind, kind_name(ev->kind)) != 0)
		return 0;
	if (o->min_sev >= 0 && record_severity_rank(r->severity) < o->min_sev)
		return 0;
	if ((o->has_since || o->has_until) && !r->has_time)
		return 0;
	if (o->has_since && ev->time_ns < o->since)
		return 0;
	if (o->has_until && ev->time_ns >= o->until)
		return 0;
	if (o->has_pid && (ev->kind == CEV_LOSS || ev->proc.pid != o->pid))
		return 0;
	if (o->exe && (ev->kind == CEV_LOSS || !ev->proc.exe.p ||
		       !glob_match(o->exe, ev->proc.exe.p, ev->proc.exe.len)))
		return 0;
	if (o->path && (ev->kind != CEV_FILE || !ev->file.path.p ||
			!glob_match(o->path, ev->file.path.p, ev->file.path.len)))
		return 0;
	if (o->has_dest && (ev->kind != CEV_CONNECT || !ev->conn.family ||
			    !dest_pat_match(&o->dest, ev->conn.family, ev->conn.addr, ev->conn.port)))
		return 0;
	return 1;
}

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

static const char *sev_color(const char *sev)
{
	switch (record_severity_rank(sev)) {
	case 4: return "\033[1;31m";
	case 3: return "\033[31m";
	case 2: return "\033[33m";
	case 1: return "\033[36m";
	default: return "";
	}
}

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
	}
}

static void print_header(struct ev_opts *o)
{
	printf("%-19s  %-8s  %-38s  %7s  %-30s  %s\n", "TIME (UTC)", "SEVERITY", "RULE",
	       "PID", "EXE", "WHAT");
}

static void print_row(struct ev_opts *o, const struct record *r, int depth)
{
	struct sbuf *b = &o->out;
	char when[32] = "-";
	const char *sev = r->severity ? r->severity : "-";
	size_t start;

	if (!o->header_shown) {
		print_header(o);
		o->header_shown = 1;
	}
	sbuf_reset(b);
	if (r->has_time) {
		time_t t = (time_t)(r->ev.time_ns / 1000000000ull);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	sbuf_addf(b, "%-19s  ", when);
	if (o->color)
		sbuf_addf(b, "%s%-8s\033[0m  ", sev_color(sev), sev);
	else
		sbuf_addf(b, "%-8s  ", sev);
	sbuf_addf(b, "%-38s  ", r->rule ? r->rule : kind_name(r->ev.kind));
	if (r->ev.kind == CEV_LOSS)
		sbuf_addf(b, "%7s  ", "-");
	else
		sbuf_addf(b, "%7u  ", r->ev.proc.pid);
	start = b->len;
	for (int i = 0; i < depth; i++)
		sbuf_adds(b, "  ");
	if (r->ev.kind != CEV_LOSS && r->ev.proc.exe.len)
		add_safe(b, r->ev.proc.exe.p, r->ev.proc.exe.len, 0);
	else
		sbuf_adds(b, "-");
	while (b->len - start < 30)
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
static void print_lineage(struct ev_opts *o, const struct record *r, int depth)
{
	const struct cev_event *ev = &r->ev;
	struct sbuf *b = &o->out;
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

static int handle_line(struct ev_opts *o, struct reader *rd)
{
	const char *line = rd->line.p;
	size_t len = rd->line.len;
	struct tree_node *t = NULL;
	struct record r;
	int rc, depth = 0;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	rc = record_parse(&r, line, len);
	if (rc) {
		record_free(&r);
		if (rc == -ENOMEM)
			return rc;
		o->malformed++;
		fflush(stdout);
		fprintf(stderr, "%s:%lu: malformed record, skipped\n", rd->path, rd->lineno);
		return 0;
	}
	if (o->has_tree) {
		t = in_tree(o, &r);
		if (!t)
			goto out;
		depth = t->depth;
	}
	if (!keep(o, &r))
		goto out;
	o->shown++;
	if (r.has_time) {
		if (!o->first_ns || r.ev.time_ns < o->first_ns)
			o->first_ns = r.ev.time_ns;
		if (r.ev.time_ns > o->last_ns)
			o->last_ns = r.ev.time_ns;
	}
	if (o->summary) {
		struct sbuf exe = SBUF_INIT;

		if (r.ev.kind != CEV_LOSS && r.ev.proc.exe.len)
			add_safe(&exe, r.ev.proc.exe.p, r.ev.proc.exe.len, 0);
		else
			sbuf_adds(&exe, "-");
		rc = counts_add(&o->by_rule, r.rule ? r.rule : kind_name(r.ev.kind));
		rc = rc ? rc : counts_add(&o->by_sev, r.severity ? r.severity : "-");
		rc = rc ? rc : counts_add(&o->by_exe, sbuf_cstr(&exe));
		sbuf_free(&exe);
		if (rc)
			goto fail;
	} else if (o->json) {
		fwrite(rd->line.p, 1, rd->line.len, stdout);
		fputc('\n', stdout);
	} else {
		if (o->has_tree && !o->lineage_shown) {
			print_lineage(o, &r, depth);
			o->lineage_shown = 1;
		}
		print_row(o, &r, depth);
	}
	if (o->follow)
		fflush(stdout);
out:
	record_free(&r);
	return 0;
fail:
	record_free(&r);
	return -ENOMEM;
}

/* --- files ----------------------------------------------------------------- */

struct file_list {
	char *v[MAX_FILES];
	size_t n;
};

static int list_add(struct file_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], path) == 0)
			return 0;
	if (l->n == MAX_FILES)
		return -E2BIG;
	l->v[l->n] = strdup(path);
	return l->v[l->n++] ? 0 : -ENOMEM;
}

/* FILE's rotations (FILE.N.gz / FILE.N, oldest first), then FILE. */
static int add_with_rotations(struct file_list *l, const char *path)
{
	char buf[4096];
	struct stat st;
	int last = 0, rc;

	for (int n = 1; n <= MAX_ROTATIONS; n++) {
		snprintf(buf, sizeof(buf), "%s.%d.gz", path, n);
		if (stat(buf, &st) == 0) {
			last = n;
			continue;
		}
		snprintf(buf, sizeof(buf), "%s.%d", path, n);
		if (stat(buf, &st) == 0)
			last = n;
		else
			break;
	}
	for (int n = last; n >= 1; n--) {
		snprintf(buf, sizeof(buf), "%s.%d.gz", path, n);
		if (stat(buf, &st) != 0)
			snprintf(buf, sizeof(buf), "%s.%d", path, n);
		rc = list_add(l, buf);
		if (rc)
			return rc;
	}
	return list_add(l, path);
}

/* Follows r (the last file) until killed; reopens it when it is rotated. */
static int follow(struct ev_opts *o, struct reader *r)
{
	for (;;) {
		struct stat st;
		int rc;

		while (reader_next(r, 0) == 1) {
			rc = handle_line(o, r);
			sbuf_reset(&r->line);
			if (rc)
				return rc;
		}
		fflush(stdout);
		usleep(200 * 1000);
		if (r->f && stat(r->path, &st) == 0 &&
		    (st.st_ino != r->ino || st.st_size < ftell(r->f))) {
			const char *path = r->path;

			while (reader_next(r, 1) == 1) {	/* the rest of the old file */
				handle_line(o, r);
				sbuf_reset(&r->line);
			}
			reader_close(r);
			if (reader_open(r, path))
				return -errno;
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: custos events [OPTIONS] [FILE...]\n"
		"Reads custos JSON-lines audit files (default " EVENTS_DEFAULT_FILE "),\n"
		"each after its rotations FILE.N[.gz], oldest first.\n"
		"  --rule GLOB        rule id          --kind file|connect|exec|loss\n"
		"  --severity LEVEL   this or higher   --pid PID      acting process\n"
		"  --since WHEN       at or after      --until WHEN   before\n"
		"                     WHEN: RFC 3339 (2026-11-23T07:00:00Z) or ago (30m, 2h, 7d)\n"
		"  --exe GLOB         process exe      --path GLOB    file path\n"
		"  --dest CIDR[:PORT] connect destination, as in rules (10.0.0.0/8, [::1]:443)\n"
		"  --json             the matching lines unchanged, for jq\n"
		"  --summary          counts by rule, severity and exe\n"
		"  --tree PID         PID's lineage, then what it and its descendants did\n"
		"  --follow           keep reading the last file as it grows\n"
		"  --color auto|always|never\n");
}

int cmd_events(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "rule", required_argument, NULL, 'r' },
		{ "kind", required_argument, NULL, 'k' },
		{ "severity", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "pid", required_argument, NULL, 'p' },
		{ "exe", required_argument, NULL, 'e' },
		{ "path", required_argument, NULL, 'P' },
		{ "dest", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "summary", no_argument, NULL, 'm' },
		{ "tree", required_argument, NULL, 't' },
		{ "follow", no_argument, NULL, 'f' },
		{ "color", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ev_opts o = { .min_sev = -1, .color = -1 };
	struct file_list files = { 0 };
	struct reader rd = { 0 };
	unsigned long opened = 0;
	char why[256];
	int c, rc = 0, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "fh", lopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'r': o.rule = optarg; break;
		case 'e': o.exe = optarg; break;
		case 'P': o.path = optarg; break;
		case 'j': o.json = 1; break;
		case 'm': o.summary = 1; break;
		case 'f': o.follow = 1; break;
		case 'k':
			if (strcmp(optarg, "file") && strcmp(optarg, "connect") &&
			    strcmp(optarg, "exec") && strcmp(optarg, "loss")) {
				fprintf(stderr, "custos: events: --kind %s: expected file, connect, exec or loss\n", optarg);
				return 2;
			}
			o.kind = optarg;
			break;
		case 's':
			o.min_sev = record_severity_rank(optarg);
			if (o.min_sev < 0) {
				fprintf(stderr, "custos: events: --severity %s: expected info, low, medium, high or critical\n", optarg);
				return 2;
			}
			break;
		case 'S':
		case 'U':
			if (parse_when(optarg, c == 'S' ? &o.since : &o.until)) {
				fprintf(stderr, "custos: events: --%s %s: expected RFC 3339 "
					"(2026-11-23T07:00:00Z) or a duration ago (30m, 2h, 7d)\n",
					c == 'S' ? "since" : "until", optarg);
				return 2;
			}
			*(c == 'S' ? &o.has_since : &o.has_until) = 1;
			break;
		case 'p':
		case 't': {
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || end == optarg || v == 0 || v > UINT32_MAX) {
				fprintf(stderr, "custos: events: --%s %s: expected a process id\n",
					c == 'p' ? "pid" : "tree", optarg);
				return 2;
			}
			if (c == 'p') {
				o.has_pid = 1;
				o.pid = (uint32_t)v;
			} else {
				o.has_tree = 1;
				o.tree_pid = (uint32_t)v;
			}
			break;
		}
		case 'd':
			if (dest_parse(optarg, &o.dest, why, sizeof(why))) {
				fprintf(stderr, "custos: events: --dest %s: %s\n", optarg, why);
				return 2;
			}
			o.has_dest = 1;
			break;
		case 'c':
			if (strcmp(optarg, "auto") == 0)
				o.color = -1;
			else if (strcmp(optarg, "always") == 0)
				o.color = 1;
			else if (strcmp(optarg, "never") == 0)
				o.color = 0;
			else {
				fprintf(stderr, "custos: events: --color %s: expected auto, always or never\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o.summary && (o.json || o.follow)) {
		fprintf(stderr, "custos: events: --summary does not combine with --json or --follow\n");
		return 2;
	}
	if (o.color < 0)
		o.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	if (o.has_tree && tree_add(&o, o.tree_pid, 0) == NULL)
		return 1;
	if (optind == argc)
		rc = add_with_rotations(&files, EVENTS_DEFAULT_FILE);
	for (int i = optind; i < argc && rc == 0; i++)
		rc = add_with_rotations(&files, argv[i]);
	if (rc) {
		fprintf(stderr, "custos: events: %s\n", strerror(-rc));
		status = 1;
		goto out;
	}
	if (o.follow)
		setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < files.n && rc == 0; i++) {
		int last = i + 1 == files.n;

		rc = reader_open(&rd, files.v[i]);
		if (rc) {
			fprintf(stderr, "custos: events: %s: %s\n", files.v[i], strerror(-rc));
			rc = 0;
			continue;
		}
		opened++;
		while (rc == 0 && reader_next(&rd, !(o.follow && last)) == 1) {
			rc = handle_line(&o, &rd);
			sbuf_reset(&rd.line);
		}
		if (rc == 0 && o.follow && last)
			rc = follow(&o, &rd);
		reader_close(&rd);
	}
	if (rc) {
		fprintf(stderr, "custos: events: %s\n", strerror(-rc));
		status = 1;
	} else if (!opened) {
		status = 1;
	} else if (!o.shown && !o.summary) {
		fprintf(stderr, "custos: events: no matching records\n");
	}
	if (o.summary) {
		char a[32] = "-", b[32] = "-";
		time_t t;
		struct tm tm;

		if (o.first_ns) {
			t = (time_t)(o.first_ns / 1000000000ull);
			gmtime_r(&t, &tm);
			strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%SZ", &tm);
			t = (time_t)(o.last_ns / 1000000000ull);
			gmtime_r(&t, &tm);
			strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		printf("%lu records from %lu file(s), %s .. %s", o.shown, opened, a, b);
		if (o.malformed)
			printf(" (%lu malformed lines skipped)", o.malformed);
		printf("\n");
		counts_print(&o.by_rule, "by rule");
		counts_print(&o.by_sev, "by severity");
		counts_print(&o.by_exe, "by exe");
	}
out:
	counts_free(&o.by_rule);
	counts_free(&o.by_sev);
	counts_free(&o.by_exe);
	free(o.tree);
	sbuf_free(&o.out);
	for (size_t i = 0; i < files.n; i++)
		free(files.v[i]);
	return status;
}
