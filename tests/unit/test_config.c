/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c - the --config YAML file (user/cmd/config.c): every key, the
 * SPEC strings it builds, FILE:LINE:COL errors for bad values, and how it
 * merges under the command line of `custos run`.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/config.h"
#include "cmd/run.h"

static char dir[64], file[128];

static void write_file(const char *text)
{
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/custos-config-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/custos.yaml", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_full_config(void **state)
{
	struct config cfg;
	char text[2048], err[512], want[512];

	snprintf(text, sizeof(text),
		 "custos: 1\n"
		 "host: inference-01\n"
		 "format: ocsf\n"
		 "rules: [%s/a.yaml, %s/b]\n"
		 "spool:\n"
		 "  dir: %s/spool\n"
		 "  max: 1M\n"
		 "outputs:\n"
		 "  - stdout\n"
		 "  - jsonl: %s/events.jsonl\n"
		 "    max-size: 100M\n"
		 "    keep: 3\n"
		 "  - forward: 127.0.0.1:24224\n"
		 "    tag: audit\n"
		 "    compress: gzip\n"
		 "  - forward: \"[::1]:24225\"\n"
		 "    spool: none\n",
		 dir, dir, dir, dir);
	write_file(text);
	assert_int_equal(config_load(file, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.host, "inference-01");
	assert_int_equal(cfg.format, CONFIG_FORMAT_OCSF);
	assert_int_equal(cfg.n_rules, 2);
	snprintf(want, sizeof(want), "%s/b", dir);
	assert_string_equal(cfg.rules[1], want);
	assert_int_equal(cfg.n_outputs, 4);
	assert_string_equal(cfg.outputs[0], "stdout");
	snprintf(want, sizeof(want), "jsonl:%s/events.jsonl,max-size=100M,keep=3", dir);
	assert_string_equal(cfg.outputs[1], want);
	snprintf(want, sizeof(want), "forward:127.0.0.1:24224,tag=audit,compress=gzip,"
		 "spool=%s/spool/127.0.0.1_24224,spool-max=1M", dir);
	assert_string_equal(cfg.outputs[2], want);
	assert_string_equal(cfg.outputs[3], "forward:[::1]:24225,spool=none,spool-max=1M");
	config_free(&cfg);
}

static void expect_error(const char *text, const char *want)
{
	struct config cfg;
	char err[512], full[640];

	write_file(text);
	assert_int_equal(config_load(file, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(full, sizeof(full), "%s:%s", file, want);
	assert_string_equal(err, full);
}

static void test_errors_point_at_the_value(void **state)
{
	expect_error("custos: 1\nhosts: x\n",
		     "2:1: error: unknown key 'hosts' (expected custos, host, format, rules, "
		     "spool or outputs)");
	expect_error("custos: 2\n", "1:9: error: custos: must be 1 (this configuration version)");
	expect_error("outputs:\n  - forward: 127.0.0.1:24224\n    compress: lz4\n",
		     "2:5: error: output 'forward:127.0.0.1:24224,compress=lz4,spool="
		     "/var/lib/custos/spool/127.0.0.1_24224': bad value 'lz4' for option "
		     "'compress'");
	expect_error("outputs:\n  - forward: 127.0.0.1\n    spool: none\n",
		     "2:5: error: output 'forward:127.0.0.1,spool=none': expected "
		     "forward:HOST:PORT (IPv6 as [ADDR]:PORT, port 1-65535)");
	expect_error("format: xml\n", "1:9: error: format must be json or ocsf");
	expect_error("outputs: stdout\n", "1:10: error: outputs must be a list");
	expect_error("host: [a\n", "2:1: error: did not find expected ',' or ']'");
	expect_error("spool: {dir: /x, size: 3}\n",
		     "1:18: error: unknown spool key 'size' (expected dir or max)");
	expect_error("outputs:\n  - jsonl: /nonexistent-custos-dir/x\n    tag: y\n",
		     "3:5: error: unknown jsonl option 'tag' (expected max-size or keep)");
}

/* Every way out of an output's parsing, for LeakSanitizer (make test-asan):
 * a half-built SPEC leaked on one of them.  And the limits of the file. */
static void test_error_paths_free_everything(void **state)
{
	struct config cfg;
	char err[512], missing[160];
	char *deep = calloc(1, 2 * 70 + 1);

	expect_error("outputs:\n  - forward: 127.0.0.1:1\n    jsonl: y\n",
		     "3:5: error: one output per list item");
	expect_error("outputs:\n  - forward: [a]\n", "2:14: error: forward needs a HOST:PORT");
	expect_error("outputs:\n  - jsonl: /tmp/x\n    keep: [1]\n",
		     "3:11: error: keep must be a non-empty string");
	expect_error("outputs:\n  - forward: 127.0.0.1:1\n    shared-key: ''\n",
		     "3:17: error: shared-key must be a non-empty string");
	expect_error("outputs:\n  - {}\n", "2:5: error: an output is a SPEC string or a mapping "
		     "(jsonl: PATH or forward: HOST:PORT, then options)");
	expect_error("a: &x [1]\nb: *x\n",
		     "2:4: error: yaml aliases are not supported (write the value out)");
	assert_non_null(deep);
	memset(deep, '[', 70);
	memset(deep + 70, ']', 70);
	expect_error(deep, "1:65: error: nesting deeper than 64 levels");
	free(deep);
	snprintf(missing, sizeof(missing), "%s/none.yaml", dir);
	assert_int_equal(config_load(missing, &cfg, err, sizeof(err)), -ENOENT);
}

/* --rules / --output replace the file's lists; --host and --format its values */
static void test_command_line_wins(void **state)
{
	struct config cfg = {
		.host = "file-host", .format = CONFIG_FORMAT_OCSF,
		.rules = { "file-rules" }, .n_rules = 1,
		.outputs = { "stdout", "jsonl:/file" }, .n_outputs = 2,
	};
	struct run_opts bare = { .n_rules = 1, .rules = { "cli-rules" } };
	struct run_opts full = {
		.agent = { .host = "cli-host" }, .format = CONFIG_FORMAT_JSON,
		.n_outputs = 1, .outputs = { "jsonl:/cli" },
	};

	config_merge(&cfg, &bare);
	assert_int_equal(bare.n_rules, 1);
	assert_string_equal(bare.rules[0], "cli-rules");
	assert_int_equal(bare.n_outputs, 2);
	assert_string_equal(bare.outputs[1], "jsonl:/file");
	assert_string_equal(bare.agent.host, "file-host");
	assert_int_equal(bare.format, CONFIG_FORMAT_OCSF);

	config_merge(&cfg, &full);
	assert_int_equal(full.n_rules, 1);
	assert_string_equal(full.rules[0], "file-rules");
	assert_int_equal(full.n_outputs, 1);
	assert_string_equal(full.outputs[0], "jsonl:/cli");
	assert_string_equal(full.agent.host, "cli-host");
	assert_int_equal(full.format, CONFIG_FORMAT_JSON);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_errors_point_at_the_value),
		cmocka_unit_test(test_error_paths_free_everything),
		cmocka_unit_test(test_command_line_wins),
	};

	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
