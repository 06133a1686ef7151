/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_delivery.c - flood-proof delivery (bpf/delivery.h, user/agent/flow.c)
 * and loss reporting, with the real agent and real opens:
 *
 *   - two processes flood a harmless matching file while a third opens a
 *     secret 100 times: every secret open is recorded, and every flood
 *     open is a record, part of a repeat count, or a reported loss;
 *   - a process over its record limit: loss records name it while the
 *     flood still runs, and account for every open it made;
 *   - a ring the agent does not read: bulk records stop at the reserve,
 *     an exec still gets in, and the loss record names the flooder;
 *   - a dead forward output with a full queue: its loss is reported once
 *     to the other outputs, not forever;
 *   - loss.by.severity adds up to lost in every loss record of the kernel
 *     side: the file floods' records carry no rule the kernel named
 *     ("unknown"), a flood of flagged sends names its connect rule and its
 *     severity, exactly;
 *   - after an in-place reload, the loss counts of the earlier rule set are
 *     deleted once reported, so that loss_rules does not fill.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "delivery.h"
#include "harness.h"
#include "pinhelp.h"

enum {
	FLOOD_MS = 3000,	/* how long the flooders run */
	SECRET_OPENS = 100,
	WAIT_MS = 10000,
};

static const char flood_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: e2e-dotenv\n"
	"    on: file\n"
	"    severity: low\n"
	"    when:\n"
	"      path: \"@DIR@/**/.env\"\n"
	"  - id: e2e-secret\n"
	"    on: file\n"
	"    severity: critical\n"
	"    when:\n"
	"      path: \"@DIR@/secret/credentials\"\n"
	"  - id: e2e-marker\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when:\n"
	"      exe: \"@DIR@/marker\"\n"
	"  - id: e2e-udp-flood\n"
	"    on: connect\n"
	"    severity: high\n"
	"    when:\n"
	"      dest: 127.0.0.5/32\n";

/* DIR/sub/name created (empty); its path in out. */
static void make_file(const struct agent_run *r, const char *sub, const char *name, char *out,
		      size_t size)
{
	FILE *f;

	snprintf(out, size, "%s/%s", r->dir, sub);
	mkdir(out, 0755);
	snprintf(out, size, "%s/%s/%s", r->dir, sub, name);
	f = fopen(out, "w");
	assert_non_null(f);
	fclose(f);
}

/* Starts opener with args (NULL-terminated, after "opener"); its pid. */
static pid_t start_opener(const char *const *args)
{
	char bin[512];
	char *argv[16];
	int n = 0;

	argv[n++] = (char *)harness_helper("opener", bin, sizeof(bin));
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	return harness_spawn(argv[0], argv);
}

static long long read_count(const char *path)
{
	FILE *f = fopen(path, "r");
	long long n = -1;

	if (f) {
		if (fscanf(f, "%lld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

struct tally {
	pid_t pid;
	const char *rule;
	long long events;	/* records of rule by pid, repeat counts included */
	long long records;	/* lines */
	long long lost;		/* loss records' by.processes entries for pid */
	long long loss_records;	/* loss records that name pid */
};

/* The sum of a loss record's by.severity counts. */
static long long severity_sum(json_t *rec)
{
	json_t *sev = json_object_get(json_object_get(json_object_get(rec, "loss"), "by"),
				      "severity"), *v;
	long long n = 0;
	const char *k;

	json_object_foreach(sev, k, v) {
		assert_true(json_integer_value(v) > 0);
		n += json_integer_value(v);
	}
	return n;
}

/*
 * A kernel side loss record (ring, ratelimit) of flood_rules' file floods:
 * by.severity adds up to lost; no rule the kernel named (file monitor
 * records carry none), so all "unknown" (file, exec) or "none" (fork, exit).
 */
static void check_loss_by(json_t *rec)
{
	const char *where = jstr(rec, "loss.where");
	long long lost = jint(rec, "loss.lost"), unknown = jint(rec, "loss.by.severity.unknown");
	long long none = jint(rec, "loss.by.severity.none");

	if (!where || (strcmp(where, "ring") && strcmp(where, "ratelimit")))
		return;
	assert_int_equal(severity_sum(rec), lost);
	if (jint(rec, "loss.by.kind.connect") > 0)
		return;		/* test_flagged_sends_name_their_rule's */
	assert_int_equal((unknown < 0 ? 0 : unknown) + (none < 0 ? 0 : none), lost);
	assert_null(json_object_get(json_object_get(json_object_get(rec, "loss"), "by"), "rules"));
}

/* Adds up every record of the events file for t->pid. */
static void tally(struct agent_run *r, struct tally *t)
{
	json_t *all = harness_records(r, pred_any_record, NULL), *e, *p;
	size_t i, j;

	t->events = t->records = t->lost = t->loss_records = 0;
	json_array_foreach(all, i, e) {
		const char *kind = jstr(e, "kind"), *rule = jstr(e, "rule");

		if (kind && !strcmp(kind, "loss")) {
			check_loss_by(e);
			json_array_foreach(json_object_get(json_object_get(json_object_get(e, "loss"),
									  "by"), "processes"), j, p) {
				if (jint(p, "pid") != t->pid)
					continue;
				t->lost += jint(p, "lost");
				t->loss_records++;
			}
			continue;
		}
		if (!rule || strcmp(rule, t->rule) || jint(e, "process.pid") != t->pid)
			continue;
		t->records++;
		t->events += json_object_get(e, "repeat") ? jint(e, "repeat.count") : 1;
	}
	json_decref(all);
}

/*
 * On a miscount: every record of t->rule by t->pid, and the loss records,
 * one line each (time, repeat, path), to tell a duplicate from a miss.
 */
static void dump_tally(struct agent_run *r, const struct tally *t, long long want)
{
	json_t *all, *e;
	size_t i;

	if (t->events + t->lost == want)
		return;
	print_message("miscount of %s by %d: %lld events + %lld lost != %lld\n", t->rule,
		      (int)t->pid, t->events, t->lost, want);
	all = harness_records(r, pred_any_record, NULL);
	json_array_foreach(all, i, e) {
		const char *kind = jstr(e, "kind"), *rule = jstr(e, "rule");

		if (kind && !strcmp(kind, "loss")) {
			char *s = json_dumps(json_object_get(e, "loss"), JSON_COMPACT);

			print_message("  loss %s\n", s ? s : "?");
			free(s);
			continue;
		}
		if (!rule || strcmp(rule, t->rule) || jint(e, "process.pid") != t->pid)
			continue;
		print_message("  %s repeat=%lld first=%s last=%s\n", jstr(e, "time"),
			      jint(e, "repeat.count"), jstr(e, "repeat.first"), jstr(e, "repeat.last"));
	}
	json_decref(all);
}

/*
 * The scenario scaled to seconds: two flooders open their own .env
 * as fast as they can; a third opens a real secret 100 times meanwhile.
 */
static void test_flood_does_not_hide_the_secret(void **state)
{
	struct agent_run r;
	char env1[512], env2[512], secret[512], c1[600], c2[600], cv[600];
	struct tally t1 = { .rule = "e2e-dotenv" }, t2 = { .rule = "e2e-dotenv" };
	struct tally tv = { .rule = "e2e-secret" };
	long long n1, n2;
	pid_t victim;

	assert_int_equal(harness_setup(&r, flood_rules), 0);
	make_file(&r, "f1", ".env", env1, sizeof(env1));
	make_file(&r, "f2", ".env", env2, sizeof(env2));
	make_file(&r, "secret", "credentials", secret, sizeof(secret));
	snprintf(c1, sizeof(c1), "%s/f1.count", r.dir);
	snprintf(c2, sizeof(c2), "%s/f2.count", r.dir);
	snprintf(cv, sizeof(cv), "%s/victim.count", r.dir);
	assert_int_equal(harness_start(&r, NULL), 0);
	t1.pid = start_opener((const char *[]){ "-t", "3000", "-o", c1, env1, NULL });
	t2.pid = start_opener((const char *[]){ "-t", "3000", "-o", c2, env2, NULL });
	usleep(200000);
	victim = start_opener((const char *[]){ "-n", "100", "-i", "20000", "-o", cv, secret,
						 NULL });
	tv.pid = victim;
	assert_int_equal(harness_wait(victim), 0);
	assert_int_equal(harness_wait(t1.pid), 0);
	assert_int_equal(harness_wait(t2.pid), 0);
	assert_int_equal(read_count(cv), SECRET_OPENS);
	n1 = read_count(c1);
	n2 = read_count(c2);
	assert_true(n1 > 1000 && n2 > 1000);	/* a flood, even under QEMU without KVM */
	/* a clean stop reports every window still open */
	assert_int_equal(harness_stop(&r), 0);

	tally(&r, &tv);
	tally(&r, &t1);
	tally(&r, &t2);
	dump_tally(&r, &tv, SECRET_OPENS);
	dump_tally(&r, &t1, n1);
	dump_tally(&r, &t2, n2);
	assert_int_equal(tv.events, SECRET_OPENS);
	assert_int_equal(tv.lost, 0);
	print_message("flood: %lld + %lld opens -> %lld + %lld records, %lld + %lld lost; "
		      "secret: %lld opens in %lld records\n", n1, n2, t1.records, t2.records,
		      t1.lost, t2.lost, tv.events, tv.records);
	assert_int_equal(t1.events + t1.lost, n1);
	assert_int_equal(t2.events + t2.lost, n2);
	/* coalesced: a few records a second, not one per open */
	assert_true(t1.records < 100 && t2.records < 100);
	harness_cleanup(&r);
}

/* The opens (repeat counts included) in the records of t->rule by t->pid
 * whose process.comm (the kernel's, at the open) is comm. */
static long long events_of_comm(struct agent_run *r, const struct tally *t, const char *comm)
{
	json_t *all = harness_records(r, pred_any_record, NULL), *e;
	long long n = 0;
	size_t i;

	json_array_foreach(all, i, e) {
		const char *rule = jstr(e, "rule"), *c = jstr(e, "process.comm");

		if (rule && !strcmp(rule, t->rule) && jint(e, "process.pid") == t->pid && c &&
		    !strcmp(c, comm))
			n += json_object_get(e, "repeat") ? jint(e, "repeat.count") : 1;
	}
	json_decref(all);
	return n;
}

/*
 * A process opens the secret, then execs another program, which opens it
 * as often, in the same coalescing window mostly: the next program's opens
 * are not repeats of the first one's (which a rule might allow by its
 * exe), but records of their own.  Every open is accounted for, each in a
 * record of the program that made it (the kernel's comm at the open).
 */
static void test_exec_starts_own_repeats(void **state)
{
	enum { OPENS = 500 };
	struct agent_run r;
	char secret[512], cv[600], first[PATH_MAX], next[600], bin[512];
	struct tally t = { .rule = "e2e-secret" };

	assert_int_equal(harness_setup(&r, flood_rules), 0);
	make_file(&r, "secret", "credentials", secret, sizeof(secret));
	snprintf(cv, sizeof(cv), "%s/opener.count", r.dir);
	snprintf(next, sizeof(next), "%s/opener-next", r.dir);
	assert_non_null(realpath(harness_helper("opener", bin, sizeof(bin)), first));
	assert_int_equal(harness_copy_file(first, next, 0755), 0);
	assert_int_equal(harness_start(&r, NULL), 0);
	t.pid = start_opener((const char *[]){ "-n", "500", "-e", next, "-o", cv, secret, NULL });
	assert_int_equal(harness_wait(t.pid), 0);
	assert_int_equal(read_count(cv), OPENS);
	assert_int_equal(harness_stop(&r), 0);	/* every window reported */

	tally(&r, &t);
	dump_tally(&r, &t, 2 * OPENS);
	assert_int_equal(t.events, 2 * OPENS);
	assert_int_equal(t.lost, 0);
	assert_int_equal(events_of_comm(&r, &t, "opener"), OPENS);
	assert_int_equal(events_of_comm(&r, &t, "opener-next"), OPENS);
	harness_cleanup(&r);
}

static int pred_ratelimit_of(json_t *rec, void *pid_ptr)
{
	const char *kind = jstr(rec, "kind"), *where = jstr(rec, "loss.where");
	json_t *p = json_array_get(json_object_get(json_object_get(json_object_get(rec, "loss"),
								   "by"), "processes"), 0);

	return kind && !strcmp(kind, "loss") && where && !strcmp(where, "ratelimit") && p &&
	       jint(p, "pid") == *(pid_t *)pid_ptr;
}

/*
 * Distinct records over the per-process limit: loss records that name the
 * flooder arrive while it still runs, and with its records they account for
 * every open; another process's opens are all recorded.
 */
static void test_rate_limit_reported_while_flooding(void **state)
{
	struct agent_run r;
	char env[512], secret[512], c1[600], cv[600];
	struct tally t = { .rule = "e2e-dotenv" }, tv = { .rule = "e2e-secret" };
	json_t *loss;
	long long n;
	int status;

	assert_int_equal(harness_setup(&r, flood_rules), 0);
	make_file(&r, "f1", ".env", env, sizeof(env));
	make_file(&r, "secret", "credentials", secret, sizeof(secret));
	snprintf(c1, sizeof(c1), "%s/f1.count", r.dir);
	snprintf(cv, sizeof(cv), "%s/victim.count", r.dir);
	/* no coalescing: every open is a record of its own */
	assert_int_equal(harness_start(&r, (const char *[]){ "--rate-limit", "200",
							      "--coalesce-ms", "0", NULL }), 0);
	t.pid = start_opener((const char *[]){ "-t", "3000", "-o", c1, env, NULL });
	loss = harness_wait_record(&r, pred_ratelimit_of, &t.pid, 1500);
	assert_non_null(loss);
	/* while the flood goes on */
	assert_int_equal(waitpid(t.pid, &status, WNOHANG), 0);
	assert_true(jint(loss, "loss.lost") > 0);
	assert_int_equal(jint(loss, "loss.by.kind.file"), jint(loss, "loss.lost"));
	json_decref(loss);
	tv.pid = start_opener((const char *[]){ "-n", "20", "-i", "10000", "-o", cv, secret,
						 NULL });
	assert_int_equal(harness_wait(tv.pid), 0);
	assert_int_equal(harness_wait(t.pid), 0);
	n = read_count(c1);
	assert_int_equal(harness_stop(&r), 0);
	tally(&r, &t);
	tally(&r, &tv);
	print_message("limit 200/s: %lld opens -> %lld records, %lld lost in %lld loss "
		      "records\n", n, t.records, t.lost, t.loss_records);
	dump_tally(&r, &tv, 20);
	if (t.events + t.lost != n)
		print_message("miscount of %s by %d: %lld events + %lld lost != %lld\n", t.rule,
			      (int)t.pid, t.events, t.lost, n);
	assert_int_equal(t.events + t.lost, n);
	assert_true(t.lost > 0);
	assert_true(t.records <= 200 * (FLOOD_MS / 1000 + 2));
	assert_int_equal(tv.events, 20);
	harness_cleanup(&r);
}

/* A child that sends n UDP datagrams to 127.0.0.5 (e2e-udp-flood's), as fast as it can. */
static pid_t start_udp_flood(int n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(0x7f000005) };
	pid_t pid = fork();
	int fd;

	assert_true(pid >= 0);
	if (pid)
		return pid;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; fd >= 0 && i < n; i++)
		if (sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
			_exit(1);
	_exit(fd >= 0 ? 0 : 1);
}

/*
 * Sends flagged by a connect rule in the kernel, over the limit: every
 * ratelimit loss record names the rule and its severity for every record
 * it lost, and with the records they account for every send.
 */
static void test_flagged_sends_name_their_rule(void **state)
{
	struct agent_run r;
	struct tally t = { .rule = "e2e-udp-flood" };
	json_t *all, *e, *rule;
	long long lost = 0, n_loss = 0;
	size_t i;

	assert_int_equal(harness_setup(&r, flood_rules), 0);
	assert_int_equal(harness_start(&r, (const char *[]){ "--rate-limit", "200",
							      "--coalesce-ms", "0", NULL }), 0);
	t.pid = start_udp_flood(5000);
	assert_int_equal(harness_wait(t.pid), 0);
	json_decref(harness_wait_record(&r, pred_ratelimit_of, &t.pid, WAIT_MS));
	assert_int_equal(harness_stop(&r), 0);
	all = harness_records(&r, pred_ratelimit_of, &t.pid);
	json_array_foreach(all, i, e) {
		long long l = jint(e, "loss.lost");

		rule = json_array_get(json_object_get(json_object_get(json_object_get(e, "loss"),
									"by"), "rules"), 0);
		assert_int_equal(jint(e, "loss.by.kind.connect"), l);
		assert_int_equal(jint(e, "loss.by.severity.high"), l);
		assert_int_equal(severity_sum(e), l);
		assert_int_equal(json_array_size(json_object_get(json_object_get(json_object_get(
			e, "loss"), "by"), "rules")), 1);
		assert_string_equal(jstr(rule, "rule"), "e2e-udp-flood");
		assert_string_equal(jstr(rule, "severity"), "high");
		assert_int_equal(jint(rule, "lost"), l);
		lost += l;
		n_loss++;
	}
	json_decref(all);
	tally(&r, &t);
	print_message("flagged sends: 5000 -> %lld records, %lld lost in %lld loss records\n",
		      t.records, lost, n_loss);
	assert_true(lost > 0);
	assert_int_equal(t.lost, lost);		/* the flooder was every record's top process */
	assert_int_equal(t.events + t.lost, 5000);
	harness_cleanup(&r);
}

/* flood_rules with the flood rule at another severity: another rule set */
static const char *raised_rules(char *out, size_t size)
{
	const char *at = strstr(flood_rules, "    severity: high\n");

	snprintf(out, size, "%.*s    severity: critical\n%s", (int)(at - flood_rules), flood_rules,
		 at + strlen("    severity: high\n"));
	return out;
}

/* Keys of the agent's loss_rules (map fd) that name rules (mask != 0): how
 * many, how many of them of generation gen, and the generation of one. */
static void rule_keys(int fd, int gen, int *named, int *of_gen, int *some_gen)
{
	struct loss_key k, next;

	*named = *of_gen = 0;
	*some_gen = -1;
	for (int first = 1; !bpf_map_get_next_key(fd, first ? NULL : &k, &next); first = 0) {
		k = next;
		if (!k.mask)
			continue;
		(*named)++;
		*of_gen += k.gen == gen;
		*some_gen = k.gen;
	}
}

/* Waits until every one of n sends by t->pid is a record or reported lost. */
static void wait_accounted(struct agent_run *r, struct tally *t, long long n)
{
	for (int ms = 0; tally(r, t), t->events + t->lost < n && ms < WAIT_MS; ms += 100)
		usleep(100000);
	assert_int_equal(t->events + t->lost, n);
}

/*
 * Flagged sends lost under one rule set, then under another after an
 * in-place reload (--no-pin; a pinned agent swaps in new maps): the loss
 * records name the rule at its new severity, and once reported the first
 * rule set's keys are gone from loss_rules (else every reload would leave
 * keys behind until it filled).
 */
static void test_old_rule_keys_forgotten(void **state)
{
	struct agent_run r;
	struct tally t1 = { .rule = "e2e-udp-flood" }, t2 = { .rule = "e2e-udp-flood" };
	char rules[sizeof(flood_rules) + 16];
	int named, of_gen, old_gen, gen, fd;
	long long unknown;
	json_t *rec;

	assert_int_equal(harness_setup(&r, flood_rules), 0);
	assert_int_equal(harness_start(&r, (const char *[]){ "--rate-limit", "200",
							      "--coalesce-ms", "0", NULL }), 0);
	if (harness_log_contains(&r, "connect rules will NOT fire", 0)) {
		harness_stop(&r);
		harness_cleanup(&r);
		skip();
	}
	fd = agent_map_fd(r.pid, "loss_rules");
	assert_true(fd >= 0);
	t1.pid = start_udp_flood(2000);
	assert_int_equal(harness_wait(t1.pid), 0);
	/* every send of the first flood a record or reported lost, before the reload */
	wait_accounted(&r, &t1, 2000);
	rule_keys(fd, -1, &named, &of_gen, &old_gen);
	assert_true(named >= 1);

	assert_int_equal(harness_write_rules(&r, raised_rules(rules, sizeof(rules))), 0);
	kill(r.pid, SIGHUP);
	assert_true(harness_log_contains(&r, "reload: ", WAIT_MS));
	t2.pid = start_udp_flood(2000);
	assert_int_equal(harness_wait(t2.pid), 0);
	rec = harness_wait_record(&r, pred_ratelimit_of, &t2.pid, WAIT_MS);
	assert_non_null(rec);
	/* none under the replaced severity; the first flood's last losses, when
	 * the kernel counted them after the loss record that took its count,
	 * come now as "unknown": named under a rule set since replaced
	 * (docs/EVENTS.md) */
	assert_null(json_object_get(json_object_get(json_object_get(json_object_get(rec, "loss"),
								    "by"), "severity"), "high"));
	unknown = jint(rec, "loss.by.severity.unknown");
	assert_true(jint(rec, "loss.by.severity.critical") > 0);
	assert_int_equal(jint(rec, "loss.by.severity.critical") + (unknown < 0 ? 0 : unknown),
			 jint(rec, "loss.lost"));
	json_decref(rec);
	wait_accounted(&r, &t2, 2000);
	rule_keys(fd, old_gen, &named, &of_gen, &gen);
	assert_int_equal(of_gen, 0);
	assert_true(named >= 1);
	assert_int_not_equal(gen, old_gen);
	close(fd);
	assert_int_equal(harness_stop(&r), 0);
	harness_cleanup(&r);
}

static int pred_marker_exec(json_t *rec, void *arg)
{
	const char *rule = jstr(rec, "rule");

	return rule && !strcmp(rule, "e2e-marker");
}

static int pred_ring_loss(json_t *rec, void *arg)
{
	const char *kind = jstr(rec, "kind"), *where = jstr(rec, "loss.where");

	return kind && !strcmp(kind, "loss") && where && !strcmp(where, "ring");
}

/*
 * The agent stopped (SIGSTOP): the flood fills the ring up to the reserve
 * and no further; an exec still finds room; the loss names the flooder.
 */
static void test_reserve_keeps_room_for_exec(void **state)
{
	struct agent_run r;
	char env[512], c1[600], marker[600];
	struct tally t = { .rule = "e2e-dotenv" };
	json_t *rec;
	long long n;

	assert_int_equal(harness_setup(&r, flood_rules), 0);
	make_file(&r, "f1", ".env", env, sizeof(env));
	snprintf(c1, sizeof(c1), "%s/f1.count", r.dir);
	harness_noop_copy(r.dir, "marker", marker, sizeof(marker));
	assert_int_equal(harness_start(&r, (const char *[]){ "--ring-size", "1M",
		"--ring-reserve", "50", "--rate-limit", "0", "--coalesce-ms", "0", NULL }), 0);
	assert_int_equal(kill(r.pid, SIGSTOP), 0);
	t.pid = start_opener((const char *[]){ "-n", "20000", "-o", c1, env, NULL });
	assert_int_equal(harness_wait(t.pid), 0);
	assert_int_equal(harness_wait(harness_spawn(marker, (char *[]){ marker, NULL })), 0);
	assert_int_equal(kill(r.pid, SIGCONT), 0);
	rec = harness_wait_record(&r, pred_marker_exec, NULL, WAIT_MS);
	assert_non_null(rec);
	json_decref(rec);
	rec = harness_wait_record(&r, pred_ring_loss, NULL, WAIT_MS);
	assert_non_null(rec);
	assert_true(jint(rec, "loss.by.kind.file") > 0);
	assert_int_equal(jint(json_array_get(json_object_get(json_object_get(json_object_get(
		rec, "loss"), "by"), "processes"), 0), "pid"), t.pid);
	json_decref(rec);
	n = read_count(c1);
	assert_int_equal(harness_stop(&r), 0);
	tally(&r, &t);
	print_message("reserve: %lld opens -> %lld records, %lld lost\n", n, t.records, t.lost);
	assert_true(t.lost > 0);
	assert_int_equal(t.events + t.lost, n);
	harness_cleanup(&r);
}

static int pred_sink_loss(json_t *rec, void *arg)
{
	const char *kind = jstr(rec, "kind"), *where = jstr(rec, "loss.where");

	return kind && !strcmp(kind, "loss") && where && !strncmp(where, "sink:forward:", 13);
}

/* A port on loopback that nothing listens on. */
static int dead_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * A forward output nobody acks, its queue full: the loss goes to the jsonl
 * output once, and 10 s of idling add none (it was ~100 a second when the
 * loss record went into the full queue too).
 */
static void test_dead_forward_loss_bounded(void **state)
{
	struct agent_run r;
	char marker[600], spec[128];
	json_t *all;
	size_t before, after;

	assert_int_equal(harness_setup(&r, flood_rules), 0);
	harness_noop_copy(r.dir, "marker", marker, sizeof(marker));
	snprintf(spec, sizeof(spec), "forward:127.0.0.1:%d,queue=4,backoff-max-ms=200",
		 dead_port());
	assert_int_equal(harness_start(&r, (const char *[]){ "--output", spec, NULL }), 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(harness_wait(harness_spawn(marker, (char *[]){ marker, NULL })), 0);
	json_decref(harness_wait_record(&r, pred_sink_loss, NULL, WAIT_MS));
	sleep(2);	/* the records of the last marker are reported too */
	all = harness_records(&r, pred_sink_loss, NULL);
	before = json_array_size(all);
	json_decref(all);
	sleep(10);
	all = harness_records(&r, pred_sink_loss, NULL);
	after = json_array_size(all);
	json_decref(all);
	print_message("dead forward output: %zu loss records, %zu after 10 s idle\n", before,
		      after);
	assert_true(before >= 1 && before <= 3);
	assert_int_equal(after, before);
	assert_int_equal(harness_stop(&r), 0);
	harness_cleanup(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_does_not_hide_the_secret),
		cmocka_unit_test(test_exec_starts_own_repeats),
		cmocka_unit_test(test_rate_limit_reported_while_flooding),
		cmocka_unit_test(test_flagged_sends_name_their_rule),
		cmocka_unit_test(test_old_rule_keys_forgotten),
		cmocka_unit_test(test_reserve_keeps_room_for_exec),
		cmocka_unit_test(test_dead_forward_loss_bounded),
	};

	return cmocka_run_group_tests_name("e2e delivery", tests, NULL, NULL);
}
