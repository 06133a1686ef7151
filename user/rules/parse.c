/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse.c - YAML text -> a tree of ynode that remembers positions (parse.h).
 *
 * Built from libyaml's event API with an explicit stack, so depth is
 * bounded and no recursion is needed.  Anchors are ignored; aliases are
 * refused (a rule file has no use for them, and they make a tree a DAG whose
 * expansion can be exponential).  Scalars are kept as text: typing (bool,
 * integer, enum) is the compiler's job, which knows what each key expects.
 */
#include "rules/parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/strmap.h"
#include "base/vec.h"

#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 1000000	/* scalars, lists and mappings of one file */

struct frame {
	struct ynode *node;
	struct ynode **kids;
	size_t n, cap;
};

struct parse {
	struct arena *a;
	struct diag_list *d;
	size_t src;
	struct frame stack[YAML_MAX_DEPTH];
	size_t depth;
	struct ynode *root;
	size_t nodes;
	int err;
};

static struct ynode *new_node(struct parse *ps, enum ynode_kind kind,
			      const yaml_mark_t *mark)
{
	struct ynode *n = arena_alloc(ps->a, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	n->s = "";	/* so that a non-string key reads as "" */
	n->src = ps->src;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	return n;
}

/* Appends n to the open container, or makes it the root. */
static int attach(struct parse *ps, struct ynode *n)
{
	struct frame *f;

	if (ps->depth == 0) {
		ps->root = n;
		return 0;
	}
	f = &ps->stack[ps->depth - 1];
	if (vec_grow((void **)&f->kids, f->n, &f->cap, sizeof(*f->kids)))
		return -ENOMEM;
	f->kids[f->n++] = n;
	return 0;
}

/*
 * Reports non-string and duplicate keys.  A pair with a non-string key is
 * dropped from the tree (it was reported), so later passes see only
 * string keys.
 */
static void check_keys(struct parse *ps, struct ynode *map)
{
	struct strmap seen = { 0 };
	size_t i, n = 0, first;

	for (i = 0; i + 1 < map->n; i += 2) {
		struct ynode *k = map->kids[i];

		if (k->kind != YN_SCALAR) {
			diag_add(ps->d, ps->src, k->line, k->col,
				 "mapping keys must be strings, not %s",
				 ynode_kind_name(k));
			ps->err = -EINVAL;
			continue;
		}
		if (strmap_get(&seen, k->s, &first)) {
			diag_add(ps->d, ps->src, k->line, k->col,
				 "duplicate key '%s' (first at line %d)",
				 k->s, map->kids[first]->line);
			ps->err = -EINVAL;
		} else if (strmap_put(&seen, k->s, n)) {
			ps->err = -ENOMEM;
		}
		map->kids[n++] = k;
		map->kids[n++] = map->kids[i + 1];
	}
	map->n = n;
	strmap_free(&seen);
}

static int push(struct parse *ps, enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *n;

	if (ps->depth == YAML_MAX_DEPTH) {
		diag_add(ps->d, ps->src, (int)mark->line + 1, (int)mark->column + 1,
			 "nesting deeper than %d levels", YAML_MAX_DEPTH);
		return -EINVAL;
	}
	n = new_node(ps, kind, mark);
	if (!n)
		return -ENOMEM;
	ps->stack[ps->depth++] = (struct frame){ .node = n };
	return 0;
}

static int pop(struct parse *ps)
{
	struct frame *f = &ps->stack[--ps->depth];
	struct ynode *n = f->node;

	if (f->n) {
		n->kids = arena_alloc(ps->a, f->n * sizeof(*n->kids));
		if (!n->kids) {
			free(f->kids);
			return -ENOMEM;
		}
		memcpy(n->kids, f->kids, f->n * sizeof(*n->kids));
		n->n = f->n;
	}
	free(f->kids);
	*f = (struct frame){ 0 };
	if (n->kind == YN_MAP)
		check_keys(ps, n);
	return attach(ps, n);
}

static int scalar(struct parse *ps, const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct ynode *n = new_node(ps, YN_SCALAR, &ev->start_mark);

	if (!n)
		return -ENOMEM;
	if (memchr(text, '\0', len)) {
		diag_add(ps->d, ps->src, n->line, n->col,
			 "strings may not contain NUL bytes");
		ps->err = -EINVAL;
	}
	n->s = arena_memdup0(ps->a, text, len);
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (!n->s)
		return -ENOMEM;
	return attach(ps, n);
}

/* A reader error (bad encoding) has an offset, not a mark. */
static void offset_to_pos(const char *data, size_t len, size_t off, int *line,
			  int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void syntax_error(struct parse *ps, const yaml_parser_t *p,
			 const char *data, size_t len)
{
	int line = (int)p->problem_mark.line + 1;
	int col = (int)p->problem_mark.column + 1;

	if (p->error == YAML_READER_ERROR)
		offset_to_pos(data, len, p->problem_offset, &line, &col);
	diag_add(ps->d, ps->src, line, col, "invalid yaml: %s",
		 p->problem ? p->problem : "cannot parse");
}

/* Handles one event; 1 at the end of the stream, 0 to go on, or -errno. */
static int on_event(struct parse *ps, const yaml_event_t *ev, int *ndocs)
{
	const yaml_mark_t *m = &ev->start_mark;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++*ndocs > 1) {
			diag_add(ps->d, ps->src, (int)m->line + 1,
				 (int)m->column + 1,
				 "a rule file holds one yaml document, found a second one");
			return -EINVAL;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		diag_add(ps->d, ps->src, (int)m->line + 1, (int)m->column + 1,
			 "yaml aliases (*%s) are not supported",
			 (const char *)ev->data.alias.anchor);
		return -EINVAL;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++ps->nodes > YAML_MAX_NODES) {
			diag_add(ps->d, ps->src, (int)m->line + 1, (int)m->column + 1,
				 "more than %d values, lists and mappings in one file",
				 YAML_MAX_NODES);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return scalar(ps, ev);
	case YAML_SEQUENCE_START_EVENT:
		return push(ps, YN_SEQ, m);
	case YAML_MAPPING_START_EVENT:
		return push(ps, YN_MAP, m);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return pop(ps);
	default:
		return 0;
	}
}

int rules_yaml_parse(struct arena *a, struct diag_list *d, size_t src,
		     const char *data, size_t len, struct ynode **root)
{
	struct parse ps = { .a = a, .d = d, .src = src };
	yaml_parser_t p;
	int r = 0, ndocs = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)(data ? data : ""),
				     data ? len : 0);
	while (r == 0) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR) {
				r = -ENOMEM;
			} else {
				syntax_error(&ps, &p, data, len);
				r = -EINVAL;
			}
			break;
		}
		r = on_event(&ps, &ev, &ndocs);
		yaml_event_delete(&ev);
	}
	while (ps.depth)
		free(ps.stack[--ps.depth].kids);
	yaml_parser_delete(&p);
	if (r < 0)
		return r;	/* no tree: the file could not be read as YAML */
	if (a->err)
		return a->err;
	*root = ps.root;
	return ps.err;
}

/* --- the tree's nodes ------------------------------------------------------ */

int ynode_is_null(const struct ynode *n)
{
	return n->kind == YN_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->s, "~") == 0 ||
		strcmp(n->s, "null") == 0 || strcmp(n->s, "Null") == 0 ||
		strcmp(n->s, "NULL") == 0);
}

const char *ynode_kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case YN_SCALAR:
		return ynode_is_null(n) ? "an empty value" : "a string";
	case YN_SEQ:
		return "a list";
	case YN_MAP:
		return "a mapping";
	}
	return "?";
}

const char *ynode_want_scalar(struct diag_list *d, const struct ynode *v, const char *what)
{
	if (v->kind == YN_SCALAR)
		return v->s;
	diag_at(d, v, "'%s' must be a string, not %s", what, ynode_kind_name(v));
	return NULL;
}

int ynode_want_seq(struct diag_list *d, const struct ynode *v, const char *what)
{
	if (v->kind == YN_SEQ || ynode_is_null(v))
		return 1;
	diag_at(d, v, "'%s' must be a list, not %s", what, ynode_kind_name(v));
	return 0;
}

int ynode_want_map(struct diag_list *d, const struct ynode *v, const char *what, int null_ok)
{
	if (v->kind == YN_MAP || (null_ok && ynode_is_null(v)))
		return 1;
	diag_at(d, v, "'%s' must be a mapping, not %s", what, ynode_kind_name(v));
	return 0;
}
