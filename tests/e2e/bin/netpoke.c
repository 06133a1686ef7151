/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netpoke - one connect or send, for the egress e2e tests (test_net.c).
 *
 *   netpoke [-g CGROUPDIR] tcp|udp|udpconn ADDR PORT
 * tcp: connect(); udp: sendto() on an unconnected socket; udpconn: connect()
 * a UDP socket, then send().  ADDR is IPv4 or IPv6 (::ffff:a.b.c.d uses an
 * AF_INET6 socket).  -g first moves this process into the cgroup v2 DIR.
 * Exits 0 when the call succeeded, else with its errno (EPERM: 1), and
 * prints the outcome.  The tests only ever pass loopback addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
	int fd, rc, type;

	if (argc >= 3 && strcmp(argv[1], "-g") == 0) {
		if (join_cgroup(argv[2])) {
			perror("netpoke: joining the cgroup");
			return 100;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: netpoke [-g CGROUPDIR] tcp|udp|udpconn ADDR PORT\n");
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
	type = strcmp(argv[1], "tcp") == 0 ? SOCK_STREAM : SOCK_DGRAM;
	fd = socket(ss.ss_family, type, 0);
	if (fd < 0) {
		perror("netpoke: socket");
		return 103;
	}
	if (strcmp(argv[1], "udp") == 0) {
		rc = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) == 1 ? 0 : -1;
	} else {
		rc = connect(fd, (struct sockaddr *)&ss, len);
		if (rc == 0 && strcmp(argv[1], "udpconn") == 0)
			rc = send(fd, "x", 1, 0) == 1 ? 0 : -1;
	}
	if (rc) {
		rc = errno;
		printf("netpoke: %s\n", strerror(rc));
		return rc;
	}
	printf("netpoke: ok\n");
	return 0;
}
