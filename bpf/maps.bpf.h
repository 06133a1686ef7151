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

#include "events.h"
#include "filter_maps.h"

/* events: BPF programs write records (events.h); the agent consumes them.
 * Size set by the agent before load (--ring-size), default 16 MiB. */
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

/* scratch: per-CPU buffer where a record is built before bpf_ringbuf_output;
 * BPF-only. Large enough for the biggest record (ev_exec) plus the path walk's
 * working space (see path.bpf.h). */
struct scratch {
	union {
		struct ev_header h;
		struct ev_exec exec;
		struct ev_file file;
	};
	__u32 walk_pos;		/* path.bpf.h: write position in walk */
	__u32 walk_trunc;	/* path.bpf.h: the walk did not reach a root */
	char walk[2 * CUSTOS_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map __weak SEC(".maps");

/* file pre-filter (contract in filter_maps.h): the agent writes, file.bpf.c reads. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_cfg);
} file_cfg __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILE_WATCH_MAX);
	__type(key, struct file_ident);
	__type(value, __u8);
} file_watch_ids __weak SEC(".maps");

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

/* proc_label (filter_maps.h, "Per-process state"): the kernel alone writes
 * (exec.bpf.c at fork and exit, file.bpf.c when a label rule fires); every
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
