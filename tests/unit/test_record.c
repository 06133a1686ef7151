/*
 * test_record.c - a JSON record back into the event model: the \udcXX byte
 * escapes the renderer writes, real surrogate pairs, lineage, kinds, times,
 * and lines that are not records.  The round trip goes through json.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "record/json.h"
#include "record/record.h"
#include "loss_fixture.h"

static void test_bytes_round_trip_through_renderer(void **state)
{
	static const char path[] = "/x/\xff\x80sec\xc3\xa9ret\x01";
	static const char args[] = "cat\0/x/\xfe\0";
	struct cev_str anc[2] = { { "/usr/bin/bash", 13, 0 }, { "/usr/lib/systemd/systemd", 24, 0 } };
	struct cev_event ev = {
		.kind = CEV_FILE,
		.time_ns = 1795417923123456789ull,
		.proc = { .pid = 42, .ppid = 41, .uid = 7, .comm = "cat",
			  .exe = { "/usr/bin/cat", 12, 0 }, .args = { args, sizeof(args) - 1, 0 } },
		.has_parent = 1,
		.parent = { .pid = 41, .exe = { "/usr/bin/bash", 13, 0 } },
		.ancestors = anc,
		.n_ancestors = 2,
		.file = { .path = { path, sizeof(path) - 1, 0 }, .access = CEV_ACC_READ },
	};
	const struct json_rule rule = { "r", "high", "alert", NULL, 0 };
	const struct json_meta meta = { "h", 9, "sha256:00", NULL, NULL };
	struct sbuf b = SBUF_INIT;
	struct record r;

	assert_int_equal(json_render_event(&b, &ev, &rule, &meta), 0);
	assert_non_null(strstr(sbuf_cstr(&b), "\\udcff\\udc80"));
	assert_int_equal(record_parse(&r, b.p, b.len - 1), 0);
	assert_int_equal(r.ev.kind, CEV_FILE);
	assert_int_equal(r.ev.time_ns, ev.time_ns);
	assert_int_equal(r.seq, 9);
	assert_string_equal(r.rule, "r");
	assert_string_equal(r.severity, "high");
	assert_int_equal(r.ev.proc.pid, 42);
	assert_int_equal(r.ev.proc.ppid, 41);
	assert_string_equal(r.ev.proc.comm, "cat");
	assert_int_equal(r.ev.file.path.len, sizeof(path) - 1);
	assert_memory_equal(r.ev.file.path.p, path, sizeof(path) - 1);
	assert_int_equal(r.ev.proc.args.len, sizeof(args) - 1);
	assert_memory_equal(r.ev.proc.args.buf, args, sizeof(args) - 1);
	assert_int_equal(r.ev.file.access, CEV_ACC_READ);
	assert_int_equal(r.ev.n_ancestors, 2);
	assert_memory_equal(r.ev.ancestors[1].p, "/usr/lib/systemd/systemd", 24);
	assert_int_equal(r.ev.parent.pid, 41);
	assert_int_equal(r.ev.file.unresolved, 0);
	assert_null(r.ev.file.via);
	record_free(&r);
	sbuf_free(&b);
}

/* An io_uring open without its file comes back unresolved, with via and op. */
static void test_file_unresolved_round_trip(void **state)
{
	struct cev_event ev = {
		.kind = CEV_FILE,
		.time_ns = 1795417923123456789ull,
		.proc = { .pid = 42, .ppid = 41, .uid = 7, .comm = "db",
			  .exe = { "/usr/bin/db", 11, 0 } },
		.file = { .path = { "", 0, 0 }, .unresolved = 1, .via = "io_uring",
			  .op = "openat" },
	};
	const struct json_rule rule = { "r", "high", "alert", NULL, 0 };
	const struct json_meta meta = { "h", 9, "sha256:00", NULL, NULL };
	struct sbuf b = SBUF_INIT;
	struct record r;

	assert_int_equal(json_render_event(&b, &ev, &rule, &meta), 0);
	assert_int_equal(record_parse(&r, b.p, b.len - 1), 0);
	assert_int_equal(r.ev.kind, CEV_FILE);
	assert_int_equal(r.ev.file.path.len, 0);
	assert_int_equal(r.ev.file.access, 0);
	assert_int_equal(r.ev.file.unresolved, 1);
	assert_string_equal(r.ev.file.via, "io_uring");
	assert_string_equal(r.ev.file.op, "openat");
	record_free(&r);
	sbuf_free(&b);
}

/* The identity and the views come back as the matcher needs them. */
static void test_file_views_round_trip(void **state)
{
	struct cev_event ev = {
		.kind = CEV_FILE,
		.time_ns = 1795417923123456789ull,
		.proc = { .pid = 42, .ppid = 41, .uid = 7, .comm = "cat",
			  .exe = { "/usr/bin/cat", 12, 0 } },
		.file = { .path = { "/x", 2, 0 }, .host_path = { "/jail/x", 7, 0 },
			  .watched_path = { "/root/.ssh/id_rsa", 17, 0 }, .dev = (8u << 20) | 1,
			  .ino = 99, .has_identity = 1, .access = CEV_ACC_READ },
	};
	const struct json_rule rule = { "r", "high", "alert", NULL, 0 };
	const struct json_meta meta = { "h", 9, "sha256:00", NULL, NULL };
	struct sbuf b = SBUF_INIT;
	struct record r;

	assert_int_equal(json_render_event(&b, &ev, &rule, &meta), 0);
	assert_int_equal(record_parse(&r, b.p, b.len - 1), 0);
	assert_int_equal(r.ev.file.has_identity, 1);
	assert_int_equal(r.ev.file.dev, (8u << 20) | 1);
	assert_int_equal(r.ev.file.ino, 99);
	assert_int_equal(r.ev.file.host_path.len, 7);
	assert_memory_equal(r.ev.file.host_path.p, "/jail/x", 7);
	assert_int_equal(r.ev.file.watched_path.len, 17);
	assert_memory_equal(r.ev.file.watched_path.p, "/root/.ssh/id_rsa", 17);
	assert_int_equal(r.ev.file.path_partial, 0);
	assert_int_equal(r.ev.file.detached, 0);
	record_free(&r);
	sbuf_reset(&b);
	/* a partial path: unresolved without via, detached */
	ev.file.host_path = (struct cev_str){ NULL, 0, 0 };
	ev.file.path_partial = 1;
	ev.file.detached = 1;
	assert_int_equal(json_render_event(&b, &ev, &rule, &meta), 0);
	assert_int_equal(record_parse(&r, b.p, b.len - 1), 0);
	assert_int_equal(r.ev.file.path_partial, 1);
	assert_int_equal(r.ev.file.unresolved, 0);
	assert_int_equal(r.ev.file.detached, 1);
	assert_null(r.ev.file.host_path.p);
	record_free(&r);
	sbuf_free(&b);
}

static void test_surrogate_pair_and_escaped_backslash_kept(void **state)
{
	static const char line[] =
		"{\"kind\":\"exec\",\"process\":{\"exe\":\"/a\\ud83d\\udc80\\\\udcff\"}}";
	struct record r;

	assert_int_equal(record_parse(&r, line, sizeof(line) - 1), 0);
	assert_string_equal(r.ev.proc.exe.p, "/a\xf0\x9f\x92\x80\\udcff");
	record_free(&r);
}

static void test_exec_blocked(void **state)
{
	static const char refused[] =
		"{\"kind\":\"exec\",\"action\":\"block\",\"exec\":{\"exe\":\"/usr/bin/nc\","
		"\"args\":[\"nc\"],\"blocked\":true}}";
	static const char ran[] =
		"{\"kind\":\"exec\",\"action\":\"alert\",\"exec\":{\"exe\":\"/usr/bin/nc\","
		"\"args\":[\"nc\"],\"blocked\":false}}";
	struct record r;

	assert_int_equal(record_parse(&r, refused, sizeof(refused) - 1), 0);
	assert_int_equal(r.ev.kind, CEV_EXEC);
	assert_int_equal(r.ev.exec.blocked, 1);
	assert_string_equal(r.action, "block");
	record_free(&r);
	assert_int_equal(record_parse(&r, ran, sizeof(ran) - 1), 0);
	assert_int_equal(r.ev.exec.blocked, 0);
	record_free(&r);
}

/* exe_flags and prev_exe: rendered in process and exec, read back. */
static void test_exe_flags_round_trip(void **state)
{
	struct cev_event ev = {
		.kind = CEV_EXEC,
		.time_ns = 1795417923000000000ull,
		.proc = { .pid = 7, .comm = "x", .exe = { "memfd:x", 7, 0 },
			  .exe_prog = { .flags = CEV_EXE_MEMFD | CEV_EXE_ELSEWHERE },
			  .prev_exe = { "/opt/srv/bin/serve", 18, 0 } },
	};
	const struct json_rule rule = { "r", "high", "alert", NULL, 0 };
	const struct json_meta meta = { "h", 1, "sha256:00", NULL, NULL };
	struct sbuf b = SBUF_INIT;
	struct record r;

	assert_int_equal(json_render_event(&b, &ev, &rule, &meta), 0);
	assert_non_null(strstr(sbuf_cstr(&b), "\"exe\":\"memfd:x\",\"args\":[],"
			       "\"exe_flags\":[\"memfd\",\"elsewhere\"],"
			       "\"prev_exe\":\"/opt/srv/bin/serve\","));
	assert_non_null(strstr(sbuf_cstr(&b), "\"exec\":{\"exe\":\"memfd:x\",\"args\":[],"
			       "\"exe_flags\":[\"memfd\",\"elsewhere\"],\"blocked\":false}"));
	assert_int_equal(record_parse(&r, b.p, b.len - 1), 0);
	assert_int_equal(r.ev.proc.exe_prog.flags, CEV_EXE_MEMFD | CEV_EXE_ELSEWHERE);
	assert_int_equal(r.ev.proc.prev_exe.len, 18);
	assert_memory_equal(r.ev.proc.prev_exe.p, "/opt/srv/bin/serve", 18);
	record_free(&r);
	/* none set: no key */
	sbuf_reset(&b);
	ev.proc.exe_prog.flags = 0;
	ev.proc.prev_exe.len = 0;
	assert_int_equal(json_render_event(&b, &ev, &rule, &meta), 0);
	assert_null(strstr(sbuf_cstr(&b), "exe_flags"));
	assert_null(strstr(sbuf_cstr(&b), "prev_exe"));
	sbuf_free(&b);
}

/* process.labels: each label with its rule, seq, time and (label-only) file. */
static void test_labels_round_trip(void **state)
{
	struct cev_label labels[2] = {
		{ .name = "eval-reader", .rule = "eval-read", .seq = 0,
		  .time_ns = 1795417920000000000ull, .via = { "/srv/eval/q.jsonl", 17, 0 } },
		{ .name = "secret-reader", .rule = NULL },
	};
	struct cev_event ev = {
		.kind = CEV_CONNECT,
		.time_ns = 1795417923000000000ull,
		.proc = { .pid = 7, .comm = "curl", .exe = { "/usr/bin/curl", 13, 0 } },
		.labels = 3, .label_info = labels, .n_label_info = 2,
		.conn = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443,
			  .addr = { 203, 0, 113, 9 } },
	};
	const struct json_rule rule = { "r", "high", "alert", NULL, 0 };
	const struct json_meta meta = { "h", 43, "sha256:00", NULL, NULL };
	struct sbuf b = SBUF_INIT;
	struct record r;

	labels[1].seq = 42;
	assert_int_equal(json_render_event(&b, &ev, &rule, &meta), 0);
	assert_non_null(strstr(sbuf_cstr(&b), "\"labels\":[{\"label\":\"eval-reader\",\"rule\":"
			       "\"eval-read\",\"seq\":null,\"time\":\"2026-11-23T07:12:00.000000000Z\","
			       "\"file\":\"/srv/eval/q.jsonl\"},{\"label\":\"secret-reader\","
			       "\"rule\":null,\"seq\":42,\"time\":null}]"));
	assert_int_equal(record_parse(&r, b.p, b.len - 1), 0);
	assert_int_equal(r.ev.n_label_info, 2);
	assert_string_equal(r.ev.label_info[0].name, "eval-reader");
	assert_string_equal(r.ev.label_info[0].rule, "eval-read");
	assert_int_equal(r.ev.label_info[0].time_ns, 1795417920000000000ull);
	assert_int_equal(r.ev.label_info[0].via.len, 17);
	assert_null(r.ev.label_info[1].rule);
	assert_int_equal(r.ev.label_info[1].seq, 42);
	assert_int_equal(r.ev.labels, 0);	/* bits of a rule set: rules explain's */
	record_free(&r);
	sbuf_free(&b);
}

static void test_file_blocked(void **state)
{
	static const char refused[] =
		"{\"kind\":\"file\",\"action\":\"block\",\"file\":{\"path\":\"/srv/m/w.bin\","
		"\"access\":[\"read\"],\"flags\":\"O_RDONLY\",\"blocked\":true}}";
	static const char opened[] =
		"{\"kind\":\"file\",\"action\":\"alert\",\"file\":{\"path\":\"/srv/m/w.bin\","
		"\"access\":[\"read\"],\"flags\":\"O_RDONLY\",\"blocked\":false}}";
	struct record r;

	assert_int_equal(record_parse(&r, refused, sizeof(refused) - 1), 0);
	assert_int_equal(r.ev.kind, CEV_FILE);
	assert_int_equal(r.ev.file.blocked, 1);
	assert_int_equal(r.ev.file.access, CEV_ACC_READ);
	assert_string_equal(r.action, "block");
	record_free(&r);
	assert_int_equal(record_parse(&r, opened, sizeof(opened) - 1), 0);
	assert_int_equal(r.ev.file.blocked, 0);
	record_free(&r);
}

static void test_connect(void **state)
{
	static const char line[] =
		"{\"kind\":\"connect\",\"connect\":{\"proto\":\"udp\",\"dest\":\"2001:db8::1\","
		"\"port\":53,\"blocked\":true}}";
	static const char raw[] =
		"{\"kind\":\"connect\",\"connect\":{\"proto\":\"raw\",\"family\":\"inet\","
		"\"dest\":\"127.0.0.5\",\"port\":0,\"protocol\":1,\"blocked\":false}}";
	struct record r;

	assert_int_equal(record_parse(&r, line, sizeof(line) - 1), 0);
	assert_int_equal(r.ev.conn.family, AF_INET6);
	assert_int_equal(r.ev.conn.proto, CEV_PROTO_UDP);
	assert_int_equal(r.ev.conn.ipproto, IPPROTO_UDP);
	assert_int_equal(r.ev.conn.port, 53);
	assert_int_equal(r.ev.conn.blocked, 1);
	assert_int_equal(r.ev.conn.addr[0], 0x20);
	assert_int_equal(r.ev.conn.addr[15], 1);
	record_free(&r);

	assert_int_equal(record_parse(&r, raw, sizeof(raw) - 1), 0);
	assert_int_equal(r.ev.conn.family, AF_INET);
	assert_int_equal(r.ev.conn.proto, CEV_PROTO_RAW);
	assert_int_equal(r.ev.conn.ipproto, 1);
	assert_int_equal(r.ev.conn.port, 0);
	assert_int_equal(r.ev.conn.blocked, 0);
	assert_int_equal(r.ev.conn.addr[0], 127);
	assert_int_equal(r.ev.conn.addr[3], 5);
	record_free(&r);
}

/* kind socket and an unnamed protocol read back as json.c wrote them */
static void test_socket_and_numbered_proto(void **state)
{
	static const char sock[] =
		"{\"kind\":\"socket\",\"socket\":{\"proto\":\"udp\",\"family\":\"inet\","
		"\"type\":\"dgram\",\"op\":\"setsockopt\",\"option\":\"IP_OPTIONS\","
		"\"hop\":\"127.0.0.9\",\"blocked\":true}}";
	static const char other[] =
		"{\"kind\":\"connect\",\"connect\":{\"proto\":33,\"family\":\"inet\","
		"\"dest\":\"10.0.0.1\",\"port\":0,\"protocol\":33,\"blocked\":false}}";
	struct record r;

	assert_int_equal(record_parse(&r, sock, sizeof(sock) - 1), 0);
	assert_int_equal(r.ev.kind, CEV_SOCKET);
	assert_int_equal(r.ev.sock.proto, CEV_PROTO_UDP);
	assert_int_equal(r.ev.sock.ipproto, IPPROTO_UDP);
	assert_int_equal(r.ev.sock.family, AF_INET);
	assert_int_equal(r.ev.sock.type, SOCK_DGRAM);
	assert_int_equal(r.ev.sock.op, CEV_SOCK_IP_OPTIONS);
	assert_int_equal(r.ev.sock.hop_family, AF_INET);
	assert_int_equal(r.ev.sock.hop[3], 9);
	assert_int_equal(r.ev.sock.blocked, 1);
	assert_string_equal(r.dest, "127.0.0.9");
	record_free(&r);

	assert_int_equal(record_parse(&r, other, sizeof(other) - 1), 0);
	assert_int_equal(r.ev.conn.proto, CEV_PROTO_OTHER);
	assert_int_equal(r.ev.conn.ipproto, 33);
	record_free(&r);
}

static void test_not_records(void **state)
{
	static const char *const bad[] = { "", "{", "[]", "{\"kind\":\"nope\"}", "{\"x\":1}",
					   "{\"kind\":\"file\"} trailing" };
	struct record r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(record_parse(&r, bad[i], strlen(bad[i])), -EINVAL);
		record_free(&r);
	}
}

/* record_parse on s[0..n) copied into a heap buffer of exactly n bytes */
static int parse_exact(struct record *r, const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	int rc;

	assert_non_null(p);
	memcpy(p, s, n);
	rc = record_parse(r, p, n);
	free(p);
	return rc;
}

/* Every prefix of a line that ends in byte escapes, each in a buffer of its
 * exact size: a cut escape ("\\u", "\\udc8") is read no further than the
 * line (a sanitizer build reports any byte past it) and is not a record. */
static void test_cut_escapes_read_nothing_past_the_line(void **state)
{
	static const char line[] = "\"\\udc80\\ud83d\\udc80\\u";
	static const char full[] = "{\"kind\":\"file\",\"file\":{\"path\":\"\\udc80\\udcff\"}}";
	struct record r;

	for (size_t n = 0; n <= sizeof(line) - 1; n++) {
		assert_int_equal(parse_exact(&r, line, n), -EINVAL);
		record_free(&r);
	}
	for (size_t n = 0; n < sizeof(full) - 1; n++) {
		assert_int_equal(parse_exact(&r, full, n), -EINVAL);
		record_free(&r);
	}
	assert_int_equal(parse_exact(&r, full, sizeof(full) - 1), 0);
	assert_int_equal(r.ev.file.path.len, 2);
	assert_memory_equal(r.ev.file.path.p, "\x80\xff", 2);
	record_free(&r);
}

/* A number out of its field's range is no record: wrapped, a negative seq
 * would print as 18446744073709551615 and a pid of 2^32+1 as 1. */
static void test_numbers_out_of_range(void **state)
{
	static const char *const bad[] = {
		"{\"kind\":\"exec\",\"seq\":-1}",
		"{\"kind\":\"exec\",\"process\":{\"pid\":4294967297}}",
		"{\"kind\":\"exec\",\"process\":{\"uid\":-2}}",
		"{\"kind\":\"exec\",\"parent\":{\"pid\":-1}}",
		"{\"kind\":\"connect\",\"connect\":{\"port\":65536}}",
		"{\"kind\":\"connect\",\"connect\":{\"proto\":\"raw\",\"protocol\":65536}}",
		"{\"kind\":\"loss\",\"loss\":{\"where\":\"ring\",\"lost\":-5}}",
	};
	static const char good[] =
		"{\"kind\":\"exec\",\"seq\":9223372036854775807,\"process\":{\"pid\":4294967295}}";
	struct record r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(record_parse(&r, bad[i], strlen(bad[i])), -EINVAL);
		record_free(&r);
	}
	assert_int_equal(record_parse(&r, good, sizeof(good) - 1), 0);
	assert_true(r.seq == 9223372036854775807ull);
	assert_int_equal(r.ev.proc.pid, 4294967295u);
	record_free(&r);
}

static void test_times(void **state)
{
	uint64_t ns;

	assert_int_equal(record_parse_time("1970-01-01T00:00:01Z", &ns), 0);
	assert_int_equal(ns, 1000000000ull);
	assert_int_equal(record_parse_time("1970-01-01T01:00:01.5+01:00", &ns), 0);
	assert_int_equal(ns, 1500000000ull);
	assert_int_equal(record_parse_time("1970-01-01T00:00:00.000000001Z", &ns), 0);
	assert_int_equal(ns, 1);
	assert_int_equal(record_parse_time("1970-01-01T00:00:00", &ns), -EINVAL);
	assert_int_equal(record_parse_time("yesterday", &ns), -EINVAL);
	assert_int_equal(record_severity_rank("critical"), 4);
	assert_int_equal(record_severity_rank("bogus"), -1);
}


/* loss.by read back: the same line rendered again, byte for byte. */
static void test_loss_by_round_trip(void **state)
{
	const struct json_meta meta = { "h", 44, "sha256:00", NULL, NULL };
	struct sbuf a = SBUF_INIT, b = SBUF_INIT;
	struct cev_event ev;
	struct record r;

	(void)state;
	loss_event(&ev);
	assert_int_equal(json_render_event(&a, &ev, NULL, &meta), 0);
	assert_int_equal(record_parse(&r, a.p, a.len - 1), 0);
	assert_int_equal(r.ev.loss.by_severity[CEV_LOSS_SEV_LOW], 800);
	assert_int_equal(r.ev.loss.by_severity[CEV_LOSS_SEV_UNKNOWN], 100);
	assert_int_equal(r.ev.loss.n_rules, 2);
	assert_string_equal(r.ev.loss.rules[1].rule, "e2e-secret");
	assert_string_equal(r.ev.loss.rules[1].severity, "critical");
	assert_int_equal(r.ev.loss.rules[1].lost, 100);
	assert_int_equal(json_render_event(&b, &r.ev, NULL, &meta), 0);
	assert_string_equal(sbuf_cstr(&b), sbuf_cstr(&a));
	record_free(&r);
	sbuf_free(&a);
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_round_trip_through_renderer),
		cmocka_unit_test(test_loss_by_round_trip),
		cmocka_unit_test(test_file_unresolved_round_trip),
		cmocka_unit_test(test_file_views_round_trip),
		cmocka_unit_test(test_surrogate_pair_and_escaped_backslash_kept),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_socket_and_numbered_proto),
		cmocka_unit_test(test_exec_blocked),
		cmocka_unit_test(test_exe_flags_round_trip),
		cmocka_unit_test(test_labels_round_trip),
		cmocka_unit_test(test_file_blocked),
		cmocka_unit_test(test_not_records),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_cut_escapes_read_nothing_past_the_line),
		cmocka_unit_test(test_numbers_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
