/* SPDX-License-Identifier: MIT */
/*
 * Crashlog text. One formatter produces lines; printing to a stream and
 * logging through a device are two sinks for the same lines, so a tool's
 * output and a driver's log always say the same thing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "copro/crashlog.h"

/* Long enough for the longest Cstr line plus its indent. */
#define LINE_MAX_LEN (COPRO_CRASHLOG_STR_MAX + 16)

struct out {
	int (*emit)(void *ctx, const char *line);
	void *ctx;
	int ret; /* first non-zero emit() result; later lines are dropped */
};

__attribute__((format(printf, 2, 3)))
static void line(struct out *o, const char *fmt, ...)
{
	char buf[LINE_MAX_LEN];
	va_list ap;

	if (o->ret)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->ret = o->emit(o->ctx, buf);
}

const char *copro_crashlog_esr_class_name(uint32_t ec)
{
	static const char *const names[64] = {
		[0x00] = "unknown reason",
		[0x01] = "WFI/WFE trapped",
		[0x03] = "MCR/MRC (cp15) trapped",
		[0x04] = "MCRR/MRRC (cp15) trapped",
		[0x05] = "MCR/MRC (cp14) trapped",
		[0x06] = "LDC/STC (cp14) trapped",
		[0x07] = "SIMD/FP access trapped",
		[0x0c] = "MRRC (cp14) trapped",
		[0x0d] = "branch target exception",
		[0x0e] = "illegal execution state",
		[0x11] = "SVC (AArch32)",
		[0x12] = "HVC (AArch32)",
		[0x13] = "SMC (AArch32)",
		[0x15] = "SVC (AArch64)",
		[0x16] = "HVC (AArch64)",
		[0x17] = "SMC (AArch64)",
		[0x18] = "MSR/MRS/system instruction trapped",
		[0x19] = "SVE access trapped",
		[0x1c] = "pointer authentication failure",
		[0x20] = "instruction abort (lower EL)",
		[0x21] = "instruction abort (same EL)",
		[0x22] = "PC alignment",
		[0x24] = "data abort (lower EL)",
		[0x25] = "data abort (same EL)",
		[0x26] = "SP alignment",
		[0x28] = "FP exception (AArch32)",
		[0x2c] = "FP exception (AArch64)",
		[0x2f] = "SError interrupt",
		[0x30] = "breakpoint (lower EL)",
		[0x31] = "breakpoint (same EL)",
		[0x32] = "software step (lower EL)",
		[0x33] = "software step (same EL)",
		[0x34] = "watchpoint (lower EL)",
		[0x35] = "watchpoint (same EL)",
		[0x38] = "BKPT (AArch32)",
		[0x3c] = "BRK",
	};

	if (ec < 64 && names[ec])
		return names[ec];
	return "unallocated exception class";
}

/* Data and instruction abort fault status codes (ISS bits 5:0). */
static void fault_status(char *buf, size_t size, uint32_t fsc)
{
	static const char *const by_level[] = {
		"address size fault", "translation fault", "access flag fault",
		"permission fault",
	};

	if (fsc < 0x10)
		snprintf(buf, size, "%s level %u", by_level[fsc >> 2], fsc & 3);
	else if (fsc == 0x10)
		snprintf(buf, size, "synchronous external abort");
	else if (fsc >= 0x14 && fsc <= 0x17)
		snprintf(buf, size,
			 "synchronous external abort on table walk level %u",
			 fsc & 3);
	else if (fsc == 0x18)
		snprintf(buf, size, "parity/ECC error");
	else if (fsc == 0x21)
		snprintf(buf, size, "alignment fault");
	else if (fsc == 0x30)
		snprintf(buf, size, "TLB conflict abort");
	else
		snprintf(buf, size, "fault status 0x%02x", fsc);
}

static const char *psr_mode(uint64_t psr)
{
	switch (psr & 0x1f) {
	case 0x0: return "EL0t";
	case 0x4: return "EL1t";
	case 0x5: return "EL1h";
	case 0x8: return "EL2t";
	case 0x9: return "EL2h";
	case 0xc: return "EL3t";
	case 0xd: return "EL3h";
	default: return (psr & 0x10) ? "AArch32" : "invalid mode";
	}
}

static void print_esr(struct out *o, uint64_t esr)
{
	uint32_t ec = (uint32_t)(esr >> 26) & 0x3f;
	uint32_t iss = (uint32_t)esr & 0x1ffffff;
	char detail[96] = "";

	if (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25) {
		char fsc[64];

		fault_status(fsc, sizeof(fsc), iss & 0x3f);
		/* WnR (bit 6) only means something for data aborts. */
		snprintf(detail, sizeof(detail), ", %s%s",
			 ec >= 0x24 ? ((iss & 0x40) ? "write, " : "read, ") : "",
			 fsc);
	} else if (ec == 0x15 || ec == 0x3c) {
		snprintf(detail, sizeof(detail), ", immediate 0x%x",
			 iss & 0xffff);
	}
	line(o, "  esr   0x%016llx: %s (EC 0x%02x)%s, ISS 0x%07x",
	     (unsigned long long)esr, copro_crashlog_esr_class_name(ec), ec,
	     detail, iss);
}

static void print_regs(struct out *o, const struct copro_crashlog *cl)
{
	const struct copro_crashlog_regs *r = &cl->regs;
	bool fp_any = false;

	line(o, "registers:");
	for (unsigned int i = 0; i < 31; i += 4) {
		char buf[128];
		size_t n = 0;

		for (unsigned int j = i; j < i + 4 && j < 31; j++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      "%s x%-2u 0x%016llx",
					      j == i ? " " : "", j,
					      (unsigned long long)r->x[j]);
		line(o, "%s", buf);
	}
	line(o, "  sp    0x%016llx  pc    0x%016llx",
	     (unsigned long long)r->sp, (unsigned long long)r->pc);
	line(o, "  psr   0x%016llx (%s)  cpacr 0x%016llx",
	     (unsigned long long)r->psr, psr_mode(r->psr),
	     (unsigned long long)r->cpacr);
	line(o, "  fpsr  0x%016llx  fpcr  0x%016llx",
	     (unsigned long long)r->fpsr, (unsigned long long)r->fpcr);
	print_esr(o, r->esr);
	line(o, "  far   0x%016llx", (unsigned long long)r->far);
	line(o, "  unknown: 0x%08x 0x%08x 0x%016llx 0x%016llx", r->unk_0,
	     r->unk_4, (unsigned long long)r->unk_x,
	     (unsigned long long)r->unk_z);
	/* 512 bytes of probable SIMD state: only worth lines when non-zero. */
	for (unsigned int i = 0; i < 64; i++)
		fp_any |= r->fp_unk[i] != 0;
	if (fp_any) {
		line(o, "  fp/simd area (layout unconfirmed):");
		for (unsigned int i = 0; i < 64; i += 4)
			line(o, "    +0x%03x 0x%016llx 0x%016llx 0x%016llx 0x%016llx",
			     0x130 + i * 8, (unsigned long long)r->fp_unk[i],
			     (unsigned long long)r->fp_unk[i + 1],
			     (unsigned long long)r->fp_unk[i + 2],
			     (unsigned long long)r->fp_unk[i + 3]);
	}
	if (cl->regs_extra)
		line(o, "  (%u bytes after the known layout not decoded)",
		     cl->regs_extra);
}

static void print_str(struct out *o, const struct copro_crashlog *cl)
{
	const char *p = cl->str;
	const char *end = p + strnlen(cl->str, sizeof(cl->str));

	line(o, "message (id 0x%x):", cl->str_id);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line(o, "  %.*s", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
	if (cl->str_truncated)
		line(o, "  (truncated to %d bytes)", COPRO_CRASHLOG_STR_MAX - 1);
	if (cl->str_unterminated)
		line(o, "  (text not terminated: cut at the section end)");
}

static void print_mbx(struct out *o, const struct copro_crashlog *cl)
{
	unsigned int n = cl->n_mbx < COPRO_CRASHLOG_MAX_MBX
				 ? cl->n_mbx
				 : COPRO_CRASHLOG_MAX_MBX;

	line(o, "mailbox history: type %u, index %u, %u message%s",
	     cl->mbx_type, cl->mbx_index, cl->n_mbx_total,
	     cl->n_mbx_total == 1 ? "" : "s");
	for (unsigned int i = 0; i < n; i++)
		line(o, "  #%03u @0x%08x: msg0 0x%016llx msg1 0x%016llx", i,
		     cl->mbx[i].timestamp,
		     (unsigned long long)cl->mbx[i].msg0,
		     (unsigned long long)cl->mbx[i].msg1);
	if (cl->n_mbx_total > n)
		line(o, "  (%u more not kept)", cl->n_mbx_total - n);
}

static void print_sections(struct out *o, const struct copro_crashlog *cl)
{
	unsigned int n = cl->n_sections < COPRO_CRASHLOG_MAX_SECTIONS
				 ? cl->n_sections
				 : COPRO_CRASHLOG_MAX_SECTIONS;

	for (unsigned int i = 0; i < n; i++) {
		const struct copro_crashlog_section *s = &cl->sections[i];
		const char *what;
		char fcc[5];

		if (s->status == COPRO_CRASHLOG_SECTION_UNKNOWN)
			what = "unknown, not decoded";
		else if (s->status == COPRO_CRASHLOG_SECTION_DUPLICATE)
			what = "duplicate, ignored";
		else
			continue;
		line(o, "section '%s' at 0x%x: 0x%x bytes, flags 0x%x: %s",
		     copro_crashlog_fourcc_str(s->fourcc, fcc), s->offset,
		     s->size, s->flags, what);
	}
	if (cl->n_sections_total > n)
		line(o, "(%u more sections not listed)",
		     cl->n_sections_total - n);
}

int copro_crashlog_format(const struct copro_crashlog *cl,
			  int (*emit)(void *ctx, const char *line), void *ctx)
{
	struct out o = { emit, ctx, 0 };

	if (!cl || !emit)
		return -EINVAL;
	if (cl->error.code && !cl->partial) {
		line(&o, "crashlog unreadable: %.*s",
		     (int)sizeof(cl->error.msg), cl->error.msg);
		return o.ret;
	}
	line(&o, "crashlog version 0x%x, size 0x%x, flags 0x%x, %u section%s",
	     cl->version, cl->size, cl->flags, cl->n_sections_total,
	     cl->n_sections_total == 1 ? "" : "s");
	if (cl->has_str)
		print_str(&o, cl);
	if (cl->has_version)
		line(&o, "firmware version: %.*s%s",
		     (int)sizeof(cl->version_str), cl->version_str,
		     cl->version_unterminated ? " (not terminated)"
		     : cl->version_truncated  ? " (truncated)"
					      : "");
	if (cl->has_time)
		line(&o, "crash time: %llu (0x%llx)",
		     (unsigned long long)cl->time,
		     (unsigned long long)cl->time);
	if (cl->has_mbx)
		print_mbx(&o, cl);
	if (cl->has_regs)
		print_regs(&o, cl);
	print_sections(&o, cl);
	if (cl->partial)
		line(&o, "error: %.*s; nothing after it was decoded",
		     (int)sizeof(cl->error.msg), cl->error.msg);
	else if (!cl->has_footer)
		line(&o, "no 'CLHE' footer: the crashlog may be cut short");
	return o.ret;
}

static int emit_file(void *ctx, const char *text)
{
	FILE *f = ctx;

	return fprintf(f, "%s\n", text) < 0 ? -EIO : 0;
}

int copro_crashlog_print(const struct copro_crashlog *cl, FILE *out)
{
	int ret;

	if (!out)
		return -EINVAL;
	ret = copro_crashlog_format(cl, emit_file, out);
	if (!ret && (fflush(out) || ferror(out)))
		ret = -EIO;
	return ret;
}

struct log_ctx {
	const struct copro_logdev *ld;
	enum copro_log_level level;
};

static int emit_log(void *ctx, const char *text)
{
	const struct log_ctx *lc = ctx;

	if (lc->ld)
		copro_dev_log(lc->ld, lc->level, "%s", text);
	else
		copro_logf(NULL, lc->level, NULL, "%s", text);
	return 0;
}

void copro_crashlog_log(const struct copro_crashlog *cl,
			const struct copro_logdev *ld,
			enum copro_log_level level)
{
	struct log_ctx lc = { ld, level };

	copro_crashlog_format(cl, emit_log, &lc);
}
