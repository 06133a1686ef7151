/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_forward.c - the `forward:` sink against a real, independent Fluent
 * Forward receiver: FluentServer from the npm package @fluent-org/logger,
 * run by tests/forward/receiver.js on 127.0.0.1 and a port this test picks.
 *
 * The sink-level tests call the sink API directly with JSON lines; the last
 * test runs the real agent with an exec rule and compares what the receiver
 * got with the agent's own jsonl output, record by record.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "harness.h"
#include "record/ocsf.h"
#include "sinks/sink.h"

#define WAIT_MS 10000

struct receiver {
	pid_t pid;
	int port;
	char dir[256];
	char out[300];
};

/* A port nobody listens on right now (bound, then released). */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Starts receiver.js on rc->port writing to rc->out; waits for "listening". */
static void receiver_start(struct receiver *rc, const char *opt)
{
	char portbuf[16], modules[PATH_MAX], line[64];
	int pfd[2];
	struct pollfd p;
	ssize_t n;

	assert_non_null(realpath("build/npm/node_modules", modules));
	assert_int_equal(pipe(pfd), 0);
	snprintf(portbuf, sizeof(portbuf), "%d", rc->port);
	rc->pid = fork();
	assert_true(rc->pid >= 0);
	if (!rc->pid) {
		/* a failed assertion must not leave the receiver behind */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		setenv("NODE_PATH", modules, 1);
		execlp("node", "node", "tests/forward/receiver.js", portbuf, rc->out, opt,
		       (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	p.fd = pfd[0];
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	n = read(pfd[0], line, sizeof(line) - 1);
	assert_true(n > 0);
	line[n] = '\0';
	assert_non_null(strstr(line, "listening"));
	close(pfd[0]);
}

static void receiver_stop(struct receiver *rc)
{
	if (rc->pid <= 0)
		return;
	kill(rc->pid, SIGTERM);
	waitpid(rc->pid, NULL, 0);
	rc->pid = 0;
}

static void receiver_setup(struct receiver *rc, const char *opt)
{
	snprintf(rc->dir, sizeof(rc->dir), "/tmp/custos-fwd-XXXXXX");
	assert_non_null(mkdtemp(rc->dir));
	snprintf(rc->out, sizeof(rc->out), "%s/received.jsonl", rc->dir);
	rc->port = free_port();
	receiver_start(rc, opt);
}

static void receiver_cleanup(struct receiver *rc)
{
	char cmd[400];

	receiver_stop(rc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rc->dir);
	assert_int_equal(system(cmd), 0);
}

/* Everything received so far, as an array of {tag, sec, nsec, record}. */
static json_t *received(const struct receiver *rc)
{
	json_t *all = json_array();
	FILE *f = fopen(rc->out, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return all;
	while (getline(&line, &cap, f) > 0) {
		json_t *e = json_loads(line, 0, NULL);

		if (e)	/* a line being written right now is read next time */
			json_array_append_new(all, e);
	}
	free(line);
	fclose(f);
	return all;
}

/* Waits until at least n distinct seq values of records of kind (NULL: any)
 * arrived; returns how many did. */
static size_t wait_unique_seqs_of(const struct receiver *rc, size_t n, int timeout_ms,
				  const char *kind)
{
	size_t uniq = 0;

	for (int waited = 0;; waited += 50) {
		json_t *all = received(rc), *seen = json_object(), *e;
		size_t i;
		char key[32];

		json_array_foreach(all, i, e) {
			const char *k = jstr(json_object_get(e, "record"), "kind");

			if (kind && (!k || strcmp(k, kind)))
				continue;
			snprintf(key, sizeof(key), "%lld",
				 (long long)json_integer_value(json_object_get(
					 json_object_get(e, "record"), "seq")));
			json_object_set_new(seen, key, json_true());
		}
		uniq = json_object_size(seen);
		json_decref(seen);
		json_decref(all);
		if (uniq >= n || waited >= timeout_ms)
			return uniq;
		usleep(50000);
	}
}

static size_t wait_unique_seqs(const struct receiver *rc, size_t n, int timeout_ms)
{
	return wait_unique_seqs_of(rc, n, timeout_ms, NULL);
}

static const char *const lines[] = {
	"{\"schema\":\"custos.event/1\",\"time\":\"2026-11-23T07:12:03.123456789Z\",\"seq\":1,"
	"\"host\":\"inference-01\",\"kind\":\"file\",\"rule\":\"secret-file-access\","
	"\"severity\":\"critical\",\"action\":\"alert\",\"tags\":[\"soc2:CC6.1\",\"x\"],"
	"\"policy\":\"sha256:9f2c\",\"process\":{\"pid\":4242,\"tid\":4242,\"uid\":0,"
	"\"args\":[\"cat\",\"/root/\\u00e9\\ud83d\\ude00 q\\\"\\\\\\n\\t\\u0001\"]},"
	"\"ancestors\":[],\"empty\":{},\"file\":{\"path\":\"/root/.aws/credentials\","
	"\"access\":[\"read\"],\"truncated\":true,\"neg\":-5,\"none\":null,\"no\":false}}\n",
	"{\"schema\":\"custos.event/1\",\"time\":\"2026-11-23T07:12:04.000000001Z\",\"seq\":2,"
	"\"host\":\"inference-01\",\"kind\":\"exec\",\"rule\":\"r\",\"severity\":\"low\","
	"\"action\":\"alert\",\"tags\":[],\"exec\":{\"exe\":\"/usr/bin/sh\","
	"\"args\":[\"sh\",\"-c\",\"curl http://x\"]}}\n",
	"{\"schema\":\"custos.event/1\",\"time\":\"2026-11-23T07:12:05.5Z\",\"seq\":3,"
	"\"host\":\"inference-01\",\"kind\":\"loss\",\"loss\":{\"lost\":123456789012345,"
	"\"where\":\"ring\"}}\n",	/* JavaScript numbers: stay below 2^53 */
};

static const struct { const char *tag; long long sec, nsec; } expect[] = {
	{ "custos.file", 1795417923, 123456789 },
	{ "custos.exec", 1795417924, 1 },
	{ "custos.loss", 1795417925, 500000000 },
};

static struct sink *open_sink(const struct receiver *rc, const char *opts)
{
	char spec[256], err[256];
	struct sink *s;

	snprintf(spec, sizeof(spec), "forward:127.0.0.1:%d%s", rc->port, opts);
	assert_int_equal(sink_open(spec, &s, err, sizeof(err)), 0);
	return s;
}

/* Every record arrives acked, with its tag, EventTime and the same map. */
static void check_modes(const char *opts, const char *recv_opt)
{
	struct receiver rc;
	struct sink_stats st;
	struct sink *s;
	json_t *all;

	receiver_setup(&rc, recv_opt);
	s = open_sink(&rc, opts);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(sink_write(s, lines[i], strlen(lines[i])), 0);
	assert_int_equal(wait_unique_seqs(&rc, 3, WAIT_MS), 3);
	for (int i = 0; i < 100; i++) {
		sink_get_stats(s, &st);
		if (st.acked == 3)
			break;
		usleep(20000);
	}
	assert_int_equal(st.acked, 3);
	assert_int_equal(st.lines_lost, 0);
	assert_int_equal(sink_close(s), 0);

	all = received(&rc);
	assert_int_equal(json_array_size(all), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *e = json_array_get(all, i);
		json_t *want = json_loads(lines[i], 0, NULL);

		assert_non_null(want);
		assert_string_equal(json_string_value(json_object_get(e, "tag")), expect[i].tag);
		assert_int_equal(json_integer_value(json_object_get(e, "sec")), expect[i].sec);
		assert_int_equal(json_integer_value(json_object_get(e, "nsec")), expect[i].nsec);
		if (!json_equal(json_object_get(e, "record"), want)) {
			char *a = json_dumps(json_object_get(e, "record"), JSON_SORT_KEYS);
			char *b = json_dumps(want, JSON_SORT_KEYS);

			fail_msg("record %zu differs:\n got  %s\n want %s", i, a, b);
		}
		json_decref(want);
	}
	json_decref(all);
	receiver_cleanup(&rc);
}

static void test_packed_forward_acked(void **state)
{
	check_modes("", NULL);
}

static void test_compressed_packed_forward_acked(void **state)
{
	check_modes(",compress=gzip", NULL);
}

static void test_shared_key_right(void **state)
{
	check_modes(",shared-key=s3cret,compress=gzip", "shared-key=s3cret");
}

/* A wrong key: the server refuses (or we refuse its PONG); nothing is acked. */
static void test_shared_key_wrong(void **state)
{
	struct receiver rc;
	struct sink *s;
	struct sink_stats st;

	receiver_setup(&rc, "shared-key=s3cret");
	s = open_sink(&rc, ",shared-key=wrong,backoff-max-ms=200,drain-ms=0");
	assert_int_equal(sink_write(s, lines[0], strlen(lines[0])), 0);
	usleep(1500000);
	sink_get_stats(s, &st);
	assert_int_equal(st.acked, 0);
	assert_true(st.errors >= 2);	/* it kept trying, with backoff */
	assert_int_equal(st.sent, 0);	/* and never sent a record unauthenticated */
	assert_int_equal(sink_close(s), 0);
	assert_int_equal(wait_unique_seqs(&rc, 1, 0), 0);
	receiver_cleanup(&rc);
}

/* A CA, a server certificate for IP 127.0.0.1 signed by it, and an unrelated CA. */
static void make_certs(const char *d)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "set -e; cd '%s'; "
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
		 "-subj /CN=custos-test-ca 2>/dev/null; "
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem "
		 "-days 1 -subj /CN=custos-other-ca 2>/dev/null; "
		 "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr "
		 "-subj /CN=127.0.0.1 2>/dev/null; "
		 "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf; "
		 "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 "-out srv.pem -days 1 -extfile ext.cnf 2>/dev/null", d);
	assert_int_equal(system(cmd), 0);
}

/* TLS with CA verification: acked with the right CA, refused with another. */
static void test_tls_verified(void **state)
{
	struct receiver rc;
	struct sink *s;
	struct sink_stats st;
	char opts[512], ropt[300];

	receiver_setup(&rc, NULL);
	receiver_stop(&rc);
	make_certs(rc.dir);
	snprintf(ropt, sizeof(ropt), "tls-dir=%s", rc.dir);
	receiver_start(&rc, ropt);

	snprintf(opts, sizeof(opts), ",tls=on,tls-ca=%s/ca.pem", rc.dir);
	s = open_sink(&rc, opts);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(sink_write(s, lines[i], strlen(lines[i])), 0);
	assert_int_equal(wait_unique_seqs(&rc, 3, WAIT_MS), 3);
	for (int i = 0; i < 100; i++) {
		sink_get_stats(s, &st);
		if (st.acked == 3)
			break;
		usleep(20000);
	}
	assert_int_equal(st.acked, 3);
	assert_int_equal(sink_close(s), 0);

	/* a CA that did not sign the server's certificate: nothing is sent */
	snprintf(opts, sizeof(opts), ",tls=on,tls-ca=%s/other.pem,backoff-max-ms=200,drain-ms=0",
		 rc.dir);
	s = open_sink(&rc, opts);
	assert_int_equal(sink_write(s, lines[0], strlen(lines[0])), 0);
	usleep(1500000);
	sink_get_stats(s, &st);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.acked, 0);
	assert_true(st.errors >= 2);
	assert_int_equal(sink_close(s), 0);
	receiver_cleanup(&rc);
}

static char *line_with_seq(int seq)
{
	char *l = NULL;

	assert_true(asprintf(&l, "{\"time\":\"2026-11-23T07:12:03.000000000Z\",\"seq\":%d,"
			     "\"kind\":\"exec\",\"rule\":\"r\"}\n", seq) > 0);
	return l;
}

/* The receiver goes away while records keep coming and comes back: all arrive. */
static void check_receiver_restart(int spooled)
{
	enum { N = 60 };
	struct receiver rc;
	struct sink *s;
	struct sink_stats st;
	char opts[512];

	receiver_setup(&rc, NULL);
	snprintf(opts, sizeof(opts), ",backoff-max-ms=400,drain-ms=10000%s%s%s",
		 spooled ? ",spool=" : "", spooled ? rc.dir : "", spooled ? "/spool" : "");
	s = open_sink(&rc, opts);
	for (int i = 1; i <= 20; i++) {
		char *l = line_with_seq(i);

		assert_int_equal(sink_write(s, l, strlen(l)), 0);
		free(l);
	}
	assert_int_equal(wait_unique_seqs(&rc, 20, WAIT_MS), 20);
	receiver_stop(&rc);
	for (int i = 21; i <= N; i++) {
		char *l = line_with_seq(i);

		assert_int_equal(sink_write(s, l, strlen(l)), 0);
		free(l);
		usleep(10000);
	}
	usleep(300000);
	receiver_start(&rc, NULL);
	assert_int_equal(wait_unique_seqs(&rc, N, WAIT_MS), N);
	sink_get_stats(s, &st);
	assert_int_equal(st.lines_lost, 0);
	assert_true(st.errors > 0);	/* it did notice the outage */
	if (spooled)
		assert_int_equal(st.spooled, N);
	assert_int_equal(sink_close(s), 0);
	receiver_cleanup(&rc);
}

static void test_receiver_restart_loses_nothing(void **state)
{
	check_receiver_restart(0);
}

static void test_receiver_restart_spooled(void **state)
{
	check_receiver_restart(1);
}

/* Over the spool's bound the oldest go, counted exactly; the newest arrive in order. */
static void test_spool_bound_drops_oldest_counted(void **state)
{
	enum { N = 50 };
	struct receiver rc;
	struct sink *s;
	struct sink_stats st;
	char opts[512];
	json_t *all, *e;
	size_t i, got;
	long long lost;

	receiver_setup(&rc, NULL);
	receiver_stop(&rc);
	snprintf(opts, sizeof(opts), ",backoff-max-ms=200,spool=%s/spool,spool-max=2K", rc.dir);
	s = open_sink(&rc, opts);
	for (int k = 1; k <= N; k++) {
		char *l = line_with_seq(k);

		assert_int_equal(sink_write(s, l, strlen(l)), 0);
		free(l);
	}
	for (int k = 0; k < 200; k++) {
		sink_get_stats(s, &st);
		if (st.spooled == N)
			break;
		usleep(10000);
	}
	assert_int_equal(st.spooled, N);
	lost = (long long)st.lines_lost;
	assert_true(lost > 0 && lost < N);
	receiver_start(&rc, NULL);
	got = wait_unique_seqs(&rc, (size_t)(N - lost), WAIT_MS);
	assert_int_equal(got, N - lost);
	usleep(200000);
	all = received(&rc);
	assert_int_equal(json_array_size(all), N - lost);
	json_array_foreach(all, i, e)
		assert_int_equal(jint(json_object_get(e, "record"), "seq"), lost + 1 + (long long)i);
	json_decref(all);
	sink_get_stats(s, &st);
	assert_int_equal(st.lines_lost, lost);
	assert_int_equal(sink_close(s), 0);
	receiver_cleanup(&rc);
}

/* A full queue drops and counts; the agent turns the count into a loss record. */
static void test_queue_bound_counts_drops(void **state)
{
	struct receiver rc;
	struct sink *s;
	struct sink_stats st;

	receiver_setup(&rc, NULL);
	receiver_stop(&rc);	/* nobody listens: nothing is acked */
	s = open_sink(&rc, ",queue=4,drain-ms=0");
	for (int i = 1; i <= 10; i++) {
		char *l = line_with_seq(i);

		sink_write(s, l, strlen(l));
		free(l);
	}
	sink_get_stats(s, &st);
	assert_int_equal(st.lines_lost, 6);
	assert_int_equal(st.acked, 0);
	assert_int_equal(sink_close(s), 0);
	receiver_cleanup(&rc);
}

/* An OCSF line: tag PREFIX.event, EventTime its millisecond time (not 1970). */
static void test_ocsf_line_event_time(void **state)
{
	static const char *const tags[] = { "t" };
	const struct json_rule rule = { "r", "high", "alert", tags, 1 };
	const struct json_meta meta = { "inference-01", 9, "sha256:ab", NULL, NULL };
	struct cev_event ev = { .kind = CEV_EXEC, .time_ns = 1795417923123456789ull };
	struct sbuf line = SBUF_INIT;
	struct receiver rc;
	struct sink *s;
	json_t *all, *e;

	ev.proc.pid = 42;
	assert_int_equal(ocsf_render_event(&line, &ev, &rule, &meta), 0);
	receiver_setup(&rc, NULL);
	s = open_sink(&rc, "");
	assert_int_equal(sink_write(s, line.p, line.len), 0);
	assert_int_equal(wait_unique_seqs(&rc, 1, WAIT_MS), 1);	/* no "seq": one key "0" */
	assert_int_equal(sink_close(s), 0);
	all = received(&rc);
	assert_int_equal(json_array_size(all), 1);
	e = json_array_get(all, 0);
	assert_string_equal(json_string_value(json_object_get(e, "tag")), "custos.event");
	assert_int_equal(json_integer_value(json_object_get(e, "sec")), 1795417923);
	assert_int_equal(json_integer_value(json_object_get(e, "nsec")), 123000000);
	assert_int_equal(jint(json_object_get(e, "record"), "time"), 1795417923123LL);
	assert_int_equal(jint(json_object_get(e, "record"), "class_uid"), 2004);
	json_decref(all);
	sbuf_free(&line);
	receiver_cleanup(&rc);
}

static void test_bad_specs_rejected(void **state)
{
	static const char *const bad[] = {
		"forward:", "forward:127.0.0.1", "forward:127.0.0.1:0", "forward:127.0.0.1:70000",
		"forward:127.0.0.1:24224,bogus=1", "forward:127.0.0.1:24224,compress=lz4",
		"forward:[::1:24224", "forward:127.0.0.1:24224,queue=0",
		"forward:127.0.0.1:24224,spool-max=0", "forward:127.0.0.1:24224,spool-max=1X",
	};
	char err[256];
	struct sink *s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(sink_open(bad[i], &s, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad[i]));
	}
}

static const char marker_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: e2e-forward\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when:\n"
	"      exe: \"@DIR@/marker\"\n";

static int pred_any(json_t *rec, void *arg)
{
	return 1;
}

static void install_marker(const struct agent_run *r, char *out, size_t size)
{
	char cmd[1200];

	snprintf(out, size, "%s/marker", r->dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/true '%s'", out);
	assert_int_equal(system(cmd), 0);
}

/* Through the real agent: every record of the jsonl sink arrives, same map. */
static void test_agent_end_to_end(void **state)
{
	enum { N = 8 };
	struct agent_run r;
	struct receiver rc;
	char marker[512], spec[128];
	const char *args[3];
	json_t *lines_got, *recv_all, *e;
	size_t i;

	receiver_setup(&rc, NULL);
	assert_int_equal(harness_setup(&r, marker_rules), 0);
	install_marker(&r, marker, sizeof(marker));
	snprintf(spec, sizeof(spec), "forward:127.0.0.1:%d", rc.port);
	args[0] = "--output";
	args[1] = spec;
	args[2] = NULL;
	assert_int_equal(harness_start(&r, args), 0);
	for (i = 0; i < N; i++)
		harness_wait(harness_spawn(marker, (char *[]){ marker, NULL }));
	assert_int_equal(wait_unique_seqs(&rc, N, WAIT_MS), N);
	/* SIGUSR1: the per-sink counters in the log */
	{
		char want[300];

		snprintf(want, sizeof(want), "status: output %s: written %d, sent %d, acked %d, "
			 "spooled 0, dropped 0, errors 0", spec, N, N, N);
		for (int k = 0; k < 50 && !harness_log_contains(&r, want, 0); k++) {
			kill(r.pid, SIGUSR1);	/* again: the acks may still be on the way */
			usleep(100000);
		}
		assert_true(harness_log_contains(&r, want, 0));
	}
	assert_int_equal(harness_stop(&r), 0);

	/* the records, then the checkpoint that closes the run (delivered or not
	 * by the time the agent exits) */
	lines_got = harness_records(&r, pred_any, NULL);
	assert_int_equal(json_array_size(lines_got), N + 1);
	assert_string_equal(jstr(json_array_get(lines_got, N), "kind"), "checkpoint");
	recv_all = received(&rc);
	assert_true(json_array_size(recv_all) == N || json_array_size(recv_all) == N + 1);
	json_array_foreach(recv_all, i, e) {
		json_t *rec = json_object_get(e, "record");
		json_t *want = json_array_get(lines_got, i);

		assert_string_equal(json_string_value(json_object_get(e, "tag")),
				    i < N ? "custos.exec" : "custos.checkpoint");
		assert_true(json_equal(rec, want));
		if (i < N)
			assert_string_equal(jstr(rec, "rule"), "e2e-forward");
	}
	json_decref(lines_got);
	json_decref(recv_all);
	harness_cleanup(&r);
	receiver_cleanup(&rc);
}

static int pred_rule(json_t *rec, void *rule)
{
	const char *r = jstr(rec, "rule");

	return r && !strcmp(r, rule);
}

/* The agent is SIGKILLed while the receiver is away; the next run ships the spool. */
static void test_agent_sigkill_spool_replayed(void **state)
{
	enum { N = 5 };
	struct agent_run r;
	struct receiver rc;
	char marker[512], spec[700];
	const char *args[3];
	json_t *first, *recv_all, *e;
	size_t i;
	int status;

	receiver_setup(&rc, NULL);
	receiver_stop(&rc);
	assert_int_equal(harness_setup(&r, marker_rules), 0);
	install_marker(&r, marker, sizeof(marker));
	snprintf(spec, sizeof(spec), "forward:127.0.0.1:%d,backoff-max-ms=300,spool=%s/spool",
		 rc.port, rc.dir);
	args[0] = "--output";
	args[1] = spec;
	args[2] = NULL;
	assert_int_equal(harness_start(&r, args), 0);
	for (i = 0; i < N; i++)
		harness_wait(harness_spawn(marker, (char *[]){ marker, NULL }));
	for (i = 0; i < 100; i++) {
		first = harness_records(&r, pred_rule, "e2e-forward");
		if (json_array_size(first) == N)
			break;
		json_decref(first);
		first = NULL;
		usleep(50000);
	}
	assert_non_null(first);
	usleep(500000);	/* the worker moves queued records to the spool at once */
	kill(r.pid, SIGKILL);
	assert_int_equal(waitpid(r.pid, &status, 0), r.pid);
	assert_true(WIFSIGNALED(status));

	receiver_start(&rc, NULL);
	assert_int_equal(harness_start(&r, args), 0);
	/* the spooled records, and the next run's gap record (seq N + 1) */
	assert_int_equal(wait_unique_seqs(&rc, N + 1, WAIT_MS), N + 1);
	assert_int_equal(harness_stop(&r), 0);
	recv_all = received(&rc);
	json_array_foreach(recv_all, i, e) {
		json_t *rec = json_object_get(e, "record");
		long long seq = jint(rec, "seq");

		assert_true(seq >= 1 && seq <= N + 2);
		if (seq <= N) {
			assert_true(json_equal(rec, json_array_get(first, (size_t)seq - 1)));
		} else if (seq == N + 1) {
			assert_string_equal(jstr(rec, "kind"), "gap");
			assert_string_equal(jstr(rec, "gap.previous_end"), "unclean");
		} else {
			assert_string_equal(jstr(rec, "kind"), "checkpoint");
		}
	}
	/* each once, the closing checkpoint maybe not yet acked at the stop */
	assert_true(json_array_size(recv_all) == N + 1 || json_array_size(recv_all) == N + 2);
	json_decref(first);
	json_decref(recv_all);
	harness_cleanup(&r);
	receiver_cleanup(&rc);
}

/* How many records of all are of k->kind. */
static long long count_kind(json_t *all, const struct kind_pid *k)
{
	long long n = 0;
	size_t i;
	json_t *e;

	json_array_foreach(all, i, e) {
		const char *kind = jstr(e, "kind");

		n += kind && !strcmp(kind, k->kind);
	}
	return n;
}

/* Sums the "lost" of loss records whose where starts with prefix. */
static long long lost_in(json_t *all, const char *prefix)
{
	long long sum = 0;
	size_t i;
	json_t *e;

	json_array_foreach(all, i, e) {
		const char *kind = jstr(e, "kind"), *where = jstr(e, "loss.where");

		if (kind && !strcmp(kind, "loss") && where && !strncmp(where, prefix, strlen(prefix)))
			sum += jint(e, "loss.lost");
	}
	return sum;
}

/*
 * Through the agent: the spool's bound is hit while the receiver is away;
 * the loss records in the jsonl output account for exactly what the
 * receiver never got (records delivered + records reported lost = records).
 * A loss record about the forward output goes to the other outputs only,
 * never into the queue that lost: the receiver gets the records alone.
 */
static void test_agent_spool_overflow_loss_record(void **state)
{
	enum { N = 40 };
	struct agent_run r;
	struct receiver rc;
	char marker[512], spec[700];
	const char *args[3];
	struct kind_pid execs = { "exec", 0, NULL };
	json_t *all = NULL;
	long long lost = 0, total = 0;
	size_t got = 0, i;

	receiver_setup(&rc, NULL);
	receiver_stop(&rc);
	assert_int_equal(harness_setup(&r, marker_rules), 0);
	install_marker(&r, marker, sizeof(marker));
	snprintf(spec, sizeof(spec), "forward:127.0.0.1:%d,backoff-max-ms=200,spool=%s/spool,"
		 "spool-max=3K", rc.port, rc.dir);
	args[0] = "--output";
	args[1] = spec;
	args[2] = NULL;
	assert_int_equal(harness_start(&r, args), 0);
	for (i = 0; i < N; i++)
		harness_wait(harness_spawn(marker, (char *[]){ marker, NULL }));
	for (i = 0; i < 100 && !lost; i++) {
		usleep(50000);
		all = harness_records(&r, pred_any, NULL);
		lost = lost_in(all, "sink:forward:");
		json_decref(all);
	}
	assert_true(lost > 0);
	receiver_start(&rc, NULL);
	for (i = 0; i < 200; i++) {
		all = harness_records(&r, pred_any, NULL);
		total = count_kind(all, &execs);
		lost = lost_in(all, "sink:forward:");
		json_decref(all);
		got = wait_unique_seqs_of(&rc, (size_t)(total - lost), 0, "exec");
		if ((long long)got + lost == total)
			break;
		usleep(50000);
	}
	assert_int_equal(harness_stop(&r), 0);
	all = harness_records(&r, pred_any, NULL);
	total = count_kind(all, &execs);
	lost = lost_in(all, "sink:forward:");
	json_decref(all);
	got = wait_unique_seqs_of(&rc, (size_t)(total - lost), WAIT_MS, "exec");
	assert_int_equal(total, N);
	assert_true(lost > 0);
	assert_int_equal((long long)got + lost, total);
	assert_int_equal(wait_unique_seqs_of(&rc, 0, 0, "loss"), 0);
	harness_cleanup(&r);
	receiver_cleanup(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packed_forward_acked),
		cmocka_unit_test(test_compressed_packed_forward_acked),
		cmocka_unit_test(test_shared_key_right),
		cmocka_unit_test(test_shared_key_wrong),
		cmocka_unit_test(test_tls_verified),
		cmocka_unit_test(test_receiver_restart_loses_nothing),
		cmocka_unit_test(test_receiver_restart_spooled),
		cmocka_unit_test(test_spool_bound_drops_oldest_counted),
		cmocka_unit_test(test_queue_bound_counts_drops),
		cmocka_unit_test(test_ocsf_line_event_time),
		cmocka_unit_test(test_bad_specs_rejected),
		cmocka_unit_test(test_agent_end_to_end),
		cmocka_unit_test(test_agent_sigkill_spool_replayed),
		cmocka_unit_test(test_agent_spool_overflow_loss_record),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("e2e forward", tests, NULL, NULL);
}
