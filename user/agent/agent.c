/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.c - `custos run` (see agent.h for the walk of one record).
 */
#include "agent/agent.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "host/container.h"
#include "events.h"
#include "filters/filters.h"
#include "filters/guard.h"
#include "record/json.h"
#include "base/log.h"
#include "base/notify.h"
#include "host/proc_seed.h"
#include "rules/io.h"
#include "record/ocsf.h"
#include "sinks/sink.h"

#define STATS_EVERY_MS 100
#define METRICS_EVERY_MS 5000

static void sync_clocks(struct agent *a)
{
	uint64_t real = clock_ns(CLOCK_REALTIME);
	uint64_t boot = clock_ns(CLOCK_BOOTTIME);

	a->boot_to_real_ns = (int64_t)(real - boot);
}

/* --- emitting -------------------------------------------------------------- */

static void write_line(struct agent *a)
{
	for (size_t i = 0; i < a->n_sinks; i++) {
		int rc = sink_write(a->sinks[i], a->line.p, a->line.len);

		if (rc) {
			a->counters.sink_errors++;
			log_debug("sink %s: write failed: %s", sink_name(a->sinks[i]),
				  strerror(-rc));
		}
	}
}

static void emit_event(struct agent *a, const struct cev_event *ev, const struct rule *r)
{
	struct json_meta meta = { .host = a->host, .policy = a->rules->digest };
	struct json_rule jr;

	if (r) {
		jr.id = r->id;
		jr.severity = rule_severity_name(r->severity);
		jr.action = rule_action_name(r->action);
		/* events-v1: "block" only when the kernel refused the call */
		if ((ev->kind == CEV_FILE && !ev->file.blocked) ||
		    (ev->kind == CEV_EXEC && !ev->exec.blocked))
			jr.action = rule_action_name(ACT_ALERT);
		jr.tags = (const char *const *)r->tags;
		jr.n_tags = r->n_tags;
	}
	meta.seq = a->seq + 1;
	sbuf_reset(&a->line);
	if ((a->opts.ocsf ? ocsf_render_event : json_render_event)(&a->line, ev, r ? &jr : NULL,
								    &meta)) {
		log_warn("agent: rendering a record failed (out of memory?); dropped");
		return;
	}
	a->seq++;
	a->counters.events_out++;
	if (r)
		a->rule_hits[r - a->rules->rules]++;
	write_line(a);
}

static void emit_loss(struct agent *a, uint64_t lost, const char *where)
{
	struct cev_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_LOSS;
	ev.time_ns = clock_ns(CLOCK_REALTIME);
	ev.loss.lost = lost;
	ev.loss.where = where;
	emit_event(a, &ev, NULL);
}

/*
 * A sink that could not take records (a forward sink's full queue, a failed
 * write) says so in its stats; each new count becomes a loss record with
 * where "sink:NAME", which the other sinks carry.
 */
static int report_sink_loss(struct agent *a)
{
	int emitted = 0;

	for (size_t i = 0; i < a->n_sinks; i++) {
		struct sink_stats st;
		char where[300];
		uint64_t lost;

		sink_get_stats(a->sinks[i], &st);
		if (st.lines_lost <= a->sink_lost_seen[i])
			continue;
		lost = st.lines_lost - a->sink_lost_seen[i];
		a->sink_lost_seen[i] = st.lines_lost;
		snprintf(where, sizeof(where), "sink:%s", sink_name(a->sinks[i]));
		log_warn("agent: output %s lost %llu records", sink_name(a->sinks[i]),
			 (unsigned long long)lost);
		emit_loss(a, lost, where);
		emitted++;
	}
	return emitted;
}

/* SIGUSR1: one log line per sink with its counters. */
static void log_sink_status(struct agent *a)
{
	for (size_t i = 0; i < a->n_sinks; i++) {
		struct sink_stats st;

		sink_get_stats(a->sinks[i], &st);
		log_info("status: output %s: written %llu, sent %llu, acked %llu, spooled %llu, "
			 "dropped %llu, errors %llu", sink_name(a->sinks[i]),
			 (unsigned long long)st.lines_written, (unsigned long long)st.sent,
			 (unsigned long long)st.acked, (unsigned long long)st.spooled,
			 (unsigned long long)st.lines_lost, (unsigned long long)st.errors);
	}
}

/* Sinks gather lines until flushed: flush, then report what a flush could
 * not write, and flush that report too. */
static void flush_sinks(struct agent *a)
{
	for (size_t i = 0; i < a->n_sinks; i++)
		sink_flush(a->sinks[i]);
	if (!report_sink_loss(a))
		return;
	for (size_t i = 0; i < a->n_sinks; i++)
		sink_flush(a->sinks[i]);
}

/* --- building a cev_event -------------------------------------------------- */

static void fill_args(struct cev_args *out, const char *buf, uint32_t len, int trunc)
{
	out->buf = buf;
	out->len = len;
	out->truncated = (uint8_t)trunc;
}

/* The cache entry of the acting process, created from /proc when it is missing. */
static const struct proc_entry *acting_process(struct agent *a, const struct ev_header *h)
{
	const struct proc_entry *e = proc_cache_lookup(&a->procs, h->pid, h->start_ns);

	if (e)
		return e;
	/* started before the seed, or its fork record was lost: read it now */
	if (proc_seed_one(&a->procs, "/proc", h->pid) == 0)
		e = proc_cache_lookup(&a->procs, h->pid, h->start_ns);
	return e;
}

static void fill_process(struct agent *a, struct cev_event *ev, const struct ev_header *h,
			 const struct proc_entry *e)
{
	struct cev_process *p = &ev->proc;
	const struct proc_entry *parent = NULL;
	const struct proc_entry *line[AGENT_MAX_ANCESTORS];
	size_t n;

	ev->time_ns = h->ts_boot_ns + (uint64_t)a->boot_to_real_ns;
	p->pid = h->pid;
	p->tid = h->tid;
	p->ppid = h->ppid;
	p->uid = h->uid;
	p->user = users_name(&a->users, h->uid);
	memcpy(p->comm, h->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	p->cgroup = cgroups_lookup(&a->cgroups, h->cgroup_id);
	if (!p->cgroup && proc_read_cgroup_path((pid_t)h->pid, a->cgroup_buf, sizeof(a->cgroup_buf)) == 0)
		p->cgroup = a->cgroup_buf;
	if (p->cgroup && container_id_from_cgroup(p->cgroup, a->container_buf,
						  sizeof(a->container_buf)) == 0)
		p->container_id = a->container_buf;
	if (e) {
		p->exe.p = e->exe;
		p->exe.len = e->exe_len;
		p->exe.truncated = e->exe_truncated;
		fill_args(&p->args, e->args, e->args_len, e->args_truncated);
	}

	ev->has_parent = 0;
	ev->n_ancestors = 0;
	ev->ancestors = a->ancestors;
	if (!e)
		return;
	n = proc_cache_lineage(&a->procs, e, line, AGENT_MAX_ANCESTORS);
	if (n > 0)
		parent = line[0];
	for (size_t i = 0; i < n; i++) {
		a->ancestors[i].p = line[i]->exe;
		a->ancestors[i].len = line[i]->exe_len;
		a->ancestors[i].truncated = line[i]->exe_truncated;
	}
	ev->n_ancestors = (uint32_t)n;
	if (parent) {
		ev->has_parent = 1;
		ev->parent.pid = parent->pid;
		ev->parent.exe = a->ancestors[0];
		fill_args(&ev->parent.args, parent->args, parent->args_len, parent->args_truncated);
	}
}

static void match_and_emit(struct agent *a, const struct cev_event *ev)
{
	size_t n = rule_set_match(a->rules, ev, a->hits, AGENT_MAX_HITS);

	if (n > AGENT_MAX_HITS) {
		log_warn("agent: %zu rules matched one event; reporting the first %d",
			 n, AGENT_MAX_HITS);
		n = AGENT_MAX_HITS;
	}
	for (size_t i = 0; i < n; i++)
		emit_event(a, ev, a->hits[i]);
}

/*
 * A record whose rules the kernel decided: a flagged connect, a refused exec
 * or open.  rule_mask holds the slots of s that flagged it, numbered by the
 * rule set gen names.  A slot the kernel decides exactly (dest, proto, exe
 * identity; every guard slot) is reported as the kernel decided: so a
 * renamed binary does not pass as an exempt one, and a refused call names
 * the block rule that refused it.  A slot it decided loosely is checked by
 * the matcher.  A record decided under the rule set a reload just replaced
 * (another gen) goes through the matcher over the rules s numbers.  A block
 * rule is reported only for a refused call.
 */
static void emit_kernel_verdict(struct agent *a, const struct cev_event *ev, uint64_t rule_mask,
				uint16_t gen, const struct filter_slots *s)
{
	int refused = (ev->kind == CEV_CONNECT && ev->conn.blocked) ||
		      (ev->kind == CEV_EXEC && ev->exec.blocked) ||
		      (ev->kind == CEV_FILE && ev->file.blocked);

	if (gen != s->gen) {
		for (size_t i = 0; i < a->rules->n_rules; i++) {
			const struct rule *r = &a->rules->rules[i];

			if (!rule_matches(r, ev) ||
			    (r->action == ACT_BLOCK ? !refused : s->block_only))
				continue;
			emit_event(a, ev, r);
		}
		return;
	}
	for (int i = 0; i < FILTER_MAX_SLOTS; i++) {
		const struct rule *r = s->rule[i];

		if (!(rule_mask & (1ULL << i)) || !r)
			continue;
		if (r->action == ACT_BLOCK && !refused)
			continue;
		if ((s->exact & (1ULL << i)) || rule_matches(r, ev))
			emit_event(a, ev, r);
	}
}

/* --- record handlers ------------------------------------------------------- */

/* --- exec refused by an exec block rule (bpf/execguard.bpf.c) --- */

/*
 * The exec did not happen: the process cache keeps the caller as it was
 * (its pid still runs the old program).  The record is the caller's process
 * with the refused program as exe and args, its parent and ancestors from the
 * cache, one record per block rule that refused it (emit_kernel_verdict).
 * Alert rules are not evaluated for an exec that never ran.
 */
static int on_exec_refused(struct agent *a, const struct ev_exec *x)
{
	struct cev_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_EXEC;
	fill_process(a, &ev, &x->h, acting_process(a, &x->h));
	ev.proc.exe.p = x->data;
	ev.proc.exe.len = x->exe_len;
	ev.proc.exe.truncated = x->exe_trunc;
	fill_args(&ev.proc.args, x->data + x->exe_len, x->args_len, x->args_trunc);
	ev.exec.blocked = 1;
	emit_kernel_verdict(a, &ev, x->rule_mask, x->gen, &a->filters.exec);
	return 0;
}

static int on_exec(struct agent *a, const struct ev_exec *x, size_t size)
{
	const struct proc_entry *e;
	struct cev_event ev;

	if (size < EV_EXEC_FIXED || (size_t)EV_EXEC_FIXED + x->exe_len + x->args_len > size)
		return -EINVAL;
	if (x->blocked)
		return on_exec_refused(a, x);
	/* a process the cache never saw (its fork record predates us): its parent first */
	if (!proc_cache_lookup(&a->procs, x->h.pid, x->h.start_ns))
		proc_cache_fork(&a->procs, x->h.pid, x->h.ppid, x->h.start_ns);
	proc_cache_exec(&a->procs, x->h.pid, x->h.start_ns, x->data, x->exe_len, x->exe_trunc,
			x->data + x->exe_len, x->args_len, x->args_trunc, x->h.uid);
	e = proc_cache_lookup(&a->procs, x->h.pid, x->h.start_ns);
	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_EXEC;
	fill_process(a, &ev, &x->h, e);
	if (!e) {	/* out of memory in the cache: still report from the record */
		ev.proc.exe.p = x->data;
		ev.proc.exe.len = x->exe_len;
		ev.proc.exe.truncated = x->exe_trunc;
		fill_args(&ev.proc.args, x->data + x->exe_len, x->args_len, x->args_trunc);
	}
	match_and_emit(a, &ev);
	return 0;
}

/*
 * An open the file guard refused (file__lsm, blocked = 1): one record per
 * block rule that refused it (emit_kernel_verdict).  Alert rules are
 * matched as for any open: the open was attempted (their records say action
 * alert, file.blocked true).
 */
static int on_file_refused(struct agent *a, const struct ev_file *f, struct cev_event *ev)
{
	size_t n;

	emit_kernel_verdict(a, ev, f->rule_mask, f->gen, &a->filters.fileguard);
	n = rule_set_match(a->rules, ev, a->hits, AGENT_MAX_HITS);
	for (size_t i = 0; i < n && i < AGENT_MAX_HITS; i++)
		if (a->hits[i]->action != ACT_BLOCK)
			emit_event(a, ev, a->hits[i]);
	return 0;
}

static int on_file(struct agent *a, const struct ev_file *f, size_t size)
{
	struct cev_event ev;

	if (size < EV_FILE_FIXED || (size_t)EV_FILE_FIXED + f->path_len > size)
		return -EINVAL;
	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_FILE;
	fill_process(a, &ev, &f->h, acting_process(a, &f->h));
	ev.file.path.p = f->data;
	ev.file.path.len = f->path_len;
	ev.file.path.truncated = f->path_trunc;
	ev.file.flags = f->flags;
	ev.file.access = (f->access & EV_ACC_READ ? CEV_ACC_READ : 0) |
			 (f->access & EV_ACC_WRITE ? CEV_ACC_WRITE : 0) |
			 (f->access & EV_ACC_CREATE ? CEV_ACC_CREATE : 0);
	ev.file.blocked = f->blocked;
	if (f->blocked)
		return on_file_refused(a, f, &ev);
	match_and_emit(a, &ev);
	return 0;
}

/* An io_uring open submitted, seen without its file (tracepoint backends). */
static int on_iouring(struct agent *a, const struct ev_iouring *u, size_t size)
{
	struct cev_event ev;

	if (size < sizeof(*u))
		return -EINVAL;
	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_FILE;
	fill_process(a, &ev, &u->h, acting_process(a, &u->h));
	ev.file.path.p = "";
	ev.file.unresolved = 1;
	ev.file.via = "io_uring";
	ev.file.op = u->opcode == EV_IORING_OP_OPENAT2 ? "openat2" : "openat";
	match_and_emit(a, &ev);
	return 0;
}

/* A connect or send the egress decision flagged (emit_kernel_verdict). */
static int on_connect(struct agent *a, const struct ev_connect *c, size_t size)
{
	struct cev_event ev;

	if (size < sizeof(*c))
		return -EINVAL;
	memset(&ev, 0, sizeof(ev));
	ev.kind = CEV_CONNECT;
	fill_process(a, &ev, &c->h, acting_process(a, &c->h));
	ev.conn.family = c->family;
	ev.conn.proto = c->proto;
	ev.conn.ipproto = c->ipproto;
	ev.conn.port = c->port;
	ev.conn.blocked = c->blocked;
	memcpy(ev.conn.addr, c->addr, sizeof(ev.conn.addr));
	emit_kernel_verdict(a, &ev, c->rule_mask, c->gen, &a->filters.net);
	return 0;
}

int agent_handle_record(struct agent *a, const void *data, size_t size)
{
	const struct ev_header *h = data;
	int rc;

	a->counters.records_in++;
	if (size < sizeof(*h) || h->abi != CUSTOS_ABI_VERSION || h->size > size) {
		a->counters.records_bad++;
		return 0;
	}
	switch (h->type) {
	case EV_EXEC:
		rc = on_exec(a, data, h->size);
		break;
	case EV_FORK:
		rc = size < sizeof(struct ev_fork) ? -EINVAL :
		     proc_cache_fork(&a->procs, h->pid, h->ppid, h->start_ns);
		break;
	case EV_EXIT:
		proc_cache_exit(&a->procs, h->pid, h->start_ns);
		rc = 0;
		break;
	case EV_FILE:
		rc = on_file(a, data, h->size);
		break;
	case EV_CONNECT:
		rc = on_connect(a, data, h->size);
		break;
	case EV_IOURING:
		rc = on_iouring(a, data, h->size);
		break;
	default:
		rc = -EINVAL;
	}
	if (rc == -EINVAL)
		a->counters.records_bad++;
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	return agent_handle_record(ctx, data, size);
}

/* --- loss ------------------------------------------------------------------ */

static void check_losses(struct agent *a)
{
	uint64_t stats[STAT__COUNT];

	if (loader_read_stats(&a->loader, stats, STAT__COUNT))
		return;
	memcpy(a->bpf_stats, stats, sizeof(stats));
	if (stats[STAT_RING_DROPS] > a->ring_drops_seen) {
		uint64_t lost = stats[STAT_RING_DROPS] - a->ring_drops_seen;

		a->ring_drops_seen = stats[STAT_RING_DROPS];
		a->counters.ring_lost += lost;
		log_warn("agent: the ring buffer was full: %llu records lost "
			 "(raise --ring-size)", (unsigned long long)lost);
		emit_loss(a, lost, "ring");
	}
}

/* --- lifecycle ------------------------------------------------------------- */

static int open_sinks(struct agent *a, char *err, size_t errlen)
{
	static const char *const def[] = { "stdout" };
	const char *const *specs = a->opts.n_outputs ? a->opts.outputs : def;
	size_t n = a->opts.n_outputs ? a->opts.n_outputs : 1;

	a->sinks = calloc(n, sizeof(*a->sinks));
	a->sink_lost_seen = calloc(n, sizeof(*a->sink_lost_seen));
	if (!a->sinks || !a->sink_lost_seen)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = sink_open(specs[i], &a->sinks[i], err, errlen);

		if (rc)
			return rc;
		a->n_sinks++;
	}
	return 0;
}

static int load_rules(struct agent *a, struct rule_set **out)
{
	struct rule_diags diags = { 0 };
	char err[512] = "";
	int rc;

	rc = rules_load_paths(a->opts.rule_paths, a->opts.n_rule_paths, 1, out, &diags,
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
 * Raw IP sockets (SOCK_RAW) pass no cgroup hook: only the BPF LSM hooks of
 * opt_netguard__lsm see them.  With connect rules loaded, the agent says
 * whether raw sends are covered.
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
			 "connect/send (BPF LSM socket_connect/socket_sendmsg, proto raw)", who);
	else
		log_warn("%s: raw IP sockets are NOT covered on the %s backend: a SOCK_RAW send "
			 "(ICMP, hand-made packets; needs CAP_NET_RAW) passes no cgroup hook and "
			 "connect rules do not see it; covering it needs BPF LSM (boot with "
			 "lsm=...,bpf)", who, backend_name(a->loader.backend));
}

/* What the kernel enforces of the rules in force, and what it cannot see. */
static void describe_enforcement(struct agent *a, const char *who)
{
	describe_blocking(a, who, filter_guard_block_rules(a->rules, RULE_ON_EXEC), "exec",
			  "opt_execguard__lsm", "bprm_check_security", "exec");
	describe_blocking(a, who, filter_guard_block_rules(a->rules, RULE_ON_FILE), "file",
			  "file__lsm", "file_open", "open");
	describe_raw_egress(a, who);
}

int agent_init(struct agent *a, const struct agent_opts *o, char *err, size_t errlen)
{
	struct loader_opts lo = { 0 };
	char desc[256];
	int rc;

	memset(a, 0, sizeof(*a));
	a->opts = *o;
	a->status.fd = -1;
	a->start_mono_ns = clock_ns(CLOCK_MONOTONIC);
	a->start_real_ns = clock_ns(CLOCK_REALTIME);
	if (o->host)
		snprintf(a->host, sizeof(a->host), "%s", o->host);
	else if (gethostname(a->host, sizeof(a->host) - 1))
		snprintf(a->host, sizeof(a->host), "unknown");
	sync_clocks(a);

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
	if ((rc = users_init(&a->users)) || (rc = proc_cache_init(&a->procs, 0))) {
		snprintf(err, errlen, "agent: out of memory");
		return rc;
	}

	lo.backend = o->backend;
	lo.ring_bytes = o->ring_bytes;
	lo.wakeup_bytes = o->wakeup_bytes;
	lo.self_tgid = (uint32_t)getpid();
	lo.on_sample = on_sample;
	lo.ctx = a;
	rc = loader_load(&a->loader, &lo, err, errlen);
	if (rc)
		return rc;
	cgroups_init(&a->cgroups, a->loader.probe.cgroup2);
	rc = filters_apply(&a->filters, &a->loader, a->rules, err, errlen);
	if (rc)
		return rc;

	/* attach first, then seed: a process that starts in between is in both */
	rc = loader_attach(&a->loader, err, errlen);
	if (rc)
		return rc;
	rc = proc_seed_from_proc(&a->procs, "/proc");
	log_info("agent: process cache seeded with %d processes from /proc", rc < 0 ? 0 : rc);
	log_info("agent: backend %s; hooks: %s", backend_name(a->loader.backend), a->loader.hooks);
	describe_rules(a->rules, desc, sizeof(desc));
	log_info("agent: %s", desc);
	describe_enforcement(a, "agent");
	return 0;
}

int agent_reload(struct agent *a)
{
	struct rule_set *next = NULL;
	struct filters filters;
	char desc[256], err[512];
	uint64_t *hits;

	users_clear(&a->users);
	for (size_t i = 0; i < a->n_sinks; i++)
		sink_reopen(a->sinks[i]);
	if (load_rules(a, &next)) {
		a->counters.reloads_failed++;
		log_error("reload: the new rules do not load; the running rules (policy %s) "
			  "stay in force", a->rules->digest);
		return -EINVAL;
	}
	hits = calloc(next->n_rules + 1, sizeof(*hits));
	if (!hits || filters_apply(&filters, &a->loader, next, err, sizeof(err))) {
		if (!hits)
			snprintf(err, sizeof(err), "out of memory");
		free(hits);
		a->counters.reloads_failed++;
		log_error("reload: %s; the running rules (policy %s) stay in force", err,
			  a->rules->digest);
		filters_apply(&filters, &a->loader, a->rules, err, sizeof(err));
		rule_set_free(next);
		return -EINVAL;
	}
	free(a->rule_hits);
	a->rule_hits = hits;
	rule_set_free(a->rules);
	a->rules = next;
	a->filters = filters;
	a->counters.reloads_ok++;
	describe_rules(a->rules, desc, sizeof(desc));
	log_info("reload: %s", desc);
	describe_enforcement(a, "reload");
	return 0;
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
			check_losses(a);
			sync_clocks(a);
		}
		flush_sinks(a);
		status_server_serve(&a->status, a);
		if (a->opts.metrics_file && now_ms() - a->last_metrics_ms >= METRICS_EVERY_MS) {
			int mrc = status_write_metrics_file(a, a->opts.metrics_file);

			a->last_metrics_ms = now_ms();
			if (mrc)
				log_warn("metrics: writing %s failed: %s", a->opts.metrics_file,
					 strerror(-mrc));
		}
		if (sig->status) {
			sig->status = 0;
			log_sink_status(a);
		}
		if (sig->reload) {
			sig->reload = 0;
			notify_service("RELOADING=1");
			agent_reload(a);
			notify_service("READY=1");
		}
	}
	/* drain what is left, then report any loss before the sinks close */
	loader_poll(&a->loader, 0);
	check_losses(a);
	flush_sinks(a);
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
	a->n_sinks = 0;
	if (a->rules)
		rule_set_free(a->rules);
	a->rules = NULL;
	proc_cache_free(&a->procs);
	cgroups_free(&a->cgroups);
	users_free(&a->users);
	sbuf_free(&a->line);
}
