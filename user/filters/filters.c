/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters.c - every family's kernel filter at once (filters_apply,
 * filters_check); what the families share is family.c.
 */
#include "filters/filters.h"

#include <errno.h>

#include "filters/exec.h"
#include "filters/file.h"
#include "filters/fileguard.h"
#include "filters/net.h"

_Static_assert(NET_MAX_RULES <= FILTER_MAX_SLOTS && GUARD_MAX_RULES <= FILTER_MAX_SLOTS,
	       "a family has more rule slots than struct filter_slots holds");

int filters_apply(struct filters *out, struct loader *l, const struct rule_set *rs,
		  struct filewatch *w, char *err, size_t errlen)
{
	int rc = filter_file_apply(l, rs, w, err, errlen);

	if (!rc)
		rc = filter_net_apply(l, rs, &out->net, err, errlen);
	if (!rc)
		rc = filter_exec_apply(l, rs, &out->exec, err, errlen);
	return rc ? rc : filter_fileguard_apply(l, rs, &out->fileguard, err, errlen);
}

void filters_attached(struct loader *l)
{
	filter_file_dir_cache(l);
}

int filters_check(const struct rule_set *rs, struct rule_diags *diags)
{
	int rc = filter_net_check(rs, diags);
	int rc_exec = filter_exec_check(rs, diags);
	int rc_file = filter_fileguard_check(rs, diags);

	if (rc == -ENOMEM || rc_exec == -ENOMEM || rc_file == -ENOMEM)
		return -ENOMEM;
	return rc ? rc : rc_exec ? rc_exec : rc_file;
}

