/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag.c - diagnostics: collected while loading, sorted and handed out
 * (diag.h), and the public rule_diag_* of rules.h.
 */
#include "rules/diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/vec.h"

/* Appends one diagnostic, cap or not. */
__attribute__((format(printf, 5, 0)))
static void add(struct diag_list *d, size_t src, int line, int col, const char *fmt, va_list ap)
{
	struct sbuf msg = SBUF_INIT;

	if (vec_grow((void **)&d->v, d->n, &d->cap, sizeof(*d->v))) {
		d->oom = 1;
		return;
	}
	sbuf_vaddf(&msg, fmt, ap);
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

__attribute__((format(printf, 5, 6)))
static void add_uncapped(struct diag_list *d, size_t src, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(d, src, line, col, fmt, ap);
	va_end(ap);
}

void diag_add(struct diag_list *d, size_t src, int line, int col,
	      const char *fmt, ...)
{
	va_list ap;

	if (d->n >= DIAG_MAX) {
		if (!d->dropped++)
			d->first_dropped = (struct idiag){ .src = src, .line = line, .col = col };
		return;
	}
	va_start(ap, fmt);
	add(d, src, line, col, fmt, ap);
	va_end(ap);
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
	if (d->dropped) {	/* one more, past the cap, says how many were not kept */
		add_uncapped(d, d->first_dropped.src, d->first_dropped.line, d->first_dropped.col,
			     "%zu more errors from here on not shown (fix these first)", d->dropped);
		d->dropped = 0;
	}
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
	if (vec_grow((void **)&out->v, out->n + d->n - 1, &out->cap, sizeof(*out->v)))
		return -ENOMEM;
	v = out->v;
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
	d->dropped = 0;
	d->oom = 0;
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
	if (vec_grow((void **)&d->v, d->n, &d->cap, sizeof(*d->v)))
		return -ENOMEM;
	v = d->v;
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
	diags->n = diags->cap = 0;
}

int rule_diag_format(const struct rule_diag *d, char *buf, size_t size)
{
	return snprintf(buf, size, "%s:%d:%d: error: %s", d->file, d->line,
			d->col, d->msg);
}
