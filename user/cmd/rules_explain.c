// SPDX-License-Identifier: Apache-2.0
/*
 * rules_explain.c - `custos rules explain RULES... RECORD`: for each
 * record (a JSON line; `-` reads standard input), every rule's verdict and
 * its reason: which `when` field did not hold, or which `unless` entry
 * suppressed it.  The verdict is rule_set_match's (the agent's matcher); the
 * reasons come from cond_holds on one field at a time.
 *
 * Explaining a record re-runs today's rules on the facts the record kept:
 * a record carries the process, lineage and file/connect facts the matcher
 * reads, so the answer is what the given rules would decide for that event.
 */
#include "cmd/rules_explain.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/termstr.h"
#include "cmd/cmd.h"
#include "cmd/rules_check.h"
#include "record/record.h"
#include "rules/io.h"
#include "rules/rules.h"

#define MAX_HITS 256

/* record bytes for the terminal (base/termstr.h); argv's NULs as spaces */
static void add_printable(struct sbuf *b, const char *p, size_t n)
{
	termstr_add(b, p, n, TERMSTR_NUL_AS_SPACE);
}

/* What the record holds for field f, for the reader of the explanation. */
static void field_value(struct sbuf *b, const struct record *r, enum rule_field f)
{
	const struct cev_event *ev = &r->ev;

	switch (f) {
	case F_EXE:
		add_printable(b, ev->proc.exe.p, ev->proc.exe.len);
		break;
	case F_COMM:
		termstr_adds(b, ev->proc.comm, "");
		break;
	case F_PARENT_EXE:
		add_printable(b, ev->parent.exe.p, ev->parent.exe.len);
		break;
	case F_ANCESTOR_EXE:
		for (uint32_t i = 0; i < ev->n_ancestors; i++) {
			if (i)
				sbuf_adds(b, ", ");
			add_printable(b, ev->ancestors[i].p, ev->ancestors[i].len);
		}
		break;
	case F_UID:
		sbuf_addf(b, "%u", ev->proc.uid);
		break;
	case F_CGROUP:
		termstr_adds(b, ev->proc.cgroup, "(unknown)");
		break;
	case F_PATH:
		add_printable(b, ev->file.path.p, ev->file.path.len);
		break;
	case F_ACCESS:
		if (ev->file.access & CEV_ACC_READ)
			sbuf_adds(b, "read");
		if (ev->file.access & CEV_ACC_WRITE)
			sbuf_adds(b, b->len ? ", write" : "write");
		if (ev->file.access & CEV_ACC_CREATE)
			sbuf_adds(b, b->len ? ", create" : "create");
		break;
	case F_DEST:
		if (ev->kind == CEV_SOCKET) {
			sbuf_adds(b, "none (a socket made or a source route set)");
			break;
		}
		termstr_adds(b, r->dest, "");
		sbuf_addf(b, " port %u", ev->conn.port);
		break;
	case F_PROTO: {
		uint8_t p = ev->kind == CEV_SOCKET ? ev->sock.proto : ev->conn.proto;

		sbuf_adds(b, cev_proto_name(p) ? cev_proto_name(p) : "other");
		break;
	}
	case F_ARGS:
		if (ev->proc.args.len)
			add_printable(b, ev->proc.args.buf, ev->proc.args.len - 1);
		break;
	case F_LABELS:
		for (uint32_t i = 0; i < ev->n_label_info; i++)
			sbuf_addf(b, "%s%s", i ? ", " : "", ev->label_info[i].name);
		break;
	default:
		break;
	}
	if (!b->len)
		sbuf_adds(b, "(empty)");
}

static int field_holds(const struct cond *c, enum rule_field f, const struct cev_event *ev)
{
	struct cond one;

	memset(&one, 0, sizeof(one));
	one.f[f] = c->f[f];	/* shallow: cond_holds only reads */
	return cond_holds(&one, ev);
}

static void fields_of(struct sbuf *b, const struct cond *c)
{
	int first = 1;

	for (int f = 0; f < F__COUNT; f++) {
		if (!c->f[f].present)
			continue;
		sbuf_addf(b, "%s%s", first ? "" : ", ", rule_field_name((enum rule_field)f));
		first = 0;
	}
}

/*
 * ", by label NAME (set by RULE, record seq N)": the label among cf's that
 * the process carried, which made cf hold.
 */
static void label_reason(struct sbuf *b, const struct rule_set *set, const struct cond_field *cf,
			 const struct cev_event *ev)
{
	for (uint32_t i = 0; cf->present && i < ev->n_label_info; i++) {
		const struct cev_label *l = &ev->label_info[i];

		if (!(rule_set_label_bit(set, l->name) & cf->labels))
			continue;
		sbuf_addf(b, ", by label %s (set by %s", l->name, l->rule ? l->rule : "a rule");
		if (l->seq)
			sbuf_addf(b, ", record seq %llu", (unsigned long long)l->seq);
		sbuf_addc(b, ')');
		return;
	}
}

static void explain_rule(const struct rule_set *set, const struct rule *ru,
			 const struct record *r, int matched)
{
	struct sbuf b = SBUF_INIT;
	const struct cev_event *ev = &r->ev;
	/* an open whose file or path is unknown (io_uring under the tracepoint
	 * backends, a path cut short): what is unknown is taken to hold, an
	 * unless that needs it does not suppress */
	int unresolved = ev->kind == CEV_FILE && ev->file.unresolved;
	int partial = ev->kind == CEV_FILE && !unresolved && ev->file.path_partial;

	if ((int)ru->on != (int)ev->kind) {
		printf("  skip        %-38s on: %s\n", ru->id, rule_on_name(ru->on));
		return;
	}
	if (!ru->enabled) {
		printf("  disabled    %-38s\n", ru->id);
		return;
	}
	if (matched) {
		fields_of(&b, &ru->when);
		label_reason(&b, set, &ru->when.f[F_LABELS], ev);
		printf("  MATCH       %-38s when holds (%s)%s; no unless holds\n", ru->id, sbuf_cstr(&b),
		       unresolved ? " (file unknown: path and access taken to hold)" :
		       partial ? " (path not whole: taken to hold)" : "");
		sbuf_free(&b);
		return;
	}
	for (int f = 0; f < F__COUNT; f++) {
		if (!ru->when.f[f].present || field_holds(&ru->when, (enum rule_field)f, ev) ||
		    rule_field_unknown(ev, (enum rule_field)f))
			continue;
		sbuf_reset(&b);
		field_value(&b, r, (enum rule_field)f);
		printf("  no          %-38s when.%s does not hold: %s\n", ru->id,
		       rule_field_name((enum rule_field)f), sbuf_cstr(&b));
		sbuf_free(&b);
		return;
	}
	for (size_t i = 0; i < ru->n_unless; i++) {
		if (!cond_holds(&ru->unless[i], ev) || cond_needs_unknown(&ru->unless[i], ev))
			continue;
		sbuf_reset(&b);
		fields_of(&b, &ru->unless[i]);
		label_reason(&b, set, &ru->unless[i].f[F_LABELS], ev);
		printf("  suppressed  %-38s when holds, but unless[%zu] (%s) holds\n", ru->id, i,
		       sbuf_cstr(&b));
		sbuf_free(&b);
		return;
	}
	printf("  no          %-38s (no single reason found)\n", ru->id);
	sbuf_free(&b);
}

static void explain(const struct rule_set *set, struct record *r)
{
	const struct rule *hits[MAX_HITS];
	size_t n;

	/* the labels the record names, as bits of these rules */
	for (uint32_t i = 0; i < r->ev.n_label_info; i++)
		r->ev.labels |= rule_set_label_bit(set, r->ev.label_info[i].name);
	n = rule_set_match(set, &r->ev, hits, MAX_HITS);
	struct sbuf b = SBUF_INIT;
	static const char *const kinds[] = { "?", "file", "connect", "exec", "loss", "socket" };

	if (n > MAX_HITS)
		n = MAX_HITS;
	add_printable(&b, r->ev.proc.exe.p, r->ev.proc.exe.len);
	if (r->rule) {
		sbuf_adds(&b, " (recorded for rule ");
		termstr_adds(&b, r->rule, "");
		sbuf_addc(&b, ')');
	}
	printf("record seq %llu: %s by pid %u %s\n", (unsigned long long)r->seq,
	       kinds[r->ev.kind], r->ev.proc.pid, sbuf_cstr(&b));
	sbuf_free(&b);
	for (size_t i = 0; i < set->n_rules; i++) {
		int matched = 0;

		for (size_t j = 0; j < n; j++)
			matched |= hits[j] == &set->rules[i];
		explain_rule(set, &set->rules[i], r, matched);
	}
	printf("%zu rule%s match%s\n", n, n == 1 ? "" : "s", n == 1 ? "es" : "");
}

int cmd_rules_explain(int argc, char **argv)
{
	struct rule_diags diags = { 0 };
	struct rule_set *set = NULL;
	const char *src = argc > 0 ? argv[argc - 1] : NULL;
	char err[1024] = "", *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0, n = 0;
	FILE *f;
	int status = CMD_EXIT_OK;

	if (argc < 2) {
		fprintf(stderr, "usage: custos rules explain RULES... RECORD.json   (- reads stdin)\n");
		return CMD_EXIT_USAGE;
	}
	if (rules_load_paths((const char *const *)argv, (size_t)argc - 1, 0, NULL, &set, &diags,
			     err, sizeof(err))) {
		rules_check_report(&diags, err);
		rule_diags_free(&diags);
		return CMD_EXIT_FAIL;
	}
	f = strcmp(src, "-") == 0 ? stdin : fopen(src, "r");
	if (!f) {
		fprintf(stderr, "custos: rules explain: %s: %s\n", src, strerror(errno));
		rule_set_free(set);
		return CMD_EXIT_FAIL;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct record r;
		int rc;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			len--;
		if (!len)
			continue;
		rc = record_parse(&r, line, (size_t)len);
		if (rc == 0 && r.ev.kind != CEV_LOSS) {
			if (n++)
				printf("\n");
			explain(set, &r);
		} else {
			fprintf(stderr, "%s:%lu: %s, skipped\n", src, lineno,
				rc ? "malformed record" : "loss record (no rule applies)");
			status = CMD_EXIT_FAIL;
		}
		record_free(&r);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	rule_set_free(set);
	return status;
}
