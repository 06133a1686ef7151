/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.c - file rules -> the file pre-filter maps (bpf/filter_maps.h).
 *
 * filter_file_compile is pure (unit-tested); filter_file_apply stat()s the
 * watched directories and writes the maps: new entries first, then stale
 * ones deleted, file_cfg last.
 */
#include "filters/file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "base/vec.h"
#include "custos.skel.h"
#include "filter_maps.h"
#include "filters/family.h"
#include "rules/glob.h"

/* --- compile (pure) --------------------------------------------------------- */

/* The literal directory every subject of pat lies in (or is); NULL for "/". */
static char *literal_dir(const char *pat, int *nomem)
{
	size_t lp, n;
	char *d;

	if (pat[0] != '/')
		return NULL;
	lp = glob_literal_prefix(pat);
	if (pat[lp] == '/')		/* "/a/b/STARSTAR": "/a/b" itself may match */
		n = lp;
	else {				/* cut at the last '/' of the literal part */
		n = lp;
		while (n > 0 && pat[n - 1] != '/')
			n--;
	}
	while (n > 1 && pat[n - 1] == '/')
		n--;
	if (n <= 1)
		return NULL;
	d = strndup(pat, n);
	if (!d)
		*nomem = 1;
	return d;
}

/* The name or suffix that every subject's basename has, from pat's last component. */
static enum ff_fallback last_component(const char *pat, char **out, int *nomem)
{
	const char *comp = strrchr(pat, '/');
	const char *rest;
	size_t len;

	comp = comp ? comp + 1 : pat;
	*out = NULL;
	if (!*comp)
		return FF_NONE;
	if (!glob_has_wildcard(comp) && strlen(comp) < FILE_NAME_KEY) {
		*out = strdup(comp);
		if (!*out)
			*nomem = 1;
		return *out ? FF_NAME : FF_NONE;
	}
	/* "...*SUFFIX": SUFFIX is literal when nothing after the last '*' is special */
	rest = strrchr(comp, '*');
	rest = rest ? rest + 1 : comp;
	if (!*rest || glob_has_wildcard(rest))
		return FF_NONE;
	len = strlen(rest);
	if (len > FILE_SUFFIX_MAX)
		rest += len - FILE_SUFFIX_MAX;
	*out = strdup(rest);
	if (!*out)
		*nomem = 1;
	return *out ? FF_SUFFIX : FF_NONE;
}

/*
 * The last literal whole component of pat before its last one: every
 * subject has it as the name of a directory on its path, or its own name
 * ("/a/evals/STARSTAR" matches "/a/evals"), since the '/' around it are
 * literal in the glob ("STARSTAR/.ssh/id_STAR" -> ".ssh").  The BPF side
 * checks the opened file's name and every directory's.
 */
static enum ff_fallback middle_dirname(const char *pat, char **out, int *nomem)
{
	const char *last = strrchr(pat, '/');
	const char *end, *start;

	*out = NULL;
	if (!last)
		return FF_NONE;
	for (end = last; end > pat; end = start) {
		size_t n;
		char *c;

		start = end - 1;
		while (start > pat && *start != '/')
			start--;
		if (*start != '/')
			break;		/* the first component has no '/' before it */
		n = (size_t)(end - start - 1);
		if (n == 0 || n >= FILE_NAME_KEY)
			continue;
		c = strndup(start + 1, n);
		if (!c) {
			*nomem = 1;
			return FF_NONE;
		}
		if (!glob_has_wildcard(c) && strcmp(c, ".") != 0 && strcmp(c, "..") != 0) {
			*out = c;
			return FF_DIRNAME;
		}
		free(c);
	}
	return FF_NONE;
}

static void set_match_all(struct filter_file *f, const struct rule *r, const char *glob)
{
	if (f->match_all)
		return;
	f->match_all = 1;
	f->match_all_rule = r->id;
	f->match_all_glob = glob;
}

int filter_file_compile(const struct rule_set *rs, struct filter_file *out)
{
	size_t cap = 0;
	int nomem = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct rule *r = &rs->rules[i];
		const struct cond_field *path = &r->when.f[F_PATH];

		if (!r->enabled || r->on != RULE_ON_FILE)
			continue;
		if (r->action == ACT_BLOCK && !out->block_rule)
			out->block_rule = r->id;
		if (!path->present) {
			set_match_all(out, r, NULL);
			continue;
		}
		for (size_t j = 0; j < path->n; j++) {
			const char *g = path->globs[j];
			struct ff_pattern *p;

			/* '?' and '[...]' never match '/': such a glob never matches */
			if (g[0] != '/' && g[0] != '*' && g[0] != '\\')
				continue;
			if (vec_grow((void **)&out->pats, out->n, &cap, sizeof(*out->pats))) {
				nomem = 1;
				break;
			}
			p = &out->pats[out->n++];
			memset(p, 0, sizeof(*p));
			p->rule = r->id;
			p->glob = g;
			p->dir = literal_dir(g, &nomem);
			p->fb = last_component(g, &p->fb_str, &nomem);
			if (p->fb == FF_NONE)
				p->fb = middle_dirname(g, &p->fb_str, &nomem);
			/* "/home/STAR/.aws/credentials": the name is narrower than
			 * watching everything under /home; and a literal file's own
			 * name ("/root/.netrc") than its directory (all of /root): the
			 * file is watched by identity too, and one created later by
			 * its name (prefilter.bpf.h) */
			if (p->dir && p->fb != FF_NONE &&
			    (strchr(g + strlen(p->dir) + 1, '/') ||
			     (p->fb == FF_NAME && !glob_has_wildcard(g)))) {
				free(p->dir);
				p->dir = NULL;
			}
			if (!p->dir && p->fb == FF_NONE)
				set_match_all(out, r, g);
		}
	}
	if (nomem) {
		filter_file_free(out);
		return -ENOMEM;
	}
	return 0;
}

void filter_file_free(struct filter_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->pats[i].dir);
		free(f->pats[i].fb_str);
	}
	free(f->pats);
	memset(f, 0, sizeof(*f));
}

/* --- apply (stat + maps) ---------------------------------------------------- */

struct keys {
	struct filewatch_scope *ids;	/* the watched directories */
	size_t n_ids, cap_ids;
	struct file_name_key *names;
	size_t n_names, cap_names;
	struct file_name_key *dirnames;
	size_t n_dirnames, cap_dirnames;
	struct file_suffix_key *sufs;
	size_t n_sufs, cap_sufs;
	struct file_cfg cfg;
};

/* Appends key to *v (*n of ksize bytes, room for *cap) unless it is there. */
static int push(void **v, size_t *n, size_t *cap, const void *key, size_t ksize)
{
	for (size_t i = 0; i < *n; i++)
		if (memcmp((char *)*v + i * ksize, key, ksize) == 0)
			return 0;
	if (*n >= (ksize == sizeof(struct filewatch_scope) ? FILE_IDS_MAX : FILE_WATCH_MAX))
		return -E2BIG;
	if (vec_grow(v, *n, cap, ksize))
		return -ENOMEM;
	memcpy((char *)*v + *n * ksize, key, ksize);
	(*n)++;
	return 0;
}

/*
 * The identity of dir, or of its nearest existing ancestor.  1 when only "/"
 * exists (watching it would send every open), 0 with *id set, or -errno.
 * *id has stat()'s device, *sb_id the superblock's from mountinfo; the
 * caller watches both (they differ on btrfs subvolumes).
 */
static int nearest_existing(const char *dir, struct filewatch_scope *id,
			    struct filewatch_scope *sb_id, char *used, size_t usedlen)
{
	char buf[4096], real[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (;;) {
		if (strcmp(buf, "/") == 0 || buf[0] == '\0')
			return 1;
		if (stat(buf, &st) == 0)
			break;
		if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
			return -errno;
		slash = strrchr(buf, '/');
		if (!slash)
			return 1;
		if (slash == buf)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	memset(id, 0, sizeof(*id));
	memset(sb_id, 0, sizeof(*sb_id));
	id->id.dev = ((__u64)major(st.st_dev) << 20) | minor(st.st_dev);
	id->id.ino = st.st_ino;
	sb_id->id.dev = realpath(buf, real) ? filter_kernel_dev(real, st.st_dev) : id->id.dev;
	sb_id->id.ino = st.st_ino;
	snprintf(used, usedlen, "%s", buf);
	return 0;
}

static int add_fallback(struct keys *k, const struct ff_pattern *p)
{
	size_t len = p->fb_str ? strlen(p->fb_str) : 0;

	if (p->fb == FF_NAME || p->fb == FF_DIRNAME) {
		struct file_name_key nk;

		memset(&nk, 0, sizeof(nk));
		memcpy(nk.name, p->fb_str, len);
		if (p->fb == FF_DIRNAME)
			return push((void **)&k->dirnames, &k->n_dirnames, &k->cap_dirnames, &nk,
				    sizeof(nk));
		return push((void **)&k->names, &k->n_names, &k->cap_names, &nk, sizeof(nk));
	}
	if (p->fb == FF_SUFFIX) {
		struct file_suffix_key sk;

		memset(&sk, 0, sizeof(sk));
		sk.len = (__u32)len;
		memcpy(sk.s, p->fb_str, len);
		k->cfg.suffix_lens |= 1u << len;
		return push((void **)&k->sufs, &k->n_sufs, &k->cap_sufs, &sk, sizeof(sk));
	}
	return -EINVAL;
}

static void bloom_set(__u64 *bloom, __u32 bit)
{
	bloom[bit / 64] |= 1ull << (bit % 64);
}

/* The bloom bit of a watched name (filter_maps.h: for a name longer than
 * FILE_SUFFIX_MAX, the first byte is the one FILE_SUFFIX_MAX from the end). */
static __u32 name_bloom_bit(const char *name)
{
	size_t n = strlen(name);
	size_t a = n > FILE_SUFFIX_MAX ? n - FILE_SUFFIX_MAX : 0;

	return file_bloom_name((__u32)n, (__u8)name[a], (__u8)name[n - 1]);
}

/* The length masks and bloom bits of file_cfg for the collected keys. */
static void set_blooms(struct keys *k)
{
	for (size_t i = 0; i < k->n_names; i++) {
		k->cfg.name_lens |= 1u << strlen(k->names[i].name);
		bloom_set(k->cfg.name_bloom, name_bloom_bit(k->names[i].name));
	}
	for (size_t i = 0; i < k->n_dirnames; i++) {
		k->cfg.dirname_lens |= 1u << strlen(k->dirnames[i].name);
		bloom_set(k->cfg.dirname_bloom, name_bloom_bit(k->dirnames[i].name));
	}
	for (size_t i = 0; i < k->n_sufs; i++) {
		const struct file_suffix_key *sk = &k->sufs[i];

		bloom_set(k->cfg.suffix_bloom,
			  file_bloom_name(sk->len, (__u8)sk->s[0], (__u8)sk->s[sk->len - 1]));
	}
	for (size_t i = 0; i < k->n_ids; i++)
		k->cfg.scope_devs |= 1ull << file_bloom_dev(k->ids[i].id.dev);
}

static int build_keys(const struct filter_file *f, struct keys *k, char *err, size_t errlen)
{
	int rc;

	memset(k, 0, sizeof(*k));
	if (f->match_all) {
		k->cfg.match_all = 1;
		if (f->match_all_glob)
			log_warn("filter: file rule '%s': path '%s' cannot be narrowed in the "
				 "kernel: every open is sent to the agent (costly)",
				 f->match_all_rule, f->match_all_glob);
		else
			log_warn("filter: file rule '%s' has no path condition: every open is "
				 "sent to the agent (costly)", f->match_all_rule);
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct ff_pattern *p = &f->pats[i];
		struct filewatch_scope id, sb_id;
		char used[4096];

		struct stat st;

		/* a missing directory with a name or suffix to go by: the name, rather
		 * than a far ancestor that would send every open under it */
		if (p->dir && p->fb != FF_NONE && stat(p->dir, &st) != 0)
			rc = 1;
		else
			rc = p->dir ? nearest_existing(p->dir, &id, &sb_id, used, sizeof(used)) : 1;
		if (rc < 0) {
			snprintf(err, errlen, "filter: file rule '%s': stat %s failed: %s",
				 p->rule, p->dir, strerror(-rc));
			return rc;
		}
		if (rc == 0) {
			if (strcmp(used, p->dir) != 0)
				log_info("filter: file rule '%s': %s does not exist (yet); "
					 "watching %s", p->rule, p->dir, used);
			rc = push((void **)&k->ids, &k->n_ids, &k->cap_ids, &id, sizeof(id));
			if (!rc)
				rc = push((void **)&k->ids, &k->n_ids, &k->cap_ids, &sb_id,
					  sizeof(sb_id));
		} else if (p->fb != FF_NONE) {
			rc = add_fallback(k, p);
		} else {
			if (!k->cfg.match_all)
				log_warn("filter: file rule '%s': nothing of '%s' exists but '/': "
					 "every open is sent to the agent (costly)", p->rule, p->glob);
			k->cfg.match_all = 1;
			rc = 0;
		}
		if (rc) {
			snprintf(err, errlen, "filter: file rule '%s': %s", p->rule,
				 rc == -E2BIG ? "more than 4096 watched entries" : strerror(-rc));
			return rc;
		}
	}
	k->cfg.any_scopes = k->n_ids > 0;
	k->cfg.any_names = k->n_names > 0;
	k->cfg.any_dirnames = k->n_dirnames > 0;
	set_blooms(k);
	return 0;
}

static void keys_free(struct keys *k)
{
	free(k->ids);
	free(k->names);
	free(k->dirnames);
	free(k->sufs);
}

/* Writes keys[0..n) into the map, then deletes every other key. */
static int sync_map(int fd, const void *keys, size_t n, size_t ksize, const char *what,
		    char *err, size_t errlen)
{
	__u8 one = 1;
	char cur[64], next[64];
	void *stale = NULL;
	size_t n_stale = 0, cap_stale = 0;
	int rc = 0, have;

	for (size_t i = 0; i < n; i++) {
		if (bpf_map_update_elem(fd, (const char *)keys + i * ksize, &one, BPF_ANY)) {
			rc = -errno;
			snprintf(err, errlen, "filter: writing %s failed: %s", what, strerror(-rc));
			return rc;
		}
	}
	for (have = bpf_map_get_next_key(fd, NULL, next) == 0; have;
	     have = bpf_map_get_next_key(fd, cur, next) == 0) {
		int keep = 0;

		memcpy(cur, next, ksize);
		for (size_t i = 0; i < n && !keep; i++)
			keep = memcmp((const char *)keys + i * ksize, cur, ksize) == 0;
		if (!keep && (rc = push(&stale, &n_stale, &cap_stale, cur, ksize)) != 0)
			break;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, (char *)stale + i * ksize);
	free(stale);
	if (rc)
		snprintf(err, errlen, "filter: pruning %s failed: %s", what, strerror(-rc));
	return rc;
}

/* The old and the new file_cfg at once: while both sets are in the maps. */
static void cfg_union(struct file_cfg *both, const struct file_cfg *old, const struct file_cfg *new)
{
	*both = *new;
	both->match_all = old->match_all | new->match_all;
	both->suffix_lens = old->suffix_lens | new->suffix_lens;
	both->any_scopes = old->any_scopes | new->any_scopes;
	both->any_names = old->any_names | new->any_names;
	both->any_dirnames = old->any_dirnames | new->any_dirnames;
	both->name_lens = old->name_lens | new->name_lens;
	both->dirname_lens = old->dirname_lens | new->dirname_lens;
	both->scope_devs = old->scope_devs | new->scope_devs;
	for (int i = 0; i < FILE_BLOOM_WORDS; i++) {
		both->name_bloom[i] = old->name_bloom[i] | new->name_bloom[i];
		both->dirname_bloom[i] = old->dirname_bloom[i] | new->dirname_bloom[i];
		both->suffix_bloom[i] = old->suffix_bloom[i] | new->suffix_bloom[i];
	}
}

/* The inode number of the agent's mount namespace (file_cfg.host_mntns). */
static __u32 own_mntns(void)
{
	struct stat st;

	return stat("/proc/self/ns/mnt", &st) == 0 ? (__u32)st.st_ino : 0;
}

/* Writes file_cfg[0] = cfg under the next policy generation. */
static int write_cfg(int fd, struct file_cfg *cfg, __u32 policy, char *err, size_t errlen)
{
	__u32 zero = 0;

	cfg->policy = policy;
	if (bpf_map_update_elem(fd, &zero, cfg, BPF_ANY) == 0)
		return 0;
	snprintf(err, errlen, "filter: writing file_cfg failed: %s", strerror(errno));
	return -errno;
}

/* The name maps: new keys first, then stale ones deleted. */
static int sync_names(struct loader *l, const struct keys *k, char *err, size_t errlen)
{
	int rc = sync_map(bpf_map__fd(l->skel->maps.file_watch_names), k->names, k->n_names,
			  sizeof(*k->names), "file_watch_names", err, errlen);

	if (!rc)
		rc = sync_map(bpf_map__fd(l->skel->maps.file_watch_suffixes), k->sufs, k->n_sufs,
			      sizeof(*k->sufs), "file_watch_suffixes", err, errlen);
	if (!rc)
		rc = sync_map(bpf_map__fd(l->skel->maps.file_watch_dirnames), k->dirnames,
			      k->n_dirnames, sizeof(*k->dirnames), "file_watch_dirnames", err,
			      errlen);
	return rc;
}

int filter_file_apply(struct loader *l, const struct rule_set *rs, struct filewatch *w, char *err,
		      size_t errlen)
{
	struct filter_file f;
	struct file_cfg old, both;
	struct keys k;
	__u32 zero = 0;
	int cfg_fd, rc;

	rc = filter_file_compile(rs, &f);
	if (rc) {
		snprintf(err, errlen, "filter: compiling the file rules failed: %s", strerror(-rc));
		return rc;
	}
	rc = l && l->skel ? build_keys(&f, &k, err, errlen) : (memset(&k, 0, sizeof(k)), 0);
	if (rc)
		goto out;
	if (!l || !l->skel) {	/* no kernel: the table of identities alone */
		rc = w ? filewatch_apply(w, NULL, rs, NULL, 0, err, errlen) : 0;
		goto out;
	}
	cfg_fd = bpf_map__fd(l->skel->maps.file_cfg);
	if (bpf_map_lookup_elem(cfg_fd, &zero, &old))
		memset(&old, 0, sizeof(old));
	k.cfg.host_mntns = own_mntns();
	k.cfg.dir_cache = old.dir_cache;	/* filter_file_dir_cache() turns it on */
	/* while both sets are in the maps, check both */
	cfg_union(&both, &old, &k.cfg);
	rc = write_cfg(cfg_fd, &both, old.policy + 1, err, errlen);
	if (!rc)
		rc = w ? filewatch_apply(w, l, rs, k.ids, k.n_ids, err, errlen) : 0;
	if (!rc)
		rc = sync_names(l, &k, err, errlen);
	if (!rc)
		rc = write_cfg(cfg_fd, &k.cfg, old.policy + 2, err, errlen);
	if (rc)
		goto out;
	log_info("filter: file pre-filter: %zu directory identities, %zu names, %zu suffixes, "
		 "%zu directory names, %zu files by identity%s", k.n_ids, k.n_names, k.n_sufs,
		 k.n_dirnames, w ? w->walked : 0, k.cfg.match_all ? ", every open (match all)" : "");
out:
	keys_free(&k);
	filter_file_free(&f);
	return rc;
}

int filter_file_dir_cache(struct loader *l)
{
	struct file_cfg cfg;
	__u32 zero = 0;
	int fd, on;

	if (!l || !l->skel)
		return 0;
	/* the directory verdicts are sound only while a program bumps their
	 * generation at every rename: the syscall exit (tracepoint, raw), or
	 * opt_filetopo__fentry (lsm, fentry) */
	on = loader_attached(l, "file__btf") || loader_attached(l, "file__raw") ||
	     loader_attached(l, "opt_filetopo__fentry");
	fd = bpf_map__fd(l->skel->maps.file_cfg);
	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	cfg.dir_cache = (__u32)on;
	cfg.policy++;
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY))
		return -errno;
	if (!on)
		log_warn("filter: no program sees renames on this backend (opt_filetopo__fentry "
			 "did not attach): the file pre-filter walks every open's directories "
			 "(costlier, as sound)");
	return on;
}
