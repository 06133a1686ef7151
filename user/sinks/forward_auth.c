/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forward_auth.c - the Fluent Forward shared-key handshake, on a fresh
 * connection before any message:
 *
 *   server  HELO [HELO, {nonce, auth}]
 *   us      PING [PING, self_host, salt, sha512_hex(salt+self_host+nonce+key), "", ""]
 *   server  PONG [PONG, ok, reason, server_host, sha512_hex(salt+server_host+nonce+key)]
 *
 * The PONG's digest proves the server knows the key too.  User/password
 * authentication (a non-empty auth salt in HELO) is not supported.
 */
#include "sinks/forward_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

enum {
	NONCE_MAX = 256,
	SALT_BYTES = 16,			/* random; sent as hex */
	SHA512_BYTES = 64,
	DIGEST_HEX = 2 * SHA512_BYTES,		/* NUL not included */
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

static int is_bytes(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN;
}

/* HELO: keeps the nonce; -EPROTO for anything else, -EACCES when it asks
 * for a user and password. */
static int read_helo(const msgpack_object *helo, struct handshake *hs)
{
	const msgpack_object *opts = forward_obj_at(helo, 1), *nonce, *auth;

	if (!forward_obj_is(forward_obj_at(helo, 0), "HELO") || !opts)
		return -EPROTO;
	nonce = forward_obj_get(opts, "nonce");
	auth = forward_obj_get(opts, "auth");
	if (!nonce || !is_bytes(nonce) || nonce->via.str.size > sizeof(hs->nonce))
		return -EPROTO;
	if (auth && is_bytes(auth) && auth->via.str.size)
		return -EACCES;
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

/* PONG: 0 when it says ok and its digest is the one the key gives. */
static int check_pong(struct forward *f, const msgpack_object *pong, struct handshake *hs)
{
	const msgpack_object *ok = forward_obj_at(pong, 1);
	const msgpack_object *host = forward_obj_at(pong, 3), *dig = forward_obj_at(pong, 4);

	if (!forward_obj_is(forward_obj_at(pong, 0), "PONG") || !ok ||
	    ok->type != MSGPACK_OBJECT_BOOLEAN || !ok->via.boolean || !host ||
	    host->type != MSGPACK_OBJECT_STR || !dig)
		return -EACCES;
	if (key_digest(hs, host->via.str.ptr, host->via.str.size, f->shared_key))
		return -EACCES;
	return forward_obj_is(dig, hs->hex) ? 0 : -EACCES;
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
		err = read_helo(&r.res.data, &hs);
	if (!err)
		err = send_ping(f, &hs);
	if (!err)
		err = forward_read(f, &r);
	if (!err)
		err = check_pong(f, &r.res.data, &hs);
	forward_reader_free(&r);
	return err;
}
