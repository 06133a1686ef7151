/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc_seed.h - fill the process cache from /proc at start-up, so processes
 * that were running before the agent attached still have a program, argv and
 * lineage; and read a process's cgroup v2 path.
 *
 * This is the I/O half of the process cache (proc_cache.h is the pure half).
 * The agent calls proc_seed_from_proc() once after attaching its BPF
 * programs (so no process falls between the two) and before polling.
 * The /proc root is a parameter so tests can use a fake tree.
 */
#ifndef CUSTOS_PROC_SEED_H
#define CUSTOS_PROC_SEED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/proc_cache.h"

/* argv read from /proc/PID/cmdline is cut (args_truncated) beyond this */
#define PROC_SEED_ARGS_MAX 4096

/*
 * Inserts every process under proc_root ("/proc") as a coarse entry:
 * ppid, start time and comm from stat, real uid from status, exe from the
 * exe link ("" when unreadable, e.g. kernel threads), argv from cmdline.
 * A process that vanishes or cannot be read is skipped.  Returns the number
 * of processes seeded, or -errno when proc_root cannot be read at all
 * (-ENOMEM if the cache ran out of memory).
 */
int proc_seed_from_proc(struct proc_cache *c, const char *proc_root);

/*
 * Parses one /proc/PID/stat line: comm (between the first '(' and the LAST
 * ')', since comm may hold both), ppid (field 4) and starttime (field 22,
 * clock ticks since boot).  Returns 0 or -EINVAL.
 */
int proc_parse_stat(const char *line, size_t len, char comm[PROC_COMM_LEN],
		    uint32_t *ppid, uint64_t *start_ticks);

/*
 * The cgroup v2 path of pid ("0::/system.slice/x.service" gives
 * "/system.slice/x.service") into buf.  Returns 0, -ENOENT (no process or no
 * v2 line), -ENAMETOOLONG (buf too small) or another -errno.
 */
/* Reads one /proc/PID into the cache (a process the events missed): 0 or -errno. */
int proc_seed_one(struct proc_cache *c, const char *proc_root, uint32_t pid);
int proc_read_cgroup_path(pid_t pid, char *buf, size_t size);
int proc_read_cgroup_path_at(const char *proc_root, pid_t pid, char *buf, size_t size);

#endif
