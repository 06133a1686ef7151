/* SPDX-License-Identifier: Apache-2.0 */
/* ocsf.c - custos records as OCSF 1.1 events; see docs/EVENTS-ocsf.md. */
#include "record/ocsf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "record/record.h"

/* OCSF 1.1 ids; docs/EVENTS-ocsf.md has the table of what maps to what */
enum ocsf_class_uid {
	OCSF_BASE_EVENT = 0,
	OCSF_FILE_ACTIVITY = 1001,
	OCSF_PROCESS_ACTIVITY = 1007,
	OCSF_NETWORK_ACTIVITY = 4001,
};

enum ocsf_category_uid {
	OCSF_CAT_UNCATEGORIZED = 0,
	OCSF_CAT_SYSTEM = 1,
	OCSF_CAT_NETWORK = 4,
};

enum ocsf_activity_id {
	OCSF_FILE_CREATE = 1,
	OCSF_FILE_READ = 2,
	OCSF_FILE_UPDATE = 3,
	OCSF_FILE_OPEN = 14,
	OCSF_PROCESS_LAUNCH = 1,
	OCSF_NETWORK_OPEN = 1,
	OCSF_NETWORK_REFUSE = 5,
	OCSF_ACTIVITY_OTHER = 99,
};

enum {
	OCSF_SEVERITY_INFO = 1,		/* a checkpoint */
	OCSF_SEVERITY_HIGH = 4,		/* every loss and gap record */
	OCSF_ALLOWED = 1,		/* action_id and disposition_id */
	OCSF_DENIED = 2,		/* action_id Denied, disposition_id Blocked */
	OCSF_OUTBOUND = 2,		/* connection_info.direction_id */
	OCSF_IPV4 = 4,			/* connection_info.protocol_ver_id */
	OCSF_IPV6 = 6,
	OCSF_DEVICE_TYPE_UNKNOWN = 0,
	OCSF_FILE_TYPE_UNKNOWN = 0,
	OCSF_FILE_TYPE_REGULAR = 1,
	OCSF_TYPE_UID_SCALE = 100,	/* type_uid = class_uid * 100 + activity_id */
	OCSF_MS_NS = 1000000,		/* time is in milliseconds */
};

/* What a record is in OCSF's terms. */
struct ocsf_class {
	enum ocsf_class_uid class_uid;
	enum ocsf_category_uid category_uid;
	enum ocsf_activity_id activity_id;
	const char *class_name, *category_name, *activity_name;
	int blocked;		/* the kernel refused the call */
};

/* OCSF connection_info.protocol_name: the IANA keyword, lower case */
static const char *ip_proto_name(unsigned p)
{
	switch (p) {
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_IGMP: return "igmp";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMPV6: return "ipv6-icmp";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_RAW: return "raw";
	}
	return "unknown";
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
	struct sbuf tmp = SBUF_INIT;
	uint32_t pos = 0;
	const char *p;
	size_t n;

	while (cev_args_next(a, &pos, &p, &n)) {
		if (tmp.len)
			sbuf_addc(&tmp, ' ');
		sbuf_add(&tmp, p, n);
	}
	json_escape_bytes(o, tmp.p ? tmp.p : "", tmp.len);
	sbuf_free(&tmp);
}

static void file_obj(struct sbuf *o, const struct cev_str *path)
{
	sbuf_addf(o, "{\"type_id\":%d,\"type\":\"Regular File\",\"name\":", OCSF_FILE_TYPE_REGULAR);
	base_name(o, path);
	sbuf_adds(o, ",\"path\":");
	json_add_str(o, path);
	sbuf_addc(o, '}');
}

/* "file" and "cmd_line" of a parent, when the record has one */
static void parent_file_cmd(struct sbuf *o, const struct cev_event *ev)
{
	if (!ev->has_parent)
		return;
	sbuf_adds(o, ",\"file\":");
	file_obj(o, &ev->parent.exe);
	sbuf_adds(o, ",\"cmd_line\":");
	cmd_line(o, &ev->parent.args);
}

static void process_obj(struct sbuf *o, const struct cev_event *ev)
{
	const struct cev_process *pr = &ev->proc;

	sbuf_addf(o, "{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"name\":", pr->pid, pr->tid);
	json_escape_bytes(o, pr->comm, strnlen(pr->comm, sizeof(pr->comm)));
	sbuf_adds(o, ",\"file\":");
	file_obj(o, &pr->exe);
	sbuf_adds(o, ",\"cmd_line\":");
	cmd_line(o, &pr->args);
	sbuf_addf(o, ",\"user\":{\"uid\":\"%" PRIu32 "\",\"name\":", pr->uid);
	json_add_cstr(o, pr->user);
	sbuf_addc(o, '}');
	if (pr->cgroup) {
		sbuf_adds(o, ",\"xattributes\":{\"cgroup\":");
		json_add_cstr(o, pr->cgroup);
		sbuf_addc(o, '}');
	}
	sbuf_addf(o, ",\"parent_process\":{\"pid\":%" PRIu32,
		  ev->has_parent ? ev->parent.pid : pr->ppid);
	parent_file_cmd(o, ev);
	sbuf_addc(o, '}');
	sbuf_adds(o, ",\"lineage\":");
	json_add_str_list(o, ev->ancestors, ev->n_ancestors);
	sbuf_addc(o, '}');
}

int ocsf_severity_id(const char *s)
{
	return record_severity_rank(s) + 1;	/* -1 (unknown) is 0, Unknown */
}

/* The rule as the finding, and custos' own facts that OCSF has no place for. */
static void finding(struct sbuf *o, const struct json_rule *r, const struct json_meta *m,
		    int blocked, const struct cev_event *ev)
{
	sbuf_adds(o, ",\"finding_info\":{\"uid\":");
	json_add_cstr(o, r->id);
	sbuf_adds(o, ",\"title\":");
	json_add_cstr(o, r->id);
	sbuf_adds(o, ",\"types\":");
	json_add_cstr_list(o, r->tags, r->n_tags);
	sbuf_addc(o, '}');
	sbuf_addf(o, ",\"action_id\":%d,\"action\":\"%s\",\"disposition_id\":%d,"
		  "\"disposition\":\"%s\"", blocked ? OCSF_DENIED : OCSF_ALLOWED,
		  blocked ? "Denied" : "Allowed", blocked ? OCSF_DENIED : OCSF_ALLOWED,
		  blocked ? "Blocked" : "Allowed");
	sbuf_adds(o, ",\"unmapped\":{\"custos_action\":");
	json_add_cstr(o, r->action);
	sbuf_adds(o, ",\"policy\":");
	json_add_cstr(o, m->policy);
	if (ev->kind == CEV_FILE && ev->file.via) {	/* e.g. an io_uring open, file unknown */
		sbuf_adds(o, ",\"via\":");
		json_add_cstr(o, ev->file.via);
		sbuf_adds(o, ",\"op\":");
		json_add_cstr(o, ev->file.op);
		if (ev->file.unresolved)
			sbuf_adds(o, ",\"unresolved\":true");
	}
	sbuf_addc(o, '}');
}

static void file_class(const struct cev_file *f, struct ocsf_class *c)
{
	*c = (struct ocsf_class){ OCSF_FILE_ACTIVITY, OCSF_CAT_SYSTEM, OCSF_FILE_READ,
				  "File System Activity", "System Activity", "Read",
				  f->blocked };	/* an open refused: action Denied */
	if (f->unresolved) {	/* which file, and how, is not known */
		c->activity_id = OCSF_FILE_OPEN;
		c->activity_name = "Open";
	} else if (f->access & CEV_ACC_CREATE) {
		c->activity_id = OCSF_FILE_CREATE;
		c->activity_name = "Create";
	} else if (f->access & CEV_ACC_WRITE) {
		c->activity_id = OCSF_FILE_UPDATE;
		c->activity_name = "Update";
	}
}

/* The class, category and activity of ev: 0, or -EINVAL for an unknown kind. */
static int classify(const struct cev_event *ev, struct ocsf_class *c)
{
	switch (ev->kind) {
	case CEV_FILE:
		file_class(&ev->file, c);
		return 0;
	case CEV_EXEC:
		*c = (struct ocsf_class){ OCSF_PROCESS_ACTIVITY, OCSF_CAT_SYSTEM,
					  OCSF_PROCESS_LAUNCH, "Process Activity",
					  "System Activity", "Launch",
					  ev->exec.blocked };	/* a launch refused: action Denied */
		return 0;
	case CEV_CONNECT:
		*c = (struct ocsf_class){ OCSF_NETWORK_ACTIVITY, OCSF_CAT_NETWORK,
					  OCSF_NETWORK_OPEN, "Network Activity",
					  "Network Activity", "Open", ev->conn.blocked };
		if (c->blocked) {
			c->activity_id = OCSF_NETWORK_REFUSE;
			c->activity_name = "Refuse";
		}
		return 0;
	case CEV_LOSS:
	case CEV_GAP:
	case CEV_CHECKPOINT:
		*c = (struct ocsf_class){ OCSF_BASE_EVENT, OCSF_CAT_UNCATEGORIZED,
					  OCSF_ACTIVITY_OTHER, "Base Event", "Uncategorized",
					  "Other", 0 };
		return 0;
	}
	return -EINVAL;
}

/* The attributes every record has, up to and including "device". */
static void base_attrs(struct sbuf *out, const struct ocsf_class *c, int sev,
		       const struct cev_event *ev, const struct json_meta *meta)
{
	sbuf_addf(out, "{\"class_uid\":%d,\"class_name\":\"%s\",\"category_uid\":%d,"
		  "\"category_name\":\"%s\",\"activity_id\":%d,\"activity_name\":\"%s\","
		  "\"type_uid\":%d,\"type_name\":\"%s: %s\",\"severity_id\":%d,",
		  c->class_uid, c->class_name, c->category_uid, c->category_name, c->activity_id,
		  c->activity_name, c->class_uid * OCSF_TYPE_UID_SCALE + c->activity_id,
		  c->class_name, c->activity_name, sev);
	sbuf_addf(out, "\"time\":%" PRIu64 ",", ev->time_ns / OCSF_MS_NS);
	sbuf_addf(out, "\"metadata\":{\"version\":\"" OCSF_VERSION "\",\"product\":"
		  "{\"name\":\"custos\",\"vendor_name\":\"custos\",\"version\":\"%s\"},"
		  "\"sequence\":%" PRIu64 ",\"log_name\":\"" JSON_SCHEMA "\"},",
		  CUSTOS_VERSION, meta->seq);
	sbuf_addf(out, "\"device\":{\"type_id\":%d,\"hostname\":", OCSF_DEVICE_TYPE_UNKNOWN);
	json_add_cstr(out, meta->host);
	sbuf_addc(out, '}');
}

static void file_attrs(struct sbuf *out, const struct cev_event *ev)
{
	sbuf_adds(out, ",\"actor\":{\"process\":");
	process_obj(out, ev);
	sbuf_adds(out, "},\"file\":");
	if (ev->file.unresolved)
		sbuf_addf(out, "{\"type_id\":%d,\"type\":\"Unknown\",\"name\":\"\",\"path\":\"\"}",
			  OCSF_FILE_TYPE_UNKNOWN);
	else
		file_obj(out, &ev->file.path);
}

/* actor: who launched it (the parent); process: the new program */
static void exec_attrs(struct sbuf *out, const struct cev_event *ev)
{
	sbuf_addf(out, ",\"actor\":{\"process\":{\"pid\":%" PRIu32,
		  ev->has_parent ? ev->parent.pid : ev->proc.ppid);
	parent_file_cmd(out, ev);
	sbuf_adds(out, "}},\"process\":");
	process_obj(out, ev);
}

static void connect_attrs(struct sbuf *out, const struct cev_event *ev,
			  const struct json_meta *meta)
{
	const struct cev_connect *c = &ev->conn;
	unsigned proto = c->proto == CEV_PROTO_RAW ? c->ipproto : c->proto;
	char dest[INET6_ADDRSTRLEN] = "";

	inet_ntop(c->family == AF_INET6 ? AF_INET6 : AF_INET, c->addr, dest, sizeof(dest));
	sbuf_adds(out, ",\"actor\":{\"process\":");
	process_obj(out, ev);
	sbuf_adds(out, "},\"src_endpoint\":{\"hostname\":");
	json_add_cstr(out, meta->host);
	sbuf_adds(out, "},\"dst_endpoint\":{\"ip\":");
	json_add_cstr(out, dest);
	sbuf_addf(out, ",\"port\":%u}", c->port);
	sbuf_addf(out, ",\"connection_info\":{\"direction_id\":%d,\"direction\":\"Outbound\","
		  "\"protocol_num\":%u,\"protocol_name\":\"%s\",\"protocol_ver_id\":%d}",
		  OCSF_OUTBOUND, proto, ip_proto_name(proto), c->family == AF_INET6 ? OCSF_IPV6 : OCSF_IPV4);
}

static void loss_attrs(struct sbuf *out, const struct cev_loss *l)
{
	struct sbuf w = SBUF_INIT;

	sbuf_addf(out, ",\"message\":\"%" PRIu64 " records lost at ", l->lost);
	json_escape_bytes(&w, l->where ? l->where : "", l->where ? strlen(l->where) : 0);
	/* w is a quoted JSON string: splice its body */
	if (w.len >= 2)
		sbuf_add(out, w.p + 1, w.len - 1);
	else
		sbuf_addc(out, '"');
	sbuf_free(&w);
	sbuf_addf(out, ",\"unmapped\":{\"lost\":%" PRIu64 ",\"where\":", l->lost);
	json_add_cstr(out, l->where);
	sbuf_addc(out, '}');
}

/* A gap or checkpoint: a message, and the record's own object in unmapped. */
static void stream_attrs(struct sbuf *out, const struct cev_event *ev)
{
	sbuf_adds(out, ev->kind == CEV_GAP ? ",\"message\":\"no agent was reading events\"" :
		  ",\"message\":\"chain checkpoint\"");
	sbuf_adds(out, ",\"unmapped\":{");
	json_add_stream(out, ev);
	sbuf_addc(out, '}');
}

/* A record that stands for several coalesced events: OCSF's count and period. */
static void repeat_attrs(struct sbuf *out, const struct cev_repeat *r)
{
	sbuf_addf(out, ",\"count\":%" PRIu64 ",\"start_time\":%" PRIu64 ",\"end_time\":%" PRIu64,
		  r->count, r->first_ns / OCSF_MS_NS, r->last_ns / OCSF_MS_NS);
}

int ocsf_render_event(struct sbuf *out, const struct cev_event *ev,
		      const struct json_rule *rule, const struct json_meta *meta)
{
	size_t start = out->len;
	struct ocsf_class c;
	int sev;

	if (!cev_kind_is_stream(ev->kind) && !rule)
		return -EINVAL;
	if (classify(ev, &c))
		return -EINVAL;
	sev = ev->kind == CEV_CHECKPOINT ? OCSF_SEVERITY_INFO :
	      cev_kind_is_stream(ev->kind) ? OCSF_SEVERITY_HIGH : ocsf_severity_id(rule->severity);
	if (rule && rule->action && !strcmp(rule->action, "block"))
		c.blocked = 1;
	base_attrs(out, &c, sev, ev, meta);
	switch (ev->kind) {
	case CEV_FILE:
		file_attrs(out, ev);
		break;
	case CEV_EXEC:
		exec_attrs(out, ev);
		break;
	case CEV_CONNECT:
		connect_attrs(out, ev, meta);
		break;
	case CEV_LOSS:
		loss_attrs(out, &ev->loss);
		break;
	case CEV_GAP:
	case CEV_CHECKPOINT:
		stream_attrs(out, ev);
		break;
	}
	if (ev->repeat.count)
		repeat_attrs(out, &ev->repeat);
	if (!cev_kind_is_stream(ev->kind))
		finding(out, rule, meta, c.blocked, ev);
	return json_end_line(out, start);
}
