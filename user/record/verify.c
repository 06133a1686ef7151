/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify.c - the chain check of a stream of record lines (verify.h).
 *
 * Each line is digested on arrival against the line before it (its link)
 * and kept in a window; the oldest line is judged when the window is full
 * or the input ends, so that a break can be explained by what follows it.
 */
#include "record/verify.h"

#include <errno.h>
#include <string.h>

#include "record/record.h"

static const char *const what_names[] = {
	[VERIFY_EDITED] = "edited", [VERIFY_REMOVED] = "removed",
	[VERIFY_REORDERED] = "reordered", [VERIFY_RESTART] = "restart",
	[VERIFY_NOT_RECORD] = "not-record", [VERIFY_NO_CHAIN] = "no-chain",
	[VERIFY_KEY] = "key", [VERIFY_CUT] = "cut", [VERIFY_OPEN] = "open",
};

const char *verify_what_name(enum verify_what w)
{
	return w >= VERIFY_EDITED && w <= VERIFY_OPEN ? what_names[w] : "?";
}

int verify_init(struct verify *v, const void *key, size_t key_len, verify_report_fn report,
		void *ctx)
{
	memset(v, 0, sizeof(*v));
	v->report = report;
	v->ctx = ctx;
	return chain_init(&v->chain, key, key_len);
}

void verify_free(struct verify *v)
{
	chain_free(&v->chain);
}

static int has_prefix(const char *s, const char *alg)
{
	size_t n = strlen(alg);

	return strncmp(s, alg, n) == 0 && s[n] == ':';
}

/* The chain parts of line e: its digest against the last line's, and from nothing. */
static int digest_line(struct verify *v, struct verify_line *e, const char *line, size_t len)
{
	char got[CHAIN_VALUE_MAX], want[CHAIN_VALUE_MAX];
	const char *value;
	size_t body, n;
	int keyed;

	if (chain_split(line, len, &body, &value, &n) || n >= CHAIN_VALUE_MAX) {
		v->last_value[0] = '\0';
		return 0;
	}
	memcpy(got, value, n);
	got[n] = '\0';
	keyed = has_prefix(got, CHAIN_ALG_KEYED);
	if (!keyed && !has_prefix(got, CHAIN_ALG_PLAIN)) {
		v->last_value[0] = '\0';
		return 0;
	}
	if (keyed != v->chain.keyed) {
		e->other_key = 1;
		v->last_value[0] = '\0';
		return 0;
	}
	e->chained = 1;
	if (v->last_value[0]) {
		if (chain_value(&v->chain, v->last_value, line, body, want))
			return -ENOMEM;
		e->link = strcmp(want, got) == 0;
	}
	if (e->seq == 1) {
		if (chain_value(&v->chain, "", line, body, want))
			return -ENOMEM;
		e->genesis = strcmp(want, got) == 0;
	}
	memcpy(v->last_value, got, sizeof(got));
	return 0;
}

static struct verify_line *win_at(struct verify *v, size_t i)
{
	return &v->win[(v->head + i) % VERIFY_WINDOW];
}

/*
 * Why the link of e (the window's oldest line) is broken.  A reordering
 * also breaks the links of the lines it moved: *quiet says how many of the
 * next lines to judge belong to this finding.
 */
static enum verify_what explain(struct verify *v, const struct verify_line *e,
				struct verify_finding *f, size_t *quiet)
{
	if (e->seq == 1 && e->genesis)
		return VERIFY_RESTART;
	if (e->seq <= v->prev_seq)
		return VERIFY_REORDERED;
	if (e->seq == v->prev_seq + 1)
		return VERIFY_EDITED;
	for (size_t i = 1; i < v->n; i++) {
		const struct verify_line *l = win_at(v, i);

		if (l->valid && l->seq > v->prev_seq && l->seq < e->seq) {
			f->later = l->loc;
			f->later_seq = l->seq;
			*quiet = i + 1;
			return VERIFY_REORDERED;
		}
	}
	for (size_t i = 0; i < VERIFY_WINDOW && i < v->records; i++) {
		const struct verify_seen *s = &v->seen[i];

		if (s->seq > v->prev_seq && s->seq < e->seq) {
			f->later = s->loc;	/* it came earlier */
			f->later_seq = s->seq;
			return VERIFY_REORDERED;
		}
	}
	return VERIFY_REMOVED;
}

static void report(struct verify *v, struct verify_finding *f)
{
	v->breaks++;
	v->report(v->ctx, f);
}

/* Judges the window's oldest line. */
static void judge(struct verify *v)
{
	struct verify_line *e = win_at(v, 0);
	struct verify_finding f = { .at = e->loc, .seq = e->seq,
				    .prev_seq = v->have_prev ? v->prev_seq : 0 };

	if (!e->valid || !e->chained) {
		f.what = !e->valid ? (e->partial ? VERIFY_CUT : VERIFY_NOT_RECORD) :
			 e->other_key ? VERIFY_KEY : VERIFY_NO_CHAIN;
		report(v, &f);
		v->have_prev = 0;
	} else {
		if (!v->started) {
			v->genesis = e->seq == 1 && e->genesis;
			v->first_seq = e->seq;
			v->first_loc = e->loc;
			if (e->seq == 1 && !e->genesis) {
				f.what = VERIFY_EDITED;
				report(v, &f);
			}
		} else if (v->have_prev && !e->link) {
			size_t q = 0;

			f.what = explain(v, e, &f, &q);
			if (v->quiet) {
				v->quiet--;	/* a line the reordering above moved */
			} else {
				report(v, &f);
				v->quiet = q;
			}
		} else if (v->quiet) {
			v->quiet--;
		}
		v->started = 1;
		v->have_prev = 1;
		v->prev_seq = e->seq;
		v->seen[v->records % VERIFY_WINDOW] = (struct verify_seen){ e->loc, e->seq };
		v->records++;
		v->gaps += e->gap;
		v->last_seq = e->seq;
		v->last_loc = e->loc;
		v->last_final = e->final;
	}
	v->head = (v->head + 1) % VERIFY_WINDOW;
	v->n--;
}

int verify_line(struct verify *v, const char *line, size_t len, int partial,
		struct verify_loc loc)
{
	struct verify_line *e;
	struct record r;
	int rc;

	if (v->n == VERIFY_WINDOW)
		judge(v);
	e = win_at(v, v->n);
	memset(e, 0, sizeof(*e));
	e->loc = loc;
	e->partial = (uint8_t)partial;
	rc = record_parse(&r, line, len);
	if (rc == 0) {
		e->valid = 1;
		e->seq = r.seq;
		e->final = r.ev.kind == CEV_CHECKPOINT && r.ev.checkpoint.final;
		e->gap = r.ev.kind == CEV_GAP;
	}
	record_free(&r);
	if (rc == -ENOMEM)
		return rc;
	v->n++;
	if (e->valid)
		return digest_line(v, e, line, len);
	v->last_value[0] = '\0';
	return 0;
}

void verify_end(struct verify *v)
{
	while (v->n)
		judge(v);
	/* after a cut or damaged last line, that finding says it already */
	if (v->records && !v->last_final && v->have_prev) {
		struct verify_finding f = { .what = VERIFY_OPEN, .at = v->last_loc,
					    .seq = v->last_seq, .prev_seq = v->last_seq };

		report(v, &f);
	}
}
