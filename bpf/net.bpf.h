/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * net.bpf.h - the egress decision (filter_maps.h, "connect") that every
 * egress program takes: the sock_addr and LSM send hooks (net.bpf.c) and the
 * socket creation and source-route hooks (netsock.bpf.c).
 */
#ifndef CUSTOS_NET_BPF_H
#define CUSTOS_NET_BPF_H

#include "common.bpf.h"

/* Kernel constants that vmlinux.h (BTF) does not carry. */
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMPV6 58
#define IPPROTO_SCTP 132
#define IPPROTO_UDPLITE 136
#define IPPROTO_MPTCP 262
#define TCP_ESTABLISHED 1

/* Tunable (rodata, set by the loader): NET_HELPER_* (filter_maps.h).  A
 * branch on it is dead code to the verifier where the bit is 0, so a helper
 * call behind it is never checked on a kernel that lacks it. */
extern const volatile __u32 net_helpers;

/* The kind of socket (enum ev_proto) from its type and protocol. */
static __always_inline int net_proto_of(__u32 type, __u32 proto)
{
	if (type == SOCK_RAW)
		return EV_PROTO_RAW;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_MPTCP:
		return EV_PROTO_TCP;
	case IPPROTO_UDP:
		return EV_PROTO_UDP;
	case IPPROTO_UDPLITE:
		return EV_PROTO_UDPLITE;
	case IPPROTO_SCTP:
		return EV_PROTO_SCTP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return type == SOCK_DGRAM ? EV_PROTO_ICMP : EV_PROTO_OTHER;
	}
	return EV_PROTO_OTHER;
}

/* Does a protocol of this kind carry ports that rules may name? */
static __always_inline int net_has_ports(int proto)
{
	return proto == EV_PROTO_TCP || proto == EV_PROTO_UDP || proto == EV_PROTO_UDPLITE ||
	       proto == EV_PROTO_SCTP;
}

static __always_inline struct task_struct *net_task(void)
{
	return net_helpers & NET_HELPER_TASK ? (struct task_struct *)bpf_get_current_task() : 0;
}

/*
 * Is the caller the agent itself (whose own traffic is not judged)?  The
 * agent's pid is in agent_conf (delivery.h), so that programs a new agent
 * adopts know it; where the task can be read, its start time too, so that
 * a process that reuses the pid of an agent gone is judged.
 */
static __always_inline int net_is_self(void)
{
	struct agent_conf *a = agent_conf_get();

	if (!a || !a->self_tgid)
		return 0;
	if ((net_helpers & (NET_HELPER_ID | NET_HELPER_TASK)) ==
	    (NET_HELPER_ID | NET_HELPER_TASK))
		return is_agent();
	if (net_helpers & NET_HELPER_ID)
		return (bpf_get_current_pid_tgid() >> 32) == a->self_tgid;
	if (net_helpers & NET_HELPER_TASK)
		return BPF_CORE_READ(net_task(), tgid) == a->self_tgid;
	return 0;
}

/* The connect rules' masks, or NULL when none is in force. */
static __always_inline struct net_conf *net_conf_active(void)
{
	__u32 zero = 0;
	struct net_conf *c = bpf_map_lookup_elem(&net_conf, &zero);

	return c && c->active ? c : 0;
}

/* The connect rules' masks, or NULL when none is in force or the caller is the agent. */
static __always_inline struct net_conf *net_conf_get(void)
{
	struct net_conf *c = net_conf_active();

	return c && !net_is_self() ? c : 0;
}

/* The condition slots whose `unless: exe` names the current executable. */
static __always_inline __u64 net_exe_conds(struct task_struct *task)
{
	struct net_exe_key k = {};
	struct inode *ino;
	__u64 *v;

	if (!task)
		return 0;
	ino = BPF_CORE_READ(task, mm, exe_file, f_inode);
	if (!ino)
		return 0;
	k.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	k.ino = BPF_CORE_READ(ino, i_ino);
	v = bpf_map_lookup_elem(&net_exe, &k);
	return v ? *v : 0;
}

/*
 * The flagged rule slots of a call of protocol kind proto, given the rule
 * slots whose `when` holds so far and the condition slots whose `dest`
 * holds (filter_maps.h, "connect").
 */
static __always_inline __u64 net_judge(const struct net_conf *c, __u64 when, __u64 cond_dest,
				       int proto, struct task_struct *task)
{
	int p = proto & (NET_PROTOS - 1);
	__u64 holds;

	when &= c->active & c->proto[p];
	if (!when)
		return 0;
	holds = c->cond_valid & (cond_dest | ~c->cond_need_dest) & c->cond_proto[p];
	/* labels: looked up only when a rule or condition left needs them; a
	 * process that cannot be named (no task here) holds them all for
	 * `when` and none for `unless`: reported, never passed */
	if ((when & c->need_labels) || (holds & c->cond_need_labels)) {
		if (task) {
			__u64 held = labels_held(BPF_CORE_READ(task, tgid), task_start_ns(task));

			when &= slots_of(held, c->label_when, PROC_LABEL_MAX) | ~c->need_labels;
			holds &= slots_of(held, c->label_unless, PROC_LABEL_MAX) |
				 ~c->cond_need_labels;
		} else {
			holds &= ~c->cond_need_labels;
		}
	}
	if (holds & c->cond_need_exe)
		holds &= net_exe_conds(task) | ~c->cond_need_exe;
	return when & ~guard_suppressed(holds, c->cond_owner);
}

/*
 * The header of an egress record.  With NET_HELPER_ID, as every record's
 * (header_fill); with the task alone (5.10's cgroup programs), every field
 * read from it; with neither, ppid, the start time, pid, tid and comm are
 * 0 and the agent fills what it can from its process cache (filter_maps.h).
 */
static __always_inline void net_header(struct ev_header *h, __u16 type, __u32 size,
				       struct task_struct *task)
{
	struct proc_class *pc;
	__u64 id;

	if (task && (net_helpers & NET_HELPER_ID)) {
		header_fill(h, type, size, task);
		return;
	}
	h->lineage = h->labels = 0;	/* the process's state: known only with its task */
	h->type = type;
	h->abi = CUSTOS_ABI_VERSION;
	h->size = size;
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->uid = (__u32)bpf_get_current_uid_gid();
	if (task) {
		h->pid = BPF_CORE_READ(task, tgid);
		h->tid = BPF_CORE_READ(task, pid);
		h->ppid = BPF_CORE_READ(task, real_parent, tgid);
		h->start_ns = task_start_ns(task);
		BPF_CORE_READ_STR_INTO(&h->comm, task, comm);
		pc = proc_class_of(h->pid, h->start_ns);
		h->lineage = pc ? pc->lineage : 0;
		h->labels = labels_held(h->pid, h->start_ns);
	} else if (net_helpers & NET_HELPER_ID) {
		id = bpf_get_current_pid_tgid();
		h->pid = id >> 32;
		h->tid = (__u32)id;
		bpf_get_current_comm(h->comm, sizeof(h->comm));
	}
}

#endif
