// SPDX-License-Identifier: GPL-2.0-only
/*
 * floor.bpf.c - the reference monitor of `make bench`: a program on each
 * hook custos uses, doing the least a monitor must do there to know what
 * happened, and returning.  What custos adds beyond it is the cost of its
 * pre-filters and records; what the floor adds is the hook's own (the
 * syscall slow path under the tracepoint backends, the trampoline under
 * lsm/fentry, the cgroup hook's dispatch).
 *
 * Per hook family, the same variants as custos (bpf/, one file per family), picked by
 * tests/bench/floor.c for the backend asked:
 *   file  sys_exit (tp_btf, raw): the syscall number; for an open that
 *         returned a fd, the struct file in the fd table and its inode
 *         number.  file_open (lsm, fentry): the file's inode number.
 *   exec, fork, exit (tp_btf, raw): the task's pid.
 *   connect4/6, sendmsg4/6 (cgroup): the destination port; allow.
 *   sock_create, setsockopt (cgroup): the socket's family, the option's
 *         level; allow.
 *   socket creation (the AF_PACKET check): socket()'s family, at
 *         lsm/socket_post_create (lsm: allow) or fexit/__sock_create
 *         (fentry); under tp and raw custos checks it in its sys_exit
 *         program, which the floor's file program stands for.
 * What is read is added into a per-CPU counter, so nothing is optimized
 * away.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink SEC(".maps");

static __always_inline void keep(__u64 v)
{
	__u32 zero = 0;
	__u64 *s = bpf_map_lookup_elem(&sink, &zero);

	if (s)
		*s += v;
}

#if defined(__TARGET_ARCH_x86)
#define IS_OPEN(nr) ((nr) == 257 || (nr) == 2 || (nr) == 437 || (nr) == 85 || (nr) == 304)
#define REGS_NR(regs) BPF_CORE_READ((regs), orig_ax)
#define REGS_NR_BTF(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define IS_OPEN(nr) ((nr) == 56 || (nr) == 437 || (nr) == 265)
#define REGS_NR(regs) BPF_CORE_READ((regs), syscallno)
#define REGS_NR_BTF(regs) ((regs)->syscallno)
#endif

/* An open returned fd ret: which file it opened.  The same reads as
 * custos's (bpf/file.bpf.c, on_sys_exit), written out here on purpose: the
 * floor must not change when custos's code does. */
static __always_inline int opened(long nr, long ret)
{
	struct task_struct *task;
	struct fdtable *fdt;
	struct file **fds, *file = NULL;

	if (!IS_OPEN(nr) || ret < 0)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	fdt = BPF_CORE_READ(task, files, fdt);
	if ((__u64)ret >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[ret]) || !file)
		return 0;
	keep(BPF_CORE_READ(file, f_inode, i_ino));
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_file__btf, struct pt_regs *regs, long ret)
{
	return opened(REGS_NR_BTF(regs), ret);
}

SEC("raw_tracepoint/sys_exit")
int floor_file__raw(struct bpf_raw_tracepoint_args *ctx)
{
	return opened(REGS_NR((struct pt_regs *)ctx->args[0]), (long)ctx->args[1]);
}

SEC("lsm/file_open")
int BPF_PROG(floor_file__lsm, struct file *file, int ret)
{
	keep(BPF_CORE_READ(file, f_inode, i_ino));
	return ret;
}

SEC("fentry/security_file_open")
int BPF_PROG(floor_file__fentry, struct file *file)
{
	keep(BPF_CORE_READ(file, f_inode, i_ino));
	return 0;
}

static __always_inline int task_seen(void)
{
	keep(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(floor_exec__btf)
{
	return task_seen();
}

SEC("raw_tracepoint/sched_process_exec")
int floor_exec__raw(void *ctx)
{
	return task_seen();
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_fork__btf)
{
	return task_seen();
}

SEC("raw_tracepoint/sched_process_fork")
int floor_fork__raw(void *ctx)
{
	return task_seen();
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_exit__btf)
{
	return task_seen();
}

SEC("raw_tracepoint/sched_process_exit")
int floor_exit__raw(void *ctx)
{
	return task_seen();
}

static __always_inline int dest_seen(struct bpf_sock_addr *ctx)
{
	keep(ctx->user_port);
	return 1;
}

SEC("cgroup/connect4")
int floor_net__cg_connect4(struct bpf_sock_addr *ctx)
{
	return dest_seen(ctx);
}

SEC("cgroup/connect6")
int floor_net__cg_connect6(struct bpf_sock_addr *ctx)
{
	return dest_seen(ctx);
}

SEC("cgroup/sendmsg4")
int floor_net__cg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return dest_seen(ctx);
}

SEC("cgroup/sendmsg6")
int floor_net__cg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return dest_seen(ctx);
}

SEC("cgroup/sock_create")
int floor_net__cg_sock_create(struct bpf_sock *ctx)
{
	keep(ctx->family);
	return 1;
}

SEC("cgroup/setsockopt")
int floor_net__cg_setsockopt(struct bpf_sockopt *ctx)
{
	keep(ctx->level);
	return 1;
}

SEC("lsm/socket_post_create")
int BPF_PROG(floor_netpacket__lsm, struct socket *sock, int family, int type, int protocol,
	     int kern, int ret)
{
	keep(family);
	return ret;
}

SEC("fexit/__sock_create")
int BPF_PROG(floor_netpacket__fentry, struct net *net, int family, int type, int protocol,
	     struct socket **res, int kern, int ret)
{
	keep(family);
	return 0;
}
