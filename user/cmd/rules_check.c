/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_check.c - `custos rules check` (rules_check.h).
 */
#include "cmd/rules_check.h"

#include <errno.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "filters/filters.h"
#include "rules/io.h"

#define DIAG_LINE_MAX 2048

void rules_check_report(const struct rule_diags *diags, const char *err)
{
	char line[DIAG_LINE_MAX];

	if (!diags->n) {
		printf("%s\n", err);
		return;
	}
	for (size_t i = 0; i < diags->n; i++) {
		rule_diag_format(&diags->v[i], line, sizeof(line));
		printf("%s\n", line);
	}
}

int cmd_rules_check(int argc, char **argv)
{
	struct rule_diags diags = { 0 };
	struct rule_set *set = NULL;
	char err[1024] = "";
	int rc;

	if (argc < 1) {
		fprintf(stderr, "usage: custos rules check PATH...\n");
		return CMD_EXIT_USAGE;
	}
	rc = rules_load_paths((const char *const *)argv, (size_t)argc, 0, NULL, &set, &diags,
			      err, sizeof(err));
	/* what the kernel side cannot decide is refused here too, as by `run` */
	if (rc == 0 && filters_check(set, &diags)) {
		rule_set_free(set);
		set = NULL;
		rc = -EINVAL;
	}
	if (rc == 0) {
		printf("ok: %zu rules, policy %s\n", set->n_rules, set->digest);
		rule_set_free(set);
		return CMD_EXIT_OK;
	}
	rules_check_report(&diags, err);
	rule_diags_free(&diags);
	return CMD_EXIT_FAIL;
}
