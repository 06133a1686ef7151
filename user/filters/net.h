/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.h - the egress decision: connect rules in, the contents of net_dest /
 * net_exe / net_conf out (bpf/filter_maps.h says what they mean).  The
 * compiler is pure: executables named in `unless: exe` are resolved to
 * their identity through a callback (the apply step's stats the files).
 */
#ifndef CUSTOS_FILTER_NET_H
#define CUSTOS_FILTER_NET_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "filter_maps.h"
#include "filters/family.h"
#include "kernel/loader.h"
#include "rules/rules.h"

/*
 * Resolves one `exe` glob to the identities of the executables it names.
 * Called only for globs the kernel can evaluate (filter_net_exe_kernel()).
 * Writes up to max keys; returns how many exist (may exceed max), or -errno.
 */
typedef int (*filter_net_resolve_fn)(const char *glob, struct net_exe_key *keys, size_t max,
				     void *ctx);

struct filter_net {
	struct net_conf conf;
	struct net_dest_key *dkeys;
	struct net_dest_val *dvals;
	size_t n_dest;
	struct net_exe_key *ekeys;
	uint64_t *evals;
	size_t n_exe;
	struct dns_name_key nkeys[NET_MAX_NAMES];	/* dns_names keys: each name pattern */
	__u64 nkey_slots[NET_MAX_NAMES];		/* ... and its name slots */
	size_t n_nkeys;
	struct net_port_bits nvals[NET_MAX_NAMES];	/* net_names[n]: slot n's range */
	size_t n_names;					/* name slots in use */
	const struct rule *slot[NET_MAX_RULES];	/* rule of each rule slot */
	size_t n_slots;
	uint64_t exact;		/* rule slots the kernel decides exactly */
	size_t cap[2];		/* allocated counts of ekeys, evals */
};

/* 1 if the kernel can evaluate this exe glob (a literal path, or wildcards
 * only in the last component, without '**'). */
int filter_net_exe_kernel(const char *glob);

/*
 * Compiles rs.  Problems (a block rule the kernel cannot decide, too many
 * rules or port ranges) are appended to diags (may be NULL) and make it
 * return -EINVAL; -ENOMEM when memory ran out.  resolve may be NULL: no
 * executable resolves (the slot layout and exactness do not depend on it).
 */
int filter_net_compile(const struct rule_set *rs, filter_net_resolve_fn resolve, void *ctx,
		       struct filter_net *out, struct rule_diags *diags);
void filter_net_free(struct filter_net *c);
/* The compile with no files and no maps, for `custos rules check`. */
int filter_net_check(const struct rule_set *rs, struct rule_diags *diags);
/*
 * Compiles the connect rules resolving `unless: exe` with stat() and writes
 * the maps of l (filter_guard_write); slots gets the slot table.  l NULL or
 * not loaded: nothing resolved or written.  0, or -errno with err set.
 */
int filter_net_apply(struct loader *l, const struct rule_set *rs, struct filter_slots *slots,
		     char *err, size_t errlen);
/* 1 if a connect rule of rs names a destination by DNS name (then the
 * kernel must read DNS answers: bpf/dns.bpf.c), else 0; a rule set that
 * does not compile names none (its load fails anyway). */
int filter_net_names(const struct rule_set *rs);

#endif
