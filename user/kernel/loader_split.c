/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader_split.c - the maps object, then two parts verified at once (see
 * loader_split.h).
 */
#include "kernel/loader_split.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/clock.h"
#include "base/heap.h"
#include "base/log.h"
#include "custos.skel.h"

enum { NS_PER_MS = 1000000 };

/*
 * The share a program loads in: the file programs on their own (the
 * longest to verify), every other program in the other.
 */
static int share_of(const char *name)
{
	return strncmp(name, "file__", 6) == 0 ? 0 : 1;
}

/* How many programs skel selected (autoload) in each share. */
static void count_shares(struct custos_bpf *skel, int n[LOADER_PARTS])
{
	struct bpf_program *prog;

	n[0] = n[1] = 0;
	bpf_object__for_each_program(prog, skel->obj)
		if (bpf_program__autoload(prog))
			n[share_of(bpf_program__name(prog))]++;
}

/*
 * Another object of the skeleton, to load the programs of share that skel
 * selected; NULL with errno set when it cannot be opened.
 */
static struct custos_bpf *part_open(struct custos_bpf *skel, int share)
{
	struct custos_bpf *part = custos_bpf__open();
	struct bpf_program *prog;

	if (!part)
		return NULL;
	bpf_object__for_each_program(prog, part->obj) {
		const char *name = bpf_program__name(prog);
		struct bpf_program *sel = bpf_object__find_program_by_name(skel->obj, name);

		bpf_program__set_autoload(prog, sel && bpf_program__autoload(sel) &&
					  share_of(name) == share);
	}
	return part;
}

/* Gives part every map of skel, loaded (the same maps in the same order:
 * one ELF); 0 or -errno. */
static int part_reuse_maps(struct custos_bpf *part, struct custos_bpf *skel)
{
	struct bpf_map *mine = NULL, *map;
	int rc = 0;

	bpf_object__for_each_map(map, part->obj) {
		mine = bpf_object__next_map(skel->obj, mine);
		if (!mine || strcmp(bpf_map__name(mine), bpf_map__name(map)) != 0)
			return -EINVAL;
		rc = bpf_map__reuse_fd(map, bpf_map__fd(mine));
		if (rc)
			return rc;
	}
	return 0;
}

struct part_load {
	struct custos_bpf *obj;
	int rc;
	uint64_t ms;
};

static void *part_load(void *arg)
{
	struct part_load *p = arg;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	p->rc = custos_bpf__load(p->obj);
	p->ms = (clock_ns(CLOCK_MONOTONIC) - t0) / NS_PER_MS;
	return NULL;
}

/* Does prog attach by BTF (tp_btf, fentry, lsm)?  Its target: after the '/'. */
static const char *btf_target(struct bpf_program *prog)
{
	enum bpf_prog_type type = bpf_program__type(prog);
	const char *slash = strchr(bpf_program__section_name(prog), '/');

	return slash && (type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM) ? slash + 1
										    : NULL;
}

/*
 * Has libbpf parse the kernel's BTF for part now, on the calling thread.
 * The one call that does so before a load is setting a program's attach
 * target.  That of a selected program attaching by BTF is set to the
 * target its section names, which its load would resolve the same way;
 * with none selected (the raw backend), that of an unselected tp_btf
 * program, which nothing loads: a tracepoint of the scheduler that every
 * kernel with BTF has.  The parsed copy stays with the object until its
 * load ends.
 */
static void part_btf_now(struct custos_bpf *part)
{
	struct bpf_program *prog, *pick = NULL;

	bpf_object__for_each_program(prog, part->obj) {
		if (!btf_target(prog))
			continue;
		if (bpf_program__autoload(prog)) {
			pick = prog;
			break;
		}
		if (!pick && strncmp(bpf_program__section_name(prog), "tp_btf/", 7) == 0)
			pick = prog;
	}
	if (pick && bpf_program__set_attach_target(pick, 0, btf_target(pick)))
		log_debug("loader: %s: attach target %s not found yet (%s)",
			  bpf_program__name(pick), btf_target(pick), strerror(errno));
}

/* Loads the two parts, the second on a thread of its own; 0 or -errno. */
static int parts_load(struct custos_bpf **parts)
{
	struct part_load load[LOADER_PARTS] = { { parts[0], 0, 0 }, { parts[1], 0, 0 } };
	pthread_t t;
	int rc;

	/*
	 * Each part holds a parsed copy of the kernel's BTF (~6 MiB) while it
	 * loads, and parsing takes a second copy for a moment.  Parsed here in
	 * turn, the two never take that moment at once (docs/PERFORMANCE.md,
	 * "Start to ready").
	 */
	for (int i = 0; i < LOADER_PARTS; i++)
		part_btf_now(parts[i]);
	heap_give_back();	/* a part parsing in its load does so in mmap'ed blocks */
	rc = pthread_create(&t, NULL, part_load, &load[1]);

	if (rc) {	/* no thread: one after the other */
		log_debug("loader: no second thread (%s): the programs load in turn",
			  strerror(rc));
		part_load(&load[1]);
	}
	part_load(&load[0]);
	if (!rc)
		pthread_join(t, NULL);
	log_debug("loader: the file programs verified in %llu ms, the others in %llu ms, at once",
		  (unsigned long long)load[0].ms, (unsigned long long)load[1].ms);
	return load[0].rc ? load[0].rc : load[1].rc;
}

void loader_split_free(struct custos_bpf **parts, int *n_parts)
{
	for (int i = 0; i < *n_parts; i++)
		custos_bpf__destroy(parts[i]);
	*n_parts = 0;
}

int loader_split_load(struct custos_bpf *skel, struct custos_bpf **parts, int *n_parts)
{
	struct bpf_program *prog;
	int n[LOADER_PARTS], rc = 0;

	*n_parts = 0;
	count_shares(skel, n);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || !n[0] || !n[1])
		return custos_bpf__load(skel);
	for (int i = 0; !rc && i < LOADER_PARTS; i++) {
		parts[i] = part_open(skel, i);	/* skel's selection, before it is cleared */
		if (!parts[i])
			rc = -errno;
		else
			(*n_parts)++;
	}
	if (!rc) {
		bpf_object__for_each_program(prog, skel->obj)
			bpf_program__set_autoload(prog, 0);
		rc = custos_bpf__load(skel);	/* the maps alone */
	}
	for (int i = 0; !rc && i < LOADER_PARTS; i++)
		rc = part_reuse_maps(parts[i], skel);
	if (!rc)
		rc = parts_load(parts);
	if (rc)
		loader_split_free(parts, n_parts);
	return rc;
}
