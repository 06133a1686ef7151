/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_chain.c - the record chain (user/record/chain.c) against digests
 * computed here with OpenSSL's one-shot functions, and the chain check
 * (user/record/verify.c) on streams made by sealing rendered records:
 * whole ones verify; a changed byte, a removed line, two swapped lines, a
 * cut tail and a restart are each found, at the right line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "record/chain.h"
#include "record/json.h"
#include "record/ocsf.h"
#include "record/verify.h"

enum { N_LINES = 12, MAX_FINDINGS = 16 };

static void hex(const unsigned char *md, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* What chain.h says a VALUE is, computed over one concatenated buffer. */
static void expected(const char *key, const char *prev, const char *body, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *buf;
	size_t len;

	assert_true(asprintf(&buf, "%s\n%s", prev, body) > 0);
	len = strlen(buf);
	if (key)
		HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)buf, len, md, &n);
	else
		EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
	strcpy(out, key ? "hmac-sha256:" : "sha256:");
	hex(md, n, out + strlen(out));
	free(buf);
}

static void test_value_plain_and_keyed(void **state)
{
	static const char body[] = "{\"schema\":\"custos.event/1\",\"seq\":1";
	/* one key shorter than SHA-256's block, one longer (hashed first) */
	static const char *const keys[] = {
		"0123456789abcdef",
		"a key longer than the sixty-four bytes of one SHA-256 block, so it is hashed",
	};
	char got[CHAIN_VALUE_MAX], want[CHAIN_VALUE_MAX];
	struct chain c;

	(void)state;
	assert_int_equal(chain_init(&c, NULL, 0), 0);
	assert_int_equal(chain_value(&c, "", body, strlen(body), got), 0);
	expected(NULL, "", body, want);
	assert_string_equal(got, want);
	assert_int_equal(chain_value(&c, want, body, strlen(body), got), 0);
	expected(NULL, want, body, want);
	assert_string_equal(got, want);
	chain_free(&c);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(chain_init(&c, keys[i], strlen(keys[i])), 0);
		assert_int_equal(chain_value(&c, "sha256:00", body, strlen(body), got), 0);
		expected(keys[i], "sha256:00", body, want);
		assert_string_equal(got, want);
		/* the same twice: the per-record contexts start over */
		assert_int_equal(chain_value(&c, "sha256:00", body, strlen(body), got), 0);
		assert_string_equal(got, want);
		chain_free(&c);
	}
}

static void test_seal_and_split(void **state)
{
	struct sbuf line = SBUF_INIT;
	char want[CHAIN_VALUE_MAX], prev[CHAIN_VALUE_MAX];
	const char *value;
	size_t body, n;
	struct chain c;

	(void)state;
	assert_int_equal(chain_init(&c, NULL, 0), 0);
	sbuf_adds(&line, "{\"a\":\",\\\"chain\\\":\\\"x\"}\n");	/* a string that looks like it */
	assert_int_equal(chain_seal(&c, &line, 0, 1), 0);
	expected(NULL, "", "{\"a\":\",\\\"chain\\\":\\\"x\"", want);
	assert_string_equal(c.last, want);
	assert_int_equal(line.p[line.len - 1], '\n');
	assert_int_equal(chain_split(line.p, line.len - 1, &body, &value, &n), 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(value, want, n);
	assert_memory_equal(line.p, "{\"a\":\",\\\"chain\\\":\\\"x\"", body);
	assert_int_equal(body, strlen("{\"a\":\",\\\"chain\\\":\\\"x\""));
	/* the next record links to this one */
	strcpy(prev, c.last);
	sbuf_reset(&line);
	sbuf_adds(&line, "{\"b\":2}\n");
	assert_int_equal(chain_seal(&c, &line, 0, 1), 0);
	expected(NULL, prev, "{\"b\":2", want);
	assert_string_equal(c.last, want);
	/* lines without a chain member */
	assert_int_equal(chain_split("{\"b\":2}", 7, &body, &value, &n), -EINVAL);
	assert_int_equal(chain_split("{\"chain\":\"x\"}", 13, &body, &value, &n), -EINVAL);
	/* OCSF: the last member of unmapped, the last object */
	strcpy(prev, c.last);
	sbuf_reset(&line);
	sbuf_adds(&line, "{\"class_uid\":0,\"unmapped\":{\"host\":\"h\"}}\n");
	assert_int_equal(chain_seal(&c, &line, 0, 2), 0);
	expected(NULL, prev, "{\"class_uid\":0,\"unmapped\":{\"host\":\"h\"", want);
	assert_string_equal(c.last, want);
	assert_int_equal(strlen(sbuf_cstr(&line)), line.len);
	assert_int_equal(line.p[line.len - 4], '"');
	assert_memory_equal(line.p + line.len - 3, "}}\n", 3);
	assert_int_equal(chain_split(line.p, line.len - 1, &body, &value, &n), 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(value, want, n);
	assert_int_equal(body, strlen("{\"class_uid\":0,\"unmapped\":{\"host\":\"h\""));
	/* not a rendered line */
	sbuf_reset(&line);
	sbuf_adds(&line, "{\"b\":2}");
	assert_int_equal(chain_seal(&c, &line, 0, 1), -EINVAL);
	sbuf_reset(&line);
	sbuf_adds(&line, "{\"b\":2}\n");
	assert_int_equal(chain_seal(&c, &line, 0, 2), -EINVAL);
	sbuf_free(&line);
	chain_free(&c);
}

/* --- streams --------------------------------------------------------------- */

struct stream {
	char *lines[N_LINES + 4];
	size_t n;
};

/* n records, seq first.., sealed in one chain from prev (""), the last a final
 * checkpoint; custos.event/1 lines, or OCSF ones when ocsf. */
static void make_stream_as(struct stream *s, const char *key, uint64_t first, size_t n,
			   const char *prev, char *last_out, int ocsf)
{
	static const char *const tags[] = { "t" };
	struct json_rule rule = { "r", "high", "alert", tags, 1 };
	struct sbuf line = SBUF_INIT;
	struct chain c;

	assert_int_equal(chain_init(&c, key, key ? strlen(key) : 0), 0);
	snprintf(c.last, sizeof(c.last), "%s", prev);
	for (size_t i = 0; i < n; i++) {
		struct json_meta meta = { "h", first + i, "sha256:00", "run1", NULL };
		struct cev_event ev = { .kind = CEV_EXEC, .time_ns = 1795417923000000000ull + i };

		if (i + 1 == n) {
			ev.kind = CEV_CHECKPOINT;
			ev.checkpoint.records = n;
			ev.checkpoint.final = 1;
		}
		ev.proc.pid = (uint32_t)(100 + i);
		sbuf_reset(&line);
		assert_int_equal((ocsf ? ocsf_render_event : json_render_event)(&line, &ev, &rule,
									       &meta), 0);
		assert_int_equal(chain_seal(&c, &line, 0, ocsf ? 2 : 1), 0);
		line.len--;	/* the newline */
		s->lines[s->n++] = strdup(sbuf_cstr(&line));
	}
	if (last_out)
		strcpy(last_out, c.last);
	sbuf_free(&line);
	chain_free(&c);
}

static void make_stream(struct stream *s, const char *key, uint64_t first, size_t n,
			const char *prev, char *last_out)
{
	make_stream_as(s, key, first, n, prev, last_out, 0);
}

static void free_stream(struct stream *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->lines[i]);
	s->n = 0;
}

struct result {
	struct verify_finding f[MAX_FINDINGS];
	size_t n;
	struct verify v;
};

static void collect(void *ctx, const struct verify_finding *f)
{
	struct result *r = ctx;

	if (r->n < MAX_FINDINGS)
		r->f[r->n++] = *f;
}

/* Verifies s (line numbers from 1); partial: the last line had no newline. */
static void run_verify(struct result *r, const struct stream *s, const char *key, int partial)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(verify_init(&r->v, key, key ? strlen(key) : 0, collect, r), 0);
	for (size_t i = 0; i < s->n; i++) {
		struct verify_loc loc = { 0, i + 1 };

		assert_int_equal(verify_line(&r->v, s->lines[i], strlen(s->lines[i]),
					     partial && i + 1 == s->n, loc), 0);
	}
	verify_end(&r->v);
	verify_free(&r->v);
}

static void test_whole_stream_verifies(void **state)
{
	struct stream s = { 0 };
	struct result r;

	(void)state;
	make_stream(&s, NULL, 1, N_LINES, "", NULL);
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.v.records, N_LINES);
	assert_true(r.v.genesis);
	assert_true(r.v.last_final);
	/* from the middle: anchored at its first record, still whole */
	free(s.lines[0]);
	memmove(s.lines, s.lines + 1, (s.n - 1) * sizeof(s.lines[0]));
	s.n--;
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 0);
	assert_false(r.v.genesis);
	assert_int_equal(r.v.first_seq, 2);
	free_stream(&s);
}

static void assert_finding(const struct result *r, size_t i, enum verify_what what,
			   unsigned long line, uint64_t seq)
{
	assert_true(r->n > i);
	assert_string_equal(verify_what_name(r->f[i].what), verify_what_name(what));
	assert_int_equal(r->f[i].at.line, line);
	assert_int_equal(r->f[i].seq, seq);
}

static void test_changed_byte(void **state)
{
	struct stream s = { 0 };
	struct result r;
	char *p;

	(void)state;
	make_stream(&s, NULL, 1, N_LINES, "", NULL);
	p = strstr(s.lines[4], "\"pid\":104");
	p[8] = '5';	/* 104 -> 105 */
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 1);
	assert_finding(&r, 0, VERIFY_EDITED, 5, 5);
	free_stream(&s);
}

static void test_removed_line(void **state)
{
	struct stream s = { 0 };
	struct result r;

	(void)state;
	make_stream(&s, NULL, 1, N_LINES, "", NULL);
	free(s.lines[6]);
	memmove(s.lines + 6, s.lines + 7, (s.n - 7) * sizeof(s.lines[0]));
	s.n--;
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 1);
	assert_finding(&r, 0, VERIFY_REMOVED, 7, 8);
	assert_int_equal(r.f[0].prev_seq, 6);
	free_stream(&s);
}

static void test_swapped_lines(void **state)
{
	struct stream s = { 0 };
	struct result r;
	char *t;

	(void)state;
	make_stream(&s, NULL, 1, N_LINES, "", NULL);
	t = s.lines[3];
	s.lines[3] = s.lines[4];
	s.lines[4] = t;
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 1);	/* one finding for the move, not one per broken link */
	assert_finding(&r, 0, VERIFY_REORDERED, 4, 5);
	assert_int_equal(r.f[0].later.line, 5);
	assert_int_equal(r.f[0].later_seq, 4);
	free_stream(&s);
}

static void test_cut_tail(void **state)
{
	struct stream s = { 0 };
	struct result r;

	(void)state;
	make_stream(&s, NULL, 1, N_LINES, "", NULL);
	/* whole lines cut: no closing checkpoint */
	free(s.lines[--s.n]);
	free(s.lines[--s.n]);
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 1);
	assert_finding(&r, 0, VERIFY_OPEN, N_LINES - 2, N_LINES - 2);
	/* cut in the middle of a line */
	s.lines[s.n - 1][strlen(s.lines[s.n - 1]) / 2] = '\0';
	run_verify(&r, &s, NULL, 1);
	assert_int_equal(r.n, 1);
	assert_finding(&r, 0, VERIFY_CUT, N_LINES - 2, 0);
	free_stream(&s);
}

/* Two runs: the second continues the first's chain; a restart breaks it. */
static void test_runs_and_restart(void **state)
{
	struct stream s = { 0 };
	char last[CHAIN_VALUE_MAX];
	struct result r;

	(void)state;
	make_stream(&s, NULL, 1, 5, "", last);
	make_stream(&s, NULL, 6, 5, last, NULL);
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.v.records, 10);
	free_stream(&s);
	/* the second run without the first's state: seq 1 again, a new chain */
	make_stream(&s, NULL, 1, 5, "", NULL);
	make_stream(&s, NULL, 1, 5, "", NULL);
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 1);
	assert_finding(&r, 0, VERIFY_RESTART, 6, 1);
	free_stream(&s);
}

/* The OCSF rendering: the chain is unmapped.chain, verified the same way. */
static void test_ocsf_stream(void **state)
{
	struct stream s = { 0 };
	struct result r;
	char *p;

	(void)state;
	make_stream_as(&s, NULL, 1, N_LINES, "", NULL, 1);
	assert_non_null(strstr(s.lines[0], ",\"chain\":\"sha256:"));
	assert_int_equal(s.lines[0][strlen(s.lines[0]) - 1], '}');
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 0);
	assert_true(r.v.last_final);
	p = strstr(s.lines[2], "\"pid\":102");
	p[8] = '3';
	run_verify(&r, &s, NULL, 0);
	assert_int_equal(r.n, 1);
	assert_finding(&r, 0, VERIFY_EDITED, 3, 3);
	free_stream(&s);
}

static void test_keyed(void **state)
{
	static const char key[] = "0123456789abcdef0123456789abcdef";
	struct stream s = { 0 };
	struct result r;

	(void)state;
	make_stream(&s, key, 1, N_LINES, "", NULL);
	run_verify(&r, &s, key, 0);
	assert_int_equal(r.n, 0);
	/* checked without the key, or with another: found */
	run_verify(&r, &s, NULL, 0);
	assert_true(r.n >= 1);
	assert_finding(&r, 0, VERIFY_KEY, 1, 1);
	run_verify(&r, &s, "another key of sixteen+ bytes", 0);
	assert_true(r.n >= 1);
	assert_finding(&r, 0, VERIFY_EDITED, 1, 1);
	free_stream(&s);
	/* a plain chain checked as keyed: every record is a forgery */
	make_stream(&s, NULL, 1, 3, "", NULL);
	run_verify(&r, &s, key, 0);
	assert_finding(&r, 0, VERIFY_KEY, 1, 1);
	free_stream(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_plain_and_keyed),
		cmocka_unit_test(test_seal_and_split),
		cmocka_unit_test(test_whole_stream_verifies),
		cmocka_unit_test(test_changed_byte),
		cmocka_unit_test(test_removed_line),
		cmocka_unit_test(test_swapped_lines),
		cmocka_unit_test(test_cut_tail),
		cmocka_unit_test(test_runs_and_restart),
		cmocka_unit_test(test_ocsf_stream),
		cmocka_unit_test(test_keyed),
	};

	return cmocka_run_group_tests_name("chain", tests, NULL, NULL);
}
