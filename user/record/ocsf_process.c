/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocsf_process.c - the OCSF process object's rows (ocsf_table.h): the acting
 * process, an exec's launcher, a parent_process.
 */
#include "record/ocsf_table.h"

#include <inttypes.h>
#include <string.h>

int ocsf_view_self(const struct ocsf_src *s, struct ocsf_proc *p)
{
	const struct cev_process *pr = &s->ev->proc;

	*p = (struct ocsf_proc){ .pid = pr->pid, .tid = pr->tid, .comm = pr->comm,
				 .exe = &pr->exe, .args = &pr->args, .has_user = 1,
				 .uid = pr->uid, .user = pr->user, .cgroup = pr->cgroup,
				 .container_id = pr->container_id, .parent_of = s->ev };
	return 1;
}

/* the parent of ev's process, as far as the record knows it */
static void parent_view(const struct cev_event *ev, struct ocsf_proc *p)
{
	*p = (struct ocsf_proc){ .pid = ev->has_parent ? ev->parent.pid : ev->proc.ppid };
	if (ev->has_parent) {
		p->exe = &ev->parent.exe;
		p->args = &ev->parent.args;
	}
}

/* an exec's launcher: the parent of the new program */
int ocsf_view_launcher(const struct ocsf_src *s, struct ocsf_proc *p)
{
	parent_view(s->ev, p);
	return 1;
}

/* parent_process of a process that has one */
static int view_parent(const struct ocsf_src *s, struct ocsf_proc *p)
{
	if (!s->proc->parent_of)
		return 0;
	parent_view(s->proc->parent_of, p);
	return 1;
}

static int v_pid(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_int(o, s->proc->pid);
}

static int v_tid(struct sbuf *o, const struct ocsf_src *s)
{
	return s->proc->tid && ocsf_v_int(o, s->proc->tid);
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

static int v_exe_type_id(struct sbuf *o, const struct ocsf_src *s)
{
	return has_exe(s) && ocsf_v_int(o, OCSF_FILE_TYPE_REGULAR);
}

static int v_exe_type(struct sbuf *o, const struct ocsf_src *s)
{
	return has_exe(s) && ocsf_v_cstr(o, "Regular File");
}

static int v_exe_name(struct sbuf *o, const struct ocsf_src *s)
{
	if (!has_exe(s))
		return 0;
	ocsf_base_name(o, s->proc->exe);
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
	return s->proc->has_user && ocsf_v_cstr(o, s->proc->user);
}

static int v_cgroup(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->proc->cgroup);
}

static int v_container_id(struct sbuf *o, const struct ocsf_src *s)
{
	return ocsf_v_cstr(o, s->proc->container_id);
}

static int v_lineage(struct sbuf *o, const struct ocsf_src *s)
{
	const struct cev_event *ev = s->proc->parent_of;

	if (!ev)
		return 0;
	json_add_str_list(o, ev->ancestors, ev->n_ancestors);
	return 1;
}


const struct ocsf_attr ocsf_parent_attrs[] = {
	LEAF("pid", K_ALL, v_pid),
	LEAF("file.type_id", K_ALL, v_exe_type_id),
	LEAF("file.type", K_ALL, v_exe_type),
	LEAF("file.name", K_ALL, v_exe_name),
	LEAF("file.path", K_ALL, v_exe_path),
	LEAF("cmd_line", K_ALL, v_cmd_line),
	{ .path = NULL },
};

const struct ocsf_attr ocsf_process_attrs[] = {
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
	SUB("parent_process", K_ALL, ocsf_parent_attrs, view_parent),
	LEAF("lineage", K_ALL, v_lineage),
	{ .path = NULL },
};
