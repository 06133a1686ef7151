/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ocsf.c - `custos run --format ocsf` end to end: a real exec caught by
 * a rule comes out as an OCSF Process Activity (1007) Launch event with the
 * class's required attributes and the rule as the finding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define WAIT_MS 5000

static const char rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: e2e-ocsf\n"
	"    on: exec\n"
	"    severity: high\n"
	"    tags: [e2e]\n"
	"    when:\n"
	"      exe: \"@DIR@/marker\"\n";

static int pred_launch(json_t *rec, void *pid_ptr)
{
	return jint(rec, "class_uid") == 1007 && jint(rec, "process.pid") == *(pid_t *)pid_ptr;
}

static void test_exec_as_process_activity(void **state)
{
	struct agent_run r;
	const char *args[] = { "--format", "ocsf", NULL };
	char marker[512], cmd[1200];
	long long t0;
	pid_t pid;
	json_t *rec;

	assert_int_equal(harness_setup(&r, rules), 0);
	snprintf(marker, sizeof(marker), "%s/marker", r.dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/true '%s'", marker);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(harness_start(&r, args), 0);
	t0 = now_realtime_ns() / 1000000;
	pid = harness_spawn(marker, (char *[]){ marker, NULL });
	harness_wait(pid);
	rec = harness_wait_record(&r, pred_launch, &pid, WAIT_MS);
	assert_non_null(rec);

	assert_int_equal(jint(rec, "category_uid"), 1);
	assert_int_equal(jint(rec, "activity_id"), 1);
	assert_int_equal(jint(rec, "type_uid"), 100701);
	assert_int_equal(jint(rec, "severity_id"), 4);
	assert_true(jint(rec, "time") >= t0 && jint(rec, "time") <= now_realtime_ns() / 1000000);
	assert_string_equal(jstr(rec, "metadata.product.name"), "custos");
	assert_non_null(jstr(rec, "metadata.version"));
	assert_true(jint(rec, "metadata.sequence") >= 1);
	assert_non_null(jstr(rec, "device.hostname"));
	assert_string_equal(jstr(rec, "process.file.path"), marker);
	assert_int_equal(jint(rec, "actor.process.pid"), getpid());
	assert_string_equal(jstr(rec, "finding_info.uid"), "e2e-ocsf");
	json_decref(rec);

	assert_int_equal(harness_stop(&r), 0);
	harness_cleanup(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_as_process_activity),
	};

	return cmocka_run_group_tests_name("e2e ocsf", tests, NULL, NULL);
}
