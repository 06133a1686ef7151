/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_json2mp.c - a record line into msgpack for the forward sink
 * (user/record/json2mp.c).  What it accepts packs into exactly one msgpack
 * object that unpacks again.
 */
#include "fuzz.h"

#include <msgpack.h>

#include "record/json2mp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json2mp_info info;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (json2mp(&pk, (const char *)data, size, &info) == 0) {
		msgpack_unpacked up;
		size_t off = 0;

		msgpack_unpacked_init(&up);
		fuzz_check(msgpack_unpack_next(&up, sb.data, sb.size, &off) ==
			   MSGPACK_UNPACK_SUCCESS);
		fuzz_check(off == sb.size);
		fuzz_check(memchr(info.kind, '\0', sizeof(info.kind)) != NULL);
		msgpack_unpacked_destroy(&up);
	}
	msgpack_sbuffer_destroy(&sb);
	return 0;
}
