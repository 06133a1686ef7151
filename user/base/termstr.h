/* SPDX-License-Identifier: Apache-2.0 */
/*
 * termstr.h - bytes from records, rule files or a collector made safe to
 * show on a terminal: every control (C0, DEL, the C1 controls U+0080..U+009F
 * and the bidirectional formatting characters that reorder what is shown),
 * every byte that is not valid UTF-8, and the backslash itself come out as
 * \xNN (a backslash as \\), so nothing in the text can move the cursor,
 * recolour, retitle or reorder the screen, and no escaped byte reads the
 * same as a literal one.  Valid printable UTF-8 passes unchanged.
 */
#ifndef CUSTOS_TERMSTR_H
#define CUSTOS_TERMSTR_H

#include <stddef.h>

#include "base/sbuf.h"

enum termstr_flags {
	TERMSTR_NUL_AS_SPACE = 1,	/* argv: "a\0b" shows as "a b" */
};

/* Appends p[0..n) to b, made safe. */
void termstr_add(struct sbuf *b, const char *p, size_t n, unsigned flags);
/* The same for a C string; NULL adds fallback. */
void termstr_adds(struct sbuf *b, const char *s, const char *fallback);

#endif
