/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pin.h - the programs, links and maps that outlive the agent, in bpffs.
 *
 *   DIR/links/PROGRAM   one pinned link per attached program: the program
 *                       stays attached (and enforcing) without the agent
 *   DIR/maps/MAP        every map but the internal ones (.rodata, .bss):
 *                       the ring, the counters, the rules' maps, pin_meta
 *
 * DIR is /sys/fs/bpf/custos unless --pin-dir says otherwise; bpffs is
 * mounted on /sys/fs/bpf when it is not.  The agent holds a lock on DIR
 * (flock on the directory), so two agents never share one, and `custos
 * unload` refuses while an agent runs.  pin_meta (bpf/delivery.h) says what
 * the set is; kernel/loader.c decides from it whether the next agent adopts
 * the set as it is or loads its own and swaps (docs/OPERATIONS.md).
 */
#ifndef CUSTOS_PIN_H
#define CUSTOS_PIN_H

#include <stddef.h>
#include <stdint.h>

#include "delivery.h"
#include "events.h"

#define PIN_DIR_DEFAULT "/sys/fs/bpf/custos"
#define PIN_PATH_MAX 256

struct bpf_object;
struct bpf_link;

struct pin {
	char dir[PIN_PATH_MAX];
	int lock_fd;		/* DIR, flock'ed; -1 when closed */
	/* what an earlier agent left in DIR */
	int found;		/* something is pinned there */
	struct pin_meta meta;	/* zero unless its pin_meta could be read */
	int links_ok;		/* every program meta.hooks names has its link */
	int have_counts;	/* state and stats below are the set's own */
	struct run_state state;	/* its last agent's heartbeat */
	uint64_t stats[STAT__COUNT];	/* its counters, read at pin_open */
	uint64_t read_ns;	/* CLOCK_REALTIME of that read */
};

/*
 * Mounts bpffs on /sys/fs/bpf when DIR is under it and it is not mounted,
 * creates DIR (0700), locks it and reads what is pinned there.  0, or -errno
 * with err set (-EBUSY: another agent holds DIR).
 */
int pin_open(struct pin *p, const char *dir, char *err, size_t errlen);
void pin_close(struct pin *p);

/* DIR/maps/NAME */
void pin_map_path(const struct pin *p, const char *name, char *out, size_t size);

/* DIR/links/PROGRAM */
void pin_link_path(const struct pin *p, const char *prog, char *out, size_t size);

/*
 * Pins every map of obj but the internal ones, then links[i] as
 * DIR/links/names[i], then writes meta into the pin_meta map.  A link the
 * kernel cannot pin (a perf-event tracepoint before 5.15) is skipped and
 * counted.  Returns the links not pinned (>= 0), or -errno with err set.
 */
int pin_save(struct pin *p, struct bpf_object *obj, struct bpf_link *const *links,
	     const char *const *names, size_t n, const struct pin_meta *meta, char *err,
	     size_t errlen);

/* Writes meta into the pinned pin_meta map (after a reload: the policy).  0 or -errno. */
int pin_write_meta(const struct pin *p, const struct pin_meta *meta);

/*
 * Detaches and unpins every link in DIR, then unpins every map: what an
 * earlier agent left is gone (DIR stays, locked).  The links detached.
 */
int pin_clear(struct pin *p);

/* What `custos unload` did. */
struct pin_unload {
	int links;		/* links detached and unpinned */
	int maps;		/* maps unpinned */
	int still;		/* links that still exist: some process holds them */
};

/*
 * `custos unload`: removes everything pinned in dir and dir itself, then
 * checks that no link of it still exists.  0 (also when nothing was
 * pinned), or -errno with err set (-EBUSY: an agent runs on dir).
 */
int pin_unload(const char *dir, struct pin_unload *out, char *err, size_t errlen);

#endif
