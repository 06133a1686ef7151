/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.c - connect rules -> the egress decision maps (filter_maps.h).
 *
 * filter_net_compile() is pure; filter_net_apply() resolves `unless: exe`
 * paths with stat() and writes the maps; filter_net_check() is the compile
 * with no maps, for `custos rules check`.
 */
#include "filters/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/vec.h"
#include "custos.skel.h"
#include "filters/dns.h"
#include "host/fsid.h"
#include "rules/glob.h"

/* --- pure compiler ----------------------------------------------------------- */

int filter_net_exe_kernel(const char *glob)
{
	return rules_glob_resolvable(glob);
}

/* The first field of c the kernel cannot evaluate, or F__COUNT. */
static enum rule_field kernel_blind(const struct cond *c, int is_unless)
{
	for (int f = 0; f < F__COUNT; f++) {
		if (!c->f[f].present || f == F_DEST || f == F_PROTO || f == F_LABELS)
			continue;
		if (f == F_EXE && is_unless) {
			size_t i;

			for (i = 0; i < c->f[f].n; i++)
				if (!filter_net_exe_kernel(c->f[f].globs[i]))
					return F_EXE;
			continue;
		}
		return (enum rule_field)f;
	}
	return F__COUNT;
}

_Static_assert(NET_PROTOS == CEV_PROTO__COUNT && NET_PROTOS == EV_PROTO__COUNT,
	       "one proto mask per kind of socket");

/* bit into masks[p] for every kind of socket p that c's `proto` allows (all when absent) */
static void proto_bits(const struct cond *c, __u64 bit, __u64 *masks)
{
	uint32_t m = c->f[F_PROTO].present ? c->f[F_PROTO].mask : ~0u;

	for (int p = 0; p < NET_PROTOS; p++)
		if (m & PROTO_BIT(p))
			masks[p] |= bit;
}

/* Does a dest field name every address (a port-less 0.0.0.0/0 or ::/0)? */
static int names_everything(const struct cond_field *cf)
{
	for (size_t i = 0; i < cf->n; i++)
		if (!cf->dests[i].is_name && cf->dests[i].prefix == 0 && !cf->dests[i].has_port)
			return 1;
	return 0;
}

/* A condition's labels (kernel slots of rs) into the label table of conf. */
static void label_bits(const struct rule_set *rs, const struct cond_field *lf, __u64 *table,
		       __u64 *need, uint64_t bit)
{
	if (!lf->present)
		return;
	*need |= bit;
	for (size_t i = 0; i < rs->n_labels && i < RULE_MAX_LABELS; i++)
		if (((lf->labels >> i) & 1) && rs->label_slot[i] >= 0)
			table[rs->label_slot[i]] |= bit;
}

/* One dest pattern with what it sets. */
struct dest_item {
	struct dest_pat p;
	uint64_t when, unless;
	const struct rule *r;	/* for diagnostics */
};

struct items {
	struct dest_item *v;
	size_t n, cap;
};

/* Each dest pattern of cf into addrs, or names for a DNS name. */
static int items_add(struct items *addrs, struct items *names, const struct cond_field *cf,
		     uint64_t when, uint64_t unless, const struct rule *r)
{
	for (size_t i = 0; i < cf->n; i++) {
		struct items *it = cf->dests[i].is_name ? names : addrs;

		if (vec_grow((void **)&it->v, it->n, &it->cap, sizeof(*it->v)))
			return -ENOMEM;
		it->v[it->n++] = (struct dest_item){ cf->dests[i], when, unless, r };
	}
	return 0;
}

/* Does pattern a cover the prefix b (same family, shorter or equal, same bits)? */
static int covers(const struct dest_pat *a, const struct dest_pat *b)
{
	unsigned full = a->prefix / 8, rem = a->prefix % 8;

	if (a->family != b->family || a->prefix > b->prefix)
		return 0;
	if (memcmp(a->addr, b->addr, full))
		return 0;
	return !rem || ((a->addr[full] ^ b->addr[full]) & (uint8_t)(0xffu << (8 - rem))) == 0;
}

static int same_prefix(const struct dest_pat *a, const struct dest_pat *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

/*
 * The rule slots that the condition slots in `unless` suppress for every
 * process and protocol: conditions of dest alone (filter_maps.h, the fast
 * path).
 */
static uint64_t quiet_rules(const struct net_conf *c, uint64_t unless)
{
	uint64_t dest_only = c->cond_valid & c->cond_need_dest & ~c->cond_need_exe & unless;
	uint64_t quiet = 0;

	for (int p = 0; p < NET_PROTOS; p++)
		dest_only &= c->cond_proto[p];
	for (int i = 0; i < NET_MAX_CONDS; i++)
		if (dest_only & (1ULL << i))
			quiet |= c->cond_owner[i];
	return quiet;
}

/*
 * The port range of pattern p in val (found or added), its bits or-ed in.
 * 0, or -ENOSPC when val holds NET_PORT_RANGES others already.
 */
static int add_range(struct net_dest_val *val, const struct dest_item *c)
{
	uint32_t k;

	for (k = 0; k < val->n; k++)
		if (val->r[k].lo == c->p.port_lo && val->r[k].hi == c->p.port_hi &&
		    val->r[k].any_port == !c->p.has_port)
			break;
	if (k == val->n) {
		if (val->n == NET_PORT_RANGES)
			return -ENOSPC;
		val->r[k].lo = c->p.port_lo;
		val->r[k].hi = c->p.port_hi;
		val->r[k].any_port = !c->p.has_port;
		val->n++;
	}
	val->r[k].when |= c->when;
	val->r[k].unless |= c->unless;
	return 0;
}

/*
 * Each distinct name pattern with one of its port ranges into a name slot:
 * the pattern's dns_names key with its slots, the slot's net_names range
 * (filter_maps.h, "DNS names").
 */
static int build_names(const struct items *it, struct filter_net *out, struct rule_diags *diags)
{
	for (size_t i = 0; i < it->n; i++) {
		const struct dest_item *c = &it->v[i];
		struct dns_name_key key = { .wild = c->p.wildcard };
		struct net_port_bits *r;
		size_t k, n;

		snprintf(key.name, sizeof(key.name), "%s", c->p.name);
		for (k = 0; k < out->n_nkeys; k++)
			if (memcmp(&out->nkeys[k], &key, sizeof(key)) == 0)
				break;
		for (n = 0; k < out->n_nkeys && n < out->n_names; n++) {
			r = &out->nvals[n];
			if ((out->nkey_slots[k] >> n & 1) && r->lo == c->p.port_lo &&
			    r->hi == c->p.port_hi && r->any_port == !c->p.has_port)
				break;
		}
		if (k == out->n_nkeys)
			n = out->n_names;
		if (n == NET_MAX_NAMES)
			return rule_diag_add(diags, c->r, "connect rules: more than %d DNS names "
					     "(each with one port range) in `dest`; the kernel filter "
					     "has %d name slots", NET_MAX_NAMES, NET_MAX_NAMES);
		if (k == out->n_nkeys)
			out->nkeys[out->n_nkeys++] = key;
		if (n == out->n_names) {
			out->nvals[out->n_names++] = (struct net_port_bits){
				.lo = c->p.port_lo, .hi = c->p.port_hi, .any_port = !c->p.has_port,
			};
			out->nkey_slots[k] |= 1ULL << n;
		}
		out->nvals[n].when |= c->when;
		out->nvals[n].unless |= c->unless;
	}
	for (size_t n = 0; n < out->n_names; n++)
		out->nvals[n].quiet = quiet_rules(&out->conf, out->nvals[n].unless);
	out->conf.any_names = out->n_names > 0;
	return 0;
}

static int build_dests(struct items *it, struct filter_net *out, struct rule_diags *diags)
{
	out->dkeys = calloc(it->n ? it->n : 1, sizeof(*out->dkeys));
	out->dvals = calloc(it->n ? it->n : 1, sizeof(*out->dvals));
	if (!out->dkeys || !out->dvals)
		return -ENOMEM;
	for (size_t i = 0; i < it->n; i++) {
		const struct dest_pat *p = &it->v[i].p;
		struct net_dest_val *val;
		size_t j;

		for (j = 0; j < i; j++)
			if (same_prefix(&it->v[j].p, p))
				break;
		if (j < i)
			continue;	/* this prefix has its entry */
		val = &out->dvals[out->n_dest];
		out->dkeys[out->n_dest] = (struct net_dest_key){
			.prefixlen = 8u + p->prefix,
			.family = p->family == AF_INET ? 4 : 6,
		};
		memcpy(out->dkeys[out->n_dest].addr, p->addr, 16);
		for (j = 0; j < it->n; j++) {
			const struct dest_item *c = &it->v[j];

			if (!covers(&c->p, p))
				continue;
			if (add_range(val, c)) {
				char a[64];

				inet_ntop(p->family, p->addr, a, sizeof(a));
				return rule_diag_add(diags, c->r, "connect rules: more than %d "
						     "distinct port ranges apply to %s/%u; the "
						     "kernel filter cannot hold them",
						     NET_PORT_RANGES, a, p->prefix);
			}
		}
		for (uint32_t k = 0; k < val->n; k++)
			val->r[k].quiet = quiet_rules(&out->conf, val->r[k].unless);
		out->n_dest++;
	}
	return 0;
}

static int add_exe(struct filter_net *out, const struct net_exe_key *k, uint64_t bit)
{
	for (size_t i = 0; i < out->n_exe; i++) {
		if (out->ekeys[i].dev == k->dev && out->ekeys[i].ino == k->ino) {
			out->evals[i] |= bit;
			return 0;
		}
	}
	if (vec_grow((void **)&out->ekeys, out->n_exe, &out->cap[0], sizeof(*out->ekeys)) ||
	    vec_grow((void **)&out->evals, out->n_exe, &out->cap[1], sizeof(*out->evals)))
		return -ENOMEM;
	out->ekeys[out->n_exe] = *k;
	out->evals[out->n_exe++] = bit;
	return 0;
}

static int compile_exes(const struct cond_field *cf, uint64_t bit,
			filter_net_resolve_fn resolve, void *ctx, struct filter_net *out)
{
	struct net_exe_key keys[64];

	if (!resolve)
		return 0;
	for (size_t i = 0; i < cf->n; i++) {
		int n = resolve(cf->globs[i], keys, 64, ctx);

		if (n < 0)
			return n;
		if (n > 64)
			return -E2BIG;
		for (int k = 0; k < n; k++)
			if (add_exe(out, &keys[k], bit))
				return -ENOMEM;
	}
	return 0;
}

/* The compile's state across the rules. */
struct compile {
	const struct rule_set *rs;
	struct filter_net *out;
	struct items it;	/* every address pattern, for build_dests() */
	struct items names;	/* every name pattern, for build_names() */
	size_t n_conds;
	filter_net_resolve_fn resolve;
	void *ctx;
	struct rule_diags *diags;
	int bad;		/* what the last diagnostic returned */
};

/* One `unless` condition of the last rule slot; *exact cleared when the
 * kernel cannot decide it.  0 or -ENOMEM. */
static int compile_unless(struct compile *k, const struct rule *r, const struct cond *uc,
			  int *exact)
{
	struct net_conf *c = &k->out->conf;
	enum rule_field f = kernel_blind(uc, 1);
	uint64_t cbit;
	int rc;

	if (f != F__COUNT || k->n_conds == NET_MAX_CONDS) {
		*exact = 0;
		if (r->action != ACT_BLOCK)
			return 0;	/* the kernel over-reports; the agent decides */
		if (f != F__COUNT)
			k->bad = rule_diag_add(k->diags, r, "rule '%s': action block needs every "
					       "`unless` condition decided in the kernel, but one "
					       "uses '%s'%s (the kernel can: dest, proto, labels, exe as "
					       "a path with wildcards only in its last component)",
					       r->id, rule_field_name(f),
					       f == F_EXE ? " with a wildcard it cannot resolve" : "");
		else
			k->bad = rule_diag_add(k->diags, r, "rule '%s': more than %d `unless` "
					       "conditions across connect rules; the kernel filter "
					       "has %d slots", r->id, NET_MAX_CONDS, NET_MAX_CONDS);
		return k->bad == -ENOMEM ? -ENOMEM : 0;
	}
	c->cond_owner[k->n_conds] = 1ULL << (k->out->n_slots - 1);
	cbit = 1ULL << k->n_conds++;
	c->cond_valid |= cbit;
	proto_bits(uc, cbit, c->cond_proto);
	label_bits(k->rs, &uc->f[F_LABELS], c->label_unless, &c->cond_need_labels, cbit);
	if (uc->f[F_DEST].present) {
		c->cond_need_dest |= cbit;
		if (names_everything(&uc->f[F_DEST]))
			c->cond_dest_all |= cbit;
		if (items_add(&k->it, &k->names, &uc->f[F_DEST], 0, cbit, r))
			return -ENOMEM;
	}
	if (uc->f[F_EXE].present) {
		c->cond_need_exe |= cbit;
		rc = compile_exes(&uc->f[F_EXE], cbit, k->resolve, k->ctx, k->out);
		if (rc == -ENOMEM)
			return rc;
		if (rc)
			k->bad = rule_diag_add(k->diags, r, "rule '%s': resolving an `unless: exe` "
					       "path failed: %s", r->id, strerror(-rc));
	}
	return 0;
}

/* One enabled connect rule into the next rule slot.  0 or -ENOMEM. */
static int compile_rule(struct compile *k, const struct rule *r)
{
	struct filter_net *out = k->out;
	struct net_conf *c = &out->conf;
	enum rule_field f;
	uint64_t bit;
	int exact = 1;

	if (out->n_slots == NET_MAX_RULES) {
		k->bad = rule_diag_add(k->diags, r, "rule '%s': more than %d enabled connect "
				       "rules; the kernel filter has %d slots", r->id,
				       NET_MAX_RULES, NET_MAX_RULES);
		return k->bad == -ENOMEM ? -ENOMEM : 0;
	}
	bit = 1ULL << out->n_slots;
	out->slot[out->n_slots++] = r;
	c->active |= bit;
	if (r->action == ACT_BLOCK)
		c->block |= bit;
	proto_bits(&r->when, bit, c->proto);
	if (r->when.f[F_PROTO].present)
		c->proto_named |= bit;
	if (!r->when.f[F_DEST].present || names_everything(&r->when.f[F_DEST]))
		c->sock_when |= bit;
	label_bits(k->rs, &r->when.f[F_LABELS], c->label_when, &c->need_labels, bit);
	f = kernel_blind(&r->when, 0);
	if (f != F__COUNT) {
		exact = 0;
		if (r->action == ACT_BLOCK) {
			k->bad = rule_diag_add(k->diags, r, "rule '%s': action block needs a "
					       "condition the kernel decides, but `when` uses "
					       "'%s', which the kernel cannot evaluate (it can: "
					       "dest, proto, labels)", r->id, rule_field_name(f));
			if (k->bad == -ENOMEM)
				return -ENOMEM;
		}
	}
	if (r->when.f[F_DEST].present) {
		if (items_add(&k->it, &k->names, &r->when.f[F_DEST], bit, 0, r))
			return -ENOMEM;
	} else {
		c->when_any_dest |= bit;
	}
	for (size_t u = 0; u < r->n_unless; u++)
		if (compile_unless(k, r, &r->unless[u], &exact))
			return -ENOMEM;
	if (exact)
		out->exact |= bit;
	return 0;
}

int filter_net_compile(const struct rule_set *rs, filter_net_resolve_fn resolve, void *ctx,
		       struct filter_net *out, struct rule_diags *diags)
{
	struct compile k = { .rs = rs, .out = out, .resolve = resolve, .ctx = ctx, .diags = diags };
	int rc;

	memset(out, 0, sizeof(*out));
	out->conf.gen = rule_set_gen(rs);
	for (size_t ri = 0; ri < rs->n_rules; ri++) {
		const struct rule *r = &rs->rules[ri];

		if (r->enabled && r->on == RULE_ON_CONNECT && compile_rule(&k, r))
			goto err;
	}
	if ((rc = build_dests(&k.it, out, diags)) == -ENOMEM ||
	    (!rc && (rc = build_names(&k.names, out, diags)) == -ENOMEM))
		goto err;
	if (rc)
		k.bad = rc;
	free(k.it.v);
	free(k.names.v);
	return k.bad;
err:
	free(k.it.v);
	free(k.names.v);
	filter_net_free(out);
	return -ENOMEM;
}

void filter_net_free(struct filter_net *c)
{
	free(c->dkeys);
	free(c->dvals);
	free(c->ekeys);
	free(c->evals);
	c->dkeys = NULL;
	c->dvals = NULL;
	c->ekeys = NULL;
	c->evals = NULL;
	c->n_dest = c->n_exe = 0;
	c->cap[0] = c->cap[1] = 0;
}

/* --- I/O: executables, maps -------------------------------------------------- */

/* A literal path: stat it; wildcards in the last component: list the directory.
 * As in the matcher, `exe` names resolved paths: a path through a symlink
 * names nothing (the kernel would otherwise exempt what the matcher does not). */
static int resolve_exe(const char *glob, struct net_exe_key *keys, size_t max, void *ctx)
{
	struct ident ids[64];
	int n = fsid_glob(glob, ids, max < 64 ? max : 64);

	for (int i = 0; i < n && (size_t)i < max && i < 64; i++) {
		keys[i].dev = ids[i].dev;
		keys[i].ino = ids[i].ino;
	}
	return n;
}

int filter_net_check(const struct rule_set *rs, struct rule_diags *diags)
{
	struct filter_net c;
	int rc = filter_net_compile(rs, NULL, NULL, &c, diags);

	filter_net_free(&c);
	return rc;
}

/*
 * Replaces in an order that never under-reports (filter_guard_write): the
 * decision off, the maps emptied and refilled, the decision on.  A connect
 * in between passes unreported and unblocked; the window is the map update
 * time of one reload.
 */
struct rewrite {
	const struct loader *l;
	const struct filter_net *c;
};

static int rewrite_bindings(void *ctx)
{
	const struct rewrite *w = ctx;

	return filter_dns_rewrite(w->l, w->c);
}

static int write_maps(const struct loader *l, const struct filter_net *c)
{
	static const __u32 name_slots[NET_MAX_NAMES] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
		22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41,
		42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
		62, 63,
	};
	const struct filter_table t[] = {
		{ bpf_map__fd(l->skel->maps.net_dest), c->dkeys, c->dvals, c->n_dest,
		  sizeof(*c->dkeys), sizeof(*c->dvals) },
		{ bpf_map__fd(l->skel->maps.net_exe), c->ekeys, c->evals, c->n_exe,
		  sizeof(*c->ekeys), sizeof(*c->evals) },
		/* every slot: an array keeps its unused entries, zeroed here */
		{ bpf_map__fd(l->skel->maps.net_names), name_slots, c->nvals, NET_MAX_NAMES,
		  sizeof(name_slots[0]), sizeof(c->nvals[0]) },
		{ bpf_map__fd(l->skel->maps.dns_names), c->nkeys, c->nkey_slots, c->n_nkeys,
		  sizeof(c->nkeys[0]), sizeof(c->nkey_slots[0]) },
	};
	struct rewrite w = { l, c };

	/* bindings rewritten for the new gen while the decision is off */
	return filter_guard_write_then(bpf_map__fd(l->skel->maps.net_conf), &c->conf,
				       sizeof(c->conf), t, 4, rewrite_bindings, &w);
}

int filter_net_apply(struct loader *l, const struct rule_set *rs, struct filter_slots *slots,
		     char *err, size_t errlen)
{
	int loaded = l && l->skel;
	struct rule_diags diags = { 0 };
	struct filter_net c;
	int rc;

	rc = filter_net_compile(rs, loaded ? resolve_exe : NULL, NULL, &c, &diags);
	if (rc) {
		filter_net_free(&c);
		return filter_compile_error(rc, &diags, "connect rules", err, errlen);
	}
	rc = loaded ? write_maps(l, &c) : 0;
	if (rc) {
		snprintf(err, errlen, "connect rules: writing the kernel filter failed: %s",
			 strerror(-rc));
	} else {
		memset(slots, 0, sizeof(*slots));
		memcpy(slots->rule, c.slot, c.n_slots * sizeof(c.slot[0]));
		slots->exact = c.exact;
		slots->gen = (uint16_t)c.conf.gen;
		slots->names = c.n_nkeys > 0;
	}
	filter_net_free(&c);
	return rc;
}

int filter_net_names(const struct rule_set *rs)
{
	struct filter_net c;
	int names = filter_net_compile(rs, NULL, NULL, &c, NULL) == 0 && c.n_nkeys > 0;

	filter_net_free(&c);
	return names;
}
