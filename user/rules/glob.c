/* SPDX-License-Identifier: Apache-2.0 */
/*
 * glob.c - byte-wise path globs (see glob.h for the language).
 *
 * A pattern is cut into tokens; token i is automaton state i and state
 * ntok accepts.  Every edge that consumes a byte goes from i to i+1 (or
 * stays on a star); epsilon edges only go forward (a star may be skipped,
 * and a whole-component "**" may be skipped together with one '/'), so the
 * closure of a state set is one ascending pass.  A whole-component "**"
 * followed by '/' gets a state of its own in front (GT_NOP) so that skipping
 * it is possible only before it consumed anything.  The subject is read once,
 * keeping the set of live states as a bitset.
 */
#include "rules/glob.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
	GT_LIT,		/* one byte: ch */
	GT_ANY,		/* ? */
	GT_CLASS,	/* [...] starting at pat[cls] */
	GT_STAR,	/* * */
	GT_DSTAR,	/* ** */
	GT_NOP,		/* consumes nothing; stands before a whole-component ** */
};

struct gtok {
	uint8_t type;
	uint8_t ch;
	uint8_t skip;		/* 0, or an epsilon edge from i to i+skip */
	uint8_t pad;
	uint32_t cls;
};

#define GLOB_STACK_TOKENS 256

/*
 * Parses the class starting at pat[i] == '['.  Returns the index of its
 * closing ']' or 0 when it is unclosed.  With c >= 0, *hit tells whether
 * the byte c is in the class.  *reversed is set for a range like z-a.
 */
static size_t class_scan(const char *pat, size_t i, int c, int *hit,
			 int *reversed)
{
	const unsigned char *p = (const unsigned char *)pat;
	size_t j = i + 1;
	int neg = 0, in = 0, first = 1;

	if (p[j] == '!' || p[j] == '^') {
		neg = 1;
		j++;
	}
	for (;;) {
		unsigned lo, hi;

		if (p[j] == '\0')
			return 0;
		if (p[j] == ']' && !first)
			break;
		first = 0;
		if (p[j] == '\\' && p[j + 1] != '\0')
			j++;
		lo = p[j++];
		hi = lo;
		if (p[j] == '-' && p[j + 1] != ']' && p[j + 1] != '\0') {
			j++;
			if (p[j] == '\\' && p[j + 1] != '\0')
				j++;
			hi = p[j++];
			if (hi < lo && reversed)
				*reversed = 1;
		}
		if (c >= 0 && (unsigned)c >= lo && (unsigned)c <= hi)
			in = 1;
	}
	if (hit)
		*hit = c != '/' && in != neg;
	return j;
}

static size_t star_run(const char *pat, size_t i)
{
	size_t j = i;

	while (pat[j] == '*')
		j++;
	return j - i;
}

/*
 * Tokenizes pat into t; returns the count.  At most strlen(pat) tokens: the
 * only token without a byte of its own (GT_NOP) comes with a "**".
 */
static size_t tokenize(const char *pat, struct gtok *t)
{
	size_t i = 0, n = 0;

	while (pat[i] != '\0') {
		struct gtok k = { .type = GT_LIT, .ch = (uint8_t)pat[i] };
		unsigned char c = (unsigned char)pat[i];

		if (c == '\\') {
			if (pat[i + 1] != '\0')
				i++;
			k.ch = (uint8_t)pat[i];
			i++;
		} else if (c == '?') {
			k.type = GT_ANY;
			i++;
		} else if (c == '[') {
			size_t end = class_scan(pat, i, -1, NULL, NULL);

			if (end) {
				k.type = GT_CLASS;
				k.cls = (uint32_t)i;
				i = end + 1;
			} else {
				i++;
			}
		} else if (c == '*') {
			size_t run = star_run(pat, i);
			int after_slash = n == 0 ||
				(t[n - 1].type == GT_LIT && t[n - 1].ch == '/');

			i += run;
			k.type = run == 1 ? GT_STAR : GT_DSTAR;
			if (k.type == GT_DSTAR && after_slash) {
				if (pat[i] == '/') {
					/* "**" + "/" may match nothing: a state
					 * before the loop skips both */
					t[n++] = (struct gtok){ .type = GT_NOP,
								.skip = 3 };
				} else if (pat[i] == '\0' && n > 0) {
					/* "/" + "**" at the end may match nothing */
					t[n - 1].skip = 2;
				}
			}
		} else {
			i++;
		}
		t[n++] = k;
	}
	return n;
}

static inline void bs_set(uint64_t *b, size_t i)
{
	b[i / 64] |= 1ull << (i % 64);
}

static inline int bs_has(const uint64_t *b, size_t i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

static void closure(const struct gtok *t, size_t nt, uint64_t *set)
{
	size_t i;

	for (i = 0; i < nt; i++) {
		if (!bs_has(set, i))
			continue;
		if (t[i].type == GT_STAR || t[i].type == GT_DSTAR ||
		    t[i].type == GT_NOP)
			bs_set(set, i + 1);
		if (t[i].skip)
			bs_set(set, i + t[i].skip);
	}
}

static int run(const char *pat, const struct gtok *t, size_t nt,
	       const unsigned char *s, size_t slen, int nul_as_space,
	       uint64_t *cur, uint64_t *nxt)
{
	size_t nw = (nt + 1 + 63) / 64, k, w;

	memset(cur, 0, nw * sizeof(*cur));
	bs_set(cur, 0);
	closure(t, nt, cur);
	for (k = 0; k < slen; k++) {
		int c = s[k], alive = 0;
		uint64_t *tmp;

		if (c == '\0' && nul_as_space)
			c = ' ';
		memset(nxt, 0, nw * sizeof(*nxt));
		for (w = 0; w < nw; w++) {
			uint64_t bits = cur[w];

			while (bits) {
				size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
				int hit = 0;

				bits &= bits - 1;
				if (i >= nt)
					continue;	/* accepting state consumes nothing */
				switch (t[i].type) {
				case GT_LIT:
					if (c == t[i].ch)
						bs_set(nxt, i + 1);
					break;
				case GT_ANY:
					if (c != '/')
						bs_set(nxt, i + 1);
					break;
				case GT_CLASS:
					class_scan(pat, t[i].cls, c, &hit, NULL);
					if (hit)
						bs_set(nxt, i + 1);
					break;
				case GT_STAR:
					if (c != '/')
						bs_set(nxt, i);
					break;
				case GT_DSTAR:
					bs_set(nxt, i);
					break;
				case GT_NOP:
					break;
				}
			}
		}
		closure(t, nt, nxt);
		for (w = 0; w < nw; w++)
			alive |= nxt[w] != 0;
		if (!alive)
			return 0;
		tmp = cur;
		cur = nxt;
		nxt = tmp;
	}
	return bs_has(cur, nt);
}

/* Byte k of the subject as patterns see it (a NUL as a space when asked). */
static inline int subj(const char *s, size_t k, int nul_as_space)
{
	return s[k] == '\0' && nul_as_space ? ' ' : (unsigned char)s[k];
}

static int is_special(int c)
{
	return c == '*' || c == '?' || c == '[' || c == '\\';
}

void glob_ends_of(const char *pat, struct glob_ends *e)
{
	size_t i = 0, last;

	while (pat[i] != '\0' && !is_special((unsigned char)pat[i]))
		i++;
	e->plen = (uint32_t)(i + strlen(pat + i));
	e->literal = pat[i] == '\0';
	e->pre = (uint32_t)i;
	e->tail = 0;
	e->dstar_end = 0;
	if (e->literal)
		return;
	e->dstar_end = star_run(pat, i) >= 2 && pat[i + star_run(pat, i)] == '\0';
	/* "a/" + "**" matches "a": that '/' need not be there */
	if (i > 0 && pat[i - 1] == '/' && pat[i] == '*' && pat[i + 1] == '*')
		e->pre--;
	for (last = e->plen; last > i; last--) {
		int c = (unsigned char)pat[last - 1];

		if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
			break;
	}
	if (last > i && (pat[last - 1] == '*' || pat[last - 1] == '?')) {
		/* "STARSTAR/" + "b" matches "b": that '/' need not be there either */
		if (pat[last] == '/')
			last++;
		e->tail = (uint32_t)(e->plen - last);
	}
}

/* s[from..from+n) equals lit[0..n) (a NUL of s as a space when asked). */
static int part_eq(const char *lit, const char *s, size_t from, size_t n, int nul_as_space)
{
	if (!nul_as_space)	/* most patterns differ in the first byte or two */
		return !n || (lit[0] == s[from] && memcmp(lit, s + from, n) == 0);
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)lit[k] != subj(s, from + k, nul_as_space))
			return 0;
	return 1;
}

static int match_ends(const char *pat, const struct glob_ends *e, const char *s, size_t slen,
		      int nul_as_space)
{
	struct gtok tstack[GLOB_STACK_TOKENS], *t = tstack;
	uint64_t bstack[2][GLOB_STACK_TOKENS / 64 + 1], *b0 = bstack[0],
		 *b1 = bstack[1];
	size_t plen = e->plen, nt, nw;
	int r;

	if (!pat || (!s && slen))
		return 0;
	/*
	 * Cheap necessary conditions before the automaton: a literal pattern is
	 * compared whole; otherwise the literal start and end must be there.
	 */
	if (e->literal)
		return slen == plen && part_eq(pat, s, 0, plen, nul_as_space);
	if (e->pre > slen || !part_eq(pat, s, 0, e->pre, nul_as_space))
		return 0;
	/* "P" + "**": "**" takes any rest, and "P/" + "**" also matches P
	 * without its slash (e->pre stops short of it) */
	if (e->dstar_end)
		return e->pre == plen - star_run(pat, e->pre) || slen == e->pre ||
		       subj(s, e->pre, nul_as_space) == '/';
	if (e->tail > slen ||
	    !part_eq(pat + plen - e->tail, s, slen - e->tail, e->tail, nul_as_space))
		return 0;
	if (plen > GLOB_STACK_TOKENS) {
		/* rare: a very long pattern; allocation failure means no match */
		nw = (plen + 1 + 63) / 64;
		t = malloc(plen * sizeof(*t) + 2 * nw * sizeof(uint64_t));
		if (!t)
			return 0;
		b0 = (uint64_t *)(t + plen);
		b1 = b0 + nw;
	}
	nt = tokenize(pat, t);
	r = run(pat, t, nt, (const unsigned char *)s, slen, nul_as_space, b0, b1);
	if (t != tstack)
		free(t);
	return r;
}

static int match(const char *pat, const char *s, size_t slen, int nul_as_space)
{
	struct glob_ends e;

	if (!pat)
		return 0;
	glob_ends_of(pat, &e);
	return match_ends(pat, &e, s, slen, nul_as_space);
}

int glob_match_ends(const char *pat, const struct glob_ends *e, const char *s, size_t slen,
		    int nul_as_space)
{
	return match_ends(pat, e, s, slen, nul_as_space);
}

int glob_match(const char *pat, const char *s, size_t slen)
{
	return match(pat, s, slen, 0);
}

int glob_match_nul_as_space(const char *pat, const char *s, size_t slen)
{
	return match(pat, s, slen, 1);
}

int glob_validate(const char *pat, const char **why)
{
	const char *reason = NULL;
	size_t i;

	for (i = 0; pat[i] != '\0' && !reason; i++) {
		if (pat[i] == '\\') {
			if (pat[i + 1] == '\0')
				reason = "trailing backslash";
			else
				i++;
		} else if (pat[i] == '[') {
			int reversed = 0;
			size_t end = class_scan(pat, i, -1, NULL, &reversed);

			if (!end)
				reason = "unclosed '['";
			else if (reversed)
				reason = "reversed range in '[...]'";
			else
				i = end;
		}
	}
	if (!reason)
		return 0;
	if (why)
		*why = reason;
	return -EINVAL;
}

size_t glob_literal_prefix(const char *pat)
{
	size_t i = strcspn(pat, "*?[\\");

	if (pat[i] == '*' && i > 0 && pat[i - 1] == '/') {
		size_t run = star_run(pat, i);

		if (run >= 2 && pat[i + run] == '\0')
			return i - 1;
	}
	return i;
}

int glob_has_wildcard(const char *pat)
{
	return pat[strcspn(pat, "*?[\\")] != '\0';
}
