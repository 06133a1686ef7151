/* SPDX-License-Identifier: Apache-2.0 */
/*
 * help.c - the usage text of `custos` (help.h).
 */
#include "cmd/help.h"

#include "cmd/cmd.h"
#include "cmd/run.h"

void help_usage(FILE *f)
{
	fprintf(f,
		"usage: custos run [--rules PATH]... [--output SPEC]... [--config FILE]\n"
		"                  [--backend auto|lsm|fentry|tracepoint|raw] [--host NAME]\n"
		"                  [--format json|ocsf]\n"
		"                  [--ring-size BYTES] [--poll-ms MS] [--log-level LEVEL]\n"
		"                  [--status-socket PATH|none] [--metrics-file PATH]\n"
		"                  [--dns-server ADDR[:PORT]]... [--dns-table N] [--dns-grace SECS]\n"
		"                  [--dns-names auto|always]\n"
		"                  [--pin-dir DIR | --no-pin] [--state-dir DIR] [--chain-key FILE]\n"
		"                  [--checkpoint-every SECONDS] [--rate-limit N]\n"
		"                  [--coalesce-ms MS] [--ring-reserve PERCENT]\n"
		"       custos status [--json|--metrics] [--socket PATH]\n"
		"       custos unload [--pin-dir DIR]   (what run left pinned in the kernel)\n"
		"       custos rules check PATH...\n"
		"       custos rules test PATH...      (rule files and case files)\n"
		"       custos rules explain PATH... RECORD.json   (- reads stdin)\n"
		"       custos events [OPTIONS] [FILE...]   (--help for the filters)\n"
		"       custos events verify [--key FILE] [--live] [FILE...]\n"
		"       custos version [--probe]\n"
		"\n"
		"PATH is a rule file or a directory of *.yaml files.  Without --rules, run uses\n"
		RUN_ETC_RULES_DIR " when it exists, else the rules/ shipped with custos.\n"
		"SPEC is stdout (default), jsonl:PATH or forward:HOST:PORT (options: docs/CONFIG.md).\n"
		"--config FILE: YAML with host, rules, spool and outputs; --rules, --output and\n"
		"--host given on the command line replace the file's.\n"
		"--dns-server: a resolver whose answers bind names to addresses for `dest` names\n"
		"(default: the nameservers of /etc/resolv.conf, port 53; docs/RULES.md \"Names\").\n"
		"--dns-names: auto (default) reads DNS answers only while a rule names a\n"
		"destination; always reads them, so that every connect record names its\n"
		"destination (dest_name).\n"
		"run pins its programs in " PIN_DIR_DEFAULT ": they keep enforcing when the agent\n"
		"stops or dies (--no-pin: they stop with it); `custos unload` removes them.\n");
}

int cmd_help(int argc, char **argv)
{
	help_usage(stdout);
	return CMD_EXIT_OK;
}
