/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter_net.h - the pure part of the connect-rule compiler: rules in, the
 * contents of net_dest / net_exe / net_conf out (bpf/filter_maps.h says what
 * they mean).  No I/O: executables named in `unless: exe` are resolved to
 * their identity through a callback (filter_net.c's own stats the files).
 */
#ifndef CUSTOS_FILTER_NET_H
#define CUSTOS_FILTER_NET_H

#include <stddef.h>
#include <stdint.h>

#include "filter_maps.h"
#include "rules/rules.h"

/*
 * Resolves one `exe` glob to the identities of the executables it names.
 * Called only for globs the kernel can evaluate (net_exe_glob_kernel()).
 * Writes up to max keys; returns how many exist (may exceed max), or -errno.
 */
typedef int (*net_exe_resolve_fn)(const char *glob, struct net_exe_key *keys, size_t max,
				  void *ctx);

struct net_compiled {
	struct net_conf conf;
	struct net_dest_key *dkeys;
	struct net_dest_val *dvals;
	size_t n_dest;
	struct net_exe_key *ekeys;
	uint64_t *evals;
	size_t n_exe;
	const struct rule *slot[NET_MAX_RULES];	/* rule of each rule slot */
	size_t n_slots;
	uint64_t exact;		/* rule slots the kernel decides exactly */
};

/* 1 if the kernel can evaluate this exe glob (a literal path, or wildcards
 * only in the last component, without '**'). */
int net_exe_glob_kernel(const char *glob);

/*
 * Compiles rs.  Problems (a block rule the kernel cannot decide, too many
 * rules or port ranges) are appended to diags (may be NULL) and make it
 * return -EINVAL; -ENOMEM when memory ran out.  resolve may be NULL: no
 * executable resolves (the slot layout and exactness do not depend on it).
 */
int net_compile(const struct rule_set *rs, net_exe_resolve_fn resolve, void *ctx,
		struct net_compiled *out, struct rule_diags *diags);
void net_compiled_free(struct net_compiled *c);

#endif
