/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uring_open - one open through io_uring (IORING_OP_OPENAT), no open syscall,
 * for the e2e tests (test_file.c); or one socket (IORING_OP_SOCKET), no
 * socket syscall (test_netsock.c).
 *
 *   uring_open [-a] [-2] PATH FLAGS
 *   uring_open [-a] -s FAMILY TYPE PROTOCOL
 * FLAGS is the open(2) flags as a number (0x.. or 0..). -a sets IOSQE_ASYNC
 * (the kernel runs the open in an io-wq worker, never inline); -2 uses
 * IORING_OP_OPENAT2 (struct open_how) instead of IORING_OP_OPENAT; -s makes
 * socket(FAMILY, TYPE, PROTOCOL) instead, each a number (a kernel before
 * 5.19 has no IORING_OP_SOCKET: its completion is EINVAL, exit 22).
 * Raw io_uring_setup / mmap / io_uring_enter, no liburing, so that it links
 * statically for the kernel-matrix guests.  Prints "uring_open: fd N" or
 * "uring_open: error E" and exits 0 when the open succeeded, else with the
 * errno (2 for a usage or setup error other than ENOSYS, which exits 38:
 * io_uring missing or disabled).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int uring_setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int uring_enter(int fd, unsigned submit, unsigned min_complete, unsigned flags)
{
	return (int)syscall(__NR_io_uring_enter, fd, submit, min_complete, flags, NULL, 0);
}

int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqes, *sqe;
	struct io_uring_cqe *cqe;
	unsigned char *sq, *cq;
	size_t sq_len, cq_len;
	unsigned tail, idx, head;
	int fd, async = 0, two = 0, sock = 0, res, argi = 1;
	struct open_how how;
	unsigned long flags;

	for (; argi < argc && argv[argi][0] == '-'; argi++) {
		if (strcmp(argv[argi], "-a") == 0)
			async = 1;
		else if (strcmp(argv[argi], "-2") == 0)
			two = 1;
		else if (strcmp(argv[argi], "-s") == 0)
			sock = 1;
		else
			break;
	}
	if (argc - argi != (sock ? 3 : 2)) {
		fprintf(stderr, "usage: uring_open [-a] [-2] PATH FLAGS\n"
				"       uring_open [-a] -s FAMILY TYPE PROTOCOL\n");
		return 2;
	}
	flags = strtoul(argv[argi + 1], NULL, 0);
	memset(&how, 0, sizeof(how));
	how.flags = flags;
	how.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? 0600 : 0;	/* openat2 refuses a stray mode */

	memset(&p, 0, sizeof(p));
	fd = uring_setup(2, &p);
	if (fd < 0) {
		res = errno;
		fprintf(stderr, "uring_open: io_uring_setup: %s\n", strerror(res));
		return res == ENOSYS || res == EPERM ? 38 : 2;
	}
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if ((p.features & IORING_FEAT_SINGLE_MMAP) && cq_len > sq_len)
		sq_len = cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return 2;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
			  IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return 2;
	}
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sqes == MAP_FAILED)
		return 2;

	tail = atomic_load_explicit((_Atomic unsigned *)(sq + p.sq_off.tail),
				    memory_order_acquire);
	idx = tail & *(unsigned *)(sq + p.sq_off.ring_mask);
	sqe = &sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	sqe->fd = AT_FDCWD;
	sqe->addr = (unsigned long)argv[argi];
	if (sock) {
		sqe->opcode = IORING_OP_SOCKET;
		sqe->fd = (int)strtol(argv[argi], NULL, 0);
		sqe->off = strtoul(argv[argi + 1], NULL, 0);
		sqe->len = (__u32)strtoul(argv[argi + 2], NULL, 0);
		sqe->addr = 0;
	} else if (two) {
		sqe->opcode = IORING_OP_OPENAT2;
		sqe->addr2 = (unsigned long)&how;
		sqe->len = sizeof(how);
	} else {
		sqe->opcode = IORING_OP_OPENAT;
		sqe->open_flags = (__u32)flags;
		sqe->len = 0600;	/* mode */
	}
	sqe->flags = async ? IOSQE_ASYNC : 0;
	((unsigned *)(sq + p.sq_off.array))[idx] = idx;
	atomic_store_explicit((_Atomic unsigned *)(sq + p.sq_off.tail), tail + 1,
			      memory_order_release);

	if (uring_enter(fd, 1, 1, IORING_ENTER_GETEVENTS) < 0) {
		res = errno;
		fprintf(stderr, "uring_open: io_uring_enter: %s\n", strerror(res));
		return 2;
	}
	head = atomic_load_explicit((_Atomic unsigned *)(cq + p.cq_off.head),
				    memory_order_acquire);
	if (head == atomic_load_explicit((_Atomic unsigned *)(cq + p.cq_off.tail),
					 memory_order_acquire)) {
		fprintf(stderr, "uring_open: no completion\n");
		return 2;
	}
	cqe = &((struct io_uring_cqe *)(cq + p.cq_off.cqes))[head &
		*(unsigned *)(cq + p.cq_off.ring_mask)];
	res = cqe->res;
	atomic_store_explicit((_Atomic unsigned *)(cq + p.cq_off.head), head + 1,
			      memory_order_release);
	if (res < 0) {
		printf("uring_open: error %d\n", -res);
		return -res;
	}
	printf("uring_open: fd %d\n", res);
	return 0;
}
