/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * delivery.h - how records reach the agent when someone floods, and what
 * one agent run leaves to the next: the contract between emit()
 * (common.bpf.h) and the agent (user/agent/flow.c, user/agent/agent.c).
 *
 * emit() puts a record in the ring only after three checks, in this order,
 * for the bulk records (EV_FILE, EV_CONNECT, EV_IOURING; never for exec,
 * fork and exit, which the process cache needs):
 *
 *   1. coalescing (repeats): the first record of a key in a window of
 *      agent_conf.repeat_ns goes out; the same key again in that window
 *      only counts (repeat_val).  The key is the process (tgid and start
 *      time), the record type, and what makes two records the same event:
 *      a file's identity, access, flags and verdict; a connect's address,
 *      port, protocol, operation and verdict; an io_uring opcode.  And,
 *      for files and connects, how many times the process has exec'd
 *      (exec_seq): a program the process execs into starts windows of its
 *      own, so that an allowed program's open or connect cannot make the
 *      same one by the next program a repeat of its own.  A process that
 *      has exec'd EXEC_SEQ_MAX times or more (or whose task the hook cannot
 *      read) is not coalesced: it could not be told from its next program.
 *      The agent reads the windows that have closed, reports each count as
 *      one record (`repeat`: count, first, last) made from the first record
 *      of that key it received, and deletes them.  Windows are aligned
 *      (ts_boot_ns / repeat_ns), so the kernel writes only the current
 *      window's entry and the agent only past ones: no count is taken twice.
 *      A file record's key holds the hash of its path, which only the path
 *      walk gives.  So that a repeat costs no walk, the tracepoint variants
 *      remember the hash of each path they sent, with the file's identity
 *      (path_memo, by what the path is made of: the dentry, its parent,
 *      name and inode, the mount, the file's inode, and the generations of
 *      the dentry tree and of the mount tree) and count a repeat from it
 *      before building anything; they only count there, into a window that
 *      a sent record opened.  What the hash is remembered by changes with
 *      every way the path could change: a rename (any rename syscall bumps
 *      file_topo.gen; the file's own parent and name are in the key too), a
 *      mount, unmount, move or pivot_root (file_topo.mounts), a name made
 *      again where a freed dentry was (its parent, name or inode differ).
 *      A truncated or disconnected path is not remembered.  Under lsm and
 *      fentry no program sees the mount syscalls: no path is remembered.
 *   2. the per-process limit (limits): at most agent_conf.limit records per
 *      second per process; beyond it a record is suppressed and counted
 *      (STAT_LIMIT_*, limit_val.suppressed), and the agent reports the
 *      count in a loss record (where "ratelimit") with the top processes.
 *   3. the reserve: a bulk record that is not a refusal may fill the ring
 *      only up to 100 - agent_conf.reserve_pct percent, so that exec, fork,
 *      exit and refusals always find room.  Refused here, it is a ring loss
 *      (STAT_RING_DROPS and its kind, STAT_RESERVE, limit_val.dropped).
 *
 * Every count is exact: records + repeat counts + reported losses = events.
 * What a lost or suppressed record was about (the rule slots it carried)
 * is counted in loss_rules, below, on the loss's path only.
 */
#ifndef CUSTOS_DELIVERY_H
#define CUSTOS_DELIVERY_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#include "events.h"

#define REPEAT_MAX 16384	/* coalescing entries (about two windows' keys) */
#define EXEC_SEQ_MAX 255	/* exec_seq: this many execs or more, or not known */
#define LIMIT_MAX 8192		/* processes with a record budget */
#define LOSS_RULES_MAX 1024	/* kinds of lost record the kernel tells apart */

/* agent_conf[0]: the agent writes it at start (and when it adopts pinned
 * programs); every program reads it.  All 0: no agent, nothing limited. */
struct agent_conf {
	__u32 self_tgid;	/* the agent: its own opens and connects are not reported */
	__u32 limit;		/* bulk records per second per process; 0: no limit */
	__u64 self_start_ticks;	/* the agent's start time in ticks (/proc/PID/stat) */
	__u64 ns_per_tick;	/* with it: a reused pid is not the agent */
	__u64 repeat_ns;	/* the coalescing window; 0: no coalescing */
	__u32 reserve_pct;	/* ring share bulk records leave to the others */
	__u32 pad;
};

/* repeats: key of one coalescing window (all fields set, padding zero). */
struct repeat_key {
	__u64 start_ns;		/* the process: its start time and tgid */
	__u64 a, b;		/* file: dev, ino; connect: the address's two halves */
	__u64 path;		/* file: repeat_path_hash() of its path */
	__u64 mask;		/* the rule slots the record carries */
	__u32 tgid;
	__u32 win;		/* ts_boot_ns / repeat_ns; 0 in the agent's own table */
	__u32 c;		/* file: open flags; connect: port | proto << 16 | family << 24;
				 * io_uring: the opcode */
	__u16 type;		/* EV_FILE, EV_CONNECT, EV_IOURING */
	__u16 gen;
	__u8 d;			/* file: access; connect: op */
	__u8 e;			/* connect: ipproto */
	__u8 blocked;
	__u8 exec_seq;		/* file, connect: the record's */
	__u8 pad[4];
};
_Static_assert(sizeof(struct repeat_key) == 64, "repeat_key layout");

/* repeats: what the window counted after its first record. */
struct repeat_val {
	__u64 count;
	__u64 first_ns, last_ns;	/* ts_boot_ns of the first and last of them */
};

/* path_memo: what a file record's path is made of (all fields set). */
struct path_memo_key {
	__u64 dentry;		/* file->f_path.dentry */
	__u64 mnt;		/* file->f_path.mnt */
	__u64 parent;		/* the dentry's d_parent, d_name.hash_len, d_inode */
	__u64 hash_len;
	__u64 inode;
	__u64 f_inode;		/* file->f_inode (another than d_inode on overlayfs) */
	__u32 topo;		/* file_topo.gen and .mounts, low 32 bits each */
	__u32 mounts;
};

/* path_memo: the record's path hash, and the identity of f_inode. */
struct path_memo_val {
	__u64 hash;
	__u64 dev, ino;
};

#define PATH_MEMO_MAX 8192	/* paths remembered (least recently used go) */

/* limits: a process's record budget, keyed by its identity. */
struct limit_key {
	__u64 start_ns;
	__u32 tgid;
	__u32 pad;
};

struct limit_val {
	__u64 win;		/* the second (ts_boot_ns / 1e9) n counts */
	__u64 n;		/* bulk records in that second */
	__u64 suppressed;	/* over the limit, ever (the agent diffs) */
	__u64 dropped;		/* refused by the ring or the reserve, ever */
};

/*
 * loss_rules: what the records lost were, by the rule slots they carried.
 * Every record that emit() suppresses over the limit (2) or loses to the
 * ring or the reserve (3) adds 1 to the count of its key {where, record
 * type, rule_mask, gen}, or, when the map is full and its key is not in it,
 * to STAT_LOSS_UNKEYED_RING / _LIMIT: counted, not attributed.  It counts
 * before the loss counters (STAT_RING_DROPS, STAT_LIMIT_*) do, so that a
 * loss the agent reads in the counters is in this map or in the unkeyed
 * counter when it reads them after.  rule_mask and gen are the record's
 * (exec, file, connect and socket records; 0 for the others, and for file
 * and exec records no guard refused), numbered by the rule set gen names,
 * in the slot table of the record type's family (exec: the exec guard's,
 * file: the file guard's, connect and socket: the egress rules').  The
 * counts only grow (the agent diffs); the agent deletes a key of an
 * earlier rule set once it has reported all of its count, so that reloads
 * do not fill the map.  Only the drop paths touch the map.
 */
enum {
	LOSS_AT_RING = 1,	/* the ring was full, or the reserve kept it out */
	LOSS_AT_LIMIT = 2,	/* over its process's limit */
};

struct loss_key {
	__u64 mask;		/* the record's rule_mask */
	__u16 type;		/* enum ev_type */
	__u16 gen;		/* the record's gen */
	__u8 where;		/* LOSS_AT_* */
	__u8 pad[3];
};
_Static_assert(sizeof(struct loss_key) == 16, "loss_key layout");

/*
 * run_state[0]: written by the agent every 100 ms, read by the next agent
 * that adopts the pinned programs; no BPF program touches it.  seen holds
 * the counters (enum stat_idx) as of alive_ns: what the kernel counted after
 * it, no agent saw (the gap record's `counted`).
 */
#define RUN_STATE_VERSION 1
struct run_state {
	__u32 version;		/* RUN_STATE_VERSION; 0: no agent ever wrote it */
	__u32 clean;		/* the agent stopped cleanly */
	__u64 alive_ns;		/* CLOCK_REALTIME of the last write */
	__u64 seen[STAT__COUNT];
};

/*
 * pin_meta[0]: what the programs pinned in bpffs are (user/kernel/pin.c).
 * Written by the agent that pinned them (policy again on every reload),
 * read by the next agent to decide: adopt them as they are, or load its own
 * and swap.  No BPF program touches it.  The first three fields stay where
 * they are in every version, so that any later agent can read them.
 */
#define PIN_META_VERSION 1
#define PIN_HOOKS_SIZE 512
struct pin_meta {
	__u32 version;		/* PIN_META_VERSION */
	__u32 abi;		/* CUSTOS_ABI_VERSION of the programs */
	__u8 object[32];	/* SHA-256 of the BPF object they were loaded from */
	__u32 backend;		/* user/kernel/loader.h enum backend that loaded */
	__u32 ring_bytes;	/* the ring's size */
	__u32 wakeup_bytes;	/* rodata as loaded */
	__u32 egress_off;	/* the cgroup programs did not load */
	char policy[80];	/* "sha256:..." of the rules in the maps */
	char hooks[PIN_HOOKS_SIZE];	/* the programs attached, space-separated */
};

/*
 * A file record's path as one number (FNV-1a over little-endian 8-byte
 * words, the last one zero-padded): two opens of one inode by two names are
 * two keys, so that an innocent name cannot make a watched name's open a
 * repeat of its own.  p must hold CUSTOS_PATH_MAX bytes in BPF (the last
 * word is read whole and masked: one branch per word for the verifier),
 * len bytes in the agent.
 */
static inline __u64 repeat_path_hash(const char *p, __u32 len)
{
	__u64 h = 14695981039346656037ULL;

	for (__u32 i = 0; i < CUSTOS_PATH_MAX / 8; i++) {
		__u32 off = i * 8;
		__u64 w = 0;

		if (off >= len)
			break;
#ifdef __BPF__
		__builtin_memcpy(&w, p + off, 8);
		if (len - off < 8)
			w &= (1ULL << ((len - off) * 8)) - 1;
#else
		for (__u32 j = 0; j < 8 && off + j < len; j++)
			w |= (__u64)(__u8)p[off + j] << (8 * j);
#endif
		h = (h ^ w) * 1099511628211ULL;
	}
	return h;
}

/* The execs since fork as exec_seq: EXEC_SEQ_MAX from there on. */
static inline __u8 exec_seq_clamp(__u64 n)
{
	return n < EXEC_SEQ_MAX ? (__u8)n : EXEC_SEQ_MAX;
}

/*
 * A file record's coalescing key (win 0) from its fields: what
 * repeat_key_file() takes from a record, and file.bpf.c
 * (file_repeat_counted) from a remembered path before building one.
 */
static inline void repeat_key_file_of(struct repeat_key *k, __u64 start_ns, __u32 tgid,
				      __u64 dev, __u64 ino, __u64 path_hash, __u32 flags,
				      __u8 access, __u8 exec_seq)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->start_ns = start_ns;
	k->tgid = tgid;
	k->type = EV_FILE;
	k->a = dev;
	k->b = ino;
	k->path = path_hash;
	k->c = flags;
	k->d = access;
	k->exec_seq = exec_seq;
}

/* The coalescing keys (win 0) of the three kinds of bulk record; a file's
 * with the repeat_path_hash() of its path. */
static inline void repeat_key_file(const struct ev_file *f, __u64 path_hash,
				   struct repeat_key *k)
{
	repeat_key_file_of(k, f->h.start_ns, f->h.pid, f->dev, f->ino, path_hash, f->flags,
			   f->access, f->exec_seq);
	k->mask = f->rule_mask;
	k->gen = f->gen;
	k->blocked = f->blocked;
}

static inline void repeat_key_connect(const struct ev_connect *c, struct repeat_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->start_ns = c->h.start_ns;
	k->tgid = c->h.pid;
	k->type = EV_CONNECT;
	__builtin_memcpy(&k->a, c->addr, sizeof(k->a));
	__builtin_memcpy(&k->b, c->addr + sizeof(k->a), sizeof(k->b));
	k->mask = c->rule_mask;
	k->c = c->port | (__u32)c->proto << 16 | (__u32)c->family << 24;
	k->gen = c->gen;
	k->d = c->op;
	k->e = c->ipproto;
	k->blocked = c->blocked;
	k->exec_seq = c->exec_seq;
}

static inline void repeat_key_iouring(const struct ev_iouring *u, struct repeat_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->start_ns = u->h.start_ns;
	k->tgid = u->h.pid;
	k->type = EV_IOURING;
	k->c = u->opcode;
}

#ifndef __BPF__
/*
 * The agent's side: the key of a record of size bytes as the ring gave it
 * (win 0): 1, or 0 when it is not a bulk record or is cut short.  emit()
 * calls the typed ones above, knowing each record's type when compiled.
 */
static inline int repeat_key_of(const void *rec, __u64 size, struct repeat_key *k)
{
	const struct ev_header *h = (const struct ev_header *)rec;

	if (size < sizeof(*h))
		return 0;
	if (h->type == EV_FILE && size >= EV_FILE_FIXED &&
	    EV_FILE_FIXED + (__u64)((const struct ev_file *)rec)->path_len <= size) {
		const struct ev_file *f = (const struct ev_file *)rec;

		repeat_key_file(f, repeat_path_hash(f->data, f->path_len), k);
		return 1;
	}
	if (h->type == EV_CONNECT && size >= sizeof(struct ev_connect)) {
		repeat_key_connect((const struct ev_connect *)rec, k);
		return 1;
	}
	if (h->type == EV_IOURING && size >= sizeof(struct ev_iouring)) {
		repeat_key_iouring((const struct ev_iouring *)rec, k);
		return 1;
	}
	return 0;
}
#endif

#endif
