/* SPDX-License-Identifier: MIT */
/*
 * The controller's threads. Doorbells only publish tags in a 64-bit
 * pending mask; a small pool of workers takes them (round robin from a
 * moving cursor, so no tag starves), fetches the entry, checks it
 * against the NVMMU, executes it and posts the completion. Several
 * commands therefore run at once, as on the real controller, and the
 * host's submitting thread never waits for the disk.
 *
 * Waking is targeted: a doorbell wakes one sleeping worker only when no
 * worker is awake looking for work, and a worker that takes a tag while
 * more are pending wakes one helper. So a trickle of commands keeps one
 * thread busy and a queue of slow ones (a blocking read, an emulated
 * 18 ms flush) spreads over the pool, with no herd of wake-ups.
 *
 * A command nothing makes slow (a read, or a write that needs no
 * fdatasync, on the I/O queue, with no fault armed) runs in the thread
 * that rang its doorbell instead, as a controller that answers within
 * the doorbell write would: no thread hand-over on either side. The
 * configuration workers_only turns that off.
 *
 * Stopping (disable, reset, power off, crash) bumps the epoch and waits
 * until no worker (nor doorbell thread) is inside a command: a command that started before
 * the stop finishes its DMA but posts nothing, so no completion and no
 * DMA reaches the host after the controller stopped.
 */
#include <inttypes.h>
#include <stdio.h>

#include <copro/sim/bus.h>
#include <copro/error.h>

#include "ans2_internal.h"

/* How long an idle worker spins before sleeping. */
#define WORKER_SPIN_NS (10 * COPRO_NSEC_PER_USEC)
/* A stop waits this long between complaints about a busy worker. */
#define QUIESCE_WARN_NS COPRO_NSEC_PER_SEC

static const char *const qname[ANS2_NQ] = { "admin", "I/O" };

static int take_pending(struct copro_sim_ans2 *m)
{
	uint64_t mask = atomic_load_explicit(&m->pending, memory_order_acquire);

	while (mask) {
		unsigned start = atomic_load_explicit(&m->cursor,
						      memory_order_relaxed) %
				 ANS2_MAX_TAGS;
		uint64_t rot = start ? mask >> start | mask << (64 - start)
				     : mask;
		unsigned bit = (start + (unsigned)__builtin_ctzll(rot)) %
			       ANS2_MAX_TAGS;

		if (atomic_compare_exchange_weak_explicit(
			    &m->pending, &mask, mask & ~(1ull << bit),
			    memory_order_acq_rel, memory_order_acquire)) {
			atomic_store_explicit(&m->cursor, bit + 1,
					      memory_order_relaxed);
			return (int)bit;
		}
	}
	return -1;
}

static void finish(struct copro_sim_ans2 *m, struct ans2_cmd *c,
		   uint16_t status)
{
	c->status = status;
	ans2_complete(m, c);
}

/*
 * `fetched`: the entry, already read from the queue by the caller (the
 * doorbell's thread read it to see whether the command is quick); NULL:
 * read it here.
 */
static void run_tag(struct copro_sim_ans2 *m, struct ans2_worker *w,
		    unsigned tag, const struct nvme_sqe *fetched)
{
	struct ans2_tag *t = &m->tags[tag];
	struct ans2_cmd c = {
		.w = w,
		.tag = tag,
		.q = atomic_load_explicit(&t->q, memory_order_relaxed),
		.epoch = atomic_load_explicit(&t->epoch, memory_order_relaxed),
	};
	struct ans2_sq *sq = &m->sq[c.q];
	uint64_t addr;

	if (!atomic_load(&m->ready) || c.epoch != atomic_load(&m->epoch)) {
		atomic_store(&t->state, TAG_FREE);
		return;
	}
	atomic_store_explicit(&t->state, TAG_RUNNING, memory_order_release);
	if (ans2_fault_take(m, COPRO_SIM_ANS2_FAULT_STUCK)) {
		atomic_store(&t->state, TAG_STUCK);
		ans2_count(&m->st.stuck, 1);
		copro_dev_info(&m->ld, "%s tag %u: injected fault, it will"
			       " never complete", qname[c.q], tag);
		return;
	}
	copro_owned_add(&w->st.commands, 1);
	if (!m->gen->linear) {
		/* A ring entry was fetched into the slot; no NVMMU. */
		c.sqe = t->sqe;
		if (!atomic_load_explicit(&sq->depth, memory_order_acquire))
			c.status = NVME_CQE_STATUS(NVME_SCT_GENERIC,
						   NVME_SC_ABORT_SQ_DELETED);
		else
			ans2_exec(m, w, &c);
		ans2_complete(m, &c);
		return;
	}
	c.sqe.cid = (uint16_t)tag; /* until the entry is read */
	if (!atomic_load_explicit(&sq->depth, memory_order_acquire)) {
		finish(m, &c, NVME_CQE_STATUS(NVME_SCT_GENERIC,
					      NVME_SC_ABORT_SQ_DELETED));
		return;
	}
	addr = atomic_load(&sq->base) + (uint64_t)tag * sizeof(c.sqe);
	if (fetched) {
		c.sqe = *fetched;
	} else if (copro_bus_dma_read_hint(m->bus, m->ld.name, addr, &c.sqe,
					   sizeof(c.sqe), &w->sqe_hint) < 0) {
		copro_dev_warn(&m->ld, "%s tag %u: cannot read its entry at"
			       " 0x%" PRIx64, qname[c.q], tag, addr);
		finish(m, &c, ANS2_ERR(NVME_SCT_GENERIC,
				       NVME_SC_DATA_XFER_ERROR));
		return;
	}
	c.status = ans2_nvmmu_check(m, &c);
	if (!c.status &&
	    (atomic_load(&m->unknown_ctrl) & ANS2_PRP_NULL_CHECK) &&
	    (!c.sqe.prp1 || !c.sqe.prp2)) {
		copro_dev_warn(&m->ld,
			       "%s tag %u (opcode 0x%02x): NULL_PRP_PTR_ERR,"
			       " PRP1 0x%" PRIx64 " PRP2 0x%" PRIx64
			       " (UNKNOWN_CTRL bit 11 is set)",
			       qname[c.q], tag, c.sqe.opcode, c.sqe.prp1,
			       c.sqe.prp2);
		c.status = ANS2_ERR(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
	if (!c.status)
		ans2_exec(m, w, &c);
	ans2_complete(m, &c);
}

/* ---- commands in the doorbell's thread ---------------------------------- */

/* Faults whose tests need the asynchronous path (and its timing). */
static bool io_faults_armed(struct copro_sim_ans2 *m)
{
	static const enum copro_sim_ans2_fault io_faults[] = {
		COPRO_SIM_ANS2_FAULT_LOST_IRQ, COPRO_SIM_ANS2_FAULT_DOORBELL_RACE,
		COPRO_SIM_ANS2_FAULT_STUCK, COPRO_SIM_ANS2_FAULT_DMA,
		COPRO_SIM_ANS2_FAULT_CRASH,
	};

	for (size_t i = 0; i < sizeof(io_faults) / sizeof(io_faults[0]); i++)
		if (ans2_fault_armed(m, io_faults[i]))
			return true;
	return false;
}

/* A read, or a write no fdatasync follows: what a disk does at once. */
static bool sqe_is_quick(struct copro_sim_ans2 *m, const struct nvme_sqe *e)
{
	if (e->opcode == NVME_CMD_READ)
		return true;
	return e->opcode == NVME_CMD_WRITE && !(e->cdw12 & NVME_RW_FUA) &&
	       atomic_load_explicit(&m->wce, memory_order_relaxed);
}

static int inline_slot_get(struct copro_sim_ans2 *m)
{
	uint32_t mask = atomic_load_explicit(&m->inl_free, memory_order_relaxed);

	while (mask) {
		unsigned i = (unsigned)__builtin_ctz(mask);

		if (atomic_compare_exchange_weak_explicit(
			    &m->inl_free, &mask, mask & ~(1u << i),
			    memory_order_acquire, memory_order_relaxed))
			return (int)i;
	}
	return -1;
}

static void inline_slot_put(struct copro_sim_ans2 *m, unsigned i)
{
	atomic_fetch_or_explicit(&m->inl_free, 1u << i, memory_order_release);
}

/* A command left: a stop waiting for the last one is told. */
static void active_put(struct copro_sim_ans2 *m)
{
	if (atomic_fetch_sub(&m->active, 1) == 1)
		copro_event_signal(&m->idle_ev);
}

bool ans2_run_inline(struct copro_sim_ans2 *m, unsigned tag, unsigned q)
{
	struct nvme_sqe sqe;
	uint64_t base;
	int slot;

	if (m->workers_only || q != ANS2_QIO || io_faults_armed(m))
		return false;
	slot = inline_slot_get(m);
	if (slot < 0)
		return false;
	/* Counted before anything else: see ans2_quiesce. */
	atomic_fetch_add(&m->active, 1);
	base = atomic_load(&m->sq[q].base);
	/* The fetch: run_tag takes the entry as read here. */
	if (copro_bus_dma_read_hint(m->bus, m->ld.name,
				    base + (uint64_t)tag * sizeof(sqe), &sqe,
				    sizeof(sqe), &m->inl[slot].sqe_hint) < 0 ||
	    !sqe_is_quick(m, &sqe)) {
		active_put(m);
		inline_slot_put(m, (unsigned)slot);
		return false;
	}
	copro_owned_add(&m->inl[slot].st.inline_commands, 1);
	run_tag(m, &m->inl[slot], tag, &sqe);
	active_put(m);
	inline_slot_put(m, (unsigned)slot);
	return true;
}

/* ---- the workers ------------------------------------------------------- */

/* Wake one sleeping worker, if any. */
static void wake_one(struct copro_sim_ans2 *m)
{
	uint32_t mask = atomic_load(&m->sleeping);

	while (mask) {
		unsigned i = (unsigned)__builtin_ctz(mask);

		if (atomic_compare_exchange_weak(&m->sleeping, &mask,
						 mask & ~(1u << i))) {
			copro_event_signal(&m->wk[i].ev);
			return;
		}
	}
}

/*
 * Every step is seq_cst: a kick either sees a worker searching (which
 * then sees the pending bit before it sleeps) or sees it asleep.
 */
void ans2_kick(struct copro_sim_ans2 *m)
{
	if (!atomic_load(&m->searching))
		wake_one(m);
}

/* Spin a little for new work before sleeping. */
static bool search(struct copro_sim_ans2 *m)
{
	uint64_t until = copro_time_ns() + WORKER_SPIN_NS;
	bool found = false;

	atomic_fetch_add(&m->searching, 1);
	for (unsigned i = 0; !found; i++) {
		found = atomic_load_explicit(&m->pending, memory_order_relaxed) ||
			atomic_load_explicit(&m->exiting, memory_order_relaxed);
		if (!found && i % 32 == 31 && copro_time_ns() >= until)
			break;
		copro_cpu_relax();
	}
	atomic_fetch_sub(&m->searching, 1);
	return found;
}

static void sleep_until_kicked(struct copro_sim_ans2 *m, struct ans2_worker *w)
{
	uint32_t key = copro_event_prepare(&w->ev), bit = 1u << w->id;

	atomic_fetch_or(&m->sleeping, bit);
	if (!atomic_load(&m->pending) && !atomic_load(&m->exiting))
		copro_event_wait(&w->ev, key, COPRO_FOREVER, 0);
	atomic_fetch_and(&m->sleeping, ~bit);
}

static void *worker_main(void *arg)
{
	struct ans2_worker *w = arg;
	struct copro_sim_ans2 *m = w->m;

	while (!atomic_load(&m->exiting)) {
		int tag;

		/* Counted before taking a tag: see ans2_quiesce. */
		atomic_fetch_add(&m->active, 1);
		tag = take_pending(m);
		if (tag >= 0) {
			/* More waits and nobody looks: get a helper. */
			if (atomic_load(&m->pending) &&
			    !atomic_load(&m->searching))
				wake_one(m);
			run_tag(m, w, (unsigned)tag, NULL);
		}
		active_put(m);
		if (tag < 0 && !search(m))
			sleep_until_kicked(m, w);
	}
	return NULL;
}

int ans2_workers_start(struct copro_sim_ans2 *m)
{
	char name[16];

	for (unsigned i = 0; i < ANS2_INLINE_SLOTS; i++) {
		m->inl[i].m = m;
		m->inl[i].id = ANS2_WORKERS + i;
		copro_event_init(&m->inl[i].ev);
	}
	atomic_init(&m->inl_free, (uint32_t)((1ull << ANS2_INLINE_SLOTS) - 1));

	for (unsigned i = 0; i < m->nworkers; i++) {
		struct ans2_worker *w = &m->wk[i];
		int ret;

		w->m = m;
		w->id = i;
		copro_event_init(&w->ev);
		snprintf(name, sizeof(name), "ans2-%u", i);
		ret = copro_thread_start(&m->workers[i], name, worker_main, w);
		if (ret < 0) {
			copro_dev_err(&m->ld, "cannot start worker %u: %s", i,
				      copro_strerror(ret));
			ans2_workers_stop(m);
			return ret;
		}
	}
	return 0;
}

void ans2_workers_stop(struct copro_sim_ans2 *m)
{
	atomic_store(&m->exiting, true);
	for (unsigned i = 0; i < m->nworkers; i++)
		copro_event_signal(&m->wk[i].ev);
	for (unsigned i = 0; i < m->nworkers; i++)
		copro_thread_join(&m->workers[i]);
}

void ans2_quiesce(struct copro_sim_ans2 *m)
{
	uint64_t was;

	atomic_store(&m->ready, false);
	atomic_fetch_add(&m->epoch, 1);
	was = atomic_exchange(&m->pending, 0);
	for (unsigned tag = 0; tag < ANS2_MAX_TAGS; tag++)
		if (was & (1ull << tag))
			atomic_store(&m->tags[tag].state, TAG_FREE);
	while (atomic_load(&m->active)) {
		uint32_t key = copro_event_prepare(&m->idle_ev);

		if (!atomic_load(&m->active))
			break;
		if (copro_event_wait(&m->idle_ev, key, QUIESCE_WARN_NS,
				     WORKER_SPIN_NS) == -ETIMEDOUT)
			copro_dev_warn(&m->ld, "still waiting for %u commands"
				       " in progress to stop",
				       atomic_load(&m->active));
	}
}
