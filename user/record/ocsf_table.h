/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocsf_table.h - the OCSF mapping as data (shared by record/ocsf*.c only):
 * rows of OCSF paths, the record kinds they apply to, and how each value is
 * rendered; ocsf_table_render() turns rows in order into nested JSON
 * objects.  A path's segments are objects, its last one the attribute;
 * "name[]" is a one-element array.  Rows with the same prefix must be
 * adjacent (an object is opened once).  ocsf.c has the record's rows,
 * ocsf_process.c the process object's.
 */
#ifndef CUSTOS_OCSF_TABLE_H
#define CUSTOS_OCSF_TABLE_H

#include <stdint.h>

#include "base/sbuf.h"
#include "record/json.h"

enum {
	OCSF_FILE_TYPE_REGULAR = 1,	/* file.type_id */
};

/* which record kinds a row applies to */
enum {
	K_FILE = 1u << CEV_FILE,
	K_CONNECT = 1u << CEV_CONNECT,
	K_EXEC = 1u << CEV_EXEC,
	K_LOSS = 1u << CEV_LOSS,
	K_RULE = K_FILE | K_CONNECT | K_EXEC,
	K_ALL = K_RULE | K_LOSS,
};

/* A process as OCSF shows it: the acting one, the launcher, or a parent. */
struct ocsf_proc {
	uint32_t pid, tid;		/* tid 0: not shown */
	const char *comm;		/* NULL: not shown */
	const struct cev_str *exe;	/* NULL or empty: no file object */
	const struct cev_args *args;	/* NULL: no cmd_line */
	int has_user;
	uint32_t uid;
	const char *user;		/* NULL: no name */
	const char *cgroup, *container_id;
	const struct cev_event *parent_of;	/* set: parent_process and lineage from it */
};

/* What the value functions read. */
struct ocsf_src {
	const struct cev_event *ev;
	const struct json_rule *rule;	/* NULL for loss */
	const struct json_meta *meta;
	const struct ocsf_proc *proc;	/* in a process table */
	int blocked;			/* the kernel refused the call */
};

/* Appends one JSON value to o and returns 1, or returns 0: no such attribute. */
typedef int (*ocsf_value_fn)(struct sbuf *o, const struct ocsf_src *s);
/* The process a sub-table describes, filled into *p; 0 when there is none. */
typedef int (*ocsf_view_fn)(const struct ocsf_src *s, struct ocsf_proc *p);

struct ocsf_attr {
	const char *path;
	unsigned kinds;
	ocsf_value_fn value;
	const char *str;		/* instead of value: a constant string, */
	long long num;			/* or a constant number (has_num) */
	int has_num;
	const struct ocsf_attr *sub;	/* instead of value: a table under path */
	ocsf_view_fn view;		/* with sub: the process it describes */
};

/* a row with a value, a row with a table (and the process it describes) */
#define LEAF(p, k, fn) { .path = (p), .kinds = (k), .value = (fn) }
#define CSTR(p, k, s) { .path = (p), .kinds = (k), .str = (s) }
#define CNUM(p, k, n) { .path = (p), .kinds = (k), .num = (n), .has_num = 1 }
#define SUB(p, k, table, v) { .path = (p), .kinds = (k), .sub = (table), .view = (v) }

/* Appends src's attributes of table t to out, inside the object the caller
 * opened: 0, -ENOMEM, or -EINVAL for a path too long or too deep. */
int ocsf_table_render(struct sbuf *out, const struct ocsf_attr *t, const struct ocsf_src *s);

/* Value helpers: a number, a C string (none when NULL), a path's basename. */
int ocsf_v_int(struct sbuf *o, long long v);
int ocsf_v_cstr(struct sbuf *o, const char *s);
void ocsf_base_name(struct sbuf *o, const struct cev_str *path);

/* ocsf_process.c: a process object, and the views it is rendered from */
extern const struct ocsf_attr ocsf_process_attrs[], ocsf_parent_attrs[];
int ocsf_view_self(const struct ocsf_src *s, struct ocsf_proc *p);
int ocsf_view_launcher(const struct ocsf_src *s, struct ocsf_proc *p);

#endif
