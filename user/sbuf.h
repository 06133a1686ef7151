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
void sbuf_add(struct sbuf *b, const void *p, size_t n);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addu(struct sbuf *b, uint64_t v);		/* decimal, as printf's %llu */
void sbuf_addf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *b, const char *fmt, va_list ap);
const char *sbuf_cstr(struct sbuf *b);		/* NUL-terminates (not counted in len) */
static inline int sbuf_err(const struct sbuf *b) { return b->err; }

#endif
