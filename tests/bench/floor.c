// SPDX-License-Identifier: Apache-2.0
/*
 * floor - loads and attaches the reference monitor of `make bench`
 * (floor.bpf.c) on the hooks custos uses on a backend, then waits.
 *
 *   floor --backend lsm|fentry|tracepoint|raw [--no-net]
 *
 * Per family (file, exec, fork, exit, net) it keeps the one variant the
 * backend asks for, as custos's loader does: lsm -> file__lsm, fentry ->
 * file__fentry, tracepoint -> the tp_btf programs, raw -> the raw ones;
 * exec/fork/exit are tp_btf except under raw; the cgroup programs
 * (connect, send, socket creation, setsockopt) attach at the cgroup v2
 * root, and the socket-creation check (custos's opt_netpacket) at
 * socket_post_create (lsm) or __sock_create (fentry), unless --no-net.  Prints "floor: ready" on stderr once
 * attached, and exits 0 on SIGTERM or SIGINT (1 on any failure, with why).
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The variant suffix a program must have on this backend (NULL: not loaded). */
static const char *wanted(const char *name, const char *backend, int net)
{
	int raw = strcmp(backend, "raw") == 0;

	if (strstr(name, "__cg_"))
		return net ? "__cg_" : NULL;
	if (strncmp(name, "floor_netpacket__", 17) == 0) {	/* as custos's opt_netpacket */
		if (!net)
			return NULL;
		if (!strcmp(backend, "lsm"))
			return "__lsm";
		return strcmp(backend, "fentry") ? NULL : "__fentry";
	}
	if (strncmp(name, "floor_file__", 12) == 0) {
		if (!strcmp(backend, "lsm"))
			return "__lsm";
		if (!strcmp(backend, "fentry"))
			return "__fentry";
		return raw ? "__raw" : "__btf";
	}
	return raw ? "__raw" : "__btf";
}

static int cgroup_root(char *buf, size_t size)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int rc = -ENOENT;

	while (f && (m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(buf, size, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	}
	if (f)
		endmntent(f);
	return rc;
}

int main(int argc, char **argv)
{
	const char *backend = NULL;
	struct floor_bpf *skel;
	struct bpf_program *p;
	char cg[4096];
	int net = 1, cg_fd = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--backend") && i + 1 < argc)
			backend = argv[++i];
		else if (!strcmp(argv[i], "--no-net"))
			net = 0;
	}
	if (!backend) {
		fprintf(stderr, "usage: floor --backend lsm|fentry|tracepoint|raw [--no-net]\n");
		return 2;
	}
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: opening the object failed: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, skel->obj) {
		const char *name = bpf_program__name(p), *suffix = wanted(name, backend, net);

		bpf_program__set_autoload(p, suffix && strstr(name, suffix) != NULL);
	}
	if (floor_bpf__load(skel)) {
		fprintf(stderr, "floor: the kernel refused the %s programs: %s\n", backend,
			strerror(errno));
		return 1;
	}
	if (net && cgroup_root(cg, sizeof(cg)) == 0)
		cg_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bpf_object__for_each_program(p, skel->obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		if (strstr(bpf_program__name(p), "__cg_"))
			l = cg_fd >= 0 ? bpf_program__attach_cgroup(p, cg_fd) : NULL;
		else
			l = bpf_program__attach(p);
		if (!l) {
			fprintf(stderr, "floor: attaching %s failed: %s\n", bpf_program__name(p),
				strerror(errno));
			return 1;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "floor: ready\n");
	while (!stop)
		pause();
	floor_bpf__destroy(skel);
	return 0;
}
