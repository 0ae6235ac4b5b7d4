/* SPDX-License-Identifier: MIT */
/*
 * Device model of an Apple ASC (hardware.md 1): the mailbox's two
 * 16-entry FIFOs with their registers and four level interrupt lines, and
 * the coprocessor CPU as a thread running a firmware's run().
 *
 * The mailbox comes in the three layouts of <copro/regs/asc.h>, chosen by
 * the node's compatible: ASC v4, the A11's ASC (other CONTROL offsets)
 * and M3 v2 (other offsets, and interrupts that latch, are enabled and
 * are acknowledged at the mailbox). Where the layout has no register at
 * an offset, an access is a bad access, as any unknown offset is.
 *
 * The CPU control block (CPU_CONTROL.RUN at +0x44) belongs to the
 * coprocessor, not to the mailbox: it is where a node that uses this
 * mailbox (`mboxes`) puts its "ans" reg (the NVMe node names it so on
 * every board, and on the A11 it is nowhere near the mailbox), and
 * otherwise at the ASC base, mailbox reg - 0x8000.
 *
 * Locking: the two sides of a FIFO share no lock. Each FIFO has one
 * producer and one consumer at a time (the pushing side's fill_lock, the
 * popping side's drain_lock, each only ever taken on its own side: spin
 * locks on the AP's, whose release is a plain store, and on the IOP's
 * locks biased to the CPU thread, which take and release with plain
 * stores, so that a pop's index can still be on its way to the other
 * core when the next push starts: struct side_lock), and
 * the indices and the newest entry sit on the line of the side that
 * writes them (struct asc_side), so a message moves one cache line from
 * the side that sent it to the side that takes it. Without mailbox-level
 * interrupt controls a line is its FIFO's condition, computed by the bus
 * from the indices; with them (M3) the latches, enables and levels are
 * under a FIFO's irq_lock (see fifo_update_lines). The CPU lock only
 * serialises starting and stopping the CPU thread; the firmware never
 * takes it, which is what makes joining under it safe.
 *
 * The IOP side waits for the other side's index to move (spinning on it,
 * then asleep on the FIFO's event): for an A2I push (the firmware waits
 * for data) and an I2A pop (the firmware waits for room). The host side
 * never waits in the model: it learns of both through the interrupt
 * lines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <copro/sim/bus.h>
#include <copro/error.h>
#include <copro/log.h>
#include <copro/os.h>
#include <copro/regs/asc.h>
#include <copro/sim/asc_model.h>

/*
 * RECV1 bookkeeping (public drivers give only the field positions; this is the
 * model's definition, fixed here and tested):
 *   INPTR  43:40  slot the next push will fill (write index mod 16)
 *   OUTPTR 47:44  slot of the entry this read pops (read index mod 16)
 *   INCNT  51:48  entries left in the FIFO after this pop (0..15: a FIFO
 *                 cannot be full right after a pop, so 4 bits suffice)
 *   OUTCNT 56:52  entries in the FIFO before this pop (1..16: 5 bits)
 * An underflowing read reports both pointers, both counts 0 and msg 0.
 */
#define RECV1_PTR_MASK 0xfull
#define RECV1_INCNT_MASK 0xfull
#define RECV1_OUTCNT_MASK 0x1full

#define FIFO_MASK (ASC_FIFO_DEPTH - 1)

/* Every layout's registers lie below the v4 layout's last one. */
#define REGMAP_WORDS ((ASC_I2A_RECV1 + 8) / 4)

/* A FIFO's two lines, as bits (M3: IRQ_ENABLE/ACK bits >> irq_shift). */
#define LINE_EMPTY 1u
#define LINE_NOT_EMPTY 2u

/*
 * How long a firmware wait spins before sleeping: a host that answers
 * within it costs the firmware no system call.
 */
#define IOP_SPIN_NS COPRO_SPIN_DEFAULT_NS
/* Reading the clock costs more than a pause: every so many. */
#define IOP_SPIN_CLOCK_EVERY 16

/*
 * A side's lock. The AP's are spin locks: the driver's pushes and pops
 * come from whichever thread sends or runs the handler. The IOP's are
 * biased (copro_bias_lock) to the one thread that takes them again and
 * again, the CPU thread: its pop and the push of its reply then take no
 * locked instruction between them, which would wait for the pop's index
 * to reach the host (it holds the line: it polls it) before the push
 * could store; without one the two stores reach the host's core together
 * (docs/performance.md). Another writer of the IOP's registers (a raw
 * bus access, a test) revokes the bias, once per streak.
 */
struct side_lock {
	bool biased;
	struct copro_spinlock spin;
	struct copro_bias_lock bias;
};

/* Only the kind of lock the side takes is set up. */
static int side_lock_init(struct side_lock *l, bool biased)
{
	l->biased = biased;
	copro_spin_init(&l->spin);
	return biased ? copro_bias_lock_init(&l->bias) : 0;
}

static void side_lock_destroy(struct side_lock *l)
{
	if (l->biased)
		copro_bias_lock_destroy(&l->bias);
}

static void side_lock(struct side_lock *l)
{
	if (l->biased)
		copro_bias_lock(&l->bias);
	else
		copro_spin_lock(&l->spin);
}

static void side_unlock(struct side_lock *l)
{
	if (l->biased)
		copro_bias_unlock(&l->bias);
	else
		copro_spin_unlock(&l->spin);
}

/*
 * What one side of the mailbox writes on every message, on a cache line
 * of its own: the write index of the FIFO it fills and a copy of the
 * newest entry it pushed, and on the IOP's line the read index of A2I
 * (`rd`; the AP's I2A read index is on a line apart, `rd_apart`: see
 * struct asc_fifo). So the one fetch of the other side's line that tells
 * a side a message arrived also brings the message (and, to the host,
 * the room the firmware made), and a round trip moves one such line each
 * way (docs/performance.md).
 *
 * The newest entry is a sequence lock: `nseq` is 2k + 1 while entry k is
 * being written there and 2k + 2 once it is (release stores), and the
 * push puts the entry in the FIFO's ring only after publishing wr, so
 * that the ring's line is not in the way of the message. A pop of entry
 * k takes the copy when nseq says it holds k and did not change while it
 * read it; otherwise push k + 1 has begun, after entry k went into the
 * ring, and nseq's load (acquire) makes the ring's entry visible.
 */
struct asc_side {
	alignas(64) _Atomic uint64_t wr;
	_Atomic uint64_t rd; /* the IOP's only (A2I's) */
	_Atomic uint64_t nseq, nmsg0;
	_Atomic uint32_t nmsg1;
	/*
	 * Serialise the pushes into the FIFO this side fills and the pops
	 * from the one it drains. The driver pushes from one thread at a
	 * time and the firmware is one thread, so each lock stays on its
	 * side's core, never contended; they are there for a second writer
	 * of the same registers (a test, a raw bus access). Not mutexes:
	 * they cover a few stores and loads, and a mutex's unlock is a
	 * locked instruction that waits for those stores to reach the
	 * other core (struct side_lock, docs/performance.md).
	 */
	alignas(64) struct side_lock fill_lock;
	struct side_lock drain_lock;
	/*
	 * SEND0 of the FIFO this side fills: read by its own SEND1 only, so
	 * here, not on the line the other side watches (a store there would
	 * take the line from a waiting firmware and then have to take it
	 * back for the push).
	 */
	_Atomic uint64_t latch;
	/*
	 * The FIFO this side fills: its consumer's read index as this side
	 * last loaded it (under fill_lock). The consumer only moves it
	 * forward, so a push that finds room by it has room; the index
	 * itself is loaded again only when this copy says full.
	 */
	uint64_t rd_seen;
	/*
	 * The FIFO this side drains was at least half full at one of its
	 * pops since it was last emptied (under drain_lock): the pop that
	 * empties it fences (fifo_after).
	 */
	bool drained_full;
	/*
	 * This side's own indices as it last stored them: the write index
	 * of the FIFO it fills (under fill_lock) and the read index of the
	 * one it drains (under drain_lock). A side reads its own index here,
	 * on its own line, never on the line it publishes it on: the other
	 * side reads that line (it spins on it, or polls it), and a load of
	 * it after such a read missed the cache, on the critical path, as
	 * often as not: the host's A2I_CONTROL and push loads of A2I's wr,
	 * the firmware's pop load of A2I's rd (docs/performance.md).
	 * Release stores after the published ones, so a reader that sees a
	 * copy's value sees the published index at least as far.
	 */
	_Atomic uint64_t wr_own, rd_own;
	/*
	 * The read index of the FIFO this side drains when it is kept off
	 * the line above (struct asc_fifo's rd says which): written by this
	 * side's pops, read by the other side only when its rd_seen says
	 * full or it needs an edge (fifo_after).
	 */
	alignas(64) _Atomic uint64_t rd_apart;
};

/* A slot of a FIFO's ring (struct asc_fifo's ent). */
struct asc_slot {
	_Atomic uint64_t msg0;
	_Atomic uint32_t msg1;
};

/*
 * One FIFO: free-running indices (wr - rd is the fill level, and they are
 * the pushed and popped counts) in the two sides' blocks, the entries,
 * the IOP side's waiter, and the interrupt state. A single producer and a
 * single consumer at a time (the side locks), so a push and a pop take
 * no lock in common: the producer stores the entry, then publishes wr
 * (release); the consumer reads the entry after loading wr (acquire) and
 * hands the slot back by publishing rd (release).
 */
struct asc_fifo {
	/*
	 * Read-only after creation: where this FIFO's words live. rd is
	 * the consumer's read index: A2I's on the IOP's line (&iop.rd), as
	 * the host reads it with A2I_CONTROL on every send right after
	 * fetching that line for the reply, and the firmware's pop stores
	 * it just before its push stores to the same line; I2A's on a line
	 * of its own (&ap.rd_apart), as on the AP's line the host's pop
	 * would take that line from the firmware spinning on it for A2I's
	 * wr, which its next push then has to take back
	 * (docs/performance.md).
	 */
	struct asc_side *prod, *cons;
	_Atomic uint64_t *rd;
	const char *name;
	unsigned line_empty, line_not_empty, irq_shift;

	/*
	 * The IOP side's waiter: it spins on the index it waits for, then
	 * counts itself in `sleepers` and sleeps on `ev`; the other side
	 * signals only when it sees a sleeper (see fifo_after).
	 */
	alignas(64) _Atomic uint32_t sleepers;
	struct copro_event ev;

	/*
	 * The ring. Its words are atomic, stored and loaded relaxed (the
	 * indices and nseq order them for the consumer): a RECV0 read may
	 * come from any CPU, not only the one that pops (a driver's second
	 * thread, a hostile host), and while that one pops and the producer
	 * refills the slot the read gives some message, as the register
	 * would, instead of racing on a plain object.
	 */
	alignas(64) struct asc_slot ent[ASC_FIFO_DEPTH];

	/*
	 * Interrupt state, as LINE_EMPTY | LINE_NOT_EMPTY bits, under
	 * irq_lock, for the layouts with mailbox-level controls (M3) only:
	 * the latched conditions, the enables (IRQ_ENABLE bits >>
	 * irq_shift) and the levels driven. Without them a line is its
	 * FIFO's condition and needs no state of its own.
	 */
	alignas(64) struct copro_mutex irq_lock;
	unsigned irq_latch, irq_enable, levels;
	/* Written on errors only. */
	_Atomic uint64_t overflows, underflows;
};

struct copro_sim_asc {
	struct copro_logdev ld;
	struct copro_bus *bus;
	int node;
	const char *node_name;
	const struct asc_layout *lay;
	uint64_t mbox_phys, mbox_size, cpu_phys, cpu_size;
	char mbox_region_name[80], cpu_region_name[80];

	/* enum mbox_reg by offset / 4, built from the layout (decode). */
	uint8_t regmap[REGMAP_WORDS];

	struct asc_side ap, iop;
	struct asc_fifo a2i, i2a;
	_Atomic uint64_t bad_accesses;
	/* copro_heavy_barrier() can be had: pops need no fence (fifo_after). */
	bool heavy;

	/* CPU: cpu_lock serialises start/stop and the firmware copy. */
	struct copro_mutex cpu_lock;
	struct copro_thread cpu_thread;
	_Atomic int cpu_cmd;		/* enum cpu_cmd, for the CPU thread */
	struct copro_event cpu_ev;	/* cpu_cmd changed */
	struct copro_completion cpu_halted; /* the firmware's run() returned */
	struct copro_sim_asc_fw fw;
	bool have_fw;
	_Atomic uint32_t cpu_control;
	_Atomic bool running;
	_Atomic bool stopping;
	_Atomic bool kicked; /* see copro_sim_asc_iop_kick */
	/* Atomic, so that nothing a firmware may call takes cpu_lock. */
	_Atomic uint64_t cpu_starts, cpu_stops, cpu_starts_spinning;
	_Atomic uint64_t restart_watch_ns; /* copro_sim_asc_set_restart_watch */
};

/* ---- FIFOs ---------------------------------------------------------- */

/*
 * The FIFO's condition, from a consistent enough pair: rd first, then wr
 * (acquire), so the fill level is never under-reported by a push racing
 * the loads. The sides themselves read their own index exactly.
 */
static unsigned fifo_cond(const struct asc_fifo *f)
{
	uint64_t rd = atomic_load(f->rd);
	uint64_t wr = atomic_load(&f->prod->wr);

	return wr == rd ? LINE_EMPTY : LINE_NOT_EMPTY;
}

/*
 * Interrupt lines. Without mailbox-level controls (ASC v4, the A11's) a
 * line is its FIFO's condition, and the bus computes it from the indices
 * (copro_bus_irq_set_source: fifo_line_level), so driving the lines
 * writes nothing another core reads. After a push or pop the side tells
 * the bus of the edge it made, from the other side's index read back
 * after its own store (fifo_after): a push that finds the FIFO was empty
 * raises "not empty", a pop that leaves it empty raises "empty". Rising
 * edges are what wake an interrupt thread, and none is missed: of a
 * racing push and pop, the one whose store comes last sees the other's.
 * Falling edges only matter to something recording every change
 * (copro_bus_irq_watched); while something is, each push and pop reports
 * the lines' changes, in order, under irq_lock, from the condition it
 * reads there, which the last one reads after every store.
 *
 * With the controls (M3) the condition latches and a line follows latch
 * & enable, stored on the bus, under irq_lock; `seen` is the condition
 * the caller's push or pop left (0 for enable and acknowledge), latched
 * even if the other side has changed it again since, as a latch in
 * hardware would.
 */
static bool fifo_line_level(void *ctx, unsigned line)
{
	struct copro_sim_asc *asc = ctx;
	struct asc_fifo *f = line == asc->a2i.line_empty ||
					     line == asc->a2i.line_not_empty
				     ? &asc->a2i
				     : &asc->i2a;
	unsigned cond = fifo_cond(f);

	return line == f->line_empty ? cond == LINE_EMPTY
				     : cond == LINE_NOT_EMPTY;
}

/* irq_lock held: tell the bus of the lines that changed, f->levels to lv. */
static void report_lines(struct copro_sim_asc *asc, struct asc_fifo *f,
			 unsigned lv)
{
	unsigned changed = lv ^ f->levels;

	f->levels = lv;
	if (changed & LINE_EMPTY)
		copro_bus_irq_set(asc->bus, f->line_empty, lv & LINE_EMPTY);
	if (changed & LINE_NOT_EMPTY)
		copro_bus_irq_set(asc->bus, f->line_not_empty,
				  lv & LINE_NOT_EMPTY);
}

static void fifo_update_lines(struct copro_sim_asc *asc, struct asc_fifo *f,
			      unsigned seen)
{
	copro_mutex_lock(&f->irq_lock);
	if (asc->lay->irq_controls) {
		f->irq_latch |= seen | fifo_cond(f);
		report_lines(asc, f, f->irq_latch & f->irq_enable);
	} else {
		report_lines(asc, f, fifo_cond(f));
	}
	copro_mutex_unlock(&f->irq_lock);
}

/*
 * After a push (pushed; `before` the old wr) or a pop (`before` the old
 * rd; `drained_full`: it emptied the FIFO, at least half full since it
 * was last empty), its index stored (`seen`: the condition it left): wake
 * the IOP side if it sleeps waiting for it, and drive the lines.
 *
 * A push fences its store before the loads that follow: a waiter for
 * data counts itself (seq_cst) before it loads the index, so one of the
 * two sees the other.
 *
 * A push's "not empty" edge and the AP's look at the line after its pop
 * are the two halves of a store-buffer pattern: the push stores wr and
 * loads rd, the pop stores rd and (its dispatcher) loads wr. Unless both
 * sides fence, each load may miss the other's store, the push raising no
 * edge and the look finding the FIFO empty: the interrupt thread would
 * sleep on a message. So the AP's pop fences too while an edge is what
 * wakes its interrupt thread (copro_bus_irq_edges_wake; a poller that
 * stops holding looks at the lines again after a full barrier of its
 * own). The IOP's pops need no such fence for the firmware's own waits
 * (it waits on the index), but their "empty" edge meets the host
 * enabling "send-empty" (a seq_cst store of `enabled`, then a look at
 * the indices) in the same pattern. The host enables that line only
 * once it has read CONTROL as full, after its pushes' fences: the
 * firmware's pops then find the FIFO at least half full before it
 * empties (only a pop or two whose index the host had not yet seen can
 * have loaded wr before the host's last push), and the pop that empties
 * it after that fences (`drained_full`): once a fill at most, and never
 * in a round trip, whose FIFO holds one message.
 *
 * Other pops do not, when the heavy barrier can be had: a fence there waits
 * for its index to reach the other core, which holds the line (it spins
 * on it, or read it for its own push), and that wait was on the round
 * trip's critical path twice, the firmware's pop holding up its reply
 * and the host's holding up the delivery. What a pop's loads must not
 * miss are waiters counted after it: a waiter for room and a raw waiter
 * count themselves and then issue copro_heavy_barrier(), which orders
 * our store before our loads as a fence would (iop_wait_change,
 * copro_raw_irq_wait). Its edge check may read wr stale, smaller: that
 * raises "empty" for a FIFO a push has just refilled, which the line's
 * computed level then denies (a spurious look; "empty" is never missed,
 * as a stale wr only makes the FIFO look emptier).
 * M3 and the watched path take irq_lock, a full barrier of its own.
 */
static void fifo_after(struct copro_sim_asc *asc, struct asc_fifo *f,
		       bool pushed, bool drained_full, uint64_t before,
		       unsigned seen)
{
	if (pushed || drained_full ||
	    (f->cons == &asc->ap && copro_bus_irq_edges_wake(asc->bus)))
		atomic_thread_fence(memory_order_seq_cst);
	else
		copro_barrier_fast(asc->heavy);
	if (atomic_load_explicit(&f->sleepers, memory_order_relaxed))
		copro_event_signal(&f->ev);
	if (asc->lay->irq_controls) {
		fifo_update_lines(asc, f, seen);
		return;
	}
	if (copro_bus_irq_watched(asc->bus)) {
		fifo_update_lines(asc, f, 0);
		return;
	}
	if (pushed) {
		/*
		 * The consumer's index is on its line, which our loads would
		 * take a copy of: only when an edge can wake someone (after
		 * the fence above, as copro_bus_irq_edges_wake wants).
		 */
		if (copro_bus_irq_edges_wake(asc->bus) &&
		    atomic_load_explicit(f->rd, memory_order_relaxed) == before)
			copro_bus_irq_set(asc->bus, f->line_not_empty, true);
	} else if (atomic_load_explicit(&f->prod->wr, memory_order_relaxed) ==
		   before + 1) {
		copro_bus_irq_set(asc->bus, f->line_empty, true);
	}
}

/* Producer, fill lock held: 0 when pushed, -ENOSPC when full. */
static int fifo_push(struct copro_sim_asc *asc, struct asc_fifo *f,
		     const struct copro_asc_msg *msg)
{
	uint64_t wr =
		atomic_load_explicit(&f->prod->wr_own, memory_order_relaxed);

	/*
	 * rd_seen was loaded with acquire by this or an earlier holder of
	 * the fill lock: the slots it freed are ours to write.
	 */
	if (wr - f->prod->rd_seen >= ASC_FIFO_DEPTH) {
		f->prod->rd_seen =
			atomic_load_explicit(f->rd, memory_order_acquire);
		if (wr - f->prod->rd_seen >= ASC_FIFO_DEPTH)
			return -ENOSPC;
	}
	/* The newest entry on our line, then wr, then the ring (see top). */
	atomic_store_explicit(&f->prod->nseq, 2 * wr + 1, memory_order_release);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&f->prod->nmsg0, msg->msg0, memory_order_relaxed);
	atomic_store_explicit(&f->prod->nmsg1, msg->msg1, memory_order_relaxed);
	atomic_store_explicit(&f->prod->nseq, 2 * wr + 2, memory_order_release);
	atomic_store_explicit(&f->prod->wr, wr + 1, memory_order_release);
	atomic_store_explicit(&f->prod->wr_own, wr + 1, memory_order_release);
	atomic_store_explicit(&f->ent[wr & FIFO_MASK].msg0, msg->msg0,
			      memory_order_relaxed);
	atomic_store_explicit(&f->ent[wr & FIFO_MASK].msg1, msg->msg1,
			      memory_order_relaxed);
	fifo_after(asc, f, true, false, wr, LINE_NOT_EMPTY);
	return 0;
}

/*
 * Entry k, which the caller (the consumer) knows was pushed (it loaded
 * wr > k, acquire) and not yet popped: the producer's copy of its newest
 * entry if that is still k, else the ring's (see struct asc_side).
 */
static void entry_at(const struct asc_fifo *f, uint64_t k,
		     struct copro_asc_msg *msg)
{
	const struct asc_side *p = f->prod;
	uint64_t seq = atomic_load_explicit(&p->nseq, memory_order_acquire);

	if (seq == 2 * k + 2) {
		msg->msg0 = atomic_load_explicit(&p->nmsg0, memory_order_relaxed);
		msg->msg1 = atomic_load_explicit(&p->nmsg1, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&p->nseq, memory_order_relaxed) == seq)
			return;
		/* Push k + 1 began: synchronise with it for the ring's k. */
		(void)atomic_load_explicit(&p->nseq, memory_order_acquire);
	}
	msg->msg0 = atomic_load_explicit(&f->ent[k & FIFO_MASK].msg0,
					 memory_order_relaxed);
	msg->msg1 = atomic_load_explicit(&f->ent[k & FIFO_MASK].msg1,
					 memory_order_relaxed);
}

/* RECV1's upper bits for a pop at rd with the FIFO filled to wr. */
static uint64_t recv1_bookkeeping(uint64_t wr, uint64_t rd)
{
	uint64_t before = wr - rd;
	uint64_t bk = (uint64_t)(wr & RECV1_PTR_MASK) << ASC_RECV1_INPTR_SHIFT |
		      (uint64_t)(rd & RECV1_PTR_MASK) << ASC_RECV1_OUTPTR_SHIFT;

	if (before)
		bk |= (uint64_t)((before - 1) & RECV1_INCNT_MASK)
			      << ASC_RECV1_INCNT_SHIFT |
		      (uint64_t)(before & RECV1_OUTCNT_MASK)
			      << ASC_RECV1_OUTCNT_SHIFT;
	return bk;
}

/*
 * Consumer, drain lock held: pops into *msg and returns RECV1's
 * bookkeeping, or -ENODATA in *err when empty (the bookkeeping of an
 * underflowing read, then).
 */
static uint64_t fifo_pop(struct copro_sim_asc *asc, struct asc_fifo *f,
			 struct copro_asc_msg *msg, int *err)
{
	uint64_t rd =
		atomic_load_explicit(&f->cons->rd_own, memory_order_relaxed);
	uint64_t wr = atomic_load_explicit(&f->prod->wr, memory_order_acquire);
	uint64_t bk = recv1_bookkeeping(wr, rd);

	if (wr == rd) {
		*err = -ENODATA;
		return bk;
	}
	entry_at(f, rd, msg);
	atomic_store_explicit(f->rd, rd + 1, memory_order_release);
	atomic_store_explicit(&f->cons->rd_own, rd + 1, memory_order_release);

	bool emptied = wr == rd + 1, drained_full = false;

	if (wr - rd >= ASC_FIFO_DEPTH / 2)
		f->cons->drained_full = true;
	if (emptied) {
		drained_full = f->cons->drained_full;
		f->cons->drained_full = false;
	}
	fifo_after(asc, f, false, drained_full, rd,
		   emptied ? LINE_EMPTY : LINE_NOT_EMPTY);
	*err = 0;
	return bk;
}

/* A SEND1 write: a full FIFO loses the message, as the hardware does. */
static void fifo_mmio_push(struct copro_sim_asc *asc, struct asc_fifo *f,
			   uint64_t val)
{
	struct copro_asc_msg msg;
	uint64_t lost;
	int ret;

	side_lock(&f->prod->fill_lock);
	msg.msg0 = atomic_load_explicit(&f->prod->latch, memory_order_relaxed);
	msg.msg1 = (uint32_t)val;
	ret = fifo_push(asc, f, &msg);
	side_unlock(&f->prod->fill_lock);
	if (ret == 0)
		return;
	lost = atomic_fetch_add(&f->overflows, 1) + 1;
	copro_dev_warn(&asc->ld,
		       "%s FIFO overflow: message 0x%016" PRIx64
		       " 0x%08" PRIx32 " lost (%" PRIu64 " so far)",
		       f->name, msg.msg0, msg.msg1, lost);
}

/* A RECV1 read: an empty FIFO pops nothing and reads as message 0. */
static uint64_t fifo_mmio_pop(struct copro_sim_asc *asc, struct asc_fifo *f)
{
	struct copro_asc_msg msg;
	uint64_t bk, n;
	int err;

	side_lock(&f->cons->drain_lock);
	bk = fifo_pop(asc, f, &msg, &err);
	side_unlock(&f->cons->drain_lock);
	if (!err)
		return bk | msg.msg1;
	n = atomic_fetch_add(&f->underflows, 1) + 1;
	copro_dev_warn(&asc->ld,
		       "%s FIFO underflow: RECV1 read while empty"
		       " (%" PRIu64 " so far)",
		       f->name, n);
	return bk;
}

/*
 * Lock-free. Read by the CPU that pops, the head entry cannot change
 * under it, and a concurrent push only makes a later entry visible. Read
 * by another CPU while that one pops and the producer refills the slot,
 * it gives the head or a later message (the ring's words are atomic).
 */
static uint64_t fifo_mmio_peek(struct asc_fifo *f)
{
	uint64_t rd = atomic_load_explicit(f->rd, memory_order_relaxed);
	uint64_t wr = atomic_load_explicit(&f->prod->wr, memory_order_acquire);
	struct copro_asc_msg msg;

	if (wr == rd)
		return 0;
	entry_at(f, rd, &msg);
	return msg.msg0;
}

/*
 * A CONTROL read: the AP's register, so A2I's write index (the AP's own)
 * comes from the AP's copy (struct asc_side). The copy may be a moment
 * behind a push whose message the IOP has already popped (a host thread
 * other than the pusher): a read index past it means empty.
 */
static uint32_t fifo_control(struct copro_sim_asc *asc, struct asc_fifo *f)
{
	const _Atomic uint64_t *wrp =
		f->prod == &asc->ap ? &f->prod->wr_own : &f->prod->wr;
	uint64_t rd = atomic_load_explicit(f->rd, memory_order_acquire);
	uint64_t wr = atomic_load_explicit(wrp, memory_order_acquire);

	if (wr <= rd)
		return ASC_CONTROL_EMPTY;
	return wr - rd >= ASC_FIFO_DEPTH ? ASC_CONTROL_FULL : 0;
}

static int side_init(struct asc_side *s, bool biased)
{
	int ret;

	atomic_init(&s->wr, 0);
	atomic_init(&s->rd, 0);
	atomic_init(&s->rd_apart, 0);
	atomic_init(&s->wr_own, 0);
	atomic_init(&s->rd_own, 0);
	s->rd_seen = 0;
	s->drained_full = false;
	atomic_init(&s->latch, 0);
	atomic_init(&s->nseq, 0);
	atomic_init(&s->nmsg0, 0);
	atomic_init(&s->nmsg1, 0);
	ret = side_lock_init(&s->fill_lock, biased);
	if (ret < 0)
		return ret;
	ret = side_lock_init(&s->drain_lock, biased);
	if (ret < 0)
		side_lock_destroy(&s->fill_lock);
	return ret;
}

static void side_fini(struct asc_side *s)
{
	side_lock_destroy(&s->fill_lock);
	side_lock_destroy(&s->drain_lock);
}

static int fifo_init(struct copro_sim_asc *asc, struct asc_fifo *f,
		     const char *name, struct asc_side *prod,
		     struct asc_side *cons, _Atomic uint64_t *rd,
		     unsigned irq_shift)
{
	int ret = copro_mutex_init(&f->irq_lock);

	if (ret < 0)
		return ret;
	f->name = name;
	f->prod = prod;
	f->cons = cons;
	f->rd = rd;
	f->irq_shift = irq_shift;
	atomic_init(&f->sleepers, 0);
	atomic_init(&f->overflows, 0);
	atomic_init(&f->underflows, 0);
	for (unsigned i = 0; i < ASC_FIFO_DEPTH; i++) {
		atomic_init(&f->ent[i].msg0, 0);
		atomic_init(&f->ent[i].msg1, 0);
	}
	copro_event_init(&f->ev);
	/* Out of reset M3 enables nothing; a driver enables what it uses. */
	f->irq_enable = 0;
	f->irq_latch = 0;
	f->levels = 0;
	copro_bus_irq_set(asc->bus, f->line_empty, false);
	copro_bus_irq_set(asc->bus, f->line_not_empty, false);
	if (!asc->lay->irq_controls) {
		ret = copro_bus_irq_set_source(asc->bus, f->line_empty,
					       fifo_line_level, asc);
		if (ret == 0) {
			ret = copro_bus_irq_set_source(asc->bus,
						       f->line_not_empty,
						       fifo_line_level, asc);
			if (ret < 0)
				copro_bus_irq_set_source(asc->bus, f->line_empty,
							 NULL, NULL);
		}
		if (ret < 0) {
			copro_dev_err(&asc->ld,
				      "%s FIFO: interrupt lines %u and %u: %s",
				      name, f->line_empty, f->line_not_empty,
				      copro_strerror(ret));
			copro_mutex_destroy(&f->irq_lock);
			return ret;
		}
	}
	/* Empty out of reset: tell observers and the dispatcher. */
	fifo_update_lines(asc, f, 0);
	return 0;
}

static void fifo_fini(struct copro_sim_asc *asc, struct asc_fifo *f)
{
	if (!asc->lay->irq_controls) {
		copro_bus_irq_set_source(asc->bus, f->line_empty, NULL, NULL);
		copro_bus_irq_set_source(asc->bus, f->line_not_empty, NULL,
					 NULL);
	}
	copro_bus_irq_set(asc->bus, f->line_empty, false);
	copro_bus_irq_set(asc->bus, f->line_not_empty, false);
	copro_mutex_destroy(&f->irq_lock);
}

/* ---- M3 interrupt controls -------------------------------------------- */

static void irq_enable_write(struct copro_sim_asc *asc, uint32_t val)
{
	struct asc_fifo *fs[] = { &asc->a2i, &asc->i2a };

	for (size_t i = 0; i < 2; i++) {
		copro_mutex_lock(&fs[i]->irq_lock);
		fs[i]->irq_enable = (val >> fs[i]->irq_shift) &
				(LINE_EMPTY | LINE_NOT_EMPTY);
		copro_mutex_unlock(&fs[i]->irq_lock);
		fifo_update_lines(asc, fs[i], 0);
	}
}

static uint32_t irq_enable_read(struct copro_sim_asc *asc)
{
	struct asc_fifo *fs[] = { &asc->a2i, &asc->i2a };
	uint32_t v = 0;

	for (size_t i = 0; i < 2; i++) {
		copro_mutex_lock(&fs[i]->irq_lock);
		v |= (uint32_t)fs[i]->irq_enable << fs[i]->irq_shift;
		copro_mutex_unlock(&fs[i]->irq_lock);
	}
	return v;
}

/* Clears the latches named; a condition that still holds sets it again. */
static void irq_ack_write(struct copro_sim_asc *asc, uint32_t val)
{
	struct asc_fifo *fs[] = { &asc->a2i, &asc->i2a };

	for (size_t i = 0; i < 2; i++) {
		copro_mutex_lock(&fs[i]->irq_lock);
		fs[i]->irq_latch &= ~((val >> fs[i]->irq_shift) &
				  (LINE_EMPTY | LINE_NOT_EMPTY));
		copro_mutex_unlock(&fs[i]->irq_lock);
		fifo_update_lines(asc, fs[i], 0);
	}
}

/* ---- MMIO ----------------------------------------------------------- */

static void bad_access(struct copro_sim_asc *asc, const char *block,
		       const char *what, uint64_t off, unsigned width)
{
	atomic_fetch_add_explicit(&asc->bad_accesses, 1, memory_order_relaxed);
	copro_dev_warn(&asc->ld, "bad %u-byte %s of %s register 0x%" PRIx64,
		       width, what, block, off);
}

enum mbox_reg {
	R_NONE,
	R_A2I_CONTROL, R_A2I_SEND0, R_A2I_SEND1, R_A2I_RECV0, R_A2I_RECV1,
	R_I2A_CONTROL, R_I2A_SEND0, R_I2A_SEND1, R_I2A_RECV0, R_I2A_RECV1,
	R_IRQ_ENABLE, R_IRQ_ACK,
};

/* The register at `off` in this mailbox's layout. */
static enum mbox_reg decode(const struct asc_layout *l, uint64_t off)
{
	const struct {
		uint32_t off;
		enum mbox_reg reg;
	} map[] = {
		{ l->a2i_control, R_A2I_CONTROL }, { l->a2i_send0, R_A2I_SEND0 },
		{ l->a2i_send1, R_A2I_SEND1 },	   { l->a2i_recv0, R_A2I_RECV0 },
		{ l->a2i_recv1, R_A2I_RECV1 },	   { l->i2a_control, R_I2A_CONTROL },
		{ l->i2a_send0, R_I2A_SEND0 },	   { l->i2a_send1, R_I2A_SEND1 },
		{ l->i2a_recv0, R_I2A_RECV0 },	   { l->i2a_recv1, R_I2A_RECV1 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].off == off)
			return map[i].reg;
	if (l->irq_controls && off == l->irq_enable)
		return R_IRQ_ENABLE;
	if (l->irq_controls && off == l->irq_ack)
		return R_IRQ_ACK;
	return R_NONE;
}

/*
 * What the table says: one load per access, where decode() walks the
 * layout (it built the table).
 */
static enum mbox_reg reg_at(const struct copro_sim_asc *asc, uint64_t off)
{
	if (off & 3 || off / 4 >= REGMAP_WORDS)
		return R_NONE;
	return (enum mbox_reg)asc->regmap[off / 4];
}

static int regmap_build(struct copro_sim_asc *asc)
{
	/* min_size holds every register of the layout. */
	if (asc->lay->min_size > REGMAP_WORDS * 4) {
		copro_dev_err(&asc->ld,
			      "the %s layout's registers reach 0x%x, past the"
			      " model's register map (0x%x)",
			      asc->lay->name, asc->lay->min_size,
			      REGMAP_WORDS * 4);
		return -EINVAL;
	}
	for (uint32_t w = 0; w < REGMAP_WORDS; w++)
		asc->regmap[w] = (uint8_t)decode(asc->lay, (uint64_t)w * 4);
	return 0;
}

static uint64_t mbox_read(void *ctx, uint64_t off, unsigned width)
{
	struct copro_sim_asc *asc = ctx;
	enum mbox_reg r = reg_at(asc, off);

	switch (r) {
	case R_A2I_CONTROL:
	case R_I2A_CONTROL:
		if (width != 4)
			break;
		return fifo_control(asc, r == R_A2I_CONTROL ? &asc->a2i
							    : &asc->i2a);
	case R_A2I_RECV0:
	case R_I2A_RECV0:
		if (width != 8)
			break;
		return fifo_mmio_peek(r == R_A2I_RECV0 ? &asc->a2i : &asc->i2a);
	case R_A2I_RECV1:
	case R_I2A_RECV1:
		if (width != 8)
			break;
		return fifo_mmio_pop(asc,
				     r == R_A2I_RECV1 ? &asc->a2i : &asc->i2a);
	case R_IRQ_ENABLE:
		if (width != 4)
			break;
		return irq_enable_read(asc);
	default:
		/* Including IRQ_ACK and SEND, which are write-only. */
		break;
	}
	bad_access(asc, "mailbox", "read", off, width);
	return 0;
}

static void mbox_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct copro_sim_asc *asc = ctx;
	enum mbox_reg r = reg_at(asc, off);
	struct asc_fifo *f;

	switch (r) {
	case R_A2I_SEND0:
	case R_I2A_SEND0:
		if (width != 8)
			break;
		f = r == R_A2I_SEND0 ? &asc->a2i : &asc->i2a;
		atomic_store_explicit(&f->prod->latch, val, memory_order_relaxed);
		return;
	case R_A2I_SEND1:
	case R_I2A_SEND1:
		if (width != 8)
			break;
		fifo_mmio_push(asc, r == R_A2I_SEND1 ? &asc->a2i : &asc->i2a,
			       val);
		return;
	case R_IRQ_ENABLE:
		if (width != 4)
			break;
		irq_enable_write(asc, (uint32_t)val);
		return;
	case R_IRQ_ACK:
		if (width != 4)
			break;
		irq_ack_write(asc, (uint32_t)val);
		return;
	default:
		break;
	}
	/* Including the read-only CONTROL and RECV registers. */
	bad_access(asc, "mailbox", "write", off, width);
}

static const struct copro_mmio_ops mbox_ops = {
	.read = mbox_read,
	.write = mbox_write,
};

/* ---- the coprocessor CPU --------------------------------------------- */

/*
 * The CPU is a thread that exists from the model's creation to its
 * destruction and runs the firmware each time CPU_CONTROL.RUN is set:
 * starting a coprocessor costs a wake-up, not a thread creation (which
 * was most of an RTKit boot's time). After a halt it watches for RUN
 * for IOP_SPIN_NS before it sleeps, as the firmware's own waits do: a
 * restart (stop, then RUN at once: a reboot, a crash recovery) finds it
 * awake, where a sleeping thread would take a wake-up (10-46 us on the
 * development VM, the largest step of a boot) to start the firmware.
 */
enum cpu_cmd { CPU_HALT, CPU_RUN, CPU_EXIT };

/*
 * After a halt: watch cpu_cmd for up to restart_watch_ns (IOP_SPIN_NS
 * unless a test set it). True when RUN came meanwhile: the start needed
 * no wake-up.
 */
static bool cpu_watch(struct copro_sim_asc *asc)
{
	uint64_t ns = atomic_load_explicit(&asc->restart_watch_ns,
					   memory_order_relaxed);
	uint64_t now = copro_time_ns();
	uint64_t until = now + ns < now ? UINT64_MAX : now + ns;

	if (!ns)
		return false;

	for (;;) {
		for (int i = 0; i < IOP_SPIN_CLOCK_EVERY; i++) {
			int cmd = atomic_load_explicit(&asc->cpu_cmd,
						       memory_order_relaxed);

			if (cmd != CPU_HALT)
				return cmd == CPU_RUN;
			copro_cpu_relax();
		}
		if (copro_time_ns() >= until)
			return false;
	}
}

static void *cpu_thread_main(void *arg)
{
	struct copro_sim_asc *asc = arg;

	for (;;) {
		uint32_t key = copro_event_prepare(&asc->cpu_ev);
		int cmd = atomic_load_explicit(&asc->cpu_cmd,
					       memory_order_acquire);

		if (cmd == CPU_EXIT)
			break;
		if (cmd != CPU_RUN) {
			copro_event_wait(&asc->cpu_ev, key, COPRO_FOREVER, 0);
			continue;
		}
		if (asc->have_fw && asc->fw.run)
			asc->fw.run(asc->fw.ctx, asc);
		atomic_store_explicit(&asc->cpu_cmd, CPU_HALT,
				      memory_order_release);
		copro_completion_complete(&asc->cpu_halted);
		if (cpu_watch(asc))
			atomic_fetch_add(&asc->cpu_starts_spinning, 1);
	}
	return NULL;
}

static int cpu_thread_create(struct copro_sim_asc *asc)
{
	char name[16];
	int ret;

	snprintf(name, sizeof(name), "cpu:%s", asc->node_name);
	copro_event_init(&asc->cpu_ev);
	copro_completion_init(&asc->cpu_halted);
	atomic_init(&asc->cpu_cmd, CPU_HALT);
	ret = copro_thread_start(&asc->cpu_thread, name, cpu_thread_main, asc);
	if (ret < 0)
		copro_dev_err(&asc->ld, "cannot start the CPU thread: %s",
			      copro_strerror(ret));
	return ret;
}

static void cpu_thread_destroy(struct copro_sim_asc *asc)
{
	atomic_store(&asc->cpu_cmd, CPU_EXIT);
	copro_event_signal(&asc->cpu_ev);
	copro_thread_join(&asc->cpu_thread);
}

/* cpu_lock held. */
static int cpu_start(struct copro_sim_asc *asc)
{
	atomic_store(&asc->stopping, false);
	copro_completion_reinit(&asc->cpu_halted);
	/*
	 * Running before the firmware runs: it may ask for things (queue an
	 * injection) that check this before the starting thread returns.
	 */
	atomic_store(&asc->running, true);
	atomic_store_explicit(&asc->cpu_cmd, CPU_RUN, memory_order_release);
	copro_event_signal(&asc->cpu_ev);
	atomic_fetch_add(&asc->cpu_starts, 1);
	copro_dev_dbg(&asc->ld, "CPU started (firmware %s)",
		      asc->have_fw && asc->fw.name ? asc->fw.name : "none");
	return 0;
}

/*
 * cpu_lock held, but no FIFO lock: the firmware may need those to reach
 * its -ESHUTDOWN, and never takes cpu_lock, so waiting here is safe.
 */
static void cpu_stop(struct copro_sim_asc *asc)
{
	atomic_store(&asc->stopping, true);
	copro_event_signal(&asc->a2i.ev);
	copro_event_signal(&asc->i2a.ev);
	while (copro_completion_wait(&asc->cpu_halted, COPRO_FOREVER) != 0)
		;
	atomic_store(&asc->running, false);
	atomic_fetch_add(&asc->cpu_stops, 1);
	copro_dev_dbg(&asc->ld, "CPU stopped");
}

static void cpu_control_write(struct copro_sim_asc *asc, uint32_t val)
{
	bool run = val & ASC_CPU_CONTROL_RUN;

	copro_mutex_lock(&asc->cpu_lock);
	if (run && !atomic_load(&asc->running)) {
		if (cpu_start(asc) < 0)
			val &= ~ASC_CPU_CONTROL_RUN;
	} else if (!run && atomic_load(&asc->running)) {
		cpu_stop(asc);
	}
	atomic_store(&asc->cpu_control, val);
	copro_mutex_unlock(&asc->cpu_lock);
}

static uint64_t cpu_read(void *ctx, uint64_t off, unsigned width)
{
	struct copro_sim_asc *asc = ctx;

	if (off == ASC_CPU_CONTROL && width == 4)
		return atomic_load(&asc->cpu_control);
	bad_access(asc, "CPU", "read", off, width);
	return 0;
}

static void cpu_write(void *ctx, uint64_t off, uint64_t val, unsigned width)
{
	struct copro_sim_asc *asc = ctx;

	if (off == ASC_CPU_CONTROL && width == 4) {
		cpu_control_write(asc, (uint32_t)val);
		return;
	}
	bad_access(asc, "CPU", "write", off, width);
}

static const struct copro_mmio_ops cpu_ops = {
	.read = cpu_read,
	.write = cpu_write,
};

/* ---- the IOP side, for firmware -------------------------------------- */

static bool iop_woken(struct copro_sim_asc *asc, struct asc_fifo *f,
		      const _Atomic uint64_t *watch, uint64_t seen)
{
	return atomic_load(watch) != seen ||
	       atomic_load_explicit(&asc->stopping, memory_order_relaxed) ||
	       (f == &asc->a2i &&
		atomic_load_explicit(&asc->kicked, memory_order_relaxed));
}

/*
 * Waits until *watch (the other side's index) moves from `seen`, the CPU
 * is stopping or (receives) kicked, or `left` passes: a spin of at most
 * IOP_SPIN_NS on the index itself, so a host that answers within it
 * costs one cache line and no system call, then asleep on f->ev, counted
 * in f->sleepers so the other side signals (fifo_after).
 */
static void iop_wait_change(struct copro_sim_asc *asc, struct asc_fifo *f,
			    const _Atomic uint64_t *watch, uint64_t seen,
			    int64_t left)
{
	uint64_t now = copro_time_ns();
	uint64_t spin_until =
		now + (left != COPRO_FOREVER && left < IOP_SPIN_NS ? (uint64_t)left
								   : IOP_SPIN_NS);

	for (;;) {
		for (int i = 0; i < IOP_SPIN_CLOCK_EVERY; i++) {
			if (iop_woken(asc, f, watch, seen))
				return;
			copro_cpu_relax();
		}
		if (copro_time_ns() >= spin_until)
			break;
	}
	atomic_fetch_add(&f->sleepers, 1);
	/* Pops do not fence (fifo_after): this orders their side too. */
	if (watch == f->rd && asc->heavy)
		copro_heavy_barrier();
	uint32_t key = copro_event_prepare(&f->ev);

	/* seq_cst after the count: see fifo_after. */
	if (!iop_woken(asc, f, watch, seen))
		copro_event_wait(&f->ev, key, left, 0);
	atomic_fetch_sub(&f->sleepers, 1);
}

/*
 * Retry op (a push or pop under the IOP side's lock: 0 when done) until
 * it succeeds, the CPU is stopping or the timeout passes, waiting for the
 * other side's index, *watch, to move in between.
 */
static int iop_wait(struct copro_sim_asc *asc, struct asc_fifo *f,
		    int64_t timeout_ns, const _Atomic uint64_t *watch,
		    int (*op)(struct copro_sim_asc *, struct asc_fifo *, void *),
		    void *arg)
{
	uint64_t deadline = 0;

	/*
	 * A first try before loading *watch: a push's watch is the host's
	 * I2A read index, on a line the firmware otherwise reads only when
	 * its copy says full, and loading it for a push that finds room
	 * would fetch that line on every reply.
	 */
	if (atomic_load_explicit(&asc->stopping, memory_order_acquire))
		return -ESHUTDOWN;
	if (op(asc, f, arg) == 0)
		return 0;
	for (;;) {
		uint64_t seen = atomic_load(watch);
		int64_t left;

		if (atomic_load_explicit(&asc->stopping, memory_order_acquire))
			return -ESHUTDOWN;
		if (op(asc, f, arg) == 0)
			return 0;
		/* Only receives are interruptible: a send must not be lost. */
		if (f == &asc->a2i &&
		    atomic_load_explicit(&asc->kicked, memory_order_relaxed) &&
		    atomic_exchange(&asc->kicked, false))
			return -EINTR;
		if (timeout_ns == 0)
			return -ETIMEDOUT;
		if (!deadline)
			deadline = copro_deadline(timeout_ns);
		left = copro_deadline_left(deadline);
		if (left == 0)
			return -ETIMEDOUT;
		iop_wait_change(asc, f, watch, seen, left);
	}
}

static int iop_pop(struct copro_sim_asc *asc, struct asc_fifo *f, void *arg)
{
	int err;

	side_lock(&f->cons->drain_lock);
	fifo_pop(asc, f, arg, &err);
	side_unlock(&f->cons->drain_lock);
	return err;
}

static int iop_push(struct copro_sim_asc *asc, struct asc_fifo *f, void *arg)
{
	int err;

	side_lock(&f->prod->fill_lock);
	err = fifo_push(asc, f, arg);
	side_unlock(&f->prod->fill_lock);
	return err;
}

int copro_sim_asc_iop_recv(struct copro_sim_asc *asc, struct copro_asc_msg *msg,
			   int64_t timeout_ns)
{
	return iop_wait(asc, &asc->a2i, timeout_ns, &asc->a2i.prod->wr,
			iop_pop, msg);
}

int copro_sim_asc_iop_send(struct copro_sim_asc *asc,
			   const struct copro_asc_msg *msg, int64_t timeout_ns)
{
	struct copro_asc_msg copy = *msg;

	return iop_wait(asc, &asc->i2a, timeout_ns, asc->i2a.rd,
			iop_push, &copy);
}

bool copro_sim_asc_iop_stopping(const struct copro_sim_asc *asc)
{
	return atomic_load(&asc->stopping);
}

void copro_sim_asc_iop_kick(struct copro_sim_asc *asc)
{
	atomic_store(&asc->kicked, true);
	copro_event_signal(&asc->a2i.ev);
}

void copro_sim_asc_cpu_stop(struct copro_sim_asc *asc)
{
	cpu_control_write(asc, atomic_load(&asc->cpu_control) &
				       ~ASC_CPU_CONTROL_RUN);
}

/* ---- lifecycle ------------------------------------------------------- */

static int lookup_lines(struct copro_sim_asc *asc, const struct copro_dt *dt)
{
	const struct {
		const char *name;
		unsigned *line;
	} lines[] = {
		{ ASC_IRQ_SEND_EMPTY, &asc->a2i.line_empty },
		{ ASC_IRQ_SEND_NOT_EMPTY, &asc->a2i.line_not_empty },
		{ ASC_IRQ_RECV_EMPTY, &asc->i2a.line_empty },
		{ ASC_IRQ_RECV_NOT_EMPTY, &asc->i2a.line_not_empty },
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int ret = copro_dt_irq_by_name(dt, asc->node, lines[i].name,
					       lines[i].line);

		if (ret < 0) {
			char path[256];

			copro_dev_err(&asc->ld,
				      "%s: %s: no \"%s\" interrupt in interrupts/"
				      "interrupt-names: %s",
				      copro_dt_name(dt),
				      copro_dt_node_path(dt, asc->node, path,
							 sizeof(path)),
				      lines[i].name, copro_strerror(ret));
			return ret;
		}
	}
	return 0;
}

static int lookup_layout(struct copro_sim_asc *asc, const struct copro_dt *dt)
{
	size_t n;
	const struct asc_layout *l = asc_layouts(&n);
	char path[256];

	for (size_t i = 0; i < n; i++) {
		if (copro_dt_is_compatible(dt, asc->node, l[i].compatible)) {
			asc->lay = &l[i];
			return 0;
		}
	}
	copro_dev_err(&asc->ld, "%s: %s: compatible names no mailbox layout"
		      " the model knows (\"%s\", \"%s\", \"%s\")",
		      copro_dt_name(dt),
		      copro_dt_node_path(dt, asc->node, path, sizeof(path)),
		      ASC_COMPAT_V4, ASC_COMPAT_T8015, ASC_COMPAT_M3);
	return -ENODEV;
}

/*
 * The "ans" reg of the first node whose `mboxes` names this mailbox:
 * where that coprocessor's CPU control block is. 0 when found.
 */
static int client_cpu_block(struct copro_sim_asc *asc,
			    const struct copro_dt *dt)
{
	const void *fdt = copro_dt_blob(dt);

	for (int n = fdt_next_node(fdt, -1, NULL); n >= 0;
	     n = fdt_next_node(fdt, n, NULL)) {
		int refs = copro_dt_ref_count(dt, n, "mboxes", "#mbox-cells");

		for (int i = 0; i < refs; i++) {
			struct copro_dt_ref ref;

			if (copro_dt_ref(dt, n, "mboxes", "#mbox-cells",
					 (unsigned)i, &ref) < 0 ||
			    ref.node != asc->node)
				continue;
			if (copro_dt_reg_by_name(dt, n, "ans", &asc->cpu_phys,
						 &asc->cpu_size) == 0)
				return 0;
		}
	}
	return -ENOENT;
}

static int lookup_reg(struct copro_sim_asc *asc, const struct copro_dt *dt)
{
	char path[256];
	int ret = copro_dt_reg(dt, asc->node, 0, &asc->mbox_phys,
			       &asc->mbox_size);

	copro_dt_node_path(dt, asc->node, path, sizeof(path));
	if (ret < 0) {
		copro_dev_err(&asc->ld, "%s: %s: no usable reg: %s",
			      copro_dt_name(dt), path, copro_strerror(ret));
		return ret;
	}
	if (asc->mbox_size < asc->lay->min_size) {
		copro_dev_err(&asc->ld,
			      "%s: %s: reg <0x%" PRIx64 " 0x%" PRIx64
			      "> cannot hold the %s mailbox (needs at least"
			      " 0x%x bytes)",
			      copro_dt_name(dt), path, asc->mbox_phys,
			      asc->mbox_size, asc->lay->name,
			      asc->lay->min_size);
		return -EINVAL;
	}
	if (client_cpu_block(asc, dt) == 0) {
		if (asc->cpu_size < ASC_CPU_CONTROL + 4) {
			copro_dev_err(&asc->ld,
				      "%s: the \"ans\" reg of this mailbox's"
				      " client is 0x%" PRIx64 " bytes, too small"
				      " for CPU_CONTROL at 0x%x",
				      copro_dt_name(dt), asc->cpu_size,
				      ASC_CPU_CONTROL);
			return -EINVAL;
		}
		return 0;
	}
	if (asc->mbox_phys < ASC_MBOX_OFFSET) {
		copro_dev_err(&asc->ld,
			      "%s: %s: no client names a CPU control block"
			      " (\"ans\" reg) and reg 0x%" PRIx64
			      " is not 0x%x above an ASC base",
			      copro_dt_name(dt), path, asc->mbox_phys,
			      ASC_MBOX_OFFSET);
		return -EINVAL;
	}
	asc->cpu_phys = asc->mbox_phys - ASC_MBOX_OFFSET;
	asc->cpu_size = ASC_CPU_REGION_SIZE;
	return 0;
}

int copro_sim_asc_create(struct copro_bus *bus, int node,
			 struct copro_sim_asc **out)
{
	const struct copro_dt *dt = copro_bus_dt(bus);
	struct copro_sim_asc *asc;
	int ret;

	*out = NULL;
	/* Its FIFOs are cache-line aligned (see struct asc_fifo). */
	asc = aligned_alloc(alignof(struct copro_sim_asc),
			    (sizeof(*asc) + alignof(struct copro_sim_asc) - 1) &
				    ~(alignof(struct copro_sim_asc) - 1));
	if (!asc)
		return -ENOMEM;
	memset(asc, 0, sizeof(*asc));
	asc->bus = bus;
	asc->node = node;
	asc->node_name = copro_dt_node_name(dt, node);
	/* The IOP side exists only while the CPU runs. */
	atomic_init(&asc->stopping, true);
	atomic_init(&asc->running, false);
	atomic_init(&asc->kicked, false);
	atomic_init(&asc->cpu_control, 0);
	atomic_init(&asc->bad_accesses, 0);
	atomic_init(&asc->cpu_starts, 0);
	atomic_init(&asc->cpu_stops, 0);
	atomic_init(&asc->cpu_starts_spinning, 0);
	atomic_init(&asc->restart_watch_ns, IOP_SPIN_NS);
	copro_logdev_init(&asc->ld, copro_bus_log(bus), "sim:%s",
			  asc->node_name);

	asc->heavy = copro_heavy_barrier_init();
	ret = lookup_layout(asc, dt);
	if (ret < 0)
		goto err_free;
	ret = regmap_build(asc);
	if (ret < 0)
		goto err_free;
	ret = lookup_reg(asc, dt);
	if (ret < 0)
		goto err_free;
	ret = lookup_lines(asc, dt);
	if (ret < 0)
		goto err_free;

	ret = copro_mutex_init(&asc->cpu_lock);
	if (ret < 0)
		goto err_free;
	ret = side_init(&asc->ap, false);
	if (ret < 0)
		goto err_cpu_lock;
	ret = side_init(&asc->iop, true);
	if (ret < 0)
		goto err_ap;
	ret = fifo_init(asc, &asc->a2i, "A2I", &asc->ap, &asc->iop,
			&asc->iop.rd, 0);
	if (ret < 0)
		goto err_iop;
	ret = fifo_init(asc, &asc->i2a, "I2A", &asc->iop, &asc->ap,
			&asc->ap.rd_apart, 2);
	if (ret < 0)
		goto err_a2i;
	ret = cpu_thread_create(asc);
	if (ret < 0)
		goto err_i2a;

	snprintf(asc->mbox_region_name, sizeof(asc->mbox_region_name),
		 "%s mailbox", asc->node_name);
	snprintf(asc->cpu_region_name, sizeof(asc->cpu_region_name),
		 "%s CPU control", asc->node_name);
	ret = copro_bus_add_mmio(bus, asc->mbox_phys, asc->mbox_size, &mbox_ops,
				 asc, asc->mbox_region_name);
	if (ret < 0) {
		copro_dev_err(&asc->ld,
			      "cannot add the mailbox registers at 0x%" PRIx64
			      ": %s",
			      asc->mbox_phys, copro_strerror(ret));
		goto err_cpu;
	}
	ret = copro_bus_add_mmio(bus, asc->cpu_phys, asc->cpu_size, &cpu_ops,
				 asc, asc->cpu_region_name);
	if (ret < 0) {
		copro_dev_err(&asc->ld,
			      "cannot add the CPU control block at 0x%" PRIx64
			      " (0x%" PRIx64 " bytes): %s",
			      asc->cpu_phys, asc->cpu_size,
			      copro_strerror(ret));
		goto err_mbox;
	}
	*out = asc;
	return 0;

err_mbox:
	copro_bus_remove_mmio(bus, asc->mbox_phys);
err_cpu:
	cpu_thread_destroy(asc);
err_i2a:
	fifo_fini(asc, &asc->i2a);
err_a2i:
	fifo_fini(asc, &asc->a2i);
err_iop:
	side_fini(&asc->iop);
err_ap:
	side_fini(&asc->ap);
err_cpu_lock:
	copro_mutex_destroy(&asc->cpu_lock);
err_free:
	free(asc);
	return ret;
}

void copro_sim_asc_destroy(struct copro_sim_asc *asc)
{
	if (!asc)
		return;
	/* No register access can start or stop the CPU once these are gone. */
	copro_bus_remove_mmio(asc->bus, asc->cpu_phys);
	copro_bus_remove_mmio(asc->bus, asc->mbox_phys);
	copro_mutex_lock(&asc->cpu_lock);
	if (atomic_load(&asc->running))
		cpu_stop(asc);
	copro_mutex_unlock(&asc->cpu_lock);
	cpu_thread_destroy(asc);
	fifo_fini(asc, &asc->i2a);
	fifo_fini(asc, &asc->a2i);
	side_fini(&asc->iop);
	side_fini(&asc->ap);
	copro_mutex_destroy(&asc->cpu_lock);
	free(asc);
}

int copro_sim_asc_set_firmware(struct copro_sim_asc *asc,
			       const struct copro_sim_asc_fw *fw)
{
	int ret = 0;

	copro_mutex_lock(&asc->cpu_lock);
	if (atomic_load(&asc->running)) {
		copro_dev_err(&asc->ld,
			      "cannot load firmware %s while the CPU runs",
			      fw && fw->name ? fw->name : "(none)");
		ret = -EBUSY;
	} else if (fw) {
		asc->fw = *fw;
		asc->have_fw = true;
	} else {
		memset(&asc->fw, 0, sizeof(asc->fw));
		asc->have_fw = false;
	}
	copro_mutex_unlock(&asc->cpu_lock);
	return ret;
}

bool copro_sim_asc_cpu_running(const struct copro_sim_asc *asc)
{
	return atomic_load(&asc->running);
}

int copro_sim_asc_node(const struct copro_sim_asc *asc)
{
	return asc->node;
}

const char *copro_sim_asc_name(const struct copro_sim_asc *asc)
{
	return asc->node_name;
}

struct copro_bus *copro_sim_asc_bus(const struct copro_sim_asc *asc)
{
	return asc->bus;
}

const char *copro_sim_asc_layout(const struct copro_sim_asc *asc)
{
	return asc->lay->compatible;
}

void copro_sim_asc_cpu_region(const struct copro_sim_asc *asc,
			      uint64_t *phys, uint64_t *size)
{
	*phys = asc->cpu_phys;
	*size = asc->cpu_size;
}

static void fifo_stats(struct asc_fifo *f, uint64_t *pushed, uint64_t *popped,
		       uint64_t *overflows, uint64_t *underflows)
{
	/* Popped first: never more popped than pushed. */
	*popped = atomic_load(f->rd);
	*pushed = atomic_load(&f->prod->wr);
	*overflows = atomic_load(&f->overflows);
	*underflows = atomic_load(&f->underflows);
}

void copro_sim_asc_set_restart_watch(struct copro_sim_asc *asc, uint64_t ns)
{
	atomic_store_explicit(&asc->restart_watch_ns, ns, memory_order_relaxed);
}

void copro_sim_asc_get_stats(const struct copro_sim_asc *asc,
			     struct copro_sim_asc_stats *out)
{
	struct copro_sim_asc *m = (struct copro_sim_asc *)asc;

	memset(out, 0, sizeof(*out));
	fifo_stats(&m->a2i, &out->a2i_pushed, &out->a2i_popped,
		   &out->a2i_overflows, &out->a2i_underflows);
	fifo_stats(&m->i2a, &out->i2a_pushed, &out->i2a_popped,
		   &out->i2a_overflows, &out->i2a_underflows);
	out->bad_accesses = atomic_load(&m->bad_accesses);
	out->cpu_starts = atomic_load(&m->cpu_starts);
	out->cpu_stops = atomic_load(&m->cpu_stops);
	out->cpu_starts_spinning = atomic_load(&m->cpu_starts_spinning);
}
