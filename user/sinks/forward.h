/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink_forward.h - the `forward:` sink kind (Fluent Forward protocol v1),
 * opened by sink_open() only.  See sink_forward.c for the protocol and
 * threading notes and docs/CONFIG.md for the options.
 */
#ifndef CUSTOS_SINK_FORWARD_H
#define CUSTOS_SINK_FORWARD_H

#include <stddef.h>

struct sink;

/* arg is what follows "forward:": HOST:PORT[,OPTION=VALUE]... */
int sink_forward_open(struct sink *s, const char *arg, char *err, size_t errlen);

#endif
