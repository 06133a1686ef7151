/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_persist.c - enforcement and evidence that survive the agent
 * (user/kernel/pin.c, user/agent/stream.c), with the real agent:
 *
 *   - SIGKILL during a block rule: the next connect is still refused, the
 *     restart opens with a gap record that counted it, seq goes on, the
 *     refused connect's own record is delivered; `custos unload` then
 *     leaves nothing pinned or attached;
 *   - a restart adopts the pinned programs (same link ids: no window) with
 *     the same policy; a new policy or another ring size swaps them;
 *   - a new policy after a SIGKILL: a connect tried in a loop all along is
 *     refused every time, the new rules are in force after the swap;
 *   - the same across a SIGHUP reload, which hands over to a new agent in
 *     the same process, and across an upgrade (programs of another build
 *     pinned: swapped, their maps not taken, their ring not read);
 *   - `custos unload` refuses while an agent runs;
 *   - --no-pin: nothing outlives the agent;
 *   - no bpffs mounted (a bare boot): the agent mounts it on /sys/fs/bpf and
 *     pins there (in a mount namespace of the test's own).
 *
 * Every test pins under its own /sys/fs/bpf/custos-e2e-PID-N and its
 * teardown unloads it, whatever happened: pinned block rules would outlive
 * the test and break every other suite on the host.  The addresses blocked
 * (127.0.0.77 to .80) are used by no other suite.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "delivery.h"
#include "harness.h"
#include "pinhelp.h"

enum {
	WAIT_MS = 10000,
	EXIT_EPERM = 1,		/* netpoke exits with the errno */
	EXIT_ECONNREFUSED = 111,
};

#define PIN_PREFIX "/sys/fs/bpf/custos-e2e-"

struct persist {
	struct agent_run r;
	char pin[128];
	int host_ns, cwd;	/* the test went into a mount namespace of its own */
};

/* a connect block rule on DEST (the %s), and an exec of @DIR@/marker reported */
static const char block_rules_fmt[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: e2e-persist-block\n"
	"    on: connect\n"
	"    severity: critical\n"
	"    action: block\n"
	"    when:\n"
	"      dest: %s\n"
	"  - id: e2e-persist-exec\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when:\n"
	"      exe: \"@DIR@/marker\"\n";

static char block_rules[sizeof(block_rules_fmt) + 64];
/* the same, and a second address blocked: another policy */
static char block_rules2[sizeof(block_rules_fmt) + 64];

/*
 * Does this kernel refuse connects (the cgroup egress programs, 5.17+)?
 * Where it does not, what survives the agent is shown with execs: they are
 * counted and their records kept by the pinned programs all the same.
 */
static int egress_on(struct agent_run *r)
{
	if (!harness_log_contains(r, "connect rules will NOT fire", 0))
		return 1;
	print_message("egress hooks do not load on this kernel: the connect checks are left out\n");
	return 0;
}

/* Whatever a crashed earlier run of this suite left pinned; the rules. */
static int group_setup(void **state)
{
	snprintf(block_rules, sizeof(block_rules), block_rules_fmt, "\"127.0.0.77:4477\"");
	snprintf(block_rules2, sizeof(block_rules2), block_rules_fmt,
		 "[\"127.0.0.77:4477\", \"127.0.0.78:4477\"]");
	pin_unload_stale();
	return 0;
}

static int setup(void **state)
{
	static int n;
	struct persist *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	p->r.pid = -1;
	p->host_ns = p->cwd = -1;
	snprintf(p->pin, sizeof(p->pin), PIN_PREFIX "%d-%d", (int)getpid(), ++n);
	*state = p;
	return 0;
}

/* The agent stopped, then everything it pinned unloaded: nothing outlives the test. */
static int teardown(void **state)
{
	struct persist *p = *state;
	char out[512];

	harness_cleanup(&p->r);
	pin_unload_dir(p->pin, out, sizeof(out));
	if (p->host_ns >= 0 && setns(p->host_ns, CLONE_NEWNS))
		fail_msg("going back to the host's mount namespace failed: %s", strerror(errno));
	if (p->cwd >= 0 && fchdir(p->cwd))
		fail_msg("going back to the working directory failed: %s", strerror(errno));
	if (p->host_ns >= 0)
		close(p->host_ns);
	if (p->cwd >= 0)
		close(p->cwd);
	free(p);
	return 0;
}

static int netpoke(const char *addr)
{
	char bin[512];
	char *argv[] = { (char *)harness_helper("netpoke", bin, sizeof(bin)), "tcp", (char *)addr,
			 "4477", NULL };

	return harness_wait(harness_spawn(argv[0], argv));
}

static int start_pinned(struct persist *p, const char *extra)
{
	const char *args[] = { "--pin-dir", p->pin, extra, extra ? "16M" : NULL, NULL };

	return harness_start(&p->r, args);
}

static int pred_kind(json_t *rec, void *kind)
{
	const char *k = jstr(rec, "kind");

	return k && !strcmp(k, kind);
}

static int pred_blocked_pid(json_t *rec, void *pid)
{
	struct kind_pid k = { "connect", *(pid_t *)pid, "e2e-persist-block" };

	return pred_kind_pid(rec, &k);
}

/* A copy of noop at DIR/marker, the exec rule's program; its path in out. */
static void install_marker(struct persist *p, char *out, size_t size)
{
	harness_noop_copy(p->r.dir, "marker", out, size);
}

static pid_t run_marker(const char *marker)
{
	pid_t pid = harness_spawn(marker, (char *[]){ (char *)marker, NULL });

	assert_int_equal(harness_wait(pid), 0);
	return pid;
}

static int pred_marker_pid(json_t *rec, void *pid)
{
	struct kind_pid k = { "exec", *(pid_t *)pid, "e2e-persist-exec" };

	return pred_kind_pid(rec, &k);
}

/* A record the pinned ring kept while no agent read: after the gap, in its time. */
static void assert_kept(json_t *rec, json_t *gap, long long seq)
{
	assert_non_null(rec);
	assert_true(jint(rec, "seq") > seq);
	assert_true(record_time_ns(rec, "time") >= record_time_ns(gap, "gap.from") &&
		    record_time_ns(rec, "time") <= record_time_ns(gap, "gap.to"));
	assert_string_equal(jstr(rec, "run"), jstr(gap, "run"));
}

/*
 * The run after a SIGKILL: its gap record first (what the kernel counted
 * meanwhile), then the records the pinned ring kept: the marker's exec
 * (mpid) and, where egress runs, the refused connect (pid).
 */
static void assert_gap_after_kill(struct persist *p, long long last_seq, pid_t mpid, pid_t pid)
{
	json_t *gap = harness_wait_record(&p->r, pred_kind, "gap", WAIT_MS), *rec;

	assert_non_null(gap);
	assert_int_equal(jint(gap, "seq"), last_seq + 1);
	assert_string_equal(jstr(gap, "gap.previous_end"), "unclean");
	assert_true(json_is_true(json_object_get(json_object_get(gap, "gap"), "enforced")));
	assert_true(jint(gap, "gap.counted.exec") >= 1);	/* the host's execs too */
	assert_int_equal(jint(gap, "gap.counted.connect_refused"), pid ? 1 : 0);
	assert_int_equal(jint(gap, "gap.counted.connect"), pid ? 1 : 0);
	assert_non_null(jstr(gap, "run"));
	rec = harness_wait_record(&p->r, pred_marker_pid, &mpid, WAIT_MS);
	assert_kept(rec, gap, last_seq);
	json_decref(rec);
	if (pid) {
		rec = harness_wait_record(&p->r, pred_blocked_pid, &pid, WAIT_MS);
		assert_kept(rec, gap, last_seq);
		assert_string_equal(jstr(rec, "action"), "block");
		json_decref(rec);
	}
	json_decref(gap);
}

/*
 * A classic tracepoint before 5.15 has no link to pin (docs/KERNELS.md): a
 * set with one stays incomplete and a later agent swaps in its own instead
 * of adopting it.  1, after saying so and stopping the agent, when that is
 * the case of the agent just started.
 */
static int partly_pinned(struct persist *p)
{
	char out[512];

	if (!harness_log_contains(&p->r, "cannot be pinned on this kernel", 0))
		return 0;
	print_message("some programs cannot be pinned on this kernel and backend: no "
		      "adoption to test\n");
	harness_stop(&p->r);
	pin_unload_dir(p->pin, out, sizeof(out));
	return 1;
}

static void test_sigkill_keeps_enforcing(void **state)
{
	struct persist *p = *state;
	__u32 ids[PIN_MAX_LINKS];
	char out[1024], np[512], marker[400];
	json_t *rec, *all;
	long long last_seq;
	int n, status, egress;
	pid_t pid = 0, mpid;

	assert_int_equal(harness_setup(&p->r, block_rules), 0);
	install_marker(p, marker, sizeof(marker));
	assert_int_equal(start_pinned(p, NULL), 0);
	if (partly_pinned(p))
		return;
	assert_true(harness_log_contains(&p->r, "stay attached when the agent stops", 0));
	egress = egress_on(&p->r);
	mpid = run_marker(marker);
	rec = harness_wait_record(&p->r, pred_marker_pid, &mpid, WAIT_MS);
	assert_non_null(rec);
	json_decref(rec);
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	all = harness_wait_record(&p->r, pred_kind, egress ? "connect" : "exec", WAIT_MS);
	json_decref(all);
	all = harness_records(&p->r, pred_any_record, NULL);
	last_seq = jint(json_array_get(all, json_array_size(all) - 1), "seq");
	json_decref(all);
	/* a heartbeat (every 100 ms) after the records: the gap counts from it */
	usleep(300000);

	kill(p->r.pid, SIGKILL);
	assert_int_equal(waitpid(p->r.pid, &status, 0), p->r.pid);
	p->r.pid = -1;
	/* no agent: the pinned programs still refuse, count and keep records */
	if (egress) {
		pid = harness_spawn(harness_helper("netpoke", np, sizeof(np)),
				    (char *[]){ np, "tcp", "127.0.0.77", "4477", NULL });
		assert_int_equal(harness_wait(pid), EXIT_EPERM);
	}
	mpid = run_marker(marker);

	assert_int_equal(start_pinned(p, NULL), 0);
	assert_true(harness_log_contains(&p->r, "pin: adopted the programs pinned", 0));
	assert_gap_after_kill(p, last_seq, mpid, egress ? pid : 0);
	assert_int_equal(harness_stop(&p->r), 0);

	/* a clean stop leaves the programs; unload takes them */
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	n = pin_link_ids(p->pin, ids);
	assert_true(n >= 3);
	assert_unloaded(p->pin, out, sizeof(out));
	assert_non_null(strstr(out, "programs detached"));
	assert_false(pin_links_left(ids, n));
	assert_int_equal(access(p->pin, F_OK), -1);
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_ECONNREFUSED);
	/* the whole stream, both runs, still verifies */
	{
		char *argv[] = { (char *)harness_custos(), "events", "verify", p->r.events, NULL };

		assert_int_equal(harness_capture(argv, out, sizeof(out)), 0);
	}
	all = harness_records(&p->r, pred_any_record, NULL);
	assert_string_equal(jstr(json_array_get(all, json_array_size(all) - 1), "kind"),
			    "checkpoint");
	json_decref(all);
}

static void test_restart_adopts_or_swaps(void **state)
{
	struct persist *p = *state;
	__u32 ids[PIN_MAX_LINKS], again[PIN_MAX_LINKS];
	json_t *gap;
	int n, egress;

	assert_int_equal(harness_setup(&p->r, block_rules), 0);
	assert_int_equal(start_pinned(p, NULL), 0);
	if (partly_pinned(p))
		return;
	n = pin_link_ids(p->pin, ids);
	assert_true(n >= 3);
	assert_int_equal(harness_stop(&p->r), 0);

	/* same build, same policy: the same links, never detached */
	assert_int_equal(start_pinned(p, NULL), 0);
	egress = egress_on(&p->r);
	assert_true(harness_log_contains(&p->r, "pin: adopted the programs pinned", 0));
	assert_int_equal(pin_link_ids(p->pin, again), n);
	assert_memory_equal(again, ids, n * sizeof(ids[0]));
	gap = harness_wait_record(&p->r, pred_kind, "gap", WAIT_MS);
	assert_non_null(gap);
	assert_string_equal(jstr(gap, "gap.previous_end"), "clean");
	json_decref(gap);
	if (egress)
		assert_int_equal(netpoke("127.0.0.78"), EXIT_ECONNREFUSED);
	assert_int_equal(harness_stop(&p->r), 0);

	/* a new policy: this agent's programs, filled, in; the old ones out */
	assert_int_equal(harness_write_rules(&p->r, block_rules2), 0);
	assert_int_equal(start_pinned(p, NULL), 0);
	assert_true(harness_log_contains(&p->r, "are holding another policy", 0));
	assert_false(harness_log_contains(&p->r, "pin: adopted the programs pinned", 0));
	assert_int_equal(pin_link_ids(p->pin, again), n);
	assert_false(pin_links_left(ids, n));
	if (egress) {
		assert_int_equal(netpoke("127.0.0.78"), EXIT_EPERM);
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	}
	assert_int_equal(harness_stop(&p->r), 0);

	/* another ring size: this agent's programs in, the old ones out */
	memcpy(ids, again, n * sizeof(ids[0]));
	assert_int_equal(start_pinned(p, "--ring-size"), 0);
	assert_true(harness_log_contains(&p->r, "loaded with another ring size", 0));
	assert_int_equal(pin_link_ids(p->pin, again), n);
	assert_false(pin_links_left(ids, n));
	if (egress)
		assert_int_equal(netpoke("127.0.0.78"), EXIT_EPERM);
	assert_int_equal(harness_stop(&p->r), 0);
}

/* block rules on 127.0.0.79 and on DIR/vault, the marker's exec; then the
 * same and .80 blocked */
#define SWAP_RULES \
	"custos: 1\n" \
	"rules:\n" \
	"  - id: e2e-persist-fileblock\n" \
	"    on: file\n" \
	"    severity: high\n" \
	"    action: block\n" \
	"    when:\n" \
	"      path: \"@DIR@/vault/**\"\n" \
	"  - id: e2e-persist-block\n" \
	"    on: connect\n" \
	"    severity: critical\n" \
	"    action: block\n" \
	"    when:\n" \
	"      dest: \"127.0.0.79:4477\"\n" \
	"  - id: e2e-persist-exec\n" \
	"    on: exec\n" \
	"    severity: low\n" \
	"    when:\n" \
	"      exe: \"@DIR@/marker\"\n"
static const char swap_rules_old[] = SWAP_RULES;
static const char swap_rules_new[] = SWAP_RULES
	"  - id: e2e-persist-block2\n"
	"    on: connect\n"
	"    severity: high\n"
	"    action: block\n"
	"    when:\n"
	"      dest: \"127.0.0.80:4477\"\n";

/* Written by the hammering child, read by the test (shared memory). */
struct hammer {
	volatile long attempts, escaped, opens, opened, stop;
	volatile int escaped_errno;
	char file[400];		/* a file under the block rule, opened too when set */
};

/* A child that connects to 127.0.0.79:4477 (and opens h->file) as fast as
 * it can until h->stop: a connect not refused with EPERM (a block rule's)
 * escaped, an open that succeeded was let through. */
static pid_t hammer_start(struct hammer *h)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(4477) };
	pid_t pid = fork();

	if (pid)
		return pid;
	inet_pton(AF_INET, "127.0.0.79", &sa.sin_addr);
	while (!h->stop) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0 && (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
				errno != EPERM)) {
			h->escaped_errno = errno;
			h->escaped++;
		}
		if (fd >= 0)
			close(fd);
		h->attempts++;
		if (!h->file[0])
			continue;
		fd = open(h->file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			h->opened++;
			close(fd);
		}
		h->opens++;
	}
	_exit(0);
}

/* The hammer's shared page, its file DIR/vault/key made under the block rule. */
static struct hammer *hammer_map(struct persist *p)
{
	struct hammer *h;
	char dir[512];
	int fd;

	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(h != MAP_FAILED);
	snprintf(dir, sizeof(dir), "%s/vault", p->r.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(h->file, sizeof(h->file), "%s/vault/key", p->r.dir);
	fd = open(h->file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	return h;
}

/* The log's line about the old set's detaching (with the time the swap took). */
static void print_swap_line(struct persist *p)
{
	char line[512];
	FILE *f = fopen(p->r.log, "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "pin: detached the"))
			print_message("%s", strstr(line, "pin: "));
	if (f)
		fclose(f);
}

/* The hammer started (opening too where the file guard runs: BPF LSM),
 * back once it has tried 1000 connects. */
static pid_t hammer_go(struct persist *p, struct hammer *h)
{
	pid_t pid;

	if (!harness_lsm_hook(&p->r, "file__lsm"))
		h->file[0] = '\0';
	pid = hammer_start(h);
	for (int i = 0; i < 500 && h->attempts < 1000; i++)
		usleep(10000);
	return pid;
}

/* 300 ms on, the hammer stopped: nothing got through, and it tried more
 * than 100 times since before (while what happened). */
static void hammer_done(struct persist *p, struct hammer *h, pid_t pid, long before,
			const char *what)
{
	int status;

	usleep(300000);
	h->stop = 1;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	print_message("%ld connects tried, %ld while %s; %ld not refused (errno %d); %ld opens, "
		      "%ld let through\n", h->attempts, h->attempts - before, what, h->escaped,
		      h->escaped_errno, h->opens, h->opened);
	print_swap_line(p);
	assert_int_equal(h->escaped, 0);
	assert_int_equal(h->opened, 0);
	assert_true(h->attempts - before > 100);
	munmap(h, sizeof(*h));
}

/*
 * swap_rules_old in force, pinned, the marker installed, the hammer's page
 * made; the pinned links' ids.  NULL when this kernel cannot show a swap
 * (links it cannot pin, no egress hooks).
 */
static struct hammer *swap_setup(struct persist *p, char *marker, size_t msize, char *policy,
				 size_t psize, __u32 *ids, int *n)
{
	struct hammer *h;

	assert_int_equal(harness_setup(&p->r, swap_rules_old), 0);
	install_marker(p, marker, msize);
	assert_int_equal(policy_of(p->r.rules, policy, psize), 0);
	h = hammer_map(p);
	assert_int_equal(start_pinned(p, NULL), 0);
	if (partly_pinned(p) || !egress_on(&p->r)) {
		munmap(h, sizeof(*h));
		return NULL;
	}
	*n = pin_link_ids(p->pin, ids);
	assert_true(*n >= 3);
	return h;
}

/*
 * After a swap (the log says why): this agent's n links pinned (their ids
 * in again), none of the old ones (ids) left; the gap record that opened
 * the run, of an end, enforced all along, under policy.
 */
static json_t *swapped_gap(struct persist *p, const char *why, const __u32 *ids, __u32 *again,
			   int n, const char *end, const char *policy)
{
	json_t *gap;

	assert_true(harness_log_contains(&p->r, why, 0));
	assert_int_equal(pin_link_ids(p->pin, again), n);
	assert_false(pin_links_left(ids, n));
	gap = harness_wait_record(&p->r, pred_kind, "gap", WAIT_MS);
	assert_non_null(gap);
	assert_string_equal(jstr(gap, "gap.previous_end"), end);
	assert_true(json_is_true(json_object_get(json_object_get(gap, "gap"), "enforced")));
	assert_string_equal(jstr(gap, "policy"), policy);
	return gap;
}

/* swap_rules_new's added rule refuses a connect to 127.0.0.80; its record
 * names policy. */
static void assert_added_rule_refuses(struct persist *p, const char *policy)
{
	char np[512];
	json_t *rec;
	pid_t pid;

	pid = harness_spawn(harness_helper("netpoke", np, sizeof(np)),
			    (char *[]){ np, "tcp", "127.0.0.80", "4477", NULL });
	assert_int_equal(harness_wait(pid), EXIT_EPERM);
	rec = harness_wait_record(&p->r, pred_kind_pid,
				  &(struct kind_pid){ "connect", pid, "e2e-persist-block2" }, WAIT_MS);
	assert_non_null(rec);
	assert_string_equal(jstr(rec, "action"), "block");
	assert_string_equal(jstr(rec, "policy"), policy);
	json_decref(rec);
}

static void test_new_policy_swapped_without_window(void **state)
{
	struct persist *p = *state;
	__u32 ids[PIN_MAX_LINKS], again[PIN_MAX_LINKS];
	char marker[400], old_policy[80], new_policy[80];
	struct hammer *h;
	json_t *gap, *rec;
	long before;
	int n, status;
	pid_t hpid, mpid;

	h = swap_setup(p, marker, sizeof(marker), old_policy, sizeof(old_policy), ids, &n);
	if (!h)
		return;
	assert_int_equal(netpoke("127.0.0.79"), EXIT_EPERM);
	assert_int_equal(netpoke("127.0.0.80"), EXIT_ECONNREFUSED);
	/* where the file guard runs (BPF LSM), the same for opens */
	hpid = hammer_go(p, h);
	usleep(300000);	/* a heartbeat after the first refusals */

	kill(p->r.pid, SIGKILL);
	assert_int_equal(waitpid(p->r.pid, &status, 0), p->r.pid);
	p->r.pid = -1;
	usleep(200000);
	mpid = run_marker(marker);
	before = h->attempts;
	assert_int_equal(harness_write_rules(&p->r, swap_rules_new), 0);
	assert_int_equal(policy_of(p->r.rules, new_policy, sizeof(new_policy)), 0);
	assert_int_equal(start_pinned(p, NULL), 0);
	hammer_done(p, h, hpid, before, "the new agent started and swapped");

	/* the swap, not an adoption; the gap: what the old set refused meanwhile */
	gap = swapped_gap(p, "are holding another policy", ids, again, n, "unclean", new_policy);
	assert_false(harness_log_contains(&p->r, "pin: adopted the programs pinned", 0));
	assert_true(jint(gap, "gap.counted.connect_refused") >= 1);
	assert_true(jint(gap, "gap.counted.connect") >= jint(gap, "gap.counted.connect_refused"));
	/* the marker's exec the old set kept */
	rec = harness_wait_record(&p->r, pred_marker_pid, &mpid, WAIT_MS);
	assert_kept(rec, gap, jint(gap, "seq"));
	assert_string_equal(jstr(rec, "rule"), "e2e-persist-exec");
	json_decref(rec);
	json_decref(gap);

	/* the new policy in force: the added rule refuses, records name the new policy */
	assert_string_not_equal(old_policy, new_policy);
	assert_added_rule_refuses(p, new_policy);
	assert_int_equal(netpoke("127.0.0.79"), EXIT_EPERM);
	assert_int_equal(harness_stop(&p->r), 0);
	/* what the swap pinned (its links, the carried maps, the policy) is adopted next */
	assert_int_equal(start_pinned(p, NULL), 0);
	assert_true(harness_log_contains(&p->r, "pin: adopted the programs pinned", 0));
	assert_int_equal(pin_link_ids(p->pin, ids), n);
	assert_memory_equal(ids, again, n * sizeof(ids[0]));
	assert_int_equal(netpoke("127.0.0.80"), EXIT_EPERM);
	assert_int_equal(harness_stop(&p->r), 0);
}

/*
 * A SIGHUP reload with pinned programs: the agent hands over to a new agent
 * in the same process, which swaps its programs in as a restart does.  A
 * connect (and, under BPF LSM, an open) tried in a loop all along is
 * refused every time; the stream goes on (the last run's closing
 * checkpoint, then a gap record of a clean end, seq one more); the added
 * rule refuses; the same process, counted as one reload.
 */
static void test_reload_hands_over_without_window(void **state)
{
	struct persist *p = *state;
	__u32 ids[PIN_MAX_LINKS], again[PIN_MAX_LINKS];
	char marker[400], old_policy[80], new_policy[80];
	struct hammer *h;
	json_t *gap, *last;
	long before;
	int n, status;
	pid_t hpid;

	h = swap_setup(p, marker, sizeof(marker), old_policy, sizeof(old_policy), ids, &n);
	if (!h)
		return;
	hpid = hammer_go(p, h);

	before = h->attempts;
	assert_int_equal(harness_write_rules(&p->r, swap_rules_new), 0);
	assert_int_equal(policy_of(p->r.rules, new_policy, sizeof(new_policy)), 0);
	kill(p->r.pid, SIGHUP);
	/* a full load, as a start: as long as harness_start waits */
	assert_true(harness_log_contains(&p->r, "(a new agent in this process took over)",
					 HARNESS_START_MS));
	hammer_done(p, h, hpid, before, "the reload handed over");

	/* the same process; its programs swapped, not adopted or refilled */
	assert_int_equal(waitpid(p->r.pid, &status, WNOHANG), 0);
	/* the stream: the first run's closing checkpoint, then a clean gap */
	gap = swapped_gap(p, "are to be replaced on a reload", ids, again, n, "clean", new_policy);
	last = harness_wait_record(&p->r, pred_kind, "checkpoint", WAIT_MS);
	assert_non_null(last);
	assert_true(json_is_true(json_object_get(json_object_get(last, "checkpoint"), "final")));
	assert_string_equal(jstr(last, "policy"), old_policy);
	assert_int_equal(jint(gap, "seq"), jint(last, "seq") + 1);
	assert_string_not_equal(jstr(gap, "run"), jstr(last, "run"));
	json_decref(last);
	json_decref(gap);

	/* the new rule refuses, its record names the new policy */
	assert_added_rule_refuses(p, new_policy);
	assert_int_equal(harness_stop(&p->r), 0);
}

/* What a version with another record layout would have left pinned: its
 * pin_meta names another BPF object and ABI. */
static void pin_meta_other_build(const char *pin)
{
	struct pin_meta m;
	char path[300];
	__u32 zero = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/maps/pin_meta", pin);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &zero, &m), 0);
	m.abi++;
	m.object[0] ^= 0xff;
	assert_int_equal(bpf_map_update_elem(fd, &zero, &m, BPF_ANY), 0);
	close(fd);
}

/*
 * An upgrade: the agent stops cleanly, and the next one finds the programs
 * of another build (another ABI) pinned.  It swaps its own in without
 * taking the old maps (their layout may differ): a connect (and under BPF
 * LSM an open) tried in a loop all along is refused every time; the gap
 * record counts what the old programs saw, and the exec the old ring
 * holds is not read (docs/OPERATIONS.md, "Upgrade").
 */
static void test_upgrade_swaps_without_window(void **state)
{
	struct persist *p = *state;
	__u32 ids[PIN_MAX_LINKS], again[PIN_MAX_LINKS];
	char marker[400], policy[80];
	struct hammer *h;
	json_t *gap;
	long before;
	int n;
	pid_t hpid, mpid;

	h = swap_setup(p, marker, sizeof(marker), policy, sizeof(policy), ids, &n);
	if (!h)
		return;
	hpid = hammer_go(p, h);
	assert_int_equal(harness_stop(&p->r), 0);
	mpid = run_marker(marker);	/* while no agent reads: into the old ring */
	pin_meta_other_build(p->pin);
	before = h->attempts;
	assert_int_equal(start_pinned(p, NULL), 0);
	hammer_done(p, h, hpid, before, "the other build's agent started and swapped");

	gap = swapped_gap(p, "are from another build of custos: loading this agent's, then",
			  ids, again, n, "clean", policy);
	assert_true(jint(gap, "gap.counted.exec") >= 1);
	assert_true(jint(gap, "gap.counted.connect_refused") >= 1);
	json_decref(gap);
	assert_false(harness_log_contains(&p->r, "on their ring, counters", 0));
	assert_null(harness_wait_record(&p->r, pred_marker_pid, &mpid, 1000));
	assert_int_equal(netpoke("127.0.0.79"), EXIT_EPERM);
	assert_int_equal(harness_stop(&p->r), 0);
}

static void test_unload_waits_for_the_agent(void **state)
{
	struct persist *p = *state;
	char out[1024];

	int egress;

	assert_int_equal(harness_setup(&p->r, block_rules), 0);
	assert_int_equal(start_pinned(p, NULL), 0);
	egress = egress_on(&p->r);
	assert_int_equal(pin_unload_dir(p->pin, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "a custos agent runs on it"));
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	assert_int_equal(harness_stop(&p->r), 0);
	assert_unloaded(p->pin, out, sizeof(out));
	assert_int_equal(access(p->pin, F_OK), -1);
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_ECONNREFUSED);
	/* again: nothing left to unload */
	assert_unloaded(p->pin, out, sizeof(out));
	assert_non_null(strstr(out, "nothing pinned"));
}

static void test_no_pin_leaves_nothing(void **state)
{
	struct persist *p = *state;
	int status, egress;

	assert_int_equal(harness_setup(&p->r, block_rules), 0);
	assert_int_equal(harness_start(&p->r, NULL), 0);	/* the harness adds --no-pin */
	egress = egress_on(&p->r);
	assert_false(harness_log_contains(&p->r, "stay attached", 0));
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	kill(p->r.pid, SIGKILL);
	assert_int_equal(waitpid(p->r.pid, &status, 0), p->r.pid);
	p->r.pid = -1;
	if (egress)
		assert_int_equal(netpoke("127.0.0.77"), EXIT_ECONNREFUSED);
	assert_int_equal(access(p->pin, F_OK), -1);
}

/*
 * bpffs not mounted on /sys/fs/bpf (a bare boot): the agent mounts it and
 * pins there.  In a mount namespace of the test's own, private, so that
 * neither the umount nor the agent's mount reaches the host's; teardown
 * unloads, then goes back to the host's namespace.
 */
static void test_mounts_missing_bpffs(void **state)
{
	struct persist *p = *state;
	__u32 ids[PIN_MAX_LINKS];
	char out[1024];
	struct statfs st;
	int n;

	assert_int_equal(harness_setup(&p->r, block_rules), 0);
	p->host_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	p->cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(p->host_ns >= 0 && p->cwd >= 0);
	assert_int_equal(unshare(CLONE_NEWNS), 0);
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	while (umount2("/sys/fs/bpf", MNT_DETACH) == 0)
		;	/* every bpffs stacked there */
	assert_int_equal(statfs("/sys/fs/bpf", &st), 0);
	assert_true(st.f_type != BPF_FS_MAGIC);

	assert_int_equal(start_pinned(p, NULL), 0);
	assert_true(harness_log_contains(&p->r, "pin: mounted bpffs on /sys/fs/bpf", 0));
	assert_int_equal(statfs("/sys/fs/bpf", &st), 0);
	assert_true(st.f_type == BPF_FS_MAGIC);
	if (partly_pinned(p))
		return;
	assert_true(harness_log_contains(&p->r, "stay attached when the agent stops", 0));
	n = pin_link_ids(p->pin, ids);
	assert_true(n >= 3);
	if (egress_on(&p->r))
		assert_int_equal(netpoke("127.0.0.77"), EXIT_EPERM);
	assert_int_equal(harness_stop(&p->r), 0);
	assert_int_equal(pin_link_ids(p->pin, ids), n);	/* outlived the agent */
	assert_unloaded(p->pin, out, sizeof(out));
	assert_false(pin_links_left(ids, n));
	assert_int_equal(access(p->pin, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigkill_keeps_enforcing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_adopts_or_swaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_policy_swapped_without_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload_hands_over_without_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_swaps_without_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unload_waits_for_the_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_pin_leaves_nothing, setup, teardown),
		/* last: it leaves the host's mount namespace (and comes back) */
		cmocka_unit_test_setup_teardown(test_mounts_missing_bpffs, setup, teardown),
	};

	return cmocka_run_group_tests_name("e2e persist", tests, group_setup, NULL);
}
