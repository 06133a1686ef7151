/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unload.c - `custos unload` (unload.h).
 */
#include "cmd/unload.h"

#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "kernel/pin.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: custos unload [--pin-dir DIR]\n"
		"Detaches and removes what `custos run` left pinned in DIR (default "
		PIN_DIR_DEFAULT "):\nits programs stop enforcing and counting.  Stop the agent "
		"first.\n");
}

int cmd_unload(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = PIN_DIR_DEFAULT;
	struct pin_unload u;
	char err[512];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (c == 'p') {
			dir = optarg;
			continue;
		}
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? CMD_EXIT_OK : CMD_EXIT_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "custos: unload: unexpected argument '%s'\n", argv[optind]);
		return CMD_EXIT_USAGE;
	}
	if (pin_unload(dir, &u, err, sizeof(err))) {
		fprintf(stderr, "custos: %s\n", err);
		return CMD_EXIT_FAIL;
	}
	if (!u.links && !u.maps) {
		printf("custos: nothing pinned in %s\n", dir);
		return CMD_EXIT_OK;
	}
	printf("custos: unloaded %s: %d programs detached, %d maps removed\n", dir, u.links,
	       u.maps);
	if (u.still) {
		fprintf(stderr, "custos: error: %d links still exist: a process holds them (a "
			"custos agent run with another --pin-dir?)\n", u.still);
		return CMD_EXIT_FAIL;
	}
	return CMD_EXIT_OK;
}
