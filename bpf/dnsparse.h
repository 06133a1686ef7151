/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * dnsparse.h - the DNS answer parser, one source for two builds: the BPF
 * program on the receive path (bpf/dns.bpf.c, reading the packet with
 * bpf_skb_load_bytes) and its user-space twin (user/filters/dnsparse.c,
 * reading a buffer), which the unit tests feed hostile packets.
 *
 * The types are for every includer; the functions only where DNS_PARSE_IMPL
 * is defined, with: DNS_CTX, the type of the packet handle (struct
 * __sk_buff; struct dns_buf in user space); DNS_FUNC, how a step is
 * declared (a global BPF function, so that the verifier checks each step
 * once, with unknown offsets, rather than every path of one through the
 * next; static in user space); DNS_LOAD(ctx, off, dst, len): copy len bytes
 * at offset off of the packet into dst, 0 on success, non-zero when they are
 * not all there; DNS_OUT(ctx): the struct dns_answer to fill (NULL: none).
 * Offsets are relative to the packet (the includer passes where the DNS
 * message starts and ends).
 *
 * What it takes from a message (RFC 1035): a response (QR 1, opcode 0,
 * RCODE 0) with exactly one question, whose name (QNAME) it copies in text,
 * lower case, without the final dot; then up to DNS_MAX_ANSWERS answer
 * records, of which it keeps the A and AAAA of class IN (their owner names
 * are skipped, not compared: every address of the answer is bound to the
 * name that was asked, so a CNAME chain binds its final addresses to the
 * asked name, and an answer can bind addresses only to the name it
 * answers).  Everything is bounded: labels of at most 63 bytes, names of at
 * most DNS_NAME_MAX bytes, DNS_MAX_LABELS labels, compression pointers only
 * where a name ends (one per name, never followed), and a message that
 * breaks any rule yields nothing (DNS_BAD) rather than a partial answer.
 */
#ifndef CUSTOS_DNSPARSE_H
#define CUSTOS_DNSPARSE_H

#define DNS_NAME_MAX 256	/* text name buffer: at most 253 bytes and a NUL */
#define DNS_MAX_LABELS 64	/* labels of a name (127 would fit the wire limit) */
#define DNS_MAX_ANSWERS 16	/* answer records looked at */
#define DNS_MAX_ADDRS 8		/* A/AAAA records kept */
#define DNS_HDR_LEN 12

enum dns_result {
	DNS_OK = 0,		/* out holds the name and 0..DNS_MAX_ADDRS addresses */
	DNS_NOT_ANSWER = 1,	/* a query, an error answer, or not one question */
	DNS_BAD = 2,		/* malformed or cut short: nothing taken */
};

struct dns_addr {
	__u8 family;		/* 4 or 6 */
	__u8 pad[3];
	__u32 ttl;		/* seconds, as the answer said */
	__u8 addr[16];		/* network byte order; IPv4 in the first 4 bytes */
};

struct dns_answer {
	__u32 name_len;		/* bytes of name, no NUL counted */
	__u32 n_addr;
	char name[DNS_NAME_MAX + 64];	/* room past the end so a label copy at
					 * any offset below DNS_NAME_MAX stays inside */
	struct dns_addr addrs[DNS_MAX_ADDRS];
};

#endif /* CUSTOS_DNSPARSE_H */

#if defined(DNS_PARSE_IMPL) && !defined(CUSTOS_DNSPARSE_IMPL)
#define CUSTOS_DNSPARSE_IMPL

#ifndef DNS_BARRIER
#define DNS_BARRIER(v) ((void)0)	/* BPF: barrier_var(v), so a mask is not optimized out */
#endif

/*
 * The question's name at off (labels, no compression: a query carries
 * none) into the answer's name in text.  The offset past it, or -1.
 */
DNS_FUNC int dns_qname(DNS_CTX *ctx, __u32 off, __u32 end)
{
	struct dns_answer *out = DNS_OUT(ctx);
	__u32 pos = 0, o = off;
	__u8 len = 0;

	if (!out || end > 0xffff)
		return -1;
	for (int i = 0; i < DNS_MAX_LABELS; i++) {
		if (o >= end || DNS_LOAD(ctx, o, &len, 1))
			return -1;
		o++;
		if (len == 0) {
			if (pos == 0)
				return -1;	/* the root: nothing to bind */
			out->name_len = pos - 1;	/* without the final dot */
			out->name[(pos - 1) & (DNS_NAME_MAX - 1)] = 0;
			return (int)o;
		}
		if (len > 63 || pos + len + 1 > DNS_NAME_MAX - 2 || o + len > end)
			return -1;
		/* 1..63, in a form the verifier sees is not 0 */
		if (DNS_LOAD(ctx, o, &out->name[pos & (DNS_NAME_MAX - 1)], ((len - 1) & 63) + 1))
			return -1;
		o += len;
		pos += len;
		out->name[pos & (DNS_NAME_MAX - 1)] = '.';
		pos++;
	}
	return -1;
}

/* The name in lower case; 0, or -1 for a byte other than letters, digits,
 * '-', '_' and dots. */
DNS_FUNC int dns_name_clean(DNS_CTX *ctx)
{
	struct dns_answer *out = DNS_OUT(ctx);

	if (!out)
		return -1;
	for (__u32 i = 0; i < DNS_NAME_MAX; i++) {
		char c;

		if (i >= out->name_len)
			break;
		c = out->name[i];
		if (c >= 'A' && c <= 'Z')
			out->name[i] = c - 'A' + 'a';
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			   c == '_' || c == '.'))
			return -1;
	}
	return 0;
}

/*
 * An owner name at off: labels, ending in a zero byte or in one
 * compression pointer (two bytes, not followed, but it must point back into
 * the message before itself, as RFC 1035 4.1.4 has them: a pointer to
 * itself or past it makes the message malformed).  The offset past it, or -1.
 */
DNS_FUNC int dns_skip_name(DNS_CTX *ctx, __u32 base, __u32 off, __u32 end)
{
	__u32 o = off;
	__u8 len = 0;

	if (end > 0xffff)
		return -1;
	for (int i = 0; i < DNS_MAX_LABELS; i++) {
		if (o >= end || DNS_LOAD(ctx, o, &len, 1))
			return -1;
		if (len == 0)
			return (int)(o + 1);
		if ((len & 0xc0) == 0xc0) {
			__u8 lo = 0;
			__u32 to;

			if (o + 2 > end || DNS_LOAD(ctx, o + 1, &lo, 1))
				return -1;
			to = (__u32)(len & 0x3f) << 8 | lo;	/* from the message's start */
			return to < DNS_HDR_LEN || to + base >= o ? -1 : (int)(o + 2);
		}
		if (len & 0xc0)
			return -1;	/* 0x40, 0x80: extended label types */
		o += 1 + len;
	}
	return -1;
}

/*
 * One answer record at off (base: where the message starts): an A or AAAA
 * of class IN goes into the answer (while there is room).  The offset past
 * it, or -1.
 */
DNS_FUNC int dns_record(DNS_CTX *ctx, __u32 base, __u32 off, __u32 end)
{
	struct dns_answer *out = DNS_OUT(ctx);
	__u8 f[10];
	__u16 type, class, rdlen;
	__u32 ttl, n;
	int o = dns_skip_name(ctx, base, off, end);

	if (!out || o < 0 || end > 0xffff)
		return -1;
	off = (__u32)o & 0xffff;
	if (off + 10 > end || DNS_LOAD(ctx, off, f, 10))
		return -1;
	type = (__u16)(f[0] << 8 | f[1]);
	class = (__u16)(f[2] << 8 | f[3]);
	ttl = (__u32)f[4] << 24 | (__u32)f[5] << 16 | (__u32)f[6] << 8 | f[7];
	rdlen = (__u16)(f[8] << 8 | f[9]);
	off += 10;
	if (off + rdlen > end)
		return -1;
	n = out->n_addr;
	if (class == 1 && ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16)) &&
	    n < DNS_MAX_ADDRS) {
		__u32 i = n;
		struct dns_addr *a;

		DNS_BARRIER(i);	/* keep the mask: older verifiers lose the compare's bound */
		a = &out->addrs[i & (DNS_MAX_ADDRS - 1)];

		a->family = type == 1 ? 4 : 6;
		a->ttl = ttl > 0x7fffffff ? 0 : ttl;	/* RFC 2181: a TTL over 2^31 is 0 */
		__builtin_memset(a->addr, 0, sizeof(a->addr));	/* an IPv4 key's zero tail */
		if (DNS_LOAD(ctx, off, a->addr, type == 1 ? 4 : 16))
			return -1;
		out->n_addr = n + 1;
	} else if ((type == 1 || type == 28) && class == 1 && n < DNS_MAX_ADDRS) {
		return -1;		/* an A of 3 bytes... */
	}
	return (int)(off + rdlen);
}

/* The message in [off, end): DNS_OK with the answer filled, or why not. */
DNS_FUNC int dns_parse(DNS_CTX *ctx, __u32 off, __u32 end)
{
	struct dns_answer *out = DNS_OUT(ctx);
	__u8 h[DNS_HDR_LEN];
	__u32 base = off;
	__u16 qd, an;
	int o;

	if (!out || end > 0xffff)
		return DNS_BAD;
	out->name_len = 0;
	out->n_addr = 0;
	if (off + DNS_HDR_LEN > end || DNS_LOAD(ctx, off, h, DNS_HDR_LEN))
		return DNS_BAD;
	/* QR 1, opcode 0 (query), RCODE 0 */
	if (!(h[2] & 0x80) || (h[2] & 0x78) || (h[3] & 0x0f))
		return DNS_NOT_ANSWER;
	qd = (__u16)(h[4] << 8 | h[5]);
	an = (__u16)(h[6] << 8 | h[7]);
	if (qd != 1)
		return DNS_NOT_ANSWER;
	o = dns_qname(ctx, off + DNS_HDR_LEN, end);
	if (o < 0 || dns_name_clean(ctx) < 0 || (__u32)o + 4 > end)
		return DNS_BAD;
	off = (__u32)o + 4;	/* QTYPE, QCLASS */
	for (__u32 i = 0; i < DNS_MAX_ANSWERS; i++) {
		if (i >= an)
			break;
		o = dns_record(ctx, base, off, end);
		if (o < 0)
			return DNS_BAD;
		off = (__u32)o & 0xffff;
	}
	return DNS_OK;
}

#endif /* DNS_PARSE_IMPL */
