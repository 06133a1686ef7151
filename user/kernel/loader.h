/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader.h - the BPF object's lifecycle, literally:
 *   open -> configure (rodata, map sizes, autoload per backend) -> load
 *   -> [the agent fills the filter maps] -> attach -> poll -> free
 *
 * Hook variants.  A BPF program is named FAMILY__VARIANT[_ANYTHING]; for each
 * family the loader loads only the programs of the best variant the chosen
 * backend allows and the kernel offers.  Variants, strongest first:
 *   lsm     BPF LSM hooks            (needs "bpf" among the active LSMs)
 *   fentry  fentry/fexit             (needs BPF trampolines)
 *   btf     BTF-typed tracepoints    (tp_btf)
 *   tp      classic tracepoints      (needs tracefs, mounted by probe.c)
 *   raw     raw tracepoints          (any 5.x kernel)
 *   cg      cgroup hooks, attached at the cgroup v2 root; always loaded
 * A program whose name has no "__" always loads.  A family whose name starts
 * with "opt_" is optional: when the backend allows none of its variants, the
 * kernel offers none, or its attach fails, it is left out instead of failing
 * the load (e.g. opt_execguard__lsm, the exec refusal that only BPF LSM can
 * do); the agent asks loader_attached() and says what that means for the rules.
 * opt_iouring__raw_{req,sqe} (io_uring submissions, bpf/iouring.bpf.c) load
 * only where the file family runs on a syscall tracepoint, and only the one
 * whose tracepoint the kernel's BTF names, its argument layout set in rodata.
 */
#ifndef CUSTOS_LOADER_H
#define CUSTOS_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/loader_split.h"
#include "kernel/pin.h"
#include "kernel/probe.h"

struct custos_bpf;
struct ring_buffer;
struct bpf_link;

enum backend {
	BACKEND_AUTO = 0,
	BACKEND_LSM = 1,
	BACKEND_FENTRY = 2,
	BACKEND_TRACEPOINT = 3,	/* tp_btf, then classic tracepoints */
	BACKEND_RAW = 4,	/* raw tracepoints only: oldest kernels */
};

typedef int (*loader_sample_fn)(void *ctx, void *data, size_t size);

enum { LOADER_POLL_BUDGET_MS = 50 };

struct loader_opts {
	enum backend backend;		/* BACKEND_AUTO: the strongest that loads */
	uint32_t ring_bytes;		/* power of two, >= page size */
	uint32_t wakeup_bytes;		/* see common.bpf.h */
	uint32_t dns_table;		/* entries of dns_bind; 0: the object's */
	const char *pin_dir;		/* pin the programs there (kernel/pin.h); NULL: not */
	int pin_optional;		/* pin_dir is the default: where it cannot be used
					 * (bpffs read-only, absent), run unpinned, warned */
	const char *policy;		/* "sha256:..." of the rules to be put in force;
					 * NULL: any pinned policy is adopted */
	int swap;			/* a set pinned with this policy is swapped too,
					 * not adopted (a reload: the rules may name
					 * other files now, e.g. a replaced program) */
	int dns_off;			/* LOADER_DNS_PROG is loaded, not attached: no
					 * rule names a destination (loader_set_dns) */
	loader_sample_fn on_sample;
	void *ctx;
};

struct loader {
	struct custos_bpf *skel;	/* the maps, the ring, rodata; the programs too
					 * unless n_parts (loader_split.h) */
	struct custos_bpf *parts[LOADER_PARTS];	/* the programs, when split */
	int n_parts;
	struct ring_buffer *rb;
	struct probe probe;
	enum backend backend;		/* what loaded */
	int egress_off;			/* the cgroup programs did not load (old kernel) */
	uint32_t ring_bytes, wakeup_bytes;	/* as loaded */
	struct pin pin;			/* when pinning: the pin directory */
	int pinning;			/* the programs are (to be) pinned in pin.dir */
	int adopted;			/* taken as they were pinned: none loaded, none attached */
	int replaced;			/* an earlier pinned set was detached for these */
	int carried;			/* loaded beside a pinned set of another policy,
					 * on its state maps (loader_pin.h) */
	int unpinned;			/* attached links the kernel could not pin */
	int cgroup_fd;			/* cgroup v2 root, -1 when not open */
	int dns_off;			/* LOADER_DNS_PROG held back (opts.dns_off) */
	uint64_t load_ns;		/* CLOCK_MONOTONIC when loader_load began */
	loader_sample_fn on_sample;	/* the caller's, called through a budget */
	void *sample_ctx;
	uint64_t poll_deadline_ns;	/* CLOCK_MONOTONIC: this poll hands back then */
	uint64_t polled;		/* records handed to on_sample */
	int budget_hit;			/* the last poll stopped at its budget, not empty */
	struct bpf_link **links;	/* one per attached program */
	const char **link_names;	/* its program's name */
	size_t n_links, cap_links, cap_names;
	char hooks[512];		/* "exec__btf fork__btf ..." what is attached */
};

/* Probes, opens, configures and loads; on failure frees what it made. */
int loader_load(struct loader *l, const struct loader_opts *o, char *err, size_t errlen);
/* Attaches every loaded program; cgroup programs at the cgroup v2 root. */
int loader_attach(struct loader *l, char *err, size_t errlen);
/*
 * Pinning (opts.pin_dir): loader_load adopts the set pinned there when it is
 * this build's with the same backend, ring and policy (nothing is loaded,
 * the links stay attached: no window), else loads its own (with another
 * policy only, on the pinned set's state maps: l->carried); loader_attach
 * then pins the new set and detaches the earlier one, after the new links
 * are in place.  What the earlier set counted while no agent read is in l->pin
 * (state, stats) for the gap record.
 */
/* Writes the policy in force into the pinned set's meta (after filling the maps). */
int loader_pin_policy(struct loader *l, const char *policy);

/* The program that reads DNS answers (bpf/dns.bpf.c): every packet a
 * socket of the host receives runs it, so it is attached only while a rule
 * names a destination by DNS name, or when asked always (--dns-names). */
#define LOADER_DNS_PROG "net__cg_dns"
/*
 * Attaches (on) or detaches LOADER_DNS_PROG of a set this agent loaded and
 * did not pin (an in-place reload; a pinned agent hands over to a new one,
 * which chooses at its load).  0, or -errno with err set.
 */
int loader_set_dns(struct loader *l, int on, char *err, size_t errlen);

/* Is the program named prog (e.g. "opt_execguard__lsm") attached, or its
 * prog_cast form, which the loader takes instead where the kernel allows
 * (file__btf_cast for file__btf)? */
int loader_attached(const struct loader *l, const char *prog);
/* Is prog a word of hooks ("exec__btf fork__btf ...")? */
int loader_hooks_have(const char *hooks, const char *prog);
/*
 * Calls fn with the name of each attached program and the runs of it the
 * kernel skipped (bpf_prog_info.recursion_misses: a run of it was unfinished
 * on that CPU).  The programs are found where they loaded (skel or the split
 * parts), or, for an adopted set, through its pinned links.  0 or -errno.
 */
typedef void (*loader_runs_fn)(const char *prog, uint64_t skipped, void *ctx);
int loader_skipped_runs(const struct loader *l, loader_runs_fn fn, void *ctx);
/*
 * Waits up to timeout_ms for records, then consumes what is in the ring, for
 * at most LOADER_POLL_BUDGET_MS: a flood that fills the ring as fast as it
 * is read does not keep the caller from its other work (loss records).
 * Returns the records consumed (>= 0) or -errno.
 */
int loader_poll(struct loader *l, int timeout_ms);
/* Sums the per-CPU counters (enum stat_idx) into out[STAT__COUNT]. */
int loader_read_stats(struct loader *l, uint64_t *out, int n);
/* The fd of the map named name (maps.bpf.h), or -ENOENT. */
int loader_map_fd(const struct loader *l, const char *name);
/* Detaches every program this loader attached (the maps stay). */
void loader_detach(struct loader *l);
void loader_free(struct loader *l);

/*
 * Without loading anything: the backend that auto would try first on a kernel
 * offering p, and the programs each backend would attach there
 * ("exec__btf file__lsm ..."), one "BACKEND: PROGRAMS" line per backend the
 * kernel offers; for `custos version --probe`.
 */
enum backend loader_auto_backend(const struct probe *p);
int loader_plan(const struct probe *p, char *buf, size_t size);

const char *backend_name(enum backend b);
int backend_parse(const char *s, enum backend *out);

#endif
