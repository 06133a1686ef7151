/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opener - opens files over and over, for the delivery e2e tests
 * (test_delivery.c): a flood, or a slow victim.
 *
 *   opener [-n N] [-t MS] [-i US] [-e PROG] -o COUNTFILE PATH...
 * opens (O_RDONLY) and closes the PATHs in turn, N times in all (-n) or for
 * MS milliseconds (-t), sleeping US microseconds between two opens (-i,
 * default 0), then writes how many opens succeeded to COUNTFILE.  Exits 0,
 * or 1 when an open failed.  -e: then execs PROG (a copy of opener) with
 * the same options but -e, which opens the PATHs as often again and writes
 * its own count to COUNTFILE.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	long long n = -1, ms = -1, done = 0, end;
	const char *out = NULL, *next = NULL;
	char **args = argv;
	useconds_t pause = 0;
	FILE *f;
	int c, failed = 0;

	while ((c = getopt(argc, argv, "n:t:i:o:e:")) != -1) {
		switch (c) {
		case 'n': n = atoll(optarg); break;
		case 't': ms = atoll(optarg); break;
		case 'i': pause = (useconds_t)atol(optarg); break;
		case 'o': out = optarg; break;
		case 'e': next = optarg; break;
		default: return 2;
		}
	}
	if (optind >= argc || !out || (n < 0 && ms < 0)) {
		fprintf(stderr, "usage: opener [-n N] [-t MS] [-i US] [-e PROG] -o COUNTFILE PATH...\n");
		return 2;
	}
	end = ms >= 0 ? now_ms() + ms : 0;
	for (long long i = 0; n < 0 || i < n; i++) {
		int fd;

		if (ms >= 0 && (i & 255) == 0 && now_ms() >= end)
			break;
		fd = open(argv[optind + i % (argc - optind)], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			failed = 1;
			continue;
		}
		close(fd);
		done++;
		if (pause)
			usleep(pause);
	}
	f = fopen(out, "w");
	if (!f)
		return 1;
	fprintf(f, "%lld\n", done);
	fclose(f);
	if (next && !failed) {	/* argv without -e PROG, PROG first */
		char *nargv[argc + 1];
		int k = 0;

		nargv[k++] = (char *)next;
		for (int i = 1; i < argc; i++) {
			if (!strcmp(args[i], "-e")) {
				i++;
				continue;
			}
			nargv[k++] = args[i];
		}
		nargv[k] = NULL;
		execv(next, nargv);
		return 1;
	}
	return failed;
}
