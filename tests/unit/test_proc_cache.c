/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_proc_cache.c - the process cache (user/proc_cache.c) and seeding it
 * from a fake /proc tree (user/proc_seed.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/proc_cache.h"
#include "host/proc_seed.h"

#define SEC 1000000000ull
#define TICK 10000000ull	/* at 100 ticks per second */

static struct proc_cache *new_cache(void)
{
	struct proc_cache *c = malloc(sizeof(*c));

	assert_non_null(c);
	assert_int_equal(proc_cache_init(c, 16), 0);
	proc_cache_set_clk_tck(c, 100);
	return c;
}

static void drop_cache(struct proc_cache *c)
{
	proc_cache_free(c);
	free(c);
}

#define EXEC(c, pid, start, exe, args, uid) \
	proc_cache_exec((c), (pid), (start), exe, sizeof(exe) - 1, 0, \
			args, sizeof(args) - 1, 0, (uid))

static void assert_exe(const struct proc_entry *e, const char *exe)
{
	assert_non_null(e);
	assert_int_equal(e->exe_len, strlen(exe));
	assert_string_equal(e->exe, exe);
}

/* --- cache --------------------------------------------------------------- */

static void test_fork_exec_exit_lifecycle(void **state)
{
	struct proc_cache *c = new_cache();
	const struct proc_entry *e;

	assert_int_equal(EXEC(c, 1, 1000, "/sbin/init", "init\0", 0), 0);
	assert_int_equal(proc_cache_set_cgroup(c, 1, 1000, 77), 0);

	/* fork: the child is a copy of its parent */
	assert_int_equal(proc_cache_fork(c, 100, 1, 5 * SEC), 0);
	e = proc_cache_lookup(c, 100, 5 * SEC);
	assert_exe(e, "/sbin/init");
	assert_int_equal(e->ppid, 1);
	assert_int_equal(e->start, 5 * SEC);
	assert_false(e->coarse);
	assert_false(e->exited);
	assert_int_equal(e->args_len, 5);
	assert_memory_equal(e->args, "init\0", 5);
	assert_string_equal(e->comm, "init");
	assert_int_equal(e->cgroup_id, 77);

	/* exec: new program, comm from its basename, new uid */
	assert_int_equal(proc_cache_exec(c, 100, 5 * SEC, "/usr/bin/bash", 13, 0,
					 "bash\0-l\0", 8, 1, 1000), 0);
	e = proc_cache_lookup(c, 100, 5 * SEC);
	assert_exe(e, "/usr/bin/bash");
	assert_memory_equal(e->args, "bash\0-l\0", 8);
	assert_true(e->args_truncated);
	assert_false(e->exe_truncated);
	assert_int_equal(e->uid, 1000);
	assert_string_equal(e->comm, "bash");
	assert_int_equal(e->cgroup_id, 77);
	assert_int_equal(e->ppid, 1);
	assert_int_equal(proc_cache_set_comm(c, 100, 5 * SEC, "a-very-long-thread-name"), 0);
	assert_string_equal(e->comm, "a-very-long-thr");

	/* a long program name is cut to 15 bytes like the kernel's comm */
	assert_int_equal(EXEC(c, 101, 6 * SEC, "/opt/x/python3.11-custom-build", "p\0", 0), 0);
	assert_string_equal(proc_cache_lookup_pid(c, 101)->comm, "python3.11-cust");

	/* exit: still found, marked */
	assert_int_equal(proc_cache_exit(c, 100, 5 * SEC), 0);
	e = proc_cache_lookup(c, 100, 5 * SEC);
	assert_non_null(e);
	assert_true(e->exited);
	assert_ptr_equal(proc_cache_lookup_pid(c, 100), e);
	assert_int_equal(proc_cache_exit(c, 100, 5 * SEC), 0);
	assert_int_equal(proc_cache_exit(c, 100, 6 * SEC), -ENOENT);
	assert_int_equal(proc_cache_exit(c, 999, 5 * SEC), -ENOENT);
	assert_null(proc_cache_lookup(c, 999, 5 * SEC));
	assert_null(proc_cache_lookup_pid(c, 999));
	assert_int_equal(proc_cache_set_comm(c, 999, 1, "x"), -ENOENT);

	/* an exec for an unknown process creates it */
	assert_int_equal(EXEC(c, 500, 9 * SEC, "/usr/bin/cat", "cat\0", 5), 0);
	e = proc_cache_lookup(c, 500, 9 * SEC);
	assert_exe(e, "/usr/bin/cat");
	assert_int_equal(e->ppid, 0);
	assert_int_equal(proc_cache_count(c), 4);
	drop_cache(c);
}

static void test_pid_reuse_does_not_alias(void **state)
{
	struct proc_cache *c = new_cache();
	const struct proc_entry *old, *new;

	assert_int_equal(EXEC(c, 1, 1000, "/sbin/init", "init\0", 0), 0);
	assert_int_equal(proc_cache_fork(c, 200, 1, 10 * SEC), 0);
	assert_int_equal(EXEC(c, 200, 10 * SEC, "/usr/bin/old", "old\0", 1), 0);
	/* pid 200 comes back as another process; its exit was never seen */
	assert_int_equal(proc_cache_fork(c, 200, 1, 20 * SEC), 0);

	old = proc_cache_lookup(c, 200, 10 * SEC);
	new = proc_cache_lookup(c, 200, 20 * SEC);
	assert_non_null(old);
	assert_non_null(new);
	assert_ptr_not_equal(old, new);
	assert_exe(old, "/usr/bin/old");
	assert_true(old->exited);
	assert_exe(new, "/sbin/init");	/* inherited from init, not the old 200 */
	assert_false(new->exited);
	assert_ptr_equal(proc_cache_lookup_pid(c, 200), new);
	/* neither start time nor one in between names the other */
	assert_null(proc_cache_lookup(c, 200, 15 * SEC));
	assert_null(proc_cache_lookup(c, 200, 20 * SEC + 1));

	/* exiting the new one leaves the old one alone */
	assert_int_equal(EXEC(c, 200, 20 * SEC, "/usr/bin/new", "new\0", 2), 0);
	assert_int_equal(proc_cache_exit(c, 200, 20 * SEC), 0);
	assert_exe(proc_cache_lookup(c, 200, 10 * SEC), "/usr/bin/old");
	assert_exe(proc_cache_lookup(c, 200, 20 * SEC), "/usr/bin/new");
	/* newest generation wins when none is live */
	assert_exe(proc_cache_lookup_pid(c, 200), "/usr/bin/new");
	drop_cache(c);
}

static struct proc_entry tmpl(uint32_t pid, uint32_t ppid, uint64_t ticks, const char *exe)
{
	struct proc_entry t;

	memset(&t, 0, sizeof(t));
	t.pid = pid;
	t.ppid = ppid;
	t.start = ticks;
	t.coarse = 1;
	t.exe = (char *)exe;
	t.exe_len = (uint32_t)strlen(exe);
	snprintf(t.comm, sizeof(t.comm), "p%u", pid);
	return t;
}

static void test_coarse_and_precise_matching(void **state)
{
	struct proc_cache *c = new_cache();
	struct proc_entry t = tmpl(300, 1, 12345, "/usr/bin/seeded");
	const struct proc_entry *e;

	assert_int_equal(proc_cache_insert(c, &t), 0);
	/* coarse: any ns within the same tick */
	e = proc_cache_lookup(c, 300, 12345 * TICK);
	assert_exe(e, "/usr/bin/seeded");
	assert_true(e->coarse);
	assert_ptr_equal(proc_cache_lookup(c, 300, 12345 * TICK + TICK - 1), e);
	assert_null(proc_cache_lookup(c, 300, 12346 * TICK));
	assert_null(proc_cache_lookup(c, 300, 12345 * TICK - 1));

	/* precise: exact only */
	assert_int_equal(proc_cache_fork(c, 301, 300, 123450000123ull), 0);
	assert_non_null(proc_cache_lookup(c, 301, 123450000123ull));
	assert_null(proc_cache_lookup(c, 301, 123450000124ull));
	assert_null(proc_cache_lookup(c, 301, 123450000122ull));
	assert_exe(proc_cache_lookup(c, 301, 123450000123ull), "/usr/bin/seeded");

	/* the first exec of a seeded process makes it precise */
	assert_int_equal(EXEC(c, 300, 12345 * TICK + 42, "/usr/bin/next", "next\0", 0), 0);
	e = proc_cache_lookup(c, 300, 12345 * TICK + 42);
	assert_exe(e, "/usr/bin/next");
	assert_false(e->coarse);
	assert_int_equal(e->start, 12345 * TICK + 42);
	assert_null(proc_cache_lookup(c, 300, 12345 * TICK + 43));

	/* seeding again does not overwrite what events told */
	assert_int_equal(proc_cache_insert(c, &t), 0);
	assert_exe(proc_cache_lookup(c, 300, 12345 * TICK + 42), "/usr/bin/next");
	assert_int_equal(proc_cache_count(c), 2);

	/* a seeded entry for a different start is a new generation */
	t.start = 20000;
	assert_int_equal(proc_cache_insert(c, &t), 0);
	assert_true(proc_cache_lookup(c, 300, 12345 * TICK + 42)->exited);
	assert_false(proc_cache_lookup(c, 300, 20000 * TICK + 5)->exited);
	drop_cache(c);
}

static void test_lineage_nearest_first_and_graveyard(void **state)
{
	struct proc_cache *c = new_cache();
	const struct proc_entry *out[8], *e;
	size_t n;

	assert_int_equal(EXEC(c, 1, 1 * SEC, "/usr/lib/systemd/systemd", "systemd\0", 0), 0);
	assert_int_equal(proc_cache_fork(c, 50, 1, 2 * SEC), 0);
	assert_int_equal(EXEC(c, 50, 2 * SEC, "/usr/sbin/sshd", "sshd\0", 0), 0);
	assert_int_equal(proc_cache_fork(c, 60, 50, 3 * SEC), 0);
	assert_int_equal(EXEC(c, 60, 3 * SEC, "/usr/bin/bash", "bash\0", 1000), 0);
	assert_int_equal(proc_cache_fork(c, 70, 60, 4 * SEC), 0);
	assert_int_equal(EXEC(c, 70, 4 * SEC, "/usr/bin/cat", "cat\0", 1000), 0);

	e = proc_cache_lookup(c, 70, 4 * SEC);
	n = proc_cache_lineage(c, e, out, 8);
	assert_int_equal(n, 3);
	assert_exe(out[0], "/usr/bin/bash");
	assert_exe(out[1], "/usr/sbin/sshd");
	assert_exe(out[2], "/usr/lib/systemd/systemd");
	assert_int_equal(proc_cache_lineage(c, e, out, 2), 2);
	assert_int_equal(proc_cache_lineage(c, e, out, 0), 0);
	assert_int_equal(proc_cache_lineage(c, out[2], out, 8), 0);	/* pid 1 */

	/* the parent exits and its pid is reused: the child's lineage holds */
	assert_int_equal(proc_cache_exit(c, 60, 3 * SEC), 0);
	assert_int_equal(proc_cache_fork(c, 60, 1, 5 * SEC), 0);
	assert_int_equal(EXEC(c, 60, 5 * SEC, "/usr/bin/impostor", "x\0", 0), 0);
	e = proc_cache_lookup(c, 70, 4 * SEC);
	n = proc_cache_lineage(c, e, out, 8);
	assert_int_equal(n, 3);
	assert_exe(out[0], "/usr/bin/bash");
	assert_true(out[0]->exited);
	assert_exe(out[1], "/usr/sbin/sshd");

	/* an unknown parent ends the lineage */
	assert_int_equal(proc_cache_fork(c, 90, 12345, 6 * SEC), 0);
	assert_int_equal(proc_cache_lineage(c, proc_cache_lookup_pid(c, 90), out, 8), 0);
	drop_cache(c);
}

static void test_lineage_cycle_guard(void **state)
{
	struct proc_cache *c = new_cache();
	const struct proc_entry *out[16];
	struct proc_entry t;

	/* two processes naming each other, seeded in the same tick */
	t = tmpl(10, 11, 500, "/a");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	t = tmpl(11, 10, 500, "/b");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	assert_int_equal(proc_cache_lineage(c, proc_cache_lookup_pid(c, 10), out, 16), 1);
	assert_exe(out[0], "/b");

	/* a three-cycle */
	t = tmpl(20, 21, 500, "/x");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	t = tmpl(21, 22, 500, "/y");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	t = tmpl(22, 20, 500, "/z");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	assert_int_equal(proc_cache_lineage(c, proc_cache_lookup_pid(c, 20), out, 16), 2);
	assert_exe(out[0], "/y");
	assert_exe(out[1], "/z");

	/* a cycle not through the start: 30 -> 31 -> 32 -> 31 */
	t = tmpl(30, 31, 500, "/s");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	t = tmpl(31, 32, 500, "/t");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	t = tmpl(32, 31, 500, "/u");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	assert_int_equal(proc_cache_lineage(c, proc_cache_lookup_pid(c, 30), out, 16), 2);

	/* its own parent */
	t = tmpl(40, 40, 500, "/self");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	assert_int_equal(proc_cache_lineage(c, proc_cache_lookup_pid(c, 40), out, 16), 0);
	assert_int_equal(proc_cache_fork(c, 41, 41, 5 * SEC), 0);
	assert_int_equal(proc_cache_lineage(c, proc_cache_lookup_pid(c, 41), out, 16), 0);

	/* a parent that started after the child is not its parent */
	t = tmpl(50, 51, 500, "/child");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	t = tmpl(51, 1, 900, "/later");
	assert_int_equal(proc_cache_insert(c, &t), 0);
	assert_int_equal(proc_cache_lineage(c, proc_cache_lookup_pid(c, 50), out, 16), 0);
	drop_cache(c);
}

static void test_eviction_bound(void **state)
{
	struct proc_cache *c = new_cache();
	uint32_t pid;

	proc_cache_set_limits(c, 100, 10);
	for (pid = 1000; pid < 2000; pid++)
		assert_int_equal(proc_cache_fork(c, pid, 1, pid * SEC), 0);
	assert_int_equal(proc_cache_count(c), 100);
	assert_int_equal(c->evicted, 900);
	assert_null(proc_cache_lookup_pid(c, 1000));
	assert_non_null(proc_cache_lookup_pid(c, 1999));
	assert_non_null(proc_cache_lookup_pid(c, 1900));
	assert_null(proc_cache_lookup_pid(c, 1899));

	/* the graveyard is bounded on its own */
	for (pid = 1900; pid < 1950; pid++)
		assert_int_equal(proc_cache_exit(c, pid, pid * SEC), 0);
	assert_int_equal(c->exited.n, 10);
	assert_int_equal(c->live.n, 50);
	assert_null(proc_cache_lookup_pid(c, 1900));	/* oldest exits went first */
	assert_non_null(proc_cache_lookup_pid(c, 1949));

	/* when full, exited entries go before live ones */
	for (pid = 3000; pid < 3040; pid++)
		assert_int_equal(proc_cache_fork(c, pid, 1, pid * SEC), 0);
	assert_int_equal(c->live.n, 90);
	assert_int_equal(c->exited.n, 10);
	assert_int_equal(proc_cache_fork(c, 4000, 1, 4000 * SEC), 0);
	assert_int_equal(c->live.n, 91);
	assert_int_equal(c->exited.n, 9);
	for (pid = 1950; pid < 2000; pid++)
		assert_non_null(proc_cache_lookup_pid(c, pid));

	/* then the least recently used live entry: 1950 was just touched */
	for (pid = 1951; pid < 2000; pid++)
		assert_non_null(proc_cache_lookup_pid(c, pid));
	assert_non_null(proc_cache_lookup_pid(c, 1950));
	for (pid = 5000; pid < 5010; pid++)
		assert_int_equal(proc_cache_fork(c, pid, 1, pid * SEC), 0);
	assert_int_equal(proc_cache_count(c), 100);
	assert_int_equal(c->exited.n, 0);
	assert_non_null(proc_cache_lookup_pid(c, 1950));
	assert_null(proc_cache_lookup_pid(c, 3000));

	/* shrinking evicts at once */
	proc_cache_set_limits(c, 5, 2);
	assert_int_equal(proc_cache_count(c), 5);
	drop_cache(c);
}

static void test_fork_never_evicts_its_parent(void **state)
{
	struct proc_cache *c = new_cache();
	const struct proc_entry *e;

	proc_cache_set_limits(c, 1, 1);
	assert_int_equal(EXEC(c, 7, 1 * SEC, "/usr/bin/parent", "parent\0", 3), 0);
	assert_int_equal(proc_cache_fork(c, 8, 7, 2 * SEC), 0);
	e = proc_cache_lookup(c, 8, 2 * SEC);
	assert_exe(e, "/usr/bin/parent");
	assert_int_equal(e->uid, 3);
	drop_cache(c);
}

static void test_many_processes_hash_grows(void **state)
{
	struct proc_cache *c = new_cache();
	uint32_t pid;

	for (pid = 1; pid <= 20000; pid++)
		assert_int_equal(proc_cache_fork(c, pid, pid - 1, pid * SEC), 0);
	assert_true(c->nbuckets >= 16384);
	for (pid = 1; pid <= 20000; pid += 997)
		assert_int_equal(proc_cache_lookup(c, pid, pid * SEC)->pid, pid);
	drop_cache(c);
}

/* --- seeding from a fake /proc ------------------------------------------- */

static void put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void fake_proc(const char *root, unsigned pid, const char *comm, unsigned ppid,
		      unsigned long long start, unsigned uid, const char *exe,
		      const char *cmdline, size_t cmdline_len)
{
	char dir[PATH_MAX / 2], buf[1024], path[PATH_MAX];
	int n;

	snprintf(dir, sizeof(dir), "%s/%u", root, pid);
	assert_int_equal(mkdir(dir, 0755), 0);
	n = snprintf(buf, sizeof(buf),
		     "%u (%s) S %u 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %llu "
		     "1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		     pid, comm, ppid, start);
	put_file(dir, "stat", buf, (size_t)n);
	n = snprintf(buf, sizeof(buf), "Name:\t%.15s\nUmask:\t0022\nState:\tS (sleeping)\n"
		     "Tgid:\t%u\nPid:\t%u\nPPid:\t%u\nUid:\t%u\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
		     comm, pid, pid, ppid, uid);
	put_file(dir, "status", buf, (size_t)n);
	put_file(dir, "cmdline", cmdline, cmdline_len);
	put_file(dir, "cgroup", "0::/system.slice/x.service\n", 27);
	if (exe) {
		snprintf(path, sizeof(path), "%s/exe", dir);
		assert_int_equal(symlink(exe, path), 0);
	}
}

static void test_parse_stat(void **state)
{
	static const char tricky[] = "100 (a) b (c) S 1 100 100 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4242 0\n";
	static const char paren[] = "7 ())) R 3 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 99\n";
	static const char longc[] = "9 (0123456789abcdefghij) S 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1";
	char comm[PROC_COMM_LEN];
	uint32_t ppid = 0;
	uint64_t start = 0;

	assert_int_equal(proc_parse_stat(tricky, sizeof(tricky) - 1, comm, &ppid, &start), 0);
	assert_string_equal(comm, "a) b (c");
	assert_int_equal(ppid, 1);
	assert_int_equal(start, 4242);
	assert_int_equal(proc_parse_stat(paren, sizeof(paren) - 1, comm, &ppid, &start), 0);
	assert_string_equal(comm, "))");
	assert_int_equal(ppid, 3);
	assert_int_equal(start, 99);
	assert_int_equal(proc_parse_stat(longc, sizeof(longc) - 1, comm, &ppid, &start), 0);
	assert_string_equal(comm, "0123456789abcde");
	assert_int_equal(start, 1);

	assert_int_equal(proc_parse_stat("1 (x) S 0 1 2", 13, comm, &ppid, &start), -EINVAL);
	assert_int_equal(proc_parse_stat("garbage", 7, comm, &ppid, &start), -EINVAL);
	assert_int_equal(proc_parse_stat("1 )x( S", 7, comm, &ppid, &start), -EINVAL);
	assert_int_equal(proc_parse_stat("1 (x) S z 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5", 46,
					 comm, &ppid, &start), -EINVAL);
}

static void test_seed_from_fake_proc(void **state)
{
	char root[] = "/tmp/custos-proc-XXXXXX";
	char path[PATH_MAX], cmd[PATH_MAX + 16], cg[64];
	static char bigargs[PROC_SEED_ARGS_MAX + 100];
	struct proc_cache *c = new_cache();
	const struct proc_entry *e, *out[4];

	assert_non_null(mkdtemp(root));
	fake_proc(root, 1, "systemd", 0, 7, 0, "/usr/lib/systemd/systemd",
		  "/sbin/init\0splash\0", 18);
	fake_proc(root, 100, "a) b (c", 1, 4242, 1000, "/usr/bin/weird prog (deleted)",
		  "a\0b c\0", 6);
	fake_proc(root, 2, "kthreadd", 0, 1, 0, NULL, "", 0);
	memset(bigargs, 'x', sizeof(bigargs));
	fake_proc(root, 500, "big", 100, 5000, 1000, "/usr/bin/big", bigargs, sizeof(bigargs));
	/* skipped: malformed stat, no status, not a pid */
	fake_proc(root, 300, "bad", 1, 1, 0, NULL, "", 0);
	snprintf(path, sizeof(path), "%s/300", root);
	put_file(path, "stat", "300 garbage\n", 12);
	fake_proc(root, 400, "nostatus", 1, 1, 0, NULL, "", 0);
	snprintf(path, sizeof(path), "%s/400/status", root);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/self", root);
	assert_int_equal(symlink("100", path), 0);
	snprintf(path, sizeof(path), "%s/acpi", root);
	assert_int_equal(mkdir(path, 0755), 0);

	assert_int_equal(proc_seed_from_proc(c, root), 4);
	assert_int_equal(proc_cache_count(c), 4);

	e = proc_cache_lookup_pid(c, 100);
	assert_non_null(e);
	assert_true(e->coarse);
	assert_int_equal(e->start, 4242);
	assert_string_equal(e->comm, "a) b (c");
	assert_int_equal(e->ppid, 1);
	assert_int_equal(e->uid, 1000);
	assert_exe(e, "/usr/bin/weird prog (deleted)");
	assert_int_equal(e->args_len, 6);
	assert_memory_equal(e->args, "a\0b c\0", 6);
	assert_false(e->args_truncated);
	/* a kernel event for it matches by tick */
	assert_ptr_equal(proc_cache_lookup(c, 100, 4242 * TICK + 123), e);
	assert_int_equal(proc_cache_lineage(c, e, out, 4), 1);
	assert_exe(out[0], "/usr/lib/systemd/systemd");
	assert_string_equal(out[0]->comm, "systemd");

	e = proc_cache_lookup_pid(c, 2);
	assert_exe(e, "");
	assert_int_equal(e->args_len, 0);

	e = proc_cache_lookup_pid(c, 500);
	assert_int_equal(e->args_len, PROC_SEED_ARGS_MAX);
	assert_true(e->args_truncated);
	assert_int_equal(proc_cache_lineage(c, e, out, 4), 2);

	assert_null(proc_cache_lookup_pid(c, 300));
	assert_null(proc_cache_lookup_pid(c, 400));

	/* cgroup v2 path */
	assert_int_equal(proc_read_cgroup_path_at(root, 100, cg, sizeof(cg)), 0);
	assert_string_equal(cg, "/system.slice/x.service");
	assert_int_equal(proc_read_cgroup_path_at(root, 100, cg, 10), -ENAMETOOLONG);
	snprintf(path, sizeof(path), "%s/1", root);
	put_file(path, "cgroup", "12:cpu,cpuacct:/foo\n1:name=systemd:/bar\n", 40);
	assert_int_equal(proc_read_cgroup_path_at(root, 1, cg, sizeof(cg)), -ENOENT);
	put_file(path, "cgroup", "12:cpu:/foo\n0::/\n", 17);
	assert_int_equal(proc_read_cgroup_path_at(root, 1, cg, sizeof(cg)), 0);
	assert_string_equal(cg, "/");
	assert_int_equal(proc_read_cgroup_path_at(root, 77777, cg, sizeof(cg)), -ENOENT);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(proc_seed_from_proc(c, root), -ENOENT);
	drop_cache(c);
}

/* The real /proc: this test process is seeded with its own exe. */
static void test_seed_from_real_proc(void **state)
{
	struct proc_cache *c = new_cache();
	const struct proc_entry *e;
	char exe[PATH_MAX], cg[PATH_MAX];
	ssize_t n;
	int ret;

	proc_cache_set_clk_tck(c, sysconf(_SC_CLK_TCK));
	assert_true(proc_seed_from_proc(c, "/proc") > 0);
	e = proc_cache_lookup_pid(c, (uint32_t)getpid());
	assert_non_null(e);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_exe(e, exe);
	assert_int_equal(e->ppid, (uint32_t)getppid());
	assert_int_equal(e->uid, getuid());
	ret = proc_read_cgroup_path(getpid(), cg, sizeof(cg));
	assert_true(ret == 0 || ret == -ENOENT);	/* no v2 line on cgroup v1 hosts */
	if (ret == 0)
		assert_int_equal(cg[0], '/');
	/* its program's identity, as stat() of the file gives it on this host */
	{
		struct stat st;

		assert_int_equal(stat(exe, &st), 0);
		assert_int_equal(e->exe_info.id.ino, st.st_ino);
		assert_true(e->exe_info.id.dev != 0);
		assert_int_equal(e->exe_info.flags, 0);
	}
	drop_cache(c);
}

/*
 * What is known of a program follows it: a child shares its parent's
 * program until it execs; an exec makes the program it exec'd itself a
 * former one (prev_exe) and folds its classes into the lineage.
 */
static void test_programs_and_classes(void **state)
{
	struct proc_cache *c = new_cache();
	struct proc_exe_info srv = { .id = { 8, 42 }, .size = 100, .head = 7, .flags = 0 };
	struct ident copy = { 8, 99 };
	const struct proc_entry *e;

	assert_int_equal(EXEC(c, 10, 1 * SEC, "/opt/srv", "srv\0", 0), 0);
	assert_int_equal(proc_cache_set_exe_info(c, 10, 1 * SEC, &srv), 0);
	assert_int_equal(proc_cache_set_copies(c, 10, 1 * SEC, &copy, 1), 0);
	assert_int_equal(proc_cache_set_classes(c, 10, 1 * SEC, 4, 1), 0);

	assert_int_equal(proc_cache_fork(c, 11, 10, 2 * SEC), 0);
	e = proc_cache_lookup(c, 11, 2 * SEC);
	assert_int_equal(e->exe_info.id.ino, 42);
	assert_int_equal(e->n_copies, 1);
	assert_true(e->copies_known);
	assert_int_equal(e->self, 4);
	assert_int_equal(e->lineage, 5);
	assert_null(e->prev_exe);

	/* the child execs: the server's program was its parent's, not a former one */
	assert_int_equal(EXEC(c, 11, 2 * SEC, "/usr/bin/dash", "sh\0", 0), 0);
	e = proc_cache_lookup(c, 11, 2 * SEC);
	assert_null(e->prev_exe);
	assert_int_equal(e->self, 0);
	assert_int_equal(e->lineage, 5);
	assert_int_equal(e->exe_info.id.ino, 0);
	assert_int_equal(e->n_copies, 0);
	assert_false(e->copies_known);

	/* the server execs away: its own program becomes a former one */
	assert_int_equal(EXEC(c, 10, 1 * SEC, "/usr/bin/dash", "sh\0", 0), 0);
	e = proc_cache_lookup(c, 10, 1 * SEC);
	assert_int_equal(e->prev_exe_len, 8);
	assert_memory_equal(e->prev_exe, "/opt/srv", 8);
	assert_int_equal(e->lineage, 5);
	assert_int_equal(e->self, 0);
	assert_int_equal(proc_cache_set_exe(c, 10, 1 * SEC, "/bin/x", 6), 0);
	assert_exe(e, "/bin/x");
	drop_cache(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_exec_exit_lifecycle),
		cmocka_unit_test(test_pid_reuse_does_not_alias),
		cmocka_unit_test(test_coarse_and_precise_matching),
		cmocka_unit_test(test_lineage_nearest_first_and_graveyard),
		cmocka_unit_test(test_lineage_cycle_guard),
		cmocka_unit_test(test_eviction_bound),
		cmocka_unit_test(test_fork_never_evicts_its_parent),
		cmocka_unit_test(test_many_processes_hash_grows),
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_seed_from_fake_proc),
		cmocka_unit_test(test_seed_from_real_proc),
		cmocka_unit_test(test_programs_and_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
