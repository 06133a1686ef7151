/* SPDX-License-Identifier: Apache-2.0 */
/*
 * help.h - `custos help` (and --help): the usage of every command.
 */
#ifndef CUSTOS_CMD_HELP_H
#define CUSTOS_CMD_HELP_H

#include <stdio.h>

/* The usage text, also shown for an unknown command and by `run --help`. */
void help_usage(FILE *f);

int cmd_help(int argc, char **argv);

#endif
