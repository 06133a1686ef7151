/* SPDX-License-Identifier: Apache-2.0 */
/* test_base.c - the small utilities every module shares (user/base/): the
 * byte-count grammar (size.h), array growth (vec.h), big-endian bytes (be.h)
 * and where big blocks go (heap.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/be.h"
#include "base/heap.h"
#include "base/sbuf.h"
#include "base/size.h"
#include "base/strmap.h"
#include "base/termstr.h"
#include "base/vec.h"

static uint64_t sz(const char *s, uint64_t max)
{
	uint64_t v = 0;

	assert_int_equal(size_parse(s, max, &v), 0);
	return v;
}

static void bad(const char *s, uint64_t max)
{
	uint64_t v = 77;

	assert_int_equal(size_parse(s, max, &v), -EINVAL);
	assert_int_equal(v, 77);	/* untouched */
}

static void test_size_grammar(void **state)
{
	(void)state;
	assert_int_equal(sz("4096", 1ull << 40), 4096);
	assert_int_equal(sz("64K", 1ull << 40), 64ull << 10);
	assert_int_equal(sz("64k", 1ull << 40), 64ull << 10);
	assert_int_equal(sz("16M", 1ull << 40), 16ull << 20);
	assert_int_equal(sz("16m", 1ull << 40), 16ull << 20);	/* one grammar: either case */
	assert_int_equal(sz("2G", 1ull << 40), 2ull << 30);
	assert_int_equal(sz("2g", 1ull << 40), 2ull << 30);
	bad("", 1ull << 40);
	bad("0", 1ull << 40);
	bad("0M", 1ull << 40);
	bad("-1", 1ull << 40);
	bad("+1", 1ull << 40);
	bad(" 1", 1ull << 40);
	bad("1 ", 1ull << 40);
	bad("1.5M", 1ull << 40);
	bad("1MB", 1ull << 40);
	bad("1T", 1ull << 40);
	bad("M", 1ull << 40);
	bad("99999999999999999999999", UINT64_MAX);	/* strtoull overflow */
	bad("17179869184G", UINT64_MAX);		/* 2^64 bytes */
	assert_int_equal(sz("1G", 1ull << 30), 1ull << 30);	/* max is inclusive */
	bad("1025M", 1ull << 30);
}

static void test_vec_grow(void **state)
{
	size_t n = 0, cap = 0;
	uint32_t *v = NULL;

	(void)state;
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(vec_grow((void **)&v, n, &cap, sizeof(*v)), 0);
		assert_true(cap > n);
		v[n++] = i;
	}
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(v[i], i);
	assert_int_equal(cap, 1024);
	/* room already there: nothing changes */
	assert_int_equal(vec_grow((void **)&v, 10, &cap, sizeof(*v)), 0);
	assert_int_equal(cap, 1024);
	free(v);
}

static void test_vec_overflow(void **state)
{
	size_t cap = 0;
	void *v = NULL;

	(void)state;
	/* an element count whose bytes overflow size_t is refused, not wrapped */
	assert_int_equal(vec_grow(&v, SIZE_MAX / 8, &cap, 16), -ENOMEM);
	assert_null(v);
	assert_int_equal(cap, 0);
	assert_int_equal(vec_grow(&v, SIZE_MAX, &cap, 1), -ENOMEM);
	assert_int_equal(cap, 0);
}

static void test_be_bytes(void **state)
{
	static const unsigned char want[14] = {
		0x01, 0x02,				/* 16 */
		0x80, 0x00, 0x00, 0xff,			/* 32 */
		0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,	/* 64 */
	};
	unsigned char b[14 + 1];

	(void)state;
	memset(b, 0xaa, sizeof(b));
	be_put16(b, 0x0102);
	be_put32(b + 2, 0x800000ffu);
	be_put64(b + 6, 0xfedcba9876543210ull);
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(b[14], 0xaa);		/* nothing written past the end */
	assert_int_equal(be_get16(want), 0x0102);
	assert_int_equal(be_get32(want + 2), 0x800000ffu);
	assert_true(be_get64(want + 6) == 0xfedcba9876543210ull);
	/* unaligned: one byte in */
	be_put32(b + 1, 0xdeadbeefu);
	assert_int_equal(be_get32(b + 1), 0xdeadbeefu);
}

static void expect_term(const char *in, size_t n, unsigned flags, const char *want)
{
	struct sbuf b = SBUF_INIT;

	termstr_add(&b, in, n, flags);
	assert_string_equal(sbuf_cstr(&b), want);
	sbuf_free(&b);
}

#define EXPECT_TERM(in, flags, want) expect_term(in, sizeof(in) - 1, flags, want)

/* controls, C1 and bidi controls in UTF-8, invalid bytes and the backslash
 * come out as \xNN (\\); printable UTF-8 passes */
static void test_termstr(void **state)
{
	struct sbuf b = SBUF_INIT;

	(void)state;
	EXPECT_TERM("a\033[2Jb", 0, "a\\x1b[2Jb");
	EXPECT_TERM("\xc2\x9b" "31m", 0, "\\xc2\\x9b31m");	/* CSI, as UTF-8 */
	EXPECT_TERM("\x9b", 0, "\\x9b");			/* CSI, 8-bit */
	EXPECT_TERM("evil\xe2\x80\xaetxt.sh", 0, "evil\\xe2\\x80\\xaetxt.sh");	/* RLO */
	EXPECT_TERM("\xe2\x81\xa6x", 0, "\\xe2\\x81\\xa6x");		/* LRI */
	EXPECT_TERM("caf\xc3\xa9 \xe2\x82\xac", 0, "caf\xc3\xa9 \xe2\x82\xac");
	EXPECT_TERM("a\\x41", 0, "a\\\\x41");	/* a literal "\x41" is not an escape */
	EXPECT_TERM("\x7f\xff\xc3", 0, "\\x7f\\xff\\xc3");
	EXPECT_TERM("a\0b", TERMSTR_NUL_AS_SPACE, "a b");
	EXPECT_TERM("a\0b", 0, "a\\x00b");
	termstr_adds(&b, NULL, "-");
	termstr_adds(&b, "\n", "-");
	assert_string_equal(sbuf_cstr(&b), "-\\x0a");
	sbuf_free(&b);
}

/* names to indexes: put, overwrite, grow past many slots, miss */
static void test_strmap(void **state)
{
	static char keys[5000][8];
	struct strmap m = { 0 };
	size_t v;

	(void)state;
	assert_int_equal(strmap_get(&m, "x", &v), 0);
	for (size_t i = 0; i < 5000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		assert_int_equal(strmap_put(&m, keys[i], i), 0);
	}
	assert_int_equal(strmap_put(&m, "k7", 70), 0);
	assert_int_equal(m.n, 5000);
	for (size_t i = 0; i < 5000; i++) {
		assert_int_equal(strmap_get(&m, keys[i], &v), 1);
		assert_int_equal(v, i == 7 ? 70 : i);
	}
	assert_int_equal(strmap_get(&m, "k5000", &v), 0);
	assert_true(m.cap >= 2 * m.n);
	strmap_free(&m);
}

/* This process's RssAnon, KiB (/proc/self/status). */
static long rss_anon_kib(void)
{
	long kib = heap_self_kib("RssAnon");

	assert_true(kib >= 0);
	return kib;
}

/* A field by its whole name: one that is the start of another's is not it. */
static void test_heap_self_kib(void **state)
{
	(void)state;
	assert_true(heap_self_kib("VmRSS") > 0);
	assert_true(heap_self_kib("VmHWM") > 0);
	assert_int_equal(heap_self_kib("VmR"), -ENOENT);
	assert_int_equal(heap_self_kib("NoSuchField"), -ENOENT);
	assert_int_equal(heap_self_kib("Name"), -ENOENT);	/* a line, but no kB */
}

/* A big block, touched, freed; RssAnon after, KiB. */
static long big_block_then(size_t bytes)
{
	char *p = malloc(bytes);

	assert_non_null(p);
	memset(p, 1, bytes);
	__asm__ volatile("" : : "r"(p) : "memory");	/* the block is used: not elided */
	free(p);
	return rss_anon_kib();
}

/*
 * heap_give_back: a freed big block is not resident; heap_keep: it is, and
 * the next one reuses its pages; heap_give_back again returns them.  The
 * agent's peak and start time rest on both (docs/PERFORMANCE.md).
 */
static void test_heap_phases(void **state)
{
	enum { BIG = 8 << 20, KIB = BIG >> 10 };
	long base;

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();	/* ASan's allocator takes no mallopt */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	skip();
#endif
#endif
	heap_give_back();
	base = rss_anon_kib();
	assert_true(big_block_then(BIG) < base + KIB / 4);
	heap_keep();
	assert_true(big_block_then(BIG) > base + KIB * 3 / 4);
	assert_true(big_block_then(BIG) < base + KIB * 5 / 4);	/* the same pages */
	heap_give_back();
	assert_true(rss_anon_kib() < base + KIB / 4);
	assert_true(big_block_then(BIG) < base + KIB / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_grammar),
		cmocka_unit_test(test_vec_grow),
		cmocka_unit_test(test_vec_overflow),
		cmocka_unit_test(test_be_bytes),
		cmocka_unit_test(test_termstr),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_heap_phases),
		cmocka_unit_test(test_heap_self_kib),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
