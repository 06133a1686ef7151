/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json.c - the JSON line renderer (user/record/json.c): byte escaping, time,
 * open flags and whole records against golden lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/json.h"

/* --- helpers ---------------------------------------------------------------- */

static char *escape(const char *p, size_t n)
{
	struct sbuf b = SBUF_INIT;
	char *s;

	json_escape_bytes(&b, p, n);
	assert_int_equal(sbuf_err(&b), 0);
	s = strdup(sbuf_cstr(&b));
	sbuf_free(&b);
	return s;
}

#define assert_escape(in, expect) do {					\
	char *got_ = escape((in), sizeof(in) - 1);			\
	assert_string_equal(got_, (expect));				\
	free(got_);							\
} while (0)

static void put_utf8(struct sbuf *out, uint32_t cp)
{
	if (cp < 0x80) {
		sbuf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		sbuf_addc(out, (char)(0xc0 | cp >> 6));
		sbuf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sbuf_addc(out, (char)(0xe0 | cp >> 12));
		sbuf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sbuf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		sbuf_addc(out, (char)(0xf0 | cp >> 18));
		sbuf_addc(out, (char)(0x80 | ((cp >> 12) & 0x3f)));
		sbuf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sbuf_addc(out, (char)(0x80 | (cp & 0x3f)));
	}
}

static int hex4(const char *p, uint32_t *v)
{
	uint32_t r = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		r <<= 4;
		if (c >= '0' && c <= '9')
			r |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			r |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			r |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*v = r;
	return 0;
}

/*
 * Test-only decoder: one JSON string at *pp (opening quote included) back to
 * bytes, undoing surrogateescape.  Rejects raw control bytes, as JSON does.
 */
static int decode_string(const char **pp, const char *end, struct sbuf *out)
{
	const char *p = *pp;
	uint32_t cp, lo;

	if (p >= end || *p++ != '"')
		return -1;
	while (p < end && *p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			sbuf_addc(out, (char)c);
			p++;
			continue;
		}
		if (++p >= end)
			return -1;
		switch (*p++) {
		case '"': sbuf_addc(out, '"'); break;
		case '\\': sbuf_addc(out, '\\'); break;
		case '/': sbuf_addc(out, '/'); break;
		case 'b': sbuf_addc(out, '\b'); break;
		case 'f': sbuf_addc(out, '\f'); break;
		case 'n': sbuf_addc(out, '\n'); break;
		case 'r': sbuf_addc(out, '\r'); break;
		case 't': sbuf_addc(out, '\t'); break;
		case 'u':
			if (end - p < 4 || hex4(p, &cp))
				return -1;
			p += 4;
			if (cp >= 0xdc80 && cp <= 0xdcff) {
				sbuf_addc(out, (char)(cp & 0xff));	/* surrogateescape */
			} else if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 &&
				   p[0] == '\\' && p[1] == 'u' && !hex4(p + 2, &lo) &&
				   lo >= 0xdc00 && lo <= 0xdfff) {
				p += 6;
				put_utf8(out, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				return -1;
			} else {
				put_utf8(out, cp);
			}
			break;
		default:
			return -1;
		}
	}
	if (p >= end)
		return -1;
	*pp = p + 1;
	return 0;
}

/* --- escaping ----------------------------------------------------------- */

static void test_escape_every_single_byte(void **state)
{
	char expect[16], in[1];
	char *got;
	int b;

	for (b = 0; b < 256; b++) {
		in[0] = (char)b;
		switch (b) {
		case '\b': strcpy(expect, "\"\\b\""); break;
		case '\t': strcpy(expect, "\"\\t\""); break;
		case '\n': strcpy(expect, "\"\\n\""); break;
		case '\f': strcpy(expect, "\"\\f\""); break;
		case '\r': strcpy(expect, "\"\\r\""); break;
		case '"': strcpy(expect, "\"\\\"\""); break;
		case '\\': strcpy(expect, "\"\\\\\""); break;
		default:
			if (b < 0x20 || b == 0x7f)
				snprintf(expect, sizeof(expect), "\"\\u%04x\"", b);
			else if (b < 0x80)
				snprintf(expect, sizeof(expect), "\"%c\"", b);
			else	/* no byte >= 0x80 is valid UTF-8 on its own */
				snprintf(expect, sizeof(expect), "\"\\udc%02x\"", b);
		}
		got = escape(in, 1);
		if (strcmp(got, expect))
			fail_msg("byte 0x%02x: got %s, want %s", b, got, expect);
		free(got);
	}
}

static void test_escape_empty_and_ascii(void **state)
{
	assert_escape("", "\"\"");
	assert_escape("/usr/bin/cat", "\"/usr/bin/cat\"");
	assert_escape("a\"b\\c\nd\0e", "\"a\\\"b\\\\c\\nd\\u0000e\"");
	assert_escape("\x1b[31m\x7f", "\"\\u001b[31m\\u007f\"");
}

static void test_escape_valid_utf8_literal(void **state)
{
	assert_escape("\xc2\x80", "\"\xc2\x80\"");			/* U+0080 */
	assert_escape("caf\xc3\xa9", "\"caf\xc3\xa9\"");		/* é */
	assert_escape("\xdf\xbf", "\"\xdf\xbf\"");			/* U+07FF */
	assert_escape("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");		/* U+0800 */
	assert_escape("\xe2\x82\xac", "\"\xe2\x82\xac\"");		/* € */
	assert_escape("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");		/* U+D7FF */
	assert_escape("\xee\x80\x80", "\"\xee\x80\x80\"");		/* U+E000 */
	assert_escape("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");		/* U+FFFF */
	assert_escape("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"");	/* U+10000 */
	assert_escape("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");	/* 😀 */
	assert_escape("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");	/* U+10FFFF */
	assert_escape("/tmp/\xe6\x97\xa5\xe6\x9c\xac", "\"/tmp/\xe6\x97\xa5\xe6\x9c\xac\"");
}

static void test_escape_invalid_utf8(void **state)
{
	/* stray continuation bytes */
	assert_escape("\x80", "\"\\udc80\"");
	assert_escape("a\xbf" "b", "\"a\\udcbfb\"");
	/* overlong forms */
	assert_escape("\xc0\xaf", "\"\\udcc0\\udcaf\"");
	assert_escape("\xc1\xbf", "\"\\udcc1\\udcbf\"");
	assert_escape("\xe0\x80\xaf", "\"\\udce0\\udc80\\udcaf\"");
	assert_escape("\xe0\x9f\xbf", "\"\\udce0\\udc9f\\udcbf\"");
	assert_escape("\xf0\x80\x80\xaf", "\"\\udcf0\\udc80\\udc80\\udcaf\"");
	assert_escape("\xf0\x8f\xbf\xbf", "\"\\udcf0\\udc8f\\udcbf\\udcbf\"");
	/* UTF-8 encoded surrogates */
	assert_escape("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");
	assert_escape("\xed\xbf\xbf", "\"\\udced\\udcbf\\udcbf\"");
	assert_escape("\xed\xb2\x80", "\"\\udced\\udcb2\\udc80\"");
	/* above U+10FFFF */
	assert_escape("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\"");
	assert_escape("\xf5\x80\x80\x80", "\"\\udcf5\\udc80\\udc80\\udc80\"");
	assert_escape("\xf8\x88\x80\x80\x80", "\"\\udcf8\\udc88\\udc80\\udc80\\udc80\"");
	assert_escape("\xff\xfe", "\"\\udcff\\udcfe\"");
	/* truncated sequences, at the end and before other bytes */
	assert_escape("\xc3", "\"\\udcc3\"");
	assert_escape("\xe2\x82", "\"\\udce2\\udc82\"");
	assert_escape("\xf0\x9f\x98", "\"\\udcf0\\udc9f\\udc98\"");
	assert_escape("\xe2\x82" "A", "\"\\udce2\\udc82A\"");
	assert_escape("\xc3\xc3\xa9", "\"\\udcc3\xc3\xa9\"");
	assert_escape("\xf0\x9f\xe2\x82\xac", "\"\\udcf0\\udc9f\xe2\x82\xac\"");
	/* invalid followed by valid */
	assert_escape("\xff\xc3\xa9\n", "\"\\udcff\xc3\xa9\\n\"");
}

static uint32_t rng_state = 0x12345678;

static uint32_t rnd(void)
{
	/* xorshift32: deterministic, so a failure reproduces */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_escape_roundtrip_random(void **state)
{
	static const uint32_t cps[] = { 0x41, 0xe9, 0x7ff, 0x800, 0x20ac, 0xd7ff,
					0xe000, 0xfffd, 0x10000, 0x1f600, 0x10ffff };
	struct sbuf in = SBUF_INIT, enc = SBUF_INIT, dec = SBUF_INIT;
	const char *p;
	int iter, i, len;

	for (iter = 0; iter < 20000; iter++) {
		sbuf_reset(&in);
		sbuf_reset(&enc);
		sbuf_reset(&dec);
		len = (int)(rnd() % 48);
		for (i = 0; i < len; i++) {
			switch (rnd() % 4) {
			case 0:
				put_utf8(&in, cps[rnd() % (sizeof(cps) / sizeof(cps[0]))]);
				break;
			case 1:
				sbuf_addc(&in, (char)(0x80 + rnd() % 0x80));
				break;
			case 2:
				sbuf_addc(&in, (char)(rnd() % 0x20));
				break;
			default:
				sbuf_addc(&in, (char)(rnd() & 0xff));
			}
		}
		json_escape_bytes(&enc, in.p ? in.p : "", in.len);
		assert_int_equal(sbuf_err(&enc), 0);
		p = enc.p;
		if (decode_string(&p, enc.p + enc.len, &dec))
			fail_msg("iteration %d: output is not a valid JSON string", iter);
		assert_ptr_equal(p, enc.p + enc.len);
		assert_int_equal(dec.len, in.len);
		if (in.len)
			assert_memory_equal(dec.p, in.p, in.len);
	}
	sbuf_free(&in);
	sbuf_free(&enc);
	sbuf_free(&dec);
}

/* --- time and flags ----------------------------------------------------- */

static void test_format_time(void **state)
{
	char buf[JSON_TIME_SIZE];

	assert_int_equal(json_format_time(buf, sizeof(buf), 0), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
	assert_int_equal(json_format_time(buf, sizeof(buf), 1795417923123456789ull), 0);
	assert_string_equal(buf, "2026-11-23T07:12:03.123456789Z");
	/* ns padding */
	assert_int_equal(json_format_time(buf, sizeof(buf), 1795417923000000007ull), 0);
	assert_string_equal(buf, "2026-11-23T07:12:03.000000007Z");
	/* the last ns of a leap day, and the 32-bit time_t edge */
	assert_int_equal(json_format_time(buf, sizeof(buf), 951868799999999999ull), 0);
	assert_string_equal(buf, "2000-02-29T23:59:59.999999999Z");
	assert_int_equal(json_format_time(buf, sizeof(buf), 2147483648000000000ull), 0);
	assert_string_equal(buf, "2038-01-19T03:14:08.000000000Z");
	/* too small */
	assert_int_equal(json_format_time(buf, JSON_TIME_SIZE - 1, 0), -ENOSPC);
	assert_string_equal(buf, "");
}

static void assert_flags(uint32_t flags, const char *expect)
{
	struct sbuf b = SBUF_INIT;

	json_open_flags(&b, flags);
	assert_string_equal(sbuf_cstr(&b), expect);
	sbuf_free(&b);
}

static void test_open_flags(void **state)
{
	assert_flags(O_RDONLY, "O_RDONLY");
	assert_flags(O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
	assert_flags(O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC");
	assert_flags(O_RDWR | O_APPEND | O_EXCL, "O_RDWR|O_EXCL|O_APPEND");
	assert_flags(3, "O_ACCMODE");
	/* O_LARGEFILE as the kernel sets it on 64-bit, not glibc's 0 */
#if defined(__x86_64__)
	assert_flags(0100000 | O_DIRECTORY | O_NOFOLLOW,
		     "O_RDONLY|O_LARGEFILE|O_DIRECTORY|O_NOFOLLOW");
	/* an unknown bit (FASYNC) is kept as hex */
	assert_flags(O_WRONLY | 020000, "O_WRONLY|0x2000");
#endif
	assert_flags(O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE");
	assert_flags(O_WRONLY | O_SYNC, "O_WRONLY|O_SYNC");
	assert_flags(O_WRONLY | O_DSYNC, "O_WRONLY|O_DSYNC");
	assert_flags(O_PATH | O_NOATIME | O_NONBLOCK | O_NOCTTY | O_DIRECT,
		     "O_RDONLY|O_NOCTTY|O_NONBLOCK|O_DIRECT|O_NOATIME|O_PATH");
	assert_flags(O_RDONLY | 0x80000000u, "O_RDONLY|0x80000000");
}

/* --- records ------------------------------------------------------------ */

static const char *const tags1[] = { "soc2:CC6.1" };
static const struct json_rule rule1 = {
	.id = "secret-file-access", .severity = "critical", .action = "alert",
	.tags = tags1, .n_tags = 1,
};
static const struct json_meta meta1 = {
	.host = "inference-01", .seq = 42, .policy = "sha256:9f2c",
};

#define ARGS(s) { .buf = s, .len = sizeof(s) - 1 }
#define STR(s) { .p = s, .len = sizeof(s) - 1 }

static const struct cev_str ancestors1[] = {
	STR("/usr/bin/bash"), STR("/usr/sbin/sshd"), STR("/usr/lib/systemd/systemd"),
};

static void base_event(struct cev_event *ev, enum cev_kind kind)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->time_ns = 1795417923123456789ull;
	ev->proc.pid = 4242;
	ev->proc.tid = 4242;
	ev->proc.ppid = 4100;
	ev->proc.uid = 1000;
	ev->proc.user = "svc";
	strcpy(ev->proc.comm, "cat");
	ev->proc.exe = (struct cev_str)STR("/usr/bin/cat");
	ev->proc.args = (struct cev_args)ARGS("cat\0/root/.aws/credentials\0");
	ev->proc.cgroup = "/system.slice/vllm.service";
	ev->has_parent = 1;
	ev->parent.pid = 4100;
	ev->parent.exe = (struct cev_str)STR("/usr/bin/bash");
	ev->parent.args = (struct cev_args)ARGS("bash\0");
	ev->ancestors = ancestors1;
	ev->n_ancestors = 3;
}

static char *render(const struct cev_event *ev, const struct json_rule *r,
		    const struct json_meta *m)
{
	struct sbuf b = SBUF_INIT;
	char *s;

	assert_int_equal(json_render_event(&b, ev, r, m), 0);
	s = strdup(sbuf_cstr(&b));
	sbuf_free(&b);
	/* exactly one line */
	assert_non_null(strchr(s, '\n'));
	assert_true(strchr(s, '\n') == s + strlen(s) - 1);
	return s;
}

#define HEAD(kind) "{\"schema\":\"custos.event/1\",\"time\":\"2026-11-23T07:12:03.123456789Z\"," \
	"\"seq\":42,\"host\":\"inference-01\",\"kind\":\"" kind "\","
#define RULE "\"rule\":\"secret-file-access\",\"severity\":\"critical\",\"action\":\"alert\"," \
	"\"tags\":[\"soc2:CC6.1\"],\"policy\":\"sha256:9f2c\","
#define PROC "\"process\":{\"pid\":4242,\"tid\":4242,\"ppid\":4100,\"uid\":1000,\"user\":\"svc\"," \
	"\"comm\":\"cat\",\"exe\":\"/usr/bin/cat\",\"args\":[\"cat\",\"/root/.aws/credentials\"]," \
	"\"cgroup\":\"/system.slice/vllm.service\"},"
#define LINEAGE "\"parent\":{\"pid\":4100,\"exe\":\"/usr/bin/bash\",\"args\":[\"bash\"]}," \
	"\"ancestors\":[\"/usr/bin/bash\",\"/usr/sbin/sshd\",\"/usr/lib/systemd/systemd\"],"

static void test_record_file(void **state)
{
	struct cev_event ev;
	char *got;

	base_event(&ev, CEV_FILE);
	ev.file.path = (struct cev_str)STR("/root/.aws/credentials");
	ev.file.access = CEV_ACC_READ;
	ev.file.flags = O_RDONLY | O_CLOEXEC;
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("file") RULE PROC LINEAGE
		"\"file\":{\"path\":\"/root/.aws/credentials\",\"access\":[\"read\"],"
		"\"flags\":\"O_RDONLY|O_CLOEXEC\",\"blocked\":false}}\n");
	free(got);
	/* refused by the kernel (BPF LSM) */
	ev.file.blocked = 1;
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("file") RULE PROC LINEAGE
		"\"file\":{\"path\":\"/root/.aws/credentials\",\"access\":[\"read\"],"
		"\"flags\":\"O_RDONLY|O_CLOEXEC\",\"blocked\":true}}\n");
	free(got);
}

/* An io_uring open seen at submission (tracepoint backends): no file, no flags. */
static void test_record_file_unresolved(void **state)
{
	struct cev_event ev;
	char *got;

	base_event(&ev, CEV_FILE);
	ev.file.path = (struct cev_str)STR("");
	ev.file.unresolved = 1;
	ev.file.via = "io_uring";
	ev.file.op = "openat";
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("file") RULE PROC LINEAGE
		"\"file\":{\"path\":\"\",\"access\":[],\"flags\":\"\",\"blocked\":false,\"via\":\"io_uring\","
		"\"op\":\"openat\",\"unresolved\":true}}\n");
	free(got);
}

static void test_record_file_truncated_all_access(void **state)
{
	struct cev_event ev;
	char *got;

	base_event(&ev, CEV_FILE);
	ev.file.path = (struct cev_str){ .p = "/very/lo\"ng", .len = 11, .truncated = 1 };
	ev.file.access = CEV_ACC_CREATE | CEV_ACC_WRITE | CEV_ACC_READ;
	ev.file.flags = O_RDWR | O_CREAT;
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("file") RULE PROC LINEAGE
		"\"file\":{\"path\":\"/very/lo\\\"ng\",\"access\":[\"read\",\"write\",\"create\"],"
		"\"flags\":\"O_RDWR|O_CREAT\",\"blocked\":false,\"truncated\":true}}\n");
	free(got);
}

/*
 * The identity and the other views (events-v1 "Additions"): a watched file
 * opened through a hard link by a chrooted process; then one whose path is
 * relative to a detached mount nothing resolves.
 */
static void test_record_file_views(void **state)
{
	struct cev_event ev;
	char *got;

	base_event(&ev, CEV_FILE);
	ev.file.path = (struct cev_str)STR("/tmp/innocent");
	ev.file.host_path = (struct cev_str)STR("/srv/jail/tmp/innocent");
	ev.file.watched_path = (struct cev_str)STR("/root/.aws/credentials");
	ev.file.dev = (259u << 20) | 3;
	ev.file.ino = 1234567;
	ev.file.has_identity = 1;
	ev.file.access = CEV_ACC_READ;
	ev.file.flags = O_RDONLY;
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("file") RULE PROC LINEAGE
		"\"file\":{\"path\":\"/tmp/innocent\",\"access\":[\"read\"],\"flags\":\"O_RDONLY\","
		"\"blocked\":false,\"identity\":{\"dev\":\"259:3\",\"ino\":1234567},"
		"\"host_path\":\"/srv/jail/tmp/innocent\",\"watched_path\":\"/root/.aws/credentials\"}}\n");
	free(got);
	memset(&ev.file.host_path, 0, sizeof(ev.file.host_path));
	memset(&ev.file.watched_path, 0, sizeof(ev.file.watched_path));
	ev.file.path = (struct cev_str)STR("/api-token");
	ev.file.detached = 1;
	ev.file.path_partial = 1;
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("file") RULE PROC LINEAGE
		"\"file\":{\"path\":\"/api-token\",\"access\":[\"read\"],\"flags\":\"O_RDONLY\","
		"\"blocked\":false,\"unresolved\":true,\"identity\":{\"dev\":\"259:3\","
		"\"ino\":1234567},\"detached\":true}}\n");
	free(got);
}

static void test_record_null_user_cgroup_no_parent(void **state)
{
	static const char *const no_tags[] = { NULL };
	struct json_rule r = { .id = "r1", .severity = "low", .action = "block",
			       .tags = no_tags, .n_tags = 0 };
	struct json_meta m = { .host = NULL, .seq = 0, .policy = NULL };
	struct cev_event ev;
	char *got;

	base_event(&ev, CEV_FILE);
	ev.proc.user = NULL;
	ev.proc.cgroup = NULL;
	ev.proc.exe = (struct cev_str){ 0 };
	ev.proc.args = (struct cev_args){ 0 };
	memcpy(ev.proc.comm, "0123456789abcdef", 16);	/* no NUL: stops at 16 */
	ev.has_parent = 0;
	ev.ancestors = NULL;
	ev.n_ancestors = 0;
	ev.file.path = (struct cev_str)STR("/etc/shadow");
	ev.file.access = 0;
	ev.file.flags = O_RDONLY;
	got = render(&ev, &r, &m);
	assert_string_equal(got,
		"{\"schema\":\"custos.event/1\",\"time\":\"2026-11-23T07:12:03.123456789Z\","
		"\"seq\":0,\"host\":null,\"kind\":\"file\","
		"\"rule\":\"r1\",\"severity\":\"low\",\"action\":\"block\",\"tags\":[],\"policy\":null,"
		"\"process\":{\"pid\":4242,\"tid\":4242,\"ppid\":4100,\"uid\":1000,\"user\":null,"
		"\"comm\":\"0123456789abcdef\",\"exe\":\"\",\"args\":[],\"cgroup\":null},"
		"\"ancestors\":[],"
		"\"file\":{\"path\":\"/etc/shadow\",\"access\":[],\"flags\":\"O_RDONLY\",\"blocked\":false}}\n");
	free(got);
}

static void set_conn(struct cev_event *ev, int family, const char *addr, uint16_t port,
		     uint8_t proto, uint8_t blocked)
{
	base_event(ev, CEV_CONNECT);
	ev->conn.family = (uint8_t)family;
	ev->conn.proto = proto;
	ev->conn.ipproto = cev_proto_number(proto);
	ev->conn.port = port;
	ev->conn.blocked = blocked;
	assert_int_equal(inet_pton(family, addr, ev->conn.addr), 1);
}

/* process.container_id appears only for processes in a container */
static void test_record_container_id(void **state)
{
	struct cev_event ev;
	char *got;

	base_event(&ev, CEV_EXEC);
	ev.proc.cgroup = "/system.slice/docker-4f1b.scope";
	ev.proc.container_id = "4f1b";
	got = render(&ev, &rule1, &meta1);
	assert_non_null(strstr(got, "\"cgroup\":\"/system.slice/docker-4f1b.scope\","
				    "\"container_id\":\"4f1b\"},"));
	free(got);
	ev.proc.container_id = NULL;
	got = render(&ev, &rule1, &meta1);
	assert_null(strstr(got, "container_id"));
	free(got);
}

static void test_record_connect(void **state)
{
	struct cev_event ev;
	char *got;

	set_conn(&ev, AF_INET, "10.1.2.3", 443, CEV_PROTO_TCP, 0);
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("connect") RULE PROC LINEAGE
		"\"connect\":{\"proto\":\"tcp\",\"family\":\"inet\",\"dest\":\"10.1.2.3\","
		"\"port\":443,\"blocked\":false}}\n");
	free(got);

	/* a raw IP socket: no port, the IP protocol number as `protocol` */
	set_conn(&ev, AF_INET, "127.0.0.5", 0, CEV_PROTO_RAW, 0);
	ev.conn.ipproto = 1;
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("connect") RULE PROC LINEAGE
		"\"connect\":{\"proto\":\"raw\",\"family\":\"inet\",\"dest\":\"127.0.0.5\","
		"\"port\":0,\"protocol\":1,\"blocked\":false}}\n");
	free(got);

	set_conn(&ev, AF_INET6, "0:0:0:0:0:0:0:1", 4445, CEV_PROTO_TCP, 1);
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("connect") RULE PROC LINEAGE
		"\"connect\":{\"proto\":\"tcp\",\"family\":\"inet6\",\"dest\":\"::1\","
		"\"port\":4445,\"blocked\":true}}\n");
	free(got);

	set_conn(&ev, AF_INET6, "2001:0DB8:0000:0000:0001:0000:0000:0001", 53, CEV_PROTO_UDP, 0);
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("connect") RULE PROC LINEAGE
		"\"connect\":{\"proto\":\"udp\",\"family\":\"inet6\",\"dest\":\"2001:db8::1:0:0:1\","
		"\"port\":53,\"blocked\":false}}\n");
	free(got);

	set_conn(&ev, AF_INET6, "::ffff:127.0.0.1", 65535, CEV_PROTO_TCP, 0);
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("connect") RULE PROC LINEAGE
		"\"connect\":{\"proto\":\"tcp\",\"family\":\"inet6\",\"dest\":\"::ffff:127.0.0.1\","
		"\"port\":65535,\"blocked\":false}}\n");
	free(got);
}

/* Protocols beyond TCP and UDP: a name, or the number; protocol where the name does not say it */
static void test_record_connect_protocols(void **state)
{
	struct cev_event ev;
	char *got;

	set_conn(&ev, AF_INET, "127.0.0.9", 9, CEV_PROTO_UDPLITE, 1);
	got = render(&ev, &rule1, &meta1);
	assert_non_null(strstr(got, "\"connect\":{\"proto\":\"udplite\",\"family\":\"inet\","
				    "\"dest\":\"127.0.0.9\",\"port\":9,\"blocked\":true}}"));
	free(got);
	set_conn(&ev, AF_INET, "127.0.0.9", 0, CEV_PROTO_OTHER, 0);
	ev.conn.ipproto = 33;	/* DCCP */
	got = render(&ev, &rule1, &meta1);
	assert_non_null(strstr(got, "\"connect\":{\"proto\":33,\"family\":\"inet\",\"dest\":"
				    "\"127.0.0.9\",\"port\":0,\"protocol\":33,\"blocked\":false}}"));
	free(got);
	set_conn(&ev, AF_INET, "127.0.0.9", 443, CEV_PROTO_TCP, 0);
	ev.conn.ipproto = IPPROTO_MPTCP;
	got = render(&ev, &rule1, &meta1);
	assert_non_null(strstr(got, "\"port\":443,\"protocol\":262,\"blocked\":false}}"));
	free(got);
}

/* kind socket: a socket made, a source route set */
static void test_record_socket(void **state)
{
	struct cev_event ev;
	char *got;

	base_event(&ev, CEV_SOCKET);
	ev.sock = (struct cev_socket){ .family = AF_PACKET, .type = SOCK_RAW, .ipproto = 3,
				       .proto = CEV_PROTO_PACKET, .op = CEV_SOCK_CREATE,
				       .blocked = 1 };
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("socket") RULE PROC LINEAGE
		"\"socket\":{\"proto\":\"packet\",\"protocol\":3,\"family\":\"packet\","
		"\"type\":\"raw\",\"op\":\"create\",\"blocked\":true}}\n");
	free(got);
	ev.sock = (struct cev_socket){ .family = AF_INET6, .type = SOCK_DGRAM, .ipproto = 17,
				       .proto = CEV_PROTO_UDP, .op = CEV_SOCK_IPV6_RTHDR,
				       .hop_family = AF_INET6 };
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::9", ev.sock.hop), 1);
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("socket") RULE PROC LINEAGE
		"\"socket\":{\"proto\":\"udp\",\"family\":\"inet6\",\"type\":\"dgram\","
		"\"op\":\"setsockopt\",\"option\":\"IPV6_RTHDR\",\"hop\":\"2001:db8::9\","
		"\"blocked\":false}}\n");
	free(got);
}

static void test_record_exec_truncated(void **state)
{
	struct cev_event ev;
	char *got;

	base_event(&ev, CEV_EXEC);
	strcpy(ev.proc.comm, "sh");
	ev.proc.exe = (struct cev_str)STR("/usr/bin/sh");
	/* the last argument was cut by the kernel: no trailing NUL */
	ev.proc.args = (struct cev_args){ .buf = "sh\0-c\0\0curl http://ex", .len = 22,
					  .truncated = 1 };
	got = render(&ev, &rule1, &meta1);
	assert_string_equal(got, HEAD("exec") RULE
		"\"process\":{\"pid\":4242,\"tid\":4242,\"ppid\":4100,\"uid\":1000,\"user\":\"svc\","
		"\"comm\":\"sh\",\"exe\":\"/usr/bin/sh\","
		"\"args\":[\"sh\",\"-c\",\"\",\"curl http://ex\"],\"args_truncated\":true,"
		"\"truncated\":true,\"cgroup\":\"/system.slice/vllm.service\"},"
		LINEAGE
		"\"exec\":{\"exe\":\"/usr/bin/sh\",\"args\":[\"sh\",\"-c\",\"\",\"curl http://ex\"],"
		"\"args_truncated\":true,\"truncated\":true,\"blocked\":false}}\n");
	free(got);

	/* refused by the kernel (BPF LSM): the exec object says so */
	ev.exec.blocked = 1;
	got = render(&ev, &rule1, &meta1);
	assert_non_null(strstr(got, "\"args_truncated\":true,\"truncated\":true,"
				    "\"blocked\":true}}\n"));
	free(got);
	ev.exec.blocked = 0;

	ev.proc.exe.truncated = 1;
	ev.proc.args.truncated = 0;
	ev.parent.exe.truncated = 1;
	got = render(&ev, &rule1, &meta1);
	assert_non_null(strstr(got, "\"process\":{\"pid\":4242,\"tid\":4242,\"ppid\":4100,"
				    "\"uid\":1000,\"user\":\"svc\",\"comm\":\"sh\","
				    "\"exe\":\"/usr/bin/sh\",\"exe_truncated\":true,\"args\":["));
	assert_non_null(strstr(got, "\"parent\":{\"pid\":4100,\"exe\":\"/usr/bin/bash\","
				    "\"exe_truncated\":true,\"args\":[\"bash\"],\"truncated\":true}"));
	assert_non_null(strstr(got, "\"exec\":{\"exe\":\"/usr/bin/sh\",\"exe_truncated\":true,"
				    "\"args\":[\"sh\",\"-c\",\"\",\"curl http://ex\"],\"truncated\":true,"
				    "\"blocked\":false}}\n"));
	assert_null(strstr(got, "args_truncated"));
	free(got);
}

static void test_record_loss(void **state)
{
	struct cev_event ev;
	struct json_meta m = meta1;
	char *got;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_LOSS;
	ev.time_ns = 1795417923123456789ull;
	ev.loss.lost = 1234;
	ev.loss.where = "ring";
	got = render(&ev, NULL, &m);
	assert_string_equal(got, HEAD("loss")
		"\"policy\":\"sha256:9f2c\",\"loss\":{\"lost\":1234,\"where\":\"ring\"}}\n");
	free(got);

	/* a rule passed anyway is ignored; no policy yet (loss before load) */
	m.policy = NULL;
	got = render(&ev, &rule1, &m);
	assert_string_equal(got, HEAD("loss")
		"\"loss\":{\"lost\":1234,\"where\":\"ring\"}}\n");
	free(got);
}

/* loss.by: kinds, severities (most severe first), rules, processes. */
static void test_record_loss_by(void **state)
{
	static const struct cev_loss_rule rules[] = {
		{ "dotenv", "low", 1200 }, { "secret", "critical", 30 },
	};
	static const struct cev_loss_proc procs[] = { { 4242, "flood", STR("/opt/fl/flood"), 1234 } };
	struct cev_event ev;
	char *got;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_LOSS;
	ev.time_ns = 1795417923123456789ull;
	ev.loss.lost = 1234;
	ev.loss.where = "ratelimit";
	ev.loss.by_kind[CEV_LOST_FILE] = 1234;
	ev.loss.by_severity[CEV_LOSS_SEV_LOW] = 1170;
	ev.loss.by_severity[CEV_LOSS_SEV_CRITICAL] = 30;
	ev.loss.by_severity[CEV_LOSS_SEV_UNKNOWN] = 4;
	ev.loss.rules = rules;
	ev.loss.n_rules = 2;
	ev.loss.procs = procs;
	ev.loss.n_procs = 1;
	got = render(&ev, NULL, &meta1);
	assert_string_equal(got, HEAD("loss")
		"\"policy\":\"sha256:9f2c\",\"loss\":{\"lost\":1234,\"where\":\"ratelimit\","
		"\"by\":{\"kind\":{\"file\":1234},\"severity\":{\"critical\":30,\"low\":1170,"
		"\"unknown\":4},\"rules\":[{\"rule\":\"dotenv\",\"severity\":\"low\",\"lost\":1200},"
		"{\"rule\":\"secret\",\"severity\":\"critical\",\"lost\":30}],"
		"\"processes\":[{\"pid\":4242,\"comm\":\"flood\",\"exe\":\"/opt/fl/flood\","
		"\"lost\":1234}]}}}\n");
	free(got);

	/* severities alone (fork and exit records lost) */
	memset(&ev.loss, 0, sizeof(ev.loss));
	ev.loss.lost = 3;
	ev.loss.where = "ring";
	ev.loss.by_severity[CEV_LOSS_SEV_NONE] = 3;
	got = render(&ev, NULL, &meta1);
	assert_string_equal(got, HEAD("loss")
		"\"policy\":\"sha256:9f2c\",\"loss\":{\"lost\":3,\"where\":\"ring\","
		"\"by\":{\"kind\":{},\"severity\":{\"none\":3},\"processes\":[]}}}\n");
	free(got);
}

static void test_record_errors_leave_buffer(void **state)
{
	struct sbuf b = SBUF_INIT;
	struct cev_event ev;

	base_event(&ev, CEV_FILE);
	sbuf_adds(&b, "previous\n");
	assert_int_equal(json_render_event(&b, &ev, NULL, &meta1), -EINVAL);
	ev.kind = (enum cev_kind)99;
	assert_int_equal(json_render_event(&b, &ev, &rule1, &meta1), -EINVAL);
	assert_string_equal(sbuf_cstr(&b), "previous\n");
	/* records append */
	ev.kind = CEV_EXEC;
	assert_int_equal(json_render_event(&b, &ev, &rule1, &meta1), 0);
	assert_memory_equal(b.p, "previous\n{\"schema\"", 18);
	sbuf_free(&b);
}

/* Python's json module and surrogateescape recover every byte of a path. */
static void test_python_roundtrip(void **state)
{
	char tmpl[] = "/tmp/custos-json-XXXXXX";
	char cmd[256], hex[1024], want[1024];
	struct sbuf b = SBUF_INIT;
	struct cev_event ev;
	char path[256];
	FILE *f;
	int fd, i;

	if (access("/usr/bin/python3", X_OK)) {
		skip();
		return;
	}
	for (i = 0; i < 256; i++)
		path[i] = (char)(255 - i);
	base_event(&ev, CEV_FILE);
	ev.file.path = (struct cev_str){ .p = path, .len = 256 };
	assert_int_equal(json_render_event(&b, &ev, &rule1, &meta1), 0);
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.p, b.len), (ssize_t)b.len);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; r=json.loads(sys.stdin.buffer.read()); "
		 "print(r[\"file\"][\"path\"].encode(\"utf-8\",\"surrogateescape\").hex())' < %s",
		 tmpl);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(hex, sizeof(hex), f));
	assert_int_equal(pclose(f), 0);
	unlink(tmpl);
	for (i = 0; i < 256; i++)
		snprintf(want + 2 * i, 3, "%02x", (unsigned char)path[i]);
	strcat(want, "\n");
	assert_string_equal(hex, want);
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_every_single_byte),
		cmocka_unit_test(test_escape_empty_and_ascii),
		cmocka_unit_test(test_escape_valid_utf8_literal),
		cmocka_unit_test(test_escape_invalid_utf8),
		cmocka_unit_test(test_escape_roundtrip_random),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_open_flags),
		cmocka_unit_test(test_record_file),
		cmocka_unit_test(test_record_file_unresolved),
		cmocka_unit_test(test_record_file_truncated_all_access),
		cmocka_unit_test(test_record_file_views),
		cmocka_unit_test(test_record_null_user_cgroup_no_parent),
		cmocka_unit_test(test_record_container_id),
		cmocka_unit_test(test_record_connect),
		cmocka_unit_test(test_record_connect_protocols),
		cmocka_unit_test(test_record_socket),
		cmocka_unit_test(test_record_exec_truncated),
		cmocka_unit_test(test_record_loss),
		cmocka_unit_test(test_record_loss_by),
		cmocka_unit_test(test_record_errors_leave_buffer),
		cmocka_unit_test(test_python_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
