/* SPDX-License-Identifier: MIT */
/*
 * The bring-up (and reset) sequence of hardware.md 4, step by step. Every step
 * that waits has a timeout, and every failure names its step and the
 * value it saw: a coprocessor that never boots must end in an error,
 * never in a hang.
 */
#include <errno.h>

#include <copro/error.h>
#include <copro/rtkit.h>

#include "nvme/nvme_internal.h"

#define BOOT_STATUS_TIMEOUT_NS COPRO_NSEC_PER_SEC
#define BOOT_STATUS_PERIOD_NS COPRO_NSEC_PER_MSEC
#define SHUTDOWN_TIMEOUT_NS COPRO_NSEC_PER_SEC

/*
 * CC fields the ANS2 header leaves out: standard NVMe, 64/16-byte
 * entries. The A11's I/O SQ entries are 128 bytes all the same: Linux
 * writes these values for both generations and the controller ignores
 * IOSQES.
 */
#define CC_IOSQES (6u << 16)
#define CC_IOCQES (4u << 20)
#define CAP_TO(cap) (((cap) >> 24) & 0xff) /* 500 ms units */

/* Polls `reg` until (value & mask) == want. */
static int wait_reg(struct copro_nvme *nvme, uint32_t reg, uint32_t mask,
		    uint32_t want, int64_t timeout_ns, uint32_t *last)
{
	/* BOOT_STATUS is polled at the period Linux uses; the rest finer. */
	uint64_t period = reg == ANS2_BOOT_STATUS ? BOOT_STATUS_PERIOD_NS
						  : BOOT_STATUS_PERIOD_NS / 10;
	uint64_t deadline = copro_deadline(timeout_ns);

	for (;;) {
		*last = copro_readl(nvme->regs, reg);
		if ((*last & mask) == want)
			return 0;
		if (nvme_state(nvme) == NVME_DEAD)
			return -ECONNRESET;
		if (!copro_deadline_left(deadline))
			return -ETIMEDOUT;
		if (nvme->polled && nvme->rtk)
			copro_rtkit_poll(nvme->rtk);
		copro_sleep_ns(period);
	}
}

static int64_t ready_timeout(struct copro_nvme *nvme)
{
	int64_t to = (int64_t)CAP_TO(copro_readq(nvme->regs, ANS2_NVME_CAP)) *
		     500 * COPRO_NSEC_PER_MSEC;

	/* CAP.TO is the controller's word; keep a failing one from hanging us. */
	if (to < 500 * COPRO_NSEC_PER_MSEC)
		to = 500 * COPRO_NSEC_PER_MSEC;
	if (to > 5 * COPRO_NSEC_PER_SEC)
		to = 5 * COPRO_NSEC_PER_SEC;
	return nvme_ctrl_timeout(nvme, to);
}

void copro_nvme_ctrl_disable(struct copro_nvme *nvme, bool shn)
{
	uint32_t cc = copro_readl(nvme->regs, ANS2_NVME_CC), csts;

	/* A disabled controller has no I/O queues (NVMe). */
	nvme->ioq_live = false;
	if (!(cc & ANS2_CC_EN))
		return;
	if (shn) {
		cc = (cc & ~ANS2_CC_SHN_MASK) | ANS2_CC_SHN_NORMAL;
		copro_writel(nvme->regs, ANS2_NVME_CC, cc);
		if (wait_reg(nvme, ANS2_NVME_CSTS, ANS2_CSTS_SHST_MASK,
			     ANS2_CSTS_SHST_CMPLT,
			     nvme_ctrl_timeout(nvme, SHUTDOWN_TIMEOUT_NS),
			     &csts))
			copro_dev_warn(&nvme->ld,
				       "controller shutdown did not complete (CSTS 0x%08x); disabling it anyway",
				       csts);
	}
	copro_writel(nvme->regs, ANS2_NVME_CC, cc & ~(ANS2_CC_EN | ANS2_CC_SHN_MASK));
	if (wait_reg(nvme, ANS2_NVME_CSTS, ANS2_CSTS_RDY, 0,
		     ready_timeout(nvme), &csts))
		copro_dev_warn(&nvme->ld,
			       "controller still ready after CC.EN = 0 (CSTS 0x%08x)",
			       csts);
}

/*
 * As Linux does it: the I/O queues are deleted first (commands not
 * started are aborted), then the shutdown notification, then CC.EN. The
 * queues only while the firmware runs and the controller is healthy:
 * nothing else would answer.
 */
void copro_nvme_disable(struct copro_nvme *nvme, bool shn)
{
	if (nvme->ioq_live && copro_rtkit_is_running(nvme->rtk)) {
		uint32_t csts = copro_readl(nvme->regs, ANS2_NVME_CSTS);

		if ((csts & ANS2_CSTS_RDY) && !(csts & ANS2_CSTS_CFS))
			copro_nvme_delete_io_queues(nvme);
	}
	nvme->ioq_live = false;
	copro_nvme_ctrl_disable(nvme, shn);
}

void copro_nvme_copro_stop(struct copro_nvme *nvme)
{
	int rc;

	/* A clean RTKit shutdown is what lets the coprocessor start again. */
	if (copro_rtkit_is_running(nvme->rtk)) {
		rc = copro_rtkit_shutdown(nvme->rtk);
		if (rc)
			copro_dev_warn(&nvme->ld, "RTKit shutdown failed: %s",
				       copro_strerror(rc));
	}
	copro_writel(nvme->ans, ANS2_CPU_CONTROL, 0);
}

static int step_fail(struct copro_nvme *nvme, const char *step, int rc)
{
	copro_dev_err(&nvme->ld, "bring-up failed at %s: %s", step,
		      copro_strerror(rc));
	return rc;
}

/* Every reset line of the node, in order; the first failure stops it. */
int copro_nvme_resets(struct copro_nvme *nvme, bool assert)
{
	for (unsigned i = 0; i < nvme->nresets; i++) {
		int rc = assert ? copro_reset_assert(nvme->resets[i])
				: copro_reset_deassert(nvme->resets[i]);

		if (rc) {
			copro_dev_err(&nvme->ld, "reset line %u: %s failed: %s", i,
				      assert ? "assert" : "deassert",
				      copro_strerror(rc));
			return rc;
		}
	}
	return 0;
}

/*
 * A coprocessor whose CPU someone else left running (a bootloader, an
 * earlier driver instance): its controller belongs to the previous owner
 * and is disabled while the firmware can still answer (register access
 * needs it); then RTKit takes it over, waking it if it sleeps, or putting
 * the other owner's session to sleep and waking it into ours. The CPU is
 * never pulled out from under running firmware.
 */
static int adopt(struct copro_nvme *nvme)
{
	uint32_t boot = copro_readl(nvme->regs, ANS2_BOOT_STATUS);
	int rc;

	copro_dev_info(&nvme->ld, "the coprocessor is already running (BOOT_STATUS 0x%08x): taking it over",
		       boot);
	if (boot == ANS2_BOOT_STATUS_OK)
		copro_nvme_ctrl_disable(nvme, false);
	rc = copro_rtkit_reinit(nvme->rtk);
	if (!rc)
		rc = copro_rtkit_takeover(nvme->rtk);
	if (rc)
		copro_dev_warn(&nvme->ld, "taking over the running coprocessor failed (%s): restarting it",
			       copro_strerror(rc));
	return rc;
}

static int copro_start(struct copro_nvme *nvme)
{
	bool cpu_runs = copro_readl(nvme->ans, ANS2_CPU_CONTROL) &
			ANS2_CPU_CONTROL_RUN;
	int64_t boot_to;
	uint32_t v;
	int rc;

	/*
	 * Our own session ends cleanly (RTKit shutdown, CPU stop) and the
	 * coprocessor starts afresh; someone else's is taken over.
	 */
	if (cpu_runs && !copro_rtkit_is_running(nvme->rtk) &&
	    !copro_rtkit_is_crashed(nvme->rtk) && !adopt(nvme))
		goto booted;
	copro_nvme_copro_stop(nvme);
	rc = copro_nvme_resets(nvme, true);
	if (rc)
		return step_fail(nvme, "reset assert", rc);
	rc = copro_rtkit_reinit(nvme->rtk);
	if (rc)
		return step_fail(nvme, "RTKit reinit", rc);
	rc = copro_nvme_resets(nvme, false);
	if (rc)
		return step_fail(nvme, "reset deassert", rc);
	copro_writel(nvme->ans, ANS2_CPU_CONTROL, ANS2_CPU_CONTROL_RUN);

	rc = copro_rtkit_boot(nvme->rtk);
	if (rc)
		return step_fail(nvme, "RTKit boot", rc);
booted:
	boot_to = nvme_ctrl_timeout(nvme, BOOT_STATUS_TIMEOUT_NS);
	rc = wait_reg(nvme, ANS2_BOOT_STATUS, ~0u, ANS2_BOOT_STATUS_OK, boot_to,
		      &v);
	if (rc) {
		copro_dev_err(&nvme->ld,
			      "bring-up failed at BOOT_STATUS: reads 0x%08x, not 0x%08x, %lld ms after RTKit booted",
			      v, ANS2_BOOT_STATUS_OK,
			      (long long)(boot_to / COPRO_NSEC_PER_MSEC));
		return rc;
	}
	return 0;
}

static int ctrl_enable(struct copro_nvme *nvme)
{
	uint32_t csts;
	int rc;

	unsigned aqa = nvme->hw->admin_depth - 1;

	/* M1: linear queues, pending limits, the NVMMU; A11: nothing. */
	nvme->hw->setup(nvme);
	copro_nvme_queues_reset(nvme);
	copro_writel(nvme->regs, ANS2_NVME_AQA, aqa | aqa << 16);
	copro_writeq(nvme->regs, ANS2_NVME_ASQ, nvme->adminq.sq.phys);
	copro_writeq(nvme->regs, ANS2_NVME_ACQ, nvme->adminq.cq.phys);

	copro_writel(nvme->regs, ANS2_NVME_CC,
		     ANS2_CC_EN | CC_IOSQES | CC_IOCQES);
	rc = wait_reg(nvme, ANS2_NVME_CSTS, ANS2_CSTS_RDY | ANS2_CSTS_CFS,
		      ANS2_CSTS_RDY, ready_timeout(nvme), &csts);
	if (rc) {
		copro_dev_err(&nvme->ld,
			      "bring-up failed at controller enable: CSTS 0x%08x (%s)",
			      csts, csts & ANS2_CSTS_CFS ? "fatal status" : "not ready");
		return rc;
	}
	return 0;
}

int copro_nvme_bringup(struct copro_nvme *nvme, bool first)
{
	int rc;

	copro_dev_dbg(&nvme->ld, "%s", first ? "bring-up" : "re-bring-up");
	rc = copro_start(nvme);
	if (!rc) {
		/* A controller left enabled would ignore the new queue bases. */
		copro_nvme_ctrl_disable(nvme, false);
		rc = ctrl_enable(nvme);
	}
	if (!rc)
		rc = copro_nvme_configure(nvme);
	if (rc) {
		/* Leave nothing running: the next attempt starts from scratch. */
		copro_nvme_disable(nvme, false);
		copro_nvme_copro_stop(nvme);
		return rc;
	}
	return 0;
}
