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

/* task_exec_seq() of a task pointer, in a frame of its own: the two reads'
 * stack slots do not grow the callers' (5.10 counts file__lsm's chain of
 * frames against 512 bytes). */
__noinline int exec_seq_of(__u64 taskp)
{
	return task_exec_seq((struct task_struct *)taskp);
}

__noinline int emit_scratch_file(__u64 size, int slot)
{
	struct scratch *s = scratch_at(slot);

	if (!s || size < EV_FILE_FIXED || size > sizeof(s->file))
		return 0;
	/* here, in a frame of its own: 5.10 counts file__lsm's chain of frames
	 * against 512 bytes, and the file programs' own are full */
	s->file.exec_seq = task_exec_seq((struct task_struct *)bpf_get_current_task());
	emit_record(&s->file, size, EV_FILE, EV_FILE, slot);
	return 0;
}

/*
 * The key is built in a scratch slot this call claims for itself (the
 * caller's record may be on its stack, or in a slot of its own): off the
 * stack, and not shared with a run this one preempted.  No slot free: the
 * loss is counted unkeyed.
 */
__noinline int loss_count(__u64 mask, __u32 type, __u32 gen, __u32 where)
{
	struct scratch *s = scratch_at(scratch_claim());
	__u64 *v = NULL;
	int counted = 0;

	if (s) {
		s->loss.mask = mask;
		s->loss.type = (__u16)type;
		s->loss.gen = (__u16)gen;
		s->loss.where = (__u8)where;
		s->loss.pad[0] = s->loss.pad[1] = s->loss.pad[2] = 0;
		s->one = 1;
		v = bpf_map_lookup_elem(&loss_rules, &s->loss);
		if (!v && !bpf_map_update_elem(&loss_rules, &s->loss, &s->one, BPF_NOEXIST))
			counted = 1;
		else if (!v)	/* another CPU made it, or no room */
			v = bpf_map_lookup_elem(&loss_rules, &s->loss);
		if (v) {
			__sync_fetch_and_add(v, 1);
			counted = 1;
		}
		scratch_release(s);
	}
	if (!counted)
		stat_inc(where == LOSS_AT_RING ? STAT_LOSS_UNKEYED_RING : STAT_LOSS_UNKEYED_LIMIT);
	return 0;
}
