/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink.h - where rendered records go: `stdout`, `jsonl:PATH` (with size-based
 * rotation) and `forward:HOST:PORT` (forward.h, a Fluent Forward collector).
 *
 * The agent opens one sink per `output:` entry of the configuration with
 * sink_open(), hands every rendered record to sink_write(), calls
 * sink_flush() after each batch it drained from the ring buffer,
 * sink_reopen() on SIGHUP (logrotate), and sink_close() at exit.  When a
 * write fails the record is counted as lost in the sink's stats; the agent
 * reports that as a `kind: loss` record with where "sink:NAME".
 *
 * Each sink states the record format it takes (struct sink.format).  Every
 * kind takes one JSON line per record; the forward sink turns each line into
 * its msgpack Forward entry itself.  A new sink kind is a new ops table and
 * one more prefix in sink_open(); callers do not change.
 *
 * The module never prints; sink_open() explains a failure in err.
 */
#ifndef CUSTOS_SINK_H
#define CUSTOS_SINK_H

#include <stddef.h>
#include <stdint.h>

enum sink_format {
	SINK_FMT_JSONL = 1,	/* one JSON object per line, '\n'-terminated */
};

struct sink_stats {
	uint64_t lines_written;	/* records the sink has put out */
	uint64_t bytes;		/* bytes of those records */
	uint64_t errors;	/* failed writes, flushes, reopens */
	uint64_t lines_lost;	/* records taken but not put out (dropped) */
	/* queueing sinks (forward) only; 0 for the line sinks */
	uint64_t sent;		/* records sent to a collector (again after a reconnect) */
	uint64_t acked;		/* records a collector acknowledged */
	uint64_t spooled;	/* records written to the on-disk spool */
};

struct sink;

/* One sink kind.  Every function returns 0 or -errno. */
struct sink_ops {
	const char *kind;	/* "stdout", "jsonl", ... */
	/* one complete record; for line sinks, exactly one '\n'-terminated line */
	int (*write)(struct sink *s, const char *rec, size_t len);
	int (*flush)(struct sink *s);
	int (*reopen)(struct sink *s);
	int (*close)(struct sink *s);	/* releases what open acquired, not s */
	/* optional: a consistent copy of the stats, for sinks with a worker thread */
	void (*get_stats)(const struct sink *s, struct sink_stats *out);
};

struct sink {
	const struct sink_ops *ops;
	char *name;		/* the spec it was opened from, e.g. "jsonl:/var/log/x" */
	enum sink_format format;
	struct sink_stats stats;
	void *priv;		/* the kind's own state */
};

/*
 * Opens a sink from its spec: "stdout", "jsonl:PATH[,max-size=BYTES][,keep=N]"
 * (appends, creating PATH with mode 0600; with max-size, rotates to
 * PATH.1.gz .. PATH.N.gz between lines) or "forward:HOST:PORT[,OPT=V]..."
 * (forward.h; options in docs/CONFIG.md).  Returns 0 and *out, or -errno with a message in
 * err ("output 'SPEC': ..."): -EINVAL for a bad spec, -ENOTSUP for a kind
 * this build does not have, or the error of open(2).
 */
int sink_open(const char *spec, struct sink **out, char *err, size_t errlen);

/*
 * Writes one record.  The line sinks gather whole lines and put them out with
 * one write(2) at sink_flush() or at 64 KiB; jsonl opens with O_APPEND, so
 * concurrent writers to one file never interleave lines.  Returns 0 or
 * -errno; -EINVAL if rec is not one '\n'-terminated line.
 */
int sink_write(struct sink *s, const char *rec, size_t len);
int sink_flush(struct sink *s);
/* Reopens the file by its path (after logrotate moved it); no-op for stdout. */
int sink_reopen(struct sink *s);
/* Flushes and frees s (NULL is fine); returns the flush/close error, if any. */
int sink_close(struct sink *s);

const char *sink_name(const struct sink *s);
void sink_get_stats(const struct sink *s, struct sink_stats *out);

#endif
