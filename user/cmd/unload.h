/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unload.h - `custos unload [--pin-dir DIR]`: detaches and removes the
 * programs, links and maps that `custos run` left pinned (kernel/pin.h), so
 * that nothing of custos stays in the kernel.  Refuses while an agent runs
 * on DIR.  Exit 0 when nothing is left, 1 when something is, 2 on a usage
 * error.
 */
#ifndef CUSTOS_CMD_UNLOAD_H
#define CUSTOS_CMD_UNLOAD_H

/* argv[0] is "unload" */
int cmd_unload(int argc, char **argv);

#endif
