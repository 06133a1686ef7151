/* SPDX-License-Identifier: Apache-2.0 */
/*
 * duration.c - spans of time: the grammar in duration.h.
 */
#include "base/duration.h"

#include <errno.h>
#include <stdlib.h>

#define NS_PER_SEC 1000000000ull
#define MAX_SECONDS (100ull * 365 * 24 * 3600)

int duration_parse(const char *s, uint64_t *ns)
{
	unsigned long long v, unit;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 24 * 3600; break;
	default: return -EINVAL;
	}
	if (errno || end[1] || !v || v > MAX_SECONDS / unit)
		return -EINVAL;
	*ns = v * unit * NS_PER_SEC;
	return 0;
}
