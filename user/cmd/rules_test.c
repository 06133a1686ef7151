// SPDX-License-Identifier: Apache-2.0
/*
 * rules_test.c - `custos rules test`: synthetic events from YAML case
 * files run through the agent's own matcher (rule_set_match).
 *
 * Rule files and case files are told apart by content, not by name: a case
 * file's top-level mapping has the key `custos-cases` (a rule file has
 * `custos`).  A directory argument contributes its *.yaml files as the
 * agent reads a rule directory (rules_dir_files: byte order, not its
 * subdirectories), so `custos rules test rules rules/tests` loads the packs
 * from rules/ and the cases from rules/tests/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "base/yamldoc.h"
#include "cmd/cmd.h"
#include "cmd/rules_case.h"
#include "cmd/rules_check.h"
#include "cmd/rules_test.h"
#include "rules/io.h"
#include "rules/rules.h"

#define MAX_FILES 256
#define MAX_HITS 256

struct case_file {
	char *path;
	struct yamldoc doc;
};

struct paths {
	char *v[MAX_FILES];
	size_t n;
};

static int add_path(struct paths *p, const char *s)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i], s) == 0)
			return 0;	/* named twice: load once */
	if (p->n == MAX_FILES)
		return -E2BIG;
	p->v[p->n] = strdup(s);
	return p->v[p->n++] ? 0 : -ENOMEM;
}

/* A file as itself, a directory as the rule files the agent would read in it. */
static int expand(const char *arg, struct paths *out)
{
	struct stat st;
	char **files;
	size_t n;
	int rc;

	if (stat(arg, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return add_path(out, arg);
	rc = rules_dir_files(arg, &files, &n);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_path(out, files[i]);
	rules_dir_free(files, n);
	return rc;
}

static int load_yaml(const char *path, struct yamldoc *doc, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	rc = yamldoc_read(doc, f, path, err, errlen);
	fclose(f);
	return rc;
}

static int is_case_file(struct yamldoc *d)
{
	return yamldoc_get(d, yamldoc_root(d), "custos-cases") != NULL;
}

/* --- running the cases ---------------------------------------------------- */

static int has_rule(const struct rule_set *set, const char *id)
{
	for (size_t i = 0; i < set->n_rules; i++)
		if (strcmp(set->rules[i].id, id) == 0)
			return 1;
	return 0;
}

static int in_hits(const struct rule **hits, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(hits[i]->id, id) == 0)
			return 1;
	return 0;
}

static int in_expect(struct yamldoc *d, yaml_node_t *exp, const char *id)
{
	for (yaml_node_item_t *it = exp->data.sequence.items.start; it < exp->data.sequence.items.top; it++)
		if (yamldoc_scalar_is(yamldoc_node(d, *it), id))
			return 1;
	return 0;
}

/*
 * set_labels: [NAME...] of a case, when it has the key: the exact set of
 * labels the matching rules give the process.  1 when it holds (or is
 * absent); else 0 with what differs printed.
 */
static int check_labels(const struct rule_set *set, struct yamldoc *d, yaml_node_t *want,
			uint64_t got, int say)
{
	uint64_t listed = 0;
	int ok = 1;

	if (!want)
		return 1;
	for (yaml_node_item_t *it = want->type == YAML_SEQUENCE_NODE ?
				     want->data.sequence.items.start : NULL;
	     it && it < want->data.sequence.items.top; it++) {
		const char *nm = yamldoc_scalar(yamldoc_node(d, *it));
		uint64_t bit = nm ? rule_set_label_bit(set, nm) : 0;

		listed |= bit;
		if (!(got & bit)) {
			if (say)
				printf("     - label %s  (expected, not set)\n", nm ? nm : "?");
			ok = 0;
		}
	}
	for (size_t i = 0; i < set->n_labels; i++) {
		if ((got >> i) & 1 && !((listed >> i) & 1)) {
			if (say)
				printf("     + label %s  (set, not expected)\n", set->labels[i]);
			ok = 0;
		}
	}
	return ok;
}

/* Prints what differs between the reporting hits and expect. */
static void print_diff(const struct rule_set *set, struct yamldoc *d, yaml_node_t *exp,
		       const struct rule **hits, size_t n)
{
	for (yaml_node_item_t *it = exp->data.sequence.items.start;
	     it < exp->data.sequence.items.top; it++) {
		const char *id = yamldoc_scalar(yamldoc_node(d, *it));

		if (id && !in_hits(hits, n, id))
			printf("     - %s  (expected, did not fire%s)\n", id,
			       has_rule(set, id) ? "" : "; no rule has this id");
	}
	for (size_t i = 0; i < n; i++)
		if (!in_expect(d, exp, hits[i]->id))
			printf("     + %s  (fired, not expected)\n", hits[i]->id);
}

/*
 * One case: 1 passed, 0 failed (the failure printed).  expect is the rules
 * that report (action: label rules report nothing: the labels they set are
 * the case's set_labels).
 */
static int run_case(const struct rule_set *set, struct case_file *cf, yaml_node_t *c)
{
	struct yamldoc *d = &cf->doc;
	yaml_node_t *name = yamldoc_get(d, c, "name"), *exp = yamldoc_get(d, c, "expect");
	const char *nm = yamldoc_scalar(name) ? yamldoc_scalar(name) : "(unnamed)";
	size_t line = c->start_mark.line + 1, n, k = 0;
	const struct rule *hits[MAX_HITS];
	uint64_t labels = 0;
	struct built b;
	int ok = 1, labels_ok;

	if (build_event(&b, d, yamldoc_get(d, c, "event"), set)) {
		printf("FAIL %s:%zu: %s\n     error: %s:%zu: %s\n", cf->path, line, nm,
		       cf->path, b.err_line ? b.err_line : line, b.err);
		built_free(&b);
		return 0;
	}
	if (!exp || exp->type != YAML_SEQUENCE_NODE) {
		printf("FAIL %s:%zu: %s\n     error: expect: a list of rule ids ([] for none)\n",
		       cf->path, line, nm);
		built_free(&b);
		return 0;
	}
	n = rule_set_match(set, &b.ev, hits, MAX_HITS);
	if (n > MAX_HITS)
		n = MAX_HITS;
	for (size_t i = 0; i < n; i++) {
		labels |= hits[i]->set_labels;
		if (hits[i]->action != ACT_LABEL)
			hits[k++] = hits[i];
	}
	n = k;
	for (yaml_node_item_t *it = exp->data.sequence.items.start; it < exp->data.sequence.items.top; it++)
		if (!yamldoc_scalar(yamldoc_node(d, *it)) ||
		    !in_hits(hits, n, yamldoc_scalar(yamldoc_node(d, *it))))
			ok = 0;
	for (size_t i = 0; i < n; i++)
		if (!in_expect(d, exp, hits[i]->id))
			ok = 0;
	labels_ok = check_labels(set, d, yamldoc_get(d, c, "set_labels"), labels, 0);
	if (ok && labels_ok) {
		printf("ok   %s: %s\n", cf->path, nm);
	} else {
		printf("FAIL %s:%zu: %s\n", cf->path, line, nm);
		print_diff(set, d, exp, hits, n);
		check_labels(set, d, yamldoc_get(d, c, "set_labels"), labels, 1);
	}
	built_free(&b);
	return ok && labels_ok;
}

/* The files of every argument, as case files (kept parsed) and rule files. */
struct inputs {
	struct paths files;
	struct case_file cases[MAX_FILES];
	size_t n_cases;
	const char *rules[MAX_FILES];
	size_t n_rules;
};

/* 0; or the exit status after saying why (a file that is not YAML counts
 * as a failed case) */
static int read_inputs(int argc, char **argv, struct inputs *in)
{
	char err[1024] = "";

	for (int i = 0; i < argc; i++) {
		int r = expand(argv[i], &in->files);

		if (r) {
			fprintf(stderr, "custos: rules test: %s: %s\n", argv[i], strerror(-r));
			return CMD_EXIT_FAIL;
		}
	}
	for (size_t i = 0; i < in->files.n; i++) {
		struct yamldoc doc;

		if (load_yaml(in->files.v[i], &doc, err, sizeof(err))) {
			printf("%s\n0 passed, 1 failed\n", err);
			return CMD_EXIT_FAIL;
		}
		if (is_case_file(&doc)) {
			in->cases[in->n_cases].path = in->files.v[i];
			in->cases[in->n_cases++].doc = doc;
		} else {
			yamldoc_free(&doc);
			in->rules[in->n_rules++] = in->files.v[i];
		}
	}
	return 0;
}

/* Every case of every case file against set; counts into *pass and *fail. */
static void run_cases(const struct rule_set *set, struct inputs *in, size_t *pass, size_t *fail)
{
	for (size_t i = 0; i < in->n_cases; i++) {
		struct yamldoc *d = &in->cases[i].doc;
		yaml_node_t *root = yamldoc_root(d);
		yaml_node_t *list = yamldoc_get(d, root, "cases");

		if (!yamldoc_scalar_is(yamldoc_get(d, root, "custos-cases"), "1") ||
		    !list || list->type != YAML_SEQUENCE_NODE) {
			printf("FAIL %s: expected `custos-cases: 1` and a `cases:` list\n",
			       in->cases[i].path);
			(*fail)++;
			continue;
		}
		for (yaml_node_item_t *it = list->data.sequence.items.start;
		     it < list->data.sequence.items.top; it++) {
			if (run_case(set, &in->cases[i], yamldoc_node(d, *it)))
				(*pass)++;
			else
				(*fail)++;
		}
	}
}

int cmd_rules_test(int argc, char **argv)
{
	struct case_world world = { 0 };
	/* programs in rules get the identities the cases' programs have */
	const struct rule_load_opts case_opts = {
		.resolve_user = rules_resolve_user,
		.resolve_exe = rules_case_resolve,
		.resolve_exe_ctx = &world,
	};
	struct inputs *in;
	struct rule_diags diags = { 0 };
	struct rule_set *set = NULL;
	size_t pass = 0, fail = 0;
	char err[1024] = "";
	int rc;

	if (argc < 1) {
		fprintf(stderr, "usage: custos rules test PATH...   (rule files and case files)\n");
		return CMD_EXIT_USAGE;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		fprintf(stderr, "custos: rules test: %s\n", strerror(ENOMEM));
		return CMD_EXIT_FAIL;
	}
	rc = read_inputs(argc, argv, in);
	if (rc)
		goto out;
	rc = CMD_EXIT_USAGE;
	if (in->n_rules == 0 || in->n_cases == 0) {
		fprintf(stderr, "custos: rules test: need rule files and case files "
			"(a case file has `custos-cases: 1`)\n");
		goto out;
	}
	rc = CMD_EXIT_FAIL;
	for (size_t i = 0; i < in->n_cases; i++)
		if (rules_case_world(&world, &in->cases[i].doc)) {
			fprintf(stderr, "custos: rules test: %s\n", strerror(ENOMEM));
			goto out;
		}
	if (rules_load_paths(in->rules, in->n_rules, 0, &case_opts, &set, &diags, err,
			     sizeof(err))) {
		rules_check_report(&diags, err);
		printf("0 passed, 1 failed\n");
		rule_diags_free(&diags);
		goto out;
	}
	run_cases(set, in, &pass, &fail);
	printf("%zu passed, %zu failed\n", pass, fail);
	rc = fail ? CMD_EXIT_FAIL : CMD_EXIT_OK;
out:
	rule_set_free(set);
	rules_case_world_free(&world);
	for (size_t i = 0; i < in->n_cases; i++)
		yamldoc_free(&in->cases[i].doc);
	for (size_t i = 0; i < in->files.n; i++)
		free(in->files.v[i]);
	free(in);
	return rc;
}
