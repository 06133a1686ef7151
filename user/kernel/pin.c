/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pin.c - bpffs: mount, lock, pin, read back, clear (pin.h).
 */
#include "kernel/pin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "base/clock.h"
#include "base/fdio.h"
#include "base/log.h"

#define BPFFS_ROOT "/sys/fs/bpf"

enum {
	PIN_DIR_MODE = 0700,
	PIN_MAX_LINKS = 64,	/* programs of the object, with room to spare */
	PIN_VALUE_MAX = 4096,	/* a pinned map value this agent reads */
	UNLOAD_WAIT_MS = 3000,	/* for unpinned links to be freed */
	UNLOAD_POLL_MS = 20,
};

static int is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* bpffs on /sys/fs/bpf for a DIR under it (systemd mounts it; a bare boot may not). */
static int ensure_bpffs(const char *dir, char *err, size_t errlen)
{
	size_t n = strlen(BPFFS_ROOT);

	if (strncmp(dir, BPFFS_ROOT "/", n + 1) != 0 || is_bpffs(BPFFS_ROOT))
		return 0;
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		int rc = -errno;

		errbuf_set(err, errlen, "pin: mounting bpffs on " BPFFS_ROOT " failed: %s; mount "
			   "it (mount -t bpf bpf " BPFFS_ROOT ") or run with --no-pin",
			   strerror(-rc));
		return rc;
	}
	log_info("pin: mounted bpffs on " BPFFS_ROOT);
	return 0;
}

void pin_map_path(const struct pin *p, const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/maps/%s", p->dir, name);
}

void pin_link_path(const struct pin *p, const char *prog, char *out, size_t size)
{
	snprintf(out, size, "%s/links/%s", p->dir, prog);
}

/* Entry 0 of the map pinned at DIR/maps/name: up to size bytes into out
 * (the rest zeroed); its value size, or -errno. */
static int read_pinned(const struct pin *p, const char *name, void *out, size_t size)
{
	char path[PIN_PATH_MAX + 64];
	struct bpf_map_info info;
	__u32 len = sizeof(info), zero = 0;
	int fd, rc;

	pin_map_path(p, name, path, sizeof(path));
	memset(out, 0, size);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (!rc && info.value_size <= PIN_VALUE_MAX) {
		unsigned char buf[PIN_VALUE_MAX];

		rc = bpf_map_lookup_elem(fd, &zero, buf) ? -errno : (int)info.value_size;
		if (rc > 0)
			memcpy(out, buf, (size_t)rc < size ? (size_t)rc : size);
	} else if (!rc) {
		rc = -EFBIG;
	}
	close(fd);
	return rc;
}

/* The pinned stats map's counters (per-CPU, summed), as many as it has. */
static int read_pinned_stats(const struct pin *p, uint64_t *out)
{
	char path[PIN_PATH_MAX + 64];
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int ncpu = libbpf_num_possible_cpus(), fd, rc = 0;

	memset(out, 0, sizeof(uint64_t) * STAT__COUNT);
	pin_map_path(p, "stats", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0 || ncpu <= 0)
		return fd < 0 ? -errno : -EINVAL;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.value_size != sizeof(uint64_t)) {
		close(fd);
		return -EINVAL;
	}
	{
		uint64_t vals[ncpu];

		for (__u32 i = 0; i < info.max_entries && i < STAT__COUNT && !rc; i++) {
			rc = bpf_map_lookup_elem(fd, &i, vals) ? -errno : 0;
			for (int c = 0; c < ncpu && !rc; c++)
				out[i] += vals[c];
		}
	}
	close(fd);
	return rc;
}

/* Does every program in meta.hooks have its link in DIR/links? */
static int links_complete(const struct pin *p)
{
	char hooks[PIN_HOOKS_SIZE], path[PIN_PATH_MAX + PIN_HOOKS_SIZE], *save = NULL, *h;
	struct stat st;
	int n = 0;

	snprintf(hooks, sizeof(hooks), "%s", p->meta.hooks);
	for (h = strtok_r(hooks, " ", &save); h; h = strtok_r(NULL, " ", &save), n++) {
		pin_link_path(p, h, path, sizeof(path));
		if (stat(path, &st))
			return 0;
	}
	return n > 0;
}

/* What DIR holds: the set's meta, its links, its counters. */
static void read_set(struct pin *p)
{
	char path[PIN_PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/maps", p->dir);
	p->found = stat(path, &st) == 0;
	snprintf(path, sizeof(path), "%s/links", p->dir);
	p->found |= stat(path, &st) == 0;
	if (!p->found)
		return;
	if (read_pinned(p, "pin_meta", &p->meta, sizeof(p->meta)) < 0)
		memset(&p->meta, 0, sizeof(p->meta));
	p->meta.hooks[sizeof(p->meta.hooks) - 1] = '\0';
	p->meta.policy[sizeof(p->meta.policy) - 1] = '\0';
	p->links_ok = p->meta.version == PIN_META_VERSION && links_complete(p);
	p->have_counts = read_pinned(p, "run_state", &p->state, sizeof(p->state)) >= 0 &&
			 p->state.version == RUN_STATE_VERSION && read_pinned_stats(p, p->stats) == 0;
	p->read_ns = clock_ns(CLOCK_REALTIME);
}

int pin_open(struct pin *p, const char *dir, char *err, size_t errlen)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->lock_fd = -1;
	if (snprintf(p->dir, sizeof(p->dir), "%s", dir) >= (int)sizeof(p->dir)) {
		errbuf_set(err, errlen, "pin: --pin-dir %s: longer than %d bytes", dir,
			   PIN_PATH_MAX - 1);
		return -ENAMETOOLONG;
	}
	rc = ensure_bpffs(dir, err, errlen);
	if (rc)
		return rc;
	if (mkdir(dir, PIN_DIR_MODE) && errno != EEXIST) {
		rc = -errno;
		errbuf_set(err, errlen, "pin: creating %s failed: %s", dir, strerror(-rc));
		return rc;
	}
	if (!is_bpffs(dir)) {
		errbuf_set(err, errlen, "pin: %s is not on a bpf filesystem: give --pin-dir a "
			   "directory under " BPFFS_ROOT ", or run with --no-pin", dir);
		return -ENOTSUP;
	}
	p->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->lock_fd < 0 || flock(p->lock_fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		errbuf_set(err, errlen, "pin: another custos agent uses %s: stop it, or give this "
			   "one its own --pin-dir", dir);
		pin_close(p);
		return rc;
	}
	read_set(p);
	return 0;
}

void pin_close(struct pin *p)
{
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	p->lock_fd = -1;
}

static int make_dirs(const struct pin *p, char *err, size_t errlen)
{
	static const char *const subs[] = { "maps", "links" };
	char path[PIN_PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->dir, subs[i]);
		if (mkdir(path, PIN_DIR_MODE) && errno != EEXIST) {
			int rc = -errno;

			errbuf_set(err, errlen, "pin: creating %s failed: %s", path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int pin_write_meta(const struct pin *p, const struct pin_meta *meta)
{
	char path[PIN_PATH_MAX + 64];
	__u32 zero = 0;
	int fd, rc;

	pin_map_path(p, "pin_meta", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	rc = bpf_map_update_elem(fd, &zero, meta, BPF_ANY) ? -errno : 0;
	close(fd);
	return rc;
}

int pin_save(struct pin *p, struct bpf_object *obj, struct bpf_link *const *links,
	     const char *const *names, size_t n, const struct pin_meta *meta, char *err,
	     size_t errlen)
{
	char path[PIN_PATH_MAX + 256];
	struct bpf_map *map;
	int rc = make_dirs(p, err, errlen), missed = 0;

	if (rc)
		return rc;
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		pin_map_path(p, bpf_map__name(map), path, sizeof(path));
		rc = bpf_map__pin(map, path);
		if (rc) {
			errbuf_set(err, errlen, "pin: pinning map %s at %s failed: %s",
				   bpf_map__name(map), path, strerror(-rc));
			return rc;
		}
	}
	for (size_t i = 0; i < n; i++) {
		pin_link_path(p, names[i], path, sizeof(path));
		if (bpf_link__pin(links[i], path)) {
			log_warn("pin: %s cannot be pinned on this kernel (%s): it stops with the "
				 "agent", names[i], strerror(errno));
			missed++;
		}
	}
	rc = pin_write_meta(p, meta);
	if (rc) {
		errbuf_set(err, errlen, "pin: writing pin_meta failed: %s", strerror(-rc));
		return rc;
	}
	return missed;
}

/* Calls fn on every entry of DIR/sub; the count of entries. */
static int each_entry(const struct pin *p, const char *sub, void (*fn)(const char *path, void *ctx),
		      void *ctx)
{
	char path[PIN_PATH_MAX + 16], entry[PIN_PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", p->dir, sub);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(entry, sizeof(entry), "%s/%s", path, de->d_name);
		fn(entry, ctx);
		n++;
	}
	closedir(d);
	return n;
}

/* Detach even when another process holds the link, then unpin. */
static void drop_link(const char *path, void *ctx)
{
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		bpf_link_detach(fd);	/* not every link type can; unpinning then does */
		close(fd);
	}
	unlink(path);
}

static void drop_map(const char *path, void *ctx)
{
	unlink(path);
}

int pin_clear(struct pin *p)
{
	int links = each_entry(p, "links", drop_link, NULL);

	each_entry(p, "maps", drop_map, NULL);
	return links;
}

/* The ids of the links in DIR, kept to check after unpinning that they are gone. */
struct link_ids {
	__u32 ids[PIN_MAX_LINKS];
	int n;
};

static void link_id(const char *path, void *ctx)
{
	struct link_ids *v = ctx;
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	memset(&info, 0, sizeof(info));
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && v->n < PIN_MAX_LINKS)
		v->ids[v->n++] = info.id;
	if (fd >= 0)
		close(fd);
}

/*
 * How many of ids still exist as links.  The last reference to an unpinned
 * link may be dropped after an RCU grace period (bpffs frees its inodes
 * from an RCU callback, 5.10), so a link has UNLOAD_WAIT_MS to go.
 */
static int links_left(const struct link_ids *ids)
{
	int left = 0;

	for (int waited = 0;; waited += UNLOAD_POLL_MS) {
		left = 0;
		for (int i = 0; i < ids->n; i++) {
			int fd = bpf_link_get_fd_by_id(ids->ids[i]);

			if (fd >= 0) {
				left++;
				close(fd);
			}
		}
		if (!left || waited >= UNLOAD_WAIT_MS)
			return left;
		usleep(UNLOAD_POLL_MS * 1000);
	}
}

int pin_unload(const char *dir, struct pin_unload *out, char *err, size_t errlen)
{
	struct link_ids ids = { .n = 0 };
	char path[PIN_PATH_MAX + 16];
	struct pin p;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!is_bpffs(dir))
		return 0;	/* nothing was ever pinned there */
	memset(&p, 0, sizeof(p));
	p.lock_fd = -1;
	snprintf(p.dir, sizeof(p.dir), "%s", dir);
	p.lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p.lock_fd < 0 || flock(p.lock_fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		errbuf_set(err, errlen, "unload: %s: %s", dir, rc == -EBUSY ?
			   "a custos agent runs on it: stop it first (systemctl stop custos)" :
			   strerror(-rc));
		pin_close(&p);
		return rc;
	}
	each_entry(&p, "links", link_id, &ids);
	out->links = each_entry(&p, "links", drop_link, NULL);
	out->maps = each_entry(&p, "maps", drop_map, NULL);
	snprintf(path, sizeof(path), "%s/links", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/maps", dir);
	rmdir(path);
	rc = rmdir(dir) && errno != ENOENT ? -errno : 0;
	pin_close(&p);
	if (rc) {
		errbuf_set(err, errlen, "unload: removing %s failed: %s (something else is "
			   "pinned there)", dir, strerror(-rc));
		return rc;
	}
	out->still = links_left(&ids);
	return 0;
}
