/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_status.c - the agent's status renderings (user/agent/status.c): every
 * per-sink counter appears in the Prometheus exposition and in --json, with
 * the sink's name as its label, so what `custos status` calls lost can be
 * alerted on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent/status.h"

static const struct status_sink sinks[] = {
	{ "jsonl:/var/log/custos/events.jsonl",
	  { .lines_written = 10, .bytes = 4096, .errors = 1, .lines_lost = 2 } },
	{ "forward:127.0.0.1:24224",
	  { .lines_written = 7, .bytes = 700, .errors = 3, .lines_lost = 1523, .sent = 9,
	    .acked = 7, .spooled = 1530 } },
};

static void render(enum status_format fmt, struct sbuf *out)
{
	static const uint64_t hits[1];
	struct rule_set rules = { .n_rules = 0, .digest = "sha256:00" };
	struct agent_status st = {
		.backend = "raw", .hooks = "exec__raw", .rules = &rules, .rule_hits = hits,
		.sinks = sinks, .n_sinks = 2,
	};

	status_render(&st, fmt, out);
	assert_false(sbuf_err(out));
}

static void test_metrics_per_sink(void **state)
{
	static const char *const want[] = {
		"custos_sink_lines_total{sink=\"jsonl:/var/log/custos/events.jsonl\"} 10\n",
		"custos_sink_bytes_total{sink=\"jsonl:/var/log/custos/events.jsonl\"} 4096\n",
		"custos_sink_errors_total{sink=\"jsonl:/var/log/custos/events.jsonl\"} 1\n",
		"custos_sink_dropped_total{sink=\"jsonl:/var/log/custos/events.jsonl\"} 2\n",
		"custos_sink_dropped_total{sink=\"forward:127.0.0.1:24224\"} 1523\n",
		"custos_sink_sent_total{sink=\"forward:127.0.0.1:24224\"} 9\n",
		"custos_sink_acked_total{sink=\"forward:127.0.0.1:24224\"} 7\n",
		"custos_sink_spooled_total{sink=\"forward:127.0.0.1:24224\"} 1530\n",
		"custos_sink_spooled_total{sink=\"jsonl:/var/log/custos/events.jsonl\"} 0\n",
		"# TYPE custos_sink_dropped_total counter\n",
	};
	struct sbuf out = SBUF_INIT;

	render(STATUS_METRICS, &out);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(sbuf_cstr(&out), want[i]))
			fail_msg("missing %s in:\n%s", want[i], sbuf_cstr(&out));
	sbuf_free(&out);
}

static void test_json_per_sink(void **state)
{
	struct sbuf out = SBUF_INIT;

	render(STATUS_JSON, &out);
	assert_non_null(strstr(sbuf_cstr(&out),
			       "{\"name\":\"forward:127.0.0.1:24224\",\"lines\":7,\"bytes\":700,"
			       "\"errors\":3,\"lost\":1523,\"sent\":9,\"acked\":7,\"spooled\":1530}"));
	sbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_per_sink),
		cmocka_unit_test(test_json_per_sink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
