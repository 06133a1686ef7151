// SPDX-License-Identifier: GPL-2.0-only
/*
 * net.bpf.c - egress: connect and send, every protocol, IPv4 and IPv6.
 *
 * cgroup sock_addr hooks attached at the cgroup v2 root (loader.c), so every
 * process on the host passes them, in child cgroups and containers too.
 * The decision (filter_maps.h, "connect"; net.bpf.h) is taken here: an
 * approved destination produces nothing; a flagged one a record; a block
 * rule's match refuses the call with EPERM before a packet leaves.
 *
 * connect4/6 see connect() of every protocol whose kernel code calls them
 * (TCP, MPTCP, UDP, ping sockets from 5.18); sendmsg4/6 a UDP or UDP-Lite
 * send that carries an address (sendto/sendmsg on an unconnected socket).
 * Whatever the protocol, the call is judged (fail closed): a protocol custos
 * has no name for is EV_PROTO_OTHER, which only rules without `proto` cover.
 * A send() on a connected UDP socket passes neither: its connect() did.
 * An AF_INET6 socket reaching an IPv4 peer (::ffff:a.b.c.d) passes the *6
 * hooks with the mapped address, except a UDP send, which the kernel hands
 * to the *4 hook: both are recorded as the socket's family, AF_INET6, with
 * the mapped address.
 *
 * Raw IP sockets (SOCK_RAW) and ping sockets' sends pass none of the cgroup
 * hooks.  Where BPF LSM runs, opt_netguard__lsm_connect and
 * opt_netguard__lsm_sendmsg (socket_connect, socket_sendmsg) take the same
 * decision for AF_INET/AF_INET6 sockets of type SOCK_RAW, and for ping
 * sockets' sends, with no port.  On every backend their creation is judged
 * by netsock.bpf.c.  The loader loads them only with the cgroup programs.
 */
#include "net.bpf.h"
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* wakeup_bytes: defined in exec.bpf.c, documented in common.bpf.h. */
const volatile __u32 net_helpers = 0;

struct net_bits {
	__u64 when;
	__u64 unless;
	__u64 quiet;
};

/* The bits of the port ranges of v that hold port (portless: those without a port). */
static __always_inline void ranges_or(const struct net_dest_val *v, __u16 port, int portless,
				      struct net_bits *out)
{
	for (int i = 0; i < NET_PORT_RANGES; i++) {
		if (i >= v->n)
			break;
		if (portless ? v->r[i].any_port : port >= v->r[i].lo && port <= v->r[i].hi) {
			out->when |= v->r[i].when;
			out->unless |= v->r[i].unless;
			out->quiet |= v->r[i].quiet;
		}
	}
}

static __always_inline void dest_lookup(__u8 family, const __u8 *addr, __u16 port, int portless,
					struct net_bits *out)
{
	struct net_dest_key k = {};
	struct net_dest_val *v;

	k.prefixlen = 8 + (family == 4 ? 32 : 128);
	k.family = family;
	__builtin_memcpy(k.addr, addr, 16);
	v = bpf_map_lookup_elem(&net_dest, &k);
	if (v)
		ranges_or(v, port, portless, out);
}

/* The live binding of an address (filter_maps.h, "DNS names"), or NULL. */
static __always_inline struct dns_bind_val *binding(__u8 family, const __u8 *addr)
{
	struct dns_bind_key k = {};
	struct dns_bind_val *v;

	k.family = family;
	__builtin_memcpy(k.addr, addr, 16);
	v = bpf_map_lookup_elem(&dns_bind, &k);
	return v && bpf_ktime_get_boot_ns() <= v->expires_ns ? v : 0;
}

/* The bits of the name slots a binding of the current gen stands for. */
static __always_inline void name_lookup(const struct dns_bind_val *v, __u32 gen, __u16 port,
					int portless, struct net_bits *out)
{
	__u64 slots = v && v->gen == gen ? v->slots : 0;

	for (__u32 n = 0; n < NET_MAX_NAMES; n++) {
		struct net_port_bits *r;
		__u32 k = n;

		if (!((slots >> n) & 1))
			continue;
		r = bpf_map_lookup_elem(&net_names, &k);
		if (r && (portless ? r->any_port : port >= r->lo && port <= r->hi)) {
			out->when |= r->when;
			out->unless |= r->unless;
			out->quiet |= r->quiet;
		}
	}
}

/*
 * The egress decision of the cgroup and the LSM programs for a call to a
 * destination.  addr: 16 bytes, IPv4 in the first 4; port in host order
 * (ignored for a protocol without ports); proto the socket's kind (enum
 * ev_proto), ipproto its protocol number; tracing: called from an LSM
 * program, which may call every helper (net_helpers is the cgroup
 * programs').  1 allows, 0 refuses.
 */
static __always_inline int decide(__u8 family, const __u8 *addr, __u16 port, int proto,
				  __u16 ipproto, __u8 op, int tracing)
{
	static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	int portless = !net_has_ports(proto), is_mapped = family == AF_INET6;
	struct dns_bind_val *bind = 0;
	struct task_struct *task;
	struct net_bits b = {};
	struct net_conf *c;
	struct scratch *s;
	struct ev_connect *e;
	__u64 flagged, pmask;
	__u32 name_len;
	__u8 v4[16] = {};

	c = net_conf_active();
	if (!c)
		return 1;
	stat_inc(STAT_NET_SEEN);
	if (portless)
		port = 0;
	pmask = c->active & c->proto[proto & (NET_PROTOS - 1)];

	dest_lookup(family == AF_INET ? 4 : 6, addr, port, portless, &b);
	for (int i = 0; i < 12 && is_mapped; i++)
		if (addr[i] != mapped[i])
			is_mapped = 0;
	if (is_mapped) {
		__builtin_memcpy(v4, addr + 12, 4);
		dest_lookup(4, v4, port, portless, &b);
	}
	/* fast path (filter_maps.h): rules a dest-only `unless` suppresses;
	 * an approval holds for whoever calls, so the agent is asked after */
	flagged = (b.when | c->when_any_dest) & pmask;
	if (!(flagged & ~b.quiet))
		return 1;
	if (net_is_self())
		return 1;
	/* names: the address's binding, learned from a DNS answer */
	bind = is_mapped ? binding(4, v4) : binding(family == AF_INET ? 4 : 6, addr);
	if (c->any_names && bind) {
		name_lookup(bind, c->gen, port, portless, &b);
		flagged = (b.when | c->when_any_dest) & pmask;
		if (!(flagged & ~b.quiet))
			return 1;
	}

	task = tracing ? (struct task_struct *)bpf_get_current_task() : net_task();
	flagged = net_judge(c, b.when | c->when_any_dest, b.unless, proto, task);
	if (!flagged)
		return 1;

	s = scratch_at(scratch_claim());
	if (!s) {
		flagged &= c->block;
		stat_inc(flagged ? STAT_NET_BLOCK : STAT_NET_EMIT);
		count_unbuilt(EV_CONNECT);
		return !flagged;
	}
	e = &s->connect;
	__builtin_memset(e, 0, EV_CONNECT_FIXED);
	if (tracing)
		header_fill(&e->h, EV_CONNECT, EV_CONNECT_FIXED, task);
	else
		net_header(&e->h, EV_CONNECT, EV_CONNECT_FIXED, task);
	e->family = family;
	e->proto = proto;
	e->ipproto = ipproto;
	e->op = op;
	e->port = port;
	__builtin_memcpy(e->addr, addr, 16);
	e->rule_mask = flagged;
	e->gen = (__u16)c->gen;
	e->exec_seq = (__u8)exec_seq_of((__u64)task);
	e->blocked = (flagged & c->block) != 0;
	name_len = bind ? bind->name_len & (DNS_NAME_KEY - 1) : 0;
	if (name_len)
		bpf_probe_read_kernel(e->name, name_len, bind->name);
	e->name_len = name_len;
	e->h.size = EV_CONNECT_FIXED + name_len;
	stat_inc(e->blocked ? STAT_NET_BLOCK : STAT_NET_EMIT);
	emit(e, EV_CONNECT_FIXED + name_len);
	flagged = e->blocked;
	scratch_release(s);
	return flagged ? 0 : 1;
}

/*
 * A socket of the host's network namespace that connects or sends to a
 * trusted resolver becomes an asker: answers to it may bind names
 * (dns.bpf.c; filter_maps.h, "DNS names").  v4: the IPv4 address in its
 * first 4 bytes (family 4), else an IPv6 one.
 */
static __always_inline void note_asker(struct bpf_sock_addr *ctx, int v4, const __u8 *addr,
				       __u16 port)
{
	struct dns_server_key k = { .family = v4 ? 4 : 6, .port = port };
	struct dns_conf *dc;
	__u32 zero = 0;
	__u64 cookie;
	__u8 one = 1;

	dc = bpf_map_lookup_elem(&dns_conf, &zero);
	if (!dc || !dc->active)
		return;
	if (!dc->any_port && port != dc->ports[0] && port != dc->ports[1] &&
	    port != dc->ports[2] && port != dc->ports[3])
		return;
	if (v4)
		__builtin_memcpy(k.addr, addr, 4);
	else
		__builtin_memcpy(k.addr, addr, 16);
	if (!bpf_map_lookup_elem(&dns_servers, &k))
		return;
	if (bpf_get_netns_cookie(ctx) != bpf_get_netns_cookie(NULL))
		return;		/* the address is another namespace's to give */
	cookie = bpf_get_socket_cookie(ctx);
	bpf_map_update_elem(&dns_askers, &cookie, &one, BPF_ANY);
}

/*
 * An IPv4 destination.  The *4 hooks also see a UDP send of an AF_INET6
 * socket to a v4-mapped address (udpv6_sendmsg hands it to udp_sendmsg):
 * ctx->family is the socket's, and the record keeps it, with ::ffff:a.b.c.d.
 */
static __always_inline int on_addr4(struct bpf_sock_addr *ctx, __u8 op)
{
	__u8 addr[16] = {};
	__u32 ip = ctx->user_ip4;
	__u32 ipproto = ctx->protocol;
	int proto = net_proto_of(ctx->type, ipproto);
	__u16 port = bpf_ntohs((__u16)ctx->user_port);

	note_asker(ctx, 1, (const __u8 *)&ip, port);
	if (ctx->family == AF_INET6) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		__builtin_memcpy(addr + 12, &ip, 4);
		return decide(AF_INET6, addr, port, proto, (__u16)ipproto, op, 0);
	}
	__builtin_memcpy(addr, &ip, 4);
	return decide(AF_INET, addr, port, proto, (__u16)ipproto, op, 0);
}

static __always_inline int on_addr6(struct bpf_sock_addr *ctx, __u8 op)
{
	__u32 a[4];
	__u32 ipproto = ctx->protocol;

	a[0] = ctx->user_ip6[0];
	a[1] = ctx->user_ip6[1];
	a[2] = ctx->user_ip6[2];
	a[3] = ctx->user_ip6[3];
	/* ::ffff:a.b.c.d goes out as IPv4, and its answer comes back as IPv4 */
	if (!a[0] && !a[1] && a[2] == bpf_htonl(0xffff))
		note_asker(ctx, 1, (const __u8 *)&a[3], bpf_ntohs((__u16)ctx->user_port));
	else
		note_asker(ctx, 0, (const __u8 *)a, bpf_ntohs((__u16)ctx->user_port));
	return decide(AF_INET6, (const __u8 *)a, bpf_ntohs((__u16)ctx->user_port),
		      net_proto_of(ctx->type, ipproto), (__u16)ipproto, op, 0);
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

/* --- raw IP and ping sockets: BPF LSM (opt_netguard__lsm) ------------------- */

/*
 * The socket's family when the LSM hooks judge its calls, else 0: an
 * AF_INET/AF_INET6 socket of type SOCK_RAW, or (sends only: a ping
 * connect() passes cgroup/connect4|6 from 5.18 and sends nothing) a ping
 * socket.  *proto its kind, *ipproto its protocol number.
 */
static __always_inline int lsm_family(struct socket *sock, int sending, int *proto,
				      __u16 *ipproto)
{
	__u16 type = BPF_CORE_READ(sock, type), fam;
	struct sock *sk;

	if (type != SOCK_RAW && !(sending && type == SOCK_DGRAM))
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam != AF_INET && fam != AF_INET6)
		return 0;
	*ipproto = BPF_CORE_READ(sk, sk_protocol);
	*proto = net_proto_of(type, *ipproto);
	if (*proto != EV_PROTO_RAW && *proto != EV_PROTO_ICMP)
		return 0;	/* UDP, UDP-Lite: the cgroup hooks' */
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
	__u8 addr[16] = {};
	__u16 ipproto = 0;
	int sfam, fam, proto = 0;

	if (ret)
		return lsm_ret(ret);
	sfam = lsm_family(sock, 0, &proto, &ipproto);
	if (!sfam)
		return 0;
	/* AF_UNSPEC dissolves the association: no destination */
	fam = sa_dest(address, addrlen, 0, addr);
	if (!fam || (sfam == AF_INET && fam != AF_INET))
		return 0;
	return decide(fam, addr, 0, proto, ipproto, EV_NET_CONNECT, 1) ? 0 : -EPERM;
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(opt_netguard__lsm_sendmsg, struct socket *sock, struct msghdr *msg, int size,
	     int ret)
{
	__u8 addr[16] = {};
	__u16 ipproto = 0;
	struct sock *sk;
	void *name;
	int sfam, fam, proto = 0;

	if (ret)
		return lsm_ret(ret);
	sfam = lsm_family(sock, 1, &proto, &ipproto);
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
	return decide(fam, addr, 0, proto, ipproto, EV_NET_SENDMSG, 1) ? 0 : -EPERM;
}
