/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_netsock.c - end to end for bpf/netsock.bpf.c: sockets that no
 * connect/send hook judges (raw, ping, UDP-Lite, SCTP, AF_PACKET) and
 * source routes (IP_OPTIONS, IPv6 routing headers), from children of this
 * test, with the real agent.  Loopback only: 127.0.0.x, ::1, lo, and a
 * network namespace of netpoke's own (-n) for ping sockets.
 *
 * Two copies of netpoke run each trick: netpoke itself, which the block
 * rules refuse (EPERM, two records: the report rule's and the block
 * rule's), and dir/free/netpoke, which they exempt by identity (the call
 * goes through, one record: the report rule's).  The test binary itself is
 * exempt from every rule (its listeners and AF_PACKET capture).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define WAIT_MS 5000
#define NOBODY 65534

static struct {
	struct agent_run r;
	char policy[80];
	char netpoke[PATH_MAX];
	char free_copy[700];		/* dir/free/netpoke: exempt from the block rules */
	int lsm;			/* opt_netpacket__lsm attached: AF_PACKET is refused */
	int uport;			/* a UDP-Lite listener on 127.0.0.2 */
	int ufd;			/* -1: this kernel has no UDP-Lite (7.x removed it) */
	int cap;			/* AF_PACKET capture on lo */
} g;

static const char rules_fmt[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: sk-report\n"			/* every address: sockets made report */
	"    on: connect\n"
	"    severity: high\n"
	"    when:\n"
	"      dest: [\"0.0.0.0/0\", \"::/0\"]\n"
	"    unless:\n"
	"      - exe: \"%s\"\n"
	"  - id: sk-block\n"			/* names the kinds: refuses their creation */
	"    on: connect\n"
	"    severity: critical\n"
	"    action: block\n"
	"    when:\n"
	"      proto: [raw, icmp, packet, udplite, sctp]\n"
	"    unless:\n"
	"      - exe: [\"%s\", \"%s\"]\n"
	"  - id: sk-block-udp\n"		/* a UDP block rule: refuses source routes */
	"    on: connect\n"
	"    severity: critical\n"
	"    action: block\n"
	"    when:\n"
	"      dest: 127.0.0.99/32\n"
	"    unless:\n"
	"      - exe: [\"%s\", \"%s\"]\n";

static int udplite_listener(const char *addr, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDPLITE);

	inet_pton(AF_INET, addr, &a.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* An AF_PACKET socket on lo: sees every frame that goes out there. */
static int capture_lo(void)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));

	ll.sll_ifindex = (int)if_nametoindex("lo");
	if (fd < 0 || bind(fd, (struct sockaddr *)&ll, sizeof(ll)))
		return -1;
	return fd;
}

/* Did a frame holding marker go out on lo since the last call? */
static int captured(const char *marker)
{
	unsigned char buf[2048];
	ssize_t n;
	int seen = 0;

	while ((n = recv(g.cap, buf, sizeof(buf), 0)) > 0)
		if (memmem(buf, (size_t)n, marker, strlen(marker)))
			seen = 1;
	return seen;
}

static int group_setup(void **state)
{
	char helper[512], self[PATH_MAX], yaml[5 * PATH_MAX + 2048], dir[300];

	memset(&g, 0, sizeof(g));
	if (harness_setup(&g.r, NULL))
		return -1;
	if (!realpath(harness_helper("netpoke", helper, sizeof(helper)), g.netpoke) ||
	    !realpath("/proc/self/exe", self))
		return -1;
	snprintf(dir, sizeof(dir), "%s/free", g.r.dir);
	mkdir(dir, 0755);
	snprintf(g.free_copy, sizeof(g.free_copy), "%s/netpoke", dir);
	if (harness_copy_file(g.netpoke, g.free_copy, 0755))
		return -1;
	g.ufd = udplite_listener("127.0.0.2", &g.uport);
	if (g.ufd < 0)
		g.uport = 9;
	g.cap = capture_lo();
	if (g.cap < 0)
		return -1;
	snprintf(yaml, sizeof(yaml), rules_fmt, self, self, g.free_copy, self, g.free_copy);
	if (harness_write_rules(&g.r, yaml) || policy_of(g.r.rules, g.policy, sizeof(g.policy)))
		return -1;
	if (harness_start(&g.r, NULL))
		return -1;
	g.lsm = harness_lsm_hook(&g.r, "opt_netpacket__lsm");
	return 0;
}

static int group_teardown(void **state)
{
	int rc = harness_stop(&g.r);

	if (g.ufd >= 0)
		close(g.ufd);
	close(g.cap);
	harness_cleanup(&g.r);
	return rc == 0 ? 0 : -1;
}

/* Runs prog [-n] [-u uid] how addr port [hop]; its exit status, *pid its pid. */
static int poke(const char *prog, int netns, int uid, const char *how, const char *addr,
		int port, const char *hop, pid_t *pid)
{
	char p[16], u[16];
	char *argv[12];
	int n = 0;

	snprintf(p, sizeof(p), "%d", port);
	snprintf(u, sizeof(u), "%d", uid);
	argv[n++] = (char *)prog;
	if (netns)
		argv[n++] = "-n";
	if (uid) {
		argv[n++] = "-u";
		argv[n++] = u;
	}
	argv[n++] = (char *)how;
	argv[n++] = (char *)addr;
	argv[n++] = p;
	if (hop)
		argv[n++] = (char *)hop;
	argv[n] = NULL;
	*pid = harness_spawn(prog, argv);
	return harness_wait(*pid);
}

/* What one socket record must say. */
struct want {
	const char *rule;
	const char *proto;		/* socket.proto */
	int protocol;			/* socket.protocol, -1: absent */
	const char *family, *type;
	const char *option, *hop;	/* NULL: a socket made */
	int uid;
	int blocked;
	const char *comm;		/* NULL: netpoke */
};

static void assert_socket(json_t *rec, pid_t pid, const char *exe, const struct want *w)
{
	char cg[4096];
	int block = strcmp(w->rule, "sk-report") != 0;
	json_t *s = json_object_get(rec, "socket");

	assert_common_fields(rec, "socket", w->rule, block ? "critical" : "high",
			     w->blocked && block ? "block" : "alert", g.policy);
	assert_int_equal(jint(rec, "process.pid"), pid);
	assert_int_equal(jint(rec, "process.tid"), pid);
	assert_int_equal(jint(rec, "process.ppid"), getpid());
	assert_int_equal(jint(rec, "process.uid"), w->uid);
	assert_string_equal(jstr(rec, "process.user"), w->uid ? "nobody" : "root");
	assert_string_equal(jstr(rec, "process.comm"), w->comm ? w->comm : "netpoke");
	assert_string_equal(jstr(rec, "process.exe"), exe);
	assert_int_equal(self_cgroup(cg, sizeof(cg)), 0);
	assert_string_equal(jstr(rec, "process.cgroup"), cg);
	assert_string_equal(jstr(rec, "socket.proto"), w->proto);
	assert_int_equal(jint(rec, "socket.protocol"), w->protocol);
	assert_string_equal(jstr(rec, "socket.family"), w->family);
	assert_string_equal(jstr(rec, "socket.type"), w->type);
	assert_string_equal(jstr(rec, "socket.op"), w->option ? "setsockopt" : "create");
	if (w->option) {
		assert_string_equal(jstr(rec, "socket.option"), w->option);
		assert_string_equal(jstr(rec, "socket.hop"), w->hop);
	} else {
		assert_null(json_object_get(s, "option"));
		assert_null(json_object_get(s, "hop"));
	}
	assert_true(json_is_boolean(json_object_get(s, "blocked")));
	assert_int_equal(json_is_true(json_object_get(s, "blocked")), w->blocked);
}

static json_t *wait_rec(pid_t pid, const char *rule)
{
	struct kind_pid kp = { "socket", pid, rule };

	return harness_wait_record(&g.r, pred_kind_pid, &kp, WAIT_MS);
}

/*
 * One trick twice: netpoke refused (EPERM; the report rule's record and the
 * block rule's, both blocked) where can_refuse, else let through with the
 * report rule's record alone; the exempt copy let through, one record.
 */
static pid_t trick(int netns, int uid, const char *how, const char *addr, const char *hop,
		   struct want w, const char *block_rule, int can_refuse)
{
	pid_t refused, exempt;
	json_t *rec, *all;

	assert_int_equal(poke(g.netpoke, netns, uid, how, addr, g.uport, hop, &refused),
			 can_refuse ? EPERM : 0);
	assert_int_equal(poke(g.free_copy, netns, uid, how, addr, g.uport, hop, &exempt), 0);

	w.blocked = 0;
	w.rule = "sk-report";
	rec = wait_rec(exempt, "sk-report");
	assert_non_null(rec);
	assert_socket(rec, exempt, g.free_copy, &w);
	json_decref(rec);

	w.blocked = can_refuse;
	rec = wait_rec(refused, "sk-report");
	assert_non_null(rec);
	assert_socket(rec, refused, g.netpoke, &w);
	json_decref(rec);
	if (can_refuse) {
		w.rule = block_rule;
		rec = wait_rec(refused, block_rule);
		assert_non_null(rec);
		assert_socket(rec, refused, g.netpoke, &w);
		json_decref(rec);
	}
	/* no other socket record: one per rule that flagged it (the exempt
	 * copy's sends are the report rule's connect records) */
	all = harness_records(&g.r, pred_kind_pid, &(struct kind_pid){ "socket", refused, NULL });
	assert_int_equal(json_array_size(all), can_refuse ? 2 : 1);
	json_decref(all);
	all = harness_records(&g.r, pred_kind_pid, &(struct kind_pid){ "socket", exempt, NULL });
	assert_int_equal(json_array_size(all), 1);
	json_decref(all);
	return exempt;
}

/* Datagrams the UDP-Lite listener on 127.0.0.2 got since the last call. */
static int received(void)
{
	char buf[64];
	int n = 0;

	while (recv(g.ufd, buf, sizeof(buf), 0) > 0)
		n++;
	return n;
}

static void test_raw_socket(void **state)
{
	struct want w = { .proto = "raw", .protocol = 1, .family = "inet", .type = "raw" };

	trick(0, 0, "raw", "127.0.0.2", NULL, w, "sk-block", 1);
}

static void test_raw_socket_v6(void **state)
{
	struct want w = { .proto = "raw", .protocol = 58, .family = "inet6", .type = "raw" };

	trick(0, 0, "raw", "::1", NULL, w, "sk-block", 1);
}

/* A ping socket needs no privilege: as nobody, in a namespace allowing it. */
static void test_ping_socket_unprivileged(void **state)
{
	struct want w = { .proto = "icmp", .protocol = 1, .family = "inet", .type = "dgram",
			  .uid = NOBODY };
	pid_t exempt = trick(1, NOBODY, "ping", "127.0.0.1", NULL, w, "sk-block", 1);
	json_t *rec;

	if (!harness_lsm_hook(&g.r, "opt_netguard__lsm_sendmsg"))
		return;
	/* under BPF LSM its send is judged too: a connect record, proto icmp, no port */
	rec = harness_wait_record(&g.r, pred_kind_pid,
				  &(struct kind_pid){ "connect", exempt, "sk-report" }, WAIT_MS);
	assert_non_null(rec);
	assert_string_equal(jstr(rec, "connect.proto"), "icmp");
	assert_int_equal(jint(rec, "connect.protocol"), 1);
	assert_string_equal(jstr(rec, "connect.dest"), "127.0.0.1");
	assert_int_equal(jint(rec, "connect.port"), 0);
	assert_int_equal(jint(rec, "process.uid"), NOBODY);
	json_decref(rec);
}

/* UDP-Lite needs no privilege either; its connect() passes no cgroup hook. */
static void test_udplite_socket_unprivileged(void **state)
{
	struct want w = { .proto = "udplite", .protocol = -1, .family = "inet", .type = "dgram",
			  .uid = NOBODY };

	pid_t pid;

	if (g.ufd < 0) {
		print_message("UDP-Lite: not in this kernel: asserting that no process can use it\n");
		assert_int_equal(poke(g.free_copy, 0, NOBODY, "udplite", "127.0.0.2", 9, NULL, &pid),
				 EPROTONOSUPPORT);
		return;
	}
	received();
	trick(0, NOBODY, "udpliteconn", "127.0.0.2", NULL, w, "sk-block", 1);
	assert_int_equal(received(), 1);	/* the exempt copy's; the refused never sent */
}

/* Is the socket-creation check of AF_PACKET attached: opt_netpacket (lsm,
 * fentry) or the syscall-exit program (tracepoint, raw)? */
static int packet_hooked(void)
{
	return harness_hook_attached(&g.r, "opt_netpacket__") ||
	       harness_hook_attached(&g.r, "file__btf") || harness_hook_attached(&g.r, "file__raw");
}

/*
 * AF_PACKET: refused under BPF LSM (socket_post_create), reported on the
 * other backends (fexit/__sock_create; the syscall exit of socket() under
 * tracepoint and raw).  Refused, no frame reaches lo.
 */
static void test_packet_socket(void **state)
{
	struct want w = { .proto = "packet", .protocol = ETH_P_ALL, .family = "packet",
			  .type = "raw" };

	print_message("AF_PACKET %s\n", g.lsm ? "refused (BPF LSM)" : "reported only");
	assert_true(packet_hooked());
	captured("custos-packet");
	trick(0, 0, "packet", "127.0.0.1", NULL, w, "sk-block", g.lsm);
	/* the exempt copy's frame went out; the refused one's never did */
	assert_true(captured("custos-packet"));
}

/*
 * The same socket made by an ia32 syscall, int 0x80 from a 64-bit process:
 * socket() (359) and socketcall(SYS_SOCKET) (102, its arguments in memory).
 * The kernel fires no syscall tracepoint for them: the tracepoint backends
 * judge them at the syscall's exit, where the raw tracepoint sees every
 * ABI.
 */
static void test_packet_socket_ia32(void **state)
{
	struct want w = { .proto = "packet", .protocol = ETH_P_ALL, .family = "packet",
			  .type = "raw" };
	static const char *const hows[] = { "packet32", "packetcall32" };
	pid_t pid;

	if (poke(g.free_copy, 0, 0, "packet32", "127.0.0.1", 0, NULL, &pid) == ENOSYS) {
		print_message("no ia32 syscalls on this kernel: int 0x80 sockets are not tried\n");
		return;
	}
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		print_message("AF_PACKET by ia32 %s\n", hows[i]);
		captured("custos-packet");
		trick(0, 0, hows[i], "127.0.0.1", NULL, w, "sk-block", g.lsm);
		assert_true(captured("custos-packet"));
	}
}

/*
 * The same socket made by io_uring (IORING_OP_SOCKET, 5.19 on): no socket()
 * syscall.  Refused under BPF LSM (socket_post_create runs for it too),
 * reported elsewhere: fexit/__sock_create, or the io_uring submission
 * tracepoint under tracepoint and raw.  Every field of the record.
 */
static void test_packet_socket_io_uring(void **state)
{
	struct want w = { .proto = "packet", .protocol = ETH_P_ALL, .family = "packet",
			  .type = "raw", .comm = "uring_open", .blocked = g.lsm };
	char helper[PATH_MAX], exe[PATH_MAX], fam[16], proto[16];
	const char *rules[] = { "sk-report", "sk-block" };
	pid_t pid;
	json_t *rec, *all;
	int rc;

	assert_non_null(realpath(harness_helper("uring_open", helper, sizeof(helper)), exe));
	snprintf(fam, sizeof(fam), "%d", AF_PACKET);
	snprintf(proto, sizeof(proto), "%d", htons(ETH_P_ALL));
	pid = harness_spawn(exe, (char *[]){ exe, "-s", fam, "3", proto, NULL });
	rc = harness_wait(pid);
	if (rc == 38 || rc == EINVAL) {
		print_message("io_uring %s here: its sockets are not tried\n",
			      rc == 38 ? "is disabled" : "has no IORING_OP_SOCKET (5.19+)");
		return;
	}
	assert_int_equal(rc, g.lsm ? EPERM : 0);
	for (int i = 0; i < (g.lsm ? 2 : 1); i++) {
		w.rule = rules[i];
		rec = wait_rec(pid, rules[i]);
		assert_non_null(rec);
		assert_socket(rec, pid, exe, &w);
		json_decref(rec);
	}
	all = harness_records(&g.r, pred_kind_pid, &(struct kind_pid){ "socket", pid, NULL });
	assert_int_equal(json_array_size(all), g.lsm ? 2 : 1);
	json_decref(all);
}

/* The old AF_INET + SOCK_PACKET, which the kernel makes an AF_PACKET socket: the same. */
static void test_sock_packet_socket(void **state)
{
	struct want w = { .proto = "packet", .protocol = ETH_P_ALL, .family = "packet",
			  .type = "packet" };

	captured("custos-sockpkt");
	trick(0, 0, "sockpacket", "127.0.0.1", NULL, w, "sk-block", g.lsm);
	assert_true(captured("custos-sockpkt"));
}

/* SCTP: refused at creation where the kernel has it (no hook sees its connect). */
static void test_sctp_socket(void **state)
{
	struct want w = { .proto = "sctp", .protocol = -1, .family = "inet", .type = "stream" };
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	if (fd < 0) {
		/* no SCTP in this kernel (not built, module absent): nothing can use it */
		print_message("SCTP: %s: asserting that no process can make one\n",
			      strerror(errno));
		assert_true(errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT);
		pid_t pid;

		assert_int_equal(poke(g.free_copy, 0, 0, "sctp", "127.0.0.2", 9, NULL, &pid),
				 errno);
		return;
	}
	close(fd);
	trick(0, 0, "sctp", "127.0.0.2", NULL, w, "sk-block", 1);
}

/* IP_OPTIONS with a loose source route (needs CAP_NET_RAW): refused under a
 * UDP block rule whatever its dest, and reported with the first hop. */
static void test_ip_source_route(void **state)
{
	struct want w = { .proto = "udp", .protocol = -1, .family = "inet", .type = "dgram",
			  .option = "IP_OPTIONS", .hop = "127.0.0.9" };

	trick(0, 0, "srr", "127.0.0.2", "127.0.0.9", w, "sk-block-udp", 1);
}

/* An IPv6 segment routing header needs no privilege. */
static void test_ipv6_routing_header_unprivileged(void **state)
{
	struct want w = { .proto = "udp", .protocol = -1, .family = "inet6", .type = "dgram",
			  .option = "IPV6_RTHDR", .hop = "::1", .uid = NOBODY };

	trick(0, NOBODY, "rthdr", "::1", "::1", w, "sk-block-udp", 1);
}

/*
 * IPV6_2292PKTOPTIONS with more control messages than the kernel side
 * looks at: one it did not read may set a routing header, so the option is
 * judged as a source route (fail closed), its hop unknown.
 */
static void test_ipv6_pktoptions_fail_closed(void **state)
{
	struct want w = { .proto = "udp", .protocol = -1, .family = "inet6", .type = "dgram",
			  .option = "IPV6_RTHDR", .hop = "::" };

	trick(0, 0, "pktopts", "::1", NULL, w, "sk-block-udp", 1);
}

/* TCP and UDP sockets are judged at connect/send: their creation says nothing. */
static void test_tcp_udp_creation_quiet(void **state)
{
	pid_t tcp, udp;
	json_t *all, *rec;

	assert_int_equal(poke(g.free_copy, 0, 0, "udp", "127.0.0.2", 9, NULL, &udp), 0);
	assert_int_equal(poke(g.free_copy, 0, 0, "tcp", "127.0.0.2", 9, NULL, &tcp),
			 ECONNREFUSED);
	/* their sends are the report rule's (every address): records of kind connect */
	rec = harness_wait_record(&g.r, pred_kind_pid,
				  &(struct kind_pid){ "connect", tcp, "sk-report" }, WAIT_MS);
	assert_non_null(rec);
	json_decref(rec);
	all = harness_records(&g.r, pred_pid, &udp);
	for (size_t i = 0; i < json_array_size(all); i++)
		assert_string_equal(jstr(json_array_get(all, i), "kind"), "connect");
	json_decref(all);
	all = harness_records(&g.r, pred_pid, &tcp);
	for (size_t i = 0; i < json_array_size(all); i++)
		assert_string_equal(jstr(json_array_get(all, i), "kind"), "connect");
	json_decref(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_socket),
		cmocka_unit_test(test_raw_socket_v6),
		cmocka_unit_test(test_ping_socket_unprivileged),
		cmocka_unit_test(test_udplite_socket_unprivileged),
		cmocka_unit_test(test_packet_socket),
		cmocka_unit_test(test_packet_socket_ia32),
		cmocka_unit_test(test_packet_socket_io_uring),
		cmocka_unit_test(test_sock_packet_socket),
		cmocka_unit_test(test_sctp_socket),
		cmocka_unit_test(test_ip_source_route),
		cmocka_unit_test(test_ipv6_routing_header_unprivileged),
		cmocka_unit_test(test_ipv6_pktoptions_fail_closed),
		cmocka_unit_test(test_tcp_udp_creation_quiet),
	};

	return cmocka_run_group_tests_name("e2e netsock", tests, group_setup, group_teardown);
}
