/* SPDX-License-Identifier: Apache-2.0 */
/* rules_util.c - the rule engine's arena, diagnostics and enum names. */
#include "rules/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"

/* --- arena --------------------------------------------------------------- */

struct arena_blk {
	struct arena_blk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

#define ARENA_BLOCK 8192

void *arena_alloc(struct arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct arena_blk *b = a->head;
	void *p;

	if (a->err)
		return NULL;
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b) {
			a->err = -ENOMEM;
			return NULL;
		}
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

char *arena_memdup0(struct arena *a, const void *p, size_t len)
{
	char *s = arena_alloc(a, len + 1);

	if (s && len)
		memcpy(s, p, len);
	return s;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_memdup0(a, s, strlen(s)) : NULL;
}

void arena_free(struct arena *a)
{
	struct arena_blk *b = a->head, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->err = 0;
}

/* --- diagnostics --------------------------------------------------------- */

void diag_add(struct diag_list *d, size_t src, int line, int col,
	      const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct idiag *v = realloc(d->v, cap * sizeof(*v));

		if (!v) {
			d->oom = 1;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sbuf_cstr(&msg);
	if (sbuf_err(&msg)) {
		sbuf_free(&msg);
		d->oom = 1;
		return;
	}
	d->v[d->n] = (struct idiag){
		.src = src,
		.line = line > 0 ? line : 1,
		.col = col > 0 ? col : 1,
		.seq = d->n,
		.msg = msg.p,
	};
	d->n++;
}

static int idiag_cmp(const void *pa, const void *pb)
{
	const struct idiag *a = pa, *b = pb;

	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int idiag_same(const struct idiag *a, const struct idiag *b)
{
	return a->src == b->src && a->line == b->line && a->col == b->col &&
	       strcmp(a->msg, b->msg) == 0;
}

int diag_export(struct diag_list *d, const struct rule_source *srcs,
		struct rule_diags *out)
{
	struct rule_diag *v;
	size_t i, k = 0;

	if (d->n == 0)
		return d->oom ? -ENOMEM : 0;
	qsort(d->v, d->n, sizeof(*d->v), idiag_cmp);
	/* the same problem found twice (a list item used by two rules) */
	for (i = 0; i < d->n; i++) {
		if (k > 0 && idiag_same(&d->v[i], &d->v[k - 1])) {
			free(d->v[i].msg);
			continue;
		}
		d->v[k++] = d->v[i];
	}
	d->n = k;
	k = 0;
	if (!out)
		return d->oom ? -ENOMEM : 0;
	v = realloc(out->v, (out->n + d->n) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	out->v = v;
	for (i = 0; i < d->n; i++) {
		struct idiag *e = &d->v[i];
		char *file;

		file = strdup(srcs[e->src].name ? srcs[e->src].name : "<input>");
		if (!file)
			return -ENOMEM;
		v[out->n + k] = (struct rule_diag){
			.file = file,
			.line = e->line,
			.col = e->col,
			.msg = e->msg,
		};
		e->msg = NULL;	/* moved */
		k++;
	}
	out->n += k;
	return d->oom ? -ENOMEM : 0;
}

void diag_list_free(struct diag_list *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
	d->oom = 0;
}

size_t rule_set_enabled(const struct rule_set *set, size_t per_on[4])
{
	size_t n = 0;

	if (per_on)
		memset(per_on, 0, 4 * sizeof(*per_on));
	for (size_t i = 0; i < set->n_rules; i++) {
		if (!set->rules[i].enabled)
			continue;
		n++;
		if (per_on)
			per_on[set->rules[i].on & 3]++;
	}
	return n;
}

int rule_diag_add(struct rule_diags *d, const struct rule *r, const char *fmt, ...)
{
	struct rule_diag *v;
	char msg[512];
	va_list ap;

	if (!d)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v = realloc(d->v, (d->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->v = v;
	v[d->n].file = strdup(r->file ? r->file : "?");
	v[d->n].msg = strdup(msg);
	v[d->n].line = r->line;
	v[d->n].col = r->col > 0 ? r->col : 1;
	if (!v[d->n].file || !v[d->n].msg) {
		free(v[d->n].file);
		free(v[d->n].msg);
		return -ENOMEM;
	}
	d->n++;
	return -EINVAL;
}

void rule_diags_free(struct rule_diags *diags)
{
	size_t i;

	if (!diags)
		return;
	for (i = 0; i < diags->n; i++) {
		free(diags->v[i].file);
		free(diags->v[i].msg);
	}
	free(diags->v);
	diags->v = NULL;
	diags->n = 0;
}

int rule_diag_format(const struct rule_diag *d, char *buf, size_t size)
{
	return snprintf(buf, size, "%s:%d:%d: error: %s", d->file, d->line,
			d->col, d->msg);
}

/* --- names --------------------------------------------------------------- */

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

const char *rule_severity_name(enum rule_severity s)
{
	switch (s) {
	case SEV_INFO:
		return "info";
	case SEV_LOW:
		return "low";
	case SEV_MEDIUM:
		return "medium";
	case SEV_HIGH:
		return "high";
	case SEV_CRITICAL:
		return "critical";
	}
	return "?";
}

const char *rule_action_name(enum rule_action a)
{
	switch (a) {
	case ACT_ALERT:
		return "alert";
	case ACT_BLOCK:
		return "block";
	}
	return "?";
}

const char *rule_on_name(enum rule_on on)
{
	switch (on) {
	case RULE_ON_FILE:
		return "file";
	case RULE_ON_CONNECT:
		return "connect";
	case RULE_ON_EXEC:
		return "exec";
	}
	return "?";
}

static const char *const field_names[F__COUNT] = {
	[F_EXE] = "exe",
	[F_COMM] = "comm",
	[F_PARENT_EXE] = "parent_exe",
	[F_ANCESTOR_EXE] = "ancestor_exe",
	[F_UID] = "uid",
	[F_CGROUP] = "cgroup",
	[F_PATH] = "path",
	[F_ACCESS] = "access",
	[F_DEST] = "dest",
	[F_PROTO] = "proto",
	[F_ARGS] = "args",
	[F_CONTAINER] = "container",
};

const char *rule_field_name(enum rule_field f)
{
	return (unsigned)f < F__COUNT ? field_names[f] : "?";
}

int rule_field_applies(enum rule_field f, enum rule_on on)
{
	switch (f) {
	case F_PATH:
	case F_ACCESS:
		return on == RULE_ON_FILE;
	case F_DEST:
	case F_PROTO:
		return on == RULE_ON_CONNECT;
	case F_ARGS:
		return on == RULE_ON_EXEC;
	case F__COUNT:
		return 0;
	default:
		return 1;
	}
}
