/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocsf_validate.h - an OCSF event checked against the schema's own source
 * files (tests/fixtures/ocsf-schema-1.1.0/, a copy of OCSF 1.1.0): the
 * class by class_uid with its `extends` chain and `$include`d parts,
 * profiles (an attribute a profile brings needs the profile in
 * metadata.profiles), objects and their `extends`, enums and their caption
 * siblings, required attributes, `at_least_one`/`just_one` constraints,
 * and every value's type (the dictionary's types, their regex, range and
 * max_len).  Written for custos' tests; knows nothing about custos.
 */
#ifndef CUSTOS_OCSF_VALIDATE_H
#define CUSTOS_OCSF_VALIDATE_H

#include <jansson.h>

#include "base/sbuf.h"

struct ocsf_schema;

/* Loads the schema under dir: 0, or -errno with the reason in err. */
int ocsf_schema_load(const char *dir, struct ocsf_schema **out, char *err, size_t errlen);
void ocsf_schema_free(struct ocsf_schema *s);

/*
 * Checks one event.  Each problem is appended to problems as one line
 * "PATH: MESSAGE\n" (PATH like evidences[0].file.name); returns how many.
 */
int ocsf_validate(struct ocsf_schema *s, json_t *event, struct sbuf *problems);

#endif
