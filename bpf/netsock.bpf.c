// SPDX-License-Identifier: GPL-2.0-only
/*
 * netsock.bpf.c - egress that no connect/send hook can judge: sockets made
 * and source routes set (EV_SOCKET), under the connect rules.
 *
 * Sockets.  A raw socket (SOCK_RAW) writes whole IP packets, a ping socket
 * (SOCK_DGRAM + ICMP/ICMPv6) sends echo requests, an AF_PACKET socket whole
 * frames; none of their sends passes cgroup/sendmsg4|6, and the connect()
 * of UDP-Lite, SCTP or an unnamed protocol may pass no hook either (only
 * protocols whose kernel code calls the cgroup connect hook do).  So their
 * creation is judged (filter_maps.h, "Events without a destination") and,
 * under a block rule that holds for it, refused:
 *   cgroup/sock_create      every AF_INET/AF_INET6 socket but TCP/MPTCP and
 *                           UDP, every backend (inet_create/inet6_create
 *                           call it; other families never do)
 *   AF_PACKET               opt_netpacket: lsm/socket_post_create (refuses),
 *                           fexit/__sock_create (fentry backend), or under the
 *                           tracepoint and raw backends the syscall-exit
 *                           program (file.bpf.c: the attempt, native or
 *                           ia32), which report only
 * Source routes.  IP_OPTIONS with LSRR/SSRR, an IPv6 routing header
 * (IPV6_RTHDR, IPV6_2292RTHDR, or inside IPV6_2292PKTOPTIONS) send the
 * packets of a socket to a first hop that no connect() named:
 *   cgroup/setsockopt       every backend, judged as a call to an unknown
 *                           destination: every `when.dest` holds, no
 *                           `unless` dest does; refused under a block rule
 */
#include "net.bpf.h"
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define SOL_IP 0
#define SOL_IPV6 41
#define IP_OPTIONS 4
#define IPV6_2292RTHDR 5
#define IPV6_2292PKTOPTIONS 6
#define IPV6_RTHDR 57
#define IPOPT_END 0
#define IPOPT_NOOP 1
#define IPOPT_LSRR 0x83
#define IPOPT_SSRR 0x89
#define IPOPT_MAX 40		/* bytes of IPv4 options */
#define IPV6_SRCRT_TYPE_4 4	/* segment routing header */
#define CMSG_MAX 8		/* control messages of IPV6_2292PKTOPTIONS looked at */

/* How an event without a destination is judged (filter_maps.h). */
enum sock_judge { SJ_CREATE, SJ_ROUTE };

struct sock_what {
	__u16 family, type, ipproto;
	__u8 proto, op;
	__u8 hop_family;
	__u8 tracing;		/* a tracing/LSM program: every helper (not net_helpers) */
	__u8 hop[16];
};

/* Judges and reports one EV_SOCKET; 1 allows, 0 refuses. */
static __always_inline int sock_event(const struct sock_what *w, int how, int can_refuse)
{
	struct task_struct *task;
	struct net_conf *c;
	struct ev_socket e;
	__u64 flagged;

	c = net_conf_get();
	if (!c)
		return 1;
	stat_inc(STAT_SOCK_SEEN);
	task = w->tracing ? (struct task_struct *)bpf_get_current_task() : net_task();
	if (how == SJ_CREATE)
		flagged = net_judge(c, c->sock_when | c->proto_named, c->cond_dest_all, w->proto,
				    task);
	else
		flagged = net_judge(c, ~0ULL, 0, w->proto, task);
	if (!flagged)
		return 1;
	__builtin_memset(&e, 0, sizeof(e));
	if (w->tracing)
		header_fill(&e.h, EV_SOCKET, sizeof(e), task);
	else
		net_header(&e.h, EV_SOCKET, sizeof(e), task);
	e.family = w->family;
	e.type = w->type;
	e.ipproto = w->ipproto;
	e.proto = w->proto;
	e.op = w->op;
	e.hop_family = w->hop_family;
	__builtin_memcpy(e.addr, w->hop, 16);
	e.rule_mask = flagged;
	e.gen = (__u16)c->gen;
	e.blocked = can_refuse && (flagged & c->block) != 0;
	stat_inc(e.blocked ? STAT_SOCK_BLOCK : STAT_SOCK_EMIT);
	emit(&e, sizeof(e));
	return !e.blocked;
}

/* --- creation ---------------------------------------------------------------- */

SEC("cgroup/sock_create")
int net__cg_sock_create(struct bpf_sock *ctx)
{
	struct sock_what w = {};
	__u32 family = ctx->family;

	if (family != AF_INET && family != AF_INET6)
		return 1;
	w.proto = net_proto_of(ctx->type, ctx->protocol);
	if (w.proto == EV_PROTO_TCP || w.proto == EV_PROTO_UDP)
		return 1;	/* judged at connect/send */
	w.family = family;
	w.type = ctx->type;
	w.ipproto = ctx->protocol;
	w.op = EV_SOCK_CREATE;
	return sock_event(&w, SJ_CREATE, 1);
}

static __always_inline int packet_event(int type, int protocol, int can_refuse)
{
	struct sock_what w = {
		.family = AF_PACKET, .type = type, .ipproto = bpf_ntohs((__u16)protocol),
		.proto = EV_PROTO_PACKET, .op = EV_SOCK_CREATE, .tracing = 1,
	};

	return sock_event(&w, SJ_CREATE, can_refuse);
}

/* After the socket is made (a failed attempt is not reported); an error
 * here makes socket() fail and frees it. */
SEC("lsm/socket_post_create")
int BPF_PROG(opt_netpacket__lsm, struct socket *sock, int family, int type, int protocol,
	     int kern, int ret)
{
	if (ret)
		return lsm_ret(ret);
	if (family != AF_PACKET || kern)
		return 0;
	return packet_event(type, protocol, 1) ? 0 : -EPERM;
}

SEC("fexit/__sock_create")
int BPF_PROG(opt_netpacket__fentry, struct net *net, int family, int type, int protocol,
	     struct socket **res, int kern, int ret)
{
	/* the arguments as called: the kernel turns AF_INET + SOCK_PACKET into
	 * AF_PACKET inside, after fexit's copy of them was taken */
	if (family == AF_INET && type == SOCK_PACKET)
		family = AF_PACKET;
	if (ret || family != AF_PACKET || kern)
		return 0;
	packet_event(type, protocol, 0);
	return 0;
}

/*
 * socket(family, type, protocol) was called so that it makes an AF_PACKET
 * socket (makes_packet_socket, checked by the caller): reported, whether or
 * not it succeeded (without CAP_NET_RAW it fails).  Called by the
 * tracepoint and raw backends' syscall-exit programs (file.bpf.c,
 * socket_exit: native and ia32 socket(), ia32 socketcall(SYS_SOCKET)) and
 * their io_uring program (iouring.bpf.c: IORING_OP_SOCKET).  A global
 * function: verified once, on its own, not inside the file program.
 */
__noinline int netpacket_attempt(int type, int protocol)
{
	packet_event(type & 0xf, protocol, 0);	/* SOCK_TYPE_MASK */
	return 0;
}

/* --- source routes ------------------------------------------------------------ */

/*
 * IPv4 options with a source route: 1, its first hop in hop (when given).
 * Unrolled over the 40 bytes with a count of bytes to skip, so that every
 * read is at a constant offset (a loop over a moving offset makes the
 * verifier walk every length combination).
 */
static __always_inline int ipopt_srr(struct bpf_sockopt *ctx, __u8 *hop)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	__u32 skip = 0;

#pragma unroll
	for (int i = 0; i < IPOPT_MAX; i++) {
		__u8 type;

		if ((void *)(p + i + 1) > (void *)end)
			return 0;
		if (skip) {
			skip--;
			continue;
		}
		type = p[i];
		if (type == IPOPT_END)
			return 0;
		if (type == IPOPT_NOOP)
			continue;
		if (type == IPOPT_LSRR || type == IPOPT_SSRR) {
			if ((void *)(p + i + 7) <= (void *)end && p[i + 1] >= 7)
				__builtin_memcpy(hop, p + i + 3, 4);
			return 1;
		}
		if ((void *)(p + i + 2) > (void *)end || p[i + 1] < 2)
			return 0;
		skip = p[i + 1] - 1;
	}
	return 0;
}

/*
 * An IPv6 routing header at rh (struct ipv6_rt_hdr: nexthdr, hdrlen, type,
 * segments_left, 4 more bytes, then 16-byte addresses): its first hop, the
 * address the packets are sent to first.  A segment routing header (type 4)
 * lists the segments last first, so that is segments[segments_left]; the
 * others' is the first address.
 */
static __always_inline void rthdr_hop(__u8 *rh, void *end, __u8 *hop)
{
	__u8 *a;
	__u32 i;

	if ((void *)(rh + 8) > end)
		return;
	i = rh[2] == IPV6_SRCRT_TYPE_4 ? rh[3] : 0;
	a = rh + 8 + (i & 0x7f) * 16;
	if ((void *)(a + 16) <= end)
		__builtin_memcpy(hop, a, 16);
}

/*
 * IPV6_2292PKTOPTIONS: a buffer of control messages; 1 when one sets a
 * routing header, or when they cannot all be looked at (more than
 * CMSG_MAX, or past what the program is shown of the buffer): fail closed,
 * the hop then unknown.  0 when every message was seen and none sets one,
 * or the buffer is malformed (the kernel refuses it).
 */
static __always_inline int pktopts_rthdr(struct bpf_sockopt *ctx, __u8 *hop)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	__s32 total = ctx->optlen;
	__u32 off = 0;

	for (int i = 0; i < CMSG_MAX; i++) {
		__u8 *m = p + (off & 0xfff);
		__u64 len;
		int level, type;

		if ((__s64)off >= total)
			return 0;	/* every message looked at */
		if (off > 0xfff)
			return 1;	/* past the part shown */
		if ((void *)(m + 16) > (void *)end)
			return (__s64)off + 16 <= total;	/* shown cut short, or malformed */
		len = *(__u64 *)m;
		level = *(int *)(m + 8);
		type = *(int *)(m + 12);
		if (level == SOL_IPV6 && (type == IPV6_RTHDR || type == IPV6_2292RTHDR)) {
			rthdr_hop(m + 16, end, hop);
			return 1;
		}
		if (len < 16)
			return 0;	/* malformed: the kernel refuses it */
		off += (len + 7) & ~7ULL;
	}
	return (__s64)off < total;	/* more messages than looked at */
}

SEC("cgroup/setsockopt")
int net__cg_setsockopt(struct bpf_sockopt *ctx)
{
	struct sock_what w = {};
	struct bpf_sock *sk = ctx->sk;
	int level = ctx->level, name = ctx->optname;

	if (level == SOL_IP && name == IP_OPTIONS) {
		if (!ipopt_srr(ctx, w.hop))
			return 1;
		w.op = EV_SOCK_IP_OPTIONS;
		w.hop_family = AF_INET;
	} else if (level == SOL_IPV6 && (name == IPV6_RTHDR || name == IPV6_2292RTHDR)) {
		if (ctx->optlen <= 0)
			return 1;	/* removes the header */
		rthdr_hop(ctx->optval, ctx->optval_end, w.hop);
		w.op = EV_SOCK_IPV6_RTHDR;
		w.hop_family = AF_INET6;
	} else if (level == SOL_IPV6 && name == IPV6_2292PKTOPTIONS) {
		if (!pktopts_rthdr(ctx, w.hop))
			return 1;
		w.op = EV_SOCK_IPV6_RTHDR;
		w.hop_family = AF_INET6;
	} else {
		return 1;
	}
	if (!sk)
		return 1;
	w.family = sk->family;
	w.type = sk->type;
	w.ipproto = sk->protocol;
	w.proto = net_proto_of(sk->type, sk->protocol);
	return sock_event(&w, SJ_ROUTE, 1);
}
