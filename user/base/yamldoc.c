/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yamldoc.c - a YAML file as a libyaml document (yamldoc.h).
 */
#include "base/yamldoc.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define YAMLDOC_MSG_MAX 768

int yamldoc_read(struct yamldoc *d, FILE *f, const char *path, char *err, size_t errlen)
{
	yaml_parser_t parser;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	d->path = path;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &d->doc)) {
		rc = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		snprintf(err, errlen, "%s:%zu:%zu: error: %s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "not valid YAML");
		memset(&d->doc, 0, sizeof(d->doc));
	}
	yaml_parser_delete(&parser);
	return rc;
}

void yamldoc_free(struct yamldoc *d)
{
	yaml_document_delete(&d->doc);
	memset(&d->doc, 0, sizeof(d->doc));
}

yaml_node_t *yamldoc_root(struct yamldoc *d)
{
	return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *yamldoc_node(struct yamldoc *d, int id)
{
	return yaml_document_get_node(&d->doc, id);
}

const char *yamldoc_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yamldoc_scalar_is(const yaml_node_t *n, const char *s)
{
	return n && n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.length == strlen(s) &&
	       memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

yaml_node_t *yamldoc_get(struct yamldoc *d, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (yamldoc_scalar_is(yamldoc_node(d, p->key), key))
			return yamldoc_node(d, p->value);
	return NULL;
}

int yamldoc_fail(const struct yamldoc *d, const yaml_node_t *n, char *err, size_t errlen,
		 const char *fmt, ...)
{
	char msg[YAMLDOC_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%zu:%zu: error: %s", d->path,
		 n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1, msg);
	return -EINVAL;
}
