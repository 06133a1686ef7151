/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.h - one custos.event/1 JSON line read back into the event model
 * (event.h), for `custos events` and `custos rules explain`.
 *
 * Strings in records are bytes escaped PEP-383 style: an invalid UTF-8 byte
 * XX is written \udcXX, a lone surrogate that JSON parsers (jansson) reject.
 * record_parse() first rewrites every such escape, in a copy of the line, to
 * \uf7XX (a private-use code point, same length), lets jansson parse that,
 * and turns U+F780..U+F7FF back into the byte XX when it copies a string out.
 * So the bytes the agent saw come back exactly; the one thing lost is a real
 * U+F780..U+F7FF character in a path, which would read back as a byte.
 *
 * Pure module: no I/O, no printing.  A record owns everything it points to.
 */
#ifndef CUSTOS_RECORD_H
#define CUSTOS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "record/event.h"

#define RECORD_MAX_ANCESTORS 64
#define RECORD_MAX_LABELS 16
#define RECORD_MAX_TAGS 32

/* what a line was written as */
enum record_format {
	RECORD_CUSTOS = 1,	/* custos.event/1 */
	RECORD_OCSF = 2,	/* custos' OCSF rendering (docs/EVENTS-ocsf.md) */
};

struct record {
	struct cev_event ev;	/* kind, time, process, parent, ancestors, file/conn */
	int has_time;
	uint64_t seq;
	const char *rule;	/* NULL when absent (loss records) */
	const char *severity;
	const char *action;
	const char *host;
	const char *run;	/* the agent run's id; NULL when absent */
	const char *chain;	/* the chain digest (record/chain.h); NULL when absent */
	const char *tags[RECORD_MAX_TAGS];	/* the rule's tags (the first RECORD_MAX_TAGS) */
	size_t n_tags;
	enum record_format format;
	char dest[64];		/* connect: the destination as written; else "" */
	char dest_name[256];	/* connect.dest_name; ev.conn.dest_name points here */
	/* private */
	int bad;		/* a number out of its field's range */
	void *json;
	struct cev_str anc[RECORD_MAX_ANCESTORS];
	struct cev_label labels[RECORD_MAX_LABELS];	/* ev.label_info; ev.labels is left 0:
							 * bits of a rule set (rule_set_label_bit) */
	char **owned;
	size_t n_owned, cap_owned;
	char *copy;
};

/*
 * Parses line[0..len) (no trailing newline needed): a custos.event/1 line,
 * or a line of custos' OCSF rendering (read back through the mapping of
 * docs/EVENTS-ocsf.md: what OCSF keeps, e.g. argv as cmd_line split at
 * spaces, time in ms).  Returns 0, -EINVAL when it is neither (not JSON,
 * not an object, no known "kind", an OCSF class custos does not write, a
 * number out of its field's range: a negative seq, a pid above 2^32-1), or
 * -ENOMEM.  r is overwritten; record_free() it after either outcome.
 */
int record_parse(struct record *r, const char *line, size_t len);
void record_free(struct record *r);

/* Severity name to a number 0 (info) .. 4 (critical); -1 when unknown. */
int record_severity_rank(const char *name);

/*
 * RFC 3339 ("2026-11-23T07:12:03Z", fraction and +HH:MM offset optional) to
 * ns since the epoch.  0 or -EINVAL.
 */
int record_parse_time(const char *s, uint64_t *ns);

#endif
