/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * path.bpf.h - the absolute path of a struct path, walked in the kernel.
 *
 * Walks dentries up to the mount root, then crosses to the parent mount's
 * mountpoint, until the calling task's root (chroot/container root) or the
 * global root.  The name is built backwards in scratch->walk[0, PATH_MAX):
 *
 *     walk: [ .... unused .... | / a / b / c ]
 *                              ^pos           ^CUSTOS_PATH_MAX
 *
 * A path with more than PATH_WALK_DEPTH components, or longer than
 * CUSTOS_PATH_MAX, keeps its deepest part and reports truncated.
 */
#ifndef CUSTOS_PATH_BPF_H
#define CUSTOS_PATH_BPF_H

#include "common.bpf.h"

#define PATH_WALK_DEPTH 64
#define PATH_NAME_MASK 255	/* NAME_MAX */

struct path_out {
	__u32 pos;		/* the path is walk[pos .. CUSTOS_PATH_MAX) */
	__u8 trunc;
};

static __always_inline struct mount *real_mount_of(struct vfsmount *vfsmnt)
{
	return (struct mount *)((char *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

/*
 * The verifier explores this loop iteration by iteration; to keep the states
 * of different paths through the body equal (so it can prune them), the
 * write position and the truncation flag live in the scratch map value, not
 * in registers whose exact values it would track.
 */
static __noinline int path_walk(struct scratch *s, const struct path *path, struct path_out *out)
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
	for (i = 0; i < PATH_WALK_DEPTH; i++) {
		struct dentry *parent, *mnt_root;
		const unsigned char *name;
		__u32 len;

		if (dentry == root_dentry && vfsmnt == root_mnt) {
			s->walk_trunc = 0;
			break;
		}
		mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		if (dentry == mnt_root) {
			struct mount *pmnt = BPF_CORE_READ(mnt, mnt_parent);

			if (pmnt == mnt) {	/* the global root */
				s->walk_trunc = 0;
				break;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = pmnt;
			vfsmnt = (struct vfsmount *)((char *)pmnt +
						     bpf_core_field_offset(struct mount, mnt));
			continue;
		}
		parent = BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry) {	/* disconnected (e.g. an unlinked root) */
			s->walk_trunc = 0;
			break;
		}
		len = BPF_CORE_READ(dentry, d_name.len) & PATH_NAME_MASK;
		name = BPF_CORE_READ(dentry, d_name.name);
		pos = s->walk_pos;
		if (pos > CUSTOS_PATH_MAX || len + 1 > pos)
			break;	/* no room: keep the deepest part, truncated */
		pos -= len + 1;
		bpf_probe_read_kernel(&s->walk[(pos + 1) & (CUSTOS_PATH_MAX - 1)], len, name);
		s->walk[pos & (CUSTOS_PATH_MAX - 1)] = '/';
		s->walk_pos = pos;
		dentry = parent;
	}
	pos = s->walk_pos;
	if (pos == CUSTOS_PATH_MAX) {	/* the root itself */
		pos -= 1;
		s->walk[pos & (CUSTOS_PATH_MAX - 1)] = '/';
	}
	if (s->walk_trunc)
		stat_inc(STAT_PATH_TRUNC);
	out->pos = pos;
	out->trunc = s->walk_trunc;
	return 0;
}

/* Copies the walked path into dst (at most CUSTOS_PATH_MAX); returns its length. */
static __always_inline __u32 path_copy(struct scratch *s, const struct path_out *o, char *dst)
{
	__u32 pos = o->pos & (CUSTOS_PATH_MAX - 1);
	__u32 len = CUSTOS_PATH_MAX - pos;

	if (o->pos >= CUSTOS_PATH_MAX)
		return 0;
	bpf_probe_read_kernel(dst, len & (2 * CUSTOS_PATH_MAX - 1), &s->walk[pos]);
	return len;
}

#endif
