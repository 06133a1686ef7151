/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forward_auth.c - the Fluent Forward shared-key handshake, on a fresh
 * connection before any message:
 *
 *   server  HELO [HELO, {nonce, auth}]
 *   us      PING [PING, self_host, salt, sha512_hex(salt+self_host+nonce+key), "", ""]
 *   server  PONG [PONG, ok, reason, server_host, sha512_hex(salt+server_host+nonce+key)]
 *
 * The PONG's digest proves the server knows the key too, provided
 * server_host is not ours (check_pong).  User/password authentication (a
 * non-empty auth salt in HELO) is not supported.
 */
#include "sinks/forward_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "base/log.h"

enum {
	NONCE_MAX = 256,
	SALT_BYTES = 16,			/* random; sent as hex */
	SHA512_BYTES = 64,
	DIGEST_HEX = 2 * SHA512_BYTES,		/* NUL not included */
	PONG_SIZE = 5,		/* [PONG, ok, reason, server_host, digest] */
};

struct handshake {
	char nonce[NONCE_MAX];
	size_t nonce_len;
	char salt[2 * SALT_BYTES + 1];
	char hex[DIGEST_HEX + 1];
};

static void to_hex(char *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* hex sha512(salt + host + nonce + key) into hs->hex */
static int key_digest(struct handshake *hs, const char *host, size_t host_len, const char *key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[SHA512_BYTES];
	unsigned int n = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) &&
	     EVP_DigestUpdate(ctx, hs->salt, strlen(hs->salt)) &&
	     EVP_DigestUpdate(ctx, host, host_len) &&
	     EVP_DigestUpdate(ctx, hs->nonce, hs->nonce_len) &&
	     EVP_DigestUpdate(ctx, key, strlen(key)) &&
	     EVP_DigestFinal_ex(ctx, md, &n) && n == SHA512_BYTES;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	to_hex(hs->hex, md, SHA512_BYTES);
	return 0;
}

/*
 * A refused handshake: err, logged when the reason differs from the last
 * one, so a wrong key says why once instead of at every retry.
 */
static int forward_auth_fail(struct forward *f, int err, const char *why)
{
	if (f->auth_why != why)
		log_warn("forward %s:%s: handshake failed: %s; retrying with backoff", f->host,
			 f->port, why);
	f->auth_why = why;
	return err;
}

static int is_bytes(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN;
}

/* HELO: keeps the nonce; -EPROTO for anything else, -EACCES when it asks
 * for a user and password. */
static int read_helo(struct forward *f, const msgpack_object *helo, struct handshake *hs)
{
	const msgpack_object *opts = forward_obj_at(helo, 1), *nonce, *auth;

	if (!forward_obj_is(forward_obj_at(helo, 0), "HELO") || !opts)
		return forward_auth_fail(f, -EPROTO, "the server did not start with HELO");
	nonce = forward_obj_get(opts, "nonce");
	auth = forward_obj_get(opts, "auth");
	if (!nonce || !is_bytes(nonce) || nonce->via.str.size > sizeof(hs->nonce))
		return forward_auth_fail(f, -EPROTO, "the server's HELO has no usable nonce");
	if (auth && is_bytes(auth) && auth->via.str.size)
		return forward_auth_fail(f, -EACCES, "the server asks for a user and password, "
					 "which custos does not support");
	hs->nonce_len = nonce->via.str.size;
	memcpy(hs->nonce, nonce->via.str.ptr, hs->nonce_len);
	return 0;
}

static int send_ping(struct forward *f, struct handshake *hs)
{
	unsigned char r[SALT_BYTES];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int err;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return -EPROTO;
	to_hex(hs->salt, r, sizeof(r));
	err = key_digest(hs, f->self_host, strlen(f->self_host), f->shared_key);
	if (err)
		return err;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 6);
	msgpack_pack_str_with_body(&pk, "PING", 4);
	msgpack_pack_str_with_body(&pk, f->self_host, strlen(f->self_host));
	msgpack_pack_str_with_body(&pk, hs->salt, strlen(hs->salt));
	msgpack_pack_str_with_body(&pk, hs->hex, DIGEST_HEX);
	msgpack_pack_str_with_body(&pk, "", 0);
	msgpack_pack_str_with_body(&pk, "", 0);
	err = forward_send(f, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return err;
}

/*
 * PONG: 0 when it says ok, names a server other than us, and carries the
 * digest the key gives for that name; -EACCES otherwise.  The name check is
 * Fluentd's: a server that does not know the key can reflect our PING (our
 * name, our digest) as its PONG, and only the name tells it apart.
 */
static int check_pong(struct forward *f, const msgpack_object *pong, struct handshake *hs)
{
	const msgpack_object *ok = forward_obj_at(pong, 1);
	const msgpack_object *host = forward_obj_at(pong, 3), *dig = forward_obj_at(pong, 4);

	if (pong->type != MSGPACK_OBJECT_ARRAY || pong->via.array.size != PONG_SIZE ||
	    !forward_obj_is(forward_obj_at(pong, 0), "PONG"))
		return forward_auth_fail(f, -EPROTO, "the server's reply is not a PONG");
	if (ok->type != MSGPACK_OBJECT_BOOLEAN || !ok->via.boolean)
		return forward_auth_fail(f, -EACCES, "the server refused our key (wrong shared-key?)");
	if (host->type != MSGPACK_OBJECT_STR || !dig)
		return forward_auth_fail(f, -EACCES, "the server's PONG has no host name or digest");
	if (host->via.str.size == strlen(f->self_host) &&
	    !memcmp(host->via.str.ptr, f->self_host, host->via.str.size))
		return forward_auth_fail(f, -EACCES, "the server's PONG names our own host name: "
					 "a server reflecting our PING, or self-hostname equal to "
					 "the server's");
	if (key_digest(hs, host->via.str.ptr, host->via.str.size, f->shared_key) ||
	    !forward_obj_is(dig, hs->hex))
		return forward_auth_fail(f, -EACCES, "the server's digest does not prove it knows "
					 "the key (wrong shared-key?)");
	return 0;
}

int forward_handshake(struct forward *f)
{
	struct handshake hs = { .nonce_len = 0 };
	struct forward_reader r;
	int err = forward_reader_init(&r);

	if (err)
		return err;
	err = forward_read(f, &r);
	if (!err)
		err = read_helo(f, &r.res.data, &hs);
	if (!err)
		err = send_ping(f, &hs);
	if (!err)
		err = forward_read(f, &r);
	if (!err)
		err = check_pong(f, &r.res.data, &hs);
	if (!err)
		f->auth_why = NULL;	/* a later refusal is news again */
	forward_reader_free(&r);
	return err;
}
