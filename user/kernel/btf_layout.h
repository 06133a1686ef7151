/* SPDX-License-Identifier: Apache-2.0 */
/*
 * btf_layout.h - what the kernel's BTF says of a hook's arguments, for the
 * loader's choices (the io_uring tracepoint's, bpf/iouring.bpf.c).
 */
#ifndef CUSTOS_BTF_LAYOUT_H
#define CUSTOS_BTF_LAYOUT_H

#include <linux/types.h>

struct btf;

/*
 * Where the io_uring submit tracepoint tp keeps the opcode: *op_arg (1-based)
 * for a u8 argument, else *req_arg for a struct io_kiocb * (iouring.bpf.c).
 * -ENOENT when this kernel has no such tracepoint, -EINVAL when neither.
 */
int btf_iouring_layout(const struct btf *btf, const char *tp, __u32 *op_arg, __u32 *req_arg);

#endif
