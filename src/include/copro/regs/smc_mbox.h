/* SPDX-License-Identifier: MIT */
/*
 * The SMC/HVC mailbox's call convention, shared by the controller driver
 * (src/mbox/smc.c) and the firmware that answers it (sim/smc_mbox_fw.c).
 *
 * Every call is one SMCCC fast call with the node's `arm,func-id`:
 *
 *   x1  channel id (the #mbox-cells argument)
 *   x2  operation (below)
 *
 *   SEND        x3 length, x4..x6 the message, little-endian bytes packed
 *               into the registers: 8 bytes each for an SMC64 id (24 in
 *               all), 4 for an SMC32 id, whose registers are 32-bit (12).
 *               Returns when the firmware has taken the message; x0..x3
 *               are the firmware's reply.
 *   RECV        takes the oldest event queued on an RX channel: x0 0,
 *               x1 length, x2..x4 the message, packed the same way; x0
 *               NOT_REQUIRED (-2) when nothing is queued.
 *   RX_ENABLE   the firmware may assert the interrupt for this
 *   RX_DISABLE  channel's events (disabled: they wait, queued).
 *   INFO        x0 0 and x1 the channel's COPRO_SMC_MBOX_CAN_* flags;
 *               INVALID_PARAMETER (-3) for a channel that does not exist.
 *
 * The interrupt is level: asserted while an RX-enabled channel has a
 * queued event. A function id nobody implements answers NOT_SUPPORTED.
 */
#ifndef COPRO_REGS_SMC_MBOX_H
#define COPRO_REGS_SMC_MBOX_H

#include <stdint.h>

enum copro_smc_mbox_op {
	COPRO_SMC_MBOX_SEND = 0,
	COPRO_SMC_MBOX_RECV = 1,
	COPRO_SMC_MBOX_RX_ENABLE = 2,
	COPRO_SMC_MBOX_RX_DISABLE = 3,
	COPRO_SMC_MBOX_INFO = 4,
};

/* Three argument registers of payload. */
#define COPRO_SMC_MBOX_MTU 24u
#define COPRO_SMC_MBOX_WORDS 3u

/* Bytes a register carries: 8 for SMC64 ids, 4 for SMC32. */
static inline unsigned copro_smc_mbox_reg_bytes(uint32_t fid)
{
	return (fid & (1u << 30)) ? 8 : 4;
}

/* INFO flags. */
#define COPRO_SMC_MBOX_CAN_SEND (1u << 0)
#define COPRO_SMC_MBOX_CAN_RECV (1u << 1)

#endif
