/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dest.h - a network destination pattern, the value of a rule's `dest:` and
 * of `custos events --dest`: ADDR[/PREFIX][:PORT|:LO-HI], IPv6 in brackets
 * when it carries a port.  Pure: no I/O.
 */
#ifndef CUSTOS_RULES_DEST_H
#define CUSTOS_RULES_DEST_H

#include <stddef.h>
#include <stdint.h>

/* An IPv4 pattern is stored as IPv4. */
struct dest_pat {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t prefix;		/* 0..32 or 0..128 */
	uint16_t port_lo;	/* 0 .. 65535; any port is 0..65535 */
	uint16_t port_hi;
	uint8_t addr[16];	/* network byte order, host bits zeroed */
	uint8_t has_port;	/* 1: the pattern names a port or range: it never
				 * matches a raw send, which has none */
};

/* Parses s.  0, or -EINVAL with the reason written to why[0..whylen). */
int dest_parse(const char *s, struct dest_pat *out, char *why, size_t whylen);

/* Does an address (family AF_INET/AF_INET6, network order) and port fall in p? */
int dest_pat_match(const struct dest_pat *p, int family, const uint8_t *addr,
		   uint16_t port);

#endif
