/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netpoke - one connect, send or socket trick, for the egress e2e tests
 * (test_net.c, test_netsock.c).
 *
 *   netpoke [-g CGROUPDIR] [-n] [-u UID] HOW ADDR PORT [HOP]
 * tcp: connect(); udp: sendto() on an unconnected socket; udpconn: connect()
 * a UDP socket, then send(); udplite, udpliteconn: the same over UDP-Lite;
 * raw: an ICMP echo request (ICMPv6 for an IPv6 ADDR) with sendto() on a
 * SOCK_RAW socket; rawconn: connect() it, then send(); ping: the echo
 * request on a ping socket (SOCK_DGRAM + ICMP); sctp: connect() an SCTP
 * socket; packet: an AF_PACKET socket sending one frame to ADDR on lo;
 * packet32, packetcall32: the same with the socket made by an ia32 socket()
 * or socketcall(SYS_SOCKET) (int 0x80; ENOSYS where the kernel runs none);
 * sockpacket: the same through an old AF_INET + SOCK_PACKET socket;
 * srr: a UDP socket with IP_OPTIONS holding a loose source route via HOP,
 * then sendto() ADDR; rthdr: an IPv6 UDP socket with an IPv6 segment routing
 * header (IPV6_RTHDR) whose first segment is HOP, then sendto() ADDR;
 * pktopts: the same socket with IPV6_2292PKTOPTIONS holding PKTOPTS_PAD
 * hop limits (more control messages than the kernel side reads), then
 * sendto() ADDR.
 * PORT is ignored where the protocol has none.  ADDR is IPv4 or IPv6
 * (::ffff:a.b.c.d uses an AF_INET6 socket).  -g first moves this process
 * into the cgroup v2 DIR; -n into a new network namespace with lo up and
 * ping sockets allowed to every group; -u then becomes UID (and group UID).
 * Exits 0 when every call succeeded, else with the errno of the first that
 * failed (EPERM: 1), and prints which call and why.  The tests only ever
 * pass loopback addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#define IPV6_SRCRT_TYPE_4 4

/* An ICMP(v6) echo request; the IPv6 stack fills in the ICMPv6 checksum. */
static size_t echo_request(unsigned char *buf, int v6)
{
	unsigned sum = 0;

	memset(buf, 0, 16);
	buf[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	buf[4] = (unsigned char)(getpid() >> 8);
	buf[5] = (unsigned char)getpid();
	buf[7] = 1;			/* sequence 1 */
	memcpy(buf + 8, "custos-e", 8);
	if (!v6) {
		for (int i = 0; i < 16; i += 2)
			sum += (unsigned)(buf[i] << 8 | buf[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		sum = ~sum & 0xffff;
		buf[2] = (unsigned char)(sum >> 8);
		buf[3] = (unsigned char)sum;
	}
	return 16;
}

static int join_cgroup(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "0\n");
	return fclose(f);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return rc;
}

/* A network namespace of its own: lo up, ping sockets for every group. */
static int own_netns(void)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		return -1;
	close(fd);
	return write_file("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
}

/* The outcome of one call: 0, or its errno after saying which call failed. */
static int check(int ok, const char *what)
{
	int e = errno;

	if (ok)
		return 0;
	printf("netpoke: %s: %s\n", what, strerror(e));
	return e ? e : EIO;
}

/*
 * socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) as an ia32 syscall (int 0x80
 * from this 64-bit process): socket (359) or, with call, socketcall (102)
 * SYS_SOCKET with its three arguments in memory below 4 GiB.  The fd, or
 * -errno; -ENOSYS also where the kernel runs no ia32 syscalls (int 0x80
 * then faults: the caller checks first, ia32_available).
 */
static int socket_ia32(int call)
{
#if defined(__x86_64__)
	unsigned int *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long ret = call ? 102 : 359;

	if (low == MAP_FAILED)
		return -errno;
	low[0] = AF_PACKET;
	low[1] = SOCK_RAW;
	low[2] = htons(ETH_P_ALL);
	if (call)	/* socketcall(SYS_SOCKET, args) */
		asm volatile("int $0x80"
			     : "+a"(ret)
			     : "b"(1), "c"(low)
			     : "memory", "r8", "r9", "r10", "r11");
	else		/* int 0x80 from 64-bit code clears r8-r11 */
		asm volatile("int $0x80"
			     : "+a"(ret)
			     : "b"(low[0]), "c"(low[1]), "d"(low[2])
			     : "memory", "r8", "r9", "r10", "r11");
	return (int)ret;
#else
	(void)call;
	return -ENOSYS;
#endif
}

/* Does this kernel run ia32 syscalls (int 0x80 getpid in a child)? */
static int ia32_available(void)
{
#if defined(__x86_64__)
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		long ret = 20;	/* ia32 getpid */

		asm volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
		_exit(ret == getpid() ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
#else
	return 0;
#endif
}

/* One Ethernet frame to lo (all zero addresses) carrying an IPv4 ethertype
 * and a marker, through an AF_PACKET socket (how: packet, or packet32,
 * packetcall32 for one made by an ia32 socket() or socketcall()). */
static int packet_send(const char *how)
{
	unsigned char frame[64] = { 0 };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	int fd, rc;

	if (strcmp(how, "packet") == 0) {
		fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	} else {
		if (!ia32_available()) {
			errno = ENOSYS;
			return check(0, "int 0x80");
		}
		fd = socket_ia32(strcmp(how, "packetcall32") == 0);
		if (fd < 0)
			errno = -fd;
	}
	if ((rc = check(fd >= 0, "socket")))
		return rc;
	ll.sll_ifindex = (int)if_nametoindex("lo");
	ll.sll_protocol = htons(ETH_P_IP);
	frame[12] = 0x08;			/* ETH_P_IP */
	memcpy(frame + 14, "custos-packet", 13);
	return check(sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&ll, sizeof(ll)) ==
		     (ssize_t)sizeof(frame), "sendto");
}

/* The same frame on an old AF_INET + SOCK_PACKET socket (the kernel makes it AF_PACKET). */
static int sockpacket_send(void)
{
	unsigned char frame[64] = { 0 };
	struct sockaddr_pkt sp = { .spkt_family = AF_PACKET, .spkt_device = "lo",
				   .spkt_protocol = htons(ETH_P_IP) };
	int fd = socket(AF_INET, SOCK_PACKET, htons(ETH_P_ALL)), rc;

	if ((rc = check(fd >= 0, "socket")))
		return rc;
	frame[12] = 0x08;			/* ETH_P_IP */
	memcpy(frame + 14, "custos-sockpkt", 14);
	return check(sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&sp, sizeof(sp)) ==
		     (ssize_t)sizeof(frame), "sendto");
}

/* IP_OPTIONS: NOP, then a loose source route (type, length 7, pointer 4, hop). */
static int set_srr(int fd, const char *hop)
{
	unsigned char opt[8] = { 1, 0x83, 7, 4 };

	if (inet_pton(AF_INET, hop, opt + 4) != 1)
		return EINVAL;
	return check(setsockopt(fd, IPPROTO_IP, IP_OPTIONS, opt, sizeof(opt)) == 0, "setsockopt");
}

/* IPV6_RTHDR: a segment routing header with one segment, the hop (the
 * first address the packets go to). */
static int set_rthdr(int fd, const char *hop)
{
	unsigned char srh[24] = { 0, 2, IPV6_SRCRT_TYPE_4, 0, 0, 0, 0, 0 };

	if (inet_pton(AF_INET6, hop, srh + 8) != 1)
		return EINVAL;
	return check(setsockopt(fd, IPPROTO_IPV6, IPV6_RTHDR, srh, sizeof(srh)) == 0,
		     "setsockopt");
}

#ifndef IPV6_2292PKTOPTIONS
#define IPV6_2292PKTOPTIONS 6
#endif
#ifndef IPV6_2292HOPLIMIT
#define IPV6_2292HOPLIMIT 8
#endif
#define PKTOPTS_PAD 20		/* hop limits set */

/*
 * IPV6_2292PKTOPTIONS: PKTOPTS_PAD control messages setting the hop limit.
 * (A routing header among them would be type 2, the only type the kernel
 * takes in a control message, and only with Mobile IPv6 built in.)
 */
static int set_pktopts(int fd)
{
	unsigned char buf[PKTOPTS_PAD * CMSG_SPACE(sizeof(int))] = { 0 }, *p = buf;

	for (int i = 0; i < PKTOPTS_PAD; i++) {
		struct cmsghdr *c = (struct cmsghdr *)p;

		c->cmsg_len = CMSG_LEN(sizeof(int));
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_2292HOPLIMIT;
		*(int *)CMSG_DATA(c) = 64;
		p += CMSG_SPACE(sizeof(int));
	}
	return check(setsockopt(fd, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, buf, sizeof(buf)) == 0,
		     "setsockopt");
}

/* HOW on a socket of family fam to ss: the socket, then its calls. */
static int poke(const char *how, struct sockaddr_storage *ss, socklen_t len, const char *hop)
{
	int v6 = ss->ss_family == AF_INET6, type = SOCK_DGRAM, proto = 0, fd, rc;
	int conn = strstr(how, "conn") != NULL;
	unsigned char pkt[16];
	size_t plen = 1;
	const void *data = "x";

	if (strncmp(how, "packet", 6) == 0)
		return packet_send(how);
	if (strcmp(how, "sockpacket") == 0)
		return sockpacket_send();
	if (strcmp(how, "tcp") == 0 || strcmp(how, "sctp") == 0)
		type = SOCK_STREAM;
	if (strcmp(how, "sctp") == 0)
		proto = IPPROTO_SCTP;
	if (strncmp(how, "udplite", 7) == 0)
		proto = IPPROTO_UDPLITE;
	if (strncmp(how, "raw", 3) == 0 || strcmp(how, "ping") == 0) {
		type = how[0] == 'r' ? SOCK_RAW : SOCK_DGRAM;
		proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		plen = echo_request(pkt, v6);
		data = pkt;
		((struct sockaddr_in *)ss)->sin_port = 0;	/* sin6_port: same offset */
	}
	fd = socket(ss->ss_family, type, proto);
	if ((rc = check(fd >= 0, "socket")))
		return rc;
	if (strcmp(how, "srr") == 0 && (rc = set_srr(fd, hop)))
		return rc;
	if (strcmp(how, "rthdr") == 0 && (rc = set_rthdr(fd, hop)))
		return rc;
	if (strcmp(how, "pktopts") == 0 && (rc = set_pktopts(fd)))
		return rc;
	if (type == SOCK_STREAM)
		return check(connect(fd, (struct sockaddr *)ss, len) == 0, "connect");
	if (conn) {
		if ((rc = check(connect(fd, (struct sockaddr *)ss, len) == 0, "connect")))
			return rc;
		return check(send(fd, data, plen, 0) == (ssize_t)plen, "send");
	}
	return check(sendto(fd, data, plen, 0, (struct sockaddr *)ss, len) == (ssize_t)plen,
		     "sendto");
}

static int usage(void)
{
	fprintf(stderr, "usage: netpoke [-g CGROUPDIR] [-n] [-u UID] tcp|udp|udpconn|udplite|"
		"udpliteconn|raw|rawconn|ping|sctp|packet|packet32|packetcall32|sockpacket|srr|rthdr|"
		"pktopts ADDR PORT [HOP]\n");
	return 101;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int opt, rc;

	while ((opt = getopt(argc, argv, "+g:nu:")) != -1) {
		if (opt == 'g' && join_cgroup(optarg)) {
			perror("netpoke: joining the cgroup");
			return 100;
		}
		if (opt == 'n' && own_netns()) {
			perror("netpoke: a network namespace of its own");
			return 100;
		}
		if (opt == 'u' && (setgid((gid_t)atoi(optarg)) || setuid((uid_t)atoi(optarg)))) {
			perror("netpoke: becoming the user");
			return 100;
		}
		if (opt == '?')
			return usage();
	}
	argc -= optind;
	argv += optind;
	if (argc != 3 && argc != 4)
		return usage();
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[1], &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)atoi(argv[2]));
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, argv[1], &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)atoi(argv[2]));
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "netpoke: bad address %s\n", argv[1]);
		return 102;
	}
	rc = poke(argv[0], &ss, len, argc == 4 ? argv[3] : "");
	if (rc == 0)
		printf("netpoke: ok\n");
	return rc;
}
