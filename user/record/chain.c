/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chain.c - the chain digest of record lines (chain.h).
 *
 * HMAC is computed by hand from two SHA-256 contexts that have absorbed
 * the padded key (RFC 2104): each record then costs two context copies
 * and two digests, with no key schedule per record.
 */
#include "record/chain.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

enum {
	SHA256_BYTES = 32,
	SHA256_BLOCK = 64,	/* HMAC pads the key to the hash's block size */
	HMAC_IPAD = 0x36,
	HMAC_OPAD = 0x5c,
};

/* A SHA-256 context that has absorbed key xor pad (key <= one block). */
static EVP_MD_CTX *padded_key_ctx(const EVP_MD *md, const unsigned char *key, size_t len,
				  unsigned char pad)
{
	unsigned char block[SHA256_BLOCK];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	memset(block, pad, sizeof(block));
	for (size_t i = 0; i < len; i++)
		block[i] ^= key[i];
	if (ctx && EVP_DigestInit_ex(ctx, md, NULL) &&
	    EVP_DigestUpdate(ctx, block, sizeof(block)))
		return ctx;
	EVP_MD_CTX_free(ctx);
	return NULL;
}

int chain_init(struct chain *c, const void *key, size_t key_len)
{
	unsigned char k[SHA256_BLOCK];
	unsigned int n = 0;

	memset(c, 0, sizeof(*c));
	/* fetched once: EVP_sha256() in EVP_DigestInit_ex fetches the
	 * provider's implementation again on every record (~0.2 us here) */
	c->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	c->ctx = EVP_MD_CTX_new();
	if (!c->md || !c->ctx)
		goto fail;
	if (!key)
		return 0;
	c->keyed = 1;
	if (key_len > SHA256_BLOCK) {	/* RFC 2104: a long key is hashed first */
		if (!EVP_Digest(key, key_len, k, &n, c->md, NULL))
			goto fail;
		key_len = n;
	} else {
		memcpy(k, key, key_len);
	}
	c->inner = padded_key_ctx(c->md, k, key_len, HMAC_IPAD);
	c->outer = padded_key_ctx(c->md, k, key_len, HMAC_OPAD);
	memset(k, 0, sizeof(k));
	if (c->inner && c->outer)
		return 0;
fail:
	chain_free(c);
	return -ENOMEM;
}

void chain_free(struct chain *c)
{
	EVP_MD_CTX_free(c->ctx);
	EVP_MD_CTX_free(c->inner);
	EVP_MD_CTX_free(c->outer);
	EVP_MD_free(c->md);
	memset(c, 0, sizeof(*c));
}

int chain_value(struct chain *c, const char *prev, const char *body, size_t n,
		char out[CHAIN_VALUE_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_BYTES];
	const char *alg = c->keyed ? CHAIN_ALG_KEYED : CHAIN_ALG_PLAIN;
	unsigned int len = 0;
	size_t at;
	int ok;

	ok = c->keyed ? EVP_MD_CTX_copy_ex(c->ctx, c->inner)
		      : EVP_DigestInit_ex(c->ctx, c->md, NULL);
	ok = ok && EVP_DigestUpdate(c->ctx, prev, strlen(prev)) &&
	     EVP_DigestUpdate(c->ctx, "\n", 1) && EVP_DigestUpdate(c->ctx, body, n) &&
	     EVP_DigestFinal_ex(c->ctx, md, &len);
	if (ok && c->keyed)
		ok = EVP_MD_CTX_copy_ex(c->ctx, c->outer) &&
		     EVP_DigestUpdate(c->ctx, md, len) && EVP_DigestFinal_ex(c->ctx, md, &len);
	if (!ok || len != SHA256_BYTES)
		return -ENOMEM;
	at = strlen(alg);
	memcpy(out, alg, at);
	out[at++] = ':';
	for (unsigned int i = 0; i < len; i++) {
		out[at++] = hex[md[i] >> 4];
		out[at++] = hex[md[i] & 0xf];
	}
	out[at] = '\0';
	return 0;
}

int chain_seal(struct chain *c, struct sbuf *line, size_t start, int depth)
{
	char value[CHAIN_VALUE_MAX];
	size_t len = line->len, tail = (size_t)depth + 1;	/* the braces, the newline */

	/* the rendered line ends in depth '}' and "\n": the body stops before them */
	if (depth < 1 || depth > CHAIN_DEPTH_MAX || len < start + tail ||
	    line->p[len - 1] != '\n' || strspn(line->p + len - tail, "}") != (size_t)depth)
		return -EINVAL;
	if (chain_value(c, c->last, line->p + start, len - tail - start, value))
		return -ENOMEM;
	line->len = len - tail;
	sbuf_adds(line, CHAIN_MEMBER);
	sbuf_adds(line, value);
	sbuf_addc(line, '"');
	for (int i = 0; i < depth; i++)
		sbuf_addc(line, '}');
	sbuf_addc(line, '\n');
	if (sbuf_err(line)) {
		line->len = len;
		return -ENOMEM;
	}
	memcpy(c->last, value, sizeof(value));
	return 0;
}

int chain_split(const char *line, size_t len, size_t *body_len, const char **value,
		size_t *value_len)
{
	static const size_t member = sizeof(CHAIN_MEMBER) - 1;
	const char *end, *v;
	size_t depth = 0;

	/* ...,"chain":"VALUE"} or ...,"chain":"VALUE"}} : VALUE holds no quote */
	while (depth < CHAIN_DEPTH_MAX && depth < len && line[len - 1 - depth] == '}')
		depth++;
	if (!depth || len < member + depth + 1 || line[len - depth - 1] != '"')
		return -EINVAL;
	end = line + len - depth - 1;
	for (v = end; v > line && v[-1] != '"'; v--)
		;
	if ((size_t)(v - line) < member || memcmp(v - member, CHAIN_MEMBER, member) != 0)
		return -EINVAL;
	*body_len = (size_t)(v - member - line);
	*value = v;
	*value_len = (size_t)(end - v);
	return 0;
}
