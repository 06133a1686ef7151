/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state.c - the state directory's file (state.h).
 *
 *   custos-state/1 seq=N run=HEX chain=VALUE alive=NS end=clean|running boot=ID sum=HEX
 *
 * padded with spaces to STATE_LINE bytes; sum is FNV-1a (32 bits) of the
 * bytes before " sum=".
 */
#include "agent/state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fdio.h"
#include "base/log.h"

#define STATE_MAGIC "custos-state/1"
#define STATE_BOOT_ID "/proc/sys/kernel/random/boot_id"

enum {
	STATE_LINE = 512,	/* bytes of the file: well within one page */
	STATE_DIR_MODE = 0700,
	STATE_FILE_MODE = 0600,
	RUN_ID_BYTES = 16,
};

static uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

int state_format(const struct state_rec *r, char *buf, size_t size)
{
	int n = snprintf(buf, size, STATE_MAGIC " seq=%" PRIu64 " run=%s chain=%s alive=%" PRIu64
			 " end=%s boot=%s", r->seq, r->run[0] ? r->run : "-",
			 r->chain[0] ? r->chain : "-", r->alive_ns, r->clean ? "clean" : "running",
			 r->boot[0] ? r->boot : "-");
	int m;

	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	m = snprintf(buf + n, size - (size_t)n, " sum=%08x", fnv1a(buf, (size_t)n));
	if (m < 0 || (size_t)(n + m) + 1 >= size)
		return -ENOSPC;
	memset(buf + n + m, ' ', size - (size_t)(n + m));
	buf[size - 1] = '\n';
	return 0;
}

/* The value of " key=" in line, copied into out[size]; -EINVAL when missing. */
static int field(const char *line, const char *key, char *out, size_t size)
{
	char pat[16];
	const char *p, *e;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return -EINVAL;
	p += strlen(pat);
	e = p + strcspn(p, " \n");
	if ((size_t)(e - p) >= size)
		return -EINVAL;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	if (strcmp(out, "-") == 0)
		out[0] = '\0';
	return 0;
}

int state_parse(const char *buf, size_t len, struct state_rec *r)
{
	char line[STATE_LINE + 1], num[24], end[16], sum[16];
	const char *at;

	memset(r, 0, sizeof(*r));
	if (len > STATE_LINE)
		len = STATE_LINE;
	memcpy(line, buf, len);
	line[len] = '\0';
	at = strstr(line, " sum=");
	if (strncmp(line, STATE_MAGIC " ", strlen(STATE_MAGIC) + 1) != 0 || !at ||
	    field(line, "sum", sum, sizeof(sum)) ||
	    strtoul(sum, NULL, 16) != fnv1a(line, (size_t)(at - line)))
		return -EINVAL;
	if (field(line, "seq", num, sizeof(num)))
		return -EINVAL;
	r->seq = strtoull(num, NULL, 10);
	if (field(line, "alive", num, sizeof(num)) || field(line, "end", end, sizeof(end)) ||
	    field(line, "run", r->run, sizeof(r->run)) ||
	    field(line, "chain", r->chain, sizeof(r->chain)) ||
	    field(line, "boot", r->boot, sizeof(r->boot)))
		return -EINVAL;
	r->alive_ns = strtoull(num, NULL, 10);
	r->clean = strcmp(end, "clean") == 0;
	return 0;
}

static void read_boot_id(char out[STATE_BOOT_SIZE])
{
	FILE *f = fopen(STATE_BOOT_ID, "r");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, STATE_BOOT_SIZE, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

int state_open(struct state *s, const char *dir, char *err, size_t errlen)
{
	char path[4096], buf[STATE_LINE];
	ssize_t n;
	int rc;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	read_boot_id(s->boot);
	rc = dir_make(dir, STATE_DIR_MODE);
	if (rc) {
		errbuf_set(err, errlen, "state: creating the state directory %s failed: %s; "
			   "give another one with --state-dir DIR", dir, strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/state", dir);
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, STATE_FILE_MODE);
	if (s->fd < 0) {
		rc = -errno;
		errbuf_set(err, errlen, "state: opening %s failed: %s; give another state "
			   "directory with --state-dir DIR", path, strerror(-rc));
		return rc;
	}
	if (flock(s->fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		errbuf_set(err, errlen, "state: another custos agent uses the state directory "
			   "%s: stop it, or give this one its own --state-dir", dir);
		state_free(s);
		return rc;
	}
	n = pread(s->fd, buf, sizeof(buf), 0);
	if (n > 0 && state_parse(buf, (size_t)n, &s->prev) == 0)
		s->found = 1;
	else if (n > 0)
		log_warn("state: %s is damaged: seq and the chain of records start anew "
			 "(custos events verify will show where)", path);
	return 0;
}

int state_save(struct state *s, struct state_rec *r)
{
	char buf[STATE_LINE];
	ssize_t n;

	if (s->fd < 0)
		return -EBADF;
	memcpy(r->boot, s->boot, sizeof(r->boot));
	if (state_format(r, buf, sizeof(buf)))
		return -ENOSPC;
	n = pwrite(s->fd, buf, sizeof(buf), 0);
	if (n != (ssize_t)sizeof(buf))
		return n < 0 ? -errno : -EIO;
	return 0;
}

void state_free(struct state *s)
{
	if (s->fd >= 0)
		close(s->fd);	/* releases the lock */
	s->fd = -1;
}

int state_new_run_id(char out[STATE_RUN_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[RUN_ID_BYTES];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	for (int i = 0; i < RUN_ID_BYTES; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0xf];
	}
	out[2 * RUN_ID_BYTES] = '\0';
	return 0;
}
