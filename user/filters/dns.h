/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dns.h - DNS names in the egress decision, the agent's side (filter_maps.h,
 * "DNS names"): which resolvers are trusted, the bindings' slots after a
 * reload, the table's size for status, and the user-space twin of the
 * kernel's answer parser (bpf/dnsparse.h), which the unit tests feed.
 */
#ifndef CUSTOS_FILTERS_DNS_H
#define CUSTOS_FILTERS_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "filter_maps.h"
#include "filters/net.h"
#include "kernel/loader.h"

#define DNS_PORT 53
#define DNS_TTL_MAX_S 86400	/* a longer TTL counts as one day */
#define DNS_RESOLV_CONF "/etc/resolv.conf"
#define DNS_MAX_SERVERS 64	/* dns_servers entries */

/*
 * The user-space twin: bpf/dnsparse.h built over a buffer.  DNS_LOAD copies
 * from ctx, a struct dns_buf, failing outside it as bpf_skb_load_bytes does
 * outside the packet.
 */
#include <linux/types.h>
#include <string.h>
#include <sys/cdefs.h>

#include "dnsparse.h"

struct dns_buf {
	const uint8_t *p;
	size_t len;
	struct dns_answer *out;
};

static inline int dns_buf_load(void *ctx, __u32 off, void *dst, __u32 len)
{
	const struct dns_buf *b = ctx;

	if (off > b->len || len > b->len - off)
		return -1;
	memcpy(dst, b->p + off, len);
	return 0;
}

#define DNS_PARSE_IMPL
#define DNS_CTX struct dns_buf
#define DNS_FUNC static inline
#define DNS_LOAD(ctx, off, dst, len) dns_buf_load(ctx, off, dst, len)
#define DNS_OUT(ctx) ((ctx)->out)
#include "dnsparse.h"

/*
 * Parses "ADDR", "ADDR:PORT", "[IPV6]:PORT" or a bare IPv6 into a
 * dns_servers key (port 53 when none).  0, or -EINVAL with why set.
 */
int filter_dns_server_parse(const char *s, struct dns_server_key *out, char *why, size_t wl);

/*
 * The nameservers of a resolv.conf text (lines "nameserver ADDR"), port 53,
 * into out (at most max); how many.
 */
size_t filter_dns_resolv_conf(const char *text, struct dns_server_key *out, size_t max);

/*
 * Writes dns_servers (servers, or without any the nameservers of
 * /etc/resolv.conf) and dns_conf (parsing on, the TTL cap, grace_s).
 * 0, or -errno with err set.
 */
int filter_dns_configure(struct loader *l, const char *const *servers, size_t n,
			 uint32_t grace_s, char *err, size_t errlen);

/* The name slots of c that hold for a name (lower case, no final dot), as
 * bpf/dns.bpf.c computes them at an answer. */
uint64_t filter_dns_slots(const struct filter_net *c, const char *name, size_t len);

/* Every binding's slots and gen recomputed from its name for c (a reload). */
int filter_dns_rewrite(const struct loader *l, const struct filter_net *c);

/* The bindings in the kernel's table now.  0 or -errno. */
int filter_dns_count(const struct loader *l, uint64_t *n);

/* The twin: the DNS message msg[0..len) parsed as the kernel parses it. */
int filter_dns_parse(const uint8_t *msg, size_t len, struct dns_answer *out);

#endif
