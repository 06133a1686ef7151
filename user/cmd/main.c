/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the `custos` program: finds the command named on the command
 * line in a table and runs it (README.md, "Command line", lists them).
 * Each command lives in its own file under cmd/ and returns the exit status.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/events.h"
#include "cmd/events_verify.h"
#include "cmd/help.h"
#include "cmd/rules_check.h"
#include "cmd/rules_explain.h"
#include "cmd/rules_test.h"
#include "cmd/run.h"
#include "cmd/status_client.h"
#include "cmd/unload.h"
#include "cmd/version.h"

enum cmd_flags {
	/* fn gets only the operands after the name (rule and record paths);
	 * otherwise argv[0] is the name's last word, as getopt expects */
	CMD_OPERANDS = 1 << 0,
};

struct cmd {
	const char *name;	/* one or more words: "rules check" */
	int (*fn)(int argc, char **argv);
	unsigned flags;
};

static const struct cmd commands[] = {
	{ "run", cmd_run, 0 },
	{ "status", cmd_status, 0 },
	{ "unload", cmd_unload, 0 },
	{ "rules check", cmd_rules_check, CMD_OPERANDS },
	{ "rules test", cmd_rules_test, CMD_OPERANDS },
	{ "rules explain", cmd_rules_explain, CMD_OPERANDS },
	{ "events verify", cmd_events_verify, 0 },
	{ "events", cmd_events, 0 },
	{ "version", cmd_version, 0 },
	{ "--version", cmd_version, 0 },
	{ "help", cmd_help, 0 },
	{ "--help", cmd_help, 0 },
};

/* How many words of argv[1..] the name is (all of them must match), or 0. */
static int name_words(const char *name, int argc, char **argv)
{
	int words = 0;

	for (const char *p = name; *p; words++) {
		size_t len = strcspn(p, " ");

		if (1 + words >= argc || strlen(argv[1 + words]) != len ||
		    strncmp(argv[1 + words], p, len) != 0)
			return 0;
		p += len;
		p += *p == ' ';
	}
	return words;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help_usage(stderr);
		return CMD_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct cmd *c = &commands[i];
		int words = name_words(c->name, argc, argv);

		if (!words)
			continue;
		if (c->flags & CMD_OPERANDS)
			return c->fn(argc - 1 - words, argv + 1 + words);
		return c->fn(argc - words, argv + words);
	}
	fprintf(stderr, "custos: unknown command '%s'\n", argv[1]);
	help_usage(stderr);
	return CMD_EXIT_USAGE;
}
