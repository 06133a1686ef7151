/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_filter_fileguard.c - the file block-rule compiler
 * (user/filters/fileguard.h): rules in, the file guard maps out; and a
 * reference evaluation of those maps (what bpf/fileguard.bpf.h computes for
 * one open).  Pure: files are a fake resolver's data.
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

#include "events.h"
#include "filters/fileguard.h"
#include "filters/filters.h"

static struct rule_set *load(const char *yaml)
{
	struct rule_source src = { "t.yaml", yaml, strlen(yaml) };
	struct rule_set *set = NULL;

	assert_int_equal(rule_set_load(&src, 1, NULL, &set, NULL), 0);
	return set;
}

/* A fake file system (dev 8): what each path is, and of which kind. */
static const struct {
	const char *p;
	uint64_t ino;
	enum guard_want kind;	/* ANY: a plain file; DIR; EXE: a program */
} files[] = {
	{ "/root/.aws/credentials", 10, GUARD_WANT_ANY },
	{ "/srv/models", 20, GUARD_WANT_DIR },
	{ "/", 2, GUARD_WANT_DIR },
	{ "/usr/bin/curl", 100, GUARD_WANT_EXE },
	{ "/opt/srv/vllm", 200, GUARD_WANT_EXE },
	{ "/opt/srv/loader", 300, GUARD_WANT_EXE },
};

static int fake_resolve(const char *path, enum guard_want want, struct file_ident *out,
			void *ctx)
{
	int *calls = ctx;

	if (calls)
		(*calls)++;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(path, files[i].p) != 0)
			continue;
		/* a path value names any file; DIR and EXE want their kind */
		if (want != GUARD_WANT_ANY && want != files[i].kind)
			return -ENOENT;
		*out = (struct file_ident){ 8, files[i].ino };
		return 0;
	}
	return -ENOENT;
}

/* One file as the kernel sees it: identity and dentry name. */
struct kfile {
	uint64_t ino;		/* 0: no file */
	const char *name;
};

/* An open: the file, its ancestors' inodes (nearest first, 0-terminated), access. */
struct kopen {
	struct kfile file;
	uint64_t up[8];
	uint32_t acc;		/* EV_ACC_* */
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
	if (strlen(f->name) == 0 || strlen(f->name) >= FILE_NAME_KEY)
		return b;
	memcpy(nk.name, f->name, strlen(f->name));
	for (size_t i = 0; i < c->n_names; i++) {
		if (memcmp(&c->nkeys[i], &nk, sizeof(nk)) == 0) {
			b.path_when |= c->nvals[i].path_when;
			b.path_unless |= c->nvals[i].path_unless;
			b.exe_when |= c->nvals[i].exe_when;
			b.exe_unless |= c->nvals[i].exe_unless;
			b.parent_when |= c->nvals[i].parent_when;
			b.parent_unless |= c->nvals[i].parent_unless;
		}
	}
	return b;
}

/* What fileguard_decide() computes: the refusing rule slots for one open. */
static uint64_t kernel_eval(const struct filter_guard *c, const struct kopen *o,
			    struct kfile exe, struct kfile parent, uint32_t uid)
{
	const struct guard_conf *k = &c->conf;
	struct guard_bits f = bits_of(c, &o->file), x = bits_of(c, &exe), p = bits_of(c, &parent);
	uint64_t tw = 0, tu = 0, aw = 0, au = 0, uw = 0, uu = 0, when, holds, suppress = 0;

	if (!k->active)
		return 0;
	if (k->any_tree) {	/* the file itself, then each directory above */
		for (int i = -1; i < 8 && (i < 0 || o->up[i]); i++) {
			uint64_t ino = i < 0 ? o->file.ino : o->up[i];

			for (size_t j = 0; j < c->n_ids; j++) {
				if (c->ikeys[j].ino == ino) {
					tw |= c->ivals[j].tree_when;
					tu |= c->ivals[j].tree_unless;
				}
			}
		}
	}
	if (o->acc & EV_ACC_READ)
		aw |= k->acc_read, au |= k->cond_acc_read;
	if (o->acc & EV_ACC_WRITE)
		aw |= k->acc_write, au |= k->cond_acc_write;
	if (o->acc & EV_ACC_CREATE)
		aw |= k->acc_create, au |= k->cond_acc_create;
	for (size_t i = 0; i < c->n_uids; i++) {
		if (c->ukeys[i] == uid) {
			uw = c->uvals[i].when;
			uu = c->uvals[i].unless;
		}
	}
	when = k->active & (f.path_when | tw | ~k->need_path) & (aw | ~k->need_access) &
	       (x.exe_when | ~k->need_exe) & (p.parent_when | ~k->need_parent) &
	       (uw | ~k->need_uid);
	holds = k->cond_valid & (f.path_unless | tu | ~k->cond_need_path) &
		(au | ~k->cond_need_access) & (x.exe_unless | ~k->cond_need_exe) &
		(p.parent_unless | ~k->cond_need_parent) & (uu | ~k->cond_need_uid);
	for (int i = 0; i < GUARD_MAX_CONDS; i++)
		suppress |= (0 - ((holds >> i) & 1)) & k->cond_owner[i];
	return when & ~suppress;
}

static const struct kfile CURL = { 100, "curl" }, VLLM = { 200, "vllm" },
			  LOADER = { 300, "loader" }, BASH = { 400, "bash" },
			  CURL_COPY = { 600, "curl" }, NONE = { 0, "" };

/* /root/.aws/credentials (10) under /root/.aws (11), /root (12), / (2) */
static const struct kopen CREDS_R = { { 10, "credentials" }, { 11, 12, 2 }, EV_ACC_READ };
static const struct kopen CREDS_W = { { 10, "credentials" }, { 11, 12, 2 }, EV_ACC_WRITE };
/* a copy of it elsewhere: another file of the same name */
static const struct kopen COPY_R = { { 13, "credentials" }, { 14, 2 }, EV_ACC_READ };
/* /srv/models/llama/w.bin (30) under llama (31), /srv/models (20), /srv (21), / */
static const struct kopen WEIGHTS_R = { { 30, "w.bin" }, { 31, 20, 21, 2 }, EV_ACC_READ };
static const struct kopen WEIGHTS_C = { { 32, "new.bin" }, { 20, 21, 2 },
					EV_ACC_WRITE | EV_ACC_CREATE };
/* /tmp/.env (40) under /tmp (41) */
static const struct kopen ENV_R = { { 40, ".env" }, { 41, 2 }, EV_ACC_READ };
static const struct kopen OTHER_R = { { 50, "x" }, { 41, 2 }, EV_ACC_READ };

static const char rules[] =
	"custos: 1\n"
	"rules:\n"
	"  - id: report-only\n"		/* not a block rule: not compiled */
	"    on: file\n    severity: low\n"
	"    when:\n      path: \"/etc/*.conf\"\n"
	"  - id: no-creds-read\n"
	"    on: file\n    severity: critical\n    action: block\n"
	"    when:\n      path: /root/.aws/credentials\n      access: [read]\n"
	"    unless:\n      - exe: /usr/bin/curl\n        uid: 0\n"
	"  - id: off\n"
	"    on: file\n    severity: high\n    action: block\n    enabled: false\n"
	"    when:\n      path: \"/x/*\"\n"
	"  - id: weights-only-by-server\n"
	"    on: file\n    severity: high\n    action: block\n"
	"    when:\n      path: [\"/srv/models/**\", \"**/.env\"]\n"
	"    unless:\n      - parent_exe: /opt/srv/vllm\n      - exe: \"**/loader\"\n"
	"      - path: \"/srv/models/**\"\n        access: [create]\n";

static void test_slots_and_masks(void **state)
{
	struct rule_set *rs = load(rules);
	struct filter_guard c;

	assert_int_equal(filter_guard_block_rules(rs, RULE_ON_FILE), 2);
	assert_int_equal(filter_fileguard_compile(rs, fake_resolve, NULL, &c, NULL), 0);
	assert_int_equal(c.n_slots, 2);
	assert_string_equal(c.slot[0]->id, "no-creds-read");
	assert_string_equal(c.slot[1]->id, "weights-only-by-server");
	assert_int_equal(c.conf.active, 3);
	assert_int_equal(c.conf.need_path, 3);
	assert_int_equal(c.conf.need_access, 1);
	assert_int_equal(c.conf.acc_read, 1);
	assert_int_equal(c.conf.acc_write, 0);
	assert_int_equal(c.conf.acc_create, 0);
	assert_int_equal(c.conf.need_exe | c.conf.need_parent | c.conf.need_uid, 0);
	assert_int_equal(c.conf.cond_valid, 0xf);	/* 1 + 3 conditions */
	assert_int_equal(c.conf.cond_owner[0], 1);
	assert_int_equal(c.conf.cond_owner[1], 2);
	assert_int_equal(c.conf.cond_owner[2], 2);
	assert_int_equal(c.conf.cond_owner[3], 2);
	assert_int_equal(c.conf.cond_need_exe, 0x5);
	assert_int_equal(c.conf.cond_need_uid, 0x1);
	assert_int_equal(c.conf.cond_need_parent, 0x2);
	assert_int_equal(c.conf.cond_need_path, 0x8);
	assert_int_equal(c.conf.cond_need_access, 0x8);
	assert_int_equal(c.conf.cond_acc_create, 0x8);
	assert_int_equal(c.conf.cond_acc_read | c.conf.cond_acc_write, 0);
	assert_int_equal(c.conf.any_tree, 1);
	assert_int_equal(c.conf.gen, rule_set_gen(rs));
	assert_int_equal(c.n_ids, 4);	/* credentials, /srv/models, curl, vllm */
	assert_int_equal(c.n_names, 2);	/* .env, loader */
	assert_int_equal(c.n_uids, 1);
	assert_int_equal(c.n_missing, 0);
	filter_guard_free(&c);
	rule_set_free(rs);
}

static void test_kernel_decision(void **state)
{
	struct rule_set *rs = load(rules);
	struct filter_guard c;

	assert_int_equal(filter_fileguard_compile(rs, fake_resolve, NULL, &c, NULL), 0);
	/* the credentials, read: rule 0, unless curl as root (both fields) */
	assert_int_equal(kernel_eval(&c, &CREDS_R, BASH, NONE, 1000), 1);
	assert_int_equal(kernel_eval(&c, &CREDS_R, CURL, BASH, 1000), 1);
	assert_int_equal(kernel_eval(&c, &CREDS_R, CURL, BASH, 0), 0);
	assert_int_equal(kernel_eval(&c, &CREDS_R, CURL_COPY, BASH, 0), 1);	/* identity */
	/* written, not read: access does not match */
	assert_int_equal(kernel_eval(&c, &CREDS_W, BASH, NONE, 1000), 0);
	/* a file of the same name elsewhere is another file */
	assert_int_equal(kernel_eval(&c, &COPY_R, BASH, NONE, 1000), 0);
	/* under /srv/models, two levels down: rule 1, unless the server's child,
	 * unless a program named loader */
	assert_int_equal(kernel_eval(&c, &WEIGHTS_R, BASH, NONE, 1000), 2);
	assert_int_equal(kernel_eval(&c, &WEIGHTS_R, CURL, VLLM, 1000), 0);
	assert_int_equal(kernel_eval(&c, &WEIGHTS_R, LOADER, BASH, 1000), 0);
	/* created under it: the unless `path + access: [create]` exempts it */
	assert_int_equal(kernel_eval(&c, &WEIGHTS_C, BASH, NONE, 1000), 0);
	/* .env anywhere by name */
	assert_int_equal(kernel_eval(&c, &ENV_R, BASH, NONE, 1000), 2);
	/* nothing else */
	assert_int_equal(kernel_eval(&c, &OTHER_R, BASH, NONE, 0), 0);
	filter_guard_free(&c);
	rule_set_free(rs);
}

/* Missing paths are recorded (the agent warns); kinds are checked. */
static void test_missing_and_kinds(void **state)
{
	struct rule_set *rs = load("custos: 1\nrules:\n  - id: b\n    on: file\n"
				   "    severity: low\n    action: block\n"
				   "    when:\n      path: [/opt/not-here, \"/root/.aws/credentials/**\","
				   " \"/srv/models/**\"]\n      exe: [/srv/models, /usr/bin/curl]\n");
	struct filter_guard c;
	int calls = 0;

	assert_int_equal(filter_fileguard_compile(rs, fake_resolve, &calls, &c, NULL), 0);
	assert_int_equal(calls, 5);
	assert_int_equal(c.n_missing, 3);	/* missing; a file as DIR; a dir as exe */
	assert_string_equal(c.missing[0].path, "/opt/not-here");
	assert_string_equal(c.missing[1].path, "/root/.aws/credentials/**");
	assert_string_equal(c.missing[2].path, "/srv/models");
	assert_string_equal(c.missing[0].rule->id, "b");
	assert_int_equal(kernel_eval(&c, &WEIGHTS_R, CURL, NONE, 0), 1);
	assert_int_equal(kernel_eval(&c, &WEIGHTS_R, BASH, NONE, 0), 0);
	assert_int_equal(kernel_eval(&c, &CREDS_R, CURL, NONE, 0), 0);
	filter_guard_free(&c);
	/* without a resolver (rules check): same slots, nothing resolved or missing */
	assert_int_equal(filter_fileguard_compile(rs, NULL, NULL, &c, NULL), 0);
	assert_int_equal(c.n_slots, 1);
	assert_int_equal(c.n_ids, 0);
	assert_int_equal(c.n_missing, 0);
	assert_int_equal(kernel_eval(&c, &WEIGHTS_R, CURL, NONE, 0), 0);
	filter_guard_free(&c);
	rule_set_free(rs);
}

static void test_path_kinds(void **state)
{
	struct file_name_key k;
	size_t dl = 0;

	assert_int_equal(filter_guard_path_kernel("/root/.aws/credentials", NULL, NULL),
			 GUARD_PATH_FILE);
	assert_int_equal(filter_guard_path_kernel("/srv/models/**", &dl, NULL), GUARD_PATH_TREE);
	assert_int_equal(dl, strlen("/srv/models"));
	assert_int_equal(filter_guard_path_kernel("/**", &dl, NULL), GUARD_PATH_TREE);
	assert_int_equal(dl, 1);
	assert_int_equal(filter_guard_path_kernel("**/.env", NULL, &k), GUARD_PATH_NAME);
	assert_string_equal(k.name, ".env");
	assert_int_equal(filter_guard_path_kernel("/srv/*/models/**", NULL, NULL), GUARD_PATH_NONE);
	assert_int_equal(filter_guard_path_kernel("/srv/models/*", NULL, NULL), GUARD_PATH_NONE);
	assert_int_equal(filter_guard_path_kernel("/srv/models/**/x", NULL, NULL), GUARD_PATH_NONE);
	assert_int_equal(filter_guard_path_kernel("**/*.pem", NULL, NULL), GUARD_PATH_NONE);
	assert_int_equal(filter_guard_path_kernel("**/.ssh/id_rsa", NULL, NULL), GUARD_PATH_NONE);
	assert_int_equal(filter_guard_path_kernel("relative/**", NULL, NULL), GUARD_PATH_NONE);
}

/*
 * A file below a DIR/STARSTAR gets DIR's tree bits under its own identity
 * (a hard link to it elsewhere is refused as it is); a directory without
 * tree bits gives nothing.
 */
static void test_tree_file(void **state)
{
	struct rule_set *rs = load("custos: 1\nrules:\n"
				   "  - id: a\n    on: file\n    severity: low\n    action: block\n"
				   "    when:\n      path: /srv/models/**\n"
				   "  - id: b\n    on: file\n    severity: low\n    action: block\n"
				   "    when:\n      path: /root/.aws/credentials\n"
				   "    unless:\n      - path: /srv/models/**\n");
	struct file_ident dir = { 8, 20 }, cred = { 8, 10 }, f = { 8, 555 }, g2 = { 8, 556 };
	struct filter_guard g;
	size_t n;

	assert_int_equal(filter_fileguard_compile(rs, fake_resolve, NULL, &g, NULL), 0);
	n = g.n_ids;
	assert_int_equal(filter_guard_tree_file(&g, &dir, &f), 0);
	assert_int_equal(g.n_ids, n + 1);
	assert_memory_equal(&g.ikeys[n], &f, sizeof(f));
	assert_int_equal(g.ivals[n].tree_when, 1);	/* rule a's slot */
	assert_int_equal(g.ivals[n].tree_unless, 1);	/* rule b's first condition */
	assert_int_equal(g.ivals[n].path_when, 0);
	assert_int_equal(filter_guard_tree_file(&g, &cred, &g2), 0);
	assert_int_equal(g.n_ids, n + 1);
	filter_guard_free(&g);
	rule_set_free(rs);
}

static void assert_check_fails(const char *yaml, const char *want)
{
	struct rule_set *rs = load(yaml);
	struct rule_diags d = { 0 };
	char buf[1024];

	assert_int_equal(filter_fileguard_check(rs, &d), -EINVAL);
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

#define HEAD "custos: 1\nrules:\n  - id: b\n    on: file\n    severity: low\n    action: block\n"

static void test_check_block_rules(void **state)
{
	assert_check_fails(HEAD "    when:\n      path: \"/srv/*.bin\"\n",
			   "t.yaml:3:5: error: rule 'b': action block needs a condition the "
			   "kernel decides, but `when.path` has '/srv/*.bin', which it cannot "
			   "(it can: an absolute path without wildcards, 'DIR/**' with DIR one, "
			   "or '**/NAME')");
	assert_check_fails(HEAD "    when:\n      path: /srv/x\n      exe: \"/usr/*/nc\"\n",
			   "t.yaml:3:5: error: rule 'b': action block needs a condition the "
			   "kernel decides, but `when.exe` has '/usr/*/nc', which it cannot "
			   "(it can: an absolute path without wildcards, or '**/NAME')");
	assert_check_fails(HEAD "    when:\n      path: /srv/x\n      comm: [cat]\n",
			   "t.yaml:3:5: error: rule 'b': action block needs a condition the "
			   "kernel decides, but `when` uses 'comm', which the kernel cannot "
			   "evaluate (it can: path, access, exe, parent_exe, uid, labels, "
			   "ancestor_exe)");
	assert_check_fails(HEAD "    when:\n      exe: /usr/bin/cat\n",
			   "t.yaml:3:5: error: rule 'b': action block without `path` in `when` "
			   "would refuse every open its other conditions allow; name the files "
			   "to refuse");
	assert_check_fails(HEAD "    when:\n      path: /srv/x\n"
			   "    unless:\n      - comm: [sshd]\n",
			   "t.yaml:3:5: error: rule 'b': action block needs every `unless` "
			   "condition decided in the kernel, but one uses 'comm' (the "
			   "kernel can: path as an absolute path without wildcards, 'DIR/**' with "
			   "DIR one, or '**/NAME'; access; exe, parent_exe as an absolute path "
			   "without wildcards, or '**/NAME'; uid; labels; ancestor_exe)");
	assert_check_fails(HEAD "    when:\n      path: /srv/x\n"
			   "    unless:\n      - path: \"/srv/x*\"\n",
			   "t.yaml:3:5: error: rule 'b': action block needs every `unless` "
			   "condition decided in the kernel, but one uses 'path' with '/srv/x*' "
			   "(the kernel can: path as an absolute path without wildcards, 'DIR/**' "
			   "with DIR one, or '**/NAME'; access; exe, parent_exe as an absolute "
			   "path without wildcards, or '**/NAME'; uid; labels; ancestor_exe)");
}

/* Alert rules and disabled block rules may use anything: the kernel has no part. */
static void test_check_others_pass(void **state)
{
	struct rule_set *rs = load(rules);
	struct rule_diags d = { 0 };

	assert_int_equal(filter_fileguard_check(rs, &d), 0);
	assert_int_equal(d.n, 0);
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
				      "  - id: r%d\n    on: file\n    severity: low\n"
				      "    action: block\n    when:\n      path: /f%d\n", i, i);
	rs = load(yaml);
	assert_int_equal(filter_fileguard_check(rs, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	rule_diag_format(&d.v[0], buf, sizeof(buf));
	assert_non_null(strstr(buf, "rule 'r64': more than 64 file block rules"));
	rule_diags_free(&d);
	rule_set_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_and_masks),
		cmocka_unit_test(test_kernel_decision),
		cmocka_unit_test(test_missing_and_kinds),
		cmocka_unit_test(test_path_kinds),
		cmocka_unit_test(test_tree_file),
		cmocka_unit_test(test_check_block_rules),
		cmocka_unit_test(test_check_others_pass),
		cmocka_unit_test(test_too_many_rules),
	};

	return cmocka_run_group_tests_name("filter_fileguard", tests, NULL, NULL);
}
