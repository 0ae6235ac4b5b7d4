/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copro/crashlog.h"
#include "copro/error.h"
#include "copro/log.h"
#include "copro/sim/crashlog_writer.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FCC COPRO_CRASHLOG_FOURCC

/* A crashlog with every known section; pointers point into itself. */
struct sample {
	struct copro_sim_crashlog_info info;
	struct copro_sim_crashlog_regs regs;
	struct copro_sim_crashlog_mbx_msg mbx[3];
};

static const char sample_str[] = "ASSERT failed: queue stuck\nat ans.c:42";
static const char sample_version[] = "RTKit_iOS-1234.56.7 RELEASE";

static void sample_init(struct sample *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < 31; i++)
		s->regs.x[i] = 0x1000000000000000ull + i * 0x11;
	for (unsigned int i = 0; i < 64; i++)
		s->regs.fp_unk[i] = 0xf00d000000000000ull + i;
	s->regs.unk_0 = 0xa0a0a0a0;
	s->regs.unk_4 = 0xa4a4a4a4;
	s->regs.sp = 0xfffffe0000123450ull;
	s->regs.pc = 0xfffffe0007654320ull;
	s->regs.psr = 0x600003c5;	/* EL1h */
	s->regs.cpacr = 0x300000;
	s->regs.fpsr = 0x10;
	s->regs.fpcr = 0x20;
	/* data abort, same EL, write, translation fault level 3 */
	s->regs.esr = 0x96000047;
	s->regs.far = 0xdead0000beef;
	s->regs.unk_x = 0x5858585858585858ull;
	s->regs.unk_z = 0x5a5a5a5a5a5a5a5aull;
	for (unsigned int i = 0; i < ARRAY_SIZE(s->mbx); i++) {
		s->mbx[i].msg0 = 0x0060000000000000ull | i;
		s->mbx[i].msg1 = 0x20 + i;
		s->mbx[i].timestamp = 0x1000 + i;
	}

	s->info.version = 2;
	s->info.flags = 0x55;
	s->info.str = sample_str;
	s->info.str_id = 0x1234;
	s->info.version_str = sample_version;
	for (unsigned int i = 0; i < 16; i++)
		s->info.version_unk[i] = (uint8_t)(0xc0 + i);
	s->info.has_time = true;
	s->info.time = 0x0123456789abcdefull;
	s->info.has_mbx = true;
	s->info.mbx_type = 7;
	s->info.mbx_index = 2;
	s->info.mbx = s->mbx;
	s->info.n_mbx = ARRAY_SIZE(s->mbx);
	s->info.regs = &s->regs;
}

/*
 * An exactly sized heap copy, so that ASan catches any read past its
 * end. `shift` misaligns it, so UBSan catches unaligned loads.
 */
struct blob {
	uint8_t *mem, *p;
	size_t len;
};

static void blob_build(struct blob *b, const struct copro_sim_crashlog_info *in,
		       size_t shift)
{
	long n = copro_sim_crashlog_write(in, NULL, 0);

	assert_true(n > 0);
	b->len = (size_t)n;
	b->mem = malloc(b->len + shift);
	assert_non_null(b->mem);
	b->p = b->mem + shift;
	assert_int_equal(copro_sim_crashlog_write(in, b->p, b->len), n);
}

static void blob_free(struct blob *b)
{
	free(b->mem);
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ---- round trips ---- */

static void check_sample(const struct copro_crashlog *cl,
			 const struct sample *s)
{
	assert_int_equal(cl->version, 2);
	assert_int_equal(cl->flags, 0x55);

	assert_true(cl->has_str);
	assert_int_equal(cl->str_id, 0x1234);
	assert_string_equal(cl->str, sample_str);
	assert_false(cl->str_unterminated);
	assert_false(cl->str_truncated);

	assert_true(cl->has_version);
	assert_string_equal(cl->version_str, sample_version);
	assert_memory_equal(cl->version_unk, s->info.version_unk, 16);
	assert_false(cl->version_unterminated);

	assert_true(cl->has_time);
	assert_true(cl->time == 0x0123456789abcdefull);

	assert_true(cl->has_mbx);
	assert_int_equal(cl->mbx_type, 7);
	assert_int_equal(cl->mbx_index, 2);
	assert_int_equal(cl->n_mbx, 3);
	assert_int_equal(cl->n_mbx_total, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_true(cl->mbx[i].msg0 == s->mbx[i].msg0);
		assert_true(cl->mbx[i].msg1 == s->mbx[i].msg1);
		assert_int_equal(cl->mbx[i].timestamp, s->mbx[i].timestamp);
	}

	assert_true(cl->has_regs);
	assert_int_equal(cl->regs_extra, 0);
	assert_int_equal(cl->regs.unk_0, s->regs.unk_0);
	assert_int_equal(cl->regs.unk_4, s->regs.unk_4);
	for (unsigned int i = 0; i < 31; i++)
		assert_true(cl->regs.x[i] == s->regs.x[i]);
	for (unsigned int i = 0; i < 64; i++)
		assert_true(cl->regs.fp_unk[i] == s->regs.fp_unk[i]);
	assert_true(cl->regs.sp == s->regs.sp);
	assert_true(cl->regs.pc == s->regs.pc);
	assert_true(cl->regs.psr == s->regs.psr);
	assert_true(cl->regs.cpacr == s->regs.cpacr);
	assert_true(cl->regs.fpsr == s->regs.fpsr);
	assert_true(cl->regs.fpcr == s->regs.fpcr);
	assert_true(cl->regs.far == s->regs.far);
	assert_true(cl->regs.unk_x == s->regs.unk_x);
	assert_true(cl->regs.esr == s->regs.esr);
	assert_true(cl->regs.unk_z == s->regs.unk_z);
}

static void test_roundtrip_every_field(void **state)
{
	(void)state;
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;

	sample_init(&s);
	for (size_t shift = 0; shift < 2; shift++) {
		blob_build(&b, &s.info, shift);
		assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
		assert_false(cl.partial);
		assert_int_equal(cl.error.code, 0);
		assert_int_equal(cl.size, b.len);
		check_sample(&cl, &s);
		assert_true(cl.has_footer);
		assert_int_equal(cl.footer_offset, b.len - 0x20);
		assert_int_equal(cl.n_unknown, 0);
		blob_free(&b);
	}
}

static void test_section_table(void **state)
{
	(void)state;
	const uint32_t order[] = { COPRO_CRASHLOG_CSTR, COPRO_CRASHLOG_CVER,
				   COPRO_CRASHLOG_CTIM, COPRO_CRASHLOG_CMBX,
				   COPRO_CRASHLOG_CRG8 };
	const size_t sizes[] = {
		align8(16 + 4 + sizeof(sample_str)),
		align8(16 + 16 + sizeof(sample_version)),
		16 + 8,
		align8(16 + 28 + 3 * 0x18),
		16 + 0x350,
	};
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;
	size_t off = 0x20;

	sample_init(&s);
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_int_equal(cl.n_sections, 5);
	assert_int_equal(cl.n_sections_total, 5);
	for (unsigned int i = 0; i < 5; i++) {
		assert_int_equal(cl.sections[i].fourcc, order[i]);
		assert_int_equal(cl.sections[i].offset, off);
		assert_int_equal(cl.sections[i].size, sizes[i]);
		assert_int_equal(cl.sections[i].status,
				 COPRO_CRASHLOG_SECTION_DECODED);
		off += sizes[i];
	}
	assert_int_equal(cl.footer_offset, off);
	assert_int_equal(b.len, off + 0x20);
	blob_free(&b);
}

static void test_fourcc_byte_order(void **state)
{
	(void)state;
	struct sample s;
	struct blob b;
	char buf[5];

	sample_init(&s);
	blob_build(&b, &s.info, 0);
	/* The spec's example: CLHE reads "EHLC" in memory. */
	assert_memory_equal(b.p, "EHLC", 4);
	assert_memory_equal(b.p + 0x20, "rtsC", 4);
	blob_free(&b);
	assert_string_equal(copro_crashlog_fourcc_str(COPRO_CRASHLOG_CMBX, buf),
			    "Cmbx");
	assert_string_equal(copro_crashlog_fourcc_str(0x43000a7f, buf),
			    "C???");
}

static void test_minimal_and_empty(void **state)
{
	(void)state;
	struct copro_sim_crashlog_info in = { .version = 1 };
	struct copro_crashlog cl;
	struct blob b;
	uint8_t hdr[0x20] = { 'E', 'H', 'L', 'C', 1, 0, 0, 0, 0x20 };

	blob_build(&b, &in, 0);
	assert_int_equal(b.len, 0x40);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_false(cl.has_str || cl.has_version || cl.has_time ||
		     cl.has_mbx || cl.has_regs);
	assert_int_equal(cl.n_sections, 0);
	assert_true(cl.has_footer);
	blob_free(&b);

	/* A bare header: nothing to decode, and no footer to say it ended. */
	assert_int_equal(copro_crashlog_parse(hdr, sizeof(hdr), &cl), 0);
	assert_int_equal(cl.n_sections, 0);
	assert_false(cl.has_footer);
}

static void test_empty_mbx(void **state)
{
	(void)state;
	struct sample s;
	struct copro_crashlog cl;
	struct blob b;

	sample_init(&s);
	s.info.n_mbx = 0;
	s.info.mbx = NULL;
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_true(cl.has_mbx);
	assert_int_equal(cl.n_mbx, 0);
	assert_int_equal(cl.n_mbx_total, 0);
	assert_int_equal(cl.mbx_type, 7);
	assert_true(cl.has_regs);
	blob_free(&b);
}

static void test_max_mbx(void **state)
{
	(void)state;
	const size_t extra = 5, n = COPRO_CRASHLOG_MAX_MBX + extra;
	struct copro_sim_crashlog_mbx_msg *msgs = calloc(n, sizeof(*msgs));
	struct copro_sim_crashlog_info in = { .has_mbx = true, .mbx = msgs };
	struct copro_crashlog cl;
	struct blob b;
	char *text = NULL;
	size_t text_len;
	FILE *f;

	assert_non_null(msgs);
	for (size_t i = 0; i < n; i++) {
		msgs[i].msg0 = 0xabc00000 + i;
		msgs[i].msg1 = i;
		msgs[i].timestamp = (uint32_t)(i * 3);
	}

	in.n_mbx = COPRO_CRASHLOG_MAX_MBX;
	blob_build(&b, &in, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_int_equal(cl.n_mbx, COPRO_CRASHLOG_MAX_MBX);
	assert_int_equal(cl.n_mbx_total, COPRO_CRASHLOG_MAX_MBX);
	for (unsigned int i = 0; i < cl.n_mbx; i++) {
		assert_true(cl.mbx[i].msg0 == 0xabc00000 + i);
		assert_int_equal(cl.mbx[i].timestamp, i * 3);
	}
	blob_free(&b);

	/* More than the result holds: the first ones are kept and counted. */
	in.n_mbx = n;
	blob_build(&b, &in, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_int_equal(cl.n_mbx, COPRO_CRASHLOG_MAX_MBX);
	assert_int_equal(cl.n_mbx_total, n);
	assert_true(cl.mbx[COPRO_CRASHLOG_MAX_MBX - 1].msg0 ==
		    0xabc00000 + COPRO_CRASHLOG_MAX_MBX - 1);
	f = open_memstream(&text, &text_len);
	assert_non_null(f);
	assert_int_equal(copro_crashlog_print(&cl, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "5 more not kept"));
	assert_non_null(strstr(text, "133 messages"));
	free(text);
	blob_free(&b);
	free(msgs);
}

static void test_unknown_and_duplicate_sections(void **state)
{
	(void)state;
	static const uint8_t junk[40] = { 1, 2, 3 };
	static const uint8_t dup_str[] = { 0x99, 0, 0, 0, 'x', 0 };
	const struct copro_sim_crashlog_extra extra[] = {
		{ FCC('C', 'x', 'y', 'z'), junk, sizeof(junk) },
		{ FCC('C', 's', 't', 'r'), dup_str, sizeof(dup_str) },
		{ FCC('C', 'e', 'm', 'p'), NULL, 0 },
	};
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;
	char *text = NULL;
	size_t text_len;
	FILE *f;

	sample_init(&s);
	s.info.extra = extra;
	s.info.n_extra = ARRAY_SIZE(extra);
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	check_sample(&cl, &s);	/* the first Cstr wins */
	assert_int_equal(cl.n_sections, 8);
	assert_int_equal(cl.n_unknown, 2);
	assert_int_equal(cl.sections[5].fourcc, FCC('C', 'x', 'y', 'z'));
	assert_int_equal(cl.sections[5].size, 16 + 40);
	assert_int_equal(cl.sections[5].status, COPRO_CRASHLOG_SECTION_UNKNOWN);
	assert_int_equal(cl.sections[6].status,
			 COPRO_CRASHLOG_SECTION_DUPLICATE);
	assert_int_equal(cl.sections[7].size, 16);
	assert_int_equal(cl.sections[7].status, COPRO_CRASHLOG_SECTION_UNKNOWN);
	assert_true(cl.has_footer);

	f = open_memstream(&text, &text_len);
	assert_non_null(f);
	assert_int_equal(copro_crashlog_print(&cl, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "section 'Cxyz' at 0x"));
	assert_non_null(strstr(text, ": 0x38 bytes, flags 0x0: unknown"));
	assert_non_null(strstr(text, "'Cstr'"));
	assert_non_null(strstr(text, "duplicate, ignored"));
	assert_non_null(strstr(text, "'Cemp'"));
	free(text);
	blob_free(&b);
}

static void test_many_sections(void **state)
{
	(void)state;
	struct copro_sim_crashlog_extra extra[COPRO_CRASHLOG_MAX_SECTIONS + 3];
	struct copro_sim_crashlog_info in = { .extra = extra,
					       .n_extra = ARRAY_SIZE(extra) };
	struct copro_crashlog cl;
	struct blob b;

	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		extra[i] = (struct copro_sim_crashlog_extra){
			FCC('X', 'x', 'x', 'a' + i % 26), NULL, 0 };
	blob_build(&b, &in, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_int_equal(cl.n_sections, COPRO_CRASHLOG_MAX_SECTIONS);
	assert_int_equal(cl.n_sections_total, ARRAY_SIZE(extra));
	assert_int_equal(cl.n_unknown, ARRAY_SIZE(extra));
	assert_true(cl.has_footer);
	blob_free(&b);
}

/* ---- text ---- */

static void test_text_sanitized(void **state)
{
	(void)state;
	struct copro_sim_crashlog_info in = {
		.str = "line\tone\r\nline\x01two\xff\n\n",
		.version_str = "v1\nv2\x7f",
	};
	struct copro_crashlog cl;
	struct blob b;

	blob_build(&b, &in, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_string_equal(cl.str, "line one\nline?two?");
	assert_string_equal(cl.version_str, "v1 v2?");
	blob_free(&b);
}

static void test_text_truncated(void **state)
{
	(void)state;
	char *long_str = malloc(3000);
	struct copro_sim_crashlog_info in = { .str = long_str };
	struct copro_crashlog cl;
	struct blob b;

	assert_non_null(long_str);
	memset(long_str, 'q', 2999);
	long_str[2999] = '\0';
	blob_build(&b, &in, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_true(cl.str_truncated);
	assert_false(cl.str_unterminated);
	assert_int_equal(strlen(cl.str), COPRO_CRASHLOG_STR_MAX - 1);
	blob_free(&b);
	free(long_str);
}

/* ---- hostile firmware ---- */

struct bad_case {
	const char *name;
	enum copro_sim_crashlog_corruption kind;
	uint32_t target;
	int ret;		/* expected from parse */
	unsigned int kept;	/* known sections decoded before the error */
	uint32_t bad_fourcc;	/* error.fourcc */
	const char *msg;	/* in error.msg */
};

static const struct bad_case bad_cases[] = {
	{ "bad magic", COPRO_SIM_CRASHLOG_BAD_MAGIC, 0, -EBADMSG, 0, 0,
	  "header: magic 0x434c4858 ('CLHX') is not 'CLHE'" },
	{ "header size > buffer", COPRO_SIM_CRASHLOG_HEADER_TOO_BIG, 0,
	  -EBADMSG, 0, 0, "exceeds the 0x" },
	{ "header size < header", COPRO_SIM_CRASHLOG_HEADER_TOO_SMALL, 0,
	  -EBADMSG, 0, 0, "header: size 0x10 < 32-byte header" },
	{ "first section size 0", COPRO_SIM_CRASHLOG_ZERO_SECTION, 0,
	  COPRO_CRASHLOG_PARTIAL, 0, COPRO_CRASHLOG_CSTR,
	  "section 'Cstr' at 0x20: size 0 < 16-byte section header" },
	{ "Cmbx size 0", COPRO_SIM_CRASHLOG_ZERO_SECTION, COPRO_CRASHLOG_CMBX,
	  COPRO_CRASHLOG_PARTIAL, 3, COPRO_CRASHLOG_CMBX,
	  "section 'Cmbx' at 0x" },
	{ "Ctim size 8", COPRO_SIM_CRASHLOG_TINY_SECTION, COPRO_CRASHLOG_CTIM,
	  COPRO_CRASHLOG_PARTIAL, 2, COPRO_CRASHLOG_CTIM,
	  "size 8 < 16-byte section header" },
	{ "Cver oversized", COPRO_SIM_CRASHLOG_OVERSIZED_SECTION,
	  COPRO_CRASHLOG_CVER, COPRO_CRASHLOG_PARTIAL, 1, COPRO_CRASHLOG_CVER,
	  "runs past the crashlog end" },
	{ "cut section header", COPRO_SIM_CRASHLOG_CUT_SECTION_HEADER, 0,
	  COPRO_CRASHLOG_PARTIAL, 5, COPRO_CRASHLOG_CLHE,
	  "8 bytes left, less than a 16-byte section header" },
	{ "no footer", COPRO_SIM_CRASHLOG_NO_FOOTER, 0, 0, 5, 0, NULL },
	{ "short Cstr", COPRO_SIM_CRASHLOG_SHORT_CSTR, 0,
	  COPRO_CRASHLOG_PARTIAL, 0, COPRO_CRASHLOG_CSTR,
	  "section 'Cstr' at 0x20: payload 2 < 4 bytes" },
	{ "unterminated Cstr", COPRO_SIM_CRASHLOG_UNTERMINATED_CSTR, 0, 0, 5,
	  0, NULL },
	{ "short Cver", COPRO_SIM_CRASHLOG_SHORT_CVER, 0,
	  COPRO_CRASHLOG_PARTIAL, 1, COPRO_CRASHLOG_CVER,
	  "payload 8 < 16 bytes" },
	{ "short Ctim", COPRO_SIM_CRASHLOG_SHORT_CTIM, 0,
	  COPRO_CRASHLOG_PARTIAL, 2, COPRO_CRASHLOG_CTIM,
	  "payload 4 < 8 bytes" },
	{ "short Cmbx", COPRO_SIM_CRASHLOG_SHORT_CMBX, 0,
	  COPRO_CRASHLOG_PARTIAL, 3, COPRO_CRASHLOG_CMBX,
	  "payload 20 < 28 bytes" },
	{ "short Crg8", COPRO_SIM_CRASHLOG_SHORT_CRG8, 0,
	  COPRO_CRASHLOG_PARTIAL, 4, COPRO_CRASHLOG_CRG8,
	  "section 'Crg8' at 0x" },
};

static unsigned int decoded_count(const struct copro_crashlog *cl)
{
	return cl->has_str + cl->has_version + cl->has_time + cl->has_mbx +
	       cl->has_regs;
}

static void check_bad_case(const struct bad_case *bc)
{
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;
	char *text = NULL;
	size_t text_len;
	FILE *f;
	int ret;

	print_message("case: %s\n", bc->name);
	sample_init(&s);
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_sim_crashlog_corrupt(b.p, b.len, bc->kind,
						    bc->target), 0);
	ret = copro_crashlog_parse(b.p, b.len, &cl);
	assert_int_equal(ret, bc->ret);
	assert_int_equal(decoded_count(&cl), bc->kept);
	if (bc->msg) {
		assert_int_equal(cl.error.code, -EBADMSG);
		assert_int_equal(cl.error.fourcc, bc->bad_fourcc);
		if (!strstr(cl.error.msg, bc->msg))
			fail_msg("'%s' lacks '%s'", cl.error.msg, bc->msg);
	} else {
		assert_int_equal(cl.error.code, 0);
	}

	if (ret < 0) {
		/* No partial trust: not even the header's words. */
		assert_int_equal(cl.version, 0);
		assert_int_equal(cl.size, 0);
		assert_int_equal(cl.n_sections, 0);
		assert_false(cl.partial);
	} else if (ret == COPRO_CRASHLOG_PARTIAL) {
		const struct copro_crashlog_section *last =
			&cl.sections[cl.n_sections - 1];

		assert_true(cl.partial);
		assert_false(cl.has_footer);
		/* A bad section is listed as such, at the error's offset. */
		if (bc->bad_fourcc != COPRO_CRASHLOG_CLHE) {
			assert_int_equal(last->status,
					 COPRO_CRASHLOG_SECTION_BAD);
			assert_int_equal(last->offset, cl.error.offset);
		}
		for (unsigned int i = 0; i + 1 < cl.n_sections; i++)
			assert_int_equal(cl.sections[i].status,
					 COPRO_CRASHLOG_SECTION_DECODED);
	}
	/* Whatever was kept is exactly what was written. */
	if (cl.has_time)
		assert_true(cl.time == s.info.time);
	if (cl.has_regs)
		assert_true(cl.regs.pc == s.regs.pc);

	f = open_memstream(&text, &text_len);
	assert_non_null(f);
	assert_int_equal(copro_crashlog_print(&cl, f), 0);
	fclose(f);
	if (bc->msg)
		assert_non_null(strstr(text, bc->msg));
	if (ret < 0)
		assert_non_null(strstr(text, "crashlog unreadable: header"));
	if (ret == COPRO_CRASHLOG_PARTIAL)
		assert_non_null(strstr(text, "error: "));
	free(text);
	blob_free(&b);
}

static void test_hostile_firmware(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++)
		check_bad_case(&bad_cases[i]);
}

static void test_cmbx_error_offset(void **state)
{
	(void)state;
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;
	char want[96];

	sample_init(&s);
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_int_equal(cl.sections[3].fourcc, COPRO_CRASHLOG_CMBX);
	snprintf(want, sizeof(want), "section 'Cmbx' at 0x%x: payload 20 < 28 bytes",
		 cl.sections[3].offset);
	assert_int_equal(copro_sim_crashlog_corrupt(
				 b.p, b.len, COPRO_SIM_CRASHLOG_SHORT_CMBX, 0),
			 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl),
			 COPRO_CRASHLOG_PARTIAL);
	assert_string_equal(cl.error.msg, want);
	assert_int_equal(cl.error.offset, cl.sections[3].offset);
	/* The Crg8 after it was never looked at. */
	assert_false(cl.has_regs);
	assert_int_equal(cl.n_sections, 4);
	blob_free(&b);
}

static void test_unterminated_str(void **state)
{
	(void)state;
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;
	size_t payload;

	sample_init(&s);
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_sim_crashlog_corrupt(
				 b.p, b.len,
				 COPRO_SIM_CRASHLOG_UNTERMINATED_CSTR, 0),
			 0);
	payload = get32(b.p + 0x20 + 12) - 16;
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_true(cl.has_str);
	assert_true(cl.str_unterminated);
	/* Cut exactly at the section end, not at the next NUL beyond it. */
	assert_int_equal(strlen(cl.str), payload - 4);
	assert_true(cl.has_version);
	assert_string_equal(cl.version_str, sample_version);
	blob_free(&b);
}

static void test_regs_extra_bytes(void **state)
{
	(void)state;
	uint8_t payload[0x350 + 24] = { 0 };
	const struct copro_sim_crashlog_extra extra[] = {
		{ COPRO_CRASHLOG_CRG8, payload, sizeof(payload) },
	};
	struct copro_sim_crashlog_info in = { .extra = extra, .n_extra = 1 };
	struct copro_crashlog cl;
	struct blob b;

	payload[8] = 0x77; /* x0 */
	blob_build(&b, &in, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_true(cl.has_regs);
	assert_int_equal(cl.regs_extra, 24);
	assert_true(cl.regs.x[0] == 0x77);
	blob_free(&b);
}

/*
 * Every prefix of a good crashlog, with the header's size cut to match:
 * nothing is read past it, and every section wholly inside is kept.
 */
static void test_every_prefix(void **state)
{
	(void)state;
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;

	sample_init(&s);
	blob_build(&b, &s.info, 0);
	for (size_t n = 0; n <= b.len; n++) {
		uint8_t *cut = malloc(n ? n : 1);
		int ret;

		assert_non_null(cut);
		memcpy(cut, b.p, n);
		if (n >= 12) {
			cut[8] = (uint8_t)n;
			cut[9] = (uint8_t)(n >> 8);
		}
		ret = copro_crashlog_parse(cut, n, &cl);
		if (n < 0x20) {
			assert_int_equal(ret, -EBADMSG);
		} else if (n == b.len) {
			assert_int_equal(ret, 0);
		} else {
			assert_true(ret == 0 || ret == COPRO_CRASHLOG_PARTIAL);
			for (unsigned int i = 0; i < cl.n_sections; i++)
				if (cl.sections[i].offset + cl.sections[i].size <= n)
					assert_int_equal(
						cl.sections[i].status,
						COPRO_CRASHLOG_SECTION_DECODED);
		}
		free(cut);
	}
	blob_free(&b);
}

static void test_parse_invalid_args(void **state)
{
	(void)state;
	struct copro_crashlog cl;
	uint8_t small[0x1f] = { 'E', 'H', 'L', 'C' };

	assert_int_equal(copro_crashlog_parse(NULL, 64, &cl), -EINVAL);
	assert_int_equal(copro_crashlog_parse(small, sizeof(small), NULL),
			 -EINVAL);
	assert_int_equal(copro_crashlog_parse(small, sizeof(small), &cl),
			 -EBADMSG);
	assert_non_null(strstr(cl.error.msg, "31 bytes < 32-byte header"));
}

/* ---- writer ---- */

static void test_writer_nospc(void **state)
{
	(void)state;
	struct sample s;
	struct blob b;
	uint8_t *buf;

	sample_init(&s);
	blob_build(&b, &s.info, 0);
	buf = malloc(b.len);
	assert_non_null(buf);
	for (size_t n = 0; n < b.len; n += 7)
		assert_int_equal(copro_sim_crashlog_write(&s.info, buf, n),
				 -ENOSPC);
	assert_int_equal(copro_sim_crashlog_write(&s.info, buf, b.len - 1),
			 -ENOSPC);
	/* Deterministic: the same input writes the same bytes. */
	assert_int_equal(copro_sim_crashlog_write(&s.info, buf, b.len), b.len);
	assert_memory_equal(buf, b.p, b.len);

	assert_int_equal(copro_sim_crashlog_write(NULL, buf, b.len), -EINVAL);
	s.info.mbx = NULL;
	assert_int_equal(copro_sim_crashlog_write(&s.info, buf, b.len), -EINVAL);
	free(buf);
	blob_free(&b);
}

static void test_corrupt_missing_target(void **state)
{
	(void)state;
	struct copro_sim_crashlog_info in = { .str = "x" };
	struct blob b;

	blob_build(&b, &in, 0);
	assert_int_equal(copro_sim_crashlog_corrupt(
				 b.p, b.len, COPRO_SIM_CRASHLOG_SHORT_CMBX, 0),
			 -ENOENT);
	assert_int_equal(copro_sim_crashlog_corrupt(
				 b.p, b.len, COPRO_SIM_CRASHLOG_ZERO_SECTION,
				 COPRO_CRASHLOG_CRG8),
			 -ENOENT);
	assert_int_equal(copro_sim_crashlog_corrupt(b.p, 8,
						    COPRO_SIM_CRASHLOG_BAD_MAGIC,
						    0),
			 -EINVAL);
	blob_free(&b);
}

/* ---- printing ---- */

static char *print_to_string(const struct copro_crashlog *cl)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(copro_crashlog_print(cl, f), 0);
	fclose(f);
	return text;
}

static void assert_contains(const char *text, const char *what)
{
	if (!strstr(text, what))
		fail_msg("output lacks '%s':\n%s", what, text);
}

static void test_print_fields(void **state)
{
	(void)state;
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;
	char *text;

	sample_init(&s);
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	text = print_to_string(&cl);
	assert_contains(text, "crashlog version 0x2, size 0x");
	assert_contains(text, "flags 0x55, 5 sections\n");
	assert_contains(text, "message (id 0x1234):\n"
			      "  ASSERT failed: queue stuck\n"
			      "  at ans.c:42\n");
	assert_contains(text, "firmware version: RTKit_iOS-1234.56.7 RELEASE\n");
	assert_contains(text, "crash time: 81985529216486895 (0x123456789abcdef)");
	assert_contains(text, "mailbox history: type 7, index 2, 3 messages");
	assert_contains(text, "#002 @0x00001002: msg0 0x0060000000000002 "
			      "msg1 0x0000000000000022");
	assert_contains(text, "x0  0x1000000000000000");
	assert_contains(text, "x30 0x10000000000001fe");
	assert_contains(text, "sp    0xfffffe0000123450");
	assert_contains(text, "pc    0xfffffe0007654320");
	assert_contains(text, "(EL1h)");
	assert_contains(text, "cpacr 0x0000000000300000");
	assert_contains(text, "esr   0x0000000096000047: data abort (same EL) "
			      "(EC 0x25), write, translation fault level 3");
	assert_contains(text, "far   0x0000dead0000beef");
	assert_contains(text, "0xa0a0a0a0 0xa4a4a4a4 0x5858585858585858");
	assert_contains(text, "fp/simd area");
	assert_contains(text, "+0x310 0xf00d00000000003c");
	assert_false(strstr(text, "footer"));
	assert_false(strstr(text, "error"));
	free(text);

	/* Without its footer the output says the crashlog may be cut. */
	cl.has_footer = false;
	text = print_to_string(&cl);
	assert_contains(text, "no 'CLHE' footer");
	free(text);
	blob_free(&b);
}

static void test_print_flags_text_problems(void **state)
{
	(void)state;
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;
	char *text;

	sample_init(&s);
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_sim_crashlog_corrupt(
				 b.p, b.len,
				 COPRO_SIM_CRASHLOG_UNTERMINATED_CSTR, 0),
			 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	text = print_to_string(&cl);
	assert_contains(text, "text not terminated");
	free(text);
	blob_free(&b);
}

static void test_esr_class_names(void **state)
{
	(void)state;
	assert_string_equal(copro_crashlog_esr_class_name(0x25),
			    "data abort (same EL)");
	assert_string_equal(copro_crashlog_esr_class_name(0x21),
			    "instruction abort (same EL)");
	assert_string_equal(copro_crashlog_esr_class_name(0x15),
			    "SVC (AArch64)");
	assert_string_equal(copro_crashlog_esr_class_name(0x3c), "BRK");
	assert_string_equal(copro_crashlog_esr_class_name(0x22),
			    "PC alignment");
	assert_string_equal(copro_crashlog_esr_class_name(0x26),
			    "SP alignment");
	assert_string_equal(copro_crashlog_esr_class_name(0x00),
			    "unknown reason");
	assert_string_equal(copro_crashlog_esr_class_name(0x3f),
			    "unallocated exception class");
	assert_string_equal(copro_crashlog_esr_class_name(1000),
			    "unallocated exception class");
}

static void test_print_brk_and_modes(void **state)
{
	(void)state;
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;
	char *text;

	sample_init(&s);
	s.regs.esr = (0x3cull << 26) | (1u << 25) | 0x4242; /* brk #0x4242 */
	s.regs.psr = 0x3c4;	/* EL1t */
	memset(s.regs.fp_unk, 0, sizeof(s.regs.fp_unk));
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	text = print_to_string(&cl);
	assert_contains(text, ": BRK (EC 0x3c), immediate 0x4242");
	assert_contains(text, "(EL1t)");
	/* An all-zero SIMD area is not worth 16 lines. */
	assert_false(strstr(text, "fp/simd"));
	free(text);
	blob_free(&b);
}

static int count_lines(void *ctx, const char *line)
{
	int *n = ctx;

	assert_null(strchr(line, '\n'));
	return ++*n == 3 ? 42 : 0;
}

static void test_format_stops_on_emit_error(void **state)
{
	(void)state;
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;
	int n = 0;
	FILE *ro;

	sample_init(&s);
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl), 0);
	assert_int_equal(copro_crashlog_format(&cl, count_lines, &n), 42);
	assert_int_equal(n, 3);
	assert_int_equal(copro_crashlog_format(NULL, count_lines, &n), -EINVAL);

	/* A stream that cannot be written is reported, not ignored. */
	ro = fopen("/dev/null", "r");
	assert_non_null(ro);
	assert_int_equal(copro_crashlog_print(&cl, ro), -EIO);
	fclose(ro);
	blob_free(&b);
}

static void test_log_lines(void **state)
{
	(void)state;
	struct test_logcap cap;
	struct copro_logdev ld;
	struct copro_crashlog cl;
	struct sample s;
	struct blob b;

	assert_int_equal(test_logcap_init(&cap), 0);
	copro_logdev_init(&ld, test_logcap_log(&cap), "ans@%x", 0x27bc00);
	sample_init(&s);
	blob_build(&b, &s.info, 0);
	assert_int_equal(copro_sim_crashlog_corrupt(
				 b.p, b.len, COPRO_SIM_CRASHLOG_SHORT_CRG8, 0),
			 0);
	assert_int_equal(copro_crashlog_parse(b.p, b.len, &cl),
			 COPRO_CRASHLOG_PARTIAL);
	copro_crashlog_log(&cl, &ld, COPRO_LOG_ERR);
	assert_true(test_logcap_contains(&cap, "err: ans@27bc00: message (id 0x1234):"));
	assert_true(test_logcap_contains(&cap, "err: ans@27bc00:   at ans.c:42"));
	assert_true(test_logcap_contains(
		&cap, "err: ans@27bc00: error: section 'Crg8' at 0x"));
	assert_true(test_logcap_contains(&cap, "payload 0x100 < 0x350 bytes"));
	test_logcap_destroy(&cap);
	blob_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_field),
		cmocka_unit_test(test_section_table),
		cmocka_unit_test(test_fourcc_byte_order),
		cmocka_unit_test(test_minimal_and_empty),
		cmocka_unit_test(test_empty_mbx),
		cmocka_unit_test(test_max_mbx),
		cmocka_unit_test(test_unknown_and_duplicate_sections),
		cmocka_unit_test(test_many_sections),
		cmocka_unit_test(test_text_sanitized),
		cmocka_unit_test(test_text_truncated),
		cmocka_unit_test(test_hostile_firmware),
		cmocka_unit_test(test_cmbx_error_offset),
		cmocka_unit_test(test_unterminated_str),
		cmocka_unit_test(test_regs_extra_bytes),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_parse_invalid_args),
		cmocka_unit_test(test_writer_nospc),
		cmocka_unit_test(test_corrupt_missing_target),
		cmocka_unit_test(test_print_fields),
		cmocka_unit_test(test_print_flags_text_problems),
		cmocka_unit_test(test_esr_class_names),
		cmocka_unit_test(test_print_brk_and_modes),
		cmocka_unit_test(test_format_stops_on_emit_error),
		cmocka_unit_test(test_log_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
