/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ocsf.c - `custos run --format ocsf` end to end: a real exec caught by
 * a rule comes out as an OCSF Detection Finding (2004) whose analytic is the
 * rule and whose evidence is the launch, valid against the OCSF 1.1.0
 * schema (tests/ocsf/ocsf_validate.c).
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
#include "ocsf_validate.h"

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
	return jint(rec, "class_uid") == 2004 &&
	       jint(rec, "evidences.0.process.pid") == *(pid_t *)pid_ptr;
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

	assert_int_equal(jint(rec, "category_uid"), 2);
	assert_int_equal(jint(rec, "activity_id"), 1);
	assert_int_equal(jint(rec, "type_uid"), 200401);
	assert_int_equal(jint(rec, "severity_id"), 4);
	assert_true(jint(rec, "time") >= t0 && jint(rec, "time") <= now_realtime_ns() / 1000000);
	assert_string_equal(jstr(rec, "metadata.product.name"), "custos");
	assert_true(jint(rec, "metadata.sequence") >= 1);
	assert_non_null(jstr(rec, "device.hostname"));
	assert_string_equal(jstr(rec, "finding_info.analytic.uid"), "e2e-ocsf");
	assert_int_equal(jint(rec, "finding_info.related_events.0.type_uid"), 100701);
	assert_string_equal(jstr(rec, "evidences.0.process.file.path"), marker);
	assert_int_equal(jint(rec, "evidences.0.actor.process.pid"), getpid());
	assert_int_equal(jint(rec, "action_id"), 1);
	{
		struct ocsf_schema *schema;
		struct sbuf problems = SBUF_INIT;
		char err[512];

		assert_int_equal(ocsf_schema_load("tests/fixtures/ocsf-schema-1.1.0", &schema, err,
						  sizeof(err)), 0);
		if (ocsf_validate(schema, rec, &problems))
			fail_msg("not valid OCSF 1.1.0:\n%s", sbuf_cstr(&problems));
		sbuf_free(&problems);
		ocsf_schema_free(schema);
	}
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
