/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_explain.h - `custos rules explain PATH... RECORD` (docs/RULE-TESTING.md).
 *
 * Prints its own output and returns the exit status for main.c: 0, 1 when
 * the rules did not load or a record was malformed, 2 on a usage error.
 */
#ifndef CUSTOS_CMD_RULES_EXPLAIN_H
#define CUSTOS_CMD_RULES_EXPLAIN_H

/* argv: the arguments after "rules explain"; the last is the record file */
int cmd_rules_explain(int argc, char **argv);

#endif
