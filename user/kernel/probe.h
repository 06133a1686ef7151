/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probe.h - what this host offers, found out at start.
 *
 * Checks the preconditions (privileges, BTF), finds the cgroup v2 mount in
 * /proc/mounts, mounts tracefs when it is missing, and probes which BPF
 * program kinds the kernel accepts.  The loader picks hooks from the result.
 */
#ifndef CUSTOS_PROBE_H
#define CUSTOS_PROBE_H

#include <stddef.h>

struct probe {
	int have_btf;		/* /sys/kernel/btf/vmlinux readable */
	int have_ringbuf;	/* BPF_MAP_TYPE_RINGBUF */
	int have_tp_btf;	/* BTF-typed tracepoints */
	int have_raw_tp;	/* raw tracepoints */
	int have_fentry;	/* fentry/fexit attach */
	int have_lsm;		/* BPF LSM programs attach and "bpf" is in the active LSMs */
	int have_rdonly_cast;	/* the bpf_rdonly_cast kfunc (6.2 on): file__btf_cast */
	int have_cgroup_sock;	/* cgroup/connect4 and friends */
	unsigned net_helpers;	/* NET_HELPER_* (filter_maps.h): what the cgroup
				 * socket programs may call on this kernel */
	int tracefs_mounted_by_us;
	char tracefs[256];	/* where tracefs is mounted, "" when nowhere */
	char cgroup2[256];	/* where cgroup v2 is mounted, "" when nowhere */
	char lsm_list[256];	/* /sys/kernel/security/lsm */
};

/* Fails with -EPERM or -ENOENT and a message in err when custos cannot run. */
int probe_preconditions(char *err, size_t errlen);
/* Fills p; mounts tracefs when missing.  Never fails on a missing feature. */
int probe_run(struct probe *p);
/* One line naming what was found, for the log and `custos version --probe`. */
void probe_describe(const struct probe *p, char *buf, size_t size);
/* Finds the mount point of fstype in a /proc/mounts-format file. */
int probe_find_mount(const char *mounts_path, const char *fstype, char *out, size_t size);

#endif
