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

struct custos_bpf;

/*
 * Takes the set pinned in l->pin when it is this build's, loaded with the
 * backend, ring sizes and policy o asks for, every link in place: its maps
 * become the skeleton's, nothing is loaded or attached.  0 (l->adopted), or
 * -ESTALE when the set cannot be adopted (why in why; l->carried set when
 * the policy alone differs), or -errno.
 */
int loader_adopt(struct loader *l, const struct loader_opts *o, char *why, size_t whylen);

/*
 * Opens the pin directory and adopts its set: 0 when adopted, -ESTALE when
 * this agent loads its own (and pins it at attach), else -errno with err set.
 */
int loader_load_pinned(struct loader *l, const struct loader_opts *o, char *err, size_t errlen);

/*
 * l->carried: before skel (opened, sized) is loaded, makes the pinned set's
 * state maps its own (loader_pin.c, carried_maps): the ring with the records
 * it holds, the counters, coalescing windows, per-process classes and
 * labels, DNS bindings.  The rule maps stay the new set's, to be filled
 * completely before it is attached.  0 or -errno with err set.
 */
int loader_carry(const struct loader *l, struct custos_bpf *skel, char *err, size_t errlen);

/*
 * After attaching a fresh set: detaches and unpins the one pinned before
 * (if any), then pins this one (maps, links, pin_meta).  0 or -errno.
 */
int loader_pin_attached(struct loader *l, char *err, size_t errlen);

#endif
