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
 * The pre-filter (prefilter.bpf.h, contract in filter_maps.h) runs before
 * anything is built: an open that no rule can match costs the fd lookup, a
 * look at its identity and name, and one cached verdict per mount above
 * it, and sends nothing.
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
#include "prefilter.bpf.h"
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
/* the renames, which move directories (prefilter.bpf.h: file_topo) */
#define NR_RENAME 82
#define NR_RENAMEAT 264
#define NR_RENAMEAT2 316
#define NR32_RENAME 38
#define NR32_RENAMEAT 302
#define NR32_RENAMEAT2 353
/* what changes the mount tree (delivery.h: path_memo) */
#define NR_MOUNT 165
#define NR_UMOUNT2 166
#define NR_PIVOT_ROOT 155
#define NR_MOVE_MOUNT 429	/* the same number in ia32 */
#define NR32_MOUNT 21
#define NR32_UMOUNT 22
#define NR32_UMOUNT2 52
#define NR32_PIVOT_ROOT 217
#define NR_SOCKET 41
#define NR32_SOCKET 359
#define NR32_SOCKETCALL 102	/* socketcall(call, args): SYS_SOCKET is call 1 */
#define SYS_SOCKET 1
#define TS_COMPAT 0x0002
#define X32_SYSCALL_BIT 0x40000000
#define REGS_NR(regs) BPF_CORE_READ((regs), orig_ax)
/* from a BTF-typed pt_regs (tp_btf): a plain load, no helper call */
#define REGS_NR_BTF(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_OPENAT 56
#define NR_OPEN_BY_HANDLE_AT 265
#define NR_OPENAT2 437
#define NR_RENAMEAT 38
#define NR_RENAMEAT2 276
#define NR_MOUNT 40
#define NR_UMOUNT2 39
#define NR_PIVOT_ROOT 41
#define NR_MOVE_MOUNT 429
#define NR_SOCKET 198
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
	OC_FROM_REGS,		/* not known yet: from the saved registers, when needed */
};

#define NR_IO_URING_ENTER 426	/* the same number on every architecture */

#define OC_COMPAT 0x10		/* an ia32 task: arguments in ebx, ecx, edx */

/*
 * The current task, as a BTF pointer where the program may walk one
 * (tp_btf, and the kernel has bpf_get_current_task_btf: 5.11 on): plain
 * loads, no helper call per field.  NULL: read with BPF_CORE_READ.
 */
static __always_inline struct task_struct *task_btf(int btf)
{
	if (btf && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		return bpf_get_current_task_btf();
	return NULL;
}

#if defined(__TARGET_ARCH_x86)
/* Is the current task in an ia32 syscall (int 0x80, or an ia32 program)? */
static __always_inline int task_compat(int btf)
{
	struct task_struct *t = task_btf(btf);

	if (t)
		return (t->thread_info.status & TS_COMPAT) != 0;
	t = (struct task_struct *)bpf_get_current_task();
	return (BPF_CORE_READ(t, thread_info.status) & TS_COMPAT) != 0;
}
#endif

/* Which open syscall nr is, if any (OC_*, | OC_COMPAT for ia32 tasks);
 * btf: the caller may walk BTF pointers (task_btf). */
static __always_inline int open_call(long nr, int btf)
{
#if defined(__TARGET_ARCH_x86)
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
	if (task_compat(btf))
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

#if defined(__TARGET_ARCH_x86)
/* native or compat, whichever the task's ABI (ia32 or not) names: the same
 * number is another syscall in the other. */
static __always_inline int of_task_abi(int native, int compat, int btf)
{
	if (!native && !compat)
		return 0;
	return task_compat(btf) ? compat : native;
}
#endif

/*
 * Is nr a rename of the task's own ABI?  The ia32 numbers name common
 * native syscalls (38 setitimer, 302 prlimit64, which every process that
 * asks its limits makes): taken for renames, they made every cached
 * verdict of the host be walked again several times a second.
 */
static __always_inline int is_rename(long nr, int btf)
{
#if defined(__TARGET_ARCH_x86)
	int native, compat;

	nr &= ~(long)X32_SYSCALL_BIT;
	native = nr == NR_RENAME || nr == NR_RENAMEAT || nr == NR_RENAMEAT2;
	compat = nr == NR32_RENAME || nr == NR32_RENAMEAT || nr == NR32_RENAMEAT2;
	return of_task_abi(native, compat, btf);
#else
	return nr == NR_RENAMEAT || nr == NR_RENAMEAT2;
#endif
}

/*
 * Is nr a syscall of the task's own ABI that changes the mount tree
 * (mount, with MS_MOVE too; umount; move_mount; pivot_root)?  open_tree and
 * fsmount make detached mounts, which only move_mount attaches.
 */
static __always_inline int is_mount_change(long nr, int btf)
{
#if defined(__TARGET_ARCH_x86)
	int native, compat;

	nr &= ~(long)X32_SYSCALL_BIT;
	native = nr == NR_MOUNT || nr == NR_UMOUNT2 || nr == NR_PIVOT_ROOT ||
		 nr == NR_MOVE_MOUNT;
	compat = nr == NR32_MOUNT || nr == NR32_UMOUNT || nr == NR32_UMOUNT2 ||
		 nr == NR32_PIVOT_ROOT || nr == NR_MOVE_MOUNT;
	return of_task_abi(native, compat, btf);
#else
	return nr == NR_MOUNT || nr == NR_UMOUNT2 || nr == NR_PIVOT_ROOT || nr == NR_MOVE_MOUNT;
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
 * held (and not expired) keeps the time it was first set.  by_dir: the
 * pre-filter's PREFILTER_BY_DIR.  A global function (the file as a
 * scalar), checked once by the verifier.
 */
__noinline int file_labels(__u64 filep, int by_dir)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct file *file = (struct file *)filep;
	struct proc_label *p;
	struct scratch *s;
	__u64 want, now, start;
	__u16 gen;

	want = fileguard_labels(fileguard_decide(file, &gen, 1, by_dir));
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
		s = scratch_at(scratch_claim());
		if (!s) {
			stat_inc(STAT_PROC_FULL);
			return 0;
		}
		p = (struct proc_label *)s->walk;
		__builtin_memset(p, 0, sizeof(*p));
		p->start_ns = start;
		if (bpf_map_update_elem(&proc_label, &tgid, p, BPF_ANY)) {
			scratch_release(s);
			stat_inc(STAT_PROC_FULL);
			return 0;
		}
		scratch_release(s);
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
 * The paths of the record (events.h, EV_FILE): the walk up to the top of
 * the mount tree with the process's view and the file's mount marked in
 * it, and, when the walk did not end at the root of the agent's mount
 * namespace, where the file's mount root lies in its filesystem.  The
 * record's size.
 */
static __always_inline __u32 file_paths(struct scratch *s, struct ev_file *e, struct file *file,
					__u32 host_mntns)
{
	struct path_out po = {};
	__u32 len = 0, flen = 0, size;

	e->path_trunc = 0;
	e->view = 0;
	e->task_off = e->mnt_off = 0;
	e->fsroot_len = 0;
	if (path_walk_ns(s, &file->f_path, &po, host_mntns) == 0) {
		len = path_copy_all(s, &po, e->data);
		e->path_trunc = po.trunc;
		e->view = po.view;
		e->task_off = (__u16)(po.task_pos - po.pos);
		e->mnt_off = (__u16)(po.mnt_pos - po.pos);
	}
	if (len > CUSTOS_PATH_MAX)
		len = CUSTOS_PATH_MAX;
	e->path_len = len;
	if (len && !po.trunc && !(po.view & (EV_VIEW_HOST | EV_VIEW_DISCONNECTED)))
		flen = path_fsroot(s, (__u64)BPF_CORE_READ(file, f_path.mnt));
	if (flen >= CUSTOS_PATH_MAX)
		flen = 0;
	/* the compiler knows flen < CUSTOS_PATH_MAX; the verifier must see it */
	asm volatile("%0 &= 4095" : "+r"(flen));
	if (flen) {
		bpf_probe_read_kernel(&e->data[len], flen,
				      &s->walk[(2 * CUSTOS_PATH_MAX - flen) & (2 * CUSTOS_PATH_MAX - 1)]);
		e->fsroot_len = flen;
	}
	size = EV_FILE_FIXED + len + flen;
	return size > sizeof(*e) ? sizeof(*e) : size;
}

/*
 * The open's flags as its caller passed them: oc/regs as file_event()'s
 * (OC_FROM_REGS: read from the registers the task saved at syscall entry).
 */
static __always_inline __u32 caller_flags(struct task_struct *task, struct file *file, int oc,
					  struct pt_regs *regs)
{
	if (oc == OC_FROM_REGS) {
		long nr;

		regs = current_user_regs(task);
		nr = REGS_NR(regs);
		oc = open_call(nr, 0);
		if (oc == OC_NONE && nr == NR_IO_URING_ENTER)
			oc = OC_URING;
	}
	if (oc == OC_NONE)
		return file_flags(file);
	if (oc == OC_URING)	/* io_uring adds O_NONBLOCK for its inline try */
		return file_flags(file) & ~(__u32)04000;
	return open_flags(oc, regs, file);
}

/* EV_ACC_* of an open's f_mode. */
static __always_inline __u8 access_of(__u32 fmode)
{
	return (fmode & FMODE_READ ? EV_ACC_READ : 0) | (fmode & FMODE_WRITE ? EV_ACC_WRITE : 0) |
	       (fmode & FMODE_CREATED ? EV_ACC_CREATE : 0);
}

enum { MEMO_OFF, MEMO_CORE, MEMO_BTF };	/* file_event(): how paths are remembered */

/* The key of file's path in path_memo (delivery.h); -1 when it cannot be read. */
static __always_inline int memo_key_of(struct file *file, __u64 gens, struct path_memo_key *k)
{
	struct path fp = {};
	struct dent e;

	BPF_CORE_READ_INTO(&fp, file, f_path);
	if (!fp.dentry || !fp.mnt)
		return -1;
	dent_read(fp.dentry, &e);
	if (!e.parent)
		return -1;
	k->dentry = (__u64)fp.dentry;
	k->mnt = (__u64)fp.mnt;
	k->parent = e.parent;
	k->hash_len = e.hash_len;
	k->inode = e.inode;
	k->f_inode = (__u64)BPF_CORE_READ(file, f_inode);
	k->topo = (__u32)(gens >> 32);
	k->mounts = (__u32)gens;
	return 0;
}

/* Remembers the path just sent for file (its hash) and the file's identity,
 * walked under gens (file_gens() read before the walk: a change during it
 * makes a miss). */
__noinline int path_memo_put(__u64 filep, __u64 hash, __u64 dev, __u64 ino, __u64 gens)
{
	struct path_memo_val v = { .hash = hash, .dev = dev, .ino = ino };
	struct path_memo_key k = {};

	if (filep && !memo_key_of((struct file *)filep, gens, &k))
		bpf_map_update_elem(&path_memo, &k, &v, BPF_ANY);
	return 0;
}

/*
 * Coalescing before the record is built (delivery.h, 1): 1 when this open
 * of file (the caller's flags in the low 32 bits of flags_access, EV_ACC_*
 * above; no guard refused it) by the current process (start_ns, exec_seq
 * below EXEC_SEQ_MAX) was counted in the window that its key's first record
 * opened, its path's hash and identity taken from path_memo; 0 when its
 * record is to be built: the path is not remembered, no window is open, or
 * there is no coalescing.  It only counts, never opens a window: the
 * record that opens one is built and goes through emit()'s own check.  The
 * key is repeat_key_file()'s.
 */
__noinline int file_repeat_counted(__u64 filep, __u64 flags_access, __u64 gens, __u64 start_ns,
				   __u32 exec_seq)
{
	struct agent_conf *conf = agent_conf_get();
	struct path_memo_key mk = {};
	struct path_memo_val *m;
	struct repeat_key k;
	struct repeat_val *v;
	__u64 ts;

	if (!conf || !conf->repeat_ns || !filep || memo_key_of((struct file *)filep, gens, &mk))
		return 0;
	m = bpf_map_lookup_elem(&path_memo, &mk);
	if (!m)
		return 0;
	/* no guard refused it: no rule slots, no verdict */
	repeat_key_file_of(&k, start_ns, bpf_get_current_pid_tgid() >> 32, m->dev, m->ino, m->hash,
			   (__u32)flags_access, (__u8)(flags_access >> 32), (__u8)exec_seq);
	ts = bpf_ktime_get_boot_ns();
	k.win = (__u32)(ts / conf->repeat_ns);
	v = bpf_map_lookup_elem(&repeats, &k);
	if (!v)
		return 0;
	repeat_count(v, ts);
	stat_inc(STAT_FILE_EMIT);
	stat_inc(STAT_REPEAT_FILE);
	stat_inc(STAT_REPEAT_UNBUILT);
	return 1;
}

/*
 * The current process's start time and exec_seq (task_start_ns,
 * task_exec_seq) in plain loads where the program may walk BTF pointers.
 */
static __always_inline void task_ids(struct task_struct *task, int btf, __u64 *start_ns,
				     __u8 *exec_seq)
{
	struct task_struct *bt = task_btf(btf);

	if (!bt || !bpf_core_field_exists(bt->start_boottime)) {
		*start_ns = task_start_ns(task);
		*exec_seq = (__u8)exec_seq_of((__u64)task);
		return;
	}
	*start_ns = bt->group_leader->start_boottime;
	*exec_seq = exec_seq_clamp(bt->self_exec_id - bt->parent_exec_id);
}

/*
 * One open, after the caller's cheap checks: the pre-filter, then the record.
 * oc/regs: the open syscall that made it (its arguments give the caller's
 * flags), or OC_NONE/OC_URING when there is none (file_flags()), or
 * OC_FROM_REGS: read from the registers the task saved at syscall entry,
 * only for an open that is sent (the LSM and fentry variants).
 * refused: the file guard's rule slots that refused it (file__lsm only): the
 * record is then sent whatever the pre-filter says, with blocked = 1.
 * memo: the variant's program sees every change of the mount tree and of
 * the dentry tree (the tracepoint variants: MEMO_CORE, MEMO_BTF where it
 * may walk BTF pointers): a repeat is counted from the path remembered
 * (delivery.h, 1) before anything is built.  MEMO_OFF: nothing remembered.
 */
static __always_inline int file_event(struct task_struct *task, struct file *file, int oc,
				      struct pt_regs *regs, __u64 refused, __u16 gen,
				      const int memo)
{
	struct file_cfg *cfg;
	struct scratch *s;
	struct ev_file *e;
	struct inode *inode;
	__u32 zero = 0, fmode, size, flags;
	__u64 gens = 0, start_ns;
	__u8 access, exec_seq;
	int watch;

	cfg = bpf_map_lookup_elem(&file_cfg, &zero);
	if (!cfg || !file)
		return 0;
	watch = file_prefilter((__u64)file);
	if (!watch && !refused)
		return 0;
	file_labels((__u64)file, watch & PREFILTER_BY_DIR);
	watch &= ~PREFILTER_BY_DIR;

	if (memo && !refused) {
		fmode = BPF_CORE_READ(file, f_mode);
		flags = caller_flags(task, file, oc, regs);
		access = access_of(fmode);
		gens = file_gens();
		task_ids(task, memo == MEMO_BTF, &start_ns, &exec_seq);
		/* a creation may add the file's identity: always built */
		if (!(fmode & FMODE_CREATED) && exec_seq < EXEC_SEQ_MAX &&
		    file_repeat_counted((__u64)file, flags | (__u64)access << 32, gens, start_ns,
					exec_seq))
			return 0;
	}

	s = scratch_at(scratch_claim());
	if (!s) {
		count_unbuilt(EV_FILE);
		return 0;
	}
	e = &s->file;
	header_fill(&e->h, EV_FILE, 0, task);
	if (!memo || refused) {	/* here, not above: 5.10 counts file__lsm's stack */
		e->flags = caller_flags(task, file, oc, regs);
		fmode = BPF_CORE_READ(file, f_mode);
		e->access = access_of(fmode);
	} else {
		e->flags = flags;
		e->access = access;
	}
	inode = BPF_CORE_READ(file, f_inode);
	e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	e->ino = BPF_CORE_READ(inode, i_ino);
	e->i_gen = BPF_CORE_READ(inode, i_generation);
	if ((watch & EV_WATCH_SCOPE) && (fmode & FMODE_CREATED))
		watch |= file_watch_add(e->dev, e->ino, e->i_gen);
	e->watch = (__u8)watch;
	e->exec_seq = 0;	/* emit_scratch_file() fills it */
	e->rule_mask = refused;
	e->gen = refused ? gen : 0;
	e->blocked = refused != 0;
	size = file_paths(s, e, file, cfg->host_mntns);
	e->h.size = size;
	if (memo && !refused && e->path_len && !e->path_trunc &&
	    !(e->view & EV_VIEW_DISCONNECTED))
		path_memo_put((__u64)file, scratch_path_hash(e->path_len, s->slot), e->dev, e->ino,
			      gens);
	stat_inc(STAT_FILE_EMIT);
	emit_scratch_file(size, s->slot);
	scratch_release(s);
	return 0;
}

/*
 * socket(family, type, protocol), native or ia32 (socket, or socketcall's
 * SYS_SOCKET with its arguments in the caller's memory), returned: its
 * attempt is judged as opt_netpacket's (netsock.bpf.c, netpacket_attempt)
 * whatever it returned.  At the exit, not at sys_enter_socket, whose probe
 * ran at every syscall's entry on the host (~20 ns each) and which the
 * kernel does not fire for ia32 syscalls.  The saved registers still hold
 * the arguments (the syscall's exit writes only the return value).
 */
/* A saved register: a plain load from a BTF-typed pt_regs (tp_btf), else read. */
#define REGS_ARG(regs, field, btf) ((btf) ? (regs)->field : BPF_CORE_READ((regs), field))

static __always_inline void socket_exit(struct pt_regs *regs, long nr, int btf)
{
	__u32 args[3];

#if defined(__TARGET_ARCH_x86)
	if ((nr & ~(long)X32_SYSCALL_BIT) == NR_SOCKET) {
		if (task_compat(btf))
			return;		/* ia32 41 is dup */
		args[0] = REGS_ARG(regs, di, btf);
		args[1] = REGS_ARG(regs, si, btf);
		args[2] = REGS_ARG(regs, dx, btf);
	} else if (nr == NR32_SOCKET || nr == NR32_SOCKETCALL) {
		if (!task_compat(btf))
			return;		/* native 102 is getuid */
		args[0] = REGS_ARG(regs, bx, btf);
		args[1] = REGS_ARG(regs, cx, btf);
		args[2] = REGS_ARG(regs, dx, btf);
		/* socketcall(call, args): three 32-bit words at the ia32
		 * address in ecx; one the kernel could not read made the call
		 * fail before it made a socket */
		if (nr == NR32_SOCKETCALL &&
		    (args[0] != SYS_SOCKET ||
		     bpf_probe_read_user(args, sizeof(args), (const void *)(unsigned long)args[1])))
			return;
	} else {
		return;
	}
#else
	if (nr != NR_SOCKET)
		return;
	/* x0 holds the return value by now: the first argument is orig_x0 */
	args[0] = REGS_ARG(regs, orig_x0, btf);
	args[1] = REGS_ARG(regs, regs[1], btf);
	args[2] = REGS_ARG(regs, regs[2], btf);
#endif
	if (makes_packet_socket((int)args[0], (int)args[1]))
		netpacket_attempt((int)args[1], (int)args[2]);
}

/* Tracepoint variants: an open syscall returned ret, the new fd. */
/* nr: the syscall's number, read by the caller (each variant reads regs its own way) */
/* btf: the variant may walk BTF pointers (task_btf); BTF_CAST: and may
 * decide an innocent open in plain loads (file_fast_innocent) */
#define BTF_CAST 2
static __always_inline int on_sys_exit(struct pt_regs *regs, long nr, long ret, int btf)
{
	struct task_struct *task, *bt;
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;
	int oc;

	if (ret < 0) {
		socket_exit(regs, nr, btf);	/* the attempt counts */
		return 0;
	}
	oc = open_call(nr, btf);
	if (oc == OC_NONE) {
		if (is_rename(nr, btf))	/* ret >= 0: it moved something */
			file_topo_bump();
		else if (is_mount_change(nr, btf))
			file_mounts_bump();
		else
			socket_exit(regs, nr, btf);
		return 0;
	}
	if (is_agent())
		return 0;
	stat_inc(STAT_FILE_SEEN);
	task = (struct task_struct *)bpf_get_current_task();
	bt = task_btf(btf);
	if (bt) {	/* the fd table in plain loads; the slot itself is read */
		fdt = bt->files->fdt;
		if ((__u64)ret >= fdt->max_fds)
			return 0;
		fds = fdt->fd;
	} else {
		fdt = BPF_CORE_READ(task, files, fdt);
		if ((__u64)ret >= BPF_CORE_READ(fdt, max_fds))
			return 0;
		fds = BPF_CORE_READ(fdt, fd);
	}
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[ret]) || !file)
		return 0;
	if (btf == BTF_CAST && file_fast_innocent((__u64)file))
		return 0;
	return file_event(task, file, oc, regs, 0, 0, btf ? MEMO_BTF : MEMO_CORE);
}

/*
 * LSM and fentry variants: security_file_open(file), every open of a file
 * (not O_PATH) by anyone: the open syscalls, io_uring, exec, the kernel.  It
 * runs before the open completes, so an open refused after it (by another
 * LSM, by the filesystem) is reported too.
 */
static __always_inline int on_file_open(struct file *file, __u64 refused, __u16 gen)
{
	if (is_agent())
		return 0;
	stat_inc(STAT_FILE_SEEN);
	return file_event((struct task_struct *)bpf_get_current_task(), file, OC_FROM_REGS, NULL,
			  refused, gen, MEMO_OFF);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(file__btf, struct pt_regs *regs, long ret)
{
	/* every syscall of the host comes here: a few compares for most */
	return on_sys_exit(regs, REGS_NR_BTF(regs), ret, 1);
}

/* file__btf with the innocent open's short way (file_fast_innocent): the
 * loader takes it instead where the kernel has bpf_rdonly_cast. */
SEC("tp_btf/sys_exit")
int BPF_PROG(file__btf_cast, struct pt_regs *regs, long ret)
{
	return on_sys_exit(regs, REGS_NR_BTF(regs), ret, BTF_CAST);
}

SEC("raw_tracepoint/sys_exit")
int file__raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	return on_sys_exit(regs, REGS_NR(regs), (long)ctx->args[1], 0);
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
		refused = fileguard_decide(file, &gen, 0, 0);
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

#define K_S_IFMT 00170000
#define K_S_IFDIR 0040000
#define K_RENAME_EXCHANGE 2	/* include/uapi/linux/fs.h */

/* Is d a directory's dentry, or one whose inode is not known (taken for
 * one: a stray bump costs walks, a missed one a stale verdict)? */
static __always_inline int dentry_dir_or_unknown(struct dentry *d)
{
	struct inode *i = d ? BPF_CORE_READ(d, d_inode) : NULL;

	return !i || (BPF_CORE_READ(i, i_mode) & K_S_IFMT) == K_S_IFDIR;
}

/*
 * Under lsm/fentry no program sees the rename syscalls: the directory
 * verdicts' generation is bumped when vfs_rename returns (every rename of
 * every filesystem, the syscalls' and the kernel's) having moved a
 * directory: the moved dentry, or with RENAME_EXCHANGE either of the two.
 * A file's rename changes only its own dentry's parent and name, which its
 * verdict's tag holds: it needs no bump, and an atomic save (write a
 * temporary, rename it over) no longer makes the host's verdicts be walked
 * again.  The tracepoint variants cannot tell a directory at the syscall's
 * exit and bump at every rename.  A stray bump (a failed rename) only
 * makes the verdicts be walked again.  Optional: where it does not attach
 * the agent leaves the verdict cache off (file_cfg).
 */
SEC("fexit/vfs_rename")
int opt_filetopo__fentry(unsigned long long *ctx)
{
	struct dentry *moved, *other;
	unsigned int flags;

	if (bpf_core_type_exists(struct renamedata)) {	/* 5.12 on: vfs_rename(rd) */
		struct renamedata *rd = (struct renamedata *)ctx[0];

		moved = BPF_CORE_READ(rd, old_dentry);
		other = BPF_CORE_READ(rd, new_dentry);
		flags = BPF_CORE_READ(rd, flags);
	} else {	/* (old_dir, old_dentry, new_dir, new_dentry, delegated, flags) */
		moved = (struct dentry *)ctx[1];
		other = (struct dentry *)ctx[3];
		flags = (unsigned int)ctx[5];
	}
	if (dentry_dir_or_unknown(moved) ||
	    ((flags & K_RENAME_EXCHANGE) && dentry_dir_or_unknown(other)))
		file_topo_bump();
	return 0;
}
