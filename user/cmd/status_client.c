/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status_client.c - the client side of `custos status` (status_client.h);
 * the agent's side is agent/status.c.
 */
#include "cmd/status_client.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent/status.h"
#include "base/sbuf.h"
#include "cmd/cmd.h"

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "metrics", no_argument, NULL, 'm' },
		{ "socket", required_argument, NULL, 's' },
		{ 0 },
	};
	enum status_format fmt = STATUS_TEXT;
	const char *path = STATUS_SOCKET_DEFAULT;
	struct sbuf out = SBUF_INIT;
	char err[512] = "";
	int c, rc;

	while ((c = getopt_long(argc, argv, "jms:", opts, NULL)) != -1) {
		if (c == 'j')
			fmt = STATUS_JSON;
		else if (c == 'm')
			fmt = STATUS_METRICS;
		else if (c == 's')
			path = optarg;
		else {
			fprintf(stderr, "usage: custos status [--json|--metrics] [--socket PATH]\n");
			return CMD_EXIT_USAGE;
		}
	}
	rc = status_query(path, fmt, &out, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "custos: %s\n", err[0] ? err : strerror(-rc));
		sbuf_free(&out);
		return CMD_EXIT_FAIL;
	}
	fwrite(out.p, 1, out.len, stdout);
	sbuf_free(&out);
	return CMD_EXIT_OK;
}
