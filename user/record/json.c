/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - render a decoded event as one custos.event/1 JSON line.
 *
 * Field order follows the example in docs/EVENTS.md exactly; readers must
 * not depend on it, but golden tests and humans diffing logs do.
 *
 * Byte strings are escaped as json_text.c says (json_escape_bytes).
 */
#include "record/json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/*
 * open(2) flag bits.  The values are the kernel's; glibc's agree except for
 * O_LARGEFILE (0 in 64-bit userspace, but the kernel forces it on) and the
 * composite O_SYNC / O_TMPFILE, which are split into their own bits here.
 */
#if defined(__aarch64__) || defined(__arm__)
#define K_O_LARGEFILE 0400000u
#else
#define K_O_LARGEFILE 0100000u
#endif
#define K_O_SYNC_BIT	((uint32_t)(O_SYNC & ~O_DSYNC))		/* __O_SYNC */
#define K_O_TMPFILE_BIT	((uint32_t)(O_TMPFILE & ~O_DIRECTORY))	

/* __O_TMPFILE */

void json_open_flags(struct sbuf *out, uint32_t flags)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ O_CREAT, "O_CREAT" },
		{ O_EXCL, "O_EXCL" },
		{ O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" },
		{ O_APPEND, "O_APPEND" },
		{ O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" },
		{ O_DIRECT, "O_DIRECT" },
		{ K_O_LARGEFILE, "O_LARGEFILE" },
		{ O_DIRECTORY, "O_DIRECTORY" },
		{ O_NOFOLLOW, "O_NOFOLLOW" },
		{ O_NOATIME, "O_NOATIME" },
		{ O_CLOEXEC, "O_CLOEXEC" },
		{ O_PATH, "O_PATH" },
	};
	uint32_t left = flags;
	uint32_t composite = 0;
	size_t i;

	switch (flags & O_ACCMODE) {
	case O_RDONLY: sbuf_adds(out, "O_RDONLY"); break;
	case O_WRONLY: sbuf_adds(out, "O_WRONLY"); break;
	case O_RDWR:   sbuf_adds(out, "O_RDWR"); break;
	default:       sbuf_adds(out, "O_ACCMODE"); break;	/* 3: ioctl-only open */
	}
	left &= ~(uint32_t)O_ACCMODE;

	/* O_TMPFILE includes O_DIRECTORY, O_SYNC includes O_DSYNC */
	if ((left & K_O_TMPFILE_BIT) && (left & O_DIRECTORY))
		composite |= O_DIRECTORY;
	if ((left & K_O_SYNC_BIT) && (left & O_DSYNC))
		composite |= O_DSYNC;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(left & names[i].bit))
			continue;
		left &= ~names[i].bit;
		if (composite & names[i].bit)
			continue;
		sbuf_addc(out, '|');
		sbuf_adds(out, names[i].name);
	}
	if (left & K_O_TMPFILE_BIT) {
		left &= ~K_O_TMPFILE_BIT;
		sbuf_adds(out, composite & O_DIRECTORY ? "|O_TMPFILE" : "|__O_TMPFILE");
	}
	if (left & K_O_SYNC_BIT) {
		left &= ~K_O_SYNC_BIT;
		sbuf_adds(out, composite & O_DSYNC ? "|O_SYNC" : "|__O_SYNC");
	}
	if (left)
		sbuf_addf(out, "|0x%" PRIx32, left);
}

/* --- record pieces -------------------------------------------------------- */

void json_add_key(struct sbuf *out, const char *key)
{
	sbuf_addc(out, '"');
	sbuf_adds(out, key);
	sbuf_add(out, "\":", 2);
}

void json_add_cstr(struct sbuf *out, const char *s)
{
	if (s)
		json_escape_bytes(out, s, strlen(s));
	else
		sbuf_adds(out, "null");
}

/* "key":"s", or "key":null when s is NULL */
static void add_field(struct sbuf *out, const char *key, const char *s)
{
	json_add_key(out, key);
	json_add_cstr(out, s);
}

void json_add_str(struct sbuf *out, const struct cev_str *s)
{
	json_escape_bytes(out, s->p ? s->p : "", s->p ? s->len : 0);
}

void json_add_cstr_list(struct sbuf *out, const char *const *v, size_t n)
{
	sbuf_addc(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_addc(out, ',');
		json_add_cstr(out, v[i]);
	}
	sbuf_addc(out, ']');
}

void json_add_str_list(struct sbuf *out, const struct cev_str *v, uint32_t n)
{
	sbuf_addc(out, '[');
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			sbuf_addc(out, ',');
		json_add_str(out, &v[i]);
	}
	sbuf_addc(out, ']');
}

/* argv as an array of strings */
static void add_args(struct sbuf *out, const struct cev_args *a)
{
	uint32_t pos = 0;
	const char *p;
	size_t n;

	sbuf_addc(out, '[');
	while (cev_args_next(a, &pos, &p, &n)) {
		if (p != a->buf)	/* not the first entry */
			sbuf_addc(out, ',');
		json_escape_bytes(out, p, n);
	}
	sbuf_addc(out, ']');
}

/*
 * "exe":...,["exe_truncated":true,]"args":[...][,"args_truncated":true]
 * [,"truncated":true]: the spec's generic flag, set when either was cut.
 */
static void add_exe_args(struct sbuf *out, const struct cev_str *exe,
			 const struct cev_args *args)
{
	json_add_key(out, "exe");
	json_add_str(out, exe);
	if (exe->truncated)
		sbuf_adds(out, ",\"exe_truncated\":true");
	sbuf_addc(out, ',');
	json_add_key(out, "args");
	add_args(out, args);
	if (args->truncated)
		sbuf_adds(out, ",\"args_truncated\":true");
	if (exe->truncated || args->truncated)
		sbuf_adds(out, ",\"truncated\":true");
}

static const char *const exe_flag_names[] = { "memfd", "deleted", "loader", "elsewhere" };

const char *json_exe_flag_name(unsigned int i)
{
	return i < sizeof(exe_flag_names) / sizeof(exe_flag_names[0]) ? exe_flag_names[i] : NULL;
}

/* ,"exe_flags":["memfd",...] when any CEV_EXE_* is set */
static void add_exe_flags(struct sbuf *out, uint32_t flags)
{
	int first = 1;

	for (unsigned int i = 0; json_exe_flag_name(i); i++) {
		if (!(flags & (1u << i)))
			continue;
		sbuf_adds(out, first ? ",\"exe_flags\":[\"" : ",\"");
		sbuf_adds(out, json_exe_flag_name(i));
		sbuf_addc(out, '"');
		first = 0;
	}
	if (!first)
		sbuf_addc(out, ']');
}

/* ,"labels":[{"label":..,"rule":..,"seq":..,"time":..[,"file":..]}] when it carries any */
static void add_labels(struct sbuf *out, const struct cev_event *ev)
{
	char when[JSON_TIME_SIZE];

	if (!ev->n_label_info)
		return;
	sbuf_adds(out, ",\"labels\":[");
	for (uint32_t i = 0; i < ev->n_label_info; i++) {
		const struct cev_label *l = &ev->label_info[i];

		sbuf_adds(out, i ? ",{" : "{");
		add_field(out, "label", l->name);
		sbuf_addc(out, ',');
		add_field(out, "rule", l->rule);
		sbuf_adds(out, ",\"seq\":");
		if (l->seq)
			sbuf_addu(out, l->seq);
		else
			sbuf_adds(out, "null");
		sbuf_addc(out, ',');
		add_field(out, "time", l->time_ns && json_format_time(when, sizeof(when),
								       l->time_ns) == 0 ? when : NULL);
		if (l->via.len) {
			sbuf_adds(out, ",\"file\":");
			json_add_str(out, &l->via);
		}
		sbuf_addc(out, '}');
	}
	sbuf_addc(out, ']');
}

/* The process's program: "exe":..,"args":[..] and what else json_cache.h keys. */
static void add_program(struct sbuf *out, const struct cev_event *ev)
{
	const struct cev_process *pr = &ev->proc;

	add_exe_args(out, &pr->exe, &pr->args);
	add_exe_flags(out, pr->exe_prog.flags);
	if (pr->prev_exe.len) {
		sbuf_adds(out, ",\"prev_exe\":");
		json_add_str(out, &pr->prev_exe);
	}
}

static void add_lineage(struct sbuf *out, const struct cev_event *ev)
{
	if (ev->has_parent) {
		sbuf_adds(out, ",\"parent\":{\"pid\":");
		sbuf_addu(out, ev->parent.pid);
		sbuf_addc(out, ',');
		add_exe_args(out, &ev->parent.exe, &ev->parent.args);
		sbuf_addc(out, '}');
	}
	sbuf_adds(out, ",\"ancestors\":");
	json_add_str_list(out, ev->ancestors, ev->n_ancestors);
}

/* A per-process part, from cache (NULL: none) when it has it, else rendered (and kept). */
static void add_part(struct sbuf *out, const struct cev_event *ev, struct json_cache *cache,
		     enum json_part part)
{
	void (*render)(struct sbuf *, const struct cev_event *) =
		part == JSON_PART_PROGRAM ? add_program : add_lineage;
	size_t at = out->len;

	if (cache && json_cache_find(cache, ev, part, out))
		return;
	render(out, ev);
	if (cache && !sbuf_err(out))
		json_cache_store(cache, ev, part, out->p + at, out->len - at);
}

static void add_process(struct sbuf *out, const struct cev_event *ev, struct json_cache *cache)
{
	const struct cev_process *pr = &ev->proc;

	/* no printf on the hot path: the agent renders every record */
	sbuf_adds(out, "\"process\":{\"pid\":");
	sbuf_addu(out, pr->pid);
	sbuf_adds(out, ",\"tid\":");
	sbuf_addu(out, pr->tid);
	sbuf_adds(out, ",\"ppid\":");
	sbuf_addu(out, pr->ppid);
	sbuf_adds(out, ",\"uid\":");
	sbuf_addu(out, pr->uid);
	sbuf_addc(out, ',');
	add_field(out, "user", pr->user);
	sbuf_addc(out, ',');
	json_add_key(out, "comm");
	json_escape_bytes(out, pr->comm, strnlen(pr->comm, sizeof(pr->comm)));
	sbuf_addc(out, ',');
	add_part(out, ev, cache, JSON_PART_PROGRAM);
	add_labels(out, ev);
	sbuf_addc(out, ',');
	add_field(out, "cgroup", pr->cgroup);
	if (pr->container_id) {	/* only for processes in a container */
		sbuf_addc(out, ',');
		add_field(out, "container_id", pr->container_id);
	}
	sbuf_addc(out, '}');
}

/* file.identity, file.host_path, file.watched_path, file.detached
 * (events-v1 "Additions"), each only when known. */
static void add_file_identity(struct sbuf *out, const struct cev_file *f)
{
	if (f->has_identity) {
		sbuf_adds(out, ",\"identity\":{\"dev\":\"");
		sbuf_addu(out, f->dev >> 20);
		sbuf_addc(out, ':');
		sbuf_addu(out, f->dev & ((1u << 20) - 1));
		sbuf_adds(out, "\",\"ino\":");
		sbuf_addu(out, f->ino);
		sbuf_addc(out, '}');
	}
	if (f->host_path.p) {
		sbuf_adds(out, ",\"host_path\":");
		json_add_str(out, &f->host_path);
	}
	if (f->watched_path.p) {
		sbuf_adds(out, ",\"watched_path\":");
		json_add_str(out, &f->watched_path);
	}
	if (f->detached)
		sbuf_adds(out, ",\"detached\":true");
}

static void add_file(struct sbuf *out, const struct cev_file *f)
{
	static const struct { uint32_t bit; const char *name; } acc[] = {
		{ CEV_ACC_READ, "read" },
		{ CEV_ACC_WRITE, "write" },
		{ CEV_ACC_CREATE, "create" },
	};
	int first = 1;
	size_t i;

	sbuf_adds(out, "\"file\":{\"path\":");
	json_add_str(out, &f->path);
	sbuf_adds(out, ",\"access\":[");
	for (i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		if (!(f->access & acc[i].bit))
			continue;
		if (!first)
			sbuf_addc(out, ',');
		first = 0;
		sbuf_addc(out, '"');
		sbuf_adds(out, acc[i].name);
		sbuf_addc(out, '"');
	}
	sbuf_adds(out, "],\"flags\":\"");
	if (!f->unresolved)
		json_open_flags(out, f->flags);
	sbuf_adds(out, f->blocked ? "\",\"blocked\":true" : "\",\"blocked\":false");
	if (f->via) {
		sbuf_adds(out, ",\"via\":");
		json_escape_bytes(out, f->via, strlen(f->via));
		sbuf_adds(out, ",\"op\":");
		json_escape_bytes(out, f->op ? f->op : "", f->op ? strlen(f->op) : 0);
	}
	if (f->unresolved || (f->path_partial && !f->path.truncated))
		sbuf_adds(out, ",\"unresolved\":true");
	if (f->path.truncated)
		sbuf_adds(out, ",\"truncated\":true");
	add_file_identity(out, f);
	sbuf_addc(out, '}');
}

/* key (quotes and colon included), then "name", or n when there is no name
 * (the names are the renderer's constants: nothing to escape) */
static void add_name_or_number(struct sbuf *out, const char *key, const char *name, unsigned n)
{
	sbuf_adds(out, key);
	if (name) {
		sbuf_addc(out, '"');
		sbuf_adds(out, name);
		sbuf_addc(out, '"');
	} else {
		sbuf_addu(out, n);
	}
}

/* "proto": its name, or the protocol number where it has none */
static void add_proto(struct sbuf *out, uint8_t proto, uint16_t ipproto)
{
	add_name_or_number(out, "\"proto\":", cev_proto_name(proto), ipproto);
}

/* ",protocol": the number, where the name does not say it (raw, ping, MPTCP...) */
static void add_protocol(struct sbuf *out, uint8_t proto, uint16_t ipproto)
{
	if (ipproto != cev_proto_number(proto)) {
		sbuf_adds(out, ",\"protocol\":");
		sbuf_addu(out, ipproto);
	}
}

/* "family": "inet", "inet6", "packet" or the number; dest in text into buf */
static void add_family(struct sbuf *out, unsigned family, const uint8_t *addr, char *buf,
		       size_t size)
{
	buf[0] = '\0';
	add_name_or_number(out, ",\"family\":", cev_family_name(family), family);
	if (addr && (family == AF_INET || family == AF_INET6))
		inet_ntop((int)family, addr, buf, (socklen_t)size);
}

static void add_connect(struct sbuf *out, const struct cev_connect *c)
{
	char dest[INET6_ADDRSTRLEN];

	sbuf_adds(out, "\"connect\":{");
	add_proto(out, c->proto, c->ipproto);
	add_family(out, c->family, c->addr, dest, sizeof(dest));
	sbuf_adds(out, ",\"dest\":");
	json_escape_bytes(out, dest, strlen(dest));
	if (c->dest_name) {
		sbuf_adds(out, ",\"dest_name\":");
		json_escape_bytes(out, c->dest_name, strlen(c->dest_name));
	}
	sbuf_adds(out, ",\"port\":");
	sbuf_addu(out, c->port);
	add_protocol(out, c->proto, c->ipproto);
	sbuf_adds(out, c->blocked ? ",\"blocked\":true}" : ",\"blocked\":false}");
}

static void add_socket(struct sbuf *out, const struct cev_socket *k)
{
	const char *type = cev_socktype_name(k->type);
	char hop[INET6_ADDRSTRLEN];

	sbuf_adds(out, "\"socket\":{");
	add_proto(out, k->proto, k->ipproto);
	add_protocol(out, k->proto, k->ipproto);
	add_family(out, k->family, NULL, hop, sizeof(hop));
	if (type)
		sbuf_addf(out, ",\"type\":\"%s\"", type);
	else
		sbuf_addf(out, ",\"type\":%u", k->type);
	sbuf_addf(out, ",\"op\":\"%s\"", k->op == CEV_SOCK_CREATE ? "create" : "setsockopt");
	if (k->op != CEV_SOCK_CREATE) {
		sbuf_addf(out, ",\"option\":\"%s\"",
			  k->op == CEV_SOCK_IP_OPTIONS ? "IP_OPTIONS" : "IPV6_RTHDR");
		if (k->hop_family == AF_INET || k->hop_family == AF_INET6) {
			inet_ntop(k->hop_family, k->hop, hop, sizeof(hop));
			sbuf_adds(out, ",\"hop\":");
			json_escape_bytes(out, hop, strlen(hop));
		}
	}
	sbuf_addf(out, ",\"blocked\":%s}", k->blocked ? "true" : "false");
}

static void add_exec(struct sbuf *out, const struct cev_event *ev)
{
	sbuf_adds(out, "\"exec\":{");
	add_exe_args(out, &ev->proc.exe, &ev->proc.args);
	add_exe_flags(out, ev->proc.exe_prog.flags);
	sbuf_adds(out, ev->exec.blocked ? ",\"blocked\":true}" : ",\"blocked\":false}");
}

const char *json_kind_name(enum cev_kind k)
{
	switch (k) {
	case CEV_FILE: return "file";
	case CEV_CONNECT: return "connect";
	case CEV_EXEC: return "exec";
	case CEV_LOSS: return "loss";
	case CEV_SOCKET: return "socket";
	case CEV_GAP: return "gap";
	case CEV_CHECKPOINT: return "checkpoint";
	}
	return NULL;
}

/* "rule", "severity", "action", "tags" and "policy" of a rule's record */
static void add_rule(struct sbuf *out, const struct json_rule *rule, const struct json_meta *meta)
{
	add_field(out, "rule", rule->id);
	sbuf_addc(out, ',');
	add_field(out, "severity", rule->severity);
	sbuf_addc(out, ',');
	add_field(out, "action", rule->action);
	sbuf_addc(out, ',');
	json_add_key(out, "tags");
	json_add_cstr_list(out, rule->tags, rule->n_tags);
	sbuf_addc(out, ',');
	add_field(out, "policy", meta->policy);
}

int json_end_line(struct sbuf *out, size_t start)
{
	sbuf_add(out, "}\n", 2);
	if (sbuf_err(out)) {
		out->len = start;
		return -ENOMEM;
	}
	return 0;
}

int json_render_event(struct sbuf *out, const struct cev_event *ev,
		      const struct json_rule *rule, const struct json_meta *meta)
{
	size_t start = out->len;
	char when[JSON_TIME_SIZE];
	const char *kind = json_kind_name(ev->kind);
	int err;

	if (!kind || !meta || (!cev_kind_is_stream(ev->kind) && !rule))
		return -EINVAL;
	err = json_format_time(when, sizeof(when), ev->time_ns);
	if (err)
		return err;

	sbuf_adds(out, "{\"schema\":\"" JSON_SCHEMA "\",\"time\":\"");
	sbuf_adds(out, when);
	sbuf_adds(out, "\",\"seq\":");
	sbuf_addu(out, meta->seq);
	sbuf_addc(out, ',');
	if (meta->run) {
		add_field(out, "run", meta->run);
		sbuf_addc(out, ',');
	}
	add_field(out, "host", meta->host);
	sbuf_adds(out, ",\"kind\":\"");
	sbuf_adds(out, kind);
	sbuf_adds(out, "\",");

	if (cev_kind_is_stream(ev->kind)) {
		if (meta->policy) {
			add_field(out, "policy", meta->policy);
			sbuf_addc(out, ',');
		}
		json_add_stream(out, ev);
		return json_end_line(out, start);
	}
	add_rule(out, rule, meta);
	sbuf_addc(out, ',');
	add_process(out, ev, meta->cache);
	add_part(out, ev, meta->cache, JSON_PART_LINEAGE);
	sbuf_addc(out, ',');
	switch (ev->kind) {
	case CEV_FILE:
		add_file(out, &ev->file);
		break;
	case CEV_CONNECT:
		add_connect(out, &ev->conn);
		break;
	case CEV_EXEC:
		add_exec(out, ev);
		break;
	case CEV_SOCKET:
		add_socket(out, &ev->sock);
		break;
	default:	/* the stream's own records: above */
		break;
	}
	if (ev->repeat.count)
		json_add_repeat(out, &ev->repeat);
	return json_end_line(out, start);
}
