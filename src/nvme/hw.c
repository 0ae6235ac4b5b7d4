/* SPDX-License-Identifier: MIT */
/*
 * The two ANS2 controller generations the driver knows, and what it does
 * differently for each (Linux's apple.c, struct apple_nvme_hw):
 *
 *   M1 and later ("apple,nvme-ans2"): linear submission queues indexed
 *     by tag, a command issued by writing its tag to the queue's linear
 *     doorbell after its NVMMU TCB was written; TCBs invalidated after
 *     completion; one 64-tag space, admin 0-1, I/O 2-63; both queues
 *     programmed through LINEAR_SQ_CTRL, MAX_PEND_CMDS, NVMMU_NUM_TCBS
 *     and the PRP null-check bit (hardware.md 4).
 *   A11 ("apple,t8015-nvme-ans2"): no linear queues and no NVMMU;
 *     ordinary ring submission queues with tail doorbells at the
 *     standard places (0x1000 admin, 0x1008 I/O), 16 entries each
 *     (admin queue included), I/O entries of 128 bytes with the command
 *     in the first 64. One admin command at a time (tag 0, as Linux's
 *     admin tag set of depth 1) and I/O tags 1-15: fifteen in flight, so
 *     the 16-entry ring can never overrun (a slot is reused sixteen
 *     submissions later, and of those sixteen one has completed, so the
 *     controller, which fetches in order, has fetched it).
 *
 * Tags are the CIDs in both; free I/O tags are a bitmap (queue.c).
 */
#include <errno.h>
#include <string.h>

#include "nvme/nvme_internal.h"

/* ---- M1: linear submission and the NVMMU ------------------------------ */

/*
 * The TCB repeats the command's PRPs: the NVMMU lets the controller DMA
 * only there, in the direction the opcode implies. Apple's vendor
 * command moves its data through the SART instead, so its TCB allows no
 * PRP DMA.
 */
static void tcb_write(struct ans2_tcb *tcb, const struct nvme_sqe *sqe,
		      unsigned tag)
{
	memset(tcb, 0, sizeof(*tcb));
	tcb->opcode = sqe->opcode;
	if (sqe->opcode & 1)
		tcb->dma_flags |= ANS2_TCB_DMA_TO_DEVICE;
	if (sqe->opcode & 2)
		tcb->dma_flags |= ANS2_TCB_DMA_FROM_DEVICE;
	tcb->command_id = (uint8_t)tag;
	tcb->length = sqe->cdw12 & 0xffff;
	if (sqe->opcode != ANS2_VENDOR_OPC) {
		tcb->prp1 = sqe->prp1;
		tcb->prp2 = sqe->prp2;
	}
}

static uint32_t linear_submit(struct copro_nvme *nvme, struct nvme_queue *q,
			      unsigned tag, const struct nvme_sqe *sqe)
{
	struct ans2_tcb *tcbs = q->tcb.cpu;
	struct nvme_sqe *sqes = q->sq.cpu;

	(void)nvme;
	tcb_write(&tcbs[tag], sqe, tag);
	sqes[tag] = *sqe;
	return tag;
}

static void linear_retire(struct copro_nvme *nvme, unsigned tag)
{
	uint32_t stat;

	copro_writel(nvme->regs, ANS2_NVMMU_TCB_INVAL, tag);
	stat = copro_readl(nvme->regs, ANS2_NVMMU_TCB_STAT);
	if (stat)
		copro_dev_warn(&nvme->ld,
			       "NVMMU_TCB_STAT 0x%x after invalidating the TCB of tag %u",
			       stat, tag);
}

static void linear_setup(struct copro_nvme *nvme)
{
	copro_writel(nvme->regs, ANS2_LINEAR_SQ_CTRL, ANS2_LINEAR_SQ_EN);
	copro_writel(nvme->regs, ANS2_MAX_PEND_CMDS, ANS2_MAX_PEND_VALUE);
	copro_writel(nvme->regs, ANS2_NVMMU_NUM_TCBS, ANS2_NUM_TCBS_VALUE);
	/* Else every command with a zero PRP field fails, used or not. */
	copro_writel(nvme->regs, ANS2_UNKNOWN_CTRL,
		     copro_readl(nvme->regs, ANS2_UNKNOWN_CTRL) &
			     ~ANS2_PRP_NULL_CHECK);
	copro_writeq(nvme->regs, ANS2_NVMMU_ASQ_TCB_BASE, nvme->adminq.tcb.phys);
	copro_writeq(nvme->regs, ANS2_NVMMU_IOSQ_TCB_BASE, nvme->ioq.tcb.phys);
}

/* ---- A11: ring submission ---------------------------------------------- */

static uint32_t ring_submit(struct copro_nvme *nvme, struct nvme_queue *q,
			    unsigned tag, const struct nvme_sqe *sqe)
{
	char *slot = (char *)q->sq.cpu + (size_t)q->sq_tail * q->sq_entry;

	(void)nvme;
	(void)tag;
	/* The command in the first 64 bytes; the rest stays as allocated. */
	memcpy(slot, sqe, sizeof(*sqe));
	if (++q->sq_tail == q->sq_depth)
		q->sq_tail = 0;
	return q->sq_tail;
}

static void ring_retire(struct copro_nvme *nvme, unsigned tag)
{
	(void)nvme;
	(void)tag;
}

static void ring_setup(struct copro_nvme *nvme)
{
	(void)nvme;
}

/* ---- the table ---------------------------------------------------------- */

static const struct nvme_hw hws[] = {
	{
		.compatible = COPRO_NVME_COMPATIBLE_T8015,
		.name = "t8015",
		.linear = false,
		.admin_depth = ANS2_T8015_DEPTH,
		.admin_tags = 1,
		.io_depth = ANS2_T8015_DEPTH,
		.ntags = ANS2_T8015_DEPTH,
		.iosq_entry = ANS2_T8015_IOSQ_ENTRY,
		.asq_db = ANS2_ASQ_DB,
		.iosq_db = ANS2_IOSQ_DB,
		.submit = ring_submit,
		.retire = ring_retire,
		.setup = ring_setup,
	},
	{
		.compatible = COPRO_NVME_COMPATIBLE,
		.name = "t8103",
		.linear = true,
		.admin_depth = ANS2_ADMIN_DEPTH,
		.admin_tags = ANS2_ADMIN_DEPTH,
		.io_depth = ANS2_IO_DEPTH,
		.ntags = ANS2_MAX_TAGS,
		.iosq_entry = sizeof(struct nvme_sqe),
		.asq_db = ANS2_LINEAR_ASQ_DB,
		.iosq_db = ANS2_LINEAR_IOSQ_DB,
		.submit = linear_submit,
		.retire = linear_retire,
		.setup = linear_setup,
	},
};

const struct nvme_hw *copro_nvme_hw_match(const struct copro_dt *dt, int node)
{
	for (size_t i = 0; i < sizeof(hws) / sizeof(hws[0]); i++)
		if (copro_dt_is_compatible(dt, node, hws[i].compatible))
			return &hws[i];
	return NULL;
}

int copro_nvme_next(const struct copro_dt *dt, int from)
{
	int best = -ENOENT;

	for (size_t i = 0; i < sizeof(hws) / sizeof(hws[0]); i++) {
		int node = copro_dt_next_compatible(dt, from, hws[i].compatible);

		if (node >= 0 && (best < 0 || node < best))
			best = node;
	}
	return best;
}
