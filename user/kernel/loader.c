/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader.c - open, configure, load, attach, poll, free (see loader.h).
 */
#include "kernel/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "base/clock.h"
#include "base/fdio.h"
#include "base/heap.h"
#include "base/log.h"
#include "base/vec.h"
#include "custos.skel.h"
#include "events.h"
#include "kernel/btf_layout.h"
#include "kernel/loader_pin.h"

enum {
	BUDGET_CHECK = 64,	/* records between two looks at the poll's deadline */
	NS_PER_MS = 1000000,
};

enum variant {
	V_NONE = 0,
	V_LSM,
	V_FENTRY,
	V_BTF,
	V_TP,
	V_RAW,
	V_CG,
	V__COUNT,
};

static const char *const variant_names[V__COUNT] = {
	[V_LSM] = "lsm", [V_FENTRY] = "fentry", [V_BTF] = "btf",
	[V_TP] = "tp", [V_RAW] = "raw", [V_CG] = "cg",
};

/* Each backend's variants, in the order it prefers them. */
static const enum variant backend_prefs[][6] = {
	[BACKEND_LSM] = { V_LSM, V_FENTRY, V_BTF, V_TP, V_RAW, V_NONE },
	[BACKEND_FENTRY] = { V_FENTRY, V_BTF, V_TP, V_RAW, V_NONE },
	[BACKEND_TRACEPOINT] = { V_BTF, V_TP, V_RAW, V_NONE },
	[BACKEND_RAW] = { V_RAW, V_TP, V_NONE },
};

const char *backend_name(enum backend b)
{
	switch (b) {
	case BACKEND_AUTO: return "auto";
	case BACKEND_LSM: return "lsm";
	case BACKEND_FENTRY: return "fentry";
	case BACKEND_TRACEPOINT: return "tracepoint";
	case BACKEND_RAW: return "raw";
	}
	return "?";
}

int backend_parse(const char *s, enum backend *out)
{
	for (int b = BACKEND_AUTO; b <= BACKEND_RAW; b++) {
		if (strcmp(s, backend_name(b)) == 0) {
			*out = b;
			return 0;
		}
	}
	return -EINVAL;
}

static int variant_offered(const struct probe *p, enum variant v)
{
	switch (v) {
	case V_LSM: return p->have_lsm;
	case V_FENTRY: return p->have_fentry;
	case V_BTF: return p->have_tp_btf;
	case V_TP: return p->tracefs[0] != '\0';
	case V_RAW: return p->have_raw_tp;
	case V_CG: return p->have_cgroup_sock && p->cgroup2[0] != '\0';
	default: return 0;
	}
}

/* Splits "family__variant_rest" into its family length and variant. */
static enum variant prog_variant(const char *name, size_t *family_len)
{
	const char *sep = strstr(name, "__");

	if (!sep)
		return V_NONE;
	*family_len = (size_t)(sep - name);
	for (int v = 1; v < V__COUNT; v++) {
		size_t n = strlen(variant_names[v]);

		if (strncmp(sep + 2, variant_names[v], n) == 0 &&
		    (sep[2 + n] == '\0' || sep[2 + n] == '_'))
			return v;
	}
	return V_NONE;
}

/* The best variant of a family that backend b prefers and the kernel offers. */
static enum variant family_choice(struct bpf_object *obj, const char *family, size_t flen,
				  enum backend b, const struct probe *p)
{
	for (int i = 0; backend_prefs[b][i] != V_NONE; i++) {
		enum variant want = backend_prefs[b][i];
		struct bpf_program *prog;

		if (!variant_offered(p, want))
			continue;
		bpf_object__for_each_program(prog, obj) {
			size_t n = 0;
			const char *name = bpf_program__name(prog);

			if (prog_variant(name, &n) == want && n == flen &&
			    strncmp(name, family, flen) == 0)
				return want;
		}
	}
	return V_NONE;
}

/* try_backend()'s what: the cgroup egress programs, the raw-socket egress
 * hooks, the "_cast" programs */
#define LOAD_CG 1
#define LOAD_NETGUARD 2
#define LOAD_CAST 4

/*
 * A program named X_cast is X with a faster way that needs the kernel's
 * bpf_rdonly_cast kfunc (file__btf_cast: the innocent open in plain loads,
 * bpf/prefilter.bpf.h).  It is loaded instead of X where the kernel has the
 * kfunc, X elsewhere; the hooks line names the one attached.
 */
#define CAST_SUFFIX "_cast"

static int is_cast_prog(const char *name)
{
	size_t n = strlen(name), k = strlen(CAST_SUFFIX);

	return n > k && strcmp(name + n - k, CAST_SUFFIX) == 0;
}

/* Has the program called name an X_cast sibling in obj? */
static int has_cast_sibling(struct bpf_object *obj, const char *name)
{
	char sib[128];

	snprintf(sib, sizeof(sib), "%s%s", name, CAST_SUFFIX);
	return bpf_object__find_program_by_name(obj, sib) != NULL;
}

/* Does the choice of X_cast (cast on) or X leave the program out? */
static int cast_left_out(struct bpf_object *obj, const char *name, int cast)
{
	return is_cast_prog(name) ? !cast : cast && has_cast_sibling(obj, name);
}

/* Sets autoload on every program for backend b; fails when a family has no
 * usable variant.  *cast: how many X_cast programs it set to load. */
static int select_programs(struct custos_bpf *skel, enum backend b, const struct probe *p,
			   int what, int *cast, char *err, size_t errlen)
{
	struct bpf_object *obj = skel->obj;
	struct bpf_program *prog;

	*cast = 0;
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		size_t flen = 0;
		enum variant v = prog_variant(name, &flen), best;
		int on;

		if (v == V_NONE)
			continue;
		if (v == V_CG) {
			bpf_program__set_autoload(prog, (what & LOAD_CG) && variant_offered(p, V_CG));
			continue;
		}
		if (strncmp(name, "opt_netguard__", 14) == 0 &&
		    !((what & LOAD_CG) && (what & LOAD_NETGUARD) && variant_offered(p, V_CG))) {
			/* the egress decision of net.bpf.c: loads with the cgroup
			 * programs or not at all */
			bpf_program__set_autoload(prog, 0);
			continue;
		}
		best = family_choice(obj, name, flen, b, p);
		if (best == V_NONE && strncmp(name, "opt_", 4) == 0) {
			bpf_program__set_autoload(prog, 0);	/* optional: left out */
			continue;
		}
		if (best == V_NONE) {
			snprintf(err, errlen, "loader: hook family '%.*s' has no variant that the "
				 "%s backend allows and this kernel offers", (int)flen, name,
				 backend_name(b));
			return -ENOTSUP;
		}
		on = v == best && !cast_left_out(obj, name, what & LOAD_CAST);
		bpf_program__set_autoload(prog, on);
		*cast += on && is_cast_prog(name);
	}
	return 0;
}

/* libbpf's messages at debug level; the verifier's log comes as one long
 * multi-line message: each line its own log line, none cut. */
__attribute__((format(printf, 2, 0)))
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *buf = NULL, *line, *save = NULL;
	int n;

	if (level == LIBBPF_DEBUG && log_max() < LOG_DEBUG)
		return 0;
	n = vasprintf(&buf, fmt, ap);
	if (n < 0)
		return n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_msg(LOG_DEBUG, "libbpf: %s", line);
	free(buf);
	return n;
}

/*
 * opt_iouring: only where the file hook is a syscall tracepoint (the lsm and
 * fentry file hooks see io_uring opens themselves), and only the program
 * whose tracepoint this kernel has (io_uring_submit_req, else
 * io_uring_submit_sqe), with its argument layout.  1 when prog is the one.
 */
static int iouring_pick(struct custos_bpf *skel, enum backend b, const struct probe *p,
			const struct btf *btf, const char *prog, __u32 *op_arg, __u32 *req_arg)
{
	static const char *const tps[] = { "io_uring_submit_req", "io_uring_submit_sqe" };
	static const char *const progs[] = { "opt_iouring__raw_req", "opt_iouring__raw_sqe" };
	enum variant file_v = family_choice(skel->obj, "file", 4, b, p);
	__u32 op = 0, req = 0;

	if (!btf || file_v == V_LSM || file_v == V_FENTRY)
		return 0;
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		int rc = btf_iouring_layout(btf, tps[i], &op, &req);

		if (rc == -ENOENT)
			continue;
		if (rc) {
			if (op_arg)	/* once, at load */
				log_warn("loader: the %s tracepoint's arguments are not a layout "
					 "custos knows: io_uring opens are not reported on this "
					 "kernel", tps[i]);
			return 0;
		}
		if (strcmp(prog, progs[i]) != 0)
			return 0;
		if (op_arg)
			*op_arg = op;
		if (req_arg)
			*req_arg = req;
		return 1;
	}
	return 0;
}

static void iouring_select(struct custos_bpf *skel, enum backend b, const struct probe *p)
{
	struct bpf_program *progs[] = { skel->progs.opt_iouring__raw_req,
					 skel->progs.opt_iouring__raw_sqe };
	struct btf *btf = btf__load_vmlinux_btf();

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		__u32 op_arg = 0, req_arg = 0;

		if (!bpf_program__autoload(progs[i]))
			continue;
		if (!iouring_pick(skel, b, p, btf, bpf_program__name(progs[i]), &op_arg, &req_arg)) {
			bpf_program__set_autoload(progs[i], 0);
			continue;
		}
		skel->rodata->iouring_op_arg = op_arg;
		skel->rodata->iouring_req_arg = req_arg;
	}
	btf__free(btf);
}

enum backend loader_auto_backend(const struct probe *p)
{
	for (enum backend b = BACKEND_LSM; b <= BACKEND_RAW; b++)
		if (variant_offered(p, backend_prefs[b][0]))
			return b;
	return BACKEND_AUTO;
}

int loader_plan(const struct probe *p, char *buf, size_t size)
{
	struct custos_bpf *skel = custos_bpf__open();
	struct btf *btf = btf__load_vmlinux_btf();
	struct bpf_program *prog;
	size_t used = 0;

	if (size)
		buf[0] = '\0';
	if (!skel) {
		btf__free(btf);
		return -errno;
	}
	for (enum backend b = BACKEND_LSM; b <= BACKEND_RAW; b++) {
		if (!variant_offered(p, backend_prefs[b][0]))
			continue;
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "%sbackend %s%s:",
					 used ? "\n" : "", backend_name(b),
					 b == loader_auto_backend(p) ? " (auto)" : "");
		bpf_object__for_each_program(prog, skel->obj) {
			const char *name = bpf_program__name(prog);
			size_t flen = 0;
			enum variant v = prog_variant(name, &flen);

			if (v == V_NONE || (v == V_CG ? !variant_offered(p, V_CG) :
					    family_choice(skel->obj, name, flen, b, p) != v))
				continue;
			if (strncmp(name, "opt_iouring__", 13) == 0 &&
			    !iouring_pick(skel, b, p, btf, name, NULL, NULL))
				continue;
			if (cast_left_out(skel->obj, name, p->have_rdonly_cast))
				continue;
			used += (size_t)snprintf(buf + used, used < size ? size - used : 0, " %s",
						 name);
		}
	}
	custos_bpf__destroy(skel);
	btf__free(btf);
	return used < size ? 0 : -ENOSPC;
}

static int try_backend_once(struct loader *l, const struct loader_opts *o, enum backend b,
			    int what, int *cast, char *err, size_t errlen)
{
	struct custos_bpf *skel;
	int rc;

	skel = custos_bpf__open();
	if (!skel) {
		rc = -errno;
		snprintf(err, errlen, "loader: opening the BPF object failed: %s", strerror(-rc));
		return rc;
	}
	skel->rodata->net_helpers = l->probe.net_helpers;
	/* a batch bigger than a quarter of the ring would leave a small ring to
	 * the poll timeout alone (and lose records at rates it could carry) */
	skel->rodata->wakeup_bytes = o->wakeup_bytes < o->ring_bytes / 4 ? o->wakeup_bytes
									   : o->ring_bytes / 4;
	l->ring_bytes = o->ring_bytes;
	l->wakeup_bytes = skel->rodata->wakeup_bytes;
	rc = bpf_map__set_max_entries(skel->maps.events, o->ring_bytes);
	if (rc) {
		snprintf(err, errlen, "loader: ring size %u is not a power-of-two multiple of "
			 "the page size: %s", o->ring_bytes, strerror(-rc));
		goto err_destroy;
	}
	if (o->dns_table && (rc = bpf_map__set_max_entries(skel->maps.dns_bind, o->dns_table))) {
		snprintf(err, errlen, "loader: %u DNS bindings: %s", o->dns_table, strerror(-rc));
		goto err_destroy;
	}
	if (l->carried && (rc = loader_carry(l, skel, err, errlen)))
		goto err_destroy;
	rc = select_programs(skel, b, &l->probe, what, cast, err, errlen);
	if (rc)
		goto err_destroy;
	iouring_select(skel, b, &l->probe);
	rc = loader_split_load(skel, l->parts, &l->n_parts);
	if (rc) {
		snprintf(err, errlen, "loader: the kernel refused the %s backend's programs: %s "
			 "(run with --log-level debug for the verifier's log)",
			 backend_name(b), strerror(-rc));
		goto err_destroy;
	}
	l->skel = skel;
	l->backend = b;
	return 0;

err_destroy:
	custos_bpf__destroy(skel);
	return rc;
}

/* try_backend_once(), with the X_cast programs where the kernel has
 * bpf_rdonly_cast; when the kernel refuses the set with one of them, once
 * more with X instead (and a warning: the innocent opens cost more). */
static int try_backend(struct loader *l, const struct loader_opts *o, enum backend b,
		       int what, char *err, size_t errlen)
{
	char first[512];
	int cast = 0, rc;

	if (l->probe.have_rdonly_cast)
		what |= LOAD_CAST;
	rc = try_backend_once(l, o, b, what, &cast, err, errlen);
	if (rc == 0 || !cast)
		return rc;
	snprintf(first, sizeof(first), "%s", err);
	rc = try_backend_once(l, o, b, what & ~LOAD_CAST, &cast, err, errlen);
	if (rc == 0)
		log_warn("loader: the %s backend loads only without its programs that use "
			 "bpf_rdonly_cast (%s); every innocent open takes the pre-filter's "
			 "long way", backend_name(b), first);
	return rc;
}

/*
 * The egress programs need more of the kernel than the tracing ones (the
 * cgroup hooks, and a verifier that takes their decision).  When a backend
 * loads only without them, exec and file monitoring still run, and the log
 * says loudly that connect rules do not.
 */
static int try_backend_degraded(struct loader *l, const struct loader_opts *o, enum backend b,
				char *err, size_t errlen)
{
	char first[512];
	int rc = try_backend(l, o, b, LOAD_CG | LOAD_NETGUARD, err, errlen);

	if (rc == 0 || !variant_offered(&l->probe, V_CG))
		return rc;
	snprintf(first, sizeof(first), "%s", err);
	/* an optional family must not take egress down with it */
	if (b == BACKEND_LSM && variant_offered(&l->probe, V_LSM) &&
	    try_backend(l, o, b, LOAD_CG, err, errlen) == 0) {
		log_warn("loader: the raw-socket egress hooks (opt_netguard__lsm) do not load on "
			 "this kernel (%s); TCP and UDP egress run, raw IP sockets are not "
			 "covered", first);
		return 0;
	}
	if (try_backend(l, o, b, 0, err, errlen) != 0) {
		snprintf(err, errlen, "%s", first);
		return rc;
	}
	l->egress_off = 1;
	log_warn("loader: the egress hooks (cgroup connect/sendmsg programs) do not load on "
		 "this kernel (%s); exec and file monitoring run, connect rules will NOT fire",
		 first);
	return 0;
}

/*
 * Every record goes through here to the caller's on_sample; past the poll's
 * deadline (looked at every BUDGET_CHECK records) -ECANCELED stops
 * libbpf's loop after this record, which it has consumed.
 */
static int sample_budgeted(void *ctx, void *data, size_t size)
{
	struct loader *l = ctx;
	int rc = l->on_sample(l->sample_ctx, data, size);

	if (rc)
		return rc;
	if ((++l->polled % BUDGET_CHECK) == 0 && clock_ns(CLOCK_MONOTONIC) >= l->poll_deadline_ns)
		return -ECANCELED;
	return 0;
}

/* This agent's own set: o's backend, else the strongest that loads. */
static int load_own(struct loader *l, const struct loader_opts *o, const char *desc, char *err,
		    size_t errlen)
{
	int rc = -ENOTSUP;

	if (o->backend != BACKEND_AUTO) {
		if (!variant_offered(&l->probe, backend_prefs[o->backend][0])) {
			snprintf(err, errlen, "loader: the %s backend is not available on this "
				 "kernel (probe: %s); leave --backend out to use the strongest "
				 "one it offers", backend_name(o->backend), desc);
			return -ENOTSUP;
		}
		return try_backend_degraded(l, o, o->backend, err, errlen);
	}
	for (enum backend b = BACKEND_LSM; b <= BACKEND_RAW; b++) {
		if (!variant_offered(&l->probe, backend_prefs[b][0]))
			continue;
		rc = try_backend_degraded(l, o, b, err, errlen);
		if (rc == 0)
			break;
		log_warn("%s; trying a weaker backend", err);
	}
	return rc;
}

/*
 * Beside a pinned set of another policy: this build's programs with its
 * backend, on its state maps (l->carried).  Where that does not load, a set
 * of their own (its counts are still reported; the ring's records are not).
 */
static int load_beside(struct loader *l, const struct loader_opts *o, const char *desc,
		       char *err, size_t errlen)
{
	struct loader_opts same = *o;
	int rc;

	same.backend = (enum backend)l->pin.meta.backend;
	rc = try_backend_degraded(l, &same, same.backend, err, errlen);
	if (rc == 0)
		return 0;
	log_warn("%s: loading a set of this agent's own instead (the records the pinned ring "
		 "holds are not read)", err);
	l->carried = 0;
	return load_own(l, o, desc, err, errlen);
}

/* loader_load up to the ring */
static int load_any(struct loader *l, const struct loader_opts *o, char *err, size_t errlen)
{
	char desc[512];
	int rc;

	memset(l, 0, sizeof(*l));
	l->cgroup_fd = -1;
	l->dns_off = o->dns_off;
	l->load_ns = clock_ns(CLOCK_MONOTONIC);
	libbpf_set_print(libbpf_log);
	probe_run(&l->probe);
	probe_describe(&l->probe, desc, sizeof(desc));
	log_info("probe: %s", desc);
	if (!l->probe.have_ringbuf) {
		snprintf(err, errlen, "loader: this kernel has no BPF ring buffer (needs 5.8 or later)");
		return -ENOTSUP;
	}
	if (o->pin_dir) {
		rc = loader_load_pinned(l, o, err, errlen);
		if (rc == 0)
			return 0;
		if (rc != -ESTALE && !o->pin_optional)
			return rc;
		if (rc != -ESTALE)	/* enforcement while the agent runs beats none */
			log_warn("%s: the programs are not pinned and stop with the agent", err);
	}
	rc = l->carried ? load_beside(l, o, desc, err, errlen) : load_own(l, o, desc, err, errlen);
	if (rc) {
		if (l->pinning)
			pin_close(&l->pin);
		l->pinning = 0;
		return rc;
	}
	return 0;
}

int loader_load(struct loader *l, const struct loader_opts *o, char *err, size_t errlen)
{
	int rc;

	heap_keep();	/* the kernel's BTF, parsed up to five times in turn */
	rc = load_any(l, o, err, errlen);
	heap_give_back();	/* before the ring: the peak is the agent's size */
	if (rc)
		return rc;
	l->on_sample = o->on_sample;
	l->sample_ctx = o->ctx;
	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.events), sample_budgeted, l, NULL);
	if (!l->rb) {
		rc = -errno;
		snprintf(err, errlen, "loader: ring buffer setup failed: %s", strerror(-rc));
		loader_free(l);
		return rc;
	}
	return 0;
}

/* l->hooks: the names of the attached programs, as l->link_names has them. */
static void hooks_write(struct loader *l)
{
	size_t used = 0;

	l->hooks[0] = '\0';
	for (size_t i = 0; i < l->n_links; i++)
		used += (size_t)snprintf(l->hooks + used, used < sizeof(l->hooks) ?
					 sizeof(l->hooks) - used : 0, "%s%s", used ? " " : "",
					 l->link_names[i]);
}

/* Attaches prog (loaded) and keeps its link; 0, or -errno with err set. */
static int attach_one(struct loader *l, struct bpf_program *prog, char *err, size_t errlen)
{
	const char *name = bpf_program__name(prog);
	struct bpf_link *link;
	size_t flen;

	if (vec_grow((void **)&l->links, l->n_links, &l->cap_links, sizeof(*l->links)) ||
	    vec_grow((void **)&l->link_names, l->n_links, &l->cap_names, sizeof(*l->link_names))) {
		snprintf(err, errlen, "loader: attaching %s failed: out of memory", name);
		return -ENOMEM;
	}
	if (prog_variant(name, &flen) == V_CG) {
		if (l->cgroup_fd < 0) {
			l->cgroup_fd = open(l->probe.cgroup2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (l->cgroup_fd < 0) {
				snprintf(err, errlen, "loader: opening the cgroup v2 root %s failed: %s",
					 l->probe.cgroup2, strerror(errno));
				return -errno;
			}
		}
		link = bpf_program__attach_cgroup(prog, l->cgroup_fd);
	} else {
		link = bpf_program__attach(prog);
	}
	if (!link && strncmp(name, "opt_", 4) == 0) {
		/* optional: the agent runs without it, and says so */
		log_warn("loader: attaching the optional %s failed (%s): running without it", name,
			 strerror(errno));
		return 0;
	}
	if (!link) {
		int rc = -errno;

		snprintf(err, errlen, "loader: attaching %s failed: %s", name, strerror(-rc));
		return rc;
	}
	l->link_names[l->n_links] = name;
	l->links[l->n_links++] = link;
	hooks_write(l);
	return 0;
}

/* Object i of those the programs loaded in, where they were verified: the
 * split parts, or skel alone; NULL past the last. */
static struct bpf_object *loaded_object(const struct loader *l, int i)
{
	if (l->n_parts)
		return i < l->n_parts ? l->parts[i]->obj : NULL;
	return i == 0 ? l->skel->obj : NULL;
}

int loader_attach(struct loader *l, char *err, size_t errlen)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int rc;

	if (l->adopted)
		return 0;	/* pinned and attached all along */
	for (int i = 0; (obj = loaded_object(l, i)) != NULL; i++) {
		bpf_object__for_each_program(prog, obj) {
			if (!bpf_program__autoload(prog) ||
			    (l->dns_off && !strcmp(bpf_program__name(prog), LOADER_DNS_PROG)))
				continue;
			rc = attach_one(l, prog, err, errlen);
			if (rc)
				return rc;
		}
	}
	if (!l->n_links) {	/* never "ready" with nothing watching */
		snprintf(err, errlen, "loader: no program attached (a bug: report it with the "
			 "output of --log-level debug)");
		return -ENOENT;
	}
	return l->pinning ? loader_pin_attached(l, err, errlen) : 0;
}

int loader_set_dns(struct loader *l, int on, char *err, size_t errlen)
{
	struct bpf_object *obj;
	struct bpf_program *prog = NULL;
	size_t i;

	if (l->pinning || l->adopted) {
		snprintf(err, errlen, "loader: the DNS program of a pinned set is chosen at its load");
		return -EOPNOTSUPP;
	}
	l->dns_off = !on;
	for (i = 0; i < l->n_links && strcmp(l->link_names[i], LOADER_DNS_PROG); i++)
		;
	if (on && i < l->n_links)
		return 0;	/* attached already */
	if (!on) {
		if (i == l->n_links)
			return 0;
		bpf_link__destroy(l->links[i]);
		memmove(&l->links[i], &l->links[i + 1], (l->n_links - i - 1) * sizeof(*l->links));
		memmove(&l->link_names[i], &l->link_names[i + 1],
			(l->n_links - i - 1) * sizeof(*l->link_names));
		l->n_links--;
		hooks_write(l);
		return 0;
	}
	for (int k = 0; !prog && (obj = loaded_object(l, k)) != NULL; k++) {
		prog = bpf_object__find_program_by_name(obj, LOADER_DNS_PROG);
		if (prog && !bpf_program__autoload(prog))
			prog = NULL;	/* not loaded in this part */
	}
	if (!prog) {	/* the cgroup programs did not load here */
		snprintf(err, errlen, "loader: %s is not loaded (egress hooks off)", LOADER_DNS_PROG);
		return -ENOENT;
	}
	return attach_one(l, prog, err, errlen);
}

int loader_hooks_have(const char *hooks, const char *prog)
{
	size_t n = strlen(prog);

	for (const char *p = hooks; (p = strstr(p, prog)) != NULL; p += n) {
		if ((p == hooks || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

int loader_attached(const struct loader *l, const char *prog)
{
	char sib[128];

	snprintf(sib, sizeof(sib), "%s%s", prog, CAST_SUFFIX);
	return loader_hooks_have(l->hooks, prog) || loader_hooks_have(l->hooks, sib);
}

/* The skipped runs of the program behind fd; 0 or -errno. */
static int prog_skipped(int fd, uint64_t *out)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*out = info.recursion_misses;
	return 0;
}

/* An adopted set: its programs through the links pinned for them. */
static int pinned_skipped_runs(const struct loader *l, loader_runs_fn fn, void *ctx)
{
	char hooks[sizeof(l->hooks)], path[PIN_PATH_MAX + sizeof(l->hooks)], *save = NULL, *h;

	snprintf(hooks, sizeof(hooks), "%s", l->hooks);
	for (h = strtok_r(hooks, " ", &save); h; h = strtok_r(NULL, " ", &save)) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		uint64_t n = 0;
		int link, prog, rc;

		pin_link_path(&l->pin, h, path, sizeof(path));
		link = bpf_obj_get(path);
		if (link < 0)
			continue;	/* not pinnable here: gone with its agent */
		memset(&info, 0, sizeof(info));
		rc = bpf_obj_get_info_by_fd(link, &info, &len) ? -errno : 0;
		close(link);
		if (rc)
			return rc;
		prog = bpf_prog_get_fd_by_id(info.prog_id);
		if (prog < 0)
			return -errno;
		rc = prog_skipped(prog, &n);
		close(prog);
		if (rc)
			return rc;
		fn(h, n, ctx);
	}
	return 0;
}

int loader_skipped_runs(const struct loader *l, loader_runs_fn fn, void *ctx)
{
	struct bpf_object *obj;
	struct bpf_program *prog;

	if (l->adopted)
		return pinned_skipped_runs(l, fn, ctx);
	for (int i = 0; (obj = loaded_object(l, i)) != NULL; i++) {
		bpf_object__for_each_program(prog, obj) {
			const char *name = bpf_program__name(prog);
			uint64_t n = 0;
			int fd = bpf_program__fd(prog), rc;

			if (fd < 0 || !loader_attached(l, name))
				continue;
			rc = prog_skipped(fd, &n);
			if (rc)
				return rc;
			fn(name, n, ctx);
		}
	}
	return 0;
}

int loader_poll(struct loader *l, int timeout_ms)
{
	uint64_t before = l->polled;
	int n;

	l->poll_deadline_ns = clock_ns(CLOCK_MONOTONIC) +
			      (uint64_t)(timeout_ms + LOADER_POLL_BUDGET_MS) * NS_PER_MS;
	l->budget_hit = 0;
	n = ring_buffer__poll(l->rb, timeout_ms);
	if (n < 0 && n != -EINTR && n != -ECANCELED)
		return n;
	/* records written with BPF_RB_NO_WAKEUP do not wake poll: always drain */
	if (n != -ECANCELED) {
		n = ring_buffer__consume(l->rb);
		if (n < 0 && n != -ECANCELED)
			return n;
	}
	l->budget_hit = n == -ECANCELED;
	return (int)(l->polled - before);
}

int loader_read_stats(struct loader *l, uint64_t *out, int n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1];

	if (ncpu <= 0)
		return ncpu;
	for (int i = 0; i < n && i < STAT__COUNT; i++) {
		__u32 key = i;

		out[i] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.stats), &key, vals))
			return -errno;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

int loader_map_fd(const struct loader *l, const char *name)
{
	struct bpf_map *m = l->skel ? bpf_object__find_map_by_name(l->skel->obj, name) : NULL;

	return m ? bpf_map__fd(m) : -ENOENT;
}

void loader_detach(struct loader *l)
{
	for (size_t i = l->n_links; i > 0; i--)
		bpf_link__destroy(l->links[i - 1]);	/* a pinned one stays attached */
	free(l->links);
	free(l->link_names);
	l->links = NULL;
	l->link_names = NULL;
	l->n_links = l->cap_links = l->cap_names = 0;
}

void loader_free(struct loader *l)
{
	loader_detach(l);
	if (l->pinning)
		pin_close(&l->pin);
	l->pinning = 0;
	ring_buffer__free(l->rb);
	l->rb = NULL;
	loader_split_free(l->parts, &l->n_parts);
	custos_bpf__destroy(l->skel);
	l->skel = NULL;
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	l->cgroup_fd = -1;
}
