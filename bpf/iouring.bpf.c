// SPDX-License-Identifier: GPL-2.0-only
/*
 * iouring.bpf.c - io_uring opens, for the backends that cannot see them.
 *
 * The tracepoint backends see file opens at the open syscalls' exit; an
 * io_uring IORING_OP_OPENAT/OPENAT2 makes no open syscall.  This hook sees
 * its submission (the io_uring:io_uring_submit_sqe tracepoint, renamed
 * io_uring_submit_req in 6.5) and sends an EV_IOURING record naming the
 * submitting process; the agent reports it against the file rules whose
 * scope holds (docs/RULES.md).  The LSM/fentry backends do not load it: their
 * file_open hook sees the open itself, with its path.
 *
 * The tracepoint's arguments changed across kernels:
 *   5.10-5.13  (ctx, u8 opcode, u64 user_data, bool, bool)
 *   5.15       (ctx, req, u8 opcode, u64 user_data, u32 flags, bool, bool)
 *   5.17-5.19  (ctx, req, u64 user_data, u8 opcode, u32 flags, bool, bool)
 *   6.0-       (struct io_kiocb *req[, bool force_nonblock])
 * so the agent reads the kernel's BTF (btf_trace_<name>) before load and
 * sets which argument holds the opcode, or the request (loader.c).
 * It also judges IORING_OP_SOCKET submissions as socket() attempts (an
 * AF_PACKET socket made without a syscall; socket_submitted).
 * Optional family: a kernel without io_uring tracepoints runs without it.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader: 1-based index of the u8 opcode argument, or of the
 * struct io_kiocb * argument; 0 when the layout has none. */
const volatile __u32 iouring_op_arg = 0;
const volatile __u32 iouring_req_arg = 0;

static __always_inline int uring_opcode(struct bpf_raw_tracepoint_args *ctx)
{
	struct io_kiocb *req = NULL;

	switch (iouring_op_arg) {
	case 1: return (__u8)ctx->args[0];
	case 2: return (__u8)ctx->args[1];
	case 3: return (__u8)ctx->args[2];
	case 4: return (__u8)ctx->args[3];
	}
	switch (iouring_req_arg) {
	case 1: req = (struct io_kiocb *)ctx->args[0]; break;
	case 2: req = (struct io_kiocb *)ctx->args[1]; break;
	}
	if (!req)
		return -1;
	return BPF_CORE_READ(req, opcode);
}

/*
 * An IORING_OP_SOCKET submitted (5.19 on): no socket() syscall makes it, so
 * the tracepoint backends' syscall-exit check never sees it; its arguments,
 * prepared before the tracepoint fires, are in the request's command area
 * (struct io_socket).  Judged as an AF_PACKET socket() attempt
 * (netpacket_attempt); needs the request, so the 6.0+ layouts.
 */
static __always_inline void socket_submitted(struct bpf_raw_tracepoint_args *ctx)
{
	struct io_kiocb *req = NULL;
	struct io_socket *sk;
	int type;

	if (!bpf_core_type_exists(struct io_socket) || !bpf_core_field_exists(struct io_kiocb, cmd))
		return;
	switch (iouring_req_arg) {
	case 1: req = (struct io_kiocb *)ctx->args[0]; break;
	case 2: req = (struct io_kiocb *)ctx->args[1]; break;
	}
	if (!req)
		return;
	sk = (struct io_socket *)((char *)req + bpf_core_field_offset(struct io_kiocb, cmd));
	type = BPF_CORE_READ(sk, type);
	if (makes_packet_socket(BPF_CORE_READ(sk, domain), type))
		netpacket_attempt(type, BPF_CORE_READ(sk, protocol));
}

static __always_inline int on_submit(struct bpf_raw_tracepoint_args *ctx)
{
	struct ev_iouring r = {};
	struct file_cfg *cfg;
	__u32 zero = 0;
	int op = uring_opcode(ctx);

	if (bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_SOCKET) &&
	    op == bpf_core_enum_value(enum io_uring_op, IORING_OP_SOCKET)) {
		socket_submitted(ctx);
		return 0;
	}
	if (op != EV_IORING_OP_OPENAT && op != EV_IORING_OP_OPENAT2)
		return 0;
	if (is_agent())
		return 0;
	cfg = bpf_map_lookup_elem(&file_cfg, &zero);
	/* no file rule the kernel could let an open through for: nothing to report */
	if (!cfg || !(cfg->match_all || cfg->any_names || cfg->suffix_lens || cfg->any_scopes ||
		      cfg->any_dirnames))
		return 0;
	header_fill(&r.h, EV_IOURING, sizeof(r), (struct task_struct *)bpf_get_current_task());
	r.opcode = (__u8)op;
	emit(&r, sizeof(r));
	return 0;
}

SEC("raw_tracepoint/io_uring_submit_sqe")
int opt_iouring__raw_sqe(struct bpf_raw_tracepoint_args *ctx)
{
	return on_submit(ctx);
}

SEC("raw_tracepoint/io_uring_submit_req")
int opt_iouring__raw_req(struct bpf_raw_tracepoint_args *ctx)
{
	return on_submit(ctx);
}
