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
#include "host/fsid.h"

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

static void proto_bits(const struct cond *c, __u64 bit, __u64 *tcp, __u64 *udp, __u64 *raw)
{
	uint32_t m = c->f[F_PROTO].present ? c->f[F_PROTO].mask : ~0u;

	if (m & PROTO_BIT(IPPROTO_TCP))
		*tcp |= bit;
	if (m & PROTO_BIT(IPPROTO_UDP))
		*udp |= bit;
	if (m & PROTO_BIT(CEV_PROTO_RAW))
		*raw |= bit;
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

static int items_add(struct items *it, const struct cond_field *cf, uint64_t when,
		     uint64_t unless, const struct rule *r)
{
	for (size_t i = 0; i < cf->n; i++) {
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
static uint64_t quiet_rules(const struct net_conf *c, size_t n_slots, uint64_t unless)
{
	uint64_t dest_only = c->cond_valid & c->cond_need_dest & ~c->cond_need_exe &
			     c->cond_tcp & c->cond_udp & c->cond_raw & unless;
	uint64_t quiet = 0;

	for (size_t i = 0; i < n_slots; i++)
		if (c->rule_conds[i] & dest_only)
			quiet |= 1ULL << i;
	return quiet;
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
			uint32_t k;

			if (!covers(&c->p, p))
				continue;
			for (k = 0; k < val->n; k++)
				if (val->r[k].lo == c->p.port_lo && val->r[k].hi == c->p.port_hi &&
				    val->r[k].any_port == !c->p.has_port)
					break;
			if (k == val->n) {
				if (val->n == NET_PORT_RANGES) {
					char a[64];

					inet_ntop(p->family, p->addr, a, sizeof(a));
					return rule_diag_add(diags, c->r, "connect rules: more than %d "
						    "distinct port ranges apply to %s/%u; the "
						    "kernel filter cannot hold them", NET_PORT_RANGES,
						    a, p->prefix);
				}
				val->r[k].lo = c->p.port_lo;
				val->r[k].hi = c->p.port_hi;
				val->r[k].any_port = !c->p.has_port;
				val->n++;
			}
			val->r[k].when |= c->when;
			val->r[k].unless |= c->unless;
		}
		for (uint32_t k = 0; k < val->n; k++)
			val->r[k].quiet = quiet_rules(&out->conf, out->n_slots, val->r[k].unless);
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
	struct items it;	/* every dest pattern, for build_dests() */
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
	cbit = 1ULL << k->n_conds++;
	c->cond_valid |= cbit;
	c->rule_conds[k->out->n_slots - 1] |= cbit;
	proto_bits(uc, cbit, &c->cond_tcp, &c->cond_udp, &c->cond_raw);
	label_bits(k->rs, &uc->f[F_LABELS], c->label_unless, &c->cond_need_labels, cbit);
	if (uc->f[F_DEST].present) {
		c->cond_need_dest |= cbit;
		if (items_add(&k->it, &uc->f[F_DEST], 0, cbit, r))
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
	proto_bits(&r->when, bit, &c->tcp, &c->udp, &c->raw);
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
		if (items_add(&k->it, &r->when.f[F_DEST], bit, 0, r))
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
	if ((rc = build_dests(&k.it, out, diags)) == -ENOMEM)
		goto err;
	if (rc)
		k.bad = rc;
	free(k.it.v);
	return k.bad;
err:
	free(k.it.v);
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
static int write_maps(const struct loader *l, const struct filter_net *c)
{
	const struct filter_table t[] = {
		{ bpf_map__fd(l->skel->maps.net_dest), c->dkeys, c->dvals, c->n_dest,
		  sizeof(*c->dkeys), sizeof(*c->dvals) },
		{ bpf_map__fd(l->skel->maps.net_exe), c->ekeys, c->evals, c->n_exe,
		  sizeof(*c->ekeys), sizeof(*c->evals) },
	};

	return filter_guard_write(bpf_map__fd(l->skel->maps.net_conf), &c->conf, sizeof(c->conf),
				  t, 2);
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
	}
	filter_net_free(&c);
	return rc;
}
