/* SPDX-License-Identifier: MIT */
/*
 * The NVMMU TCB of a command the way Linux's apple.c fills it
 * (apple_nvme_submit_cmd): opcode, the tag as command id, the PRPs and
 * length of the entry, and the DMA directions the opcode's low bits
 * imply. For the hand-written ANS2 hosts of the model's tests and fuzz
 * target, which must not lean on copro's own driver.
 */
#ifndef COPRO_TEST_ANS2_HOST_TCB_H
#define COPRO_TEST_ANS2_HOST_TCB_H

#include <string.h>

#include <copro/regs/ans2.h>
#include <copro/regs/nvme.h>

static inline void ans2_host_tcb_fill(struct ans2_tcb *t, unsigned tag,
				      const struct nvme_sqe *s)
{
	memset(t, 0, sizeof(*t));
	t->opcode = s->opcode;
	t->command_id = (uint8_t)tag;
	t->prp1 = s->prp1;
	t->prp2 = s->prp2;
	t->length = s->cdw12 & 0xffff;
	if (s->opcode & NVME_OPC_HOST_TO_CTRL)
		t->dma_flags |= ANS2_TCB_DMA_TO_DEVICE;
	if (s->opcode & NVME_OPC_CTRL_TO_HOST)
		t->dma_flags |= ANS2_TCB_DMA_FROM_DEVICE;
}

#endif
