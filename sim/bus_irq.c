// SPDX-License-Identifier: MIT
/*
 * Level-triggered interrupt lines. A model sets a line's level with one
 * atomic store; a rising edge on a line someone listens to wakes the
 * dispatcher. The dispatcher (the interrupt thread, or whoever polls the
 * platform) runs the handler of every line that is asserted,
 * enabled and requested, and keeps doing so while any stays asserted.
 *
 * A handler never runs concurrently with itself: a dispatcher claims the
 * line's `running` flag first, and others skip it.
 *
 * A model may compute a line's level instead of storing it
 * (copro_bus_irq_set_source): the dispatcher then looks at the level only
 * under the line's claim, so the model can take its source away safely.
 *
 * A thread busy-polling the platform (copro_platform_poll_hold) runs
 * what rises meanwhile itself: a rising edge wakes the interrupt thread
 * only when no such poller is counted, and a poller takes one more look
 * after it stops counting itself. So a waiter spinning for a reply does
 * not pay for waking a third thread on every message, on a machine of
 * two cores.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"

/* A line stuck asserted must not keep a polling caller forever. */
#define POLL_MAX_ROUNDS 64

/*
 * The line whose handler this thread is running, so that disabling or
 * freeing the line from inside its handler does not wait for itself.
 */
static _Thread_local struct bus_irq *tl_running;

int copro_bus_irq_init(struct copro_bus *bus, uint64_t spin_ns)
{
	struct bus_irq_lines *q = &bus->irq;

	for (unsigned i = 0; i < COPRO_IRQ_LINES; i++) {
		atomic_init(&q->level[i], false);
		atomic_init(&q->src_fn[i], NULL);
		atomic_init(&q->src_ctx[i], NULL);
		atomic_init(&q->by_line[i], NULL);
		atomic_init(&q->active[i], NULL);
	}
	atomic_init(&q->nactive, 0);
	atomic_init(&q->pollers, 0);
	atomic_init(&q->thread_waits, 0);
	atomic_init(&q->thread_waits_unspun, 0);
	atomic_init(&q->stop, false);
	copro_event_init(&q->ev);
	q->spin_ns = spin_ns;
	atomic_init(&q->raw_users, 0);
	copro_event_init(&q->raw_ev);
	int rc = copro_rwlock_init(&q->raw_lock);

	if (rc)
		return rc;
	rc = copro_mutex_init(&q->lock);
	if (rc)
		copro_rwlock_destroy(&q->raw_lock);
	return rc;
}

void copro_bus_irq_fini(struct copro_bus *bus)
{
	struct bus_irq_lines *q = &bus->irq;
	unsigned n = atomic_load(&q->nactive);

	for (unsigned i = 0; i < n; i++) {
		struct bus_irq *irq = atomic_load(&q->active[i]);

		if (atomic_load(&irq->requested))
			copro_dev_err(&bus->ld,
				      "bus destroyed with interrupt line %u ('%s') still requested",
				      irq->line, irq->name);
		free(irq);
	}
	for (size_t i = 0; i < q->raw_nhooks; i++)
		copro_dev_err(&bus->ld,
			      "bus destroyed with a raw hook on interrupt line %u",
			      q->raw_hooks[i].line);
	free(q->raw_hooks);
	copro_rwlock_destroy(&q->raw_lock);
	copro_mutex_destroy(&q->lock);
}

/* ---- dispatch ---- */

/* The line's level: stored, or computed by its model. */
static bool line_level(struct bus_irq_lines *q, unsigned line)
{
	copro_bus_irq_level_fn fn =
		atomic_load_explicit(&q->src_fn[line], memory_order_acquire);

	if (fn)
		return fn(atomic_load_explicit(&q->src_ctx[line],
					       memory_order_relaxed),
			  line);
	return atomic_load(&q->level[line]);
}

static bool irq_live(const struct bus_irq *irq)
{
	return atomic_load(&irq->enabled) && atomic_load(&irq->requested);
}

static bool irq_pending(const struct bus_irq *irq)
{
	return irq_live(irq) && line_level(&irq->bus->irq, irq->line);
}

/* Claims the line: IRQ_FREE when this thread got it, else who has it. */
static unsigned char irq_claim(struct bus_irq *irq)
{
	unsigned char cur = IRQ_FREE;

	if (atomic_compare_exchange_strong(&irq->running, &cur, IRQ_CLAIMED))
		return IRQ_FREE;
	return cur;
}

unsigned copro_bus_irq_dispatch(struct copro_bus *bus, bool *busy,
				bool *again)
{
	struct bus_irq_lines *q = &bus->irq;
	unsigned n = atomic_load_explicit(&q->nactive, memory_order_acquire);
	unsigned calls = 0;

	*busy = false;
	*again = false;
	for (unsigned i = 0; i < n; i++) {
		struct bus_irq *irq = atomic_load_explicit(
			&q->active[i], memory_order_relaxed);
		struct bus_irq *outer;

		if (!irq_live(irq))
			continue;
		/* A computed level is looked at under the claim only. */
		if (!atomic_load_explicit(&q->src_fn[irq->line],
					  memory_order_relaxed) &&
		    !atomic_load(&q->level[irq->line]))
			continue;
		if (irq_claim(irq) != IRQ_FREE) {
			*busy = true; /* another dispatcher has it right now */
			continue;
		}
		/* Re-check under the claim: copro_irq_free may have won. */
		if (irq_pending(irq)) {
			atomic_store_explicit(&irq->running, IRQ_HANDLER,
					      memory_order_relaxed);
			outer = tl_running;
			tl_running = irq;
			irq->handler(irq->ctx);
			tl_running = outer;
			calls++;
			/*
			 * Looked at again while still claimed: a handler that
			 * left its line asserted (more than it took, or a
			 * message that came meanwhile) wants another pass;
			 * one that drained it needs none. A line that rises
			 * after its look has woken the interrupt thread with
			 * its edge, or waits for a poller's next look.
			 */
			if (irq_pending(irq))
				*again = true;
		}
		/*
		 * A release store, not an exchange: whoever takes the claim
		 * next (a CAS) sees what the handler did, and a locked
		 * instruction here would wait for the handler's stores to
		 * reach the other cores (a model's index, a line the other
		 * side spins on) before the poller could go on.
		 */
		atomic_store_explicit(&irq->running, IRQ_FREE,
				      memory_order_release);
	}
	return calls;
}

static void *irq_thread(void *arg)
{
	struct copro_bus *bus = arg;
	struct bus_irq_lines *q = &bus->irq;

	while (!atomic_load(&q->stop)) {
		uint32_t key = copro_event_prepare(&q->ev);
		bool busy, again;

		/*
		 * Level semantics: go round again while a line stays
		 * asserted after its handler, or while a poller runs a
		 * handler whose line may. A line that rose during the pass
		 * signalled the event after the prepare above (the wait
		 * below returns at once), unless a poller held the platform:
		 * then its polls and its last look run it.
		 */
		copro_bus_irq_dispatch(bus, &busy, &again);
		if (again)
			continue;
		if (busy) {
			copro_cpu_relax();
			continue;
		}
		if (atomic_load(&q->stop))
			break;
		/*
		 * While a poller is counted no edge signals this thread (it
		 * runs them itself), so a spin would only take a core from
		 * it: sleep at once. Its last look wakes us if need be.
		 */
		bool held = atomic_load(&q->pollers) != 0;

		/* This thread alone counts its waits. */
		copro_owned_add(&q->thread_waits, 1);
		if (held)
			copro_owned_add(&q->thread_waits_unspun, 1);
		copro_event_wait(&q->ev, key, COPRO_FOREVER,
				 held ? 0 : q->spin_ns);
	}
	return NULL;
}

int copro_bus_irq_start(struct copro_bus *bus)
{
	char name[16];

	snprintf(name, sizeof(name), "irq-%s", copro_dt_name(bus->dt));
	return copro_thread_start(&bus->irq.thread, name, irq_thread, bus);
}

void copro_bus_irq_stop(struct copro_bus *bus)
{
	atomic_store(&bus->irq.stop, true);
	copro_event_signal(&bus->irq.ev);
	copro_thread_join(&bus->irq.thread);
}

/*
 * The dispatcher needs a look only on a rising edge of a live line, and
 * the interrupt thread only when no poller will look (see the top). The
 * fence orders the caller's change of the level before the load of the
 * count, as a poller's uncounting is ordered before its last look.
 */
static void irq_kick(struct copro_bus *bus)
{
	if (!bus->threaded)
		return;
	atomic_thread_fence(memory_order_seq_cst);
	if (copro_bus_irq_edges_wake(bus))
		copro_event_signal(&bus->irq.ev);
}

/* ---- the model's side ---- */

void copro_bus_irq_set(struct copro_bus *bus, unsigned line, bool level)
{
	struct bus_irq *irq;

	if (line >= COPRO_IRQ_LINES) {
		copro_dev_err(&bus->ld, "irq: a model drove line %u (lines are 0 to %u)",
			      line, COPRO_IRQ_LINES - 1);
		return;
	}
	/*
	 * A computed level: the model tells of a change it made, and there
	 * is nothing to store.
	 */
	if (atomic_load_explicit(&bus->irq.src_fn[line], memory_order_relaxed))
		goto changed;
	/*
	 * Models recompute their lines after every register access; an
	 * unchanged level costs one plain load, not a locked exchange.
	 */
	if (atomic_load_explicit(&bus->irq.level[line], memory_order_relaxed) ==
	    level)
		return;
	if (atomic_exchange(&bus->irq.level[line], level) == level)
		return;
changed:
	if (atomic_load_explicit(&bus->observed, memory_order_acquire) &&
	    bus->obs.irq_level)
		bus->obs.irq_level(bus->obs.ctx, line, level);
	/* seq_cst, paired with copro_raw_irq_wait: one of us sees the other. */
	if (atomic_load(&bus->irq.raw_users))
		bus_raw_irq_changed(bus, line, level);
	if (!level)
		return;
	irq = atomic_load(&bus->irq.by_line[line]);
	if (irq && atomic_load(&irq->enabled) && atomic_load(&irq->requested))
		irq_kick(bus);
}

void copro_bus_irq_get_stats(struct copro_bus *bus,
			     struct copro_bus_irq_stats *out)
{
	out->thread_waits = atomic_load(&bus->irq.thread_waits);
	out->thread_waits_unspun = atomic_load(&bus->irq.thread_waits_unspun);
}

bool copro_bus_irq_get(struct copro_bus *bus, unsigned line)
{
	return line < COPRO_IRQ_LINES && line_level(&bus->irq, line);
}

/*
 * What irq_kick decides after its fence; a model's caller has fenced
 * after its change itself (see the header).
 */
bool copro_bus_irq_edges_wake(struct copro_bus *bus)
{
	return bus->threaded &&
	       !atomic_load_explicit(&bus->irq.pollers, memory_order_relaxed);
}

bool copro_bus_irq_watched(struct copro_bus *bus)
{
	return atomic_load_explicit(&bus->observed, memory_order_acquire) ||
	       atomic_load(&bus->irq.raw_users);
}

/*
 * Takes the line's dispatch claim, waiting for a dispatcher that holds
 * it (handlers do not block, so a short spin usually sees one end); the
 * caller lets it go.
 */
static void claim_take(struct bus_irq *irq)
{
	for (unsigned spins = 0; irq_claim(irq) != IRQ_FREE; spins++) {
		if (spins < 1000)
			copro_cpu_relax();
		else
			copro_sleep_ns(10 * COPRO_NSEC_PER_USEC);
	}
}

/* Waits until no dispatcher holds the line's claim (see disable_sync). */
static void claim_sync(struct bus_irq *irq)
{
	if (tl_running == irq)
		return;
	claim_take(irq);
	atomic_store(&irq->running, IRQ_FREE);
}

int copro_bus_irq_set_source(struct copro_bus *bus, unsigned line,
			     copro_bus_irq_level_fn fn, void *ctx)
{
	struct bus_irq_lines *q = &bus->irq;
	struct bus_irq *irq;
	int rc = 0;

	if (line >= COPRO_IRQ_LINES) {
		copro_dev_err(&bus->ld,
			      "irq: a model asked to compute line %u (lines are 0 to %u)",
			      line, COPRO_IRQ_LINES - 1);
		return -EINVAL;
	}
	copro_mutex_lock(&q->lock);
	if (fn && atomic_load(&q->src_fn[line])) {
		copro_dev_err(&bus->ld,
			      "irq: line %u already has its level computed by a model",
			      line);
		rc = -EBUSY;
	} else if (fn) {
		atomic_store(&q->level[line], false);
		atomic_store(&q->src_ctx[line], ctx);
		atomic_store_explicit(&q->src_fn[line], fn,
				      memory_order_release);
	} else {
		atomic_store(&q->src_fn[line], NULL);
		atomic_store(&q->src_ctx[line], NULL);
	}
	irq = atomic_load(&q->by_line[line]);
	copro_mutex_unlock(&q->lock);
	/* Nobody may be calling the old source once this returns. */
	if (!rc && !fn && irq)
		claim_sync(irq);
	return rc;
}

/* ---- the driver's side ---- */

int bus_be_irq_request(void *be, unsigned line, copro_irq_handler_t handler,
		       void *ctx, const char *name, void **out)
{
	struct copro_bus *bus = be;
	struct bus_irq_lines *q = &bus->irq;
	struct bus_irq *irq;
	int rc = 0;

	if (line >= COPRO_IRQ_LINES) {
		copro_dev_err(&bus->ld,
			      "irq: cannot request line %u for '%s': no such line (lines are 0 to %u)",
			      line, name, COPRO_IRQ_LINES - 1);
		return -EINVAL;
	}
	copro_mutex_lock(&q->lock);
	irq = atomic_load(&q->by_line[line]);
	if (irq && atomic_load(&irq->requested)) {
		copro_dev_err(&bus->ld,
			      "irq: line %u requested for '%s' is already held by '%s'",
			      line, name, irq->name);
		rc = -EBUSY;
	} else if (!irq) {
		unsigned n = atomic_load(&q->nactive);

		/* Its claim has a cache line of its own (struct bus_irq). */
		irq = aligned_alloc(alignof(struct bus_irq), sizeof(*irq));
		if (!irq) {
			rc = -ENOMEM;
		} else {
			memset(irq, 0, sizeof(*irq));
			irq->bus = bus;
			irq->line = line;
			/* Publish the slot before the count the scanners read. */
			atomic_store(&q->active[n], irq);
			atomic_store_explicit(&q->nactive, n + 1,
					      memory_order_release);
			atomic_store(&q->by_line[line], irq);
		}
	}
	if (!rc) {
		irq->handler = handler;
		irq->ctx = ctx;
		snprintf(irq->name, sizeof(irq->name), "%s", name);
		/* The handler may use its handle as soon as it can run. */
		*out = irq;
		atomic_store(&irq->enabled, true);
		atomic_store(&irq->requested, true);
	}
	copro_mutex_unlock(&q->lock);
	if (!rc && line_level(q, line))
		irq_kick(bus);
	return rc;
}

/*
 * Masks the line and, from outside its own handler, waits out a handler
 * already running, as Linux's disable_irq() does: when this returns the
 * handler is not running and will not start until the line is enabled
 * again. Taking the dispatchers' own claim is what makes that hold even
 * against a handler that re-enables its line on the way out.
 */
static void disable_sync(struct bus_irq *irq)
{
	atomic_store(&irq->enabled, false);
	if (tl_running == irq)
		return;
	/*
	 * Nobody holds the claim and the line is still masked: a dispatcher
	 * that claims from now on sees the mask (its claim and our store
	 * are both seq_cst), and one that ran before has finished, and did
	 * not unmask the line on its way out, or enabled would read true.
	 * This is the common case (the NVMe driver masks its line around
	 * every submission's poll), and three atomic writes cheaper.
	 */
	if (atomic_load(&irq->running) == IRQ_FREE &&
	    !atomic_load(&irq->enabled))
		return;
	claim_take(irq);
	atomic_store(&irq->enabled, false);
	atomic_store(&irq->running, IRQ_FREE);
}

void bus_be_irq_free(void *be, void *cookie)
{
	struct bus_irq *irq = cookie;
	struct bus_irq_lines *q = &irq->bus->irq;

	copro_mutex_lock(&q->lock);
	atomic_store(&irq->requested, false);
	copro_mutex_unlock(&q->lock);
	/* From inside its own handler there is nothing to wait for. */
	disable_sync(irq);
}

void bus_be_irq_enable(void *be, void *cookie)
{
	struct bus_irq *irq = cookie;

	atomic_store(&irq->enabled, true);
	/* Level semantics: enabling a line that is still asserted fires it. */
	if (atomic_load(&irq->requested) &&
	    line_level(&irq->bus->irq, irq->line))
		irq_kick(irq->bus);
}

void bus_be_irq_disable(void *be, void *cookie)
{
	disable_sync(cookie);
}

/*
 * Dispatch rounds until no line whose handler ran is still asserted (a
 * line that rose after its look in a round told the dispatcher of its
 * edge, and a poller looks again anyway). *more: the limit was reached,
 * or that last round found a line another dispatcher held, so it did not
 * look at it.
 */
static unsigned poll_rounds(struct copro_bus *bus, bool *more)
{
	unsigned total = 0;

	for (int round = 0; round < POLL_MAX_ROUNDS; round++) {
		bool again;

		total += copro_bus_irq_dispatch(bus, more, &again);
		if (!again)
			return total;
	}
	*more = true;
	return total;
}

int bus_be_poll(void *be)
{
	bool more;
	unsigned total = poll_rounds(be, &more);

	return total > INT32_MAX ? INT32_MAX : (int)total;
}

void bus_be_poll_hold(void *be, bool on)
{
	struct copro_bus *bus = be;
	bool more;

	if (!bus->threaded)
		return;
	if (on) {
		atomic_fetch_add(&bus->irq.pollers, 1);
		return;
	}
	/*
	 * Uncounted (seq_cst, before the last look's loads), look once more
	 * for what rose while we were counted: a line still up after all
	 * the rounds, or one we could not look at, goes to the interrupt
	 * thread.
	 */
	atomic_fetch_sub(&bus->irq.pollers, 1);
	poll_rounds(bus, &more);
	if (more)
		irq_kick(bus);
}
