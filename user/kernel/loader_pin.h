/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader_pin.h - the loader's pinned half (loader.h, "Pinning"): adopting a
 * set an earlier agent pinned, and pinning a freshly attached one in place
 * of it.  Called by loader.c only.
 */
#ifndef CUSTOS_LOADER_PIN_H
#define CUSTOS_LOADER_PIN_H

#include <stddef.h>

#include "kernel/loader.h"

/*
 * Takes the set pinned in l->pin when it is this build's, loaded with the
 * backend and ring sizes o asks for, every link in place: its maps become
 * the skeleton's, nothing is loaded or attached.  0 (l->adopted), or
 * -ESTALE when the set cannot be adopted (why in why), or -errno.
 */
int loader_adopt(struct loader *l, const struct loader_opts *o, char *why, size_t whylen);

/*
 * After attaching a fresh set: detaches and unpins the one pinned before
 * (if any), then pins this one (maps, links, pin_meta).  0 or -errno.
 */
int loader_pin_attached(struct loader *l, char *err, size_t errlen);

#endif
