/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events_print.h - the output side of `custos events`: the records that
 * passed the filters as a table (with --tree, under PID's lineage), as the
 * JSON lines themselves (--json), as CSV or TSV rows, or as counts
 * (--summary).
 *
 * Only --summary grows with the input: one counter per distinct rule,
 * severity, host, user, exe, file and destination.
 */
#ifndef CUSTOS_CMD_EVENTS_PRINT_H
#define CUSTOS_CMD_EVENTS_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include "base/sbuf.h"
#include "record/record.h"

enum events_mode {
	EVENTS_TABLE,
	EVENTS_JSON,
	EVENTS_SUMMARY,
	EVENTS_CSV,		/* RFC 4180, a header row first */
	EVENTS_TSV,		/* tab-separated, a header row first */
};

struct events_count {
	char *key;
	unsigned long n;
};

/* distinct keys and their counts: open addressing, cap a power of two */
struct events_counts {
	struct events_count *v;
	size_t n, cap;
};

struct events_out {
	enum events_mode mode;
	int color;		/* table: severities in color */
	int flush;		/* each record flushed (--follow) */
	uint32_t tree_pid;	/* --tree: the lineage line comes first; 0: none */
	int header_shown, lineage_shown;
	struct sbuf line;
	/* for the summary */
	unsigned long shown, malformed;
	uint64_t first_ns, last_ns;
	struct events_counts by_rule, by_sev, by_host, by_user, by_exe, by_file, by_dest;
};

/*
 * Shows r, whose line in the file is line[0..len), at depth in the --tree
 * (0 without one).  0, or -ENOMEM (--summary's counters).
 */
int events_show(struct events_out *o, const struct record *r, const char *line, size_t len,
		int depth);
/* --summary: "N records from N file(s), FIRST .. LAST", then the counts. */
void events_print_summary(struct events_out *o, unsigned long files);
void events_out_free(struct events_out *o);

#endif
