/* SPDX-License-Identifier: Apache-2.0 */
/*
 * workload - the syscall loops `make bench` times with and without the agent.
 *
 *   workload open     [-n N | -t SECS] [-d DIR] [-f FILES] [-s BYTES] [-l LEVELS] [-b LEAVES]
 *   workload connect  [-n N | -t SECS]
 *   workload exec     [-n N | -t SECS] [-x PATH]
 *   workload pyimport [-n N | -t SECS] [-x PYTHON]
 *
 * open:    FILES files of BYTES bytes are created in DIR (default: a fresh
 *          mkdtemp dir under $TMPDIR or /tmp, removed at the end), spread
 *          over LEAVES directories LEVELS deep (default 1 and 0: DIR itself;
 *          leaf k is DIR/dK/l1/.../l(LEVELS-1)); one op is open(O_RDONLY) +
 *          read(BYTES) + close, round robin over the files, file i in leaf
 *          i % LEAVES (a shuffled data loader's order: each op in another
 *          directory).
 * pyimport: one op is a fresh interpreter (PYTHON, default /usr/bin/python3,
 *          -S -B: no site, no bytecode written) importing every public
 *          module of its standard library that imports without side
 *          effects: a few hundred opens of .py/.pyc files and their
 *          directories per op.
 * connect: a listener on 127.0.0.1 (ephemeral port) in this process; one op
 *          is socket + connect + accept + close of both ends (the client end
 *          with SO_LINGER 0, so no TIME_WAIT piles up).  Loopback only: the
 *          address is fixed in the code.
 * exec:    one op is fork + execv(PATH, default /bin/true) + waitpid.
 *
 * With -n it runs N ops, with -t for about SECS seconds (default -t 2).  On
 * success it prints one line on stdout:
 *   mode=open ops=123456 warmup=16 setup=64 secs=2.000123 ops_per_s=61728.1 ns_per_op=16200.2
 * and exits 0; on any failed syscall it says which on stderr and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 16384
#define MAX_LEVELS 64
#define WARMUP 16 /* untimed ops first; printed as warmup=, they count as events too */

static char dir_buf[4096];
static int dir_owned;
static char **files;
static int nfiles = 64;
static size_t fsize = 4096;
static int levels, leaves = 1;

/* Leaf k's directory (levels deep under dir_buf) into buf. */
static void leaf_dir(char *buf, size_t size, int k, int upto)
{
	int n = snprintf(buf, size, "%s", dir_buf);

	for (int l = 0; l < upto && n > 0 && (size_t)n < size; l++)
		n += l ? snprintf(buf + n, size - (size_t)n, "/l%d", l)
		       : snprintf(buf + n, size - (size_t)n, "/d%d", k);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: workload open|connect|exec|pyimport [-n N | -t SECS] "
			"[-d DIR] [-f FILES] [-s BYTES] [-l LEVELS] [-b LEAVES] [-x PATH]\n");
	exit(2);
}

/* ---- open ---------------------------------------------------------------- */

static void open_setup(const char *dir)
{
	char *buf;
	int i, fd;

	if (dir) {
		snprintf(dir_buf, sizeof(dir_buf), "%s", dir);
	} else {
		const char *t = getenv("TMPDIR");

		snprintf(dir_buf, sizeof(dir_buf), "%s/custos-bench-XXXXXX",
			 t && *t ? t : "/tmp");
		if (!mkdtemp(dir_buf))
			die("mkdtemp");
		dir_owned = 1;
	}
	buf = malloc(fsize);
	files = calloc(nfiles, sizeof(*files));
	if (!buf || !files)
		die("malloc");
	memset(buf, 'x', fsize);
	for (int k = 0; k < leaves && levels; k++) {
		for (int l = 1; l <= levels; l++) {
			char d[8192];

			leaf_dir(d, sizeof(d), k, l);
			if (mkdir(d, 0700) && errno != EEXIST)
				die(d);
		}
	}
	for (i = 0; i < nfiles; i++) {
		char d[8192];

		leaf_dir(d, sizeof(d), i % leaves, levels);
		if (asprintf(&files[i], "%s/f%05d", d, i) < 0)
			die("asprintf");
		fd = open(files[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			die(files[i]);
		if (write(fd, buf, fsize) != (ssize_t)fsize)
			die("write");
		close(fd);
	}
	free(buf);
}

static void open_teardown(void)
{
	int i;

	for (i = 0; i < nfiles; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	free(files);
	for (int k = 0; k < leaves && levels; k++) {
		for (int l = levels; l >= 1; l--) {
			char d[8192];

			leaf_dir(d, sizeof(d), k, l);
			rmdir(d);
		}
	}
	if (dir_owned)
		rmdir(dir_buf);
}

static void open_op(uint64_t i)
{
	static char buf[65536];
	size_t want = fsize < sizeof(buf) ? fsize : sizeof(buf);
	int fd = open(files[i % nfiles], O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open");
	if (read(fd, buf, want) < 0)
		die("read");
	close(fd);
}

/* ---- connect ------------------------------------------------------------- */

static int lfd = -1;
static struct sockaddr_in laddr;

static void connect_setup(void)
{
	socklen_t len = sizeof(laddr);

	memset(&laddr, 0, sizeof(laddr));
	laddr.sin_family = AF_INET;
	laddr.sin_port = 0;
	laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1, never anything else */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	if (bind(lfd, (struct sockaddr *)&laddr, sizeof(laddr)) < 0)
		die("bind 127.0.0.1");
	if (listen(lfd, 128) < 0)
		die("listen");
	if (getsockname(lfd, (struct sockaddr *)&laddr, &len) < 0)
		die("getsockname");
	if (ntohl(laddr.sin_addr.s_addr) >> 24 != 127) {
		fprintf(stderr, "workload: listener not on loopback; refusing\n");
		exit(1);
	}
}

static void connect_op(uint64_t i)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int c, a;

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		die("socket");
	if (connect(c, (struct sockaddr *)&laddr, sizeof(laddr)) < 0)
		die("connect 127.0.0.1");
	a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		die("accept");
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(a);
	close(c);
}

/* ---- exec ---------------------------------------------------------------- */

static const char *exec_path = "/bin/true";

/* fork + execv(path, argv) + waitpid; the child's output to /dev/null when quiet. */
static void run_child(const char *path, char **argv, int quiet)
{
	int status, null;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (quiet && (null = open("/dev/null", O_RDWR)) >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(path, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "workload: %s failed (status %d)\n", path, status);
		exit(1);
	}
}

static void exec_op(uint64_t i)
{
	char *argv[] = { (char *)"true", NULL };

	run_child(exec_path, argv, 0);
}

/* ---- pyimport ------------------------------------------------------------ */

static const char *python = "/usr/bin/python3";

/* every public module of the standard library, but those that act on import */
static const char pyimport_code[] =
	"import sys\n"
	"skip = {'antigravity', 'this', 'idlelib', 'tkinter', 'turtle', 'turtledemo',\n"
	"        'ensurepip', 'venv', 'pydoc_data', 'lib2to3', 'test', 'xxsubtype'}\n"
	"for m in sorted(sys.stdlib_module_names):\n"
	"    if m.startswith('_') or m in skip:\n"
	"        continue\n"
	"    try:\n"
	"        __import__(m)\n"
	"    except BaseException:\n"
	"        pass\n";

static void pyimport_op(uint64_t i)
{
	char *argv[] = { (char *)"python3", (char *)"-S", (char *)"-B", (char *)"-W",
			 (char *)"ignore", (char *)"-c", (char *)pyimport_code, NULL };

	run_child(python, argv, 1);
}

int main(int argc, char **argv)
{
	const char *mode, *dir = NULL;
	void (*op)(uint64_t);
	uint64_t n = 0, i;
	double secs = 2.0, t0, t1, deadline;
	int opt, check_every, warmup;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "n:t:d:f:s:x:l:b:")) != -1) {
		switch (opt) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 't': secs = atof(optarg); break;
		case 'd': dir = optarg; break;
		case 'f': nfiles = atoi(optarg); break;
		case 's': fsize = strtoul(optarg, NULL, 10); break;
		case 'x': exec_path = python = optarg; break;
		case 'l': levels = atoi(optarg); break;
		case 'b': leaves = atoi(optarg); break;
		default: usage();
		}
	}
	if (nfiles < 1 || nfiles > MAX_FILES || fsize < 1 || (!n && secs <= 0) || levels < 0 ||
	    levels > MAX_LEVELS || leaves < 1 || (leaves > 1 && !levels))
		usage();

	if (!strcmp(mode, "open")) {
		open_setup(dir);
		op = open_op;
		check_every = 256;
	} else if (!strcmp(mode, "connect")) {
		connect_setup();
		op = connect_op;
		check_every = 64;
	} else if (!strcmp(mode, "exec")) {
		op = exec_op;
		check_every = 1;
	} else if (!strcmp(mode, "pyimport")) {
		op = pyimport_op;
		check_every = 1;
	} else {
		usage();
	}

	/* a few untimed ops: page cache, socket slabs, the exec'd binary (an
	 * interpreter's imports take long: two) */
	warmup = op == pyimport_op ? 2 : WARMUP;
	for (i = 0; i < (uint64_t)warmup; i++)
		op(i);

	t0 = now_s();
	if (n) {
		for (i = 0; i < n; i++)
			op(i);
	} else {
		deadline = t0 + secs;
		for (i = 0;; i++) {
			op(i);
			if ((i + 1) % check_every == 0 && now_s() >= deadline) {
				i++;
				break;
			}
		}
		n = i;
	}
	t1 = now_s();

	if (op == open_op)
		open_teardown();
	if (lfd >= 0)
		close(lfd);

	/* setup=: untimed operations of the same kind before the warm-up (open:
	 * creating the files opens each once), events a matching rule sees too */
	printf("mode=%s ops=%llu warmup=%d setup=%d secs=%.6f ops_per_s=%.1f ns_per_op=%.1f\n",
	       mode, (unsigned long long)n, warmup, op == open_op ? nfiles : 0, t1 - t0,
	       n / (t1 - t0), (t1 - t0) * 1e9 / n);
	return 0;
}
