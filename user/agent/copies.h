/* SPDX-License-Identifier: Apache-2.0 */
/*
 * copies.h - which programs named by `exe_content` a process's program is a
 * copy of (rules.h: same content under any name).
 *
 * When the rules load, each program an `exe_content` value names is read
 * once: its identity, fingerprint (bpf/filter_maps.h) and SHA-256.  A
 * process's program is a candidate when its fingerprint (from its exec
 * record, or read from /proc) equals one of theirs; only a candidate is
 * hashed, through /proc/PID/exe (a memfd or a deleted file too), and the
 * digest decides.  A digest is remembered per program (identity and
 * fingerprint), so a copy run a thousand times is read once.  When the
 * program can no longer be read (the process exited and the file is gone),
 * the fingerprint decides: it may take a file crafted to share a listed
 * program's size and first 256 bytes for a copy, never the reverse.
 */
#ifndef CUSTOS_AGENT_COPIES_H
#define CUSTOS_AGENT_COPIES_H

#include <stddef.h>
#include <stdint.h>

#include "host/proc_cache.h"
#include "rules/rules.h"

#define COPIES_DIGEST 32
#define COPIES_SEEN 256		/* digests remembered */

struct copy_prog {
	struct ident id;
	uint64_t size, head;
	unsigned char digest[COPIES_DIGEST];
};

struct copies {
	struct copy_prog *progs;	/* the `exe_content` programs */
	size_t n, cap;
	struct copy_prog seen[COPIES_SEEN];	/* programs hashed, round robin */
	size_t n_seen, next_seen;
	uint64_t hashed;		/* files read whole (status, tests) */
};

/* Reads the programs of rs's `exe_content` values.  0 or -ENOMEM. */
int copies_load(struct copies *c, const struct rule_set *rs);
void copies_free(struct copies *c);

/* Is any program listed (else nothing needs examining)? */
static inline int copies_any(const struct copies *c)
{
	return c->n != 0;
}

/*
 * The listed programs process e (of proc_root) runs a copy of: their
 * identities into out (max), how many.  file: where to read the program
 * (the dynamic loader's program), NULL: proc_root/PID/exe.  Fills e's
 * fingerprint from the file when its exec record had none (info).
 */
size_t copies_find(struct copies *c, const char *proc_root, const struct proc_entry *e,
		   const char *file, struct proc_exe_info *info, struct ident *out, size_t max);

#endif
