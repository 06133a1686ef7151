/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_copies.c - programs by content (agent/copies.h) and the dynamic
 * loader's program (host/ldso.h): a copy of a listed program is found by
 * its fingerprint and confirmed by its digest, a file that only shares the
 * fingerprint is not (unless it can no longer be read); the loader's argv.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/copies.h"
#include "filters/family.h"
#include "host/fsid.h"
#include "host/ldso.h"

static char dir[] = "/tmp/custos-copies-XXXXXX";

static void write_copy(const char *from, const char *to, int flip_last)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	off_t end;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	if (flip_last) {
		unsigned char c;

		end = lseek(out, 0, SEEK_END);
		assert_int_equal(pread(in, &c, 1, end - 1), 1);
		c ^= 0xff;
		assert_int_equal(pwrite(out, &c, 1, end - 1), 1);
	}
	close(in);
	close(out);
}

static struct rule_set *content_rule(const char *path)
{
	char yaml[1024];
	struct rule_source s = { "t.yaml", yaml, 0 };
	struct rule_set *set = NULL;

	snprintf(yaml, sizeof(yaml), "custos: 1\nrules:\n  - id: c\n    on: exec\n"
		 "    severity: low\n    when:\n      exe_content: \"%s\"\n", path);
	s.len = strlen(yaml);
	assert_int_equal(rule_set_load(&s, 1, NULL, &set, NULL), 0);
	return set;
}

/* e: this test process (whose program is at self) with the fingerprint of file. */
static void entry_of(struct proc_entry *e, struct proc_exe_info *info, const char *file)
{
	struct stat st;
	int fd = open(file, O_RDONLY);

	assert_true(fd >= 0);
	memset(e, 0, sizeof(*e));
	memset(info, 0, sizeof(*info));
	e->pid = (uint32_t)getpid();
	assert_int_equal(filter_exe_fingerprint(fd, &info->size, &info->head), 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	info->id.ino = st.st_ino;
}

static void test_copy_by_digest(void **state)
{
	char self[PATH_MAX], orig[PATH_MAX + 16], fake[PATH_MAX + 16];
	struct copies c = { 0 };
	struct proc_exe_info info;
	struct proc_entry e;
	struct ident found[4], want;
	struct rule_set *set;

	assert_non_null(mkdtemp(dir));
	assert_non_null(realpath("/proc/self/exe", self));
	snprintf(orig, sizeof(orig), "%s/orig", dir);
	snprintf(fake, sizeof(fake), "%s/fake", dir);
	write_copy(self, orig, 0);
	write_copy(self, fake, 1);	/* same size, same first bytes, another last byte */
	assert_int_equal(fsid_at(orig, S_IFREG, &want), 0);

	set = content_rule(orig);
	assert_int_equal(copies_load(&c, set), 0);
	assert_int_equal(c.n, 1);
	assert_true(copies_any(&c));

	/* this process runs a copy of orig (the test binary itself) */
	entry_of(&e, &info, self);
	assert_int_equal(copies_find(&c, "/proc", &e, NULL, &info, found, 4), 1);
	assert_true(ident_eq(&found[0], &want));
	assert_int_equal(c.hashed, 1);
	assert_int_equal(copies_find(&c, "/proc", &e, NULL, &info, found, 4), 1);
	assert_int_equal(c.hashed, 1);	/* the digest is remembered */

	/* orig as listed by a file that only shares the fingerprint: not a copy */
	copies_free(&c);
	rule_set_free(set);
	set = content_rule(fake);
	assert_int_equal(copies_load(&c, set), 0);
	assert_int_equal(copies_find(&c, "/proc", &e, NULL, &info, found, 4), 0);
	/* the same program (identity, fingerprint) later: its digest is remembered */
	e.pid = 0x7ffffff0;
	assert_int_equal(copies_find(&c, "/proc", &e, NULL, &info, found, 4), 0);
	/* a program that can no longer be read: the fingerprint decides */
	info.id.ino++;
	assert_int_equal(copies_find(&c, "/proc", &e, NULL, &info, found, 4), 1);
	/* another program entirely: no candidate, nothing read */
	info.size++;
	assert_int_equal(copies_find(&c, "/proc", &e, NULL, &info, found, 4), 0);
	copies_free(&c);
	rule_set_free(set);
	unlink(orig);
	unlink(fake);
	rmdir(dir);
}

static size_t prog_of(const char *args, size_t len, char *out)
{
	size_t off, n;

	if (ldso_program(args, len, &off, &n))
		return 0;
	memcpy(out, args + off, n);
	out[n] = '\0';
	return n;
}

static void test_loader_argv(void **state)
{
	static const char plain[] = "/lib64/ld-linux-x86-64.so.2\0/bin/sh\0-c\0id\0";
	static const char opts[] = "ld.so\0--library-path\0/x\0--inhibit-cache\0--argv0\0"
				   "bash\0./sh\0-i\0";
	static const char none[] = "ld.so\0--list\0";
	static const char cut[] = "ld.so\0--preload\0libx.so\0/usr/bin/pyth";
	char p[64];

	assert_int_equal(prog_of(plain, sizeof(plain) - 1, p), 7);
	assert_string_equal(p, "/bin/sh");
	assert_int_equal(prog_of(opts, sizeof(opts) - 1, p), 4);
	assert_string_equal(p, "./sh");
	assert_int_equal(prog_of(none, sizeof(none) - 1, p), 0);
	assert_int_equal(prog_of(cut, sizeof(cut) - 1, p), 13);
	assert_string_equal(p, "/usr/bin/pyth");
}

/* A relative program is taken from the process's working directory. */
static void test_loader_resolve(void **state)
{
	char out[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(ldso_resolve("/proc", (uint32_t)getpid(), "Makefile", 8, out,
				      sizeof(out)), 0);
	assert_non_null(realpath("Makefile", want));
	assert_string_equal(out, want);
	assert_int_equal(ldso_resolve("/proc", (uint32_t)getpid(), "/bin/sh", 7, out,
				      sizeof(out)), 0);
	assert_non_null(realpath("/bin/sh", want));
	assert_string_equal(out, want);
	/* the process's own /proc, kept to be opened */
	assert_int_equal(ldso_resolve("/proc", 42, "/proc/self/fd/3", 15, out, sizeof(out)), 0);
	assert_string_equal(out, "/proc/42/fd/3");
	assert_int_equal(ldso_resolve("/proc", 42, "/proc/thread-self/fd/3", 22, out,
				      sizeof(out)), 0);
	assert_string_equal(out, "/proc/42/fd/3");
	assert_true(ldso_resolve("/proc", 0x7ffffff0, "x", 1, out, sizeof(out)) < 0);
	assert_string_equal(out, "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_by_digest),
		cmocka_unit_test(test_loader_argv),
		cmocka_unit_test(test_loader_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
