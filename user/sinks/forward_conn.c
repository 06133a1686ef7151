/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forward_conn.c - the forward sink's connection to its collector: a TCP
 * connect bounded by FWD_IO_TIMEOUT_MS (as is every later send and receive),
 * TLS with the certificate checked against the host we connect to; the
 * server's replies read one msgpack object at a time, and the ack checked
 * against the chunk id.  The worker thread runs the shared-key handshake
 * (forward_auth.c) on a fresh connection.  Used by the worker thread only.
 */
#include "sinks/forward_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/x509v3.h>

int forward_tls_init(struct forward *f)
{
	f->ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (!f->ssl_ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(f->ssl_ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(f->ssl_ctx, SSL_VERIFY_PEER, NULL);
	if (f->tls_ca ? SSL_CTX_load_verify_locations(f->ssl_ctx, f->tls_ca, NULL) != 1
		      : SSL_CTX_set_default_verify_paths(f->ssl_ctx) != 1)
		return -EINVAL;
	return 0;
}

void forward_disconnect(struct forward *f)
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
	struct timeval tv = { .tv_sec = FWD_IO_TIMEOUT_MS / 1000 };
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
	if (poll(&pfd, 1, FWD_IO_TIMEOUT_MS) != 1) {
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

/* TLS on the connected f->fd; the certificate must name the address or host. */
static int tls_start(struct forward *f)
{
	unsigned char a[sizeof(struct in6_addr)];
	X509_VERIFY_PARAM *vp;
	int ok;

	f->ssl = SSL_new(f->ssl_ctx);
	if (!f->ssl)
		return -ENOMEM;
	SSL_set_fd(f->ssl, f->fd);
	vp = SSL_get0_param(f->ssl);
	if (inet_pton(AF_INET, f->host, a) == 1 || inet_pton(AF_INET6, f->host, a) == 1) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(vp, f->host);
	} else {
		ok = X509_VERIFY_PARAM_set1_host(vp, f->host, 0) &&
		     SSL_set_tlsext_host_name(f->ssl, f->host);
	}
	if (!ok || SSL_connect(f->ssl) != 1 || SSL_get_verify_result(f->ssl) != X509_V_OK)
		return -EACCES;
	return 0;
}

int forward_connect(struct forward *f)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int fd = -ECONNREFUSED, err = 0;

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
	if (f->tls)
		err = tls_start(f);
	if (err)
		forward_disconnect(f);
	return err;
}

int forward_send(struct forward *f, const char *p, size_t n)
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

/* Receives into buf[0..cap): bytes read (> 0), or -errno. */
static ssize_t recv_some(struct forward *f, char *buf, size_t cap)
{
	ssize_t got;

	if (f->ssl) {
		int sr = SSL_read(f->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);

		if (sr <= 0)
			return SSL_get_error(f->ssl, sr) == SSL_ERROR_ZERO_RETURN ?
			       -ECONNRESET : -EIO;
		return sr;
	}
	do
		got = recv(f->fd, buf, cap, 0);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return got ? got : -ECONNRESET;
}

int forward_reader_init(struct forward_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->buf = malloc(FWD_REPLY_MAX);
	if (!r->buf)
		return -ENOMEM;
	msgpack_unpacked_init(&r->res);
	return 0;
}

void forward_reader_free(struct forward_reader *r)
{
	msgpack_unpacked_destroy(&r->res);
	free(r->buf);
	r->buf = NULL;
}

/* big-endian n-byte unsigned at p */
static uint64_t be_n(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * One msgpack header at p[0..len): its size with the payload of a str, bin
 * or ext (*hdr), and the elements a container adds (*items); 0 when the
 * header is cut, -EPROTO for 0xc1.
 */
static int msgpack_header(const unsigned char *p, size_t len, uint64_t *size, uint64_t *items)
{
	/* 0xc0..0xdf: header bytes, length bytes (payload or count), kind */
	static const unsigned char fixed[32] = {
		[0x00] = 1, [0x02] = 1, [0x03] = 1, [0x0a] = 5, [0x0b] = 9,
		[0x0c] = 2, [0x0d] = 3, [0x0e] = 5, [0x0f] = 9, [0x10] = 2, [0x11] = 3,
		[0x12] = 5, [0x13] = 9, [0x14] = 3, [0x15] = 4, [0x16] = 6, [0x17] = 10,
		[0x18] = 18,
	};
	static const unsigned char lenlen[32] = {
		[0x04] = 1, [0x05] = 2, [0x06] = 4, [0x07] = 1, [0x08] = 2, [0x09] = 4,
		[0x19] = 1, [0x1a] = 2, [0x1b] = 4, [0x1c] = 2, [0x1d] = 4, [0x1e] = 2, [0x1f] = 4,
	};
	unsigned char b = p[0];
	uint64_t n;

	*items = 0;
	if (b <= 0x7f || b >= 0xe0) {
		*size = 1;
	} else if (b <= 0x8f) {
		*size = 1;
		*items = 2u * (b & 0x0f);
	} else if (b <= 0x9f) {
		*size = 1;
		*items = b & 0x0f;
	} else if (b <= 0xbf) {
		*size = 1u + (b & 0x1f);
	} else if (fixed[b - 0xc0]) {
		*size = fixed[b - 0xc0];
	} else if (lenlen[b - 0xc0]) {
		size_t ll = lenlen[b - 0xc0];

		if (len < 1 + ll)
			return 0;
		n = be_n(p + 1, ll);
		if (b >= 0xdc) {		/* array16/32, map16/32 */
			*size = 1 + ll;
			*items = b >= 0xde ? 2 * n : n;
		} else {			/* bin, ext (one type byte more), str */
			*size = 1 + ll + (b >= 0xc7 && b <= 0xc9) + n;
		}
	} else {
		return -EPROTO;			/* 0xc1, never used */
	}
	return 1;
}

long forward_msgpack_size(const unsigned char *p, size_t len, size_t max)
{
	uint64_t need = 1, pos = 0, size, items;	/* objects still to read */

	while (need) {
		int rc;

		if (pos >= len)
			return 0;
		rc = msgpack_header(p + pos, len - pos, &size, &items);
		if (rc <= 0)
			return rc;
		need += items - 1;
		pos += size;
		/* each object still to read takes a byte at least */
		if (pos > max || need > max - pos)
			return -EMSGSIZE;
	}
	return pos <= len ? (long)pos : 0;
}

int forward_reader_take(struct forward_reader *r)
{
	size_t off = 0;
	long n;

	if (r->used) {
		memmove(r->buf, r->buf + r->used, r->len - r->used);
		r->len -= r->used;
		r->used = 0;
	}
	n = forward_msgpack_size((const unsigned char *)r->buf, r->len, FWD_REPLY_MAX);
	if (n < 0)
		return (int)n;
	if (n == 0)	/* a full buffer holds a cut header: too long too */
		return r->len == FWD_REPLY_MAX ? -EMSGSIZE : -EAGAIN;
	msgpack_unpacked_destroy(&r->res);
	msgpack_unpacked_init(&r->res);
	if (msgpack_unpack_next(&r->res, r->buf, (size_t)n, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != (size_t)n)
		return -EPROTO;	/* nested deeper than msgpack-c takes */
	r->used = (size_t)n;
	return 0;
}

int forward_read(struct forward *f, struct forward_reader *r)
{
	for (;;) {
		int rc = forward_reader_take(r);
		ssize_t got;

		if (rc != -EAGAIN)
			return rc;
		got = recv_some(f, r->buf + r->len, FWD_REPLY_MAX - r->len);
		if (got < 0)
			return (int)got;
		r->len += (size_t)got;
	}
}

/* --- reading replies ------------------------------------------------------- */

const msgpack_object *forward_obj_at(const msgpack_object *o, uint32_t i)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size <= i)
		return NULL;
	return &o->via.array.ptr[i];
}

int forward_obj_is(const msgpack_object *o, const char *s)
{
	return o && (o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN) &&
	       o->via.str.size == strlen(s) && !memcmp(o->via.str.ptr, s, o->via.str.size);
}

const msgpack_object *forward_obj_get(const msgpack_object *o, const char *key)
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

int forward_ack_is(const msgpack_object *o, const char *chunk)
{
	const msgpack_object *ack = forward_obj_get(o, "ack");

	return ack && ack->type == MSGPACK_OBJECT_STR && ack->via.str.size == strlen(chunk) &&
	       !memcmp(ack->via.str.ptr, chunk, ack->via.str.size);
}

int forward_wait_ack(struct forward *f, const char *chunk)
{
	struct forward_reader r;
	int err = forward_reader_init(&r);

	if (err)
		return err;
	err = forward_read(f, &r);
	if (!err && !forward_ack_is(&r.res.data, chunk))
		err = -EPROTO;
	forward_reader_free(&r);
	return err;
}
