/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chain.h - the tamper-evident chain that links every record line to the
 * one before it (docs/EVENTS.md, "The chain").
 *
 * A record line ends with the member ,"chain":"VALUE" and the braces that
 * close the line: "}" in custos.event/1 (a top-level member), "}}" in the
 * OCSF rendering (the last member of unmapped).  VALUE is
 *
 *     VALUE = ALG ":" hex(H(prev "\n" body))
 *
 *   body  the line's bytes from its '{' up to (not including) the ',' that
 *         starts the chain member;
 *   prev  the VALUE of the previous record of the host (across rotations and
 *         restarts of the agent), the empty string before the first record;
 *   ALG   "sha256": H is SHA-256; "hmac-sha256": H is HMAC-SHA256 keyed with
 *         the bytes of the key file (only whoever holds the key can make a
 *         valid link).
 *
 * Pure module: digests over caller buffers, no I/O.
 */
#ifndef CUSTOS_CHAIN_H
#define CUSTOS_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "base/sbuf.h"

#define CHAIN_ALG_PLAIN "sha256"
#define CHAIN_ALG_KEYED "hmac-sha256"
#define CHAIN_MEMBER ",\"chain\":\""
/* "hmac-sha256:" + 64 hex digits + NUL, rounded up */
#define CHAIN_VALUE_MAX 80
/* how deep the chain member may be: 1 top level, 2 in OCSF's unmapped */
#define CHAIN_DEPTH_MAX 2

struct chain {
	void *md;		/* EVP_MD: SHA-256, fetched once */
	void *ctx;		/* EVP_MD_CTX the digest is computed in */
	void *inner, *outer;	/* keyed: SHA-256 after the key xor ipad / opad */
	int keyed;
	char last[CHAIN_VALUE_MAX];	/* the previous record's VALUE; "" before the first */
};

/* key NULL: the plain chain; else HMAC-SHA256 with key[0..key_len).  0 or -ENOMEM. */
int chain_init(struct chain *c, const void *key, size_t key_len);
void chain_free(struct chain *c);

/* The VALUE of a record with body body[0..n) after the record whose VALUE
 * was prev.  0, or -ENOMEM (OpenSSL failed). */
int chain_value(struct chain *c, const char *prev, const char *body, size_t n,
		char out[CHAIN_VALUE_MAX]);

/*
 * Seals the record line that line holds from start on (rendered, ending in
 * depth '}' and '\n'): puts its chain member before those braces (1: as the
 * line's last member; 2: as the last member of its last object), after
 * c->last, and makes its VALUE c->last.  0, -EINVAL (not such a line), or
 * -ENOMEM (line->len back at its length before the call).
 */
int chain_seal(struct chain *c, struct sbuf *line, size_t start, int depth);

/*
 * Splits line[0..len) (no newline) into its body and its chain VALUE:
 * 0 with *body_len and value[0..*value_len), or -EINVAL when the line does
 * not end with a chain member.
 */
int chain_split(const char *line, size_t len, size_t *body_len, const char **value,
		size_t *value_len);

#endif
