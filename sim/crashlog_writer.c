/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "copro/sim/crashlog_writer.h"

#define FOURCC COPRO_SIM_CRASHLOG_FOURCC
#define CLHE FOURCC('C', 'L', 'H', 'E')
#define HEADER_SIZE 0x20u
#define SECTION_HEADER_SIZE 16u

/*
 * Output cursor. Writes past the end are counted but not stored, so one
 * pass both fills the buffer and finds out how much was needed.
 */
struct cursor {
	uint8_t *p;
	size_t len, off;
};

static void put(struct cursor *c, const void *data, size_t n)
{
	if (n && c->off <= c->len && n <= c->len - c->off)
		memcpy(c->p + c->off, data, n);
	c->off += n;
}

static void put_zero(struct cursor *c, size_t n)
{
	static const uint8_t zero[16];

	while (n) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);

		put(c, zero, k);
		n -= k;
	}
}

static void put32(struct cursor *c, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	put(c, b, sizeof(b));
}

static void put64(struct cursor *c, uint64_t v)
{
	put32(c, (uint32_t)v);
	put32(c, (uint32_t)(v >> 32));
}

static void poke32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t peek32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Starts a section; returns its offset for section_end(). */
static size_t section_begin(struct cursor *c, uint32_t fourcc)
{
	size_t start = c->off;

	put32(c, fourcc);
	put32(c, 0);
	put32(c, 0);	/* flags */
	put32(c, 0);	/* size, filled in by section_end() */
	return start;
}

static void section_end(struct cursor *c, size_t start)
{
	put_zero(c, (8 - c->off % 8) % 8);
	if (c->off <= c->len)
		poke32(c->p + start + 12, (uint32_t)(c->off - start));
}

static void write_str(struct cursor *c, const struct copro_sim_crashlog_info *in)
{
	size_t s = section_begin(c, FOURCC('C', 's', 't', 'r'));

	put32(c, in->str_id);
	put(c, in->str, strlen(in->str) + 1);
	section_end(c, s);
}

static void write_version(struct cursor *c,
			  const struct copro_sim_crashlog_info *in)
{
	size_t s = section_begin(c, FOURCC('C', 'v', 'e', 'r'));

	put(c, in->version_unk, sizeof(in->version_unk));
	put(c, in->version_str, strlen(in->version_str) + 1);
	section_end(c, s);
}

static void write_time(struct cursor *c, const struct copro_sim_crashlog_info *in)
{
	size_t s = section_begin(c, FOURCC('C', 't', 'i', 'm'));

	put64(c, in->time);
	section_end(c, s);
}

static void write_mbx(struct cursor *c, const struct copro_sim_crashlog_info *in)
{
	size_t s = section_begin(c, FOURCC('C', 'm', 'b', 'x'));

	put_zero(c, 16);
	put32(c, in->mbx_type);
	put32(c, 0);
	put32(c, in->mbx_index);
	for (size_t i = 0; i < in->n_mbx; i++) {
		put64(c, in->mbx[i].msg0);
		put64(c, in->mbx[i].msg1);
		put32(c, in->mbx[i].timestamp);
		put32(c, 0);
	}
	section_end(c, s);
}

static void write_regs(struct cursor *c, const struct copro_sim_crashlog_regs *r)
{
	size_t s = section_begin(c, FOURCC('C', 'r', 'g', '8'));

	put32(c, r->unk_0);
	put32(c, r->unk_4);
	for (size_t i = 0; i < 31; i++)
		put64(c, r->x[i]);
	put64(c, r->sp);
	put64(c, r->pc);
	put64(c, r->psr);
	put64(c, r->cpacr);
	put64(c, r->fpsr);
	put64(c, r->fpcr);
	for (size_t i = 0; i < 64; i++)
		put64(c, r->fp_unk[i]);
	put64(c, r->far);
	put64(c, r->unk_x);
	put64(c, r->esr);
	put64(c, r->unk_z);
	section_end(c, s);
}

long copro_sim_crashlog_write(const struct copro_sim_crashlog_info *in,
			      void *buf, size_t len)
{
	struct cursor c = { buf, len, 0 };
	size_t s;

	if (!in || (!buf && len) || (in->n_mbx && !in->mbx) ||
	    (in->n_extra && !in->extra))
		return -EINVAL;
	put32(&c, CLHE);
	put32(&c, in->version);
	put32(&c, 0);	/* size, filled in at the end */
	put32(&c, in->flags);
	put_zero(&c, 16);

	if (in->str)
		write_str(&c, in);
	if (in->version_str)
		write_version(&c, in);
	if (in->has_time)
		write_time(&c, in);
	if (in->has_mbx)
		write_mbx(&c, in);
	if (in->regs)
		write_regs(&c, in->regs);
	for (size_t i = 0; i < in->n_extra; i++) {
		if (in->extra[i].len && !in->extra[i].data)
			return -EINVAL;
		s = section_begin(&c, in->extra[i].fourcc);
		put(&c, in->extra[i].data, in->extra[i].len);
		section_end(&c, s);
	}
	s = section_begin(&c, CLHE);
	put_zero(&c, 16);
	section_end(&c, s);

	if (c.off > UINT32_MAX || c.off > LONG_MAX)
		return -EINVAL;
	if (!buf)
		return (long)c.off;	/* a size query */
	if (c.off > len)
		return -ENOSPC;
	poke32(c.p + 8, (uint32_t)c.off);
	return (long)c.off;
}

/* ---- corruption ---- */

/*
 * Offset of the first section matching `fourcc` (0: any; CLHE: the
 * footer), walking a crashlog assumed well formed; 0 when absent.
 */
static size_t find_section(const uint8_t *p, uint32_t size, uint32_t fourcc)
{
	size_t off = HEADER_SIZE;

	while (off + SECTION_HEADER_SIZE <= size) {
		uint32_t f = peek32(p + off);
		uint32_t n = peek32(p + off + 12);

		if (f == CLHE)
			return fourcc == CLHE ? off : 0;
		if (n < SECTION_HEADER_SIZE || n > size - off)
			return 0;
		if (!fourcc || f == fourcc)
			return off;
		off += n;
	}
	return 0;
}

static int shrink(uint8_t *p, uint32_t size, uint32_t fourcc, uint32_t payload)
{
	size_t off = find_section(p, size, fourcc);

	if (!off)
		return -ENOENT;
	poke32(p + off + 12, SECTION_HEADER_SIZE + payload);
	return 0;
}

int copro_sim_crashlog_corrupt(void *buf, size_t len,
			       enum copro_sim_crashlog_corruption kind,
			       uint32_t target)
{
	uint8_t *p = buf;
	uint32_t size;
	size_t off;

	if (!p || len < HEADER_SIZE || peek32(p) != CLHE)
		return -EINVAL;
	size = peek32(p + 8);
	if (size < HEADER_SIZE || size > len)
		return -EINVAL;

	switch (kind) {
	case COPRO_SIM_CRASHLOG_BAD_MAGIC:
		poke32(p, FOURCC('C', 'L', 'H', 'X'));
		return 0;
	case COPRO_SIM_CRASHLOG_HEADER_TOO_BIG:
		if (len >= UINT32_MAX)
			return -EINVAL;
		poke32(p + 8, (uint32_t)len + 1);
		return 0;
	case COPRO_SIM_CRASHLOG_HEADER_TOO_SMALL:
		poke32(p + 8, HEADER_SIZE / 2);
		return 0;
	case COPRO_SIM_CRASHLOG_ZERO_SECTION:
	case COPRO_SIM_CRASHLOG_TINY_SECTION:
	case COPRO_SIM_CRASHLOG_OVERSIZED_SECTION:
		off = find_section(p, size, target);
		if (!off)
			return -ENOENT;
		poke32(p + off + 12,
		       kind == COPRO_SIM_CRASHLOG_ZERO_SECTION	  ? 0
		       : kind == COPRO_SIM_CRASHLOG_TINY_SECTION ? 8
		       : (uint32_t)(size - off + SECTION_HEADER_SIZE));
		return 0;
	case COPRO_SIM_CRASHLOG_CUT_SECTION_HEADER:
	case COPRO_SIM_CRASHLOG_NO_FOOTER:
		off = find_section(p, size, CLHE);
		if (!off)
			return -ENOENT;
		poke32(p + 8, (uint32_t)off +
				      (kind == COPRO_SIM_CRASHLOG_NO_FOOTER ? 0
									    : 8));
		return 0;
	case COPRO_SIM_CRASHLOG_SHORT_CSTR:
		return shrink(p, size, FOURCC('C', 's', 't', 'r'), 2);
	case COPRO_SIM_CRASHLOG_UNTERMINATED_CSTR:
		off = find_section(p, size, FOURCC('C', 's', 't', 'r'));
		if (!off)
			return -ENOENT;
		/* Text (and padding) up to the last byte, no NUL anywhere. */
		for (size_t i = off + SECTION_HEADER_SIZE + 4;
		     i < off + peek32(p + off + 12); i++)
			p[i] = (uint8_t)('A' + i % 26);
		return 0;
	case COPRO_SIM_CRASHLOG_SHORT_CVER:
		return shrink(p, size, FOURCC('C', 'v', 'e', 'r'), 8);
	case COPRO_SIM_CRASHLOG_SHORT_CTIM:
		return shrink(p, size, FOURCC('C', 't', 'i', 'm'), 4);
	case COPRO_SIM_CRASHLOG_SHORT_CMBX:
		return shrink(p, size, FOURCC('C', 'm', 'b', 'x'), 20);
	case COPRO_SIM_CRASHLOG_SHORT_CRG8:
		return shrink(p, size, FOURCC('C', 'r', 'g', '8'), 0x100);
	}
	return -EINVAL;
}
