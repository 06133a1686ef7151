/* SPDX-License-Identifier: Apache-2.0 */
/*
 * size.c - byte counts: the grammar in size.h.
 */
#include "base/size.h"

#include <errno.h>
#include <stdlib.h>

int size_parse(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'K': case 'k': mult = 1ull << 10; end++; break;
	case 'M': case 'm': mult = 1ull << 20; end++; break;
	case 'G': case 'g': mult = 1ull << 30; end++; break;
	}
	if (errno || *end || !v || v > max / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}
