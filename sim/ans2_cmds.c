/* SPDX-License-Identifier: MIT */
/*
 * The commands the ANS2 controller model executes, once the NVMMU has
 * accepted them: Identify (controller, namespace, active namespace
 * list), Create/Delete I/O SQ and CQ, Set/Get Features (Number of
 * Queues, Volatile Write Cache), Apple's vendor command, and Read,
 * Write (with FUA), Flush, Write Zeroes (with DEAC and FUA) and Dataset
 * Management (deallocate) on namespace 1. Everything else, Abort and
 * Asynchronous Event Request included, is an Invalid Opcode.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <copro/error.h>
#include <copro/sim/sart_model.h>

#include "ans2_internal.h"

#define APPLE_PCI_VID 0x106b

static const char *const qname[ANS2_NQ] = { "admin", "I/O" };

static void put16(uint8_t *p, unsigned off, uint16_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

static void put32(uint8_t *p, unsigned off, uint32_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

static void put64(uint8_t *p, unsigned off, uint64_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

/* Identify strings are ASCII padded with spaces, not NUL-terminated. */
static void put_str(uint8_t *p, unsigned off, size_t width, const char *s)
{
	size_t n = strlen(s);

	memset(p + off, ' ', width);
	memcpy(p + off, s, n < width ? n : width);
}

static uint16_t invalid_opcode(struct copro_sim_ans2 *m,
			       const struct ans2_cmd *c)
{
	copro_dev_warn(&m->ld, "%s tag %u: opcode 0x%02x is not supported",
		       qname[c->q], c->tag, c->sqe.opcode);
	return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
}

static uint64_t nlbas(const struct copro_sim_ans2 *m)
{
	return m->disk.size >> ANS2_LBA_SHIFT;
}

/* ---- Identify ---------------------------------------------------------- */

static void id_ctrl(struct copro_sim_ans2 *m, uint8_t *d)
{
	put16(d, NVME_IDCTRL_VID, APPLE_PCI_VID);
	put16(d, NVME_IDCTRL_SSVID, APPLE_PCI_VID);
	put_str(d, NVME_IDCTRL_SN, 20, m->serial);
	put_str(d, NVME_IDCTRL_MN, 40, m->model);
	put_str(d, NVME_IDCTRL_FR, 8, m->firmware);
	d[NVME_IDCTRL_MDTS] = ANS2_MDTS;
	put32(d, NVME_IDCTRL_VER, ANS2_VS_VALUE);
	/* 0-based, and no Abort or AER is accepted at all. */
	d[NVME_IDCTRL_ACL] = 0;
	d[NVME_IDCTRL_AERL] = 0;
	/*
	 * The A11's I/O SQ entries are 128 bytes whatever CC.IOSQES says
	 * (Linux leaves it at 6): the model says so here, 7 both minimum and
	 * maximum. What the real firmware reports is not in the record.
	 */
	d[NVME_IDCTRL_SQES] = m->gen->linear ? 0x66 : 0x77;
	d[NVME_IDCTRL_CQES] = 0x44;
	put32(d, NVME_IDCTRL_NN, 1);
	put16(d, NVME_IDCTRL_ONCS, NVME_ONCS_DSM | NVME_ONCS_WRITE_ZEROES);
	d[NVME_IDCTRL_VWC] = 1;
	d[NVME_IDCTRL_NVSCC] = 1;
}

static void id_ns(struct copro_sim_ans2 *m, uint8_t *d)
{
	put64(d, NVME_IDNS_NSZE, nlbas(m));
	put64(d, NVME_IDNS_NCAP, nlbas(m));
	put64(d, NVME_IDNS_NUSE, nlbas(m));
	d[NVME_IDNS_NLBAF] = 0;
	d[NVME_IDNS_FLBAS] = 0;
	/* Deallocated LBAs read as zeroes; Write Zeroes may deallocate. */
	d[NVME_IDNS_DLFEAT] = NVME_DLFEAT_READ_ZEROES | NVME_DLFEAT_WZ_DEAC;
	put32(d, NVME_IDNS_LBAF0, (uint32_t)ANS2_LBA_SHIFT << 16);
}

static uint16_t identify(struct copro_sim_ans2 *m, struct ans2_worker *w,
			 struct ans2_cmd *c)
{
	unsigned cns = c->sqe.cdw10 & 0xff;
	uint32_t nsid = c->sqe.nsid;
	uint16_t st;

	memset(w->page, 0, sizeof(w->page));
	switch (cns) {
	case NVME_ID_CNS_CTRL:
		if (ans2_fault_armed(m, COPRO_SIM_ANS2_FAULT_IDENTIFY)) {
			copro_dev_warn(&m->ld, "Identify Controller: injected"
				       " failure");
			return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INTERNAL);
		}
		id_ctrl(m, w->page);
		break;
	case NVME_ID_CNS_NS:
		if (nsid != ANS2_NSID) {
			copro_dev_warn(&m->ld, "Identify Namespace: no"
				       " namespace %" PRIu32, nsid);
			return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
		}
		id_ns(m, w->page);
		break;
	case NVME_ID_CNS_NS_LIST:
		if (nsid >= 0xfffffffeu)
			return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
		/* Active namespaces above nsid: only namespace 1 exists. */
		if (nsid < ANS2_NSID)
			put32(w->page, 0, ANS2_NSID);
		break;
	default:
		copro_dev_warn(&m->ld, "Identify: CNS %u is not supported", cns);
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
	st = ans2_prp_map(m, w, c, NVME_IDENTIFY_SIZE);
	if (st)
		return st;
	ans2_iov_to(w, w->page, NVME_IDENTIFY_SIZE);
	return 0;
}

/* ---- Features ------------------------------------------------------- */

static uint32_t queues_granted(struct copro_sim_ans2 *m)
{
	/* 0-based counts of SQs (15:0) and CQs (31:16): exactly one each. */
	if (ans2_fault_armed(m, COPRO_SIM_ANS2_FAULT_QUEUE_COUNT))
		return 1u | 1u << 16;
	return 0;
}

static uint16_t features(struct copro_sim_ans2 *m, struct ans2_cmd *c,
			 bool set)
{
	unsigned fid = c->sqe.cdw10 & 0xff;
	uint32_t v = c->sqe.cdw11;

	switch (fid) {
	case NVME_FEAT_NUM_QUEUES:
		if (set && ((v & 0xffff) == 0xffff || v >> 16 == 0xffff))
			return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
		c->result = queues_granted(m);
		return 0;
	case NVME_FEAT_VOLATILE_WC:
		if (set)
			atomic_store(&m->wce, v & 1);
		c->result = atomic_load(&m->wce);
		return 0;
	}
	copro_dev_warn(&m->ld, "%s Features: feature 0x%02x is not supported",
		       set ? "Set" : "Get", fid);
	return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
}

/* ---- the vendor command ----------------------------------------------- */

static uint16_t vendor(struct copro_sim_ans2 *m, struct ans2_cmd *c)
{
	uint64_t len = (uint64_t)c->sqe.cdw10 * 4, off = c->sqe.cdw13;
	uint32_t op = c->sqe.cdw12;
	int ret;

	if ((op != ANS2_VENDOR_OP_READ && op != ANS2_VENDOR_OP_WRITE) ||
	    (off & 3) || off > ANS2_VENDOR_AREA_SIZE ||
	    len > ANS2_VENDOR_AREA_SIZE - off) {
		copro_dev_warn(&m->ld,
			       "vendor command: op %" PRIu32 ", %" PRIu64
			       " bytes at offset %" PRIu64
			       " refused (ops 1 and 2, within %u bytes)",
			       op, len, off, ANS2_VENDOR_AREA_SIZE);
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
	if (!len)
		return 0;
	if (!m->sart) {
		copro_dev_err(&m->ld,
			      "vendor command: no SART model to reach its buffer");
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INTERNAL);
	}
	if (ans2_fault_take(m, COPRO_SIM_ANS2_FAULT_DMA)) {
		copro_dev_warn(&m->ld, "vendor command: injected DMA fault");
		return NVME_CQE_STATUS(NVME_SCT_GENERIC,
				       NVME_SC_DATA_XFER_ERROR);
	}
	copro_mutex_lock(&m->vendor_lock);
	if (op == ANS2_VENDOR_OP_READ)
		ret = copro_sim_sart_dma_write(m->sart, m->ld.name,
					       c->sqe.prp1, m->vendor + off,
					       (size_t)len);
	else
		ret = copro_sim_sart_dma_read(m->sart, m->ld.name, c->sqe.prp1,
					      m->vendor + off, (size_t)len);
	copro_mutex_unlock(&m->vendor_lock);
	if (ret < 0)
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR);
	c->result = (uint32_t)len;
	return 0;
}

static uint16_t admin(struct copro_sim_ans2 *m, struct ans2_worker *w,
		      struct ans2_cmd *c)
{
	switch (c->sqe.opcode) {
	case NVME_ADMIN_DELETE_SQ:
		return ans2_delete_sq(m, c);
	case NVME_ADMIN_CREATE_SQ:
		return ans2_create_sq(m, c);
	case NVME_ADMIN_DELETE_CQ:
		return ans2_delete_cq(m, c);
	case NVME_ADMIN_CREATE_CQ:
		return ans2_create_cq(m, c);
	case NVME_ADMIN_IDENTIFY:
		return identify(m, w, c);
	case NVME_ADMIN_SET_FEATURES:
		return features(m, c, true);
	case NVME_ADMIN_GET_FEATURES:
		return features(m, c, false);
	case ANS2_VENDOR_OPC:
		return vendor(m, c);
	}
	return invalid_opcode(m, c);
}

/* ---- I/O ------------------------------------------------------------ */

static uint16_t media_error(unsigned sc)
{
	return NVME_CQE_STATUS(NVME_SCT_MEDIA, sc);
}

/*
 * A failed write to the backing store: out of space is what a thin
 * namespace reports as Capacity Exceeded; anything else is a Write Fault.
 */
static uint16_t write_error(int err)
{
	if (err == -ENOSPC || err == -EDQUOT)
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_CAP_EXCEEDED);
	return media_error(NVME_SC_WRITE_FAULT);
}

static uint16_t write_protected(struct copro_sim_ans2 *m,
				const struct ans2_cmd *c)
{
	copro_dev_dbg(&m->ld, "I/O tag %u: opcode 0x%02x on a write-protected namespace",
		      c->tag, c->sqe.opcode);
	return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_NS_WRITE_PROTECTED);
}

/* Do LBAs [slba, slba + nlb) lie inside namespace 1? */
static bool in_range(const struct copro_sim_ans2 *m, uint64_t slba,
		     uint64_t nlb)
{
	return slba < nlbas(m) && nlb <= nlbas(m) - slba;
}

static uint16_t flush(struct copro_sim_ans2 *m, struct ans2_cmd *c)
{
	if (c->sqe.nsid != ANS2_NSID && c->sqe.nsid != 0xffffffffu)
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	ans2_count(&m->st.flushes, 1);
	if (ans2_disk_sync(m, true) < 0)
		return media_error(NVME_SC_WRITE_FAULT);
	return 0;
}

/* Durable before completion: FUA, or no volatile cache to hide in. */
static uint16_t maybe_sync(struct copro_sim_ans2 *m, uint32_t cdw12)
{
	if (((cdw12 & NVME_RW_FUA) || !atomic_load(&m->wce)) &&
	    ans2_disk_sync(m, false) < 0)
		return media_error(NVME_SC_WRITE_FAULT);
	return 0;
}

/*
 * Write Zeroes: no data moves (its TCB allows none). With DEAC the LBAs
 * are deallocated, which DLFEAT promises read back as zeroes; without,
 * they are zeroed and stay allocated.
 */
static uint16_t write_zeroes(struct copro_sim_ans2 *m, struct ans2_cmd *c)
{
	uint64_t slba = c->sqe.cdw10 | (uint64_t)c->sqe.cdw11 << 32;
	uint64_t nlb = NVME_RW_NLB(c->sqe.cdw12) + 1ull;
	bool deac = c->sqe.cdw12 & NVME_WZ_DEAC;
	int ret;

	if (c->sqe.nsid != ANS2_NSID)
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	if (!in_range(m, slba, nlb)) {
		copro_dev_warn(&m->ld, "Write Zeroes tag %u: LBAs %" PRIu64 "+%"
			       PRIu64 " beyond the %" PRIu64 " of namespace 1",
			       c->tag, slba, nlb, nlbas(m));
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
	}
	if (m->disk.read_only)
		return write_protected(m, c);
	ret = deac ? ans2_disk_deallocate(m, slba << ANS2_LBA_SHIFT,
					  nlb << ANS2_LBA_SHIFT)
		   : ans2_disk_zero(m, slba << ANS2_LBA_SHIFT,
				    nlb << ANS2_LBA_SHIFT);
	if (ret < 0)
		return write_error(ret);
	ans2_count(&m->st.write_zeroes, 1);
	ans2_count(&m->st.lbas_zeroed, nlb);
	return maybe_sync(m, c->sqe.cdw12);
}

/*
 * Dataset Management: the host sends NR+1 ranges of 16 bytes through the
 * command's PRPs. Only deallocate (AD) does anything; the access hints
 * (IDR, IDW, context attributes) are accepted and ignored, as the
 * specification allows. Every range is checked before any is applied.
 */
static uint16_t dataset_mgmt(struct copro_sim_ans2 *m, struct ans2_worker *w,
			     struct ans2_cmd *c)
{
	unsigned nr = NVME_DSM_NR(c->sqe.cdw10);
	size_t len = nr * sizeof(struct nvme_dsm_range);
	/* The worker's page holds the most a command can send. */
	struct nvme_dsm_range *r = (struct nvme_dsm_range *)w->page;
	uint64_t total = 0;
	uint16_t st;

	_Static_assert(NVME_DSM_MAX_RANGES * sizeof(*r) == sizeof(w->page),
		       "one page of ranges");
	if (c->sqe.nsid != ANS2_NSID)
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	st = ans2_prp_map(m, w, c, len);
	if (st)
		return st;
	ans2_iov_from(w, r, len);
	if (!(c->sqe.cdw11 & NVME_DSM_AD))
		return 0;
	for (unsigned i = 0; i < nr; i++) {
		if (r[i].nlb && !in_range(m, r[i].slba, r[i].nlb)) {
			copro_dev_warn(&m->ld, "Dataset Management tag %u: range %u,"
				       " LBAs %" PRIu64 "+%" PRIu32 ", beyond the %"
				       PRIu64 " of namespace 1", c->tag, i,
				       r[i].slba, r[i].nlb, nlbas(m));
			return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
		}
	}
	if (m->disk.read_only)
		return write_protected(m, c);
	for (unsigned i = 0; i < nr; i++) {
		if (!r[i].nlb)
			continue;
		int ret = ans2_disk_deallocate(m, r[i].slba << ANS2_LBA_SHIFT,
					       (uint64_t)r[i].nlb << ANS2_LBA_SHIFT);
		if (ret < 0)
			return write_error(ret);
		total += r[i].nlb;
	}
	ans2_count(&m->st.deallocates, 1);
	ans2_count(&m->st.lbas_deallocated, total);
	return 0;
}

static uint16_t read_write(struct copro_sim_ans2 *m, struct ans2_worker *w,
			   struct ans2_cmd *c, bool write)
{
	uint64_t slba = c->sqe.cdw10 | (uint64_t)c->sqe.cdw11 << 32;
	uint64_t nlb = NVME_RW_NLB(c->sqe.cdw12) + 1ull;
	size_t len = (size_t)(nlb << ANS2_LBA_SHIFT);
	uint16_t st;

	if (c->sqe.nsid != ANS2_NSID)
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	if (len > ANS2_MAX_TRANSFER) {
		copro_dev_warn(&m->ld, "I/O tag %u: %zu bytes exceed MDTS (%u)",
			       c->tag, len, ANS2_MAX_TRANSFER);
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
	if (!in_range(m, slba, nlb)) {
		copro_dev_warn(&m->ld, "I/O tag %u: LBAs %" PRIu64 "+%" PRIu64
			       " beyond the %" PRIu64 " of namespace 1",
			       c->tag, slba, nlb, nlbas(m));
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
	}
	if (write && m->disk.read_only)
		return write_protected(m, c);
	st = ans2_prp_map(m, w, c, len);
	if (st)
		return st;
	if (!write) {
		int ret = ans2_disk_read(m, w->iov, w->niov,
					 slba << ANS2_LBA_SHIFT, len);

		if (ret < 0)
			return media_error(NVME_SC_READ_ERROR);
		copro_owned_add(&w->st.reads, 1);
		copro_owned_add(&w->st.bytes_read, len);
		if (ret > 0)
			copro_owned_add(&w->st.mapped_reads, 1);
		return 0;
	}
	int ret = ans2_disk_write(m, w->iov, w->niov, slba << ANS2_LBA_SHIFT,
				  len);
	if (ret < 0)
		return write_error(ret);
	if (ret > 0)
		copro_owned_add(&w->st.mapped_writes, 1);
	copro_owned_add(&w->st.writes, 1);
	copro_owned_add(&w->st.bytes_written, len);
	return maybe_sync(m, c->sqe.cdw12);
}

static uint16_t io(struct copro_sim_ans2 *m, struct ans2_worker *w,
		   struct ans2_cmd *c)
{
	switch (c->sqe.opcode) {
	case NVME_CMD_FLUSH:
		return flush(m, c);
	case NVME_CMD_WRITE:
		return read_write(m, w, c, true);
	case NVME_CMD_READ:
		return read_write(m, w, c, false);
	case NVME_CMD_WRITE_ZEROES:
		return write_zeroes(m, c);
	case NVME_CMD_DSM:
		return dataset_mgmt(m, w, c);
	}
	return invalid_opcode(m, c);
}

void ans2_exec(struct copro_sim_ans2 *m, struct ans2_worker *w,
	       struct ans2_cmd *c)
{
	c->status = c->q == ANS2_QA ? admin(m, w, c) : io(m, w, c);
}
