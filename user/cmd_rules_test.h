/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_rules_test.h - `custos rules test PATH...` (docs/RULE-TESTING.md) and
 * `custos rules explain RULES... RECORD.json` (the same page).
 *
 * Both print their own output to stdout/stderr and return the exit status
 * for main.c: rules test 0 when every case passed, 1 when one failed or a
 * file did not load, 2 on a usage error.
 */
#ifndef CUSTOS_CMD_RULES_TEST_H
#define CUSTOS_CMD_RULES_TEST_H

/* argv: the paths after "rules test" */
int cmd_rules_test(int argc, char **argv);

/* argv: the arguments after "rules explain" */
int cmd_rules_explain(int argc, char **argv);

#endif
