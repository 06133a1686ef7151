/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_test.h - `custos rules test PATH...` (docs/RULE-TESTING.md).
 *
 * Prints its own output and returns the exit status for main.c: 0 when
 * every case passed, 1 when one failed or a file did not load, 2 on a
 * usage error.
 */
#ifndef CUSTOS_CMD_RULES_TEST_H
#define CUSTOS_CMD_RULES_TEST_H

/* argv: the paths after "rules test" */
int cmd_rules_test(int argc, char **argv);

#endif
