/* SPDX-License-Identifier: MIT */
/*
 * The two queues, the tag space and the completion path (hardware.md 4).
 *
 * How a command reaches the controller is the generation's (hw.c): on
 * the M1 a linear queue indexed by tag and the NVMMU's TCB, on the A11 a
 * ring with a tail doorbell. Completion queues are ordinary phase-bit
 * rings on both. A doorbell write never overlaps completion processing
 * (db_gate, see nvme_internal.h): without that the real controller
 * sometimes posts a completion without raising the interrupt. The M1's
 * doorbells (a tag each) may be written side by side; the A11's tail
 * moves in order, so its doorbell is written under cq_lock.
 */
#include <errno.h>
#include <string.h>

#include <copro/error.h>
#include <copro/rtkit.h>

#include "nvme/nvme_internal.h"

/* I/O tags io_tag0 to ntags - 1, as bits. */
static uint64_t io_tag_mask(const struct copro_nvme *nvme)
{
	uint64_t all = nvme->hw->ntags >= 64 ? ~0ull
					     : (1ull << nvme->hw->ntags) - 1;

	return all & (~0ull << nvme->io_tag0);
}

static int queue_alloc(struct copro_nvme *nvme, struct nvme_queue *q,
		       const char *name, unsigned depth, size_t entry,
		       uint16_t qid, unsigned lo, unsigned hi, uint32_t sq_db,
		       uint32_t cq_db)
{
	const struct nvme_hw *hw = nvme->hw;
	int rc;

	/*
	 * Linear SQEs and TCBs are indexed by tag, so both cover the whole
	 * tag space; a ring holds its entries.
	 */
	rc = copro_dma_alloc(nvme->p,
			     hw->linear ? ANS2_MAX_TAGS * sizeof(struct nvme_sqe)
					: depth * entry,
			     &q->sq);
	if (!rc)
		rc = copro_dma_alloc(nvme->p, depth * sizeof(struct nvme_cqe),
				     &q->cq);
	if (!rc && hw->linear)
		rc = copro_dma_alloc(nvme->p,
				     ANS2_MAX_TAGS * sizeof(struct ans2_tcb),
				     &q->tcb);
	if (!rc)
		rc = copro_nvme_cq_init(&q->cur, depth, qid, lo, hi);
	if (rc)
		return rc;
	q->cqes = q->cq.cpu;
	q->sq_depth = depth;
	q->sq_entry = entry;
	q->sq_tail = 0;
	q->name = name;
	q->sq_db = sq_db;
	q->cq_db = cq_db;
	return 0;
}

static void queue_free(struct copro_nvme *nvme, struct nvme_queue *q)
{
	copro_dma_free(nvme->p, &q->sq);
	copro_dma_free(nvme->p, &q->cq);
	copro_dma_free(nvme->p, &q->tcb);
}

int copro_nvme_queues_alloc(struct copro_nvme *nvme)
{
	const struct nvme_hw *hw = nvme->hw;
	unsigned nio = hw->ntags - nvme->io_tag0;
	unsigned nchunks = nio + NVME_SHARED_CHUNKS;
	int rc;

	rc = queue_alloc(nvme, &nvme->adminq, "admin", hw->admin_depth,
			 sizeof(struct nvme_sqe), NVME_ADMIN_QID,
			 NVME_ADMIN_TAG0, nvme->io_tag0, hw->asq_db,
			 ANS2_ACQ_DB);
	if (!rc)
		rc = queue_alloc(nvme, &nvme->ioq, "I/O", hw->io_depth,
				 hw->iosq_entry, NVME_IO_QID, nvme->io_tag0,
				 hw->ntags, hw->iosq_db, ANS2_IOCQ_DB);
	/*
	 * Preallocated so the I/O path never allocates: each I/O tag owns
	 * one bounce chunk and the list pages of a 4 MiB transfer; larger
	 * bounced transfers borrow from a shared pool of chunks.
	 */
	if (!rc)
		rc = copro_dma_alloc(nvme->p, (size_t)nchunks * NVME_CHUNK_SIZE,
				     &nvme->chunks);
	if (!rc)
		rc = copro_dma_alloc(nvme->p,
				     (size_t)nio * NVME_PRP_PAGES * NVME_PAGE_SIZE,
				     &nvme->prp_pages);
	if (rc) {
		copro_nvme_queues_free(nvme);
		return rc;
	}
	for (unsigned t = 0; t < ANS2_MAX_TAGS; t++) {
		struct nvme_tag *tag = &nvme->tags[t];

		atomic_init(&tag->state, TAG_FREE);
		atomic_init(&tag->deadline, 0);
		tag->admin = t < nvme->io_tag0;
		if (tag->admin || t >= hw->ntags)
			continue;
		for (unsigned i = 0; i < NVME_PRP_PAGES; i++) {
			size_t off = ((size_t)(t - nvme->io_tag0) * NVME_PRP_PAGES +
				      i) * NVME_PAGE_SIZE;

			tag->prp[i].cpu =
				(uint64_t *)((char *)nvme->prp_pages.cpu + off);
			tag->prp[i].phys = nvme->prp_pages.phys + off;
		}
	}
	nvme->pool_n = 0;
	for (unsigned c = nio; c < nchunks; c++)
		nvme->pool[nvme->pool_n++] = (uint16_t)c;
	atomic_init(&nvme->io_free, io_tag_mask(nvme));
	atomic_init(&nvme->inflight, 0);
	return 0;
}

void copro_nvme_queues_free(struct copro_nvme *nvme)
{
	queue_free(nvme, &nvme->adminq);
	queue_free(nvme, &nvme->ioq);
	copro_dma_free(nvme->p, &nvme->chunks);
	copro_dma_free(nvme->p, &nvme->prp_pages);
}

void copro_nvme_queues_reset(struct copro_nvme *nvme)
{
	struct nvme_queue *qs[] = { &nvme->adminq, &nvme->ioq };

	copro_nvme_cq_lock(nvme);
	for (unsigned i = 0; i < 2; i++) {
		memset(qs[i]->cqes, 0,
		       qs[i]->cur.depth * sizeof(struct nvme_cqe));
		if (qs[i]->tcb.cpu)
			memset(qs[i]->tcb.cpu, 0,
			       ANS2_MAX_TAGS * sizeof(struct ans2_tcb));
		/* A fresh controller's rings start at entry 0. */
		qs[i]->sq_tail = 0;
		copro_nvme_cq_reset(&qs[i]->cur);
	}
	copro_nvme_cq_unlock(nvme);
}

/* ---- locking ---------------------------------------------------------- */

/*
 * The doorbell gate, one word: the doorbells being written (a count),
 * DB_WANT (completion processing waits for them to end; no new one
 * starts) and DB_EXCL (completion processing or a state change runs).
 * Exclusive takers hold cq_lock, so there is one at a time. A doorbell
 * enters with a CAS and leaves with a fetch_sub; a completion pass takes
 * it with a CAS from 0 and lets go with a release store. glibc's rwlock
 * spent about 90 ns a command here in those four calls (perf, bench nvme
 * qd32_read_uring); this is the same four atomic instructions and little
 * else. Waits are short (a completion pass, or a doorbell whose command
 * the model runs in the write): spin 1000 pauses, then sleep 10 us at a
 * time, as copro_spin_lock does (bounded spinning on two cores).
 */
#define DB_EXCL 0x80000000u
#define DB_WANT 0x40000000u

static void db_wait(unsigned *spins)
{
	if ((*spins)++ < 1000)
		copro_cpu_relax();
	else
		copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
}

static void db_enter_shared(struct copro_nvme *nvme)
{
	uint32_t v = atomic_load_explicit(&nvme->db_gate, memory_order_relaxed);
	unsigned spins = 0;

	for (;;) {
		if (v & (DB_EXCL | DB_WANT)) {
			db_wait(&spins);
			v = atomic_load_explicit(&nvme->db_gate,
						 memory_order_relaxed);
		} else if (atomic_compare_exchange_weak_explicit(
				   &nvme->db_gate, &v, v + 1,
				   memory_order_acquire, memory_order_relaxed)) {
			return;
		}
	}
}

static void db_leave_shared(struct copro_nvme *nvme)
{
	atomic_fetch_sub_explicit(&nvme->db_gate, 1, memory_order_release);
}

/* cq_lock held: no other exclusive taker, so DB_WANT is not set. */
static bool db_try_excl(struct copro_nvme *nvme)
{
	uint32_t idle = 0;

	return atomic_compare_exchange_strong_explicit(
		&nvme->db_gate, &idle, DB_EXCL, memory_order_acquire,
		memory_order_relaxed);
}

/* cq_lock held: new doorbells wait, those in progress end. */
static void db_excl(struct copro_nvme *nvme)
{
	unsigned spins = 0;

	atomic_fetch_or_explicit(&nvme->db_gate, DB_WANT, memory_order_relaxed);
	for (;;) {
		uint32_t drained = DB_WANT;

		if (atomic_compare_exchange_weak_explicit(
			    &nvme->db_gate, &drained, DB_EXCL,
			    memory_order_acquire, memory_order_relaxed))
			return;
		db_wait(&spins);
	}
}

static void db_leave_excl(struct copro_nvme *nvme)
{
	atomic_store_explicit(&nvme->db_gate, 0, memory_order_release);
}

void copro_nvme_cq_lock(struct copro_nvme *nvme)
{
	copro_mutex_lock(&nvme->cq_lock);
	/* No new doorbell starts under cq_lock: only those in progress. */
	db_excl(nvme);
}

void copro_nvme_cq_unlock(struct copro_nvme *nvme)
{
	db_leave_excl(nvme);
	copro_mutex_unlock(&nvme->cq_lock);
}

static bool cq_trylock(struct copro_nvme *nvme)
{
	copro_mutex_lock(&nvme->cq_lock);
	if (db_try_excl(nvme))
		return true;
	copro_mutex_unlock(&nvme->cq_lock);
	return false;
}

/* ---- tags ------------------------------------------------------------ */

int copro_nvme_tag_get(struct copro_nvme *nvme)
{
	uint64_t free = atomic_load(&nvme->io_free);

	while (free) {
		unsigned t = (unsigned)__builtin_ctzll(free);

		if (atomic_compare_exchange_weak(&nvme->io_free, &free,
						 free & ~(1ull << t))) {
			atomic_fetch_add(&nvme->inflight, 1);
			/* Release: the CAS above already ordered us (an xchg, a
			 * seq_cst store, costs as much again per command). */
			atomic_store_explicit(&nvme->tags[t].state, TAG_ALLOC,
					      memory_order_release);
			return (int)t;
		}
	}
	return -EAGAIN;
}

void copro_nvme_tag_put(struct copro_nvme *nvme, unsigned tag)
{
	struct nvme_tag *t = &nvme->tags[tag];

	t->req = NULL;
	/* Published by the fetch_or, which the next owner's CAS acquires. */
	atomic_store_explicit(&t->state, TAG_FREE, memory_order_release);
	atomic_fetch_or(&nvme->io_free, 1ull << tag);
	atomic_fetch_sub(&nvme->inflight, 1);
	copro_event_signal(&nvme->tag_ev);
}

/* ---- issue ----------------------------------------------------------- */

static struct nvme_queue *tag_queue(struct copro_nvme *nvme, unsigned tag)
{
	return tag < nvme->io_tag0 ? &nvme->adminq : &nvme->ioq;
}

/*
 * cq_lock held: the tag in flight (deadline first) and the generation's
 * entry written; returns the value for the queue's doorbell, which is
 * next.
 */
static uint32_t ring_prepare(struct copro_nvme *nvme, unsigned tag)
{
	struct nvme_tag *t = &nvme->tags[tag];
	struct nvme_queue *q = tag_queue(nvme, tag);

	copro_nvme_cq_issue(&q->cur, tag);
	/*
	 * Release stores, deadline first: whoever sees INFLIGHT (the
	 * watchdog, with an acquire load) sees this deadline. Nothing here
	 * needs a store ordered before a later load. The coarse clock, with
	 * its slack: a command's deadline may be up to 10 ms late (the
	 * watchdog looks every 50 ms at most), never early, and the clock
	 * read is 17 ns cheaper a command.
	 */
	atomic_store_explicit(&t->deadline,
			      copro_time_coarse_ns() + COPRO_TIME_COARSE_SLACK_NS +
				      (uint64_t)copro_nvme_timeout(nvme),
			      memory_order_release);
	atomic_store_explicit(&t->state, TAG_INFLIGHT, memory_order_release);
	return nvme->hw->submit(nvme, q, tag, &t->sqe);
}

/* db_gate held (either way): no completion processing runs. */
static void ring(struct copro_nvme *nvme, unsigned tag, uint32_t db)
{
	/* The platform's MMIO write orders the DMA memory writes before. */
	atomic_thread_fence(memory_order_release);
	copro_writel(nvme->regs, tag_queue(nvme, tag)->sq_db, db);
}

/* cq_lock held, and db_gate exclusive or cq_lock taken by a submitter. */
static void ring_locked(struct copro_nvme *nvme, unsigned tag)
{
	ring(nvme, tag, ring_prepare(nvme, tag));
}

static int state_errno(enum nvme_state s, int fail_status)
{
	switch (s) {
	case NVME_DEAD:
		return -ECONNRESET;
	case NVME_FAILED:
		return fail_status ? fail_status : -EIO;
	case NVME_QUIESCING:
	case NVME_SUSPENDED:
	case NVME_REMOVED:
		return -ESHUTDOWN;
	default:
		return 0;
	}
}

int copro_nvme_issue(struct copro_nvme *nvme, unsigned tag, bool internal)
{
	struct nvme_tag *t = &nvme->tags[tag];
	enum nvme_state s;
	int rc = 0;

	copro_mutex_lock(&nvme->cq_lock);
	s = nvme_state(nvme);
	if (internal || s == NVME_LIVE) {
		uint32_t db = ring_prepare(nvme, tag);

		if (!nvme->hw->linear) {
			/* The A11's tail: doorbells in the order of the tails. */
			ring(nvme, tag, db);
			copro_mutex_unlock(&nvme->cq_lock);
			return 0;
		}
		/*
		 * Shared before cq_lock goes: whoever takes both exclusively
		 * next (completions, a state change) waits for this doorbell,
		 * and other doorbells may be written beside it.
		 */
		db_enter_shared(nvme);
		copro_mutex_unlock(&nvme->cq_lock);
		ring(nvme, tag, db);
		db_leave_shared(nvme);
		return 0;
	}
	if (s == NVME_RESETTING)
		atomic_store(&t->state, TAG_PARKED);
	else
		rc = state_errno(s, nvme->fail_status);
	copro_mutex_unlock(&nvme->cq_lock);
	return rc;
}

void copro_nvme_issue_parked_locked(struct copro_nvme *nvme)
{
	for (unsigned tag = nvme->io_tag0; tag < nvme->hw->ntags; tag++) {
		int expect = TAG_PARKED;

		/* Claimed like a completion: a failing path may own it already. */
		if (atomic_compare_exchange_strong(&nvme->tags[tag].state,
						   &expect, TAG_ALLOC))
			ring_locked(nvme, tag);
	}
}

/* ---- completion ------------------------------------------------------ */

static const char *op_name(const struct nvme_tag *t)
{
	if (t->admin)
		return "admin command";
	switch (t->sqe.opcode) {
	case NVME_CMD_READ:
		return "read";
	case NVME_CMD_WRITE:
		return "write";
	case NVME_CMD_FLUSH:
		return "flush";
	case NVME_CMD_DSM:
		return "deallocate";
	case NVME_CMD_WRITE_ZEROES:
		return "write zeroes";
	default:
		return "command";
	}
}

/* A failed command, decoded: type, code, its name when known, DNR. */
static void report_status(struct copro_nvme *nvme, const struct nvme_tag *t,
			  unsigned tag, uint16_t status)
{
	const char *name = copro_nvme_status_name(status);
	struct nvme_status_info si;

	copro_nvme_status_decode(status, &si);
	copro_dev_err(&nvme->ld,
		      "%s (opcode 0x%02x) on tag %u failed: status type %u code 0x%02x%s%s%s%s",
		      op_name(t), t->sqe.opcode, tag, si.sct, si.sc,
		      name ? " (" : "", name ? name : "", name ? ")" : "",
		      si.dnr ? " (do not retry)" : "");
	nvme_stat_add(&nvme->st.errors, 1);
}

struct reaped {
	uint8_t tag;
	uint16_t status;
	uint32_t result;
};

/*
 * The entry at the head, copied out of DMA memory: the status (with the
 * phase) first, with acquire order, so the rest is the controller's
 * finished write when the phase says the entry is new. An entry out of
 * phase is left unread past its status: the controller may be writing it
 * right now (ThreadSanitizer saw the model's write of the next lap's
 * entry race with this read), and copro_nvme_cq_take calls it empty on
 * the status alone.
 */
static void cqe_snapshot(const struct nvme_queue *q, struct nvme_cqe *out)
{
	const struct nvme_cqe *e = &q->cqes[q->cur.head];

	memset(out, 0, sizeof(*out));
	out->status = __atomic_load_n(&e->status, __ATOMIC_ACQUIRE);
	if ((out->status & NVME_CQE_PHASE) != q->cur.phase)
		return;
	out->cid = __atomic_load_n(&e->cid, __ATOMIC_RELAXED);
	out->sq_id = __atomic_load_n(&e->sq_id, __ATOMIC_RELAXED);
	out->result = __atomic_load_n(&e->result, __ATOMIC_RELAXED);
}

/* A bad entry: said once, counted; quiet once the coprocessor is dead. */
static void cqe_refuse(struct copro_nvme *nvme, const struct nvme_queue *q,
		       enum nvme_cqe_verdict v, const struct nvme_cqe_info *i,
		       bool dead)
{
	if (dead && (v == NVME_CQE_DUPLICATE || v == NVME_CQE_NOT_ISSUED))
		return;
	if (v == NVME_CQE_TAG_RANGE)
		copro_dev_err(&nvme->ld,
			      "completion names tag %u, outside the %s queue's tags %u-%u; ignored",
			      i->cid, q->name, q->cur.tag_lo, q->cur.tag_hi - 1);
	else if (v == NVME_CQE_WRONG_SQ)
		copro_dev_err(&nvme->ld,
			      "completion %u on the %s CQ names SQ %u, not %u (tag %u); ignored",
			      i->index, q->name, i->sq_id, q->cur.sq_id, i->cid);
	else
		copro_dev_err(&nvme->ld,
			      "completion for tag %u, which is not in flight (%s); ignored",
			      i->cid, copro_nvme_cqe_verdict_name(v));
	nvme_stat_add(&nvme->st.errors, 1);
}

/* cq_lock held. Claims the completed slots into `out`. */
static unsigned reap_queue_locked(struct copro_nvme *nvme,
				  struct nvme_queue *q, struct reaped *out,
				  unsigned max)
{
	unsigned n = 0, seen = 0;
	bool dead = nvme_state(nvme) == NVME_DEAD;

	while (n < max && seen < q->cur.depth) {
		struct nvme_cqe e;
		struct nvme_cqe_info i;
		enum nvme_cqe_verdict v;
		int expect = TAG_INFLIGHT;

		cqe_snapshot(q, &e);
		v = copro_nvme_cq_take(&q->cur, &e, &i);
		if (v == NVME_CQE_EMPTY)
			break;
		seen++;
		if (v != NVME_CQE_OK) {
			cqe_refuse(nvme, q, v, &i, dead);
			continue;
		}
		nvme->hw->retire(nvme, i.cid);
		/*
		 * Aborted because a reset or a shutdown deleted the I/O queue:
		 * never started, so whoever deleted it decides (retry or fail).
		 */
		if (q == &nvme->ioq && nvme_state(nvme) != NVME_LIVE &&
		    NVME_CQE_SCT(i.status) == NVME_SCT_GENERIC &&
		    NVME_CQE_SC(i.status) == NVME_SC_ABORT_SQ_DELETED)
			continue;
		/* The host may have given up on it (timeout, crash). */
		if (!atomic_compare_exchange_strong(&nvme->tags[i.cid].state,
						    &expect, TAG_DONE)) {
			if (dead)
				continue;
			copro_dev_err(&nvme->ld,
				      "completion for tag %u, which is not in flight (state %d); ignored",
				      i.cid, expect);
			nvme_stat_add(&nvme->st.errors, 1);
			continue;
		}
		out[n].tag = (uint8_t)i.cid;
		out[n].status = i.status;
		out[n].result = i.result;
		n++;
	}
	if (seen)
		copro_writel(nvme->regs, q->cq_db, q->cur.head);
	return n;
}

static void finish_claimed(struct copro_nvme *nvme, unsigned tag, int status,
			   uint32_t result);

/*
 * Depth of copro_nvme_reap in this thread: a done() that submits must
 * not reap (and so call done()s) again from inside the submit, or a
 * client resubmitting from done() would recurse once per request.
 */
static _Thread_local unsigned tl_reaping;
/* Commands a done() of this thread submitted (for the outer poll). */
static _Thread_local unsigned tl_resubmitted;

bool copro_nvme_reaping(void)
{
	return tl_reaping != 0;
}

void copro_nvme_note_resubmit(void)
{
	tl_resubmitted++;
}

unsigned copro_nvme_resubmits(void)
{
	return tl_resubmitted;
}

static int reap(struct copro_nvme *nvme, bool wait)
{
	struct reaped done[ANS2_MAX_TAGS];
	unsigned n;

	if (!wait) {
		if (!cq_trylock(nvme))
			return 0;
	} else {
		copro_nvme_cq_lock(nvme);
	}
	n = reap_queue_locked(nvme, &nvme->adminq, done, nvme->io_tag0);
	n += reap_queue_locked(nvme, &nvme->ioq, done + n, ANS2_MAX_TAGS - n);
	copro_nvme_cq_unlock(nvme);

	tl_reaping++;
	for (unsigned i = 0; i < n; i++) {
		struct nvme_tag *t = &nvme->tags[done[i].tag];
		int err = copro_nvme_status_errno(done[i].status);

		if (err)
			report_status(nvme, t, done[i].tag, done[i].status);
		finish_claimed(nvme, done[i].tag, err, done[i].result);
	}
	tl_reaping--;
	return (int)n;
}

int copro_nvme_reap(struct copro_nvme *nvme)
{
	return reap(nvme, true);
}

int copro_nvme_reap_try(struct copro_nvme *nvme)
{
	return reap(nvme, false);
}

void copro_nvme_irq(void *ctx)
{
	copro_nvme_reap(ctx);
}

static void finish_claimed(struct copro_nvme *nvme, unsigned tag, int status,
			   uint32_t result)
{
	struct nvme_tag *t = &nvme->tags[tag];
	struct copro_nvme_req *req;

	if (t->admin) {
		t->status = status;
		t->result = result;
		atomic_store(&t->state, TAG_FREE);
		copro_completion_complete(&nvme->admin_comp);
		return;
	}
	req = t->req;
	if (!status && req->op == COPRO_NVME_READ && t->nchunks)
		copro_nvme_bounce_out(nvme, t);
	copro_nvme_chunks_put(nvme, t);
	if (!status)
		copro_owned_add(&t->n_completed, 1);
	copro_nvme_tag_put(nvme, tag);
	req->done(req, status);
}

static bool tag_claim(struct copro_nvme *nvme, unsigned tag,
		      unsigned from_mask)
{
	int s = atomic_load(&nvme->tags[tag].state);

	do {
		if (!(from_mask & (1u << s)))
			return false;
	} while (!atomic_compare_exchange_weak(&nvme->tags[tag].state, &s,
					       TAG_DONE));
	return true;
}

bool copro_nvme_tag_finish(struct copro_nvme *nvme, unsigned tag,
			   unsigned from_mask, int status, uint32_t result)
{
	if (!tag_claim(nvme, tag, from_mask))
		return false;
	finish_claimed(nvme, tag, status, result);
	return true;
}

/* Counted before done() runs, so a woken caller sees it in the stats. */
bool copro_nvme_tag_fail(struct copro_nvme *nvme, unsigned tag,
			 unsigned from_mask, int status)
{
	if (!tag_claim(nvme, tag, from_mask))
		return false;
	nvme_stat_add(&nvme->st.failed, 1);
	finish_claimed(nvme, tag, status, 0);
	return true;
}
