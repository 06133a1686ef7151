/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mounts.h - the agent's mount table (/proc/self/mountinfo): where each
 * filesystem is mounted in the agent's view, the host's.
 *
 * The kernel walks a file's path up to the top of the mount tree it was
 * opened through; when that is not the agent's mount namespace (a
 * container's, a private one, a detached mount), the record carries the
 * file's path inside its filesystem instead (bpf/events.h, EV_FILE), and
 * mounts_host_path() turns it into the path from the host's root.
 *
 * mounts_parse() is pure (unit-tested with text); mounts_load() and
 * mounts_refresh() read the file.
 */
#ifndef CUSTOS_MOUNTS_H
#define CUSTOS_MOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/sbuf.h"

struct mount_entry {
	uint64_t dev;		/* the superblock's device, the kernel's encoding
				 * (major << 20 | minor) */
	char *root;		/* the mount's root inside its filesystem ("/" ...) */
	char *point;		/* its mount point in this mount namespace */
};

struct mounts {
	struct mount_entry *v;
	size_t n, cap;
	char path[256];		/* the mountinfo file; "" when built by mounts_parse */
	int fd;			/* that file, kept open to be polled for changes; -1 */
	uint64_t checked_ms;	/* when mounts_refresh last looked */
};

/* An empty table that reads nothing (mounts_parse fills it). */
void mounts_init(struct mounts *m);
/* Replaces the entries by those of mountinfo text[0..len).  0 or -ENOMEM. */
int mounts_parse(struct mounts *m, const char *text, size_t len);
/* Reads mountinfo (NULL: /proc/self/mountinfo) and keeps it open.  0 or -errno. */
int mounts_load(struct mounts *m, const char *mountinfo);
/*
 * Reads the file again if the kernel says the mount table changed since,
 * at most once per interval_ms (0: whenever asked); 1 when it was read
 * again, 0 when not, -errno.
 */
int mounts_refresh(struct mounts *m, uint64_t interval_ms);
/*
 * The path from this namespace's root of the file whose path inside the
 * filesystem of device dev is fspath[0..len) ("/a/b"): the mount of dev
 * whose root holds it, the shortest root first (a bind mount of a
 * subdirectory is a second name for what the whole filesystem's mount
 * already names), appended to out.  0, or -ENOENT (dev mounted nowhere
 * here, or no mount's root holds fspath).
 */
int mounts_host_path(const struct mounts *m, uint64_t dev, const char *fspath, size_t len,
		     struct sbuf *out);
/* The device of the mount that the resolved path real lies on (the
 * deepest mount point holding it; among equals the later).  0 or -ENOENT. */
int mounts_sb_dev(const struct mounts *m, const char *real, uint64_t *dev);
void mounts_free(struct mounts *m);

#endif
