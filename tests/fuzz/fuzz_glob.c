/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_glob.c - glob patterns against subjects (user/rules/glob.c).  Input:
 * PATTERN '\n' SUBJECT (the subject may hold any byte).  The fast path
 * (glob_match_ends) must answer as the automaton does, and a subject that
 * matches starts with the pattern's literal prefix.
 */
#include "fuzz.h"

#include "rules/glob.h"

enum { GLOB_PAT_MAX = 4096 };	/* as long as a path */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size;
	const char *subj = nl ? (const char *)nl + 1 : "";
	size_t slen = nl ? size - plen - 1 : 0;
	struct glob_ends e;
	const char *why;
	char *pat;
	int m;

	if (plen > GLOB_PAT_MAX || memchr(data, '\0', plen))
		return 0;
	pat = fuzz_cstr(data, plen);
	if (!pat)
		return 0;
	glob_validate(pat, &why);
	glob_ends_of(pat, &e);
	m = glob_match(pat, subj, slen);
	fuzz_check(m == glob_match_ends(pat, &e, subj, slen, 0));
	fuzz_check(glob_match_nul_as_space(pat, subj, slen) ==
		   glob_match_ends(pat, &e, subj, slen, 1));
	if (m) {
		size_t pre = glob_literal_prefix(pat);

		fuzz_check(pre <= slen && memcmp(pat, subj, pre) == 0);
	}
	if (!glob_has_wildcard(pat))
		fuzz_check(m == (slen == plen && memcmp(pat, subj, slen) == 0));
	free(pat);
	return 0;
}
