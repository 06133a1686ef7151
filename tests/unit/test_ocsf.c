/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ocsf.c - the OCSF rendering (user/record/ocsf.c): each class carries the
 * attributes OCSF 1.1 requires of it, type_uid = class_uid * 100 +
 * activity_id, epoch-ms time, severity_id, the rule as the finding.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>

#include "record/ocsf.h"

static const char *const tags1[] = { "soc2:CC6.1", "mitre:T1552" };
static const struct json_rule rule1 = {
	.id = "secret-file-access", .severity = "high", .action = "alert",
	.tags = tags1, .n_tags = 2,
};
static const struct json_meta meta1 = {
	.host = "inference-01", .seq = 42, .policy = "sha256:9f2c",
};

#define ARGS(s) { .buf = s, .len = sizeof(s) - 1 }
#define STR(s) { .p = s, .len = sizeof(s) - 1 }

static const struct cev_str ancestors1[] = { STR("/usr/bin/bash"), STR("/usr/sbin/sshd") };

static void base_event(struct cev_event *ev, enum cev_kind kind)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->time_ns = 1795417923123456789ull;
	ev->proc.pid = 4242;
	ev->proc.tid = 4243;
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
	ev->parent.args = (struct cev_args)ARGS("bash\0-c\0x\0");
	ev->ancestors = ancestors1;
	ev->n_ancestors = 2;
}

static json_t *render(const struct cev_event *ev, const struct json_rule *r)
{
	struct sbuf b = SBUF_INIT;
	json_error_t jerr;
	json_t *j;

	assert_int_equal(ocsf_render_event(&b, ev, r, &meta1), 0);
	assert_true(b.len > 0 && b.p[b.len - 1] == '\n');
	assert_null(memchr(b.p, '\n', b.len - 1));
	j = json_loadb(b.p, b.len, 0, &jerr);
	if (!j)
		fail_msg("not JSON: %s", jerr.text);
	sbuf_free(&b);
	return j;
}

static json_t *at(json_t *j, const char *path)
{
	char buf[128], *save, *part;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part && j; part = strtok_r(NULL, ".", &save))
		j = json_object_get(j, part);
	if (!j)
		fail_msg("missing %s", path);
	return j;
}

static long long num(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *s(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* The base event's required attributes, and the finding for rule records. */
static void check_base(json_t *j, int class_uid, int category_uid, int activity_id, int sev)
{
	assert_int_equal(num(j, "class_uid"), class_uid);
	assert_int_equal(num(j, "category_uid"), category_uid);
	assert_int_equal(num(j, "activity_id"), activity_id);
	assert_int_equal(num(j, "type_uid"), class_uid * 100 + activity_id);
	assert_int_equal(num(j, "severity_id"), sev);
	assert_int_equal(num(j, "time"), 1795417923123LL);
	assert_string_equal(s(j, "metadata.version"), OCSF_VERSION);
	assert_string_equal(s(j, "metadata.product.name"), "custos");
	assert_string_equal(s(j, "metadata.product.vendor_name"), "custos");
	assert_int_equal(num(j, "metadata.sequence"), 42);
	assert_string_equal(s(j, "device.hostname"), "inference-01");
	assert_int_equal(num(j, "device.type_id"), 0);
}

static void check_finding(json_t *j)
{
	assert_string_equal(s(j, "finding_info.uid"), "secret-file-access");
	assert_string_equal(s(j, "finding_info.title"), "secret-file-access");
	assert_int_equal(json_array_size(at(j, "finding_info.types")), 2);
	assert_string_equal(s(j, "unmapped.policy"), "sha256:9f2c");
	assert_string_equal(s(j, "unmapped.custos_action"), "alert");
	assert_int_equal(num(j, "action_id"), 1);
}

static void check_actor_process(json_t *j)
{
	assert_int_equal(num(j, "actor.process.pid"), 4242);
	assert_string_equal(s(j, "actor.process.name"), "cat");
	assert_string_equal(s(j, "actor.process.file.path"), "/usr/bin/cat");
	assert_string_equal(s(j, "actor.process.file.name"), "cat");
	assert_string_equal(s(j, "actor.process.cmd_line"), "cat /root/.aws/credentials");
	assert_string_equal(s(j, "actor.process.user.uid"), "1000");
	assert_string_equal(s(j, "actor.process.user.name"), "svc");
	assert_int_equal(num(j, "actor.process.parent_process.pid"), 4100);
	assert_string_equal(s(j, "actor.process.parent_process.cmd_line"), "bash -c x");
	assert_int_equal(json_array_size(at(j, "actor.process.lineage")), 2);
}

static void test_file_system_activity(void **state)
{
	struct cev_event ev;
	json_t *j;

	base_event(&ev, CEV_FILE);
	ev.file.path = (struct cev_str)STR("/root/.aws/credentials");
	ev.file.access = CEV_ACC_READ;
	j = render(&ev, &rule1);
	check_base(j, 1001, 1, 2, 4);
	assert_string_equal(s(j, "class_name"), "File System Activity");
	assert_string_equal(s(j, "activity_name"), "Read");
	check_actor_process(j);
	assert_string_equal(s(j, "file.path"), "/root/.aws/credentials");
	assert_string_equal(s(j, "file.name"), "credentials");
	assert_int_equal(num(j, "file.type_id"), 1);
	check_finding(j);
	json_decref(j);

	ev.file.access = CEV_ACC_WRITE | CEV_ACC_CREATE;
	j = render(&ev, &rule1);
	check_base(j, 1001, 1, 1, 4);	/* Create */
	json_decref(j);
	ev.file.access = CEV_ACC_WRITE;
	j = render(&ev, &rule1);
	check_base(j, 1001, 1, 3, 4);	/* Update */
	assert_null(json_object_get(json_object_get(j, "unmapped"), "via"));
	assert_string_equal(s(j, "action"), "Allowed");
	json_decref(j);

	/* refused under BPF LSM: the activity attempted, action Denied, Blocked */
	{
		static const struct json_rule block = {
			.id = "no-weights", .severity = "critical", .action = "block",
		};

		ev.file.blocked = 1;
		j = render(&ev, &block);
		check_base(j, 1001, 1, 3, 5);	/* still Update */
		assert_int_equal(num(j, "action_id"), 2);
		assert_string_equal(s(j, "action"), "Denied");
		assert_int_equal(num(j, "disposition_id"), 2);
		assert_string_equal(s(j, "disposition"), "Blocked");
		assert_string_equal(s(j, "unmapped.custos_action"), "block");
		json_decref(j);
		/* an alert rule's record of the refused open: Denied too */
		j = render(&ev, &rule1);
		assert_string_equal(s(j, "action"), "Denied");
		assert_string_equal(s(j, "unmapped.custos_action"), "alert");
		json_decref(j);
	}
}

/* An io_uring open seen without its file (tracepoint backends): Open, file unknown. */
static void test_file_unresolved(void **state)
{
	struct cev_event ev;
	json_t *j;

	base_event(&ev, CEV_FILE);
	ev.file.path = (struct cev_str)STR("");
	ev.file.unresolved = 1;
	ev.file.via = "io_uring";
	ev.file.op = "openat2";
	j = render(&ev, &rule1);
	check_base(j, 1001, 1, 14, 4);
	assert_string_equal(s(j, "activity_name"), "Open");
	check_actor_process(j);
	assert_int_equal(num(j, "file.type_id"), 0);
	assert_string_equal(s(j, "file.name"), "");
	assert_string_equal(s(j, "file.path"), "");
	check_finding(j);
	assert_string_equal(s(j, "unmapped.via"), "io_uring");
	assert_string_equal(s(j, "unmapped.op"), "openat2");
	assert_true(json_is_true(at(j, "unmapped.unresolved")));
	json_decref(j);
}

static void test_process_activity(void **state)
{
	static const struct json_rule block = {
		.id = "no-nc", .severity = "critical", .action = "block",
	};
	struct cev_event ev;
	json_t *j;

	base_event(&ev, CEV_EXEC);
	ev.proc.exe = (struct cev_str)STR("/usr/bin/sh");
	ev.proc.args = (struct cev_args)ARGS("sh\0-c\0curl http://x\0");
	strcpy(ev.proc.comm, "sh");
	j = render(&ev, &rule1);
	check_base(j, 1007, 1, 1, 4);
	assert_string_equal(s(j, "activity_name"), "Launch");
	assert_int_equal(num(j, "actor.process.pid"), 4100);
	assert_string_equal(s(j, "actor.process.file.path"), "/usr/bin/bash");
	assert_int_equal(num(j, "process.pid"), 4242);
	assert_string_equal(s(j, "process.file.path"), "/usr/bin/sh");
	assert_string_equal(s(j, "process.cmd_line"), "sh -c curl http://x");
	assert_int_equal(num(j, "process.parent_process.pid"), 4100);
	check_finding(j);
	assert_string_equal(s(j, "disposition"), "Allowed");
	json_decref(j);

	/* refused under BPF LSM: still a Launch, with action Denied, Blocked */
	ev.exec.blocked = 1;
	j = render(&ev, &block);
	check_base(j, 1007, 1, 1, 5);
	assert_string_equal(s(j, "process.file.path"), "/usr/bin/sh");
	assert_int_equal(num(j, "action_id"), 2);
	assert_string_equal(s(j, "action"), "Denied");
	assert_int_equal(num(j, "disposition_id"), 2);
	assert_string_equal(s(j, "disposition"), "Blocked");
	assert_string_equal(s(j, "unmapped.custos_action"), "block");
	json_decref(j);
}

static void test_network_activity(void **state)
{
	static const struct json_rule block = {
		.id = "no-egress", .severity = "critical", .action = "block",
	};
	struct cev_event ev;
	json_t *j;

	base_event(&ev, CEV_CONNECT);
	ev.conn.proto = CEV_PROTO_TCP;
	ev.conn.ipproto = IPPROTO_TCP;
	ev.conn.family = AF_INET;
	ev.conn.port = 443;
	inet_pton(AF_INET, "10.1.2.3", ev.conn.addr);
	j = render(&ev, &rule1);
	check_base(j, 4001, 4, 1, 4);
	check_actor_process(j);
	assert_string_equal(s(j, "src_endpoint.hostname"), "inference-01");
	assert_string_equal(s(j, "dst_endpoint.ip"), "10.1.2.3");
	assert_int_equal(num(j, "dst_endpoint.port"), 443);
	assert_string_equal(s(j, "connection_info.protocol_name"), "tcp");
	assert_int_equal(num(j, "connection_info.protocol_num"), 6);
	assert_int_equal(num(j, "connection_info.direction_id"), 2);
	assert_int_equal(num(j, "connection_info.protocol_ver_id"), 4);
	check_finding(j);
	json_decref(j);

	/* refused by the kernel: Refuse, Denied, Blocked */
	ev.conn.family = AF_INET6;
	ev.conn.blocked = 1;
	inet_pton(AF_INET6, "::1", ev.conn.addr);
	j = render(&ev, &block);
	check_base(j, 4001, 4, 5, 5);
	assert_string_equal(s(j, "dst_endpoint.ip"), "::1");
	assert_int_equal(num(j, "action_id"), 2);
	assert_int_equal(num(j, "disposition_id"), 2);
	assert_int_equal(num(j, "connection_info.protocol_ver_id"), 6);
	json_decref(j);

	/* a raw ICMPv6 socket: the IP protocol number and its keyword */
	ev.conn.proto = CEV_PROTO_RAW;
	ev.conn.ipproto = 58;
	ev.conn.port = 0;
	ev.conn.blocked = 0;
	j = render(&ev, &rule1);
	check_base(j, 4001, 4, 1, 4);
	assert_int_equal(num(j, "dst_endpoint.port"), 0);
	assert_int_equal(num(j, "connection_info.protocol_num"), 58);
	assert_string_equal(s(j, "connection_info.protocol_name"), "ipv6-icmp");
	json_decref(j);
}

static void test_loss_and_errors(void **state)
{
	struct cev_event ev;
	struct sbuf b = SBUF_INIT;
	json_t *j;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_LOSS;
	ev.time_ns = 1795417923123456789ull;
	ev.loss.lost = 17;
	ev.loss.where = "sink:forward:127.0.0.1:1";
	j = render(&ev, NULL);
	check_base(j, 0, 0, 99, 4);
	assert_int_equal(num(j, "unmapped.lost"), 17);
	assert_string_equal(s(j, "unmapped.where"), "sink:forward:127.0.0.1:1");
	assert_string_equal(s(j, "message"), "17 records lost at sink:forward:127.0.0.1:1");
	json_decref(j);

	base_event(&ev, CEV_FILE);
	assert_int_equal(ocsf_render_event(&b, &ev, NULL, &meta1), -EINVAL);
	assert_int_equal(b.len, 0);
	sbuf_free(&b);
	assert_int_equal(ocsf_severity_id("info"), 1);
	assert_int_equal(ocsf_severity_id("critical"), 5);
	assert_int_equal(ocsf_severity_id("bogus"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_system_activity),
		cmocka_unit_test(test_file_unresolved),
		cmocka_unit_test(test_process_activity),
		cmocka_unit_test(test_network_activity),
		cmocka_unit_test(test_loss_and_errors),
	};

	return cmocka_run_group_tests_name("ocsf", tests, NULL, NULL);
}
