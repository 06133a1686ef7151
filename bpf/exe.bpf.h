/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * exe.bpf.h - the executable of an exec record (events.h, struct ev_exec):
 * its path, identity, fingerprint and flags, taken from the struct file
 * being executed and the first bytes execve() read of it (bprm->buf).
 * exec.bpf.c (an exec that happened: mm->exe_file) and execguard.bpf.c (a
 * refused one: bprm->file) fill their records with it.
 *
 * The path is what /proc/PID/exe would show, so a fileless program gets a
 * truthful name instead of "/":
 *   a memfd (memfd_create + fexecve): "memfd:NAME", the dentry's own name
 *     (the memfd's dentry is its own parent: the walk would stop at once);
 *   a file no name leads to any more (unlinked after it was opened, an
 *     O_TMPFILE never linked): its last path, then " (deleted)".
 */
#ifndef CUSTOS_EXE_BPF_H
#define CUSTOS_EXE_BPF_H

#include "path.bpf.h"

#define EXE_MEMFD_PREFIX_LEN 6	/* "memfd:" */
#define EXE_DELETED_SUFFIX " (deleted)"
#define EXE_DELETED_LEN 10

/* The fingerprint of the EXE_HEAD_BYTES at buf and size (filter_maps.h). */
static __always_inline __u64 exe_head_of(struct scratch *s, const void *buf, __u64 size)
{
	char *w = &s->walk[CUSTOS_PATH_MAX];	/* path_walk uses the lower half */

	if (!buf || bpf_probe_read_kernel(w, EXE_HEAD_BYTES, buf))
		return 0;
	return exe_head_hash(w, size);
}

/* EV_EXE_* of the file f. */
static __always_inline __u8 exe_flags_of(struct file *f)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	__u64 name = 0;

	if (BPF_CORE_READ(d, d_parent) == d) {
		bpf_probe_read_kernel(&name, EXE_MEMFD_PREFIX_LEN, BPF_CORE_READ(d, d_name.name));
		/* "memfd:" read as a little-endian word (x86-64, arm64) */
		if (name == 0x3a64666d656dull)
			return EV_EXE_MEMFD;
		return 0;	/* a file system's root */
	}
	/* d_unlinked(): unhashed, and not a root */
	return BPF_CORE_READ(d, d_hash.pprev) ? 0 : EV_EXE_DELETED;
}

/*
 * Fills e's identity, fingerprint and flags for the file f that execve()
 * read head (EXE_HEAD_BYTES, or NULL when not known) of, and writes its path
 * at e->data; returns the path's length.  Not inlined: the path walk's stack
 * stays its own.
 */
static __noinline __u32 exe_fill(struct scratch *s, struct ev_exec *e, struct file *f,
				 const void *head)
{
	struct path_out po = {};
	struct inode *ino;
	struct qstr q = {};
	__u32 len = 0;

	e->exe_flags = 0;
	e->exe_dev = e->exe_ino = e->exe_size = e->exe_head = 0;
	if (!s || !f)
		return 0;
	ino = BPF_CORE_READ(f, f_inode);
	e->exe_dev = BPF_CORE_READ(ino, i_sb, s_dev);
	e->exe_ino = BPF_CORE_READ(ino, i_ino);
	e->exe_size = BPF_CORE_READ(ino, i_size);
	e->exe_head = exe_head_of(s, head, e->exe_size);
	e->exe_flags = exe_flags_of(f);
	if (e->exe_flags & EV_EXE_MEMFD) {
		BPF_CORE_READ_INTO(&q, f, f_path.dentry, d_name);
		len = q.len & PATH_NAME_MASK;
		bpf_probe_read_kernel(e->data, len, q.name);
		return len;
	}
	if (path_walk(s, &f->f_path, &po) == 0) {
		len = path_copy(s, &po, e->data);
		e->exe_trunc = po.trunc;
	}
	if (len > CUSTOS_PATH_MAX)
		len = CUSTOS_PATH_MAX;
	if ((e->exe_flags & EV_EXE_DELETED) && len <= CUSTOS_PATH_MAX - EXE_DELETED_LEN) {
		bpf_probe_read_kernel(&e->data[len & (CUSTOS_PATH_MAX - 1)], EXE_DELETED_LEN,
				      EXE_DELETED_SUFFIX);
		len += EXE_DELETED_LEN;
	}
	return len;
}

#endif
