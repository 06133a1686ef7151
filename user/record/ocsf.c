/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocsf.c - custos records as OCSF 1.1 events; docs/EVENTS-ocsf.md is the
 * mapping, field by field.
 *
 * The representation.  Every rule record is one Detection Finding (2004):
 * the rule is the finding's analytic (finding_info.analytic, type Rule),
 * the outcome is the security_control profile's action and disposition,
 * and what happened is the one evidence (evidences[0]: the acting process,
 * the file, the new program, the endpoints), with the activity it was
 * named by its OCSF type in finding_info.related_events.  Loss records are
 * Base Events (0).  1.1 defines no finding_info in the activity classes, so
 * this is the one place the rule has a defined attribute.
 *
 * The mapping is data (record/ocsf_table.h): record_attrs below lists OCSF
 * paths in output order, which record kinds carry them, and a constant or
 * the function that renders the value (or says there is none, and the
 * attribute is left out).  A row with a sub-table renders it under its
 * path: the process rows (ocsf_process.c) serve actor.process,
 * evidences[].process and parent_process.  Adding a field is one row, plus
 * its value function when no existing one fits.
 */
#include "record/ocsf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "record/ocsf_table.h"
#include "record/record.h"

/* OCSF 1.1 ids */
enum ocsf_ids {
	OCSF_CAT_UNCATEGORIZED = 0,
	OCSF_CAT_FINDINGS = 2,
	OCSF_FINDING_CREATE = 1,	/* Detection Finding activity_id */
	OCSF_ACTIVITY_OTHER = 99,
	OCSF_FILE_CREATE = 1,		/* the evidence's activity, per class */
	OCSF_FILE_READ = 2,
	OCSF_FILE_UPDATE = 3,
	OCSF_FILE_OPEN = 14,
	OCSF_PROCESS_LAUNCH = 1,
	OCSF_NETWORK_OPEN = 1,
	OCSF_NETWORK_REFUSE = 5,
	OCSF_SEVERITY_HIGH = 4,		/* every loss record */
	OCSF_ALLOWED = 1,		/* action_id */
	OCSF_DENIED = 2,
	OCSF_DISP_BLOCKED = 2,		/* disposition_id */
	OCSF_DISP_ALERT = 19,		/* reported, not blocked */
	OCSF_ANALYTIC_RULE = 1,		/* finding_info.analytic.type_id */
	OCSF_OUTBOUND = 2,		/* connection_info.direction_id */
	OCSF_IPV4 = 4,			/* connection_info.protocol_ver_id */
	OCSF_IPV6 = 6,
	OCSF_DEVICE_TYPE_UNKNOWN = 0,
	OCSF_MS_NS = 1000000,		/* time is in milliseconds */
};

/* --- values ------------------------------------------------------------------- */



/* a host name as OCSF's hostname_t accepts it: dot-separated labels of
 * letters, digits and inner hyphens */
static int is_hostname(const char *s)
{
	size_t n = 0;

	if (!s || !*s)
		return 0;
	for (const char *p = s;; p++) {
		int alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9');

		if (*p == '.' || !*p) {
			if (!n || p[-1] == '-')
				return 0;
			if (!*p)
				return 1;
			n = 0;
		} else if (alnum || (*p == '-' && n)) {
			n++;
		} else {
			return 0;
		}
	}
}

static const char *host(const struct ocsf_src *s)
{
	return s->meta->host;
}

/* the host as hostname when it is one, else as name (an endpoint has one of them) */
static int v_hostname(struct sbuf *o, const struct ocsf_src *s)
{
	return is_hostname(host(s)) && ocsf_v_cstr(o, host(s));
}

static int v_hostname_as_name(struct sbuf *o, const struct ocsf_src *s)
{
	return host(s) && !is_hostname(host(s)) && ocsf_v_cstr(o, host(s));
}

static int is_loss(const struct ocsf_src *s)
{
	return s->ev->kind == CEV_LOSS;
}











int ocsf_severity_id(const char *s)
{
	return record_severity_rank(s) + 1;	/* -1 (unknown) is 0, Unknown */
}

static int severity_id(const struct ocsf_src *s)
{
	return is_loss(s) ? OCSF_SEVERITY_HIGH : ocsf_severity_id(s->rule->severity);
}

static int v_severity_id(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_int(o, severity_id(s));
}

static int v_severity(struct sbuf *o, const struct ocsf_src *s)
{
	static const char *const names[] = { "Unknown", "Informational", "Low", "Medium",
					     "High", "Critical" };

	return ocsf_v_cstr(o, names[severity_id(s)]);
}

static int v_time(struct sbuf *o, const struct ocsf_src *s)
{
	sbuf_addf(o, "%" PRIu64, s->ev->time_ns / OCSF_MS_NS);
	return 1;
}



static int v_product_version(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, CUSTOS_VERSION);
}

/* the profiles whose attributes the record uses */
static int v_profiles(struct sbuf *o, const struct ocsf_src *s)
{
	if (is_loss(s))
		return 0;
	sbuf_adds(o, "[\"host\",\"security_control\"");
	if (s->ev->proc.container_id)
		sbuf_adds(o, ",\"container\"");
	sbuf_addc(o, ']');
	return 1;
}

static int v_seq(struct sbuf *o, const struct ocsf_src *s)
{
	sbuf_addf(o, "%" PRIu64, s->meta->seq);
	return 1;
}


/* the finding */
static int v_finding_uid(struct sbuf *o, const struct ocsf_src *s)
{
	char buf[300];

	snprintf(buf, sizeof(buf), "%s:%" PRIu64, host(s) ? host(s) : "custos", s->meta->seq);
	return ocsf_v_cstr(o, buf);
}

static int v_rule_id(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->rule->id);
}

static int v_tags(struct sbuf *o, const struct ocsf_src *s)
{
	if (!s->rule->n_tags)
		return 0;
	json_add_cstr_list(o, s->rule->tags, s->rule->n_tags);
	return 1;
}



/* The activity the evidence shows, as the type of the event it would be. */
struct ocsf_activity {
	int class_uid, activity_id;
	const char *class_name, *activity_name;
};

static struct ocsf_activity evidence_activity(const struct ocsf_src *s)
{
	const struct cev_event *ev = s->ev;

	switch (ev->kind) {
	case CEV_FILE:
		if (ev->file.unresolved)	/* which file, and how, is not known */
			return (struct ocsf_activity){ OCSF_FILE_ACTIVITY, OCSF_FILE_OPEN,
						       "File System Activity", "Open" };
		if (ev->file.access & CEV_ACC_CREATE)
			return (struct ocsf_activity){ OCSF_FILE_ACTIVITY, OCSF_FILE_CREATE,
						       "File System Activity", "Create" };
		if (ev->file.access & CEV_ACC_WRITE)
			return (struct ocsf_activity){ OCSF_FILE_ACTIVITY, OCSF_FILE_UPDATE,
						       "File System Activity", "Update" };
		return (struct ocsf_activity){ OCSF_FILE_ACTIVITY, OCSF_FILE_READ,
					       "File System Activity", "Read" };
	case CEV_EXEC:
		return (struct ocsf_activity){ OCSF_PROCESS_ACTIVITY, OCSF_PROCESS_LAUNCH,
					       "Process Activity", "Launch" };
	default:
		if (s->blocked)
			return (struct ocsf_activity){ OCSF_NETWORK_ACTIVITY, OCSF_NETWORK_REFUSE,
						       "Network Activity", "Refuse" };
		return (struct ocsf_activity){ OCSF_NETWORK_ACTIVITY, OCSF_NETWORK_OPEN,
					       "Network Activity", "Open" };
	}
}

static int v_evidence_type_uid(struct sbuf *o, const struct ocsf_src *s)
{
	struct ocsf_activity a = evidence_activity(s);

	return ocsf_v_int(o, a.class_uid * OCSF_TYPE_UID_SCALE + a.activity_id);
}

static int v_evidence_type(struct sbuf *o, const struct ocsf_src *s)
{
	struct ocsf_activity a = evidence_activity(s);
	char buf[64];

	snprintf(buf, sizeof(buf), "%s: %s", a.class_name, a.activity_name);
	return ocsf_v_cstr(o, buf);
}

/* the outcome (security_control profile) */
static int v_action_id(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_int(o, s->blocked ? OCSF_DENIED : OCSF_ALLOWED);
}

static int v_action(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->blocked ? "Denied" : "Allowed");
}

static int v_disposition_id(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_int(o, s->blocked ? OCSF_DISP_BLOCKED : OCSF_DISP_ALERT);
}

static int v_disposition(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->blocked ? "Blocked" : "Alert");
}

/* --- files and endpoints --------------------------------------------------------- */

static int v_file_type_id(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_int(o, s->ev->file.unresolved ? 0 : OCSF_FILE_TYPE_REGULAR);
}

static int v_file_type(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->ev->file.unresolved ? "Unknown" : "Regular File");
}

static int v_file_name(struct sbuf *o, const struct ocsf_src *s)
{
	if (s->ev->file.unresolved || !s->ev->file.path.p)
		return ocsf_v_cstr(o, "");	/* required; the file is not known */
	ocsf_base_name(o, &s->ev->file.path);
	return 1;
}

static int v_file_path(struct sbuf *o, const struct ocsf_src *s)
{
	if (s->ev->file.unresolved)
		return 0;
	json_add_str(o, &s->ev->file.path);
	return 1;
}

static int v_dst_ip(struct sbuf *o, const struct ocsf_src *s)
{
	const struct cev_connect *c = &s->ev->conn;
	char dest[INET6_ADDRSTRLEN] = "";

	if (!inet_ntop(c->family == AF_INET6 ? AF_INET6 : AF_INET, c->addr, dest, sizeof(dest)))
		return 0;
	return ocsf_v_cstr(o, dest);
}

static int v_dst_port(struct sbuf *o, const struct ocsf_src *s)
{
	return s->ev->conn.proto != CEV_PROTO_RAW && ocsf_v_int(o, s->ev->conn.port);
}



static unsigned ip_proto(const struct ocsf_src *s)
{
	const struct cev_connect *c = &s->ev->conn;

	return c->proto == CEV_PROTO_RAW ? c->ipproto : c->proto;
}

static int v_protocol_num(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_int(o, ip_proto(s));
}

/* OCSF connection_info.protocol_name: the IANA keyword, lower case */
static int v_protocol_name(struct sbuf *o, const struct ocsf_src *s)
{
	switch (ip_proto(s)) {
	case IPPROTO_ICMP: return ocsf_v_cstr(o, "icmp");
	case IPPROTO_IGMP: return ocsf_v_cstr(o, "igmp");
	case IPPROTO_TCP: return ocsf_v_cstr(o, "tcp");
	case IPPROTO_UDP: return ocsf_v_cstr(o, "udp");
	case IPPROTO_ICMPV6: return ocsf_v_cstr(o, "ipv6-icmp");
	case IPPROTO_SCTP: return ocsf_v_cstr(o, "sctp");
	case IPPROTO_RAW: return ocsf_v_cstr(o, "raw");
	}
	return ocsf_v_cstr(o, "unknown");
}

static int v_protocol_ver_id(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_int(o, s->ev->conn.family == AF_INET6 ? OCSF_IPV6 : OCSF_IPV4);
}

/* --- custos facts OCSF has no attribute for (unmapped) ------------------------------- */

static int v_custos_action(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->rule->action);
}

static int v_policy(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->meta->policy);
}

static int v_access(struct sbuf *o, const struct ocsf_src *s)
{
	uint32_t a = s->ev->file.access;
	int n = 0;

	sbuf_addc(o, '[');
	if (a & CEV_ACC_READ)
		sbuf_adds(o, n++ ? ",\"read\"" : "\"read\"");
	if (a & CEV_ACC_WRITE)
		sbuf_adds(o, n++ ? ",\"write\"" : "\"write\"");
	if (a & CEV_ACC_CREATE)
		sbuf_adds(o, n++ ? ",\"create\"" : "\"create\"");
	sbuf_addc(o, ']');
	return 1;
}

static int v_open_flags(struct sbuf *o, const struct ocsf_src *s)
{
	if (s->ev->file.unresolved)
		return 0;
	sbuf_addc(o, '"');
	json_open_flags(o, s->ev->file.flags);
	sbuf_addc(o, '"');
	return 1;
}

static int v_via(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->ev->file.via);
}

static int v_op(struct sbuf *o, const struct ocsf_src *s)
{
	return s->ev->file.via && ocsf_v_cstr(o, s->ev->file.op ? s->ev->file.op : "");
}

static int v_unresolved(struct sbuf *o, const struct ocsf_src *s)
{
	if (!s->ev->file.unresolved)
		return 0;
	sbuf_adds(o, "true");
	return 1;
}

static int v_blocked(struct sbuf *o, const struct ocsf_src *s)
{
	sbuf_adds(o, s->blocked ? "true" : "false");
	return 1;
}

/* loss */
static int v_lost(struct sbuf *o, const struct ocsf_src *s)
{
	sbuf_addf(o, "%" PRIu64, s->ev->loss.lost);
	return 1;
}

static int v_loss_message(struct sbuf *o, const struct ocsf_src *s)
{
	char buf[320];

	snprintf(buf, sizeof(buf), "%" PRIu64 " records lost at %s", s->ev->loss.lost,
		 s->ev->loss.where ? s->ev->loss.where : "?");
	json_escape_bytes(o, buf, strlen(buf));
	return 1;
}

static int v_where(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->ev->loss.where);
}

static int v_host_cstr(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, host(s));
}

/* --- the record ------------------------------------------------------------------- */

/* Every attribute of a record, in output order (EVENTS-ocsf.md has the same table). */
static const struct ocsf_attr record_attrs[] = {
	CNUM("class_uid", K_RULE, OCSF_DETECTION_FINDING),
	CNUM("class_uid", K_LOSS, OCSF_BASE_EVENT),
	CSTR("class_name", K_RULE, "Detection Finding"),
	CSTR("class_name", K_LOSS, "Base Event"),
	CNUM("category_uid", K_RULE, OCSF_CAT_FINDINGS),
	CNUM("category_uid", K_LOSS, OCSF_CAT_UNCATEGORIZED),
	CSTR("category_name", K_RULE, "Findings"),
	CSTR("category_name", K_LOSS, "Uncategorized"),
	CNUM("activity_id", K_RULE, OCSF_FINDING_CREATE),
	CNUM("activity_id", K_LOSS, OCSF_ACTIVITY_OTHER),
	CSTR("activity_name", K_RULE, "Create"),
	CSTR("activity_name", K_LOSS, "Other"),
	CNUM("type_uid", K_RULE, OCSF_DETECTION_FINDING * OCSF_TYPE_UID_SCALE + OCSF_FINDING_CREATE),
	CNUM("type_uid", K_LOSS, OCSF_BASE_EVENT * OCSF_TYPE_UID_SCALE + OCSF_ACTIVITY_OTHER),
	CSTR("type_name", K_RULE, "Detection Finding: Create"),
	CSTR("type_name", K_LOSS, "Base Event: Other"),
	LEAF("severity_id", K_ALL, v_severity_id),
	LEAF("severity", K_ALL, v_severity),
	LEAF("time", K_ALL, v_time),
	LEAF("message", K_LOSS, v_loss_message),
	LEAF("count", K_LOSS, v_lost),
	CSTR("metadata.version", K_ALL, OCSF_VERSION),
	CSTR("metadata.product.name", K_ALL, "custos"),
	CSTR("metadata.product.vendor_name", K_ALL, "custos"),
	LEAF("metadata.product.version", K_ALL, v_product_version),
	LEAF("metadata.profiles", K_ALL, v_profiles),
	LEAF("metadata.sequence", K_ALL, v_seq),
	CSTR("metadata.log_name", K_ALL, JSON_SCHEMA),
	LEAF("finding_info.uid", K_RULE, v_finding_uid),
	LEAF("finding_info.title", K_RULE, v_rule_id),
	LEAF("finding_info.types", K_RULE, v_tags),
	CNUM("finding_info.analytic.type_id", K_RULE, OCSF_ANALYTIC_RULE),
	CSTR("finding_info.analytic.type", K_RULE, "Rule"),
	LEAF("finding_info.analytic.uid", K_RULE, v_rule_id),
	LEAF("finding_info.analytic.name", K_RULE, v_rule_id),
	LEAF("finding_info.related_events[].uid", K_RULE, v_finding_uid),
	LEAF("finding_info.related_events[].type_uid", K_RULE, v_evidence_type_uid),
	LEAF("finding_info.related_events[].type", K_RULE, v_evidence_type),
	LEAF("action_id", K_RULE, v_action_id),
	LEAF("action", K_RULE, v_action),
	LEAF("disposition_id", K_RULE, v_disposition_id),
	LEAF("disposition", K_RULE, v_disposition),
	CNUM("device.type_id", K_RULE, OCSF_DEVICE_TYPE_UNKNOWN),
	CSTR("device.type", K_RULE, "Unknown"),
	LEAF("device.hostname", K_RULE, v_hostname),
	LEAF("device.name", K_RULE, v_hostname_as_name),
	SUB("evidences[].actor.process", K_FILE | K_CONNECT, ocsf_process_attrs, ocsf_view_self),
	SUB("evidences[].actor.process", K_EXEC, ocsf_parent_attrs, ocsf_view_launcher),
	SUB("evidences[].process", K_EXEC, ocsf_process_attrs, ocsf_view_self),
	LEAF("evidences[].file.type_id", K_FILE, v_file_type_id),
	LEAF("evidences[].file.type", K_FILE, v_file_type),
	LEAF("evidences[].file.name", K_FILE, v_file_name),
	LEAF("evidences[].file.path", K_FILE, v_file_path),
	LEAF("evidences[].src_endpoint.hostname", K_CONNECT, v_hostname),
	LEAF("evidences[].src_endpoint.name", K_CONNECT, v_hostname_as_name),
	LEAF("evidences[].dst_endpoint.ip", K_CONNECT, v_dst_ip),
	LEAF("evidences[].dst_endpoint.port", K_CONNECT, v_dst_port),
	CNUM("evidences[].connection_info.direction_id", K_CONNECT, OCSF_OUTBOUND),
	CSTR("evidences[].connection_info.direction", K_CONNECT, "Outbound"),
	LEAF("evidences[].connection_info.protocol_num", K_CONNECT, v_protocol_num),
	LEAF("evidences[].connection_info.protocol_name", K_CONNECT, v_protocol_name),
	LEAF("evidences[].connection_info.protocol_ver_id", K_CONNECT, v_protocol_ver_id),
	LEAF("unmapped.action", K_RULE, v_custos_action),
	LEAF("unmapped.policy", K_ALL, v_policy),
	LEAF("unmapped.host", K_LOSS, v_host_cstr),
	LEAF("unmapped.file.access", K_FILE, v_access),
	LEAF("unmapped.file.flags", K_FILE, v_open_flags),
	LEAF("unmapped.file.via", K_FILE, v_via),
	LEAF("unmapped.file.op", K_FILE, v_op),
	LEAF("unmapped.file.unresolved", K_FILE, v_unresolved),
	LEAF("unmapped.file.blocked", K_FILE, v_blocked),
	LEAF("unmapped.exec.blocked", K_EXEC, v_blocked),
	LEAF("unmapped.connect.blocked", K_CONNECT, v_blocked),
	LEAF("unmapped.loss.lost", K_LOSS, v_lost),
	LEAF("unmapped.loss.where", K_LOSS, v_where),
	{ .path = NULL },
};

/* the kernel refused the call, or the rule's action is block */
static int refused(const struct cev_event *ev, const struct json_rule *rule)
{
	if (rule && rule->action && !strcmp(rule->action, "block"))
		return 1;
	switch (ev->kind) {
	case CEV_FILE: return ev->file.blocked;
	case CEV_EXEC: return ev->exec.blocked;
	case CEV_CONNECT: return ev->conn.blocked;
	case CEV_LOSS: return 0;
	}
	return 0;
}

int ocsf_render_event(struct sbuf *out, const struct cev_event *ev,
		      const struct json_rule *rule, const struct json_meta *meta)
{
	struct ocsf_src s = { .ev = ev, .rule = rule, .meta = meta };
	size_t start = out->len;
	int err;

	if (!json_kind_name(ev->kind) || !meta || (ev->kind != CEV_LOSS && !rule))
		return -EINVAL;
	s.blocked = refused(ev, rule);
	sbuf_addc(out, '{');
	err = ocsf_table_render(out, record_attrs, &s);
	if (err) {
		out->len = start;
		return err;
	}
	return json_end_line(out, start);
}
