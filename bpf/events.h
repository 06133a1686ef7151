/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * events.h - THE ring-buffer ABI between the BPF programs and the agent.
 *
 * This is the only struct layout shared by both sides.  Rules for changing it:
 * fixed-width types only, explicit padding, enum values numbered by hand and
 * never reused, sizes pinned by _Static_assert, and CUSTOS_ABI_VERSION bumped
 * on any incompatible change (the agent refuses records of another version).
 *
 * Every record starts with struct ev_header.  h.size is the record's total
 * length in bytes, including any variable-length tail; the agent checks it
 * against the fixed part before reading a field.
 */
#ifndef CUSTOS_EVENTS_H
#define CUSTOS_EVENTS_H

#ifdef __BPF__
/* vmlinux.h provides __u8 .. __u64 */
#else
#include <linux/types.h>
#endif

#define CUSTOS_ABI_VERSION 5	/* 2: ev_exec carries blocked, rule_mask, gen;
				 * 3: ev_file too; 4: ev_connect.ipproto (raw);
				 * 5: ev_connect.proto is enum ev_proto, ipproto
				 *    16 bits; EV_SOCKET; 64 counters
				 *    (delivery.h's among them); ev_file's views,
				 *    inode generation, watch; ev_header.lineage
				 *    and labels, ev_exec's executable identity,
				 *    fingerprint, flags */

/* Kernel-side limits; a value cut at one of them carries a *_trunc flag. */
#define CUSTOS_PATH_MAX 4096	/* bytes of a resolved path, no NUL */
#define CUSTOS_ARGS_MAX 4096	/* bytes of argv (NUL-separated) */
#define CUSTOS_COMM_LEN 16

enum ev_type {
	EV_EXEC = 1,		/* a task finished execve(): the new program */
	EV_FORK = 2,		/* a new process (not a thread) */
	EV_EXIT = 3,		/* a process's leader exited */
	EV_FILE = 4,		/* an open that the file pre-filter let through */
	EV_CONNECT = 5,		/* a connect/sendmsg that the egress decision flagged */
	EV_IOURING = 6,		/* an io_uring open submitted (tracepoint backends only) */
	EV_SOCKET = 7,		/* a raw, ping or packet socket made, or a source route set */
};

/*
 * 80 bytes, first in every record.  lineage and labels are the acting
 * process's per-process state (filter_maps.h, "Per-process state") when the
 * hook ran: kept in the kernel, so they hold after the agent's process cache
 * forgot an ancestor.
 */
struct ev_header {
	__u16 type;		/* enum ev_type */
	__u16 abi;		/* CUSTOS_ABI_VERSION */
	__u32 size;		/* total bytes of this record */
	__u64 ts_boot_ns;	/* bpf_ktime_get_boot_ns() when the hook ran */
	__u64 start_ns;		/* acting process's start_boottime (ns): with pid, its identity */
	__u64 cgroup_id;	/* cgroup v2 id of the acting task */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 ppid;		/* tgid of real_parent */
	__u32 uid;		/* real uid */
	char comm[CUSTOS_COMM_LEN];
	__u64 lineage;		/* class bits of the process's ancestors and former programs */
	__u64 labels;		/* label slots it holds (expired ones left out) */
};
_Static_assert(sizeof(struct ev_header) == 80, "ev_header ABI");

/*
 * EV_EXEC: the process after exec.  Tail layout (no padding, no NULs added):
 *   data[0 .. exe_len)                    absolute path of the new executable,
 *                                         walked from mm->exe_file in the kernel
 *   data[exe_len .. exe_len + args_len)   argv from the new mm, each entry
 *                                         followed by NUL (as /proc/PID/cmdline)
 *
 * blocked = 1: an exec refused by an exec block rule in the BPF LSM hook
 * bprm_check_security (bpf/execguard.bpf.c).  Then h is the calling process
 * (its pid, comm and uid: the exec never happened), data holds the refused
 * program's path walked from bprm->file and argv as the caller's memory held
 * it (args_len 0 where the kernel lacks bpf_task_pt_regs, before 5.15),
 * rule_mask the exec guard's rule slots that refused it, numbered by the
 * rule set that gen names (filter_maps.h, "The guards").  blocked = 0:
 * rule_mask and gen 0.
 *
 * The executable (mm->exe_file, or bprm->file when refused) as the kernel
 * knows it: exe_dev/exe_ino its identity (i_sb->s_dev, i_ino), exe_size its
 * i_size, exe_head the fingerprint of its first EXE_HEAD_BYTES bytes as
 * execve() read them (bprm->buf; exe_head_hash(), filter_maps.h), 0 when
 * unknown.  exe_flags EV_EXE_*: a memfd (data holds "memfd:NAME", the name
 * memfd_create gave it) or a file no name leads to any more (data holds
 * its last path and " (deleted)", as /proc/PID/exe shows it).
 */
struct ev_exec {
	struct ev_header h;
	__u64 parent_start_ns;
	__u16 exe_len;
	__u16 args_len;
	__u8 exe_trunc;
	__u8 args_trunc;
	__u8 blocked;
	__u8 exe_flags;		/* EV_EXE_* */
	__u64 rule_mask;
	__u16 gen;
	__u8 pad2[6];
	__u64 exe_dev;
	__u64 exe_ino;
	__u64 exe_size;
	__u64 exe_head;
	char data[CUSTOS_PATH_MAX + CUSTOS_ARGS_MAX];
};
_Static_assert(sizeof(struct ev_exec) == 80 + 64 + CUSTOS_PATH_MAX + CUSTOS_ARGS_MAX,
	       "ev_exec ABI");
#define EV_EXEC_FIXED 144u	/* offsetof(struct ev_exec, data) */

enum {
	EV_EXE_MEMFD = 1,	/* memfd_create() + execveat/fexecve: no file system name */
	EV_EXE_DELETED = 2,	/* unlinked (or an O_TMPFILE never linked) */
};

/* EV_FORK: h is the child; h.ppid its parent. */
struct ev_fork {
	struct ev_header h;
	__u64 parent_start_ns;
};
_Static_assert(sizeof(struct ev_fork) == 88, "ev_fork ABI");

/* EV_EXIT: h is the process whose leader exited. */
struct ev_exit {
	struct ev_header h;
	__u32 exit_code;
	__u32 pad;
};
_Static_assert(sizeof(struct ev_exit) == 88, "ev_exit ABI");

/*
 * EV_FILE: an open that may match a file rule.  Tail layout:
 *
 *   data[0 .. path_len)          the file's path walked up to the top of its
 *                                mount tree (path.bpf.h): the mount
 *                                namespace's root, or a detached mount's root
 *   data[task_off .. path_len)   the same path from the process's own root
 *                                (its chroot or container root): file.path
 *   data[mnt_off .. path_len)    the part of it inside the file's own mount
 *   data[path_len .. path_len + fsroot_len)
 *                                the path of that mount's root inside its
 *                                filesystem (empty: the filesystem's root);
 *                                sent only when the walk did not end at the
 *                                agent's mount namespace root (EV_VIEW_HOST
 *                                clear), so that the agent can find the file
 *                                in its own mount table: host path = where
 *                                the agent sees dev's filesystem + fsroot +
 *                                data[mnt_off .. path_len)
 *
 * task_off <= mnt_off <= path_len, except that a detached walk (the
 * process's root never met: EV_VIEW_DETACHED) has task_off 0.
 *
 * blocked = 1: an open refused by a file block rule in the BPF LSM hook
 * file_open (bpf/fileguard.bpf.h, decided in file__lsm): the caller got
 * EPERM; rule_mask holds the file guard's rule slots that refused it,
 * numbered by the rule set that gen names (filter_maps.h, "The guards").
 * blocked = 0: rule_mask and gen 0.
 */
struct ev_file {
	struct ev_header h;
	__u32 flags;		/* open flags as the caller passed them (syscall
				 * argument; creat: O_WRONLY|O_CREAT|O_TRUNC) */
	__u16 path_len;
	__u8 path_trunc;	/* the walk was cut (CUSTOS_PATH_MAX bytes or its
				 * depth limit): data holds the deepest part */
	__u8 access;		/* EV_ACC_* */
	__u64 dev;		/* inode's superblock s_dev */
	__u64 ino;
	__u64 rule_mask;
	__u16 gen;
	__u8 blocked;
	__u8 view;		/* EV_VIEW_* */
	__u16 task_off;
	__u16 mnt_off;
	__u32 i_gen;		/* the inode's i_generation (0 where the
				 * filesystem keeps none) */
	__u16 fsroot_len;
	__u8 watch;		/* EV_WATCH_*: why the pre-filter sent it */
	__u8 exec_seq;		/* the process's execs since it forked, EXEC_SEQ_MAX
				 * from there on (delivery.h, coalescing) */
	char data[2 * CUSTOS_PATH_MAX];
};
_Static_assert(sizeof(struct ev_file) == 80 + 48 + 2 * CUSTOS_PATH_MAX, "ev_file ABI");
#define EV_FILE_FIXED 128u	/* offsetof(struct ev_file, data) */

/* ev_file.view */
enum {
	EV_VIEW_HOST = 1,	/* the walk ended at the root of the agent's mount
				 * namespace: data[0 .. path_len) is the host path */
	EV_VIEW_DETACHED = 2,	/* the process's root is not on the walk (a
				 * detached mount: open_tree, a lazily unmounted
				 * one, another mount namespace's file) */
	EV_VIEW_DISCONNECTED = 4, /* the dentry chain ended at a root that is
				 * not its mount's (open_by_handle_at with a cold
				 * dentry cache): only the deepest names are known */
};

/* ev_file.watch: what of the pre-filter (filter_maps.h) sent the open */
enum {
	EV_WATCH_IDENT = 1,	/* the file's own identity is watched */
	EV_WATCH_SCOPE = 2,	/* a watched directory, name or suffix */
	EV_WATCH_ADDED = 4,	/* created under a watched scope: its identity
				 * was added to file_watch_ids by this open */
	EV_WATCH_FULL = 8,	/* file_watch_ids was full: not added */
	EV_WATCH_ALL = 16,	/* every open is sent (match_all, an overflowed
				 * device, a walk that could not decide) */
};

enum {
	EV_ACC_READ = 1,
	EV_ACC_WRITE = 2,
	EV_ACC_CREATE = 4,
};

/*
 * EV_IOURING: h's process submitted an io_uring open (IORING_OP_OPENAT or
 * OPENAT2), seen at submission by the tracepoint backends, which see no
 * open without a syscall.  Which file is not known there: the agent reports
 * it for the file rules whose conditions other than path/access hold.
 * Sent only while some file rule is in force.
 */
struct ev_iouring {
	struct ev_header h;
	__u8 opcode;		/* IORING_OP_OPENAT (18) or IORING_OP_OPENAT2 (28) */
	__u8 pad[7];
};
_Static_assert(sizeof(struct ev_iouring) == 88, "ev_iouring ABI");

enum {
	EV_IORING_OP_OPENAT = 18,
	EV_IORING_OP_OPENAT2 = 28,
};

/*
 * The protocol of a socket as the egress decision names it (rules' `proto`):
 * ev_connect.proto, ev_socket.proto, and the index of net_conf.proto[].
 * The IP protocol number itself travels in ipproto.
 */
enum ev_proto {
	EV_PROTO_OTHER = 0,	/* an IP protocol custos has no name for: see ipproto */
	EV_PROTO_TCP = 1,	/* IPPROTO_TCP, and MPTCP (262) */
	EV_PROTO_UDP = 2,
	EV_PROTO_UDPLITE = 3,	/* IPPROTO_UDPLITE (136) */
	EV_PROTO_SCTP = 4,	/* IPPROTO_SCTP (132) */
	EV_PROTO_RAW = 5,	/* a SOCK_RAW socket, any IP protocol */
	EV_PROTO_ICMP = 6,	/* a ping socket: SOCK_DGRAM with ICMP or ICMPv6 */
	EV_PROTO_PACKET = 7,	/* an AF_PACKET socket */
	EV_PROTO__COUNT = 8,
};

/*
 * EV_CONNECT: a connect or send to a destination not approved, of any
 * protocol the hooks see (bpf/net.bpf.c).  proto names the kind of socket
 * (enum ev_proto); ipproto is the socket's protocol number (6 TCP, 136
 * UDP-Lite, 1 ICMP for a raw or ping socket, 58 ICMPv6, 255 IPPROTO_RAW...).
 * Raw, ping and unnamed protocols have no port here (port 0).  A destination
 * that an AF_INET6 socket reaches as IPv4 is family AF_INET6 with the mapped
 * address ::ffff:a.b.c.d, whichever hook saw it.  Tail: name[0 .. name_len)
 * the DNS name the address was learned from (filter_maps.h, "DNS names"),
 * lower case, no NUL; name_len 0 when none is known.  h.size counts it.
 */
struct ev_connect {
	struct ev_header h;
	__u8 family;		/* AF_INET (2) or AF_INET6 (10): the socket's */
	__u8 proto;		/* enum ev_proto */
	__u8 blocked;		/* 1: the program returned "refuse" */
	__u8 op;		/* EV_NET_CONNECT or EV_NET_SENDMSG */
	__u16 port;		/* host byte order; 0 where the protocol has none */
	__u16 gen;		/* net_conf.gen (rule_set_gen): which rule set numbered rule_mask */
	__u8 addr[16];		/* network byte order; IPv4 in the first 4 bytes */
	__u64 rule_mask;	/* bit i: connect rule slot i flagged it in the kernel */
	__u16 ipproto;		/* the socket's protocol number */
	__u16 name_len;		/* bytes of name */
	__u8 exec_seq;		/* as ev_file's */
	__u8 pad[3];
	char name[256];		/* DNS_NAME_KEY */
};
_Static_assert(sizeof(struct ev_connect) == 80 + 40 + 256, "ev_connect ABI");
#define EV_CONNECT_FIXED 120u	/* offsetof(struct ev_connect, name) */

enum {
	EV_NET_CONNECT = 1,
	EV_NET_SENDMSG = 2,
};

/*
 * EV_SOCKET: under connect rules, a socket that the egress hooks cannot
 * judge send by send was made (op EV_SOCK_CREATE: raw, ping and AF_PACKET
 * sockets, and inet sockets of protocols whose connect() no hook sees), or
 * a source route was set on a socket (op EV_SOCK_IP_OPTIONS: IP_OPTIONS
 * with LSRR/SSRR; EV_SOCK_IPV6_RTHDR: an IPv6 routing header), addr then
 * the route's first hop (family AF_INET / AF_INET6; 0 when it has none).
 * rule_mask and gen as in ev_connect; blocked 1: the call failed with EPERM.
 * The rules decide it as docs/RULES.md ("Sockets") says.
 */
struct ev_socket {
	struct ev_header h;
	__u16 family;		/* socket family: AF_INET, AF_INET6, AF_PACKET (17) */
	__u16 type;		/* SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3, ... */
	__u16 ipproto;		/* the protocol argument (AF_PACKET: the ethertype, host order) */
	__u8 proto;		/* enum ev_proto */
	__u8 op;		/* EV_SOCK_* */
	__u8 blocked;
	__u8 hop_family;	/* AF_INET / AF_INET6 when addr holds a hop, else 0 */
	__u16 gen;
	__u8 pad[4];
	__u8 addr[16];		/* first hop of a source route, network byte order */
	__u64 rule_mask;
};
_Static_assert(sizeof(struct ev_socket) == 80 + 40, "ev_socket ABI");

enum {
	EV_SOCK_CREATE = 1,
	EV_SOCK_IP_OPTIONS = 2,
	EV_SOCK_IPV6_RTHDR = 3,
};

/*
 * Counters the BPF programs keep in the `stats` per-CPU array (index = enum).
 * The agent sums the CPUs and turns growth of STAT_RING_DROPS into a
 * `kind: loss` record.
 */
enum stat_idx {
	STAT_RING_DROPS = 0,	/* bpf_ringbuf_output failed: record lost */
	STAT_EXEC_SEEN = 1,
	STAT_FILE_SEEN = 2,	/* opens that reached the file program */
	STAT_FILE_EMIT = 3,	/* opens the pre-filter let through */
	STAT_NET_SEEN = 4,
	STAT_NET_EMIT = 5,
	STAT_NET_BLOCK = 6,
	STAT_PATH_TRUNC = 7,
	STAT_EXEC_BLOCK = 8,	/* execs refused by opt_execguard__lsm */
	/* STAT_RING_DROPS by kind of record, so that a count of violations can
	 * be checked against records + losses of that kind alone */
	STAT_DROPS_EXEC = 9,
	STAT_DROPS_FILE = 10,
	STAT_DROPS_CONNECT = 11,
	STAT_DROPS_PROC = 12,	/* fork, exit and io_uring records */
	STAT_FILE_BLOCK = 13,	/* opens refused by the file guard (file__lsm) */
	STAT_SCRATCH_BUSY = 14,	/* records not built: every scratch slot of the CPU was
				 * in use by preempted programs (also ring drops) */
	/* 16..23 and 48..55: egress (net.bpf.c) */
	STAT_SOCK_SEEN = 16,	/* sockets of the kinds EV_SOCKET reports, made */
	STAT_SOCK_EMIT = 17,	/* ... reported */
	STAT_SOCK_BLOCK = 18,	/* ... refused (creation or source route) */
	STAT_DROPS_SOCKET = 19,	/* EV_SOCKET records lost to a full ring */
	STAT_DNS_ANSWERS = 20,	/* messages from a trusted resolver parsed (dns.bpf.c) */
	STAT_DNS_BOUND = 21,	/* addresses bound to a name */
	STAT_DNS_BAD = 22,	/* messages from a trusted resolver that were malformed */
	STAT_DNS_NEW = 23,	/* bindings of an address not in dns_bind: new entries */
	STAT_DNS_UNASKED = 48,	/* messages from a trusted resolver's address to a socket
				 * that did not ask it (or of another network namespace) */
	/* 24..31: delivery (delivery.h): what emit() did instead of writing a record */
	STAT_REPEAT_FILE = 24,	/* file and io_uring records coalesced into a count */
	STAT_REPEAT_CONNECT = 25,
	STAT_LIMIT_FILE = 26,	/* file and io_uring records over a process's limit */
	STAT_LIMIT_CONNECT = 27,
	STAT_RESERVE = 28,	/* bulk records the reserve kept out (also ring drops) */
	STAT_REPEAT_FULL = 29,	/* records sent uncoalesced: no room in repeats */
	STAT_LOSS_UNKEYED_RING = 30,	/* ring losses loss_rules had no room for */
	STAT_LOSS_UNKEYED_LIMIT = 31,	/* suppressions loss_rules had no room for */
	/* 32..39: files */
	STAT_FILE_IDS_ADDED = 32,	/* identities of created files added to file_watch_ids */
	STAT_FILE_IDS_FULL = 33,	/* ... that did not fit: the device is overflowed */
	STAT_FILE_IDS_STALE = 34,	/* watched identities whose generation no longer matched */
	STAT_REPEAT_UNBUILT = 35,	/* of STAT_REPEAT_FILE: counted from a remembered path,
					 * before their record was built (delivery.h) */
	STAT_FILE_VERDICT_MISS = 36,	/* file or directory verdicts not in the cache:
					 * taken (an open seen before is not counted) */
	STAT_FILE_UNDECIDED = 37,	/* opens sent because a walk could not decide */
	STAT_FILE_TOPO = 38,		/* renames that may have moved a directory (the verdict
					 * cache's generation): every rename under the
					 * tracepoint backends, a directory's under lsm/fentry */
	STAT_FILE_MOUNTS = 39,		/* mount-tree changes (mount, umount, move, pivot_root):
					 * the remembered paths' generation (delivery.h) */
	/* 40..47: per-process state (filter_maps.h, "Per-process state") */
	STAT_PROC_FULL = 40,	/* a process's state found no room: it has none */
	STAT_LABEL_SET = 41,	/* opens that gave their process labels (label rules) */
	STAT_FILE_FAST = 42,	/* opens file__btf_cast found innocent in plain loads
				 * (prefilter.bpf.h, file_fast_innocent) */
	/* 56..63: the guards */
	STAT_UNJUDGED_FILE = 56,	/* opens the file guard did not judge by its block or
					 * label rules: every guard_scratch slot of the CPU was
					 * in use by preempted runs (the open went on) */
	STAT_UNJUDGED_EXEC = 57,	/* execs the exec guard judged without their head
					 * (exec_heads): no scratch slot was free */
	STAT_GUARD_TREE_MISS = 58,	/* directories whose file guard tree bits were not in
					 * guard_trees: walked to their filesystem's root */
	STAT__COUNT = 64,
};

#endif
