/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.h - one decoded event, as the matcher, the renderers and the sinks see it.
 *
 * The kernel ABI (bpf/events.h) is decoded into this model by agent/agent.c, which
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
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/ident.h"

enum cev_kind {
	CEV_FILE = 1,
	CEV_CONNECT = 2,
	CEV_EXEC = 3,
	CEV_LOSS = 4,
};

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
	struct cev_str path;
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

/* cev_connect.proto of a raw IP socket (= EV_PROTO_RAW of bpf/events.h) */
#define CEV_PROTO_RAW 255

struct cev_connect {
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP or CEV_PROTO_RAW */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t blocked;	/* 1 only when the kernel refused the call */
	uint8_t ipproto;	/* the IP protocol number (raw: the socket's, e.g. 1 ICMP) */
	uint16_t port;		/* host byte order */
	uint8_t addr[16];	/* AF_INET: first 4 bytes; network byte order */
};

/* "tcp", "udp", "raw", or NULL for another value */
static inline const char *cev_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" :
	       proto == CEV_PROTO_RAW ? "raw" : NULL;
}

/* CEV_EXEC: the new program is proc.exe / proc.args */
struct cev_exec {
	uint8_t blocked;	/* 1 only when the kernel refused the exec (BPF LSM) */
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
	const char *where;	/* "ring", "queue", "sink:NAME", ... */
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
		struct cev_loss loss;
		struct cev_exec exec;
	};
};

#endif
