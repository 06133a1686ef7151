/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dest.c - the `dest:` value: ADDR[/PREFIX][:PORT|:LO-HI] (dest.h).
 *
 *   10.0.0.0/8            IPv4 network, any port
 *   192.0.2.10:3128       IPv4 host, one port
 *   0.0.0.0/0:1-1023      every IPv4 address, a port range
 *   [::1]:8080            IPv6 needs brackets to carry a port
 *   [2001:db8::/32]       brackets without a port are fine too
 *   ::/0  ::1  fe80::/10  a bare IPv6 (more than one ':') has no port
 *   api.openai.com:443    a DNS name: the addresses the host's processes
 *                         received in DNS answers for it (docs/RULES.md)
 *   *.huggingface.co      every name below huggingface.co (not itself)
 *
 * Host bits are zeroed (10.1.2.3/8 is stored as 10.0.0.0/8).  A single port
 * must be 1..65535; a range may start at 0 (0-65535 is any port) but not be
 * 0-0, which is port 0 again.
 */
#include "rules/dest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static int fail(char *why, size_t wl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t wl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, wl, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Decimal digits only, at most 7 of them; -1 otherwise. */
static long parse_num(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 7)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int parse_ports(const char *s, struct dest_pat *out, char *why,
		       size_t wl)
{
	const char *dash = strchr(s, '-');
	long lo, hi;

	if (*s == '\0')
		return fail(why, wl, "missing port after ':'");
	if (!dash) {
		lo = hi = parse_num(s, strlen(s));
		if (lo < 0)
			return fail(why, wl, "port '%s' is not a number", s);
		if (lo == 0)
			return fail(why, wl, "port 0 is not a valid port (a range like 0-65535 means any port)");
	} else {
		lo = parse_num(s, (size_t)(dash - s));
		hi = parse_num(dash + 1, strlen(dash + 1));
		if (lo < 0 || hi < 0)
			return fail(why, wl, "port range '%s' is not LO-HI", s);
		if (hi == 0)	/* the one port 0, refused as :0 is */
			return fail(why, wl, "port range 0-0 names only port 0, which is not a valid port (0-65535 means any port)");
	}
	if (lo > 65535 || hi > 65535)
		return fail(why, wl, "port %ld is out of range 0..65535",
			    lo > 65535 ? lo : hi);
	if (lo > hi)
		return fail(why, wl, "port range %ld-%ld is reversed (LO must not exceed HI)",
			    lo, hi);
	out->port_lo = (uint16_t)lo;
	out->port_hi = (uint16_t)hi;
	return 0;
}

static void zero_host_bits(uint8_t *addr, unsigned prefix, unsigned bits)
{
	unsigned i;

	for (i = prefix; i < bits; i++)
		addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

/* addr is "ADDR" or "ADDR/PREFIX" of the given family. */
static int parse_addr(char *addr, int family, struct dest_pat *out, char *why,
		      size_t wl)
{
	unsigned bits = family == AF_INET ? 32 : 128;
	char *slash = strchr(addr, '/');
	long prefix = bits;

	if (slash) {
		*slash = '\0';
		prefix = parse_num(slash + 1, strlen(slash + 1));
		if (prefix < 0)
			return fail(why, wl, "prefix '/%s' is not a number",
				    slash + 1);
		if (prefix > (long)bits)
			return fail(why, wl, "prefix /%ld is out of range 0..%u",
				    prefix, bits);
	}
	if (addr[0] == '\0')
		return fail(why, wl, "missing address");
	if (inet_pton(family, addr, out->addr) != 1)
		return fail(why, wl, "'%s' is not an %s address", addr,
			    family == AF_INET ? "IPv4" : "IPv6");
	out->family = (uint8_t)family;
	out->prefix = (uint8_t)prefix;
	zero_host_bits(out->addr, (unsigned)prefix, bits);
	return 0;
}

/*
 * A DNS name: labels of letters, digits, '-' and '_', 1..63 bytes each,
 * joined by dots, at most DEST_NAME_MAX bytes, one final dot allowed; "*."
 * in front makes it a wildcard.  Stored in lower case without the dot.
 */
static int parse_name(const char *s, size_t len, struct dest_pat *out, char *why, size_t wl)
{
	size_t label = 0, i;

	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		out->wildcard = 1;
		s += 2;
		len -= 2;
	}
	if (len && s[len - 1] == '.')
		len--;
	if (len == 0)
		return fail(why, wl, "missing name");
	if (len > DEST_NAME_MAX)
		return fail(why, wl, "name longer than %d bytes", DEST_NAME_MAX);
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return fail(why, wl, "empty label in name '%.*s'", (int)len, s);
			label = 0;
			out->name[i] = '.';
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return fail(why, wl, "'%c' is not allowed in a name (letters, digits, "
				    "'-', '_' and dots; '*.' only in front)", c);
		if (++label > 63)
			return fail(why, wl, "a label of '%.*s' is longer than 63 bytes", (int)len, s);
		out->name[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	if (label == 0)		/* "a.." : the dot left after the final one */
		return fail(why, wl, "empty label in name '%.*s'", (int)len, s);
	out->name[len] = '\0';
	out->is_name = 1;
	return 0;
}

/* A name rather than an address: a letter or '_' or '*' somewhere before
 * any port (IPv6 hex digits are told apart by their colons). */
static int looks_like_name(const char *s)
{
	size_t n = strcspn(s, ":/");

	if (s[n] == '/' || strchr(s, '[') || strchr(s + n, ':') != strrchr(s, ':'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((s[i] >= 'g' && s[i] <= 'z') || (s[i] >= 'G' && s[i] <= 'Z') ||
		    s[i] == '_' || s[i] == '*')
			return 1;
	/* "cafe.example" has only hex letters: a name if it has a dot and a letter */
	for (size_t i = 0; i < n; i++)
		if (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f') && memchr(s, '.', n))
			return 1;
	return 0;
}

int dest_parse(const char *s, struct dest_pat *out, char *why, size_t wl)
{
	char addr[80];
	const char *port = NULL, *colon;
	size_t alen, ncolon = 0;
	int family, r;

	*out = (struct dest_pat){ .port_lo = 0, .port_hi = 65535 };
	if (looks_like_name(s)) {
		colon = strchr(s, ':');
		r = parse_name(s, colon ? (size_t)(colon - s) : strlen(s), out, why, wl);
		if (r == 0 && colon) {
			r = parse_ports(colon + 1, out, why, wl);
			out->has_port = 1;
		}
		return r;
	}
	for (colon = s; *colon; colon++)
		ncolon += *colon == ':';
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb)
			return fail(why, wl, "missing ']' after an IPv6 address");
		alen = (size_t)(rb - s - 1);
		if (alen >= sizeof(addr))
			return fail(why, wl, "address too long");
		memcpy(addr, s + 1, alen);
		addr[alen] = '\0';
		family = AF_INET6;
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0')
			return fail(why, wl, "unexpected '%s' after ']' (expected :PORT or nothing)",
				    rb + 1);
	} else {
		if (strlen(s) >= sizeof(addr))
			return fail(why, wl, "address too long");
		strcpy(addr, s);
		family = AF_INET;
		if (ncolon >= 2) {
			family = AF_INET6;	/* bare IPv6, no port */
		} else if (ncolon == 1) {
			char *c = strchr(addr, ':');

			*c = '\0';
			port = s + (c - addr) + 1;
		}
	}
	r = parse_addr(addr, family, out, why, wl);
	if (r == 0 && port) {
		r = parse_ports(port, out, why, wl);
		out->has_port = 1;
	}
	return r;
}

int dest_name_covers(const char *pattern, int wildcard, const char *name, size_t len)
{
	size_t plen = strlen(pattern);

	if (len && name[len - 1] == '.')
		len--;
	if (!wildcard)
		return len == plen && strncasecmp(name, pattern, len) == 0;
	/* "*.x" holds for "a.x", "b.a.x", never for "x" */
	return len > plen + 1 && name[len - plen - 1] == '.' &&
	       strncasecmp(name + len - plen, pattern, plen) == 0;
}

int dest_name_match(const struct dest_pat *p, const char *name, uint16_t port)
{
	if (!p->is_name || !name || port < p->port_lo || port > p->port_hi)
		return 0;
	return dest_name_covers(p->name, p->wildcard, name, strlen(name));
}

int dest_pat_match(const struct dest_pat *p, int family, const uint8_t *addr,
		   uint16_t port)
{
	unsigned full, rem;

	if (p->is_name || p->family != family || port < p->port_lo || port > p->port_hi)
		return 0;
	full = p->prefix / 8;
	rem = p->prefix % 8;
	if (memcmp(p->addr, addr, full) != 0)
		return 0;
	if (rem) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rem));

		if ((addr[full] & mask) != p->addr[full])
			return 0;
	}
	return 1;
}
