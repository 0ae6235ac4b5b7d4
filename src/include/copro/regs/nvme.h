/* SPDX-License-Identifier: MIT */
/*
 * Standard NVMe structures (NVM Express base specification): the 64-byte
 * submission queue entry, the 16-byte completion, the opcodes, status
 * codes and Identify fields copro uses. Little-endian on the wire; copro
 * runs little-endian hosts only (checked at build time).
 */
#ifndef COPRO_REGS_NVME_H
#define COPRO_REGS_NVME_H

#include <stdint.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "NVMe structures are little-endian");

struct nvme_sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd;
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "SQE is 64 bytes");

struct nvme_cqe {
	uint32_t result;
	uint32_t rsvd;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status; /* bit 0 phase, 15:1 status field */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQE is 16 bytes");

#define NVME_CQE_PHASE 1u
#define NVME_CQE_SC(status) (((status) >> 1) & 0xff)	/* status code */
#define NVME_CQE_SCT(status) (((status) >> 9) & 0x7)	/* status code type */
#define NVME_CQE_DNR (1u << 15)
/* A CQE status field (without the phase bit) from its type and code. */
#define NVME_CQE_STATUS(sct, sc) ((uint16_t)(((sct) & 0x7) << 9 | ((sc) & 0xff) << 1))

/* Status code types. */
#define NVME_SCT_GENERIC 0
#define NVME_SCT_CMD_SPECIFIC 1
#define NVME_SCT_MEDIA 2

/* Opcode bits 1:0: the data direction (NVM command set, figure 18). */
#define NVME_OPC_HOST_TO_CTRL (1u << 0)
#define NVME_OPC_CTRL_TO_HOST (1u << 1)

/* Admin opcodes. */
#define NVME_ADMIN_DELETE_SQ 0x00
#define NVME_ADMIN_CREATE_SQ 0x01
#define NVME_ADMIN_DELETE_CQ 0x04
#define NVME_ADMIN_CREATE_CQ 0x05
#define NVME_ADMIN_IDENTIFY 0x06
#define NVME_ADMIN_ABORT 0x08
#define NVME_ADMIN_SET_FEATURES 0x09
#define NVME_ADMIN_GET_FEATURES 0x0a
#define NVME_ADMIN_ASYNC_EVENT 0x0c

/* I/O opcodes. */
#define NVME_CMD_FLUSH 0x00
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ 0x02
#define NVME_CMD_WRITE_ZEROES 0x08
#define NVME_CMD_DSM 0x09

#define NVME_RW_FUA (1u << 30) /* cdw12 */
/* Write Zeroes: cdw12 bit 25 (control bit 9) deallocates the blocks. */
#define NVME_WZ_DEAC (1u << 25)

/* Dataset Management: cdw10 7:0 the 0-based count of 16-byte ranges,
 * cdw11 the attributes (bit 2: deallocate). */
#define NVME_DSM_NR(cdw10) (((cdw10) & 0xffu) + 1u)
#define NVME_DSM_IDR (1u << 0)
#define NVME_DSM_IDW (1u << 1)
#define NVME_DSM_AD (1u << 2)
#define NVME_DSM_MAX_RANGES 256u
struct nvme_dsm_range {
	uint32_t cattr;	/* context attributes */
	uint32_t nlb;	/* LBAs (not 0-based) */
	uint64_t slba;
};
_Static_assert(sizeof(struct nvme_dsm_range) == 16, "DSM range is 16 bytes");

/* Identify CNS. */
#define NVME_ID_CNS_NS 0x00
#define NVME_ID_CNS_CTRL 0x01
#define NVME_ID_CNS_NS_LIST 0x02

/* Features. */
#define NVME_FEAT_VOLATILE_WC 0x06
#define NVME_FEAT_NUM_QUEUES 0x07

/* Create queue flags (cdw11). */
#define NVME_QUEUE_PHYS_CONTIG (1u << 0)
#define NVME_CQ_IRQ_ENABLED (1u << 1)
/* Create/Delete queue fields: cdw10 qid 15:0, 0-based size 31:16; cdw11
 * 31:16 the SQ's CQ id or the CQ's interrupt vector. */
#define NVME_QUEUE_QID(cdw10) ((cdw10) & 0xffffu)
#define NVME_QUEUE_QSIZE(cdw10) ((cdw10) >> 16)
#define NVME_QUEUE_CDW11_HI(cdw11) ((cdw11) >> 16)

/* Read/Write: cdw12 15:0 the 0-based block count. */
#define NVME_RW_NLB(cdw12) ((cdw12) & 0xffffu)

/* Generic status codes (SCT 0). */
#define NVME_SC_SUCCESS 0x00
#define NVME_SC_INVALID_OPCODE 0x01
#define NVME_SC_INVALID_FIELD 0x02
#define NVME_SC_CMDID_CONFLICT 0x03
#define NVME_SC_DATA_XFER_ERROR 0x04
#define NVME_SC_INTERNAL 0x06
#define NVME_SC_INVALID_NS 0x0b
#define NVME_SC_ABORT_SQ_DELETED 0x08
#define NVME_SC_PRP_OFFSET_INVALID 0x13
#define NVME_SC_NS_WRITE_PROTECTED 0x20
#define NVME_SC_LBA_RANGE 0x80
#define NVME_SC_CAP_EXCEEDED 0x81
/* Command specific (SCT 1). */
#define NVME_SC_CQ_INVALID 0x00
#define NVME_SC_QID_INVALID 0x01
#define NVME_SC_QUEUE_SIZE 0x02
#define NVME_SC_INVALID_VECTOR 0x08
#define NVME_SC_INVALID_QUEUE_DELETION 0x0c
/* Media and data integrity errors (SCT 2). */
#define NVME_SC_WRITE_FAULT 0x80
#define NVME_SC_READ_ERROR 0x81

/* Identify data is one 4 KiB page. */
#define NVME_IDENTIFY_SIZE 4096u

/* Identify Controller offsets used here. */
#define NVME_IDCTRL_VID 0	/* u16 */
#define NVME_IDCTRL_SSVID 2	/* u16 */
#define NVME_IDCTRL_SN 4	/* 20 bytes */
#define NVME_IDCTRL_MN 24	/* 40 bytes */
#define NVME_IDCTRL_FR 64	/* 8 bytes */
#define NVME_IDCTRL_MDTS 77
#define NVME_IDCTRL_CNTLID 78	/* u16 */
#define NVME_IDCTRL_VER 80	/* u32 */
#define NVME_IDCTRL_ACL 258	/* 0-based */
#define NVME_IDCTRL_AERL 259	/* 0-based */
#define NVME_IDCTRL_SQES 512
#define NVME_IDCTRL_CQES 513
#define NVME_IDCTRL_NN 516	/* u32 */
#define NVME_IDCTRL_ONCS 520	/* u16: optional NVM commands */
#define NVME_IDCTRL_VWC 525
#define NVME_IDCTRL_NVSCC 530	/* bit 0: vendor commands use NDT/NDM */
#define NVME_ONCS_DSM (1u << 2)
#define NVME_ONCS_WRITE_ZEROES (1u << 3)
/* Identify Namespace. */
#define NVME_IDNS_NSZE 0	/* u64 */
#define NVME_IDNS_NCAP 8
#define NVME_IDNS_NUSE 16
#define NVME_IDNS_NSFEAT 24
#define NVME_IDNS_NLBAF 25
#define NVME_IDNS_FLBAS 26
/* DLFEAT: 2:0 what deallocated LBAs read as (1: zeroes); bit 3 Write
 * Zeroes may deallocate (DEAC). */
#define NVME_IDNS_DLFEAT 33
#define NVME_DLFEAT_READ_ZEROES 0x1u
#define NVME_DLFEAT_WZ_DEAC (1u << 3)
#define NVME_IDNS_LBAF0 128	/* u32: 23:16 LBADS */

#define NVME_PAGE_SIZE 4096u

#endif
