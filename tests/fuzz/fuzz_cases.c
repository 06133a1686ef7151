/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cases.c - a rule-test case file (user/cmd/rules_test.c: `custos
 * rules test`), run against a small fixed rule file.  The command writes
 * its report to stdout, which goes to /dev/null here.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <unistd.h>

#include "cmd/rules_test.h"

static const char rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: secret-read\n"
	"    on: file\n"
	"    severity: high\n"
	"    when: {path: '/home/*/.aws/**', access: [read]}\n"
	"    unless: [{exe: /usr/bin/aws}]\n"
	"  - id: egress\n"
	"    on: connect\n"
	"    severity: low\n"
	"    when: {dest: ['0.0.0.0/0', '::/0'], proto: [tcp, udp]}\n"
	"  - id: shell\n"
	"    on: exec\n"
	"    severity: medium\n"
	"    when: {exe: '**/sh', parent_exe: '**/nginx'}\n";

static char dir[] = "/tmp/custos-fuzz-XXXXXX", rules_path[64], case_path[64];

static void cleanup(void)
{
	unlink(case_path);
	unlink(rules_path);
	rmdir(dir);
}

static int setup(void)
{
	int fd;

	if (!mkdtemp(dir))
		return -1;
	atexit(cleanup);
	snprintf(rules_path, sizeof(rules_path), "%s/rules.yaml", dir);
	snprintf(case_path, sizeof(case_path), "%s/cases.yaml", dir);
	fd = open(rules_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, rules, sizeof(rules) - 1) != sizeof(rules) - 1)
		return -1;
	close(fd);
	return freopen("/dev/null", "w", stdout) ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *argv[] = { rules_path, case_path, NULL };
	int fd, rc;

	if (!ready && setup() == 0)
		ready = 1;
	if (!ready)
		abort();
	fd = open(case_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	rc = cmd_rules_test(2, argv);
	fuzz_check(rc >= 0 && rc <= 2);
	return 0;
}
