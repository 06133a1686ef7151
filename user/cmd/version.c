/* SPDX-License-Identifier: Apache-2.0 */
/*
 * version.c - `custos version` (version.h).
 */
#include "cmd/version.h"

#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "kernel/loader.h"
#include "kernel/probe.h"

/* what the kernel offers, then what each backend would attach */
static void print_probe(void)
{
	struct probe p;
	char desc[1024];

	probe_run(&p);
	probe_describe(&p, desc, sizeof(desc));
	printf("kernel: %s\n", desc);
	if (!p.have_ringbuf) {
		printf("backends: none (no BPF ring buffer: custos needs 5.8 or later)\n");
	} else {
		char plan[2048];

		/* the agent's start log ("agent: backend X; hooks: ...") says
		 * what it did attach */
		if (loader_plan(&p, plan, sizeof(plan)) == 0)
			printf("%s\n", plan);
	}
}

int cmd_version(int argc, char **argv)
{
	printf("custos %s (%s)\n", CUSTOS_VERSION, CUSTOS_GITREV);
	if (argc > 1 && strcmp(argv[1], "--probe") == 0)
		print_probe();
	return CMD_EXIT_OK;
}
