/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - the `--config FILE` YAML file: host name, rule paths, outputs
 * and the spool, documented key by key in docs/CONFIG.md.
 *
 * config_load() reads the file with libyaml and turns each output into the
 * same SPEC string `--output` takes, so the sinks have one parser.  Every
 * problem is reported as "FILE:LINE:COL: error: MESSAGE" in err (the first
 * one); an output's option values are checked by opening it once.  The
 * module does not print.
 */
#ifndef CUSTOS_CONFIG_H
#define CUSTOS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_LIST 64

struct config {
	char *host;			/* NULL: not set */
	int format;			/* 0 not set, 1 json, 2 ocsf */
	char *rules[CONFIG_MAX_LIST];
	size_t n_rules;
	char *outputs[CONFIG_MAX_LIST];	/* SPEC strings */
	size_t n_outputs;
	char *spool_dir;		/* for forward outputs; NULL: no spool */
	char *spool_max;		/* as written, e.g. "256M" */
};

int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
void config_free(struct config *cfg);

#endif
