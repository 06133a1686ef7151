/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader_split.h - loading the programs on two threads at once.
 *
 * The kernel verifies each program as it is loaded, and on this round's
 * programs that is most of the agent's start (docs/PERFORMANCE.md, "Start to
 * ready"): the file program alone takes as long as all the others together.
 * libbpf loads one object's programs one after the other, so the split takes
 * three objects of the same skeleton:
 *
 *   maps   the skeleton the caller configured (rodata, map sizes, autoload
 *          per backend): loaded with no program, it creates every map;
 *   parts  two more objects of the same skeleton, each reusing every map of
 *          the first (internal maps included: the verifier reads the
 *          configured rodata from them), each loading one share of the
 *          programs the caller selected; the two load on two threads.
 *
 * The programs attach from the parts; the maps, the ring and the rodata are
 * the first object's, as before.  On one CPU, or when one share would be
 * empty, the caller's skeleton loads everything itself (parts: none).
 */
#ifndef CUSTOS_LOADER_SPLIT_H
#define CUSTOS_LOADER_SPLIT_H

struct custos_bpf;

enum { LOADER_PARTS = 2 };

/*
 * Loads skel and what it selected (autoload); parts[] receives the objects
 * whose programs loaded (n_parts of them, 0 when skel loaded its own, and
 * then skel's autoload flags are as the caller set them; else they are all
 * off and the parts' say what loaded).  0, or -errno with no part left.
 */
int loader_split_load(struct custos_bpf *skel, struct custos_bpf **parts, int *n_parts);

/* Destroys the parts (skel is the caller's). */
void loader_split_free(struct custos_bpf **parts, int *n_parts);

#endif
