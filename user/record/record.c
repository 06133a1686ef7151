/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.c - a custos.event/1 line back into struct cev_event (record.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "record/record.h"

#include "base/vec.h"
#include "record/json.h"
#include "record/record_internal.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether s[i..i+6) of s[0..n) is \\uAbXX with b in lo..hi; reads nothing past n. */
static int is_u_escape(const char *s, size_t i, size_t n, char a, char lo, char hi)
{
	char b;

	if (n < 6 || i > n - 6)
		return 0;
	b = (char)(s[i + 3] | 0x20);
	return s[i] == '\\' && s[i + 1] == 'u' && (s[i + 2] | 0x20) == a &&
	       b >= lo && b <= hi && hexval(s[i + 4]) >= 0 && hexval(s[i + 5]) >= 0;
}

/*
 * \udcXX (XX >= 80) -> \uf7XX, in place, only for escapes inside strings and
 * not for the low half of a real surrogate pair (\ud83d\udc80 stays).
 */
static void rewrite_surrogates(char *s, size_t n)
{
	int in_str = 0, after_high = 0;

	for (size_t i = 0; i < n; i++) {
		if (!in_str) {
			if (s[i] == '"')
				in_str = 1;
			continue;
		}
		if (s[i] == '"') {
			in_str = 0;
			after_high = 0;
		} else if (s[i] == '\\' && i + 1 < n) {
			if (is_u_escape(s, i, n, 'd', '8', 'b')) {
				after_high = 1;
				i += 5;
				continue;
			}
			if (!after_high && is_u_escape(s, i, n, 'd', 'c', 'c') && hexval(s[i + 4]) >= 8) {
				s[i + 2] = 'f';
				s[i + 3] = '7';
			}
			after_high = 0;
			i++;	/* skip the escaped character */
		} else {
			after_high = 0;
		}
	}
}

/* r frees p in record_free(); on -ENOMEM p is freed at once. */
static int own(struct record *r, char *p)
{
	if (vec_grow((void **)&r->owned, r->n_owned, &r->cap_owned, sizeof(*r->owned))) {
		free(p);
		return -ENOMEM;
	}
	r->owned[r->n_owned++] = p;
	return 0;
}

/* A JSON string's UTF-8 back into the original bytes (U+F7XX -> XX). */
static int get_bytes(struct record *r, json_t *v, struct cev_str *out)
{
	const char *s;
	size_t n, j = 0;
	char *p;

	memset(out, 0, sizeof(*out));
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
	p = malloc(n + 1);
	if (!p || own(r, p))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0xef && i + 2 < n && ((unsigned char)s[i + 1] & 0xfe) == 0x9e &&
		    ((unsigned char)s[i + 2] & 0xc0) == 0x80) {
			p[j++] = (char)(0x80 | (((unsigned char)s[i + 1] & 1) << 6) |
					((unsigned char)s[i + 2] & 0x3f));
			i += 2;
		} else {
			p[j++] = (char)c;
		}
	}
	p[j] = '\0';
	out->p = p;
	out->len = (uint32_t)j;
	return 0;
}

/* An object {"path": "...", "truncated": true} or a plain string. */
static int get_str_field(struct record *r, json_t *obj, const char *key, struct cev_str *out)
{
	int rc = get_bytes(r, json_object_get(obj, key), out);

	if (rc == 0 && json_is_true(json_object_get(obj, "truncated")))
		out->truncated = 1;
	return rc;
}

/* ["a", "b"] -> "a\0b\0" */
static int get_args(struct record *r, json_t *arr, struct cev_args *out)
{
	size_t total = 0, i, off = 0;
	json_t *v;
	char *buf;

	memset(out, 0, sizeof(*out));
	if (!json_is_array(arr))
		return 0;
	json_array_foreach(arr, i, v)
		total += json_string_length(v) + 1;
	buf = malloc(total + 1);
	if (!buf || own(r, buf))
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		struct cev_str s;

		if (get_bytes(r, v, &s))
			return -ENOMEM;
		memcpy(buf + off, s.p ? s.p : "", s.len);
		off += s.len;
		buf[off++] = '\0';
	}
	out->buf = buf;
	out->len = (uint32_t)off;
	return 0;
}

/* An unsigned field up to max: 0 when absent; a negative or larger number
 * marks the record bad (wrapped, it would name another pid, uid or port). */
static uint64_t get_uint(struct record *r, json_t *obj, const char *key, uint64_t max)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!json_is_integer(v))
		return 0;
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max) {
		r->bad = 1;
		return 0;
	}
	return (uint64_t)n;
}

static uint32_t get_u32(struct record *r, json_t *obj, const char *key)
{
	return (uint32_t)get_uint(r, obj, key, UINT32_MAX);
}

static const char *get_cstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int record_severity_rank(const char *name)
{
	static const char *const names[] = { "info", "low", "medium", "high", "critical" };

	for (int i = 0; name && i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

int record_parse_time(const char *s, uint64_t *ns)
{
	struct tm tm;
	const char *p;
	uint64_t frac = 0, scale = 1000000000ull;
	long off = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
			p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && p[1] && p[2] && p[3] == ':' && p[4] && p[5]) {
		int h = atoi(p + 1), m = atoi(p + 4);

		off = (h * 3600L + m * 60L) * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	t = timegm(&tm) - off;
	if (t < 0)
		return -EINVAL;
	*ns = (uint64_t)t * 1000000000ull + frac;
	return 0;
}

/* "proto" (a name, or the protocol number) and "protocol" */
static void parse_proto(struct record *r, json_t *o, uint8_t *proto, uint16_t *ipproto)
{
	json_t *p = json_object_get(o, "proto");

	*proto = CEV_PROTO_OTHER;
	for (uint8_t i = 0; json_is_string(p) && i < CEV_PROTO__COUNT; i++)
		if (cev_proto_name(i) && strcmp(json_string_value(p), cev_proto_name(i)) == 0)
			*proto = i;
	*ipproto = json_object_get(o, "protocol") ? (uint16_t)get_uint(r, o, "protocol", UINT16_MAX) :
		   json_is_integer(p) ? (uint16_t)get_uint(r, o, "proto", UINT16_MAX) :
		   cev_proto_number(*proto);
}

static int parse_connect(struct record *r, json_t *c)
{
	const char *dest = get_cstr(c, "dest"), *name = get_cstr(c, "dest_name");
	struct cev_connect *k = &r->ev.conn;

	if (name) {
		snprintf(r->dest_name, sizeof(r->dest_name), "%s", name);
		k->dest_name = r->dest_name;
	}
	parse_proto(r, c, &k->proto, &k->ipproto);
	k->port = (uint16_t)get_uint(r, c, "port", UINT16_MAX);
	k->blocked = json_is_true(json_object_get(c, "blocked"));
	if (dest) {
		snprintf(r->dest, sizeof(r->dest), "%s", dest);
		if (inet_pton(AF_INET, dest, k->addr) == 1)
			k->family = AF_INET;
		else if (inet_pton(AF_INET6, dest, k->addr) == 1)
			k->family = AF_INET6;
	}
	return 0;
}

static int parse_socket(struct record *r, json_t *o)
{
	const char *family = get_cstr(o, "family"), *type = get_cstr(o, "type");
	const char *option = get_cstr(o, "option"), *hop = get_cstr(o, "hop");
	struct cev_socket *k = &r->ev.sock;

	parse_proto(r, o, &k->proto, &k->ipproto);
	for (unsigned f = 0; family && f <= AF_PACKET; f++)
		if (cev_family_name(f) && strcmp(family, cev_family_name(f)) == 0)
			k->family = (uint16_t)f;
	for (unsigned t = 0; type && t < 8; t++)
		if (cev_socktype_name(t) && strcmp(type, cev_socktype_name(t)) == 0)
			k->type = (uint16_t)t;
	k->op = !option ? CEV_SOCK_CREATE : strcmp(option, "IP_OPTIONS") == 0 ?
		CEV_SOCK_IP_OPTIONS : CEV_SOCK_IPV6_RTHDR;
	k->blocked = json_is_true(json_object_get(o, "blocked"));
	if (hop) {
		snprintf(r->dest, sizeof(r->dest), "%s", hop);
		if (inet_pton(AF_INET, hop, k->hop) == 1)
			k->hop_family = AF_INET;
		else if (inet_pton(AF_INET6, hop, k->hop) == 1)
			k->hop_family = AF_INET6;
	}
	return 0;
}

/* "identity": {"dev": "MAJ:MIN", "ino": N} */
static void parse_identity(struct cev_file *f, json_t *id)
{
	const char *dev = get_cstr(id, "dev");
	json_t *ino = json_object_get(id, "ino");
	unsigned int maj, min;

	if (!dev || !json_is_integer(ino) || sscanf(dev, "%u:%u", &maj, &min) != 2)
		return;
	f->dev = ((uint64_t)maj << 20) | min;
	f->ino = (uint64_t)json_integer_value(ino);
	f->has_identity = 1;
}

static int parse_file(struct record *r, json_t *f)
{
	json_t *acc = json_object_get(f, "access"), *v;
	size_t i;

	json_array_foreach(acc, i, v) {
		const char *a = json_string_value(v);

		if (!a)
			continue;
		if (strcmp(a, "read") == 0)
			r->ev.file.access |= CEV_ACC_READ;
		else if (strcmp(a, "write") == 0)
			r->ev.file.access |= CEV_ACC_WRITE;
		else if (strcmp(a, "create") == 0)
			r->ev.file.access |= CEV_ACC_CREATE;
	}
	r->ev.file.blocked = json_is_true(json_object_get(f, "blocked"));
	r->ev.file.via = get_cstr(f, "via");
	r->ev.file.op = get_cstr(f, "op");
	/* an open whose file is not known (io_uring under the tracepoint
	 * backends: "via"), or whose path is not whole */
	if (json_is_true(json_object_get(f, "unresolved"))) {
		if (r->ev.file.via)
			r->ev.file.unresolved = 1;
		else
			r->ev.file.path_partial = 1;
	}
	r->ev.file.detached = json_is_true(json_object_get(f, "detached"));
	parse_identity(&r->ev.file, json_object_get(f, "identity"));
	if ((json_object_get(f, "host_path") &&
	     get_bytes(r, json_object_get(f, "host_path"), &r->ev.file.host_path)) ||
	    (json_object_get(f, "watched_path") &&
	     get_bytes(r, json_object_get(f, "watched_path"), &r->ev.file.watched_path)))
		return -ENOMEM;
	if (get_str_field(r, f, "path", &r->ev.file.path))
		return -ENOMEM;
	if (r->ev.file.path.truncated)
		r->ev.file.path_partial = 1;
	return 0;
}

static int kind_from_name(const char *name, enum cev_kind *out)
{
	for (enum cev_kind k = CEV_FILE; k <= CEV_CHECKPOINT; k++) {
		if (strcmp(name, json_kind_name(k)) == 0) {
			*out = k;
			return 0;
		}
	}
	return -EINVAL;
}

/* ["memfd", ...] -> CEV_EXE_* (unknown names are left out) */
static uint32_t get_exe_flags(json_t *arr)
{
	uint32_t flags = 0;
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		for (unsigned int b = 0; json_exe_flag_name(b) && json_is_string(v); b++)
			if (strcmp(json_string_value(v), json_exe_flag_name(b)) == 0)
				flags |= 1u << b;
	return flags;
}

/* "process"."labels": the labels it carried, with their sources; 0 or -ENOMEM */
static int parse_labels(struct record *r, json_t *arr)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		struct cev_label *l = &r->labels[r->ev.n_label_info];
		const char *t = get_cstr(v, "time");

		if (r->ev.n_label_info == RECORD_MAX_LABELS || !get_cstr(v, "label"))
			break;
		l->name = get_cstr(v, "label");
		l->rule = get_cstr(v, "rule");
		l->seq = json_is_integer(json_object_get(v, "seq")) ?
			 (uint64_t)json_integer_value(json_object_get(v, "seq")) : 0;
		if (t && record_parse_time(t, &l->time_ns))
			l->time_ns = 0;
		if (get_bytes(r, json_object_get(v, "file"), &l->via))
			return -ENOMEM;
		r->ev.n_label_info++;
	}
	r->ev.label_info = r->labels;
	return 0;
}

/* "process": the acting process; 0 or -ENOMEM */
static int parse_process(struct record *r, json_t *proc)
{
	struct cev_process *p = &r->ev.proc;
	const char *comm;

	if (!json_is_object(proc))
		return 0;
	p->pid = get_u32(r, proc, "pid");
	p->tid = get_u32(r, proc, "tid");
	p->ppid = get_u32(r, proc, "ppid");
	p->uid = get_u32(r, proc, "uid");
	p->user = get_cstr(proc, "user");
	p->cgroup = get_cstr(proc, "cgroup");
	p->container_id = get_cstr(proc, "container_id");
	comm = get_cstr(proc, "comm");
	if (comm)
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->exe_prog.flags = get_exe_flags(json_object_get(proc, "exe_flags"));
	if (parse_labels(r, json_object_get(proc, "labels")) ||
	    get_str_field(r, proc, "exe", &p->exe) ||
	    get_bytes(r, json_object_get(proc, "prev_exe"), &p->prev_exe) ||
	    get_args(r, json_object_get(proc, "args"), &p->args))
		return -ENOMEM;
	return 0;
}

/* "parent" and "ancestors"; 0 or -ENOMEM */
static int parse_lineage(struct record *r, json_t *root)
{
	json_t *par = json_object_get(root, "parent");
	json_t *anc = json_object_get(root, "ancestors");

	if (json_is_object(par)) {
		r->ev.has_parent = 1;
		r->ev.parent.pid = get_u32(r, par, "pid");
		if (get_str_field(r, par, "exe", &r->ev.parent.exe) ||
		    get_args(r, json_object_get(par, "args"), &r->ev.parent.args))
			return -ENOMEM;
	}
	return record_take_ancestors(r, anc);
}

/* "key": TIME as ns since the epoch, 0 when absent or not a time */
static uint64_t get_time(json_t *obj, const char *key)
{
	const char *t = get_cstr(obj, key);
	uint64_t ns = 0;

	if (t && record_parse_time(t, &ns))
		ns = 0;
	return ns;
}

/* loss.by.rules: the top rules, at most CEV_LOSS_TOP_RULES of them */
static int parse_loss_rules(struct record *r, json_t *rules)
{
	size_t n = json_array_size(rules) < CEV_LOSS_TOP_RULES ? json_array_size(rules)
								: CEV_LOSS_TOP_RULES;
	struct cev_loss_rule *v = n ? calloc(n, sizeof(*v)) : NULL;

	if (n && (!v || own(r, (char *)v)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct cev_loss_rule){ get_cstr(json_array_get(rules, i), "rule"),
					       get_cstr(json_array_get(rules, i), "severity"),
					       get_uint(r, json_array_get(rules, i), "lost", INT64_MAX) };
	r->ev.loss.rules = v;
	r->ev.loss.n_rules = (uint32_t)n;
	return 0;
}

/* "loss": lost, where, and by (kinds, severities, rules, top processes) when present */
static int parse_loss(struct record *r, json_t *l)
{
	struct cev_loss *loss = &r->ev.loss;
	json_t *by = json_object_get(l, "by"), *procs = json_object_get(by, "processes"), *p;
	struct cev_loss_proc *v;
	size_t i;

	loss->where = get_cstr(l, "where");
	loss->lost = get_uint(r, l, "lost", INT64_MAX);
	for (int k = 0; k < CEV_LOST__COUNT; k++)
		loss->by_kind[k] = get_uint(r, json_object_get(by, "kind"), json_loss_kind_name(k),
					    INT64_MAX);
	for (int k = 0; k < CEV_LOSS_SEV__COUNT; k++)
		loss->by_severity[k] = get_uint(r, json_object_get(by, "severity"),
						json_loss_sev_name(k), INT64_MAX);
	if (parse_loss_rules(r, json_object_get(by, "rules")))
		return -ENOMEM;
	if (!json_array_size(procs))
		return 0;
	v = calloc(json_array_size(procs), sizeof(*v));
	if (!v || own(r, (char *)v))
		return -ENOMEM;
	json_array_foreach(procs, i, p) {
		const char *comm = get_cstr(p, "comm");

		v[i].pid = get_u32(r, p, "pid");
		v[i].lost = get_uint(r, p, "lost", INT64_MAX);
		if (comm)
			snprintf(v[i].comm, sizeof(v[i].comm), "%s", comm);
		if (get_bytes(r, json_object_get(p, "exe"), &v[i].exe))
			return -ENOMEM;
	}
	loss->procs = v;
	loss->n_procs = (uint32_t)json_array_size(procs);
	return 0;
}

/* "gap": the times, how the previous run ended, and what was counted */
static int parse_gap(struct record *r, json_t *g)
{
	struct cev_gap *gap = &r->ev.gap;
	json_t *counted = json_object_get(g, "counted"), *v;
	struct cev_count *c;
	const char *name, *end = get_cstr(g, "previous_end");
	size_t n = 0;

	gap->from_ns = get_time(g, "from");
	gap->to_ns = get_time(g, "to");
	gap->clean = end && strcmp(end, "clean") == 0;
	gap->enforced = json_is_true(json_object_get(g, "enforced"));
	if (!json_object_size(counted))
		return 0;
	c = calloc(json_object_size(counted), sizeof(*c));
	if (!c || own(r, (char *)c))
		return -ENOMEM;
	json_object_foreach(counted, name, v) {
		c[n].name = name;	/* owned by the parsed object */
		c[n++].n = get_uint(r, counted, name, INT64_MAX);
	}
	gap->counted = c;
	gap->n_counted = (uint32_t)n;
	return 0;
}

/* "repeat" of a record that stands for several coalesced events */
static void parse_repeat(struct record *r, json_t *rep)
{
	if (!json_is_object(rep))
		return;
	r->ev.repeat.count = get_uint(r, rep, "count", INT64_MAX);
	r->ev.repeat.first_ns = get_time(rep, "first");
	r->ev.repeat.last_ns = get_time(rep, "last");
}

/* The kind's own object ("file", "connect", "exec", "loss", "socket", "gap", "checkpoint"). */
static int parse_kind_fields(struct record *r, json_t *root)
{
	json_t *v;

	switch (r->ev.kind) {
	case CEV_FILE:
		return parse_file(r, json_object_get(root, "file"));
	case CEV_CONNECT:
		return parse_connect(r, json_object_get(root, "connect"));
	case CEV_SOCKET:
		return parse_socket(r, json_object_get(root, "socket"));
	case CEV_EXEC:
		r->ev.exec.blocked = json_is_true(json_object_get(json_object_get(root, "exec"),
								 "blocked"));
		return 0;
	case CEV_LOSS:
		return parse_loss(r, json_object_get(root, "loss"));
	case CEV_GAP:
		return parse_gap(r, json_object_get(root, "gap"));
	case CEV_CHECKPOINT:
		v = json_object_get(root, "checkpoint");
		r->ev.checkpoint.records = get_uint(r, v, "records", INT64_MAX);
		r->ev.checkpoint.lost = get_uint(r, v, "lost", INT64_MAX);
		r->ev.checkpoint.final = json_is_true(json_object_get(v, "final"));
		return 0;
	}
	return 0;
}

int record_parse(struct record *r, const char *line, size_t len)
{
	json_t *root;
	const char *kind, *t;
	int err;

	memset(r, 0, sizeof(*r));
	r->copy = malloc(len + 1);
	if (!r->copy)
		return -ENOMEM;
	memcpy(r->copy, line, len);
	r->copy[len] = '\0';
	rewrite_surrogates(r->copy, len);
	root = json_loadb(r->copy, len, JSON_ALLOW_NUL, NULL);
	if (!root)
		return -EINVAL;
	r->json = root;
	if (!json_is_object(root))
		return -EINVAL;
	kind = get_cstr(root, "kind");
	if (!kind && json_is_integer(json_object_get(root, "class_uid")))
		return record_parse_ocsf(r, root);
	if (!kind || kind_from_name(kind, &r->ev.kind))
		return -EINVAL;
	r->format = RECORD_CUSTOS;
	record_take_tags(r, json_object_get(root, "tags"));
	t = get_cstr(root, "time");
	if (t && record_parse_time(t, &r->ev.time_ns) == 0)
		r->has_time = 1;
	r->seq = get_uint(r, root, "seq", INT64_MAX);
	r->rule = get_cstr(root, "rule");
	r->severity = get_cstr(root, "severity");
	r->action = get_cstr(root, "action");
	r->host = get_cstr(root, "host");
	r->run = get_cstr(root, "run");
	r->chain = get_cstr(root, "chain");
	parse_repeat(r, json_object_get(root, "repeat"));
	err = parse_process(r, json_object_get(root, "process"));
	if (!err)
		err = parse_lineage(r, root);
	if (!err)
		err = parse_kind_fields(r, root);
	return !err && r->bad ? -EINVAL : err;
}

void record_free(struct record *r)
{
	for (size_t i = 0; i < r->n_owned; i++)
		free(r->owned[i]);
	free(r->owned);
	if (r->json)
		json_decref((json_t *)r->json);
	free(r->copy);
	memset(r, 0, sizeof(*r));
}

/* --- for record_ocsf.c (record_internal.h) -------------------------------------------- */

int record_take_bytes(struct record *r, json_t *v, struct cev_str *out)
{
	return get_bytes(r, v, out);
}

int record_take_args(struct record *r, json_t *arr, struct cev_args *out)
{
	return get_args(r, arr, out);
}

int record_own(struct record *r, char *p)
{
	return own(r, p);
}

int record_take_ancestors(struct record *r, json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (i == RECORD_MAX_ANCESTORS)
			break;
		if (get_bytes(r, v, &r->anc[i]))
			return -ENOMEM;
		r->ev.n_ancestors = (uint32_t)i + 1;
	}
	r->ev.ancestors = r->anc;
	return 0;
}

void record_take_tags(struct record *r, json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && r->n_tags < RECORD_MAX_TAGS)
			r->tags[r->n_tags++] = json_string_value(v);
}

void record_set_dest(struct record *r, const char *dest)
{
	struct cev_connect *k = &r->ev.conn;

	if (!dest)
		return;
	snprintf(r->dest, sizeof(r->dest), "%s", dest);
	if (inet_pton(AF_INET, dest, k->addr) == 1)
		k->family = AF_INET;
	else if (inet_pton(AF_INET6, dest, k->addr) == 1)
		k->family = AF_INET6;
}
