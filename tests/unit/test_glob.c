/* SPDX-License-Identifier: Apache-2.0 */
/* test_glob.c - the glob language of rule files (user/rules/glob.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules/glob.h"

static int m(const char *pat, const char *s)
{
	return glob_match(pat, s, strlen(s));
}

#define YES(p, s) assert_int_equal(m(p, s), 1)
#define NO(p, s) assert_int_equal(m(p, s), 0)

static void test_literal(void **state)
{
	(void)state;
	YES("/etc/passwd", "/etc/passwd");
	NO("/etc/passwd", "/etc/passwd2");
	NO("/etc/passwd", "/etc/passw");
	NO("/etc/passwd", "/ETC/passwd");	/* case-sensitive */
	YES("", "");
	NO("", "a");
	NO("a", "");
}

static void test_star(void **state)
{
	(void)state;
	YES("/home/*/.ssh", "/home/alice/.ssh");
	YES("/home/*/.ssh", "/home//.ssh");		/* empty component */
	NO("/home/*/.ssh", "/home/a/b/.ssh");	/* never crosses '/' */
	YES("/tmp/*", "/tmp/x");
	YES("/tmp/*", "/tmp/");
	NO("/tmp/*", "/tmp/a/b");
	YES("*.pem", "key.pem");
	NO("*.pem", "/etc/key.pem");
	YES("*", "");
	YES("*", "abc");
	NO("*", "/");
	YES("a*b*c", "abc");
	YES("a*b*c", "aXXbYYc");
	NO("a*b*c", "aXXbYY");
	YES("/usr/bin/python3*", "/usr/bin/python3.11");
	YES("/usr/bin/python3*", "/usr/bin/python3");
}

static void test_question(void **state)
{
	(void)state;
	YES("/dev/tty?", "/dev/tty1");
	NO("/dev/tty?", "/dev/tty");
	NO("/dev/tty?", "/dev/tty12");
	NO("/a?b", "/a/b");	/* ? never matches '/' */
	YES("???", "abc");
}

static void test_doublestar(void **state)
{
	(void)state;
	/* leading **, zero and more components */
	YES("**/.env", "/.env");
	YES("**/.env", "/a/b/.env");
	YES("**/.env", ".env");
	NO("**/.env", "/a/b/x.env");
	NO("**/.env", "/a/.env/x");
	NO("**/.env", "x.env");
	NO("/home/**/id_rsa", "/home/a/bid_rsa");
	/* middle, zero components collapse the slashes */
	YES("/home/**/id_rsa", "/home/id_rsa");
	YES("/home/**/id_rsa", "/home/a/id_rsa");
	YES("/home/**/id_rsa", "/home/a/b/c/id_rsa");
	NO("/home/**/id_rsa", "/homeid_rsa");
	NO("/home/**/id_rsa", "/home/a/xid_rsa");
	NO("/home/**/id_rsa", "/srv/home/id_rsa");
	/* trailing: everything below, and the directory itself */
	YES("/etc/ssh/**", "/etc/ssh/sshd_config");
	YES("/etc/ssh/**", "/etc/ssh/a/b/c");
	YES("/etc/ssh/**", "/etc/ssh/");
	YES("/etc/ssh/**", "/etc/ssh");
	NO("/etc/ssh/**", "/etc/sshd");
	NO("/etc/ssh/**", "/etc/ss");
	/* alone: anything */
	YES("**", "");
	YES("**", "/a/b");
	/* several */
	YES("/a/**/b/**/c", "/a/b/c");
	YES("/a/**/b/**/c", "/a/x/y/b/z/c");
	NO("/a/**/b/**/c", "/a/x/y/z/c");
	YES("/a/**/**/b", "/a/b");
	/* not a whole component: any bytes, '/' included */
	YES("/data/**.pem", "/data/x/y/k.pem");
	YES("/data/**.pem", "/data/.pem");
	NO("/data/**.pem", "/data/x/y/k.pem.bak");
	YES("/x/***", "/x/a/b");
	/* ** inside one component */
	YES("/a/x**y", "/a/x/q/y");
	/* kubepods example from the spec */
	YES("/kubepods/**", "/kubepods/burstable/pod1/abc");
}

static void test_class(void **state)
{
	(void)state;
	YES("/dev/sd[abc]", "/dev/sdb");
	NO("/dev/sd[abc]", "/dev/sdd");
	YES("/dev/sd[a-c]1", "/dev/sdc1");
	NO("/dev/sd[a-c]1", "/dev/sdd1");
	YES("/x/[!a-c]", "/x/d");
	NO("/x/[!a-c]", "/x/b");
	YES("/x/[^a-c]", "/x/z");
	NO("/x/[^a-c]", "/x/a");
	NO("/x[!a]y", "/x/y");	/* a negated class still never matches '/' */
	NO("/x[/]y", "/x/y");
	YES("[]]", "]");		/* ']' first is literal */
	YES("[!]]", "a");
	NO("[!]]", "]");
	YES("[a-]", "-");		/* '-' last is literal */
	YES("[a-]", "a");
	YES("[\\]]", "]");		/* escaped inside a class */
	YES("[\\-x]", "-");
	NO("[a-c]", "B");
	/* unclosed: literal '[' */
	YES("/a[b", "/a[b");
	NO("/a[b", "/ab");
}

static void test_escape(void **state)
{
	(void)state;
	YES("/a\\*b", "/a*b");
	NO("/a\\*b", "/axb");
	YES("/a\\?", "/a?");
	NO("/a\\?", "/ax");
	YES("/a\\[b]", "/a[b]");
	YES("\\\\", "\\");
	YES("/a\\", "/a\\");	/* trailing backslash: literal */
	YES("\\a", "a");
}

static void test_bytes(void **state)
{
	static const char latin1[] = "/tmp/caf\xe9";
	static const char nl[] = "/tmp/a\nb";
	static const char withnul[] = { '/', 't', '\0', 'x' };

	(void)state;
	assert_int_equal(glob_match("/tmp/caf?", latin1, strlen(latin1)), 1);
	assert_int_equal(glob_match("/tmp/*", latin1, strlen(latin1)), 1);
	assert_int_equal(glob_match("/tmp/caf[\xe0-\xef]", latin1, strlen(latin1)), 1);
	assert_int_equal(glob_match("/tmp/caf[a-z]", latin1, strlen(latin1)), 0);
	assert_int_equal(glob_match("/tmp/caf\xe9", latin1, strlen(latin1)), 1);
	assert_int_equal(glob_match("/tmp/a?b", nl, strlen(nl)), 1);
	assert_int_equal(glob_match("/tmp/*", nl, strlen(nl)), 1);
	assert_int_equal(glob_match("/tmp/a", nl, strlen(nl)), 0);
	/* the subject is a byte string: an embedded NUL is just a byte */
	assert_int_equal(glob_match("/t", withnul, 2), 1);
	assert_int_equal(glob_match("/t", withnul, 4), 0);
	assert_int_equal(glob_match("/t?x", withnul, 4), 1);
	/* and a subject need not be NUL-terminated */
	assert_int_equal(glob_match("/etc/pass*", "/etc/passwdXXXX", 11), 1);
	assert_int_equal(glob_match("/etc/passwd", "/etc/passwdXXXX", 11), 1);
	assert_int_equal(glob_match("/etc/passwd", "/etc/passwdXXXX", 10), 0);
}

static void test_nul_as_space(void **state)
{
	static const char argv[] = "curl\0-d\0@/root/.aws/credentials";

	(void)state;
	assert_int_equal(glob_match_nul_as_space("curl * @*", argv, sizeof(argv) - 1), 0);
	assert_int_equal(glob_match_nul_as_space("curl * @**", argv, sizeof(argv) - 1), 1);
	assert_int_equal(glob_match_nul_as_space("curl -d @/root/*", argv, sizeof(argv) - 1), 0);
	assert_int_equal(glob_match_nul_as_space("curl -d @/root/**", argv, sizeof(argv) - 1), 1);
	assert_int_equal(glob_match_nul_as_space("curl -d @/root/.aws/credentials",
						 argv, sizeof(argv) - 1), 1);
	assert_int_equal(glob_match("curl -d*", argv, sizeof(argv) - 1), 0);
}

static void test_pathological(void **state)
{
	size_t n = 200000, i;
	char *s = malloc(n + 1);
	char pat[1024];
	clock_t t0 = clock();
	double secs;

	(void)state;
	assert_non_null(s);
	memset(s, 'a', n);
	s[n] = '\0';
	assert_int_equal(glob_match("*a*a*a*a*a*a*a*a*b", s, n), 0);
	assert_int_equal(glob_match("**a**a**a**a**a**a**b", s, n), 0);
	assert_int_equal(glob_match("*a*a*a*a*a*a*a*a*a", s, n), 1);
	/* a long pattern (heap path) */
	for (i = 0; i < 300; i++)
		pat[i] = (i % 2) ? 'a' : '*';
	pat[300] = 'b';
	pat[301] = '\0';
	assert_int_equal(glob_match(pat, s, 20000), 0);
	pat[300] = '\0';
	assert_int_equal(glob_match(pat, s, 20000), 1);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_true(secs < 2.0);
	free(s);
}

static void test_validate(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(glob_validate("/etc/**/x[a-z]?*", &why), 0);
	assert_int_equal(glob_validate("", &why), 0);
	assert_int_equal(glob_validate("[]]", &why), 0);
	assert_int_equal(glob_validate("/etc/[abc", &why), -EINVAL);
	assert_string_equal(why, "unclosed '['");
	assert_int_equal(glob_validate("[]", &why), -EINVAL);
	assert_string_equal(why, "unclosed '['");
	assert_int_equal(glob_validate("/a\\", &why), -EINVAL);
	assert_string_equal(why, "trailing backslash");
	assert_int_equal(glob_validate("[z-a]", &why), -EINVAL);
	assert_string_equal(why, "reversed range in '[...]'");
	assert_int_equal(glob_validate("\\[", NULL), 0);
	assert_int_equal(glob_validate("[\\]", NULL), -EINVAL);
}

static void test_prefix(void **state)
{
	(void)state;
	assert_int_equal(glob_literal_prefix("/etc/passwd"), 11);
	assert_int_equal(glob_literal_prefix("/home/*/.ssh"), 6);
	assert_int_equal(glob_literal_prefix("/home/**/id_rsa"), 6);
	assert_int_equal(glob_literal_prefix("/etc/ssh/**"), 8);	/* "/etc/ssh" */
	assert_int_equal(glob_literal_prefix("/etc/ssh/*"), 9);
	assert_int_equal(glob_literal_prefix("**/.env"), 0);
	assert_int_equal(glob_literal_prefix("/a\\*"), 2);
	assert_int_equal(glob_literal_prefix("/dev/sd[ab]"), 7);
	assert_int_equal(glob_literal_prefix(""), 0);
	assert_int_equal(glob_has_wildcard("/etc/passwd"), 0);
	assert_int_equal(glob_has_wildcard(""), 0);
	assert_int_equal(glob_has_wildcard("/etc/*"), 1);
	assert_int_equal(glob_has_wildcard("/etc/?"), 1);
	assert_int_equal(glob_has_wildcard("/etc/[a]"), 1);
	assert_int_equal(glob_has_wildcard("/etc/\\a"), 1);
}

/* The literal start and end of a pattern are checked before the automaton:
 * the slash a "**" may swallow must not be demanded by that check. */
static void test_literal_ends(void **state)
{
	(void)state;
	YES("/srv/evals/**", "/srv/evals");
	YES("/srv/evals/**", "/srv/evals/x/y");
	NO("/srv/evals/**", "/srv/eval");
	NO("/srv/evals/**", "/srv/evalsx");
	YES("**/.env", ".env");
	YES("**/.env", "/a/.env");
	NO("**/.env", "/a/x.env");
	YES("/a/**/b", "/a/b");
	YES("/a/**/b", "/a/x/y/b");
	NO("/a/**/b", "/a/x/yb");
	YES("**/*.key", "/etc/x.key");
	YES("**/*.key", ".key");
	NO("**/*.key", "/etc/x.kez");
	NO("**/*.key", "key");
	YES("/a?c/d", "/abc/d");
	NO("/a?c/d", "/abc/e");
	YES("/x/*", "/x/");
	NO("/x/*", "/x");
	YES("/[ab]/c", "/a/c");		/* a class: only the start is checked */
	YES("/a/\\*", "/a/*");
	NO("/a/\\*", "/a/b");
	assert_int_equal(glob_match_nul_as_space("/bin/sh -c *", "/bin/sh\0-c\0x", 12), 1);
	assert_int_equal(glob_match_nul_as_space("/bin/* -c x", "/bin/sh\0-c\0x", 12), 1);
	assert_int_equal(glob_match_nul_as_space("/bin/* -c y", "/bin/sh\0-c\0x", 12), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_question),
		cmocka_unit_test(test_doublestar),
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_nul_as_space),
		cmocka_unit_test(test_pathological),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_literal_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
