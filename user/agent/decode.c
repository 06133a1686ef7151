/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decode.c - from a ring record to a struct cev_event (decode.h).
 */
#include "agent/decode.h"

#include <errno.h>
#include <string.h>

#include "agent/classes.h"
#include "agent/emit.h"
#include "base/log.h"
#include "agent/exe.h"
#include "events.h"
#include "host/container.h"
#include "host/proc_seed.h"

_Static_assert((int)EV_EXE_MEMFD == (int)PROC_EXE_MEMFD &&
	       (int)EV_EXE_DELETED == (int)PROC_EXE_DELETED &&
	       (int)PROC_EXE_MEMFD == (int)CEV_EXE_MEMFD &&
	       (int)PROC_EXE_DELETED == (int)CEV_EXE_DELETED &&
	       (int)PROC_EXE_LOADER == (int)CEV_EXE_LOADER &&
	       (int)PROC_EXE_ELSEWHERE == (int)CEV_EXE_ELSEWHERE, "one set of exe flags");

static void fill_args(struct cev_args *out, const char *buf, uint32_t len, int trunc)
{
	out->buf = buf;
	out->len = len;
	out->truncated = (uint8_t)trunc;
}

/* The cache entry of the acting process, created from /proc when it is missing. */
static const struct proc_entry *acting_process(struct agent *a, const struct ev_header *h)
{
	const struct proc_entry *e = proc_cache_lookup(&a->procs, h->pid, h->start_ns);

	if (e)
		return e;
	/* started before the seed, or its fork record was lost: read it now */
	if (proc_seed_one(&a->procs, "/proc", h->pid) == 0) {
		e = proc_cache_lookup(&a->procs, h->pid, h->start_ns);
		exe_examine(a, e);
	}
	return e;
}

/* The parent and ancestors (nearest first) of the cache entry e. */
static void fill_lineage(struct agent *a, struct cev_event *ev, const struct proc_entry *e)
{
	const struct proc_entry *line[AGENT_MAX_ANCESTORS];
	size_t n;

	ev->has_parent = 0;
	ev->n_ancestors = 0;
	ev->ancestors = a->ancestors;
	if (!e)
		return;
	n = proc_cache_lineage(&a->procs, e, line, AGENT_MAX_ANCESTORS);
	for (size_t i = 0; i < n; i++) {
		a->ancestors[i].p = line[i]->exe;
		a->ancestors[i].len = line[i]->exe_len;
		a->ancestors[i].truncated = line[i]->exe_truncated;
		a->ancestor_progs[i].id = line[i]->exe_info.id;
		a->ancestor_progs[i].flags = line[i]->exe_info.flags;
	}
	ev->n_ancestors = (uint32_t)n;
	ev->ancestor_progs = a->ancestor_progs;
	if (n > 0) {
		ev->has_parent = 1;
		ev->parent.pid = line[0]->pid;
		ev->parent.exe = a->ancestors[0];
		ev->parent.exe_prog = a->ancestor_progs[0];
		fill_args(&ev->parent.args, line[0]->args, line[0]->args_len,
			  line[0]->args_truncated);
	}
}

/* What the cache knows of a process's program, as the event model says it. */
static void exe_known(struct cev_process *p, const struct proc_exe_info *info,
		      const struct ident *copies, uint32_t n_copies)
{
	p->exe_prog.id = info->id;
	p->exe_prog.flags = info->flags;
	p->n_copies = n_copies < CEV_MAX_COPIES ? n_copies : CEV_MAX_COPIES;
	if (p->n_copies)
		memcpy(p->copies, copies, p->n_copies * sizeof(*copies));
}

/* The acting process of h (its cache entry e, or NULL) and its lineage. */
static void fill_process(struct agent *a, struct cev_event *ev, const struct ev_header *h,
			 const struct proc_entry *e)
{
	struct cev_process *p = &ev->proc;

	ev->time_ns = h->ts_boot_ns + (uint64_t)a->boot_to_real_ns;
	if (a->repeat) {
		ev->repeat = *a->repeat;
		ev->time_ns = a->repeat->first_ns;
	}
	p->pid = h->pid;
	p->tid = h->tid;
	p->ppid = h->ppid;
	p->uid = h->uid;
	p->user = users_name(&a->users, h->uid);
	memcpy(p->comm, h->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	p->cgroup = cgroups_lookup(&a->cgroups, h->cgroup_id);
	if (!p->cgroup &&
	    proc_read_cgroup_path((pid_t)h->pid, a->cgroup_buf, sizeof(a->cgroup_buf)) == 0)
		p->cgroup = a->cgroup_buf;
	if (p->cgroup && container_id_from_cgroup(p->cgroup, a->container_buf,
						  sizeof(a->container_buf)) == 0)
		p->container_id = a->container_buf;
	if (e) {
		p->exe.p = e->exe;
		p->exe.len = e->exe_len;
		p->exe.truncated = e->exe_truncated;
		exe_known(p, &e->exe_info, e->copies, e->n_copies);
		p->prev_exe.p = e->prev_exe;
		p->prev_exe.len = e->prev_exe_len;
		fill_args(&p->args, e->args, e->args_len, e->args_truncated);
	}
	fill_lineage(a, ev, e);
	ev->lineage = classes_local(&a->classes, h->lineage | (e ? e->lineage : 0));
	ev->labels = labels_local(&a->labels, h->labels);
	ev->n_label_info = labels_describe(&a->labels, e, ev->labels, a->label_info,
					   RULE_MAX_LABELS);
	ev->label_info = a->label_info;
	a->acting = e;
	a->acting_start = h->start_ns;
}

/* What an exec record says of its program beyond the path. */
static struct proc_exe_info exec_info(const struct ev_exec *x)
{
	return (struct proc_exe_info){
		.id = { x->exe_dev, x->exe_ino },
		.size = x->exe_size,
		.head = x->exe_head,
		.flags = x->exe_flags & (EV_EXE_MEMFD | EV_EXE_DELETED),
	};
}

/* The program of an exec record as the process's exe and args. */
static void exec_program(struct cev_event *ev, const struct ev_exec *x)
{
	struct proc_exe_info info = exec_info(x);

	ev->proc.exe.p = x->data;
	ev->proc.exe.len = x->exe_len;
	ev->proc.exe.truncated = x->exe_trunc;
	exe_known(&ev->proc, &info, NULL, 0);
	memset(&ev->proc.prev_exe, 0, sizeof(ev->proc.prev_exe));
	fill_args(&ev->proc.args, x->data + x->exe_len, x->args_len, x->args_trunc);
}

/*
 * An exec the exec guard refused (bpf/execguard.bpf.c).  The exec did not
 * happen: the process cache keeps the caller as it was (its pid still runs
 * the old program).  The record is the caller's process with the refused
 * program as exe and args, its parent and ancestors from the cache, one
 * record per block rule that refused it.  Alert rules are not evaluated for
 * an exec that never ran.
 */
static int on_exec_refused(struct agent *a, const struct ev_exec *x)
{
	struct cev_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_EXEC;
	fill_process(a, &ev, &x->h, acting_process(a, &x->h));
	exec_program(&ev, x);
	ev.exec.blocked = 1;
	emit_kernel_verdict(a, &ev, x->rule_mask, x->gen, &a->filters.exec);
	return 0;
}

static int on_exec(struct agent *a, const struct ev_exec *x, size_t size)
{
	const struct proc_entry *e;
	struct proc_exe_info info;
	struct cev_event ev;

	if (size < EV_EXEC_FIXED || (size_t)EV_EXEC_FIXED + x->exe_len + x->args_len > size)
		return -EINVAL;
	if (x->blocked)
		return on_exec_refused(a, x);
	/* a process the cache never saw (its fork record predates us): its parent first */
	if (!proc_cache_lookup(&a->procs, x->h.pid, x->h.start_ns))
		proc_cache_fork(&a->procs, x->h.pid, x->h.ppid, x->h.start_ns);
	proc_cache_exec(&a->procs, x->h.pid, x->h.start_ns, x->data, x->exe_len, x->exe_trunc,
			x->data + x->exe_len, x->args_len, x->args_trunc, x->h.uid);
	info = exec_info(x);
	proc_cache_set_exe_info(&a->procs, x->h.pid, x->h.start_ns, &info);
	e = proc_cache_lookup(&a->procs, x->h.pid, x->h.start_ns);
	exe_examine(a, e);
	classes_after(&a->classes, &a->procs, e, x->h.lineage, 1);
	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_EXEC;
	fill_process(a, &ev, &x->h, e);
	if (!e)		/* out of memory in the cache: still report from the record */
		exec_program(&ev, x);
	emit_matches(a, &ev);
	return 0;
}

/*
 * An open the file guard refused (file__lsm, blocked = 1): one record per
 * block rule that refused it.  Alert rules are matched as for any open: the
 * open was attempted (their records say action alert, file.blocked true).
 */
static void on_file_refused(struct agent *a, const struct ev_file *f, struct cev_event *ev)
{
	emit_kernel_verdict(a, ev, f->rule_mask, f->gen, &a->filters.fileguard);
	emit_matches_unblocked(a, ev);
}

/*
 * Where the host sees a file that the kernel walked in another mount
 * namespace or a detached mount: its path inside its filesystem (the
 * mount's root there, then the part inside the mount) looked up in the
 * host's mount table, read again once when the device is not in it (a
 * filesystem mounted since).  Into a->host_path; 0 or -ENOENT.
 */
static int host_path_of(struct agent *a, const struct ev_file *f, const char *fsroot,
			uint32_t fsroot_len)
{
	const char *part = f->data + f->mnt_off;
	uint32_t part_len = f->path_len - f->mnt_off;
	char fs[2 * CUSTOS_PATH_MAX];
	size_t n = 0;
	int rc;

	memcpy(fs, fsroot, fsroot_len);
	n = fsroot_len;
	if (!(part_len == 1 && part[0] == '/')) {	/* the mount's root itself */
		memcpy(fs + n, part, part_len);
		n += part_len;
	}
	sbuf_reset(&a->host_path);
	rc = mounts_host_path(&a->mounts, f->dev, fs, n, &a->host_path);
	if (rc == -ENOENT && mounts_refresh(&a->mounts, 0) == 1) {
		sbuf_reset(&a->host_path);
		rc = mounts_host_path(&a->mounts, f->dev, fs, n, &a->host_path);
	}
	return rc;
}

/*
 * The views of a record's path (events.h, EV_FILE): the process's
 * (file.path), the host's when it differs (file.host_path), and whether
 * the path is whole.  size: the record's, for the filesystem root part.
 */
static void file_views(struct agent *a, const struct ev_file *f, size_t size,
		       struct cev_file *out)
{
	const char *d = f->data;
	uint32_t fsroot_len = f->fsroot_len;

	out->path.p = d + f->task_off;
	out->path.len = f->path_len - f->task_off;
	out->path.truncated = f->path_trunc;
	out->detached = (f->view & (EV_VIEW_DETACHED | EV_VIEW_DISCONNECTED)) != 0;
	if (f->path_trunc || (f->view & EV_VIEW_DISCONNECTED)) {
		out->path_partial = 1;
		return;
	}
	if (f->view & EV_VIEW_HOST) {
		if (f->task_off) {	/* a chroot: the walk's whole is the host's */
			out->host_path.p = d;
			out->host_path.len = f->path_len;
		}
		return;
	}
	if ((size_t)EV_FILE_FIXED + f->path_len + fsroot_len > size)
		fsroot_len = 0;
	if (host_path_of(a, f, d + f->path_len, fsroot_len) == 0 &&
	    (a->host_path.len != out->path.len ||
	     memcmp(a->host_path.p, out->path.p, out->path.len) != 0)) {
		out->host_path.p = a->host_path.p;
		out->host_path.len = (uint32_t)a->host_path.len;
	}
	if (out->detached && !out->host_path.p)
		out->path_partial = 1;	/* relative to a root no view resolves */
}

static int same_str(const struct cev_str *s, const char *p, size_t len)
{
	return s->p && s->len == len && memcmp(s->p, p, len) == 0;
}

/*
 * The file's identity: the path a rule knows it by when it was opened under
 * another name (file.watched_path), and what the record teaches the table
 * (filters/filewatch.h): a file the kernel added when it was created, or
 * one whose path a rule names that the kernel did not know by identity.
 * A file the kernel says is watched but the agent cannot name (its
 * creation's record was lost) has no path to go by: fail closed.
 */
static void file_identity(struct agent *a, const struct ev_file *f, struct cev_event *ev)
{
	struct loader *l = a->opts.no_bpf ? NULL : &a->loader;
	struct cev_file *cf = &ev->file;
	const struct cev_str *own = cf->host_path.p ? &cf->host_path : &cf->path;
	const struct file_id_entry *e;

	cf->dev = f->dev;
	cf->ino = f->ino;
	cf->has_identity = 1;
	e = filewatch_lookup(&a->fwatch, f->dev, f->ino, f->i_gen);
	if (e && !same_str(&cf->path, e->path, e->path_len) &&
	    !same_str(&cf->host_path, e->path, e->path_len)) {
		cf->watched_path.p = e->path;
		cf->watched_path.len = e->path_len;
	}
	if (cf->path_partial) {
		return;
	} else if (f->watch & EV_WATCH_ADDED) {
		filewatch_learn(&a->fwatch, l, f->dev, f->ino, f->i_gen, FILE_WATCH_ADDED, own->p,
				own->len);
	} else if (!e && (f->watch & EV_WATCH_IDENT)) {
		cf->path_partial = 1;
	} else if (!e && rule_set_path_named(a->rules, own->p, own->len)) {
		filewatch_learn(&a->fwatch, l, f->dev, f->ino, f->i_gen, FILE_WATCH_LEARNED,
				own->p, own->len);
	}
}

static int on_file(struct agent *a, const struct ev_file *f, size_t size)
{
	struct cev_event ev;

	if (size < EV_FILE_FIXED || (size_t)EV_FILE_FIXED + f->path_len > size ||
	    f->task_off > f->path_len || f->mnt_off > f->path_len)
		return -EINVAL;
	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_FILE;
	fill_process(a, &ev, &f->h, acting_process(a, &f->h));
	file_views(a, f, size, &ev.file);
	file_identity(a, f, &ev);
	if (log_max() >= LOG_DEBUG)
		log_debug("decode: open by pid %u: view %#x watch %#x task_off %u mnt_off %u "
			  "fsroot %u path_len %u%s", f->h.pid, f->view, f->watch, f->task_off,
			  f->mnt_off, f->fsroot_len, f->path_len,
			  ev.file.path_partial ? " (path not whole)" : "");
	ev.file.flags = f->flags;
	ev.file.access = (f->access & EV_ACC_READ ? CEV_ACC_READ : 0) |
			 (f->access & EV_ACC_WRITE ? CEV_ACC_WRITE : 0) |
			 (f->access & EV_ACC_CREATE ? CEV_ACC_CREATE : 0);
	ev.file.blocked = f->blocked;
	if (f->blocked)
		on_file_refused(a, f, &ev);
	else
		emit_matches(a, &ev);
	return 0;
}

/* An io_uring open submitted, seen without its file (tracepoint backends). */
static int on_iouring(struct agent *a, const struct ev_iouring *u, size_t size)
{
	struct cev_event ev;

	if (size < sizeof(*u))
		return -EINVAL;
	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_FILE;
	fill_process(a, &ev, &u->h, acting_process(a, &u->h));
	ev.file.path.p = "";
	ev.file.unresolved = 1;
	ev.file.via = "io_uring";
	ev.file.op = u->opcode == EV_IORING_OP_OPENAT2 ? "openat2" : "openat";
	emit_matches(a, &ev);
	return 0;
}

/* A connect or send the egress decision flagged: its rule slots in rule_mask. */
static int on_connect(struct agent *a, const struct ev_connect *c, size_t size)
{
	struct cev_event ev;

	if (size < EV_CONNECT_FIXED || (size_t)EV_CONNECT_FIXED + c->name_len > size ||
	    c->name_len >= sizeof(a->dest_name_buf))
		return -EINVAL;
	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_CONNECT;
	if (c->name_len) {
		memcpy(a->dest_name_buf, c->name, c->name_len);
		a->dest_name_buf[c->name_len] = '\0';
		ev.conn.dest_name = a->dest_name_buf;
	}
	fill_process(a, &ev, &c->h, acting_process(a, &c->h));
	ev.conn.family = c->family;
	ev.conn.proto = c->proto;
	ev.conn.ipproto = c->ipproto;
	ev.conn.port = c->port;
	ev.conn.blocked = c->blocked;
	memcpy(ev.conn.addr, c->addr, sizeof(ev.conn.addr));
	emit_kernel_verdict(a, &ev, c->rule_mask, c->gen, &a->filters.net);
	return 0;
}

/* A socket made or a source route set that the egress decision flagged. */
static int on_socket(struct agent *a, const struct ev_socket *k, size_t size)
{
	struct cev_event ev;

	if (size < sizeof(*k))
		return -EINVAL;
	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_SOCKET;
	fill_process(a, &ev, &k->h, acting_process(a, &k->h));
	ev.sock.family = k->family;
	ev.sock.type = k->type;
	ev.sock.ipproto = k->ipproto;
	ev.sock.proto = k->proto;
	ev.sock.op = k->op;
	ev.sock.blocked = k->blocked;
	ev.sock.hop_family = k->hop_family;
	memcpy(ev.sock.hop, k->addr, sizeof(ev.sock.hop));
	emit_kernel_verdict(a, &ev, k->rule_mask, k->gen, &a->filters.net);
	return 0;
}

/* A new process: the cache's copy of its parent, and what the kernel lacks of its lineage. */
static int on_fork(struct agent *a, const struct ev_header *h, size_t size)
{
	int rc;

	if (size < sizeof(struct ev_fork))
		return -EINVAL;
	rc = proc_cache_fork(&a->procs, h->pid, h->ppid, h->start_ns);
	classes_after(&a->classes, &a->procs, proc_cache_lookup(&a->procs, h->pid, h->start_ns),
		      h->lineage, 0);
	return rc;
}

int agent_handle_record(struct agent *a, const void *data, size_t size)
{
	const struct ev_header *h = data;
	int rc;

	if (!a->repeat)
		a->counters.records_in++;
	if (size < sizeof(*h) || h->abi != CUSTOS_ABI_VERSION || h->size > size) {
		a->counters.records_bad++;
		return 0;
	}
	if (!a->repeat)	/* the first of its coalescing window, maybe */
		flow_remember(&a->flow, data, h->size);
	switch (h->type) {
	case EV_EXEC:
		rc = on_exec(a, data, h->size);
		break;
	case EV_FORK:
		rc = on_fork(a, h, size);
		break;
	case EV_EXIT:
		proc_cache_exit(&a->procs, h->pid, h->start_ns);
		classes_exit(&a->classes, h->pid, h->start_ns);
		rc = 0;
		break;
	case EV_FILE:
		rc = on_file(a, data, h->size);
		break;
	case EV_CONNECT:
		rc = on_connect(a, data, h->size);
		break;
	case EV_IOURING:
		rc = on_iouring(a, data, h->size);
		break;
	case EV_SOCKET:
		rc = on_socket(a, data, h->size);
		break;
	default:
		rc = -EINVAL;
	}
	if (rc == -EINVAL)
		a->counters.records_bad++;
	return 0;
}

int agent_handle_repeat(struct agent *a, const void *data, size_t size,
			const struct cev_repeat *rep)
{
	a->repeat = rep;
	agent_handle_record(a, data, size);
	a->repeat = NULL;
	return 0;
}
