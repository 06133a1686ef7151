/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events.h - `custos events [OPTIONS] [FILE...]`: query the agent's audit
 * files, custos.event/1 or OCSF lines, rotated .gz files included
 * (docs/INCIDENT-RESPONSE.md).  Prints its own output; returns the exit
 * status for main.c: 0 when records were shown, 1 when none matched or no
 * file could be read, 2 on a usage error.
 */
#ifndef CUSTOS_CMD_EVENTS_H
#define CUSTOS_CMD_EVENTS_H

#define EVENTS_DEFAULT_FILE "/var/log/custos/events.jsonl"

/* argv[0] is "events" */
int cmd_events(int argc, char **argv);

#endif
