/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter_net.c - connect rules -> the egress decision maps.
 * No egress hook is built yet, so there is nothing to fill or to check.
 */
#include "filters.h"

int filter_net_apply(struct loader *l, const struct rule_set *rs, char *err, size_t errlen)
{
	return 0;
}

int filter_net_check(const struct rule_set *rs, struct rule_diags *diags)
{
	return 0;
}
