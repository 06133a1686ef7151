/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ocsf.c - the OCSF rendering (user/record/ocsf.c): every record kind
 * and flag (file read/write/create, blocked, io_uring unresolved, exec,
 * refused exec, no parent, no user, container, tcp/udp/raw connect, refused
 * connect, loss, a host that is no hostname) validated against the OCSF
 * 1.1.0 schema by tests/ocsf/ocsf_validate.c, and the values SIEMs query
 * checked one by one.  The validator itself is shown to refuse the faults
 * the earlier rendering had.
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

#include "ocsf_validate.h"
#include "record/ocsf.h"

#define SCHEMA_DIR "tests/fixtures/ocsf-schema-1.1.0"

static struct ocsf_schema *schema;

static const char *const tags1[] = { "soc2:CC6.1", "mitre:T1552" };
static const struct json_rule rule1 = {
	.id = "secret-file-access", .severity = "high", .action = "alert",
	.tags = tags1, .n_tags = 2,
};
static const struct json_rule block_rule = {
	.id = "no-weights", .severity = "critical", .action = "block",
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

static void connect_event(struct cev_event *ev, int family, const char *addr, uint8_t proto,
			  uint16_t port)
{
	base_event(ev, CEV_CONNECT);
	ev->conn.family = (uint8_t)family;
	ev->conn.proto = proto;
	ev->conn.ipproto = cev_proto_number(proto);
	ev->conn.port = port;
	assert_int_equal(inet_pton(family, addr, ev->conn.addr), 1);
}

/* Rendered with meta, parsed (duplicate keys refused), and valid OCSF 1.1.0. */
static json_t *render_meta(const struct cev_event *ev, const struct json_rule *r,
			   const struct json_meta *meta)
{
	struct sbuf b = SBUF_INIT, problems = SBUF_INIT;
	json_error_t jerr;
	json_t *j;

	assert_int_equal(ocsf_render_event(&b, ev, r, meta), 0);
	assert_true(b.len > 0 && b.p[b.len - 1] == '\n');
	assert_null(memchr(b.p, '\n', b.len - 1));
	j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		fail_msg("not JSON: %s\n%s", jerr.text, sbuf_cstr(&b));
	if (ocsf_validate(schema, j, &problems))
		fail_msg("not valid OCSF 1.1.0:\n%s%s", sbuf_cstr(&problems), sbuf_cstr(&b));
	sbuf_free(&problems);
	sbuf_free(&b);
	return j;
}

static json_t *render(const struct cev_event *ev, const struct json_rule *r)
{
	return render_meta(ev, r, &meta1);
}

/* a dotted path; "evidences.0.file" indexes arrays */
static json_t *at(json_t *j, const char *path)
{
	char buf[160], *save, *part;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part && j; part = strtok_r(NULL, ".", &save))
		j = json_is_array(j) ? json_array_get(j, strtoul(part, NULL, 10))
				     : json_object_get(j, part);
	return j;
}

static long long num(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	if (!json_is_integer(v))
		fail_msg("%s: not an integer", path);
	return json_integer_value(v);
}

static const char *s(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	if (!json_is_string(v))
		fail_msg("%s: not a string", path);
	return json_string_value(v);
}

/* What every rule record is: a Detection Finding with the rule as analytic. */
static void check_finding(json_t *j, const struct json_rule *r, int sev, int related)
{
	assert_int_equal(num(j, "class_uid"), 2004);
	assert_string_equal(s(j, "class_name"), "Detection Finding");
	assert_int_equal(num(j, "category_uid"), 2);
	assert_int_equal(num(j, "activity_id"), 1);
	assert_int_equal(num(j, "type_uid"), 200401);
	assert_int_equal(num(j, "severity_id"), sev);
	assert_int_equal(num(j, "time"), 1795417923123LL);
	assert_string_equal(s(j, "metadata.version"), OCSF_VERSION);
	assert_string_equal(s(j, "metadata.product.name"), "custos");
	assert_int_equal(num(j, "metadata.sequence"), 42);
	assert_string_equal(s(j, "metadata.profiles.0"), "host");
	assert_string_equal(s(j, "metadata.profiles.1"), "security_control");
	assert_string_equal(s(j, "finding_info.uid"), "inference-01:42");
	assert_string_equal(s(j, "finding_info.title"), r->id);
	assert_int_equal(num(j, "finding_info.analytic.type_id"), 1);
	assert_string_equal(s(j, "finding_info.analytic.uid"), r->id);
	assert_int_equal(num(j, "finding_info.related_events.0.type_uid"), related);
	assert_string_equal(s(j, "device.hostname"), "inference-01");
	assert_string_equal(s(j, "unmapped.policy"), "sha256:9f2c");
	assert_string_equal(s(j, "unmapped.action"), r->action);
}

static void check_outcome(json_t *j, int blocked)
{
	assert_int_equal(num(j, "action_id"), blocked ? 2 : 1);
	assert_string_equal(s(j, "action"), blocked ? "Denied" : "Allowed");
	assert_int_equal(num(j, "disposition_id"), blocked ? 2 : 19);
	assert_string_equal(s(j, "disposition"), blocked ? "Blocked" : "Alert");
}

static void check_actor(json_t *j)
{
	assert_int_equal(num(j, "evidences.0.actor.process.pid"), 4242);
	assert_int_equal(num(j, "evidences.0.actor.process.tid"), 4243);
	assert_string_equal(s(j, "evidences.0.actor.process.name"), "cat");
	assert_string_equal(s(j, "evidences.0.actor.process.file.path"), "/usr/bin/cat");
	assert_string_equal(s(j, "evidences.0.actor.process.file.name"), "cat");
	assert_string_equal(s(j, "evidences.0.actor.process.cmd_line"), "cat /root/.aws/credentials");
	assert_string_equal(s(j, "evidences.0.actor.process.user.uid"), "1000");
	assert_string_equal(s(j, "evidences.0.actor.process.user.name"), "svc");
	assert_string_equal(s(j, "evidences.0.actor.process.xattributes.cgroup"),
			    "/system.slice/vllm.service");
	assert_int_equal(num(j, "evidences.0.actor.process.parent_process.pid"), 4100);
	assert_string_equal(s(j, "evidences.0.actor.process.parent_process.cmd_line"), "bash -c x");
	assert_int_equal(json_array_size(at(j, "evidences.0.actor.process.lineage")), 2);
}

static void test_file(void **state)
{
	struct cev_event ev;
	json_t *j;

	base_event(&ev, CEV_FILE);
	ev.file.path = (struct cev_str)STR("/root/.aws/credentials");
	ev.file.access = CEV_ACC_READ;
	ev.file.flags = 0;
	j = render(&ev, &rule1);
	check_finding(j, &rule1, 4, 100102);	/* File System Activity: Read */
	assert_string_equal(s(j, "finding_info.related_events.0.type"), "File System Activity: Read");
	check_outcome(j, 0);
	check_actor(j);
	assert_string_equal(s(j, "evidences.0.file.path"), "/root/.aws/credentials");
	assert_string_equal(s(j, "evidences.0.file.name"), "credentials");
	assert_int_equal(num(j, "evidences.0.file.type_id"), 1);
	assert_string_equal(s(j, "unmapped.file.access.0"), "read");
	assert_string_equal(s(j, "unmapped.file.flags"), "O_RDONLY");
	assert_int_equal(json_array_size(at(j, "finding_info.types")), 2);
	json_decref(j);

	ev.file.access = CEV_ACC_WRITE | CEV_ACC_CREATE;
	j = render(&ev, &rule1);
	check_finding(j, &rule1, 4, 100101);	/* Create */
	assert_int_equal(json_array_size(at(j, "unmapped.file.access")), 2);
	json_decref(j);
	ev.file.access = CEV_ACC_WRITE;
	j = render(&ev, &rule1);
	check_finding(j, &rule1, 4, 100103);	/* Update */
	json_decref(j);

	/* refused under BPF LSM: the activity attempted, Denied, Blocked */
	ev.file.blocked = 1;
	j = render(&ev, &block_rule);
	check_finding(j, &block_rule, 5, 100103);
	check_outcome(j, 1);
	assert_true(json_is_true(at(j, "unmapped.file.blocked")));
	assert_null(at(j, "finding_info.types"));	/* the rule has no tags */
	json_decref(j);
	j = render(&ev, &rule1);	/* an alert rule's record of the refused open */
	check_outcome(j, 1);
	json_decref(j);
}

/* An io_uring open seen without its file (tracepoint backends). */
static void test_file_unresolved(void **state)
{
	struct cev_event ev;
	json_t *j;

	base_event(&ev, CEV_FILE);
	ev.file.unresolved = 1;
	ev.file.via = "io_uring";
	ev.file.op = "openat2";
	j = render(&ev, &rule1);
	check_finding(j, &rule1, 4, 100114);	/* File System Activity: Open */
	assert_int_equal(num(j, "evidences.0.file.type_id"), 0);
	assert_string_equal(s(j, "evidences.0.file.name"), "");
	assert_null(at(j, "evidences.0.file.path"));
	assert_string_equal(s(j, "unmapped.file.via"), "io_uring");
	assert_string_equal(s(j, "unmapped.file.op"), "openat2");
	assert_true(json_is_true(at(j, "unmapped.file.unresolved")));
	assert_null(at(j, "unmapped.file.flags"));
	json_decref(j);
}

static void test_exec(void **state)
{
	struct cev_event ev;
	json_t *j;

	base_event(&ev, CEV_EXEC);
	strcpy(ev.proc.comm, "sh");
	ev.proc.exe = (struct cev_str)STR("/usr/bin/dash");
	ev.proc.args = (struct cev_args)ARGS("sh\0-c\0id\0");
	j = render(&ev, &rule1);
	check_finding(j, &rule1, 4, 100701);	/* Process Activity: Launch */
	check_outcome(j, 0);
	/* actor: who launched it; process: the new program */
	assert_int_equal(num(j, "evidences.0.actor.process.pid"), 4100);
	assert_string_equal(s(j, "evidences.0.actor.process.file.path"), "/usr/bin/bash");
	assert_string_equal(s(j, "evidences.0.actor.process.cmd_line"), "bash -c x");
	assert_int_equal(num(j, "evidences.0.process.pid"), 4242);
	assert_string_equal(s(j, "evidences.0.process.file.path"), "/usr/bin/dash");
	assert_string_equal(s(j, "evidences.0.process.cmd_line"), "sh -c id");
	assert_true(json_is_false(at(j, "unmapped.exec.blocked")));
	json_decref(j);

	ev.exec.blocked = 1;
	j = render(&ev, &block_rule);
	check_outcome(j, 1);
	assert_int_equal(num(j, "finding_info.related_events.0.type_uid"), 100701);
	json_decref(j);

	/* no parent known, no user name, in a container */
	ev.exec.blocked = 0;
	ev.has_parent = 0;
	ev.n_ancestors = 0;
	ev.proc.user = NULL;
	ev.proc.container_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	j = render(&ev, &rule1);
	assert_int_equal(num(j, "evidences.0.actor.process.pid"), 4100);	/* the ppid */
	assert_null(at(j, "evidences.0.actor.process.file"));
	assert_string_equal(s(j, "evidences.0.process.user.uid"), "1000");
	assert_null(at(j, "evidences.0.process.user.name"));
	assert_string_equal(s(j, "evidences.0.process.container.uid"), ev.proc.container_id);
	assert_string_equal(s(j, "metadata.profiles.2"), "container");
	json_decref(j);
}

static void test_connect(void **state)
{
	struct cev_event ev;
	json_t *j;

	connect_event(&ev, AF_INET, "203.0.113.7", CEV_PROTO_TCP, 443);
	j = render(&ev, &rule1);
	check_finding(j, &rule1, 4, 400101);	/* Network Activity: Open */
	check_actor(j);
	assert_string_equal(s(j, "evidences.0.dst_endpoint.ip"), "203.0.113.7");
	assert_int_equal(num(j, "evidences.0.dst_endpoint.port"), 443);
	assert_string_equal(s(j, "evidences.0.src_endpoint.hostname"), "inference-01");
	assert_int_equal(num(j, "evidences.0.connection_info.direction_id"), 2);
	assert_int_equal(num(j, "evidences.0.connection_info.protocol_num"), 6);
	assert_string_equal(s(j, "evidences.0.connection_info.protocol_name"), "tcp");
	assert_int_equal(num(j, "evidences.0.connection_info.protocol_ver_id"), 4);
	json_decref(j);

	connect_event(&ev, AF_INET6, "2001:db8::7", CEV_PROTO_UDP, 53);
	ev.conn.blocked = 1;
	j = render(&ev, &rule1);
	check_finding(j, &rule1, 4, 400105);	/* Network Activity: Refuse */
	check_outcome(j, 1);
	assert_string_equal(s(j, "evidences.0.dst_endpoint.ip"), "2001:db8::7");
	assert_string_equal(s(j, "evidences.0.connection_info.protocol_name"), "udp");
	assert_int_equal(num(j, "evidences.0.connection_info.protocol_ver_id"), 6);
	json_decref(j);

	/* a raw ICMP socket: no port, the IP protocol number */
	connect_event(&ev, AF_INET, "198.51.100.4", CEV_PROTO_RAW, 0);
	ev.conn.ipproto = IPPROTO_ICMP;
	j = render(&ev, &rule1);
	assert_null(at(j, "evidences.0.dst_endpoint.port"));
	assert_int_equal(num(j, "evidences.0.connection_info.protocol_num"), 1);
	assert_string_equal(s(j, "evidences.0.connection_info.protocol_name"), "icmp");
	json_decref(j);

	/* the name the address was learned from: dst_endpoint.hostname */
	connect_event(&ev, AF_INET, "198.51.100.5", CEV_PROTO_UDPLITE, 443);
	ev.conn.dest_name = "api.vendor.test";
	j = render(&ev, &rule1);
	assert_string_equal(s(j, "evidences.0.dst_endpoint.hostname"), "api.vendor.test");
	assert_int_equal(num(j, "evidences.0.connection_info.protocol_num"), 136);
	assert_string_equal(s(j, "evidences.0.connection_info.protocol_name"), "udplite");
	json_decref(j);
}

/* A socket record: Network Activity Other (Refuse when refused), the hop as
 * the destination, the socket's facts in unmapped. */
static void test_socket(void **state)
{
	struct cev_event ev;
	json_t *j;

	base_event(&ev, CEV_SOCKET);
	ev.sock = (struct cev_socket){ .family = AF_INET6, .type = SOCK_DGRAM, .ipproto = 17,
				       .proto = CEV_PROTO_UDP, .op = CEV_SOCK_IPV6_RTHDR,
				       .hop_family = AF_INET6 };
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::9", ev.sock.hop), 1);
	j = render(&ev, &rule1);
	check_finding(j, &rule1, 4, 400199);	/* Network Activity: Other */
	check_actor(j);
	assert_string_equal(s(j, "evidences.0.dst_endpoint.ip"), "2001:db8::9");
	assert_int_equal(num(j, "evidences.0.connection_info.protocol_num"), 17);
	assert_int_equal(num(j, "evidences.0.connection_info.protocol_ver_id"), 6);
	assert_string_equal(s(j, "unmapped.socket.op"), "IPV6_RTHDR");
	assert_string_equal(s(j, "unmapped.socket.family"), "inet6");
	json_decref(j);

	ev.sock = (struct cev_socket){ .family = AF_PACKET, .type = SOCK_RAW, .ipproto = 3,
				       .proto = CEV_PROTO_PACKET, .op = CEV_SOCK_CREATE,
				       .blocked = 1 };
	j = render(&ev, &rule1);
	check_finding(j, &rule1, 4, 400105);	/* Network Activity: Refuse */
	check_outcome(j, 1);
	assert_null(at(j, "evidences.0.dst_endpoint"));
	assert_null(at(j, "evidences.0.connection_info.protocol_num"));
	assert_string_equal(s(j, "unmapped.socket.proto"), "packet");
	assert_string_equal(s(j, "unmapped.socket.type"), "raw");
	json_decref(j);
}

static void test_loss(void **state)
{
	struct cev_event ev = { .kind = CEV_LOSS, .time_ns = 1795417923123456789ull };
	struct json_meta m = { .host = "inference-01", .seq = 7, .policy = NULL };
	json_t *j;

	ev.loss.lost = 1523;
	ev.loss.where = "sink:forward:10.0.0.5:24224";
	j = render_meta(&ev, NULL, &m);
	assert_int_equal(num(j, "class_uid"), 0);
	assert_int_equal(num(j, "activity_id"), 99);
	assert_int_equal(num(j, "type_uid"), 99);
	assert_int_equal(num(j, "severity_id"), 4);
	assert_int_equal(num(j, "count"), 1523);
	assert_string_equal(s(j, "message"), "1523 records lost at sink:forward:10.0.0.5:24224");
	assert_int_equal(num(j, "unmapped.loss.lost"), 1523);
	assert_string_equal(s(j, "unmapped.loss.where"), "sink:forward:10.0.0.5:24224");
	assert_string_equal(s(j, "unmapped.host"), "inference-01");
	assert_null(at(j, "device"));		/* Base Event has none */
	assert_null(at(j, "metadata.profiles"));
	assert_null(at(j, "unmapped.policy"));
	json_decref(j);
}

/* The stream's own records and the 2026-12 fields, as EVENTS-ocsf.md maps them. */
static void test_stream_records(void **state)
{
	static const struct cev_count counted[] = { { "exec", 3 }, { "connect_refused", 1 } };
	static const struct cev_loss_proc procs[] = { { 4242, "flood", STR("/tmp/flood"), 90 } };
	static const struct cev_loss_rule rules[] = { { "egress", "high", 60 } };
	struct json_meta m = { .host = "inference-01", .seq = 8, .policy = "sha256:9f2c",
			       .run = "0123456789abcdef0123456789abcdef" };
	struct cev_event ev = { .kind = CEV_GAP, .time_ns = 1795417923123456789ull };
	json_t *j;

	ev.gap.from_ns = 1795417920000000000ull;
	ev.gap.to_ns = 1795417923123456789ull;
	ev.gap.enforced = 1;
	ev.gap.counted = counted;
	ev.gap.n_counted = 2;
	j = render_meta(&ev, NULL, &m);
	assert_int_equal(num(j, "class_uid"), 0);
	assert_int_equal(num(j, "severity_id"), 4);
	assert_int_equal(num(j, "start_time"), 1795417920000);
	assert_int_equal(num(j, "end_time"), 1795417923123);
	assert_string_equal(s(j, "unmapped.gap.previous_end"), "unclean");
	assert_true(json_is_true(at(j, "unmapped.gap.enforced")));
	assert_int_equal(num(j, "unmapped.gap.counted.connect_refused"), 1);
	assert_string_equal(s(j, "unmapped.run"), m.run);
	json_decref(j);

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_CHECKPOINT;
	ev.time_ns = 1795417923123456789ull;
	ev.checkpoint.records = 99;
	ev.checkpoint.final = 1;
	j = render_meta(&ev, NULL, &m);
	assert_int_equal(num(j, "severity_id"), 1);
	assert_int_equal(num(j, "unmapped.checkpoint.records"), 99);
	assert_true(json_is_true(at(j, "unmapped.checkpoint.final")));
	json_decref(j);

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_LOSS;
	ev.time_ns = 1795417923123456789ull;
	ev.loss.lost = 100;
	ev.loss.where = "ratelimit";
	ev.loss.by_kind[CEV_LOST_FILE] = 100;
	ev.loss.procs = procs;
	ev.loss.n_procs = 1;
	ev.loss.by_severity[CEV_LOSS_SEV_HIGH] = 60;
	ev.loss.by_severity[CEV_LOSS_SEV_UNKNOWN] = 40;
	ev.loss.rules = rules;
	ev.loss.n_rules = 1;
	j = render_meta(&ev, NULL, &m);
	assert_int_equal(num(j, "unmapped.loss.by.kind.file"), 100);
	assert_int_equal(num(j, "unmapped.loss.by.severity.high"), 60);
	assert_int_equal(num(j, "unmapped.loss.by.severity.unknown"), 40);
	assert_string_equal(s(j, "unmapped.loss.by.rules.0.rule"), "egress");
	assert_string_equal(s(j, "unmapped.loss.by.rules.0.severity"), "high");
	assert_int_equal(num(j, "unmapped.loss.by.rules.0.lost"), 60);
	assert_int_equal(num(j, "unmapped.loss.by.processes.0.pid"), 4242);
	assert_int_equal(num(j, "severity_id"), 4);	/* a loss record's, whatever it lost */
	json_decref(j);

	/* a file record standing for 4711 coalesced opens */
	base_event(&ev, CEV_FILE);
	ev.file.path = (struct cev_str)STR("/root/.aws/credentials");
	ev.file.access = CEV_ACC_READ;
	ev.repeat.count = 4711;
	ev.repeat.first_ns = 1795417923000000000ull;
	ev.repeat.last_ns = 1795417923250000000ull;
	j = render_meta(&ev, &rule1, &m);
	assert_int_equal(num(j, "count"), 4711);
	assert_int_equal(num(j, "start_time"), 1795417923000);
	assert_int_equal(num(j, "end_time"), 1795417923250);
	json_decref(j);
}

/* A configured host that is no DNS name goes to device.name, not hostname. */
static void test_host_not_a_hostname(void **state)
{
	struct json_meta m = { .host = "inference_01 (rack 4)", .seq = 42, .policy = "p" };
	struct cev_event ev;
	json_t *j;

	connect_event(&ev, AF_INET, "203.0.113.7", CEV_PROTO_TCP, 443);
	j = render_meta(&ev, &rule1, &m);
	assert_null(at(j, "device.hostname"));
	assert_string_equal(s(j, "device.name"), "inference_01 (rack 4)");
	assert_string_equal(s(j, "evidences.0.src_endpoint.name"), "inference_01 (rack 4)");
	json_decref(j);
}

static void test_errors(void **state)
{
	struct sbuf b = SBUF_INIT;
	struct cev_event ev;

	base_event(&ev, CEV_FILE);
	assert_int_equal(ocsf_render_event(&b, &ev, NULL, &meta1), -EINVAL);	/* no rule */
	ev.kind = (enum cev_kind)42;
	assert_int_equal(ocsf_render_event(&b, &ev, &rule1, &meta1), -EINVAL);
	assert_int_equal(b.len, 0);
	sbuf_free(&b);
}

/* The validator refuses what the earlier rendering got wrong. */
static void test_validator_catches(void **state)
{
	static const struct { const char *json, *want; } bad[] = {
		/* finding_info in an activity class, which 1.1 does not define there */
		{ "{\"class_uid\":1001,\"category_uid\":1,\"activity_id\":2,\"type_uid\":100102,"
		  "\"severity_id\":1,\"time\":1,\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}},\"actor\":{\"process\":{\"pid\":1}},\"device\":"
		  "{\"type_id\":0,\"hostname\":\"h\"},\"file\":{\"name\":\"f\",\"type_id\":1},"
		  "\"finding_info\":{\"uid\":\"u\",\"title\":\"t\"}}",
		  "finding_info: File System Activity has no attribute finding_info" },
		/* device in a Base Event */
		{ "{\"class_uid\":0,\"category_uid\":0,\"activity_id\":99,\"type_uid\":99,"
		  "\"severity_id\":4,\"time\":1,\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}},\"device\":{\"type_id\":0,\"hostname\":\"h\"}}",
		  "device: Base Event has no attribute device" },
		/* a profile's attribute without the profile declared */
		{ "{\"class_uid\":1007,\"category_uid\":1,\"activity_id\":1,\"type_uid\":100701,"
		  "\"severity_id\":1,\"time\":1,\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}},\"actor\":{\"process\":{\"pid\":1}},\"device\":"
		  "{\"type_id\":0,\"hostname\":\"h\"},\"process\":{\"pid\":2},\"action_id\":1}",
		  "action_id: comes from the security_control profile" },
		/* a null user name */
		{ "{\"class_uid\":0,\"category_uid\":0,\"activity_id\":99,\"type_uid\":99,"
		  "\"severity_id\":4,\"time\":1,\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}},\"message\":null}",
		  "message: null" },
		/* a Detection Finding without its finding_info, a wrong type_uid */
		{ "{\"class_uid\":2004,\"category_uid\":2,\"activity_id\":1,\"type_uid\":200402,"
		  "\"severity_id\":1,\"time\":1,\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}}}",
		  "finding_info: required by Detection Finding, missing" },
		{ "{\"class_uid\":2004,\"category_uid\":2,\"activity_id\":1,\"type_uid\":200402,"
		  "\"severity_id\":1,\"time\":1,\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}}}",
		  "type_uid: should be class_uid * 100 + activity_id = 200401" },
		/* an enum value, a sibling caption, a type */
		{ "{\"class_uid\":0,\"category_uid\":0,\"activity_id\":99,\"type_uid\":99,"
		  "\"severity_id\":9,\"time\":\"now\",\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}}}",
		  "severity_id: 9 is not a value of its enum" },
		{ "{\"class_uid\":0,\"category_uid\":0,\"activity_id\":99,\"type_uid\":99,"
		  "\"severity_id\":4,\"severity\":\"Low\",\"time\":1,\"metadata\":{\"version\":"
		  "\"1.1.0\",\"product\":{\"vendor_name\":\"x\"}}}",
		  "severity_id: its sibling severity should be \"High\"" },
		{ "{\"class_uid\":0,\"category_uid\":0,\"activity_id\":99,\"type_uid\":99,"
		  "\"severity_id\":4,\"time\":\"now\",\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}}}",
		  "time: expected an integer (timestamp_t)" },
		/* a hostname_t regex, a port range, an object's at_least_one */
		{ "{\"class_uid\":2004,\"category_uid\":2,\"activity_id\":1,\"type_uid\":200401,"
		  "\"severity_id\":1,\"time\":1,\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}},\"finding_info\":{\"uid\":\"u\",\"title\":\"t\"},"
		  "\"evidences\":[{\"dst_endpoint\":{\"hostname\":\"no such host\",\"port\":70000},"
		  "\"actor\":{}}]}",
		  "evidences[0].dst_endpoint.hostname: \"no such host\" is not a valid hostname_t" },
		{ "{\"class_uid\":2004,\"category_uid\":2,\"activity_id\":1,\"type_uid\":200401,"
		  "\"severity_id\":1,\"time\":1,\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}},\"finding_info\":{\"uid\":\"u\",\"title\":\"t\"},"
		  "\"evidences\":[{\"dst_endpoint\":{\"hostname\":\"h\",\"port\":70000},"
		  "\"actor\":{}}]}",
		  "evidences[0].dst_endpoint.port: 70000 is outside port_t's range" },
		{ "{\"class_uid\":2004,\"category_uid\":2,\"activity_id\":1,\"type_uid\":200401,"
		  "\"severity_id\":1,\"time\":1,\"metadata\":{\"version\":\"1.1.0\",\"product\":"
		  "{\"vendor_name\":\"x\"}},\"finding_info\":{\"uid\":\"u\",\"title\":\"t\"},"
		  "\"evidences\":[{\"actor\":{}}]}",
		  "evidences[0].actor: actor needs at least one" },
		{ "{\"class_uid\":4242,\"category_uid\":4,\"activity_id\":1,\"type_uid\":424201}",
		  "class_uid: 4242 is no class of OCSF 1.1.0" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbuf problems = SBUF_INIT;
		json_t *j = json_loads(bad[i].json, 0, NULL);

		assert_non_null(j);
		assert_true(ocsf_validate(schema, j, &problems) > 0);
		if (!strstr(sbuf_cstr(&problems), bad[i].want))
			fail_msg("case %zu: no \"%s\" in:\n%s", i, bad[i].want,
				 sbuf_cstr(&problems));
		sbuf_free(&problems);
		json_decref(j);
	}
}

static int setup(void **state)
{
	char err[512];

	if (ocsf_schema_load(SCHEMA_DIR, &schema, err, sizeof(err))) {
		fprintf(stderr, "test_ocsf: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	ocsf_schema_free(schema);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_unresolved),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_stream_records),
		cmocka_unit_test(test_host_not_a_hostname),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_validator_catches),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
