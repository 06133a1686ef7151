/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * filter_maps.h - the rule->map contract: what the agent's rule compilers
 * write into BPF maps and what the BPF programs read, key and value types
 * shared by both sides.  The kernel side is a conservative pre-filter: it may
 * let an event through that no rule matches (the agent's matcher decides),
 * but it must never drop one that a rule could match.
 *
 * exec: no pre-filter.  Every exec is sent, because the agent's process
 *       cache needs each program's path for parent_exe / ancestor_exe.
 */
#ifndef CUSTOS_FILTER_MAPS_H
#define CUSTOS_FILTER_MAPS_H

#ifndef __BPF__
#include <linux/types.h>
#endif

/*
 * connect: the egress decision, taken in the cgroup sock_addr programs
 * (bpf/net.bpf.c).  Every enabled `on: connect` rule, in load order, gets a
 * rule slot i < NET_MAX_RULES; each `unless` condition the kernel can
 * evaluate gets a condition slot c < NET_MAX_CONDS.  For a destination
 * (family, addr, port) and protocol the kernel computes
 *
 *   when    = (dest bits of the longest matching net_dest prefix whose port
 *              range holds port | when_any_dest) & proto mask & active
 *   holds   = cond_valid & (cond dest bits | ~cond_need_dest)
 *                        & (net_exe[current exe (dev, ino)] | ~cond_need_exe)
 *                        & cond proto mask
 *   flagged = when minus every slot i with holds & rule_conds[i]
 *
 * flagged & block != 0: the call is refused (EPERM) and reported blocked;
 * else flagged != 0: reported; else nothing.  ev_connect.rule_mask = flagged.
 *
 * Exact vs "maybe".  The kernel evaluates dest, proto, and `exe` in `unless`
 * (by identity: the executable's inode, so renaming or copying a binary
 * does not carry an exception).  A rule whose conditions use anything else
 * (comm, uid, cgroup, lineage, `exe` in `when`, an exe glob with a wildcard
 * outside its last component) is evaluated loosely: unknown `when` fields
 * count as holding, unknown `unless` conditions as not holding, so the
 * kernel over-reports and the agent's matcher decides.  A block rule must be
 * exact; `custos rules check` and the agent refuse one that is not.
 *
 * Addresses: the LPM key carries the family (4 or 6) before the address so
 * that `::/0` does not cover IPv4.  An IPv4-mapped IPv6 destination
 * (::ffff:a.b.c.d) is looked up twice, as IPv6 and as IPv4, and the bits are
 * or-ed, as the agent's matcher does.  Each prefix entry holds the port
 * ranges of every pattern covering it (shorter prefixes included), since an
 * LPM lookup returns only the longest match.
 */
#define NET_MAX_RULES 64
#define NET_MAX_CONDS 64
#define NET_PORT_RANGES 16

/* net_dest key: prefixlen counts the family byte: 8 + the pattern's prefix. */
struct net_dest_key {
	__u32 prefixlen;
	__u8 family;		/* 4 or 6 */
	__u8 addr[16];		/* network byte order; IPv4 in the first 4 bytes */
	__u8 pad[3];		/* zero */
};

struct net_port_bits {
	__u16 lo, hi;		/* inclusive, host byte order */
	__u32 pad;
	__u64 when;		/* rule slots whose `when.dest` covers this */
	__u64 unless;		/* condition slots whose `dest` covers this */
};

struct net_dest_val {
	__u32 n;		/* used entries of r */
	__u32 pad;
	struct net_port_bits r[NET_PORT_RANGES];
};

/* net_exe key: an executable's identity; dev in the kernel's encoding
 * (major << 20 | minor, as i_sb->s_dev). */
struct net_exe_key {
	__u64 dev;
	__u64 ino;
};

/* net_conf[0]: masks over rule slots (r) and condition slots (c). */
struct net_conf {
	__u64 active;		/* r: slots in use */
	__u64 when_any_dest;	/* r: `when` has no dest: every destination */
	__u64 tcp, udp;		/* r: `when.proto` allows (both when absent) */
	__u64 block;		/* r: action block */
	__u64 cond_valid;	/* c: slots in use */
	__u64 cond_need_dest;	/* c: the condition has `dest` */
	__u64 cond_need_exe;	/* c: the condition has `exe` */
	__u64 cond_tcp, cond_udp; /* c: its `proto` allows (both when absent) */
	__u64 rule_conds[NET_MAX_RULES]; /* r -> its condition slots */
	__u32 gen;		/* names the rule set (net_gen()); copied into ev_connect.gen */
	__u32 pad;
};

#endif
