/* SPDX-License-Identifier: MIT */
/*
 * The firmware side of an RTKit crashlog (hardware.md 2.4): what a
 * crashing coprocessor writes into its crashlog buffer, for the RTKit
 * firmware model's crash injection, plus deliberate damage for tests of
 * hostile firmware.
 *
 * This is a second, independent implementation of the format (it shares
 * no code or types with the host decoder), so a round trip through both
 * checks one against the other. Output is deterministic: unknown fields
 * and padding are zero.
 *
 * Layout written: header, then Cstr, Cver, Ctim, Cmbx, Crg8 (each only when
 * asked for), then the extra sections, then a 0x20-byte CLHE footer.
 * Every section is padded to a multiple of 8 bytes.
 */
#ifndef COPRO_SIM_CRASHLOG_WRITER_H
#define COPRO_SIM_CRASHLOG_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <copro/export.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COPRO_SIM_CRASHLOG_FOURCC(a, b, c, d)                              \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) |                    \
	 ((uint32_t)(c) << 8) | (uint32_t)(d))

struct copro_sim_crashlog_mbx_msg {
	uint64_t msg0, msg1;
	uint32_t timestamp;
};

/* The 0x350-byte Crg8 dump, field by field in the order written. */
struct copro_sim_crashlog_regs {
	uint32_t unk_0, unk_4;
	uint64_t x[31];
	uint64_t sp, pc, psr, cpacr, fpsr, fpcr;
	uint64_t fp_unk[64];
	uint64_t far, unk_x, esr, unk_z;
};

/* A section the host does not know, written verbatim. */
struct copro_sim_crashlog_extra {
	uint32_t fourcc;
	const void *data;
	size_t len;
};

struct copro_sim_crashlog_info {
	uint32_t version, flags; /* header words */

	const char *str;	/* NULL: no Cstr */
	uint32_t str_id;

	const char *version_str; /* NULL: no Cver */
	uint8_t version_unk[16];

	bool has_time;
	uint64_t time;

	bool has_mbx;		/* n_mbx may be 0: an empty history */
	uint32_t mbx_type, mbx_index;
	const struct copro_sim_crashlog_mbx_msg *mbx;
	size_t n_mbx;

	const struct copro_sim_crashlog_regs *regs; /* NULL: no Crg8 */

	const struct copro_sim_crashlog_extra *extra;
	size_t n_extra;
};

/*
 * Writes the crashlog into buf. Returns the bytes used (the header's size
 * field), -ENOSPC when buf is too small (buf may then hold a partial
 * write), or -EINVAL. With buf NULL and len 0, writes nothing and returns
 * the size it would need.
 */
COPRO_API long
copro_sim_crashlog_write(const struct copro_sim_crashlog_info *info, void *buf,
			 size_t len);

/* Damage done to a well-formed crashlog, one kind at a time. */
enum copro_sim_crashlog_corruption {
	COPRO_SIM_CRASHLOG_BAD_MAGIC,	     /* header fourcc not CLHE */
	COPRO_SIM_CRASHLOG_HEADER_TOO_BIG,   /* header size > buffer length */
	COPRO_SIM_CRASHLOG_HEADER_TOO_SMALL, /* header size < 0x20 */
	COPRO_SIM_CRASHLOG_ZERO_SECTION,     /* target's size field 0 */
	COPRO_SIM_CRASHLOG_TINY_SECTION,     /* target's size 8 (< its header) */
	COPRO_SIM_CRASHLOG_OVERSIZED_SECTION, /* target runs past the end */
	COPRO_SIM_CRASHLOG_CUT_SECTION_HEADER, /* size ends inside a section header */
	COPRO_SIM_CRASHLOG_NO_FOOTER,	     /* size stops before the footer */
	COPRO_SIM_CRASHLOG_SHORT_CSTR,	     /* Cstr payload 2 bytes: no id */
	COPRO_SIM_CRASHLOG_UNTERMINATED_CSTR, /* Cstr text fills it, no NUL */
	COPRO_SIM_CRASHLOG_SHORT_CVER,	     /* Cver payload 8 bytes */
	COPRO_SIM_CRASHLOG_SHORT_CTIM,	     /* Ctim payload 4 bytes */
	COPRO_SIM_CRASHLOG_SHORT_CMBX,	     /* Cmbx payload 20 bytes */
	COPRO_SIM_CRASHLOG_SHORT_CRG8,	     /* Crg8 payload 0x100 bytes */
};

/*
 * Damages the crashlog in buf (len: the buffer's length, as the host will
 * see it). ZERO_SECTION, TINY_SECTION and OVERSIZED_SECTION hit the first
 * section whose fourcc is `target` (0: the first section); the other kinds
 * know their target and ignore it. A section made shorter leaves its old
 * bytes behind it, where the host must not look.
 * Returns 0, -ENOENT when the section to damage is not there, or -EINVAL.
 */
COPRO_API int
copro_sim_crashlog_corrupt(void *buf, size_t len,
			   enum copro_sim_crashlog_corruption kind,
			   uint32_t target);

#ifdef __cplusplus
}
#endif
#endif
