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
 * The mapping is data: each table below lists OCSF paths in output order,
 * which record kinds carry them, and the function that renders the value
 * (or says there is none, and the attribute is left out).  A path ending
 * an object opens it on its first attribute; "name[]" opens a one-element
 * array.  A row with `sub` renders another table under its path: the
 * process table serves actor.process, evidences[].process and
 * parent_process.  Adding a field is one row, plus its value function when
 * no existing one fits.
 */
#include "record/ocsf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "record/record.h"

/* OCSF 1.1 ids */
enum ocsf_ids {
	OCSF_BASE_EVENT = 0,
	OCSF_FILE_ACTIVITY = 1001,
	OCSF_PROCESS_ACTIVITY = 1007,
	OCSF_DETECTION_FINDING = 2004,
	OCSF_NETWORK_ACTIVITY = 4001,
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
	OCSF_FILE_TYPE_REGULAR = 1,
	OCSF_TYPE_UID_SCALE = 100,	/* type_uid = class_uid * 100 + activity_id */
	OCSF_MS_NS = 1000000,		/* time is in milliseconds */
};

/* which record kinds a row applies to */
enum {
	K_FILE = 1u << CEV_FILE,
	K_CONNECT = 1u << CEV_CONNECT,
	K_EXEC = 1u << CEV_EXEC,
	K_LOSS = 1u << CEV_LOSS,
	K_RULE = K_FILE | K_CONNECT | K_EXEC,
	K_ALL = K_RULE | K_LOSS,
};

enum {
	PATH_MAX_LEN = 128,	/* a row's full path */
	DEPTH_MAX = 8,		/* objects open at once */
	SEG_MAX = 32,		/* one path segment */
};

/* A process as OCSF shows it: the acting one, the launcher, or a parent. */
struct ocsf_proc {
	uint32_t pid, tid;		/* tid 0: not shown */
	const char *comm;		/* NULL: not shown */
	const struct cev_str *exe;	/* NULL or empty: no file object */
	const struct cev_args *args;	/* NULL: no cmd_line */
	int has_user;
	uint32_t uid;
	const char *user;		/* NULL: no name */
	const char *cgroup, *container_id;
	const struct cev_event *parent_of;	/* set: parent_process and lineage from it */
};

/* What the value functions read. */
struct ocsf_src {
	const struct cev_event *ev;
	const struct json_rule *rule;	/* NULL for loss */
	const struct json_meta *meta;
	const struct ocsf_proc *proc;	/* in a process table */
	int blocked;			/* the kernel refused the call */
};

/* Appends one JSON value to o and returns 1, or returns 0: no such attribute. */
typedef int (*ocsf_value_fn)(struct sbuf *o, const struct ocsf_src *s);
/* The process a sub-table describes, filled into *p; 0 when there is none. */
typedef int (*ocsf_view_fn)(const struct ocsf_src *s, struct ocsf_proc *p);

struct ocsf_attr {
	const char *path;
	unsigned kinds;
	ocsf_value_fn value;
	const struct ocsf_attr *sub;	/* instead of value: a table under path */
	ocsf_view_fn view;		/* with sub: the process it describes */
};

/* a row with a value, a row with a table (and the process it describes) */
#define LEAF(p, k, fn) { .path = (p), .kinds = (k), .value = (fn) }
#define SUB(p, k, table, v) { .path = (p), .kinds = (k), .sub = (table), .view = (v) }

/* --- the writer: rows in order become nested objects -------------------------- */

struct ocsf_writer {
	struct sbuf *out;
	struct sbuf val;			/* one value, rendered before its path opens */
	char open[DEPTH_MAX][SEG_MAX];		/* the objects open, outermost first */
	int depth;
	unsigned members[DEPTH_MAX + 1];	/* written so far, per open object (0: the record) */
};

static int is_array_seg(const char *seg, size_t n)
{
	return n > 2 && seg[n - 2] == '[' && seg[n - 1] == ']';
}

static void w_close(struct ocsf_writer *w, int to)
{
	while (w->depth > to) {
		const char *seg = w->open[--w->depth];

		sbuf_adds(w->out, is_array_seg(seg, strlen(seg)) ? "}]" : "}");
	}
}

/* ,"name": at the current depth ("name[]" is written "name") */
static void w_key(struct ocsf_writer *w, const char *seg, size_t n)
{
	if (w->members[w->depth]++)
		sbuf_addc(w->out, ',');
	sbuf_addc(w->out, '"');
	sbuf_add(w->out, seg, is_array_seg(seg, n) ? n - 2 : n);
	sbuf_add(w->out, "\":", 2);
}

/* Opens what path needs beyond what is open, then writes its leaf and w->val. */
static int w_put(struct ocsf_writer *w, const char *path)
{
	const char *seg[DEPTH_MAX + 1];
	size_t len[DEPTH_MAX + 1];
	int k = 0, i = 0;

	for (const char *p = path;; k++) {
		const char *dot = strchr(p, '.');

		if (k > DEPTH_MAX)
			return -EINVAL;
		seg[k] = p;
		len[k] = dot ? (size_t)(dot - p) : strlen(p);
		if (len[k] >= SEG_MAX)
			return -EINVAL;
		if (!dot)
			break;
		p = dot + 1;
	}
	/* seg[0..k) are objects, seg[k] the leaf */
	while (i < w->depth && i < k && strlen(w->open[i]) == len[i] &&
	       !memcmp(w->open[i], seg[i], len[i]))
		i++;
	w_close(w, i);
	for (; i < k; i++) {
		w_key(w, seg[i], len[i]);
		sbuf_adds(w->out, is_array_seg(seg[i], len[i]) ? "[{" : "{");
		memcpy(w->open[w->depth], seg[i], len[i]);
		w->open[w->depth][len[i]] = '\0';
		w->members[++w->depth] = 0;
	}
	w_key(w, seg[k], len[k]);
	sbuf_add(w->out, w->val.p, w->val.len);
	return 0;
}

static int w_table(struct ocsf_writer *w, const struct ocsf_attr *t, const char *prefix,
		   const struct ocsf_src *s)
{
	char path[PATH_MAX_LEN];
	int err = 0;

	for (; t->path && !err; t++) {
		if (!(t->kinds & (1u << s->ev->kind)))
			continue;
		if (snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", t->path) >=
		    (int)sizeof(path))
			return -EINVAL;
		if (t->sub) {
			struct ocsf_proc p;
			struct ocsf_src sub = *s;

			if (t->view) {
				if (!t->view(s, &p))
					continue;
				sub.proc = &p;
			}
			err = w_table(w, t->sub, path, &sub);
			continue;
		}
		sbuf_reset(&w->val);
		if (t->value(&w->val, s))
			err = sbuf_err(&w->val) ? -ENOMEM : w_put(w, path);
	}
	return err;
}

/* --- values ------------------------------------------------------------------- */

static int v_int(struct sbuf *o, long long v)
{
	sbuf_addf(o, "%lld", v);
	return 1;
}

static int v_cstr(struct sbuf *o, const char *s)
{
	if (!s)
		return 0;
	json_add_cstr(o, s);
	return 1;
}

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
	return is_hostname(host(s)) && v_cstr(o, host(s));
}

static int v_hostname_as_name(struct sbuf *o, const struct ocsf_src *s)
{
	return host(s) && !is_hostname(host(s)) && v_cstr(o, host(s));
}

/* The class, category and activity of the record itself. */
static int is_loss(const struct ocsf_src *s)
{
	return s->ev->kind == CEV_LOSS;
}

static int v_class_uid(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, is_loss(s) ? OCSF_BASE_EVENT : OCSF_DETECTION_FINDING);
}

static int v_class_name(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, is_loss(s) ? "Base Event" : "Detection Finding");
}

static int v_category_uid(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, is_loss(s) ? OCSF_CAT_UNCATEGORIZED : OCSF_CAT_FINDINGS);
}

static int v_category_name(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, is_loss(s) ? "Uncategorized" : "Findings");
}

static int activity_id(const struct ocsf_src *s)
{
	return is_loss(s) ? OCSF_ACTIVITY_OTHER : OCSF_FINDING_CREATE;
}

static const char *activity_name(const struct ocsf_src *s)
{
	return is_loss(s) ? "Other" : "Create";
}

static int v_activity_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, activity_id(s));
}

static int v_activity_name(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, activity_name(s));
}

static int v_type_uid(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, (is_loss(s) ? OCSF_BASE_EVENT : OCSF_DETECTION_FINDING) *
			OCSF_TYPE_UID_SCALE + activity_id(s));
}

static int v_type_name(struct sbuf *o, const struct ocsf_src *s)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s: %s", is_loss(s) ? "Base Event" : "Detection Finding",
		 activity_name(s));
	return v_cstr(o, buf);
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
	return v_int(o, severity_id(s));
}

static int v_severity(struct sbuf *o, const struct ocsf_src *s)
{
	static const char *const names[] = { "Unknown", "Informational", "Low", "Medium",
					     "High", "Critical" };

	return v_cstr(o, names[severity_id(s)]);
}

static int v_time(struct sbuf *o, const struct ocsf_src *s)
{
	sbuf_addf(o, "%" PRIu64, s->ev->time_ns / OCSF_MS_NS);
	return 1;
}

/* metadata */
static int v_schema_version(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, OCSF_VERSION);
}

static int v_product_name(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, "custos");
}

static int v_product_version(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, CUSTOS_VERSION);
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

static int v_log_name(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, JSON_SCHEMA);
}

/* the finding */
static int v_finding_uid(struct sbuf *o, const struct ocsf_src *s)
{
	char buf[300];

	snprintf(buf, sizeof(buf), "%s:%" PRIu64, host(s) ? host(s) : "custos", s->meta->seq);
	return v_cstr(o, buf);
}

static int v_rule_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, s->rule->id);
}

static int v_tags(struct sbuf *o, const struct ocsf_src *s)
{
	if (!s->rule->n_tags)
		return 0;
	json_add_cstr_list(o, s->rule->tags, s->rule->n_tags);
	return 1;
}

static int v_analytic_type_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, OCSF_ANALYTIC_RULE);
}

static int v_analytic_type(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, "Rule");
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

	return v_int(o, a.class_uid * OCSF_TYPE_UID_SCALE + a.activity_id);
}

static int v_evidence_type(struct sbuf *o, const struct ocsf_src *s)
{
	struct ocsf_activity a = evidence_activity(s);
	char buf[64];

	snprintf(buf, sizeof(buf), "%s: %s", a.class_name, a.activity_name);
	return v_cstr(o, buf);
}

/* the outcome (security_control profile) */
static int v_action_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, s->blocked ? OCSF_DENIED : OCSF_ALLOWED);
}

static int v_action(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, s->blocked ? "Denied" : "Allowed");
}

static int v_disposition_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, s->blocked ? OCSF_DISP_BLOCKED : OCSF_DISP_ALERT);
}

static int v_disposition(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, s->blocked ? "Blocked" : "Alert");
}

static int v_device_type_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, OCSF_DEVICE_TYPE_UNKNOWN);
}

static int v_unknown(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, "Unknown");
}

/* --- processes ------------------------------------------------------------------ */

static int view_self(const struct ocsf_src *s, struct ocsf_proc *p)
{
	const struct cev_process *pr = &s->ev->proc;

	*p = (struct ocsf_proc){ .pid = pr->pid, .tid = pr->tid, .comm = pr->comm,
				 .exe = &pr->exe, .args = &pr->args, .has_user = 1,
				 .uid = pr->uid, .user = pr->user, .cgroup = pr->cgroup,
				 .container_id = pr->container_id, .parent_of = s->ev };
	return 1;
}

/* the exec's launcher: the parent, as far as the record knows it */
static int view_launcher(const struct ocsf_src *s, struct ocsf_proc *p)
{
	const struct cev_event *ev = s->ev;

	*p = (struct ocsf_proc){ .pid = ev->has_parent ? ev->parent.pid : ev->proc.ppid };
	if (ev->has_parent) {
		p->exe = &ev->parent.exe;
		p->args = &ev->parent.args;
	}
	return 1;
}

/* parent_process of a process that has one */
static int view_parent(const struct ocsf_src *s, struct ocsf_proc *p)
{
	const struct cev_event *ev = s->proc->parent_of;

	if (!ev)
		return 0;
	*p = (struct ocsf_proc){ .pid = ev->has_parent ? ev->parent.pid : ev->proc.ppid };
	if (ev->has_parent) {
		p->exe = &ev->parent.exe;
		p->args = &ev->parent.args;
	}
	return 1;
}

static int v_pid(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, s->proc->pid);
}

static int v_tid(struct sbuf *o, const struct ocsf_src *s)
{
	return s->proc->tid && v_int(o, s->proc->tid);
}

static int v_comm(struct sbuf *o, const struct ocsf_src *s)
{
	if (!s->proc->comm)
		return 0;
	json_escape_bytes(o, s->proc->comm, strnlen(s->proc->comm, sizeof(s->ev->proc.comm)));
	return 1;
}

static int has_exe(const struct ocsf_src *s)
{
	return s->proc->exe && s->proc->exe->p && s->proc->exe->len;
}

static int v_regular_file_type_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, OCSF_FILE_TYPE_REGULAR);
}

static int v_regular_file_type(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, "Regular File");
}

/* basename of a path, as a JSON string */
static void base_name(struct sbuf *o, const struct cev_str *p)
{
	const char *slash = memrchr(p->p, '/', p->len);

	if (slash)
		json_escape_bytes(o, slash + 1, (size_t)(p->p + p->len - slash - 1));
	else
		json_escape_bytes(o, p->p, p->len);
}

static int v_exe_type_id(struct sbuf *o, const struct ocsf_src *s)
{
	return has_exe(s) && v_regular_file_type_id(o, s);
}

static int v_exe_type(struct sbuf *o, const struct ocsf_src *s)
{
	return has_exe(s) && v_regular_file_type(o, s);
}

static int v_exe_name(struct sbuf *o, const struct ocsf_src *s)
{
	if (!has_exe(s))
		return 0;
	base_name(o, s->proc->exe);
	return 1;
}

static int v_exe_path(struct sbuf *o, const struct ocsf_src *s)
{
	if (!has_exe(s))
		return 0;
	json_add_str(o, s->proc->exe);
	return 1;
}

/* argv joined by single spaces: OCSF's cmd_line (the exact argv is custos.event/1's) */
static int v_cmd_line(struct sbuf *o, const struct ocsf_src *s)
{
	struct sbuf tmp = SBUF_INIT;
	uint32_t pos = 0;
	const char *p;
	size_t n;

	if (!s->proc->args)
		return 0;
	while (cev_args_next(s->proc->args, &pos, &p, &n)) {
		if (tmp.len)
			sbuf_addc(&tmp, ' ');
		sbuf_add(&tmp, p, n);
	}
	json_escape_bytes(o, tmp.p ? tmp.p : "", tmp.len);
	sbuf_free(&tmp);
	return 1;
}

static int v_user_uid(struct sbuf *o, const struct ocsf_src *s)
{
	if (!s->proc->has_user)
		return 0;
	sbuf_addf(o, "\"%" PRIu32 "\"", s->proc->uid);	/* a string, as OCSF wants */
	return 1;
}

static int v_user_name(struct sbuf *o, const struct ocsf_src *s)
{
	return s->proc->has_user && v_cstr(o, s->proc->user);
}

static int v_cgroup(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, s->proc->cgroup);
}

static int v_container_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, s->proc->container_id);
}

static int v_lineage(struct sbuf *o, const struct ocsf_src *s)
{
	const struct cev_event *ev = s->proc->parent_of;

	if (!ev)
		return 0;
	json_add_str_list(o, ev->ancestors, ev->n_ancestors);
	return 1;
}

static const struct ocsf_attr process_attrs[];

static const struct ocsf_attr parent_attrs[] = {
	LEAF("pid", K_ALL, v_pid),
	LEAF("file.type_id", K_ALL, v_exe_type_id),
	LEAF("file.type", K_ALL, v_exe_type),
	LEAF("file.name", K_ALL, v_exe_name),
	LEAF("file.path", K_ALL, v_exe_path),
	LEAF("cmd_line", K_ALL, v_cmd_line),
	{ .path = NULL },
};

static const struct ocsf_attr process_attrs[] = {
	LEAF("pid", K_ALL, v_pid),
	LEAF("tid", K_ALL, v_tid),
	LEAF("name", K_ALL, v_comm),
	LEAF("file.type_id", K_ALL, v_exe_type_id),
	LEAF("file.type", K_ALL, v_exe_type),
	LEAF("file.name", K_ALL, v_exe_name),
	LEAF("file.path", K_ALL, v_exe_path),
	LEAF("cmd_line", K_ALL, v_cmd_line),
	LEAF("user.uid", K_ALL, v_user_uid),
	LEAF("user.name", K_ALL, v_user_name),
	LEAF("xattributes.cgroup", K_ALL, v_cgroup),
	LEAF("container.uid", K_ALL, v_container_id),	/* container profile */
	SUB("parent_process", K_ALL, parent_attrs, view_parent),
	LEAF("lineage", K_ALL, v_lineage),
	{ .path = NULL },
};

/* --- files and endpoints --------------------------------------------------------- */

static int v_file_type_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, s->ev->file.unresolved ? 0 : OCSF_FILE_TYPE_REGULAR);
}

static int v_file_type(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, s->ev->file.unresolved ? "Unknown" : "Regular File");
}

static int v_file_name(struct sbuf *o, const struct ocsf_src *s)
{
	if (s->ev->file.unresolved || !s->ev->file.path.p)
		return v_cstr(o, "");	/* required; the file is not known */
	base_name(o, &s->ev->file.path);
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
	return v_cstr(o, dest);
}

static int v_dst_port(struct sbuf *o, const struct ocsf_src *s)
{
	return s->ev->conn.proto != CEV_PROTO_RAW && v_int(o, s->ev->conn.port);
}

static int v_outbound_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, OCSF_OUTBOUND);
}

static int v_outbound(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, "Outbound");
}

static unsigned ip_proto(const struct ocsf_src *s)
{
	const struct cev_connect *c = &s->ev->conn;

	return c->proto == CEV_PROTO_RAW ? c->ipproto : c->proto;
}

static int v_protocol_num(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, ip_proto(s));
}

/* OCSF connection_info.protocol_name: the IANA keyword, lower case */
static int v_protocol_name(struct sbuf *o, const struct ocsf_src *s)
{
	switch (ip_proto(s)) {
	case IPPROTO_ICMP: return v_cstr(o, "icmp");
	case IPPROTO_IGMP: return v_cstr(o, "igmp");
	case IPPROTO_TCP: return v_cstr(o, "tcp");
	case IPPROTO_UDP: return v_cstr(o, "udp");
	case IPPROTO_ICMPV6: return v_cstr(o, "ipv6-icmp");
	case IPPROTO_SCTP: return v_cstr(o, "sctp");
	case IPPROTO_RAW: return v_cstr(o, "raw");
	}
	return v_cstr(o, "unknown");
}

static int v_protocol_ver_id(struct sbuf *o, const struct ocsf_src *s)
{
	return v_int(o, s->ev->conn.family == AF_INET6 ? OCSF_IPV6 : OCSF_IPV4);
}

/* --- custos facts OCSF has no attribute for (unmapped) ------------------------------- */

static int v_custos_action(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, s->rule->action);
}

static int v_policy(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, s->meta->policy);
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
	return v_cstr(o, s->ev->file.via);
}

static int v_op(struct sbuf *o, const struct ocsf_src *s)
{
	return s->ev->file.via && v_cstr(o, s->ev->file.op ? s->ev->file.op : "");
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
	return v_cstr(o, s->ev->loss.where);
}

static int v_host_cstr(struct sbuf *o, const struct ocsf_src *s)
{
	return v_cstr(o, host(s));
}

/* --- the record ------------------------------------------------------------------- */

/* Every attribute of a record, in output order (EVENTS-ocsf.md has the same table). */
static const struct ocsf_attr record_attrs[] = {
	LEAF("class_uid", K_ALL, v_class_uid),
	LEAF("class_name", K_ALL, v_class_name),
	LEAF("category_uid", K_ALL, v_category_uid),
	LEAF("category_name", K_ALL, v_category_name),
	LEAF("activity_id", K_ALL, v_activity_id),
	LEAF("activity_name", K_ALL, v_activity_name),
	LEAF("type_uid", K_ALL, v_type_uid),
	LEAF("type_name", K_ALL, v_type_name),
	LEAF("severity_id", K_ALL, v_severity_id),
	LEAF("severity", K_ALL, v_severity),
	LEAF("time", K_ALL, v_time),
	LEAF("message", K_LOSS, v_loss_message),
	LEAF("count", K_LOSS, v_lost),
	LEAF("metadata.version", K_ALL, v_schema_version),
	LEAF("metadata.product.name", K_ALL, v_product_name),
	LEAF("metadata.product.vendor_name", K_ALL, v_product_name),
	LEAF("metadata.product.version", K_ALL, v_product_version),
	LEAF("metadata.profiles", K_ALL, v_profiles),
	LEAF("metadata.sequence", K_ALL, v_seq),
	LEAF("metadata.log_name", K_ALL, v_log_name),
	LEAF("finding_info.uid", K_RULE, v_finding_uid),
	LEAF("finding_info.title", K_RULE, v_rule_id),
	LEAF("finding_info.types", K_RULE, v_tags),
	LEAF("finding_info.analytic.type_id", K_RULE, v_analytic_type_id),
	LEAF("finding_info.analytic.type", K_RULE, v_analytic_type),
	LEAF("finding_info.analytic.uid", K_RULE, v_rule_id),
	LEAF("finding_info.analytic.name", K_RULE, v_rule_id),
	LEAF("finding_info.related_events[].uid", K_RULE, v_finding_uid),
	LEAF("finding_info.related_events[].type_uid", K_RULE, v_evidence_type_uid),
	LEAF("finding_info.related_events[].type", K_RULE, v_evidence_type),
	LEAF("action_id", K_RULE, v_action_id),
	LEAF("action", K_RULE, v_action),
	LEAF("disposition_id", K_RULE, v_disposition_id),
	LEAF("disposition", K_RULE, v_disposition),
	LEAF("device.type_id", K_RULE, v_device_type_id),
	LEAF("device.type", K_RULE, v_unknown),
	LEAF("device.hostname", K_RULE, v_hostname),
	LEAF("device.name", K_RULE, v_hostname_as_name),
	SUB("evidences[].actor.process", K_FILE | K_CONNECT, process_attrs, view_self),
	SUB("evidences[].actor.process", K_EXEC, parent_attrs, view_launcher),
	SUB("evidences[].process", K_EXEC, process_attrs, view_self),
	LEAF("evidences[].file.type_id", K_FILE, v_file_type_id),
	LEAF("evidences[].file.type", K_FILE, v_file_type),
	LEAF("evidences[].file.name", K_FILE, v_file_name),
	LEAF("evidences[].file.path", K_FILE, v_file_path),
	LEAF("evidences[].src_endpoint.hostname", K_CONNECT, v_hostname),
	LEAF("evidences[].src_endpoint.name", K_CONNECT, v_hostname_as_name),
	LEAF("evidences[].dst_endpoint.ip", K_CONNECT, v_dst_ip),
	LEAF("evidences[].dst_endpoint.port", K_CONNECT, v_dst_port),
	LEAF("evidences[].connection_info.direction_id", K_CONNECT, v_outbound_id),
	LEAF("evidences[].connection_info.direction", K_CONNECT, v_outbound),
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
	struct ocsf_writer w = { .out = out, .val = SBUF_INIT };
	size_t start = out->len;
	int err;

	if (!json_kind_name(ev->kind) || !meta || (ev->kind != CEV_LOSS && !rule))
		return -EINVAL;
	s.blocked = refused(ev, rule);
	sbuf_addc(out, '{');
	err = w_table(&w, record_attrs, "", &s);
	w_close(&w, 0);
	sbuf_free(&w.val);
	if (err) {
		out->len = start;
		return err;
	}
	return json_end_line(out, start);
}
