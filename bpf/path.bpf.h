/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * path.bpf.h - the absolute path of a struct path, walked in the kernel, in
 * the views a record needs.
 *
 * Walks dentries up to their mount's root, then crosses to the parent
 * mount's mountpoint, until the top of the mount tree: the root of the
 * mount namespace, or of a detached mount.  It does not stop at the calling
 * task's root (its chroot or container root) but notes where it met it, so
 * that one walk gives both the process's view and the view from the top.
 * The name is built backwards in scratch->walk[0, PATH_MAX):
 *
 *     walk: [ .... unused .... | / srv / jail | / secrets / key ]
 *                              ^pos          ^task_pos        ^CUSTOS_PATH_MAX
 *
 * (a process chrooted at /srv/jail opening its /secrets/key).  mnt_pos
 * marks where the part inside the file's own mount starts.  A path with
 * more than PATH_WALK_DEPTH components (mount crossings count as one), or
 * longer than CUSTOS_PATH_MAX, keeps its deepest part and reports truncated.
 *
 * path_fsroot() walks a mount's root up to its filesystem's root, into
 * walk[PATH_MAX, 2 * PATH_MAX): with the device, what the agent needs to
 * find the file in its own mount table when the walk did not end in its
 * mount namespace (events.h, EV_FILE).
 */
#ifndef CUSTOS_PATH_BPF_H
#define CUSTOS_PATH_BPF_H

#include "common.bpf.h"

#define PATH_WALK_DEPTH 64
#define PATH_NAME_MASK 255	/* NAME_MAX */
#define PATH_NONE 0xffffffffu	/* scratch->walk_task / walk_mnt: not met yet */

struct path_out {
	__u32 pos;		/* the walk is walk[pos .. CUSTOS_PATH_MAX) */
	__u32 task_pos;		/* the process's view: walk[task_pos .. CUSTOS_PATH_MAX) */
	__u32 mnt_pos;		/* the file's own mount: walk[mnt_pos .. CUSTOS_PATH_MAX) */
	__u8 trunc;
	__u8 view;		/* EV_VIEW_* (events.h) */
	__u8 pad[2];
	__u64 top_mnt;		/* the struct mount the walk ended in (0: cut short) */
};

/* include/linux/dcache.h: a dentry made from a file handle (d_obtain_alias)
 * whose parents are not known; a pseudo file's (pipe, socket, memfd) root
 * dentry is not one: it has no parents to know */
#define K_DCACHE_DISCONNECTED 0x20

static __always_inline int dentry_disconnected(struct dentry *d)
{
	return (BPF_CORE_READ(d, d_flags) & K_DCACHE_DISCONNECTED) != 0;
}

static __always_inline struct mount *real_mount_of(struct vfsmount *vfsmnt)
{
	return (struct mount *)((char *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

static __always_inline struct vfsmount *vfsmount_of(struct mount *mnt)
{
	return (struct vfsmount *)((char *)mnt + bpf_core_field_offset(struct mount, mnt));
}

/* The inode number of a mount namespace (0 for none, or an anonymous one). */
static __always_inline __u32 mnt_ns_inum(struct mount *mnt)
{
	struct mnt_namespace *ns = BPF_CORE_READ(mnt, mnt_ns);

	return ns ? BPF_CORE_READ(ns, ns.inum) : 0;
}

/* Prepends "/" + dentry's name at s->walk_pos; 0, or -1 when it does not fit. */
static __always_inline int walk_prepend(struct scratch *s, struct dentry *dentry, __u32 end)
{
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	__u32 len = BPF_CORE_READ(dentry, d_name.len) & PATH_NAME_MASK;
	__u32 pos = s->walk_pos;

	if (pos > end || pos < end - CUSTOS_PATH_MAX || len + 1 > pos - (end - CUSTOS_PATH_MAX))
		return -1;
	pos -= len + 1;
	bpf_probe_read_kernel(&s->walk[(pos + 1) & (2 * CUSTOS_PATH_MAX - 1)], len, name);
	s->walk[pos & (2 * CUSTOS_PATH_MAX - 1)] = '/';
	s->walk_pos = pos;
	return 0;
}

/*
 * The verifier explores this loop iteration by iteration; to keep the states
 * of different paths through the body equal (so it can prune them), the
 * write positions and flags live in the scratch map value, not in registers
 * whose exact values it would track.  top_ns: the mount namespace whose root
 * makes the walk's view the host's (EV_VIEW_HOST); 0: never.
 */
static __noinline int path_walk_ns(struct scratch *s, const struct path *path,
				   struct path_out *out, __u32 top_ns)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *root_dentry = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	struct dentry *dentry = BPF_CORE_READ(path, dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(path, mnt);
	struct mount *mnt = real_mount_of(vfsmnt);
	__u32 pos;
	int i;

	if (!s || !out)
		return -1;
	s->walk_pos = CUSTOS_PATH_MAX;
	s->walk_trunc = 1;
	s->walk_task = PATH_NONE;
	s->walk_mnt = PATH_NONE;
	s->walk_view = 0;
	for (i = 0; i < PATH_WALK_DEPTH; i++) {
		struct dentry *parent;

		if (dentry == root_dentry && vfsmnt == root_mnt && s->walk_task == PATH_NONE)
			s->walk_task = s->walk_pos;
		if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
			struct mount *pmnt = BPF_CORE_READ(mnt, mnt_parent);

			if (pmnt == mnt) {	/* the top of the tree */
				s->walk_trunc = 0;
				break;
			}
			if (s->walk_mnt == PATH_NONE)
				s->walk_mnt = s->walk_pos;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = pmnt;
			vfsmnt = vfsmount_of(pmnt);
			continue;
		}
		parent = BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry) {	/* a file handle's dentry, a pseudo file */
			s->walk_trunc = 0;
			if (dentry_disconnected(dentry)) {
				s->walk_view = EV_VIEW_DISCONNECTED;
				break;
			}
			/* a pipe, a socket, a memfd: its name is all there is
			 * ("/memfd:NAME"), in no one's tree: not detached */
			walk_prepend(s, dentry, CUSTOS_PATH_MAX);
			s->walk_task = s->walk_pos;
			break;
		}
		if (walk_prepend(s, dentry, CUSTOS_PATH_MAX))
			break;	/* no room: keep the deepest part, truncated */
		dentry = parent;
	}
	pos = s->walk_pos;
	if (pos == CUSTOS_PATH_MAX) {	/* the root itself */
		pos -= 1;
		s->walk[pos & (CUSTOS_PATH_MAX - 1)] = '/';
		if (s->walk_task == CUSTOS_PATH_MAX)
			s->walk_task = pos;
		if (s->walk_mnt == CUSTOS_PATH_MAX)
			s->walk_mnt = pos;
	}
	out->pos = pos;
	out->trunc = s->walk_trunc;
	out->view = s->walk_view;
	out->mnt_pos = s->walk_mnt == PATH_NONE ? pos : s->walk_mnt;
	out->task_pos = s->walk_task == PATH_NONE ? pos : s->walk_task;
	out->top_mnt = 0;
	if (s->walk_trunc) {
		stat_inc(STAT_PATH_TRUNC);
		return 0;
	}
	out->top_mnt = (__u64)mnt;
	if (s->walk_task == PATH_NONE && !(out->view & EV_VIEW_DISCONNECTED))
		out->view |= EV_VIEW_DETACHED;
	if (top_ns && mnt_ns_inum(mnt) == top_ns)
		out->view |= EV_VIEW_HOST;
	return 0;
}

/* The process's view of path (exec and the guards' records). */
static __always_inline int path_walk(struct scratch *s, const struct path *path,
				     struct path_out *out)
{
	return path_walk_ns(s, path, out, 0);
}

/*
 * The path of mnt's root dentry inside its filesystem, built backwards in
 * walk[CUSTOS_PATH_MAX, 2 * CUSTOS_PATH_MAX) ("" for the filesystem's root);
 * its length, or 0 when it cannot be had whole (disconnected, too deep, too
 * long).
 */
static __noinline __u32 path_fsroot(struct scratch *s, __u64 vfsmnt_p)
{
	struct vfsmount *vfsmnt = (struct vfsmount *)vfsmnt_p;
	struct dentry *dentry = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *sb_root = BPF_CORE_READ(vfsmnt, mnt_sb, s_root);

	if (!s)
		return 0;
	s->walk_pos = 2 * CUSTOS_PATH_MAX;
	for (int i = 0; i < PATH_WALK_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

		if (parent == dentry)
			return dentry == sb_root ? 2 * CUSTOS_PATH_MAX - s->walk_pos : 0;
		if (walk_prepend(s, dentry, 2 * CUSTOS_PATH_MAX))
			return 0;
		dentry = parent;
	}
	return 0;
}

/* Copies walk[pos .. CUSTOS_PATH_MAX) into dst; returns its length. */
static __always_inline __u32 path_copy_from(struct scratch *s, __u32 from, char *dst)
{
	__u32 pos = from & (CUSTOS_PATH_MAX - 1);
	__u32 len = CUSTOS_PATH_MAX - pos;

	if (from >= CUSTOS_PATH_MAX)
		return 0;
	bpf_probe_read_kernel(dst, len & (2 * CUSTOS_PATH_MAX - 1), &s->walk[pos]);
	return len;
}

/* The process's view of the walked path into dst (at most CUSTOS_PATH_MAX). */
static __always_inline __u32 path_copy(struct scratch *s, const struct path_out *o, char *dst)
{
	return path_copy_from(s, o->task_pos, dst);
}

/* The whole walk (every view of it) into dst. */
static __always_inline __u32 path_copy_all(struct scratch *s, const struct path_out *o, char *dst)
{
	return path_copy_from(s, o->pos, dst);
}

#endif
