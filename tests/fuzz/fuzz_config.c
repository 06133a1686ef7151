/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_config.c - the `--config` file (user/cmd/config.c), outputs not
 * opened (no file is created, no connection made).  A refusal says where.
 */
#include "fuzz.h"

#include <errno.h>

#include "cmd/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	struct config cfg;
	char err[1024] = "";
	int rc;

	if (!f)
		return 0;
	rc = config_parse(f, "fuzz.yaml", CONFIG_OUTPUTS_UNCHECKED, &cfg, err, sizeof(err));
	fclose(f);
	if (rc == 0)
		config_free(&cfg);
	else if (rc == -EINVAL)
		fuzz_check(strncmp(err, "fuzz.yaml:", 10) == 0);
	return 0;
}
