/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_filter_net.c - the connect-rule compiler (user/filters/net.h): rules
 * in, the kernel's egress maps out; and a reference evaluation of those maps
 * (what net.bpf.c computes).  Pure: addresses here are data, nothing is sent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filters/net.h"
#include "filters/filters.h"

static struct rule_set *load(const char *yaml)
{
	struct rule_source src = { "t.yaml", yaml, strlen(yaml) };
	struct rule_set *set = NULL;

	assert_int_equal(rule_set_load(&src, 1, NULL, &set, NULL), 0);
	return set;
}

/* A fake file system: /opt/proxy is (1, 100), /opt/bin/a and /opt/bin/b (1, 201/202). */
static int fake_resolve(const char *glob, struct net_exe_key *keys, size_t max, void *ctx)
{
	if (strcmp(glob, "/opt/proxy") == 0) {
		keys[0] = (struct net_exe_key){ 1, 100 };
		return 1;
	}
	if (strcmp(glob, "/opt/bin/*") == 0) {
		keys[0] = (struct net_exe_key){ 1, 201 };
		keys[1] = (struct net_exe_key){ 1, 202 };
		return 2;
	}
	return 0;
}

/* Whether the last kernel_eval() returned on net.bpf.c's fast path. */
static int fast_path_taken;

/* What net.bpf.c computes: the flagged rule slots for one call; proto a
 * cev_proto (raw, icmp, packet, other: no port, only port ranges of
 * port-less patterns apply). */
static uint64_t kernel_eval(const struct filter_net *c, int family, const char *addr,
			    uint16_t port, int proto, const struct net_exe_key *exe)
{
	uint8_t a[16] = { 0 };
	uint64_t when = 0, unless = 0, quiet = 0, flagged, holds, exe_bits = 0, suppress = 0;
	int fams[2], nf = 0;

	assert_int_equal(inet_pton(family, addr, a), 1);
	fams[nf++] = family == AF_INET ? 4 : 6;
	if (family == AF_INET6 && memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		fams[nf++] = 4;
	for (int f = 0; f < nf; f++) {
		const uint8_t *addr16 = fams[f] == 4 && family == AF_INET6 ? a + 12 : a;
		const struct net_dest_val *best = NULL;
		unsigned best_len = 0;

		for (size_t i = 0; i < c->n_dest; i++) {
			const struct net_dest_key *k = &c->dkeys[i];
			unsigned bits = k->prefixlen - 8, full = bits / 8, rem = bits % 8;

			if (k->family != fams[f] || memcmp(k->addr, addr16, full))
				continue;
			if (rem && ((k->addr[full] ^ addr16[full]) & (0xffu << (8 - rem))) & 0xff)
				continue;
			if (!best || k->prefixlen > best_len) {
				best = &c->dvals[i];
				best_len = k->prefixlen;
			}
		}
		for (uint32_t i = 0; best && i < best->n; i++) {
			if (!cev_proto_has_ports(proto) ? best->r[i].any_port :
			    port >= best->r[i].lo && port <= best->r[i].hi) {
				when |= best->r[i].when;
				unless |= best->r[i].unless;
				quiet |= best->r[i].quiet;
			}
		}
	}
	for (size_t i = 0; exe && i < c->n_exe; i++)
		if (c->ekeys[i].dev == exe->dev && c->ekeys[i].ino == exe->ino)
			exe_bits = c->evals[i];
	flagged = (when | c->conf.when_any_dest) & c->conf.active & c->conf.proto[proto];
	holds = c->conf.cond_valid & (unless | ~c->conf.cond_need_dest) &
		(exe_bits | ~c->conf.cond_need_exe) & c->conf.cond_proto[proto];
	for (int i = 0; i < NET_MAX_CONDS; i++)
		if (holds & (1ULL << i))
			suppress |= c->conf.cond_owner[i];
	/* the fast path (nothing flagged but what `quiet` covers) must agree */
	if (!(flagged & ~quiet))
		assert_int_equal(flagged & ~suppress, 0);
	fast_path_taken = !(flagged & ~quiet);
	return flagged & ~suppress;
}

static const char egress[] =
	"custos: 1\n"
	"lists:\n"
	"  approved: [\"10.0.0.0/8:443\", \"192.0.2.10:3128\", \"[2001:db8::/32]:1-1023\"]\n"
	"rules:\n"
	"  - id: bypass\n"
	"    on: connect\n"
	"    severity: high\n"
	"    when:\n"
	"      dest: [\"0.0.0.0/0\", \"::/0\"]\n"
	"    unless:\n"
	"      - dest: $approved\n"
	"      - exe: /opt/proxy\n"
	"  - id: metadata\n"
	"    on: connect\n"
	"    severity: critical\n"
	"    action: block\n"
	"    when:\n"
	"      dest: 169.254.169.254/32\n"
	"      proto: tcp\n"
	"    unless:\n"
	"      - exe: \"/opt/bin/*\"\n"
	"  - id: curl-anywhere\n"
	"    on: connect\n"
	"    severity: low\n"
	"    when:\n"
	"      comm: curl\n";

static void test_slots_and_masks(void **state)
{
	struct rule_set *rs = load(egress);
	struct filter_net c;

	assert_int_equal(filter_net_compile(rs, fake_resolve, NULL, &c, NULL), 0);
	assert_int_equal(c.n_slots, 3);
	assert_string_equal(c.slot[0]->id, "bypass");
	assert_string_equal(c.slot[2]->id, "curl-anywhere");
	assert_int_equal(c.conf.active, 7);
	assert_int_equal(c.conf.block, 2);
	assert_int_equal(c.conf.when_any_dest, 4);	/* curl-anywhere has no dest */
	assert_int_equal(c.conf.proto[CEV_PROTO_TCP], 7);
	assert_int_equal(c.conf.proto[CEV_PROTO_UDP], 5);	/* metadata: tcp only */
	assert_int_equal(c.conf.proto[CEV_PROTO_UDPLITE], 5);
	assert_int_equal(c.conf.proto[CEV_PROTO_OTHER], 5);
	assert_int_equal(c.conf.proto_named, 2);
	assert_int_equal(c.conf.sock_when, 5);		/* 0.0.0.0/0, and no dest */
	assert_int_equal(c.exact, 3);			/* comm is not kernel-evaluable */
	/* conditions: bypass's two, metadata's one */
	assert_int_equal(c.conf.cond_valid, 7);
	assert_int_equal(c.conf.cond_owner[0], 1);
	assert_int_equal(c.conf.cond_owner[1], 1);
	assert_int_equal(c.conf.cond_owner[2], 2);
	assert_int_equal(c.conf.cond_need_dest, 1);
	assert_int_equal(c.conf.cond_dest_all, 0);
	assert_int_equal(c.conf.cond_need_exe, 6);
	assert_int_equal(c.n_exe, 3);
	filter_net_free(&c);
	rule_set_free(rs);
}

static void test_kernel_decision(void **state)
{
	struct rule_set *rs = load(egress);
	struct net_exe_key proxy = { 1, 100 }, tool = { 1, 201 }, other = { 2, 100 };
	struct filter_net c;

	assert_int_equal(filter_net_compile(rs, fake_resolve, NULL, &c, NULL), 0);
	/* approved: only the inexact comm rule is flagged (the agent decides) */
	assert_int_equal(kernel_eval(&c, AF_INET, "10.1.2.3", 443, CEV_PROTO_TCP, NULL), 4);
	assert_int_equal(kernel_eval(&c, AF_INET, "192.0.2.10", 3128, CEV_PROTO_UDP, NULL), 4);
	assert_int_equal(kernel_eval(&c, AF_INET6, "2001:db8::1", 80, CEV_PROTO_TCP, NULL), 4);
	/* not approved: the port or the prefix differs */
	assert_int_equal(kernel_eval(&c, AF_INET, "10.1.2.3", 80, CEV_PROTO_TCP, NULL), 5);
	assert_int_equal(kernel_eval(&c, AF_INET, "192.0.2.11", 3128, CEV_PROTO_TCP, NULL), 5);
	assert_int_equal(kernel_eval(&c, AF_INET6, "2001:db8::1", 1024, CEV_PROTO_TCP, NULL), 5);
	/* v4-mapped: IPv4 patterns apply */
	assert_int_equal(kernel_eval(&c, AF_INET6, "::ffff:10.9.9.9", 443, CEV_PROTO_TCP, NULL), 4);
	assert_int_equal(kernel_eval(&c, AF_INET6, "::ffff:10.9.9.9", 444, CEV_PROTO_TCP, NULL), 5);
	/* the proxy by identity, not by name: same inode on another device is not it */
	assert_int_equal(kernel_eval(&c, AF_INET, "198.51.100.7", 53, CEV_PROTO_UDP, &proxy), 4);
	assert_int_equal(kernel_eval(&c, AF_INET, "198.51.100.7", 53, CEV_PROTO_UDP, &other), 5);
	/* metadata: blocked for TCP, tools exempt, UDP not covered */
	assert_int_equal(kernel_eval(&c, AF_INET, "169.254.169.254", 80, CEV_PROTO_TCP, NULL), 7);
	assert_int_equal(kernel_eval(&c, AF_INET, "169.254.169.254", 80, CEV_PROTO_TCP, &tool), 5);
	assert_int_equal(kernel_eval(&c, AF_INET, "169.254.169.254", 80, CEV_PROTO_UDP, NULL), 5);
	filter_net_free(&c);
	rule_set_free(rs);
}

/* An approved destination with only exact rules: one lookup decides. */
static void test_fast_path(void **state)
{
	static const char yaml[] =
		"custos: 1\n"
		"rules:\n"
		"  - id: bypass\n"
		"    on: connect\n"
		"    severity: high\n"
		"    when:\n"
		"      dest: [\"0.0.0.0/0\", \"::/0\"]\n"
		"    unless:\n"
		"      - dest: [127.0.0.0/8, \"::1\"]\n"
		"      - dest: 10.0.0.0/8\n"
		"        proto: udp\n"
		"      - exe: /opt/proxy\n";
	struct rule_set *rs = load(yaml);
	struct net_exe_key proxy = { 1, 100 };
	struct filter_net c;

	assert_int_equal(filter_net_compile(rs, fake_resolve, NULL, &c, NULL), 0);
	assert_int_equal(kernel_eval(&c, AF_INET, "127.0.0.1", 8080, CEV_PROTO_TCP, NULL), 0);
	assert_true(fast_path_taken);
	assert_int_equal(kernel_eval(&c, AF_INET6, "::1", 53, CEV_PROTO_UDP, NULL), 0);
	assert_true(fast_path_taken);
	assert_int_equal(kernel_eval(&c, AF_INET6, "::ffff:127.0.0.1", 80, CEV_PROTO_TCP, NULL), 0);
	assert_true(fast_path_taken);
	/* a condition with a protocol is not quiet: the full computation runs */
	assert_int_equal(kernel_eval(&c, AF_INET, "10.1.1.1", 53, CEV_PROTO_UDP, NULL), 0);
	assert_false(fast_path_taken);
	assert_int_equal(kernel_eval(&c, AF_INET, "10.1.1.1", 53, CEV_PROTO_TCP, NULL), 1);
	/* nor is an exe condition */
	assert_int_equal(kernel_eval(&c, AF_INET, "192.0.2.1", 443, CEV_PROTO_TCP, &proxy), 0);
	assert_false(fast_path_taken);
	assert_int_equal(kernel_eval(&c, AF_INET, "192.0.2.1", 443, CEV_PROTO_TCP, NULL), 1);
	filter_net_free(&c);
	rule_set_free(rs);
}

/* ::/0 does not cover IPv4, 0.0.0.0/0 does not cover IPv6 (as the matcher). */
static void test_families_separate(void **state)
{
	struct rule_set *rs = load("custos: 1\nrules:\n  - id: v6\n    on: connect\n"
				   "    severity: low\n    when:\n      dest: \"::/0\"\n");
	struct filter_net c;

	assert_int_equal(filter_net_compile(rs, NULL, NULL, &c, NULL), 0);
	assert_int_equal(kernel_eval(&c, AF_INET6, "::1", 1, CEV_PROTO_TCP, NULL), 1);
	assert_int_equal(kernel_eval(&c, AF_INET, "127.0.0.1", 1, CEV_PROTO_TCP, NULL), 0);
	filter_net_free(&c);
	rule_set_free(rs);
}

static void assert_check_fails(const char *yaml, const char *want)
{
	struct rule_set *rs = load(yaml);
	struct rule_diags d = { 0 };
	char buf[1024];

	assert_int_equal(filter_net_check(rs, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	rule_diag_format(&d.v[0], buf, sizeof(buf));
	if (!strstr(buf, want))
		fail_msg("got: %s", buf);
	rule_diags_free(&d);
	rule_set_free(rs);
}

static void test_check_block_rules(void **state)
{
	assert_check_fails("custos: 1\nrules:\n  - id: b\n    on: connect\n    severity: low\n"
			   "    action: block\n    when:\n      uid: 0\n      dest: 0.0.0.0/0\n",
			   "t.yaml:3:5: error: rule 'b': action block needs a condition the "
			   "kernel decides, but `when` uses 'uid'");
	assert_check_fails("custos: 1\nrules:\n  - id: b\n    on: connect\n    severity: low\n"
			   "    action: block\n    when:\n      dest: 0.0.0.0/0\n"
			   "    unless:\n      - exe: \"/opt/**/proxy\"\n",
			   "one uses 'exe' with a wildcard it cannot resolve");
	assert_check_fails("custos: 1\nrules:\n  - id: b\n    on: connect\n    severity: low\n"
			   "    action: block\n    when:\n      dest: 0.0.0.0/0\n"
			   "    unless:\n      - cgroup: /system.slice/**\n",
			   "one uses 'cgroup'");
}

/* A report rule with the same conditions is fine: the kernel over-reports. */
static void test_check_report_rules_pass(void **state)
{
	struct rule_set *rs = load("custos: 1\nrules:\n  - id: r\n    on: connect\n"
				   "    severity: low\n    when:\n      dest: 0.0.0.0/0\n"
				   "    unless:\n      - cgroup: /system.slice/**\n"
				   "      - exe: \"/opt/**/proxy\"\n");
	struct rule_diags d = { 0 };
	struct filter_net c;

	assert_int_equal(filter_net_check(rs, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(filter_net_compile(rs, fake_resolve, NULL, &c, NULL), 0);
	assert_int_equal(c.exact, 0);
	assert_int_equal(c.conf.cond_valid, 0);	/* neither condition in the kernel */
	assert_int_equal(kernel_eval(&c, AF_INET, "192.0.2.1", 1, CEV_PROTO_TCP, NULL), 1);
	filter_net_free(&c);
	rule_set_free(rs);
}

/*
 * proto raw (rules-v1 extension): the kernel's maps and the agent's matcher
 * agree on every rule for every event of a grid; a dest with a port never
 * matches a raw send, a rule without proto covers raw.
 */
static const char raw_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: any-proto\n"		/* no proto: tcp, udp and raw */
	"    on: connect\n"
	"    severity: low\n"
	"    when:\n"
	"      dest: [\"0.0.0.0/0\", \"::/0\"]\n"
	"    unless:\n"
	"      - dest: [\"10.0.0.0/8:443\", \"192.0.2.0/24\", \"[::1]:53\"]\n"
	"      - exe: /opt/proxy\n"
	"  - id: raw-only\n"
	"    on: connect\n"
	"    severity: high\n"
	"    action: block\n"
	"    when:\n"
	"      proto: raw\n"
	"      dest: [\"198.51.100.0/24\", \"203.0.113.5:0-65535\", \"::1\"]\n"
	"  - id: tcp-udp\n"
	"    on: connect\n"
	"    severity: low\n"
	"    when:\n"
	"      proto: [tcp, udp]\n"
	"      dest: 198.51.100.0/24\n"
	"    unless:\n"
	"      - proto: raw\n"
	"        dest: 0.0.0.0/0\n";

/* the rule set matcher_eval() matches against */
static const struct rule_set *rs_of_c;

static uint64_t matcher_eval(const struct filter_net *c, int family, const char *addr,
			     uint16_t port, int proto, int is_proxy)
{
	static char proxy[] = "/opt/proxy", other[] = "/usr/bin/ping";
	struct cev_event ev;
	uint64_t m = 0;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_CONNECT;
	ev.proc.exe.p = is_proxy ? proxy : other;
	ev.proc.exe.len = strlen(ev.proc.exe.p);
	ev.conn.family = (uint8_t)family;
	ev.conn.proto = (uint8_t)proto;
	ev.conn.port = port;
	assert_int_equal(inet_pton(family, addr, ev.conn.addr), 1);
	const struct rule *hits[NET_MAX_RULES];
	size_t n = rule_set_match(rs_of_c, &ev, hits, NET_MAX_RULES);

	for (size_t h = 0; h < n; h++)
		for (size_t i = 0; i < c->n_slots; i++)
			if (c->slot[i] == hits[h])
				m |= 1ULL << i;
	return m;
}

static void test_raw_agrees(void **state)
{
	static const struct { int family; const char *addr; uint16_t port; } dests[] = {
		{ AF_INET, "10.1.2.3", 443 }, { AF_INET, "10.1.2.3", 0 },
		{ AF_INET, "192.0.2.7", 0 }, { AF_INET, "192.0.2.7", 80 },
		{ AF_INET, "198.51.100.9", 0 }, { AF_INET, "198.51.100.9", 22 },
		{ AF_INET, "203.0.113.5", 0 }, { AF_INET, "203.0.113.5", 7 },
		{ AF_INET6, "::1", 0 }, { AF_INET6, "::1", 53 },
		{ AF_INET6, "::ffff:198.51.100.1", 0 }, { AF_INET6, "2001:db8::1", 0 },
	};
	static const int protos[] = { CEV_PROTO_TCP, CEV_PROTO_UDP, CEV_PROTO_UDPLITE,
				       CEV_PROTO_SCTP, CEV_PROTO_RAW, CEV_PROTO_ICMP,
				       CEV_PROTO_PACKET, CEV_PROTO_OTHER };
	struct rule_set *rs = load(raw_rules);
	struct net_exe_key proxy = { 1, 100 };
	struct filter_net c;

	assert_int_equal(filter_net_compile(rs, fake_resolve, NULL, &c, NULL), 0);
	rs_of_c = rs;
	assert_int_equal(c.exact, 7);
	assert_int_equal(c.conf.proto[CEV_PROTO_RAW], 3);	/* any-proto, raw-only */
	assert_int_equal(c.conf.proto[CEV_PROTO_TCP], 5);
	assert_int_equal(c.conf.proto[CEV_PROTO_ICMP], 1);	/* any-proto only */
	assert_int_equal(c.conf.block, 2);
	for (size_t d = 0; d < sizeof(dests) / sizeof(dests[0]); d++) {
		for (size_t p = 0; p < sizeof(protos) / sizeof(protos[0]); p++) {
			/* a raw send has no port: the kernel passes 0 */
			uint16_t port = cev_proto_has_ports(protos[p]) ? dests[d].port : 0;

			for (int x = 0; x < 2; x++) {
				uint64_t k = kernel_eval(&c, dests[d].family, dests[d].addr, port,
							 protos[p], x ? &proxy : NULL);
				uint64_t m = matcher_eval(&c, dests[d].family, dests[d].addr, port,
							  protos[p], x);

				if (k != m)
					fail_msg("%s port %u proto %d proxy %d: kernel %#llx, "
						 "matcher %#llx", dests[d].addr, port, protos[p], x,
						 (unsigned long long)k, (unsigned long long)m);
			}
		}
	}
	/* the expected values, spelled out */
	/* 10.0.0.0/8:443 approves TCP on 443, never raw (the pattern has a port) */
	assert_int_equal(kernel_eval(&c, AF_INET, "10.1.2.3", 443, CEV_PROTO_TCP, NULL), 0);
	assert_int_equal(kernel_eval(&c, AF_INET, "10.1.2.3", 0, CEV_PROTO_RAW, NULL), 1);
	/* 192.0.2.0/24 without a port approves raw too */
	assert_int_equal(kernel_eval(&c, AF_INET, "192.0.2.7", 0, CEV_PROTO_RAW, NULL), 0);
	/* raw-only: 198.51.100.0/24 and ::1 (no port) flag raw; tcp-udp is
	 * suppressed for raw by its own proto, and for tcp the block rule is out */
	assert_int_equal(kernel_eval(&c, AF_INET, "198.51.100.9", 0, CEV_PROTO_RAW, NULL), 3);
	assert_int_equal(kernel_eval(&c, AF_INET, "198.51.100.9", 22, CEV_PROTO_TCP, NULL), 5);
	assert_int_equal(kernel_eval(&c, AF_INET6, "::ffff:198.51.100.1", 0, CEV_PROTO_RAW, NULL),
			 3);
	assert_int_equal(kernel_eval(&c, AF_INET6, "::1", 0, CEV_PROTO_RAW, NULL), 3);
	/* 203.0.113.5:0-65535 names a port range: not a raw send */
	assert_int_equal(kernel_eval(&c, AF_INET, "203.0.113.5", 0, CEV_PROTO_RAW, NULL), 1);
	/* the proxy is exempt from any-proto whatever the protocol */
	assert_int_equal(kernel_eval(&c, AF_INET, "10.1.2.3", 0, CEV_PROTO_RAW, &proxy), 0);
	filter_net_free(&c);
	rule_set_free(rs);
}

/*
 * What netsock.bpf.c computes for an event without a destination (a socket
 * made: route 0; a source route set: route 1), filter_maps.h.
 */
static uint64_t kernel_eval_socket(const struct filter_net *c, int proto, int route, int proxy)
{
	const struct net_conf *k = &c->conf;
	uint64_t when = route ? ~0ULL : k->sock_when | k->proto_named;
	uint64_t cond_dest = route ? 0 : k->cond_dest_all, holds, suppress = 0;
	uint64_t exe_bits = 0;

	for (size_t i = 0; proxy && i < c->n_exe; i++)
		if (c->ekeys[i].dev == 1 && c->ekeys[i].ino == 100)
			exe_bits = c->evals[i];
	when &= k->active & k->proto[proto];
	holds = k->cond_valid & (cond_dest | ~k->cond_need_dest) &
		(exe_bits | ~k->cond_need_exe) & k->cond_proto[proto];
	for (int i = 0; i < NET_MAX_CONDS; i++)
		if (holds & (1ULL << i))
			suppress |= k->cond_owner[i];
	return when & ~suppress;
}

static uint64_t matcher_eval_socket(const struct filter_net *c, int proto, int route, int proxy)
{
	static char proxy_exe[] = "/opt/proxy", other[] = "/usr/bin/ping";
	const struct rule *hits[NET_MAX_RULES];
	struct cev_event ev;
	uint64_t m = 0;
	size_t n;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_SOCKET;
	ev.proc.exe.p = proxy ? proxy_exe : other;
	ev.proc.exe.len = strlen(ev.proc.exe.p);
	ev.sock.proto = (uint8_t)proto;
	ev.sock.family = AF_INET;
	ev.sock.op = route ? CEV_SOCK_IP_OPTIONS : CEV_SOCK_CREATE;
	n = rule_set_match(rs_of_c, &ev, hits, NET_MAX_RULES);
	for (size_t h = 0; h < n; h++)
		for (size_t i = 0; i < c->n_slots; i++)
			if (c->slot[i] == hits[h])
				m |= 1ULL << i;
	return m;
}

/*
 * Sockets made and source routes set: the kernel's masks and the matcher
 * agree for every kind of socket, with and without an exempt executable;
 * the values spelled out for the rules of raw_rules.
 */
static void test_socket_events_agree(void **state)
{
	struct rule_set *rs = load(raw_rules);
	struct filter_net c;

	assert_int_equal(filter_net_compile(rs, fake_resolve, NULL, &c, NULL), 0);
	rs_of_c = rs;
	assert_int_equal(c.conf.sock_when, 1);		/* any-proto names every address */
	assert_int_equal(c.conf.proto_named, 6);
	assert_int_equal(c.conf.cond_dest_all, 4);	/* tcp-udp's `proto: raw, dest: 0/0` */
	for (int p = 0; p < NET_PROTOS; p++)
		for (int route = 0; route < 2; route++)
			for (int x = 0; x < 2; x++)
				if (kernel_eval_socket(&c, p, route, x) !=
				    matcher_eval_socket(&c, p, route, x))
					fail_msg("proto %d route %d proxy %d: kernel %#llx, "
						 "matcher %#llx", p, route, x,
						 (unsigned long long)kernel_eval_socket(&c, p, route, x),
						 (unsigned long long)matcher_eval_socket(&c, p, route, x));
	/* a raw socket made: any-proto (every address) and raw-only (names raw) */
	assert_int_equal(kernel_eval_socket(&c, CEV_PROTO_RAW, 0, 0), 3);
	/* the exempt proxy: any-proto's `unless: exe` holds, raw-only has none */
	assert_int_equal(kernel_eval_socket(&c, CEV_PROTO_RAW, 0, 1), 2);
	/* a UDP-Lite socket made: any-proto only (tcp-udp names neither) */
	assert_int_equal(kernel_eval_socket(&c, CEV_PROTO_UDPLITE, 0, 0), 1);
	/* a source route on a UDP socket: every rule covering udp, whatever its dest;
	 * tcp-udp's `unless: proto raw` does not hold for udp */
	assert_int_equal(kernel_eval_socket(&c, CEV_PROTO_UDP, 1, 0), 5);
	assert_int_equal(kernel_eval_socket(&c, CEV_PROTO_TCP, 1, 1), 4);
	filter_net_free(&c);
	rule_set_free(rs);
}

static void test_exe_glob_kernel(void **state)
{
	assert_true(filter_net_exe_kernel("/usr/bin/squid"));
	assert_true(filter_net_exe_kernel("/opt/bin/*"));
	assert_true(filter_net_exe_kernel("/opt/bin/proxy-[0-9]"));
	assert_false(filter_net_exe_kernel("/opt/*/proxy"));
	assert_false(filter_net_exe_kernel("/opt/bin/**"));
	assert_false(filter_net_exe_kernel("**/proxy"));
	assert_false(filter_net_exe_kernel("proxy"));
}

static void test_too_many_port_ranges(void **state)
{
	char yaml[4096];
	size_t n = (size_t)snprintf(yaml, sizeof(yaml), "custos: 1\nrules:\n  - id: p\n"
				    "    on: connect\n    severity: low\n    when:\n"
				    "      dest: [");

	for (int i = 1; i <= NET_PORT_RANGES + 1; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "%s\"10.0.0.1:%d\"",
				      i > 1 ? ", " : "", i);
	snprintf(yaml + n, sizeof(yaml) - n, "]\n");
	assert_check_fails(yaml, "distinct port ranges apply to 10.0.0.1/32");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_and_masks),
		cmocka_unit_test(test_kernel_decision),
		cmocka_unit_test(test_fast_path),
		cmocka_unit_test(test_families_separate),
		cmocka_unit_test(test_check_block_rules),
		cmocka_unit_test(test_check_report_rules_pass),
		cmocka_unit_test(test_raw_agrees),
		cmocka_unit_test(test_socket_events_agree),
		cmocka_unit_test(test_exe_glob_kernel),
		cmocka_unit_test(test_too_many_port_ranges),
	};

	return cmocka_run_group_tests_name("filter_net", tests, NULL, NULL);
}
