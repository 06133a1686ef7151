/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocsf_table.c - rows of OCSF paths in order become nested JSON objects
 * (ocsf_table.h).
 */
#include "record/ocsf_table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
	PATH_MAX_LEN = 128,	/* a row's full path */
	DEPTH_MAX = 8,		/* objects open at once */
	SEG_MAX = 32,		/* one path segment */
};

/* --- the writer: rows in order become nested objects -------------------------- */

struct ocsf_writer {
	struct sbuf *out;
	struct sbuf val;			/* one value, rendered before its path opens */
	char open[DEPTH_MAX][SEG_MAX];		/* the objects open, outermost first */
	int depth;
	unsigned members[DEPTH_MAX + 1];	/* written so far, per open object (0: the record) */
};

static int is_array_seg(const char *seg, size_t n)
{
	return n > 2 && seg[n - 2] == '[' && seg[n - 1] == ']';
}

static void w_close(struct ocsf_writer *w, int to)
{
	while (w->depth > to) {
		const char *seg = w->open[--w->depth];

		sbuf_adds(w->out, is_array_seg(seg, strlen(seg)) ? "}]" : "}");
	}
}

/* ,"name": at the current depth ("name[]" is written "name") */
static void w_key(struct ocsf_writer *w, const char *seg, size_t n)
{
	if (w->members[w->depth]++)
		sbuf_addc(w->out, ',');
	sbuf_addc(w->out, '"');
	sbuf_add(w->out, seg, is_array_seg(seg, n) ? n - 2 : n);
	sbuf_add(w->out, "\":", 2);
}

/* Opens what path needs beyond what is open, then writes its leaf and w->val. */
static int w_put(struct ocsf_writer *w, const char *path)
{
	const char *seg[DEPTH_MAX + 1];
	size_t len[DEPTH_MAX + 1];
	int k = 0, i = 0;

	for (const char *p = path;; k++) {
		const char *dot = strchr(p, '.');

		if (k > DEPTH_MAX)
			return -EINVAL;
		seg[k] = p;
		len[k] = dot ? (size_t)(dot - p) : strlen(p);
		if (len[k] >= SEG_MAX)
			return -EINVAL;
		if (!dot)
			break;
		p = dot + 1;
	}
	/* seg[0..k) are objects, seg[k] the leaf */
	while (i < w->depth && i < k && strlen(w->open[i]) == len[i] &&
	       !memcmp(w->open[i], seg[i], len[i]))
		i++;
	w_close(w, i);
	for (; i < k; i++) {
		w_key(w, seg[i], len[i]);
		sbuf_adds(w->out, is_array_seg(seg[i], len[i]) ? "[{" : "{");
		memcpy(w->open[w->depth], seg[i], len[i]);
		w->open[w->depth][len[i]] = '\0';
		w->members[++w->depth] = 0;
	}
	w_key(w, seg[k], len[k]);
	sbuf_add(w->out, w->val.p, w->val.len);
	return 0;
}

static int w_table(struct ocsf_writer *w, const struct ocsf_attr *t, const char *prefix,
		   const struct ocsf_src *s)
{
	char path[PATH_MAX_LEN];
	int err = 0;

	for (; t->path && !err; t++) {
		if (!(t->kinds & (1u << s->ev->kind)))
			continue;
		if (snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", t->path) >=
		    (int)sizeof(path))
			return -EINVAL;
		if (t->sub) {
			struct ocsf_proc p;
			struct ocsf_src sub = *s;

			if (t->view) {
				if (!t->view(s, &p))
					continue;
				sub.proc = &p;
			}
			err = w_table(w, t->sub, path, &sub);
			continue;
		}
		sbuf_reset(&w->val);
		if (t->str)
			json_add_cstr(&w->val, t->str);
		else if (t->has_num)
			sbuf_addf(&w->val, "%lld", t->num);
		if (t->str || t->has_num || t->value(&w->val, s))
			err = sbuf_err(&w->val) ? -ENOMEM : w_put(w, path);
	}
	return err;
}

int ocsf_table_render(struct sbuf *out, const struct ocsf_attr *t, const struct ocsf_src *s)
{
	struct ocsf_writer w = { .out = out, .val = SBUF_INIT };
	int err = w_table(&w, t, "", s);

	w_close(&w, 0);
	sbuf_free(&w.val);
	return err;
}

/* --- value helpers ---------------------------------------------------------------- */

int ocsf_v_int(struct sbuf *o, long long v)
{
	sbuf_addf(o, "%lld", v);
	return 1;
}

int ocsf_v_cstr(struct sbuf *o, const char *s)
{
	if (!s)
		return 0;
	json_add_cstr(o, s);
	return 1;
}

/* basename of a path, as a JSON string */
void ocsf_base_name(struct sbuf *o, const struct cev_str *p)
{
	const char *slash = p->p ? memrchr(p->p, '/', p->len) : NULL;

	if (slash)
		json_escape_bytes(o, slash + 1, (size_t)(p->p + p->len - slash - 1));
	else
		json_escape_bytes(o, p->p ? p->p : "", p->p ? p->len : 0);
}
