/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events_verify.c - `custos events verify` (events_verify.h): the files as
 * lines through the chain check, each break printed as FILE:LINE.
 */
#include "cmd/events_verify.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/keyfile.h"
#include "cmd/cmd.h"
#include "cmd/events.h"
#include "cmd/events_read.h"
#include "record/verify.h"

struct verify_run {
	const struct events_files *files;
	unsigned long findings;
	int live;		/* an open tail is no finding */
	int keyed;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: custos events verify [--key FILE] [--live] [FILE...]\n"
		"Checks that the records of FILE (default " EVENTS_DEFAULT_FILE "), read after\n"
		"its rotations FILE.N[.gz] oldest first, are whole and unedited: each record's\n"
		"chain digest follows from the one before it, and the last record closes a\n"
		"clean stop.  Every break is printed as FILE:LINE with what happened.\n"
		"  --key FILE   the agent's --chain-key (a keyed chain; root-only file)\n"
		"  --live       the agent is still writing: an open tail is not a break\n");
}

/* One break, as FILE:LINE: seq S: WHAT: why. */
static void on_finding(void *ctx, const struct verify_finding *f)
{
	struct verify_run *q = ctx;
	const char *file = q->files->v[f->at.file];

	if (f->what == VERIFY_OPEN && q->live)
		return;
	q->findings++;
	printf("%s:%lu: ", file, f->at.line);
	if (f->seq)
		printf("seq %" PRIu64 ": ", f->seq);
	printf("%s: ", verify_what_name(f->what));
	switch (f->what) {
	case VERIFY_EDITED:
		printf("the record does not match its chain digest: it was changed (or the "
		       "digest of the record before it was)\n");
		break;
	case VERIFY_REMOVED:
		if (f->seq - f->prev_seq == 2)
			printf("1 record missing before it (seq %" PRIu64 ")\n", f->prev_seq + 1);
		else
			printf("%" PRIu64 " records missing before it (seq %" PRIu64 "..%" PRIu64
			       ")\n", f->seq - f->prev_seq - 1, f->prev_seq + 1, f->seq - 1);
		break;
	case VERIFY_REORDERED:
		if (f->later_seq)
			printf("out of order: seq %" PRIu64 " is at %s:%lu\n", f->later_seq,
			       q->files->v[f->later.file], f->later.line);
		else
			printf("out of order: after seq %" PRIu64 "\n", f->prev_seq);
		break;
	case VERIFY_RESTART:
		printf("the chain starts anew here: the agent ran without its state directory, "
		       "or the records before it were removed\n");
		break;
	case VERIFY_NOT_RECORD:
		printf("not a custos record: damaged or edited\n");
		break;
	case VERIFY_NO_CHAIN:
		printf("the record has no chain digest: edited, or written by an agent that "
		       "did not chain\n");
		break;
	case VERIFY_KEY:
		printf(q->keyed ? "a plain digest in a keyed chain: forged, or written before "
		       "the key was set\n" : "a keyed digest: give the key with --key FILE\n");
		break;
	case VERIFY_CUT:
		printf("the last line stops in the middle: the tail was cut\n");
		break;
	case VERIFY_OPEN:
		printf("the stream ends without the closing checkpoint of a clean stop: the "
		       "records after it were cut, or the agent is still writing (--live) or "
		       "did not stop cleanly\n");
		break;
	}
}

/* Every line of every file through v; 0, or -errno (an unreadable file). */
static int feed(struct verify *v, const struct events_files *files)
{
	struct reader rd;
	int rc = 0;

	for (size_t i = 0; i < files->n && rc == 0; i++) {
		rc = reader_open(&rd, files->v[i]);
		if (rc) {
			fprintf(stderr, "custos: events verify: %s: %s\n", files->v[i],
				strerror(-rc));
			return rc;
		}
		while (rc == 0 && reader_next(&rd, 1) == 1) {
			struct verify_loc loc = { (unsigned)i, rd.lineno };

			if (rd.line.len)
				rc = verify_line(v, rd.line.p, rd.line.len, rd.partial, loc);
			sbuf_reset(&rd.line);
		}
		reader_close(&rd);
	}
	return rc;
}

static void print_verdict(const struct verify *v, const struct verify_run *q)
{
	const struct events_files *fs = q->files;

	if (!v->records) {
		printf("custos: events verify: no records\n");
		return;
	}
	printf("%s: %" PRIu64 " records, seq %" PRIu64 "..%" PRIu64 ", %" PRIu64 " restart(s) "
	       "of the agent (gap records)", q->findings ? "BROKEN" : "OK", v->records,
	       v->first_seq, v->last_seq, v->gaps);
	if (q->findings)
		printf("; %lu break(s), the first one above\n", q->findings);
	else if (v->genesis)
		printf("; the chain is whole from the host's first record to %s:%lu%s\n",
		       fs->v[v->last_loc.file], v->last_loc.line,
		       v->last_final ? ", closed by a clean stop" : " (open: --live)");
	else
		printf("; the chain is whole from seq %" PRIu64 " (%s:%lu; the records before it "
		       "are not in these files) to %s:%lu%s\n", v->first_seq,
		       fs->v[v->first_loc.file], v->first_loc.line, fs->v[v->last_loc.file],
		       v->last_loc.line, v->last_final ? ", closed by a clean stop" :
		       " (open: --live)");
}

int cmd_events_verify(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "live", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct events_files files = { 0 };
	struct verify_run q = { .files = &files };
	const char *key_path = NULL;
	uint8_t key[KEYFILE_MAX];
	size_t key_len = 0;
	struct verify v;
	char err[512];
	int c, rc = 0, status = CMD_EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (c == 'k') {
			key_path = optarg;
		} else if (c == 'l') {
			q.live = 1;
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? CMD_EXIT_OK : CMD_EXIT_USAGE;
		}
	}
	if (key_path && keyfile_read(key_path, key, &key_len, err, sizeof(err))) {
		fprintf(stderr, "custos: events verify: %s\n", err);
		return CMD_EXIT_FAIL;
	}
	q.keyed = key_path != NULL;
	if (optind == argc)
		rc = events_files_add(&files, EVENTS_DEFAULT_FILE);
	for (int i = optind; i < argc && rc == 0; i++)
		rc = events_files_add(&files, argv[i]);
	if (rc || verify_init(&v, key_path ? key : NULL, key_len, on_finding, &q)) {
		fprintf(stderr, "custos: events verify: %s\n", strerror(rc ? -rc : ENOMEM));
		events_files_free(&files);
		return CMD_EXIT_FAIL;
	}
	memset(key, 0, sizeof(key));
	rc = feed(&v, &files);
	if (rc == 0) {
		verify_end(&v);
		print_verdict(&v, &q);
		status = q.findings || !v.records ? CMD_EXIT_FAIL : CMD_EXIT_OK;
	}
	verify_free(&v);
	events_files_free(&files);
	return status;
}
