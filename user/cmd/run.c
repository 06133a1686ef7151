/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.c - `custos run` (run.h): parse, merge the configuration, run.
 */
#include "cmd/run.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/notify.h"
#include "base/size.h"
#include "cmd/cmd.h"
#include "cmd/help.h"
#include "kernel/probe.h"
#include "rules/io.h"

#ifndef CUSTOS_DATADIR
#define CUSTOS_DATADIR "/usr/share/custos"
#endif

enum {
	RUN_RING_BYTES = 8u << 20,	/* --ring-size default */
	RUN_RING_MIN = 4096,
	RUN_RING_MAX = 1u << 30,
	RUN_WAKEUP_BYTES = 256u << 10,	/* records waiting before a wakeup */
	RUN_POLL_MS = 10,		/* --poll-ms default */
	RUN_POLL_MS_MAX = 1000,
	RUN_DNS_TABLE = 8192,		/* --dns-table default: bindings kept */
	RUN_DNS_TABLE_MAX = 1u << 20,
	RUN_DNS_GRACE_S = 30,		/* --dns-grace default */
	RUN_DNS_GRACE_MAX = 3600,
	RUN_CHECKPOINT_S = 60,		/* --checkpoint-every default */
	RUN_CHECKPOINT_S_MAX = 86400,
	RUN_RATE_LIMIT = 2000,		/* --rate-limit: records/s per process */
	RUN_RATE_LIMIT_MAX = 10000000,
	RUN_COALESCE_MS = 250,		/* --coalesce-ms: the repeat window */
	RUN_COALESCE_MS_MAX = 10000,
	RUN_RESERVE_PCT = 25,		/* --ring-reserve: percent kept for exec and refusals */
	RUN_RESERVE_PCT_MAX = 90,
};

/* seq, the chain and the run's id continue from here (--state-dir) */
#define RUN_STATE_DIR "/var/lib/custos"

enum run_parsed {
	RUN_PARSED,		/* go on and run */
	RUN_PARSED_HELP,	/* --help was printed */
	RUN_PARSE_FAILED,	/* the reason was printed */
};

/* The one process-wide state of the command: a signal handler can reach
 * nothing else.  The agent's loop reads the flags. */
static struct agent_signals signals;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		signals.reload = 1;
	else if (sig == SIGUSR1)
		signals.status = 1;
	else
		signals.stop = 1;
}

static void log_to_stderr(enum log_level level, const char *msg, void *ctx)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };

	fprintf(stderr, "custos: %s%s\n", prefix[level], msg);
}

/* The shipped rules: next to the binary in a source tree, else the data dir. */
static const char *default_rules(char *buf, size_t size)
{
	char exe[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (stat(RUN_ETC_RULES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return RUN_ETC_RULES_DIR;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(buf, size, "%s/../rules", exe) < (int)size &&
			    stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
				return buf;
		}
	}
	return CUSTOS_DATADIR "/rules";
}

static int parse_log_level(const char *s, enum log_level *out)
{
	static const char *const names[] = {
		[LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* --ring-size: a size (base/size.h), a power of two from 4 KiB to 1 GiB */
static int parse_ring_size(const char *s, uint32_t *out)
{
	uint64_t v;

	if (size_parse(s, RUN_RING_MAX, &v) || v < RUN_RING_MIN || (v & (v - 1)))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* A whole number from 0 to max (no sign, no suffix): 0, or -EINVAL. */
static int parse_uint(const char *s, unsigned long max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* --rate-limit, --coalesce-ms, --ring-reserve: 0, or -EINVAL after saying why */
static int parse_flow_option(int c, const char *arg, struct agent_opts *ao)
{
	static const struct { int c; const char *name; unsigned long max; } opts[] = {
		{ 'R', "rate-limit", RUN_RATE_LIMIT_MAX },
		{ 'W', "coalesce-ms", RUN_COALESCE_MS_MAX },
		{ 'V', "ring-reserve", RUN_RESERVE_PCT_MAX },
	};
	uint32_t *dst[] = { &ao->rate_limit, &ao->repeat_ms, &ao->reserve_pct };

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (opts[i].c != c)
			continue;
		if (!parse_uint(arg, opts[i].max, dst[i]))
			return 0;
		fprintf(stderr, "custos: --%s %s: expected 0 (off) to %lu\n", opts[i].name, arg,
			opts[i].max);
		return -EINVAL;
	}
	return -EINVAL;
}

/* --rules and --output, repeatable */
static int add_path(const char **list, size_t *n, const char *path, const char *option)
{
	if (*n == RUN_MAX_LIST) {
		fprintf(stderr, "custos: at most %d --%s options\n", RUN_MAX_LIST, option);
		return -E2BIG;
	}
	list[(*n)++] = path;
	return 0;
}

/* One option with its value; 0, or -EINVAL after saying why. */
static int parse_option(int c, const char *arg, struct run_opts *o)
{
	struct agent_opts *ao = &o->agent;
	uint32_t v;

	switch (c) {
	case 'r':
		return add_path(o->rules, &o->n_rules, arg, "rules");
	case 'o':
		return add_path(o->outputs, &o->n_outputs, arg, "output");
	case 'c':
		o->config_path = arg;
		return 0;
	case 'H':
		ao->host = arg;
		return 0;
	case 'S':
		ao->status_socket = arg;
		return 0;
	case 'M':
		ao->metrics_file = arg;
		return 0;
	case 'b':
		if (!backend_parse(arg, &ao->backend))
			return 0;
		fprintf(stderr, "custos: --backend %s: expected auto, lsm, fentry, "
			"tracepoint or raw\n", arg);
		return -EINVAL;
	case 'f':
		if (!strcmp(arg, "json") || !strcmp(arg, "ocsf")) {
			o->format = strcmp(arg, "ocsf") ? CONFIG_FORMAT_JSON : CONFIG_FORMAT_OCSF;
			return 0;
		}
		fprintf(stderr, "custos: --format %s: expected json or ocsf\n", arg);
		return -EINVAL;
	case 's':
		if (!parse_ring_size(arg, &ao->ring_bytes))
			return 0;
		fprintf(stderr, "custos: --ring-size %s: expected a power of two "
			"between 4096 and 1G, e.g. 16M\n", arg);
		return -EINVAL;
	case 'd':
		return add_path(o->dns_servers, &o->n_dns_servers, arg, "dns-server");
	case 'T':
		if (!parse_uint(arg, RUN_DNS_TABLE_MAX, &ao->dns_table) && ao->dns_table >= 64)
			return 0;
		fprintf(stderr, "custos: --dns-table %s: expected 64 to %u bindings\n", arg,
			RUN_DNS_TABLE_MAX);
		return -EINVAL;
	case 'n':
		if (strcmp(arg, "auto") == 0 || strcmp(arg, "always") == 0) {
			ao->dns_always = strcmp(arg, "always") == 0;
			return 0;
		}
		fprintf(stderr, "custos: --dns-names %s: expected auto (read DNS answers while a "
			"rule names a destination) or always\n", arg);
		return -EINVAL;
	case 'G':
		if (!parse_uint(arg, RUN_DNS_GRACE_MAX, &ao->dns_grace_s))
			return 0;
		fprintf(stderr, "custos: --dns-grace %s: expected 0 to %u seconds\n", arg,
			RUN_DNS_GRACE_MAX);
		return -EINVAL;
	case 'p':
		ao->poll_ms = atoi(arg);
		if (ao->poll_ms >= 1 && ao->poll_ms <= RUN_POLL_MS_MAX)
			return 0;
		fprintf(stderr, "custos: --poll-ms %s: expected 1 to 1000\n", arg);
		return -EINVAL;
	case 'D':
		ao->state_dir = arg;
		return 0;
	case 'P':
		ao->pin_dir = arg;
		return 0;
	case 'N':
		o->no_pin = 1;
		return 0;
	case 'K':
		ao->chain_key = arg;
		return 0;
	case 'R':
	case 'W':
	case 'V':
		return parse_flow_option(c, arg, ao);
	case 'C':
		if (!parse_uint(arg, RUN_CHECKPOINT_S_MAX, &v)) {
			ao->checkpoint_s = (int)v;
			return 0;
		}
		fprintf(stderr, "custos: --checkpoint-every %s: expected seconds, 0 (none) to "
			"86400\n", arg);
		return -EINVAL;
	case 'l':
		if (!parse_log_level(arg, &o->level))
			return 0;
		fprintf(stderr, "custos: --log-level %s: expected error, warn, info "
			"or debug\n", arg);
		return -EINVAL;
	}
	return -EINVAL;
}

static enum run_parsed run_parse(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "host", required_argument, NULL, 'H' },
		{ "format", required_argument, NULL, 'f' },
		{ "ring-size", required_argument, NULL, 's' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "status-socket", required_argument, NULL, 'S' },
		{ "metrics-file", required_argument, NULL, 'M' },
		{ "dns-server", required_argument, NULL, 'd' },
		{ "dns-table", required_argument, NULL, 'T' },
		{ "dns-grace", required_argument, NULL, 'G' },
		{ "dns-names", required_argument, NULL, 'n' },
		{ "state-dir", required_argument, NULL, 'D' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "no-pin", no_argument, NULL, 'N' },
		{ "chain-key", required_argument, NULL, 'K' },
		{ "checkpoint-every", required_argument, NULL, 'C' },
		{ "rate-limit", required_argument, NULL, 'R' },
		{ "coalesce-ms", required_argument, NULL, 'W' },
		{ "ring-reserve", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "r:o:c:h", opts, NULL)) != -1) {
		if (c == 'h') {
			help_usage(stdout);
			return RUN_PARSED_HELP;
		}
		if (c == '?') {
			help_usage(stderr);
			return RUN_PARSE_FAILED;
		}
		if (parse_option(c, optarg, o))
			return RUN_PARSE_FAILED;
	}
	if (optind < argc) {
		fprintf(stderr, "custos: run: unexpected argument '%s'\n", argv[optind]);
		return RUN_PARSE_FAILED;
	}
	return RUN_PARSED;
}

/* --config: a file only root (or this user) can change, merged under argv */
static int merge_config(struct run_opts *o, struct config *cfg)
{
	char err[1024] = "";

	if (trusted_path_check(o->config_path, err, sizeof(err))) {
		fprintf(stderr, "custos: %s\n", err);
		return -EPERM;
	}
	if (config_load(o->config_path, cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -EINVAL;
	}
	config_merge(cfg, o);
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * agent_init -> ready -> agent_run until a stop signal; the exit status.
 * A reload the agent hands over (pinned programs: agent_run) starts a new
 * agent here, in the same process, as a restart would.
 */
static int run_agent(const struct agent_opts *ao)
{
	struct agent_opts opts = *ao;
	char err[1024] = "";
	struct agent *a;
	int rc, again;

	a = calloc(1, sizeof(*a));
	if (!a) {
		fprintf(stderr, "custos: out of memory\n");
		return CMD_EXIT_FAIL;
	}
	do {
		rc = agent_init(a, &opts, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "custos: error: %s%s\n", err, opts.handed_over ?
				" (on a reload: the pinned programs go on enforcing the "
				"previous rules)" : "");
			agent_free(a);
			free(a);
			return CMD_EXIT_FAIL;
		}
		fprintf(stderr, "custos: ready\n");
		notify_service("READY=1");
		rc = agent_run(a, &signals);
		again = !rc && a->handover && !signals.stop;
		opts.handed_over = again;
		opts.reloads_ok = a->counters.reloads_ok;
		opts.reloads_failed = a->counters.reloads_failed;
		if (!again)
			notify_service("STOPPING=1");
		agent_free(a);
	} while (again);
	free(a);
	return rc ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {
		.agent = {
			.ring_bytes = RUN_RING_BYTES,
			.wakeup_bytes = RUN_WAKEUP_BYTES,
			.poll_ms = RUN_POLL_MS,
			.dns_table = RUN_DNS_TABLE,
			.dns_grace_s = RUN_DNS_GRACE_S,
			.checkpoint_s = RUN_CHECKPOINT_S,
			.rate_limit = RUN_RATE_LIMIT,
			.repeat_ms = RUN_COALESCE_MS,
			.reserve_pct = RUN_RESERVE_PCT,
		},
		.level = LOG_INFO,
	};
	struct config cfg = { 0 };
	char rules_buf[PATH_MAX], err[1024] = "";
	int status;

	switch (run_parse(argc, argv, &o)) {
	case RUN_PARSED:
		break;
	case RUN_PARSED_HELP:
		return CMD_EXIT_OK;
	case RUN_PARSE_FAILED:
		return CMD_EXIT_USAGE;
	}
	if (o.config_path && merge_config(&o, &cfg))
		return CMD_EXIT_USAGE;
	o.agent.ocsf = o.format == CONFIG_FORMAT_OCSF;
	if (!o.agent.state_dir)
		o.agent.state_dir = RUN_STATE_DIR;
	if (o.no_pin)
		o.agent.pin_dir = NULL;
	else if (!o.agent.pin_dir) {
		o.agent.pin_dir = PIN_DIR_DEFAULT;
		o.agent.pin_optional = 1;
	}
	log_set(log_to_stderr, NULL, o.level);
	if (probe_preconditions(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		config_free(&cfg);
		return CMD_EXIT_FAIL;
	}
	if (o.n_rules == 0)
		o.rules[o.n_rules++] = default_rules(rules_buf, sizeof(rules_buf));
	o.agent.rule_paths = o.rules;
	o.agent.n_rule_paths = o.n_rules;
	o.agent.outputs = o.outputs;
	o.agent.n_outputs = o.n_outputs;
	o.agent.dns_servers = o.dns_servers;
	o.agent.n_dns_servers = o.n_dns_servers;
	install_signals();
	status = run_agent(&o.agent);
	config_free(&cfg);
	return status;
}
