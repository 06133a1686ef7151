/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ident.h - a file's identity as the kernel sees it: the device of its
 * inode's superblock in the kernel's encoding (i_sb->s_dev, major << 20 |
 * minor, which is not always stat()'s st_dev) and its inode number.  Two
 * names of one file (hardlinks, bind mounts, a chroot's view) share it; a
 * copy does not.  host/fsid.h finds it for a path; the BPF programs read it
 * from the struct file.
 */
#ifndef CUSTOS_IDENT_H
#define CUSTOS_IDENT_H

#include <stdint.h>

struct ident {
	uint64_t dev;
	uint64_t ino;
};

/* 0/0 is "unknown" */
static inline int ident_known(const struct ident *i)
{
	return i->dev != 0 || i->ino != 0;
}

static inline int ident_eq(const struct ident *a, const struct ident *b)
{
	return ident_known(a) && a->dev == b->dev && a->ino == b->ino;
}

#endif
