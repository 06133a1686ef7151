/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnsmsg.h - building DNS messages by hand, for the tests: bin/dnsd (the
 * e2e tests' responder) and tests/unit/test_dns.c.  Header-only; a write
 * past the buffer is dropped (put returns -1), never made.
 */
#ifndef CUSTOS_TESTS_DNSMSG_H
#define CUSTOS_TESTS_DNSMSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct msg {
	uint8_t b[2048];
	size_t n;
};

static inline int put(struct msg *m, const void *p, size_t n)
{
	if (m->n + n > sizeof(m->b))
		return -1;
	memcpy(m->b + m->n, p, n);
	m->n += n;
	return 0;
}

static inline int put16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return put(m, b, 2);
}

static inline int put32(struct msg *m, unsigned v)
{
	return put16(m, v >> 16) | put16(m, v & 0xffff);
}

/* A name in labels (text, dots between labels), ending in the root. */
static inline int put_name(struct msg *m, const char *name)
{
	int rc = 0;

	while (*name) {
		size_t l = strcspn(name, ".");
		uint8_t len = (uint8_t)l;

		rc |= put(m, &len, 1) | put(m, name, l);
		name += l + (name[l] == '.');
	}
	return rc | put(m, "", 1);
}

/* A record of class IN: owner NULL is a pointer to the question's name. */
static inline int put_rr(struct msg *m, const char *owner, unsigned type, unsigned ttl,
			 const void *rd, size_t rdlen)
{
	int rc = owner ? put_name(m, owner) : put16(m, 0xc00c);

	return rc | put16(m, type) | put16(m, 1) | put32(m, ttl) | put16(m, (unsigned)rdlen) |
	       put(m, rd, rdlen);
}

#endif
