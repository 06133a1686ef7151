/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_cache.c - rendered per-process parts of record lines (json_cache.h).
 *
 * A key is every input json.c renders the part from, each with its length,
 * so that two different inputs never make the same key.  A string without
 * bytes (p NULL) keys as the empty string, as it renders.
 */
#include "record/json_cache.h"

#include <string.h>

static void key_u32(struct sbuf *k, uint32_t v)
{
	sbuf_add(k, &v, sizeof(v));
}

static void key_bytes(struct sbuf *k, const char *p, uint32_t n)
{
	if (!p)
		n = 0;
	key_u32(k, n);
	if (n)
		sbuf_add(k, p, n);
}

static void key_str(struct sbuf *k, const struct cev_str *s)
{
	key_bytes(k, s->p, s->len);
	sbuf_addc(k, (char)(s->truncated != 0));
}

static void key_args(struct sbuf *k, const struct cev_args *a)
{
	key_bytes(k, a->buf, a->len);
	sbuf_addc(k, (char)(a->truncated != 0));
}

/* The inputs of part, as json.c reads them. */
static void make_key(struct sbuf *k, const struct cev_event *ev, enum json_part part)
{
	sbuf_reset(k);
	sbuf_addc(k, (char)part);
	if (part == JSON_PART_PROGRAM) {
		key_str(k, &ev->proc.exe);
		key_args(k, &ev->proc.args);
		key_u32(k, ev->proc.exe_prog.flags);
		/* rendered when len says so, as "" when it has no bytes */
		sbuf_addc(k, (char)(ev->proc.prev_exe.len != 0));
		key_bytes(k, ev->proc.prev_exe.p, ev->proc.prev_exe.len);
		return;
	}
	sbuf_addc(k, (char)(ev->has_parent != 0));
	if (ev->has_parent) {
		key_u32(k, ev->parent.pid);
		key_str(k, &ev->parent.exe);
		key_args(k, &ev->parent.args);
	}
	key_u32(k, ev->n_ancestors);
	for (uint32_t i = 0; i < ev->n_ancestors; i++)
		key_bytes(k, ev->ancestors[i].p, ev->ancestors[i].len);
}

static struct json_frag *frag_of(struct json_cache *c, const struct cev_event *ev,
				 enum json_part part)
{
	return &c->frag[ev->proc.pid & (JSON_CACHE_SLOTS - 1)][part];
}

void json_cache_init(struct json_cache *c)
{
	memset(c, 0, sizeof(*c));
}

void json_cache_free(struct json_cache *c)
{
	for (size_t i = 0; i < JSON_CACHE_SLOTS; i++)
		for (int p = 0; p < JSON_PART__COUNT; p++) {
			sbuf_free(&c->frag[i][p].key);
			sbuf_free(&c->frag[i][p].out);
		}
	sbuf_free(&c->key);
	memset(c, 0, sizeof(*c));
}

void json_cache_clear(struct json_cache *c)
{
	for (size_t i = 0; i < JSON_CACHE_SLOTS; i++)
		for (int p = 0; p < JSON_PART__COUNT; p++)
			sbuf_reset(&c->frag[i][p].key);
}

int json_cache_find(struct json_cache *c, const struct cev_event *ev, enum json_part part,
		    struct sbuf *out)
{
	const struct json_frag *f = frag_of(c, ev, part);

	make_key(&c->key, ev, part);
	if (sbuf_err(&c->key) || f->key.len != c->key.len ||
	    memcmp(f->key.p, c->key.p, c->key.len) != 0) {
		c->misses++;
		return 0;
	}
	sbuf_add(out, f->out.p, f->out.len);
	c->hits++;
	return 1;
}

void json_cache_store(struct json_cache *c, const struct cev_event *ev, enum json_part part,
		      const char *p, size_t n)
{
	struct json_frag *f = frag_of(c, ev, part);
	struct sbuf tmp;

	sbuf_reset(&f->out);
	sbuf_add(&f->out, p, n);
	/* the lookup's key becomes the part's (the buffers swap: no copy) */
	tmp = f->key;
	f->key = c->key;
	c->key = tmp;
	sbuf_reset(&c->key);
	if (sbuf_err(&f->out) || sbuf_err(&f->key))
		sbuf_reset(&f->key);	/* an empty key matches nothing */
}
