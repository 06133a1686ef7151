/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_stream.c - the parts of a custos.event/1 line that the stream adds
 * about itself (json.h): a coalesced record's repeat, and the loss, gap and
 * checkpoint records' objects (docs/EVENTS.md, "The stream's own records").
 */
#include "record/json.h"

#include <inttypes.h>
#include <string.h>

/* "key":"TIME" */
static void add_time_field(struct sbuf *out, const char *key, uint64_t ns)
{
	char when[JSON_TIME_SIZE];

	json_format_time(when, sizeof(when), ns);
	json_add_key(out, key);
	json_add_cstr(out, when);
}

void json_add_repeat(struct sbuf *out, const struct cev_repeat *r)
{
	sbuf_adds(out, ",\"repeat\":{\"count\":");
	sbuf_addu(out, r->count);
	sbuf_addc(out, ',');
	add_time_field(out, "first", r->first_ns);
	sbuf_addc(out, ',');
	add_time_field(out, "last", r->last_ns);
	sbuf_addc(out, '}');
}

const char *json_loss_kind_name(enum cev_loss_kind k)
{
	static const char *const names[CEV_LOST__COUNT] = {
		[CEV_LOST_EXEC] = "exec", [CEV_LOST_FILE] = "file",
		[CEV_LOST_CONNECT] = "connect", [CEV_LOST_PROCESS] = "process",
		[CEV_LOST_SOCKET] = "socket",
	};

	return (unsigned)k < CEV_LOST__COUNT ? names[k] : NULL;
}

const char *json_loss_sev_name(enum cev_loss_sev s)
{
	static const char *const names[CEV_LOSS_SEV__COUNT] = {
		[CEV_LOSS_SEV_INFO] = "info", [CEV_LOSS_SEV_LOW] = "low",
		[CEV_LOSS_SEV_MEDIUM] = "medium", [CEV_LOSS_SEV_HIGH] = "high",
		[CEV_LOSS_SEV_CRITICAL] = "critical", [CEV_LOSS_SEV_NONE] = "none",
		[CEV_LOSS_SEV_UNKNOWN] = "unknown",
	};

	return (unsigned)s < CEV_LOSS_SEV__COUNT ? names[s] : NULL;
}

static int has_severity(const struct cev_loss *l)
{
	for (int s = 0; s < CEV_LOSS_SEV__COUNT; s++)
		if (l->by_severity[s])
			return 1;
	return 0;
}

int json_loss_has_by(const struct cev_loss *l)
{
	int by = l->n_procs > 0 || l->n_rules > 0 || has_severity(l);

	for (int k = 0; k < CEV_LOST__COUNT; k++)
		by |= l->by_kind[k] != 0;
	return by;
}

/* ,"severity":{...} (most severe first) and ,"rules":[...] when known */
static void add_loss_rules(struct sbuf *out, const struct cev_loss *l)
{
	static const enum cev_loss_sev order[CEV_LOSS_SEV__COUNT] = {
		CEV_LOSS_SEV_CRITICAL, CEV_LOSS_SEV_HIGH, CEV_LOSS_SEV_MEDIUM, CEV_LOSS_SEV_LOW,
		CEV_LOSS_SEV_INFO, CEV_LOSS_SEV_NONE, CEV_LOSS_SEV_UNKNOWN,
	};
	int first = 1;

	if (has_severity(l)) {
		sbuf_adds(out, ",\"severity\":{");
		for (int i = 0; i < CEV_LOSS_SEV__COUNT; i++) {
			if (!l->by_severity[order[i]])
				continue;
			sbuf_addf(out, "%s\"%s\":", first ? "" : ",", json_loss_sev_name(order[i]));
			sbuf_addu(out, l->by_severity[order[i]]);
			first = 0;
		}
		sbuf_addc(out, '}');
	}
	if (!l->n_rules)
		return;
	sbuf_adds(out, ",\"rules\":[");
	for (uint32_t i = 0; i < l->n_rules; i++) {
		sbuf_adds(out, i ? ",{\"rule\":" : "{\"rule\":");
		json_add_cstr(out, l->rules[i].rule);
		sbuf_adds(out, ",\"severity\":");
		json_add_cstr(out, l->rules[i].severity);
		sbuf_adds(out, ",\"lost\":");
		sbuf_addu(out, l->rules[i].lost);
		sbuf_addc(out, '}');
	}
	sbuf_addc(out, ']');
}

void json_add_loss_by(struct sbuf *out, const struct cev_loss *l)
{
	int first = 1;

	sbuf_adds(out, "{\"kind\":{");
	for (int k = 0; k < CEV_LOST__COUNT; k++) {
		if (!l->by_kind[k])
			continue;
		sbuf_addf(out, "%s\"%s\":", first ? "" : ",", json_loss_kind_name(k));
		sbuf_addu(out, l->by_kind[k]);
		first = 0;
	}
	sbuf_addc(out, '}');
	add_loss_rules(out, l);
	sbuf_adds(out, ",\"processes\":[");
	for (uint32_t i = 0; i < l->n_procs; i++) {
		const struct cev_loss_proc *p = &l->procs[i];

		sbuf_adds(out, i ? ",{\"pid\":" : "{\"pid\":");
		sbuf_addu(out, p->pid);
		sbuf_adds(out, ",\"comm\":");
		json_escape_bytes(out, p->comm, strnlen(p->comm, sizeof(p->comm)));
		sbuf_adds(out, ",\"exe\":");
		json_add_str(out, &p->exe);
		sbuf_adds(out, ",\"lost\":");
		sbuf_addu(out, p->lost);
		sbuf_addc(out, '}');
	}
	sbuf_adds(out, "]}");
}

static void add_loss(struct sbuf *out, const struct cev_loss *l)
{
	sbuf_addf(out, "\"loss\":{\"lost\":%" PRIu64 ",\"where\":", l->lost);
	json_add_cstr(out, l->where);
	if (json_loss_has_by(l)) {
		sbuf_adds(out, ",\"by\":");
		json_add_loss_by(out, l);
	}
	sbuf_addc(out, '}');
}

void json_add_gap(struct sbuf *out, const struct cev_gap *g)
{
	sbuf_addc(out, '{');
	add_time_field(out, "from", g->from_ns);
	sbuf_addc(out, ',');
	add_time_field(out, "to", g->to_ns);
	sbuf_addf(out, ",\"previous_end\":\"%s\",\"enforced\":%s,\"counted\":{",
		  g->clean ? "clean" : "unclean", g->enforced ? "true" : "false");
	for (uint32_t i = 0; i < g->n_counted; i++) {
		if (i)
			sbuf_addc(out, ',');
		json_add_key(out, g->counted[i].name);
		sbuf_addu(out, g->counted[i].n);
	}
	sbuf_adds(out, "}}");
}

void json_add_checkpoint(struct sbuf *out, const struct cev_checkpoint *c)
{
	sbuf_adds(out, "{\"records\":");
	sbuf_addu(out, c->records);
	sbuf_adds(out, ",\"lost\":");
	sbuf_addu(out, c->lost);
	sbuf_addf(out, ",\"final\":%s}", c->final ? "true" : "false");
}

void json_add_stream(struct sbuf *out, const struct cev_event *ev)
{
	if (ev->kind == CEV_LOSS)
		add_loss(out, &ev->loss);
	else if (ev->kind == CEV_GAP) {
		json_add_key(out, "gap");
		json_add_gap(out, &ev->gap);
	} else if (ev->kind == CEV_CHECKPOINT) {
		json_add_key(out, "checkpoint");
		json_add_checkpoint(out, &ev->checkpoint);
	}
}
