/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netpoke - one connect or send, for the egress e2e tests (test_net.c).
 *
 *   netpoke [-g CGROUPDIR] tcp|udp|udpconn|raw|rawconn ADDR PORT
 * tcp: connect(); udp: sendto() on an unconnected socket; udpconn: connect()
 * a UDP socket, then send().  raw: an ICMP echo request (ICMPv6 for an IPv6
 * ADDR) with sendto() on a SOCK_RAW socket; rawconn: connect() it, then
 * send(); PORT is ignored (raw has none).  ADDR is IPv4 or IPv6 (::ffff:a.b.c.d uses an
 * AF_INET6 socket).  -g first moves this process into the cgroup v2 DIR.
 * Exits 0 when the call succeeded, else with its errno (EPERM: 1), and
 * prints the outcome.  The tests only ever pass loopback addresses.
 */
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	unsigned char pkt[16];
	size_t plen = 0;
	int fd, rc, type, proto = 0, raw;

	if (argc >= 3 && strcmp(argv[1], "-g") == 0) {
		if (join_cgroup(argv[2])) {
			perror("netpoke: joining the cgroup");
			return 100;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: netpoke [-g CGROUPDIR] tcp|udp|udpconn|raw|rawconn ADDR "
			"PORT\n");
		return 101;
	}
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[2], &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)atoi(argv[3]));
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, argv[2], &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)atoi(argv[3]));
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "netpoke: bad address %s\n", argv[2]);
		return 102;
	}
	raw = strncmp(argv[1], "raw", 3) == 0;
	type = strcmp(argv[1], "tcp") == 0 ? SOCK_STREAM : raw ? SOCK_RAW : SOCK_DGRAM;
	if (raw) {
		proto = ss.ss_family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		plen = echo_request(pkt, ss.ss_family == AF_INET6);
		a4->sin_port = 0;	/* sin6_port: same offset */
	}
	fd = socket(ss.ss_family, type, proto);
	if (fd < 0) {
		perror("netpoke: socket");
		return 103;
	}
	if (strcmp(argv[1], "udp") == 0) {
		rc = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) == 1 ? 0 : -1;
	} else if (strcmp(argv[1], "raw") == 0) {
		rc = sendto(fd, pkt, plen, 0, (struct sockaddr *)&ss, len) == (ssize_t)plen ? 0 : -1;
	} else {
		rc = connect(fd, (struct sockaddr *)&ss, len);
		if (rc == 0 && strcmp(argv[1], "udpconn") == 0)
			rc = send(fd, "x", 1, 0) == 1 ? 0 : -1;
		else if (rc == 0 && strcmp(argv[1], "rawconn") == 0)
			rc = send(fd, pkt, plen, 0) == (ssize_t)plen ? 0 : -1;
	}
	if (rc) {
		rc = errno;
		printf("netpoke: %s\n", strerror(rc));
		return rc;
	}
	printf("netpoke: ok\n");
	return 0;
}
