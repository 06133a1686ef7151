/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events_verify.h - `custos events verify [--key FILE] [--live] [FILE...]`:
 * is a stored stream of records whole and unedited?  Reads each FILE after
 * its rotations (as `custos events` does) and checks the chain of digests
 * that links every record to the one before it (record/verify.h).  Prints
 * every break, located and explained, then a verdict; exit 0 when the chain
 * is whole (and closed, unless --live), 1 when not, 2 on a usage error.
 */
#ifndef CUSTOS_CMD_EVENTS_VERIFY_H
#define CUSTOS_CMD_EVENTS_VERIFY_H

/* argv[0] is "verify" */
int cmd_events_verify(int argc, char **argv);

#endif
