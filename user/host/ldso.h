/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldso.h - the dynamic loader run directly ("/lib64/ld-linux-x86-64.so.2
 * /bin/sh"): the kernel executes the loader, which then maps the program
 * named in its argv, so the process's exe is the loader's.  This finds the
 * loaders on the host (and their hardlinks and copies, by identity and
 * fingerprint) and, from a loader's argv, the program it loads.
 */
#ifndef CUSTOS_LDSO_H
#define CUSTOS_LDSO_H

#include <stddef.h>
#include <stdint.h>

#include "base/ident.h"

#define LDSO_MAX 16

struct ldso {
	struct { struct ident id; uint64_t size, head; } v[LDSO_MAX];
	size_t n;
};

/*
 * The fingerprint (bpf/filter_maps.h) of fd's file: its size and the hash of
 * its first bytes.  0 and *size, *head; -errno.
 */
typedef int (*ldso_fingerprint_fn)(int fd, uint64_t *size, uint64_t *head);

/* Finds the dynamic loaders in the usual directories (ld-*.so*). */
void ldso_find(struct ldso *l, ldso_fingerprint_fn fingerprint);

/* Is a program of this identity, or this fingerprint, a loader? */
int ldso_is(const struct ldso *l, const struct ident *id, uint64_t size, uint64_t head);

/*
 * The program a loader's argv (entries each followed by NUL, len bytes)
 * names: the first argument after argv[0] and the loader's options (glibc's:
 * --list, --library-path DIR, --preload LIST, --argv0 NAME, ...).  Its
 * offset in args and length, or -1 when there is none.
 */
int ldso_program(const char *args, size_t len, size_t *off, size_t *plen);

/*
 * path (plen bytes) as process pid of proc_root sees it, made absolute from
 * its working directory and resolved when the process's root is the host's,
 * into out; its /proc/self is proc_root/PID (kept unresolved: a magic link
 * to open, e.g. a memfd's fd).  0, or -errno (out then holds the path as
 * given).
 */
int ldso_resolve(const char *proc_root, uint32_t pid, const char *path, size_t plen, char *out,
		 size_t size);

#endif
