/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 queues: linear submission queues (arrays indexed by tag, a
 * command issued by writing its tag to the queue's doorbell), ordinary
 * completion rings with phase bits and head doorbells, and the one level
 * interrupt line they share.
 *
 * Tags: one space of 64 over both queues. A doorbell naming a tag at or
 * above 64 or outside its queue's array has no entry to read: it is
 * ignored, logged and counted (tag_errors). A doorbell naming a tag still
 * in flight in either queue is refused with a completion on the
 * doorbell's queue: status Command ID Conflict, DNR, CID = the tag. The
 * command in flight is not disturbed.
 *
 * The interrupt is asserted while a CQ with interrupts enabled holds
 * entries that raised it and that the head doorbell has not yet passed:
 * a lost interrupt (a fault) leaves its entry in the ring without
 * asserting the line, and nothing later asserts it for that entry alone.
 *
 * A completion that finds its CQ full waits, in order, until the head
 * doorbell makes room.
 */
#include <inttypes.h>
#include <string.h>

#include <copro/bus.h>
#include <copro/error.h>

#include "ans2_internal.h"

static const char *const qname[ANS2_NQ] = { "admin", "I/O" };

/* ---- the interrupt ----------------------------------------------------- */

void ans2_irq_update(struct copro_sim_ans2 *m)
{
	bool level;

	copro_mutex_lock(&m->irq_lock);
	level = atomic_load(&m->cq[ANS2_QA].level) ||
		atomic_load(&m->cq[ANS2_QIO].level);
	copro_bus_irq_set(m->p, m->line, level);
	copro_mutex_unlock(&m->irq_lock);
}

/* cq->lock held. */
static void cq_set_level(struct copro_sim_ans2 *m, struct ans2_cq *cq)
{
	bool level = cq->depth && cq->ien && cq->irq_mark > cq->acked;

	if (atomic_load(&cq->level) == level)
		return;
	atomic_store(&cq->level, level);
	ans2_irq_update(m);
}

/* ---- completions ------------------------------------------------------ */

static bool cq_full(const struct ans2_cq *cq)
{
	return (cq->tail + 1) % cq->depth == cq->head;
}

/*
 * cq->lock held, room checked. The phase bit is stored last, with
 * release order, so a host that sees the new phase sees the whole entry.
 */
static int cq_write(struct copro_sim_ans2 *m, struct ans2_cq *cq,
		    const struct nvme_cqe *cqe)
{
	uint64_t addr = cq->base + (uint64_t)cq->tail * sizeof(*cqe);
	struct nvme_cqe *slot;
	int ret;

	ret = copro_bus_dma_map(m->p, m->ld.name, addr, sizeof(*cqe),
				(void **)&slot);
	if (ret < 0)
		return ret;
	memcpy(slot, cqe, offsetof(struct nvme_cqe, status));
	__atomic_store_n(&slot->status,
			 (uint16_t)((cqe->status & ~NVME_CQE_PHASE) | cq->phase),
			 __ATOMIC_RELEASE);
	if (++cq->tail == cq->depth) {
		cq->tail = 0;
		cq->phase ^= 1;
	}
	cq->posted++;
	if (ans2_fault_take(m, COPRO_SIM_ANS2_FAULT_LOST_IRQ) ||
	    atomic_exchange(&m->race_lost, false)) {
		ans2_count(&m->st.lost_irqs, 1);
		copro_dev_dbg(&m->ld, "completion of CID %u: interrupt lost",
			      cqe->cid);
	} else {
		cq->irq_mark = cq->posted;
	}
	atomic_store(&cq->busy, true);
	return 0;
}

/* cq->lock held: a CQ the controller cannot write is fatal. */
static void cq_fault(struct copro_sim_ans2 *m, unsigned q)
{
	copro_dev_err(&m->ld,
		      "cannot write the %s completion queue at 0x%" PRIx64
		      ": controller fatal status",
		      qname[q], m->cq[q].base);
	ans2_fatal(m);
}

/*
 * Post a tag's completion (or queue it while the CQ is full). The tag
 * is free again once its entry is visible: the host may invalidate and
 * reuse it as soon as it sees the completion.
 */
void ans2_complete(struct copro_sim_ans2 *m, const struct ans2_cmd *c)
{
	unsigned q = c->q;
	struct ans2_cq *cq = &m->cq[q];
	struct ans2_tag *t = &m->tags[c->tag];
	struct nvme_cqe cqe = {
		.result = c->result,
		.sq_id = (uint16_t)q,
		.cid = c->sqe.cid,
		.status = c->status,
	};

	if (c->status)
		ans2_count(&m->st.errors, 1);
	copro_mutex_lock(&cq->lock);
	if (atomic_load(&m->epoch) != c->epoch || !cq->depth) {
		copro_mutex_unlock(&cq->lock);
		atomic_store(&t->state, TAG_FREE);
		return;
	}
	if (cq_full(cq)) {
		t->cqe = cqe;
		atomic_store(&t->state, TAG_CQ_WAIT);
		cq->wait[cq->nwait++] = (uint8_t)c->tag;
		copro_mutex_unlock(&cq->lock);
		return;
	}
	atomic_store(&t->state, TAG_FREE);
	if (cq_write(m, cq, &cqe) < 0)
		cq_fault(m, q);
	cq_set_level(m, cq);
	copro_mutex_unlock(&cq->lock);
}

/* A completion owned by no tag (a refused doorbell). */
static void complete_untagged(struct copro_sim_ans2 *m, unsigned q,
			      uint16_t cid, uint16_t status)
{
	struct ans2_cq *cq = &m->cq[q];
	struct nvme_cqe cqe = { .sq_id = (uint16_t)q, .cid = cid,
				.status = status };

	ans2_count(&m->st.errors, 1);
	copro_mutex_lock(&cq->lock);
	if (!cq->depth || cq_full(cq)) {
		copro_dev_warn(&m->ld,
			       "no room in the %s CQ for the refusal of CID %u",
			       qname[q], cid);
	} else if (cq_write(m, cq, &cqe) < 0) {
		cq_fault(m, q);
	}
	cq_set_level(m, cq);
	copro_mutex_unlock(&cq->lock);
}

void ans2_cq_doorbell(struct copro_sim_ans2 *m, unsigned q, uint32_t val)
{
	struct ans2_cq *cq = &m->cq[q];
	unsigned adv, outstanding;

	copro_mutex_lock(&cq->lock);
	if (!cq->depth) {
		copro_mutex_unlock(&cq->lock);
		copro_dev_warn(&m->ld,
			       "%s CQ head doorbell 0x%" PRIx32
			       " while the queue does not exist",
			       qname[q], val);
		ans2_count(&m->st.doorbells_ignored, 1);
		return;
	}
	adv = (val + cq->depth - cq->head) % cq->depth;
	outstanding = (cq->tail + cq->depth - cq->head) % cq->depth;
	if (val >= cq->depth || adv > outstanding) {
		copro_dev_warn(&m->ld,
			       "%s CQ head doorbell %" PRIu32
			       " invalid: head %u, tail %u, %u entries",
			       qname[q], val, cq->head, cq->tail, cq->depth);
		copro_mutex_unlock(&cq->lock);
		ans2_count(&m->st.doorbells_ignored, 1);
		return;
	}
	cq->head = val;
	cq->acked += adv;
	/* Waiting completions take the room, oldest first. */
	while (cq->nwait && !cq_full(cq)) {
		struct ans2_tag *t = &m->tags[cq->wait[0]];
		struct nvme_cqe cqe = t->cqe;

		memmove(cq->wait, cq->wait + 1, --cq->nwait);
		atomic_store(&t->state, TAG_FREE);
		if (cq_write(m, cq, &cqe) < 0) {
			cq_fault(m, q);
			break;
		}
	}
	atomic_store(&cq->busy, cq->acked != cq->posted);
	cq_set_level(m, cq);
	copro_mutex_unlock(&cq->lock);
}

/* ---- submission ------------------------------------------------------- */

void ans2_sq_doorbell(struct copro_sim_ans2 *m, unsigned q, uint32_t val)
{
	unsigned depth = atomic_load_explicit(&m->sq[q].depth,
					      memory_order_acquire);
	struct ans2_tag *t;
	uint32_t expect = TAG_FREE;

	if (!(atomic_load(&m->linear) & ANS2_LINEAR_SQ_EN)) {
		copro_dev_warn(&m->ld,
			       "%s linear doorbell (tag %" PRIu32
			       ") ignored: linear submission is off",
			       qname[q], val);
		ans2_count(&m->st.doorbells_ignored, 1);
		return;
	}
	if (!atomic_load(&m->ready) || !depth) {
		copro_dev_warn(&m->ld,
			       "%s linear doorbell (tag %" PRIu32
			       ") ignored: %s",
			       qname[q], val,
			       !atomic_load(&m->ready) ? "controller not ready"
						       : "no such queue");
		ans2_count(&m->st.doorbells_ignored, 1);
		return;
	}
	if (val >= ANS2_MAX_TAGS || val >= depth) {
		copro_dev_warn(&m->ld,
			       "%s linear doorbell: tag %" PRIu32
			       " ignored, the queue holds tags 0 to %u",
			       qname[q], val, depth - 1);
		ans2_count(&m->st.tag_errors, 1);
		return;
	}
	/* The host is still working through completions: the race. */
	if (ans2_fault_armed(m, COPRO_SIM_ANS2_FAULT_DOORBELL_RACE) &&
	    (atomic_load(&m->cq[ANS2_QA].busy) ||
	     atomic_load(&m->cq[ANS2_QIO].busy)))
		atomic_store(&m->race_lost, true);
	t = &m->tags[val];
	if (!atomic_compare_exchange_strong(&t->state, &expect, TAG_PENDING)) {
		copro_dev_warn(&m->ld,
			       "%s linear doorbell: tag %" PRIu32
			       " is already in flight on the %s queue",
			       qname[q], val,
			       qname[atomic_load_explicit(&t->q,
							  memory_order_relaxed)]);
		ans2_count(&m->st.tag_errors, 1);
		complete_untagged(m, q, (uint16_t)val,
				  ANS2_ERR(NVME_SCT_GENERIC,
					   NVME_SC_CMDID_CONFLICT));
		return;
	}
	atomic_store_explicit(&t->q, q, memory_order_relaxed);
	atomic_store_explicit(&t->epoch, atomic_load(&m->epoch),
			      memory_order_relaxed);
	atomic_fetch_or(&m->pending, 1ull << val);
	ans2_kick(m);
}

/* ---- queue setup ------------------------------------------------------ */

static bool dma_ok(struct copro_sim_ans2 *m, uint64_t base, size_t len)
{
	void *ptr;

	return copro_bus_dma_map(m->p, m->ld.name, base, len, &ptr) == 0;
}

static void cq_init(struct ans2_cq *cq, uint64_t base, unsigned depth,
		    bool ien)
{
	cq->base = base;
	cq->ien = ien;
	cq->head = cq->tail = 0;
	cq->phase = 1;
	cq->posted = cq->acked = cq->irq_mark = 0;
	cq->nwait = 0;
	cq->depth = depth;
	atomic_store(&cq->busy, false);
	atomic_store(&cq->level, false);
}

/* m->lock held, at enable. */
const char *ans2_admin_setup(struct copro_sim_ans2 *m)
{
	struct ans2_cq *cq = &m->cq[ANS2_QA];

	if (ANS2_AQA_ASQS(m->aqa) + 1 != ANS2_ADMIN_DEPTH ||
	    ANS2_AQA_ACQS(m->aqa) + 1 != ANS2_ADMIN_DEPTH)
		return "AQA: both admin queues must hold 2 entries";
	if (!m->asq || (m->asq & (NVME_PAGE_SIZE - 1)) ||
	    !dma_ok(m, m->asq, ANS2_ADMIN_DEPTH * sizeof(struct nvme_sqe)))
		return "ASQ is not a page-aligned address in DMA memory";
	if (!m->acq || (m->acq & (NVME_PAGE_SIZE - 1)) ||
	    !dma_ok(m, m->acq, ANS2_ADMIN_DEPTH * sizeof(struct nvme_cqe)))
		return "ACQ is not a page-aligned address in DMA memory";
	atomic_store(&m->sq[ANS2_QA].base, m->asq);
	atomic_store_explicit(&m->sq[ANS2_QA].depth, ANS2_ADMIN_DEPTH,
			      memory_order_release);
	copro_mutex_lock(&cq->lock);
	cq_init(cq, m->acq, ANS2_ADMIN_DEPTH, true);
	copro_mutex_unlock(&cq->lock);
	return NULL;
}

static uint16_t queue_common(struct copro_sim_ans2 *m,
			     const struct ans2_cmd *c, const char *what,
			     size_t entry, unsigned *depth)
{
	uint32_t qid = NVME_QUEUE_QID(c->sqe.cdw10);
	uint32_t qsize = NVME_QUEUE_QSIZE(c->sqe.cdw10);
	uint64_t base = c->sqe.prp1;

	if (qid != 1) {
		copro_dev_warn(&m->ld, "Create I/O %s: queue id %" PRIu32
			       " refused, the controller has queue 1 only",
			       what, qid);
		return ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
	}
	if (qsize < 1 || qsize + 1 > ANS2_IO_DEPTH) {
		copro_dev_warn(&m->ld, "Create I/O %s: %" PRIu32
			       " entries refused (2 to %u)",
			       what, qsize + 1, ANS2_IO_DEPTH);
		return ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QUEUE_SIZE);
	}
	if (!(c->sqe.cdw11 & NVME_QUEUE_PHYS_CONTIG)) {
		copro_dev_warn(&m->ld, "Create I/O %s: only physically"
			       " contiguous queues are supported", what);
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
	if (base & (NVME_PAGE_SIZE - 1))
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_PRP_OFFSET_INVALID);
	if (!dma_ok(m, base, (qsize + 1) * entry)) {
		copro_dev_warn(&m->ld, "Create I/O %s: 0x%" PRIx64
			       " is not in DMA memory", what, base);
		return ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR);
	}
	*depth = qsize + 1;
	return 0;
}

uint16_t ans2_create_cq(struct copro_sim_ans2 *m, const struct ans2_cmd *c)
{
	struct ans2_cq *cq = &m->cq[ANS2_QIO];
	unsigned depth = 0;
	uint16_t st;

	copro_mutex_lock(&m->lock);
	copro_mutex_lock(&cq->lock);
	if (cq->depth && NVME_QUEUE_QID(c->sqe.cdw10) == 1) {
		copro_dev_warn(&m->ld, "Create I/O CQ: queue 1 exists");
		st = ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
	} else {
		st = queue_common(m, c, "CQ", sizeof(struct nvme_cqe), &depth);
	}
	if (!st && NVME_QUEUE_CDW11_HI(c->sqe.cdw11) != 0) {
		copro_dev_warn(&m->ld, "Create I/O CQ: interrupt vector %u"
			       " refused, there is only vector 0",
			       NVME_QUEUE_CDW11_HI(c->sqe.cdw11));
		st = ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_VECTOR);
	}
	if (!st)
		cq_init(cq, c->sqe.prp1, depth,
			c->sqe.cdw11 & NVME_CQ_IRQ_ENABLED);
	copro_mutex_unlock(&cq->lock);
	copro_mutex_unlock(&m->lock);
	return st;
}

uint16_t ans2_create_sq(struct copro_sim_ans2 *m, const struct ans2_cmd *c)
{
	struct ans2_sq *sq = &m->sq[ANS2_QIO];
	unsigned depth = 0, cqid = NVME_QUEUE_CDW11_HI(c->sqe.cdw11);
	uint16_t st;

	copro_mutex_lock(&m->lock);
	if (atomic_load(&sq->depth) && NVME_QUEUE_QID(c->sqe.cdw10) == 1) {
		copro_dev_warn(&m->ld, "Create I/O SQ: queue 1 exists");
		st = ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
	} else {
		st = queue_common(m, c, "SQ", sizeof(struct nvme_sqe), &depth);
	}
	if (!st && (cqid != 1 || !m->cq[ANS2_QIO].depth)) {
		copro_dev_warn(&m->ld, "Create I/O SQ: completion queue %u"
			       " does not exist", cqid);
		st = ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_CQ_INVALID);
	}
	if (!st) {
		atomic_store(&sq->base, c->sqe.prp1);
		atomic_store_explicit(&sq->depth, depth, memory_order_release);
	}
	copro_mutex_unlock(&m->lock);
	return st;
}

/* Commands of a deleted SQ that have not started are aborted. */
static void abort_io(struct copro_sim_ans2 *m)
{
	for (unsigned tag = 0; tag < ANS2_MAX_TAGS; tag++) {
		struct ans2_tag *t = &m->tags[tag];
		uint64_t bit = 1ull << tag;
		uint32_t stuck = TAG_STUCK;
		struct ans2_cmd c = { .tag = tag, .q = ANS2_QIO };
		bool take = false;

		if (atomic_load_explicit(&t->q, memory_order_relaxed) !=
		    ANS2_QIO)
			continue;
		if (atomic_load(&t->state) == TAG_PENDING)
			take = atomic_fetch_and(&m->pending, ~bit) & bit;
		else
			take = atomic_compare_exchange_strong(&t->state, &stuck,
							      TAG_RUNNING);
		if (!take)
			continue;
		c.epoch = atomic_load_explicit(&t->epoch, memory_order_relaxed);
		c.sqe.cid = (uint16_t)tag;
		c.status = NVME_CQE_STATUS(NVME_SCT_GENERIC,
					   NVME_SC_ABORT_SQ_DELETED);
		ans2_complete(m, &c);
	}
}

uint16_t ans2_delete_sq(struct copro_sim_ans2 *m, const struct ans2_cmd *c)
{
	uint32_t qid = NVME_QUEUE_QID(c->sqe.cdw10);

	copro_mutex_lock(&m->lock);
	if (qid != 1 || !atomic_load(&m->sq[ANS2_QIO].depth)) {
		copro_mutex_unlock(&m->lock);
		copro_dev_warn(&m->ld, "Delete I/O SQ: no queue %" PRIu32, qid);
		return ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
	}
	atomic_store(&m->sq[ANS2_QIO].depth, 0);
	copro_mutex_unlock(&m->lock);
	abort_io(m);
	return 0;
}

uint16_t ans2_delete_cq(struct copro_sim_ans2 *m, const struct ans2_cmd *c)
{
	uint32_t qid = NVME_QUEUE_QID(c->sqe.cdw10);
	struct ans2_cq *cq = &m->cq[ANS2_QIO];
	uint16_t st = 0;

	copro_mutex_lock(&m->lock);
	copro_mutex_lock(&cq->lock);
	if (qid != 1 || !cq->depth) {
		copro_dev_warn(&m->ld, "Delete I/O CQ: no queue %" PRIu32, qid);
		st = ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
	} else if (atomic_load(&m->sq[ANS2_QIO].depth)) {
		copro_dev_warn(&m->ld,
			       "Delete I/O CQ: the I/O SQ still uses it");
		st = ANS2_ERR(NVME_SCT_CMD_SPECIFIC,
			      NVME_SC_INVALID_QUEUE_DELETION);
	} else {
		for (unsigned i = 0; i < cq->nwait; i++)
			atomic_store(&m->tags[cq->wait[i]].state, TAG_FREE);
		cq->nwait = 0;
		cq->depth = 0;
		cq_set_level(m, cq);
	}
	copro_mutex_unlock(&cq->lock);
	copro_mutex_unlock(&m->lock);
	return st;
}

/* Under ctl_lock with the workers idle. */
void ans2_queues_reset(struct copro_sim_ans2 *m)
{
	atomic_store(&m->pending, 0);
	for (unsigned i = 0; i < ANS2_MAX_TAGS; i++) {
		atomic_store(&m->tags[i].state, TAG_FREE);
		atomic_store(&m->tags[i].tcb_loaded, false);
	}
	for (unsigned q = 0; q < ANS2_NQ; q++) {
		struct ans2_cq *cq = &m->cq[q];

		atomic_store(&m->sq[q].depth, 0);
		copro_mutex_lock(&cq->lock);
		cq->depth = 0;
		cq->nwait = 0;
		atomic_store(&cq->level, false);
		atomic_store(&cq->busy, false);
		copro_mutex_unlock(&cq->lock);
	}
	atomic_store(&m->race_lost, false);
	ans2_irq_update(m);
}
