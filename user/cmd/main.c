/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the `custos` command line (../docs/CLI in README, contract in
 * shared spec cli-v1.md).  The only file that parses argv, installs signal
 * handlers, prints to the terminal and exits.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "base/size.h"
#include "cmd/events.h"
#include "cmd/rules_explain.h"
#include "cmd/rules_test.h"
#include "cmd/config.h"
#include "filters/filters.h"
#include "base/log.h"
#include "base/notify.h"
#include "kernel/loader.h"
#include "kernel/probe.h"
#include "rules/rules.h"
#include "rules/io.h"
#include "base/sbuf.h"
#include "agent/status.h"

#ifndef CUSTOS_DATADIR
#define CUSTOS_DATADIR "/usr/share/custos"
#endif
#define ETC_RULES_DIR "/etc/custos/rules.d"
#define MAX_LIST 64

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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: custos run [--rules PATH]... [--output SPEC]... [--config FILE]\n"
		"                  [--backend auto|lsm|fentry|tracepoint|raw] [--host NAME]\n"
		"                  [--format json|ocsf]\n"
		"                  [--ring-size BYTES] [--poll-ms MS] [--log-level LEVEL]\n"
		"                  [--status-socket PATH|none] [--metrics-file PATH]\n"
		"       custos status [--json|--metrics] [--socket PATH]\n"
		"       custos rules check PATH...\n"
		"       custos rules test PATH...      (rule files and case files)\n"
		"       custos rules explain PATH... RECORD.json   (- reads stdin)\n"
		"       custos events [OPTIONS] [FILE...]   (--help for the filters)\n"
		"       custos version [--probe]\n"
		"\n"
		"PATH is a rule file or a directory of *.yaml files.  Without --rules, run uses\n"
		ETC_RULES_DIR " when it exists, else the rules/ shipped with custos.\n"
		"SPEC is stdout (default), jsonl:PATH or forward:HOST:PORT (options: docs/CONFIG.md).\n"
		"--config FILE: YAML with host, rules, spool and outputs; --rules, --output and\n"
		"--host given on the command line replace the file's.\n");
}

/* The shipped rules: next to the binary in a source tree, else the data dir. */
static const char *default_rules(char *buf, size_t size)
{
	char exe[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (stat(ETC_RULES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return ETC_RULES_DIR;
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
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++) {
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

	if (size_parse(s, 1ull << 30, &v) || v < 4096 || (v & (v - 1)))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int cmd_run(int argc, char **argv)
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *rules[MAX_LIST], *outputs[MAX_LIST];
	struct agent_opts ao = {
		.ring_bytes = 8u << 20,
		.wakeup_bytes = 256u << 10,
		.poll_ms = 10,
	};
	enum log_level level = LOG_INFO;
	char rules_buf[PATH_MAX], err[1024] = "";
	struct sigaction sa;
	struct agent *a;
	size_t nr = 0, no = 0;
	int c, rc;
	const char *config_path = NULL;
	int format_set = 0;
	struct config cfg = { 0 };

	while ((c = getopt_long(argc, argv, "r:o:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'o':
			if ((c == 'r' ? nr : no) == MAX_LIST) {
				fprintf(stderr, "custos: at most %d --%s options\n", MAX_LIST,
					c == 'r' ? "rules" : "output");
				return 2;
			}
			if (c == 'r')
				rules[nr++] = optarg;
			else
				outputs[no++] = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'b':
			if (backend_parse(optarg, &ao.backend)) {
				fprintf(stderr, "custos: --backend %s: expected auto, lsm, fentry, "
					"tracepoint or raw\n", optarg);
				return 2;
			}
			break;
		case 'H':
			ao.host = optarg;
			break;
		case 'S':
			ao.status_socket = optarg;
			break;
		case 'M':
			ao.metrics_file = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "ocsf")) {
				fprintf(stderr, "custos: --format %s: expected json or ocsf\n", optarg);
				return 2;
			}
			ao.ocsf = !strcmp(optarg, "ocsf");
			format_set = 1;
			break;
		case 's':
			if (parse_ring_size(optarg, &ao.ring_bytes)) {
				fprintf(stderr, "custos: --ring-size %s: expected a power of two "
					"between 4096 and 1G, e.g. 16M\n", optarg);
				return 2;
			}
			break;
		case 'p':
			ao.poll_ms = atoi(optarg);
			if (ao.poll_ms < 1 || ao.poll_ms > 1000) {
				fprintf(stderr, "custos: --poll-ms %s: expected 1 to 1000\n", optarg);
				return 2;
			}
			break;
		case 'l':
			if (parse_log_level(optarg, &level)) {
				fprintf(stderr, "custos: --log-level %s: expected error, warn, info "
					"or debug\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "custos: run: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	/* the command line wins: --rules / --output replace the file's lists */
	if (config_path) {
		if (trusted_path_check(config_path, err, sizeof(err))) {
			fprintf(stderr, "custos: %s\n", err);
			return 2;
		}
		if (config_load(config_path, &cfg, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		if (!nr)
			for (size_t i = 0; i < cfg.n_rules; i++)
				rules[nr++] = cfg.rules[i];
		if (!no)
			for (size_t i = 0; i < cfg.n_outputs; i++)
				outputs[no++] = cfg.outputs[i];
		if (!ao.host)
			ao.host = cfg.host;
		if (!format_set && cfg.format)
			ao.ocsf = cfg.format == 2;
	}
	log_set(log_to_stderr, NULL, level);
	if (probe_preconditions(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (nr == 0)
		rules[nr++] = default_rules(rules_buf, sizeof(rules_buf));
	ao.rule_paths = rules;
	ao.n_rule_paths = nr;
	ao.outputs = outputs;
	ao.n_outputs = no;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	a = calloc(1, sizeof(*a));
	if (!a) {
		fprintf(stderr, "custos: out of memory\n");
		return 1;
	}
	rc = agent_init(a, &ao, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "custos: error: %s\n", err);
		agent_free(a);
		free(a);
		return 1;
	}
	fprintf(stderr, "custos: ready\n");
	notify_service("READY=1");
	rc = agent_run(a, &signals);
	notify_service("STOPPING=1");
	agent_free(a);
	free(a);
	config_free(&cfg);
	return rc ? 1 : 0;
}

static int cmd_rules_check(int argc, char **argv)
{
	struct rule_diags diags = { 0 };
	struct rule_set *set = NULL;
	char err[1024] = "";
	int rc;

	if (argc < 1) {
		fprintf(stderr, "usage: custos rules check PATH...\n");
		return 2;
	}
	rc = rules_load_paths((const char *const *)argv, (size_t)argc, 0, &set, &diags,
			      err, sizeof(err));
	if (rc == 0 && filters_check(set, &diags)) {
		rule_set_free(set);
		set = NULL;
		rc = -EINVAL;
	}
	if (rc == 0) {
		printf("ok: %zu rules, policy %s\n", set->n_rules, set->digest);
		rule_set_free(set);
		return 0;
	}
	if (rc == -EINVAL && diags.n) {
		for (size_t i = 0; i < diags.n; i++) {
			char line[2048];

			rule_diag_format(&diags.v[i], line, sizeof(line));
			printf("%s\n", line);
		}
	} else {
		printf("%s\n", err);
	}
	rule_diags_free(&diags);
	return 1;
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "metrics", no_argument, NULL, 'm' },
		{ "socket", required_argument, NULL, 's' },
		{ 0 },
	};
	enum status_format fmt = STATUS_TEXT;
	const char *path = STATUS_SOCKET_DEFAULT;
	struct sbuf out = SBUF_INIT;
	char err[512] = "";
	int c, rc;

	while ((c = getopt_long(argc, argv, "jms:", opts, NULL)) != -1) {
		if (c == 'j')
			fmt = STATUS_JSON;
		else if (c == 'm')
			fmt = STATUS_METRICS;
		else if (c == 's')
			path = optarg;
		else {
			fprintf(stderr, "usage: custos status [--json|--metrics] [--socket PATH]\n");
			return 2;
		}
	}
	rc = status_query(path, fmt, &out, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "custos: %s\n", err[0] ? err : strerror(-rc));
		sbuf_free(&out);
		return 1;
	}
	fwrite(out.p, 1, out.len, stdout);
	sbuf_free(&out);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	printf("custos %s (%s)\n", CUSTOS_VERSION, CUSTOS_GITREV);
	if (argc > 1 && strcmp(argv[1], "--probe") == 0) {
		struct probe p;
		char desc[1024];

		probe_run(&p);
		probe_describe(&p, desc, sizeof(desc));
		printf("kernel: %s\n", desc);
		if (!p.have_ringbuf) {
			printf("backends: none (no BPF ring buffer: custos needs 5.8 or later)\n");
		} else {
			char plan[2048];

			/* what each backend would attach here; the agent's start log
			 * ("agent: backend X; hooks: ...") says what it did attach */
			if (loader_plan(&p, plan, sizeof(plan)) == 0)
				printf("%s\n", plan);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "rules") == 0 && argc > 2 && strcmp(argv[2], "check") == 0)
		return cmd_rules_check(argc - 3, argv + 3);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "rules") == 0 && argc > 2 && strcmp(argv[2], "test") == 0)
		return cmd_rules_test(argc - 3, argv + 3);
	if (strcmp(argv[1], "rules") == 0 && argc > 2 && strcmp(argv[2], "explain") == 0)
		return cmd_rules_explain(argc - 3, argv + 3);
	if (strcmp(argv[1], "events") == 0)
		return cmd_events(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "custos: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
