/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.h - the file pre-filter: its compiler (pure: rules in, patterns out)
 * and the apply step that stat()s what they name and writes the maps.  The
 * map contract is in bpf/filter_maps.h.
 */
#ifndef CUSTOS_FILTER_FILE_H
#define CUSTOS_FILTER_FILE_H

#include <stddef.h>

#include "filters/filewatch.h"
#include "kernel/loader.h"
#include "rules/rules.h"

enum ff_fallback {
	FF_NONE = 0,	/* the last component narrows nothing */
	FF_NAME = 1,	/* exact basename */
	FF_SUFFIX = 2,	/* the basename ends with these bytes */
	FF_DIRNAME = 3,	/* some directory on the path has this name */
};

/* What one path glob of one rule compiles to. */
struct ff_pattern {
	const char *rule;	/* rule id (points into the rule set) */
	const char *glob;	/* the glob (points into the rule set) */
	char *dir;		/* literal directory prefix; NULL when it would be "/", or
				 * when fb is set and it lies more than one level above
				 * the file or the glob is a literal file (the name is
				 * then the narrower filter) */
	enum ff_fallback fb;	/* what to watch when dir (or all of it but "/") is missing */
	char *fb_str;		/* the name or suffix (at most FILE_SUFFIX_MAX bytes) */
};

struct filter_file {
	struct ff_pattern *pats;
	size_t n;
	int match_all;			/* some rule cannot be narrowed in the kernel */
	const char *match_all_rule;	/* the first such rule, and its glob (NULL: */
	const char *match_all_glob;	/* the rule has no path condition) */
	const char *block_rule;		/* the first rule with action: block (reports only) */
};

/*
 * Compiles every enabled `on: file` rule of rs.  A glob that can never match
 * an absolute path (it starts with a literal other than '/') yields nothing.
 * 0, or -ENOMEM (out is then freed).
 */
int filter_file_compile(const struct rule_set *rs, struct filter_file *out);
void filter_file_free(struct filter_file *f);
/*
 * Compiles rs, stat()s the watched directories, walks the files the rules
 * name into w (filters/filewatch.h; may be NULL) and writes the maps of l:
 * new entries first, then stale ones deleted, file_cfg last (no open is
 * missed in between).  l NULL or not loaded: only w's table.  0, or
 * -errno with err set.
 */
int filter_file_apply(struct loader *l, const struct rule_set *rs, struct filewatch *w, char *err,
		      size_t errlen);
/*
 * After attach: turns the pre-filter's directory verdict cache on where a
 * program keeps its rename generation (filter_maps.h), says so where none
 * does.  1 on, 0 off, -errno.
 */
int filter_file_dir_cache(struct loader *l);

#endif
