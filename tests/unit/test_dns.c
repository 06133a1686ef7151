/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dns.c - the user-space twin of the kernel's DNS answer parser
 * (bpf/dnsparse.h through user/filters/dns.c) fed well-formed and hostile
 * messages; name patterns in `dest`; the trusted resolvers' parsing; the
 * name slots a compiled rule set gives a name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../e2e/bin/dnsmsg.h"
#include "filters/dns.h"
#include "filters/net.h"
#include "rules/dest.h"
#include "rules/rules.h"

/* A response header with one question for name, an answers. */
static void head(struct msg *m, const char *name, unsigned flags, unsigned an)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	put_name(m, name);
	put16(m, 1);
	put16(m, 1);
}

/* A record with owner (NULL: a pointer to the question's name). */
static void rr(struct msg *m, const char *owner, unsigned type, unsigned ttl, const void *rd,
	       size_t rdlen)
{
	assert_int_equal(put_rr(m, owner, type, ttl, rd, rdlen), 0);
}

static void rr_a(struct msg *m, const char *owner, const char *addr, unsigned ttl)
{
	uint8_t a[16];
	int v6 = strchr(addr, ':') != NULL;

	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, addr, a), 1);
	rr(m, owner, v6 ? 28 : 1, ttl, a, v6 ? 16 : 4);
}

static int parse(const struct msg *m, struct dns_answer *a)
{
	memset(a, 0x5a, sizeof(*a));	/* what a previous answer left */
	return filter_dns_parse(m->b, m->n, a);
}

static void test_a_and_aaaa(void **state)
{
	struct dns_answer a;
	struct msg m;

	head(&m, "API.Vendor.TEST", 0x8180, 2);
	rr_a(&m, NULL, "192.0.2.5", 300);
	rr_a(&m, NULL, "2001:db8::5", 0x80000000u);	/* over 2^31: 0 (RFC 2181) */
	assert_int_equal(parse(&m, &a), DNS_OK);
	assert_int_equal(a.name_len, 15);
	assert_string_equal(a.name, "api.vendor.test");	/* lower case, no final dot */
	assert_int_equal(a.n_addr, 2);
	assert_int_equal(a.addrs[0].family, 4);
	assert_int_equal(a.addrs[0].ttl, 300);
	/* all 16 bytes: an IPv4 address is a binding key with a zero tail */
	assert_memory_equal(a.addrs[0].addr, "\xc0\x00\x02\x05\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(a.addrs[1].family, 6);
	assert_int_equal(a.addrs[1].ttl, 0);
	assert_int_equal(a.addrs[1].addr[15], 5);
}

/* A CNAME chain: every address is the asked name's; the CNAME owner too
 * may be spelt out, the chain is not followed. */
static void test_cname_chain(void **state)
{
	struct dns_answer a;
	struct msg m, t = { .n = 0 };

	put_name(&t, "edge.cdn.test");
	head(&m, "cname.vendor.test", 0x8180, 3);
	rr(&m, NULL, 5, 60, t.b, t.n);
	rr(&m, "edge.cdn.test", 16, 60, "\x01x", 2);	/* a TXT: skipped */
	rr_a(&m, "edge.cdn.test", "192.0.2.8", 60);
	assert_int_equal(parse(&m, &a), DNS_OK);
	assert_string_equal(a.name, "cname.vendor.test");
	assert_int_equal(a.n_addr, 1);
	assert_memory_equal(a.addrs[0].addr, "\xc0\x00\x02\x08", 4);
}

/* Not answers: a query, an error, two questions, no question. */
static void test_not_answers(void **state)
{
	struct dns_answer a;
	struct msg m;

	head(&m, "x.test", 0x0100, 0);		/* QR 0: a query */
	assert_int_equal(parse(&m, &a), DNS_NOT_ANSWER);
	head(&m, "x.test", 0x8183, 0);		/* NXDOMAIN */
	assert_int_equal(parse(&m, &a), DNS_NOT_ANSWER);
	head(&m, "x.test", 0x8980, 0);		/* opcode 1 */
	assert_int_equal(parse(&m, &a), DNS_NOT_ANSWER);
	head(&m, "x.test", 0x8180, 0);
	m.b[5] = 2;				/* two questions */
	assert_int_equal(parse(&m, &a), DNS_NOT_ANSWER);
	m.b[5] = 0;
	assert_int_equal(parse(&m, &a), DNS_NOT_ANSWER);
}

/* Hostile: every one yields nothing at all (DNS_BAD), never a partial answer. */
static void test_hostile(void **state)
{
	struct dns_answer a;
	struct msg m, big;
	char name[400];

	/* cut inside the second record's address */
	head(&m, "trunc.test", 0x8180, 2);
	rr_a(&m, NULL, "192.0.2.1", 60);
	rr_a(&m, NULL, "192.0.2.2", 60);
	m.n -= 3;
	assert_int_equal(parse(&m, &a), DNS_BAD);
	/* cut at every length: never a crash, nothing but BAD before the end */
	head(&big, "every.cut.test", 0x8180, 2);
	rr_a(&big, NULL, "192.0.2.1", 60);
	rr_a(&big, NULL, "2001:db8::1", 60);
	for (size_t n = 0; n < big.n; n++)
		assert_int_equal(filter_dns_parse(big.b, n, &a), DNS_BAD);
	/* an owner that is a compression pointer to itself, and one past itself */
	head(&m, "loop.test", 0x8180, 1);
	put16(&m, 0xc000 | (unsigned)m.n);
	m.n -= 2;
	{
		unsigned at = (unsigned)m.n;

		rr_a(&m, NULL, "192.0.2.1", 60);
		m.b[at] = 0xc0 | (uint8_t)(at >> 8);
		m.b[at + 1] = (uint8_t)at;
	}
	assert_int_equal(parse(&m, &a), DNS_BAD);
	/* a pointer into the header */
	head(&m, "hdr.test", 0x8180, 1);
	rr_a(&m, NULL, "192.0.2.1", 60);
	m.b[m.n - 14 - 1] = 0x02;
	assert_int_equal(parse(&m, &a), DNS_BAD);
	/* rdlength past the end */
	head(&m, "len.test", 0x8180, 1);
	rr_a(&m, NULL, "192.0.2.1", 60);
	m.b[m.n - 5] = 0xff;
	assert_int_equal(parse(&m, &a), DNS_BAD);
	/* an A of 3 bytes */
	head(&m, "short.test", 0x8180, 1);
	rr(&m, NULL, 1, 60, "\x01\x02\x03", 3);
	assert_int_equal(parse(&m, &a), DNS_BAD);
	/* a label over 63 bytes, a name over 253 bytes, a byte not in names */
	memset(name, 'a', 64);
	strcpy(name + 64, ".test");
	head(&m, name, 0x8180, 0);
	assert_int_equal(parse(&m, &a), DNS_BAD);
	for (int i = 0; i < 5; i++)
		memcpy(name + i * 60, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 60);
	strcpy(name + 300, "test");
	head(&m, name, 0x8180, 0);
	assert_int_equal(parse(&m, &a), DNS_BAD);
	head(&m, "bad\x01name.test", 0x8180, 0);
	assert_int_equal(parse(&m, &a), DNS_BAD);
	head(&m, "bad name.test", 0x8180, 0);
	assert_int_equal(parse(&m, &a), DNS_BAD);
	/* the root as the question: nothing to bind */
	head(&m, "", 0x8180, 0);
	assert_int_equal(parse(&m, &a), DNS_BAD);
	/* an extended label type (0x40) in an owner */
	head(&m, "ext.test", 0x8180, 1);
	rr_a(&m, NULL, "192.0.2.1", 60);
	m.b[m.n - 16] = 0x40;
	assert_int_equal(parse(&m, &a), DNS_BAD);
	assert_int_equal(filter_dns_parse(NULL, 0, &a), DNS_BAD);
}

/* Only the first DNS_MAX_ANSWERS records are looked at, and DNS_MAX_ADDRS kept. */
static void test_bounds(void **state)
{
	struct dns_answer a;
	struct msg m;
	char addr[32];

	head(&m, "many.test", 0x8180, DNS_MAX_ANSWERS + 1);
	for (int i = 0; i < DNS_MAX_ANSWERS; i++)
		rr(&m, NULL, 16, 60, "\x01x", 2);
	rr_a(&m, NULL, "192.0.2.1", 60);
	assert_int_equal(parse(&m, &a), DNS_OK);
	assert_int_equal(a.n_addr, 0);	/* not bound: fail closed */
	head(&m, "wide.test", 0x8180, DNS_MAX_ADDRS + 2);
	for (int i = 0; i < DNS_MAX_ADDRS + 2; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		rr_a(&m, NULL, addr, 60);
	}
	assert_int_equal(parse(&m, &a), DNS_OK);
	assert_int_equal(a.n_addr, DNS_MAX_ADDRS);
	assert_int_equal(a.addrs[DNS_MAX_ADDRS - 1].addr[3], DNS_MAX_ADDRS);
}

/* Random bytes, and random damage to a good answer: never a crash, and a
 * name that comes out is clean (lower case letters, digits, '-', '_', '.'). */
static void test_fuzz(void **state)
{
	struct dns_answer a;
	struct msg good, m;
	unsigned seed = 12345;

	head(&good, "fuzz.vendor.test", 0x8180, 2);
	rr_a(&good, NULL, "192.0.2.1", 60);
	rr_a(&good, "fuzz.vendor.test", "2001:db8::1", 60);
	for (int iter = 0; iter < 20000; iter++) {
		m = good;
		if (iter % 2) {
			m.n = rand_r(&seed) % 200;
			for (size_t i = 0; i < m.n; i++)
				m.b[i] = (uint8_t)rand_r(&seed);
			if (m.n > 3)
				m.b[2] |= 0x80;
		} else {
			for (int k = 0; k < 3; k++)
				m.b[rand_r(&seed) % m.n] = (uint8_t)rand_r(&seed);
			m.n -= rand_r(&seed) % 4;
		}
		if (parse(&m, &a) != DNS_OK)
			continue;
		assert_true(a.name_len > 0 && a.name_len <= 253);
		assert_int_equal(strlen(a.name), a.name_len);
		for (uint32_t i = 0; i < a.name_len; i++)
			assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789-_.", a.name[i]));
		assert_true(a.n_addr <= DNS_MAX_ADDRS);
	}
}

static void test_dest_names(void **state)
{
	struct dest_pat p;
	char why[160];

	assert_int_equal(dest_parse("API.OpenAI.com.:443", &p, why, sizeof(why)), 0);
	assert_true(p.is_name);
	assert_false(p.wildcard);
	assert_string_equal(p.name, "api.openai.com");
	assert_int_equal(p.port_lo, 443);
	assert_true(dest_name_match(&p, "api.openai.com", 443));
	assert_true(dest_name_match(&p, "API.OPENAI.COM.", 443));
	assert_false(dest_name_match(&p, "api.openai.com", 80));
	assert_false(dest_name_match(&p, "x.api.openai.com", 443));
	assert_false(dest_name_match(&p, NULL, 443));
	assert_false(dest_pat_match(&p, AF_INET, (const uint8_t *)"\x7f\0\0\1", 443));

	assert_int_equal(dest_parse("*.huggingface.co", &p, why, sizeof(why)), 0);
	assert_true(p.wildcard);
	assert_string_equal(p.name, "huggingface.co");
	assert_false(p.has_port);
	assert_true(dest_name_match(&p, "cdn-lfs.huggingface.co", 1));
	assert_true(dest_name_match(&p, "a.b.huggingface.co", 65535));
	assert_false(dest_name_match(&p, "huggingface.co", 443));	/* not the apex */
	assert_false(dest_name_match(&p, "evilhuggingface.co", 443));

	assert_int_equal(dest_parse("cafe.beef", &p, why, sizeof(why)), 0);	/* hex letters */
	assert_true(p.is_name);
	assert_int_equal(dest_parse("10.0.0.0/8", &p, why, sizeof(why)), 0);
	assert_false(p.is_name);
	assert_int_equal(dest_parse("[::1]:53", &p, why, sizeof(why)), 0);
	assert_false(p.is_name);
	assert_int_equal(dest_parse("a..b", &p, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "empty label in name 'a..b'");
	/* one final dot is allowed, not two (found by fuzz_dest) */
	assert_int_equal(dest_parse("host.test.", &p, why, sizeof(why)), 0);
	assert_string_equal(p.name, "host.test");
	assert_int_equal(dest_parse("host.test..", &p, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "empty label in name 'host.test.'");
	assert_int_equal(dest_parse("*.", &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(dest_parse("a.*.b", &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(dest_parse("host.test:0", &p, why, sizeof(why)), -EINVAL);
}

static void test_servers(void **state)
{
	struct dns_server_key k[4];
	char why[160];

	assert_int_equal(filter_dns_server_parse("127.0.0.53", &k[0], why, sizeof(why)), 0);
	assert_int_equal(k[0].family, 4);
	assert_int_equal(k[0].port, 53);
	assert_memory_equal(k[0].addr, "\x7f\0\0\x35", 4);
	assert_int_equal(filter_dns_server_parse("[::1]:5353", &k[0], why, sizeof(why)), 0);
	assert_int_equal(k[0].family, 6);
	assert_int_equal(k[0].port, 5353);
	assert_int_equal(filter_dns_server_parse("10.0.0.0/8", &k[0], why, sizeof(why)), -EINVAL);
	assert_int_equal(filter_dns_server_parse("dns.google", &k[0], why, sizeof(why)), -EINVAL);
	assert_int_equal(filter_dns_resolv_conf("# comment\nsearch corp.example\n"
						"nameserver 10.0.0.2\nnameserver\tfe80::1%eth0\n"
						"nameserver nonsense\noptions edns0\n"
						"nameserver 127.0.0.53", k, 4), 3);
	assert_memory_equal(k[0].addr, "\x0a\0\0\x02", 4);
	assert_int_equal(k[1].family, 6);
	assert_int_equal(k[2].port, 53);
	assert_memory_equal(k[2].addr, "\x7f\0\0\x35", 4);
}

static struct rule_set *load(const char *yaml)
{
	struct rule_set *rs = NULL;
	struct rule_source src = { "t.yaml", yaml, strlen(yaml) };

	assert_int_equal(rule_set_load(&src, 1, NULL, &rs, NULL), 0);
	return rs;
}

/* The compile: one slot per name and port range; a name's slots as the
 * kernel computes them at an answer. */
static void test_name_slots(void **state)
{
	struct rule_set *rs = load(
		"custos: 1\n"
		"rules:\n"
		"  - id: names\n"
		"    on: connect\n"
		"    severity: high\n"
		"    when:\n"
		"      dest: [\"0.0.0.0/0\", \"::/0\"]\n"
		"    unless:\n"
		"      - dest: [\"api.openai.com:443\", \"api.openai.com:8443\", \"*.hf.co\", 10.0.0.0/8]\n"
		"  - id: evil\n"
		"    on: connect\n"
		"    severity: critical\n"
		"    action: block\n"
		"    when:\n"
		"      dest: [\"evil.test\", \"*.hf.co\"]\n");
	struct filter_net c;

	assert_int_equal(filter_net_compile(rs, NULL, NULL, &c, NULL), 0);
	assert_int_equal(c.n_nkeys, 3);		/* api.openai.com, *.hf.co, evil.test */
	assert_int_equal(c.n_names, 4);		/* api:443, api:8443, *.hf.co, evil.test */
	assert_int_equal(c.conf.any_names, 1);
	assert_int_equal(c.n_dest, 3);		/* 0/0, ::/0, 10/8: no name in the LPM */
	assert_int_equal(filter_dns_slots(&c, "api.openai.com", 14), 3);
	assert_int_equal(filter_dns_slots(&c, "x.hf.co", 7), 4);
	assert_int_equal(filter_dns_slots(&c, "hf.co", 5), 0);
	assert_int_equal(filter_dns_slots(&c, "evil.test", 9), 8);
	/* *.hf.co: unless of names (cond 0) and when of evil (rule 1), in one slot */
	assert_int_equal(c.nvals[2].unless, 1);
	assert_int_equal(c.nvals[2].when, 2);
	assert_int_equal(c.nvals[2].any_port, 1);
	assert_int_equal(c.nvals[0].lo, 443);
	assert_int_equal(c.nvals[0].quiet, 1);	/* a dest-only unless: the fast path */
	assert_int_equal(c.exact, 3);
	filter_net_free(&c);
	rule_set_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_and_aaaa),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_not_answers),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_dest_names),
		cmocka_unit_test(test_servers),
		cmocka_unit_test(test_name_slots),
	};

	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
