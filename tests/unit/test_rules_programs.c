/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rules_programs.c - programs in rules: exe, parent_exe, ancestor_exe
 * and exe_content by path, by identity and by content; `unless` paths that
 * are not the host's; lineage classes kept by the kernel; an argv cut short.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

/* The files a resolver "finds": glob -> identity (inode = index + 100, dev 8). */
static const char *const files[] = {
	"/usr/bin/dash", "/usr/bin/git", "/opt/srv/bin/serve", "/usr/bin/curl",
	"/usr/bin/python3.11",
};

static struct ident id_of(const char *path)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(files[i], path) == 0)
			return (struct ident){ 8, 100 + i };
	return (struct ident){ 0, 0 };
}

static int calls;

/* A literal path names its file; "DIR/py*" every file of DIR starting with py. */
static int resolve_exe(const char *glob, struct ident *out, size_t max, void *ctx)
{
	size_t n = 0;

	calls++;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *star = strchr(glob, '*');
		int hit = star ? strncmp(files[i], glob, (size_t)(star - glob)) == 0
			       : strcmp(files[i], glob) == 0;

		if (hit && n < max)
			out[n++] = id_of(files[i]);
	}
	return (int)n;
}

static struct rule_set *load(const char *yaml, int with_resolver)
{
	struct rule_load_opts o = { .resolve_exe = with_resolver ? resolve_exe : NULL };
	struct rule_source s = { "t.yaml", yaml, strlen(yaml) };
	struct rule_diags d = { 0 };
	struct rule_set *set = NULL;

	assert_int_equal(rule_set_load(&s, 1, &o, &set, &d), 0);
	rule_diags_free(&d);
	return set;
}

static const char *hits(const struct rule_set *set, const struct cev_event *ev)
{
	static char buf[256];
	const struct rule *h[8];
	size_t n = rule_set_match(set, ev, h, 8), off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < 8; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "," : "",
					h[i]->id);
	return buf;
}

static struct cev_str str(const char *s)
{
	return (struct cev_str){ .p = s, .len = (uint32_t)strlen(s) };
}

static struct cev_event exec_of(const char *exe, struct ident id, uint32_t flags)
{
	struct cev_event ev = { .kind = CEV_EXEC };

	ev.proc.exe = str(exe);
	ev.proc.exe_prog.id = id;
	ev.proc.exe_prog.flags = flags;
	return ev;
}

static void with_parent(struct cev_event *ev, const char *exe, struct ident id)
{
	ev->has_parent = 1;
	ev->parent.exe = str(exe);
	ev->parent.exe_prog.id = id;
}

static const char shell_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: shell\n"
	"    on: exec\n"
	"    severity: high\n"
	"    when:\n"
	"      exe: /usr/bin/dash\n"
	"      parent_exe: /opt/srv/bin/serve\n";

/* A hardlink (or bind mount) of a listed program under another name matches. */
static void test_when_by_identity(void **state)
{
	struct rule_set *set = load(shell_rules, 1);
	struct cev_event ev = exec_of("/tmp/x/innocent", id_of("/usr/bin/dash"), 0);

	with_parent(&ev, "/tmp/renamed-server", id_of("/opt/srv/bin/serve"));
	assert_string_equal(hits(set, &ev), "shell");
	/* by path still */
	ev = exec_of("/usr/bin/dash", (struct ident){ 9, 1 }, 0);
	with_parent(&ev, "/opt/srv/bin/serve", (struct ident){ 9, 2 });
	assert_string_equal(hits(set, &ev), "shell");
	/* neither */
	ev = exec_of("/tmp/x/innocent", (struct ident){ 9, 1 }, 0);
	with_parent(&ev, "/opt/srv/bin/serve", id_of("/opt/srv/bin/serve"));
	assert_string_equal(hits(set, &ev), "");
	rule_set_free(set);
}

static const char git_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: secret\n"
	"    on: file\n"
	"    severity: critical\n"
	"    when:\n"
	"      path: /srv/token\n"
	"    unless:\n"
	"      - exe: [/usr/bin/git, \"/opt/**\"]\n";

static struct cev_event open_by(const char *exe, struct ident id, uint32_t flags)
{
	struct cev_event ev = exec_of(exe, id, flags);

	ev.kind = CEV_FILE;
	ev.file.path = str("/srv/token");
	ev.file.access = CEV_ACC_READ;
	return ev;
}

/*
 * unless: an exempt program under any name is exempt; another program at
 * an exempt path is not when that path is not the host's (a bind mount in
 * a private namespace, a chroot): the agent flags it elsewhere.
 */
static void test_unless_needs_the_hosts_file(void **state)
{
	struct rule_set *set = load(git_rules, 1);
	struct cev_event ev;

	ev = open_by("/usr/bin/git", id_of("/usr/bin/git"), 0);
	assert_string_equal(hits(set, &ev), "");
	ev = open_by("/home/u/git-link", id_of("/usr/bin/git"), CEV_EXE_ELSEWHERE);
	assert_string_equal(hits(set, &ev), "");	/* a hardlink of git */
	ev = open_by("/usr/bin/git", (struct ident){ 77, 1 }, CEV_EXE_ELSEWHERE);
	assert_string_equal(hits(set, &ev), "secret");	/* the bind mount over git */
	/* the host's file at the path is the program (installed after the load) */
	ev = open_by("/usr/bin/git", (struct ident){ 77, 1 }, 0);
	assert_string_equal(hits(set, &ev), "");
	/* globs too, and fileless programs never borrow a path */
	ev = open_by("/opt/tool", (struct ident){ 77, 2 }, CEV_EXE_ELSEWHERE);
	assert_string_equal(hits(set, &ev), "secret");
	ev = open_by("/opt/tool (deleted)", (struct ident){ 77, 2 }, CEV_EXE_DELETED);
	assert_string_equal(hits(set, &ev), "secret");
	ev = open_by("/opt/tool", (struct ident){ 77, 2 }, 0);
	assert_string_equal(hits(set, &ev), "");
	rule_set_free(set);

	/* offline (no resolver): paths as written, flags as the record says */
	set = load(git_rules, 0);
	ev = open_by("/usr/bin/git", (struct ident){ 0, 0 }, 0);
	assert_string_equal(hits(set, &ev), "");
	ev = open_by("/home/u/git-link", id_of("/usr/bin/git"), 0);
	assert_string_equal(hits(set, &ev), "secret");
	rule_set_free(set);
}

static const char content_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: any-shell\n"
	"    on: exec\n"
	"    severity: high\n"
	"    when:\n"
	"      exe_content: [/usr/bin/dash, \"/usr/bin/python3*\"]\n";

/* exe_content: the program, a hardlink, or a copy the agent found (copies). */
static void test_exe_content(void **state)
{
	struct rule_set *set = load(content_rules, 1);
	struct cev_event ev;

	ev = exec_of("/usr/bin/dash", (struct ident){ 9, 9 }, 0);
	assert_string_equal(hits(set, &ev), "any-shell");
	ev = exec_of("/tmp/sh-copy", (struct ident){ 9, 9 }, 0);
	assert_string_equal(hits(set, &ev), "");
	ev.proc.n_copies = 1;
	ev.proc.copies[0] = id_of("/usr/bin/dash");
	assert_string_equal(hits(set, &ev), "any-shell");
	/* a glob with a wildcard in its last component names its files */
	ev = exec_of("memfd:x", (struct ident){ 9, 9 }, CEV_EXE_MEMFD);
	ev.proc.n_copies = 1;
	ev.proc.copies[0] = id_of("/usr/bin/python3.11");
	assert_string_equal(hits(set, &ev), "any-shell");
	ev = exec_of("/srv/venv/bin/python3", id_of("/usr/bin/python3.11"), CEV_EXE_ELSEWHERE);
	assert_string_equal(hits(set, &ev), "any-shell");
	rule_set_free(set);
}

static const char lineage_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: under-server\n"
	"    on: exec\n"
	"    severity: high\n"
	"    when:\n"
	"      exe: /usr/bin/dash\n"
	"      ancestor_exe: [\"/opt/srv/**\"]\n"
	"  - id: also-under-server\n"
	"    on: connect\n"
	"    severity: high\n"
	"    when:\n"
	"      ancestor_exe: [\"/opt/srv/**\"]\n"
	"  - id: not-under-git\n"
	"    on: exec\n"
	"    severity: low\n"
	"    when:\n"
	"      exe: /usr/bin/curl\n"
	"    unless:\n"
	"      - ancestor_exe: /usr/bin/git\n";

/*
 * ancestor_exe: the same value lists share a class (when and unless apart);
 * the class's bit in the event's lineage holds with no ancestor listed; so
 * does the program the process ran before its last exec.
 */
static void test_ancestor_classes(void **state)
{
	struct rule_set *set = load(lineage_rules, 1);
	struct cev_event ev;
	struct cev_str serve = str("/opt/srv/bin/serve"), git = str("/usr/bin/git");
	struct cev_prog unknown = { { 0, 0 }, 0 };

	assert_int_equal(set->n_classes, 2);
	assert_int_equal(set->rules[0].when.f[F_ANCESTOR_EXE].cls, 0);
	assert_int_equal(set->rules[1].when.f[F_ANCESTOR_EXE].cls, 0);
	assert_int_equal(set->rules[2].unless[0].f[F_ANCESTOR_EXE].cls, 1);
	assert_int_equal(set->classes[1].unless, 1);
	assert_int_equal(rule_set_classes_of(set, &serve, &unknown), 1);
	assert_int_equal(rule_set_classes_of(set, &git, &unknown), 2);

	ev = exec_of("/usr/bin/dash", id_of("/usr/bin/dash"), 0);
	assert_string_equal(hits(set, &ev), "");
	ev.lineage = 1;		/* the kernel kept it: a dead, evicted ancestor */
	assert_string_equal(hits(set, &ev), "under-server");
	ev.lineage = 0;
	ev.proc.prev_exe = str("/opt/srv/bin/serve");	/* it exec'd away from the server */
	assert_string_equal(hits(set, &ev), "under-server");

	/* unless: a former program's path is not checked on the host: no exemption */
	ev = exec_of("/usr/bin/curl", id_of("/usr/bin/curl"), 0);
	ev.proc.prev_exe = git;
	assert_string_equal(hits(set, &ev), "not-under-git");
	ev.lineage = 2;
	assert_string_equal(hits(set, &ev), "");
	rule_set_free(set);
}

/* The resolver is asked about literal paths and last-component globs only. */
static void test_resolvable_values(void **state)
{
	static const char many[] =
		"custos: 1\n"
		"rules:\n"
		"  - id: r\n"
		"    on: exec\n"
		"    severity: low\n"
		"    when:\n"
		"      exe: [/usr/bin/git, \"/usr/bin/py*\", \"**/git\", \"/opt/*/bin/x\", \"/a/**\"]\n";
	struct rule_set *set;

	calls = 0;
	set = load(many, 1);
	assert_int_equal(calls, 2);
	assert_int_equal(set->rules[0].when.f[F_EXE].n_idents, 2);
	rule_set_free(set);
	assert_true(rules_glob_resolvable("/usr/bin/ksh*"));
	assert_false(rules_glob_resolvable("/usr/*/ksh"));
	assert_false(rules_glob_resolvable("/usr/bin/**"));
	assert_false(rules_glob_resolvable("**/ksh"));
	assert_false(rules_glob_resolvable("memfd:*"));
}

/* An argv the kernel cut short: `args` in when holds, in unless does not. */
static void test_truncated_argv_fails_closed(void **state)
{
	static const char yaml[] =
		"custos: 1\n"
		"rules:\n"
		"  - id: inline\n"
		"    on: exec\n"
		"    severity: medium\n"
		"    when:\n"
		"      args: \"** -c**\"\n"
		"    unless:\n"
		"      - args: \"python3 -c pass\"\n";
	static const char cut[] = "python3\0-X\0aaaaaaaa";
	static const char exempt[] = "python3\0-c\0pass";
	struct rule_set *set = load(yaml, 0);
	struct cev_event ev = exec_of("/usr/bin/python3", (struct ident){ 0, 0 }, 0);

	ev.proc.args = (struct cev_args){ cut, sizeof(cut) - 1, 0 };
	assert_string_equal(hits(set, &ev), "");
	ev.proc.args.truncated = 1;
	assert_string_equal(hits(set, &ev), "inline");
	/* the visible part matches the exemption, but it was cut: not shown */
	ev.proc.args = (struct cev_args){ exempt, sizeof(exempt) - 1, 1 };
	assert_string_equal(hits(set, &ev), "inline");
	ev.proc.args.truncated = 0;
	assert_string_equal(hits(set, &ev), "");
	rule_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_when_by_identity),
		cmocka_unit_test(test_unless_needs_the_hosts_file),
		cmocka_unit_test(test_exe_content),
		cmocka_unit_test(test_ancestor_classes),
		cmocka_unit_test(test_resolvable_values),
		cmocka_unit_test(test_truncated_argv_fails_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
