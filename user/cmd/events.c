// SPDX-License-Identifier: Apache-2.0
/*
 * events.c - `custos events`: stream audit records through filters to a
 * table, JSON lines, a summary or a process tree (events.h).
 *
 * The pieces: events_read.c (files, rotations, --follow), events_filter.c
 * (which records), events_print.c (how they are shown).  This file parses
 * the options and runs every line of every file through them.
 *
 * Files: each FILE is read after its logrotate-style rotations that exist
 * (FILE.N.gz or FILE.N, highest N first, i.e. oldest first), so naming the
 * current file reads the whole history in time order; a path is read once
 * even when named again.
 */
#include "cmd/events.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/events_filter.h"
#include "cmd/events_print.h"
#include "cmd/events_read.h"
#include "rules/dest.h"

enum events_color {
	COLOR_AUTO,		/* when standard output is a terminal and NO_COLOR is unset */
	COLOR_ALWAYS,
	COLOR_NEVER,
};

/* A run of the command: what the options asked for, and its progress. */
struct events_run {
	struct events_filter filter;
	struct events_tree tree;	/* tree.pid 0: no --tree */
	struct events_out out;
	/* options as given, checked together after parsing */
	int json, summary, follow;
	enum events_mode sep;		/* EVENTS_CSV or EVENTS_TSV; 0: neither */
	enum events_color color;
	uint32_t tree_pid;
};

enum events_parsed {
	EVENTS_PARSED,		/* go on */
	EVENTS_PARSED_HELP,	/* --help was printed */
	EVENTS_PARSE_FAILED,	/* the reason was printed */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: custos events [OPTIONS] [FILE...]\n"
		"Reads custos audit files, custos.event/1 or OCSF lines (default\n"
		EVENTS_DEFAULT_FILE "), each after its rotations FILE.N[.gz], oldest first.\n"
		"Exit status: 0 records shown, 1 none matched (or no file read), 2 usage.\n"
		"  --rule GLOB        rule id          --kind file|connect|exec|loss\n"
		"  --severity LEVEL   this or higher   --tag GLOB     one of the rule's tags\n"
		"  --since WHEN       at or after      --until WHEN   before\n"
		"                     WHEN (UTC): RFC 3339, \"2026-12-06 01:59:30\", 2026-12-06,\n"
		"                     now, today, yesterday, or ago (30m, 2h, 7d)\n"
		"  --host GLOB        host             --container GLOB  container id\n"
		"  --pid PID          acting process   --ppid PID     its parent\n"
		"  --uid UID          acting user id   --user GLOB    acting user name\n"
		"  --exe GLOB         process exe      --path GLOB    file path\n"
		"  --dest CIDR[:PORT] connect destination, as in rules (10.0.0.0/8, [::1]:443)\n"
		"  --blocked          only what the kernel refused\n"
		"  --json             the matching lines unchanged, for jq\n"
		"  --csv, --tsv       one row per record, with a header\n"
		"  --summary          counts by rule, severity, host, user, exe, file, destination\n"
		"  --tree PID         PID's lineage, then what it and its descendants did\n"
		"  --follow           keep reading the last file as it grows\n"
		"  --color auto|always|never\n");
}

/* --pid, --ppid, --tree: a process id; --uid: a user id (0 allowed).
 * 0, or -EINVAL after saying why. */
static int parse_id(const char *opt, const char *arg, uint32_t *id)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);
	int is_uid = !strcmp(opt, "uid");

	if (*end || end == arg || arg[0] == '-' || (v == 0 && !is_uid) || v > UINT32_MAX) {
		fprintf(stderr, "custos: events: --%s %s: expected a %s id\n", opt, arg,
			is_uid ? "user" : "process");
		return -EINVAL;
	}
	*id = (uint32_t)v;
	return 0;
}

/* The options with a value to check; 0, or -EINVAL after saying why. */
static int parse_checked(int c, const char *arg, struct events_run *q)
{
	struct events_filter *f = &q->filter;
	char why[256];

	switch (c) {
	case 'k':
		if (strcmp(arg, "file") && strcmp(arg, "connect") &&
		    strcmp(arg, "exec") && strcmp(arg, "loss")) {
			fprintf(stderr, "custos: events: --kind %s: expected file, connect, exec or loss\n", arg);
			return -EINVAL;
		}
		f->kind = arg;
		return 0;
	case 's':
		f->min_sev = record_severity_rank(arg);
		if (f->min_sev < 0) {
			fprintf(stderr, "custos: events: --severity %s: expected info, low, medium, high or critical\n", arg);
			return -EINVAL;
		}
		return 0;
	case 'S':
	case 'U':
		if (events_parse_when(arg, c == 'S' ? &f->since : &f->until)) {
			fprintf(stderr, "custos: events: --%s %s: expected a time in UTC: RFC 3339 "
				"(2026-11-23T07:00:00Z), \"2026-11-23 07:00:00\", 2026-11-23, now, "
				"today, yesterday, or a duration ago (30m, 2h, 7d)\n",
				c == 'S' ? "since" : "until", arg);
			return -EINVAL;
		}
		*(c == 'S' ? &f->has_since : &f->has_until) = 1;
		return 0;
	case 'p':
		f->has_pid = 1;
		return parse_id("pid", arg, &f->pid);
	case 'q':
		f->has_ppid = 1;
		return parse_id("ppid", arg, &f->ppid);
	case 'u':
		f->has_uid = 1;
		return parse_id("uid", arg, &f->uid);
	case 't':
		return parse_id("tree", arg, &q->tree_pid);
	case 'd':
		if (dest_parse(arg, &f->dest, why, sizeof(why))) {
			fprintf(stderr, "custos: events: --dest %s: %s\n", arg, why);
			return -EINVAL;
		}
		f->has_dest = 1;
		return 0;
	case 'c':
		if (strcmp(arg, "auto") == 0)
			q->color = COLOR_AUTO;
		else if (strcmp(arg, "always") == 0)
			q->color = COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			q->color = COLOR_NEVER;
		else {
			fprintf(stderr, "custos: events: --color %s: expected auto, always or never\n", arg);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

static enum events_parsed parse_args(int argc, char **argv, struct events_run *q)
{
	static const struct option lopts[] = {
		{ "rule", required_argument, NULL, 'r' },
		{ "kind", required_argument, NULL, 'k' },
		{ "severity", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "pid", required_argument, NULL, 'p' },
		{ "ppid", required_argument, NULL, 'q' },
		{ "uid", required_argument, NULL, 'u' },
		{ "user", required_argument, NULL, 'n' },
		{ "host", required_argument, NULL, 'H' },
		{ "container", required_argument, NULL, 'C' },
		{ "tag", required_argument, NULL, 'g' },
		{ "blocked", no_argument, NULL, 'b' },
		{ "csv", no_argument, NULL, 'v' },
		{ "tsv", no_argument, NULL, 'T' },
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
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "fh", lopts, NULL)) != -1) {
		switch (c) {
		case 'r': q->filter.rule = optarg; break;
		case 'e': q->filter.exe = optarg; break;
		case 'P': q->filter.path = optarg; break;
		case 'n': q->filter.user = optarg; break;
		case 'H': q->filter.host = optarg; break;
		case 'C': q->filter.container = optarg; break;
		case 'g': q->filter.tag = optarg; break;
		case 'b': q->filter.blocked = 1; break;
		case 'v': q->sep = EVENTS_CSV; break;
		case 'T': q->sep = EVENTS_TSV; break;
		case 'j': q->json = 1; break;
		case 'm': q->summary = 1; break;
		case 'f': q->follow = 1; break;
		case 'h':
			usage(stdout);
			return EVENTS_PARSED_HELP;
		case '?':
			usage(stderr);
			return EVENTS_PARSE_FAILED;
		default:
			if (parse_checked(c, optarg, q))
				return EVENTS_PARSE_FAILED;
		}
	}
	if (q->summary && (q->json || q->follow)) {
		fprintf(stderr, "custos: events: --summary does not combine with --json or --follow\n");
		return EVENTS_PARSE_FAILED;
	}
	if (q->sep && (q->json || q->summary || q->tree_pid)) {
		fprintf(stderr, "custos: events: --csv and --tsv do not combine with --json, "
			"--summary or --tree\n");
		return EVENTS_PARSE_FAILED;
	}
	return EVENTS_PARSED;
}

/* One line of a file: parsed, filtered, shown.  0, or -ENOMEM. */
static int handle_line(struct reader *rd, void *ctx)
{
	struct events_run *q = ctx;
	const char *line = rd->line.p;
	size_t len = rd->line.len;
	struct record r;
	int rc, depth = 0;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len && !rd->overlong)
		return 0;
	memset(&r, 0, sizeof(r));
	rc = rd->overlong ? -EINVAL : record_parse(&r, line, len);
	if (rc) {
		record_free(&r);
		if (rc == -ENOMEM)
			return rc;
		q->out.malformed++;
		fflush(stdout);
		fprintf(stderr, "%s:%lu: malformed record, skipped\n", rd->path, rd->lineno);
		return 0;
	}
	if (q->tree.pid)
		depth = events_tree_depth(&q->tree, &r);
	if (depth >= 0 && events_filter_keep(&q->filter, &r))
		rc = events_show(&q->out, &r, rd->line.p, rd->line.len, depth);
	record_free(&r);
	return rc;
}

/* Every file in order, the last one followed with --follow.  0, or -errno
 * (a file that cannot be opened is reported and skipped). */
static int read_files(struct events_run *q, const struct events_files *files,
		      unsigned long *opened)
{
	struct reader rd = { 0 };
	int rc = 0;

	for (size_t i = 0; i < files->n && rc == 0; i++) {
		int last = i + 1 == files->n;

		rc = reader_open(&rd, files->v[i]);
		if (rc) {
			fprintf(stderr, "custos: events: %s: %s\n", files->v[i], strerror(-rc));
			rc = 0;
			continue;
		}
		(*opened)++;
		while (rc == 0 && reader_next(&rd, !(q->follow && last)) == 1)
			rc = handle_line(&rd, q);
		if (rc == 0 && q->follow && last)
			rc = reader_follow(&rd, handle_line, q);
		reader_close(&rd);
	}
	return rc;
}

/* From the options to the output's settings and the tree's root. */
static int prepare(struct events_run *q)
{
	struct events_out *o = &q->out;

	o->mode = q->summary ? EVENTS_SUMMARY : q->json ? EVENTS_JSON : q->sep ? q->sep : EVENTS_TABLE;
	o->flush = q->follow;
	o->color = q->color == COLOR_ALWAYS ||
		   (q->color == COLOR_AUTO && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL);
	if (!q->tree_pid)
		return 0;
	o->tree_pid = q->tree_pid;
	return events_tree_init(&q->tree, q->tree_pid);
}

int cmd_events(int argc, char **argv)
{
	struct events_run q = { .filter = { .min_sev = -1 }, .color = COLOR_AUTO };
	struct events_files files = { 0 };
	unsigned long opened = 0;
	int rc = 0, status = CMD_EXIT_OK;

	switch (parse_args(argc, argv, &q)) {
	case EVENTS_PARSED:
		break;
	case EVENTS_PARSED_HELP:
		return CMD_EXIT_OK;
	case EVENTS_PARSE_FAILED:
		return CMD_EXIT_USAGE;
	}
	if (prepare(&q)) {
		status = CMD_EXIT_FAIL;
		goto out;
	}
	if (optind == argc)
		rc = events_files_add(&files, EVENTS_DEFAULT_FILE);
	for (int i = optind; i < argc && rc == 0; i++)
		rc = events_files_add(&files, argv[i]);
	if (rc) {
		fprintf(stderr, "custos: events: %s\n", strerror(-rc));
		status = CMD_EXIT_FAIL;
		goto out;
	}
	if (q.follow)
		setvbuf(stdout, NULL, _IOLBF, 0);
	rc = read_files(&q, &files, &opened);
	if (rc) {
		fprintf(stderr, "custos: events: %s\n", strerror(-rc));
		status = CMD_EXIT_FAIL;
	} else if (!opened) {
		status = CMD_EXIT_FAIL;
	} else if (!q.out.shown) {
		/* as ausearch: nothing matched is an answer a script must see */
		if (!q.summary)
			fprintf(stderr, "custos: events: no matching records\n");
		status = CMD_EXIT_FAIL;
	}
	/* what was counted, even when reading stopped early or found nothing */
	if (q.summary)
		events_print_summary(&q.out, opened);
out:
	events_out_free(&q.out);
	events_tree_free(&q.tree);
	events_files_free(&files);
	return status;
}
