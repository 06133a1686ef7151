/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc_cache.h - what the agent knows about each process: its program,
 * argv, uid, cgroup and parent, so a record can show the acting process and
 * its lineage.
 *
 * Pure module: no I/O.  The agent feeds it the kernel's fork/exec/exit
 * events (proc_cache_fork/exec/exit) and, once at start-up, the processes
 * that already ran (proc_seed.h reads /proc and calls proc_cache_insert).
 * The decoder looks up the acting process and its lineage for every event.
 *
 * Identity: a process is (pid, start time), so a reused pid never aliases.
 * Kernel events carry start_ns = task->start_boottime in ns; /proc only gives
 * the same clock in ticks (USER_HZ).  Entries from /proc are "coarse": they
 * store ticks and match a kernel start_ns when start_ns / ns_per_tick equals
 * them; entries from events are precise and match only on equality.  The
 * first precise event for a coarse entry (exec) makes it precise.
 *
 * Generations: each pid has at most one live entry.  An event for the pid
 * with another start time is another process: the old entry is retired as
 * if it had exited.  Exited entries stay in a bounded "graveyard" (FIFO,
 * default 4096) so a record emitted just after a parent exited still shows
 * its lineage; the parent of an entry is the newest generation of ppid that
 * started no later than the entry itself.
 *
 * Bounds: at most max_entries entries; when full, the oldest exited entry
 * goes first, then the least recently used live one (a process whose exit
 * event was lost).  Pointers returned by lookups stay valid until the next
 * call that changes the cache (fork, exec, exit, insert, set_*, lookups
 * do not free).
 */
#ifndef CUSTOS_PROC_CACHE_H
#define CUSTOS_PROC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/ident.h"

#define PROC_CACHE_MAX_ENTRIES	65536
#define PROC_CACHE_MAX_EXITED	4096
#define PROC_COMM_LEN		16

/* proc_exe_info.flags: the bits of CEV_EXE_* (record/event.h) */
enum {
	PROC_EXE_MEMFD = 1u << 0,
	PROC_EXE_DELETED = 1u << 1,
	PROC_EXE_LOADER = 1u << 2,
	PROC_EXE_ELSEWHERE = 1u << 3,
};

/* What the kernel (or /proc) says of a process's executable beyond its path. */
struct proc_exe_info {
	struct ident id;	/* 0/0: unknown */
	uint64_t size;		/* with head, its fingerprint (bpf/filter_maps.h); 0: unknown */
	uint64_t head;
	uint32_t flags;		/* PROC_EXE_* */
};

/*
 * Where a data-flow label a process carries came from (the kernel keeps
 * which labels it holds; this is what the records say of each): a child
 * inherits it with the label.
 */
struct proc_label_src {
	uint32_t slot;		/* the kernel's label slot (agent/labels.h) */
	uint64_t seq;		/* the record that set it; 0: none (a label-only rule) */
	uint64_t time_ns;	/* when (CLOCK_REALTIME) */
	char *rule;		/* owned: the rule that set it */
	char *via;		/* owned: a label-only rule's file; NULL: none */
};

struct proc_entry {
	uint32_t pid;		/* tgid */
	uint32_t ppid;		/* tgid of the real parent; 0: none or unknown */
	uint64_t start;		/* precise: start_boottime ns; coarse: ticks since boot */
	uint8_t coarse;		/* seeded from /proc, start is in ticks */
	uint8_t exited;
	uint8_t exe_truncated;
	uint8_t args_truncated;
	uint32_t uid;
	uint64_t cgroup_id;	/* 0: unknown */
	char comm[PROC_COMM_LEN];	/* NUL-terminated */
	char *exe;		/* owned, NUL-terminated; exe_len bytes; "" when unknown */
	uint32_t exe_len;
	char *args;		/* owned; argv entries each followed by NUL */
	uint32_t args_len;
	struct proc_exe_info exe_info;
	char *prev_exe;		/* owned; the program before the last exec; NULL: none */
	uint32_t prev_exe_len;
	uint8_t exe_execd;	/* exe is a program it exec'd (not its parent's, from fork) */
	uint8_t copies_known;	/* copies is worked out for this program */
	uint32_t n_copies;
	struct ident *copies;	/* owned: the `exe_content` programs it is a copy of */
	uint64_t self;		/* classes of its program (the agent's numbering) */
	uint64_t lineage;	/* classes of its ancestors and former programs */
	struct proc_label_src *labels;	/* owned: its labels' sources, by slot */
	uint32_t n_labels;

	/* private to proc_cache.c */
	struct proc_entry *hnext;		/* hash chain */
	struct proc_entry *prev, *next;		/* live LRU or exited FIFO */
};

struct proc_list {
	struct proc_entry *head, *tail;	/* head: next to evict */
	size_t n;
};

struct proc_cache {
	struct proc_entry **buckets;	/* by pid; all generations of a pid */
	size_t nbuckets;		/* a power of two */
	struct proc_list live;		/* least recently used first */
	struct proc_list exited;	/* oldest exit first */
	size_t max_entries;
	size_t max_exited;
	uint64_t ns_per_tick;		/* 1e9 / sysconf(_SC_CLK_TCK) */
	uint64_t evicted;		/* entries dropped to stay in bounds */
};

/* hint: processes expected (sizes the table).  Returns 0 or -ENOMEM. */
int proc_cache_init(struct proc_cache *c, size_t hint);
void proc_cache_free(struct proc_cache *c);

/* Changes the bounds (each >= 1, max_exited <= max_entries), evicting now. */
void proc_cache_set_limits(struct proc_cache *c, size_t max_entries, size_t max_exited);
/* Clock ticks per second of /proc/PID/stat starttime (tests; default sysconf). */
void proc_cache_set_clk_tck(struct proc_cache *c, long ticks_per_sec);

/*
 * A process forked (not a thread).  The child starts as a copy of the live
 * parent's exe (and what is known of it), args, uid, cgroup and comm when
 * the parent is known; its lineage is the parent's with the parent's own
 * classes.  Returns 0 or -ENOMEM.
 */
int proc_cache_fork(struct proc_cache *c, uint32_t pid, uint32_t ppid, uint64_t start_ns);

/*
 * A process executed a program.  Creates the entry if it is unknown (ppid
 * then 0).  comm becomes the basename of exe, as the kernel does; an event
 * carrying the real comm can correct it with proc_cache_set_comm().  The
 * program it ran becomes prev_exe and its classes join the lineage; what is
 * known of the new one (exe_info, copies, self) starts empty.
 * Returns 0 or -ENOMEM.
 */
int proc_cache_exec(struct proc_cache *c, uint32_t pid, uint64_t start_ns,
		    const char *exe, size_t exe_len, int exe_trunc,
		    const char *args, size_t args_len, int args_trunc, uint32_t uid);

/* A process exited: moves it to the graveyard.  Returns 0 or -ENOENT. */
int proc_cache_exit(struct proc_cache *c, uint32_t pid, uint64_t start_ns);

/*
 * Inserts a copy of tmpl's public fields (pid .. args_len) as the live
 * generation of tmpl->pid.  Used to seed from /proc (coarse = 1).  An entry
 * already known precisely for the same process is kept as it is.
 * Returns 0 or -ENOMEM.
 */
int proc_cache_insert(struct proc_cache *c, const struct proc_entry *tmpl);

/* Update one field of a known process; 0 or -ENOENT. */
int proc_cache_set_comm(struct proc_cache *c, uint32_t pid, uint64_t start_ns, const char *comm);
int proc_cache_set_cgroup(struct proc_cache *c, uint32_t pid, uint64_t start_ns, uint64_t cgroup_id);
int proc_cache_set_exe_info(struct proc_cache *c, uint32_t pid, uint64_t start_ns,
			    const struct proc_exe_info *info);
/* Replaces the program's exe path (the dynamic loader's program); 0, -ENOENT, -ENOMEM. */
int proc_cache_set_exe(struct proc_cache *c, uint32_t pid, uint64_t start_ns, const char *exe,
		       size_t len);
/* The `exe_content` programs it is a copy of (copies_known from then on). */
int proc_cache_set_copies(struct proc_cache *c, uint32_t pid, uint64_t start_ns,
			  const struct ident *ids, size_t n);
int proc_cache_set_classes(struct proc_cache *c, uint32_t pid, uint64_t start_ns, uint64_t self,
			   uint64_t lineage);
/* The source of label slot src->slot (added, or replacing the slot's): 0, -ENOENT, -ENOMEM. */
int proc_cache_set_label(struct proc_cache *c, uint32_t pid, uint64_t start_ns,
			 const struct proc_label_src *src);
/* e's source of label slot, or NULL. */
const struct proc_label_src *proc_cache_label(const struct proc_entry *e, uint32_t slot);

/* The process (pid, start_ns), live or exited, or NULL. */
const struct proc_entry *proc_cache_lookup(struct proc_cache *c, uint32_t pid, uint64_t start_ns);
/* The live generation of pid, else its newest exited one, else NULL. */
const struct proc_entry *proc_cache_lookup_pid(struct proc_cache *c, uint32_t pid);

/*
 * e's ancestors, nearest first (parent first), following ppid until pid 1,
 * a process without a known parent, a loop, or max.  Returns the count.
 */
size_t proc_cache_lineage(struct proc_cache *c, const struct proc_entry *e,
			  const struct proc_entry **out, size_t max);

/*
 * Up to max entries, the live ones first (then, with exited, the exited
 * ones), without touching them: a snapshot to walk while calling the
 * cache (pointers stay valid until an entry is dropped).  Returns the count.
 */
size_t proc_cache_snapshot(const struct proc_cache *c, const struct proc_entry **out, size_t max,
			   int exited);

static inline size_t proc_cache_count(const struct proc_cache *c)
{
	return c->live.n + c->exited.n;
}

#endif
