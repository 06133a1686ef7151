/* SPDX-License-Identifier: Apache-2.0 */
/*
 * btf_layout.c - what the kernel's BTF says of a hook's arguments (see
 * btf_layout.h).
 */
#include "kernel/btf_layout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

/* A BTF type id with typedefs and qualifiers skipped. */
static const struct btf_type *btf_skip(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/*
 * Where the io_uring submit tracepoint tp keeps the opcode: *op_arg (1-based)
 * for a u8 argument, else *req_arg for a struct io_kiocb * (iouring.bpf.c).
 * -ENOENT when this kernel has no such tracepoint.
 */
int btf_iouring_layout(const struct btf *btf, const char *tp, __u32 *op_arg, __u32 *req_arg)
{
	const struct btf_type *t, *pt;
	const struct btf_param *pa;
	char name[96];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -ENOENT;
	t = btf_skip(btf, (__u32)id);
	if (!t || !btf_is_ptr(t) || !(t = btf__type_by_id(btf, t->type)) || !btf_is_func_proto(t))
		return -EINVAL;
	pa = btf_params(t);
	/* parameter 0 is the tracepoint's void *__data */
	for (int i = 1; i < btf_vlen(t) && i <= 4; i++) {
		pt = btf_skip(btf, pa[i].type);
		if (pt && btf_is_int(pt) && pt->size == 1 && !(btf_int_encoding(pt) & BTF_INT_BOOL)) {
			*op_arg = (__u32)i;
			return 0;
		}
	}
	for (int i = 1; i < btf_vlen(t) && i <= 2; i++) {
		pt = btf_skip(btf, pa[i].type);
		if (pt && btf_is_ptr(pt) && (pt = btf_skip(btf, pt->type)) && btf_is_struct(pt) &&
		    strcmp(btf__name_by_offset(btf, pt->name_off), "io_kiocb") == 0) {
			*req_arg = (__u32)i;
			return 0;
		}
	}
	return -EINVAL;
}
