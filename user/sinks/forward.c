/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forward.c - `forward:HOST:PORT[,OPTION=VALUE]...`: ships records to a
 * Fluentd / Fluent Bit aggregator with the Fluent Forward protocol v1.  This
 * file is the sink side: the options, open and close, and the queue.
 *
 * Threading.  The agent thread calls write(): the JSON line is turned into
 * a Forward entry [EventTime, map] (forward_msg.c) and appended to a bounded
 * in-memory queue; that is all it ever does, so a slow or absent collector
 * never stalls event processing.  When the queue is full the new record is
 * dropped and counted in stats.lines_lost, which the agent reports as a
 * `kind: loss` record with where "sink:NAME".
 *
 * One worker thread per sink (forward_worker.c; several forward outputs are
 * independent) sends batches from the queue, or from the spool with
 * spool=DIR, and removes them only when they are acked: delivery is
 * at-least-once, a collector may see a batch twice, never zero times.
 */
#include "sinks/forward.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fdio.h"
#include "base/size.h"
#include "sinks/forward_internal.h"

/* the bounds of the options' values (docs/CONFIG.md) */
enum {
	TAG_PREFIX_MAX = FWD_TAG_MAX - 20,	/* room for ".connect" and more */
	QUEUE_OPT_MAX = 1 << 24,		/* records */
	MS_OPT_MAX = 3600 * 1000,		/* backoff-max-ms, drain-ms: one hour */
	PORT_MAX = 65535,
};
#define SPOOL_OPT_MAX	(1ull << 44)		/* spool-max, bytes */

/* an option name that is none of ours (no errno the option setters return) */
#define OPT_UNKNOWN	(-ENOPROTOOPT)

/* --- the agent side: JSON line -> queued entry ------------------------------ */

static int fwd_write(struct sink *s, const char *rec, size_t len)
{
	struct forward *f = s->priv;
	struct forward_entry e;
	int err;

	if (!len || rec[len - 1] != '\n')
		return -EINVAL;
	err = forward_entry_make(f->tag_prefix, rec, len - 1, &e);
	pthread_mutex_lock(&f->mu);
	if (err) {
		f->stats.errors++;
		f->stats.lines_lost++;
	} else if (f->n == f->cap || f->bytes + e.len > f->max_bytes) {
		f->stats.lines_lost++;
		forward_entry_free(&e);
		err = -ENOBUFS;
	} else {
		f->q[(f->head + f->n) % f->cap] = e;
		f->n++;
		f->bytes += e.len;
		pthread_cond_signal(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return err;
}

static int fwd_flush(struct sink *s)
{
	return 0;	/* the worker sends as soon as records are queued */
}

static int fwd_reopen(struct sink *s)
{
	return 0;	/* reconnecting is the worker's business */
}

static void fwd_get_stats(const struct sink *s, struct sink_stats *out)
{
	struct forward *f = s->priv;

	pthread_mutex_lock(&f->mu);
	*out = f->stats;
	pthread_mutex_unlock(&f->mu);
}

/* --- open / close ------------------------------------------------------------- */

static void forward_free(struct forward *f)
{
	if (!f)
		return;
	if (f->q) {
		for (size_t i = 0; i < f->n; i++)
			forward_entry_free(&f->q[(f->head + i) % f->cap]);
		free(f->q);
	}
	free(f->host);
	free(f->port);
	free(f->tag_prefix);
	free(f->spool_dir);
	free(f->shared_key);
	free(f->tls_ca);
	if (f->ssl_ctx)
		SSL_CTX_free(f->ssl_ctx);
	spool_close(f->spool);
	free(f);
}

static int fwd_close(struct sink *s)
{
	struct forward *f = s->priv;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	/* without a spool, what the collector never acked in time is lost */
	s->stats = f->stats;
	if (!f->spool)
		s->stats.lines_lost += f->n;
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	forward_free(f);
	s->priv = NULL;
	return 0;
}

static const struct sink_ops forward_ops = {
	.kind = "forward",
	.write = fwd_write,
	.flush = fwd_flush,
	.reopen = fwd_reopen,
	.close = fwd_close,
	.get_stats = fwd_get_stats,
};

/* --- the spec ------------------------------------------------------------------ */

static int parse_uint(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long x;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* HOST:PORT, HOST possibly "[v6]" */
static int parse_addr(struct forward *f, const char *a, size_t len)
{
	const char *colon = NULL;
	size_t hl, pl;
	unsigned long long port;
	char pbuf[8];

	for (size_t i = len; i > 0; i--)
		if (a[i - 1] == ':') {
			colon = a + i - 1;
			break;
		}
	if (!colon || colon == a)
		return -EINVAL;
	hl = (size_t)(colon - a);
	if (a[0] == '[') {
		if (hl < 3 || a[hl - 1] != ']')
			return -EINVAL;
		f->host = strndup(a + 1, hl - 2);
	} else {
		f->host = strndup(a, hl);
	}
	pl = (size_t)(a + len - colon - 1);
	if (pl >= sizeof(pbuf))
		return -EINVAL;
	memcpy(pbuf, colon + 1, pl);
	pbuf[pl] = '\0';
	if (parse_uint(pbuf, PORT_MAX, &port) || !port)
		return -EINVAL;
	f->port = strdup(pbuf);
	return f->host && f->port ? 0 : -ENOMEM;
}

/* *dst = a copy of val: 0 or -ENOMEM */
static int set_str(char **dst, const char *val)
{
	free(*dst);
	*dst = strdup(val);
	return *dst ? 0 : -ENOMEM;
}

/* *flag = 1 for yes, 0 for no, else -EINVAL */
static int set_choice(int *flag, const char *val, const char *yes, const char *no)
{
	if (!strcmp(val, yes))
		*flag = 1;
	else if (!strcmp(val, no))
		*flag = 0;
	else
		return -EINVAL;
	return 0;
}

/* One option: 0, -EINVAL for a bad value, -ENOMEM, or OPT_UNKNOWN. */
static int set_option(struct forward *f, const char *name, const char *val)
{
	unsigned long long v;

	if (!strcmp(name, "tag"))
		return !*val || strlen(val) > TAG_PREFIX_MAX ? -EINVAL : set_str(&f->tag_prefix, val);
	if (!strcmp(name, "compress"))
		return set_choice(&f->gzip, val, "gzip", "none");
	if (!strcmp(name, "tls"))
		return set_choice(&f->tls, val, "on", "off");
	if (!strcmp(name, "shared-key"))
		return !*val ? -EINVAL : set_str(&f->shared_key, val);
	if (!strcmp(name, "tls-ca"))
		return !*val ? -EINVAL : set_str(&f->tls_ca, val);
	if (!strcmp(name, "spool")) {
		if (!*val)
			return -EINVAL;
		if (strcmp(val, "none"))
			return set_str(&f->spool_dir, val);
		free(f->spool_dir);
		f->spool_dir = NULL;
		return 0;
	}
	if (!strcmp(name, "spool-max"))
		return size_parse(val, SPOOL_OPT_MAX, &f->spool_max) ? -EINVAL : 0;
	if (!strcmp(name, "self-hostname")) {
		if (!*val || strlen(val) >= sizeof(f->self_host))
			return -EINVAL;
		strcpy(f->self_host, val);
		return 0;
	}
	if (!strcmp(name, "queue")) {
		if (parse_uint(val, QUEUE_OPT_MAX, &v) || !v)
			return -EINVAL;
		f->cap = (size_t)v;
		return 0;
	}
	if (!strcmp(name, "backoff-max-ms")) {
		if (parse_uint(val, MS_OPT_MAX, &v) || v < FWD_BACKOFF_MIN_MS)
			return -EINVAL;
		f->backoff_max_ms = (unsigned)v;
		return 0;
	}
	if (!strcmp(name, "drain-ms")) {
		if (parse_uint(val, MS_OPT_MAX, &v))
			return -EINVAL;
		f->drain_ms = (unsigned)v;
		return 0;
	}
	return OPT_UNKNOWN;
}

/* NAME=VALUE; spec names the output in messages */
static int parse_option(struct forward *f, char *opt, char *err, size_t errlen, const char *spec)
{
	char *eq = strchr(opt, '=');
	int ret;

	if (!eq) {
		errbuf_set(err, errlen, "output '%s': option '%s' needs a value (NAME=VALUE)", spec, opt);
		return -EINVAL;
	}
	*eq = '\0';
	ret = set_option(f, opt, eq + 1);
	if (ret == -EINVAL) {
		errbuf_set(err, errlen, "output '%s': bad value '%s' for option '%s'", spec, eq + 1,
			   opt);
	} else if (ret == OPT_UNKNOWN) {
		errbuf_set(err, errlen, "output '%s': unknown option '%s' (expected tag, compress, "
			   "queue, spool, spool-max, shared-key, self-hostname, tls, tls-ca, "
			   "backoff-max-ms or drain-ms)", spec, opt);
		ret = -EINVAL;
	}
	return ret;
}

/* HOST:PORT[,OPTION=VALUE]... into f */
static int parse_spec(struct forward *f, const char *arg, char *err, size_t errlen,
		      const char *spec)
{
	const char *comma = strchr(arg, ',');
	char *copy, *opt, *save;
	int ret;

	ret = parse_addr(f, arg, comma ? (size_t)(comma - arg) : strlen(arg));
	if (ret) {
		if (ret == -EINVAL)
			errbuf_set(err, errlen, "output '%s': expected forward:HOST:PORT "
				"(IPv6 as [ADDR]:PORT, port 1-65535)", spec);
		return ret;
	}
	if (!comma)
		return 0;
	copy = strdup(comma + 1);
	if (!copy)
		return -ENOMEM;
	for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		ret = parse_option(f, opt, err, errlen, spec);
		if (ret)
			break;
	}
	free(copy);
	return ret;
}

static struct forward *forward_new(void)
{
	struct forward *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->fd = -1;
	f->cap = FWD_QUEUE_MAX_DEFAULT;
	f->max_bytes = FWD_QUEUE_BYTES_DEFAULT;
	f->backoff_ms = FWD_BACKOFF_MIN_MS;
	f->backoff_max_ms = FWD_BACKOFF_MAX_DEFAULT_MS;
	f->drain_ms = FWD_DRAIN_DEFAULT_MS;
	f->spool_max = FWD_SPOOL_MAX_DEFAULT;
	if (gethostname(f->self_host, sizeof(f->self_host) - 1))
		strcpy(f->self_host, "custos");
	f->tag_prefix = strdup("custos");
	if (!f->tag_prefix) {
		free(f);
		return NULL;
	}
	return f;
}

/* What the options ask for beyond the queue: the TLS context, the spool. */
static int open_resources(struct forward *f, char *err, size_t errlen, const char *spec)
{
	int ret;

	if (f->tls) {
		ret = forward_tls_init(f);
		if (ret == -EINVAL)
			errbuf_set(err, errlen, "output '%s': cannot load the CA certificates%s%s",
				   spec, f->tls_ca ? " from " : "", f->tls_ca ? f->tls_ca : "");
		if (ret)
			return ret;
	}
	if (f->spool_dir) {
		char serr[400];

		ret = spool_open(f->spool_dir, f->spool_max, &f->spool, serr, sizeof(serr));
		if (ret) {
			errbuf_set(err, errlen, "output '%s': %s", spec, serr);
			return ret;
		}
	}
	return 0;
}

int forward_open(struct sink *s, const char *arg, char *err, size_t errlen)
{
	struct forward *f = forward_new();
	int ret;

	if (!f)
		return -ENOMEM;
	ret = parse_spec(f, arg, err, errlen, s->name);
	if (ret)
		goto fail;
	f->q = calloc(f->cap, sizeof(*f->q));
	if (!f->q) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = open_resources(f, err, errlen, s->name);
	if (ret)
		goto fail;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	ret = -pthread_create(&f->thread, NULL, f->spool ? forward_spool_worker : forward_worker, f);
	if (ret) {
		errbuf_set(err, errlen, "output '%s': cannot start its thread: %s", s->name,
			   strerror(-ret));
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		goto fail;
	}
	s->ops = &forward_ops;
	s->priv = f;
	return 0;

fail:
	forward_free(f);
	return ret;
}
