/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fileguard.bpf.h - the file block decision (filter_maps.h, "The guards"),
 * taken by file__lsm (file.bpf.c) in the BPF LSM hook file_open before it
 * reports the open.
 *
 * Why inside file__lsm and not a second program on lsm/file_open: the
 * refused open must be reported once, by the program that builds file
 * records (flags from the open syscall's registers, the path walk).  Two
 * programs on one hook would have to agree through a side map on who
 * reports, and would depend on the order the kernel's trampoline runs them
 * in, which is not an interface.  One program decides, then reports the
 * open (refused or not) exactly once.  Only the lsm variant refuses: the
 * fentry/tracepoint variants cannot change a return value.
 *
 * Included by file.bpf.c only.
 */
#ifndef CUSTOS_FILEGUARD_BPF_H
#define CUSTOS_FILEGUARD_BPF_H

#include "path.bpf.h"

/*
 * The tree bits of the file and of every directory above it, up to the
 * task's root, crossing mounts as path_walk() does (a "DIR/STARSTAR" rule
 * matches the reported path).  A walk cut at FILE_WALK_DEPTH adds nothing:
 * the open is then not refused (the matcher still reports it, as alert).
 */
static __noinline void fileguard_tree(struct file *file, struct guard_bits *out)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *root_dentry = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct mount *mnt = real_mount_of(vfsmnt);
	__u64 when = 0, unless = 0;

	for (int i = 0; i < FILE_WALK_DEPTH; i++) {
		struct file_ident id = {};
		struct guard_bits *b;
		struct dentry *parent;

		id.dev = BPF_CORE_READ(dentry, d_sb, s_dev);
		id.ino = BPF_CORE_READ(dentry, d_inode, i_ino);
		b = bpf_map_lookup_elem(&fileguard_ids, &id);
		if (b) {
			when |= b->tree_when;
			unless |= b->tree_unless;
		}
		if (dentry == root_dentry && vfsmnt == root_mnt)
			goto done;
		if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
			struct mount *pmnt = BPF_CORE_READ(mnt, mnt_parent);

			if (pmnt == mnt)
				goto done;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = pmnt;
			vfsmnt = (struct vfsmount *)((char *)pmnt +
						     bpf_core_field_offset(struct mount, mnt));
			continue;
		}
		parent = BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry)
			goto done;
		dentry = parent;
	}
	return;		/* cut short: nothing proven */
done:
	out->tree_when = when;
	out->tree_unless = unless;
}

/*
 * The file guard's rule slots that hold for this open (0: none); *gen the
 * rule set that numbered them.  labels 0: its block rules (refuse the
 * open); 1: its label rules (label the process).  Not inlined: its stack
 * is not added to the caller's path walk.  The agent's own opens are never
 * refused nor labelled.
 */
static __noinline __u64 fileguard_decide(struct file *file, __u16 *gen, int labels)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct guard_bits f, x, p;
	struct guard_uid_bits *u;
	struct guard_conf *c;
	__u64 when, holds, consider, aw = 0, au = 0, uw = 0, uu = 0;
	__u32 zero = 0, uid, fmode;

	*gen = 0;
	c = bpf_map_lookup_elem(&fileguard_conf, &zero);
	if (!c || !file)
		return 0;
	consider = c->active & (labels ? c->label : c->block);
	if (!consider)
		return 0;
	if (self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	guard_bits_of(&fileguard_ids, &fileguard_names, file, &f);
	f.tree_when = f.tree_unless = 0;	/* from fileguard_tree, file included */
	if (c->any_tree)
		fileguard_tree(file, &f);
	when = consider & (f.path_when | f.tree_when | ~c->need_path);
	if (!when)
		return 0;	/* the common case: no rule names this file */
	fmode = BPF_CORE_READ(file, f_mode);
	if (fmode & FMODE_READ) {
		aw |= c->acc_read;
		au |= c->cond_acc_read;
	}
	if (fmode & FMODE_WRITE) {
		aw |= c->acc_write;
		au |= c->cond_acc_write;
	}
	if (fmode & FMODE_CREATED) {
		aw |= c->acc_create;
		au |= c->cond_acc_create;
	}
	guard_bits_of(&fileguard_ids, &fileguard_names, BPF_CORE_READ(task, mm, exe_file), &x);
	guard_bits_of(&fileguard_ids, &fileguard_names,
		      BPF_CORE_READ(task, real_parent, mm, exe_file), &p);
	uid = (__u32)bpf_get_current_uid_gid();
	u = bpf_map_lookup_elem(&fileguard_uids, &uid);
	if (u) {
		uw = u->when;
		uu = u->unless;
	}
	when &= (aw | ~c->need_access) & (x.exe_when | ~c->need_exe) &
		(p.parent_when | ~c->need_parent) & (uw | ~c->need_uid);
	if (!when)
		return 0;
	holds = c->cond_valid & (f.path_unless | f.tree_unless | ~c->cond_need_path) &
		(au | ~c->cond_need_access) & (x.exe_unless | ~c->cond_need_exe) &
		(p.parent_unless | ~c->cond_need_parent) & (uu | ~c->cond_need_uid);
	guard_state_terms(c, bpf_get_current_pid_tgid() >> 32, task_start_ns(task), &when, &holds);
	*gen = (__u16)c->gen;
	return when & ~guard_suppressed(holds, c->cond_owner);
}

/* The labels the fired label rules give (slot_labels of each). */
static __always_inline __u64 fileguard_labels(__u64 fired)
{
	struct guard_conf *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&fileguard_conf, &zero);
	return c ? slots_of(fired, c->slot_labels, GUARD_MAX_RULES) : 0;
}

#endif
