/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forward_worker.c - the forward sink's thread.  It takes the oldest run of
 * entries with one tag (up to FWD_BATCH_MAX entries / FWD_BATCH_BYTES), sends
 * them as one message and waits for its ack.  Only an ack removes entries: a
 * lost connection, a timeout or a wrong ack closes the connection, and the
 * same batch goes again after a backoff (FWD_BACKOFF_MIN_MS, doubling, capped
 * by backoff-max), so delivery is at-least-once.
 *
 * Without a spool, batches are taken from the memory queue.  With one, the
 * worker first moves everything the agent queued into the spool (so it
 * survives a restart), then sends from the spool's oldest record on and
 * consumes records only when they are acked; between attempts it keeps
 * moving new records to disk.
 *
 * After stop, either keeps sending for drain-ms at most, still backing off
 * between failed attempts: a collector that refuses us is not hammered at
 * shutdown either.
 */
#include "sinks/forward_internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

enum {
	STOP_POLL_US = 10000,	/* spool worker after stop: wait before the next attempt */
};

/* --- shared by both workers -------------------------------------------------- */

/* ts = CLOCK_REALTIME + ms, for pthread_cond_timedwait */
static void realtime_in(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* After stop: 1 when nothing is left or the drain time is over. */
static int drain_over(const struct forward *f, uint64_t *deadline, size_t left)
{
	if (!*deadline)
		*deadline = now_ms() + f->drain_ms;
	return !left || now_ms() >= *deadline;
}

static void backoff_grow(struct forward *f)
{
	f->backoff_ms *= 2;
	if (f->backoff_ms > f->backoff_max_ms)
		f->backoff_ms = f->backoff_max_ms;
}

/* Connects if need be, sends b[0..k) as one message and waits for its ack. */
static int send_batch(struct forward *f, struct forward_entry *const *b, size_t k)
{
	char chunk[FWD_CHUNK_ID_SIZE];
	msgpack_sbuffer sb;
	int err;

	if (f->fd < 0) {
		err = forward_connect(f);
		if (!err && f->shared_key)
			err = forward_handshake(f);
		if (err) {
			forward_disconnect(f);
			return err;
		}
	}
	msgpack_sbuffer_init(&sb);
	err = forward_msg_build(f->gzip, b, k, &sb, chunk);
	if (!err)
		err = forward_send(f, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	if (err)
		return err;
	pthread_mutex_lock(&f->mu);
	f->stats.sent += k;
	pthread_mutex_unlock(&f->mu);
	return forward_wait_ack(f, chunk);
}

/* A failed attempt: the connection is closed, the error counted. */
static void count_failure(struct forward *f)
{
	forward_disconnect(f);
	pthread_mutex_lock(&f->mu);
	f->stats.errors++;
	pthread_mutex_unlock(&f->mu);
}

/* k records of bytes were acked (mu held). */
static void count_acked_locked(struct forward *f, size_t k, size_t bytes)
{
	f->stats.acked += k;
	f->stats.lines_written += k;
	f->stats.bytes += bytes;
}

/* Frees the k oldest queue entries (mu held). */
static void queue_drop_locked(struct forward *f, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		struct forward_entry *e = &f->q[(f->head + i) % f->cap];

		f->bytes -= e->len;
		forward_entry_free(e);
	}
	f->head = (f->head + k) % f->cap;
	f->n -= k;
}

/* --- memory queue only ------------------------------------------------------- */

/*
 * Sleeps the backoff, then doubles it up to the cap.  New records do not cut
 * it short (they signal cv at the rate they come, which would turn the
 * backoff into a retry per record); stop does, once, for one last attempt,
 * and while draining the sleep ends at the drain's deadline.
 */
static void backoff(struct forward *f, uint64_t deadline)
{
	uint64_t until = now_ms() + f->backoff_ms;
	struct timespec ts;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		uint64_t now = now_ms(), end = until;

		if (f->stop && !deadline)
			break;
		if (deadline && deadline < end)
			end = deadline;
		if (now >= end)
			break;
		realtime_in(&ts, end - now);
		pthread_cond_timedwait(&f->cv, &f->mu, &ts);
	}
	pthread_mutex_unlock(&f->mu);
	backoff_grow(f);
}

/* The oldest run of entries with one tag into batch (mu held); *bytes their size. */
static size_t take_batch_locked(struct forward *f, struct forward_entry **batch, size_t *bytes)
{
	size_t k = 0;

	*bytes = 0;
	while (k < f->n && k < FWD_BATCH_MAX) {
		struct forward_entry *e = &f->q[(f->head + k) % f->cap];

		if (k && (strcmp(e->tag, batch[0]->tag) || *bytes + e->len > FWD_BATCH_BYTES))
			break;
		batch[k++] = e;
		*bytes += e->len;
	}
	return k;
}

void *forward_worker(void *arg)
{
	struct forward *f = arg;
	struct forward_entry *batch[FWD_BATCH_MAX];
	uint64_t deadline = 0;

	for (;;) {
		size_t k, bytes;

		pthread_mutex_lock(&f->mu);
		while (!f->stop && !f->n)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop && drain_over(f, &deadline, f->n)) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		k = take_batch_locked(f, batch, &bytes);
		pthread_mutex_unlock(&f->mu);

		if (send_batch(f, batch, k)) {
			count_failure(f);
			backoff(f, deadline);
			continue;
		}
		f->backoff_ms = FWD_BACKOFF_MIN_MS;
		pthread_mutex_lock(&f->mu);
		queue_drop_locked(f, k);
		count_acked_locked(f, k, bytes);
		pthread_mutex_unlock(&f->mu);
	}
	forward_disconnect(f);
	return NULL;
}

/* --- with a spool -------------------------------------------------------------- */

/* Moves what the agent queued into the spool; returns the stop flag as it
 * was before the move. */
static int queue_to_spool(struct forward *f)
{
	size_t n;
	int stop;

	pthread_mutex_lock(&f->mu);
	n = f->n;
	stop = f->stop;
	pthread_mutex_unlock(&f->mu);
	for (size_t i = 0; i < n; i++) {
		struct forward_entry *e = &f->q[(f->head + i) % f->cap];
		uint64_t dropped = 0;
		int err = spool_append(f->spool, e->tag, e->data, e->len, &dropped);

		pthread_mutex_lock(&f->mu);
		if (err) {
			f->stats.errors++;
			f->stats.lines_lost++;
		} else {
			f->stats.spooled++;
		}
		f->stats.lines_lost += dropped;
		pthread_mutex_unlock(&f->mu);
	}
	pthread_mutex_lock(&f->mu);
	queue_drop_locked(f, n);
	pthread_mutex_unlock(&f->mu);
	return stop;
}

/* Waits for new records, stop, or (with records spooled) retry_at. */
static void spool_wait(struct forward *f, uint64_t retry_at)
{
	pthread_mutex_lock(&f->mu);
	if (!f->n && !f->stop) {
		if (!spool_count(f->spool)) {
			pthread_cond_wait(&f->cv, &f->mu);
		} else {
			struct timespec ts;
			uint64_t now = now_ms();

			realtime_in(&ts, retry_at > now ? retry_at - now : 0);
			pthread_cond_timedwait(&f->cv, &f->mu, &ts);
		}
	}
	pthread_mutex_unlock(&f->mu);
}

/* Sends the spool's oldest batch: 0 and *k, *bytes once it is acked. */
static int spool_send(struct forward *f, size_t *k, size_t *bytes)
{
	struct spool_rec recs[FWD_BATCH_MAX];
	struct forward_entry ents[FWD_BATCH_MAX], *batch[FWD_BATCH_MAX];
	int err;

	if (spool_peek(f->spool, recs, FWD_BATCH_MAX, FWD_BATCH_BYTES, k) || !*k)
		return -EIO;
	*bytes = 0;
	for (size_t i = 0; i < *k; i++) {
		ents[i] = (struct forward_entry){ recs[i].tag, recs[i].data, recs[i].len };
		batch[i] = &ents[i];
		*bytes += recs[i].len;
	}
	err = send_batch(f, batch, *k);
	for (size_t i = 0; i < *k; i++)
		forward_entry_free(&ents[i]);
	return err;
}

void *forward_spool_worker(void *arg)
{
	struct forward *f = arg;
	uint64_t retry_at = 0, deadline = 0;

	for (;;) {
		size_t k, bytes;
		int stop = queue_to_spool(f);

		/* what is not acked at stop stays spooled for the next run */
		if (stop && drain_over(f, &deadline, spool_count(f->spool)))
			break;
		if (!spool_count(f->spool) || (retry_at && now_ms() < retry_at)) {
			if (stop)
				usleep(STOP_POLL_US);
			else
				spool_wait(f, retry_at);
			continue;
		}
		if (spool_send(f, &k, &bytes)) {
			count_failure(f);
			retry_at = now_ms() + f->backoff_ms;
			backoff_grow(f);
			continue;
		}
		spool_consume(f->spool, k);
		retry_at = 0;
		f->backoff_ms = FWD_BACKOFF_MIN_MS;
		pthread_mutex_lock(&f->mu);
		count_acked_locked(f, k, bytes);
		pthread_mutex_unlock(&f->mu);
	}
	forward_disconnect(f);
	return NULL;
}
