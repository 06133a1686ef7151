/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.c - `custos run`: the lifecycle and the run loop (see agent.h for
 * the walk of one record; decode.c and emit.c are its two halves).
 */
#include "agent/agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "agent/decode.h"
#include "agent/emit.h"
#include "agent/exe.h"
#include "agent/stream.h"
#include "filters/dns.h"
#include "base/clock.h"
#include "base/fdio.h"
#include "base/log.h"
#include "base/notify.h"
#include "custos.skel.h"
#include "filters/guard.h"
#include "filters/net.h"
#include "host/fsid.h"
#include "host/proc_seed.h"
#include "rules/io.h"
#include "sinks/sink.h"

enum {
	STATS_EVERY_MS = 100,
	SKIPPED_EVERY_MS = 1000,	/* skipped runs: a few syscalls per program */
	METRICS_EVERY_MS = 5000,
	STATE_EVERY_MS = 1000,	/* the state file's alive time, without records */
	STOP_DRAIN_ROUNDS = 100,	/* polls of the ring at a stop, each at most 50 ms */
	MS_PER_S = 1000,
};

/*
 * CLOCK_REALTIME - CLOCK_BOOTTIME, which turns the kernel's boot-time stamps
 * into wall time.  The two clocks cannot be read at once: the wall clock is
 * read between two reads of the boot clock, and the tightest of a few such
 * pairs is kept, so that the agent being preempted between two reads (a
 * loaded host) does not shift every record's time by that long.
 */
static void sync_clocks(struct agent *a)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t b0 = clock_ns(CLOCK_BOOTTIME);
		uint64_t real = clock_ns(CLOCK_REALTIME);
		uint64_t b1 = clock_ns(CLOCK_BOOTTIME);

		if (b1 - b0 < best) {
			best = b1 - b0;
			a->boot_to_real_ns = (int64_t)(real - (b0 + (b1 - b0) / 2));
		}
	}
}

static int on_sample(void *ctx, void *data, size_t size)
{
	return agent_handle_record(ctx, data, size);
}

/* A closed coalescing window's count, as a record made from its first one. */
static void on_repeat(void *ctx, const void *rec, size_t size, const struct cev_repeat *rep)
{
	struct agent *a = ctx;
	struct cev_repeat real = { rep->count, rep->first_ns + (uint64_t)a->boot_to_real_ns,
				   rep->last_ns + (uint64_t)a->boot_to_real_ns };

	agent_handle_repeat(a, rec, size, &real);
}

/*
 * What the kernel side did instead of delivering: coalesced counts become
 * repeat records (every window, when all), losses become loss records.
 * The counters read here become the next heartbeat when the ring is then
 * drained empty: every record they counted has been handled, and is
 * written out at the flush that comes before the heartbeat.
 */
static void report_kernel(struct agent *a, int all)
{
	uint64_t stats[STAT__COUNT];

	if (!a->loader.skel || loader_read_stats(&a->loader, stats, STAT__COUNT))
		return;
	memcpy(a->bpf_stats, stats, sizeof(stats));
	if (loader_poll(&a->loader, 0) >= 0 && !a->loader.budget_hit) {
		memcpy(a->beat, stats, sizeof(a->beat));
		a->beat_pending = 1;
	}
	flow_sweep_repeats(&a->flow, loader_map_fd(&a->loader, "repeats"),
			   all ? UINT64_MAX / 2 : clock_ns(CLOCK_BOOTTIME), on_repeat, a);
	flow_report_losses(&a->flow, a, stats, loader_map_fd(&a->loader, "limits"));
	if (!a->last_skipped_ms || now_ms() - a->last_skipped_ms >= SKIPPED_EVERY_MS) {
		a->last_skipped_ms = now_ms();
		flow_report_skipped(&a->flow, a, &a->loader);
	}
	emit_state_losses(a, stats);
}

/* The status snapshot (status.h), as of now. */
static void fill_status(void *ctx, struct agent_status *st)
{
	struct agent *a = ctx;

	memset(st, 0, sizeof(*st));
	st->start_mono_ns = a->start_mono_ns;
	st->start_real_ns = a->start_real_ns;
	st->backend = backend_name(a->loader.backend);
	st->hooks = a->loader.hooks;
	st->rules = a->rules;
	st->rule_hits = a->rule_hits;
	st->counters = a->counters;
	st->last_seq = a->seq;
	st->ring_bytes = a->opts.ring_bytes;
	st->processes = proc_cache_count(&a->procs);
	for (size_t i = 0; i < a->n_sinks; i++) {
		a->sink_status[i].name = sink_name(a->sinks[i]);
		sink_get_stats(a->sinks[i], &a->sink_status[i].stats);
	}
	st->sinks = a->sink_status;
	st->n_sinks = a->n_sinks;
	/* the loop reads them every 100 ms; a request gets them as of now */
	if (a->loader.skel)
		loader_read_stats(&a->loader, a->bpf_stats, STAT__COUNT);
	memcpy(st->bpf, a->bpf_stats, sizeof(st->bpf));
	if (filter_dns_count(&a->loader, &st->dns_bindings) == 0)
		st->dns_capacity = a->opts.dns_table;
	st->dns_reading = a->loader.skel && loader_attached(&a->loader, LOADER_DNS_PROG);
	st->watched_files = a->fwatch.ids.n;
	st->watched_refused = a->fwatch.ids.refused;
	st->watched_kernel_full = a->fwatch.kernel_full;
	st->watched_incomplete = a->fwatch.incomplete;
}

/* --- lifecycle ------------------------------------------------------------- */

static int open_sinks(struct agent *a, char *err, size_t errlen)
{
	static const char *const def[] = { "stdout" };
	const char *const *specs = a->opts.n_outputs ? a->opts.outputs : def;
	size_t n = a->opts.n_outputs ? a->opts.n_outputs : 1;

	a->sinks = calloc(n, sizeof(*a->sinks));
	a->sink_lost_seen = calloc(n, sizeof(*a->sink_lost_seen));
	a->sink_status = calloc(n, sizeof(*a->sink_status));
	if (!a->sinks || !a->sink_lost_seen || !a->sink_status)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = sink_open(specs[i], &a->sinks[i], err, errlen);

		if (rc)
			return rc;
		a->n_sinks++;
	}
	return 0;
}

/* Programs named in rules, as the files they name now (rules.h, "Programs"). */
static int resolve_program(const char *glob, struct ident *out, size_t max, void *ctx)
{
	return fsid_glob(glob, out, max);
}

static int load_rules(struct agent *a, struct rule_set **out)
{
	struct rule_load_opts opts = {
		.resolve_user = rules_resolve_user,
		/* records fed by hand (no_bpf) name no real file */
		.resolve_exe = a->opts.no_bpf ? NULL : resolve_program,
	};
	struct rule_diags diags = { 0 };
	char err[512] = "";
	int rc;

	rc = rules_load_paths(a->opts.rule_paths, a->opts.n_rule_paths, 1, &opts, out, &diags,
			      err, sizeof(err));
	if (rc == -EINVAL && diags.n) {
		for (size_t i = 0; i < diags.n; i++) {
			char line[1024];

			rule_diag_format(&diags.v[i], line, sizeof(line));
			log_error("%s", line);
		}
	} else if (rc) {
		log_error("%s", err);
	}
	rule_diags_free(&diags);
	return rc;
}

static void describe_rules(const struct rule_set *set, char *buf, size_t size)
{
	size_t per[4];
	size_t en = rule_set_enabled(set, per);

	snprintf(buf, size, "%zu rules in force (%zu exec, %zu file, %zu connect; %zu disabled), "
		 "policy %s", en, per[RULE_ON_EXEC], per[RULE_ON_FILE], per[RULE_ON_CONNECT],
		 set->n_rules - en, set->digest);
}

/*
 * rules-v1: exec and file blocking work only where the BPF LSM backend is
 * active (opt_execguard__lsm, file__lsm decide); elsewhere the agent says so
 * and the rules report only.  kind: "exec"/"file", op: what is refused.
 */
static void describe_blocking(struct agent *a, const char *who, size_t n, const char *kind,
			      const char *prog, const char *hook, const char *op)
{
	if (!n)
		return;
	if (loader_attached(&a->loader, prog))
		log_info("%s: %zu %s block rule%s enforced in the kernel (BPF LSM %s): "
			 "a matching %s fails with EPERM", who, n, kind, n == 1 ? "" : "s", hook,
			 op);
	else
		log_warn("%s: %zu %s block rule%s report only on the %s backend: refusing an "
			 "%s needs BPF LSM (boot with lsm=...,bpf); they are reported with "
			 "action alert", who, n, kind, n == 1 ? "" : "s",
			 backend_name(a->loader.backend), op);
}

/*
 * Raw IP and ping sockets' sends pass no cgroup hook: only the BPF LSM hooks
 * of opt_netguard__lsm judge them send by send; their creation is judged on
 * every backend (cgroup/sock_create).  AF_PACKET sockets are judged at
 * creation by opt_netpacket (lsm, fentry) or the syscall-exit file program
 * (tracepoint, raw): refused under BPF LSM, reported elsewhere.
 * With connect rules loaded, the agent says which of these hold.
 */
static void describe_raw_egress(struct agent *a, const char *who)
{
	size_t per[4];

	rule_set_enabled(a->rules, per);
	if (!per[RULE_ON_CONNECT] || a->loader.egress_off)
		return;
	if (loader_attached(&a->loader, "opt_netguard__lsm_connect") &&
	    loader_attached(&a->loader, "opt_netguard__lsm_sendmsg"))
		log_info("%s: raw IP sockets are covered: connect rules apply to SOCK_RAW "
			 "connect/send and ping sends (BPF LSM socket_connect/socket_sendmsg, "
			 "proto raw, icmp)", who);
	else
		log_warn("%s: raw IP sockets are NOT covered send by send on the %s backend: a "
			 "SOCK_RAW or ping send passes no cgroup hook (that needs BPF LSM: boot "
			 "with lsm=...,bpf); their creation is judged: a block rule naming proto "
			 "raw or icmp refuses them", who, backend_name(a->loader.backend));
	if (loader_attached(&a->loader, "opt_netpacket__lsm"))
		log_info("%s: AF_PACKET sockets are judged at creation and refused by block "
			 "rules (BPF LSM socket_post_create, proto packet)", who);
	else if (loader_attached(&a->loader, "opt_netpacket__fentry") ||
		 loader_attached(&a->loader, "file__btf") ||	/* at socket()'s exit */
		 loader_attached(&a->loader, "file__raw"))
		log_warn("%s: AF_PACKET sockets are reported at creation but NOT refused on the "
			 "%s backend (refusing needs BPF LSM)", who, backend_name(a->loader.backend));
	else
		log_warn("%s: AF_PACKET sockets are NOT covered: no hook of this kernel saw "
			 "their creation attach", who);
}

/* Rules that set labels: the file program labels the process at the open, on every backend. */
static void describe_labels(struct agent *a, const char *who)
{
	size_t n = 0;

	for (size_t i = 0; i < a->rules->n_rules; i++)
		n += a->rules->rules[i].enabled && a->rules->rules[i].set_labels;
	if (n)
		log_info("%s: %zu rule%s set labels in the kernel at the open (%zu label%s); "
			 "children inherit them", who, n, n == 1 ? "" : "s", a->rules->n_labels,
			 a->rules->n_labels == 1 ? "" : "s");
}

/* What the kernel enforces of the rules in force, and what it cannot see. */
static void describe_enforcement(struct agent *a, const char *who)
{
	describe_labels(a, who);
	describe_blocking(a, who, filter_guard_block_rules(a->rules, RULE_ON_EXEC), "exec",
			  "opt_execguard__lsm", "bprm_check_security", "exec");
	describe_blocking(a, who, filter_guard_block_rules(a->rules, RULE_ON_FILE), "file",
			  "file__lsm", "file_open", "open");
	describe_raw_egress(a, who);
}

/*
 * The per-process state's numbering of rs (classes, labels) made the one in
 * force: after the kernel filters compiled with it (agent/classes.h,
 * agent/labels.h).
 */
static int state_numbering(struct agent *a, struct rule_set *rs)
{
	int rc = classes_plan(&a->classes, rs);

	rc = rc ? rc : labels_plan(&a->labels, rs);
	rc = rc ? rc : classes_commit(&a->classes, rs, &a->procs);
	return rc ? rc : labels_commit(&a->labels, rs, clock_ns(CLOCK_BOOTTIME));
}

/* Rules, sinks, the status socket and the caches: all but the kernel side. */
static int init_user_side(struct agent *a, char *err, size_t errlen)
{
	const struct agent_opts *o = &a->opts;
	int rc;

	rc = load_rules(a, &a->rules);
	if (rc) {
		snprintf(err, errlen, "rules: the rule files above do not load; "
			 "check them with `custos rules check`");
		return rc;
	}
	a->rule_hits = calloc(a->rules->n_rules + 1, sizeof(*a->rule_hits));
	if (!a->rule_hits)
		return -ENOMEM;
	rc = open_sinks(a, err, errlen);
	if (rc)
		return rc;
	rc = status_server_open(&a->status, o->status_socket ? o->status_socket :
				STATUS_SOCKET_DEFAULT, err, errlen);
	if (rc)
		return rc;
	filewatch_init(&a->fwatch);
	if ((rc = users_init(&a->users)) || (rc = proc_cache_init(&a->procs, 0)) ||
	    (rc = state_numbering(a, a->rules)) ||
	    (rc = copies_load(&a->copies, a->rules))) {
		snprintf(err, errlen, "agent: out of memory");
		return rc;
	}
	return 0;
}

/* Must the kernel read DNS answers, when the rules name (names) or not? */
static int dns_wanted(const struct agent *a, int names)
{
	return names || a->opts.dns_always;
}

/* Says whether the kernel reads DNS answers, and why (at start, at a reload). */
static void describe_dns(const struct agent *a, const char *who)
{
	if (!a->loader.egress_off && !loader_attached(&a->loader, LOADER_DNS_PROG))
		log_info("%s: no connect rule names a destination by DNS name: DNS answers are "
			 "not read (records carry no dest_name; --dns-names always reads them)",
			 who);
}

/* Open -> configure -> load, fill the maps, attach, then seed from /proc. */
static int init_kernel_side(struct agent *a, char *err, size_t errlen)
{
	struct loader_opts lo = {
		.backend = a->opts.backend,
		.ring_bytes = a->opts.ring_bytes,
		.wakeup_bytes = a->opts.wakeup_bytes,
		.dns_table = a->opts.dns_table,
		.pin_dir = a->opts.pin_dir,
		.pin_optional = a->opts.pin_optional,
		.policy = a->rules->digest,
		.swap = a->opts.handed_over,
		.dns_off = !dns_wanted(a, filter_net_names(a->rules)),
		.on_sample = on_sample,
		.ctx = a,
	};
	struct loader *l = &a->loader;
	int rc;

	rc = loader_load(l, &lo, err, errlen);
	if (rc)
		return rc;
	/* before attaching: the agent's own opens are never reported */
	rc = flow_init(&a->flow, a->opts.rate_limit, a->opts.repeat_ms, a->opts.reserve_pct);
	if (!rc)
		rc = flow_write_conf(&a->flow, loader_map_fd(l, "agent_conf"));
	if (!rc)
		rc = loader_read_stats(l, a->bpf_stats, STAT__COUNT);
	if (!rc) {
		flow_baseline(&a->flow, a, a->bpf_stats, loader_map_fd(l, "limits"));
		flow_report_skipped(&a->flow, a, l);
		a->proc_full_seen = a->bpf_stats[STAT_PROC_FULL];
	}
	if (rc) {
		errbuf_set(err, errlen, "agent: telling the kernel side who the agent is failed: "
			   "%s", strerror(-rc));
		return rc;
	}
	a->classes.map_fd = bpf_map__fd(l->skel->maps.proc_class);
	a->labels.conf_fd = bpf_map__fd(l->skel->maps.label_conf);
	a->labels.proc_fd = bpf_map__fd(l->skel->maps.proc_label);
	/* adopted, or their maps carried: the labels processes hold stay theirs
	 * (agent/labels.h) */
	if ((l->adopted || l->carried) && labels_adopt(&a->labels, a->rules, clock_ns(CLOCK_BOOTTIME))) {
		log_warn("agent: the pinned programs' label names could not be read: labels "
			 "set before this start are void");
		labels_plan(&a->labels, a->rules);
		labels_commit(&a->labels, a->rules, clock_ns(CLOCK_BOOTTIME));
	}
	labels_write(&a->labels);
	ldso_find(&a->ldso, filter_exe_fingerprint);
	cgroups_init(&a->cgroups, l->probe.cgroup2);
	/* where the records' files are from the host's root (agent/decode.c) */
	rc = mounts_load(&a->mounts, NULL);
	if (rc)
		log_warn("agent: reading /proc/self/mountinfo failed (%s): files opened in "
			 "other mount namespaces are reported without their host path",
			 strerror(-rc));
	/* adopted with the same policy: the maps already hold it, untouched (the
	 * agent's own table of watched identities is built all the same) */
	rc = filters_apply(&a->filters, l->adopted && !strcmp(l->pin.meta.policy,
		a->rules->digest) ? NULL : l, a->rules, &a->fwatch, err, errlen);
	if (rc)
		return rc;
	rc = filter_dns_configure(&a->loader, a->opts.dns_servers, a->opts.n_dns_servers,
				  a->opts.dns_grace_s, err, errlen);
	if (rc)
		return rc;
	/* attach first, then seed: a process that starts in between is in both */
	rc = loader_attach(l, err, errlen);
	if (!rc)
		rc = loader_pin_policy(l, a->rules->digest);
	if (rc)
		return rc;
	if (l->pinning)
		log_info("agent: the programs stay attached when the agent stops (pinned in %s%s; "
			 "`custos unload` removes them)", l->pin.dir, l->unpinned ?
			 ", but for those the kernel cannot pin" : "");
	filters_attached(&a->loader);
	rc = proc_seed_from_proc(&a->procs, "/proc");
	log_info("agent: process cache seeded with %d processes from /proc", rc < 0 ? 0 : rc);
	exe_examine_all(a);
	classes_sync(&a->classes, &a->procs);
	log_info("agent: backend %s; hooks: %s", backend_name(a->loader.backend), a->loader.hooks);
	describe_dns(a, "agent");
	return 0;
}

int agent_init(struct agent *a, const struct agent_opts *o, char *err, size_t errlen)
{
	char desc[256];
	int rc;

	memset(a, 0, sizeof(*a));
	a->opts = *o;
	mounts_init(&a->mounts);
	a->status.fd = -1;
	a->state.fd = -1;
	classes_init(&a->classes, -1);
	labels_init(&a->labels, -1);
	a->loader.cgroup_fd = -1;	/* nothing open until loader_load */
	a->loader.pin.lock_fd = -1;
	a->start_mono_ns = clock_ns(CLOCK_MONOTONIC);
	a->start_real_ns = clock_ns(CLOCK_REALTIME);
	if (o->host)
		snprintf(a->host, sizeof(a->host), "%s", o->host);
	else if (gethostname(a->host, sizeof(a->host) - 1))
		snprintf(a->host, sizeof(a->host), "unknown");
	sync_clocks(a);
	rc = init_user_side(a, err, errlen);
	if (!rc)
		rc = stream_init(a, err, errlen);
	if (rc)
		return rc;
	if (o->no_bpf)
		/* no maps: only the slot tables, from the rules alone */
		rc = filters_apply(&a->filters, NULL, a->rules, NULL, err, errlen);
	else
		rc = init_kernel_side(a, err, errlen);
	if (rc)
		return rc;
	describe_rules(a->rules, desc, sizeof(desc));
	log_info("agent: %s", desc);
	if (!o->no_bpf)
		describe_enforcement(a, "agent");
	a->counters.reloads_ok = o->reloads_ok;
	a->counters.reloads_failed = o->reloads_failed;
	if (o->handed_over)
		log_info("reload: %s (a new agent in this process took over)", desc);
	a->last_checkpoint_ms = now_ms();
	stream_gap(a);
	return 0;
}

int agent_reload(struct agent *a)
{
	struct loader *l = a->opts.no_bpf ? NULL : &a->loader;
	struct rule_set *next = NULL;
	struct filters filters;
	char desc[256], err[512];
	uint64_t *hits;
	int rc;

	users_clear(&a->users);
	for (size_t i = 0; i < a->n_sinks; i++)
		sink_reopen(a->sinks[i]);
	if (load_rules(a, &next)) {
		a->counters.reloads_failed++;
		log_error("reload: the new rules do not load; the running rules (policy %s) "
			  "stay in force", a->rules->digest);
		return -EINVAL;
	}
	if (l && l->pinning) {
		/* compiled as the new agent will, no map written: then handed over */
		rc = filters_apply(&filters, NULL, next, NULL, err, sizeof(err));
		rule_set_free(next);
		if (rc) {
			a->counters.reloads_failed++;
			log_error("reload: %s; the running rules (policy %s) stay in force", err,
				  a->rules->digest);
			return -EINVAL;
		}
		a->counters.reloads_ok++;	/* the new agent starts from these counts */
		a->handover = 1;
		log_info("reload: the new rules compile; handing over to a new agent in this "
			 "process, which swaps its programs in beside the pinned ones");
		return 0;
	}
	hits = calloc(next->n_rules + 1, sizeof(*hits));
	/* the new numbering, for the filters; in force only once they are */
	rc = hits ? classes_plan(&a->classes, next) : -ENOMEM;
	rc = rc ? rc : labels_plan(&a->labels, next);
	if (rc)
		snprintf(err, sizeof(err), "out of memory");
	else if ((rc = filters_apply(&filters, l, next, l ? &a->fwatch : NULL, err, sizeof(err))))
		;	/* err says why */
	else if (l && !l->egress_off &&
		 (rc = loader_set_dns(l, dns_wanted(a, filters.net.names), err, sizeof(err))))
		;	/* a name rule that cannot learn its names fails the reload */
	else if ((rc = classes_commit(&a->classes, next, &a->procs)) ||
		 (rc = labels_commit(&a->labels, next, clock_ns(CLOCK_BOOTTIME))))
		snprintf(err, sizeof(err), "out of memory");
	if (rc) {
		free(hits);
		a->counters.reloads_failed++;
		log_error("reload: %s; the running rules (policy %s) stay in force", err,
			  a->rules->digest);
		state_numbering(a, a->rules);
		filters_apply(&filters, l, a->rules, l ? &a->fwatch : NULL, err, sizeof(err));
		if (l && !l->egress_off)
			loader_set_dns(l, dns_wanted(a, a->filters.net.names), err, sizeof(err));
		rule_set_free(next);
		return -EINVAL;
	}
	copies_load(&a->copies, next);
	free(a->rule_hits);
	a->rule_hits = hits;
	rule_set_free(a->rules);
	a->rules = next;
	if (l && loader_pin_policy(l, next->digest))
		log_warn("reload: the pinned programs' record of the policy was not updated: the "
			 "next agent will fill the maps again");
	a->filters = filters;
	exe_examine_all(a);
	classes_sync(&a->classes, &a->procs);
	a->counters.reloads_ok++;
	describe_rules(a->rules, desc, sizeof(desc));
	log_info("reload: %s", desc);
	if (l) {
		describe_enforcement(a, "reload");
		describe_dns(a, "reload");
	}
	return 0;
}

/* Every few seconds: the node_exporter textfile, when asked for. */
static void write_metrics(struct agent *a)
{
	struct agent_status st;
	int rc;

	if (!a->opts.metrics_file || now_ms() - a->last_metrics_ms < METRICS_EVERY_MS)
		return;
	fill_status(a, &st);
	rc = status_write_metrics_file(&st, a->opts.metrics_file);
	a->last_metrics_ms = now_ms();
	if (rc)
		log_warn("metrics: writing %s failed: %s", a->opts.metrics_file, strerror(-rc));
}

int agent_run(struct agent *a, struct agent_signals *sig)
{
	int rc = 0;

	while (!sig->stop) {
		rc = loader_poll(&a->loader, a->opts.poll_ms);
		if (rc < 0) {
			log_error("agent: reading the ring buffer failed: %s", strerror(-rc));
			break;
		}
		rc = 0;
		if (now_ms() - a->last_stats_ms >= STATS_EVERY_MS) {
			a->last_stats_ms = now_ms();
			sync_clocks(a);
			report_kernel(a, 0);
		}
		if (a->opts.checkpoint_s &&
		    now_ms() - a->last_checkpoint_ms >= (uint64_t)a->opts.checkpoint_s * MS_PER_S) {
			a->last_checkpoint_ms = now_ms();
			emit_checkpoint(a, 0);
		}
		emit_flush(a, 0);
		if (a->seq != a->saved_seq || now_ms() - a->last_save_ms >= STATE_EVERY_MS)
			stream_save(a, 0);
		if (a->beat_pending) {
			stream_heartbeat(a, a->beat, 0);
			a->beat_pending = 0;
		}
		status_server_serve(&a->status, fill_status, a);
		write_metrics(a);
		if (sig->status) {
			sig->status = 0;
			emit_log_sinks(a);
		}
		if (sig->reload) {
			sig->reload = 0;
			notify_service("RELOADING=1");
			agent_reload(a);
			if (a->handover)
				break;	/* READY=1 comes from the new agent */
			notify_service("READY=1");
		}
	}
	/*
	 * Detach, drain what is left, then every count and loss before the
	 * sinks close: with nothing attached, no window is still counting.
	 */
	if (!a->loader.pinning)
		loader_detach(&a->loader);
	for (int i = 0; i < STOP_DRAIN_ROUNDS && loader_poll(&a->loader, 0) > 0; i++)
		;
	/* pinned, the programs go on counting: windows still open are the next run's */
	a->last_skipped_ms = 0;		/* and the skipped runs up to now, whenever last read */
	report_kernel(a, !a->loader.pinning);
	if (!rc && a->loader.skel)
		stream_heartbeat(a, a->beat_pending ? a->beat : a->bpf_stats, 1);
	if (rc)
		emit_flush(a, 1);
	else
		emit_close(a);	/* a clean stop: the closing checkpoint last */
	stream_save(a, !rc);
	return rc;
}

void agent_free(struct agent *a)
{
	status_server_close(&a->status);
	free(a->rule_hits);
	a->rule_hits = NULL;
	loader_free(&a->loader);
	for (size_t i = 0; i < a->n_sinks; i++) {
		sink_flush(a->sinks[i]);
		sink_close(a->sinks[i]);
	}
	free(a->sinks);
	a->sinks = NULL;
	free(a->sink_lost_seen);
	a->sink_lost_seen = NULL;
	free(a->sink_status);
	a->sink_status = NULL;
	a->n_sinks = 0;
	if (a->rules)
		rule_set_free(a->rules);
	a->rules = NULL;
	proc_cache_free(&a->procs);
	classes_free(&a->classes);
	labels_free(&a->labels);
	copies_free(&a->copies);
	fsid_devs_free(&a->devs);
	cgroups_free(&a->cgroups);
	users_free(&a->users);
	filewatch_free(&a->fwatch);
	mounts_free(&a->mounts);
	sbuf_free(&a->host_path);
	sbuf_free(&a->line);
	json_cache_free(&a->json_cache);
	state_free(&a->state);
	chain_free(&a->chain);
	flow_free(&a->flow);
}
