/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dns.c - end to end for bpf/dns.bpf.c and the names in net.bpf.c's
 * decision: a DNS responder of the test's own (bin/dnsd) on 127.0.0.35
 * port 5353, which the agent trusts (--dns-server), and another on
 * 127.0.0.36 it does not; answers asked for by dnsd itself (UDP or TCP),
 * then connects from netpoke to the addresses they gave.  Loopback only.
 *
 * Rules: every loopback destination is flagged unless approved by name
 * (api.vendor.test:PORT, cname.vendor.test, v6.vendor.test,
 * tcp.vendor.test, and *.hostile.test, which the hostile answers name);
 * evil.test is refused.  A resolver on the trusted address in a network
 * namespace the test makes is not trusted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "pinhelp.h"

#define WAIT_MS 5000
#define DNS_ADDR "127.0.0.35"
#define DNS_UNTRUSTED "127.0.0.36"
#define DNS_PORT 5353
#define GRACE_S 1

static struct {
	struct agent_run r;
	int egress_off;
	char policy[80];
	char netpoke[PATH_MAX], dnsd[PATH_MAX];
	pid_t server, untrusted;
	int port;			/* the port api.vendor.test is approved on */
} g;

/* every loopback destination flagged (the rules' head, and the whole of
 * the on-demand group's rules: no name anywhere) */
#define EGRESS_ALL							\
	"custos: 1\n"							\
	"rules:\n"							\
	"  - id: dns-egress\n"						\
	"    on: connect\n"						\
	"    severity: high\n"						\
	"    when:\n"							\
	"      dest: [127.0.0.0/8, \"::1\"]\n"

static const char rules_fmt[] =
	EGRESS_ALL
	"    unless:\n"
	"      - dest: [\"api.vendor.test:%d\", cname.vendor.test, v6.vendor.test,\n"
	"               tcp.vendor.test, \"*.hostile.test\"]\n"
	"  - id: dns-block\n"
	"    on: connect\n"
	"    severity: critical\n"
	"    action: block\n"
	"    when:\n"
	"      dest: evil.test\n";

static pid_t serve(const char *addr)
{
	char port[16];
	pid_t pid;

	snprintf(port, sizeof(port), "%d", DNS_PORT);
	pid = harness_spawn(g.dnsd, (char *[]){ g.dnsd, "serve", (char *)addr, port, NULL });
	usleep(200000);		/* bound before the first question */
	return pid;
}

static int group_setup(void **state)
{
	char helper[512], yaml[4096], server[64], grace[16];
	const char *args[] = { "--dns-server", server, "--dns-grace", grace, NULL };

	memset(&g, 0, sizeof(g));
	g.port = 20000 + getpid() % 20000;
	snprintf(yaml, sizeof(yaml), rules_fmt, g.port);
	if (harness_setup(&g.r, yaml) || policy_of(g.r.rules, g.policy, sizeof(g.policy)))
		return -1;
	if (!realpath(harness_helper("netpoke", helper, sizeof(helper)), g.netpoke) ||
	    !realpath(harness_helper("dnsd", helper, sizeof(helper)), g.dnsd))
		return -1;
	g.server = serve(DNS_ADDR);
	g.untrusted = serve(DNS_UNTRUSTED);
	snprintf(server, sizeof(server), "%s:%d", DNS_ADDR, DNS_PORT);
	snprintf(grace, sizeof(grace), "%d", GRACE_S);
	if (harness_start(&g.r, args))
		return -1;
	g.egress_off = harness_log_contains(&g.r, "connect rules will NOT fire", 0);
	return 0;
}

/* (a test that stopped the agent for good leaves none to stop) */
static int group_teardown(void **state)
{
	int rc = g.r.pid > 0 ? harness_stop(&g.r) : 0;

	kill(g.server, SIGTERM);
	kill(g.untrusted, SIGTERM);
	waitpid(g.server, NULL, 0);
	waitpid(g.untrusted, NULL, 0);
	harness_cleanup(&g.r);
	return rc == 0 ? 0 : -1;
}

/* dnsd asks server for name (over TCP when tcp); its exit status. */
static int ask(const char *server, const char *name, int tcp)
{
	char port[16];
	pid_t pid;

	snprintf(port, sizeof(port), "%d", DNS_PORT);
	pid = harness_spawn(g.dnsd, (char *[]){ g.dnsd, "ask", (char *)server, port, (char *)name,
						tcp ? "tcp" : NULL, NULL });
	return harness_wait(pid);
}

/* netpoke tcp addr port: its exit status, *pid its pid */
static int connect_to(const char *addr, int port, pid_t *pid)
{
	char p[16];

	snprintf(p, sizeof(p), "%d", port);
	*pid = harness_spawn(g.netpoke, (char *[]){ g.netpoke, "tcp", (char *)addr, p, NULL });
	return harness_wait(*pid);
}

static json_t *wait_rec(pid_t pid, const char *rule)
{
	struct kind_pid kp = { "connect", pid, rule };

	return harness_wait_record(&g.r, pred_kind_pid, &kp, WAIT_MS);
}

/* A flagged connect: its record's every connect field and the process. */
static void assert_flagged(pid_t pid, const char *rule, const char *family, const char *dest,
			   int port, const char *dest_name, int blocked)
{
	json_t *rec = wait_rec(pid, rule), *c;
	int block = strcmp(rule, "dns-block") == 0;

	assert_non_null(rec);
	c = json_object_get(rec, "connect");
	assert_common_fields(rec, "connect", rule, block ? "critical" : "high",
			     block && blocked ? "block" : "alert", g.policy);
	assert_int_equal(jint(rec, "process.pid"), pid);
	assert_int_equal(jint(rec, "process.ppid"), getpid());
	assert_string_equal(jstr(rec, "process.exe"), g.netpoke);
	assert_string_equal(jstr(rec, "process.comm"), "netpoke");
	assert_string_equal(jstr(rec, "connect.proto"), "tcp");
	assert_string_equal(jstr(rec, "connect.family"), family);
	assert_string_equal(jstr(rec, "connect.dest"), dest);
	assert_int_equal(jint(rec, "connect.port"), port);
	if (dest_name)
		assert_string_equal(jstr(rec, "connect.dest_name"), dest_name);
	else
		assert_null(json_object_get(c, "dest_name"));
	assert_int_equal(json_is_true(json_object_get(c, "blocked")), blocked);
	json_decref(rec);
}

/* Records arrive in order: a later flagged connect shows none came before. */
static void assert_quiet(pid_t quiet)
{
	pid_t pid;
	json_t *all, *rec;

	assert_int_equal(connect_to("127.0.0.99", g.port, &pid), ECONNREFUSED);
	rec = wait_rec(pid, "dns-egress");	/* a later record: the quiet one's would be in */
	assert_non_null(rec);
	json_decref(rec);
	all = harness_records(&g.r, pred_pid, &quiet);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
}

#define NEEDS_EGRESS()                                                             \
	do {                                                                       \
		if (g.egress_off) {                                                \
			print_message("egress hooks do not load on this kernel\n"); \
			fail();                                                    \
		}                                                                  \
	} while (0)

/* The approved name's address is quiet, the evil one refused, and an
 * address no answer gave is reported without a name. */
static void test_names_decide(void **state)
{
	pid_t ok, evil, unknown, otherport;

	NEEDS_EGRESS();
	assert_int_equal(ask(DNS_ADDR, "api.vendor.test", 0), 0);
	assert_int_equal(ask(DNS_ADDR, "evil.test", 0), 0);
	/* nothing listens: ECONNREFUSED means the hook let it through */
	assert_int_equal(connect_to("127.0.0.5", g.port, &ok), ECONNREFUSED);
	assert_int_equal(connect_to("127.0.0.5", g.port + 1, &otherport), ECONNREFUSED);
	assert_int_equal(connect_to("127.0.0.6", g.port, &evil), EPERM);
	assert_int_equal(connect_to("127.0.0.7", g.port, &unknown), ECONNREFUSED);
	/* another port of the approved name is not approved; its record names it */
	assert_flagged(otherport, "dns-egress", "inet", "127.0.0.5", g.port + 1,
		       "api.vendor.test", 0);
	assert_flagged(evil, "dns-block", "inet", "127.0.0.6", g.port, "evil.test", 1);
	assert_flagged(evil, "dns-egress", "inet", "127.0.0.6", g.port, "evil.test", 1);
	assert_flagged(unknown, "dns-egress", "inet", "127.0.0.7", g.port, NULL, 0);
	assert_quiet(ok);
}

/* TTL 2 s + grace 1 s: then the address is no longer approved, and no
 * longer named. */
static void test_ttl_and_grace(void **state)
{
	pid_t during, after;

	NEEDS_EGRESS();
	assert_int_equal(ask(DNS_ADDR, "api.vendor.test", 0), 0);
	assert_int_equal(connect_to("127.0.0.5", g.port, &during), ECONNREFUSED);
	sleep(2 + GRACE_S + 1);
	assert_int_equal(connect_to("127.0.0.5", g.port, &after), ECONNREFUSED);
	assert_flagged(after, "dns-egress", "inet", "127.0.0.5", g.port, NULL, 0);
	assert_quiet(during);
}

/* A CNAME chain binds its final address to the asked name. */
static void test_cname_chain(void **state)
{
	pid_t ok, evil;

	NEEDS_EGRESS();
	assert_int_equal(ask(DNS_ADDR, "cname.vendor.test", 0), 0);
	assert_int_equal(ask(DNS_ADDR, "chain.evil.test", 0), 0);
	assert_int_equal(connect_to("127.0.0.8", 9, &ok), ECONNREFUSED);
	assert_int_equal(connect_to("127.0.0.10", 9, &evil), ECONNREFUSED);
	/* bound to chain.evil.test, not to edge2.cdn.test */
	assert_flagged(evil, "dns-egress", "inet", "127.0.0.10", 9, "chain.evil.test", 0);
	assert_quiet(ok);
}

/* AAAA ::1, and an answer over TCP. */
static void test_aaaa_and_tcp(void **state)
{
	pid_t v6, tcp;

	NEEDS_EGRESS();
	assert_int_equal(ask(DNS_ADDR, "v6.vendor.test", 0), 0);
	assert_int_equal(ask(DNS_ADDR, "tcp.vendor.test", 1), 0);
	assert_int_equal(connect_to("::1", 9, &v6), ECONNREFUSED);
	assert_int_equal(connect_to("127.0.0.11", 9, &tcp), ECONNREFUSED);
	assert_quiet(v6);
	assert_quiet(tcp);
}

/* Hostile answers and an untrusted resolver bind nothing: the address is
 * reported without a name, and the agent and the kernel go on. */
static void test_hostile_and_untrusted(void **state)
{
	static const char *const hostile[] = { "trunc.hostile.test", "loop.hostile.test",
					       "badlen.hostile.test", "many.hostile.test" };
	pid_t pid, untrusted, upper;

	NEEDS_EGRESS();
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		ask(DNS_ADDR, hostile[i], 0);	/* dnsd may not read its own answer */
		assert_int_equal(connect_to("127.0.0.12", 9, &pid), ECONNREFUSED);
		assert_flagged(pid, "dns-egress", "inet", "127.0.0.12", 9, NULL, 0);
	}
	assert_int_equal(ask(DNS_UNTRUSTED, "other.hostile.test", 0), 0);
	assert_int_equal(connect_to("127.0.0.14", 9, &untrusted), ECONNREFUSED);
	assert_flagged(untrusted, "dns-egress", "inet", "127.0.0.14", 9, NULL, 0);
	/* a question in upper case binds the lower case name */
	assert_int_equal(ask(DNS_ADDR, "UPPER.Hostile.TEST", 0), 0);
	assert_int_equal(connect_to("127.0.0.15", 9, &upper), ECONNREFUSED);
	assert_quiet(upper);
	assert_true(harness_log_contains(&g.r, "custos: ready", 0));
}

/* In a network namespace of its own (the caller's child): lo up. */
static int own_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, rc;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	rc = rc ? rc : ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return rc;
}

/*
 * A resolver on the trusted address and port, but in a network namespace
 * of the asker's own (root in a container, or anyone allowed a user
 * namespace, can make one): its answers bind nothing, so the address it
 * gives for an approved name stays unapproved on the host.
 */
static void test_resolver_of_another_netns(void **state)
{
	pid_t child, server, pid;
	int status = -1;

	NEEDS_EGRESS();
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (own_netns())
			_exit(90);
		server = serve(DNS_ADDR);
		status = ask(DNS_ADDR, "other.hostile.test", 0);
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
		_exit(status);
	}
	assert_int_equal(harness_wait(child), 0);	/* it answered, in there */
	assert_int_equal(connect_to("127.0.0.14", 9, &pid), ECONNREFUSED);
	assert_flagged(pid, "dns-egress", "inet", "127.0.0.14", 9, NULL, 0);
}

/* `custos events --dest NAME` finds the records by the name they carry. */
static void test_events_dest_name(void **state)
{
	char out[16384];
	pid_t evil;
	int rc;

	NEEDS_EGRESS();
	assert_int_equal(ask(DNS_ADDR, "evil.test", 0), 0);
	assert_int_equal(connect_to("127.0.0.6", 9, &evil), EPERM);
	json_decref(wait_rec(evil, "dns-block"));
	rc = harness_capture((char *[]){ (char *)harness_custos(), "events", "--json",
					 "--dest", "evil.test:9", g.r.events, NULL },
			     out, sizeof(out));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"dest_name\":\"evil.test\""));
	assert_null(strstr(out, "\"dest_name\":\"api.vendor.test\""));
	/* no record names a *.hostile.test: the hostile answers bound nothing, and
	 * upper.hostile.test's address was approved (exit 1: none matched) */
	rc = harness_capture((char *[]){ (char *)harness_custos(), "events", "--json",
					 "--dest", "*.hostile.test", g.r.events, NULL },
			     out, sizeof(out));
	assert_int_equal(rc, 1);
	assert_null(strstr(out, "\"dest_name\""));
}

/* The binding table in `custos status` (JSON) and the metrics. */
static void test_status(void **state)
{
	char out[65536], sock[400];
	json_t *st;
	int rc;

	NEEDS_EGRESS();
	assert_int_equal(ask(DNS_ADDR, "cname.vendor.test", 0), 0);
	snprintf(sock, sizeof(sock), "%s/status.sock", g.r.dir);
	rc = harness_capture((char *[]){ (char *)harness_custos(), "status", "--json", "--socket",
					 sock, NULL }, out, sizeof(out));
	assert_int_equal(rc, 0);
	st = json_loads(out, 0, NULL);
	assert_non_null(st);
	assert_true(jint(st, "dns.bindings") >= 1);
	assert_int_equal(jint(st, "dns.capacity"), 8192);
	assert_int_equal(jint(st, "dns.evictions"), 0);
	assert_true(jint(st, "bpf.dns_answers") >= 1);
	assert_true(jint(st, "bpf.dns_malformed") >= 1);	/* the hostile answers */
	json_decref(st);
	rc = harness_capture((char *[]){ (char *)harness_custos(), "status", "--metrics",
					 "--socket", sock, NULL }, out, sizeof(out));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\ncustos_dns_bindings_capacity 8192\n"));
	assert_non_null(strstr(out, "\ncustos_dns_evictions_total 0\n"));
}

/* --- answers read on demand (--dns-names) --------------------------------- */

static const char unnamed_rules[] = EGRESS_ALL;

#define PIN_DIR_FMT "/sys/fs/bpf/custos-e2e-dns-%d"

/* Starts the group's agent (stopped first when running) on the trusted
 * resolver: pinned in pin (NULL: --no-pin), with --dns-names names (NULL:
 * the default); 0 or -errno. */
static int start_agent(const char *pin, const char *names)
{
	char server[64], grace[16];
	const char *args[10] = { "--dns-server", server, "--dns-grace", grace };
	int n = 4;

	if (g.r.pid > 0 && harness_stop(&g.r) != 0)
		return -1;
	snprintf(server, sizeof(server), "%s:%d", DNS_ADDR, DNS_PORT);
	snprintf(grace, sizeof(grace), "%d", GRACE_S);
	if (pin) {
		args[n++] = "--pin-dir";
		args[n++] = pin;
	}
	if (names) {
		args[n++] = "--dns-names";
		args[n++] = names;
	}
	args[n] = NULL;
	return harness_start(&g.r, args);
}

static int unnamed_setup(void **state)
{
	char helper[512];

	memset(&g, 0, sizeof(g));
	g.port = 20000 + getpid() % 20000;
	if (harness_setup(&g.r, unnamed_rules) || policy_of(g.r.rules, g.policy, sizeof(g.policy)))
		return -1;
	if (!realpath(harness_helper("netpoke", helper, sizeof(helper)), g.netpoke) ||
	    !realpath(harness_helper("dnsd", helper, sizeof(helper)), g.dnsd))
		return -1;
	pin_unload_stale();
	g.server = serve(DNS_ADDR);
	g.untrusted = serve(DNS_UNTRUSTED);
	if (start_agent(NULL, NULL))
		return -1;
	g.egress_off = harness_log_contains(&g.r, "connect rules will NOT fire", 0);
	return 0;
}

/* `custos status --json` of the group's agent, parsed (the caller decrefs). */
static json_t *status_json(void)
{
	char out[65536], sock[400];
	json_t *st;

	snprintf(sock, sizeof(sock), "%s/status.sock", g.r.dir);
	assert_int_equal(harness_capture((char *[]){ (char *)harness_custos(), "status", "--json",
						     "--socket", sock, NULL }, out, sizeof(out)), 0);
	st = json_loads(out, 0, NULL);
	assert_non_null(st);
	return st;
}

/* Does the agent read DNS answers now (status), and agree with want? */
static void assert_reading(int want)
{
	json_t *st = status_json();

	assert_int_equal(json_is_true(json_object_get(json_object_get(st, "dns"), "reading")), want);
	json_decref(st);
}

/* SIGHUP into rules (yaml), waited for; the policy of the records follows. */
static void reload_into(const char *yaml, const char *logged)
{
	assert_int_equal(harness_write_rules(&g.r, yaml), 0);
	assert_int_equal(policy_of(g.r.rules, g.policy, sizeof(g.policy)), 0);
	assert_int_equal(kill(g.r.pid, SIGHUP), 0);
	assert_true(harness_log_contains(&g.r, logged, HARNESS_START_MS));
}

/*
 * No rule names a destination: the program that reads answers is not
 * attached (every packet of the host would run it for nothing), no answer
 * is read, and a record names no destination even when its address was
 * just answered for a name.
 */
static void test_unnamed_reads_nothing(void **state)
{
	pid_t pid;
	json_t *st;

	NEEDS_EGRESS();
	assert_false(harness_hook_attached(&g.r, "net__cg_dns"));
	assert_true(harness_log_contains(&g.r, "DNS answers are not read", 0));
	assert_reading(0);
	assert_int_equal(ask(DNS_ADDR, "cname.vendor.test", 0), 0);
	assert_int_equal(connect_to("127.0.0.8", 9, &pid), ECONNREFUSED);
	assert_flagged(pid, "dns-egress", "inet", "127.0.0.8", 9, NULL, 0);
	st = status_json();
	assert_int_equal(jint(st, "bpf.dns_answers"), 0);
	assert_int_equal(jint(st, "dns.bindings"), 0);
	json_decref(st);
}

/*
 * A reload that adds a name attaches the program: the name approves its
 * address from the next answer on, and a record names it; a reload that
 * takes the names away detaches it again.  In place (--no-pin).
 */
static void test_reload_reads_names(void **state)
{
	char yaml[4096];
	pid_t ok, other;

	NEEDS_EGRESS();
	snprintf(yaml, sizeof(yaml), rules_fmt, g.port);
	reload_into(yaml, "reload: 2 rules in force");
	assert_reading(1);
	assert_int_equal(ask(DNS_ADDR, "api.vendor.test", 0), 0);
	assert_int_equal(connect_to("127.0.0.5", g.port, &ok), ECONNREFUSED);
	assert_int_equal(connect_to("127.0.0.5", g.port + 1, &other), ECONNREFUSED);
	assert_flagged(other, "dns-egress", "inet", "127.0.0.5", g.port + 1, "api.vendor.test", 0);
	assert_quiet(ok);

	reload_into(unnamed_rules, "reload: no connect rule names a destination by DNS name");
	assert_reading(0);
}

/* --dns-names always: read with no rule naming anything, records named. */
static void test_always_names_records(void **state)
{
	pid_t pid;

	NEEDS_EGRESS();
	assert_int_equal(start_agent(NULL, "always"), 0);
	assert_true(harness_hook_attached(&g.r, "net__cg_dns"));
	assert_reading(1);
	assert_int_equal(ask(DNS_ADDR, "cname.vendor.test", 0), 0);
	assert_int_equal(connect_to("127.0.0.8", 9, &pid), ECONNREFUSED);
	assert_flagged(pid, "dns-egress", "inet", "127.0.0.8", 9, "cname.vendor.test", 0);
}

/*
 * Pinned: a restart with the same rules and another --dns-names does not
 * adopt the pinned set as it is (it would go on not reading): it swaps its
 * own in; a hand-over reload that adds a name reads answers and approves by
 * them.  (Each full load is slow in the kernel-matrix guests: kept few.)
 */
static void test_pinned_follows_names(void **state)
{
	char pin[128], yaml[4096], out[4096];
	pid_t ok;

	NEEDS_EGRESS();
	snprintf(pin, sizeof(pin), PIN_DIR_FMT, (int)getpid());
	assert_int_equal(start_agent(pin, NULL), 0);
	assert_reading(0);
	/* the same again: adopted, where the set could be pinned whole (a
	 * classic tracepoint cannot be before 5.15) */
	assert_int_equal(start_agent(pin, NULL), 0);
	assert_true(harness_log_contains(&g.r, "pin: adopted", 0) ||
		    harness_log_contains(&g.r, "incomplete (links missing)", 0));
	assert_reading(0);
	assert_int_equal(start_agent(pin, "always"), 0);
	assert_false(harness_log_contains(&g.r, "pin: adopted", 0));
	assert_true(harness_log_contains(&g.r, "not reading DNS answers (--dns-names always)", 0) ||
		    harness_log_contains(&g.r, "incomplete (links missing)", 0));
	assert_reading(1);
	assert_int_equal(start_agent(pin, NULL), 0);	/* auto: a full load, not reading */
	assert_reading(0);

	snprintf(yaml, sizeof(yaml), rules_fmt, g.port);
	reload_into(yaml, "a new agent in this process took over");
	assert_reading(1);
	assert_int_equal(ask(DNS_ADDR, "api.vendor.test", 0), 0);
	assert_int_equal(connect_to("127.0.0.5", g.port, &ok), ECONNREFUSED);
	assert_quiet(ok);
	assert_int_equal(harness_stop(&g.r), 0);
	assert_unloaded(pin, out, sizeof(out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_decide),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_aaaa_and_tcp),
		cmocka_unit_test(test_hostile_and_untrusted),
		cmocka_unit_test(test_resolver_of_another_netns),
		cmocka_unit_test(test_events_dest_name),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_ttl_and_grace),
	};

	const struct CMUnitTest on_demand[] = {
		cmocka_unit_test(test_unnamed_reads_nothing),
		cmocka_unit_test(test_reload_reads_names),
		cmocka_unit_test(test_always_names_records),
		cmocka_unit_test(test_pinned_follows_names),
	};
	const char *forced = getenv("CUSTOS_E2E_ARGS");
	int rc = cmocka_run_group_tests_name("e2e dns", tests, group_setup, group_teardown);

	/* whether answers are read is the cgroup program's attach, the same on
	 * every backend: its many full loads (slow in the kernel-matrix guests)
	 * run once per kernel, with the backend the agent picks */
	if (forced && strstr(forced, "--backend")) {
		printf("e2e dns on demand: run with the default backend only (%s given)\n", forced);
		return rc;
	}
	return rc + cmocka_run_group_tests_name("e2e dns on demand", on_demand, unnamed_setup,
						group_teardown);
}
