/* SPDX-License-Identifier: Apache-2.0 */
/*
 * version.h - `custos version [--probe]`: the version, and with --probe what
 * this kernel offers and what each backend would attach here.
 */
#ifndef CUSTOS_CMD_VERSION_H
#define CUSTOS_CMD_VERSION_H

/* argv[0] is "version" (or "--version") */
int cmd_version(int argc, char **argv);

#endif
