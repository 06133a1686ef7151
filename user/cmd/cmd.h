/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd.h - what every `custos` command shares: its exit statuses.
 *
 * A command is `int cmd_NAME(int argc, char **argv)` in cmd/NAME.c; main.c
 * finds it in its command table.  It prints its own output and returns one
 * of these for main.c to exit with.
 */
#ifndef CUSTOS_CMD_H
#define CUSTOS_CMD_H

enum cmd_exit {
	CMD_EXIT_OK = 0,
	CMD_EXIT_FAIL = 1,	/* what was asked for did not work or found a problem */
	CMD_EXIT_USAGE = 2,	/* the command line itself is wrong */
};

#endif
