/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - the `--config FILE` YAML file: host name, rule paths, outputs
 * and the spool, documented key by key in docs/CONFIG.md.
 *
 * config_load() reads the file with libyaml and turns each output into the
 * same SPEC string `--output` takes, so the sinks have one parser.  Every
 * problem is reported as "FILE:LINE:COL: error: MESSAGE" in err (the first
 * one); an output's option values are checked by opening it once.
 * config_merge() fills in what the command line of `custos run` left unset.
 * The module does not print.
 */
#ifndef CUSTOS_CONFIG_H
#define CUSTOS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_LIST 64

/* The record format, `format:` here and `--format` on the command line. */
enum config_format {
	CONFIG_FORMAT_UNSET = 0,
	CONFIG_FORMAT_JSON = 1,
	CONFIG_FORMAT_OCSF = 2,
};

struct config {
	char *host;			/* NULL: not set */
	enum config_format format;
	char *rules[CONFIG_MAX_LIST];
	size_t n_rules;
	char *outputs[CONFIG_MAX_LIST];	/* SPEC strings */
	size_t n_outputs;
	char *spool_dir;		/* for forward outputs; NULL: no spool */
	char *spool_max;		/* as written, e.g. "256M" */
};

struct run_opts;

int config_load(const char *path, struct config *cfg, char *err, size_t errlen);

enum config_parse_flags {
	CONFIG_OUTPUTS_UNCHECKED = 1,	/* outputs are not opened to check them (fuzzing:
					 * no file created, no connection made) */
};
/* config_load on an open file f named path in errors. */
int config_parse(FILE *f, const char *path, unsigned flags, struct config *cfg, char *err,
		 size_t errlen);
void config_free(struct config *cfg);

/*
 * The command line wins: cfg's rule paths and outputs are taken only when o
 * has none, its host and format only when o leaves them unset.  o points
 * into cfg afterwards (free cfg after o is done with).
 */
void config_merge(const struct config *cfg, struct run_opts *o);

#endif
