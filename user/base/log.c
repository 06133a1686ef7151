/* SPDX-License-Identifier: Apache-2.0 */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>

static struct {
	log_fn fn;
	void *ctx;
	enum log_level max;
} sink = { NULL, NULL, LOG_INFO };

void log_set(log_fn fn, void *ctx, enum log_level max)
{
	sink.fn = fn;
	sink.ctx = ctx;
	sink.max = max;
}

enum log_level log_max(void)
{
	return sink.max;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!sink.fn || level > sink.max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sink.fn(level, buf, sink.ctx);
}
