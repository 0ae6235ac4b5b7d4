/* SPDX-License-Identifier: MIT */
/*
 * The trace file, byte for byte (docs/trace.md tells the same story).
 * Everything is little-endian and unaligned; the writer and the reader
 * both go through the load/store helpers below, never through structs.
 *
 *   header   "COPROTRC" u16 version, u16 header size, u32 pid,
 *            u64 wall-clock ns at the start                    (24 bytes)
 *   records  u32 type, u32 payload length, payload
 *     INFO    board\0 backend\0                      (first, once)
 *     DEVICE  u32 id, u32 compatible bytes, u32 reg-names bytes, path\0,
 *             the compatible strings, the reg-names strings (each \0-ended)
 *     LINE    u32 line, u32 device, name\0
 *     CHUNK   u32 tid, char name[16], u32 events, u32 crc32 of the
 *             events, then the events of one thread in its order
 *     END     u64 events, u64 chunks                         (last, once)
 *
 * An event is a u8 kind, u8 flags, u16 total length, u64 ns since the
 * recording started, then the kind's payload (EV_* below give the
 * offsets from the event's start).
 */
#ifndef COPRO_TRACE_FORMAT_H
#define COPRO_TRACE_FORMAT_H

#include <stdint.h>
#include <string.h>

#define TRF_MAGIC "COPROTRC"
#define TRF_MAGIC_LEN 8
#define TRF_HEADER_SIZE 24

#define TRF_REC_HDR 8
/* No record is larger: a chunk holds at most one thread buffer. */
#define TRF_REC_MAX (16u << 20)

enum trf_record {
	TRF_INFO = 1,
	TRF_DEVICE = 2,
	TRF_LINE = 3,
	TRF_CHUNK = 4,
	TRF_END = 5,
};

#define TRF_THREAD_NAME 16
#define TRF_CHUNK_HDR (4 + TRF_THREAD_NAME + 4 + 4)
#define TRF_END_SIZE 16

/* Every event starts with this. */
#define TRF_EV_HDR 12
#define TRF_EV_MAX 255 /* the writer never makes a longer one */

/* Payload sizes (after the header), the fixed part of each kind. */
#define TRF_EV_MAP 40	      /* u32 id, u32 device, u32 reg, u32 0,
				 u64 phys, u64 size, u64 reg_off, name\0 */
#define TRF_EV_ID 4	      /* UNMAP, IRQ_FREE/ENABLE/DISABLE: u32 id */
#define TRF_EV_MMIO 24	      /* u32 region, u32 repeats, u64 off, u64 val;
				 repeats: reads after this one of the same
				 register with the same value, back to back */
#define TRF_EV_IRQ_REQUEST 8  /* u32 id, u32 line, name\0 */
#define TRF_EV_LEVEL 4	      /* u32 line; flags bit 0: level */
#define TRF_EV_HANDLER 16     /* u32 id, u32 0, u64 duration */
#define TRF_EV_DMA 20	      /* u64 phys, u64 size, i32 result */
#define TRF_EV_FAULT 16	      /* u64 phys, u64 len, who\0 */
#define TRF_EV_PR 12	      /* u32 device, u32 arg, i32 result; bit 0: on */
#define TRF_EV_FW (4 + 4 + 8 + 16 * 8) /* i32 result, u32 0, u64 duration,
					   x0..x7 in, x0..x7 out;
					   flags: the conduit */

/* MMIO flags: bit 0 write, bits 7:4 the width in bytes. */
#define TRF_MMIO_WRITE 0x01u
#define TRF_MMIO_WIDTH_SHIFT 4

/* Longest strings the writer puts in events (the reader checks less). */
#define TRF_NAME_MAX 63

static inline void trf_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void trf_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void trf_put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint16_t trf_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t trf_get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline uint64_t trf_get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#endif
