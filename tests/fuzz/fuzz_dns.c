/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_dns.c - a DNS message through the answer parser the kernel runs
 * (bpf/dnsparse.h, built for user space by user/filters/dns.c).  Every
 * input gets one of the three results; an accepted answer holds a name of
 * lower-case letters, digits, '-', '_' and dots, shorter than its buffer,
 * and at most DNS_MAX_ADDRS addresses, each IPv4 or IPv6.
 */
#include "fuzz.h"

#include "filters/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_answer a;
	int rc;

	memset(&a, 0xa5, sizeof(a));
	rc = filter_dns_parse(data, size, &a);
	fuzz_check(rc == DNS_OK || rc == DNS_NOT_ANSWER || rc == DNS_BAD);
	if (rc != DNS_OK)
		return 0;
	fuzz_check(a.name_len > 0 && a.name_len < DNS_NAME_MAX);
	for (uint32_t i = 0; i < a.name_len; i++) {
		char c = a.name[i];

		fuzz_check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			   c == '_' || c == '.');
	}
	fuzz_check(a.n_addr <= DNS_MAX_ADDRS);
	for (uint32_t i = 0; i < a.n_addr; i++)
		fuzz_check(a.addrs[i].family == 4 || a.addrs[i].family == 6);
	return 0;
}
