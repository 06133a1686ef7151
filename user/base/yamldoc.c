/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yamldoc.c - a YAML file as a libyaml document (yamldoc.h).
 */
#include "base/yamldoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum {
	YAMLDOC_MSG_MAX = 768,
	YAMLDOC_READ_CHUNK = 64 << 10,
};

static int fail_mark(const char *path, yaml_mark_t m, char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s:%zu:%zu: error: %s", path, m.line + 1, m.column + 1, msg);
	return -EINVAL;
}

/* f to its end into *buf; -EFBIG past YAMLDOC_MAX_BYTES. */
static int slurp(FILE *f, unsigned char **buf, size_t *len)
{
	size_t cap = 0, n = 0, got;
	unsigned char *p = NULL, *q;

	do {
		if (n + YAMLDOC_READ_CHUNK > cap) {
			cap = n + YAMLDOC_READ_CHUNK;
			q = realloc(p, cap);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (n > YAMLDOC_MAX_BYTES) {
			free(p);
			return -EFBIG;
		}
	} while (got);
	if (ferror(f)) {
		free(p);
		return -EIO;
	}
	*buf = p;
	*len = n;
	return 0;
}

/*
 * One pass over the events, before the document is built: refuses more
 * than YAMLDOC_MAX_NODES nodes, nesting deeper than YAMLDOC_MAX_DEPTH and
 * aliases (a document that nests a node
 * in itself many times over is how a few bytes become gigabytes), so the
 * loader never sees them.  0, or -EINVAL with err set.
 */
static int prescan(const unsigned char *buf, size_t len, const char *path, char *err,
		   size_t errlen)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, rc = 0, done = 0;
	size_t nodes = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, buf, len);
	while (!done && !rc) {
		if (!yaml_parser_parse(&parser, &ev))
			break;	/* the loader reports it, with its position */
		if ((ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
		     ev.type == YAML_MAPPING_START_EVENT) && ++nodes > YAMLDOC_MAX_NODES) {
			char msg[80];

			snprintf(msg, sizeof(msg), "more than %d values, lists and mappings",
				 YAMLDOC_MAX_NODES);
			rc = fail_mark(path, ev.start_mark, err, errlen, msg);
		} else if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > YAMLDOC_MAX_DEPTH) {
				char msg[64];

				snprintf(msg, sizeof(msg), "nesting deeper than %d levels",
					 YAMLDOC_MAX_DEPTH);
				rc = fail_mark(path, ev.start_mark, err, errlen, msg);
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (ev.type == YAML_ALIAS_EVENT) {
			rc = fail_mark(path, ev.start_mark, err, errlen,
				       "yaml aliases are not supported (write the value out)");
		} else if (ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_END_EVENT) {
			done = 1;	/* only the first document is read */
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

int yamldoc_read(struct yamldoc *d, FILE *f, const char *path, char *err, size_t errlen)
{
	yaml_parser_t parser;
	unsigned char *buf;
	size_t len;
	int rc;

	memset(d, 0, sizeof(*d));
	d->path = path;
	rc = slurp(f, &buf, &len);
	if (rc == -EFBIG)
		snprintf(err, errlen, "%s: error: larger than %d bytes", path, YAMLDOC_MAX_BYTES);
	else if (rc == -EIO)
		snprintf(err, errlen, "%s: error: cannot read it", path);
	if (rc)
		return rc == -ENOMEM ? rc : -EINVAL;
	rc = prescan(buf, len, path, err, errlen);
	if (rc || !yaml_parser_initialize(&parser)) {
		free(buf);
		return rc ? rc : -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &d->doc)) {
		rc = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		fail_mark(path, parser.problem_mark, err, errlen,
			  parser.problem ? parser.problem : "not valid YAML");
		memset(&d->doc, 0, sizeof(d->doc));
	}
	yaml_parser_delete(&parser);
	free(buf);
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
