/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status_client.h - `custos status [--json|--metrics] [--socket PATH]`: asks
 * the running agent over its status socket (agent/status.h) and prints the
 * answer.  Exit status 1 when no agent answers, 2 on a usage error.
 */
#ifndef CUSTOS_CMD_STATUS_CLIENT_H
#define CUSTOS_CMD_STATUS_CLIENT_H

/* argv[0] is "status" */
int cmd_status(int argc, char **argv);

#endif
