/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyfile.c - a root-only secret file read whole (keyfile.h).
 */
#include "base/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fdio.h"

int keyfile_read(const char *path, uint8_t key[KEYFILE_MAX], size_t *len, char *err,
		 size_t errlen)
{
	struct stat st;
	ssize_t got;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st)) {
		rc = -errno;
		errbuf_set(err, errlen, "key file %s: cannot read: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO))) {
		errbuf_set(err, errlen, "key file %s: refusing a key that someone but root can "
			   "read or change (owner uid %u, mode %04o): chown root %s; chmod 0400 %s",
			   path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), path, path);
		rc = -EPERM;
		goto out;
	}
	got = read(fd, key, KEYFILE_MAX);
	if (got < 0) {
		rc = -errno;
		errbuf_set(err, errlen, "key file %s: cannot read: %s", path, strerror(-rc));
	} else if (got < KEYFILE_MIN || st.st_size > KEYFILE_MAX) {
		errbuf_set(err, errlen, "key file %s: a key has %d to %d bytes, this file has %lld; "
			   "make one with: head -c 32 /dev/urandom > %s", path, KEYFILE_MIN,
			   KEYFILE_MAX, (long long)st.st_size, path);
		rc = -EINVAL;
	} else {
		*len = (size_t)got;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
