/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * maps.bpf.h - every BPF map of custos, in one place.
 *
 * Each *.bpf.c includes this file; the maps are declared __weak so that the
 * identical definitions in each object collapse into one map when
 * `bpftool gen object` links the objects into build/custos.bpf.o.
 *
 * For each map: who writes it, who reads it.  Key and value types of the
 * maps that the agent fills from the rules live in filter_maps.h (the
 * rule->map contract); the record layouts in events.h (the ring ABI).
 */
#ifndef CUSTOS_MAPS_BPF_H
#define CUSTOS_MAPS_BPF_H

#include "delivery.h"
#include "events.h"
#include "filter_maps.h"
#include "dnsparse.h"

/* events: BPF programs write records (events.h); the agent consumes them.
 * The agent sets its size before load (--ring-size, default 8 MiB). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events __weak SEC(".maps");

/* stats: BPF programs count (enum stat_idx); the agent reads and sums. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats __weak SEC(".maps");

/* agent_conf: the agent writes who it is and the flow limits (delivery.h);
 * every program reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct agent_conf);
} agent_conf __weak SEC(".maps");

/* repeats: emit() writes the current window of each coalescing key; the
 * agent reads closed windows and deletes them (delivery.h).  Full: emit()
 * sends records uncoalesced. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, REPEAT_MAX);
	__type(key, struct repeat_key);
	__type(value, struct repeat_val);
} repeats __weak SEC(".maps");

/* limits: emit() counts each process's bulk records, suppressed and
 * dropped ones; the agent reads them for a loss record's top processes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LIMIT_MAX);
	__type(key, struct limit_key);
	__type(value, struct limit_val);
} limits __weak SEC(".maps");

/* loss_rules: emit() counts each record it loses or suppresses under its
 * rule slots; the agent diffs the counts for a loss record's severities
 * and rules (delivery.h).  Full: counted in STAT_LOSS_UNKEYED_*. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOSS_RULES_MAX);
	__type(key, struct loss_key);
	__type(value, __u64);
} loss_rules __weak SEC(".maps");

/* run_state: the agent writes its heartbeat and the counters it saw; the
 * next agent reads it (delivery.h).  No BPF program touches it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct run_state);
} run_state __weak SEC(".maps");

/* pin_meta: the agent that pins the programs writes what they are; the next
 * agent reads it (delivery.h).  No BPF program touches it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pin_meta);
} pin_meta __weak SEC(".maps");

/* scratch: per-CPU buffers where a record is built before bpf_ringbuf_output;
 * BPF-only. Large enough for the biggest record plus the path walk's
 * working space (see path.bpf.h): two paths and a name's worth of slack,
 * since a name is written at a masked position.
 *
 * A program run owns one of its CPU's SCRATCH_SLOTS from scratch_claim() to
 * scratch_release() (common.bpf.h): on a preemptible kernel (7.x's lazy
 * preemption, or preempt=full) a run can be preempted half way, and
 * another task's run on that CPU (the same LSM program: the kernel does not
 * keep it from nesting) must not build its record in the same buffer. */
#define SCRATCH_SLOTS 4
struct scratch {
	union {
		struct ev_header h;
		struct ev_exec exec;
		struct ev_file file;
		struct ev_connect connect;
	};
	__u32 walk_pos;		/* path.bpf.h: write position in walk */
	__u32 walk_trunc;	/* path.bpf.h: the walk did not reach a root */
	__u32 walk_task;	/* path.bpf.h: where the task's root was met */
	__u32 walk_mnt;		/* path.bpf.h: where the file's mount was left */
	__u32 walk_view;	/* path.bpf.h: EV_VIEW_* found on the way */
	__u32 slot;		/* its own index, for the global functions */
	__u64 users;		/* runs that claimed the slot: 1, its owner's */
	char walk[2 * CUSTOS_PATH_MAX + 256];
	struct loss_key loss;	/* loss_count(): its key, off the stack */
	__u64 one;		/* loss_count(): a new key's first count */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map __weak SEC(".maps");

/* guard_scratch: the file guard's bits of the opened file (fileguard.bpf.h),
 * off the stack: 5.10 counts every frame of file__lsm's calls against 512
 * bytes.  One slot per run, claimed as scratch_map's are.  BPF-only. */
struct guard_scratch {
	struct guard_bits file;
	struct file_ident key;	/* the identity the tree walk looks up (off the stack) */
	__u64 users;		/* runs that claimed the slot: 1, its owner's */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct guard_scratch);
} guard_scratch __weak SEC(".maps");

/* file pre-filter (contract in filter_maps.h): the agent writes, file.bpf.c
 * (prefilter.bpf.h) reads; file_watch_ids, the bloom arrays and
 * file_dev_full are also written by the BPF side for files created under a
 * watched scope; file_verdicts and file_topo are the BPF side's own. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_cfg);
} file_cfg __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILE_IDS_MAX);
	__type(key, struct file_ident);
	__type(value, struct file_watch);
} file_watch_ids __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FILE_IDENT_BLOOM);
	__type(key, __u32);
	__type(value, __u8);
} file_ident_bloom __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FILE_DEV_SLOTS + 1);
	__type(key, __u32);
	__type(value, __u8);
} file_dev_full __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILE_WATCH_MAX);
	__type(key, struct file_name_key);
	__type(value, __u8);
} file_watch_names __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILE_WATCH_MAX);
	__type(key, struct file_name_key);
	__type(value, __u8);
} file_watch_dirnames __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILE_WATCH_MAX);
	__type(key, struct file_suffix_key);
	__type(value, __u8);
} file_watch_suffixes __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FILE_VERDICT_SETS);
	__type(key, __u32);
	__type(value, struct file_verdict_set);
} file_verdicts __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_topo);
} file_topo __weak SEC(".maps");

/* the file guard's tree bits per directory (filter_maps.h, guard_trees) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GUARD_TREE_SETS);
	__type(key, __u32);
	__type(value, struct guard_tree_way);
} guard_trees __weak SEC(".maps");

/* path_memo (delivery.h, 1): the hash of each path a file record was
 * sent with, by what the path is made of; file.bpf.c's own. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PATH_MEMO_MAX);
	__type(key, struct path_memo_key);
	__type(value, struct path_memo_val);
} path_memo __weak SEC(".maps");

/* net_dest: the agent writes (user/filters/net.c) every prefix of a connect rule's
 * `when.dest` or an `unless` condition's `dest`; net.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct net_dest_key);
	__type(value, struct net_dest_val);
} net_dest __weak SEC(".maps");

/* net_exe: the agent writes the identities of `unless: exe` executables
 * with their condition slots; net.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct net_exe_key);
	__type(value, __u64);
} net_exe __weak SEC(".maps");

/* net_conf: the agent writes the slot masks (filter_maps.h); net.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct net_conf);
} net_conf __weak SEC(".maps");

/* net_names: the agent writes each name slot's port range and bits
 * (filter_maps.h, "DNS names"); net.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NET_MAX_NAMES);
	__type(key, __u32);
	__type(value, struct net_port_bits);
} net_names __weak SEC(".maps");

/* dns_names: the agent writes each name pattern's slots; dns.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * NET_MAX_NAMES);
	__type(key, struct dns_name_key);
	__type(value, __u64);
} dns_names __weak SEC(".maps");

/* dns_bind: dns.bpf.c writes a binding per address of each trusted answer;
 * net.bpf.c reads; the agent rewrites slots on reload and counts entries.
 * Size set by the agent before load (--dns-table). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct dns_bind_key);
	__type(value, struct dns_bind_val);
} dns_bind __weak SEC(".maps");

/* dns_servers: the agent writes the trusted resolvers; dns.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct dns_server_key);
	__type(value, __u8);
} dns_servers __weak SEC(".maps");

/* dns_askers: socket cookie -> 1, sockets of the host's network namespace
 * that asked a trusted resolver; net.bpf.c writes, dns.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DNS_ASKERS);
	__type(key, __u64);
	__type(value, __u8);
} dns_askers __weak SEC(".maps");

/* dns_scratch: per-CPU working space of dns.bpf.c's parser; BPF-only. */
struct dns_scratch {
	struct dns_answer answer;
	struct dns_name_key key;
	struct dns_bind_val val;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch __weak SEC(".maps");

/* dns_conf: the agent writes; dns.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_conf);
} dns_conf __weak SEC(".maps");

/* exec guard (contract in filter_maps.h, "The guards"): the agent writes
 * (user/filters/exec.c), execguard.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAP_MAX);
	__type(key, struct file_ident);
	__type(value, struct guard_bits);
} exec_ids __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAP_MAX);
	__type(key, struct file_name_key);
	__type(value, struct guard_bits);
} exec_names __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAP_MAX);
	__type(key, __u32);
	__type(value, struct guard_uid_bits);
} exec_uids __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_conf);
} exec_conf __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAP_MAX);
	__type(key, struct exe_head_key);
	__type(value, struct guard_bits);
} exec_heads __weak SEC(".maps");

/* file guard (the same contract): the agent writes (user/filters/fileguard.c),
 * file.bpf.c's file__lsm reads (fileguard.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAP_MAX);
	__type(key, struct file_ident);
	__type(value, struct guard_bits);
} fileguard_ids __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAP_MAX);
	__type(key, struct file_name_key);
	__type(value, struct guard_bits);
} fileguard_names __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAP_MAX);
	__type(key, __u32);
	__type(value, struct guard_uid_bits);
} fileguard_uids __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_conf);
} fileguard_conf __weak SEC(".maps");

/* proc_class (filter_maps.h, "Per-process state"): exec.bpf.c writes at fork,
 * exec and exit, the agent writes a program's classes; every program that
 * builds a record reads it (header_fill). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROC_STATE_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct proc_class);
} proc_class __weak SEC(".maps");

/* proc_label (filter_maps.h, "Per-process state"): the kernel writes
 * (exec.bpf.c at fork and exit, file.bpf.c when a file label rule fires),
 * and the agent when an exec or connect rule with set_labels fires; every
 * program that builds a record or decides on labels reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROC_STATE_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct proc_label);
} proc_label __weak SEC(".maps");

/* label_conf: the agent writes (which label slots mean something, since
 * when, for how long); the programs read. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct label_conf);
} label_conf __weak SEC(".maps");

#endif
