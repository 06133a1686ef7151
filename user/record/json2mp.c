/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json2mp.c - JSON record -> msgpack map.  A small recursive-descent parser
 * that packs as it parses; depth is bounded so hostile input cannot blow
 * the stack (our renderer nests three levels at most).
 */
#include "record/json2mp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/sbuf.h"
#include "record/record.h"

enum {
	MAX_DEPTH = 16,
	NUMBER_MAX = 64,	/* characters of one number */
	NS_PER_SEC = 1000000000,
	MS_PER_SEC = 1000,
	NS_PER_MS = 1000000,
};

/* the top-level keys json2mp_info reports */
enum info_key {
	INFO_NONE,
	INFO_TIME,
	INFO_KIND,
};

struct parser {
	const char *p, *end;
	msgpack_packer *pk;
	struct sbuf str;	/* the decoded bytes of the current string */
	int err;
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
				   *ps->p == '\r'))
		ps->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static void add_utf8(struct sbuf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sbuf_add(b, u, n);
}

/* Decodes a string at ps->p (on the opening quote) into ps->str. */
static int read_string(struct parser *ps)
{
	sbuf_reset(&ps->str);
	ps->p++;
	while (ps->p < ps->end) {
		char c = *ps->p++;
		unsigned cp, lo;

		if (c == '"')
			return sbuf_err(&ps->str);
		if ((unsigned char)c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			sbuf_addc(&ps->str, c);
			continue;
		}
		if (ps->p >= ps->end)
			return -EINVAL;
		c = *ps->p++;
		switch (c) {
		case '"': case '\\': case '/': sbuf_addc(&ps->str, c); break;
		case 'b': sbuf_addc(&ps->str, '\b'); break;
		case 'f': sbuf_addc(&ps->str, '\f'); break;
		case 'n': sbuf_addc(&ps->str, '\n'); break;
		case 'r': sbuf_addc(&ps->str, '\r'); break;
		case 't': sbuf_addc(&ps->str, '\t'); break;
		case 'u':
			if (ps->end - ps->p < 4 || hex4(ps->p, &cp))
				return -EINVAL;
			ps->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 &&
			    ps->p[0] == '\\' && ps->p[1] == 'u' && !hex4(ps->p + 2, &lo) &&
			    lo >= 0xdc00 && lo < 0xe000) {
				ps->p += 6;
				add_utf8(&ps->str, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
			} else if (cp >= 0xdc80 && cp <= 0xdcff) {
				/* the renderer's escape for one invalid UTF-8 byte */
				sbuf_addc(&ps->str, (char)(cp - 0xdc00));
			} else if (cp >= 0xd800 && cp < 0xe000) {
				return -EINVAL;
			} else {
				add_utf8(&ps->str, cp);
			}
			break;
		default:
			return -EINVAL;
		}
	}
	return -EINVAL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The length of the JSON number (RFC 8259) at p: -?(0|[1-9][0-9]*)(.[0-9]+)?
 * ([eE][+-]?[0-9]+)?, 0 when there is none; *is_float when it has a fraction
 * or an exponent.  "+1", "01", ".5", "1.", a NUL byte are no numbers.
 */
static size_t number_len(const char *p, const char *end, int *is_float)
{
	const char *s = p;

	*is_float = 0;
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && is_digit(*p))
			p++;
	else
		return 0;
	if (p < end && *p == '.') {
		*is_float = 1;
		if (++p >= end || !is_digit(*p))
			return 0;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*is_float = 1;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return 0;
		while (p < end && is_digit(*p))
			p++;
	}
	return (size_t)(p - s);
}

static int pack_number(struct parser *ps)
{
	char buf[NUMBER_MAX], *endp;
	int is_float;
	size_t n = number_len(ps->p, ps->end, &is_float);

	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, ps->p, n);
	buf[n] = '\0';
	ps->p += n;
	errno = 0;
	if (is_float) {
		double d = strtod(buf, &endp);

		if (*endp || errno)
			return -EINVAL;
		return msgpack_pack_double(ps->pk, d) ? -ENOMEM : 0;
	}
	if (buf[0] == '-') {
		long long v = strtoll(buf, &endp, 10);

		if (*endp || errno)
			return -EINVAL;
		return msgpack_pack_int64(ps->pk, v) ? -ENOMEM : 0;
	} else {
		unsigned long long v = strtoull(buf, &endp, 10);

		if (*endp || errno)
			return -EINVAL;
		return msgpack_pack_uint64(ps->pk, v) ? -ENOMEM : 0;
	}
}

static int pack_str(struct parser *ps)
{
	if (msgpack_pack_str(ps->pk, ps->str.len) ||
	    msgpack_pack_str_body(ps->pk, ps->str.p, ps->str.len))
		return -ENOMEM;
	return 0;
}

static int literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return -EINVAL;
	ps->p += n;
	return 0;
}

/* Counts the members of the object/array at ps->p without packing. */
static int count_members(const char *p, const char *end, size_t *out)
{
	int depth = 0, in_str = 0;
	size_t n = 0;
	int any = 0;

	for (; p < end; p++) {
		char c = *p;

		if (in_str) {
			if (c == '\\')
				p++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			if (depth == 1)
				any = 1;
			break;
		case '{': case '[':
			if (depth == 1)
				any = 1;
			depth++;
			break;
		case '}': case ']':
			if (--depth == 0) {
				*out = any ? n + 1 : 0;
				return 0;
			}
			break;
		case ',':
			if (depth == 1)
				n++;
			break;
		case ' ': case '\t': case '\n': case '\r':
			break;
		default:
			if (depth == 1)
				any = 1;
		}
	}
	return -EINVAL;
}

static int pack_value(struct parser *ps, int depth, struct json2mp_info *info);

/* Expects c after white space and steps over it. */
static int expect(struct parser *ps, char c)
{
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != c)
		return -EINVAL;
	ps->p++;
	return 0;
}

/* After member i of n: white space, and the comma when another follows. */
static void next_member(struct parser *ps, size_t i, size_t n)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ',' && i + 1 < n)
		ps->p++;
}

static enum info_key info_key(const struct sbuf *key)
{
	if (key->len == 4 && !memcmp(key->p, "time", 4))
		return INFO_TIME;
	if (key->len == 4 && !memcmp(key->p, "kind", 4))
		return INFO_KIND;
	return INFO_NONE;
}

/* The string value of a top-level "time" or "kind": packed, and kept in info. */
static int pack_info(struct parser *ps, enum info_key key, struct json2mp_info *info)
{
	uint64_t ns;
	int err = read_string(ps);

	if (err)
		return err;
	if (key == INFO_TIME && !record_parse_time(sbuf_cstr(&ps->str), &ns)) {
		info->time_sec = (int64_t)(ns / NS_PER_SEC);
		info->time_nsec = (uint32_t)(ns % NS_PER_SEC);
	} else if (key == INFO_KIND && ps->str.len < sizeof(info->kind)) {
		memcpy(info->kind, ps->str.p, ps->str.len);
		info->kind[ps->str.len] = '\0';
	}
	return pack_str(ps);
}

/*
 * A top-level "time" that is a number: OCSF's, milliseconds since the epoch.
 * Packed as the number it is, and kept in info as seconds and nanoseconds.
 */
static int pack_time_ms(struct parser *ps, struct json2mp_info *info)
{
	const char *start = ps->p;
	unsigned long long ms = 0;
	int err;

	while (start < ps->end && *start >= '0' && *start <= '9' && ms < UINT64_MAX / 10)
		ms = ms * 10 + (unsigned long long)(*start++ - '0');
	err = pack_value(ps, 2, NULL);
	if (!err && start == ps->p && ms / MS_PER_SEC <= INT64_MAX) {	/* a whole number */
		info->time_sec = (int64_t)(ms / MS_PER_SEC);
		info->time_nsec = (uint32_t)(ms % MS_PER_SEC) * NS_PER_MS;
	}
	return err;
}

static int pack_object(struct parser *ps, int depth, struct json2mp_info *info)
{
	size_t n, i;
	int err;

	if (count_members(ps->p, ps->end, &n))
		return -EINVAL;
	if (msgpack_pack_map(ps->pk, n))
		return -ENOMEM;
	ps->p++;
	for (i = 0; i < n; i++) {
		enum info_key key;

		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"')
			return -EINVAL;
		err = read_string(ps);
		if (err)
			return err;
		key = info && depth == 1 ? info_key(&ps->str) : INFO_NONE;
		err = pack_str(ps);
		if (!err)
			err = expect(ps, ':');
		if (err)
			return err;
		skip_ws(ps);
		if (key != INFO_NONE && ps->p < ps->end && *ps->p == '"')
			err = pack_info(ps, key, info);
		else if (key == INFO_TIME)
			err = pack_time_ms(ps, info);
		else
			err = pack_value(ps, depth + 1, info);
		if (err)
			return err;
		next_member(ps, i, n);
	}
	return expect(ps, '}');
}

static int pack_array(struct parser *ps, int depth, struct json2mp_info *info)
{
	size_t n, i;
	int err;

	if (count_members(ps->p, ps->end, &n))
		return -EINVAL;
	if (msgpack_pack_array(ps->pk, n))
		return -ENOMEM;
	ps->p++;
	for (i = 0; i < n; i++) {
		skip_ws(ps);
		err = pack_value(ps, depth + 1, info);
		if (err)
			return err;
		next_member(ps, i, n);
	}
	return expect(ps, ']');
}

static int pack_value(struct parser *ps, int depth, struct json2mp_info *info)
{
	int err;

	if (depth > MAX_DEPTH)
		return -EINVAL;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return -EINVAL;
	switch (*ps->p) {
	case '{':
		return pack_object(ps, depth, info);
	case '[':
		return pack_array(ps, depth, info);
	case '"':
		err = read_string(ps);
		return err ? err : pack_str(ps);
	case 't':
		err = literal(ps, "true");
		return err ? err : (msgpack_pack_true(ps->pk) ? -ENOMEM : 0);
	case 'f':
		err = literal(ps, "false");
		return err ? err : (msgpack_pack_false(ps->pk) ? -ENOMEM : 0);
	case 'n':
		err = literal(ps, "null");
		return err ? err : (msgpack_pack_nil(ps->pk) ? -ENOMEM : 0);
	default:
		return pack_number(ps);
	}
}

int json2mp(msgpack_packer *pk, const char *s, size_t len, struct json2mp_info *info)
{
	struct parser ps = { .p = s, .end = s + len, .pk = pk };
	int err;

	if (info)
		memset(info, 0, sizeof(*info));
	err = pack_value(&ps, 1, info);
	if (!err) {
		skip_ws(&ps);
		if (ps.p != ps.end)
			err = -EINVAL;
	}
	sbuf_free(&ps.str);
	return err;
}
