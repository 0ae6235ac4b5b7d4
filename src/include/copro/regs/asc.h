/* SPDX-License-Identifier: MIT */
/* Apple ASC mailbox and coprocessor control registers (hardware.md 1). */
#ifndef COPRO_REGS_ASC_H
#define COPRO_REGS_ASC_H

/* Offsets from the ASC base. */
#define ASC_CPU_CONTROL 0x44
#define ASC_CPU_CONTROL_RUN (1u << 4)
#define ASC_MBOX_OFFSET 0x8000 /* the mailbox block within the ASC */
#define ASC_CPU_REGION_SIZE 0x4000

/* Offsets from the mailbox base. */
#define ASC_A2I_CONTROL 0x110
#define ASC_I2A_CONTROL 0x114
#define ASC_CONTROL_FULL (1u << 16)
#define ASC_CONTROL_EMPTY (1u << 17)

#define ASC_A2I_SEND0 0x800
#define ASC_A2I_SEND1 0x808
#define ASC_A2I_RECV0 0x810
#define ASC_A2I_RECV1 0x818
#define ASC_I2A_SEND0 0x820
#define ASC_I2A_SEND1 0x828
#define ASC_I2A_RECV0 0x830
#define ASC_I2A_RECV1 0x838
#define ASC_MBOX_REGION_SIZE 0x4000

/* FIFO bookkeeping in the upper bits of a RECV1 read. */
#define ASC_RECV1_MSG_MASK 0xffffffffull
#define ASC_RECV1_INPTR_SHIFT 40   /* 43:40 */
#define ASC_RECV1_OUTPTR_SHIFT 44  /* 47:44 */
#define ASC_RECV1_INCNT_SHIFT 48   /* 51:48 */
#define ASC_RECV1_OUTCNT_SHIFT 52  /* 56:52 */

#define ASC_FIFO_DEPTH 16

/* devicetree interrupt-names, seen from the AP. */
#define ASC_IRQ_SEND_EMPTY "send-empty"
#define ASC_IRQ_SEND_NOT_EMPTY "send-not-empty"
#define ASC_IRQ_RECV_EMPTY "recv-empty"
#define ASC_IRQ_RECV_NOT_EMPTY "recv-not-empty"

#endif
