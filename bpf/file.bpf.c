// SPDX-License-Identifier: GPL-2.0-only
/*
 * file.bpf.c - opens of files that a file rule may name.
 *
 * One hook covers every open syscall: raw_syscalls:sys_exit, filtered first
 * on the syscall number (open, openat, openat2, creat, open_by_handle_at;
 * ia32 compat numbers too).  On exit the return value is the new fd, so the
 * struct file the syscall installed is current->files->fdt->fd[ret]: the
 * path reported is walked from that file (path.bpf.h), never taken from the
 * user-space string, so relative names, "..", directory fds, symlinks and
 * mounts all come out as the absolute path seen from the task's root.
 * Why sys_exit rather than the per-syscall tracepoints: one program instead
 * of five, no tracefs needed for the tp_btf/raw variants, and a syscall we
 * do not care about costs one compare before returning.
 *
 * The pre-filter (filter_maps.h) runs before anything is built: an open
 * that no rule can match costs the fd lookup, a name lookup or two, and a
 * bounded walk of hash lookups, and sends nothing.
 *
 * Under the lsm and fentry backends the hook is security_file_open instead:
 * given the struct file of every open of a file, whoever makes it (the open
 * syscalls, io_uring, execve, the kernel); the caller's flags are then read
 * from the open syscall's registers saved at entry when there is one.  All
 * variants share file_event(): the pre-filter, then the record.
 *
 * Variants (loader.c picks one):
 *   lsm/file_open               BPF LSM; refuses the opens file block rules
 *                               name (fileguard.bpf.h), reports the rest
 *   fentry/security_file_open   BPF trampoline on the same function
 *   tp_btf/sys_exit             BTF-typed tracepoint
 *   raw_tracepoint/sys_exit     untyped arguments, any 5.x
 * io_uring opens under the tracepoint variants: iouring.bpf.c.
 */
#include "path.bpf.h"
#include "fileguard.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#if defined(__TARGET_ARCH_x86)
#define NR_OPEN 2
#define NR_CREAT 85
#define NR_OPENAT 257
#define NR_OPEN_BY_HANDLE_AT 304
#define NR_OPENAT2 437
/* ia32 compat numbers; told apart by TS_COMPAT in thread_info.status */
#define NR32_OPEN 5
#define NR32_CREAT 8
#define NR32_OPENAT 295
#define NR32_OPEN_BY_HANDLE_AT 342
#define TS_COMPAT 0x0002
#define X32_SYSCALL_BIT 0x40000000
#define REGS_NR(regs) BPF_CORE_READ((regs), orig_ax)
/* from a BTF-typed pt_regs (tp_btf): a plain load, no helper call */
#define REGS_NR_BTF(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_OPENAT 56
#define NR_OPEN_BY_HANDLE_AT 265
#define NR_OPENAT2 437
#define REGS_NR(regs) BPF_CORE_READ((regs), syscallno)
#define REGS_NR_BTF(regs) ((regs)->syscallno)
#else
#error "file.bpf.c: add this architecture's open syscall numbers"
#endif

enum open_call {
	OC_NONE = 0,
	OC_OPEN,		/* open(path, flags, mode) */
	OC_OPENAT,		/* openat(dfd, path, flags, mode) */
	OC_OPENAT2,		/* openat2(dfd, path, how, size): flags in *how */
	OC_CREAT,		/* creat(path, mode) */
	OC_BY_HANDLE,		/* open_by_handle_at(mount_fd, handle, flags) */
	OC_URING,		/* not an open syscall: io_uring_enter submitting an open */
};

#define NR_IO_URING_ENTER 426	/* the same number on every architecture */

#define OC_COMPAT 0x10		/* an ia32 task: arguments in ebx, ecx, edx */

/* Which open syscall nr is, if any (OC_*, | OC_COMPAT for ia32 tasks). */
static __always_inline int open_call(long nr)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *t;
	int native = OC_NONE, compat = OC_NONE;

	nr &= ~(long)X32_SYSCALL_BIT;
	switch (nr) {
	case NR_OPENAT: native = OC_OPENAT; break;
	case NR_OPEN: native = OC_OPEN; break;
	case NR_OPENAT2: native = OC_OPENAT2; compat = OC_OPENAT2; break;
	case NR_CREAT: native = OC_CREAT; break;
	case NR_OPEN_BY_HANDLE_AT: native = OC_BY_HANDLE; break;
	case NR32_OPENAT: compat = OC_OPENAT; break;
	case NR32_OPEN: compat = OC_OPEN; break;
	case NR32_CREAT: compat = OC_CREAT; break;
	case NR32_OPEN_BY_HANDLE_AT: compat = OC_BY_HANDLE; break;
	default: return OC_NONE;
	}
	/* in an ia32 task the numbers name other syscalls */
	t = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(t, thread_info.status) & TS_COMPAT)
		return compat == OC_NONE ? OC_NONE : compat | OC_COMPAT;
	return native;
#else
	switch (nr) {
	case NR_OPENAT: return OC_OPENAT;
	case NR_OPENAT2: return OC_OPENAT2;
	case NR_OPEN_BY_HANDLE_AT: return OC_BY_HANDLE;
	}
	return OC_NONE;
#endif
}

/* Argument i (0-based) of the syscall, from the registers saved at entry. */
static __always_inline __u64 sys_arg(struct pt_regs *regs, int i, int compat)
{
#if defined(__TARGET_ARCH_x86)
	if (compat) {
		switch (i) {
		case 0: return (__u32)BPF_CORE_READ(regs, bx);
		case 1: return (__u32)BPF_CORE_READ(regs, cx);
		default: return (__u32)BPF_CORE_READ(regs, dx);
		}
	}
	switch (i) {
	case 0: return BPF_CORE_READ(regs, di);
	case 1: return BPF_CORE_READ(regs, si);
	default: return BPF_CORE_READ(regs, dx);
	}
#else
	switch (i) {
	case 0: return BPF_CORE_READ(regs, orig_x0);
	case 1: return BPF_CORE_READ(regs, regs[1]);
	default: return BPF_CORE_READ(regs, regs[2]);
	}
#endif
}

/*
 * The flags the caller asked for (the kernel keeps neither O_CREAT, O_TRUNC,
 * O_EXCL nor O_NOCTTY in file->f_flags, and adds O_LARGEFILE); f_flags when
 * the arguments cannot be read.
 */
static __always_inline __u32 open_flags(int oc, struct pt_regs *regs, struct file *file)
{
	int compat = oc & OC_COMPAT;
	__u64 how_flags = 0;

	switch (oc & ~OC_COMPAT) {
	case OC_OPEN: return (__u32)sys_arg(regs, 1, compat);
	case OC_OPENAT: return (__u32)sys_arg(regs, 2, compat);
	case OC_BY_HANDLE: return (__u32)sys_arg(regs, 2, compat);
	case OC_CREAT: return 01 | 0100 | 01000;	/* O_WRONLY|O_CREAT|O_TRUNC */
	case OC_OPENAT2:
		/* struct open_how starts with __u64 flags */
		if (bpf_probe_read_user(&how_flags, sizeof(how_flags),
					(void *)sys_arg(regs, 2, compat)) == 0)
			return (__u32)how_flags;
	}
	return BPF_CORE_READ(file, f_flags);
}

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

/*
 * Is the opened file's own name watched (exact, or by suffix)?  One read of
 * the name (pointer and length), one of its last bytes; a lookup only where
 * the length and a bloom bit say it may be watched.
 */
static __always_inline int name_watched(const struct file_cfg *cfg, struct dentry *d)
{
	struct qstr q = {};
	struct name_tail t;
	__u32 len, n, sufs;
	int names;

	if (!cfg->any_names && !cfg->suffix_lens)
		return 0;
	BPF_CORE_READ_INTO(&q, d, d_name);
	len = q.len;
	names = cfg->any_names && len < FILE_NAME_KEY && ((cfg->name_lens >> len) & 1);
	/* suffix lengths up to len */
	sufs = cfg->suffix_lens & (len >= FILE_SUFFIX_MAX ? ~0u : (2u << len) - 1);
	if (!names && !sufs)
		return 0;
	n = tail_read(&t, q.name, len);
	if (!n)
		return 0;
	if (names && bloom_has(cfg->name_bloom, tail_bloom(&t, len, n))) {
		struct file_name_key k = {};

		bpf_probe_read_kernel(k.name, len & (FILE_NAME_KEY - 1), q.name);
		if (bpf_map_lookup_elem(&file_watch_names, &k))
			return 1;
	}
	for (__u32 i = 1; i <= FILE_SUFFIX_MAX; i++) {
		struct file_suffix_key k = {};

		if (!(sufs & (1u << i)) || i > n)
			continue;
		if (!bloom_has(cfg->suffix_bloom,
			       file_bloom_name(i, tail_byte(&t, n - i), tail_byte(&t, n - 1))))
			continue;
		k.len = i;
		bpf_probe_read_kernel(k.s, i & (2 * FILE_SUFFIX_MAX - 1), q.name + (len - i));
		if (bpf_map_lookup_elem(&file_watch_suffixes, &k))
			return 1;
	}
	return 0;
}

/*
 * Is the file, or a directory on its path up to the task's root, watched
 * (by identity, or by name)?  Walks as path_walk does (crossing mounts), so
 * every directory that can appear in the reported path is checked.  1 when
 * the walk is cut short.  Per level: the parent pointer, the name (when a
 * directory name is watched) and the inode number (when an identity on this
 * mount's superblock is); lookups only on a bloom hit.
 */
static __always_inline int ident_watched(const struct file_cfg *cfg, struct file *file)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct path root = {}, fp = {};
	struct dentry *dentry, *mnt_root;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u64 dev = 0;
	int dev_watched = 0;

	BPF_CORE_READ_INTO(&root, task, fs, root);
	BPF_CORE_READ_INTO(&fp, file, f_path);
	dentry = fp.dentry;
	vfsmnt = fp.mnt;
	mnt = real_mount_of(vfsmnt);
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	if (cfg->any_ids) {
		dev = BPF_CORE_READ(dentry, d_sb, s_dev);
		dev_watched = (cfg->dev_bloom >> file_bloom_dev(dev)) & 1;
	}

	for (int i = 0; i < FILE_WALK_DEPTH; i++) {
		struct dentry *parent;

		if (dev_watched) {
			struct file_ident id = {};

			id.dev = dev;
			id.ino = BPF_CORE_READ(dentry, d_inode, i_ino);
			if (bloom_has(cfg->ident_bloom, file_bloom_ident(dev, id.ino)) &&
			    bpf_map_lookup_elem(&file_watch_ids, &id))
				return 1;
		}
		if (cfg->any_dirnames) {
			struct qstr q = {};

			BPF_CORE_READ_INTO(&q, dentry, d_name);
			if (q.len < FILE_NAME_KEY && ((cfg->dirname_lens >> q.len) & 1)) {
				struct name_tail t;
				__u32 n = tail_read(&t, q.name, q.len);

				if (n && bloom_has(cfg->dirname_bloom, tail_bloom(&t, q.len, n))) {
					struct file_name_key k = {};

					bpf_probe_read_kernel(k.name, q.len & (FILE_NAME_KEY - 1),
							      q.name);
					if (bpf_map_lookup_elem(&file_watch_dirnames, &k))
						return 1;
				}
			}
		}
		if (dentry == root.dentry && vfsmnt == root.mnt)
			return 0;
		if (dentry == mnt_root) {
			struct mount *pmnt = BPF_CORE_READ(mnt, mnt_parent);

			if (pmnt == mnt)
				return 0;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = pmnt;
			vfsmnt = (struct vfsmount *)((char *)pmnt +
						     bpf_core_field_offset(struct mount, mnt));
			mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
			if (cfg->any_ids) {
				dev = BPF_CORE_READ(dentry, d_sb, s_dev);
				dev_watched = (cfg->dev_bloom >> file_bloom_dev(dev)) & 1;
			}
			continue;
		}
		parent = BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry)
			return 0;
		dentry = parent;
	}
	return 1;
}

/*
 * The pre-filter, a global function so that the verifier checks it once, on
 * its own, instead of once per path through the caller (the file pointer is
 * passed as a scalar for that reason).  1: send the open.
 */
__noinline int file_prefilter(__u64 filep)
{
	struct file *file = (struct file *)filep;
	struct file_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&file_cfg, &zero);
	if (!cfg || !file)
		return 0;
	if (name_watched(cfg, BPF_CORE_READ(file, f_path.dentry)))
		return 1;
	return (cfg->any_ids || cfg->any_dirnames) && ident_watched(cfg, file);
}

/*
 * The flags of an open that no open syscall of the current task made
 * (io_uring, exec, kernel-internal): file->f_flags at security_file_open
 * time.  There the kernel still holds O_CREAT, O_EXCL, O_TRUNC and O_NOCTTY
 * (do_dentry_open clears them after the hooks), but has dropped O_CLOEXEC
 * (which cannot be known here), forced O_LARGEFILE on (64-bit) and may hold
 * internal bits: O_LARGEFILE and the internal bits are taken out.
 */
#define K_O_LARGEFILE_64 0100000
#define K_O_LARGEFILE_ARM64 0400000
#define K_FMODE_EXEC 040		/* __FMODE_EXEC */
#define K_FMODE_NONOTIFY 0x4000000	/* __FMODE_NONOTIFY, up to 6.13 */

static __always_inline __u32 file_flags(struct file *file)
{
	__u32 f = BPF_CORE_READ(file, f_flags);

#if defined(__TARGET_ARCH_arm64)
	f &= ~(__u32)K_O_LARGEFILE_ARM64;
#else
	f &= ~(__u32)K_O_LARGEFILE_64;
#endif
	return f & ~(__u32)(K_FMODE_EXEC | K_FMODE_NONOTIFY);
}

/*
 * The label rules (filter_maps.h, "The guards": the file guard's label
 * slots) that this open fires give the process their labels, now, before
 * the open returns: on every backend, for an open the pre-filter let
 * through (a label rule's path is a file rule's: it is watched).  A label
 * held (and not expired) keeps the time it was first set.  A global
 * function (the file as a scalar), checked once by the verifier.
 */
__noinline int file_labels(__u64 filep)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct file *file = (struct file *)filep;
	struct proc_label *p;
	struct scratch *s;
	__u64 want, now, start;
	__u16 gen;

	want = fileguard_labels(fileguard_decide(file, &gen, 1));
	if (!want)
		return 0;
	start = task_start_ns(task);
	want &= ~labels_held(tgid, start);
	if (!want)
		return 0;
	now = bpf_ktime_get_boot_ns();
	p = bpf_map_lookup_elem(&proc_label, &tgid);
	if (!p || p->start_ns != start) {
		/* a first label: the entry, built in the scratch (too big for the stack) */
		s = scratch_get();
		if (!s)
			return 0;
		p = (struct proc_label *)s->walk;
		__builtin_memset(p, 0, sizeof(*p));
		p->start_ns = start;
		if (bpf_map_update_elem(&proc_label, &tgid, p, BPF_ANY)) {
			stat_inc(STAT_PROC_FULL);
			return 0;
		}
		p = bpf_map_lookup_elem(&proc_label, &tgid);
		if (!p)
			return 0;
	}
	for (int i = 0; i < PROC_LABEL_MAX; i++)
		if ((want >> i) & 1)
			p->set_ns[i] = now;
	p->labels |= want;
	stat_inc(STAT_LABEL_SET);
	return 0;
}

/*
 * One open, after the caller's cheap checks: the pre-filter, then the record.
 * oc/regs: the open syscall that made it (its arguments give the caller's
 * flags), or OC_NONE/OC_URING when there is none (file_flags()).
 * refused: the file guard's rule slots that refused it (file__lsm only): the
 * record is then sent whatever the pre-filter says, with blocked = 1.
 */
static __always_inline int file_event(struct task_struct *task, struct file *file, int oc,
				      struct pt_regs *regs, __u64 refused, __u16 gen)
{
	struct file_cfg *cfg;
	struct scratch *s;
	struct path_out po = {};
	struct ev_file *e;
	__u32 zero = 0, fmode, len = 0, size;

	cfg = bpf_map_lookup_elem(&file_cfg, &zero);
	if (!cfg || !file)
		return 0;
	if (!refused && !cfg->match_all && !file_prefilter((__u64)file))
		return 0;
	file_labels((__u64)file);

	s = scratch_get();
	if (!s)
		return 0;
	e = &s->file;
	header_fill(&e->h, EV_FILE, 0, task);
	if (oc == OC_NONE)
		e->flags = file_flags(file);
	else if (oc == OC_URING)	/* io_uring adds O_NONBLOCK for its inline try */
		e->flags = file_flags(file) & ~(__u32)04000;
	else
		e->flags = open_flags(oc, regs, file);
	fmode = BPF_CORE_READ(file, f_mode);
	e->access = (fmode & FMODE_READ ? EV_ACC_READ : 0) |
		    (fmode & FMODE_WRITE ? EV_ACC_WRITE : 0) |
		    (fmode & FMODE_CREATED ? EV_ACC_CREATE : 0);
	e->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	e->ino = BPF_CORE_READ(file, f_inode, i_ino);
	e->path_trunc = 0;
	e->rule_mask = refused;
	e->gen = refused ? gen : 0;
	e->blocked = refused != 0;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	if (path_walk(s, &file->f_path, &po) == 0) {
		len = path_copy(s, &po, e->data);
		e->path_trunc = po.trunc;
	}
	if (len > CUSTOS_PATH_MAX)
		len = CUSTOS_PATH_MAX;
	e->path_len = len;
	size = EV_FILE_FIXED + len;
	if (size > sizeof(*e))
		size = sizeof(*e);
	e->h.size = size;
	stat_inc(STAT_FILE_EMIT);
	emit(e, size);
	return 0;
}

/* Tracepoint variants: an open syscall returned ret, the new fd. */
/* nr: the syscall's number, read by the caller (each variant reads regs its own way) */
static __always_inline int on_sys_exit(struct pt_regs *regs, long nr, long ret)
{
	struct task_struct *task;
	struct file **fds;
	struct file *file = NULL;
	int oc;

	oc = open_call(nr);
	if (oc == OC_NONE)
		return 0;
	if (self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	stat_inc(STAT_FILE_SEEN);
	task = (struct task_struct *)bpf_get_current_task();
	if ((__u64)ret >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[ret]) || !file)
		return 0;
	return file_event(task, file, oc, regs, 0, 0);
}

/*
 * The user registers saved at syscall entry (task_pt_regs of the current
 * task).  bpf_task_pt_regs (5.15+) knows where they are; before it, they are
 * at the top of the 16 KiB kernel stack (x86-64 and arm64 without KASAN, no
 * stack padding before CONFIG_X86_FRED, 6.9).  A kernel thread's are zero;
 * a wrong guess only makes the syscall number unknown, and the flags then
 * come from f_flags.
 */
#define K_THREAD_SIZE 16384

static __always_inline struct pt_regs *current_user_regs(struct task_struct *task)
{
	char *stack;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	stack = BPF_CORE_READ(task, stack);
	return (struct pt_regs *)(stack + K_THREAD_SIZE) - 1;
}

/*
 * LSM and fentry variants: security_file_open(file), every open of a file
 * (not O_PATH) by anyone: the open syscalls, io_uring, exec, the kernel.  It
 * runs before the open completes, so an open refused after it (by another
 * LSM, by the filesystem) is reported too.
 */
static __always_inline int on_file_open(struct file *file, __u64 refused, __u16 gen)
{
	struct task_struct *task;
	struct pt_regs *regs;
	long nr;
	int oc;

	if (self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	stat_inc(STAT_FILE_SEEN);
	task = (struct task_struct *)bpf_get_current_task();
	regs = current_user_regs(task);
	nr = REGS_NR(regs);
	oc = open_call(nr);
	if (oc == OC_NONE && nr == NR_IO_URING_ENTER)
		oc = OC_URING;
	return file_event(task, file, oc, regs, refused, gen);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(file__btf, struct pt_regs *regs, long ret)
{
	/* every syscall of the host comes here: two compares for most */
	if (ret < 0)
		return 0;
	return on_sys_exit(regs, REGS_NR_BTF(regs), ret);
}

SEC("raw_tracepoint/sys_exit")
int file__raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	if ((long)ctx->args[1] < 0)
		return 0;
	return on_sys_exit(regs, REGS_NR(regs), (long)ctx->args[1]);
}

/*
 * The file pointer of an LSM/fentry context, as an untyped value: the
 * pre-filter is a global function that takes it as a scalar (a BTF pointer
 * may not be passed there), and every read goes through BPF_CORE_READ anyway.
 */
static __always_inline struct file *ctx_file(unsigned long long *ctx)
{
	__u64 f = 0;

	bpf_probe_read_kernel(&f, sizeof(f), ctx);
	return (struct file *)f;
}

/*
 * Refuses the open when a file block rule names it (fileguard.bpf.h), then
 * reports it once: refused (blocked = 1, whatever the pre-filter says) or
 * not.  ret (the hook's extra argument) is what an earlier BPF LSM program
 * decided: the open is then reported as before and that decision kept.
 */
SEC("lsm/file_open")
int file__lsm(unsigned long long *ctx)
{
	struct file *file = ctx_file(ctx);
	int ret = (int)ctx[1];
	__u64 refused = 0;
	__u16 gen = 0;

	if (!ret)
		refused = fileguard_decide(file, &gen, 0);
	if (refused)
		stat_inc(STAT_FILE_BLOCK);
	on_file_open(file, refused, gen);
	if (ret)
		return lsm_ret(ret);
	return refused ? -EPERM : 0;
}

SEC("fentry/security_file_open")
int file__fentry(unsigned long long *ctx)
{
	return on_file_open(ctx_file(ctx), 0, 0);
}
