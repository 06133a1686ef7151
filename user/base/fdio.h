/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fdio.h - small I/O helpers the I/O modules share: writing a whole buffer
 * to a descriptor, making a directory with its parents, and filling a
 * caller's error buffer.
 */
#ifndef CUSTOS_FDIO_H
#define CUSTOS_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes all of p[0..n) to fd.  One write(2) in the normal case; a short
 * write (disk full, signal after some bytes) continues with the rest.
 * 0, or -errno (-EIO when write returns 0).
 */
int fd_write_all(int fd, const void *p, size_t n);

/* mkdir -p: dir and its missing parents, each with mode.  0 (also when it
 * exists) or -errno. */
int dir_make(const char *dir, mode_t mode);

/* snprintf into err[errlen]; does nothing when err is NULL or errlen 0. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
