/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader_pin.c - adopt a pinned set, or pin a fresh one in its place
 * (loader_pin.h).
 */
#include "kernel/loader_pin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <openssl/evp.h>

#include "base/clock.h"
#include "base/fdio.h"
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

/* Does the pinned set read DNS answers where this agent would not, or the
 * other way round (loader_opts.dns_off)?  Never where the egress hooks did
 * not load. */
static int dns_differs(const struct loader *l, const struct loader_opts *o)
{
	return !l->pin.meta.egress_off &&
	       loader_hooks_have(l->pin.meta.hooks, LOADER_DNS_PROG) == o->dns_off;
}

int loader_adopt(struct loader *l, const struct loader_opts *o, char *why, size_t whylen)
{
	uint32_t wakeup = o->wakeup_bytes < o->ring_bytes / 4 ? o->wakeup_bytes : o->ring_bytes / 4;
	const char *reason = l->pin.found ? not_adoptable(l, o, wakeup) : "none";
	char path[PIN_PATH_MAX + 64];
	struct custos_bpf *skel;
	struct bpf_program *prog;
	struct bpf_map *map;
	int other_policy = o->policy && strcmp(l->pin.meta.policy, o->policy) != 0;
	int rc;

	if (!reason && o->policy && (o->swap || other_policy || dns_differs(l, o))) {
		/* the programs are these, their rules are not: a set of this
		 * agent's beside them, on their state, swapped in whole */
		reason = o->swap ? "to be replaced on a reload" :
			 other_policy ? "holding another policy" :
			 o->dns_off ? "reading DNS answers, which no rule needs now" :
			 "not reading DNS answers (--dns-names always)";
		l->carried = 1;
	}
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

/*
 * The pin directory: 0 when its set was adopted, -ESTALE when this agent
 * loads its own (and pins it at attach), else -errno with err set.
 */
int loader_load_pinned(struct loader *l, const struct loader_opts *o, char *err, size_t errlen)
{
	char why[128];
	int rc = pin_open(&l->pin, o->pin_dir, err, errlen);

	if (rc)
		return rc;
	l->pinning = 1;
	rc = loader_adopt(l, o, why, sizeof(why));
	if (rc == 0)
		log_info("pin: adopted the programs pinned in %s (backend %s): they stayed "
			 "attached", l->pin.dir, backend_name(l->backend));
	if (rc == 0 && l->egress_off)
		log_warn("loader: the pinned programs run without the egress hooks (cgroup "
			 "connect/sendmsg programs, which did not load on this kernel); exec and "
			 "file monitoring run, connect rules will NOT fire (egress needs 5.17 or "
			 "later)");
	else if (rc && l->pin.found)
		log_info("pin: the programs pinned in %s are %s: loading this agent's%s, then "
			 "swapping them in", l->pin.dir, why, l->carried ?
			 " on their ring, counters and per-process state" : "");
	if (rc && rc != -ESTALE) {
		pin_close(&l->pin);
		errbuf_set(err, errlen, "pin: %s: %s", l->pin.dir, strerror(-rc));
	}
	return rc;
}

/*
 * What a swap for another policy keeps of the pinned set: the ring (with the
 * records no agent read yet), the counters the gap record and the loss
 * records are computed from, the agent's heartbeat, coalescing windows and
 * per-process bulk counts, per-process classes and labels (and what the
 * label slots mean), the DNS bindings and the sockets that asked.  Every
 * other map holds rules (filled by the agent before attaching), scratch
 * space, caches of rule decisions or pin_meta (written at pinning).
 */
static const char *const carried_maps[] = {
	"events", "stats", "run_state", "repeats", "limits", "proc_class", "proc_label",
	"label_conf", "dns_bind", "dns_askers",
};

/* The map pinned as DIR/maps/name, when it has map's shape; -errno else. */
static int pinned_like(const struct loader *l, const struct bpf_map *map)
{
	char path[PIN_PATH_MAX + 64];
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd;

	pin_map_path(&l->pin, bpf_map__name(map), path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != bpf_map__type(map) ||
	    info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int loader_carry(const struct loader *l, struct custos_bpf *skel, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(carried_maps) / sizeof(carried_maps[0]); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, carried_maps[i]);
		int fd = map ? pinned_like(l, map) : -ENOENT, rc;

		if (fd == -EINVAL && strcmp(carried_maps[i], "dns_bind") == 0) {
			log_info("pin: the pinned DNS bindings are another --dns-table's size: "
				 "they are learned again");
			continue;
		}
		rc = fd < 0 ? fd : bpf_map__reuse_fd(map, fd);
		if (fd >= 0)
			close(fd);
		if (rc) {
			errbuf_set(err, errlen, "pin: taking over the pinned %s map failed: %s",
				   carried_maps[i], strerror(-rc));
			return rc;
		}
	}
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
		log_info("pin: detached the %d programs pinned before in %s, %llu ms after this "
			 "agent began loading its own (both ran from its attach to here)", n,
			 l->pin.dir, (unsigned long long)((clock_ns(CLOCK_MONOTONIC) - l->load_ns) /
							  1000000));
	}
	rc = pin_save(&l->pin, l->skel->obj, l->links, l->link_names, l->n_links, &meta, err,
		      errlen);
	if (rc < 0)
		return rc;
	l->unpinned = rc;
	return 0;
}

int loader_pin_policy(struct loader *l, const char *policy)
{
	struct pin_meta meta;
	__u32 zero = 0;
	int fd = loader_map_fd(l, "pin_meta");

	if (!l->pinning || fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, &meta))
		return -errno;
	snprintf(meta.policy, sizeof(meta.policy), "%s", policy);
	return bpf_map_update_elem(fd, &zero, &meta, BPF_ANY) ? -errno : 0;
}
