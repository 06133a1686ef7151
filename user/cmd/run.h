/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.h - `custos run`: the agent in the foreground until SIGINT or SIGTERM
 * (SIGHUP reloads the rules, SIGUSR1 logs the sinks' counters).
 *
 * Three steps: the command line is parsed into struct run_opts, the
 * --config file fills what it left unset (config_merge, config.h), and the
 * agent runs (agent_init, agent_run).  Exit status 0 after a clean stop, 1
 * when the agent cannot start or fails, 2 on a usage or configuration error.
 */
#ifndef CUSTOS_CMD_RUN_H
#define CUSTOS_CMD_RUN_H

#include <stddef.h>

#include "agent/agent.h"
#include "base/log.h"
#include "cmd/config.h"

/* Without --rules (or rules: in the configuration): this when it exists. */
#define RUN_ETC_RULES_DIR "/etc/custos/rules.d"
#define RUN_MAX_LIST CONFIG_MAX_LIST	/* --rules, --output: the file's lists fit */

struct run_opts {
	struct agent_opts agent;	/* rule_paths and outputs: the lists below */
	const char *rules[RUN_MAX_LIST];
	size_t n_rules;
	const char *outputs[RUN_MAX_LIST];
	size_t n_outputs;
	const char *dns_servers[RUN_MAX_LIST];	/* --dns-server */
	size_t n_dns_servers;
	const char *config_path;	/* --config; NULL: none */
	enum config_format format;	/* --format; unset: the file's, else json */
	enum log_level level;
	int no_pin;			/* --no-pin: nothing outlives the agent */
};

/* argv[0] is "run" */
int cmd_run(int argc, char **argv);

#endif
