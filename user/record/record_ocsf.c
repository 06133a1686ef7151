/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_ocsf.c - a line of custos' OCSF rendering read back into the event
 * model, the inverse of record/ocsf.c's table (docs/EVENTS-ocsf.md), so
 * `custos events` answers the same questions on either format.  What OCSF
 * does not keep does not come back: argv is cmd_line split at spaces, the
 * time has milliseconds.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "record/ocsf.h"
#include "record/record_internal.h"

enum {
	NS_PER_MS = 1000000,
};

/* "a.b.c" within j; NULL when a step is missing.  A number indexes an array. */
static json_t *at(json_t *j, const char *path)
{
	char buf[128], *save, *part;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part && j; part = strtok_r(NULL, ".", &save))
		j = json_is_array(j) ? json_array_get(j, strtoul(part, NULL, 10))
				     : json_object_get(j, part);
	return j;
}

static const char *str_at(json_t *j, const char *path)
{
	return json_string_value(at(j, path));
}

static uint32_t u32_at(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	if (json_is_string(v))	/* user.uid is a string in OCSF */
		return (uint32_t)strtoul(json_string_value(v), NULL, 10);
	return json_is_integer(v) ? (uint32_t)json_integer_value(v) : 0;
}

/* cmd_line back into argv: the words at single spaces */
static int take_cmd_line(struct record *r, json_t *v, struct cev_args *out)
{
	struct cev_str s;
	char *buf;

	memset(out, 0, sizeof(*out));
	if (!json_is_string(v) || record_take_bytes(r, v, &s))
		return json_is_string(v) ? -ENOMEM : 0;
	buf = malloc((size_t)s.len + 1);
	if (!buf || record_own(r, buf))
		return -ENOMEM;
	for (uint32_t i = 0; i < s.len; i++)
		buf[i] = s.p[i] == ' ' ? '\0' : s.p[i];
	buf[s.len] = '\0';
	out->buf = buf;
	out->len = s.len ? s.len + 1 : 0;
	return 0;
}

/* A process object: the acting process (and its parent, lineage). */
static int take_process(struct record *r, json_t *p)
{
	struct cev_process *pr = &r->ev.proc;
	const char *comm = str_at(p, "name");
	json_t *par = at(p, "parent_process");

	pr->pid = u32_at(p, "pid");
	pr->tid = u32_at(p, "tid");
	pr->uid = u32_at(p, "user.uid");
	pr->user = str_at(p, "user.name");
	pr->cgroup = str_at(p, "xattributes.cgroup");
	pr->container_id = str_at(p, "container.uid");
	if (comm)
		snprintf(pr->comm, sizeof(pr->comm), "%s", comm);
	if (record_take_bytes(r, at(p, "file.path"), &pr->exe) ||
	    take_cmd_line(r, at(p, "cmd_line"), &pr->args))
		return -ENOMEM;
	if (json_is_object(par)) {
		pr->ppid = u32_at(par, "pid");
		r->ev.has_parent = 1;
		r->ev.parent.pid = pr->ppid;
		if (record_take_bytes(r, at(par, "file.path"), &r->ev.parent.exe) ||
		    take_cmd_line(r, at(par, "cmd_line"), &r->ev.parent.args))
			return -ENOMEM;
	}
	return record_take_ancestors(r, at(p, "lineage"));
}

static void take_file(struct record *r, json_t *root)
{
	struct cev_file *f = &r->ev.file;
	size_t i;
	json_t *v;

	json_array_foreach(at(root, "unmapped.file.access"), i, v) {
		const char *a = json_string_value(v);

		f->access |= !a ? 0 : !strcmp(a, "read") ? CEV_ACC_READ :
			     !strcmp(a, "write") ? CEV_ACC_WRITE :
			     !strcmp(a, "create") ? CEV_ACC_CREATE : 0;
	}
	f->blocked = json_is_true(at(root, "unmapped.file.blocked"));
	f->unresolved = json_is_true(at(root, "unmapped.file.unresolved"));
	f->via = str_at(root, "unmapped.file.via");
	f->op = str_at(root, "unmapped.file.op");
}

static void take_connect(struct record *r, json_t *root, json_t *ev0)
{
	struct cev_connect *c = &r->ev.conn;
	uint32_t proto = u32_at(ev0, "connection_info.protocol_num");

	c->proto = proto == IPPROTO_TCP || proto == IPPROTO_UDP ? (uint8_t)proto : CEV_PROTO_RAW;
	c->ipproto = (uint8_t)proto;
	c->port = (uint16_t)u32_at(ev0, "dst_endpoint.port");
	c->blocked = json_is_true(at(root, "unmapped.connect.blocked"));
	record_set_dest(r, str_at(ev0, "dst_endpoint.ip"));
}

/* The kind from the evidence's activity type (finding_info.related_events). */
static int kind_of(json_t *root, enum cev_kind *kind)
{
	json_int_t t = json_integer_value(at(root, "finding_info.related_events.0.type_uid"));

	switch (t / OCSF_TYPE_UID_SCALE) {
	case OCSF_FILE_ACTIVITY: *kind = CEV_FILE; return 0;
	case OCSF_PROCESS_ACTIVITY: *kind = CEV_EXEC; return 0;
	case OCSF_NETWORK_ACTIVITY: *kind = CEV_CONNECT; return 0;
	}
	return -EINVAL;
}

static const char *severity_name(json_int_t id)
{
	static const char *const names[] = { "info", "low", "medium", "high", "critical" };

	return id >= 1 && id <= 5 ? names[id - 1] : NULL;
}

/* A loss record (Base Event with unmapped.loss). */
static int take_loss(struct record *r, json_t *root)
{
	json_t *lost = at(root, "unmapped.loss.lost");

	if (!json_is_integer(lost))
		return -EINVAL;
	r->ev.kind = CEV_LOSS;
	r->ev.loss.lost = (uint64_t)json_integer_value(lost);
	r->ev.loss.where = str_at(root, "unmapped.loss.where");
	r->host = str_at(root, "unmapped.host");
	return 0;
}

int record_parse_ocsf(struct record *r, json_t *root)
{
	json_int_t cls = json_integer_value(at(root, "class_uid"));
	json_t *t = at(root, "time"), *ev0 = at(root, "evidences.0");
	int err;

	r->format = RECORD_OCSF;
	if (json_is_integer(t) && json_integer_value(t) >= 0) {
		r->ev.time_ns = (uint64_t)json_integer_value(t) * NS_PER_MS;
		r->has_time = 1;
	}
	r->seq = (uint64_t)json_integer_value(at(root, "metadata.sequence"));
	if (cls == OCSF_BASE_EVENT)
		return take_loss(r, root);
	if (cls != OCSF_DETECTION_FINDING || kind_of(root, &r->ev.kind) || !json_is_object(ev0))
		return -EINVAL;
	r->host = str_at(root, "device.hostname") ?: str_at(root, "device.name");
	r->rule = str_at(root, "finding_info.analytic.uid") ?: str_at(root, "finding_info.title");
	r->severity = severity_name(json_integer_value(at(root, "severity_id")));
	r->action = str_at(root, "unmapped.action");
	record_take_tags(r, at(root, "finding_info.types"));
	/* an exec's evidence: the new program is "process", the launcher "actor" */
	err = take_process(r, at(ev0, r->ev.kind == CEV_EXEC ? "process" : "actor.process"));
	if (err)
		return err;
	switch (r->ev.kind) {
	case CEV_FILE:
		take_file(r, root);
		err = r->ev.file.unresolved ? 0 :
		      record_take_bytes(r, at(ev0, "file.path"), &r->ev.file.path);
		break;
	case CEV_CONNECT:
		take_connect(r, root, ev0);
		break;
	case CEV_EXEC:
		r->ev.exec.blocked = json_is_true(at(root, "unmapped.exec.blocked"));
		break;
	case CEV_LOSS:
		break;
	}
	return err;
}
