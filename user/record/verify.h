/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify.h - checks that a stream of record lines is whole and unedited:
 * every record links to the one before it by its chain digest (chain.h),
 * and the stream ends with the closing checkpoint of a clean stop.  The
 * core of `custos events verify` (docs/INCIDENT-RESPONSE.md).
 *
 * Lines are fed in order (oldest rotation first); each break of the chain is
 * reported once, located (the caller's file and line number) and explained:
 *
 *   edited      a record's content no longer matches its digest
 *   removed     records are missing: seq jumps and the link is broken
 *   reordered   records are out of order: a missing seq comes later
 *   restart     the chain starts again (seq 1) in the middle of the stream
 *   not-record  a line that is not a record (damaged, or a cut line)
 *   no-chain    a record without a chain digest
 *   key         a digest of the other kind (keyed where plain is checked, or
 *               the reverse): forged, or written before the key changed
 *   cut         the last line stops in the middle: the tail was cut
 *   open        the stream does not end with a closing checkpoint: the tail
 *               was cut, or the agent is still writing or did not stop cleanly
 *
 * A verdict needs a few lines after a break (reordered looks ahead), so
 * findings come up to VERIFY_WINDOW lines late.  Pure module: no I/O.
 */
#ifndef CUSTOS_VERIFY_H
#define CUSTOS_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "record/chain.h"

enum { VERIFY_WINDOW = 64 };

enum verify_what {
	VERIFY_EDITED = 1,
	VERIFY_REMOVED,
	VERIFY_REORDERED,
	VERIFY_RESTART,
	VERIFY_NOT_RECORD,
	VERIFY_NO_CHAIN,
	VERIFY_KEY,
	VERIFY_CUT,
	VERIFY_OPEN,
};

/* Where a line came from, as the caller numbers it. */
struct verify_loc {
	unsigned file;
	unsigned long line;
};

struct verify_finding {
	enum verify_what what;
	struct verify_loc at;	/* the line where the chain breaks */
	uint64_t seq;		/* its seq (0: not a record) */
	uint64_t prev_seq;	/* the seq of the record before it (0: none) */
	struct verify_loc later;	/* reordered: where the missing seq comes */
	uint64_t later_seq;
};

typedef void (*verify_report_fn)(void *ctx, const struct verify_finding *f);

/* One line as it was judged on arrival. */
struct verify_line {
	struct verify_loc loc;
	uint8_t valid;		/* a record */
	uint8_t chained;	/* with a chain digest of the checked kind */
	uint8_t other_key;	/* with a digest of the other kind */
	uint8_t link;		/* its digest follows from the previous line's */
	uint8_t genesis;	/* seq 1 and its digest follows from nothing */
	uint8_t partial;	/* the input's last line, without its newline */
	uint8_t final;		/* a checkpoint closing a clean stop */
	uint8_t gap;		/* a gap record: a new run after another */
	uint64_t seq;
};

/* A judged record, for telling a record moved earlier from one removed. */
struct verify_seen {
	struct verify_loc loc;
	uint64_t seq;
};

struct verify {
	struct chain chain;
	verify_report_fn report;
	void *ctx;
	struct verify_line win[VERIFY_WINDOW];	/* fed, not judged yet */
	size_t head, n;
	char last_value[CHAIN_VALUE_MAX];	/* the last line's digest; "" none */
	int have_prev;		/* prev_seq is a judged record's */
	uint64_t prev_seq;
	size_t quiet;		/* lines still to judge that a reordering moved */
	struct verify_seen seen[VERIFY_WINDOW];	/* the last records judged */
	/* totals */
	uint64_t records, breaks, gaps, first_seq, last_seq;
	struct verify_loc first_loc, last_loc;
	int last_final;
	int started;		/* a record was judged */
	int genesis;		/* the first record starts the host's chain */
};

/* key NULL: plain digests are checked; else keyed ones.  0 or -ENOMEM. */
int verify_init(struct verify *v, const void *key, size_t key_len, verify_report_fn report,
		void *ctx);
/* One line (no newline; partial: it had none and ends the input).  0 or -ENOMEM. */
int verify_line(struct verify *v, const char *line, size_t len, int partial,
		struct verify_loc loc);
/* The end of the input: judges what is left and checks the tail. */
void verify_end(struct verify *v);
void verify_free(struct verify *v);

/* "edited", "removed", ... */
const char *verify_what_name(enum verify_what w);

#endif
