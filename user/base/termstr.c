/* SPDX-License-Identifier: Apache-2.0 */
/*
 * termstr.c - bytes made safe for a terminal (termstr.h).
 */
#include "base/termstr.h"

#include <stdint.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

	if (!len || len > n || p[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

/* The code point of a well-formed sequence of len bytes. */
static uint32_t code_point(const unsigned char *p, size_t len)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = p[0] & lead_mask[len];

	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

/* C1 controls and the characters that reorder or hide text on a terminal */
static int is_format_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void add_hex(struct sbuf *b, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char e[4] = { '\\', 'x', hex[p[i] >> 4], hex[p[i] & 15] };

		sbuf_add(b, e, sizeof(e));
	}
}

void termstr_add(struct sbuf *b, const char *p, size_t n, unsigned flags)
{
	const unsigned char *u = (const unsigned char *)p;

	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (u[i] == 0 && (flags & TERMSTR_NUL_AS_SPACE)) {
			sbuf_addc(b, ' ');
		} else if (u[i] == '\\') {
			sbuf_add(b, "\\\\", 2);
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			add_hex(b, u + i, 1);
		} else if (u[i] < 0x80) {
			sbuf_addc(b, p[i]);
		} else if ((len = utf8_len(u + i, n - i)) == 0) {
			add_hex(b, u + i, 1);
		} else {
			if (is_format_control(code_point(u + i, len)))
				add_hex(b, u + i, len);
			else
				sbuf_add(b, p + i, len);
			i += len - 1;
		}
	}
}

void termstr_adds(struct sbuf *b, const char *s, const char *fallback)
{
	if (!s)
		sbuf_adds(b, fallback);
	else
		termstr_add(b, s, strlen(s), 0);
}
