/* SPDX-License-Identifier: Apache-2.0 */
/* test_mounts.c - the host's mount table (user/host/mounts.h): mountinfo
 * parsed, a file's path inside its filesystem turned into the host's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sbuf.h"
#include "host/mounts.h"

/* A host: ext4 root 8:1 at /, tmpfs 0:40 at /tmp, a bind of the root's
 * /srv/secrets at /mnt/s (root /srv/secrets), a space in a mount point. */
static const char mountinfo[] =
	"23 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
	"24 23 0:40 / /tmp rw,nosuid shared:2 - tmpfs tmpfs rw\n"
	"25 23 8:1 /srv/secrets /mnt/s rw,relatime shared:1 - ext4 /dev/vda rw\n"
	"26 23 0:41 / /mnt/with\\040space rw - tmpfs tmpfs rw\n"
	"27 24 0:40 /jail /tmp/jail/proc rw - tmpfs tmpfs rw\n"
	"garbage line\n";

static struct mounts m;

static int setup(void **state)
{
	mounts_init(&m);
	return mounts_parse(&m, mountinfo, strlen(mountinfo));
}

static int teardown(void **state)
{
	mounts_free(&m);
	return 0;
}

static void expect_host(uint64_t dev, const char *fspath, const char *want)
{
	struct sbuf out = SBUF_INIT;
	int rc = mounts_host_path(&m, dev, fspath, strlen(fspath), &out);

	if (!want) {
		assert_int_equal(rc, -ENOENT);
	} else {
		assert_int_equal(rc, 0);
		assert_string_equal(sbuf_cstr(&out), want);
	}
	sbuf_free(&out);
}

static void test_parse(void **state)
{
	assert_int_equal(m.n, 5);
	assert_int_equal(m.v[0].dev, (8u << 20) | 1);
	assert_string_equal(m.v[0].root, "/");
	assert_string_equal(m.v[0].point, "/");
	assert_string_equal(m.v[2].root, "/srv/secrets");
	assert_string_equal(m.v[2].point, "/mnt/s");
	assert_string_equal(m.v[3].point, "/mnt/with space");
}

/* The whole filesystem's mount names a file before a bind mount of a part
 * of it does; other filesystems by their own mount point. */
static void test_host_path(void **state)
{
	uint64_t root = (8u << 20) | 1, tmp = 40, other = 41;

	expect_host(root, "/srv/secrets/api.key", "/srv/secrets/api.key");
	expect_host(root, "/", "/");
	expect_host(tmp, "/custos-x/secrets/api.key", "/tmp/custos-x/secrets/api.key");
	expect_host(tmp, "", "/tmp");
	expect_host(other, "/a", "/mnt/with space/a");
	expect_host(99, "/a", NULL);
}

/* Only a mount whose root holds the path names it (whole components). */
static void test_bind_root_only(void **state)
{
	static const char bind_only[] =
		"30 1 8:2 /data/sets /srv/sets rw - ext4 /dev/vdb rw\n";
	struct mounts b;
	struct sbuf out = SBUF_INIT;

	mounts_init(&b);
	assert_int_equal(mounts_parse(&b, bind_only, strlen(bind_only)), 0);
	assert_int_equal(mounts_host_path(&b, (8u << 20) | 2, "/data/sets/x", 12, &out), 0);
	assert_string_equal(sbuf_cstr(&out), "/srv/sets/x");
	sbuf_reset(&out);
	assert_int_equal(mounts_host_path(&b, (8u << 20) | 2, "/data/setsx/y", 13, &out), -ENOENT);
	assert_int_equal(mounts_host_path(&b, (8u << 20) | 2, "/data", 5, &out), -ENOENT);
	sbuf_free(&out);
	mounts_free(&b);
}

/* The device of the deepest mount point holding a path. */
static void test_sb_dev(void **state)
{
	uint64_t dev = 0;

	assert_int_equal(mounts_sb_dev(&m, "/etc/passwd", &dev), 0);
	assert_int_equal(dev, (8u << 20) | 1);
	assert_int_equal(mounts_sb_dev(&m, "/tmp/x", &dev), 0);
	assert_int_equal(dev, 40);
	assert_int_equal(mounts_sb_dev(&m, "/tmpx/y", &dev), 0);
	assert_int_equal(dev, (8u << 20) | 1);
	assert_int_equal(mounts_sb_dev(&m, "/mnt/with space/z", &dev), 0);
	assert_int_equal(dev, 41);
}

/* The real file: this process's own mount table has its root. */
static void test_load_self(void **state)
{
	struct mounts self;
	uint64_t dev = 0;

	mounts_init(&self);
	assert_int_equal(mounts_load(&self, NULL), 0);
	assert_true(self.n > 0);
	assert_true(self.fd >= 0);
	assert_int_equal(mounts_sb_dev(&self, "/", &dev), 0);
	assert_int_equal(mounts_refresh(&self, 0), 0);	/* nothing changed */
	mounts_free(&self);
	assert_int_equal(self.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_host_path),
		cmocka_unit_test(test_bind_root_only),
		cmocka_unit_test(test_sb_dev),
		cmocka_unit_test(test_load_self),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
