/* SPDX-License-Identifier: MIT */
/*
 * Discard and write-zeroes: NVMe Dataset Management with the deallocate
 * attribute (one 16-byte range, sent through PRP1 from the tag's own
 * bounce chunk, so its TCB allows DMA to the device) and Write Zeroes
 * (no data; DEAC when the caller allows it and the namespace promises
 * that deallocated blocks read as zeroes, as Linux's NVMe core decides).
 * Whether the device has them comes from Identify (ONCS, DLFEAT).
 */
#include <errno.h>
#include <string.h>

#include "nvme/nvme_internal.h"

/*
 * Identify Controller ONCS says which optional commands exist; their
 * limits need the LBA size, which Identify Namespace gives next
 * (copro_nvme_zero_limits). Until then 1 marks "supported".
 */
void copro_nvme_parse_oncs(struct copro_nvme_info *in, uint16_t oncs)
{
	in->max_discard = (oncs & NVME_ONCS_DSM) ? 1 : 0;
	in->max_write_zeroes = (oncs & NVME_ONCS_WRITE_ZEROES) ? 1 : 0;
}

void copro_nvme_zero_limits(struct copro_nvme_info *in, uint8_t dlfeat)
{
	uint64_t wz = (uint64_t)in->lba_size * 65536u; /* 16-bit 0-based NLB */

	/* A Dataset Management range counts LBAs in 32 bits. */
	if (in->max_discard)
		in->max_discard = (uint64_t)in->lba_size * UINT32_MAX;
	/*
	 * Write Zeroes moves no data, but like Linux we keep it within the
	 * maximum transfer rather than rely on the controller taking more.
	 */
	if (in->max_write_zeroes)
		in->max_write_zeroes = wz < in->max_transfer ? wz
							     : in->max_transfer;
	in->discard_zeroes = (dlfeat & 0x7) == NVME_DLFEAT_READ_ZEROES;
	in->write_zeroes_deac = in->max_write_zeroes && in->discard_zeroes &&
				(dlfeat & NVME_DLFEAT_WZ_DEAC);
}

int copro_nvme_check_zero_req(const struct copro_nvme *nvme,
			      const struct copro_nvme_req *r, const char **bad)
{
	uint64_t max = r->op == COPRO_NVME_DISCARD ? nvme->info.max_discard
						   : nvme->info.max_write_zeroes;

	if (!max)
		return -EOPNOTSUPP;
	if (!r->len || r->len > max)
		*bad = "len";
	return 0;
}

/* The slot's SQE for a discard or write-zeroes request. */
void copro_nvme_prep_zero(struct copro_nvme *nvme, struct nvme_tag *t,
			  unsigned tag, const struct copro_nvme_req *req)
{
	struct nvme_sqe *sqe = &t->sqe;
	uint64_t slba = req->offset >> nvme->lba_shift;
	uint64_t nlb = req->len >> nvme->lba_shift;

	if (req->op == COPRO_NVME_DISCARD) {
		/* The range list lives in the tag's own bounce chunk. */
		struct nvme_dsm_range r = { .cattr = 0, .nlb = (uint32_t)nlb,
					    .slba = slba };
		unsigned chunk = tag - nvme->io_tag0;

		memcpy((char *)nvme->chunks.cpu + (size_t)chunk * NVME_CHUNK_SIZE,
		       &r, sizeof(r));
		sqe->opcode = NVME_CMD_DSM;
		sqe->prp1 = nvme->chunks.phys + (uint64_t)chunk * NVME_CHUNK_SIZE;
		sqe->cdw10 = 0; /* one range (0-based) */
		sqe->cdw11 = NVME_DSM_AD;
		return;
	}
	sqe->opcode = NVME_CMD_WRITE_ZEROES;
	sqe->cdw10 = (uint32_t)slba;
	sqe->cdw11 = (uint32_t)(slba >> 32);
	sqe->cdw12 = (uint32_t)(nlb - 1);
	if (req->deallocate && nvme->info.write_zeroes_deac)
		sqe->cdw12 |= NVME_WZ_DEAC;
	if (req->fua)
		sqe->cdw12 |= NVME_RW_FUA;
}
