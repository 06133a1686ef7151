/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_case.h - one `rules test` case's event (docs/RULE-TESTING.md), built
 * from its YAML into the event model the agent's matcher reads
 * (record/event.h), borrowing the document's strings.
 *
 * Programs have identities here too, made up from their paths (the same
 * path, the same identity): a case says a program is another under a
 * different name (`same_as`), or a copy of listed programs (`copy_of`), and
 * rules_case_resolve gives the rules' values the same made-up identities.
 * The files that exist in the cases' world are the ones they name there
 * (struct case_world): a value like /usr/bin/python3* names those.
 */
#ifndef CUSTOS_CMD_RULES_CASE_H
#define CUSTOS_CMD_RULES_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "base/yamldoc.h"
#include "record/event.h"
#include "rules/rules.h"

#define CASE_MAX_ANC 64

struct built {
	struct cev_event ev;
	struct cev_str anc[CASE_MAX_ANC];
	struct cev_prog anc_progs[CASE_MAX_ANC];
	struct cev_label labels[RULE_MAX_LABELS];
	char comm[16];
	char *bufs[4];
	size_t n_bufs;
	const char *err;	/* static reason when building failed */
	size_t err_line;
};

/* The event of case node e into b, its labels as set's bits: 0, or -EINVAL
 * with b->err (-ENOMEM). */
int build_event(struct built *b, struct yamldoc *d, yaml_node_t *e, const struct rule_set *set);
void built_free(struct built *b);

/* The programs the cases name as files (same_as, copy_of). */
struct case_world {
	const char **paths;	/* borrowed from the case documents */
	size_t n, cap;
};

/* Adds the programs the cases of document d name; 0 or -ENOMEM. */
int rules_case_world(struct case_world *w, struct yamldoc *d);
void rules_case_world_free(struct case_world *w);

/* The rule loader's resolver (rules.h) in the cases' world (ctx: a struct
 * case_world): a literal path names its made-up file, a glob the world's
 * files it matches. */
int rules_case_resolve(const char *glob, struct ident *out, size_t max, void *ctx);

#endif
