/* SPDX-License-Identifier: MIT */
/*
 * Setting the ANS2 queues up and down: the admin pair from AQA, ASQ and
 * ACQ when the controller is enabled (2 entries each on the M1, 2 to 16
 * on the A11), the one I/O pair through Create and Delete I/O CQ/SQ
 * (queue id 1 only, 2 to 64 entries on the M1 and 2 to 16 on the A11,
 * physically contiguous, interrupt vector 0), and forgetting everything
 * at a reset. Deleting the I/O SQ aborts its commands that have not
 * started (on the A11 also the entries still in the ring).
 */
#include <inttypes.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>

#include "ans2_internal.h"

static bool dma_ok(struct copro_sim_ans2 *m, uint64_t base, size_t len)
{
	void *ptr;

	return copro_bus_dma_map(m->bus, m->ld.name, base, len, &ptr) == 0;
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
	cq->nuwait = 0;
	cq->depth = depth;
	atomic_store(&cq->busy, false);
	atomic_store(&cq->level, false);
}

/* A ring SQ's positions and entry size, as a fresh queue has them. */
static void sq_ring_init(struct copro_sim_ans2 *m, unsigned q, size_t entry)
{
	struct ans2_sq *sq = &m->sq[q];

	copro_mutex_lock(&sq->lock);
	atomic_store(&sq->head, 0);
	sq->tail = 0;
	sq->entry = entry;
	copro_mutex_unlock(&sq->lock);
}

/* m->lock held, at enable. */
const char *ans2_admin_setup(struct copro_sim_ans2 *m)
{
	const struct ans2_gen *g = m->gen;
	struct ans2_cq *cq = &m->cq[ANS2_QA];
	unsigned sqs = ANS2_AQA_ASQS(m->aqa) + 1, cqs = ANS2_AQA_ACQS(m->aqa) + 1;

	if (sqs < g->admin_min || sqs > g->admin_max || cqs < g->admin_min ||
	    cqs > g->admin_max)
		return g->admin_min == g->admin_max
			       ? "AQA: both admin queues must hold 2 entries"
			       : "AQA: each admin queue must hold 2 to 16 entries";
	if (!m->asq || (m->asq & (NVME_PAGE_SIZE - 1)) ||
	    !dma_ok(m, m->asq, sqs * sizeof(struct nvme_sqe)))
		return "ASQ is not a page-aligned address in DMA memory";
	if (!m->acq || (m->acq & (NVME_PAGE_SIZE - 1)) ||
	    !dma_ok(m, m->acq, cqs * sizeof(struct nvme_cqe)))
		return "ACQ is not a page-aligned address in DMA memory";
	if (!g->linear)
		sq_ring_init(m, ANS2_QA, sizeof(struct nvme_sqe));
	atomic_store(&m->sq[ANS2_QA].base, m->asq);
	atomic_store_explicit(&m->sq[ANS2_QA].depth, sqs, memory_order_release);
	copro_spin_lock(&cq->lock);
	cq_init(cq, m->acq, cqs, true);
	copro_spin_unlock(&cq->lock);
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
	if (qsize < 1 || qsize + 1 > m->gen->max_entries) {
		copro_dev_warn(&m->ld, "Create I/O %s: %" PRIu32
			       " entries refused (2 to %u)",
			       what, qsize + 1, m->gen->max_entries);
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
	copro_spin_lock(&cq->lock);
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
	copro_spin_unlock(&cq->lock);
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
		st = queue_common(m, c, "SQ", m->gen->iosq_entry, &depth);
	}
	if (!st && (cqid != 1 || !m->cq[ANS2_QIO].depth)) {
		copro_dev_warn(&m->ld, "Create I/O SQ: completion queue %u"
			       " does not exist", cqid);
		st = ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_CQ_INVALID);
	}
	if (!st) {
		if (!m->gen->linear)
			sq_ring_init(m, ANS2_QIO, m->gen->iosq_entry);
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
		/* Linear queues: the tag is the CID; rings: the entry's. */
		c.sqe.cid = m->gen->linear ? (uint16_t)tag : t->sqe.cid;
		c.status = NVME_CQE_STATUS(NVME_SCT_GENERIC,
					   NVME_SC_ABORT_SQ_DELETED);
		ans2_complete(m, &c);
	}
}

uint16_t ans2_delete_sq(struct copro_sim_ans2 *m, const struct ans2_cmd *c)
{
	uint32_t qid = NVME_QUEUE_QID(c->sqe.cdw10);
	unsigned depth;

	copro_mutex_lock(&m->lock);
	depth = atomic_load(&m->sq[ANS2_QIO].depth);
	if (qid != 1 || !depth) {
		copro_mutex_unlock(&m->lock);
		copro_dev_warn(&m->ld, "Delete I/O SQ: no queue %" PRIu32, qid);
		return ANS2_ERR(NVME_SCT_CMD_SPECIFIC, NVME_SC_QID_INVALID);
	}
	atomic_store(&m->sq[ANS2_QIO].depth, 0);
	copro_mutex_unlock(&m->lock);
	abort_io(m);
	if (!m->gen->linear)
		ans2_ring_abort_unfetched(m, ANS2_QIO, depth);
	ans2_count(&m->st.ioq_deleted, 1);
	return 0;
}

uint16_t ans2_delete_cq(struct copro_sim_ans2 *m, const struct ans2_cmd *c)
{
	uint32_t qid = NVME_QUEUE_QID(c->sqe.cdw10);
	struct ans2_cq *cq = &m->cq[ANS2_QIO];
	uint16_t st = 0;

	copro_mutex_lock(&m->lock);
	copro_spin_lock(&cq->lock);
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
		cq->nuwait = 0;
		cq->depth = 0;
		ans2_cq_set_level(m, cq);
	}
	copro_spin_unlock(&cq->lock);
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
		if (!m->gen->linear)
			ans2_ring_reset(m, q);
		copro_spin_lock(&cq->lock);
		cq->depth = 0;
		cq->nwait = 0;
		cq->nuwait = 0;
		atomic_store(&cq->level, false);
		atomic_store(&cq->busy, false);
		copro_spin_unlock(&cq->lock);
	}
	atomic_store(&m->race_lost, false);
	ans2_irq_update(m);
}
