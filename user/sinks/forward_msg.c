/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forward_msg.c - the Fluent Forward messages: a record line becomes an entry
 * [EventTime, map] (the map by record/json2mp.c), a batch of entries becomes
 * one PackedForward message [tag, bin(entries), {"chunk": ID, "size": N}]
 * (CompressedPackedForward with compress=gzip) whose ack must echo ID.
 */
#include "sinks/forward_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <zlib.h>

#include "base/be.h"
#include "base/clock.h"
#include "record/json2mp.h"

/* The EventTime extension: type 0, 8 bytes (big-endian seconds, nanoseconds). */
enum {
	EVENT_TIME_EXT = 0,
	EVENT_TIME_LEN = 8,
	/* in [EventTime, map]: fixarray(2) and the fixext8 header come first */
	EVENT_TIME_AT = 1 + 2,
};

/* 16 random bytes, padded to 18 for whole base64 groups: 24 characters,
 * the last two '=' (as if unpadded base64 of 16 bytes). */
enum {
	CHUNK_RANDOM = 16,
	CHUNK_PADDED = 18,
	CHUNK_CHARS = 22,
};

int forward_entry_make(const char *tag_prefix, const char *rec, size_t len,
		       struct forward_entry *out)
{
	static const char no_time[EVENT_TIME_LEN];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct json2mp_info info;
	char tag[FWD_TAG_MAX];
	int err;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	/* EventTime placeholder, filled once the record's time is known */
	msgpack_pack_ext(&pk, EVENT_TIME_LEN, EVENT_TIME_EXT);
	msgpack_pack_ext_body(&pk, no_time, EVENT_TIME_LEN);
	err = json2mp(&pk, rec, len, &info);
	if (err || !sb.data)
		goto fail;
	be_put32((unsigned char *)sb.data + EVENT_TIME_AT, (uint32_t)info.time_sec);
	be_put32((unsigned char *)sb.data + EVENT_TIME_AT + 4, info.time_nsec);
	snprintf(tag, sizeof(tag), "%s.%s", tag_prefix, info.kind[0] ? info.kind : "event");
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

void forward_entry_free(struct forward_entry *e)
{
	free(e->tag);
	free(e->data);
	e->tag = e->data = NULL;
}

static void new_chunk_id(char out[FWD_CHUNK_ID_SIZE])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char r[CHUNK_PADDED];
	size_t i, o = 0;

	if (getrandom(r, CHUNK_RANDOM, 0) != CHUNK_RANDOM) {
		uint64_t t = now_ms() ^ (uint64_t)getpid();

		memcpy(r, &t, 8);
		memcpy(r + 8, &out, sizeof(void *) < 8 ? sizeof(void *) : 8);
	}
	r[CHUNK_RANDOM] = r[CHUNK_RANDOM + 1] = 0;
	for (i = 0; i < CHUNK_PADDED; i += 3) {
		unsigned v = (unsigned)r[i] << 16 | (unsigned)r[i + 1] << 8 | r[i + 2];

		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	out[CHUNK_CHARS] = out[CHUNK_CHARS + 1] = '=';
	out[CHUNK_CHARS + 2] = '\0';
}

static int gzip_buf(const char *in, size_t n, char **out, size_t *outlen)
{
	enum { GZIP_WINDOW = 15 + 16, GZIP_MEM_LEVEL = 8, GZIP_SLACK = 64 };
	z_stream zs;
	size_t cap = compressBound((uLong)n) + GZIP_SLACK;
	char *buf = malloc(cap);
	int rc;

	if (!buf)
		return -ENOMEM;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW, GZIP_MEM_LEVEL,
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

/* The entries b[0..k) one after another in a new buffer of *total bytes. */
static char *join_entries(struct forward_entry *const *b, size_t k, size_t *total)
{
	char *all;
	size_t i, n = 0;

	for (i = 0; i < k; i++)
		n += b[i]->len;
	all = malloc(n ? n : 1);
	if (!all)
		return NULL;
	n = 0;
	for (i = 0; i < k; i++) {
		memcpy(all + n, b[i]->data, b[i]->len);
		n += b[i]->len;
	}
	*total = n;
	return all;
}

int forward_msg_build(int gzip, struct forward_entry *const *b, size_t k, msgpack_sbuffer *sb,
		      char chunk[FWD_CHUNK_ID_SIZE])
{
	msgpack_packer pk;
	size_t total = 0, zlen = 0;
	char *entries, *z = NULL;
	const char *tag = b[0]->tag;
	int err = 0;

	entries = join_entries(b, k, &total);
	if (!entries)
		return -ENOMEM;
	if (gzip) {
		err = gzip_buf(entries, total, &z, &zlen);
		if (err)
			goto out;
	}
	new_chunk_id(chunk);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_str_with_body(&pk, tag, strlen(tag));
	if (gzip)
		msgpack_pack_bin_with_body(&pk, z, zlen);
	else
		msgpack_pack_bin_with_body(&pk, entries, total);
	msgpack_pack_map(&pk, gzip ? 3 : 2);
	msgpack_pack_str_with_body(&pk, "chunk", 5);
	msgpack_pack_str_with_body(&pk, chunk, strlen(chunk));
	msgpack_pack_str_with_body(&pk, "size", 4);
	msgpack_pack_uint64(&pk, k);
	if (gzip) {
		msgpack_pack_str_with_body(&pk, "compressed", 10);
		msgpack_pack_str_with_body(&pk, "gzip", 4);
	}
out:
	free(z);
	free(entries);
	return err;
}
