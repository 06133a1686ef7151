/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - the agent's one way to say something to a person.
 *
 * Modules never print: they call log_msg(), which hands the text to the one
 * callback main.c installed (like libbpf_set_print).  The callback pointer is
 * the only process-wide state outside main.c, on purpose: every module would
 * otherwise need a logger argument just to report.
 */
#ifndef CUSTOS_LOG_H
#define CUSTOS_LOG_H

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

typedef void (*log_fn)(enum log_level level, const char *msg, void *ctx);

void log_set(log_fn fn, void *ctx, enum log_level max);
enum log_level log_max(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
