/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_repeat_key.c - the coalescing key the kernel and the agent both
 * compute (bpf/delivery.h): the same event is the same key; another name
 * for the same inode, another access, another process, another verdict
 * are other keys, and so is the same by the program the process exec'd
 * into; a record cut short has none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "delivery.h"

static struct ev_file rec;

/* A file record of path as the ring hands it (size: fixed part + path). */
static size_t file_rec(const char *path)
{
	memset(&rec, 0, sizeof(rec));
	rec.h.type = EV_FILE;
	rec.h.abi = CUSTOS_ABI_VERSION;
	rec.h.pid = 4242;
	rec.h.start_ns = 1000;
	rec.dev = 8 << 20 | 1;
	rec.ino = 77;
	rec.access = EV_ACC_READ;
	rec.path_len = (uint16_t)strlen(path);
	memcpy(rec.data, path, rec.path_len);
	rec.h.size = EV_FILE_FIXED + rec.path_len;
	return rec.h.size;
}

static void test_file_keys(void **state)
{
	struct repeat_key a, b;
	size_t n;

	(void)state;
	n = file_rec("/root/.aws/credentials");
	assert_int_equal(repeat_key_of(&rec, n, &a), 1);
	assert_int_equal(a.win, 0);
	/* the same open again: the same key, whatever the stale bytes after it */
	n = file_rec("/root/.aws/credentials");
	rec.data[rec.path_len] = 'x';
	rec.h.tid = 4243;	/* another thread of the process */
	assert_int_equal(repeat_key_of(&rec, n, &b), 1);
	assert_memory_equal(&a, &b, sizeof(a));
	/* the inode by another name of the same length: another key */
	n = file_rec("/tmp/x.aws/credentials");
	assert_int_equal(repeat_key_of(&rec, n, &b), 1);
	assert_memory_not_equal(&a, &b, sizeof(a));
	/* another access, another process, a refusal */
	n = file_rec("/root/.aws/credentials");
	rec.access = EV_ACC_WRITE;
	assert_int_equal(repeat_key_of(&rec, n, &b), 1);
	assert_memory_not_equal(&a, &b, sizeof(a));
	n = file_rec("/root/.aws/credentials");
	rec.h.start_ns = 2000;
	assert_int_equal(repeat_key_of(&rec, n, &b), 1);
	assert_memory_not_equal(&a, &b, sizeof(a));
	n = file_rec("/root/.aws/credentials");
	rec.blocked = 1;
	assert_int_equal(repeat_key_of(&rec, n, &b), 1);
	assert_memory_not_equal(&a, &b, sizeof(a));
	/* the same process after an exec: the next program's own key */
	n = file_rec("/root/.aws/credentials");
	rec.exec_seq = 1;
	assert_int_equal(repeat_key_of(&rec, n, &b), 1);
	assert_memory_not_equal(&a, &b, sizeof(a));
	/* cut short: no key */
	n = file_rec("/root/.aws/credentials");
	assert_int_equal(repeat_key_of(&rec, n - 1, &b), 0);
	assert_int_equal(repeat_key_of(&rec, 10, &b), 0);
}

static void test_other_records(void **state)
{
	struct ev_connect c;
	struct ev_exec x;
	struct repeat_key a, b;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.h.type = EV_CONNECT;
	c.h.pid = 1;
	c.addr[0] = 127;
	c.addr[3] = 1;
	c.port = 4444;
	assert_int_equal(repeat_key_of(&c, sizeof(c), &a), 1);
	c.port = 4445;
	assert_int_equal(repeat_key_of(&c, sizeof(c), &b), 1);
	assert_memory_not_equal(&a, &b, sizeof(a));
	c.port = 4444;		/* the same connect after an exec */
	c.exec_seq = 1;
	assert_int_equal(repeat_key_of(&c, sizeof(c), &b), 1);
	assert_memory_not_equal(&a, &b, sizeof(a));
	memset(&x, 0, sizeof(x));
	x.h.type = EV_EXEC;	/* exec, fork, exit: never coalesced */
	assert_int_equal(repeat_key_of(&x, sizeof(x), &a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_keys),
		cmocka_unit_test(test_other_records),
	};

	return cmocka_run_group_tests_name("repeat_key", tests, NULL, NULL);
}
