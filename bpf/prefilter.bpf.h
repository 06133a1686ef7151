/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * prefilter.bpf.h - may an open match a file rule?  The file pre-filter of
 * filter_maps.h ("file"), in the order its checks cost:
 *
 *   every open      overflow?  then the file's verdict, cached (one read of
 *                   its dentry, one array element), and one cached verdict
 *                   per mount above it (each mountpoint's)
 *   a file's miss   its identity watched?  its own name?  its directory's
 *                   verdict, cached too
 *   a directory's miss  a walk of its ancestors in its filesystem
 *
 * and what the BPF side adds to it: the identity of a file an open created
 * under a watched scope (file_watch_add), and the topology generation that
 * a rename bumps (file_topo_bump).  Included by file.bpf.c only.
 */
#ifndef CUSTOS_PREFILTER_BPF_H
#define CUSTOS_PREFILTER_BPF_H

#include "path.bpf.h"

/*
 * include/linux/dcache.h: a dentry its filesystem revalidates.  On a
 * network filesystem or FUSE, revalidation may move a directory's dentry
 * (d_splice_alias) without any rename here: verdicts on such filesystems
 * are not cached.  A local block filesystem's revalidation (fscrypt's,
 * which recent kernels set on every ext4 dentry) moves nothing.
 */
#define K_DCACHE_OP_REVALIDATE 0x4
#define K_DCACHE_OP_WEAK_REVALIDATE 0x800
#define K_FS_REQUIRES_DEV 1		/* include/linux/fs.h: a block device's */
#define K_FUSE_SUPER_MAGIC 0x65735546	/* fuseblk requires one, and is FUSE */

/* May verdicts of dentries of superblock sb that its filesystem revalidates
 * be cached? */
static __always_inline int sb_moves_only_by_rename(struct super_block *sb)
{
	return (BPF_CORE_READ(sb, s_type, fs_flags) & K_FS_REQUIRES_DEV) &&
	       BPF_CORE_READ(sb, s_magic) != K_FUSE_SUPER_MAGIC;
}

/* Can what is proven of dentry d not be cached, its filesystem revalidating
 * it (local: sb_moves_only_by_rename of its superblock)? */
static __always_inline int dentry_revalidated(struct dentry *d, int local)
{
	return !local && (BPF_CORE_READ(d, d_flags) &
			  (K_DCACHE_OP_REVALIDATE | K_DCACHE_OP_WEAK_REVALIDATE));
}

/* file_fs_verdict(): a verdict that must not be cached */
#define FILE_DIR_NOCACHE 0x100
/* own_verdict(): the file's own identity is watched */
#define FILE_VERDICT_IDENT 4
/* own_verdict(): the file's own name is watched (a name, a suffix, a
 * directory name), or it is a watched directory opened itself */
#define FILE_VERDICT_OWN 5
/*
 * file_prefilter() or-s it into EV_WATCH_SCOPE when only a directory above
 * the file is watched (neither its identity nor its own name): the file
 * guard's names then do not name it either (fileguard_decide).  Not part of
 * the record's watch field.
 */
#define PREFILTER_BY_DIR 0x100

/* Bit `bit` of a file_cfg bloom filter. */
static __always_inline int bloom_has(const __u64 *bloom, __u32 bit)
{
	return (bloom[(bit / 64) & (FILE_BLOOM_WORDS - 1)] >> (bit % 64)) & 1;
}

/* The last bytes of a name, read once: byte i of the tail is byte i (< 8)
 * of lo or i - 8 of hi (little endian); shifts, not a variable stack index,
 * so that 5.x verifiers take it. */
struct name_tail {
	__u64 lo, hi;
	__u64 spare[2];	/* the read's size is masked to < 32 for the verifier */
};

static __always_inline __u8 tail_byte(const struct name_tail *t, __u32 i)
{
	i &= 2 * 8 - 1;
	return i < 8 ? (__u8)(t->lo >> (i * 8)) : (__u8)(t->hi >> ((i - 8) * 8));
}

/* Reads the last min(len, FILE_SUFFIX_MAX) bytes of name into t; that
 * count, 0 when there is nothing to read. */
static __always_inline __u32 tail_read(struct name_tail *t, const unsigned char *name, __u32 len)
{
	__u32 n = len < FILE_SUFFIX_MAX ? len : FILE_SUFFIX_MAX;

	t->lo = t->hi = 0;
	/* the compiler may know n < 16 and drop the mask; the verifier must see it */
	asm volatile("" : "+r"(n));
	if (!n || bpf_probe_read_kernel(t, n & (2 * FILE_SUFFIX_MAX - 1), name + (len - n)))
		return 0;
	return n;
}

/* The name bloom bit of a name whose tail (n bytes) is t (filter_maps.h). */
static __always_inline __u32 tail_bloom(const struct name_tail *t, __u32 len, __u32 n)
{
	return file_bloom_name(len, tail_byte(t, 0), tail_byte(t, n - 1));
}

/* Is the name q (whose tail t holds n bytes) a key of map names? */
static __always_inline int name_key_in(void *names, const struct qstr *q)
{
	struct file_name_key k = {};

	bpf_probe_read_kernel(k.name, q->len & (FILE_NAME_KEY - 1), q->name);
	return bpf_map_lookup_elem(names, &k) != NULL;
}

/* Is q a watched directory name? */
static __always_inline int dirname_watched(const struct file_cfg *cfg, const struct qstr *q)
{
	struct name_tail t;
	__u32 n;

	if (!cfg->any_dirnames || q->len >= FILE_NAME_KEY || !((cfg->dirname_lens >> q->len) & 1))
		return 0;
	n = tail_read(&t, q->name, q->len);
	return n && bloom_has(cfg->dirname_bloom, tail_bloom(&t, q->len, n)) &&
	       name_key_in(&file_watch_dirnames, q);
}

/*
 * Is the opened file's own name watched (exact, or by suffix)?  One read of
 * its last bytes; a lookup only where the length and a bloom bit say it may
 * be watched.
 */
static __always_inline int name_watched(const struct file_cfg *cfg, const struct qstr *q)
{
	struct name_tail t;
	__u32 len = q->len, n, sufs;
	int names;

	if (!cfg->any_names && !cfg->suffix_lens)
		return 0;
	names = cfg->any_names && len < FILE_NAME_KEY && ((cfg->name_lens >> len) & 1);
	/* suffix lengths up to len */
	sufs = cfg->suffix_lens & (len >= FILE_SUFFIX_MAX ? ~0u : (2u << len) - 1);
	if (!names && !sufs)
		return 0;
	n = tail_read(&t, q->name, len);
	if (!n)
		return 0;
	if (names && bloom_has(cfg->name_bloom, tail_bloom(&t, len, n)) &&
	    name_key_in(&file_watch_names, q))
		return 1;
	for (__u32 i = 1; i <= FILE_SUFFIX_MAX; i++) {
		struct file_suffix_key k = {};

		if (!(sufs & (1u << i)) || i > n)
			continue;
		if (!bloom_has(cfg->suffix_bloom,
			       file_bloom_name(i, tail_byte(&t, n - i), tail_byte(&t, n - 1))))
			continue;
		k.len = i;
		bpf_probe_read_kernel(k.s, i & (2 * FILE_SUFFIX_MAX - 1), q->name + (len - i));
		if (bpf_map_lookup_elem(&file_watch_suffixes, &k))
			return 1;
	}
	return 0;
}

/* The file_watch_ids entry of (dev, ino), looked up only when its bloom
 * element is set. */
static __always_inline struct file_watch *watch_lookup(__u64 dev, __u64 ino)
{
	struct file_ident id = { .dev = dev, .ino = ino };
	__u32 b = file_bloom_ident(dev, ino);
	__u8 *on = bpf_map_lookup_elem(&file_ident_bloom, &b);

	if (!on || !*on)
		return NULL;
	return bpf_map_lookup_elem(&file_watch_ids, &id);
}

/* Is inode the one entry w was made for (its generation, when w has one)? */
static __always_inline int watch_is(const struct file_watch *w, struct inode *inode)
{
	if (!w->gen || BPF_CORE_READ(inode, i_generation) == w->gen)
		return 1;
	stat_inc(STAT_FILE_IDS_STALE);	/* its number was reused: not that file */
	return 0;
}

/*
 * The verdict (FILE_DIR_*) of directory dp: is it, or an ancestor of it in
 * its filesystem, a watched scope or named as a watched directory?
 * FILE_DIR_NOCACHE or-ed in when it must not be cached.  A global function,
 * so that the verifier checks its loop once (pointers passed as scalars).
 */
__noinline int file_fs_verdict(__u64 dp)
{
	struct dentry *d = (struct dentry *)dp;
	struct file_cfg *cfg;
	__u32 zero = 0;
	struct super_block *sb;
	__u64 dev;
	int nocache = 0, scopes, local;

	cfg = bpf_map_lookup_elem(&file_cfg, &zero);
	if (!cfg || !d)
		return FILE_DIR_UNDECIDED | FILE_DIR_NOCACHE;
	sb = BPF_CORE_READ(d, d_sb);
	dev = BPF_CORE_READ(sb, s_dev);
	local = sb_moves_only_by_rename(sb);
	scopes = cfg->any_scopes && ((cfg->scope_devs >> file_bloom_dev(dev)) & 1);
	for (int i = 0; i < FILE_WALK_DEPTH; i++) {
		struct dentry *parent;

		if (scopes) {
			struct inode *inode = BPF_CORE_READ(d, d_inode);
			struct file_watch *w = watch_lookup(dev, BPF_CORE_READ(inode, i_ino));

			if (w && (w->what & FILE_WATCH_SCOPE) && watch_is(w, inode))
				return FILE_DIR_WATCHED;
		}
		if (cfg->any_dirnames) {
			struct qstr q = {};

			BPF_CORE_READ_INTO(&q, d, d_name);
			if (dirname_watched(cfg, &q))
				return FILE_DIR_WATCHED;
		}
		if (dentry_revalidated(d, local))
			nocache = FILE_DIR_NOCACHE;
		parent = BPF_CORE_READ(d, d_parent);
		/* the filesystem's root, a pseudo file's (a pipe, a memfd: under
		 * no directory), or one a file handle made whose parents are not
		 * known (DCACHE_DISCONNECTED) */
		if (parent == d)
			return dentry_disconnected(d) ? FILE_DIR_UNDECIDED | FILE_DIR_NOCACHE :
			       FILE_DIR_CLEAN | nocache;
		d = parent;
	}
	return FILE_DIR_UNDECIDED | nocache;	/* too deep to tell */
}

/* The one file_topo entry; NULL only if the map is broken. */
static __always_inline struct file_topo *file_topo_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&file_topo, &zero);
}

/* The low 32 bits of the topology generation. */
static __always_inline __u32 file_topo_gen(void)
{
	struct file_topo *t = file_topo_get();

	return t ? (__u32)t->gen : 0;
}

/* A directory has moved: every cached verdict is stale. */
static __always_inline void file_topo_bump(void)
{
	struct file_topo *t = file_topo_get();

	if (t)
		__sync_fetch_and_add(&t->gen, 1);
	stat_inc(STAT_FILE_TOPO);
}

/* The mount tree has changed: every remembered path is stale (delivery.h). */
static __always_inline void file_mounts_bump(void)
{
	struct file_topo *t = file_topo_get();

	if (t)
		__sync_fetch_and_add(&t->mounts, 1);
	stat_inc(STAT_FILE_MOUNTS);
}

/* Both generations, low 32 bits each: the dentry tree's high, the mounts' low. */
static __always_inline __u64 file_gens(void)
{
	struct file_topo *t = file_topo_get();

	return t ? (__u64)(__u32)t->gen << 32 | (__u32)t->mounts : 0;
}

/* What a verdict is taken for: a dentry's parent, name and inode. */
struct dent {
	__u64 parent;		/* d_parent */
	__u64 hash_len;		/* d_name.hash_len */
	__u64 name;		/* d_name.name */
	__u64 inode;		/* d_inode */
};

/* The dentry's four fields, in one read where they lie together (every
 * kernel tested: d_parent, d_name, d_inode), else in four. */
static __always_inline void dent_read(struct dentry *d, struct dent *e)
{
	if (bpf_core_field_offset(struct dentry, d_name) ==
		    bpf_core_field_offset(struct dentry, d_parent) + 8 &&
	    bpf_core_field_offset(struct dentry, d_inode) ==
		    bpf_core_field_offset(struct dentry, d_name) + 16) {
		if (bpf_probe_read_kernel(e, sizeof(*e), (char *)d +
					  bpf_core_field_offset(struct dentry, d_parent)))
			__builtin_memset(e, 0, sizeof(*e));
		return;
	}
	e->parent = (__u64)BPF_CORE_READ(d, d_parent);
	e->hash_len = BPF_CORE_READ(d, d_name.hash_len);
	e->name = (__u64)BPF_CORE_READ(d, d_name.name);
	e->inode = (__u64)BPF_CORE_READ(d, d_inode);
}

/*
 * A verdict's tag (filter_maps.h, file_verdicts): a mix of the dentry and
 * everything the verdict depends on, its low FILE_VERDICT_MASK bits free
 * for the verdict.  The tag is the whole entry, one word: two writers
 * cannot leave a torn one that passes for either.
 */
static __always_inline __u64 dentry_tag(__u64 d, __u64 parent, __u64 hash_len, __u64 inode,
					__u32 policy, __u32 topo)
{
	__u64 h = d * 0x9e3779b97f4a7c15ull ^ parent * 0xc2b2ae3d27d4eb4full ^
		  hash_len * 0x165667b19e3779f9ull ^ inode * 0x27d4eb2f165667c5ull ^
		  ((__u64)policy << 32 | topo);

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h & ~(__u64)FILE_VERDICT_MASK;
}

static __always_inline __u64 verdict_tag(__u64 d, const struct dent *e, __u32 policy, __u32 topo)
{
	return dentry_tag(d, e->parent, e->hash_len, e->inode, policy, topo);
}

/* The set of a table of sets (a power of two of them) that dentry address d
 * falls in: file_verdicts, guard_trees. */
static __always_inline __u32 dentry_set(__u64 d, __u32 sets)
{
	return (__u32)((d >> 6) ^ (d >> 21)) & (sets - 1);
}

/* dentry d's set of file_verdicts (by its address). */
static __always_inline struct file_verdict_set *verdict_slot(__u64 d)
{
	__u32 i = dentry_set(d, FILE_VERDICT_SETS);

	return bpf_map_lookup_elem(&file_verdicts, &i);
}

/* The verdict a way of the set holds under tag; 0 when none. */
static __always_inline int verdict_get(const struct file_verdict_set *set, __u64 tag)
{
	if (!set)
		return 0;
#pragma unroll
	for (int i = 0; i < FILE_VERDICT_WAYS; i++) {
		__u64 v = set->way[i];

		if ((v & ~(__u64)FILE_VERDICT_MASK) == tag)
			return (int)(v & FILE_VERDICT_MASK);
	}
	return 0;
}

/* Puts tag's verdict first in its set, each older one a way down (the last
 * falls out).  Each word is written whole: a race leaves at worst a verdict
 * missing or twice, never one under another's tag. */
static __always_inline void verdict_put(const struct file_cfg *cfg, struct file_verdict_set *set,
					__u64 tag, int v)
{
	if (!set || !cfg->dir_cache || (v & FILE_DIR_NOCACHE))
		return;
#pragma unroll
	for (int i = FILE_VERDICT_WAYS - 1; i > 0; i--)
		set->way[i] = set->way[i - 1];
	set->way[0] = tag | (__u64)(v & FILE_VERDICT_MASK);
}

/* The verdict of directory d (FILE_DIR_*, FILE_DIR_NOCACHE or-ed in), from
 * file_verdicts when it holds one taken for it as it is now. */
static __always_inline int dir_verdict(const struct file_cfg *cfg, struct dentry *d,
				       __u32 policy, __u32 topo)
{
	struct dent e;
	struct file_verdict_set *slot;
	__u64 tag;
	int v;

	dent_read(d, &e);
	tag = verdict_tag((__u64)d, &e, policy, topo);
	slot = verdict_slot((__u64)d);
	v = verdict_get(slot, tag);
	if (v)
		return v;
	v = file_fs_verdict((__u64)d);
	stat_inc(STAT_FILE_VERDICT_MISS);
	verdict_put(cfg, slot, tag, v);
	return v;
}

/* Has any identity not fit (file_dev_full's last element)? */
static __always_inline int any_overflow(void)
{
	__u32 slot = FILE_DEV_SLOTS;
	__u8 *full = bpf_map_lookup_elem(&file_dev_full, &slot);

	return full && *full;
}

/* Is dev's element of file_dev_full set (an identity of it did not fit)? */
static __always_inline int dev_overflowed(__u64 dev)
{
	__u32 slot = file_bloom_dev(dev);
	__u8 *full = bpf_map_lookup_elem(&file_dev_full, &slot);

	return full && *full;
}

/*
 * The verdict of the opened file itself: FILE_VERDICT_IDENT for a watched
 * identity, FILE_VERDICT_OWN for its own watched name (or a watched
 * directory opened itself), else its directory's (FILE_DIR_* of its
 * ancestors in its filesystem).
 */
static __always_inline int own_verdict(const struct file_cfg *cfg, const struct dent *e,
				       __u32 policy, __u32 topo)
{
	struct inode *inode = (struct inode *)e->inode;
	struct qstr q = { .hash_len = e->hash_len, .name = (const unsigned char *)e->name };
	struct file_watch *w;

	w = watch_lookup(BPF_CORE_READ(inode, i_sb, s_dev), BPF_CORE_READ(inode, i_ino));
	if (w && (w->what & FILE_WATCH_FILE) && watch_is(w, inode))
		return FILE_VERDICT_IDENT;
	if (w && (w->what & FILE_WATCH_SCOPE) && watch_is(w, inode))
		return FILE_VERDICT_OWN;	/* a watched directory, opened itself */
	if (name_watched(cfg, &q) || dirname_watched(cfg, &q))
		return FILE_VERDICT_OWN;
	return dir_verdict(cfg, (struct dentry *)e->parent, policy, topo);
}

/* The mountpoints above mount m, each a cached directory verdict, up to the
 * top of its mount tree (not the task's root: a chroot hides nothing). */
static __always_inline int mounts_verdict(const struct file_cfg *cfg, struct mount *m,
					  __u32 policy, __u32 topo)
{
	for (int lvl = 0; lvl < FILE_MOUNT_DEPTH; lvl++) {
		struct mount *pm = BPF_CORE_READ(m, mnt_parent);
		int v;

		if (pm == m)
			return FILE_DIR_CLEAN;
		v = dir_verdict(cfg, BPF_CORE_READ(m, mnt_mountpoint), policy, topo) & 0xff;
		if (v != FILE_DIR_CLEAN)
			return v;
		m = pm;
	}
	return FILE_DIR_UNDECIDED;
}

/*
 * The pre-filter, a global function so that the verifier checks it once, on
 * its own, instead of once per path through the caller (the file pointer is
 * passed as a scalar for that reason).  EV_WATCH_* of why the open is sent,
 * PREFILTER_BY_DIR or-ed in when only a directory above it is watched; 0:
 * no rule can match it.  The file's own verdict (identity, name, the
 * ancestors in its filesystem) is cached under its dentry, so that an
 * innocent open of a file seen before costs one read of its dentry and one
 * array element; the mounts above are followed live.
 */
__noinline int file_prefilter(__u64 filep)
{
	struct file *file = (struct file *)filep;
	struct file_cfg *cfg;
	struct path fp = {};
	struct dent e;
	__u32 zero = 0, policy, topo;
	struct file_verdict_set *slot;
	__u64 tag;
	int v;

	cfg = bpf_map_lookup_elem(&file_cfg, &zero);
	if (!cfg || !file)
		return 0;
	if (cfg->match_all)
		return EV_WATCH_ALL;
	if (any_overflow() && dev_overflowed(BPF_CORE_READ(file, f_inode, i_sb, s_dev)))
		return EV_WATCH_ALL;
	BPF_CORE_READ_INTO(&fp, file, f_path);
	dent_read(fp.dentry, &e);
	policy = cfg->policy;
	topo = file_topo_gen();
	tag = verdict_tag((__u64)fp.dentry, &e, policy, topo);
	slot = verdict_slot((__u64)fp.dentry);
	v = verdict_get(slot, tag);
	if (!v) {
		v = own_verdict(cfg, &e, policy, topo);
		stat_inc(STAT_FILE_VERDICT_MISS);
		verdict_put(cfg, slot, tag, v);
	}
	v &= 0xff;
	if (v == FILE_DIR_CLEAN)
		v = mounts_verdict(cfg, real_mount_of(fp.mnt), policy, topo);
	if (v == FILE_DIR_CLEAN)
		return 0;
	if (v == FILE_VERDICT_IDENT)
		return EV_WATCH_IDENT;
	if (v == FILE_VERDICT_OWN)
		return EV_WATCH_SCOPE;
	if (v == FILE_DIR_WATCHED)
		return EV_WATCH_SCOPE | PREFILTER_BY_DIR;
	stat_inc(STAT_FILE_UNDECIDED);
	return EV_WATCH_ALL;
}

/*
 * The innocent open's short way (file__btf_cast, kernels with the
 * bpf_rdonly_cast kfunc: 6.2 on).  bpf_rdonly_cast makes the file pointer a
 * BTF pointer the program may walk in plain loads (each one a load the JIT
 * guards against a fault, which reads 0), where file_prefilter() must call
 * bpf_probe_read_kernel() for every field: six calls for an innocent open
 * on a root filesystem mounted under another mount.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* The address p holds, as a number: p's distance from base, whose address
 * is known (base_val), plus base_val.  The verifier lets a privileged
 * program (CAP_PERFMON, which every tracing program needs) subtract two
 * pointers; it lets no program shift or multiply one, which the tag does. */
static __always_inline __u64 addr_of(const void *p, const void *base, __u64 base_val)
{
	__u64 r;

	asm volatile("%[r] = %[p]\n\t%[r] -= %[b]\n\t%[r] += %[v]"
		     : [r] "=&r"(r) : [p] "r"(p), [b] "r"(base), [v] "r"(base_val));
	return r;
}

/* Does file_verdicts hold FILE_DIR_CLEAN for dentry d (a cast pointer),
 * under the tag file_prefilter() would compute for it? */
static __always_inline int fast_clean(struct dentry *d, const void *base, __u64 base_val,
				      __u32 policy, __u32 topo)
{
	__u64 dv = addr_of(d, base, base_val);
	struct dent e = {
		.parent = addr_of(d->d_parent, base, base_val),
		.hash_len = d->d_name.hash_len,
		.inode = addr_of(d->d_inode, base, base_val),
	};

	return verdict_get(verdict_slot(dv), verdict_tag(dv, &e, policy, topo)) == FILE_DIR_CLEAN;
}

/*
 * 1 when file_prefilter() would return 0 for the open file at filep, from
 * the same cached verdicts: the file's own, then each mountpoint's above
 * its mount.  0 sends the open to file_prefilter(), which decides it: a
 * verdict not cached, one not clean, an overflowed device, a tree too deep.
 * It never decides more than the cache says, so a wrong read (a faulted
 * load reads 0) makes a tag no verdict was put under: the long way.
 */
static __always_inline int file_fast_innocent(__u64 filep)
{
	struct file_cfg *cfg;
	struct file *file;
	struct mount *m;
	__u32 zero = 0, policy, topo;

	cfg = bpf_map_lookup_elem(&file_cfg, &zero);
	if (!cfg || cfg->match_all || any_overflow() || !filep)
		return 0;
	file = bpf_rdonly_cast((void *)filep, bpf_core_type_id_kernel(struct file));
	policy = cfg->policy;
	topo = file_topo_gen();
	if (!fast_clean(file->f_path.dentry, file, filep, policy, topo))
		return 0;
	m = bpf_rdonly_cast((char *)file->f_path.mnt - bpf_core_field_offset(struct mount, mnt),
			    bpf_core_type_id_kernel(struct mount));
	for (int lvl = 0; lvl < FILE_MOUNT_DEPTH; lvl++) {
		struct mount *pm = m->mnt_parent;

		if (!pm)
			return 0;
		if (pm == m) {
			stat_inc(STAT_FILE_FAST);
			return 1;
		}
		if (!fast_clean(m->mnt_mountpoint, file, filep, policy, topo))
			return 0;
		m = pm;
	}
	return 0;
}

/*
 * A file this open created under a watched scope becomes watched by
 * identity before its record is sent: a hard link or rename made right
 * after cannot outrun it.  The bloom element is set first (a lookup it
 * causes too early finds nothing, never misses).  EV_WATCH_ADDED, or
 * EV_WATCH_FULL when file_watch_ids is full (its device then overflows:
 * every open on it is sent).
 */
static __always_inline int file_watch_add(__u64 dev, __u64 ino, __u32 gen)
{
	struct file_ident id = { .dev = dev, .ino = ino };
	struct file_watch w = { .gen = gen, .what = FILE_WATCH_FILE | FILE_WATCH_ADDED };
	__u32 b = file_bloom_ident(dev, ino), slot;
	__u8 *on = bpf_map_lookup_elem(&file_ident_bloom, &b), *full;

	if (on)
		*on = 1;
	if (bpf_map_update_elem(&file_watch_ids, &id, &w, BPF_ANY) == 0) {
		stat_inc(STAT_FILE_IDS_ADDED);
		return EV_WATCH_ADDED;
	}
	slot = file_bloom_dev(dev);
	full = bpf_map_lookup_elem(&file_dev_full, &slot);
	if (full)
		*full = 1;
	slot = FILE_DEV_SLOTS;		/* "some device overflowed" */
	full = bpf_map_lookup_elem(&file_dev_full, &slot);
	if (full)
		*full = 1;
	stat_inc(STAT_FILE_IDS_FULL);
	return EV_WATCH_FULL;
}

#endif
