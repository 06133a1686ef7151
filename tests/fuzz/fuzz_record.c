/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_record.c - an audit file's line read back as a record
 * (user/record/record.c) and shown as `custos events` shows it
 * (user/cmd/events_print.c: the table, the summary).  A record that parses
 * renders (user/record/json.c) into a line that parses again, and nothing
 * shown on the terminal holds a control byte.
 */
#include "fuzz.h"

#include <unistd.h>

#include "base/sbuf.h"
#include "cmd/events_print.h"
#include "record/json.h"
#include "record/record.h"

/* the table goes to /dev/null: what is checked is that it gets there safely */
static void quiet_stdout(void)
{
	static int done;

	if (!done && freopen("/dev/null", "w", stdout))
		done = 1;
}

static void round_trip(const struct record *r)
{
	struct json_meta meta = { .host = r->host, .seq = r->seq, .policy = NULL };
	struct json_rule rule = { 0 };
	struct sbuf out = SBUF_INIT;
	struct record again;

	rule.id = r->rule;
	rule.severity = r->severity ? r->severity : "info";
	rule.action = r->action ? r->action : "alert";
	if (json_render_event(&out, &r->ev, r->rule ? &rule : NULL, &meta) == 0 &&
	    !sbuf_err(&out)) {
		size_t n = out.len;

		while (n && out.p[n - 1] == '\n')
			n--;
		fuzz_check(record_parse(&again, out.p, n) == 0);
		fuzz_check(again.ev.kind == r->ev.kind);
		fuzz_check(again.seq == r->seq);
		record_free(&again);
	}
	sbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct events_out table = { .mode = EVENTS_TABLE, .tree_pid = 1 };
	struct events_out sum = { .mode = EVENTS_SUMMARY };
	struct record r;

	quiet_stdout();
	if (record_parse(&r, (const char *)data, size) == 0) {
		round_trip(&r);
		events_show(&table, &r, (const char *)data, size, 0);
		events_show(&sum, &r, (const char *)data, size, 0);
		fuzz_check(!memchr(table.line.p, '\033', table.line.len));
		for (size_t i = 0; i < sum.by_rule.cap; i++)
			fuzz_check(!sum.by_rule.v[i].key || !strchr(sum.by_rule.v[i].key, '\033'));
		events_print_summary(&sum, 1);
	}
	record_free(&r);
	events_out_free(&table);
	events_out_free(&sum);
	return 0;
}
