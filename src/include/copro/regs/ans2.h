/* SPDX-License-Identifier: MIT */
/*
 * ANS2 NVMe controller registers and the NVMMU TCB (hardware.md 4),
 * shared by the host driver and the controller model. Standard NVMe
 * structures (commands, completions, Identify) are in <copro/regs/nvme.h>.
 */
#ifndef COPRO_REGS_ANS2_H
#define COPRO_REGS_ANS2_H

#include <stdint.h>

/* Region "nvme": standard registers. */
#define ANS2_NVME_CAP 0x00   /* 64-bit */
#define ANS2_NVME_VS 0x08
#define ANS2_NVME_CC 0x14
#define ANS2_NVME_CSTS 0x1c
#define ANS2_NVME_AQA 0x24
#define ANS2_NVME_ASQ 0x28   /* 64-bit */
#define ANS2_NVME_ACQ 0x30   /* 64-bit */
#define ANS2_NVME_REGION_SIZE 0x40000

/*
 * Region "ans": the coprocessor's CPU control block (the ASC block's,
 * hardware.md 1), which the NVMe driver drives itself to stop and start the
 * coprocessor, as Linux's driver does with its own constants.
 */
#define ANS2_CPU_CONTROL 0x44
#define ANS2_CPU_CONTROL_RUN (1u << 4)

/* CAP: MQES 15:0 (0-based), CQR 16, TO 31:24 (500 ms units), CSS 44:37,
 * MPSMIN 51:48, MPSMAX 55:52. */
#define ANS2_CAP_MQES_MASK 0xffffull
#define ANS2_CAP_CQR (1ull << 16)
#define ANS2_CAP_TO_SHIFT 24
#define ANS2_CAP_CSS_NVM (1ull << 37)
#define ANS2_VS_VALUE 0x00010100u /* NVMe 1.1 */

/* AQA: admin SQ size 11:0 and CQ size 27:16, both 0-based. */
#define ANS2_AQA_ASQS(aqa) ((aqa) & 0xfffu)
#define ANS2_AQA_ACQS(aqa) (((aqa) >> 16) & 0xfffu)
#define ANS2_AQA_VALUE ((ANS2_ADMIN_DEPTH - 1) | (ANS2_ADMIN_DEPTH - 1) << 16)

#define ANS2_CC_EN (1u << 0)
#define ANS2_CC_MPS_SHIFT 7	/* 10:7, host page size 2^(12 + MPS) */
#define ANS2_CC_MPS_MASK (0xfu << 7)
#define ANS2_CC_SHN_SHIFT 14
#define ANS2_CC_SHN_MASK (3u << 14)
#define ANS2_CC_SHN_NORMAL (1u << 14)
#define ANS2_CSTS_RDY (1u << 0)
#define ANS2_CSTS_CFS (1u << 1)
#define ANS2_CSTS_SHST_MASK (3u << 2)
#define ANS2_CSTS_SHST_CMPLT (2u << 2)

/*
 * Doorbells at the standard places (CAP.DSTRD 0): SQ y tail at
 * 0x1000 + 8y, CQ y head at 0x1004 + 8y. The M1 uses only the CQ heads
 * (its SQs are linear); the A11 uses all four.
 */
#define ANS2_ASQ_DB 0x1000
#define ANS2_ACQ_DB 0x1004
#define ANS2_IOSQ_DB 0x1008
#define ANS2_IOCQ_DB 0x100c

/* Apple additions (M1 generation; the A11 has none but BOOT_STATUS). */
#define ANS2_MAX_PEND_CMDS 0x1210
#define ANS2_BOOT_STATUS 0x1300
#define ANS2_BOOT_STATUS_OK 0xde71ce55u
#define ANS2_MODESEL 0x1304
#define ANS2_UNKNOWN_CTRL 0x24008
#define ANS2_PRP_NULL_CHECK (1u << 11)
#define ANS2_LINEAR_SQ_CTRL 0x24908
#define ANS2_LINEAR_SQ_EN (1u << 0)
#define ANS2_LINEAR_ASQ_DB 0x2490c
#define ANS2_LINEAR_IOSQ_DB 0x24910
#define ANS2_NVMMU_NUM_TCBS 0x28100
#define ANS2_NVMMU_ASQ_TCB_BASE 0x28108 /* 64-bit */
#define ANS2_NVMMU_IOSQ_TCB_BASE 0x28110 /* 64-bit */
#define ANS2_NVMMU_TCB_INVAL 0x28118
#define ANS2_NVMMU_TCB_STAT 0x28120

/*
 * The A11 (t8015) generation, from Linux's apple.c: no linear SQ and no
 * NVMMU; both queues are rings of at most 16 entries ("max_queue_depth");
 * I/O SQ entries are 128 bytes (APPLE_NVME_IOSQES 7), the NVMe command in
 * the first 64, admin SQ entries the standard 64.
 */
#define ANS2_T8015_DEPTH 16
#define ANS2_T8015_IOSQ_ENTRY 128

#define ANS2_MAX_TAGS 64
#define ANS2_ADMIN_DEPTH 2
#define ANS2_IO_DEPTH 64 /* queue entries; tags 0-1 belong to admin */
#define ANS2_MAX_PEND_VALUE (64u | (64u << 16))
#define ANS2_NUM_TCBS_VALUE 63u
#define ANS2_VENDOR_OPC 0xd8
/* The ANS2 firmware's RTKit application endpoint (nothing uses it). */
#define ANS2_RTKIT_APP_EP 0x20

/* Namespace 1 only, 4096-byte LBAs; 4 MiB per command (MDTS 10). */
#define ANS2_NSID 1u
#define ANS2_LBA_SHIFT 12
#define ANS2_LBA_SIZE (1u << ANS2_LBA_SHIFT)
#define ANS2_MAX_TRANSFER (4096u * 1024u)
#define ANS2_MDTS 10

/*
 * Apple's vendor admin command (0xD8). What it does on real hardware is
 * not public; in copro it reads and writes a vendor area of
 * ANS2_VENDOR_AREA_SIZE bytes inside the controller (kept until the
 * model is destroyed). Its buffer is no PRP: PRP1 holds the buffer's
 * bus address, which the SART must allow (the NVMMU does not translate
 * it), but the command still needs a TCB like every other: one with its
 * tag and opcode (the TCB's PRPs, length and flags are not looked at).
 *   cdw10  NDT: transfer length in dwords (the NVMe convention for
 *          vendor commands; Identify Controller NVSCC bit 0 says so)
 *   cdw12  ANS2_VENDOR_OP_READ (area to buffer) or _WRITE (buffer to area)
 *   cdw13  byte offset into the area, dword aligned
 * The completion's result is the number of bytes moved.
 */
#define ANS2_VENDOR_AREA_SIZE (64u * 1024u)
#define ANS2_VENDOR_OP_READ 1u
#define ANS2_VENDOR_OP_WRITE 2u

/* Transfer Control Block, 128 bytes. */
struct ans2_tcb {
	uint8_t opcode;
	uint8_t dma_flags;
	uint8_t command_id;
	uint8_t unk0;
	uint32_t length;
	uint64_t unk1[2];
	uint64_t prp1;
	uint64_t prp2;
	uint64_t unk2[2];
	uint64_t aes_iv;
	uint8_t aes_unk[64];
};
_Static_assert(sizeof(struct ans2_tcb) == 128, "TCB is 128 bytes");
#define ANS2_TCB_DMA_FROM_DEVICE (1u << 0)
#define ANS2_TCB_DMA_TO_DEVICE (1u << 1)

#endif
