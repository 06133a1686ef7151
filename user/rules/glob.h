/* SPDX-License-Identifier: Apache-2.0 */
/*
 * glob.h - path globs over bytes, as rule files use them (docs/RULES.md, "Globs").
 *
 *   *        any run of bytes within one path component (never '/')
 *   ?        one byte other than '/'
 *   [abc]    a class: single bytes and ranges (a-z); [!...] or [^...]
 *            negates; ']' first is literal; a class never matches '/'
 *   \c       the byte c, literally (also inside a class)
 *   **       any run of bytes, '/' included.  When it is a whole component
 *            it may also stand for zero components:
 *              "** /x" (leading)   matches "/x", "x" and "/a/b/x"
 *              "/a/ ** /x"         matches "/a/x" and "/a/b/c/x"
 *              "/a/ **" (trailing) matches "/a", "/a/" and everything below
 *            (spaces added only to keep this comment a comment).
 *            A run of three or more '*' is the same as '**'.
 *
 * Matching is case-sensitive and byte-wise: the subject may hold any byte,
 * including bytes >= 0x80, newlines and NULs.  There is no special case for
 * names starting with '.'.  The matcher simulates the pattern's automaton
 * (time O(pattern x subject), no backtracking) and allocates nothing for
 * patterns of up to 256 tokens.
 *
 * A malformed pattern (see glob_validate) still matches deterministically:
 * an unclosed '[' is a literal '[' and a trailing backslash a literal '\'.
 */
#ifndef CUSTOS_GLOB_H
#define CUSTOS_GLOB_H

#include <stddef.h>
#include <stdint.h>

/* 1 if the byte string s[0..slen) matches pat (NUL-terminated), else 0. */
int glob_match(const char *pat, const char *s, size_t slen);

/*
 * A pattern's literal start and end, worked out once (glob_ends_of) so that
 * glob_match_ends() turns most subjects away with a memcmp before running
 * the automaton: the hot path of the rule matcher, where ~100 patterns meet
 * every record.  Same answers as glob_match() (nul_as_space 0) and
 * glob_match_nul_as_space() (1).
 */
struct glob_ends {
	uint32_t plen;		/* strlen(pat) */
	uint32_t pre;		/* pat[0..pre) must start the subject */
	uint32_t tail;		/* pat[plen-tail..plen) must end it */
	uint8_t literal;	/* no wildcard: compared whole */
	uint8_t dstar_end;	/* literal + "**" and nothing else ("/srv/STARSTAR"):
				 * the literal start decides */
};

void glob_ends_of(const char *pat, struct glob_ends *e);
int glob_match_ends(const char *pat, const struct glob_ends *e, const char *s, size_t slen,
		    int nul_as_space);

/*
 * As glob_match, but every NUL byte of s is read as a space.  The rule
 * matcher uses it to match argv ("a\0b\0" as "a b") without copying.
 */
int glob_match_nul_as_space(const char *pat, const char *s, size_t slen);

/* 0 if pat is well formed; else -EINVAL and *why (if why) a static reason. */
int glob_validate(const char *pat, const char **why);

/*
 * Length of the leading part of pat that matches only itself, byte for
 * byte: every subject that pat matches starts with those bytes.  It stops
 * at the first '*', '?', '[' or '\', and excludes the '/' of a trailing
 * "/ **" (which may match nothing: "/a/ **" matches "/a").
 */
size_t glob_literal_prefix(const char *pat);

/*
 * 1 if pat is not a plain literal string, i.e. it holds '*', '?', '[' or
 * '\' (an escape means the pattern's bytes are not the subject's bytes).
 * When 0, pat matches exactly the subject equal to pat.
 */
int glob_has_wildcard(const char *pat);

#endif
