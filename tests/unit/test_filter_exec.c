/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_filter_exec.c - the exec block-rule compiler (user/filters/exec.h):
 * rules in, the exec guard maps out; and a reference evaluation of those
 * maps (what bpf/execguard.bpf.c computes for one exec).  Pure: files are a
 * fake resolver's data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/exec.h"
#include "filters/filters.h"

static struct rule_set *load(const char *yaml)
{
	struct rule_source src = { "t.yaml", yaml, strlen(yaml) };
	struct rule_set *set = NULL;

	assert_int_equal(rule_set_load(&src, 1, NULL, &set, NULL), 0);
	return set;
}

/* A fake file system: /usr/bin/nc is (8, 100), /opt/srv/vllm (8, 200),
 * /usr/bin/ssh (8, 300); every other path is missing. */
static int fake_resolve(const char *path, enum guard_want want, struct file_ident *out,
			void *ctx)
{
	static const struct { const char *p; uint64_t ino; } files[] = {
		{ "/usr/bin/nc", 100 }, { "/opt/srv/vllm", 200 }, { "/usr/bin/ssh", 300 },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(path, files[i].p) == 0) {
			*out = (struct file_ident){ 8, files[i].ino };
			return 0;
		}
	}
	return -ENOENT;
}

/* One file as the kernel sees it: identity and dentry name. */
struct kfile {
	uint64_t ino;		/* dev is 8; 0: no file (e.g. a kernel thread parent) */
	const char *name;
};

static struct guard_bits bits_of(const struct filter_guard *c, const struct kfile *f)
{
	struct guard_bits b = { 0 };
	struct file_name_key nk = { 0 };

	if (!f->ino)
		return b;
	for (size_t i = 0; i < c->n_ids; i++)
		if (c->ikeys[i].dev == 8 && c->ikeys[i].ino == f->ino)
			b = c->ivals[i];
	if (strlen(f->name) >= FILE_NAME_KEY)
		return b;
	memcpy(nk.name, f->name, strlen(f->name));
	for (size_t i = 0; i < c->n_names; i++) {
		if (memcmp(&c->nkeys[i], &nk, sizeof(nk)) == 0) {
			b.exe_when |= c->nvals[i].exe_when;
			b.exe_unless |= c->nvals[i].exe_unless;
			b.parent_when |= c->nvals[i].parent_when;
			b.parent_unless |= c->nvals[i].parent_unless;
		}
	}
	return b;
}

/* What execguard.bpf.c computes: the refusing rule slots for one exec. */
static uint64_t kernel_eval(const struct filter_guard *c, struct kfile exe, struct kfile parent,
			    uint32_t uid)
{
	const struct guard_conf *k = &c->conf;
	struct guard_bits x = bits_of(c, &exe), p = bits_of(c, &parent);
	uint64_t uw = 0, uu = 0, when, holds, suppress = 0;

	for (size_t i = 0; i < c->n_uids; i++) {
		if (c->ukeys[i] == uid) {
			uw = c->uvals[i].when;
			uu = c->uvals[i].unless;
		}
	}
	if (!k->active)
		return 0;
	when = k->active & (x.exe_when | ~k->need_exe) & (p.parent_when | ~k->need_parent) &
	       (uw | ~k->need_uid);
	holds = k->cond_valid & (x.exe_unless | ~k->cond_need_exe) &
		(p.parent_unless | ~k->cond_need_parent) & (uu | ~k->cond_need_uid);
	for (int i = 0; i < GUARD_MAX_CONDS; i++)
		suppress |= (0 - ((holds >> i) & 1)) & k->cond_owner[i];
	return when & ~suppress;
}

static const struct kfile NC = { 100, "nc" }, VLLM = { 200, "vllm" }, SSH = { 300, "ssh" },
			  BASH = { 400, "bash" }, NCAT = { 500, "ncat" }, NONE = { 0, "" },
			  NC_COPY = { 600, "nc" };

static const char two_rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: report-only\n"		/* not a block rule: not compiled */
	"    on: exec\n    severity: low\n"
	"    when:\n      exe: /usr/bin/nc\n      args: \"* -e *\"\n"
	"  - id: no-nc-from-server\n"
	"    on: exec\n    severity: high\n    action: block\n"
	"    when:\n      exe: [/usr/bin/nc, \"**/ncat\"]\n      parent_exe: /opt/srv/vllm\n"
	"  - id: off\n"
	"    on: exec\n    severity: high\n    action: block\n    enabled: false\n"
	"    when:\n      args: \"*\"\n"
	"  - id: no-ssh-but-root\n"
	"    on: exec\n    severity: medium\n    action: block\n"
	"    when:\n      exe: /usr/bin/ssh\n"
	"    unless:\n      - uid: 0\n      - parent_exe: \"**/bash\"\n        uid: [1000]\n";

static void test_slots_and_masks(void **state)
{
	struct rule_set *rs = load(two_rules);
	struct filter_guard c;

	assert_int_equal(filter_guard_block_rules(rs, RULE_ON_EXEC), 2);
	assert_int_equal(filter_exec_compile(rs, fake_resolve, NULL, NULL, &c, NULL), 0);
	assert_int_equal(c.n_slots, 2);
	assert_string_equal(c.slot[0]->id, "no-nc-from-server");
	assert_string_equal(c.slot[1]->id, "no-ssh-but-root");
	assert_int_equal(c.conf.active, 3);
	assert_int_equal(c.conf.need_exe, 3);
	assert_int_equal(c.conf.need_parent, 1);
	assert_int_equal(c.conf.need_uid, 0);
	assert_int_equal(c.conf.cond_valid, 3);
	assert_int_equal(c.conf.cond_owner[0], 2);
	assert_int_equal(c.conf.cond_owner[1], 2);
	assert_int_equal(c.conf.cond_need_uid, 3);
	assert_int_equal(c.conf.cond_need_parent, 2);
	assert_int_equal(c.conf.cond_need_exe, 0);
	assert_int_equal(c.conf.gen, rule_set_gen(rs));
	assert_int_equal(c.n_ids, 3);	/* nc, vllm, ssh */
	assert_int_equal(c.n_names, 2);	/* ncat, bash */
	assert_int_equal(c.n_uids, 2);	/* 0, 1000 */
	assert_int_equal(c.n_missing, 0);
	filter_guard_free(&c);
	rule_set_free(rs);
}

static void test_kernel_decision(void **state)
{
	struct rule_set *rs = load(two_rules);
	struct filter_guard c;

	assert_int_equal(filter_exec_compile(rs, fake_resolve, NULL, NULL, &c, NULL), 0);
	/* nc or any file named ncat, from the server: rule 0 */
	assert_int_equal(kernel_eval(&c, NC, VLLM, 1000), 1);
	assert_int_equal(kernel_eval(&c, NCAT, VLLM, 1000), 1);
	/* a copy of nc elsewhere is another file (identity), named nc, not ncat */
	assert_int_equal(kernel_eval(&c, NC_COPY, VLLM, 1000), 0);
	/* nc from a shell: no parent match */
	assert_int_equal(kernel_eval(&c, NC, BASH, 1000), 0);
	assert_int_equal(kernel_eval(&c, NC, NONE, 1000), 0);
	/* ssh: rule 1, unless root, unless bash as 1000 (both fields of that condition) */
	assert_int_equal(kernel_eval(&c, SSH, VLLM, 1000), 2);
	assert_int_equal(kernel_eval(&c, SSH, VLLM, 0), 0);
	assert_int_equal(kernel_eval(&c, SSH, BASH, 1000), 0);
	assert_int_equal(kernel_eval(&c, SSH, BASH, 1001), 2);
	/* an unless of rule 1 does not suppress rule 0 */
	assert_int_equal(kernel_eval(&c, NC, VLLM, 0), 1);
	/* nothing else */
	assert_int_equal(kernel_eval(&c, BASH, VLLM, 0), 0);
	filter_guard_free(&c);
	rule_set_free(rs);
}

/* A path that names no file now is recorded (the agent warns), not an error. */
static void test_missing_path(void **state)
{
	struct rule_set *rs = load("custos: 1\nrules:\n  - id: b\n    on: exec\n"
				   "    severity: low\n    action: block\n"
				   "    when:\n      exe: [/opt/not-here, /usr/bin/nc]\n");
	struct filter_guard c;

	assert_int_equal(filter_exec_compile(rs, fake_resolve, NULL, NULL, &c, NULL), 0);
	assert_int_equal(c.n_missing, 1);
	assert_string_equal(c.missing[0].path, "/opt/not-here");
	assert_string_equal(c.missing[0].rule->id, "b");
	assert_int_equal(c.n_ids, 1);
	assert_int_equal(kernel_eval(&c, NC, NONE, 0), 1);
	filter_guard_free(&c);
	/* without a resolver (rules check): same slots, nothing resolved or missing */
	assert_int_equal(filter_exec_compile(rs, NULL, NULL, NULL, &c, NULL), 0);
	assert_int_equal(c.n_slots, 1);
	assert_int_equal(c.n_ids, 0);
	assert_int_equal(c.n_missing, 0);
	assert_int_equal(kernel_eval(&c, NC, NONE, 0), 0);
	filter_guard_free(&c);
	rule_set_free(rs);
}

static void test_value_kinds(void **state)
{
	struct file_name_key k;

	assert_int_equal(filter_guard_value_kernel("/usr/bin/nc", NULL), GUARD_VALUE_PATH);
	assert_int_equal(filter_guard_value_kernel("**/nc", &k), GUARD_VALUE_NAME);
	assert_string_equal(k.name, "nc");
	assert_int_equal(k.name[FILE_NAME_KEY - 1], 0);
	assert_int_equal(filter_guard_value_kernel("**/0123456789012345678901234567890", NULL),
			 GUARD_VALUE_NAME);	/* 31 bytes */
	assert_int_equal(filter_guard_value_kernel("**/01234567890123456789012345678901", NULL),
			 GUARD_VALUE_NONE);	/* 32 bytes */
	assert_int_equal(filter_guard_value_kernel("/usr/bin/*", NULL), GUARD_VALUE_NONE);
	assert_int_equal(filter_guard_value_kernel("/usr/bin/n\\c", NULL), GUARD_VALUE_NONE);
	assert_int_equal(filter_guard_value_kernel("**/nc*", NULL), GUARD_VALUE_NONE);
	assert_int_equal(filter_guard_value_kernel("**/bin/nc", NULL), GUARD_VALUE_NONE);
	assert_int_equal(filter_guard_value_kernel("**/", NULL), GUARD_VALUE_NONE);
	assert_int_equal(filter_guard_value_kernel("**/..", NULL), GUARD_VALUE_NONE);
	assert_int_equal(filter_guard_value_kernel("nc", NULL), GUARD_VALUE_NONE);
	assert_int_equal(filter_guard_value_kernel("/opt/**/nc", NULL), GUARD_VALUE_NONE);
}

static void assert_check_fails(const char *yaml, const char *want)
{
	struct rule_set *rs = load(yaml);
	struct rule_diags d = { 0 };
	char buf[1024];

	assert_int_equal(filter_exec_check(rs, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	rule_diag_format(&d.v[0], buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("got:  %s\nwant: %s", buf, want);
	rule_diags_free(&d);
	/* filters_check (what `custos rules check` runs) says the same */
	assert_int_equal(filters_check(rs, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	rule_diags_free(&d);
	rule_set_free(rs);
}

#define HEAD "custos: 1\nrules:\n  - id: b\n    on: exec\n    severity: low\n    action: block\n"

static void test_check_block_rules(void **state)
{
	assert_check_fails(HEAD "    when:\n      exe: /usr/bin/nc\n      args: \"* -e *\"\n",
			   "t.yaml:3:5: error: rule 'b': action block needs a condition the "
			   "kernel decides, but `when` uses 'args', which the kernel cannot "
			   "evaluate (it can: exe, exe_content, parent_exe, uid, labels, ancestor_exe)");
	assert_check_fails(HEAD "    when:\n      exe: /usr/bin/nc\n      comm: [nc]\n",
			   "t.yaml:3:5: error: rule 'b': action block needs a condition the "
			   "kernel decides, but `when` uses 'comm', which the kernel cannot "
			   "evaluate (it can: exe, exe_content, parent_exe, uid, labels, ancestor_exe)");
	assert_check_fails(HEAD "    when:\n      exe: \"/usr/*/nc\"\n",
			   "t.yaml:3:5: error: rule 'b': action block needs a condition the "
			   "kernel decides, but `when.exe` has '/usr/*/nc', which it cannot "
			   "(it can: an absolute path without wildcards, or '**/NAME')");
	assert_check_fails(HEAD "    when:\n      exe: /usr/bin/nc\n"
			   "    unless:\n      - comm: [sshd]\n",
			   "t.yaml:3:5: error: rule 'b': action block needs every `unless` "
			   "condition decided in the kernel, but one uses 'comm' (the "
			   "kernel can: exe, parent_exe as an absolute path without wildcards or "
			   "'**/NAME', exe_content as an absolute path, uid, labels, ancestor_exe)");
	assert_check_fails(HEAD "    when:\n      exe: /usr/bin/nc\n"
			   "    unless:\n      - parent_exe: \"/opt/**/srv\"\n",
			   "t.yaml:3:5: error: rule 'b': action block needs every `unless` "
			   "condition decided in the kernel, but one uses 'parent_exe' with "
			   "'/opt/**/srv' (the kernel can: exe, parent_exe as an absolute path "
			   "without wildcards or '**/NAME', exe_content as an absolute path, uid, labels, ancestor_exe)");
	assert_check_fails(HEAD "    when:\n      cgroup: /system.slice/**\n",
			   "t.yaml:3:5: error: rule 'b': action block needs a condition the "
			   "kernel decides, but `when` uses 'cgroup', which the kernel cannot "
			   "evaluate (it can: exe, exe_content, parent_exe, uid, labels, ancestor_exe)");
}

/* A fingerprint the fake head gives: nc's, and another program's. */
static int fake_head(const char *path, struct exe_head_key *k, void *ctx)
{
	if (strcmp(path, "/usr/bin/nc") != 0)
		return -ENOENT;
	k->size = 1000;
	k->head = 0xabc;
	return 0;
}

/* The exec_heads bits of a program of this fingerprint (what head_bits() reads). */
static struct guard_bits head_of(const struct filter_guard *c, uint64_t size, uint64_t head)
{
	struct guard_bits b = { 0 };

	for (size_t i = 0; i < c->n_heads; i++)
		if (c->hkeys[i].size == size && c->hkeys[i].head == head)
			b = c->hvals[i];
	return b;
}

/*
 * exe_content: the program by identity (a hardlink), and any file of its
 * fingerprint (a copy, a memfd holding it) by exec_heads; an unless too.
 */
static void test_content_copies(void **state)
{
	struct rule_set *rs = load(HEAD "    when:\n      exe_content: /usr/bin/nc\n"
				   "      parent_exe: /opt/srv/vllm\n"
				   "  - id: c\n    on: exec\n    severity: low\n    action: block\n"
				   "    when:\n      uid: 7\n"
				   "    unless:\n      - exe_content: [/usr/bin/nc, /opt/gone]\n");
	struct filter_guard c;
	struct guard_bits h;

	assert_int_equal(filter_exec_compile(rs, fake_resolve, fake_head, NULL, &c, NULL), 0);
	assert_int_equal(c.conf.any_heads, 1);
	assert_int_equal(c.conf.need_exe, 1);
	assert_int_equal(c.conf.cond_need_exe, 1);
	assert_int_equal(c.n_heads, 1);
	assert_int_equal(c.n_missing, 2);	/* /opt/gone: no identity, no fingerprint */
	h = head_of(&c, 1000, 0xabc);
	assert_int_equal(h.exe_when, 1);
	assert_int_equal(h.exe_unless, 1);
	/* the identity: a hardlink of nc */
	assert_int_equal(kernel_eval(&c, NC, VLLM, 1000), 1);
	/* a copy: the fingerprint's bits join the exe's, as in the hook */
	{
		const struct guard_conf *k = &c.conf;
		struct guard_bits x = bits_of(&c, &NC_COPY), p = bits_of(&c, &VLLM);
		uint64_t when;

		assert_int_equal(x.exe_when, 0);
		x.exe_when |= h.exe_when;
		when = k->active & (x.exe_when | ~k->need_exe) & (p.parent_when | ~k->need_parent);
		assert_int_equal(when & 1, 1);
		/* another fingerprint: nothing */
		x = bits_of(&c, &NC_COPY);
		x.exe_when |= head_of(&c, 1000, 0xabd).exe_when;
		when = k->active & (x.exe_when | ~k->need_exe) & (p.parent_when | ~k->need_parent);
		assert_int_equal(when & 1, 0);
	}
	filter_guard_free(&c);
	rule_set_free(rs);

	assert_check_fails(HEAD "    when:\n      exe_content: \"**/nc\"\n",
			   "t.yaml:3:5: error: rule 'b': action block needs a condition the "
			   "kernel decides, but `when.exe_content` has '**/nc', which it cannot "
			   "(it can: an absolute path without wildcards)");
	assert_check_fails(HEAD "    when:\n      exe: /usr/bin/nc\n      exe_content: /usr/bin/nc\n",
			   "t.yaml:3:5: error: rule 'b': action block cannot have both `exe` and "
			   "`exe_content` in `when` (the kernel decides them as one); list the "
			   "programs under exe_content");
}

/* Alert rules and disabled block rules may use anything: the kernel has no part. */
static void test_check_others_pass(void **state)
{
	struct rule_set *rs = load(two_rules);
	struct rule_diags d = { 0 };

	assert_int_equal(filter_exec_check(rs, &d), 0);
	assert_int_equal(d.n, 0);
	rule_set_free(rs);
	/* uid alone is decidable */
	rs = load(HEAD "    when:\n      uid: [1234]\n");
	assert_int_equal(filter_exec_check(rs, &d), 0);
	rule_set_free(rs);
}

static void test_too_many_rules(void **state)
{
	char yaml[65536];
	size_t n = (size_t)snprintf(yaml, sizeof(yaml), "custos: 1\nrules:\n");
	struct rule_set *rs;
	struct rule_diags d = { 0 };
	char buf[1024];

	for (int i = 0; i <= GUARD_MAX_RULES; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
				      "  - id: r%d\n    on: exec\n    severity: low\n"
				      "    action: block\n    when:\n      uid: %d\n", i, i);
	rs = load(yaml);
	assert_int_equal(filter_exec_check(rs, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	rule_diag_format(&d.v[0], buf, sizeof(buf));
	assert_non_null(strstr(buf, "rule 'r64': more than 64 exec block rules"));
	rule_diags_free(&d);
	rule_set_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_and_masks),
		cmocka_unit_test(test_kernel_decision),
		cmocka_unit_test(test_missing_path),
		cmocka_unit_test(test_value_kinds),
		cmocka_unit_test(test_check_block_rules),
		cmocka_unit_test(test_check_others_pass),
		cmocka_unit_test(test_content_copies),
		cmocka_unit_test(test_too_many_rules),
	};

	return cmocka_run_group_tests_name("filter_exec", tests, NULL, NULL);
}
