/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_text.c - the text of a custos.event/1 line: byte strings escaped,
 * times formatted (json.h).
 *
 * Byte strings (paths, argv, comm, exe) - the decision:
 *
 *   The kernel gives us bytes, not text, and the spec requires that the
 *   original bytes can be recovered from the line.  We therefore use the
 *   PEP 383 "surrogateescape" convention:
 *
 *   - every well-formed, shortest-form UTF-8 sequence for a scalar value
 *     (U+0000..U+10FFFF minus the surrogates) is copied literally, except
 *   - '"' and '\\' and the control bytes 0x00-0x1f and 0x7f, which are escaped
 *     (\b \t \n \f \r \" \\ or \u00XX), and
 *   - every byte that is NOT part of such a sequence (stray continuation
 *     bytes, overlong forms, UTF-8-encoded surrogates U+D800..U+DFFF, values
 *     above U+10FFFF, truncated sequences, 0xc0 0xc1 0xf5..0xff) is written
 *     as the lone low surrogate \udcXX, XX being the byte (0x80..0xff).
 *
 *   A well-formed input never produces \udcXX (UTF-8 cannot encode a
 *   surrogate), so the mapping is reversible: in Python,
 *   json.loads(line)["file"]["path"].encode("utf-8", "surrogateescape")
 *   gives back the exact bytes.  Strict parsers that reject or replace lone
 *   surrogates lose only the invalid bytes, never the structure of the line.
 *
 *   Invalid sequences are escaped one byte at a time: a byte that cannot
 *   start a valid sequence at its position is escaped and decoding resumes at
 *   the next byte.  Every byte of a "maximal subpart" after its lead is a
 *   continuation byte, which can never start a sequence, so this yields the
 *   same output as Python's decoder.
 */
#include "record/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * Length of the well-formed UTF-8 sequence at p (Unicode 15, table 3-7), or
 * 0 when p[0] does not start one within n bytes.
 */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;	/* continuation byte, 0xc0, 0xc1, 0xf5..0xff */
	if (n < len)
		return 0;
	/* the second byte's range excludes overlongs, surrogates, > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

void json_escape_bytes(struct sbuf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, len;

	sbuf_reserve(out, n + 2);
	sbuf_addc(out, '"');
	while (i < n) {
		/* copy the longest run that needs no escaping in one go */
		run = i;
		while (run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		       p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i) {
			sbuf_add(out, p + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = p[i];
		if (c >= 0x80) {
			len = utf8_seq_len(p + i, n - i);
			if (len) {
				sbuf_add(out, p + i, len);
				i += len;
			} else {
				char esc[] = "\\udc00";
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				sbuf_add(out, esc, 6);
				i++;
			}
			continue;
		}
		switch (c) {
		case '"':  sbuf_add(out, "\\\"", 2); break;
		case '\\': sbuf_add(out, "\\\\", 2); break;
		case '\b': sbuf_add(out, "\\b", 2); break;
		case '\t': sbuf_add(out, "\\t", 2); break;
		case '\n': sbuf_add(out, "\\n", 2); break;
		case '\f': sbuf_add(out, "\\f", 2); break;
		case '\r': sbuf_add(out, "\\r", 2); break;
		default: {
			char esc[] = "\\u0000";
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			sbuf_add(out, esc, 6);
		}
		}
		i++;
	}
	sbuf_addc(out, '"');
}

/* v as exactly n decimal digits, zero-padded (v < 10^n). */
static void put_digits(char *p, unsigned v, int n)
{
	while (n--) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

int json_format_time(char *buf, size_t size, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000u);
	unsigned nsec = (unsigned)(ns % 1000000000u);
	struct tm tm;
	int n;

	if (size < JSON_TIME_SIZE) {
		if (size)
			buf[0] = '\0';
		return -ENOSPC;
	}
	if (!gmtime_r(&secs, &tm)) {
		buf[0] = '\0';
		return -EOVERFLOW;
	}
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
		if (n < 0 || (size_t)n >= size) {
			buf[0] = '\0';
			return -ENOSPC;
		}
		return 0;
	}
	/* the common case by hand (every record has a time): same bytes */
	put_digits(buf, (unsigned)(tm.tm_year + 1900), 4);
	buf[4] = '-';
	put_digits(buf + 5, (unsigned)tm.tm_mon + 1, 2);
	buf[7] = '-';
	put_digits(buf + 8, (unsigned)tm.tm_mday, 2);
	buf[10] = 'T';
	put_digits(buf + 11, (unsigned)tm.tm_hour, 2);
	buf[13] = ':';
	put_digits(buf + 14, (unsigned)tm.tm_min, 2);
	buf[16] = ':';
	put_digits(buf + 17, (unsigned)tm.tm_sec, 2);
	buf[19] = '.';
	put_digits(buf + 20, nsec, 9);
	buf[29] = 'Z';
	buf[30] = '\0';
	return 0;
}
