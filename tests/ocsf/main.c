/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocsf-validate - checks OCSF events, one JSON object per line, against the
 * OCSF schema's source files:
 *
 *   build/tests/ocsf-validate [--schema DIR] [FILE...]      (stdin without FILE)
 *
 * DIR defaults to tests/fixtures/ocsf-schema-1.1.0.  Prints each problem as
 * FILE:LINE: PATH: MESSAGE and a closing "N records, N valid"; exits 0 when
 * every record is valid, 1 when one is not, 2 when it cannot read its input.
 * E.g. custos run --format ocsf ... | build/tests/ocsf-validate
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocsf_validate.h"

static int check_file(struct ocsf_schema *s, const char *name, FILE *f, unsigned long *n,
		      unsigned long *valid)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, f)) > 0) {
		struct sbuf problems = SBUF_INIT;
		json_error_t je;
		json_t *ev;

		lineno++;
		if (len == 1 && line[0] == '\n')
			continue;
		(*n)++;
		ev = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &je);
		if (!ev) {
			printf("%s:%lu: not JSON: %s\n", name, lineno, je.text);
			continue;
		}
		if (ocsf_validate(s, ev, &problems) == 0) {
			(*valid)++;
		} else {
			for (char *p = problems.p, *nl; p && *p; p = nl + 1) {
				nl = strchr(p, '\n');
				printf("%s:%lu: %.*s\n", name, lineno, (int)(nl - p), p);
			}
		}
		sbuf_free(&problems);
		json_decref(ev);
	}
	free(line);
	return ferror(f) ? -EIO : 0;
}

int main(int argc, char **argv)
{
	const char *dir = "tests/fixtures/ocsf-schema-1.1.0";
	struct ocsf_schema *s;
	unsigned long n = 0, valid = 0;
	char err[512];
	int i = 1, rc = 0;

	if (argc > 2 && !strcmp(argv[1], "--schema")) {
		dir = argv[2];
		i = 3;
	} else if (argc > 1 && argv[1][0] == '-' && argv[1][1]) {
		fprintf(stderr, "usage: ocsf-validate [--schema DIR] [FILE...]\n");
		return 2;
	}
	if (ocsf_schema_load(dir, &s, err, sizeof(err))) {
		fprintf(stderr, "ocsf-validate: cannot load the schema: %s\n", err);
		return 2;
	}
	if (i == argc)
		rc = check_file(s, "-", stdin, &n, &valid);
	for (; i < argc && !rc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f) {
			fprintf(stderr, "ocsf-validate: %s: %s\n", argv[i], strerror(errno));
			rc = -errno;
			break;
		}
		rc = check_file(s, argv[i], f, &n, &valid);
		fclose(f);
	}
	ocsf_schema_free(s);
	printf("%lu records, %lu valid\n", n, valid);
	return rc ? 2 : valid == n ? 0 : 1;
}
