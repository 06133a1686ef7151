/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.c - the status socket, its client, and the three renderings of the
 * agent's state (text for people, JSON for machines, Prometheus metrics).
 */
#include "agent/status.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fdio.h"
#include "base/heap.h"
#include "record/json.h"

#define STATUS_IO_TIMEOUT_MS 200

static const char *const bpf_stat_names[STAT__COUNT] = {
	[STAT_RING_DROPS] = "ring_drops",
	[STAT_EXEC_SEEN] = "exec_seen",
	[STAT_FILE_SEEN] = "file_seen",
	[STAT_FILE_EMIT] = "file_emitted",
	[STAT_NET_SEEN] = "net_seen",
	[STAT_NET_EMIT] = "net_emitted",
	[STAT_NET_BLOCK] = "net_blocked",
	[STAT_PATH_TRUNC] = "path_truncated",
	[STAT_EXEC_BLOCK] = "exec_blocked",
	[STAT_DROPS_EXEC] = "ring_drops_exec",
	[STAT_DROPS_FILE] = "ring_drops_file",
	[STAT_DROPS_CONNECT] = "ring_drops_connect",
	[STAT_DROPS_PROC] = "ring_drops_process",
	[STAT_FILE_BLOCK] = "file_blocked",
	[STAT_SOCK_SEEN] = "socket_seen",
	[STAT_SOCK_EMIT] = "socket_emitted",
	[STAT_SOCK_BLOCK] = "socket_blocked",
	[STAT_DROPS_SOCKET] = "ring_drops_socket",
	[STAT_DNS_ANSWERS] = "dns_answers",
	[STAT_DNS_BOUND] = "dns_bound",
	[STAT_DNS_BAD] = "dns_malformed",
	[STAT_DNS_NEW] = "dns_new_bindings",
	[STAT_DNS_UNASKED] = "dns_unasked",
	[STAT_REPEAT_FILE] = "repeat_file",
	[STAT_REPEAT_CONNECT] = "repeat_connect",
	[STAT_LIMIT_FILE] = "ratelimited_file",
	[STAT_LIMIT_CONNECT] = "ratelimited_connect",
	[STAT_RESERVE] = "ring_reserve_drops",
	[STAT_REPEAT_FULL] = "repeat_map_full",
	[STAT_LOSS_UNKEYED_RING] = "loss_unkeyed_ring",
	[STAT_LOSS_UNKEYED_LIMIT] = "loss_unkeyed_ratelimit",
	[STAT_SCRATCH_BUSY] = "scratch_busy",
	[STAT_FILE_IDS_ADDED] = "file_ids_added",
	[STAT_FILE_IDS_FULL] = "file_ids_full",
	[STAT_FILE_IDS_STALE] = "file_ids_stale",
	[STAT_FILE_VERDICT_MISS] = "file_verdicts_taken",
	[STAT_FILE_FAST] = "file_fast_innocent",
	[STAT_FILE_UNDECIDED] = "file_undecided",
	[STAT_FILE_TOPO] = "file_renames",
	[STAT_FILE_MOUNTS] = "file_mount_changes",
	[STAT_REPEAT_UNBUILT] = "repeat_file_unbuilt",
	[STAT_PROC_FULL] = "process_state_full",
	[STAT_UNJUDGED_FILE] = "unjudged_file",
	[STAT_UNJUDGED_EXEC] = "unjudged_exec",
	[STAT_GUARD_TREE_MISS] = "guard_tree_miss",
};

struct self_usage {
	double cpu_seconds;
	uint64_t rss_bytes;
	uint64_t peak_rss_bytes;
};

static void self_usage(struct self_usage *u)
{
	struct rusage ru;
	long rss = heap_self_kib("VmRSS"), peak = heap_self_kib("VmHWM");

	memset(u, 0, sizeof(*u));
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		u->cpu_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	u->rss_bytes = rss > 0 ? (uint64_t)rss * 1024 : 0;
	u->peak_rss_bytes = peak > 0 ? (uint64_t)peak * 1024 : 0;
}

static void render_text(const struct agent_status *st, const struct self_usage *u,
			struct sbuf *o)
{
	double up = (double)(clock_ns(CLOCK_MONOTONIC) - st->start_mono_ns) / 1e9;

	sbuf_addf(o, "custos %s, pid %d, up %.0f s\n", CUSTOS_VERSION, (int)getpid(), up);
	sbuf_addf(o, "backend:    %s\n", st->backend);
	sbuf_addf(o, "hooks:      %s\n", st->hooks);
	sbuf_addf(o, "policy:     %s\n", st->rules->digest);
	sbuf_addf(o, "rules:      %zu in force, %zu disabled\n", rule_set_enabled(st->rules, NULL),
		  st->rules->n_rules - rule_set_enabled(st->rules, NULL));
	sbuf_addf(o, "records:    %" PRIu64 " from the kernel, %" PRIu64 " malformed\n",
		  st->counters.records_in, st->counters.records_bad);
	sbuf_addf(o, "events:     %" PRIu64 " emitted (last seq %" PRIu64 ")\n",
		  st->counters.events_out, st->last_seq);
	sbuf_addf(o, "lost:       %" PRIu64 " (ring %" PRIu64 ")\n", st->counters.ring_lost,
		  st->counters.ring_lost);
	sbuf_addf(o, "reloads:    %" PRIu64 " ok, %" PRIu64 " failed\n",
		  st->counters.reloads_ok, st->counters.reloads_failed);
	sbuf_addf(o, "ring:       %u bytes\n", st->ring_bytes);
	sbuf_addf(o, "processes:  %zu cached\n", st->processes);
	sbuf_addf(o, "dns:        %" PRIu64 " of %u bindings, %" PRIu64 " evicted, %" PRIu64
		  " answers (%" PRIu64 " malformed)%s\n", st->dns_bindings, st->dns_capacity,
		  status_dns_evictions(st), st->bpf[STAT_DNS_ANSWERS], st->bpf[STAT_DNS_BAD],
		  st->dns_reading ? "" : "; answers not read (no rule names a destination)");
	sbuf_addf(o, "files:      %zu watched by identity%s%s\n", st->watched_files,
		  st->watched_refused || st->watched_incomplete ?
		  " (incomplete: more than it holds)" : "",
		  st->watched_kernel_full || st->bpf[STAT_FILE_IDS_FULL] ?
		  "; kernel map full: every open on some devices goes to the agent" : "");
	sbuf_addf(o, "cpu:        %.2f s\n", u->cpu_seconds);
	sbuf_addf(o, "rss:        %" PRIu64 " KiB (peak %" PRIu64 " KiB)\n", u->rss_bytes / 1024,
		  u->peak_rss_bytes / 1024);
	sbuf_adds(o, "sinks:\n");
	for (size_t i = 0; i < st->n_sinks; i++) {
		const struct sink_stats *ss = &st->sinks[i].stats;

		sbuf_addf(o, "  %-30s %" PRIu64 " lines, %" PRIu64 " bytes, %" PRIu64 " errors, %"
			  PRIu64 " lost\n", st->sinks[i].name, ss->lines_written, ss->bytes,
			  ss->errors, ss->lines_lost);
	}
	sbuf_adds(o, "rule hits:\n");
	for (size_t i = 0; i < st->rules->n_rules; i++)
		sbuf_addf(o, "  %-40s %" PRIu64 "%s\n", st->rules->rules[i].id, st->rule_hits[i],
			  st->rules->rules[i].enabled ? "" : " (disabled)");
}

static void json_str(struct sbuf *o, const char *s)
{
	json_escape_bytes(o, s, strlen(s));
}

static void render_json(const struct agent_status *st, const struct self_usage *u,
			struct sbuf *o)
{
	sbuf_addf(o, "{\"version\":\"%s\",\"pid\":%d,\"uptime_seconds\":%.3f,\"backend\":",
		  CUSTOS_VERSION, (int)getpid(),
		  (double)(clock_ns(CLOCK_MONOTONIC) - st->start_mono_ns) / 1e9);
	json_str(o, st->backend);
	sbuf_adds(o, ",\"hooks\":[");
	for (const char *p = st->hooks; *p;) {
		size_t n = strcspn(p, " ");

		if (p != st->hooks)
			sbuf_addc(o, ',');
		json_escape_bytes(o, p, n);
		p += n;
		p += *p == ' ';
	}
	sbuf_adds(o, "],\"policy\":");
	json_str(o, st->rules->digest);
	sbuf_addf(o, ",\"rules\":{\"enabled\":%zu,\"disabled\":%zu,\"hits\":{",
		  rule_set_enabled(st->rules, NULL), st->rules->n_rules - rule_set_enabled(st->rules, NULL));
	for (size_t i = 0; i < st->rules->n_rules; i++) {
		if (i)
			sbuf_addc(o, ',');
		json_str(o, st->rules->rules[i].id);
		sbuf_addf(o, ":%" PRIu64, st->rule_hits[i]);
	}
	sbuf_addf(o, "}},\"records_in\":%" PRIu64 ",\"records_malformed\":%" PRIu64
		  ",\"events_out\":%" PRIu64 ",\"last_seq\":%" PRIu64
		  ",\"lost\":{\"ring\":%" PRIu64 "},\"reloads\":{\"ok\":%" PRIu64
		  ",\"failed\":%" PRIu64 "},\"ring_bytes\":%u,\"processes_cached\":%zu"
		  ",\"cpu_seconds\":%.3f,\"rss_bytes\":%" PRIu64 ",\"peak_rss_bytes\":%" PRIu64
		  ",\"dns\":{\"reading\":%s,\"bindings\":%" PRIu64 ",\"capacity\":%u"
		  ",\"evictions\":%" PRIu64 "}"
		  ",\"sinks\":[",
		  st->counters.records_in, st->counters.records_bad, st->counters.events_out,
		  st->last_seq, st->counters.ring_lost, st->counters.reloads_ok,
		  st->counters.reloads_failed, st->ring_bytes, st->processes, u->cpu_seconds,
		  u->rss_bytes, u->peak_rss_bytes, st->dns_reading ? "true" : "false",
		  st->dns_bindings, st->dns_capacity, status_dns_evictions(st));
	for (size_t i = 0; i < st->n_sinks; i++) {
		const struct sink_stats *ss = &st->sinks[i].stats;

		sbuf_adds(o, i ? ",{\"name\":" : "{\"name\":");
		json_str(o, st->sinks[i].name);
		sbuf_addf(o, ",\"lines\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"errors\":%" PRIu64
			  ",\"lost\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"acked\":%" PRIu64
			  ",\"spooled\":%" PRIu64 "}", ss->lines_written, ss->bytes, ss->errors,
			  ss->lines_lost, ss->sent, ss->acked, ss->spooled);
	}
	sbuf_addf(o, "],\"file_watch\":{\"identities\":%zu,\"refused\":%" PRIu64
		  ",\"kernel_full\":%" PRIu64 ",\"walk_incomplete\":%s},\"bpf\":{",
		  st->watched_files, st->watched_refused, st->watched_kernel_full,
		  st->watched_incomplete ? "true" : "false");
	for (int i = 0, first = 1; i < STAT__COUNT; i++) {
		if (!bpf_stat_names[i])
			continue;
		sbuf_addf(o, "%s\"%s\":%" PRIu64, first ? "" : ",", bpf_stat_names[i],
			  st->bpf[i]);
		first = 0;
	}
	sbuf_adds(o, "}}\n");
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void prom_label(struct sbuf *o, const char *s)
{
	sbuf_addc(o, '"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			sbuf_addc(o, '\\');
		if (*s == '\n')
			sbuf_adds(o, "\\n");
		else
			sbuf_addc(o, *s);
	}
	sbuf_addc(o, '"');
}

static void prom_head(struct sbuf *o, const char *name, const char *type, const char *help)
{
	sbuf_addf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The per-sink counters: one metric per sink_stats field, labelled by sink. */
static void render_sink_metrics(const struct agent_status *st, struct sbuf *o)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} m[] = {
		{ "custos_sink_lines_total", "Records put out, by sink (forward: acked ones).",
		  offsetof(struct sink_stats, lines_written) },
		{ "custos_sink_bytes_total", "Bytes of the records put out, by sink.",
		  offsetof(struct sink_stats, bytes) },
		{ "custos_sink_errors_total", "Failed writes, connections and acks, by sink.",
		  offsetof(struct sink_stats, errors) },
		{ "custos_sink_dropped_total", "Records a sink took but could not put out, by sink "
		  "(each also reported as a kind: loss record).", offsetof(struct sink_stats, lines_lost) },
		{ "custos_sink_sent_total", "Records sent to a collector, again after a reconnect, "
		  "by sink (forward).", offsetof(struct sink_stats, sent) },
		{ "custos_sink_acked_total", "Records a collector acknowledged, by sink (forward).",
		  offsetof(struct sink_stats, acked) },
		{ "custos_sink_spooled_total", "Records written to the on-disk spool, by sink "
		  "(forward with a spool).", offsetof(struct sink_stats, spooled) },
	};

	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		prom_head(o, m[k].name, "counter", m[k].help);
		for (size_t i = 0; i < st->n_sinks; i++) {
			const char *base = (const char *)&st->sinks[i].stats;

			sbuf_addf(o, "%s{sink=", m[k].name);
			prom_label(o, st->sinks[i].name);
			sbuf_addf(o, "} %" PRIu64 "\n", *(const uint64_t *)(base + m[k].off));
		}
	}
}

static void render_metrics(const struct agent_status *st, const struct self_usage *u,
			   struct sbuf *o)
{
	prom_head(o, "custos_info", "gauge", "Version, backend and policy of the running agent.");
	sbuf_adds(o, "custos_info{version=");
	prom_label(o, CUSTOS_VERSION);
	sbuf_adds(o, ",backend=");
	prom_label(o, st->backend);
	sbuf_adds(o, ",policy=");
	prom_label(o, st->rules->digest);
	sbuf_adds(o, "} 1\n");
	prom_head(o, "custos_start_time_seconds", "gauge", "When the agent started, Unix time.");
	sbuf_addf(o, "custos_start_time_seconds %.3f\n", (double)st->start_real_ns / 1e9);
	prom_head(o, "custos_rules", "gauge", "Rules loaded, by state.");
	sbuf_addf(o, "custos_rules{state=\"enabled\"} %zu\ncustos_rules{state=\"disabled\"} %zu\n",
		  rule_set_enabled(st->rules, NULL), st->rules->n_rules - rule_set_enabled(st->rules, NULL));
	prom_head(o, "custos_events_total", "counter",
		  "Violation records emitted, by rule and severity (since the rules were loaded).");
	for (size_t i = 0; i < st->rules->n_rules; i++) {
		sbuf_adds(o, "custos_events_total{rule=");
		prom_label(o, st->rules->rules[i].id);
		sbuf_adds(o, ",severity=");
		prom_label(o, rule_severity_name(st->rules->rules[i].severity));
		sbuf_addf(o, "} %" PRIu64 "\n", st->rule_hits[i]);
	}
	prom_head(o, "custos_records_total", "counter", "Records read from the kernel ring buffer.");
	sbuf_addf(o, "custos_records_total %" PRIu64 "\n", st->counters.records_in);
	prom_head(o, "custos_records_malformed_total", "counter",
		  "Ring records refused for a wrong size or ABI version.");
	sbuf_addf(o, "custos_records_malformed_total %" PRIu64 "\n", st->counters.records_bad);
	prom_head(o, "custos_lost_total", "counter", "Records lost, by where they were lost.");
	sbuf_addf(o, "custos_lost_total{where=\"ring\"} %" PRIu64 "\n", st->counters.ring_lost);
	render_sink_metrics(st, o);
	prom_head(o, "custos_reloads_total", "counter", "Rule reloads, by result.");
	sbuf_addf(o, "custos_reloads_total{result=\"ok\"} %" PRIu64 "\n"
		  "custos_reloads_total{result=\"failed\"} %" PRIu64 "\n",
		  st->counters.reloads_ok, st->counters.reloads_failed);
	prom_head(o, "custos_bpf_events_total", "counter",
		  "Counters kept by the BPF programs, by name.");
	for (int i = 0; i < STAT__COUNT; i++)
		if (bpf_stat_names[i])
			sbuf_addf(o, "custos_bpf_events_total{counter=\"%s\"} %" PRIu64 "\n",
				  bpf_stat_names[i], st->bpf[i]);
	prom_head(o, "custos_dns_bindings", "gauge", "DNS name bindings in the kernel's table.");
	sbuf_addf(o, "custos_dns_bindings %" PRIu64 "\n", st->dns_bindings);
	prom_head(o, "custos_dns_bindings_capacity", "gauge",
		  "Size of the kernel's DNS binding table (LRU, --dns-table).");
	sbuf_addf(o, "custos_dns_bindings_capacity %u\n", st->dns_capacity);
	prom_head(o, "custos_dns_evictions_total", "counter",
		  "DNS bindings the table dropped to make room for new ones.");
	sbuf_addf(o, "custos_dns_evictions_total %" PRIu64 "\n", status_dns_evictions(st));
	prom_head(o, "custos_processes_cached", "gauge", "Processes in the lineage cache.");
	sbuf_addf(o, "custos_processes_cached %zu\n", st->processes);
	prom_head(o, "custos_ring_buffer_bytes", "gauge", "Size of the kernel ring buffer.");
	sbuf_addf(o, "custos_ring_buffer_bytes %u\n", st->ring_bytes);
	prom_head(o, "custos_cpu_seconds_total", "counter", "CPU time of the agent (user + system).");
	sbuf_addf(o, "custos_cpu_seconds_total %.3f\n", u->cpu_seconds);
	prom_head(o, "custos_resident_memory_bytes", "gauge", "Resident memory of the agent.");
	sbuf_addf(o, "custos_resident_memory_bytes %" PRIu64 "\n", u->rss_bytes);
}

void status_render(const struct agent_status *st, enum status_format fmt, struct sbuf *out)
{
	struct self_usage u;

	self_usage(&u);
	if (fmt == STATUS_JSON)
		render_json(st, &u, out);
	else if (fmt == STATUS_METRICS)
		render_metrics(st, &u, out);
	else
		render_text(st, &u, out);
}

int status_write_metrics_file(const struct agent_status *st, const char *path)
{
	struct sbuf b = SBUF_INIT;
	char tmp[4200];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	status_render(st, STATUS_METRICS, &b);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = fd_write_all(fd, b.p, b.len);
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
out:
	sbuf_free(&b);
	return rc;
}

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

int status_server_open(struct status_server *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char dir[108];
	char *slash;
	int rc;

	s->fd = -1;
	s->path[0] = '\0';
	if (!path || strcmp(path, "none") == 0)
		return 0;
	if (make_addr(path, &sa)) {
		snprintf(err, errlen, "status: socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			rc = -errno;
			snprintf(err, errlen, "status: creating %s failed: %s", dir, strerror(-rc));
			return rc;
		}
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	unlink(path);	/* a stale socket from a previous run */
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(s->fd, 8)) {
		rc = -errno;
		snprintf(err, errlen, "status: listening on %s failed: %s (use --status-socket "
			 "PATH or none)", path, strerror(-rc));
		close(s->fd);
		s->fd = -1;
		return rc;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	return 0;
}

static void serve_one(int fd, status_fill_fn fill, void *ctx)
{
	struct agent_status st;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sbuf b = SBUF_INIT;
	char req[32] = "";
	ssize_t n = 0;
	size_t off = 0;

	if (poll(&p, 1, STATUS_IO_TIMEOUT_MS) == 1)
		n = read(fd, req, sizeof(req) - 1);
	req[n > 0 ? n : 0] = '\0';
	req[strcspn(req, "\r\n")] = '\0';
	fill(ctx, &st);
	if (strcmp(req, "json") == 0)
		status_render(&st, STATUS_JSON, &b);
	else if (strcmp(req, "metrics") == 0)
		status_render(&st, STATUS_METRICS, &b);
	else if (strcmp(req, "text") == 0 || req[0] == '\0')
		status_render(&st, STATUS_TEXT, &b);
	else
		sbuf_addf(&b, "error: unknown request '%s' (expected text, json or metrics)\n", req);
	while (off < b.len) {
		p.events = POLLOUT;
		if (poll(&p, 1, STATUS_IO_TIMEOUT_MS) != 1)
			break;
		n = write(fd, b.p + off, b.len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	sbuf_free(&b);
}

void status_server_serve(struct status_server *s, status_fill_fn fill, void *ctx)
{
	int fd;

	if (s->fd < 0)
		return;
	while ((fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		serve_one(fd, fill, ctx);
		close(fd);
	}
}

void status_server_close(struct status_server *s)
{
	if (s->fd >= 0) {
		close(s->fd);
		unlink(s->path);
	}
	s->fd = -1;
}

int status_query(const char *path, enum status_format fmt, struct sbuf *out,
		 char *err, size_t errlen)
{
	static const char *const req[] = { "text\n", "json\n", "metrics\n" };
	struct sockaddr_un sa;
	char buf[4096];
	ssize_t n;
	int fd, rc = 0;

	if (make_addr(path, &sa))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		snprintf(err, errlen, "status: no agent answers at %s: %s (is custos running? "
			 "as root?)", path, strerror(-rc));
		close(fd);
		return rc;
	}
	if (write(fd, req[fmt], strlen(req[fmt])) < 0)
		rc = -errno;
	while (!rc && (n = read(fd, buf, sizeof(buf))) > 0)
		sbuf_add(out, buf, (size_t)n);
	close(fd);
	return rc;
}
