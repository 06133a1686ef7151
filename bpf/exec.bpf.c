// SPDX-License-Identifier: GPL-2.0-only
/*
 * exec.bpf.c - process lineage: exec, fork, exit.
 *
 * Every exec is sent (no pre-filter): the agent's process cache needs each
 * program's path for parent_exe / ancestor_exe, and exec rules match on it.
 * The executable's path comes from the new mm->exe_file, walked in the kernel
 * (path.bpf.h), never from the user-space filename string, with its identity,
 * fingerprint and flags (exe.bpf.h); argv is read from the new mm's arg area.
 *
 * The per-process state (filter_maps.h, "Per-process state") is kept here:
 * lineage classes and labels copied to a child at fork, classes folded at
 * exec (labels kept), both deleted at exit.
 *
 * Two variants of each hook, the loader picks one set (loader.c):
 *   tp_btf/...         BTF-typed tracepoints (5.5+), cheapest
 *   raw_tracepoint/... the same tracepoints, untyped arguments, any 5.x
 */
#include "exe.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Tunables shared by every object; documented in common.bpf.h. */
const volatile __u32 wakeup_bytes = 0;

/* The exec folds the program the process ran into its lineage (filter_maps.h). */
static __always_inline void state_exec(__u32 tgid, __u64 start_ns)
{
	struct proc_class *c = proc_class_of(tgid, start_ns);

	if (c && c->self) {
		c->lineage |= c->self;
		c->self = 0;
	}
}

static __always_inline int on_exec(struct linux_binprm *bprm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ev_exec *e;
	struct scratch *s;
	__u64 arg_start, arg_end, alen;
	__u32 exe_len, size;

	stat_inc(STAT_EXEC_SEEN);
	state_exec(bpf_get_current_pid_tgid() >> 32, task_start_ns(task));
	s = scratch_at(scratch_claim());
	if (!s) {
		count_unbuilt(EV_EXEC);
		return 0;
	}
	e = &s->exec;
	header_fill(&e->h, EV_EXEC, 0, task);
	e->parent_start_ns = task_start_ns(BPF_CORE_READ(task, real_parent));
	e->exe_trunc = 0;
	e->args_trunc = 0;
	e->blocked = 0;
	e->rule_mask = 0;
	e->gen = 0;
	__builtin_memset(e->pad2, 0, sizeof(e->pad2));

	exe_len = exe_fill(s, e, BPF_CORE_READ(task, mm, exe_file),
			   bprm ? __builtin_preserve_access_index(&bprm->buf) : NULL);
	if (exe_len > CUSTOS_PATH_MAX)
		exe_len = CUSTOS_PATH_MAX;

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	alen = arg_end > arg_start ? arg_end - arg_start : 0;
	if (alen > CUSTOS_ARGS_MAX) {
		alen = CUSTOS_ARGS_MAX;
		e->args_trunc = 1;
	}
	if (alen && bpf_probe_read_user(&e->data[exe_len & (2 * CUSTOS_PATH_MAX - 1)],
					alen & (2 * CUSTOS_ARGS_MAX - 1),
					(void *)arg_start))
		alen = 0;
	e->exe_len = exe_len;
	e->args_len = alen;
	size = EV_EXEC_FIXED + exe_len + (__u32)alen;
	if (size > sizeof(*e))
		size = sizeof(*e);
	e->h.size = size;
	emit(e, size);
	scratch_release(s);
	return 0;
}

/*
 * The child's state from its parent's (filter_maps.h); returns the child's
 * lineage for its fork record's header.
 */
static __always_inline __u64 state_fork(struct task_struct *parent, __u32 tgid, __u64 start_ns)
{
	struct proc_class *p = proc_class_of(BPF_CORE_READ(parent, tgid), task_start_ns(parent));
	struct proc_class c = {};

	if (!p || !(p->self | p->lineage))
		return 0;
	c.start_ns = start_ns;
	c.self = p->self;
	c.lineage = p->lineage | p->self;
	if (bpf_map_update_elem(&proc_class, &tgid, &c, BPF_ANY)) {
		stat_inc(STAT_PROC_FULL);
		return 0;
	}
	return c.lineage;
}

/* The child inherits its parent's labels, with the times they were set. */
static __always_inline void labels_fork(struct task_struct *parent, __u32 tgid, __u64 start_ns)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	struct proc_label *p = bpf_map_lookup_elem(&proc_label, &ptgid);
	struct scratch *s;
	struct proc_label *c;

	if (!p || !p->labels || p->start_ns != task_start_ns(parent))
		return;
	/* the value is too big for the stack: built in the per-CPU scratch */
	s = scratch_at(scratch_claim());
	if (!s) {
		stat_inc(STAT_PROC_FULL);
		return;
	}
	c = (struct proc_label *)s->walk;
	__builtin_memcpy(c, p, sizeof(*c));
	c->start_ns = start_ns;
	if (bpf_map_update_elem(&proc_label, &tgid, c, BPF_ANY))
		stat_inc(STAT_PROC_FULL);
	scratch_release(s);
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	struct ev_fork f = {};
	__u32 pid = BPF_CORE_READ(child, pid);
	__u32 tgid = BPF_CORE_READ(child, tgid);

	if (pid != tgid)	/* a new thread, not a new process */
		return 0;
	header_fill(&f.h, EV_FORK, sizeof(f), parent);
	/* the header describes the child */
	f.h.pid = tgid;
	f.h.tid = pid;
	f.h.ppid = BPF_CORE_READ(parent, tgid);
	f.h.start_ns = BPF_CORE_READ(child, start_boottime);
	if (!bpf_core_field_exists(child->start_boottime))
		f.h.start_ns = BPF_CORE_READ(child, start_time);
	f.h.lineage = state_fork(parent, tgid, f.h.start_ns);
	labels_fork(parent, tgid, f.h.start_ns);
	f.h.labels = labels_held(tgid, f.h.start_ns);
	f.parent_start_ns = task_start_ns(parent);
	emit(&f, sizeof(f));
	return 0;
}

static __always_inline int on_exit(struct task_struct *task)
{
	struct ev_exit x = {};

	/* only when the last thread of the process is gone */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	header_fill(&x.h, EV_EXIT, sizeof(x), task);
	bpf_map_delete_elem(&proc_class, &x.h.pid);
	bpf_map_delete_elem(&proc_label, &x.h.pid);
	x.exit_code = BPF_CORE_READ(task, exit_code);
	emit(&x, sizeof(x));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec__btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(bprm);
}

SEC("raw_tracepoint/sched_process_exec")
int exec__raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_exec((struct linux_binprm *)ctx->args[2]);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork__btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

SEC("raw_tracepoint/sched_process_fork")
int fork__raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_fork((struct task_struct *)ctx->args[0], (struct task_struct *)ctx->args[1]);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit__btf, struct task_struct *p)
{
	return on_exit(p);
}

SEC("raw_tracepoint/sched_process_exit")
int exit__raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_exit((struct task_struct *)ctx->args[0]);
}
