/* SPDX-License-Identifier: Apache-2.0 */
/* ocsf.c - custos records as OCSF 1.1 events; see docs/EVENTS-ocsf.md. */
#include "record/ocsf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* OCSF connection_info.protocol_name: the IANA keyword, lower case */
static const char *ip_proto_name(unsigned p)
{
	switch (p) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "ipv6-icmp";
	case 132: return "sctp";
	case 255: return "raw";
	}
	return "unknown";
}

static void cstr(struct sbuf *o, const char *s)
{
	if (s)
		json_escape_bytes(o, s, strlen(s));
	else
		sbuf_adds(o, "null");
}

static void str(struct sbuf *o, const struct cev_str *s)
{
	json_escape_bytes(o, s->p ? s->p : "", s->p ? s->len : 0);
}

/* basename of a path, as a JSON string */
static void base_name(struct sbuf *o, const struct cev_str *s)
{
	const char *p = s->p ? s->p : "";
	size_t n = s->p ? s->len : 0;
	const char *slash = n ? memrchr(p, '/', n) : NULL;

	if (slash)
		json_escape_bytes(o, slash + 1, (size_t)(p + n - slash - 1));
	else
		json_escape_bytes(o, p, n);
}

/* argv joined by single spaces: OCSF's cmd_line */
static void cmd_line(struct sbuf *o, const struct cev_args *a)
{
	struct sbuf tmp = { 0 };
	const char *p = a->buf, *end = a->buf ? a->buf + a->len : NULL;

	while (p && p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (tmp.len)
			sbuf_addc(&tmp, ' ');
		sbuf_add(&tmp, p, (size_t)((nul ? nul : end) - p));
		if (!nul)
			break;
		p = nul + 1;
	}
	json_escape_bytes(o, tmp.p ? tmp.p : "", tmp.len);
	sbuf_free(&tmp);
}

static void file_obj(struct sbuf *o, const struct cev_str *path)
{
	sbuf_adds(o, "{\"type_id\":1,\"type\":\"Regular File\",\"name\":");
	base_name(o, path);
	sbuf_adds(o, ",\"path\":");
	str(o, path);
	sbuf_addc(o, '}');
}

static void process_obj(struct sbuf *o, const struct cev_event *ev, int with_parent)
{
	const struct cev_process *pr = &ev->proc;

	sbuf_addf(o, "{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"name\":", pr->pid, pr->tid);
	json_escape_bytes(o, pr->comm, strnlen(pr->comm, sizeof(pr->comm)));
	sbuf_adds(o, ",\"file\":");
	file_obj(o, &pr->exe);
	sbuf_adds(o, ",\"cmd_line\":");
	cmd_line(o, &pr->args);
	sbuf_addf(o, ",\"user\":{\"uid\":\"%" PRIu32 "\",\"name\":", pr->uid);
	cstr(o, pr->user);
	sbuf_addc(o, '}');
	if (pr->cgroup) {
		sbuf_adds(o, ",\"xattributes\":{\"cgroup\":");
		cstr(o, pr->cgroup);
		sbuf_addc(o, '}');
	}
	if (with_parent) {
		sbuf_addf(o, ",\"parent_process\":{\"pid\":%" PRIu32,
			  ev->has_parent ? ev->parent.pid : pr->ppid);
		if (ev->has_parent) {
			sbuf_adds(o, ",\"file\":");
			file_obj(o, &ev->parent.exe);
			sbuf_adds(o, ",\"cmd_line\":");
			cmd_line(o, &ev->parent.args);
		}
		sbuf_addc(o, '}');
		sbuf_adds(o, ",\"lineage\":[");
		for (uint32_t i = 0; i < ev->n_ancestors; i++) {
			if (i)
				sbuf_addc(o, ',');
			str(o, &ev->ancestors[i]);
		}
		sbuf_addc(o, ']');
	}
	sbuf_addc(o, '}');
}

int ocsf_severity_id(const char *s)
{
	static const char *const names[] = { "info", "low", "medium", "high", "critical" };

	for (int i = 0; s && i < 5; i++)
		if (!strcmp(s, names[i]))
			return i + 1;
	return 0;	/* Unknown */
}

/* The rule as the finding, and custos' own facts that OCSF has no place for. */
static void finding(struct sbuf *o, const struct json_rule *r, const struct json_meta *m,
		    int blocked, const struct cev_event *ev)
{
	sbuf_adds(o, ",\"finding_info\":{\"uid\":");
	cstr(o, r->id);
	sbuf_adds(o, ",\"title\":");
	cstr(o, r->id);
	sbuf_adds(o, ",\"types\":[");
	for (size_t i = 0; i < r->n_tags; i++) {
		if (i)
			sbuf_addc(o, ',');
		cstr(o, r->tags[i]);
	}
	sbuf_adds(o, "]}");
	sbuf_addf(o, ",\"action_id\":%d,\"action\":\"%s\",\"disposition_id\":%d,"
		  "\"disposition\":\"%s\"", blocked ? 2 : 1, blocked ? "Denied" : "Allowed",
		  blocked ? 2 : 1, blocked ? "Blocked" : "Allowed");
	sbuf_adds(o, ",\"unmapped\":{\"custos_action\":");
	cstr(o, r->action);
	sbuf_adds(o, ",\"policy\":");
	cstr(o, m->policy);
	if (ev->kind == CEV_FILE && ev->file.via) {	/* e.g. an io_uring open, file unknown */
		sbuf_adds(o, ",\"via\":");
		cstr(o, ev->file.via);
		sbuf_adds(o, ",\"op\":");
		cstr(o, ev->file.op);
		if (ev->file.unresolved)
			sbuf_adds(o, ",\"unresolved\":true");
	}
	sbuf_addc(o, '}');
}

int ocsf_render_event(struct sbuf *out, const struct cev_event *ev,
		      const struct json_rule *rule, const struct json_meta *meta)
{
	size_t start = out->len;
	int class_uid, category_uid, activity_id, sev, blocked = 0;
	const char *class_name, *category_name, *activity_name;
	char dest[INET6_ADDRSTRLEN] = "";

	if (ev->kind != CEV_LOSS && !rule)
		return -EINVAL;
	switch (ev->kind) {
	case CEV_FILE:
		class_uid = 1001, category_uid = 1;
		class_name = "File System Activity", category_name = "System Activity";
		if (ev->file.unresolved)	/* which file, and how, is not known */
			activity_id = 14, activity_name = "Open";
		else if (ev->file.access & CEV_ACC_CREATE)
			activity_id = 1, activity_name = "Create";
		else if (ev->file.access & CEV_ACC_WRITE)
			activity_id = 3, activity_name = "Update";
		else
			activity_id = 2, activity_name = "Read";
		blocked = ev->file.blocked;	/* an open refused: action Denied */
		break;
	case CEV_EXEC:
		class_uid = 1007, category_uid = 1;
		class_name = "Process Activity", category_name = "System Activity";
		activity_id = 1, activity_name = "Launch";
		blocked = ev->exec.blocked;	/* a launch refused: action Denied */
		break;
	case CEV_CONNECT:
		class_uid = 4001, category_uid = 4;
		class_name = "Network Activity", category_name = "Network Activity";
		blocked = ev->conn.blocked;
		if (blocked)
			activity_id = 5, activity_name = "Refuse";
		else
			activity_id = 1, activity_name = "Open";
		break;
	case CEV_LOSS:
		class_uid = 0, category_uid = 0;
		class_name = "Base Event", category_name = "Uncategorized";
		activity_id = 99, activity_name = "Other";
		break;
	default:
		return -EINVAL;
	}
	sev = ev->kind == CEV_LOSS ? 4 : ocsf_severity_id(rule->severity);
	if (rule && rule->action && !strcmp(rule->action, "block"))
		blocked = 1;

	sbuf_addf(out, "{\"class_uid\":%d,\"class_name\":\"%s\",\"category_uid\":%d,"
		  "\"category_name\":\"%s\",\"activity_id\":%d,\"activity_name\":\"%s\","
		  "\"type_uid\":%d,\"type_name\":\"%s: %s\",\"severity_id\":%d,",
		  class_uid, class_name, category_uid, category_name, activity_id, activity_name,
		  class_uid * 100 + activity_id, class_name, activity_name, sev);
	sbuf_addf(out, "\"time\":%" PRIu64 ",", ev->time_ns / 1000000);
	sbuf_addf(out, "\"metadata\":{\"version\":\"" OCSF_VERSION "\",\"product\":"
		  "{\"name\":\"custos\",\"vendor_name\":\"custos\",\"version\":\"%s\"},"
		  "\"sequence\":%" PRIu64 ",\"log_name\":\"custos.event/1\"},",
		  CUSTOS_VERSION, meta->seq);
	sbuf_adds(out, "\"device\":{\"type_id\":0,\"hostname\":");
	cstr(out, meta->host);
	sbuf_addc(out, '}');

	switch (ev->kind) {
	case CEV_FILE:
		sbuf_adds(out, ",\"actor\":{\"process\":");
		process_obj(out, ev, 1);
		sbuf_adds(out, "},\"file\":");
		if (ev->file.unresolved)
			sbuf_adds(out, "{\"type_id\":0,\"type\":\"Unknown\",\"name\":\"\",\"path\":\"\"}");
		else
			file_obj(out, &ev->file.path);
		break;
	case CEV_EXEC:
		/* actor: who launched it (the parent); process: the new program */
		sbuf_adds(out, ",\"actor\":{\"process\":{\"pid\":");
		sbuf_addf(out, "%" PRIu32, ev->has_parent ? ev->parent.pid : ev->proc.ppid);
		if (ev->has_parent) {
			sbuf_adds(out, ",\"file\":");
			file_obj(out, &ev->parent.exe);
			sbuf_adds(out, ",\"cmd_line\":");
			cmd_line(out, &ev->parent.args);
		}
		sbuf_adds(out, "}},\"process\":");
		process_obj(out, ev, 1);
		break;
	case CEV_CONNECT:
		inet_ntop(ev->conn.family == AF_INET6 ? AF_INET6 : AF_INET, ev->conn.addr, dest,
			  sizeof(dest));
		sbuf_adds(out, ",\"actor\":{\"process\":");
		process_obj(out, ev, 1);
		sbuf_adds(out, "},\"src_endpoint\":{\"hostname\":");
		cstr(out, meta->host);
		sbuf_adds(out, "},\"dst_endpoint\":{\"ip\":");
		cstr(out, dest);
		sbuf_addf(out, ",\"port\":%u}", ev->conn.port);
		sbuf_addf(out, ",\"connection_info\":{\"direction_id\":2,\"direction\":\"Outbound\","
			  "\"protocol_num\":%u,\"protocol_name\":\"%s\",\"protocol_ver_id\":%d}",
			  ev->conn.proto == CEV_PROTO_RAW ? ev->conn.ipproto : ev->conn.proto,
			  ip_proto_name(ev->conn.proto == CEV_PROTO_RAW ? ev->conn.ipproto
									: ev->conn.proto),
			  ev->conn.family == AF_INET6 ? 6 : 4);
		break;
	case CEV_LOSS:
		sbuf_addf(out, ",\"message\":\"%" PRIu64 " records lost at ", ev->loss.lost);
		{
			struct sbuf w = { 0 };

			json_escape_bytes(&w, ev->loss.where ? ev->loss.where : "",
					  ev->loss.where ? strlen(ev->loss.where) : 0);
			/* w is a quoted JSON string: splice its body */
			if (w.len >= 2)
				sbuf_add(out, w.p + 1, w.len - 1);
			else
				sbuf_addc(out, '"');
			sbuf_free(&w);
		}
		sbuf_addf(out, ",\"unmapped\":{\"lost\":%" PRIu64 ",\"where\":", ev->loss.lost);
		cstr(out, ev->loss.where);
		sbuf_addc(out, '}');
		break;
	default:
		break;
	}
	if (ev->kind != CEV_LOSS)
		finding(out, rule, meta, blocked, ev);
	sbuf_add(out, "}\n", 2);
	if (sbuf_err(out)) {
		out->len = start;
		return -ENOMEM;
	}
	return 0;
}
