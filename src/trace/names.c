// SPDX-License-Identifier: MIT
/*
 * Names for what a trace holds: event kinds, and registers by the kind of
 * device a window belongs to. The offsets come from the regs headers the
 * drivers and models share, so a name here is the name the code uses.
 */
#include <string.h>

#include <copro/regs/ans2.h>
#include <copro/regs/asc.h>
#include <copro/regs/sart.h>
#include <copro/trace.h>

const char *copro_trace_kind_name(enum copro_trace_kind kind)
{
	switch (kind) {
	case COPRO_TRACE_MAP: return "map";
	case COPRO_TRACE_UNMAP: return "unmap";
	case COPRO_TRACE_MMIO: return "mmio";
	case COPRO_TRACE_IRQ_REQUEST: return "irq-request";
	case COPRO_TRACE_IRQ_FREE: return "irq-free";
	case COPRO_TRACE_IRQ_ENABLE: return "irq-enable";
	case COPRO_TRACE_IRQ_DISABLE: return "irq-disable";
	case COPRO_TRACE_IRQ_LEVEL: return "irq-level";
	case COPRO_TRACE_IRQ_HANDLER: return "irq-handler";
	case COPRO_TRACE_DMA_ALLOC: return "dma-alloc";
	case COPRO_TRACE_DMA_ALLOC_AT: return "dma-alloc-at";
	case COPRO_TRACE_DMA_FREE: return "dma-free";
	case COPRO_TRACE_DMA_REGISTER: return "dma-register";
	case COPRO_TRACE_DMA_UNREGISTER: return "dma-unregister";
	case COPRO_TRACE_DMA_FAULT: return "dma-fault";
	case COPRO_TRACE_RESET: return "reset";
	case COPRO_TRACE_POWER: return "power";
	case COPRO_TRACE_FWCALL: return "fw-call";
	}
	return "unknown";
}

struct reg_name {
	uint32_t off;
	const char *name;
};

static const struct reg_name asc_mbox_regs[] = {
	{ ASC_A2I_CONTROL, "A2I_CONTROL" },
	{ ASC_I2A_CONTROL, "I2A_CONTROL" },
	{ ASC_A2I_SEND0, "A2I_SEND0" },
	{ ASC_A2I_SEND1, "A2I_SEND1" },
	{ ASC_A2I_RECV0, "A2I_RECV0" },
	{ ASC_A2I_RECV1, "A2I_RECV1" },
	{ ASC_I2A_SEND0, "I2A_SEND0" },
	{ ASC_I2A_SEND1, "I2A_SEND1" },
	{ ASC_I2A_RECV0, "I2A_RECV0" },
	{ ASC_I2A_RECV1, "I2A_RECV1" },
	{ 0, NULL },
};

/* The A11's ASC: only the CONTROL registers moved. */
static const struct reg_name asc_t8015_mbox_regs[] = {
	{ ASC_T8015_A2I_CONTROL, "A2I_CONTROL" },
	{ ASC_T8015_I2A_CONTROL, "I2A_CONTROL" },
	{ ASC_A2I_SEND0, "A2I_SEND0" },
	{ ASC_A2I_SEND1, "A2I_SEND1" },
	{ ASC_A2I_RECV0, "A2I_RECV0" },
	{ ASC_A2I_RECV1, "A2I_RECV1" },
	{ ASC_I2A_SEND0, "I2A_SEND0" },
	{ ASC_I2A_SEND1, "I2A_SEND1" },
	{ ASC_I2A_RECV0, "I2A_RECV0" },
	{ ASC_I2A_RECV1, "I2A_RECV1" },
	{ 0, NULL },
};

static const struct reg_name m3_mbox_regs[] = {
	{ M3_IRQ_ENABLE, "IRQ_ENABLE" },
	{ M3_IRQ_ACK, "IRQ_ACK" },
	{ M3_A2I_CONTROL, "A2I_CONTROL" },
	{ M3_A2I_SEND0, "A2I_SEND0" },
	{ M3_A2I_SEND1, "A2I_SEND1" },
	{ M3_A2I_RECV0, "A2I_RECV0" },
	{ M3_A2I_RECV1, "A2I_RECV1" },
	{ M3_I2A_CONTROL, "I2A_CONTROL" },
	{ M3_I2A_SEND0, "I2A_SEND0" },
	{ M3_I2A_SEND1, "I2A_SEND1" },
	{ M3_I2A_RECV0, "I2A_RECV0" },
	{ M3_I2A_RECV1, "I2A_RECV1" },
	{ 0, NULL },
};

static const struct reg_name asc_cpu_regs[] = {
	{ ASC_CPU_CONTROL, "CPU_CONTROL" },
	{ 0, NULL },
};

static const struct reg_name ans2_regs[] = {
	{ ANS2_NVME_CAP, "CAP" },
	{ ANS2_NVME_VS, "VS" },
	{ ANS2_NVME_CC, "CC" },
	{ ANS2_NVME_CSTS, "CSTS" },
	{ ANS2_NVME_AQA, "AQA" },
	{ ANS2_NVME_ASQ, "ASQ" },
	{ ANS2_NVME_ACQ, "ACQ" },
	{ ANS2_ACQ_DB, "ACQ_DB" },
	{ ANS2_IOCQ_DB, "IOCQ_DB" },
	{ ANS2_MAX_PEND_CMDS, "MAX_PEND_CMDS" },
	{ ANS2_BOOT_STATUS, "BOOT_STATUS" },
	{ ANS2_MODESEL, "MODESEL" },
	{ ANS2_UNKNOWN_CTRL, "UNKNOWN_CTRL" },
	{ ANS2_LINEAR_SQ_CTRL, "LINEAR_SQ_CTRL" },
	{ ANS2_LINEAR_ASQ_DB, "LINEAR_ASQ_DB" },
	{ ANS2_LINEAR_IOSQ_DB, "LINEAR_IOSQ_DB" },
	{ ANS2_NVMMU_NUM_TCBS, "NVMMU_NUM_TCBS" },
	{ ANS2_NVMMU_ASQ_TCB_BASE, "NVMMU_ASQ_TCB_BASE" },
	{ ANS2_NVMMU_IOSQ_TCB_BASE, "NVMMU_IOSQ_TCB_BASE" },
	{ ANS2_NVMMU_TCB_INVAL, "NVMMU_TCB_INVAL" },
	{ ANS2_NVMMU_TCB_STAT, "NVMMU_TCB_STAT" },
	{ 0, NULL },
};

/* The A11's controller: the standard registers and doorbells only. */
static const struct reg_name ans2_t8015_regs[] = {
	{ ANS2_NVME_CAP, "CAP" },
	{ ANS2_NVME_VS, "VS" },
	{ ANS2_NVME_CC, "CC" },
	{ ANS2_NVME_CSTS, "CSTS" },
	{ ANS2_NVME_AQA, "AQA" },
	{ ANS2_NVME_ASQ, "ASQ" },
	{ ANS2_NVME_ACQ, "ACQ" },
	{ ANS2_ASQ_DB, "ASQ_DB" },
	{ ANS2_ACQ_DB, "ACQ_DB" },
	{ ANS2_IOSQ_DB, "IOSQ_DB" },
	{ ANS2_IOCQ_DB, "IOCQ_DB" },
	{ ANS2_BOOT_STATUS, "BOOT_STATUS" },
	{ 0, NULL },
};

#define ENTRY16(m, base, stride, s)                                            \
	{ m(base, stride, 0), s "0" }, { m(base, stride, 1), s "1" },          \
	{ m(base, stride, 2), s "2" }, { m(base, stride, 3), s "3" },          \
	{ m(base, stride, 4), s "4" }, { m(base, stride, 5), s "5" },          \
	{ m(base, stride, 6), s "6" }, { m(base, stride, 7), s "7" },          \
	{ m(base, stride, 8), s "8" }, { m(base, stride, 9), s "9" },          \
	{ m(base, stride, 10), s "10" }, { m(base, stride, 11), s "11" },      \
	{ m(base, stride, 12), s "12" }, { m(base, stride, 13), s "13" },      \
	{ m(base, stride, 14), s "14" }, { m(base, stride, 15), s "15" }
#define AT(base, stride, i) ((base) + (stride) * (i))

/* The tables are spelled with the headers' macros, checked here. */
_Static_assert(SART_CONFIG(1) == AT(0x00, 4, 1) && SART_ADDR(1) == AT(0x40, 4, 1) &&
		       SART3_SIZE(1) == AT(0x80, 4, 1) && SART_MAX_ENTRIES == 16,
	       "the SART tables below follow <copro/regs/sart.h>");

static const struct reg_name sart_regs[] = {
	ENTRY16(AT, 0x00, 4, "CONFIG"),
	ENTRY16(AT, 0x40, 4, "ADDR"),
	{ 0, NULL },
};

static const struct reg_name sart3_regs[] = {
	ENTRY16(AT, 0x00, 4, "FLAGS"),
	ENTRY16(AT, 0x40, 4, "ADDR"),
	ENTRY16(AT, 0x80, 4, "SIZE"),
	{ 0, NULL },
};

/* Does the NUL-separated list [list, list + len) hold s? */
static bool in_list(const char *list, size_t len, const char *s)
{
	for (size_t at = 0; at < len; at += strlen(list + at) + 1)
		if (!strcmp(list + at, s))
			return true;
	return false;
}

/* Entry `index` of a NUL-separated list, or NULL. */
static const char *list_at(const char *list, size_t len, uint32_t index)
{
	size_t at = 0;

	for (uint32_t i = 0; at < len; i++, at += strlen(list + at) + 1)
		if (i == index)
			return list + at;
	return NULL;
}

static const struct reg_name *table_for(const struct copro_trace_device *d,
					uint32_t reg)
{
	const char *rname = list_at(d->reg_names, d->reg_names_len, reg);

#define IS(c) in_list(d->compat_list, d->compat_len, c)
	if (IS(ASC_COMPAT_T8015))
		return asc_t8015_mbox_regs;
	if (IS(ASC_COMPAT_M3))
		return m3_mbox_regs;
	if (IS("apple,asc-mailbox") || IS("apple,asc-mailbox-v4"))
		return asc_mbox_regs;
	if (IS("apple,nvme-ans2") || IS("apple,t8015-nvme-ans2")) {
		if (rname && !strcmp(rname, "nvme"))
			return IS("apple,t8015-nvme-ans2") ? ans2_t8015_regs
							   : ans2_regs;
		if (rname && !strcmp(rname, "ans"))
			return asc_cpu_regs;
		return NULL;
	}
	if (IS(SART_COMPAT_V3))
		return sart3_regs;
	if (IS(SART_COMPAT_V0) || IS(SART_COMPAT_V2))
		return sart_regs;
#undef IS
	return NULL;
}

const char *copro_trace_reg_name(const struct copro_trace_info *info,
				 const struct copro_trace_region *r,
				 uint64_t off)
{
	const struct reg_name *t;
	uint64_t at;

	if (r->device >= info->ndevices)
		return NULL;
	t = table_for(&info->devices[r->device], r->reg);
	if (!t || off > UINT64_MAX - r->reg_off)
		return NULL;
	at = r->reg_off + off;
	for (; t->name; t++)
		if (t->off == at)
			return t->name;
	return NULL;
}

const struct copro_trace_line *copro_trace_line_find(
	const struct copro_trace_info *info, uint32_t line)
{
	for (size_t i = 0; i < info->nlines; i++)
		if (info->lines[i].line == line)
			return &info->lines[i];
	return NULL;
}
