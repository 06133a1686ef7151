/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_forward_reply.c - what a collector sends back on a forward
 * connection (user/sinks/forward_conn.c): the bytes arrive in pieces of
 * the sizes the input's first byte picks; each complete reply is read as
 * an ack.  The reader never holds more than FWD_REPLY_MAX bytes.
 */
#include "fuzz.h"

#include <errno.h>

#include "sinks/forward_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct forward_reader r;
	size_t piece, pos = 1;
	int rc = -EAGAIN;

	if (size < 1 || forward_reader_init(&r))
		return 0;
	piece = (size_t)data[0] + 1;
	while (pos < size && (rc == 0 || rc == -EAGAIN)) {
		size_t n = size - pos < piece ? size - pos : piece;

		if (n > FWD_REPLY_MAX - r.len)
			n = FWD_REPLY_MAX - r.len;
		memcpy(r.buf + r.len, data + pos, n);
		r.len += n;
		pos += n;
		while ((rc = forward_reader_take(&r)) == 0) {
			forward_ack_is(&r.res.data, "chunk");
			forward_obj_get(&r.res.data, "nonce");
			forward_obj_is(forward_obj_at(&r.res.data, 0), "HELO");
		}
		fuzz_check(r.len <= FWD_REPLY_MAX);
		/* a full buffer without a complete object cannot happen */
		fuzz_check(!(rc == -EAGAIN && r.len == FWD_REPLY_MAX));
	}
	forward_reader_free(&r);
	return 0;
}
