/*
 * test_cmd_rules_test.c - `custos rules test`: exit codes, the runner's
 * output (ok / FAIL lines, the expected/actual diff, the closing tally), how
 * rule files and case files are told apart, and the shipped packs' cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "run_cmd.h"

static char dir[] = "/tmp/custos-rtXXXXXX";
static char rules_path[256], cases_path[256];

static const char RULES[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: shell-under-server\n"
	"    on: exec\n"
	"    severity: high\n"
	"    when: {exe: /usr/bin/sh, parent_exe: /opt/srv/**}\n"
	"    unless:\n"
	"      - cgroup: /system.slice/ok.service\n"
	"  - id: any-shell\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when: {exe: /usr/bin/sh}\n"
	"  - id: secret-read\n"
	"    on: file\n"
	"    severity: critical\n"
	"    when: {path: /root/.aws/**, access: [read]}\n"
	"  - id: egress\n"
	"    on: connect\n"
	"    severity: high\n"
	"    when: {dest: 0.0.0.0/0}\n"
	"    unless: [{dest: 10.0.0.0/8}]\n";

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(rules_path, sizeof(rules_path), "%s/pack.yaml", dir);
	snprintf(cases_path, sizeof(cases_path), "%s/cases.yaml", dir);
	write_file(rules_path, RULES);
	return 0;
}

static int teardown(void **state)
{
	unlink(rules_path);
	unlink(cases_path);
	rmdir(dir);
	return 0;
}

static struct run_out o;

static void test_passing_cases(void **state)
{
	char *argv[] = { "custos", "rules", "test", rules_path, cases_path, NULL };

	write_file(cases_path,
		   "custos-cases: 1\n"
		   "cases:\n"
		   "  - name: shell under the server\n"
		   "    event:\n"
		   "      kind: exec\n"
		   "      process: {exe: /usr/bin/sh, args: [sh, -c, id]}\n"
		   "      parent: {exe: /opt/srv/bin/server}\n"
		   "    expect: [shell-under-server, any-shell]\n"
		   "  - name: suppressed by unless\n"
		   "    event:\n"
		   "      kind: exec\n"
		   "      process: {exe: /usr/bin/sh, cgroup: /system.slice/ok.service}\n"
		   "      parent: {exe: /opt/srv/bin/server}\n"
		   "    expect: [any-shell]\n"
		   "  - name: credential read\n"
		   "    event:\n"
		   "      kind: file\n"
		   "      process: {exe: /usr/bin/cat}\n"
		   "      file: {path: /root/.aws/credentials, access: [read]}\n"
		   "    expect: [secret-read]\n"
		   "  - name: write is not read\n"
		   "    event:\n"
		   "      kind: file\n"
		   "      process: {exe: /usr/bin/cat}\n"
		   "      file: {path: /root/.aws/credentials, access: [write]}\n"
		   "    expect: []\n"
		   "  - name: egress out, inside quiet\n"
		   "    event:\n"
		   "      kind: connect\n"
		   "      process: {exe: /usr/bin/curl}\n"
		   "      connect: {proto: tcp, dest: 203.0.113.9, port: 443}\n"
		   "    expect: [egress]\n"
		   "  - name: private destination\n"
		   "    event:\n"
		   "      kind: connect\n"
		   "      connect: {proto: udp, dest: 10.1.2.3, port: 53}\n"
		   "    expect: []\n");
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "ok   "));
	assert_null(strstr(o.out, "FAIL"));
	assert_non_null(strstr(o.out, "\n6 passed, 0 failed\n"));
}

static void test_failing_case_diff(void **state)
{
	char *argv[] = { "custos", "rules", "test", rules_path, cases_path, NULL };
	const char *last;

	write_file(cases_path,
		   "custos-cases: 1\n"
		   "cases:\n"
		   "  - name: right\n"
		   "    event: {kind: exec, process: {exe: /usr/bin/sh}}\n"
		   "    expect: [any-shell]\n"
		   "  - name: wrong expectations\n"
		   "    event:\n"
		   "      kind: exec\n"
		   "      process: {exe: /usr/bin/sh}\n"
		   "    expect: [shell-under-server, no-such-rule]\n");
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.out, "FAIL "));
	assert_non_null(strstr(o.out, "cases.yaml:6: wrong expectations\n"));
	assert_non_null(strstr(o.out, "     - shell-under-server  (expected, did not fire)\n"));
	assert_non_null(strstr(o.out, "     - no-such-rule  (expected, did not fire; no rule has this id)\n"));
	assert_non_null(strstr(o.out, "     + any-shell  (fired, not expected)\n"));
	last = strstr(o.out, "1 passed, 1 failed\n");
	assert_non_null(last);
	assert_string_equal(last, "1 passed, 1 failed\n");
}

static void test_bad_case_is_a_failure(void **state)
{
	char *argv[] = { "custos", "rules", "test", rules_path, cases_path, NULL };

	write_file(cases_path,
		   "custos-cases: 1\n"
		   "cases:\n"
		   "  - name: typo in a key\n"
		   "    event: {kind: exec, process: {exe: /usr/bin/sh, parnt: x}}\n"
		   "    expect: [any-shell]\n");
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.out, "unknown key"));
	assert_non_null(strstr(o.out, "0 passed, 1 failed\n"));
}

/* An io_uring open seen without its file: the scope decides (rules/match.c). */
static void test_io_uring_unresolved_open(void **state)
{
	char *argv[] = { "custos", "rules", "test", rules_path, cases_path, NULL };

	write_file(cases_path,
		   "custos-cases: 1\n"
		   "cases:\n"
		   "  - name: io_uring open, file unknown\n"
		   "    event: {kind: file, process: {exe: /usr/bin/cat}, file: {via: io_uring}}\n"
		   "    expect: [secret-read]\n"
		   "  - name: io_uring with a path is refused\n"
		   "    event: {kind: file, process: {exe: /usr/bin/cat},\n"
		   "            file: {via: io_uring, path: /root/.aws/credentials}}\n"
		   "    expect: [secret-read]\n"
		   "  - name: unknown via\n"
		   "    event: {kind: file, process: {exe: /usr/bin/cat}, file: {via: aio}}\n"
		   "    expect: []\n");
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.out, "ok   "));
	assert_non_null(strstr(o.out, "io_uring open, file unknown\n"));
	assert_non_null(strstr(o.out, "has no path, access or flags"));
	assert_non_null(strstr(o.out, "via: expected io_uring"));
	assert_non_null(strstr(o.out, "1 passed, 2 failed\n"));
}

static void test_directory_classifies_by_content(void **state)
{
	/* one directory holds both: custos-cases marks the case file */
	char *argv[] = { "custos", "rules", "test", dir, NULL };

	write_file(cases_path,
		   "custos-cases: 1\n"
		   "cases:\n"
		   "  - name: any shell\n"
		   "    event: {kind: exec, process: {exe: /usr/bin/sh}}\n"
		   "    expect: [any-shell]\n");
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "1 passed, 0 failed\n"));
}

static void test_no_cases_is_usage_error(void **state)
{
	char *argv[] = { "custos", "rules", "test", rules_path, NULL };

	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.err, "custos-cases"));
}

static void test_shipped_packs_cases_pass(void **state)
{
	char *argv[] = { "custos", "rules", "test", "rules", "rules/tests", NULL };

	assert_int_equal(run_custos(&o, argv), 0);
	if (o.status != 0)
		fprintf(stderr, "%s%s", o.out, o.err);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, " passed, 0 failed\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passing_cases),
		cmocka_unit_test(test_failing_case_diff),
		cmocka_unit_test(test_bad_case_is_a_failure),
		cmocka_unit_test(test_io_uring_unresolved_open),
		cmocka_unit_test(test_directory_classifies_by_content),
		cmocka_unit_test(test_no_cases_is_usage_error),
		cmocka_unit_test(test_shipped_packs_cases_pass),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
