/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink_forward.c - `forward:HOST:PORT[,OPTION=VALUE]...`: ships records to a
 * Fluentd / Fluent Bit aggregator with the Fluent Forward protocol v1.
 *
 * Threading.  The agent thread calls write(): the JSON line is turned into
 * a Forward entry [EventTime, map] (json2mp.c) and appended to a bounded
 * in-memory queue; that is all it ever does, so a slow or absent collector
 * never stalls event processing.  When the queue is full the new record is
 * dropped and counted in stats.lines_lost, which the agent reports as a
 * `kind: loss` record with where "sink:NAME".
 *
 * One worker thread per sink (so several forward outputs are independent)
 * takes the oldest run of entries with the same tag (up to BATCH_MAX
 * entries / BATCH_BYTES), sends them as one PackedForward message
 * [tag, bin(entries), {"chunk": ID, "size": N}] (CompressedPackedForward,
 * gzip, with compress=gzip), and waits for {"ack": ID}.  Only an ack removes
 * entries from the queue: a lost connection, a timeout or a wrong ack
 * closes the connection and the same batch is sent again after a backoff
 * (initial 100 ms, doubling, capped by backoff-max), so delivery is
 * at-least-once; a collector may see a batch twice, never zero times.
 *
 * Queue slots [head, head+n) are owned as follows: the worker reads and
 * frees [head, head+k) for the batch in flight; the agent thread only
 * writes slot head+n.  Both move under mu.
 */
#include "sinks/forward.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <arpa/inet.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include "base/clock.h"
#include "base/fdio.h"
#include "base/size.h"
#include "record/json2mp.h"
#include "sinks/sink.h"
#include "sinks/spool.h"

#define QUEUE_MAX_DEFAULT	65536		/* records */
#define QUEUE_BYTES_DEFAULT	(64u << 20)	/* bytes of packed entries */
#define BATCH_MAX		512
#define BATCH_BYTES		(1u << 20)
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_DEFAULT_MS	5000
#define IO_TIMEOUT_MS		5000
#define DRAIN_DEFAULT_MS	2000
#define TAG_MAX			128
#define SPOOL_MAX_DEFAULT	(256ull << 20)

struct fwd_entry {
	char *tag;
	char *data;		/* msgpack [EventTime, map] */
	size_t len;
};

struct fwd {
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
	SSL *ssl;		/* worker-only, NULL without TLS */
	char self_host[256];	/* our name in PING */
	uint64_t spool_max;

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fwd_entry *q;	/* ring of cap slots */
	size_t head, n, bytes;
	int stop;
	struct sink_stats stats;	/* under mu */

	/* worker-only */
	struct spool *spool;
	int fd;
	unsigned backoff_ms;
};

/* --- the agent side: JSON line -> queued entry ------------------------------ */

static int make_entry(struct fwd *f, const char *rec, size_t len, struct fwd_entry *out)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct json2mp_info info;
	unsigned char t[8];
	char tag[TAG_MAX];
	int err;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	/* EventTime placeholder, filled once the record's time is known */
	msgpack_pack_ext(&pk, 8, 0);
	msgpack_pack_ext_body(&pk, "\0\0\0\0\0\0\0\0", 8);
	err = json2mp(&pk, rec, len, &info);
	if (err || !sb.data)
		goto fail;
	t[0] = (unsigned char)(info.time_sec >> 24);
	t[1] = (unsigned char)(info.time_sec >> 16);
	t[2] = (unsigned char)(info.time_sec >> 8);
	t[3] = (unsigned char)info.time_sec;
	t[4] = (unsigned char)(info.time_nsec >> 24);
	t[5] = (unsigned char)(info.time_nsec >> 16);
	t[6] = (unsigned char)(info.time_nsec >> 8);
	t[7] = (unsigned char)info.time_nsec;
	/* fixarray(1) + fixext8 header (2 bytes) precede the 8 time bytes */
	memcpy(sb.data + 3, t, 8);
	snprintf(tag, sizeof(tag), "%s.%s", f->tag_prefix, info.kind[0] ? info.kind : "event");
	out->tag = strdup(tag);
	if (!out->tag) {
		err = -ENOMEM;
		goto fail;
	}
	out->len = sb.size;
	out->data = msgpack_sbuffer_release(&sb);
	return 0;

fail:
	msgpack_sbuffer_destroy(&sb);
	return err ? err : -ENOMEM;
}

static void free_entry(struct fwd_entry *e)
{
	free(e->tag);
	free(e->data);
	e->tag = e->data = NULL;
}

static int fwd_write(struct sink *s, const char *rec, size_t len)
{
	struct fwd *f = s->priv;
	struct fwd_entry e;
	int err;

	if (!len || rec[len - 1] != '\n')
		return -EINVAL;
	err = make_entry(f, rec, len - 1, &e);
	pthread_mutex_lock(&f->mu);
	if (err) {
		f->stats.errors++;
		f->stats.lines_lost++;
	} else if (f->n == f->cap || f->bytes + e.len > f->max_bytes) {
		f->stats.lines_lost++;
		free_entry(&e);
		err = -ENOBUFS;
	} else {
		f->q[(f->head + f->n) % f->cap] = e;
		f->n++;
		f->bytes += e.len;
		pthread_cond_signal(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return err;
}

static int fwd_flush(struct sink *s)
{
	return 0;	/* the worker sends as soon as records are queued */
}

static int fwd_reopen(struct sink *s)
{
	return 0;	/* reconnecting is the worker's business */
}

static void fwd_get_stats(const struct sink *s, struct sink_stats *out)
{
	struct fwd *f = s->priv;

	pthread_mutex_lock(&f->mu);
	*out = f->stats;
	pthread_mutex_unlock(&f->mu);
}

/* --- the worker: connection ----------------------------------------------------- */

static void disconnect(struct fwd *f)
{
	if (f->ssl) {
		SSL_free(f->ssl);
		f->ssl = NULL;
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static int connect_one(const struct addrinfo *ai)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_MS / 1000 };
	struct pollfd pfd;
	int fd, soerr = 0, flags;
	socklen_t sl = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, IO_TIMEOUT_MS) != 1) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
		errno = soerr ? soerr : errno;
		goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;

fail:
	soerr = errno;
	close(fd);
	return -soerr;
}

static const msgpack_object *arr_at(const msgpack_object *o, uint32_t i)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size <= i)
		return NULL;
	return &o->via.array.ptr[i];
}

static int obj_is_str(const msgpack_object *o, const char *s)
{
	return o && (o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN) &&
	       o->via.str.size == strlen(s) && !memcmp(o->via.str.ptr, s, o->via.str.size);
}

/* hex sha512(salt + host + nonce + key) */
static int key_digest(const char *salt, const char *host, size_t host_len, const char *nonce,
		      size_t nonce_len, const char *key, char hex[129])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[64];
	unsigned int n = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) &&
	     EVP_DigestUpdate(ctx, salt, strlen(salt)) &&
	     EVP_DigestUpdate(ctx, host, host_len) &&
	     EVP_DigestUpdate(ctx, nonce, nonce_len) &&
	     EVP_DigestUpdate(ctx, key, strlen(key)) &&
	     EVP_DigestFinal_ex(ctx, md, &n) && n == 64;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	for (unsigned i = 0; i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int recv_object(struct fwd *f, msgpack_unpacker *up, msgpack_unpacked *res);
static int send_all(struct fwd *f, const char *p, size_t n);
static const msgpack_object *map_get(const msgpack_object *o, const char *key);

/*
 * The shared-key handshake: HELO {nonce, auth} from the server, our PING
 * [PING, self_host, salt, sha512_hex(salt+self_host+nonce+key), "", ""],
 * its PONG [PONG, ok, reason, server_host, sha512_hex(salt+server_host+
 * nonce+key)], whose digest proves the server knows the key too.
 */
static int handshake(struct fwd *f)
{
	msgpack_unpacker up;
	msgpack_unpacked res;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const msgpack_object *opts, *nonce_o, *auth, *host_o, *dig;
	char nonce[256], salt[33], hex[129];
	unsigned char r[16];
	size_t nonce_len;
	int err;

	if (!msgpack_unpacker_init(&up, 4096))
		return -ENOMEM;
	msgpack_unpacked_init(&res);
	err = recv_object(f, &up, &res);
	if (err)
		goto out;
	err = -EPROTO;
	opts = arr_at(&res.data, 1);
	if (!obj_is_str(arr_at(&res.data, 0), "HELO") || !opts)
		goto out;
	nonce_o = map_get(opts, "nonce");
	auth = map_get(opts, "auth");
	if (!nonce_o || (nonce_o->type != MSGPACK_OBJECT_STR && nonce_o->type != MSGPACK_OBJECT_BIN) ||
	    nonce_o->via.str.size > sizeof(nonce))
		goto out;
	if (auth && (auth->type == MSGPACK_OBJECT_STR || auth->type == MSGPACK_OBJECT_BIN) &&
	    auth->via.str.size) {
		err = -EACCES;	/* user/password authentication is not supported */
		goto out;
	}
	nonce_len = nonce_o->via.str.size;
	memcpy(nonce, nonce_o->via.str.ptr, nonce_len);
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		goto out;
	for (unsigned i = 0; i < sizeof(r); i++)
		snprintf(salt + 2 * i, 3, "%02x", r[i]);
	err = key_digest(salt, f->self_host, strlen(f->self_host), nonce, nonce_len,
			 f->shared_key, hex);
	if (err)
		goto out;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 6);
	msgpack_pack_str_with_body(&pk, "PING", 4);
	msgpack_pack_str_with_body(&pk, f->self_host, strlen(f->self_host));
	msgpack_pack_str_with_body(&pk, salt, strlen(salt));
	msgpack_pack_str_with_body(&pk, hex, 128);
	msgpack_pack_str_with_body(&pk, "", 0);
	msgpack_pack_str_with_body(&pk, "", 0);
	err = send_all(f, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	if (err)
		goto out;
	msgpack_unpacked_destroy(&res);
	msgpack_unpacked_init(&res);
	err = recv_object(f, &up, &res);
	if (err)
		goto out;
	err = -EACCES;
	host_o = arr_at(&res.data, 3);
	dig = arr_at(&res.data, 4);
	if (!obj_is_str(arr_at(&res.data, 0), "PONG") || !arr_at(&res.data, 1) ||
	    arr_at(&res.data, 1)->type != MSGPACK_OBJECT_BOOLEAN ||
	    !arr_at(&res.data, 1)->via.boolean || !host_o || host_o->type != MSGPACK_OBJECT_STR ||
	    !dig)
		goto out;
	if (key_digest(salt, host_o->via.str.ptr, host_o->via.str.size, nonce, nonce_len,
		       f->shared_key, hex))
		goto out;
	if (obj_is_str(dig, hex))
		err = 0;	/* the server knows the key */
out:
	msgpack_unpacked_destroy(&res);
	msgpack_unpacker_destroy(&up);
	return err;
}

static int fwd_connect(struct fwd *f)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int fd = -ECONNREFUSED;

	if (getaddrinfo(f->host, f->port, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = connect_one(ai);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fd;
	f->fd = fd;
	if (f->tls) {
		unsigned char a[16];
		X509_VERIFY_PARAM *vp;
		int ok;

		f->ssl = SSL_new(f->ssl_ctx);
		if (!f->ssl) {
			disconnect(f);
			return -ENOMEM;
		}
		SSL_set_fd(f->ssl, fd);
		vp = SSL_get0_param(f->ssl);
		/* the certificate must name the address or host we connect to */
		if (inet_pton(AF_INET, f->host, a) == 1 || inet_pton(AF_INET6, f->host, a) == 1) {
			ok = X509_VERIFY_PARAM_set1_ip_asc(vp, f->host);
		} else {
			ok = X509_VERIFY_PARAM_set1_host(vp, f->host, 0) &&
			     SSL_set_tlsext_host_name(f->ssl, f->host);
		}
		if (!ok || SSL_connect(f->ssl) != 1 ||
		    SSL_get_verify_result(f->ssl) != X509_V_OK) {
			disconnect(f);
			return -EACCES;
		}
	}
	if (f->shared_key) {
		int err = handshake(f);

		if (err) {
			disconnect(f);
			return err;
		}
	}
	return 0;
}

static int send_all(struct fwd *f, const char *p, size_t n)
{
	while (n) {
		ssize_t w;

		if (f->ssl) {
			int r = SSL_write(f->ssl, p, n > INT_MAX ? INT_MAX : (int)n);

			if (r <= 0)
				return -EIO;
			w = r;
		} else {
			w = send(f->fd, p, n, MSG_NOSIGNAL);
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one msgpack object; 0 and *out (caller destroys zone via result). */
static int recv_object(struct fwd *f, msgpack_unpacker *up, msgpack_unpacked *res)
{
	for (;;) {
		msgpack_unpack_return r = msgpack_unpacker_next(up, res);
		ssize_t got;

		if (r == MSGPACK_UNPACK_SUCCESS)
			return 0;
		if (r != MSGPACK_UNPACK_CONTINUE)
			return -EPROTO;
		if (msgpack_unpacker_buffer_capacity(up) < 4096 &&
		    !msgpack_unpacker_reserve_buffer(up, 4096))
			return -ENOMEM;
		if (f->ssl) {
			size_t cap = msgpack_unpacker_buffer_capacity(up);
			int sr = SSL_read(f->ssl, msgpack_unpacker_buffer(up),
					  cap > INT_MAX ? INT_MAX : (int)cap);

			if (sr <= 0)
				return SSL_get_error(f->ssl, sr) == SSL_ERROR_ZERO_RETURN ?
				       -ECONNRESET : -EIO;
			got = sr;
		} else {
			got = recv(f->fd, msgpack_unpacker_buffer(up),
				   msgpack_unpacker_buffer_capacity(up), 0);
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (got == 0)
			return -ECONNRESET;
		msgpack_unpacker_buffer_consumed(up, (size_t)got);
	}
}

static const msgpack_object *map_get(const msgpack_object *o, const char *key)
{
	size_t kl = strlen(key);

	if (o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];

		if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == kl &&
		    !memcmp(kv->key.via.str.ptr, key, kl))
			return &kv->val;
	}
	return NULL;
}

static int wait_ack(struct fwd *f, const char *chunk)
{
	msgpack_unpacker up;
	msgpack_unpacked res;
	const msgpack_object *ack;
	int err;

	if (!msgpack_unpacker_init(&up, 4096))
		return -ENOMEM;
	msgpack_unpacked_init(&res);
	err = recv_object(f, &up, &res);
	if (!err) {
		ack = map_get(&res.data, "ack");
		if (!ack || ack->type != MSGPACK_OBJECT_STR ||
		    ack->via.str.size != strlen(chunk) ||
		    memcmp(ack->via.str.ptr, chunk, ack->via.str.size))
			err = -EPROTO;
	}
	msgpack_unpacked_destroy(&res);
	msgpack_unpacker_destroy(&up);
	return err;
}

static void new_chunk_id(char out[25])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char r[18];
	size_t i, o = 0;

	if (getrandom(r, 16, 0) != 16) {
		uint64_t t = now_ms() ^ (uint64_t)getpid();

		memcpy(r, &t, 8);
		memcpy(r + 8, &out, sizeof(void *) < 8 ? sizeof(void *) : 8);
	}
	r[16] = r[17] = 0;
	for (i = 0; i < 18; i += 3) {
		unsigned v = (unsigned)r[i] << 16 | (unsigned)r[i + 1] << 8 | r[i + 2];

		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	/* 16 bytes are 22 base64 characters plus "==" */
	out[22] = out[23] = '=';
	out[24] = '\0';
}

static int gzip_buf(const char *in, size_t n, char **out, size_t *outlen)
{
	z_stream zs;
	size_t cap = compressBound((uLong)n) + 64;
	char *buf = malloc(cap);
	int rc;

	if (!buf)
		return -ENOMEM;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)cap;
	rc = deflate(&zs, Z_FINISH);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	return 0;
}

/*
 * Builds the message for entries b[0..k) (same tag) in sb; *chunk gets the
 * id the ack must echo.
 */
static int build_message(struct fwd *f, struct fwd_entry *const *b, size_t k,
			 msgpack_sbuffer *sb, char chunk[25])
{
	msgpack_packer pk;
	size_t total = 0, i;
	char *entries, *z = NULL;
	size_t zlen = 0;
	const char *tag = b[0]->tag;
	int err = 0;

	for (i = 0; i < k; i++)
		total += b[i]->len;
	entries = malloc(total ? total : 1);
	if (!entries)
		return -ENOMEM;
	total = 0;
	for (i = 0; i < k; i++) {
		memcpy(entries + total, b[i]->data, b[i]->len);
		total += b[i]->len;
	}
	if (f->gzip) {
		err = gzip_buf(entries, total, &z, &zlen);
		if (err)
			goto out;
	}
	new_chunk_id(chunk);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_str_with_body(&pk, tag, strlen(tag));
	if (f->gzip) {
		msgpack_pack_bin_with_body(&pk, z, zlen);
	} else {
		msgpack_pack_bin_with_body(&pk, entries, total);
	}
	msgpack_pack_map(&pk, f->gzip ? 3 : 2);
	msgpack_pack_str_with_body(&pk, "chunk", 5);
	msgpack_pack_str_with_body(&pk, chunk, strlen(chunk));
	msgpack_pack_str_with_body(&pk, "size", 4);
	msgpack_pack_uint64(&pk, k);
	if (f->gzip) {
		msgpack_pack_str_with_body(&pk, "compressed", 10);
		msgpack_pack_str_with_body(&pk, "gzip", 4);
	}
out:
	free(z);
	free(entries);
	return err;
}

/* Sleeps the backoff (woken early by stop); doubles it up to the cap. */
static void backoff(struct fwd *f)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += f->backoff_ms / 1000;
	ts.tv_nsec += (long)(f->backoff_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->mu);
	if (!f->stop)
		pthread_cond_timedwait(&f->cv, &f->mu, &ts);
	pthread_mutex_unlock(&f->mu);
	f->backoff_ms *= 2;
	if (f->backoff_ms > f->backoff_max_ms)
		f->backoff_ms = f->backoff_max_ms;
}

static void *worker(void *arg)
{
	struct fwd *f = arg;
	struct fwd_entry *batch[BATCH_MAX];
	uint64_t deadline = 0;

	for (;;) {
		msgpack_sbuffer sb;
		char chunk[25];
		size_t k = 0, bytes = 0;
		int err;

		pthread_mutex_lock(&f->mu);
		while (!f->stop && !f->n)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop) {
			if (!deadline)
				deadline = now_ms() + f->drain_ms;
			if (!f->n || now_ms() >= deadline) {
				pthread_mutex_unlock(&f->mu);
				break;
			}
		}
		while (k < f->n && k < BATCH_MAX) {
			struct fwd_entry *e = &f->q[(f->head + k) % f->cap];

			if (k && (strcmp(e->tag, batch[0]->tag) || bytes + e->len > BATCH_BYTES))
				break;
			batch[k++] = e;
			bytes += e->len;
		}
		pthread_mutex_unlock(&f->mu);

		if (f->fd < 0 && fwd_connect(f)) {
			pthread_mutex_lock(&f->mu);
			f->stats.errors++;
			pthread_mutex_unlock(&f->mu);
			backoff(f);
			continue;
		}
		msgpack_sbuffer_init(&sb);
		err = build_message(f, batch, k, &sb, chunk);
		if (!err) {
			err = send_all(f, sb.data, sb.size);
			pthread_mutex_lock(&f->mu);
			if (!err)
				f->stats.sent += k;
			pthread_mutex_unlock(&f->mu);
		}
		msgpack_sbuffer_destroy(&sb);
		if (!err)
			err = wait_ack(f, chunk);
		if (err) {
			disconnect(f);
			pthread_mutex_lock(&f->mu);
			f->stats.errors++;
			pthread_mutex_unlock(&f->mu);
			backoff(f);
			continue;
		}
		f->backoff_ms = BACKOFF_MIN_MS;
		pthread_mutex_lock(&f->mu);
		for (size_t i = 0; i < k; i++) {
			f->bytes -= batch[i]->len;
			free_entry(batch[i]);
		}
		f->head = (f->head + k) % f->cap;
		f->n -= k;
		f->stats.acked += k;
		f->stats.lines_written += k;
		f->stats.bytes += bytes;
		pthread_mutex_unlock(&f->mu);
	}
	disconnect(f);
	return NULL;
}

/*
 * With a spool, the worker first moves everything the agent queued into the
 * spool (so it survives a restart), then sends from the spool's oldest
 * record on and consumes records only when they are acked.  Between
 * attempts it keeps moving new records to disk.
 */
static void *spool_worker(void *arg)
{
	struct fwd *f = arg;
	struct spool_rec recs[BATCH_MAX];
	uint64_t retry_at = 0, deadline = 0;

	for (;;) {
		struct fwd_entry *take;
		size_t n, k, bytes = 0;
		int stop, err;
		msgpack_sbuffer sb;
		char chunk[25];

		/* 1. memory queue -> spool */
		pthread_mutex_lock(&f->mu);
		n = f->n;
		stop = f->stop;
		pthread_mutex_unlock(&f->mu);
		for (size_t i = 0; i < n; i++) {
			uint64_t dropped = 0;
			struct fwd_entry *e = &f->q[(f->head + i) % f->cap];

			err = spool_append(f->spool, e->tag, e->data, e->len, &dropped);
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
		for (size_t i = 0; i < n; i++) {
			take = &f->q[(f->head + i) % f->cap];
			f->bytes -= take->len;
			free_entry(take);
		}
		f->head = (f->head + n) % f->cap;
		f->n -= n;
		pthread_mutex_unlock(&f->mu);

		/* 2. stop: what is not acked stays spooled for the next run */
		if (stop) {
			if (!deadline)
				deadline = now_ms() + f->drain_ms;
			if (!spool_count(f->spool) || now_ms() >= deadline)
				break;
		}
		/* 3. wait for work or for the next attempt */
		if (!spool_count(f->spool) || (retry_at && now_ms() < retry_at)) {
			if (stop) {
				usleep(10000);
				continue;
			}
			pthread_mutex_lock(&f->mu);
			if (!f->n && !f->stop) {
				if (!spool_count(f->spool)) {
					pthread_cond_wait(&f->cv, &f->mu);
				} else {
					struct timespec ts;
					uint64_t now = now_ms();
					uint64_t left = retry_at > now ? retry_at - now : 0;

					clock_gettime(CLOCK_REALTIME, &ts);
					ts.tv_sec += (time_t)(left / 1000);
					ts.tv_nsec += (long)(left % 1000) * 1000000L;
					if (ts.tv_nsec >= 1000000000L) {
						ts.tv_sec++;
						ts.tv_nsec -= 1000000000L;
					}
					pthread_cond_timedwait(&f->cv, &f->mu, &ts);
				}
			}
			pthread_mutex_unlock(&f->mu);
			continue;
		}
		/* 4. one batch from the spool */
		if (spool_peek(f->spool, recs, BATCH_MAX, BATCH_BYTES, &k) || !k)
			goto failed;
		{
			struct fwd_entry ents[BATCH_MAX], *batch[BATCH_MAX];

			for (size_t i = 0; i < k; i++) {
				ents[i] = (struct fwd_entry){ recs[i].tag, recs[i].data, recs[i].len };
				batch[i] = &ents[i];
				bytes += recs[i].len;
			}
			err = f->fd < 0 ? fwd_connect(f) : 0;
			if (!err) {
				msgpack_sbuffer_init(&sb);
				err = build_message(f, batch, k, &sb, chunk);
				if (!err)
					err = send_all(f, sb.data, sb.size);
				msgpack_sbuffer_destroy(&sb);
				if (!err) {
					pthread_mutex_lock(&f->mu);
					f->stats.sent += k;
					pthread_mutex_unlock(&f->mu);
					err = wait_ack(f, chunk);
				}
			}
			for (size_t i = 0; i < k; i++)
				free_entry(&ents[i]);
		}
		if (err)
			goto failed;
		spool_consume(f->spool, k);
		retry_at = 0;
		f->backoff_ms = BACKOFF_MIN_MS;
		pthread_mutex_lock(&f->mu);
		f->stats.acked += k;
		f->stats.lines_written += k;
		f->stats.bytes += bytes;
		pthread_mutex_unlock(&f->mu);
		continue;
failed:
		disconnect(f);
		pthread_mutex_lock(&f->mu);
		f->stats.errors++;
		pthread_mutex_unlock(&f->mu);
		retry_at = now_ms() + f->backoff_ms;
		f->backoff_ms *= 2;
		if (f->backoff_ms > f->backoff_max_ms)
			f->backoff_ms = f->backoff_max_ms;
	}
	disconnect(f);
	return NULL;
}

/* --- open / close ------------------------------------------------------------------ */

static void fwd_free(struct fwd *f)
{
	if (!f)
		return;
	if (f->q) {
		for (size_t i = 0; i < f->n; i++)
			free_entry(&f->q[(f->head + i) % f->cap]);
		free(f->q);
	}
	free(f->host);
	free(f->port);
	free(f->tag_prefix);
	free(f->spool_dir);
	free(f->shared_key);
	free(f->tls_ca);
	if (f->ssl_ctx)
		SSL_CTX_free(f->ssl_ctx);
	spool_close(f->spool);
	free(f);
}

static int fwd_close(struct sink *s)
{
	struct fwd *f = s->priv;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	/* without a spool, what the collector never acked in time is lost */
	s->stats = f->stats;
	if (!f->spool)
		s->stats.lines_lost += f->n;
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	fwd_free(f);
	s->priv = NULL;
	return 0;
}

static const struct sink_ops forward_ops = {
	.kind = "forward",
	.write = fwd_write,
	.flush = fwd_flush,
	.reopen = fwd_reopen,
	.close = fwd_close,
	.get_stats = fwd_get_stats,
};

static int parse_uint(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long x;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* HOST:PORT, HOST possibly "[v6]" */
static int parse_addr(struct fwd *f, const char *a, size_t len)
{
	const char *colon;
	size_t hl;
	unsigned long long port;
	char pbuf[8];

	colon = NULL;
	for (size_t i = len; i > 0; i--)
		if (a[i - 1] == ':') {
			colon = a + i - 1;
			break;
		}
	if (!colon || colon == a)
		return -EINVAL;
	hl = (size_t)(colon - a);
	if (a[0] == '[') {
		if (hl < 3 || a[hl - 1] != ']')
			return -EINVAL;
		f->host = strndup(a + 1, hl - 2);
	} else {
		f->host = strndup(a, hl);
	}
	if ((size_t)(a + len - colon - 1) >= sizeof(pbuf))
		return -EINVAL;
	memcpy(pbuf, colon + 1, (size_t)(a + len - colon - 1));
	pbuf[a + len - colon - 1] = '\0';
	if (parse_uint(pbuf, 65535, &port) || !port)
		return -EINVAL;
	f->port = strdup(pbuf);
	return f->host && f->port ? 0 : -ENOMEM;
}

static int parse_option(struct fwd *f, char *opt, char *err, size_t errlen, const char *spec)
{
	char *eq = strchr(opt, '=');
	unsigned long long v;
	const char *val;

	if (!eq) {
		errbuf_set(err, errlen, "output '%s': option '%s' needs a value (NAME=VALUE)", spec, opt);
		return -EINVAL;
	}
	*eq = '\0';
	val = eq + 1;
	if (!strcmp(opt, "tag")) {
		if (!*val || strlen(val) > TAG_MAX - 20)
			goto bad;
		free(f->tag_prefix);
		f->tag_prefix = strdup(val);
		return f->tag_prefix ? 0 : -ENOMEM;
	} else if (!strcmp(opt, "compress")) {
		if (!strcmp(val, "gzip"))
			f->gzip = 1;
		else if (!strcmp(val, "none"))
			f->gzip = 0;
		else
			goto bad;
	} else if (!strcmp(opt, "queue")) {
		if (parse_uint(val, 1u << 24, &v) || !v)
			goto bad;
		f->cap = (size_t)v;
	} else if (!strcmp(opt, "backoff-max-ms")) {
		if (parse_uint(val, 3600 * 1000, &v) || v < BACKOFF_MIN_MS)
			goto bad;
		f->backoff_max_ms = (unsigned)v;
	} else if (!strcmp(opt, "spool")) {
		if (!*val)
			goto bad;
		free(f->spool_dir);
		f->spool_dir = strcmp(val, "none") ? strdup(val) : NULL;
		if (strcmp(val, "none") && !f->spool_dir)
			return -ENOMEM;
	} else if (!strcmp(opt, "spool-max")) {
		if (size_parse(val, 1ull << 44, &f->spool_max))
			goto bad;
	} else if (!strcmp(opt, "shared-key")) {
		if (!*val)
			goto bad;
		free(f->shared_key);
		f->shared_key = strdup(val);
		if (!f->shared_key)
			return -ENOMEM;
	} else if (!strcmp(opt, "tls")) {
		if (!strcmp(val, "on"))
			f->tls = 1;
		else if (!strcmp(val, "off"))
			f->tls = 0;
		else
			goto bad;
	} else if (!strcmp(opt, "tls-ca")) {
		if (!*val)
			goto bad;
		free(f->tls_ca);
		f->tls_ca = strdup(val);
		if (!f->tls_ca)
			return -ENOMEM;
	} else if (!strcmp(opt, "self-hostname")) {
		if (!*val || strlen(val) >= sizeof(f->self_host))
			goto bad;
		strcpy(f->self_host, val);
	} else if (!strcmp(opt, "drain-ms")) {
		if (parse_uint(val, 3600 * 1000, &v))
			goto bad;
		f->drain_ms = (unsigned)v;
	} else {
		errbuf_set(err, errlen, "output '%s': unknown option '%s' (expected tag, compress, "
			"queue, spool, spool-max, shared-key, self-hostname, tls, tls-ca, backoff-max-ms or drain-ms)", spec, opt);
		return -EINVAL;
	}
	return 0;
bad:
	errbuf_set(err, errlen, "output '%s': bad value '%s' for option '%s'", spec, val, opt);
	return -EINVAL;
}

int sink_forward_open(struct sink *s, const char *arg, char *err, size_t errlen)
{
	struct fwd *f = calloc(1, sizeof(*f));
	char *copy = NULL, *opt, *save;
	const char *comma;
	int ret;

	if (!f)
		return -ENOMEM;
	f->fd = -1;
	f->cap = QUEUE_MAX_DEFAULT;
	f->max_bytes = QUEUE_BYTES_DEFAULT;
	f->backoff_ms = BACKOFF_MIN_MS;
	f->backoff_max_ms = BACKOFF_MAX_DEFAULT_MS;
	f->drain_ms = DRAIN_DEFAULT_MS;
	f->spool_max = SPOOL_MAX_DEFAULT;
	if (gethostname(f->self_host, sizeof(f->self_host) - 1))
		strcpy(f->self_host, "custos");
	f->tag_prefix = strdup("custos");
	if (!f->tag_prefix) {
		ret = -ENOMEM;
		goto fail;
	}
	comma = strchr(arg, ',');
	ret = parse_addr(f, arg, comma ? (size_t)(comma - arg) : strlen(arg));
	if (ret) {
		if (ret == -EINVAL)
			errbuf_set(err, errlen, "output '%s': expected forward:HOST:PORT "
				"(IPv6 as [ADDR]:PORT, port 1-65535)", s->name);
		goto fail;
	}
	if (comma) {
		copy = strdup(comma + 1);
		if (!copy) {
			ret = -ENOMEM;
			goto fail;
		}
		for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
			ret = parse_option(f, opt, err, errlen, s->name);
			if (ret)
				goto fail;
		}
		free(copy);
		copy = NULL;
	}
	f->q = calloc(f->cap, sizeof(*f->q));
	if (!f->q) {
		ret = -ENOMEM;
		goto fail;
	}
	if (f->tls) {
		f->ssl_ctx = SSL_CTX_new(TLS_client_method());
		if (!f->ssl_ctx) {
			ret = -ENOMEM;
			goto fail;
		}
		SSL_CTX_set_min_proto_version(f->ssl_ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(f->ssl_ctx, SSL_VERIFY_PEER, NULL);
		if (f->tls_ca ? SSL_CTX_load_verify_locations(f->ssl_ctx, f->tls_ca, NULL) != 1
			      : SSL_CTX_set_default_verify_paths(f->ssl_ctx) != 1) {
			errbuf_set(err, errlen, "output '%s': cannot load the CA certificates%s%s",
				s->name, f->tls_ca ? " from " : "", f->tls_ca ? f->tls_ca : "");
			ret = -EINVAL;
			goto fail;
		}
	}
	if (f->spool_dir) {
		char serr[400];

		ret = spool_open(f->spool_dir, f->spool_max, &f->spool, serr, sizeof(serr));
		if (ret) {
			errbuf_set(err, errlen, "output '%s': %s", s->name, serr);
			goto fail;
		}
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	ret = -pthread_create(&f->thread, NULL, f->spool ? spool_worker : worker, f);
	if (ret) {
		errbuf_set(err, errlen, "output '%s': cannot start its thread: %s", s->name,
			strerror(-ret));
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		goto fail;
	}
	s->ops = &forward_ops;
	s->priv = f;
	return 0;

fail:
	free(copy);
	fwd_free(f);
	return ret;
}
