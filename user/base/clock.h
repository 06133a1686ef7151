/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h - the clocks the agent reads: nanoseconds of any clock, and the
 * monotonic milliseconds that every periodic task (stats, metrics, retries,
 * rescans) compares against.
 */
#ifndef CUSTOS_CLOCK_H
#define CUSTOS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000u;
}

#endif
