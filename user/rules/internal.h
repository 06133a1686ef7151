/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_internal.h - shared by the rule engine's own files (rules_*.c) only.
 *
 *   rules_util.c     arena, diagnostics, names of enums
 *   rules_parse.c    YAML text -> tree of ynode (with positions)
 *   rules_dest.c     the `dest:` value syntax
 *   rules_compile.c  trees -> struct rule_set (lists, rules, overrides)
 *   rules_match.c    struct rule_set x struct cev_event -> hits
 */
#ifndef CUSTOS_RULES_INTERNAL_H
#define CUSTOS_RULES_INTERNAL_H

#include <stddef.h>

#include "rules/rules.h"

/* --- arena: many small allocations freed at once ------------------------ */

struct arena_blk;

struct arena {
	struct arena_blk *head;
	int err;		/* 0 or -ENOMEM, sticky */
};

void *arena_alloc(struct arena *a, size_t size);	/* zeroed; NULL on failure */
char *arena_strdup(struct arena *a, const char *s);
char *arena_memdup0(struct arena *a, const void *p, size_t len); /* + NUL */
void arena_free(struct arena *a);

/* --- diagnostics, collected while loading -------------------------------- */

struct idiag {
	size_t src;		/* index into the sources */
	int line, col;		/* 1-based */
	size_t seq;		/* order of discovery, for a stable sort */
	char *msg;
};

struct diag_list {
	struct idiag *v;
	size_t n, cap;
	int oom;
};

void diag_add(struct diag_list *d, size_t src, int line, int col,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Sorts by (source, line, col, discovery), drops exact repeats, and moves
 * the diagnostics to out (appended).  Returns 0 or -ENOMEM. */
int diag_export(struct diag_list *d, const struct rule_source *srcs,
		struct rule_diags *out);
void diag_list_free(struct diag_list *d);

/* --- the YAML tree ------------------------------------------------------- */

enum ynode_kind {
	YN_SCALAR,
	YN_SEQ,
	YN_MAP,
};

struct ynode {
	enum ynode_kind kind;
	size_t src;		/* index of the source it came from */
	int line, col;		/* 1-based start */
	const char *s;		/* scalar: its text, NUL-terminated */
	size_t len;
	int plain;		/* scalar: unquoted (so "" or ~ is null) */
	struct ynode **kids;	/* seq: items; map: key, value, key, value, ... */
	size_t n;		/* number of kids (a map has n / 2 pairs) */
};

/* "a string", "a list", "a mapping", "an empty value" */
const char *ynode_kind_name(const struct ynode *n);
/* A YAML null: an unquoted "", "~" or "null". */
int ynode_is_null(const struct ynode *n);

/*
 * Parses one source into a tree allocated in a.  *root is NULL for a file
 * without a document.  Returns 0, or -EINVAL after adding diagnostics
 * (syntax errors, aliases, duplicate keys, non-string keys).
 */
int rules_yaml_parse(struct arena *a, struct diag_list *d, size_t src,
		     const char *data, size_t len, struct ynode **root);

#endif
