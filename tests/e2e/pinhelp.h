/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pinhelp.h - what the suites that look at the kernel side share: `custos
 * unload`, the ids of the links pinned in a directory, whether links of
 * given ids still exist, the maps of a pinned set or of a running agent.
 */
#ifndef CUSTOS_E2E_PINHELP_H
#define CUSTOS_E2E_PINHELP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>

#include <jansson.h>

enum { PIN_MAX_LINKS = 64 };

/* `custos unload --pin-dir pin`: its exit status, its output in out. */
int pin_unload_dir(const char *pin, char *out, size_t size);
/* The same, and the test fails with what it said unless it succeeded. */
void assert_unloaded(const char *pin, char *out, size_t size);
/* Every /sys/fs/bpf/custos-e2e-* an earlier crashed run left, unloaded. */
void pin_unload_stale(void);

/* The ids of the links pinned in pin/links, in name order (at most PIN_MAX_LINKS). */
int pin_link_ids(const char *pin, __u32 *ids);
/* Does any of ids still exist as a link, 3 s on (an unpinned link may be
 * freed after an RCU grace period)? */
int pin_links_left(const __u32 *ids, int n);

/*
 * Sets the claim count (`users`, the value's last 8 bytes) of every slot on
 * every CPU of the per-CPU scratch map pinned as pin/maps/map: a large one
 * stands for runs holding every slot (bpf/maps.bpf.h), 0 frees them.
 */
void pin_scratch_users(const char *pin, const char *map, uint64_t users);

/* An fd of the map named name (its first 15 characters) that process pid
 * holds (read from /proc/PID/fdinfo), or -errno. */
int agent_map_fd(pid_t pid, const char *name);

/* A record's timestamp at path ("time", "gap.from") in ns since the epoch; -1 when absent. */
long long record_time_ns(json_t *rec, const char *path);

#endif
