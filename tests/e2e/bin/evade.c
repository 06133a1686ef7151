/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evade - what an attacker inside a server does to hide an exec, for the
 * e2e tests.  Copied to a server's path, it is the server; every mode ends
 * by exec'ing PATH with argv ARG0 ARG... in some process, whose pid it
 * writes to PIDFILE (the last process of a chain: the one that execs).
 *
 *   evade exec PIDFILE PATH ARG0...       this process execs PATH (the
 *                                         server execs away from itself)
 *   evade spawn PIDFILE PATH ARG0...      a child execs PATH
 *   evade chain N HOP PIDFILE PATH ARG0... N - 1 processes below this one,
 *                                         each a child of the one before
 *                                         running HOP (this program at
 *                                         another path), all alive; the
 *                                         last one execs PATH
 *   evade orphan PIDFILE PATH ARG0...     a child forks the exec'ing
 *                                         grandchild and exits; the
 *                                         grandchild waits for that
 *   evade churn N PIDFILE PATH ARG0...    as orphan, and N short-lived
 *                                         processes start and exit before
 *                                         the exec
 *   evade memfd NAME SRC PIDFILE ARG0...  execs SRC's bytes from a memfd
 *                                         named NAME (fexecve)
 *   evade memfd-ld LDSO NAME SRC PIDFILE ARG0...
 *                                         the same through the dynamic
 *                                         loader: LDSO /proc/self/fd/N ...
 *   evade deleted SRC PIDFILE ARG0...     copies SRC to a file, opens it,
 *                                         unlinks it, execs the fd
 *   evade bind SRC TARGET PIDFILE ARG0... in a private mount namespace,
 *                                         bind mounts SRC over TARGET and
 *                                         execs TARGET
 *   evade chroot DIR PIDFILE PATH ARG0... chroot(DIR), exec PATH in it
 *   evade open PATH                       opens PATH and reads a byte (a
 *                                         program that reads a file)
 *   evade wait MS                         sleeps MS milliseconds (a program
 *                                         that lives long enough to be read)
 *   evade read PATH WAITFILE PIDFILE PROG ARG0...
 *                                         reads PATH, waits until WAITFILE
 *                                         exists ("-": not at all), then a
 *                                         child execs PROG (data-flow tests)
 *   evade connect ADDR PORT WAITFILE PIDFILE PROG ARG0...
 *                                         connects (TCP) to ADDR PORT, waits
 *                                         until WAITFILE exists, then this
 *                                         process execs PROG
 *
 * The modes that fork wait for their children and exit with the exec'd
 * program's status; a failed exec exits 100 + errno.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAIL(what) (perror(what), _exit(errno > 0 && errno < 100 ? 100 + errno : 127))

static void write_pid(const char *pidfile)
{
	FILE *f = fopen(pidfile, "w");

	if (f) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
}

/* Writes the pid, execs; on failure exits 100 + errno. */
static void run(const char *pidfile, const char *path, char **argv)
{
	write_pid(pidfile);
	execv(path, argv);
	FAIL("execv");
}

static int wait_status(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 4;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 5;
}

/* n - 1 more levels below this process, each exec'ing hop; the last one execs path. */
static int chain(int n, char *hop, char *pidfile, char **rest)
{
	char depth[16];
	pid_t pid;

	if (n <= 1)
		run(pidfile, rest[0], rest + 1);
	pid = fork();
	if (pid == 0) {
		char *argv[64] = { hop, "chain", depth, hop, pidfile };
		int i;

		snprintf(depth, sizeof(depth), "%d", n - 1);
		for (i = 0; rest[i] && i < 58; i++)
			argv[5 + i] = rest[i];
		execv(hop, argv);
		FAIL("execv hop");
	}
	return wait_status(pid);
}

static int spawn(const char *pidfile, const char *path, char **argv)
{
	pid_t pid = fork();

	if (pid == 0)
		run(pidfile, path, argv);
	return wait_status(pid);
}

/*
 * A grandchild whose parent exits first; churn processes start and die
 * before its exec.  Returns once it exec'd (the pipe's write end closes).
 */
static int orphan(int churn, const char *pidfile, const char *path, char **argv)
{
	int pfd[2];
	char c;
	pid_t mid;

	if (pipe2(pfd, O_CLOEXEC))
		return 3;
	mid = fork();
	if (mid == 0) {
		pid_t me = getpid(), last = fork();

		if (last == 0) {
			close(pfd[0]);
			while (getppid() == me)	/* until its parent died */
				usleep(1000);
			for (int i = 0; i < churn; i++) {
				pid_t p = fork();

				if (p == 0)
					_exit(0);
				waitpid(p, NULL, 0);
			}
			if (write(pfd[1], "x", 1) != 1)
				_exit(3);
			run(pidfile, path, argv);
		}
		_exit(last > 0 ? 0 : 3);
	}
	close(pfd[1]);
	wait_status(mid);
	if (read(pfd[0], &c, 1) != 1)
		return 3;
	while (read(pfd[0], &c, 1) > 0)
		;	/* EOF: the exec closed the write end */
	close(pfd[0]);
	return 0;
}

static int copy_fd(const char *src, int out)
{
	char buf[65536];
	ssize_t n;
	int in = open(src, O_RDONLY | O_CLOEXEC);

	if (in < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			close(in);
			return -1;
		}
	close(in);
	return n < 0 ? -1 : 0;
}

static int memfd_exec(const char *name, const char *src, const char *pidfile, char **argv)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return wait_status(pid);
	fd = (int)syscall(SYS_memfd_create, name, 0);
	if (fd < 0 || copy_fd(src, fd))
		FAIL("memfd");
	write_pid(pidfile);
	fexecve(fd, argv, (char *[]){ NULL });
	FAIL("fexecve");
}

static int memfd_ld_exec(const char *ldso, const char *name, const char *src,
			 const char *pidfile, char **argv)
{
	char fdpath[32], *args[64] = { argv[0], fdpath };
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return wait_status(pid);
	fd = (int)syscall(SYS_memfd_create, name, 0);
	if (fd < 0 || copy_fd(src, fd))
		FAIL("memfd");
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	for (int i = 1; argv[i] && i < 62; i++)
		args[i + 1] = argv[i];
	run(pidfile, ldso, args);
	return 0;
}

static int deleted_exec(const char *src, const char *pidfile, char **argv)
{
	char tmp[] = "/tmp/evade-deleted-XXXXXX";
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return wait_status(pid);
	fd = mkstemp(tmp);
	if (fd < 0 || copy_fd(src, fd) || fchmod(fd, 0755) || close(fd))
		FAIL("copy");
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || unlink(tmp))
		FAIL("reopen");
	write_pid(pidfile);
	fexecve(fd, argv, (char *[]){ NULL });
	FAIL("fexecve");
}

static int bind_exec(const char *src, const char *target, const char *pidfile, char **argv)
{
	pid_t pid = fork();

	if (pid != 0)
		return wait_status(pid);
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(src, target, NULL, MS_BIND, NULL))
		FAIL("bind mount");
	run(pidfile, target, argv);
	return 0;
}

static int chroot_exec(const char *dir, const char *pidfile, const char *path, char **argv)
{
	pid_t pid = fork();

	if (pid != 0)
		return wait_status(pid);
	/* the pid file is written before: its path is outside the new root */
	write_pid(pidfile);
	if (chroot(dir) || chdir("/"))
		FAIL("chroot");
	execv(path, argv);
	FAIL("execv");
}

static int open_read(const char *path);

static int read_then(const char *path, const char *waitfile, const char *pidfile,
		     const char *prog, char **argv)
{
	if (open_read(path))
		FAIL("read");
	while (strcmp(waitfile, "-") != 0 && access(waitfile, F_OK) != 0)
		usleep(10000);
	return spawn(pidfile, prog, argv);
}

/* connect() to addr:port (its outcome does not matter), wait, then exec prog here. */
static int connect_then(const char *addr, const char *port, const char *waitfile,
			const char *pidfile, const char *prog, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		FAIL("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		close(fd);
	while (access(waitfile, F_OK) != 0)
		usleep(10000);
	run(pidfile, prog, argv);
	return 0;
}

static int open_read(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	if (read(fd, &c, 1) < 0)
		c = 0;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "open") == 0 && argc > 2)
		return open_read(argv[2]);
	if (strcmp(mode, "read") == 0 && argc > 6)
		return read_then(argv[2], argv[3], argv[4], argv[5], argv + 6);
	if (strcmp(mode, "connect") == 0 && argc > 7)
		return connect_then(argv[2], argv[3], argv[4], argv[5], argv[6], argv + 7);
	if (strcmp(mode, "wait") == 0 && argc > 2)
		return usleep((useconds_t)atoi(argv[2]) * 1000) ? 1 : 0;
	if (strcmp(mode, "exec") == 0 && argc > 4)
		run(argv[2], argv[3], argv + 4);
	if (strcmp(mode, "spawn") == 0 && argc > 4)
		return spawn(argv[2], argv[3], argv + 4);
	if (strcmp(mode, "chain") == 0 && argc > 6)
		return chain(atoi(argv[2]), argv[3], argv[4], argv + 5);
	if (strcmp(mode, "orphan") == 0 && argc > 4)
		return orphan(0, argv[2], argv[3], argv + 4);
	if (strcmp(mode, "churn") == 0 && argc > 5)
		return orphan(atoi(argv[2]), argv[3], argv[4], argv + 5);
	if (strcmp(mode, "memfd") == 0 && argc > 5)
		return memfd_exec(argv[2], argv[3], argv[4], argv + 5);
	if (strcmp(mode, "memfd-ld") == 0 && argc > 6)
		return memfd_ld_exec(argv[2], argv[3], argv[4], argv[5], argv + 6);
	if (strcmp(mode, "deleted") == 0 && argc > 4)
		return deleted_exec(argv[2], argv[3], argv + 4);
	if (strcmp(mode, "bind") == 0 && argc > 5)
		return bind_exec(argv[2], argv[3], argv[4], argv + 5);
	if (strcmp(mode, "chroot") == 0 && argc > 5)
		return chroot_exec(argv[2], argv[3], argv[4], argv + 5);
	fprintf(stderr, "usage: evade exec|spawn|chain|orphan|churn|memfd|memfd-ld|deleted|bind|"
		"chroot|open|wait|read|connect ... "
		"(see evade.c)\n");
	return 2;
}
