/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.h - what the running agent tells `custos status` and Prometheus.
 *
 * The agent listens on a root-only Unix stream socket (default
 * /run/custos/status.sock, directory 0700, socket 0600).  A client writes one
 * line, "text", "json" or "metrics", and reads the answer until EOF.  The
 * agent serves requests between two polls of the ring (non-blocking accept),
 * so a status request never stalls event processing for long.
 *
 * The same rendering feeds an optional node_exporter textfile
 * (--metrics-file), rewritten atomically every few seconds.
 */
#ifndef CUSTOS_STATUS_H
#define CUSTOS_STATUS_H

#include <stddef.h>

#include "base/sbuf.h"

#define STATUS_SOCKET_DEFAULT "/run/custos/status.sock"

struct agent;

enum status_format {
	STATUS_TEXT,
	STATUS_JSON,
	STATUS_METRICS,		/* Prometheus text exposition format 0.0.4 */
};

struct status_server {
	int fd;			/* -1: not listening */
	char path[108];
};

/* Creates the socket (and its directory, 0700); path NULL or "none": off. */
int status_server_open(struct status_server *s, const char *path, char *err, size_t errlen);
/* Answers every pending request. */
void status_server_serve(struct status_server *s, struct agent *a);
void status_server_close(struct status_server *s);

/* Renders the agent's state. */
void status_render(struct agent *a, enum status_format fmt, struct sbuf *out);
/* Writes the metrics to path atomically (path.tmp + rename). */
int status_write_metrics_file(struct agent *a, const char *path);

/* Client side: asks the agent at path; the answer is appended to out. */
int status_query(const char *path, enum status_format fmt, struct sbuf *out,
		 char *err, size_t errlen);

#endif
