/* SPDX-License-Identifier: Apache-2.0 */
/*
 * be.h - big-endian integers in byte buffers, the byte order of the formats
 * custos writes itself: the forward sink's EventTime and the spool's record
 * headers and position file.  Unaligned access is fine: bytes are copied one
 * by one.
 */
#ifndef CUSTOS_BE_H
#define CUSTOS_BE_H

#include <stdint.h>

static inline void be_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static inline void be_put32(unsigned char *p, uint32_t v)
{
	be_put16(p, (uint16_t)(v >> 16));
	be_put16(p + 2, (uint16_t)v);
}

static inline void be_put64(unsigned char *p, uint64_t v)
{
	be_put32(p, (uint32_t)(v >> 32));
	be_put32(p + 4, (uint32_t)v);
}

static inline uint16_t be_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be_get32(const unsigned char *p)
{
	return (uint32_t)be_get16(p) << 16 | be_get16(p + 2);
}

static inline uint64_t be_get64(const unsigned char *p)
{
	return (uint64_t)be_get32(p) << 32 | be_get32(p + 4);
}

#endif
