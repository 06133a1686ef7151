// SPDX-License-Identifier: GPL-2.0-only
/*
 * execguard.bpf.c - refuses an exec that an exec block rule names, in the
 * BPF LSM hook (family opt_execguard__lsm: only the lsm backend has it; the
 * loader leaves it out elsewhere and the agent says the rules report only).
 *
 * Why bprm_check_security and not bprm_creds_for_exec: it runs for every
 * binary handler level, so for a script both the script and its interpreter
 * pass through it (bprm->file is the one being loaded at that level), and a
 * rule naming /usr/bin/python3 also refuses ./tool.py.  The exec records of
 * execs that happen name mm->exe_file, i.e. the interpreter; a rule naming the
 * script itself refuses it here too.  bprm_creds_for_exec runs once, for the
 * file execve() named, and would miss the interpreter.  Both run before the
 * point of no return, so execve() returns -EPERM to the caller, and
 * current->mm is still the caller's: the argv pointers the caller passed are
 * readable from its syscall registers.
 *
 * The decision reads the maps user/filters/exec.c writes (contract:
 * filter_maps.h, "The guards").  A refused exec is sent as an EV_EXEC with
 * blocked = 1 (events.h); an exec that happens is sent by exec.bpf.c from
 * sched_process_exec as before, so no exec is reported twice.
 */
#include "exe.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define EXEC_ARGV_MAX 64	/* argv entries read for a refused exec */

/* x86_64 syscall numbers of execve and execveat */
#define NR_EXECVE 59
#define NR_EXECVEAT 322

/* argv of the execve/execveat this hook runs in, from the caller's memory. */
static __noinline __u32 read_argv(struct ev_exec *e, __u32 exe_len, __u8 *trunc)
{
	struct pt_regs *regs;
	const char *const *argv;
	__u32 alen = 0;
	long nr;

	*trunc = 0;
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return 0;	/* before 5.15: args stay empty (docs/EVENTS.md) */
#if defined(__TARGET_ARCH_x86)
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs)
		return 0;
	nr = BPF_CORE_READ(regs, orig_ax);
	if (nr == NR_EXECVE)
		argv = (const char *const *)BPF_CORE_READ(regs, si);
	else if (nr == NR_EXECVEAT)
		argv = (const char *const *)BPF_CORE_READ(regs, dx);
	else
		return 0;	/* an exec the kernel started (no user argv) */
	for (int i = 0; i < EXEC_ARGV_MAX; i++) {
		const char *arg = NULL;
		__u32 room;
		long n;

		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			return alen;
		room = CUSTOS_ARGS_MAX - alen;
		if (alen >= CUSTOS_ARGS_MAX || room == 0) {
			*trunc = 1;
			return alen;
		}
		n = bpf_probe_read_user_str(&e->data[(exe_len + alen) & (2 * CUSTOS_PATH_MAX - 1)],
					    room & (2 * CUSTOS_ARGS_MAX - 1), arg);
		if (n <= 0)
			return alen;
		if ((__u32)n >= room)
			*trunc = 1;	/* cut at the limit (its NUL kept) */
		alen += (__u32)n;
		if (*trunc)
			return alen;
	}
	*trunc = 1;	/* more than EXEC_ARGV_MAX entries */
#endif
	return alen;
}

/*
 * The exec_heads bits of the program execve() read head (bprm->buf) of
 * (filter_maps.h, "exe_content"): a copy of a listed program has its
 * fingerprint.
 */
static __always_inline void head_bits(struct scratch *s, struct file *f, const void *head,
				      struct guard_bits *out)
{
	struct exe_head_key k = {};
	struct guard_bits *b;

	__builtin_memset(out, 0, sizeof(*out));
	if (!s || !f)
		return;
	k.size = BPF_CORE_READ(f, f_inode, i_size);
	k.head = exe_head_of(s, head, k.size);
	b = bpf_map_lookup_elem(&exec_heads, &k);
	if (b)
		*out = *b;
}

/*
 * The refusing rule slots for this exec (filter_maps.h, "The guards"); hb
 * the program's exec_heads bits.  Not inlined: its stack is not added to
 * path_walk()'s (512 bytes in all).
 */
static __noinline __u64 decide(struct file *f, struct task_struct *task, struct guard_conf *c,
			       const struct guard_bits *hb)
{
	struct guard_bits x, p;
	struct guard_uid_bits *u;
	struct file *pf;
	__u64 when, holds, uw = 0, uu = 0;
	__u32 uid;

	if (!c || !hb)
		return 0;
	guard_bits_of(&exec_ids, &exec_names, f, &x);
	x.exe_when |= hb->exe_when;
	x.exe_unless |= hb->exe_unless;
	pf = BPF_CORE_READ(task, real_parent, mm, exe_file);
	guard_bits_of(&exec_ids, &exec_names, pf, &p);
	uid = (__u32)bpf_get_current_uid_gid();
	u = bpf_map_lookup_elem(&exec_uids, &uid);
	if (u) {
		uw = u->when;
		uu = u->unless;
	}
	when = c->active & (x.exe_when | ~c->need_exe) & (p.parent_when | ~c->need_parent) &
	       (uw | ~c->need_uid);
	if (!when)
		return 0;
	holds = c->cond_valid & (x.exe_unless | ~c->cond_need_exe) &
		(p.parent_unless | ~c->cond_need_parent) & (uu | ~c->cond_need_uid);
	guard_state_terms(c, bpf_get_current_pid_tgid() >> 32, task_start_ns(task), &when, &holds);
	return when & ~guard_suppressed(holds, c->cond_owner);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(opt_execguard__lsm, struct linux_binprm *bprm, int ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct guard_conf *c;
	struct guard_bits hb;
	struct scratch *s;
	struct ev_exec *e;
	struct file *f;
	__u64 refused, size;
	__u32 zero = 0, exe_len, alen;
	__u8 atrunc = 0;

	if (ret)	/* an earlier BPF LSM program decided */
		return lsm_ret(ret);
	c = bpf_map_lookup_elem(&exec_conf, &zero);
	if (!c || !c->active)
		return 0;
	f = BPF_CORE_READ(bprm, file);
	s = scratch_at(scratch_claim());
	if (c->any_heads && !s)
		stat_inc(STAT_UNJUDGED_EXEC);	/* judged without its head: reported */
	if (c->any_heads)
		head_bits(s, f, __builtin_preserve_access_index(&bprm->buf), &hb);
	else
		__builtin_memset(&hb, 0, sizeof(hb));
	refused = decide(f, task, c, &hb);
	if (!refused) {
		if (s)
			scratch_release(s);
		return 0;
	}

	stat_inc(STAT_EXEC_BLOCK);
	if (!s) {
		count_unbuilt(EV_EXEC);
		return -EPERM;
	}
	e = &s->exec;
	header_fill(&e->h, EV_EXEC, 0, task);
	e->parent_start_ns = task_start_ns(BPF_CORE_READ(task, real_parent));
	e->exe_trunc = 0;
	e->blocked = 1;
	e->rule_mask = refused;
	e->gen = (__u16)c->gen;
	__builtin_memset(e->pad2, 0, sizeof(e->pad2));
	exe_len = exe_fill(s, e, f, __builtin_preserve_access_index(&bprm->buf));
	if (exe_len > CUSTOS_PATH_MAX)
		exe_len = CUSTOS_PATH_MAX;
	alen = read_argv(e, exe_len, &atrunc);
	if (alen > CUSTOS_ARGS_MAX)
		alen = CUSTOS_ARGS_MAX;
	e->args_trunc = atrunc;
	e->exe_len = exe_len;
	e->args_len = alen;
	size = EV_EXEC_FIXED + exe_len + alen;
	/* clang knows size fits and drops the compare below; the verifier needs
	 * to see it, so hide the value from clang first */
	asm volatile("" : "+r"(size));
	if (size > sizeof(*e))
		size = sizeof(*e);
	e->h.size = size;
	emit(e, size);
	scratch_release(s);
	return -EPERM;
}
