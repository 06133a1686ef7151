/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sbuf.h - a growable byte buffer.  Appends never fail silently: on allocation
 * failure the buffer is marked and sbuf_err() returns -ENOMEM, so a caller can
 * append a whole record and check once.
 */
#ifndef CUSTOS_SBUF_H
#define CUSTOS_SBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	int err;		/* 0 or -ENOMEM, sticky until sbuf_reset() */
};

#define SBUF_INIT { 0 }

void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);			/* len = 0, err = 0, keeps memory */
int sbuf_reserve(struct sbuf *b, size_t extra);
void sbuf_add_slow(struct sbuf *b, const void *p, size_t n);	/* grows, then appends */
void sbuf_addc_slow(struct sbuf *b, char c);

/* Appends are inline while there is room (the record renderers append a few
 * hundred times per record); the slow path grows the buffer.  A NUL's room
 * is always kept, as sbuf_reserve() does. */
static inline void sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (!b->err && b->len + n < b->cap) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
		return;
	}
	sbuf_add_slow(b, p, n);
}

static inline void sbuf_addc(struct sbuf *b, char c)
{
	if (!b->err && b->len + 1 < b->cap) {
		b->p[b->len++] = c;
		return;
	}
	sbuf_addc_slow(b, c);
}

static inline void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}
void sbuf_addu(struct sbuf *b, uint64_t v);		/* decimal, as printf's %llu */
void sbuf_addf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
const char *sbuf_cstr(struct sbuf *b);		/* NUL-terminates (not counted in len) */
static inline int sbuf_err(const struct sbuf *b) { return b->err; }

#endif
