/* SPDX-License-Identifier: MIT */
/*
 * The ANS2 queues: the M1's linear submission queues (arrays indexed by
 * tag, a command issued by writing its tag to the queue's doorbell; the
 * A11's ring queues are ans2_ring.c), ordinary completion rings with
 * phase bits and head doorbells, and the one level interrupt line they
 * share.
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

#include <copro/sim/bus.h>
#include <copro/error.h>

#include "ans2_internal.h"

static const char *const qname[ANS2_NQ] = { "admin", "I/O" };

/* ---- the interrupt ----------------------------------------------------- */

static bool cq_levels(struct copro_sim_ans2 *m)
{
	return atomic_load(&m->cq[ANS2_QA].level) ||
	       atomic_load(&m->cq[ANS2_QIO].level);
}

/*
 * The line is the OR of both CQs' levels, each changed under its own
 * CQ's lock. No lock of its own: whoever drives the line looks again
 * afterwards and drives it once more if the levels moved meanwhile, so
 * the last one to look leaves it right (at worst after a brief glitch
 * that makes a handler find nothing).
 */
void ans2_irq_update(struct copro_sim_ans2 *m)
{
	bool level = cq_levels(m);

	for (;;) {
		bool now;

		copro_bus_irq_set(m->bus, m->line, level);
		now = cq_levels(m);
		if (now == level)
			return;
		level = now;
	}
}

/* cq->lock held. */
void ans2_cq_set_level(struct copro_sim_ans2 *m, struct ans2_cq *cq)
{
	bool level = cq->depth && cq->ien && cq->irq_mark > cq->acked;

	if (atomic_load(&cq->level) == level)
		return;
	atomic_store(&cq->level, level);
	ans2_irq_update(m);
}

/* ---- completions ------------------------------------------------------ */

/* What a completion reports as its SQ's head: a linear queue has none. */
static uint16_t sq_head(struct copro_sim_ans2 *m, unsigned q)
{
	return m->gen->linear ? 0
			      : (uint16_t)atomic_load(&m->sq[q].head);
}

static bool cq_full(const struct ans2_cq *cq)
{
	return (cq->tail + 1) % cq->depth == cq->head;
}

/*
 * cq->lock held, room checked. The phase bit is stored last, with
 * release order, so a host that sees the new phase sees the whole entry,
 * and everything the model counts about it.
 */
static int cq_write(struct copro_sim_ans2 *m, struct ans2_cq *cq,
		    const struct nvme_cqe *cqe)
{
	uint64_t addr = cq->base + (uint64_t)cq->tail * sizeof(*cqe);
	struct nvme_cqe *slot;
	bool lost;
	int ret;

	ret = copro_bus_dma_map_hint(m->bus, m->ld.name, addr, sizeof(*cqe),
				     (void **)&slot, &cq->hint);
	if (ret < 0)
		return ret;
	/* Looked at before it is cleared: an exchange on every completion
	 * would cost an atomic write for a fault seldom armed. */
	lost = ans2_fault_take(m, COPRO_SIM_ANS2_FAULT_LOST_IRQ) ||
	       (atomic_load_explicit(&m->race_lost, memory_order_relaxed) &&
		atomic_exchange(&m->race_lost, false));
	if (lost) {
		ans2_count(&m->st.lost_irqs, 1);
		copro_dev_dbg(&m->ld, "completion of CID %u: interrupt lost",
			      cqe->cid);
	}
	/* Ordered before the entry by the release store of its status. */
	if (!atomic_load_explicit(&cq->busy, memory_order_relaxed))
		atomic_store_explicit(&cq->busy, true, memory_order_release);
	memcpy(slot, cqe, offsetof(struct nvme_cqe, status));
	__atomic_store_n(&slot->status,
			 (uint16_t)((cqe->status & ~NVME_CQE_PHASE) | cq->phase),
			 __ATOMIC_RELEASE);
	if (++cq->tail == cq->depth) {
		cq->tail = 0;
		cq->phase ^= 1;
	}
	cq->posted++;
	if (!lost)
		cq->irq_mark = cq->posted;
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
	bool crash = false;
	struct nvme_cqe cqe = {
		.result = c->result,
		.sq_head = sq_head(m, q),
		.sq_id = (uint16_t)q,
		.cid = c->sqe.cid,
		.status = c->status,
	};

	if (c->status)
		ans2_count(&m->st.errors, 1);
	copro_spin_lock(&cq->lock);
	if (atomic_load(&m->epoch) != c->epoch || !cq->depth) {
		copro_spin_unlock(&cq->lock);
		atomic_store(&t->state, TAG_FREE);
		return;
	}
	if (cq_full(cq)) {
		t->cqe = cqe;
		atomic_store(&t->state, TAG_CQ_WAIT);
		cq->wait[cq->nwait++] = (uint8_t)c->tag;
		copro_spin_unlock(&cq->lock);
		return;
	}
	/* The host may reuse the tag once it sees the entry, whose status
	 * is stored with release order after this. */
	atomic_store_explicit(&t->state, TAG_FREE, memory_order_release);
	/*
	 * FAULT_CRASH counts completions posted. The controller stops before
	 * the host can see the last one: otherwise another worker could
	 * still take, run and complete commands the host issues after it,
	 * while this thread is on its way to the crash.
	 */
	crash = ans2_fault_countdown(m, COPRO_SIM_ANS2_FAULT_CRASH);
	if (crash) {
		atomic_store(&m->crashed, true);
		ans2_fatal(m);
	}
	if (cq_write(m, cq, &cqe) < 0)
		cq_fault(m, q);
	ans2_cq_set_level(m, cq);
	copro_spin_unlock(&cq->lock);
	if (crash)
		ans2_crash_now(m);
	else if (!m->gen->linear)
		ans2_ring_refill(m, q);
}

void ans2_complete_untagged(struct copro_sim_ans2 *m, unsigned q,
			    uint16_t cid, uint16_t status)
{
	struct ans2_cq *cq = &m->cq[q];
	struct nvme_cqe cqe = { .sq_head = sq_head(m, q),
				.sq_id = (uint16_t)q, .cid = cid,
				.status = status };

	ans2_count(&m->st.errors, 1);
	copro_spin_lock(&cq->lock);
	if (!cq->depth) {
		copro_dev_warn(&m->ld,
			       "no %s CQ for the completion of CID %u",
			       qname[q], cid);
	} else if (cq_full(cq) || cq->nwait || cq->nuwait) {
		/* Behind whatever already waits for room. */
		if (cq->nuwait < ANS2_UWAIT)
			cq->uwait[cq->nuwait++] = cqe;
		else
			copro_dev_warn(&m->ld,
				       "%s CQ full and %u completions waiting:"
				       " the one of CID %u is lost",
				       qname[q], ANS2_UWAIT, cid);
	} else if (cq_write(m, cq, &cqe) < 0) {
		cq_fault(m, q);
	}
	ans2_cq_set_level(m, cq);
	copro_spin_unlock(&cq->lock);
}

void ans2_cq_doorbell(struct copro_sim_ans2 *m, unsigned q, uint32_t val)
{
	struct ans2_cq *cq = &m->cq[q];
	unsigned adv, outstanding, nwait_before;
	bool posted_waiting;

	copro_spin_lock(&cq->lock);
	if (!cq->depth) {
		copro_spin_unlock(&cq->lock);
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
		copro_spin_unlock(&cq->lock);
		ans2_count(&m->st.doorbells_ignored, 1);
		return;
	}
	cq->head = val;
	cq->acked += adv;
	nwait_before = cq->nwait;
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
	while (!cq->nwait && cq->nuwait && !cq_full(cq)) {
		struct nvme_cqe cqe = cq->uwait[0];

		memmove(cq->uwait, cq->uwait + 1,
			--cq->nuwait * sizeof(cq->uwait[0]));
		if (cq_write(m, cq, &cqe) < 0) {
			cq_fault(m, q);
			break;
		}
	}
	atomic_store_explicit(&cq->busy, cq->acked != cq->posted,
			      memory_order_release);
	ans2_cq_set_level(m, cq);
	posted_waiting = nwait_before != cq->nwait;
	copro_spin_unlock(&cq->lock);
	/* Completions that waited for room freed their slots. */
	if (posted_waiting && !m->gen->linear)
		ans2_ring_refill(m, q);
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
		ans2_complete_untagged(m, q, (uint16_t)val,
				  ANS2_ERR(NVME_SCT_GENERIC,
					   NVME_SC_CMDID_CONFLICT));
		return;
	}
	atomic_store_explicit(&t->q, q, memory_order_relaxed);
	atomic_store_explicit(&t->epoch, atomic_load(&m->epoch),
			      memory_order_relaxed);
	if (ans2_run_inline(m, val, q))
		return;
	atomic_fetch_or(&m->pending, 1ull << val);
	ans2_kick(m);
}
