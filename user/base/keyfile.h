/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyfile.h - reading a secret that only root may read: the chain key of
 * `custos run --chain-key` and `custos events verify --key`.
 */
#ifndef CUSTOS_KEYFILE_H
#define CUSTOS_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

enum {
	KEYFILE_MIN = 16,	/* bytes: shorter is no secret */
	KEYFILE_MAX = 4096,
};

/*
 * Reads the key file at path: its bytes, as they are, are the key.  It must
 * be a regular file owned by root (or the caller's own uid) that neither its
 * group nor others can read or write, of KEYFILE_MIN..KEYFILE_MAX bytes.
 * 0 with key[0..*len) (at most KEYFILE_MAX bytes), or -errno with err set.
 */
int keyfile_read(const char *path, uint8_t key[KEYFILE_MAX], size_t *len, char *err,
		 size_t errlen);

#endif
