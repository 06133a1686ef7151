/* SPDX-License-Identifier: Apache-2.0 */
#include "base/sbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	b->err = 0;
}

int sbuf_reserve(struct sbuf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->err)
		return b->err;
	need = b->len + extra + 1;	/* room for a NUL */
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void sbuf_add_slow(struct sbuf *b, const void *p, size_t n)
{
	if (sbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void sbuf_addc_slow(struct sbuf *b, char c)
{
	if (sbuf_reserve(b, 1))
		return;
	b->p[b->len++] = c;
}


void sbuf_addu(struct sbuf *b, uint64_t v)
{
	char d[20];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sbuf_add(b, d + i, sizeof(d) - i);
}

void sbuf_vaddf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (sbuf_reserve(b, 64))
		return;
	va_copy(ap2, ap);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (sbuf_reserve(b, (size_t)n))
			return;
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(b, fmt, ap);
	va_end(ap);
}

const char *sbuf_cstr(struct sbuf *b)
{
	if (sbuf_reserve(b, 0))
		return "";
	b->p[b->len] = '\0';
	return b->p;
}
