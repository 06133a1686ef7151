/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spool.h - a durable, bounded FIFO of (tag, bytes) records in a directory,
 * for the forward sink: what a collector has not acked yet survives a
 * collector outage and an agent restart (including SIGKILL).
 *
 * DIR/spool.dat holds the records appended one after another, each
 * "CS" u16 taglen u32 len, tag, bytes (big-endian).  DIR/spool.pos holds the
 * inode of spool.dat and the offset of the oldest record not yet consumed.
 * Records are never rewritten in place; when the consumed prefix grows past
 * half the bound, the live tail is copied to a new file that is renamed over
 * spool.dat (the inode in spool.pos tells a restarted agent which file its
 * offset belongs to).  A record cut short by a crash is truncated away when
 * the spool is opened.  No fsync: the spool survives the agent dying, and a
 * power loss only loses what the page cache had not written.
 *
 * Bound: the live records take at most max_bytes; appending beyond it drops
 * the oldest records, and spool_append() says how many.
 * One thread uses a spool at a time; the module does not print.
 */
#ifndef CUSTOS_SPOOL_H
#define CUSTOS_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

struct spool_rec {
	char *tag;
	char *data;
	size_t len;
};

int spool_open(const char *dir, uint64_t max_bytes, struct spool **out, char *err,
	       size_t errlen);
/* Appends one record; *dropped gets how many old records made room. */
int spool_append(struct spool *sp, const char *tag, const void *data, size_t len,
		 uint64_t *dropped);
/* Number of live records. */
size_t spool_count(const struct spool *sp);
/*
 * Reads up to max records from the oldest on, all with the oldest one's tag,
 * at most max_bytes of data (at least one record); *n gets the count.  The
 * caller frees each rec's tag and data.
 */
int spool_peek(struct spool *sp, struct spool_rec *recs, size_t max, size_t max_bytes,
	       size_t *n);
/* Forgets the n oldest records (they were acked). */
int spool_consume(struct spool *sp, size_t n);
void spool_close(struct spool *sp);

#endif
