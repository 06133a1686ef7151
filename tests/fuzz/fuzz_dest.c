/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_dest.c - a `dest:` value (user/rules/dest.c).  An accepted one is
 * well formed: an address with its prefix within the family, ports in
 * order, host bits zero, matching its own address at its lowest port; or
 * a DNS name, lower case, without a final dot, that matches itself (its
 * wildcard: a name one label below it) at its lowest port.
 */
#include "fuzz.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/dest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), why[256];
	struct dest_pat p;

	if (!s)
		return 0;
	if (dest_parse(s, &p, why, sizeof(why)) == 0 && p.is_name) {
		size_t n = strnlen(p.name, sizeof(p.name));
		char self[DEST_NAME_MAX + 8];

		fuzz_check(p.family == 0);
		fuzz_check(n > 0 && n <= DEST_NAME_MAX && p.name[n - 1] != '.');
		for (size_t i = 0; i < n; i++)
			fuzz_check(!isupper((unsigned char)p.name[i]));
		fuzz_check(p.port_lo <= p.port_hi);
		snprintf(self, sizeof(self), "%s%s", p.wildcard ? "a." : "", p.name);
		fuzz_check(dest_name_match(&p, self, p.port_lo));
	} else if (dest_parse(s, &p, why, sizeof(why)) == 0) {
		unsigned bits = p.family == AF_INET ? 32 : 128;

		fuzz_check(p.family == AF_INET || p.family == AF_INET6);
		fuzz_check(p.prefix <= bits);
		fuzz_check(p.port_lo <= p.port_hi);
		fuzz_check(!p.has_port || p.port_hi > 0);
		for (unsigned i = p.prefix; i < bits; i++)
			fuzz_check(!(p.addr[i / 8] & (0x80u >> (i % 8))));
		fuzz_check(dest_pat_match(&p, p.family, p.addr, p.port_lo));
	} else {
		fuzz_check(why[0] != '\0');
	}
	free(s);
	return 0;
}
