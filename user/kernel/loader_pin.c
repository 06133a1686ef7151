/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader_pin.c - adopt a pinned set, or pin a fresh one in its place
 * (loader_pin.h).
 */
#include "kernel/loader_pin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <openssl/evp.h>

#include "base/log.h"
#include "custos.skel.h"

/* SHA-256 of the BPF object this binary carries: which build the programs are. */
static int object_digest(uint8_t out[32])
{
	unsigned int n = 0;
	size_t size = 0;
	const void *elf = custos_bpf__elf_bytes(&size);

	return EVP_Digest(elf, size, out, &n, EVP_sha256(), NULL) && n == 32 ? 0 : -ENOMEM;
}

/* Why the pinned set cannot be taken as it is; NULL when it can. */
static const char *not_adoptable(const struct loader *l, const struct loader_opts *o,
				 uint32_t wakeup)
{
	const struct pin_meta *m = &l->pin.meta;
	uint8_t digest[32];

	if (m->version != PIN_META_VERSION)
		return "from another version of custos (or damaged)";
	if (object_digest(digest) || memcmp(digest, m->object, sizeof(digest)))
		return "from another build of custos";
	if (!l->pin.links_ok)
		return "incomplete (links missing)";
	if (o->backend != BACKEND_AUTO && (uint32_t)o->backend != m->backend)
		return "loaded with another backend";
	if (m->ring_bytes != o->ring_bytes || m->wakeup_bytes != wakeup)
		return "loaded with another ring size";
	return NULL;
}

int loader_adopt(struct loader *l, const struct loader_opts *o, char *why, size_t whylen)
{
	uint32_t wakeup = o->wakeup_bytes < o->ring_bytes / 4 ? o->wakeup_bytes : o->ring_bytes / 4;
	const char *reason = l->pin.found ? not_adoptable(l, o, wakeup) : "none";
	char path[PIN_PATH_MAX + 64];
	struct custos_bpf *skel;
	struct bpf_program *prog;
	struct bpf_map *map;
	int rc;

	if (reason) {
		snprintf(why, whylen, "%s", reason);
		return -ESTALE;
	}
	skel = custos_bpf__open();
	if (!skel)
		return -errno;
	rc = bpf_map__set_max_entries(skel->maps.events, o->ring_bytes);
	/* sized as a fresh load would: a pinned map of another size is not reused */
	if (!rc && o->dns_table)
		rc = bpf_map__set_max_entries(skel->maps.dns_bind, o->dns_table);
	bpf_object__for_each_map(map, skel->obj) {
		if (rc || bpf_map__is_internal(map))
			continue;
		pin_map_path(&l->pin, bpf_map__name(map), path, sizeof(path));
		rc = bpf_map__set_pin_path(map, path);
	}
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, 0);
	/* loads no program: the maps are the pinned ones, the links stay */
	if (!rc)
		rc = custos_bpf__load(skel);
	if (rc) {
		snprintf(why, whylen, "not reusable (%s)", strerror(-rc));
		custos_bpf__destroy(skel);
		return -ESTALE;
	}
	l->skel = skel;
	l->adopted = 1;
	l->backend = (enum backend)l->pin.meta.backend;
	l->egress_off = (int)l->pin.meta.egress_off;
	l->ring_bytes = l->pin.meta.ring_bytes;
	l->wakeup_bytes = l->pin.meta.wakeup_bytes;
	snprintf(l->hooks, sizeof(l->hooks), "%s", l->pin.meta.hooks);
	return 0;
}

int loader_pin_attached(struct loader *l, char *err, size_t errlen)
{
	struct pin_meta meta = {
		.version = PIN_META_VERSION,
		.abi = CUSTOS_ABI_VERSION,
		.backend = (uint32_t)l->backend,
		.ring_bytes = l->ring_bytes,
		.wakeup_bytes = l->wakeup_bytes,
		.egress_off = (uint32_t)l->egress_off,
	};
	int rc;

	if (object_digest(meta.object))
		return -ENOMEM;
	snprintf(meta.hooks, sizeof(meta.hooks), "%s", l->hooks);
	if (l->pin.found) {
		/* the new links are attached: the old ones go, no window between */
		int n = pin_clear(&l->pin);

		l->replaced = 1;
		log_info("pin: detached the %d programs pinned before in %s", n, l->pin.dir);
	}
	rc = pin_save(&l->pin, l->skel->obj, l->links, l->link_names, l->n_links, &meta, err,
		      errlen);
	if (rc < 0)
		return rc;
	l->unpinned = rc;
	return 0;
}
