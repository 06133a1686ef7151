/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsid.h - the identity (base/ident.h) of files on this host, as the BPF
 * programs will read it: the device comes from the superblock of the mount
 * the file lies on (/proc/self/mountinfo), since stat()'s st_dev is not
 * always it (btrfs gives each subvolume its own).
 */
#ifndef CUSTOS_FSID_H
#define CUSTOS_FSID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/ident.h"

/*
 * The device the kernel's i_sb->s_dev holds for a file at the resolved path
 * real whose stat() said st_dev: the superblock's, from mountinfo; st_dev
 * (major << 20 | minor) when mountinfo names no mount for it.
 */
uint64_t fsid_kernel_dev(const char *real, dev_t st_dev);

/*
 * The identity of the file at path when path is its resolved path (no
 * symlink on the way) and, unless type is 0, its type is type (S_IFREG,
 * S_IFDIR); else -ENOENT.
 */
int fsid_at(const char *path, unsigned int type, struct ident *out);

/*
 * The identities of the regular files an absolute glob with wildcards only
 * in its last component (no "**") names now: a literal path is stat()ed, a
 * pattern's directory listed (fnmatch on the names), each file taken at its
 * resolved path.  Writes up to max; returns how many exist (may be more
 * than max), 0 when none does.
 */
int fsid_glob(const char *glob, struct ident *out, size_t max);

/* The same walk, calling fn with each file's resolved path and identity
 * (fn returning non-zero stops it); returns how many it was called for. */
int fsid_glob_each(const char *glob, int (*fn)(const char *path, const struct ident *id,
					       void *ctx), void *ctx);

/*
 * The kernel's device of each stat() device seen so far (btrfs subvolumes
 * map to their file system's), so that checking a path costs a stat(), not
 * a read of mountinfo.  Owned by the caller; zero it to start.
 */
struct fsid_devs {
	struct { dev_t st; uint64_t kdev; } *v;
	size_t n, cap;
};

void fsid_devs_free(struct fsid_devs *d);

/*
 * Does path[0..len), as this process sees it (the host's mount namespace,
 * symlinks followed), lead to the file of identity id?  1 or 0.
 */
int fsid_path_is(struct fsid_devs *d, const char *path, size_t len, const struct ident *id);

/*
 * The identity of the program process pid runs (proc_root/PID/exe), on any
 * mount namespace: the device is the one the process's own mountinfo gives
 * the exe's mount.  *internal is set when that mount is not in its mountinfo
 * (an internal mount: a memfd's).  0, or -errno (the process is gone).
 */
int fsid_proc_exe(const char *proc_root, uint32_t pid, struct ident *out, int *internal);

#endif
