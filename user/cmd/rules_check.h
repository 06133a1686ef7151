/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_check.h - `custos rules check PATH...`: load the rules as the agent
 * would, kernel-side checks included, and print "ok: N rules, policy DIGEST"
 * or every problem as FILE:LINE:COL.  Exit status 0, 1 when the rules do not
 * load, 2 on a usage error.
 */
#ifndef CUSTOS_CMD_RULES_CHECK_H
#define CUSTOS_CMD_RULES_CHECK_H

#include "rules/rules.h"

/* argv: the paths after "rules check" */
int cmd_rules_check(int argc, char **argv);

/*
 * Why rules did not load, on standard output: every diagnostic as
 * "FILE:LINE:COL: error: MSG", or err when there is none (a file that could
 * not be read).  `rules test` and `rules explain` report the same way.
 */
void rules_check_report(const struct rule_diags *diags, const char *err);

#endif
