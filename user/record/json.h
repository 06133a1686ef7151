/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - the JSON line renderer: one decoded event (event.h) becomes one
 * line of the custos.event/1 contract (docs/EVENTS.md).
 *
 * Pure module: it appends to a caller-owned sbuf and does no I/O.  The agent
 * calls json_render_event() once per (event, matching rule) pair and hands the
 * line to a sink (sinks/sink.h); `custos rules test` renders the same way.
 * The OCSF renderer (ocsf.h) builds its lines from the pieces below.
 *
 * The renderer does not know the rule engine: the caller converts a matched
 * `struct rule` into a `struct json_rule` of plain strings.
 */
#ifndef CUSTOS_JSON_H
#define CUSTOS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "record/event.h"
#include "record/json_cache.h"
#include "base/sbuf.h"

#define JSON_SCHEMA "custos.event/1"

/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" plus NUL */
#define JSON_TIME_SIZE 31

/* Facts about the agent run, the same for every record. */
struct json_meta {
	const char *host;	/* NULL renders null */
	uint64_t seq;		/* this record's sequence number */
	const char *policy;	/* "sha256:..."; NULL renders null (omitted for loss) */
	const char *run;	/* the agent run's id; NULL: no "run" member */
	struct json_cache *cache;	/* per-process parts to reuse; NULL: render all */
};

/* The matched rule, as plain strings. */
struct json_rule {
	const char *id;
	const char *severity;	/* rule_severity_name() */
	const char *action;	/* rule_action_name() */
	const char *const *tags;
	size_t n_tags;
};

/*
 * Appends p[0..n) as a JSON string, quotes included.  Lossless for arbitrary
 * bytes: valid UTF-8 passes through, invalid bytes become \udcXX (see json.c).
 */
void json_escape_bytes(struct sbuf *out, const char *p, size_t n);

/* A NUL-terminated C string as a JSON string, or null when s is NULL. */
void json_add_cstr(struct sbuf *out, const char *s);
/* A byte string as a JSON string ("" when s->p is NULL). */
void json_add_str(struct sbuf *out, const struct cev_str *s);
/* [s, s, ...]: arrays of C strings and of byte strings. */
void json_add_cstr_list(struct sbuf *out, const char *const *v, size_t n);
void json_add_str_list(struct sbuf *out, const struct cev_str *v, uint32_t n);

/* A loss record's loss.by, {"kind":{...},"processes":[...]}, when it has one. */
/* "key": (the line's pieces, for json_stream.c and ocsf.c) */
void json_add_key(struct sbuf *out, const char *key);
/* ,"repeat":{"count":N,"first":TIME,"last":TIME} of a coalesced record */
void json_add_repeat(struct sbuf *out, const struct cev_repeat *r);
int json_loss_has_by(const struct cev_loss *l);
void json_add_loss_by(struct sbuf *out, const struct cev_loss *l);
/* A gap record's and a checkpoint's own object, {...}. */
void json_add_gap(struct sbuf *out, const struct cev_gap *g);
void json_add_checkpoint(struct sbuf *out, const struct cev_checkpoint *c);
/* "loss":{...}, "gap":{...} or "checkpoint":{...}: the object of a record
 * of the stream itself (cev_kind_is_stream); nothing for another kind. */
void json_add_stream(struct sbuf *out, const struct cev_event *ev);

/*
 * Closes a record begun at out->len == start with "}\n": 0, or -ENOMEM with
 * out->len back at start when any append since start failed.
 */
int json_end_line(struct sbuf *out, size_t start);

/* The name of bit i of CEV_EXE_* ("memfd", "deleted", ...), NULL past the last. */
const char *json_exe_flag_name(unsigned int i);

/* "file", "connect", "exec", "socket", "loss", "gap", "checkpoint"; NULL for another value. */
const char *json_kind_name(enum cev_kind k);
/* A loss.by kind: "exec", "file", "connect", "process"; NULL for another value. */
const char *json_loss_kind_name(enum cev_loss_kind k);
/* A loss.by.severity key: "info" .. "critical", "none", "unknown"; NULL for another value. */
const char *json_loss_sev_name(enum cev_loss_sev s);

/*
 * Formats ns since the epoch as RFC 3339 UTC with nine fractional digits.
 * Returns 0, or -ENOSPC when size < JSON_TIME_SIZE (buf then holds "").
 */
int json_format_time(char *buf, size_t size, uint64_t ns);

/*
 * Formats open(2) flags as the kernel saw them, e.g. "O_RDONLY|O_CLOEXEC";
 * unknown bits come last as one hex number ("O_WRONLY|0x20").
 */
void json_open_flags(struct sbuf *out, uint32_t flags);

/*
 * Appends exactly one record line, ending in '\n'.  rule may be NULL only for
 * the stream's own records (cev_kind_is_stream: loss, gap, checkpoint) and is
 * ignored there.  Returns 0, -EINVAL (unknown kind, missing
 * rule) or -ENOMEM; on error out->len is restored to what it was.
 */
int json_render_event(struct sbuf *out, const struct cev_event *ev,
		      const struct json_rule *rule, const struct json_meta *meta);

#endif
