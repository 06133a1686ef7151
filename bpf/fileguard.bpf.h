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

/* guard_trees' check word of an entry (filter_maps.h). */
static __always_inline __u64 guard_tree_check(__u64 tag, __u64 when, __u64 unless)
{
	__u64 h = tag ^ when * 0x9e3779b97f4a7c15ull ^ unless * 0xc2b2ae3d27d4eb4full;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

/*
 * The tree bits of directory dp and its ancestors in its filesystem (up to
 * its root, the ones a bind mount's root hides included), or-ed into guard
 * scratch slot's file.tree_*; from guard_trees when it holds them for the
 * directory as it is now (gens: guard_conf.epoch << 32 | file_topo.gen;
 * cache: file_cfg.dir_cache).  0, or -1 when the walk ends at a disconnected
 * dentry or is cut at FILE_WALK_DEPTH: nothing proven.  A global function:
 * the verifier checks its loop once, whichever mount it is called for.
 */
__noinline int guard_fs_tree(__u64 dp, __u32 slot, __u64 gens, __u32 cache)
{
	struct dentry *d = (struct dentry *)dp;
	struct guard_scratch *gs = bpf_map_lookup_elem(&guard_scratch, &slot);
	struct guard_tree_way *way;
	struct super_block *sb;
	__u64 when = 0, unless = 0, tag;
	__u32 i;
	int local;

	if (!gs || !d)
		return -1;
	/* the fields one by one, not dent_read(): its struct would cost this
	 * frame 32 bytes, and file__lsm's calls have 512 in all */
	tag = dentry_tag(dp, (__u64)BPF_CORE_READ(d, d_parent), BPF_CORE_READ(d, d_name.hash_len),
			 (__u64)BPF_CORE_READ(d, d_inode), (__u32)(gens >> 32), (__u32)gens);
	i = dentry_set(dp, GUARD_TREE_SETS);
	way = bpf_map_lookup_elem(&guard_trees, &i);
	if (way) {
		__u64 t = way->tag, w = way->when, u = way->unless, c = way->check;

		if (t == tag && c == guard_tree_check(t, w, u)) {
			gs->file.tree_when |= w;
			gs->file.tree_unless |= u;
			return 0;
		}
	}
	sb = BPF_CORE_READ(d, d_sb);
	gs->key.dev = BPF_CORE_READ(sb, s_dev);
	local = sb_moves_only_by_rename(sb);
	for (int n = 0; n < FILE_WALK_DEPTH; n++) {
		struct guard_bits *b;
		struct dentry *parent;

		gs->key.ino = BPF_CORE_READ(d, d_inode, i_ino);
		b = bpf_map_lookup_elem(&fileguard_ids, &gs->key);
		if (b) {
			when |= b->tree_when;
			unless |= b->tree_unless;
		}
		if (dentry_revalidated(d, local))
			cache = 0;
		parent = BPF_CORE_READ(d, d_parent);
		if (parent != d) {
			d = parent;
			continue;
		}
		if (dentry_disconnected(d))
			return -1;	/* parents not known: nothing proven */
		gs->file.tree_when |= when;
		gs->file.tree_unless |= unless;
		if (cache && way) {
			way->tag = tag;
			way->when = when;
			way->unless = unless;
			way->check = guard_tree_check(tag, when, unless);
		}
		stat_inc(STAT_GUARD_TREE_MISS);
		return 0;
	}
	return -1;		/* cut short: nothing proven */
}

/*
 * The tree bits of the file and of every directory above it: its ancestors
 * in its filesystem up to the filesystem's root (those a bind mount's root
 * hides included), then the mountpoint of its mount and its ancestors, and
 * so on up to the top of the mount tree: not only up to the task's root (a
 * chroot hides nothing), and a detached mount (open_tree) still has its
 * filesystem's ancestors.  The file's own identity is looked up; each
 * filesystem's part above it comes from guard_fs_tree (cached per
 * directory).  A walk cut at FILE_WALK_DEPTH levels in one filesystem or at
 * FILE_MOUNT_DEPTH mounts, or ending at a disconnected dentry, adds
 * nothing: the open is then not refused (the pre-filter sends it and the
 * matcher reports it, as alert).  slot: the caller's guard_scratch slot,
 * whose file.tree_* it fills.
 */
static __always_inline void fileguard_tree(struct file *file, __u32 slot)
{
	struct guard_scratch *gs = bpf_map_lookup_elem(&guard_scratch, &slot);
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct mount *mnt = real_mount_of(BPF_CORE_READ(file, f_path.mnt));
	struct file_cfg *cfg;
	struct guard_conf *c;
	struct dentry *parent;
	struct guard_bits *b;
	__u32 zero = 0, cache;
	__u64 gens;

	cfg = bpf_map_lookup_elem(&file_cfg, &zero);
	c = bpf_map_lookup_elem(&fileguard_conf, &zero);
	if (!gs || !cfg || !c)
		return;
	cache = cfg->dir_cache;
	gens = (__u64)c->epoch << 32 | file_topo_gen();
	gs->key.dev = BPF_CORE_READ(dentry, d_sb, s_dev);
	gs->key.ino = BPF_CORE_READ(dentry, d_inode, i_ino);
	b = bpf_map_lookup_elem(&fileguard_ids, &gs->key);
	if (b) {
		gs->file.tree_when |= b->tree_when;
		gs->file.tree_unless |= b->tree_unless;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (parent != dentry) {
		if (guard_fs_tree((__u64)parent, slot, gens, cache))
			goto unproven;
	} else if (dentry_disconnected(dentry)) {
		goto unproven;
	}
	for (int i = 0; i < FILE_MOUNT_DEPTH; i++) {
		struct mount *pmnt = BPF_CORE_READ(mnt, mnt_parent);

		if (pmnt == mnt)
			return;
		if (guard_fs_tree((__u64)BPF_CORE_READ(mnt, mnt_mountpoint), slot, gens, cache))
			goto unproven;
		mnt = pmnt;
	}
unproven:	/* cut short or disconnected: nothing proven */
	gs->file.tree_when = gs->file.tree_unless = 0;
}

/*
 * A file an open created below a `DIR/STARSTAR` of a block or label rule
 * (tree bits found): its identity gets those bits as its own, so that a
 * hard link or a rename out of DIR made later is judged as the file in DIR
 * would be.  A full map only leaves the link unjudged (the pre-filter still
 * sends its opens).
 */
static __always_inline void fileguard_add(struct file *file, const struct guard_bits *tree)
{
	struct file_ident id = {};
	struct guard_bits b = {};

	if (!(tree->tree_when | tree->tree_unless) ||
	    !(BPF_CORE_READ(file, f_mode) & FMODE_CREATED))
		return;
	id.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	id.ino = BPF_CORE_READ(file, f_inode, i_ino);
	b.tree_when = tree->tree_when;
	b.tree_unless = tree->tree_unless;
	bpf_map_update_elem(&fileguard_ids, &id, &b, BPF_NOEXIST);
}

/* The rule slots among consider that hold for the open of file whose path
 * bits are f (its own and its tree's), under conf c. */
static __always_inline __u64 fileguard_holds(struct file *file, const struct guard_conf *c,
					     const struct guard_bits *f, __u64 consider)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct guard_bits b;	/* the program's, then its parent's: one on the stack
				 * (5.10 counts every frame of file__lsm's calls
				 * against 512 bytes) */
	struct guard_uid_bits *u;
	__u64 when, holds, aw = 0, au = 0, uw = 0, uu = 0, xw, xu;
	__u32 uid, fmode;

	when = consider & (f->path_when | f->tree_when | ~c->need_path);
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
	guard_bits_of(&fileguard_ids, &fileguard_names, BPF_CORE_READ(task, mm, exe_file), &b);
	xw = b.exe_when;
	xu = b.exe_unless;
	guard_bits_of(&fileguard_ids, &fileguard_names,
		      BPF_CORE_READ(task, real_parent, mm, exe_file), &b);
	uid = (__u32)bpf_get_current_uid_gid();
	u = bpf_map_lookup_elem(&fileguard_uids, &uid);
	if (u) {
		uw = u->when;
		uu = u->unless;
	}
	when &= (aw | ~c->need_access) & (xw | ~c->need_exe) &
		(b.parent_when | ~c->need_parent) & (uw | ~c->need_uid);
	if (!when)
		return 0;
	holds = c->cond_valid & (f->path_unless | f->tree_unless | ~c->cond_need_path) &
		(au | ~c->cond_need_access) & (xu | ~c->cond_need_exe) &
		(b.parent_unless | ~c->cond_need_parent) & (uu | ~c->cond_need_uid);
	guard_state_terms(c, bpf_get_current_pid_tgid() >> 32, task_start_ns(task), &when, &holds);
	return when & ~guard_suppressed(holds, c->cond_owner);
}

/* A guard_scratch slot of this CPU for this run alone, as scratch_claim()
 * (common.bpf.h) claims scratch_map's: its index, or -1: the open goes on
 * unjudged, counted (STAT_UNJUDGED_FILE) for the agent's loss record. */
static __noinline int guard_claim(void)
{
	for (__u32 i = 0; i < SCRATCH_SLOTS; i++) {
		__u32 k = i;
		struct guard_scratch *g = bpf_map_lookup_elem(&guard_scratch, &k);

		if (!g)
			break;
		__sync_fetch_and_add(&g->users, 1);
		if (*(volatile __u64 *)&g->users == 1)
			return (int)i;
		__sync_fetch_and_add(&g->users, -1);
	}
	stat_inc(STAT_UNJUDGED_FILE);
	return -1;
}

/*
 * The rule slots among consider whose path fileguard_ids gives file's
 * identity (path_when).  Not inlined: its key is not on its caller's stack.
 */
static __noinline __u64 fileguard_id_when(struct file *file, __u64 consider)
{
	struct inode *ino = BPF_CORE_READ(file, f_inode);
	struct file_ident id = {};
	struct guard_bits *b;

	if (!ino)
		return 0;
	inode_ident(ino, &id);
	b = bpf_map_lookup_elem(&fileguard_ids, &id);
	return b ? b->path_when & consider : 0;
}

/*
 * Can no rule among consider hold for this open, the pre-filter having
 * found only a directory above the file watched (by_dir: PREFILTER_BY_DIR),
 * neither the file's identity nor its own name?  Each of those rules names
 * a path (need_path), none a DIR/STARSTAR (any_tree), so a rule holds only
 * where the file's identity or its own name has its path bits.  A name key
 * of the guard is a watched name of the pre-filter (a file rule's
 * "STARSTAR/NAME" compiles to both), so by_dir rules the name out.  It rules
 * the identity out too when the agent has shown that every identity of the
 * guard is one the pre-filter watches (ids_watched); else the identity is
 * looked up (the pre-filter's identities come from a bounded walk, the
 * guard's from its own stat() of each path).
 */
static __always_inline int fileguard_unnamed(struct file *file, const struct guard_conf *c,
					     __u64 consider, int by_dir)
{
	return by_dir && !c->any_tree && !(consider & ~c->need_path) &&
	       (c->ids_watched || !fileguard_id_when(file, consider));
}

/*
 * The file guard's rule slots that hold for this open (0: none); *gen the
 * rule set that numbered them.  labels 0: its block rules (refuse the
 * open); 1: its label rules (label the process).  by_dir: the pre-filter's
 * PREFILTER_BY_DIR of the open (0 where it has not run).  An open that
 * created a file below a DIR/STARSTAR and is not refused gives it DIR's
 * bits (fileguard_add).  Not inlined: its stack is not added to the
 * caller's path walk.  The agent's own opens are never refused nor
 * labelled.
 */
static __noinline __u64 fileguard_decide(struct file *file, __u16 *gen, int labels, int by_dir)
{
	struct guard_scratch *gs;
	struct guard_bits *f;
	struct guard_conf *c;
	__u32 zero = 0;
	__u64 fired, consider;

	*gen = 0;
	c = bpf_map_lookup_elem(&fileguard_conf, &zero);
	if (!c || !file)
		return 0;
	consider = c->active & (labels ? c->label : c->block);
	if (!consider || fileguard_unnamed(file, c, consider, by_dir))
		return 0;	/* the common case of an open the pre-filter sent */
	if (is_agent())
		return 0;
	/* a slot of its own (guard_claim(), as scratch_claim() in common.bpf.h):
	 * a run preempted between the bits and the verdict keeps its bits */
	zero = (__u32)guard_claim();
	gs = zero < SCRATCH_SLOTS ? bpf_map_lookup_elem(&guard_scratch, &zero) : NULL;
	if (!gs)
		return 0;
	f = &gs->file;
	guard_bits_of(&fileguard_ids, &fileguard_names, file, f);
	f->tree_when = f->tree_unless = 0;	/* from fileguard_tree, file included */
	if (c->any_tree)
		fileguard_tree(file, zero);
	fired = fileguard_holds(file, c, f, consider);
	if (fired)
		*gen = (__u16)c->gen;
	if (labels || !fired)
		fileguard_add(file, f);
	__sync_fetch_and_add(&gs->users, -1);
	return fired;
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
