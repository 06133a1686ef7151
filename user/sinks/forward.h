/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forward.h - the `forward:` sink kind (Fluent Forward protocol v1), opened
 * by sink_open() only.  forward.c describes the threading and delivery;
 * docs/CONFIG.md the options.
 */
#ifndef CUSTOS_FORWARD_H
#define CUSTOS_FORWARD_H

#include <stddef.h>

struct sink;

/*
 * arg is what follows "forward:": HOST:PORT[,OPTION=VALUE]...  Sets s->ops
 * and s->priv and starts the sink's thread: 0, or -errno with a message in
 * err ("output 'SPEC': ...") for a bad spec or a spool or CA file that
 * cannot be opened.
 */
int forward_open(struct sink *s, const char *arg, char *err, size_t errlen);

#endif
