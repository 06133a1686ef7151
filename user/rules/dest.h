/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dest.h - a network destination pattern, the value of a rule's `dest:` and
 * of `custos events --dest`: ADDR[/PREFIX][:PORT|:LO-HI], IPv6 in brackets
 * when it carries a port, or a DNS name NAME[:PORT|:LO-HI], `*.` in front for
 * every name below it.  Pure: no I/O.
 */
#ifndef CUSTOS_RULES_DEST_H
#define CUSTOS_RULES_DEST_H

#include <stddef.h>
#include <stdint.h>

#define DEST_NAME_MAX 253	/* bytes of a DNS name in text, without the final dot */

/* An IPv4 pattern is stored as IPv4. */
struct dest_pat {
	uint8_t family;		/* AF_INET or AF_INET6; 0 for a name */
	uint8_t prefix;		/* 0..32 or 0..128 */
	uint16_t port_lo;	/* 0 .. 65535; any port is 0..65535 */
	uint16_t port_hi;
	uint8_t addr[16];	/* network byte order, host bits zeroed */
	uint8_t has_port;	/* 1: the pattern names a port or range: it never
				 * matches a raw send, which has none */
	uint8_t is_name;	/* 1: a DNS name (name), not an address */
	uint8_t wildcard;	/* 1: "*.NAME": every name ending in ".NAME" */
	char name[DEST_NAME_MAX + 1];	/* lower case, no final dot; NUL-terminated */
};

/* Parses s.  0, or -EINVAL with the reason written to why[0..whylen). */
int dest_parse(const char *s, struct dest_pat *out, char *why, size_t whylen);

/* Does an address (family AF_INET/AF_INET6, network order) and port fall in p?
 * A name pattern holds for no address (dest_name_match). */
int dest_pat_match(const struct dest_pat *p, int family, const uint8_t *addr,
		   uint16_t port);

/* Does a name pattern p hold for a destination learned from DNS name `name`
 * (any case, final dot or not; NULL: none) and port? */
int dest_name_match(const struct dest_pat *p, const char *name, uint16_t port);

/* Does a name (lower case, no final dot) match "*.suffix" or "suffix" exactly? */
int dest_name_covers(const char *pattern, int wildcard, const char *name, size_t len);

#endif
