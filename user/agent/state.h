/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state.h - what one agent run leaves to the next on the same host, in the
 * state directory (--state-dir, default /var/lib/custos): the last record's
 * seq and chain digest, the run's id, when it was last alive and whether it
 * ended cleanly.  The next run continues seq and the chain from there and
 * says in a gap record how the previous one ended (docs/OPERATIONS.md).
 *
 * The file DIR/state is one line of text, rewritten in place (one pwrite
 * within the first page, which a SIGKILL cannot tear) and checked by a sum;
 * the agent holds an exclusive lock on it, so two agents cannot share one
 * directory.
 */
#ifndef CUSTOS_AGENT_STATE_H
#define CUSTOS_AGENT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "record/chain.h"

#define STATE_RUN_SIZE 33	/* a run id: 32 hex digits and NUL */
#define STATE_BOOT_SIZE 40	/* /proc/sys/kernel/random/boot_id and NUL */

struct state_rec {
	uint64_t seq;			/* the last record's seq */
	char chain[CHAIN_VALUE_MAX];	/* and its chain digest ("" before the first) */
	char run[STATE_RUN_SIZE];	/* the run that wrote it */
	uint64_t alive_ns;		/* CLOCK_REALTIME when it was written */
	int clean;			/* the run ended: written at its clean stop */
	char boot[STATE_BOOT_SIZE];	/* the boot it ran in */
};

struct state {
	int fd;			/* DIR/state, locked; -1 when closed */
	int found;		/* prev holds what the previous run left */
	struct state_rec prev;
	char boot[STATE_BOOT_SIZE];	/* this boot's id ("" when unknown) */
};

/*
 * Creates dir (0700) when missing, opens and locks dir/state and reads what
 * the previous run left into s->prev (s->found 0: nothing, or a damaged
 * file, which is logged).  0, or -errno with err set (-EBUSY: another agent
 * holds the lock).
 */
int state_open(struct state *s, const char *dir, char *err, size_t errlen);
/* Writes r (its boot is set to this boot's).  0 or -errno. */
int state_save(struct state *s, struct state_rec *r);
/* Unlocks and closes. */
void state_free(struct state *s);

/* A new random run id, 32 hex digits.  0 or -errno. */
int state_new_run_id(char out[STATE_RUN_SIZE]);

/* Parses one state line into r: 0, or -EINVAL when it is not one (bad sum). */
int state_parse(const char *line, size_t len, struct state_rec *r);
/* Formats r as a state line of exactly size bytes (padded, '\n' last). 0 or -ENOSPC. */
int state_format(const struct state_rec *r, char *buf, size_t size);

#endif
