/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.h - what the running agent tells `custos status` and Prometheus.
 *
 * The agent listens on a root-only Unix stream socket (default
 * /run/custos/status.sock, directory 0700, socket 0600).  A client writes one
 * line, "text", "json" or "metrics", and reads the answer until EOF.  The
 * agent serves requests between two polls of the ring (non-blocking accept),
 * so a status request never stalls event processing for long.
 *
 * The same rendering feeds an optional node_exporter textfile
 * (--metrics-file), rewritten atomically every few seconds.
 */
#ifndef CUSTOS_STATUS_H
#define CUSTOS_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "base/sbuf.h"
#include "events.h"
#include "rules/rules.h"
#include "sinks/sink.h"

#define STATUS_SOCKET_DEFAULT "/run/custos/status.sock"

/* What the agent counts while it runs. */
struct agent_counters {
	uint64_t records_in;		/* ring records decoded */
	uint64_t records_bad;		/* wrong size or ABI version */
	uint64_t events_out;		/* lines emitted (violations and loss) */
	uint64_t ring_lost;		/* reported as kind: loss, where: ring */
	uint64_t sink_errors;
	uint64_t reloads_ok;
	uint64_t reloads_failed;
};

/* One output as the status shows it. */
struct status_sink {
	const char *name;
	struct sink_stats stats;
};

/*
 * What the status renders: a snapshot of the running agent that it fills
 * on request (status_fill_fn).  The pointers stay valid until the agent
 * handles its next record.
 */
struct agent_status {
	uint64_t start_mono_ns;		/* CLOCK_MONOTONIC when it started */
	uint64_t start_real_ns;		/* and CLOCK_REALTIME */
	const char *backend;
	const char *hooks;		/* "exec__btf file__lsm ...": attached programs */
	const struct rule_set *rules;	/* in force: ids, severities, enabled, digest */
	const uint64_t *rule_hits;	/* per rule of rules, since it was loaded */
	struct agent_counters counters;
	uint64_t last_seq;
	uint32_t ring_bytes;
	size_t processes;		/* in the process cache */
	const struct status_sink *sinks;
	size_t n_sinks;
	uint64_t bpf[STAT__COUNT];	/* the BPF programs' counters (enum stat_idx) */
	uint64_t dns_bindings;		/* DNS bindings in the kernel's table now */
	uint32_t dns_capacity;		/* ... and its size (--dns-table) */
	int dns_reading;		/* the kernel reads DNS answers (LOADER_DNS_PROG) */
	/* files watched by identity (filters/filewatch.h) */
	size_t watched_files;		/* identities the agent knows a path for */
	uint64_t watched_refused;	/* ... it could not keep (its table full) */
	uint64_t watched_kernel_full;	/* ... the kernel's map did not take at load */
	int watched_incomplete;		/* the load's walk ran out of its budget */
};

/* Bindings the LRU table dropped to make room: new ones made, less those left. */
static inline uint64_t status_dns_evictions(const struct agent_status *st)
{
	uint64_t made = st->bpf[STAT_DNS_NEW];

	return made > st->dns_bindings ? made - st->dns_bindings : 0;
}

/* Fills *st with the agent's state as of now. */
typedef void (*status_fill_fn)(void *ctx, struct agent_status *st);

enum status_format {
	STATUS_TEXT,
	STATUS_JSON,
	STATUS_METRICS,		/* Prometheus text exposition format 0.0.4 */
};

struct status_server {
	int fd;			/* -1: not listening */
	char path[108];
};

/* Creates the socket (and its directory, 0700); path NULL or "none": off. */
int status_server_open(struct status_server *s, const char *path, char *err, size_t errlen);
/* Answers every pending request, each with a snapshot fill(ctx) makes. */
void status_server_serve(struct status_server *s, status_fill_fn fill, void *ctx);
void status_server_close(struct status_server *s);

/* Renders the agent's state. */
void status_render(const struct agent_status *st, enum status_format fmt, struct sbuf *out);
/* Writes the metrics to path atomically (path.tmp + rename). */
int status_write_metrics_file(const struct agent_status *st, const char *path);

/* Client side: asks the agent at path; the answer is appended to out. */
int status_query(const char *path, enum status_format fmt, struct sbuf *out,
		 char *err, size_t errlen);

#endif
