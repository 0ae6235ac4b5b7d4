/* SPDX-License-Identifier: MIT */
/*
 * Crashlog parser. Every read goes through a bounds check against the
 * span it belongs to (the crashlog, then one section's payload), and
 * multi-byte values are assembled byte by byte: the buffer has no
 * alignment we could rely on.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "copro/crashlog.h"

/* A bounded view of untrusted bytes. */
struct span {
	const uint8_t *p;
	size_t len;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Reads at `off`; the caller has checked that the span holds the bytes. */
static uint32_t span_le32(struct span s, size_t off)
{
	return le32(s.p + off);
}

static uint64_t span_le64(struct span s, size_t off)
{
	return le64(s.p + off);
}

__attribute__((format(printf, 4, 5)))
static void set_error(struct copro_crashlog *cl, uint32_t offset,
		      uint32_t fourcc, const char *fmt, ...)
{
	va_list ap;

	cl->error.code = -EBADMSG;
	cl->error.offset = offset;
	cl->error.fourcc = fourcc;
	va_start(ap, fmt);
	vsnprintf(cl->error.msg, sizeof(cl->error.msg), fmt, ap);
	va_end(ap);
}

/*
 * Copies text of unknown quality: up to the first NUL or the span's end,
 * at most dst_size - 1 bytes. Tabs become spaces, carriage returns go,
 * other bytes outside printable ASCII become '?'; newlines survive only
 * when the text is multi-line. Trailing newlines are dropped.
 */
static void copy_text(char *dst, size_t dst_size, struct span s,
		      bool multiline, bool *unterminated, bool *truncated)
{
	const uint8_t *nul = memchr(s.p, '\0', s.len);
	size_t n = nul ? (size_t)(nul - s.p) : s.len;
	size_t j = 0;

	*unterminated = !nul;
	*truncated = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s.p[i];

		if (c == '\r')
			continue;
		if (j == dst_size - 1) {
			*truncated = true;
			break;
		}
		if (c == '\t' || (c == '\n' && !multiline))
			c = ' ';
		else if (c != '\n' && (c < 0x20 || c > 0x7e))
			c = '?';
		dst[j++] = (char)c;
	}
	while (j > 0 && dst[j - 1] == '\n')
		j--;
	dst[j] = '\0';
}

/*
 * Section decoders: `pl` is the payload (the section minus its header).
 * They return 0, or set the error and return -EBADMSG.
 */

static int decode_str(struct copro_crashlog *cl, struct span pl,
		      uint32_t off)
{
	if (pl.len < 4) {
		set_error(cl, off, COPRO_CRASHLOG_CSTR,
			  "section 'Cstr' at 0x%x: payload %zu < 4 bytes",
			  off, pl.len);
		return -EBADMSG;
	}
	cl->str_id = span_le32(pl, 0);
	copy_text(cl->str, sizeof(cl->str),
		  (struct span){ pl.p + 4, pl.len - 4 }, true,
		  &cl->str_unterminated, &cl->str_truncated);
	cl->has_str = true;
	return 0;
}

static int decode_version(struct copro_crashlog *cl, struct span pl,
			  uint32_t off)
{
	const size_t str_off = COPRO_CRASHLOG_CVER_STR_OFFSET;

	if (pl.len < str_off) {
		set_error(cl, off, COPRO_CRASHLOG_CVER,
			  "section 'Cver' at 0x%x: payload %zu < %zu bytes",
			  off, pl.len, str_off);
		return -EBADMSG;
	}
	memcpy(cl->version_unk, pl.p, sizeof(cl->version_unk));
	copy_text(cl->version_str, sizeof(cl->version_str),
		  (struct span){ pl.p + str_off, pl.len - str_off }, false,
		  &cl->version_unterminated, &cl->version_truncated);
	cl->has_version = true;
	return 0;
}

static int decode_time(struct copro_crashlog *cl, struct span pl,
		       uint32_t off)
{
	if (pl.len < 8) {
		set_error(cl, off, COPRO_CRASHLOG_CTIM,
			  "section 'Ctim' at 0x%x: payload %zu < 8 bytes", off,
			  pl.len);
		return -EBADMSG;
	}
	cl->time = span_le64(pl, 0);
	cl->has_time = true;
	return 0;
}

static int decode_mbx(struct copro_crashlog *cl, struct span pl,
		      uint32_t off)
{
	const size_t first = COPRO_CRASHLOG_CMBX_ENTRIES_OFFSET;
	size_t total;

	if (pl.len < first) {
		set_error(cl, off, COPRO_CRASHLOG_CMBX,
			  "section 'Cmbx' at 0x%x: payload %zu < %zu bytes",
			  off, pl.len, first);
		return -EBADMSG;
	}
	cl->mbx_type = span_le32(pl, COPRO_CRASHLOG_CMBX_TYPE_OFFSET);
	cl->mbx_index = span_le32(pl, COPRO_CRASHLOG_CMBX_INDEX_OFFSET);
	/*
	 * The count comes from the payload, so it cannot overrun the section
	 * (counting from the whole section size, header included, would read
	 * 16 bytes past it).
	 */
	total = (pl.len - first) / COPRO_CRASHLOG_CMBX_ENTRY_SIZE;
	cl->n_mbx_total = (unsigned int)total;
	cl->n_mbx = total < COPRO_CRASHLOG_MAX_MBX ? (unsigned int)total
						   : COPRO_CRASHLOG_MAX_MBX;
	for (unsigned int i = 0; i < cl->n_mbx; i++) {
		size_t e = first + (size_t)i * COPRO_CRASHLOG_CMBX_ENTRY_SIZE;

		cl->mbx[i].msg0 = span_le64(pl, e);
		cl->mbx[i].msg1 = span_le64(pl, e + 8);
		cl->mbx[i].timestamp = span_le32(pl, e + 16);
	}
	cl->has_mbx = true;
	return 0;
}

static int decode_regs(struct copro_crashlog *cl, struct span pl,
		       uint32_t off)
{
	struct copro_crashlog_regs *r = &cl->regs;
	size_t o = 0;

	if (pl.len < COPRO_CRASHLOG_CRG8_SIZE) {
		set_error(cl, off, COPRO_CRASHLOG_CRG8,
			  "section 'Crg8' at 0x%x: payload 0x%zx < 0x%x bytes",
			  off, pl.len, COPRO_CRASHLOG_CRG8_SIZE);
		return -EBADMSG;
	}
#define TAKE32() (o += 4, span_le32(pl, o - 4))
#define TAKE64() (o += 8, span_le64(pl, o - 8))
	r->unk_0 = TAKE32();
	r->unk_4 = TAKE32();
	for (size_t i = 0; i < 31; i++)
		r->x[i] = TAKE64();
	r->sp = TAKE64();
	r->pc = TAKE64();
	r->psr = TAKE64();
	r->cpacr = TAKE64();
	r->fpsr = TAKE64();
	r->fpcr = TAKE64();
	for (size_t i = 0; i < 64; i++)
		r->fp_unk[i] = TAKE64();
	r->far = TAKE64();
	r->unk_x = TAKE64();
	r->esr = TAKE64();
	r->unk_z = TAKE64();
#undef TAKE32
#undef TAKE64
	_Static_assert(COPRO_CRASHLOG_CRG8_SIZE == 8 + (31 + 6 + 64 + 4) * 8,
		       "Crg8 layout does not add up");
	cl->regs_extra = (uint32_t)(pl.len - o);
	cl->has_regs = true;
	return 0;
}

struct section_kind {
	uint32_t fourcc;
	int (*decode)(struct copro_crashlog *cl, struct span pl, uint32_t off);
	size_t has_offset; /* of the struct's has_* flag */
};

static const struct section_kind kinds[] = {
	{ COPRO_CRASHLOG_CSTR, decode_str,
	  offsetof(struct copro_crashlog, has_str) },
	{ COPRO_CRASHLOG_CVER, decode_version,
	  offsetof(struct copro_crashlog, has_version) },
	{ COPRO_CRASHLOG_CTIM, decode_time,
	  offsetof(struct copro_crashlog, has_time) },
	{ COPRO_CRASHLOG_CMBX, decode_mbx,
	  offsetof(struct copro_crashlog, has_mbx) },
	{ COPRO_CRASHLOG_CRG8, decode_regs,
	  offsetof(struct copro_crashlog, has_regs) },
};

static const struct section_kind *find_kind(uint32_t fourcc)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].fourcc == fourcc)
			return &kinds[i];
	return NULL;
}

static void record_section(struct copro_crashlog *cl,
			   const struct copro_crashlog_section *sec)
{
	if (cl->n_sections < COPRO_CRASHLOG_MAX_SECTIONS)
		cl->sections[cl->n_sections++] = *sec;
	cl->n_sections_total++;
	if (sec->status == COPRO_CRASHLOG_SECTION_UNKNOWN)
		cl->n_unknown++;
}

/* Decodes one section whose header and size have been checked. */
static int parse_section(struct copro_crashlog *cl,
			 struct copro_crashlog_section *sec, struct span pl)
{
	const struct section_kind *kind = find_kind(sec->fourcc);
	bool *has;

	if (!kind) {
		sec->status = COPRO_CRASHLOG_SECTION_UNKNOWN;
		return 0;
	}
	/* The first copy wins: it was written closest to the crash. */
	has = (bool *)((char *)cl + kind->has_offset);
	if (*has) {
		sec->status = COPRO_CRASHLOG_SECTION_DUPLICATE;
		return 0;
	}
	if (kind->decode(cl, pl, sec->offset)) {
		sec->status = COPRO_CRASHLOG_SECTION_BAD;
		return -EBADMSG;
	}
	sec->status = COPRO_CRASHLOG_SECTION_DECODED;
	return 0;
}

static int parse_header(struct copro_crashlog *cl, struct span buf)
{
	uint32_t magic;

	if (buf.len < COPRO_CRASHLOG_HEADER_SIZE) {
		set_error(cl, 0, 0,
			  "header: buffer of %zu bytes < %u-byte header",
			  buf.len, COPRO_CRASHLOG_HEADER_SIZE);
		return -EBADMSG;
	}
	magic = span_le32(buf, 0);
	if (magic != COPRO_CRASHLOG_CLHE) {
		char s[5];

		set_error(cl, 0, 0, "header: magic 0x%08x ('%s') is not 'CLHE'",
			  magic, copro_crashlog_fourcc_str(magic, s));
		return -EBADMSG;
	}
	cl->version = span_le32(buf, 4);
	cl->size = span_le32(buf, 8);
	cl->flags = span_le32(buf, 12);
	if (cl->size < COPRO_CRASHLOG_HEADER_SIZE) {
		set_error(cl, 0, 0, "header: size 0x%x < %u-byte header",
			  cl->size, COPRO_CRASHLOG_HEADER_SIZE);
		return -EBADMSG;
	}
	if (cl->size > buf.len) {
		set_error(cl, 0, 0,
			  "header: size 0x%x exceeds the 0x%zx-byte buffer",
			  cl->size, buf.len);
		return -EBADMSG;
	}
	return 0;
}

int copro_crashlog_parse(const void *buf, size_t len,
			 struct copro_crashlog *out)
{
	struct span log = { buf, len };
	size_t off = COPRO_CRASHLOG_HEADER_SIZE;
	int ret;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!buf)
		return -EINVAL;
	ret = parse_header(out, log);
	if (ret) {
		struct copro_crashlog_error err = out->error;

		/* Nothing read from a bad header may be mistaken for data. */
		memset(out, 0, sizeof(*out));
		out->error = err;
		return ret;
	}
	log.len = out->size;

	/*
	 * Every section advances `off` by at least its 16-byte header, and
	 * `off` never passes log.len, so the walk ends.
	 */
	while (off < log.len) {
		struct copro_crashlog_section sec = { .offset = (uint32_t)off };
		size_t left = log.len - off;
		struct span payload;
		char s[5];

		if (left < COPRO_CRASHLOG_SECTION_HEADER_SIZE) {
			if (left >= 4)
				sec.fourcc = span_le32(log, off);
			set_error(out, sec.offset, sec.fourcc,
				  "section at 0x%zx: %zu bytes left, less than a %u-byte section header",
				  off, left, COPRO_CRASHLOG_SECTION_HEADER_SIZE);
			break;
		}
		sec.fourcc = span_le32(log, off);
		sec.flags = span_le32(log, off + 8);
		sec.size = span_le32(log, off + 12);
		copro_crashlog_fourcc_str(sec.fourcc, s);

		if (sec.fourcc == COPRO_CRASHLOG_CLHE) {
			out->has_footer = true;
			out->footer_offset = sec.offset;
			break;
		}
		if (sec.size < COPRO_CRASHLOG_SECTION_HEADER_SIZE) {
			sec.status = COPRO_CRASHLOG_SECTION_BAD;
			record_section(out, &sec);
			set_error(out, sec.offset, sec.fourcc,
				  "section '%s' at 0x%zx: size %u < %u-byte section header",
				  s, off, sec.size,
				  COPRO_CRASHLOG_SECTION_HEADER_SIZE);
			break;
		}
		if (sec.size > left) {
			sec.status = COPRO_CRASHLOG_SECTION_BAD;
			record_section(out, &sec);
			set_error(out, sec.offset, sec.fourcc,
				  "section '%s' at 0x%zx: size 0x%x runs past the crashlog end at 0x%zx",
				  s, off, sec.size, log.len);
			break;
		}
		payload.p = log.p + off + COPRO_CRASHLOG_SECTION_HEADER_SIZE;
		payload.len = sec.size - COPRO_CRASHLOG_SECTION_HEADER_SIZE;
		ret = parse_section(out, &sec, payload);
		record_section(out, &sec);
		if (ret)
			break;
		off += sec.size;
	}
	if (out->error.code) {
		out->partial = true;
		return COPRO_CRASHLOG_PARTIAL;
	}
	return 0;
}

char *copro_crashlog_fourcc_str(uint32_t fourcc, char buf[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)(fourcc >> (24 - 8 * i));

		buf[i] = (c >= 0x20 && c <= 0x7e) ? c : '?';
	}
	buf[4] = '\0';
	return buf;
}
