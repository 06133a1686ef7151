/* SPDX-License-Identifier: Apache-2.0 */
/*
 * family.c - what the filter families share on the I/O side (family.h):
 * the compile error, a file's identity as the kernel sees it, the map writer.
 */
#include "filters/family.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "host/fsid.h"

int filter_compile_error(int rc, struct rule_diags *diags, const char *what, char *err,
			 size_t errlen)
{
	if (diags->n)
		snprintf(err, errlen, "%s:%d:%d: error: %s", diags->v[0].file, diags->v[0].line,
			 diags->v[0].col, diags->v[0].msg);
	else
		snprintf(err, errlen, "%s: compiling failed: %s", what, strerror(-rc));
	rule_diags_free(diags);
	return rc;
}

/* --- a file's identity -------------------------------------------------------- */

uint64_t filter_kernel_dev(const char *real, dev_t st_dev)
{
	return fsid_kernel_dev(real, st_dev);
}

int filter_ident_at(const char *path, unsigned int type, struct file_ident *k)
{
	struct ident id;
	int rc = fsid_at(path, type, &id);

	if (rc == 0) {
		k->dev = id.dev;
		k->ino = id.ino;
	}
	return rc;
}

int filter_exe_fingerprint(int fd, uint64_t *size, uint64_t *head)
{
	unsigned char buf[EXE_HEAD_BYTES] = { 0 };
	struct stat st;
	size_t got = 0;
	ssize_t n;

	if (fstat(fd, &st))
		return -errno;
	while (got < sizeof(buf)) {
		n = pread(fd, buf + got, sizeof(buf) - got, (off_t)got);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*size = (uint64_t)st.st_size;
	*head = exe_head_hash(buf, *size);
	return 0;
}

/* --- the map writer ------------------------------------------------------------ */

static void clear_map(int fd, size_t key_size)
{
	char k[64], next[64];
	int more;

	if (key_size > sizeof(k))
		return;
	for (more = bpf_map_get_next_key(fd, NULL, k) == 0; more;) {
		more = bpf_map_get_next_key(fd, k, next) == 0;
		bpf_map_delete_elem(fd, k);
		memcpy(k, next, key_size);
	}
}

int filter_conf_read(int fd_conf, void *conf, size_t conf_size)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd_conf, &zero, conf) == 0)
		return 0;
	memset(conf, 0, conf_size);
	return -errno;
}

int filter_guard_write(int fd_conf, const void *conf, size_t conf_size,
		       const struct filter_table *t, size_t n_tables)
{
	return filter_guard_write_then(fd_conf, conf, conf_size, t, n_tables, NULL, NULL);
}

int filter_guard_write_then(int fd_conf, const void *conf, size_t conf_size,
			    const struct filter_table *t, size_t n_tables,
			    int (*then)(void *ctx), void *ctx)
{
	void *off = calloc(1, conf_size);
	__u32 zero = 0;
	int rc;

	if (!off)
		return -ENOMEM;
	/* off, empty, refill, on (filter_maps.h): never a half-written decision */
	rc = bpf_map_update_elem(fd_conf, &zero, off, BPF_ANY) ? -errno : 0;
	free(off);
	for (size_t i = 0; !rc && i < n_tables; i++)
		clear_map(t[i].fd, t[i].key_size);
	for (size_t i = 0; !rc && i < n_tables; i++)
		for (size_t k = 0; !rc && k < t[i].n; k++)
			rc = bpf_map_update_elem(t[i].fd, (const char *)t[i].keys + k * t[i].key_size,
						 (const char *)t[i].vals + k * t[i].val_size,
						 BPF_ANY) ? -errno : 0;
	if (!rc && then)
		rc = then(ctx);
	if (!rc)
		rc = bpf_map_update_elem(fd_conf, &zero, conf, BPF_ANY) ? -errno : 0;
	return rc;
}
