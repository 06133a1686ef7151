/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_cache.h - the rendered per-process parts of record lines, kept to be
 * reused by the next record of the same process (json_render_event).
 *
 * Most of a record's bytes are its process's: the program, argv, the
 * parent's program and argv, the ancestors.  They are the same in every
 * record of a process until it (or its parent) execs, and escaping them
 * byte by byte was the largest part of rendering a line.  A part is kept
 * with the inputs it was rendered from, copied byte for byte (the key), and
 * reused only when the next record's inputs are the same bytes: so a reused
 * part is the fresh rendering by construction, whatever changed in between
 * (an exec, a reused pid, a new parent, an ancestor that exited), with no
 * invalidation to forget.  What differs from record to record (tid, user,
 * comm, labels, cgroup) is not in a part.  Building and comparing a key is
 * a copy of the inputs, several times cheaper than escaping them.
 *
 * Pure module: memory only, no I/O.  Slots are direct-mapped by pid: one
 * entry per part and slot, the last process rendered there.
 */
#ifndef CUSTOS_JSON_CACHE_H
#define CUSTOS_JSON_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/sbuf.h"
#include "record/event.h"

/* the slots, by pid (a power of two) */
#define JSON_CACHE_SLOTS 256

/* The per-process parts of a line (json.c renders each). */
enum json_part {
	JSON_PART_PROGRAM,	/* "exe":..,"args":[..] with their flags, exe_flags, prev_exe */
	JSON_PART_LINEAGE,	/* ,"parent":{..},"ancestors":[..] */
	JSON_PART__COUNT,
};

struct json_frag {
	struct sbuf key;	/* the inputs it was rendered from; len 0: empty */
	struct sbuf out;	/* its rendering */
};

struct json_cache {
	struct json_frag frag[JSON_CACHE_SLOTS][JSON_PART__COUNT];
	struct sbuf key;	/* the key of the part being looked up */
	uint64_t hits, misses;	/* parts reused, parts rendered */
};

void json_cache_init(struct json_cache *c);
void json_cache_free(struct json_cache *c);
/* Forgets every part (memory kept). */
void json_cache_clear(struct json_cache *c);

/*
 * Looks up part of ev's process: on a hit appends the kept rendering to out
 * and returns 1; else returns 0, and the key stays for json_cache_store.
 */
int json_cache_find(struct json_cache *c, const struct cev_event *ev, enum json_part part,
		    struct sbuf *out);
/* After a miss of json_cache_find for (ev, part): keeps p[0..n) as its rendering. */
void json_cache_store(struct json_cache *c, const struct cev_event *ev, enum json_part part,
		      const char *p, size_t n);

#endif
