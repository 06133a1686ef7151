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
 * Raw IP sockets (SOCK_RAW: ICMP, hand-made UDP/TCP, any protocol) pass
 * none of the cgroup hooks.  Where BPF LSM runs, opt_netguard__lsm_connect
 * and opt_netguard__lsm_sendmsg (socket_connect, socket_sendmsg) take the
 * same decision for AF_INET/AF_INET6 sockets of type SOCK_RAW only (TCP and
 * UDP stay with the cgroup hooks: no record twice), with no port.  The
 * loader loads them only with the cgroup programs (same kernel needs).
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
#define SOCK_RAW 3
#define TCP_ESTABLISHED 1

/* which proto masks of net_conf apply */
enum net_kind { NK_TCP, NK_UDP, NK_RAW };

/* self_tgid, wakeup_bytes: defined in exec.bpf.c, documented in common.bpf.h. */

struct net_bits {
	__u64 when;
	__u64 unless;
	__u64 quiet;
};

static __always_inline void dest_lookup(__u8 family, const __u8 *addr, __u16 port, int raw,
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
		if (raw ? v->r[i].any_port : port >= v->r[i].lo && port <= v->r[i].hi) {
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

/*
 * The egress decision of the cgroup and the LSM programs (filter_maps.h,
 * "connect").  addr: 16 bytes, IPv4 in the first 4; port in host order (0
 * for raw); ipproto the IP protocol number.  1 allows, 0 refuses.
 */
static __always_inline int decide(__u8 family, const __u8 *addr, __u16 port, int kind,
				  __u8 ipproto, __u8 op)
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

	if (self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 1;
	c = bpf_map_lookup_elem(&net_conf, &zero);
	if (!c || !c->active)
		return 1;
	stat_inc(STAT_NET_SEEN);

	if (family == AF_INET) {
		dest_lookup(4, addr, port, kind == NK_RAW, &b);
	} else {
		dest_lookup(6, addr, port, kind == NK_RAW, &b);
		for (int i = 0; i < 12; i++)
			if (addr[i] != mapped[i])
				is_mapped = 0;
		if (is_mapped) {
			__builtin_memcpy(v4, addr + 12, 4);
			dest_lookup(4, v4, port, kind == NK_RAW, &b);
		}
	}

	flagged = (b.when | c->when_any_dest) & c->active &
		  (kind == NK_TCP ? c->tcp : kind == NK_UDP ? c->udp : c->raw);
	/* fast path (filter_maps.h): rules a dest-only `unless` suppresses */
	if (!(flagged & ~b.quiet))
		return 1;

	task = (struct task_struct *)bpf_get_current_task();
	holds = c->cond_valid & (b.unless | ~c->cond_need_dest) &
		(kind == NK_TCP ? c->cond_tcp : kind == NK_UDP ? c->cond_udp : c->cond_raw);
	/* labels: looked up only when a rule or condition left needs them */
	if ((flagged & c->need_labels) || (holds & c->cond_need_labels)) {
		__u64 held = labels_held(bpf_get_current_pid_tgid() >> 32, task_start_ns(task));

		flagged &= slots_of(held, c->label_when, PROC_LABEL_MAX) | ~c->need_labels;
		holds &= slots_of(held, c->label_unless, PROC_LABEL_MAX) | ~c->cond_need_labels;
	}
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
	e.proto = kind == NK_RAW ? EV_PROTO_RAW : ipproto;
	e.ipproto = ipproto;
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

static __always_inline int cg_kind(__u32 proto)
{
	return proto == IPPROTO_TCP ? NK_TCP : proto == IPPROTO_UDP ? NK_UDP : -1;
}

static __always_inline int on_addr4(struct bpf_sock_addr *ctx, __u8 op)
{
	__u8 addr[16] = {};
	__u32 ip = ctx->user_ip4;
	__u32 proto = ctx->protocol;
	int kind = cg_kind(proto);

	if (kind < 0)
		return 1;
	__builtin_memcpy(addr, &ip, 4);
	return decide(AF_INET, addr, bpf_ntohs((__u16)ctx->user_port), kind, (__u8)proto, op);
}

static __always_inline int on_addr6(struct bpf_sock_addr *ctx, __u8 op)
{
	__u32 a[4];
	__u32 proto = ctx->protocol;
	int kind = cg_kind(proto);

	if (kind < 0)
		return 1;
	a[0] = ctx->user_ip6[0];
	a[1] = ctx->user_ip6[1];
	a[2] = ctx->user_ip6[2];
	a[3] = ctx->user_ip6[3];
	return decide(AF_INET6, (const __u8 *)a, bpf_ntohs((__u16)ctx->user_port), kind,
		      (__u8)proto, op);
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

/* --- raw IP sockets: BPF LSM (opt_netguard__lsm) ---------------------------- */

/* The socket's family when it is an AF_INET/AF_INET6 SOCK_RAW socket, else 0. */
static __always_inline int raw_family(struct socket *sock, __u8 *ipproto)
{
	struct sock *sk;
	__u16 fam;

	if (BPF_CORE_READ(sock, type) != SOCK_RAW)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam != AF_INET && fam != AF_INET6)
		return 0;
	*ipproto = (__u8)BPF_CORE_READ(sk, sk_protocol);
	return fam;
}

/*
 * A destination from a sockaddr in kernel memory (connect's address, the
 * kernel's copy of sendmsg's msg_name): AF_INET with len >= 16, AF_INET6 with
 * len >= 24 (SIN6_LEN_RFC2133); unspec_as is the family AF_UNSPEC stands for
 * (raw_sendmsg and rawv6_sendmsg take an AF_UNSPEC name as their own family),
 * 0 where it means something else.  The family, or 0 when there is none.
 */
static __always_inline int sa_dest(const void *sa, int len, int unspec_as, __u8 *addr)
{
	__u16 fam = 0;

	if (!sa || bpf_probe_read_kernel(&fam, sizeof(fam), sa))
		return 0;
	if (fam == 0)
		fam = unspec_as;
	if (fam == AF_INET && len >= 16) {
		if (bpf_probe_read_kernel(addr, 4, (const __u8 *)sa + 4))
			return 0;
		return AF_INET;
	}
	if (fam == AF_INET6 && len >= 24) {
		if (bpf_probe_read_kernel(addr, 16, (const __u8 *)sa + 8))
			return 0;
		return AF_INET6;
	}
	return 0;
}

SEC("lsm/socket_connect")
int BPF_PROG(opt_netguard__lsm_connect, struct socket *sock, struct sockaddr *address,
	     int addrlen, int ret)
{
	__u8 addr[16] = {}, ipproto = 0;
	int sfam, fam;

	if (ret)
		return lsm_ret(ret);
	sfam = raw_family(sock, &ipproto);
	if (!sfam)
		return 0;
	/* AF_UNSPEC dissolves the association: no destination */
	fam = sa_dest(address, addrlen, 0, addr);
	if (!fam || (sfam == AF_INET && fam != AF_INET))
		return 0;
	return decide(fam, addr, 0, NK_RAW, ipproto, EV_NET_CONNECT) ? 0 : -EPERM;
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(opt_netguard__lsm_sendmsg, struct socket *sock, struct msghdr *msg, int size,
	     int ret)
{
	__u8 addr[16] = {}, ipproto = 0;
	struct sock *sk;
	void *name;
	int sfam, fam;

	if (ret)
		return lsm_ret(ret);
	sfam = raw_family(sock, &ipproto);
	if (!sfam)
		return 0;
	name = BPF_CORE_READ(msg, msg_name);
	if (name) {
		/* the kernel's copy (move_addr_to_kernel), as the protocol sees it */
		fam = sa_dest(name, BPF_CORE_READ(msg, msg_namelen), sfam, addr);
		if (fam != sfam)
			return 0;	/* the protocol refuses it (EAFNOSUPPORT) */
	} else {
		/* a connected socket sends to its peer */
		sk = BPF_CORE_READ(sock, sk);
		if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_ESTABLISHED)
			return 0;	/* EDESTADDRREQ */
		fam = sfam;
		if (sfam == AF_INET) {
			__be32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);

			__builtin_memcpy(addr, &d, 4);
		} else {
			BPF_CORE_READ_INTO(addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
	}
	return decide(fam, addr, 0, NK_RAW, ipproto, EV_NET_SENDMSG) ? 0 : -EPERM;
}
