/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroups.h - cgroup v2 id -> path, for the `cgroup` field of records and rules.
 *
 * The kernel reports bpf_get_current_cgroup_id(), which is the inode number of
 * the cgroup's directory in the cgroup v2 mount.  The cache maps ids to paths
 * relative to that mount ("/system.slice/vllm.service"); an unknown id makes
 * it rescan the tree (at most every min_rescan_ms), so cgroups created after
 * start are found.
 */
#ifndef CUSTOS_CGROUPS_H
#define CUSTOS_CGROUPS_H

#include <stddef.h>
#include <stdint.h>

struct cgroup_entry;

struct cgroups {
	char root[256];			/* the cgroup v2 mount point */
	struct cgroup_entry **slots;	/* open hash by id */
	size_t n_slots;
	size_t n_used;
	uint64_t last_scan_ms;
	uint32_t min_rescan_ms;
	uint64_t rescans;
};

int cgroups_init(struct cgroups *c, const char *root);
/* The path of id, or NULL when it is not (or no longer) a cgroup. */
const char *cgroups_lookup(struct cgroups *c, uint64_t id);
void cgroups_free(struct cgroups *c);

#endif
