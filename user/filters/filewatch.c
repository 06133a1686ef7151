/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filewatch.c - files watched by identity (filewatch.h).
 */
#include "filters/filewatch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "base/vec.h"
#include "custos.skel.h"
#include "filters/filewalk.h"
#include "host/mounts.h"

enum { KEPT = FILE_WATCH_ADDED | FILE_WATCH_LEARNED };

void filewatch_init(struct filewatch *w)
{
	memset(w, 0, sizeof(*w));
	file_ids_init(&w->ids, FILEWATCH_AGENT_MAX);
}

/*
 * The inode's generation of a regular file (FS_IOC_GETVERSION, where the
 * filesystem answers it: ext4, btrfs...); 0, "any", where it does not.
 * Opened without following a link, without blocking and without touching
 * its access time; the agent's own opens are not reported.
 */
static uint32_t inode_gen(const char *path, const struct stat *st)
{
	int fd, gen = 0;

	if (!S_ISREG(st->st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME);
	if (fd < 0)
		return 0;
	if (ioctl(fd, FS_IOC_GETVERSION, &gen))
		gen = 0;
	close(fd);
	return (uint32_t)gen;
}

struct walk_ctx {
	struct file_ids *want;
	struct mounts *mounts;
	size_t found;
};

/* One file a glob names: wanted under the superblock's device, and under
 * stat()'s when that differs (btrfs subvolumes; filter_maps.h). */
static int add_file(const char *path, size_t len, const struct stat *st, void *arg)
{
	struct walk_ctx *c = arg;
	uint64_t st_dev = ((uint64_t)major(st->st_dev) << 20) | minor(st->st_dev), dev = st_dev;
	uint32_t gen = inode_gen(path, st);
	int rc;

	mounts_sb_dev(c->mounts, path, &dev);
	rc = file_ids_put(c->want, dev, st->st_ino, gen, FILE_WATCH_FILE, path, len);
	if (!rc && dev != st_dev)
		rc = file_ids_put(c->want, st_dev, st->st_ino, gen, FILE_WATCH_FILE, path, len);
	if (rc == -ENOSPC)
		return 1;	/* the table is full: the walk stops, incomplete */
	c->found++;
	return rc;
}

/* Walks every `when.path` glob of the enabled file rules into want. */
static int walk_rules(struct filewatch *w, const struct rule_set *rs, struct file_ids *want)
{
	struct mounts mounts;
	struct walk_ctx c = { .want = want, .mounts = &mounts };
	size_t budget = FILEWATCH_VISITS;
	int rc = 0;

	mounts_init(&mounts);
	mounts_load(&mounts, NULL);	/* without it, stat()'s devices */
	w->incomplete = 0;
	for (size_t i = 0; i < rs->n_rules && rc >= 0; i++) {
		const struct rule *r = &rs->rules[i];
		const struct cond_field *path = &r->when.f[F_PATH];

		if (!r->enabled || r->on != RULE_ON_FILE || !path->present)
			continue;
		for (size_t j = 0; j < path->n && rc >= 0; j++) {
			rc = filewalk_glob(path->globs[j], &budget, add_file, &c);
			if (rc == 1)
				w->incomplete = 1;
			if (rc == 1 || rc == -EINVAL)	/* cut short; "STARSTAR/x": no walk */
				rc = 0;
		}
	}
	mounts_free(&mounts);
	w->walked = c.found;
	return rc;
}

/*
 * The agent's table after a walk: the walked files (their paths and
 * generations as found now), and the kept entries (added or learned) whose
 * path a rule still names; the others go, and their keys are appended to
 * gone (the map loses them too).
 */
static int sweep_table(struct filewatch *w, const struct rule_set *rs, const struct file_ids *want,
		       struct file_ident **gone, size_t *n_gone)
{
	size_t pos = 0, cap = 0;
	struct file_id_entry *e;
	int rc = 0;

	while ((e = file_ids_next(&w->ids, &pos))) {
		struct file_id_entry *x = file_ids_get(want, e->dev, e->ino, 0);

		if (x && (x->what & FILE_WATCH_FILE))
			continue;	/* refreshed below */
		if ((e->what & KEPT) && rule_set_path_named(rs, e->path, e->path_len)) {
			e->what &= KEPT;
			continue;
		}
		if (vec_grow((void **)gone, *n_gone, &cap, sizeof(**gone)))
			return -ENOMEM;
		(*gone)[(*n_gone)++] = (struct file_ident){ .dev = e->dev, .ino = e->ino };
		file_ids_del(&w->ids, e);
	}
	pos = 0;
	while (rc == 0 && (e = file_ids_next(want, &pos)))
		if (e->what & FILE_WATCH_FILE)
			rc = file_ids_put(&w->ids, e->dev, e->ino, e->gen, FILE_WATCH_FILE, e->path,
					  e->path_len);
	return rc == -ENOSPC ? 0 : rc;
}

/* Sets element i of one of the pre-filter's byte arrays. */
static void set_byte(int fd, __u32 i)
{
	__u8 one = 1;

	bpf_map_update_elem(fd, &i, &one, BPF_ANY);
}

/*
 * Writes one identity: the bits keep of an entry already there are kept
 * (a load keeps what was added or learned; learning keeps everything: a
 * directory that is a scope and is learned as a file stays a scope), its
 * bloom element set first.  A full map overflows the device: every open on
 * it is then sent (filter_maps.h, "Bounds").
 */
static int write_ident(struct filewatch *w, struct custos_bpf *skel, const struct file_ident *id,
		       uint32_t gen, uint16_t what, uint16_t keep)
{
	int fd = bpf_map__fd(skel->maps.file_watch_ids);
	struct file_watch v = { .gen = gen, .what = what }, old;

	if (bpf_map_lookup_elem(fd, id, &old) == 0)
		v.what |= old.what & keep;
	set_byte(bpf_map__fd(skel->maps.file_ident_bloom), file_bloom_ident(id->dev, id->ino));
	if (bpf_map_update_elem(fd, id, &v, BPF_ANY) == 0)
		return 0;
	if (errno != E2BIG)
		return -errno;
	set_byte(bpf_map__fd(skel->maps.file_dev_full), file_bloom_dev(id->dev));
	w->kernel_full++;
	return 0;
}

/* file_watch_ids = want, plus the kept entries not in gone. */
static int write_map(struct filewatch *w, struct custos_bpf *skel, const struct file_ids *want,
		     const struct file_ident *gone, size_t n_gone)
{
	int fd = bpf_map__fd(skel->maps.file_watch_ids), rc = 0, more;
	struct file_ident *stale = NULL, cur, next;
	size_t pos = 0, n_stale = 0, cap = 0;
	struct file_id_entry *e;

	while (rc == 0 && (e = file_ids_next(want, &pos)))
		rc = write_ident(w, skel, &(struct file_ident){ .dev = e->dev, .ino = e->ino },
				 e->gen, e->what, KEPT);
	for (more = bpf_map_get_next_key(fd, NULL, &next) == 0; more && rc == 0;
	     more = bpf_map_get_next_key(fd, &cur, &next) == 0) {
		struct file_watch v;
		int drop = 0;

		cur = next;
		if (file_ids_get(want, cur.dev, cur.ino, 0) || bpf_map_lookup_elem(fd, &cur, &v))
			continue;
		drop = !(v.what & KEPT);
		for (size_t i = 0; i < n_gone && !drop; i++)
			drop = gone[i].dev == cur.dev && gone[i].ino == cur.ino;
		if (drop && vec_grow((void **)&stale, n_stale, &cap, sizeof(*stale)))
			rc = -ENOMEM;
		else if (drop)
			stale[n_stale++] = cur;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	free(stale);
	return rc;
}

int filewatch_apply(struct filewatch *w, struct loader *l, const struct rule_set *rs,
		    const struct filewatch_scope *scopes, size_t n_scopes, char *err,
		    size_t errlen)
{
	struct file_ids want;
	struct file_ident *gone = NULL;
	size_t n_gone = 0;
	int rc;

	file_ids_init(&want, FILEWATCH_AGENT_MAX);
	rc = walk_rules(w, rs, &want);
	for (size_t i = 0; i < n_scopes && !rc; i++)
		rc = file_ids_put(&want, scopes[i].id.dev, scopes[i].id.ino, scopes[i].gen,
				  FILE_WATCH_SCOPE, "", 0);
	if (!rc)
		rc = sweep_table(w, rs, &want, &gone, &n_gone);
	if (!rc && l && l->skel)
		rc = write_map(w, l->skel, &want, gone, n_gone);
	if (rc)
		snprintf(err, errlen, "filter: watching the file rules' files by identity failed: %s",
			 strerror(-rc));
	else if (w->incomplete || want.refused)
		log_warn("filter: the file rules name more files than custos walks at load (%d "
			 "directory entries, %d identities): files beyond are watched by path "
			 "only (a hard link or rename of one is not recognised)",
			 FILEWATCH_VISITS, FILEWATCH_AGENT_MAX);
	if (!rc && w->kernel_full)
		log_warn("filter: the kernel's identity map is full (%d): every open on the "
			 "devices of the files that did not fit is sent to the agent (costly)",
			 FILE_IDS_MAX);
	file_ids_free(&want);
	free(gone);
	return rc;
}

/*
 * A new generation of the pre-filter's policy: the verdicts the kernel
 * cached for files (filter_maps.h, file_verdicts) may say "not watched" of
 * an identity just added.
 */
static int bump_policy(struct custos_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.file_cfg);
	struct file_cfg cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	cfg.policy++;
	return bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

int filewatch_learn(struct filewatch *w, struct loader *l, uint64_t dev, uint64_t ino,
		    uint32_t gen, uint16_t what, const char *path, size_t len)
{
	int rc = file_ids_put(&w->ids, dev, ino, gen, what, path, len);

	if (rc)
		return rc;
	w->learned++;
	if (!(what & FILE_WATCH_ADDED) && l && l->skel) {
		rc = write_ident(w, l->skel, &(struct file_ident){ .dev = dev, .ino = ino }, gen,
				 FILE_WATCH_FILE | FILE_WATCH_LEARNED, 0xffff);
		if (!rc)
			rc = bump_policy(l->skel);
	}
	return rc;
}

const struct file_id_entry *filewatch_lookup(const struct filewatch *w, uint64_t dev,
					     uint64_t ino, uint32_t gen)
{
	return file_ids_get(&w->ids, dev, ino, gen);
}

void filewatch_free(struct filewatch *w)
{
	file_ids_free(&w->ids);
}
