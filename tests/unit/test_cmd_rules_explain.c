/*
 * test_cmd_rules_explain.c - `custos rules explain`: a matched, an
 * unmatched and an unless-suppressed record, each with its reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "run_cmd.h"

static char dir[] = "/tmp/custos-exXXXXXX";
static char rules_path[256], rec_path[256];
static struct run_out o;

static const char RULES[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: secret-read\n"
	"    on: file\n"
	"    severity: critical\n"
	"    when: {path: \"/home/*/.aws/**\", access: [read]}\n"
	"    unless:\n"
	"      - exe: /usr/bin/aws\n"
	"      - cgroup: /system.slice/backup.service\n"
	"  - id: shell\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when: {exe: /usr/bin/dash}\n";

static const char HEAD[] =
	"{\"schema\":\"custos.event/1\",\"time\":\"2026-11-23T07:00:00Z\",\"seq\":7,"
	"\"kind\":\"file\",\"rule\":\"secret-read\",\"severity\":\"critical\",";

static void explain_record(const char *process, const char *file)
{
	char *argv[] = { "custos", "rules", "explain", rules_path, rec_path, NULL };
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s\"process\":%s,\"file\":%s}\n", HEAD, process, file);
	write_file(rec_path, buf);
	assert_int_equal(run_custos(&o, argv), 0);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(rules_path, sizeof(rules_path), "%s/r.yaml", dir);
	snprintf(rec_path, sizeof(rec_path), "%s/rec.json", dir);
	write_file(rules_path, RULES);
	return 0;
}

static int teardown(void **state)
{
	unlink(rules_path);
	unlink(rec_path);
	rmdir(dir);
	return 0;
}

static void test_matched(void **state)
{
	/* \udcff: a non-UTF-8 byte in the path, still matched by the glob */
	explain_record("{\"pid\":42,\"exe\":\"/usr/bin/cat\",\"cgroup\":\"/user.slice\"}",
		       "{\"path\":\"/home/svc/.aws/cred\\udcff\",\"access\":[\"read\"]}");
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "record seq 7: file by pid 42 /usr/bin/cat (recorded for rule secret-read)\n"));
	assert_non_null(strstr(o.out, "  MATCH       secret-read                            when holds (path, access); no unless holds\n"));
	assert_non_null(strstr(o.out, "  skip        shell                                  on: exec\n"));
	assert_non_null(strstr(o.out, "\n1 rule matches\n"));
}

static void test_unmatched_names_the_field(void **state)
{
	explain_record("{\"pid\":42,\"exe\":\"/usr/bin/cat\"}",
		       "{\"path\":\"/home/svc/.aws/config\",\"access\":[\"write\"]}");
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "  no          secret-read                            when.access does not hold: write\n"));
	assert_non_null(strstr(o.out, "\n0 rules match\n"));
}

static void test_suppressed_names_the_unless(void **state)
{
	explain_record("{\"pid\":42,\"exe\":\"/usr/bin/tar\",\"cgroup\":\"/system.slice/backup.service\"}",
		       "{\"path\":\"/home/svc/.aws/credentials\",\"access\":[\"read\"]}");
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "  suppressed  secret-read                            when holds, but unless[1] (cgroup) holds\n"));
	assert_non_null(strstr(o.out, "\n0 rules match\n"));
}

/* An io_uring open without its file: path/access taken to hold, the scope decides. */
static void test_unresolved_file(void **state)
{
	static const char file[] = "{\"path\":\"\",\"access\":[],\"flags\":\"\",\"via\":\"io_uring\","
				   "\"op\":\"openat\",\"unresolved\":true}";

	explain_record("{\"pid\":42,\"exe\":\"/usr/bin/cat\"}", file);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "  MATCH       secret-read                            when holds (path, access) (file unknown: path and access taken to hold); no unless holds\n"));
	assert_non_null(strstr(o.out, "\n1 rule matches\n"));
	explain_record("{\"pid\":42,\"exe\":\"/usr/bin/aws\"}", file);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "  suppressed  secret-read                            when holds, but unless[0] (exe) holds\n"));
	assert_non_null(strstr(o.out, "\n0 rules match\n"));
}

/* the recorded rule, comm and cgroup of a tampered record come out escaped */
static void test_terminal_escapes(void **state)
{
	char *argv[] = { "custos", "rules", "explain", rules_path, rec_path, NULL };

	write_file(rec_path,
		   "{\"seq\":3,\"kind\":\"exec\",\"rule\":\"r\\u001b[2J\\u009b\","
		   "\"process\":{\"pid\":9,\"exe\":\"/usr/bin/dash\\u001b]0;t\\u0007\","
		   "\"comm\":\"c\\u001b[1A\",\"cgroup\":\"/g\\u001b[K\"}}\n");
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 0);
	assert_no_terminal_controls(o.out);
	assert_non_null(strstr(o.out, "record seq 3: exec by pid 9 /usr/bin/dash\\x1b]0;t\\x07 "
				       "(recorded for rule r\\x1b[2J\\xc2\\x9b)\n"));
	assert_non_null(strstr(o.out, "/usr/bin/dash\\x1b]0;t\\x07\n"));
}

static void test_malformed_record(void **state)
{
	char *argv[] = { "custos", "rules", "explain", rules_path, rec_path, NULL };

	write_file(rec_path, "{\"kind\":\n");
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.err, ":1: malformed record, skipped\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matched),
		cmocka_unit_test(test_unmatched_names_the_field),
		cmocka_unit_test(test_suppressed_names_the_unless),
		cmocka_unit_test(test_unresolved_file),
		cmocka_unit_test(test_terminal_escapes),
		cmocka_unit_test(test_malformed_record),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
