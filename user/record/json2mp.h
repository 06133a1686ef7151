/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json2mp.h - turns one rendered JSON record back into the same map,
 * msgpack-encoded, for the Fluent Forward sink.
 *
 * The input is what json.c renders: one object, strings escaped as JSON,
 * invalid UTF-8 bytes as lone low surrogates \udcXX.  Those come back out as
 * the raw byte 0x80..0xff inside the msgpack str, so the original bytes of a
 * path or argument survive.  Integers stay integers; true/false/null keep
 * their types.  No I/O; the caller owns the packer.
 */
#ifndef CUSTOS_JSON2MP_H
#define CUSTOS_JSON2MP_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

struct json2mp_info {
	int64_t time_sec;	/* top-level "time": RFC 3339 (record_parse_time) or a
				 * whole number of ms (OCSF); 0 when absent */
	uint32_t time_nsec;
	char kind[16];		/* top-level "kind", "" when absent */
};

/*
 * Packs the JSON value in s[0..len) (trailing whitespace/newline allowed).
 * Returns 0, or -EINVAL for input that is not one well-formed JSON value,
 * -ENOMEM when the packer failed.  info may be NULL.
 */
int json2mp(msgpack_packer *pk, const char *s, size_t len, struct json2mp_info *info);

#endif
