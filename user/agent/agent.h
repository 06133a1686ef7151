/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.h - `custos run`: the loop from ring buffer to sinks.
 *
 *   ring record (events.h) -> decode + validate size -> process cache update
 *   -> struct cev_event with lineage (agent/decode.h) -> rule_set_match, or
 *   the kernel's verdict (rules.h, filters.h) -> one line per rule
 *   (agent/emit.h) -> every sink (sink.h)
 *
 * The agent owns every piece of run-time state; main.c owns the signals and
 * only sets the flags the loop reads.  agent.c is the lifecycle and the run
 * loop; decode.c and emit.c are its input and output sides.
 */
#ifndef CUSTOS_AGENT_H
#define CUSTOS_AGENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/flow.h"
#include "agent/state.h"
#include "agent/classes.h"
#include "agent/copies.h"
#include "agent/labels.h"
#include "agent/status.h"
#include "base/sbuf.h"
#include "events.h"
#include "filters/filters.h"
#include "host/cgroups.h"
#include "host/mounts.h"
#include "host/fsid.h"
#include "host/ldso.h"
#include "host/proc_cache.h"
#include "host/users.h"
#include "kernel/loader.h"
#include "record/chain.h"
#include "record/json_cache.h"
#include "rules/rules.h"

#define AGENT_MAX_ANCESTORS 32
#define AGENT_MAX_HITS 64

struct sink;

struct agent_opts {
	const char *const *rule_paths;
	size_t n_rule_paths;
	const char *const *outputs;	/* sink specs; none: "stdout" */
	size_t n_outputs;
	const char *host;		/* NULL: gethostname() */
	enum backend backend;
	uint32_t ring_bytes;
	uint32_t wakeup_bytes;
	int poll_ms;			/* the longest a record waits in the ring */
	const char *status_socket;	/* NULL: STATUS_SOCKET_DEFAULT; "none": off */
	const char *metrics_file;	/* NULL: none; else a node_exporter textfile */
	int ocsf;			/* --format ocsf: records rendered as OCSF */
	const char *const *dns_servers;	/* trusted resolvers "ADDR[:PORT]"; none:
					 * /etc/resolv.conf's nameservers */
	size_t n_dns_servers;
	uint32_t dns_table;		/* bindings the kernel keeps (LRU) */
	uint32_t dns_grace_s;		/* a binding outlives its TTL by this */
	int dns_always;			/* read DNS answers even when no rule names a
					 * destination (--dns-names always: records
					 * carry dest_name); else only when one does */
	const char *state_dir;		/* seq, chain and run continue from here
					 * (agent/state.h); NULL: no state, seq from 1 */
	const char *chain_key;		/* key file of the keyed chain; NULL: plain */
	int pin_optional;		/* pin_dir is the default (kernel/loader.h) */
	const char *pin_dir;		/* the programs stay attached, pinned here
					 * (kernel/pin.h); NULL: they stop with the agent */
	int checkpoint_s;		/* a checkpoint record this often; 0: none */
	/* flood-proof delivery (bpf/delivery.h, agent/flow.h) */
	uint32_t rate_limit;		/* file/connect records per second per process; 0: none */
	uint32_t repeat_ms;		/* coalescing window; 0: no coalescing */
	uint32_t reserve_pct;		/* ring share kept for exec, fork, exit, refusals */
	int no_bpf;			/* nothing loaded or attached, no /proc seed:
					 * records come only from agent_handle_record
					 * (agent/decode.h; tests) */
	/* this agent takes over from one in the same process that reloaded
	 * by handing over (agent_run): its reload counts go on from these */
	int handed_over;
	uint64_t reloads_ok, reloads_failed;
};

/* Signal flags that main.c sets and the loop reads. */
struct agent_signals {
	volatile sig_atomic_t stop;
	volatile sig_atomic_t reload;
	volatile sig_atomic_t status;	/* SIGUSR1: log per-sink counters */
};

struct agent {
	struct agent_opts opts;
	struct loader loader;
	struct rule_set *rules;
	struct filters filters;		/* the kernel's rule slots of `rules` */
	struct filewatch fwatch;	/* files watched by identity, and their paths */
	struct mounts mounts;		/* the host's mount table (records' host paths) */
	struct proc_cache procs;
	struct classes classes;		/* lineage classes, as the kernel numbers them */
	struct fsid_devs devs;		/* agent/exe.c: host paths checked against identities */
	struct copies copies;		/* the programs of `exe_content` rules */
	struct labels labels;		/* data-flow labels, as the kernel numbers them */
	struct ldso ldso;		/* the dynamic loaders on this host */
	struct cgroups cgroups;
	struct users users;
	struct sink **sinks;
	size_t n_sinks;
	uint64_t *sink_lost_seen;	/* per sink: stats.lines_lost already reported */
	uint64_t last_sink_loss_ms;	/* when a sink's loss was last reported */
	struct status_sink *sink_status;	/* per sink, for the status snapshot */
	struct sbuf line;
	struct json_cache json_cache;	/* rendered per-process parts, reused */
	uint64_t seq;			/* last seq emitted */
	char run[STATE_RUN_SIZE];	/* this run's id */
	struct chain chain;		/* the last record's digest, the next one's key */
	struct state state;		/* what the previous run left, and the file */
	uint64_t run_records;		/* records this run emitted */
	uint64_t run_lost;		/* records this run reported lost */
	uint64_t saved_seq;		/* seq in the state file */
	uint64_t last_save_ms, last_checkpoint_ms;
	char host[256];
	int64_t boot_to_real_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	uint64_t last_stats_ms;
	uint64_t last_skipped_ms;	/* when the programs' skipped runs were read; 0: never */
	int handover;			/* the run ended for a reload by a new agent (agent_run) */
	struct flow flow;		/* repeats, limits, the kernel side's losses */
	const struct cev_repeat *repeat;	/* the record being decoded stands for these */
	uint64_t proc_full_seen;	/* stats[STAT_PROC_FULL] already reported */
	struct agent_counters counters;
	uint64_t *rule_hits;		/* per rule of `rules`, since it was loaded */
	uint64_t bpf_stats[STAT__COUNT];	/* last read of the BPF counters */
	uint64_t beat[STAT__COUNT];	/* counters all handled: the next heartbeat */
	int beat_pending;
	uint64_t start_mono_ns;
	uint64_t start_real_ns;
	uint64_t last_metrics_ms;
	struct status_server status;
	/* per-record scratch, reused */
	struct cev_str ancestors[AGENT_MAX_ANCESTORS];
	struct cev_prog ancestor_progs[AGENT_MAX_ANCESTORS];
	struct cev_label label_info[RULE_MAX_LABELS];
	const struct proc_entry *acting;	/* the record's process in the cache, or NULL */
	uint64_t acting_start;			/* its start (ns), as the record says */
	const struct rule *hits[AGENT_MAX_HITS];
	char cgroup_buf[4096];
	char container_buf[72];
	char dest_name_buf[DNS_NAME_KEY + 1];	/* a connect record's name, NUL-terminated */
	struct sbuf host_path;		/* a record's file.host_path, when built */
};

/*
 * Loads rules, opens sinks, loads BPF, fills its maps, attaches, seeds the
 * process cache (opts.no_bpf: only the rules, sinks and caches).  On
 * failure err says why; agent_free() frees what was made.
 */
int agent_init(struct agent *a, const struct agent_opts *o, char *err, size_t errlen);
/*
 * Runs until sig->stop; SIGHUP (sig->reload) reloads rules and reopens sinks.
 * With pinned programs a reload whose rules compile hands over instead: the
 * run stops as for a restart (the pinned programs go on enforcing the old
 * rules) and a->handover is set, for the caller to start a new agent in
 * this process, which swaps its programs in as a restart does (no moment
 * without a decision).  Without pinning the maps are refilled in place.
 */
int agent_run(struct agent *a, struct agent_signals *sig);
/*
 * Loads the rule paths again; keeps the running set when the new one fails.
 * Pinned, a set that compiles is not written here: a->handover is set
 * (agent_run); else the maps are refilled in place.
 */
int agent_reload(struct agent *a);
/* Flushes every sink, detaches and frees. */
void agent_free(struct agent *a);

#endif
