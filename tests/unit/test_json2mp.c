/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json2mp.c - a rendered JSON record back into the same map in msgpack
 * (user/record/json2mp.c), as the forward sink ships it: types kept, escaped
 * bytes back to raw bytes, the record's time and kind reported, bad input
 * refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <msgpack.h>

#include "record/json.h"
#include "record/json2mp.h"
#include "record/ocsf.h"
#include "loss_fixture.h"

struct packed {
	msgpack_sbuffer sb;
	msgpack_unpacked up;
	struct json2mp_info info;
};

/* json2mp on s; on success, the packed bytes unpacked into p->up.data */
static int pack(struct packed *p, const char *s)
{
	msgpack_packer pk;
	size_t off = 0;
	int err;

	msgpack_sbuffer_init(&p->sb);
	msgpack_unpacked_init(&p->up);
	msgpack_packer_init(&pk, &p->sb, msgpack_sbuffer_write);
	memset(&p->info, 0x55, sizeof(p->info));
	err = json2mp(&pk, s, strlen(s), &p->info);
	if (!err) {
		assert_int_equal(msgpack_unpack_next(&p->up, p->sb.data, p->sb.size, &off),
				 MSGPACK_UNPACK_SUCCESS);
		assert_int_equal(off, p->sb.size);	/* one object, nothing after it */
	}
	return err;
}

static void packed_free(struct packed *p)
{
	msgpack_unpacked_destroy(&p->up);
	msgpack_sbuffer_destroy(&p->sb);
}

static const msgpack_object *get(const msgpack_object *map, const char *key)
{
	assert_int_equal(map->type, MSGPACK_OBJECT_MAP);
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object_kv *kv = &map->via.map.ptr[i];

		assert_int_equal(kv->key.type, MSGPACK_OBJECT_STR);
		if (kv->key.via.str.size == strlen(key) &&
		    !memcmp(kv->key.via.str.ptr, key, strlen(key)))
			return &kv->val;
	}
	fail_msg("no key %s", key);
	return NULL;
}

static void assert_str(const msgpack_object *o, const char *bytes, size_t n)
{
	assert_int_equal(o->type, MSGPACK_OBJECT_STR);
	assert_int_equal(o->via.str.size, n);
	assert_memory_equal(o->via.str.ptr, bytes, n);
}

static void test_rendered_record_round_trip(void **state)
{
	static const char path[] = "/data/\xff\xfe" "caf\xc3\xa9\x01";	/* invalid, valid, control */
	static const char args[] = "cat\0-n\0";
	const char *tags[] = { "t" };
	struct json_rule rule = { "rule-1", "high", "alert", tags, 1 };
	struct json_meta meta = { NULL, 42, "sha256:ab", NULL, NULL };
	struct cev_event ev = { .kind = CEV_FILE, .time_ns = 1795417923123456789ull };
	struct sbuf line = SBUF_INIT;
	const msgpack_object *m, *proc, *file, *a;
	struct packed p;

	(void)state;
	ev.proc.pid = 4242;
	memcpy(ev.proc.comm, "cat", 4);
	ev.proc.args = (struct cev_args){ args, sizeof(args) - 1, 0 };
	ev.file.path = (struct cev_str){ path, sizeof(path) - 1, 0 };
	ev.file.access = CEV_ACC_READ;
	ev.file.flags = O_RDONLY;
	assert_int_equal(json_render_event(&line, &ev, &rule, &meta), 0);
	/* the line with its '\n', as a sink gets it */
	assert_int_equal(pack(&p, sbuf_cstr(&line)), 0);
	m = &p.up.data;
	assert_int_equal(m->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(m->via.map.size, 13);	/* no parent */
	assert_str(get(m, "schema"), "custos.event/1", 14);
	assert_str(get(m, "time"), "2026-11-23T07:12:03.123456789Z", 30);
	assert_int_equal(get(m, "seq")->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(get(m, "seq")->via.u64, 42);
	assert_int_equal(get(m, "host")->type, MSGPACK_OBJECT_NIL);
	assert_int_equal(get(m, "tags")->type, MSGPACK_OBJECT_ARRAY);
	assert_str(&get(m, "tags")->via.array.ptr[0], "t", 1);
	proc = get(m, "process");
	assert_int_equal(get(proc, "pid")->via.u64, 4242);
	a = get(proc, "args");
	assert_int_equal(a->via.array.size, 2);
	assert_str(&a->via.array.ptr[1], "-n", 2);
	file = get(m, "file");
	assert_str(get(file, "path"), path, sizeof(path) - 1);	/* the bytes the kernel saw */
	assert_int_equal(get(file, "blocked")->type, MSGPACK_OBJECT_BOOLEAN);
	assert_false(get(file, "blocked")->via.boolean);
	assert_int_equal(p.info.time_sec, 1795417923);
	assert_int_equal(p.info.time_nsec, 123456789);
	assert_string_equal(p.info.kind, "file");
	packed_free(&p);
	sbuf_free(&line);
}

static void test_values_and_escapes(void **state)
{
	const msgpack_object *m;
	struct packed p;

	(void)state;
	assert_int_equal(pack(&p, " {\"n\": -5, \"u\": 18446744073709551615, \"d\": 1.5e1,"
			 " \"e\": [], \"o\": {}, \"t\": true, \"f\": false, \"z\": null,"
			 " \"s\": \"\\ud83d\\ude00\\u00e9\\/\\\\\\\"\\b\\f\\n\\r\\t\\udc80\"}\r\n"), 0);
	m = &p.up.data;
	assert_int_equal(m->via.map.size, 9);
	assert_int_equal(get(m, "n")->type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_int_equal(get(m, "n")->via.i64, -5);
	assert_true(get(m, "u")->via.u64 == UINT64_MAX);
	assert_int_equal(get(m, "d")->type, MSGPACK_OBJECT_FLOAT64);
	assert_true(get(m, "d")->via.f64 == 15.0);
	assert_int_equal(get(m, "e")->via.array.size, 0);
	assert_int_equal(get(m, "o")->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(get(m, "o")->via.map.size, 0);
	assert_true(get(m, "t")->via.boolean);
	assert_false(get(m, "f")->via.boolean);
	assert_int_equal(get(m, "z")->type, MSGPACK_OBJECT_NIL);
	assert_str(get(m, "s"), "\xf0\x9f\x98\x80\xc3\xa9/\\\"\b\f\n\r\t\x80", 15);
	/* no "time" or "kind": zeros and "" */
	assert_int_equal(p.info.time_sec, 0);
	assert_int_equal(p.info.time_nsec, 0);
	assert_string_equal(p.info.kind, "");
	packed_free(&p);
}

static void test_info_only_from_top_level(void **state)
{
	struct packed p;

	(void)state;
	/* nested time/kind are not the record's; a top-level numeric time is an
	 * OCSF line's, in milliseconds, and stays a number in the map */
	assert_int_equal(pack(&p, "{\"x\":{\"time\":\"2001-01-01T00:00:00Z\",\"kind\":\"no\"},"
			 "\"time\":1700000000123}"), 0);
	assert_int_equal(p.info.time_sec, 1700000000);
	assert_int_equal(p.info.time_nsec, 123000000);
	assert_string_equal(p.info.kind, "");
	assert_int_equal(get(&p.up.data, "time")->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(get(&p.up.data, "time")->via.u64, 1700000000123ull);
	packed_free(&p);
	/* a nested numeric time, a fraction or a sign: not a time */
	assert_int_equal(pack(&p, "{\"x\":{\"time\":1700000000000},\"time\":-5}"), 0);
	assert_int_equal(p.info.time_sec, 0);
	packed_free(&p);
	assert_int_equal(pack(&p, "{\"time\":1700000000000.5}"), 0);
	assert_int_equal(p.info.time_sec, 0);
	packed_free(&p);
	/* no fraction; a kind that does not fit is left out */
	assert_int_equal(pack(&p, "{\"time\":\"1970-01-02T00:00:01Z\","
			 "\"kind\":\"0123456789abcdef\"}"), 0);
	assert_int_equal(p.info.time_sec, 86401);
	assert_int_equal(p.info.time_nsec, 0);
	assert_string_equal(p.info.kind, "");
	packed_free(&p);
	/* a time that does not parse leaves 0, the record is still packed */
	assert_int_equal(pack(&p, "{\"time\":\"yesterday\",\"kind\":\"exec\"}"), 0);
	assert_int_equal(p.info.time_sec, 0);
	assert_string_equal(p.info.kind, "exec");
	assert_str(get(&p.up.data, "time"), "yesterday", 9);
	packed_free(&p);
}

/* An OCSF line over forward: EventTime is its time, not 1970. */
static void test_ocsf_record_time(void **state)
{
	const char *tags[] = { "t" };
	struct json_rule rule = { "rule-1", "high", "alert", tags, 1 };
	struct json_meta meta = { "h", 42, "sha256:ab", NULL, NULL };
	struct cev_event ev = { .kind = CEV_EXEC, .time_ns = 1795417923123456789ull };
	struct sbuf line = SBUF_INIT;
	struct packed p;

	(void)state;
	ev.proc.pid = 1;
	assert_int_equal(ocsf_render_event(&line, &ev, &rule, &meta), 0);
	assert_int_equal(pack(&p, sbuf_cstr(&line)), 0);
	assert_int_equal(p.info.time_sec, 1795417923);
	assert_int_equal(p.info.time_nsec, 123000000);	/* OCSF keeps milliseconds */
	assert_string_equal(p.info.kind, "");		/* tagged PREFIX.event */
	packed_free(&p);
	sbuf_free(&line);
}

static void test_bad_input_refused(void **state)
{
	static const char *const bad[] = {
		"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\":1} x",
		"{a:1}", "\"\\ud800\"", "\"\\udc00x\"", "\"\\x\"", "\"\\u12\"", "\"a\x01\"",
		"tru", "nul", "1.2.3x", "--1", "\"open",
	};
	char deep[64];
	struct packed p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pack(&p, bad[i]), -EINVAL);
		packed_free(&p);
	}
	/* 16 levels of nesting are fine, 17 are not */
	memset(deep, '[', 16);
	memset(deep + 16, ']', 16);
	deep[32] = '\0';
	assert_int_equal(pack(&p, deep), 0);
	packed_free(&p);
	memset(deep, '[', 17);
	memset(deep + 17, ']', 17);
	deep[34] = '\0';
	assert_int_equal(pack(&p, deep), -EINVAL);
	packed_free(&p);
}

/* Numbers are JSON's: a NUL byte, "+1", "01", ".5", "1.", "1e" are none
 * (strtod and strtoull took each of them, a NUL as the number 0). */
static void test_numbers_are_json_numbers(void **state)
{
	static const struct { const char *s; size_t n; } bad[] = {
		{ "\0", 1 }, { "[\0]", 3 }, { "{\"a\":\0}", 7 }, { "[1,\0]", 5 },
		{ "+1", 2 }, { "01", 2 }, { "-01", 3 }, { ".5", 2 }, { "1.", 2 }, { "1e", 2 },
		{ "1e+", 3 }, { "-", 1 }, { "1.e5", 4 }, { "1e400", 5 },
		{ "18446744073709551616", 20 }, { "-9223372036854775809", 20 },
	};
	static const char *const good[] = { "0", "-0", "1.5", "-2e3", "1E+2", "0.0e-1",
					    "18446744073709551615", "-9223372036854775808" };
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct packed p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		assert_int_equal(json2mp(&pk, bad[i].s, bad[i].n, NULL), -EINVAL);
		msgpack_sbuffer_destroy(&sb);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(pack(&p, good[i]), 0);
		packed_free(&p);
	}
	assert_int_equal(pack(&p, "-9223372036854775808"), 0);
	assert_int_equal(p.up.data.type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_true(p.up.data.via.i64 == INT64_MIN);
	packed_free(&p);
}


/* loss.by as the forward sink ships it: counts as integers, rules as maps. */
static void test_loss_by(void **state)
{
	struct json_meta meta = { NULL, 43, NULL, NULL, NULL };
	const msgpack_object *by, *sev, *rules, *r1;
	struct sbuf line = SBUF_INIT;
	struct cev_event ev;
	struct packed p;

	(void)state;
	loss_event(&ev);
	assert_int_equal(json_render_event(&line, &ev, NULL, &meta), 0);
	assert_int_equal(pack(&p, sbuf_cstr(&line)), 0);
	by = get(get(&p.up.data, "loss"), "by");
	assert_int_equal(by->via.map.size, 4);
	assert_str(&by->via.map.ptr[1].key, "severity", 8);
	sev = get(by, "severity");
	assert_int_equal(sev->via.map.size, 3);
	assert_str(&sev->via.map.ptr[0].key, "critical", 8);	/* most severe first */
	assert_int_equal(get(sev, "critical")->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(get(sev, "critical")->via.u64, 100);
	assert_int_equal(get(sev, "low")->via.u64, 800);
	assert_int_equal(get(sev, "unknown")->via.u64, 100);
	rules = get(by, "rules");
	assert_int_equal(rules->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(rules->via.array.size, 2);
	r1 = &rules->via.array.ptr[1];
	assert_int_equal(r1->via.map.size, 3);
	assert_str(get(r1, "rule"), "e2e-secret", 10);
	assert_str(get(r1, "severity"), "critical", 8);
	assert_int_equal(get(r1, "lost")->via.u64, 100);
	assert_string_equal(p.info.kind, "loss");
	packed_free(&p);
	sbuf_free(&line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rendered_record_round_trip),
		cmocka_unit_test(test_loss_by),
		cmocka_unit_test(test_values_and_escapes),
		cmocka_unit_test(test_info_only_from_top_level),
		cmocka_unit_test(test_ocsf_record_time),
		cmocka_unit_test(test_bad_input_refused),
		cmocka_unit_test(test_numbers_are_json_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
