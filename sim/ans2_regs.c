/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 model's register file (the "nvme" region) and the controller
 * state machine behind it: CC/CSTS, BOOT_STATUS, and what the firmware
 * going up, down or crashing does to the controller.
 *
 * Registers are 32 bits wide; the 64-bit ones (CAP, ASQ, ACQ, the TCB
 * bases) also take 64-bit accesses. While a power domain is off or the
 * reset is asserted the block is not there: reads return all ones,
 * writes are dropped, both logged once per power-off.
 *
 * CC.EN 0 to 1 makes the controller ready (CSTS.RDY) only when the
 * firmware is up and the admin queues are valid (AQA within the
 * generation's admin depths, page-aligned ASQ and ACQ in DMA memory);
 * invalid ones set CSTS.CFS. CC.EN 1 to 0 stops every command and
 * forgets the I/O queues and TCBs, keeping AQA, ASQ and ACQ as NVMe
 * does. MAX_PEND_CMDS and MODESEL hold what is written; the queue depths
 * are the limits.
 *
 * The A11 generation has the standard registers, the four standard
 * doorbells and BOOT_STATUS only: the M1's linear-queue, NVMMU,
 * MAX_PEND_CMDS, MODESEL and UNKNOWN_CTRL registers are not there (an
 * access is a bad access). The M1 generation has no SQ tail doorbells.
 * MODESEL (0x1304, M1) is written 0 by u-boot and OpenBSD before enabling
 * the controller and never by Linux; what else it selects is not public,
 * so the model holds the value and does nothing else with it (0 being
 * the only value real drivers write, and the reset value).
 */
#include <inttypes.h>

#include <copro/sim/bus.h>
#include <copro/error.h>

#include "ans2_internal.h"

/* MQES the generation's largest queue, 0-based; DSTRD 0; TO 1 s. */
static uint64_t cap_value(const struct copro_sim_ans2 *m)
{
	return (m->gen->max_entries - 1) | ANS2_CAP_CQR |
	       (uint64_t)2 << ANS2_CAP_TO_SHIFT | ANS2_CAP_CSS_NVM;
}

/* ---- state transitions (ctl_lock held) ------------------------------- */

/* Everything a power-off or reset forgets. */
void ans2_regs_reset(struct copro_sim_ans2 *m)
{
	copro_mutex_lock(&m->lock);
	m->cc = m->aqa = m->max_pend = m->modesel = 0;
	m->asq = m->acq = 0;
	copro_mutex_unlock(&m->lock);
	atomic_store(&m->csts, 0);
	atomic_store(&m->linear, 0);
	atomic_store(&m->tcb_stat, 0);
	atomic_store(&m->unknown_ctrl, ANS2_PRP_NULL_CHECK);
	atomic_store(&m->num_tcbs, 0);
	atomic_store(&m->tcb_base[ANS2_QA], 0);
	atomic_store(&m->tcb_base[ANS2_QIO], 0);
	atomic_store(&m->wce, true);
}

void ans2_stop(struct copro_sim_ans2 *m)
{
	ans2_quiesce(m);
	ans2_queues_reset(m);
}

static void enable(struct copro_sim_ans2 *m, uint32_t cc)
{
	const char *why = NULL;
	uint64_t asq, acq;
	uint32_t aqa;

	if (atomic_load(&m->crashed)) {
		copro_dev_err(&m->ld, "CC.EN: the coprocessor has crashed,"
			      " the controller stays dead");
		return;
	}
	if (!atomic_load(&m->fw_up)) {
		copro_dev_warn(&m->ld, "CC.EN set before the firmware booted"
			       " (BOOT_STATUS not OK): CSTS.RDY stays clear");
		return;
	}
	copro_mutex_lock(&m->lock);
	if (cc & ANS2_CC_MPS_MASK)
		why = "CC.MPS: only 4 KiB host pages are supported";
	else
		why = ans2_admin_setup(m);
	aqa = m->aqa;
	asq = m->asq;
	acq = m->acq;
	copro_mutex_unlock(&m->lock);
	if (why) {
		copro_dev_err(&m->ld, "cannot enable: %s (CC 0x%" PRIx32
			      ", AQA 0x%" PRIx32 ", ASQ 0x%" PRIx64
			      ", ACQ 0x%" PRIx64 "): controller fatal status",
			      why, cc, aqa, asq, acq);
		atomic_fetch_or(&m->csts, ANS2_CSTS_CFS);
		return;
	}
	atomic_fetch_add(&m->epoch, 1);
	atomic_store(&m->csts, ANS2_CSTS_RDY);
	atomic_store(&m->ready, true);
	copro_dev_dbg(&m->ld, "controller enabled");
}

static void disable(struct copro_sim_ans2 *m)
{
	struct ans2_cq *cq = &m->cq[ANS2_QIO];
	bool ioq;

	copro_spin_lock(&cq->lock);
	ioq = cq->depth || atomic_load(&m->sq[ANS2_QIO].depth);
	copro_spin_unlock(&cq->lock);
	if (ioq)
		ans2_count(&m->st.disabled_with_ioq, 1);
	ans2_stop(m);
	atomic_store(&m->tcb_stat, 0);
	atomic_store(&m->csts, atomic_load(&m->crashed) ? ANS2_CSTS_CFS : 0);
	copro_dev_dbg(&m->ld, "controller disabled");
}

static void cc_write(struct copro_sim_ans2 *m, uint32_t val)
{
	uint32_t old;

	copro_mutex_lock(&m->ctl_lock);
	copro_mutex_lock(&m->lock);
	old = m->cc;
	m->cc = val;
	copro_mutex_unlock(&m->lock);
	if (!(old & ANS2_CC_EN) && (val & ANS2_CC_EN))
		enable(m, val);
	else if ((old & ANS2_CC_EN) && !(val & ANS2_CC_EN))
		disable(m);
	/* Shutdown notification: make everything written durable. */
	if ((val & ANS2_CC_SHN_MASK) && !(old & ANS2_CC_SHN_MASK)) {
		ans2_disk_sync(m, false);
		atomic_fetch_or(&m->csts, ANS2_CSTS_SHST_CMPLT);
	}
	copro_mutex_unlock(&m->ctl_lock);
}

void ans2_fatal(struct copro_sim_ans2 *m)
{
	atomic_store(&m->ready, false);
	atomic_fetch_add(&m->epoch, 1);
	atomic_fetch_or(&m->csts, ANS2_CSTS_CFS);
}

void ans2_fw_up(struct copro_sim_ans2 *m)
{
	copro_mutex_lock(&m->ctl_lock);
	atomic_store(&m->crashed, false);
	atomic_store(&m->fw_up, true);
	copro_mutex_unlock(&m->ctl_lock);
	copro_dev_dbg(&m->ld, "firmware up");
}

void ans2_fw_down(struct copro_sim_ans2 *m, bool crashed)
{
	copro_mutex_lock(&m->ctl_lock);
	atomic_store(&m->fw_up, false);
	if (crashed) {
		/* Whatever is in flight never completes. */
		atomic_store(&m->crashed, true);
		atomic_fetch_or(&m->csts, ANS2_CSTS_CFS);
		ans2_quiesce(m);
	} else {
		ans2_stop(m);
		atomic_fetch_and(&m->csts, ~ANS2_CSTS_RDY);
	}
	copro_mutex_unlock(&m->ctl_lock);
	copro_dev_dbg(&m->ld, "firmware down%s", crashed ? " (crashed)" : "");
}

void ans2_crash_now(struct copro_sim_ans2 *m)
{
	copro_dev_err(&m->ld, "injected coprocessor crash");
	atomic_store(&m->crashed, true);
	ans2_fatal(m);
	ans2_fw_crash(m, "ANS2: injected crash in the middle of I/O");
}

/* ---- registers ------------------------------------------------------ */

static void bad_access(struct copro_sim_ans2 *m, const char *what,
		       uint64_t off, unsigned width)
{
	ans2_count(&m->st.bad_accesses, 1);
	copro_dev_warn(&m->ld, "bad %u-byte %s of register 0x%" PRIx64, width,
		       what, off);
}

static void off_access(struct copro_sim_ans2 *m, const char *what,
		       uint64_t off)
{
	ans2_count(&m->st.bad_accesses, 1);
	if (!atomic_exchange(&m->off_warned, true))
		copro_dev_warn(&m->ld, "%s of register 0x%" PRIx64
			       " while powered off or held in reset", what,
			       off);
}

/*
 * The 64-bit registers, each 8-aligned: `off` is one of them, or its
 * upper half, when it is one once bit 2 is cleared. A switch, not a scan:
 * every access, the doorbells included, asks.
 */
static bool reg64_base(const struct copro_sim_ans2 *m, uint64_t off,
		       uint64_t *base)
{
	*base = off & ~(uint64_t)4;
	switch (*base) {
	case ANS2_NVME_CAP:
	case ANS2_NVME_ASQ:
	case ANS2_NVME_ACQ:
		return true;
	/* The NVMMU's. */
	case ANS2_NVMMU_ASQ_TCB_BASE:
	case ANS2_NVMMU_IOSQ_TCB_BASE:
		return m->gen->linear;
	}
	return false;
}

static uint64_t read64(struct copro_sim_ans2 *m, uint64_t base)
{
	uint64_t v;

	switch (base) {
	case ANS2_NVME_CAP:
		return cap_value(m);
	case ANS2_NVMMU_ASQ_TCB_BASE:
		return atomic_load(&m->tcb_base[ANS2_QA]);
	case ANS2_NVMMU_IOSQ_TCB_BASE:
		return atomic_load(&m->tcb_base[ANS2_QIO]);
	}
	copro_mutex_lock(&m->lock);
	v = base == ANS2_NVME_ASQ ? m->asq : m->acq;
	copro_mutex_unlock(&m->lock);
	return v;
}

static void write64(struct copro_sim_ans2 *m, uint64_t off, uint64_t base,
		    uint64_t val, unsigned width)
{
	uint64_t *plain = base == ANS2_NVME_ASQ ? &m->asq : &m->acq;
	uint64_t old = read64(m, base);

	if (width == 4)
		val = off == base ? (old & ~0xffffffffull) | (uint32_t)val
				  : (old & 0xffffffffull) | val << 32;
	switch (base) {
	case ANS2_NVMMU_ASQ_TCB_BASE:
		atomic_store(&m->tcb_base[ANS2_QA], val);
		return;
	case ANS2_NVMMU_IOSQ_TCB_BASE:
		atomic_store(&m->tcb_base[ANS2_QIO], val);
		return;
	}
	copro_mutex_lock(&m->lock);
	*plain = val;
	copro_mutex_unlock(&m->lock);
}

static uint32_t boot_status(struct copro_sim_ans2 *m)
{
	if (atomic_load(&m->fw_up) && !atomic_load(&m->crashed) &&
	    !ans2_fault_armed(m, COPRO_SIM_ANS2_FAULT_NO_BOOT_STATUS))
		return ANS2_BOOT_STATUS_OK;
	return 0;
}

static uint32_t locked_read(struct copro_sim_ans2 *m, const uint32_t *reg)
{
	uint32_t v;

	copro_mutex_lock(&m->lock);
	v = *reg;
	copro_mutex_unlock(&m->lock);
	return v;
}

static void locked_write(struct copro_sim_ans2 *m, uint32_t *reg,
			 uint32_t val)
{
	copro_mutex_lock(&m->lock);
	*reg = val;
	copro_mutex_unlock(&m->lock);
}

/* The M1 generation's own registers. */
static uint64_t linear_read(struct copro_sim_ans2 *m, uint64_t off,
			    unsigned width)
{
	switch (off) {
	case ANS2_MAX_PEND_CMDS:
		return locked_read(m, &m->max_pend);
	case ANS2_MODESEL:
		return locked_read(m, &m->modesel);
	case ANS2_UNKNOWN_CTRL:
		return atomic_load(&m->unknown_ctrl);
	case ANS2_LINEAR_SQ_CTRL:
		return atomic_load(&m->linear);
	case ANS2_NVMMU_NUM_TCBS:
		return atomic_load(&m->num_tcbs);
	case ANS2_NVMMU_TCB_STAT:
		return atomic_load(&m->tcb_stat);
	/* Write-only doorbells read as zero. */
	case ANS2_LINEAR_ASQ_DB:
	case ANS2_LINEAR_IOSQ_DB:
	case ANS2_NVMMU_TCB_INVAL:
		return 0;
	}
	bad_access(m, "read", off, width);
	return 0;
}

static uint64_t nvme_read(void *ctx, uint64_t off, unsigned width)
{
	struct copro_sim_ans2 *m = ctx;
	uint64_t base, v;

	if (!atomic_load(&m->powered)) {
		off_access(m, "read", off);
		return width == 8 ? ~0ull : 0xffffffffu;
	}
	if (reg64_base(m, off, &base)) {
		v = read64(m, base);
		if (width == 8)
			return off == base ? v : (bad_access(m, "read", off, 8), 0);
		return off == base ? (uint32_t)v : v >> 32;
	}
	if (width != 4) {
		bad_access(m, "read", off, width);
		return 0;
	}
	switch (off) {
	case ANS2_NVME_VS:
		return ANS2_VS_VALUE;
	case ANS2_NVME_CC:
		return locked_read(m, &m->cc);
	case ANS2_NVME_CSTS:
		return atomic_load(&m->csts);
	case ANS2_NVME_AQA:
		return locked_read(m, &m->aqa);
	case ANS2_BOOT_STATUS:
		return boot_status(m);
	/* Write-only doorbells read as zero. */
	case ANS2_ACQ_DB:
	case ANS2_IOCQ_DB:
		return 0;
	}
	if (m->gen->linear)
		return linear_read(m, off, width);
	if (off == ANS2_ASQ_DB || off == ANS2_IOSQ_DB)
		return 0;
	bad_access(m, "read", off, width);
	return 0;
}

/*
 * NVMMU_NUM_TCBS: the index of the last TCB the NVMMU may load, i.e. the
 * TCB array's entries - 1. Linux writes 63 (64-entry arrays), u-boot and
 * OpenBSD 127 (16 KiB arrays of 128 entries); the linear queues' tags end
 * at 63, so either makes every tag usable. Any value is held as written;
 * a tag above it has no TCB (ans2_nvmmu.c).
 */
static void num_tcbs_write(struct copro_sim_ans2 *m, uint32_t val)
{
	atomic_store(&m->num_tcbs, val);
}

/* The M1 generation's own registers. */
static void linear_write(struct copro_sim_ans2 *m, uint64_t off, uint32_t val,
			 unsigned width)
{
	switch (off) {
	case ANS2_MAX_PEND_CMDS:
		locked_write(m, &m->max_pend, val);
		return;
	case ANS2_MODESEL:
		locked_write(m, &m->modesel, val);
		return;
	case ANS2_UNKNOWN_CTRL:
		atomic_store(&m->unknown_ctrl, val);
		return;
	case ANS2_LINEAR_SQ_CTRL:
		atomic_store(&m->linear, val & ANS2_LINEAR_SQ_EN);
		return;
	case ANS2_LINEAR_ASQ_DB:
		ans2_sq_doorbell(m, ANS2_QA, val);
		return;
	case ANS2_LINEAR_IOSQ_DB:
		ans2_sq_doorbell(m, ANS2_QIO, val);
		return;
	case ANS2_NVMMU_NUM_TCBS:
		num_tcbs_write(m, val);
		return;
	case ANS2_NVMMU_TCB_INVAL:
		ans2_tcb_inval(m, val);
		return;
	}
	/* Including VS, CSTS, BOOT_STATUS and TCB_STAT, which are read-only. */
	bad_access(m, "write", off, width);
}

static void nvme_write(void *ctx, uint64_t off, uint64_t val64, unsigned width)
{
	struct copro_sim_ans2 *m = ctx;
	uint32_t val = (uint32_t)val64;
	uint64_t base;

	if (!atomic_load(&m->powered)) {
		off_access(m, "write", off);
		return;
	}
	if (reg64_base(m, off, &base)) {
		if (base == ANS2_NVME_CAP || (width == 8 && off != base))
			bad_access(m, "write", off, width);
		else
			write64(m, off, base, val64, width);
		return;
	}
	if (width != 4) {
		bad_access(m, "write", off, width);
		return;
	}
	switch (off) {
	case ANS2_NVME_CC:
		cc_write(m, val);
		return;
	case ANS2_NVME_AQA:
		locked_write(m, &m->aqa, val & 0x0fff0fffu);
		return;
	case ANS2_ACQ_DB:
		ans2_cq_doorbell(m, ANS2_QA, val);
		return;
	case ANS2_IOCQ_DB:
		ans2_cq_doorbell(m, ANS2_QIO, val);
		return;
	}
	if (m->gen->linear) {
		linear_write(m, off, val, width);
		return;
	}
	if (off == ANS2_ASQ_DB || off == ANS2_IOSQ_DB) {
		ans2_ring_doorbell(m, off == ANS2_ASQ_DB ? ANS2_QA : ANS2_QIO,
				   val);
		return;
	}
	/* Including VS, CSTS and BOOT_STATUS, which are read-only. */
	bad_access(m, "write", off, width);
}

const struct copro_mmio_ops ans2_nvme_ops = {
	.read = nvme_read,
	.write = nvme_write,
};

