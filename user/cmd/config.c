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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/sbuf.h"
#include "sinks/sink.h"

#define SPOOL_DIR_DEFAULT "/var/lib/custos/spool"

struct cctx {
	const char *path;
	yaml_document_t *doc;
	struct config *cfg;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail_at(struct cctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%zu:%zu: error: %s", c->path,
		 n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1, msg);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *node(struct cctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static int need_scalar(struct cctx *c, yaml_node_t *n, const char *what, const char **out)
{
	*out = scalar(n);
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
	const char *s = scalar(n);

	if (s)
		return add_str(c, n, c->cfg->rules, &c->cfg->n_rules, s, "rule paths");
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n, "rules must be a path or a list of paths");
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = node(c, *it);

		if (!scalar(item) || !*scalar(item))
			return fail_at(c, item, "a rule path must be a string");
		if (add_str(c, item, c->cfg->rules, &c->cfg->n_rules, scalar(item), "rule paths"))
			return -EINVAL;
	}
	return 0;
}

static int parse_spool(struct cctx *c, yaml_node_t *n)
{
	if (scalar(n) && !strcmp(scalar(n), "none")) {
		free(c->cfg->spool_dir);
		c->cfg->spool_dir = NULL;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(c, n, "spool must be 'none' or a mapping with dir and max");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = scalar(k), *val;

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
	int rc = sink_open(spec, &s, serr, sizeof(serr));

	if (rc)
		return fail_at(c, n, "%s", serr[0] ? serr : strerror(-rc));
	sink_close(s);
	return 0;
}

static int parse_output(struct cctx *c, yaml_node_t *n)
{
	struct sbuf spec = { 0 };
	const char *kind = NULL, *val;
	int has_spool = 0, rc;
	yaml_node_t *first;

	if (scalar(n)) {
		rc = check_spec(c, n, scalar(n));
		return rc ? rc : add_str(c, n, c->cfg->outputs, &c->cfg->n_outputs, scalar(n),
					 "outputs");
	}
	if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.start == n->data.mapping.pairs.top)
		return fail_at(c, n, "an output is a SPEC string or a mapping "
			       "(jsonl: PATH or forward: HOST:PORT, then options)");
	first = node(c, n->data.mapping.pairs.start->key);
	kind = scalar(first);
	if (!kind || (strcmp(kind, "jsonl") && strcmp(kind, "forward")))
		return fail_at(c, first, "an output mapping starts with jsonl: PATH or "
			       "forward: HOST:PORT");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = scalar(k);

		if (!key)
			return fail_at(c, k, "output keys must be strings");
		if (p == n->data.mapping.pairs.start) {
			val = scalar(v);
			if (!val || !*val) {
				sbuf_free(&spec);
				return fail_at(c, v, "%s needs a %s", kind,
					       strcmp(kind, "jsonl") ? "HOST:PORT" : "path");
			}
			sbuf_addf(&spec, "%s:%s", kind, val);
			continue;
		}
		if (p != n->data.mapping.pairs.start && (!strcmp(key, "jsonl") || !strcmp(key, "forward"))) {
			sbuf_free(&spec);
			return fail_at(c, k, "one output per list item");
		}
		if (!strcmp(kind, "jsonl") && strcmp(key, "max-size") && strcmp(key, "keep")) {
			sbuf_free(&spec);
			return fail_at(c, k, "unknown jsonl option '%s' (expected max-size or keep)",
				       key);
		}
		if (need_scalar(c, v, key, &val)) {
			sbuf_free(&spec);
			return -EINVAL;
		}
		if (!strcmp(key, "spool"))
			has_spool = 1;
		sbuf_addf(&spec, ",%s=%s", key, val);
	}
	if (!strcmp(kind, "forward") && !has_spool && c->cfg->spool_dir) {
		/* each forward output its own directory under spool.dir */
		const char *addr = scalar(node(c, n->data.mapping.pairs.start->value));

		sbuf_addf(&spec, ",spool=%s/", c->cfg->spool_dir);
		for (const char *a = addr; *a; a++)
			sbuf_addc(&spec, (*a == ':' || *a == '/' || *a == '[' || *a == ']') ? '_' : *a);
	}
	if (!strcmp(kind, "forward") && c->cfg->spool_dir && c->cfg->spool_max)
		sbuf_addf(&spec, ",spool-max=%s", c->cfg->spool_max);
	if (sbuf_err(&spec)) {
		sbuf_free(&spec);
		return -ENOMEM;
	}
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
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = scalar(k), *val;

		if (!key)
			return fail_at(c, k, "keys must be strings");
		if (!strcmp(key, "custos")) {
			if (!scalar(v) || strcmp(scalar(v), "1"))
				return fail_at(c, v, "custos: must be 1 (this configuration version)");
		} else if (!strcmp(key, "host")) {
			if (need_scalar(c, v, "host", &val))
				return -EINVAL;
			free(c->cfg->host);
			c->cfg->host = strdup(val);
		} else if (!strcmp(key, "format")) {
			if (!scalar(v) || (strcmp(scalar(v), "json") && strcmp(scalar(v), "ocsf")))
				return fail_at(c, v, "format must be json or ocsf");
			c->cfg->format = strcmp(scalar(v), "ocsf") ? 1 : 2;
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
		if (parse_output(c, node(c, *it)))
			return -EINVAL;
	return 0;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct cctx c = { .path = path, .cfg = cfg, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->spool_dir = strdup(SPOOL_DIR_DEFAULT);
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: error: cannot open it: %s", path, strerror(-rc));
		return rc;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: error: %s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "not valid YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		config_free(cfg);
		return -EINVAL;
	}
	c.doc = &doc;
	rc = parse_root(&c, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc)
		config_free(cfg);
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
