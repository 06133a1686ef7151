/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * common.bpf.h - BPF-only helpers every hook uses: tunables set by the agent
 * before load, counters, the record header, and emit with batched wakeups.
 */
#ifndef CUSTOS_COMMON_BPF_H
#define CUSTOS_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"

/*
 * Tunables (rodata, set by the agent between open and load).  Defaults mean
 * "filter off" so that the object is usable on its own.
 *   self_tgid     the agent's own pid: its file/net activity is not reported
 *   wakeup_bytes  wake the agent when the data waiting in the ring reaches
 *                 this much (the loader caps it at a quarter of the ring);
 *                 below it the agent's short poll timeout picks records up.
 *                 0: the kernel's default (wake on a record into an empty ring).
 */
extern const volatile __u32 self_tgid;
extern const volatile __u32 wakeup_bytes;

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline struct scratch *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch_map, &zero);
}

/* Identity of a process: the group leader's start time (ns since boot). */
static __always_inline __u64 task_start_ns(struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	if (bpf_core_field_exists(leader->start_boottime))
		return BPF_CORE_READ(leader, start_boottime);
	return BPF_CORE_READ(leader, start_time);
}

static __always_inline void header_fill(struct ev_header *h, __u16 type, __u32 size,
					struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->abi = CUSTOS_ABI_VERSION;
	h->size = size;
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->start_ns = task_start_ns(task);
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Copies size bytes of data into the ring; counts a drop when it is full. */
static __always_inline void emit(void *data, __u64 size)
{
	__u64 flags = 0;

	/*
	 * The kernel's own wakeup (flags 0) fires only for a record written
	 * into an empty ring, which batching never leaves: the record that
	 * takes the waiting data past wakeup_bytes forces the wakeup, the
	 * others ask for none.
	 */
	if (wakeup_bytes) {
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

		flags = avail < wakeup_bytes && avail + size >= wakeup_bytes ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	}
	if (bpf_ringbuf_output(&events, data, size, flags)) {
		__u16 type = ((struct ev_header *)data)->type;

		stat_inc(STAT_RING_DROPS);
		stat_inc(type == EV_FILE ? STAT_DROPS_FILE :
			 type == EV_CONNECT ? STAT_DROPS_CONNECT :
			 type == EV_EXEC ? STAT_DROPS_EXEC : STAT_DROPS_PROC);
	}
}

#endif
