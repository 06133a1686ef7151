/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lists.c - `lists`, `lists_append` and `$name` references (lists.h).
 */
#include "rules/lists.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"

#define MAX_VALUES 100000	/* values of one field or list, lists expanded */

int nodes_push(struct nodes *v, const struct ynode *n)
{
	if (vec_grow((void **)&v->v, v->n, &v->cap, sizeof(*v->v)))
		return -ENOMEM;
	v->v[v->n++] = n;
	return 0;
}

static void push(struct lists *ls, struct nodes *v, const struct ynode *n)
{
	if (nodes_push(v, n))
		ls->oom = 1;
}

/* One more value into out, against the field's and the rule set's budget;
 * -1 when either is spent. */
static int take(struct lists *ls, struct nodes *out, const struct ynode *n)
{
	if (out->n >= MAX_VALUES || ls->total >= LISTS_MAX_TOTAL)
		return -1;
	ls->total++;
	push(ls, out, n);
	return 0;
}

static struct list_def *find_list(struct lists *ls, const char *name)
{
	size_t i;

	return strmap_get(&ls->names, name, &i) ? &ls->v[i] : NULL;
}

static int valid_list_name(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      s[0] == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

void lists_define(struct lists *ls, const struct ynode *key, const struct ynode *val)
{
	struct list_def *ld = find_list(ls, key->s);

	if (!valid_list_name(key->s)) {
		diag_at(ls->d, key, "list name '%s' is invalid (use letters, digits, '_' and '-', starting with a letter or '_')",
			key->s);
		return;
	}
	if (ld) {
		diag_at(ls->d, key, "list '%s' is already defined at %s:%d:%d (use lists_append to extend it)",
			key->s, ls->srcs[ld->key->src].name, ld->key->line,
			ld->key->col);
		return;
	}
	if (val->kind == YN_MAP) {
		diag_at(ls->d, val, "list '%s' must be a list of values, not a mapping",
			key->s);
		return;
	}
	if (vec_grow((void **)&ls->v, ls->n, &ls->cap, sizeof(*ls->v)) ||
	    strmap_put(&ls->names, key->s, ls->n)) {
		ls->oom = 1;
		return;
	}
	ld = &ls->v[ls->n++];
	*ld = (struct list_def){ .name = key->s, .key = key };
	push(ls, &ld->vals, val);
}

void lists_append(struct lists *ls, const struct ynode *key, const struct ynode *val)
{
	push(ls, &ls->appends, key);
	push(ls, &ls->appends, val);
}

static int resolve_list(struct lists *ls, struct list_def *ld, const struct ynode *ref);

/* The values of list $name at v, appended to out; the lists.h contract. */
static int expand_ref(struct lists *ls, const struct ynode *v, struct nodes *out)
{
	struct list_def *ld = find_list(ls, v->s + 1);

	if (!ld) {
		if (!ls->partial)
			diag_at(ls->d, v, "unknown list '%s'", v->s);
		return -1;
	}
	if (resolve_list(ls, ld, v) < 0)
		return -1;
	for (size_t i = 0; i < ld->n_items; i++)
		if (take(ls, out, ld->items[i]))
			break;
	return 0;
}

int lists_flatten(struct lists *ls, const struct ynode *v, struct nodes *out)
{
	int r = 0;

	if (v->kind == YN_MAP) {
		diag_at(ls->d, v, "values must be strings or lists, not a mapping");
		return -1;
	}
	if (v->kind == YN_SEQ) {
		for (size_t i = 0; i < v->n; i++) {
			if (lists_flatten(ls, v->kids[i], out) == 0)
				continue;
			r = -1;
			if (out->n >= MAX_VALUES || ls->total >= LISTS_MAX_TOTAL)
				break;	/* said once, not for every value after it */
		}
		return r;
	}
	if (ynode_is_null(v))
		return 0;	/* `- ` in a list, or `path:` with nothing */
	if (v->s[0] == '$') {
		if (expand_ref(ls, v, out) < 0)
			return -1;
	} else {
		take(ls, out, v);
	}
	if (ls->total >= LISTS_MAX_TOTAL) {
		if (!ls->total_reported)
			diag_at(ls->d, v, "more than %d values in all after expanding lists (the limit of one rule set)",
				LISTS_MAX_TOTAL);
		ls->total_reported = 1;
		return -1;
	}
	if (out->n >= MAX_VALUES) {
		diag_at(ls->d, v, "more than %d values after expanding lists", MAX_VALUES);
		return -1;
	}
	return 0;
}

/* "list cycle: $a -> $b -> $a", from where ld entered the chain */
static void report_cycle(struct lists *ls, const struct list_def *ld, const struct ynode *ref)
{
	char path[512];
	size_t i, off = 0;

	for (i = 0; i < ls->depth && off < sizeof(path); i++)
		if (strcmp(ls->resolving[i], ld->name) == 0)
			break;
	for (; i < ls->depth && off < sizeof(path); i++)
		off += (size_t)snprintf(path + off, sizeof(path) - off,
					"$%s -> ", ls->resolving[i]);
	diag_at(ls->d, ref, "list cycle: %s$%s", path, ld->name);
}

static int resolve_list(struct lists *ls, struct list_def *ld, const struct ynode *ref)
{
	struct nodes items = { 0 };
	int r = 0;

	switch (ld->state) {
	case LIST_DONE:
		return 0;
	case LIST_FAILED:
		return -1;
	case LIST_BUSY:
		report_cycle(ls, ld, ref);
		return -1;
	case LIST_NEW:
		break;
	}
	if (ls->depth == LISTS_MAX_DEPTH) {
		diag_at(ls->d, ref, "lists nested more than %d deep", LISTS_MAX_DEPTH);
		return -1;
	}
	ld->state = LIST_BUSY;
	ls->resolving[ls->depth++] = ld->name;
	for (size_t i = 0; i < ld->vals.n; i++)
		if (lists_flatten(ls, ld->vals.v[i], &items) < 0)
			r = -1;
	ls->depth--;
	ld->items = items.v;
	ld->n_items = items.n;
	ld->state = r < 0 ? LIST_FAILED : LIST_DONE;
	return r;
}

void lists_resolve(struct lists *ls)
{
	for (size_t i = 0; i + 1 < ls->appends.n; i += 2) {
		const struct ynode *key = ls->appends.v[i];
		const struct ynode *val = ls->appends.v[i + 1];
		struct list_def *ld = find_list(ls, key->s);

		if (!ld) {
			if (!ls->partial)
				diag_at(ls->d, key, "lists_append to unknown list '%s'", key->s);
		} else if (val->kind == YN_MAP) {
			diag_at(ls->d, val, "lists_append '%s' must be a list of values, not a mapping",
				key->s);
		} else {
			push(ls, &ld->vals, val);
		}
	}
	for (size_t i = 0; i < ls->n; i++)
		resolve_list(ls, &ls->v[i], ls->v[i].key);
}

void lists_free(struct lists *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->v[i].vals.v);
		free(ls->v[i].items);
	}
	free(ls->v);
	free(ls->appends.v);
	strmap_free(&ls->names);
	memset(ls, 0, sizeof(*ls));
}
