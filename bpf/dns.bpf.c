// SPDX-License-Identifier: GPL-2.0-only
/*
 * dns.bpf.c - DNS names for the egress decision: the answers processes
 * receive, read on the receive path before the socket has them.
 *
 * cgroup_skb/ingress at the cgroup v2 root (every process's sockets): a UDP
 * datagram or TCP segment from a trusted resolver (dns_servers: address and
 * source port) to a socket that asked it (dns_askers) is parsed
 * (dnsparse.h) and each A/AAAA address of an answer bound to the asked
 * name in dns_bind (filter_maps.h, "DNS names").  The
 * binding exists before recvmsg() returns the answer, so a connect to a
 * just-resolved address is decided with it.  The program never drops a
 * packet (it returns 1 for every one) and reads at most one DNS message
 * per packet: a TCP answer is parsed when a segment starts with the
 * message's length and holds all of it (an answer cut over segments binds
 * nothing: fail closed).  IPv4 fragments and IPv6 extension headers are not
 * parsed either.
 */
#include "net.bpf.h"
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* The parser's output.  It takes the packet so that every step uses its
 * ctx argument (the compiler passes no ctx to a step that does not). */
static __always_inline struct dns_answer *scratch_answer(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct dns_scratch *s;

	if (!skb)
		return 0;
	s = bpf_map_lookup_elem(&dns_scratch, &zero);
	return s ? &s->answer : 0;
}

/* the parser's steps as global functions, each verified once (dnsparse.h) */
#define DNS_PARSE_IMPL
#define DNS_CTX struct __sk_buff
#define DNS_FUNC __noinline
#define DNS_LOAD(ctx, off, dst, len) bpf_skb_load_bytes(ctx, off, dst, len)
#define DNS_OUT(ctx) scratch_answer(ctx)
#define DNS_BARRIER(v) barrier_var(v)
#include "dnsparse.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IP_MF_OFFSET 0x3fff	/* more fragments, fragment offset */
#define NS_PER_S 1000000000ULL

/* Where the DNS message of a packet is, and who sent it. */
struct dns_pkt {
	struct dns_server_key from;
	__u32 off, end;
};

/*
 * IPv4 or IPv6, UDP or TCP, from a source port some trusted resolver uses:
 * from, and the message's bounds.  0: not a packet to parse.  The headers
 * are read in place (direct packet access): every packet of the host passes
 * here, and most stop at the port.
 */
static __always_inline int locate(struct __sk_buff *skb, const struct dns_conf *dc,
				  struct dns_pkt *p)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	__u32 l4, end = skb->len;
	__u8 *l4h, proto, len[2];

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > data_end || ip->ihl != 5 ||
		    (ip->frag_off & bpf_htons(IP_MF_OFFSET)))
			return 0;	/* options or a fragment: not parsed */
		proto = ip->protocol;
		l4 = sizeof(*ip);
		if (bpf_ntohs(ip->tot_len) < end)
			end = bpf_ntohs(ip->tot_len);
		p->from.family = 4;
		__builtin_memcpy(p->from.addr, &ip->saddr, 4);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		proto = ip6->nexthdr;	/* extension headers: not parsed */
		l4 = sizeof(*ip6);
		if (40 + bpf_ntohs(ip6->payload_len) < end)
			end = 40 + bpf_ntohs(ip6->payload_len);
		p->from.family = 6;
		__builtin_memcpy(p->from.addr, &ip6->saddr, 16);
	} else {
		return 0;
	}
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return 0;
	l4h = data + l4;
	if ((void *)(l4h + 14) > data_end)
		return 0;
	p->from.port = (__u16)(l4h[0] << 8 | l4h[1]);
	/* a resolver's port before the hash lookup: most packets stop here */
	if (!dc->any_port && p->from.port != dc->ports[0] && p->from.port != dc->ports[1] &&
	    p->from.port != dc->ports[2] && p->from.port != dc->ports[3])
		return 0;
	if (proto == IPPROTO_UDP) {
		p->off = l4 + 8;
		p->end = end;
		return 1;
	}
	/* TCP: the payload starts with the message's 2-byte length */
	p->off = l4 + (l4h[12] >> 4) * 4;
	if (p->off + 2 > end || bpf_skb_load_bytes(skb, p->off, len, 2))
		return 0;
	p->end = p->off + 2 + (len[0] << 8 | len[1]);
	p->off += 2;
	return p->end <= end;
}

/* The name slots of the asked name: its own pattern, and "*." + each of its suffixes. */
static __always_inline __u64 name_slots(struct dns_scratch *s)
{
	__u32 len = s->answer.name_len;
	__u64 slots = 0, *v;

	__builtin_memset(&s->key, 0, sizeof(s->key));
	bpf_probe_read_kernel(s->key.name, len & (DNS_NAME_KEY - 1), s->answer.name);
	v = bpf_map_lookup_elem(&dns_names, &s->key);
	if (v)
		slots |= *v;
	for (__u32 i = 0; i < DNS_NAME_KEY - 1; i++) {
		if (i >= len)
			break;
		if (s->answer.name[i] != '.')
			continue;
		__builtin_memset(&s->key, 0, sizeof(s->key));
		s->key.wild = 1;
		bpf_probe_read_kernel(s->key.name, (len - i - 1) & (DNS_NAME_KEY - 1),
				      &s->answer.name[(i + 1) & (DNS_NAME_KEY - 1)]);
		v = bpf_map_lookup_elem(&dns_names, &s->key);
		if (v)
			slots |= *v;
	}
	return slots;
}

/* Every address of the answer bound to its name. */
static __always_inline void bind_all(struct dns_scratch *s, const struct dns_conf *dc)
{
	struct dns_bind_key k = {};
	struct net_conf *nc;
	__u32 zero = 0, len = s->answer.name_len;
	__u64 now = bpf_ktime_get_boot_ns();

	nc = bpf_map_lookup_elem(&net_conf, &zero);
	s->val.slots = name_slots(s);
	s->val.gen = nc ? nc->gen : 0;
	s->val.name_len = len;
	bpf_probe_read_kernel(s->val.name, len & (DNS_NAME_KEY - 1), s->answer.name);
	for (int n = 0; n < DNS_MAX_ADDRS; n++) {
		struct dns_addr *a = &s->answer.addrs[n];
		__u32 ttl;

		if (n >= s->answer.n_addr)
			break;
		ttl = a->ttl < dc->ttl_max_s ? a->ttl : dc->ttl_max_s;
		s->val.expires_ns = now + ((__u64)ttl + dc->grace_s) * NS_PER_S;
		k.family = a->family;
		__builtin_memcpy(k.addr, a->addr, 16);
		if (bpf_map_update_elem(&dns_bind, &k, &s->val, BPF_NOEXIST) == 0)
			stat_inc(STAT_DNS_NEW);
		else
			bpf_map_update_elem(&dns_bind, &k, &s->val, BPF_ANY);
		stat_inc(STAT_DNS_BOUND);
	}
}

SEC("cgroup_skb/ingress")
int net__cg_dns(struct __sk_buff *skb)
{
	struct dns_pkt p = {};
	struct dns_scratch *s;
	struct dns_conf *dc;
	__u64 cookie;
	__u32 zero = 0;
	int rc;

	dc = bpf_map_lookup_elem(&dns_conf, &zero);
	if (!dc || !dc->active || !locate(skb, dc, &p))
		return 1;
	if (!bpf_map_lookup_elem(&dns_servers, &p.from))
		return 1;	/* not a trusted resolver (or not DNS at all) */
	/* to a socket of the host's that asked it (filter_maps.h, "DNS names") */
	cookie = bpf_get_socket_cookie(skb);
	if (!cookie || !bpf_map_lookup_elem(&dns_askers, &cookie)) {
		stat_inc(STAT_DNS_UNASKED);
		return 1;
	}
	s = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!s)
		return 1;
	stat_inc(STAT_DNS_ANSWERS);
	rc = dns_parse(skb, p.off, p.end);
	if (rc == DNS_BAD)
		stat_inc(STAT_DNS_BAD);
	if (rc == DNS_OK)
		bind_all(s, dc);
	return 1;
}
