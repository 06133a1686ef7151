// SPDX-License-Identifier: GPL-2.0-only
/*
 * net.bpf.c - egress: TCP connect and UDP connect/send, IPv4 and IPv6.
 *
 * cgroup sock_addr hooks attached at the cgroup v2 root (loader.c), so every
 * process on the host passes them, in child cgroups and containers too.
 * The decision (filter_maps.h, "connect") is taken here: an approved
 * destination produces nothing; a flagged one a record; a block rule's
 * match refuses the call with EPERM before a packet leaves.
 *
 * connect4/6 see connect() of TCP and UDP sockets; sendmsg4/6 see a UDP
 * send that carries an address (sendto/sendmsg on an unconnected socket).
 * A send() on a connected UDP socket passes neither: its connect() did.
 * An AF_INET6 socket reaching an IPv4 peer (::ffff:a.b.c.d) passes the *6
 * hooks with the mapped address.
 *
 * Kernel needs beyond the cgroup hooks: bpf_loop (5.17) and
 * bpf_get_current_task + probe reads in sock_addr programs (helpers of
 * bpf_base_func_proto for a CAP_PERFMON loader; verified on 6.18).  Where
 * they are missing the object does not load; the fallback (a tgid ->
 * exe identity map kept by exec.bpf.c) is not written yet.
 */
#include "common.bpf.h"
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* self_tgid, wakeup_bytes: defined in exec.bpf.c, documented in common.bpf.h. */

struct net_bits {
	__u64 when;
	__u64 unless;
	__u64 quiet;
};

static __always_inline void dest_lookup(__u8 family, const __u8 *addr, __u16 port,
					struct net_bits *out)
{
	struct net_dest_key k = {};
	struct net_dest_val *v;

	k.prefixlen = 8 + (family == 4 ? 32 : 128);
	k.family = family;
	__builtin_memcpy(k.addr, addr, 16);
	v = bpf_map_lookup_elem(&net_dest, &k);
	if (!v)
		return;
	for (int i = 0; i < NET_PORT_RANGES; i++) {
		if (i >= v->n)
			break;
		if (port >= v->r[i].lo && port <= v->r[i].hi) {
			out->when |= v->r[i].when;
			out->unless |= v->r[i].unless;
			out->quiet |= v->r[i].quiet;
		}
	}
}

static __always_inline __u64 exe_conds(struct task_struct *task)
{
	struct net_exe_key k = {};
	struct inode *ino;
	__u64 *v;

	ino = BPF_CORE_READ(task, mm, exe_file, f_inode);
	if (!ino)
		return 0;
	k.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	k.ino = BPF_CORE_READ(ino, i_ino);
	v = bpf_map_lookup_elem(&net_exe, &k);
	return v ? *v : 0;
}

/*
 * Rule slot i is suppressed when one of its `unless` conditions holds.  A
 * bpf_loop callback: the verifier checks it once, where an open-coded loop
 * made it track the growing mask precisely, one state per value.
 */
struct suppress_ctx {
	struct net_conf *c;
	__u64 holds;
	__u64 suppress;
};

static long suppress_one(__u64 i, void *ctx)
{
	struct suppress_ctx *sc = ctx;

	if (i < NET_MAX_RULES && (sc->holds & sc->c->rule_conds[i]))
		sc->suppress |= 1ULL << i;
	return 0;
}

/* addr: 16 bytes, IPv4 in the first 4; port in host order.  1 allows, 0 refuses. */
static __always_inline int decide(__u8 family, const __u8 *addr, __u16 port, __u32 proto,
				  __u8 op)
{
	static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct task_struct *task;
	struct net_bits b = {};
	struct net_conf *c;
	struct ev_connect e;
	__u64 holds, flagged;
	__u32 zero = 0;
	__u8 v4[16] = {};
	int is_mapped = 1;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 1;
	if (self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 1;
	c = bpf_map_lookup_elem(&net_conf, &zero);
	if (!c || !c->active)
		return 1;
	stat_inc(STAT_NET_SEEN);

	if (family == AF_INET) {
		dest_lookup(4, addr, port, &b);
	} else {
		dest_lookup(6, addr, port, &b);
		for (int i = 0; i < 12; i++)
			if (addr[i] != mapped[i])
				is_mapped = 0;
		if (is_mapped) {
			__builtin_memcpy(v4, addr + 12, 4);
			dest_lookup(4, v4, port, &b);
		}
	}

	flagged = (b.when | c->when_any_dest) & c->active &
		  (proto == IPPROTO_TCP ? c->tcp : c->udp);
	/* fast path (filter_maps.h): rules a dest-only `unless` suppresses */
	if (!(flagged & ~b.quiet))
		return 1;

	task = (struct task_struct *)bpf_get_current_task();
	holds = c->cond_valid & (b.unless | ~c->cond_need_dest) &
		(proto == IPPROTO_TCP ? c->cond_tcp : c->cond_udp);
	if (holds & c->cond_need_exe)
		holds &= exe_conds(task) | ~c->cond_need_exe;
	if (holds) {
		struct suppress_ctx sc = { .c = c, .holds = holds };

		bpf_loop(NET_MAX_RULES, suppress_one, &sc, 0);
		flagged &= ~sc.suppress;
	}
	if (!flagged)
		return 1;

	__builtin_memset(&e, 0, sizeof(e));
	header_fill(&e.h, EV_CONNECT, sizeof(e), task);
	e.family = family;
	e.proto = proto;
	e.op = op;
	e.port = port;
	__builtin_memcpy(e.addr, addr, 16);
	e.rule_mask = flagged;
	e.gen = (__u16)c->gen;
	e.blocked = (flagged & c->block) != 0;
	stat_inc(e.blocked ? STAT_NET_BLOCK : STAT_NET_EMIT);
	emit(&e, sizeof(e));
	return e.blocked ? 0 : 1;
}

static __always_inline int on_addr4(struct bpf_sock_addr *ctx, __u8 op)
{
	__u8 addr[16] = {};
	__u32 ip = ctx->user_ip4;

	__builtin_memcpy(addr, &ip, 4);
	return decide(AF_INET, addr, bpf_ntohs((__u16)ctx->user_port), ctx->protocol, op);
}

static __always_inline int on_addr6(struct bpf_sock_addr *ctx, __u8 op)
{
	__u32 a[4];

	a[0] = ctx->user_ip6[0];
	a[1] = ctx->user_ip6[1];
	a[2] = ctx->user_ip6[2];
	a[3] = ctx->user_ip6[3];
	return decide(AF_INET6, (const __u8 *)a, bpf_ntohs((__u16)ctx->user_port),
		      ctx->protocol, op);
}

SEC("cgroup/connect4")
int net__cg_connect4(struct bpf_sock_addr *ctx)
{
	return on_addr4(ctx, EV_NET_CONNECT);
}

SEC("cgroup/connect6")
int net__cg_connect6(struct bpf_sock_addr *ctx)
{
	return on_addr6(ctx, EV_NET_CONNECT);
}

SEC("cgroup/sendmsg4")
int net__cg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return on_addr4(ctx, EV_NET_SENDMSG);
}

SEC("cgroup/sendmsg6")
int net__cg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return on_addr6(ctx, EV_NET_SENDMSG);
}
