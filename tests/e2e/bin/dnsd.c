/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnsd - a DNS responder and client of the e2e tests' own (test_dns.c),
 * loopback only.
 *
 *   dnsd serve ADDR PORT      answer on ADDR:PORT, UDP and TCP, until killed
 *   dnsd ask ADDR PORT NAME [tcp]   one A query (AAAA for a name starting
 *                             "v6."), printing each address of the answer
 *
 * The zone (every TTL 60 s but api.vendor.test's, 2 s):
 *   api.vendor.test   A 127.0.0.5        evil.test         A 127.0.0.6
 *   cname.vendor.test CNAME edge.cdn.test, edge.cdn.test A 127.0.0.8
 *   chain.evil.test   CNAME edge2.cdn.test, edge2.cdn.test A 127.0.0.10
 *   v6.vendor.test    AAAA ::1           tcp.vendor.test   A 127.0.0.11
 *   other.hostile.test A 127.0.0.14
 * and hostile answers, each also carrying an A record for 127.0.0.12:
 *   trunc.hostile.test the answer cut inside its record
 *   loop.hostile.test  the record's owner a compression pointer to itself
 *   badlen.hostile.test an rdlength past the end of the message
 *   many.hostile.test  20 answers, then the A record
 *   upper.hostile.test asked as UPPER.VENDOR.TEST: the answer binds the lower case
 * Anything else: NXDOMAIN.  Exits 0 after answering (ask) or on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsmsg.h"

#define TYPE_A 1
#define TYPE_CNAME 5
#define TYPE_AAAA 28

static void put_a(struct msg *m, const char *addr, unsigned ttl)
{
	uint8_t a[16];

	if (strchr(addr, ':')) {
		inet_pton(AF_INET6, addr, a);
		put_rr(m, NULL, TYPE_AAAA, ttl, a, 16);
	} else {
		inet_pton(AF_INET, addr, a);
		put_rr(m, NULL, TYPE_A, ttl, a, 4);
	}
}

/* A CNAME to target, then target's A record (owner written out). */
static void put_chain(struct msg *m, const char *target, const char *addr)
{
	struct msg t = { .n = 0 };
	uint8_t a[4];

	put_name(&t, target);
	put_rr(m, NULL, TYPE_CNAME, 60, t.b, t.n);
	put(m, t.b, t.n);
	put16(m, TYPE_A);
	put16(m, 1);
	put32(m, 60);
	put16(m, 4);
	inet_pton(AF_INET, addr, a);
	put(m, a, 4);
}

/* The header's answer count. */
static void set_ancount(struct msg *m, unsigned n)
{
	m->b[6] = (uint8_t)(n >> 8);
	m->b[7] = (uint8_t)n;
}

/* The answer to query q (its question copied), per the zone above. */
static void answer(const uint8_t *q, size_t qn, struct msg *m)
{
	char name[256] = "";
	size_t o = 12, p = 0;

	m->n = 0;
	if (qn < 17)
		return;
	while (o < qn && q[o] && p + q[o] + 1 < sizeof(name)) {
		memcpy(name + p, q + o + 1, q[o]);
		p += q[o];
		name[p++] = '.';
		o += 1 + q[o];
	}
	if (p)
		name[p - 1] = '\0';
	o += 5;			/* the zero, QTYPE, QCLASS */
	if (o > qn)
		return;
	put(m, q, 2);			/* id */
	put16(m, 0x8180);		/* response, recursion available */
	put16(m, 1);
	put16(m, 0);			/* ancount: set below */
	put32(m, 0);
	put(m, q + 12, o - 12);		/* the question */
	if (!strcasecmp(name, "api.vendor.test") || !strcasecmp(name, "upper.hostile.test")) {
		put_a(m, strcasecmp(name, "api.vendor.test") ? "127.0.0.15" : "127.0.0.5",
		      strcasecmp(name, "api.vendor.test") ? 60 : 2);
		set_ancount(m, 1);
	} else if (!strcmp(name, "evil.test")) {
		put_a(m, "127.0.0.6", 60);
		set_ancount(m, 1);
	} else if (!strcmp(name, "cname.vendor.test") || !strcmp(name, "chain.evil.test")) {
		if (name[0] == 'c' && name[1] == 'n')
			put_chain(m, "edge.cdn.test", "127.0.0.8");
		else
			put_chain(m, "edge2.cdn.test", "127.0.0.10");
		set_ancount(m, 2);
	} else if (!strcmp(name, "v6.vendor.test")) {
		put_a(m, "::1", 60);
		set_ancount(m, 1);
	} else if (!strcmp(name, "tcp.vendor.test") || !strcmp(name, "other.hostile.test")) {
		put_a(m, name[0] == 't' ? "127.0.0.11" : "127.0.0.14", 60);
		set_ancount(m, 1);
	} else if (!strcmp(name, "trunc.hostile.test")) {
		put_a(m, "127.0.0.12", 60);
		put_a(m, "127.0.0.12", 60);
		m->n -= 3;		/* the second record cut inside its address */
		set_ancount(m, 2);
	} else if (!strcmp(name, "loop.hostile.test")) {
		size_t at = m->n;

		/* an A record whose owner is a compression pointer to itself */
		put_a(m, "127.0.0.12", 60);
		m->b[at] = (uint8_t)(0xc0 | at >> 8);
		m->b[at + 1] = (uint8_t)at;
		set_ancount(m, 1);
	} else if (!strcmp(name, "badlen.hostile.test")) {
		put_a(m, "127.0.0.12", 60);
		m->b[m->n - 5] = 0xff;	/* rdlength 0xff04 */
		set_ancount(m, 1);
	} else if (!strcmp(name, "many.hostile.test")) {
		for (int i = 0; i < 20; i++)
			put_rr(m, NULL, 16 /* TXT */, 60, "\x01x", 2);
		put_a(m, "127.0.0.12", 60);
		set_ancount(m, 21);
	} else {
		m->b[3] = 0x83;		/* NXDOMAIN */
	}
}

static int serve(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct pollfd pf[2];
	uint8_t q[1024];
	struct msg m;

	inet_pton(AF_INET, addr, &a.sin_addr);
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (u < 0 || t < 0 || bind(u, (struct sockaddr *)&a, sizeof(a)) ||
	    bind(t, (struct sockaddr *)&a, sizeof(a)) || listen(t, 8)) {
		perror("dnsd: serve");
		return 1;
	}
	printf("dnsd: ready\n");
	fflush(stdout);
	pf[0] = (struct pollfd){ .fd = u, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = t, .events = POLLIN };
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (pf[0].revents & POLLIN) {
			n = recvfrom(u, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
			answer(q, n > 0 ? (size_t)n : 0, &m);
			if (m.n)
				sendto(u, m.b, m.n, 0, (struct sockaddr *)&from, flen);
		}
		if (pf[1].revents & POLLIN) {
			int c = accept(t, NULL, NULL);
			uint8_t len[2];

			if (c < 0)
				continue;
			if (recv(c, len, 2, MSG_WAITALL) == 2) {
				n = recv(c, q, (size_t)(len[0] << 8 | len[1]) & 1023, MSG_WAITALL);
				answer(q, n > 0 ? (size_t)n : 0, &m);
				len[0] = (uint8_t)(m.n >> 8);
				len[1] = (uint8_t)m.n;
				/* length and message in one segment: as resolvers send them */
				memmove(m.b + 2, m.b, m.n);
				memcpy(m.b, len, 2);
				send(c, m.b, m.n + 2, 0);
			}
			close(c);
		}
	}
}

static int ask(const char *addr, int port, const char *name, int tcp)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	struct msg q = { .n = 0 };
	uint8_t r[1100];
	ssize_t n;
	struct timeval tv = { 2, 0 };

	inet_pton(AF_INET, addr, &a.sin_addr);
	if (tcp)
		put16(&q, 0);		/* the length, set below */
	put16(&q, (unsigned)getpid() & 0xffff);
	put16(&q, 0x0100);		/* recursion desired */
	put16(&q, 1);
	put16(&q, 0);
	put32(&q, 0);
	put_name(&q, name);
	put16(&q, strncasecmp(name, "v6.", 3) ? TYPE_A : TYPE_AAAA);
	put16(&q, 1);
	if (tcp) {
		q.b[0] = (uint8_t)((q.n - 2) >> 8);
		q.b[1] = (uint8_t)(q.n - 2);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, q.b, q.n, 0) != (ssize_t)q.n) {
		perror("dnsd: ask");
		return 1;
	}
	if (tcp && recv(fd, r, 2, MSG_WAITALL) == 2)
		n = recv(fd, r, (size_t)(r[0] << 8 | r[1]) & 1023, MSG_WAITALL);
	else
		n = tcp ? -1 : recv(fd, r, sizeof(r), 0);
	printf("dnsd: %zd bytes of answer\n", n);
	return n > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	signal(SIGTERM, SIG_DFL);
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(argv[2], atoi(argv[3]));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "ask"))
		return ask(argv[2], atoi(argv[3]), argv[4], argc == 6);
	fprintf(stderr, "usage: dnsd serve ADDR PORT | dnsd ask ADDR PORT NAME [tcp]\n");
	return 2;
}
