/* SPDX-License-Identifier: Apache-2.0 */
/* container id extraction on a table of real cgroup path shapes */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "host/container.h"

#define ID1 "4f1b3c0de3a94a2b8f6d1e2c3b4a59687766554433221100ffeeddccbbaa9988"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
	const char *path;
	const char *id;		/* NULL: no container */
} table[] = {
	/* Docker, cgroupfs and systemd drivers */
	{ "/docker/" ID1, ID1 },
	{ "/system.slice/docker-" ID1 ".scope", ID1 },
	/* Kubernetes with containerd, cgroupfs and systemd drivers */
	{ "/kubepods/burstable/pod8e7b4c1a-2f3d-4e5f-9a8b-7c6d5e4f3a2b/" ID1, ID1 },
	{ "/kubepods/besteffort/pod8e7b4c1a-2f3d-4e5f-9a8b-7c6d5e4f3a2b/" ID1, ID1 },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8e7b4c1a_2f3d_4e5f_9a8b_"
	  "7c6d5e4f3a2b.slice/cri-containerd-" ID1 ".scope", ID1 },
	{ "/kubepods.slice/kubepods-pod1234.slice/cri-containerd-" ID2 ".scope", ID2 },
	/* CRI-O */
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podabc.slice/crio-" ID1
	  ".scope", ID1 },
	/* Podman, rootful and rootless, with the inner "container" cgroup */
	{ "/machine.slice/libpod-" ID1 ".scope", ID1 },
	{ "/machine.slice/libpod-" ID1 ".scope/container", ID1 },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID2 ".scope", ID2 },
	{ "/machine.slice/libpod-payload-" ID1, ID1 },
	/* nested: the innermost id wins */
	{ "/docker/" ID1 "/docker/" ID2, ID2 },
	/* not containers */
	{ "/", NULL },
	{ "/system.slice/vllm.service", NULL },
	{ "/user.slice/user-1000.slice/session-3.scope", NULL },
	{ "/system.slice/docker.service", NULL },
	{ "/kubepods/burstable/pod8e7b4c1a-2f3d-4e5f-9a8b-7c6d5e4f3a2b", NULL },
	{ "/docker/" "4f1b3c0de3a9", NULL },			/* short id */
	{ "/docker/" "4F1B3C0DE3A94A2B8F6D1E2C3B4A59687766554433221100FFEEDDCCBBAA9988", NULL },
	{ "/system.slice/crio-conmon-" ID1 ".scope", NULL },	/* the monitor, not the container */
	{ "", NULL },
};

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char id[CONTAINER_ID_LEN + 1] = "";
		int rc = container_id_from_cgroup(table[i].path, id, sizeof(id));

		if (table[i].id) {
			assert_int_equal(rc, 0);
			assert_string_equal(id, table[i].id);
		} else {
			assert_int_equal(rc, -ENOENT);
		}
	}
}

static void test_small_buffer_and_null(void **state)
{
	char id[10];

	assert_int_equal(container_id_from_cgroup("/docker/" ID1, id, sizeof(id)), -ENOENT);
	assert_int_equal(container_id_from_cgroup(NULL, id, sizeof(id)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_small_buffer_and_null),
	};

	return cmocka_run_group_tests_name("container", tests, NULL, NULL);
}
