/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forward_internal.h - what the files of the forward sink share; only
 * user/sinks/forward*.c include it.
 *
 *   forward.c         the sink side: options, open and close, the queue the
 *                     agent thread fills
 *   forward_worker.c  the worker thread: batches from the queue or the spool,
 *                     acks, retries with backoff, the drain at close
 *   forward_conn.c    the connection: TCP with timeouts, TLS, whole sends,
 *                     one msgpack object received
 *   forward_auth.c    the shared-key handshake (HELO, PING, PONG)
 *   forward_msg.c     the messages: an entry from a JSON line, the
 *                     PackedForward message of a batch, the ack
 *
 * Threading and delivery are described at the top of forward.c.
 */
#ifndef CUSTOS_FORWARD_INTERNAL_H
#define CUSTOS_FORWARD_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>
#include <openssl/ssl.h>

#include "sinks/sink.h"
#include "sinks/spool.h"

/* bounds of the queue and of one message */
enum {
	FWD_QUEUE_MAX_DEFAULT = 65536,		/* records */
	FWD_QUEUE_BYTES_DEFAULT = 64 << 20,	/* bytes of packed entries */
	FWD_BATCH_MAX = 512,			/* entries in one message */
	FWD_BATCH_BYTES = 1 << 20,		/* entry bytes in one message (one entry may exceed it) */
	FWD_SPOOL_MAX_DEFAULT = 256 << 20,	/* bytes of live spool records */
	FWD_TAG_MAX = 128,			/* PREFIX.KIND, NUL included */
};

/* times, in milliseconds */
enum {
	FWD_BACKOFF_MIN_MS = 100,		/* first retry; again after every ack */
	FWD_BACKOFF_MAX_DEFAULT_MS = 5000,
	FWD_IO_TIMEOUT_MS = 5000,		/* connect, and every send and receive */
	FWD_DRAIN_DEFAULT_MS = 2000,		/* how long close keeps sending */
};

/* protocol sizes */
enum {
	FWD_CHUNK_ID_SIZE = 25,			/* base64 of 16 random bytes, NUL included */
	FWD_REPLY_MAX = 64 << 10,		/* bytes of one reply (HELO, PONG, ack) */
};

struct forward_entry {
	char *tag;
	char *data;		/* msgpack [EventTime, map] */
	size_t len;
};

struct forward {
	/* configuration, fixed after open */
	char *host, *port;
	char *tag_prefix;
	int gzip;
	unsigned backoff_max_ms;
	unsigned drain_ms;
	size_t cap, max_bytes;
	char *spool_dir;	/* NULL: memory only */
	char *shared_key;	/* NULL: no handshake */
	int tls;		/* tls=on */
	char *tls_ca;		/* CA file; NULL: the system's */
	SSL_CTX *ssl_ctx;
	char self_host[256];	/* our name in PING */
	uint64_t spool_max;

	/*
	 * Queue slots [head, head+n) are owned as follows: the worker reads
	 * and frees [head, head+k) for the batch in flight; the agent thread
	 * only writes slot head+n.  Both move under mu.
	 */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct forward_entry *q;	/* ring of cap slots */
	size_t head, n, bytes;
	int stop;
	struct sink_stats stats;	/* under mu */

	/* worker-only */
	struct spool *spool;
	int fd;
	SSL *ssl;		/* NULL without TLS */
	unsigned backoff_ms;
	const char *auth_why;	/* the last handshake refusal logged, NULL: none */
};

/* forward_worker.c: the thread's function, with and without a spool */
void *forward_worker(void *arg);
void *forward_spool_worker(void *arg);

/* forward_conn.c */
/* The client context for tls=on: 0, -ENOMEM, or -EINVAL when the CA
 * certificates (tls_ca, or the system's) cannot be loaded. */
int forward_tls_init(struct forward *f);
/* Connects to host:port (TLS as configured; the caller runs the handshake):
 * 0 and f->fd, or -errno with nothing left open. */
int forward_connect(struct forward *f);
void forward_disconnect(struct forward *f);
int forward_send(struct forward *f, const char *p, size_t n);

/*
 * The server's replies on one connection, one msgpack object at a time, in
 * a buffer of FWD_REPLY_MAX bytes that never grows: a reply that cannot fit
 * (a str32 header of 4 GiB, an array of a billion elements) is refused
 * from its header, before anything is allocated for it.
 */
struct forward_reader {
	char *buf;		/* FWD_REPLY_MAX bytes */
	size_t len;		/* bytes held */
	size_t used;		/* of which the object in res, dropped at the next take */
	msgpack_unpacked res;	/* the last object read; points into buf */
};
int forward_reader_init(struct forward_reader *r);
/* Reads until the next object is complete: 0 and r->res.data, or -errno
 * (-EMSGSIZE for a reply larger than FWD_REPLY_MAX, -EPROTO for no msgpack). */
int forward_read(struct forward *f, struct forward_reader *r);
/* The same on the bytes already in r->buf[0..len): 0, -EAGAIN when the next
 * object is not complete yet, -EMSGSIZE, -EPROTO.  (No I/O: fuzzed.) */
int forward_reader_take(struct forward_reader *r);
/* The length of the msgpack object at p[0..len): > 0 once complete, 0 while
 * incomplete, -EMSGSIZE when it cannot fit in max bytes, -EPROTO (0xc1). */
long forward_msgpack_size(const unsigned char *p, size_t len, size_t max);
void forward_reader_free(struct forward_reader *r);
/* Whether reply o is {"ack": chunk}. */
int forward_ack_is(const msgpack_object *o, const char *chunk);
/* Reads the server's reply: 0 when it is {"ack": chunk}, else -EPROTO or -errno. */
int forward_wait_ack(struct forward *f, const char *chunk);
/* Reading a server's msgpack reply: the element i of an array, the value
 * of a str key in a map (NULL when absent), whether o is the str s. */
const msgpack_object *forward_obj_at(const msgpack_object *o, uint32_t i);
const msgpack_object *forward_obj_get(const msgpack_object *o, const char *key);
int forward_obj_is(const msgpack_object *o, const char *s);

/* forward_auth.c: the shared-key handshake on a fresh connection; 0,
 * -EACCES when the server refuses us or does not prove it knows the key
 * (its PONG names our own host, or its digest is not the key's), -EPROTO
 * when it does not speak the handshake. */
int forward_handshake(struct forward *f);

/* forward_msg.c */
/* One record line (without its '\n') as a Forward entry tagged PREFIX.KIND. */
int forward_entry_make(const char *tag_prefix, const char *rec, size_t len,
		       struct forward_entry *out);
void forward_entry_free(struct forward_entry *e);
/* The PackedForward message of entries b[0..k) (one tag) in sb; chunk gets
 * the id the ack must echo. */
int forward_msg_build(int gzip, struct forward_entry *const *b, size_t k, msgpack_sbuffer *sb,
		      char chunk[FWD_CHUNK_ID_SIZE]);

#endif
