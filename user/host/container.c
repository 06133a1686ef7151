/* SPDX-License-Identifier: Apache-2.0 */
#include "host/container.h"

#include <errno.h>
#include <string.h>

static int is_id(const char *p, size_t n)
{
	if (n != CONTAINER_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

/* The id inside one path component, or NULL. */
static const char *component_id(const char *c, size_t n)
{
	static const char *const prefixes[] = {
		"docker-", "cri-containerd-", "crio-", "libpod-payload-", "libpod-",
		"containerd-", "",
	};
	static const char scope[] = ".scope";
	size_t sl = sizeof(scope) - 1;

	if (n > sl && memcmp(c + n - sl, scope, sl) == 0)
		n -= sl;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if (n >= pl && memcmp(c, prefixes[i], pl) == 0 && is_id(c + pl, n - pl))
			return c + pl;
	}
	return NULL;
}

int container_id_from_cgroup(const char *path, char *out, size_t size)
{
	const char *found = NULL, *p = path;

	if (!path || size < CONTAINER_ID_LEN + 1)
		return -ENOENT;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *id = n ? component_id(p, n) : NULL;

		if (id)
			found = id;
		p += n;
		if (*p == '/')
			p++;
	}
	if (!found)
		return -ENOENT;
	memcpy(out, found, CONTAINER_ID_LEN);
	out[CONTAINER_ID_LEN] = '\0';
	return 0;
}
