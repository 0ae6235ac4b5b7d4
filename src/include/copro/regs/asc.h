/* SPDX-License-Identifier: MIT */
/*
 * Apple ASC mailbox and coprocessor control registers (hardware.md 1),
 * in the three layouts Linux's drivers/soc/apple/mailbox.c drives:
 *
 *   "apple,asc-mailbox-v4"     ASC (M1 and later): the map below
 *   "apple,t8015-asc-mailbox"  the older ASC of the A11 and T2: A2I and
 *                              I2A CONTROL at 0x108 and 0x10c, the FIFO
 *                              registers as v4
 *   "apple,m3-mailbox-v2"      M3 (Thunderbolt coprocessors on the M1):
 *                              every register elsewhere, and mailbox-level
 *                              interrupt enable and acknowledge registers
 *
 * All three carry the same 96-bit messages, the same CONTROL FULL and
 * EMPTY bits and the same RECV1 bookkeeping. "apple,asc-mailbox" is the
 * generic name older copro boards used beside v4: the v4 layout.
 */
#ifndef COPRO_REGS_ASC_H
#define COPRO_REGS_ASC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The A11 (t8015) ASC: only the CONTROL registers moved. */
#define ASC_T8015_A2I_CONTROL 0x108
#define ASC_T8015_I2A_CONTROL 0x10c

/* The M3 mailbox (v2). */
#define M3_IRQ_ENABLE 0x48
#define M3_IRQ_ACK 0x4c
#define M3_A2I_CONTROL 0x50
#define M3_A2I_SEND0 0x60
#define M3_A2I_SEND1 0x68
#define M3_A2I_RECV0 0x70
#define M3_A2I_RECV1 0x78
#define M3_I2A_CONTROL 0x80
#define M3_I2A_SEND0 0x90
#define M3_I2A_SEND1 0x98
#define M3_I2A_RECV0 0xa0
#define M3_I2A_RECV1 0xa8
/*
 * IRQ_ENABLE and IRQ_ACK bits, one per interrupt line. A condition
 * (a FIFO empty, not empty) latches its bit whenever it holds; the line
 * is asserted while the bit is latched and enabled; writing the bit to
 * IRQ_ACK clears the latch, which the condition sets again at once if
 * it still holds (Linux's mailbox.c: "it will also keep firing if the
 * FIFO was empty at any point in the past until it has been
 * acknowledged").
 */
#define M3_IRQ_A2I_EMPTY (1u << 0)	/* "send-empty" */
#define M3_IRQ_A2I_NOT_EMPTY (1u << 1)	/* "send-not-empty" */
#define M3_IRQ_I2A_EMPTY (1u << 2)	/* "recv-empty" */
#define M3_IRQ_I2A_NOT_EMPTY (1u << 3)	/* "recv-not-empty" */
#define M3_IRQ_ALL 0xfu

#define ASC_COMPAT_V4 "apple,asc-mailbox-v4"
#define ASC_COMPAT_GENERIC "apple,asc-mailbox"
#define ASC_COMPAT_T8015 "apple,t8015-asc-mailbox"
#define ASC_COMPAT_M3 "apple,m3-mailbox-v2"

/* One mailbox layout: where each register is, offsets from reg. */
struct asc_layout {
	const char *compatible;
	const char *name; /* for messages: "ASC v4", "A11 ASC", "M3 v2" */
	uint32_t a2i_control, a2i_send0, a2i_send1, a2i_recv0, a2i_recv1;
	uint32_t i2a_control, i2a_send0, i2a_send1, i2a_recv0, i2a_recv1;
	/* M3: mailbox-level interrupt enable and acknowledge. */
	bool irq_controls;
	uint32_t irq_enable, irq_ack;
	/* The smallest reg that holds every register. */
	uint32_t min_size;
};

/*
 * The layouts, most specific compatible first: a node is driven by the
 * first one its compatible list names. Shared by the driver and the
 * model, so both read the same map.
 */
static inline const struct asc_layout *asc_layouts(size_t *n)
{
	static const struct asc_layout layouts[] = {
		{ ASC_COMPAT_T8015, "A11 ASC",
		  ASC_T8015_A2I_CONTROL, ASC_A2I_SEND0, ASC_A2I_SEND1,
		  ASC_A2I_RECV0, ASC_A2I_RECV1,
		  ASC_T8015_I2A_CONTROL, ASC_I2A_SEND0, ASC_I2A_SEND1,
		  ASC_I2A_RECV0, ASC_I2A_RECV1, false, 0, 0,
		  ASC_I2A_RECV1 + 8 },
		{ ASC_COMPAT_M3, "M3 v2",
		  M3_A2I_CONTROL, M3_A2I_SEND0, M3_A2I_SEND1, M3_A2I_RECV0,
		  M3_A2I_RECV1,
		  M3_I2A_CONTROL, M3_I2A_SEND0, M3_I2A_SEND1, M3_I2A_RECV0,
		  M3_I2A_RECV1, true, M3_IRQ_ENABLE, M3_IRQ_ACK,
		  M3_I2A_RECV1 + 8 },
		{ ASC_COMPAT_V4, "ASC v4",
		  ASC_A2I_CONTROL, ASC_A2I_SEND0, ASC_A2I_SEND1, ASC_A2I_RECV0,
		  ASC_A2I_RECV1,
		  ASC_I2A_CONTROL, ASC_I2A_SEND0, ASC_I2A_SEND1, ASC_I2A_RECV0,
		  ASC_I2A_RECV1, false, 0, 0, ASC_I2A_RECV1 + 8 },
		{ ASC_COMPAT_GENERIC, "ASC v4",
		  ASC_A2I_CONTROL, ASC_A2I_SEND0, ASC_A2I_SEND1, ASC_A2I_RECV0,
		  ASC_A2I_RECV1,
		  ASC_I2A_CONTROL, ASC_I2A_SEND0, ASC_I2A_SEND1, ASC_I2A_RECV0,
		  ASC_I2A_RECV1, false, 0, 0, ASC_I2A_RECV1 + 8 },
	};

	*n = sizeof(layouts) / sizeof(layouts[0]);
	return layouts;
}

/* devicetree interrupt-names, seen from the AP. */
#define ASC_IRQ_SEND_EMPTY "send-empty"
#define ASC_IRQ_SEND_NOT_EMPTY "send-not-empty"
#define ASC_IRQ_RECV_EMPTY "recv-empty"
#define ASC_IRQ_RECV_NOT_EMPTY "recv-not-empty"

#endif
