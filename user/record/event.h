/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.h - one decoded event, as the matcher, the renderers and the sinks see it.
 *
 * The kernel ABI (bpf/events.h) is decoded into this model by agent/decode.c, which
 * also fills the lineage from the process cache.  `custos rules test` builds the
 * same struct from YAML, so the matcher used in tests is the agent's.
 *
 * Everything here is borrowed: the struct points into buffers owned by whoever
 * built it, and nobody frees through it.  Byte strings (paths, argv) are bytes,
 * not text: they may hold any byte except that argv entries are NUL-separated.
 */
#ifndef CUSTOS_EVENT_H
#define CUSTOS_EVENT_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/ident.h"

enum cev_kind {
	CEV_FILE = 1,
	CEV_CONNECT = 2,
	CEV_EXEC = 3,
	CEV_LOSS = 4,
	CEV_SOCKET = 5,		/* a raw/ping/packet socket made, a source route set */
	CEV_GAP = 6,		/* the first record after a time no agent was reading */
	CEV_CHECKPOINT = 7,	/* a periodic chain checkpoint */
};

/* Records the agent writes about its own stream (loss, gap, checkpoint):
 * they carry no rule and no process. */
static inline int cev_kind_is_stream(int kind)
{
	return kind == CEV_LOSS || kind == CEV_GAP || kind == CEV_CHECKPOINT;
}

/* access bits of a file open (rules: `access: [read, write, create]`) */
enum {
	CEV_ACC_READ = 1u << 0,
	CEV_ACC_WRITE = 1u << 1,
	CEV_ACC_CREATE = 1u << 2,
};

/* A byte string that is not NUL-terminated in general. */
struct cev_str {
	const char *p;
	uint32_t len;
	uint8_t truncated;	/* cut short by a kernel-side limit */
};

/* argv as in /proc/PID/cmdline: entries each followed by one NUL. */
struct cev_args {
	const char *buf;
	uint32_t len;		/* bytes in buf, including the NULs */
	uint8_t truncated;
};

/*
 * Steps through argv: start with *pos = 0; while an entry is left, returns 1
 * with the entry in [*p, *p + *n), without its NUL.  A tail cut short
 * without its NUL is the last entry.
 */
static inline int cev_args_next(const struct cev_args *a, uint32_t *pos, const char **p,
				size_t *n)
{
	const char *nul;

	if (!a->buf || *pos >= a->len)
		return 0;
	*p = a->buf + *pos;
	nul = memchr(*p, '\0', a->len - *pos);
	*n = nul ? (size_t)(nul - *p) : a->len - *pos;
	*pos += (uint32_t)*n + 1;
	return 1;
}

/* exe_flags: how the executable was found (docs/EVENTS.md, "exe_flags") */
enum {
	CEV_EXE_MEMFD = 1u << 0,	/* memfd_create + fexecve: exe is "memfd:NAME" */
	CEV_EXE_DELETED = 1u << 1,	/* unlinked: exe ends in " (deleted)" */
	CEV_EXE_LOADER = 1u << 2,	/* the dynamic loader run directly: exe is the program it loads */
	CEV_EXE_ELSEWHERE = 1u << 3,	/* on the host, exe leads to another file or none (a chroot's,
					 * a container's or a private mount's view), or it could
					 * not be checked: exemptions by path do not apply */
};

/* What is known of a program beyond its path. */
struct cev_prog {
	struct ident id;
	uint32_t flags;		/* CEV_EXE_* */
};

#define CEV_MAX_COPIES 8

struct cev_process {
	uint32_t pid;		/* tgid */
	uint32_t tid;
	uint32_t ppid;
	uint32_t uid;
	const char *user;	/* NULL when the uid has no name */
	char comm[16];		/* NUL-terminated */
	struct cev_str exe;	/* absolute, resolved; len 0 when unknown */
	struct cev_prog exe_prog;
	uint32_t n_copies;	/* the `exe_content` programs it is a copy of (same content) */
	struct ident copies[CEV_MAX_COPIES];
	struct cev_str prev_exe;	/* the program it ran before its last exec; len 0: none known */
	struct cev_args args;
	const char *cgroup;	/* cgroup v2 path, NULL when unknown */
	const char *container_id;	/* from the cgroup path (host/container.h), NULL: none */
};

struct cev_parent {
	uint32_t pid;
	struct cev_str exe;
	struct cev_prog exe_prog;
	struct cev_args args;
};

struct cev_file {
	struct cev_str path;	/* as the process sees it (its chroot or container root) */
	struct cev_str host_path;	/* from the host's root; p NULL: the same as path,
					 * or unknown */
	struct cev_str watched_path;	/* the path a rule knows the file by, when it was
					 * opened under another name; p NULL: none */
	uint64_t dev;		/* identity: the kernel's encoding (major << 20 | minor) */
	uint64_t ino;
	uint8_t has_identity;	/* dev and ino are known */
	uint8_t detached;	/* the path is not from the process's root (a detached
				 * mount, a disconnected dentry): file.detached */
	/*
	 * The path could not be had whole: truncated, or detached and resolved
	 * by no other view.  The matcher then takes `path` conditions as
	 * unknown (rules/match.c): fail closed.
	 */
	uint8_t path_partial;
	uint32_t access;	/* CEV_ACC_* */
	uint32_t flags;		/* open(2) flags as the kernel saw them */
	/*
	 * An open whose file is not known (an io_uring open seen at submission
	 * by the tracepoint backends): path empty, access and flags 0, via and
	 * op say what was seen ("io_uring", "openat"/"openat2").  The matcher
	 * then treats path and access as unknown (rules/match.c).
	 */
	uint8_t unresolved;
	uint8_t blocked;	/* 1 only when the kernel refused the open (BPF LSM) */
	const char *via;	/* NULL: the open itself was seen */
	const char *op;
};

/*
 * The kind of socket, as rules' `proto` names it (= enum ev_proto of
 * bpf/events.h, value for value).  The protocol number is cev_connect.ipproto.
 */
enum cev_proto {
	CEV_PROTO_OTHER = 0,	/* an IP protocol without a name here: see ipproto */
	CEV_PROTO_TCP = 1,
	CEV_PROTO_UDP = 2,
	CEV_PROTO_UDPLITE = 3,
	CEV_PROTO_SCTP = 4,
	CEV_PROTO_RAW = 5,	/* SOCK_RAW */
	CEV_PROTO_ICMP = 6,	/* ping socket */
	CEV_PROTO_PACKET = 7,	/* AF_PACKET */
	CEV_PROTO__COUNT = 8,
};

struct cev_connect {
	uint8_t proto;		/* enum cev_proto */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t blocked;	/* 1 only when the kernel refused the call */
	uint16_t ipproto;	/* the socket's protocol number (6 TCP, 1 ICMP...) */
	uint16_t port;		/* host byte order; 0 for a protocol without ports */
	uint8_t addr[16];	/* AF_INET: first 4 bytes; network byte order */
	const char *dest_name;	/* the DNS name addr was learned from, NULL: none known */
};

/* The name of a cev_proto ("tcp", "udplite"...), NULL for CEV_PROTO_OTHER. */
static inline const char *cev_proto_name(uint8_t proto)
{
	static const char *const names[CEV_PROTO__COUNT] = {
		NULL, "tcp", "udp", "udplite", "sctp", "raw", "icmp", "packet",
	};

	return proto < CEV_PROTO__COUNT ? names[proto] : NULL;
}

/* The protocol number a named kind stands for (tcp 6...), 0 for raw, icmp,
 * packet and other, whose number says more than the name. */
static inline uint16_t cev_proto_number(uint8_t proto)
{
	static const uint16_t numbers[CEV_PROTO__COUNT] = { 0, 6, 17, 136, 132, 0, 0, 0 };

	return proto < CEV_PROTO__COUNT ? numbers[proto] : 0;
}

/* Does a protocol of this kind carry ports (that `dest` patterns may name)? */
static inline int cev_proto_has_ports(uint8_t proto)
{
	return proto >= CEV_PROTO_TCP && proto <= CEV_PROTO_SCTP;
}

/* "inet", "inet6", "packet", or NULL */
static inline const char *cev_family_name(unsigned family)
{
	return family == AF_INET ? "inet" : family == AF_INET6 ? "inet6" :
	       family == AF_PACKET ? "packet" : NULL;
}

/* "stream", "dgram", "raw", "seqpacket", or NULL */
static inline const char *cev_socktype_name(unsigned type)
{
	static const char *const names[] = { NULL, "stream", "dgram", "raw", NULL, "seqpacket",
					     NULL, NULL, NULL, NULL, "packet" /* SOCK_PACKET */ };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

/* cev_socket.op */
enum cev_sock_op {
	CEV_SOCK_CREATE = 1,	/* the socket was made */
	CEV_SOCK_IP_OPTIONS = 2,	/* IP_OPTIONS with a source route set on it */
	CEV_SOCK_IPV6_RTHDR = 3,	/* an IPv6 routing header set on it */
};

/* CEV_SOCKET: a socket made or a source route set; no destination was asked about. */
struct cev_socket {
	uint16_t family;	/* AF_INET, AF_INET6, AF_PACKET */
	uint16_t type;		/* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW... */
	uint16_t ipproto;	/* protocol number (AF_PACKET: the ethertype) */
	uint8_t proto;		/* enum cev_proto */
	uint8_t op;		/* enum cev_sock_op */
	uint8_t blocked;	/* 1 only when the kernel refused the call */
	uint8_t hop_family;	/* AF_INET/AF_INET6: hop holds a source route's first hop */
	uint8_t hop[16];
};

/* CEV_EXEC: the new program is proc.exe / proc.args */
struct cev_exec {
	uint8_t blocked;	/* 1 only when the kernel refused the exec (BPF LSM) */
};

/* What a loss record knows about what was lost (loss.by); zero: unknown. */
enum cev_loss_kind {
	CEV_LOST_EXEC = 0,
	CEV_LOST_FILE = 1,
	CEV_LOST_CONNECT = 2,
	CEV_LOST_PROCESS = 3,	/* fork and exit records (lineage) */
	CEV_LOST_SOCKET = 4,	/* socket records */
	CEV_LOST__COUNT = 5,
};

struct cev_loss_proc {
	uint32_t pid;
	char comm[16];		/* NUL-terminated */
	struct cev_str exe;	/* len 0 when unknown */
	uint64_t lost;
};

/*
 * loss.by.severity: each lost record once, under the highest severity of
 * the rules it names (the first five are rules.h's enum rule_severity).
 */
enum cev_loss_sev {
	CEV_LOSS_SEV_INFO = 0,
	CEV_LOSS_SEV_LOW = 1,
	CEV_LOSS_SEV_MEDIUM = 2,
	CEV_LOSS_SEV_HIGH = 3,
	CEV_LOSS_SEV_CRITICAL = 4,
	CEV_LOSS_SEV_NONE = 5,		/* no rule is about it: fork and exit records */
	CEV_LOSS_SEV_UNKNOWN = 6,	/* the kernel named no rule for it */
	CEV_LOSS_SEV__COUNT = 7,
};

#define CEV_LOSS_TOP_RULES 5	/* rules a loss record names at most */

/* loss.by.rules: a rule the lost records named, how many named it */
struct cev_loss_rule {
	const char *rule;
	const char *severity;	/* "info" .. "critical" */
	uint64_t lost;
};

/* A data-flow label the process carries, and where it came from (rules.h, "Labels"). */
struct cev_label {
	const char *name;
	const char *rule;	/* the rule that set it; NULL: not known */
	uint64_t seq;		/* the record that set it; 0: none (a label-only rule) or not known */
	uint64_t time_ns;	/* when it was set (CLOCK_REALTIME); 0: not known */
	struct cev_str via;	/* a label-only rule's: the file or destination; len 0: none */
};

struct cev_loss {
	uint64_t lost;
	const char *where;	/* "ring", "ratelimit", "repeat", "sink:NAME", ... */
	uint64_t by_kind[CEV_LOST__COUNT];
	uint64_t by_severity[CEV_LOSS_SEV__COUNT];	/* all 0: not known */
	const struct cev_loss_rule *rules;	/* the top rules, most first */
	uint32_t n_rules;
	const struct cev_loss_proc *procs;	/* the top processes, most first */
	uint32_t n_procs;
};

/* One counter of a gap record: "file", "connect_refused", ... */
struct cev_count {
	const char *name;
	uint64_t n;
};

struct cev_gap {
	uint64_t from_ns, to_ns;	/* CLOCK_REALTIME: no agent read in between */
	uint8_t clean;			/* the previous run ended cleanly */
	uint8_t enforced;		/* the kernel side stayed attached throughout */
	const struct cev_count *counted;	/* what the kernel side counted meanwhile */
	uint32_t n_counted;
};

struct cev_checkpoint {
	uint64_t records;	/* records this run emitted, this one included */
	uint64_t lost;		/* records this run reported lost */
	uint8_t final;		/* the run's last record: it ended cleanly */
};

/*
 * A record that stands for several identical events the kernel coalesced
 * (file and connect records): count events from first to last.  count 0:
 * not coalesced.
 */
struct cev_repeat {
	uint64_t count;
	uint64_t first_ns, last_ns;	/* CLOCK_REALTIME */
};

struct cev_event {
	enum cev_kind kind;
	uint64_t time_ns;	/* CLOCK_REALTIME, ns since the epoch */
	struct cev_process proc;
	int has_parent;
	struct cev_parent parent;
	const struct cev_str *ancestors;	/* nearest first, parent included */
	const struct cev_prog *ancestor_progs;	/* what is known of them, or NULL */
	uint32_t n_ancestors;
	struct cev_repeat repeat;
	/*
	 * The `ancestor_exe` classes of the rule set matched against ev
	 * (rules.h, rule_set_classes) that hold for the process's lineage as
	 * the kernel kept it (an ancestor or a former program of the process
	 * was of the class), whatever the ancestors above say.
	 */
	uint64_t lineage;
	/* the labels the process carries: bits of the rule set's (rules.h), and
	 * what is known of each, for the record */
	uint64_t labels;
	const struct cev_label *label_info;
	uint32_t n_label_info;
	union {
		struct cev_file file;
		struct cev_connect conn;
		struct cev_socket sock;
		struct cev_loss loss;
		struct cev_exec exec;
		struct cev_gap gap;
		struct cev_checkpoint checkpoint;
	};
};

#endif
