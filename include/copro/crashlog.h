/* SPDX-License-Identifier: MIT */
/*
 * Apple RTKit crashlog decoder (hardware.md 2.4).
 *
 * When an RTKit coprocessor crashes it writes a crashlog into the buffer
 * the AP gave its crashlog endpoint: a 0x20-byte header, then sections
 * (`Cstr` message, `Cver` firmware version, `Ctim` crash time, `Cmbx`
 * mailbox history, `Crg8` register dump, and others nobody has decoded),
 * then a `CLHE` footer. The bytes come from firmware that just crashed, so
 * they are hostile input: every length is checked before it is used.
 *
 * The decoder is sans-I/O: copro_crashlog_parse() turns a private copy of
 * the buffer into a struct copro_crashlog and never logs or allocates; the
 * formatters below turn that struct into text.
 *
 * How much is trusted after a bad section:
 *  - A bad header (too short, magic not `CLHE`, size smaller than the
 *    header or larger than the buffer) is a hard error: parse returns
 *    -EBADMSG and nothing but `error` is filled in, because without a
 *    trusted size no section boundary can be trusted either.
 *  - A malformed section stops the walk there (its size cannot be trusted,
 *    so neither can the position of the next section), but everything
 *    decoded before it is kept: parse returns COPRO_CRASHLOG_PARTIAL,
 *    `partial` is set and `error` says which section, where, and why.
 *    Someone debugging a crashed coprocessor wants the message and the
 *    registers even when the mailbox history after them is garbage.
 *  - Text that fills its section without a NUL terminator is not an
 *    error: it is cut at the section end and flagged `*_unterminated`.
 */
#ifndef COPRO_CRASHLOG_H
#define COPRO_CRASHLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <copro/export.h>
#include <copro/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A FourCC is a little-endian u32 spelled most significant byte first:
 * COPRO_CRASHLOG_CLHE reads "EHLC" in memory.
 */
#define COPRO_CRASHLOG_FOURCC(a, b, c, d)                                  \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) |                    \
	 ((uint32_t)(c) << 8) | (uint32_t)(d))
#define COPRO_CRASHLOG_CLHE COPRO_CRASHLOG_FOURCC('C', 'L', 'H', 'E')
#define COPRO_CRASHLOG_CSTR COPRO_CRASHLOG_FOURCC('C', 's', 't', 'r')
#define COPRO_CRASHLOG_CVER COPRO_CRASHLOG_FOURCC('C', 'v', 'e', 'r')
#define COPRO_CRASHLOG_CTIM COPRO_CRASHLOG_FOURCC('C', 't', 'i', 'm')
#define COPRO_CRASHLOG_CMBX COPRO_CRASHLOG_FOURCC('C', 'm', 'b', 'x')
#define COPRO_CRASHLOG_CRG8 COPRO_CRASHLOG_FOURCC('C', 'r', 'g', '8')

/* Layout (hardware.md 2.4); section contents at offsets from the payload. */
#define COPRO_CRASHLOG_HEADER_SIZE 0x20u
#define COPRO_CRASHLOG_SECTION_HEADER_SIZE 16u /* fourcc, ?, flags, size */
#define COPRO_CRASHLOG_CVER_STR_OFFSET 16u	/* after 16 unknown bytes */
#define COPRO_CRASHLOG_CMBX_TYPE_OFFSET 16u
#define COPRO_CRASHLOG_CMBX_INDEX_OFFSET 24u
#define COPRO_CRASHLOG_CMBX_ENTRIES_OFFSET 28u /* also the minimum payload */
#define COPRO_CRASHLOG_CMBX_ENTRY_SIZE 0x18u
#define COPRO_CRASHLOG_CRG8_SIZE 0x350u	/* minimum payload */

/* Bounds of what the result keeps; longer input is cut and flagged. */
#define COPRO_CRASHLOG_STR_MAX 1024	/* bytes, with the NUL */
#define COPRO_CRASHLOG_VERSION_MAX 256	/* bytes, with the NUL */
#define COPRO_CRASHLOG_MAX_MBX 128
#define COPRO_CRASHLOG_MAX_SECTIONS 32
#define COPRO_CRASHLOG_ERROR_MAX 128

/* parse(): some sections were decoded, then one was malformed. */
#define COPRO_CRASHLOG_PARTIAL 1

struct copro_crashlog_mbx_entry {
	uint64_t msg0;
	uint64_t msg1;
	uint32_t timestamp;
};

/*
 * The 0x350-byte `Crg8` payload, every byte decoded as little-endian
 * words in this order, so nothing of the dump is lost. The names of the
 * unk_* words are unknown; fp_unk is the size of q0-q31 but unconfirmed.
 */
struct copro_crashlog_regs {
	uint32_t unk_0, unk_4;
	uint64_t x[31];
	uint64_t sp, pc, psr, cpacr, fpsr, fpcr;
	uint64_t fp_unk[64];
	uint64_t far, unk_x, esr, unk_z;
};

enum copro_crashlog_section_status {
	COPRO_CRASHLOG_SECTION_DECODED,
	COPRO_CRASHLOG_SECTION_UNKNOWN,	  /* fourcc not understood: skipped */
	COPRO_CRASHLOG_SECTION_DUPLICATE, /* a second Cstr, ...: skipped */
	COPRO_CRASHLOG_SECTION_BAD,	  /* malformed: the walk stopped here */
};

struct copro_crashlog_section {
	uint32_t fourcc;
	uint32_t flags;	 /* section header word at +8 */
	uint32_t offset; /* from the start of the crashlog */
	uint32_t size;	 /* with the 16-byte section header */
	enum copro_crashlog_section_status status;
};

/* Why parsing stopped early; code 0 when it did not. */
struct copro_crashlog_error {
	int code;	 /* -EBADMSG, or 0 */
	uint32_t offset; /* of the bad header or section */
	uint32_t fourcc; /* of the bad section; 0 for the header */
	/* Complete sentence, e.g. "section 'Cmbx' at 0x48: payload 12 < 28" */
	char msg[COPRO_CRASHLOG_ERROR_MAX];
};

struct copro_crashlog {
	/* Header. */
	uint32_t version;
	uint32_t size;	/* bytes covered by the crashlog */
	uint32_t flags;

	/* Cstr: id and text; lines separated by '\n', printable ASCII. */
	bool has_str;
	bool str_unterminated, str_truncated;
	uint32_t str_id;
	char str[COPRO_CRASHLOG_STR_MAX];

	/* Cver */
	bool has_version;
	bool version_unterminated, version_truncated;
	uint8_t version_unk[16];
	char version_str[COPRO_CRASHLOG_VERSION_MAX];

	/* Ctim */
	bool has_time;
	uint64_t time;

	/*
	 * Cmbx. n_mbx_total is what the section holds; the first n_mbx of
	 * them (at most COPRO_CRASHLOG_MAX_MBX) are kept. Bytes after the last
	 * whole entry are ignored.
	 */
	bool has_mbx;
	uint32_t mbx_type, mbx_index;
	unsigned int n_mbx, n_mbx_total;
	struct copro_crashlog_mbx_entry mbx[COPRO_CRASHLOG_MAX_MBX];

	/* Crg8. regs_extra: payload bytes beyond the known 0x350. */
	bool has_regs;
	uint32_t regs_extra;
	struct copro_crashlog_regs regs;

	/*
	 * Every section seen, in order (the first COPRO_CRASHLOG_MAX_SECTIONS
	 * of n_sections_total), including unknown and bad ones.
	 */
	unsigned int n_sections, n_sections_total;
	unsigned int n_unknown;
	struct copro_crashlog_section sections[COPRO_CRASHLOG_MAX_SECTIONS];

	/* The CLHE footer; without one the crashlog may have been cut short. */
	bool has_footer;
	uint32_t footer_offset;

	bool partial;
	struct copro_crashlog_error error;
};

/*
 * Decodes the crashlog in buf (len bytes: the whole crashlog buffer, copied
 * away from the coprocessor first). Reads nothing outside buf.
 * Returns 0, COPRO_CRASHLOG_PARTIAL (see the top of this file), -EBADMSG
 * for a bad header (out->error says why; nothing else is filled in), or
 * -EINVAL for a NULL argument.
 */
COPRO_API int copro_crashlog_parse(const void *buf, size_t len,
				   struct copro_crashlog *out);

/*
 * Text. Each formatter produces the same lines: a summary, one block per
 * decoded section, unknown sections, and the parse error if any. Lines
 * never contain '\n' or non-printable bytes.
 *
 * copro_crashlog_format() hands each line to emit(), stopping at the
 * first non-zero return, which it then returns; otherwise 0.
 */
COPRO_API int copro_crashlog_format(const struct copro_crashlog *cl,
				    int (*emit)(void *ctx, const char *line),
				    void *ctx);
/* One line per line of text. 0, or -EIO when the stream failed. */
COPRO_API int copro_crashlog_print(const struct copro_crashlog *cl, FILE *out);
/* Every line through the device's log at the given level (ld NULL: stderr). */
COPRO_API void copro_crashlog_log(const struct copro_crashlog *cl,
				  const struct copro_logdev *ld,
				  enum copro_log_level level);

/* Name of an ESR_ELx exception class (ESR bits 31:26); never NULL. */
COPRO_API const char *copro_crashlog_esr_class_name(uint32_t ec);
/* "Cmbx"; bytes that are not printable become '?'. Returns buf. */
COPRO_API char *copro_crashlog_fourcc_str(uint32_t fourcc, char buf[5]);

#ifdef __cplusplus
}
#endif
#endif
