/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - render a decoded event as one custos.event/1 JSON line.
 *
 * Field order follows the example in docs/EVENTS.md exactly; readers must
 * not depend on it, but golden tests and humans diffing logs do.
 *
 * Byte strings (paths, argv, comm, exe) - the decision:
 *
 *   The kernel gives us bytes, not text, and the spec requires that the
 *   original bytes can be recovered from the line.  We therefore use the
 *   PEP 383 "surrogateescape" convention:
 *
 *   - every well-formed, shortest-form UTF-8 sequence for a scalar value
 *     (U+0000..U+10FFFF minus the surrogates) is copied literally, except
 *   - '"' and '\\' and the control bytes 0x00-0x1f and 0x7f, which are escaped
 *     (\b \t \n \f \r \" \\ or \u00XX), and
 *   - every byte that is NOT part of such a sequence (stray continuation
 *     bytes, overlong forms, UTF-8-encoded surrogates U+D800..U+DFFF, values
 *     above U+10FFFF, truncated sequences, 0xc0 0xc1 0xf5..0xff) is written
 *     as the lone low surrogate \udcXX, XX being the byte (0x80..0xff).
 *
 *   A well-formed input never produces \udcXX (UTF-8 cannot encode a
 *   surrogate), so the mapping is reversible: in Python,
 *   json.loads(line)["file"]["path"].encode("utf-8", "surrogateescape")
 *   gives back the exact bytes.  Strict parsers that reject or replace lone
 *   surrogates lose only the invalid bytes, never the structure of the line.
 *
 *   Invalid sequences are escaped one byte at a time: a byte that cannot
 *   start a valid sequence at its position is escaped and decoding resumes at
 *   the next byte.  Every byte of a "maximal subpart" after its lead is a
 *   continuation byte, which can never start a sequence, so this yields the
 *   same output as Python's decoder.
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
 * Length of the well-formed UTF-8 sequence at p (Unicode 15, table 3-7), or
 * 0 when p[0] does not start one within n bytes.
 */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;	/* continuation byte, 0xc0, 0xc1, 0xf5..0xff */
	if (n < len)
		return 0;
	/* the second byte's range excludes overlongs, surrogates, > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

void json_escape_bytes(struct sbuf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, len;

	sbuf_reserve(out, n + 2);
	sbuf_addc(out, '"');
	while (i < n) {
		/* copy the longest run that needs no escaping in one go */
		run = i;
		while (run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		       p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i) {
			sbuf_add(out, p + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = p[i];
		if (c >= 0x80) {
			len = utf8_seq_len(p + i, n - i);
			if (len) {
				sbuf_add(out, p + i, len);
				i += len;
			} else {
				char esc[] = "\\udc00";
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
				sbuf_add(out, esc, 6);
				i++;
			}
			continue;
		}
		switch (c) {
		case '"':  sbuf_add(out, "\\\"", 2); break;
		case '\\': sbuf_add(out, "\\\\", 2); break;
		case '\b': sbuf_add(out, "\\b", 2); break;
		case '\t': sbuf_add(out, "\\t", 2); break;
		case '\n': sbuf_add(out, "\\n", 2); break;
		case '\f': sbuf_add(out, "\\f", 2); break;
		case '\r': sbuf_add(out, "\\r", 2); break;
		default: {
			char esc[] = "\\u0000";
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			sbuf_add(out, esc, 6);
		}
		}
		i++;
	}
	sbuf_addc(out, '"');
}

/* v as exactly n decimal digits, zero-padded (v < 10^n). */
static void put_digits(char *p, unsigned v, int n)
{
	while (n--) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

int json_format_time(char *buf, size_t size, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000u);
	unsigned nsec = (unsigned)(ns % 1000000000u);
	struct tm tm;
	int n;

	if (size < JSON_TIME_SIZE) {
		if (size)
			buf[0] = '\0';
		return -ENOSPC;
	}
	if (!gmtime_r(&secs, &tm)) {
		buf[0] = '\0';
		return -EOVERFLOW;
	}
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
		if (n < 0 || (size_t)n >= size) {
			buf[0] = '\0';
			return -ENOSPC;
		}
		return 0;
	}
	/* the common case by hand (every record has a time): same bytes */
	put_digits(buf, (unsigned)(tm.tm_year + 1900), 4);
	buf[4] = '-';
	put_digits(buf + 5, (unsigned)tm.tm_mon + 1, 2);
	buf[7] = '-';
	put_digits(buf + 8, (unsigned)tm.tm_mday, 2);
	buf[10] = 'T';
	put_digits(buf + 11, (unsigned)tm.tm_hour, 2);
	buf[13] = ':';
	put_digits(buf + 14, (unsigned)tm.tm_min, 2);
	buf[16] = ':';
	put_digits(buf + 17, (unsigned)tm.tm_sec, 2);
	buf[19] = '.';
	put_digits(buf + 20, nsec, 9);
	buf[29] = 'Z';
	buf[30] = '\0';
	return 0;
}

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
#define K_O_TMPFILE_BIT	((uint32_t)(O_TMPFILE & ~O_DIRECTORY))	/* __O_TMPFILE */

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

static void add_key(struct sbuf *out, const char *key)
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
	add_key(out, key);
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
	add_key(out, "exe");
	json_add_str(out, exe);
	if (exe->truncated)
		sbuf_adds(out, ",\"exe_truncated\":true");
	sbuf_addc(out, ',');
	add_key(out, "args");
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
	add_key(out, "comm");
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

/* "key":"TIME" */
static void add_time_field(struct sbuf *out, const char *key, uint64_t ns)
{
	char when[JSON_TIME_SIZE];

	json_format_time(when, sizeof(when), ns);
	add_field(out, key, when);
}

/* ,"repeat":{"count":N,"first":TIME,"last":TIME} of a coalesced record */
static void add_repeat(struct sbuf *out, const struct cev_repeat *r)
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

int json_loss_has_by(const struct cev_loss *l)
{
	int by = l->n_procs > 0;

	for (int k = 0; k < CEV_LOST__COUNT; k++)
		by |= l->by_kind[k] != 0;
	return by;
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
	sbuf_adds(out, "},\"processes\":[");
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
		add_key(out, g->counted[i].name);
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
		add_key(out, "gap");
		json_add_gap(out, &ev->gap);
	} else if (ev->kind == CEV_CHECKPOINT) {
		add_key(out, "checkpoint");
		json_add_checkpoint(out, &ev->checkpoint);
	}
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
	add_key(out, "tags");
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
		add_repeat(out, &ev->repeat);
	return json_end_line(out, start);
}
