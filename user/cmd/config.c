/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - `--config FILE`: YAML (libyaml document API) -> struct config.
 *
 *   custos: 1
 *   host: inference-01
 *   rules: [/etc/custos/rules.d]
 *   spool: {dir: /var/lib/custos/spool, max: 256M}
 *   outputs:
 *     - stdout
 *     - jsonl: /var/log/custos/events.jsonl
 *       max-size: 100M
 *       keep: 5
 *     - forward: 10.0.0.5:24224
 *       tag: custos
 *       compress: gzip
 */
#include "cmd/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/yamldoc.h"
#include "cmd/run.h"
#include "sinks/sink.h"

#define SPOOL_DIR_DEFAULT "/var/lib/custos/spool"

struct cctx {
	struct yamldoc doc;
	struct config *cfg;
	unsigned flags;		/* enum config_parse_flags */
	char *err;
	size_t errlen;
};

/* "FILE:LINE:COL: error: MESSAGE" at node n; -EINVAL */
#define fail_at(c, n, ...) yamldoc_fail(&(c)->doc, n, (c)->err, (c)->errlen, __VA_ARGS__)

static int need_scalar(struct cctx *c, yaml_node_t *n, const char *what, const char **out)
{
	*out = yamldoc_scalar(n);
	if (!*out || !**out)
		return fail_at(c, n, "%s must be a non-empty string", what);
	if (strchr(*out, ','))
		return fail_at(c, n, "%s must not contain ','", what);
	return 0;
}

static int add_str(struct cctx *c, yaml_node_t *n, char **list, size_t *cnt, const char *s,
		   const char *what)
{
	if (*cnt == CONFIG_MAX_LIST)
		return fail_at(c, n, "at most %d %s", CONFIG_MAX_LIST, what);
	list[*cnt] = strdup(s);
	if (!list[*cnt])
		return -ENOMEM;
	(*cnt)++;
	return 0;
}

static int parse_rules(struct cctx *c, yaml_node_t *n)
{
	const char *s = yamldoc_scalar(n);

	if (s)
		return add_str(c, n, c->cfg->rules, &c->cfg->n_rules, s, "rule paths");
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n, "rules must be a path or a list of paths");
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = yamldoc_node(&c->doc, *it);

		if (!yamldoc_scalar(item) || !*yamldoc_scalar(item))
			return fail_at(c, item, "a rule path must be a string");
		if (add_str(c, item, c->cfg->rules, &c->cfg->n_rules, yamldoc_scalar(item), "rule paths"))
			return -EINVAL;
	}
	return 0;
}

static int parse_spool(struct cctx *c, yaml_node_t *n)
{
	if (yamldoc_scalar(n) && !strcmp(yamldoc_scalar(n), "none")) {
		free(c->cfg->spool_dir);
		c->cfg->spool_dir = NULL;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(c, n, "spool must be 'none' or a mapping with dir and max");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yamldoc_node(&c->doc, p->key), *v = yamldoc_node(&c->doc, p->value);
		const char *key = yamldoc_scalar(k), *val;

		if (!key)
			return fail_at(c, k, "spool keys must be strings");
		if (need_scalar(c, v, key, &val))
			return -EINVAL;
		if (!strcmp(key, "dir")) {
			free(c->cfg->spool_dir);
			c->cfg->spool_dir = strdup(val);
		} else if (!strcmp(key, "max")) {
			free(c->cfg->spool_max);
			c->cfg->spool_max = strdup(val);
		} else {
			return fail_at(c, k, "unknown spool key '%s' (expected dir or max)", key);
		}
	}
	return 0;
}

/* Checks a SPEC by opening it once; a bad option comes back at its node. */
static int check_spec(struct cctx *c, yaml_node_t *n, const char *spec)
{
	char serr[512];
	struct sink *s;
	int rc;

	if (c->flags & CONFIG_OUTPUTS_UNCHECKED)
		return 0;
	rc = sink_open(spec, &s, serr, sizeof(serr));
	if (rc)
		return fail_at(c, n, "%s", serr[0] ? serr : strerror(-rc));
	sink_close(s);
	return 0;
}

/*
 * A mapping output as a SPEC: its first pair "KIND: VALUE" gives "KIND:VALUE",
 * every other pair ",KEY=VALUE".  *has_spool: one of them was `spool`.
 */
static int mapping_spec(struct cctx *c, yaml_node_t *n, const char *kind, struct sbuf *spec,
			int *has_spool)
{
	yaml_node_pair_t *first = n->data.mapping.pairs.start;

	for (yaml_node_pair_t *p = first; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yamldoc_node(&c->doc, p->key), *v = yamldoc_node(&c->doc, p->value);
		const char *key = yamldoc_scalar(k), *val;

		if (!key)
			return fail_at(c, k, "output keys must be strings");
		if (p == first) {
			val = yamldoc_scalar(v);
			if (!val || !*val)
				return fail_at(c, v, "%s needs a %s", kind,
					       strcmp(kind, "jsonl") ? "HOST:PORT" : "path");
			sbuf_addf(spec, "%s:%s", kind, val);
			continue;
		}
		if (!strcmp(key, "jsonl") || !strcmp(key, "forward"))
			return fail_at(c, k, "one output per list item");
		if (!strcmp(kind, "jsonl") && strcmp(key, "max-size") && strcmp(key, "keep"))
			return fail_at(c, k, "unknown jsonl option '%s' (expected max-size or keep)",
				       key);
		if (need_scalar(c, v, key, &val))
			return -EINVAL;
		if (!strcmp(key, "spool"))
			*has_spool = 1;
		sbuf_addf(spec, ",%s=%s", key, val);
	}
	return 0;
}

/* A forward output without its own spool: DIR/HOST_PORT under spool.dir. */
static void default_spool(struct cctx *c, yaml_node_t *n, struct sbuf *spec, int has_spool)
{
	const char *addr = yamldoc_scalar(yamldoc_node(&c->doc, n->data.mapping.pairs.start->value));

	if (!has_spool && c->cfg->spool_dir) {
		sbuf_addf(spec, ",spool=%s/", c->cfg->spool_dir);
		for (const char *a = addr; *a; a++)
			sbuf_addc(spec, (*a == ':' || *a == '/' || *a == '[' || *a == ']') ? '_' : *a);
	}
	if (c->cfg->spool_dir && c->cfg->spool_max)
		sbuf_addf(spec, ",spool-max=%s", c->cfg->spool_max);
}

static int parse_output(struct cctx *c, yaml_node_t *n)
{
	struct sbuf spec = SBUF_INIT;
	const char *kind;
	int has_spool = 0, rc;
	yaml_node_t *first;

	if (yamldoc_scalar(n)) {
		rc = check_spec(c, n, yamldoc_scalar(n));
		return rc ? rc : add_str(c, n, c->cfg->outputs, &c->cfg->n_outputs,
					 yamldoc_scalar(n), "outputs");
	}
	if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.start == n->data.mapping.pairs.top)
		return fail_at(c, n, "an output is a SPEC string or a mapping "
			       "(jsonl: PATH or forward: HOST:PORT, then options)");
	first = yamldoc_node(&c->doc, n->data.mapping.pairs.start->key);
	kind = yamldoc_scalar(first);
	if (!kind || (strcmp(kind, "jsonl") && strcmp(kind, "forward")))
		return fail_at(c, first, "an output mapping starts with jsonl: PATH or "
			       "forward: HOST:PORT");
	rc = mapping_spec(c, n, kind, &spec, &has_spool);
	if (!rc && !strcmp(kind, "forward"))
		default_spool(c, n, &spec, has_spool);
	if (!rc && sbuf_err(&spec))
		rc = -ENOMEM;
	if (!rc)
		rc = check_spec(c, n, sbuf_cstr(&spec));
	if (!rc)
		rc = add_str(c, n, c->cfg->outputs, &c->cfg->n_outputs, sbuf_cstr(&spec), "outputs");
	sbuf_free(&spec);
	return rc;
}

static int parse_root(struct cctx *c, yaml_node_t *root)
{
	yaml_node_t *outputs = NULL;

	if (!root)
		return fail_at(c, NULL, "the file is empty");
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(c, root, "the configuration must be a mapping");
	/* spool first: forward outputs take their default directory from it */
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yamldoc_node(&c->doc, p->key), *v = yamldoc_node(&c->doc, p->value);
		const char *key = yamldoc_scalar(k), *val;

		if (!key)
			return fail_at(c, k, "keys must be strings");
		if (!strcmp(key, "custos")) {
			if (!yamldoc_scalar(v) || strcmp(yamldoc_scalar(v), "1"))
				return fail_at(c, v, "custos: must be 1 (this configuration version)");
		} else if (!strcmp(key, "host")) {
			if (need_scalar(c, v, "host", &val))
				return -EINVAL;
			free(c->cfg->host);
			c->cfg->host = strdup(val);
		} else if (!strcmp(key, "format")) {
			val = yamldoc_scalar(v);
			if (!val || (strcmp(val, "json") && strcmp(val, "ocsf")))
				return fail_at(c, v, "format must be json or ocsf");
			c->cfg->format = strcmp(val, "ocsf") ? CONFIG_FORMAT_JSON : CONFIG_FORMAT_OCSF;
		} else if (!strcmp(key, "rules")) {
			if (parse_rules(c, v))
				return -EINVAL;
		} else if (!strcmp(key, "spool")) {
			if (parse_spool(c, v))
				return -EINVAL;
		} else if (!strcmp(key, "outputs")) {
			outputs = v;
		} else {
			return fail_at(c, k, "unknown key '%s' (expected custos, host, format, rules, "
				       "spool or outputs)", key);
		}
	}
	if (!outputs)
		return 0;
	if (outputs->type != YAML_SEQUENCE_NODE)
		return fail_at(c, outputs, "outputs must be a list");
	for (yaml_node_item_t *it = outputs->data.sequence.items.start;
	     it < outputs->data.sequence.items.top; it++)
		if (parse_output(c, yamldoc_node(&c->doc, *it)))
			return -EINVAL;
	return 0;
}

int config_parse(FILE *f, const char *path, unsigned flags, struct config *cfg, char *err,
		 size_t errlen)
{
	struct cctx c = { .cfg = cfg, .flags = flags, .err = err, .errlen = errlen };
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->spool_dir = strdup(SPOOL_DIR_DEFAULT);
	if (!cfg->spool_dir)
		return -ENOMEM;
	rc = yamldoc_read(&c.doc, f, path, err, errlen);
	if (rc) {
		config_free(cfg);
		return rc;
	}
	rc = parse_root(&c, yamldoc_root(&c.doc));
	yamldoc_free(&c.doc);
	if (rc)
		config_free(cfg);
	return rc;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: error: cannot open it: %s", path, strerror(-rc));
		return rc;
	}
	rc = config_parse(f, path, 0, cfg, err, errlen);
	fclose(f);
	return rc;
}

void config_free(struct config *cfg)
{
	free(cfg->host);
	for (size_t i = 0; i < cfg->n_rules; i++)
		free(cfg->rules[i]);
	for (size_t i = 0; i < cfg->n_outputs; i++)
		free(cfg->outputs[i]);
	free(cfg->spool_dir);
	free(cfg->spool_max);
	memset(cfg, 0, sizeof(*cfg));
}

void config_merge(const struct config *cfg, struct run_opts *o)
{
	if (!o->n_rules)
		for (size_t i = 0; i < cfg->n_rules; i++)
			o->rules[o->n_rules++] = cfg->rules[i];
	if (!o->n_outputs)
		for (size_t i = 0; i < cfg->n_outputs; i++)
			o->outputs[o->n_outputs++] = cfg->outputs[i];
	if (!o->agent.host)
		o->agent.host = cfg->host;
	if (o->format == CONFIG_FORMAT_UNSET)
		o->format = cfg->format;
}
