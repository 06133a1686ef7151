/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spawner - stands for an inference server in the e2e tests: it is copied to a
 * path of its own (e.g. .../opt/vllm/bin/vllm-serve) and spawns a program.
 *
 *   spawner PIDFILE PATH ARG0 [ARG...]
 * forks; the child execs PATH with argv ARG0 ARG...; the parent writes the
 * child's pid to PIDFILE, waits, and exits with the child's status.  When the
 * exec fails the child exits with 100 + errno (EPERM: 101), so a test can
 * tell a refused exec from a missing file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	FILE *f;
	pid_t pid;
	int status;

	if (argc < 4) {
		fprintf(stderr, "usage: spawner PIDFILE PATH ARG0 [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		execv(argv[2], argv + 3);
		_exit(errno > 0 && errno < 100 ? 100 + errno : 127);
	}
	f = fopen(argv[1], "w");
	if (f) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 4;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 5;
}
