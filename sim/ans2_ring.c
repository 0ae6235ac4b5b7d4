/* SPDX-License-Identifier: MIT */
/*
 * The A11 (t8015) controller's submission queues: ordinary NVMe rings.
 * The host writes entries at its tail and the new tail to the queue's
 * doorbell (0x1000 admin, 0x1008 I/O); the controller fetches entries
 * from its head, each into a free command slot of the queue, and reports
 * the head it reached in every completion (the SQ head field). Admin
 * entries are 64 bytes, I/O entries 128 (the command in the first 64).
 *
 * What the model enforces, as an NVMe controller does:
 *  - a tail doorbell must name an entry of the queue (< its size), and may
 *    not move the tail past entries the controller has not fetched yet
 *    (the host would overwrite them): such a write is ignored, logged and
 *    counted (doorbells_ignored), the queue unchanged;
 *  - a CID may be in flight once per queue: an entry whose CID is already
 *    in flight gets a completion with Command ID Conflict (DNR) and does
 *    not run (cid_conflicts);
 *  - a queue runs at most ANS2_T8015_DEPTH commands at once (its command
 *    slots; Linux's max_queue_depth): further entries wait in the ring
 *    until a command completes, exactly as unfetched entries do.
 * A doorbell while the controller is not ready, or for a queue that does
 * not exist, is ignored (doorbells_ignored). An entry the controller
 * cannot read (its address left DMA memory) is a controller fatal error.
 *
 * Slots: the admin queue uses command slots 0 to 15, the I/O queue 16 to
 * 31, so each queue's slots are only taken under its own sq.lock, and
 * counting a queue's commands in flight needs no other lock. A slot that
 * frees (its completion posted) triggers a refill, which fetches what
 * waited for it.
 */
#include <inttypes.h>
#include <string.h>

#include <copro/sim/bus.h>
#include <copro/error.h>

#include "ans2_internal.h"

static const char *const qname[ANS2_NQ] = { "admin", "I/O" };

/* At most one refused entry per ring slot in one fetch pass. */
#define MAX_REFUSED ANS2_T8015_DEPTH

static unsigned slot_lo(unsigned q)
{
	return q * ANS2_T8015_DEPTH;
}

/* sq.lock held: a free command slot of queue q, or -1. */
static int free_slot(struct copro_sim_ans2 *m, unsigned q)
{
	for (unsigned i = slot_lo(q); i < slot_lo(q) + ANS2_T8015_DEPTH; i++)
		if (atomic_load(&m->tags[i].state) == TAG_FREE)
			return (int)i;
	return -1;
}

/* sq.lock held: queue q's commands in flight (slots not free). */
static unsigned slots_used(struct copro_sim_ans2 *m, unsigned q)
{
	unsigned n = 0;

	for (unsigned i = slot_lo(q); i < slot_lo(q) + ANS2_T8015_DEPTH; i++)
		n += atomic_load(&m->tags[i].state) != TAG_FREE;
	return n;
}

/* sq.lock held: is `cid` in flight on queue q? */
static bool cid_in_flight(struct copro_sim_ans2 *m, unsigned q, uint16_t cid)
{
	for (unsigned i = slot_lo(q); i < slot_lo(q) + ANS2_T8015_DEPTH; i++)
		if (atomic_load(&m->tags[i].state) != TAG_FREE &&
		    m->tags[i].sqe.cid == cid)
			return true;
	return false;
}

/* sq.lock held: read the entry at the head; false (fatal) if it cannot. */
static bool read_entry(struct copro_sim_ans2 *m, unsigned q, unsigned head,
		       struct nvme_sqe *out)
{
	struct ans2_sq *sq = &m->sq[q];
	uint64_t addr = atomic_load(&sq->base) + (uint64_t)head * sq->entry;

	if (copro_bus_dma_read(m->bus, m->ld.name, addr, out, sizeof(*out)) ==
	    0)
		return true;
	copro_dev_err(&m->ld,
		      "cannot read %s SQ entry %u at 0x%" PRIx64
		      ": controller fatal status",
		      qname[q], head, addr);
	ans2_fatal(m);
	return false;
}

/*
 * sq.lock held: fetch entries while there are some and a slot is free.
 * Entries refused for a CID conflict are consumed and returned in
 * refused[] (their completions are posted by the caller, after the lock).
 */
static unsigned fetch_locked(struct copro_sim_ans2 *m, unsigned q,
			     uint16_t *refused)
{
	struct ans2_sq *sq = &m->sq[q];
	unsigned depth = atomic_load(&sq->depth), nref = 0, fetched = 0, used;
	uint32_t epoch = atomic_load(&m->epoch);

	if (!depth || !atomic_load(&m->ready))
		return 0;
	while (atomic_load(&sq->head) != sq->tail && nref < MAX_REFUSED) {
		unsigned head = atomic_load(&sq->head);
		int slot = free_slot(m, q);
		struct ans2_tag *t;
		struct nvme_sqe e;
		uint32_t expect = TAG_FREE;

		if (slot < 0 || !read_entry(m, q, head, &e))
			break;
		atomic_store(&sq->head, (head + 1) % depth);
		if (cid_in_flight(m, q, e.cid)) {
			copro_dev_warn(&m->ld,
				       "%s SQ entry %u: CID %u is already in"
				       " flight on this queue",
				       qname[q], head, e.cid);
			ans2_count(&m->st.cid_conflicts, 1);
			refused[nref++] = e.cid;
			continue;
		}
		t = &m->tags[slot];
		/* Only this queue, under this lock, takes its slots. */
		atomic_compare_exchange_strong(&t->state, &expect,
					       TAG_PENDING);
		t->sqe = e;
		atomic_store_explicit(&t->q, q, memory_order_relaxed);
		atomic_store_explicit(&t->epoch, epoch, memory_order_relaxed);
		atomic_fetch_or(&m->pending, 1ull << slot);
		fetched++;
		/* Only this queue's fetches, under its lock, move its mark. */
		used = slots_used(m, q);
		if (used > atomic_load(&m->st.inflight_max[q]))
			atomic_store(&m->st.inflight_max[q], used);
	}
	if (fetched)
		ans2_kick(m);
	return nref;
}

static void post_refused(struct copro_sim_ans2 *m, unsigned q,
			 const uint16_t *refused, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ans2_complete_untagged(m, q, refused[i],
				       ANS2_ERR(NVME_SCT_GENERIC,
						NVME_SC_CMDID_CONFLICT));
}

/* Fetch, post the refusals, and go on while refusals cut a pass short. */
static void fetch(struct copro_sim_ans2 *m, unsigned q)
{
	struct ans2_sq *sq = &m->sq[q];
	uint16_t refused[MAX_REFUSED];
	unsigned n;

	do {
		copro_mutex_lock(&sq->lock);
		n = fetch_locked(m, q, refused);
		copro_mutex_unlock(&sq->lock);
		post_refused(m, q, refused, n);
	} while (n == MAX_REFUSED);
}

void ans2_ring_doorbell(struct copro_sim_ans2 *m, unsigned q, uint32_t val)
{
	struct ans2_sq *sq = &m->sq[q];
	unsigned depth, head, unfetched, adv;
	const char *why = NULL;

	copro_mutex_lock(&sq->lock);
	depth = atomic_load(&sq->depth);
	head = atomic_load(&sq->head);
	if (!atomic_load(&m->ready))
		why = "the controller is not ready";
	else if (!depth)
		why = "the queue does not exist";
	else if (val >= depth)
		why = "beyond the queue's last entry";
	if (!why) {
		unfetched = (sq->tail + depth - head) % depth;
		adv = (val + depth - sq->tail) % depth;
		/* A ring holds depth - 1 entries: the rest would overwrite. */
		if (adv > depth - 1 - unfetched)
			why = "it would overwrite entries not yet fetched";
	}
	if (why) {
		copro_mutex_unlock(&sq->lock);
		copro_dev_warn(&m->ld,
			       "%s SQ tail doorbell %" PRIu32
			       " ignored: %s (head %u, tail %u, %u entries)",
			       qname[q], val, why, head, sq->tail, depth);
		ans2_count(&m->st.doorbells_ignored, 1);
		return;
	}
	/* The host is still working through completions: the race. */
	if (ans2_fault_armed(m, COPRO_SIM_ANS2_FAULT_DOORBELL_RACE) &&
	    (atomic_load(&m->cq[ANS2_QA].busy) ||
	     atomic_load(&m->cq[ANS2_QIO].busy)))
		atomic_store(&m->race_lost, true);
	sq->tail = val;
	copro_mutex_unlock(&sq->lock);
	fetch(m, q);
}

void ans2_ring_refill(struct copro_sim_ans2 *m, unsigned q)
{
	fetch(m, q);
}

void ans2_ring_reset(struct copro_sim_ans2 *m, unsigned q)
{
	struct ans2_sq *sq = &m->sq[q];

	copro_mutex_lock(&sq->lock);
	atomic_store(&sq->head, 0);
	sq->tail = 0;
	copro_mutex_unlock(&sq->lock);
}

void ans2_ring_abort_unfetched(struct copro_sim_ans2 *m, unsigned q,
			       unsigned depth)
{
	struct ans2_sq *sq = &m->sq[q];
	uint16_t cids[ANS2_T8015_DEPTH];
	unsigned n = 0;

	copro_mutex_lock(&sq->lock);
	while (atomic_load(&sq->head) != sq->tail && n < ANS2_T8015_DEPTH) {
		unsigned head = atomic_load(&sq->head);
		struct nvme_sqe e;

		if (!read_entry(m, q, head, &e))
			break;
		cids[n++] = e.cid;
		atomic_store(&sq->head, (head + 1) % depth);
	}
	copro_mutex_unlock(&sq->lock);
	for (unsigned i = 0; i < n; i++)
		ans2_complete_untagged(m, q, cids[i],
				       NVME_CQE_STATUS(NVME_SCT_GENERIC,
						       NVME_SC_ABORT_SQ_DELETED));
}
