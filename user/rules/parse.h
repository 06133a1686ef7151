/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse.h - a rule file's YAML text as a tree of ynode that remembers where
 * each node starts, and the checks of a node's kind that the compiler
 * reports at that place.
 */
#ifndef CUSTOS_RULES_PARSE_H
#define CUSTOS_RULES_PARSE_H

#include <stddef.h>

#include "rules/arena.h"
#include "rules/diag.h"

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

/*
 * Parses one source into a tree allocated in a.  *root is NULL for a file
 * without a document.  Returns 0, or -EINVAL after adding diagnostics
 * (syntax errors, aliases, duplicate keys, non-string keys).
 */
int rules_yaml_parse(struct arena *a, struct diag_list *d, size_t src,
		     const char *data, size_t len, struct ynode **root);

/* "a string", "a list", "a mapping", "an empty value" */
const char *ynode_kind_name(const struct ynode *n);
/* A YAML null: an unquoted "", "~" or "null". */
int ynode_is_null(const struct ynode *n);

/* The scalar text of v, or NULL after a diagnostic naming `what`. */
const char *ynode_want_scalar(struct diag_list *d, const struct ynode *v, const char *what);
/* 1 if v is a list (or null, meaning empty); else 0 after a diagnostic. */
int ynode_want_seq(struct diag_list *d, const struct ynode *v, const char *what);
/* 1 if v is a mapping (or, with null_ok, null); else 0 after a diagnostic. */
int ynode_want_map(struct diag_list *d, const struct ynode *v, const char *what, int null_ok);

#endif
