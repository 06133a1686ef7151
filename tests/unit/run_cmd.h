/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run_cmd.h - run build/custos from a unit test (fork/exec, output captured,
 * bounded time).  Tests run from the repository root (scripts/test.sh);
 * $CUSTOS_BIN names another binary (the sanitizer build's).
 */
#ifndef CUSTOS_TEST_RUN_CMD_H
#define CUSTOS_TEST_RUN_CMD_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CUSTOS_BIN (getenv("CUSTOS_BIN") ? getenv("CUSTOS_BIN") : "build/custos")

struct run_out {
	int status;		/* exit code; 128+sig when killed */
	char out[65536];	/* stdout */
	char err[16384];	/* stderr */
};

static void read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
}

/* argv[0] is ignored (CUSTOS_BIN is run); NULL-terminated. */
static int run_custos(struct run_out *o, char *const argv[])
{
	char errpath[] = "/tmp/custos-test-errXXXXXX";
	int pout[2], efd = mkstemp(errpath), st;
	pid_t pid;

	if (efd < 0 || pipe(pout))
		return -1;
	unlink(errpath);
	pid = fork();
	if (pid == 0) {
		dup2(pout[1], 1);
		dup2(efd, 2);
		close(pout[0]);
		alarm(20);	/* bounded: a hung command fails the test */
		execv(CUSTOS_BIN, argv);
		_exit(127);
	}
	close(pout[1]);
	read_all(pout[0], o->out, sizeof(o->out));
	close(pout[0]);
	waitpid(pid, &st, 0);
	lseek(efd, 0, SEEK_SET);
	read_all(efd, o->err, sizeof(o->err));
	close(efd);
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Nothing in a command's output can drive a terminal: no ESC, no CSI as
 * UTF-8, no right-to-left override (cmocka included before this header). */
static inline void assert_no_terminal_controls(const char *out)
{
	assert_null(strchr(out, '\033'));
	assert_null(strstr(out, "\xc2\x9b"));
	assert_null(strstr(out, "\xe2\x80\xae"));
}

#endif
