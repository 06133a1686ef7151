/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yamldoc.h - one YAML file as a libyaml document, with the accessors the
 * command-line files need (--config, rule test cases) and their error form,
 * "FILE:LINE:COL: error: MESSAGE".
 *
 *     struct yamldoc d;
 *     if (yamldoc_read(&d, f, path, err, sizeof(err)))
 *             return -EINVAL;
 *     host = yamldoc_scalar(yamldoc_get(&d, yamldoc_root(&d), "host"));
 *     yamldoc_free(&d);
 *
 * The caller opens the file (and says in its own words when it cannot).
 * The rule engine does not use this: it needs every problem at once,
 * duplicate keys and refused aliases, which the document API hides
 * (rules/parse.h).
 */
#ifndef CUSTOS_YAMLDOC_H
#define CUSTOS_YAMLDOC_H

#include <stddef.h>
#include <stdio.h>
#include <yaml.h>

/* what a file may hold; past these yamldoc_read refuses it with the error
 * given in docs/CONFIG.md ("Limits") */
enum {
	YAMLDOC_MAX_BYTES = 16 << 20,	/* as a rule file (rules/io.c) */
	YAMLDOC_MAX_DEPTH = 64,		/* nested sequences and mappings, as a rule file */
	YAMLDOC_MAX_NODES = 1000000,	/* scalars, sequences and mappings, as a rule file */
};

struct yamldoc {
	const char *path;	/* names the file in errors; not copied */
	yaml_document_t doc;
};

/*
 * Parses the first document of f (read to its end).  0, or -EINVAL with err
 * set to "PATH:LINE:COL: error: PROBLEM" (d is then empty: no yamldoc_free
 * needed, though it is harmless), or -ENOMEM.  A file larger than
 * YAMLDOC_MAX_BYTES ("PATH: error: larger than N bytes"), with more than
 * YAMLDOC_MAX_NODES nodes, nested deeper than YAMLDOC_MAX_DEPTH or with an
 * alias (*name) is refused before the document is built.
 */
int yamldoc_read(struct yamldoc *d, FILE *f, const char *path, char *err, size_t errlen);
void yamldoc_free(struct yamldoc *d);

/* The root node; NULL for an empty file. */
yaml_node_t *yamldoc_root(struct yamldoc *d);
/* The node with this id (an item of a sequence, a key or value of a pair). */
yaml_node_t *yamldoc_node(struct yamldoc *d, int id);
/* A scalar's text; NULL when n is NULL or not a scalar. */
const char *yamldoc_scalar(const yaml_node_t *n);
/* Is n the scalar s, byte for byte (a NUL inside the scalar never matches)? */
int yamldoc_scalar_is(const yaml_node_t *n, const char *s);
/* The value of key in mapping m; NULL when m is not a mapping or lacks key. */
yaml_node_t *yamldoc_get(struct yamldoc *d, yaml_node_t *m, const char *key);

/*
 * Writes "PATH:LINE:COL: error: MESSAGE" for node n (1:1 when n is NULL)
 * into err and returns -EINVAL.
 */
int yamldoc_fail(const struct yamldoc *d, const yaml_node_t *n, char *err, size_t errlen,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
