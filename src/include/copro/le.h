/* SPDX-License-Identifier: MIT */
/*
 * Little-endian fields in byte buffers (wire formats: the Gunyah RM RPC,
 * SCMI shared memory), read and written a byte at a time so neither the
 * buffer's alignment nor the host's byte order matters. Internal.
 */
#ifndef COPRO_LE_H
#define COPRO_LE_H

#include <stdint.h>

static inline uint16_t copro_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t copro_get_le32(const uint8_t *p)
{
	return copro_get_le16(p) | (uint32_t)copro_get_le16(p + 2) << 16;
}

static inline uint64_t copro_get_le64(const uint8_t *p)
{
	return copro_get_le32(p) | (uint64_t)copro_get_le32(p + 4) << 32;
}

static inline void copro_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void copro_put_le32(uint8_t *p, uint32_t v)
{
	copro_put_le16(p, (uint16_t)v);
	copro_put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void copro_put_le64(uint8_t *p, uint64_t v)
{
	copro_put_le32(p, (uint32_t)v);
	copro_put_le32(p + 4, (uint32_t)(v >> 32));
}

#endif
