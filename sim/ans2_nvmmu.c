/* SPDX-License-Identifier: MIT */
/*
 * The NVMMU and the PRPs: every command needs a TCB that describes it,
 * and the controller moves data only to the pages the TCB allows.
 *
 * A TCB describes a command when its command id is the tag and its
 * opcode, PRP1, PRP2, length (cdw12 15:0) and DMA direction flags agree
 * with the submission queue entry. Apple's vendor command needs a TCB
 * with its tag and opcode only: its buffer is no PRP, the SART filters it. The NVMMU reads a tag's TCB when the
 * tag's command starts and keeps that copy until the host writes the
 * tag to NVMMU_TCB_INVAL, so a host that reuses a tag without
 * invalidating runs the new command against the old TCB.
 *
 * PRPs follow the NVMe rules: PRP1 may start inside a page (dword
 * aligned); a transfer that needs two pages has the second in PRP2;
 * longer ones have a PRP list in PRP2 whose entries are page addresses,
 * the last entry of a full list page chaining to the next list page.
 * List pages are read through DMA, like the data, and any address
 * outside the host's DMA memory is a bus fault (Data Transfer Error).
 */
#include <inttypes.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>

#include "ans2_internal.h"

#define PAGE_MASK ((uint64_t)NVME_PAGE_SIZE - 1)

static const char *const qname[ANS2_NQ] = { "admin", "I/O" };

static uint16_t tcb_missing(struct copro_sim_ans2 *m)
{
	ans2_count(&m->st.tcb_missing, 1);
	return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INTERNAL);
}

static uint16_t prp_violation(struct copro_sim_ans2 *m)
{
	ans2_count(&m->st.prp_violations, 1);
	return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR);
}

/* The DMA directions a command's opcode needs. */
static uint8_t needed_flags(uint8_t opcode)
{
	uint8_t need = 0;

	if (opcode & NVME_OPC_HOST_TO_CTRL)
		need |= ANS2_TCB_DMA_TO_DEVICE;
	if (opcode & NVME_OPC_CTRL_TO_HOST)
		need |= ANS2_TCB_DMA_FROM_DEVICE;
	return need;
}

static bool load_tcb(struct copro_sim_ans2 *m, const struct ans2_cmd *c,
		     struct ans2_tag *t)
{
	uint64_t base = atomic_load(&m->tcb_base[c->q]), addr;
	uint32_t last = atomic_load(&m->num_tcbs);

	if (c->tag > last) {
		copro_dev_warn(&m->ld,
			       "%s tag %u has no TCB: NVMMU_NUM_TCBS is %u",
			       qname[c->q], c->tag, last);
		return false;
	}
	if (!base) {
		copro_dev_warn(&m->ld,
			       "%s tag %u has no TCB: the %s TCB base is not set",
			       qname[c->q], c->tag, qname[c->q]);
		return false;
	}
	addr = base + (uint64_t)c->tag * sizeof(struct ans2_tcb);
	if (copro_bus_dma_read_hint(m->bus, m->ld.name, addr, &t->tcb,
				    sizeof(t->tcb),
				    c->w ? &c->w->tcb_hint : NULL) < 0) {
		copro_dev_warn(&m->ld,
			       "%s tag %u: its TCB at 0x%" PRIx64
			       " is not in DMA memory",
			       qname[c->q], c->tag, addr);
		return false;
	}
	atomic_store_explicit(&t->tcb_loaded, true, memory_order_release);
	return true;
}

uint16_t ans2_nvmmu_check(struct copro_sim_ans2 *m, struct ans2_cmd *c)
{
	struct ans2_tag *t = &m->tags[c->tag];
	const struct nvme_sqe *s = &c->sqe;
	const struct ans2_tcb *tcb = &t->tcb;
	uint8_t need;

	if (!atomic_load_explicit(&t->tcb_loaded, memory_order_acquire) &&
	    !load_tcb(m, c, t))
		return tcb_missing(m);
	c->tcb = tcb;
	if (tcb->command_id != c->tag || tcb->opcode != s->opcode) {
		copro_dev_warn(&m->ld,
			       "%s tag %u (opcode 0x%02x) has no valid TCB:"
			       " the TCB holds command id %u, opcode 0x%02x",
			       qname[c->q], c->tag, s->opcode, tcb->command_id,
			       tcb->opcode);
		return tcb_missing(m);
	}
	/* The vendor command's buffer is no PRP: the SART governs it. */
	if (s->opcode == ANS2_VENDOR_OPC)
		return 0;
	if (tcb->prp1 != s->prp1 || tcb->prp2 != s->prp2) {
		copro_dev_warn(&m->ld,
			       "%s tag %u: PRP1 0x%" PRIx64 " PRP2 0x%" PRIx64
			       " are not what its TCB allows (PRP1 0x%" PRIx64
			       " PRP2 0x%" PRIx64 ")",
			       qname[c->q], c->tag, s->prp1, s->prp2, tcb->prp1,
			       tcb->prp2);
		return prp_violation(m);
	}
	if (tcb->length != (s->cdw12 & 0xffffu)) {
		copro_dev_warn(&m->ld,
			       "%s tag %u: length %u is not the TCB's %" PRIu32,
			       qname[c->q], c->tag, s->cdw12 & 0xffffu,
			       tcb->length);
		return prp_violation(m);
	}
	need = needed_flags(s->opcode);
	if ((tcb->dma_flags & need) != need) {
		copro_dev_warn(&m->ld,
			       "%s tag %u: opcode 0x%02x needs DMA flags 0x%x,"
			       " its TCB allows 0x%x",
			       qname[c->q], c->tag, s->opcode, need,
			       tcb->dma_flags);
		return prp_violation(m);
	}
	return 0;
}

void ans2_tcb_inval(struct copro_sim_ans2 *m, uint32_t val)
{
	struct ans2_tag *t;
	uint32_t state;

	if (val >= ANS2_MAX_TAGS) {
		atomic_store(&m->tcb_stat, 1);
		copro_dev_warn(&m->ld, "NVMMU_TCB_INVAL: tag %" PRIu32
			       " is not below %u", val, ANS2_MAX_TAGS);
		return;
	}
	t = &m->tags[val];
	state = atomic_load(&t->state);
	if (state != TAG_FREE) {
		atomic_store(&m->tcb_stat, 1);
		copro_dev_warn(&m->ld,
			       "NVMMU_TCB_INVAL: tag %" PRIu32
			       " is still in flight; its TCB stays",
			       val);
		return;
	}
	atomic_store_explicit(&t->tcb_loaded, false, memory_order_release);
	atomic_store_explicit(&m->tcb_stat, 0, memory_order_release);
	ans2_count(&m->st.tcb_invalidations, 1);
}

/* ---- PRPs ------------------------------------------------------------ */

static uint16_t bad_offset(struct copro_sim_ans2 *m, const struct ans2_cmd *c,
			   const char *what, uint64_t addr)
{
	copro_dev_warn(&m->ld, "%s tag %u: %s 0x%" PRIx64 " has a bad offset",
		       qname[c->q], c->tag, what, addr);
	return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_PRP_OFFSET_INVALID);
}

static uint16_t add_seg(struct copro_sim_ans2 *m, struct ans2_worker *w,
			uint64_t phys, size_t len)
{
	struct iovec *last = w->niov ? &w->iov[w->niov - 1] : NULL;
	void *ptr;

	if (copro_bus_dma_map_hint(m->bus, m->ld.name, phys, len, &ptr,
				   &w->data_hint) < 0)
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR);
	if (last && (char *)last->iov_base + last->iov_len == ptr) {
		last->iov_len += len;
		return 0;
	}
	if (w->niov >= ANS2_MAX_PAGES)
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	w->iov[w->niov].iov_base = ptr;
	w->iov[w->niov].iov_len = len;
	w->niov++;
	return 0;
}

/* Follow a PRP list from `list` for `left` bytes. */
static uint16_t walk_list(struct copro_sim_ans2 *m, struct ans2_worker *w,
			  const struct ans2_cmd *c, uint64_t list, size_t left)
{
	uint64_t ent[NVME_PAGE_SIZE / 8];
	uint16_t st;

	if (list & 7)
		return bad_offset(m, c, "PRP list", list);
	while (left) {
		size_t n = (NVME_PAGE_SIZE - (list & PAGE_MASK)) / 8;

		if (copro_bus_dma_read(m->bus, m->ld.name, list, ent, n * 8) < 0)
			return ANS2_ERR(NVME_SCT_GENERIC,
					NVME_SC_DATA_XFER_ERROR);
		for (size_t i = 0; i < n && left; i++) {
			size_t seg = left < NVME_PAGE_SIZE ? left
							   : NVME_PAGE_SIZE;

			/* A full page's last entry chains when more follows. */
			if (i == n - 1 && left > NVME_PAGE_SIZE) {
				list = ent[i];
				if (list & PAGE_MASK)
					return bad_offset(m, c, "PRP list",
							  list);
				break;
			}
			if (ent[i] & PAGE_MASK)
				return bad_offset(m, c, "PRP entry", ent[i]);
			st = add_seg(m, w, ent[i], seg);
			if (st)
				return st;
			left -= seg;
		}
	}
	return 0;
}

uint16_t ans2_prp_map(struct copro_sim_ans2 *m, struct ans2_worker *w,
		      const struct ans2_cmd *c, size_t len)
{
	uint64_t prp1 = c->sqe.prp1, prp2 = c->sqe.prp2;
	size_t first, left;
	uint16_t st;

	w->niov = 0;
	w->len = len;
	if (!len)
		return 0;
	if (ans2_fault_take(m, COPRO_SIM_ANS2_FAULT_DMA)) {
		copro_dev_warn(&m->ld, "%s tag %u: injected DMA fault",
			       qname[c->q], c->tag);
		return NVME_CQE_STATUS(NVME_SCT_GENERIC,
				       NVME_SC_DATA_XFER_ERROR);
	}
	if (prp1 & 3)
		return bad_offset(m, c, "PRP1", prp1);
	first = NVME_PAGE_SIZE - (prp1 & PAGE_MASK);
	if (first > len)
		first = len;
	st = add_seg(m, w, prp1, first);
	if (st)
		return st;
	left = len - first;
	if (!left)
		return 0;
	if (left <= NVME_PAGE_SIZE) {
		if (prp2 & PAGE_MASK)
			return bad_offset(m, c, "PRP2", prp2);
		return add_seg(m, w, prp2, left);
	}
	return walk_list(m, w, c, prp2, left);
}

void ans2_iov_to(struct ans2_worker *w, const void *src, size_t len)
{
	const char *s = src;

	for (unsigned i = 0; i < w->niov && len; i++) {
		size_t n = w->iov[i].iov_len < len ? w->iov[i].iov_len : len;

		memcpy(w->iov[i].iov_base, s, n);
		s += n;
		len -= n;
	}
}

void ans2_iov_from(struct ans2_worker *w, void *dst, size_t len)
{
	char *d = dst;

	for (unsigned i = 0; i < w->niov && len; i++) {
		size_t n = w->iov[i].iov_len < len ? w->iov[i].iov_len : len;

		memcpy(d, w->iov[i].iov_base, n);
		d += n;
		len -= n;
	}
}
