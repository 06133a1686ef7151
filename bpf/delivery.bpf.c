// SPDX-License-Identifier: GPL-2.0-only
/*
 * delivery.bpf.c - the global functions of flood-proof delivery
 * (delivery.h), one definition for every object that links against them.
 */
#include "common.bpf.h"

__noinline __u64 scratch_path_hash(__u32 len, int slot)
{
	struct scratch *s = scratch_at(slot);

	if (!s)
		return 0;
	return repeat_path_hash(s->file.data, len < CUSTOS_PATH_MAX ? len : CUSTOS_PATH_MAX);
}

__noinline int emit_scratch_file(__u64 size, int slot)
{
	struct scratch *s = scratch_at(slot);

	if (!s || size < EV_FILE_FIXED || size > sizeof(s->file))
		return 0;
	emit_record(&s->file, size, EV_FILE, slot);
	return 0;
}
