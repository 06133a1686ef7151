/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rules.c - a rule file from a pull request: loaded, compiled
 * (user/rules/), and, when it loads, matched against a few records of
 * every kind.  Every refusal carries a FILE:LINE:COL diagnostic.
 */
#include "fuzz.h"

#include <errno.h>

#include "record/record.h"
#include "rules/rules.h"

static const char *const events[] = {
	"{\"kind\":\"file\",\"process\":{\"pid\":7,\"uid\":1000,\"comm\":\"cat\",\"exe\":\"/usr/bin/cat\","
	"\"args\":[\"cat\",\"/home/a/.aws/credentials\"],\"cgroup\":\"/user.slice\"},"
	"\"parent\":{\"pid\":6,\"exe\":\"/bin/bash\"},\"ancestors\":[\"/bin/bash\",\"/sbin/init\"],"
	"\"file\":{\"path\":\"/home/a/.aws/credentials\",\"access\":[\"read\"]}}",
	"{\"kind\":\"connect\",\"process\":{\"pid\":8,\"uid\":0,\"exe\":\"/usr/bin/curl\"},"
	"\"connect\":{\"proto\":\"tcp\",\"dest\":\"10.1.2.3\",\"port\":443}}",
	"{\"kind\":\"connect\",\"process\":{\"pid\":8,\"exe\":\"/usr/bin/dig\"},"
	"\"connect\":{\"proto\":\"udp\",\"dest\":\"2001:db8::1\",\"port\":53}}",
	"{\"kind\":\"exec\",\"process\":{\"pid\":9,\"uid\":33,\"exe\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"id\"]},"
	"\"parent\":{\"pid\":2,\"exe\":\"/usr/sbin/nginx\"}}",
};

static int resolve(const char *name, uint32_t *uid, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "root") != 0)
		return -1;
	*uid = 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rule_load_opts opts = { .resolve_user = resolve };
	struct rule_source src = { "fuzz.yaml", (const char *)data, size };
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;
	int rc = rule_set_load(&src, 1, &opts, &set, &d);

	if (rc == 0) {
		for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
			const struct rule *hits[64];
			struct record r;

			fuzz_check(record_parse(&r, events[i], strlen(events[i])) == 0);
			rule_set_match(set, &r.ev, hits, 64);
			record_free(&r);
		}
		rule_set_free(set);
	} else if (rc == -EINVAL) {
		char line[1024];

		fuzz_check(d.n > 0);
		for (size_t i = 0; i < d.n; i++)
			fuzz_check(rule_diag_format(&d.v[i], line, sizeof(line)) > 0);
	}
	rule_diags_free(&d);
	return 0;
}
